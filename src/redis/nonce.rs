//! [`RedisNonceStore`]: Digest replay protection shared by a fleet.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::LazyLock;

use ::redis::Script;

use super::Redis;
use crate::BoxError;
use crate::digest::{NonceCheck, NonceStore, NonceUse};

/// Accepts `ARGV[1]` (the nc) for the nonce `KEYS[1]` only if it is greater than the one
/// recorded (or none is), records it with a TTL of `ARGV[2]` ms, and answers 1; else 0.
/// One script, so the check and the record are one atomic step.
static CHECK_AND_RECORD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local nc = tonumber(ARGV[1])
local seen = redis.call('GET', KEYS[1])
if seen and tonumber(seen) >= nc then
  return 0
end
redis.call('SET', KEYS[1], nc, 'PX', ARGV[2])
return 1
"#,
    )
});

/// The store made by `Redis`: see its method's documentation.
#[derive(Clone)]
pub(crate) struct RedisNonceStore {
    redis: Redis,
}

impl fmt::Debug for RedisNonceStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisNonceStore").field("redis", &self.redis).finish()
    }
}

impl RedisNonceStore {
    pub(super) fn new(redis: Redis) -> Self {
        RedisNonceStore { redis }
    }
}

impl NonceStore for RedisNonceStore {
    fn check_and_record(
        &self,
        nonce_use: &NonceUse<'_>,
    ) -> Pin<Box<dyn Future<Output = Result<NonceCheck, BoxError>> + Send>> {
        let key = self.redis.key("nonce", nonce_use.nonce);
        let nc = nonce_use.nc;
        let ttl_ms = nonce_use.expires_ms.saturating_sub(nonce_use.now_ms).max(1);
        let answer = self.redis.run("replay check", move |mut conn| async move {
            CHECK_AND_RECORD
                .key(key)
                .arg(nc)
                .arg(ttl_ms)
                .invoke_async::<u8>(&mut conn)
                .await
        });
        Box::pin(async move {
            Ok(match answer.await? {
                1 => NonceCheck::Fresh,
                _ => NonceCheck::Refused,
            })
        })
    }
}

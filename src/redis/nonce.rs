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

/// Digest replay protection in Redis, shared by every instance of a fleet: a
/// [`NonceStore`] for [`Digest::nonce_store`](crate::digest::Digest::nonce_store), made by
/// [`Redis::nonce_store`].
///
/// Each nonce is one key holding the highest `nc` accepted for it, written by one Lua script
/// (atomic: of two concurrent requests with the same (nonce, nc), on any instances, one is
/// accepted), with a TTL that ends when the nonce expires (after which the scheme refuses
/// the nonce by itself). An RFC 2069 response (no `nc`) records `0`, so its nonce is good
/// once.
///
/// **Always fails closed.** When Redis is down, slow (past the [timeout](Redis::timeout)) or
/// answers an error, the request is refused with `500` and the error logged. There is no
/// `fail_open`: a nonce use the store cannot record may be a replay, and accepting a replay
/// is the one thing this store exists to prevent.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), redis::RedisError> {
/// use tower_httpauth::digest::{Digest, DigestUsers};
/// use tower_httpauth::redis::Redis;
///
/// let redis = Redis::open("redis://127.0.0.1:6379/")?;
/// let realm = "api@example.org";
/// let digest = Digest::new(DigestUsers::new(realm).with_password("john", "hello"))
///     .realm(realm)
///     .secret(b"the same 32+ byte secret on every instance")
///     .nonce_store(redis.nonce_store());
/// # let _ = digest; Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisNonceStore {
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

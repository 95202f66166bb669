//! The Redis [`NonceStore`] (feature `redis`).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use redis::aio::ConnectionManager;

use super::replay::{NonceCheck, NonceStore, NonceUse};
use crate::BoxError;
use crate::throttle::redis_store::{bounded, connect};

/// Accepts `ARGV[1]` (the nc) for the nonce `KEYS[1]` only if it is greater than the one
/// recorded (or none is), records it with a TTL of `ARGV[2]` ms, and answers 1; else 0.
const CHECK_AND_RECORD: &str = r#"
local nc = tonumber(ARGV[1])
local seen = redis.call('GET', KEYS[1])
if seen and tonumber(seen) >= nc then
  return 0
end
redis.call('SET', KEYS[1], nc, 'PX', ARGV[2])
return 1
"#;

/// Digest replay protection in Redis, shared by every instance of a fleet.
///
/// Each nonce is one key holding the highest `nc` accepted for it, written by one Lua
/// script (atomic: of two concurrent requests with the same (nonce, nc), one is `Fresh`),
/// with a TTL that ends when the nonce expires (after which the scheme refuses the nonce by
/// itself). An RFC 2069 response (no `nc`) records `0`, so its nonce is good once.
///
/// **Fails closed.** Every call is bounded by a timeout (250 ms by default); when Redis is
/// unreachable, slow or answers an error, the use is answered [`NonceCheck::Refused`] (the
/// client sees `401` with `stale=true`, and a warning is logged), or, with
/// [`errors_as_500`](Self::errors_as_500), an error (the client sees `500`). Never a pass.
///
/// Configure Redis so that it does not evict these keys before they expire (`maxmemory-policy
/// noeviction` or `volatile-*` with enough memory): a forgotten key would let its nonce be
/// replayed. With `noeviction`, a full Redis refuses writes, which this store answers as a
/// failure (closed).
///
/// ```no_run
/// # async fn demo() -> Result<(), redis::RedisError> {
/// use tower_httpauth::digest::{Digest, DigestUsers, RedisNonceStore};
/// let realm = "api@example.org";
/// let digest = Digest::new(DigestUsers::new(realm).with_password("john", "hello"))
///     .realm(realm)
///     .secret(b"the same 32+ byte secret on every instance")
///     .nonce_store(RedisNonceStore::open("redis://127.0.0.1:6379/")?);
/// # Ok(()) }
/// ```
///
/// The futures of this store are boxed: one allocation per verified request, next to a
/// network round trip.
#[derive(Clone)]
pub struct RedisNonceStore {
    conn: ConnectionManager,
    prefix: String,
    timeout: Duration,
    errors_as_500: bool,
    script: redis::Script,
}

impl fmt::Debug for RedisNonceStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisNonceStore")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("errors_as_500", &self.errors_as_500)
            .finish_non_exhaustive()
    }
}

impl RedisNonceStore {
    /// A store on the Redis server at `url` (`redis://host:port/db`). The connection is made
    /// on first use and re-made after failures, so this does not fail when Redis is down.
    ///
    /// Must be called inside a tokio runtime.
    pub fn open(url: &str) -> Result<Self, redis::RedisError> {
        Ok(Self::new(connect(url)?))
    }

    /// A store using an existing connection manager (one manager can serve this store, the
    /// [throttle's](crate::throttle::RedisStore) and the
    /// [revocation list](crate::token::RedisRevocations)).
    pub fn new(conn: ConnectionManager) -> Self {
        RedisNonceStore {
            conn,
            prefix: String::from("tower-httpauth:nonce:"),
            timeout: Duration::from_millis(250),
            errors_as_500: false,
            script: redis::Script::new(CHECK_AND_RECORD),
        }
    }

    /// Sets the prefix of every key (default `tower-httpauth:nonce:`). Every instance of a
    /// fleet must use the same.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Sets the bound on every call (default 250 ms).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// When Redis fails, answer `500` (an error) instead of `401` with `stale=true` (the
    /// default). Both refuse the request.
    pub fn errors_as_500(mut self, enabled: bool) -> Self {
        self.errors_as_500 = enabled;
        self
    }

    /// The Redis key of `nonce`.
    pub fn redis_key(&self, nonce: &str) -> String {
        format!("{}{}", self.prefix, nonce)
    }
}

type CheckFuture = Pin<Box<dyn Future<Output = Result<NonceCheck, BoxError>> + Send + 'static>>;

impl NonceStore for RedisNonceStore {
    type Future = CheckFuture;

    fn check_and_record(&self, u: &NonceUse<'_>) -> Self::Future {
        let key = self.redis_key(u.nonce);
        let nc = u.nc;
        let ttl_ms = u.expires_ms.saturating_sub(u.now_ms).max(1);
        let script = self.script.clone();
        let mut conn = self.conn.clone();
        let errors_as_500 = self.errors_as_500;
        let fut = bounded(self.timeout, async move {
            script.key(key).arg(nc).arg(ttl_ms).invoke_async::<u8>(&mut conn).await
        });
        Box::pin(async move {
            match fut.await {
                Ok(1) => Ok(NonceCheck::Fresh),
                Ok(_) => Ok(NonceCheck::Refused),
                Err(e) if errors_as_500 => Err(e),
                Err(e) => {
                    tracing::warn!(error = %e, "Digest nonce store (Redis) failed: refusing the nonce as stale");
                    Ok(NonceCheck::Refused)
                }
            }
        })
    }
}

//! [`RedisRevocations`]: a token revocation list shared by a fleet.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::Redis;
use crate::BoxError;
use crate::token::{Claims, Revocation};

type CheckFuture = Pin<Box<dyn Future<Output = Result<bool, BoxError>> + Send>>;

/// Revoked token ids in Redis, shared by every instance of a fleet; made by
/// [`Redis::revocations`]. A [`Revocation`] hook for
/// [`SignedTokens::revocation`](crate::token::SignedTokens::revocation) (keyed by [`Claims::id`])
/// and, as a `Revocation<str>`, for `Jwt::revocation` (feature `jwt`, keyed by `jti`).
///
/// A revoked id is one key that lives until the token would have expired anyway, so the
/// list never outgrows the tokens in circulation.
///
/// **Fails closed by default**: when Redis is down or slow, the request is refused with
/// `500` and the error logged (the token is neither accepted nor called invalid).
/// [`fail_open(true)`](Self::fail_open) accepts valid tokens while Redis fails instead,
/// logging a warning per request: a revoked token then works again until Redis is back.
///
/// ```no_run
/// # async fn demo() -> Result<(), tower_httpauth::BoxError> {
/// use tower_httpauth::redis::Redis;
/// use tower_httpauth::{AuthLayer, Bearer};
/// use tower_httpauth::token::SignedTokens;
///
/// let revocations = Redis::open("redis://127.0.0.1:6379/")?.revocations();
/// let tokens = SignedTokens::new("k1", b"a 32-byte (or longer) random key!".to_vec())
///     .revocation(revocations.clone());
/// let layer = AuthLayer::new(Bearer::new(tokens.clone()));
///
/// // On logout: revoke the token until it expires, on every instance.
/// let claims = tokens.verify(&tokens.issue("john")?)?;
/// revocations.revoke_claims(&claims).await?;
/// # let _ = layer; Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisRevocations {
    redis: Redis,
    fail_open: bool,
}

impl fmt::Debug for RedisRevocations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRevocations")
            .field("redis", &self.redis)
            .field("fail_open", &self.fail_open)
            .finish()
    }
}

impl RedisRevocations {
    pub(super) fn new(redis: Redis) -> Self {
        RedisRevocations {
            redis,
            fail_open: false,
        }
    }

    /// Whether a valid token is accepted, with a warning in the log, while Redis fails
    /// (`true`), or refused with `500` (`false`, the default).
    pub fn fail_open(mut self, enabled: bool) -> Self {
        self.fail_open = enabled;
        self
    }

    /// Revokes token id `id` for `ttl` (use the token's remaining lifetime; at least 1 ms).
    pub async fn revoke(&self, id: &str, ttl: Duration) -> Result<(), BoxError> {
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let key = self.redis.key("revoked", id);
        self.redis
            .run("revoke", move |mut conn| async move {
                ::redis::cmd("SET")
                    .arg(key)
                    .arg(1)
                    .arg("PX")
                    .arg(ms)
                    .query_async::<()>(&mut conn)
                    .await
            })
            .await
    }

    /// Revokes token id `id` until `expires_at` (seconds since the Unix epoch, as in `exp`),
    /// plus one minute for clock skew. Does nothing for a token already expired by then.
    pub async fn revoke_until(&self, id: &str, expires_at: u64) -> Result<(), BoxError> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let left = expires_at.saturating_add(60).saturating_sub(now);
        if left == 0 {
            return Ok(());
        }
        self.revoke(id, Duration::from_secs(left)).await
    }

    /// Revokes the signed token with `claims` until it expires.
    pub async fn revoke_claims(&self, claims: &Claims) -> Result<(), BoxError> {
        self.revoke_until(&claims.id(), claims.expires_at()).await
    }

    /// Whether token id `id` is revoked, with Redis's failures as errors whatever
    /// [`fail_open`](Self::fail_open) says.
    pub async fn is_revoked_id(&self, id: &str) -> Result<bool, BoxError> {
        self.lookup(id).await
    }

    fn lookup(&self, id: &str) -> impl Future<Output = Result<bool, BoxError>> + Send + 'static {
        let key = self.redis.key("revoked", id);
        self.redis.run("revocation check", move |mut conn| async move {
            ::redis::cmd("EXISTS")
                .arg(key)
                .query_async::<u32>(&mut conn)
                .await
                .map(|n| n > 0)
        })
    }

    /// The hook's answer for `id`, failing as [`fail_open`](Self::fail_open) says.
    fn hook(&self, id: &str) -> CheckFuture {
        let lookup = self.lookup(id);
        let fail_open = self.fail_open;
        Box::pin(async move {
            match lookup.await {
                Err(e) if fail_open => {
                    tracing::warn!(error = %e, "revocation list failed; accepting the token (fail_open)");
                    Ok(false)
                }
                answer => answer,
            }
        })
    }
}

impl Revocation<Claims> for RedisRevocations {
    fn is_revoked(&self, claims: &Claims) -> CheckFuture {
        self.hook(&claims.id())
    }
}

impl Revocation<str> for RedisRevocations {
    fn is_revoked(&self, jti: &str) -> CheckFuture {
        self.hook(jti)
    }
}

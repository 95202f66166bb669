//! A revocation list in Redis (feature `redis`) for [`SignedTokens`](super::SignedTokens) and
//! JWTs.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::aio::ConnectionManager;

use super::{Claims, Revocation};
use crate::BoxError;
use crate::throttle::redis_store::{bounded, connect};

/// Revoked token ids in Redis, shared by every instance of a fleet: a
/// [`Revocation`] hook for [`SignedTokens`](super::SignedTokens) (keyed by
/// [`Claims::id`]) and, with the `jwt` feature, a
/// [`JwtRevocation`](super::jwt::JwtRevocation) hook for [`Jwt`](super::jwt::Jwt) (keyed
/// by `jti`).
///
/// A revoked id is one key that lives until the token would have expired anyway, so the
/// list never outgrows the tokens in circulation. Every call is bounded by a timeout (250 ms
/// by default).
///
/// **Fails closed by default**: when Redis is unreachable or slow, the check is an error and
/// the request is answered `500` (the token is neither accepted nor called invalid).
/// [`fail_open`](Self::fail_open) accepts valid tokens while Redis is down instead (logging a
/// warning per request): a revoked token then works again until Redis is back.
///
/// ```no_run
/// # async fn demo() -> Result<(), tower_httpauth::BoxError> {
/// use tower_httpauth::{AuthLayer, Bearer, SignedTokens};
/// use tower_httpauth::token::RedisRevocations;
///
/// let revocations = RedisRevocations::open("redis://127.0.0.1:6379/")?;
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
    conn: ConnectionManager,
    prefix: String,
    timeout: Duration,
    fail_open: bool,
}

impl fmt::Debug for RedisRevocations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRevocations")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("fail_open", &self.fail_open)
            .finish_non_exhaustive()
    }
}

type CheckFuture = Pin<Box<dyn Future<Output = Result<bool, BoxError>> + Send + 'static>>;

impl RedisRevocations {
    /// A list on the Redis server at `url` (`redis://host:port/db`). The connection is made
    /// on first use and re-made after failures, so this does not fail when Redis is down.
    ///
    /// Must be called inside a tokio runtime.
    pub fn open(url: &str) -> Result<Self, redis::RedisError> {
        Ok(Self::new(connect(url)?))
    }

    /// A list using an existing connection manager.
    pub fn new(conn: ConnectionManager) -> Self {
        RedisRevocations {
            conn,
            prefix: String::from("tower-httpauth:revoked:"),
            timeout: Duration::from_millis(250),
            fail_open: false,
        }
    }

    /// Sets the prefix of every key (default `tower-httpauth:revoked:`). Every instance of a
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

    /// When Redis fails, accept the (otherwise valid) token and log a warning, instead of
    /// answering `500` (the default).
    pub fn fail_open(mut self, enabled: bool) -> Self {
        self.fail_open = enabled;
        self
    }

    /// The Redis key of token id `id`.
    pub fn redis_key(&self, id: &str) -> String {
        format!("{}{}", self.prefix, id)
    }

    /// Revokes token id `id` for `ttl` (use the token's remaining lifetime; at least 1 ms).
    pub async fn revoke(&self, id: &str, ttl: Duration) -> Result<(), BoxError> {
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut conn = self.conn.clone();
        let cmd = redis::cmd("SET")
            .arg(self.redis_key(id))
            .arg(1)
            .arg("PX")
            .arg(ms)
            .clone();
        bounded(self.timeout, async move { cmd.query_async::<()>(&mut conn).await }).await
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

    /// Whether token id `id` is revoked (errors as they are, whatever
    /// [`fail_open`](Self::fail_open) says).
    pub async fn is_revoked_id(&self, id: &str) -> Result<bool, BoxError> {
        self.check(id).await
    }

    fn check(&self, id: &str) -> impl Future<Output = Result<bool, BoxError>> + Send + 'static {
        let key = self.redis_key(id);
        let mut conn = self.conn.clone();
        bounded(self.timeout, async move {
            redis::cmd("EXISTS")
                .arg(key)
                .query_async::<u32>(&mut conn)
                .await
                .map(|n| n > 0)
        })
    }

    fn hook(&self, id: &str) -> CheckFuture {
        let fut = self.check(id);
        let fail_open = self.fail_open;
        Box::pin(async move {
            match fut.await {
                Ok(revoked) => Ok(revoked),
                Err(e) if fail_open => {
                    tracing::warn!(error = %e, "revocation list (Redis) failed: accepting the token (fail_open)");
                    Ok(false)
                }
                Err(e) => Err(format!("revocation list (Redis) failed: {e}").into()),
            }
        })
    }
}

impl Revocation for RedisRevocations {
    type Future = CheckFuture;
    fn is_revoked(&self, claims: &Claims) -> Self::Future {
        self.hook(&claims.id())
    }
}

#[cfg(feature = "jwt")]
impl super::jwt::JwtRevocation for RedisRevocations {
    type Future = CheckFuture;
    fn is_revoked(&self, jti: &str) -> Self::Future {
        self.hook(jti)
    }
}

//! State shared by a fleet in Redis (feature `redis`): the Digest replay store, the throttle
//! counts and a token revocation list, on one connection, with one timeout and one key
//! prefix.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), tower_httpauth::BoxError> {
//! use std::time::Duration;
//! use tower_httpauth::digest::{Digest, DigestUsers};
//! use tower_httpauth::redis::Redis;
//! use tower_httpauth::throttle::Throttle;
//! use tower_httpauth::{AuthLayer, Bearer};
//! use tower_httpauth::token::SignedTokens;
//!
//! // One connection (made on first use, so Redis need not be up yet), one bound on every
//! // command, one prefix for every key: the same on every instance of the fleet.
//! let redis = Redis::open("redis://127.0.0.1:6379/")?
//!     .prefix("myapp:")
//!     .timeout(Duration::from_millis(250));
//!
//! // Digest: a (nonce, nc) accepted by one instance is refused by every other.
//! let realm = "api@example.org";
//! let digest = Digest::new(DigestUsers::new(realm).with_password("john", "hello"))
//!     .realm(realm)
//!     .secret(b"the same 32+ byte secret on every instance")
//!     .nonce_store(redis.nonce_store());
//! // Failed logins counted across the fleet.
//! let login = AuthLayer::new(digest).throttle(Throttle::with_store(redis.throttle_store()));
//!
//! // Tokens revoked on one instance are refused by every other.
//! let tokens = SignedTokens::new("k1", b"a 32-byte (or longer) random key!".to_vec())
//!     .revocation(redis.revocations());
//! let api = AuthLayer::new(Bearer::new(tokens));
//! # let _ = (login, api); Ok(()) }
//! ```
//!
//! # Keys
//!
//! Every key starts with the [prefix](Redis::prefix) (`tower-httpauth:` by default), then
//! names its store: `nonce:` and the nonce, `throttle:` and the
//! [`ThrottleKey`](crate::throttle::ThrottleKey)'s text (a hash for a user-id: Redis never
//! holds a list of who tried to log in), `revoked:` and the token id. Every key has a TTL:
//! a nonce's record ends when the nonce expires, a throttle count once its lock is over and
//! its failures are forgotten, a revocation when the token would have expired, so nothing
//! grows without bound. Every instance of a fleet must use the same prefix.
//!
//! Configure Redis so that it does not evict these keys before they expire
//! (`maxmemory-policy noeviction`, or enough memory): an evicted nonce record lets that
//! nonce be replayed, an evicted revocation revives a token. With `noeviction`, a full Redis
//! refuses writes, which the stores handle as a failure (below).
//!
//! # When Redis is down or slow
//!
//! Every command is bounded by the [timeout](Redis::timeout) (250 ms by default), so a slow
//! Redis holds a request no longer than that per command. A command that fails or times out
//! is a store failure, and a store failure **fails closed**: the request is refused with
//! `500` and the error logged, never accepted. One toggle, `fail_open(true)`, lets you choose
//! availability instead where a lapse of the store's protection during an outage is
//! acceptable:
//!
//! | store | when Redis fails | `fail_open(true)` |
//! |---|---|---|
//! | [`Redis::nonce_store`] (Digest replays) | `500` | none: always closed |
//! | [`Redis::throttle_store`] (failed logins) | `500`, the verifier does not run | [`Throttle::fail_open`](crate::throttle::Throttle::fail_open): authenticate without throttling, a warning logged |
//! | [`RedisRevocations`] (revoked tokens) | `500` | [`RedisRevocations::fail_open`]: accept valid tokens, a warning logged |
//!
//! The replay store has no such toggle: a nonce use it cannot record may be a replay, and
//! accepting a replay is exactly what it exists to refuse.
//!
//! Lua scripts do what must be atomic (a nonce's check and record, a failure's count and
//! lock) in one round trip; the stores' futures are boxed, one allocation next to a network
//! round trip. Instances that share Redis should keep their clocks in sync (NTP): lock
//! times and expiries are written by one instance and read by others.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{ErrorKind, RedisError};

use crate::BoxError;

mod nonce;
mod revocation;
mod throttle;

use nonce::RedisNonceStore;
pub use revocation::RedisRevocations;
use throttle::RedisThrottleStore;

/// One Redis connection, with the timeout and the key prefix every store made from it
/// shares; see the [module docs](self).
///
/// Cloning is cheap, and clones share the connection: make every store of an instance from
/// one `Redis` ([`nonce_store`](Self::nonce_store), [`throttle_store`](Self::throttle_store),
/// [`revocations`](Self::revocations)), after setting the [prefix](Self::prefix) and the
/// [timeout](Self::timeout).
#[derive(Clone)]
pub struct Redis {
    conn: ConnectionManager,
    prefix: Arc<str>,
    timeout: Duration,
}

/// Shows the prefix and the timeout, never the connection (its URL may hold a password).
impl fmt::Debug for Redis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redis")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Redis {
    /// The Redis server at `url` (`redis://[user:password@]host:port/db`, `rediss://` for
    /// TLS). The connection is made on first use and made again after a failure, so this
    /// succeeds while Redis is down; it gives up on a connection attempt, or on an answer,
    /// after 500 ms, and retries once, inside the [timeout](Self::timeout) of each command.
    /// [`new`](Self::new) takes a connection manager configured otherwise.
    ///
    /// An error when `url` does not parse, or when called outside a tokio runtime (the
    /// connection's task runs on it).
    pub fn open(url: &str) -> Result<Self, RedisError> {
        let client = ::redis::Client::open(url)?;
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(RedisError::from((
                ErrorKind::Client,
                "tower_httpauth::redis::Redis::open must be called inside a tokio runtime",
            )));
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(500)))
            .set_response_timeout(Some(Duration::from_millis(500)))
            .set_number_of_retries(1);
        Ok(Redis::new(ConnectionManager::new_lazy_with_config(client, config)?))
    }

    /// Stores on an existing connection manager (say, one your application also uses).
    pub fn new(conn: ConnectionManager) -> Self {
        Redis {
            conn,
            prefix: Arc::from("tower-httpauth:"),
            timeout: Duration::from_millis(250),
        }
    }

    /// Sets what every key starts with (default `tower-httpauth:`), to share one Redis
    /// between applications. Every instance of a fleet must use the same.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Arc::from(prefix.into());
        self
    }

    /// Sets the bound on every command (default 250 ms). A command not answered within it
    /// is a store failure (see the [module docs](self#when-redis-is-down-or-slow)).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Digest replay protection in Redis, shared by every instance of a fleet: a
    /// [`NonceStore`](crate::digest::NonceStore) for
    /// [`Digest::nonce_store`](crate::digest::Digest::nonce_store).
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
    pub fn nonce_store(&self) -> impl crate::digest::NonceStore + Clone + fmt::Debug + use<> {
        RedisNonceStore::new(self.clone())
    }

    /// A [`Throttle`](crate::throttle::Throttle)'s counts in Redis, shared by every instance of
    /// a fleet so that an attacker cannot spread guesses over the instances.
    ///
    /// Failures are recorded by one Lua script (atomic, one round trip for both of a request's
    /// keys); checks are one pipelined `HMGET` per key; every key expires once its lock is over
    /// and its failures are forgotten. Times come from the throttle's
    /// [clock](crate::throttle::Throttle::clock), so the instances' clocks should agree (NTP).
    ///
    /// When Redis is down or slow the store answers an error, which the throttle handles as its
    /// [`fail_open`](crate::throttle::Throttle::fail_open) says: by default the request is
    /// refused with `500` and the verifier does not run.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), redis::RedisError> {
    /// use tower_httpauth::redis::Redis;
    /// use tower_httpauth::throttle::Throttle;
    ///
    /// let redis = Redis::open("redis://127.0.0.1:6379/")?;
    /// let throttle = Throttle::with_store(redis.throttle_store());
    /// # let _ = throttle; Ok(()) }
    /// ```
    pub fn throttle_store(&self) -> impl crate::throttle::ThrottleStore + Clone + fmt::Debug + use<> {
        RedisThrottleStore::new(self.clone())
    }

    /// A token revocation list: see [`RedisRevocations`].
    pub fn revocations(&self) -> RedisRevocations {
        RedisRevocations::new(self.clone())
    }

    /// The key of `id` in `store` (`nonce`, `throttle`, `revoked`).
    fn key(&self, store: &str, id: &str) -> String {
        let mut key = String::with_capacity(self.prefix.len() + store.len() + 1 + id.len());
        key.push_str(&self.prefix);
        key.push_str(store);
        key.push(':');
        key.push_str(id);
        key
    }

    /// Runs `command` on the connection, bounded by the timeout; a failure or a timeout is
    /// an error naming `what` was asked.
    // Not an `async fn`: the signature promises `Send + 'static` whatever `T` is.
    #[allow(clippy::manual_async_fn)]
    fn run<T, F>(
        &self,
        what: &'static str,
        command: impl FnOnce(ConnectionManager) -> F,
    ) -> impl Future<Output = Result<T, BoxError>> + Send + 'static
    where
        T: Send + 'static,
        F: Future<Output = Result<T, RedisError>> + Send + 'static,
    {
        let timeout = self.timeout;
        let fut = command(self.conn.clone());
        async move {
            match tokio::time::timeout(timeout, fut).await {
                Ok(Ok(answer)) => Ok(answer),
                Ok(Err(e)) => Err(format!("redis: {what} failed: {e}").into()),
                Err(_) => Err(format!("redis: {what} not answered within {timeout:?}").into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_outside_a_tokio_runtime_is_an_error_not_a_panic() {
        let err = Redis::open("redis://127.0.0.1:6379/").unwrap_err();
        assert!(err.to_string().contains("inside a tokio runtime"), "{err}");
    }

    #[tokio::test]
    async fn debug_shows_neither_the_url_nor_its_password() {
        let redis = Redis::open("redis://app:hunter2-secret@127.0.0.1:6379/").unwrap();
        for shown in [
            format!("{redis:?}"),
            format!("{:?}", redis.nonce_store()),
            format!("{:?}", redis.throttle_store()),
            format!("{:?}", redis.revocations()),
        ] {
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(!shown.contains("6379"), "{shown}");
        }
    }
}

//! [`HashedPasswords`]: Basic over your user store of slow password hashes.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, OnceLock};

use http::request::Parts;

use super::hash::verify;
use super::{BoxFuture, CredentialCache, HashPolicy, HashPool};
use crate::basic::BasicCredentials;
use crate::failure::{AuthFailure, FailureKind};
use crate::verify::{Verdict, Verifier};

/// A Basic verifier over any user store that yields the user and their stored password hash
/// (a PHC string or bcrypt hash: see [`HashPolicy::verify`]), like
/// [`Passwords`](crate::basic::Passwords) for slow hashes.
///
/// `lookup` receives the user-id and returns `Option<(User, StoredHash)>`, or any other
/// [`Verdict`] of it (an `Err` of your store is answered `500`). Then:
///
/// - the hash is checked on the [`HashPool`] (tokio's blocking threads with the `tokio`
///   feature), never on the executor's worker threads;
/// - a success is remembered in the [`CredentialCache`] (on by default; keyed by user-id,
///   password and stored hash, so a password change invalidates it);
/// - an **unknown user** is checked against a dummy hash of the policy's cost (made once,
///   on the first unknown user, or given with [`dummy_hash`](Self::dummy_hash): give one of
///   the same algorithm and cost as your real hashes) and refused, so, where your stored
///   hashes share that algorithm and cost, response times do not reveal which user-ids exist
///   (a user whose hash is cheaper or costlier answers faster or slower than an unknown one);
/// - a stored hash of unknown format (or of a format whose feature is off) is an error
///   (`500`), logged without the hash;
/// - an empty password is never accepted.
///
/// The verification future is boxed: one allocation per request, nothing next to a
/// password hash.
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::Arc;
/// use tower_httpauth::{AuthLayer, Basic};
/// use tower_httpauth::store::{HashPolicy, HashedPasswords};
///
/// let policy = HashPolicy::argon2id(1024, 1, 1).unwrap(); // cheap for the example
/// let users = Arc::new(HashMap::from([("john".to_string(), policy.hash("hello").unwrap())]));
///
/// let verifier = HashedPasswords::new(move |name: String| {
///     let users = users.clone();
///     async move { users.get(&name).map(|hash| (name, hash.clone())) }
/// })
/// .policy(policy);
/// let layer = AuthLayer::new(Basic::new(verifier).realm("api"));
/// # let _ = layer;
/// ```
pub struct HashedPasswords<L> {
    lookup: L,
    pool: HashPool,
    cache: Option<CredentialCache>,
    policy: HashPolicy,
    dummy: Arc<OnceLock<String>>,
}

impl<L> HashedPasswords<L> {
    /// A verifier over `lookup`, with the default [`HashPool`], [`CredentialCache`] and
    /// [`HashPolicy`].
    pub fn new(lookup: L) -> Self {
        HashedPasswords {
            lookup,
            pool: HashPool::default(),
            cache: Some(CredentialCache::default()),
            policy: HashPolicy::default(),
            dummy: Arc::new(OnceLock::new()),
        }
    }

    /// Sets where hashes are checked (default [`HashPool::default`]).
    pub fn pool(mut self, pool: HashPool) -> Self {
        self.pool = pool;
        self
    }

    /// Sets the verified-credential cache (default [`CredentialCache::default`]); `None`
    /// turns caching off.
    pub fn cache(mut self, cache: Option<CredentialCache>) -> Self {
        self.cache = cache;
        self
    }

    /// Sets the policy the dummy hash for unknown users is made with (default
    /// [`HashPolicy::default`]).
    pub fn policy(mut self, policy: HashPolicy) -> Self {
        self.policy = policy;
        self.dummy = Arc::new(OnceLock::new());
        self
    }

    /// Sets the hash unknown users are checked against, instead of one made with the policy
    /// on first use. Use a hash of the same algorithm and cost as the stored ones.
    pub fn dummy_hash(mut self, stored: impl Into<String>) -> Self {
        let lock = OnceLock::new();
        let _ = lock.set(stored.into());
        self.dummy = Arc::new(lock);
        self
    }

    /// The verified-credential cache, if on.
    pub fn credential_cache(&self) -> Option<&CredentialCache> {
        self.cache.as_ref()
    }
}

impl<L> fmt::Debug for HashedPasswords<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HashedPasswords")
            .field("pool", &self.pool)
            .field("cache", &self.cache)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl<L, Fut, U, P> Verifier<BasicCredentials> for HashedPasswords<L>
where
    L: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Verdict<User = (U, P)>,
    U: Clone + Send + Sync + 'static,
    P: AsRef<str> + Send + 'static,
{
    type User = U;
    type Future = BoxFuture<U>;

    fn verify(&self, credentials: BasicCredentials, _request: &Parts) -> Self::Future {
        let (username, password) = credentials.into_parts();
        let lookup = (self.lookup)(username.clone());
        let pool = self.pool.clone();
        let cache = self.cache.clone();
        let policy = self.policy.clone();
        let dummy = self.dummy.clone();
        Box::pin(async move {
            let (user, stored) = match lookup.await.into_outcome() {
                Ok(found) => found,
                // Unknown user: the same work against the dummy, then no.
                Err(refused) if refused.kind() == FailureKind::InvalidCredentials => {
                    pool.run(move || {
                        let dummy = dummy.get_or_init(|| policy.hash("not a password").unwrap_or_default());
                        let _ = verify(&password, dummy);
                    })
                    .await
                    .map_err(AuthFailure::internal)?;
                    return Err(refused);
                }
                // The store failed, or refused otherwise: as it says.
                Err(failure) => return Err(failure),
            };
            let stored: String = stored.as_ref().to_owned();
            // An empty password is never accepted (`Basic` never hands one over; this covers
            // direct calls), after the same hash.
            let empty = password.is_empty();
            let key = match &cache {
                Some(c) if !empty => match c.check(&username, &password, stored.as_bytes()) {
                    Ok(()) => return Ok(user),
                    Err(key) => Some(key),
                },
                _ => None,
            };
            let checked = pool
                .run(move || verify(&password, &stored))
                .await
                .map_err(AuthFailure::internal)?;
            let ok = checked.map_err(|e| {
                tracing::error!(error = %e, "stored password hash cannot be checked");
                AuthFailure::internal(e)
            })?;
            if !ok || empty {
                return Err(AuthFailure::invalid());
            }
            if let (Some(c), Some(key)) = (cache, key) {
                c.remember(key);
            }
            Ok(user)
        })
    }
}

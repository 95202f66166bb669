//! Hashing new passwords and verifying stored hashes.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, OnceLock};

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use password_hash::phc::PasswordHash;

use super::{BoxedVerifyFuture, CredentialCache, HashPool};
use crate::BoxError;
use crate::basic::{BasicCredentials, BasicVerifier};
use crate::scheme::Verdict;

/// Why a password could not be hashed or a stored hash could not be checked.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HashError {
    /// The stored hash is not a PHC string or bcrypt hash this crate knows.
    UnknownFormat,
    /// The stored hash has a known format but is malformed (bad parameters, encoding).
    Malformed(String),
    /// Hashing failed (parameters out of range, no randomness).
    Hashing(String),
}

impl fmt::Display for HashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HashError::UnknownFormat => f.write_str("unknown password hash format"),
            HashError::Malformed(e) => write!(f, "malformed password hash: {e}"),
            HashError::Hashing(e) => write!(f, "password hashing failed: {e}"),
        }
    }
}

impl std::error::Error for HashError {}

/// How new passwords are hashed: Argon2id (RFC 9106) with configurable cost.
///
/// The defaults are OWASP's Password Storage Cheat Sheet minimums for Argon2id: 19 MiB of
/// memory (`m=19456`), 2 iterations (`t=2`), 1 lane (`p=1`). [`needs_rehash`](Self::needs_rehash)
/// tells which stored hashes are weaker than the policy, so an app can upgrade them at login,
/// when it has the password.
///
/// ```
/// use tower_httpauth::store::HashPolicy;
///
/// // Cheap parameters for the example; keep the defaults in production.
/// let policy = HashPolicy::argon2id(1024, 1, 1).unwrap();
/// let stored = policy.hash("correct horse").unwrap();
/// assert!(stored.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"));
/// assert!(policy.verify("correct horse", &stored).unwrap());
/// assert!(!policy.verify("wrong", &stored).unwrap());
/// assert!(!policy.needs_rehash(&stored));
/// assert!(HashPolicy::default().needs_rehash(&stored)); // below the OWASP minimums
/// ```
#[derive(Clone)]
pub struct HashPolicy {
    params: Params,
}

impl Default for HashPolicy {
    fn default() -> Self {
        HashPolicy {
            params: Params::new(OWASP_M_COST, OWASP_T_COST, OWASP_P_COST, None).expect("valid Argon2 parameters"),
        }
    }
}

/// OWASP's minimum Argon2id memory cost, in KiB (19 MiB).
pub const OWASP_M_COST: u32 = 19 * 1024;
/// OWASP's minimum Argon2id iteration count with 19 MiB.
pub const OWASP_T_COST: u32 = 2;
/// OWASP's Argon2id parallelism.
pub const OWASP_P_COST: u32 = 1;

impl fmt::Debug for HashPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HashPolicy")
            .field("algorithm", &"argon2id")
            .field("m_cost", &self.params.m_cost())
            .field("t_cost", &self.params.t_cost())
            .field("p_cost", &self.params.p_cost())
            .finish()
    }
}

impl HashPolicy {
    /// Argon2id with `m_cost` KiB of memory, `t_cost` iterations and `p_cost` lanes.
    ///
    /// # Errors
    ///
    /// If the parameters are out of Argon2's ranges.
    pub fn argon2id(m_cost: u32, t_cost: u32, p_cost: u32) -> Result<Self, HashError> {
        let params = Params::new(m_cost, t_cost, p_cost, None).map_err(|e| HashError::Hashing(e.to_string()))?;
        Ok(HashPolicy { params })
    }

    fn hasher(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Hashes `password` with a fresh random salt into a PHC string (`$argon2id$v=19$…`).
    ///
    /// At registration, hash the RFC 8265 form of the password,
    /// [`precis::password(p)`](crate::precis::password): it is what [`Basic`](crate::Basic)
    /// hands to verifiers by default (ASCII passwords are unchanged).
    ///
    /// # Errors
    ///
    /// If the operating system's RNG fails.
    pub fn hash(&self, password: &str) -> Result<String, HashError> {
        self.hasher()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| HashError::Hashing(e.to_string()))
    }

    /// Checks `password` against `stored`, a PHC string (Argon2i/d/id, scrypt,
    /// PBKDF2-SHA256/512) or a bcrypt hash (`$2a$`, `$2b$`, `$2y$`). Same as
    /// [`verify_password`]; the policy only matters for hashing and rehash decisions.
    ///
    /// # Errors
    ///
    /// If `stored` has an unknown format or is malformed.
    pub fn verify(&self, password: &str, stored: &str) -> Result<bool, HashError> {
        verify_password(password, stored)
    }

    /// Whether `stored` should be replaced by a fresh [`hash`](Self::hash) at the next
    /// successful login: it is not Argon2id version 19, or its memory, time or
    /// parallelism cost is below this policy's, or it cannot be parsed.
    pub fn needs_rehash(&self, stored: &str) -> bool {
        let Ok(h) = PasswordHash::new(stored) else {
            return true;
        };
        if h.algorithm.as_str() != "argon2id" || h.version != Some(0x13) {
            return true;
        }
        let Ok(p) = Params::try_from(&h) else {
            return true;
        };
        p.m_cost() < self.params.m_cost() || p.t_cost() < self.params.t_cost() || p.p_cost() < self.params.p_cost()
    }
}

/// Hashes `password` with the default [`HashPolicy`] (Argon2id, OWASP minimums).
///
/// At registration, hash the RFC 8265 form of the password,
/// [`precis::password(p)`](crate::precis::password): it is what [`Basic`](crate::Basic)
/// hands to verifiers by default (ASCII passwords are unchanged).
///
/// # Errors
///
/// If the operating system's RNG fails.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    HashPolicy::default().hash(password)
}

/// Whether `stored` should be rehashed under the default [`HashPolicy`].
pub fn needs_rehash(stored: &str) -> bool {
    HashPolicy::default().needs_rehash(stored)
}

/// Checks `password` against `stored`: a PHC string for Argon2i, Argon2d, Argon2id,
/// scrypt or PBKDF2 (`$pbkdf2-sha256$`, `$pbkdf2-sha512$`), or a bcrypt hash (`$2a$`, `$2b$`,
/// `$2y$`; passwords longer than 72 bytes are truncated, as bcrypt always did). Outputs are
/// compared in constant time.
///
/// This is slow on purpose: call it from a [`HashPool`], as [`HashedPasswords`] does.
///
/// ```
/// use tower_httpauth::store::verify_password;
///
/// // Python passlib: bcrypt.using(rounds=4).hash("password")
/// let stored = "$2b$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie";
/// assert_eq!(verify_password("correctbatteryhorsestapler", stored), Ok(true));
/// assert_eq!(verify_password("wrong", stored), Ok(false));
/// assert!(verify_password("x", "$md5$nope").is_err());
/// ```
///
/// # Errors
///
/// If `stored` has an unknown format or is malformed.
pub fn verify_password(password: &str, stored: &str) -> Result<bool, HashError> {
    let pw = password.as_bytes();
    if ["$2a$", "$2b$", "$2y$"].iter().any(|p| stored.starts_with(p)) {
        return bcrypt::verify(pw, stored).map_err(|e| HashError::Malformed(e.to_string()));
    }
    let id = stored.strip_prefix('$').and_then(|s| s.split('$').next());
    if !matches!(
        id,
        Some("argon2i" | "argon2d" | "argon2id" | "scrypt" | "pbkdf2-sha256" | "pbkdf2-sha512")
    ) {
        return Err(HashError::UnknownFormat);
    }
    let hash = PasswordHash::new(stored).map_err(|e| HashError::Malformed(e.to_string()))?;
    let result = match hash.algorithm.as_str() {
        "scrypt" => scrypt::Scrypt::new().verify_password(pw, &hash),
        "pbkdf2-sha256" | "pbkdf2-sha512" => pbkdf2::Pbkdf2::default().verify_password(pw, &hash),
        _ => Argon2::default().verify_password(pw, &hash),
    };
    match result {
        Ok(()) => Ok(true),
        Err(password_hash::Error::PasswordInvalid) => Ok(false),
        Err(e) => Err(HashError::Malformed(e.to_string())),
    }
}

/// A Basic verifier over any user store that yields the user and their stored password hash
/// (PHC string or bcrypt), like [`Passwords`](crate::Passwords) for slow hashes.
///
/// `lookup` receives the user-id and returns `Option<(User, StoredHash)>`, or a `Result` of
/// it (an `Err` is answered `500`). Then:
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
/// - a stored hash of unknown format is an error (`500`), logged without the hash;
/// - an empty password is never accepted.
///
/// The verification future is boxed: one allocation per request, nothing next to the
/// milliseconds a password hash takes.
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

    /// Sets where hashes are checked.
    pub fn pool(mut self, pool: HashPool) -> Self {
        self.pool = pool;
        self
    }

    /// Sets the verified-credential cache; `None` turns caching off.
    pub fn cache(mut self, cache: Option<CredentialCache>) -> Self {
        self.cache = cache;
        self
    }

    /// Sets the policy the dummy hash for unknown users is made with (and which
    /// [`needs_rehash`](Self::needs_rehash) applies).
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

    /// Whether `stored` is weaker than this verifier's policy.
    pub fn needs_rehash(&self, stored: &str) -> bool {
        self.policy.needs_rehash(stored)
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

impl<L, Fut, U, P> BasicVerifier for HashedPasswords<L>
where
    L: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Verdict<User = (U, P)>,
    U: Clone + Send + Sync + 'static,
    P: AsRef<str> + Send + 'static,
{
    type User = U;
    type Error = BoxError;
    type Future = BoxedVerifyFuture<U, BoxError>;

    fn verify(&self, credentials: BasicCredentials) -> Self::Future {
        let (username, password) = credentials.into_parts();
        let lookup = (self.lookup)(username.clone());
        let pool = self.pool.clone();
        let cache = self.cache.clone();
        let policy = self.policy.clone();
        let dummy = self.dummy.clone();
        Box::pin(async move {
            let found = lookup.await.into_result().map_err(Into::into)?;
            let Some((user, stored)) = found else {
                // Unknown user: the same work against the dummy, then no.
                pool.run(move || {
                    let dummy = dummy.get_or_init(|| policy.hash("not a password").unwrap_or_default());
                    let _ = verify_password(&password, dummy);
                })
                .await?;
                return Ok(None);
            };
            let stored: String = stored.as_ref().to_owned();
            // An empty password is never accepted (`Basic` never hands one over; this covers
            // direct calls), after the same hash.
            let empty = password.is_empty();
            let key = match &cache {
                Some(c) if !empty => match c.check(&username, &password, stored.as_bytes()) {
                    Ok(()) => return Ok(Some(user)),
                    Err(key) => Some(key),
                },
                _ => None,
            };
            let ok = pool
                .run(move || verify_password(&password, &stored))
                .await?
                .map_err(|e| {
                    tracing::error!(error = %e, "stored password hash cannot be checked");
                    e
                })?;
            if !ok || empty {
                return Ok(None);
            }
            if let (Some(c), Some(key)) = (cache, key) {
                c.remember(key);
            }
            Ok(Some(user))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> HashPolicy {
        HashPolicy::argon2id(256, 1, 1).unwrap()
    }

    #[test]
    fn argon2_variants_scrypt_pbkdf2_bcrypt() {
        use argon2::password_hash::PasswordHasher as _;
        let pw = b"hunter2";
        let params = Params::new(256, 1, 1, None).unwrap();
        for alg in [Algorithm::Argon2i, Algorithm::Argon2d, Algorithm::Argon2id] {
            let h = Argon2::new(alg, Version::V0x13, params.clone())
                .hash_password(pw)
                .unwrap()
                .to_string();
            assert_eq!(verify_password("hunter2", &h), Ok(true), "{h}");
            assert_eq!(verify_password("hunter3", &h), Ok(false), "{h}");
            assert!(needs_rehash(&h));
        }
        let scrypt = scrypt::Scrypt::from(scrypt::Params::new(4, 8, 1).unwrap())
            .hash_password(pw)
            .unwrap()
            .to_string();
        assert!(scrypt.starts_with("$scrypt$"));
        assert_eq!(verify_password("hunter2", &scrypt), Ok(true));
        assert_eq!(verify_password("hunter3", &scrypt), Ok(false));
        // RFC 6070-style PHC vector from the pbkdf2 crate.
        let pbkdf2 = "$pbkdf2-sha256$i=4096,l=40$c2FsdFNBTFRzYWx0U0FMVHNhbHRTQUxUc2FsdFNBTFRzYWx0$NIyJ28vTKy8y2BS4EW6EzysXNH68GAAYHE4qH7jdU+HGNVGMfaxH6Q";
        assert_eq!(verify_password("passwordPASSWORDpassword", pbkdf2), Ok(true));
        assert_eq!(verify_password("password", pbkdf2), Ok(false));
        for prefix in ["2a", "2b", "2y"] {
            let h = bcrypt::hash_with_result("hunter2", 4)
                .unwrap()
                .format_for_version(match prefix {
                    "2a" => bcrypt::Version::TwoA,
                    "2b" => bcrypt::Version::TwoB,
                    _ => bcrypt::Version::TwoY,
                });
            assert!(h.starts_with(&format!("${prefix}$04$")));
            assert_eq!(verify_password("hunter2", &h), Ok(true));
            assert_eq!(verify_password("hunter3", &h), Ok(false));
            assert!(needs_rehash(&h));
        }
    }

    #[test]
    fn unknown_and_malformed() {
        assert_eq!(verify_password("x", "plain"), Err(HashError::UnknownFormat));
        assert_eq!(verify_password("x", "$sha1$1$abc$def"), Err(HashError::UnknownFormat));
        assert!(matches!(
            verify_password("x", "$argon2id$garbage"),
            Err(HashError::Malformed(_))
        ));
        assert!(matches!(
            verify_password("x", "$2y$05$short"),
            Err(HashError::Malformed(_))
        ));
        assert!(needs_rehash("garbage"));
    }

    #[test]
    fn policy_defaults_and_rehash() {
        let d = HashPolicy::default();
        assert_eq!((d.params.m_cost(), d.params.t_cost(), d.params.p_cost()), (19456, 2, 1));
        let weak = cheap().hash("pw").unwrap();
        assert!(d.needs_rehash(&weak));
        assert!(!cheap().needs_rehash(&weak));
        let stronger = HashPolicy::argon2id(512, 2, 1).unwrap().hash("pw").unwrap();
        assert!(!cheap().needs_rehash(&stronger));
        assert!(HashPolicy::argon2id(0, 0, 0).is_err());
    }
}

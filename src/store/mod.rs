//! Password storage done right: slow password hashes, Apache `htpasswd` and `htdigest`
//! files, and a cache of verified credentials.
//!
//! | item | feature | what it is |
//! |---|---|---|
//! | [`HashPolicy`], [`hash_password`], [`verify_password`], [`needs_rehash`] | `password-hash` | Argon2id for new hashes (OWASP minimums by default); Argon2i/d/id, scrypt, PBKDF2 PHC strings and bcrypt verified |
//! | [`HashedPasswords`] | `password-hash` | a Basic verifier over your user store of (user, hash) |
//! | [`Htpasswd`] | `htpasswd` | every format the real `htpasswd` writes (plaintext only with [`FileOptions::allow_plaintext`]), as a Basic verifier |
//! | [`Htdigest`] | `htdigest` | `user:realm:HA1` lookups for Digest |
//! | [`CredentialCache`], [`HashPool`] | `password-hash` or `htpasswd` | skip repeated slow hashes; run them off the executor |
//!
//! With the `tokio` feature, slow hashes run on tokio's blocking thread pool under a
//! concurrency limit ([`HashPool`]); without it they run on the thread polling the request.
//!
//! Basic clients send the password with every request, and a slow hash (bcrypt cost 10:
//! some 50 ms of CPU) on each would make every request slow and a burst of requests a
//! denial of service. The [`CredentialCache`] remembers verified credentials for a few
//! minutes, so only the first request of a client pays for the hash.
//!
//! BENCHMARKS.md has the figures: whole-server throughput with the cache on and off
//! (`benches/load.rs`), beside nginx and Apache on the same file (`benches/peers.rs`), and
//! the cache's hit ratio and memory at a million users (`benches/growth.rs`).
//!
//! The file stores reload their file when it changes, keep the last good version when it
//! no longer loads, and report malformed lines by number ([`LoadError`]). `htpasswd` and
//! `htdigest` rewrite a file in place, so a reload may read it cut off: a line cut off in
//! its name or hash is malformed (every hash format has a fixed length and alphabet; a
//! plaintext password must end with a line ending), so the last good version stays in use
//! until the write completes.
//!
//! **Unknown users** cost what known ones do only where the stored hashes share one
//! algorithm and cost: [`Htpasswd`] checks them against the file's costliest entry (and
//! warns at load when the file mixes costs), [`HashedPasswords`] against a dummy hash of its
//! policy (or the one you give). A user whose hash is cheaper than that answers faster,
//! which tells that the user exists.

#[cfg(feature = "htpasswd")]
mod apr1;
#[cfg(any(feature = "htpasswd", feature = "password-hash"))]
mod cache;
#[cfg(feature = "htpasswd")]
mod des;
#[cfg(any(feature = "htpasswd", feature = "htdigest"))]
mod file;
#[cfg(feature = "password-hash")]
mod hash;
#[cfg(feature = "htdigest")]
mod htdigest;
#[cfg(feature = "htpasswd")]
mod htpasswd;
#[cfg(any(feature = "htpasswd", feature = "password-hash"))]
mod pool;

#[cfg(any(feature = "htpasswd", feature = "password-hash"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "htpasswd", feature = "password-hash"))))]
pub use cache::{CacheStats, CredentialCache, DEFAULT_CACHE_CAPACITY, DEFAULT_CACHE_TTL};
#[cfg(any(feature = "htpasswd", feature = "htdigest"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "htpasswd", feature = "htdigest"))))]
pub use file::{DEFAULT_MAX_FILE_SIZE, DEFAULT_MAX_LINES, DEFAULT_RELOAD_INTERVAL, FileOptions, LineError, LoadError};
#[cfg(feature = "password-hash")]
#[cfg_attr(docsrs, doc(cfg(feature = "password-hash")))]
pub use hash::{
    HashError, HashPolicy, HashedPasswords, OWASP_M_COST, OWASP_P_COST, OWASP_T_COST, hash_password, needs_rehash,
    verify_password,
};
#[cfg(feature = "htdigest")]
#[cfg_attr(docsrs, doc(cfg(feature = "htdigest")))]
pub use htdigest::Htdigest;
#[cfg(feature = "htpasswd")]
#[cfg_attr(docsrs, doc(cfg(feature = "htpasswd")))]
pub use htpasswd::{Htpasswd, HtpasswdFormat};
#[cfg(any(feature = "htpasswd", feature = "password-hash"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "htpasswd", feature = "password-hash"))))]
pub use pool::{HashPool, PoolError};

/// The boxed verification future of the store verifiers. A password hash costs
/// milliseconds; one allocation per request is nothing next to it, and boxing keeps the
/// future nameable.
#[cfg(any(feature = "htpasswd", feature = "password-hash"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "htpasswd", feature = "password-hash"))))]
pub type BoxedVerifyFuture<U, E> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Option<U>, E>> + Send + 'static>>;

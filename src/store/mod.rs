//! Password storage done right: slow password hashes, Apache `htpasswd` and `htdigest`
//! files, and a cache of verified credentials.
//!
//! ```
//! # #[cfg(feature = "htpasswd")] {
//! use tower_httpauth::{AuthLayer, Basic};
//! use tower_httpauth::store::Htpasswd;
//!
//! // Written by `htpasswd -nbm Mufasa 'Circle of Life'`; `Htpasswd::open(path)` reads a file.
//! let users = Htpasswd::parse(b"Mufasa:$apr1$SFEr/xiz$uDWk3HJkJ9aVYpKvfyXiq.\n").unwrap();
//! let layer = AuthLayer::new(Basic::new(users).realm("staff"));
//! # let _ = layer;
//! # }
//! ```
//!
//! | item | feature | what it is |
//! |---|---|---|
//! | [`HashPolicy`] | `password-hash` | Argon2id for new hashes (OWASP's minimums by default), `needs_rehash`; Argon2 PHC strings verified, and scrypt, PBKDF2 and bcrypt with the features of those names |
//! | [`HashedPasswords`] | `password-hash` | a Basic verifier over your user store of (user, hash) |
//! | [`Htpasswd`] | `htpasswd` | every format the real `htpasswd` writes (plaintext only with [`FileOptions::allow_plaintext`]), as a Basic verifier |
//! | [`Htdigest`] | `htdigest` | `user:realm:HA1` lookups for Digest |
//! | [`FileOptions`], [`LoadError`] | `htpasswd` or `htdigest` | how the files are read and reloaded, and why one did not load |
//! | [`CredentialCache`], [`HashPool`], [`HashError`] | `password-hash` or `htpasswd` | skip repeated slow hashes; run them off the executor |
//!
//! # Slow hashes
//!
//! With the `tokio` feature, slow hashes run on tokio's blocking thread pool under a
//! concurrency limit ([`HashPool`]); without it they run on the thread polling the request.
//!
//! Basic clients send the password with every request, and a slow hash on each would make
//! every request slow and a burst of requests a denial of service. The [`CredentialCache`]
//! remembers verified credentials for a few minutes, so only the first request of a client
//! pays for the hash.
//!
//! BENCHMARKS.md has the figures: whole-server throughput with the cache on and off
//! (`benches/load.rs`), beside nginx and Apache on the same file (`benches/peers.rs`), and
//! the cache's hit ratio and memory at a million users (`benches/growth.rs`).
//!
//! # Files
//!
//! The file stores keep the parsed file in memory and publish a new version atomically;
//! requests read the version in use and never touch the file system. With the `tokio`
//! feature a background task looks at the file every
//! [`reload_interval`](FileOptions::reload_interval) and reads it again, on tokio's blocking
//! threads, when it changed. Without the `tokio` feature nothing reloads on its own: call the
//! store's `reload` (on `SIGHUP`, from an admin endpoint). A file that no longer loads leaves
//! the last good version in use, and malformed lines are reported by number
//! ([`LoadError`]). `htpasswd` and `htdigest` rewrite a file in place, so a reload may read
//! it cut off: a line cut off in its name or hash is malformed (every hash format has a
//! fixed length and alphabet; a plaintext password must end with a line ending), so the
//! last good version stays in use until the write completes.
//!
//! # Unknown users
//!
//! Unknown users cost what known ones do only where the stored hashes share one algorithm
//! and cost: [`Htpasswd`] checks them against the file's costliest entry (and warns at load
//! when the file mixes costs), [`HashedPasswords`] against a dummy hash of its policy (or
//! the one you give). A user whose hash is cheaper than that answers faster, which tells
//! that the user exists.

#[cfg(any(feature = "htpasswd", feature = "password-hash"))]
mod cache;
#[cfg(any(feature = "htpasswd", feature = "password-hash"))]
mod error;
#[cfg(any(feature = "htpasswd", feature = "htdigest"))]
mod file;
#[cfg(feature = "password-hash")]
mod hash;
#[cfg(feature = "password-hash")]
mod hashed;
#[cfg(feature = "htdigest")]
mod htdigest;
#[cfg(feature = "htpasswd")]
mod htpasswd;
#[cfg(any(feature = "htpasswd", feature = "password-hash"))]
mod pool;
#[cfg(any(feature = "htpasswd", feature = "htdigest"))]
mod reload;

#[cfg(any(feature = "htpasswd", feature = "password-hash"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "htpasswd", feature = "password-hash"))))]
pub use cache::CredentialCache;
#[cfg(any(feature = "htpasswd", feature = "password-hash"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "htpasswd", feature = "password-hash"))))]
pub use error::HashError;
#[cfg(any(feature = "htpasswd", feature = "htdigest"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "htpasswd", feature = "htdigest"))))]
pub use file::{FileOptions, LoadError};
#[cfg(feature = "password-hash")]
#[cfg_attr(docsrs, doc(cfg(feature = "password-hash")))]
pub use hash::HashPolicy;
#[cfg(feature = "password-hash")]
#[cfg_attr(docsrs, doc(cfg(feature = "password-hash")))]
pub use hashed::HashedPasswords;
#[cfg(feature = "htdigest")]
#[cfg_attr(docsrs, doc(cfg(feature = "htdigest")))]
pub use htdigest::Htdigest;
#[cfg(feature = "htpasswd")]
#[cfg_attr(docsrs, doc(cfg(feature = "htpasswd")))]
pub use htpasswd::Htpasswd;
#[cfg(any(feature = "htpasswd", feature = "password-hash"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "htpasswd", feature = "password-hash"))))]
pub use pool::HashPool;

/// The verification future of [`HashedPasswords`] and [`Htpasswd`]. A password hash is slow;
/// one allocation per request is nothing next to it, and boxing keeps the future nameable.
#[cfg(any(feature = "htpasswd", feature = "password-hash"))]
type BoxFuture<U> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<U, crate::failure::AuthFailure>> + Send + 'static>>;

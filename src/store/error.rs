//! [`HashError`]: why a password could not be hashed or checked.

use std::fmt;

/// Why a password could not be hashed, or a stored hash could not be checked.
///
/// A verifier answers each of these with `500` (logged without the hash), never with a
/// pass or a `401`: the store itself is wrong, not the client.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HashError {
    /// The stored hash is not a PHC string or bcrypt hash this crate knows.
    UnknownFormat,
    /// The stored hash is of a format whose feature of this crate is off (named here:
    /// `scrypt`, `pbkdf2` or `bcrypt`).
    FeatureOff(&'static str),
    /// The stored hash has a known format but is malformed (bad parameters, encoding).
    Malformed(String),
    /// Hashing failed (parameters out of range, no randomness).
    Hashing(String),
    /// The hash job did not finish: it panicked, or its runtime is shutting down
    /// ([`HashPool::run`](super::HashPool::run)).
    Aborted(String),
}

impl fmt::Display for HashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HashError::UnknownFormat => f.write_str("unknown password hash format"),
            HashError::FeatureOff(feature) => {
                write!(
                    f,
                    "checking this password hash needs the `{feature}` feature of tower-httpauth"
                )
            }
            HashError::Malformed(e) => write!(f, "malformed password hash: {e}"),
            HashError::Hashing(e) => write!(f, "password hashing failed: {e}"),
            HashError::Aborted(e) => write!(f, "password hash job failed: {e}"),
        }
    }
}

impl std::error::Error for HashError {}

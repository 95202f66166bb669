//! [`Passwords`]: Basic over your store of (hashed) passwords.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use http::request::Parts;

use super::BasicCredentials;
use crate::compare::constant_time_eq;
use crate::failure::AuthFailure;
use crate::verify::{Verdict, Verifier};

type HashFn = dyn Fn(&str) -> Vec<u8> + Send + Sync;

/// A Basic verifier over a store of (hashed) passwords, like Flask-HTTPAuth's
/// `get_password` + `hash_password`.
///
/// `lookup` receives the user-id and returns the user with their stored password (or its
/// hash): `Some((user, stored))`, `None` for an unknown user, or an error (see
/// [`Verdict`]). The presented password goes through the hash function, if one is set with
/// [`hash_with`](Self::hash_with), and is compared with the stored value in constant time;
/// an empty password is never accepted (an empty stored value matches nothing).
/// An unknown user costs the same hashing and comparison as a known one; what remains is
/// your lookup's own timing, so keep lookups uniform in cost if that matters to you.
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::Arc;
/// use tower_httpauth::{AuthLayer, Basic};
/// use tower_httpauth::basic::Passwords;
///
/// // user-id -> hex(SHA-256(password)), as an app might keep them.
/// let users: Arc<HashMap<String, String>> = Arc::new(HashMap::from([(
///     "john".to_string(),
///     "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824".to_string(),
/// )]));
///
/// let verifier = Passwords::new(move |name: String| {
///     let users = users.clone();
///     async move { users.get(&name).map(|hash| (name, hash.clone())) }
/// })
/// .hash_with(|password: &str| {
///     use sha2::Digest;
///     sha2::Sha256::digest(password.as_bytes()).iter().map(|b| format!("{b:02x}")).collect::<String>()
/// });
/// let layer = AuthLayer::new(Basic::new(verifier));
/// # let _ = layer;
/// ```
///
/// For slow password hashes (Argon2, bcrypt) the hash depends on a salt stored with it: use
/// `store::HashedPasswords` (feature `password-hash`) instead.
///
/// The lookup gets the user-id, and the hash function the password, in their RFC 8265
/// forms unless [`Basic::precis`](super::Basic::precis) is off: store (hashes of) those
/// forms, see [`precis`](crate::precis).
pub struct Passwords<L> {
    lookup: L,
    hash: Option<Arc<HashFn>>,
}

impl<L> Passwords<L> {
    /// Passwords looked up by `lookup` and compared as they are.
    pub fn new(lookup: L) -> Self {
        Passwords { lookup, hash: None }
    }

    /// Turns each presented password into the form it is stored in before comparing.
    pub fn hash_with<H, T>(mut self, hash: H) -> Self
    where
        H: Fn(&str) -> T + Send + Sync + 'static,
        T: Into<Vec<u8>>,
    {
        self.hash = Some(Arc::new(move |password: &str| hash(password).into()));
        self
    }
}

impl<L> fmt::Debug for Passwords<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Passwords").finish_non_exhaustive()
    }
}

impl<L, Fut, U, P> Verifier<BasicCredentials> for Passwords<L>
where
    L: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Verdict<User = (U, P)>,
    U: Clone + Send + Sync + 'static,
    P: AsRef<[u8]>,
{
    type User = U;
    type Future = Pin<Box<dyn Future<Output = Result<U, AuthFailure>> + Send>>;

    fn verify(&self, credentials: BasicCredentials, _request: &Parts) -> Self::Future {
        let (username, password) = credentials.into_parts();
        // `Basic` never hands an empty password over; this covers direct calls.
        let nonempty = !password.is_empty();
        let presented = match &self.hash {
            Some(hash) => hash(&password),
            None => password.into_bytes(),
        };
        let lookup = (self.lookup)(username);
        Box::pin(async move {
            match lookup.await.into_outcome() {
                Ok((user, stored)) => {
                    if constant_time_eq(&presented, stored.as_ref()) & nonempty {
                        Ok(user)
                    } else {
                        Err(AuthFailure::invalid())
                    }
                }
                // Unknown user: the same comparison against a stand-in, then no.
                Err(f) if f.kind() == crate::FailureKind::InvalidCredentials => {
                    let _ = constant_time_eq(&presented, &presented);
                    Err(f)
                }
                Err(f) => Err(f),
            }
        })
    }
}

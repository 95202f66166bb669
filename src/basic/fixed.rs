//! [`StaticCredentials`]: one fixed user-id and password.

use std::fmt;
use std::future::{Ready, ready};

use http::request::Parts;

use super::BasicCredentials;
use crate::compare::constant_time_eq;
use crate::failure::AuthFailure;
use crate::verify::Verifier;

/// A verifier for one fixed user-id and password, compared in constant time; the user is
/// `()`. For a gate in front of a whole service, single-user tools and tests.
///
/// ```
/// use tower_httpauth::{AuthLayer, Basic, StaticCredentials};
/// let layer = AuthLayer::new(Basic::new(StaticCredentials::new("admin", "s3cret")));
/// # let _ = layer;
/// ```
///
/// The user-id and password are kept in their RFC 8265 forms (see
/// [`Basic::precis`](super::Basic::precis)).
#[derive(Clone)]
pub struct StaticCredentials {
    username: Box<[u8]>,
    password: Box<[u8]>,
}

impl StaticCredentials {
    /// The verifier for `username` and `password`.
    pub fn new(username: &str, password: &str) -> Self {
        StaticCredentials {
            username: crate::precis::username_or_same(username).as_bytes().into(),
            password: crate::precis::password_or_same(password).as_bytes().into(),
        }
    }
}

impl fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("password", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl Verifier<BasicCredentials> for StaticCredentials {
    type User = ();
    type Future = Ready<Result<(), AuthFailure>>;

    fn verify(&self, c: BasicCredentials, _request: &Parts) -> Self::Future {
        // Both comparisons always run: `&`, not `&&`.
        let ok = constant_time_eq(c.username().as_bytes(), &self.username)
            & constant_time_eq(c.password().as_bytes(), &self.password);
        ready(if ok { Ok(()) } else { Err(AuthFailure::invalid()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_password() {
        assert!(!format!("{:?}", StaticCredentials::new("a", "hunter2")).contains("hunter2"));
    }
}

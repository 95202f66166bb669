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
/// use tower_httpauth::{AuthLayer, Basic};
/// use tower_httpauth::basic::StaticCredentials;
/// let layer = AuthLayer::new(Basic::new(StaticCredentials::new("admin", "s3cret")));
/// # let _ = layer;
/// ```
///
#[derive(Clone)]
pub struct StaticCredentials {
    username: Box<[u8]>,
    password: Box<[u8]>,
}

impl StaticCredentials {
    /// The verifier for `username` and `password`, kept in their RFC 8265 enforced forms
    /// (see [`precis`](crate::precis)), which is what [`Basic`](super::Basic) hands over by
    /// default: a password given decomposed (`e` + U+0301) matches one sent precomposed
    /// (`é`), and `ｊｏｈｎ` matches `john`. Another form the profiles refuse is kept as given:
    /// it never matches while [`Basic`](super::Basic) enforces, and matches byte for byte
    /// with [`Precis::Off`](crate::precis::Precis::Off).
    ///
    /// # Panics
    ///
    /// If `username` or `password` is empty. Both are configuration (often read from the
    /// environment, where an unset variable reads as empty), so the mistake shows when the
    /// service starts instead of as a door that opens for `Basic Og==`;
    /// [`Basic`](super::Basic) refuses empty passwords anyway.
    ///
    /// ```should_panic
    /// # use tower_httpauth::basic::StaticCredentials;
    /// let password = std::env::var("UNSET_ADMIN_PASSWORD").unwrap_or_default();
    /// let _ = StaticCredentials::new("admin", &password); // panics: empty password
    /// ```
    pub fn new(username: &str, password: &str) -> Self {
        assert!(
            !username.is_empty(),
            "StaticCredentials::new: the user-id is empty (an unset environment variable?)"
        );
        assert!(
            !password.is_empty(),
            "StaticCredentials::new: the password is empty (an unset environment variable?); \
             an empty password would let in anyone who knows the user-id"
        );
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

//! [`StaticTokens`]: fixed tokens (API keys), each standing for a user.

use std::fmt;
use std::future::{Ready, ready};

use http::request::Parts;

use super::Token;
use crate::compare::constant_time_eq;
use crate::failure::AuthFailure;
use crate::verify::Verifier;

/// A verifier accepting fixed tokens (API keys), compared in constant time; the user is the
/// value given with each key: a name (`StaticTokens::new()`, users are `String`s) or any
/// `Clone` type (`StaticTokens::<U>::default()`). For tests, demos and small services.
///
/// ```
/// use tower_httpauth::{AuthLayer, Bearer};
/// use tower_httpauth::bearer::StaticTokens;
/// let keys = StaticTokens::new().with("demo-key-123", "demo");
/// let layer = AuthLayer::new(Bearer::api_key("x-api-key", keys));
///
/// // One fixed token, nothing handed on: a gate, like tower-http's
/// // `ValidateRequestHeaderLayer::bearer`.
/// let gate = AuthLayer::new(Bearer::new(StaticTokens::<()>::default().with("s3cret-t0ken", ())))
///     .insert_user(false);
/// # let _ = (layer, gate);
/// ```
#[derive(Clone)]
pub struct StaticTokens<U = String> {
    tokens: Vec<(Box<[u8]>, U)>,
}

impl<U> Default for StaticTokens<U> {
    fn default() -> Self {
        StaticTokens { tokens: Vec::new() }
    }
}

impl StaticTokens {
    /// An empty set of tokens whose users are names (`String`).
    pub fn new() -> Self {
        Self::default()
    }
}

impl<U> StaticTokens<U> {
    /// Adds a token and the user it stands for.
    pub fn with(mut self, token: &str, user: impl Into<U>) -> Self {
        self.tokens.push((token.as_bytes().into(), user.into()));
        self
    }
}

impl<U: Clone> StaticTokens<U> {
    fn find(&self, token: &[u8]) -> Option<U> {
        // Compare against every key, so timing does not tell which one matched.
        let mut found = None;
        for (key, user) in &self.tokens {
            if constant_time_eq(token, key) && found.is_none() {
                found = Some(user.clone());
            }
        }
        found
    }
}

impl<U: fmt::Debug> fmt::Debug for StaticTokens<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticTokens")
            .field("users", &self.tokens.iter().map(|(_, u)| u).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl<U: Clone + Send + Sync + 'static> Verifier<Token> for StaticTokens<U> {
    type User = U;
    type Future = Ready<Result<U, AuthFailure>>;

    fn verify(&self, token: Token, _request: &Parts) -> Self::Future {
        ready(self.find(token.as_bytes()).ok_or_else(AuthFailure::invalid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_finds_its_user_and_nothing_else_does() {
        let keys = StaticTokens::new().with("a", "alice").with("bb", "bob");
        assert_eq!(keys.find(b"a").as_deref(), Some("alice"));
        assert_eq!(keys.find(b"bb").as_deref(), Some("bob"));
        for other in [&b""[..], b"b", b"bbb", b"A"] {
            assert_eq!(keys.find(other), None);
        }
    }

    #[test]
    fn debug_hides_the_keys() {
        let d = format!("{:?}", StaticTokens::new().with("s3cret-key", "svc"));
        assert!(!d.contains("s3cret"), "{d}");
    }
}

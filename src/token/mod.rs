//! Signed, expiring tokens (the REST-auth pattern) and, with the `jwt` feature, JSON Web
//! Tokens.
//!
//! A client logs in once with a password, receives a token signed by the server, and sends
//! it with every later request (`Authorization: Bearer <token>`). [`SignedTokens`] issues and
//! verifies such tokens, and is itself a [`Verifier`](crate::Verifier) of
//! [`Token`](crate::Token)s that plugs into [`Bearer`](crate::Bearer):
//!
//! ```
//! use std::time::Duration;
//! use tower_httpauth::{AuthLayer, AuthUser, Bearer};
//! use tower_httpauth::token::Claims;
//! use tower_httpauth::token::SignedTokens;
//!
//! // Keys come from your secret store; at least 32 random bytes each.
//! let tokens = SignedTokens::new("2024-06", b"a 32-byte (or longer) random key!".to_vec())
//!     .ttl(Duration::from_secs(3600));
//!
//! // In the login handler, after checking the password:
//! let token = tokens.issue_with("john", &[("roles", "admin")], tokens.token_ttl()).unwrap();
//! assert_eq!(tokens.verify(&token).unwrap().subject(), "john");
//!
//! // On protected routes the user is the token's `Claims`.
//! let layer = AuthLayer::new(Bearer::new(tokens.clone()))
//!     .roles_from(|c: &Claims| c.words("roles"))
//!     .require_role("admin");
//! async fn handler(AuthUser(claims): AuthUser<Claims>) -> String {
//!     format!("hello {}", claims.subject())
//! }
//! # let _ = (layer, handler);
//! ```
//!
//! The format of these tokens, what it protects against and its test vector are in
//! [`SignedTokens`](SignedTokens#format-frozen). Tokens are signed, **not encrypted**:
//! clients can read the claims. Use the `jwt` feature (`token::jwt`) for rich JSON claims,
//! audiences and tokens other systems verify.
//!
//! # Key rotation
//!
//! One key signs; several are accepted, each under its id ([`SignedTokens::accept`]). To
//! rotate: add the new key as an accepted key everywhere, then make it the signing key
//! and keep the old one accepted until the last token it signed has expired.
//!
//! # Why a token is refused
//!
//! [`TokenError`] tells the reasons apart: malformed, bad signature, unknown key,
//! expired, not yet valid, revoked. The client's `error_description` says "expired",
//! "revoked", "malformed" or "signature is invalid"; a token naming a key the server does
//! not have gets the same description (and costs the same time) as a forged signature, so
//! answers do not reveal which key ids exist. The typed reason is the failure's
//! [`source`](crate::AuthFailure::source), for logs.
//!
//! # Revocation
//!
//! [`SignedTokens::revocation`] installs a [`Revocation`] hook asked, after the signature and
//! the expiry have been checked, whether the token (its [`Claims::id`], its subject, …) has
//! been revoked, e.g. on logout. An error of the hook is answered `500`. A fleet shares one
//! list: `redis::RedisRevocations` (feature `redis`) is such a hook, for signed tokens and
//! JWTs.

use std::future::Future;
use std::pin::Pin;

use crate::BoxError;

mod claims;
#[cfg(feature = "jwt")]
#[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
pub mod jwt;
mod signed;

pub use claims::Claims;
pub use signed::{SignedTokens, TokenError};

/// The future a [`Revocation`] hook answers with.
pub(crate) type RevocationFuture = Pin<Box<dyn Future<Output = Result<bool, BoxError>> + Send + 'static>>;

/// Decides whether a verified token has been revoked: by its [`Claims`] for
/// [`SignedTokens::revocation`], by its `jti` (a `str`) for `Jwt::revocation` (feature
/// `jwt`).
///
/// Implemented for async closures `Fn(&K) -> impl Future<Output = Result<bool, E>>`; the
/// future must not borrow `K` (copy what it needs, such as [`Claims::id`]). An error `E` is
/// answered `500` (fail closed: the token is neither accepted nor called invalid). The trait
/// is object-safe, so that a store can be shared as `Arc<dyn Revocation>`; an implementation
/// by hand boxes its future:
///
/// ```
/// use std::collections::HashSet;
/// use std::future::Future;
/// use std::pin::Pin;
/// use tower_httpauth::BoxError;
/// use tower_httpauth::token::Claims;
/// use tower_httpauth::token::Revocation;
///
/// struct Revoked(HashSet<String>);
///
/// impl Revocation for Revoked {
///     fn is_revoked(&self, claims: &Claims) -> Pin<Box<dyn Future<Output = Result<bool, BoxError>> + Send>> {
///         let revoked = self.0.contains(&claims.id());
///         Box::pin(async move { Ok(revoked) })
///     }
/// }
/// ```
pub trait Revocation<K: ?Sized = Claims>: Send + Sync + 'static {
    /// Whether the token identified by `key` is revoked.
    fn is_revoked(&self, key: &K) -> Pin<Box<dyn Future<Output = Result<bool, BoxError>> + Send + 'static>>;
}

impl<K, F, Fut, E> Revocation<K> for F
where
    K: ?Sized,
    F: Fn(&K) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<bool, E>> + Send + 'static,
    E: Into<BoxError>,
{
    fn is_revoked(&self, key: &K) -> RevocationFuture {
        let fut = self(key);
        Box::pin(async move { fut.await.map_err(Into::into) })
    }
}

mod future {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll, ready};

    use super::RevocationFuture;
    use crate::failure::AuthFailure;

    /// The verification of a token that has passed its checks, or failed them: done at once,
    /// or once the revocation hook has answered.
    pub struct Checked<U> {
        revocation: Option<RevocationFuture>,
        outcome: Option<Result<U, AuthFailure>>,
        /// The refusal of a revoked token.
        revoked: fn() -> AuthFailure,
    }

    // `U` is never pinned: it is moved out when the hook has answered.
    impl<U> Unpin for Checked<U> {}

    impl<U> Checked<U> {
        /// Nothing left to ask.
        pub(crate) fn done(outcome: Result<U, AuthFailure>) -> Self {
            Checked {
                revocation: None,
                outcome: Some(outcome),
                revoked: AuthFailure::invalid,
            }
        }

        /// `user`, unless `revocation` says the token is revoked (refused with `revoked()`) or
        /// fails (`500`).
        pub(crate) fn revocation(revocation: RevocationFuture, user: U, revoked: fn() -> AuthFailure) -> Self {
            Checked {
                revocation: Some(revocation),
                outcome: Some(Ok(user)),
                revoked,
            }
        }
    }

    impl<U> Future for Checked<U> {
        type Output = Result<U, AuthFailure>;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
            let this = self.get_mut();
            if let Some(check) = this.revocation.as_mut() {
                let answer = ready!(check.as_mut().poll(cx));
                this.revocation = None;
                match answer {
                    Ok(false) => {}
                    Ok(true) => return Poll::Ready(Err((this.revoked)())),
                    Err(e) => return Poll::Ready(Err(AuthFailure::internal(e))),
                }
            }
            Poll::Ready(this.outcome.take().expect("Checked polled after completion"))
        }
    }
}

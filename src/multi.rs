//! Several schemes on one route: Basic, Bearer, API keys, Digest, … behind one layer.
//!
//! [`Multi`] composes schemes that share a user type. For each request it picks the scheme
//! whose credentials the request carries ([`Scheme::detect`]: the scheme name in
//! `Authorization`, matched case-insensitively, or the presence of a custom header, query
//! parameter or cookie):
//!
//! - exactly one scheme detected → that scheme authenticates the request;
//! - credentials for two schemes at once → `400` (ambiguous request);
//! - none → `401` carrying **every** scheme's challenge, one `WWW-Authenticate` field each,
//!   in the order the schemes were added (RFC 9110 §11.6.1: clients pick the first one they
//!   support, so put the preferred scheme first).
//!
//! Roles, optional mode, exempt methods and the failure hook work as with one scheme,
//! because [`Multi`] is itself a [`Scheme`]. Dispatch is static: `Multi<Or<Or<A, B>, C>>`,
//! with an enum future, and no boxing.
//!
//! ```
//! use tower_httpauth::{AuthLayer, Basic, BasicCredentials, Bearer, Multi, Token};
//! use tower_httpauth::bearer::StaticTokens;
//!
//! let basic = Basic::new(|c: BasicCredentials| async move {
//!     (c.username() == "john" && c.password() == "hello").then(|| "john".to_string())
//! });
//! let bearer = Bearer::new(|t: Token| async move { (t.as_str() == "t0k3n").then(|| "john".to_string()) });
//! let api_key = Bearer::api_key("x-api-key", StaticTokens::new().with("demo-key-123", "demo"));
//!
//! let layer = AuthLayer::new(Multi::new(basic).or(bearer).or(api_key));
//! # let _ = layer;
//! ```
//!
//! When a token scheme's credentials are refused, only that scheme's challenge carries the
//! `error` parameter; the others are sent plain. Token schemes tell their failures apart by
//! the label they record in the failure, so give two token schemes in one `Multi` different
//! labels ([`Bearer::api_key`](crate::Bearer::api_key) already uses `"ApiKey"`).

use std::borrow::Cow;
use std::fmt;

use http::HeaderMap;
use http::request::Parts;

use crate::failure::AuthFailure;
use crate::scheme::{AuthRequest, Scheme};

/// Several schemes behind one layer; see the [module docs](self).
#[derive(Clone)]
pub struct Multi<S> {
    inner: S,
}

impl<S> fmt::Debug for Multi<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Multi")
            .field("schemes", &std::any::type_name::<S>())
            .finish()
    }
}

impl<S: Scheme> Multi<S> {
    /// Starts with one scheme, the most preferred.
    pub fn new(scheme: S) -> Self {
        Multi { inner: scheme }
    }

    /// Adds a scheme, less preferred than those before it. It must yield the same user type.
    pub fn or<B>(self, scheme: B) -> Multi<Or<S, B>>
    where
        B: Scheme<User = S::User>,
    {
        Multi {
            inner: Or {
                first: self.inner,
                second: scheme,
            },
        }
    }
}

impl<S: Scheme> Scheme for Multi<S> {
    type User = S::User;
    type Future = S::Future;

    fn detect(&self, request: &AuthRequest<'_>) -> bool {
        self.inner.detect(request)
    }

    fn authenticate(&self, request: &AuthRequest<'_>) -> Self::Future {
        self.inner.authenticate(request)
    }

    fn challenge(&self, failure: &AuthFailure, challenges: &mut HeaderMap) {
        self.inner.challenge(failure, challenges)
    }

    fn username<'a>(&self, request: &AuthRequest<'a>) -> Option<Cow<'a, str>> {
        self.inner.username(request)
    }

    fn can_remove_credentials(&self) -> bool {
        self.inner.can_remove_credentials()
    }

    fn remove_credentials(&self, parts: &mut Parts) {
        self.inner.remove_credentials(parts)
    }
}

/// Two schemes, the first preferred: what [`Multi::or`] builds. You name it only to write
/// the type of a `Multi` (`Multi<Or<Basic<V>, Bearer<T>>>`).
#[derive(Clone)]
pub struct Or<A, B> {
    first: A,
    second: B,
}

impl<A, B> fmt::Debug for Or<A, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Or")
            .field("first", &std::any::type_name::<A>())
            .field("second", &std::any::type_name::<B>())
            .finish()
    }
}

impl<A, B> Scheme for Or<A, B>
where
    A: Scheme,
    B: Scheme<User = A::User>,
{
    type User = A::User;
    type Future = future::OrFuture<A::Future, B::Future>;

    fn detect(&self, request: &AuthRequest<'_>) -> bool {
        self.first.detect(request) || self.second.detect(request)
    }

    fn authenticate(&self, request: &AuthRequest<'_>) -> Self::Future {
        match (self.first.detect(request), self.second.detect(request)) {
            (true, true) => future::OrFuture::failed(AuthFailure::malformed(
                "the request carries credentials for more than one authentication scheme",
            )),
            (true, false) => future::OrFuture::first(self.first.authenticate(request)),
            (false, true) => future::OrFuture::second(self.second.authenticate(request)),
            (false, false) => future::OrFuture::failed(AuthFailure::missing()),
        }
    }

    /// Every scheme's challenges, in the order the schemes were added.
    fn challenge(&self, failure: &AuthFailure, challenges: &mut HeaderMap) {
        self.first.challenge(failure, challenges);
        self.second.challenge(failure, challenges);
    }

    /// The user-id of the one scheme the request carries credentials for.
    fn username<'a>(&self, request: &AuthRequest<'a>) -> Option<Cow<'a, str>> {
        match (self.first.detect(request), self.second.detect(request)) {
            (true, false) => self.first.username(request),
            (false, true) => self.second.username(request),
            _ => None,
        }
    }

    /// Whether both schemes can.
    fn can_remove_credentials(&self) -> bool {
        self.first.can_remove_credentials() && self.second.can_remove_credentials()
    }

    /// Both schemes remove theirs, whichever authenticated the request: a request may carry
    /// credentials for several (and is then refused), and none of them may go on.
    fn remove_credentials(&self, parts: &mut Parts) {
        self.first.remove_credentials(parts);
        self.second.remove_credentials(parts);
    }
}

mod future {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use pin_project_lite::pin_project;

    use crate::failure::AuthFailure;
    use crate::scheme::Authenticated;

    pin_project! {
        /// The future of [`Or`](super::Or): the chosen scheme's future, or an immediate failure.
        pub struct OrFuture<FA, FB> {
            #[pin]
            state: State<FA, FB>,
        }
    }

    pin_project! {
        #[project = StateProj]
        enum State<FA, FB> {
            First { #[pin] fut: FA },
            Second { #[pin] fut: FB },
            Failed { failure: Option<AuthFailure> },
        }
    }

    impl<FA, FB> OrFuture<FA, FB> {
        pub(super) fn first(fut: FA) -> Self {
            OrFuture {
                state: State::First { fut },
            }
        }

        pub(super) fn second(fut: FB) -> Self {
            OrFuture {
                state: State::Second { fut },
            }
        }

        pub(super) fn failed(failure: AuthFailure) -> Self {
            OrFuture {
                state: State::Failed { failure: Some(failure) },
            }
        }
    }

    impl<FA, FB, U> Future for OrFuture<FA, FB>
    where
        FA: Future<Output = Result<Authenticated<U>, AuthFailure>>,
        FB: Future<Output = Result<Authenticated<U>, AuthFailure>>,
    {
        type Output = Result<Authenticated<U>, AuthFailure>;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
            match self.project().state.project() {
                StateProj::First { fut } => fut.poll(cx),
                StateProj::Second { fut } => fut.poll(cx),
                StateProj::Failed { failure } => {
                    Poll::Ready(Err(failure.take().expect("OrFuture polled after completion")))
                }
            }
        }
    }
}

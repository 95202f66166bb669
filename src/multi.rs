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
//! use tower_httpauth::{AuthLayer, Basic, BasicCredentials, Bearer, Multi, StaticTokens, Token};
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
//! [label](crate::Bearer::label), so give two token schemes in one `Multi` different labels
//! ([`Bearer::api_key`](crate::Bearer::api_key) already uses `"ApiKey"`).

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::HeaderMap;
use http::request::Parts;
use pin_project_lite::pin_project;

use crate::failure::AuthFailure;
use crate::scheme::{Authenticated, Scheme, Started};

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
    /// Starts with `scheme`, the most preferred one (its challenge is sent first).
    pub fn new(scheme: S) -> Self {
        Multi { inner: scheme }
    }

    /// Adds `scheme` after the ones already added.
    pub fn or<B>(self, scheme: B) -> Multi<Or<S, B>>
    where
        B: Scheme<User = S::User>,
    {
        Multi {
            inner: Or::new(self.inner, scheme),
        }
    }

    /// The composed schemes.
    pub fn schemes(&self) -> &S {
        &self.inner
    }
}

impl<S: Scheme> Scheme for Multi<S> {
    type User = S::User;
    type Future = S::Future;

    fn detect(&self, parts: &Parts) -> bool {
        self.inner.detect(parts)
    }

    fn authenticate(&self, parts: &Parts) -> Self::Future {
        self.inner.authenticate(parts)
    }

    fn start(&self, parts: &Parts) -> Started<Result<Authenticated<S::User>, AuthFailure>, Self::Future> {
        self.inner.start(parts)
    }

    fn challenge(&self, failure: &AuthFailure, headers: &mut HeaderMap) {
        self.inner.challenge(failure, headers)
    }

    fn username<'a>(&self, parts: &'a Parts) -> Option<Cow<'a, str>> {
        self.inner.username(parts)
    }

    fn can_remove_credentials(&self) -> bool {
        self.inner.can_remove_credentials()
    }

    fn remove_credentials(&self, parts: &mut Parts) {
        self.inner.remove_credentials(parts)
    }
}

/// Two schemes, `A` preferred: the building block of [`Multi`].
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

impl<A, B> Or<A, B> {
    /// `first`, or else `second`.
    pub fn new(first: A, second: B) -> Self {
        Or { first, second }
    }

    /// The preferred scheme.
    pub fn first(&self) -> &A {
        &self.first
    }

    /// The other scheme.
    pub fn second(&self) -> &B {
        &self.second
    }
}

impl<A, B> Scheme for Or<A, B>
where
    A: Scheme,
    B: Scheme<User = A::User>,
{
    type User = A::User;
    type Future = OrFuture<A::Future, B::Future>;

    fn detect(&self, parts: &Parts) -> bool {
        self.first.detect(parts) || self.second.detect(parts)
    }

    fn authenticate(&self, parts: &Parts) -> Self::Future {
        let state = match (self.first.detect(parts), self.second.detect(parts)) {
            (true, true) => OrState::Failed {
                failure: Some(AuthFailure::malformed(
                    "the request carries credentials for more than one authentication scheme",
                )),
            },
            (true, false) => OrState::First {
                fut: self.first.authenticate(parts),
            },
            (false, true) => OrState::Second {
                fut: self.second.authenticate(parts),
            },
            (false, false) => OrState::Failed {
                failure: Some(AuthFailure::missing()),
            },
        };
        OrFuture { state }
    }

    fn start(&self, parts: &Parts) -> Started<Result<Authenticated<A::User>, AuthFailure>, Self::Future> {
        match (self.first.detect(parts), self.second.detect(parts)) {
            (true, true) => Started::Done(Err(AuthFailure::malformed(
                "the request carries credentials for more than one authentication scheme",
            ))),
            (true, false) => self.first.start(parts).map_pending(|fut| OrFuture {
                state: OrState::First { fut },
            }),
            (false, true) => self.second.start(parts).map_pending(|fut| OrFuture {
                state: OrState::Second { fut },
            }),
            (false, false) => Started::Done(Err(AuthFailure::missing())),
        }
    }

    fn challenge(&self, failure: &AuthFailure, headers: &mut HeaderMap) {
        self.first.challenge(failure, headers);
        self.second.challenge(failure, headers);
    }

    /// The user-id of the scheme whose [`detect`](Scheme::detect) matches, when exactly one
    /// does (as in [`authenticate`](Scheme::authenticate)); `None` otherwise.
    fn username<'a>(&self, parts: &'a Parts) -> Option<Cow<'a, str>> {
        match (self.first.detect(parts), self.second.detect(parts)) {
            (true, false) => self.first.username(parts),
            (false, true) => self.second.username(parts),
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

pin_project! {
    /// The future of [`Or`]: the chosen scheme's future, or an immediate failure.
    pub struct OrFuture<FA, FB> {
        #[pin]
        state: OrState<FA, FB>,
    }
}

pin_project! {
    #[project = OrStateProj]
    enum OrState<FA, FB> {
        First { #[pin] fut: FA },
        Second { #[pin] fut: FB },
        Failed { failure: Option<AuthFailure> },
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
            OrStateProj::First { fut } => fut.poll(cx),
            OrStateProj::Second { fut } => fut.poll(cx),
            OrStateProj::Failed { failure } => {
                Poll::Ready(Err(failure.take().expect("OrFuture polled after completion")))
            }
        }
    }
}

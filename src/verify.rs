//! The one verifier contract, for every scheme.
//!
//! A scheme reads credentials from the request ([`BasicCredentials`](crate::BasicCredentials),
//! a [`Token`](crate::Token), a [`DigestLookup`](crate::digest::DigestLookup)) and hands them
//! to a [`Verifier`], which answers with the user or refuses. Most verifiers are closures:
//!
//! ```
//! use tower_httpauth::{AuthLayer, Basic, BasicCredentials, constant_time_eq};
//!
//! #[derive(Clone)]
//! struct User { name: String }
//!
//! // An async closure: look the user up, compare in constant time, return the user or None.
//! let basic = Basic::new(|c: BasicCredentials| async move {
//!     let ok = c.username() == "john" && constant_time_eq(c.password().as_bytes(), b"hello");
//!     ok.then(|| User { name: c.username().to_owned() })
//! });
//! let layer = AuthLayer::new(basic);
//! # let _ = layer;
//! ```
//!
//! # What a verifier returns
//!
//! Anything that implements [`Verdict`]:
//!
//! | return | meaning |
//! |---|---|
//! | `Some(user)` / `Ok(Some(user))` / `Ok(user)` | authenticated as `user` |
//! | `None` / `Ok(None)` | wrong credentials: `401` with the challenge |
//! | `Err(AuthFailure)` | refused as the [`AuthFailure`] says, e.g. `401` with a description the client sees (Bearer's `error_description`), or `403` |
//! | `Err(e)` for any other error `e` | **your verifier failed** (its database is down): `500`, logged, never `401`, never a pass |
//!
//! The last two never mix up: an [`AuthFailure`] is a refusal and is not an error type,
//! while every error type is a failure of the verifier itself.
//!
//! # Forms
//!
//! - an async closure `Fn(C) -> impl Future<Output = impl Verdict>`;
//! - [`sync_fn`]: a plain closure `Fn(&C) -> impl Verdict`, for checks that never wait (an
//!   in-memory table, a signature);
//! - [`with_request`]: a closure that also sees the request head (method, URI, headers,
//!   extensions such as the peer address or a tenant):
//!   `Fn(C, &Parts) -> impl Future<Output = impl Verdict>`;
//! - a type implementing [`Verifier`] (the stores this crate ships do);
//! - [`BoxVerifier`]: any of these behind one nameable type, to keep a layer in a struct.

use std::fmt;
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::request::Parts;
use pin_project_lite::pin_project;

use crate::BoxError;
use crate::failure::AuthFailure;

/// Checks credentials of type `C` and returns the user they belong to.
///
/// `request` is the head of the request being authenticated; most verifiers ignore it. The
/// future is an associated type (as tower's `Service::Future` is) so that the layer's
/// response future can name it without boxing; closures implement this trait (see the
/// [module docs](self)), so implementing it by hand is for stores that keep state:
///
/// ```
/// use std::future::{Ready, ready};
/// use http::request::Parts;
/// use tower_httpauth::{AuthFailure, BasicCredentials, Verifier, constant_time_eq};
///
/// struct OneUser { password: String }
///
/// impl Verifier<BasicCredentials> for OneUser {
///     type User = String;
///     type Future = Ready<Result<String, AuthFailure>>;
///
///     fn verify(&self, c: BasicCredentials, _request: &Parts) -> Self::Future {
///         let ok = constant_time_eq(c.username().as_bytes(), b"john")
///             & constant_time_eq(c.password().as_bytes(), self.password.as_bytes());
///         ready(if ok { Ok("john".to_owned()) } else { Err(AuthFailure::invalid()) })
///     }
/// }
/// ```
pub trait Verifier<C>: Send + Sync + 'static {
    /// What a successful verification yields: the user handed to the handler (or, for a
    /// Digest store, the [`DigestUser`](crate::digest::DigestUser) holding the secret to check
    /// the response against).
    type User: Clone + Send + Sync + 'static;

    /// The verification future.
    type Future: Future<Output = Result<Self::User, AuthFailure>> + Send + 'static;

    /// Verifies `credentials`, presented on the request whose head is `request`.
    fn verify(&self, credentials: C, request: &Parts) -> Self::Future;
}

impl<C, V: Verifier<C>> Verifier<C> for Arc<V> {
    type User = V::User;
    type Future = V::Future;

    fn verify(&self, credentials: C, request: &Parts) -> Self::Future {
        (**self).verify(credentials, request)
    }
}

/// What a verifier may return; see the [module docs](self) for the meaning of each form.
pub trait Verdict {
    /// The user.
    type User;
    /// The outcome in its general form.
    fn into_outcome(self) -> Result<Self::User, AuthFailure>;
}

impl<U> Verdict for Option<U> {
    type User = U;
    fn into_outcome(self) -> Result<U, AuthFailure> {
        self.ok_or_else(AuthFailure::invalid)
    }
}

impl<U, E: Into<BoxError>> Verdict for Result<Option<U>, E> {
    type User = U;
    fn into_outcome(self) -> Result<U, AuthFailure> {
        match self {
            Ok(Some(user)) => Ok(user),
            Ok(None) => Err(AuthFailure::invalid()),
            Err(e) => Err(AuthFailure::internal(e)),
        }
    }
}

impl<U> Verdict for Result<U, AuthFailure> {
    type User = U;
    fn into_outcome(self) -> Result<U, AuthFailure> {
        self
    }
}

impl<C, F, Fut> Verifier<C> for F
where
    F: Fn(C) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Verdict,
    <Fut::Output as Verdict>::User: Clone + Send + Sync + 'static,
{
    type User = <Fut::Output as Verdict>::User;
    type Future = future::VerdictFuture<Fut>;

    fn verify(&self, credentials: C, _request: &Parts) -> Self::Future {
        future::VerdictFuture::new(self(credentials))
    }
}

/// A verifier from a synchronous closure `Fn(&C) -> impl Verdict`, for checks that never
/// wait (an in-memory table, a signature). Never block in it (no file or network I/O): use an
/// async closure for that.
///
/// ```
/// use tower_httpauth::{AuthLayer, Basic, BasicCredentials, Bearer, Token, constant_time_eq, sync_fn};
///
/// let basic = Basic::new(sync_fn(|c: &BasicCredentials| {
///     let ok = constant_time_eq(c.username().as_bytes(), b"john") & constant_time_eq(c.password().as_bytes(), b"hello");
///     ok.then(|| "john".to_owned())
/// }));
/// let bearer = Bearer::new(sync_fn(|t: &Token| constant_time_eq(t.as_bytes(), b"s3cret-token").then_some("svc")));
/// # let _ = (AuthLayer::new(basic), AuthLayer::new(bearer));
/// ```
pub fn sync_fn<F>(f: F) -> SyncFn<F> {
    SyncFn(f)
}

/// The verifier made by [`sync_fn`].
#[derive(Clone, Copy)]
pub struct SyncFn<F>(F);

impl<F> fmt::Debug for SyncFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SyncFn")
    }
}

impl<C, F, V> Verifier<C> for SyncFn<F>
where
    F: Fn(&C) -> V + Send + Sync + 'static,
    V: Verdict,
    V::User: Clone + Send + Sync + 'static,
{
    type User = V::User;
    type Future = Ready<Result<V::User, AuthFailure>>;

    fn verify(&self, credentials: C, _request: &Parts) -> Self::Future {
        ready((self.0)(&credentials).into_outcome())
    }
}

/// A verifier from a closure that also sees the request head:
/// `Fn(C, &Parts) -> impl Future<Output = impl Verdict>`.
///
/// The future must own what it needs, so copy what you read from the request before the
/// `async` block. Here the `Host` header picks the tenant whose users are checked:
///
/// ```
/// use http::request::Parts;
/// use tower_httpauth::{AuthLayer, Basic, BasicCredentials, with_request};
///
/// let basic = Basic::new(with_request(|c: BasicCredentials, request: &Parts| {
///     let tenant = request.headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("").to_owned();
///     async move {
///         // Look `c.username()` up among `tenant`'s users.
///         (tenant == "acme.example" && c.password() == "hello").then(|| format!("{}@{tenant}", c.username()))
///     }
/// }));
/// let layer = AuthLayer::new(basic);
/// # let _ = layer;
/// ```
pub fn with_request<F>(f: F) -> WithRequest<F> {
    WithRequest(f)
}

/// The verifier made by [`with_request`].
#[derive(Clone, Copy)]
pub struct WithRequest<F>(F);

impl<F> fmt::Debug for WithRequest<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WithRequest")
    }
}

impl<C, F, Fut> Verifier<C> for WithRequest<F>
where
    F: Fn(C, &Parts) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Verdict,
    <Fut::Output as Verdict>::User: Clone + Send + Sync + 'static,
{
    type User = <Fut::Output as Verdict>::User;
    type Future = future::VerdictFuture<Fut>;

    fn verify(&self, credentials: C, request: &Parts) -> Self::Future {
        future::VerdictFuture::new((self.0)(credentials, request))
    }
}

/// The future of a [`BoxVerifier`].
type BoxVerifyFuture<U> = Pin<Box<dyn Future<Output = Result<U, AuthFailure>> + Send + 'static>>;

/// Any verifier of credentials `C` yielding `U`, behind one nameable type: for keeping a
/// layer in a struct field, or choosing a verifier at run time. Cloning is cheap (an `Arc`).
/// It costs one allocation per verification, for the boxed future.
///
/// ```
/// use tower_httpauth::{AuthLayer, Basic, BasicCredentials, BoxVerifier};
/// use tower_httpauth::basic::StaticCredentials;
///
/// struct App { auth: AuthLayer<Basic<BoxVerifier<BasicCredentials, String>>> }
///
/// let verifier = if std::env::var("DEMO").is_ok() {
///     BoxVerifier::new(|c: BasicCredentials| async move { Some(c.username().to_owned()) })
/// } else {
///     BoxVerifier::new(|c: BasicCredentials| async move { (c.password() == "hello").then(|| c.username().to_owned()) })
/// };
/// let app = App { auth: AuthLayer::new(Basic::new(verifier)) };
/// # let _ = app;
/// ```
pub struct BoxVerifier<C, U> {
    inner: Arc<dyn Verifier<C, User = U, Future = BoxVerifyFuture<U>>>,
}

impl<C, U> BoxVerifier<C, U>
where
    C: 'static,
    U: Clone + Send + Sync + 'static,
{
    /// Boxes `verifier`.
    pub fn new<V: Verifier<C, User = U>>(verifier: V) -> Self {
        BoxVerifier {
            inner: Arc::new(Boxed(verifier)),
        }
    }
}

impl<C, U> Clone for BoxVerifier<C, U> {
    fn clone(&self) -> Self {
        BoxVerifier {
            inner: self.inner.clone(),
        }
    }
}

impl<C, U> fmt::Debug for BoxVerifier<C, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BoxVerifier")
    }
}

impl<C: 'static, U: Clone + Send + Sync + 'static> Verifier<C> for BoxVerifier<C, U> {
    type User = U;
    type Future = BoxVerifyFuture<U>;

    fn verify(&self, credentials: C, request: &Parts) -> Self::Future {
        self.inner.verify(credentials, request)
    }
}

/// Boxes the future of the verifier it wraps.
struct Boxed<V>(V);

impl<C, V: Verifier<C>> Verifier<C> for Boxed<V> {
    type User = V::User;
    type Future = BoxVerifyFuture<V::User>;

    fn verify(&self, credentials: C, request: &Parts) -> Self::Future {
        Box::pin(self.0.verify(credentials, request))
    }
}

mod future {
    use super::*;

    pin_project! {
        /// Turns the [`Verdict`] a closure's future yields into the general form.
        pub struct VerdictFuture<F> {
            #[pin]
            inner: F,
        }
    }

    impl<F> VerdictFuture<F> {
        pub(super) fn new(inner: F) -> Self {
            VerdictFuture { inner }
        }
    }

    impl<F> Future for VerdictFuture<F>
    where
        F: Future,
        F::Output: Verdict,
    {
        type Output = Result<<F::Output as Verdict>::User, AuthFailure>;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
            self.project().inner.poll(cx).map(Verdict::into_outcome)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::FailureKind;

    fn parts() -> Parts {
        http::Request::new(()).into_parts().0
    }

    fn outcome<V: Verdict>(v: V) -> Result<V::User, FailureKind> {
        v.into_outcome().map_err(|f| f.kind())
    }

    #[test]
    fn verdicts_keep_refusals_and_verifier_errors_apart() {
        assert_eq!(outcome(Some(1)), Ok(1));
        assert_eq!(outcome(None::<u8>), Err(FailureKind::InvalidCredentials));
        assert_eq!(outcome(Ok::<_, std::io::Error>(Some(1))), Ok(1));
        assert_eq!(
            outcome(Ok::<Option<u8>, std::io::Error>(None)),
            Err(FailureKind::InvalidCredentials)
        );
        assert_eq!(
            outcome(Err::<Option<u8>, _>(std::io::Error::other("db down"))),
            Err(FailureKind::Internal)
        );
        assert_eq!(
            outcome(Err::<u8, _>(AuthFailure::forbidden())),
            Err(FailureKind::Forbidden)
        );
    }

    #[test]
    fn with_request_sees_the_request_head() {
        let v = with_request(|c: &'static str, p: &Parts| ready(Some(format!("{c}@{}", p.method))));
        let got = futures_lite_block_on(v.verify("john", &parts()));
        assert_eq!(got.ok().as_deref(), Some("john@GET"));
    }

    #[test]
    fn boxed_verifier_gives_the_same_answers() {
        let v = BoxVerifier::new(sync_fn(|c: &&'static str| (*c == "ok").then_some(7u8)));
        assert_eq!(futures_lite_block_on(v.verify("ok", &parts())).ok(), Some(7));
        assert_eq!(
            futures_lite_block_on(v.clone().verify("no", &parts())).map_err(|f| f.kind()),
            Err(FailureKind::InvalidCredentials)
        );
    }

    /// Polls a future that is ready at once (the verifiers above never wait).
    fn futures_lite_block_on<F: Future>(fut: F) -> F::Output {
        let mut fut = std::pin::pin!(fut);
        match fut.as_mut().poll(&mut Context::from_waker(std::task::Waker::noop())) {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("test verifier waited"),
        }
    }
}

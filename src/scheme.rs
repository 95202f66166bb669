//! The trait every authentication scheme implements.
//!
//! A scheme reads its credentials from the request head, verifies them (usually by calling
//! the user's verifier), writes its challenges into failure responses, and in proxy mode
//! removes its credentials before the request goes on. The
//! [`AuthLayer`](crate::AuthLayer) does the rest: exempt methods, optional mode, roles,
//! failure responses, and putting the user into the request extensions.
//!
//! Schemes know nothing of each other; multi-scheme composition goes
//! through this trait alone.

use std::borrow::Cow;
use std::future::Future;

use http::HeaderMap;
use http::request::Parts;

use crate::failure::AuthFailure;

/// The result of a successful authentication.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Authenticated<U> {
    /// The user the verifier returned; it is inserted into the request extensions as
    /// [`AuthUser<U>`](crate::AuthUser).
    pub user: U,
    /// Headers to add to the inner service's response (Digest's `Authentication-Info`,
    /// `Cache-Control: private` for tokens that did not come in `Authorization`). Usually
    /// empty, which costs nothing.
    pub response_headers: HeaderMap,
    /// The scheme that authenticated the request (`"Basic"`, `"Digest"`, `"Bearer"`, …).
    /// When the user then lacks a role, the `403` failure names this scheme, so that
    /// behind [`Multi`](crate::Multi) only that scheme's challenge carries an error.
    pub scheme: Option<&'static str>,
}

impl<U> Authenticated<U> {
    /// A success with no extra response headers.
    pub fn new(user: U) -> Self {
        Authenticated {
            user,
            response_headers: HeaderMap::new(),
            scheme: None,
        }
    }

    /// Records the scheme that authenticated the request.
    pub fn with_scheme(mut self, scheme: &'static str) -> Self {
        self.scheme = Some(scheme);
        self
    }
}

/// An HTTP authentication scheme (Basic, Digest, Bearer, …).
///
/// The future returned by [`authenticate`](Scheme::authenticate) is an associated type so
/// that the layer's response future can name it: a tower `Service` must name its future,
/// and stable Rust cannot name the future of an `async fn` in a trait without boxing it.
/// Schemes in this crate use hand-written futures and box nothing on their hot paths.
pub trait Scheme: Send + Sync + 'static {
    /// The authenticated user handed to the inner service.
    type User: Clone + Send + Sync + 'static;

    /// The future that verifies the credentials.
    type Future: Future<Output = Result<Authenticated<Self::User>, AuthFailure>> + Send + 'static;

    /// Whether the request carries credentials meant for this scheme (its scheme name in
    /// `Authorization`, its custom header, its cookie, …). Used to pick a scheme when
    /// several share a route.
    fn detect(&self, parts: &Parts) -> bool;

    /// Reads the credentials from `parts` and starts verifying them.
    ///
    /// A request without credentials for this scheme yields
    /// [`FailureKind::MissingCredentials`](crate::FailureKind::MissingCredentials).
    fn authenticate(&self, parts: &Parts) -> Self::Future;

    /// Like [`authenticate`](Scheme::authenticate), but a scheme that can decide without
    /// waiting (a fixed credential, a signed token, an in-memory table, a malformed or
    /// missing header) answers [`Started::Done`] at once, and the layer then skips its
    /// asynchronous machinery. The outcome must be the one `authenticate` would yield.
    ///
    /// The default starts the future: [`Started::Pending`]`(self.authenticate(parts))`.
    fn start(&self, parts: &Parts) -> Started<Result<Authenticated<Self::User>, AuthFailure>, Self::Future> {
        Started::Pending(self.authenticate(parts))
    }

    /// Recognises a request from its headers alone, before the layer takes it apart: a
    /// scheme whose verifier holds a fixed credential answers `Some(user)` when `headers`
    /// carry exactly that credential in its usual encoding (compared in constant time), and
    /// the layer hands the request on at once. `None` (the default) means "decide as usual",
    /// through [`start`](Self::start); it is never a refusal.
    ///
    /// Answer `Some` only for a request that [`authenticate`](Self::authenticate) would
    /// accept, with the same user and no response headers. The layer asks only when nothing
    /// else needs the request head first: no role requirement, no
    /// [`exempt_if`](crate::AuthLayer::exempt_if) predicate, no throttle, not in proxy mode.
    /// [`Basic`](crate::Basic) forwards it to
    /// [`BasicVerifier::recognize`](crate::BasicVerifier::recognize), which
    /// [`StaticCredentials`](crate::StaticCredentials) implements.
    ///
    /// ```
    /// use http::HeaderMap;
    /// use tower_httpauth::{Basic, Scheme, StaticCredentials};
    /// let basic = Basic::new(StaticCredentials::new("Aladdin", "open sesame"));
    /// let mut headers = HeaderMap::new();
    /// headers.insert("authorization", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==".parse().unwrap());
    /// assert_eq!(basic.recognize(&headers), Some(()));
    /// headers.insert("authorization", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ".parse().unwrap());
    /// assert_eq!(basic.recognize(&headers), None); // unpadded: decoded and verified as usual
    /// ```
    fn recognize(&self, headers: &HeaderMap) -> Option<Self::User> {
        let _ = headers;
        None
    }

    /// Appends this scheme's challenge(s) for `failure` to `headers` as `WWW-Authenticate`
    /// fields, one field per challenge.
    fn challenge(&self, failure: &AuthFailure, headers: &mut HeaderMap);

    /// The user-id the request's credentials claim, if the scheme can read one without
    /// verifying anything (Basic's user-id, Digest's `username`). Used by the
    /// [`throttle`](crate::throttle) to count failed attempts per user-id; called only when
    /// a throttle is attached and [`detect`](Scheme::detect) said yes.
    ///
    /// The default returns `None`: the throttle then counts per client address only.
    fn username<'a>(&self, parts: &'a Parts) -> Option<Cow<'a, str>> {
        let _ = parts;
        None
    }

    /// Whether [`remove_credentials`](Self::remove_credentials) takes every credential this
    /// scheme reads off a request. [`AuthLayer::proxy`](crate::AuthLayer::proxy) refuses to
    /// build with a scheme that answers `false`, because a forward proxy would then hand the
    /// user's proxy credentials on to whatever host the client names.
    ///
    /// The default is `false`: the layer cannot know where a scheme of yours reads from. A
    /// scheme that reads only the `Authorization` field (which the layer handles itself)
    /// answers `true` and keeps the default `remove_credentials`. Every scheme of this crate
    /// answers `true`; [`Multi`](crate::Multi) answers `true` when all its schemes do.
    fn can_remove_credentials(&self) -> bool {
        false
    }

    /// Removes from `parts` every place other than the `Authorization` field that this
    /// scheme reads credentials from: a custom header, a cookie (out of the `Cookie` field,
    /// leaving the other cookies), a query parameter (out of the request-target, leaving the
    /// rest of it as it was). Called only in [proxy mode](crate::AuthLayer::proxy), on every
    /// request before it goes on (authenticated, refused, exempt or anonymous), so that
    /// credentials for the proxy never reach the next hop.
    ///
    /// The `Authorization` field is the layer's business: in proxy mode it holds the
    /// `Proxy-Authorization` values while the scheme reads them, and the layer then drops
    /// them and puts back the origin's own `Authorization`. Leave it alone.
    ///
    /// The default removes nothing, which is right for a scheme that reads `Authorization`
    /// only. Say so with [`can_remove_credentials`](Self::can_remove_credentials).
    fn remove_credentials(&self, parts: &mut Parts) {
        let _ = parts;
    }
}

/// How a verification begins: decided at once, or a future to await.
///
/// Returned by [`Scheme::start`] and by the verifiers' `start` methods (such as
/// [`BasicVerifier::start`](crate::BasicVerifier::start)); a synchronous answer lets the
/// layer skip its asynchronous machinery.
///
/// ```
/// use tower_httpauth::Started;
/// let s: Started<u8, std::future::Ready<u8>> = Started::Done(7);
/// assert!(matches!(s, Started::Done(7)));
/// ```
#[derive(Debug)]
pub enum Started<T, F> {
    /// The outcome, known without waiting.
    Done(T),
    /// The future that yields it.
    Pending(F),
}

impl<T, F> Started<T, F> {
    /// Maps the future of [`Started::Pending`], leaving [`Started::Done`] as it is.
    pub fn map_pending<G>(self, f: impl FnOnce(F) -> G) -> Started<T, G> {
        match self {
            Started::Done(t) => Started::Done(t),
            Started::Pending(fut) => Started::Pending(f(fut)),
        }
    }
}

/// A verifier from a synchronous closure, for checks that never wait (an in-memory table,
/// a signature): the layer then decides inside `call`, without its asynchronous machinery
/// (see [`Scheme::start`]). For [`Basic`](crate::Basic) the closure takes
/// `&BasicCredentials`, for [`Bearer`](crate::Bearer) `&Token`, for a Digest credential store
/// `&DigestLookup` (returning `DigestUser`s); it returns a [`Verdict`]
/// (`Option<User>`, or `Result<Option<User>, E>` where `Err` is answered `500`).
///
/// Never block in it (no file or network I/O): use an async closure for that.
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

impl<F> SyncFn<F> {
    /// Calls the closure.
    pub(crate) fn call<A: ?Sized, V>(&self, arg: &A) -> Result<Option<V::User>, V::Error>
    where
        F: Fn(&A) -> V,
        V: Verdict,
    {
        (self.0)(arg).into_result()
    }
}

impl<F> std::fmt::Debug for SyncFn<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SyncFn")
    }
}

/// What a verifier may return: `Option<User>` (no user means wrong credentials) or
/// `Result<Option<User>, E>` (an `Err` means the verifier itself failed, e.g. its database
/// is down, and is answered `500`, never `401`).
pub trait Verdict {
    /// The user type.
    type User;
    /// The verifier's error type.
    type Error: Into<crate::BoxError>;
    /// Converts into the general form.
    fn into_result(self) -> Result<Option<Self::User>, Self::Error>;
}

impl<U> Verdict for Option<U> {
    type User = U;
    type Error = std::convert::Infallible;
    fn into_result(self) -> Result<Option<U>, Self::Error> {
        Ok(self)
    }
}

impl<U, E: Into<crate::BoxError>> Verdict for Result<Option<U>, E> {
    type User = U;
    type Error = E;
    fn into_result(self) -> Result<Option<U>, E> {
        self
    }
}

pin_project_lite::pin_project! {
    /// Adapts a future yielding any [`Verdict`] to the general `Result<Option<U>, E>` form.
    pub struct VerdictFuture<F> {
        #[pin]
        inner: F,
    }
}

impl<F> VerdictFuture<F> {
    /// Wraps `inner`.
    pub fn new(inner: F) -> Self {
        VerdictFuture { inner }
    }
}

impl<F> Future for VerdictFuture<F>
where
    F: Future,
    F::Output: Verdict,
{
    type Output = Result<Option<<F::Output as Verdict>::User>, <F::Output as Verdict>::Error>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        self.project().inner.poll(cx).map(Verdict::into_result)
    }
}

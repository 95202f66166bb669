//! [`AuthLayer`], [`AuthService`] and [`ResponseFuture`]: the tower triplet.
//!
//! A request travels like this:
//!
//! 1. exempt? (CORS preflights by default, or configured methods, or a predicate) → the inner
//!    service, untouched;
//! 2. the scheme reads and verifies the credentials (the user's async verifier);
//! 3. if the route has a [`Requirement`], the roles hook is asked and the requirement checked;
//! 4. the user is inserted into the request extensions as [`AuthUser`] and the inner
//!    service is called;
//! 5. on failure the inner service is not called; the [`FailureHandler`] builds the response
//!    and every `401` carries the scheme's challenges.
//!
//! Rejections are returned as `Ok(response)`, so the inner service's error type is untouched
//! (axum's `Infallible` stays `Infallible`). The request body is never read; so a refusal of
//! an HTTP/1 request that declares a body carries `Connection: close`, because the server
//! cannot read the next request on that connection before the unread body.
//!
//! ```
//! use std::convert::Infallible;
//! use http::{Request, Response, StatusCode};
//! use tower::{ServiceBuilder, ServiceExt};
//! use tower_httpauth::{AuthLayer, AuthUser, Basic, BasicCredentials};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let basic = Basic::new(|c: BasicCredentials| async move {
//!     (c.username() == "Aladdin" && c.password() == "open sesame").then(|| c.username().to_owned())
//! })
//! .realm("WallyWorld");
//!
//! let svc = ServiceBuilder::new().layer(AuthLayer::new(basic)).service_fn(|req: Request<String>| async move {
//!     let user = AuthUser::<String>::from_request(&req).cloned().unwrap_or_default();
//!     Ok::<_, Infallible>(Response::new(format!("hello {user}")))
//! });
//!
//! let res = svc.clone().oneshot(Request::new(String::new())).await.unwrap();
//! assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
//! assert_eq!(res.headers()["www-authenticate"], r#"Basic realm="WallyWorld", charset="UTF-8""#);
//!
//! let req = Request::builder()
//!     .header("authorization", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
//!     .body(String::new())
//!     .unwrap();
//! let res = svc.oneshot(req).await.unwrap();
//! assert_eq!(res.into_body(), "hello Aladdin");
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use http::header::{
    ACCESS_CONTROL_REQUEST_METHOD, AUTHORIZATION, Entry, HeaderName, HeaderValue, ORIGIN, PROXY_AUTHENTICATE,
    PROXY_AUTHORIZATION, WWW_AUTHENTICATE,
};
use http::request::Parts;
use http::{HeaderMap, Method, Request, Response};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::digest::AUTHENTICATION_INFO;
use crate::failure::{AuthFailure, DefaultFailure, FailureHandler, FailureKind};
use crate::roles::{NoRoles, Requirement, RolesHook, SyncRoles};
use crate::scheme::{Authenticated, Scheme, Started};
use crate::throttle::{Keys, MemoryStore, OnStoreError, Throttle, ThrottleStatus, ThrottleStore};
use crate::user::AuthUser;

/// `Proxy-Authentication-Info` (RFC 7615 §4), the proxy's `Authentication-Info`.
const PROXY_AUTHENTICATION_INFO: HeaderName = HeaderName::from_static("proxy-authentication-info");

type Predicate = dyn Fn(&Parts) -> bool + Send + Sync;

struct Shared<S, R, F, T = MemoryStore> {
    scheme: Arc<S>,
    roles: Arc<R>,
    failure: Arc<F>,
    requirement: Option<Requirement>,
    optional: bool,
    /// The methods set by `exempt_methods`; `None`: the default (CORS preflights, or nothing
    /// in proxy mode), so that `proxy()` can tell a default from a choice made before it.
    exempt_methods: Option<Vec<Method>>,
    exempt_if: Option<Arc<Predicate>>,
    throttle: Option<Throttle<T>>,
    proxy: bool,
    /// Whether the user goes into the request extensions (`AuthLayer::insert_user`).
    insert_user: bool,
}

impl<S, R, F, T> Clone for Shared<S, R, F, T> {
    fn clone(&self) -> Self {
        Shared {
            scheme: self.scheme.clone(),
            roles: self.roles.clone(),
            failure: self.failure.clone(),
            requirement: self.requirement.clone(),
            optional: self.optional,
            exempt_methods: self.exempt_methods.clone(),
            exempt_if: self.exempt_if.clone(),
            throttle: self.throttle.clone(),
            proxy: self.proxy,
            insert_user: self.insert_user,
        }
    }
}

impl<S, R, F, T> Shared<S, R, F, T> {
    /// Whether the request's method exempts it: one of the configured methods or, by
    /// default, a CORS preflight outside proxy mode.
    fn is_exempt(&self, method: &Method, headers: &HeaderMap) -> bool {
        match &self.exempt_methods {
            Some(methods) => methods.iter().any(|m| m == method),
            None => !self.proxy && is_cors_preflight(method, headers),
        }
    }

    /// Whether nothing but the scheme needs the request head: then a request the scheme
    /// recognises ([`Scheme::recognize`]) goes straight on.
    fn plain(&self) -> bool {
        self.requirement.is_none() && self.exempt_if.is_none() && self.throttle.is_none() && !self.proxy
    }
}

impl<S: Scheme, R, F, T> Shared<S, R, F, T> {
    /// Proxy mode, once the request is decided (authenticated, refused, or anonymous on an
    /// optional route): undoes [`proxy_swap_in`], and takes every other credential the
    /// scheme reads off the request, so that none reaches the next hop (or the failure
    /// handler).
    #[cold]
    fn proxy_out(&self, parts: &mut Parts) {
        proxy_swap_out(parts);
        self.scheme.remove_credentials(parts);
    }

    /// Proxy mode, an exempt request: nothing was swapped in, so `Authorization` is the
    /// origin's and stays; this hop's credentials go, unchecked.
    #[cold]
    fn proxy_exempt(&self, parts: &mut Parts) {
        parts.headers.remove(PROXY_AUTHORIZATION);
        self.scheme.remove_credentials(parts);
    }
}

/// A CORS preflight (Fetch standard, "CORS-preflight request"): `OPTIONS` with `Origin` and
/// `Access-Control-Request-Method`. Browsers send it without credentials, and refusing it
/// would fail the request it asks about.
fn is_cors_preflight(method: &Method, headers: &HeaderMap) -> bool {
    method == Method::OPTIONS && headers.contains_key(ORIGIN) && headers.contains_key(ACCESS_CONTROL_REQUEST_METHOD)
}

/// Authentication middleware: wraps a service so that only authenticated requests reach it.
///
/// Built from a [`Scheme`] (such as [`Basic`](crate::Basic)), then refined:
///
/// - [`roles`](Self::roles) / [`roles_from`](Self::roles_from): how to learn a user's roles;
/// - [`require`](Self::require), [`require_role`](Self::require_role),
///   [`require_any_role`](Self::require_any_role), [`require_all_roles`](Self::require_all_roles):
///   what this route requires (`403` otherwise);
/// - [`optional`](Self::optional): requests without credentials pass, with no user;
/// - [`exempt_methods`](Self::exempt_methods) / [`exempt_if`](Self::exempt_if): requests that
///   skip authentication (by default only CORS preflights: `OPTIONS` with `Origin` and
///   `Access-Control-Request-Method`; nothing in proxy mode);
/// - [`on_failure`](Self::on_failure): build your own failure responses;
/// - [`throttle`](Self::throttle): slow down password guessing (off by default; see
///   [`throttle`](crate::throttle));
/// - [`insert_user`](Self::insert_user)`(false)`: a pure gate that hands no user on;
/// - [`proxy`](Self::proxy): proxy authentication (`407`, `Proxy-Authorization`).
///
/// Cloning is cheap (one `Arc`), and clones share the scheme and its verifier, so one layer
/// can serve many routes with per-route requirements:
///
/// ```
/// use axum::{Router, routing::get};
/// use tower_httpauth::{AuthLayer, AuthUser, Basic, BasicCredentials};
///
/// #[derive(Clone)]
/// struct User { name: String, admin: bool }
///
/// let auth = AuthLayer::new(Basic::new(|c: BasicCredentials| async move {
///     (c.password() == "hello").then(|| User { name: c.username().into(), admin: c.username() == "susan" })
/// }))
/// .roles_from(|u: &User| if u.admin { vec!["admin"] } else { vec![] });
///
/// let app: Router = Router::new()
///     .route("/admin", get(|| async { "admin" }).route_layer(auth.clone().require_role("admin")))
///     .route("/me", get(|AuthUser(u): AuthUser<User>| async move { u.name }).route_layer(auth));
/// ```
pub struct AuthLayer<S, R = NoRoles, F = DefaultFailure, T = MemoryStore> {
    shared: Arc<Shared<S, R, F, T>>,
}

impl<S, R, F, T> Clone for AuthLayer<S, R, F, T> {
    fn clone(&self) -> Self {
        AuthLayer {
            shared: self.shared.clone(),
        }
    }
}

impl<S, R, F, T> fmt::Debug for AuthLayer<S, R, F, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthLayer")
            .field("scheme", &std::any::type_name::<S>())
            .field("requirement", &self.shared.requirement)
            .field("optional", &self.shared.optional)
            .field("exempt_methods", &self.shared.exempt_methods)
            .field("throttle", &self.shared.throttle)
            .field("insert_user", &self.shared.insert_user)
            .finish_non_exhaustive()
    }
}

impl<S: Scheme> AuthLayer<S> {
    /// A layer authenticating with `scheme`, no roles, default failure responses, and CORS
    /// preflights exempt (see [`exempt_methods`](Self::exempt_methods)).
    pub fn new(scheme: S) -> Self {
        AuthLayer {
            shared: Arc::new(Shared {
                scheme: Arc::new(scheme),
                roles: Arc::new(NoRoles),
                failure: Arc::new(DefaultFailure),
                requirement: None,
                optional: false,
                exempt_methods: None,
                exempt_if: None,
                throttle: None,
                proxy: false,
                insert_user: true,
            }),
        }
    }
}

impl<S, R, F, T> AuthLayer<S, R, F, T> {
    fn edit(mut self, f: impl FnOnce(&mut Shared<S, R, F, T>)) -> Self {
        f(Arc::make_mut(&mut self.shared));
        self
    }

    /// The scheme this layer authenticates with.
    pub fn scheme(&self) -> &S {
        &self.shared.scheme
    }

    /// Uses `hook` to learn an authenticated user's roles (an async closure
    /// `Fn(&User) -> impl Future<Output = Result<impl IntoIterator<Item = impl Into<String>>, E>>`
    /// or any [`RolesHook`]). The hook runs only on routes with a requirement, after
    /// authentication succeeded.
    pub fn roles<R2>(self, hook: R2) -> AuthLayer<S, R2, F, T> {
        let s = &*self.shared;
        AuthLayer {
            shared: Arc::new(Shared {
                scheme: s.scheme.clone(),
                roles: Arc::new(hook),
                failure: s.failure.clone(),
                requirement: s.requirement.clone(),
                optional: s.optional,
                exempt_methods: s.exempt_methods.clone(),
                exempt_if: s.exempt_if.clone(),
                throttle: s.throttle.clone(),
                proxy: s.proxy,
                insert_user: s.insert_user,
            }),
        }
    }

    /// Like [`roles`](Self::roles), from a plain function of the user.
    ///
    /// ```
    /// # use tower_httpauth::{AuthLayer, Basic, BasicCredentials};
    /// # #[derive(Clone)] struct User { roles: Vec<String> }
    /// # let basic = Basic::new(|c: BasicCredentials| async move { Some(User { roles: vec![] }) });
    /// let layer = AuthLayer::new(basic).roles_from(|u: &User| u.roles.clone());
    /// ```
    pub fn roles_from<G>(self, f: G) -> AuthLayer<S, SyncRoles<G>, F, T> {
        self.roles(SyncRoles(f))
    }

    /// Builds failure responses with `handler` (a closure `Fn(&AuthFailure, &Parts) ->
    /// Response<B>` or any [`FailureHandler`]). The layer still adds the challenges to every
    /// `401` the handler returns without one. The default, [`DefaultFailure`], answers a
    /// short `text/plain` body and so needs a response body type made from a `&'static str`;
    /// with another body type (tonic's `Body`), a handler set here is the way (see
    /// [`failure`](crate::failure)).
    pub fn on_failure<F2>(self, handler: F2) -> AuthLayer<S, R, F2, T> {
        let s = &*self.shared;
        AuthLayer {
            shared: Arc::new(Shared {
                scheme: s.scheme.clone(),
                roles: s.roles.clone(),
                failure: Arc::new(handler),
                requirement: s.requirement.clone(),
                optional: s.optional,
                exempt_methods: s.exempt_methods.clone(),
                exempt_if: s.exempt_if.clone(),
                throttle: s.throttle.clone(),
                proxy: s.proxy,
                insert_user: s.insert_user,
            }),
        }
    }

    /// Requires `requirement` of the user's roles; a user who does not meet it gets `403`.
    /// Replaces any earlier requirement of this layer.
    pub fn require(self, requirement: Requirement) -> Self {
        self.edit(|s| s.requirement = Some(requirement))
    }

    /// Requires one role.
    pub fn require_role(self, role: impl Into<std::borrow::Cow<'static, str>>) -> Self {
        self.require(Requirement::role(role))
    }

    /// Requires at least one of `roles`. Panics if `roles` is empty ([`Requirement::any_of`]).
    pub fn require_any_role<I>(self, roles: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Requirement>,
    {
        self.require(Requirement::any_of(roles))
    }

    /// Requires all of `roles`. Panics if `roles` is empty ([`Requirement::all_of`]).
    pub fn require_all_roles<I>(self, roles: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Requirement>,
    {
        self.require(Requirement::all_of(roles))
    }

    /// Optional authentication: a request **without** credentials reaches the inner service
    /// with no [`AuthUser`] (use `Option<AuthUser<U>>` in axum). Credentials that are
    /// presented but wrong are still refused with `401`, and a role requirement is never
    /// skipped: with a requirement, a request without credentials gets `401`.
    pub fn optional(self) -> Self {
        self.edit(|s| s.optional = true)
    }

    /// Whether the authenticated user is inserted into the request extensions as
    /// [`AuthUser`] (the default: yes).
    ///
    /// `insert_user(false)` makes the layer a pure gate, like tower-http's
    /// `ValidateRequestHeaderLayer`: requests are still authenticated (and their roles
    /// checked), but nothing is handed on, which saves the extensions insert (about 70 ns
    /// and two or three allocations on a 2-core x86-64 machine; `BENCHMARKS.md`). Use it when the
    /// handlers behind the layer never read the user, as with
    /// [`StaticCredentials`](crate::StaticCredentials) guarding a whole service. An
    /// [`AuthUser`] extractor behind such a layer finds nothing and rejects the request with
    /// `500`, and with [`optional`](Self::optional) the handler cannot tell an authenticated
    /// request from an anonymous one.
    ///
    /// One difference from tower-http's validators, which exempt nothing: this layer lets CORS
    /// preflights through by default (an `OPTIONS` request carrying `Origin` and
    /// `Access-Control-Request-Method`, which browsers send without credentials). Any other
    /// `OPTIONS` request is authenticated. For a gate that exempts nothing at all, add
    /// [`exempt_methods`](Self::exempt_methods)`([])`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http::{Request, Response, StatusCode};
    /// use tower::{ServiceBuilder, ServiceExt};
    /// use tower_httpauth::{AuthLayer, AuthUser, Basic, StaticCredentials};
    ///
    /// let gate = AuthLayer::new(Basic::new(StaticCredentials::new("admin", "s3cret"))).insert_user(false);
    /// let svc = ServiceBuilder::new().layer(gate).service_fn(|req: Request<String>| async move {
    ///     assert!(AuthUser::<()>::from_request(&req).is_none());
    ///     Ok::<_, std::convert::Infallible>(Response::new(String::from("behind the gate")))
    /// });
    /// let req = Request::builder()
    ///     .header("authorization", "Basic YWRtaW46czNjcmV0")
    ///     .body(String::new())
    ///     .unwrap();
    /// let res = svc.oneshot(req).await.unwrap();
    /// assert_eq!(res.status(), StatusCode::OK);
    /// # }
    /// ```
    pub fn insert_user(self, insert: bool) -> Self {
        self.edit(|s| s.insert_user = insert)
    }

    /// Sets the methods that pass without authentication, replacing the default. Pass an
    /// empty list to authenticate every request.
    ///
    /// The default exempts only CORS preflights: `OPTIONS` requests that carry `Origin` and
    /// `Access-Control-Request-Method`, which browsers send without credentials before a
    /// cross-origin request. Other `OPTIONS` requests are authenticated. In
    /// [proxy mode](Self::proxy) the default exempts nothing, since a proxy open to `OPTIONS`
    /// lets anyone probe any host behind it. A list set here applies in both modes, whether
    /// it is set before or after [`proxy`](Self::proxy); listing `Method::OPTIONS` exempts
    /// every `OPTIONS` request, preflight or not.
    ///
    /// ```
    /// # use tower_httpauth::{AuthLayer, Basic, BasicCredentials};
    /// # let basic = Basic::new(|c: BasicCredentials| async move { Some(()) });
    /// use http::Method;
    /// // Public reads, authenticated writes.
    /// let layer = AuthLayer::new(basic).exempt_methods([Method::GET, Method::HEAD, Method::OPTIONS]);
    /// ```
    pub fn exempt_methods(self, methods: impl IntoIterator<Item = Method>) -> Self {
        let methods: Vec<Method> = methods.into_iter().collect();
        self.edit(|s| s.exempt_methods = Some(methods))
    }

    /// Lets requests for which `predicate` returns `true` pass without authentication
    /// (health checks, public paths), in addition to the exempt methods.
    ///
    /// ```
    /// # use tower_httpauth::{AuthLayer, Basic, BasicCredentials};
    /// # let basic = Basic::new(|c: BasicCredentials| async move { Some(()) });
    /// let layer = AuthLayer::new(basic).exempt_if(|parts| parts.uri.path() == "/healthz");
    /// ```
    pub fn exempt_if(self, predicate: impl Fn(&Parts) -> bool + Send + Sync + 'static) -> Self {
        let predicate: Arc<Predicate> = Arc::new(predicate);
        self.edit(|s| s.exempt_if = Some(predicate))
    }

    /// Throttles password guessing with `throttle` (see [`throttle`](crate::throttle)):
    /// failed logins are counted per user-id and per client address, and requests with
    /// credentials for a locked key are refused with `429` and `Retry-After` before the
    /// verifier runs. Off until called.
    ///
    /// ```
    /// # use tower_httpauth::{AuthLayer, Basic, StaticCredentials};
    /// use tower_httpauth::throttle::Throttle;
    /// let layer = AuthLayer::new(Basic::new(StaticCredentials::new("admin", "s3cret"))).throttle(Throttle::new());
    /// # let _ = layer;
    /// ```
    pub fn throttle<T2>(self, throttle: Throttle<T2>) -> AuthLayer<S, R, F, T2> {
        let s = &*self.shared;
        AuthLayer {
            shared: Arc::new(Shared {
                scheme: s.scheme.clone(),
                roles: s.roles.clone(),
                failure: s.failure.clone(),
                requirement: s.requirement.clone(),
                optional: s.optional,
                exempt_methods: s.exempt_methods.clone(),
                exempt_if: s.exempt_if.clone(),
                throttle: Some(throttle),
                proxy: s.proxy,
                insert_user: s.insert_user,
            }),
        }
    }

    /// Proxy authentication (RFC 9110 §11.7, RFC 7616 §3.8), for a forward proxy built on
    /// tower: credentials are read from `Proxy-Authorization`; refusals are `407 Proxy
    /// Authentication Required` (instead of `401`) with the challenges in
    /// `Proxy-Authenticate`; Digest's `Authentication-Info` is sent as
    /// `Proxy-Authentication-Info`. Every scheme works this way, alone or in
    /// [`Multi`](crate::Multi).
    ///
    /// The proxy consumes its credentials: `Proxy-Authorization`, and every other place the
    /// scheme reads credentials from ([`Scheme::remove_credentials`]: a
    /// [`Bearer::api_key`](crate::Bearer::api_key) or [`Bearer::header`](crate::Bearer::header)
    /// header, the token cookie out of the `Cookie` field, the token parameter out of the
    /// request-target), are removed before the request reaches the inner service, whether it
    /// was authenticated, refused, exempt or let through by [`optional`](Self::optional). An
    /// `Authorization` field meant for the origin server passes through untouched. For Digest
    /// `auth-int`, use [`DigestBodyLayer::proxy`](crate::digest::DigestBodyLayer::proxy) too.
    ///
    /// A proxy exempts no method unless told to with [`exempt_methods`](Self::exempt_methods)
    /// (the default CORS preflight exemption does not apply: a proxy open to `OPTIONS` would
    /// let anyone probe any host behind it).
    ///
    /// `examples/forward_proxy.rs` is a small forward proxy built this way.
    ///
    /// # Panics
    ///
    /// If the scheme cannot remove the credentials it reads
    /// ([`Scheme::can_remove_credentials`] is `false`, the default for a scheme of your own):
    /// they would be forwarded to whatever host a client names. Every scheme of this crate,
    /// alone or in [`Multi`](crate::Multi), can.
    ///
    /// ```
    /// # use tower_httpauth::{AuthLayer, Basic, StaticCredentials};
    /// let layer = AuthLayer::new(Basic::new(StaticCredentials::new("alice", "s3cret")).realm("proxy")).proxy();
    /// # let _ = layer;
    /// ```
    pub fn proxy(self) -> Self
    where
        S: Scheme,
    {
        assert!(
            self.shared.scheme.can_remove_credentials(),
            "AuthLayer::proxy: the scheme `{}` cannot remove the credentials it reads \
             (Scheme::can_remove_credentials is false), so a proxy would forward them to any host \
             a client names; implement Scheme::remove_credentials and can_remove_credentials",
            std::any::type_name::<S>()
        );
        self.edit(|s| s.proxy = true)
    }

    /// The throttle, if one is attached.
    pub fn throttle_ref(&self) -> Option<&Throttle<T>> {
        self.shared.throttle.as_ref()
    }
}

impl<I, S, R, F, T> Layer<I> for AuthLayer<S, R, F, T> {
    type Service = AuthService<I, S, R, F, T>;

    fn layer(&self, inner: I) -> Self::Service {
        AuthService {
            inner,
            shared: self.shared.clone(),
        }
    }
}

/// The service produced by [`AuthLayer`].
pub struct AuthService<I, S, R = NoRoles, F = DefaultFailure, T = MemoryStore> {
    inner: I,
    shared: Arc<Shared<S, R, F, T>>,
}

impl<I: Clone, S, R, F, T> Clone for AuthService<I, S, R, F, T> {
    fn clone(&self) -> Self {
        AuthService {
            inner: self.inner.clone(),
            shared: self.shared.clone(),
        }
    }
}

impl<I: fmt::Debug, S, R, F, T> fmt::Debug for AuthService<I, S, R, F, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthService")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<I, S, R, F, T> AuthService<I, S, R, F, T> {
    /// The wrapped service.
    pub fn get_ref(&self) -> &I {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut I {
        &mut self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> I {
        self.inner
    }
}

impl<I, S, R, F, T, ReqBody, ResBody> Service<Request<ReqBody>> for AuthService<I, S, R, F, T>
where
    I: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
    S: Scheme,
    R: RolesHook<S::User>,
    F: FailureHandler<ResBody>,
    T: ThrottleStore,
{
    type Response = Response<ResBody>;
    type Error = I::Error;
    type Future = ResponseFuture<I, S, R, F, ReqBody, T>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    #[inline]
    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let shared = &self.shared;
        // Decisions made here call `self.inner` at once: it is the service driven to
        // readiness. Only a request that waits (for the verifier, the roles hook or the
        // throttle) takes it along, leaving a clone in its place (tower's guidance).
        if shared.is_exempt(req.method(), req.headers()) {
            let mut req = req;
            if shared.proxy {
                // Credentials for this hop never travel further, even unchecked.
                let (mut parts, body) = req.into_parts();
                shared.proxy_exempt(&mut parts);
                req = Request::from_parts(parts, body);
            }
            return ResponseFuture::passthrough(self.inner.call(req));
        }
        if shared.plain()
            && let Some(user) = shared.scheme.recognize(req.headers())
        {
            let mut req = req;
            if shared.insert_user {
                req.extensions_mut().insert(AuthUser(user));
            }
            return ResponseFuture::passthrough(self.inner.call(req));
        }
        self.authenticate(req)
    }
}

impl<I, S, R, F, T> AuthService<I, S, R, F, T> {
    /// Everything but the exempt methods and recognised requests: kept out of line, so that
    /// `call`'s shortcuts stay small enough to inline into the caller (the fixed-credential
    /// gate: ~45 → ~35 ns; the asynchronous path pays one call, a few ns).
    #[inline(never)]
    fn authenticate<ReqBody, ResBody>(&mut self, req: Request<ReqBody>) -> ResponseFuture<I, S, R, F, ReqBody, T>
    where
        I: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
        S: Scheme,
        R: RolesHook<S::User>,
        F: FailureHandler<ResBody>,
        T: ThrottleStore,
    {
        let shared = &self.shared;
        let (mut parts, body) = req.into_parts();
        if let Some(pred) = &shared.exempt_if
            && pred(&parts)
        {
            if shared.proxy {
                shared.proxy_exempt(&mut parts);
            }
            return ResponseFuture::passthrough(self.inner.call(Request::from_parts(parts, body)));
        }
        if shared.proxy {
            proxy_swap_in(&mut parts);
        }
        // Throttling applies to requests that carry credentials for the scheme: a request
        // without any is not a guess, and gets its challenge as usual.
        if let Some(throttle) = &shared.throttle
            && shared.scheme.detect(&parts)
        {
            let keys = throttle.keys(shared.scheme.username(&parts), &parts);
            if !keys.is_empty() {
                let fut = throttle.store.check(keys.as_slice(), throttle.policy(), throttle.now());
                let clone = self.inner.clone();
                let inner = std::mem::replace(&mut self.inner, clone);
                return ResponseFuture {
                    state: State::Checking { fut },
                    pending: Some(Pending {
                        parts,
                        body,
                        inner,
                        shared: shared.clone(),
                        keys,
                        had_failures: false,
                    }),
                };
            }
        }
        // The three places below that build a waiting response future are written out on
        // purpose: a shared helper measured ~5 ns slower on the asynchronous path.
        let outcome = match shared.scheme.start(&parts) {
            Started::Pending(fut) => {
                let clone = self.inner.clone();
                let inner = std::mem::replace(&mut self.inner, clone);
                return ResponseFuture {
                    state: State::Authenticating { fut },
                    pending: Some(Pending {
                        parts,
                        body,
                        inner,
                        shared: shared.clone(),
                        keys: Keys::default(),
                        had_failures: false,
                    }),
                };
            }
            Started::Done(outcome) => outcome,
        };
        // Decided at once: no pending request to keep, unless the roles hook must run.
        match decide(shared, outcome) {
            Next::Inner(auth) => {
                if shared.proxy {
                    shared.proxy_out(&mut parts);
                }
                let (fut, headers) = forward(parts, body, &mut self.inner, shared.proxy, shared.insert_user, auth);
                if headers.is_empty() {
                    return ResponseFuture::passthrough(fut);
                }
                ResponseFuture {
                    state: State::Inner { fut, headers },
                    pending: None,
                }
            }
            Next::Refuse(failure) => {
                if shared.proxy {
                    shared.proxy_out(&mut parts);
                }
                ResponseFuture {
                    state: State::Refused {
                        res: Some(refuse(shared, failure, &parts)),
                    },
                    pending: None,
                }
            }
            Next::Roles(auth) => {
                let clone = self.inner.clone();
                let inner = std::mem::replace(&mut self.inner, clone);
                ResponseFuture {
                    state: State::Roles {
                        fut: shared.roles.roles(&auth.user),
                        auth: Some(auth),
                    },
                    pending: Some(Pending {
                        parts,
                        body,
                        inner,
                        shared: shared.clone(),
                        keys: Keys::default(),
                        had_failures: false,
                    }),
                }
            }
        }
    }
}

/// What follows an authentication outcome.
enum Next<U> {
    /// Call the inner service, with the user (or none, on an optional route).
    Inner(Option<Authenticated<U>>),
    /// Run the roles hook first.
    Roles(Authenticated<U>),
    /// Answer with a failure.
    Refuse(AuthFailure),
}

fn decide<S, R, F, T, U>(shared: &Shared<S, R, F, T>, outcome: Result<Authenticated<U>, AuthFailure>) -> Next<U> {
    match outcome {
        Ok(auth) if shared.requirement.is_some() => Next::Roles(auth),
        Ok(auth) => Next::Inner(Some(auth)),
        Err(failure)
            if failure.kind() == FailureKind::MissingCredentials && shared.optional && shared.requirement.is_none() =>
        {
            Next::Inner(None)
        }
        Err(failure) => Next::Refuse(failure),
    }
}

struct Pending<I, S, R, F, B, T> {
    parts: Parts,
    body: B,
    inner: I,
    shared: Arc<Shared<S, R, F, T>>,
    /// The throttle keys of this request (empty without a throttle).
    keys: Keys,
    /// Whether the throttle saw earlier failures for these keys (a success then resets
    /// the user-id's count).
    had_failures: bool,
}

impl<I, S: Scheme, R, F, B, T> Pending<I, S, R, F, B, T> {
    /// Proxy mode: puts the origin's `Authorization` back in place of the proxy credentials,
    /// and takes the scheme's other credentials off.
    fn restore(&mut self) {
        if self.shared.proxy {
            self.shared.proxy_out(&mut self.parts);
        }
    }
}

/// Proxy mode: the origin's `Authorization` values, set aside in the request's extensions
/// (proxy mode only: nothing is added to the common path) while the `Proxy-Authorization`
/// values stand in their place.
#[derive(Clone)]
struct OriginAuthorization(Vec<HeaderValue>);

/// Proxy mode: sets the origin's `Authorization` values aside and moves the
/// `Proxy-Authorization` values into their place, so that every scheme reads them.
#[cold]
fn proxy_swap_in(parts: &mut Parts) {
    let headers = &mut parts.headers;
    let origin: Vec<HeaderValue> = match headers.entry(AUTHORIZATION) {
        Entry::Occupied(e) => e.remove_entry_mult().1.collect(),
        Entry::Vacant(_) => Vec::new(),
    };
    let proxy: Vec<HeaderValue> = match headers.entry(PROXY_AUTHORIZATION) {
        Entry::Occupied(e) => e.remove_entry_mult().1.collect(),
        Entry::Vacant(_) => Vec::new(),
    };
    for v in proxy {
        headers.append(AUTHORIZATION, v);
    }
    if !origin.is_empty() {
        parts.extensions.insert(OriginAuthorization(origin));
    }
}

/// Undoes [`proxy_swap_in`]: the proxy credentials are dropped (consumed by this hop).
#[cold]
fn proxy_swap_out(parts: &mut Parts) {
    parts.headers.remove(AUTHORIZATION);
    if let Some(OriginAuthorization(origin)) = parts.extensions.remove::<OriginAuthorization>() {
        for v in origin {
            parts.headers.append(AUTHORIZATION, v);
        }
    }
}

/// Moves every value of `from` to `to`, after any `to` already has.
#[cold]
fn rename_header(headers: &mut HeaderMap, from: &HeaderName, to: &HeaderName) {
    if let Entry::Occupied(e) = headers.entry(from) {
        let values: Vec<HeaderValue> = e.remove_entry_mult().1.collect();
        for v in values {
            headers.append(to, v);
        }
    }
}

pin_project! {
    /// The response future of [`AuthService`].
    pub struct ResponseFuture<I, S, R, F, B, T = MemoryStore>
    where
        I: Service<Request<B>>,
        S: Scheme,
        R: RolesHook<S::User>,
        T: ThrottleStore,
    {
        #[pin]
        state: State<I::Future, S::Future, R::Future, T::Future, S::User, I::Response>,
        pending: Option<Pending<I, S, R, F, B, T>>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<IF, SF, RF, TF, U, Res> {
        // The inner service's future, answered as it is (nothing to add to the response).
        Passthrough { #[pin] fut: IF },
        Checking { #[pin] fut: TF },
        Authenticating { #[pin] fut: SF },
        Recording { #[pin] fut: TF, outcome: Option<Result<Authenticated<U>, AuthFailure>> },
        Roles { #[pin] fut: RF, auth: Option<Authenticated<U>> },
        Inner { #[pin] fut: IF, headers: HeaderMap },
        Refused { res: Option<Res> },
        Done,
    }
}

impl<I, S, R, F, B, T> ResponseFuture<I, S, R, F, B, T>
where
    I: Service<Request<B>>,
    S: Scheme,
    R: RolesHook<S::User>,
    T: ThrottleStore,
{
    fn passthrough(fut: I::Future) -> Self {
        ResponseFuture {
            state: State::Passthrough { fut },
            pending: None,
        }
    }
}

impl<I, S, R, F, B, T> fmt::Debug for ResponseFuture<I, S, R, F, B, T>
where
    I: Service<Request<B>>,
    S: Scheme,
    R: RolesHook<S::User>,
    T: ThrottleStore,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

/// What to do with the throttle store's answer when it failed.
fn store_status(
    result: Result<ThrottleStatus, crate::BoxError>,
    policy: OnStoreError,
) -> Result<ThrottleStatus, AuthFailure> {
    result.or_else(|e| match policy {
        OnStoreError::FailOpen => {
            tracing::warn!(error = %e, "throttle store failed; authenticating without throttling");
            Ok(ThrottleStatus::default())
        }
        OnStoreError::FailClosed => Err(AuthFailure::internal(e).with_description("throttle store failed")),
    })
}

impl<I, S, R, F, B, T, ResBody> Future for ResponseFuture<I, S, R, F, B, T>
where
    I: Service<Request<B>, Response = Response<ResBody>>,
    S: Scheme,
    R: RolesHook<S::User>,
    F: FailureHandler<ResBody>,
    T: ThrottleStore,
{
    type Output = Result<Response<ResBody>, I::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            // The outcome of authentication, once known, after the throttle recorded it.
            let outcome = match this.state.as_mut().project() {
                StateProj::Passthrough { fut } => return fut.poll(cx),
                StateProj::Checking { fut } => {
                    let result = ready!(fut.poll(cx));
                    let pending = this.pending.as_mut().expect("polled after completion");
                    let throttle = pending.shared.throttle.as_ref().expect("a throttle");
                    let failure = match store_status(result, throttle.on_store_error) {
                        Ok(ThrottleStatus {
                            locked_for: Some(after),
                            ..
                        }) => AuthFailure::new(FailureKind::TooManyRequests)
                            .with_description("too many failed attempts; try again later")
                            .with_retry_after(after),
                        Ok(status) => {
                            pending.had_failures = status.failures > 0;
                            let fut = pending.shared.scheme.authenticate(&pending.parts);
                            this.state.set(State::Authenticating { fut });
                            continue;
                        }
                        Err(failure) => failure,
                    };
                    let mut p = this.pending.take().expect("pending request");
                    p.restore();
                    this.state.set(State::Done);
                    return Poll::Ready(Ok(refuse(&p.shared, failure, &p.parts)));
                }
                StateProj::Authenticating { fut } => {
                    let result = ready!(fut.poll(cx));
                    let pending = this.pending.as_mut().expect("polled after completion");
                    if let Some(throttle) = &pending.shared.throttle
                        && !pending.keys.is_empty()
                    {
                        let record = match &result {
                            Err(f) if f.kind() == FailureKind::InvalidCredentials => {
                                Some(throttle.store.record_failure(
                                    pending.keys.as_slice(),
                                    throttle.policy(),
                                    throttle.now(),
                                ))
                            }
                            Ok(_) if pending.had_failures => {
                                pending.keys.username().map(|k| throttle.store.reset(&[k]))
                            }
                            _ => None,
                        };
                        if let Some(fut) = record {
                            this.state.set(State::Recording {
                                fut,
                                outcome: Some(result),
                            });
                            continue;
                        }
                    }
                    result
                }
                StateProj::Recording { fut, outcome } => {
                    let result = ready!(fut.poll(cx));
                    let outcome = outcome.take().expect("recording polled after completion");
                    match result {
                        Ok(ThrottleStatus {
                            locked_for: Some(lock),
                            failures,
                        }) => {
                            // Key Debug shows the address, never the user-id.
                            let keys = this.pending.as_ref().map(|p| p.keys);
                            tracing::info!(
                                keys = ?keys.as_ref().map(Keys::as_slice),
                                failures,
                                locked_for_ms = u64::try_from(lock.as_millis()).unwrap_or(u64::MAX),
                                "failed logins: locked"
                            );
                        }
                        Ok(_) => {}
                        // The outcome stands either way; a lost count is only logged.
                        Err(e) => tracing::warn!(error = %e, "throttle store failed to record an attempt"),
                    }
                    outcome
                }
                StateProj::Roles { fut, auth } => {
                    let result = ready!(fut.poll(cx));
                    let auth = auth.take().expect("roles polled after completion");
                    let mut p = this.pending.take().expect("pending request");
                    let requirement = p.shared.requirement.as_ref().expect("a requirement");
                    let failure = match result {
                        Ok(roles) if requirement.is_satisfied_by(&roles) => {
                            this.state.set(call_inner(p, Some(auth)));
                            continue;
                        }
                        Ok(_) => {
                            let f = AuthFailure::forbidden().with_scope(requirement.scope());
                            match auth.scheme {
                                Some(scheme) => f.with_scheme(scheme),
                                None => f,
                            }
                        }
                        Err(e) => AuthFailure::internal(e).with_description("roles hook failed"),
                    };
                    p.restore();
                    this.state.set(State::Done);
                    return Poll::Ready(Ok(refuse(&p.shared, failure, &p.parts)));
                }
                StateProj::Inner { fut, headers } => {
                    let mut res = ready!(fut.poll(cx))?;
                    if !headers.is_empty() && res.headers().is_empty() {
                        // Nothing to merge with: the scheme's map becomes the response's.
                        std::mem::swap(res.headers_mut(), headers);
                    } else if !headers.is_empty() {
                        let mut last = None;
                        for (name, value) in std::mem::take(headers) {
                            let name = name.or(last.take()).expect("HeaderMap yields a name first");
                            res.headers_mut().append(name.clone(), value);
                            last = Some(name);
                        }
                    }
                    this.state.set(State::Done);
                    return Poll::Ready(Ok(res));
                }
                StateProj::Refused { res } => {
                    let res = res.take().expect("ResponseFuture polled after completion");
                    this.state.set(State::Done);
                    return Poll::Ready(Ok(res));
                }
                StateProj::Done => panic!("ResponseFuture polled after completion"),
            };
            let pending = this.pending.as_mut().expect("polled after completion");
            let shared = &pending.shared;
            // The same decisions as `decide`, written out: moving the outcome through an
            // enum measurably slows this, the common path.
            match outcome {
                Ok(auth) => match &shared.requirement {
                    Some(_) => {
                        let fut = shared.roles.roles(&auth.user);
                        this.state.set(State::Roles { fut, auth: Some(auth) });
                    }
                    None => {
                        let p = this.pending.take().expect("pending request");
                        this.state.set(call_inner(p, Some(auth)));
                    }
                },
                Err(failure)
                    if failure.kind() == FailureKind::MissingCredentials
                        && shared.optional
                        && shared.requirement.is_none() =>
                {
                    let p = this.pending.take().expect("pending request");
                    this.state.set(call_inner(p, None));
                }
                Err(failure) => {
                    let mut p = this.pending.take().expect("pending request");
                    p.restore();
                    this.state.set(State::Done);
                    return Poll::Ready(Ok(refuse(&p.shared, failure, &p.parts)));
                }
            }
        }
    }
}

type StateOf<I, S, R, T, B> = State<
    <I as Service<Request<B>>>::Future,
    <S as Scheme>::Future,
    <R as RolesHook<<S as Scheme>::User>>::Future,
    <T as ThrottleStore>::Future,
    <S as Scheme>::User,
    <I as Service<Request<B>>>::Response,
>;

#[inline]
fn call_inner<I, S, R, F, B, T>(
    p: Pending<I, S, R, F, B, T>,
    auth: Option<Authenticated<S::User>>,
) -> StateOf<I, S, R, T, B>
where
    I: Service<Request<B>>,
    S: Scheme,
    R: RolesHook<S::User>,
    T: ThrottleStore,
{
    let Pending {
        mut parts,
        body,
        mut inner,
        shared,
        ..
    } = p;
    if shared.proxy {
        shared.proxy_out(&mut parts);
    }
    // `forward`, inlined by hand: this is the common path, and the tuple costs.
    let headers = match auth {
        Some(auth) => {
            if shared.insert_user {
                parts.extensions.insert(AuthUser(auth.user));
            }
            let mut headers = auth.response_headers;
            if shared.proxy {
                rename_header(&mut headers, &AUTHENTICATION_INFO, &PROXY_AUTHENTICATION_INFO);
            }
            headers
        }
        None => HeaderMap::new(),
    };
    let fut = inner.call(Request::from_parts(parts, body));
    State::Inner { fut, headers }
}

/// Calls the inner service with the user (if any) in the extensions; returns its future and
/// the headers to add to its response.
fn forward<I, B, U>(
    mut parts: Parts,
    body: B,
    inner: &mut I,
    proxy: bool,
    insert_user: bool,
    auth: Option<Authenticated<U>>,
) -> (I::Future, HeaderMap)
where
    I: Service<Request<B>>,
    U: Clone + Send + Sync + 'static,
{
    let headers = match auth {
        Some(auth) => {
            if insert_user {
                parts.extensions.insert(AuthUser(auth.user));
            }
            let mut headers = auth.response_headers;
            if proxy {
                rename_header(&mut headers, &AUTHENTICATION_INFO, &PROXY_AUTHENTICATION_INFO);
            }
            headers
        }
        None => HeaderMap::new(),
    };
    (inner.call(Request::from_parts(parts, body)), headers)
}

/// Builds the failure response: challenges, logging, the handler, and the `401` rule.
fn refuse<S, R, F, T, ResBody>(
    shared: &Shared<S, R, F, T>,
    mut failure: AuthFailure,
    parts: &Parts,
) -> Response<ResBody>
where
    S: Scheme,
    F: FailureHandler<ResBody>,
{
    let kind = failure.kind();
    let mut challenges = HeaderMap::new();
    shared.scheme.challenge(&failure, &mut challenges);
    failure.set_proxy(shared.proxy);
    match kind {
        FailureKind::Internal => tracing::error!(
            method = %parts.method,
            path = parts.uri.path(),
            error = %failure,
            "authentication could not be completed"
        ),
        _ => tracing::debug!(
            method = %parts.method,
            path = parts.uri.path(),
            kind = kind.code(),
            scheme = failure.scheme().unwrap_or(""),
            "request refused"
        ),
    }
    // `DefaultFailure` moves the challenges into its response (on the statuses it
    // documents); any other handler finds them in `failure.challenges()`.
    let mut res = shared.failure.respond_with_challenges(&mut failure, challenges, parts);
    if res.status() == http::StatusCode::UNAUTHORIZED && !res.headers().contains_key(WWW_AUTHENTICATE) {
        for v in failure.challenges().get_all(WWW_AUTHENTICATE) {
            res.headers_mut().append(WWW_AUTHENTICATE, v.clone());
        }
    }
    if shared.proxy {
        to_proxy_response(&mut res, &failure);
    }
    if body_left_unread(parts) {
        res.headers_mut()
            .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
    }
    res
}

/// Whether a refused request leaves a body unread on an HTTP/1 connection, so that the
/// refusal must say `Connection: close`.
///
/// A refusal never reads the body (the inner service is not called). An HTTP/1 server
/// cannot read the next request before this one's body, so hyper, finding the body
/// incomplete once the response is written, closes the connection, and the response it
/// already sent did not say so: a client that reuses the connection (a Digest client
/// retrying a `POST` with its credentials) then writes into a closed socket. Saying
/// `Connection: close` lets it open a new connection instead. Draining the body first
/// would keep the connection, but needs the request body type to be a `Body`, a timer (a
/// runtime), and a bound on what a client may make the server read; a reconnect after a
/// refused upload is cheap next to that.
///
/// A request declares a body with `Transfer-Encoding` or a non-zero `Content-Length`
/// (RFC 9112 §6.3); one whose body an earlier layer has read ([`DigestBody`] in its
/// extensions, from `DigestBodyLayer`) leaves nothing unread. HTTP/2 and HTTP/3 forbid
/// `Connection` and cancel an unread body on its own stream.
///
/// [`DigestBody`]: crate::digest::DigestBody
fn body_left_unread(parts: &Parts) -> bool {
    use http::Version;
    use http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
    matches!(parts.version, Version::HTTP_10 | Version::HTTP_11)
        && (parts.headers.contains_key(TRANSFER_ENCODING)
            || parts
                .headers
                .get(CONTENT_LENGTH)
                .is_some_and(|v| v.to_str().ok().and_then(|n| n.trim().parse::<u64>().ok()) != Some(0)))
        && parts.extensions.get::<crate::digest::DigestBody>().is_none()
}

/// Proxy mode: `401` becomes `407`, `WWW-Authenticate` becomes `Proxy-Authenticate`, and a
/// `407` from a custom handler without `Proxy-Authenticate` gets the challenges.
fn to_proxy_response<B>(res: &mut Response<B>, failure: &AuthFailure) {
    if res.status() == http::StatusCode::UNAUTHORIZED {
        *res.status_mut() = http::StatusCode::PROXY_AUTHENTICATION_REQUIRED;
    }
    rename_header(res.headers_mut(), &WWW_AUTHENTICATE, &PROXY_AUTHENTICATE);
    if res.status() == http::StatusCode::PROXY_AUTHENTICATION_REQUIRED
        && !res.headers().contains_key(PROXY_AUTHENTICATE)
    {
        for v in failure.challenges().get_all(WWW_AUTHENTICATE) {
            res.headers_mut().append(PROXY_AUTHENTICATE, v.clone());
        }
    }
}

//! [`AuthLayer`]: the middleware, its configuration, and the way a request travels.
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
//!
//! # The way a request travels
//!
//! [`AuthService::call`] and [`ResponseFuture`] read top to bottom:
//!
//! 1. **exempt?** ([`AuthLayer::exempt_methods`], [`AuthLayer::exempt_if`]; CORS preflights by
//!    default) → the inner service, untouched;
//! 2. **read and verify the credentials**: the scheme's future; with a
//!    [`throttle`](crate::throttle) attached, a request carrying credentials is checked
//!    against it first (a locked key never reaches the verifier) and the outcome is counted;
//! 3. **roles**, on routes with a [`Requirement`]: the roles hook, then the requirement;
//! 4. **hand the user on** as [`AuthUser`](crate::AuthUser) in the request extensions, and call
//!    the inner service;
//! 5. **refusal**: the inner service is not called; the failure handler builds the response
//!    (`respond.rs`), and every `400`, `401` and `403` carries the scheme's challenges.
//!
//! Rejections are returned as `Ok(response)`, so the inner service's error type is untouched
//! (axum's `Infallible` stays `Infallible`). The request body is never read.

use std::fmt;
use std::sync::Arc;

use http::Method;
use http::request::Parts;
use tower_layer::Layer;

use crate::BoxError;
use crate::failure::DefaultFailure;
use crate::roles::{Requirement, RolesHook};
use crate::scheme::{AuthRequest, Scheme};
use crate::throttle::Throttle;

mod future;
mod respond;
mod service;

pub use future::ResponseFuture;
pub(crate) use respond::BodyRead;
pub use service::AuthService;

type Predicate = dyn Fn(&Parts) -> bool + Send + Sync;

/// Everything an [`AuthLayer`] was told, shared by its clones and services.
pub(crate) struct Config<S: Scheme, F> {
    pub(crate) scheme: Arc<S>,
    pub(crate) failure: Arc<F>,
    pub(crate) roles: Option<RolesHook<S::User>>,
    pub(crate) requirement: Option<Requirement>,
    pub(crate) optional: bool,
    /// `None`: the default (CORS preflights outside proxy mode, nothing in proxy mode).
    pub(crate) exempt_methods: Option<Arc<[Method]>>,
    pub(crate) exempt_if: Option<Arc<Predicate>>,
    pub(crate) proxy: bool,
    pub(crate) insert_user: bool,
    pub(crate) max_header_len: usize,
    pub(crate) throttle: Option<Throttle>,
}

impl<S: Scheme, F> Clone for Config<S, F> {
    fn clone(&self) -> Self {
        Config {
            scheme: self.scheme.clone(),
            failure: self.failure.clone(),
            roles: self.roles.clone(),
            requirement: self.requirement.clone(),
            optional: self.optional,
            exempt_methods: self.exempt_methods.clone(),
            exempt_if: self.exempt_if.clone(),
            proxy: self.proxy,
            insert_user: self.insert_user,
            max_header_len: self.max_header_len,
            throttle: self.throttle.clone(),
        }
    }
}

impl<S: Scheme, F> Config<S, F> {
    /// The request as the scheme reads it: in proxy mode or not, with the header bound.
    pub(crate) fn request<'a>(&self, parts: &'a Parts) -> AuthRequest<'a> {
        AuthRequest::configured(parts, self.proxy, self.max_header_len)
    }

    /// Whether the request passes without authentication.
    pub(crate) fn is_exempt(&self, parts: &Parts) -> bool {
        let by_method = match &self.exempt_methods {
            Some(methods) => methods.contains(&parts.method),
            None => !self.proxy && is_cors_preflight(parts),
        };
        by_method || self.exempt_if.as_ref().is_some_and(|pred| pred(parts))
    }
}

/// Proxy mode: the credentials meant for this hop never travel further, on any path:
/// `Proxy-Authorization`, and whatever else the scheme reads (an API-key header, a cookie, a
/// query parameter).
pub(crate) fn strip_proxy_credentials<S: Scheme, F>(config: &Config<S, F>, parts: &mut Parts) {
    parts.headers.remove(http::header::PROXY_AUTHORIZATION);
    config.scheme.remove_credentials(parts);
}

/// A CORS preflight: `OPTIONS` with `Origin` and `Access-Control-Request-Method`. Browsers
/// send it without credentials, so it must pass for a cross-origin API to work at all.
fn is_cors_preflight(parts: &Parts) -> bool {
    parts.method == Method::OPTIONS
        && parts.headers.contains_key(http::header::ORIGIN)
        && parts.headers.contains_key(http::header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// Authentication middleware: wraps a service so that only authenticated requests reach it.
///
/// Built from a [`Scheme`] (such as [`Basic`](crate::Basic)), then refined:
///
/// | refinement | what it does |
/// |---|---|
/// | [`roles`](Self::roles), [`roles_from`](Self::roles_from) | how to learn a user's roles |
/// | [`require`](Self::require), [`require_role`](Self::require_role), [`require_any_role`](Self::require_any_role), [`require_all_roles`](Self::require_all_roles) | what this route requires (`403` otherwise) |
/// | [`optional`](Self::optional) | requests without credentials pass, with no user |
/// | [`exempt_methods`](Self::exempt_methods), [`exempt_if`](Self::exempt_if) | requests that skip authentication |
/// | [`on_failure`](Self::on_failure) | your own failure responses |
/// | [`throttle`](Self::throttle) | slow down password guessing |
/// | [`insert_user`](Self::insert_user)`(false)` | a pure gate that hands no user on |
/// | [`proxy`](Self::proxy) | a forward proxy's authentication (`407`, `Proxy-Authorization`) |
/// | [`max_header_len`](Self::max_header_len) | the longest credentials field accepted |
///
/// Cloning is cheap (one `Arc`), and clones share the scheme and its verifier, so one layer
/// serves many routes with per-route requirements:
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
pub struct AuthLayer<S: Scheme, F = DefaultFailure> {
    config: Arc<Config<S, F>>,
}

impl<S: Scheme, F> Clone for AuthLayer<S, F> {
    fn clone(&self) -> Self {
        AuthLayer {
            config: self.config.clone(),
        }
    }
}

impl<S: Scheme + fmt::Debug, F> fmt::Debug for AuthLayer<S, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        f.debug_struct("AuthLayer")
            .field("scheme", &c.scheme)
            .field("requirement", &c.requirement)
            .field("optional", &c.optional)
            .field("exempt_methods", &c.exempt_methods)
            .field("proxy", &c.proxy)
            .field("insert_user", &c.insert_user)
            .field("throttle", &c.throttle)
            .finish_non_exhaustive()
    }
}

impl<S: Scheme> AuthLayer<S> {
    /// A layer authenticating with `scheme`: no roles, the default failure responses, and
    /// CORS preflights exempt.
    pub fn new(scheme: S) -> Self {
        AuthLayer {
            config: Arc::new(Config {
                scheme: Arc::new(scheme),
                failure: Arc::new(DefaultFailure),
                roles: None,
                requirement: None,
                optional: false,
                exempt_methods: None,
                exempt_if: None,
                proxy: false,
                insert_user: true,
                max_header_len: crate::header::DEFAULT_MAX_LEN,
                throttle: None,
            }),
        }
    }
}

impl<S: Scheme, F> AuthLayer<S, F> {
    fn edit(mut self, f: impl FnOnce(&mut Config<S, F>)) -> Self {
        f(Arc::make_mut(&mut self.config));
        self
    }

    /// The scheme this layer authenticates with.
    pub fn scheme(&self) -> &S {
        &self.config.scheme
    }

    /// Learns an authenticated user's roles with an async `hook`
    /// (`Fn(&User) -> impl Future<Output = Result<impl IntoIterator<Item = impl Into<String>>, E>>`;
    /// an `Err` is answered `500`). The hook runs only on routes with a requirement, after
    /// authentication succeeded.
    ///
    /// ```
    /// # use tower_httpauth::{AuthLayer, Basic, BasicCredentials};
    /// # #[derive(Clone)] struct User { id: u32 }
    /// # let basic = Basic::new(|c: BasicCredentials| async move { Some(User { id: 1 }) });
    /// let layer = AuthLayer::new(basic).roles(|u: &User| {
    ///     let id = u.id;
    ///     async move { Ok::<_, std::io::Error>(if id == 1 { vec!["admin"] } else { vec![] }) }
    /// });
    /// # let _ = layer;
    /// ```
    pub fn roles<H, Fut, R, E>(self, hook: H) -> Self
    where
        H: Fn(&S::User) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<R, E>> + Send + 'static,
        R: IntoIterator,
        R::Item: Into<String>,
        E: Into<BoxError>,
    {
        let hook = RolesHook::from_async(hook);
        self.edit(|c| c.roles = Some(hook))
    }

    /// Like [`roles`](Self::roles), from a plain function of the user.
    ///
    /// ```
    /// # use tower_httpauth::{AuthLayer, Basic, BasicCredentials};
    /// # #[derive(Clone)] struct User { roles: Vec<String> }
    /// # let basic = Basic::new(|c: BasicCredentials| async move { Some(User { roles: vec![] }) });
    /// let layer = AuthLayer::new(basic).roles_from(|u: &User| u.roles.clone());
    /// ```
    pub fn roles_from<H, R>(self, hook: H) -> Self
    where
        H: Fn(&S::User) -> R + Send + Sync + 'static,
        R: IntoIterator,
        R::Item: Into<String>,
    {
        let hook = RolesHook::from_sync(hook);
        self.edit(|c| c.roles = Some(hook))
    }

    /// Builds failure responses with `handler`: a closure `Fn(&AuthFailure, &Parts) ->
    /// Response<B>` or any [`FailureHandler`](crate::failure::FailureHandler). Whatever it
    /// returns, the layer adds the scheme's challenges to a `400`, `401` or `403` without a
    /// `WWW-Authenticate` field, and `Retry-After` to a `429` without one.
    pub fn on_failure<F2>(self, handler: F2) -> AuthLayer<S, F2> {
        let c = &*self.config;
        AuthLayer {
            config: Arc::new(Config {
                scheme: c.scheme.clone(),
                failure: Arc::new(handler),
                roles: c.roles.clone(),
                requirement: c.requirement.clone(),
                optional: c.optional,
                exempt_methods: c.exempt_methods.clone(),
                exempt_if: c.exempt_if.clone(),
                proxy: c.proxy,
                insert_user: c.insert_user,
                max_header_len: c.max_header_len,
                throttle: c.throttle.clone(),
            }),
        }
    }

    /// Requires `requirement` of the user's roles; a user who does not meet it gets `403`.
    /// Replaces any earlier requirement of this layer. Without a roles hook every user has
    /// no roles.
    pub fn require(self, requirement: Requirement) -> Self {
        self.edit(|c| c.requirement = Some(requirement))
    }

    /// Requires one role.
    pub fn require_role(self, role: impl Into<std::borrow::Cow<'static, str>>) -> Self {
        self.require(Requirement::role(role))
    }

    /// Requires at least one of `roles`.
    pub fn require_any_role<I>(self, roles: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Requirement>,
    {
        self.require(Requirement::any_of(roles))
    }

    /// Requires all of `roles`.
    pub fn require_all_roles<I>(self, roles: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Requirement>,
    {
        self.require(Requirement::all_of(roles))
    }

    /// Optional authentication: a request **without** credentials reaches the inner service
    /// with no [`AuthUser`](crate::AuthUser) (use `Option<AuthUser<U>>` in axum). Credentials
    /// that are presented but wrong are still refused with `401`, and a role requirement is
    /// never skipped: with a requirement, a request without credentials gets `401`.
    pub fn optional(self) -> Self {
        self.edit(|c| c.optional = true)
    }

    /// Whether the authenticated user is handed on as [`AuthUser`](crate::AuthUser) in the
    /// request extensions (the default: yes).
    ///
    /// `insert_user(false)` makes the layer a pure gate, like tower-http's
    /// `ValidateRequestHeaderLayer`: requests are still authenticated (and their roles
    /// checked), but nothing is handed on. Use it when the handlers behind the layer never
    /// read the user, as with [`StaticCredentials`](crate::basic::StaticCredentials) guarding a
    /// whole service. An [`AuthUser`](crate::AuthUser) extractor behind such a layer finds
    /// nothing and rejects the request with `500`.
    ///
    /// Unlike tower-http's validators, which check every request, the layer lets CORS
    /// preflights through unauthenticated by default (see
    /// [`exempt_methods`](Self::exempt_methods)); pass `exempt_methods([])` for a gate that
    /// exempts nothing.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http::{Request, Response, StatusCode};
    /// use tower::{ServiceBuilder, ServiceExt};
    /// use tower_httpauth::{AuthLayer, AuthUser, Basic};
    /// use tower_httpauth::basic::StaticCredentials;
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
        self.edit(|c| c.insert_user = insert)
    }

    /// Sets the methods that pass without authentication, replacing the default.
    ///
    /// By default a CORS preflight (an `OPTIONS` request carrying `Origin` and
    /// `Access-Control-Request-Method`, which browsers send without credentials) passes, and
    /// every other request is authenticated; in [proxy mode](Self::proxy) nothing passes.
    /// Pass an empty list to authenticate every request.
    ///
    /// ```
    /// # use tower_httpauth::{AuthLayer, Basic, BasicCredentials};
    /// # let basic = Basic::new(|c: BasicCredentials| async move { Some(()) });
    /// use http::Method;
    /// // Public reads, authenticated writes.
    /// let layer = AuthLayer::new(basic).exempt_methods([Method::GET, Method::HEAD, Method::OPTIONS]);
    /// # let _ = layer;
    /// ```
    pub fn exempt_methods(self, methods: impl IntoIterator<Item = Method>) -> Self {
        let methods: Arc<[Method]> = methods.into_iter().collect();
        self.edit(|c| c.exempt_methods = Some(methods))
    }

    /// Lets requests for which `predicate` returns `true` pass without authentication
    /// (health checks, public paths), besides the exempt methods.
    ///
    /// ```
    /// # use tower_httpauth::{AuthLayer, Basic, BasicCredentials};
    /// # let basic = Basic::new(|c: BasicCredentials| async move { Some(()) });
    /// let layer = AuthLayer::new(basic).exempt_if(|parts| parts.uri.path() == "/healthz");
    /// # let _ = layer;
    /// ```
    pub fn exempt_if(self, predicate: impl Fn(&Parts) -> bool + Send + Sync + 'static) -> Self {
        let predicate: Arc<Predicate> = Arc::new(predicate);
        self.edit(|c| c.exempt_if = Some(predicate))
    }

    /// Throttles password guessing (see [`throttle`](crate::throttle)): failed logins are
    /// counted per user-id and per client address, and requests with credentials for a
    /// locked key are refused with `429` and `Retry-After` before the verifier runs. Off until
    /// called.
    ///
    /// ```
    /// # use tower_httpauth::{AuthLayer, Basic};
    /// # use tower_httpauth::basic::StaticCredentials;
    /// use tower_httpauth::throttle::Throttle;
    /// let layer = AuthLayer::new(Basic::new(StaticCredentials::new("admin", "s3cret"))).throttle(Throttle::new());
    /// # let _ = layer;
    /// ```
    pub fn throttle(self, throttle: Throttle) -> Self {
        self.edit(|c| c.throttle = Some(throttle))
    }

    /// Proxy authentication (RFC 9110 §11.7, RFC 7616 §3.8), for a forward proxy built on
    /// tower: credentials are read from `Proxy-Authorization`; refusals are `407 Proxy
    /// Authentication Required` (instead of `401`) with the challenges in
    /// `Proxy-Authenticate`; Digest's `Authentication-Info` is sent as
    /// `Proxy-Authentication-Info`. Every scheme works this way, alone or in
    /// [`Multi`](crate::Multi). No request is exempt unless
    /// [`exempt_methods`](Self::exempt_methods) or [`exempt_if`](Self::exempt_if) says so.
    ///
    /// The proxy consumes its credentials: `Proxy-Authorization`, and every other place the
    /// scheme reads credentials from ([`Scheme::remove_credentials`]: a
    /// [`Bearer::api_key`](crate::Bearer::api_key) or [`Bearer::header`](crate::Bearer::header)
    /// header, the token cookie out of the `Cookie` field, the token parameter out of the
    /// request-target), are removed before the request goes on, whether it was
    /// authenticated, exempt or let through by [`optional`](Self::optional); a refused request
    /// does not go on at all. An `Authorization` field meant for the origin server passes
    /// untouched. `examples/forward_proxy.rs` is a small forward proxy built this way.
    ///
    /// # Panics
    ///
    /// If the scheme cannot remove the credentials it reads
    /// ([`Scheme::can_remove_credentials`] is `false`, the default for a scheme of your own):
    /// they would be forwarded to whatever host a client names. Every scheme of this crate,
    /// alone or in [`Multi`](crate::Multi), can.
    ///
    /// ```
    /// # use tower_httpauth::{AuthLayer, Basic};
    /// # use tower_httpauth::basic::StaticCredentials;
    /// let layer = AuthLayer::new(Basic::new(StaticCredentials::new("alice", "s3cret")).realm("proxy")).proxy();
    /// # let _ = layer;
    /// ```
    pub fn proxy(self) -> Self {
        assert!(
            self.config.scheme.can_remove_credentials(),
            "AuthLayer::proxy: the scheme `{}` cannot remove the credentials it reads \
             (Scheme::can_remove_credentials is false), so a proxy would forward them to any host \
             a client names; implement Scheme::remove_credentials and can_remove_credentials",
            std::any::type_name::<S>()
        );
        self.edit(|c| c.proxy = true)
    }

    /// Sets the longest credentials field (`Authorization`, `Proxy-Authorization`)
    /// accepted, in bytes (default 4096); longer fields are answered `431`. The same bound
    /// applies to the credentials a scheme reads from elsewhere:
    /// [`Bearer`](crate::Bearer)'s token header, token parameter and token cookie value.
    pub fn max_header_len(self, len: usize) -> Self {
        self.edit(|c| c.max_header_len = len)
    }
}

impl<I, S: Scheme, F> Layer<I> for AuthLayer<S, F> {
    type Service = AuthService<I, S, F>;

    fn layer(&self, inner: I) -> Self::Service {
        AuthService::new(inner, self.config.clone())
    }
}

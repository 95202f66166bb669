//! The cases of the Bearer and multi-scheme benches, shared by the timing (`bearer`) and
//! allocation (`bearer_alloc`) harnesses. Each case is a tower service over `Request<Body>`
//! whose futures complete on the first poll, driven with a no-op waker (no runtime measured),
//! and is handed to a [`Visit`] implementation.
#![allow(dead_code, unreachable_pub)]

use std::convert::Infallible;
use std::fmt::Debug;
use std::future::{Future, Ready, ready};
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

use axum::body::Body;
use axum::middleware::{self, Next};
use http::header::AUTHORIZATION;
use http::{HeaderValue, Request, Response, StatusCode};
use tower::{Layer, Service, service_fn};
use tower_http::auth::{AsyncAuthorizeRequest, AsyncRequireAuthorizationLayer};
use tower_http::validate_request::ValidateRequestHeaderLayer;
use tower_httpauth::{AuthLayer, Basic, BasicCredentials, Bearer, Multi, StaticTokens, Token, TokenVerifier};

/// The one accepted token.
pub const TOKEN: &str = "mF_9.B5f-4.1JqM-long-enough-to-be-real-0123456789";
/// Its `Authorization` value.
pub const HEADER: &str = "Bearer mF_9.B5f-4.1JqM-long-enough-to-be-real-0123456789";

/// Polls `f` to completion with a no-op waker (every case completes without I/O).
pub fn run<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1000 {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
    panic!("future did not complete without I/O");
}

/// A request carrying `Authorization: auth`, if any (a static value: cloning it is free).
pub fn request(auth: Option<&'static str>) -> Request<Body> {
    let mut req = Request::new(Body::empty());
    if let Some(a) = auth {
        req.headers_mut().insert(AUTHORIZATION, HeaderValue::from_static(a));
    }
    req
}

/// Calls `svc` once with `req` (ready, then call, as a server does).
pub fn call<S>(svc: &mut S, req: Request<Body>) -> Response<Body>
where
    S: Service<Request<Body>, Response = Response<Body>>,
    S::Error: Debug,
{
    run(std::future::poll_fn(|cx| svc.poll_ready(cx))).unwrap();
    run(svc.call(req)).unwrap()
}

/// The bare service: the floor every case is compared with.
pub type Inner = tower::util::ServiceFn<fn(Request<Body>) -> Ready<Result<Response<Body>, Infallible>>>;

/// The bare service.
pub fn inner() -> Inner {
    service_fn(|_req: Request<Body>| ready(Ok(Response::new(Body::empty()))))
}

/// Receives every case.
pub trait Visit {
    /// One case: `svc` answers a request with `auth` with `expect`.
    fn case<S>(&mut self, group: &str, name: &str, svc: S, auth: Option<&'static str>, expect: StatusCode)
    where
        S: Service<Request<Body>, Response = Response<Body>> + Clone,
        S::Error: Debug;
}

/// tower-http's async authorization with an unboxed future, doing the same check.
#[derive(Clone, Copy)]
pub struct Unboxed;

impl AsyncAuthorizeRequest<Body> for Unboxed {
    type RequestBody = Body;
    type ResponseBody = Body;
    type Future = Ready<Result<Request<Body>, Response<Body>>>;

    fn authorize(&mut self, request: Request<Body>) -> Self::Future {
        ready(check(request))
    }
}

/// The check the competitors do: the one fixed token, compared in constant time.
#[allow(clippy::result_large_err)] // tower-http's shape
pub fn check(request: Request<Body>) -> Result<Request<Body>, Response<Body>> {
    let ok = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
        .is_some_and(|t| tower_httpauth::constant_time_eq(t, TOKEN.as_bytes()));
    if ok {
        Ok(request)
    } else {
        let mut res = Response::new(Body::empty());
        *res.status_mut() = StatusCode::UNAUTHORIZED;
        Err(res)
    }
}

async fn from_fn_check(request: Request<Body>, next: Next) -> Response<Body> {
    match check(request) {
        Ok(req) => next.run(req).await,
        Err(res) => res,
    }
}

fn static_tokens() -> StaticTokens {
    StaticTokens::new().with(TOKEN, "john")
}

type BoxedAuth = Pin<Box<dyn Future<Output = Result<Request<Body>, Response<Body>>> + Send>>;

fn boxed(req: Request<Body>) -> BoxedAuth {
    Box::pin(async move { check(req) })
}

fn name_of(t: Token) -> Ready<Result<Option<String>, Infallible>> {
    ready(Ok((t.as_str() == TOKEN).then(|| "john".to_owned())))
}

fn same_user<V: TokenVerifier<User = String>>(v: V) -> Bearer<V> {
    Bearer::new(v)
}

fn basic_check(c: BasicCredentials) -> Ready<Option<String>> {
    ready((c.username() == "john" && c.password() == "hello").then(|| "john".to_owned()))
}

/// Hands every case to `v`.
pub fn all_cases(v: &mut impl Visit) {
    let ok = StatusCode::OK;
    let no = StatusCode::UNAUTHORIZED;
    let g = "bearer";
    v.case(g, "floor", inner(), Some(HEADER), ok);
    v.case(
        g,
        "ours",
        AuthLayer::new(Bearer::new(static_tokens())).layer(inner()),
        Some(HEADER),
        ok,
    );
    v.case(
        g,
        "tower_http_validate_bearer",
        ValidateRequestHeaderLayer::bearer(TOKEN).layer(inner()),
        Some(HEADER),
        ok,
    );
    v.case(
        g,
        "tower_http_async_unboxed",
        AsyncRequireAuthorizationLayer::new(Unboxed).layer(inner()),
        Some(HEADER),
        ok,
    );
    v.case(
        g,
        "tower_http_async_boxed",
        AsyncRequireAuthorizationLayer::new(boxed as fn(Request<Body>) -> BoxedAuth).layer(inner()),
        Some(HEADER),
        ok,
    );
    v.case(
        g,
        "axum_from_fn",
        middleware::from_fn(from_fn_check).layer(inner()),
        Some(HEADER),
        ok,
    );
    v.case(
        g,
        "ours_missing_401",
        AuthLayer::new(Bearer::new(static_tokens())).layer(inner()),
        None,
        no,
    );
    v.case(
        g,
        "tower_http_validate_missing_401",
        ValidateRequestHeaderLayer::bearer(TOKEN).layer(inner()),
        None,
        no,
    );

    let g = "multi";
    let multi = || {
        Multi::new(Basic::new(basic_check))
            .or(Bearer::api_key("x-api-key", static_tokens()))
            .or(same_user(name_of))
    };
    v.case(g, "floor", inner(), Some(HEADER), ok);
    v.case(
        g,
        "bearer_alone",
        AuthLayer::new(same_user(name_of)).layer(inner()),
        Some(HEADER),
        ok,
    );
    v.case(
        g,
        "multi3_bearer_last",
        AuthLayer::new(multi()).layer(inner()),
        Some(HEADER),
        ok,
    );
    v.case(
        g,
        "bearer_alone_missing_401",
        AuthLayer::new(same_user(name_of)).layer(inner()),
        None,
        no,
    );
    v.case(
        g,
        "multi3_missing_401",
        AuthLayer::new(multi()).layer(inner()),
        None,
        no,
    );
}

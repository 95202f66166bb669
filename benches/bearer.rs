//! The Bearer and multi-scheme paths against their alternatives, each against a bare
//! service floor, in one run:
//!
//! - `bearer/*`: one valid `Authorization: Bearer` token through our layer, tower-http's
//!   `ValidateRequestHeaderLayer::bearer`, tower-http's `AsyncRequireAuthorizationLayer`
//!   (an unboxed and a boxed future) and axum's `middleware::from_fn`, all doing the same
//!   check (one fixed token);
//! - `multi/*`: the same request through Bearer alone and through
//!   `Multi(Basic, API key, Bearer)` (the chosen scheme last: worst-case detection), and a
//!   request without credentials answered with three challenges.
//!
//! Futures here complete without I/O, so they are polled with a no-op waker (no runtime
//! in the measurement). Report results as ratios to `floor`.
#![allow(deprecated, missing_docs)]

use std::convert::Infallible;
use std::future::{Future, Ready, ready};
use std::hint::black_box;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

use axum::body::Body;
use axum::middleware::{self, Next};
use criterion::{Criterion, criterion_group, criterion_main};
use http::header::AUTHORIZATION;
use http::{HeaderValue, Request, Response, StatusCode};
use tower::{Layer, Service, ServiceExt, service_fn};
use tower_http::auth::{AsyncAuthorizeRequest, AsyncRequireAuthorizationLayer};
use tower_http::validate_request::ValidateRequestHeaderLayer;
use tower_httpauth::{AuthLayer, Basic, Bearer, Multi, StaticCredentials, StaticTokens, Token, TokenVerifier};

const TOKEN: &str = "mF_9.B5f-4.1JqM-long-enough-to-be-real-0123456789";
const HEADER: &str = "Bearer mF_9.B5f-4.1JqM-long-enough-to-be-real-0123456789";

fn run<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1000 {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
    panic!("future did not complete without I/O");
}

fn request(auth: Option<&'static str>) -> Request<Body> {
    let mut req = Request::new(Body::empty());
    if let Some(a) = auth {
        req.headers_mut().insert(AUTHORIZATION, HeaderValue::from_static(a));
    }
    req
}

type Inner = tower::util::ServiceFn<fn(Request<Body>) -> Ready<Result<Response<Body>, Infallible>>>;

fn inner() -> Inner {
    service_fn(|_req: Request<Body>| ready(Ok(Response::new(Body::empty()))))
}

fn bench_case<S>(
    c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    svc: S,
    auth: Option<&'static str>,
    expect: StatusCode,
) where
    S: Service<Request<Body>, Response = Response<Body>> + Clone,
    S::Error: std::fmt::Debug,
{
    // Check once that the case does what it claims.
    let res = run(svc.clone().oneshot(request(auth))).unwrap();
    assert_eq!(res.status(), expect, "{name}");
    c.bench_function(name, |b| {
        b.iter(|| {
            let res = run(svc.clone().oneshot(request(auth))).unwrap();
            black_box(res)
        })
    });
}

/// The same check as the other cases: the one fixed token, compared in constant time.
#[derive(Clone, Copy)]
struct Unboxed;

impl AsyncAuthorizeRequest<Body> for Unboxed {
    type RequestBody = Body;
    type ResponseBody = Body;
    type Future = Ready<Result<Request<Body>, Response<Body>>>;

    fn authorize(&mut self, request: Request<Body>) -> Self::Future {
        ready(check(request))
    }
}

#[allow(clippy::result_large_err)] // tower-http's shape
fn check(request: Request<Body>) -> Result<Request<Body>, Response<Body>> {
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

fn bearer_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("bearer");
    bench_case(&mut g, "floor", inner(), Some(HEADER), StatusCode::OK);
    bench_case(
        &mut g,
        "ours",
        AuthLayer::new(Bearer::new(static_tokens())).layer(inner()),
        Some(HEADER),
        StatusCode::OK,
    );
    bench_case(
        &mut g,
        "tower_http_validate_bearer",
        ValidateRequestHeaderLayer::bearer(TOKEN).layer(inner()),
        Some(HEADER),
        StatusCode::OK,
    );
    bench_case(
        &mut g,
        "tower_http_async_unboxed",
        AsyncRequireAuthorizationLayer::new(Unboxed).layer(inner()),
        Some(HEADER),
        StatusCode::OK,
    );
    type BoxedAuth = Pin<Box<dyn Future<Output = Result<Request<Body>, Response<Body>>> + Send>>;
    let boxed = |req: Request<Body>| -> BoxedAuth { Box::pin(async move { check(req) }) };
    bench_case(
        &mut g,
        "tower_http_async_boxed",
        AsyncRequireAuthorizationLayer::new(boxed).layer(inner()),
        Some(HEADER),
        StatusCode::OK,
    );
    bench_case(
        &mut g,
        "axum_from_fn",
        middleware::from_fn(from_fn_check).layer(inner()),
        Some(HEADER),
        StatusCode::OK,
    );
    // Refusals: ours answers with an RFC 6750 challenge.
    bench_case(
        &mut g,
        "ours_missing_401",
        AuthLayer::new(Bearer::new(static_tokens())).layer(inner()),
        None,
        StatusCode::UNAUTHORIZED,
    );
    bench_case(
        &mut g,
        "tower_http_validate_missing_401",
        ValidateRequestHeaderLayer::bearer(TOKEN).layer(inner()),
        None,
        StatusCode::UNAUTHORIZED,
    );
    g.finish();
}

fn multi_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("multi");
    let name_of = |t: Token| ready(Ok::<_, Infallible>((t.as_str() == TOKEN).then(|| "john".to_owned())));
    fn same_user<V: TokenVerifier<User = String>>(v: V) -> Bearer<V> {
        Bearer::new(v)
    }
    let basic = || {
        Basic::new(|c: tower_httpauth::BasicCredentials| {
            ready((c.username() == "john" && c.password() == "hello").then(|| "john".to_owned()))
        })
    };
    let _ = StaticCredentials::new("a", "b");
    bench_case(&mut g, "floor", inner(), Some(HEADER), StatusCode::OK);
    bench_case(
        &mut g,
        "bearer_alone",
        AuthLayer::new(same_user(name_of)).layer(inner()),
        Some(HEADER),
        StatusCode::OK,
    );
    let multi = || {
        Multi::new(basic())
            .or(Bearer::api_key("x-api-key", static_tokens()))
            .or(same_user(name_of))
    };
    bench_case(
        &mut g,
        "multi3_bearer_last",
        AuthLayer::new(multi()).layer(inner()),
        Some(HEADER),
        StatusCode::OK,
    );
    bench_case(
        &mut g,
        "bearer_alone_missing_401",
        AuthLayer::new(same_user(name_of)).layer(inner()),
        None,
        StatusCode::UNAUTHORIZED,
    );
    bench_case(
        &mut g,
        "multi3_missing_401",
        AuthLayer::new(multi()).layer(inner()),
        None,
        StatusCode::UNAUTHORIZED,
    );
    g.finish();
}

criterion_group!(benches, bearer_benches, multi_benches);
criterion_main!(benches);

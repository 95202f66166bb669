//! Allocation regression test for the Basic paths (counts, not timings): success allocates
//! nothing beyond the extensions insert, a refusal at most three times.
//!
//! The whole file is one test, because the counting allocator counts every thread of this
//! binary; `stats_alloc` is a dev-dependency and wraps the system allocator here only.

use std::alloc::System;
use std::borrow::Cow;
use std::convert::Infallible;
use std::future::{Future, Ready, ready};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use axum::body::Bytes;
use http::header::AUTHORIZATION;
use http::{HeaderValue, Request, Response, StatusCode};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use tower::{Layer, Service, service_fn};
use tower_httpauth::{AuthLayer, AuthUser, Basic, BasicCredentials, StaticCredentials};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const N: usize = 200;

/// Allocations made by `N` runs of `f` (each given a fresh input built outside the count).
fn allocations<T>(mut make: impl FnMut() -> T, mut f: impl FnMut(T)) -> usize {
    let inputs: Vec<T> = (0..N).map(|_| make()).collect();
    let region = Region::new(GLOBAL);
    for input in inputs {
        f(input);
    }
    let s = region.change();
    s.allocations + s.reallocations
}

fn call<S>(svc: &mut S, req: Request<()>) -> Response<Bytes>
where
    S: Service<Request<()>, Response = Response<Bytes>, Error = Infallible>,
{
    let mut cx = Context::from_waker(Waker::noop());
    assert!(matches!(svc.poll_ready(&mut cx), Poll::Ready(Ok(()))));
    match pin!(svc.call(req)).poll(&mut cx) {
        Poll::Ready(Ok(res)) => res,
        _ => panic!("the Basic path completes on the first poll"),
    }
}

#[test]
fn basic_success_and_failure_allocate_only_what_they_must() {
    let good = HeaderValue::from_static("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    let request = || {
        let mut req = Request::new(());
        req.headers_mut().insert(AUTHORIZATION, good.clone());
        req
    };

    // Decoding typical credentials does not allocate.
    let token = &good.as_bytes()[6..];
    assert_eq!(
        allocations(
            || (),
            |()| {
                let c = BasicCredentials::decode(std::hint::black_box(token)).unwrap();
                assert_eq!(c.username(), "Aladdin");
            }
        ),
        0
    );

    // The floor: the inner service alone, and inserting the user into fresh extensions.
    // `Bytes` bodies: the default failure text is a static slice, so the body allocates
    // nothing and the counts below are the layer's alone.
    let handler = |req: Request<()>| -> Ready<Result<Response<Bytes>, Infallible>> {
        let mut res = Response::new(Bytes::new());
        if req.extensions().get::<AuthUser<()>>().is_none() {
            *res.status_mut() = StatusCode::NO_CONTENT;
        }
        ready(Ok(res))
    };
    let mut bare = service_fn(handler);
    let floor = allocations(request, |req| {
        call(&mut bare, req);
    });
    let insert = allocations(http::Extensions::new, |mut ext| {
        ext.insert(AuthUser(()));
        std::hint::black_box(&ext);
    });

    let mut ours =
        AuthLayer::new(Basic::new(StaticCredentials::new("Aladdin", "open sesame"))).layer(service_fn(handler));
    let mut statuses = Vec::with_capacity(N);
    let with_auth = allocations(request, |req| statuses.push(call(&mut ours, req).status()));
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "the user reached the handler"
    );
    assert_eq!(
        with_auth,
        floor + insert,
        "Basic success path: {} allocations per request, the extensions insert alone makes {}",
        with_auth as f64 / N as f64,
        insert as f64 / N as f64
    );

    // As a pure gate (`insert_user(false)`), a request with the fixed credential costs no
    // allocation at all beyond the inner service's.
    let mut gate = AuthLayer::new(Basic::new(StaticCredentials::new("Aladdin", "open sesame")))
        .insert_user(false)
        .layer(service_fn(handler));
    let mut gated = Vec::with_capacity(N);
    let through_gate = allocations(request, |req| gated.push(call(&mut gate, req).status()));
    assert!(
        gated.iter().all(|s| *s == StatusCode::NO_CONTENT),
        "the request passed, and no user was handed on"
    );
    assert_eq!(
        through_gate,
        floor,
        "fixed-credential gate: {} allocations per request beyond the inner service's",
        (through_gate as f64 - floor as f64) / N as f64
    );

    // A refusal: only the response's header map holding the challenge (its index table and
    // its entries); the failure itself allocates nothing. The challenge is built once, at
    // configuration.
    let bad = HeaderValue::from_static("Basic QWxhZGRpbjpvcGVuIHNlc2FtZg==");
    let bad_request = || {
        let mut req = Request::new(());
        req.headers_mut().insert(AUTHORIZATION, bad.clone());
        req
    };
    // One refusal first: the logging call site registers itself once, on first use.
    call(&mut ours, bad_request());
    let mut refused = Vec::with_capacity(N);
    let failure = allocations(bad_request, |req| refused.push(call(&mut ours, req)));
    assert!(refused.iter().all(|r| {
        r.status() == StatusCode::UNAUTHORIZED
            && r.headers()["www-authenticate"] == r#"Basic realm="Restricted", charset="UTF-8""#
    }));
    assert!(
        failure <= 2 * N,
        "Basic failure path: {} allocations per request, expected at most 2",
        failure as f64 / N as f64
    );

    // RFC 8265 (PRECIS) enforcement costs no allocation for credentials already in their
    // enforced form: ASCII (the fast path) and NFC non-ASCII text alike (first call outside
    // the count: the profiles' lazy statics).
    let basic = Basic::new(StaticCredentials::new("Aladdin", "open sesame"));
    for (user, password) in [("Aladdin", "open sesame"), ("Jäsøn Doe", "Secret, or nöt? ☠")] {
        let value = BasicCredentials::new(user, password).to_header_value();
        let parts = || {
            let mut req = Request::new(());
            req.headers_mut().insert(AUTHORIZATION, value.clone());
            req.into_parts().0
        };
        let _ = basic.credentials(&parts());
        let n = allocations(parts, |parts| {
            let c = basic.credentials(std::hint::black_box(&parts)).unwrap().unwrap();
            assert_eq!((c.username(), c.password()), (user, password));
            std::hint::black_box(parts);
        });
        assert_eq!(n, 0, "{user:?}: decoding and enforcing allocated");
        let n = allocations(
            || (),
            |()| {
                let u = tower_httpauth::precis::username(std::hint::black_box(user)).unwrap();
                let p = tower_httpauth::precis::password(std::hint::black_box(password)).unwrap();
                assert!(matches!((u, p), (Cow::Borrowed(_), Cow::Borrowed(_))));
            },
        );
        assert_eq!(n, 0, "{user:?}: precis::username / password allocated");
    }
}

//! Allocation regression test for the Basic paths (counts, not timings): success allocates
//! nothing beyond handing the user on and the clone of the inner service that the request
//! takes along (tower's guidance for a response future that calls the inner service later);
//! a refusal at most five times.
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
use http::request::Parts;
use http::{HeaderValue, Request, Response, StatusCode};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use tower::{Layer, Service, service_fn};
use tower_httpauth::basic::StaticCredentials;
use tower_httpauth::precis::Precis;
use tower_httpauth::scheme::AuthRequest;
use tower_httpauth::{AuthLayer, AuthUser, Basic, BasicCredentials, Scheme, Verifier, sync_fn};

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

/// The credentials `basic` hands its verifier for the request `parts` (the verifier returns
/// them as its user, and answers at once).
fn credentials<V>(basic: &Basic<V>, parts: &Parts) -> BasicCredentials
where
    V: Verifier<BasicCredentials, User = BasicCredentials>,
{
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(basic.authenticate(&AuthRequest::new(parts))).poll(&mut cx) {
        Poll::Ready(Ok(auth)) => auth.user,
        _ => panic!("Basic refused the credentials, or its verifier waited"),
    }
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

    // Decoding typical credentials does not allocate: what Basic hands its verifier, read
    // with RFC 8265 enforcement off (the decoder alone), through a verifier that never waits.
    let decode_only = Basic::new(sync_fn(|c: &BasicCredentials| Some(c.clone()))).precis(Precis::Off);
    let _ = credentials(&decode_only, &request().into_parts().0);
    assert_eq!(
        allocations(
            || request().into_parts().0,
            |parts| {
                let c = credentials(&decode_only, std::hint::black_box(&parts));
                assert_eq!(c.username(), "Aladdin");
                std::hint::black_box(parts);
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
    // Handing the user on is the extensions insert and one more: beside `AuthUser<U>` the
    // layer records the name of the type `U` (a `&'static str`, boxed like every extension),
    // so that an `AuthUser` extractor asking for another type can say which one it found.
    assert_eq!(
        with_auth,
        floor + insert + N,
        "Basic success path: {} allocations per request, the extensions insert alone makes {}, \
         the user type's name one more",
        with_auth as f64 / N as f64,
        insert as f64 / N as f64
    );

    // The request takes the inner service along and leaves a clone in its place (tower's
    // guidance), also when the verifier answers at once: a service whose clone allocates
    // (here it owns a `String`) adds that allocation, and nothing else.
    let owned = String::from("inner service state");
    let owning = service_fn(move |req: Request<()>| {
        std::hint::black_box(&owned);
        handler(req)
    });
    let mut bare = owning.clone();
    let owning_floor = allocations(request, |req| {
        call(&mut bare, req);
    });
    let clone = allocations(|| (), |()| drop(std::hint::black_box(owning.clone())));
    assert_eq!(clone, N, "the inner service's clone allocates once");
    let mut ours_owning = AuthLayer::new(Basic::new(StaticCredentials::new("Aladdin", "open sesame"))).layer(owning);
    let mut statuses = Vec::with_capacity(N);
    let with_clone = allocations(request, |req| statuses.push(call(&mut ours_owning, req).status()));
    assert!(statuses.iter().all(|s| *s == StatusCode::OK));
    assert_eq!(
        with_clone,
        owning_floor + insert + N + clone,
        "Basic success path with an inner service whose clone allocates: {} allocations per request",
        with_clone as f64 / N as f64
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

    // A refusal: the response's header map holding the challenge (its index table and its
    // entries), the map of challenges the failure handler reads (`AuthFailure::challenges`),
    // and the box of the failure's extras holding that map. The challenge value itself is
    // built once, at configuration.
    let one_field_map = allocations(
        || (),
        |()| {
            let mut map = http::HeaderMap::new();
            map.insert(http::header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic"));
            std::hint::black_box(map);
        },
    );
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
        failure <= 2 * one_field_map + N,
        "Basic failure path: {} allocations per request, expected at most {}",
        failure as f64 / N as f64,
        (2 * one_field_map + N) as f64 / N as f64
    );

    // RFC 8265 (PRECIS) enforcement costs no allocation for credentials already in their
    // enforced form: ASCII (the fast path) and NFC non-ASCII text alike (first call outside
    // the count: the profiles' lazy statics).
    let basic = Basic::new(sync_fn(|c: &BasicCredentials| Some(c.clone())));
    for (user, password) in [("Aladdin", "open sesame"), ("Jäsøn Doe", "Secret, or nöt? ☠")] {
        let value = BasicCredentials::new(user, password).to_header_value();
        let parts = || {
            let mut req = Request::new(());
            req.headers_mut().insert(AUTHORIZATION, value.clone());
            req.into_parts().0
        };
        let _ = credentials(&basic, &parts());
        let n = allocations(parts, |parts| {
            let c = credentials(&basic, std::hint::black_box(&parts));
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

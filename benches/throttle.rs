//! What the brute-force throttle costs a successful login: the same Basic request through the
//! layer without a throttle, with the in-memory throttle (empty and full store), and through a
//! locked key (refused before the verifier).
//!
//! ```text
//! cargo bench --bench throttle
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::net::SocketAddr;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use http::{Request, Response};
use tower::Service;
use tower_httpauth::throttle::{Limits, Throttle};
use tower_httpauth::{AuthLayer, Basic, BasicCredentials, StaticCredentials};

fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn request(user: &str, password: &str, ip: [u8; 4]) -> Request<()> {
    let mut req = Request::builder()
        .header(
            http::header::AUTHORIZATION,
            BasicCredentials::new(user, password).to_header_value(),
        )
        .body(())
        .unwrap();
    req.extensions_mut().insert(SocketAddr::from((ip, 1)));
    req
}

fn bench(c: &mut Criterion) {
    let inner = tower::service_fn(|_req: Request<()>| async { Ok::<_, Infallible>(Response::new(String::new())) });
    let basic = || Basic::new(StaticCredentials::new("admin", "s3cret"));
    let mut group = c.benchmark_group("basic success");

    let mut plain = tower::Layer::layer(&AuthLayer::new(basic()), inner);
    group.bench_function("no throttle", |b| {
        b.iter(|| block_on(plain.call(black_box(request("admin", "s3cret", [10, 0, 0, 1])))).unwrap())
    });

    let mut throttled = tower::Layer::layer(&AuthLayer::new(basic()).throttle(Throttle::new()), inner);
    group.bench_function("memory throttle, empty store", |b| {
        b.iter(|| block_on(throttled.call(black_box(request("admin", "s3cret", [10, 0, 0, 1])))).unwrap())
    });

    // A store holding 100 000 other keys (its bound), the clock standing still so that none
    // decays.
    let clock = || Duration::from_secs(1_000_000);
    let full_layer =
        AuthLayer::new(basic()).throttle(Throttle::new().clock(clock).without_address().per_username(Limits::new(
            1000,
            Duration::from_secs(1),
            Duration::from_secs(1),
        )));
    let mut full = tower::Layer::layer(&full_layer, inner);
    for i in 0..100_000 {
        block_on(full.call(request(&format!("user{i}"), "wrong", [10, 0, 0, 1]))).unwrap();
    }
    group.bench_function("memory throttle, 100 000 keys", |b| {
        b.iter(|| block_on(full.call(black_box(request("admin", "s3cret", [10, 0, 0, 1])))).unwrap())
    });

    // A locked address: refused with 429 before the verifier.
    let mut locked = tower::Layer::layer(
        &AuthLayer::new(basic()).throttle(Throttle::new().clock(clock).per_address(Limits::new(
            0,
            Duration::from_secs(3600),
            Duration::from_secs(3600),
        ))),
        inner,
    );
    block_on(locked.call(request("x", "wrong", [10, 0, 0, 2]))).unwrap();
    group.bench_function("locked address (429)", |b| {
        b.iter(|| {
            let res = block_on(locked.call(black_box(request("admin", "s3cret", [10, 0, 0, 2])))).unwrap();
            assert_eq!(res.status(), 429);
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

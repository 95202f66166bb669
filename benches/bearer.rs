//! Timing: the Bearer and multi-scheme paths against their alternatives, each against a bare
//! service floor, in one run (cases in `bearer_cases`):
//!
//! - `bearer/*`: one valid `Authorization: Bearer` token through our layer, tower-http's
//!   `ValidateRequestHeaderLayer::bearer`, tower-http's `AsyncRequireAuthorizationLayer`
//!   (an unboxed and a boxed future) and axum's `middleware::from_fn`, all doing the same
//!   check (one fixed token); and a request without a token;
//! - `multi/*`: the same request through Bearer alone and through
//!   `Multi(Basic, API key, Bearer)` (the chosen scheme last: worst-case detection), and a
//!   request without credentials (three challenges against one).
//!
//! Report results as ratios to `floor`. Allocations per request: `cargo bench --bench bearer_alloc`.
#![allow(deprecated, missing_docs)]

mod bearer_cases;

use std::fmt::Debug;
use std::hint::black_box;

use axum::body::Body;
use bearer_cases::{Visit, all_cases, call, request};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use http::{Request, Response, StatusCode};
use tower::Service;

struct Timing<'a> {
    c: &'a mut Criterion,
}

impl Visit for Timing<'_> {
    fn case<S>(&mut self, group: &str, name: &str, svc: S, auth: Option<&'static str>, expect: StatusCode)
    where
        S: Service<Request<Body>, Response = Response<Body>> + Clone,
        S::Error: Debug,
    {
        let mut svc = svc;
        assert_eq!(call(&mut svc, request(auth)).status(), expect, "{group}/{name}");
        let mut g: BenchmarkGroup<'_, WallTime> = self.c.benchmark_group(group);
        g.bench_function(name, |b| b.iter(|| black_box(call(&mut svc, request(auth)))));
        g.finish();
    }
}

fn benches(c: &mut Criterion) {
    all_cases(&mut Timing { c });
}

criterion_group!(group, benches);
criterion_main!(group);

//! Heap allocations and bytes allocated per request for every case of the `bearer` bench,
//! counted with `stats_alloc` (in this binary only, so the timing bench runs on the plain
//! allocator). Requests are built before counting starts.
//!
//! ```text
//! cargo bench --bench bearer_alloc
//! ```
#![allow(deprecated, missing_docs)]

mod bearer_cases;

use std::alloc::System;
use std::fmt::Debug;
use std::hint::black_box;

use axum::body::Body;
use bearer_cases::{Visit, all_cases, call, request};
use http::{Request, Response, StatusCode};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use tower::Service;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const N: usize = 1000;

struct Count(Vec<(String, f64, f64)>);

impl Visit for Count {
    fn case<S>(&mut self, group: &str, name: &str, svc: S, auth: Option<&'static str>, expect: StatusCode)
    where
        S: Service<Request<Body>, Response = Response<Body>> + Clone,
        S::Error: Debug,
    {
        let mut svc = svc;
        // Warm up (lazy statics, first-use allocations) and check the answer.
        assert_eq!(call(&mut svc, request(auth)).status(), expect, "{group}/{name}");
        let mut batch: Vec<Request<Body>> = (0..N).map(|_| request(auth)).collect();
        let region = Region::new(GLOBAL);
        for req in batch.drain(..) {
            black_box(call(&mut svc, req));
        }
        let s = region.change();
        self.0.push((
            format!("{group}/{name}"),
            (s.allocations + s.reallocations) as f64 / N as f64,
            s.bytes_allocated as f64 / N as f64,
        ));
    }
}

fn main() {
    let mut count = Count(Vec::new());
    all_cases(&mut count);
    println!("| case | allocations | bytes |");
    println!("|---|---:|---:|");
    for (name, allocs, bytes) in count.0 {
        println!("| {name} | {allocs:.1} | {bytes:.0} |");
    }
}

//! Heap allocations and bytes allocated per request, for every case of the paired harness,
//! plus inserting one value into `http::Extensions` alone (the floor every success path that
//! hands a user on must pay).
//!
//! ```text
//! cargo bench --bench alloc
//! ```
//!
//! The counting allocator is `stats_alloc` (a wrapper over the system allocator); it lives in
//! this bench binary only, so the timing benches run on the plain allocator. Requests are
//! built before counting starts; only driving them through the service is counted.

mod common;

use std::hint::black_box;

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const N: usize = 1000;

/// (allocations, bytes) per iteration of `f`.
fn count(mut f: impl FnMut()) -> (f64, f64) {
    let region = Region::new(GLOBAL);
    for _ in 0..N {
        f();
    }
    let s = region.change();
    (
        (s.allocations + s.reallocations) as f64 / N as f64,
        s.bytes_allocated as f64 / N as f64,
    )
}

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let mut rows = Vec::new();

    // Inserting one user into fresh extensions, alone.
    let user = common::ACCOUNT.user.clone();
    rows.push((
        "extensions insert alone (`User(Arc<str>)`)".to_string(),
        count(|| {
            let mut ext = http::Extensions::new();
            ext.insert(user.clone());
            black_box(&ext);
        }),
    ));
    rows.push((
        "extensions insert alone (`AuthUser<()>`)".to_string(),
        count(|| {
            let mut ext = http::Extensions::new();
            ext.insert(tower_httpauth::AuthUser(()));
            black_box(&ext);
        }),
    ));

    for mut case in common::basic_cases()
        .into_iter()
        .chain(common::multi_cases().into_iter().skip(1))
    {
        let mut batch = Vec::with_capacity(N);
        // Warm up once (lazy statics, first-use allocations).
        case.fill(&mut batch, 4);
        black_box((case.run)(&mut batch));
        case.fill(&mut batch, N);
        let region = Region::new(GLOBAL);
        black_box((case.run)(&mut batch));
        let s = region.change();
        rows.push((
            format!("`{}`", case.name),
            (
                (s.allocations + s.reallocations) as f64 / N as f64,
                s.bytes_allocated as f64 / N as f64,
            ),
        ));
        if quick {
            break;
        }
    }

    println!("## Allocations per request\n");
    println!("| case | allocations | bytes |");
    println!("|---|---:|---:|");
    for (name, (allocs, bytes)) in rows {
        println!("| {name} | {allocs:.1} | {bytes:.0} |");
    }
    println!();
}

//! The paired, interleaved micro-harness: nanoseconds per request through the layer against
//! tower-http's validators, `AsyncRequireAuthorizationLayer` and axum's `from_fn`, with no
//! network and no runtime. A reference tool for work on the request path; what users meet
//! is measured by `benches/load.rs`.
//!
//! Each round runs every case once, in a freshly shuffled order, for a batch of requests,
//! and subtracts that round's floor (the bare service) from each case; the tables report
//! the medians (and IQR) of those differences and the ratios of the paired cases.
//! Pairing within a round cancels most of the drift of a shared, noisy machine.
//!
//! ```text
//! cargo bench --bench paired                               # 3000 rounds or 40 s, whichever first
//! PAIRED_ROUNDS=1000 PAIRED_BATCH=2000 PAIRED_SECS=120 cargo bench --bench paired
//! ```
//!
//! Then the multi-scheme cases (four schemes on one route against the chosen one alone), and
//! the timing flatness of `constant_time_eq` the same way (equal inputs, a
//! difference in the first or the last byte, a wrong length), with `==` for contrast.
//!
//! `PAIRED_ONLY=ours/static` keeps the floor and the matching cases (for `perf record`).
//! Without `--bench` (as `cargo test --benches` runs it) it does a three-round smoke run.

mod common;

fn main() {
    let config = common::PairedConfig::from_env();
    let mut cases = common::basic_cases();
    // PAIRED_ONLY=substring keeps the floor and the cases whose name contains it (profiling).
    if let Ok(only) = std::env::var("PAIRED_ONLY") {
        cases.retain(|c| c.name == common::FLOOR || c.name.contains(&only));
    }
    let result = common::run_paired(cases, config);
    common::print_paired("Basic", &result, &config, common::BASIC_PAIRS);
    let mut multi = common::multi_cases();
    if let Ok(only) = std::env::var("PAIRED_ONLY") {
        multi.retain(|c| c.name == common::FLOOR || c.name.contains(&only));
    }
    if multi.len() > 1 {
        let result = common::run_paired(multi, config);
        common::print_paired("Multi-scheme", &result, &config, common::MULTI_PAIRS);
    }
    flatness(config.rounds <= 3);
}

/// Timing flatness of `constant_time_eq` (and, for contrast, `==`): equal inputs, a difference
/// in the first byte, a difference in the last byte, and a wrong length, interleaved in shuffled
/// order, a batch of comparisons per case and round. Reports the median ns per comparison and
/// the spread between the cases' medians.
fn flatness(quick: bool) {
    use std::hint::black_box;
    use std::time::Instant;

    const LEN: usize = 32;
    const BATCH: usize = 2000;
    let rounds = if quick { 3 } else { 3000 };
    let secret = [0x5Au8; LEN];
    let equal = secret;
    let mut first = secret;
    first[0] ^= 1;
    let mut last = secret;
    last[LEN - 1] ^= 1;
    let short = [0x5Au8; LEN - 1];
    let inputs: [(&str, &[u8]); 4] = [
        ("equal", &equal),
        ("first byte differs", &first),
        ("last byte differs", &last),
        ("one byte shorter", &short),
    ];

    type Cmp = fn(&[u8], &[u8]) -> bool;
    let eq: Cmp = |a, b| a == b;
    let functions: [(&str, Cmp); 2] = [("constant_time_eq", tower_httpauth::constant_time_eq), ("==", eq)];

    println!("## Timing flatness of the comparison ({LEN}-byte secret)\n");
    println!("{rounds} rounds × {BATCH} comparisons per case, interleaved in shuffled order.\n");
    println!(
        "| function | equal | first byte differs | last byte differs | one byte shorter | spread of medians, same length |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let mut rng = common::XorShift::new(7);
    for (fname, f) in functions {
        let mut times = vec![Vec::with_capacity(rounds); inputs.len()];
        let mut order: Vec<usize> = (0..inputs.len()).collect();
        for _ in 0..rounds {
            rng.shuffle(&mut order);
            for &i in &order {
                let presented = inputs[i].1;
                let t = Instant::now();
                for _ in 0..BATCH {
                    black_box(f(black_box(presented), black_box(&secret)));
                }
                times[i].push(t.elapsed().as_nanos() as f64 / BATCH as f64);
            }
        }
        let medians: Vec<f64> = times
            .iter_mut()
            .map(|v| {
                v.sort_by(f64::total_cmp);
                common::quantile(v, 0.5)
            })
            .collect();
        // The spread among the same-length cases: the time may follow the presented length
        // (public, chosen by the client), never the contents.
        let lo = medians[..3].iter().copied().fold(f64::INFINITY, f64::min);
        let hi = medians[..3].iter().copied().fold(0.0, f64::max);
        let cells: Vec<String> = medians.iter().map(|m| format!("{m:.2} ns")).collect();
        println!("| `{fname}` | {} | {:.0}% |", cells.join(" | "), 100.0 * (hi - lo) / lo);
    }
    println!();
}

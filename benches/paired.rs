//! The paired, interleaved harness: the figures BENCHMARKS.md quotes.
//!
//! Each round runs every case once, in a freshly shuffled order, for a batch of requests,
//! and subtracts that round's floor (the bare service) from each case; the tables report
//! the medians (and IQR) of those differences and the ratios the performance issue targets.
//! Pairing within a round cancels most of the drift of a shared, noisy machine.
//!
//! ```text
//! cargo bench --bench paired                               # 3000 rounds or 40 s, whichever first
//! PAIRED_ROUNDS=1000 PAIRED_BATCH=2000 PAIRED_SECS=120 cargo bench --bench paired
//! ```
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
    common::print_paired("Basic", &result, &config, common::BASIC_TARGETS);
}

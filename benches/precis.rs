//! What RFC 8265 (PRECIS) enforcement costs per credential: the ASCII fast path that most
//! requests take, non-ASCII text already in its enforced form (checked, not copied), and
//! text that must be rewritten (fullwidth user-id, decomposed password).
//!
//! ```text
//! cargo bench --bench precis
//! ```
//!
//! Compare with the paired cases in `benches/paired.rs` (tens to hundreds of nanoseconds) and
//! a Digest verification in `benches/digest.rs` (microseconds).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use tower_httpauth::precis;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("precis");
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    let cases: [(&str, &str, &str); 3] = [
        ("ascii (fast path)", "Mufasa", "Circle of Life"),
        ("non-ascii, already enforced", "Jäsøn Doe", "Secret, or nöt?"),
        ("non-ascii, rewritten", "ｊｏｈｎ", "Secret, or no\u{308}t?"),
    ];
    for (name, user, password) in cases {
        group.bench_function(format!("username/{name}"), |b| {
            b.iter(|| black_box(precis::username(black_box(user)).is_ok()))
        });
        group.bench_function(format!("password/{name}"), |b| {
            b.iter(|| black_box(precis::password(black_box(password)).is_ok()))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

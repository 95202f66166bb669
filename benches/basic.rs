//! Criterion benches for Basic: every case of `common::basic_cases` in one group, in one run,
//! plus the constant-time comparison primitive against `subtle` and `==`.
//!
//! ```text
//! cargo bench --bench basic                      # everything
//! cargo bench --bench basic -- 'basic/'          # the middleware cases only
//! cargo bench --bench basic -- 'compare/'        # the comparison primitive only
//! ```
//!
//! A request costs tens of nanoseconds here and the machine is shared: read the differences
//! to the `bare` case, and prefer `benches/paired.rs` for the figures quoted in BENCHMARKS.md.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use subtle::ConstantTimeEq;

/// Requests built per chunk, outside the timing.
const CHUNK: usize = 512;

fn basic(c: &mut Criterion) {
    let mut group = c.benchmark_group("basic");
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    let mut batch = Vec::with_capacity(CHUNK);
    for mut case in common::basic_cases() {
        group.bench_function(case.name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                let mut left = iters as usize;
                while left > 0 {
                    let n = left.min(CHUNK);
                    case.fill(&mut batch, n);
                    let start = Instant::now();
                    black_box((case.run)(&mut batch));
                    total += start.elapsed();
                    left -= n;
                }
                total
            })
        });
    }
    group.finish();
}

fn compare(c: &mut Criterion) {
    let mut group = c.benchmark_group("compare");
    group.warm_up_time(Duration::from_millis(300));
    group.measurement_time(Duration::from_secs(1));
    for len in [8usize, 32, 64] {
        let a = vec![b'x'; len];
        let mut b = a.clone();
        b[len - 1] = b'y';
        group.bench_with_input(BenchmarkId::new("eq", len), &len, |bench, _| {
            bench.iter(|| black_box(black_box(&a[..]) == black_box(&b[..])))
        });
        group.bench_with_input(BenchmarkId::new("subtle", len), &len, |bench, _| {
            bench.iter(|| black_box(bool::from(black_box(&a[..]).ct_eq(black_box(&b[..])))))
        });
        group.bench_with_input(BenchmarkId::new("constant_time_eq", len), &len, |bench, _| {
            bench.iter(|| black_box(tower_httpauth::constant_time_eq(black_box(&a), black_box(&b))))
        });
    }
    group.finish();
}

/// The pieces of our Basic path, alone: where the time goes.
fn pieces(c: &mut Criterion) {
    use tower_httpauth::{Basic, BasicCredentials, StaticCredentials, header::is_token68, header::split_scheme};
    let mut group = c.benchmark_group("pieces");
    group.warm_up_time(Duration::from_millis(300));
    group.measurement_time(Duration::from_secs(1));
    let value = common::BASIC_GOOD.clone();
    let token = &value.as_bytes()[6..];
    let (parts, _) = common::request(Some(&value)).into_parts();
    let basic = Basic::new(StaticCredentials::new(common::USERNAME, common::PASSWORD));
    group.bench_function("headers.get", |b| {
        b.iter(|| black_box(black_box(&parts.headers).get(http::header::AUTHORIZATION)))
    });
    group.bench_function("split_scheme", |b| {
        b.iter(|| black_box(split_scheme(black_box(value.as_bytes()))))
    });
    group.bench_function("is_token68", |b| b.iter(|| black_box(is_token68(black_box(token)))));
    group.bench_function("base64 decode_slice", |b| {
        b.iter(|| {
            let mut buf = [0u8; 128];
            black_box(
                base64::Engine::decode_slice(&base64::engine::general_purpose::STANDARD, black_box(token), &mut buf)
                    .ok(),
            );
            black_box(buf);
        })
    });
    group.bench_function("BasicCredentials::decode", |b| {
        b.iter(|| black_box(BasicCredentials::decode(black_box(token))))
    });
    group.bench_function("Basic::credentials", |b| {
        b.iter(|| black_box(basic.credentials(black_box(&parts))))
    });
    let basic_off =
        Basic::new(StaticCredentials::new(common::USERNAME, common::PASSWORD)).precis(tower_httpauth::Precis::Off);
    group.bench_function("Basic::credentials (PRECIS off)", |b| {
        b.iter(|| black_box(basic_off.credentials(black_box(&parts))))
    });
    group.bench_function("precis::username+password", |b| {
        b.iter(|| {
            black_box(tower_httpauth::precis::username(black_box(common::USERNAME)).is_ok());
            black_box(tower_httpauth::precis::password(black_box(common::PASSWORD)).is_ok())
        })
    });
    group.bench_function("Scheme::authenticate+poll", |b| {
        b.iter(|| {
            let fut = std::pin::pin!(tower_httpauth::Scheme::authenticate(&basic, black_box(&parts)));
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            black_box(std::future::Future::poll(fut, &mut cx))
        })
    });
    group.bench_function("Extensions::insert", |b| {
        b.iter(|| {
            let mut ext = http::Extensions::new();
            ext.insert(common::ACCOUNT.user.clone());
            black_box(ext)
        })
    });
    group.finish();
}

criterion_group!(benches, basic, compare, pieces);
criterion_main!(benches);

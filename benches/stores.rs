//! Basic authentication through `AuthLayer`, side by side in one run:
//!
//! - `trivial`: `StaticCredentials` (a constant-time compare, no hash);
//! - `htpasswd_bcrypt10_cache_hit`: an htpasswd file with a bcrypt cost-10 entry, the
//!   credential cache on and warm (the steady state of a client repeating its credentials);
//! - `htpasswd_bcrypt10_cache_miss`: the same file with the cache off, so every request
//!   runs bcrypt on the hash pool.
//!
//! ```text
//! cargo bench --bench stores --features htpasswd,tokio
//! ```
//!
//! `benches/load_bcrypt.sh` measures the same three over HTTP with wrk; BENCHMARKS.md keeps
//! the figures.

use std::convert::Infallible;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use http::header::AUTHORIZATION;
use http::{Request, Response, StatusCode};
use tower::{Layer, Service, ServiceExt};
use tower_httpauth::store::{CredentialCache, Htpasswd};
use tower_httpauth::{AuthLayer, Basic, BasicCredentials, StaticCredentials, Verifier};

fn request(header: &http::HeaderValue) -> Request<()> {
    Request::builder()
        .uri("/")
        .header(AUTHORIZATION, header.clone())
        .body(())
        .unwrap()
}

fn service<V: Verifier<BasicCredentials>>(
    verifier: V,
) -> impl Service<Request<()>, Response = Response<String>, Error = Infallible> + Clone {
    AuthLayer::new(Basic::new(verifier)).layer(tower::service_fn(|_req: Request<()>| async {
        Ok::<_, Infallible>(Response::new(String::from("ok")))
    }))
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("tower-httpauth-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(".htpasswd");
    // `htpasswd -nbB -C 10 Mufasa 'Circle of Life'`.
    let hash = "$2y$10$aHbMXOy9oIufmAj97.7lzOC.0t5l212ynESKesHNymH33EGytpNIu";
    std::fs::write(&path, format!("Mufasa:{hash}\n")).unwrap();
    let header = BasicCredentials::new("Mufasa", "Circle of Life").to_header_value();

    let trivial = service(StaticCredentials::new("Mufasa", "Circle of Life"));
    let cached = service(
        Htpasswd::open(&path)
            .unwrap()
            .cache(Some(CredentialCache::new(1024, Duration::from_secs(300)))),
    );
    let uncached = service(Htpasswd::open(&path).unwrap().cache(None));

    let mut group = c.benchmark_group("basic_auth");
    group.measurement_time(Duration::from_secs(5));
    group.sample_size(20);
    run(&mut group, &rt, "trivial", trivial, &header);
    run(&mut group, &rt, "htpasswd_bcrypt10_cache_hit", cached, &header);
    run(&mut group, &rt, "htpasswd_bcrypt10_cache_miss", uncached, &header);
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

fn run<S>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    rt: &tokio::runtime::Runtime,
    name: &str,
    svc: S,
    header: &http::HeaderValue,
) where
    S: Service<Request<()>, Response = Response<String>, Error = Infallible> + Clone,
{
    // Warm the cache (and check the answer) once.
    let res = rt.block_on(svc.clone().oneshot(request(header))).unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    group.bench_function(name, |b| {
        b.iter(|| rt.block_on(svc.clone().oneshot(request(header))).unwrap());
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

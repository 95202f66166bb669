//! Digest verification per request through the layer, against the raw cost of the hashes
//! it must compute with H(A1) given: the nonce HMAC, H(A2) and the response hash; with
//! `Authentication-Info` also the rspauth's H(A2) and hash. The scheme hashes the part of
//! KD's input shared by the response and the rspauth (`H(A1) ":" nonce ":" … ":" qop ":"`)
//! once, and so does the baseline: it is the least hashing a verification can do.
//!
//! `cargo bench --bench digest` runs the criterion cases, then prints per-call medians
//! (the median of 21 interleaved rounds of 2000 calls) and the ratios (`cargo bench --bench
//! digest -- ratios-only` skips the criterion cases). A Basic request with
//! `StaticCredentials` through the same layer (no hash at all) shows the layer's own share.
//! Two more modes, for work on the hot path: `-- parse-only` times the public auth-param
//! parser ([`AuthParams::parse`]: the tokenizer the scheme parses its header with, plus the
//! `Vec` it collects into) on the benchmark's header, and `-- profile [md5] [no-info]` verifies requests in a loop for ten
//! seconds, for `perf record -g` (look under `verify`).
//!
//! A reference tool, with no target: BENCHMARKS.md has its figures and where the time goes;
//! what Digest costs a whole server is measured by `benches/load.rs`.

use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group};
use hmac::{Hmac, KeyInit, Mac};
use http::{Request, Response};
use sha2::{Digest as _, Sha256};
use tower_httpauth::basic::StaticCredentials;
use tower_httpauth::digest::{Algorithm, Digest, DigestLookup, DigestUser};
use tower_httpauth::failure::DefaultFailure;
use tower_httpauth::header::{AuthParams, split_scheme};
use tower_httpauth::{AuthLayer, Basic, BasicCredentials, Verifier};
use tower_layer::Layer;
use tower_service::Service;

const REALM: &str = "http-auth@example.org";
const URI: &str = "/dir/index.html";
const CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

/// Polls a future that completes without waiting (everything here is in memory).
fn now<F: std::future::Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("benchmark future did not complete immediately"),
    }
}

/// The credential store of the measured cases: a synchronous lookup in memory (as
/// `DigestUsers`).
type SyncStore = tower_httpauth::verify::SyncFn<fn(&DigestLookup) -> Option<DigestUser<String>>>;
/// The same lookup as an async closure.
type AsyncStore = fn(DigestLookup) -> std::future::Ready<Option<DigestUser<String>>>;

type Svc<S = SyncStore> = tower_httpauth::AuthService<
    tower::util::ServiceFn<
        fn(Request<String>) -> std::future::Ready<Result<Response<String>, std::convert::Infallible>>,
    >,
    Digest<S>,
    DefaultFailure,
>;

fn inner(_req: Request<String>) -> std::future::Ready<Result<Response<String>, std::convert::Infallible>> {
    std::future::ready(Ok(Response::new(String::new())))
}

static HA1_SHA256: std::sync::OnceLock<String> = std::sync::OnceLock::new();
static HA1_MD5: std::sync::OnceLock<String> = std::sync::OnceLock::new();

fn lookup_now(l: &DigestLookup) -> Option<DigestUser<String>> {
    let ha1 = match l.algorithm().base() {
        Algorithm::Md5 => HA1_MD5.get_or_init(|| Algorithm::Md5.ha1("Mufasa", REALM, "Circle of Life")),
        _ => HA1_SHA256.get_or_init(|| Algorithm::Sha256.ha1("Mufasa", REALM, "Circle of Life")),
    };
    (l.username() == "Mufasa").then(|| DigestUser::with_ha1("Mufasa".to_string(), ha1.clone()))
}

fn lookup(l: DigestLookup) -> std::future::Ready<Option<DigestUser<String>>> {
    std::future::ready(lookup_now(&l))
}

fn sync_store() -> SyncStore {
    tower_httpauth::sync_fn(lookup_now as fn(&DigestLookup) -> _)
}

struct Fixture<S: Verifier<DigestLookup, User = DigestUser<String>> = SyncStore> {
    svc: Svc<S>,
    client: Client,
}

struct Client {
    alg: Algorithm,
    nonce: String,
    opaque: String,
    nc: u32,
}

impl Fixture {
    fn new(alg: Algorithm) -> Self {
        Self::with_info(alg, true)
    }

    fn with_info(alg: Algorithm, info: bool) -> Self {
        Fixture::build(sync_store(), alg, info)
    }
}

impl Fixture<AsyncStore> {
    /// The async-closure store, with `Authentication-Info`.
    fn with_async_store(alg: Algorithm) -> Self {
        Fixture::build(lookup as AsyncStore, alg, true)
    }
}

impl<S: Verifier<DigestLookup, User = DigestUser<String>>> Fixture<S> {
    fn build(store: S, alg: Algorithm, info: bool) -> Self {
        let digest = Digest::new(store)
            .authentication_info(info)
            .realm(REALM)
            .algorithms([alg])
            .nonce_lifetime(Duration::from_secs(3600))
            .secret(b"benchmark secret, 32 bytes long!");
        let mut svc: Svc<S> = AuthLayer::new(digest).layer(tower::service_fn(inner as fn(_) -> _));
        let res = now(svc.call(Request::new(String::new()))).unwrap();
        let c = res.headers()["www-authenticate"].to_str().unwrap().to_owned();
        let (_, rest) = split_scheme(c.as_bytes()).unwrap();
        let p = AuthParams::parse(rest).unwrap();
        let (nonce, opaque) = (p.get("nonce").unwrap().to_owned(), p.get("opaque").unwrap().to_owned());
        Fixture {
            svc,
            client: Client {
                alg,
                nonce,
                opaque,
                nc: 0,
            },
        }
    }
}

fn verify<S: Verifier<DigestLookup, User = DigestUser<String>>>(svc: &mut Svc<S>, req: Request<String>) {
    let res = now(svc.call(req)).unwrap();
    assert_eq!(res.status(), 200);
    black_box(res);
}

impl Client {
    /// The next request, as a client would send it (not timed).
    fn request(&mut self) -> Request<String> {
        self.nc += 1;
        let nc = format!("{:08x}", self.nc);
        // RFC 7616 §3.4.1: KD(H(A1), nonce ":" nc ":" cnonce ":" qop ":" H(A2)).
        let ha1 = self.alg.ha1("Mufasa", REALM, "Circle of Life");
        let ha2 = hash(self.alg, &[b"GET:", URI.as_bytes()]);
        let r = hash(
            self.alg,
            &[
                ha1.as_bytes(),
                b":",
                self.nonce.as_bytes(),
                b":",
                nc.as_bytes(),
                b":",
                CNONCE.as_bytes(),
                b":auth:",
                ha2.as_bytes(),
            ],
        );
        let h = format!(
            r#"Digest username="Mufasa", realm="{REALM}", nonce="{}", uri="{URI}", cnonce="{CNONCE}", nc={nc}, qop=auth, response="{r}", opaque="{}", algorithm={}"#,
            self.nonce,
            self.opaque,
            self.alg.name()
        );
        Request::builder()
            .uri(URI)
            .header("authorization", h)
            .body(String::new())
            .unwrap()
    }
}

/// The hashes a verification cannot avoid, H(A1) given.
struct Raw {
    alg: Algorithm,
    ha1: String,
    mac: Hmac<Sha256>,
    nonce_raw: [u8; 56],
}

impl Raw {
    fn new(alg: Algorithm) -> Self {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"benchmark secret, 32 bytes long!").unwrap();
        mac.update(b"tower-httpauth digest nonce v1\0");
        mac.update(&(REALM.len() as u64).to_be_bytes());
        mac.update(REALM.as_bytes());
        let mut nonce_raw = [7u8; 56];
        let tag = {
            let mut m = mac.clone();
            m.update(&nonce_raw[..24]);
            m.finalize().into_bytes()
        };
        nonce_raw[24..].copy_from_slice(&tag);
        Raw {
            alg,
            ha1: alg.ha1("Mufasa", REALM, "Circle of Life"),
            mac,
            nonce_raw,
        }
    }

    /// nonce HMAC + H(A2) + response; with `rspauth`, also the rspauth's H(A2) and the
    /// end of its hash (the part before H(A2) is shared with the response, as the scheme
    /// shares it).
    fn run(&self, nonce: &str, nc: &str, rspauth: bool) {
        let mut m = self.mac.clone();
        m.update(&self.nonce_raw[..24]);
        assert!(m.verify_slice(&self.nonce_raw[24..]).is_ok());
        let ha2 = hash(self.alg, &[b"GET:", URI.as_bytes()]);
        let mut kd = Kd::new(self.alg);
        for part in [
            self.ha1.as_bytes(),
            b":",
            nonce.as_bytes(),
            b":",
            nc.as_bytes(),
            b":",
            CNONCE.as_bytes(),
            b":auth:",
        ] {
            kd.update(part);
        }
        let kd2 = rspauth.then(|| kd.clone());
        kd.update(ha2.as_bytes());
        black_box(kd.finish());
        if let Some(mut kd2) = kd2 {
            let ha2 = hash(self.alg, &[b":", URI.as_bytes()]);
            kd2.update(ha2.as_bytes());
            black_box(kd2.finish());
        }
    }
}

/// A running MD5 or SHA-256 (the two benchmarked), finished as lowercase hex.
#[derive(Clone)]
enum Kd {
    Md5(md5::Md5),
    Sha256(Sha256),
}

impl Kd {
    fn new(alg: Algorithm) -> Self {
        match alg.base() {
            Algorithm::Md5 => Kd::Md5(md5::Md5::new()),
            _ => Kd::Sha256(Sha256::new()),
        }
    }
    fn update(&mut self, data: &[u8]) {
        match self {
            Kd::Md5(d) => d.update(data),
            Kd::Sha256(d) => d.update(data),
        }
    }
    fn finish(self) -> String {
        match self {
            Kd::Md5(d) => hex(&d.finalize()),
            Kd::Sha256(d) => hex(&d.finalize()),
        }
    }
}

/// The algorithm's hash of the concatenated `parts`, as lowercase hex.
fn hash(alg: Algorithm, parts: &[&[u8]]) -> String {
    let mut kd = Kd::new(alg);
    for part in parts {
        kd.update(part);
    }
    kd.finish()
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)] as char, DIGITS[usize::from(b & 15)] as char])
        .collect()
}

/// The auth-params of a `Digest` header value, through the public parser (the scheme's own
/// tokenizer, collecting into a `Vec`: the scheme fills fixed slots instead).
fn parse_params(value: &[u8]) -> bool {
    split_scheme(value).is_some_and(|(_, rest)| AuthParams::parse(rest).is_ok())
}

type BasicSvc = tower_httpauth::AuthService<
    tower::util::ServiceFn<
        fn(Request<String>) -> std::future::Ready<Result<Response<String>, std::convert::Infallible>>,
    >,
    Basic<StaticCredentials>,
    DefaultFailure,
>;

fn basic_service() -> BasicSvc {
    AuthLayer::new(Basic::new(StaticCredentials::new("Mufasa", "Circle of Life")))
        .layer(tower::service_fn(inner as fn(_) -> _))
}

fn basic_request() -> Request<String> {
    Request::builder()
        .uri(URI)
        .header(
            "authorization",
            BasicCredentials::new("Mufasa", "Circle of Life").to_header_value(),
        )
        .body(String::new())
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let mut basic = basic_service();
    c.bench_function("layer: Basic StaticCredentials (the layer's own cost)", |b| {
        b.iter_batched(
            basic_request,
            |req| {
                let res = now(basic.call(req)).unwrap();
                assert_eq!(res.status(), 200);
                res
            },
            BatchSize::SmallInput,
        )
    });
    for alg in [Algorithm::Sha256, Algorithm::Md5] {
        let mut g = c.benchmark_group(format!("digest/{alg}"));
        let Fixture { mut svc, mut client } = Fixture::new(alg);
        let nonce = client.nonce.clone();
        g.bench_function("layer: verify one request", |b| {
            b.iter_batched(
                || client.request(),
                |req| {
                    let res = now(svc.call(req)).unwrap();
                    assert_eq!(res.status(), 200);
                    res
                },
                BatchSize::SmallInput,
            )
        });
        let Fixture {
            svc: mut svc2,
            client: mut client2,
        } = Fixture::with_info(alg, false);
        g.bench_function("layer: verify one request, no Authentication-Info", |b| {
            b.iter_batched(
                || client2.request(),
                |req| {
                    let res = now(svc2.call(req)).unwrap();
                    assert_eq!(res.status(), 200);
                    res
                },
                BatchSize::SmallInput,
            )
        });
        let raw = Raw::new(alg);
        let header = client.request().headers()["authorization"].clone();
        g.bench_function("parse: the auth-params (AuthParams::parse)", |b| {
            b.iter(|| black_box(parse_params(black_box(header.as_bytes()))))
        });
        g.bench_function("raw: HMAC + H(A2) + response", |b| {
            b.iter(|| raw.run(&nonce, "00000001", false))
        });
        g.bench_function("raw: HMAC + H(A2) + response + rspauth", |b| {
            b.iter(|| raw.run(&nonce, "00000001", true))
        });
        g.finish();
    }
}

/// The median nanoseconds of one call of `f` over `n` calls, each call timed alone (minus
/// the clock's own cost), with `setup` (untimed) before each. Medians of single calls
/// keep out the preemptions a shared machine adds to a few of them.
fn per_call<T>(n: u32, clock_ns: f64, mut setup: impl FnMut() -> T, mut f: impl FnMut(T)) -> f64 {
    let mut v: Vec<f64> = (0..n)
        .map(|_| {
            let x = setup();
            let t = Instant::now();
            f(x);
            t.elapsed().as_nanos() as f64
        })
        .collect();
    (median(&mut v) - clock_ns).max(0.0)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Interleaved rounds of every case (the order rotates each round); prints the medians
/// and the ratios.
fn ratios() {
    const ROUNDS: usize = 21;
    const N: u32 = 2000;
    let clock_ns = per_call(20 * N, 0.0, || (), |()| {});
    for alg in [Algorithm::Sha256, Algorithm::Md5] {
        let mut fx = Fixture::new(alg);
        let mut fx2 = Fixture::with_info(alg, false);
        let mut fx3 = Fixture::with_async_store(alg);
        let mut basic = basic_service();
        let raw = Raw::new(alg);
        let nonce = fx.client.nonce.clone();
        let mut t: [Vec<f64>; 6] = Default::default();
        for round in 0..=ROUNDS {
            for k in 0..6 {
                let case = (k + round) % 6;
                let ns = match case {
                    0 => per_call(N, clock_ns, || fx.client.request(), |r| verify(&mut fx.svc, r)),
                    1 => per_call(N, clock_ns, || fx2.client.request(), |r| verify(&mut fx2.svc, r)),
                    2 => per_call(N, clock_ns, || (), |()| raw.run(&nonce, "00000001", true)),
                    3 => per_call(N, clock_ns, || (), |()| raw.run(&nonce, "00000001", false)),
                    5 => per_call(N, clock_ns, || fx3.client.request(), |r| verify(&mut fx3.svc, r)),
                    _ => per_call(N, clock_ns, basic_request, |r| {
                        black_box(now(basic.call(r)).unwrap());
                    }),
                };
                // Round 0 warms up.
                if round > 0 {
                    t[case].push(ns);
                }
            }
        }
        let [info, no_info, raw_info, raw_bare, layer, async_store] = t.map(|mut v| median(&mut v));
        println!(
            "digest/{alg} (per-call medians, median of {ROUNDS} interleaved rounds of {N}): \
             with Authentication-Info {info:.0} ns vs raw HMAC+H(A2)+response+rspauth {raw_info:.0} ns: ratio {:.2}x; \
             without {no_info:.0} ns vs raw HMAC+H(A2)+response {raw_bare:.0} ns: ratio {:.2}x; \
             Basic through the same layer {layer:.0} ns; \
             an async-closure store, with Authentication-Info, {async_store:.0} ns (ratio {:.2}x)",
            info / raw_info,
            no_info / raw_bare,
            async_store / raw_info,
        );
    }
}

criterion_group!(benches, bench);

/// `-- profile [md5] [no-info] [sizes]`: prints the size of the layer's future (and stops
/// there with `sizes`), then builds and verifies requests in a loop for about ten seconds,
/// for `perf record` (look at what is under `verify`).
fn profile() {
    let args: Vec<String> = std::env::args().collect();
    let alg = if args.iter().any(|a| a == "md5") {
        Algorithm::Md5
    } else {
        Algorithm::Sha256
    };
    let mut fx = Fixture::with_info(alg, !args.iter().any(|a| a == "no-info"));
    {
        let r = fx.client.request();
        let f = fx.svc.call(r);
        eprintln!("size of the layer's future: {}", std::mem::size_of_val(&f));
    }
    if args.iter().any(|a| a == "sizes") {
        return;
    }
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        for _ in 0..10_000 {
            let r = fx.client.request();
            verify(&mut fx.svc, r);
        }
    }
}

/// `-- parse-only`: the shared auth-param parser on the benchmark's header, the median of
/// 20 000 batches of 100 calls.
fn parse_only() {
    let mut client = Fixture::new(Algorithm::Sha256).client;
    let header = client.request().headers()["authorization"].clone();
    let mut v: Vec<f64> = (0..20_000)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..100 {
                black_box(parse_params(black_box(header.as_bytes())));
            }
            t.elapsed().as_nanos() as f64 / 100.0
        })
        .collect();
    println!(
        "parse (AuthParams): {:.0} ns (median of 20 000 batches of 100)",
        median(&mut v)
    );
}

fn main() {
    if std::env::args().any(|a| a == "parse-only") {
        parse_only();
        return;
    }
    if std::env::args().any(|a| a == "profile") {
        profile();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
    ratios();
}

//! Digest verification per request through the layer, against the raw cost of the hashes
//! it must compute with H(A1) given: H(A2), the response hash and the nonce HMAC (plus,
//! for `Authentication-Info`, the rspauth's H(A2) and response hash).
//!
//! `cargo bench --bench digest` prints the ratios at the end; the target is 1.3×.

use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group};
use hmac::{Hmac, KeyInit, Mac};
use http::{Request, Response};
use sha2::Sha256;
use tower_httpauth::AuthLayer;
use tower_httpauth::digest::{Algorithm, Digest, DigestCredentials, DigestLookup, DigestUser, Qop, client_response};
use tower_httpauth::header::{AuthParams, split_scheme};
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

type Svc = tower_httpauth::AuthService<
    tower::util::ServiceFn<
        fn(Request<String>) -> std::future::Ready<Result<Response<String>, std::convert::Infallible>>,
    >,
    Digest<fn(DigestLookup) -> std::future::Ready<Option<DigestUser<String>>>>,
>;

fn inner(_req: Request<String>) -> std::future::Ready<Result<Response<String>, std::convert::Infallible>> {
    std::future::ready(Ok(Response::new(String::new())))
}

static HA1_SHA256: std::sync::OnceLock<String> = std::sync::OnceLock::new();
static HA1_MD5: std::sync::OnceLock<String> = std::sync::OnceLock::new();

fn lookup(l: DigestLookup) -> std::future::Ready<Option<DigestUser<String>>> {
    let ha1 = match l.algorithm().base() {
        Algorithm::Md5 => HA1_MD5.get_or_init(|| Algorithm::Md5.ha1("Mufasa", REALM, "Circle of Life").as_str().into()),
        _ => HA1_SHA256.get_or_init(|| Algorithm::Sha256.ha1("Mufasa", REALM, "Circle of Life").as_str().into()),
    };
    std::future::ready((l.username() == "Mufasa").then(|| DigestUser::with_ha1("Mufasa".to_string(), ha1.clone())))
}

struct Fixture {
    svc: Svc,
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
        let digest = Digest::new(lookup as fn(DigestLookup) -> _)
            .authentication_info(info)
            .realm(REALM)
            .algorithms([alg])
            .nonce_lifetime(Duration::from_secs(3600))
            .secret(b"benchmark secret, 32 bytes long!");
        let mut svc: Svc = AuthLayer::new(digest).layer(tower::service_fn(inner as fn(_) -> _));
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

    fn verify(&mut self, req: Request<String>) {
        let res = now(self.svc.call(req)).unwrap();
        debug_assert_eq!(res.status(), 200);
        black_box(res);
    }
}

impl Client {
    /// The next request, as a client would send it (not timed).
    fn request(&mut self) -> Request<String> {
        self.nc += 1;
        let nc = format!("{:08x}", self.nc);
        let r = client_response(
            self.alg,
            "Mufasa",
            REALM,
            "Circle of Life",
            &self.nonce,
            &nc,
            CNONCE,
            Some(Qop::Auth),
            "GET",
            URI,
            None,
        );
        let h = format!(
            r#"Digest username="Mufasa", realm="{REALM}", nonce="{}", uri="{URI}", cnonce="{CNONCE}", nc={nc}, qop=auth, response="{}", opaque="{}", algorithm={}"#,
            self.nonce,
            r.as_str(),
            self.opaque,
            self.alg
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
            ha1: alg.ha1("Mufasa", REALM, "Circle of Life").as_str().to_owned(),
            mac,
            nonce_raw,
        }
    }

    /// nonce HMAC + H(A2) + response; with `rspauth`, also the rspauth's H(A2) and hash.
    fn run(&self, nonce: &str, nc: &str, rspauth: bool) {
        let mut m = self.mac.clone();
        m.update(&self.nonce_raw[..24]);
        assert!(m.verify_slice(&self.nonce_raw[24..]).is_ok());
        let kd = |a2: &[&[u8]]| {
            let ha2 = self.alg.hash(a2);
            self.alg.hash(&[
                self.ha1.as_bytes(),
                b":",
                nonce.as_bytes(),
                b":",
                nc.as_bytes(),
                b":",
                CNONCE.as_bytes(),
                b":auth:",
                ha2.as_bytes(),
            ])
        };
        black_box(kd(&[b"GET:", URI.as_bytes()]));
        if rspauth {
            black_box(kd(&[b":", URI.as_bytes()]));
        }
    }
}

fn bench(c: &mut Criterion) {
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
        g.bench_function("parse: DigestCredentials::parse", |b| {
            b.iter(|| black_box(DigestCredentials::parse(black_box(header.as_bytes())).is_ok()))
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

/// Times `n` verifications against `n` runs of the raw hashes and prints the ratios.
fn ratios() {
    let n = 20_000;
    for alg in [Algorithm::Sha256, Algorithm::Md5] {
        let mut fx = Fixture::new(alg);
        let mut fx2 = Fixture::with_info(alg, false);
        let raw = Raw::new(alg);
        let nonce = fx.client.nonce.clone();
        // Warm up.
        for _ in 0..2000 {
            raw.run(&nonce, "00000001", true);
        }
        // Each request is built just before it is verified (hot in cache, as a request
        // fresh off the socket is); only the verification is timed.
        let mut layer = Duration::ZERO;
        let mut clock = Duration::ZERO;
        for _ in 0..n {
            let r = fx.client.request();
            let t = Instant::now();
            fx.verify(r);
            layer += t.elapsed();
            let t = Instant::now();
            clock += t.elapsed();
        }
        let layer = layer.saturating_sub(clock) / n;
        let mut layer2 = Duration::ZERO;
        for _ in 0..n {
            let r = fx2.client.request();
            let t = Instant::now();
            fx2.verify(r);
            layer2 += t.elapsed();
        }
        let layer2 = layer2.saturating_sub(clock) / n;
        let t = Instant::now();
        for _ in 0..n {
            raw.run(&nonce, "00000001", false);
        }
        let bare = t.elapsed() / n;
        let t = Instant::now();
        for _ in 0..n {
            raw.run(&nonce, "00000001", true);
        }
        let with_rspauth = t.elapsed() / n;
        println!(
            "digest/{alg}: layer {layer:?}/request vs raw HMAC+H(A2)+response+rspauth {with_rspauth:?}: \
             ratio {:.2}x; without Authentication-Info {layer2:?} vs raw {bare:?}: ratio {:.2}x (target 1.3x)",
            layer.as_secs_f64() / with_rspauth.as_secs_f64(),
            layer2.as_secs_f64() / bare.as_secs_f64(),
        );
    }
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    ratios();
}

//! How cost grows with users, keys and nonces: in-process programs driving the layer with
//! requests built in memory (no network), each section in a fresh child process so that its
//! resident memory starts from the same baseline.
//!
//! ```text
//! cargo bench --bench growth --all-features                     # the full run
//! GROWTH_SCALE=0.05 cargo bench --bench growth --all-features   # a short trial (5% of every count)
//! GROWTH_ONLY=users,cache cargo bench --bench growth --all-features
//! ```
//!
//! Sections (`GROWTH_ONLY` takes their names):
//!
//! - `users`: htpasswd files of 10, 10 000 and 1 000 000 users in `{SHA}` (a fast format, so
//!   the file's size and not the hash is what is measured): load time, reload time after one
//!   line is appended, resident memory per user, per-request latency of a correct login
//!   of a random user, and the same while another thread reloads the file (requests must
//!   not wait for a reload).
//! - `stuffing`: credential stuffing against the throttle (its memory store at the default
//!   100 000 keys): failed logins of 1 000 000 distinct user-ids from 100 000 addresses, with
//!   one attacked user-id and one attacking address mixed in; memory per key, p99 latency of a
//!   legitimate login during the attack against idle, and whether the attacked keys are locked.
//! - `replay`: Digest (SHA-256) with the default in-memory replay store under 1 000 000 issued
//!   nonces (every tenth used three times, nc 1 to 3): memory against the store's cap,
//!   per-request latency by tenth of the run, and replays of forgotten nonces (refused: fail
//!   closed).
//! - `cache`: the credential cache in front of a cheap Argon2id hash (m = 8 KiB, t = 1), with
//!   logins of 1 000 000 distinct users drawn from a Zipf(1) distribution: hit ratio, entries,
//!   memory and latency of hits and misses, for the default capacity (1 024) and 100 000.
//!
//! Every loop is bounded in count (`GROWTH_SCALE` × the counts above) and in time
//! (`GROWTH_SECS`, 120 s per section; a section that hits it says how far it got). Latencies
//! are wall-clock per request on a current-thread runtime.

mod harness;

use std::convert::Infallible;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use http::header::AUTHORIZATION;
use http::{HeaderValue, Request, Response, StatusCode};
use sha1::Digest as _;
use tower::util::BoxCloneService;
use tower::{Layer, Service, ServiceExt};
use tower_httpauth::digest::{Algorithm, Digest, DigestUsers, MemoryNonceStore};
use tower_httpauth::store::{CredentialCache, FileOptions, HashPolicy, HashPool, HashedPasswords, Htpasswd};
use tower_httpauth::throttle::{ClientAddr, Limits, Throttle};
use tower_httpauth::{AuthLayer, Basic, BasicCredentials, constant_time_eq};

/// The throttle's default bound on keys (`Throttle::new`, documented there).
const THROTTLE_MAX_KEYS: usize = 100_000;
/// The credential cache's default capacity (`CredentialCache::default`, documented there).
const CACHE_DEFAULT_CAPACITY: usize = 1024;

// Counts live heap bytes, so that memory per user, key or entry is what the structures hold
// and not the allocator's page-level resident memory (reported beside it).
#[global_allocator]
static GLOBAL: &stats_alloc::StatsAlloc<std::alloc::System> = &stats_alloc::INSTRUMENTED_SYSTEM;

/// Live heap bytes of this process (a realloc already counts in the two totals).
fn heap() -> i64 {
    let s = GLOBAL.stats();
    s.bytes_allocated as i64 - s.bytes_deallocated as i64
}

type Svc = BoxCloneService<Request<String>, Response<String>, Infallible>;

fn inner() -> Svc {
    BoxCloneService::new(tower::service_fn(|_req: Request<String>| async {
        Ok::<_, Infallible>(Response::new(String::new()))
    }))
}

fn service<L>(layer: &L) -> Svc
where
    L: Layer<Svc>,
    L::Service: Service<Request<String>, Response = Response<String>, Error = Infallible> + Clone + Send + 'static,
    <L::Service as Service<Request<String>>>::Future: Send + 'static,
{
    BoxCloneService::new(layer.layer(inner()))
}

/// Sends `req` and returns the status and the wall time it took.
async fn send(svc: &mut Svc, req: Request<String>) -> (StatusCode, Duration) {
    let t = Instant::now();
    let res = svc.ready().await.expect("ready").call(req).await.expect("infallible");
    (res.status(), t.elapsed())
}

fn request(auth: HeaderValue, addr: Option<IpAddr>) -> Request<String> {
    let mut req = Request::builder()
        .uri("/")
        .header(AUTHORIZATION, auth)
        .body(String::new())
        .expect("request");
    if let Some(a) = addr {
        req.extensions_mut().insert(ClientAddr(a));
    }
    req
}

fn basic(user: &str, password: &str) -> HeaderValue {
    BasicCredentials::new(user, password).to_header_value()
}

/// Resident memory of this process, bytes.
fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

fn mib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / (1 << 20) as f64)
}

/// p50 and p99 of durations, in microseconds.
fn p50_p99(v: &mut [Duration]) -> (f64, f64) {
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    v.sort();
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e6;
    (at(0.5), at(0.99))
}

/// Latency samples in storage allocated and written up front, so that recording them does
/// not show in the resident-memory figures.
struct Samples {
    v: Vec<Duration>,
    n: usize,
}

impl Samples {
    fn new(capacity: u64) -> Samples {
        let mut v = Vec::with_capacity(capacity as usize);
        v.resize(capacity as usize, Duration::from_nanos(1));
        Samples { v, n: 0 }
    }
    fn push(&mut self, d: Duration) {
        if let Some(slot) = self.v.get_mut(self.n) {
            *slot = d;
            self.n += 1;
        }
    }
    fn len(&self) -> usize {
        self.n
    }
    fn p50_p99(&mut self) -> (f64, f64) {
        p50_p99(&mut self.v[..self.n])
    }
}

/// A deterministic xorshift generator.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Counts scaled by `GROWTH_SCALE`, at least 1.
fn scaled(n: u64) -> u64 {
    let scale: f64 = harness::env_num("GROWTH_SCALE", 1.0);
    ((n as f64 * scale).round() as u64).max(1)
}

/// The time bound of a section.
fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(harness::env_num("GROWTH_SECS", 120))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--section") {
        let what = args.get(i + 1).map(String::as_str).unwrap_or("");
        let (name, param) = what.split_once(':').unwrap_or((what, "0"));
        let param: u64 = param.parse().unwrap_or(0);
        match name {
            "users" => users(param),
            "stuffing" => stuffing(),
            "replay" => replay(),
            "cache" => cache(param as usize),
            _ => panic!("unknown section {what}"),
        }
        return;
    }
    if !harness::started_by_cargo_bench() {
        println!(
            "growth harness: run it with `cargo bench --bench growth --all-features` (nothing is timed under cargo test)"
        );
        return;
    }
    let only: Option<Vec<String>> = std::env::var("GROWTH_ONLY")
        .ok()
        .map(|s| s.split(',').map(|k| k.trim().to_owned()).collect());
    let wanted = |name: &str| only.as_ref().is_none_or(|o| o.iter().any(|k| k == name));
    let scale: f64 = harness::env_num("GROWTH_SCALE", 1.0);
    println!("## Growth\n");
    println!(
        "{}; release build, in-process (no network), one section per process; counts × {scale}; load average {}.\n",
        harness::machine(),
        harness::loadavg()
    );
    if wanted("users") {
        println!("### Users in an htpasswd file (`{{SHA}}`)\n");
        println!(
            "| users | file MiB | load ms | reload ms (one line appended) | heap MiB | heap bytes per user | process RSS MiB | login p50 µs | login p99 µs | logins during a reload on another thread: count in its duration, p50 / p99 µs |"
        );
        println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        for n in [10, 10_000, 1_000_000] {
            section(&format!("users:{}", scaled(n).max(10.min(n))));
        }
        println!();
    }
    if wanted("stuffing") {
        section("stuffing:0");
    }
    if wanted("replay") {
        section("replay:0");
    }
    if wanted("cache") {
        println!("### Credential cache at 1 000 000 distinct users (Zipf 1)\n");
        println!(
            "| capacity | logins | hit ratio | entries after | heap growth MiB | heap bytes per entry | hit p50 µs | hit p99 µs | miss p50 µs | miss p99 µs | stopped by the time bound |"
        );
        println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        for cap in [CACHE_DEFAULT_CAPACITY, 100_000] {
            section(&format!("cache:{cap}"));
        }
        println!();
    }
}

/// Runs one section in a child process (a fresh heap), bounded in time.
fn section(what: &str) {
    eprintln!("growth: {what}");
    let exe = std::env::current_exe().expect("current executable");
    let mut child = std::process::Command::new(exe)
        .args(["--section", what])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start section");
    let limit = Duration::from_secs(harness::env_num("GROWTH_SECS", 120) + 120);
    let start = Instant::now();
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        if start.elapsed() > limit {
            eprintln!("section {what} ran past {limit:?}: killed");
            let _ = child.kill();
            let _ = child.wait();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut out = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = std::io::Read::read_to_string(&mut s, &mut out);
    }
    print!("{out}");
    let _ = std::io::stdout().flush();
}

fn sha_line(i: u64) -> String {
    let digest = sha1::Sha1::digest(format!("pw{i}").as_bytes());
    format!(
        "user{i}:{{SHA}}{}\n",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

fn users(n: u64) {
    let dir = harness::TempDir::new(&format!("growth-users-{n}"));
    let path = dir.path().join("users.htpasswd");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("file"));
        for i in 0..n {
            f.write_all(sha_line(i).as_bytes()).expect("write");
        }
    }
    let size = std::fs::metadata(&path).map_or(0, |m| m.len());
    let options = FileOptions::default()
        .max_lines(n as usize + 100)
        .max_size(1 << 30)
        .reload_interval(None);
    let before = heap();
    let t = Instant::now();
    let users = Htpasswd::open_with(&path, options).expect("load");
    let load = t.elapsed();
    let after = heap();
    assert_eq!(users.len() as u64, n);

    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(sha_line(n).as_bytes()))
        .expect("append");
    let t = Instant::now();
    let reloaded = users.reload();
    let reload = t.elapsed();
    assert!(matches!(reloaded, Ok(true)), "reload: {reloaded:?}");

    // Before the latency samples below are allocated and written.
    let resident = rss();
    let reloader = users.clone();
    let svc = service(&AuthLayer::new(Basic::new(users).realm("growth")));
    let count = scaled(20_000).min(20_000);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let end = deadline();
    let mut lat = Vec::with_capacity(count as usize);
    // At most this many logins while the file reloads (storage allocated up front).
    let mut during = Samples::new(4_000_000);
    let reload_bg = runtime().block_on(async {
        let mut svc = svc;
        let mut login = async |rng: &mut Rng| {
            let i = rng.below(n);
            let req = request(basic(&format!("user{i}"), &format!("pw{i}")), None);
            let (status, d) = send(&mut svc, req).await;
            assert_eq!(status, StatusCode::OK);
            d
        };
        for _ in 0..count {
            if Instant::now() > end {
                break;
            }
            lat.push(login(&mut rng).await);
        }
        // Logins while another thread reloads the file (one more line appended): requests
        // read the table in use and never wait for a reload (the background task of the
        // `tokio` feature reloads the same way).
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(sha_line(n + 1).as_bytes()))
            .expect("append");
        let reloading = std::thread::spawn(move || {
            let t = Instant::now();
            let reloaded = reloader.reload();
            assert!(matches!(reloaded, Ok(true)), "reload: {reloaded:?}");
            t.elapsed()
        });
        while !reloading.is_finished() && Instant::now() < end {
            during.push(login(&mut rng).await);
        }
        reloading.join().expect("reload thread")
    });
    let (p50, p99) = p50_p99(&mut lat);
    let (r50, r99) = during.p50_p99();
    let grown = (after - before).max(0) as u64;
    println!(
        "| {n} | {} | {:.2} | {:.2} | {} | {:.0} | {} | {p50:.2} | {p99:.2} | {} in {:.0} ms: {r50:.2} / {r99:.2} |",
        mib(size),
        load.as_secs_f64() * 1e3,
        reload.as_secs_f64() * 1e3,
        mib(grown),
        grown as f64 / n as f64,
        mib(resident),
        during.len(),
        reload_bg.as_secs_f64() * 1e3,
    );
}

fn stuffing() {
    let cap = THROTTLE_MAX_KEYS;
    let verifier = || {
        Basic::new(|c: BasicCredentials| async move {
            let ok = constant_time_eq(c.username().as_bytes(), b"alice")
                & constant_time_eq(c.password().as_bytes(), b"right");
            ok.then(|| "alice".to_owned())
        })
        .realm("growth")
    };
    // The default free failures, with one-hour locks: a lock then outlives the run, and only
    // eviction from the store can lift it.
    let hour = Duration::from_secs(3600);
    let throttle = Throttle::in_memory(cap)
        .per_username(Limits::new(5, hour, hour))
        .per_address(Limits::new(20, hour, hour));
    let svc = service(&AuthLayer::new(verifier()).throttle(throttle));
    // The idle baseline's filler: the same failed logins through a layer without throttle, so
    // that the idle and attacked figures see the same request mix and differ by the store.
    let unthrottled = service(&AuthLayer::new(verifier()));
    let users = scaled(1_000_000);
    let addresses = scaled(100_000);
    let legit_addr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    let hot_addr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7));
    let early_addr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9));
    let legit = basic("alice", "right");
    let end = deadline();

    let (idle, during, sent, victim, early_locked_before, checks, before, after) = runtime().block_on(async {
        let mut svc = svc;
        let mut unthrottled = unthrottled;
        let (mut back_to_back, mut idle) = (Vec::new(), Vec::new());
        for _ in 0..scaled(10_000).min(10_000) {
            back_to_back.push(send(&mut svc, request(legit.clone(), Some(legit_addr))).await.1);
        }
        for i in 0..scaled(1_000_000).min(1_000_000) {
            if i % 1024 == 0 && Instant::now() > end {
                break;
            }
            let addr = IpAddr::V4(Ipv4Addr::from(0x0A00_0000 | (i % 100_000) as u32));
            let _ = send(&mut unthrottled, request(basic(&format!("u{i}"), "guess"), Some(addr))).await;
            if i % 100 == 0 {
                idle.push(send(&mut svc, request(legit.clone(), Some(legit_addr))).await.1);
            }
        }
        let idle = (back_to_back, idle);
        // A user-id attacked early (until it is locked), then left alone during the flood.
        let mut early_locked_before = false;
        for _ in 0..20 {
            let (s, _) = send(&mut svc, request(basic("early", "guess"), Some(early_addr))).await;
            if s == StatusCode::TOO_MANY_REQUESTS {
                early_locked_before = true;
                break;
            }
        }
        let mut during = Samples::new(users / 100 + 1);
        let before = (heap(), rss());
        let (mut victim_sent, mut victim_429) = (0u64, 0u64);
        let mut sent = 0;
        for i in 0..users {
            if i % 1024 == 0 && Instant::now() > end {
                break;
            }
            let a = (i % addresses) as u32;
            let addr = IpAddr::V4(Ipv4Addr::from(0x0A00_0000 | a));
            let (s, _) = send(&mut svc, request(basic(&format!("u{i}"), "guess"), Some(addr))).await;
            debug_assert!(s == StatusCode::UNAUTHORIZED || s == StatusCode::TOO_MANY_REQUESTS);
            sent += 1;
            if i % 1000 == 0 {
                let (s, _) = send(&mut svc, request(basic("victim", "guess"), Some(hot_addr))).await;
                victim_sent += 1;
                victim_429 += u64::from(s == StatusCode::TOO_MANY_REQUESTS);
            }
            if i % 100 == 0 {
                let (s, d) = send(&mut svc, request(legit.clone(), Some(legit_addr))).await;
                assert_eq!(s, StatusCode::OK, "the legitimate user must get in");
                during.push(d);
            }
        }
        let after = (heap(), rss());
        let other = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 200));
        let victim_now = send(&mut svc, request(basic("victim", "guess"), Some(other))).await.0;
        let hot_now = send(&mut svc, request(legit.clone(), Some(hot_addr))).await.0;
        let early_now = send(&mut svc, request(basic("early", "guess"), Some(other))).await.0;
        (
            idle,
            during,
            sent,
            (victim_sent, victim_429),
            early_locked_before,
            (victim_now, hot_now, early_now),
            before,
            after,
        )
    });
    let ((mut b2b, mut idle), mut during) = (idle, during);
    let (b50, b99) = p50_p99(&mut b2b);
    let (i50, i99) = p50_p99(&mut idle);
    let (d50, d99) = during.p50_p99();
    // The keys the store was asked to record: every sprayed user-id and address, `victim`,
    // `early` and their two addresses (a success records nothing). The store holds at most
    // `cap` of them; how many exactly is not public, so memory per key is taken over
    // `min(recorded, cap)`.
    let recorded = sent + sent.min(addresses) + 4;
    let keys = (recorded as usize).min(cap);
    let grown = (after.0 - before.0).max(0) as u64;
    let rss_grown = after.1.saturating_sub(before.1);
    println!("### Credential stuffing against the throttle (memory store)\n");
    println!(
        "{sent} failed logins of distinct user-ids from {addresses} addresses (of {users} planned{}), a failure for \
         the attacked user-id `victim` from one attacking address every 1 000, a legitimate login every 100. \
         Store: `Throttle::in_memory({cap})` (the default bound); limits: 5 free failures per user-id and 20 per address, then locks of \
         one hour (longer than the run, so that only eviction lifts a lock).\n",
        if sent < users {
            ", stopped by the time bound"
        } else {
            ""
        }
    );
    println!("| measure | value |");
    println!("|---|---:|");
    println!("| distinct keys recorded / cap | {recorded} / {cap} |");
    println!(
        "| heap growth during the attack (process RSS growth) | {} MiB ({} MiB) |",
        mib(grown),
        mib(rss_grown)
    );
    println!(
        "| heap bytes per key held (growth ÷ min(recorded, cap)) | {:.0} |",
        grown as f64 / keys.max(1) as f64
    );
    println!("| legitimate login p50 / p99, idle, back to back | {b50:.2} / {b99:.2} µs |");
    println!(
        "| legitimate login p50 / p99, idle, one per 100 failed logins through a layer without throttle | {i50:.2} / {i99:.2} µs |"
    );
    println!("| legitimate login p50 / p99, during the attack | {d50:.2} / {d99:.2} µs |");
    println!(
        "| p99 during ÷ p99 idle (the same mix; target ≤ 2) | {:.2} |",
        d99 / i99
    );
    println!(
        "| attacker's requests for `victim` refused with 429 (before the verifier) | {} of {} |",
        victim.1, victim.0
    );
    println!(
        "| … that reached the verifier after the 5 free failures and the one that locked (each one a lock lifted by eviction) | {} |",
        victim.0.saturating_sub(victim.1).saturating_sub(6)
    );
    println!(
        "| after the attack: `victim` from a new address / a correct login from the attacking address | {} / {} |",
        checks.0.as_u16(),
        checks.1.as_u16()
    );
    println!(
        "| `early` (locked before the flood: {early_locked_before}), after the flood from a new address | {} |",
        checks.2.as_u16()
    );
    println!();
}

fn replay() {
    const REALM: &str = "growth";
    let store = MemoryNonceStore::new();
    let users = DigestUsers::new(REALM).with_password("alice", "right");
    let digest = Digest::new(users)
        .realm(REALM)
        .algorithms([Algorithm::Sha256])
        .nonce_store(store.clone());
    let mut svc = service(&AuthLayer::new(digest));
    // Nonces are issued in challenges, as a client gets them (outside the timed requests).
    let rt = runtime();
    let (_, opaque) = rt.block_on(challenge(&mut svc));
    let ha1 = Algorithm::Sha256.ha1("alice", REALM, "right");
    let ha2 = sha256_hex(&[b"GET:/"]);
    let header = |nonce: &str, nc: u32| {
        let nc = format!("{nc:08x}");
        let response = sha256_hex(&[
            ha1.as_bytes(),
            b":",
            nonce.as_bytes(),
            b":",
            nc.as_bytes(),
            b":0a4f113b:auth:",
            ha2.as_bytes(),
        ]);
        HeaderValue::from_str(&format!(
            "Digest username=\"alice\", realm=\"{REALM}\", nonce=\"{nonce}\", uri=\"/\", algorithm=SHA-256, \
             response=\"{response}\", qop=auth, nc={nc}, cnonce=\"0a4f113b\", opaque=\"{opaque}\""
        ))
        .expect("header")
    };
    let total = scaled(1_000_000);
    let tenth = (total / 10).max(1);
    let end = deadline();
    let (buckets, issued, early, late, fresh, before, after) = rt.block_on(async {
        let mut buckets: Vec<Samples> = (0..10).map(|_| Samples::new(tenth * 12 / 10 + 10)).collect();
        let mut early: Vec<String> = Vec::with_capacity(1000);
        let before = (heap(), rss());
        let mut issued = 0;
        let mut last = String::new();
        for i in 0..total {
            if i % 1024 == 0 && Instant::now() > end {
                break;
            }
            let (nonce, _) = challenge(&mut svc).await;
            let uses = if i % 10 == 0 { 3 } else { 1 };
            for nc in 1..=uses {
                let (s, d) = send(&mut svc, request(header(&nonce, nc), None)).await;
                assert_eq!(s, StatusCode::OK, "nonce {i} nc {nc}");
                buckets[((i / tenth) as usize).min(9)].push(d);
            }
            if early.len() < 1000 {
                early.push(nonce.clone());
            }
            last = nonce;
            issued += 1;
        }
        let after = (heap(), rss());
        // Forgotten nonces with the next count and a correct response: must be refused.
        let mut early_refused = 0;
        for n in &early {
            let (s, _) = send(&mut svc, request(header(n, 4), None)).await;
            early_refused += u32::from(s == StatusCode::UNAUTHORIZED);
        }
        // The newest nonce replayed with a count already used: refused.
        let late = send(&mut svc, request(header(&last, 1), None)).await.0;
        // A new nonce still works.
        let fresh_nonce = challenge(&mut svc).await.0;
        let fresh = send(&mut svc, request(header(&fresh_nonce, 1), None)).await.0;
        (
            buckets,
            issued,
            (early_refused, early.len()),
            late,
            fresh,
            before,
            after,
        )
    });
    let (held, cap) = nonce_store_counts(&store);
    println!("### Digest replay store (memory) under issued nonces\n");
    println!(
        "{issued} nonces issued and used (of {total} planned{}; every tenth with nc 1, 2, 3), SHA-256, \
         `MemoryNonceStore::new()` (at most 100 000 entries and 32 MiB, each entry accounted as a \
         128-byte nonce plus its share of the tables: {cap} entries).\n",
        if issued < total {
            ", stopped by the time bound"
        } else {
            ""
        },
    );
    println!("| measure | value |");
    println!("|---|---:|");
    println!("| entries held / cap | {held} / {cap} |");
    let grown = (after.0 - before.0).max(0) as u64;
    println!(
        "| heap growth over the run (process RSS growth) | {} MiB ({} MiB) |",
        mib(grown),
        mib(after.1.saturating_sub(before.1))
    );
    println!(
        "| heap bytes per entry held | {:.0} |",
        grown as f64 / held.max(1) as f64
    );
    let forgotten = issued > cap as u64;
    println!(
        "| replays of the first {} nonces ({}) with a fresh nc and a correct response, refused (401 stale) | {} |",
        early.1,
        if forgotten {
            "forgotten: more nonces than the cap were used since"
        } else {
            "still held: the cap was not reached, so these are accepted"
        },
        early.0
    );
    println!("| the newest nonce replayed with a used nc | {} |", late.as_u16());
    println!("| a newly issued nonce | {} |", fresh.as_u16());
    println!();
    println!("| tenth of the run | requests | p50 µs | p99 µs |");
    println!("|---:|---:|---:|---:|");
    for (k, mut b) in buckets.into_iter().enumerate() {
        if b.len() == 0 {
            continue;
        }
        let n = b.len();
        let (p50, p99) = b.p50_p99();
        println!("| {} | {n} | {p50:.2} | {p99:.2} |", k + 1);
    }
    println!();
}

/// A fresh nonce and the opaque, from the challenge to a request without credentials.
async fn challenge(svc: &mut Svc) -> (String, String) {
    let req = Request::builder().uri("/").body(String::new()).expect("request");
    let res = svc.ready().await.expect("ready").call(req).await.expect("infallible");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let value = res
        .headers()
        .get_all(http::header::WWW_AUTHENTICATE)
        .iter()
        .find_map(|v| v.to_str().ok().filter(|v| v.starts_with("Digest")))
        .expect("a Digest challenge");
    let param = |name: &str| harness::auth_param(value, name).unwrap_or_else(|| panic!("{name} in the challenge"));
    (param("nonce"), param("opaque"))
}

/// SHA-256 of the concatenated parts, lowercase hex.
fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// (entries held, entry bound) of the store, read from its `Debug` (the store has no public
/// getters: they would be API for a benchmark).
fn nonce_store_counts(store: &MemoryNonceStore) -> (usize, usize) {
    let debug = format!("{store:?}");
    let field = |name: &str| -> usize {
        let at = debug
            .find(&format!("{name}: "))
            .unwrap_or_else(|| panic!("{name} in {debug}"))
            + name.len()
            + 2;
        debug[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .expect("a count")
    };
    (field("entries"), field("max_entries"))
}

fn cache(capacity: usize) {
    let policy = HashPolicy::argon2id(8, 1, 1).expect("cheap Argon2id");
    let hash: Arc<str> = Arc::from(policy.hash("right").expect("hash"));
    let cache = CredentialCache::new(capacity, Duration::from_secs(3600));
    let verifier = HashedPasswords::new(move |name: String| {
        let hash = hash.clone();
        async move { Some((name, hash)) }
    })
    .policy(policy)
    .pool(HashPool::inline())
    .cache(Some(cache.clone()));
    let svc = service(&AuthLayer::new(Basic::new(verifier).realm("growth")));
    let users = 1_000_000u64;
    let logins = scaled(1_000_000);
    // Zipf(1) over `users`: the cumulative weights, searched by binary search.
    let mut cdf = Vec::with_capacity(users as usize);
    let mut acc = 0.0;
    for k in 1..=users {
        acc += 1.0 / k as f64;
        cdf.push(acc);
    }
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let end = deadline();
    let (mut hits, mut misses) = (Samples::new(logins), Samples::new(logins));
    let before = heap();
    let done = runtime().block_on(async {
        let mut svc = svc;
        let mut done = 0;
        for i in 0..logins {
            if i % 256 == 0 && Instant::now() > end {
                break;
            }
            let x = (rng.next() >> 11) as f64 / (1u64 << 53) as f64 * acc;
            let user = cdf.partition_point(|&c| c < x);
            let req = request(basic(&format!("u{user}"), "right"), None);
            let hits_before = cache.hits();
            let (s, d) = send(&mut svc, req).await;
            assert_eq!(s, StatusCode::OK);
            if cache.hits() > hits_before {
                hits.push(d);
            } else {
                misses.push(d);
            }
            done += 1;
        }
        done
    });
    let after = heap();
    let ratio = hits.len() as f64 / done.max(1) as f64;
    let (h50, h99) = hits.p50_p99();
    let (m50, m99) = misses.p50_p99();
    let grown = (after - before).max(0) as u64;
    println!(
        "| {capacity} | {done} | {ratio:.3} | {} | {} | {:.0} | {h50:.2} | {h99:.2} | {m50:.2} | {m99:.2} | {} |",
        cache.len(),
        mib(grown),
        grown as f64 / cache.len().max(1) as f64,
        if done < logins { "yes" } else { "no" }
    );
}

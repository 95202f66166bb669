//! A dudect-style statistical constant-time check (Reparaz, Balasch, Verbauwhede, "Dude, is my
//! code constant time?", 2017).
//!
//! For each operation, two classes of inputs are run in random interleaved order, each call
//! timed on its own: class 0 a fixed input (the matching secret, a known user), class 1 a random
//! one (a wrong secret, an unknown user). Welch's t-test then asks whether the two timing
//! distributions differ. |t| < 4.5 is the usual "no evidence of a leak" threshold; a leaking
//! comparison (the naive `==` control below) reaches |t| in the tens or hundreds.
//!
//! ```text
//! cargo bench --bench constant_time                # 1 000 000 measurements per test
//! DUDECT_SAMPLES=5000000 cargo bench --bench constant_time
//! ```
//!
//! Figures are documented in benches/README.md. The test measures on a shared machine; rerun a
//! suspicious result before believing it.

use std::collections::HashMap;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use tower_httpauth::basic::Passwords;
use tower_httpauth::basic::StaticCredentials;
use tower_httpauth::{BasicCredentials, Verifier, constant_time_eq};

/// xorshift64*: enough randomness to pick classes and make wrong secrets.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    fn text(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b'a' + (self.next() % 26) as u8)).collect()
    }
}

/// Running mean and variance (Welford) of one class.
#[derive(Default, Clone, Copy)]
struct Stats {
    n: f64,
    mean: f64,
    m2: f64,
}

impl Stats {
    fn push(&mut self, x: f64) {
        self.n += 1.0;
        let d = x - self.mean;
        self.mean += d / self.n;
        self.m2 += d * (x - self.mean);
    }

    fn var(&self) -> f64 {
        if self.n < 2.0 { 0.0 } else { self.m2 / (self.n - 1.0) }
    }
}

fn welch_t(a: &Stats, b: &Stats) -> f64 {
    let se = (a.var() / a.n + b.var() / b.n).sqrt();
    if se == 0.0 { 0.0 } else { (a.mean - b.mean) / se }
}

/// Measures `op` on `samples` inputs from `prepare(class, rng)`; returns the largest |t| over the
/// raw data and data cropped at several percentiles (dudect's post-processing), and the class
/// means in nanoseconds.
fn dudect<I>(
    samples: usize,
    mut prepare: impl FnMut(u8, &mut Rng) -> I,
    mut op: impl FnMut(I) -> bool,
) -> (f64, f64, f64) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ u64::from(std::process::id()));
    let mut classes = Vec::with_capacity(samples);
    let mut inputs = Vec::with_capacity(samples);
    for _ in 0..samples {
        let class = (rng.next() & 1) as u8;
        classes.push(class);
        inputs.push(Some(prepare(class, &mut rng)));
    }
    // Warm-up.
    for input in inputs.iter_mut().take(samples / 100) {
        black_box(op(input.take().expect("input")));
    }
    let mut times = vec![0u64; samples];
    for (i, input) in inputs.iter_mut().enumerate().skip(samples / 100) {
        let input = input.take().expect("input");
        let start = Instant::now();
        black_box(op(black_box(input)));
        times[i] = start.elapsed().as_nanos() as u64;
    }
    let measured = samples / 100..samples;
    let mut sorted: Vec<u64> = times[measured.clone()].to_vec();
    sorted.sort_unstable();
    let mut worst = 0.0f64;
    let mut means = (0.0, 0.0);
    for pct in [1.0, 0.99, 0.95, 0.9, 0.75, 0.5] {
        let cut = sorted[((sorted.len() - 1) as f64 * pct) as usize];
        let mut s = [Stats::default(); 2];
        for i in measured.clone() {
            if times[i] <= cut {
                s[usize::from(classes[i])].push(times[i] as f64);
            }
        }
        let t = welch_t(&s[0], &s[1]);
        if pct == 0.9 {
            means = (s[0].mean, s[1].mean);
        }
        if t.abs() > worst.abs() {
            worst = t;
        }
    }
    (worst, means.0, means.1)
}

fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn report(name: &str, (t, m0, m1): (f64, f64, f64), expect_leak: bool) {
    let verdict = match (t.abs() >= 4.5, expect_leak) {
        (false, false) => "ok: no evidence of a timing difference",
        (true, false) => "LEAK? |t| >= 4.5 (rerun on a quiet machine before believing it)",
        (true, true) => "control: leak detected, as expected",
        (false, true) => "control: leak NOT detected (too few samples or too much noise)",
    };
    println!("{name:<58} t = {t:>9.2}   means {m0:>7.1} / {m1:>7.1} ns   {verdict}");
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this too, so keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let samples: usize = std::env::var("DUDECT_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if quick { 20_000 } else { 1_000_000 });
    println!("dudect-style Welch t-test, {samples} measurements per line (class 0 / class 1)");

    // 1. constant_time_eq on 64-byte secrets: equal vs random.
    let secret: Vec<u8> = Rng(7).bytes(64);
    report(
        "constant_time_eq, 64 B: equal vs random",
        dudect(
            samples,
            |class, rng| if class == 0 { secret.clone() } else { rng.bytes(64) },
            |presented| constant_time_eq(&presented, &secret),
        ),
        false,
    );
    // Differing in the first vs the last byte: what an early-exit comparison leaks.
    report(
        "constant_time_eq, 64 B: first vs last byte differs",
        dudect(
            samples,
            |class, _| {
                let mut p = secret.clone();
                let at = if class == 0 { 0 } else { 63 };
                p[at] ^= 1;
                p
            },
            |presented| constant_time_eq(&presented, &secret),
        ),
        false,
    );
    // Control: a naive early-exit comparison must be caught by the same harness.
    let long: Vec<u8> = Rng(9).bytes(4096);
    report(
        "control: naive ==, 4 KiB: first vs last byte differs",
        dudect(
            samples,
            |class, _| {
                let mut p = long.clone();
                let at = if class == 0 { 0 } else { 4095 };
                p[at] ^= 1;
                p
            },
            |presented| presented == long,
        ),
        true,
    );

    // A verifier sees the request's head besides the credentials; these ignore it.
    let (parts, ()) = http::Request::new(()).into_parts();

    // 2. The Basic password path: StaticCredentials. What a comparison leak would reveal is how
    //    close a wrong guess is: a near miss (all but the last character right) vs a random
    //    wrong password of the same length. Then right vs wrong, for completeness.
    let password = "correct horse battery staple";
    let verifier = StaticCredentials::new("admin", password);
    let near_miss = format!("{}X", &password[..password.len() - 1]);
    report(
        "StaticCredentials: near-miss vs random wrong password",
        dudect(
            samples,
            |class, rng| {
                let p = if class == 0 {
                    near_miss.clone()
                } else {
                    rng.text(password.len())
                };
                BasicCredentials::new("admin", &p)
            },
            |c| block_on(verifier.verify(c, &parts)).is_ok(),
        ),
        false,
    );
    report(
        "StaticCredentials: right vs wrong password",
        dudect(
            samples,
            |class, rng| {
                let p = if class == 0 {
                    password.to_owned()
                } else {
                    rng.text(password.len())
                };
                BasicCredentials::new("admin", &p)
            },
            |c| block_on(verifier.verify(c, &parts)).is_ok(),
        ),
        false,
    );
    report(
        "StaticCredentials: right vs wrong user-id, wrong password",
        dudect(
            samples,
            |class, rng| {
                let u = if class == 0 { "admin".to_owned() } else { rng.text(5) };
                BasicCredentials::new(&u, &rng.text(password.len()))
            },
            |c| block_on(verifier.verify(c, &parts)).is_ok(),
        ),
        false,
    );

    // 3. Passwords (stored SHA-256 hashes): a known user with a wrong password vs an unknown
    //    user. Two lookups: one that does the same work for both (the crate's part alone: hash,
    //    compare, drop), and a HashMap (what an application's store adds: a hit costs more
    //    than a miss, and the found record is cloned).
    let hash: Arc<[u8]> = sha256(b"the stored password").into();
    let even = Passwords::new(move |name: String| {
        // Same work for every name: "known" means the name starts with 'k'.
        let found = name.as_bytes().first() == Some(&b'k');
        let stored = hash.clone();
        std::future::ready(found.then_some((name, stored)))
    })
    .hash_with(|p: &str| sha256(p.as_bytes()));
    report(
        "Passwords, even lookup: known user wrong pw vs unknown",
        dudect(
            samples,
            |class, rng| {
                let user = if class == 0 { "k-user" } else { "u-user" };
                BasicCredentials::new(user, &rng.text(12))
            },
            |c| block_on(even.verify(c, &parts)).is_ok(),
        ),
        false,
    );
    let users: Arc<HashMap<String, Vec<u8>>> = Arc::new(
        (0..1000)
            .map(|i| (format!("user{i:04}"), sha256(format!("pw{i}").as_bytes())))
            .collect(),
    );
    let passwords = Passwords::new(move |name: String| {
        let users = users.clone();
        std::future::ready(users.get(&name).map(|h| (name, h.clone())))
    })
    .hash_with(|p: &str| sha256(p.as_bytes()));
    report(
        "Passwords, HashMap lookup: known user wrong pw vs unknown",
        dudect(
            samples,
            |class, rng| {
                let user = if class == 0 {
                    format!("user{:04}", rng.next() % 1000)
                } else {
                    format!("nobody{:02}", rng.next() % 100)
                };
                BasicCredentials::new(&user, &rng.text(12))
            },
            |c| block_on(passwords.verify(c, &parts)).is_ok(),
        ),
        false,
    );
}

fn sha256(data: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(data).to_vec()
}

//! Whole-server load: one server binary, the same trivial handler on an open route and
//! behind each authentication configuration, driven by wrk over 127.0.0.1.
//!
//! ```text
//! cargo bench --bench load --all-features                       # the full run
//! LOAD_ROUNDS=2 LOAD_SECS=2 cargo bench --bench load --all-features   # a short trial
//! LOAD_ONLY=open,basic,digest-sha256 cargo bench --bench load --all-features
//! LOAD_BASELINE=/path/to/old/load-<hash> cargo bench --bench load --all-features   # before/after
//! ```
//!
//! - Installs wrk, apache2-utils (`htpasswd`, to write the bcrypt file) and redis-server
//!   with apt-get when they are missing.
//! - Starts this binary with `--serve` (the server in `server/mod.rs`) pinned to CPU
//!   `LOAD_SERVER_CPU` (0), and wrk and Redis pinned to `LOAD_CLIENT_CPU` (1), with `taskset`.
//! - `LOAD_ROUNDS` (5) interleaved rounds: each round runs every row once for `LOAD_SECS`
//!   (10) seconds, rows in an order rotated by one each round, after one warm-up pass of
//!   `LOAD_WARMUP_SECS` (1) per row. wrk runs `-t C -c C` with `C = LOAD_CONNS` (8): one
//!   connection per thread, so the Digest script keeps one nonce per connection. The Digest
//!   rows' responses are precomputed per connection (`LOAD_DIGEST_RATE`, 15 000 per second of
//!   run, into `/dev/shm`) so that wrk's single core keeps up; the server verifies each, and
//!   the script computes any past the list's end (`wrk/digest.lua`).
//! - Per row and round: requests/s and latency from wrk; the server's CPU time
//!   (utime + stime of `/proc/<pid>/stat`, all threads) over the run, divided by the
//!   requests served; wrk's own CPU time (a row whose client is near 100% of its core is
//!   client-bound, and its requests/s then say little about the server).
//! - Prints a Markdown table for BENCHMARKS.md: medians over the rounds with their spread,
//!   the fraction of `/open`'s requests/s each row keeps, and the fraction of `/open`'s
//!   capacity it keeps (`/open`'s CPU per request over the row's: what the server keeps when
//!   it is the bottleneck), both medians of the per-round ratios, and the issue's target,
//!   judged on the capacity (a row whose wrk is busy says nothing about the server's
//!   requests/s: the Digest rows' Lua hashing can be the bottleneck).
//!
//! - Before/after: `LOAD_BASELINE` names the load bench binary of another version of the
//!   crate (built from its own checkout with `cargo bench --bench load --all-features
//!   --no-run`; it must have `server/mod.rs`, whose protocol it speaks). It is started as a
//!   second server on the same CPU, and every row runs on both servers in each round, one
//!   right after the other (which goes first alternates by round), so that each pair of runs
//!   sees the same machine. The report then adds a table of the two side by side and their
//!   ratios (requests/s, CPU per request), medians of the per-round ratios.
//!
//! Bounded: about rounds × rows × (LOAD_SECS + 1 s) after the build (twice that with a
//! baseline), printed at the start; every wrk run is killed 20 s past its duration.

mod harness;
mod server;

use std::io::Write;
use std::path::{Path, PathBuf};

use md5::Digest as _;

use harness::{OurServer, Proc, WrkConfig, WrkResult, env_num, fmt_num, median, range};

/// How a row authenticates.
#[derive(Clone, Copy)]
enum Auth {
    None,
    Basic,
    /// `Authorization: Bearer` with the token the server printed for this route.
    ServerToken,
    /// The fixed Bearer token.
    Bearer,
    Digest(&'static str),
}

struct Row {
    key: &'static str,
    label: &'static str,
    path: &'static str,
    auth: Auth,
    /// The issue's target for the fraction of `/open`'s requests/s kept.
    target: Option<f64>,
}

const ROWS: &[Row] = &[
    Row {
        key: "open",
        label: "open route (no authentication)",
        path: "/open",
        auth: Auth::None,
        target: None,
    },
    Row {
        key: "basic",
        label: "Basic, in-memory verifier",
        path: "/basic",
        auth: Auth::Basic,
        target: Some(0.95),
    },
    Row {
        key: "bearer",
        label: "Bearer, `StaticTokens`",
        path: "/bearer",
        auth: Auth::Bearer,
        target: Some(0.95),
    },
    Row {
        key: "signed",
        label: "Bearer, `SignedTokens`",
        path: "/signed",
        auth: Auth::ServerToken,
        target: Some(0.95),
    },
    Row {
        key: "jwt-hs256",
        label: "Bearer, JWT HS256",
        path: "/jwt-hs256",
        auth: Auth::ServerToken,
        target: Some(0.95),
    },
    Row {
        key: "jwt-es256",
        label: "Bearer, JWT ES256",
        path: "/jwt-es256",
        auth: Auth::ServerToken,
        target: None,
    },
    Row {
        key: "multi",
        label: "`Multi` (Basic or Bearer), Bearer sent",
        path: "/multi",
        auth: Auth::Bearer,
        target: Some(0.95),
    },
    Row {
        key: "digest-sha256",
        label: "Digest SHA-256, nc counting up",
        path: "/digest-sha256",
        auth: Auth::Digest("SHA-256"),
        target: Some(0.90),
    },
    Row {
        key: "digest-sha256-noinfo",
        label: "Digest SHA-256, `authentication_info(false)`",
        path: "/digest-sha256-noinfo",
        auth: Auth::Digest("SHA-256"),
        target: None,
    },
    Row {
        key: "digest-md5",
        label: "Digest MD5, nc counting up",
        path: "/digest-md5",
        auth: Auth::Digest("MD5"),
        target: Some(0.90),
    },
    Row {
        key: "bcrypt",
        label: "Basic, htpasswd bcrypt cost 10, cache on",
        path: "/bcrypt",
        auth: Auth::Basic,
        target: Some(0.90),
    },
    Row {
        key: "bcrypt-nocache",
        label: "Basic, htpasswd bcrypt cost 10, cache off",
        path: "/bcrypt-nocache",
        auth: Auth::Basic,
        target: None,
    },
    Row {
        key: "argon2",
        label: "Basic, Argon2id (OWASP), cache on",
        path: "/argon2",
        auth: Auth::Basic,
        target: Some(0.90),
    },
    Row {
        key: "throttle-memory",
        label: "Basic + throttle, memory store",
        path: "/throttle-memory",
        auth: Auth::Basic,
        target: None,
    },
    Row {
        key: "throttle-redis",
        label: "Basic + throttle, Redis store",
        path: "/throttle-redis",
        auth: Auth::Basic,
        target: Some(0.85),
    },
];

struct Config {
    rounds: usize,
    secs: u64,
    warmup_secs: u64,
    conns: usize,
    server_cpu: usize,
    client_cpu: usize,
}

fn main() {
    if std::env::args().any(|a| a == "--serve") {
        server::serve();
        return;
    }
    if !harness::started_by_cargo_bench() {
        println!(
            "load harness: run it with `cargo bench --bench load --all-features` (nothing is timed under cargo test)"
        );
        return;
    }
    let cfg = Config {
        rounds: env_num("LOAD_ROUNDS", 5).max(1),
        secs: env_num("LOAD_SECS", 10).max(1),
        warmup_secs: env_num("LOAD_WARMUP_SECS", 1),
        conns: env_num("LOAD_CONNS", 8).max(1),
        server_cpu: env_num("LOAD_SERVER_CPU", 0),
        client_cpu: env_num("LOAD_CLIENT_CPU", 1),
    };
    let only: Option<Vec<String>> = std::env::var("LOAD_ONLY")
        .ok()
        .map(|s| s.split(',').map(|k| k.trim().to_owned()).collect());
    let mut rows: Vec<&Row> = ROWS
        .iter()
        .filter(|r| r.key == "open" || only.as_ref().is_none_or(|o| o.iter().any(|k| k == r.key)))
        .collect();

    harness::ensure_programs(&[
        ("wrk", "wrk"),
        ("taskset", "util-linux"),
        ("htpasswd", "apache2-utils"),
        ("redis-server", "redis-server"),
    ]);
    let ticks = harness::clock_ticks();
    let dir = harness::TempDir::new("load");
    let (bcrypt, _) = harness::write_htpasswd_files(dir.path(), server::USER, server::PASSWORD);

    // Redis for the Redis-throttle row, on the client's core.
    let _redis = rows.iter().any(|r| r.key == "throttle-redis").then(|| {
        let port = harness::free_port();
        let mut cmd = Proc::pinned(
            cfg.client_cpu,
            "redis-server",
            &[
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
        );
        cmd.stdout(std::process::Stdio::null());
        let p = Proc::spawn("redis-server", cmd);
        assert!(
            harness::wait_for_port(port, std::time::Duration::from_secs(10)),
            "redis-server did not start"
        );
        (p, port)
    });
    let mut env = vec![("BCRYPT_FILE", bcrypt.display().to_string())];
    if let Some((_, port)) = &_redis {
        env.push(("REDIS_URL", format!("redis://127.0.0.1:{port}/")));
    }
    let server = OurServer::start(cfg.server_cpu, &env);
    let baseline = std::env::var_os("LOAD_BASELINE").map(|exe| {
        let exe = PathBuf::from(exe);
        assert!(exe.is_file(), "LOAD_BASELINE: no such file: {}", exe.display());
        OurServer::start_binary(&exe, cfg.server_cpu, &env)
    });
    let script = digest_script();

    // Check every row once (the expected 200), and leave out the ones that fail, saying so.
    // With a baseline, a row must pass on both servers.
    let mut left_out = Vec::new();
    rows.retain(|row| {
        let ok = check_row(&server, row, cfg.client_cpu, ticks)
            && baseline
                .as_ref()
                .is_none_or(|b| check_row(b, row, cfg.client_cpu, ticks));
        if !ok {
            eprintln!("row `{}` fails its check: left out", row.key);
            left_out.push(row.key);
        }
        ok
    });

    let n = rows.len();
    let servers = if baseline.is_some() { 2 } else { 1 };
    eprintln!(
        "load: {} rows × {} rounds × {} s (+ {} s warm-up per row){}: about {} s",
        n,
        cfg.rounds,
        cfg.secs,
        cfg.warmup_secs,
        if servers == 2 { ", on two servers" } else { "" },
        servers * (n as u64) * (cfg.rounds as u64 * (cfg.secs + 1) + cfg.warmup_secs + 1)
    );
    let load_before = harness::loadavg();
    let started = std::time::Instant::now();
    let wrk = |secs: u64| WrkConfig {
        cpu: cfg.client_cpu,
        connections: cfg.conns,
        seconds: secs,
    };
    if cfg.warmup_secs > 0 {
        for row in &rows {
            run_row(&server, row, &wrk(cfg.warmup_secs), &script, ticks);
            if let Some(b) = &baseline {
                run_row(b, row, &wrk(cfg.warmup_secs), &script, ticks);
            }
        }
    }
    // results[row][round], and the baseline's
    let mut results: Vec<Vec<WrkResult>> = vec![Vec::new(); n];
    let mut base_results: Vec<Vec<WrkResult>> = vec![Vec::new(); n];
    for round in 0..cfg.rounds {
        for k in 0..n {
            let i = (k + round) % n;
            match &baseline {
                None => results[i].push(run_row(&server, rows[i], &wrk(cfg.secs), &script, ticks)),
                // The pair back to back, the baseline first in even rounds.
                Some(b) if round % 2 == 0 => {
                    base_results[i].push(run_row(b, rows[i], &wrk(cfg.secs), &script, ticks));
                    results[i].push(run_row(&server, rows[i], &wrk(cfg.secs), &script, ticks));
                }
                Some(b) => {
                    results[i].push(run_row(&server, rows[i], &wrk(cfg.secs), &script, ticks));
                    base_results[i].push(run_row(b, rows[i], &wrk(cfg.secs), &script, ticks));
                }
            }
        }
        eprintln!(
            "round {} of {} done ({:.0} s)",
            round + 1,
            cfg.rounds,
            started.elapsed().as_secs_f64()
        );
    }
    report(&cfg, &rows, &results, &load_before, started.elapsed());
    if baseline.is_some() {
        report_before_after(&rows, &base_results, &results);
    }
    if !left_out.is_empty() {
        println!(
            "\nLeft out (their request was not answered 200): {}.",
            left_out.join(", ")
        );
    }
}

/// Where the Digest rows' precomputed responses go: memory (`/dev/shm`) when there is one,
/// removed after each run; none with `LOAD_DIGEST_RATE=0` (the script then computes every
/// response itself).
fn digest_list_dir() -> Option<harness::TempDir> {
    if env_num("LOAD_DIGEST_RATE", 15_000u64) == 0 {
        return None;
    }
    let shm = Path::new("/dev/shm");
    Some(if shm.is_dir() {
        harness::TempDir::new_in(shm, "digest")
    } else {
        harness::TempDir::new("digest")
    })
}

/// The wrk script of the Digest rows.
fn digest_script() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/wrk/digest.lua"))
}

fn header_for(server: &OurServer, row: &Row) -> Option<String> {
    match row.auth {
        Auth::None | Auth::Digest(_) => None,
        Auth::Basic => Some(harness::basic_header(server::USER, server::PASSWORD)),
        Auth::Bearer => Some(format!("Bearer {}", server::BEARER_TOKEN)),
        Auth::ServerToken => Some(format!("Bearer {}", server.token(row.path))),
    }
}

/// The Digest script's environment: `count` fresh nonces of the route, its opaque, and with
/// `list_dir` each connection's responses for nc = 1 to `per_connection` (see
/// `wrk/digest.lua`).
fn digest_env(
    server: &OurServer,
    row: &Row,
    alg: &str,
    count: usize,
    list_dir: Option<&Path>,
    per_connection: u64,
) -> Vec<(String, String)> {
    let mut nonces = Vec::new();
    let mut opaque = String::new();
    for _ in 0..count {
        let (status, fields) = harness::http_get(server.port, row.path, &[]).expect("challenge");
        assert_eq!(status, 401, "{} without credentials", row.path);
        let challenge = fields
            .iter()
            .find(|(k, v)| k == "www-authenticate" && v.starts_with("Digest"))
            .map(|(_, v)| v.clone())
            .expect("a Digest challenge");
        nonces.push(harness::auth_param(&challenge, "nonce").expect("nonce"));
        opaque = harness::auth_param(&challenge, "opaque").unwrap_or_default();
    }
    let cnonces: Vec<String> = (0..count).map(|k| format!("0a4f113b{k:08x}")).collect();
    let mut env = vec![
        ("DIGEST_ALG".into(), alg.into()),
        ("DIGEST_NONCES".into(), nonces.join(",")),
        ("DIGEST_CNONCES".into(), cnonces.join(",")),
        ("DIGEST_OPAQUE".into(), opaque),
        ("DIGEST_USER".into(), server::USER.into()),
        ("DIGEST_PASSWORD".into(), server::PASSWORD.into()),
        ("DIGEST_REALM".into(), server::REALM.into()),
        ("DIGEST_URI".into(), row.path.into()),
    ];
    if let Some(dir) = list_dir {
        let n = per_connection;
        let alg_hash = |parts: &[&[u8]]| -> String {
            let bytes: Vec<u8> = if alg == "MD5" {
                let mut h = md5::Md5::new();
                parts.iter().for_each(|p| h.update(p));
                h.finalize().to_vec()
            } else {
                let mut h = sha2::Sha256::new();
                parts.iter().for_each(|p| h.update(p));
                h.finalize().to_vec()
            };
            const HEX: &[u8; 16] = b"0123456789abcdef";
            bytes
                .iter()
                .flat_map(|b| [HEX[usize::from(b >> 4)] as char, HEX[usize::from(b & 15)] as char])
                .collect()
        };
        let ha1 = alg_hash(&[format!("{}:{}:{}", server::USER, server::REALM, server::PASSWORD).as_bytes()]);
        let ha2 = alg_hash(&[format!("GET:{}", row.path).as_bytes()]);
        for (k, (nonce, cnonce)) in nonces.iter().zip(&cnonces).enumerate() {
            let file = std::fs::File::create(dir.join(format!("{}.txt", k + 1))).expect("response list");
            let mut out = std::io::BufWriter::new(file);
            for nc in 1..=n {
                let nc = format!("{nc:08x}");
                let r = alg_hash(&[
                    ha1.as_bytes(),
                    b":",
                    nonce.as_bytes(),
                    b":",
                    nc.as_bytes(),
                    b":",
                    cnonce.as_bytes(),
                    b":auth:",
                    ha2.as_bytes(),
                ]);
                writeln!(out, "{r}").expect("write response list");
            }
        }
        env.push(("DIGEST_LIST_DIR".into(), dir.display().to_string()));
    }
    env
}

fn run_row(server: &OurServer, row: &Row, wrk: &WrkConfig, script: &std::path::Path, ticks: f64) -> WrkResult {
    let url = format!("http://127.0.0.1:{}{}", server.port, row.path);
    let header = header_for(server, row);
    let list = digest_list_dir();
    let (script, env) = match row.auth {
        Auth::Digest(alg) => {
            // Enough responses for LOAD_DIGEST_RATE (15 000) requests/s per connection.
            let per_connection = env_num("LOAD_DIGEST_RATE", 15_000u64) * wrk.seconds;
            let env = digest_env(
                server,
                row,
                alg,
                wrk.connections,
                list.as_ref().map(|d| d.path()),
                per_connection,
            );
            (Some(script), env)
        }
        _ => (None, Vec::new()),
    };
    let r = harness::run_wrk(wrk, &url, header.as_deref(), script, &env, server.proc.pid(), ticks);
    if r.non2xx > 0 || r.socket_errors > 0 {
        eprintln!(
            "row `{}`: {} non-2xx responses, {} socket errors of {} requests",
            row.key, r.non2xx, r.socket_errors, r.requests
        );
    }
    r
}

/// One request of the row, as wrk will send it (Digest: one short wrk run through the
/// script), must be answered 200.
fn check_row(server: &OurServer, row: &Row, client_cpu: usize, ticks: f64) -> bool {
    match row.auth {
        Auth::Digest(_) => {
            let wrk = WrkConfig {
                cpu: client_cpu,
                connections: 1,
                seconds: 1,
            };
            let r = run_row(server, row, &wrk, &digest_script(), ticks);
            r.requests > 0 && r.non2xx == 0
        }
        _ => {
            let header = header_for(server, row);
            let headers: Vec<(&str, &str)> = header.iter().map(|h| ("Authorization", h.as_str())).collect();
            matches!(harness::http_get(server.port, row.path, &headers), Ok((200, _)))
        }
    }
}

fn report(cfg: &Config, rows: &[&Row], results: &[Vec<WrkResult>], load_before: &str, took: std::time::Duration) {
    let open = rows.iter().position(|r| r.key == "open").expect("the open row");
    let rounds = results[open].len();
    let per_round = |i: usize, f: &dyn Fn(&WrkResult) -> f64| -> Vec<f64> { results[i].iter().map(f).collect() };
    let ratio = |i: usize, f: &dyn Fn(&WrkResult) -> f64| -> Vec<f64> {
        (0..rounds).map(|k| f(&results[i][k]) / f(&results[open][k])).collect()
    };

    println!("## Load: one server, one route per configuration\n");
    println!(
        "{}; server pinned to CPU {}, wrk (and Redis) to CPU {}; `wrk -t{c} -c{c} -d{}s`, {} interleaved rounds \
         (rows rotated each round); load average {} before, {} after; {:.0} s.\n",
        harness::machine(),
        cfg.server_cpu,
        cfg.client_cpu,
        cfg.secs,
        cfg.rounds,
        load_before,
        harness::loadavg(),
        took.as_secs_f64(),
        c = cfg.conns,
    );
    println!(
        "| configuration | requests/s | ± | p50 µs | p99 µs | throughput kept | server CPU µs/request | ± | capacity kept | wrk CPU | target (capacity kept) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for (i, row) in rows.iter().enumerate() {
        let rps = per_round(i, &|r| r.rps);
        let cpu = per_round(i, &|r| r.server_us_per_request());
        let kept = median(&ratio(i, &|r| r.rps));
        // What the server could serve at saturation, against the open route: the inverse of
        // the CPU per request, which does not depend on whether wrk kept the server busy.
        let capacity = median(&ratio(i, &|r| 1.0 / r.server_us_per_request()));
        let client = median(&per_round(i, &|r| r.client_load()));
        let bound = if client > 0.9 { " (wrk-bound)" } else { "" };
        let verdict = match row.target {
            None => "–".to_owned(),
            Some(t) if capacity >= t => format!("≥ {t:.2}: met"),
            Some(t) => format!("≥ {t:.2}: **missed**"),
        };
        println!(
            "| {} | {} | {:.0}% | {} | {} | {:.3} | {} | {:.0}% | {:.3} | {:.0}%{bound} | {} |",
            row.label,
            fmt_num(median(&rps)),
            harness::spread_pct(&rps),
            fmt_num(median(&per_round(i, &|r| r.p50_us))),
            fmt_num(median(&per_round(i, &|r| r.p99_us))),
            kept,
            fmt_num(median(&cpu)),
            harness::spread_pct(&cpu),
            capacity,
            100.0 * client,
            verdict
        );
    }
    println!(
        "\n± is half the range over the rounds, relative to the median. *Throughput kept*: the row's requests/s over \
         `/open`'s in the same round; *capacity kept*: `/open`'s server CPU per request over the row's in the same \
         round, i.e. the requests/s the server keeps when it is the bottleneck (both are medians of the per-round \
         ratios). *wrk CPU*: the share of its core wrk used; above 90% (\"wrk-bound\") the client, not the server, set \
         the row's requests/s, and only the CPU figures speak for the server.\n"
    );
    println!("<details><summary>Per round</summary>\n");
    println!("| configuration | requests/s per round | server CPU µs/request per round | non-2xx |");
    println!("|---|---|---|---:|");
    for (i, row) in rows.iter().enumerate() {
        let join = |v: Vec<f64>| v.iter().map(|x| fmt_num(*x)).collect::<Vec<_>>().join(" / ");
        let non2xx: u64 = results[i].iter().map(|r| r.non2xx + r.socket_errors).sum();
        println!(
            "| {} | {} | {} | {} |",
            row.key,
            join(per_round(i, &|r| r.rps)),
            join(per_round(i, &|r| r.server_us_per_request())),
            non2xx
        );
    }
    println!("\n</details>");
    let (lo, hi) = range(&per_round(open, &|r| r.server_us_per_request()));
    eprintln!("open route: {lo:.1}–{hi:.1} µs of server CPU per request over the rounds");
}

/// The baseline (`LOAD_BASELINE`) and this build side by side, row by row: both servers' own
/// figures and this build's over the baseline's, each ratio the median of the per-round
/// ratios (the two runs of a round were back to back).
fn report_before_after(rows: &[&Row], base: &[Vec<WrkResult>], this: &[Vec<WrkResult>]) {
    let open = rows.iter().position(|r| r.key == "open").expect("the open row");
    let rounds = this[open].len();
    let values = |res: &[Vec<WrkResult>], i: usize, f: &dyn Fn(&WrkResult) -> f64| -> Vec<f64> {
        res[i].iter().map(f).collect()
    };
    let ratios = |i: usize, f: &dyn Fn(&WrkResult) -> f64| -> Vec<f64> {
        (0..rounds).map(|k| f(&this[i][k]) / f(&base[i][k])).collect()
    };
    // What each server keeps of its own open route's capacity, per round.
    let capacity = |res: &[Vec<WrkResult>], i: usize| -> f64 {
        median(
            &(0..rounds)
                .map(|k| res[open][k].server_us_per_request() / res[i][k].server_us_per_request())
                .collect::<Vec<_>>(),
        )
    };
    let cpu = |r: &WrkResult| r.server_us_per_request();
    let rps = |r: &WrkResult| r.rps;
    println!("\n## Before/after: the baseline server (`LOAD_BASELINE`) and this build\n");
    println!(
        "Both servers pinned to the same CPU; each row run on both in every round, back to back, which one first \
         alternating by round. *this ÷ baseline*: the median over the rounds of the two runs' ratio (CPU per \
         request: below 1 is cheaper now; requests/s: above 1 is faster now), with the lowest and highest \
         per-round ratio. *capacity kept*: each server's own `/open` CPU per request over the row's.\n"
    );
    println!(
        "| configuration | CPU µs/request, baseline | CPU µs/request, this build | this ÷ baseline (range) | requests/s, baseline | requests/s, this build | this ÷ baseline (range) | capacity kept, baseline | capacity kept, this build |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (i, row) in rows.iter().enumerate() {
        let cpu_ratio = ratios(i, &cpu);
        let rps_ratio = ratios(i, &rps);
        let (clo, chi) = range(&cpu_ratio);
        let (rlo, rhi) = range(&rps_ratio);
        println!(
            "| {} | {} | {} | {:.3} ({:.2}–{:.2}) | {} | {} | {:.3} ({:.2}–{:.2}) | {:.3} | {:.3} |",
            row.label,
            fmt_num(median(&values(base, i, &cpu))),
            fmt_num(median(&values(this, i, &cpu))),
            median(&cpu_ratio),
            clo,
            chi,
            fmt_num(median(&values(base, i, &rps))),
            fmt_num(median(&values(this, i, &rps))),
            median(&rps_ratio),
            rlo,
            rhi,
            capacity(base, i),
            capacity(this, i),
        );
    }
    println!("\n<details><summary>Per round (baseline / this build)</summary>\n");
    println!("| configuration | server CPU µs/request per round | requests/s per round |");
    println!("|---|---|---|");
    for (i, row) in rows.iter().enumerate() {
        let pairs = |f: &dyn Fn(&WrkResult) -> f64| -> String {
            (0..rounds)
                .map(|k| format!("{} / {}", fmt_num(f(&base[i][k])), fmt_num(f(&this[i][k]))))
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!("| {} | {} | {} |", row.key, pairs(&cpu), pairs(&rps));
    }
    println!("\n</details>");
}

//! Beside the servers users would otherwise put in front: the same htpasswd files (bcrypt
//! cost 10, and `{SHA}`) served by nginx `auth_basic`, by Apache httpd `mod_auth_basic`
//! (with and without `mod_authn_socache`) and by our server, in one run.
//!
//! ```text
//! cargo bench --bench peers --all-features                        # the full run
//! PEERS_ROUNDS=1 PEERS_SECS=2 cargo bench --bench peers --all-features   # a short trial
//! ```
//!
//! - Installs nginx, apache2, apache2-utils and wrk with apt-get when they are missing.
//! - Writes the two files with Apache's `htpasswd` (`-B -C 10` and `-s`), and a small config
//!   for each server into a temporary directory; every server listens on 127.0.0.1 only and
//!   runs pinned to CPU `PEERS_SERVER_CPU` (0), wrk to `PEERS_CLIENT_CPU` (1).
//! - nginx: one worker, `auth_basic` in front of a static file (its `return` would answer
//!   before `auth_basic` runs). Apache: event MPM, one child, the same file; the `socache`
//!   locations add `AuthBasicProvider socache file` (it caches the looked-up hash, not the
//!   verification). Ours: the load harness's server (`server/mod.rs`): `/bcrypt` with the
//!   credential cache on, `/bcrypt-nocache` with it off, `/sha1`; its handler answers the
//!   same six bytes as the file.
//! - `PEERS_ROUNDS` (3) interleaved rounds of every row for `PEERS_SECS` (10) seconds, rows
//!   rotated each round; `wrk -t C -c C`, `C = PEERS_CONNS` (8).
//!
//! Prints one Markdown table: per server and file, open and authenticated requests/s (medians
//! over the rounds), the fraction kept (median of the per-round ratios), and the server's CPU
//! time per authenticated request (its whole process tree).

mod harness;
mod server;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use harness::{OurServer, Proc, WrkConfig, WrkResult, env_num, fmt_num, median};

/// One measured row: which server, which path, with credentials or not.
struct Row {
    server: usize,
    label: &'static str,
    path: &'static str,
    auth: bool,
}

struct Server {
    name: &'static str,
    pid: u32,
    port: u16,
}

const NGINX_CONF: &str = r#"
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    client_body_temp_path {dir}/nginx-tmp;
    proxy_temp_path {dir}/nginx-tmp;
    fastcgi_temp_path {dir}/nginx-tmp;
    uwsgi_temp_path {dir}/nginx-tmp;
    scgi_temp_path {dir}/nginx-tmp;
    server {
        listen 127.0.0.1:{port};
        root {dir}/www;
        location /open/ { }
        location /bcrypt/ { auth_basic "bench"; auth_basic_user_file {dir}/bcrypt.htpasswd; }
        location /sha1/ { auth_basic "bench"; auth_basic_user_file {dir}/sha.htpasswd; }
    }
}
"#;

const APACHE_CONF: &str = r#"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {dir}/apache.pid
DefaultRuntimeDir {dir}/apache-run
ErrorLog {dir}/apache-error.log
LogLevel warn
User www-data
Group www-data
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule authz_user_module /usr/lib/apache2/modules/mod_authz_user.so
LoadModule authn_core_module /usr/lib/apache2/modules/mod_authn_core.so
LoadModule authn_file_module /usr/lib/apache2/modules/mod_authn_file.so
LoadModule auth_basic_module /usr/lib/apache2/modules/mod_auth_basic.so
LoadModule socache_shmcb_module /usr/lib/apache2/modules/mod_socache_shmcb.so
LoadModule authn_socache_module /usr/lib/apache2/modules/mod_authn_socache.so
StartServers 1
ServerLimit 1
ThreadsPerChild 32
MaxRequestWorkers 32
MinSpareThreads 1
MaxSpareThreads 32
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 60
AuthnCacheSOCache shmcb
DocumentRoot {dir}/www
<Directory {dir}/www>
    Require all granted
</Directory>
<Location /bcrypt/>
    AuthType Basic
    AuthName bench
    AuthBasicProvider file
    AuthUserFile {dir}/bcrypt.htpasswd
    Require valid-user
</Location>
<Location /bcrypt-socache/>
    AuthType Basic
    AuthName bench
    AuthBasicProvider socache file
    AuthnCacheProvideFor file
    AuthnCacheTimeout 300
    AuthUserFile {dir}/bcrypt.htpasswd
    Require valid-user
</Location>
<Location /sha1/>
    AuthType Basic
    AuthName bench
    AuthBasicProvider file
    AuthUserFile {dir}/sha.htpasswd
    Require valid-user
</Location>
<Location /sha1-socache/>
    AuthType Basic
    AuthName bench
    AuthBasicProvider socache file
    AuthnCacheProvideFor file
    AuthnCacheTimeout 300
    AuthUserFile {dir}/sha.htpasswd
    Require valid-user
</Location>
"#;

/// The servers, by index.
const NGINX: usize = 0;
const APACHE: usize = 1;
const OURS: usize = 2;

fn rows() -> Vec<Row> {
    let r = |server, label, path, auth| Row {
        server,
        label,
        path,
        auth,
    };
    vec![
        r(NGINX, "open (static file)", "/open/hello.txt", false),
        r(NGINX, "`auth_basic`, bcrypt cost 10", "/bcrypt/hello.txt", true),
        r(NGINX, "`auth_basic`, `{SHA}`", "/sha1/hello.txt", true),
        r(APACHE, "open (static file)", "/open/hello.txt", false),
        r(APACHE, "`mod_auth_basic`, bcrypt cost 10", "/bcrypt/hello.txt", true),
        r(
            APACHE,
            "`mod_auth_basic` + `mod_authn_socache`, bcrypt cost 10",
            "/bcrypt-socache/hello.txt",
            true,
        ),
        r(APACHE, "`mod_auth_basic`, `{SHA}`", "/sha1/hello.txt", true),
        r(
            APACHE,
            "`mod_auth_basic` + `mod_authn_socache`, `{SHA}`",
            "/sha1-socache/hello.txt",
            true,
        ),
        r(OURS, "open (handler)", "/open", false),
        r(OURS, "`Htpasswd`, bcrypt cost 10, credential cache on", "/bcrypt", true),
        r(
            OURS,
            "`Htpasswd`, bcrypt cost 10, credential cache off",
            "/bcrypt-nocache",
            true,
        ),
        r(OURS, "`Htpasswd`, `{SHA}`", "/sha1", true),
    ]
}

fn write_config(dir: &Path, template: &str, port: u16, name: &str) -> std::path::PathBuf {
    let text = template
        .replace("{dir}", &dir.display().to_string())
        .replace("{port}", &port.to_string());
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write config");
    path
}

fn main() {
    if std::env::args().any(|a| a == "--serve") {
        server::serve();
        return;
    }
    if !harness::started_by_cargo_bench() {
        println!(
            "peers harness: run it with `cargo bench --bench peers --all-features` (nothing is timed under cargo test)"
        );
        return;
    }
    let rounds: usize = env_num("PEERS_ROUNDS", 3).max(1);
    let secs: u64 = env_num("PEERS_SECS", 10).max(1);
    let conns: usize = env_num("PEERS_CONNS", 8).max(1);
    let server_cpu: usize = env_num("PEERS_SERVER_CPU", 0);
    let client_cpu: usize = env_num("PEERS_CLIENT_CPU", 1);

    harness::ensure_programs(&[
        ("wrk", "wrk"),
        ("taskset", "util-linux"),
        ("htpasswd", "apache2-utils"),
        ("nginx", "nginx"),
        ("apache2", "apache2"),
    ]);
    let ticks = harness::clock_ticks();
    let dir = harness::TempDir::new("peers");
    let d = dir.path();
    let (bcrypt, sha) = harness::write_htpasswd_files(d, server::USER, server::PASSWORD);
    for sub in ["open", "bcrypt", "bcrypt-socache", "sha1", "sha1-socache"] {
        std::fs::create_dir_all(d.join("www").join(sub)).expect("docroot");
        std::fs::write(d.join("www").join(sub).join("hello.txt"), "hello\n").expect("file");
    }
    std::fs::create_dir_all(d.join("nginx-tmp")).expect("nginx temp");
    std::fs::create_dir_all(d.join("apache-run")).expect("apache run dir");
    let _ = std::process::Command::new("chmod").args(["-R", "a+rX"]).arg(d).status();

    let nginx_port = harness::free_port();
    let conf = write_config(d, NGINX_CONF, nginx_port, "nginx.conf");
    let mut cmd = Proc::pinned(server_cpu, "nginx", &[]);
    cmd.arg("-e").arg(d.join("nginx-error.log")).arg("-c").arg(&conf);
    cmd.stdout(Stdio::null());
    let nginx = Proc::spawn("nginx", cmd);

    let apache_port = harness::free_port();
    let conf = write_config(d, APACHE_CONF, apache_port, "apache.conf");
    let mut cmd = Proc::pinned(server_cpu, "/usr/sbin/apache2", &["-DFOREGROUND", "-f"]);
    cmd.arg(&conf).stdout(Stdio::null());
    let apache = Proc::spawn("apache2", cmd);

    let ours = OurServer::start(
        server_cpu,
        &[
            ("BCRYPT_FILE", bcrypt.display().to_string()),
            ("SHA_FILE", sha.display().to_string()),
        ],
    );
    for (name, port) in [("nginx", nginx_port), ("apache2", apache_port)] {
        if !harness::wait_for_port(port, Duration::from_secs(15)) {
            let log = std::fs::read_to_string(d.join(format!("{}-error.log", name.trim_end_matches('2'))))
                .unwrap_or_default();
            panic!("{name} did not start:\n{log}");
        }
    }
    let servers = [
        Server {
            name: "nginx",
            pid: nginx.pid(),
            port: nginx_port,
        },
        Server {
            name: "Apache httpd",
            pid: apache.pid(),
            port: apache_port,
        },
        Server {
            name: "tower-httpauth (axum)",
            pid: ours.proc.pid(),
            port: ours.port,
        },
    ];

    let auth = harness::basic_header(server::USER, server::PASSWORD);
    let rows = rows();
    for row in &rows {
        let s = &servers[row.server];
        let headers: Vec<(&str, &str)> = if row.auth {
            vec![("Authorization", &auth)]
        } else {
            vec![]
        };
        let status = harness::http_get(s.port, row.path, &headers)
            .map(|(c, _)| c)
            .unwrap_or(0);
        assert_eq!(status, 200, "{} {}: expected 200", s.name, row.path);
        if row.auth {
            let status = harness::http_get(s.port, row.path, &[]).map(|(c, _)| c).unwrap_or(0);
            assert_eq!(status, 401, "{} {} without credentials: expected 401", s.name, row.path);
        }
    }

    let n = rows.len();
    eprintln!(
        "peers: {n} rows × {rounds} rounds × {secs} s: about {} s",
        n as u64 * rounds as u64 * (secs + 1)
    );
    let load_before = harness::loadavg();
    let started = std::time::Instant::now();
    let wrk = WrkConfig {
        cpu: client_cpu,
        connections: conns,
        seconds: secs,
    };
    let mut results: Vec<Vec<WrkResult>> = vec![Vec::new(); n];
    for round in 0..rounds {
        for k in 0..n {
            let i = (k + round) % n;
            let row = &rows[i];
            let s = &servers[row.server];
            let url = format!("http://127.0.0.1:{}{}", s.port, row.path);
            let r = harness::run_wrk(&wrk, &url, row.auth.then_some(auth.as_str()), None, &[], s.pid, ticks);
            if r.non2xx + r.socket_errors > 0 {
                eprintln!(
                    "{} {}: {} non-2xx, {} socket errors",
                    s.name, row.path, r.non2xx, r.socket_errors
                );
            }
            results[i].push(r);
        }
        eprintln!(
            "round {} of {rounds} done ({:.0} s)",
            round + 1,
            started.elapsed().as_secs_f64()
        );
    }

    println!("## Beside nginx and Apache: the same htpasswd files\n");
    println!(
        "{}; every server pinned to CPU {server_cpu}, wrk to CPU {client_cpu}; `wrk -t{conns} -c{conns} -d{secs}s`, \
         {rounds} interleaved rounds; {}; load average {load_before} before, {} after.\n",
        harness::machine(),
        versions(),
        harness::loadavg()
    );
    println!(
        "| server | authentication | open requests/s | authenticated requests/s | kept | server CPU µs/request, open | server CPU µs/request, authenticated |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    for (i, row) in rows.iter().enumerate() {
        if !row.auth {
            continue;
        }
        let open = rows
            .iter()
            .position(|r| r.server == row.server && !r.auth)
            .expect("an open row per server");
        let rps = |j: usize| median(&results[j].iter().map(|r| r.rps).collect::<Vec<_>>());
        let kept: Vec<f64> = results[i]
            .iter()
            .zip(&results[open])
            .map(|(a, o)| a.rps / o.rps)
            .collect();
        let cpu = |j: usize| {
            median(
                &results[j]
                    .iter()
                    .map(WrkResult::server_us_per_request)
                    .collect::<Vec<_>>(),
            )
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            servers[row.server].name,
            row.label,
            fmt_num(rps(open)),
            fmt_num(rps(i)),
            fmt_kept(median(&kept)),
            fmt_num(cpu(open)),
            fmt_num(cpu(i))
        );
    }
    println!();
    drop(ours);
    drop(apache);
    drop(nginx);
}

fn fmt_kept(x: f64) -> String {
    if x >= 0.01 {
        format!("{x:.2}")
    } else {
        format!("{x:.5}")
    }
}

/// The peers' versions, for the heading.
fn versions() -> String {
    let run = |cmd: &str, args: &[&str]| {
        std::process::Command::new(cmd)
            .args(args)
            .output()
            .ok()
            .map(|o| {
                let mut s = String::from_utf8_lossy(&o.stdout).into_owned();
                s.push_str(&String::from_utf8_lossy(&o.stderr));
                s
            })
            .unwrap_or_default()
    };
    let nginx = run("nginx", &["-v"]);
    let nginx = nginx.trim().trim_start_matches("nginx version: ");
    let apache = run("/usr/sbin/apache2", &["-v"]);
    let apache = apache
        .lines()
        .next()
        .unwrap_or("")
        .trim_start_matches("Server version: ")
        .trim();
    let wrk = run("wrk", &["-v"]);
    let wrk = wrk.lines().next().unwrap_or("").split(" [").next().unwrap_or("").trim();
    format!("{nginx}, {apache}, {wrk}")
}

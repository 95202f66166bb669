//! What the load and peers harnesses share: installing the outside programs, starting
//! processes pinned to a core, running wrk, reading CPU time from `/proc`, statistics and
//! Markdown. Nothing here touches the crate's API.

#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// Reads an environment variable as a number, with a default.
pub fn env_num<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// Whether the binary was started by `cargo bench` (which passes `--bench`); `cargo test
/// --benches` does not, and the harnesses then only say how to run them: no timing in tests.
pub fn started_by_cargo_bench() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// Whether `program` is on the `PATH`.
pub fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program} >/dev/null 2>&1")])
        .status()
        .is_ok_and(|s| s.success())
}

/// Installs the Debian packages of the missing programs ((program, package) pairs) with
/// apt-get. Exits with a message when a program is still missing.
pub fn ensure_programs(pairs: &[(&str, &str)]) {
    let missing: Vec<&str> = pairs.iter().filter(|(p, _)| !have(p)).map(|(_, pkg)| *pkg).collect();
    if !missing.is_empty() {
        eprintln!("installing {} with apt-get", missing.join(" "));
        let install = |update: bool| {
            if update {
                let _ = Command::new("apt-get").args(["update", "-qq"]).status();
            }
            Command::new("apt-get")
                .args(["install", "-y", "-qq"])
                .args(&missing)
                .env("DEBIAN_FRONTEND", "noninteractive")
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        if !install(false) {
            install(true);
        }
    }
    for (program, package) in pairs {
        if !have(program) {
            eprintln!("`{program}` is missing and could not be installed: apt-get install {package} (as root)");
            std::process::exit(2);
        }
    }
}

/// A free port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Waits until something accepts connections on 127.0.0.1:`port`, at most `within`.
pub fn wait_for_port(port: u16, within: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < within {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// A child process killed (and reaped) when dropped.
pub struct Proc {
    pub child: Child,
    pub name: String,
}

impl Proc {
    /// `program args` pinned to `cpu` with `taskset`.
    pub fn pinned(cpu: usize, program: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Command {
        let mut cmd = Command::new("taskset");
        cmd.arg("-c").arg(cpu.to_string()).arg(program).args(args);
        cmd
    }

    pub fn spawn(name: &str, mut cmd: Command) -> Proc {
        let child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Proc {
            child,
            name: name.to_owned(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        // SIGTERM first (nginx and apache2 clean up their workers on it), then SIGKILL.
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Our server (this bench binary with `--serve`), pinned to `cpu`: its address and the
/// tokens it printed.
pub struct OurServer {
    pub proc: Proc,
    pub port: u16,
    pub tokens: Vec<(String, String)>,
}

impl OurServer {
    /// This bench binary as the server.
    pub fn start(cpu: usize, env: &[(&str, String)]) -> OurServer {
        let exe = std::env::current_exe().expect("current executable");
        OurServer::start_binary(&exe, cpu, env)
    }

    /// `exe --serve` as the server: this bench binary, or the load bench binary of another
    /// version of the crate (the baseline of a before/after run), which must speak the same
    /// protocol (`server/mod.rs`: the environment it reads, the lines it prints).
    pub fn start_binary(exe: &Path, cpu: usize, env: &[(&str, String)]) -> OurServer {
        let mut cmd = Proc::pinned(cpu, exe, &["--serve"]);
        cmd.env("PORT", "0").stdout(Stdio::piped()).stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut proc = Proc::spawn("our server", cmd);
        let stdout: ChildStdout = proc.child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut tokens = Vec::new();
        loop {
            let line = rx
                .recv_timeout(Duration::from_secs(60))
                .expect("our server did not say `ready` within 60 s");
            let mut words = line.split_whitespace();
            match (words.next(), words.next(), words.next()) {
                (Some("token"), Some(route), Some(token)) => tokens.push((route.to_owned(), token.to_owned())),
                (Some("ready"), Some(addr), _) => {
                    let addr: SocketAddr = addr.parse().expect("server address");
                    return OurServer {
                        proc,
                        port: addr.port(),
                        tokens,
                    };
                }
                _ => {}
            }
        }
    }

    pub fn token(&self, route: &str) -> &str {
        &self
            .tokens
            .iter()
            .find(|(r, _)| r == route)
            .unwrap_or_else(|| panic!("no token for {route}"))
            .1
    }
}

/// One plain HTTP/1.1 GET on 127.0.0.1: the status and the header fields (lower-case
/// names). For checks and for reading challenges, not for load.
pub fn http_get(port: u16, path: &str, headers: &[(&str, &str)]) -> std::io::Result<(u16, Vec<(String, String)>)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let text = String::from_utf8_lossy(&buf);
    let head = text.split("\r\n\r\n").next().unwrap_or("");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let fields = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok((status, fields))
}

/// The value of `name="value"` (or `name=value`) in a challenge.
pub fn auth_param(challenge: &str, name: &str) -> Option<String> {
    let at = challenge.find(&format!("{name}="))?;
    let rest = &challenge[at + name.len() + 1..];
    if let Some(quoted) = rest.strip_prefix('"') {
        quoted.split('"').next().map(str::to_owned)
    } else {
        rest.split([',', ' ']).next().map(str::to_owned)
    }
}

/// `Authorization: Basic` for `user:password`.
pub fn basic_header(user: &str, password: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// Clock ticks per second of `/proc/<pid>/stat` times.
pub fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// utime + stime of a process (all its threads), in ticks, and its state letter.
pub fn cpu_ticks(pid: u32) -> Option<(u64, char)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: split after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state); utime is field 14, stime field 15.
    let state = fields.first()?.chars().next()?;
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime, state))
}

/// The summed CPU ticks of `pid` and all its descendants (nginx and Apache fork workers).
pub fn tree_ticks(pid: u32) -> u64 {
    let mut total = 0;
    let mut todo = vec![pid];
    let all: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
                .filter_map(|p| {
                    let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
                    let rest = &stat[stat.rfind(')')? + 2..];
                    let ppid = rest.split_whitespace().nth(1)?.parse().ok()?;
                    Some((p, ppid))
                })
                .collect()
        })
        .unwrap_or_default();
    while let Some(p) = todo.pop() {
        total += cpu_ticks(p).map_or(0, |(t, _)| t);
        todo.extend(all.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
    }
    total
}

/// How a wrk run is set up.
#[derive(Clone, Debug)]
pub struct WrkConfig {
    pub cpu: usize,
    pub connections: usize,
    pub seconds: u64,
}

/// What one wrk run measured.
#[derive(Clone, Debug, Default)]
pub struct WrkResult {
    pub requests: u64,
    pub rps: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub non2xx: u64,
    pub socket_errors: u64,
    /// CPU seconds wrk used, and the wall seconds it ran.
    pub client_cpu_s: f64,
    pub wall_s: f64,
    /// CPU seconds the measured server (process tree) used during the run.
    pub server_cpu_s: f64,
    pub raw: String,
}

impl WrkResult {
    pub fn server_us_per_request(&self) -> f64 {
        if self.requests == 0 {
            f64::NAN
        } else {
            self.server_cpu_s * 1e6 / self.requests as f64
        }
    }
    pub fn client_load(&self) -> f64 {
        self.client_cpu_s / self.wall_s.max(1e-9)
    }
}

/// Runs `wrk -t C -c C -d S --latency` (one connection per wrk thread, so that a Lua script
/// keeps per-connection state) pinned to its core, and measures the server's CPU time
/// (`server_pid`'s process tree) over the run. Bounded: wrk is killed 20 s after its
/// duration.
pub fn run_wrk(
    cfg: &WrkConfig,
    url: &str,
    header: Option<&str>,
    script: Option<&Path>,
    env: &[(String, String)],
    server_pid: u32,
    ticks_per_s: f64,
) -> WrkResult {
    let c = cfg.connections.to_string();
    let d = format!("{}s", cfg.seconds);
    let mut cmd = Proc::pinned(cfg.cpu, "wrk", &[]);
    cmd.args(["-t", &c, "-c", &c, "-d", &d, "--timeout", "10s", "--latency"]);
    if let Some(h) = header {
        cmd.args(["-H", &format!("Authorization: {h}")]);
    }
    if let Some(s) = script {
        cmd.arg("-s").arg(s);
    }
    cmd.arg(url).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let server_before = tree_ticks(server_pid);
    let start = Instant::now();
    let mut child = cmd.spawn().expect("start wrk");
    let pid = child.id();
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    // Poll wrk's CPU time until it has exited (a zombie still shows its times), then reap.
    let deadline = Duration::from_secs(cfg.seconds + 20);
    let mut client_ticks = 0;
    while let Some((t, state)) = cpu_ticks(pid) {
        client_ticks = t;
        if state == 'Z' {
            break;
        }
        if start.elapsed() > deadline {
            eprintln!("wrk ran past its deadline: killed");
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let wall_s = start.elapsed().as_secs_f64();
    let server_after = tree_ticks(server_pid);
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    let _ = child.wait();
    let raw = reader.join().unwrap_or_default();
    let mut r = parse_wrk(&raw);
    if r.requests == 0 {
        eprintln!("wrk reported nothing:\n{raw}{stderr}");
    }
    r.client_cpu_s = client_ticks as f64 / ticks_per_s;
    r.wall_s = wall_s;
    r.server_cpu_s = server_after.saturating_sub(server_before) as f64 / ticks_per_s;
    r.raw = raw;
    r
}

/// "1.23ms" / "456.00us" / "1.02s" / "2.00m" → microseconds.
fn duration_us(s: &str) -> f64 {
    let (n, unit) = s
        .trim()
        .split_at(s.trim().find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len()));
    let n: f64 = n.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => n,
        "ms" => n * 1e3,
        "s" => n * 1e6,
        "m" => n * 60e6,
        _ => f64::NAN,
    }
}

pub fn parse_wrk(out: &str) -> WrkResult {
    let mut r = WrkResult {
        p50_us: f64::NAN,
        p99_us: f64::NAN,
        ..WrkResult::default()
    };
    for line in out.lines() {
        let t = line.trim();
        let words: Vec<&str> = t.split_whitespace().collect();
        if t.starts_with("Requests/sec:") {
            r.rps = words.get(1).and_then(|v| v.parse().ok()).unwrap_or(0.0);
        } else if words.get(1) == Some(&"requests") && words.get(2) == Some(&"in") {
            r.requests = words[0].parse().unwrap_or(0);
        } else if t.starts_with("50%") {
            r.p50_us = duration_us(words.get(1).unwrap_or(&""));
        } else if t.starts_with("99%") {
            r.p99_us = duration_us(words.get(1).unwrap_or(&""));
        } else if t.starts_with("Non-2xx or 3xx responses:") {
            r.non2xx = words.last().and_then(|v| v.parse().ok()).unwrap_or(0);
        } else if t.starts_with("Socket errors:") {
            r.socket_errors = t
                .split(',')
                .filter_map(|p| p.split_whitespace().last()?.parse::<u64>().ok())
                .sum();
        }
    }
    r
}

/// Median of a non-empty slice (NaN if empty).
pub fn median(v: &[f64]) -> f64 {
    let mut v: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// (min, max) of a slice.
pub fn range(v: &[f64]) -> (f64, f64) {
    v.iter()
        .copied()
        .filter(|x| !x.is_nan())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)))
}

/// The spread of a slice as ±half its range relative to its median, in percent.
pub fn spread_pct(v: &[f64]) -> f64 {
    let (lo, hi) = range(v);
    100.0 * (hi - lo) / 2.0 / median(v)
}

/// A number with a sensible precision for a table.
pub fn fmt_num(x: f64) -> String {
    if x.is_nan() {
        "–".into()
    } else if x >= 1000.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// The machine, for the tables' headings.
pub fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{cpus} CPUs ({model}), Linux {}", kernel.trim())
}

/// The 1-minute load average.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_default()
}

/// A fresh temporary directory, removed when dropped; world-readable (Apache's workers
/// run as www-data).
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        TempDir::new_in(&std::env::temp_dir(), tag)
    }

    pub fn new_in(parent: &Path, tag: &str) -> TempDir {
        let dir = parent.join(format!("tower-httpauth-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temporary directory");
        let _ = Command::new("chmod").arg("755").arg(&dir).status();
        TempDir(dir)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes the two htpasswd files of the harnesses with Apache's own `htpasswd` (so nginx,
/// Apache and we read the same bytes): bcrypt cost 10 and `{SHA}`. Returns their paths.
pub fn write_htpasswd_files(dir: &Path, user: &str, password: &str) -> (PathBuf, PathBuf) {
    let bcrypt = dir.join("bcrypt.htpasswd");
    let sha = dir.join("sha.htpasswd");
    for (file, flags) in [(&bcrypt, &["-cbB", "-C", "10"][..]), (&sha, &["-cbs"][..])] {
        let ok = Command::new("htpasswd")
            .args(flags)
            .arg(file)
            .args([user, password])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "htpasswd failed for {}", file.display());
        let _ = Command::new("chmod").arg("644").arg(file).status();
    }
    (bcrypt, sha)
}

//! Helpers shared by the behaviour and interop tests.
#![allow(dead_code, unreachable_pub)]

pub mod digest;

use std::net::SocketAddr;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// Whether the outside program `name` can be run. On a developer machine without it the
/// test is skipped with a printed reason; under `CI=true` a missing program fails the test.
pub fn have_program(name: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    require(found, name)
}

/// Whether python3 can import `module` (same skip/fail rule as [`have_program`]).
pub fn have_python_module(module: &str) -> bool {
    let found = Command::new("python3")
        .arg("-c")
        .arg(format!("import {module}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    require(found, &format!("python3 module `{module}`"))
}

fn require(found: bool, what: &str) -> bool {
    if found {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} is required under CI=true but is not installed (.ci/run installs it)");
    }
    eprintln!("SKIPPED: {what} is not installed on this machine");
    false
}

/// Serves an axum router on an ephemeral 127.0.0.1 port until the test ends.
pub async fn serve(app: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    addr
}

/// Runs an outside command off the async runtime, with a 30-second bound.
pub async fn run(program: &str, args: Vec<String>) -> Output {
    let program = program.to_owned();
    tokio::task::spawn_blocking(move || {
        Command::new("timeout")
            .arg("30")
            .arg(&program)
            .args(&args)
            .output()
            .unwrap_or_else(|e| panic!("running {program}: {e}"))
    })
    .await
    .expect("join")
}

/// Runs curl silently with `args`: (the status code it printed, the body).
pub async fn curl(args: &[&str]) -> (String, String) {
    let mut a: Vec<String> = vec!["-s".into(), "-w".into(), "\n%{http_code}".into()];
    a.extend(args.iter().map(|s| s.to_string()));
    let out = run("curl", a).await;
    let s = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = s.rsplit_once('\n').unwrap_or(("", &s));
    (code.to_owned(), body.to_owned())
}

/// Runs a python3 snippet (with a 30-second bound) and returns its trimmed stdout.
pub async fn python(code: &str) -> String {
    let out = run("python3", vec!["-c".into(), code.into()]).await;
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A redis-server on a free port, stopped when dropped.
pub struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    pub fn start() -> Redis {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        let mut redis = Redis { child, port };
        // Wait (bounded) until it accepts connections.
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return redis;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        redis.stop();
        panic!("redis-server did not start on port {port}");
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A clock for `Throttle::clock` that moves only when told to (clones share the time), so
/// throttle tests never wait and never depend on how fast the machine is.
#[derive(Clone, Debug)]
pub struct ManualClock(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl ManualClock {
    /// A clock standing at an arbitrary fixed point.
    pub fn new() -> Self {
        ManualClock(std::sync::Arc::new(std::sync::atomic::AtomicU64::new(1_000_000)))
    }

    /// Moves the clock forward by `by` (millisecond resolution).
    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.0.fetch_add(ms, std::sync::atomic::Ordering::SeqCst);
    }

    /// The time source to hand to `Throttle::clock`.
    pub fn source(&self) -> impl Fn() -> Duration + Send + Sync + 'static {
        let millis = self.0.clone();
        move || Duration::from_millis(millis.load(std::sync::atomic::Ordering::SeqCst))
    }
}

//! Helpers shared by the test binaries: `tests/it` (in-process behaviour), `tests/interop`
//! (real clients and servers) and the examples' tests (`examples/tests`, which include this
//! directory with `#[path]`): serving an app, running outside programs, a redis-server, a
//! manual clock, temporary files, and the runner that reports missing programs (`harness`).
//! Fixtures of the crate's own tests are in `tests/fixtures`.
#![allow(dead_code, unreachable_pub)]

pub mod harness;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

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

/// A fresh directory under the system's temporary directory, one per call, and `name` in it:
/// where a test writes its htpasswd, htdigest or database files.
pub fn temp_file(prefix: &str, name: &str) -> PathBuf {
    static DIRS: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "tower-httpauth-{prefix}-{}-{}",
        std::process::id(),
        DIRS.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

//! `Htpasswd` behind a real `AuthLayer` + `Basic` stack, on files written by the real
//! `htpasswd` (apache2-utils).
#![cfg(feature = "htpasswd")]

use crate::fixtures::stores::{PW, auth, reload_by_hand, send};
use crate::support;

use std::convert::Infallible;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use http::header::AUTHORIZATION;
use http::{Request, Response, StatusCode};
use tower::{Layer, ServiceExt};
use tower_httpauth::store::{CredentialCache, FileOptions, Htpasswd, LoadError};
use tower_httpauth::{AuthLayer, Basic, BasicCredentials};

/// Requests read the contents in memory, never the file: even with the shortest interval, a
/// file removed under a running server changes nothing until a reload looks at it.
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn requests_never_read_the_file() {
    let path = support::temp_file("htpasswd", ".htpasswd");
    std::fs::write(&path, format!("alice:{SHA1}\n")).unwrap();
    let store = Htpasswd::open_with(&path, FileOptions::default().reload_interval(Some(Duration::ZERO))).unwrap();
    let layer = auth(store.clone());
    std::fs::remove_file(&path).unwrap();
    for _ in 0..3 {
        assert_eq!(send(&layer, "alice", PW).await.0, StatusCode::OK);
    }
    assert!(store.last_error().is_none(), "no request looked at the file");
}

/// With the `tokio` feature a background task reloads a changed file (requests never read
/// it), and keeps the last good contents when the file no longer loads.
#[cfg(feature = "tokio")]
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_background_task_reloads_a_changed_file_and_keeps_the_last_good_one() {
    let path = support::temp_file("htpasswd", ".htpasswd");
    std::fs::write(&path, format!("alice:{APR1}\n")).unwrap();
    let interval = Duration::from_secs(2);
    let cache = CredentialCache::default();
    let store = Htpasswd::open_with(&path, FileOptions::default().reload_interval(Some(interval)))
        .unwrap()
        .cache(Some(cache.clone()));
    let layer = auth(store.clone());
    assert_eq!(send(&layer, "alice", PW).await.0, StatusCode::OK);
    assert_eq!(cache.len(), 1);
    std::fs::write(&path, format!("alice:{APR1}\nbob:{SHA1}\n")).unwrap();
    assert_eq!(
        send(&layer, "bob", PW).await.0,
        StatusCode::UNAUTHORIZED,
        "not yet looked at"
    );

    // The clock is paused, so this sleep returns at once; tokio fires the task's timer (due
    // at `interval`) first and does not move the clock on while the task's blocking read
    // runs, so the task has looked at the file when the sleep returns.
    tokio::time::sleep(interval + Duration::from_millis(1)).await;
    assert_eq!(send(&layer, "bob", PW).await.1, "bob");
    assert!(store.last_error().is_none());
    assert!(cache.is_empty(), "what the old file verified is forgotten");

    std::fs::write(&path, format!("alice:{APR1}\nbob:{SHA1}\nmallory\n")).unwrap();
    tokio::time::sleep(interval).await;
    assert_eq!(send(&layer, "bob", PW).await.1, "bob", "last good kept");
    assert_eq!(store.last_error().expect("reported").malformed_lines(), [3]);
}

#[test]
fn malformed_lines_are_numbered_and_bounded() {
    let path = support::temp_file("htpasswd", ".htpasswd");
    std::fs::write(
        &path,
        "# users\n\
         alice:$apr1$SFEr/xiz$uDWk3HJkJ9aVYpKvfyXiq.\n\
         no colon here\n\
         \n\
         :$apr1$SFEr/xiz$uDWk3HJkJ9aVYpKvfyXiq.\n\
         bob:$2y$05$truncated\n\
         carol:$1$md5$notfromhtpasswd\n\
         dave:{SHA}y/waJdy9m/a+D8VTRQ/e2awAzpQ=\r\n",
    )
    .unwrap();
    let err = Htpasswd::open(&path).unwrap_err();
    let lines: Vec<usize> = err.malformed_lines();
    assert_eq!(lines, [3, 5, 6, 7]);
    let text = err.to_string();
    assert!(
        !text.contains("truncated") && !text.contains("notfromhtpasswd"),
        "{text}"
    );

    // Bounds.
    std::fs::write(&path, "a:{SHA}y/waJdy9m/a+D8VTRQ/e2awAzpQ=\n".repeat(100)).unwrap();
    assert!(matches!(
        Htpasswd::open_with(&path, FileOptions::default().max_size(64)),
        Err(LoadError::TooLarge { .. })
    ));
    assert!(matches!(
        Htpasswd::open_with(&path, FileOptions::default().max_lines(10)),
        Err(LoadError::TooManyLines { .. })
    ));
    assert!(Htpasswd::open_with(&path, FileOptions::default().max_lines(100)).is_ok());

    // Not UTF-8, binary junk: an error, not a panic.
    std::fs::write(&path, b"a:{SHA}y/waJdy9m/a+D8VTRQ/e2awAzpQ=\n\xff\xfe:\x00\n").unwrap();
    assert_eq!(Htpasswd::open(&path).unwrap_err().malformed_lines()[0], 2);
    assert!(matches!(
        Htpasswd::open(Path::new("/nonexistent/.htpasswd")),
        Err(LoadError::Io { .. })
    ));
}

/// A Basic request for `user`/`password` with `precis` set, through `Htpasswd` and a handler
/// that answers with the user it saw.
async fn send_with(
    store: &Arc<Htpasswd>,
    precis: tower_httpauth::precis::Precis,
    user: &str,
    password: &str,
) -> StatusCode {
    let layer = AuthLayer::new(Basic::new(store.clone()).realm("test").precis(precis));
    let inner = tower::service_fn(|_req: Request<String>| async { Ok::<_, Infallible>(Response::new(String::new())) });
    let req = Request::builder()
        .uri("/r")
        .header(AUTHORIZATION, BasicCredentials::new(user, password).to_header_value())
        .body(String::new())
        .unwrap();
    layer.layer(inner).oneshot(req).await.unwrap().status()
}

const APR1: &str = "$apr1$SFEr/xiz$uDWk3HJkJ9aVYpKvfyXiq."; // Circle of Life
const BCRYPT5: &str = "$2y$05$Eh2GNyzdPIhWzP7HGCeiv.zdxxRPeed0Qh4zvUs3vueQgcNgGhpq2";
const BCRYPT10: &str = "$2y$10$CECs6cKqaD1zZp5Is8aZ/eT84MzeYIslwousbQ3bt.XK02xou5Aha";
const SHA1: &str = "{SHA}y/waJdy9m/a+D8VTRQ/e2awAzpQ=";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plaintext_needs_the_opt_in_and_empty_or_foreign_hashes_never_load() {
    let path = support::temp_file("htpasswd", ".htpasswd");
    let plain = FileOptions::default().allow_plaintext(true);
    // `htpasswd -nbp`, a cut-off DES hash: no format htpasswd writes. Apache (outside
    // Windows) never matches them; without the opt-in they are malformed lines.
    for hash in ["Circle of Life", "OWRgIIQdIJTk"] {
        std::fs::write(&path, format!("alice:{APR1}\nbob:{hash}\n")).unwrap();
        let err = Htpasswd::open(&path).unwrap_err();
        assert_eq!(err.malformed_lines(), [2]);
        assert!(!err.to_string().contains(hash), "{err}");
        let layer = auth(Htpasswd::open_with(&path, plain.clone()).unwrap());
        assert_eq!(send(&layer, "bob", hash).await.0, StatusCode::OK, "opted in");
    }
    // An empty hash, or a scheme htpasswd never writes: malformed even with the opt-in.
    for hash in [
        "",
        "{SSHA}DkMTwBl+a/3DQTxCYEApdUtNXGgdUac3",
        "{MD5}xhuRf8KFT/RQ3e0MPd6vJg==",
    ] {
        std::fs::write(&path, format!("# users\nalice:{APR1}\nbob:{hash}\n")).unwrap();
        for opts in [FileOptions::default(), plain.clone()] {
            let err = Htpasswd::open_with(&path, opts).unwrap_err();
            assert_eq!(err.malformed_lines(), [3], "{hash:?}");
        }
    }
    // A reload that finds such a line keeps the last good contents: bob is not let in.
    std::fs::write(&path, format!("alice:{APR1}\n")).unwrap();
    let store = Htpasswd::open_with(&path, reload_by_hand()).unwrap();
    let layer = auth(store.clone());
    std::fs::write(&path, format!("alice:{APR1}\nbob:{{SSHA}}x\ncarol:\n")).unwrap();
    let _ = store.reload();
    for (user, password) in [("bob", "{SSHA}x"), ("bob", "x"), ("carol", "x")] {
        assert_eq!(send(&layer, user, password).await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(send(&layer, "alice", PW).await.0, StatusCode::OK);
    let lines: Vec<usize> = store.last_error().unwrap().malformed_lines();
    assert_eq!(lines, [2, 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_password_never_logs_in_even_with_precis_off() {
    use tower_httpauth::precis::Precis;
    // `user:` is malformed (above); a real hash of the empty password
    // (`htpasswd -nbB -C 4 empty ''`) is refused by Basic, and by `check`.
    let file = format!("alice:{APR1}\nempty:$2y$04$mMGNiW9mJNYNTXjdiLbeHO58Gu8JSxysgbHQr5zZbjr.vqhLodd8C\n");
    let store = Arc::new(Htpasswd::parse(file.as_bytes()).unwrap());
    for precis in [Precis::Enforce, Precis::Off] {
        assert_eq!(
            send_with(&store, precis, "empty", "").await,
            StatusCode::UNAUTHORIZED,
            "{precis:?}"
        );
        assert_eq!(
            send_with(&store, precis, "alice", "").await,
            StatusCode::UNAUTHORIZED,
            "{precis:?}"
        );
        assert_eq!(
            send_with(&store, precis, "alice", PW).await,
            StatusCode::OK,
            "{precis:?}"
        );
    }
    assert!(!store.check("empty", "").await.unwrap());
    assert!(!store.check("alice", "").await.unwrap());
}

/// The log lines emitted while `f` runs, at WARN and above.
fn warnings<T>(f: impl FnOnce() -> T) -> (T, String) {
    #[derive(Clone, Default)]
    struct Buf(Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .finish();
    let out = tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    (out, text)
}

const MIXED: &str = "mixes password hash costs";

#[test]
fn mixed_cost_files_warn_at_each_load_and_uniform_files_do_not() {
    // bcrypt, APR1 and {SHA}: an unknown user costs bcrypt, a {SHA} user microseconds.
    let mixed = format!("a:{BCRYPT5}\nb:{APR1}\nc:{SHA1}\nd:{APR1}\n");
    let (store, log) = warnings(|| Htpasswd::parse(mixed.as_bytes()).unwrap());
    assert_eq!(store.len(), 4);
    assert_eq!(log.matches(MIXED).count(), 1, "{log}");
    for named in [
        "bcrypt, cost 5: 1 user",
        "APR1-MD5: 2 users",
        "{SHA} or plaintext: 1 user",
        "reject_weak",
    ] {
        assert!(log.contains(named), "{named:?} in {log}");
    }
    for secret in [BCRYPT5, APR1, SHA1, "Eh2GNyzdPIhWzP7", "uDWk3HJkJ9aVYpKvfyXiq"] {
        assert!(!log.contains(secret), "a hash in the log: {log}");
    }
    // Two bcrypt costs are mixed too.
    let (_, log) = warnings(|| Htpasswd::parse(format!("a:{BCRYPT5}\nb:{BCRYPT10}\n").as_bytes()).unwrap());
    assert!(log.contains(MIXED) && log.contains("bcrypt, cost 10: 1 user"), "{log}");

    // Uniform files (a locked entry is verified like an unknown user): no such warning.
    for uniform in [
        format!("a:{APR1}\nb:{APR1}\n"),
        format!("a:{BCRYPT5}\nlocked:*0\nb:{BCRYPT5}\n"),
        format!("a:{SHA1}\n"),
        String::new(),
    ] {
        let (_, log) = warnings(|| Htpasswd::parse(uniform.as_bytes()).unwrap());
        assert!(!log.contains(MIXED), "{uniform:?}: {log}");
    }

    // Once per load: the first one, then each reload that finds the file still mixed.
    let path = support::temp_file("htpasswd", ".htpasswd");
    std::fs::write(&path, format!("a:{APR1}\n")).unwrap();
    let (store, log) = warnings(|| Htpasswd::open_with(&path, FileOptions::default().reload_interval(None)).unwrap());
    assert!(!log.contains(MIXED), "{log}");
    std::fs::write(&path, &mixed).unwrap();
    let (reloaded, log) = warnings(|| store.reload().unwrap());
    assert!(reloaded);
    assert_eq!(log.matches(MIXED).count(), 1, "{log}");
    std::fs::write(&path, format!("a:{APR1}\nb:{APR1}\n")).unwrap();
    let (_, log) = warnings(|| store.reload().unwrap());
    assert!(!log.contains(MIXED), "{log}");
}

/// Writes `contents` as `htpasswd` does (truncate, then write in place).
fn rewrite(path: &Path, contents: &str) {
    std::fs::write(path, contents).unwrap();
}

fn append(path: &Path, rest: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(rest.as_bytes()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_never_loads_a_half_written_last_line() {
    const BASE: &str = "alice:$apr1$SFEr/xiz$uDWk3HJkJ9aVYpKvfyXiq.\n";
    // Every format, with the password `Circle of Life` (costs kept low: every cut is tried).
    let cases: &[(&str, bool)] = &[
        ("$2y$04$HJvzxkpP9/03Y4zgUveoCO57LGDPXocGqTw.ID0apnoHkV6HMNWTm", false),
        ("$apr1$SFEr/xiz$uDWk3HJkJ9aVYpKvfyXiq.", false),
        ("{SHA}y/waJdy9m/a+D8VTRQ/e2awAzpQ=", false),
        (
            "$5$rounds=1000$qfH/ybC6w9jzKXfy$OrlLX35m88U65/RW5motamUah2BDh47ROQAJIsnPYW0",
            false,
        ),
        (
            "$6$rounds=1000$fv17XxRvwNz61Z2H$SLxPEiyV9hzeHs9.yaUbYslZfLJY1cr8OAzR0vsbPpUxL4fG3wvOuQtfycBdsszC2jAKopzaJJ4DqrhVZTTce0",
            false,
        ),
        ("OWRgIIQdIJTko", false),
        ("OWRgIIQdIJTko", true),
        (PW, true),
    ];
    for &(hash, plaintext) in cases {
        let path = support::temp_file("htpasswd", ".htpasswd");
        rewrite(&path, BASE);
        let store = Htpasswd::open_with(&path, reload_by_hand().allow_plaintext(plaintext))
            .unwrap()
            .cache(None);
        let layer = auth(store.clone());
        let line = format!("bob:{hash}\n");
        // Cuts that leave the line short of its end: in the name, the scheme and salt, the
        // digest, or (for plaintext, where no length says the password is complete) just the
        // line ending. Every cut of the first 24 bytes and the last three, every sixth in
        // between (the unit tests of `htpasswd.rs` parse every cut of every format).
        let last = if hash == PW { line.len() - 1 } else { line.len() - 2 };
        for cut in (1..=last).filter(|&c| c <= 24 || c % 6 == 0 || c + 2 >= last) {
            let context = format!("{hash} (plaintext allowed: {plaintext}) cut at {cut}");
            rewrite(&path, BASE);
            let _ = store.reload();
            assert_eq!(send(&layer, "alice", PW).await.0, StatusCode::OK, "{context}");
            // The first write ends mid-line; a reload happens.
            rewrite(&path, &format!("{BASE}{}", &line[..cut]));
            let _ = store.reload();
            let partial = line[..cut].strip_prefix("bob:").unwrap_or_default();
            for password in [PW, partial] {
                if !password.is_empty() {
                    let (status, _, _) = send(&layer, "bob", password).await;
                    assert_eq!(status, StatusCode::UNAUTHORIZED, "{context}, password {password:?}");
                }
            }
            assert_eq!(
                send(&layer, "alice", PW).await.0,
                StatusCode::OK,
                "{context}: last good kept"
            );
            assert!(store.last_error().is_some(), "{context}: reported");
            // The rest arrives: the next reload loads the whole file.
            append(&path, &line[cut..]);
            let _ = store.reload();
            assert_eq!(send(&layer, "bob", PW).await.1, "bob", "{context}, complete");
        }
    }
}

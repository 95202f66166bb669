//! `Htpasswd` behind a real `AuthLayer` + `Basic` stack, on files written by the real
//! `htpasswd` (apache2-utils).
#![cfg(feature = "htpasswd")]

mod common;

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{Request, Response, StatusCode};
use tower::{Layer, ServiceExt};
use tower_httpauth::store::{CredentialCache, FileOptions, Htpasswd, LoadError};
use tower_httpauth::{AuthLayer, AuthUser, Basic, BasicCredentials};

const PW: &str = "Circle of Life";
const WRONG: &str = "Circle Of Life"; // differs within the first 8 bytes (DES counts 8)

static DIRS: AtomicUsize = AtomicUsize::new(0);

fn temp_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "tower-httpauth-htpasswd-{}-{}",
        std::process::id(),
        DIRS.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

async fn htpasswd(args: &[&str]) {
    let out = common::run("htpasswd", args.iter().map(|s| s.to_string()).collect()).await;
    assert!(
        out.status.success(),
        "htpasswd {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Sends `user`/`password` through `AuthLayer<Basic<Htpasswd>>` to a handler that answers
/// with the user it saw; returns the status, the body and whether a challenge came back.
async fn send(layer: &AuthLayer<Basic<Htpasswd>>, user: &str, password: &str) -> (StatusCode, String, bool) {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let inner = tower::service_fn(move |req: Request<String>| {
        c.fetch_add(1, Ordering::SeqCst);
        let user = AuthUser::<String>::from_request(&req).cloned();
        async move { Ok::<_, Infallible>(Response::new(user.unwrap_or_else(|| "anonymous".into()))) }
    });
    let req = Request::builder()
        .uri("/r")
        .header(AUTHORIZATION, BasicCredentials::new(user, password).to_header_value())
        .body(String::new())
        .unwrap();
    let res = layer.clone().layer(inner).oneshot(req).await.unwrap();
    let status = res.status();
    let challenged = res.headers().get(WWW_AUTHENTICATE).is_some();
    if status == StatusCode::OK {
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    } else {
        assert_eq!(calls.load(Ordering::SeqCst), 0, "the handler must not run on failure");
    }
    (status, res.into_body(), challenged)
}

fn auth(store: Htpasswd) -> AuthLayer<Basic<Htpasswd>> {
    AuthLayer::new(Basic::new(store).realm("test"))
}

/// No background task: the tests reload when they mean to, with `Htpasswd::reload`.
fn reload_by_hand() -> FileOptions {
    FileOptions::default().reload_interval(None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_format_htpasswd_writes() {
    if !common::have_program("htpasswd") {
        return;
    }
    let path = temp_file(".htpasswd");
    let p = path.to_str().unwrap();
    let cases: &[(&str, &[&str], &str, &str)] = &[
        ("bcrypt", &["-B"], "bcrypt", "$2y$05$"),
        ("bcrypt10", &["-B", "-C", "10"], "bcrypt", "$2y$10$"),
        ("apr1", &["-m"], "apr1", "$apr1$"),
        ("default", &[], "apr1", "$apr1$"),
        ("sha1", &["-s"], "sha1", "{SHA}"),
        ("sha256", &["-2"], "sha256-crypt", "$5$"),
        ("sha256r", &["-2", "-r", "10000"], "sha256-crypt", "$5$rounds=10000$"),
        ("sha512", &["-5"], "sha512-crypt", "$6$"),
        ("sha512r", &["-5", "-r", "20000"], "sha512-crypt", "$6$rounds=20000$"),
        ("des", &["-d"], "des-crypt", ""),
        ("plain", &["-p"], "plaintext", PW),
    ];
    for (i, (user, flags, _, _)) in cases.iter().enumerate() {
        let mut args: Vec<&str> = vec![if i == 0 { "-cb" } else { "-b" }];
        args.extend_from_slice(flags);
        args.extend_from_slice(&[p, user, PW]);
        htpasswd(&args).await;
    }
    let text = std::fs::read_to_string(&path).unwrap();
    for (user, _, _, prefix) in cases {
        let line = text.lines().find(|l| l.starts_with(&format!("{user}:"))).unwrap();
        assert!(line[user.len() + 1..].starts_with(prefix), "{line}");
    }

    // `-p` writes a plaintext line: malformed unless allowed.
    let plain_line = text.lines().position(|l| l.starts_with("plain:")).unwrap() + 1;
    let err = Htpasswd::open(&path).unwrap_err();
    assert_eq!(err.malformed_lines(), [plain_line]);
    let store = Htpasswd::open_with(&path, FileOptions::default().allow_plaintext(true)).unwrap();
    assert_eq!(store.len(), cases.len());
    for (user, _, format, _) in cases {
        assert_eq!(store.format_of(user), Some(*format), "{user}");
    }
    let layer = auth(store);
    for (user, flags, _, _) in cases {
        let (status, body, _) = send(&layer, user, PW).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, *user), "{user} {flags:?}");
        let (status, _, challenged) = send(&layer, user, WRONG).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{user} {flags:?} wrong password");
        assert!(challenged);
        let (status, _, _) = send(&layer, user, "").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{user} {flags:?} empty password");
    }
    // DES crypt only reads 8 bytes, as the real crypt(3) does.
    assert_eq!(send(&layer, "des", "Circle o").await.0, StatusCode::OK);
    // A user of one line cannot log in with another line's password.
    assert_eq!(send(&layer, "bcrypt", "wrong").await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_with_colons_and_utf8() {
    if !common::have_program("htpasswd") {
        return;
    }
    let path = temp_file(".htpasswd");
    let p = path.to_str().unwrap();
    htpasswd(&["-cbB", p, "Jäsøn Doe", "p:a:ss wörd"]).await;
    let layer = auth(Htpasswd::open(&path).unwrap());
    let (status, body, _) = send(&layer, "Jäsøn Doe", "p:a:ss wörd").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "Jäsøn Doe"));
    assert_eq!(
        send(&layer, "Jäsøn Doe", "p:a:ss word").await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_users_are_refused_without_caching() {
    if !common::have_program("htpasswd") {
        return;
    }
    let path = temp_file(".htpasswd");
    let p = path.to_str().unwrap();
    htpasswd(&["-cbB", p, "alice", PW]).await;
    let cache = CredentialCache::new(16, Duration::from_secs(60));
    let layer = auth(Htpasswd::open(&path).unwrap().cache(Some(cache.clone())));
    for user in ["bob", "", "alice ", "ALICE"] {
        let (status, _, challenged) = send(&layer, user, PW).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{user:?}");
        assert!(challenged);
    }
    assert!(cache.is_empty(), "unknown users are never remembered");

    // An empty file (comments only) refuses everyone.
    let empty = temp_file(".htpasswd");
    std::fs::write(&empty, "# nobody yet\n\n").unwrap();
    let store = Htpasswd::open(&empty).unwrap();
    assert!(store.is_empty());
    assert_eq!(send(&auth(store), "alice", PW).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_hits_invalidation_and_failures() {
    if !common::have_program("htpasswd") {
        return;
    }
    let path = temp_file(".htpasswd");
    let p = path.to_str().unwrap();
    htpasswd(&["-cbB", p, "alice", PW]).await;
    let cache = CredentialCache::new(16, Duration::from_secs(60));
    let store = Htpasswd::open_with(&path, reload_by_hand())
        .unwrap()
        .cache(Some(cache.clone()));
    let layer = auth(store.clone());

    // Failures are never remembered.
    for _ in 0..3 {
        assert_eq!(send(&layer, "alice", WRONG).await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!((cache.hits(), cache.len()), (0, 0));

    // The first success runs bcrypt and is remembered; the next ones hit.
    assert_eq!(send(&layer, "alice", PW).await.1, "alice");
    assert_eq!((cache.hits(), cache.len()), (0, 1));
    assert_eq!(send(&layer, "alice", PW).await.1, "alice");
    assert_eq!(send(&layer, "alice", PW).await.1, "alice");
    assert_eq!(cache.hits(), 2);

    // A wrong password after a cached success is still refused.
    assert_eq!(send(&layer, "alice", WRONG).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(cache.hits(), 2);

    // A password change (the file is rewritten) invalidates the cached success.
    htpasswd(&["-b", "-5", p, "alice", "new password"]).await;
    store.reload().unwrap();
    assert_eq!(send(&layer, "alice", PW).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(cache.hits(), 2);
    assert_eq!(send(&layer, "alice", "new password").await.0, StatusCode::OK);
    assert_eq!(send(&layer, "alice", "new password").await.0, StatusCode::OK);
    assert_eq!(cache.hits(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_off() {
    if !common::have_program("htpasswd") {
        return;
    }
    let path = temp_file(".htpasswd");
    htpasswd(&["-cbB", path.to_str().unwrap(), "alice", PW]).await;
    let store = Htpasswd::open(&path).unwrap().cache(None);
    assert!(store.credential_cache().is_none());
    let layer = auth(store);
    for _ in 0..2 {
        assert_eq!(send(&layer, "alice", PW).await.1, "alice");
        assert_eq!(send(&layer, "alice", WRONG).await.0, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reloads_on_change_and_keeps_last_good_file() {
    if !common::have_program("htpasswd") {
        return;
    }
    let path = temp_file(".htpasswd");
    let p = path.to_str().unwrap();
    htpasswd(&["-cbm", p, "alice", "one"]).await;
    let cache = CredentialCache::default();
    let store = Htpasswd::open_with(&path, reload_by_hand())
        .unwrap()
        .cache(Some(cache.clone()));
    let layer = auth(store.clone());
    assert_eq!(send(&layer, "alice", "one").await.1, "alice");
    assert_eq!(send(&layer, "bob", "two").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(cache.len(), 1);

    // A new user appears without a restart, and the reload clears the cache.
    htpasswd(&["-bB", p, "bob", "two"]).await;
    let _ = store.reload();
    assert_eq!(send(&layer, "bob", "two").await.1, "bob");
    assert_eq!(cache.len(), 1, "cleared on reload, then bob remembered");

    // A broken file keeps the last good contents, with a line-numbered error.
    let good = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{good}# a comment\nmallory\n")).unwrap();
    let _ = store.reload();
    assert_eq!(send(&layer, "alice", "one").await.1, "alice");
    assert_eq!(send(&layer, "bob", "two").await.1, "bob");
    let err = store.last_error().expect("the broken reload is reported");
    assert_eq!(err.malformed_lines().len(), 1);
    assert_eq!(err.malformed_lines()[0], 4);
    assert!(err.to_string().contains("line 4"), "{err}");

    // A vanished file keeps them too.
    std::fs::remove_file(&path).unwrap();
    let _ = store.reload();
    assert_eq!(send(&layer, "alice", "one").await.1, "alice");
    assert!(matches!(*store.last_error().unwrap(), LoadError::Io { .. }));

    // Fixed: loaded again, error cleared.
    htpasswd(&["-cbs", p, "carol", "three"]).await;
    let _ = store.reload();
    assert_eq!(send(&layer, "carol", "three").await.1, "carol");
    assert_eq!(send(&layer, "alice", "one").await.0, StatusCode::UNAUTHORIZED);
    assert!(store.last_error().is_none());
}

/// Requests read the contents in memory, never the file: even with the shortest interval, a
/// file removed under a running server changes nothing until a reload looks at it.
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn requests_never_read_the_file() {
    let path = temp_file(".htpasswd");
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
    let path = temp_file(".htpasswd");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_reload_when_disabled_until_asked() {
    if !common::have_program("htpasswd") {
        return;
    }
    let path = temp_file(".htpasswd");
    let p = path.to_str().unwrap();
    htpasswd(&["-cbm", p, "alice", "one"]).await;
    let store = Htpasswd::open_with(&path, FileOptions::default().reload_interval(None)).unwrap();
    let layer = auth(store.clone());
    htpasswd(&["-bB", p, "bob", "two"]).await;
    assert_eq!(send(&layer, "bob", "two").await.0, StatusCode::UNAUTHORIZED);
    assert!(store.reload().unwrap());
    assert_eq!(send(&layer, "bob", "two").await.1, "bob");
    assert!(!store.reload().unwrap(), "unchanged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_crypt_output_is_locked_not_plaintext() {
    if !common::have_program("htpasswd") {
        return;
    }
    // `htpasswd -2 -r 500` (below glibc's minimum) writes `user:*0`.
    let path = temp_file(".htpasswd");
    let p = path.to_str().unwrap();
    htpasswd(&["-cbm", p, "alice", PW]).await;
    htpasswd(&["-b", "-2", "-r", "500", p, "locked", PW]).await;
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text.lines().find(|l| l.starts_with("locked:")).unwrap();
    let hash = &line["locked:".len()..];
    let store = Htpasswd::open(&path).unwrap();
    assert_eq!(store.format_of("locked"), Some("locked"), "{hash}");
    let layer = auth(store);
    assert_eq!(send(&layer, "locked", hash).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(send(&layer, "locked", PW).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(send(&layer, "alice", PW).await.0, StatusCode::OK);
}

#[test]
fn malformed_lines_are_numbered_and_bounded() {
    let path = temp_file(".htpasswd");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reject_weak_formats() {
    if !common::have_program("htpasswd") {
        return;
    }
    let path = temp_file(".htpasswd");
    let p = path.to_str().unwrap();
    htpasswd(&["-cbp", p, "plain", PW]).await;
    htpasswd(&["-bs", p, "sha1", PW]).await;
    htpasswd(&["-bd", p, "des", PW]).await;
    htpasswd(&["-bB", p, "bcrypt", PW]).await;
    let plain = FileOptions::default().allow_plaintext(true);
    let layer = auth(Htpasswd::open_with(&path, plain).unwrap().reject_weak(true));
    for user in ["plain", "sha1", "des"] {
        assert_eq!(send(&layer, user, PW).await.0, StatusCode::UNAUTHORIZED, "{user}");
    }
    assert_eq!(send(&layer, "bcrypt", PW).await.0, StatusCode::OK);
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
    let path = temp_file(".htpasswd");
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
    let path = temp_file(".htpasswd");
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
        let path = temp_file(".htpasswd");
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

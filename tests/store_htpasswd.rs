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
use tower_httpauth::store::{CredentialCache, FileOptions, Htpasswd, HtpasswdFormat, LoadError};
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

fn always_check() -> FileOptions {
    FileOptions::default().reload_interval(Some(Duration::ZERO))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_format_htpasswd_writes() {
    if !common::have_program("htpasswd") {
        return;
    }
    let path = temp_file(".htpasswd");
    let p = path.to_str().unwrap();
    let cases: &[(&str, &[&str], HtpasswdFormat, &str)] = &[
        ("bcrypt", &["-B"], HtpasswdFormat::Bcrypt, "$2y$05$"),
        ("bcrypt10", &["-B", "-C", "10"], HtpasswdFormat::Bcrypt, "$2y$10$"),
        ("apr1", &["-m"], HtpasswdFormat::Apr1, "$apr1$"),
        ("default", &[], HtpasswdFormat::Apr1, "$apr1$"),
        ("sha1", &["-s"], HtpasswdFormat::Sha1, "{SHA}"),
        ("sha256", &["-2"], HtpasswdFormat::Sha256Crypt, "$5$"),
        (
            "sha256r",
            &["-2", "-r", "10000"],
            HtpasswdFormat::Sha256Crypt,
            "$5$rounds=10000$",
        ),
        ("sha512", &["-5"], HtpasswdFormat::Sha512Crypt, "$6$"),
        (
            "sha512r",
            &["-5", "-r", "20000"],
            HtpasswdFormat::Sha512Crypt,
            "$6$rounds=20000$",
        ),
        ("des", &["-d"], HtpasswdFormat::DesCrypt, ""),
        ("plain", &["-p"], HtpasswdFormat::Plaintext, PW),
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

    let store = Htpasswd::open(&path).unwrap();
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
    let layer = auth(
        Htpasswd::open_with(&path, always_check())
            .unwrap()
            .cache(Some(cache.clone())),
    );

    // Failures are never remembered.
    for _ in 0..3 {
        assert_eq!(send(&layer, "alice", WRONG).await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!((cache.stats().hits, cache.len()), (0, 0));

    // The first success runs bcrypt and is remembered; the next ones hit.
    assert_eq!(send(&layer, "alice", PW).await.1, "alice");
    assert_eq!((cache.stats().hits, cache.len()), (0, 1));
    assert_eq!(send(&layer, "alice", PW).await.1, "alice");
    assert_eq!(send(&layer, "alice", PW).await.1, "alice");
    assert_eq!(cache.stats().hits, 2);

    // A wrong password after a cached success is still refused.
    assert_eq!(send(&layer, "alice", WRONG).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(cache.stats().hits, 2);

    // A password change (the file is rewritten) invalidates the cached success.
    htpasswd(&["-b", "-5", p, "alice", "new password"]).await;
    assert_eq!(send(&layer, "alice", PW).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(cache.stats().hits, 2);
    assert_eq!(send(&layer, "alice", "new password").await.0, StatusCode::OK);
    assert_eq!(send(&layer, "alice", "new password").await.0, StatusCode::OK);
    assert_eq!(cache.stats().hits, 3);
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
    let store = Htpasswd::open_with(&path, always_check())
        .unwrap()
        .cache(Some(cache.clone()));
    let layer = auth(store);
    assert_eq!(send(&layer, "alice", "one").await.1, "alice");
    assert_eq!(send(&layer, "bob", "two").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(cache.len(), 1);

    // A new user appears without a restart, and the reload clears the cache.
    htpasswd(&["-bB", p, "bob", "two"]).await;
    assert_eq!(send(&layer, "bob", "two").await.1, "bob");
    assert_eq!(cache.len(), 1, "cleared on reload, then bob remembered");

    // A broken file keeps the last good contents, with a line-numbered error.
    let good = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{good}# a comment\nmallory\n")).unwrap();
    assert_eq!(send(&layer, "alice", "one").await.1, "alice");
    assert_eq!(send(&layer, "bob", "two").await.1, "bob");
    let scheme = layer_store(&layer);
    let err = scheme.last_error().expect("the broken reload is reported");
    assert_eq!(err.line_errors().len(), 1);
    assert_eq!(err.line_errors()[0].line, 4);
    assert!(err.to_string().contains("line 4"), "{err}");

    // A vanished file keeps them too.
    std::fs::remove_file(&path).unwrap();
    assert_eq!(send(&layer, "alice", "one").await.1, "alice");
    assert!(matches!(*scheme.last_error().unwrap(), LoadError::Io { .. }));

    // Fixed: loaded again, error cleared.
    htpasswd(&["-cbs", p, "carol", "three"]).await;
    assert_eq!(send(&layer, "carol", "three").await.1, "carol");
    assert_eq!(send(&layer, "alice", "one").await.0, StatusCode::UNAUTHORIZED);
    assert!(scheme.last_error().is_none());
}

fn layer_store(layer: &AuthLayer<Basic<Htpasswd>>) -> &Htpasswd {
    layer.scheme().verifier()
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
    let layer = auth(store);
    htpasswd(&["-bB", p, "bob", "two"]).await;
    assert_eq!(send(&layer, "bob", "two").await.0, StatusCode::UNAUTHORIZED);
    assert!(layer_store(&layer).reload().unwrap());
    assert_eq!(send(&layer, "bob", "two").await.1, "bob");
    assert!(!layer_store(&layer).reload().unwrap(), "unchanged");
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
    assert_eq!(store.format_of("locked"), Some(HtpasswdFormat::Locked), "{hash}");
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
    let lines: Vec<usize> = err.line_errors().iter().map(|e| e.line).collect();
    assert_eq!(lines, [3, 5, 6, 7]);
    let text = err.to_string();
    assert!(
        !text.contains("truncated") && !text.contains("notfromhtpasswd"),
        "{text}"
    );

    // Bounds.
    std::fs::write(&path, "a:b\n".repeat(100)).unwrap();
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
    std::fs::write(&path, b"a:b\n\xff\xfe:\x00\n").unwrap();
    assert_eq!(Htpasswd::open(&path).unwrap_err().line_errors()[0].line, 2);
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
    let layer = auth(Htpasswd::open(&path).unwrap().reject_weak(true));
    for user in ["plain", "sha1", "des"] {
        assert_eq!(send(&layer, user, PW).await.0, StatusCode::UNAUTHORIZED, "{user}");
    }
    assert_eq!(send(&layer, "bcrypt", PW).await.0, StatusCode::OK);
}

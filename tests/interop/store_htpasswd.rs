//! `Htpasswd` behind a real `AuthLayer` + `Basic` stack, on files written by the real
//! `htpasswd` (apache2-utils).
#![cfg(feature = "htpasswd")]

use std::time::Duration;

use http::StatusCode;
use tower_httpauth::store::{CredentialCache, FileOptions, Htpasswd, LoadError};

use crate::fixtures::stores::{PW, WRONG, auth, reload_by_hand, send};
use crate::support;
use crate::support::harness::{Case, HTPASSWD, cases};

async fn htpasswd(args: &[&str]) {
    let out = support::run("htpasswd", args.iter().map(|s| s.to_string()).collect()).await;
    assert!(
        out.status.success(),
        "htpasswd {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn every_format_htpasswd_writes() {
    let path = support::temp_file("htpasswd", ".htpasswd");
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

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_with_colons_and_utf8() {
    let path = support::temp_file("htpasswd", ".htpasswd");
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

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_users_are_refused_without_caching() {
    let path = support::temp_file("htpasswd", ".htpasswd");
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
    let empty = support::temp_file("htpasswd", ".htpasswd");
    std::fs::write(&empty, "# nobody yet\n\n").unwrap();
    let store = Htpasswd::open(&empty).unwrap();
    assert!(store.is_empty());
    assert_eq!(send(&auth(store), "alice", PW).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn cache_hits_invalidation_and_failures() {
    let path = support::temp_file("htpasswd", ".htpasswd");
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

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn cache_off() {
    let path = support::temp_file("htpasswd", ".htpasswd");
    htpasswd(&["-cbB", path.to_str().unwrap(), "alice", PW]).await;
    let store = Htpasswd::open(&path).unwrap().cache(None);
    assert!(store.credential_cache().is_none());
    let layer = auth(store);
    for _ in 0..2 {
        assert_eq!(send(&layer, "alice", PW).await.1, "alice");
        assert_eq!(send(&layer, "alice", WRONG).await.0, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn reloads_on_change_and_keeps_last_good_file() {
    let path = support::temp_file("htpasswd", ".htpasswd");
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

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn no_reload_when_disabled_until_asked() {
    let path = support::temp_file("htpasswd", ".htpasswd");
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

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn failed_crypt_output_is_locked_not_plaintext() {
    // `htpasswd -2 -r 500` (below glibc's minimum) writes `user:*0`.
    let path = support::temp_file("htpasswd", ".htpasswd");
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

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn reject_weak_formats() {
    let path = support::temp_file("htpasswd", ".htpasswd");
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

pub(crate) const TESTS: &[Case] = cases![
    every_format_htpasswd_writes: [HTPASSWD],
    passwords_with_colons_and_utf8: [HTPASSWD],
    unknown_users_are_refused_without_caching: [HTPASSWD],
    cache_hits_invalidation_and_failures: [HTPASSWD],
    cache_off: [HTPASSWD],
    reloads_on_change_and_keeps_last_good_file: [HTPASSWD],
    no_reload_when_disabled_until_asked: [HTPASSWD],
    failed_crypt_output_is_locked_not_plaintext: [HTPASSWD],
    reject_weak_formats: [HTPASSWD],
];

//! `Htdigest`: parsing, reloads, the Digest scheme's store. On files written by the real
//! `htdigest` (apache2-utils): `tests/interop/store_htdigest.rs`.
#![cfg(feature = "htdigest")]

use crate::fixtures::stores::{md5_hex, reload_by_hand};
use crate::support;

use std::io::Write;

use tower_httpauth::store::{FileOptions, Htdigest, LoadError};

#[test]
fn malformed_lines_are_numbered() {
    let path = support::temp_file("htdigest", ".htdigest");
    std::fs::write(
        &path,
        "# c\nok:r:3d78807defe7de2157e2b0b6573a855f\nonly:two\n:r:3d78807defe7de2157e2b0b6573a855f\nu:r:3d78\n",
    )
    .unwrap();
    let err = Htdigest::open(&path).unwrap_err();
    assert_eq!(err.malformed_lines(), [3, 4, 5]);
    assert!(matches!(
        Htdigest::open_with(&path, FileOptions::default().max_size(8)),
        Err(LoadError::TooLarge { .. })
    ));
}

#[test]
fn a_reload_never_loads_a_half_written_last_line() {
    // `htdigest` rewrites the file in place; a reload may read it cut off anywhere.
    const BASE: &str = "alice:r:3d78807defe7de2157e2b0b6573a855f\n";
    let realm = "http-auth@example.org";
    let ha1 = md5_hex(&format!("bob:{realm}:Circle of Life"));
    let line = format!("bob:{realm}:{ha1}\n");
    let path = support::temp_file("htdigest", ".htdigest");
    std::fs::write(&path, BASE).unwrap();
    let file = Htdigest::open_with(&path, reload_by_hand()).unwrap();
    // Every cut short of the line ending (the HA1 has a fixed length, so a line whose HA1 is
    // complete is complete).
    for cut in 1..line.len() - 1 {
        std::fs::write(&path, BASE).unwrap();
        let _ = file.reload();
        assert!(file.ha1("alice", "r").is_some());
        assert_eq!(file.len(), 1);
        std::fs::write(&path, format!("{BASE}{}", &line[..cut])).unwrap();
        let _ = file.reload();
        assert_eq!(file.ha1_hex("bob", realm), None, "cut at {cut}");
        assert_eq!(file.len(), 1, "cut at {cut}: only the last good contents");
        assert!(file.last_error().is_some(), "cut at {cut}");
        let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&line.as_bytes()[cut..]).unwrap();
        let _ = file.reload();
        assert_eq!(
            file.ha1_hex("bob", realm),
            Some(ha1.clone()),
            "cut at {cut}, then complete"
        );
    }
}

/// `Htdigest` as the Digest scheme's store: a listed user in the scheme's realm logs in with
/// the password the HA1 was made from; a wrong password, a user of another realm and a
/// challenge for an algorithm htdigest files do not hold (SHA-256) are refused.
#[tokio::test]
async fn htdigest_is_the_digest_schemes_store() {
    use std::convert::Infallible;

    use http::{Request, Response, StatusCode};
    use http_auth::PasswordParams;
    use http_auth::digest::DigestClient;
    use tower::{Layer, ServiceExt};
    use tower_httpauth::digest::{Algorithm, Digest};
    use tower_httpauth::{AuthLayer, AuthUser};

    let realm = "http-auth@example.org";
    let text = format!(
        "Mufasa:{realm}:{}\nother:another realm:{}\n",
        md5_hex(&format!("Mufasa:{realm}:Circle of Life")),
        md5_hex("other:another realm:pw"),
    );
    let file = Htdigest::parse(text.as_bytes()).unwrap();
    // Answers with the user the handler saw.
    let handler = tower::service_fn(|req: Request<()>| async move {
        let user = AuthUser::<String>::from_request(&req).cloned().unwrap_or_default();
        Ok::<_, Infallible>(Response::new(user))
    });
    let login = |algorithm: Algorithm, user: &'static str, password: &'static str| {
        let service = AuthLayer::new(Digest::new(file.clone()).realm(realm).algorithms([algorithm])).layer(handler);
        async move {
            let res = service
                .clone()
                .oneshot(Request::get("/").body(()).unwrap())
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
            let challenge = res.headers()["www-authenticate"].to_str().unwrap().to_owned();
            let parsed = http_auth::parse_challenges(&challenge).unwrap();
            let mut client = DigestClient::try_from(&parsed[0]).unwrap();
            let params = PasswordParams {
                username: user,
                password,
                uri: "/",
                method: "GET",
                body: None,
            };
            let auth = client.respond(&params).unwrap();
            let req = Request::get("/").header("authorization", auth).body(()).unwrap();
            let res = service.oneshot(req).await.unwrap();
            (res.status(), res.into_body())
        }
    };
    assert_eq!(
        login(Algorithm::Md5, "Mufasa", "Circle of Life").await,
        (StatusCode::OK, "Mufasa".to_owned())
    );
    assert_eq!(
        login(Algorithm::Md5Sess, "Mufasa", "Circle of Life").await.0,
        StatusCode::OK
    );
    assert_eq!(
        login(Algorithm::Md5, "Mufasa", "Circle Of Life").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(login(Algorithm::Md5, "other", "pw").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        login(Algorithm::Sha256, "Mufasa", "Circle of Life").await.0,
        StatusCode::UNAUTHORIZED
    );
}

/// A client's `userhash` finds nobody in an htdigest file (as its docs say): not even a line
/// whose user name is spelled like that hash.
#[test]
fn htdigest_userhash_lookups_find_nobody() {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use tower_httpauth::Verifier;
    use tower_httpauth::digest::{Algorithm, DigestLookup};

    let realm = "http-auth@example.org";
    let hash = Algorithm::Md5.userhash("Mufasa", realm);
    let text = format!("{hash}:{realm}:{}\n", md5_hex(&format!("{hash}:{realm}:pw")));
    let file = Htdigest::parse(text.as_bytes()).unwrap();
    let (parts, ()) = http::Request::new(()).into_parts();
    let found = |userhash: bool| {
        let lookup = DigestLookup::new(hash.clone(), realm, Algorithm::Md5, userhash);
        match pin!(file.verify(lookup, &parts)).poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(outcome) => outcome.is_ok(),
            Poll::Pending => panic!("an htdigest lookup never waits"),
        }
    };
    assert!(found(false), "the user of that name, looked up by name");
    assert!(!found(true), "a userhash lookup");
}

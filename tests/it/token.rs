//! Signed expiring tokens through the Bearer scheme: expiry, tampering, rotation,
//! revocation, and how each reason reaches the client and the failure hook.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::fixtures::tokens::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::StatusCode;
use tower_httpauth::bearer::TokenCookie;
use tower_httpauth::token::Claims;
use tower_httpauth::token::SignedTokens;
use tower_httpauth::token::TokenError;
use tower_httpauth::{AuthFailure, AuthLayer, AuthUser, Bearer};

const K1: &[u8] = b"k1-k1-k1-k1-k1-k1-k1-k1-k1-k1-k1";
const K2: &[u8] = b"k2-k2-k2-k2-k2-k2-k2-k2-k2-k2-k2";

fn subject(req: &http::Request<String>) -> String {
    AuthUser::<Claims>::from_request(req).map_or_else(|| "anonymous".into(), |c| c.subject().to_owned())
}

fn echo() -> Echo {
    Echo(subject)
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn bearer_header(token: &str) -> String {
    format!("Bearer {token}")
}

/// The typed reason behind a failure, as a failure hook sees it.
fn reason_layer(
    tokens: SignedTokens,
) -> impl tower::Layer<
    Echo,
    Service: tower::Service<http::Request<String>, Response = http::Response<String>, Error = std::convert::Infallible>,
> {
    AuthLayer::new(Bearer::new(tokens)).on_failure(|f: &AuthFailure, _: &http::request::Parts| {
        let reason = f
            .source()
            .and_then(|s| s.downcast_ref::<TokenError>())
            .map_or("none".to_string(), |r| format!("{r:?}"));
        let mut res = http::Response::new(reason);
        *res.status_mut() = f.status();
        res
    })
}

#[tokio::test]
async fn issued_token_authenticates_and_names_the_user() {
    let tokens = SignedTokens::new("k1", K1);
    let token = tokens.issue("john").unwrap();
    let layer = AuthLayer::new(Bearer::new(tokens));
    let a = send(&layer, echo(), get("/", &[("authorization", &bearer_header(&token))])).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "john"));
}

#[tokio::test]
async fn expired_token_is_invalid_token_expired() {
    let tokens = SignedTokens::new("k1", K1);
    let token = tokens
        .issue_at("john", &[], now() - 100, Duration::from_secs(50))
        .unwrap();
    let layer = AuthLayer::new(Bearer::new(tokens.clone()).realm("api"));
    let a = send(&layer, echo(), get("/", &[("authorization", &bearer_header(&token))])).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        a.challenge(),
        r#"Bearer realm="api", error="invalid_token", error_description="The access token expired""#
    );
    let a = send(
        &reason_layer(tokens),
        echo(),
        get("/", &[("authorization", &bearer_header(&token))]),
    )
    .await;
    assert_eq!(a.body, "Expired");
}

#[tokio::test]
async fn leeway_accepts_a_token_just_expired() {
    let tokens = SignedTokens::new("k1", K1).leeway(Duration::from_secs(120));
    let token = tokens
        .issue_at("john", &[], now() - 100, Duration::from_secs(50))
        .unwrap();
    let layer = AuthLayer::new(Bearer::new(tokens));
    let a = send(&layer, echo(), get("/", &[("authorization", &bearer_header(&token))])).await;
    assert_eq!(a.status, StatusCode::OK);
}

#[tokio::test]
async fn tampered_token_is_bad_signature() {
    let tokens = SignedTokens::new("k1", K1);
    let token = tokens
        .issue_with("john", &[("roles", "user")], Duration::from_secs(60))
        .unwrap();
    // Re-encode the payload with the subject changed, keep the signature.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut payload = URL_SAFE_NO_PAD.decode(&parts[1]).unwrap();
    let at = payload.windows(4).position(|w| w == b"john").unwrap();
    payload[at..at + 4].copy_from_slice(b"joan");
    parts[1] = URL_SAFE_NO_PAD.encode(&payload);
    let forged = parts.join(".");
    let layer = AuthLayer::new(Bearer::new(tokens.clone()));
    let a = send(&layer, echo(), get("/", &[("authorization", &bearer_header(&forged))])).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        param(&a.challenge(), "error_description").as_deref(),
        Some("The access token signature is invalid")
    );
    let a = send(
        &reason_layer(tokens),
        echo(),
        get("/", &[("authorization", &bearer_header(&forged))]),
    )
    .await;
    assert_eq!(a.body, "BadSignature");
}

#[tokio::test]
async fn unknown_key_reads_like_a_bad_signature_to_the_client() {
    let server = SignedTokens::new("k2", K2);
    let foreign = SignedTokens::new("k1", K1).issue("john").unwrap();
    let forged = SignedTokens::new("k2", K1).issue("john").unwrap();
    let layer = AuthLayer::new(Bearer::new(server.clone()));
    let a1 = send(&layer, echo(), get("/", &[("authorization", &bearer_header(&foreign))])).await;
    let a2 = send(&layer, echo(), get("/", &[("authorization", &bearer_header(&forged))])).await;
    assert_eq!(a1.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        a1.challenge(),
        a2.challenge(),
        "the answers must not tell which key ids exist"
    );
    // The server side still knows the difference.
    let l = reason_layer(server);
    assert_eq!(
        send(&l, echo(), get("/", &[("authorization", &bearer_header(&foreign))]))
            .await
            .body,
        "UnknownKey"
    );
    assert_eq!(
        send(&l, echo(), get("/", &[("authorization", &bearer_header(&forged))]))
            .await
            .body,
        "BadSignature"
    );
}

#[tokio::test]
async fn key_rotation() {
    let before = SignedTokens::new("2024", K1);
    let old_token = before.issue("john").unwrap();
    // During rotation: sign with the new key, still accept the old one.
    let during = SignedTokens::new("2025", K2).accept("2024", K1);
    let new_token = during.issue("susan").unwrap();
    assert!(new_token.starts_with("2025."));
    let layer = AuthLayer::new(Bearer::new(during));
    let a = send(
        &layer,
        echo(),
        get("/", &[("authorization", &bearer_header(&old_token))]),
    )
    .await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "john"));
    let a = send(
        &layer,
        echo(),
        get("/", &[("authorization", &bearer_header(&new_token))]),
    )
    .await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "susan"));
    // After: the old key is retired.
    let after = AuthLayer::new(Bearer::new(SignedTokens::new("2025", K2)));
    let a = send(
        &after,
        echo(),
        get("/", &[("authorization", &bearer_header(&old_token))]),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let a = send(
        &after,
        echo(),
        get("/", &[("authorization", &bearer_header(&new_token))]),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
}

#[tokio::test]
async fn revocation_hook() {
    let revoked: Arc<Mutex<HashSet<String>>> = Arc::default();
    let list = revoked.clone();
    let tokens = SignedTokens::new("k1", K1).revocation(move |c: &Claims| {
        let r = list.lock().unwrap().contains(&c.id());
        async move { Ok::<_, std::convert::Infallible>(r) }
    });
    let token = tokens.issue("john").unwrap();
    let other = tokens.issue("john").unwrap();
    let layer = AuthLayer::new(Bearer::new(tokens.clone()));
    let a = send(&layer, echo(), get("/", &[("authorization", &bearer_header(&token))])).await;
    assert_eq!(a.status, StatusCode::OK);
    // Log out: revoke this token's id.
    revoked.lock().unwrap().insert(tokens.verify(&token).unwrap().id());
    let a = send(&layer, echo(), get("/", &[("authorization", &bearer_header(&token))])).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        param(&a.challenge(), "error_description").as_deref(),
        Some("The access token was revoked")
    );
    let a = send(
        &reason_layer(tokens),
        echo(),
        get("/", &[("authorization", &bearer_header(&token))]),
    )
    .await;
    assert_eq!(a.body, "Revoked");
    // Another token of the same user is unaffected.
    let a = send(&layer, echo(), get("/", &[("authorization", &bearer_header(&other))])).await;
    assert_eq!(a.status, StatusCode::OK);
}

#[tokio::test]
async fn revocation_store_failure_is_500() {
    let tokens = SignedTokens::new("k1", K1)
        .revocation(|_: &Claims| async { Err::<bool, _>(std::io::Error::other("redis is down")) });
    let token = tokens.issue("john").unwrap();
    let layer = AuthLayer::new(Bearer::new(tokens));
    let a = send(&layer, echo(), get("/", &[("authorization", &bearer_header(&token))])).await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn garbage_tokens_are_malformed_invalid_token() {
    let layer = AuthLayer::new(Bearer::new(SignedTokens::new("k1", K1)));
    for t in ["abc", "k1.x.y", "k1..", "a.b.c.d", "k1.AAAA.AAAA="] {
        let a = send(&layer, echo(), get("/", &[("authorization", &bearer_header(t))])).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{t}");
        assert_eq!(param(&a.challenge(), "error").as_deref(), Some("invalid_token"));
    }
}

#[tokio::test]
async fn roles_from_a_claim_and_403() {
    let tokens = SignedTokens::new("k1", K1);
    let admin = tokens
        .issue_with("susan", &[("roles", "admin editor")], Duration::from_secs(60))
        .unwrap();
    let plain = tokens.issue("john").unwrap();
    let layer = AuthLayer::new(Bearer::new(tokens))
        .roles_from(|c: &Claims| c.words("roles"))
        .require_role("admin");
    let a = send(&layer, echo(), get("/", &[("authorization", &bearer_header(&admin))])).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "susan"));
    let a = send(&layer, echo(), get("/", &[("authorization", &bearer_header(&plain))])).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(param(&a.challenge(), "error").as_deref(), Some("insufficient_scope"));
    assert_eq!(param(&a.challenge(), "scope").as_deref(), Some("admin"));
}

#[tokio::test]
async fn signed_token_in_an_http_only_cookie() {
    let tokens = SignedTokens::new("k1", K1).ttl(Duration::from_secs(900));
    let cookie = TokenCookie::new("session");
    let token = tokens.issue("john").unwrap();
    let set = cookie.set(&token, tokens.token_ttl()).unwrap();
    let set = set.to_str().unwrap();
    assert!(set.contains("HttpOnly") && set.contains("Max-Age=900"), "{set}");
    let layer = AuthLayer::new(Bearer::new(tokens).cookie(cookie));
    let sent = set.split(';').next().unwrap();
    let a = send(&layer, echo(), get("/", &[("cookie", sent)])).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "john"));
}

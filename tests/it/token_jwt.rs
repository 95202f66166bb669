//! JWT (feature `jwt`): each algorithm, exp/nbf/iss/aud, leeway, kid selection, JWKS,
//! `alg: none`, refresh vs access tokens, roles from a claim, all through the Bearer scheme.
#![cfg(feature = "jwt")]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::fixtures::tokens::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use tower_httpauth::token::jwt::jsonwebtoken::jwk::{Jwk, JwkSet};
use tower_httpauth::token::jwt::jsonwebtoken::{Algorithm, EncodingKey};
use tower_httpauth::token::jwt::{Jwt, JwtError, JwtIssuer, JwtKey};
use tower_httpauth::{AuthFailure, AuthLayer, AuthUser, Bearer, Token, Verifier};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    sub: String,
    #[serde(default)]
    roles: Vec<String>,
}

fn john() -> User {
    User {
        sub: "john".into(),
        roles: vec!["reader".into()],
    }
}

const SECRET: &[u8] = b"jwt-secret-jwt-secret-jwt-secret";

fn pem(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn sub(req: &http::Request<String>) -> String {
    AuthUser::<User>::from_request(req).map_or_else(|| "anonymous".into(), |u| u.sub.clone())
}

async fn status_of(jwt: Jwt<User>, token: &str) -> (StatusCode, Option<String>, String) {
    let layer = AuthLayer::new(Bearer::new(jwt));
    let a = send(
        &layer,
        Echo(sub),
        get("/", &[("authorization", &format!("Bearer {token}"))]),
    )
    .await;
    let desc = a.challenges().first().and_then(|c| param(c, "error_description"));
    (a.status, desc, a.body)
}

/// Signing and verifying keys for each algorithm.
fn pairs() -> Vec<(Algorithm, JwtKey, JwtKey)> {
    vec![
        (
            Algorithm::HS256,
            JwtKey::hs256(SECRET).unwrap(),
            JwtKey::hs256(SECRET).unwrap(),
        ),
        (
            Algorithm::RS256,
            JwtKey::rs256_pem(&pem("rsa_private.pem"), &pem("rsa_public.pem")).unwrap(),
            JwtKey::rs256_public_pem(&pem("rsa_public.pem")).unwrap(),
        ),
        (
            Algorithm::ES256,
            JwtKey::es256_pem(&pem("ec_private.pem"), &pem("ec_public.pem")).unwrap(),
            JwtKey::es256_public_pem(&pem("ec_public.pem")).unwrap(),
        ),
        (
            Algorithm::EdDSA,
            JwtKey::eddsa_pem(&pem("ed_private.pem"), &pem("ed_public.pem")).unwrap(),
            JwtKey::eddsa_public_pem(&pem("ed_public.pem")).unwrap(),
        ),
    ]
}

#[tokio::test]
async fn every_algorithm_round_trips_through_bearer() {
    for (alg, signing, verifying) in pairs() {
        let token = JwtIssuer::new(signing).audience("api").access_token(&john()).unwrap();
        let header = tower_httpauth::token::jwt::jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.alg, alg);
        let (status, _, body) = status_of(Jwt::new().key(verifying).audience("api"), &token).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "john"), "{alg:?}");
    }
}

#[tokio::test]
async fn a_key_of_another_algorithm_does_not_verify() {
    let (_, rs_sign, _) = pairs().swap_remove(1);
    let token = JwtIssuer::new(rs_sign).access_token(&john()).unwrap();
    let (status, desc, _) = status_of(Jwt::new().key(JwtKey::hs256(SECRET).unwrap()), &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(desc.as_deref(), Some("The access token algorithm is not accepted"));
    // The HS256 key cannot be abused with an RS256 header either (no key confusion).
    let es = pairs().swap_remove(2).2;
    let hs_token = JwtIssuer::new(JwtKey::hs256(SECRET).unwrap())
        .access_token(&john())
        .unwrap();
    assert_eq!(
        Jwt::<User>::new().key(es).any_audience().verify(&hs_token).unwrap_err(),
        JwtError::Algorithm
    );
}

#[tokio::test]
async fn wrong_secret_is_a_bad_signature() {
    let token = JwtIssuer::new(JwtKey::hs256(b"another-secret-another-secret-12").unwrap())
        .access_token(&john())
        .unwrap();
    let jwt = Jwt::<User>::new().key(JwtKey::hs256(SECRET).unwrap());
    assert_eq!(jwt.verify(&token).unwrap_err(), JwtError::BadSignature);
    let (status, desc, _) = status_of(jwt, &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(desc.as_deref(), Some("The access token signature is invalid"));
}

#[tokio::test]
async fn issuer_and_audience_checks() {
    let key = || JwtKey::hs256(SECRET).unwrap();
    let jwt = || {
        Jwt::<User>::new()
            .key(key())
            .issuer("https://auth.example")
            .audience("api")
    };
    let good = JwtIssuer::new(key())
        .issuer("https://auth.example")
        .audience("api")
        .access_token(&john())
        .unwrap();
    assert_eq!(status_of(jwt(), &good).await.0, StatusCode::OK);

    let bad_aud = JwtIssuer::new(key())
        .issuer("https://auth.example")
        .audience("other")
        .access_token(&john())
        .unwrap();
    let (status, desc, _) = status_of(jwt(), &bad_aud).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(desc.as_deref(), Some("The access token is not meant for this audience"));

    let bad_iss = JwtIssuer::new(key())
        .issuer("https://evil.example")
        .audience("api")
        .access_token(&john())
        .unwrap();
    let (status, desc, _) = status_of(jwt(), &bad_iss).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(desc.as_deref(), Some("The access token issuer is not accepted"));

    // Missing iss / aud are refused when they are configured.
    let no_iss = JwtIssuer::new(key()).audience("api").access_token(&john()).unwrap();
    assert_eq!(jwt().verify(&no_iss).unwrap_err(), JwtError::WrongIssuer);
    let no_aud = JwtIssuer::new(key())
        .issuer("https://auth.example")
        .access_token(&john())
        .unwrap();
    assert_eq!(jwt().verify(&no_aud).unwrap_err(), JwtError::WrongAudience);
}

#[tokio::test]
async fn expiry_with_and_without_leeway() {
    let issuer = JwtIssuer::new(JwtKey::hs256(SECRET).unwrap());
    // Expired 10 seconds ago.
    let token = issuer
        .issue_at(&john(), "access", now() - 70, Duration::from_secs(60))
        .unwrap();
    let strict = Jwt::<User>::new().key(JwtKey::hs256(SECRET).unwrap());
    let (status, desc, _) = status_of(strict.clone(), &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(desc.as_deref(), Some("The access token expired"));
    let lenient = strict.clone().leeway(Duration::from_secs(30));
    assert_eq!(status_of(lenient.clone(), &token).await.0, StatusCode::OK);
    // Leeway has limits: expired 10 minutes ago.
    let old = issuer
        .issue_at(&john(), "access", now() - 660, Duration::from_secs(60))
        .unwrap();
    assert_eq!(lenient.verify(&old).unwrap_err(), JwtError::Expired);
}

#[test]
fn exp_is_required() {
    let token = tower_httpauth::token::jwt::jsonwebtoken::encode(
        &tower_httpauth::token::jwt::jsonwebtoken::Header::new(Algorithm::HS256),
        &john(),
        &EncodingKey::from_secret(SECRET),
    )
    .unwrap();
    let jwt = Jwt::<User>::new().key(JwtKey::hs256(SECRET).unwrap());
    assert_eq!(jwt.verify(&token).unwrap_err(), JwtError::MissingClaim("exp".into()));
}

#[test]
fn not_before_is_checked() {
    #[derive(Serialize)]
    struct Later {
        sub: String,
        nbf: u64,
    }
    let issuer = JwtIssuer::new(JwtKey::hs256(SECRET).unwrap());
    let token = issuer
        .access_token(&Later {
            sub: "john".into(),
            nbf: now() + 600,
        })
        .unwrap();
    let jwt = Jwt::<User>::new().key(JwtKey::hs256(SECRET).unwrap());
    assert_eq!(jwt.verify(&token).unwrap_err(), JwtError::NotYetValid);
}

#[tokio::test]
async fn kid_selects_the_key() {
    let k1 = || JwtKey::hs256(SECRET).unwrap().kid("k1");
    let k2 = || JwtKey::hs256(b"second-secret-second-secret-1234").unwrap().kid("k2");
    let jwt = Jwt::<User>::new().key(k1()).key(k2());
    for key in [k1(), k2()] {
        let token = JwtIssuer::new(key).access_token(&john()).unwrap();
        assert_eq!(jwt.verify(&token).unwrap().sub, "john");
    }
    let unknown = JwtIssuer::new(JwtKey::hs256(SECRET).unwrap().kid("k3"))
        .access_token(&john())
        .unwrap();
    assert_eq!(jwt.verify(&unknown).unwrap_err(), JwtError::UnknownKey);
    let (status, desc, _) = status_of(jwt.clone(), &unknown).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Same words as a bad signature: the answer does not reveal which kids exist.
    assert_eq!(desc.as_deref(), Some("The access token signature is invalid"));
    // A kid naming k2 with k1's signature is refused (no fallback to other keys).
    let cross = JwtIssuer::new(JwtKey::hs256(SECRET).unwrap().kid("k2"))
        .access_token(&john())
        .unwrap();
    assert_eq!(jwt.verify(&cross).unwrap_err(), JwtError::BadSignature);
}

#[tokio::test]
async fn alg_none_is_refused() {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let claims = URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"john","exp":{}}}"#, now() + 600));
    for token in [format!("{header}.{claims}."), format!("{header}.{claims}.AAAA")] {
        let jwt = Jwt::<User>::new().key(JwtKey::hs256(SECRET).unwrap());
        assert_eq!(jwt.verify(&token).unwrap_err(), JwtError::Algorithm);
        let (status, desc, body) = status_of(jwt, &token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(desc.as_deref(), Some("The access token algorithm is not accepted"));
        assert_eq!(body, "401 Unauthorized: this resource needs authentication\n");
    }
}

#[tokio::test]
async fn refresh_tokens_are_not_access_tokens() {
    let issuer = JwtIssuer::new(JwtKey::hs256(SECRET).unwrap())
        .access_ttl(Duration::from_secs(60))
        .refresh_ttl(Duration::from_secs(3600));
    let pair = issuer.issue_pair(&john()).unwrap();
    assert_eq!((pair.expires_in, pair.refresh_expires_in), (60, 3600));
    assert!(!format!("{pair:?}").contains(&pair.access_token));
    let access = Jwt::<User>::new().key(JwtKey::hs256(SECRET).unwrap());
    let refresh = access.clone().refresh_tokens();
    assert!(access.verify(&pair.access_token).is_ok());
    assert_eq!(access.verify(&pair.refresh_token).unwrap_err(), JwtError::WrongTokenUse);
    assert!(refresh.verify(&pair.refresh_token).is_ok());
    assert_eq!(refresh.verify(&pair.access_token).unwrap_err(), JwtError::WrongTokenUse);
    // Lifetimes differ.
    #[derive(Deserialize)]
    struct Times {
        iat: u64,
        exp: u64,
    }
    let t = |tok: &str| {
        let payload = tok.split('.').nth(1).unwrap();
        let t: Times = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        t.exp - t.iat
    };
    assert_eq!((t(&pair.access_token), t(&pair.refresh_token)), (60, 3600));
    assert_eq!(status_of(access, &pair.refresh_token).await.0, StatusCode::UNAUTHORIZED);
}

/// A token without `token_use` (as other issuers write access tokens), or with another
/// value, is not a refresh token: the refresh verifier refuses it, directly and through
/// Bearer; the access verifier still takes the one without the claim.
#[tokio::test]
async fn the_refresh_verifier_accepts_only_tokens_that_say_they_are_refresh_tokens() {
    let plain = |token_use: Option<&str>| {
        let mut claims = serde_json::json!({"sub": "john", "exp": now() + 600});
        if let Some(u) = token_use {
            claims["token_use"] = u.into();
        }
        tower_httpauth::token::jwt::jsonwebtoken::encode(
            &tower_httpauth::token::jwt::jsonwebtoken::Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap()
    };
    let access = Jwt::<User>::new().key(JwtKey::hs256(SECRET).unwrap());
    let refresh = access.clone().refresh_tokens();
    let untagged = plain(None);
    assert_eq!(refresh.verify(&untagged).unwrap_err(), JwtError::WrongTokenUse);
    assert_eq!(status_of(refresh.clone(), &untagged).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(access.verify(&untagged).unwrap().sub, "john");
    for other in ["id", "Refresh", ""] {
        let token = plain(Some(other));
        assert_eq!(
            refresh.verify(&token).unwrap_err(),
            JwtError::WrongTokenUse,
            "{other:?}"
        );
        assert_eq!(access.verify(&token).unwrap_err(), JwtError::WrongTokenUse, "{other:?}");
    }
    assert_eq!(refresh.verify(&plain(Some("refresh"))).unwrap().sub, "john");
    let (status, _, body) = status_of(refresh, &plain(Some("refresh"))).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "john"));
}

/// The status a layer around `jwt` answers `token` with, and what the layer logged.
async fn logged_answer(jwt: impl Verifier<Token, User = User>, token: &str) -> (StatusCode, String) {
    let (log, _guard) = Captured::start();
    let layer = AuthLayer::new(Bearer::new(jwt));
    let a = send(
        &layer,
        Echo(sub),
        get("/", &[("authorization", &format!("Bearer {token}"))]),
    )
    .await;
    (a.status, log.text())
}

/// Verifiers holding an identity provider's keys (public keys in PEM, a JWKS): one without an
/// audience never accepts a token (through a layer every token is a loud `500`, logged as an
/// error saying what to call) and, used directly, refuses every token; `.audience(...)`
/// checks `aud`, `.any_audience()` says explicitly that any will do.
#[tokio::test]
async fn a_provider_key_needs_an_audience_or_an_explicit_any_audience() {
    let provider_keys: Vec<(String, Jwt<User>, JwtKey)> = pairs()
        .into_iter()
        .skip(1) // HS256
        .map(|(alg, signing, verifying)| (format!("{alg:?}"), Jwt::new().key(verifying), signing))
        .chain([(
            "JWKS".to_owned(),
            Jwt::new().jwks(&jwks_document()).unwrap(),
            JwtKey::eddsa_pem(&pem("ed_private.pem"), &pem("ed_public.pem"))
                .unwrap()
                .kid("ed-1"),
        )])
        .collect();
    for (name, jwt, signing) in provider_keys {
        let issuer = JwtIssuer::new(signing);
        let for_us = issuer.clone().audience("api").access_token(&john()).unwrap();
        let for_others = issuer.clone().audience("billing").access_token(&john()).unwrap();
        let no_aud = issuer.access_token(&john()).unwrap();

        // No audience said: every token is refused as the server's failure, with or without
        // revocation, and the log says what to call.
        let (status, msg) = logged_answer(jwt.clone(), &for_us).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{name}");
        assert!(
            msg.contains("ERROR") && msg.contains(".audience(") && msg.contains(".any_audience()"),
            "{name}: {msg}"
        );
        let revocable = jwt
            .clone()
            .revocation(|_: &str| async { Ok::<_, std::convert::Infallible>(false) });
        let (status, msg) = logged_answer(revocable, &for_us).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{name}");
        assert!(msg.contains(".any_audience()"), "{name}: {msg}");
        // Directly: every token refused, a valid one included.
        for token in [&for_us, &for_others, &no_aud] {
            assert_eq!(
                jwt.verify(token).unwrap_err(),
                JwtError::AudienceNotConfigured,
                "{name}"
            );
        }

        // An audience: only tokens for it.
        let api = jwt.clone().audience("api");
        assert_eq!(status_of(api.clone(), &for_us).await.2, "john", "{name}");
        let (status, desc, _) = status_of(api.clone(), &for_others).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(desc.as_deref(), Some("The access token is not meant for this audience"));
        assert_eq!(api.verify(&no_aud).unwrap_err(), JwtError::WrongAudience, "{name}");
        // `any_audience` then `audience`: the audience counts.
        assert_eq!(
            jwt.clone()
                .any_audience()
                .audience("api")
                .verify(&for_others)
                .unwrap_err(),
            JwtError::WrongAudience
        );

        // Any audience, said explicitly.
        let any = jwt.any_audience();
        for token in [&for_us, &for_others, &no_aud] {
            assert_eq!(status_of(any.clone(), token).await.2, "john", "{name}");
        }
    }
}

/// Keys you sign with yourself (an HS256 secret, a key pair) leave the audience optional.
#[tokio::test]
async fn own_keys_leave_the_audience_optional() {
    for (alg, signing, _) in pairs() {
        let token = JwtIssuer::new(signing.clone())
            .audience("x")
            .access_token(&john())
            .unwrap();
        let (status, _, body) = status_of(Jwt::new().key(signing), &token).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "john"), "{alg:?}");
    }
}

#[tokio::test]
async fn roles_from_a_claim() {
    let issuer = JwtIssuer::new(JwtKey::hs256(SECRET).unwrap());
    let admin = issuer
        .access_token(&User {
            sub: "susan".into(),
            roles: vec!["admin".into()],
        })
        .unwrap();
    let reader = issuer.access_token(&john()).unwrap();
    let layer = AuthLayer::new(Bearer::new(Jwt::<User>::new().key(JwtKey::hs256(SECRET).unwrap())))
        .roles_from(|u: &User| u.roles.clone())
        .require_role("admin");
    let a = send(
        &layer,
        Echo(sub),
        get("/", &[("authorization", &format!("Bearer {admin}"))]),
    )
    .await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "susan"));
    let a = send(
        &layer,
        Echo(sub),
        get("/", &[("authorization", &format!("Bearer {reader}"))]),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(param(&a.challenge(), "error").as_deref(), Some("insufficient_scope"));
    // A space-separated `scope` string works too, with the one-liner the module docs show.
    #[derive(Clone, Serialize, Deserialize)]
    struct Scoped {
        sub: String,
        scope: String,
    }
    let scope_roles = |c: &Scoped| c.scope.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    let scoped = Scoped {
        sub: "john".into(),
        scope: "read  write".into(),
    };
    let roles = scope_roles(&scoped);
    assert_eq!(roles, ["read", "write"]);
    let token = issuer.access_token(&scoped).unwrap();
    let layer = AuthLayer::new(Bearer::new(Jwt::<Scoped>::new().key(JwtKey::hs256(SECRET).unwrap())))
        .roles_from(scope_roles)
        .require_role("write");
    let a = send(
        &layer,
        Echo(|req| AuthUser::<Scoped>::from_request(req).map_or_else(|| "anonymous".into(), |u| u.sub.clone())),
        get("/", &[("authorization", &format!("Bearer {token}"))]),
    )
    .await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "john"));
}

/// A verifier of your own turns a `JwtError` into the refusal the ready verifier gives:
/// `401 invalid_token` with the reason's description, never a `500` (which an error type
/// returned from a verifier means).
#[tokio::test]
async fn a_jwt_error_in_your_own_verifier_is_a_refusal() {
    let jwt = Jwt::<User>::new().key(JwtKey::hs256(SECRET).unwrap());
    let own =
        tower_httpauth::sync_fn(move |t: &Token| jwt.verify(t.as_str()).map(|u| u.sub).map_err(AuthFailure::from));
    let layer = AuthLayer::new(Bearer::new(own));
    let expired = JwtIssuer::new(JwtKey::hs256(SECRET).unwrap())
        .issue_at(&john(), "access", now() - 700, Duration::from_secs(60))
        .unwrap();
    let a = send(
        &layer,
        Echo(|req| AuthUser::<String>::from_request(req).cloned().unwrap_or_default()),
        get("/", &[("authorization", &format!("Bearer {expired}"))]),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        a.challenge(),
        r#"Bearer realm="Restricted", error="invalid_token", error_description="The access token expired""#
    );
}

fn jwks_document() -> String {
    let mut keys = Vec::new();
    for (alg, file, kid) in [
        (Algorithm::RS256, "rsa_private.pem", "rsa-1"),
        (Algorithm::ES256, "ec_private.pem", "ec-1"),
    ] {
        let enc = match alg {
            Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem(file)).unwrap(),
            _ => EncodingKey::from_ec_pem(&pem(file)).unwrap(),
        };
        let mut jwk = Jwk::from_encoding_key(&enc, alg).unwrap();
        jwk.common.key_id = Some(kid.into());
        keys.push(serde_json::to_value(jwk).unwrap());
    }
    // jsonwebtoken cannot derive an Ed25519 JWK; write it by hand (RFC 8037): the raw key
    // is the last 32 bytes of the SubjectPublicKeyInfo.
    let b64: String = String::from_utf8(pem("ed_public.pem"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let spki = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
    let x = URL_SAFE_NO_PAD.encode(&spki[spki.len() - 32..]);
    keys.push(serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "ed-1"}));
    // Parses as a JWK set.
    let doc = serde_json::json!({ "keys": keys }).to_string();
    let _: JwkSet = serde_json::from_str(&doc).unwrap();
    doc
}

#[tokio::test]
async fn keys_from_a_jwks_string_and_file() {
    let doc = jwks_document();
    assert!(!doc.contains("\"d\""), "a JWKS holds public keys only");
    let from_str = Jwt::<User>::new().jwks(&doc).unwrap().any_audience();
    let path = std::env::temp_dir().join(format!("tower-httpauth-jwks-{}.json", std::process::id()));
    std::fs::write(&path, &doc).unwrap();
    let from_file = Jwt::<User>::new().jwks_file(&path).unwrap().any_audience();
    std::fs::remove_file(&path).unwrap();
    let signers = [
        JwtKey::rs256_pem(&pem("rsa_private.pem"), &pem("rsa_public.pem"))
            .unwrap()
            .kid("rsa-1"),
        JwtKey::es256_pem(&pem("ec_private.pem"), &pem("ec_public.pem"))
            .unwrap()
            .kid("ec-1"),
        JwtKey::eddsa_pem(&pem("ed_private.pem"), &pem("ed_public.pem"))
            .unwrap()
            .kid("ed-1"),
    ];
    for signer in signers {
        let token = JwtIssuer::new(signer).access_token(&john()).unwrap();
        assert_eq!(status_of(from_str.clone(), &token).await.2, "john");
        assert_eq!(from_file.verify(&token).unwrap().sub, "john");
    }
    assert!(matches!(Jwt::<User>::new().jwks("{not json"), Err(JwtError::Key(_))));
    assert!(matches!(
        Jwt::<User>::new().jwks_file("/nonexistent/jwks.json"),
        Err(JwtError::Key(_))
    ));
}

#[test]
fn short_hmac_secrets_are_refused() {
    assert!(matches!(JwtKey::hs256(b"short"), Err(JwtError::Key(_))));
    assert!(matches!(JwtKey::rs256_public_pem(b"not a pem"), Err(JwtError::Key(_))));
}

#[test]
fn verifying_only_keys_cannot_issue() {
    let verifying = JwtKey::rs256_public_pem(&pem("rsa_public.pem")).unwrap();
    assert!(matches!(
        JwtIssuer::new(verifying).access_token(&john()),
        Err(JwtError::Key(_))
    ));
}

#[test]
fn garbage_never_panics() {
    let jwt = Jwt::<User>::new()
        .key(JwtKey::hs256(SECRET).unwrap())
        .key(JwtKey::rs256_public_pem(&pem("rsa_public.pem")).unwrap())
        .any_audience();
    let good = JwtIssuer::new(JwtKey::hs256(SECRET).unwrap())
        .access_token(&john())
        .unwrap();
    let mut x: u64 = 0x1234_5678_9ABC_DEF1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..2000 {
        let mut b = good.clone().into_bytes();
        let i = (next() as usize) % b.len();
        match next() % 3 {
            0 => b[i] = b"A_-.=e0{\"}"[(next() % 10) as usize],
            1 => b.truncate(i),
            _ => b.extend_from_slice(b".e30"),
        }
        let s = String::from_utf8(b).unwrap();
        if s != good {
            assert!(jwt.verify(&s).is_err(), "{s}");
        }
    }
    assert!(jwt.verify(&"a".repeat(100_000)).is_err());
}

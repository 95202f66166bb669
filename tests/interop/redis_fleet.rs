//! A fleet sharing one real `redis-server` (started on a free 127.0.0.1 port): the Digest
//! replay store and the token revocation list, with two layer instances.
#![cfg(feature = "redis")]

use crate::support;
use crate::support::harness::{Case, REDIS_SERVER, cases};

use crate::fixtures::digest::client_response;
use support::Redis;

use std::convert::Infallible;
use std::time::Duration;

use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{Request, Response, StatusCode};
use tower::ServiceExt;
use tower::util::BoxCloneService;
use tower_httpauth::digest::NonceStore;
use tower_httpauth::digest::{Algorithm, Digest, DigestUsers, Qop};
use tower_httpauth::header::{AuthParams, split_scheme};
use tower_httpauth::redis::RedisRevocations;
use tower_httpauth::token::Claims;
use tower_httpauth::token::SignedTokens;
use tower_httpauth::{AuthLayer, AuthUser, Bearer};

const REALM: &str = "fleet@example.org";
const SECRET: &[u8] = b"the Digest secret every instance shares";
const TOKEN_KEY: &[u8] = b"the token key every instance shares!!";

type Svc = BoxCloneService<Request<String>, Response<String>, Infallible>;

/// The name the handler shows for a user.
trait Name {
    fn name(&self) -> String;
}

impl Name for String {
    fn name(&self) -> String {
        self.clone()
    }
}

impl Name for Claims {
    fn name(&self) -> String {
        self.subject().to_owned()
    }
}

fn serve<S>(scheme: S) -> Svc
where
    S: tower_httpauth::Scheme + Send + Sync + 'static,
    S::User: Name + Clone + Send + Sync + 'static,
    S::Future: Send,
{
    let layer = AuthLayer::new(scheme);
    let inner = tower::service_fn(|req: Request<String>| async move {
        let user = AuthUser::<S::User>::from_request(&req).map(Name::name);
        Ok::<_, Infallible>(Response::new(user.unwrap_or_default()))
    });
    BoxCloneService::new(tower::Layer::layer(&layer, inner))
}

fn digest_instance(store: impl NonceStore + Clone) -> Svc {
    let users = DigestUsers::new(REALM).with_password("Mufasa", "Circle of Life");
    serve(
        Digest::new(users)
            .realm(REALM)
            .algorithms([Algorithm::Sha256])
            .secret(SECRET)
            .nonce_store(store),
    )
}

fn unique_prefix(test: &str) -> String {
    format!("test-{}-{test}:", std::process::id())
}

/// One instance's own connection to the fleet's Redis, under `prefix`.
fn connect(redis: &Redis, prefix: &str) -> tower_httpauth::redis::Redis {
    tower_httpauth::redis::Redis::open(&redis.url()).unwrap().prefix(prefix)
}

async fn send(svc: &Svc, auth: Option<&str>) -> Response<String> {
    let mut b = Request::builder().uri("/").header("host", "example.org");
    if let Some(a) = auth {
        b = b.header(AUTHORIZATION, a);
    }
    svc.clone().oneshot(b.body(String::new()).unwrap()).await.unwrap()
}

fn challenge_param(res: &Response<String>, name: &str) -> Option<String> {
    let v = res.headers().get(WWW_AUTHENTICATE)?.to_str().ok()?.to_owned();
    let (_, rest) = split_scheme(v.as_bytes())?;
    AuthParams::parse(rest).ok()?.get(name).map(str::to_owned)
}

/// The Authorization value for `nonce` / `opaque` and count `nc`.
fn authorization(nonce: &str, opaque: &str, nc: u32) -> String {
    let nc = format!("{nc:08x}");
    let cnonce = "cnonce-of-the-client";
    let response = client_response(
        Algorithm::Sha256,
        "Mufasa",
        REALM,
        "Circle of Life",
        nonce,
        &nc,
        cnonce,
        Some(Qop::Auth),
        "GET",
        "/",
        None,
    );
    format!(
        r#"Digest username="Mufasa", realm="{REALM}", nonce="{nonce}", uri="/", response="{}", opaque="{opaque}", qop=auth, nc={nc}, cnonce="{cnonce}", algorithm=SHA-256"#,
        response
    )
}

async fn fresh(svc: &Svc) -> (String, String) {
    let res = send(svc, None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    (
        challenge_param(&res, "nonce").unwrap(),
        challenge_param(&res, "opaque").unwrap(),
    )
}

fn assert_stale(res: &Response<String>) {
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenge_param(res, "stale").as_deref(), Some("true"));
}

#[tokio::main(flavor = "current_thread")]
async fn a_digest_replay_is_refused_by_the_other_instance() {
    let redis = Redis::start();
    let prefix = unique_prefix("replay");
    let a = digest_instance(connect(&redis, &prefix).nonce_store());
    let b = digest_instance(connect(&redis, &prefix).nonce_store());

    let (nonce, opaque) = fresh(&a).await;
    let first = authorization(&nonce, &opaque, 1);
    let res = send(&a, Some(&first)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.body(), "Mufasa");
    // The same request replayed to the other instance: refused as stale.
    assert_stale(&send(&b, Some(&first)).await);
    assert_stale(&send(&a, Some(&first)).await);
    // The nonce itself is good anywhere (shared secret): the next count works on B…
    assert_eq!(
        send(&b, Some(&authorization(&nonce, &opaque, 2))).await.status(),
        StatusCode::OK
    );
    // …and a count that does not increase is refused on A, a higher one accepted.
    assert_stale(&send(&a, Some(&authorization(&nonce, &opaque, 2))).await);
    assert_stale(&send(&a, Some(&authorization(&nonce, &opaque, 1))).await);
    assert_eq!(
        send(&a, Some(&authorization(&nonce, &opaque, 7))).await.status(),
        StatusCode::OK
    );

    // The key expires with the nonce (5 minutes by default).
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let ttl: i64 = redis::cmd("PTTL")
        .arg(format!("{prefix}nonce:{nonce}"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(ttl > 0 && ttl <= 300_000, "nonce key TTL {ttl} ms");
}

#[tokio::main(flavor = "current_thread")]
async fn without_a_shared_store_the_replay_would_pass() {
    // The control for the test above: two instances with their own in-memory stores
    // accept a replay sent to the other one (which is why a fleet needs the Redis store).
    let users = || DigestUsers::new(REALM).with_password("Mufasa", "Circle of Life");
    let mk = || {
        serve(
            Digest::new(users())
                .realm(REALM)
                .algorithms([Algorithm::Sha256])
                .secret(SECRET),
        )
    };
    let (a, b) = (mk(), mk());
    let (nonce, opaque) = fresh(&a).await;
    let first = authorization(&nonce, &opaque, 1);
    assert_eq!(send(&a, Some(&first)).await.status(), StatusCode::OK);
    assert_eq!(send(&b, Some(&first)).await.status(), StatusCode::OK);
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_uses_of_one_count_across_instances_pass_once() {
    let redis = Redis::start();
    let prefix = unique_prefix("race");
    let a = digest_instance(connect(&redis, &prefix).nonce_store());
    let b = digest_instance(connect(&redis, &prefix).nonce_store());
    let (nonce, opaque) = fresh(&a).await;
    let h = authorization(&nonce, &opaque, 1);
    let mut tasks = Vec::new();
    for i in 0..16 {
        let svc = if i % 2 == 0 { a.clone() } else { b.clone() };
        let h = h.clone();
        let req = Request::builder()
            .uri("/")
            .header("host", "example.org")
            .header(AUTHORIZATION, h)
            .body(String::new())
            .unwrap();
        tasks.push(tokio::spawn(async move { svc.oneshot(req).await.unwrap().status() }));
    }
    let mut ok = 0;
    for t in tasks {
        if t.await.unwrap() == StatusCode::OK {
            ok += 1;
        }
    }
    assert_eq!(ok, 1, "exactly one of 16 concurrent uses of (nonce, nc=1) is accepted");
}

#[tokio::main(flavor = "current_thread")]
async fn redis_down_the_replay_store_fails_closed() {
    let mut redis = Redis::start();
    let prefix = unique_prefix("down");
    let store = connect(&redis, &prefix)
        .timeout(Duration::from_millis(200))
        .nonce_store();
    let a = digest_instance(store.clone());
    let b = digest_instance(store);
    let (nonce, opaque) = fresh(&a).await;
    assert_eq!(
        send(&a, Some(&authorization(&nonce, &opaque, 1))).await.status(),
        StatusCode::OK
    );
    redis.stop();
    // Right credentials, fresh count, but nobody can vouch for it: refused with 500 (the
    // replay store has no other answer to a failure), never accepted, and within the
    // timeouts.
    let res = tokio::time::timeout(
        Duration::from_secs(10),
        send(&a, Some(&authorization(&nonce, &opaque, 2))),
    )
    .await
    .expect("bounded by the store's timeout");
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let res = send(&b, Some(&authorization(&nonce, &opaque, 3))).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

fn token_instance(list: RedisRevocations) -> (SignedTokens, Svc) {
    let tokens = SignedTokens::new("k1", TOKEN_KEY.to_vec()).revocation(list);
    let svc = serve(Bearer::new(tokens.clone()).realm(REALM));
    (tokens, svc)
}

#[tokio::main(flavor = "current_thread")]
async fn a_revoked_signed_token_is_refused_by_both_instances() {
    let redis = Redis::start();
    let prefix = unique_prefix("revoke");
    let list_a = connect(&redis, &prefix).revocations();
    let (tokens_a, a) = token_instance(list_a.clone());
    let (_, b) = token_instance(connect(&redis, &prefix).revocations());

    let token = tokens_a.issue("john").unwrap();
    let other = tokens_a.issue("john").unwrap();
    let bearer = format!("Bearer {token}");
    for svc in [&a, &b] {
        let res = send(svc, Some(&bearer)).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.body(), "john");
    }
    let claims: Claims = tokens_a.verify(&token).unwrap();
    list_a.revoke_claims(&claims).await.unwrap();
    for svc in [&a, &b] {
        let res = send(svc, Some(&bearer)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let challenge = res.headers()[WWW_AUTHENTICATE].to_str().unwrap();
        assert!(
            challenge.contains("invalid_token") && challenge.contains("revoked"),
            "{challenge}"
        );
        // Another token of the same user still works.
        assert_eq!(
            send(svc, Some(&format!("Bearer {other}"))).await.status(),
            StatusCode::OK
        );
    }
    // The entry lives until the token expires (1 h) plus a minute of skew, no longer.
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let ttl: i64 = redis::cmd("TTL")
        .arg(format!("{prefix}revoked:{}", claims.id()))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(ttl > 3000 && ttl <= 3660, "revocation TTL {ttl} s");
}

#[tokio::main(flavor = "current_thread")]
async fn redis_down_the_revocation_list_fails_closed_unless_told() {
    let mut redis = Redis::start();
    let list = connect(&redis, &unique_prefix("revoke-down"))
        .timeout(Duration::from_millis(200))
        .revocations();
    let (tokens, closed) = token_instance(list.clone());
    let (_, open) = token_instance(list.fail_open(true));
    let bearer = format!("Bearer {}", tokens.issue("john").unwrap());
    assert_eq!(send(&closed, Some(&bearer)).await.status(), StatusCode::OK);
    redis.stop();
    let res = tokio::time::timeout(Duration::from_secs(10), send(&closed, Some(&bearer)))
        .await
        .expect("bounded by the list's timeout");
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(send(&open, Some(&bearer)).await.status(), StatusCode::OK);
}

/// Stops `redis` from answering any client but the one pausing it, for longer than any
/// test waits: a Redis that is up but too slow.
async fn pause(redis: &Redis) {
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(600_000)
        .query_async::<()>(&mut conn)
        .await
        .unwrap();
}

#[tokio::main(flavor = "current_thread")]
async fn a_slow_redis_is_answered_500_not_waited_for() {
    let redis = Redis::start();
    let shared = connect(&redis, &unique_prefix("slow")).timeout(Duration::from_millis(200));
    let digest = digest_instance(shared.nonce_store());
    let (tokens, closed) = token_instance(shared.revocations());
    let (_, open) = token_instance(shared.revocations().fail_open(true));
    let (nonce, opaque) = fresh(&digest).await;
    let bearer = format!("Bearer {}", tokens.issue("john").unwrap());
    assert_eq!(
        send(&digest, Some(&authorization(&nonce, &opaque, 1))).await.status(),
        StatusCode::OK
    );
    assert_eq!(send(&closed, Some(&bearer)).await.status(), StatusCode::OK);

    pause(&redis).await;
    // Each store gives up after its timeout: the replay store and the revocation list refuse
    // with 500 (never a pass, never a hang); fail_open(true) accepts the valid token.
    let limit = Duration::from_secs(10);
    let fresh_count = authorization(&nonce, &opaque, 2);
    let res = tokio::time::timeout(limit, send(&digest, Some(&fresh_count)))
        .await
        .expect("bounded by the replay store's timeout");
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let res = tokio::time::timeout(limit, send(&closed, Some(&bearer)))
        .await
        .expect("bounded by the revocation list's timeout");
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let res = tokio::time::timeout(limit, send(&open, Some(&bearer)))
        .await
        .expect("bounded by the revocation list's timeout");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.body(), "john");
}

#[cfg(feature = "jwt")]
pub(crate) mod jwt {
    use super::*;
    use serde::{Deserialize, Serialize};
    use tower_httpauth::token::jwt::{Jwt, JwtIssuer, JwtKey};

    #[derive(Clone, Serialize, Deserialize)]
    struct User {
        sub: String,
    }

    fn instance(list: RedisRevocations) -> Svc {
        let jwt = Jwt::<User>::new()
            .key(JwtKey::hs256(TOKEN_KEY).unwrap())
            .revocation(list);
        let layer = AuthLayer::new(Bearer::new(jwt).realm(REALM));
        let inner = tower::service_fn(|req: Request<String>| async move {
            let user = AuthUser::<User>::from_request(&req).map(|u| u.sub.clone());
            Ok::<_, Infallible>(Response::new(user.unwrap_or_default()))
        });
        BoxCloneService::new(tower::Layer::layer(&layer, inner))
    }

    #[tokio::main(flavor = "current_thread")]
    async fn a_revoked_jwt_is_refused_by_both_instances() {
        let redis = Redis::start();
        let prefix = unique_prefix("jwt");
        let list = connect(&redis, &prefix).revocations();
        let a = instance(list.clone());
        let b = instance(connect(&redis, &prefix).revocations());
        let issuer = JwtIssuer::new(JwtKey::hs256(TOKEN_KEY).unwrap());
        let token = issuer.access_token(&User { sub: "john".into() }).unwrap();
        let other = issuer.access_token(&User { sub: "john".into() }).unwrap();
        let bearer = format!("Bearer {token}");
        for svc in [&a, &b] {
            let res = send(svc, Some(&bearer)).await;
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(res.body(), "john");
        }
        // The issuer wrote a `jti`; revoke it until `exp`.
        let claims: serde_json::Value = Jwt::<serde_json::Value>::new()
            .key(JwtKey::hs256(TOKEN_KEY).unwrap())
            .verify(&token)
            .unwrap();
        let jti = claims["jti"].as_str().unwrap();
        assert_eq!(jti.len(), 32);
        list.revoke_until(jti, claims["exp"].as_u64().unwrap()).await.unwrap();
        for svc in [&a, &b] {
            assert_eq!(send(svc, Some(&bearer)).await.status(), StatusCode::UNAUTHORIZED);
            assert_eq!(
                send(svc, Some(&format!("Bearer {other}"))).await.status(),
                StatusCode::OK
            );
        }
        // A token without `jti` cannot be revoked, so a revocable verifier refuses it.
        #[derive(Serialize)]
        struct WithJti<'a> {
            sub: &'a str,
            jti: &'a str,
        }
        let no_jti = issuer.access_token(&WithJti { sub: "john", jti: "" }).unwrap();
        assert_eq!(
            send(&a, Some(&format!("Bearer {no_jti}"))).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }

    pub(crate) const TESTS: &[Case] = cases![a_revoked_jwt_is_refused_by_both_instances: [REDIS_SERVER]];
}

#[tokio::main(flavor = "current_thread")]
async fn an_rfc2069_nonce_is_good_once_across_the_fleet() {
    let redis = Redis::start();
    let prefix = unique_prefix("rfc2069");
    let instance = || {
        let users = DigestUsers::new(REALM).with_password("Mufasa", "Circle of Life");
        serve(
            Digest::new(users)
                .realm(REALM)
                .algorithms([Algorithm::Md5])
                .secret(SECRET)
                .allow_rfc2069(true)
                .nonce_store(connect(&redis, &prefix).nonce_store()),
        )
    };
    let (a, b) = (instance(), instance());
    let (nonce, opaque) = fresh(&a).await;
    let response = client_response(
        Algorithm::Md5,
        "Mufasa",
        REALM,
        "Circle of Life",
        &nonce,
        "",
        "",
        None,
        "GET",
        "/",
        None,
    );
    let h = format!(
        r#"Digest username="Mufasa", realm="{REALM}", nonce="{nonce}", uri="/", response="{}", opaque="{opaque}""#,
        response
    );
    assert_eq!(send(&b, Some(&h)).await.status(), StatusCode::OK);
    assert_stale(&send(&a, Some(&h)).await);
    assert_stale(&send(&b, Some(&h)).await);
}

pub(crate) const TESTS: &[Case] = cases![
    a_digest_replay_is_refused_by_the_other_instance: [REDIS_SERVER],
    without_a_shared_store_the_replay_would_pass: [],
    concurrent_uses_of_one_count_across_instances_pass_once: [REDIS_SERVER],
    redis_down_the_replay_store_fails_closed: [REDIS_SERVER],
    a_revoked_signed_token_is_refused_by_both_instances: [REDIS_SERVER],
    redis_down_the_revocation_list_fails_closed_unless_told: [REDIS_SERVER],
    a_slow_redis_is_answered_500_not_waited_for: [REDIS_SERVER],
    an_rfc2069_nonce_is_good_once_across_the_fleet: [REDIS_SERVER],
];

//! The Redis throttle store against a real `redis-server` started on a free 127.0.0.1 port:
//! two layer instances share one Redis and share their counts.
#![cfg(feature = "redis")]

use crate::support;
use crate::support::harness::{Case, REDIS_SERVER, cases};

use support::{ManualClock, Redis};

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http::header::{AUTHORIZATION, RETRY_AFTER};
use http::{Request, Response, StatusCode};
use sha2::{Digest, Sha256};
use tower::ServiceExt;
use tower_httpauth::redis::Redis as RedisStores;
use tower_httpauth::throttle::{Limits, Throttle};
use tower_httpauth::{AuthLayer, Basic, BasicCredentials, Verifier};

fn counting(calls: Arc<AtomicUsize>) -> Basic<impl Verifier<BasicCredentials, User = ()>> {
    Basic::new(move |c: BasicCredentials| {
        calls.fetch_add(1, Ordering::SeqCst);
        async move { (c.password() == "right").then_some(()) }
    })
}

type Svc = tower::util::BoxCloneService<Request<String>, Response<String>, Infallible>;

/// One "instance" of the app: its own layer, verifier and clock, sharing `url`'s Redis.
fn instance(url: &str, clock: &ManualClock, calls: Arc<AtomicUsize>, prefix: &str) -> Svc {
    instance_with(url, clock, calls, prefix, |throttle| throttle)
}

/// An instance whose throttle `configure` refines.
fn instance_with(
    url: &str,
    clock: &ManualClock,
    calls: Arc<AtomicUsize>,
    prefix: &str,
    configure: impl FnOnce(Throttle) -> Throttle,
) -> Svc {
    let store = RedisStores::open(url).unwrap().prefix(prefix).throttle_store();
    let throttle = Throttle::with_store(store)
        .clock(clock.source())
        .per_username(Limits::new(2, Duration::from_secs(1), Duration::from_secs(8)))
        .per_address(Limits::new(4, Duration::from_secs(1), Duration::from_secs(8)));
    let layer = AuthLayer::new(counting(calls)).throttle(configure(throttle));
    let inner = tower::service_fn(|_req: Request<String>| async { Ok::<_, Infallible>(Response::new(String::new())) });
    tower::util::BoxCloneService::new(tower::Layer::layer(&layer, inner))
}

fn login(user: &str, password: &str, from: [u8; 4]) -> Request<String> {
    let mut req = Request::builder()
        .header(AUTHORIZATION, BasicCredentials::new(user, password).to_header_value())
        .body(String::new())
        .unwrap();
    req.extensions_mut().insert(SocketAddr::from((from, 1)));
    req
}

fn unique_prefix(test: &str) -> String {
    format!("test-{}-{test}:", std::process::id())
}

/// The Redis key of user-id `name`'s count under `prefix`: the throttle's key text
/// (`u:` and the first 16 bytes of a domain-separated SHA-256 of the user-id, in hex),
/// computed here independently of the crate.
fn user_key(prefix: &str, name: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"tower-httpauth throttle user:")
        .chain_update(name.as_bytes())
        .finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}throttle:u:{hex}")
}

#[tokio::main(flavor = "current_thread")]
async fn two_instances_share_throttle_counts() {
    let redis = Redis::start();
    let clock = ManualClock::new();
    let (calls_a, calls_b) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let prefix = unique_prefix("share");
    let a = instance(&redis.url(), &clock, calls_a.clone(), &prefix);
    let b = instance(&redis.url(), &clock, calls_b.clone(), &prefix);

    // Guesses alternate between the two instances (a load balancer's round robin).
    for (i, svc) in [&a, &b, &a].into_iter().enumerate() {
        let res = svc
            .clone()
            .oneshot(login("bob", "wrong", [10, 0, 0, i as u8]))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    // The third failure (counted across both) locked "bob" on both instances, before the
    // verifier.
    for svc in [&a, &b] {
        let res = svc.clone().oneshot(login("bob", "right", [10, 0, 0, 9])).await.unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(res.headers()[RETRY_AFTER], "1");
    }
    assert_eq!(calls_a.load(Ordering::SeqCst) + calls_b.load(Ordering::SeqCst), 3);

    // The lock lifts after its time; the right password then gets in and resets the count.
    clock.advance(Duration::from_secs(1));
    let res = b.clone().oneshot(login("bob", "right", [10, 0, 0, 9])).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    for svc in [&a, &b] {
        let res = svc.clone().oneshot(login("bob", "wrong", [10, 0, 0, 8])).await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "the count was reset");
    }

    // An address spraying user-ids over both instances is locked on both.
    for i in 0..5 {
        let svc = if i % 2 == 0 { &a } else { &b };
        svc.clone()
            .oneshot(login(&format!("u{i}"), "wrong", [10, 9, 9, 9]))
            .await
            .unwrap();
    }
    for svc in [&a, &b] {
        let res = svc
            .clone()
            .oneshot(login("carol", "right", [10, 9, 9, 9]))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    }
}

#[tokio::main(flavor = "current_thread")]
async fn keys_expire_and_hold_no_usernames() {
    let redis = Redis::start();
    let clock = ManualClock::new();
    let prefix = unique_prefix("ttl");
    let svc = instance(&redis.url(), &clock, Arc::new(AtomicUsize::new(0)), &prefix);
    svc.oneshot(login("secret-user-name", "wrong", [10, 0, 0, 1]))
        .await
        .unwrap();

    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys.iter().all(|k| !k.contains("secret-user-name")));
    let user_key = user_key(&prefix, "secret-user-name");
    assert!(keys.contains(&user_key), "{keys:?}");
    for key in keys {
        let ttl: i64 = redis::cmd("PTTL").arg(&key).query_async(&mut conn).await.unwrap();
        // One failure, decaying in 60 s (user-id) or 60 s (address, per Limits::new), plus 1 s.
        assert!(ttl > 0 && ttl <= 61_000, "{key}: {ttl}");
    }
}

#[tokio::main(flavor = "current_thread")]
async fn unreachable_redis_fails_closed_unless_told_within_the_timeout() {
    let mut redis = Redis::start();
    let url = redis.url();
    let clock = ManualClock::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let svc = instance_with(&url, &clock, calls.clone(), &unique_prefix("down"), |t| {
        t.fail_open(true)
    });
    assert_eq!(
        svc.clone()
            .oneshot(login("bob", "right", [10, 0, 0, 1]))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    redis.stop();
    // Redis is gone: with fail_open(true), requests are authenticated without throttling,
    // and each store call gives up after its timeout instead of hanging.
    for _ in 0..5 {
        let res = tokio::time::timeout(
            Duration::from_secs(10),
            svc.clone().oneshot(login("bob", "wrong", [10, 0, 0, 1])),
        )
        .await
        .expect("bounded by the store's timeouts")
        .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = svc.clone().oneshot(login("bob", "right", [10, 0, 0, 1])).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // Fail closed, the default: 500, and the verifier is not asked.
    let store = RedisStores::open(&url)
        .unwrap()
        .timeout(Duration::from_millis(200))
        .throttle_store();
    let layer = AuthLayer::new(counting(calls.clone())).throttle(Throttle::with_store(store));
    let closed = tower::Layer::layer(
        &layer,
        tower::service_fn(|_req: Request<String>| async { Ok::<_, Infallible>(Response::new(String::new())) }),
    );
    let before = calls.load(Ordering::SeqCst);
    let res = closed.oneshot(login("bob", "right", [10, 0, 0, 1])).await.unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(calls.load(Ordering::SeqCst), before);
}

#[tokio::main(flavor = "current_thread")]
async fn a_slow_redis_refuses_logins_with_500_before_the_verifier_unless_told() {
    let redis = Redis::start();
    let clock = ManualClock::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let prefix = unique_prefix("slow");
    let shared = RedisStores::open(&redis.url())
        .unwrap()
        .prefix(&prefix)
        .timeout(Duration::from_millis(200));
    let limits = Limits::new(2, Duration::from_secs(1), Duration::from_secs(8));
    let serve = |throttle: Throttle| {
        let layer =
            AuthLayer::new(counting(calls.clone())).throttle(throttle.clock(clock.source()).per_username(limits));
        let inner =
            tower::service_fn(|_req: Request<String>| async { Ok::<_, Infallible>(Response::new(String::new())) });
        tower::util::BoxCloneService::new(tower::Layer::layer(&layer, inner))
    };
    let closed: Svc = serve(Throttle::with_store(shared.throttle_store()));
    let open: Svc = serve(Throttle::with_store(shared.throttle_store()).fail_open(true));
    let res = closed
        .clone()
        .oneshot(login("bob", "right", [10, 0, 0, 1]))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // Redis is up but answers nobody: each store call gives up after its timeout.
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(600_000)
        .query_async::<()>(&mut conn)
        .await
        .unwrap();
    let before = calls.load(Ordering::SeqCst);
    let res = tokio::time::timeout(
        Duration::from_secs(10),
        closed.oneshot(login("bob", "right", [10, 0, 0, 1])),
    )
    .await
    .expect("bounded by the store's timeout")
    .unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(calls.load(Ordering::SeqCst), before, "the verifier is not asked");
    // fail_open(true): verified without throttling.
    let res = tokio::time::timeout(
        Duration::from_secs(10),
        open.oneshot(login("bob", "right", [10, 0, 0, 1])),
    )
    .await
    .expect("bounded by the store's timeout")
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(calls.load(Ordering::SeqCst), before + 1);
}

pub(crate) const TESTS: &[Case] = cases![
    two_instances_share_throttle_counts: [REDIS_SERVER],
    keys_expire_and_hold_no_usernames: [REDIS_SERVER],
    unreachable_redis_fails_closed_unless_told_within_the_timeout: [REDIS_SERVER],
    a_slow_redis_refuses_logins_with_500_before_the_verifier_unless_told: [REDIS_SERVER],
];

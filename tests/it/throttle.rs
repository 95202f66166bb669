//! Brute-force throttling through a real tower stack, with a clock the tests drive.

use crate::support;

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::fixtures::tokens::Captured;
use http::header::{AUTHORIZATION, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{Request, Response, StatusCode};
use support::ManualClock;
use tower::{Service, ServiceExt};
use tower_httpauth::throttle::{ClientAddrSource, Limits, Throttle};
use tower_httpauth::{AuthLayer, AuthUser, Basic, BasicCredentials, Verifier};

/// A verifier that accepts `password == "right"` and counts its calls.
fn counting(calls: Arc<AtomicUsize>) -> Basic<impl Verifier<BasicCredentials, User = String>> {
    Basic::new(move |c: BasicCredentials| {
        calls.fetch_add(1, Ordering::SeqCst);
        async move { (c.password() == "right").then(|| c.username().to_owned()) }
    })
    .realm("t")
}

/// 2 free failures per user-id, locks of 1 s doubling to 8 s, one failure forgotten per 60 s;
/// 4 free failures per address.
fn throttle(clock: &ManualClock) -> Throttle {
    Throttle::new()
        .clock(clock.source())
        .per_username(Limits::new(2, Duration::from_secs(1), Duration::from_secs(8)))
        .per_address(Limits::new(4, Duration::from_secs(1), Duration::from_secs(8)))
}

struct Rig {
    svc: tower::util::BoxCloneService<Request<String>, Response<String>, Infallible>,
    verifier_calls: Arc<AtomicUsize>,
    clock: ManualClock,
}

fn rig(configure: impl FnOnce(Throttle) -> Throttle) -> Rig {
    let clock = ManualClock::new();
    let verifier_calls = Arc::new(AtomicUsize::new(0));
    let layer = AuthLayer::new(counting(verifier_calls.clone())).throttle(configure(throttle(&clock)));
    let inner = tower::service_fn(|req: Request<String>| async move {
        let user = AuthUser::<String>::from_request(&req).cloned().unwrap_or_default();
        Ok::<_, Infallible>(Response::new(user))
    });
    Rig {
        svc: tower::util::BoxCloneService::new(tower::Layer::layer(&layer, inner)),
        verifier_calls,
        clock,
    }
}

fn login(user: &str, password: &str, from: [u8; 4]) -> Request<String> {
    let mut req = Request::builder()
        .uri("/")
        .header(AUTHORIZATION, BasicCredentials::new(user, password).to_header_value())
        .body(String::new())
        .unwrap();
    req.extensions_mut().insert(SocketAddr::from((from, 40000)));
    req
}

impl Rig {
    async fn send(&self, req: Request<String>) -> Response<String> {
        self.svc.clone().oneshot(req).await.unwrap()
    }

    async fn status(&self, user: &str, password: &str, from: [u8; 4]) -> StatusCode {
        self.send(login(user, password, from)).await.status()
    }

    fn calls(&self) -> usize {
        self.verifier_calls.load(Ordering::SeqCst)
    }
}

const A: [u8; 4] = [10, 0, 0, 1];
const B: [u8; 4] = [10, 0, 0, 2];
const C: [u8; 4] = [10, 0, 0, 3];

#[tokio::test]
async fn after_the_free_failures_429_with_retry_after_and_no_verifier_call() {
    let r = rig(|t| t);
    for _ in 0..3 {
        assert_eq!(r.status("bob", "wrong", A).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(r.calls(), 3);
    // The third failure locked "bob" for 1 s: refused before the verifier, even with the
    // right password.
    for password in ["wrong", "right"] {
        let res = r.send(login("bob", password, A)).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(res.headers()[RETRY_AFTER], "1");
        assert!(res.headers().get(WWW_AUTHENTICATE).is_none());
    }
    assert_eq!(r.calls(), 3, "the verifier is not called while locked");
}

#[tokio::test]
async fn back_off_doubles_and_the_lock_lifts_after_its_time() {
    let r = rig(|t| t);
    for _ in 0..3 {
        r.status("bob", "wrong", A).await;
    }
    let mut expected = 1;
    for _ in 0..4 {
        let res = r.send(login("bob", "wrong", A)).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(res.headers()[RETRY_AFTER], expected.to_string().as_str());
        // Wait out the lock; the next guess is verified, fails, and locks for twice as long.
        r.clock.advance(Duration::from_secs(expected));
        assert_eq!(r.status("bob", "wrong", A).await, StatusCode::UNAUTHORIZED);
        expected = (expected * 2).min(8);
    }
    let res = r.send(login("bob", "wrong", A)).await;
    assert_eq!(res.headers()[RETRY_AFTER], "8", "capped at max_delay");
    // After the lock, the right password gets in.
    r.clock.advance(Duration::from_secs(8));
    let res = r.send(login("bob", "right", A)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.into_body(), "bob");
}

#[tokio::test]
async fn failures_decay_over_time() {
    let r = rig(|t| t);
    for _ in 0..2 {
        r.status("bob", "wrong", A).await;
    }
    // Two minutes later two failures are forgotten: two more free failures, no lock.
    r.clock.advance(Duration::from_secs(120));
    for _ in 0..2 {
        assert_eq!(r.status("bob", "wrong", A).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(r.status("bob", "wrong", A).await, StatusCode::UNAUTHORIZED);
    assert_eq!(r.status("bob", "wrong", A).await, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_locked_username_is_locked_from_every_address_other_users_are_not() {
    let r = rig(|t| t);
    // Three failures for "bob", each from another address: the address counts stay low.
    for from in [A, B, C] {
        r.status("bob", "wrong", from).await;
    }
    assert_eq!(
        r.status("bob", "right", [10, 0, 0, 9]).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(r.status("alice", "right", A).await, StatusCode::OK);
}

#[tokio::test]
async fn an_address_spraying_usernames_is_locked_by_address() {
    let r = rig(|t| t);
    // Five failures from A, each for another user-id (no user-id reaches its limit).
    for i in 0..5 {
        assert_eq!(
            r.status(&format!("user{i}"), "wrong", A).await,
            StatusCode::UNAUTHORIZED
        );
    }
    let calls = r.calls();
    assert_eq!(r.status("alice", "right", A).await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.calls(), calls);
    // Another address is not affected.
    assert_eq!(r.status("alice", "right", B).await, StatusCode::OK);
}

#[tokio::test]
async fn per_username_only_and_per_address_only() {
    let r = rig(|t| t.count_addresses(false));
    for i in 0..10 {
        assert_eq!(r.status(&format!("u{i}"), "wrong", A).await, StatusCode::UNAUTHORIZED);
    }
    let r = rig(|t| t.count_usernames(false));
    for from in [A, B, C] {
        r.status("bob", "wrong", from).await;
    }
    assert_eq!(r.status("bob", "right", [10, 0, 0, 9]).await, StatusCode::OK);
}

#[tokio::test]
async fn counting_turned_off_and_on_again_uses_the_default_limits() {
    // The rig's own limits (2 free failures per user-id) are dropped by `false`; `true` then
    // counts with `Limits::default_username()`: 5 free failures, a lock at the 6th.
    let r = rig(|t| t.count_usernames(false).count_usernames(true).count_addresses(false));
    for from in 0..5u8 {
        assert_eq!(
            r.status("bob", "wrong", [10, 0, 1, from]).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(r.status("bob", "right", [10, 0, 2, 1]).await, StatusCode::OK);
    for from in 0..6u8 {
        r.status("bob", "wrong", [10, 0, 3, from]).await;
    }
    assert_eq!(
        r.status("bob", "right", [10, 0, 4, 1]).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // `true` on a count that is on keeps its limits (the rig's: 2 free failures).
    let r = rig(|t| t.count_usernames(true).count_addresses(false));
    for from in 0..3u8 {
        r.status("carol", "wrong", [10, 0, 5, from]).await;
    }
    assert_eq!(
        r.status("carol", "right", [10, 0, 6, 1]).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn success_is_not_slowed_and_resets_the_username_count() {
    let r = rig(|t| t);
    // Many successes in a row: never throttled, the verifier runs each time.
    for _ in 0..20 {
        assert_eq!(r.status("bob", "right", A).await, StatusCode::OK);
    }
    assert_eq!(r.calls(), 20);
    // Two failures, a success, then two more failures: the success reset bob's count.
    for _ in 0..2 {
        r.status("bob", "wrong", B).await;
    }
    assert_eq!(r.status("bob", "right", B).await, StatusCode::OK);
    for _ in 0..2 {
        assert_eq!(r.status("bob", "wrong", C).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(r.status("bob", "right", C).await, StatusCode::OK);
}

#[tokio::test]
async fn missing_and_malformed_credentials_are_not_counted() {
    let r = rig(|t| t);
    for _ in 0..10 {
        let mut req = Request::new(String::new());
        req.extensions_mut().insert(SocketAddr::from((A, 1)));
        let res = r.send(req).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(res.headers().contains_key(WWW_AUTHENTICATE));
        let mut req = Request::builder()
            .header(AUTHORIZATION, "Basic !!!")
            .body(String::new())
            .unwrap();
        req.extensions_mut().insert(SocketAddr::from((A, 1)));
        assert_eq!(r.send(req).await.status(), StatusCode::BAD_REQUEST);
    }
    assert_eq!(r.status("bob", "right", A).await, StatusCode::OK);
}

#[tokio::test]
async fn trusted_proxy_header_picks_the_client_and_ignores_spoofed_entries() {
    let r = rig(|t| t.count_usernames(false).client_addr(ClientAddrSource::forwarded_for(1)));
    let via_proxy = |user: &str, password: &str, xff: &str| {
        let mut req = login(user, password, [192, 168, 0, 1]); // the proxy's address
        req.headers_mut().insert("x-forwarded-for", xff.parse().unwrap());
        req
    };
    // The attacker (7.7.7.7) varies the spoofable left part; the proxy appends the real peer.
    for i in 0..5 {
        let res = r.send(via_proxy("bob", "wrong", &format!("1.2.3.{i}, 7.7.7.7"))).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = r.send(via_proxy("alice", "right", "9.9.9.9, 7.7.7.7")).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another client behind the same proxy is not affected.
    let res = r.send(via_proxy("alice", "right", "7.7.7.7, 8.8.8.8")).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn client_addr_extension_is_used() {
    let r = rig(|t| t.count_usernames(false));
    let from = |ip: &str| {
        let mut req = login("bob", "wrong", A);
        req.extensions_mut().remove::<SocketAddr>();
        req.extensions_mut()
            .insert(tower_httpauth::throttle::ClientAddr(ip.parse::<IpAddr>().unwrap()));
        req
    };
    for _ in 0..5 {
        r.send(from("2001:db8::1")).await;
    }
    // Same /64: locked.
    assert_eq!(
        r.send(from("2001:db8::ffff")).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(r.send(from("2001:db8:0:1::1")).await.status(), StatusCode::UNAUTHORIZED);
}

/// A throttle keeps at most the keys it was given room for: after 5 000 user-ids, only the 500
/// most recent are still counted (and locked); the older ones were evicted.
#[tokio::test]
async fn memory_stays_bounded_with_many_usernames() {
    let clock = ManualClock::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let t = Throttle::in_memory(500)
        .clock(clock.source())
        .count_addresses(false)
        .per_username(Limits::new(0, Duration::from_secs(1), Duration::from_secs(8)));
    let layer = AuthLayer::new(counting(calls.clone())).throttle(t);
    let mut svc = tower::Layer::layer(
        &layer,
        tower::service_fn(|_req: Request<String>| async { Ok::<_, Infallible>(Response::new(String::new())) }),
    );
    for i in 0..5_000 {
        let res = svc
            .ready()
            .await
            .unwrap()
            .call(login(&format!("user-{i}"), "wrong", A))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    // Every failure locked its user-id; exactly the 500 most recent locks are remembered.
    let mut locked = Vec::new();
    for i in 0..5_000 {
        let res = svc
            .ready()
            .await
            .unwrap()
            .call(login(&format!("user-{i}"), "right", A))
            .await
            .unwrap();
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            locked.push(i);
        } else {
            assert_eq!(res.status(), StatusCode::OK, "user-{i}");
        }
    }
    assert_eq!(locked, (4_500..5_000).collect::<Vec<_>>());
}

#[tokio::test]
async fn without_throttle_nothing_is_counted() {
    let calls = Arc::new(AtomicUsize::new(0));
    let layer = AuthLayer::new(counting(calls.clone()));
    let svc = tower::Layer::layer(
        &layer,
        tower::service_fn(|_req: Request<String>| async { Ok::<_, Infallible>(Response::new(String::new())) }),
    );
    for _ in 0..50 {
        let res = svc.clone().oneshot(login("bob", "wrong", A)).await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 50);
}

/// A store that fails (Redis down) fails closed by default: requests with credentials get
/// `500` and the verifier does not run, so an outage never removes the brute-force
/// protection silently. `fail_open(true)` authenticates them without throttling instead.
#[tokio::test]
async fn store_errors_fail_closed_by_default_and_open_on_request() {
    use std::future::Future;
    use std::pin::Pin;
    use tower_httpauth::BoxError;
    use tower_httpauth::throttle::{ThrottleKey, ThrottleStatus, ThrottleStore};

    type StoreFuture = Pin<Box<dyn Future<Output = Result<ThrottleStatus, BoxError>> + Send>>;
    struct Down;
    impl ThrottleStore for Down {
        fn check(&self, _: &[ThrottleKey], _: Duration) -> StoreFuture {
            Box::pin(async { Err("connection refused".into()) })
        }
        fn record_failure(&self, _: &[ThrottleKey], _: Duration) -> StoreFuture {
            Box::pin(async { Err("connection refused".into()) })
        }
        fn reset(&self, _: &[ThrottleKey]) -> StoreFuture {
            Box::pin(async { Err("connection refused".into()) })
        }
    }
    let inner = tower::service_fn(|_req: Request<String>| async { Ok::<_, Infallible>(Response::new(String::new())) });
    let calls = Arc::new(AtomicUsize::new(0));
    let closed = AuthLayer::new(counting(calls.clone())).throttle(Throttle::with_store(Down));
    let svc = tower::Layer::layer(&closed, inner);
    for password in ["right", "wrong"] {
        assert_eq!(
            svc.clone().oneshot(login("bob", password, A)).await.unwrap().status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
    assert_eq!(calls.load(Ordering::SeqCst), 0, "the verifier does not run");
    // Requests without credentials are not throttled, so they get the usual challenge.
    let mut anonymous = Request::new(String::new());
    anonymous.extensions_mut().insert(SocketAddr::from((A, 1)));
    assert_eq!(
        svc.clone().oneshot(anonymous).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );

    let open = AuthLayer::new(counting(calls.clone())).throttle(Throttle::with_store(Down).fail_open(true));
    let svc = tower::Layer::layer(&open, inner);
    assert_eq!(
        svc.clone().oneshot(login("bob", "right", A)).await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        svc.clone().oneshot(login("bob", "wrong", A)).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[cfg(feature = "axum")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_connect_info_over_tcp() {
    use axum::{Router, routing::get};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let clock = ManualClock::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let layer = AuthLayer::new(counting(calls.clone())).throttle(throttle(&clock).count_usernames(false));
    let app = Router::new().route("/", get(|| async { "ok" }).route_layer(layer));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .await
            .unwrap();
    });
    let status = |user: &'static str, password: &'static str| async move {
        let auth = BasicCredentials::new(user, password).to_header_value();
        let req = format!(
            "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: {}\r\n\r\n",
            auth.to_str().unwrap()
        );
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(req.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
        String::from_utf8_lossy(&out).split(' ').nth(1).unwrap_or("").to_owned()
    };
    assert_eq!(status("bob", "right").await, "200");
    for i in 0..5 {
        assert_eq!(status("bob", "wrong").await, "401", "attempt {i}");
    }
    // 127.0.0.1 is locked, whatever the user-id.
    assert_eq!(status("carol", "right").await, "429");
}

/// `admin`, `Admin`, `ADMIN` and fullwidth `ａｄｍｉｎ` are one account in a case-insensitive
/// store: they share one count and one lock (three failures spread over three spellings and
/// three addresses lock all four), while the verifier and the handler still see the user-id
/// as it was sent.
#[tokio::test]
async fn user_ids_differing_in_case_or_width_share_one_count_and_lock() {
    let r = rig(|t| t);
    for name in ["Admin", "ADMIN"] {
        let res = r.send(login(name, "right", A)).await;
        assert_eq!((res.status(), res.body().as_str()), (StatusCode::OK, name));
    }
    let calls = r.calls();
    for (name, from) in [("admin", A), ("Admin", B), ("ADMIN", C)] {
        assert_eq!(r.status(name, "wrong", from).await, StatusCode::UNAUTHORIZED, "{name}");
    }
    for name in ["admin", "Admin", "ADMIN", "ａｄｍｉｎ", "ＡＤＭＩＮ"] {
        let res = r.send(login(name, "right", [10, 0, 0, 9])).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "{name}");
        assert_eq!(res.headers()[RETRY_AFTER], "1");
    }
    assert_eq!(r.calls(), calls + 3, "locked spellings never reach the verifier");
    // Another user is not affected.
    assert_eq!(r.status("administrator", "right", A).await, StatusCode::OK);
}

/// `Throttle::user_key` replaces the normaliser: here exact spellings are counted apart, and
/// a `@corp` suffix is ignored.
#[tokio::test]
async fn a_custom_user_key_decides_which_user_ids_share_a_count() {
    let r = rig(|t| t.user_key(|name: &str| name.strip_suffix("@corp").unwrap_or(name).to_owned()));
    for (name, from) in [("admin", A), ("Admin", B), ("ADMIN", C)] {
        assert_eq!(r.status(name, "wrong", from).await, StatusCode::UNAUTHORIZED);
    }
    // No spelling reached its limit of two.
    let res = r.send(login("admin", "right", [10, 0, 0, 9])).await;
    assert_eq!((res.status(), res.body().as_str()), (StatusCode::OK, "admin"));
    // "bob" and "bob@corp" are one count: the third failure locks both.
    for (name, from) in [("bob", A), ("bob@corp", B), ("bob", C)] {
        assert_eq!(r.status(name, "wrong", from).await, StatusCode::UNAUTHORIZED);
    }
    for name in ["bob", "bob@corp"] {
        assert_eq!(
            r.status(name, "right", [10, 0, 0, 9]).await,
            StatusCode::TOO_MANY_REQUESTS,
            "{name}"
        );
    }
}

const NO_ADDRESS: &str = "per-address throttling does nothing";

/// Login attempts without a client address (axum without `ConnectInfo`): per-address
/// throttling cannot count them, and the throttle says so in one warning, at the first such
/// request, however many follow; clones of the layer share the throttle and stay quiet.
/// Throttles that have an address, or were told to do without, never warn.
#[tokio::test]
async fn a_throttle_without_client_addresses_warns_once() {
    let (log, _guard) = Captured::start();
    let anonymous = |user: &str, password: &str| {
        let mut req = login(user, password, A);
        req.extensions_mut().remove::<SocketAddr>();
        req
    };
    // With addresses: no warning.
    let r = rig(|t| t);
    for _ in 0..3 {
        r.status("bob", "wrong", A).await;
    }
    assert_eq!(log.text().matches(NO_ADDRESS).count(), 0);

    // Without: one warning over many requests (failures, successes, locked ones) and clones.
    let r = rig(|t| t);
    let clone = r.svc.clone();
    for _ in 0..4 {
        r.send(anonymous("alice", "wrong")).await;
        r.send(anonymous("carol", "right")).await;
        clone.clone().oneshot(anonymous("dave", "wrong")).await.unwrap();
    }
    assert_eq!(log.text().matches(NO_ADDRESS).count(), 1, "{}", log.text());
    // Per-user-id counting still works without an address.
    assert_eq!(
        r.send(anonymous("alice", "right")).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    // Another throttle warns for itself, once.
    let r = rig(|t| t.client_addr(ClientAddrSource::forwarded_for(1)));
    for _ in 0..3 {
        r.send(anonymous("erin", "wrong")).await;
    }
    assert_eq!(log.text().matches(NO_ADDRESS).count(), 2);

    // Told to do without an address: silent.
    for r in [
        rig(|t| t.count_addresses(false)),
        rig(|t| t.client_addr(ClientAddrSource::None)),
    ] {
        for _ in 0..3 {
            r.send(anonymous("frank", "wrong")).await;
        }
    }
    assert_eq!(log.text().matches(NO_ADDRESS).count(), 2);
}

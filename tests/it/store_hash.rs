//! `HashedPasswords` behind a real `AuthLayer` + `Basic` stack; the hash pool's limit.
#![cfg(feature = "password-hash")]

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{Request, Response, StatusCode};
use tower::{Layer, ServiceExt};
use tower_httpauth::store::{CredentialCache, HashPolicy, HashPool, HashedPasswords};
use tower_httpauth::{AuthLayer, AuthUser, Basic, BasicCredentials, Verifier};

#[derive(Clone, Debug, PartialEq)]
struct User {
    name: String,
}

fn cheap() -> HashPolicy {
    HashPolicy::argon2id(256, 1, 1).unwrap()
}

async fn send<V: Verifier<BasicCredentials, User = User>>(
    layer: &AuthLayer<Basic<V>>,
    user: &str,
    password: &str,
) -> (StatusCode, String) {
    let inner = tower::service_fn(|req: Request<String>| {
        let user = AuthUser::<User>::from_request(&req).map(|u| u.name.clone());
        async move { Ok::<_, Infallible>(Response::new(user.unwrap_or_else(|| "anonymous".into()))) }
    });
    let req = Request::builder()
        .uri("/r")
        .header(AUTHORIZATION, BasicCredentials::new(user, password).to_header_value())
        .body(String::new())
        .unwrap();
    let res = layer.clone().layer(inner).oneshot(req).await.unwrap();
    if res.status() == StatusCode::UNAUTHORIZED {
        assert!(res.headers().get(WWW_AUTHENTICATE).is_some(), "401 carries a challenge");
    }
    (res.status(), res.into_body())
}

/// A user store: name -> stored hash, counting lookups.
fn store(
    entries: Vec<(&str, String)>,
    lookups: Arc<AtomicUsize>,
) -> impl Fn(String) -> std::future::Ready<Option<(User, String)>> + Send + Sync + 'static {
    let map: Arc<HashMap<String, String>> = Arc::new(entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect());
    move |name: String| {
        lookups.fetch_add(1, Ordering::SeqCst);
        std::future::ready(map.get(&name).map(|h| (User { name: name.clone() }, h.clone())))
    }
}

#[cfg(all(feature = "bcrypt", feature = "pbkdf2"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_algorithm_through_basic() {
    let argon = cheap().hash("argon pw").unwrap();
    let bcrypt = BCRYPT.to_string();
    // passlib-style PBKDF2 PHC vector (from the pbkdf2 crate's tests).
    let pbkdf2 = "$pbkdf2-sha256$i=4096,l=40$c2FsdFNBTFRzYWx0U0FMVHNhbHRTQUxUc2FsdFNBTFRzYWx0$NIyJ28vTKy8y2BS4EW6EzysXNH68GAAYHE4qH7jdU+HGNVGMfaxH6Q".to_string();
    let lookups = Arc::new(AtomicUsize::new(0));
    let cache = CredentialCache::new(16, Duration::from_secs(60));
    let verifier = HashedPasswords::new(store(
        vec![
            ("ann", argon),
            ("bob", bcrypt),
            ("pat", pbkdf2),
            ("bad", "not a hash".into()),
        ],
        lookups.clone(),
    ))
    .policy(cheap())
    .cache(Some(cache.clone()));
    let layer = AuthLayer::new(Basic::new(verifier).realm("test"));

    for (user, pw) in [
        ("ann", "argon pw"),
        ("bob", BCRYPT_PW),
        ("pat", "passwordPASSWORDpassword"),
    ] {
        assert_eq!(
            send(&layer, user, pw).await,
            (StatusCode::OK, user.to_owned()),
            "{user}"
        );
        assert_eq!(send(&layer, user, "wrong").await.0, StatusCode::UNAUTHORIZED, "{user}");
    }
    assert_eq!(cache.len(), 3, "only the successes are remembered");
    assert_eq!(send(&layer, "bob", BCRYPT_PW).await.1, "bob");
    assert_eq!(cache.hits(), 1);

    // Unknown user: refused after the same work; nothing cached.
    assert_eq!(send(&layer, "nobody", "argon pw").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(cache.len(), 3);
    // A stored hash that cannot be checked is a server error, never a pass or a 401.
    assert_eq!(
        send(&layer, "bad", "not a hash").await.0,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(lookups.load(Ordering::SeqCst), 9);
}

/// A bcrypt vector from the bcrypt crate's tests (`$2b$`, cost 4).
const BCRYPT: &str = "$2b$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie";
#[cfg_attr(not(feature = "bcrypt"), allow(dead_code))]
const BCRYPT_PW: &str = "correctbatteryhorsestapler";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_user_matching_the_dummy_is_still_refused() {
    let lookups = Arc::new(AtomicUsize::new(0));
    let verifier = HashedPasswords::new(store(vec![("ann", cheap().hash("pw").unwrap())], lookups.clone()))
        .dummy_hash(cheap().hash("guess").unwrap());
    let layer = AuthLayer::new(Basic::new(verifier));
    assert_eq!(send(&layer, "nobody", "guess").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(send(&layer, "ann", "guess").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(send(&layer, "ann", "pw").await.0, StatusCode::OK);
    assert_eq!(lookups.load(Ordering::SeqCst), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_errors_are_500() {
    let verifier = HashedPasswords::new(|_name: String| async {
        Err::<Option<(User, String)>, _>(std::io::Error::other("database down"))
    })
    .policy(cheap());
    let layer = AuthLayer::new(Basic::new(verifier));
    assert_eq!(send(&layer, "ann", "pw").await.0, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_hash_invalidates_cached_success() {
    let current = Arc::new(std::sync::Mutex::new(cheap().hash("old").unwrap()));
    let c = current.clone();
    let cache = CredentialCache::new(16, Duration::from_secs(60));
    let verifier = HashedPasswords::new(move |name: String| {
        let hash = c.lock().unwrap().clone();
        async move { Some((User { name }, hash)) }
    })
    .policy(cheap())
    .cache(Some(cache.clone()));
    let layer = AuthLayer::new(Basic::new(verifier));
    assert_eq!(send(&layer, "ann", "old").await.0, StatusCode::OK);
    assert_eq!(send(&layer, "ann", "old").await.0, StatusCode::OK);
    assert_eq!(cache.hits(), 1);
    *current.lock().unwrap() = cheap().hash("new").unwrap();
    assert_eq!(send(&layer, "ann", "old").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(cache.hits(), 1, "the old entry no longer matches");
    assert_eq!(send(&layer, "ann", "new").await.0, StatusCode::OK);
}

#[test]
fn needs_rehash_answers() {
    let policy = HashPolicy::default();
    let needs_rehash = |stored: &str| policy.needs_rehash(stored);
    let strong = policy.hash("pw").unwrap();
    assert!(strong.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    assert!(!needs_rehash(&strong));
    assert_eq!(policy.verify("pw", &strong), Ok(true));
    assert!(needs_rehash(&cheap().hash("pw").unwrap()));
    assert!(needs_rehash(BCRYPT));
    #[cfg(feature = "bcrypt")]
    {
        assert_eq!(policy.verify(BCRYPT_PW, &BCRYPT.replace("$2b$", "$2y$")), Ok(true));
        assert_eq!(policy.verify(BCRYPT_PW, &BCRYPT.replace("$2b$", "$2a$")), Ok(true));
    }
    assert!(needs_rehash(
        "$pbkdf2-sha256$i=4096,l=40$c2FsdFNBTFRzYWx0$NIyJ28vTKy8y2BS4EW6EzysXNH68GAAYHE4qH7jdU"
    ));
    let higher = HashPolicy::argon2id(19 * 1024, 3, 1).unwrap().hash("pw").unwrap();
    assert!(!needs_rehash(&higher), "stronger than the policy is fine");
}

#[cfg(feature = "tokio")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_limits_concurrency() {
    let pool = HashPool::new(2);
    assert_eq!(pool.max_concurrent(), Some(2));
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let mut jobs = Vec::new();
    for _ in 0..8 {
        let (pool, running, peak) = (pool.clone(), running.clone(), peak.clone());
        jobs.push(tokio::spawn(async move {
            pool.run(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
                running.fetch_sub(1, Ordering::SeqCst);
            })
            .await
            .unwrap()
        }));
    }
    for j in jobs {
        j.await.unwrap();
    }
    assert!(peak.load(Ordering::SeqCst) <= 2, "at most two hashes at once");
    assert!(peak.load(Ordering::SeqCst) >= 1);
    assert_eq!(running.load(Ordering::SeqCst), 0);
}

#[cfg(feature = "tokio")]
#[tokio::test(flavor = "current_thread")]
async fn pool_runs_off_the_executor_thread() {
    let here = std::thread::current().id();
    let there = HashPool::new(1).run(|| std::thread::current().id()).await.unwrap();
    assert_ne!(here, there, "hashes run on a blocking thread");
    let inline = HashPool::inline().run(|| std::thread::current().id()).await.unwrap();
    assert_eq!(here, inline);
    // A panicking job is an error, not a crash.
    assert!(HashPool::new(1).run(|| panic!("boom")).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burst_of_logins_respects_the_limit() {
    // 16 concurrent logins through the layer with a pool of 1: all answered correctly.
    let hash = cheap().hash("pw").unwrap();
    let lookups = Arc::new(AtomicUsize::new(0));
    let verifier = HashedPasswords::new(store(vec![("ann", hash)], lookups.clone()))
        .policy(cheap())
        .pool(HashPool::new(1))
        .cache(None);
    let layer = AuthLayer::new(Basic::new(verifier));
    let mut tasks = Vec::new();
    for i in 0..16 {
        let layer = layer.clone();
        tasks.push(tokio::spawn(async move {
            let pw = if i % 2 == 0 { "pw" } else { "nope" };
            (i, send(&layer, "ann", pw).await.0)
        }));
    }
    for t in tasks {
        let (i, status) = t.await.unwrap();
        let want = if i % 2 == 0 {
            StatusCode::OK
        } else {
            StatusCode::UNAUTHORIZED
        };
        assert_eq!(status, want);
    }
    assert_eq!(lookups.load(Ordering::SeqCst), 16);
}

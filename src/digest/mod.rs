//! HTTP Digest authentication (RFC 7616), server side: SHA-256, SHA-512-256 and MD5, their
//! `-sess` variants, `qop=auth` and `auth-int`, signed stateless nonces and replay
//! protection.
//!
//! ```
//! use std::convert::Infallible;
//! use http::{Request, Response, StatusCode};
//! use tower::{ServiceBuilder, ServiceExt};
//! use tower_httpauth::{AuthLayer, AuthUser};
//! use tower_httpauth::digest::{Digest, DigestUsers};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let realm = "http-auth@example.org";
//! // H(A1) per user and algorithm; the passwords themselves are not kept.
//! let users = DigestUsers::new(realm).with_password("Mufasa", "Circle of Life");
//! let digest = Digest::new(users).realm(realm); // offers SHA-256, then MD5
//!
//! let svc = ServiceBuilder::new().layer(AuthLayer::new(digest)).service_fn(|req: Request<String>| async move {
//!     let user = AuthUser::<String>::from_request(&req).cloned().unwrap_or_default();
//!     Ok::<_, Infallible>(Response::new(format!("hello {user}")))
//! });
//!
//! let res = svc.oneshot(Request::new(String::new())).await.unwrap();
//! assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
//! let challenges: Vec<_> = res.headers().get_all("www-authenticate").iter().collect();
//! assert_eq!(challenges.len(), 2); // one field per algorithm, SHA-256 first
//! assert!(challenges[0].to_str().unwrap().contains("algorithm=SHA-256"));
//! # }
//! ```
//!
//! # How a request is checked
//!
//! 1. The credentials field (`Authorization`, or `Proxy-Authorization` behind
//!    [`AuthLayer::proxy`](crate::AuthLayer::proxy)) is read through the crate's one
//!    auth-param parser ([`header`](crate::header)). Malformed, missing or duplicated
//!    parameters, `username` with `username*`, an `nc` that is not 8 hex digits, or a `uri`
//!    that is not the request-target → `400`.
//! 2. The realm must be ours, the algorithm (absent = `MD5`) one we offered, the `opaque`
//!    ours if it is sent (it may be left out: axios-digest-auth never returns it), and the
//!    `qop` one we offered → otherwise `401` with fresh challenges.
//! 3. The nonce's signature (HMAC-SHA256 under the server secret) is checked. A forged or
//!    tampered nonce → `401`.
//! 4. Your store returns the user's H(A1) (or password): see [the store](#the-store).
//!    Unknown users go through the same hashing and comparison as known ones.
//!    The username it is asked for, and a password it returns, are taken in their RFC 8265
//!    forms (see [`Digest::precis`]); a username that PRECIS refuses → `401`, no lookup.
//! 5. The response is recomputed and compared in constant time. Wrong → `401` (no
//!    `stale`, so the client asks the user again).
//! 6. Right, but the nonce expired, or was used up ([`Digest::max_nonce_uses`]), or this
//!    (nonce, nc) was seen before, or the
//!    [`NonceStore`] cannot vouch for it → `401` with `stale=true`: curl, requests, httpx
//!    and Chromium retry with the new nonce without asking the user.
//! 7. Success: the user goes to the handler, and the response carries
//!    `Authentication-Info` with `rspauth`, `qop`, `nc`, `cnonce` and, when the nonce nears
//!    its end, `nextnonce`.
//!
//! A store failure is answered `500` and logged, never `401` and never a pass.
//!
//! # The store
//!
//! [`Digest`] asks its store for the user a request names, with a [`DigestLookup`] (the
//! username, the realm, the algorithm), and the store answers with a [`DigestUser`]: the
//! user handed to your handlers, and the H(A1) (or the password) the response is checked
//! with. The store is a [`Verifier`]`<DigestLookup>` whose user is a `DigestUser<U>`, so it
//! takes every form a verifier takes (see [`verify`](crate::verify)):
//!
//! - [`DigestUsers`], a table in memory;
//! - an async closure `Fn(DigestLookup) -> impl Future<Output = …>`, for a database;
//! - [`sync_fn`](crate::sync_fn), for a table that never waits;
//! - [`with_request`](crate::with_request), for a store that also reads the request head
//!   (per-tenant users chosen by the `Host` header).
//!
//! It answers `Some(user)` (or `Ok(Some(user))`), `None` for an unknown user (`401`, after the
//! same work as a wrong password), or an error when the store itself failed (`500`, logged):
//!
//! ```
//! use tower_httpauth::AuthLayer;
//! use tower_httpauth::digest::{Algorithm, Digest, DigestLookup, DigestUser};
//!
//! let digest = Digest::new(|l: DigestLookup| async move {
//!     // Your database: H(A1) per user and base algorithm.
//!     let ha1 = Algorithm::ha1(l.algorithm().base(), "john", l.realm(), "hello");
//!     Ok::<_, std::io::Error>((l.username() == "john").then(|| DigestUser::with_ha1("john".to_string(), ha1)))
//! })
//! .realm("api@example.org");
//! # let _ = AuthLayer::new(digest);
//! ```
//!
//! A store that never waits, keeping passwords (the scheme computes H(A1) from them):
//!
//! ```
//! use tower_httpauth::{AuthLayer, sync_fn};
//! use tower_httpauth::digest::{Digest, DigestLookup, DigestUser};
//!
//! let digest = Digest::new(sync_fn(|l: &DigestLookup| {
//!     (l.username() == "john").then(|| DigestUser::with_password("john".to_string(), "hello"))
//! }));
//! # let _ = AuthLayer::new(digest);
//! ```
//!
//! # HA1 is a password-equivalent
//!
//! Digest never sends the password, but the server must know `H(A1) =
//! H(username ":" realm ":" password)`, and **H(A1) is all a client needs to answer any
//! challenge of that realm**. Whoever reads your H(A1) table can log in as every user in
//! it, without cracking anything. Storing H(A1) rather than the password only keeps the
//! password itself (reused elsewhere) from leaking, and scopes the damage to one realm
//! (RFC 7616 §5.2). Salted slow password hashes (Argon2, bcrypt) are impossible with
//! Digest; as the `http-auth` crate's documentation puts it, a server offering Digest
//! advertises that it stores password-equivalents. Protect the H(A1) store like
//! plaintext passwords, put the host name in the realm, and prefer Basic over TLS with
//! hashed passwords when you control the clients.
//!
//! # Which offer works with which client
//!
//! Observed with curl 7.88.1, requests 2.34.2, httpx 0.28.1, wget 1.21.3 and Chromium:
//!
//! | offer | curl | requests | httpx | wget | Chromium |
//! |---|---|---|---|---|---|
//! | `SHA-256` then `MD5` (the default) | SHA-256 | MD5 (last line wins) | SHA-256 | MD5 | SHA-256 |
//! | `MD5` then `SHA-256` | MD5 | SHA-256 (last line wins) | MD5 | MD5 | MD5 |
//! | `MD5` only | ✔ | ✔ | ✔ | ✔ | ✔ |
//! | `SHA-256` only | ✔ | ✔ | ✔ | ✘ (MD5 without `algorithm`: refused) | ✔ |
//! | `MD5-sess` | ✔ | ✔ | ✔ | ✔ | ✔ |
//! | `SHA-256-sess` | ✔ | ✘ | ✔ | ✘ | ✔ |
//! | `SHA-512-256` | ✘ (curl 7.x hashes with SHA-256) | ✘ | ✘ | ✘ | ✘ (skips it) |
//! | `qop="auth, auth-int"` | auth | auth | auth | RFC 2069 form | auth |
//! | `qop="auth-int"` only | ✘ on POST | ✘ | ✘ | RFC 2069 form | RFC 2069 form |
//! | `userhash=true` | ✔ | ignored (plain name, accepted) | ignored | ignored | ✔ |
//! | reuses the nonce with `nc=00000002` | no | yes | yes | no | yes |
//! | retries after `stale=true` | ✔ | ✔ | ✔ | ✘ | ✔ |
//!
//! Keep `qop="auth"`: offering `auth-int` too sends wget to the RFC 2069 form, and offering
//! only `auth-int` breaks most clients. Offer `SHA-512-256` only as an extra, never alone.
//! The curl, requests, httpx and wget rows are exercised by this crate's interop tests.
//!
//! Other clients, measured against this crate in the 2026-12 security review (those marked
//! † measured again for this table: Python 3.11, Perl LWP 6.68, OpenJDK 17.0.15,
//! `@mhoc/axios-digest-auth` 0.8.0); "takes" is the challenge a client answers when several
//! are offered (– where not recorded):
//!
//! | client | answers | takes | default offer | MD5 first |
//! |---|---|---|---|---|
//! | curl, httpx † | MD5, SHA-256, their `-sess` | the first | ✔ SHA-256 | ✔ MD5 |
//! | Chromium | MD5, SHA-256, their `-sess` | the first it supports | ✔ SHA-256 | ✔ MD5 |
//! | requests †, httpie (built on requests) | MD5, MD5-sess, SHA-256 | the last | ✔ MD5 | ✔ SHA-256 |
//! | wget †, Perl LWP † | MD5 | – | ✔ MD5 | ✔ MD5 |
//! | aiohttp 3.14 | all but SHA-512-256; `auth-int` works | the first | ✔ SHA-256 | ✔ MD5 |
//! | Java 17 `HttpURLConnection` † | MD5, MD5-sess, SHA-256 (not SHA-256-sess, SHA-512-256); `auth-int` in RFC 2069 form | the last | ✔ MD5 | ✔ SHA-256 |
//! | Java 25 `HttpURLConnection` | every SHA variant; MD5 only with `-Dhttp.auth.digest.reEnabledAlgorithms=MD5` | – | ✘ | ✔ |
//! | Python `urllib.request` † | MD5 | the first only | ✘ | ✔ MD5 |
//! | Ruby net-http-digest-auth | MD5, MD5-sess; SHA-256 only spelt `SHA256` | – | ✘ | ✔ MD5 |
//! | w3m | MD5, MD5-sess | the first only | ✘ | ✔ MD5 |
//! | digest-fetch (npm) | all but `auth-int` | – | ✔ | ✔ |
//! | `urllib` (npm) | MD5, sent without `algorithm` | – | ✔ MD5 | ✔ MD5 |
//! | `request` (npm) | labels its answer SHA-256 but hashes with MD5 | – | ✔ | ✘ |
//! | axios-digest-auth † | MD5, never returns `opaque` (accepted) | `nonce` of the first | ✔ MD5 | ✔ MD5 |
//! | ELinks, lynx | no Digest in practice | – | ✘ | ✘ |
//!
//! ## SHA-256 first or MD5 first
//!
//! No order serves every client: a client answers the challenge it picks (the first, the
//! last, the first it supports), and the server cannot know in advance which.
//!
//! - **SHA-256 first (the default)** gives curl, httpx, aiohttp and Chromium SHA-256, the
//!   others that answer MD5, and shuts out the clients that read only the first challenge
//!   and cannot answer it (Python's `urllib`, the Ruby gem, w3m) and Java 25.
//! - **MD5 first** lets those four in, but shuts out npm `request` (it answers the SHA-256
//!   challenge with an MD5 hash, which is refused), and moves curl, httpx, aiohttp and
//!   Chromium down to MD5, while requests, httpie and Java 17 move up to SHA-256.
//!
//! The default stays SHA-256 first: RFC 7616 §3.7 asks for the preferred algorithm first,
//! MD5 is there for backward compatibility only (§3.2), and the clients SHA-256 first
//! shuts out are those that cannot do SHA-256 at all. When you must serve them, offer MD5
//! first with [`Digest::algorithms`] (your store then answers for both base algorithms, as
//! [`DigestUsers`] does):
//!
//! ```
//! use std::convert::Infallible;
//! use http::{Request, Response};
//! use tower::{ServiceBuilder, ServiceExt};
//! use tower_httpauth::AuthLayer;
//! use tower_httpauth::digest::{Algorithm, Digest, DigestUsers};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let realm = "http-auth@example.org";
//! let users = DigestUsers::new(realm).with_password("Mufasa", "Circle of Life");
//! // MD5 first, for clients that read only the first challenge (Python's urllib, w3m, …).
//! let digest = Digest::new(users).realm(realm).algorithms([Algorithm::Md5, Algorithm::Sha256]);
//!
//! let svc = ServiceBuilder::new()
//!     .layer(AuthLayer::new(digest))
//!     .service_fn(|_: Request<String>| async { Ok::<_, Infallible>(Response::new(String::new())) });
//! let res = svc.oneshot(Request::new(String::new())).await.unwrap();
//! let offer: Vec<_> = res.headers().get_all("www-authenticate").iter().map(|v| v.to_str().unwrap()).collect();
//! assert_eq!(offer.len(), 2);
//! assert!(offer[0].contains("algorithm=MD5,"), "MD5 first: {offer:?}");
//! assert!(offer[1].contains("algorithm=SHA-256,"), "SHA-256 second: {offer:?}");
//! # }
//! ```
//!
//! # RFC 2069 responses
//!
//! Responses without `qop` (RFC 2069's `KD(H(A1), nonce ":" H(A2))`) carry no client
//! nonce and no count, so they are weaker against chosen-plaintext attacks; RFC 7616
//! deprecates them. They are **refused** (`401`) unless [`Digest::allow_rfc2069`] is set,
//! which wget (and Chromium facing an auth-int-only challenge) may need. An accepted
//! RFC 2069 nonce is good for one request. `-sess` algorithms never accept them.
//!
//! # auth-int
//!
//! The auth layer never reads bodies. To offer `auth-int`, add it with [`Digest::qops`]
//! and put a [`DigestBodyLayer`] around the auth layer: it buffers the body of
//! `qop=auth-int` requests (up to a limit, `413` beyond) and hands the same bytes on. If
//! auth-int is used but that layer is missing, the scheme answers `500` and logs why. Behind
//! [`AuthLayer::proxy`](crate::AuthLayer::proxy), use [`DigestBodyLayer::proxy`] too.
//!
//! # Fleets
//!
//! Nonces are stateless: any instance with the same [`secret`](Digest::secret) and realm
//! accepts them. Replay protection needs shared state across instances: implement
//! [`NonceStore`] over a shared store, or use `Redis::nonce_store()` (feature `redis`).
//! The default [`MemoryNonceStore`] covers one process, shared by the clones of a [`Digest`].
//!
//! A multi-instance deployment behind a load balancer:
//!
//! - every instance has the same realm and the same [`secret`](Digest::secret) (32 or more
//!   random bytes from your secret store, not the per-process default): a nonce issued by
//!   one is accepted by all;
//! - every instance uses `Redis::nonce_store()` on the same Redis with the same key prefix:
//!   a (nonce, nc) accepted by one is refused by all (a replay sent to another instance is
//!   answered `401` with `stale=true`), and the nonce's key expires with the nonce;
//! - the store always fails closed: when Redis is down or slow, right credentials are
//!   refused with `500` (logged), never accepted;
//! - the throttle shares its counts, and token revocations their list, on the same Redis
//!   (one `redis::Redis` makes all three stores);
//! - clocks in sync (NTP), since each instance checks nonce expiry on its own clock.
//!
//! See also SECURITY.md, "Running several instances".

mod algorithm;
mod body;
mod check;
mod credentials;
mod hex;
mod nonce;
mod replay;
mod request;
mod store;

pub use algorithm::{Algorithm, Qop};
pub use body::DigestBodyLayer;
pub use replay::{MemoryNonceStore, NonceCheck, NonceStore, NonceUse};
pub use store::{DigestLookup, DigestUser, DigestUsers};

use std::borrow::Cow;
use std::fmt;
use std::future::{Future, ready};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use http::header::WWW_AUTHENTICATE;
use http::{HeaderMap, HeaderValue};

use crate::failure::{AuthFailure, FailureKind};
use crate::header::Challenge;
use crate::precis::Precis;
use crate::scheme::{AuthRequest, Authenticated, Scheme};
use crate::verify::Verifier;
use credentials::DigestCredentials;
use nonce::{MIN_SECRET_LEN, NonceSigner, random_bytes};

/// The scheme name, and the name failures of this scheme carry ([`AuthFailure::scheme`]).
const SCHEME: &str = "Digest";

/// How long a nonce is valid unless [`Digest::nonce_lifetime`] says otherwise.
const DEFAULT_NONCE_LIFETIME: Duration = Duration::from_secs(300);

/// Everything a [`Digest`] was told, and what follows from it; shared with each
/// verification.
#[derive(Clone)]
struct Config {
    realm: Arc<str>,
    algorithms: Vec<Algorithm>,
    qops: Vec<Qop>,
    userhash: bool,
    allow_rfc2069: bool,
    nextnonce_within: Option<Duration>,
    max_nonce_uses: Option<u32>,
    authentication_info: bool,
    precis: Precis,
    /// The `domain` URIs, space-separated (RFC 7616 §3.3), when configured.
    domain: Option<String>,
    secret: Arc<[u8]>,
    lifetime: Duration,
    /// The replay store, shared by the clones.
    nonces: Arc<dyn NonceStore>,
    /// Built from the secret, the realm and the lifetime.
    signer: NonceSigner,
    opaque: String,
    /// The offered qops as one challenge value (`auth, auth-int`).
    qop_value: String,
    /// Stand-in H(A1) bytes for unknown users (same work as a known one).
    dummy: [u8; 32],
    /// Whether the store has answered a lookup with a password: from then on every lookup,
    /// known or not, computes one H(A1) from a password (see `check.rs`). Shared by the
    /// clones, which share the store.
    passwords_seen: Arc<AtomicBool>,
}

impl Config {
    /// Recomputes what follows from the settings.
    fn rebuild(&mut self) {
        self.signer = NonceSigner::new(&self.secret, &self.realm, self.lifetime);
        self.opaque = self.signer.opaque();
        self.qop_value = self.qops.iter().map(|q| q.name()).collect::<Vec<_>>().join(", ");
    }
}

/// The Digest scheme (RFC 7616) over the store `V`: a [`Verifier`]`<DigestLookup>` yielding
/// [`DigestUser<U>`](DigestUser), whose `U` goes to your handlers. See the
/// [module docs](self).
pub struct Digest<V> {
    store: Arc<V>,
    config: Arc<Config>,
}

/// Cheap (two `Arc`s): the clone shares the store, the replay store and the nonce secret,
/// so a nonce used on one route cannot be replayed on another. Refine the clone (e.g.
/// [`max_nonce_uses`](Digest::max_nonce_uses)) for a second layer.
impl<V> Clone for Digest<V> {
    fn clone(&self) -> Self {
        Digest {
            store: self.store.clone(),
            config: self.config.clone(),
        }
    }
}

impl<V> fmt::Debug for Digest<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        f.debug_struct("Digest")
            .field("realm", &c.realm)
            .field("algorithms", &c.algorithms)
            .field("qops", &c.qops)
            .field("userhash", &c.userhash)
            .field("allow_rfc2069", &c.allow_rfc2069)
            .field("precis", &c.precis)
            .field("nonce_lifetime", &c.lifetime)
            .field("domain", &c.domain)
            .field("secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl<V, U> Digest<V>
where
    V: Verifier<DigestLookup, User = DigestUser<U>>,
    U: Clone + Send + Sync + 'static,
{
    /// Digest with `store` (see [the store](self#the-store)), realm `"Restricted"`, offering
    /// SHA-256 then MD5 with `qop="auth"`, a random secret, 5-minute nonces and a
    /// [`MemoryNonceStore`].
    pub fn new(store: V) -> Self {
        let mut secret = [0u8; 32];
        random_bytes(&mut secret);
        let mut dummy = [0u8; 32];
        random_bytes(&mut dummy);
        let realm: Arc<str> = Arc::from("Restricted");
        let mut config = Config {
            signer: NonceSigner::new(&secret, &realm, DEFAULT_NONCE_LIFETIME),
            realm,
            algorithms: vec![Algorithm::Sha256, Algorithm::Md5],
            qops: vec![Qop::Auth],
            userhash: false,
            allow_rfc2069: false,
            nextnonce_within: None,
            max_nonce_uses: None,
            authentication_info: true,
            precis: Precis::Enforce,
            domain: None,
            secret: Arc::from(&secret[..]),
            lifetime: DEFAULT_NONCE_LIFETIME,
            nonces: Arc::new(MemoryNonceStore::new()),
            opaque: String::new(),
            qop_value: String::new(),
            dummy,
            passwords_seen: Arc::default(),
        };
        config.rebuild();
        Digest {
            store: Arc::new(store),
            config: Arc::new(config),
        }
    }
}

impl<V> Digest<V> {
    fn edit(mut self, f: impl FnOnce(&mut Config)) -> Self {
        let config = Arc::make_mut(&mut self.config);
        f(config);
        config.rebuild();
        self
    }

    /// Sets the realm (RFC 7616 §3.3; it SHOULD name the host, §5.2). Nonces are bound to it.
    ///
    /// # Panics
    ///
    /// If `realm` contains a control character other than HTAB.
    pub fn realm(self, realm: impl Into<String>) -> Self {
        let realm = realm.into();
        assert!(
            !realm.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7F),
            "Digest realm must not contain control characters"
        );
        self.edit(|c| c.realm = Arc::from(realm))
    }

    /// The protection space (RFC 7616 §3.3 `domain`): the URIs whose requests take the same
    /// credentials, sent in every challenge as one quoted, space-separated list, e.g.
    /// `domain="/api /admin https://mirror.example.org/"`. An absolute path is relative to
    /// this server's root; an absolute URI may name another server. Clients may then send
    /// credentials to those URIs before being challenged. Not sent unless set; an empty list
    /// removes it.
    ///
    /// ```
    /// use tower_httpauth::digest::{Digest, DigestUsers};
    /// let digest = Digest::new(DigestUsers::new("api@example.org"))
    ///     .realm("api@example.org")
    ///     .domain(["/api", "/admin"]);
    /// # let _ = digest;
    /// ```
    ///
    /// # Panics
    ///
    /// If a URI is empty or holds anything but visible ASCII other than `"` (no control
    /// characters, no spaces: they would break the list).
    pub fn domain<I>(self, uris: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let mut list = String::new();
        for uri in uris {
            let uri = uri.as_ref();
            assert!(
                !uri.is_empty() && uri.bytes().all(|b| b.is_ascii_graphic() && b != b'"'),
                "a Digest domain URI must be non-empty visible ASCII without `\"`, spaces or control characters: {uri:?}"
            );
            if !list.is_empty() {
                list.push(' ');
            }
            list.push_str(uri);
        }
        self.edit(|c| c.domain = (!list.is_empty()).then_some(list))
    }

    /// The algorithms offered, most preferred first, one `WWW-Authenticate` field each
    /// (default: SHA-256, MD5). Responses with any other algorithm are refused. Which
    /// clients each order serves, and how to offer MD5 first: see the
    /// [module docs](self#sha-256-first-or-md5-first).
    ///
    /// # Panics
    ///
    /// If the list is empty.
    pub fn algorithms(self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        let mut list: Vec<Algorithm> = Vec::new();
        for a in algorithms {
            if !list.contains(&a) {
                list.push(a);
            }
        }
        assert!(!list.is_empty(), "Digest needs at least one algorithm");
        self.edit(|c| c.algorithms = list)
    }

    /// The qop values offered (default: `auth`). Offering `auth-int` needs a
    /// [`DigestBodyLayer`] around the auth layer.
    ///
    /// # Panics
    ///
    /// If the list is empty: RFC 7616 requires a qop in every challenge, and `-sess`
    /// algorithms cannot work without one.
    pub fn qops(self, qops: impl IntoIterator<Item = Qop>) -> Self {
        let mut list: Vec<Qop> = Vec::new();
        for q in qops {
            if !list.contains(&q) {
                list.push(q);
            }
        }
        assert!(!list.is_empty(), "Digest needs at least one qop");
        self.edit(|c| c.qops = list)
    }

    /// Sends `userhash=true` in challenges (RFC 7616 §3.4.4), so that clients that support
    /// it (curl, Chromium) send `H(username ":" realm)` instead of the name (default: off).
    /// Plain names are still accepted (requests, httpx and wget ignore userhash). The store
    /// must then find users by [`Algorithm::userhash`] when [`DigestLookup::userhash`] is set
    /// ([`DigestUsers`] does).
    pub fn userhash(self, enabled: bool) -> Self {
        self.edit(|c| c.userhash = enabled)
    }

    /// Accepts RFC 2069-style responses (no `qop`, no `nc`, no `cnonce`) for legacy
    /// clients such as wget. Off by default; see the [module docs](self#rfc-2069-responses).
    pub fn allow_rfc2069(self, allow: bool) -> Self {
        self.edit(|c| c.allow_rfc2069 = allow)
    }

    /// How long a nonce is valid (default 5 minutes). A correct response on an expired
    /// nonce gets `401` with `stale=true`.
    ///
    /// Each nonce carries the lifetime it was issued with, signed: layers sharing the secret
    /// (clones, a fleet) accept each other's nonces until that expiry, and answer `stale=true`
    /// to a nonce issued with a longer lifetime than their own, so that no (nonce, nc) outlives
    /// its replay record on any of them.
    pub fn nonce_lifetime(self, lifetime: Duration) -> Self {
        self.edit(|c| c.lifetime = lifetime)
    }

    /// Sends `nextnonce` in `Authentication-Info` when the nonce has less than `within`
    /// left (default: a fifth of the lifetime). No tested client uses it yet.
    pub fn nextnonce_within(self, within: Duration) -> Self {
        self.edit(|c| c.nextnonce_within = Some(within))
    }

    /// Limited-use nonces (RFC 7616 §5.5, which suggests them for `POST` and `PUT`): a nonce
    /// authenticates at most `uses` requests (`nc` up to `uses`). A later request with an
    /// otherwise correct response gets `401` with `stale=true` and a fresh nonce, which
    /// curl, requests, httpx and Chromium answer at once without asking the user again; from
    /// the last allowed use on, `Authentication-Info` carries `nextnonce`. Unlimited by
    /// default (the nonce lifetime still applies). Each exhausted nonce costs the client a
    /// round trip, so put a low limit on the write routes only, with a second layer:
    ///
    /// ```
    /// use axum::{Router, routing::{get, post}};
    /// use tower_httpauth::AuthLayer;
    /// use tower_httpauth::digest::{Digest, DigestUsers};
    ///
    /// let users = DigestUsers::new("api").with_password("john", "hello");
    /// let digest = Digest::new(users).realm("api").secret(b"one secret for both layers");
    /// let app: Router = Router::new()
    ///     .route("/items", get(|| async { "list" }).route_layer(AuthLayer::new(digest.clone())))
    ///     .route("/items/new", post(|| async { "created" }).route_layer(AuthLayer::new(digest.max_nonce_uses(1))));
    /// ```
    ///
    /// # Panics
    ///
    /// If `uses` is 0.
    pub fn max_nonce_uses(self, uses: u32) -> Self {
        assert!(uses > 0, "a nonce must be usable at least once");
        self.edit(|c| c.max_nonce_uses = Some(uses))
    }

    /// Whether successful responses carry `Authentication-Info` (`rspauth`, `qop`, `nc`,
    /// `cnonce`, `nextnonce`; RFC 7616 §3.5). On by default; turning it off saves the
    /// rspauth's hashing, and no tested client checks `rspauth`.
    pub fn authentication_info(self, enabled: bool) -> Self {
        self.edit(|c| c.authentication_info = enabled)
    }

    /// Sets the secret that signs nonces (random by default). Give every instance of a
    /// fleet the same secret so that any of them accepts the others' nonces.
    ///
    /// # Panics
    ///
    /// If `secret` is shorter than 16 bytes.
    pub fn secret(self, secret: impl AsRef<[u8]>) -> Self {
        let secret = secret.as_ref();
        assert!(
            secret.len() >= MIN_SECRET_LEN,
            "the Digest nonce secret must be at least {MIN_SECRET_LEN} bytes"
        );
        let secret: Arc<[u8]> = Arc::from(secret);
        self.edit(|c| c.secret = secret)
    }

    /// Whether usernames and passwords are enforced per RFC 8265 (default
    /// [`Precis::Enforce`], as RFC 7616 §4 asks; see [`precis`](crate::precis)).
    ///
    /// With [`Precis::Enforce`]:
    ///
    /// - the username (`username`, or `username*` once decoded) is enforced per
    ///   UsernameCasePreserved before the store lookup: the store sees `john` for `ｊｏｈｎ`,
    ///   and a name the profile refuses is answered `401` without a lookup. A userhash is
    ///   looked up as sent (the client hashed the enforced name, RFC 7616 §4);
    /// - when the store returns a password ([`DigestUser::with_password`]), H(A1) is computed
    ///   over the enforced name and the OpaqueString-enforced password (NFC, as UTF-8), so a
    ///   password stored decomposed matches a client that hashed it precomposed. A stored
    ///   password the profile refuses (an empty one) never matches;
    /// - an H(A1) the store returns is used as is: compute it over the enforced forms
    ///   ([`DigestUsers`] does).
    ///
    /// ASCII names and passwords are already in their enforced forms and cost nothing
    /// more. [`Precis::Off`] uses the name and password byte for byte.
    ///
    /// ```
    /// use tower_httpauth::precis::Precis;
    /// use tower_httpauth::digest::{Digest, DigestUsers};
    /// let users = DigestUsers::new("api").with_password("john", "hello");
    /// let digest = Digest::new(users).realm("api").precis(Precis::Off);
    /// # let _ = digest;
    /// ```
    pub fn precis(self, mode: Precis) -> Self {
        self.edit(|c| c.precis = mode)
    }

    /// Replaces the replay store (default: a [`MemoryNonceStore`] of this `Digest` and its
    /// clones). A fleet shares one store, such as `Redis::nonce_store()` (feature `redis`).
    pub fn nonce_store(self, store: impl NonceStore) -> Self {
        let store: Arc<dyn NonceStore> = Arc::new(store);
        self.edit(|c| c.nonces = store)
    }

    /// The challenge for `algorithm` with `nonce`, as one `WWW-Authenticate` value.
    fn challenge_value(&self, algorithm: Algorithm, nonce: &str, stale: bool) -> Option<HeaderValue> {
        let c = &self.config;
        let mut challenge = Challenge::new(SCHEME).quoted("realm", &c.realm);
        if let Some(domain) = &c.domain {
            challenge = challenge.quoted("domain", domain);
        }
        challenge = challenge
            .quoted("qop", &c.qop_value)
            .token("algorithm", algorithm.name())
            .quoted("nonce", nonce)
            .quoted("opaque", &c.opaque)
            .token("charset", "UTF-8");
        if c.userhash {
            challenge = challenge.token("userhash", "true");
        }
        if stale {
            challenge = challenge.token("stale", "true");
        }
        challenge.to_header_value()
    }
}

/// The future of a Digest verification: the store's lookup, then the response check and the
/// replay store ([`check`]), as one boxed `async` block per request.
type DigestFuture<U> = Pin<Box<dyn Future<Output = Result<Authenticated<U>, AuthFailure>> + Send>>;

impl<V, U> Scheme for Digest<V>
where
    V: Verifier<DigestLookup, User = DigestUser<U>>,
    U: Clone + Send + Sync + 'static,
{
    type User = U;
    type Future = DigestFuture<U>;

    fn detect(&self, request: &AuthRequest<'_>) -> bool {
        request.carries(SCHEME)
    }

    fn authenticate(&self, request: &AuthRequest<'_>) -> Self::Future {
        let pending = match request::read(&self.config, request) {
            Ok(Some(pending)) => pending,
            Ok(None) => return Box::pin(ready(Err(AuthFailure::missing().with_scheme(SCHEME)))),
            Err(failure) => return Box::pin(ready(Err(failure))),
        };
        let lookup = self.store.verify(pending.lookup(&self.config.realm), request.parts());
        Box::pin(check::verify(self.config.clone(), pending, lookup))
    }

    fn challenge(&self, failure: &AuthFailure, challenges: &mut HeaderMap) {
        let stale = failure.kind() == FailureKind::StaleNonce;
        let nonce = self.config.signer.issue();
        for &alg in &self.config.algorithms {
            if let Some(v) = self.challenge_value(alg, &nonce, stale) {
                challenges.append(WWW_AUTHENTICATE, v);
            }
        }
    }

    /// The `username` the credentials claim, for the [`throttle`](crate::throttle):
    ///
    /// - `username="…"`: as sent;
    /// - `username*=UTF-8''…`: the decoded name (the same user as the plain form);
    /// - either in its RFC 8265 enforced form, unless [`Digest::precis`] is off (`ｊｏｈｎ`
    ///   is counted as `john`);
    /// - `userhash=true`: `userhash:` followed by the hash in lower case. The hash is
    ///   `H(user ":" realm)`, stable for one user, realm and algorithm, so failures are
    ///   still counted per user (an attacker can spread guesses over at most the offered
    ///   algorithms, one counter each); resolving it to the plain name would need the
    ///   store before any throttling.
    ///
    /// `None` when the credentials field is missing, too long or not parseable Digest
    /// credentials (the throttle then counts per client address only).
    fn username<'a>(&self, request: &AuthRequest<'a>) -> Option<Cow<'a, str>> {
        let params = request.credentials(SCHEME).ok()??;
        let creds = DigestCredentials::parse_params(params).ok()?;
        if creds.userhash() {
            return Some(Cow::Owned(format!(
                "userhash:{}",
                creds.username().to_ascii_lowercase()
            )));
        }
        let name = creds.username();
        Some(Cow::Owned(match self.config.precis {
            // The name the store is asked for (a refused one is answered 401 anyway).
            Precis::Enforce => crate::precis::username_or_same(name).into_owned(),
            _ => name.to_owned(),
        }))
    }

    /// `true`: Digest reads the credentials field only, which the layer handles itself (an
    /// `auth-int` body is [`DigestBodyLayer`]'s).
    fn can_remove_credentials(&self) -> bool {
        true
    }
}

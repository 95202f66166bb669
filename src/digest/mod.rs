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
//! 1. `Authorization: Digest …` is parsed by [`DigestCredentials::parse`] (through the
//!    crate's one auth-param parser). Malformed, missing or duplicated parameters,
//!    `username` with `username*`, an `nc` that is not 8 hex digits, or a `uri` that is
//!    not the request-target → `400`.
//! 2. The realm must be ours, the algorithm (absent = `MD5`) one we offered, the `opaque`
//!    ours if it is sent (it may be left out: axios-digest-auth never returns it), and the
//!    `qop` one we offered → otherwise `401` with fresh challenges.
//! 3. The nonce's signature (HMAC-SHA256 under the server secret) is checked. A forged or
//!    tampered nonce → `401`.
//! 4. Your [`DigestCredentialStore`] returns the user's H(A1) (or password). Unknown users
//!    go through the same hashing and comparison as known ones.
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
//! auth-int is used but that layer is missing, the scheme answers `500` and logs why.
//!
//! # Fleets
//!
//! Nonces are stateless: any instance with the same [`secret`](Digest::secret) and realm
//! accepts them. Replay protection needs shared state across instances: implement
//! [`NonceStore`] over a shared store, or use `RedisNonceStore` (feature `redis`). The
//! default [`MemoryNonceStore`] covers one process.
//!
//! A multi-instance deployment behind a load balancer:
//!
//! - every instance has the same realm and the same [`secret`](Digest::secret) (32 or more
//!   random bytes from your secret store, not the per-process default): a nonce issued by
//!   one is accepted by all;
//! - every instance uses a `RedisNonceStore` on the same Redis with the same key prefix:
//!   a (nonce, nc) accepted by one is refused by all (a replay sent to another instance is
//!   answered `401` with `stale=true`), and the nonce's key expires with the nonce;
//! - the store fails closed: when Redis is unreachable, right credentials are refused as
//!   stale (or `500`, see `RedisNonceStore::errors_as_500`), never accepted;
//! - the throttle shares its counts through `throttle::RedisStore`, and token revocations
//!   through `token::RedisRevocations`, on the same Redis (one connection manager can serve
//!   all three, see their `new` constructors);
//! - clocks in sync (NTP), since each instance checks nonce expiry on its own clock.
//!
//! See also SECURITY.md, "Running several instances".
//!
//! # Futures
//!
//! The scheme's future ([`DigestFuture`]) is written by hand: it holds the credential
//! store's future, then the nonce store's, inline (no box), with the request's values
//! kept in one buffer between the two.

mod algorithm;
mod body;
mod credentials;
mod nonce;
#[cfg(feature = "redis")]
mod redis_store;
mod replay;
mod store;

pub use algorithm::{Algorithm, Hex, MAX_HEX_LEN, Qop, UnknownAlgorithm, client_response};
pub use body::{DigestBody, DigestBodyFuture, DigestBodyLayer, DigestBodyService};
pub use credentials::{DigestCredentials, DigestParseError, MAX_PARAM_LEN};
pub use nonce::MIN_SECRET_LEN;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis_store::RedisNonceStore;
pub use replay::{MemoryNonceStore, NonceCheck, NonceStore, NonceUse};
pub use store::{DigestCredentialStore, DigestLookup, DigestSecret, DigestUser, DigestUsers};

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use http::header::{HOST, WWW_AUTHENTICATE};
use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::basic::{DEFAULT_MAX_HEADER_LEN, authorization};
use crate::compare::constant_time_eq;
use crate::failure::{AuthFailure, FailureKind};
use crate::header::{Challenge, split_scheme, write_quoted_to};
use crate::precis::Precis;
use crate::scheme::{Authenticated, Scheme, Started};
use algorithm::{Hasher, RawDigest};
use nonce::{NonceSigner, now_ms, random_bytes};
use pin_project_lite::pin_project;

/// The `Authentication-Info` response header (RFC 9110 §11.6.3).
pub const AUTHENTICATION_INFO: HeaderName = HeaderName::from_static("authentication-info");

/// The default nonce lifetime: 5 minutes.
pub const DEFAULT_NONCE_LIFETIME: Duration = Duration::from_secs(300);

const SCHEME: &str = "Digest";

#[derive(Clone)]
struct Config {
    realm: Arc<str>,
    algorithms: Vec<Algorithm>,
    qops: Vec<Qop>,
    qop_value: String,
    userhash: bool,
    allow_rfc2069: bool,
    max_header_len: usize,
    nextnonce_within: Option<Duration>,
    max_nonce_uses: Option<u32>,
    authentication_info: bool,
    precis: Precis,
    secret: Arc<[u8]>,
    lifetime: Duration,
    signer: NonceSigner,
    opaque: String,
    /// The `domain` URIs, space-separated (RFC 7616 §3.3), when configured.
    domain: Option<String>,
    /// Stand-in H(A1) bytes for unknown users (same work as a known one).
    dummy: [u8; 32],
    /// Whether the credential store has answered a lookup with a password: from then on
    /// every lookup, known or not, computes one H(A1) from a password (see `check_response`).
    /// Shared by the clones, which share the store.
    passwords_seen: Arc<std::sync::atomic::AtomicBool>,
}

impl Config {
    fn rebuild(&mut self) {
        self.signer = NonceSigner::new(&self.secret, &self.realm, self.lifetime);
        self.opaque = self.signer.opaque();
        self.qop_value = self.qops.iter().map(|q| q.name()).collect::<Vec<_>>().join(", ");
    }
}

/// The configuration and the replay store, behind the one `Arc` each verification clones.
struct Shared<N> {
    cfg: Config,
    nonces: Arc<N>,
}

impl<N> Clone for Shared<N> {
    fn clone(&self) -> Self {
        Shared {
            cfg: self.cfg.clone(),
            nonces: self.nonces.clone(),
        }
    }
}

impl<N> std::ops::Deref for Shared<N> {
    type Target = Config;
    fn deref(&self) -> &Config {
        &self.cfg
    }
}

/// The Digest scheme (RFC 7616), generic over the credential store `C` and the replay
/// store `N`. See the [module docs](self).
pub struct Digest<C, N = MemoryNonceStore> {
    store: Arc<C>,
    cfg: Arc<Shared<N>>,
}

/// Cheap (two `Arc`s): the clone shares the credential store, the replay store and the
/// nonce secret, so a nonce used on one route cannot be replayed on another. Refine the
/// clone (e.g. [`max_nonce_uses`](Digest::max_nonce_uses)) for a second layer.
impl<C, N> Clone for Digest<C, N> {
    fn clone(&self) -> Self {
        Digest {
            store: self.store.clone(),
            cfg: self.cfg.clone(),
        }
    }
}

impl<C, N> fmt::Debug for Digest<C, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Digest")
            .field("realm", &self.cfg.realm)
            .field("algorithms", &self.cfg.algorithms)
            .field("qops", &self.cfg.qops)
            .field("userhash", &self.cfg.userhash)
            .field("allow_rfc2069", &self.cfg.allow_rfc2069)
            .field("precis", &self.cfg.precis)
            .field("nonce_lifetime", &self.cfg.lifetime)
            .field("domain", &self.cfg.domain)
            .field("secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl<C: DigestCredentialStore> Digest<C, MemoryNonceStore> {
    /// Digest with `store`, realm `"Restricted"`, offering SHA-256 then MD5 with
    /// `qop="auth"`, a random secret, 5-minute nonces and an in-memory replay store.
    pub fn new(store: C) -> Self {
        let mut secret = [0u8; 32];
        random_bytes(&mut secret);
        let mut dummy = [0u8; 32];
        random_bytes(&mut dummy);
        let realm: Arc<str> = Arc::from("Restricted");
        let mut cfg = Config {
            signer: NonceSigner::new(&secret, &realm, DEFAULT_NONCE_LIFETIME),
            realm,
            algorithms: vec![Algorithm::Sha256, Algorithm::Md5],
            qops: vec![Qop::Auth],
            qop_value: String::new(),
            userhash: false,
            allow_rfc2069: false,
            max_header_len: DEFAULT_MAX_HEADER_LEN,
            nextnonce_within: None,
            max_nonce_uses: None,
            authentication_info: true,
            precis: Precis::Enforce,
            secret: Arc::from(&secret[..]),
            lifetime: DEFAULT_NONCE_LIFETIME,
            opaque: String::new(),
            domain: None,
            dummy,
            passwords_seen: Arc::default(),
        };
        cfg.rebuild();
        Digest {
            store: Arc::new(store),
            cfg: Arc::new(Shared {
                cfg,
                nonces: Arc::new(MemoryNonceStore::new()),
            }),
        }
    }
}

impl<C, N> Digest<C, N> {
    fn edit(mut self, f: impl FnOnce(&mut Config)) -> Self {
        let cfg = &mut Arc::make_mut(&mut self.cfg).cfg;
        f(cfg);
        cfg.rebuild();
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
    /// it (curl, Chromium) send `H(username ":" realm)` instead of the name. Plain names
    /// are still accepted (requests, httpx and wget ignore userhash). The credential store
    /// must then find users by [`Algorithm::userhash`] when [`DigestLookup::userhash`] is set.
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
    /// rspauth's H(A2) and the end of its KD hash (about a quarter of a verification's time
    /// in `benches/digest.rs`), and no tested client checks `rspauth`.
    pub fn authentication_info(self, enabled: bool) -> Self {
        self.edit(|c| c.authentication_info = enabled)
    }

    /// Sets the secret that signs nonces (random by default). Give every instance of a
    /// fleet the same secret so that any of them accepts the others' nonces.
    ///
    /// # Panics
    ///
    /// If `secret` is shorter than [`MIN_SECRET_LEN`] (16) bytes.
    pub fn secret(self, secret: impl AsRef<[u8]>) -> Self {
        let secret = secret.as_ref();
        assert!(
            secret.len() >= MIN_SECRET_LEN,
            "the Digest nonce secret must be at least {MIN_SECRET_LEN} bytes"
        );
        let secret: Arc<[u8]> = Arc::from(secret);
        self.edit(|c| c.secret = secret)
    }

    /// Sets the longest `Authorization` field accepted, in bytes (default 4096); longer
    /// fields are answered `431`.
    pub fn max_header_len(self, len: usize) -> Self {
        self.edit(|c| c.max_header_len = len)
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
    /// use tower_httpauth::Precis;
    /// use tower_httpauth::digest::{Digest, DigestUsers};
    /// let users = DigestUsers::new("api").with_password("john", "hello");
    /// let digest = Digest::new(users).realm("api").precis(Precis::Off);
    /// # let _ = digest;
    /// ```
    pub fn precis(self, mode: Precis) -> Self {
        self.edit(|c| c.precis = mode)
    }

    /// Replaces the replay store (default: a [`MemoryNonceStore`]).
    pub fn nonce_store<N2: NonceStore>(self, store: N2) -> Digest<C, N2> {
        Digest {
            store: self.store,
            cfg: Arc::new(Shared {
                cfg: self.cfg.cfg.clone(),
                nonces: Arc::new(store),
            }),
        }
    }

    /// The realm.
    pub fn realm_name(&self) -> &str {
        &self.cfg.realm
    }

    /// The credential store.
    pub fn store(&self) -> &C {
        &self.store
    }

    /// The replay store.
    pub fn nonces(&self) -> &N {
        &self.cfg.nonces
    }

    /// The `opaque` value sent in challenges (derived from the secret and realm).
    pub fn opaque(&self) -> &str {
        &self.cfg.opaque
    }

    /// A fresh nonce, as a challenge would carry.
    pub fn issue_nonce(&self) -> String {
        self.cfg.signer.issue()
    }

    /// The challenge for `algorithm` with `nonce`, as one `WWW-Authenticate` value.
    fn challenge_value(&self, algorithm: Algorithm, nonce: &str, stale: bool) -> Option<HeaderValue> {
        let cfg = &self.cfg;
        let mut c = Challenge::new(SCHEME).quoted("realm", &cfg.realm);
        if let Some(domain) = &cfg.domain {
            c = c.quoted("domain", domain);
        }
        c = c
            .quoted("qop", &cfg.qop_value)
            .token("algorithm", algorithm.name())
            .quoted("nonce", nonce)
            .quoted("opaque", &cfg.opaque)
            .token("charset", "UTF-8");
        if cfg.userhash {
            c = c.token("userhash", "true");
        }
        if stale {
            c = c.token("stale", "true");
        }
        c.to_header_value().ok()
    }
}

fn malformed(description: impl Into<std::borrow::Cow<'static, str>>) -> AuthFailure {
    AuthFailure::malformed(description).with_scheme(SCHEME)
}

fn invalid(description: &'static str) -> AuthFailure {
    AuthFailure::invalid().with_scheme(SCHEME).with_description(description)
}

/// Whether the Digest `uri` parameter names the request-target (RFC 7616 §3.4.6).
fn uri_matches(uri: &str, parts: &Parts) -> bool {
    let target = &parts.uri;
    let pq = target.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    if target.scheme().is_none() {
        // origin-form (or `*`): the exact path and query, or an absolute URI for this host.
        if uri == pq {
            return true;
        }
        let Ok(u) = uri.parse::<http::Uri>() else {
            return false;
        };
        let (Some(_), Some(auth)) = (u.scheme(), u.authority()) else {
            return false;
        };
        let host = parts.headers.get(HOST).and_then(|h| h.to_str().ok());
        u.path_and_query().map(|p| p.as_str()).unwrap_or("/") == pq
            && host.is_some_and(|h| h.eq_ignore_ascii_case(auth.as_str()))
    } else {
        // absolute-form (a request to a proxy): the same absolute URI (scheme and host compare
        // case-insensitively), or its path and query alone, as curl sends through a proxy.
        if uri == pq {
            return true;
        }
        let Ok(u) = uri.parse::<http::Uri>() else {
            return false;
        };
        u.scheme() == target.scheme()
            && u.authority().map(|a| a.as_str().to_ascii_lowercase())
                == target.authority().map(|a| a.as_str().to_ascii_lowercase())
            && u.path_and_query().map(|p| p.as_str()).unwrap_or("/") == pq
    }
}

/// Everything the asynchronous part of a verification needs, owned.
struct Pending {
    alg: Algorithm,
    qop: Option<Qop>,
    userhash: bool,
    /// The username, then the part of KD's input between H(A1) and H(A2): `":" nonce ":"
    /// nc ":" cnonce ":" qop ":"` (RFC 2069 form: `":" nonce ":"`), in one allocation.
    text: String,
    /// Where the username ends (and the KD middle part starts) in `text`.
    user_end: u32,
    /// The nonce's, nc's and cnonce's places in `text` (nc and cnonce empty without qop).
    nonce_at: (u32, u32),
    nc_at: (u32, u32),
    cnonce_at: (u32, u32),
    nc: u32,
    /// The client's response decoded, or `None` when it is not a hex digest of the right
    /// length.
    response: Option<RawDigest>,
    /// H(A2) of the request.
    ha2: Hex,
    /// With `Authentication-Info`: H(A2) of the `rspauth`, replaced by the `rspauth` itself
    /// once the response is right (so the future never holds a running hash).
    rspauth: Option<Hex>,
    issued_ms: u64,
    expires_ms: u64,
}

impl Pending {
    fn slice(&self, (start, end): (u32, u32)) -> &str {
        self.text.get(start as usize..end as usize).unwrap_or("")
    }
    fn username(&self) -> &str {
        self.slice((0, self.user_end))
    }
    fn nonce(&self) -> &str {
        self.slice(self.nonce_at)
    }
    fn nc_str(&self) -> &str {
        self.slice(self.nc_at)
    }
    fn cnonce(&self) -> &str {
        self.slice(self.cnonce_at)
    }
    /// `":" nonce ":" nc ":" cnonce ":" qop ":"` (or `":" nonce ":"`).
    fn kd_middle(&self) -> &str {
        self.text.get(self.user_end as usize..).unwrap_or("")
    }
}

impl<C: DigestCredentialStore, N: NonceStore> Digest<C, N> {
    /// Reads and checks everything that needs no user: `Ok(None)` when the request has
    /// no Digest credentials.
    fn prepare(&self, parts: &Parts) -> Result<Option<Pending>, AuthFailure> {
        let cfg = &*self.cfg;
        let Some(value) = authorization(&parts.headers, cfg.max_header_len).map_err(|f| f.with_scheme(SCHEME))? else {
            return Ok(None);
        };
        let Some((scheme, rest)) = split_scheme(value.as_bytes()) else {
            return Err(malformed("unparseable Authorization header"));
        };
        if !scheme.eq_ignore_ascii_case(SCHEME) {
            return Ok(None);
        }
        let creds = match DigestCredentials::parse_params(rest) {
            Ok(c) => c,
            Err(DigestParseError::UnknownAlgorithm) => return Err(invalid("algorithm not offered")),
            Err(DigestParseError::UnknownQop) => return Err(invalid("qop not offered")),
            Err(e) => return Err(malformed(e.to_string())),
        };
        if creds.realm() != &*cfg.realm {
            return Err(invalid("realm mismatch"));
        }
        let alg = creds.algorithm();
        if !cfg.algorithms.contains(&alg) {
            return Err(invalid("algorithm not offered"));
        }
        // Our `opaque` is a constant and the nonce carries its own signature, so a response
        // without it proves as much as one with it; RFC 7616 §3.4 says clients SHOULD (not
        // MUST) return it, and axios-digest-auth never does. One that differs is refused.
        if let Some(o) = creds.opaque()
            && !constant_time_eq(o.as_bytes(), cfg.opaque.as_bytes())
        {
            return Err(invalid("opaque mismatch"));
        }
        match creds.qop() {
            Some(q) if cfg.qops.contains(&q) => {}
            Some(_) => return Err(invalid("qop not offered")),
            None if alg.is_session() => return Err(malformed("-sess algorithms need qop, nc and cnonce")),
            None if !cfg.allow_rfc2069 => return Err(invalid("RFC 2069 responses (no qop) are not accepted")),
            None => {}
        }
        if !uri_matches(creds.uri(), parts) {
            return Err(malformed("uri does not match the request-target"));
        }
        let Some(info) = cfg.signer.verify(creds.nonce()) else {
            return Err(invalid("unknown or tampered nonce"));
        };
        let body_hash = if creds.qop() == Some(Qop::AuthInt) {
            match parts.extensions.get::<DigestBody>() {
                Some(body) => Some(alg.hash(&[&body.0])),
                None => {
                    return Err(AuthFailure::internal(
                        "Digest qop=auth-int needs DigestBodyLayer around the auth layer (it is missing)",
                    )
                    .with_scheme(SCHEME)
                    .with_description("auth-int body unavailable"));
                }
            }
        } else {
            None
        };
        let uri = creds.uri();
        let (username, nonce) = (creds.username(), creds.nonce());
        // RFC 7616 §4: the name in its UsernameCasePreserved form (no copy when it already
        // is, as every ASCII name without `:` is). A userhash is hex: looked up as sent.
        let username = match cfg.precis {
            Precis::Enforce if !creds.userhash() => {
                crate::precis::username(username).map_err(|_| invalid("username refused by RFC 8265 (PRECIS)"))?
            }
            _ => Cow::Borrowed(username),
        };
        let nc_str = creds.nc_str().unwrap_or("");
        let cnonce = creds.cnonce().unwrap_or("");
        let qop = creds.qop();
        let mut text = String::with_capacity(username.len() + nonce.len() + nc_str.len() + cnonce.len() + 16);
        // Every part is at most MAX_PARAM_LEN bytes, so positions fit in a u32.
        let at = |text: &String| u32::try_from(text.len()).unwrap_or(u32::MAX);
        text.push_str(&username);
        let user_end = at(&text);
        text.push(':');
        let nonce_start = at(&text);
        text.push_str(nonce);
        let nonce_at = (nonce_start, at(&text));
        text.push(':');
        let (mut nc_at, mut cnonce_at) = ((0, 0), (0, 0));
        if let Some(q) = qop {
            let start = at(&text);
            text.push_str(nc_str);
            nc_at = (start, at(&text));
            text.push(':');
            let start = at(&text);
            text.push_str(cnonce);
            cnonce_at = (start, at(&text));
            text.push(':');
            text.push_str(q.name());
            text.push(':');
        }
        Ok(Some(Pending {
            alg,
            qop,
            userhash: creds.userhash(),
            text,
            user_end,
            nonce_at,
            nc_at,
            cnonce_at,
            nc: creds.nc().unwrap_or(0),
            response: RawDigest::from_hex(creds.response(), alg.hex_len()),
            ha2: algorithm::ha2(alg, parts.method.as_str(), uri, body_hash.as_ref()),
            rspauth: cfg
                .authentication_info
                .then(|| algorithm::ha2(alg, "", uri, body_hash.as_ref())),
            issued_ms: info.issued_ms,
            expires_ms: info.expires_ms,
        }))
    }
}

pin_project! {
    /// The future of [`Digest`]'s verification (see the [module docs](self#futures)): the
    /// credential store's lookup, then the replay store's check, with no allocation of its
    /// own.
    pub struct DigestFuture<C: DigestCredentialStore, N: NonceStore> {
        #[pin]
        state: DigestState<C::Future, N::Future>,
        ctx: Option<Ctx<C::User, N>>,
    }
}

pin_project! {
    #[project = DigestStateProj]
    enum DigestState<L, R> {
        Failed { failure: Option<AuthFailure> },
        Lookup { #[pin] fut: L },
        Replay { #[pin] fut: R },
        Done,
    }
}

/// What a verification carries between its steps.
struct Ctx<U, N> {
    cfg: Arc<Shared<N>>,
    p: Pending,
    /// Set once the response is right: the user and the time.
    passed: Option<(U, u64)>,
}

type Output<U> = Result<Authenticated<U>, AuthFailure>;

impl<C: DigestCredentialStore, N: NonceStore> DigestFuture<C, N> {
    fn failed(failure: AuthFailure) -> Self {
        DigestFuture {
            state: DigestState::Failed { failure: Some(failure) },
            ctx: None,
        }
    }
}

impl<C: DigestCredentialStore, N: NonceStore> fmt::Debug for DigestFuture<C, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DigestFuture")
    }
}

impl<C: DigestCredentialStore, N: NonceStore> Future for DigestFuture<C, N> {
    type Output = Output<C::User>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state.as_mut().project() {
                DigestStateProj::Failed { failure } => {
                    return Poll::Ready(Err(failure.take().expect("DigestFuture polled after completion")));
                }
                DigestStateProj::Lookup { fut } => {
                    let found = ready!(fut.poll(cx));
                    let ctx = this.ctx.as_mut().expect("DigestFuture lost its context");
                    let checked = found
                        .map_err(|e| AuthFailure::internal(e).with_scheme(SCHEME))
                        .and_then(|found| check_response(&ctx.cfg, &mut ctx.p, found));
                    match checked {
                        Ok((user, now)) => {
                            let fut = ctx.cfg.nonces.check_and_record(&NonceUse {
                                nonce: ctx.p.nonce(),
                                nc: ctx.p.nc,
                                issued_ms: ctx.p.issued_ms,
                                expires_ms: ctx.p.expires_ms,
                                now_ms: now,
                            });
                            ctx.passed = Some((user, now));
                            this.state.set(DigestState::Replay { fut });
                        }
                        Err(f) => {
                            this.state.set(DigestState::Done);
                            *this.ctx = None;
                            return Poll::Ready(Err(f));
                        }
                    }
                }
                DigestStateProj::Replay { fut } => {
                    let check = ready!(fut.poll(cx));
                    this.state.set(DigestState::Done);
                    let ctx = this.ctx.take().expect("DigestFuture lost its context");
                    return Poll::Ready(finish(ctx, check));
                }
                DigestStateProj::Done => panic!("DigestFuture polled after completion"),
            }
        }
    }
}

impl<C: DigestCredentialStore, N: NonceStore> Digest<C, N> {
    /// What the credential store is asked for this request.
    fn lookup_for(&self, p: &Pending) -> DigestLookup {
        DigestLookup {
            username: p.username().to_owned(),
            realm: self.cfg.realm.clone(),
            algorithm: p.alg,
            userhash: p.userhash,
        }
    }

    /// The future of a verification that waits for a store in `state`.
    fn waiting(
        &self,
        state: DigestState<C::Future, N::Future>,
        p: Pending,
        passed: Option<(C::User, u64)>,
    ) -> DigestFuture<C, N> {
        DigestFuture {
            state,
            ctx: Some(Ctx {
                cfg: self.cfg.clone(),
                p,
                passed,
            }),
        }
    }
}

impl<C: DigestCredentialStore, N: NonceStore> Scheme for Digest<C, N> {
    type User = C::User;
    type Future = DigestFuture<C, N>;

    fn detect(&self, parts: &Parts) -> bool {
        crate::header::carries_scheme(&parts.headers, SCHEME)
    }

    fn authenticate(&self, parts: &Parts) -> Self::Future {
        let pending = match self.prepare(parts) {
            Ok(Some(p)) => p,
            Ok(None) => return DigestFuture::failed(AuthFailure::missing().with_scheme(SCHEME)),
            Err(f) => return DigestFuture::failed(f),
        };
        let fut = self.store.lookup(self.lookup_for(&pending));
        self.waiting(DigestState::Lookup { fut }, pending, None)
    }

    /// Decides at once when the credential store and the replay store can answer without
    /// waiting (as [`DigestUsers`] and [`MemoryNonceStore`] do): no future, no second `Arc`.
    fn start(&self, parts: &Parts) -> Started<Output<C::User>, Self::Future> {
        let mut pending = match self.prepare(parts) {
            Ok(Some(p)) => p,
            Ok(None) => return Started::Done(Err(AuthFailure::missing().with_scheme(SCHEME))),
            Err(f) => return Started::Done(Err(f)),
        };
        let found = match self.store.start(self.lookup_for(&pending)) {
            Started::Done(found) => found,
            Started::Pending(fut) => return Started::Pending(self.waiting(DigestState::Lookup { fut }, pending, None)),
        };
        let checked = found
            .map_err(|e| AuthFailure::internal(e).with_scheme(SCHEME))
            .and_then(|found| check_response(&self.cfg, &mut pending, found));
        let (user, now) = match checked {
            Ok(passed) => passed,
            Err(f) => return Started::Done(Err(f)),
        };
        let started = self.cfg.nonces.start_check(&NonceUse {
            nonce: pending.nonce(),
            nc: pending.nc,
            issued_ms: pending.issued_ms,
            expires_ms: pending.expires_ms,
            now_ms: now,
        });
        match started {
            Started::Done(check) => Started::Done(finish_with(&self.cfg, &pending, user, now, check)),
            Started::Pending(fut) => {
                Started::Pending(self.waiting(DigestState::Replay { fut }, pending, Some((user, now))))
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
    ///   credential store before any throttling.
    ///
    /// `None` when the header is missing, too long or not parseable Digest credentials
    /// (the throttle then counts per client address only).
    fn username<'a>(&self, parts: &'a Parts) -> Option<Cow<'a, str>> {
        let value = authorization(&parts.headers, self.cfg.max_header_len).ok()??;
        let (scheme, rest) = split_scheme(value.as_bytes())?;
        if !scheme.eq_ignore_ascii_case(SCHEME) {
            return None;
        }
        let creds = DigestCredentials::parse_params(rest).ok()?;
        if creds.userhash() {
            return Some(Cow::Owned(format!(
                "userhash:{}",
                creds.username().to_ascii_lowercase()
            )));
        }
        let name = creds.username();
        Some(Cow::Owned(match self.cfg.precis {
            // The name the store is asked for (a refused one is answered 401 anyway).
            Precis::Enforce => crate::precis::username_or_same(name).into_owned(),
            _ => name.to_owned(),
        }))
    }

    /// `true`: Digest reads `Authorization` only, which the proxy layer consumes itself
    /// (an `auth-int` body is [`DigestBodyLayer`]'s).
    fn can_remove_credentials(&self) -> bool {
        true
    }

    fn challenge(&self, failure: &AuthFailure, headers: &mut HeaderMap) {
        let stale = failure.kind() == FailureKind::StaleNonce;
        let nonce = self.cfg.signer.issue();
        for &alg in &self.cfg.algorithms {
            if let Some(v) = self.challenge_value(alg, &nonce, stale) {
                headers.append(WWW_AUTHENTICATE, v);
            }
        }
    }
}

/// Checks the response once the store has answered: the user and the time, or why the
/// request fails. With `Authentication-Info`, a right response also turns `p.rspauth`
/// from the rspauth's H(A2) into the rspauth.
fn check_response<U>(cfg: &Config, p: &mut Pending, found: Option<DigestUser<U>>) -> Result<(U, u64), AuthFailure> {
    let alg = p.alg;
    let hex_len = alg.hex_len();
    // A store that answers with passwords costs an H(A1) and PRECIS per known user: once it
    // has, unknown users (and users stored by H(A1), in a store that holds both) pay the same
    // over a dummy password, so the time taken does not tell which users exist. A store of
    // H(A1)s only never pays it.
    let passwords = &*cfg.passwords_seen;
    let (user, ha1) = match found {
        Some(DigestUser { user, secret, username }) => match &secret {
            DigestSecret::Ha1(h) => {
                let ha1 = Hex::parse(h, hex_len).ok_or_else(|| {
                    AuthFailure::internal(format!(
                        "the credential store returned an H(A1) that is not {hex_len} hex digits for {alg}"
                    ))
                    .with_scheme(SCHEME)
                })?;
                if passwords.load(Relaxed) {
                    std::hint::black_box(dummy_password_ha1(cfg, p));
                }
                (Some(user), ha1)
            }
            DigestSecret::Password(pw) => {
                if !passwords.load(Relaxed) {
                    passwords.store(true, Relaxed);
                }
                // RFC 7616 §4: A1 over the enforced forms (NFC UTF-8). A stored form the
                // profiles refuse never matches, after the same work.
                let (ha1, refused) = store::password_ha1(
                    alg,
                    &cfg.realm,
                    cfg.precis.enforces(),
                    p.username(),
                    username.as_deref(),
                    pw,
                );
                ((!refused).then_some(user), ha1)
            }
        },
        // Unknown user: a stand-in H(A1), then the same hashing and comparison.
        None if passwords.load(Relaxed) => (None, dummy_password_ha1(cfg, p)),
        None => (None, Hex::encode(&cfg.dummy[..hex_len / 2])),
    };
    let ha1 = algorithm::session_ha1(alg, &ha1, p.nonce(), p.cnonce());
    // KD(H(A1), middle ":" H(A2)) for the response and the rspauth share everything up to
    // H(A2): hash that once.
    let mut kd = Hasher::new(alg);
    kd.update(ha1.as_bytes());
    kd.update(p.kd_middle().as_bytes());
    let kd_rspauth = p.rspauth.is_some().then(|| kd.clone());
    kd.update(p.ha2.as_bytes());
    let expected = kd.finish_raw();
    let presented = p.response.as_ref();
    let matches = constant_time_eq(
        presented.map_or(expected.as_bytes(), |h| h.as_bytes()),
        expected.as_bytes(),
    ) & presented.is_some();
    let user = match user {
        Some(u) if matches => u,
        _ => return Err(invalid("wrong credentials")),
    };
    let now = now_ms();
    if now >= p.expires_ms {
        return Err(AuthFailure::new(FailureKind::StaleNonce)
            .with_scheme(SCHEME)
            .with_description("nonce expired"));
    }
    if cfg.max_nonce_uses.is_some_and(|max| p.nc > max) {
        return Err(AuthFailure::new(FailureKind::StaleNonce)
            .with_scheme(SCHEME)
            .with_description("nonce used up"));
    }
    if let (Some(mut kd), Some(ha2)) = (kd_rspauth, p.rspauth.as_mut()) {
        kd.update(ha2.as_bytes());
        *ha2 = kd.finish();
    }
    Ok((user, now))
}

/// What a store's password costs (`store::password_ha1`), over a dummy password (random per
/// `Digest`) and the request's own name: the work done for a user the store did not answer
/// with a password, once it has answered another with one.
fn dummy_password_ha1(cfg: &Config, p: &Pending) -> Hex {
    let password = Hex::encode(&cfg.dummy[..8]);
    let plain_name = p.userhash.then(|| p.username());
    let (ha1, _) = store::password_ha1(
        p.alg,
        &cfg.realm,
        cfg.precis.enforces(),
        p.username(),
        plain_name,
        password.as_str(),
    );
    ha1
}

/// The end of a verification, once the replay store has answered.
fn finish<U, N>(ctx: Ctx<U, N>, check: Result<NonceCheck, crate::BoxError>) -> Output<U> {
    let Ctx { cfg, p, passed, .. } = ctx;
    let (user, now) = passed.expect("DigestFuture checked the response first");
    finish_with(&cfg, &p, user, now, check)
}

/// The end of a verification, once the replay store has answered (the response was right).
fn finish_with<U, N>(
    cfg: &Shared<N>,
    p: &Pending,
    user: U,
    now: u64,
    check: Result<NonceCheck, crate::BoxError>,
) -> Output<U> {
    let check = check.map_err(|e| {
        AuthFailure::internal(e)
            .with_scheme(SCHEME)
            .with_description("nonce store failed")
    })?;
    if check != NonceCheck::Fresh {
        return Err(AuthFailure::new(FailureKind::StaleNonce)
            .with_scheme(SCHEME)
            .with_description("nonce count replayed or not increasing"));
    }
    let mut auth = Authenticated::new(user).with_scheme(SCHEME);
    let Some(rspauth) = &p.rspauth else {
        return Ok(auth);
    };
    let within = cfg.nextnonce_within.unwrap_or(cfg.signer.lifetime() / 5);
    let within_ms = u64::try_from(within.as_millis()).unwrap_or(u64::MAX);
    let used_up = cfg.max_nonce_uses.is_some_and(|max| p.nc >= max);
    let nextnonce = (used_up || p.expires_ms.saturating_sub(now) <= within_ms).then(|| cfg.signer.issue_at(now));
    if let Some(v) = authentication_info(rspauth, p.qop, p.nc_str(), p.cnonce(), nextnonce.as_deref()) {
        auth.response_headers.insert(AUTHENTICATION_INFO, v);
    }
    Ok(auth)
}

/// The `Authentication-Info` value (RFC 7616 §3.5), written into a stack buffer and copied
/// once into the header value (a buffer on the heap only for a cnonce of 150 bytes or more).
fn authentication_info(
    rspauth: &Hex,
    qop: Option<Qop>,
    nc: &str,
    cnonce: &str,
    nextnonce: Option<&str>,
) -> Option<HeaderValue> {
    let mut out = InfoBuf::default();
    out.push("rspauth=\"");
    out.push_bytes(rspauth.as_bytes());
    if let Some(q) = qop {
        out.push(match q {
            Qop::Auth => "\", qop=auth, nc=",
            Qop::AuthInt => "\", qop=auth-int, nc=",
        });
        out.push(nc);
        out.push(", cnonce=");
        // The cnonce came from a quoted-string, so it has no control characters.
        write_quoted_to(cnonce, |s| out.push(s)).ok()?;
    } else {
        out.push("\"");
    }
    if let Some(n) = nextnonce {
        out.push(", nextnonce=");
        write_quoted_to(n, |s| out.push(s)).ok()?;
    }
    HeaderValue::from_bytes(out.as_bytes()).ok()
}

/// A byte buffer on the stack that moves to the heap when it outgrows 256 bytes.
struct InfoBuf {
    stack: [u8; 256],
    len: usize,
    heap: Option<Vec<u8>>,
}

impl Default for InfoBuf {
    fn default() -> Self {
        InfoBuf {
            stack: [0; 256],
            len: 0,
            heap: None,
        }
    }
}

impl InfoBuf {
    fn push(&mut self, s: &str) {
        self.push_bytes(s.as_bytes());
    }

    /// Appends ASCII or UTF-8 (the buffer only ever holds whole `str`s and hex digits).
    fn push_bytes(&mut self, s: &[u8]) {
        if let Some(heap) = &mut self.heap {
            heap.extend_from_slice(s);
        } else if let Some(dst) = self.stack.get_mut(self.len..self.len + s.len()) {
            dst.copy_from_slice(s);
            self.len += s.len();
        } else {
            let mut heap = Vec::with_capacity(2 * (self.len + s.len()));
            heap.extend_from_slice(&self.stack[..self.len]);
            heap.extend_from_slice(s);
            self.heap = Some(heap);
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match &self.heap {
            Some(heap) => heap,
            None => &self.stack[..self.len],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authentication_info_on_the_stack_and_spilled() {
        let rspauth = Hex::encode(&[0xab; 32]);
        let v = authentication_info(&rspauth, Some(Qop::Auth), "00000001", "c\"n", None).unwrap();
        assert_eq!(
            v,
            format!(r#"rspauth="{}", qop=auth, nc=00000001, cnonce="c\"n""#, "ab".repeat(32)).as_str()
        );
        // A cnonce too long for the stack buffer, with quotes to escape on both sides of
        // the spill, and a nextnonce.
        for len in [150, 170, 180, 190, 1024] {
            let cnonce: String = (0..len).map(|i| if i % 7 == 0 { '"' } else { 'x' }).collect();
            let v = authentication_info(&rspauth, Some(Qop::AuthInt), "0000000a", &cnonce, Some("NN")).unwrap();
            let escaped = cnonce.replace('"', "\\\"");
            assert_eq!(
                v.to_str().unwrap(),
                format!(
                    r#"rspauth="{}", qop=auth-int, nc=0000000a, cnonce="{escaped}", nextnonce="NN""#,
                    "ab".repeat(32)
                )
            );
        }
        // RFC 2069 form: the rspauth alone.
        let v = authentication_info(&rspauth, None, "", "", None).unwrap();
        assert_eq!(v, format!(r#"rspauth="{}""#, "ab".repeat(32)).as_str());
    }
}

//! Brute-force throttling: failed logins counted per user-id and per client address.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use std::net::SocketAddr;
//! use std::time::Duration;
//! use http::{Request, Response, StatusCode};
//! use tower::{ServiceBuilder, ServiceExt};
//! use tower_httpauth::throttle::{Limits, Throttle};
//! use tower_httpauth::{AuthLayer, Basic, BasicCredentials};
//! use tower_httpauth::basic::StaticCredentials;
//!
//! // Three free failures per user-id, then locks of a minute, doubling up to an hour.
//! let throttle = Throttle::new().per_username(Limits::new(3, Duration::from_secs(60), Duration::from_secs(3600)));
//! let layer = AuthLayer::new(Basic::new(StaticCredentials::new("admin", "s3cret"))).throttle(throttle);
//! let svc = ServiceBuilder::new().layer(layer).service_fn(|_: Request<String>| async {
//!     Ok::<_, std::convert::Infallible>(Response::new(String::from("welcome")))
//! });
//!
//! let login = |password: &str| {
//!     let mut req = Request::new(String::new());
//!     req.headers_mut().insert("authorization", BasicCredentials::new("admin", password).to_header_value());
//!     // The client's address, as hyper or axum's `ConnectInfo` hands it on.
//!     req.extensions_mut().insert(SocketAddr::from(([203, 0, 113, 7], 50000)));
//!     req
//! };
//! for _ in 0..4 {
//!     let res = svc.clone().oneshot(login("guess")).await.unwrap();
//!     assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
//! }
//! // The fourth failure locked "admin": even the right password waits, and the verifier
//! // does not run.
//! let res = svc.clone().oneshot(login("s3cret")).await.unwrap();
//! assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
//! assert!(res.headers().contains_key("retry-after"));
//! # }
//! ```
//!
//! A [`Throttle`] attached with [`AuthLayer::throttle`](crate::AuthLayer::throttle) counts
//! rejected credentials ([`FailureKind::InvalidCredentials`](crate::FailureKind::InvalidCredentials)
//! only: missing, malformed or stale credentials are not guesses) under two keys: the user-id
//! the scheme read (see [`Scheme::username`](crate::Scheme::username)) and the client
//! address. Once a key has used up its free failures, every further failure locks it for an
//! exponentially growing time (see [`Limits`]), and requests carrying credentials for a
//! locked key are refused with `429 Too Many Requests` and `Retry-After` **before the
//! verifier runs**, so a locked account costs the server no password hashing. Counts decay:
//! one failure is forgotten per [`Limits::decay`] without failures.
//!
//! Which schemes read a user-id: [`Basic`](crate::Basic) (the user-id), Digest (`username`,
//! the decoded `username*`, or `userhash:<hash>` for `userhash=true`), and `Multi` / `Or`
//! (the scheme whose `detect` matches). Token schemes (Bearer, API keys, signed tokens, JWT)
//! read none: a token names its user only once it is verified, and an unverified claim would
//! let an attacker lock out any user it names, so their failures are counted per client
//! address only.
//!
//! Successful logins are never delayed: the check is one lookup, and a success clears the
//! user-id's count (never the address's, so an attacker with one valid account cannot use it
//! to reset the count of their address).
//!
//! Requests already past the check when a key gets locked are still verified: a burst of
//! concurrent guesses can exceed the free failures by the number of requests in flight.
//!
//! # User-id keys are case-folded
//!
//! User stores often compare names case-insensitively (MySQL's default collations, LDAP,
//! Active Directory), so `admin`, `Admin` and `ADMIN` may be one account: counting them
//! apart would give an attacker three times the free guesses, and a lock on one spelling
//! would not stop the others. By default a user-id is counted under its PRECIS
//! *UsernameCaseMapped* form (RFC 8265 §3.3: width-mapped, lower-cased, NFC), each
//! space-separated part on its own, so `ａｄｍｉｎ` (fullwidth) counts as `admin` too; a
//! user-id that profile refuses (an emoji, a control character) is lower-cased as Unicode
//! text instead, so it is still counted. Only the key changes: the verifier sees the user-id
//! as the scheme read it. [`Throttle::user_key`] replaces the normaliser, for stores that
//! fold differently (or `|name| name.to_owned()` to count exact spellings apart, when your
//! store has distinct users that differ only in case: with the default they share a count,
//! and one's success clears it).
//!
//! # Off by default
//!
//! A layer does not throttle until you attach a [`Throttle`]. The right client address
//! depends on your deployment (behind a load balancer every connection comes from the
//! balancer, and throttling that address would lock everybody out), so the crate cannot
//! pick it safely for you. [`Throttle::new`] itself has conservative defaults:
//!
//! | | free failures | first lock | longest lock | one failure forgotten every |
//! |---|---|---|---|---|
//! | per user-id | 5 | 1 s | 15 min | 60 s |
//! | per address | 20 | 1 s | 15 min | 10 s |
//!
//! and keeps at most 100 000 keys in memory (about 20 MB), the least recently used evicted
//! first, passing over keys whose lock is running ([`Throttle::in_memory`] sets another
//! bound).
//!
//! ```
//! use std::time::Duration;
//! use tower_httpauth::throttle::{ClientAddrSource, Limits, Throttle};
//! use tower_httpauth::{AuthLayer, Basic};
//! use tower_httpauth::basic::StaticCredentials;
//!
//! let layer = AuthLayer::new(Basic::new(StaticCredentials::new("admin", "s3cret"))).throttle(
//!     Throttle::new()
//!         // Behind one reverse proxy that appends the peer to X-Forwarded-For:
//!         .client_addr(ClientAddrSource::forwarded_for(1))
//!         .per_username(Limits::new(5, Duration::from_secs(1), Duration::from_secs(600))),
//! );
//! # let _ = layer;
//! ```
//!
//! # Where the client address comes from
//!
//! [`ClientAddrSource::Connection`] (the default) reads, in order, a [`ClientAddr`]
//! extension, axum's `ConnectInfo<SocketAddr>` (feature `axum`; serve with
//! `into_make_service_with_connect_info::<SocketAddr>()`), and a plain
//! [`SocketAddr`](std::net::SocketAddr) extension (hyper users insert the peer address of the
//! accepted connection). When none is there, such a request is counted per user-id only, and
//! the throttle logs one warning (at its first such request) saying that per-address
//! throttling is doing nothing; [`Throttle::count_addresses`]`(false)` or [`ClientAddrSource::None`]
//! say that this is meant. [`ClientAddrSource::forwarded_for`] and
//! [`ClientAddrSource::header`] read a proxy header such as `X-Forwarded-For` and trust only
//! the given number of hops, counted from the right, because everything to their left was
//! written by the client. IPv6 addresses are grouped by their /64 prefix by default (one
//! host usually owns a whole /64; see [`Throttle::ipv6_prefix`]).
//!
//! # Stores, and when a store fails
//!
//! The counts live in a [`ThrottleStore`]: in the process by default; a fleet of instances
//! behind a load balancer needs a shared store ([`Throttle::with_store`]), such as
//! `Redis::throttle_store()` (feature `redis`), so that an attacker cannot spread guesses
//! over the instances.
//!
//! A store that fails (a database or Redis that is down or slow) **fails closed**: requests
//! that carry credentials are refused with `500` (logged), and the verifier does not run.
//! Failing open would silently remove the brute-force protection for as long as the outage
//! lasts, and an attacker who can slow the store down would choose when that is.
//! [`Throttle::fail_open`]`(true)` authenticates as if there were no throttle instead,
//! logging a warning per request, for deployments where availability matters more than
//! throttling during an outage.
//!
//! # Several instances behind a load balancer
//!
//! - Share the counts: every instance uses a store on the same server, with the same limits.
//! - Read the address the balancer saw: [`ClientAddrSource::forwarded_for`] with the number of
//!   proxies between the client and the app, and make sure the app is reachable only through
//!   them (otherwise a client can write the header itself).
//! - Keep the clocks in sync (NTP): lock times are written by one instance and read by others.
//! - Decide what a store outage means: fail closed (the default: every login fails with `500`)
//!   or [`Throttle::fail_open`]`(true)` (guessing is not throttled while the store is down).

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::request::Parts;

mod guard;
mod keys;
mod limits;
mod memory;
mod store;

pub(crate) use guard::Verification;
pub use keys::{ClientAddr, ClientAddrSource, ThrottleKey};
pub use limits::Limits;
pub use store::{ThrottleStatus, ThrottleStore};

use keys::{Keys, default_user_key, mask};
use memory::{DEFAULT_MAX_KEYS, MemoryStore};

type ClockFn = dyn Fn() -> Duration + Send + Sync;
type UserKeyFn = dyn Fn(&str) -> String + Send + Sync;

/// Brute-force throttling for an [`AuthLayer`](crate::AuthLayer); see the
/// [module docs](self).
///
/// Built with [`new`](Self::new) (or [`in_memory`](Self::in_memory),
/// [`with_store`](Self::with_store)), then refined:
///
/// | refinement | what it does |
/// |---|---|
/// | [`per_username`](Self::per_username), [`per_address`](Self::per_address) | the [`Limits`] of each kind of key |
/// | [`count_usernames`](Self::count_usernames), [`count_addresses`](Self::count_addresses) | count one kind only |
/// | [`client_addr`](Self::client_addr), [`ipv6_prefix`](Self::ipv6_prefix) | where the client address comes from, how IPv6 is grouped |
/// | [`user_key`](Self::user_key) | which user-ids share a count |
/// | [`fail_open`](Self::fail_open) | authenticate without throttling while the store fails |
/// | [`clock`](Self::clock) | the time source (tests) |
///
/// Cloning is cheap (one `Arc`), and clones share the counts: attach one throttle to every
/// route so that guesses cannot be spread over routes.
#[derive(Clone)]
pub struct Throttle {
    config: Arc<Config>,
}

struct Config {
    store: Arc<dyn ThrottleStore>,
    /// `None`: user-ids are not counted.
    username: Option<Limits>,
    /// `None`: addresses are not counted.
    address: Option<Limits>,
    client_addr: ClientAddrSource,
    ipv6_prefix: u8,
    /// `None`: the system clock.
    clock: Option<Arc<ClockFn>>,
    fail_open: bool,
    /// `None`: `default_user_key`.
    user_key: Option<Arc<UserKeyFn>>,
    /// Whether the "no client address" warning was logged: once per throttle, whichever
    /// clone meets the request.
    warned_no_address: AtomicBool,
}

impl Clone for Config {
    /// A reconfigured throttle is another throttle: it warns for itself.
    fn clone(&self) -> Self {
        Config {
            store: self.store.clone(),
            username: self.username,
            address: self.address,
            client_addr: self.client_addr.clone(),
            ipv6_prefix: self.ipv6_prefix,
            clock: self.clock.clone(),
            fail_open: self.fail_open,
            user_key: self.user_key.clone(),
            warned_no_address: AtomicBool::new(false),
        }
    }
}

impl fmt::Debug for Throttle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        f.debug_struct("Throttle")
            .field("per_username", &c.username)
            .field("per_address", &c.address)
            .field("client_addr", &c.client_addr)
            .field("ipv6_prefix", &c.ipv6_prefix)
            .field("fail_open", &c.fail_open)
            .field("user_key", &if c.user_key.is_some() { "custom" } else { "default" })
            .finish_non_exhaustive()
    }
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new()
    }
}

impl Throttle {
    /// A throttle with the default limits (see the [module docs](self#off-by-default)),
    /// counting per user-id and per connection address, in memory (at most 100 000 keys).
    pub fn new() -> Self {
        Throttle::in_memory(DEFAULT_MAX_KEYS)
    }

    /// Like [`new`](Self::new), keeping at most `max_keys` keys (at least one) in memory, the
    /// least recently used evicted first, passing over keys whose lock is running (a few per
    /// eviction at most, so a store crowded with locks still makes room).
    pub fn in_memory(max_keys: usize) -> Self {
        Throttle::with_store(MemoryStore::new(max_keys))
    }

    /// A throttle with the default limits keeping its counts in `store`, such as a store
    /// shared by a fleet.
    pub fn with_store(store: impl ThrottleStore) -> Self {
        Throttle {
            config: Arc::new(Config {
                store: Arc::new(store),
                username: Some(Limits::default_username()),
                address: Some(Limits::default_address()),
                client_addr: ClientAddrSource::Connection,
                ipv6_prefix: 64,
                clock: None,
                fail_open: false,
                user_key: None,
                warned_no_address: AtomicBool::new(false),
            }),
        }
    }

    fn edit(mut self, f: impl FnOnce(&mut Config)) -> Self {
        f(Arc::make_mut(&mut self.config));
        self
    }

    /// Counts failures per user-id with `limits` (on by default, with
    /// [`Limits::default_username`]).
    pub fn per_username(self, limits: Limits) -> Self {
        self.edit(|c| c.username = Some(limits))
    }

    /// Counts failures per client address with `limits` (on by default, with
    /// [`Limits::default_address`]).
    pub fn per_address(self, limits: Limits) -> Self {
        self.edit(|c| c.address = Some(limits))
    }

    /// Whether failures are counted per user-id (default `true`). Off, an attacker can no longer
    /// lock a known user out, but can guess one user's password from many addresses.
    /// `true` keeps the limits in place, or after `false` restores
    /// [`Limits::default_username`]; [`per_username`](Self::per_username) sets other limits and
    /// turns the count on.
    pub fn count_usernames(self, enabled: bool) -> Self {
        self.edit(|c| match (enabled, c.username) {
            (false, _) => c.username = None,
            (true, None) => c.username = Some(Limits::default_username()),
            (true, Some(_)) => {}
        })
    }

    /// Whether failures are counted per client address (default `true`). `true` keeps the
    /// limits in place, or after `false` restores [`Limits::default_address`];
    /// [`per_address`](Self::per_address) sets other limits and turns the count on.
    pub fn count_addresses(self, enabled: bool) -> Self {
        self.edit(|c| match (enabled, c.address) {
            (false, _) => c.address = None,
            (true, None) => c.address = Some(Limits::default_address()),
            (true, Some(_)) => {}
        })
    }

    /// Sets where the client address comes from (default: [`ClientAddrSource::Connection`]).
    pub fn client_addr(self, source: ClientAddrSource) -> Self {
        self.edit(|c| c.client_addr = source)
    }

    /// Groups IPv6 clients by their first `bits` bits (default 64; 128 counts each address).
    pub fn ipv6_prefix(self, bits: u8) -> Self {
        self.edit(|c| c.ipv6_prefix = bits.min(128))
    }

    /// Counts each user-id under `key(user_id)` instead of its case-folded form (see the
    /// [module docs](self#user-id-keys-are-case-folded)): user-ids with the same key share
    /// one count and one lock. The verifier still sees the user-id as the scheme read it.
    /// `|name: &str| name.to_owned()` counts exact spellings apart.
    ///
    /// ```
    /// use tower_httpauth::throttle::Throttle;
    /// // An LDAP directory that ignores case and a trailing "@corp.example" realm:
    /// let throttle = Throttle::new().user_key(|name: &str| {
    ///     let name = name.to_lowercase();
    ///     name.strip_suffix("@corp.example").map(str::to_owned).unwrap_or(name)
    /// });
    /// # let _ = throttle;
    /// ```
    pub fn user_key(self, key: impl Fn(&str) -> String + Send + Sync + 'static) -> Self {
        let key: Arc<UserKeyFn> = Arc::new(key);
        self.edit(|c| c.user_key = Some(key))
    }

    /// Reads the current time from `now`, a duration since a fixed point (by default the
    /// system clock's time since the UNIX epoch). Only differences matter to the in-memory
    /// store; a shared store compares times written by several instances, so their clocks
    /// must agree. Tests use it to drive time:
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::time::Duration;
    /// use tower_httpauth::throttle::Throttle;
    ///
    /// let millis = Arc::new(AtomicU64::new(0));
    /// let clock = millis.clone();
    /// let throttle = Throttle::new().clock(move || Duration::from_millis(clock.load(Ordering::SeqCst)));
    /// // … fail a few logins, then let the lock pass:
    /// millis.fetch_add(60_000, Ordering::SeqCst);
    /// # let _ = throttle;
    /// ```
    pub fn clock(self, now: impl Fn() -> Duration + Send + Sync + 'static) -> Self {
        let now: Arc<ClockFn> = Arc::new(now);
        self.edit(|c| c.clock = Some(now))
    }

    /// Whether a request is authenticated without throttling, with a warning in the log,
    /// while the store fails (`true`), or refused with `500` (`false`, the default): see the
    /// [module docs](self#stores-and-when-a-store-fails) for why the default fails closed.
    pub fn fail_open(self, enabled: bool) -> Self {
        self.edit(|c| c.fail_open = enabled)
    }

    pub(crate) fn now(&self) -> Duration {
        match &self.config.clock {
            Some(now) => now(),
            None => SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default(),
        }
    }

    /// The keys of one request: the user-id's (if the scheme read one) and the address's
    /// (if known).
    fn keys(&self, username: Option<&str>, parts: &Parts) -> Keys {
        let c = &*self.config;
        let mut keys = Keys::new();
        if let (Some(limits), Some(name)) = (c.username, username) {
            let name = match &c.user_key {
                Some(key) => Cow::Owned(key(name)),
                None => default_user_key(name),
            };
            keys.push(ThrottleKey::username(&name, limits));
        }
        if let Some(limits) = c.address {
            match c.client_addr.client_addr(parts) {
                Some(ip) => keys.push(ThrottleKey::address(mask(ip, c.ipv6_prefix), limits)),
                None => self.warn_no_address(),
            }
        }
        keys
    }

    /// Says once, at the first request without a client address, that per-address
    /// throttling does nothing for such requests: a server that never hands the peer address
    /// on (axum without `ConnectInfo`) would otherwise never count per address, silently.
    fn warn_no_address(&self) {
        let c = &*self.config;
        if !c.client_addr.expects_an_address() {
            return;
        }
        // The load keeps requests after the first off the shared cache line's write path.
        if c.warned_no_address.load(Ordering::Relaxed) || c.warned_no_address.swap(true, Ordering::Relaxed) {
            return;
        }
        tracing::warn!(
            client_addr = ?c.client_addr,
            "throttle: a request carries no client address, so per-address throttling does \
             nothing for it (only its user-id is counted); with axum serve with \
             `into_make_service_with_connect_info::<SocketAddr>()`, with hyper insert the peer's \
             `SocketAddr` (or a `ClientAddr`) into the request's extensions, behind proxies use \
             `ClientAddrSource::forwarded_for`; `Throttle::count_addresses(false)` silences this. \
             Logged once per throttle."
        );
    }
}

//! Brute-force throttling: failed logins counted per user-id and per client address.
//!
//! A [`Throttle`] attached to an [`AuthLayer`](crate::AuthLayer) with
//! [`AuthLayer::throttle`](crate::AuthLayer::throttle) counts rejected credentials
//! ([`FailureKind::InvalidCredentials`](crate::FailureKind::InvalidCredentials) only: missing,
//! malformed or stale credentials are not guesses) under two keys: the user-id the
//! scheme read (see [`Scheme::username`](crate::Scheme::username)) and the client address. Once a key
//! has used up its free attempts, every further failure locks it for an exponentially growing
//! time (`base_delay`, doubled per failure, capped at `max_delay`), and requests carrying
//! credentials for a locked key are refused with `429 Too Many Requests` and `Retry-After`
//! **before the verifier runs**, so a locked account costs the server no password hashing.
//! Counts decay: one failure is forgotten per `decay` interval without failures.
//!
//! Which schemes read a user-id: [`Basic`](crate::Basic) (the user-id), [`Digest`](crate::digest::Digest)
//! (`username`, the decoded `username*`, or `userhash:<hash>` for `userhash=true`), and
//! [`Multi`](crate::Multi) / [`Or`](crate::Or) (the scheme whose `detect` matches). Token
//! schemes ([`Bearer`](crate::Bearer), API keys, signed tokens, JWT) read none: a token names
//! its user only once it is verified, and an unverified claim would let an attacker lock out
//! any user it names, so their failures are counted per client address only.
//!
//! Successful logins are never delayed: the check is one lookup, and a success clears the
//! user-id's count (never the address's, so an attacker with one valid account cannot use it
//! to reset the count of their address).
//!
//! # User-id keys are case-folded
//!
//! User stores often compare names case-insensitively (MySQL's default collations, LDAP,
//! Active Directory), so `admin`, `Admin` and `ADMIN` may be one account: counting them
//! apart would give an attacker three times the free guesses, and a lock on one spelling
//! would not stop the others. By default a user-id is counted under its
//! [`default_user_key`]: its PRECIS *UsernameCaseMapped* form (RFC 8265 §3.3: width-mapped,
//! lower-cased, NFC), so `ａｄｍｉｎ` (fullwidth) counts as `admin` too; a user-id that profile
//! refuses (an emoji, a control character) is lower-cased as Unicode text instead, so it is
//! still counted. Only the key changes: the verifier sees the user-id as the scheme read it.
//! [`Throttle::user_key`] replaces the normaliser, for stores that fold differently (or
//! `|name| name.to_owned()` to count exact spellings apart, when your store has distinct
//! users that differ only in case: with the default they share a count, and one's success
//! clears it).
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
//! at most 100 000 tracked keys (about 10 MB), least recently used evicted first.
//!
//! ```
//! use tower_httpauth::{AuthLayer, Basic, StaticCredentials};
//! use tower_httpauth::throttle::{ClientAddrSource, Limits, Throttle};
//! use std::time::Duration;
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
//! `into_make_service_with_connect_info::<SocketAddr>()`), and a plain [`SocketAddr`]
//! extension (hyper users insert the peer address of the accepted connection). When none is
//! there, such a request is counted per user-id only, and the throttle logs one warning (at
//! its first such request) saying that per-address throttling is doing nothing;
//! [`Throttle::without_address`] or [`ClientAddrSource::None`] say that this is meant.
//! [`ClientAddrSource::forwarded_for`] and [`ClientAddrSource::header`] read a proxy header
//! such as `X-Forwarded-For` and trust only the given number of hops, counted from the
//! right, because everything to their left was written by the client. IPv6 addresses are
//! grouped by their /64 prefix by default (one host usually owns a whole /64).
//!
//! # Stores
//!
//! The counts live in a [`ThrottleStore`]. [`MemoryStore`] (the default) keeps them in the
//! process; a fleet of instances behind a load balancer needs a shared store so that an
//! attacker cannot spread guesses over the instances: `RedisStore` (feature `redis`) is one. Store errors fail open by
//! default (the request is authenticated as usual and a warning is logged); see
//! [`Throttle::fail_closed`].
//!
//! # Several instances behind a load balancer
//!
//! - Share the counts: every instance uses a store on the same Redis (feature `redis`,
//!   `Throttle::with_store(RedisStore::open(url)?)`), with the same key prefix and the same
//!   limits. Failures are recorded by one atomic Lua script per request; keys expire by
//!   themselves.
//! - Read the address the balancer saw: [`ClientAddrSource::forwarded_for`] with the number of
//!   proxies between the client and the app, and make sure the app is reachable only through
//!   them (otherwise a client can write the header itself).
//! - Keep the clocks in sync (NTP): lock times are written by one instance and read by others.
//! - Decide what a Redis outage means: fail open (default: guessing is not throttled while
//!   Redis is down, and a warning is logged per request) or [`Throttle::fail_closed`] (every
//!   login fails with `500`).
//!
//! - Share the rest of the state on the same Redis: the Digest replay store
//!   (`digest::RedisNonceStore`, which fails closed) and the token revocation list
//!   (`token::RedisRevocations`); see the Digest module's "Fleets" section.
//!
//! Requests already past the check when a key gets locked are still verified: a burst of
//! concurrent guesses can exceed the free failures by the number of requests in flight.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::{Future, Ready, ready};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderName;
use http::request::Parts;
use sha2::{Digest, Sha256};

use precis_profiles::UsernameCaseMapped;
use precis_profiles::precis_core::profile::PrecisFastInvocation;

use crate::BoxError;

mod guard;
pub(crate) use guard::Verification;

#[cfg(feature = "redis")]
pub(crate) mod redis_store;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis_store::RedisStore;

/// A source of the current time, injectable so that tests can drive time.
pub trait Clock: Send + Sync + 'static {
    /// The current time as a duration since an epoch (the UNIX epoch for [`SystemClock`]).
    /// Only differences matter to [`MemoryStore`]; shared stores compare times written by
    /// several processes, so their clocks must agree.
    fn now(&self) -> Duration;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
    }
}

/// A clock that moves only when told to, for tests. Clones share the same time.
///
/// ```
/// use std::time::Duration;
/// use tower_httpauth::throttle::{Clock, ManualClock};
/// let clock = ManualClock::new();
/// let t0 = clock.now();
/// clock.advance(Duration::from_secs(5));
/// assert_eq!(clock.now() - t0, Duration::from_secs(5));
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    millis: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock standing at an arbitrary fixed point.
    pub fn new() -> Self {
        ManualClock {
            millis: Arc::new(AtomicU64::new(1_000_000)),
        }
    }

    /// Moves the clock forward by `by` (millisecond resolution).
    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.millis.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_millis(self.millis.load(Ordering::SeqCst))
    }
}

/// What a throttle key stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyKind {
    /// A user-id.
    Username,
    /// A client address (or IPv6 prefix).
    Address,
}

/// One counter's key: its kind and a 16-byte identifier.
///
/// User-ids are stored as a SHA-256 prefix, never in clear, so the store neither grows with
/// long user-ids nor keeps a list of who tried to log in. The identifier is stable across
/// processes, so shared stores can use it as their key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ThrottleKey {
    kind: KeyKind,
    id: [u8; 16],
}

impl ThrottleKey {
    /// The key of a user-id, exactly as given: [`Throttle`] passes the user-id's normalised
    /// form ([`default_user_key`], or its [`user_key`](Throttle::user_key) function).
    pub fn username(name: &str) -> Self {
        let digest = Sha256::new()
            .chain_update(b"tower-httpauth throttle user:")
            .chain_update(name.as_bytes())
            .finalize();
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest[..16]);
        ThrottleKey {
            kind: KeyKind::Username,
            id,
        }
    }

    /// The key of a client address (IPv4 addresses are mapped into IPv6).
    pub fn address(addr: IpAddr) -> Self {
        let v6 = match addr {
            IpAddr::V4(a) => a.to_ipv6_mapped(),
            IpAddr::V6(a) => a,
        };
        ThrottleKey {
            kind: KeyKind::Address,
            id: v6.octets(),
        }
    }

    /// What the key stands for.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The 16-byte identifier.
    pub fn id(&self) -> &[u8; 16] {
        &self.id
    }

    /// The key as text (`u:<hex>` or `a:<hex>`), for stores that key by string.
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(34);
        s.push_str(match self.kind {
            KeyKind::Username => "u:",
            KeyKind::Address => "a:",
        });
        for b in self.id {
            s.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
            s.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
        }
        s
    }
}

impl fmt::Debug for ThrottleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            KeyKind::Username => write!(f, "ThrottleKey(user {})", &self.to_hex()[2..10]),
            KeyKind::Address => match Ipv6Addr::from(self.id).to_ipv4_mapped() {
                Some(v4) => write!(f, "ThrottleKey(address {v4})"),
                None => write!(f, "ThrottleKey(address {})", Ipv6Addr::from(self.id)),
            },
        }
    }
}

/// The limits of one key kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Failures allowed before the first lock.
    pub free_failures: u32,
    /// The first lock's length; each further failure doubles it.
    pub base_delay: Duration,
    /// The longest lock.
    pub max_delay: Duration,
    /// One failure is forgotten per `decay` without failures.
    pub decay: Duration,
}

impl Limits {
    /// Limits with `free_failures` free failures, locks from `base_delay` doubling up to
    /// `max_delay`, and one failure forgotten per minute.
    pub fn new(free_failures: u32, base_delay: Duration, max_delay: Duration) -> Self {
        Limits {
            free_failures,
            base_delay,
            max_delay,
            decay: Duration::from_secs(60),
        }
    }

    /// Sets how long it takes to forget one failure.
    pub fn decay(mut self, decay: Duration) -> Self {
        self.decay = decay;
        self
    }

    /// The default per-user-id limits: 5 free failures, 1 s doubling to 15 min, one failure
    /// forgotten per 60 s.
    pub fn default_username() -> Self {
        Limits::new(5, Duration::from_secs(1), Duration::from_secs(15 * 60))
    }

    /// The default per-address limits: 20 free failures, 1 s doubling to 15 min, one failure
    /// forgotten per 10 s.
    pub fn default_address() -> Self {
        Limits::new(20, Duration::from_secs(1), Duration::from_secs(15 * 60)).decay(Duration::from_secs(10))
    }

    /// The lock after the `failures`-th failure, if any.
    pub fn lock_after(&self, failures: u32) -> Option<Duration> {
        let over = failures.checked_sub(self.free_failures)?.checked_sub(1)?;
        let factor = 1u32.checked_shl(over.min(31)).unwrap_or(u32::MAX);
        Some(self.base_delay.saturating_mul(factor).min(self.max_delay))
    }

    /// How many failures are left after `elapsed` without failures, from `failures`.
    pub fn decayed(&self, failures: u32, elapsed: Duration) -> u32 {
        if self.decay.is_zero() {
            return 0;
        }
        let forgotten = elapsed.as_millis() / self.decay.as_millis().max(1);
        failures.saturating_sub(u32::try_from(forgotten).unwrap_or(u32::MAX))
    }
}

/// The per-kind limits handed to a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Limits of user-id keys.
    pub username: Limits,
    /// Limits of address keys.
    pub address: Limits,
}

impl Policy {
    /// The limits of `kind`.
    pub fn limits(&self, kind: KeyKind) -> &Limits {
        match kind {
            KeyKind::Username => &self.username,
            KeyKind::Address => &self.address,
        }
    }
}

/// What a store knows about a set of keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThrottleStatus {
    /// How long the most locked key stays locked; `None` if no key is locked.
    pub locked_for: Option<Duration>,
    /// The largest (decayed) failure count among the keys.
    pub failures: u32,
}

/// Where throttle counters live. [`MemoryStore`] is the in-process default; a shared store
/// (such as Redis) lets a fleet of instances share the counts.
///
/// Every method is one round trip for a whole set of keys (at most one per [`KeyKind`]).
/// Times are [`Clock::now`] values.
pub trait ThrottleStore: Send + Sync + 'static {
    /// The future of every operation.
    type Future: Future<Output = Result<ThrottleStatus, BoxError>> + Send + 'static;

    /// The status of `keys`, without changing them.
    fn check(&self, keys: &[ThrottleKey], policy: &Policy, now: Duration) -> Self::Future;

    /// Records one failure for each of `keys` and returns their new status.
    fn record_failure(&self, keys: &[ThrottleKey], policy: &Policy, now: Duration) -> Self::Future;

    /// Forgets the failures of `keys` (called with the user-id key after a success).
    fn reset(&self, keys: &[ThrottleKey]) -> Self::Future;
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    /// Milliseconds, [`Clock`] time of the last failure.
    last: u64,
    locked_until: u64,
    /// Position in the recency index.
    seq: u64,
}

#[derive(Debug, Default)]
struct Table {
    entries: HashMap<ThrottleKey, Entry>,
    /// Recency index: touch sequence -> key; the first entry is the least recently used.
    order: BTreeMap<u64, ThrottleKey>,
    next_seq: u64,
}

/// The in-process [`ThrottleStore`]: a hash map bounded to a fixed number of keys, evicting
/// the least recently failed key when full.
///
/// Memory stays below about 100 bytes per key. An attacker who sprays failures over many
/// user-ids can evict other keys; the address key still counts all of that attacker's
/// failures, which is why both kinds are on by default.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    table: Arc<Mutex<Table>>,
    max_entries: usize,
}

/// The default bound of [`MemoryStore`].
pub const DEFAULT_MAX_ENTRIES: usize = 100_000;

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new(DEFAULT_MAX_ENTRIES)
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl MemoryStore {
    /// A store holding at most `max_entries` keys (at least 1).
    pub fn new(max_entries: usize) -> Self {
        MemoryStore {
            table: Arc::new(Mutex::new(Table::default())),
            max_entries: max_entries.max(1),
        }
    }

    /// How many keys are tracked now.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bound on tracked keys.
    pub fn max_entries(&self) -> usize {
        self.max_entries
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        // A panic while holding the lock cannot leave the table inconsistent in a way that
        // matters for throttling; keep serving.
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn status_of(entry: &Entry, limits: &Limits, now: u64) -> ThrottleStatus {
        let failures = limits.decayed(entry.failures, Duration::from_millis(now.saturating_sub(entry.last)));
        let locked_for = (entry.locked_until > now).then(|| Duration::from_millis(entry.locked_until - now));
        ThrottleStatus { locked_for, failures }
    }
}

fn merge(a: ThrottleStatus, b: ThrottleStatus) -> ThrottleStatus {
    ThrottleStatus {
        locked_for: a.locked_for.max(b.locked_for),
        failures: a.failures.max(b.failures),
    }
}

impl ThrottleStore for MemoryStore {
    type Future = Ready<Result<ThrottleStatus, BoxError>>;

    fn check(&self, keys: &[ThrottleKey], policy: &Policy, now: Duration) -> Self::Future {
        let now = millis(now);
        let table = self.lock();
        let status = keys
            .iter()
            .filter_map(|k| {
                table
                    .entries
                    .get(k)
                    .map(|e| Self::status_of(e, policy.limits(k.kind), now))
            })
            .fold(ThrottleStatus::default(), merge);
        ready(Ok(status))
    }

    fn record_failure(&self, keys: &[ThrottleKey], policy: &Policy, now: Duration) -> Self::Future {
        let now_ms = millis(now);
        let mut guard = self.lock();
        let table = &mut *guard;
        let mut status = ThrottleStatus::default();
        for key in keys {
            let limits = policy.limits(key.kind);
            let seq = table.next_seq;
            table.next_seq += 1;
            let entry = match table.entries.get_mut(key) {
                Some(e) => {
                    table.order.remove(&e.seq);
                    e
                }
                None => {
                    while table.entries.len() >= self.max_entries {
                        let Some((_, oldest)) = table.order.pop_first() else {
                            break;
                        };
                        table.entries.remove(&oldest);
                    }
                    table.entries.entry(*key).or_insert(Entry {
                        failures: 0,
                        last: now_ms,
                        locked_until: 0,
                        seq,
                    })
                }
            };
            entry.seq = seq;
            let elapsed = Duration::from_millis(now_ms.saturating_sub(entry.last));
            entry.failures = limits.decayed(entry.failures, elapsed).saturating_add(1);
            entry.last = now_ms.max(entry.last);
            if let Some(lock) = limits.lock_after(entry.failures) {
                entry.locked_until = entry.locked_until.max(now_ms.saturating_add(millis(lock)));
            }
            table.order.insert(seq, *key);
            status = merge(status, Self::status_of(entry, limits, now_ms));
        }
        ready(Ok(status))
    }

    fn reset(&self, keys: &[ThrottleKey]) -> Self::Future {
        let mut table = self.lock();
        for key in keys {
            if let Some(e) = table.entries.remove(key) {
                table.order.remove(&e.seq);
            }
        }
        ready(Ok(ThrottleStatus::default()))
    }
}

/// An address set on the request by the application, for the throttle to use: insert it into
/// the request extensions (say, in a small middleware that knows the peer) when neither
/// axum's `ConnectInfo` nor a `SocketAddr` extension is available.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddr(pub IpAddr);

type AddrFn = dyn Fn(&Parts) -> Option<IpAddr> + Send + Sync;

/// Where a [`Throttle`] learns the client's address.
#[derive(Clone)]
#[non_exhaustive]
pub enum ClientAddrSource {
    /// The connection's peer: a [`ClientAddr`] extension, axum's `ConnectInfo<SocketAddr>`
    /// (feature `axum`), or a [`SocketAddr`] extension, in that order.
    Connection,
    /// A header written by trusted proxies (`X-Forwarded-For` style: a comma-separated list of
    /// addresses, each proxy appending its peer). With `hops` trusted proxies the client is the
    /// `hops`-th entry from the right; entries further left were written by the client and are
    /// ignored. If the header is missing, has too few entries or the entry is not an address,
    /// the connection's peer is used.
    Header {
        /// The header's name.
        name: HeaderName,
        /// How many proxies in front of the app append to it (at least 1).
        hops: usize,
    },
    /// Your own function.
    Custom(Arc<AddrFn>),
    /// No address: count per user-id only.
    None,
}

impl fmt::Debug for ClientAddrSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientAddrSource::Connection => f.write_str("Connection"),
            ClientAddrSource::Header { name, hops } => f
                .debug_struct("Header")
                .field("name", name)
                .field("hops", hops)
                .finish(),
            ClientAddrSource::Custom(_) => f.write_str("Custom(..)"),
            ClientAddrSource::None => f.write_str("None"),
        }
    }
}

impl ClientAddrSource {
    /// `X-Forwarded-For` behind `hops` trusted proxies.
    pub fn forwarded_for(hops: usize) -> Self {
        ClientAddrSource::header(HeaderName::from_static("x-forwarded-for"), hops)
    }

    /// A header such as `X-Real-IP` (`hops = 1`) behind `hops` trusted proxies.
    pub fn header(name: HeaderName, hops: usize) -> Self {
        ClientAddrSource::Header {
            name,
            hops: hops.max(1),
        }
    }

    /// Your own function of the request head.
    pub fn custom(f: impl Fn(&Parts) -> Option<IpAddr> + Send + Sync + 'static) -> Self {
        ClientAddrSource::Custom(Arc::new(f))
    }

    /// The client address of the request whose head is `parts`, if known.
    pub fn client_addr(&self, parts: &Parts) -> Option<IpAddr> {
        match self {
            ClientAddrSource::Connection => connection_addr(parts),
            ClientAddrSource::Header { name, hops } => forwarded(parts, name, *hops).or_else(|| connection_addr(parts)),
            ClientAddrSource::Custom(f) => f(parts),
            ClientAddrSource::None => None,
        }
    }
}

fn connection_addr(parts: &Parts) -> Option<IpAddr> {
    if let Some(ClientAddr(ip)) = parts.extensions.get::<ClientAddr>() {
        return Some(*ip);
    }
    #[cfg(feature = "axum")]
    if let Some(info) = parts.extensions.get::<axum::extract::ConnectInfo<SocketAddr>>() {
        return Some(info.0.ip());
    }
    parts.extensions.get::<SocketAddr>().map(SocketAddr::ip)
}

/// The `hops`-th address from the right of all `name` fields (joined in order), bounded.
fn forwarded(parts: &Parts, name: &HeaderName, hops: usize) -> Option<IpAddr> {
    // Walk the fields from the last one backwards, entries right to left.
    let mut seen = 0usize;
    for value in parts.headers.get_all(name).iter().rev() {
        let Ok(text) = value.to_str() else { return None };
        for entry in text.rsplit(',') {
            seen += 1;
            if seen == hops {
                return parse_addr(entry.trim());
            }
        }
    }
    None
}

/// An IP address, `v4:port`, `[v6]` or `[v6]:port`.
fn parse_addr(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some(sa.ip());
    }
    s.strip_prefix('[')?.strip_suffix(']')?.parse().ok()
}

/// What to do when the store fails (unreachable Redis, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnStoreError {
    /// Authenticate as if there were no throttle, and log a warning (the default: an outage
    /// of the counter store should not lock every user out).
    #[default]
    FailOpen,
    /// Refuse the request with `500`.
    FailClosed,
}

/// A function from a user-id to the form it is counted under ([`Throttle::user_key`]).
pub type UserKeyFn = dyn Fn(&str) -> String + Send + Sync;

/// The form a user-id is counted under by default: its PRECIS UsernameCaseMapped form
/// (RFC 8265 §3.3), each space-separated userpart on its own, or, when that profile refuses
/// the user-id, its Unicode lower case. Never fails, so no user-id escapes counting. See the
/// [module docs](self#user-id-keys-are-case-folded).
///
/// Borrows when the user-id is already in that form (lower-case ASCII).
///
/// ```
/// use tower_httpauth::throttle::default_user_key;
/// assert_eq!(default_user_key("Admin"), "admin");
/// assert_eq!(default_user_key("ＡＤＭＩＮ"), "admin"); // fullwidth
/// assert_eq!(default_user_key("J\u{c4}S\u{d8}N Doe"), "j\u{e4}s\u{f8}n doe");
/// assert_eq!(default_user_key("Crab\u{1f980}"), "crab\u{1f980}"); // refused by PRECIS
/// ```
pub fn default_user_key(name: &str) -> Cow<'_, str> {
    // Printable ASCII is PVALID in the profile and only case-mapped; any other ASCII is
    // refused and lower-cased by the fallback, which gives the same.
    if name.is_ascii() {
        return if name.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(name.to_ascii_lowercase())
        } else {
            Cow::Borrowed(name)
        };
    }
    let mut out = String::with_capacity(name.len());
    for (i, part) in name.split(' ').enumerate() {
        match UsernameCaseMapped::enforce(part) {
            Ok(mapped) => {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(&mapped);
            }
            Err(_) => return Cow::Owned(name.to_lowercase()),
        }
    }
    Cow::Owned(out)
}

/// Brute-force throttling for an [`AuthLayer`](crate::AuthLayer); see the
/// [module docs](self).
pub struct Throttle<T = MemoryStore> {
    pub(crate) store: Arc<T>,
    policy: Policy,
    per_username: bool,
    per_address: bool,
    addr: ClientAddrSource,
    ipv6_prefix: u8,
    clock: Arc<dyn Clock>,
    pub(crate) on_store_error: OnStoreError,
    /// `None`: [`default_user_key`].
    user_key: Option<Arc<UserKeyFn>>,
    /// Whether the "no client address" warning was logged (shared by clones: once per
    /// throttle).
    warned_no_address: Arc<AtomicBool>,
}

impl<T> Clone for Throttle<T> {
    fn clone(&self) -> Self {
        Throttle {
            store: self.store.clone(),
            policy: self.policy,
            per_username: self.per_username,
            per_address: self.per_address,
            addr: self.addr.clone(),
            ipv6_prefix: self.ipv6_prefix,
            clock: self.clock.clone(),
            on_store_error: self.on_store_error,
            user_key: self.user_key.clone(),
            warned_no_address: self.warned_no_address.clone(),
        }
    }
}

impl<T> fmt::Debug for Throttle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Throttle")
            .field("store", &std::any::type_name::<T>())
            .field("policy", &self.policy)
            .field("per_username", &self.per_username)
            .field("per_address", &self.per_address)
            .field("client_addr", &self.addr)
            .field("ipv6_prefix", &self.ipv6_prefix)
            .field("on_store_error", &self.on_store_error)
            .field("user_key", &if self.user_key.is_some() { "custom" } else { "default" })
            .finish_non_exhaustive()
    }
}

impl Default for Throttle<MemoryStore> {
    fn default() -> Self {
        Self::new()
    }
}

impl Throttle<MemoryStore> {
    /// A throttle with the default limits (see the [module docs](self)), counting per
    /// user-id and per connection address in a [`MemoryStore`] of 100 000 keys.
    pub fn new() -> Self {
        Throttle::with_store(MemoryStore::default())
    }
}

impl<T: ThrottleStore> Throttle<T> {
    /// A throttle with the default limits keeping its counts in `store`.
    pub fn with_store(store: T) -> Self {
        Throttle {
            store: Arc::new(store),
            policy: Policy {
                username: Limits::default_username(),
                address: Limits::default_address(),
            },
            per_username: true,
            per_address: true,
            addr: ClientAddrSource::Connection,
            ipv6_prefix: 64,
            clock: Arc::new(SystemClock),
            on_store_error: OnStoreError::FailOpen,
            user_key: None,
            warned_no_address: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl<T> Throttle<T> {
    /// Sets the per-user-id limits.
    pub fn per_username(mut self, limits: Limits) -> Self {
        self.policy.username = limits;
        self.per_username = true;
        self
    }

    /// Sets the per-address limits.
    pub fn per_address(mut self, limits: Limits) -> Self {
        self.policy.address = limits;
        self.per_address = true;
        self
    }

    /// Stops counting per user-id (an attacker can then no longer lock a known user out,
    /// but can guess one user's password from many addresses).
    pub fn without_username(mut self) -> Self {
        self.per_username = false;
        self
    }

    /// Stops counting per address.
    pub fn without_address(mut self) -> Self {
        self.per_address = false;
        self
    }

    /// Sets where the client address comes from (default: the connection).
    pub fn client_addr(mut self, source: ClientAddrSource) -> Self {
        self.addr = source;
        self
    }

    /// Groups IPv6 clients by this prefix length (default 64; 128 counts each address).
    pub fn ipv6_prefix(mut self, bits: u8) -> Self {
        self.ipv6_prefix = bits.min(128);
        self
    }

    /// Counts each user-id under `key(user_id)` instead of its [`default_user_key`]: user-ids
    /// with the same key share one count and one lock. The verifier still sees the user-id as
    /// the scheme read it. `|name: &str| name.to_owned()` counts exact spellings apart.
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
    pub fn user_key(mut self, key: impl Fn(&str) -> String + Send + Sync + 'static) -> Self {
        self.user_key = Some(Arc::new(key));
        self
    }

    /// Uses `clock` for the current time (tests: [`ManualClock`]).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Refuses requests with `500` when the store fails, instead of authenticating them
    /// without throttling.
    pub fn fail_closed(mut self) -> Self {
        self.on_store_error = OnStoreError::FailClosed;
        self
    }

    /// The store.
    pub fn store(&self) -> &T {
        &self.store
    }

    /// The limits.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub(crate) fn now(&self) -> Duration {
        self.clock.now()
    }

    /// The keys of one request: the user-id's (if the scheme read one) and the address's
    /// (if known).
    pub(crate) fn keys(&self, username: Option<Cow<'_, str>>, parts: &Parts) -> Keys {
        let mut keys = Keys::default();
        if self.per_username
            && let Some(name) = username
        {
            keys.push(match &self.user_key {
                Some(key) => ThrottleKey::username(&key(&name)),
                None => ThrottleKey::username(&default_user_key(&name)),
            });
        }
        if self.per_address {
            match self.addr.client_addr(parts) {
                Some(ip) => keys.push(ThrottleKey::address(mask(ip, self.ipv6_prefix))),
                None => self.warn_no_address(),
            }
        }
        keys
    }

    /// Says once, at the first request without a client address, that per-address
    /// throttling does nothing for such requests: a server that never hands the peer address
    /// on (axum without `ConnectInfo`) would otherwise never count per address, silently.
    fn warn_no_address(&self) {
        // A custom source that answers `None` decided so itself.
        if matches!(self.addr, ClientAddrSource::Custom(_) | ClientAddrSource::None) {
            return;
        }
        // The load keeps requests after the first off the shared cache line's write path.
        if self.warned_no_address.load(Ordering::Relaxed) || self.warned_no_address.swap(true, Ordering::Relaxed) {
            return;
        }
        tracing::warn!(
            client_addr = ?self.addr,
            "throttle: a request carries no client address, so per-address throttling does \
             nothing for it (only its user-id is counted); with axum serve with \
             `into_make_service_with_connect_info::<SocketAddr>()`, with hyper insert the peer's \
             `SocketAddr` (or a `ClientAddr`) into the request's extensions, behind proxies use \
             `ClientAddrSource::forwarded_for`; `Throttle::without_address()` silences this. \
             Logged once per throttle."
        );
    }
}

fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let bits = u128::from(v6);
            let m = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(prefix))
            };
            IpAddr::V6(Ipv6Addr::from(bits & m))
        }
        other => other,
    }
}

/// At most one key per kind, without allocating.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Keys {
    keys: [ThrottleKey; 2],
    len: usize,
}

impl Default for Keys {
    fn default() -> Self {
        let unused = ThrottleKey {
            kind: KeyKind::Address,
            id: [0; 16],
        };
        Keys {
            keys: [unused; 2],
            len: 0,
        }
    }
}

impl Keys {
    fn push(&mut self, k: ThrottleKey) {
        if self.len < 2 {
            self.keys[self.len] = k;
            self.len += 1;
        }
    }

    pub(crate) fn as_slice(&self) -> &[ThrottleKey] {
        &self.keys[..self.len]
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy {
            username: Limits::new(2, Duration::from_secs(1), Duration::from_secs(8)),
            address: Limits::default_address(),
        }
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let l = Limits::new(2, Duration::from_secs(1), Duration::from_secs(8));
        let locks: Vec<_> = (0..8).map(|n| l.lock_after(n).map(|d| d.as_secs())).collect();
        assert_eq!(locks, [None, None, None, Some(1), Some(2), Some(4), Some(8), Some(8)]);
        assert_eq!(l.lock_after(u32::MAX), Some(Duration::from_secs(8)));
    }

    #[test]
    fn decay_forgets_one_failure_per_interval() {
        let l = Limits::new(2, Duration::from_secs(1), Duration::from_secs(8));
        assert_eq!(l.decayed(5, Duration::from_secs(59)), 5);
        assert_eq!(l.decayed(5, Duration::from_secs(120)), 3);
        assert_eq!(l.decayed(5, Duration::from_secs(10_000)), 0);
    }

    #[test]
    fn memory_store_locks_and_unlocks() {
        let s = MemoryStore::new(10);
        let k = [ThrottleKey::username("bob")];
        let t = Duration::from_secs(1000);
        for _ in 0..2 {
            let st = s.record_failure(&k, &policy(), t).into_inner().unwrap();
            assert_eq!(st.locked_for, None);
        }
        let st = s.record_failure(&k, &policy(), t).into_inner().unwrap();
        assert_eq!(st.locked_for, Some(Duration::from_secs(1)));
        let st = s
            .check(&k, &policy(), t + Duration::from_millis(400))
            .into_inner()
            .unwrap();
        assert_eq!(st.locked_for, Some(Duration::from_millis(600)));
        let st = s.check(&k, &policy(), t + Duration::from_secs(1)).into_inner().unwrap();
        assert_eq!(st.locked_for, None);
        assert_eq!(st.failures, 3);
        s.reset(&k).into_inner().unwrap();
        assert!(s.is_empty());
    }

    #[test]
    fn memory_store_is_bounded_and_evicts_the_oldest() {
        let s = MemoryStore::new(3);
        let t = Duration::from_secs(1);
        for name in ["a", "b", "c", "d"] {
            s.record_failure(&[ThrottleKey::username(name)], &policy(), t)
                .into_inner()
                .unwrap();
        }
        assert_eq!(s.len(), 3);
        let a = s
            .check(&[ThrottleKey::username("a")], &policy(), t)
            .into_inner()
            .unwrap();
        assert_eq!(a.failures, 0, "the oldest key was evicted");
        let d = s
            .check(&[ThrottleKey::username("d")], &policy(), t)
            .into_inner()
            .unwrap();
        assert_eq!(d.failures, 1);
    }

    #[test]
    fn forwarded_for_trusts_only_the_given_hops() {
        let mut parts = http::Request::new(()).into_parts().0;
        parts
            .headers
            .append("x-forwarded-for", "6.6.6.6, 1.1.1.1".parse().unwrap());
        parts.headers.append("x-forwarded-for", "2.2.2.2:4711".parse().unwrap());
        parts.extensions.insert(SocketAddr::from(([9, 9, 9, 9], 1)));
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert_eq!(ClientAddrSource::forwarded_for(1).client_addr(&parts), ip("2.2.2.2"));
        assert_eq!(ClientAddrSource::forwarded_for(2).client_addr(&parts), ip("1.1.1.1"));
        assert_eq!(ClientAddrSource::forwarded_for(3).client_addr(&parts), ip("6.6.6.6"));
        // Too few entries: the connection's peer.
        assert_eq!(ClientAddrSource::forwarded_for(4).client_addr(&parts), ip("9.9.9.9"));
        assert_eq!(ClientAddrSource::Connection.client_addr(&parts), ip("9.9.9.9"));
        parts.headers.insert("x-real-ip", "[2001:db8::1]".parse().unwrap());
        let real = ClientAddrSource::header(HeaderName::from_static("x-real-ip"), 1);
        assert_eq!(real.client_addr(&parts), ip("2001:db8::1"));
        parts.headers.insert("x-real-ip", "garbage".parse().unwrap());
        assert_eq!(real.client_addr(&parts), ip("9.9.9.9"));
    }

    #[test]
    fn default_user_keys_fold_case_and_width_and_never_fail() {
        for (name, key) in [
            ("admin", "admin"),
            ("ADMIN", "admin"),
            ("ａｄｍｉｎ", "admin"),
            ("ＡｄＭｉＮ", "admin"),
            ("J\u{c4}s\u{f8}n DOE", "j\u{e4}s\u{f8}n doe"),
            ("Ja\u{308}son", "j\u{e4}son"), // NFC
            ("userhash:ABCDEF", "userhash:abcdef"),
            // Refused by the profile: lower-cased as text, still a key.
            ("Crab\u{1f980}", "crab\u{1f980}"),
            ("Two  Spaces", "two  spaces"),
            (" É", " é"),
            ("A\u{7}B", "a\u{7}b"),
            ("", ""),
        ] {
            assert_eq!(default_user_key(name), key, "{name:?}");
        }
        assert!(matches!(default_user_key("admin"), Cow::Borrowed(_)));
        assert_eq!(
            ThrottleKey::username(&default_user_key("ＡＤＭＩＮ")),
            ThrottleKey::username("admin")
        );
    }

    #[test]
    fn ipv6_grouped_by_prefix_and_keys_do_not_hold_names() {
        let a = mask("2001:db8:1:2:aaaa::1".parse().unwrap(), 64);
        let b = mask("2001:db8:1:2:bbbb::2".parse().unwrap(), 64);
        assert_eq!(a, b);
        assert_eq!(
            mask("10.0.0.1".parse().unwrap(), 64),
            "10.0.0.1".parse::<IpAddr>().unwrap()
        );
        let k = ThrottleKey::username("alice-secret-name");
        assert!(!format!("{k:?}").contains("alice"));
        assert_eq!(k.to_hex().len(), 34);
        assert_eq!(
            format!("{:?}", ThrottleKey::address("10.0.0.1".parse().unwrap())),
            "ThrottleKey(address 10.0.0.1)"
        );
    }
}

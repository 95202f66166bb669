//! The verified-credential cache.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The default number of entries of a [`CredentialCache`].
pub const DEFAULT_CACHE_CAPACITY: usize = 1024;
/// The default time a [`CredentialCache`] entry stays valid.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(300);

/// Remembers, for a bounded time and a bounded number of entries, which credentials a slow
/// password hash has already verified, so that a client repeating the same credentials (Basic
/// sends them on every request) skips the hash. The idea is Caddy's `basic_auth` cache.
///
/// - An entry is keyed by HMAC-SHA256, under a random key drawn once per cache, of the
///   user-id, the password **and the stored hash**: the cache holds no password, and a
///   changed hash (a password change) no longer matches.
/// - Only a successful verification is remembered; a failure is never cached.
/// - Stores clear their cache when they reload their file.
/// - When full, expired entries are dropped first, then the oldest.
///
/// Clones share the entries. The verifiers in this module take `Option<CredentialCache>`:
/// `None` turns caching off.
///
/// ```
/// use std::time::Duration;
/// use tower_httpauth::store::CredentialCache;
///
/// let cache = CredentialCache::new(10_000, Duration::from_secs(60));
/// assert!(cache.is_empty());
/// ```
#[derive(Clone)]
pub struct CredentialCache {
    inner: Arc<Inner>,
}

struct Inner {
    key: [u8; 32],
    capacity: usize,
    ttl: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    entries: HashMap<[u8; 32], Instant>,
    /// Keys in the order they were remembered, with the time they were remembered: the
    /// front is the oldest, so that eviction takes constant time instead of a scan of every
    /// entry. A record whose key is gone or was remembered again since (its time differs
    /// from the entry's) is stale and skipped.
    order: VecDeque<([u8; 32], Instant)>,
    generation: u64,
    hits: u64,
    misses: u64,
}

/// Counters of a [`CredentialCache`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CacheStats {
    /// Verifications answered from the cache.
    pub hits: u64,
    /// Verifications that had to run the hash.
    pub misses: u64,
    /// Entries held now (some may have expired).
    pub entries: usize,
}

/// The cache key of one (user-id, password, stored hash) triple.
#[derive(Clone, Copy)]
pub(crate) struct CacheKey {
    mac: [u8; 32],
    generation: u64,
}

impl CredentialCache {
    /// A cache of at most `capacity` entries, each valid for `ttl`.
    ///
    /// # Panics
    ///
    /// If the operating system's random number generator fails.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("operating system RNG");
        CredentialCache {
            inner: Arc::new(Inner {
                key,
                capacity,
                ttl,
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// The configured capacity.
    pub fn capacity(&self) -> usize {
        self.inner.capacity
    }

    /// The configured time to live.
    pub fn ttl(&self) -> Duration {
        self.inner.ttl
    }

    /// The number of entries held (some may have expired).
    pub fn len(&self) -> usize {
        self.state().entries.len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Hit and miss counters.
    pub fn stats(&self) -> CacheStats {
        let s = self.state();
        CacheStats {
            hits: s.hits,
            misses: s.misses,
            entries: s.entries.len(),
        }
    }

    /// Forgets every entry. Verifications already running when this is called are not
    /// remembered when they finish.
    pub fn clear(&self) {
        let mut s = self.state();
        s.entries.clear();
        s.order.clear();
        s.generation = s.generation.wrapping_add(1);
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the map inconsistent.
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn mac(&self, username: &str, password: &str, stored: &[u8]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.inner.key).expect("HMAC takes any key length");
        // Length prefixes keep ("ab", "c") and ("a", "bc") apart.
        mac.update(&(username.len() as u64).to_be_bytes());
        mac.update(username.as_bytes());
        mac.update(&(password.len() as u64).to_be_bytes());
        mac.update(password.as_bytes());
        mac.update(stored);
        mac.finalize().into_bytes().into()
    }

    /// Looks the triple up: `Ok(())` on a live hit, `Err(key)` on a miss (the key to pass
    /// to [`remember`](Self::remember) once the slow hash succeeded).
    pub(crate) fn check(&self, username: &str, password: &str, stored: &[u8]) -> Result<(), CacheKey> {
        let mac = self.mac(username, password, stored);
        let now = Instant::now();
        let mut s = self.state();
        match s.entries.get(&mac) {
            Some(&at) if now.saturating_duration_since(at) < self.inner.ttl => {
                s.hits += 1;
                Ok(())
            }
            found => {
                if found.is_some() {
                    s.entries.remove(&mac);
                }
                s.misses += 1;
                Err(CacheKey {
                    mac,
                    generation: s.generation,
                })
            }
        }
    }

    /// Remembers a verified triple, unless the cache was cleared since `key` was made.
    pub(crate) fn remember(&self, key: CacheKey) {
        if self.inner.capacity == 0 {
            return;
        }
        let now = Instant::now();
        let ttl = self.inner.ttl;
        let mut s = self.state();
        if s.generation != key.generation {
            return;
        }
        let s = &mut *s;
        let capacity = self.inner.capacity;
        let adding = !s.entries.contains_key(&key.mac);
        // Entries are remembered in time order with one TTL, so the oldest record is both
        // the first to expire and the first to evict: drop stale and expired records from
        // the front, then the oldest live entries while the cache is full.
        while let Some(&(mac, at)) = s.order.front() {
            let current = s.entries.get(&mac) == Some(&at);
            let expired = now.saturating_duration_since(at) >= ttl;
            let full = adding && s.entries.len() >= capacity;
            if current && !expired && !full {
                break;
            }
            s.order.pop_front();
            if current {
                s.entries.remove(&mac);
            }
        }
        s.entries.insert(key.mac, now);
        s.order.push_back((key.mac, now));
        // Stale records (keys remembered again, or expired on lookup) behind a live front
        // are dropped once they outnumber the entries, so the queue stays within twice the
        // capacity and the work stays constant per call on average.
        if s.order.len() > 2 * capacity.max(s.entries.len()) + 16 {
            let entries = &s.entries;
            s.order.retain(|(mac, at)| entries.get(mac) == Some(at));
        }
    }
}

impl Default for CredentialCache {
    /// [`DEFAULT_CACHE_CAPACITY`] entries, [`DEFAULT_CACHE_TTL`].
    fn default() -> Self {
        CredentialCache::new(DEFAULT_CACHE_CAPACITY, DEFAULT_CACHE_TTL)
    }
}

impl fmt::Debug for CredentialCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialCache")
            .field("capacity", &self.inner.capacity)
            .field("ttl", &self.inner.ttl)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_after_remember_only() {
        let c = CredentialCache::new(4, Duration::from_secs(60));
        let k = c.check("u", "p", b"h").unwrap_err();
        assert!(c.check("u", "p", b"h").is_err(), "nothing remembered yet");
        c.remember(k);
        assert!(c.check("u", "p", b"h").is_ok());
        assert!(c.check("u", "p", b"other hash").is_err());
        assert!(c.check("u", "q", b"h").is_err());
        assert!(c.check("", "up", b"h").is_err());
        let s = c.stats();
        assert_eq!((s.hits, s.entries), (1, 1));
    }

    #[test]
    fn clear_drops_and_blocks_inflight() {
        let c = CredentialCache::new(4, Duration::from_secs(60));
        let k = c.check("u", "p", b"h").unwrap_err();
        c.clear();
        c.remember(k); // computed before the clear: ignored
        assert!(c.check("u", "p", b"h").is_err());
        assert!(c.is_empty());
    }

    #[test]
    fn bounded_and_expiring() {
        let c = CredentialCache::new(3, Duration::from_secs(60));
        for i in 0..10 {
            let k = c.check(&format!("u{i}"), "p", b"h").unwrap_err();
            c.remember(k);
            assert!(c.len() <= 3);
        }
        assert!(c.check("u9", "p", b"h").is_ok(), "newest kept");
        assert!(c.check("u0", "p", b"h").is_err(), "oldest evicted");

        let c = CredentialCache::new(3, Duration::ZERO);
        let k = c.check("u", "p", b"h").unwrap_err();
        c.remember(k);
        assert!(c.check("u", "p", b"h").is_err(), "expired at once");

        let off = CredentialCache::new(0, Duration::from_secs(60));
        let k = off.check("u", "p", b"h").unwrap_err();
        off.remember(k);
        assert!(off.is_empty());
    }

    #[test]
    fn full_cache_evicts_in_remembering_order_and_its_queue_stays_bounded() {
        let c = CredentialCache::new(3, Duration::from_secs(60));
        let remember = |u: &str| {
            let k = c.check(u, "p", b"h").unwrap_err();
            c.remember(k);
        };
        remember("first");
        // Entries that vanish behind a live oldest one (expired on lookup) leave records in
        // the queue: it must not grow with them.
        for _ in 0..1000 {
            remember("gone");
            let mac = c.mac("gone", "p", b"h");
            c.state().entries.remove(&mac);
        }
        assert!(
            c.state().order.len() <= 2 * 3 + 16,
            "queue of {}",
            c.state().order.len()
        );
        for u in ["same", "a"] {
            remember(u);
        }
        assert_eq!(c.len(), 3);
        remember("b"); // full: evicts the oldest remembered, "first"
        assert_eq!(c.len(), 3);
        assert!(c.check("first", "p", b"h").is_err(), "oldest evicted");
        for u in ["same", "a", "b"] {
            assert!(c.check(u, "p", b"h").is_ok(), "{u} kept");
        }
    }

    #[test]
    fn off_cache_remembers_nothing() {
        let off = CredentialCache::new(0, Duration::from_secs(60));
        let k = off.check("u", "p", b"h").unwrap_err();
        off.remember(k);
        assert!(off.is_empty());
    }
}

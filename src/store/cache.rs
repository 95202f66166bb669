//! [`CredentialCache`]: which credentials a slow password hash has already verified.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::bounded::BoundedMap;

/// The number of entries of [`CredentialCache::default`].
const DEFAULT_CAPACITY: usize = 1024;
/// How long an entry of [`CredentialCache::default`] stays valid.
const DEFAULT_TTL: Duration = Duration::from_secs(300);

/// Remembers, for a bounded time and a bounded number of entries, which credentials a slow
/// password hash has already verified, so that a client repeating the same credentials (Basic
/// sends them on every request) skips the hash. The idea is Caddy's `basic_auth` cache.
///
/// - An entry is keyed by HMAC-SHA256, under a random key drawn once per cache, of the
///   user-id, the password **and the stored hash**: the cache holds no password, and a
///   changed hash (a password change) no longer matches.
/// - Only a successful verification is remembered; a failure is never cached.
/// - An entry is valid for the cache's time to live (an expired one is dropped when it is
///   looked up); when the cache is full, the least recently used entry makes room, in
///   constant time whatever the capacity.
/// - [`clear`](Self::clear) forgets every entry, and verifications running at that moment
///   are not remembered. [`Htpasswd`](super::Htpasswd) clears its cache when its file is
///   reloaded (at the first verification that sees the new contents, or in
///   [`Htpasswd::reload`](super::Htpasswd::reload)).
///
/// Clones share the entries; give each store a cache of its own. The verifiers in this
/// module take `Option<CredentialCache>`: `None` turns caching off.
///
/// ```
/// use std::time::Duration;
/// use tower_httpauth::store::CredentialCache;
///
/// let cache = CredentialCache::new(10_000, Duration::from_secs(60));
/// assert!(cache.is_empty());
/// assert_eq!((cache.hits(), cache.misses()), (0, 0));
/// ```
#[derive(Clone)]
pub struct CredentialCache {
    inner: Arc<Inner>,
}

struct Inner {
    key: [u8; 32],
    /// `0`: nothing is remembered.
    capacity: usize,
    ttl: Duration,
    /// MAC → when the credentials were verified.
    entries: BoundedMap<[u8; 32], Instant>,
    /// Part of every MAC, and raised by `clear`: an entry made before a clear never matches
    /// after it, even one that a verification running during the clear inserts late.
    generation: AtomicU64,
    /// The store table the entries were verified against (see `follow`).
    #[cfg(feature = "htpasswd")]
    table: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// The cache key of one (user-id, password, stored hash) triple, as of one generation.
#[derive(Clone, Copy)]
pub(crate) struct CacheKey {
    mac: [u8; 32],
    generation: u64,
}

impl CredentialCache {
    /// A cache of at most `capacity` entries, each valid for `ttl`. A capacity of `0`
    /// remembers nothing.
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
                entries: BoundedMap::new(capacity),
                generation: AtomicU64::new(0),
                #[cfg(feature = "htpasswd")]
                table: AtomicU64::new(0),
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
            }),
        }
    }

    /// The number of entries held (some may have expired).
    pub fn len(&self) -> usize {
        self.inner.entries.len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many verifications the cache answered (the hash did not run).
    pub fn hits(&self) -> u64 {
        self.inner.hits.load(Ordering::Relaxed)
    }

    /// How many verifications of a known user found nothing valid in the cache (the hash
    /// ran).
    pub fn misses(&self) -> u64 {
        self.inner.misses.load(Ordering::Relaxed)
    }

    /// Forgets every entry. Verifications already running when this is called are not
    /// remembered when they finish.
    pub fn clear(&self) {
        // Raise the generation first: a verification that read the old one and inserts
        // after the map is emptied leaves an entry no lookup can match.
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
        self.inner.entries.clear();
    }

    /// Clears the cache if `table` (the id of the store table a verification reads) is not
    /// the one the entries were verified against: a store that reloaded its file in the
    /// background drops what was verified against the old contents.
    #[cfg(feature = "htpasswd")]
    pub(crate) fn follow(&self, table: u64) {
        let seen = &self.inner.table;
        if seen.load(Ordering::Acquire) != table && seen.swap(table, Ordering::AcqRel) != table {
            self.clear();
        }
    }

    fn mac(&self, generation: u64, username: &str, password: &str, stored: &[u8]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.inner.key).expect("HMAC takes any key length");
        mac.update(&generation.to_be_bytes());
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
        let inner = &self.inner;
        let generation = inner.generation.load(Ordering::Acquire);
        let mac = self.mac(generation, username, password, stored);
        let now = Instant::now();
        match inner
            .entries
            .with(&mac, |at| now.saturating_duration_since(*at) < inner.ttl)
        {
            Some(true) => {
                inner.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            }
            Some(false) => {
                inner.entries.remove(&mac);
            }
            None => {}
        }
        inner.misses.fetch_add(1, Ordering::Relaxed);
        Err(CacheKey { mac, generation })
    }

    /// Remembers a verified triple, unless the cache was cleared since `key` was made.
    pub(crate) fn remember(&self, key: CacheKey) {
        let inner = &self.inner;
        if inner.capacity == 0 || inner.generation.load(Ordering::Acquire) != key.generation {
            return;
        }
        // At the bound the least recently used entry makes room. No sweep for expired
        // entries first: that would visit every entry on every miss of a full cache.
        let now = Instant::now();
        inner.entries.upsert(&key.mac, || now, |at| *at = now);
    }
}

impl Default for CredentialCache {
    /// 1024 entries, each valid for 5 minutes.
    fn default() -> Self {
        CredentialCache::new(DEFAULT_CAPACITY, DEFAULT_TTL)
    }
}

impl fmt::Debug for CredentialCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialCache")
            .field("capacity", &self.inner.capacity)
            .field("ttl", &self.inner.ttl)
            .field("entries", &self.len())
            .field("hits", &self.hits())
            .field("misses", &self.misses())
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
        assert_eq!((c.hits(), c.len()), (1, 1));
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
    fn remembering_at_the_bound_evicts_one_entry_and_does_not_sweep_the_cache() {
        // Every entry has expired: a sweep would empty the cache; one eviction leaves it full.
        let c = CredentialCache::new(3, Duration::ZERO);
        for i in 0..4 {
            let k = c.check(&format!("u{i}"), "p", b"h").unwrap_err();
            c.remember(k);
        }
        assert_eq!(c.len(), 3);
    }

    #[cfg(feature = "htpasswd")]
    #[test]
    fn a_new_table_clears_what_the_old_one_verified() {
        let c = CredentialCache::new(4, Duration::from_secs(60));
        c.follow(1);
        let k = c.check("u", "p", b"h").unwrap_err();
        c.remember(k);
        c.follow(1);
        assert!(c.check("u", "p", b"h").is_ok(), "same table: kept");
        // A verification running against table 1 while table 2 came in is not remembered.
        let inflight = c.check("v", "p", b"h").unwrap_err();
        c.follow(2);
        c.remember(inflight);
        assert!(c.is_empty());
        assert!(c.check("u", "p", b"h").is_err());
    }
}

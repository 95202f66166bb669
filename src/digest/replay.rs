//! Replay protection: each (nonce, nc) is accepted once, and nc must increase.

use std::collections::{HashMap, VecDeque};
use std::future::{Future, Ready, ready};
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex};

use crate::BoxError;
use crate::scheme::Started;

/// One use of a nonce, handed to a [`NonceStore`].
///
/// The nonce is authentic (its signature was checked) and not expired when the store is
/// asked. A store for a fleet (Redis, …) keys on [`nonce`](Self::nonce) and may expire its
/// record at [`expires_ms`](Self::expires_ms): after that the scheme refuses the nonce by
/// itself, on every layer sharing the secret (the expiry is carried in the signed nonce, the
/// same whichever layer's [`Digest::nonce_lifetime`](crate::digest::Digest::nonce_lifetime)
/// asks).
#[derive(Debug, Clone, Copy)]
pub struct NonceUse<'a> {
    /// The nonce as sent (at most a few dozen ASCII characters).
    pub nonce: &'a str,
    /// The nonce count; `0` for an RFC 2069-style response, which has none (such a nonce
    /// is then good for one request).
    pub nc: u32,
    /// When the nonce was issued, in milliseconds since the Unix epoch.
    pub issued_ms: u64,
    /// When the nonce expires, in milliseconds since the Unix epoch.
    pub expires_ms: u64,
    /// The current time, in milliseconds since the Unix epoch.
    pub now_ms: u64,
}

/// What a [`NonceStore`] says about a nonce use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceCheck {
    /// First use of this nc, higher than any before: accept (and it is now recorded).
    Fresh,
    /// This nc was seen already, or is not higher than one seen, or the store cannot
    /// vouch for it (it forgot the nonce): refuse with `stale=true`.
    Refused,
}

/// Records which (nonce, nc) pairs were used, so that none is accepted twice.
///
/// The check and the record must be one atomic step (compare-and-set): two concurrent
/// requests with the same (nonce, nc) must not both be `Fresh`. A store that does not
/// know a nonce it may have forgotten must answer [`NonceCheck::Refused`] (fail closed);
/// an error is answered `500`, never accepted.
///
/// A Redis store, for instance, runs one Lua script per use: read the nonce's key, answer
/// `Refused` unless `nc` is greater, else `SET key nc PXAT expires_ms`.
///
/// ```
/// use std::future::{Ready, ready};
/// use tower_httpauth::BoxError;
/// use tower_httpauth::digest::{NonceCheck, NonceStore, NonceUse};
///
/// /// Accepts each nonce once, whatever its nc (one-time nonces).
/// struct OneShot(std::sync::Mutex<std::collections::HashSet<String>>);
///
/// impl NonceStore for OneShot {
///     type Future = Ready<Result<NonceCheck, BoxError>>;
///     fn check_and_record(&self, u: &NonceUse<'_>) -> Self::Future {
///         let fresh = self.0.lock().unwrap().insert(u.nonce.to_owned());
///         ready(Ok(if fresh { NonceCheck::Fresh } else { NonceCheck::Refused }))
///     }
/// }
/// ```
pub trait NonceStore: Send + Sync + 'static {
    /// The future of a check.
    type Future: Future<Output = Result<NonceCheck, BoxError>> + Send + 'static;

    /// Checks that `nonce_use.nc` is higher than every nc recorded for
    /// `nonce_use.nonce`, and records it if so, atomically.
    fn check_and_record(&self, nonce_use: &NonceUse<'_>) -> Self::Future;

    /// Like [`check_and_record`](Self::check_and_record), but a store that can answer
    /// without waiting (in memory) returns [`Started::Done`], which lets the layer skip its
    /// asynchronous machinery. The default returns
    /// [`Started::Pending`]`(self.check_and_record(nonce_use))`.
    fn start_check(&self, nonce_use: &NonceUse<'_>) -> Started<Result<NonceCheck, BoxError>, Self::Future> {
        Started::Pending(self.check_and_record(nonce_use))
    }
}

impl<T: NonceStore> NonceStore for Arc<T> {
    type Future = T::Future;
    fn check_and_record(&self, nonce_use: &NonceUse<'_>) -> Self::Future {
        (**self).check_and_record(nonce_use)
    }
    fn start_check(&self, nonce_use: &NonceUse<'_>) -> Started<Result<NonceCheck, BoxError>, Self::Future> {
        (**self).start_check(nonce_use)
    }
}

/// The default [`NonceStore`]: in memory, bounded in entries and in bytes.
///
/// When full it forgets the oldest entries first, and remembers the newest issue time
/// among the forgotten ones: any nonce issued at or before that time that it does not
/// know is refused (fail closed), because it may be one it forgot. Expired entries are
/// dropped as they come up.
///
/// Share one store between the layers of one process by cloning it (clones share state).
/// For several instances behind a load balancer, share the nonce secret and use a shared
/// store (Redis, …) implementing [`NonceStore`].
#[derive(Clone)]
pub struct MemoryNonceStore {
    inner: Arc<Mutex<Memory>>,
}

impl std::fmt::Debug for MemoryNonceStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        f.debug_struct("MemoryNonceStore")
            .field("entries", &m.map.len())
            .field("bytes", &m.bytes)
            .field("max_entries", &m.max_entries)
            .field("max_bytes", &m.max_bytes)
            .finish()
    }
}

struct Entry {
    nc: u32,
    issued_ms: u64,
}

/// Hashes a nonce by its length and its last 16 bytes only, with the process's random
/// SipHash key. For this crate's nonces those bytes are HMAC tag, unpredictable without
/// the secret, so they spread as well as the whole nonce would, for a quarter of the
/// hashing. Keys are still compared whole: two nonces that share the hashed part are
/// different entries, never one.
#[derive(Clone, Default)]
struct TailHash(std::hash::RandomState);

struct TailHasher(std::hash::DefaultHasher);

impl BuildHasher for TailHash {
    type Hasher = TailHasher;
    fn build_hasher(&self) -> TailHasher {
        TailHasher(self.0.build_hasher())
    }
}

impl Hasher for TailHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.write_usize(bytes.len());
        self.0.write(&bytes[bytes.len().saturating_sub(16)..]);
    }
    fn finish(&self) -> u64 {
        self.0.finish()
    }
}

struct Memory {
    map: HashMap<Arc<str>, Entry, TailHash>,
    /// Keys in first-use order, with their expiry (so that dropping expired entries needs
    /// no map lookup).
    order: VecDeque<(Arc<str>, u64)>,
    bytes: usize,
    max_entries: usize,
    max_bytes: usize,
    /// The newest issue time among forgotten (evicted) nonces.
    forgotten_until_ms: Option<u64>,
}

/// Bytes accounted per entry beyond the nonce itself (map slot 33, queue slot 24, Arc
/// header 16).
const ENTRY_OVERHEAD: usize = 96;

impl Default for MemoryNonceStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryNonceStore {
    /// The default bounds: 100 000 entries, 16 MiB.
    pub const DEFAULT_MAX_ENTRIES: usize = 100_000;
    /// The default byte bound.
    pub const DEFAULT_MAX_BYTES: usize = 16 << 20;

    /// A store with the default bounds.
    pub fn new() -> Self {
        Self::with_limits(Self::DEFAULT_MAX_ENTRIES, Self::DEFAULT_MAX_BYTES)
    }

    /// A store holding at most `max_entries` nonces and about `max_bytes` bytes.
    pub fn with_limits(max_entries: usize, max_bytes: usize) -> Self {
        MemoryNonceStore {
            inner: Arc::new(Mutex::new(Memory {
                map: HashMap::default(),
                order: VecDeque::new(),
                bytes: 0,
                max_entries: max_entries.max(1),
                max_bytes,
                forgotten_until_ms: None,
            })),
        }
    }

    /// How many nonces are tracked.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether no nonce is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Memory> {
        // A panic while holding the lock cannot leave the map inconsistent in a way that
        // accepts a replay (entries are only ever removed or raised), so carry on.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The synchronous check behind [`NonceStore::check_and_record`].
    pub fn check(&self, u: &NonceUse<'_>) -> NonceCheck {
        let mut m = self.lock();
        m.drop_expired(u.now_ms);
        if u.expires_ms <= u.now_ms {
            return NonceCheck::Refused;
        }
        if let Some(e) = m.map.get_mut(u.nonce) {
            if u.nc > e.nc {
                e.nc = u.nc;
                return NonceCheck::Fresh;
            }
            return NonceCheck::Refused;
        }
        if m.forgotten_until_ms.is_some_and(|t| u.issued_ms <= t) {
            return NonceCheck::Refused;
        }
        let cost = u.nonce.len() + ENTRY_OVERHEAD;
        if cost > m.max_bytes {
            return NonceCheck::Refused;
        }
        while m.map.len() >= m.max_entries || m.bytes + cost > m.max_bytes {
            if !m.evict_oldest() {
                break;
            }
        }
        let key: Arc<str> = Arc::from(u.nonce);
        m.order.push_back((key.clone(), u.expires_ms));
        m.map.insert(
            key,
            Entry {
                nc: u.nc,
                issued_ms: u.issued_ms,
            },
        );
        m.bytes += cost;
        NonceCheck::Fresh
    }
}

impl Memory {
    fn remove_front(&mut self) -> Option<Entry> {
        let (key, _) = self.order.pop_front()?;
        let e = self.map.remove(&key)?;
        self.bytes = self.bytes.saturating_sub(key.len() + ENTRY_OVERHEAD);
        Some(e)
    }

    fn evict_oldest(&mut self) -> bool {
        match self.remove_front() {
            Some(e) => {
                let t = self.forgotten_until_ms.map_or(e.issued_ms, |t| t.max(e.issued_ms));
                self.forgotten_until_ms = Some(t);
                true
            }
            None => false,
        }
    }

    fn drop_expired(&mut self, now_ms: u64) {
        // Entries are queued in first-use order, which follows expiry closely; stop at the
        // first live one. An expired nonce is refused by the scheme itself, so forgetting it
        // needs no watermark.
        while let Some(&(_, expires_ms)) = self.order.front() {
            if expires_ms > now_ms {
                break;
            }
            self.remove_front();
        }
    }
}

impl NonceStore for MemoryNonceStore {
    type Future = Ready<Result<NonceCheck, BoxError>>;

    fn check_and_record(&self, nonce_use: &NonceUse<'_>) -> Self::Future {
        ready(Ok(self.check(nonce_use)))
    }

    fn start_check(&self, nonce_use: &NonceUse<'_>) -> Started<Result<NonceCheck, BoxError>, Self::Future> {
        Started::Done(Ok(self.check(nonce_use)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(nonce: &str, nc: u32, issued_ms: u64) -> NonceUse<'_> {
        NonceUse {
            nonce,
            nc,
            issued_ms,
            expires_ms: issued_ms + 1_000_000,
            now_ms: issued_ms + 1,
        }
    }

    #[test]
    fn nc_must_increase() {
        let s = MemoryNonceStore::new();
        assert_eq!(s.check(&u("a", 1, 10)), NonceCheck::Fresh);
        assert_eq!(s.check(&u("a", 1, 10)), NonceCheck::Refused);
        assert_eq!(s.check(&u("a", 2, 10)), NonceCheck::Fresh);
        assert_eq!(s.check(&u("a", 5, 10)), NonceCheck::Fresh);
        assert_eq!(s.check(&u("a", 3, 10)), NonceCheck::Refused);
        assert_eq!(s.check(&u("b", 1, 10)), NonceCheck::Fresh);
        // RFC 2069 use (nc 0): once.
        assert_eq!(s.check(&u("c", 0, 10)), NonceCheck::Fresh);
        assert_eq!(s.check(&u("c", 0, 10)), NonceCheck::Refused);
    }

    #[test]
    fn bounded_and_fails_closed() {
        let s = MemoryNonceStore::with_limits(2, 1 << 20);
        assert_eq!(s.check(&u("a", 1, 10)), NonceCheck::Fresh);
        assert_eq!(s.check(&u("b", 1, 20)), NonceCheck::Fresh);
        assert_eq!(s.check(&u("c", 1, 30)), NonceCheck::Fresh); // evicts "a"
        assert_eq!(s.len(), 2);
        // "a" was forgotten: a replay of it is refused, not accepted.
        assert_eq!(s.check(&u("a", 1, 10)), NonceCheck::Refused);
        assert_eq!(s.check(&u("a", 2, 10)), NonceCheck::Refused);
        // A never-seen nonce issued no later than a forgotten one cannot be vouched for.
        assert_eq!(s.check(&u("z", 1, 5)), NonceCheck::Refused);
        // Newer nonces are fine.
        assert_eq!(s.check(&u("d", 1, 40)), NonceCheck::Fresh);
    }

    #[test]
    fn byte_bound() {
        let nonce = "n".repeat(100);
        let s = MemoryNonceStore::with_limits(1000, 3 * (100 + ENTRY_OVERHEAD));
        for i in 0..10u64 {
            let n = format!("{nonce}{i}");
            assert_eq!(s.check(&u(&n[1..], 1, i)), NonceCheck::Fresh);
        }
        assert!(s.len() <= 3);
        assert!(s.lock().bytes <= 3 * (100 + ENTRY_OVERHEAD));
    }

    #[test]
    fn nonces_sharing_their_tail_stay_apart() {
        let s = MemoryNonceStore::new();
        let tail = "t".repeat(16);
        let (a, b) = (format!("a{tail}"), format!("b{tail}"));
        assert_eq!(s.check(&u(&a, 5, 10)), NonceCheck::Fresh);
        // Same length and last 16 bytes: another nonce, with its own count.
        assert_eq!(s.check(&u(&b, 1, 10)), NonceCheck::Fresh);
        assert_eq!(s.check(&u(&b, 1, 10)), NonceCheck::Refused);
        assert_eq!(s.check(&u(&a, 5, 10)), NonceCheck::Refused);
        assert_eq!(s.check(&u(&a, 6, 10)), NonceCheck::Fresh);
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn expired_entries_are_dropped_and_refused() {
        let s = MemoryNonceStore::new();
        let mut a = u("a", 1, 10);
        a.expires_ms = 20;
        assert_eq!(s.check(&a), NonceCheck::Fresh);
        a.now_ms = 25;
        a.nc = 2;
        assert_eq!(s.check(&a), NonceCheck::Refused);
        assert!(s.is_empty());
    }
}

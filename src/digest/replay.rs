//! Replay protection: each (nonce, nc) is accepted once, and nc must increase.

use std::future::{Future, ready};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::BoxError;
use crate::bounded::BoundedMap;

/// One use of a nonce, handed to a [`NonceStore`].
///
/// The nonce is authentic (its signature was checked) and not expired when the store is
/// asked. A store for a fleet (Redis, …) keys on [`nonce`](Self::nonce) and may expire its
/// record at [`expires_ms`](Self::expires_ms): after that the scheme refuses the nonce by
/// itself, on every layer sharing the secret (the expiry is carried in the signed nonce, the
/// same whichever layer's [`Digest::nonce_lifetime`](super::Digest::nonce_lifetime) asks).
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
/// The Redis store of the `redis` feature (`Redis::nonce_store()`), for instance, runs one
/// Lua script per use: read the nonce's key, answer `Refused` unless `nc` is greater, else
/// record `nc` until the nonce expires. The future is boxed
/// so that [`Digest`](super::Digest) holds any store behind one type
/// ([`Digest::nonce_store`](super::Digest::nonce_store)); it owns what it needs, since it
/// may outlive `nonce_use`.
///
/// ```
/// use std::collections::HashSet;
/// use std::future::{Future, ready};
/// use std::pin::Pin;
/// use std::sync::Mutex;
/// use tower_httpauth::BoxError;
/// use tower_httpauth::digest::{Digest, DigestUsers, NonceCheck, NonceStore, NonceUse};
///
/// /// Accepts each nonce once, whatever its nc (one-time nonces).
/// struct OneShot(Mutex<HashSet<String>>);
///
/// impl NonceStore for OneShot {
///     fn check_and_record(&self, u: &NonceUse<'_>) -> Pin<Box<dyn Future<Output = Result<NonceCheck, BoxError>> + Send>> {
///         let fresh = self.0.lock().unwrap().insert(u.nonce.to_owned());
///         Box::pin(ready(Ok(if fresh { NonceCheck::Fresh } else { NonceCheck::Refused })))
///     }
/// }
///
/// let digest = Digest::new(DigestUsers::new("api")).realm("api").nonce_store(OneShot(Mutex::default()));
/// # let _ = digest;
/// ```
pub trait NonceStore: Send + Sync + 'static {
    /// Checks that `nonce_use.nc` is higher than every nc recorded for
    /// `nonce_use.nonce`, and records it if so, atomically.
    fn check_and_record(
        &self,
        nonce_use: &NonceUse<'_>,
    ) -> Pin<Box<dyn Future<Output = Result<NonceCheck, BoxError>> + Send>>;
}

impl<T: NonceStore> NonceStore for Arc<T> {
    fn check_and_record(
        &self,
        nonce_use: &NonceUse<'_>,
    ) -> Pin<Box<dyn Future<Output = Result<NonceCheck, BoxError>> + Send>> {
        (**self).check_and_record(nonce_use)
    }
}

/// The longest nonce [`MemoryNonceStore`] records, in bytes; a longer one is refused. This
/// crate's nonces are 83 characters: the bound only matters to a store used for others.
const MAX_NONCE_LEN: usize = 128;

/// Bytes accounted per entry besides the nonce: the map's slot (key, entry, use sequence),
/// the recency index's, the key's allocation header, and the hash table's spare room. Set
/// from what the `growth` bench measures on the heap at the default bound, with room for a
/// table just grown and for the allocator's rounding, so that `max_bytes` holds.
const ENTRY_OVERHEAD: usize = 320;

/// What one entry is accounted for in the byte bound: as if its nonce were as long as
/// allowed, so that the bound on entries is a bound on bytes.
const ENTRY_COST: usize = MAX_NONCE_LEN + ENTRY_OVERHEAD;

/// The default [`NonceStore`]: in memory, bounded in entries and in bytes.
///
/// When full it forgets the least recently used nonce, and remembers the newest issue time
/// among the forgotten ones: any nonce issued at or before that time that it does not know
/// is refused (fail closed), because it may be one it forgot. The client then gets `401`
/// with `stale=true` and retries with a fresh nonce, newer than every forgotten one. A nonce
/// used after its expiry is refused and forgotten.
///
/// Share one store between the layers of one process by cloning it (clones share state;
/// clones of a [`Digest`](super::Digest) share theirs). For several instances behind a load
/// balancer, share the nonce secret and use a shared store implementing [`NonceStore`], such
/// as `Redis::nonce_store()` (feature `redis`).
#[derive(Clone)]
pub struct MemoryNonceStore {
    inner: Arc<Memory>,
}

struct Memory {
    map: BoundedMap<Arc<str>, Entry>,
    /// One past the newest issue time (ms since the epoch) among the live nonces forgotten
    /// to make room: unknown nonces issued before it are refused. Only read and written
    /// under the map's lock, inside its closures.
    forgotten_before_ms: AtomicU64,
    /// `false` when the byte bound leaves room for no entry at all.
    accepts: bool,
}

struct Entry {
    nc: u32,
    issued_ms: u64,
    expires_ms: u64,
}

impl std::fmt::Debug for MemoryNonceStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryNonceStore")
            .field("entries", &self.inner.map.len())
            .field("max_entries", &self.inner.map.capacity())
            .finish()
    }
}

impl Default for MemoryNonceStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryNonceStore {
    /// A store of at most 100 000 nonces and 32 MiB (the byte bound binds first: about
    /// 75 000 nonces).
    pub fn new() -> Self {
        Self::with_limits(100_000, 32 << 20)
    }

    /// A store holding at most `max_entries` nonces and `max_bytes` bytes, each nonce
    /// accounted for as if it were 128 bytes long (this crate's are 83; a longer one is
    /// refused), with its share of the tables.
    pub fn with_limits(max_entries: usize, max_bytes: usize) -> Self {
        let capacity = max_entries.min(max_bytes / ENTRY_COST);
        MemoryNonceStore {
            inner: Arc::new(Memory {
                map: BoundedMap::new(capacity),
                forgotten_before_ms: AtomicU64::new(0),
                accepts: capacity > 0,
            }),
        }
    }

    /// How many nonces are tracked.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner.map.len()
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes the entries are accounted for.
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.len() * ENTRY_COST
    }

    /// The check behind [`NonceStore::check_and_record`].
    fn check(&self, u: &NonceUse<'_>) -> NonceCheck {
        let memory = &*self.inner;
        let key: Arc<str> = Arc::from(u.nonce);
        if u.expires_ms <= u.now_ms {
            // The scheme refuses an expired nonce by itself: forgetting it needs no mark.
            memory.map.remove(&key);
            return NonceCheck::Refused;
        }
        if u.nonce.len() > MAX_NONCE_LEN || !memory.accepts {
            return NonceCheck::Refused;
        }
        let forgotten = &memory.forgotten_before_ms;
        memory.map.upsert_or_decline(
            &key,
            |seen| {
                if u.nc > seen.nc {
                    seen.nc = u.nc;
                    NonceCheck::Fresh
                } else {
                    NonceCheck::Refused
                }
            },
            || {
                if u.issued_ms < forgotten.load(Relaxed) {
                    // Perhaps one of the forgotten: it cannot be vouched for.
                    return Err(NonceCheck::Refused);
                }
                let entry = Entry {
                    nc: u.nc,
                    issued_ms: u.issued_ms,
                    expires_ms: u.expires_ms,
                };
                Ok((entry, NonceCheck::Fresh))
            },
            |_, old| {
                if old.expires_ms > u.now_ms {
                    forgotten.fetch_max(old.issued_ms.saturating_add(1), Relaxed);
                }
            },
        )
    }
}

impl NonceStore for MemoryNonceStore {
    fn check_and_record(
        &self,
        nonce_use: &NonceUse<'_>,
    ) -> Pin<Box<dyn Future<Output = Result<NonceCheck, BoxError>> + Send>> {
        Box::pin(ready(Ok(self.check(nonce_use))))
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
        assert!(s.bytes() <= 3 * (100 + ENTRY_OVERHEAD));
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

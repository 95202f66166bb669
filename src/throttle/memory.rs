//! The in-process store: counts in a [`BoundedMap`], least recently used evicted at the bound,
//! running locks passed over.

use std::future::{Future, ready};
use std::pin::Pin;
use std::time::Duration;

use super::keys::KeyKind;
use super::{Limits, ThrottleKey, ThrottleStatus, ThrottleStore};
use crate::BoxError;
use crate::bounded::BoundedMap;

type StoreFuture = Pin<Box<dyn Future<Output = Result<ThrottleStatus, BoxError>> + Send>>;

/// One key's count.
#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    /// Clock time of the last failure, in milliseconds.
    last: u64,
    /// Clock time the lock ends, in milliseconds (in the past: not locked).
    locked_until: u64,
}

impl Entry {
    fn status(&self, limits: &Limits, now: u64) -> ThrottleStatus {
        let failures = limits.decayed(self.failures, Duration::from_millis(now.saturating_sub(self.last)));
        let locked_for = (self.locked_until > now).then(|| Duration::from_millis(self.locked_until - now));
        ThrottleStatus { locked_for, failures }
    }
}

/// The store of [`Throttle::new`](super::Throttle::new) and
/// [`Throttle::in_memory`](super::Throttle::in_memory): at most a fixed number of keys,
/// the least recently used evicted to make room, passing over keys whose lock is running.
///
/// Memory is about 200 bytes per key (the map's slot and the recency index's), measured in
/// BENCHMARKS.md. An attacker who sprays failures over many user-ids and addresses evicts
/// the counts of idle keys, but not a running lock unless locked keys crowd the store
/// (each insert looks at a few of the oldest keys at most, and when all of those are locked
/// the oldest lock goes); the address key still counts all of
/// one address's failures, which is why both kinds are counted by default.
#[derive(Debug)]
pub(crate) struct MemoryStore {
    counts: BoundedMap<(KeyKind, [u8; 16]), Entry>,
}

/// The bound of [`Throttle::new`](super::Throttle::new)'s store.
pub(crate) const DEFAULT_MAX_KEYS: usize = 100_000;

impl MemoryStore {
    /// A store of at most `max_keys` keys (at least one).
    pub(crate) fn new(max_keys: usize) -> Self {
        MemoryStore {
            counts: BoundedMap::new(max_keys),
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.counts.len()
    }

    fn status(&self, keys: &[ThrottleKey], now: Duration) -> ThrottleStatus {
        let now = millis(now);
        keys.iter()
            .filter_map(|key| self.counts.with(&key.slot(), |entry| entry.status(key.limits(), now)))
            .fold(ThrottleStatus::default(), merge)
    }

    fn record(&self, keys: &[ThrottleKey], now: Duration) -> ThrottleStatus {
        let now = millis(now);
        let fresh = || Entry {
            failures: 0,
            last: now,
            locked_until: 0,
        };
        keys.iter()
            .map(|key| {
                let limits = key.limits();
                // A lock is forgotten only with its key: keep running locks through a spray
                // of new keys (a locked key that is left alone is otherwise the next to go).
                let locked = |entry: &Entry| entry.locked_until > now;
                self.counts.upsert_sparing(
                    &key.slot(),
                    fresh,
                    |entry| {
                        let elapsed = Duration::from_millis(now.saturating_sub(entry.last));
                        entry.failures = limits.decayed(entry.failures, elapsed).saturating_add(1);
                        entry.last = entry.last.max(now);
                        if let Some(lock) = limits.lock_after(entry.failures) {
                            entry.locked_until = entry.locked_until.max(now.saturating_add(millis(lock)));
                        }
                        entry.status(limits, now)
                    },
                    locked,
                )
            })
            .fold(ThrottleStatus::default(), merge)
    }
}

impl ThrottleStore for MemoryStore {
    fn check(&self, keys: &[ThrottleKey], now: Duration) -> StoreFuture {
        Box::pin(ready(Ok(self.status(keys, now))))
    }

    fn record_failure(&self, keys: &[ThrottleKey], now: Duration) -> StoreFuture {
        Box::pin(ready(Ok(self.record(keys, now))))
    }

    fn reset(&self, keys: &[ThrottleKey]) -> StoreFuture {
        for key in keys {
            self.counts.remove(&key.slot());
        }
        Box::pin(ready(Ok(ThrottleStatus::default())))
    }
}

/// The status of several keys: the longest lock, the most failures.
fn merge(a: ThrottleStatus, b: ThrottleStatus) -> ThrottleStatus {
    ThrottleStatus {
        locked_for: a.locked_for.max(b.locked_for),
        failures: a.failures.max(b.failures),
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str) -> [ThrottleKey; 1] {
        [ThrottleKey::username(
            name,
            Limits::new(2, Duration::from_secs(1), Duration::from_secs(8)),
        )]
    }

    #[test]
    fn memory_store_locks_and_unlocks() {
        let s = MemoryStore::new(10);
        let k = user("bob");
        let t = Duration::from_secs(1000);
        for _ in 0..2 {
            assert_eq!(s.record(&k, t).locked_for, None);
        }
        assert_eq!(s.record(&k, t).locked_for, Some(Duration::from_secs(1)));
        let st = s.status(&k, t + Duration::from_millis(400));
        assert_eq!(st.locked_for, Some(Duration::from_millis(600)));
        let st = s.status(&k, t + Duration::from_secs(1));
        assert_eq!(st.locked_for, None);
        assert_eq!(st.failures, 3);
        drop(s.reset(&k));
        assert_eq!(s.len(), 0);
    }

    #[test]
    fn memory_store_is_bounded_and_evicts_the_least_recently_used() {
        let s = MemoryStore::new(3);
        let t = Duration::from_secs(1);
        for name in ["a", "b", "c", "d"] {
            s.record(&user(name), t);
        }
        assert_eq!(s.len(), 3);
        assert_eq!(s.status(&user("a"), t).failures, 0, "the oldest key was evicted");
        assert_eq!(s.status(&user("d"), t).failures, 1);
    }

    #[test]
    fn a_running_lock_outlasts_a_spray_of_new_keys() {
        let s = MemoryStore::new(3);
        let t = Duration::from_secs(1);
        for _ in 0..3 {
            s.record(&user("bob"), t);
        }
        assert!(s.status(&user("bob"), t).locked_for.is_some());
        // Far more new keys than the store holds, none of them locked, and "bob" left alone.
        for i in 0..10 {
            s.record(&user(&format!("spray{i}")), t);
        }
        assert_eq!(s.len(), 3);
        assert!(s.status(&user("bob"), t).locked_for.is_some(), "the lock was evicted");
    }

    #[test]
    fn limits_travel_with_each_key() {
        let s = MemoryStore::new(10);
        let t = Duration::from_secs(1);
        let strict = Limits::new(0, Duration::from_secs(5), Duration::from_secs(5));
        let lenient = Limits::new(10, Duration::from_secs(5), Duration::from_secs(5));
        let keys = [
            ThrottleKey::username("bob", lenient),
            ThrottleKey::address("10.0.0.1".parse().unwrap(), strict),
        ];
        let st = s.record(&keys, t);
        assert_eq!(st.locked_for, Some(Duration::from_secs(5)), "the address key locked");
        assert_eq!(s.status(&keys[..1], t).locked_for, None, "the user-id key did not");
    }
}

//! [`BoundedMap`]: the one in-memory map behind the throttle's counters, the Digest replay
//! store and the credential cache. It holds at most a fixed number of entries, evicting the
//! least recently used, so no input can make it grow without bound; its owner decides what
//! happens at the bound (evict and go on, or refuse: see [`BoundedMap::insert`]).

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};

/// A map of at most `capacity` entries, least recently used first out, behind a mutex.
///
/// Every operation locks once and is `O(log n)`. "Used" means inserted or looked up with
/// [`get_mut`](Self::get_mut)-style access through [`with`](Self::with).
#[derive(Debug)]
pub(crate) struct BoundedMap<K, V> {
    capacity: usize,
    table: Mutex<Table<K, V>>,
}

#[derive(Debug)]
struct Table<K, V> {
    entries: HashMap<K, (V, u64)>,
    /// Recency index: use sequence → key; the first entry is the least recently used.
    order: BTreeMap<u64, K>,
    next: u64,
}

/// What [`BoundedMap::insert`] does when the map is full and the key is new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WhenFull {
    /// Evict the least recently used entry.
    Evict,
    /// Keep every entry and refuse the new one (fail closed).
    Refuse,
}

impl<K: Hash + Eq + Clone, V> BoundedMap<K, V> {
    /// A map of at most `capacity` entries (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        BoundedMap {
            capacity: capacity.max(1),
            table: Mutex::new(Table {
                entries: HashMap::new(),
                order: BTreeMap::new(),
                next: 0,
            }),
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    fn lock(&self) -> MutexGuard<'_, Table<K, V>> {
        // A panic while the lock was held leaves at worst a stale entry: keep serving.
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Runs `f` on the entry of `key`, if any, and marks it used.
    pub(crate) fn with<R>(&self, key: &K, f: impl FnOnce(&mut V) -> R) -> Option<R> {
        let mut guard = self.lock();
        let table = &mut *guard;
        let (value, seq) = table.entries.get_mut(key)?;
        table.order.remove(seq);
        *seq = table.next;
        table.order.insert(table.next, key.clone());
        table.next += 1;
        Some(f(value))
    }

    /// Runs `f` on the entry of `key`, inserting `make()` first if there is none; at the
    /// bound, `when_full` says whether the least recently used entry makes room or the new
    /// key is refused (`None`, and `f` does not run).
    pub(crate) fn upsert<R>(
        &self,
        key: &K,
        when_full: WhenFull,
        make: impl FnOnce() -> V,
        f: impl FnOnce(&mut V) -> R,
    ) -> Option<R> {
        let mut guard = self.lock();
        let table = &mut *guard;
        let seq = table.next;
        table.next += 1;
        if let Some((value, old)) = table.entries.get_mut(key) {
            table.order.remove(old);
            *old = seq;
            table.order.insert(seq, key.clone());
            return Some(f(value));
        }
        if table.entries.len() >= self.capacity {
            match when_full {
                WhenFull::Refuse => return None,
                WhenFull::Evict => {
                    if let Some((_, oldest)) = table.order.pop_first() {
                        table.entries.remove(&oldest);
                    }
                }
            }
        }
        let mut value = make();
        let out = f(&mut value);
        table.entries.insert(key.clone(), (value, seq));
        table.order.insert(seq, key.clone());
        Some(out)
    }

    /// Runs `f` on the entry of `key`, if any, and marks it used. Without one, `make` is
    /// asked for a new entry and may decline (`Err(r)`: nothing is inserted, `r` is
    /// returned). At the bound the least recently used entry makes room and is handed to
    /// `evicted` first. All of it under one lock, so that an owner keeping a summary of what
    /// it forgot (the replay store's "issued no later than" mark) updates it before any other
    /// call can miss the evicted key.
    pub(crate) fn upsert_or_decline<R>(
        &self,
        key: &K,
        f: impl FnOnce(&mut V) -> R,
        make: impl FnOnce() -> Result<(V, R), R>,
        evicted: impl FnOnce(K, V),
    ) -> R {
        let mut guard = self.lock();
        let table = &mut *guard;
        let seq = table.next;
        table.next += 1;
        if let Some((value, old)) = table.entries.get_mut(key) {
            table.order.remove(old);
            *old = seq;
            table.order.insert(seq, key.clone());
            return f(value);
        }
        let (value, out) = match make() {
            Ok(made) => made,
            Err(declined) => return declined,
        };
        if table.entries.len() >= self.capacity
            && let Some((_, oldest)) = table.order.pop_first()
            && let Some((old, _)) = table.entries.remove(&oldest)
        {
            evicted(oldest, old);
        }
        table.entries.insert(key.clone(), (value, seq));
        table.order.insert(seq, key.clone());
        out
    }

    /// Removes the entry of `key`.
    pub(crate) fn remove(&self, key: &K) -> Option<V> {
        let mut table = self.lock();
        let (value, seq) = table.entries.remove(key)?;
        table.order.remove(&seq);
        Some(value)
    }

    /// Removes every entry for which `keep` says no.
    pub(crate) fn retain(&self, mut keep: impl FnMut(&K, &V) -> bool) {
        let mut guard = self.lock();
        let table = &mut *guard;
        let order = &mut table.order;
        table.entries.retain(|k, (v, seq)| {
            let kept = keep(k, v);
            if !kept {
                order.remove(seq);
            }
            kept
        });
    }

    /// Removes every entry.
    pub(crate) fn clear(&self) {
        let mut table = self.lock();
        table.entries.clear();
        table.order.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_the_least_recently_used_at_the_bound() {
        let map = BoundedMap::new(2);
        map.upsert(&"a", WhenFull::Evict, || 1, |_| ());
        map.upsert(&"b", WhenFull::Evict, || 2, |_| ());
        assert_eq!(map.with(&"a", |v| *v), Some(1)); // "a" is now the most recent
        map.upsert(&"c", WhenFull::Evict, || 3, |_| ());
        assert_eq!(map.len(), 2);
        assert_eq!(map.with(&"b", |v| *v), None);
        assert_eq!(map.with(&"a", |v| *v), Some(1));
        assert_eq!(map.with(&"c", |v| *v), Some(3));
    }

    #[test]
    fn refuses_new_keys_at_the_bound_when_asked() {
        let map = BoundedMap::new(1);
        assert_eq!(map.upsert(&1, WhenFull::Refuse, || 0, |v| *v), Some(0));
        assert_eq!(map.upsert(&2, WhenFull::Refuse, || 0, |v| *v), None);
        // An existing key is still updated.
        assert_eq!(
            map.upsert(
                &1,
                WhenFull::Refuse,
                || 0,
                |v| {
                    *v += 1;
                    *v
                }
            ),
            Some(1)
        );
    }

    #[test]
    fn upsert_or_decline_hands_the_evicted_entry_over_and_inserts_nothing_when_declined() {
        let map = BoundedMap::new(1);
        let mut evicted = Vec::new();
        assert_eq!(
            map.upsert_or_decline(&"a", |v| *v, || Ok((1, 0)), |_, _| panic!("room left")),
            0
        );
        // Declined: nothing is inserted, nothing evicted.
        assert_eq!(
            map.upsert_or_decline(&"b", |v| *v, || Err(-1), |_, _| panic!("declined")),
            -1
        );
        assert_eq!((map.len(), map.with(&"b", |v| *v)), (1, None));
        // An existing key: `f` runs, `make` does not.
        let bump = |v: &mut i32| {
            *v += 1;
            *v
        };
        assert_eq!(map.upsert_or_decline(&"a", bump, || Err(-1), |_, _| panic!("known")), 2);
        // At the bound: the least recently used entry is handed over, then the new one goes in.
        assert_eq!(
            map.upsert_or_decline(&"c", |v| *v, || Ok((3, 0)), |k, v| evicted.push((k, v))),
            0
        );
        assert_eq!(evicted, [("a", 2)]);
        assert_eq!(
            (map.len(), map.with(&"a", |v| *v), map.with(&"c", |v| *v)),
            (1, None, Some(3))
        );
    }

    #[test]
    fn remove_retain_and_clear_keep_the_index_in_step() {
        let map = BoundedMap::new(10);
        for i in 0..10 {
            map.upsert(&i, WhenFull::Evict, || i, |_| ());
        }
        assert_eq!(map.remove(&3), Some(3));
        map.retain(|_, v| v % 2 == 0);
        assert_eq!(map.len(), 5);
        // The index holds exactly the live keys: filling up evicts only live entries.
        for i in 100..105 {
            map.upsert(&i, WhenFull::Evict, || i, |_| ());
        }
        assert_eq!(map.len(), 10);
        map.upsert(&200, WhenFull::Evict, || 200, |_| ());
        assert_eq!(map.len(), 10);
        assert_eq!(map.with(&0, |v| *v), None); // the oldest live entry went first
        map.clear();
        assert_eq!(map.len(), 0);
    }
}

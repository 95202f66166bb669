//! [`BoundedMap`]: the one in-memory map behind the throttle's counters, the Digest replay
//! store and the credential cache. It holds at most a fixed number of entries, evicting the
//! least recently used, so no input can make it grow without bound; its owner decides what
//! happens to what is evicted (the replay store remembers that it forgot something, and
//! then refuses what it cannot vouch for).

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

/// How many of the least recently used entries an insert at the bound may pass over because
/// their owner wants them kept (see [`BoundedMap::upsert_sparing`]): a bounded amount of
/// work per insert, whatever the entries.
const SPARE_SCAN: usize = 4;

impl<K: Hash + Eq + Clone, V> Table<K, V> {
    /// When one of the [`SPARE_SCAN`] least recently used entries may go, marks the entries
    /// before it that `spare` wants kept as used, so that the next eviction takes it. When
    /// every entry looked at is to be kept, changes nothing: the least recently used goes.
    fn pass_over(&mut self, spare: impl Fn(&V) -> bool) {
        let mut spared = 0;
        let mut evictable = false;
        for key in self.order.values().take(SPARE_SCAN) {
            match self.entries.get(key) {
                Some((value, _)) if spare(value) => spared += 1,
                _ => {
                    evictable = true;
                    break;
                }
            }
        }
        if !evictable {
            return;
        }
        for _ in 0..spared {
            if let Some(oldest) = self.order.first_key_value().map(|(_, k)| k.clone()) {
                self.touch(&oldest);
            }
        }
    }

    /// The entry of `key`, marked used.
    fn touch(&mut self, key: &K) -> Option<&mut V> {
        let (value, seq) = self.entries.get_mut(key)?;
        self.order.remove(seq);
        *seq = self.next;
        self.order.insert(self.next, key.clone());
        self.next += 1;
        Some(value)
    }

    /// Inserts a new entry, evicting the least recently used one (handed to `evicted`) when
    /// `capacity` entries are there already.
    fn insert(&mut self, key: &K, value: V, capacity: usize, evicted: impl FnOnce(K, V)) {
        if self.entries.len() >= capacity
            && let Some((_, oldest)) = self.order.pop_first()
            && let Some((old, _)) = self.entries.remove(&oldest)
        {
            evicted(oldest, old);
        }
        self.entries.insert(key.clone(), (value, self.next));
        self.order.insert(self.next, key.clone());
        self.next += 1;
    }
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
        let mut table = self.lock();
        table.touch(key).map(f)
    }

    /// Runs `f` on the entry of `key`, inserting `make()` first if there is none (the least
    /// recently used entry makes room at the bound).
    #[cfg(any(feature = "htpasswd", feature = "password-hash"))]
    pub(crate) fn upsert<R>(&self, key: &K, make: impl FnOnce() -> V, f: impl FnOnce(&mut V) -> R) -> R {
        self.upsert_sparing(key, make, f, |_| false)
    }

    /// Like [`upsert`](Self::upsert), but an entry for which `spare` says yes is passed over
    /// when room is made (marked used instead) if one of the few least recently used entries
    /// may go; when none of them may, the least recently used goes. The throttle keeps
    /// running locks this way, unless locked keys crowd the map.
    pub(crate) fn upsert_sparing<R>(
        &self,
        key: &K,
        make: impl FnOnce() -> V,
        f: impl FnOnce(&mut V) -> R,
        spare: impl Fn(&V) -> bool,
    ) -> R {
        let mut table = self.lock();
        if let Some(value) = table.touch(key) {
            return f(value);
        }
        let mut value = make();
        let out = f(&mut value);
        if table.entries.len() >= self.capacity {
            table.pass_over(spare);
        }
        table.insert(key, value, self.capacity, |_, _| {});
        out
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
        let mut table = self.lock();
        if let Some(value) = table.touch(key) {
            return f(value);
        }
        match make() {
            Ok((value, out)) => {
                table.insert(key, value, self.capacity, evicted);
                out
            }
            Err(declined) => declined,
        }
    }

    /// Removes the entry of `key`.
    pub(crate) fn remove(&self, key: &K) -> Option<V> {
        let mut table = self.lock();
        let (value, seq) = table.entries.remove(key)?;
        table.order.remove(&seq);
        Some(value)
    }

    /// Removes every entry.
    #[cfg(any(feature = "htpasswd", feature = "password-hash"))]
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
        map.upsert(&"a", || 1, |_| ());
        map.upsert(&"b", || 2, |_| ());
        assert_eq!(map.with(&"a", |v| *v), Some(1)); // "a" is now the most recent
        map.upsert(&"c", || 3, |_| ());
        assert_eq!(map.len(), 2);
        assert_eq!(map.with(&"b", |v| *v), None);
        assert_eq!(map.with(&"a", |v| *v), Some(1));
        assert_eq!(map.with(&"c", |v| *v), Some(3));
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
    fn upsert_sparing_passes_over_a_bounded_number_of_spared_entries() {
        let map = BoundedMap::new(3);
        for (k, v) in [("kept", 1), ("b", 0), ("c", 0)] {
            map.upsert(&k, || v, |_| ());
        }
        // "kept" is the least recently used but spared: "b" makes room.
        map.upsert_sparing(&"d", || 0, |_| (), |v| *v == 1);
        assert_eq!((map.len(), map.with(&"b", |v| *v)), (3, None));
        assert_eq!(map.with(&"kept", |v| *v), Some(1));
        // When every entry is spared, the bound still holds and the least recently used goes.
        let all = BoundedMap::new(SPARE_SCAN);
        for i in 0..3 * SPARE_SCAN {
            all.upsert_sparing(&i, || 1, |_| (), |_| true);
            assert!(all.len() <= SPARE_SCAN);
        }
        let kept: Vec<usize> = (0..3 * SPARE_SCAN).filter(|i| all.with(i, |_| ()).is_some()).collect();
        assert_eq!(kept, (2 * SPARE_SCAN..3 * SPARE_SCAN).collect::<Vec<_>>());
    }

    #[test]
    #[cfg(any(feature = "htpasswd", feature = "password-hash"))]
    fn remove_and_clear_keep_the_index_in_step() {
        let map = BoundedMap::new(10);
        for i in 0..10 {
            map.upsert(&i, || i, |_| ());
        }
        for odd in [1, 3, 5, 7, 9] {
            assert_eq!(map.remove(&odd), Some(odd));
        }
        assert_eq!(map.len(), 5);
        // The index holds exactly the live keys: filling up evicts only live entries.
        for i in 100..105 {
            map.upsert(&i, || i, |_| ());
        }
        assert_eq!(map.len(), 10);
        map.upsert(&200, || 200, |_| ());
        assert_eq!(map.len(), 10);
        assert_eq!(map.with(&0, |v| *v), None); // the oldest live entry went first
        map.clear();
        assert_eq!(map.len(), 0);
    }
}

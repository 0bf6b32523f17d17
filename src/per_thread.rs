//! A map each thread keeps its own copy of: what every request looks up (its metric series,
//! its token slot, its Urssaf host's guard, its URLs) is found without a lock or a count both
//! workers keep touching, and by a fast hash rather than SipHash (the keys are the gateway's
//! own: routes, labels, tenant ids, API bases). Entries are made on a thread's first use, from
//! the shared state they copy.

use std::borrow::Borrow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::Hash;

use thread_local::ThreadLocal;

/// Entries a thread keeps; past it, what `make` gives is used once and not kept (every user's
/// keys are bounded well below it: routes, labels, tenants, API bases).
const MAX_ENTRIES: usize = 4096;

pub struct PerThreadMap<K: Send, V: Send>(
    ThreadLocal<RefCell<HashMap<K, V, foldhash::fast::RandomState>>>,
);

impl<K: Send, V: Send> Default for PerThreadMap<K, V> {
    fn default() -> Self {
        PerThreadMap(ThreadLocal::new())
    }
}

impl<K: Hash + Eq + Send, V: Send> PerThreadMap<K, V> {
    /// `f` of this thread's entry for `key`, made by `make` the first time (`None` when `make`
    /// gives nothing).
    pub fn with<Q, R>(
        &self,
        key: &Q,
        make: impl FnOnce() -> Option<(K, V)>,
        f: impl FnOnce(&mut V) -> R,
    ) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let cell = self.0.get_or_default();
        // Only re-entered if `make` or `f` came back here; then the entry is not kept.
        let Ok(mut map) = cell.try_borrow_mut() else {
            let (_, mut v) = make()?;
            return Some(f(&mut v));
        };
        if let Some(v) = map.get_mut(key) {
            return Some(f(v));
        }
        let (k, mut v) = make()?;
        let out = f(&mut v);
        if map.len() < MAX_ENTRIES {
            map.insert(k, v);
        }
        Some(out)
    }

    /// A copy of this thread's entry for `key` (an `Arc`, typically), made by `make` the first
    /// time.
    pub fn get<Q>(&self, key: &Q, make: impl FnOnce() -> (K, V)) -> V
    where
        V: Clone,
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let cell = self.0.get_or_default();
        let Ok(mut map) = cell.try_borrow_mut() else {
            return make().1;
        };
        if let Some(v) = map.get(key) {
            return v.clone();
        }
        let (k, v) = make();
        if map.len() < MAX_ENTRIES {
            map.insert(k, v.clone());
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn an_entry_is_made_once_per_thread_and_kept() {
        let map: PerThreadMap<String, usize> = PerThreadMap::default();
        let made = AtomicUsize::new(0);
        let make = || (String::from("k"), made.fetch_add(1, Ordering::SeqCst) + 10);
        assert_eq!(map.get("k", make), 10);
        assert_eq!(map.get("k", make), 10);
        assert_eq!(made.load(Ordering::SeqCst), 1);
        std::thread::scope(|s| {
            s.spawn(|| assert_eq!(map.get("k", make), 11));
        });
        assert_eq!(made.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn with_changes_the_kept_entry_and_nothing_is_kept_when_make_gives_nothing() {
        let map: PerThreadMap<&'static str, Vec<u8>> = PerThreadMap::default();
        assert_eq!(map.with("a", || None, |v| v.len()), None);
        assert_eq!(map.with("a", || Some(("a", vec![1])), |v| v.len()), Some(1));
        map.with("a", || None, |v| v.push(2));
        assert_eq!(map.with("a", || None, |v| v.clone()), Some(vec![1, 2]));
    }

    #[test]
    fn a_thread_keeps_at_most_max_entries_and_still_answers_past_it() {
        let map: PerThreadMap<usize, usize> = PerThreadMap::default();
        for k in 0..MAX_ENTRIES + 10 {
            assert_eq!(map.get(&k, || (k, k * 2)), k * 2);
        }
        let kept = map.0.get().map(|m| m.borrow().len());
        assert_eq!(kept, Some(MAX_ENTRIES));
    }

    #[test]
    fn a_make_that_comes_back_to_the_map_does_not_panic() {
        let map: PerThreadMap<u8, u8> = PerThreadMap::default();
        let outer = map.get(&1, || (1, map.get(&2, || (2, 7)) + 1));
        assert_eq!(outer, 8);
        assert_eq!(map.get(&2, || (2, 0)), 0, "the inner entry was not kept");
        assert_eq!(map.get(&1, || (1, 0)), 8);
    }
}

//! The long polls waiting on a tenant's feed (`GET /v1/events?wait=N`): at most
//! `events.max_waiting_per_tenant` per tenant and replica, apart from the tenant's general
//! concurrency slots, all woken by one shared signal per tenant.
//!
//! The signal is rung by an append in this process, and, with Redis (where another replica
//! may append), by one check of the stream's last entry every [`SHARED_CHECK`] per tenant that
//! has waiters: the cost in Redis is the same for one waiter or a thousand.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::watch;

use crate::redis_store::RedisStore;

/// How often the shared check looks at a tenant's stream in Redis while it has waiters.
pub const SHARED_CHECK: Duration = Duration::from_millis(500);

pub struct Waiters {
    cap: usize,
    tenants: Mutex<HashMap<String, Arc<TenantWaiters>>>,
}

struct TenantWaiters {
    waiting: AtomicUsize,
    /// Bumped whenever the tenant's feed may have grown.
    changed: watch::Sender<u64>,
    /// The shared Redis check is running.
    checking: AtomicBool,
}

/// One admitted waiter; gives its place back when dropped.
pub struct WaitSlot {
    tenant: Arc<TenantWaiters>,
    pub changed: watch::Receiver<u64>,
}

impl Drop for WaitSlot {
    fn drop(&mut self) {
        self.tenant.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Waiters {
    pub fn new(cap: usize) -> Waiters {
        Waiters {
            cap,
            tenants: Mutex::new(HashMap::new()),
        }
    }

    fn tenant(&self, tenant: &str) -> Arc<TenantWaiters> {
        self.tenants
            .lock()
            .entry(tenant.to_string())
            .or_insert_with(|| {
                Arc::new(TenantWaiters {
                    waiting: AtomicUsize::new(0),
                    changed: watch::Sender::new(0),
                    checking: AtomicBool::new(false),
                })
            })
            .clone()
    }

    /// A place among the tenant's waiters, `None` when they are already `cap`. With `shared`
    /// (the feed is in Redis), the tenant's shared check runs while it has waiters.
    pub fn admit(&self, tenant: &str, shared: Option<(&RedisStore, String)>) -> Option<WaitSlot> {
        let t = self.tenant(tenant);
        let admitted = t
            .waiting
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < self.cap).then_some(n + 1)
            })
            .is_ok();
        if !admitted {
            return None;
        }
        let slot = WaitSlot {
            changed: t.changed.subscribe(),
            tenant: t.clone(),
        };
        if let Some((store, stream)) = shared {
            if !t.checking.swap(true, Ordering::SeqCst) {
                tokio::spawn(shared_check(t, store.clone(), stream));
            }
        }
        Some(slot)
    }

    /// Wakes the tenant's waiters: its feed may have grown.
    pub fn notify(&self, tenant: &str) {
        let t = self.tenants.lock().get(tenant).cloned();
        if let Some(t) = t {
            t.changed.send_modify(|v| *v = v.wrapping_add(1));
        }
    }

    /// Waiters of `tenant` now (tests, metrics).
    pub fn waiting(&self, tenant: &str) -> usize {
        self.tenants
            .lock()
            .get(tenant)
            .map_or(0, |t| t.waiting.load(Ordering::SeqCst))
    }
}

/// The one look at Redis shared by a tenant's waiters: the stream's last entry id, every
/// [`SHARED_CHECK`]; the waiters are woken when it moves. Ends when the tenant has no waiter.
async fn shared_check(t: Arc<TenantWaiters>, store: RedisStore, stream: String) {
    // `None` before the first look, which wakes the waiters once: one of them may have read
    // the feed just before an entry this look already counts.
    let mut last: Option<String> = None;
    loop {
        if t.waiting.load(Ordering::SeqCst) == 0 {
            t.checking.store(false, Ordering::SeqCst);
            // A waiter admitted between the load and the store found `checking` still set and
            // started nothing: go on for it.
            if t.waiting.load(Ordering::SeqCst) == 0 || t.checking.swap(true, Ordering::SeqCst) {
                return;
            }
        }
        let mut cmd = redis::cmd("XREVRANGE");
        cmd.arg(&stream).arg("+").arg("-").arg("COUNT").arg(1);
        // Redis down: the waiters' own deadlines end them; look again next time.
        if let Ok(entries) = store.run::<Vec<(String, Vec<String>)>>(&cmd).await {
            let id = entries
                .into_iter()
                .next()
                .map(|(id, _)| id)
                .unwrap_or_default();
            if last.as_ref() != Some(&id) {
                t.changed.send_modify(|v| *v = v.wrapping_add(1));
                last = Some(id);
            }
        }
        tokio::time::sleep(SHARED_CHECK).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_cap_counts_live_waiters_only() {
        let w = Waiters::new(2);
        let a = w.admit("alpha", None).expect("first");
        let _b = w.admit("alpha", None).expect("second");
        assert!(w.admit("alpha", None).is_none());
        assert!(w.admit("beta", None).is_some(), "per tenant");
        drop(a);
        assert_eq!(w.waiting("alpha"), 1);
        let mut c = w.admit("alpha", None).expect("a place was freed");
        w.notify("alpha");
        assert!(c.changed.has_changed().unwrap());
        c.changed.borrow_and_update();
        assert!(!c.changed.has_changed().unwrap());
    }
}

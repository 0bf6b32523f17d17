//! One replica polls a tenant at a time: it holds the tenant's lease in Redis
//! (`<prefix>:{<tenant>}:events:lease`, value = the replica's id, `SET NX PX`), renews it every
//! third of its lifetime, and another replica takes it once it expires (its holder died or
//! lost Redis). Without Redis there is one process: it holds every lease.
//!
//! The periodic tenant check uses the same leases under another name (one lease for the whole
//! fleet, see `campaign::fleet_check`).

use std::collections::HashSet;
use std::time::Duration;

use parking_lot::Mutex;

use crate::redis_store::{RedisStore, Script};

/// Takes the lease when free, renews it when ours; 1 when held afterwards, else 0.
/// KEYS: lease. ARGV: replica id, lifetime ms.
const TAKE_OR_RENEW: &str = r"
local holder = redis.call('GET', KEYS[1])
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
";

/// Gives the lease up when ours. KEYS: lease. ARGV: replica id.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

pub struct Leases {
    store: Option<RedisStore>,
    script: Script,
    release: Script,
    replica: String,
    lifetime: Duration,
    /// What the lease is for: the key's part after the hash tag (`events`, `check`).
    name: &'static str,
    held: Mutex<HashSet<String>>,
}

impl Leases {
    pub fn new(store: Option<RedisStore>, lifetime: Duration) -> Leases {
        Leases::named(store, lifetime, "events")
    }

    /// Leases kept at `<prefix>:{<tag>}:<name>:lease`.
    pub fn named(store: Option<RedisStore>, lifetime: Duration, name: &'static str) -> Leases {
        Leases {
            name,
            store,
            script: Script::new(TAKE_OR_RENEW),
            release: Script::new(RELEASE),
            replica: uuid::Uuid::new_v4().simple().to_string(),
            lifetime,
            held: Mutex::default(),
        }
    }

    /// How often [`Leases::refresh`] must run for a held lease not to lapse.
    pub fn renew_every(&self) -> Duration {
        self.lifetime / 3
    }

    /// Takes or renews the lease of each tenant; a tenant whose lease is not ours (or whose
    /// state cannot be read) is not polled by this replica until the next refresh.
    pub async fn refresh(&self, tenants: &[String]) {
        let Some(store) = &self.store else {
            *self.held.lock() = tenants.iter().cloned().collect();
            return;
        };
        let ms = self.lifetime.as_millis().to_string();
        let mut held = HashSet::new();
        for t in tenants {
            let key = store.tenant_key(t, &[self.name, "lease"]);
            let got: Result<i64, _> = store
                .run_script(&self.script, &[&key], &[&self.replica, &ms])
                .await;
            if matches!(got, Ok(1)) {
                held.insert(t.clone());
            }
        }
        let mut mine = self.held.lock();
        for t in held.difference(&mine) {
            tracing::info!(tenant = %t, "events: this replica now polls the tenant");
        }
        *mine = held;
    }

    /// Gives up every lease this replica holds (when it stops), so that another replica takes
    /// the tenants over at its next refresh instead of after the leases lapse.
    pub async fn release_all(&self) {
        let held: Vec<String> = self.held.lock().drain().collect();
        let Some(store) = &self.store else {
            return;
        };
        for t in held {
            let key = store.tenant_key(&t, &[self.name, "lease"]);
            let _: Result<i64, _> = store
                .run_script(&self.release, &[&key], &[&self.replica])
                .await;
        }
    }

    pub fn holds(&self, tenant: &str) -> bool {
        self.held.lock().contains(tenant)
    }
}

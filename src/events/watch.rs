//! What is watched, per tenant, with its last known state: payment requests not yet final,
//! payment requests seen final (kept for the sweep, which catches late moves such as a
//! cancellation after payment), and clients whose account is not settled yet.
//!
//! In Redis, one hash per tenant and kind (`<prefix>:{<tenant>}:events:watch:<kind>`, field =
//! Urssaf id, value = [`Seen`] as JSON); without Redis, the same in process memory.

use std::collections::HashMap;

use chrono::NaiveDate;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::domain::client::{AccountState, AccountStatus};
use crate::domain::payment_request::PaymentRequest;
use crate::redis_store::{RedisStore, Script};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Payment requests polled every cycle.
    PaymentRequest,
    /// Payment requests in a final status, only looked at again by the sweep.
    FinalPaymentRequest,
    Client,
}

impl Kind {
    fn key(self) -> &'static str {
        match self {
            Kind::PaymentRequest => "payment_requests",
            Kind::FinalPaymentRequest => "final_payment_requests",
            Kind::Client => "clients",
        }
    }
}

/// The last known state of one watched item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    /// Urssaf's status code.
    pub code: String,
    /// The gateway's state name (`integrated`, `pending_activation`…), for `previous_state`.
    pub state: String,
    /// The date that comes with the status, if any (see [`super::event_id`]).
    #[serde(default)]
    pub date: String,
    /// The invoice date, by which final requests leave the look-back period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_date: Option<NaiveDate>,
    /// No further change expected (a final request, a settled account).
    #[serde(default)]
    pub settled: bool,
}

impl Seen {
    pub fn of_payment(p: &PaymentRequest, today: NaiveDate) -> Seen {
        let status = p.status_on(today);
        Seen {
            code: status.urssaf_code,
            state: json_name(&status.state),
            date: p
                .transfer
                .as_ref()
                .and_then(|t| t.date)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            invoice_date: p.invoice.as_ref().and_then(|i| i.invoice_date),
            settled: status.is_final,
        }
    }

    pub fn of_account(a: &AccountStatus) -> Seen {
        Seen {
            code: a.raw.code.trim().to_string(),
            state: json_name(&a.state),
            date: a.active_since.map(|d| d.to_string()).unwrap_or_default(),
            invoice_date: None,
            // Watched until active, blocked or expired (not finalised, mandate expired).
            settled: matches!(
                a.state,
                AccountState::Active
                    | AccountState::Blocked
                    | AccountState::NotFinalized
                    | AccountState::MandateExpired
            ),
        }
    }

    /// Whether `now` is another status than `self` (the gateway's own reading of a status,
    /// e.g. `payment_scheduled` becoming `paid` on the transfer date, is no change).
    pub fn changed_to(&self, now: &Seen) -> bool {
        self.code != now.code || self.date != now.date
    }
}

fn json_name(v: &impl Serialize) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The watch store could not be used (Redis down).
#[derive(Debug, Clone, Copy)]
pub struct Unavailable;

/// `HSETNX` of every field/value pair in ARGV.
const ADD_NEW: &str = r"
for i = 1, #ARGV, 2 do redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1
";

pub struct WatchStore {
    backend: Backend,
}

enum Backend {
    Memory(Mutex<MemWatch>),
    Redis { store: RedisStore, add_new: Script },
}

#[derive(Default)]
struct MemWatch {
    lists: HashMap<(String, Kind), HashMap<String, Seen>>,
    swept: HashMap<String, i64>,
}

impl WatchStore {
    pub fn new(store: Option<RedisStore>) -> WatchStore {
        WatchStore {
            backend: match store {
                Some(store) => Backend::Redis {
                    store,
                    add_new: Script::new(ADD_NEW),
                },
                None => Backend::Memory(Mutex::default()),
            },
        }
    }

    fn key(store: &RedisStore, tenant: &str, kind: Kind) -> String {
        store.tenant_key(tenant, &["events", "watch", kind.key()])
    }

    /// Adds the entries not watched yet; those already watched keep their state.
    pub async fn add_new(
        &self,
        tenant: &str,
        kind: Kind,
        entries: &[(String, Seen)],
    ) -> Result<(), Unavailable> {
        match &self.backend {
            Backend::Memory(m) => {
                let mut m = m.lock();
                let list = m.lists.entry((tenant.to_string(), kind)).or_default();
                for (id, seen) in entries {
                    list.entry(id.clone()).or_insert_with(|| seen.clone());
                }
                Ok(())
            }
            Backend::Redis { store, add_new } => {
                let key = Self::key(store, tenant, kind);
                let mut args = Vec::with_capacity(entries.len() * 2);
                for (id, seen) in entries {
                    args.push(id.clone());
                    args.push(serde_json::to_string(seen).map_err(|_| Unavailable)?);
                }
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                store
                    .run_script::<i64>(add_new, &[&key], &args)
                    .await
                    .map(drop)
                    .map_err(|_| Unavailable)
            }
        }
    }

    /// Everything watched of one kind (an entry that cannot be read is left out).
    pub async fn all(
        &self,
        tenant: &str,
        kind: Kind,
    ) -> Result<HashMap<String, Seen>, Unavailable> {
        match &self.backend {
            Backend::Memory(m) => Ok(m
                .lock()
                .lists
                .get(&(tenant.to_string(), kind))
                .cloned()
                .unwrap_or_default()),
            Backend::Redis { store, .. } => {
                let mut cmd = redis::cmd("HGETALL");
                cmd.arg(Self::key(store, tenant, kind));
                let raw: HashMap<String, String> =
                    store.run(&cmd).await.map_err(|_| Unavailable)?;
                Ok(raw
                    .into_iter()
                    .filter_map(|(id, v)| serde_json::from_str(&v).ok().map(|s| (id, s)))
                    .collect())
            }
        }
    }

    /// Records `seen` under `kind` (replacing any earlier state).
    pub async fn set(
        &self,
        tenant: &str,
        kind: Kind,
        id: &str,
        seen: &Seen,
    ) -> Result<(), Unavailable> {
        match &self.backend {
            Backend::Memory(m) => {
                m.lock()
                    .lists
                    .entry((tenant.to_string(), kind))
                    .or_default()
                    .insert(id.to_string(), seen.clone());
                Ok(())
            }
            Backend::Redis { store, .. } => {
                let mut cmd = redis::cmd("HSET");
                cmd.arg(Self::key(store, tenant, kind))
                    .arg(id)
                    .arg(serde_json::to_string(seen).map_err(|_| Unavailable)?);
                store
                    .run::<i64>(&cmd)
                    .await
                    .map(drop)
                    .map_err(|_| Unavailable)
            }
        }
    }

    pub async fn remove(&self, tenant: &str, kind: Kind, ids: &[&str]) -> Result<(), Unavailable> {
        if ids.is_empty() {
            return Ok(());
        }
        match &self.backend {
            Backend::Memory(m) => {
                if let Some(list) = m.lock().lists.get_mut(&(tenant.to_string(), kind)) {
                    for id in ids {
                        list.remove(*id);
                    }
                }
                Ok(())
            }
            Backend::Redis { store, .. } => {
                let mut cmd = redis::cmd("HDEL");
                cmd.arg(Self::key(store, tenant, kind)).arg(ids);
                store
                    .run::<i64>(&cmd)
                    .await
                    .map(drop)
                    .map_err(|_| Unavailable)
            }
        }
    }

    /// When the tenant's look-back period was last swept (unix seconds), by any replica.
    pub async fn last_sweep(&self, tenant: &str) -> Result<Option<i64>, Unavailable> {
        match &self.backend {
            Backend::Memory(m) => Ok(m.lock().swept.get(tenant).copied()),
            Backend::Redis { store, .. } => {
                let mut cmd = redis::cmd("GET");
                cmd.arg(store.tenant_key(tenant, &["events", "swept"]));
                store.run(&cmd).await.map_err(|_| Unavailable)
            }
        }
    }

    pub async fn mark_swept(&self, tenant: &str, at: i64) -> Result<(), Unavailable> {
        match &self.backend {
            Backend::Memory(m) => {
                m.lock().swept.insert(tenant.to_string(), at);
                Ok(())
            }
            Backend::Redis { store, .. } => {
                let mut cmd = redis::cmd("SET");
                cmd.arg(store.tenant_key(tenant, &["events", "swept"]))
                    .arg(at);
                store.run::<()>(&cmd).await.map_err(|_| Unavailable)
            }
        }
    }
}

//! The periodic tenant check, once per fleet: the replica holding the check lease (the events
//! poller's [`Leases`], one lease named `check` for all tenants) checks every tenant every
//! `check.interval_seconds` and stores the round in Redis (`<prefix>:{fleet}:check:latest`, a hash:
//! `finished_at` in ms and `results` as JSON). Every replica reads the round back when it
//! changes and shows it at `/checks` and in the `check` metrics: never on a request's path.
//!
//! A replica that takes the lease over keeps the fleet's schedule (the next round is due
//! `interval` after the stored one finished). Without Redis the process holds the lease and
//! checks alone, as before. While Redis cannot be reached nobody holds the lease: no round
//! runs and `/checks` shows the last one (its `checked_at` says how old).

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use super::check::{check_all, record_metrics, CheckBoard, TenantCheck};
use crate::events::lease::Leases;
use crate::metrics::Metrics;
use crate::redis_store::RedisStore;
use crate::tenant::{Tenant, TenantRegistry};
use crate::urssaf::UrssafClient;

/// The hash tag of the fleet's keys (the lease, the latest round): one lease for the fleet.
const LEASE: &str = "fleet";
/// A holder that died is replaced within this long.
const LEASE_LIFETIME: Duration = Duration::from_secs(15);

pub struct FleetCheck {
    pub urssaf: UrssafClient,
    pub tenants: Arc<TenantRegistry>,
    pub metrics: Metrics,
    pub board: CheckBoard,
    pub interval: Duration,
    pub concurrency: usize,
    pub store: Option<RedisStore>,
}

/// The lease keeper and the round runner; stopped together.
pub struct CheckTasks {
    tasks: Vec<tokio::task::JoinHandle<()>>,
    leases: Arc<Leases>,
}

impl CheckTasks {
    /// Stops both, then gives the lease up so that another replica checks at once.
    pub async fn stop(self) {
        for t in &self.tasks {
            t.abort();
        }
        self.leases.release_all().await;
    }
}

/// Dropped without [`CheckTasks::stop`] (the application dropped at once): the tasks stop,
/// the lease lapses.
impl Drop for CheckTasks {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

struct Runner {
    check: FleetCheck,
    leases: Arc<Leases>,
    /// `finished_at` (ms) of the round on the board.
    shown: Mutex<Option<i64>>,
    /// Told once a first round is on the board (the embedded default's banner waits for it).
    first_round: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
}

impl FleetCheck {
    /// Starts the lease keeper and the round runner; `first_round` is told once the board
    /// shows a round (this replica's or the fleet's).
    pub fn spawn(self, first_round: Option<tokio::sync::oneshot::Sender<()>>) -> CheckTasks {
        let leases = Arc::new(Leases::named(self.store.clone(), LEASE_LIFETIME, "check"));
        let keeper = leases.clone();
        let keep = tokio::spawn(async move {
            let fleet = [LEASE.to_string()];
            loop {
                keeper.refresh(&fleet).await;
                tokio::time::sleep(keeper.renew_every()).await;
            }
        });
        let runner = Runner {
            check: self,
            leases: leases.clone(),
            shown: Mutex::new(None),
            first_round: Mutex::new(first_round),
        };
        let run = tokio::spawn(async move {
            // The lease's first refresh (a single Redis script) before the first look.
            runner.leases.refresh(&[LEASE.to_string()]).await;
            loop {
                let wait = runner.step().await;
                if runner.shown.lock().is_some() {
                    if let Some(done) = runner.first_round.lock().take() {
                        let _ = done.send(());
                    }
                }
                tokio::time::sleep(wait).await;
            }
        });
        CheckTasks {
            tasks: vec![keep, run],
            leases,
        }
    }
}

impl Runner {
    /// How often a replica looks for a new round (and the holder at its lease).
    fn tick(&self) -> Duration {
        (self.check.interval / 4).clamp(Duration::from_secs(1), Duration::from_secs(15))
    }

    /// Shows the fleet's latest round, runs one when this replica holds the lease and one is
    /// due; returns how long to wait before the next step.
    async fn step(&self) -> Duration {
        let last = self.follow().await;
        if !self.leases.holds(LEASE) {
            return self.tick();
        }
        let interval = i64::try_from(self.check.interval.as_millis()).unwrap_or(i64::MAX);
        let due_in = last.map_or(0, |t| t.saturating_add(interval) - now_ms());
        if due_in > 0 {
            let due_in = Duration::from_millis(due_in.unsigned_abs());
            return due_in.min(self.tick());
        }
        self.run_round().await;
        self.check.interval.min(self.tick())
    }

    /// Loads the fleet's latest round when it is newer than the one shown; returns when the
    /// latest round finished (this replica's own knowledge without Redis, or when Redis fails).
    async fn follow(&self) -> Option<i64> {
        let shown = *self.shown.lock();
        let Some(store) = &self.check.store else {
            return shown;
        };
        let key = store.tenant_key(LEASE, &["check", "latest"]);
        let Ok(finished) = store
            .run::<Option<i64>>(redis::cmd("HGET").arg(&key).arg("finished_at"))
            .await
        else {
            return shown;
        };
        let Some(finished) = finished else {
            return shown;
        };
        if shown == Some(finished) {
            return shown;
        }
        let json: Result<Option<String>, _> =
            store.run(redis::cmd("HGET").arg(&key).arg("results")).await;
        let Ok(Some(json)) = json else {
            return shown;
        };
        match serde_json::from_str::<Vec<TenantCheck>>(&json) {
            Ok(results) => {
                record_metrics(&self.check.metrics, &results);
                self.check.board.publish(results);
                *self.shown.lock() = Some(finished);
                Some(finished)
            }
            Err(e) => {
                tracing::warn!(error = %e, "tenant check: the fleet's stored round does not parse");
                shown
            }
        }
    }

    async fn run_round(&self) {
        let c = &self.check;
        let list: Vec<Arc<Tenant>> = c.tenants.current().iter().cloned().collect();
        let results = check_all(&c.urssaf, &list, c.concurrency).await;
        for r in &results {
            if r.passed {
                tracing::info!(tenant = %r.tenant, latency_ms = r.latency_ms, "tenant check passed");
            } else {
                tracing::warn!(
                    tenant = %r.tenant,
                    token_ok = r.token_ok,
                    api_reachable = r.api_reachable,
                    urssaf_status = r.urssaf_status,
                    urssaf_code = r.urssaf_code.as_deref().unwrap_or(""),
                    problem = r.problem.as_deref().unwrap_or(""),
                    "tenant check failed"
                );
            }
        }
        let finished = now_ms();
        record_metrics(&c.metrics, &results);
        if let Some(store) = &c.store {
            if let Ok(json) = serde_json::to_string(&results) {
                let key = store.tenant_key(LEASE, &["check", "latest"]);
                let mut set = redis::cmd("HSET");
                set.arg(&key)
                    .arg("finished_at")
                    .arg(finished)
                    .arg("results")
                    .arg(json);
                let _: Result<i64, _> = store.run(&set).await;
                // Kept a while after the fleet is gone, then cleared.
                let keep = (c.interval * 10).max(Duration::from_secs(3600));
                let _: Result<i64, _> = store
                    .run(redis::cmd("PEXPIRE").arg(&key).arg(keep.as_millis() as u64))
                    .await;
            }
        }
        c.board.publish(results);
        *self.shown.lock() = Some(finished);
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

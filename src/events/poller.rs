//! The watching job: every `events.poll_interval_seconds`, for each tenant whose lease this
//! replica holds, reads the watched payment requests by id (10 per Urssaf call) and the
//! watched clients, turns each change into an event; every `events.sweep_interval_seconds`
//! it also searches the look-back period, to find requests sent by other software and the
//! late moves of requests already final.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use futures_util::{stream, StreamExt};

mod sweep;
mod uncovered;

use super::change::Detected;
use super::lease::Leases;
use super::watch::{Kind, Seen};
use super::Events;
use crate::domain::client::ClientRecord;
use crate::domain::payment_request::PaymentRequest;
use crate::metrics::Metrics;
use crate::redis_store::RedisStore;
use crate::service::payment_requests::lookup::CONCURRENT_CALLS;
use crate::tenant::{Tenant, TenantRegistry};
use crate::urssaf::{ClientKey, SearchQuery, UrssafClient, MAX_PER_CALL};

pub struct Poller {
    events: Arc<Events>,
    urssaf: UrssafClient,
    tenants: Arc<TenantRegistry>,
    leases: Leases,
    metrics: Metrics,
    /// Days of the sweep over Urssaf's search cap, tried again with a growing wait.
    uncovered: uncovered::Uncovered,
}

/// The poller's tasks, aborted when dropped: they stop with the application, also when it is
/// dropped without having run (a start failing after they were spawned), instead of polling on.
pub struct PollerTasks(Vec<tokio::task::JoinHandle<()>>, Option<Arc<Poller>>);

impl PollerTasks {
    /// Stops the tasks, then gives up this replica's leases: on a rolling update the next
    /// replica polls the tenants at once, not `events.lease_seconds` later.
    pub async fn stop(mut self) {
        for task in &self.0 {
            task.abort();
        }
        if let Some(poller) = self.1.take() {
            poller.leases.release_all().await;
        }
    }
}

impl Drop for PollerTasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// What one cycle did, over every tenant this replica polled.
#[derive(Debug, Default, Clone)]
pub struct CycleStats {
    pub tenants: usize,
    pub watched_payment_requests: usize,
    pub watched_clients: usize,
    /// Urssaf calls made (searches and client reads).
    pub calls: usize,
    pub changes: usize,
    pub swept: usize,
    /// Tenants whose cycle stopped early (Redis or Urssaf failing).
    pub failures: usize,
}

impl Poller {
    pub fn new(
        events: Arc<Events>,
        urssaf: UrssafClient,
        tenants: Arc<TenantRegistry>,
        store: Option<RedisStore>,
        metrics: Metrics,
    ) -> Arc<Poller> {
        let lease = Duration::from_secs(events.settings.lease_seconds);
        Arc::new(Poller {
            events,
            urssaf,
            tenants,
            leases: Leases::new(store, lease),
            metrics,
            uncovered: uncovered::Uncovered::default(),
        })
    }

    fn tenant_ids(&self) -> Vec<String> {
        self.tenants
            .current()
            .iter()
            .map(|t| t.id.clone())
            .collect()
    }

    /// Starts the lease keeper and the poll loop; both end when the returned guard is dropped.
    pub fn spawn(self: Arc<Self>) -> PollerTasks {
        self.spawn_reporting(None)
    }

    /// As [`Poller::spawn`]; `first_cycle` is told when the first cycle (with its sweep) is over.
    pub fn spawn_reporting(
        self: Arc<Self>,
        mut first_cycle: Option<tokio::sync::oneshot::Sender<()>>,
    ) -> PollerTasks {
        let keeper = self.clone();
        let this = self.clone();
        let leases = tokio::spawn(async move {
            loop {
                keeper.leases.refresh(&keeper.tenant_ids()).await;
                keeper.events.retry_pending().await;
                tokio::time::sleep(keeper.leases.renew_every()).await;
            }
        });
        let every = Duration::from_secs(self.events.settings.poll_interval_seconds);
        let polls = tokio::spawn(async move {
            self.leases.refresh(&self.tenant_ids()).await;
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                self.cycle().await;
                if let Some(done) = first_cycle.take() {
                    let _ = done.send(());
                }
            }
        });
        PollerTasks(vec![leases, polls], Some(this))
    }

    /// One cycle over every tenant this replica holds the lease of.
    pub async fn cycle(&self) -> CycleStats {
        let started = Instant::now();
        let mut stats = CycleStats::default();
        let list: Vec<Arc<Tenant>> = self.tenants.current().iter().cloned().collect();
        self.metrics.sweep_uncovered_keep(|t| self.leases.holds(t));
        for tenant in list.iter().filter(|t| self.leases.holds(&t.id)) {
            stats.tenants += 1;
            if self.poll_tenant(tenant, &mut stats).await.is_err() {
                stats.failures += 1;
            }
        }
        if stats.tenants == 0 {
            return stats;
        }
        let took = started.elapsed();
        let m = &self.metrics;
        m.events_poll_cycles.inc();
        m.events_poll_calls.set(stats.calls as i64);
        m.events_poll_cycle_seconds.observe(took.as_secs_f64());
        m.events_watched
            .with_label_values(&["payment_request"])
            .set(stats.watched_payment_requests as i64);
        m.events_watched
            .with_label_values(&["client"])
            .set(stats.watched_clients as i64);
        // A cycle with nothing to tell (the embedded default polls every 2 s) is a debug line.
        macro_rules! cycle_line {
            ($level:ident) => {
                tracing::$level!(
                    tenants = stats.tenants,
                    watched_payment_requests = stats.watched_payment_requests,
                    watched_clients = stats.watched_clients,
                    urssaf_calls = stats.calls,
                    changes = stats.changes,
                    sweeps = stats.swept,
                    failures = stats.failures,
                    duration_ms = took.as_millis() as u64,
                    "events poll cycle"
                )
            };
        }
        if stats.changes == 0 && stats.failures == 0 && stats.swept == 0 {
            cycle_line!(debug);
        } else {
            cycle_line!(info);
        }
        stats
    }

    async fn poll_tenant(&self, tenant: &Arc<Tenant>, stats: &mut CycleStats) -> Result<(), ()> {
        let today = Utc::now().date_naive();
        let store = &self.events.watch;
        let watched = store
            .all(&tenant.id, Kind::PaymentRequest)
            .await
            .map_err(|_| ())?;
        stats.watched_payment_requests += watched.len();
        let mut ids: Vec<String> = watched.keys().cloned().collect();
        ids.sort();
        // Collected first: a lazy iterator of borrowing closures makes the future not `Send`.
        let mut calls = Vec::new();
        for chunk in ids.chunks(MAX_PER_CALL) {
            calls.push(self.search_ids(tenant, chunk));
        }
        let answers: Vec<_> = stream::iter(calls)
            .buffered(CONCURRENT_CALLS)
            .collect()
            .await;
        stats.calls += answers.len();
        let mut failed = false;
        for answer in answers {
            match answer {
                Ok(a) => {
                    for p in a.found {
                        let known = watched.get(&p.id).map(|s| (s, Kind::PaymentRequest));
                        stats.changes += self.observe(tenant, &p, known, today).await? as usize;
                    }
                }
                Err(e) => {
                    tracing::warn!(tenant = %tenant.id, error = %e, "events: reading watched payment requests failed");
                    failed = true;
                }
            }
        }
        self.poll_clients(tenant, stats).await?;
        if self.sweep_due(tenant).await? {
            stats.swept += 1;
            failed |= self.sweep(tenant, today, stats).await.is_err();
        } else {
            failed |= self.retry_uncovered(tenant, today, stats).await.is_err();
        }
        if failed {
            Err(())
        } else {
            Ok(())
        }
    }

    /// Compares what Urssaf answered with what was known, records the event of a change, and
    /// files the request under its kind. True when it changed. The event is written before
    /// the state: if the state cannot be written, the change is detected again and its event
    /// (same id) is not added twice.
    async fn observe(
        &self,
        tenant: &Tenant,
        p: &PaymentRequest,
        known: Option<(&Seen, Kind)>,
        today: NaiveDate,
    ) -> Result<bool, ()> {
        let now = Seen::of_payment(p, today);
        let kind = if now.settled {
            Kind::FinalPaymentRequest
        } else {
            Kind::PaymentRequest
        };
        let store = &self.events.watch;
        let Some((prev, known_kind)) = known else {
            // First sighting (by the sweep): only if nothing was recorded meanwhile, e.g. by a
            // submission during the sweep, whose first change must not be lost.
            let entry = [(p.id.clone(), now)];
            store
                .add_new(&tenant.id, kind, &entry)
                .await
                .map_err(|_| ())?;
            return Ok(false);
        };
        let changed = prev.changed_to(&now);
        if changed {
            let event = Detected::payment_request(&tenant.id, p, prev, &now, today);
            self.events.record(&event).await.map_err(|_| ())?;
        }
        if known_kind != kind || prev != &now {
            store
                .set(&tenant.id, kind, &p.id, &now)
                .await
                .map_err(|_| ())?;
        }
        if known_kind != kind {
            store
                .remove(&tenant.id, known_kind, &[&p.id])
                .await
                .map_err(|_| ())?;
        }
        Ok(changed)
    }

    async fn poll_clients(&self, tenant: &Arc<Tenant>, stats: &mut CycleStats) -> Result<(), ()> {
        let store = &self.events.watch;
        let watched = store.all(&tenant.id, Kind::Client).await.map_err(|_| ())?;
        stats.watched_clients += watched.len();
        let mut reads = Vec::new();
        for (id, prev) in &watched {
            reads.push(self.read_client(tenant, id, prev));
        }
        let answers: Vec<_> = stream::iter(reads)
            .buffer_unordered(CONCURRENT_CALLS)
            .collect()
            .await;
        stats.calls += answers.len();
        for (id, prev, read) in answers {
            let record = match read {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(tenant = %tenant.id, error = %e, "events: reading a watched client failed");
                    continue;
                }
            };
            let now = Seen::of_account(&record.account);
            if prev.changed_to(&now) {
                let event = Detected::client(&tenant.id, &record, prev, &now);
                self.events.record(&event).await.map_err(|_| ())?;
                stats.changes += 1;
            }
            if now.settled {
                store.remove(&tenant.id, Kind::Client, &[id]).await
            } else if &now != prev {
                store.set(&tenant.id, Kind::Client, id, &now).await
            } else {
                Ok(())
            }
            .map_err(|_| ())?;
        }
        Ok(())
    }

    async fn search_ids(
        &self,
        tenant: &Arc<Tenant>,
        ids: &[String],
    ) -> Result<crate::urssaf::SearchAnswer, crate::urssaf::UpstreamError> {
        self.urssaf
            .search_payment_requests(tenant, SearchQuery::Ids(ids))
            .await
    }

    async fn read_client<'a>(
        &self,
        tenant: &Arc<Tenant>,
        id: &'a String,
        prev: &'a Seen,
    ) -> (
        &'a String,
        &'a Seen,
        Result<ClientRecord, crate::urssaf::UpstreamError>,
    ) {
        let read = self.urssaf.client_status(tenant, ClientKey::Id(id)).await;
        (id, prev, read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn dropping_the_tasks_stops_them() {
        let held = Arc::new(());
        let h = held.clone();
        let task = tokio::spawn(async move {
            let _h = h;
            std::future::pending::<()>().await;
        });
        drop(PollerTasks(vec![task], None));
        for _ in 0..100 {
            if Arc::strong_count(&held) == 1 {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!("the task still runs");
    }
}

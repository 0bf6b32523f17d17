//! Prometheus metrics, one registry per application instance (tests run several).
//!
//! Series stay bounded whatever the number of tenants: the per-tenant gauges (label `tenant`)
//! are exposed only with `metrics.per_tenant_labels`; fleet-level gauges are always there, and
//! the per-tenant detail is at `/checks` and in the admin view.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use prometheus::core::Collector;
use prometheus::{
    Encoder, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

mod hot;
mod series;

pub use hot::{HttpSeries, StaticCounters, StaticHistograms};

use series::*;

const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// From seconds (an instant receiver) to two days (the retries' whole schedule).
const WEBHOOK_LAG_BUCKETS: &[f64] = &[
    0.5, 1.0, 2.5, 5.0, 15.0, 60.0, 300.0, 1800.0, 7200.0, 21600.0, 86400.0, 172800.0,
];
const STATIC: &str = "static metric definition";

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_duration: HistogramVec,
    pub upstream_requests: IntCounterVec,
    pub upstream_duration: HistogramVec,
    /// The four families above and `token_lookups`, as the request path counts on them: series
    /// found once per thread (`hot.rs`). The families stay for reading.
    pub http: HttpSeries,
    pub urssaf_attempts: StaticCounters<2>,
    pub urssaf_attempt_seconds: StaticHistograms<1>,
    pub token_lookup: StaticCounters<2>,
    /// Circuit breaker per Urssaf host and state (closed, half_open, open): 1 for the current state.
    pub urssaf_breaker_state: IntGaugeVec,
    pub urssaf_retries: IntCounterVec,
    pub token_lookups: IntCounterVec,
    pub token_fetches: IntCounterVec,
    pub redis_errors: IntCounter,
    pub idempotency_replays: IntCounter,
    pub reconciliations: IntCounter,
    pub reconciliation_failures: IntCounter,
    /// `metrics.per_tenant_labels`: the gauges labelled by tenant are exposed.
    pub per_tenant: bool,
    /// Live replicas of the fleet, as this replica last read it (1 without Redis).
    pub fleet_replicas: IntGauge,
    /// Tenants covered by, and tenants failing, the fleet's last access check.
    pub tenant_check_checked: IntGauge,
    pub tenant_check_failing: IntGauge,
    /// 1 when the tenant's last access check passed, else 0 (only with `per_tenant`).
    pub tenant_check_ok: IntGaugeVec,
    /// 1 when the tenants directory's last read could be trusted, by source.
    pub tenant_source_up: IntGaugeVec,
    /// Reloads that kept the set last loaded (directory unreadable or read empty), by source.
    pub tenant_reload_failures: IntCounterVec,
    pub tenant_check_latency: GaugeVec,
    /// Webhook attempts by outcome: delivered, retried, failed.
    pub webhook_deliveries: IntCounterVec,
    /// From an event's time to its webhook's 2xx.
    pub webhook_lag: prometheus::Histogram,
    /// Deliveries not yet delivered or failed, per tenant (only with `per_tenant`), and in all
    /// (as this replica last saw them).
    pub webhook_pending: IntGaugeVec,
    pub webhook_pending_all: IntGauge,
    pending_by_tenant: Arc<Mutex<HashMap<String, i64>>>,
    /// Status changes found by the events poller, by event type.
    pub events_changes: IntCounterVec,
    /// Items watched by this replica at the end of its last cycle, by kind.
    pub events_watched: IntGaugeVec,
    /// Urssaf calls made by this replica's last poll cycle.
    pub events_poll_calls: IntGauge,
    pub events_poll_cycle_seconds: Histogram,
    pub events_poll_cycles: IntCounter,
    /// Items dropped (oldest first) by a bounded in-memory store, by store: `feed`,
    /// `webhook_queue`.
    pub events_memory_dropped: IntCounterVec,
    /// Days of the sweep's look-back period Urssaf would not search (more results than its
    /// search cap) at the last sweep: per tenant (only with `per_tenant`), and in all.
    events_sweep_uncovered_days: IntGaugeVec,
    pub events_sweep_uncovered_days_all: IntGauge,
    uncovered_by_tenant: Arc<Mutex<HashMap<String, i64>>>,
    /// Searches of one day refused for too many results (`ERR_NBRE_MAX_RESULTAT`).
    pub events_sweep_over_cap: IntCounter,
}

/// Builds each series from its definition (`series.rs`) and registers it. A definition is
/// static: one that cannot be built, or is registered twice, is a bug caught by any test.
struct Maker<'a> {
    registry: &'a Registry,
    /// Series labelled by tenant are built in any case (callers set them freely) and
    /// registered (exposed) only when this is set.
    per_tenant: bool,
}

impl Maker<'_> {
    fn register<T: Collector + Clone + 'static>(&self, series: T) -> T {
        self.registry
            .register(Box::new(series.clone()))
            .expect("metric registered once");
        series
    }

    fn opts(def: &Def) -> Opts {
        Opts::new(def.name, def.help)
    }

    fn counter(&self, def: &Def) -> IntCounter {
        self.register(IntCounter::with_opts(Self::opts(def)).expect(STATIC))
    }

    fn counter_vec(&self, def: &Def) -> IntCounterVec {
        self.register(IntCounterVec::new(Self::opts(def), def.labels).expect(STATIC))
    }

    fn gauge(&self, def: &Def) -> IntGauge {
        self.register(IntGauge::with_opts(Self::opts(def)).expect(STATIC))
    }

    fn gauge_vec(&self, def: &Def) -> IntGaugeVec {
        self.register(IntGaugeVec::new(Self::opts(def), def.labels).expect(STATIC))
    }

    fn tenant_gauge_vec(&self, def: &Def) -> IntGaugeVec {
        let g = IntGaugeVec::new(Self::opts(def), def.labels).expect(STATIC);
        if self.per_tenant {
            self.register(g.clone());
        }
        g
    }

    fn tenant_float_gauge_vec(&self, def: &Def) -> GaugeVec {
        let g = GaugeVec::new(Self::opts(def), def.labels).expect(STATIC);
        if self.per_tenant {
            self.register(g.clone());
        }
        g
    }

    fn histogram(&self, def: &Def, buckets: &[f64]) -> Histogram {
        let opts = HistogramOpts::new(def.name, def.help).buckets(buckets.to_vec());
        self.register(Histogram::with_opts(opts).expect(STATIC))
    }

    fn histogram_vec(&self, def: &Def) -> HistogramVec {
        let opts = HistogramOpts::new(def.name, def.help).buckets(LATENCY_BUCKETS.to_vec());
        self.register(HistogramVec::new(opts, def.labels).expect(STATIC))
    }

    /// `urssaf_gateway_build_info` (1, labelled with the version) and, on Linux, the process's CPU,
    /// memory, file descriptors and start time (`process_*`).
    fn build_info(&self) {
        self.gauge_vec(&BUILD_INFO)
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);
        #[cfg(target_os = "linux")]
        let _ = self.registry.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ));
    }
}

impl Metrics {
    /// Without per-tenant labels.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Metrics {
        Metrics::with_per_tenant_labels(false)
    }

    pub fn with_per_tenant_labels(per_tenant: bool) -> Metrics {
        let registry = Registry::new();
        let m = Maker {
            registry: &registry,
            per_tenant,
        };
        m.build_info();
        let (http_requests, http_duration) = (
            m.counter_vec(&HTTP_REQUESTS),
            m.histogram_vec(&HTTP_DURATION),
        );
        let (upstream_requests, upstream_duration) = (
            m.counter_vec(&UPSTREAM_REQUESTS),
            m.histogram_vec(&UPSTREAM_DURATION),
        );
        let token_lookups = m.counter_vec(&TOKEN_LOOKUPS);
        let metrics = Metrics {
            http: HttpSeries::new(http_requests.clone(), http_duration.clone()),
            urssaf_attempts: StaticCounters::new(upstream_requests.clone()),
            urssaf_attempt_seconds: StaticHistograms::new(upstream_duration.clone()),
            token_lookup: StaticCounters::new(token_lookups.clone()),
            http_requests,
            http_duration,
            upstream_requests,
            upstream_duration,
            urssaf_breaker_state: m.gauge_vec(&URSSAF_BREAKER_STATE),
            urssaf_retries: m.counter_vec(&URSSAF_RETRIES),
            token_lookups,
            token_fetches: m.counter_vec(&TOKEN_FETCHES),
            redis_errors: m.counter(&REDIS_ERRORS),
            idempotency_replays: m.counter(&IDEMPOTENCY_REPLAYS),
            reconciliations: m.counter(&RECONCILIATIONS),
            reconciliation_failures: m.counter(&RECONCILIATION_FAILURES),
            per_tenant,
            fleet_replicas: m.gauge(&FLEET_REPLICAS),
            tenant_check_checked: m.gauge(&TENANT_CHECK_CHECKED),
            tenant_check_failing: m.gauge(&TENANT_CHECK_FAILING),
            tenant_check_ok: m.tenant_gauge_vec(&TENANT_CHECK_OK),
            tenant_source_up: m.gauge_vec(&TENANT_SOURCE_UP),
            tenant_reload_failures: m.counter_vec(&TENANT_RELOAD_FAILURES),
            tenant_check_latency: m.tenant_float_gauge_vec(&TENANT_CHECK_LATENCY),
            webhook_deliveries: m.counter_vec(&WEBHOOK_DELIVERIES),
            webhook_lag: m.histogram(&WEBHOOK_LAG, WEBHOOK_LAG_BUCKETS),
            webhook_pending: m.tenant_gauge_vec(&WEBHOOK_PENDING),
            webhook_pending_all: m.gauge(&WEBHOOK_PENDING_ALL),
            pending_by_tenant: Arc::default(),
            events_changes: m.counter_vec(&EVENTS_CHANGES),
            events_watched: m.gauge_vec(&EVENTS_WATCHED),
            events_poll_calls: m.gauge(&EVENTS_POLL_CALLS),
            events_poll_cycle_seconds: m.histogram(&EVENTS_POLL_CYCLE_SECONDS, LATENCY_BUCKETS),
            events_poll_cycles: m.counter(&EVENTS_POLL_CYCLES),
            events_memory_dropped: m.counter_vec(&EVENTS_MEMORY_DROPPED),
            events_sweep_uncovered_days: m.tenant_gauge_vec(&EVENTS_SWEEP_UNCOVERED_DAYS),
            events_sweep_uncovered_days_all: m.gauge(&EVENTS_SWEEP_UNCOVERED_DAYS_ALL),
            uncovered_by_tenant: Arc::default(),
            events_sweep_over_cap: m.counter(&EVENTS_SWEEP_OVER_CAP),
            registry,
        };
        metrics.fleet_replicas.set(1);
        metrics.initialise_known_series();
        metrics
    }

    /// Series whose label values are known in advance start at 0, so that they are exported
    /// (and a dashboard or `rate()` sees them) before the first event, delivery or cycle
    /// (`urssaf_gateway_events_changes_detected_total`'s types are started by `events::Events::new`, which
    /// owns them).
    fn initialise_known_series(&self) {
        for outcome in ["delivered", "retried", "failed"] {
            self.webhook_deliveries.with_label_values(&[outcome]);
        }
        for kind in ["payment_request", "client"] {
            self.events_watched.with_label_values(&[kind]);
        }
    }

    /// Prometheus text exposition format.
    /// `urssaf_gateway_redis_up`: registered only when Redis is configured, so that "down" never
    /// means "not used".
    pub fn redis_up(&self) -> prometheus::IntGauge {
        let g = prometheus::IntGauge::new(
            "urssaf_gateway_redis_up",
            "1 while Redis answers, 0 while the gateway goes without it.",
        )
        .expect("static metric definition");
        let _ = self.registry.register(Box::new(g.clone()));
        g
    }

    /// A tenant's pending webhook deliveries: the total always, the tenant's gauge only with
    /// per-tenant labels.
    pub fn webhook_pending(&self, tenant: &str, pending: usize) {
        let n = i64::try_from(pending).unwrap_or(i64::MAX);
        let mut by_tenant = self.pending_by_tenant.lock();
        let before = by_tenant.insert(tenant.to_string(), n).unwrap_or(0);
        self.webhook_pending_all.add(n - before);
        if self.per_tenant {
            self.webhook_pending.with_label_values(&[tenant]).set(n);
        }
    }

    /// A tenant's days the sweep could not search: the total always, the tenant's gauge only
    /// with per-tenant labels.
    pub fn sweep_uncovered(&self, tenant: &str, days: usize) {
        let n = i64::try_from(days).unwrap_or(i64::MAX);
        let before = self
            .uncovered_by_tenant
            .lock()
            .insert(tenant.to_string(), n)
            .unwrap_or(0);
        self.events_sweep_uncovered_days_all.add(n - before);
        if self.per_tenant {
            self.events_sweep_uncovered_days
                .with_label_values(&[tenant])
                .set(n);
        }
    }

    /// A tenant's pending webhook deliveries, as this replica last saw them.
    pub fn webhook_pending_of(&self, tenant: &str) -> Option<i64> {
        self.pending_by_tenant.lock().get(tenant).copied()
    }

    /// Forgets the pending deliveries of tenants gone (removed, or their webhook unset).
    pub fn webhook_pending_keep(&self, keep: impl Fn(&str) -> bool) {
        forget_tenants(
            &self.pending_by_tenant,
            &self.webhook_pending_all,
            &self.webhook_pending,
            keep,
        );
    }

    /// Forgets the uncovered days of tenants this replica no longer sweeps (lease gone to
    /// another replica, tenant removed): the total counts each day once across the fleet.
    pub fn sweep_uncovered_keep(&self, keep: impl Fn(&str) -> bool) {
        forget_tenants(
            &self.uncovered_by_tenant,
            &self.events_sweep_uncovered_days_all,
            &self.events_sweep_uncovered_days,
            keep,
        );
    }

    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let families = self.registry.gather();
        if TextEncoder::new().encode(&families, &mut buf).is_err() {
            return String::new();
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// Drops the tenants `keep` refuses from a per-tenant map, its total and its labelled gauge.
fn forget_tenants(
    by_tenant: &Mutex<HashMap<String, i64>>,
    all: &IntGauge,
    each: &IntGaugeVec,
    keep: impl Fn(&str) -> bool,
) {
    by_tenant.lock().retain(|tenant, n| {
        let kept = keep(tenant);
        if !kept {
            all.sub(*n);
            let _ = each.remove_label_values(&[tenant]);
        }
        kept
    });
}

//! Prometheus metrics, one registry per application instance (tests run several).
//!
//! Series stay bounded whatever the number of tenants: the per-tenant gauges (label `tenant`)
//! are exposed only with `metrics.per_tenant_labels`; fleet-level gauges are always there, and
//! the per-tenant detail is at `/checks` and in the admin view.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

use prometheus::{
    Encoder, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_duration: HistogramVec,
    pub upstream_requests: IntCounterVec,
    pub upstream_duration: HistogramVec,
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

impl Metrics {
    /// Without per-tenant labels.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Metrics {
        Metrics::with_per_tenant_labels(false)
    }

    pub fn with_per_tenant_labels(per_tenant: bool) -> Metrics {
        let registry = Registry::new();
        // Created in any case (callers set them freely); exposed only when asked for.
        let per_tenant_gauge = |g: Box<dyn prometheus::core::Collector>| {
            if per_tenant {
                registry.register(g).expect("metric registered once");
            }
        };
        let gauge = |name: &str, help: &str| {
            let g = IntGauge::new(name, help).expect("static metric definition");
            registry
                .register(Box::new(g.clone()))
                .expect("metric registered once");
            g
        };
        let counter_vec = |name: &str, help: &str, labels: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), labels)
                .expect("static metric definition");
            registry
                .register(Box::new(c.clone()))
                .expect("metric registered once");
            c
        };
        let histogram_vec = |name: &str, help: &str, labels: &[&str]| {
            let h = HistogramVec::new(
                HistogramOpts::new(name, help).buckets(LATENCY_BUCKETS.to_vec()),
                labels,
            )
            .expect("static metric definition");
            registry
                .register(Box::new(h.clone()))
                .expect("metric registered once");
            h
        };
        let counter = |name: &str, help: &str| {
            let c = IntCounter::new(name, help).expect("static metric definition");
            registry
                .register(Box::new(c.clone()))
                .expect("metric registered once");
            c
        };
        let build_info = IntGaugeVec::new(
            Opts::new(
                "gateway_build_info",
                "The running build: always 1, labelled with its version.",
            ),
            &["version"],
        )
        .expect("static metric definition");
        build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);
        registry
            .register(Box::new(build_info))
            .expect("metric registered once");
        // CPU, memory, file descriptors and start time of the process (`process_*`).
        #[cfg(target_os = "linux")]
        let _ = registry.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ));
        let tenant_check_ok = IntGaugeVec::new(
            Opts::new(
                "gateway_tenant_check_ok",
                "1 when the tenant's last access check (token, then a harmless search) passed.",
            ),
            &["tenant"],
        )
        .expect("static metric definition");
        per_tenant_gauge(Box::new(tenant_check_ok.clone()));
        let tenant_check_latency = GaugeVec::new(
            Opts::new(
                "gateway_tenant_check_latency_seconds",
                "Duration of the tenant's last access check.",
            ),
            &["tenant"],
        )
        .expect("static metric definition");
        per_tenant_gauge(Box::new(tenant_check_latency.clone()));
        let events_sweep_uncovered_days = IntGaugeVec::new(
            Opts::new(
                "gateway_events_sweep_uncovered_days",
                "Days the events sweep could not search at its last run (Urssaf's search cap, ERR_NBRE_MAX_RESULTAT), per tenant.",
            ),
            &["tenant"],
        )
        .expect("static metric definition");
        per_tenant_gauge(Box::new(events_sweep_uncovered_days.clone()));
        let webhook_lag = prometheus::Histogram::with_opts(
            HistogramOpts::new(
                "gateway_webhook_delivery_lag_seconds",
                "Time from an event to the 2xx of its webhook delivery.",
            )
            .buckets(vec![
                0.5, 1.0, 2.5, 5.0, 15.0, 60.0, 300.0, 1800.0, 7200.0, 21600.0, 86400.0, 172800.0,
            ]),
        )
        .expect("static metric definition");
        registry
            .register(Box::new(webhook_lag.clone()))
            .expect("metric registered once");
        let webhook_pending = IntGaugeVec::new(
            Opts::new(
                "gateway_webhook_pending",
                "Webhook deliveries waiting for an attempt or a retry, per tenant.",
            ),
            &["tenant"],
        )
        .expect("static metric definition");
        per_tenant_gauge(Box::new(webhook_pending.clone()));
        let events_watched = IntGaugeVec::new(
            Opts::new(
                "gateway_events_watched",
                "Payment requests and clients this replica watched in its last poll cycle, by kind.",
            ),
            &["kind"],
        )
        .expect("static metric definition");
        let events_poll_calls = IntGauge::new(
            "gateway_events_poll_calls",
            "Urssaf calls made by this replica's last events poll cycle (all tenants).",
        )
        .expect("static metric definition");
        let events_poll_cycle_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "gateway_events_poll_cycle_seconds",
                "Duration of one events poll cycle (all tenants this replica polls).",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
        )
        .expect("static metric definition");
        for m in [
            Box::new(events_watched.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(events_poll_calls.clone()),
            Box::new(events_poll_cycle_seconds.clone()),
        ] {
            registry.register(m).expect("metric registered once");
        }
        let tenant_source_up = IntGaugeVec::new(
            Opts::new(
                "gateway_tenant_source_up",
                "1 when the tenants directory was last read whole; 0 while the tenants last loaded are kept because it is unreadable, missing or read empty.",
            ),
            &["source"],
        )
        .expect("static metric definition");
        registry
            .register(Box::new(tenant_source_up.clone()))
            .expect("metric registered once");
        let metrics = Metrics {
            tenant_source_up,
            tenant_reload_failures: counter_vec(
                "gateway_tenant_reload_failures_total",
                "Tenant reloads that kept the set last loaded (directory unreadable, missing or read empty), by source.",
                &["source"],
            ),
            per_tenant,
            fleet_replicas: {
                let g = gauge(
                    "gateway_fleet_replicas",
                    "Live replicas sharing the tenants' rate limits, as this replica last read it from Redis (1 without Redis).",
                );
                g.set(1);
                g
            },
            tenant_check_checked: gauge(
                "gateway_tenant_check_tenants",
                "Tenants covered by the fleet's last access check (run by one replica, shown by all).",
            ),
            tenant_check_failing: gauge(
                "gateway_tenant_check_failing",
                "Tenants whose last access check (token, then a harmless search) did not pass.",
            ),
            webhook_lag,
            webhook_pending,
            webhook_pending_all: gauge(
                "gateway_webhook_pending_deliveries",
                "Webhook deliveries waiting for an attempt or a retry, all tenants together.",
            ),
            pending_by_tenant: Arc::default(),
            webhook_deliveries: counter_vec(
                "gateway_webhook_deliveries_total",
                "Webhook delivery attempts by outcome: delivered (2xx), retried, failed (last attempt failed).",
                &["outcome"],
            ),
            events_changes: counter_vec(
                "gateway_events_changes_detected_total",
                "Status changes detected by the events poller and added to the feed, by event type.",
                &["type"],
            ),
            events_memory_dropped: counter_vec(
                "gateway_events_memory_dropped_total",
                "Items dropped, oldest first, by a bounded store in process memory (no Redis): feed (events.memory_max_events), webhook_queue (events.webhook_memory_max_deliveries).",
                &["store"],
            ),
            events_sweep_uncovered_days,
            events_sweep_uncovered_days_all: gauge(
                "gateway_events_sweep_uncovered_days_all",
                "Days the events sweep could not search at its last run (Urssaf's search cap, ERR_NBRE_MAX_RESULTAT), all tenants of this replica together; each is tried again with a growing wait.",
            ),
            uncovered_by_tenant: Arc::default(),
            events_sweep_over_cap: counter(
                "gateway_events_sweep_over_cap_total",
                "Sweep searches of a single day refused by Urssaf for too many results (ERR_NBRE_MAX_RESULTAT).",
            ),
            events_watched,
            events_poll_calls,
            events_poll_cycle_seconds,
            events_poll_cycles: counter(
                "gateway_events_poll_cycles_total",
                "Events poll cycles run by this replica (one per interval while it holds a tenant's lease).",
            ),
            tenant_check_ok,
            tenant_check_latency,
            http_requests: counter_vec(
                "gateway_http_requests_total",
                "Requests answered, by route template, method and status.",
                &["route", "method", "status"],
            ),
            http_duration: histogram_vec(
                "gateway_http_request_duration_seconds",
                "Time to answer a request, by route template and method.",
                &["route", "method"],
            ),
            upstream_requests: counter_vec(
                "gateway_urssaf_requests_total",
                "Calls to Urssaf, by operation and outcome.",
                &["operation", "outcome"],
            ),
            upstream_duration: histogram_vec(
                "gateway_urssaf_request_duration_seconds",
                "Duration of one call to Urssaf (one attempt), by operation.",
                &["operation"],
            ),
            urssaf_breaker_state: {
                let g = IntGaugeVec::new(
                    Opts::new(
                        "gateway_urssaf_breaker_state",
                        "Circuit breaker per Urssaf host, one series per state (closed, half_open, open): 1 for the current state, 0 for the others.",
                    ),
                    &["host", "state"],
                )
                .expect("static metric definition");
                registry
                    .register(Box::new(g.clone()))
                    .expect("metric registered once");
                g
            },
            urssaf_retries: counter_vec(
                "gateway_urssaf_retries_total",
                "Retries of Urssaf calls, by operation and decision (retried, budget_exhausted).",
                &["operation", "decision"],
            ),
            token_lookups: counter_vec(
                "gateway_token_cache_lookups_total",
                "Token cache lookups, by layer (l1, redis) and result (hit, miss, error).",
                &["layer", "result"],
            ),
            token_fetches: counter_vec(
                "gateway_token_fetches_total",
                "Token requests sent to Urssaf's token endpoint, by result.",
                &["result"],
            ),
            redis_errors: counter("gateway_redis_errors_total", "Redis commands that failed or timed out."),
            idempotency_replays: counter(
                "gateway_idempotency_replays_total",
                "Answers replayed for a repeated Idempotency-Key.",
            ),
            reconciliations: counter(
                "gateway_reconciliations_total",
                "Invoices found already integrated by Urssaf after ERR_FACTURE_DOUBLON and answered as accepted.",
            ),
            reconciliation_failures: counter(
                "gateway_reconciliation_failures_total",
                "Reconciliation lookups (search by invoice number after a duplicate or a lost answer) that failed.",
            ),
            registry,
        };
        metrics.initialise_known_series();
        metrics
    }

    /// Series whose label values are known in advance start at 0, so that they are exported
    /// (and a dashboard or `rate()` sees them) before the first event, delivery or cycle
    /// (`gateway_events_changes_detected_total`'s types are started by `events::Events::new`, which
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
    /// `gateway_redis_up`: registered only when Redis is configured, so that "down" never
    /// means "not used".
    pub fn redis_up(&self) -> prometheus::IntGauge {
        let g = prometheus::IntGauge::new(
            "gateway_redis_up",
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
        let mut by_tenant = self.pending_by_tenant.lock();
        by_tenant.retain(|tenant, n| {
            let kept = keep(tenant);
            if !kept {
                self.webhook_pending_all.sub(*n);
                let _ = self.webhook_pending.remove_label_values(&[tenant]);
            }
            kept
        });
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

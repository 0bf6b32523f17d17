//! Every series the gateway exports, stated once: name, help and labels (`Metrics` builds and
//! registers them). Grouped as the `Metrics` fields are.

pub(super) struct Def {
    pub name: &'static str,
    pub help: &'static str,
    pub labels: &'static [&'static str],
}

pub(super) const BUILD_INFO: Def = Def {
    name: "urssaf_gateway_build_info",
    help: "The running build: always 1, labelled with its version.",
    labels: &["version"],
};

pub(super) const HTTP_REQUESTS: Def = Def {
    name: "urssaf_gateway_http_requests_total",
    help: "Requests answered, by route template, method and status.",
    labels: &["route", "method", "status"],
};

pub(super) const HTTP_DURATION: Def = Def {
    name: "urssaf_gateway_http_request_duration_seconds",
    help: "Time to answer a request, by route template and method.",
    labels: &["route", "method"],
};

pub(super) const UPSTREAM_REQUESTS: Def = Def {
    name: "urssaf_gateway_urssaf_requests_total",
    help: "Calls to Urssaf, by operation and outcome.",
    labels: &["operation", "outcome"],
};

pub(super) const UPSTREAM_DURATION: Def = Def {
    name: "urssaf_gateway_urssaf_request_duration_seconds",
    help: "Duration of one call to Urssaf (one attempt), by operation.",
    labels: &["operation"],
};

pub(super) const URSSAF_BREAKER_STATE: Def = Def {
    name: "urssaf_gateway_urssaf_breaker_state",
    help: "Circuit breaker per Urssaf host, one series per state (closed, half_open, open): 1 for the current state, 0 for the others.",
    labels: &["host", "state"],
};

pub(super) const URSSAF_RETRIES: Def = Def {
    name: "urssaf_gateway_urssaf_retries_total",
    help: "Retries of Urssaf calls, by operation and decision (retried, budget_exhausted).",
    labels: &["operation", "decision"],
};

pub(super) const TOKEN_LOOKUPS: Def = Def {
    name: "urssaf_gateway_token_cache_lookups_total",
    help: "Token cache lookups, by layer (l1, redis) and result (hit, miss, error).",
    labels: &["layer", "result"],
};

pub(super) const TOKEN_FETCHES: Def = Def {
    name: "urssaf_gateway_token_fetches_total",
    help: "Token requests sent to Urssaf's token endpoint, by result.",
    labels: &["result"],
};

pub(super) const REDIS_ERRORS: Def = Def {
    name: "urssaf_gateway_redis_errors_total",
    help: "Redis commands that failed or timed out.",
    labels: &[],
};

pub(super) const IDEMPOTENCY_REPLAYS: Def = Def {
    name: "urssaf_gateway_idempotency_replays_total",
    help: "Answers replayed for a repeated Idempotency-Key.",
    labels: &[],
};

pub(super) const RECONCILIATIONS: Def = Def {
    name: "urssaf_gateway_reconciliations_total",
    help: "Invoices found already integrated by Urssaf after ERR_FACTURE_DOUBLON and answered as accepted.",
    labels: &[],
};

pub(super) const RECONCILIATION_FAILURES: Def = Def {
    name: "urssaf_gateway_reconciliation_failures_total",
    help: "Reconciliation lookups (search by invoice number after a duplicate or a lost answer) that failed.",
    labels: &[],
};

pub(super) const FLEET_REPLICAS: Def = Def {
    name: "urssaf_gateway_fleet_replicas",
    help: "Live replicas sharing the tenants' rate limits, as this replica last read it from Redis (1 without Redis).",
    labels: &[],
};

pub(super) const TENANT_CHECK_CHECKED: Def = Def {
    name: "urssaf_gateway_tenant_check_tenants",
    help: "Tenants covered by the fleet's last access check (run by one replica, shown by all).",
    labels: &[],
};

pub(super) const TENANT_CHECK_FAILING: Def = Def {
    name: "urssaf_gateway_tenant_check_failing",
    help: "Tenants whose last access check (token, then a harmless search) did not pass.",
    labels: &[],
};

pub(super) const TENANT_CHECK_OK: Def = Def {
    name: "urssaf_gateway_tenant_check_ok",
    help: "1 when the tenant's last access check (token, then a harmless search) passed.",
    labels: &["tenant"],
};

pub(super) const TENANT_CHECK_LATENCY: Def = Def {
    name: "urssaf_gateway_tenant_check_latency_seconds",
    help: "Duration of the tenant's last access check.",
    labels: &["tenant"],
};

pub(super) const TENANT_SOURCE_UP: Def = Def {
    name: "urssaf_gateway_tenant_source_up",
    help: "1 when the tenants directory was last read whole; 0 while the tenants last loaded are kept because it is unreadable, missing or read empty.",
    labels: &["source"],
};

pub(super) const TENANT_RELOAD_FAILURES: Def = Def {
    name: "urssaf_gateway_tenant_reload_failures_total",
    help: "Tenant reloads that kept the set last loaded (directory unreadable, missing or read empty), by source.",
    labels: &["source"],
};

pub(super) const WEBHOOK_DELIVERIES: Def = Def {
    name: "urssaf_gateway_webhook_deliveries_total",
    help: "Webhook delivery attempts by outcome: delivered (2xx), retried, failed (last attempt failed).",
    labels: &["outcome"],
};

pub(super) const WEBHOOK_LAG: Def = Def {
    name: "urssaf_gateway_webhook_delivery_lag_seconds",
    help: "Time from an event to the 2xx of its webhook delivery.",
    labels: &[],
};

pub(super) const WEBHOOK_PENDING: Def = Def {
    name: "urssaf_gateway_webhook_pending",
    help: "Webhook deliveries waiting for an attempt or a retry, per tenant.",
    labels: &["tenant"],
};

pub(super) const WEBHOOK_PENDING_ALL: Def = Def {
    name: "urssaf_gateway_webhook_pending_deliveries",
    help: "Webhook deliveries waiting for an attempt or a retry, all tenants together.",
    labels: &[],
};

pub(super) const EVENTS_CHANGES: Def = Def {
    name: "urssaf_gateway_events_changes_detected_total",
    help: "Status changes detected by the events poller and added to the feed, by event type.",
    labels: &["type"],
};

pub(super) const EVENTS_WATCHED: Def = Def {
    name: "urssaf_gateway_events_watched",
    help: "Payment requests and clients this replica watched in its last poll cycle, by kind.",
    labels: &["kind"],
};

pub(super) const EVENTS_POLL_CALLS: Def = Def {
    name: "urssaf_gateway_events_poll_calls",
    help: "Urssaf calls made by this replica's last events poll cycle (all tenants).",
    labels: &[],
};

pub(super) const EVENTS_POLL_CYCLE_SECONDS: Def = Def {
    name: "urssaf_gateway_events_poll_cycle_seconds",
    help: "Duration of one events poll cycle (all tenants this replica polls).",
    labels: &[],
};

pub(super) const EVENTS_POLL_CYCLES: Def = Def {
    name: "urssaf_gateway_events_poll_cycles_total",
    help:
        "Events poll cycles run by this replica (one per interval while it holds a tenant's lease).",
    labels: &[],
};

pub(super) const EVENTS_MEMORY_DROPPED: Def = Def {
    name: "urssaf_gateway_events_memory_dropped_total",
    help: "Items dropped, oldest first, by a bounded store in process memory (no Redis): feed (events.memory_max_events), webhook_queue (events.webhook_memory_max_deliveries).",
    labels: &["store"],
};

pub(super) const EVENTS_SWEEP_UNCOVERED_DAYS: Def = Def {
    name: "urssaf_gateway_events_sweep_uncovered_days",
    help: "Days the events sweep could not search at its last run (Urssaf's search cap, ERR_NBRE_MAX_RESULTAT), per tenant.",
    labels: &["tenant"],
};

pub(super) const EVENTS_SWEEP_UNCOVERED_DAYS_ALL: Def = Def {
    name: "urssaf_gateway_events_sweep_uncovered_days_all",
    help: "Days the events sweep could not search at its last run (Urssaf's search cap, ERR_NBRE_MAX_RESULTAT), all tenants of this replica together; each is tried again with a growing wait.",
    labels: &[],
};

pub(super) const EVENTS_SWEEP_OVER_CAP: Def = Def {
    name: "urssaf_gateway_events_sweep_over_cap_total",
    help: "Sweep searches of a single day refused by Urssaf for too many results (ERR_NBRE_MAX_RESULTAT).",
    labels: &[],
};

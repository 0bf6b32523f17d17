//! `[events]`: watching payment requests and clients, the events feed, and webhook deliveries
//! (see the README's *Events* and *Webhooks*).

use serde::{Deserialize, Deserializer};

use super::Environment;

/// Longest wait before one webhook retry (a week), most retries, longest retention (a year).
const MAX_RETRY_WAIT: u64 = 604_800;
const MAX_RETRIES: usize = 50;
const MAX_RETENTION_HOURS: u64 = 8_760;
/// `events.poll_interval_seconds` when unset: 2 s on the embedded default (the simulator is
/// in-process, polling it costs nothing; a change shows within seconds), else 300 s.
pub(super) fn default_poll_interval(environment: Environment) -> u64 {
    if environment == Environment::Embedded {
        2
    } else {
        300
    }
}

#[derive(Deserialize)]
pub(super) struct RawEvents {
    enabled: bool,
    /// Unset: 2 s on the embedded default (a change shows within seconds), else 300 s.
    poll_interval_seconds: Option<u64>,
    sweep_interval_seconds: u64,
    lookback_days: u64,
    retention_days: u64,
    lease_seconds: u64,
    max_wait_seconds: u64,
    max_waiting_per_tenant: u32,
    memory_max_events: u32,
    webhook_memory_max_deliveries: u32,
    /// Unset: decided per tenant, true for the simulator's tenants only.
    allow_private_targets: Option<bool>,
    webhook_timeout_seconds: u64,
    webhook_max_concurrent: u32,
    #[serde(deserialize_with = "numbers_or_text")]
    webhook_retry_schedule: Vec<String>,
    webhook_visibility_seconds: u64,
    webhook_retention_hours: u64,
    webhook_poll_ms: u64,
}

#[derive(Debug, Clone)]
pub struct EventsSettings {
    /// Watch statuses and keep the feed; off = no polling (the feed answers empty).
    pub enabled: bool,
    /// How often watched payment requests and clients are read from Urssaf.
    pub poll_interval_seconds: u64,
    /// How often the look-back period is searched whole (requests sent by other software,
    /// late moves after payment).
    pub sweep_interval_seconds: u64,
    /// Invoice dates the sweep covers, back from today.
    pub lookback_days: u64,
    /// How long an event stays in the feed.
    pub retention_days: u64,
    /// Lifetime of the per-tenant polling lease in Redis (renewed every third of it).
    pub lease_seconds: u64,
    /// Longest `wait` a `GET /v1/events` is held for (a larger `wait` is cut to it).
    pub max_wait_seconds: u64,
    /// Long polls (`GET /v1/events?wait=N`) of one tenant waiting at once, per replica; apart
    /// from `limits.tenant_concurrency`, which a waiting long poll does not hold.
    pub max_waiting_per_tenant: u32,
    /// Without Redis: events kept per tenant in the feed; beyond, the oldest is dropped.
    pub memory_max_events: u32,
    /// Without Redis: webhook deliveries kept per tenant (pending or finished); beyond, the
    /// oldest is dropped.
    pub webhook_memory_max_deliveries: u32,
    /// Webhooks may go to `http` and to loopback, private and link-local addresses: `Some`
    /// for every tenant as set; `None` (unset) for the simulator's tenants only (see
    /// `Settings::private_targets_allowed`).
    pub allow_private_targets: Option<bool>,
    /// Deadline of one delivery attempt, connection included.
    pub webhook_timeout_seconds: u64,
    /// Deliveries of one tenant in flight at once (per replica).
    pub webhook_max_concurrent: u32,
    /// Wait before each retry, in seconds; the attempts are this list's length plus one.
    pub webhook_retry_schedule: Vec<u64>,
    /// A delivery taken by a replica that has not finished it after this long is taken over
    /// by another (the first one is presumed dead).
    pub webhook_visibility_seconds: u64,
    /// How long a finished delivery (and the record that deduplicates it) is kept.
    pub webhook_retention_hours: u64,
    /// How often each replica looks for deliveries enqueued by others, and for retries due.
    pub webhook_poll_ms: u64,
}

impl EventsSettings {
    pub(super) fn parse(raw: RawEvents, environment: Environment) -> Result<Self, Vec<String>> {
        let mut out = Vec::new();
        let poll_interval_seconds = raw
            .poll_interval_seconds
            .unwrap_or(default_poll_interval(environment));
        if !(1..=86_400).contains(&poll_interval_seconds) {
            out.push("events.poll_interval_seconds: must be 1 to 86400".into());
        }
        if !(1..=604_800).contains(&raw.sweep_interval_seconds) {
            out.push("events.sweep_interval_seconds: must be 1 to 604800".into());
        }
        if !(1..=730).contains(&raw.lookback_days) {
            out.push("events.lookback_days: must be 1 to 730".into());
        }
        if !(1..=90).contains(&raw.retention_days) {
            out.push("events.retention_days: must be 1 to 90".into());
        }
        if !(3..=3600).contains(&raw.lease_seconds) {
            out.push("events.lease_seconds: must be 3 to 3600".into());
        }
        if raw.max_wait_seconds > 30 {
            out.push("events.max_wait_seconds: must be 0 to 30".into());
        }
        if !(1..=100_000).contains(&raw.max_waiting_per_tenant) {
            out.push("events.max_waiting_per_tenant: must be 1 to 100000".into());
        }
        if !(100..=10_000_000).contains(&raw.memory_max_events) {
            out.push("events.memory_max_events: must be 100 to 10000000".into());
        }
        if !(100..=10_000_000).contains(&raw.webhook_memory_max_deliveries) {
            out.push("events.webhook_memory_max_deliveries: must be 100 to 10000000".into());
        }
        // Bounded so that the arithmetic on them (milliseconds, totals) cannot overflow.
        let mut schedule = Vec::new();
        for s in &raw.webhook_retry_schedule {
            match s.trim().parse::<u64>() {
                Ok(n) if n <= MAX_RETRY_WAIT => schedule.push(n),
                _ => out.push(format!(
                    "events.webhook_retry_schedule: {s:?} is not a number of seconds from 0 to {MAX_RETRY_WAIT}"
                )),
            }
        }
        if schedule.len() > MAX_RETRIES {
            out.push(format!(
                "events.webhook_retry_schedule: at most {MAX_RETRIES} retries"
            ));
        }
        if !(1..=86_400).contains(&raw.webhook_visibility_seconds) {
            out.push("events.webhook_visibility_seconds: must be 1 to 86400".into());
        }
        if !(1..=60).contains(&raw.webhook_timeout_seconds) {
            out.push("events.webhook_timeout_seconds: must be 1 to 60".into());
        }
        if !(1..=64).contains(&raw.webhook_max_concurrent) {
            out.push("events.webhook_max_concurrent: must be 1 to 64".into());
        }
        if raw.webhook_visibility_seconds <= raw.webhook_timeout_seconds {
            out.push("events.webhook_visibility_seconds: must be longer than webhook_timeout_seconds, or live deliveries would be taken over".into());
        }
        let total: u64 = schedule.iter().sum();
        if raw.webhook_retention_hours.saturating_mul(3600) <= total.saturating_mul(12) / 10 {
            out.push("events.webhook_retention_hours: must be longer than the whole webhook_retry_schedule, or pending deliveries would expire".into());
        }
        if !(1..=MAX_RETENTION_HOURS).contains(&raw.webhook_retention_hours)
            || !(10..=60_000).contains(&raw.webhook_poll_ms)
        {
            out.push(format!(
                "events: webhook_retention_hours must be 1 to {MAX_RETENTION_HOURS} and webhook_poll_ms 10 to 60000"
            ));
        }
        if !out.is_empty() {
            return Err(out);
        }
        Ok(EventsSettings {
            enabled: raw.enabled,
            poll_interval_seconds,
            sweep_interval_seconds: raw.sweep_interval_seconds,
            lookback_days: raw.lookback_days,
            retention_days: raw.retention_days,
            lease_seconds: raw.lease_seconds,
            max_wait_seconds: raw.max_wait_seconds,
            max_waiting_per_tenant: raw.max_waiting_per_tenant,
            memory_max_events: raw.memory_max_events,
            webhook_memory_max_deliveries: raw.webhook_memory_max_deliveries,
            allow_private_targets: raw.allow_private_targets,
            webhook_timeout_seconds: raw.webhook_timeout_seconds,
            webhook_max_concurrent: raw.webhook_max_concurrent,
            webhook_retry_schedule: schedule,
            webhook_visibility_seconds: raw.webhook_visibility_seconds,
            webhook_retention_hours: raw.webhook_retention_hours,
            webhook_poll_ms: raw.webhook_poll_ms,
        })
    }
}

/// A list of numbers (a file), or one string of comma-separated numbers (an environment
/// variable); each is parsed afterwards so that a bad one is named.
fn numbers_or_text<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Text(String),
        Numbers(Vec<u64>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::Text(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        OneOrMany::Numbers(v) => v.iter().map(u64::to_string).collect(),
    })
}

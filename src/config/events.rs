//! `[events]`: watching payment requests and clients, and the events feed.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
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
}

impl EventsSettings {
    pub(super) fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !(1..=86_400).contains(&self.poll_interval_seconds) {
            out.push("events.poll_interval_seconds: must be 1 to 86400".into());
        }
        if !(1..=604_800).contains(&self.sweep_interval_seconds) {
            out.push("events.sweep_interval_seconds: must be 1 to 604800".into());
        }
        if !(1..=730).contains(&self.lookback_days) {
            out.push("events.lookback_days: must be 1 to 730".into());
        }
        if !(1..=90).contains(&self.retention_days) {
            out.push("events.retention_days: must be 1 to 90".into());
        }
        if !(3..=3600).contains(&self.lease_seconds) {
            out.push("events.lease_seconds: must be 3 to 3600".into());
        }
        if self.max_wait_seconds > 30 {
            out.push("events.max_wait_seconds: must be 0 to 30".into());
        }
        out
    }
}

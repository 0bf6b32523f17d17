//! The sweep: a search of the look-back period by invoice date, every
//! `events.sweep_interval_seconds`, which finds requests sent by other software and the late
//! moves of requests already final.

use std::sync::Arc;

use chrono::{NaiveDate, Utc};

use super::{CycleStats, Poller};
use crate::domain::payment_request::PaymentRequest;
use crate::events::watch::Kind;
use crate::service::payment_requests::lookup;
use crate::tenant::Tenant;
use crate::urssaf::CodeKind;

/// Days of invoice dates per period search of the sweep (each is split further while Urssaf
/// says it has too many results).
const SWEEP_WINDOW_DAYS: u64 = 7;

impl Poller {
    pub(super) async fn sweep_due(&self, tenant: &Tenant) -> Result<bool, ()> {
        let last = self
            .events
            .watch
            .last_sweep(&tenant.id)
            .await
            .map_err(|_| ())?;
        let every = self.events.settings.sweep_interval_seconds as i64;
        Ok(last.is_none_or(|at| Utc::now().timestamp() - at >= every))
    }

    /// Searches the look-back period by invoice date, a window at a time: requests not known
    /// yet are watched from their current status (no event: nothing is known of before),
    /// known ones compared, final ones older than the period forgotten.
    pub(super) async fn sweep(
        &self,
        tenant: &Arc<Tenant>,
        today: NaiveDate,
        stats: &mut CycleStats,
    ) -> Result<(), ()> {
        let store = &self.events.watch;
        let lookback = chrono::Days::new(self.events.settings.lookback_days);
        let from = today.checked_sub_days(lookback).unwrap_or(today);
        let watched = store
            .all(&tenant.id, Kind::PaymentRequest)
            .await
            .map_err(|_| ())?;
        let finals = store
            .all(&tenant.id, Kind::FinalPaymentRequest)
            .await
            .map_err(|_| ())?;
        let mut failed = false;
        let mut start = from;
        while start <= today {
            let end = start
                .checked_add_days(chrono::Days::new(SWEEP_WINDOW_DAYS - 1))
                .unwrap_or(today)
                .min(today);
            let found = match self
                .search_window(tenant, start, end, &mut stats.calls)
                .await
            {
                Ok(found) => found,
                Err(()) => {
                    failed = true;
                    Vec::new()
                }
            };
            for p in &found {
                let known = (watched.get(&p.id).map(|s| (s, Kind::PaymentRequest)))
                    .or_else(|| finals.get(&p.id).map(|s| (s, Kind::FinalPaymentRequest)));
                stats.changes += self.observe(tenant, p, known, today).await? as usize;
            }
            let Some(next) = end.succ_opt() else { break };
            start = next;
        }
        let stale: Vec<&str> = finals
            .iter()
            .filter(|(_, s)| s.invoice_date.is_some_and(|d| d < from))
            .map(|(id, _)| id.as_str())
            .collect();
        store
            .remove(&tenant.id, Kind::FinalPaymentRequest, &stale)
            .await
            .map_err(|_| ())?;
        if failed {
            return Err(());
        }
        store
            .mark_swept(&tenant.id, Utc::now().timestamp())
            .await
            .map_err(|_| ())
    }

    /// One window of the sweep; a window too full even when split is searched a day at a time.
    async fn search_window(
        &self,
        tenant: &Arc<Tenant>,
        from: NaiveDate,
        to: NaiveDate,
        calls: &mut usize,
    ) -> Result<Vec<PaymentRequest>, ()> {
        match lookup::by_period_counted(&self.urssaf, tenant, from, to, calls).await {
            Ok(found) => return Ok(found),
            Err(e) if e.has(CodeKind::TooManyResults) && from < to => {}
            Err(e) => {
                tracing::warn!(tenant = %tenant.id, error = %e, "events: sweep search failed");
                return Err(());
            }
        }
        let mut found = Vec::new();
        let mut day = from;
        while day <= to {
            match lookup::by_period_counted(&self.urssaf, tenant, day, day, calls).await {
                Ok(f) => found.extend(f),
                Err(e) => {
                    tracing::warn!(tenant = %tenant.id, error = %e, %day, "events: sweep search of one day failed");
                    return Err(());
                }
            }
            let Some(next) = day.succ_opt() else { break };
            day = next;
        }
        Ok(found)
    }
}

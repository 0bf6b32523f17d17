//! The sweep: a search of the look-back period by invoice date, every
//! `events.sweep_interval_seconds`, which finds requests sent by other software and the late
//! moves of requests already final.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use chrono::{NaiveDate, Utc};

use super::{CycleStats, Poller};
use crate::domain::payment_request::PaymentRequest;
use crate::events::watch::{Kind, Seen};
use crate::service::payment_requests::lookup;
use crate::tenant::Tenant;
use crate::urssaf::CodeKind;

/// Days of invoice dates per period search of the sweep (each is split further while Urssaf
/// says it has too many results).
const SWEEP_WINDOW_DAYS: u64 = 7;

type SeenMap = HashMap<String, Seen>;

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
    /// known ones compared, final ones older than the period forgotten. A day Urssaf will not
    /// search (over its cap) does not fail the sweep: it is left to [`Uncovered`]'s retries.
    ///
    /// [`Uncovered`]: super::uncovered::Uncovered
    pub(super) async fn sweep(
        &self,
        tenant: &Arc<Tenant>,
        today: NaiveDate,
        stats: &mut CycleStats,
    ) -> Result<(), ()> {
        let store = &self.events.watch;
        let from = self.lookback_start(today);
        let known = self.known(tenant).await?;
        let mut failed = false;
        let mut start = from;
        while start <= today {
            let end = start
                .checked_add_days(chrono::Days::new(SWEEP_WINDOW_DAYS - 1))
                .unwrap_or(today)
                .min(today);
            match self
                .search_window(tenant, start, end, &mut stats.calls)
                .await
            {
                Ok(found) => {
                    stats.changes += self.observe_found(tenant, &found, &known, today).await?
                }
                Err(()) => failed = true,
            }
            let Some(next) = end.succ_opt() else { break };
            start = next;
        }
        let stale: Vec<&str> = known
            .1
            .iter()
            .filter(|(_, s)| s.invoice_date.is_some_and(|d| d < from))
            .map(|(id, _)| id.as_str())
            .collect();
        store
            .remove(&tenant.id, Kind::FinalPaymentRequest, &stale)
            .await
            .map_err(|_| ())?;
        self.report_uncovered(tenant, from);
        if failed {
            return Err(());
        }
        store
            .mark_swept(&tenant.id, Utc::now().timestamp())
            .await
            .map_err(|_| ())
    }

    fn lookback_start(&self, today: NaiveDate) -> NaiveDate {
        let lookback = chrono::Days::new(self.events.settings.lookback_days);
        today.checked_sub_days(lookback).unwrap_or(today)
    }

    /// The watched and the final payment requests, as last recorded.
    async fn known(&self, tenant: &Tenant) -> Result<(SeenMap, SeenMap), ()> {
        let store = &self.events.watch;
        let watched = store
            .all(&tenant.id, Kind::PaymentRequest)
            .await
            .map_err(|_| ())?;
        let finals = store
            .all(&tenant.id, Kind::FinalPaymentRequest)
            .await
            .map_err(|_| ())?;
        Ok((watched, finals))
    }

    /// Compares what a search found with what is known; the changes recorded.
    async fn observe_found(
        &self,
        tenant: &Arc<Tenant>,
        found: &[PaymentRequest],
        (watched, finals): &(SeenMap, SeenMap),
        today: NaiveDate,
    ) -> Result<usize, ()> {
        let mut changes = 0;
        for p in found {
            let known = (watched.get(&p.id).map(|s| (s, Kind::PaymentRequest)))
                .or_else(|| finals.get(&p.id).map(|s| (s, Kind::FinalPaymentRequest)));
            changes += self.observe(tenant, p, known, today).await? as usize;
        }
        Ok(changes)
    }

    /// Between sweeps: the days Urssaf would not search whose wait is over, searched again.
    pub(super) async fn retry_uncovered(
        &self,
        tenant: &Arc<Tenant>,
        today: NaiveDate,
        stats: &mut CycleStats,
    ) -> Result<(), ()> {
        let due = self.uncovered.due(&tenant.id, Instant::now());
        if due.is_empty() {
            return Ok(());
        }
        let known = self.known(tenant).await?;
        let mut failed = false;
        for day in due {
            match self.search_day(tenant, day, &mut stats.calls).await {
                Ok(found) => {
                    stats.changes += self.observe_found(tenant, &found, &known, today).await?
                }
                Err(()) => failed = true,
            }
        }
        self.report_uncovered(tenant, self.lookback_start(today));
        if failed {
            Err(())
        } else {
            Ok(())
        }
    }

    fn report_uncovered(&self, tenant: &Tenant, from: NaiveDate) {
        let left = self.uncovered.count(&tenant.id, from);
        self.metrics.sweep_uncovered(&tenant.id, left);
    }

    /// One window of the sweep; a window too full even when split is searched a day at a time,
    /// and so is a window holding a day still waiting after being over the cap (skipped).
    async fn search_window(
        &self,
        tenant: &Arc<Tenant>,
        from: NaiveDate,
        to: NaiveDate,
        calls: &mut usize,
    ) -> Result<Vec<PaymentRequest>, ()> {
        let waiting = self.uncovered.waiting(&tenant.id, from, to, Instant::now());
        if waiting.is_empty() {
            match lookup::by_period_counted(&self.urssaf, tenant, from, to, calls).await {
                Ok(found) => return Ok(found),
                Err(e) if e.has(CodeKind::TooManyResults) && from < to => {}
                Err(e) if e.has(CodeKind::TooManyResults) => {
                    self.over_cap(tenant, from);
                    return Ok(Vec::new());
                }
                Err(e) => {
                    tracing::warn!(tenant = %tenant.id, error = %e, "events: sweep search failed");
                    return Err(());
                }
            }
        }
        let mut found = Vec::new();
        let mut day = from;
        while day <= to {
            if !waiting.contains(&day) {
                found.extend(self.search_day(tenant, day, calls).await?);
            }
            let Some(next) = day.succ_opt() else { break };
            day = next;
        }
        Ok(found)
    }

    /// One day; a day over Urssaf's search cap is left for later (empty), not an error.
    async fn search_day(
        &self,
        tenant: &Arc<Tenant>,
        day: NaiveDate,
        calls: &mut usize,
    ) -> Result<Vec<PaymentRequest>, ()> {
        match lookup::by_period_counted(&self.urssaf, tenant, day, day, calls).await {
            Ok(found) => {
                self.uncovered.covered(&tenant.id, day);
                Ok(found)
            }
            Err(e) if e.has(CodeKind::TooManyResults) => {
                self.over_cap(tenant, day);
                Ok(Vec::new())
            }
            Err(e) => {
                tracing::warn!(tenant = %tenant.id, error = %e, %day, "events: sweep search of one day failed");
                Err(())
            }
        }
    }

    fn over_cap(&self, tenant: &Tenant, day: NaiveDate) {
        self.metrics.events_sweep_over_cap.inc();
        let wait = self.uncovered.failed(&tenant.id, day, Instant::now());
        tracing::warn!(
            tenant = %tenant.id,
            %day,
            retry_in_seconds = wait.as_secs(),
            "events: sweep cannot search this invoice date: more payment requests than Urssaf's search cap (ERR_NBRE_MAX_RESULTAT), and no narrower criterion finds unknown ones; requests of that day sent by other software are not found until a search of it succeeds (those sent through the gateway are still watched)"
        );
    }
}

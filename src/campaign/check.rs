//! Is a tenant's Urssaf access working? A token, then a harmless call through the gateway's
//! own search path: a search over one day far in the future, which Urssaf answers "nothing
//! found" (400 `ERR_RECHERCHE_VIDE`; CAERP uses the same call as its self-check).
//!
//! Used by `urssaf-gateway check`, and by the gateway itself at start and then every
//! `check.interval_seconds`, once per fleet (see [`super::fleet_check`]; the results at
//! `/checks` on the metrics port, and as metrics).

use std::sync::Arc;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use futures_util::stream::{self, StreamExt};
use parking_lot::Mutex;

use crate::api::errors::upstream_problem;
use crate::metrics::Metrics;
use crate::service::payment_requests::lookup;
pub use crate::tenant::check_board::{CheckBoard, CheckSummary, TenantCheck};
use crate::tenant::Tenant;
use crate::urssaf::error::parse_errors;
use crate::urssaf::{Exchange, ExchangeObserver, UpstreamError, UrssafClient};

/// The day searched: nothing can have been invoiced on it.
pub const PROBE_DAY: NaiveDate = match NaiveDate::from_ymd_opt(2053, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MAX,
};

/// Keeps the last answer's status and first error code.
#[derive(Default)]
struct LastAnswer(Mutex<(Option<u16>, Option<String>)>);

impl ExchangeObserver for LastAnswer {
    fn exchange(&self, e: &Exchange<'_>) {
        let code = e
            .answer
            .as_ref()
            .ok()
            .and_then(|body| parse_errors(body).into_iter().next())
            .map(|err| err.code.as_str().to_string());
        *self.0.lock() = (e.status, code);
    }
}

/// Checks one tenant through `urssaf` (a copy observing the answer is used).
pub async fn check_tenant(urssaf: &UrssafClient, tenant: &Arc<Tenant>) -> TenantCheck {
    let last = Arc::new(LastAnswer::default());
    let client = urssaf.with_observer(last.clone());
    let checked_at = Utc::now();
    let started = Instant::now();
    let outcome = lookup::by_period(&client, tenant, PROBE_DAY, PROBE_DAY).await;
    let latency = started.elapsed();
    let (urssaf_status, urssaf_code) = last.0.lock().clone();
    let mut check = TenantCheck {
        tenant: tenant.id.clone(),
        environment: tenant.environment.as_str().to_string(),
        passed: true,
        token_ok: true,
        api_reachable: true,
        latency_ms: latency.as_millis() as u64,
        urssaf_status,
        urssaf_code,
        problem: None,
        hint: None,
        checked_at,
    };
    if let Err(e) = outcome {
        let problem = upstream_problem(&e);
        check.passed = false;
        check.token_ok = !matches!(e, UpstreamError::Token(_));
        check.api_reachable = urssaf_status.is_some();
        check.problem = Some(problem.detail);
        check.hint = problem
            .hint
            .or_else(|| default_hint(&e).map(str::to_string));
    }
    check
}

fn default_hint(e: &UpstreamError) -> Option<&'static str> {
    match e {
        UpstreamError::Token(_) => Some("check the tenant's token URL (upstream.token_url) and that Urssaf's token endpoint is reachable from here"),
        UpstreamError::Unavailable { .. } | UpstreamError::Timeout { .. } | UpstreamError::Interrupted { .. } => {
            Some("check the network path to Urssaf (proxy, firewall, DNS) and upstream.base_url; Urssaf may also be in maintenance")
        }
        _ => None,
    }
}

/// Checks every tenant at once.
/// At most `concurrency` tenants at a time: with thousands of tenants, checking them all at
/// once would be a burst of token requests and searches at Urssaf (and at start, when every
/// replica does it), enough to trip timeouts and the breaker for real traffic.
pub async fn check_all(
    urssaf: &UrssafClient,
    tenants: &[Arc<Tenant>],
    concurrency: usize,
) -> Vec<TenantCheck> {
    let checks: Vec<_> = tenants.iter().map(|t| check_tenant(urssaf, t)).collect();
    stream::iter(checks)
        .buffered(concurrency.max(1))
        .collect()
        .await
}

/// Publishes results as `urssaf_gateway_tenant_check_tenants` and `urssaf_gateway_tenant_check_failing`, and
/// with per-tenant labels as `urssaf_gateway_tenant_check_ok` and
/// `urssaf_gateway_tenant_check_latency_seconds`: exactly the tenants checked (a tenant removed since
/// leaves the gauges).
pub fn record_metrics(metrics: &Metrics, checks: &[TenantCheck]) {
    let failing = checks.iter().filter(|c| !c.passed).count();
    metrics.tenant_check_checked.set(checks.len() as i64);
    metrics.tenant_check_failing.set(failing as i64);
    if !metrics.per_tenant {
        return;
    }
    metrics.tenant_check_ok.reset();
    metrics.tenant_check_latency.reset();
    for c in checks {
        metrics
            .tenant_check_ok
            .with_label_values(&[c.tenant.as_str()])
            .set(i64::from(c.passed));
        metrics
            .tenant_check_latency
            .with_label_values(&[c.tenant.as_str()])
            .set(c.latency_ms as f64 / 1000.0);
    }
}

/// Lines for people: one per tenant, then the verdict.
pub fn render_table(checks: &[TenantCheck]) -> String {
    let mut rows = vec![[
        "tenant".to_string(),
        "environment".into(),
        "token".into(),
        "api".into(),
        "latency".into(),
        "urssaf answer".into(),
        "verdict".into(),
    ]];
    let yes_no = |b: bool| if b { "ok" } else { "FAILED" }.to_string();
    for c in checks {
        let answer = match (c.urssaf_status, &c.urssaf_code) {
            (Some(s), Some(code)) => format!("{s} {code}"),
            (Some(s), None) => s.to_string(),
            (None, _) => "-".into(),
        };
        rows.push([
            c.tenant.clone(),
            c.environment.to_string(),
            yes_no(c.token_ok),
            if c.token_ok {
                yes_no(c.api_reachable)
            } else {
                "-".into()
            },
            format!("{} ms", c.latency_ms),
            answer,
            if c.passed { "pass" } else { "FAIL" }.into(),
        ]);
    }
    let widths: Vec<usize> = (0..7)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    for c in checks.iter().filter(|c| !c.passed) {
        out.push_str(&format!(
            "\ntenant {} FAILED: {}\n",
            c.tenant,
            c.problem.as_deref().unwrap_or("unknown failure")
        ));
        if let Some(h) = &c.hint {
            out.push_str(&format!("  hint: {h}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(tenant: &str, passed: bool) -> TenantCheck {
        TenantCheck::example(tenant, passed)
    }

    #[test]
    fn table_names_the_failing_tenant() {
        let text = render_table(&[result("alpha", true), result("beta", false)]);
        assert!(text.contains("400 ERR_RECHERCHE_VIDE"), "{text}");
        assert!(
            text.contains("tenant beta FAILED: the token endpoint refused"),
            "{text}"
        );
        assert!(text.contains("hint: check the secret"), "{text}");
        assert!(!text.contains("tenant alpha FAILED"), "{text}");
    }

    #[test]
    fn metrics_follow_the_results() {
        let bounded = Metrics::new();
        record_metrics(&bounded, &[result("alpha", true), result("beta", false)]);
        let text = bounded.render();
        assert!(
            text.contains("urssaf_gateway_tenant_check_failing 1"),
            "{text}"
        );
        assert!(
            text.contains("urssaf_gateway_tenant_check_tenants 2"),
            "{text}"
        );
        assert!(!text.contains("tenant=\""), "{text}");
        let m = Metrics::with_per_tenant_labels(true);
        record_metrics(&m, &[result("alpha", true), result("beta", false)]);
        let text = m.render();
        assert!(
            text.contains(r#"urssaf_gateway_tenant_check_ok{tenant="alpha"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"urssaf_gateway_tenant_check_ok{tenant="beta"} 0"#),
            "{text}"
        );
        assert!(
            text.contains(r#"urssaf_gateway_tenant_check_latency_seconds{tenant="alpha"} 0.012"#)
        );
    }
}

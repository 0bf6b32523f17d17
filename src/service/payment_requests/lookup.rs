//! Reading payment requests: by ids and invoice numbers (10 per Urssaf call), or by an
//! invoice-date period, split in halves while Urssaf says it has too many results.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::NaiveDate;
use futures_util::{stream, StreamExt, TryStreamExt};

use crate::domain::payment_request::PaymentRequest;
use crate::domain::search::split_period;
use crate::tenant::Tenant;
use crate::urssaf::{CodeKind, SearchQuery, UpstreamError, UrssafClient, MAX_PER_CALL};

/// Urssaf calls one period search may make while splitting, at most; beyond, the caller is
/// asked for a shorter period rather than the gateway hammering Urssaf.
const MAX_PERIOD_CALLS: usize = 64;
/// Urssaf calls of one request running at the same time, at most.
pub const CONCURRENT_CALLS: usize = 4;

pub async fn by_ids(
    urssaf: &UrssafClient,
    tenant: &Arc<Tenant>,
    ids: &[String],
) -> Result<Vec<PaymentRequest>, UpstreamError> {
    in_chunks(urssaf, tenant, ids, |c| SearchQuery::Ids(c)).await
}

pub async fn by_invoice_numbers(
    urssaf: &UrssafClient,
    tenant: &Arc<Tenant>,
    numbers: &[String],
) -> Result<Vec<PaymentRequest>, UpstreamError> {
    in_chunks(urssaf, tenant, numbers, |c| SearchQuery::InvoiceNumbers(c)).await
}

async fn in_chunks(
    urssaf: &UrssafClient,
    tenant: &Arc<Tenant>,
    values: &[String],
    query: impl for<'a> Fn(&'a [String]) -> SearchQuery<'a>,
) -> Result<Vec<PaymentRequest>, UpstreamError> {
    let unique: Vec<String> = {
        let mut seen = HashSet::new();
        values
            .iter()
            .filter(|v| seen.insert(v.as_str()))
            .cloned()
            .collect()
    };
    let calls = unique
        .chunks(MAX_PER_CALL)
        .map(|chunk| urssaf.search_payment_requests(tenant, query(chunk)));
    let answers: Vec<_> = stream::iter(calls)
        .buffered(CONCURRENT_CALLS)
        .try_collect()
        .await?;
    Ok(answers.into_iter().flat_map(|a| a.found).collect())
}

/// Everything invoiced in the period (by invoice date), however many there are.
pub async fn by_period(
    urssaf: &UrssafClient,
    tenant: &Arc<Tenant>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<PaymentRequest>, UpstreamError> {
    by_period_counted(urssaf, tenant, from, to, &mut 0).await
}

/// [`by_period`], adding the Urssaf calls it made to `calls` (whether it succeeds or not).
pub async fn by_period_counted(
    urssaf: &UrssafClient,
    tenant: &Arc<Tenant>,
    from: NaiveDate,
    to: NaiveDate,
    made: &mut usize,
) -> Result<Vec<PaymentRequest>, UpstreamError> {
    let mut pending = vec![(from, to)];
    let mut found = Vec::new();
    let mut calls = 0;
    while let Some((from, to)) = pending.pop() {
        calls += 1;
        *made += 1;
        match urssaf
            .search_payment_requests(tenant, SearchQuery::Period { from, to })
            .await
        {
            Ok(answer) => found.extend(answer.found),
            Err(e)
                if e.has(CodeKind::TooManyResults) && calls + pending.len() < MAX_PERIOD_CALLS =>
            {
                match split_period(from, to) {
                    Some((a1, a2, b1, b2)) => {
                        pending.push((b1, b2));
                        pending.push((a1, a2));
                    }
                    None => return Err(e),
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(found)
}

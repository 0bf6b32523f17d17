//! Reading payment requests: by ids and invoice numbers (10 per Urssaf call), or by an
//! invoice-date period, split in halves while Urssaf says it has too many results.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::NaiveDate;
use futures_util::{stream, StreamExt, TryStreamExt};

use crate::api::AppState;
use crate::domain::search::split_period;
use crate::tenant::Tenant;
use crate::urssaf::{wire, UpstreamError, MAX_PER_CALL};

/// Urssaf calls one period search may make while splitting, at most; beyond, the caller is
/// asked for a shorter period rather than the gateway hammering Urssaf.
const MAX_PERIOD_CALLS: usize = 64;
/// Urssaf calls of one request running at the same time, at most.
pub const CONCURRENT_CALLS: usize = 4;

pub async fn by_ids(
    state: &AppState,
    tenant: &Arc<Tenant>,
    ids: &[String],
) -> Result<Vec<wire::InfoDemandePaiement>, UpstreamError> {
    in_chunks(state, tenant, ids, |chunk| {
        wire::InputRechercheDemandePaiement {
            id_demande_paiements: Some(chunk.to_vec()),
            ..Default::default()
        }
    })
    .await
}

pub async fn by_invoice_numbers(
    state: &AppState,
    tenant: &Arc<Tenant>,
    numbers: &[String],
) -> Result<Vec<wire::InfoDemandePaiement>, UpstreamError> {
    in_chunks(state, tenant, numbers, |chunk| {
        wire::InputRechercheDemandePaiement {
            num_facture_tiers: Some(chunk.to_vec()),
            ..Default::default()
        }
    })
    .await
}

async fn in_chunks(
    state: &AppState,
    tenant: &Arc<Tenant>,
    values: &[String],
    criteria: impl Fn(&[String]) -> wire::InputRechercheDemandePaiement,
) -> Result<Vec<wire::InfoDemandePaiement>, UpstreamError> {
    let unique: Vec<String> = {
        let mut seen = HashSet::new();
        values
            .iter()
            .filter(|v| seen.insert(v.as_str()))
            .cloned()
            .collect()
    };
    let calls = unique.chunks(MAX_PER_CALL).map(|chunk| {
        let c = criteria(chunk);
        async move { state.urssaf.search_payment_requests(tenant, &c).await }
    });
    let answers: Vec<_> = stream::iter(calls)
        .buffered(CONCURRENT_CALLS)
        .try_collect()
        .await?;
    Ok(answers.into_iter().flat_map(|a| a.found).collect())
}

/// Everything invoiced in the period (by invoice date), however many there are.
pub async fn by_period(
    state: &AppState,
    tenant: &Arc<Tenant>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<wire::InfoDemandePaiement>, UpstreamError> {
    let mut pending = vec![(from, to)];
    let mut found = Vec::new();
    let mut calls = 0;
    while let Some((from, to)) = pending.pop() {
        calls += 1;
        let criteria = wire::InputRechercheDemandePaiement {
            date_debut: Some(crate::domain::dates::to_wire_date(from)),
            date_fin: Some(crate::domain::dates::to_wire_date(to)),
            ..Default::default()
        };
        match state
            .urssaf
            .search_payment_requests(tenant, &criteria)
            .await
        {
            Ok(answer) => found.extend(answer.found),
            Err(e)
                if e.has_code("ERR_NBRE_MAX_RESULTAT")
                    && calls + pending.len() < MAX_PERIOD_CALLS =>
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

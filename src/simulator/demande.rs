//! E3 `POST /demandePaiement`: request-level faults answer 400; business rejections are
//! reported per item inside a 200 (or as a 400 with `business_errors_as_400`).

use super::auth;
use super::demande_check::{business, format_checks, ROOT};
use super::particulier::activation_delay;
use super::reply::{self, bad_request};
use super::state::{Dp, Inner};
use crate::urssaf::wire::{Erreur, InputDemandePaiement, OutputDemandePaiement};
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::HashSet;
use std::sync::atomic::Ordering;

const MAX_DEMANDES: usize = 10;

pub(crate) async fn transmettre(
    inner: web::Data<Inner>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    inner.submissions.fetch_add(1, Ordering::Relaxed);
    let provider = match auth::api_gate(&inner, &req).await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    let demandes = match parse_request(&body) {
        Ok(d) => d,
        Err(e) => return bad_request(&inner, e),
    };
    let rules = inner.rules();
    let delay = activation_delay(&inner);
    let mut data = inner.data();
    let now = data.clock.now();

    let prov = data.provider(&provider);
    let mut seen = HashSet::new();
    let verdicts: Vec<Vec<Erreur>> = demandes
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut errs = business(&format!("[{i}]"), d, prov, now, delay, &rules);
            let duplicate = prov.dps.values().any(|x| {
                x.input.num_facture_tiers == d.num_facture_tiers
                    && !(rules.refused_frees_invoice_number && x.frees_invoice_number())
            });
            // Only an integrated demande takes the number: a rejected one leaves it free (and,
            // when the rule says so, so does one later refused or cancelled).
            if duplicate || seen.contains(&d.num_facture_tiers) {
                errs.push(reply::metier(
                    "ERR_FACTURE_DOUBLON",
                    "Le numéro de facture a déjà été transmis",
                    ROOT,
                    &format!("[{i}].numFactureTiers"),
                ));
            }
            if errs.is_empty() {
                seen.insert(d.num_facture_tiers.clone());
            }
            errs
        })
        .collect();

    if inner.settings.business_errors_as_400 && verdicts.iter().any(|e| !e.is_empty()) {
        drop(data);
        return bad_request(&inner, verdicts.into_iter().flatten().collect());
    }

    let mut out = Vec::with_capacity(demandes.len());
    for (d, errs) in demandes.into_iter().zip(verdicts) {
        let mut item = OutputDemandePaiement {
            id_client: Some(d.id_client.clone()),
            id_demande_paiement: None,
            num_facture_tiers: Some(d.num_facture_tiers.clone()),
            statut: None,
            errors: None,
        };
        if errs.is_empty() {
            let id = data.next_dp_id();
            data.provider(&provider).dps.insert(
                id,
                Dp {
                    id,
                    input: d,
                    submitted_at: now,
                    forced: None,
                },
            );
            item.id_demande_paiement = Some(id.to_string());
            item.statut = Some("10".into());
        } else {
            item.errors = Some(errs);
        }
        out.push(item);
    }
    drop(data);
    if inner.faults().drop_after_accept {
        return dropped_connection();
    }
    HttpResponse::Ok().json(out)
}

/// A streaming body that fails before its first byte: actix then closes the connection
/// without having written anything, which the client sees as a connection error.
fn dropped_connection() -> HttpResponse {
    let stream = futures_util::stream::once(async {
        Err::<web::Bytes, std::io::Error>(std::io::Error::other("drop_after_accept"))
    });
    HttpResponse::Ok()
        .content_type("application/json")
        .streaming(stream)
}

/// Schema and format checks; any failure rejects the whole request (400).
fn parse_request(body: &[u8]) -> Result<Vec<InputDemandePaiement>, Vec<Erreur>> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| vec![reply::validation(ROOT, "", &format!("JSON invalide : {e}"))])?;
    reply::check_shape(&value, ROOT, &["inputPrestations"], true).map_err(|e| vec![e])?;
    let n = value.as_array().map_or(0, Vec::len);
    if n == 0 {
        return Err(vec![reply::validation(
            ROOT,
            "",
            "au moins une demande de paiement est attendue",
        )]);
    }
    if n > MAX_DEMANDES {
        return Err(vec![reply::erreur(
            "ERR_NBRE_PREST_MAX",
            "Nombre maximum de demandes dépassé",
            "Le nombre maximum de transmission de factures a été dépassé (limite à 10)",
        )]);
    }
    let demandes: Vec<InputDemandePaiement> = reply::parse(body, ROOT).map_err(|e| vec![e])?;
    let mut errs = Vec::new();
    for (i, d) in demandes.iter().enumerate() {
        format_checks(&format!("[{i}]"), d, &mut errs);
    }
    if errs.is_empty() {
        Ok(demandes)
    } else {
        Err(errs)
    }
}

//! Admin API under `/__admin/` (no OAuth): clock, client and payment-request statuses,
//! faults, rules, counters, reset. Only mounted when `admin_enabled`.

use super::referentials::libelle_statut;
use super::state::{ClientCode, Forced, Inner};
use super::{Faults, Rules};
use crate::urssaf::wire::{amount_opt, InfoRejet, InfoVirement};
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::sync::atomic::Ordering;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/__admin")
            .route("/clock", web::get().to(get_clock))
            .route("/clock", web::put().to(set_clock))
            .route("/clock/advance", web::post().to(advance_clock))
            .route("/faults", web::get().to(get_faults))
            .route("/faults", web::put().to(set_faults))
            .route("/rules", web::get().to(get_rules))
            .route("/rules", web::put().to(set_rules))
            .route("/stats", web::get().to(stats))
            .route("/reset", web::post().to(reset))
            .route("/tokens/revoke", web::post().to(revoke_tokens))
            .route("/clients/{id}", web::get().to(get_client))
            .route("/clients/{id}/status", web::put().to(client_status))
            .route(
                "/payment-requests/{id}/status",
                web::put().to(payment_status),
            ),
    );
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Box<HttpResponse>> {
    serde_json::from_slice(body).map_err(|e| Box::new(bad(&e.to_string())))
}

fn bad(message: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(serde_json::json!({ "error": message }))
}

fn clock_body(inner: &Inner) -> HttpResponse {
    let data = inner.data();
    HttpResponse::Ok().json(serde_json::json!({
        "now": data.clock.now().to_rfc3339(),
        "offset_seconds": data.clock.offset_seconds(),
    }))
}

async fn get_clock(inner: web::Data<Inner>) -> HttpResponse {
    clock_body(&inner)
}

#[derive(Deserialize)]
struct SetClock {
    now: DateTime<Utc>,
}

async fn set_clock(inner: web::Data<Inner>, body: web::Bytes) -> HttpResponse {
    match parse::<SetClock>(&body) {
        Ok(b) if inner.data().clock.set(b.now) => clock_body(&inner),
        Ok(_) => bad("now out of range (years 1970-9999)"),
        Err(resp) => *resp,
    }
}

#[derive(Deserialize)]
struct Advance {
    seconds: i64,
}

async fn advance_clock(inner: web::Data<Inner>, body: web::Bytes) -> HttpResponse {
    match parse::<Advance>(&body) {
        Ok(b) => match Duration::try_seconds(b.seconds) {
            Some(by) if inner.data().clock.advance(by) => clock_body(&inner),
            _ => bad("seconds out of range"),
        },
        Err(resp) => *resp,
    }
}

async fn get_faults(inner: web::Data<Inner>) -> HttpResponse {
    HttpResponse::Ok().json(inner.faults())
}

async fn set_faults(inner: web::Data<Inner>, body: web::Bytes) -> HttpResponse {
    match parse::<Faults>(&body) {
        Ok(f) => {
            if let Err(e) = f.check() {
                return bad(&e);
            }
            inner.set_faults(f.clone());
            HttpResponse::Ok().json(f)
        }
        Err(resp) => *resp,
    }
}

async fn get_rules(inner: web::Data<Inner>) -> HttpResponse {
    HttpResponse::Ok().json(inner.rules())
}

async fn set_rules(inner: web::Data<Inner>, body: web::Bytes) -> HttpResponse {
    match parse::<Rules>(&body) {
        Ok(r) => {
            inner.set_rules(r.clone());
            HttpResponse::Ok().json(r)
        }
        Err(resp) => *resp,
    }
}

async fn stats(inner: web::Data<Inner>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "token_requests": inner.token_requests.load(Ordering::Relaxed),
        "submissions": inner.submissions.load(Ordering::Relaxed),
        "searches": inner.searches.load(Ordering::Relaxed),
        "client_reads": inner.client_reads.load(Ordering::Relaxed),
    }))
}

/// Every token issued so far becomes unknown: the next API call with one answers 401.
async fn revoke_tokens(inner: web::Data<Inner>) -> HttpResponse {
    inner.tokens.lock().clear();
    HttpResponse::NoContent().finish()
}

async fn reset(inner: web::Data<Inner>) -> HttpResponse {
    inner.reset();
    HttpResponse::NoContent().finish()
}

/// The registration exactly as received (Urssaf's `InputParticulier`), with its provider and
/// current status: lets tests check what the gateway put on the wire. Read-only.
async fn get_client(inner: web::Data<Inner>, id: web::Path<String>) -> HttpResponse {
    let data = inner.data();
    let now = data.clock.now();
    let delay = super::particulier::activation_delay(&inner);
    let found = data.providers.iter().find_map(|(provider, p)| {
        p.clients
            .iter()
            .find(|c| c.id == *id)
            .map(|c| (provider, c))
    });
    match found {
        Some((provider, c)) => HttpResponse::Ok().json(serde_json::json!({
            "provider": provider,
            "registered_at": c.registered_at.to_rfc3339(),
            "status": c.wire_status(now, delay),
            "input": c.input,
        })),
        None => HttpResponse::NotFound().json(serde_json::json!({ "error": "unknown idClient" })),
    }
}

#[derive(Deserialize)]
struct ClientStatus {
    code: ClientCode,
    activated_at: Option<DateTime<Utc>>,
}

async fn client_status(
    inner: web::Data<Inner>,
    id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let b = match parse::<ClientStatus>(&body) {
        Ok(b) => b,
        Err(resp) => return *resp,
    };
    let mut data = inner.data();
    let now = data.clock.now();
    let client = data
        .providers
        .values_mut()
        .flat_map(|p| p.clients.iter_mut())
        .find(|c| c.id == *id);
    let Some(client) = client else {
        return HttpResponse::NotFound().json(serde_json::json!({ "error": "unknown idClient" }));
    };
    // A validated link needs a start date: default to "now" on the simulated clock.
    let at = match b.code {
        ClientCode::Valide => Some(b.activated_at.unwrap_or(now.trunc_subsecs(0))),
        _ => b.activated_at,
    };
    client.forced = Some((b.code, at));
    let delay = super::particulier::activation_delay(&inner);
    HttpResponse::Ok().json(client.wire_status(now, delay))
}

#[derive(Deserialize)]
struct VirementBody {
    #[serde(default, with = "amount_opt")]
    amount: Option<Decimal>,
    date: Option<String>,
}

#[derive(Deserialize)]
struct PaymentStatus {
    code: String,
    info_rejet: Option<InfoRejet>,
    info_virement: Option<VirementBody>,
}

async fn payment_status(
    inner: web::Data<Inner>,
    id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let b = match parse::<PaymentStatus>(&body) {
        Ok(b) => b,
        Err(resp) => return *resp,
    };
    if libelle_statut(&b.code).is_none() {
        return bad("unknown status code (see §4.1)");
    }
    let rules = inner.rules();
    let mut data = inner.data();
    let now = data.clock.now();
    let dp = id
        .parse::<u64>()
        .ok()
        .and_then(|n| data.providers.values_mut().find_map(|p| p.dps.get_mut(&n)));
    let Some(dp) = dp else {
        return HttpResponse::NotFound()
            .json(serde_json::json!({ "error": "unknown idDemandePaiement" }));
    };
    dp.forced = Some(Forced {
        code: b.code,
        at: now,
        info_rejet: b.info_rejet,
        info_virement: b.info_virement.map(|v| InfoVirement {
            mnt_virement: v.amount,
            date_virement: v.date,
        }),
    });
    HttpResponse::Ok().json(dp.info(now, &rules))
}

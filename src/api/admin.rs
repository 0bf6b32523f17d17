//! The admin view: served on the metrics/admin port only (never the public port), behind its
//! own token (`admin.token_hashes`). Lists tenants without secrets, reloads the tenants
//! directory, and tells how each tenant fares with Urssaf (its last check, its pending webhook
//! deliveries: the per-tenant detail that metrics leave out by default).

use std::collections::HashMap;
use std::future::{ready, Ready};

use actix_web::{dev::Payload, get, post, web, FromRequest, HttpRequest, HttpResponse};
use serde::Serialize;

use super::problem::{Problem, ProblemCode};
use super::AppState;
use crate::config::KeyHash;
use crate::tenant::check_board::{CheckBoard, TenantCheck};
use crate::tenant::{health, Source, Tenant};

/// The admin tokens' hashes.
#[derive(Clone)]
pub struct AdminTokens(pub Vec<KeyHash>);

/// A caller holding an admin token.
pub struct Admin;

impl FromRequest for Admin {
    type Error = Problem;
    type Future = Ready<Result<Admin, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let known = req.app_data::<AdminTokens>();
        let presented = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(super::auth::bearer)
            .map(KeyHash::of);
        ready(match (known, presented) {
            (Some(known), Some(p)) if known.0.contains(&p) => Ok(Admin),
            _ => Err(Problem::new(
                ProblemCode::Unauthorized,
                "send an admin token as `Authorization: Bearer <token>` (see admin.token_hashes)",
            )),
        })
    }
}

#[derive(Serialize)]
struct TenantView {
    id: String,
    source: Source,
    environment: &'static str,
    api_keys: usize,
    billing_id: String,
    worker_id: Option<String>,
    health: health::State,
    /// The tenant's result in the fleet's last access check (as at `/checks`).
    last_check: Option<TenantCheck>,
    /// Webhook deliveries waiting for an attempt or a retry, as this replica last saw them.
    webhook_pending: Option<i64>,
}

impl TenantView {
    fn of(t: &Tenant, state: &AppState, checks: &HashMap<String, TenantCheck>) -> Self {
        TenantView {
            last_check: checks.get(&t.id).cloned(),
            webhook_pending: state.metrics.webhook_pending_of(&t.id),
            id: t.id.clone(),
            source: t.source,
            environment: t.environment.as_str(),
            api_keys: t.key_count(),
            billing_id: t.billing_id.clone(),
            worker_id: t.worker_id.clone(),
            health: t.health.snapshot(),
        }
    }
}

#[get("/admin/tenants")]
async fn list(_: Admin, state: web::Data<AppState>, board: web::Data<CheckBoard>) -> HttpResponse {
    let tenants = state.tenants.current();
    let checks = by_tenant(&board);
    let views: Vec<TenantView> = tenants
        .iter()
        .map(|t| TenantView::of(t, &state, &checks))
        .collect();
    HttpResponse::Ok().json(serde_json::json!({ "tenants": views }))
}

#[get("/admin/tenants/{id}")]
async fn one(
    _: Admin,
    state: web::Data<AppState>,
    board: web::Data<CheckBoard>,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let tenants = state.tenants.current();
    let t = tenants
        .get(&id)
        .ok_or_else(|| Problem::not_found(format!("no tenant {id}")))?;
    Ok(HttpResponse::Ok().json(TenantView::of(t, &state, &by_tenant(&board))))
}

fn by_tenant(board: &CheckBoard) -> HashMap<String, TenantCheck> {
    board
        .summary()
        .tenants
        .into_iter()
        .map(|c| (c.tenant.clone(), c))
        .collect()
}

#[post("/admin/tenants/reload")]
async fn reload(_: Admin, state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.tenants.reload().await)
}

/// The admin routes (on the metrics/admin port).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list).service(one).service(reload);
}

/// Anything else on the metrics/admin port.
pub async fn not_found() -> HttpResponse {
    use actix_web::ResponseError;
    Problem::not_found("no such route on the metrics/admin port (/metrics, /admin/tenants…)")
        .error_response()
}

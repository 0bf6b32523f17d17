//! Callers authenticate with a tenant's API key: `Authorization: Bearer <key>`.

use std::future::{ready, Ready};
use std::sync::Arc;

use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest};

use super::problem::Problem;
use super::AppState;
use crate::tenant::Tenant;

/// The tenant the caller acts for.
pub struct Caller(pub Arc<Tenant>);

/// Put in the request's extensions so the access log can name the tenant.
#[derive(Clone)]
pub struct TenantId(pub String);

impl FromRequest for Caller {
    type Error = Problem;
    type Future = Ready<Result<Caller, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<Caller, Problem> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(Problem::unauthorized)?;
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(Problem::unauthorized)?;
    let (scheme, key) = header
        .trim()
        .split_once(' ')
        .ok_or_else(Problem::unauthorized)?;
    if !scheme.eq_ignore_ascii_case("bearer") || key.trim().is_empty() {
        return Err(Problem::unauthorized());
    }
    let tenant = state
        .tenants
        .authenticate(key.trim())
        .ok_or_else(Problem::unauthorized)?;
    req.extensions_mut().insert(TenantId(tenant.id.clone()));
    Ok(Caller(tenant))
}

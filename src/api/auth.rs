//! Callers authenticate with a tenant's API key: `Authorization: Bearer <key>`.

use std::future::{ready, Ready};
use std::sync::Arc;

use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest};

use super::problem::{Problem, ProblemCode};
use super::AppState;
use crate::tenant::limits::{Admission, Refusal};
use crate::tenant::Tenant;

/// The tenant the caller acts for, and its admission: one of the tenant's allowed
/// concurrent requests, held until the handler is done.
pub struct Caller(pub Arc<Tenant>, #[allow(dead_code)] Admission);

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
    let admission = tenant.limiter.admit().map_err(|refusal| {
        let (detail, wait) = match refusal {
            Refusal::Busy => (
                "this provider already has as many requests in progress as it may (limits.tenant_concurrency); retry when one ends".to_string(),
                1,
            ),
            Refusal::TooFast(wait) => (
                "this provider sends requests faster than it may (limits.tenant_rate_per_second)".to_string(),
                wait.as_secs().max(1),
            ),
        };
        Problem::new(ProblemCode::RateLimited, detail).with_retry_after(Some(wait))
    })?;
    Ok(Caller(tenant, admission))
}

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

impl Caller {
    /// Gives the tenant's concurrency slot back before the handler ends: a long poll waiting
    /// for events must not hold one of the slots the tenant's other calls need.
    pub fn release_slot(self) -> Arc<Tenant> {
        self.0
    }
}

/// Put in the request's extensions so the access log can name the tenant (the tenant itself:
/// no copy of its id per request).
#[derive(Clone)]
pub struct TenantId(pub Arc<Tenant>);

impl FromRequest for Caller {
    type Error = Problem;
    type Future = Ready<Result<Caller, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

/// The credentials of a `Bearer` authorization header; the scheme is matched whatever its case
/// (RFC 9110: auth schemes are case-insensitive), so `bearer <key>` is accepted too.
pub(crate) fn bearer(header: &str) -> Option<&str> {
    let (scheme, key) = header.trim().split_once([' ', '\t'])?;
    let key = key.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !key.is_empty()).then_some(key)
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
    let key = bearer(header).ok_or_else(Problem::unauthorized)?;
    let tenant = state
        .tenants
        .authenticate(key)
        .ok_or_else(Problem::unauthorized)?;
    req.extensions_mut().insert(TenantId(tenant.clone()));
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

#[cfg(test)]
mod tests {
    use super::bearer;

    #[test]
    fn the_scheme_is_matched_whatever_its_case() {
        for h in [
            "Bearer k1",
            "bearer k1",
            "BEARER k1",
            "  bEaReR   k1  ",
            "bearer\tk1",
        ] {
            assert_eq!(bearer(h), Some("k1"), "{h:?}");
        }
        for h in ["Basic k1", "Bearer", "Bearer   ", "Bearerk1", "k1"] {
            assert_eq!(bearer(h), None, "{h:?}");
        }
    }
}

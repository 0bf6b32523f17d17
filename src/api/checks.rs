//! `GET /checks` on the metrics port: each tenant's last Urssaf access check (token, then a
//! harmless search), so a deploy can gate on it. 200 with the results when every tenant
//! passed; otherwise a 503 problem (`tenant_check_not_passed`) naming what did not pass, the
//! results in its `checks` member.

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};

use super::problem::{Problem, ProblemCode};
use crate::tenant::check_board::CheckBoard;

#[get("/checks")]
pub async fn checks(board: web::Data<CheckBoard>) -> HttpResponse {
    let summary = board.summary();
    let detail = match summary.status {
        "pass" => return HttpResponse::Ok().json(summary),
        "off" => "tenant checks are off (check.interval_seconds = 0)".to_string(),
        "pending" => "the first tenant check is still running".to_string(),
        _ => {
            let failed: Vec<String> = summary
                .tenants
                .iter()
                .filter(|c| !c.passed)
                .map(|c| {
                    format!(
                        "tenant {}: {}",
                        c.tenant,
                        c.problem.as_deref().unwrap_or("failed")
                    )
                })
                .collect();
            failed.join("; ")
        }
    };
    let problem = Problem::new(ProblemCode::TenantCheckNotPassed, detail);
    let mut body = serde_json::to_value(&problem).unwrap_or_default();
    body["checks"] = serde_json::to_value(&summary).unwrap_or_default();
    let mut answer = HttpResponse::build(problem.status_code());
    if let Some(seconds) = problem.retry_after_secs {
        answer.insert_header((header::RETRY_AFTER, seconds.to_string()));
    }
    answer
        .content_type("application/problem+json")
        .body(body.to_string())
}

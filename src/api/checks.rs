//! `GET /checks` on the metrics port: each tenant's last access check (token, then a harmless
//! search), so a deploy can gate on it. 200 only when every tenant passed; 503 otherwise
//! (a tenant failed, the first check is still running, or checks are off).

use actix_web::{get, web, HttpResponse};

use crate::campaign::check::CheckBoard;

#[get("/checks")]
pub async fn checks(board: web::Data<CheckBoard>) -> HttpResponse {
    let summary = board.summary();
    let mut answer = if summary.status == "pass" {
        HttpResponse::Ok()
    } else {
        HttpResponse::ServiceUnavailable()
    };
    answer.json(summary)
}

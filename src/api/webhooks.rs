//! `/v1/webhook-deliveries`: what the gateway pushed to the caller's webhook, each attempt,
//! and a way to send one again.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::dto::events::Event;
use super::problem::{Problem, ProblemCode};
use super::query;
use crate::events::webhook::{
    self as webhook, Deliveries, DeliveryError, ListCursor, Redelivery, Status,
};

const MAX_LIMIT: usize = 100;

/// Query parameters of `GET /v1/webhook-deliveries` (documentation; read by [`Listing::parse`]).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct DeliveryListing {
    /// Which deliveries: `failed` (every attempt failed; redeliver them), `pending` (waiting
    /// for an attempt or a retry) or `delivered`. Default `failed`.
    #[param(value_type = Option<DeliveryStatus>)]
    status: Option<String>,
    /// At most this many, most recently changed first (1 to 100, default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    limit: Option<u32>,
    /// A `next_cursor` from an earlier answer: the deliveries after it. Omitted: from the most
    /// recently changed.
    #[param(
        pattern = "^[0-9]{1,15}-[A-Za-z0-9_.:-]{1,200}$",
        example = "1794297600000-evt_5f1c0e7a9b2d4c6e8f0a1b2c3d4e5f60"
    )]
    after: Option<String>,
}

/// Where a delivery stands.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

impl From<Status> for DeliveryStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Pending => DeliveryStatus::Pending,
            Status::Delivered => DeliveryStatus::Delivered,
            Status::Failed => DeliveryStatus::Failed,
        }
    }
}

/// One HTTP attempt at the webhook.
#[derive(Serialize, ToSchema)]
pub struct DeliveryAttempt {
    pub attempted_at: DateTime<Utc>,
    /// The receiver's HTTP status; `null` when it did not answer.
    #[schema(required = true)]
    pub status_code: Option<u16>,
    /// Why the attempt failed without an answer (timeout, refused connection, refused target).
    #[schema(required = true)]
    pub error: Option<String>,
    pub duration_ms: u64,
}

/// One message pushed (or to be pushed) to the webhook.
#[derive(Serialize, ToSchema)]
pub struct WebhookDelivery {
    /// The message id, sent as `webhook-id`: the same at every attempt.
    pub id: String,
    pub status: DeliveryStatus,
    /// The event's time.
    pub event_timestamp: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the next attempt is due, while waiting for a retry.
    #[schema(required = true)]
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Every attempt, oldest first.
    pub attempts: Vec<DeliveryAttempt>,
    /// The message sent as the request body, as sent: the event, `{"id", "type",
    /// "timestamp", "data"}` (see `webhooks` in this document).
    #[schema(value_type = Event)]
    pub payload: serde_json::Value,
}

/// A page of deliveries, most recently changed first.
#[derive(Serialize, ToSchema)]
pub struct WebhookDeliveries {
    pub deliveries: Vec<WebhookDelivery>,
    /// Pass as `after` for the next page; `null` when this page is the last.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

fn ms(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t).unwrap_or_default()
}

impl From<&webhook::Delivery> for WebhookDelivery {
    fn from(d: &webhook::Delivery) -> Self {
        WebhookDelivery {
            id: d.id.clone(),
            status: d.status.into(),
            event_timestamp: DateTime::from_timestamp(d.event_timestamp, 0).unwrap_or_default(),
            created_at: ms(d.created_ms),
            updated_at: ms(d.updated_ms),
            next_attempt_at: d.next_attempt_ms.map(ms),
            attempts: d
                .attempts
                .iter()
                .map(|a| DeliveryAttempt {
                    attempted_at: ms(a.at_ms),
                    status_code: a.status_code,
                    error: a.error.clone(),
                    duration_ms: a.duration_ms,
                })
                .collect(),
            payload: serde_json::from_slice(&d.body).unwrap_or(serde_json::Value::Null),
        }
    }
}

fn problem(e: DeliveryError) -> Problem {
    match e {
        DeliveryError::NotConfigured => Problem::new(
            ProblemCode::WebhookNotConfigured,
            "this provider has no webhook: set tenants.<id>.webhook_url and webhook_secret",
        ),
        DeliveryError::Unavailable => Problem::new(
            ProblemCode::DeliveriesUnavailable,
            "the delivery queue (Redis) does not answer; deliveries resume when it does",
        ),
    }
}

fn check_id(id: &str) -> Result<(), Problem> {
    let ok = (1..=200).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'));
    ok.then_some(()).ok_or_else(|| {
        query::bad(
            "delivery_id",
            "delivery_id",
            "1 to 200 letters, digits, '_', '-', '.' or ':'",
        )
    })
}

/// List the webhook deliveries of the caller, by status.
///
/// `failed` deliveries (every attempt of the retry schedule failed) stay listed for
/// `events.webhook_retention_hours`; send one again with
/// `POST /v1/webhook-deliveries/{delivery_id}/redeliver`.
#[utoipa::path(get, path = "/v1/webhook-deliveries", tag = "webhooks", operation_id = "listWebhookDeliveries", params(DeliveryListing),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The deliveries, most recently changed first", body = WebhookDeliveries),
        (status = 401, description = "Missing or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "This provider has no webhook", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown status, or limit out of range", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The delivery queue is unavailable", body = Problem, content_type = "application/problem+json"),
    ))]
#[get("/v1/webhook-deliveries")]
pub async fn list(
    deliveries: web::Data<Deliveries>,
    caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, Problem> {
    let q = Listing::parse(req.query_string())?;
    let page = deliveries
        .list(&caller.0.id, q.status, q.limit, q.after.as_ref())
        .await
        .map_err(problem)?;
    Ok(HttpResponse::Ok().json(WebhookDeliveries {
        deliveries: page.deliveries.iter().map(WebhookDelivery::from).collect(),
        next_cursor: page.next.map(|c| c.to_string()),
    }))
}

/// The query of `GET /v1/webhook-deliveries`, read.
struct Listing {
    status: Status,
    limit: usize,
    after: Option<ListCursor>,
}

impl Listing {
    fn parse(raw: &str) -> Result<Listing, Problem> {
        let mut q = Listing {
            status: Status::Failed,
            limit: 20,
            after: None,
        };
        for (name, value) in query::params(raw, &["status", "limit", "after"])? {
            match name.as_str() {
                "status" => {
                    q.status = Status::parse(&value).ok_or_else(|| {
                        query::bad(
                            &name,
                            "delivery_status",
                            "one of failed, pending, delivered",
                        )
                    })?
                }
                "limit" => q.limit = query::limit(&name, &value, MAX_LIMIT)?,
                _ => {
                    q.after = Some(ListCursor::parse(&value).ok_or_else(|| {
                        query::bad(&name, "cursor", "a next_cursor from an earlier answer")
                    })?)
                }
            }
        }
        Ok(q)
    }
}

/// Read one webhook delivery and its attempts.
#[utoipa::path(get, path = "/v1/webhook-deliveries/{delivery_id}", tag = "webhooks", operation_id = "getWebhookDelivery",
    params(("delivery_id" = String, Path, description = "The message id (`webhook-id`)", pattern = "^[A-Za-z0-9_.:-]{1,200}$")),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The delivery", body = WebhookDelivery),
        (status = 401, description = "Missing or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such delivery (or it has expired)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "This provider has no webhook", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The delivery queue is unavailable", body = Problem, content_type = "application/problem+json"),
    ))]
#[get("/v1/webhook-deliveries/{delivery_id}")]
pub async fn get_one(
    deliveries: web::Data<Deliveries>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    check_id(&id)?;
    match deliveries.get(&caller.0.id, &id).await.map_err(problem)? {
        Some(d) => Ok(HttpResponse::Ok().json(WebhookDelivery::from(&d))),
        None => Err(Problem::not_found(format!("no webhook delivery {id}"))),
    }
}

/// Send a delivered or failed webhook delivery again.
///
/// The message goes out again with the same `webhook-id` (receivers that deduplicate by id
/// will see it as a repeat) and a fresh retry schedule.
#[utoipa::path(post, path = "/v1/webhook-deliveries/{delivery_id}/redeliver", tag = "webhooks", operation_id = "redeliverWebhookDelivery",
    params(("delivery_id" = String, Path, description = "The message id (`webhook-id`)", pattern = "^[A-Za-z0-9_.:-]{1,200}$")),
    security(("api_key" = [])),
    responses(
        (status = 202, description = "Queued; its attempts appear on the delivery", body = WebhookDelivery),
        (status = 401, description = "Missing or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such delivery (or it has expired)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "This provider has no webhook, or the delivery is still pending", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The delivery queue is unavailable", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/v1/webhook-deliveries/{delivery_id}/redeliver")]
pub async fn redeliver(
    deliveries: web::Data<Deliveries>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    check_id(&id)?;
    let tenant = &caller.0.id;
    match deliveries.redeliver(tenant, &id).await.map_err(problem)? {
        Redelivery::NotFound => Err(Problem::not_found(format!("no webhook delivery {id}"))),
        Redelivery::StillPending => Err(Problem::new(
            ProblemCode::DeliveryPending,
            format!("webhook delivery {id} is still pending; it will be attempted on schedule"),
        )),
        Redelivery::Queued => match deliveries.get(tenant, &id).await.map_err(problem)? {
            Some(d) => Ok(HttpResponse::Accepted().json(WebhookDelivery::from(&d))),
            None => Err(Problem::not_found(format!("no webhook delivery {id}"))),
        },
    }
}

//! `/v1/clients`: register a household with Urssaf and read its online-account status.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse, ResponseError};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::body::{parse_json, require_json};
use super::errors::upstream_problem;
use super::idempotent::{self, IdempotencyKeyHeader, Reply};
use super::problem::Problem;
use super::responses::CommonProblems;
use super::AppState;
use crate::api::dto::clients::{Client, ClientAccount, RegisterClientRequest, RegisteredClient};
use crate::domain::FieldError;
use crate::service::{clients, ServiceError};
use crate::tenant::Tenant;
use crate::urssaf::UpstreamError;

/// Register a household (Urssaf E1 `POST /particulier`).
///
/// Every field is checked before Urssaf is called; all failing fields come back at once.
/// The answer carries the account status read right after registration: a new client is
/// usually `pending_activation` until they activate their Urssaf account.
#[utoipa::path(post, path = "/v1/clients", tag = "clients", operation_id = "registerClient", request_body = RegisterClientRequest,
    params(IdempotencyKeyHeader),
    security(("api_key" = [])),
    responses(
        CommonProblems,
        (status = 201, description = "Registered with Urssaf", body = RegisteredClient),
        (status = 400, description = "Malformed Idempotency-Key header", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Urssaf already links this client to the provider", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or Urssaf rejected the client (its code kept in `urssaf`)", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/v1/clients")]
pub async fn register(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    if let Err(p) = require_json(&req) {
        return p.error_response();
    }
    idempotent::run(
        state,
        caller.0,
        &req,
        body,
        |state, tenant, body| async move {
            match register_client(&state, &tenant, &body).await {
                Ok(created) => {
                    let location = format!("/v1/clients/{}", created.client_id);
                    Reply::json(StatusCode::CREATED, &created).with_location(location)
                }
                Err(p) => Reply::problem(&p),
            }
        },
    )
    .await
}

async fn register_client(
    state: &AppState,
    tenant: &Arc<Tenant>,
    body: &[u8],
) -> Result<RegisteredClient, Problem> {
    let request: RegisterClientRequest = parse_json(body)?;
    let registered = clients::register(&state.urssaf, tenant, &request.input(), today())
        .await
        .map_err(client_problem)?;
    state
        .events
        .watch_client(&tenant.id, &registered.client_id, &registered.account)
        .await;
    Ok(RegisteredClient {
        client_id: registered.client_id,
        account: ClientAccount::from(registered.account),
    })
}

/// Read a client's account status (Urssaf E2 `GET /particulier?idClient=`).
#[utoipa::path(get, path = "/v1/clients/{client_id}", tag = "clients", operation_id = "getClient",
    params(("client_id" = String, Path, description = "Urssaf `idClient`, as answered at registration", pattern = "^[A-Za-z0-9-]{1,50}$")),
    security(("api_key" = [])),
    responses(
        CommonProblems,
        (status = 200, description = "The client and its account status", body = Client),
        (status = 404, description = "Urssaf knows no such client for this provider", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed client id", body = Problem, content_type = "application/problem+json"),
    ))]
#[get("/v1/clients/{client_id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let record = clients::get(&state.urssaf, &caller.0, &path.into_inner())
        .await
        .map_err(client_problem)?;
    Ok(HttpResponse::Ok().json(Client::from(record)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ClientLookup {
    /// The client's e-mail as registered (Urssaf `adresseMail`).
    #[param(max_length = 254, example = "jeanne.durand@example.org")]
    email: String,
}

/// Look a client up by e-mail (Urssaf E2 `GET /particulier?adresseMail=`).
#[utoipa::path(get, path = "/v1/clients", tag = "clients", operation_id = "findClientByEmail", params(ClientLookup),
    security(("api_key" = [])),
    responses(
        CommonProblems,
        (status = 200, description = "The client and its account status", body = Client),
        (status = 404, description = "Urssaf knows no client with this e-mail for this provider", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing or malformed e-mail", body = Problem, content_type = "application/problem+json"),
    ))]
#[get("/v1/clients")]
pub async fn find_by_email(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, Problem> {
    let lookup = web::Query::<ClientLookup>::from_query(req.query_string()).map_err(|e| {
        Problem::validation(vec![FieldError::new(
            "/email",
            "required",
            format!("query parameter `email` is required ({e})"),
        )])
    })?;
    let record = clients::find_by_email(&state.urssaf, &caller.0, &lookup.email)
        .await
        .map_err(client_problem)?;
    Ok(HttpResponse::Ok().json(Client::from(record)))
}

/// Adds the field Urssaf named (its `ERREUR_VALIDATION` messages carry a path) to the problem.
fn client_problem(e: ServiceError) -> Problem {
    let ServiceError::Upstream(e) = e else {
        return e.into();
    };
    let mut p = upstream_problem(&e);
    let rejected = matches!(e, UpstreamError::Rejected { .. });
    for err in e.errors().iter().filter(|_| rejected) {
        if let Some(pointer) = err.client_pointer() {
            p.errors.push(FieldError::new(
                pointer,
                err.code.as_str(),
                err.message.clone(),
            ));
        }
    }
    p
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

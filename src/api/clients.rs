//! `/v1/clients`: register a household with Urssaf and read its online-account status.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::body::parse_json;
use super::idempotent::{self, IdempotencyKeyHeader, Reply};
use super::problem::Problem;
use super::responses::CommonProblems;
use super::upstream::upstream_problem;
use super::AppState;
use crate::api::dto::clients::{Client, RegisterClientRequest, RegisteredClient};
use crate::api::dto::clients::{ClientAccount, UrssafClientStatus};
use crate::domain::client::account::AccountState;
use crate::domain::client::contact::check_email;
use crate::domain::FieldError;
use crate::tenant::Tenant;
use crate::urssaf::{codes, mapping, UpstreamError};

/// Register a household (Urssaf E1 `POST /particulier`).
///
/// Every field is checked before Urssaf is called; all failing fields come back at once.
/// The answer carries the account status read right after registration: a new client is
/// usually `pending_activation` until they activate their Urssaf account.
#[utoipa::path(post, path = "/v1/clients", tag = "clients", request_body = RegisterClientRequest,
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
    let input = mapping::registration_to_wire(&request, today()).map_err(Problem::validation)?;
    let out = state
        .urssaf
        .register_client(tenant, &input)
        .await
        .map_err(|e| client_problem(&e))?;
    // Registration is done; a failed status read must not turn it into an error.
    let account = match state
        .urssaf
        .client_status(tenant, Some(&out.id_client), None)
        .await
    {
        Ok(status) => mapping::client_account(&status.statut),
        Err(e) => {
            tracing::warn!(error = %e, "status read after registration failed");
            unknown_account()
        }
    };
    Ok(RegisteredClient {
        client_id: out.id_client,
        account,
    })
}

/// Read a client's account status (Urssaf E2 `GET /particulier?idClient=`).
#[utoipa::path(get, path = "/v1/clients/{client_id}", tag = "clients",
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
    let id = path.into_inner();
    if !id_is_valid(&id) {
        return Err(Problem::validation(vec![FieldError::new(
            "/client_id",
            "client_id",
            "must be Urssaf's idClient: 1 to 50 letters, digits or '-'",
        )]));
    }
    let status = state
        .urssaf
        .client_status(&caller.0, Some(&id), None)
        .await
        .map_err(|e| client_problem(&e))?;
    Ok(HttpResponse::Ok().json(mapping::client_from_wire(&status)))
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
#[utoipa::path(get, path = "/v1/clients", tag = "clients", params(ClientLookup),
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
    let email =
        check_email(lookup.email.trim(), "/email").map_err(|e| Problem::validation(vec![e]))?;
    let status = state
        .urssaf
        .client_status(&caller.0, None, Some(&email))
        .await
        .map_err(|e| client_problem(&e))?;
    Ok(HttpResponse::Ok().json(mapping::client_from_wire(&status)))
}

fn id_is_valid(id: &str) -> bool {
    !id.is_empty() && id.len() <= 50 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Adds the field Urssaf named (its `ERREUR_VALIDATION` messages carry a path) to the problem.
fn client_problem(e: &UpstreamError) -> Problem {
    let mut p = upstream_problem(e);
    if let UpstreamError::Rejected { errors, .. } = e {
        for err in errors {
            if let Some(pointer) =
                codes::field_for_client(&err.message).or_else(|| codes::field_for_client(&err.code))
            {
                p.errors.push(FieldError::new(
                    pointer,
                    err.code.clone(),
                    err.message.clone(),
                ));
            }
        }
    }
    p
}

/// Registered, but the status could not be read just now.
fn unknown_account() -> ClientAccount {
    ClientAccount {
        state: AccountState::Unknown,
        can_receive_payment_requests: false,
        active_since: None,
        urssaf: UrssafClientStatus {
            code: String::new(),
            description: String::new(),
            etat: String::new(),
        },
    }
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

//! The OpenAPI document (generated from the code) and the offline docs page.

use actix_web::App;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

mod contract;
mod webhooks;

use super::dto::events::Event;
use super::problem::{Problem, ProblemCode, UrssafErrorDetail};
use crate::domain::FieldError;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Urssaf gateway",
        description = "A simple REST API in front of Urssaf's API Tiers de Prestation (avance immédiate de crédit d'impôt): register households, send invoices as payment requests, and follow them to payment. Every field's description names the Urssaf field it maps to. Errors are RFC 9457 problems (`application/problem+json`).",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    servers((url = "/", description = "The gateway that serves this document")),
    components(schemas(Problem, ProblemCode, FieldError, UrssafErrorDetail, Event)),
    modifiers(&ApiKeyAuth),
    tags(
        (name = "clients", description = "Households (particuliers) registered with Urssaf"),
        (name = "payment-requests", description = "Invoices sent to Urssaf as payment requests (demandes de paiement)"),
        (name = "webhooks", description = "Status changes pushed to your webhook (Standard Webhooks): deliveries, attempts, redelivery"),
        (name = "events", description = "Status changes of payment requests and clients, as the gateway sees them at Urssaf"),
        (name = "operations", description = "Health, readiness and metrics")
    )
)]
pub struct ApiDoc;

struct ApiKeyAuth;

impl Modify for ApiKeyAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The tenant's API key: `Authorization: Bearer <key>`"))
                    .build(),
            ),
        );
    }
}

/// The full document for the routes registered (see [`super::routes`]): what the
/// annotations cannot say is added by [`contract::complete`].
pub fn finish(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    contract::complete(&mut doc);
    webhooks::add(&mut doc);
    doc
}

/// The document as committed in `openapi/openapi.json`: the routes' own entries (see
/// [`super::routes`]) on top of [`ApiDoc`].
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(|cfg| super::routes(cfg, true))
        .split_for_parts();
    finish(doc)
}

/// Pretty JSON with a final newline, as committed.
pub fn document_json() -> String {
    let mut s = document().to_pretty_json().unwrap_or_default();
    s.push('\n');
    s
}

/// `/docs`: Swagger UI, its assets compiled into the binary (no CDN, works offline), and
/// `/openapi.json`: the document it shows.
pub fn docs(doc: utoipa::openapi::OpenApi) -> utoipa_swagger_ui::SwaggerUi {
    utoipa_swagger_ui::SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", doc)
}

/// `/docs` without its slash: Swagger UI lives at `/docs/`.
pub async fn docs_redirect() -> actix_web::HttpResponse {
    actix_web::HttpResponse::PermanentRedirect()
        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
        .finish()
}

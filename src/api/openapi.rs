//! The OpenAPI document (generated from the code) and the offline docs page.

use actix_web::web;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::problem::{Problem, UrssafError};
use crate::domain::FieldError;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Urssaf gateway",
        description = "A simple REST API in front of Urssaf's API Tiers de Prestation (avance immédiate de crédit d'impôt): register households, send invoices as payment requests, and follow them to payment. Every field's description names the Urssaf field it maps to. Errors are RFC 9457 problems (`application/problem+json`).",
        license(name = "Apache-2.0")
    ),
    paths(
        super::clients::register,
        super::clients::get_one,
        super::clients::find_by_email,
        super::payment_requests::submit,
        super::payment_requests::get_one,
        super::payment_requests::search,
        super::health::healthz,
        super::health::readyz,
        super::health::metrics
    ),
    components(schemas(Problem, FieldError, UrssafError)),
    modifiers(&ApiKeyAuth),
    tags(
        (name = "clients", description = "Households (particuliers) registered with Urssaf"),
        (name = "payment-requests", description = "Invoices sent to Urssaf as payment requests (demandes de paiement)"),
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

/// The document as committed in `openapi/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// Pretty JSON with a final newline, as committed.
pub fn document_json() -> String {
    let mut s = document().to_pretty_json().unwrap_or_default();
    s.push('\n');
    s
}

/// `/docs`: Swagger UI, its assets compiled into the binary (no CDN, works offline), and
/// `/openapi.json`: the document it shows.
pub fn docs(cfg: &mut web::ServiceConfig) {
    cfg.service(utoipa_swagger_ui::SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", document()));
}

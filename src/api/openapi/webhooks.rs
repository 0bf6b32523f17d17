//! OpenAPI 3.1 `webhooks`: what the gateway POSTs to a tenant's `webhook_url`, one entry per
//! event type, body and Standard Webhooks headers. utoipa's `OpenApi` has no `webhooks` field,
//! so the entries are built with its types and put in the document's top-level map.

use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, Required};

use crate::events::EventType;

/// The document's top-level key (OpenAPI 3.1 §4.8.1).
const WEBHOOKS: &str = "webhooks";

/// The body schema, summary and operation id of each event type's webhook.
fn entry(t: EventType) -> (&'static str, &'static str, &'static str) {
    match t {
        EventType::PaymentRequestStatusChanged => (
            "PaymentRequestStatusChanged",
            "A payment request's status changed",
            "paymentRequestStatusChanged",
        ),
        EventType::ClientAccountChanged => (
            "ClientAccountChanged",
            "A client's account status changed",
            "clientAccountChanged",
        ),
    }
}

const DESCRIPTION: &str = "Sent to the tenant's `webhook_url` for each new event, signed the \
Standard Webhooks way (https://www.standardwebhooks.com): verify `webhook-signature` with the \
`standardwebhooks` library of your language and the tenant's `webhook_secret`, then read the \
body. The body is the same event `GET /v1/events` lists (without its `cursor`). Answer any 2xx \
once it is stored; anything else, or no answer within `events.webhook_timeout_seconds`, is \
tried again on `events.webhook_retry_schedule` with the same `webhook-id` (deduplicate by it). \
Every attempt is listed by `GET /v1/webhook-deliveries`.";

fn header(name: &str, description: &str) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String).build()))
        .build()
}

fn path_item(t: EventType) -> PathItem {
    let (schema, summary, operation_id) = entry(t);
    let operation = OperationBuilder::new()
        .tag("webhooks")
        .operation_id(Some(operation_id))
        .summary(Some(summary))
        .description(Some(DESCRIPTION))
        // No API key: the signature is what proves the sender.
        .securities(Some(Vec::new()))
        .parameter(header(
            "webhook-id",
            "The event's `id`: the same at every attempt and redelivery.",
        ))
        .parameter(header(
            "webhook-timestamp",
            "When this attempt was signed, Unix seconds.",
        ))
        .parameter(header(
            "webhook-signature",
            "`v1,<base64 HMAC-SHA256 of \"<webhook-id>.<webhook-timestamp>.<body>\">`, one per signing secret (several while rotating), space-separated.",
        ))
        .request_body(Some(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name(schema)))
                        .build(),
                )
                .build(),
        ))
        .response(
            "2XX",
            ResponseBuilder::new().description("Received: the delivery is done."),
        )
        .response(
            "default",
            ResponseBuilder::new()
                .description("Not received: tried again on `events.webhook_retry_schedule`."),
        )
        .build();
    PathItem::new(HttpMethod::Post, operation)
}

/// Adds `webhooks`: one entry per event type, named by the type.
pub(super) fn add(doc: &mut OpenApi) {
    let entries: serde_json::Map<String, serde_json::Value> = EventType::ALL
        .into_iter()
        .map(|t| {
            // Serialising utoipa's own types cannot fail.
            let item = serde_json::to_value(path_item(t)).unwrap_or_default();
            (t.as_str().to_string(), item)
        })
        .collect();
    doc.extensions
        .get_or_insert_with(Default::default)
        .insert(WEBHOOKS.to_string(), serde_json::Value::Object(entries));
}

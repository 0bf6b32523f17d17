//! What the per-route annotations cannot say, added to the document in one place: headers
//! every answer carries, the answers every body-taking or authenticated operation can give,
//! probes that need no key, and the problem-code table.

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{Object, ObjectBuilder, Schema, Type};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response};

use crate::api::problem::ProblemCode;

/// Routes that take a JSON body: they can answer 413 and 415.
const BODY_ROUTES: &[&str] = &[
    "/v1/clients",
    "/v1/payment-requests",
    "/v1/payment-requests/search",
];
/// Routes open without an API key.
const OPEN_ROUTES: &[&str] = &[
    "/healthz",
    "/readyz",
    "/metrics",
    "/problems",
    "/problems/{code}",
];
const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

pub(super) fn complete(doc: &mut OpenApi) {
    describe_problem_codes(doc);
    for (path, item) in doc.paths.paths.iter_mut() {
        let ops = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.delete,
            &mut item.patch,
        ];
        for op in ops.into_iter().flatten() {
            complete_operation(path, op);
        }
    }
}

fn complete_operation(path: &str, op: &mut Operation) {
    if OPEN_ROUTES.contains(&path) {
        op.security = Some(Vec::new());
    }
    let mut idempotent = false;
    for p in op.parameters.iter_mut().flatten() {
        if p.parameter_in == ParameterIn::Header && p.name == IDEMPOTENCY_KEY {
            idempotent = true;
            // A header is absent or a string, never `null`.
            p.schema = Some(RefOr::T(Schema::Object(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(255))
                    .build(),
            )));
        }
    }
    let responses = &mut op.responses.responses;
    if path.starts_with("/v1/") {
        let code = ProblemCode::RateLimited;
        responses
            .entry(code.status().as_u16().to_string())
            .or_insert_with(|| {
                RefOr::T(problem(
                    "This provider makes more requests at once or per second than it may; retry after `Retry-After`",
                ))
            });
    }
    if BODY_ROUTES.contains(&path) && op.request_body.is_some() {
        for (code, why) in [
            (
                ProblemCode::PayloadTooLarge,
                "Body larger than `server.max_body_bytes`",
            ),
            (
                ProblemCode::UnsupportedMediaType,
                "Body not sent as `application/json`",
            ),
        ] {
            responses
                .entry(code.status().as_u16().to_string())
                .or_insert_with(|| RefOr::T(problem(why)));
        }
    }
    for (status, response) in responses.iter_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        add_headers(path, status, idempotent, response);
    }
}

fn add_headers(path: &str, status: &str, idempotent: bool, r: &mut Response) {
    let string = || Object::with_type(Type::String);
    let mut add = |name: &str, schema: Object, description: &str| {
        r.headers.insert(
            name.to_string(),
            HeaderBuilder::new()
                .schema(schema)
                .description(Some(description))
                .build(),
        );
    };
    add(
        "X-Request-Id",
        ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(128))
            .build(),
        "The request id: yours if you sent a short printable one, else a new UUID. Quote it when asking for help.",
    );
    if matches!(status, "429" | "503" | "504") && (path.starts_with("/v1/") || path == "/readyz") {
        add(
            "Retry-After",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0))
                .build(),
            "Seconds to wait before trying again.",
        );
    }
    if status == "401" {
        add("WWW-Authenticate", string(), "`Bearer`.");
    }
    if idempotent && (status.starts_with('2') || status.starts_with('4')) {
        add(
            "Idempotent-Replayed",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["true"]))
                .build(),
            "`true` when this answer replays the first one given for the same Idempotency-Key and body.",
        );
    }
    if path == "/v1/clients" && status == "201" {
        add(
            "Location",
            string(),
            "The registered client: `/v1/clients/{client_id}`.",
        );
    }
}

fn problem(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

/// Puts the problem-code table in `ProblemCode`'s description, so integrators see each code's
/// status where they read the code.
fn describe_problem_codes(doc: &mut OpenApi) {
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    if let Some(RefOr::T(Schema::Object(o))) = components.schemas.get_mut("ProblemCode") {
        let rows: Vec<String> = ProblemCode::ALL
            .iter()
            .map(|c| {
                format!(
                    "| `{}` | {} | {} | [`{uri}`]({uri}) |",
                    c.as_str(),
                    c.status().as_u16(),
                    c.title(),
                    uri = c.type_uri()
                )
            })
            .collect();
        o.description = Some(format!(
            "Stable machine code of a problem; the HTTP status follows from it. Each code's page (its `type`, served by the gateway without an API key) says when it happens and how to fix the call.\n\n| code | status | title | page |\n|---|---|---|---|\n{}",
            rows.join("\n")
        ));
    }
}

//! Per-request plumbing: request id, one access-log line, HTTP metrics, and problem+json
//! for every error the framework itself produces.

use std::sync::atomic::Ordering;
use std::sync::LazyLock;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ResourceDef;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use tracing::Instrument;

use super::auth::TenantId;
use super::problem::{Problem, ProblemCode};
use super::AppState;
use crate::telemetry::{self, otel, AccessLine, RequestContext, CONTEXT};

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// An incoming id is kept when it is short printable ASCII; anything else is replaced.
fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(String::from)
        // A v4 UUID from the thread's generator: no system call per request, and encoded
        // straight into a buffer (its `Display` goes through the formatting machinery).
        .unwrap_or_else(|| {
            let uuid = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
            let mut buf = uuid::Uuid::encode_buffer();
            String::from(&*uuid.hyphenated().encode_lower(&mut buf))
        })
}

/// A label per invented method would let anyone grow the metrics without bound.
fn method_label(method: &Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "PATCH" => "PATCH",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "OTHER",
    }
}

pub async fn observe(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = request_id(&req);
    let started = Instant::now();
    let method = method_label(req.method());
    // HEAD is answered wherever GET is: served as a GET, the body is left out on the wire.
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    let state = req.app_data::<web::Data<AppState>>().cloned();
    // The server span (OpenTelemetry's HTTP conventions), continuing the caller's trace; made
    // only when traces are exported (log lines take their ids from the context).
    let span = otel::enabled().then(|| otel::server_span(&req, method, &id));
    let trace_id = otel::trace_id(span.as_ref(), req.headers());
    let header = HeaderValue::from_str(&id).ok();
    let context = RequestContext {
        request_id: id,
        trace_id,
        urssaf: Default::default(),
    };
    // The context is taken back from the scope afterwards, not cloned into it.
    let call = async {
        // The body first, within its deadline (`deadline`): one middleware layer, not two.
        if let Err(problem) = super::deadline::read_in_time(&mut req).await {
            return Ok(super::deadline::refuse(req, &problem));
        }
        Ok(next.call(req).await?.map_into_boxed_body())
    };
    let mut scoped = std::pin::pin!(CONTEXT.scope(context, async {
        match &span {
            Some(span) => call.instrument(span.clone()).await,
            None => call.await,
        }
    }));
    let outcome: Result<ServiceResponse<BoxBody>, Error> = scoped.as_mut().await;
    let context = scoped.as_mut().take_value().unwrap_or_default();
    let res = outcome?;
    // Errors produced outside our handlers (405, payload too large…) become problems too.
    let mut res = if is_plain_error(&res) {
        let status = res.status();
        let problem = CONTEXT.sync_scope(context.clone(), || framework_problem(status));
        res.into_response(problem.error_response())
    } else {
        super::compress::large_answers(res)
    };
    if let Some(v) = header {
        res.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    let (http_req, mut response) = res.into_parts();
    super::drain::close_if_draining(&http_req, &mut response);
    let res = ServiceResponse::new(http_req, response);
    let pattern = res.request().match_pattern();
    let route = pattern.as_deref().unwrap_or("unmatched");
    let status = res.status();
    let elapsed = started.elapsed();
    if let Some(span) = &span {
        otel::end_server_span(span, method, route, status.as_u16());
    }
    // Probes and scrapes are not traffic: neither counted nor logged at info.
    if matches!(route, "/healthz" | "/readyz" | "/metrics") {
        tracing::debug!(request_id = %context.request_id, route, status = status.as_u16(), "probe");
        return Ok(res);
    }
    if let Some(state) = state {
        (state.metrics.http).answered(route, method, status.as_u16(), elapsed.as_secs_f64());
    }
    let _entered = span.as_ref().map(tracing::Span::enter);
    let urssaf_calls = context.urssaf.calls.load(Ordering::Relaxed);
    let urssaf_ms = context.urssaf.micros.load(Ordering::Relaxed) as f64 / 1000.0;
    let extensions = res.request().extensions();
    let tenant = extensions.get::<TenantId>().map(|t| t.0.id.as_str());
    let line = AccessLine {
        tenant,
        method,
        route,
        status: status.as_u16(),
        latency_ms: elapsed.as_secs_f64() * 1000.0,
        urssaf_calls,
        urssaf_ms,
    };
    CONTEXT.sync_scope(context, || telemetry::access(&line));
    drop(extensions);
    Ok(res)
}

fn is_plain_error(res: &ServiceResponse<BoxBody>) -> bool {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return false;
    }
    let ct = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    !ct.starts_with("application/problem+json")
}

fn framework_problem(status: StatusCode) -> Problem {
    match status {
        StatusCode::NOT_FOUND => Problem::not_found("no such route; see /openapi.json or /docs"),
        StatusCode::METHOD_NOT_ALLOWED => Problem::new(
            ProblemCode::MethodNotAllowed,
            "this route does not accept this method",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => Problem::new(
            ProblemCode::PayloadTooLarge,
            "the body exceeds server.max_body_bytes",
        ),
        s if s.is_client_error() => Problem::new(
            ProblemCode::BadRequest,
            s.canonical_reason().unwrap_or("bad request"),
        ),
        s => Problem::new(
            ProblemCode::InternalError,
            format!("unexpected failure ({})", s.as_u16()),
        ),
    }
}

/// Every documented route and the methods it accepts, read from the OpenAPI document so the
/// two cannot drift apart.
static ROUTES: LazyLock<Vec<(ResourceDef, Vec<String>)>> = LazyLock::new(|| {
    let doc = super::openapi::document();
    let mut routes: Vec<(ResourceDef, Vec<String>)> = doc
        .paths
        .paths
        .iter()
        .map(|(path, item)| {
            let json = serde_json::to_value(item).unwrap_or_default();
            let methods = json
                .as_object()
                .map(|ops| {
                    ops.keys()
                        .filter(|k| !k.starts_with("parameters"))
                        .map(|k| k.to_ascii_uppercase())
                        .collect()
                })
                .unwrap_or_default();
            (ResourceDef::new(path.as_str()), methods)
        })
        .collect();
    routes.push((ResourceDef::new("/openapi.json"), vec!["GET".into()]));
    routes
});

/// Default service: a known route with another method answers 405 (with `Allow`), anything
/// else a 404 problem.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    let matching: Vec<&(ResourceDef, Vec<String>)> = ROUTES
        .iter()
        .filter(|(def, _)| def.is_match(req.path()))
        .collect();
    // `/v1/payment-requests/search` is that route, not an id under `/{payment_request_id}`.
    let exact = matching
        .iter()
        .any(|(def, _)| !def.pattern().is_some_and(|p| p.contains('{')));
    let mut allowed: Vec<&str> = matching
        .iter()
        .filter(|(def, _)| !exact || !def.pattern().is_some_and(|p| p.contains('{')))
        .flat_map(|(_, methods)| methods.iter().map(String::as_str))
        .collect();
    // A documented route not served here (e.g. /metrics on its own port) is simply absent.
    if allowed.is_empty() || allowed.contains(&req.method().as_str()) {
        return Problem::not_found("no such route; see /openapi.json or /docs").error_response();
    }
    if allowed.contains(&"GET") {
        allowed.push("HEAD");
    }
    allowed.sort_unstable();
    allowed.dedup();
    let allow = allowed.join(", ");
    let mut res = Problem::new(
        ProblemCode::MethodNotAllowed,
        format!("this route accepts {allow}"),
    )
    .error_response();
    if let Ok(v) = HeaderValue::from_str(&allow) {
        res.headers_mut().insert(header::ALLOW, v);
    }
    res
}

//! OpenTelemetry traces, configured by the standard `OTEL_*` variables and off when no OTLP
//! endpoint is set: a server span per request (continuing an incoming W3C `traceparent`),
//! child spans for each Urssaf call, token fetch and Redis command, and `traceparent` sent on
//! the Urssaf calls. Spans follow OpenTelemetry's HTTP semantic conventions. Exported over
//! OTLP/HTTP (protobuf, the default) or OTLP/gRPC, as `OTEL_EXPORTER_OTLP_PROTOCOL` says.

use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TraceContextExt;
use opentelemetry::Context;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Set once at start when traces are exported: spans are only made then.
pub static ENABLED: AtomicBool = AtomicBool::new(false);

pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Whether the environment asks for traces: an OTLP endpoint is set and neither
/// `OTEL_SDK_DISABLED=true` nor `OTEL_TRACES_EXPORTER=none` says otherwise.
pub fn wanted(var: impl Fn(&str) -> Option<String>) -> bool {
    let set = |k: &str| var(k).is_some_and(|v| !v.trim().is_empty());
    let disabled = var("OTEL_SDK_DISABLED").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let no_exporter =
        var("OTEL_TRACES_EXPORTER").is_some_and(|v| v.trim().eq_ignore_ascii_case("none"));
    !disabled
        && !no_exporter
        && (set("OTEL_EXPORTER_OTLP_ENDPOINT") || set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
}

/// The OTLP transports this build speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    HttpProtobuf,
    Grpc,
}

/// The transport `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` (else `OTEL_EXPORTER_OTLP_PROTOCOL`)
/// names: `http/protobuf` when unset (what the gateway always spoke, on 4318), `grpc` for a
/// collector's 4317; `http/json` and anything else are refused by name rather than silently
/// replaced.
pub fn transport(var: impl Fn(&str) -> Option<String>) -> Result<Transport, String> {
    let named = [
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    ]
    .into_iter()
    .find_map(|k| var(k).filter(|v| !v.trim().is_empty()).map(|v| (k, v)));
    let Some((key, value)) = named else {
        return Ok(Transport::HttpProtobuf);
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "http/protobuf" => Ok(Transport::HttpProtobuf),
        "grpc" => Ok(Transport::Grpc),
        _ => Err(format!(
            "{key}={value} is not supported: use grpc or http/protobuf"
        )),
    }
}

/// The tracer provider (batching, OTLP over HTTP or gRPC); the SDK reads `OTEL_SERVICE_NAME`,
/// `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER(_ARG)` and the exporter's variables
/// (endpoints, headers, timeout). Must be called inside the Tokio runtime: the gRPC channel
/// runs on it.
pub fn provider() -> Result<SdkTracerProvider, String> {
    let builder = opentelemetry_otlp::SpanExporter::builder();
    let exporter = match transport(|k| std::env::var(k).ok())? {
        Transport::HttpProtobuf => builder.with_http().build(),
        Transport::Grpc => builder.with_tonic().build(),
    }
    .map_err(|e| e.to_string())?;
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource())
        .build())
}

/// The service: `service.name` (`urssaf-gateway` unless the environment names it),
/// `service.version` (this build's) and `service.instance.id` (a UUID per process), each
/// left as the environment gives it when `OTEL_RESOURCE_ATTRIBUTES` sets it.
fn resource() -> opentelemetry_sdk::Resource {
    use opentelemetry::{Key, KeyValue};
    let given = opentelemetry_sdk::Resource::builder().build();
    let has = |k: &'static str| given.get(&Key::from_static_str(k)).is_some();
    let mut resource = opentelemetry_sdk::Resource::builder();
    let named = given
        .get(&Key::from_static_str("service.name"))
        .is_some_and(|v| !v.as_str().starts_with("unknown_service"));
    if !named {
        resource = resource.with_service_name("urssaf-gateway");
    }
    if !has("service.version") {
        resource =
            resource.with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")));
    }
    if !has("service.instance.id") {
        resource = resource.with_attribute(KeyValue::new(
            "service.instance.id",
            uuid::Uuid::new_v4().to_string(),
        ));
    }
    resource.build()
}

/// `url` as `url.full` may show it: credentials and query values replaced by `REDACTED`
/// (a query may name a person: `?idClient=…` is an e-mail or an id), keys kept; no fragment.
pub fn redacted_url(url: &reqwest::Url) -> String {
    let mut shown = url.clone();
    shown.set_fragment(None);
    if !shown.username().is_empty() {
        let _ = shown.set_username("REDACTED");
    }
    if shown.password().is_some() {
        let _ = shown.set_password(Some("REDACTED"));
    }
    if url.query().is_some() {
        let keys: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
        shown.set_query(None);
        if !keys.is_empty() {
            let mut pairs = shown.query_pairs_mut();
            for k in &keys {
                pairs.append_pair(k, "REDACTED");
            }
        }
    }
    shown.into()
}

/// Records on a client `span` where its request goes: `url.full` (redacted),
/// `server.address`, `server.port`. Nothing is computed when the span is not exported.
pub fn record_destination(span: &tracing::Span, url: &reqwest::Url) {
    if span.is_disabled() {
        return;
    }
    span.record("url.full", redacted_url(url).as_str());
    if let Some(host) = url.host_str() {
        span.record("server.address", host);
    }
    if let Some(port) = url.port_or_known_default() {
        span.record("server.port", port);
    }
}

/// The server span of a request (OpenTelemetry's HTTP server conventions), continuing the
/// caller's trace; `Span::none()` when traces are not exported. Named `{method}` until
/// [`end_server_span`] knows the route.
pub fn server_span(
    req: &actix_web::dev::ServiceRequest,
    method: &'static str,
    request_id: &str,
) -> tracing::Span {
    if !enabled() {
        return tracing::Span::none();
    }
    let info = req.connection_info();
    let scheme = info.scheme();
    let (address, port) = split_host(info.host(), scheme);
    let user_agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    // Methods outside the known set are `_OTHER`, per the conventions (the name is `HTTP`).
    let (method, name) = match method {
        "OTHER" => ("_OTHER", "HTTP"),
        m => (m, m),
    };
    let span = tracing::info_span!(
        "request",
        otel.name = name,
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        http.request.method = method,
        http.route = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
        error.type = tracing::field::Empty,
        url.scheme = scheme,
        url.path = req.path(),
        server.address = address,
        server.port = port,
        user_agent.original = user_agent,
        request_id = request_id,
    );
    continue_trace(&span, req.headers());
    span
}

/// Ends the server span's attributes once the answer is known: its name becomes
/// `{method} {route}`, a 5xx marks it failed with `error.type` the status code.
pub fn end_server_span(span: &tracing::Span, method: &'static str, route: &str, status: u16) {
    if span.is_disabled() {
        return;
    }
    let method = if method == "OTHER" { "HTTP" } else { method };
    rename(span, format!("{method} {route}"));
    span.record("http.route", route);
    span.record("http.response.status_code", status);
    if status >= 500 {
        span.record("otel.status_code", "ERROR");
        span.record("error.type", status.to_string().as_str());
    }
}

/// `host[:port]` (from `Host`, or the forwarded host) as address and port, the port being
/// the scheme's own when none is written.
fn split_host<'a>(host: &'a str, scheme: &str) -> (&'a str, Option<u16>) {
    let default = match scheme {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    };
    // `[::1]:8080`: the port follows the bracket.
    let (address, port) = match host.rfind(':') {
        Some(i) if !host[i..].contains(']') => (&host[..i], host[i + 1..].parse().ok()),
        _ => (host, default),
    };
    (address.trim_start_matches('[').trim_end_matches(']'), port)
}

/// The trace and span ids of the span being run (the innermost exported one), for log
/// lines; `None` when traces are not exported or no span runs.
pub fn current_ids() -> Option<(String, String)> {
    if !enabled() {
        return None;
    }
    let cx = tracing::Span::current().context();
    let span = cx.span();
    let sc = span.span_context();
    sc.is_valid()
        .then(|| (sc.trace_id().to_string(), sc.span_id().to_string()))
}

struct HeaderExtractor<'a>(&'a actix_web::http::header::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

struct HeaderInjector<'a>(&'a mut reqwest::header::HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(k), Ok(v)) = (
            reqwest::header::HeaderName::from_bytes(key.as_bytes()),
            reqwest::header::HeaderValue::from_str(&value),
        ) {
            self.0.insert(k, v);
        }
    }
}

/// Makes `span` continue the caller's trace, when the request carries a valid `traceparent`.
pub fn continue_trace(span: &tracing::Span, headers: &actix_web::http::header::HeaderMap) {
    let parent = TraceContextPropagator::new().extract(&HeaderExtractor(headers));
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
}

/// Names `span` once its route is known (after routing, when the span already runs).
pub fn rename(span: &tracing::Span, name: String) {
    if enabled() {
        span.context().span().update_name(name);
    }
}

/// The `traceparent` (and `tracestate`) of `span`, for an outgoing call; empty when traces are
/// off.
pub fn outgoing_headers(span: &tracing::Span) -> reqwest::header::HeaderMap {
    let mut headers = reqwest::header::HeaderMap::new();
    let cx = span.context();
    if cx.span().span_context().is_valid() {
        TraceContextPropagator::new().inject_context(&cx, &mut HeaderInjector(&mut headers));
    }
    headers
}

/// The trace id of the server `span` when traces are on, else the one an incoming
/// `traceparent` names (so logs can be joined with the caller's trace even when this gateway
/// exports nothing; without a span, no OpenTelemetry context is looked up).
pub fn trace_id(
    span: Option<&tracing::Span>,
    headers: &actix_web::http::header::HeaderMap,
) -> Option<String> {
    if let Some(span) = span {
        let cx: Context = span.context();
        let sc = cx.span().span_context().clone();
        if sc.is_valid() {
            return Some(sc.trace_id().to_string());
        }
    }
    // A name made once: looked up by a `&str`, the name is parsed on every request.
    const TRACEPARENT: actix_web::http::header::HeaderName =
        actix_web::http::header::HeaderName::from_static("traceparent");
    let parent = headers.get(&TRACEPARENT)?.to_str().ok()?;
    let mut parts = parent.trim().split('-');
    let (_version, id) = (parts.next()?, parts.next()?);
    (id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) && id.bytes().any(|b| b != b'0'))
        .then(|| id.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The environment as these pairs.
    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn traces_only_when_an_endpoint_is_set_and_not_disabled() {
        assert!(!wanted(env(&[])));
        assert!(wanted(env(&[(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http://c:4318"
        )])));
        assert!(wanted(env(&[(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "http://c:4318/v1/traces"
        )])));
        assert!(!wanted(env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
            ("OTEL_SDK_DISABLED", "true")
        ])));
        assert!(!wanted(env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
            ("OTEL_TRACES_EXPORTER", "none")
        ])));
    }

    #[test]
    fn the_protocol_variables_choose_the_transport() {
        assert_eq!(transport(env(&[])), Ok(Transport::HttpProtobuf));
        assert_eq!(
            transport(env(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")])),
            Ok(Transport::Grpc)
        );
        assert_eq!(
            transport(env(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "HTTP/protobuf")])),
            Ok(Transport::HttpProtobuf)
        );
        // The traces' own variable wins over the general one.
        assert_eq!(
            transport(env(&[
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
                ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc")
            ])),
            Ok(Transport::Grpc)
        );
        let refused = transport(env(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")]));
        assert!(refused
            .unwrap_err()
            .contains("OTEL_EXPORTER_OTLP_PROTOCOL=http/json"));
    }

    #[test]
    fn url_full_hides_query_values_and_credentials() {
        let url = |s: &str| redacted_url(&reqwest::Url::parse(s).unwrap());
        assert_eq!(
            url("https://api.urssaf.fr/atp/v1/tiersPrestations/particulier?idClient=zoe%40example.org#x"),
            "https://api.urssaf.fr/atp/v1/tiersPrestations/particulier?idClient=REDACTED"
        );
        assert_eq!(
            url("http://u:p@127.0.0.1:8080/a?x=1&y=2"),
            "http://REDACTED:REDACTED@127.0.0.1:8080/a?x=REDACTED&y=REDACTED"
        );
        assert_eq!(url("https://h/p"), "https://h/p");
    }

    #[test]
    fn host_splits_into_address_and_port() {
        assert_eq!(
            split_host("gw.example:8443", "https"),
            ("gw.example", Some(8443))
        );
        assert_eq!(split_host("gw.example", "https"), ("gw.example", Some(443)));
        assert_eq!(split_host("gw.example", "http"), ("gw.example", Some(80)));
        assert_eq!(split_host("[::1]:8080", "http"), ("::1", Some(8080)));
        assert_eq!(split_host("[::1]", "http"), ("::1", Some(80)));
    }

    #[test]
    fn an_incoming_trace_id_is_read_without_traces_on() {
        let mut h = actix_web::http::header::HeaderMap::new();
        let span = tracing::Span::none();
        assert_eq!(trace_id(Some(&span), &h), None);
        assert_eq!(trace_id(None, &h), None);
        h.insert(
            actix_web::http::header::HeaderName::from_static("traceparent"),
            actix_web::http::header::HeaderValue::from_static(
                "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            ),
        );
        for span in [Some(&span), None] {
            assert_eq!(
                trace_id(span, &h).as_deref(),
                Some("4bf92f3577b34da6a3ce929d0e0e4736")
            );
        }
    }
}

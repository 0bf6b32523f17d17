//! OpenTelemetry traces, the way a collector receives them: the real binary exports over
//! OTLP/HTTP, or OTLP/gRPC, to a receiver in the test, which decodes the protobuf spans.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;

use crate::helpers::{TestApp, TENANT_A};
use crate::process::start;

/// A span and the attributes of the resource it came with.
type Exported = (Vec<KeyValue>, Span);

/// Every span received, from every export.
#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<Exported>>>);

impl Received {
    fn keep(&self, req: ExportTraceServiceRequest) {
        let mut all = self.0.lock().unwrap();
        for rs in req.resource_spans {
            let resource = rs.resource.map(|r| r.attributes).unwrap_or_default();
            for ss in rs.scope_spans {
                all.extend(ss.spans.into_iter().map(|s| (resource.clone(), s)));
            }
        }
    }

    fn spans(&self) -> Vec<Exported> {
        self.0.lock().unwrap().clone()
    }
}

/// An OTLP/HTTP receiver (`POST /v1/traces`, protobuf).
async fn http_receiver() -> (String, Received) {
    let spans = Received::default();
    let kept = spans.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = HttpServer::new(move || {
        let kept = kept.clone();
        App::new().route(
            "/v1/traces",
            web::post().to(move |body: web::Bytes| {
                let kept = kept.clone();
                async move {
                    let Ok(req) = ExportTraceServiceRequest::decode(body) else {
                        return HttpResponse::BadRequest().finish();
                    };
                    kept.keep(req);
                    HttpResponse::Ok()
                        .content_type("application/x-protobuf")
                        .finish()
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (url, spans)
}

/// An OTLP/gRPC receiver: a collector's `TraceService`.
struct Collector(Received);

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.0.keep(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

async fn grpc_receiver() -> (String, Received) {
    let spans = Received::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tonic::transport::Server::builder()
        .add_service(TraceServiceServer::new(Collector(spans.clone())))
        .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener));
    tokio::spawn(server);
    (url, spans)
}

/// A span attribute (or resource attribute) as text, whatever its type.
fn attr(attributes: &[KeyValue], key: &str) -> Option<String> {
    let value = attributes
        .iter()
        .find(|a| a.key == key)?
        .value
        .as_ref()?
        .value
        .as_ref()?;
    Some(match value {
        Value::StringValue(s) => s.clone(),
        Value::IntValue(i) => i.to_string(),
        Value::BoolValue(b) => b.to_string(),
        other => format!("{other:?}"),
    })
}

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

/// Starts the binary exporting to `otlp` with `protocol`, asks it for a client Urssaf does not
/// know within the caller's trace, and returns the gateway (for its logs) and the server,
/// Urssaf-call and token spans once received.
async fn one_request(
    otlp: String,
    protocol: Option<&str>,
    received: &Received,
) -> (crate::process::Running, [Exported; 3]) {
    let app = TestApp::builder().no_gateway().start().await;
    let mut env: Vec<(String, String)> = app.gateway_env().to_vec();
    env.push(("OTEL_EXPORTER_OTLP_ENDPOINT".into(), otlp));
    env.push(("OTEL_SERVICE_NAME".into(), "gateway-under-test".into()));
    env.push(("OTEL_BSP_SCHEDULE_DELAY".into(), "100".into()));
    if let Some(p) = protocol {
        env.push(("OTEL_EXPORTER_OTLP_PROTOCOL".into(), p.into()));
    }
    let gw = start(&env);
    let status = app
        .http
        .get(format!(
            "http://127.0.0.1:{}/v1/clients/some-client",
            gw.port
        ))
        .bearer_auth(app.key(TENANT_A.id))
        .header("traceparent", format!("00-{TRACE_ID}-{CALLER_SPAN}-01"))
        .header("user-agent", "billing-suite/7.1")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 404, "Urssaf knows no such client");

    // The batch exporter sends within a few tenths of a second.
    let started = Instant::now();
    let ours = |s: &Span| hex(&s.trace_id) == TRACE_ID;
    loop {
        let got = received.spans();
        let find = |f: &dyn Fn(&Span) -> bool| got.iter().find(|(_, s)| ours(s) && f(s)).cloned();
        let server = find(&|s| s.kind == SpanKind::Server as i32);
        let call = find(&|s| s.kind == SpanKind::Client as i32 && s.name == "GET client_status");
        let token = find(&|s| s.name == "POST urssaf_token");
        if let (Some(server), Some(call), Some(token)) = (server, call, token) {
            return (gw, [server, call, token]);
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "spans received: {:?}",
            got.iter()
                .map(|(_, s)| (&s.name, hex(&s.trace_id)))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn one_trace_runs_from_the_callers_traceparent_through_urssaf_and_the_token() {
    let (otlp, received) = http_receiver().await;
    let (gw, [(resource, server), (_, call), (_, token)]) =
        one_request(otlp, None, &received).await;

    assert_eq!(
        hex(&server.parent_span_id),
        CALLER_SPAN,
        "continues the caller's span"
    );
    assert_eq!(server.name, "GET /v1/clients/{client_id}");
    assert_eq!(
        call.parent_span_id, server.span_id,
        "the Urssaf call is the request's child"
    );

    // The resource names the service and this build.
    let r = |k| attr(&resource, k);
    assert_eq!(r("service.name").as_deref(), Some("gateway-under-test"));
    assert_eq!(
        r("service.version").as_deref(),
        Some(env!("CARGO_PKG_VERSION"))
    );
    assert!(r("service.instance.id").is_some_and(|v| v.len() == 36));

    // The server span: OpenTelemetry's HTTP server attributes.
    let s = |k| attr(&server.attributes, k);
    assert_eq!(s("http.request.method").as_deref(), Some("GET"));
    assert_eq!(s("http.route").as_deref(), Some("/v1/clients/{client_id}"));
    assert_eq!(s("url.path").as_deref(), Some("/v1/clients/some-client"));
    assert_eq!(s("url.scheme").as_deref(), Some("http"));
    assert_eq!(s("server.address").as_deref(), Some("127.0.0.1"));
    assert_eq!(s("server.port"), Some(gw.port.to_string()));
    assert_eq!(
        s("user_agent.original").as_deref(),
        Some("billing-suite/7.1")
    );
    assert_eq!(s("http.response.status_code").as_deref(), Some("404"));
    assert_eq!(
        s("error.type"),
        None,
        "a 404 is the caller's, not a failure"
    );

    // The Urssaf call: HTTP client attributes, the query's values redacted.
    let c = |k| attr(&call.attributes, k);
    assert_eq!(c("http.request.method").as_deref(), Some("GET"));
    let url = c("url.full").expect("url.full");
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(url.ends_with("/particulier?idClient=REDACTED"), "{url}");
    assert!(!url.contains("some-client"), "{url}");
    assert_eq!(c("server.address").as_deref(), Some("127.0.0.1"));
    let port = c("server.port").expect("server.port");
    assert!(url.contains(&format!(":{port}/")), "{url} {port}");
    assert_eq!(c("http.response.status_code").as_deref(), Some("400"));
    assert_eq!(c("error.type").as_deref(), Some("400"));
    assert_eq!(c("http.request.resend_count"), None, "the first send");
    assert!(c("urssaf.codes").is_some_and(|v| v.contains("ERR_RECHERCHE_PARTICULIER")));

    // The token fetch is a client span of its own.
    let t = |k| attr(&token.attributes, k);
    assert!(t("url.full").is_some_and(|u| u.starts_with("http://127.0.0.1:")));
    assert_eq!(t("http.response.status_code").as_deref(), Some("200"));

    // Every log line of the request names the trace; its access line names its span.
    let lines = gw.stdout.lock().unwrap().clone();
    let request_lines: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("/v1/clients/{client_id}") || l.contains("urssaf call"))
        .collect();
    assert!(!request_lines.is_empty(), "{lines:?}");
    for l in request_lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["trace_id"], TRACE_ID, "{l}");
        assert!(v["span_id"].as_str().is_some_and(|s| s.len() == 16), "{l}");
    }
    let access = lines
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["message"] == "request")
        .expect("an access line");
    assert_eq!(access["span_id"], hex(&server.span_id), "{access}");
    assert_eq!(access["target"], "urssaf_gateway::api::observe", "{access}");
}

#[tokio::test]
async fn traces_go_over_grpc_when_the_protocol_says_so() {
    let (otlp, received) = grpc_receiver().await;
    let (_gw, [(resource, server), (_, call), _]) =
        one_request(otlp, Some("grpc"), &received).await;
    assert_eq!(server.name, "GET /v1/clients/{client_id}");
    assert_eq!(call.parent_span_id, server.span_id);
    assert_eq!(
        attr(&resource, "service.version").as_deref(),
        Some(env!("CARGO_PKG_VERSION"))
    );
    assert!(attr(&call.attributes, "url.full").is_some());
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

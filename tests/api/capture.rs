//! A stand-in for Urssaf that records every request the gateway sends and answers with the
//! literal fixtures of `tests/fixtures/urssaf/`, and the helpers that compare the two.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::Value;

pub const TOKEN: &str = "/api/oauth/v1/token";
pub const PARTICULIER: &str = "/atp/v1/tiersPrestations/particulier";
pub const DEMANDE: &str = "/atp/v1/tiersPrestations/demandePaiement";
pub const RECHERCHE: &str = "/atp/v1/tiersPrestations/demandePaiement/rechercher";

/// The text of a fixture file.
pub fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/urssaf/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The decoded `key=value` pairs of a form body or query string, sorted.
pub fn pairs(encoded: &str) -> Vec<(String, String)> {
    let url = reqwest::Url::parse(&format!("http://x/?{}", encoded.trim())).expect("url");
    let mut pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    pairs.sort();
    pairs
}

/// Asserts two JSON values are equal, listing every differing path (missing or unexpected
/// keys, other values) first.
pub fn assert_same_json(got: &Value, want: &Value, what: &str) {
    let mut diffs = Vec::new();
    diff(got, want, String::new(), &mut diffs);
    assert!(
        diffs.is_empty(),
        "{what} differs from its fixture:\n  {}\ngot: {got}",
        diffs.join("\n  ")
    );
}

fn diff(got: &Value, want: &Value, path: String, out: &mut Vec<String>) {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            for (k, wv) in w {
                match g.get(k) {
                    Some(gv) => diff(gv, wv, format!("{path}/{k}"), out),
                    None => out.push(format!("{path}/{k}: missing")),
                }
            }
            for k in g.keys().filter(|k| !w.contains_key(*k)) {
                out.push(format!("{path}/{k}: unexpected"));
            }
        }
        (Value::Array(g), Value::Array(w)) if g.len() == w.len() => {
            for (i, (gv, wv)) in g.iter().zip(w).enumerate() {
                diff(gv, wv, format!("{path}/{i}"), out);
            }
        }
        _ if got != want => out.push(format!("{path}: got {got}, want {want}")),
        _ => {}
    }
}

/// One request as received.
#[derive(Clone, Debug)]
pub struct Call {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

impl Call {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} {}: not JSON ({e}): {}",
                self.method, self.path, self.body
            )
        })
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }
}

#[derive(Default)]
struct State {
    calls: Mutex<Vec<Call>>,
    /// "METHOD path" → (status, body).
    answers: Mutex<HashMap<String, (u16, String)>>,
}

pub struct Capture {
    pub url: String,
    state: Arc<State>,
}

impl Capture {
    /// Starts on a port chosen by the OS; the token endpoint answers the token fixture.
    pub fn start() -> Capture {
        let state = Arc::new(State::default());
        let data = web::Data::from(state.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(record))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .expect("listen")
        .run();
        tokio::spawn(server);
        let capture = Capture { url, state };
        capture.answer("POST", TOKEN, 200, &fixture("token-answer.json"));
        capture
    }

    /// What `METHOD path` answers from now on (404 until told).
    pub fn answer(&self, method: &str, path: &str, status: u16, body: &str) {
        let mut answers = self.state.answers.lock().expect("lock");
        answers.insert(format!("{method} {path}"), (status, body.to_string()));
    }

    /// The requests received on `METHOD path` since the last call, oldest first.
    pub fn take(&self, method: &str, path: &str) -> Vec<Call> {
        let mut calls = self.state.calls.lock().expect("lock");
        let (taken, kept) = calls
            .drain(..)
            .partition(|c| c.method == method && c.path == path);
        *calls = kept;
        taken
    }

    /// The one request received on `METHOD path` since the last call.
    pub fn one(&self, method: &str, path: &str) -> Call {
        let mut calls = self.take(method, path);
        assert_eq!(calls.len(), 1, "one call to {method} {path}: {calls:?}");
        calls.remove(0)
    }
}

async fn record(req: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    let call = Call {
        method: req.method().to_string(),
        path: req.path().to_string(),
        query: req.query_string().to_string(),
        headers: req
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let key = format!("{} {}", call.method, call.path);
    state.calls.lock().expect("lock").push(call);
    let answer = state.answers.lock().expect("lock").get(&key).cloned();
    match answer {
        Some((status, body)) => {
            let status = actix_web::http::StatusCode::from_u16(status).expect("status");
            let mut resp = HttpResponse::build(status);
            if body.is_empty() {
                resp.finish()
            } else {
                resp.content_type("application/json").body(body)
            }
        }
        None => HttpResponse::NotFound().body(format!("no answer set for {key}")),
    }
}

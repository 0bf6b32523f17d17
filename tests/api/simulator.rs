//! Simulator test harness (shared by the `simulator_*` modules) and token/auth/admin tests.

use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{json, Value};
use urssaf_gateway::simulator::{Simulator, SimulatorSettings};

pub const A: (&str, &str) = ("provider-a", "secret-a");
pub const B: (&str, &str) = ("provider-b", "secret-b");
pub const BASE: &str = "/atp/v1/tiersPrestations";
/// Registration happens at this simulated instant; DPs are dated later in the same month.
pub const T0: &str = "2026-03-01T08:00:00Z";

/// A change applied to a valid JSON body to break one rule.
pub type Mutation = Box<dyn Fn(&mut Value)>;
type Form<'a> = &'a [(&'a str, &'a str)];

pub struct Harness {
    pub sim: Simulator,
    pub url: String,
    pub http: reqwest::Client,
    pub token: String,
}

pub fn settings() -> SimulatorSettings {
    SimulatorSettings {
        credentials: vec![
            (A.0.into(), SecretString::from(A.1)),
            (B.0.into(), SecretString::from(B.1)),
        ],
        ..SimulatorSettings::default()
    }
}

pub async fn start() -> Harness {
    start_with(settings()).await
}

pub async fn start_with(settings: SimulatorSettings) -> Harness {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let sim = Simulator::new(settings);
    tokio::spawn(sim.serve(listener).unwrap());
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut h = Harness {
        sim,
        url: format!("http://127.0.0.1:{port}"),
        http,
        token: String::new(),
    };
    h.token = h.token_for(A).await;
    h
}

impl Harness {
    pub async fn token_for(&self, (id, secret): (&str, &str)) -> String {
        let resp = self
            .http
            .post(format!("{}/api/oauth/v1/token", self.url))
            .form(&[
                ("grant_type", "client_credentials"),
                ("scope", "homeplus.tiersprestations"),
                ("client_id", id),
                ("client_secret", secret),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let body: Value = resp.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_string()
    }

    /// Sends and returns (status, JSON body or Null when empty).
    pub async fn send(&self, req: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        };
        (status, body)
    }

    pub async fn post_as(&self, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(
            self.http
                .post(format!("{}{BASE}{path}", self.url))
                .bearer_auth(token)
                .json(body),
        )
        .await
    }

    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.post_as(&self.token, path, body).await
    }

    pub async fn get_as(&self, token: &str, path_and_query: &str) -> (StatusCode, Value) {
        self.send(
            self.http
                .get(format!("{}{BASE}{path_and_query}", self.url))
                .bearer_auth(token),
        )
        .await
    }

    pub async fn get(&self, path_and_query: &str) -> (StatusCode, Value) {
        self.get_as(&self.token, path_and_query).await
    }

    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .request(method, format!("{}/__admin{path}", self.url));
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.send(req).await
    }

    pub async fn set_clock(&self, now: &str) {
        let (s, _) = self
            .admin(reqwest::Method::PUT, "/clock", Some(json!({ "now": now })))
            .await;
        assert_eq!(s, 200);
    }

    pub async fn advance(&self, seconds: i64) {
        let (s, _) = self
            .admin(
                reqwest::Method::POST,
                "/clock/advance",
                Some(json!({ "seconds": seconds })),
            )
            .await;
        assert_eq!(s, 200);
    }

    pub async fn register_as(&self, token: &str, body: &Value) -> String {
        let (s, b) = self.post_as(token, "/particulier", body).await;
        assert_eq!(s, 200, "{b}");
        b["idClient"].as_str().unwrap().to_string()
    }

    /// Registers [`particulier`] at T0 (activation immediate), then moves the clock to the
    /// 20th of the month so that [`demande`] dates are valid.
    pub async fn active_client(&self) -> String {
        self.set_clock(T0).await;
        let id = self.register_as(&self.token, &particulier()).await;
        self.set_clock("2026-03-20T12:00:00Z").await;
        id
    }

    pub async fn submit(&self, demandes: &Value) -> (StatusCode, Value) {
        self.post("/demandePaiement", demandes).await
    }
}

/// CT's sandbox identity (spec §6), valid in every field.
pub fn particulier() -> Value {
    json!({
        "civilite": "1",
        "nomNaissance": "Durand",
        "prenoms": "Jean Pierre",
        "dateNaissance": "1980-03-29T00:00:00.000Z",
        "lieuNaissance": {
            "codePaysNaissance": "99100",
            "departementNaissance": "044",
            "communeNaissance": { "codeCommune": "109", "libelleCommune": "Nantes" }
        },
        "numeroTelephonePortable": "0605040302",
        "adresseMail": "jean.durand@example.fr",
        "adressePostale": {
            "numeroVoie": "1", "codeTypeVoie": "R", "libelleVoie": "de la Paix",
            "libelleCommune": "Nantes", "codeCommune": "44109", "codePostal": "44000", "codePays": "99100"
        },
        "coordonneeBancaire": { "bic": "BNPAFRPP", "iban": "FR7630004000031234567890143", "titulaire": "M. Jean Durand" }
    })
}

/// A valid demande for [`Harness::active_client`]: 2 h at 25 €, 10 % VAT.
pub fn demande(id_client: &str, num: &str) -> Value {
    json!({
        "idTiersFacturation": "sap.fr",
        "idClient": id_client,
        "dateNaissanceClient": "1980-03-29T00:00:00Z",
        "numFactureTiers": num,
        "dateFacture": "2026-03-16T00:00:00Z",
        "dateDebutEmploi": "2026-03-02T00:00:00Z",
        "dateFinEmploi": "2026-03-15T00:00:00Z",
        "mntFactureTTC": 50,
        "mntFactureHT": 45.45,
        "inputPrestations": [{
            "codeNature": "60", "quantite": 2, "unite": "HEURE", "mntUnitaireTTC": 25,
            "mntPrestationTTC": 50, "mntPrestationHT": 45.45, "mntPrestationTVA": 4.55,
            "complement2": "SAP852330992"
        }]
    })
}

/// Asserts a 400 Urssaf error array whose first item has `code`; returns that item.
pub fn assert_400(status: StatusCode, body: &Value, code: &str) -> Value {
    assert_eq!(status, 400, "{body}");
    let arr = body
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {body}"));
    assert!(
        arr.iter().any(|e| e["code"] == code),
        "expected {code} in {body}"
    );
    let e = arr.iter().find(|e| e["code"] == code).unwrap().clone();
    assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
    assert!(
        e["description"].as_str().is_some_and(|m| !m.is_empty()),
        "{e}"
    );
    e
}

// ------------------------------------------------------------------ token and bearer

async fn token_call(
    h: &Harness,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (StatusCode, Value) {
    let mut req = h
        .http
        .post(format!("{}/api/oauth/v1/token", h.url))
        .form(form);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    h.send(req).await
}

#[tokio::test]
async fn token_with_form_or_basic_credentials() {
    let h = start().await;
    let grant = [
        ("grant_type", "client_credentials"),
        ("scope", "homeplus.tiersprestations"),
    ];
    let (s, b) = token_call(&h, &grant, Some(A)).await;
    assert_eq!(s, 200);
    assert_eq!(b["token_type"], "Bearer");
    assert_eq!(b["expires_in"], 3600);
    assert_eq!(b["scope"], "homeplus.tiersprestations");
    let t = b["access_token"].as_str().unwrap();
    assert!(t.len() >= 32 && t != h.token);
    // The Basic-issued token works on the API.
    let (s, _) = h.get_as(t, "/particulier?idClient=nope").await;
    assert_eq!(s, 400);
    // One token in `start`, one here.
    assert_eq!(h.sim.token_requests(), 2);
}

#[tokio::test]
async fn token_errors() {
    let h = start().await;
    let cases: [(Form, u16, &str); 4] = [
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", A.0),
                ("client_secret", "wrong"),
            ],
            401,
            "invalid_client",
        ),
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "nobody"),
                ("client_secret", A.1),
            ],
            401,
            "invalid_client",
        ),
        (
            &[
                ("grant_type", "password"),
                ("client_id", A.0),
                ("client_secret", A.1),
            ],
            400,
            "invalid_request",
        ),
        (
            &[
                ("grant_type", "client_credentials"),
                ("scope", "other"),
                ("client_id", A.0),
                ("client_secret", A.1),
            ],
            400,
            "invalid_scope",
        ),
    ];
    for (form, status, error) in cases {
        let (s, b) = token_call(&h, form, None).await;
        assert_eq!(s.as_u16(), status, "{form:?}");
        assert_eq!(b["error"], error);
        assert!(b["error_description"].is_string());
    }
    assert_eq!(h.sim.token_requests(), 5);
}

#[tokio::test]
async fn api_requires_a_valid_unexpired_bearer() {
    let h = start().await;
    let url = format!("{}{BASE}/particulier?idClient=x", h.url);
    let (s, _) = h.send(h.http.get(&url)).await;
    assert_eq!(s, 401);
    let (s, _) = h.get_as("not-a-token", "/particulier?idClient=x").await;
    assert_eq!(s, 401);
    // Tokens issued while the override is 0 s are born expired.
    h.sim.set_faults(urssaf_gateway::simulator::Faults {
        token_lifetime_secs: Some(0),
        ..Default::default()
    });
    let (s, b) = token_call(&h, &[("grant_type", "client_credentials")], Some(A)).await;
    assert_eq!((s.as_u16(), b["expires_in"].as_u64()), (200, Some(0)));
    let (s, _) = h
        .get_as(
            b["access_token"].as_str().unwrap(),
            "/particulier?idClient=x",
        )
        .await;
    assert_eq!(s, 401);
    // The earlier token is still good.
    let (s, _) = h.get("/particulier?idClient=x").await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn token_lifetime_is_configurable() {
    let h = start_with(SimulatorSettings {
        token_lifetime: std::time::Duration::from_secs(120),
        ..settings()
    })
    .await;
    let (_, b) = token_call(&h, &[("grant_type", "client_credentials")], Some(B)).await;
    assert_eq!(b["expires_in"], 120);
}

// ------------------------------------------------------------------ admin

#[tokio::test]
async fn admin_clock_stats_and_reset() {
    let h = start().await;
    h.set_clock("2030-01-01T00:00:00Z").await;
    h.advance(90).await;
    let (s, b) = h.admin(reqwest::Method::GET, "/clock", None).await;
    assert_eq!(s, 200);
    assert!(
        b["now"].as_str().unwrap().starts_with("2030-01-01T00:01:3"),
        "{b}"
    );
    let id = h.active_client().await;
    h.submit(&json!([demande(&id, "F-1")])).await;
    let (_, stats) = h.admin(reqwest::Method::GET, "/stats", None).await;
    assert_eq!(stats, json!({ "token_requests": 1, "submissions": 1 }));

    let (s, _) = h.admin(reqwest::Method::POST, "/reset", None).await;
    assert_eq!(s, 204);
    let (_, stats) = h.admin(reqwest::Method::GET, "/stats", None).await;
    assert_eq!(stats, json!({ "token_requests": 0, "submissions": 0 }));
    let (_, b) = h.admin(reqwest::Method::GET, "/clock", None).await;
    assert_eq!(b["offset_seconds"], 0);
    // Data gone, token kept.
    let (s, b) = h.get(&format!("/particulier?idClient={id}")).await;
    assert_400(s, &b, "ERR_RECHERCHE_PARTICULIER");
}

#[tokio::test]
async fn admin_rejects_bad_input_and_can_be_disabled() {
    let h = start().await;
    let (s, _) = h
        .admin(
            reqwest::Method::PUT,
            "/faults",
            Some(json!({ "no_such_knob": true })),
        )
        .await;
    assert_eq!(s, 400);
    for (knob, rate) in [
        ("error_500_rate", json!(1.5)),
        ("error_503_rate", json!(-0.1)),
        ("error_429_rate", json!(2)),
    ] {
        let (s, b) = h
            .admin(reqwest::Method::PUT, "/faults", Some(json!({ knob: rate })))
            .await;
        assert_eq!(s, 400, "{knob}");
        assert!(b["error"].as_str().unwrap().contains(knob), "{b}");
    }
    let (_, faults) = h.admin(reqwest::Method::GET, "/faults", None).await;
    assert_eq!(
        faults["error_500_rate"], 0.0,
        "a refused value is not stored"
    );
    for rate in [0.0, 1.0] {
        let (s, _) = h
            .admin(
                reqwest::Method::PUT,
                "/faults",
                Some(json!({ "error_429_rate": rate })),
            )
            .await;
        assert_eq!(s, 200);
    }
    h.admin(reqwest::Method::PUT, "/faults", Some(json!({})))
        .await;
    let (s, _) = h
        .admin(
            reqwest::Method::PUT,
            "/payment-requests/11000000000100/status",
            Some(json!({ "code": "999" })),
        )
        .await;
    assert_eq!(s, 400);
    let (s, _) = h
        .admin(
            reqwest::Method::PUT,
            "/payment-requests/11000000000100/status",
            Some(json!({ "code": "40" })),
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = h
        .admin(
            reqwest::Method::PUT,
            "/clients/x/status",
            Some(json!({ "code": "APPAREILLAGE_VALIDE" })),
        )
        .await;
    assert_eq!(s, 404);

    let off = start_with(SimulatorSettings {
        admin_enabled: false,
        ..settings()
    })
    .await;
    let (s, _) = off.admin(reqwest::Method::GET, "/stats", None).await;
    assert_eq!(s, 404);
}

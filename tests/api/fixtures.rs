//! Shared pieces of the public-API tests: a simulator + gateway pair, valid request bodies,
//! an active client registered through the gateway, and the simulator's admin API.
//!
//! Dates: the gateway checks dates against the real clock, the simulator against its own
//! (settable) clock. Invoices are dated in the previous calendar month so that both agree they
//! are in the past, whatever day the tests run.

use chrono::{Datelike, Duration, NaiveDate, Utc};
use reqwest::header::HeaderMap;
use serde_json::{json, Value};
use urssaf_gateway::simulator::SimulatorSettings;

use crate::helpers::*;

/// A simulator knowing tenants A and B, and a gateway in front of it serving both.
pub struct Env {
    pub sim: TestSim,
    pub gw: TestGateway,
    pub http: reqwest::Client,
}

pub fn sim_creds() -> Vec<(&'static str, &'static str)> {
    vec![
        (TENANT_A.client_id, TENANT_A.client_secret),
        (TENANT_B.client_id, TENANT_B.client_secret),
    ]
}

pub async fn env() -> Env {
    env_with(|_| {}, |_| {}, None).await
}

/// `tweak` adjusts the simulator; `vars` the gateway's settings; `redis` gives it a Redis.
pub async fn env_with(
    tweak: impl FnOnce(&mut SimulatorSettings),
    vars: impl FnOnce(&mut Vec<(String, String)>),
    redis: Option<&str>,
) -> Env {
    let sim = spawn_simulator(&sim_creds(), tweak);
    let (mut v, keys) = gateway_vars(&sim.url, &[&TENANT_A, &TENANT_B], redis);
    vars(&mut v);
    let gw = spawn_gateway_with(v, keys).await;
    Env {
        sim,
        gw,
        http: reqwest::Client::new(),
    }
}

/// Status, headers and JSON body (`Null` when empty).
pub async fn read(resp: reqwest::Response) -> (u16, HeaderMap, Value) {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    (status, headers, body)
}

pub fn content_type(h: &HeaderMap) -> &str {
    h.get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Asserts a problem+json answer with the given status and code; returns the body.
pub fn assert_problem(got: &(u16, HeaderMap, Value), status: u16, code: &str) -> Value {
    let (s, h, b) = got;
    assert_eq!(*s, status, "{b}");
    assert_eq!(content_type(h), "application/problem+json", "{b}");
    assert_eq!(b["status"], status, "{b}");
    assert_eq!(b["code"], code, "{b}");
    let id = h.get("x-request-id").and_then(|v| v.to_str().ok());
    assert_eq!(
        b["request_id"].as_str(),
        id,
        "problem and header carry the request id: {b}"
    );
    assert!(id.is_some_and(|i| !i.is_empty()), "{b}");
    b.clone()
}

/// The (pointer, rule) pairs of a problem's `errors`.
pub fn pointers(b: &Value) -> Vec<(String, String)> {
    b["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["pointer"].as_str().unwrap_or("").to_string(),
                        e["rule"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

impl Env {
    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}/__admin{path}", self.sim.url));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let (s, _, b) = read(req.send().await.expect("admin call")).await;
        (s, b)
    }

    pub async fn set_clock(&self, now: chrono::DateTime<Utc>) {
        let (s, b) = self
            .admin(
                reqwest::Method::PUT,
                "/clock",
                Some(json!({ "now": now.to_rfc3339() })),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }

    pub async fn advance(&self, seconds: i64) {
        let (s, b) = self
            .admin(
                reqwest::Method::POST,
                "/clock/advance",
                Some(json!({ "seconds": seconds })),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }

    pub async fn faults(&self, faults: Value) {
        let (s, b) = self
            .admin(reqwest::Method::PUT, "/faults", Some(faults))
            .await;
        assert_eq!(s, 200, "{b}");
    }

    /// What the simulator stored for a registration (`GET /__admin/clients/{id}`).
    pub async fn stored_client(&self, id: &str) -> Value {
        let (s, b) = self
            .admin(reqwest::Method::GET, &format!("/clients/{id}"), None)
            .await;
        assert_eq!(s, 200, "{b}");
        b
    }

    pub async fn set_payment_status(&self, id: &str, body: Value) {
        let (s, b) = self
            .admin(
                reqwest::Method::PUT,
                &format!("/payment-requests/{id}/status"),
                Some(body),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }

    pub async fn register(&self, tenant: &str, body: &Value) -> (u16, HeaderMap, Value) {
        read(
            self.gw
                .post(tenant, "/v1/clients")
                .json(body)
                .send()
                .await
                .expect("gateway answers"),
        )
        .await
    }

    pub async fn get(&self, tenant: &str, path: &str) -> (u16, HeaderMap, Value) {
        read(
            self.gw
                .get(tenant, path)
                .send()
                .await
                .expect("gateway answers"),
        )
        .await
    }

    pub async fn post(&self, tenant: &str, path: &str, body: &Value) -> (u16, HeaderMap, Value) {
        read(
            self.gw
                .post(tenant, path)
                .json(body)
                .send()
                .await
                .expect("gateway answers"),
        )
        .await
    }

    pub async fn submit(&self, tenant: &str, invoices: Vec<Value>) -> (u16, HeaderMap, Value) {
        self.post(
            tenant,
            "/v1/payment-requests",
            &json!({ "invoices": invoices }),
        )
        .await
    }

    pub async fn submit_with_key(
        &self,
        tenant: &str,
        key: &str,
        body: &Value,
    ) -> (u16, HeaderMap, Value) {
        read(
            self.gw
                .post(tenant, "/v1/payment-requests")
                .header("Idempotency-Key", key)
                .json(body)
                .send()
                .await
                .expect("gateway answers"),
        )
        .await
    }

    pub async fn search(&self, tenant: &str, body: Value) -> (u16, HeaderMap, Value) {
        self.post(tenant, "/v1/payment-requests/search", &body)
            .await
    }

    /// Registers [`client_body`] through the gateway with the simulator clock at the first of
    /// last month (activation is immediate), then moves the clock to the 20th of last month,
    /// noon, so [`invoice`] dates are valid for both clocks. Returns the client id.
    pub async fn active_client(&self, tenant: &str) -> String {
        self.set_clock(at(month_start(), 0)).await;
        let (s, _, b) = self.register(tenant, &client_body()).await;
        assert_eq!(s, 201, "{b}");
        assert_eq!(b["account"]["state"], "active", "{b}");
        self.set_clock(at(last_month(20), 12)).await;
        b["client_id"].as_str().expect("client_id").to_string()
    }
}

/// The first day of the previous calendar month.
pub fn month_start() -> NaiveDate {
    let today = Utc::now().date_naive();
    let first = today.with_day(1).expect("day 1");
    (first - Duration::days(1)).with_day(1).expect("day 1")
}

/// Day `day` of the previous calendar month.
pub fn last_month(day: u32) -> NaiveDate {
    month_start().with_day(day).expect("valid day")
}

/// `d` at `hour`:00:00 UTC.
pub fn at(d: NaiveDate, hour: u32) -> chrono::DateTime<Utc> {
    d.and_hms_opt(hour, 0, 0).expect("valid time").and_utc()
}

pub fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A valid registration, with a unique e-mail (the simulator refuses a reused e-mail/phone pair).
pub fn client_body() -> Value {
    json!({
        "title": "mrs",
        "birth_name": "Durand",
        "usage_name": "Martin",
        "first_names": "Jeanne Marie",
        "birth_date": "1980-03-29",
        "birth_place": { "country_code": "99100", "commune_code": "44109", "commune_name": "Nantes" },
        "mobile_phone": "06 05 04 03 02",
        "email": format!("jeanne.{}@example.org", uuid::Uuid::new_v4().simple()),
        "address": {
            "street_number": "12", "street_letter": "bis", "street_type": "R", "street_name": "de la Paix",
            "complement": null, "locality": null,
            "commune_code": "44109", "commune_name": "Nantes", "postal_code": "44000", "country_code": "99100"
        },
        "bank_account": { "iban": "FR76 3000 4000 0312 3456 7890 143", "bic": "BNPAFRPP", "holder": "Mme Jeanne Durand" }
    })
}

/// A valid invoice for a client from [`Env::active_client`]: 2 h at 25.00 €, 10 % VAT, total
/// 50.00, services from the 2nd to the 15th of last month, invoiced on the 16th.
pub fn invoice(client_id: &str, number: &str) -> Value {
    json!({
        "invoice_number": number,
        "invoice_date": iso(last_month(16)),
        "client_id": client_id,
        "client_birth_date": "1980-03-29",
        "lines": [{
            "nature_code": "60", "activity_code": null, "quantity": "2", "unit": "hour",
            "unit_price": "25.00", "vat_rate": "10",
            "service_start": iso(last_month(2)), "service_end": iso(last_month(15)),
            "description": "Ménage"
        }]
    })
}

/// A unique invoice number.
pub fn number(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

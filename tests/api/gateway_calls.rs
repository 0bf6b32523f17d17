//! [`TestApp`]'s calls to the public API (through its first gateway), and reading answers.

use serde_json::{json, Value};

use crate::fixtures::{at, client_body, invoice, iso, last_month, month_start, number};
use crate::helpers::{Answer, TestApp, TENANT_A};

impl TestApp {
    pub async fn register(&self, tenant: &str, body: &Value) -> Answer {
        self.post(tenant, "/v1/clients", body).await
    }

    pub async fn get(&self, tenant: &str, path: &str) -> Answer {
        read(
            self.gw()
                .get(tenant, path)
                .send()
                .await
                .expect("gateway answers"),
        )
        .await
    }

    pub async fn post(&self, tenant: &str, path: &str, body: &Value) -> Answer {
        let req = self.gw().post(tenant, path).json(body);
        read(req.send().await.expect("gateway answers")).await
    }

    pub async fn submit(&self, tenant: &str, invoices: Vec<Value>) -> Answer {
        let body = json!({ "invoices": invoices });
        self.post(tenant, "/v1/payment-requests", &body).await
    }

    pub async fn submit_with_key(&self, tenant: &str, key: &str, body: &Value) -> Answer {
        let req = self
            .gw()
            .post(tenant, "/v1/payment-requests")
            .header("Idempotency-Key", key)
            .json(body);
        read(req.send().await.expect("gateway answers")).await
    }

    pub async fn search(&self, tenant: &str, body: Value) -> Answer {
        self.post(tenant, "/v1/payment-requests/search", &body)
            .await
    }

    /// `GET /v1/payment-requests/{id}` for tenant A, expected to answer 200.
    pub async fn status_of(&self, id: &str) -> Value {
        let path = format!("/v1/payment-requests/{id}");
        let (s, _, b) = self.get(TENANT_A.id, &path).await;
        assert_eq!(s, 200, "{b}");
        b
    }

    /// Registers [`client_body`] through the gateway with the simulator clock at the first of
    /// last month (activation is immediate), then moves the clock to the 20th of last month,
    /// noon, so [`invoice`] dates are valid for both clocks. Returns the client id.
    pub async fn active_client(&self, tenant: &str) -> String {
        self.set_clock(&at(month_start(), 0)).await;
        let (s, _, b) = self.register(tenant, &client_body()).await;
        assert_eq!(s, 201, "{b}");
        assert_eq!(b["account"]["state"], "active", "{b}");
        self.set_clock(&at(last_month(20), 12)).await;
        b["client_id"].as_str().expect("client_id").to_string()
    }

    /// Submits for tenant A one invoice per invoice date (day of last month); returns the
    /// (invoice number, payment-request id) pairs.
    pub async fn seed(&self, client: &str, days: &[u32]) -> Vec<(String, String)> {
        let invoices: Vec<Value> = days
            .iter()
            .map(|d| {
                let mut inv = invoice(client, &number("S"));
                inv["invoice_date"] = json!(iso(last_month(*d)));
                inv
            })
            .collect();
        let (s, _, b) = self.submit(TENANT_A.id, invoices).await;
        assert_eq!(s, 200, "{b}");
        let results = b["results"].as_array().expect("results");
        results
            .iter()
            .map(|r| {
                let id = &r["payment_request"]["id"];
                (text(&r["invoice_number"]), text(id))
            })
            .collect()
    }
}

/// A string of an answer.
pub fn text(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_string()
}

/// The sorted ids of a public search answer.
pub fn found_ids(b: &Value) -> Vec<String> {
    let mut ids: Vec<String> = b["payment_requests"]
        .as_array()
        .unwrap_or_else(|| panic!("no payment_requests: {b}"))
        .iter()
        .map(|p| text(&p["id"]))
        .collect();
    ids.sort();
    ids
}

/// Status, headers and JSON body (`Null` when empty).
pub async fn read(resp: reqwest::Response) -> Answer {
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

/// The JSON body of a GET on `url` (no credentials).
pub async fn get_json(http: &reqwest::Client, url: &str) -> Value {
    let (s, _, b) = read(http.get(url).send().await.expect("answer")).await;
    assert_eq!(s, 200, "{url}: {b}");
    b
}

//! [`TestApp`]'s calls to the simulator: its admin API, and Urssaf's own endpoints called
//! straight with a token, as a billing tool without the gateway would.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::fixtures::{demande, particulier, BASE, T0};
use crate::helpers::{read, text, TenantSpec, TestApp};

impl TestApp {
    // ---------------------------------------------------------------- admin API

    pub async fn admin(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .request(method, format!("{}/__admin{path}", self.sim_url));
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.sim_send(req).await
    }

    /// An admin call expected to answer 200; returns the body.
    pub async fn admin_ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (s, b) = self.admin(method, path, body).await;
        assert_eq!(s, 200, "{path}: {b}");
        b
    }

    /// Sets the simulated clock (RFC 3339).
    pub async fn set_clock(&self, now: &str) {
        let body = json!({ "now": now });
        self.admin_ok(Method::PUT, "/clock", Some(body)).await;
    }

    pub async fn advance(&self, seconds: i64) {
        let body = json!({ "seconds": seconds });
        self.admin_ok(Method::POST, "/clock/advance", Some(body))
            .await;
    }

    pub async fn faults(&self, faults: Value) {
        self.admin_ok(Method::PUT, "/faults", Some(faults)).await;
    }

    /// What the simulator stored for a registration.
    pub async fn stored_client(&self, id: &str) -> Value {
        let path = format!("/clients/{id}");
        self.admin_ok(Method::GET, &path, None).await
    }

    pub async fn set_client_status(&self, id: &str, body: Value) {
        let path = format!("/clients/{id}/status");
        self.admin_ok(Method::PUT, &path, Some(body)).await;
    }

    /// Forces a payment request's status; returns the simulator's view of it.
    pub async fn set_payment_status(&self, id: &str, body: Value) -> Value {
        let path = format!("/payment-requests/{id}/status");
        self.admin_ok(Method::PUT, &path, Some(body)).await
    }

    /// The simulator forgets every token it issued.
    pub async fn revoke_tokens(&self) {
        let (s, b) = self.admin(Method::POST, "/tokens/revoke", None).await;
        assert_eq!(s, 204, "{b}");
    }

    // ---------------------------------------------------------------- Urssaf's endpoints

    /// A token from the simulator's token endpoint (form credentials).
    pub async fn token_for(&self, (id, secret): (&str, &str)) -> String {
        let req = self
            .http
            .post(format!("{}/api/oauth/v1/token", self.sim_url))
            .form(&[
                ("grant_type", "client_credentials"),
                ("scope", "homeplus.tiersprestations"),
                ("client_id", id),
                ("client_secret", secret),
            ]);
        let (s, b) = self.sim_send(req).await;
        assert_eq!(s, 200, "{b}");
        text(&b["access_token"])
    }

    /// Sends and returns (status, JSON body or Null when empty).
    pub async fn sim_send(&self, req: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let (s, _, b) = read(req.send().await.expect("simulator answers")).await;
        (StatusCode::from_u16(s).expect("status"), b)
    }

    /// A request to one of Urssaf's endpoints with `token`.
    pub fn sim_request_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        let url = format!("{}{BASE}{path}", self.sim_url);
        self.http.request(method, url).bearer_auth(token)
    }

    /// A request to one of Urssaf's endpoints with tenant A's token.
    pub fn sim_request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.sim_request_as(&self.token, method, path)
    }

    pub async fn sim_post_as(&self, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        let req = self.sim_request_as(token, Method::POST, path).json(body);
        self.sim_send(req).await
    }

    pub async fn sim_post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.sim_post_as(&self.token, path, body).await
    }

    /// Posts `body` as is, announced as JSON.
    pub async fn sim_post_raw(&self, path: &str, body: &str) -> (StatusCode, Value) {
        let req = self.sim_request(Method::POST, path);
        let req = req.header("content-type", "application/json");
        self.sim_send(req.body(body.to_string())).await
    }

    pub async fn sim_get_as(&self, token: &str, path_and_query: &str) -> (StatusCode, Value) {
        let req = self.sim_request_as(token, Method::GET, path_and_query);
        self.sim_send(req).await
    }

    pub async fn sim_get(&self, path_and_query: &str) -> (StatusCode, Value) {
        self.sim_get_as(&self.token, path_and_query).await
    }

    /// E1 expected to succeed; returns the `idClient`.
    pub async fn sim_register(&self, token: &str, body: &Value) -> String {
        let (s, b) = self.sim_post_as(token, "/particulier", body).await;
        assert_eq!(s, 200, "{b}");
        text(&b["idClient"])
    }

    /// Registers a client for `tenant` with a token of its own, so that gateways start cold.
    pub async fn register_at_simulator(&self, tenant: &TenantSpec) -> String {
        let token = self
            .token_for((tenant.client_id, tenant.client_secret))
            .await;
        self.sim_register(&token, &particulier()).await
    }

    /// Registers [`particulier`] at T0 (activation immediate), then moves the clock to the
    /// 20th of the month so that [`demande`] dates are valid.
    pub async fn sim_active_client(&self) -> String {
        self.set_clock(T0).await;
        let id = self.sim_register(&self.token, &particulier()).await;
        self.set_clock("2026-03-20T12:00:00Z").await;
        id
    }

    pub async fn sim_submit(&self, demandes: &Value) -> (StatusCode, Value) {
        self.sim_post("/demandePaiement", demandes).await
    }

    pub async fn sim_search(&self, body: Value) -> (StatusCode, Value) {
        self.sim_post("/demandePaiement/rechercher", &body).await
    }

    /// Submits demandes numbered `F-<n>` invoiced on the given days of March 2026; returns ids.
    pub async fn sim_seed(&self, id: &str, days: &[u32]) -> Vec<String> {
        let mut out = Vec::new();
        for (n, day) in days.iter().enumerate() {
            let mut d = demande(id, &format!("F-{n}"));
            d["dateFacture"] = json!(format!("2026-03-{day:02}T00:00:00Z"));
            let (s, b) = self.sim_submit(&json!([d])).await;
            assert_eq!(s, 200, "{b}");
            out.push(text(&b[0]["idDemandePaiement"]));
        }
        out
    }

    /// The simulator's search result for one payment request (expected found).
    pub async fn sim_status_of(&self, dp: &str) -> Value {
        let (s, b) = self.sim_search(json!({ "idDemandePaiements": [dp] })).await;
        assert_eq!(s, 200, "{b}");
        b["infoDemandePaiements"][0].clone()
    }
}

/// The ids of a simulator search answer, in its order.
pub fn sim_found_ids(b: &Value) -> Vec<String> {
    b["infoDemandePaiements"]
        .as_array()
        .unwrap_or_else(|| panic!("no infoDemandePaiements: {b}"))
        .iter()
        .map(|i| text(&i["idDemandePaiement"]))
        .collect()
}

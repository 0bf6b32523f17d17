//! The embedded default's demo: with no configuration at all, one tenant whose key is made at
//! start, and one registered client, so that the first call a newcomer makes answers 200.

use std::sync::Arc;

use secrecy::SecretString;

use crate::config::{Environment, KeyHash, TenantSettings};
use crate::domain::client::registration;
use crate::service::clients;
use crate::tenant::Tenant;
use crate::urssaf::UrssafClient;
use crate::webhook_endpoint::WebhookEndpoint;

pub const TENANT_ID: &str = crate::config::DEMO_TENANT_ID;
pub const CLIENT_ID: &str = "demo-client";
pub const WORKER_ID: &str = "SAP123456789";
/// The seeded client's e-mail: the banner's example call looks it up.
pub const CLIENT_EMAIL: &str = registration::EXAMPLE.email;

/// The demo tenant, acting for `api_key`, on the in-process simulator, with the webhook set by
/// `tenants.demo.webhook_url` and `webhook_secret` if any.
pub fn tenant(api_key: &str, webhook: Option<WebhookEndpoint>) -> TenantSettings {
    TenantSettings {
        client_id: CLIENT_ID.into(),
        client_secret: SecretString::from(uuid::Uuid::new_v4().simple().to_string()),
        api_key_hashes: vec![KeyHash::of(api_key)],
        billing_id: Some(TENANT_ID.into()),
        worker_id: Some(WORKER_ID.into()),
        environment: Some(Environment::Embedded),
        max_concurrent: None,
        rate_per_second: None,
        webhook,
    }
}

/// A new demo API key.
pub fn new_api_key() -> String {
    format!("demo-{}", uuid::Uuid::new_v4().simple())
}

/// Registers the API sketch's household with the simulator. A failure only costs the demo
/// its example client: logged, never fatal.
pub async fn seed_client(urssaf: &UrssafClient, tenant: &Arc<Tenant>) {
    let today = chrono::Utc::now().date_naive();
    match clients::register(urssaf, tenant, &registration::EXAMPLE, today).await {
        Ok(r) => tracing::info!(client_id = %r.client_id, "demo client registered"),
        Err(e) => tracing::warn!(error = %e, "demo client not registered"),
    }
}

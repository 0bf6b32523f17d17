//! The embedded default's demo: with no configuration at all, one tenant whose key is made at
//! start, and one registered client, so that the first call a newcomer makes answers 200.

use std::sync::Arc;

use crate::domain::client::registration;
use crate::service::clients;
use crate::tenant::Tenant;
use crate::urssaf::UrssafClient;

pub const TENANT_ID: &str = "demo";
pub const CLIENT_ID: &str = "demo-client";
pub const WORKER_ID: &str = "SAP123456789";
/// The seeded client's e-mail: the banner's example call looks it up.
pub const CLIENT_EMAIL: &str = registration::EXAMPLE.email;

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

//! The embedded default's demo: with no configuration at all, one tenant whose key is made at
//! start, and one registered client, so that the first call a newcomer makes answers 200.

use std::sync::Arc;

use crate::domain::client::address::AddressInput;
use crate::domain::client::birthplace::BirthplaceInput;
use crate::domain::client::{BankAccountInput, RegistrationInput, Title};
use crate::service::clients;
use crate::tenant::Tenant;
use crate::urssaf::UrssafClient;

pub const TENANT_ID: &str = "demo";
pub const CLIENT_ID: &str = "demo-client";
pub const WORKER_ID: &str = "SAP123456789";
/// The seeded client's e-mail: the banner's example call looks it up.
pub const CLIENT_EMAIL: &str = "jeanne.durand@example.org";

/// A new demo API key.
pub fn new_api_key() -> String {
    format!("demo-{}", uuid::Uuid::new_v4().simple())
}

/// Registers the API sketch's household with the simulator. A failure only costs the demo
/// its example client: logged, never fatal.
pub async fn seed_client(urssaf: &UrssafClient, tenant: &Arc<Tenant>) {
    let input = RegistrationInput {
        title: Title::Mrs,
        birth_name: "Durand",
        usage_name: None,
        first_names: "Jeanne Marie",
        birth_date: "1980-03-29",
        birth_place: BirthplaceInput {
            country_code: Some("99100"),
            commune_code: Some("44109"),
            commune_name: Some("Nantes"),
        },
        mobile_phone: "0605040302",
        email: CLIENT_EMAIL,
        address: AddressInput {
            street_number: Some("1"),
            street_type: Some("R"),
            street_name: Some("de la Paix"),
            commune_code: "44109",
            commune_name: "Nantes",
            postal_code: "44000",
            ..Default::default()
        },
        bank_account: BankAccountInput {
            iban: "FR7630004000031234567890143",
            bic: "BNPAFRPP",
            holder: "Mme Jeanne Durand",
        },
        normalize_names: false,
    };
    let today = chrono::Utc::now().date_naive();
    match clients::register(urssaf, tenant, &input, today).await {
        Ok(r) => tracing::info!(client_id = %r.client_id, "demo client registered"),
        Err(e) => tracing::warn!(error = %e, "demo client not registered"),
    }
}

//! Households: register one with Urssaf, read its account status.

use std::sync::Arc;

use chrono::NaiveDate;

use super::{check_id, ServiceError};
use crate::domain::client::contact::Email;
use crate::domain::client::{AccountStatus, ClientRecord, Registration, RegistrationInput};
use crate::tenant::Tenant;
use crate::urssaf::{ClientKey, UrssafClient};

/// A registration Urssaf took.
#[derive(Debug, Clone)]
pub struct Registered {
    pub client_id: String,
    /// Read right after registration; `unknown` when that read failed (the registration
    /// itself stands).
    pub account: AccountStatus,
}

/// Checks every field, registers the client (E1), then reads its status (E2).
pub async fn register(
    urssaf: &UrssafClient,
    tenant: &Arc<Tenant>,
    input: &RegistrationInput<'_>,
    today: NaiveDate,
) -> Result<Registered, ServiceError> {
    let registration = Registration::parse(input, today)?;
    let client_id = urssaf.register_client(tenant, &registration).await?;
    let account = match urssaf
        .client_status(tenant, ClientKey::Id(&client_id))
        .await
    {
        Ok(record) => record.account,
        Err(e) => {
            tracing::warn!(error = %e, "status read after registration failed");
            AccountStatus::unknown()
        }
    };
    Ok(Registered { client_id, account })
}

/// A client by Urssaf id (E2 `idClient`).
pub async fn get(
    urssaf: &UrssafClient,
    tenant: &Arc<Tenant>,
    client_id: &str,
) -> Result<ClientRecord, ServiceError> {
    check_id(
        client_id,
        b"-",
        "/client_id",
        "client_id",
        "must be the client id Urssaf answered at registration: 1 to 50 letters, digits or '-'",
    )?;
    Ok(urssaf
        .client_status(tenant, ClientKey::Id(client_id))
        .await?)
}

/// A client by e-mail (E2 `adresseMail`).
pub async fn find_by_email(
    urssaf: &UrssafClient,
    tenant: &Arc<Tenant>,
    email: &str,
) -> Result<ClientRecord, ServiceError> {
    let email = Email::parse(email, "/email")?;
    Ok(urssaf
        .client_status(tenant, ClientKey::Email(&email))
        .await?)
}

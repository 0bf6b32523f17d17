//! M010 and M020: the test person registered, then its status read until it is active.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;

use super::failure::{failure_of, status_text};
use super::StepResult;
use crate::api::dto::clients::RegisterClientRequest;
use crate::campaign::report::Failure;
use crate::domain::client::{AccountState, AccountStatus};
use crate::service::{clients, ServiceError};
use crate::tenant::Tenant;
use crate::urssaf::{UpstreamError, UrssafClient, UrssafCode};

const ACTIVATION_HINT: &str = "A new client activates the particulier.urssaf.fr account from Urssaf's e-mail; a client already known to Urssaf accepts the link in that space. In the sandbox the link is normally validated quickly: run the campaign again with a longer --activation-wait. Against the simulator: simulator.activation_delay_seconds (0 = at once) or PUT /__admin/clients/{id}/status.";

pub(super) async fn m010(
    urssaf: &UrssafClient,
    tenant: &Arc<Tenant>,
    identity: &RegisterClientRequest,
    notes: &mut Vec<String>,
) -> StepResult<String> {
    let today = Utc::now().date_naive();
    match clients::register(urssaf, tenant, &identity.input(), today).await {
        Ok(r) => {
            let outcome = format!(
                "Urssaf registered the person: idClient {}; status read right after: {}",
                r.client_id,
                status_text(&r.account)
            );
            Ok((r.client_id, outcome))
        }
        Err(e) => {
            if matches!(e, ServiceError::Upstream(UpstreamError::Token(_))) {
                notes.push(format!(
                    "The token request to {} (client credentials of tenant {}) failed before any API call: no Urssaf API exchange took place.",
                    tenant.endpoints.token_url, tenant.id
                ));
            }
            Err(failure_of(&e))
        }
    }
}

pub(super) async fn m020(
    urssaf: &UrssafClient,
    tenant: &Arc<Tenant>,
    client_id: &str,
    wait: Duration,
) -> StepResult<AccountStatus> {
    let deadline = Instant::now() + wait;
    let every = (wait / 10).clamp(Duration::from_secs(1), Duration::from_secs(10));
    let mut reads = 0;
    loop {
        reads += 1;
        let account = match clients::get(urssaf, tenant, client_id).await {
            Ok(record) => record.account,
            Err(e) => return Err(failure_of(&e)),
        };
        if account.can_receive_payment_requests {
            let outcome = format!(
                "active after {reads} status read(s): {}",
                status_text(&account)
            );
            return Ok((account, outcome));
        }
        let terminal = matches!(
            account.state,
            AccountState::NotFinalized | AccountState::Blocked | AccountState::MandateExpired
        );
        let now = Instant::now();
        if terminal || now >= deadline {
            let problem = if terminal {
                format!(
                    "the client's account cannot receive payment requests: {}",
                    status_text(&account)
                )
            } else {
                format!(
                    "the client is still not active after {} s ({reads} status reads): {}",
                    wait.as_secs(),
                    status_text(&account)
                )
            };
            let hint = match account.state {
                AccountState::NotFinalized => Some("The activation was not finalised in time: register the client again (the campaign's M010)."),
                AccountState::Blocked => UrssafCode::ErrCmptBloque.hint(),
                AccountState::MandateExpired => UrssafCode::ErrMandatEchu.hint(),
                _ => Some(ACTIVATION_HINT),
            };
            return Err(Failure {
                urssaf_code: Some(account.raw.code.clone()),
                urssaf_message: Some(account.raw.description.clone()),
                problem,
                hint: hint.map(str::to_string),
                fields: Vec::new(),
            });
        }
        tokio::time::sleep(every.min(deadline - now)).await;
    }
}

//! What the `check` and `campaign` commands need to speak to Urssaf the way the gateway does:
//! the configured tenants and an Urssaf client, without any listener.
//!
//! Tokens are fetched afresh (no Redis): a check must test the credentials themselves, not a
//! token a running gateway cached. The payment requests a campaign submits are added to the
//! events watch lists as the API's are (in Redis when one is configured, where a running
//! gateway's poller follows them; otherwise in this process only). The embedded environment without `upstream.base_url` gets
//! an in-process simulator knowing the tenants' credentials (a rehearsal with nothing else
//! running); with no tenant configured there, a `demo` tenant is made, as `serve` does.

use std::sync::Arc;
use std::time::Duration;

use crate::config::Settings;
use crate::events::webhook::{Deliveries, WebhookSink};
use crate::events::Events;
use crate::metrics::Metrics;
use crate::redis_store::RedisStore;
use crate::tenant::registry::Factory;
use crate::tenant::{Tenant, TenantRegistry};
use crate::token::TokenProvider;
use crate::urssaf::client::{http_client, UrssafClient};
use crate::urssaf::wire::BASE_PATH;

pub struct Rig {
    pub tenants: Vec<Arc<Tenant>>,
    pub urssaf: UrssafClient,
    pub metrics: Metrics,
    /// The watch lists the submit use case adds accepted payment requests to, as the gateway's.
    pub events: Arc<Events>,
    /// Address of the in-process simulator, when one was started.
    pub simulator: Option<String>,
}

impl Rig {
    /// The tenants as the gateway would build them (configuration, tenants directory, or the
    /// demo tenant), read once.
    pub async fn build(settings: &Settings) -> Result<Rig, Vec<String>> {
        let problems = settings.problems();
        if !problems.is_empty() {
            return Err(problems);
        }
        let start = crate::embedded::tenant_start(settings, false).map_err(|e| vec![e])?;
        let local = start.simulator.as_ref().and(start.embedded_host.clone());
        // The factory gives the in-process simulator each embedded tenant's credentials.
        let factory = Factory::new(
            settings.clone(),
            start.embedded_host.clone(),
            start.credentials(),
        );
        let fixed = start.fixed;
        let registry = Arc::new(TenantRegistry::start(factory, fixed).await);
        let tenants = registry.current().iter().cloned().collect();
        let metrics = Metrics::new();
        let events = watch_lists(settings, registry, &metrics)?;
        let http =
            http_client(&settings.upstream).map_err(|e| vec![format!("http client: {e}")])?;
        let tokens = TokenProvider::new(
            http.clone(),
            None,
            &settings.token,
            settings.upstream.token_auth,
            Duration::from_millis(settings.upstream.token_timeout_ms),
            metrics.clone(),
        );
        let urssaf = UrssafClient::new(http, tokens, &settings.upstream, metrics.clone());
        Ok(Rig {
            tenants,
            urssaf,
            metrics,
            events,
            simulator: local,
        })
    }

    /// The tenant with this id, or a line naming the ones configured.
    pub fn tenant(&self, id: &str) -> Result<Arc<Tenant>, String> {
        let wanted = id.to_lowercase();
        self.tenants
            .iter()
            .find(|t| t.id == wanted)
            .cloned()
            .ok_or_else(|| {
                let known: Vec<&str> = self.tenants.iter().map(|t| t.id.as_str()).collect();
                format!(
                    "--tenant {id}: no such tenant (configured: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                )
            })
    }
}

/// The events as the gateway builds them, without their poller nor the webhook worker: the
/// campaign only adds to the watch lists and detects no change itself.
fn watch_lists(
    settings: &Settings,
    registry: Arc<TenantRegistry>,
    metrics: &Metrics,
) -> Result<Arc<Events>, Vec<String>> {
    let store = RedisStore::new(&settings.redis, metrics.clone()).map_err(|e| vec![e])?;
    let deliveries = Deliveries::new(store.clone(), registry, &settings.events, metrics.clone());
    Ok(Events::new(
        settings.events.clone(),
        store,
        metrics.clone(),
        Arc::new(WebhookSink::new(deliveries)),
        crate::api::dto::events::render,
    ))
}

/// The Urssaf host of a tenant (its API base without Urssaf's base path).
pub fn host_of(tenant: &Tenant) -> &str {
    let base = tenant.endpoints.api_base.as_str();
    base.strip_suffix(BASE_PATH).unwrap_or(base)
}

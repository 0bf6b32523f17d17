//! The current set of tenants, swapped whole when the tenants directory changes.
//!
//! Tenants from the configuration (and the demo tenant) are fixed at start; those of the
//! tenants directory are read again on SIGHUP, on an admin reload, and whenever the
//! directory's listing changes (looked at every `tenants_reload_seconds`: polling, because a
//! Kubernetes Secret volume is updated by swapping a symlink, which file watchers miss). A
//! file that does not parse, or whose id or keys clash with another tenant (see [`claims`]),
//! is refused with a log line and its previous version, if any, kept. A directory that cannot
//! be read, or that reads empty after having held tenants (an unmounted volume looks so),
//! changes nothing: the set last loaded stays, with an error line and
//! `urssaf_gateway_tenant_source_up{source="directory"} 0`. Requests hold the tenant they started
//! with, so a removed tenant's calls in flight finish, while its keys stop working at the swap.
//!
//! [`claims`]: super::claims

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use secrecy::SecretString;
use serde::Serialize;

use super::claims::{resolve, Candidates};
use super::directory::{self, DirRead, Listing};
use super::{Endpoints, Source, Tenant, TenantLimiter, TenantSpec, Tenants};
use crate::config::{Environment, LimitSettings, Settings, TenantSettings};
use crate::fleet::FleetSize;
use crate::metrics::Metrics;

/// The in-process simulator, as the registry sees it: each tenant of the embedded
/// environment, including those added while the gateway runs, must be known to it.
pub trait EmbeddedCredentials: Send + Sync {
    fn add_credentials(&self, client_id: &str, secret: &SecretString);
}

/// What a tenant is built from besides its own settings.
pub struct Factory {
    settings: Settings,
    /// The in-process simulator's address, when tenants use it.
    embedded_host: Option<String>,
    /// The in-process simulator: tenants added later must be known to it too.
    simulator: Option<Arc<dyn EmbeddedCredentials>>,
    metrics: Option<Metrics>,
    /// The live replica count the tenants' rates are split by.
    fleet: FleetSize,
}

pub struct TenantRegistry {
    current: ArcSwap<Tenants>,
    factory: Factory,
    fixed: Vec<(String, TenantSettings, Source)>,
    dir: Option<PathBuf>,
    state: tokio::sync::Mutex<DirState>,
}

#[derive(Default)]
struct DirState {
    /// The last good settings of each file, by tenant id.
    good: BTreeMap<String, TenantSettings>,
    listing: Option<Listing>,
}

/// What a reload did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct ReloadReport {
    pub tenants: usize,
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
    /// Files refused, each with its problems.
    pub rejected: BTreeMap<String, Vec<String>>,
    /// Refused tenants whose previous version stays in use (the others are not loaded).
    pub kept: Vec<String>,
    /// Why the directory was not read at all (the set last loaded stays).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Factory {
    pub fn new(
        settings: Settings,
        embedded_host: Option<String>,
        simulator: Option<Arc<dyn EmbeddedCredentials>>,
    ) -> Factory {
        Factory {
            settings,
            embedded_host,
            simulator,
            metrics: None,
            fleet: FleetSize::default(),
        }
    }

    /// Reports the directory's health (`urssaf_gateway_tenant_source_up`, failed reloads).
    pub fn with_metrics(mut self, metrics: Metrics) -> Factory {
        self.metrics = Some(metrics);
        self
    }

    /// Tenants' rate limits are split between the replicas `fleet` counts.
    pub fn shared_by(mut self, fleet: FleetSize) -> Factory {
        self.fleet = fleet;
        self
    }

    fn limits(&self) -> &LimitSettings {
        &self.settings.limits
    }

    fn build(
        &self,
        id: &str,
        t: &TenantSettings,
        source: Source,
        previous: Option<&Arc<Tenant>>,
    ) -> Arc<Tenant> {
        let environment = t.environment.unwrap_or(self.settings.upstream.environment);
        if environment == Environment::Embedded {
            if let Some(sim) = &self.simulator {
                sim.add_credentials(&t.client_id, &t.client_secret);
            }
        }
        let l = self.limits();
        let limiter = TenantLimiter::new(
            t.max_concurrent.unwrap_or(l.tenant_concurrency),
            t.rate_per_second.unwrap_or(l.tenant_rate_per_second),
            l.tenant_burst,
        )
        .shared_by(self.fleet.clone());
        let tenant = Tenant::new(
            TenantSpec {
                id: id.to_string(),
                client_id: t.client_id.clone(),
                client_secret: t.client_secret.clone(),
                environment,
                endpoints: self.endpoints(environment),
                billing_id: t.billing_id.clone().unwrap_or_else(|| id.to_string()),
                worker_id: t.worker_id.clone(),
                key_hashes: t.api_key_hashes.clone(),
                source,
                webhook: t.webhook.clone(),
                private_webhooks: self.settings.private_targets_allowed(t),
            },
            previous.map(|p| p.health.clone()).unwrap_or_default(),
            Arc::new(limiter),
        );
        match previous {
            // Unchanged: keep the very same tenant (its limiter counts on).
            Some(p) if p.same_as(&tenant) => p.clone(),
            _ => Arc::new(tenant),
        }
    }

    fn endpoints(&self, env: Environment) -> Endpoints {
        let u = &self.settings.upstream;
        let mut e = match env.preset_host() {
            Some(host) => Endpoints::for_host(host),
            None => Endpoints::for_host(
                self.embedded_host
                    .as_deref()
                    .unwrap_or("http://127.0.0.1:1"),
            ),
        };
        // Hand-set URLs apply to the default environment (a proxy, a private simulator…).
        if env == u.environment {
            if let Some(base) = &u.base_url {
                e.api_base = Endpoints::for_host(base.as_base()).api_base;
                if u.token_url.is_none() {
                    e.token_url = Endpoints::for_host(base.as_base()).token_url;
                }
            }
            if let Some(t) = &u.token_url {
                e.token_url = t.as_base().to_string();
            }
        }
        e
    }
}

impl TenantRegistry {
    /// The fixed tenants, then a first read of the directory: a bad file there does not stop
    /// the start (it is logged and left out), a clash among fixed tenants does (see
    /// `Settings::problems`).
    pub async fn start(
        factory: Factory,
        fixed: Vec<(String, TenantSettings, Source)>,
    ) -> TenantRegistry {
        let dir = factory.settings.tenants_dir.clone();
        let registry = TenantRegistry {
            current: ArcSwap::from_pointee(Tenants::default()),
            factory,
            fixed,
            dir,
            state: tokio::sync::Mutex::new(DirState::default()),
        };
        registry.reload().await;
        registry
    }

    /// The tenants now; a request keeps the set it started with.
    pub fn current(&self) -> Arc<Tenants> {
        self.current.load_full()
    }

    pub fn authenticate(&self, key: &str) -> Option<Arc<Tenant>> {
        self.current.load().authenticate(key)
    }

    /// Reads the directory again and swaps in the new set.
    pub async fn reload(&self) -> ReloadReport {
        let mut state = self.state.lock().await;
        let previous = self.current.load_full();
        let read = match &self.dir {
            None => DirRead::Read {
                listing: None,
                candidates: Candidates::new(),
            },
            Some(dir) => {
                let (dir, max) = (dir.clone(), self.factory.settings.tenants_max_file_bytes);
                tokio::task::spawn_blocking(move || directory::read(&dir, max))
                    .await
                    .unwrap_or_else(|_| DirRead::Unreadable("reading it failed".into()))
            }
        };
        let (listing, mut candidates) = match read {
            DirRead::Unreadable(why) => {
                // Looked at again when it reappears (its listing then changes).
                state.listing = None;
                return self.keep(&previous, format!("tenants directory unreadable ({why})"));
            }
            DirRead::Read {
                listing,
                candidates,
            } if candidates.is_empty() && !state.good.is_empty() => {
                state.listing = listing;
                return self.keep(&previous, "tenants directory read empty after holding tenants (an unmounted volume?); a restart starts without them".into());
            }
            DirRead::Read {
                listing,
                candidates,
            } => (listing, candidates),
        };
        self.source_up(true);
        // Directory tenants pass the configuration's webhook check, per tenant.
        for (id, parsed) in candidates.iter_mut() {
            let refusal = parsed
                .as_ref()
                .ok()
                .and_then(|t| self.factory.settings.webhook_refusal(t));
            if let Some(why) = refusal {
                *parsed = Err(vec![format!("tenants.{id}.webhook_url: {why}")]);
            }
        }
        let mut accepted: Vec<Arc<Tenant>> = self
            .fixed
            .iter()
            .map(|(id, t, source)| self.factory.build(id, t, *source, previous.get(id)))
            .collect();
        let ids: HashSet<String> = accepted.iter().map(|t| t.id.clone()).collect();
        let mut owners: HashMap<[u8; 32], String> = HashMap::new();
        for t in &accepted {
            for h in t.key_hashes() {
                owners.entry(h.0).or_insert_with(|| t.id.clone());
            }
        }
        let resolved = resolve(&ids, &owners, &state.good, candidates);
        for (id, settings) in &resolved.accepted {
            accepted.push(
                self.factory
                    .build(id, settings, Source::Directory, previous.get(id)),
            );
        }
        let mut report = ReloadReport {
            rejected: resolved.rejected,
            kept: resolved.kept,
            ..ReloadReport::default()
        };
        let next = Tenants::new(accepted);
        for t in next.iter() {
            match previous.get(&t.id) {
                None => report.added.push(t.id.clone()),
                Some(p) if !Arc::ptr_eq(p, t) => report.changed.push(t.id.clone()),
                Some(_) => {}
            }
        }
        report.removed = previous
            .iter()
            .filter(|t| next.get(&t.id).is_none())
            .map(|t| t.id.clone())
            .collect();
        report.tenants = next.len();
        self.current.store(Arc::new(next));
        state.good = resolved.accepted;
        state.listing = listing;
        log(&report);
        report
    }

    /// The set last loaded stays: the directory said nothing trustworthy.
    fn keep(&self, previous: &Tenants, error: String) -> ReloadReport {
        self.source_up(false);
        if let Some(m) = &self.factory.metrics {
            m.tenant_reload_failures
                .with_label_values(&["directory"])
                .inc();
        }
        tracing::error!(
            dir = %self.dir.as_deref().unwrap_or(std::path::Path::new("")).display(),
            tenants = previous.len(),
            "{error}; every tenant last loaded is kept"
        );
        ReloadReport {
            tenants: previous.len(),
            error: Some(error),
            ..ReloadReport::default()
        }
    }

    fn source_up(&self, up: bool) {
        if let (Some(m), Some(_)) = (&self.factory.metrics, &self.dir) {
            m.tenant_source_up
                .with_label_values(&["directory"])
                .set(i64::from(up));
        }
    }

    /// Looks at the directory every `every` and reloads when its listing changed.
    pub fn watch(self: Arc<Self>, every: Duration) {
        let Some(dir) = self.dir.clone() else { return };
        if every.is_zero() {
            return;
        }
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let d = dir.clone();
                let now = tokio::task::spawn_blocking(move || directory::listing(&d))
                    .await
                    .ok()
                    .flatten();
                let changed = self.state.lock().await.listing != now;
                if changed {
                    self.reload().await;
                }
            }
        });
    }
}

impl TenantRegistry {
    /// `SIGHUP` reads the tenants directory again (the usual "reload your configuration").
    pub fn reload_on_sighup(self: Arc<Self>) {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let Ok(mut hup) = signal(SignalKind::hangup()) else {
                return;
            };
            tokio::spawn(async move {
                while hup.recv().await.is_some() {
                    tracing::info!("SIGHUP: reloading tenants");
                    self.reload().await;
                }
            });
        }
    }
}

fn log(r: &ReloadReport) {
    for (id, problems) in &r.rejected {
        let problems = problems.join("; ");
        if r.kept.contains(id) {
            tracing::warn!(tenant = %id, %problems, "tenant file refused; its previous version stays in use");
        } else {
            tracing::warn!(tenant = %id, %problems, "tenant file refused; this tenant is not loaded");
        }
    }
    if !(r.added.is_empty() && r.changed.is_empty() && r.removed.is_empty()) {
        tracing::info!(
            tenants = r.tenants,
            added = r.added.len(),
            changed = r.changed.len(),
            removed = r.removed.len(),
            "tenants reloaded"
        );
    }
}

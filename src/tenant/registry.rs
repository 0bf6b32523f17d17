//! The current set of tenants, swapped whole when the tenants directory changes.
//!
//! Tenants from the configuration (and the demo tenant) are fixed at start; those of the
//! tenants directory are read again on SIGHUP, on an admin reload, and whenever the
//! directory's listing changes (looked at every `tenants_reload_seconds`: polling, because a
//! Kubernetes Secret volume is updated by swapping a symlink, which file watchers miss). A
//! file that does not parse, or whose id or keys clash with another tenant, is refused with a
//! log line and its previous version kept. Requests hold the tenant they started with, so a
//! removed tenant's calls in flight finish, while its keys stop working at the swap.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use serde::Serialize;

use super::{Endpoints, Source, Tenant, TenantLimiter, TenantSpec, Tenants};
use crate::config::{Environment, LimitSettings, Settings, TenantSettings};
use crate::fleet::FleetSize;
use crate::simulator::Simulator;

/// What a tenant is built from besides its own settings.
pub struct Factory {
    settings: Settings,
    /// The in-process simulator's address, when tenants use it.
    embedded_host: Option<String>,
    /// The in-process simulator: tenants added later must be known to it too.
    simulator: Option<Simulator>,
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

/// Names, sizes and modification times of a directory's entries.
type Listing = Vec<(String, u64, Option<SystemTime>)>;

/// What a reload did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct ReloadReport {
    pub tenants: usize,
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
    /// Files refused, each with its problems (its previous version, if any, is kept).
    pub rejected: BTreeMap<String, Vec<String>>,
}

impl Factory {
    pub fn new(
        settings: Settings,
        embedded_host: Option<String>,
        simulator: Option<Simulator>,
    ) -> Factory {
        Factory {
            settings,
            embedded_host,
            simulator,
            fleet: FleetSize::default(),
        }
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
        let (listing, files) = match &self.dir {
            None => (None, Vec::new()),
            Some(dir) => {
                let dir = dir.clone();
                tokio::task::spawn_blocking(move || read_dir(&dir))
                    .await
                    .unwrap_or_else(|_| (None, Vec::new()))
            }
        };
        let previous = self.current.load_full();
        let mut report = ReloadReport::default();
        let mut accepted: Vec<Arc<Tenant>> = self
            .fixed
            .iter()
            .map(|(id, t, source)| self.factory.build(id, t, *source, previous.get(id)))
            .collect();
        let mut good = BTreeMap::new();
        let mut candidates: BTreeMap<String, Result<TenantSettings, Vec<String>>> = BTreeMap::new();
        for (id, parsed) in files {
            candidates.insert(id, parsed);
        }
        // A file gone bad keeps its previous good version.
        for (id, old) in &state.good {
            if let Some(Err(problems)) = candidates.get(id) {
                report.rejected.insert(id.clone(), problems.clone());
                candidates.insert(id.clone(), Ok(old.clone()));
            }
        }
        // Who holds each id and key so far: the fixed tenants first, then files by name.
        let mut ids: HashSet<String> = accepted.iter().map(|t| t.id.clone()).collect();
        let mut owners: HashMap<[u8; 32], String> = HashMap::new();
        for t in &accepted {
            for h in t.key_hashes() {
                owners.entry(h.0).or_insert_with(|| t.id.clone());
            }
        }
        for (id, parsed) in candidates {
            let settings = match parsed {
                Ok(s) => s,
                Err(problems) => {
                    report.rejected.insert(id, problems);
                    continue;
                }
            };
            let clash = if ids.contains(&id) {
                Some(format!("tenant id {id} is already configured"))
            } else {
                settings
                    .api_key_hashes
                    .iter()
                    .find_map(|h| owners.get(&h.0))
                    .map(|owner| format!("an API key of {id} is also a key of tenant {owner}; a key acts for one tenant only"))
            };
            if let Some(why) = clash {
                report.rejected.entry(id).or_default().push(why);
                continue;
            }
            for h in &settings.api_key_hashes {
                owners.insert(h.0, id.clone());
            }
            ids.insert(id.clone());
            accepted.push(
                self.factory
                    .build(&id, &settings, Source::Directory, previous.get(&id)),
            );
            good.insert(id, settings);
        }
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
        state.good = good;
        state.listing = listing;
        log(&report);
        report
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
                let now = tokio::task::spawn_blocking(move || listing(&d))
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
    for (file, problems) in &r.rejected {
        tracing::warn!(tenant = %file, problems = %problems.join("; "), "tenant file refused; its previous version (if any) is kept");
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

fn listing(dir: &Path) -> Option<Listing> {
    let mut out: Listing = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| {
            // `metadata` follows symlinks: a swapped Secret volume shows as changed files.
            let meta = std::fs::metadata(e.path()).ok();
            (
                e.file_name().to_string_lossy().into_owned(),
                meta.as_ref().map(|m| m.len()).unwrap_or(0),
                meta.and_then(|m| m.modified().ok()),
            )
        })
        .collect();
    out.sort();
    Some(out)
}

/// Every tenant file of the directory, parsed.
type Parsed = Vec<(String, Result<TenantSettings, Vec<String>>)>;

fn read_dir(dir: &Path) -> (Option<Listing>, Parsed) {
    let before = listing(dir);
    let Ok(entries) = std::fs::read_dir(dir) else {
        tracing::warn!(dir = %dir.display(), "tenants directory unreadable; no tenant read from it");
        return (before, Vec::new());
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| crate::config::tenant_file_id(p).is_some())
        .collect();
    files.sort();
    let parsed = files
        .iter()
        .map(|path| match TenantSettings::from_file(path) {
            Ok((id, t)) => (id, Ok(t)),
            Err(problems) => (
                crate::config::tenant_file_id(path).unwrap_or_default(),
                Err(problems),
            ),
        })
        .collect();
    (before, parsed)
}

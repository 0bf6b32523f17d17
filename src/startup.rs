//! Builds the application from settings: binds its own listeners (port 0 works), wires the
//! shared pieces, and runs until stopped (gracefully on SIGTERM in production).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};

use crate::api;
use crate::campaign::fleet_check::CheckTasks;
use crate::config::Settings;
use crate::events::poller::PollerTasks;
use crate::events::webhook::{Deliveries, WorkerGuard};
use crate::fleet::{Fleet, Heartbeat};
use crate::metrics::Metrics;
use crate::redis_store::RedisStore;
use crate::simulator::Simulator;

mod error;
mod listen;
mod servers;
mod wiring;

pub use error::StartupError;
use listen::{bind_api, bind_metrics, wait_for_signal};

pub struct Application {
    port: u16,
    metrics_port: Option<u16>,
    server: Server,
    metrics_server: Option<Server>,
    ready: Arc<AtomicBool>,
    draining: api::drain::Draining,
    drain: Duration,
    /// The periodic tenant check (`check.interval_seconds`), stopped with the server.
    check_tasks: Option<CheckTasks>,
    /// This replica's membership of the fleet, and its heartbeat.
    fleet: Fleet,
    heartbeat: Option<Heartbeat>,
    /// Webhook deliveries: the handle, and the worker (stopped when this is dropped).
    deliveries: Deliveries,
    webhook_worker: Option<WorkerGuard>,
    /// The events poller and its lease keeper (`events.enabled`), stopped with the server.
    event_tasks: Option<PollerTasks>,
    /// Set in the embedded default: the demo tenant's API key, printed at start.
    pub demo_api_key: Option<String>,
    /// The in-process simulator of the embedded default.
    pub simulator: Option<(Simulator, u16)>,
    pub metrics: Metrics,
    /// Told when each start-up task's first round is over (see [`Application::settled`]).
    settled: wiring::Settled,
}

impl Application {
    /// Checks the settings and builds everything; every problem is one line (see
    /// [`StartupError::lines`]).
    pub async fn build(settings: Settings) -> Result<Application, StartupError> {
        let problems = settings.problems();
        if !problems.is_empty() {
            return Err(StartupError::Settings(problems));
        }
        // The ports first: a second copy stops here, before it starts a simulator, fetches a
        // token or registers anything.
        let listener = bind_api(&settings)?;
        let metrics_listener = bind_metrics(&settings)?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Serve {
                what: "server",
                source,
            })?
            .port();
        let metrics = Metrics::with_per_tenant_labels(settings.metrics.per_tenant_labels);
        let store =
            RedisStore::new(&settings.redis, metrics.clone()).map_err(StartupError::Redis)?;
        let fleet = Fleet::new(store.clone(), metrics.clone());
        // The first count before the first request: a replica joining a fleet takes only its
        // share from the start.
        fleet.beat().await;
        let mut settled = Vec::new();
        let tenants = wiring::tenants(&settings, &metrics, &fleet).await?;
        let backend =
            wiring::backend(&settings, &tenants, store.clone(), &metrics, &mut settled).await?;
        let (checks, check_tasks) =
            wiring::periodic_check(&settings, &backend.state, store, &mut settled);
        let heartbeat = fleet.spawn();
        let draining = api::drain::Draining::default();
        let server = servers::api_server(
            &settings,
            listener,
            backend.state.clone(),
            backend.deliveries.clone(),
            draining.clone(),
        )?;
        let (metrics_server, metrics_port) = match metrics_listener {
            Some(l) => {
                let (s, p) = servers::metrics_server(&settings, l, backend.state.clone(), checks)?;
                (Some(s), Some(p))
            }
            None => (None, None),
        };
        let ready = backend.state.ready.clone();
        ready.store(true, Ordering::Release);
        Ok(Application {
            port,
            metrics_port,
            server,
            metrics_server,
            ready,
            draining,
            drain: Duration::from_secs(settings.drain_seconds()),
            check_tasks,
            fleet,
            heartbeat,
            deliveries: backend.deliveries,
            webhook_worker: Some(backend.webhook_worker),
            event_tasks: backend.event_tasks,
            demo_api_key: tenants.demo_api_key,
            simulator: tenants.simulator,
            metrics,
            settled,
        })
    }

    /// Waits (at most `within`) for what runs once at start to be over: the first tenant
    /// check and the first events cycle with its sweep, so that a banner printed after it is
    /// not followed by their log lines.
    pub async fn settled(&mut self, within: Duration) {
        let all = futures_util::future::join_all(std::mem::take(&mut self.settled));
        let _ = tokio::time::timeout(within, all).await;
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    /// Webhook deliveries: what the event feed enqueues into.
    pub fn deliveries(&self) -> Deliveries {
        self.deliveries.clone()
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until the server is stopped through its handle.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        if let Some(m) = self.metrics_server {
            tokio::spawn(m);
        }
        let result = self.server.await;
        if let Some(tasks) = self.check_tasks {
            tasks.stop().await;
        }
        drop(self.heartbeat);
        self.fleet.leave().await;
        drop(self.webhook_worker);
        if let Some(tasks) = self.event_tasks {
            tasks.stop().await;
        }
        result
    }

    /// Serves until SIGTERM or SIGINT, then: not ready, answers close their connection →
    /// drain period → stop accepting → in-flight requests finish (up to the shutdown timeout)
    /// → return.
    pub async fn run_until_signalled(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let metrics_handle = self.metrics_server.as_ref().map(Server::handle);
        let ready = self.ready.clone();
        let draining = self.draining.clone();
        let drain = self.drain;
        tokio::spawn(async move {
            wait_for_signal().await;
            ready.store(false, Ordering::Release);
            draining.start();
            tracing::info!(
                drain_seconds = drain.as_secs(),
                "shutdown requested; draining"
            );
            tokio::time::sleep(drain).await;
            handle.stop(true).await;
            if let Some(m) = metrics_handle {
                m.stop(true).await;
            }
        });
        let result = self.run_until_stopped().await;
        tracing::info!("stopped");
        result
    }
}

//! The shared pieces, built in order: the tenants (with the in-process simulator when they
//! use it), then what serves them (Redis, webhook deliveries, tokens, the Urssaf client, the
//! events feed and poller), then the periodic tenant check.

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;

use super::StartupError;
use crate::api::AppState;
use crate::campaign::fleet_check::{CheckTasks, FleetCheck};
use crate::config::Settings;
use crate::demo;
use crate::embedded::{tenant_start, TenantStart};
use crate::events::poller::{Poller, PollerTasks};
use crate::events::webhook::{Deliveries, WebhookSink, WorkerGuard};
use crate::events::Events;
use crate::fleet::Fleet;
use crate::idempotency::IdempotencyStore;
use crate::metrics::Metrics;
use crate::redis_store::RedisStore;
use crate::simulator::Simulator;
use crate::tenant::check_board::CheckBoard;
use crate::tenant::registry::Factory;
use crate::tenant::TenantRegistry;
use crate::token::TokenProvider;
use crate::urssaf::client::{http_client, UrssafClient};

/// Told when a start-up task's first round is over (see `Application::settled`).
pub(super) type Settled = Vec<tokio::sync::oneshot::Receiver<()>>;

pub(super) struct TenantSetup {
    pub registry: Arc<TenantRegistry>,
    /// Set in the embedded default with no tenant configured: the demo tenant's API key.
    pub demo_api_key: Option<String>,
    pub simulator: Option<(Simulator, u16)>,
}

/// The configured tenants (or the demo tenant), the in-process simulator when one of them uses
/// it, and the registry that keeps them current (tenants directory, SIGHUP).
pub(super) async fn tenants(
    settings: &Settings,
    metrics: &Metrics,
    fleet: &Fleet,
) -> Result<TenantSetup, StartupError> {
    let start = tenant_start(settings, true).map_err(StartupError::EmbeddedSimulator)?;
    let factory = Factory::new(
        settings.clone(),
        start.embedded_host.clone(),
        start.credentials(),
    )
    .with_metrics(metrics.clone())
    .shared_by(fleet.size());
    let TenantStart {
        fixed,
        demo_api_key,
        simulator,
        ..
    } = start;
    let registry = Arc::new(TenantRegistry::start(factory, fixed).await);
    registry
        .clone()
        .watch(Duration::from_secs(settings.tenants_reload_seconds));
    registry.clone().reload_on_sighup();
    Ok(TenantSetup {
        registry,
        demo_api_key,
        simulator,
    })
}

pub(super) struct Backend {
    pub state: web::Data<AppState>,
    pub deliveries: Deliveries,
    pub webhook_worker: WorkerGuard,
    /// The events poller and its lease keeper, when `events.enabled`.
    pub event_tasks: Option<PollerTasks>,
}

/// What the API serves from (with Redis when configured): webhook deliveries and their worker,
/// tokens, the Urssaf client, the events feed and its poller. The demo tenant gets its sample
/// household here.
pub(super) async fn backend(
    settings: &Settings,
    tenants: &TenantSetup,
    store: Option<RedisStore>,
    metrics: &Metrics,
    settled: &mut Settled,
) -> Result<Backend, StartupError> {
    let http =
        http_client(&settings.upstream).map_err(|e| StartupError::HttpClient(e.to_string()))?;
    let registry = tenants.registry.clone();
    let deliveries = Deliveries::new(
        store.clone(),
        registry.clone(),
        &settings.events,
        metrics.clone(),
    );
    let webhook_worker = deliveries
        .start_worker()
        .map_err(StartupError::WebhookWorker)?;
    let tokens = TokenProvider::new(
        http.clone(),
        store.clone(),
        &settings.token,
        settings.upstream.token_auth,
        Duration::from_millis(settings.upstream.token_timeout_ms),
        metrics.clone(),
    );
    let urssaf = UrssafClient::new(http, tokens, &settings.upstream, metrics.clone());
    if tenants.demo_api_key.is_some() {
        if let Some(t) = registry.current().get(demo::TENANT_ID) {
            demo::seed_client(&urssaf, t).await;
        }
    }
    let events = Events::new(
        settings.events.clone(),
        store.clone(),
        metrics.clone(),
        Arc::new(WebhookSink::new(deliveries.clone())),
        crate::api::dto::events::render,
    );
    let event_tasks = settings.events.enabled.then(|| {
        let (done, first_cycle) = tokio::sync::oneshot::channel();
        settled.push(first_cycle);
        Poller::new(
            events.clone(),
            urssaf.clone(),
            registry.clone(),
            store.clone(),
            metrics.clone(),
        )
        .spawn_reporting(Some(done))
    });
    let state = web::Data::new(AppState {
        tenants: registry,
        urssaf,
        metrics: metrics.clone(),
        idempotency: IdempotencyStore::new(
            store,
            Duration::from_secs(settings.idempotency.ttl_seconds),
            Duration::from_secs(settings.idempotency.in_flight_ttl_seconds),
        ),
        events,
        ready: Arc::new(std::sync::atomic::AtomicBool::new(false)),
    });
    Ok(Backend {
        state,
        deliveries,
        webhook_worker,
        event_tasks,
    })
}

/// The periodic tenant check (`check.interval_seconds`, off at zero; one replica of the fleet
/// checks at a time) and the board `/checks` reads.
pub(super) fn periodic_check(
    settings: &Settings,
    state: &AppState,
    store: Option<RedisStore>,
    settled: &mut Settled,
) -> (CheckBoard, Option<CheckTasks>) {
    let every = Duration::from_secs(settings.check.interval_seconds);
    let board = CheckBoard::new(every);
    let tasks = (!every.is_zero()).then(|| {
        let (done, first_round) = tokio::sync::oneshot::channel();
        settled.push(first_round);
        FleetCheck {
            urssaf: state.urssaf.clone(),
            tenants: state.tenants.clone(),
            metrics: state.metrics.clone(),
            board: board.clone(),
            interval: every,
            concurrency: settings.check.concurrency,
            store,
        }
        .spawn(Some(done))
    });
    (board, tasks)
}

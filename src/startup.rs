//! Builds the application from settings: binds its own listeners (port 0 works), wires the
//! shared pieces, and runs until stopped (gracefully on SIGTERM in production).

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::http::KeepAlive;
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App, HttpServer};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use crate::api::{self, AppState};
use crate::campaign::check::{self, CheckBoard};
use crate::config::{Environment, Settings, TenantSettings};
use crate::demo;
use crate::events::poller::{Poller, PollerTasks};
use crate::events::webhook::{Deliveries, WebhookSink, WorkerGuard};
use crate::events::Events;
use crate::idempotency::IdempotencyStore;
use crate::metrics::Metrics;
use crate::redis_store::RedisStore;
use crate::simulator::Simulator;
use crate::tenant::registry::Factory;
use crate::tenant::{Source, TenantRegistry};
use crate::token::TokenProvider;
use crate::urssaf::client::{http_client, UrssafClient};

mod listen;

pub(crate) use listen::start_embedded_simulator;
use listen::{bind_api, wait_for_signal};

pub struct Application {
    port: u16,
    metrics_port: Option<u16>,
    server: Server,
    metrics_server: Option<Server>,
    ready: Arc<AtomicBool>,
    draining: api::drain::Draining,
    drain: Duration,
    /// The periodic tenant check (`check.interval_seconds`), stopped with the server.
    check_task: Option<tokio::task::JoinHandle<()>>,
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
    settled: Vec<tokio::sync::oneshot::Receiver<()>>,
}

impl Application {
    /// Checks the settings and builds everything; every problem is one line.
    pub async fn build(settings: Settings) -> Result<Application, Vec<String>> {
        let problems = settings.problems();
        if !problems.is_empty() {
            return Err(problems);
        }
        // The ports first: a second copy stops here, before it starts a simulator, fetches a
        // token or registers anything.
        let listener = bind_api(&settings)?;
        let metrics_listener = match settings.server.metrics_port {
            Some(mp) => Some(
                TcpListener::bind((settings.server.host.as_str(), mp)).map_err(|e| {
                    vec![format!(
                        "server.metrics_port: cannot listen on {}:{mp}: {e}",
                        settings.server.host
                    )]
                })?,
            ),
            None => None,
        };
        let metrics = Metrics::new();
        let mut demo_api_key = None;
        let mut settled = Vec::new();
        let mut simulator = None;

        let mut fixed: Vec<(String, TenantSettings, Source)> = settings
            .tenants
            .iter()
            .map(|(id, t)| (id.clone(), t.clone(), Source::Config))
            .collect();
        let embedded = |t: &TenantSettings| {
            t.environment.unwrap_or(settings.upstream.environment) == Environment::Embedded
        };
        let uses_embedded = settings.upstream.environment == Environment::Embedded
            || settings.tenants.values().any(embedded);
        if settings.upstream.environment == Environment::Embedded
            && settings.tenants.is_empty()
            && settings.tenants_dir.is_none()
        {
            let key = demo::new_api_key();
            fixed.push((
                demo::TENANT_ID.into(),
                demo::tenant(&key, settings.demo_webhook.clone()),
                Source::Demo,
            ));
            demo_api_key = Some(key);
        }
        // A hand-set base URL replaces the in-process simulator (e.g. one started apart).
        let external_embedded = settings.upstream.environment == Environment::Embedded
            && settings.upstream.base_url.is_some();
        let embedded_host = if external_embedded {
            settings
                .upstream
                .base_url
                .as_ref()
                .map(|u| u.as_base().to_string())
        } else if uses_embedded {
            // Tenants give it their credentials as they are built (see `tenant::registry`).
            let (sim, port) = start_embedded_simulator(&settings)?;
            simulator = Some((sim, port));
            Some(format!("http://127.0.0.1:{port}"))
        } else {
            None
        };
        let factory = Factory::new(
            settings.clone(),
            embedded_host,
            simulator.as_ref().map(|(s, _)| s.clone()),
        )
        .with_metrics(metrics.clone());
        let tenants = Arc::new(TenantRegistry::start(factory, fixed).await);
        tenants
            .clone()
            .watch(Duration::from_secs(settings.tenants_reload_seconds));
        tenants.clone().reload_on_sighup();

        let http =
            http_client(&settings.upstream).map_err(|e| vec![format!("http client: {e}")])?;
        let store = RedisStore::new(&settings.redis, metrics.clone()).map_err(|e| vec![e])?;
        let deliveries = Deliveries::new(
            store.clone(),
            tenants.clone(),
            &settings.events,
            metrics.clone(),
        );
        let webhook_worker = Some(deliveries.start_worker().map_err(|e| vec![e])?);
        let tokens = TokenProvider::new(
            http.clone(),
            store.clone(),
            &settings.token,
            settings.upstream.token_auth,
            Duration::from_millis(settings.upstream.token_timeout_ms),
            metrics.clone(),
        );
        let urssaf = UrssafClient::new(http, tokens, &settings.upstream, metrics.clone());
        if demo_api_key.is_some() {
            if let Some(t) = tenants.current().get(demo::TENANT_ID) {
                demo::seed_client(&urssaf, t).await;
            }
        }
        let ready = Arc::new(AtomicBool::new(false));
        let events = Events::new(
            settings.events.clone(),
            store.clone(),
            metrics.clone(),
            Arc::new(WebhookSink::new(deliveries.clone())),
            crate::api::dto::events::render,
        );
        let event_tasks = if settings.events.enabled {
            let (done, first_cycle) = tokio::sync::oneshot::channel();
            settled.push(first_cycle);
            Poller::new(
                events.clone(),
                urssaf.clone(),
                tenants.clone(),
                store.clone(),
                metrics.clone(),
            )
            .spawn_reporting(Some(done))
            .into()
        } else {
            None
        };
        let state = web::Data::new(AppState {
            tenants,
            urssaf,
            metrics: metrics.clone(),
            idempotency: IdempotencyStore::new(
                store,
                Duration::from_secs(settings.idempotency.ttl_seconds),
                Duration::from_secs(settings.idempotency.in_flight_ttl_seconds),
            ),
            events,
            ready: ready.clone(),
        });

        let check_every = Duration::from_secs(settings.check.interval_seconds);
        let checks = CheckBoard::new(check_every);
        let check_task = (!check_every.is_zero()).then(|| {
            let (done, first_round) = tokio::sync::oneshot::channel();
            settled.push(first_round);
            tokio::spawn(check::run_periodically(
                state.urssaf.clone(),
                state.tenants.clone(),
                metrics.clone(),
                checks.clone(),
                check_every,
                settings.check.concurrency,
                Some(done),
            ))
        });

        let port = listener
            .local_addr()
            .map_err(|e| vec![e.to_string()])?
            .port();
        let metrics_separate = settings.server.metrics_port.is_some();
        let max_body = settings.server.max_body_bytes;
        let api_state = state.clone();
        let draining = api::drain::Draining::default();
        let draining_data = web::Data::new(draining.clone());
        let body_deadline = web::Data::new(api::deadline::BodyDeadline {
            timeout: Duration::from_secs(settings.server.body_read_timeout_seconds),
            max_bytes: max_body,
        });
        let deliveries_data = web::Data::new(deliveries.clone());
        let fan_out = web::Data::new(api::fan_out::FanOut {
            max_invoices: settings.limits.max_invoices_per_submission,
            max_search_values: settings.limits.max_search_values,
        });
        let mut server = HttpServer::new(move || {
            let (app, doc) = App::new()
                .into_utoipa_app()
                .openapi(api::openapi::ApiDoc::openapi())
                .configure(|cfg| api::routes(cfg, !metrics_separate))
                .split_for_parts();
            app.app_data(api_state.clone())
                .app_data(draining_data.clone())
                .app_data(body_deadline.clone())
                .app_data(fan_out.clone())
                .app_data(deliveries_data.clone())
                .app_data(web::PayloadConfig::new(max_body))
                .service(api::openapi::docs(api::openapi::finish(doc)))
                .route("/docs", web::get().to(api::openapi::docs_redirect))
                .wrap(Compress::default())
                .wrap(from_fn(api::deadline::read_body_in_time))
                .wrap(from_fn(api::observe::observe))
                .default_service(web::to(api::observe::not_found))
        })
        .disable_signals()
        .shutdown_timeout(settings.server.shutdown_timeout_seconds)
        .client_request_timeout(Duration::from_millis(
            settings.server.header_read_timeout_ms,
        ))
        .keep_alive(match settings.server.keep_alive_seconds {
            0 => KeepAlive::Disabled,
            s => KeepAlive::Timeout(Duration::from_secs(s)),
        });
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        let server = server
            .listen(listener)
            .map_err(|e| vec![e.to_string()])?
            .run();

        let (metrics_server, metrics_port) = match metrics_listener {
            Some(l) => {
                let mp = l.local_addr().map_err(|e| vec![e.to_string()])?.port();
                let admin = api::admin::AdminTokens(settings.admin.token_hashes.clone());
                let checks = web::Data::new(checks);
                let s = HttpServer::new(move || {
                    App::new()
                        .app_data(state.clone())
                        .app_data(admin.clone())
                        .app_data(checks.clone())
                        .service(api::health::metrics)
                        .service(api::checks::checks)
                        // Problems answered on this port link to their pages here too.
                        .service(api::problem_pages::index)
                        .service(api::problem_pages::page)
                        .configure(|cfg| {
                            if !admin.0.is_empty() {
                                api::admin::routes(cfg);
                            }
                        })
                        .default_service(web::to(api::admin::not_found))
                        .wrap(from_fn(api::observe::observe))
                })
                .disable_signals()
                .workers(1)
                .listen(l)
                .map_err(|e| vec![e.to_string()])?
                .run();
                (Some(s), Some(mp))
            }
            None => (None, None),
        };
        ready.store(true, Ordering::Release);
        Ok(Application {
            port,
            metrics_port,
            server,
            metrics_server,
            ready,
            draining,
            drain: Duration::from_secs(settings.drain_seconds()),
            check_task,
            deliveries,
            webhook_worker,
            event_tasks,
            demo_api_key,
            simulator,
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
        if let Some(task) = self.check_task {
            task.abort();
        }
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

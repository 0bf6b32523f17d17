//! The two HTTP servers: the API on its port, and (when `server.metrics_port` is set) the
//! operational one with metrics, `/checks` and the admin routes.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::http::KeepAlive;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use super::StartupError;
use crate::api::{self, AppState};
use crate::config::Settings;
use crate::events::webhook::Deliveries;
use crate::tenant::check_board::CheckBoard;

fn serve_error(what: &'static str) -> impl FnOnce(std::io::Error) -> StartupError {
    move |source| StartupError::Serve { what, source }
}

/// The API's server, started on `listener`; `draining` closes connections once set.
pub(super) fn api_server(
    settings: &Settings,
    listener: TcpListener,
    state: web::Data<AppState>,
    deliveries: Deliveries,
    draining: api::drain::Draining,
) -> Result<Server, StartupError> {
    let metrics_separate = settings.server.metrics_port.is_some();
    let max_body = settings.server.max_body_bytes;
    let draining_data = web::Data::new(draining);
    let body_deadline = web::Data::new(api::deadline::BodyDeadline {
        timeout: Duration::from_secs(settings.server.body_read_timeout_seconds),
        max_bytes: max_body,
    });
    let deliveries_data = web::Data::new(deliveries);
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
        // A copy per worker: the `Data` handlers take on every request is counted on its own
        // worker's thread, not on a count both workers keep touching.
        app.app_data(web::Data::new(state.get_ref().clone()))
            .app_data(draining_data.clone())
            .app_data(body_deadline.clone())
            .app_data(fan_out.clone())
            .app_data(deliveries_data.clone())
            .app_data(web::PayloadConfig::new(max_body))
            .service(api::openapi::docs(api::openapi::finish(doc)))
            .route("/docs", web::get().to(api::openapi::docs_redirect))
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
    Ok(server
        .listen(listener)
        .map_err(serve_error("server"))?
        .run())
}

/// The metrics port's server and its port.
pub(super) fn metrics_server(
    settings: &Settings,
    listener: TcpListener,
    state: web::Data<AppState>,
    checks: CheckBoard,
) -> Result<(Server, u16), StartupError> {
    let port = listener
        .local_addr()
        .map_err(serve_error("server.metrics_port"))?
        .port();
    let admin = api::admin::AdminTokens(settings.admin.token_hashes.clone());
    let checks = web::Data::new(checks);
    let server = HttpServer::new(move || {
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
    .listen(listener)
    .map_err(serve_error("server.metrics_port"))?
    .run();
    Ok((server, port))
}

//! The built-in Urssaf simulator: a test double of the "API Tiers de Prestation"
//! (token endpoint, E1–E4) with a simulated clock, an admin API and fault injection.
//! See `docs/simulator.md` for the behaviour, the magic values and the assumptions.

mod admin;
mod auth;
mod clock;
mod demande;
mod demande_check;
mod faults;
mod knobs;
mod particulier;
mod particulier_check;
mod recherche;
mod referentials;
mod reply;
mod state;

pub use knobs::{Faults, Rules};

use crate::urssaf::wire::{BASE_PATH, TOKEN_PATH};
use crate::urssaf::Operation;
use actix_web::{web, App, HttpServer};
use state::Inner;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// The endpoint of each call the gateway makes: an exhaustive match, so that a new
/// `urssaf::Operation` does not build until the simulator serves it.
fn route(scope: actix_web::Scope, op: Operation) -> actix_web::Scope {
    let handler = match op {
        Operation::RegisterClient => web::post().to(particulier::inscrire),
        Operation::ClientStatus => web::get().to(particulier::consulter),
        Operation::SubmitPaymentRequests => web::post().to(demande::transmettre),
        Operation::SearchPaymentRequests => web::post().to(recherche::rechercher),
    };
    scope.route(op.path(), handler)
}

/// How a simulator instance behaves.
pub struct SimulatorSettings {
    /// (client_id, client_secret) pairs; each pair is one provider with its own data.
    pub credentials: Vec<(String, secrecy::SecretString)>,
    /// Lifetime of issued tokens, on the real clock.
    pub token_lifetime: Duration,
    /// Simulated time between registration (`APPAREILLAGE_EC`) and `APPAREILLAGE_VALIDE`.
    pub activation_delay: Duration,
    /// Serve `/__admin/…` (404 otherwise).
    pub admin_enabled: bool,
    /// Initial fault knobs (also restored by `POST /__admin/reset`).
    pub faults: Faults,
    /// [I] Send E3 business rejections as a 400 array instead of 200 + per-item `errors`.
    pub business_errors_as_400: bool,
    /// [I] Most payment requests a period search returns before `ERR_NBRE_MAX_RESULTAT`.
    pub search_max_results: usize,
}

impl Default for SimulatorSettings {
    fn default() -> Self {
        SimulatorSettings {
            credentials: Vec::new(),
            token_lifetime: Duration::from_secs(3600),
            activation_delay: Duration::ZERO,
            admin_enabled: true,
            faults: Faults::default(),
            business_errors_as_400: false,
            search_max_results: 10,
        }
    }
}

/// A running simulator's shared state; cheap to clone.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

impl Simulator {
    pub fn new(settings: SimulatorSettings) -> Simulator {
        Simulator {
            inner: Arc::new(Inner::new(settings)),
        }
    }

    /// Serve on an already-bound listener (port 0 works). Returns the actix Server to spawn.
    pub fn serve(
        &self,
        listener: std::net::TcpListener,
    ) -> std::io::Result<actix_web::dev::Server> {
        let data = web::Data::from(self.inner.clone());
        let admin = self.inner.settings.admin_enabled;
        let server = HttpServer::new(move || {
            let app = App::new()
                .app_data(data.clone())
                .route(TOKEN_PATH, web::post().to(auth::token))
                .service(
                    Operation::ALL
                        .into_iter()
                        .fold(web::scope(BASE_PATH), route),
                );
            // Admin routes simply do not exist when disabled: actix answers 404.
            app.configure(|cfg| {
                if admin {
                    admin::routes(cfg);
                }
            })
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .listen(listener)?
        .run();
        Ok(server)
    }

    /// Same as `PUT /__admin/faults`, for in-process tests.
    /// Knows one more provider (a tenant added while the gateway runs); known ones are kept.
    pub fn add_credentials(&self, client_id: &str, secret: &secrecy::SecretString) {
        self.inner
            .extra_credentials
            .write()
            .entry(client_id.to_string())
            .or_insert_with(|| secret.clone());
    }

    pub fn set_faults(&self, f: Faults) {
        self.inner.set_faults(f);
    }

    /// Same as `PUT /__admin/rules`.
    pub fn set_rules(&self, r: Rules) {
        self.inner.set_rules(r);
    }

    /// Number of token requests received (successful or not).
    pub fn token_requests(&self) -> u64 {
        self.inner.token_requests.load(Ordering::Relaxed)
    }

    /// Number of `POST /demandePaiement` calls received.
    pub fn submissions(&self) -> u64 {
        self.inner.submissions.load(Ordering::Relaxed)
    }

    /// Number of `POST /particulier` calls received.
    pub fn registrations(&self) -> u64 {
        self.inner.registrations.load(Ordering::Relaxed)
    }

    /// Number of `POST /demandePaiement/rechercher` calls received.
    pub fn searches(&self) -> u64 {
        self.inner.searches.load(Ordering::Relaxed)
    }
}

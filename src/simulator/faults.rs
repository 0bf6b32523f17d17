//! Injected faults: the configured latency and the random failures, read from the knobs.

use super::reply;
use super::state::Inner;
use actix_web::HttpResponse;
use rand::Rng;
use std::time::Duration;

/// Sleeps for the configured latency.
pub(crate) async fn delay(inner: &Inner) {
    let f = inner.faults();
    let jitter = if f.latency_jitter_ms > 0 {
        rand::thread_rng().gen_range(0..=f.latency_jitter_ms)
    } else {
        0
    };
    let total = f.latency_ms.saturating_add(jitter);
    if total > 0 {
        tokio::time::sleep(Duration::from_millis(total)).await;
    }
}

/// Rolls the random API failures; `Some` is the answer to send instead of the real one.
pub(crate) fn random_failure(inner: &Inner) -> Option<HttpResponse> {
    let f = inner.faults();
    let mut rng = rand::thread_rng();
    let mut roll = |rate: f64| rate > 0.0 && rng.gen::<f64>() < rate;
    if roll(f.error_503_rate) {
        return Some(HttpResponse::ServiceUnavailable().finish());
    }
    if roll(f.error_500_rate) {
        return Some(HttpResponse::InternalServerError().json(vec![reply::erreur(
            "ERREUR_TECHNIQUE",
            "Erreur technique",
            "Une erreur technique est survenue, veuillez réessayer ultérieurement",
        )]));
    }
    if roll(f.error_429_rate) {
        return Some(
            HttpResponse::TooManyRequests()
                .insert_header(("Retry-After", "1"))
                .finish(),
        );
    }
    None
}

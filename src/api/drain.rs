//! Draining before a stop. From SIGTERM on, every answer carries `Connection: close`: a client
//! reading it closes that connection after this response instead of writing its next request
//! on it. By the time the listener closes (after `server.drain_seconds`), the connections still
//! open are the ones with a request in flight, which actix lets finish; no request is written
//! on a kept-alive connection the server is about to drop. (Actix's own graceful stop closes an
//! idle kept-alive connection at once and does not start a request it has not begun, so a
//! request written at that moment would be lost without this.)

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::http::ConnectionType;
use actix_web::web;

/// Set once a stop was asked for; shared by every worker (as app data).
#[derive(Clone, Default)]
pub struct Draining(Arc<Flag>);

#[derive(Default)]
pub struct Flag {
    set: AtomicBool,
    /// Wakes what waits for the stop (long polls), with no timer per waiter.
    notify: tokio::sync::Notify,
}

impl Draining {
    pub fn start(&self) {
        self.0.set.store(true, Ordering::Release);
        self.0.notify.notify_waiters();
    }

    pub fn is_draining(&self) -> bool {
        self.0.set.load(Ordering::Acquire)
    }

    /// Resolves once a stop was asked for (at once if it already was).
    pub async fn started(&self) {
        let notified = self.0.notify.notified();
        tokio::pin!(notified);
        // Registered before the flag is read: a stop between the two is not missed.
        notified.as_mut().enable();
        if self.is_draining() {
            return;
        }
        notified.await;
    }
}

/// Marks an answer given while draining so that its connection closes once it is sent. Called
/// by the observing middleware (one layer less than a middleware of its own), once the answer
/// is ready: a call that began before the signal closes too.
pub fn close_if_draining(
    req: &actix_web::HttpRequest,
    res: &mut actix_web::HttpResponse<impl MessageBody>,
) {
    if req
        .app_data::<web::Data<Draining>>()
        .is_some_and(|d| d.is_draining())
    {
        res.head_mut().set_connection_type(ConnectionType::Close);
    }
}

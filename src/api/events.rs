//! `/v1/events`: the feed of status changes the gateway detected for the caller's tenant.

use std::time::Duration;

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::drain::Draining;
use super::problem::{Problem, ProblemCode};
use super::query;
use super::responses::CommonProblems;
use super::AppState;
use crate::api::dto::events::{EventList, FeedEvent};
use crate::events::feed::parse_cursor;
use crate::events::EventType;

/// Longest `wait` accepted, in seconds (`events.max_wait_seconds` may hold a request less).
const MAX_WAIT: u64 = 30;
const MAX_LIMIT: usize = 100;
const DEFAULT_LIMIT: usize = 50;

/// Query parameters of `GET /v1/events` (documentation; read by [`Params::parse`]).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct EventsQuery {
    /// A `cursor` (or `next_cursor`) from an earlier answer: events after it. Omitted: from
    /// the oldest event kept (`events.retention_days`).
    #[param(pattern = "^[0-9]{1,20}-[0-9]{1,20}$", example = "1794297600000-0")]
    after: Option<String>,
    /// Most events in the answer, 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 50)]
    limit: Option<u32>,
    /// Comma-separated event types to keep, e.g. `client.account_changed`; all when omitted.
    #[param(example = "payment_request.status_changed")]
    types: Option<String>,
    /// Seconds to hold the request while there is no event yet (long poll), 0 to 30;
    /// answered as soon as one arrives. The gateway may hold it less (`events.max_wait_seconds`).
    #[param(minimum = 0, maximum = 30, default = 0)]
    wait: Option<u32>,
}

struct Params {
    after: Option<String>,
    limit: usize,
    types: Vec<&'static str>,
    wait: Duration,
}

impl Params {
    fn parse(raw: &str) -> Result<Params, Problem> {
        let mut p = Params {
            after: None,
            limit: DEFAULT_LIMIT,
            types: Vec::new(),
            wait: Duration::ZERO,
        };
        for (name, value) in query::params(raw, &["after", "limit", "types", "wait"])? {
            match name.as_str() {
                "after" => {
                    if parse_cursor(&value).is_none() {
                        return Err(query::bad(
                            &name,
                            "cursor",
                            "must be a cursor from an earlier answer (`<digits>-<digits>`)",
                        ));
                    }
                    p.after = Some(value);
                }
                "limit" => p.limit = query::limit(&name, &value, MAX_LIMIT)?,
                "types" => {
                    for t in value.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                        let Some(known) = EventType::parse(t) else {
                            let names: Vec<_> = EventType::ALL.iter().map(|t| t.as_str()).collect();
                            return Err(query::bad(
                                &name,
                                "event_type",
                                format!("unknown event type `{t}`; known: {}", names.join(", ")),
                            ));
                        };
                        if !p.types.contains(&known.as_str()) {
                            p.types.push(known.as_str());
                        }
                    }
                }
                _ => {
                    let secs = value
                        .parse::<u64>()
                        .ok()
                        .filter(|n| *n <= MAX_WAIT)
                        .ok_or_else(|| {
                            query::bad(
                                &name,
                                "range",
                                format!("must be a whole number of seconds from 0 to {MAX_WAIT}"),
                            )
                        })?;
                    p.wait = Duration::from_secs(secs);
                }
            }
        }
        Ok(p)
    }
}

/// Read the events feed: status changes of payment requests and clients, oldest first.
///
/// The gateway watches the payment requests sent through it (and, through a periodic search
/// of a look-back period, those sent by other software) and the clients registered through it,
/// and records each status change once, with a stable `id` (the same change detected again has
/// the same id). Read the feed with `after` set to the last `next_cursor`; with `wait`, the
/// request is held until an event arrives (long poll); a waiting long poll does not count
/// against the tenant's concurrent requests, but at most `events.max_waiting_per_tenant` wait at
/// once (beyond: 429 `too_many_long_polls`). Events are kept `events.retention_days`.
/// This operation does not call Urssaf: its 503 (`events_unavailable`) means the feed's store
/// (Redis) cannot be read just now.
#[utoipa::path(get, path = "/v1/events", tag = "events", operation_id = "listEvents", params(EventsQuery),
    security(("api_key" = [])),
    responses(
        CommonProblems,
        (status = 200, description = "Events after the cursor (possibly none)", body = EventList),
        (status = 422, description = "A malformed or unknown query parameter, named in `errors`", body = Problem, content_type = "application/problem+json"),
    ))]
#[get("/v1/events")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, Problem> {
    let p = Params::parse(req.query_string())?;
    let events = &state.events;
    let wait = p
        .wait
        .min(Duration::from_secs(events.settings.max_wait_seconds));
    let unavailable = |_| {
        Problem::new(
            ProblemCode::EventsUnavailable,
            "the events feed cannot be read just now",
        )
    };
    let page = if wait.is_zero() {
        events
            .feed
            .read(&caller.0.id, p.after.as_deref(), p.limit, &p.types)
            .await
            .map_err(unavailable)?
    } else {
        // A waiting long poll counts against its own cap, not the tenant's concurrency slots.
        let Some(slot) = events.feed.admit_waiter(&caller.0.id) else {
            return Err(Problem::new(
                ProblemCode::TooManyLongPolls,
                format!(
                    "this provider already has {} long polls waiting (events.max_waiting_per_tenant); retry later, or read without `wait`",
                    events.settings.max_waiting_per_tenant
                ),
            ));
        };
        let tenant = caller.release_slot();
        let draining = req.app_data::<web::Data<Draining>>().cloned();
        let read = events.feed.read_waiting(
            &tenant.id,
            p.after.as_deref(),
            p.limit,
            &p.types,
            wait,
            slot,
        );
        // A stop ends the wait (an empty page from the same cursor): a long poll held through
        // the shutdown timeout would keep the gateway up that long.
        tokio::select! {
            page = read => page,
            () = drain_started(draining) => events
                .feed
                .read(&tenant.id, p.after.as_deref(), p.limit, &p.types)
                .await,
        }
        .map_err(unavailable)?
    };
    let list = EventList {
        next_cursor: page.next_cursor.unwrap_or_else(|| "0-0".to_string()),
        events: page.items.into_iter().filter_map(feed_event).collect(),
    };
    Ok(HttpResponse::Ok().json(list))
}

/// Resolves once the gateway is stopping (never without the drain flag, as in some tests).
async fn drain_started(draining: Option<web::Data<Draining>>) {
    match draining {
        Some(d) => d.started().await,
        None => std::future::pending().await,
    }
}

/// A stored event as the feed lists it; one that does not read as an event is left out
/// (logged), the cursor still moving past it.
fn feed_event(item: crate::events::feed::Item) -> Option<FeedEvent> {
    let cursor = item.cursor.clone();
    let event = FeedEvent::stored(item.envelope, item.cursor);
    if event.is_none() {
        tracing::warn!(%cursor, "events: a stored event does not read as an event; left out");
    }
    event
}

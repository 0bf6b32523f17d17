//! A deadline on reading a request's body. Actix bounds the time to receive the request head
//! (`client_request_timeout`) and an idle kept-alive connection, but not the body: a client
//! announcing `Content-Length: 100` and sending nothing (or a byte a second) would hold its
//! connection and a handler open forever. The gateway reads the body first, within
//! `server.body_read_timeout_seconds`, and answers 408 (`request_timeout`) when it is late.
//! It runs inside the observing middleware (`observe`), before the handler.

use std::time::Duration;

use actix_web::body::BoxBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, ConnectionType};
use actix_web::{web, HttpMessage, ResponseError};
use bytes::BytesMut;
use futures_util::StreamExt;

use super::problem::{Problem, ProblemCode};

/// What the middleware needs, as app data.
#[derive(Clone, Copy)]
pub struct BodyDeadline {
    pub timeout: Duration,
    /// `server.max_body_bytes`: reading stops past it (the handler then answers 413).
    pub max_bytes: usize,
}

/// Reads `req`'s body within the deadline and puts it back; a problem when it came late or
/// broken (answered by [`refuse`]). Called by the observing middleware (one layer less).
pub async fn read_in_time(req: &mut ServiceRequest) -> Result<(), Problem> {
    let Some(limits) = req
        .app_data::<web::Data<BodyDeadline>>()
        .map(|d| *d.get_ref())
    else {
        return Ok(());
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    let chunked = req.headers().contains_key(header::TRANSFER_ENCODING);
    // No body, or one refused by its announced size alone (413 without reading it).
    if (declared.unwrap_or(0) == 0 && !chunked) || declared.is_some_and(|n| n > limits.max_bytes) {
        return Ok(());
    }
    let mut payload = req.take_payload();
    let deadline = tokio::time::Instant::now() + limits.timeout;
    let mut body = BytesMut::with_capacity(declared.unwrap_or(0).min(limits.max_bytes));
    loop {
        match tokio::time::timeout_at(deadline, payload.next()).await {
            Err(_) => {
                let seconds = limits.timeout.as_secs();
                return Err(Problem::new(
                    ProblemCode::RequestTimeout,
                    format!("the request body did not arrive within {seconds} s (server.body_read_timeout_seconds)"),
                ));
            }
            Ok(Some(Ok(chunk))) => {
                body.extend_from_slice(&chunk);
                if body.len() > limits.max_bytes {
                    break; // the handler's own limit answers 413
                }
            }
            Ok(Some(Err(_))) => {
                return Err(Problem::new(
                    ProblemCode::BadRequest,
                    "the request body could not be read",
                ));
            }
            Ok(None) => break,
        }
    }
    req.set_payload(Payload::from(body.freeze()));
    Ok(())
}

/// The body was not read to its end: the connection cannot carry another request.
pub fn refuse(req: ServiceRequest, problem: &Problem) -> ServiceResponse<BoxBody> {
    let mut res = problem.error_response();
    res.head_mut().set_connection_type(ConnectionType::Close);
    req.into_response(res)
}

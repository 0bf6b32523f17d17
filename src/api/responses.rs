//! The error answers every `/v1` operation shares, documented once.

use utoipa::IntoResponses;

use super::problem::Problem;

/// Problems any authenticated operation that calls Urssaf can answer.
#[derive(IntoResponses)]
#[allow(dead_code)] // Only describes answers for the OpenAPI document.
pub enum CommonProblems {
    /// Missing or unknown API key.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// The request did not arrive in time: its body within `server.body_read_timeout_seconds`
    /// (this problem), or its head within `server.header_read_timeout_ms` (an empty 408). The
    /// connection is closed.
    #[response(status = 408, content_type = "application/problem+json")]
    RequestTimeout(Problem),
    /// Urssaf failed, refused the gateway's credentials, or the connection broke after sending.
    #[response(status = 502, content_type = "application/problem+json")]
    BadGateway(Problem),
    /// Urssaf unreachable or in maintenance: nothing was sent; retry after `Retry-After`.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
    /// Urssaf did not answer in time.
    #[response(status = 504, content_type = "application/problem+json")]
    Timeout(Problem),
}

//! Evidence of what went to Urssaf and what came back, for the access campaign's report and
//! the credentials check. Off unless a client is given an observer
//! ([`UrssafClient::with_observer`](super::UrssafClient::with_observer)); then every attempt
//! is passed to it. The bearer token is masked here, before anything leaves the client.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use reqwest::header::AUTHORIZATION;
use reqwest::{RequestBuilder, StatusCode};

use super::operation::Operation;

/// What replaces a secret or a token in anything recorded.
pub const MASK: &str = "***";

/// A request as it was sent (headers as set by the gateway; `Authorization` masked).
#[derive(Debug, Clone)]
pub struct SentRequest {
    pub sent_at: SystemTime,
    pub method: String,
    /// Full URL, query included.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Bytes>,
}

/// One attempt: the request, and Urssaf's answer or why there was none.
#[derive(Debug)]
pub struct Exchange<'a> {
    pub operation: Operation,
    pub request: &'a SentRequest,
    /// `None` when no answer arrived.
    pub status: Option<u16>,
    /// The answer's body as received, or the transport failure.
    pub answer: Result<&'a [u8], String>,
    pub latency: Duration,
}

/// Receives every attempt of a client it is set on.
pub trait ExchangeObserver: Send + Sync {
    fn exchange(&self, exchange: &Exchange<'_>);
}

/// The client's optional observer; does nothing (and allocates nothing) when unset.
#[derive(Clone, Default)]
pub(crate) struct Hook(Option<Arc<dyn ExchangeObserver>>);

impl Hook {
    pub(crate) fn new(observer: Arc<dyn ExchangeObserver>) -> Hook {
        Hook(Some(observer))
    }

    /// A copy of the request about to be sent, when an observer wants it.
    pub(crate) fn capture(&self, request: &RequestBuilder) -> Option<SentRequest> {
        self.0.as_ref()?;
        let built = request.try_clone()?.build().ok()?;
        let headers = built
            .headers()
            .iter()
            .map(|(name, value)| {
                let shown = if name == AUTHORIZATION {
                    mask_authorization(value.to_str().unwrap_or_default())
                } else {
                    String::from_utf8_lossy(value.as_bytes()).into_owned()
                };
                (name.as_str().to_string(), shown)
            })
            .collect();
        Some(SentRequest {
            sent_at: SystemTime::now(),
            method: built.method().to_string(),
            url: built.url().to_string(),
            headers,
            body: built
                .body()
                .and_then(|b| b.as_bytes())
                .map(Bytes::copy_from_slice),
        })
    }

    /// Hands one attempt to the observer (nothing happens without a captured request).
    pub(crate) fn record(
        &self,
        operation: Operation,
        request: Option<&SentRequest>,
        started: Instant,
        status: Option<StatusCode>,
        answer: Result<&[u8], &dyn std::fmt::Display>,
    ) {
        let (Some(observer), Some(request)) = (&self.0, request) else {
            return;
        };
        observer.exchange(&Exchange {
            operation,
            request,
            status: status.map(|s| s.as_u16()),
            answer: answer.map_err(|e| e.to_string()),
            latency: started.elapsed(),
        });
    }
}

/// `Bearer abc…` → `Bearer ***`: the scheme stays readable, the credential does not.
fn mask_authorization(value: &str) -> String {
    match value.split_once(' ') {
        Some((scheme, _)) => format!("{scheme} {MASK}"),
        None => MASK.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Keep(Mutex<Vec<(Option<u16>, String)>>);

    impl ExchangeObserver for Keep {
        fn exchange(&self, e: &Exchange<'_>) {
            let answer = match e.answer {
                Ok(b) => String::from_utf8_lossy(b).into_owned(),
                Err(ref m) => m.clone(),
            };
            self.0.lock().unwrap().push((e.status, answer));
        }
    }

    #[test]
    fn authorization_is_masked_and_the_body_kept() {
        let keep = Arc::new(Keep::default());
        let hook = Hook::new(keep.clone());
        let rb = reqwest::Client::new()
            .post("http://127.0.0.1:1/atp/v1/tiersPrestations/particulier?x=1")
            .bearer_auth("0123456789abcdef")
            .json(&serde_json::json!({"a": 1}));
        let seen = hook.capture(&rb).unwrap();
        assert_eq!(seen.method, "POST");
        assert!(seen.url.ends_with("/particulier?x=1"));
        assert!(seen
            .headers
            .contains(&("authorization".into(), "Bearer ***".into())));
        assert!(!format!("{seen:?}").contains("0123456789abcdef"));
        assert_eq!(seen.body.as_deref(), Some(&br#"{"a":1}"#[..]));
        hook.record(
            Operation::RegisterClient,
            Some(&seen),
            Instant::now(),
            Some(StatusCode::OK),
            Ok(b"{}"),
        );
        assert_eq!(keep.0.lock().unwrap()[0], (Some(200), "{}".to_string()));
    }

    #[test]
    fn without_an_observer_nothing_is_captured() {
        let rb = reqwest::Client::new().get("http://127.0.0.1:1/");
        assert!(Hook::default().capture(&rb).is_none());
        assert_eq!(mask_authorization("opaque"), "***");
    }
}

//! One delivery attempt: a signed `POST` of the message to the tenant's URL, with a deadline,
//! no redirects and no proxy (a proxy would resolve the name itself, past our checks).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::record::{now_ms, Attempt, Delivery};
use crate::config::EventsSettings;
use crate::webhook_endpoint::sign::signature_header;
use crate::webhook_endpoint::target::PublicOnlyResolver;
use crate::webhook_endpoint::WebhookEndpoint;

pub struct Sender {
    /// `https` only, every address public (checked as resolved).
    public: reqwest::Client,
    /// For tenants allowed private targets (see `Settings::private_targets_allowed`).
    private: reqwest::Client,
    timeout: Duration,
}

impl Sender {
    pub fn new(settings: &EventsSettings) -> Result<Sender, String> {
        let timeout = Duration::from_secs(settings.webhook_timeout_seconds);
        let builder = || {
            reqwest::Client::builder()
                .connect_timeout(timeout)
                .timeout(timeout)
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .pool_idle_timeout(Duration::from_secs(30))
                .user_agent(concat!("urssaf-gateway/", env!("CARGO_PKG_VERSION")))
        };
        let public = builder()
            .https_only(true)
            .dns_resolver(Arc::new(PublicOnlyResolver))
            .build();
        let private = builder().build();
        let (Ok(public), Ok(private)) = (public, private) else {
            return Err("webhook http client: cannot be built".into());
        };
        Ok(Sender {
            public,
            private,
            timeout,
        })
    }

    /// Sends once; never fails, the attempt says what happened. `allow_private`: this
    /// tenant's webhook may go to `http` and private addresses.
    pub async fn send(
        &self,
        endpoint: &WebhookEndpoint,
        allow_private: bool,
        d: &Delivery,
    ) -> Attempt {
        let at_ms = now_ms();
        let started = Instant::now();
        let refused = (!allow_private).then(|| endpoint.url.refusal()).flatten();
        let client = if allow_private {
            &self.private
        } else {
            &self.public
        };
        let result = match refused {
            Some(why) => Err(format!("{}: {why}", endpoint.url.origin())),
            None => self.post(client, endpoint, d).await,
        };
        let (status_code, error) = match result {
            Ok(code) => (Some(code), None),
            Err(e) => (None, Some(e)),
        };
        Attempt {
            at_ms,
            status_code,
            error,
            duration_ms: started.elapsed().as_millis() as u64,
        }
    }

    async fn post(
        &self,
        client: &reqwest::Client,
        endpoint: &WebhookEndpoint,
        d: &Delivery,
    ) -> Result<u16, String> {
        // The time of this attempt, not of the event: receivers refuse old timestamps.
        let timestamp = chrono::Utc::now().timestamp();
        let signature = signature_header(&endpoint.secrets, &d.id, timestamp, &d.body);
        let sent = client
            .post(endpoint.url.url().clone())
            .header("content-type", "application/json")
            .header("webhook-id", &d.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(d.body.clone())
            .send()
            .await;
        match sent {
            // The answer's body is not read: only its status counts.
            Ok(response) => Ok(response.status().as_u16()),
            Err(e) if e.is_timeout() => {
                Err(format!("no answer within {} s", self.timeout.as_secs()))
            }
            Err(e) => Err(describe(e)),
        }
    }
}

/// The error and its causes, without the URL (its path or query may hold a token).
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

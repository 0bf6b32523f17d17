//! A tenant's webhook endpoint as configured: where to (with the rules on what a target may
//! be) and the secrets that sign. Plain values, below `config`, `tenant` and `events`, so
//! settings can hold them without knowing how deliveries are made.

pub mod sign;
pub mod target;

pub use sign::SigningSecret;
pub use target::WebhookUrl;

/// A tenant's webhook: where to, and the secrets that sign (several while rotating).
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEndpoint {
    pub url: WebhookUrl,
    pub secrets: Vec<SigningSecret>,
}

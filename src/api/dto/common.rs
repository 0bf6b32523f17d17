//! Types shared by several resources.

use serde::Serialize;
use utoipa::ToSchema;

// The API's rendering of `urssaf::UrssafError` (named apart: one name per concept).
/// Urssaf's own error, passed through for upstream rejections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct UrssafErrorDetail {
    /// Urssaf's error code, e.g. `ERR_TOTAL_PRESTATIONS`. Urssaf: `code`.
    pub code: String,
    /// Urssaf's message (French). Urssaf: `message`.
    pub message: String,
    /// Urssaf's description (French). Urssaf: `description`.
    pub description: String,
}

impl From<&crate::urssaf::UrssafError> for UrssafErrorDetail {
    fn from(e: &crate::urssaf::UrssafError) -> Self {
        Self {
            code: e.code.as_str().to_string(),
            message: e.message.clone(),
            description: e.description.clone(),
        }
    }
}

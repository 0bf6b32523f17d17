//! Pure business rules: validated values, totals, status meanings. No I/O, no HTTP.

/// One failing field of a caller's request, named by its JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// JSON pointer (RFC 6901) to the failing field in the caller's request, e.g. `/address/postal_code`.
    pub pointer: String,
    /// Stable machine name of the rule broken, e.g. `insee_commune_code`.
    pub rule: String,
    /// What the rule expects, in plain English.
    pub message: String,
}

impl FieldError {
    pub fn new(
        pointer: impl Into<String>,
        rule: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            pointer: pointer.into(),
            rule: rule.into(),
            message: message.into(),
        }
    }
}

//! A step's failure told the way the gateway's API tells it (same readings, same hints).

use crate::api::errors::upstream_problem;
use crate::campaign::report::Failure;
use crate::domain::client::AccountStatus;
use crate::service::ServiceError;
use crate::urssaf::{UpstreamError, UrssafError};

pub(super) fn status_text(a: &AccountStatus) -> String {
    if a.raw.description.is_empty() {
        a.raw.code.clone()
    } else {
        format!("{} ({})", a.raw.code, a.raw.description)
    }
}

pub(super) fn urssaf_text(e: &UrssafError) -> String {
    message_text(&e.message, &e.description)
}

/// Urssaf's message, followed by its description when it gave one.
fn message_text(message: &str, description: &str) -> String {
    if description.is_empty() {
        message.to_string()
    } else {
        format!("{message}: {description}")
    }
}

pub(super) fn failure_of(e: &ServiceError) -> Failure {
    match e {
        ServiceError::Invalid(fields) => Failure {
            problem: format!(
                "the gateway refused the input before sending anything ({} invalid field(s))",
                fields.len()
            ),
            hint: Some("Correct the identity (--identity) or the tenant's settings (worker_id) as the fields say.".into()),
            fields: fields
                .iter()
                .map(|f| format!("{}: {}", f.pointer, f.message))
                .collect(),
            ..Failure::default()
        },
        ServiceError::NotFound(detail) => Failure {
            problem: detail.clone(),
            ..Failure::default()
        },
        ServiceError::Upstream(u) => upstream_failure(u),
    }
}

pub(super) fn upstream_failure(e: &UpstreamError) -> Failure {
    let p = upstream_problem(e);
    Failure {
        urssaf_code: p.urssaf.as_ref().map(|u| u.code.clone()),
        urssaf_message: p
            .urssaf
            .as_ref()
            .map(|u| message_text(&u.message, &u.description)),
        problem: p.detail,
        hint: p.hint,
        fields: Vec::new(),
    }
}

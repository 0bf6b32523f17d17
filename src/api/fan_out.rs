//! Bounded fan-out: one request cannot become hundreds of Urssaf calls. A submission holds at
//! most `limits.max_invoices_per_submission` invoices, a search at most
//! `limits.max_search_values` ids and as many invoice numbers; beyond, a 422 names the field.

use actix_web::{web, HttpRequest};

use super::problem::Problem;
use crate::api::dto::payment_requests::SearchPaymentRequests;
use crate::domain::FieldError;

/// The limits, as app data.
#[derive(Debug, Clone, Copy)]
pub struct FanOut {
    pub max_invoices: usize,
    pub max_search_values: usize,
}

impl Default for FanOut {
    fn default() -> Self {
        FanOut {
            max_invoices: 100,
            max_search_values: 100,
        }
    }
}

impl FanOut {
    /// The application's limits (the defaults when none were registered).
    pub fn of(req: &HttpRequest) -> FanOut {
        req.app_data::<web::Data<FanOut>>()
            .map(|f| *f.get_ref())
            .unwrap_or_default()
    }

    pub fn check_submission(&self, invoices: usize) -> Result<(), Problem> {
        if invoices <= self.max_invoices {
            return Ok(());
        }
        Err(Problem::validation(vec![FieldError::new(
            "/invoices",
            "max_items",
            format!(
                "must hold at most {} invoices (limits.max_invoices_per_submission); send the others in another request",
                self.max_invoices
            ),
        )]))
    }

    pub fn check_search(&self, search: &SearchPaymentRequests) -> Result<(), Problem> {
        let max = self.max_search_values;
        let errors: Vec<FieldError> = [("ids", &search.ids), ("invoice_numbers", &search.invoice_numbers)]
            .into_iter()
            .filter(|(_, values)| values.as_ref().is_some_and(|v| v.len() > max))
            .map(|(field, _)| {
                FieldError::new(
                    format!("/{field}"),
                    "max_items",
                    format!("must hold at most {max} values (limits.max_search_values); search the others in another request"),
                )
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Problem::validation(errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beyond_the_limits_the_field_is_named() {
        let f = FanOut {
            max_invoices: 2,
            max_search_values: 3,
        };
        assert!(f.check_submission(2).is_ok());
        let p = f.check_submission(3).unwrap_err();
        assert_eq!((p.status, p.errors[0].pointer.as_str()), (422, "/invoices"));
        let search = |ids: usize, numbers: usize| SearchPaymentRequests {
            ids: Some(vec!["1".into(); ids]),
            invoice_numbers: Some(vec!["F".into(); numbers]),
            ..SearchPaymentRequests::default()
        };
        assert!(f.check_search(&search(3, 3)).is_ok());
        let p = f.check_search(&search(4, 5)).unwrap_err();
        let pointers: Vec<&str> = p.errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/ids", "/invoice_numbers"]);
        assert_eq!(p.errors[0].rule, "max_items");
    }
}

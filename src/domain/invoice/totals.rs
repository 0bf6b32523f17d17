//! The invoice totals: Σ line TTC with the one-cent rule (module doc of `parse`), Σ line HT,
//! each against the caller's.

use rust_decimal::Decimal;

use super::line::{self, WorkLine};
use super::{AdjustedField, Adjustment};
use crate::domain::decimal::fmt_money;
use crate::domain::FieldError;

/// The invoice totals, from the lines, against the caller's.
pub(super) struct Totals<'a> {
    pub(super) p: &'a str,
    /// The most rounding can drift: one cent per line.
    pub(super) tolerance: Decimal,
    pub(super) adjustments: &'a mut Vec<Adjustment>,
    pub(super) errors: &'a mut Vec<FieldError>,
}

impl Totals<'_> {
    /// Σ line TTC; a caller's total within the tolerance is reached by moving the difference
    /// onto one line (the one-cent rule). `None` when the sum overflows.
    pub(super) fn incl_tax(
        &mut self,
        lines: &mut [WorkLine],
        given: Option<Decimal>,
    ) -> Option<Decimal> {
        let p = self.p;
        let Some(mut ttc) = line::sum(lines, |l| l.ttc) else {
            self.errors.push(line::overflow(format!("{p}/lines")));
            return None;
        };
        if let Some(given) = given {
            let diff = given - ttc;
            if !diff.is_zero() {
                let adjusted = (diff.abs() <= self.tolerance)
                    .then(|| line::absorb_difference(lines, diff, p, given, ttc))
                    .flatten();
                match adjusted {
                    Some(a) => {
                        self.adjustments.push(a);
                        ttc = given;
                    }
                    None => self.errors.push(FieldError::new(
                        format!("{p}/total_incl_tax"),
                        "total_mismatch",
                        format!(
                            "must equal the sum of the line totals ({}); a gap of up to 0.01 per line is fixed by adjusting one unit price, but none could absorb this one",
                            fmt_money(ttc)
                        ),
                    )),
                }
            }
        }
        if ttc.is_zero() {
            self.errors.push(FieldError::new(
                format!("{p}/lines"),
                "positive_total",
                "the invoice total must be greater than 0",
            ));
        }
        Some(ttc)
    }

    /// Always Σ line HT (Urssaf's arithmetic); the caller's is checked against it.
    pub(super) fn excl_tax(&mut self, lines: &[WorkLine], given: Option<Decimal>) -> Decimal {
        let p = self.p;
        let ht = line::sum(lines, |l| l.ht).unwrap_or(Decimal::ZERO);
        let Some(given) = given else {
            return ht;
        };
        let diff = (given - ht).abs();
        if diff > self.tolerance {
            self.errors.push(FieldError::new(
                format!("{p}/total_excl_tax"),
                "total_mismatch",
                format!(
                    "must equal the sum of the line totals excl. tax ({})",
                    fmt_money(ht)
                ),
            ));
        } else if !diff.is_zero() {
            self.adjustments.push(Adjustment {
                pointer: format!("{p}/total_excl_tax"),
                field: AdjustedField::InvoiceTotalExclTax,
                original: fmt_money(given),
                adjusted: fmt_money(ht),
                reason:
                    "the invoice total excl. tax is sent as the sum of the line totals excl. tax"
                        .into(),
            });
        }
        ht
    }
}

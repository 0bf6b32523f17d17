//! Urssaf's rejection reason codes (`infoRejet.code`, urssaf-atp.md §4.3) read into what they
//! mean for the domain. The wire names live here; `domain::status::RejectionReason` holds the
//! meaning, its family and its English label.

use crate::domain::status::{RejectionCategory, RejectionReason};

/// The meaning of a reason code (surrounding spaces ignored). A code of a known family that is
/// not in Urssaf's list keeps its family.
pub fn rejection_reason(code: &str) -> RejectionReason {
    use RejectionReason::*;
    match code.trim() {
        "REGUL_MNT_FACT" => AmountToCorrect,
        "REGUL_NB_QTE_FACT" => QuantityToCorrect,
        "REGUL_PRESTA_FACT" => ServicesToCorrect,
        "REGUL_AUTRE" => OtherCorrection,
        "CONTEST_ERR_FACT" => InvoiceError,
        "CONTEST_FACT_REGLEE" => AlreadyPaid,
        "CONTEST_AUTRE" => OtherContestation,
        "ANNUL_DBL" => DuplicateRequest,
        "ANNUL_ERR_MNT" => WrongAmount,
        "ANNUL_ERR_TECH" => TechnicalError,
        "ANNUL_AUTRE" => OtherCancellation,
        c if c.starts_with("REGUL_") => Unlisted(RejectionCategory::Regularisation),
        c if c.starts_with("CONTEST_") => Unlisted(RejectionCategory::Contestation),
        c if c.starts_with("ANNUL_") => Unlisted(RejectionCategory::Cancellation),
        _ => Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejection_categories() {
        let meaning = |code| {
            let r = rejection_reason(code);
            (r.category(), r.label())
        };
        assert_eq!(
            meaning("REGUL_MNT_FACT").0,
            RejectionCategory::Regularisation
        );
        assert_eq!(
            meaning(" CONTEST_FACT_REGLEE ").0,
            RejectionCategory::Contestation
        );
        assert_eq!(
            meaning("ANNUL_DBL"),
            (RejectionCategory::Cancellation, "Duplicate payment request")
        );
        assert_eq!(
            meaning("REGUL_NOUVEAU"),
            (
                RejectionCategory::Regularisation,
                "Regularisation requested"
            )
        );
        assert_eq!(
            meaning("PREST_ABS"),
            (RejectionCategory::Unknown, "Unknown reason")
        );
    }
}

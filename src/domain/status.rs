//! Meaning of a payment request's Urssaf status (urssaf-atp.md §4.1) and rejection reason (§4.3).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Stable state of a payment request, derived from Urssaf's `statut.code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    /// 10 Intégrée.
    Integrated,
    /// 15 Aides calculées.
    AidCalculated,
    /// 20 En attente de validation: the client has 48 h to validate or contest.
    AwaitingClientValidation,
    /// 30 Validée.
    Validated,
    /// 40 Refusée: see `rejection`.
    Refused,
    /// 50 Prélevée.
    Debited,
    /// 60 En refus de prélèvement.
    DebitRefused,
    /// 70 Payée, transfer date passed.
    Paid,
    /// 70 Payée, but the transfer date is absent or still in the future.
    PaymentScheduled,
    /// 80 En attente d'échanges.
    AwaitingExchanges,
    /// 90 Clôturée.
    Closed,
    /// 100 Supprimée.
    Deleted,
    /// 110 Annulée.
    Cancelled,
    /// 111 Annulée après impayé.
    CancelledAfterUnpaid,
    /// 112 Annulée après recouvrement.
    CancelledAfterRecovery,
    /// 113 Annulée (raison spécifique).
    CancelledSpecific,
    /// 120 Recouvrée.
    Recovered,
    /// 260 Impayé prestataire.
    ProviderUnpaid,
    /// 270 Régularisé prestataire.
    ProviderRegularised,
    /// Any other code (kept raw in `urssaf_code`).
    Unknown,
}

impl PaymentState {
    /// Closed without being paid: refused (40), deleted (100) or cancelled (110–113).
    pub fn closed_unpaid(self) -> bool {
        matches!(
            self,
            PaymentState::Refused
                | PaymentState::Deleted
                | PaymentState::Cancelled
                | PaymentState::CancelledAfterUnpaid
                | PaymentState::CancelledAfterRecovery
                | PaymentState::CancelledSpecific
        )
    }
}

/// Urssaf's code, our state, Urssaf's French label, whether it is final.
const TABLE: &[(&str, PaymentState, &str, bool)] = &[
    ("10", PaymentState::Integrated, "Intégrée", false),
    ("15", PaymentState::AidCalculated, "Aides calculées", false),
    (
        "20",
        PaymentState::AwaitingClientValidation,
        "En attente de validation",
        false,
    ),
    ("30", PaymentState::Validated, "Validée", false),
    ("40", PaymentState::Refused, "Refusée", true),
    ("50", PaymentState::Debited, "Prélevée", false),
    (
        "60",
        PaymentState::DebitRefused,
        "En refus de prélèvement",
        false,
    ),
    ("70", PaymentState::Paid, "Payée", true),
    (
        "80",
        PaymentState::AwaitingExchanges,
        "En attente d'échanges",
        false,
    ),
    ("90", PaymentState::Closed, "Clôturée", true),
    ("100", PaymentState::Deleted, "Supprimée", true),
    ("110", PaymentState::Cancelled, "Annulée", true),
    (
        "111",
        PaymentState::CancelledAfterUnpaid,
        "Annulée après impayé",
        true,
    ),
    (
        "112",
        PaymentState::CancelledAfterRecovery,
        "Annulée après recouvrement",
        true,
    ),
    (
        "113",
        PaymentState::CancelledSpecific,
        "Annulée (raison spécifique)",
        true,
    ),
    ("120", PaymentState::Recovered, "Recouvrée", true),
    (
        "260",
        PaymentState::ProviderUnpaid,
        "Impayé prestataire",
        false,
    ),
    (
        "270",
        PaymentState::ProviderRegularised,
        "Régularisé prestataire",
        true,
    ),
];

/// A status, interpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMeaning {
    pub state: PaymentState,
    /// No further change expected.
    pub is_final: bool,
    /// Urssaf's label, or the documented French label when Urssaf sent none.
    pub label: String,
}

/// Interprets Urssaf's status code (leading zeros and spaces ignored). Status 70 counts as
/// `paid` (and final) only once the transfer date is known and not after `today`; before
/// that it is `payment_scheduled`. Unknown codes give `unknown`, never an error.
pub fn interpret(
    code: &str,
    urssaf_label: &str,
    transfer_date: Option<NaiveDate>,
    today: NaiveDate,
) -> StatusMeaning {
    let c = code.trim().trim_start_matches('0');
    let (state, table_label, is_final) = TABLE
        .iter()
        .find(|(k, ..)| *k == c)
        .map(|(_, s, l, f)| (*s, *l, *f))
        .unwrap_or((PaymentState::Unknown, "", false));
    let (state, is_final) = match state {
        PaymentState::Paid if transfer_date.is_none_or(|d| d > today) => {
            (PaymentState::PaymentScheduled, false)
        }
        s => (s, is_final),
    };
    let given = urssaf_label.trim();
    let label = if given.is_empty() {
        table_label.to_string()
    } else {
        given.to_string()
    };
    StatusMeaning {
        state,
        is_final,
        label,
    }
}

/// Family of a rejection reason (Urssaf: `infoRejet.code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RejectionCategory {
    /// The client asks for a corrected invoice.
    Regularisation,
    /// The client contests the invoice.
    Contestation,
    /// The payment request was cancelled.
    Cancellation,
    /// A reason of no known family.
    Unknown,
}

/// Why the client refused or contested a payment request, or why Urssaf cancelled it: the
/// meaning of Urssaf's reason code (`infoRejet.code`), which `urssaf::codes` reads; the
/// domain knows no wire name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectionReason {
    AmountToCorrect,
    QuantityToCorrect,
    ServicesToCorrect,
    OtherCorrection,
    InvoiceError,
    AlreadyPaid,
    OtherContestation,
    DuplicateRequest,
    WrongAmount,
    TechnicalError,
    OtherCancellation,
    /// A code of a known family that Urssaf's documentation does not list.
    Unlisted(RejectionCategory),
    Unknown,
}

impl RejectionReason {
    pub fn category(self) -> RejectionCategory {
        use RejectionCategory::*;
        use RejectionReason as R;
        match self {
            R::AmountToCorrect
            | R::QuantityToCorrect
            | R::ServicesToCorrect
            | R::OtherCorrection => Regularisation,
            R::InvoiceError | R::AlreadyPaid | R::OtherContestation => Contestation,
            R::DuplicateRequest | R::WrongAmount | R::TechnicalError | R::OtherCancellation => {
                Cancellation
            }
            R::Unlisted(category) => category,
            R::Unknown => Unknown,
        }
    }

    /// English label.
    pub fn label(self) -> &'static str {
        use RejectionCategory as C;
        use RejectionReason as R;
        match self {
            R::AmountToCorrect => "Wrong invoiced amount and/or unit price",
            R::QuantityToCorrect => "Wrong number of hours or quantities",
            R::ServicesToCorrect => "Wrong services invoiced",
            R::OtherCorrection => "Other regularisation reason",
            R::InvoiceError => "The invoice contains an error",
            R::AlreadyPaid => "The invoice was already paid",
            R::OtherContestation => "Other contestation reason",
            R::DuplicateRequest => "Duplicate payment request",
            R::WrongAmount => "Wrong invoiced amount",
            R::TechnicalError => "Technical error",
            R::OtherCancellation => "Other cancellation reason",
            R::Unlisted(C::Regularisation) => "Regularisation requested",
            R::Unlisted(C::Contestation) => "Contested by the client",
            R::Unlisted(C::Cancellation) => "Cancelled",
            R::Unlisted(C::Unknown) | R::Unknown => "Unknown reason",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 10).unwrap()
    }

    #[test]
    fn every_documented_code() {
        let expected = [
            ("10", "integrated", false),
            ("15", "aid_calculated", false),
            ("20", "awaiting_client_validation", false),
            ("30", "validated", false),
            ("40", "refused", true),
            ("50", "debited", false),
            ("60", "debit_refused", false),
            ("80", "awaiting_exchanges", false),
            ("90", "closed", true),
            ("100", "deleted", true),
            ("110", "cancelled", true),
            ("111", "cancelled_after_unpaid", true),
            ("112", "cancelled_after_recovery", true),
            ("113", "cancelled_specific", true),
            ("120", "recovered", true),
            ("260", "provider_unpaid", false),
            ("270", "provider_regularised", true),
        ];
        for (code, state, fin) in expected {
            let m = interpret(code, "", None, today());
            assert_eq!(serde_json::to_value(m.state).unwrap(), state, "{code}");
            assert_eq!(m.is_final, fin, "{code}");
            assert!(!m.label.is_empty(), "{code}");
        }
    }

    #[test]
    fn paid_only_once_transfer_date_passed() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 11, day);
        assert_eq!(
            interpret("70", "Payée", d(10), today()).state,
            PaymentState::Paid
        );
        assert!(interpret("70", "Payée", d(9), today()).is_final);
        let later = interpret("70", "Payée", d(11), today());
        assert_eq!(
            (later.state, later.is_final),
            (PaymentState::PaymentScheduled, false)
        );
        assert_eq!(
            interpret("70", "", None, today()).state,
            PaymentState::PaymentScheduled
        );
    }

    #[test]
    fn unknown_codes_pass_through() {
        let m = interpret("999", "", None, today());
        assert_eq!(
            (m.state, m.is_final, m.label.as_str()),
            (PaymentState::Unknown, false, "")
        );
        assert_eq!(
            interpret("", "x", None, today()).state,
            PaymentState::Unknown
        );
        assert_eq!(
            interpret("ÉÉ", "", None, today()).state,
            PaymentState::Unknown
        );
    }

    #[test]
    fn labels_prefer_urssaf() {
        assert_eq!(
            interpret("40", "Refusée par le client", None, today()).label,
            "Refusée par le client"
        );
        assert_eq!(interpret("40", "  ", None, today()).label, "Refusée");
        assert_eq!(
            interpret("010", "", None, today()).state,
            PaymentState::Integrated
        );
    }
}

//! Fault injection knobs and the tunable [I] business rules: plain settings, read by the state
//! and the handlers, importing nothing of the simulator.

use serde::{Deserialize, Serialize};

/// Faults the simulator injects; all off by default. Settable at runtime through
/// `PUT /__admin/faults` or [`super::Simulator::set_faults`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Added to every API and token call.
    pub latency_ms: u64,
    /// Uniform random extra latency in `0..=latency_jitter_ms`.
    pub latency_jitter_ms: u64,
    /// Probability (0.0–1.0) that an API call answers 500 with an `ERREUR_TECHNIQUE` array.
    pub error_500_rate: f64,
    /// Probability that an API call answers 503 with an empty body (maintenance).
    pub error_503_rate: f64,
    /// Probability that an API call answers 429 with `Retry-After: 1`.
    pub error_429_rate: f64,
    /// Every API 400 answer is sent with an empty body (observed by CAERP).
    pub empty_400: bool,
    /// E4 answers spell the non-blocking errors key `Errors` (AT / CT spelling).
    pub capital_errors: bool,
    /// E2 answers are a one-element array instead of an object.
    pub status_as_array: bool,
    /// E3 integrates the payment requests, then drops the connection without answering.
    pub drop_after_accept: bool,
    /// Overrides the configured token lifetime for tokens issued from now on.
    pub token_lifetime_secs: Option<u64>,
}

/// Business rules the spec marks as inferred ([I]); defaults follow the spec's suggestion.
/// Settable through `PUT /__admin/rules` or [`super::Simulator::set_rules`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rules {
    /// `complement2` (intervenant NOVA/SIRET) required: `ERR_NUMINTERVENANT_MANQUANT`.
    pub require_complement2: bool,
    /// Format check of `complement2` (`SAP`+9 digits or `SIR`+14 digits): `ERR_FORMAT_NUMINTERVENANT`.
    pub check_complement2_format: bool,
    /// When set, `codeActivite` (if present and non-empty) must be one of these
    /// `(codeNature, codeActivite)` pairs: `ERR_CODE_ACTIVITE` / `ERR_CODE_ACTIVITE_NATURE`.
    pub activity_codes: Option<Vec<(String, String)>>,
    /// Also check `Σ mntPrestationHT = mntFactureHT` (`ERR_TOTAL_PRESTATIONS`); unknown upstream.
    pub check_total_ht: bool,
    /// Provider allowed to declare deposits; otherwise `ERR_ACOMPTE_BLOQUE`.
    pub deposits_allowed: bool,
    /// Hours before a payment request not acted upon is validated automatically.
    pub auto_validation_hours: i64,
    /// Days from validation (30) to direct debit (50), and again from 50 to paid (70).
    pub debit_days: i64,
    pub payment_days: i64,
    /// Max length of `nomNaissance`/`nomUsage`: 80 in Swagger 1.30.3 (100 in 1.29.1).
    pub max_name_length: usize,
    /// Max length of `prenoms`: 80 in Swagger 1.30.3 (256 in 1.29.1).
    pub max_prenoms_length: usize,
    /// Reference §9 point 8 leaves open whether a payment request later refused or cancelled
    /// (status 40, 100, 110–113) frees its `numFactureTiers`. `false` (default): the number
    /// stays taken (`ERR_FACTURE_DOUBLON`); `true`: it can be used again.
    pub refused_frees_invoice_number: bool,
    /// The provider's financial guarantee is in order; otherwise every payment request gets
    /// `ERREUR_GARANTIE_FINANCIERE_NON_CONFORME`.
    pub financial_guarantee_ok: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            require_complement2: true,
            check_complement2_format: true,
            activity_codes: None,
            check_total_ht: false,
            deposits_allowed: true,
            auto_validation_hours: 48,
            debit_days: 2,
            payment_days: 2,
            max_name_length: 80,
            max_prenoms_length: 80,
            refused_frees_invoice_number: false,
            financial_guarantee_ok: true,
        }
    }
}

impl Faults {
    /// Why these knobs cannot be used, if they cannot: every rate must lie in 0.0–1.0.
    pub fn check(&self) -> Result<(), String> {
        for (name, rate) in [
            ("error_500_rate", self.error_500_rate),
            ("error_503_rate", self.error_503_rate),
            ("error_429_rate", self.error_429_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} out of range (0.0 to 1.0)"));
            }
        }
        Ok(())
    }
}

//! The intervenant's identifier sent in `complement2` (urssaf-atp.md §5.5).
//!
//! The exact format is inferred [I] from public integrations: `SAP` + 9-digit NOVA/SIREN
//! number, or `SIR` + 14-digit SIRET.

use crate::domain::FieldError;

/// Checks a worker id (trimmed, upper-cased): `SAP` + 9 digits or `SIR` + 14 digits.
pub fn check_worker_id(raw: &str, pointer: &str) -> Result<String, FieldError> {
    let w = raw.trim().to_ascii_uppercase();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let ok = w.strip_prefix("SAP").is_some_and(|d| digits(d, 9))
        || w.strip_prefix("SIR").is_some_and(|d| digits(d, 14));
    if ok {
        Ok(w)
    } else {
        Err(FieldError::new(
            pointer,
            "worker_id",
            "must be SAP followed by the 9-digit NOVA/SIREN number, or SIR followed by the 14-digit SIRET",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sap_or_sir() {
        assert_eq!(
            check_worker_id("SAP852330992", "/w").unwrap(),
            "SAP852330992"
        );
        assert_eq!(
            check_worker_id(" sir91281880900090 ", "/w").unwrap(),
            "SIR91281880900090"
        );
        for bad in [
            "SAP85233099",
            "SAP8523309921",
            "SIR9128188090009",
            "852330992",
            "SAPABCDEFGHI",
            "",
            "SAP８52330992",
        ] {
            assert_eq!(
                check_worker_id(bad, "/w").unwrap_err().rule,
                "worker_id",
                "{bad}"
            );
        }
    }
}

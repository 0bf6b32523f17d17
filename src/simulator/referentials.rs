//! Urssaf reference tables (spec §4): street types, nature codes, status labels,
//! and the field patterns of the official Swagger.

use regex::Regex;
use std::sync::LazyLock;

/// §4.6: Urssaf street-type codes.
pub(crate) const TYPES_VOIE: &[&str] = &[
    "ALL", "AV", "BAT", "BD", "C", "CAN", "CAS", "CAV", "CEI", "CEL", "CEN", "CGE", "CH", "CHA",
    "CHE", "CHN", "CHP", "CHS", "CHT", "CHV", "CI", "CIM", "CIN", "CL", "CLB", "CLI", "CLL", "CLO",
    "CN", "CO", "COE", "COG", "COL", "COM", "COR", "COT", "COU", "CRO", "CRX", "CTE", "CUR", "DEG",
    "DEP", "DES", "DIG", "DOM", "DON", "ECA", "ECL", "ECO", "ECV", "EGL", "EMP", "EN", "ENC",
    "ENT", "ESC", "ESP", "ETA", "ETG", "FAC", "FCU", "FER", "FG", "FOL", "FON", "FOR", "FOS",
    "FOY", "FRI", "FT", "GA", "GAL", "GDI", "GED", "GEN", "GGE", "GLA", "GPE", "GR", "GRI", "GRN",
    "GRP", "GSC", "GUE", "HA", "HAL", "HAM", "HCE", "HIP", "HLM", "HOP", "HOT", "HUT", "ILE",
    "ILO", "IMB", "IMP", "INS", "ISP", "JAR", "JET", "JUS", "LD", "LEV", "LOT", "LYC", "MA", "MAG",
    "MAI", "MAN", "MAR", "MAS", "MAT", "MET", "MF", "MG", "ML", "MOU", "MRI", "MTE", "MUS", "NTE",
    "OBS", "OCT", "PA", "PAE", "PAL", "PAR", "PAS", "PAT", "PAV", "PBY", "PCE", "PER", "PHA",
    "PIE", "PIM", "PKG", "PL", "PLA", "PLC", "PLE", "PLT", "PLY", "PO", "POI", "POR", "POT", "POU",
    "PPA", "PR", "PRA", "PRE", "PRO", "PRQ", "PRT", "PRU", "PT", "PTE", "Q", "QU", "R", "RAC",
    "RAM", "REM", "RES", "RNT", "ROC", "ROQ", "ROT", "ROU", "RP", "RTE", "RUL", "SAN", "SAP",
    "SAS", "SCE", "SEC", "SEM", "SEN", "SNT", "SOC", "SQ", "STA", "STN", "STO", "TE", "TEA", "TEN",
    "TER", "THE", "TOU", "TP", "TRA", "TRG", "TRI", "TUI", "USI", "VAL", "VCH", "VEL", "VEN",
    "VGE", "VIA", "VIL", "VLA", "VLE", "VNO", "VO", "VON", "VOY", "ZAC", "ZI", "ZUP",
];

/// §4.4: nature codes.
pub(crate) const CODES_NATURE: &[&str] = &[
    "10", "20", "30", "40", "50", "60", "70", "80", "90", "100", "110", "120", "130", "140", "150",
    "160", "170", "180", "190", "200", "210", "220", "230", "240", "250", "260", "270",
];

/// §4.1: payment-request status labels.
pub(crate) fn libelle_statut(code: &str) -> Option<&'static str> {
    Some(match code {
        "10" => "Intégrée",
        "15" => "Aides calculées",
        "20" => "En attente de validation",
        "30" => "Validée",
        "40" => "Refusée",
        "50" => "Prélevée",
        "60" => "En refus de prélèvement",
        "70" => "Payée",
        "80" => "En attente d'échanges",
        "90" => "Clôturée",
        "100" => "Supprimée",
        "110" => "Annulée",
        "111" => "Annulée après impayé",
        "112" => "Annulée après recouvrement",
        "113" => "Annulée (raison spécifique)",
        "120" => "Recouvrée",
        "260" => "Impayé prestataire",
        "270" => "Régularisé prestataire",
        _ => return None,
    })
}

/// Compiles one of the constant patterns below (a typo there is caught by the unit test).
fn re(pattern: &str) -> Regex {
    #[allow(clippy::expect_used)]
    Regex::new(pattern).expect("constant pattern")
}

// Swagger patterns. Urssaf's back end is Java, whose `matches()` requires the whole string
// to match, so every pattern is wrapped in `^(?:…)$` even where the Swagger text is not.
pub(crate) static NOM: LazyLock<Regex> = LazyLock::new(|| re(r"^(?:\pL+[\pL'\- ]*\pL|\pL)$"));
pub(crate) static PRENOMS: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\pL+(?:['\-]*\pL+)*(?: \pL+(?:['\-]*\pL+)*)*$"));
pub(crate) static TELEPHONE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?:0|\+33)[6-7](?:[0-9]{2}){4}$"));
pub(crate) static MAIL: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^[-A-Za-z0-9_]+(?:\.[-A-Za-z0-9_]+)*@[A-Za-z0-9]+(?:(?:-|\.)[A-Za-z0-9]+)*\.[A-Za-z]+$")
});
pub(crate) static CINQ_CHIFFRES: LazyLock<Regex> = LazyLock::new(|| re(r"^[0-9]{5}$"));
pub(crate) static DEPARTEMENT: LazyLock<Regex> = LazyLock::new(|| re(r"^[09][0-9][0-9abAB]$"));
pub(crate) static TROIS_CHIFFRES: LazyLock<Regex> = LazyLock::new(|| re(r"^[0-9]{3}$"));
pub(crate) static NUMERO_VOIE: LazyLock<Regex> = LazyLock::new(|| re(r"^[0-9]{0,20}$"));
pub(crate) static CODE_TYPE_VOIE: LazyLock<Regex> = LazyLock::new(|| re(r"^[0-9A-Za-z]{0,4}$"));
pub(crate) static CODE_COMMUNE: LazyLock<Regex> = LazyLock::new(|| re(r"^[0-9][0-9abAB][0-9]{3}$"));
pub(crate) static BIC: LazyLock<Regex> =
    LazyLock::new(|| re(r"^[a-zA-Z]{6}[0-9a-zA-Z]{2}(?:[0-9a-zA-Z]{3})?$"));
pub(crate) static IBAN: LazyLock<Regex> =
    LazyLock::new(|| re(r"^[a-zA-Z]{2}[0-9]{2}[a-zA-Z0-9]{4}[0-9]{7}[a-zA-Z0-9]{0,16}$"));
pub(crate) static NUM_INTERVENANT: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?:SAP[0-9]{9}|SIR[0-9]{14})$"));
/// Urssaf datetimes: UTC with a final `Z`, optional milliseconds.
pub(crate) static DATE_URSSAF: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,3})?Z$")
});

/// ISO 13616 check: move the first four characters to the end, letters become 10..35,
/// and the number must be 1 modulo 97.
pub(crate) fn iban_valide(iban: &str) -> bool {
    let (head, tail) = match (iban.get(..4), iban.get(4..)) {
        (Some(h), Some(t)) => (h, t),
        _ => return false,
    };
    let mut reste: u32 = 0;
    for c in tail.chars().chain(head.chars()) {
        let Some(v) = c.to_digit(36) else {
            return false;
        };
        // Letters are two digits wide, digits one.
        reste = if v >= 10 {
            (reste * 100 + v) % 97
        } else {
            (reste * 10 + v) % 97
        };
    }
    reste == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compile_and_anchor() {
        assert!(NOM.is_match("D'ARTAGNAN-Lévêque"));
        assert!(NOM.is_match("X"));
        assert!(!NOM.is_match("Dupont1"));
        assert!(!NOM.is_match("-Dupont"));
        assert!(PRENOMS.is_match("Jean-Pierre Marie"));
        assert!(!PRENOMS.is_match("Jean  Pierre"));
        assert!(TELEPHONE.is_match("+33612345678"));
        assert!(!TELEPHONE.is_match("0512345678"));
        assert!(MAIL.is_match("a.b@c-d.fr"));
        assert!(DEPARTEMENT.is_match("02A") && DEPARTEMENT.is_match("974"));
        assert!(!DEPARTEMENT.is_match("44"));
        assert!(CODE_COMMUNE.is_match("2A004"));
        assert!(BIC.is_match("BNPAFRPP") && IBAN.is_match("FR7630004000031234567890143"));
        assert!(DATE_URSSAF.is_match("2026-11-02T00:00:00.000Z"));
        assert!(!DATE_URSSAF.is_match("2026-11-02T00:00:00+00:00"));
        assert!(NUM_INTERVENANT.is_match("SAP852330992"));
        assert!(!NUM_INTERVENANT.is_match("SAP85233099"));
    }

    #[test]
    fn iban_check() {
        assert!(iban_valide("FR7630004000031234567890143"));
        assert!(iban_valide("GB82WEST12345698765432"));
        assert!(!iban_valide("FR7630004000031234567890144"));
    }
}

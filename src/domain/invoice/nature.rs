//! Urssaf's service nature codes (`codeNature`, urssaf-atp.md §4.4).

/// Every nature code with its short French label.
pub const NATURES: &[(&str, &str)] = &[
    ("10", "Garde d'enfant handicapé"),
    ("20", "Accompagnement d'enfant handicapé"),
    ("30", "Aide humaine"),
    ("40", "Conduite du véhicule personnel"),
    ("50", "Accompagnement pour les sorties"),
    ("60", "Ménage – repassage"),
    ("70", "Jardinage"),
    ("80", "Petit bricolage"),
    ("90", "Garde d'enfant + 6 ans"),
    ("100", "Soutien scolaire"),
    ("110", "Coiffure – esthétique"),
    ("120", "Préparation de repas"),
    ("130", "Livraison de repas"),
    ("140", "Collecte et livraison de linge"),
    ("150", "Livraison de courses"),
    ("160", "Assistance informatique"),
    ("170", "Soins et promenades d'animaux"),
    ("180", "Gardiennage"),
    ("190", "Assistance administrative"),
    ("200", "Accompagnement d'enfant + 6 ans"),
    ("210", "Téléassistance"),
    ("220", "Interprétariat et codage"),
    ("230", "Conduite du véhicule personnel – temporaire"),
    ("240", "Accompagnement pour les sorties – temporaire"),
    ("250", "Aide humaine – temporaire"),
    ("260", "Plateforme de coordination"),
    ("270", "Divers – non éligible"),
];

/// The canonical nature code for a caller's value (trimmed), if Urssaf knows it.
pub fn nature_code(raw: &str) -> Option<&'static str> {
    let t = raw.trim();
    NATURES
        .iter()
        .find(|(code, _)| *code == t)
        .map(|(code, _)| *code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_only() {
        assert_eq!(NATURES.len(), 27);
        assert_eq!(nature_code(" 60 "), Some("60"));
        assert_eq!(nature_code("270"), Some("270"));
        for bad in ["", "0", "65", "280", "ENF", "060"] {
            assert_eq!(nature_code(bad), None, "{bad}");
        }
    }
}

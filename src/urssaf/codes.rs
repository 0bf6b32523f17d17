//! What Urssaf's error codes mean for the caller: a next step, and the field at fault
//! (as a JSON pointer into the caller's request).

use regex::Regex;
use std::sync::LazyLock;

/// A plain-English next step for the common Urssaf error codes.
pub fn hint(code: &str) -> Option<&'static str> {
    let c = code.trim();
    Some(match c {
        "ERR_DGFIP_R2P_INCONNU" => "The tax administration does not know this identity. It must match the tax records exactly: all first names, birth name (no typo, accents removed if needed), birth date, and the INSEE code of the birth commune as it was at the date of birth.",
        "ERR_DGFIP_IMPOTPART_INCONNU" => "The client has never filed a French income-tax return, which the scheme requires. The client must file one first.",
        "ERR_ECV_PARTICULIERS_EXISTENT" => "Several Urssaf accounts match this identity; the client must contact Urssaf.",
        "ERREUR_REFERENCE_PARTICULIER_EXISTANTE_TYPE" => "This e-mail / phone pair already belongs to another client: use the client's own e-mail and phone.",
        "ERR_COORDONNEES_BANCAIRES" | "ERR_APPEL_BACB" => "Urssaf refused the bank details: check the IBAN and BIC with the client's bank statement (RIB).",
        "ERR_LIEN_TIERS_PRESTATION_PARTICULIER_EXISTE" => "This client is already linked to you: look the client up (GET /v1/clients?email=…) instead of registering again.",
        "ERR_PARTICULIER_INCONNU" => "Urssaf does not accept payment requests for this client yet, or the birth date does not match: check GET /v1/clients/{id} (state must be active) and client_birth_date.",
        "ERR_LIEN_PARTICULIER_PRESTATAIRE" => "The service dates are before the client activated the account or accepted the link: invoice only services from account.active_since on.",
        "ERR_DATE_FUTUR" => "Send the invoice only once the services are performed: the service dates must not be in the future.",
        "ERR_PERIODE_EMPLOI_MOIS_NON_UNIQUE" => "Split the invoice: one payment request per calendar month of service.",
        "ERR_DATE_FIN_AVANT_DATE_DEB" => "The service end date is before the start date.",
        "ERR_TOTAL_PRESTATIONS" => "The invoice total differs from the sum of the line totals: send unit prices with up to 3 decimals, or omit total_incl_tax and let the gateway compute it.",
        "ERR_MNT_PREST_TTC" => "A line total differs from quantity × unit price: omit the line's total_incl_tax or give a unit price with 3 decimals.",
        "ERR_MNT_PREST_HT_TVA" => "A line's amount excl. tax plus VAT differs from its total incl. tax.",
        "ERR_FACTURE_DOUBLON" => "This invoice number was already sent. If it is the same invoice, search it by invoice number; to correct an invoice, issue it under a new number.",
        "ERR_MONTANT_ACOMPTE" => "The deposit must not exceed 50 % of the invoice total.",
        "ERR_ACOMPTE_BLOQUE" => "Your Urssaf account is not authorised to declare deposits: send the invoice without a deposit or ask Urssaf.",
        "ERR_CMPT_BLOQUE" | "ERR_COMPTE_BLOQUE" => "The client's Urssaf account is blocked (e.g. after an unpaid direct debit, for up to 4 weeks): invoice the client directly meanwhile.",
        "ERR_MANDAT_ECHU" => "The client's SEPA mandate expired: the client must renew it in the particulier.urssaf.fr space.",
        "ERR_CODE_NATURE" | "ERR_CODE_ACTIVITE" | "ERR_CODE_ACTIVITE_NATURE" => "Check the nature code (10…270) and the activity code attached to it.",
        "ERR_NUMINTERVENANT_MANQUANT" | "ERR_FORMAT_NUMINTERVENANT" => "Give worker_id: SAP followed by your 9-digit NOVA number, or SIR followed by the 14-digit SIRET.",
        "ERR_NUMINTERVENANT_BLOQUE" => "Urssaf does not authorise this worker id (SIRET/NOVA): check it with Urssaf.",
        "ERREUR_GARANTIE_FINANCIERE_NON_CONFORME" => "Your financial guarantee is missing or not compliant with Urssaf's requirements.",
        "ERR_RECHERCHE_PARTICULIER" => "No such client, or the client ended the link with you: register the client again.",
        "ERR_NBRE_MAX_RESULTAT" => "Too many results: narrow the search (shorter invoice date period).",
        "ERREUR_TECHNIQUE" => "Urssaf had a technical error: retry later.",
        _ if c.starts_with("ERR_CONTACT") => "Phone, e-mail or address are incomplete or invalid, or differ from what Urssaf already holds for this client: send exactly the same contact details.",
        _ if c.starts_with("ERR_LIEU_NAISSANCE") || c.starts_with("ERREUR_LIEU_NAISSANCE") => "Check the birthplace: in France the 5-character INSEE commune code and name; abroad only the country code.",
        _ => return None,
    })
}

/// `champ inputParticulier.<path> :` in Urssaf's validation messages.
static FIELD_IN_MESSAGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"champ\s+([A-Za-z0-9_.\[\]]+)\s*:").expect("static regex"));
/// `[3]` array index in a wire path.
static INDEX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[(\d{1,4})\]").expect("static regex"));
/// The line index of an E3 path: `inputPrestations[2]`.
static LINE_INDEX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"inputPrestations\[(\d{1,4})\]").expect("static regex"));
/// An indexed root that is not a line, e.g. `inputDemandePaiement[1]` (the invoice's index in
/// the batch, not a line's).
static INDEXED_ROOT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"input[A-Za-z]*\[\d{1,4}\]").expect("static regex"));

/// Urssaf's registration field paths → our pointers.
const CLIENT_FIELDS: &[(&str, &str)] = &[
    ("civilite", "/title"),
    ("nomNaissance", "/birth_name"),
    ("nomUsage", "/usage_name"),
    ("prenoms", "/first_names"),
    ("dateNaissance", "/birth_date"),
    (
        "lieuNaissance.codePaysNaissance",
        "/birth_place/country_code",
    ),
    (
        "lieuNaissance.departementNaissance",
        "/birth_place/commune_code",
    ),
    (
        "lieuNaissance.communeNaissance.codeCommune",
        "/birth_place/commune_code",
    ),
    (
        "lieuNaissance.communeNaissance.libelleCommune",
        "/birth_place/commune_name",
    ),
    (
        "lieuNaissance.communeNaissance",
        "/birth_place/commune_code",
    ),
    ("lieuNaissance", "/birth_place"),
    ("numeroTelephonePortable", "/mobile_phone"),
    ("adresseMail", "/email"),
    ("adressePostale.numeroVoie", "/address/street_number"),
    ("adressePostale.lettreVoie", "/address/street_letter"),
    ("adressePostale.codeTypeVoie", "/address/street_type"),
    ("adressePostale.libelleVoie", "/address/street_name"),
    ("adressePostale.complement", "/address/complement"),
    ("adressePostale.lieuDit", "/address/locality"),
    ("adressePostale.libelleCommune", "/address/commune_name"),
    ("adressePostale.codeCommune", "/address/commune_code"),
    ("adressePostale.codePostal", "/address/postal_code"),
    ("adressePostale.codePays", "/address/country_code"),
    ("adressePostale", "/address"),
    ("coordonneeBancaire.iban", "/bank_account/iban"),
    ("coordonneeBancaire.bic", "/bank_account/bic"),
    ("coordonneeBancaire.titulaire", "/bank_account/holder"),
    ("coordonneeBancaire", "/bank_account"),
];

/// Urssaf's registration error codes whose field is known.
const CLIENT_CODES: &[(&str, &str)] = &[
    ("ERR_COORDONNEES_BANCAIRES", "/bank_account/iban"),
    ("ERR_APPEL_BACB", "/bank_account/iban"),
    ("ERR_CONTACT_ADRESSE_COMMUNE", "/address/commune_code"),
    ("ERR_CONTACT_ADRESSE_TYPE_VOIE", "/address/street_type"),
    ("ERR_CONTACT_ADRESSE_TYPEVOIE", "/address/street_type"),
    ("ERR_CONTACT_ADRESSE_LIBELLEVOIE", "/address/street_name"),
    ("ERR_CONTACT_ADRESSE_LETTRE_VOIE", "/address/street_letter"),
    (
        "ERR_CONTACT_ADRESSE_INFORMATION_SUPPLEMENTAIRE",
        "/address/street_name",
    ),
    ("ERR_DATE_NAISSANCE_FUTUR", "/birth_date"),
    (
        "ERR_LIEU_NAISSANCE_OBLIGATOIRE",
        "/birth_place/commune_name",
    ),
    ("ERREUR_LIEU_NAISSANCE_OBLIGATOIRE", "/birth_place"),
    ("ERREUR_LIEU_NAISSANCE_DEPT", "/birth_place/commune_code"),
    (
        "ERREUR_LIEU_NAISSANCE_DEPT_FORMAT",
        "/birth_place/commune_code",
    ),
    ("ERR_LIEU_NAISSANCE_COMN", "/birth_place/commune_code"),
    ("ERREUR_LIEU_NAISSANCE_PAYS", "/birth_place/country_code"),
    (
        "ERREUR_LIEU_NAISSANCE_INVALIDE",
        "/birth_place/commune_name",
    ),
];

/// Urssaf's payment-request field paths → pointers relative to the invoice (`{i}` = line index).
const INVOICE_FIELDS: &[(&str, &str)] = &[
    ("idClient", "/client_id"),
    ("dateNaissanceClient", "/client_birth_date"),
    ("numFactureTiers", "/invoice_number"),
    ("dateFacture", "/invoice_date"),
    ("dateDebutEmploi", "/service_start"),
    ("dateFinEmploi", "/service_end"),
    ("mntAcompte", "/deposit/amount"),
    ("dateVersementAcompte", "/deposit/paid_on"),
    ("mntFactureTTC", "/total_incl_tax"),
    ("mntFactureHT", "/total_excl_tax"),
    ("codeNature", "/nature_code"),
    ("codeActivite", "/activity_code"),
    ("quantite", "/quantity"),
    ("unite", "/unit"),
    ("mntUnitaireTTC", "/unit_price"),
    ("mntPrestationTTC", "/total_incl_tax"),
    ("mntPrestationHT", "/total_excl_tax"),
    ("mntPrestationTVA", "/vat_amount"),
    ("complement1", "/description"),
    ("complement2", "/worker_id"),
];

/// Urssaf's payment-request error codes whose field is known (relative to the invoice;
/// line-level ones need the line index, found in the message when Urssaf gives it).
const INVOICE_CODES: &[(&str, &str)] = &[
    ("ERR_TOTAL_PRESTATIONS", "/total_incl_tax"),
    ("ERR_DATE_FUTUR", "/service_end"),
    ("ERR_PERIODE_EMPLOI_MOIS_NON_UNIQUE", "/service_end"),
    ("ERR_DATE_FIN_AVANT_DATE_DEB", "/service_end"),
    ("ERR_LIEN_PARTICULIER_PRESTATAIRE", "/service_start"),
    ("ERR_FACTURE_DOUBLON", "/invoice_number"),
    ("ERR_PARTICULIER_INCONNU", "/client_id"),
    ("ERR_CMPT_BLOQUE", "/client_id"),
    ("ERR_MANDAT_ECHU", "/client_id"),
    ("ERR_MONTANT_ACOMPTE", "/deposit/amount"),
    ("ERR_ACOMPTE_BLOQUE", "/deposit"),
];
const LINE_CODES: &[(&str, &str)] = &[
    ("ERR_CODE_NATURE", "/nature_code"),
    ("ERR_CODE_ACTIVITE", "/activity_code"),
    ("ERR_CODE_ACTIVITE_NATURE", "/activity_code"),
    ("ERR_MNT_PREST_TTC", "/total_incl_tax"),
    ("ERR_MNT_PREST_HT_TVA", "/vat_amount"),
    ("ERR_FORMAT_NUMINTERVENANT", "/worker_id"),
    ("ERR_NUMINTERVENANT_MANQUANT", "/worker_id"),
    ("ERR_NUMINTERVENANT_BLOQUE", "/worker_id"),
];

fn lookup(table: &[(&str, &'static str)], key: &str) -> Option<&'static str> {
    table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// Whether `segment` (the first of a wire path) is the request's root rather than a field:
/// `inputParticulier`, `inputDemandePaiement[1]`, or a bare `[1]` (E3 paths index the batch
/// array). `inputPrestations[0]` is a field (the lines), not a root.
fn is_root(segment: &str) -> bool {
    let (name, index) = match segment.split_once('[') {
        Some((name, rest)) => (name, Some(rest)),
        None => (segment, None),
    };
    let index_ok = index.is_none_or(|i| {
        i.strip_suffix(']')
            .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
    });
    index_ok
        && (name.is_empty() && index.is_some()
            || name.starts_with("input") && name != "inputPrestations")
}

/// The wire path named in a validation message, without its root (`inputParticulier.`,
/// `inputDemandePaiement[1].` or `[1].`).
fn path_in_message(message: &str) -> Option<String> {
    let raw = FIELD_IN_MESSAGE.captures(message)?.get(1)?.as_str();
    let raw = raw.trim_end_matches('.');
    let path = match raw.split_once('.') {
        Some((root, rest)) if is_root(root) => rest,
        _ => raw,
    };
    Some(path.to_string())
}

/// Our pointer for the field named in a registration error message
/// (`… champ inputParticulier.adressePostale.codePostal : …` → `/address/postal_code`),
/// or for a registration error code whose field is known.
pub fn field_for_client(urssaf_message: &str) -> Option<String> {
    if let Some(path) = path_in_message(urssaf_message) {
        let path = INDEX.replace_all(&path, "");
        // The longest known prefix wins (`adressePostale.codePostal` before `adressePostale`).
        if let Some(p) = CLIENT_FIELDS
            .iter()
            .find(|(k, _)| path == *k || path.starts_with(&format!("{k}.")))
            .map(|(_, v)| v)
        {
            return Some((*p).to_string());
        }
    }
    let code = urssaf_message.trim();
    lookup(CLIENT_CODES, code).map(str::to_string)
}

/// Our pointer, relative to the invoice (e.g. `/lines/0/nature_code`), for an Urssaf
/// payment-request error: from the field path in `message` when present
/// (`inputPrestations[2].codeNature` → `/lines/2/nature_code`), else from the code. Line-level
/// codes need the line index: taken from the message (`[i]`), else `None` (the caller may use
/// line 0 when the invoice has a single line).
pub fn field_for_invoice(code: &str, message: &str) -> Option<String> {
    if let Some(path) = path_in_message(message) {
        let (line, field) = match path.split_once('.') {
            Some((head, f)) if head.starts_with("inputPrestations") => {
                let idx = LINE_INDEX
                    .captures(head)
                    .and_then(|c| c.get(1))
                    .map(|m| m.as_str().to_string());
                (Some(idx), f.to_string())
            }
            _ => (None, path.clone()),
        };
        if let Some(rel) = lookup(INVOICE_FIELDS, &field) {
            return match line {
                Some(Some(i)) => Some(format!("/lines/{i}{rel}")),
                Some(None) => None,
                None => Some(rel.to_string()),
            };
        }
    }
    if let Some(rel) = lookup(INVOICE_CODES, code.trim()) {
        return Some(rel.to_string());
    }
    let rel = lookup(LINE_CODES, code.trim())?;
    // `inputPrestations[j]` names the line; otherwise any `[j]` that is not the batch index
    // of an `inputDemandePaiement[i]` root.
    let idx = match LINE_INDEX.captures(message).and_then(|c| c.get(1)) {
        Some(m) => m.as_str().to_string(),
        None => {
            let rest = INDEXED_ROOT.replace_all(message, "");
            INDEX.captures(&rest)?.get(1)?.as_str().to_string()
        }
    };
    Some(format!("/lines/{idx}{rel}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_for_common_codes() {
        for code in [
            "ERR_DGFIP_R2P_INCONNU",
            "ERR_DGFIP_IMPOTPART_INCONNU",
            "ERR_CONTACT",
            "ERR_CONTACT_ADRESSE_COMMUNE",
            "ERR_COORDONNEES_BANCAIRES",
            "ERR_APPEL_BACB",
            "ERR_LIEN_TIERS_PRESTATION_PARTICULIER_EXISTE",
            "ERR_PARTICULIER_INCONNU",
            "ERR_LIEN_PARTICULIER_PRESTATAIRE",
            "ERR_DATE_FUTUR",
            "ERR_TOTAL_PRESTATIONS",
            "ERR_FACTURE_DOUBLON",
            "ERR_CMPT_BLOQUE",
            "ERR_MANDAT_ECHU",
            "ERR_NUMINTERVENANT_MANQUANT",
        ] {
            assert!(hint(code).is_some(), "{code}");
        }
        assert!(hint("ERR_PARTICULIER_INCONNU")
            .unwrap()
            .contains("GET /v1/clients/{id}"));
        assert_eq!(hint("SOMETHING_NEW"), None);
    }

    #[test]
    fn client_message_paths() {
        let m = "Erreur de validation sur le champ inputParticulier.adressePostale.codePostal : ne respecte pas le format";
        assert_eq!(field_for_client(m).as_deref(), Some("/address/postal_code"));
        let m = "champ inputParticulier.lieuNaissance.communeNaissance.codeCommune: invalide";
        assert_eq!(
            field_for_client(m).as_deref(),
            Some("/birth_place/commune_code")
        );
        assert_eq!(
            field_for_client("champ inputParticulier.coordonneeBancaire.iban : x").as_deref(),
            Some("/bank_account/iban")
        );
        assert_eq!(
            field_for_client("champ inputParticulier.nomNaissance : x").as_deref(),
            Some("/birth_name")
        );
        assert_eq!(field_for_client("champ inputParticulier.inconnu : x"), None);
        assert_eq!(field_for_client("pas de champ ici"), None);
        assert_eq!(field_for_client(""), None);
    }

    #[test]
    fn client_codes() {
        assert_eq!(
            field_for_client("ERR_COORDONNEES_BANCAIRES").as_deref(),
            Some("/bank_account/iban")
        );
        assert_eq!(
            field_for_client("ERR_CONTACT_ADRESSE_COMMUNE").as_deref(),
            Some("/address/commune_code")
        );
        assert_eq!(
            field_for_client("ERREUR_LIEU_NAISSANCE_PAYS").as_deref(),
            Some("/birth_place/country_code")
        );
        assert_eq!(
            field_for_client("ERR_LIEU_NAISSANCE_COMN").as_deref(),
            Some("/birth_place/commune_code")
        );
    }

    #[test]
    fn invoice_fields() {
        assert_eq!(
            field_for_invoice("ERR_TOTAL_PRESTATIONS", "").as_deref(),
            Some("/total_incl_tax")
        );
        assert_eq!(
            field_for_invoice("ERR_DATE_FUTUR", "").as_deref(),
            Some("/service_end")
        );
        assert_eq!(
            field_for_invoice("ERR_FACTURE_DOUBLON", "").as_deref(),
            Some("/invoice_number")
        );
        assert_eq!(
            field_for_invoice("ERR_PARTICULIER_INCONNU", "").as_deref(),
            Some("/client_id")
        );
        assert_eq!(
            field_for_invoice("ERR_CODE_NATURE", "prestation [1] inconnue").as_deref(),
            Some("/lines/1/nature_code")
        );
        assert_eq!(
            field_for_invoice("ERR_CODE_NATURE", "code nature inconnu"),
            None
        );
        assert_eq!(
            field_for_invoice(
                "ERREUR_VALIDATION",
                "champ inputDemandePaiement.inputPrestations[2].mntUnitaireTTC : 4 décimales"
            )
            .as_deref(),
            Some("/lines/2/unit_price")
        );
        assert_eq!(
            field_for_invoice(
                "ERREUR_VALIDATION",
                "champ inputDemandePaiement.dateFacture : x"
            )
            .as_deref(),
            Some("/invoice_date")
        );
        assert_eq!(
            field_for_invoice("X", "champ [99999999999999999999] : x"),
            None
        );
    }

    #[test]
    fn invoice_paths_with_batch_index() {
        // Urssaf's (and the simulator's) E3 paths start with the invoice's index in the batch:
        // the pointer is relative to the invoice, the line index comes from `inputPrestations`.
        let at = |m: &str| field_for_invoice("ERREUR_VALIDATION", m);
        assert_eq!(
            at("Erreur de validation sur le champ inputDemandePaiement[1].inputPrestations[0].unite : x")
                .as_deref(),
            Some("/lines/0/unit")
        );
        assert_eq!(
            at("champ [1].inputPrestations[0].unite : x").as_deref(),
            Some("/lines/0/unit")
        );
        assert_eq!(
            at("champ inputPrestations[3].codeNature : x").as_deref(),
            Some("/lines/3/nature_code")
        );
        assert_eq!(
            at("champ inputDemandePaiement[4].dateFacture : x").as_deref(),
            Some("/invoice_date")
        );
        assert_eq!(
            at("champ [4].numFactureTiers : x").as_deref(),
            Some("/invoice_number")
        );
        assert_eq!(
            at("champ inputDemandePaiement[2].inputPrestations.unite : x"),
            None
        );
        // Business errors name the field in their description, without the colon.
        assert_eq!(
            field_for_invoice(
                "ERR_FORMAT_NUMINTERVENANT",
                "Format invalide Format invalide (champ inputDemandePaiement[3].inputPrestations[1].complement2)"
            )
            .as_deref(),
            Some("/lines/1/worker_id")
        );
        assert_eq!(
            field_for_invoice(
                "ERR_CODE_NATURE",
                "m (champ inputDemandePaiement[3].codeNature) prestation [2]"
            )
            .as_deref(),
            Some("/lines/2/nature_code")
        );
        assert_eq!(
            field_for_invoice("ERR_CODE_NATURE", "m (champ inputDemandePaiement[3])"),
            None
        );
    }
}

//! The field an Urssaf error is about, as our JSON pointer: read from the wire path in its
//! message when there is one, else from its code.

use regex::Regex;
use std::sync::LazyLock;

use super::UrssafCode::{self, *};

impl UrssafCode {
    /// The registration field a code names, when it names one.
    fn client_field(&self) -> Option<&'static str> {
        Some(match self {
            ErrCoordonneesBancaires | ErrAppelBacb => "/bank_account/iban",
            ErrContactAdresseCommune => "/address/commune_code",
            ErrContactAdresseTypeVoie | ErrContactAdresseTypevoie => "/address/street_type",
            ErrContactAdresseLibellevoie | ErrContactAdresseInformationSupplementaire => {
                "/address/street_name"
            }
            ErrContactAdresseLettreVoie => "/address/street_letter",
            ErrDateNaissanceFutur => "/birth_date",
            ErrLieuNaissanceObligatoire | ErreurLieuNaissanceInvalide => {
                "/birth_place/commune_name"
            }
            ErreurLieuNaissanceObligatoire => "/birth_place",
            ErreurLieuNaissanceDept | ErreurLieuNaissanceDeptFormat | ErrLieuNaissanceComn => {
                "/birth_place/commune_code"
            }
            ErreurLieuNaissancePays => "/birth_place/country_code",
            _ => return None,
        })
    }

    /// The invoice field a code names, relative to the invoice.
    fn invoice_field(&self) -> Option<&'static str> {
        Some(match self {
            ErrTotalPrestations => "/total_incl_tax",
            ErrDateFutur | ErrPeriodeEmploiMoisNonUnique | ErrDateFinAvantDateDeb => "/service_end",
            ErrLienParticulierPrestataire => "/service_start",
            ErrFactureDoublon => "/invoice_number",
            ErrParticulierInconnu | ErrCmptBloque | ErrMandatEchu => "/client_id",
            ErrMontantAcompte => "/deposit/amount",
            ErrAcompteBloque => "/deposit",
            _ => return None,
        })
    }

    /// The line field a code names, relative to the line.
    fn line_field(&self) -> Option<&'static str> {
        Some(match self {
            ErrCodeNature => "/nature_code",
            ErrCodeActivite | ErrCodeActiviteNature => "/activity_code",
            ErrMntPrestTtc => "/total_incl_tax",
            ErrMntPrestHtTva => "/vat_amount",
            ErrFormatNumintervenant | ErrNumintervenantManquant | ErrNumintervenantBloque => {
                "/worker_id"
            }
            _ => return None,
        })
    }
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
/// A line's field named anywhere in a message, e.g. a business error's
/// `(champ inputDemandePaiement[0].inputPrestations[0].dateDebutEmploi)`.
static LINE_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"inputPrestations\[(\d{1,4})\]\.([A-Za-z0-9]+)").expect("static regex")
});
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

/// Our pointer for the field a registration error names: the path in its message
/// (`… champ inputParticulier.adressePostale.codePostal : …` → `/address/postal_code`), else
/// the field its code is about.
pub fn field_for_client(code: &UrssafCode, message: &str) -> Option<String> {
    if let Some(path) = path_in_message(message) {
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
    code.client_field().map(str::to_string)
}

/// Our pointer, relative to the invoice (e.g. `/lines/0/nature_code`), for an Urssaf
/// payment-request error: from the field path in `message` when present
/// (`inputPrestations[2].codeNature` → `/lines/2/nature_code`), else from the code. Line-level
/// codes need the line index: taken from the message (`[i]`), else `None`.
pub fn field_for_invoice(code: &UrssafCode, message: &str) -> Option<String> {
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
    // A line's field named in a business error's description: the line, not the invoice
    // (`ERR_LIEN_PARTICULIER_PRESTATAIRE` on a line's `dateDebutEmploi`).
    if let Some(c) = LINE_PATH.captures(message) {
        if let (Some(i), Some(rel)) = (
            c.get(1),
            c.get(2).and_then(|f| lookup(INVOICE_FIELDS, f.as_str())),
        ) {
            return Some(format!("/lines/{}{rel}", i.as_str()));
        }
    }
    if let Some(rel) = code.invoice_field() {
        return Some(rel.to_string());
    }
    let rel = code.line_field()?;
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

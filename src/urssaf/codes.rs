//! Urssaf's error codes as an enum, and what each means for the caller: a kind the use cases
//! act on, a next step, and the field at fault (a JSON pointer into the caller's request).
//! Urssaf's code strings are read here and nowhere else.

use regex::Regex;
use std::sync::LazyLock;

macro_rules! urssaf_codes {
    ($( $(#[$doc:meta])* $variant:ident = $text:literal, )*) => {
        /// An Urssaf error code (urssaf-atp.md §3). Codes the gateway does not know are kept
        /// verbatim in `Other`.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum UrssafCode {
            $( $(#[$doc])* $variant, )*
            Other(String),
        }

        impl UrssafCode {
            /// Reads a code (surrounding spaces ignored).
            pub fn parse(code: &str) -> UrssafCode {
                match code.trim() {
                    $( $text => UrssafCode::$variant, )*
                    other => UrssafCode::Other(other.to_string()),
                }
            }

            /// The code as Urssaf spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( UrssafCode::$variant => $text, )*
                    UrssafCode::Other(s) => s,
                }
            }
        }
    };
}

urssaf_codes! {
    ErreurValidation = "ERREUR_VALIDATION",
    ErreurTechnique = "ERREUR_TECHNIQUE",
    ParamInvalide = "PARAM_INVALIDE",
    // Registration (E1) and client status (E2).
    ErrDgfipR2pInconnu = "ERR_DGFIP_R2P_INCONNU",
    ErrDgfipImpotpartInconnu = "ERR_DGFIP_IMPOTPART_INCONNU",
    ErrEcvParticuliersExistent = "ERR_ECV_PARTICULIERS_EXISTENT",
    ErreurReferenceParticulierExistanteType = "ERREUR_REFERENCE_PARTICULIER_EXISTANTE_TYPE",
    ErrDateNaissanceFutur = "ERR_DATE_NAISSANCE_FUTUR",
    ErrLieuNaissanceObligatoire = "ERR_LIEU_NAISSANCE_OBLIGATOIRE",
    ErreurLieuNaissanceObligatoire = "ERREUR_LIEU_NAISSANCE_OBLIGATOIRE",
    ErreurLieuNaissanceDept = "ERREUR_LIEU_NAISSANCE_DEPT",
    ErreurLieuNaissanceDeptFormat = "ERREUR_LIEU_NAISSANCE_DEPT_FORMAT",
    ErrLieuNaissanceComn = "ERR_LIEU_NAISSANCE_COMN",
    ErreurLieuNaissancePays = "ERREUR_LIEU_NAISSANCE_PAYS",
    ErreurLieuNaissanceInvalide = "ERREUR_LIEU_NAISSANCE_INVALIDE",
    ErrContact = "ERR_CONTACT",
    ErrContactAdresseTypeVoie = "ERR_CONTACT_ADRESSE_TYPE_VOIE",
    ErrContactAdresseTypevoie = "ERR_CONTACT_ADRESSE_TYPEVOIE",
    ErrContactAdresseLibellevoie = "ERR_CONTACT_ADRESSE_LIBELLEVOIE",
    ErrContactAdresseLettreVoie = "ERR_CONTACT_ADRESSE_LETTRE_VOIE",
    ErrContactAdresseInformationSupplementaire = "ERR_CONTACT_ADRESSE_INFORMATION_SUPPLEMENTAIRE",
    ErrContactAdresseCommune = "ERR_CONTACT_ADRESSE_COMMUNE",
    ErrCoordonneesBancaires = "ERR_COORDONNEES_BANCAIRES",
    ErrAppelBacb = "ERR_APPEL_BACB",
    ErrCompteBloque = "ERR_COMPTE_BLOQUE",
    ErrLienTiersPrestationParticulierExiste = "ERR_LIEN_TIERS_PRESTATION_PARTICULIER_EXISTE",
    ErrLienTiersPrestationParticulier = "ERR_LIEN_TIERS_PRESTATION_PARTICULIER",
    ErrRechercheParticulier = "ERR_RECHERCHE_PARTICULIER",
    // Payment requests (E3).
    ErrParticulierInconnu = "ERR_PARTICULIER_INCONNU",
    ErrLienParticulierPrestataire = "ERR_LIEN_PARTICULIER_PRESTATAIRE",
    ErrPrestataireEmetteurInconnu = "ERR_PRESTATAIRE_EMETTEUR_INCONNU",
    ErrPrestataireFacturationInconnu = "ERR_PRESTATAIRE_FACTURATION_INCONNU",
    ErrFactureDoublon = "ERR_FACTURE_DOUBLON",
    ErrDateFutur = "ERR_DATE_FUTUR",
    ErrDatePaiementAvantExp = "ERR_DATE_PAIEMENT_AVANT_EXP",
    ErrPeriodeEmploiMoisNonUnique = "ERR_PERIODE_EMPLOI_MOIS_NON_UNIQUE",
    ErrDateFinAvantDateDeb = "ERR_DATE_FIN_AVANT_DATE_DEB",
    ErrMontantAcompte = "ERR_MONTANT_ACOMPTE",
    ErrAcompteBloque = "ERR_ACOMPTE_BLOQUE",
    ErrTotalPrestations = "ERR_TOTAL_PRESTATIONS",
    ErrMntPrestTtc = "ERR_MNT_PREST_TTC",
    ErrMntPrestHtTva = "ERR_MNT_PREST_HT_TVA",
    ErrFormatValeur = "ERR_FORMAT_VALEUR",
    ErrValeurNegative = "ERR_VALEUR_NEGATIVE",
    ErrCodeNature = "ERR_CODE_NATURE",
    ErrCodeActivite = "ERR_CODE_ACTIVITE",
    ErrCodeActiviteNature = "ERR_CODE_ACTIVITE_NATURE",
    ErrNbrePrestMax = "ERR_NBRE_PREST_MAX",
    ErrCmptBloque = "ERR_CMPT_BLOQUE",
    ErrMandatEchu = "ERR_MANDAT_ECHU",
    ErreurGarantieFinanciereNonConforme = "ERREUR_GARANTIE_FINANCIERE_NON_CONFORME",
    ErrFormatNumintervenant = "ERR_FORMAT_NUMINTERVENANT",
    ErrNumintervenantManquant = "ERR_NUMINTERVENANT_MANQUANT",
    ErrNumintervenantBloque = "ERR_NUMINTERVENANT_BLOQUE",
    // Search (E4).
    ErrCritereRechercheVide = "ERR_CRITERE_RECHERCHE_VIDE",
    ErrRechercheVide = "ERR_RECHERCHE_VIDE",
    ErrNbreMaxResultat = "ERR_NBRE_MAX_RESULTAT",
}

/// What a code means for the use cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    /// The invoice number is taken (maybe by our own earlier submission).
    DuplicateInvoice,
    /// The client is already linked to the provider.
    AlreadyLinked,
    /// No such client for this provider (or the link was broken).
    UnknownClient,
    /// A search found nothing.
    NothingFound,
    /// A search found more than Urssaf answers at once.
    TooManyResults,
    /// Anything else: a rejection to report as it is.
    Other,
}

use UrssafCode::*;

impl UrssafCode {
    pub fn kind(&self) -> CodeKind {
        match self {
            ErrFactureDoublon => CodeKind::DuplicateInvoice,
            ErrLienTiersPrestationParticulierExiste => CodeKind::AlreadyLinked,
            ErrRechercheParticulier => CodeKind::UnknownClient,
            ErrRechercheVide => CodeKind::NothingFound,
            ErrNbreMaxResultat => CodeKind::TooManyResults,
            _ => CodeKind::Other,
        }
    }

    /// A plain-English next step for the common codes.
    pub fn hint(&self) -> Option<&'static str> {
        Some(match self {
            ErrDgfipR2pInconnu => "The tax administration does not know this identity. It must match the tax records exactly: all first names, birth name (no typo, accents removed if needed), birth date, and the INSEE code of the birth commune as it was at the date of birth.",
            ErrDgfipImpotpartInconnu => "The client has never filed a French income-tax return, which the scheme requires. The client must file one first.",
            ErrEcvParticuliersExistent => "Several Urssaf accounts match this identity; the client must contact Urssaf.",
            ErreurReferenceParticulierExistanteType => "This e-mail / phone pair already belongs to another client: use the client's own e-mail and phone.",
            ErrCoordonneesBancaires | ErrAppelBacb => "Urssaf refused the bank details: check the IBAN and BIC with the client's bank statement (RIB).",
            ErrLienTiersPrestationParticulierExiste => "This client is already linked to you: look the client up (GET /v1/clients?email=…) instead of registering again.",
            ErrParticulierInconnu => "Urssaf does not accept payment requests for this client yet, or the birth date does not match: check GET /v1/clients/{id} (state must be active) and client_birth_date.",
            ErrLienParticulierPrestataire => "The service dates are before the client activated the account or accepted the link: invoice only services from account.active_since on.",
            ErrDateFutur => "Send the invoice only once the services are performed: the service dates must not be in the future.",
            ErrPeriodeEmploiMoisNonUnique => "Split the invoice: one payment request per calendar month of service.",
            ErrDateFinAvantDateDeb => "The service end date is before the start date.",
            ErrTotalPrestations => "The invoice total differs from the sum of the line totals: send unit prices with up to 3 decimals, or omit total_incl_tax and let the gateway compute it.",
            ErrMntPrestTtc => "A line total differs from quantity × unit price: omit the line's total_incl_tax or give a unit price with 3 decimals.",
            ErrMntPrestHtTva => "A line's amount excl. tax plus VAT differs from its total incl. tax.",
            ErrFactureDoublon => "This invoice number was already sent. If it is the same invoice, search it by invoice number; to correct an invoice, issue it under a new number.",
            ErrMontantAcompte => "The deposit must not exceed 50 % of the invoice total.",
            ErrAcompteBloque => "Your Urssaf account is not authorised to declare deposits: send the invoice without a deposit or ask Urssaf.",
            ErrCmptBloque | ErrCompteBloque => "The client's Urssaf account is blocked (e.g. after an unpaid direct debit, for up to 4 weeks): invoice the client directly meanwhile.",
            ErrMandatEchu => "The client's SEPA mandate expired: the client must renew it in the particulier.urssaf.fr space.",
            ErrCodeNature | ErrCodeActivite | ErrCodeActiviteNature => "Check the nature code (10…270) and the activity code attached to it.",
            ErrNumintervenantManquant | ErrFormatNumintervenant => "Give worker_id: SAP followed by your 9-digit NOVA number, or SIR followed by the 14-digit SIRET.",
            ErrNumintervenantBloque => "Urssaf does not authorise this worker id (SIRET/NOVA): check it with Urssaf.",
            ErreurGarantieFinanciereNonConforme => "Your financial guarantee is missing or not compliant with Urssaf's requirements.",
            ErrRechercheParticulier => "No such client, or the client ended the link with you: register the client again.",
            ErrNbreMaxResultat => "Too many results: narrow the search (shorter invoice date period).",
            ErreurTechnique => "Urssaf had a technical error: retry later.",
            c if c.as_str().starts_with("ERR_CONTACT") => "Phone, e-mail or address are incomplete or invalid, or differ from what Urssaf already holds for this client: send exactly the same contact details.",
            c if c.as_str().starts_with("ERR_LIEU_NAISSANCE") || c.as_str().starts_with("ERREUR_LIEU_NAISSANCE") => "Check the birthplace: in France the 5-character INSEE commune code and name; abroad only the country code.",
            _ => return None,
        })
    }

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
            assert!(UrssafCode::parse(code).hint().is_some(), "{code}");
        }
        assert!(ErrParticulierInconnu
            .hint()
            .unwrap()
            .contains("GET /v1/clients/{id}"));
        assert_eq!(UrssafCode::parse("SOMETHING_NEW").hint(), None);
        assert_eq!(
            UrssafCode::parse(" ERR_FACTURE_DOUBLON ").kind(),
            CodeKind::DuplicateInvoice
        );
        assert_eq!(UrssafCode::parse("X_NEW").as_str(), "X_NEW");
    }

    #[test]
    fn client_message_paths() {
        let m = "Erreur de validation sur le champ inputParticulier.adressePostale.codePostal : ne respecte pas le format";
        assert_eq!(
            field_for_client(&ErreurValidation, m).as_deref(),
            Some("/address/postal_code")
        );
        let m = "champ inputParticulier.lieuNaissance.communeNaissance.codeCommune: invalide";
        assert_eq!(
            field_for_client(&ErreurValidation, m).as_deref(),
            Some("/birth_place/commune_code")
        );
        assert_eq!(
            field_for_client(
                &ErreurValidation,
                "champ inputParticulier.coordonneeBancaire.iban : x"
            )
            .as_deref(),
            Some("/bank_account/iban")
        );
        assert_eq!(
            field_for_client(&ErreurValidation, "champ inputParticulier.nomNaissance : x")
                .as_deref(),
            Some("/birth_name")
        );
        assert_eq!(
            field_for_client(&ErreurValidation, "champ inputParticulier.inconnu : x"),
            None
        );
        assert_eq!(
            field_for_client(&ErreurValidation, "pas de champ ici"),
            None
        );
        assert_eq!(field_for_client(&ErreurValidation, ""), None);
    }

    #[test]
    fn client_codes() {
        assert_eq!(
            field_for_client(&UrssafCode::parse("ERR_COORDONNEES_BANCAIRES"), "").as_deref(),
            Some("/bank_account/iban")
        );
        assert_eq!(
            field_for_client(&UrssafCode::parse("ERR_CONTACT_ADRESSE_COMMUNE"), "").as_deref(),
            Some("/address/commune_code")
        );
        assert_eq!(
            field_for_client(&UrssafCode::parse("ERREUR_LIEU_NAISSANCE_PAYS"), "").as_deref(),
            Some("/birth_place/country_code")
        );
        assert_eq!(
            field_for_client(&UrssafCode::parse("ERR_LIEU_NAISSANCE_COMN"), "").as_deref(),
            Some("/birth_place/commune_code")
        );
    }

    #[test]
    fn invoice_fields() {
        assert_eq!(
            field_for_invoice(&UrssafCode::parse("ERR_TOTAL_PRESTATIONS"), "").as_deref(),
            Some("/total_incl_tax")
        );
        assert_eq!(
            field_for_invoice(&UrssafCode::parse("ERR_DATE_FUTUR"), "").as_deref(),
            Some("/service_end")
        );
        assert_eq!(
            field_for_invoice(&UrssafCode::parse("ERR_FACTURE_DOUBLON"), "").as_deref(),
            Some("/invoice_number")
        );
        assert_eq!(
            field_for_invoice(&UrssafCode::parse("ERR_PARTICULIER_INCONNU"), "").as_deref(),
            Some("/client_id")
        );
        assert_eq!(
            field_for_invoice(
                &UrssafCode::parse("ERR_CODE_NATURE"),
                "prestation [1] inconnue"
            )
            .as_deref(),
            Some("/lines/1/nature_code")
        );
        assert_eq!(
            field_for_invoice(&UrssafCode::parse("ERR_CODE_NATURE"), "code nature inconnu"),
            None
        );
        assert_eq!(
            field_for_invoice(
                &UrssafCode::parse("ERREUR_VALIDATION"),
                "champ inputDemandePaiement.inputPrestations[2].mntUnitaireTTC : 4 décimales"
            )
            .as_deref(),
            Some("/lines/2/unit_price")
        );
        assert_eq!(
            field_for_invoice(
                &UrssafCode::parse("ERREUR_VALIDATION"),
                "champ inputDemandePaiement.dateFacture : x"
            )
            .as_deref(),
            Some("/invoice_date")
        );
        assert_eq!(
            field_for_invoice(&UrssafCode::parse("X"), "champ [99999999999999999999] : x"),
            None
        );
    }

    #[test]
    fn invoice_paths_with_batch_index() {
        // Urssaf's (and the simulator's) E3 paths start with the invoice's index in the batch:
        // the pointer is relative to the invoice, the line index comes from `inputPrestations`.
        let at = |m: &str| field_for_invoice(&UrssafCode::parse("ERREUR_VALIDATION"), m);
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
            field_for_invoice(&UrssafCode::parse("ERR_FORMAT_NUMINTERVENANT"),
                "Format invalide Format invalide (champ inputDemandePaiement[3].inputPrestations[1].complement2)"
            )
            .as_deref(),
            Some("/lines/1/worker_id")
        );
        assert_eq!(
            field_for_invoice(
                &UrssafCode::parse("ERR_CODE_NATURE"),
                "m (champ inputDemandePaiement[3].codeNature) prestation [2]"
            )
            .as_deref(),
            Some("/lines/2/nature_code")
        );
        assert_eq!(
            field_for_invoice(
                &UrssafCode::parse("ERR_CODE_NATURE"),
                "m (champ inputDemandePaiement[3])"
            ),
            None
        );
    }
}

//! Urssaf's error codes as an enum, and what each means for the caller: a kind the use cases
//! act on, a next step, and the field at fault (a JSON pointer into the caller's request).
//! Urssaf's code strings are read here and nowhere else (its rejection reasons too:
//! `rejection.rs`).
mod fields;
mod rejection;
#[cfg(test)]
mod tests;

pub use fields::{field_for_client, field_for_invoice};
pub use rejection::rejection_reason;

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
}

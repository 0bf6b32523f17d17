//! Plain-language next steps for Urssaf's error codes.

/// What the caller should do about an Urssaf error code, when we know.
pub fn hint(code: &str) -> Option<&'static str> {
    Some(match code {
        "ERR_DGFIP_R2P_INCONNU" => "the tax administration does not recognise this identity: use the birth name, all first names and the birth commune code in force at the date of birth exactly as on the tax notice",
        "ERR_DGFIP_IMPOTPART_INCONNU" => "the client must have filed at least one French income-tax return before using the immediate advance",
        "ERR_CONTACT" => "this person is already known to Urssaf with other contact details: send the same phone, e-mail, address and first names as on their Urssaf account",
        "ERREUR_REFERENCE_PARTICULIER_EXISTANTE_TYPE" => "this e-mail and phone pair already belongs to another person at Urssaf",
        "ERR_COORDONNEES_BANCAIRES" | "ERR_APPEL_BACB" => "Urssaf could not validate the bank details: check the IBAN and BIC",
        "ERR_LIEN_TIERS_PRESTATION_PARTICULIER_EXISTE" => "this client is already linked to the provider: read its status with GET /v1/clients?email=…",
        "ERR_PARTICULIER_INCONNU" => "the client is unknown, not yet active, or the birth date does not match: check GET /v1/clients/{client_id}",
        "ERR_LIEN_PARTICULIER_PRESTATAIRE" => "the service dates are before the client's activation: only services after `active_since` can be invoiced",
        "ERR_DATE_FUTUR" => "invoice only services already performed: the service period must not end in the future",
        "ERR_PERIODE_EMPLOI_MOIS_NON_UNIQUE" => "split the invoice: one calendar month per payment request",
        "ERR_TOTAL_PRESTATIONS" | "ERR_MNT_PREST_TTC" | "ERR_MNT_PREST_HT_TVA" => "totals must equal the sum of the lines to the cent; let the gateway compute them by omitting totals",
        "ERR_FACTURE_DOUBLON" => "this invoice number was already sent; to send a corrected invoice use a new number",
        "ERR_CMPT_BLOQUE" => "the client's account is blocked after a rejected direct debit (at most about 4 weeks); collect this invoice directly",
        "ERR_MANDAT_ECHU" => "the client's SEPA mandate expired: the client must renew it in their Urssaf space",
        "ERR_FORMAT_NUMINTERVENANT" | "ERR_NUMINTERVENANT_MANQUANT" => "set worker_id (or the tenant's worker_id) to SAP + 9 digits or SIR + 14 digits",
        "ERR_NUMINTERVENANT_BLOQUE" => "Urssaf does not authorise this intervenant's SIRET",
        "ERR_MONTANT_ACOMPTE" => "a deposit may be at most half of the invoice total",
        "ERR_ACOMPTE_BLOQUE" => "the provider is not authorised to declare deposits",
        "ERREUR_GARANTIE_FINANCIERE_NON_CONFORME" => "the provider's financial guarantee is missing or not compliant with Urssaf",
        "ERR_RECHERCHE_PARTICULIER" => "Urssaf knows no such client for this provider, or the client ended the association",
        _ => return None,
    })
}

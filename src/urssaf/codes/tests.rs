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
        field_for_client(&ErreurValidation, "champ inputParticulier.nomNaissance : x").as_deref(),
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
fn line_level_business_errors_point_at_the_line() {
    // As Urssaf (and the simulator) word them: the field in the description, no colon.
    let at = |code: &str, m: &str| field_for_invoice(&UrssafCode::parse(code), m);
    assert_eq!(
        at(
            "ERR_LIEN_PARTICULIER_PRESTATAIRE",
            "Aucun lien actif (champ inputDemandePaiement[0].inputPrestations[0].dateDebutEmploi)"
        )
        .as_deref(),
        Some("/lines/0/service_start")
    );
    assert_eq!(
        at(
            "ERR_DATE_FUTUR",
            "Période dans le futur (champ [1].inputPrestations[2].dateFinEmploi)"
        )
        .as_deref(),
        Some("/lines/2/service_end")
    );
    // The invoice's own dates stay on the invoice.
    assert_eq!(
        at(
            "ERR_LIEN_PARTICULIER_PRESTATAIRE",
            "Aucun lien actif (champ inputDemandePaiement[0].dateDebutEmploi)"
        )
        .as_deref(),
        Some("/service_start")
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

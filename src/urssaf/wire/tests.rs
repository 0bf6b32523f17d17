use rust_decimal::Decimal;
use std::str::FromStr;

use super::*;

#[test]
fn amounts_round_trip_exactly() {
    for text in [
        "0",
        "30",
        "30.5",
        "136.36",
        "69.996",
        "12.03",
        "0.01",
        "99999999.99",
    ] {
        let d = Decimal::from_str(text).unwrap();
        let v = InfoVirement {
            mnt_virement: Some(d),
            date_virement: None,
        };
        let json = serde_json::to_string(&v).unwrap();
        let back: InfoVirement = serde_json::from_str(&json).unwrap();
        assert_eq!(
            back.mnt_virement.unwrap().normalize(),
            d.normalize(),
            "{json}"
        );
    }
}

#[test]
fn search_answer_accepts_capital_errors() {
    let json =
        r#"{"Errors":[{"code":"X","message":"m","description":"d"}],"infoDemandePaiements":[]}"#;
    let out: OutputRechercheDemandePaiement = serde_json::from_str(json).unwrap();
    assert_eq!(out.errors.unwrap()[0].code, "X");
}

#[test]
fn search_answer_with_sparse_echo_and_nulls_parses() {
    let json = r#"{"errors": null, "infoDemandePaiements": [
        {"idDemandePaiement": "1", "statut": {"code": "20", "libelle": null},
         "demandePaiement": {"idClient": "c1", "numFactureTiers": "F-1", "mntFactureTTC": 150}},
        {"idDemandePaiement": "2", "statut": {"code": "40"},
         "demandePaiement": {"idTiersFacturation": null, "idClient": null, "numFactureTiers": null,
            "dateFacture": null, "mntFactureTTC": null, "mntFactureHT": "", "mntAcompte": null,
            "inputPrestations": null},
         "infoRejet": {"code": "REFUS_PRESTATION", "commentaire": null}},
        {"idDemandePaiement": "3", "statut": {"code": "10"}, "demandePaiement": {}}
    ]}"#;
    let out: OutputRechercheDemandePaiement = serde_json::from_str(json).unwrap();
    let items = &out.info_demande_paiements;
    assert_eq!(items.len(), 3);
    let first = items[0].demande_paiement.as_ref().unwrap();
    assert_eq!(first.num_facture_tiers.as_deref(), Some("F-1"));
    assert_eq!(first.mnt_facture_ht, None);
    assert_eq!(first.id_tiers_facturation, None);
    assert_eq!(items[0].statut.libelle, "");
    let second = items[1].demande_paiement.as_ref().unwrap();
    assert_eq!(second, &DemandePaiementEcho::default());
    assert_eq!(items[1].info_rejet.as_ref().unwrap().commentaire, "");
    assert_eq!(
        items[2].demande_paiement.as_ref(),
        Some(&DemandePaiementEcho::default())
    );
}

#[test]
fn null_strings_read_as_empty() {
    let e: Erreur =
        serde_json::from_str(r#"{"code": "X", "message": null, "description": null}"#).unwrap();
    assert_eq!(
        (e.code.as_str(), e.message.as_str(), e.description.as_str()),
        ("X", "", "")
    );
    let e: Erreur = serde_json::from_str(r#"{"code": null}"#).unwrap();
    assert_eq!(e, Erreur::default());
    let s: StatutParticulier =
        serde_json::from_str(r#"{"code": "APPAREILLAGE_EC", "description": null, "etat": null}"#)
            .unwrap();
    assert_eq!((s.description.as_str(), s.etat.as_str()), ("", ""));
}

#[test]
fn full_echo_round_trips() {
    let d = InputDemandePaiement {
        id_tiers_facturation: "t".into(),
        id_client: "c".into(),
        date_naissance_client: "1980-03-29T00:00:00Z".into(),
        num_facture_tiers: "F".into(),
        date_facture: "2026-11-02T00:00:00Z".into(),
        date_debut_emploi: "2026-10-01T00:00:00Z".into(),
        date_fin_emploi: "2026-10-31T00:00:00Z".into(),
        mnt_acompte: None,
        date_versement_acompte: None,
        mnt_facture_ttc: Decimal::from(150),
        mnt_facture_ht: Decimal::from_str("136.36").unwrap(),
        input_prestations: vec![],
    };
    let echo = DemandePaiementEcho::from(&d);
    let json = serde_json::to_value(&echo).unwrap();
    assert_eq!(json, serde_json::to_value(&d).unwrap());
    let back: DemandePaiementEcho = serde_json::from_value(json).unwrap();
    assert_eq!(back, echo);
}

#[test]
fn debug_hides_personal_data_and_token() {
    let p = InputParticulier {
        civilite: "2".into(),
        nom_naissance: "Durandsecret".into(),
        nom_usage: Some("Martinsecret".into()),
        prenoms: "Jeannesecret".into(),
        date_naissance: "1980-03-29T00:00:00Z".into(),
        lieu_naissance: InputLieuNaissance {
            code_pays_naissance: "99100".into(),
            departement_naissance: Some("044".into()),
            commune_naissance: Some(InputCommune {
                code_commune: "109".into(),
                libelle_commune: Some("Nantessecret".into()),
            }),
        },
        numero_telephone_portable: "0605040302".into(),
        adresse_mail: "jeanne@example.org".into(),
        adresse_postale: InputAdresse {
            numero_voie: Some("12".into()),
            lettre_voie: None,
            code_type_voie: Some("R".into()),
            libelle_voie: Some("de la Paixsecret".into()),
            complement: None,
            lieu_dit: None,
            libelle_commune: "Nantessecret".into(),
            code_commune: "44109".into(),
            code_postal: "44000".into(),
            code_pays: "99100".into(),
        },
        coordonnee_bancaire: InputCoordonneeBancaire {
            bic: "BNPAFRPP".into(),
            iban: "FR7630004000031234567890143".into(),
            titulaire: "Mme Jeanne Durand".into(),
        },
    };
    let shown = format!(
        "{p:?} {:?} {:?} {:?} {p:#?}",
        p.lieu_naissance, p.adresse_postale, p.coordonnee_bancaire
    );
    for secret in [
        "secret",
        "1980",
        "99100",
        "044",
        "109",
        "0605040302",
        "jeanne@",
        "12",
        "44000",
        "44109",
        "BNPAFRPP",
        "FR76",
        "Mme",
    ] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(shown.contains("InputParticulier") && shown.contains("civilite"));

    let s = ParticulierStatut {
        id_client: "c1".into(),
        nom_naissance: Some("Durandsecret".into()),
        nom_usage: None,
        prenoms: Some("Jeannesecret".into()),
        statut: StatutParticulier {
            code: "APPAREILLAGE_EC".into(),
            description: String::new(),
            etat: "KO".into(),
        },
    };
    assert!(!format!("{s:?}").contains("secret"));

    let echo = DemandePaiementEcho {
        date_naissance_client: Some("1980-03-29T00:00:00Z".into()),
        ..Default::default()
    };
    assert!(!format!("{echo:?}").contains("1980"));
}

#[test]
fn mnt_virement_may_be_empty() {
    let v: InfoVirement =
        serde_json::from_str(r#"{"mntVirement":"","dateVirement":"2026-11-10T00:00:00Z"}"#)
            .unwrap();
    assert_eq!(v.mnt_virement, None);
}

//! Urssaf's wire format, field for field (French names live here and nowhere else).
//!
//! Shared by the upstream client and the built-in simulator so both speak exactly the
//! same JSON. Dates stay strings on the wire: Urssaf wants `YYYY-MM-DDT00:00:00Z` and the
//! simulator must be able to see (and reject) other spellings. Request types refuse unknown
//! keys, as a strict server would (the simulator reads them); answer types stay tolerant.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::redacted_debug;

/// Path prefix of the four endpoints on every host.
pub const BASE_PATH: &str = "/atp/v1/tiersPrestations";
/// Path of the OAuth2 token endpoint on every host.
pub const TOKEN_PATH: &str = "/api/oauth/v1/token";
/// The only scope the API knows.
pub const SCOPE: &str = "homeplus.tiersprestations";

/// `Erreur`: the one error item Urssaf uses everywhere.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Erreur {
    #[serde(default, deserialize_with = "null_as_default")]
    pub code: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub message: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub description: String,
}

/// Successful answer of the token endpoint. `Debug` hides the token.
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub token_type: Option<String>,
    /// Seconds; absent, `null` or unreadable in some answers, in which case a default lifetime
    /// applies. A numeric string (`"3599"`) is read as a number.
    #[serde(default, deserialize_with = "seconds_opt")]
    pub expires_in: Option<u64>,
    #[serde(default)]
    pub scope: Option<String>,
}

// ---------------------------------------------------------------- E1 / E2: particulier

/// `Debug` shows only `civilite`: the rest is personal data.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InputParticulier {
    pub civilite: String,
    pub nom_naissance: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nom_usage: Option<String>,
    pub prenoms: String,
    pub date_naissance: String,
    pub lieu_naissance: InputLieuNaissance,
    pub numero_telephone_portable: String,
    pub adresse_mail: String,
    pub adresse_postale: InputAdresse,
    pub coordonnee_bancaire: InputCoordonneeBancaire,
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InputLieuNaissance {
    pub code_pays_naissance: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub departement_naissance: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commune_naissance: Option<InputCommune>,
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InputCommune {
    pub code_commune: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub libelle_commune: Option<String>,
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InputAdresse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numero_voie: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lettre_voie: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_type_voie: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub libelle_voie: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complement: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lieu_dit: Option<String>,
    pub libelle_commune: String,
    pub code_commune: String,
    pub code_postal: String,
    pub code_pays: String,
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InputCoordonneeBancaire {
    pub bic: String,
    pub iban: String,
    pub titulaire: String,
}

/// E1 answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputParticulier {
    pub id_client: String,
}

/// E2 answer (`OutputParticulierSimpleDTO`). `Debug` hides the names.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParticulierStatut {
    pub id_client: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nom_naissance: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nom_usage: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prenoms: Option<String>,
    pub statut: StatutParticulier,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatutParticulier {
    pub code: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub description: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub etat: String,
}

redacted_debug!(InputParticulier, civilite);
redacted_debug!(InputLieuNaissance);
redacted_debug!(InputCommune);
redacted_debug!(InputAdresse);
redacted_debug!(InputCoordonneeBancaire);
redacted_debug!(TokenResponse, token_type, expires_in, scope);
redacted_debug!(ParticulierStatut, id_client, statut);

// ---------------------------------------------------------------- E3: demandePaiement

/// `Debug` leaves out `dateNaissanceClient` (personal data).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InputDemandePaiement {
    pub id_tiers_facturation: String,
    pub id_client: String,
    pub date_naissance_client: String,
    pub num_facture_tiers: String,
    pub date_facture: String,
    pub date_debut_emploi: String,
    pub date_fin_emploi: String,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "amount_opt")]
    pub mnt_acompte: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_versement_acompte: Option<String>,
    #[serde(rename = "mntFactureTTC", with = "amount")]
    pub mnt_facture_ttc: Decimal,
    #[serde(rename = "mntFactureHT", with = "amount")]
    pub mnt_facture_ht: Decimal,
    #[serde(default)]
    pub input_prestations: Vec<InputPrestation>,
}

redacted_debug!(
    InputDemandePaiement,
    id_tiers_facturation,
    id_client,
    num_facture_tiers,
    date_facture,
    date_debut_emploi,
    date_fin_emploi,
    mnt_acompte,
    date_versement_acompte,
    mnt_facture_ttc,
    mnt_facture_ht,
    input_prestations,
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InputPrestation {
    pub code_nature: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_activite: Option<String>,
    #[serde(with = "amount")]
    pub quantite: Decimal,
    pub unite: String,
    #[serde(rename = "mntUnitaireTTC", with = "amount")]
    pub mnt_unitaire_ttc: Decimal,
    #[serde(rename = "mntPrestationTTC", with = "amount")]
    pub mnt_prestation_ttc: Decimal,
    #[serde(rename = "mntPrestationHT", with = "amount")]
    pub mnt_prestation_ht: Decimal,
    #[serde(rename = "mntPrestationTVA", with = "amount")]
    pub mnt_prestation_tva: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_debut_emploi: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_fin_emploi: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complement1: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complement2: Option<String>,
}

/// One item of the E3 answer, in the order submitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputDemandePaiement {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_client: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_demande_paiement: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_facture_tiers: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statut: Option<String>,
    #[serde(default, alias = "Errors", skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<Erreur>>,
}

// ---------------------------------------------------------------- E4: rechercher

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InputRechercheDemandePaiement {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_demande_paiements: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_facture_tiers: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_debut: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_fin: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputRechercheDemandePaiement {
    /// Non-blocking errors. Some Urssaf versions spell the key `Errors`.
    #[serde(default, alias = "Errors", skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<Erreur>>,
    #[serde(default)]
    pub info_demande_paiements: Vec<InfoDemandePaiement>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InfoDemandePaiement {
    pub id_demande_paiement: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demande_paiement: Option<DemandePaiementEcho>,
    pub statut: StatutDemandePaiement,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info_rejet: Option<InfoRejet>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info_virement: Option<InfoVirement>,
}

/// The demande as a search result echoes it. Urssaf's echo is not the submission: any field
/// may be missing or `null` (one odd result must not make the whole search unreadable), so
/// everything is optional here and a missing value just means "unknown". `Debug` leaves out
/// `dateNaissanceClient`.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DemandePaiementEcho {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_tiers_facturation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_client: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_naissance_client: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_facture_tiers: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_facture: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_debut_emploi: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_fin_emploi: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "amount_opt")]
    pub mnt_acompte: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_versement_acompte: Option<String>,
    #[serde(
        rename = "mntFactureTTC",
        default,
        skip_serializing_if = "Option::is_none",
        with = "amount_opt"
    )]
    pub mnt_facture_ttc: Option<Decimal>,
    #[serde(
        rename = "mntFactureHT",
        default,
        skip_serializing_if = "Option::is_none",
        with = "amount_opt"
    )]
    pub mnt_facture_ht: Option<Decimal>,
    /// Echoed only sometimes; kept as received (nothing reads the lines back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_prestations: Option<Vec<serde_json::Value>>,
}

redacted_debug!(
    DemandePaiementEcho,
    id_tiers_facturation,
    id_client,
    num_facture_tiers,
    date_facture,
    date_debut_emploi,
    date_fin_emploi,
    mnt_acompte,
    date_versement_acompte,
    mnt_facture_ttc,
    mnt_facture_ht,
);

impl From<&InputDemandePaiement> for DemandePaiementEcho {
    /// The full echo, as the simulator sends it.
    fn from(d: &InputDemandePaiement) -> Self {
        DemandePaiementEcho {
            id_tiers_facturation: Some(d.id_tiers_facturation.clone()),
            id_client: Some(d.id_client.clone()),
            date_naissance_client: Some(d.date_naissance_client.clone()),
            num_facture_tiers: Some(d.num_facture_tiers.clone()),
            date_facture: Some(d.date_facture.clone()),
            date_debut_emploi: Some(d.date_debut_emploi.clone()),
            date_fin_emploi: Some(d.date_fin_emploi.clone()),
            mnt_acompte: d.mnt_acompte,
            date_versement_acompte: d.date_versement_acompte.clone(),
            mnt_facture_ttc: Some(d.mnt_facture_ttc),
            mnt_facture_ht: Some(d.mnt_facture_ht),
            input_prestations: serde_json::to_value(&d.input_prestations).ok().and_then(
                |v| match v {
                    serde_json::Value::Array(a) => Some(a),
                    _ => None,
                },
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatutDemandePaiement {
    pub code: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub libelle: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InfoRejet {
    pub code: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub commentaire: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InfoVirement {
    /// Empty while the transfer is only scheduled.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "amount_opt")]
    pub mnt_virement: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_virement: Option<String>,
}

/// A defaulted field that Urssaf may also send as `null`: read `null` as the default (empty).
fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Token lifetime in seconds: a number, a numeric string (`"3599"`), `null` or anything
/// unreadable (then `None`: the caller's default lifetime applies). Never fails.
fn seconds_opt<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0 && *f < u64::MAX as f64)
                .map(|f| f as u64)
        }),
        serde_json::Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    })
}

/// Amounts travel as JSON numbers. Going through the shortest round-trip text of the
/// `f64` keeps them exact for every amount that has at most 15 significant digits.
pub mod amount {
    use rust_decimal::Decimal;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};
    use std::str::FromStr;

    pub fn serialize<S: Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        let normal = value.normalize();
        if normal.scale() == 0 {
            if let Ok(i) = i64::try_from(normal.mantissa()) {
                return s.serialize_i64(i);
            }
        }
        let f = f64::from_str(&normal.to_string()).map_err(serde::ser::Error::custom)?;
        s.serialize_f64(f)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let n = serde_json::Number::deserialize(d)?;
        from_number(&n).map_err(D::Error::custom)
    }

    pub fn from_number(n: &serde_json::Number) -> Result<Decimal, String> {
        if let Some(i) = n.as_i64() {
            return Ok(Decimal::from(i));
        }
        if let Some(u) = n.as_u64() {
            return Ok(Decimal::from(u));
        }
        let f = n.as_f64().ok_or_else(|| "not a number".to_string())?;
        if !f.is_finite() {
            return Err("not a finite number".into());
        }
        // `{}` on f64 prints the shortest text that reads back to the same f64.
        Decimal::from_str(&format!("{f}"))
            .or_else(|_| Decimal::from_scientific(&format!("{f:e}")))
            .map_err(|e| e.to_string())
    }
}

/// Same as [`amount`], for optional fields (absent, `null` or empty string read as none).
pub mod amount_opt {
    use rust_decimal::Decimal;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => super::amount::serialize(v, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Null => Ok(None),
            serde_json::Value::String(s) if s.trim().is_empty() => Ok(None),
            serde_json::Value::Number(n) => super::amount::from_number(&n)
                .map(Some)
                .map_err(D::Error::custom),
            other => Err(D::Error::custom(format!("expected a number, got {other}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

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
        let json = r#"{"Errors":[{"code":"X","message":"m","description":"d"}],"infoDemandePaiements":[]}"#;
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
        let s: StatutParticulier = serde_json::from_str(
            r#"{"code": "APPAREILLAGE_EC", "description": null, "etat": null}"#,
        )
        .unwrap();
        assert_eq!((s.description.as_str(), s.etat.as_str()), ("", ""));
    }

    #[test]
    fn token_lifetime_number_string_or_null() {
        let read = |v: &str| {
            serde_json::from_str::<TokenResponse>(&format!(
                r#"{{"access_token": "t", "expires_in": {v}}}"#
            ))
            .unwrap()
            .expires_in
        };
        assert_eq!(read("3599"), Some(3599));
        assert_eq!(read(r#""3599""#), Some(3599));
        assert_eq!(read(r#"" 3599 ""#), Some(3599));
        assert_eq!(read("3599.0"), Some(3599));
        assert_eq!(read("null"), None);
        assert_eq!(read(r#""""#), None);
        assert_eq!(read(r#""soon""#), None);
        assert_eq!(read("-1"), None);
        let t: TokenResponse = serde_json::from_str(r#"{"access_token": "t"}"#).unwrap();
        assert_eq!(t.expires_in, None);
        // Still written as a number (the simulator's answer).
        let t = TokenResponse {
            access_token: "t".into(),
            token_type: None,
            expires_in: Some(60),
            scope: None,
        };
        assert_eq!(serde_json::to_value(&t).unwrap()["expires_in"], 60);
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

        let t = TokenResponse {
            access_token: "tok-very-secret".into(),
            token_type: Some("Bearer".into()),
            expires_in: Some(3599),
            scope: None,
        };
        let shown = format!("{t:?}");
        assert!(!shown.contains("tok-very-secret"), "{shown}");
        assert!(shown.contains("3599"), "{shown}");

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
}

//! Urssaf's wire format, field for field (French names live here and nowhere else).
//!
//! Shared by the upstream client and the built-in simulator so both speak exactly the
//! same JSON. Dates stay strings on the wire: Urssaf wants `YYYY-MM-DDT00:00:00Z` and the
//! simulator must be able to see (and reject) other spellings.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Path prefix of the four endpoints on every host.
pub const BASE_PATH: &str = "/atp/v1/tiersPrestations";
/// Path of the OAuth2 token endpoint on every host.
pub const TOKEN_PATH: &str = "/api/oauth/v1/token";
/// The only scope the API knows.
pub const SCOPE: &str = "homeplus.tiersprestations";

/// `Erreur`: the one error item Urssaf uses everywhere.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Erreur {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub description: String,
}

/// Successful answer of the token endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub token_type: Option<String>,
    /// Seconds; absent in some answers, in which case a default lifetime applies.
    #[serde(default)]
    pub expires_in: Option<u64>,
    #[serde(default)]
    pub scope: Option<String>,
}

// ---------------------------------------------------------------- E1 / E2: particulier

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputLieuNaissance {
    pub code_pays_naissance: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub departement_naissance: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commune_naissance: Option<InputCommune>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputCommune {
    pub code_commune: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub libelle_commune: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
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

/// E2 answer (`OutputParticulierSimpleDTO`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub etat: String,
}

// ---------------------------------------------------------------- E3: demandePaiement

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
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
    /// Echoed by search answers only sometimes, hence the default.
    #[serde(default)]
    pub input_prestations: Vec<InputPrestation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
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
#[serde(rename_all = "camelCase")]
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
    pub demande_paiement: Option<InputDemandePaiement>,
    pub statut: StatutDemandePaiement,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info_rejet: Option<InfoRejet>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info_virement: Option<InfoVirement>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatutDemandePaiement {
    pub code: String,
    #[serde(default)]
    pub libelle: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InfoRejet {
    pub code: String,
    #[serde(default)]
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
    fn mnt_virement_may_be_empty() {
        let v: InfoVirement =
            serde_json::from_str(r#"{"mntVirement":"","dateVirement":"2026-11-10T00:00:00Z"}"#)
                .unwrap();
        assert_eq!(v.mnt_virement, None);
    }
}

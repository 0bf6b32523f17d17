//! E1 / E2: registering a particulier and reading its status.

use serde::{Deserialize, Serialize};

use super::encoding::null_as_default;
use crate::domain::redacted_debug;

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
redacted_debug!(ParticulierStatut, id_client, statut);

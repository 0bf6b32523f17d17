//! E3: submitting payment requests (`demandePaiement`).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::encoding::{amount, amount_opt};
use super::Erreur;
use crate::domain::redacted_debug;

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

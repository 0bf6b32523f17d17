//! E4: searching payment requests (`demandePaiement/rechercher`) and what a result holds.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::encoding::{amount_opt, null_as_default};
use super::{Erreur, InputDemandePaiement};
use crate::domain::redacted_debug;

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

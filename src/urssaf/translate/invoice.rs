//! Invoices: an [`Invoice`] → Urssaf's `InputDemandePaiement`.

use crate::domain::invoice::{AdjustedField, Invoice, Unit};
use crate::urssaf::wire;

use super::dates::to_wire_date;

/// `billing_id` is the provider's `idTiersFacturation` (required by Urssaf, not used yet).
pub fn invoice_to_wire(inv: &Invoice, billing_id: &str) -> wire::InputDemandePaiement {
    wire::InputDemandePaiement {
        id_tiers_facturation: billing_id.to_string(),
        id_client: inv.client_id.clone(),
        date_naissance_client: to_wire_date(inv.client_birth_date),
        num_facture_tiers: inv.number.clone(),
        date_facture: to_wire_date(inv.date),
        date_debut_emploi: to_wire_date(inv.service_start),
        date_fin_emploi: to_wire_date(inv.service_end),
        mnt_acompte: inv.deposit.as_ref().map(|d| d.amount),
        date_versement_acompte: inv.deposit.as_ref().map(|d| to_wire_date(d.paid_on)),
        mnt_facture_ttc: inv.total_incl_tax,
        mnt_facture_ht: inv.total_excl_tax,
        input_prestations: inv
            .lines
            .iter()
            .map(|l| wire::InputPrestation {
                code_nature: l.nature_code.to_string(),
                code_activite: l.activity_code.clone(),
                quantite: l.quantity,
                unite: match l.unit {
                    Unit::Hour => "HEURE",
                    Unit::FlatRate => "FORFAIT",
                }
                .to_string(),
                mnt_unitaire_ttc: l.unit_price,
                mnt_prestation_ttc: l.total_incl_tax,
                mnt_prestation_ht: l.total_excl_tax,
                mnt_prestation_tva: l.vat,
                date_debut_emploi: l.service_start.map(to_wire_date),
                date_fin_emploi: l.service_end.map(to_wire_date),
                complement1: l.description.clone(),
                complement2: Some(l.worker_id.clone()),
            })
            .collect(),
    }
}

impl AdjustedField {
    /// The Urssaf field that carries the adjusted value.
    pub fn urssaf_field(self) -> &'static str {
        match self {
            AdjustedField::UnitPrice => "mntUnitaireTTC",
            AdjustedField::InvoiceTotalExclTax => "mntFactureHT",
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::domain::invoice::{InvoiceDefaults, InvoiceInput, LineInput};

    #[test]
    fn sketch_example_maps_to_wire() {
        let inv = InvoiceInput {
            invoice_number: "F-1",
            invoice_date: "2026-11-02",
            client_id: "c1",
            client_birth_date: "1980-03-29",
            lines: vec![LineInput {
                nature_code: "60",
                quantity: "5",
                unit: Unit::Hour,
                unit_price: "30.00",
                vat_rate: Some("10"),
                service_start: Some("2026-10-05"),
                service_end: Some("2026-10-20"),
                description: Some("Ménage"),
                ..Default::default()
            }],
            total_incl_tax: Some("150.00"),
            ..Default::default()
        };
        let defaults = InvoiceDefaults {
            worker_id: Some("SAP123456789".into()),
        };
        let today = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        let parsed = Invoice::parse(&inv, "/invoices/0", &defaults, today).unwrap();
        assert!(parsed.adjustments.is_empty());
        assert_eq!(
            serde_json::to_value(invoice_to_wire(&parsed, "acme")).unwrap(),
            serde_json::json!({
                "idTiersFacturation": "acme", "idClient": "c1", "dateNaissanceClient": "1980-03-29T00:00:00Z",
                "numFactureTiers": "F-1", "dateFacture": "2026-11-02T00:00:00Z",
                "dateDebutEmploi": "2026-10-05T00:00:00Z", "dateFinEmploi": "2026-10-20T00:00:00Z",
                "mntFactureTTC": 150, "mntFactureHT": 136.36,
                "inputPrestations": [{"codeNature": "60", "quantite": 5, "unite": "HEURE", "mntUnitaireTTC": 30,
                    "mntPrestationTTC": 150, "mntPrestationHT": 136.36, "mntPrestationTVA": 13.64,
                    "dateDebutEmploi": "2026-10-05T00:00:00Z", "dateFinEmploi": "2026-10-20T00:00:00Z",
                    "complement1": "Ménage", "complement2": "SAP123456789"}]
            })
        );
        assert_eq!(AdjustedField::UnitPrice.urssaf_field(), "mntUnitaireTTC");
    }
}

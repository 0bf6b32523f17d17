//! Valid request bodies (public API and Urssaf's wire format), dates, and the assertions
//! shared by the tests.
//!
//! Dates: the gateway checks dates against the real clock, the simulator against its own
//! (settable) clock. Invoices are dated in the previous calendar month so that both agree they
//! are in the past, whatever day the tests run.

use chrono::{Datelike, Duration, NaiveDate, Utc};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::Answer;

pub fn content_type(h: &HeaderMap) -> &str {
    h.get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Asserts a problem+json answer with the given status and code; returns the body.
pub fn assert_problem(got: &Answer, status: u16, code: &str) -> Value {
    let (s, h, b) = got;
    assert_eq!(*s, status, "{b}");
    assert_eq!(content_type(h), "application/problem+json", "{b}");
    assert_eq!(b["status"], status, "{b}");
    assert_eq!(b["code"], code, "{b}");
    let id = h.get("x-request-id").and_then(|v| v.to_str().ok());
    assert_eq!(
        b["request_id"].as_str(),
        id,
        "problem and header carry the request id: {b}"
    );
    assert!(id.is_some_and(|i| !i.is_empty()), "{b}");
    b.clone()
}

/// The (pointer, rule) pairs of a problem's `errors`.
pub fn pointers(b: &Value) -> Vec<(String, String)> {
    b["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["pointer"].as_str().unwrap_or("").to_string(),
                        e["rule"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The first day of the previous calendar month.
pub fn month_start() -> NaiveDate {
    let today = Utc::now().date_naive();
    let first = today.with_day(1).expect("day 1");
    (first - Duration::days(1)).with_day(1).expect("day 1")
}

/// Day `day` of the previous calendar month.
pub fn last_month(day: u32) -> NaiveDate {
    month_start().with_day(day).expect("valid day")
}

/// `d` at `hour`:00:00 UTC, in RFC 3339.
pub fn at(d: NaiveDate, hour: u32) -> String {
    let t = d.and_hms_opt(hour, 0, 0).expect("valid time").and_utc();
    t.to_rfc3339()
}

pub fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A valid registration, with a unique e-mail (the simulator refuses a reused e-mail/phone pair).
pub fn client_body() -> Value {
    json!({
        "title": "mrs",
        "birth_name": "Durand",
        "usage_name": "Martin",
        "first_names": "Jeanne Marie",
        "birth_date": "1980-03-29",
        "birth_place": { "country_code": "99100", "commune_code": "44109", "commune_name": "Nantes" },
        "mobile_phone": "06 05 04 03 02",
        "email": format!("jeanne.{}@example.org", uuid::Uuid::new_v4().simple()),
        "address": {
            "street_number": "12", "street_letter": "bis", "street_type": "R", "street_name": "de la Paix",
            "complement": null, "locality": null,
            "commune_code": "44109", "commune_name": "Nantes", "postal_code": "44000", "country_code": "99100"
        },
        "bank_account": { "iban": "FR76 3000 4000 0312 3456 7890 143", "bic": "BNPAFRPP", "holder": "Mme Jeanne Durand" }
    })
}

/// A valid invoice for a client from [`crate::helpers::TestApp::active_client`]: 2 h at 25.00 €, 10 % VAT, total
/// 50.00, services from the 2nd to the 15th of last month, invoiced on the 16th.
pub fn invoice(client_id: &str, number: &str) -> Value {
    json!({
        "invoice_number": number,
        "invoice_date": iso(last_month(16)),
        "client_id": client_id,
        "client_birth_date": "1980-03-29",
        "lines": [{
            "nature_code": "60", "activity_code": null, "quantity": "2", "unit": "hour",
            "unit_price": "25.00", "vat_rate": "10",
            "service_start": iso(last_month(2)), "service_end": iso(last_month(15)),
            "description": "Ménage"
        }]
    })
}

/// A unique invoice number.
pub fn number(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

// ---------------------------------------------------------------- Urssaf's wire format

pub const BASE: &str = "/atp/v1/tiersPrestations";
/// Registration happens at this simulated instant; DPs are dated later in the same month.
pub const T0: &str = "2026-03-01T08:00:00Z";

/// A change applied to a valid JSON body to break one rule.
pub type Mutation = Box<dyn Fn(&mut Value)>;
/// CT's sandbox identity (spec §6), valid in every field.
pub fn particulier() -> Value {
    json!({
        "civilite": "1",
        "nomNaissance": "Durand",
        "prenoms": "Jean Pierre",
        "dateNaissance": "1980-03-29T00:00:00.000Z",
        "lieuNaissance": {
            "codePaysNaissance": "99100",
            "departementNaissance": "044",
            "communeNaissance": { "codeCommune": "109", "libelleCommune": "Nantes" }
        },
        "numeroTelephonePortable": "0605040302",
        "adresseMail": "jean.durand@example.fr",
        "adressePostale": {
            "numeroVoie": "1", "codeTypeVoie": "R", "libelleVoie": "de la Paix",
            "libelleCommune": "Nantes", "codeCommune": "44109", "codePostal": "44000", "codePays": "99100"
        },
        "coordonneeBancaire": { "bic": "BNPAFRPP", "iban": "FR7630004000031234567890143", "titulaire": "M. Jean Durand" }
    })
}

/// A valid demande for [`crate::helpers::TestApp::sim_active_client`]: 2 h at 25 €, 10 % VAT.
pub fn demande(id_client: &str, num: &str) -> Value {
    json!({
        "idTiersFacturation": "sap.fr",
        "idClient": id_client,
        "dateNaissanceClient": "1980-03-29T00:00:00Z",
        "numFactureTiers": num,
        "dateFacture": "2026-03-16T00:00:00Z",
        "dateDebutEmploi": "2026-03-02T00:00:00Z",
        "dateFinEmploi": "2026-03-15T00:00:00Z",
        "mntFactureTTC": 50,
        "mntFactureHT": 45.45,
        "inputPrestations": [{
            "codeNature": "60", "quantite": 2, "unite": "HEURE", "mntUnitaireTTC": 25,
            "mntPrestationTTC": 50, "mntPrestationHT": 45.45, "mntPrestationTVA": 4.55,
            "complement2": "SAP852330992"
        }]
    })
}

/// Asserts a 400 `ERREUR_VALIDATION` whose message contains `naming` (e.g. the field's
/// path); returns the error.
pub fn assert_validation(status: StatusCode, body: &Value, naming: &str) -> Value {
    let e = assert_400(status, body, "ERREUR_VALIDATION");
    let message = e["message"].as_str().unwrap_or_default();
    assert!(message.contains(naming), "{naming}: {body}");
    e
}

/// Asserts a 400 Urssaf error array whose first item has `code`; returns that item.
pub fn assert_400(status: StatusCode, body: &Value, code: &str) -> Value {
    assert_eq!(status, 400, "{body}");
    let arr = body
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {body}"));
    assert!(
        arr.iter().any(|e| e["code"] == code),
        "expected {code} in {body}"
    );
    let e = arr.iter().find(|e| e["code"] == code).unwrap().clone();
    assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
    assert!(
        e["description"].as_str().is_some_and(|m| !m.is_empty()),
        "{e}"
    );
    e
}

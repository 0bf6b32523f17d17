//! The gateway's own rules on a registration: each broken one a 422 naming the field, and
//! nothing reaches Urssaf.

use serde_json::json;

use crate::fixtures::*;
use crate::helpers::*;

use super::Break;

type RuleCase = (&'static str, Break, &'static [(&'static str, &'static str)]);

#[tokio::test]
async fn every_local_rule_answers_422_with_pointers_and_nothing_reaches_urssaf() {
    let app = spawn_app().await;
    let cases: Vec<RuleCase> = vec![
        (
            "birth name digits",
            |b| b["birth_name"] = json!("Dur4nd"),
            &[("/birth_name", "name_pattern")],
        ),
        (
            "blank birth name",
            |b| b["birth_name"] = json!("  "),
            &[("/birth_name", "required")],
        ),
        (
            "usage name too long",
            |b| b["usage_name"] = json!("A".repeat(81)),
            &[("/usage_name", "max_length")],
        ),
        (
            "first names",
            |b| b["first_names"] = json!("Jeanne2"),
            &[("/first_names", "first_names_pattern")],
        ),
        (
            "birth date future",
            |b| b["birth_date"] = json!("2999-01-01"),
            &[("/birth_date", "not_in_future")],
        ),
        (
            "birth date format",
            |b| b["birth_date"] = json!("29/03/1980"),
            &[("/birth_date", "date")],
        ),
        (
            "landline",
            |b| b["mobile_phone"] = json!("01 02 03 04 05"),
            &[("/mobile_phone", "french_mobile")],
        ),
        (
            "email plus",
            |b| b["email"] = json!("jeanne+x@example.org"),
            &[("/email", "email")],
        ),
        (
            "iban checksum",
            |b| b["bank_account"]["iban"] = json!("FR7630004000031234567890144"),
            &[("/bank_account/iban", "iban_checksum")],
        ),
        (
            "iban format",
            |b| b["bank_account"]["iban"] = json!("FR76"),
            &[("/bank_account/iban", "iban_format")],
        ),
        (
            "bic",
            |b| b["bank_account"]["bic"] = json!("BNP"),
            &[("/bank_account/bic", "bic_format")],
        ),
        (
            "street type unknown",
            |b| b["address"]["street_type"] = json!("XYZ"),
            &[("/address/street_type", "street_type")],
        ),
        (
            "street name without type",
            |b| b["address"]["street_type"] = json!(null),
            &[("/address/street_type", "street_type_and_name_together")],
        ),
        (
            "type without name",
            |b| b["address"]["street_name"] = json!(null),
            &[("/address/street_name", "street_type_and_name_together")],
        ),
        (
            "no street, complement or locality",
            |b| {
                b["address"]["street_type"] = json!(null);
                b["address"]["street_name"] = json!(null);
            },
            &[("/address/street_name", "street_or_complement_or_locality")],
        ),
        (
            "street letter",
            |b| b["address"]["street_letter"] = json!("z"),
            &[("/address/street_letter", "street_letter")],
        ),
        (
            "street number 0",
            |b| b["address"]["street_number"] = json!("0"),
            &[("/address/street_number", "street_number")],
        ),
        (
            "postal code",
            |b| b["address"]["postal_code"] = json!("4400"),
            &[("/address/postal_code", "postal_code")],
        ),
        (
            "birth commune code",
            |b| b["birth_place"]["commune_code"] = json!("2C004"),
            &[("/birth_place/commune_code", "insee_commune_code")],
        ),
        (
            "birth commune name missing",
            |b| b["birth_place"]["commune_name"] = json!(null),
            &[("/birth_place/commune_name", "required")],
        ),
        (
            "abroad with commune",
            |b| b["birth_place"]["country_code"] = json!("99109"),
            &[
                ("/birth_place/commune_code", "abroad_without_commune"),
                ("/birth_place/commune_name", "abroad_without_commune"),
            ],
        ),
        (
            "country code",
            |b| b["birth_place"] = json!({"country_code": "12345"}),
            &[("/birth_place/country_code", "insee_country_code")],
        ),
        (
            "unknown field",
            |b| b["nickname"] = json!("Jeannot"),
            &[("/nickname", "unknown_field")],
        ),
        (
            "unknown nested field",
            |b| b["address"]["floor"] = json!(2),
            &[("/address/floor", "unknown_field")],
        ),
        (
            "wrong type",
            |b| b["birth_name"] = json!(42),
            &[("/birth_name", "type")],
        ),
        (
            "bad title",
            |b| b["title"] = json!("dr"),
            &[("/title", "type")],
        ),
        (
            "missing field",
            |b| {
                b.as_object_mut().unwrap().remove("email");
            },
            &[("", "required")],
        ),
        (
            "several at once",
            |b| {
                b["mobile_phone"] = json!("123");
                b["bank_account"]["bic"] = json!("12");
            },
            &[
                ("/mobile_phone", "french_mobile"),
                ("/bank_account/bic", "bic_format"),
            ],
        ),
    ];
    for (name, breaks, expected) in cases {
        let mut body = client_body();
        breaks(&mut body);
        let got = app.register(TENANT_A.id, &body).await;
        let b = assert_problem(&got, 422, "validation_failed");
        assert_eq!(b["type"], "/problems/validation-failed", "{name}");
        let mut want: Vec<(String, String)> = expected
            .iter()
            .map(|(p, r)| (p.to_string(), r.to_string()))
            .collect();
        let mut have = pointers(&b);
        have.sort();
        want.sort();
        assert_eq!(have, want, "{name}: {b}");
        assert!(b["urssaf"].is_null(), "{name}");
    }
    assert_eq!(app.sim().registrations(), 0);
    assert_eq!(app.sim().token_requests(), 0);
}

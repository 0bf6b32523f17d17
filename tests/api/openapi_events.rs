//! The events half of the contract: webhooks and feed items typed per event type, integer
//! query parameters, and what the gateway really sends matching those schemas.

use serde_json::{json, Value};

fn doc() -> Value {
    serde_json::from_str(&urssaf_gateway::api::openapi::document_json()).unwrap()
}

/// Follows a `$ref` (`#/components/schemas/X`) to its schema.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.strip_prefix("#/components/schemas/").unwrap();
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

/// The properties of an object schema, through `allOf` and `$ref`.
fn properties(doc: &Value, schema: &Value) -> serde_json::Map<String, Value> {
    let s = resolve(doc, schema);
    let mut out = s["properties"].as_object().cloned().unwrap_or_default();
    for part in s["allOf"].as_array().into_iter().flatten() {
        out.extend(properties(doc, part));
    }
    out
}

const TYPES: [(&str, &str); 2] = [
    (
        "payment_request.status_changed",
        "PaymentRequestStatusChanged",
    ),
    ("client.account_changed", "ClientAccountChanged"),
];

#[test]
fn each_event_type_is_a_webhook_with_a_typed_body_and_the_standard_headers() {
    let doc = doc();
    let hooks = doc["webhooks"].as_object().expect("webhooks");
    assert_eq!(hooks.len(), TYPES.len(), "{hooks:?}");
    for (t, schema) in TYPES {
        let op = &hooks[t]["post"];
        let body = &op["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(
            body["$ref"],
            format!("#/components/schemas/{schema}"),
            "{t}"
        );
        let props = properties(&doc, body);
        for field in ["id", "type", "timestamp", "data"] {
            assert!(props.contains_key(field), "{t}: {field}");
        }
        // `type` admits exactly this event type.
        assert_eq!(resolve(&doc, &props["type"])["enum"], json!([t]));
        // `data`: the resource as `GET` answers it, plus the previous status, all typed.
        let data = properties(&doc, &props["data"]);
        assert!(
            resolve(&doc, &data["previous_state"])["enum"].is_array(),
            "{t}"
        );
        assert_eq!(data["previous_urssaf_code"]["type"], "string");
        let headers: Vec<&str> = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["in"] == "header" && p["required"] == true)
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            headers,
            ["webhook-id", "webhook-timestamp", "webhook-signature"]
        );
    }
    let pr = properties(
        &doc,
        &json!({"$ref": "#/components/schemas/PaymentRequestStatusChanged"}),
    );
    let data = properties(&doc, &pr["data"]);
    assert!(data.contains_key("status") && data.contains_key("invoice_number"));
    let cl = properties(
        &doc,
        &json!({"$ref": "#/components/schemas/ClientAccountChanged"}),
    );
    assert!(properties(&doc, &cl["data"]).contains_key("account"));
}

/// `oneOf` of one schema per event type, with a `discriminator` on `type` mapping each type.
fn assert_discriminated(doc: &Value, schema: &Value, names: impl Fn(&str) -> String) {
    let s = resolve(doc, schema);
    let one_of: Vec<&str> = s["oneOf"]
        .as_array()
        .unwrap_or_else(|| panic!("no oneOf: {s}"))
        .iter()
        .map(|r| r["$ref"].as_str().unwrap())
        .collect();
    assert_eq!(s["discriminator"]["propertyName"], "type", "{s}");
    for (t, schema) in TYPES {
        let target = format!("#/components/schemas/{}", names(schema));
        assert_eq!(s["discriminator"]["mapping"][t], target.as_str(), "{s}");
        assert!(one_of.contains(&target.as_str()), "{s}");
    }
}

#[test]
fn feed_items_and_delivery_payloads_are_the_same_typed_events() {
    let doc = doc();
    let list = &doc["components"]["schemas"]["EventList"]["properties"]["events"]["items"];
    assert_discriminated(&doc, list, |s| format!("Feed{s}"));
    // A feed item is the webhook body plus its cursor.
    for (_, schema) in TYPES {
        let item = &doc["components"]["schemas"][format!("Feed{schema}")];
        assert_eq!(
            item["allOf"][0]["$ref"],
            format!("#/components/schemas/{schema}")
        );
        assert!(properties(&doc, item).contains_key("cursor"));
    }
    let payload = &doc["components"]["schemas"]["WebhookDelivery"]["properties"]["payload"];
    assert_discriminated(&doc, payload, str::to_string);
}

#[test]
fn numeric_query_parameters_are_integers_and_deliveries_page_with_a_cursor() {
    let doc = doc();
    let param = |path: &str, name: &str| -> Value {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{path} {name}"))["schema"]
            .clone()
    };
    for (path, name) in [
        ("/v1/events", "limit"),
        ("/v1/events", "wait"),
        ("/v1/webhook-deliveries", "limit"),
    ] {
        assert_eq!(param(path, name)["type"], "integer", "{path} {name}");
    }
    assert_eq!(param("/v1/webhook-deliveries", "after")["type"], "string");
    let page = &doc["components"]["schemas"]["WebhookDeliveries"];
    assert!(page["required"]
        .as_array()
        .unwrap()
        .contains(&json!("next_cursor")));
}

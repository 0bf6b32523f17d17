//! The simulator holds the gateway to the fixtures as a strict server would: it accepts each
//! request fixture as is, and refuses the same request with one unknown key in any of its
//! objects with Urssaf's 400 error array.

use serde_json::{json, Value};

use crate::capture::fixture;
use crate::contract_sent::CLIENT;
use crate::fixtures::*;
use crate::helpers::*;
use crate::sim_calls::sim_found_ids;

/// The endpoint (under the base path) each JSON request fixture is posted to.
const REQUESTS: [(&str, &str); 6] = [
    ("/particulier", "e1-request-born-in-france.json"),
    ("/particulier", "e1-request-born-abroad.json"),
    ("/demandePaiement", "e3-request.json"),
    ("/demandePaiement/rechercher", "e4-request-by-ids.json"),
    (
        "/demandePaiement/rechercher",
        "e4-request-by-invoice-numbers.json",
    ),
    ("/demandePaiement/rechercher", "e4-request-by-period.json"),
];

/// A request fixture, with the fixtures' client id replaced by the one the simulator gave.
fn request(name: &str, id_client: &str) -> Value {
    let text = fixture(name).replace(CLIENT, id_client);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Every object of `v`, as JSON pointers.
fn objects(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            out.push(at.clone());
            for (k, child) in m {
                objects(child, format!("{at}/{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                objects(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// A JSON pointer written the way Urssaf names a field (`/0/inputPrestations/1` is
/// `[0].inputPrestations[1]`).
fn urssaf_path(pointer: &str) -> String {
    let segment = |s: &str| match s.parse::<usize>() {
        Ok(i) => format!("[{i}]"),
        Err(_) => format!(".{s}"),
    };
    pointer.split('/').skip(1).map(segment).collect()
}

#[tokio::test]
async fn the_simulator_accepts_every_request_fixture_as_is() {
    let app = spawn_simulator().await;
    // Registered before the invoices' service period, invoiced after it.
    app.set_clock("2026-03-01T00:00:00Z").await;
    let france = request("e1-request-born-in-france.json", CLIENT);
    let id = app.sim_register(&app.token, &france).await;
    let abroad = request("e1-request-born-abroad.json", CLIENT);
    assert_ne!(app.sim_register(&app.token, &abroad).await, id);
    app.set_clock("2026-04-01T12:00:00Z").await;

    for name in ["e2-request-by-id.query", "e2-request-by-email.query"] {
        let query = fixture(name).trim().replace(CLIENT, &id);
        let (s, b) = app.sim_get(&format!("/particulier?{query}")).await;
        assert_eq!(
            (s.as_u16(), &b["idClient"]),
            (200, &json!(id)),
            "{name}: {b}"
        );
    }
    let (s, b) = app.sim_submit(&request("e3-request.json", &id)).await;
    assert_eq!(s, 200, "{b}");
    for item in b.as_array().expect("array") {
        assert_eq!(item["statut"], "10", "integrated: {b}");
    }
    let ids: Vec<Value> = b
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["idDemandePaiement"].clone())
        .collect();
    for (_, name) in &REQUESTS[3..] {
        // The fixtures' payment-request ids stand for the ones this simulator gave (its ids
        // never repeat across starts).
        let mut text = fixture(name).replace(CLIENT, &id);
        for (n, given) in ids.iter().enumerate() {
            text = text.replace(&format!("1100000000010{n}"), given.as_str().unwrap());
        }
        let body: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (s, b) = app.sim_search(body).await;
        assert_eq!(s, 200, "{name}: {b}");
        let found: Vec<Value> = sim_found_ids(&b).into_iter().map(Value::from).collect();
        assert_eq!(found, ids, "{name}");
    }
}

#[tokio::test]
async fn the_simulator_refuses_an_unknown_key_in_any_object_of_a_request() {
    let app = spawn_simulator().await;
    let mut tried = 0;
    for (path, name) in REQUESTS {
        let valid = request(name, CLIENT);
        let mut at = Vec::new();
        objects(&valid, String::new(), &mut at);
        for pointer in at {
            let mut body = valid.clone();
            let object = body.pointer_mut(&pointer).and_then(Value::as_object_mut);
            object
                .expect("an object")
                .insert("cleInconnue".into(), json!("x"));
            let (s, b) = app.sim_post(path, &body).await;
            let field = format!("{}.cleInconnue : champ inconnu", urssaf_path(&pointer));
            let e = assert_validation(s, &b, &field);
            assert!(e["message"].as_str().unwrap().ends_with(&field), "{e}");
            tried += 1;
        }
    }
    // Every object: the E1 bodies' nested ones, each demande and each of its lines.
    assert_eq!(tried, 5 + 4 + 4 + 3);
}

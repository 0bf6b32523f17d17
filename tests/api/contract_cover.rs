//! Every call the gateway makes to Urssaf has its literal fixtures: an exhaustive match, so a
//! new `urssaf::Operation` does not build until its request and answer are written down in
//! `tests/fixtures/urssaf/` (and then checked by `contract_sent`, `contract_read` and
//! `contract_strict`).

use urssaf_gateway::urssaf::Operation;

/// The request and answer fixtures of each operation.
fn fixtures(op: Operation) -> (&'static [&'static str], &'static [&'static str]) {
    match op {
        Operation::RegisterClient => (
            &[
                "e1-request-born-in-france.json",
                "e1-request-born-abroad.json",
            ],
            &["e1-answer.json"],
        ),
        Operation::ClientStatus => (
            &["e2-request-by-id.query", "e2-request-by-email.query"],
            &["e2-answer.json", "e2-answer-array.json"],
        ),
        Operation::SubmitPaymentRequests => (
            &["e3-request.json"],
            &[
                "e3-answer-integrated.json",
                "e3-answer-item-errors.json",
                "e3-answer-400.json",
            ],
        ),
        Operation::SearchPaymentRequests => (
            &[
                "e4-request-by-ids.json",
                "e4-request-by-invoice-numbers.json",
                "e4-request-by-period.json",
            ],
            &[
                "e4-answer-found.json",
                "e4-answer-found-capital-errors.json",
                "e4-answer-nothing-found.json",
            ],
        ),
    }
}

#[test]
fn every_operation_has_request_and_answer_fixtures_listed_in_the_readme() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/urssaf");
    let readme = std::fs::read_to_string(format!("{dir}/README.md")).unwrap();
    for op in Operation::ALL {
        let (requests, answers) = fixtures(op);
        assert!(!requests.is_empty() && !answers.is_empty(), "{op:?}");
        for name in requests.iter().chain(answers) {
            let text = std::fs::read_to_string(format!("{dir}/{name}"))
                .unwrap_or_else(|e| panic!("{op:?}: {name}: {e}"));
            assert!(!text.trim().is_empty(), "{op:?}: {name} is empty");
            assert!(readme.contains(name), "{op:?}: {name} not in the README");
        }
    }
}

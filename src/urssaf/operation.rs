//! The calls the client makes to Urssaf; known to the client, its transport and the exchange
//! recorder, importing none of them.

/// One call of Urssaf's API, as the client, the transport and the evidence name it.
///
/// Adding one: every `match` on it is exhaustive on purpose (here, the simulator's router,
/// the fixtures test in `tests/api/contract_cover.rs`), so the build says what else to write;
/// `docs/architecture.md` has the whole checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    RegisterClient,
    ClientStatus,
    SubmitPaymentRequests,
    SearchPaymentRequests,
}

impl Operation {
    pub const ALL: [Operation; 4] = [
        Operation::RegisterClient,
        Operation::ClientStatus,
        Operation::SubmitPaymentRequests,
        Operation::SearchPaymentRequests,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Operation::RegisterClient => "register_client",
            Operation::ClientStatus => "client_status",
            Operation::SubmitPaymentRequests => "submit_payment_requests",
            Operation::SearchPaymentRequests => "search_payment_requests",
        }
    }

    pub fn method(self) -> &'static str {
        match self {
            Operation::ClientStatus => "GET",
            Operation::RegisterClient
            | Operation::SubmitPaymentRequests
            | Operation::SearchPaymentRequests => "POST",
        }
    }

    /// The endpoint's path under the API base (`wire::BASE_PATH` on every host).
    pub fn path(self) -> &'static str {
        match self {
            Operation::RegisterClient | Operation::ClientStatus => "/particulier",
            Operation::SubmitPaymentRequests => "/demandePaiement",
            Operation::SearchPaymentRequests => "/demandePaiement/rechercher",
        }
    }

    /// Creating calls are retried only when Urssaf provably did not process them.
    pub(super) fn creates(self) -> bool {
        matches!(
            self,
            Operation::RegisterClient | Operation::SubmitPaymentRequests
        )
    }

    /// The name of an attempt's trace span: OpenTelemetry's `{method} {target}`, with the
    /// operation as the low-cardinality target.
    pub fn span_name(self) -> &'static str {
        match self {
            Operation::RegisterClient => "POST register_client",
            Operation::ClientStatus => "GET client_status",
            Operation::SubmitPaymentRequests => "POST submit_payment_requests",
            Operation::SearchPaymentRequests => "POST search_payment_requests",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Operation;

    /// The span names are written out (no allocation per attempt): they must stay the
    /// method and the name the metrics use.
    #[test]
    fn span_names_are_the_method_and_the_name() {
        for op in Operation::ALL {
            assert_eq!(op.span_name(), format!("{} {}", op.method(), op.name()));
        }
    }
}

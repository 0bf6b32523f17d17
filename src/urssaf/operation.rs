//! The calls the client makes to Urssaf; known to the client, its transport and the exchange
//! recorder, importing none of them.

/// One call of Urssaf's API, as the client, the transport and the evidence name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    RegisterClient,
    ClientStatus,
    SubmitPaymentRequests,
    SearchPaymentRequests,
}

impl Operation {
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
            _ => "POST",
        }
    }

    /// Creating calls are retried only when Urssaf provably did not process them.
    pub(super) fn creates(self) -> bool {
        matches!(
            self,
            Operation::RegisterClient | Operation::SubmitPaymentRequests
        )
    }
}

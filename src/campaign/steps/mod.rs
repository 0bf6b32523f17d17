//! The four scenarios of Urssaf's test campaign, run through the gateway's own use cases with
//! every Urssaf exchange recorded: M010 register the test person, M020 read its status until
//! active, M050 submit a payment request inside the allowed window, M070 search it by id and
//! by invoice number. A failed step stops the campaign; the later ones are "not run".
mod client;
mod failure;
mod payment;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use parking_lot::Mutex;

use self::client::{m010, m020};
use self::payment::{m050, m070};
use super::report::{ExchangeRecord, Failure, Options, Report, Step, Verdict};
use super::rig::Rig;
use super::scenario::InvoiceShape;
use crate::api::dto::clients::RegisterClientRequest;
use crate::config::TokenAuthStyle;
use crate::tenant::Tenant;
use crate::urssaf::{Exchange, ExchangeObserver};

/// Everything the campaign was asked to do.
pub struct Plan {
    pub tenant: Arc<Tenant>,
    pub identity: RegisterClientRequest,
    pub identity_file: Option<String>,
    pub born_abroad: bool,
    pub shape: InvoiceShape,
    /// Longest wait for the client to become active (M020).
    pub activation_wait: Duration,
    pub token_auth: TokenAuthStyle,
}

struct Meta {
    id: &'static str,
    title: &'static str,
    calls: &'static str,
}

pub const M010: (&str, &str, &str) = (
    "M010",
    "Register the test person",
    "POST /particulier, then GET /particulier",
);
pub const M020: (&str, &str, &str) = (
    "M020",
    "Read the client's status until active",
    "GET /particulier?idClient=…",
);
pub const M050: (&str, &str, &str) = (
    "M050",
    "Submit a payment request inside the allowed window",
    "POST /demandePaiement",
);
pub const M070: (&str, &str, &str) = (
    "M070",
    "Search the payment request by id and by invoice number",
    "POST /demandePaiement/rechercher",
);

fn meta(m: (&'static str, &'static str, &'static str)) -> Meta {
    Meta {
        id: m.0,
        title: m.1,
        calls: m.2,
    }
}

/// Every attempt sent through the campaign's client, in order.
#[derive(Default)]
struct Recorder(Mutex<Vec<ExchangeRecord>>);

impl ExchangeObserver for Recorder {
    fn exchange(&self, e: &Exchange<'_>) {
        self.0.lock().push(ExchangeRecord::of(e));
    }
}

impl Recorder {
    fn take(&self) -> Vec<ExchangeRecord> {
        std::mem::take(&mut *self.0.lock())
    }
}

/// What a step found, or why it failed.
type StepResult<T> = Result<(T, String), Failure>;

struct Timer {
    at: DateTime<Utc>,
    started: Instant,
}

impl Timer {
    fn start() -> Timer {
        Timer {
            at: Utc::now(),
            started: Instant::now(),
        }
    }

    fn finish<T>(
        self,
        m: Meta,
        result: &StepResult<T>,
        notes: Vec<String>,
        exchanges: Vec<ExchangeRecord>,
    ) -> Step {
        let (verdict, outcome, failure) = match result {
            Ok((_, outcome)) => (Verdict::Passed, outcome.clone(), None),
            Err(f) => (Verdict::Failed, f.problem.clone(), Some(f.clone())),
        };
        Step {
            id: m.id,
            title: m.title,
            urssaf_calls: m.calls,
            verdict,
            started_at: Some(self.at),
            duration_ms: Some(self.started.elapsed().as_millis() as u64),
            outcome,
            failure,
            notes,
            exchanges,
            omitted_exchanges: 0,
        }
    }
}

/// Runs the campaign; never fails as a whole: a failure is a failed step in the report.
pub async fn run(rig: &Rig, plan: &Plan) -> Report {
    let started_at = Utc::now();
    let recorder = Arc::new(Recorder::default());
    let urssaf = rig.urssaf.with_observer(recorder.clone());
    let tenant = &plan.tenant;
    let mut steps = Vec::new();

    let timer = Timer::start();
    let mut notes = Vec::new();
    let registered = m010(&urssaf, tenant, &plan.identity, &mut notes).await;
    steps.push(timer.finish(meta(M010), &registered, notes, recorder.take()));

    if let Ok((client_id, _)) = &registered {
        let timer = Timer::start();
        let status = m020(&urssaf, tenant, client_id, plan.activation_wait).await;
        let mut exchanges = recorder.take();
        let omitted = keep_first_and_last(&mut exchanges);
        let mut step = timer.finish(meta(M020), &status, Vec::new(), exchanges);
        step.omitted_exchanges = omitted;
        steps.push(step);

        if let Ok((account, _)) = &status {
            let timer = Timer::start();
            let mut notes = Vec::new();
            let submitted = m050(rig, &urssaf, plan, client_id, account, &mut notes).await;
            steps.push(timer.finish(meta(M050), &submitted, notes, recorder.take()));

            if let Ok(((id, number), _)) = &submitted {
                let timer = Timer::start();
                let found = m070(&urssaf, tenant, id, number).await;
                steps.push(timer.finish(meta(M070), &found, Vec::new(), recorder.take()));
            }
        }
    }
    for m in [M010, M020, M050, M070] {
        if !steps.iter().any(|s| s.id == m.0) {
            steps.push(Step::not_run(m.0, m.1, m.2));
        }
    }
    Report {
        title: "Urssaf API Tiers de Prestation: test campaign".into(),
        gateway_version: env!("CARGO_PKG_VERSION"),
        tenant: tenant.id.clone(),
        environment: tenant.environment.as_str(),
        urssaf_api: tenant.endpoints.api_base.clone(),
        token_url: tenant.endpoints.token_url.clone(),
        oauth_client_id: tenant.client_id.clone(),
        started_at,
        finished_at: Utc::now(),
        passed: steps.iter().all(|s| s.verdict == Verdict::Passed),
        options: Options {
            identity_file: plan.identity_file.clone(),
            born_abroad: plan.born_abroad,
            multi_line: plan.shape.multi_line,
            one_cent: plan.shape.one_cent,
            activation_wait_seconds: plan.activation_wait.as_secs(),
        },
        notes: report_notes(plan),
        steps,
    }
}

fn report_notes(plan: &Plan) -> Vec<String> {
    let credentials = match plan.token_auth {
        TokenAuthStyle::Form => "form fields grant_type=client_credentials, scope=homeplus.tiersprestations, client_id and client_secret=***",
        TokenAuthStyle::Basic => "form fields grant_type=client_credentials and scope=homeplus.tiersprestations, client id and secret in HTTP Basic (Authorization: Basic ***)",
    };
    let person = match &plan.identity_file {
        None => "The person registered is the fictitious test identity of Urssaf's sandbox (urssaf-atp.md §6; names and e-mail are placeholders): the names, birth data, phone, e-mail, address and bank details shown belong to no real person.".to_string(),
        Some(f) => format!("The person registered is the test identity read from {f}: use only fictitious test identities in the sandbox; its data is shown as sent."),
    };
    vec![
        format!("Secrets and tokens are masked (***). Each API call carries Authorization: Bearer *** with an OAuth2 token the gateway obtained from the token endpoint (POST, {credentials}); neither the client secret nor any token appears in this report."),
        person,
        "Times are UTC. Each exchange is one attempt as the gateway sent it; headers the HTTP client adds itself (Host, User-Agent, Content-Length) are not shown.".into(),
    ]
}

/// Long status polls keep their first and last reads; returns how many were left out.
fn keep_first_and_last(exchanges: &mut Vec<ExchangeRecord>) -> usize {
    if exchanges.len() <= 3 {
        return 0;
    }
    let omitted = exchanges.len() - 2;
    exchanges.drain(1..exchanges.len() - 1);
    omitted
}

//! The four scenarios of Urssaf's test campaign, run through the gateway's own use cases with
//! every Urssaf exchange recorded: M010 register the test person, M020 read its status until
//! active, M050 submit a payment request inside the allowed window, M070 search it by id and
//! by invoice number. A failed step stops the campaign; the later ones are "not run".

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, Utc};
use parking_lot::Mutex;

use super::report::{ExchangeRecord, Failure, Options, Report, Step, Verdict};
use super::rig::{host_of, Rig};
use super::scenario::{activation_instant, service_window, InvoiceShape, InvoiceSpec};
use crate::api::dto::clients::RegisterClientRequest;
use crate::api::errors::upstream_problem;
use crate::config::{Environment, TokenAuthStyle};
use crate::domain::client::{AccountState, AccountStatus};
use crate::domain::search::SearchInput;
use crate::service::payment_requests::{self, Fate};
use crate::service::{clients, ServiceError};
use crate::tenant::Tenant;
use crate::urssaf::{
    Exchange, ExchangeObserver, UpstreamError, UrssafClient, UrssafCode, UrssafError,
};

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

const ACTIVATION_HINT: &str = "A new client activates the particulier.urssaf.fr account from Urssaf's e-mail; a client already known to Urssaf accepts the link in that space. In the sandbox the link is normally validated quickly: run the campaign again with a longer --activation-wait. Against the simulator: simulator.activation_delay_seconds (0 = at once) or PUT /__admin/clients/{id}/status.";

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

async fn m010(
    urssaf: &UrssafClient,
    tenant: &Arc<Tenant>,
    identity: &RegisterClientRequest,
    notes: &mut Vec<String>,
) -> StepResult<String> {
    let today = Utc::now().date_naive();
    match clients::register(urssaf, tenant, &identity.input(), today).await {
        Ok(r) => {
            let outcome = format!(
                "Urssaf registered the person: idClient {}; status read right after: {}",
                r.client_id,
                status_text(&r.account)
            );
            Ok((r.client_id, outcome))
        }
        Err(e) => {
            if matches!(e, ServiceError::Upstream(UpstreamError::Token(_))) {
                notes.push(format!(
                    "The token request to {} (client credentials of tenant {}) failed before any API call: no Urssaf API exchange took place.",
                    tenant.endpoints.token_url, tenant.id
                ));
            }
            Err(failure_of(&e))
        }
    }
}

async fn m020(
    urssaf: &UrssafClient,
    tenant: &Arc<Tenant>,
    client_id: &str,
    wait: Duration,
) -> StepResult<AccountStatus> {
    let deadline = Instant::now() + wait;
    let every = (wait / 10).clamp(Duration::from_secs(1), Duration::from_secs(10));
    let mut reads = 0;
    loop {
        reads += 1;
        let account = match clients::get(urssaf, tenant, client_id).await {
            Ok(record) => record.account,
            Err(e) => return Err(failure_of(&e)),
        };
        if account.can_receive_payment_requests {
            let outcome = format!(
                "active after {reads} status read(s): {}",
                status_text(&account)
            );
            return Ok((account, outcome));
        }
        let terminal = matches!(
            account.state,
            AccountState::NotFinalized | AccountState::Blocked | AccountState::MandateExpired
        );
        let now = Instant::now();
        if terminal || now >= deadline {
            let problem = if terminal {
                format!(
                    "the client's account cannot receive payment requests: {}",
                    status_text(&account)
                )
            } else {
                format!(
                    "the client is still not active after {} s ({reads} status reads): {}",
                    wait.as_secs(),
                    status_text(&account)
                )
            };
            let hint = match account.state {
                AccountState::NotFinalized => Some("The activation was not finalised in time: register the client again (the campaign's M010)."),
                AccountState::Blocked => UrssafCode::parse("ERR_CMPT_BLOQUE").hint(),
                AccountState::MandateExpired => UrssafCode::parse("ERR_MANDAT_ECHU").hint(),
                _ => Some(ACTIVATION_HINT),
            };
            return Err(Failure {
                urssaf_code: Some(account.raw.code.clone()),
                urssaf_message: Some(account.raw.description.clone()),
                problem,
                hint: hint.map(str::to_string),
                fields: Vec::new(),
            });
        }
        tokio::time::sleep(every.min(deadline - now)).await;
    }
}

/// The payment request's Urssaf id and invoice number.
async fn m050(
    rig: &Rig,
    urssaf: &UrssafClient,
    plan: &Plan,
    client_id: &str,
    account: &AccountStatus,
    notes: &mut Vec<String>,
) -> StepResult<(String, String)> {
    let tenant = &plan.tenant;
    let now = Utc::now();
    let today = now.date_naive();
    let active_from = activation_instant(&account.raw.description);
    let (start, end) = match service_window(active_from, now.naive_utc()) {
        Ok(w) => w,
        Err(first_day) if tenant.environment == Environment::Embedded => {
            // Rehearsal only: the simulator can move the activation back; Urssaf cannot.
            let month_start = today.with_day(1).unwrap_or(today);
            backdate_activation(host_of(tenant), client_id, month_start).await?;
            notes.push(format!(
                "Rehearsal on the simulator only: the client became active during today and invoices carry whole days, so the first service day Urssaf would accept is {first_day}. The campaign moved the activation to {month_start} 00:00 UTC through the simulator's admin API (PUT /__admin/clients/{client_id}/status). Against Urssaf's sandbox it never does this: run it again from {first_day}."
            ));
            (month_start, today)
        }
        Err(first_day) => {
            return Err(Failure {
                problem: format!(
                    "no service day can be invoiced yet: the client is active from {} and invoices carry whole days, so the first one Urssaf accepts is {first_day}; nothing was sent",
                    active_from.map(|a| a.to_string()).unwrap_or_default()
                ),
                hint: Some(format!("Run the campaign again on or after {first_day}: registration (M010) answers the same client, already active.")),
                ..Failure::default()
            })
        }
    };
    let number = format!(
        "CAMP-{}-{}",
        now.format("%Y%m%d%H%M%S"),
        &uuid::Uuid::new_v4().simple().to_string()[..4]
    );
    let spec = InvoiceSpec::new(
        plan.shape,
        number.clone(),
        client_id.to_string(),
        plan.identity.birth_date.clone(),
        start,
        end,
    );
    notes.push(format!(
        "Service window: {start} to {end} (after the activation, not in the future, one calendar month); invoice {number} dated {end}."
    ));
    let outcomes = match payment_requests::submit(
        urssaf,
        &rig.metrics,
        tenant,
        &[spec.input()],
        today,
    )
    .await
    {
        Ok(o) => o,
        Err(fields) => return Err(failure_of(&ServiceError::Invalid(fields))),
    };
    let Some(outcome) = outcomes.into_iter().next() else {
        return Err(Failure {
            problem: "the gateway answered no outcome for the invoice".into(),
            ..Failure::default()
        });
    };
    for a in &outcome.adjustments {
        notes.push(format!(
            "The gateway adjusted {} from {} to {} before sending: {}.",
            a.pointer, a.original, a.adjusted, a.reason
        ));
    }
    match outcome.fate {
        Fate::Accepted { request, reconciled } => {
            let text = format!(
                "Urssaf integrated the payment request: idDemandePaiement {}, status {}{}",
                request.id,
                request.status.code,
                if reconciled {
                    " (found already integrated under this number)"
                } else {
                    ""
                }
            );
            Ok(((request.id, number), text))
        }
        Fate::Rejected(errors) => {
            let first = errors.first();
            Err(Failure {
                urssaf_code: first.map(|e| e.code.as_str().to_string()),
                urssaf_message: first.map(urssaf_text),
                problem: format!(
                    "Urssaf rejected the payment request ({})",
                    errors
                        .iter()
                        .map(|e| e.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                hint: first.and_then(|e| e.code.hint()).map(str::to_string),
                fields: Vec::new(),
            })
        }
        Fate::Failed(payment_requests::Failure::Upstream(e)) => Err(upstream_failure(&e)),
        Fate::Failed(payment_requests::Failure::DuplicateUnverified) => Err(Failure {
            problem: "Urssaf says the invoice number is taken, and what it holds under that number could not be read to compare".into(),
            hint: Some("Run the campaign again: it uses a new invoice number each time.".into()),
            ..Failure::default()
        }),
    }
}

async fn m070(
    urssaf: &UrssafClient,
    tenant: &Arc<Tenant>,
    id: &str,
    number: &str,
) -> StepResult<()> {
    let today = Utc::now().date_naive();
    let by_id = payment_requests::get(urssaf, tenant, id)
        .await
        .map_err(|e| failure_of(&e))?;
    let numbers = [number.to_string()];
    let input = SearchInput {
        ids: &[],
        invoice_numbers: &numbers,
        invoice_date_from: None,
        invoice_date_to: None,
    };
    let by_number = payment_requests::search(urssaf, tenant, &input, today)
        .await
        .map_err(|e| failure_of(&e))?;
    if !by_number.payment_requests.iter().any(|p| p.id == id) {
        return Err(Failure {
            problem: format!(
                "the search by invoice number {number} did not return payment request {id}"
            ),
            hint: Some(
                "Urssaf may take a moment to index a new payment request: run the campaign again."
                    .into(),
            ),
            ..Failure::default()
        });
    }
    let status = by_id.status_on(today);
    let state = serde_json::to_value(status.state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    Ok((
        (),
        format!(
            "found by id {id} and by invoice number {number}: status {} {} ({state})",
            status.urssaf_code, status.urssaf_label
        ),
    ))
}

/// Simulator only: `PUT /__admin/clients/{id}/status`, active from `day` at midnight UTC.
async fn backdate_activation(
    host: &str,
    client_id: &str,
    day: chrono::NaiveDate,
) -> Result<(), Failure> {
    let url = format!("{host}/__admin/clients/{client_id}/status");
    let body = serde_json::json!({"code": "APPAREILLAGE_VALIDE", "activated_at": format!("{day}T00:00:00Z")});
    let answer = reqwest::Client::new().put(&url).json(&body).send().await;
    match answer {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(Failure {
            problem: format!(
                "the simulator's admin API answered HTTP {} to {url}",
                r.status().as_u16()
            ),
            hint: Some(
                "The simulator's admin API must be on to rehearse with a client activated today."
                    .into(),
            ),
            ..Failure::default()
        }),
        Err(e) => Err(Failure {
            problem: format!("the simulator's admin API could not be reached at {url}: {e}"),
            ..Failure::default()
        }),
    }
}

fn status_text(a: &AccountStatus) -> String {
    if a.raw.description.is_empty() {
        a.raw.code.clone()
    } else {
        format!("{} ({})", a.raw.code, a.raw.description)
    }
}

fn urssaf_text(e: &UrssafError) -> String {
    if e.description.is_empty() {
        e.message.clone()
    } else {
        format!("{}: {}", e.message, e.description)
    }
}

fn failure_of(e: &ServiceError) -> Failure {
    match e {
        ServiceError::Invalid(fields) => Failure {
            problem: format!(
                "the gateway refused the input before sending anything ({} invalid field(s))",
                fields.len()
            ),
            hint: Some("Correct the identity (--identity) or the tenant's settings (worker_id) as the fields say.".into()),
            fields: fields
                .iter()
                .map(|f| format!("{}: {}", f.pointer, f.message))
                .collect(),
            ..Failure::default()
        },
        ServiceError::NotFound(detail) => Failure {
            problem: detail.clone(),
            ..Failure::default()
        },
        ServiceError::Upstream(u) => upstream_failure(u),
    }
}

fn upstream_failure(e: &UpstreamError) -> Failure {
    let p = upstream_problem(e);
    Failure {
        urssaf_code: p.urssaf.as_ref().map(|u| u.code.clone()),
        urssaf_message: p.urssaf.as_ref().map(|u| {
            if u.description.is_empty() {
                u.message.clone()
            } else {
                format!("{}: {}", u.message, u.description)
            }
        }),
        problem: p.detail,
        hint: p.hint,
        fields: Vec::new(),
    }
}

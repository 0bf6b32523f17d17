//! The `check` and `campaign` subcommands: their arguments and what they print.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use secrecy::ExposeSecret;

use super::check;
use super::report::scrub;
use super::rig::Rig;
use super::scenario::{self, InvoiceShape, InvoiceSpec};
use super::steps::{self, Plan, M010, M020, M050, M070};
use crate::config::Settings;
use crate::domain::client::Registration;
use crate::domain::decimal::{fmt_money, fmt_plain};
use crate::domain::invoice::{Invoice, InvoiceDefaults};

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Check only this tenant (repeatable); default: every configured tenant.
    #[arg(long = "tenant")]
    pub tenants: Vec<String>,
    /// Print the results as JSON (an array, one object per tenant).
    #[arg(long)]
    pub json: bool,
}

/// Exit 0 when every tenant passed, 1 when one failed, 2 for a configuration problem.
pub async fn check_command(settings: Settings, args: CheckArgs) -> ExitCode {
    let rig = match Rig::build(&settings).await {
        Ok(rig) => rig,
        Err(problems) => return usage_error(&problems),
    };
    let tenants = if args.tenants.is_empty() {
        rig.tenants.clone()
    } else {
        let mut chosen = Vec::new();
        for id in &args.tenants {
            match rig.tenant(id) {
                Ok(t) => chosen.push(t),
                Err(problem) => return usage_error(&[problem]),
            }
        }
        chosen
    };
    let results = check::check_all(&rig.urssaf, &tenants, settings.check.concurrency).await;
    if args.json {
        match serde_json::to_string_pretty(&results) {
            Ok(text) => println!("{text}"),
            Err(e) => return usage_error(&[e.to_string()]),
        }
    } else {
        print!("{}", check::render_table(&results));
    }
    if results.iter().all(|c| c.passed) {
        ExitCode::SUCCESS
    } else {
        let failed: Vec<&str> = results
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.tenant.as_str())
            .collect();
        eprintln!("error: check failed for tenant {}", failed.join(", "));
        ExitCode::FAILURE
    }
}

fn usage_error(problems: &[String]) -> ExitCode {
    for p in problems {
        eprintln!("error: {p}");
    }
    ExitCode::from(2)
}

#[derive(Debug, clap::Args)]
pub struct CampaignArgs {
    /// The tenant whose Urssaf credentials and environment are tested.
    #[arg(long)]
    pub tenant: String,
    /// Directory for report.md, report.html and report.json (created if missing).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Test identity: a JSON file in the shape of the `POST /v1/clients` body.
    #[arg(long)]
    pub identity: Option<String>,
    /// Register the person as born abroad (country code only, no commune).
    #[arg(long)]
    pub born_abroad: bool,
    /// Submit an invoice with several lines (natures, per-line dates, a flat-rate line).
    #[arg(long)]
    pub multi_line: bool,
    /// Submit three lines of 33.33 for a total of 100.00: the gateway moves the cent.
    #[arg(long)]
    pub one_cent: bool,
    /// Print the plan and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Longest wait, in seconds, for the client to become active (M020).
    #[arg(long, default_value_t = 300)]
    pub activation_wait: u64,
}

/// Exit 0 when the four scenarios passed, 1 when one failed, 2 for a usage problem.
pub async fn campaign_command(settings: Settings, args: CampaignArgs) -> ExitCode {
    if args.out.is_none() && !args.dry_run {
        return usage_error(&["--out DIR is required (or --dry-run)".into()]);
    }
    let identity = match scenario::identity(args.identity.as_deref(), args.born_abroad) {
        Ok(i) => i,
        Err(problem) => return usage_error(&[problem]),
    };
    let today = chrono::Utc::now().date_naive();
    if let Err(fields) = Registration::parse(&identity.input(), today) {
        let lines: Vec<String> = fields
            .iter()
            .map(|f| format!("test identity: {}: {}", f.pointer, f.message))
            .collect();
        return usage_error(&lines);
    }
    let rig = match Rig::build(&settings).await {
        Ok(rig) => rig,
        Err(problems) => return usage_error(&problems),
    };
    let tenant = match rig.tenant(&args.tenant) {
        Ok(t) => t,
        Err(problem) => return usage_error(&[problem]),
    };
    let plan = Plan {
        tenant,
        identity,
        identity_file: args.identity.clone(),
        born_abroad: args.born_abroad,
        shape: InvoiceShape {
            multi_line: args.multi_line,
            one_cent: args.one_cent,
        },
        activation_wait: Duration::from_secs(args.activation_wait),
        token_auth: settings.upstream.token_auth,
    };
    print!("{}", describe_plan(&plan, args.out.as_deref()));
    if args.dry_run {
        println!("\ndry run: nothing was sent.");
        return ExitCode::SUCCESS;
    }
    let Some(out) = args.out else {
        return ExitCode::from(2);
    };
    let report = steps::run(&rig, &plan).await;
    let secrets = [plan.tenant.client_secret.expose_secret()];
    let files = [
        ("report.json", report.to_json()),
        ("report.md", report.to_markdown()),
        ("report.html", report.to_html()),
    ];
    if let Err(e) = std::fs::create_dir_all(&out) {
        return usage_error(&[format!("--out {}: {e}", out.display())]);
    }
    for (name, text) in files {
        let path = out.join(name);
        if let Err(e) = std::fs::write(&path, scrub(&text, &secrets)) {
            return usage_error(&[format!("{}: {e}", path.display())]);
        }
    }
    println!("\n{}\n{}", report.summary_table(), report.verdict_line());
    for step in report.steps.iter().filter(|s| s.failure.is_some()) {
        if let Some(f) = &step.failure {
            if let Some(code) = &f.urssaf_code {
                println!("  Urssaf code: {code}");
            }
            if let Some(h) = &f.hint {
                println!("  hint: {h}");
            }
        }
    }
    println!(
        "\nreport: {}/report.md, report.html, report.json",
        out.display()
    );
    if report.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// What the campaign will send, for people (and `--dry-run`).
fn describe_plan(plan: &Plan, out: Option<&Path>) -> String {
    let t = &plan.tenant;
    let i = &plan.identity;
    let birthplace = match (&i.birth_place.commune_name, &i.birth_place.commune_code) {
        (Some(name), Some(code)) => format!("{name} ({code})"),
        _ => format!(
            "abroad (country {})",
            i.birth_place.country_code.as_deref().unwrap_or("?")
        ),
    };
    let mut text = format!(
        "Urssaf test campaign for tenant {} (environment: {})\n  Urssaf API:     {}\n  token endpoint: {}\n  test identity:  {} {}, born {} in {} [{}]\n",
        t.id,
        t.environment.as_str(),
        t.endpoints.api_base,
        t.endpoints.token_url,
        i.first_names,
        i.birth_name,
        i.birth_date,
        birthplace,
        plan.identity_file
            .as_deref()
            .unwrap_or("built-in fictitious sandbox identity"),
    );
    let today = chrono::Utc::now().date_naive();
    let spec = InvoiceSpec::new(
        plan.shape,
        "CAMP-<time>".into(),
        "00000000-0000-0000-0000-000000000000".into(),
        i.birth_date.clone(),
        today,
        today,
    );
    let defaults = InvoiceDefaults {
        worker_id: t.worker_id.clone(),
    };
    match Invoice::parse(&spec.input(), "/invoices/0", &defaults, today) {
        Ok(inv) => {
            let lines: Vec<String> = inv
                .lines
                .iter()
                .map(|l| {
                    format!(
                        "nature {}: {} × {} = {}",
                        l.nature_code,
                        fmt_plain(l.quantity),
                        fmt_plain(l.unit_price),
                        fmt_money(l.total_incl_tax)
                    )
                })
                .collect();
            text.push_str(&format!(
                "  invoice:        {} line(s): {}; total {}\n",
                inv.lines.len(),
                lines.join(", "),
                fmt_money(inv.total_incl_tax)
            ));
            for a in &inv.adjustments {
                text.push_str(&format!(
                    "                  the gateway adjusts {} from {} to {}\n",
                    a.pointer, a.original, a.adjusted
                ));
            }
        }
        Err(fields) => {
            for f in fields {
                text.push_str(&format!(
                    "  invoice problem: {}: {} (M050 will fail)\n",
                    f.pointer, f.message
                ));
            }
        }
    }
    let wait = plan.activation_wait.as_secs();
    text.push_str(&format!(
        "Steps:\n  {}  {:<34} register the test person, then read its status\n  {}  {:<34} read the status until active, at most {wait} s\n  {}  {:<34} one payment request, services between the activation and today (one month)\n  {}  {:<34} search it by id, then by invoice number\n",
        M010.0, "POST /particulier", M020.0, "GET /particulier", M050.0, "POST /demandePaiement", M070.0, "POST /demandePaiement/rechercher",
    ));
    if let Some(out) = out {
        text.push_str(&format!(
            "Writes: {0}/report.md, {0}/report.html, {0}/report.json\n",
            out.display()
        ));
    }
    text
}

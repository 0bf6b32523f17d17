//! The `check` and `campaign` subcommands: their arguments and what they print.

use std::process::ExitCode;

use crate::config::Settings;

use super::check;
use super::rig::Rig;

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
    let results = check::check_all(&rig.urssaf, &tenants).await;
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

//! `urssaf-gateway`: the gateway (`serve`, the default), the Urssaf simulator, the OpenAPI
//! document and an API-key hashing helper.

use std::io::Write as _;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

// With the `mimalloc` feature: less CPU on the request path's many small buffers, more peak
// memory (docs/performance.md).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use secrecy::SecretString;
use urssaf_gateway::campaign::cli::{self as access, CampaignArgs, CheckArgs};
use urssaf_gateway::config::Settings;
use urssaf_gateway::simulator::{Faults, Simulator, SimulatorSettings};
use urssaf_gateway::startup::Application;
use urssaf_gateway::{api, telemetry, tenant};

/// Shown under every command's `--help`.
const AFTER_HELP: &str = "\
Settings: built-in defaults, then the configuration file, then environment variables named
GATEWAY__<SECTION>__<KEY> (e.g. GATEWAY__SERVER__PORT, GATEWAY__TENANTS__<ID>__CLIENT_ID);
`urssaf-gateway config` prints them merged, secrets masked.

Exit codes:
  0  success (serve: stopped cleanly; check, campaign: every tenant or scenario passed)
  1  failure while running (serve: the server failed; check, campaign: one failed)
  2  bad configuration or usage (each problem printed on one line)";

#[derive(Parser)]
#[command(
    name = "urssaf-gateway",
    version,
    about = "REST gateway to Urssaf's API Tiers de Prestation",
    after_help = AFTER_HELP
)]
struct Cli {
    /// Configuration file (TOML or YAML).
    #[arg(long, global = true, env = "GATEWAY_CONFIG")]
    config: Option<PathBuf>,
    /// Port of the API when no command is given (`urssaf-gateway --port N` is `serve --port N`).
    #[arg(long, env = "GATEWAY__SERVER__PORT")]
    port: Option<u16>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(clap::Args)]
struct SimulatorArgs {
    /// Port (default: `simulator.port`, 8090).
    #[arg(long, env = "GATEWAY__SIMULATOR__PORT")]
    port: Option<u16>,
    /// A provider's client id; repeat with --client-secret for several providers.
    #[arg(long = "client-id")]
    client_ids: Vec<String>,
    #[arg(long = "client-secret")]
    client_secrets: Vec<String>,
    /// Lifetime of the tokens it issues, in seconds (default: `simulator.token_lifetime_seconds`).
    #[arg(long, env = "GATEWAY__SIMULATOR__TOKEN_LIFETIME_SECONDS")]
    token_lifetime: Option<u64>,
    /// Simulated seconds before a registered client becomes active
    /// (default: `simulator.activation_delay_seconds`).
    #[arg(long, env = "GATEWAY__SIMULATOR__ACTIVATION_DELAY_SECONDS")]
    activation_delay: Option<u64>,
    /// Fault knobs at start, as the JSON of `PUT /__admin/faults`, e.g. '{"latency_ms":200}'.
    #[arg(long)]
    faults: Option<String>,
    /// Answer business rejections of payment requests as a 400 for the whole call.
    #[arg(long)]
    business_errors_as_400: bool,
    /// Results a period search may return before `ERR_NBRE_MAX_RESULTAT`.
    #[arg(long, default_value_t = 10)]
    search_max_results: usize,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway (the default).
    #[command(after_help = AFTER_HELP)]
    Serve {
        /// Port of the API (`server.port`).
        #[arg(long, env = "GATEWAY__SERVER__PORT")]
        port: Option<u16>,
    },
    /// Run the Urssaf simulator standalone, with its admin API (`/__admin/`)
    Simulator(SimulatorArgs),
    /// Check each tenant's Urssaf access (token, then a harmless search); exit 0 only when
    /// every tenant passes.
    Check(CheckArgs),
    /// Run Urssaf's test campaign (M010, M020, M050, M070) for one tenant and write the
    /// report (Markdown, HTML, JSON); exit 0 only when the four scenarios pass.
    Campaign(CampaignArgs),
    /// Print the merged settings (defaults, then the file, then GATEWAY__… variables), one
    /// line each with where its value came from, secrets masked; exit 2 if they do not load.
    #[command(after_help = AFTER_HELP)]
    Config,
    /// Print the OpenAPI document (JSON).
    Openapi,
    /// Print the SHA-256 of an API key for `api_key_hashes`; with no key, make a new one.
    HashKey { key: Option<String> },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve { port: cli.port }) {
        Command::Serve { port } => serve(cli.config, port).await,
        Command::Simulator(args) => simulator(cli.config, args).await,
        Command::Check(args) => match load(cli.config) {
            Ok(settings) => access::check_command(settings, args).await,
            Err(code) => code,
        },
        Command::Campaign(args) => match load(cli.config) {
            Ok(settings) => access::campaign_command(settings, args).await,
            Err(code) => code,
        },
        Command::Config => show_config(cli.config),
        Command::Openapi => {
            print!("{}", api::openapi::document_json());
            ExitCode::SUCCESS
        }
        Command::HashKey { key } => {
            match key {
                Some(k) => println!("{}", tenant::hash_key(&k)),
                None => {
                    let k = format!("ugw_{}", uuid::Uuid::new_v4().simple());
                    println!("api key: {k}\nsha-256: {}", tenant::hash_key(&k));
                }
            }
            ExitCode::SUCCESS
        }
    }
}

fn show_config(config: Option<PathBuf>) -> ExitCode {
    let vars: Vec<(String, String)> = std::env::vars().collect();
    match urssaf_gateway::config::show(config.as_deref(), vars) {
        Ok(text) => print!("{text}"),
        Err(problems) => {
            for p in problems {
                eprintln!("error: {p}");
            }
            return ExitCode::from(2);
        }
    }
    // The tree loaded; the typed settings may still be refused (a bad hash, a missing secret).
    match load(config) {
        Ok(settings) => {
            let problems = settings.problems();
            for p in &problems {
                eprintln!("error: {p}");
            }
            if problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            }
        }
        Err(code) => code,
    }
}

fn load(config: Option<PathBuf>) -> Result<Settings, ExitCode> {
    Settings::load(config.as_deref()).map_err(|problems| {
        for p in problems {
            eprintln!("error: {p}");
        }
        ExitCode::from(2)
    })
}

async fn serve(config: Option<PathBuf>, port: Option<u16>) -> ExitCode {
    let mut settings = match load(config) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Some(p) = port {
        settings.server.port = p;
    }
    let telemetry_guard = telemetry::init(&settings.log);
    telemetry_guard.batch_logs();
    let webhook = settings.demo_webhook.as_ref().map(|w| {
        let mut url = w.url.url().clone();
        url.set_query(None);
        url.to_string()
    });
    let mut app = match Application::build(settings).await {
        Ok(app) => app,
        Err(failed) => {
            // The log lines that led here first, then the errors they explain.
            telemetry::flush_logs();
            for p in failed.lines() {
                eprintln!("error: {p}");
            }
            return ExitCode::from(2);
        }
    };
    let port = app.port();
    let simulator_port = app.simulator.as_ref().map(|(_, p)| *p);
    let banner = match (&app.demo_api_key, simulator_port) {
        (Some(key), Some(sim)) => Some(banner(port, key, sim, webhook.as_deref())),
        _ => None,
    };
    if banner.is_some() {
        // The banner comes last, whole: after the first tenant check and events cycle.
        app.settled(Duration::from_secs(10)).await;
    }
    tracing::info!(
        port,
        metrics_port = app.metrics_port(),
        simulator_port,
        "listening"
    );
    if let Some(banner) = banner {
        // One write under the stdout lock, which log lines also take: nothing lands inside it,
        // and the lines logged so far come before it.
        let mut out = std::io::stdout().lock();
        telemetry::flush_logs();
        let _ = out.write_all(banner.as_bytes()).and_then(|()| out.flush());
    }
    match app.run_until_signalled().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What the embedded default prints once ready: where things are, then lines to paste into a
/// shell as they are (the README's examples use `KEY` and `SIM`).
fn banner(port: u16, key: &str, sim: u16, webhook: Option<&str>) -> String {
    let api = format!("http://127.0.0.1:{port}");
    let webhook = webhook
        .map(|w| format!("  webhook:   {w} (the demo tenant's events, signed)\n"))
        .unwrap_or_default();
    format!(
        "\nurssaf-gateway is ready on the embedded default: built-in Urssaf simulator, in-process token cache.\n\
         \x20 API:       {api} (routes under /v1, listed on the docs page)\n\
         \x20 docs:      {api}/docs/\n\
         \x20 simulator: http://127.0.0.1:{sim} (its state: GET /__admin/stats; admin API in docs/simulator.md)\n\
         {webhook}\
         The demo tenant's API key (KEY) and the simulator (SIM), for the README's examples; paste into your shell:\n\
         export KEY={key} SIM=http://127.0.0.1:{sim}\n\
         try:\n\
         curl -H 'Authorization: Bearer {key}' '{api}/v1/clients?email={email}'\n\n",
        email = urssaf_gateway::demo::CLIENT_EMAIL
    )
}

async fn simulator(config: Option<PathBuf>, args: SimulatorArgs) -> ExitCode {
    let settings = match load(config) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let telemetry_guard = telemetry::init(&settings.log);
    telemetry_guard.batch_logs();
    if args.client_ids.len() != args.client_secrets.len() {
        eprintln!("error: give one --client-secret for each --client-id");
        return ExitCode::from(2);
    }
    let faults: Faults = match args.faults.as_deref().map(serde_json::from_str) {
        None => Faults::default(),
        Some(Ok(f)) => f,
        Some(Err(e)) => {
            eprintln!("error: --faults: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = faults.check() {
        eprintln!("error: --faults: {e}");
        return ExitCode::from(2);
    }
    let mut credentials: Vec<(String, SecretString)> = args
        .client_ids
        .into_iter()
        .zip(args.client_secrets.into_iter().map(SecretString::from))
        .collect();
    // Without credentials on the command line, the configured tenants' credentials work.
    if credentials.is_empty() {
        for t in settings.tenants.values() {
            credentials.push((t.client_id.clone(), t.client_secret.clone()));
        }
    }
    if credentials.is_empty() {
        eprintln!("error: no credentials: pass --client-id ID --client-secret SECRET (repeatable)");
        return ExitCode::from(2);
    }
    let sim = Simulator::new(SimulatorSettings {
        credentials,
        token_lifetime: Duration::from_secs(
            args.token_lifetime
                .unwrap_or(settings.simulator.token_lifetime_seconds)
                .max(1),
        ),
        activation_delay: Duration::from_secs(
            args.activation_delay
                .unwrap_or(settings.simulator.activation_delay_seconds),
        ),
        admin_enabled: true,
        faults,
        business_errors_as_400: args.business_errors_as_400,
        search_max_results: args.search_max_results.max(1),
    });
    let port = args.port.unwrap_or(settings.simulator.port);
    let host = settings.server.host.as_str();
    let (listener, port) = match TcpListener::bind((host, port)).and_then(|l| {
        let port = l.local_addr()?.port();
        Ok((l, port))
    }) {
        Ok(bound) => bound,
        Err(e) => {
            eprintln!("error: cannot listen on {host}:{port}: {e}");
            return ExitCode::from(2);
        }
    };
    let server = match sim.serve(listener) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("urssaf simulator on http://{host}:{port} (token: /api/oauth/v1/token, API: /atp/v1/tiersPrestations, admin: /__admin/)");
    match server.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    /// `--port` works with no command, as the port-in-use message suggests, and is `serve`'s.
    #[test]
    fn port_is_taken_with_or_without_serve() {
        let cli = super::Cli::try_parse_from(["urssaf-gateway", "--port", "9001"]).unwrap();
        assert_eq!(cli.port, Some(9001));
        assert!(cli.command.is_none());
        let cli =
            super::Cli::try_parse_from(["urssaf-gateway", "serve", "--port", "9002"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(super::Command::Serve { port: Some(9002) })
        ));
    }

    /// The README shows the banner as it is printed (with its sample key and ports).
    #[test]
    fn the_readme_shows_the_banner_as_it_is() {
        let readme = include_str!("../README.md");
        let start = readme
            .find("\nurssaf-gateway is ready")
            .expect("a banner sample")
            + 1;
        let end = start + readme[start..].find("\n```").expect("its end") + 1;
        let sample = &readme[start..end];
        let field = |after: &str, until: char| {
            sample
                .split(after)
                .nth(1)
                .and_then(|r| r.split(until).next())
                .expect("the field")
                .to_string()
        };
        let key = field("export KEY=", ' ');
        let sim: u16 = field("SIM=http://127.0.0.1:", '\n')
            .parse()
            .expect("a port");
        assert_eq!(
            format!("\n{sample}\n"),
            super::banner(8080, &key, sim, None)
        );
    }
}

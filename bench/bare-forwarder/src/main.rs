//! `GET /v1/clients/{id}` → Urssaf's `GET /atp/v1/tiersPrestations/particulier?idClient=…` with a
//! fixed bearer, the answer parsed and written back reshaped (the gateway's field names), and
//! nothing else. Usage: `bare-forwarder PORT UPSTREAM_BASE_URL BEARER [WORKERS]`.

use actix_web::{get, web, App, HttpResponse, HttpServer};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Particulier {
    id_client: String,
    nom_naissance: Option<String>,
    nom_usage: Option<String>,
    prenoms: Option<String>,
    statut: Statut,
}

#[derive(Deserialize)]
struct Statut {
    code: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    etat: Option<String>,
}

#[derive(Serialize)]
struct Client {
    client_id: String,
    birth_name: Option<String>,
    usage_name: Option<String>,
    first_names: Option<String>,
    account: Account,
}

#[derive(Serialize)]
struct Account {
    state: &'static str,
    can_receive_payment_requests: bool,
    urssaf: Raw,
}

#[derive(Serialize)]
struct Raw {
    code: String,
    description: String,
    etat: String,
}

struct Upstream {
    base: String,
    bearer: String,
    /// One per worker thread: the app factory runs on each worker.
    client: reqwest::Client,
}

#[get("/v1/clients/{id}")]
async fn get_client(up: web::Data<Upstream>, id: web::Path<String>) -> HttpResponse {
    let url = format!(
        "{}/atp/v1/tiersPrestations/particulier?idClient={}",
        up.base, id
    );
    let answer = up.client.get(url).bearer_auth(&up.bearer).send().await;
    let body = match answer {
        Ok(r) if r.status().is_success() => r.bytes().await,
        _ => return HttpResponse::BadGateway().finish(),
    };
    let p: Particulier = match body.map(|b| serde_json::from_slice(&b)) {
        Ok(Ok(p)) => p,
        _ => return HttpResponse::BadGateway().finish(),
    };
    let etat = p.statut.etat.unwrap_or_default();
    let state = match p.statut.code.as_str() {
        "APPAREILLAGE_VALIDE" => "active",
        "APPAREILLAGE_EC" => "pending_activation",
        _ => "other",
    };
    HttpResponse::Ok().json(Client {
        client_id: p.id_client,
        birth_name: p.nom_naissance,
        usage_name: p.nom_usage,
        first_names: p.prenoms,
        account: Account {
            state,
            can_receive_payment_requests: etat == "OK",
            urssaf: Raw {
                code: p.statut.code,
                description: p.statut.description.unwrap_or_default(),
                etat,
            },
        },
    })
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(port), Some(base), Some(bearer)) = (args.get(1), args.get(2), args.get(3)) else {
        eprintln!("usage: bare-forwarder PORT UPSTREAM_BASE_URL BEARER [WORKERS]");
        std::process::exit(2);
    };
    let port: u16 = port
        .parse()
        .map_err(|_| std::io::Error::other("PORT must be a number"))?;
    let workers = match args.get(4).map(|w| w.parse::<usize>()) {
        Some(Ok(w)) if w > 0 => w,
        _ => std::thread::available_parallelism().map_or(1, usize::from),
    };
    let (base, bearer) = (base.clone(), bearer.clone());
    HttpServer::new(move || {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        App::new()
            .app_data(web::Data::new(Upstream {
                base: base.clone(),
                bearer: bearer.clone(),
                client,
            }))
            .service(get_client)
    })
    .workers(workers)
    .bind(("127.0.0.1", port))?
    .run()
    .await
}

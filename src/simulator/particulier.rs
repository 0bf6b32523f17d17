//! E1 `POST /particulier` (registration) and E2 `GET /particulier` (status).
//!
//! Magic identities (birth name, case-insensitive) stand in for the DGFiP checks the
//! simulator cannot run: see [`magic`] and docs/simulator.md.

use super::auth;
use super::clock;
use super::particulier_check::Check;
use super::referentials::iban_valide;
use super::reply::{self, bad_request};
use super::state::{Client, Inner};
use crate::urssaf::wire::{Erreur, InputParticulier, OutputParticulier, ParticulierStatut};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Duration, SubsecRound};
use std::collections::HashMap;
use std::sync::atomic::Ordering;

const ROOT: &str = "inputParticulier";

pub(crate) async fn inscrire(
    inner: web::Data<Inner>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    inner.registrations.fetch_add(1, Ordering::Relaxed);
    let provider = match auth::api_gate(&inner, &req).await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    let value = match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(v) => v,
        Err(e) => {
            let e = reply::validation(ROOT, "", &format!("JSON invalide : {e}"));
            return bad_request(&inner, vec![e]);
        }
    };
    if let Err(e) = reply::check_shape(&value, ROOT, &[], false) {
        return bad_request(&inner, vec![e]);
    }
    // A missing `lieuNaissance` object has its own code, before the generic schema error.
    if value
        .get("lieuNaissance")
        .is_none_or(serde_json::Value::is_null)
    {
        return bad_request(
            &inner,
            vec![reply::metier(
                "ERREUR_LIEU_NAISSANCE_OBLIGATOIRE",
                "Le lieu de naissance est obligatoire",
                ROOT,
                "lieuNaissance",
            )],
        );
    }
    let input: InputParticulier = match reply::parse(&body, ROOT) {
        Ok(v) => v,
        Err(e) => return bad_request(&inner, vec![e]),
    };
    let rules = inner.rules();
    let mut data = inner.data();
    let now = data.clock.now();
    let mut check = Check::default();
    check.particulier(&input, now, rules.max_name_length, rules.max_prenoms_length);
    if !check.errs.is_empty() {
        return bad_request(&inner, check.errs);
    }
    if let Some(e) = magic(&input) {
        return bad_request(&inner, vec![e]);
    }

    let clients = &mut data.provider(&provider).clients;
    if let Some(existing) = clients.iter().find(|c| same_person(&c.input, &input)) {
        return if same_contact(&existing.input, &input) {
            HttpResponse::Ok().json(OutputParticulier {
                id_client: existing.id.clone(),
            })
        } else {
            bad_request(
                &inner,
                vec![reply::erreur(
                    "ERR_CONTACT",
                    "Coordonnées différentes de celles connues",
                    "Le particulier existe déjà : le téléphone, l'adresse mail et l'adresse postale doivent être identiques à ceux connus par l'Urssaf",
                )],
            )
        };
    }
    let same_pair = |c: &&Client| {
        c.input
            .adresse_mail
            .eq_ignore_ascii_case(&input.adresse_mail)
            && telephone(&c.input.numero_telephone_portable)
                == telephone(&input.numero_telephone_portable)
    };
    if clients.iter().any(|c| same_pair(&c)) {
        return bad_request(
            &inner,
            vec![reply::erreur(
                "ERREUR_REFERENCE_PARTICULIER_EXISTANTE_TYPE",
                "Référence particulier déjà existante",
                "Le couple adresse mail / téléphone portable est déjà utilisé par un autre particulier",
            )],
        );
    }
    let id = uuid::Uuid::new_v4().to_string();
    clients.push(Client {
        id: id.clone(),
        input,
        // Urssaf shows activation dates to the second: a DP may start at the displayed second.
        registered_at: now.trunc_subsecs(0),
        forced: None,
    });
    HttpResponse::Ok().json(OutputParticulier { id_client: id })
}

pub(crate) async fn consulter(inner: web::Data<Inner>, req: HttpRequest) -> HttpResponse {
    inner
        .client_reads
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let provider = match auth::api_gate(&inner, &req).await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    let query = web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default();
    let criterion = |k: &str| query.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let (id, mail) = (criterion("idClient"), criterion("adresseMail"));
    if id.is_none() && mail.is_none() {
        return bad_request(
            &inner,
            vec![reply::validation(
                "",
                "idClient",
                "idClient ou adresseMail doit être renseigné",
            )],
        );
    }
    let mut data = inner.data();
    let now = data.clock.now();
    let delay = activation_delay(&inner);
    let found = data.provider(&provider).clients.iter().find(|c| {
        id.is_none_or(|id| c.id == id)
            && mail.is_none_or(|m| c.input.adresse_mail.eq_ignore_ascii_case(m))
    });
    let Some(client) = found else {
        return bad_request(
            &inner,
            vec![reply::erreur(
                "ERR_RECHERCHE_PARTICULIER",
                "Particulier non trouvé",
                "Aucun particulier ne correspond, ou le particulier a rompu son association",
            )],
        );
    };
    let body = ParticulierStatut {
        id_client: client.id.clone(),
        nom_naissance: Some(client.input.nom_naissance.clone()),
        nom_usage: client.input.nom_usage.clone(),
        prenoms: Some(client.input.prenoms.clone()),
        statut: client.wire_status(now, delay),
    };
    if inner.faults().status_as_array {
        HttpResponse::Ok().json(vec![body])
    } else {
        HttpResponse::Ok().json(body)
    }
}

pub(crate) fn activation_delay(inner: &Inner) -> Duration {
    Duration::from_std(inner.settings.activation_delay).unwrap_or(Duration::MAX)
}

/// Magic birth names, bank data and communes triggering the checks Urssaf delegates to
/// DGFiP, its bank-data service and the INSEE referential.
fn magic(p: &InputParticulier) -> Option<Erreur> {
    let e = |code: &str, message: &str, description: &str| {
        Some(reply::erreur(code, message, description))
    };
    match p.nom_naissance.to_uppercase().as_str() {
        "INCONNU" => return e("ERR_DGFIP_R2P_INCONNU", "Particulier inconnu de la DGFiP", "Aucun identifiant fiscal (SPI) ne correspond à l'état civil transmis"),
        "NONIMPOSABLE" => return e("ERR_DGFIP_IMPOTPART_INCONNU", "Situation fiscale incompatible", "La situation fiscale du particulier ne permet pas de bénéficier du service (aucune déclaration de revenus)"),
        "MULTIPLE" => return e("ERR_ECV_PARTICULIERS_EXISTENT", "Plusieurs particuliers existent", "Plusieurs comptes particuliers existent pour cet état civil"),
        "BLOQUE" => return e("ERR_COMPTE_BLOQUE", "Compte bloqué", "Le compte du particulier est bloqué, l'inscription est impossible"),
        _ => {}
    }
    if p.coordonnee_bancaire.bic.to_uppercase().starts_with("BACB") {
        return e(
            "ERR_APPEL_BACB",
            "Erreur de vérification des coordonnées bancaires",
            "La vérification du BIC et de l'IBAN a échoué",
        );
    }
    if !iban_valide(&p.coordonnee_bancaire.iban.to_uppercase()) {
        return e(
            "ERR_COORDONNEES_BANCAIRES",
            "Coordonnées bancaires invalides",
            "Le BIC ou l'IBAN est invalide",
        );
    }
    if p.adresse_postale.code_commune == "99999" {
        return e(
            "ERR_CONTACT_ADRESSE_COMMUNE",
            "Commune inconnue",
            "La commune de résidence n'a pas été trouvée",
        );
    }
    None
}

fn same_person(a: &InputParticulier, b: &InputParticulier) -> bool {
    a.nom_naissance.to_uppercase() == b.nom_naissance.to_uppercase()
        && a.prenoms.to_uppercase() == b.prenoms.to_uppercase()
        && clock::parse_urssaf(&a.date_naissance).map(|d| d.date_naive())
            == clock::parse_urssaf(&b.date_naissance).map(|d| d.date_naive())
}

fn same_contact(a: &InputParticulier, b: &InputParticulier) -> bool {
    a.adresse_mail.eq_ignore_ascii_case(&b.adresse_mail)
        && telephone(&a.numero_telephone_portable) == telephone(&b.numero_telephone_portable)
        && a.adresse_postale == b.adresse_postale
}

/// `+336…` and `06…` are the same phone number.
fn telephone(t: &str) -> String {
    match t.strip_prefix("+33") {
        Some(rest) => format!("0{rest}"),
        None => t.to_string(),
    }
}

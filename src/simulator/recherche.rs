//! E4 `POST /demandePaiement/rechercher`: by ids, else by invoice numbers, else by period
//! on `dateFacture` (inclusive, either bound may be open).

use super::auth;
use super::clock::parse_urssaf;
use super::reply::{self, bad_request};
use super::state::{Dp, Inner};
use crate::urssaf::wire::{Erreur, InputRechercheDemandePaiement};
use actix_web::{web, HttpRequest, HttpResponse};

const ROOT: &str = "inputRechercheDemandePaiement";
const MAX_IDS: usize = 10;

pub(crate) async fn rechercher(
    inner: web::Data<Inner>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    inner
        .searches
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let provider = match auth::api_gate(&inner, &req).await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    let shape = serde_json::from_slice::<serde_json::Value>(&body)
        .map_err(|e| reply::validation(ROOT, "", &format!("JSON invalide : {e}")))
        .and_then(|v| {
            reply::check_shape(&v, ROOT, &["idDemandePaiements", "numFactureTiers"], false)
        });
    if let Err(e) = shape {
        return bad_request(&inner, vec![e]);
    }
    let input: InputRechercheDemandePaiement = match reply::parse(&body, ROOT) {
        Ok(v) => v,
        Err(e) => return bad_request(&inner, vec![e]),
    };
    let list = |v: &Option<Vec<String>>| {
        v.clone()
            .unwrap_or_default()
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
    };
    let (ids, factures) = (
        list(&input.id_demande_paiements),
        list(&input.num_facture_tiers),
    );
    let text = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let (debut, fin) = (text(&input.date_debut), text(&input.date_fin));

    let rules = inner.rules();
    let mut data = inner.data();
    let now = data.clock.now();
    let prov = data.provider(&provider);
    let mut warnings = Vec::new();
    let found: Vec<&Dp> = if !ids.is_empty() || !factures.is_empty() {
        // Ids win over invoice numbers, which win over the period.
        let (field, keys) = if ids.is_empty() {
            ("numFactureTiers", factures)
        } else {
            ("idDemandePaiements", ids)
        };
        if keys.len() > MAX_IDS {
            drop(data);
            return bad_request(
                &inner,
                vec![reply::validation(ROOT, field, "10 valeurs au maximum")],
            );
        }
        let mut hits = Vec::new();
        for key in &keys {
            let hit = prov.dps.values().find(|dp| {
                if field == "numFactureTiers" {
                    dp.input.num_facture_tiers == *key
                } else {
                    dp.id.to_string() == *key
                }
            });
            match hit {
                Some(dp) => hits.push(dp),
                None => warnings.push(reply::erreur(
                    "ERR_RECHERCHE_VIDE",
                    "Demande de paiement non trouvée",
                    format!("Aucune demande de paiement ne correspond à {field} {key}"),
                )),
            }
        }
        hits
    } else if debut.is_some() || fin.is_some() {
        let mut bounds = Vec::new();
        for (path, v) in [("dateDebut", &debut), ("dateFin", &fin)] {
            match v.as_deref().map(parse_urssaf) {
                Some(None) => {
                    drop(data);
                    return bad_request(
                        &inner,
                        vec![reply::validation(
                            ROOT,
                            path,
                            "date attendue au format AAAA-MM-JJThh:mm:ssZ",
                        )],
                    );
                }
                other => bounds.push(other.flatten().map(|d| d.date_naive())),
            }
        }
        let (from, to) = (
            bounds.first().copied().flatten(),
            bounds.get(1).copied().flatten(),
        );
        let hits: Vec<&Dp> = prov
            .dps
            .values()
            .filter(|dp| {
                let Some(day) = parse_urssaf(&dp.input.date_facture).map(|d| d.date_naive()) else {
                    return false;
                };
                from.is_none_or(|f| day >= f) && to.is_none_or(|t| day <= t)
            })
            .collect();
        if hits.len() > inner.settings.search_max_results {
            drop(data);
            return bad_request(
                &inner,
                vec![reply::erreur(
                    "ERR_NBRE_MAX_RESULTAT",
                    "Trop de résultats",
                    "Veuillez affiner votre recherche",
                )],
            );
        }
        hits
    } else {
        drop(data);
        return bad_request(
            &inner,
            vec![reply::erreur(
                "ERR_CRITERE_RECHERCHE_VIDE",
                "Aucun critère de recherche",
                "Si aucun critère n'est renseigné, la recherche ne sera pas effectuée",
            )],
        );
    };
    if found.is_empty() {
        drop(data);
        return bad_request(
            &inner,
            vec![reply::erreur(
                "ERR_RECHERCHE_VIDE",
                "Aucun résultat",
                "La recherche n'a retourné aucun résultat",
            )],
        );
    }
    let infos: Vec<_> = found.iter().map(|dp| dp.info(now, &rules)).collect();
    drop(data);
    HttpResponse::Ok().json(answer(infos, warnings, inner.faults().capital_errors))
}

fn answer(
    infos: Vec<crate::urssaf::wire::InfoDemandePaiement>,
    warnings: Vec<Erreur>,
    capital: bool,
) -> serde_json::Value {
    let mut body = serde_json::Map::new();
    // Always present (possibly empty) so clients see which spelling is in use.
    body.insert(
        if capital { "Errors" } else { "errors" }.into(),
        serde_json::json!(warnings),
    );
    body.insert("infoDemandePaiements".into(), serde_json::json!(infos));
    serde_json::Value::Object(body)
}

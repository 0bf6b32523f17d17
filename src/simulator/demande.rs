//! E3 `POST /demandePaiement`: request-level faults answer 400; business rejections are
//! reported per item inside a 200 (or as a 400 with `business_errors_as_400`).

use super::auth;
use super::clock::parse_urssaf;
use super::faults::Rules;
use super::particulier::activation_delay;
use super::referentials::{CODES_NATURE, NUM_INTERVENANT};
use super::reply::{self, bad_request};
use super::state::{ClientCode, Dp, Inner, Provider};
use crate::urssaf::wire::{Erreur, InputDemandePaiement, OutputDemandePaiement};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Datelike, Duration, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::HashSet;
use std::sync::atomic::Ordering;

const ROOT: &str = "inputDemandePaiement";
const MAX_DEMANDES: usize = 10;

pub(crate) async fn transmettre(
    inner: web::Data<Inner>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    inner.submissions.fetch_add(1, Ordering::Relaxed);
    let provider = match auth::api_gate(&inner, &req).await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    let demandes = match parse_request(&body) {
        Ok(d) => d,
        Err(e) => return bad_request(&inner, e),
    };
    let rules = inner.rules();
    let delay = activation_delay(&inner);
    let mut data = inner.data();
    let now = data.clock.now();

    let prov = data.provider(&provider);
    let mut seen = HashSet::new();
    let verdicts: Vec<Vec<Erreur>> = demandes
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut errs = business(&format!("[{i}]"), d, prov, now, delay, &rules);
            let duplicate = prov
                .dps
                .values()
                .any(|x| x.input.num_facture_tiers == d.num_facture_tiers);
            if duplicate || !seen.insert(d.num_facture_tiers.clone()) {
                errs.push(reply::metier(
                    "ERR_FACTURE_DOUBLON",
                    "Le numéro de facture a déjà été transmis",
                    ROOT,
                    &format!("[{i}].numFactureTiers"),
                ));
            }
            errs
        })
        .collect();

    if inner.settings.business_errors_as_400 && verdicts.iter().any(|e| !e.is_empty()) {
        drop(data);
        return bad_request(&inner, verdicts.into_iter().flatten().collect());
    }

    let mut out = Vec::with_capacity(demandes.len());
    for (d, errs) in demandes.into_iter().zip(verdicts) {
        let mut item = OutputDemandePaiement {
            id_client: Some(d.id_client.clone()),
            id_demande_paiement: None,
            num_facture_tiers: Some(d.num_facture_tiers.clone()),
            statut: None,
            errors: None,
        };
        if errs.is_empty() {
            let id = data.next_dp_id();
            data.provider(&provider).dps.insert(
                id,
                Dp {
                    id,
                    input: d,
                    submitted_at: now,
                    forced: None,
                },
            );
            item.id_demande_paiement = Some(id.to_string());
            item.statut = Some("10".into());
        } else {
            item.errors = Some(errs);
        }
        out.push(item);
    }
    drop(data);
    if inner.faults().drop_after_accept {
        return dropped_connection();
    }
    HttpResponse::Ok().json(out)
}

/// A streaming body that fails before its first byte: actix then closes the connection
/// without having written anything, which the client sees as a connection error.
fn dropped_connection() -> HttpResponse {
    let stream = futures_util::stream::once(async {
        Err::<web::Bytes, std::io::Error>(std::io::Error::other("drop_after_accept"))
    });
    HttpResponse::Ok()
        .content_type("application/json")
        .streaming(stream)
}

/// Schema and format checks; any failure rejects the whole request (400).
fn parse_request(body: &[u8]) -> Result<Vec<InputDemandePaiement>, Vec<Erreur>> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| vec![reply::validation(ROOT, "", &format!("JSON invalide : {e}"))])?;
    let n = match value.as_array() {
        Some(items) => items.len(),
        None => {
            return Err(vec![reply::validation(
                ROOT,
                "",
                "un tableau de demandes de paiement est attendu",
            )])
        }
    };
    if n == 0 {
        return Err(vec![reply::validation(
            ROOT,
            "",
            "au moins une demande de paiement est attendue",
        )]);
    }
    if n > MAX_DEMANDES {
        return Err(vec![reply::erreur(
            "ERR_NBRE_PREST_MAX",
            "Nombre maximum de demandes dépassé",
            "Le nombre maximum de transmission de factures a été dépassé (limite à 10)",
        )]);
    }
    let demandes: Vec<InputDemandePaiement> = reply::parse(body, ROOT).map_err(|e| vec![e])?;
    let mut errs = Vec::new();
    for (i, d) in demandes.iter().enumerate() {
        format_checks(&format!("[{i}]"), d, &mut errs);
    }
    if errs.is_empty() {
        Ok(demandes)
    } else {
        Err(errs)
    }
}

fn format_checks(at: &str, d: &InputDemandePaiement, errs: &mut Vec<Erreur>) {
    let mut bad = |path: &str, detail: &str| {
        errs.push(reply::validation(ROOT, &format!("{at}.{path}"), detail))
    };
    for (path, v) in [
        ("idTiersFacturation", &d.id_tiers_facturation),
        ("idClient", &d.id_client),
        ("numFactureTiers", &d.num_facture_tiers),
    ] {
        if v.is_empty() || v.chars().count() > 50 {
            bad(path, "la longueur doit être comprise entre 1 et 50");
        }
    }
    let mut dates = vec![
        (
            "dateNaissanceClient".to_string(),
            Some(&d.date_naissance_client),
        ),
        ("dateFacture".to_string(), Some(&d.date_facture)),
        ("dateDebutEmploi".to_string(), Some(&d.date_debut_emploi)),
        ("dateFinEmploi".to_string(), Some(&d.date_fin_emploi)),
        (
            "dateVersementAcompte".to_string(),
            d.date_versement_acompte.as_ref().filter(|s| !s.is_empty()),
        ),
    ];
    if d.input_prestations.is_empty() {
        bad("inputPrestations", "au moins une prestation est attendue");
    }
    for (j, p) in d.input_prestations.iter().enumerate() {
        if p.unite != "HEURE" && p.unite != "FORFAIT" {
            bad(
                &format!("inputPrestations[{j}].unite"),
                "valeurs possibles : HEURE, FORFAIT",
            );
        }
        if p.code_nature.is_empty() {
            bad(
                &format!("inputPrestations[{j}].codeNature"),
                "champ obligatoire",
            );
        }
        dates.push((
            format!("inputPrestations[{j}].dateDebutEmploi"),
            p.date_debut_emploi.as_ref(),
        ));
        dates.push((
            format!("inputPrestations[{j}].dateFinEmploi"),
            p.date_fin_emploi.as_ref(),
        ));
    }
    for (path, v) in dates {
        if v.is_some_and(|v| parse_urssaf(v).is_none()) {
            bad(&path, "date attendue au format AAAA-MM-JJThh:mm:ssZ");
        }
    }
}

/// Per-demande business rules (§5); the dates are known to parse.
fn business(
    at: &str,
    d: &InputDemandePaiement,
    prov: &Provider,
    now: DateTime<Utc>,
    delay: Duration,
    rules: &Rules,
) -> Vec<Erreur> {
    let mut errs = Vec::new();
    let mut err = |code: &str, message: &str, path: &str| {
        let path = if path.is_empty() {
            at.to_string()
        } else {
            format!("{at}.{path}")
        };
        errs.push(reply::metier(code, message, ROOT, &path));
    };
    let date = |s: &str| parse_urssaf(s).unwrap_or(DateTime::<Utc>::MIN_UTC);

    // The client: known to this provider, same birth date, link active.
    let client = prov.clients.iter().find(|c| c.id == d.id_client);
    let birth_ok = client.is_some_and(|c| {
        parse_urssaf(&c.input.date_naissance).map(|x| x.date_naive())
            == Some(date(&d.date_naissance_client).date_naive())
    });
    let mut active_from = None;
    match client.map(|c| c.status(now, delay)) {
        Some((ClientCode::Valide, at)) if birth_ok => active_from = at,
        Some((ClientCode::Bloque, _)) if birth_ok => err(
            "ERR_CMPT_BLOQUE",
            "Le compte du particulier est bloqué suite à un impayé",
            "idClient",
        ),
        Some((ClientCode::MandatEchu, _)) if birth_ok => err(
            "ERR_MANDAT_ECHU",
            "Le mandat de prélèvement du particulier est échu",
            "idClient",
        ),
        _ => err(
            "ERR_PARTICULIER_INCONNU",
            "Particulier inconnu, date de naissance différente ou appareillage non validé",
            "idClient",
        ),
    }

    // Employment period: the demande's, then each line's.
    let mut periods = vec![(
        String::new(),
        d.date_debut_emploi.as_str(),
        d.date_fin_emploi.as_str(),
    )];
    for (j, p) in d.input_prestations.iter().enumerate() {
        let deb = p
            .date_debut_emploi
            .as_deref()
            .unwrap_or(&d.date_debut_emploi);
        let fin = p.date_fin_emploi.as_deref().unwrap_or(&d.date_fin_emploi);
        if p.date_debut_emploi.is_some() || p.date_fin_emploi.is_some() {
            periods.push((format!("inputPrestations[{j}]."), deb, fin));
        }
    }
    for (prefix, deb, fin) in periods {
        let (deb, fin) = (date(deb), date(fin));
        if fin < deb {
            err(
                "ERR_DATE_FIN_AVANT_DATE_DEB",
                "La date de fin d'emploi est antérieure à la date de début",
                &format!("{prefix}dateFinEmploi"),
            );
        } else if (deb.year(), deb.month()) != (fin.year(), fin.month()) {
            err(
                "ERR_PERIODE_EMPLOI_MOIS_NON_UNIQUE",
                "La période d'emploi ne peut excéder un mois calendaire",
                &format!("{prefix}dateFinEmploi"),
            );
        }
        if deb > now || fin > now {
            err(
                "ERR_DATE_FUTUR",
                "La période d'emploi ne peut pas être dans le futur",
                &format!("{prefix}dateFinEmploi"),
            );
        }
        if active_from.is_some_and(|a| deb < a) {
            err(
                "ERR_LIEN_PARTICULIER_PRESTATAIRE",
                "Aucun lien actif entre le particulier et le prestataire pour la période d'emploi",
                &format!("{prefix}dateDebutEmploi"),
            );
        }
    }

    // Amounts: signs and decimals first.
    let mut amounts = vec![
        ("mntFactureTTC".to_string(), d.mnt_facture_ttc, 2),
        ("mntFactureHT".to_string(), d.mnt_facture_ht, 2),
    ];
    if let Some(a) = d.mnt_acompte {
        amounts.push(("mntAcompte".to_string(), a, 2));
    }
    for (j, p) in d.input_prestations.iter().enumerate() {
        let l = format!("inputPrestations[{j}].");
        amounts.push((format!("{l}quantite"), p.quantite, 2));
        amounts.push((format!("{l}mntUnitaireTTC"), p.mnt_unitaire_ttc, 3));
        amounts.push((format!("{l}mntPrestationTTC"), p.mnt_prestation_ttc, 2));
        amounts.push((format!("{l}mntPrestationHT"), p.mnt_prestation_ht, 2));
        amounts.push((format!("{l}mntPrestationTVA"), p.mnt_prestation_tva, 2));
    }
    for (path, v, scale) in &amounts {
        if v.is_sign_negative() && !v.is_zero() {
            err(
                "ERR_VALEUR_NEGATIVE",
                "Les valeurs négatives ne sont pas acceptées",
                path,
            );
        }
        if v.normalize().scale() > *scale {
            err(
                "ERR_FORMAT_VALEUR",
                "Le nombre de décimales autorisé est dépassé",
                path,
            );
        }
    }
    if let Some(a) = d.mnt_acompte.filter(|a| !a.is_zero()) {
        if !rules.deposits_allowed {
            err(
                "ERR_ACOMPTE_BLOQUE",
                "Le prestataire n'est pas autorisé à déclarer des acomptes",
                "mntAcompte",
            );
        } else if a
            .checked_mul(Decimal::TWO)
            .is_none_or(|double| double > d.mnt_facture_ttc)
        {
            err(
                "ERR_MONTANT_ACOMPTE",
                "L'acompte ne peut excéder 50 % du montant de la facture",
                "mntAcompte",
            );
        }
    }

    // Lines: referentials, intervenant, arithmetic.
    let mut total_ttc = Some(Decimal::ZERO);
    let mut total_ht = Some(Decimal::ZERO);
    for (j, p) in d.input_prestations.iter().enumerate() {
        let l = format!("inputPrestations[{j}].");
        if !CODES_NATURE.contains(&p.code_nature.as_str()) {
            err(
                "ERR_CODE_NATURE",
                "Code nature inconnu",
                &format!("{l}codeNature"),
            );
        }
        if let (Some(table), Some(act)) = (
            &rules.activity_codes,
            p.code_activite.as_deref().filter(|a| !a.is_empty()),
        ) {
            if !table.iter().any(|(_, a)| a == act) {
                err(
                    "ERR_CODE_ACTIVITE",
                    "Code activité inconnu",
                    &format!("{l}codeActivite"),
                );
            } else if !table.iter().any(|(n, a)| a == act && *n == p.code_nature) {
                err(
                    "ERR_CODE_ACTIVITE_NATURE",
                    "Le code activité n'est pas rattaché à ce code nature",
                    &format!("{l}codeActivite"),
                );
            }
        }
        match p.complement2.as_deref().filter(|c| !c.is_empty()) {
            None if rules.require_complement2 => err(
                "ERR_NUMINTERVENANT_MANQUANT",
                "Le numéro NOVA ou SIRET de l'intervenant est manquant",
                &format!("{l}complement2"),
            ),
            None => {}
            Some(c) if rules.check_complement2_format && !NUM_INTERVENANT.is_match(c) => err(
                "ERR_FORMAT_NUMINTERVENANT",
                "Le numéro NOVA ou SIRET de l'intervenant est mal formaté",
                &format!("{l}complement2"),
            ),
            // Magic: the all-zero NOVA number stands for a blocked intervenant.
            Some("SAP000000000") => err(
                "ERR_NUMINTERVENANT_BLOQUE",
                "Le SIRET de l'intervenant n'est pas autorisé",
                &format!("{l}complement2"),
            ),
            Some(_) => {}
        }
        let computed = p
            .quantite
            .checked_mul(p.mnt_unitaire_ttc)
            .map(|v| v.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero));
        if computed != Some(p.mnt_prestation_ttc) {
            err(
                "ERR_MNT_PREST_TTC",
                "Le montant TTC de la prestation est différent de quantité × prix unitaire TTC",
                &format!("{l}mntPrestationTTC"),
            );
        }
        if p.mnt_prestation_ht.checked_add(p.mnt_prestation_tva) != Some(p.mnt_prestation_ttc) {
            err(
                "ERR_MNT_PREST_HT_TVA",
                "Le montant HT + TVA de la prestation est différent du montant TTC",
                &format!("{l}mntPrestationTTC"),
            );
        }
        total_ttc = total_ttc.and_then(|t| t.checked_add(p.mnt_prestation_ttc));
        total_ht = total_ht.and_then(|t| t.checked_add(p.mnt_prestation_ht));
    }
    if !d.input_prestations.is_empty() {
        if total_ttc != Some(d.mnt_facture_ttc) {
            err("ERR_TOTAL_PRESTATIONS", "La somme des montants TTC des prestations est différente du montant TTC de la facture", "mntFactureTTC");
        } else if rules.check_total_ht && total_ht != Some(d.mnt_facture_ht) {
            err("ERR_TOTAL_PRESTATIONS", "La somme des montants HT des prestations est différente du montant HT de la facture", "mntFactureHT");
        }
    }
    errs
}

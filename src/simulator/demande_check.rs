//! E3 rules: format checks (request-level, 400) and per-demande business rules (§5).

use super::clock::parse_urssaf;
use super::knobs::Rules;
use super::referentials::{CODES_NATURE, NUM_INTERVENANT};
use super::reply;
use super::state::{ClientCode, Provider};
use crate::urssaf::wire::{Erreur, InputDemandePaiement, InputPrestation};
use chrono::{DateTime, Datelike, Duration, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

/// The root Urssaf names in E3's error fields.
pub(crate) const ROOT: &str = "inputDemandePaiement";

pub(crate) fn format_checks(at: &str, d: &InputDemandePaiement, errs: &mut Vec<Erreur>) {
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
pub(crate) fn business(
    at: &str,
    d: &InputDemandePaiement,
    prov: &Provider,
    now: DateTime<Utc>,
    delay: Duration,
    rules: &Rules,
) -> Vec<Erreur> {
    let mut errs = Errs {
        at,
        list: Vec::new(),
    };
    let active_from = client_link(&mut errs, d, prov, now, delay);
    employment_periods(&mut errs, d, now, active_from);
    amount_formats(&mut errs, d);
    provider_rights(&mut errs, d, rules);
    for (j, p) in d.input_prestations.iter().enumerate() {
        line_rules(&mut errs, &format!("inputPrestations[{j}]."), p, rules);
    }
    invoice_totals(&mut errs, d, rules);
    errs.list
}

/// The business errors of one demande, each naming its field under `at`.
struct Errs<'a> {
    at: &'a str,
    list: Vec<Erreur>,
}

impl Errs<'_> {
    fn err(&mut self, code: &str, message: &str, path: &str) {
        let at = self.at;
        let path = if path.is_empty() {
            at.to_string()
        } else {
            format!("{at}.{path}")
        };
        self.list.push(reply::metier(code, message, ROOT, &path));
    }
}

fn date(s: &str) -> DateTime<Utc> {
    parse_urssaf(s).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The client: known to this provider, same birth date, link active. Answers since when.
fn client_link(
    errs: &mut Errs<'_>,
    d: &InputDemandePaiement,
    prov: &Provider,
    now: DateTime<Utc>,
    delay: Duration,
) -> Option<DateTime<Utc>> {
    let client = prov.clients.iter().find(|c| c.id == d.id_client);
    let birth_ok = client.is_some_and(|c| {
        parse_urssaf(&c.input.date_naissance).map(|x| x.date_naive())
            == Some(date(&d.date_naissance_client).date_naive())
    });
    match client.map(|c| c.status(now, delay)) {
        Some((ClientCode::Valide, at)) if birth_ok => return at,
        Some((ClientCode::Bloque, _)) if birth_ok => errs.err(
            "ERR_CMPT_BLOQUE",
            "Le compte du particulier est bloqué suite à un impayé",
            "idClient",
        ),
        Some((ClientCode::MandatEchu, _)) if birth_ok => errs.err(
            "ERR_MANDAT_ECHU",
            "Le mandat de prélèvement du particulier est échu",
            "idClient",
        ),
        _ => errs.err(
            "ERR_PARTICULIER_INCONNU",
            "Particulier inconnu, date de naissance différente ou appareillage non validé",
            "idClient",
        ),
    }
    None
}

/// Employment period: the demande's, then each line's.
fn employment_periods(
    errs: &mut Errs<'_>,
    d: &InputDemandePaiement,
    now: DateTime<Utc>,
    active_from: Option<DateTime<Utc>>,
) {
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
            errs.err(
                "ERR_DATE_FIN_AVANT_DATE_DEB",
                "La date de fin d'emploi est antérieure à la date de début",
                &format!("{prefix}dateFinEmploi"),
            );
        } else if (deb.year(), deb.month()) != (fin.year(), fin.month()) {
            errs.err(
                "ERR_PERIODE_EMPLOI_MOIS_NON_UNIQUE",
                "La période d'emploi ne peut excéder un mois calendaire",
                &format!("{prefix}dateFinEmploi"),
            );
        }
        if deb > now || fin > now {
            errs.err(
                "ERR_DATE_FUTUR",
                "La période d'emploi ne peut pas être dans le futur",
                &format!("{prefix}dateFinEmploi"),
            );
        }
        if active_from.is_some_and(|a| deb < a) {
            errs.err(
                "ERR_LIEN_PARTICULIER_PRESTATAIRE",
                "Aucun lien actif entre le particulier et le prestataire pour la période d'emploi",
                &format!("{prefix}dateDebutEmploi"),
            );
        }
    }
}

/// Amounts: signs and decimals.
fn amount_formats(errs: &mut Errs<'_>, d: &InputDemandePaiement) {
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
            errs.err(
                "ERR_VALEUR_NEGATIVE",
                "Les valeurs négatives ne sont pas acceptées",
                path,
            );
        }
        if v.normalize().scale() > *scale {
            errs.err(
                "ERR_FORMAT_VALEUR",
                "Le nombre de décimales autorisé est dépassé",
                path,
            );
        }
    }
}

/// What the provider may do: its financial guarantee, deposits.
fn provider_rights(errs: &mut Errs<'_>, d: &InputDemandePaiement, rules: &Rules) {
    if !rules.financial_guarantee_ok {
        errs.err(
            "ERREUR_GARANTIE_FINANCIERE_NON_CONFORME",
            "La garantie financière du prestataire est absente ou non conforme",
            "idTiersFacturation",
        );
    }
    if let Some(a) = d.mnt_acompte.filter(|a| !a.is_zero()) {
        if !rules.deposits_allowed {
            errs.err(
                "ERR_ACOMPTE_BLOQUE",
                "Le prestataire n'est pas autorisé à déclarer des acomptes",
                "mntAcompte",
            );
        } else if a
            .checked_mul(Decimal::TWO)
            .is_none_or(|double| double > d.mnt_facture_ttc)
        {
            errs.err(
                "ERR_MONTANT_ACOMPTE",
                "L'acompte ne peut excéder 50 % du montant de la facture",
                "mntAcompte",
            );
        }
    }
}

/// One line (`l` its path prefix): referentials, intervenant, arithmetic.
fn line_rules(errs: &mut Errs<'_>, l: &str, p: &InputPrestation, rules: &Rules) {
    if !CODES_NATURE.contains(&p.code_nature.as_str()) {
        errs.err(
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
            errs.err(
                "ERR_CODE_ACTIVITE",
                "Code activité inconnu",
                &format!("{l}codeActivite"),
            );
        } else if !table.iter().any(|(n, a)| a == act && *n == p.code_nature) {
            errs.err(
                "ERR_CODE_ACTIVITE_NATURE",
                "Le code activité n'est pas rattaché à ce code nature",
                &format!("{l}codeActivite"),
            );
        }
    }
    match p.complement2.as_deref().filter(|c| !c.is_empty()) {
        None if rules.require_complement2 => errs.err(
            "ERR_NUMINTERVENANT_MANQUANT",
            "Le numéro NOVA ou SIRET de l'intervenant est manquant",
            &format!("{l}complement2"),
        ),
        None => {}
        Some(c) if rules.check_complement2_format && !NUM_INTERVENANT.is_match(c) => errs.err(
            "ERR_FORMAT_NUMINTERVENANT",
            "Le numéro NOVA ou SIRET de l'intervenant est mal formaté",
            &format!("{l}complement2"),
        ),
        // Magic: the all-zero NOVA number stands for a blocked intervenant.
        Some("SAP000000000") => errs.err(
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
        errs.err(
            "ERR_MNT_PREST_TTC",
            "Le montant TTC de la prestation est différent de quantité × prix unitaire TTC",
            &format!("{l}mntPrestationTTC"),
        );
    }
    if p.mnt_prestation_ht.checked_add(p.mnt_prestation_tva) != Some(p.mnt_prestation_ttc) {
        errs.err(
            "ERR_MNT_PREST_HT_TVA",
            "Le montant HT + TVA de la prestation est différent du montant TTC",
            &format!("{l}mntPrestationTTC"),
        );
    }
}

/// The invoice totals against the sums of the lines (HT only when the rule asks).
fn invoice_totals(errs: &mut Errs<'_>, d: &InputDemandePaiement, rules: &Rules) {
    if d.input_prestations.is_empty() {
        return;
    }
    let sum = |f: fn(&InputPrestation) -> Decimal| {
        d.input_prestations
            .iter()
            .try_fold(Decimal::ZERO, |t, p| t.checked_add(f(p)))
    };
    if sum(|p| p.mnt_prestation_ttc) != Some(d.mnt_facture_ttc) {
        errs.err(
            "ERR_TOTAL_PRESTATIONS",
            "La somme des montants TTC des prestations est différente du montant TTC de la facture",
            "mntFactureTTC",
        );
    } else if rules.check_total_ht && sum(|p| p.mnt_prestation_ht) != Some(d.mnt_facture_ht) {
        errs.err(
            "ERR_TOTAL_PRESTATIONS",
            "La somme des montants HT des prestations est différente du montant HT de la facture",
            "mntFactureHT",
        );
    }
}

//! E1 `POST /particulier` (registration) and E2 `GET /particulier` (status).
//!
//! Magic identities (birth name, case-insensitive) stand in for the DGFiP checks the
//! simulator cannot run: see [`magic`] and docs/simulator.md.

use super::auth;
use super::clock;
use super::referentials::{self as r, iban_valide};
use super::reply::{self, bad_request};
use super::state::{Client, Inner};
use crate::urssaf::wire::{
    Erreur, InputAdresse, InputParticulier, OutputParticulier, ParticulierStatut,
};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use regex::Regex;
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
    // A missing `lieuNaissance` object has its own code, before the generic schema error.
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(&body) {
        if map
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

fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

#[derive(Default)]
struct Check {
    errs: Vec<Erreur>,
}

impl Check {
    fn bad(&mut self, path: &str, detail: &str) {
        self.errs.push(reply::validation(ROOT, path, detail));
    }

    fn code(&mut self, code: &str, message: &str, path: &str) {
        self.errs.push(reply::metier(code, message, ROOT, path));
    }

    /// Length in characters, then pattern; one error per field at most.
    fn text(
        &mut self,
        path: &str,
        value: &str,
        min: usize,
        max: usize,
        re: Option<&Regex>,
    ) -> bool {
        let n = value.chars().count();
        if n < min || n > max {
            self.bad(
                path,
                &format!("la longueur doit être comprise entre {min} et {max}"),
            );
            false
        } else if re.is_some_and(|re| !re.is_match(value)) {
            self.bad(path, "le format est incorrect");
            false
        } else {
            true
        }
    }

    fn particulier(
        &mut self,
        p: &InputParticulier,
        now: DateTime<Utc>,
        max_nom: usize,
        max_prenoms: usize,
    ) {
        if p.civilite != "1" && p.civilite != "2" {
            self.bad("civilite", "valeurs possibles : 1, 2");
        }
        self.text("nomNaissance", &p.nom_naissance, 1, max_nom, Some(&r::NOM));
        if let Some(nom) = &p.nom_usage {
            self.text("nomUsage", nom, 1, max_nom, Some(&r::NOM));
        }
        self.text("prenoms", &p.prenoms, 1, max_prenoms, Some(&r::PRENOMS));
        match clock::parse_urssaf(&p.date_naissance) {
            None => self.bad(
                "dateNaissance",
                "date attendue au format AAAA-MM-JJThh:mm:ssZ",
            ),
            Some(d) if d > now => self.code(
                "ERR_DATE_NAISSANCE_FUTUR",
                "La date de naissance est dans le futur",
                "dateNaissance",
            ),
            Some(_) => {}
        }
        self.lieu_naissance(p);
        self.text(
            "numeroTelephonePortable",
            &p.numero_telephone_portable,
            1,
            20,
            Some(&r::TELEPHONE),
        );
        self.text("adresseMail", &p.adresse_mail, 1, 254, Some(&r::MAIL));
        self.adresse(&p.adresse_postale);
        let b = &p.coordonnee_bancaire;
        self.text("coordonneeBancaire.bic", &b.bic, 8, 11, Some(&r::BIC));
        self.text("coordonneeBancaire.iban", &b.iban, 18, 38, Some(&r::IBAN));
        self.text("coordonneeBancaire.titulaire", &b.titulaire, 1, 100, None);
    }

    fn lieu_naissance(&mut self, p: &InputParticulier) {
        let l = &p.lieu_naissance;
        if !self.text(
            "lieuNaissance.codePaysNaissance",
            &l.code_pays_naissance,
            5,
            5,
            Some(&r::CINQ_CHIFFRES),
        ) {
            return;
        }
        if l.code_pays_naissance != "99100" {
            if present(&l.departement_naissance).is_some() || l.commune_naissance.is_some() {
                self.code(
                    "ERREUR_LIEU_NAISSANCE_PAYS",
                    "Département et commune de naissance interdits pour une naissance à l'étranger",
                    "lieuNaissance",
                );
            }
            return;
        }
        match present(&l.departement_naissance) {
            None => self.code(
                "ERREUR_LIEU_NAISSANCE_DEPT",
                "Le département de naissance est obligatoire pour une naissance en France",
                "lieuNaissance.departementNaissance",
            ),
            Some(d) if !r::DEPARTEMENT.is_match(d) => self.code(
                "ERREUR_LIEU_NAISSANCE_DEPT_FORMAT",
                "Le format du département de naissance est incorrect",
                "lieuNaissance.departementNaissance",
            ),
            Some(_) => {}
        }
        let commune = l.commune_naissance.as_ref();
        match commune
            .map(|c| c.code_commune.as_str())
            .filter(|c| !c.is_empty())
        {
            None => self.code(
                "ERR_LIEU_NAISSANCE_COMN",
                "La commune de naissance est obligatoire pour une naissance en France",
                "lieuNaissance.communeNaissance.codeCommune",
            ),
            Some(code) if !r::TROIS_CHIFFRES.is_match(code) => self.bad(
                "lieuNaissance.communeNaissance.codeCommune",
                "le format est incorrect",
            ),
            Some(_) => {}
        }
        if let Some(c) = commune {
            match present(&c.libelle_commune) {
                None => self.code(
                    "ERR_LIEU_NAISSANCE_OBLIGATOIRE",
                    "Le libellé de la commune de naissance est obligatoire",
                    "lieuNaissance.communeNaissance.libelleCommune",
                ),
                Some(lib) if lib.contains(';') || lib.chars().any(char::is_control) => self.code(
                    "ERREUR_LIEU_NAISSANCE_INVALIDE",
                    "Le libellé de la commune de naissance doit être alphanumérique sans ';'",
                    "lieuNaissance.communeNaissance.libelleCommune",
                ),
                Some(lib) => {
                    self.text(
                        "lieuNaissance.communeNaissance.libelleCommune",
                        lib,
                        1,
                        50,
                        None,
                    );
                }
            }
        }
    }

    fn adresse(&mut self, a: &InputAdresse) {
        const P: &str = "adressePostale";
        if let Some(n) = present(&a.numero_voie) {
            if self.text(&format!("{P}.numeroVoie"), n, 1, 20, Some(&r::NUMERO_VOIE)) && n == "0" {
                self.bad(&format!("{P}.numeroVoie"), "le format est incorrect");
            }
        }
        if let Some(l) = present(&a.lettre_voie) {
            if !matches!(l, "B" | "T" | "Q" | "C" | "b" | "t" | "q" | "c") {
                self.code(
                    "ERR_CONTACT_ADRESSE_LETTRE_VOIE",
                    "Lettre de voie inconnue (B, T, Q, C)",
                    &format!("{P}.lettreVoie"),
                );
            }
        }
        let type_voie = present(&a.code_type_voie);
        if let Some(t) = type_voie {
            if self.text(
                &format!("{P}.codeTypeVoie"),
                t,
                1,
                4,
                Some(&r::CODE_TYPE_VOIE),
            ) && !r::TYPES_VOIE.contains(&t.to_uppercase().as_str())
            {
                self.code(
                    "ERR_CONTACT_ADRESSE_TYPE_VOIE",
                    "Type de voie inconnu",
                    &format!("{P}.codeTypeVoie"),
                );
            }
        }
        let libelle = present(&a.libelle_voie);
        if let Some(l) = libelle {
            self.text(&format!("{P}.libelleVoie"), l, 1, 28, None);
        }
        for (name, v) in [("complement", &a.complement), ("lieuDit", &a.lieu_dit)] {
            if let Some(v) = present(v) {
                self.text(&format!("{P}.{name}"), v, 1, 38, None);
            }
        }
        match (type_voie, libelle) {
            (Some(_), None) => self.code(
                "ERR_CONTACT_ADRESSE_LIBELLEVOIE",
                "Un libellé de voie est obligatoire avec un type de voie",
                &format!("{P}.libelleVoie"),
            ),
            (None, Some(_)) => self.code(
                "ERR_CONTACT_ADRESSE_TYPEVOIE",
                "Un type de voie est obligatoire avec un libellé de voie",
                &format!("{P}.codeTypeVoie"),
            ),
            (None, None) if present(&a.complement).is_none() && present(&a.lieu_dit).is_none() => {
                self.code(
                    "ERR_CONTACT_ADRESSE_INFORMATION_SUPPLEMENTAIRE",
                    "Renseigner le type et le libellé de voie, un complément ou un lieu-dit",
                    P,
                )
            }
            _ => {}
        }
        self.text(
            &format!("{P}.libelleCommune"),
            &a.libelle_commune,
            1,
            50,
            None,
        );
        self.text(
            &format!("{P}.codeCommune"),
            &a.code_commune,
            5,
            5,
            Some(&r::CODE_COMMUNE),
        );
        self.text(
            &format!("{P}.codePostal"),
            &a.code_postal,
            5,
            5,
            Some(&r::CINQ_CHIFFRES),
        );
        self.text(
            &format!("{P}.codePays"),
            &a.code_pays,
            5,
            5,
            Some(&r::CINQ_CHIFFRES),
        );
    }
}

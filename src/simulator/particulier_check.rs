//! E1 field rules (Swagger lengths and patterns, birthplace and address cross-field rules).

use super::clock;
use super::referentials as r;
use super::reply;
use crate::urssaf::wire::{Erreur, InputAdresse, InputParticulier};
use chrono::{DateTime, Utc};
use regex::Regex;

const ROOT: &str = "inputParticulier";

pub(crate) fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

#[derive(Default)]
pub(crate) struct Check {
    pub errs: Vec<Erreur>,
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

    pub(crate) fn particulier(
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

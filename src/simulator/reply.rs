//! Urssaf error shapes and body parsing.

use super::state::Inner;
use crate::urssaf::wire::Erreur;
use actix_web::HttpResponse;
use serde::de::DeserializeOwned;

pub(crate) fn erreur(
    code: &str,
    message: impl Into<String>,
    description: impl Into<String>,
) -> Erreur {
    Erreur {
        code: code.to_string(),
        message: message.into(),
        description: description.into(),
    }
}

/// `ERREUR_VALIDATION` naming the field the way Urssaf does (`… champ <root>.<path> : …`).
pub(crate) fn validation(root: &str, path: &str, detail: &str) -> Erreur {
    let champ = join(root, path);
    erreur(
        "ERREUR_VALIDATION",
        format!("Erreur de validation sur le champ {champ} : {detail}"),
        format!("Le format du champ {champ} est incorrect"),
    )
}

/// A business error whose description also names the field concerned.
pub(crate) fn metier(code: &str, message: &str, root: &str, path: &str) -> Erreur {
    erreur(
        code,
        message,
        format!("{message} (champ {})", join(root, path)),
    )
}

pub(crate) fn join(root: &str, path: &str) -> String {
    match (root.is_empty(), path.is_empty()) {
        (_, true) => root.to_string(),
        (true, false) => path.to_string(),
        (false, false) if path.starts_with('[') => format!("{root}{path}"),
        (false, false) => format!("{root}.{path}"),
    }
}

/// 400 with the Urssaf error array (or an empty body when the `empty_400` fault is on).
pub(crate) fn bad_request(inner: &Inner, errors: Vec<Erreur>) -> HttpResponse {
    if inner.faults().empty_400 {
        HttpResponse::BadRequest().finish()
    } else {
        HttpResponse::BadRequest().json(errors)
    }
}

/// serde would also read a struct written as a JSON array; Urssaf's Java back end does not.
/// So the root must be an object (or an array when `root_array`), and arrays are only
/// accepted as the value of the `arrays` keys.
pub(crate) fn check_shape(
    value: &serde_json::Value,
    root: &str,
    arrays: &[&str],
    root_array: bool,
) -> Result<(), Erreur> {
    use serde_json::Value;
    fn walk(v: &Value, path: String, arrays: &[&str], array_ok: bool) -> Option<String> {
        match v {
            Value::Array(_) if !array_ok => Some(path),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, x)| walk(x, format!("{path}[{i}]"), arrays, false)),
            Value::Object(map) => map
                .iter()
                .find_map(|(k, x)| walk(x, join(&path, k), arrays, arrays.contains(&k.as_str()))),
            _ => None,
        }
    }
    let expected = if root_array {
        value.is_array()
    } else {
        value.is_object()
    };
    if !expected {
        let what = if root_array {
            "un tableau JSON est attendu"
        } else {
            "un objet JSON est attendu"
        };
        return Err(validation(root, "", what));
    }
    match walk(value, String::new(), arrays, root_array) {
        Some(path) => Err(validation(root, &path, "un tableau n'est pas attendu ici")),
        None => Ok(()),
    }
}

/// Parses a JSON body, mapping any serde failure to `ERREUR_VALIDATION` with the field path.
pub(crate) fn parse<T: DeserializeOwned>(bytes: &[u8], root: &str) -> Result<T, Erreur> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(v) => Ok(v),
        Err(e) => {
            let mut path = e.path().to_string();
            if path == "." {
                path.clear();
            }
            let inner = e.into_inner();
            let detail = inner.to_string();
            // serde reports a missing field at its parent: name the field itself.
            if let Some(field) = missing_field(&detail) {
                path = join(&path, field);
                return Err(validation(root, &path, "champ obligatoire"));
            }
            // An unknown key is already in the path.
            if detail.starts_with("unknown field `") {
                return Err(validation(root, &path, "champ inconnu"));
            }
            Err(validation(root, &path, &detail))
        }
    }
}

/// Extracts `x` from serde's "missing field `x` at line …".
pub(crate) fn missing_field(detail: &str) -> Option<&str> {
    let rest = detail.strip_prefix("missing field `")?;
    rest.split('`').next()
}

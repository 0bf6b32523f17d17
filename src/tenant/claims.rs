//! Which directory tenants a reload accepts: each API key acts for one tenant, and a key
//! already held is never taken, whatever the file names.
//!
//! Order of precedence: tenants of the configuration (fixed at start), then directory tenants
//! already established (accepted by the previous reload, file still present: the keys of
//! their previous version stay theirs for this reload), then new files. A new or changed file
//! claiming a key held by another tenant is refused; a changed file keeps its previous
//! version. Two new files claiming the same key are both refused: neither is established, and
//! a file name is no title to a key. A key freed by one tenant can be given to another from
//! the next reload on.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::config::TenantSettings;

/// Every candidate of the directory by tenant id: its settings, or why its file is refused.
pub type Candidates = BTreeMap<String, Result<TenantSettings, Vec<String>>>;

#[derive(Default)]
pub struct Resolved {
    pub accepted: BTreeMap<String, TenantSettings>,
    pub rejected: BTreeMap<String, Vec<String>>,
    /// Refused tenants whose previous version stays in use.
    pub kept: Vec<String>,
}

/// `fixed`: the ids and key owners of the configuration's tenants; `good`: what the previous
/// reload accepted from the directory.
pub fn resolve(
    fixed_ids: &HashSet<String>,
    fixed_owners: &HashMap<[u8; 32], String>,
    good: &BTreeMap<String, TenantSettings>,
    candidates: Candidates,
) -> Resolved {
    let mut out = Resolved::default();
    let mut owners = fixed_owners.clone();
    for (id, old) in good.iter().filter(|(id, _)| candidates.contains_key(*id)) {
        for h in &old.api_key_hashes {
            owners.entry(h.0).or_insert_with(|| id.clone());
        }
    }
    let (established, new): (Candidates, Candidates) = candidates
        .into_iter()
        .partition(|(id, _)| good.contains_key(id));
    for (id, parsed) in established {
        let old = &good[&id];
        let refused = match parsed {
            Err(problems) => Some(problems),
            Ok(t) => match held_by_another(&t, &id, &owners) {
                Some(owner) => Some(vec![format!(
                    "an API key of {id} is a key of tenant {owner}; a key acts for one tenant only"
                )]),
                None => {
                    claim(&mut owners, &t, &id);
                    out.accepted.insert(id.clone(), t);
                    None
                }
            },
        };
        if let Some(problems) = refused {
            out.rejected.insert(id.clone(), problems);
            out.kept.push(id.clone());
            out.accepted.insert(id, old.clone());
        }
    }
    let mut claimants: HashMap<[u8; 32], BTreeSet<&str>> = HashMap::new();
    for (id, t) in new
        .iter()
        .filter_map(|(id, p)| Some((id, p.as_ref().ok()?)))
    {
        for h in &t.api_key_hashes {
            claimants.entry(h.0).or_default().insert(id);
        }
    }
    for (id, parsed) in &new {
        let t = match parsed {
            Err(problems) => {
                out.rejected.insert(id.clone(), problems.clone());
                continue;
            }
            Ok(t) => t,
        };
        let rivals: BTreeSet<&str> = t
            .api_key_hashes
            .iter()
            .flat_map(|h| claimants[&h.0].iter().copied())
            .filter(|other| other != id)
            .collect();
        let why = if fixed_ids.contains(id) {
            Some(format!(
                "tenant id {id} is already configured (configuration file or environment)"
            ))
        } else if let Some(owner) = held_by_another(t, id, &owners) {
            Some(format!(
                "an API key of {id} is a key of tenant {owner}; a key acts for one tenant only"
            ))
        } else if !rivals.is_empty() {
            let rivals: Vec<&str> = rivals.into_iter().collect();
            Some(format!(
                "an API key of {id} is also claimed by the new tenant(s) {}; none of them is loaded (a key acts for one tenant only)",
                rivals.join(", ")
            ))
        } else {
            None
        };
        match why {
            Some(why) => {
                out.rejected.insert(id.clone(), vec![why]);
            }
            None => {
                claim(&mut owners, t, id);
                out.accepted.insert(id.clone(), t.clone());
            }
        }
    }
    out
}

fn held_by_another<'a>(
    t: &TenantSettings,
    id: &str,
    owners: &'a HashMap<[u8; 32], String>,
) -> Option<&'a str> {
    t.api_key_hashes
        .iter()
        .filter_map(|h| owners.get(&h.0))
        .find(|owner| owner.as_str() != id)
        .map(String::as_str)
}

fn claim(owners: &mut HashMap<[u8; 32], String>, t: &TenantSettings, id: &str) {
    for h in &t.api_key_hashes {
        owners.insert(h.0, id.to_string());
    }
}

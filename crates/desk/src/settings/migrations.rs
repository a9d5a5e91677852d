//! Older schema versions of the settings file, migrated in memory.

use toml::{Table, Value};

use super::SCHEMA_VERSION;

type Migration = fn(&mut Table) -> std::result::Result<(), String>;

/// `MIGRATIONS[v]` turns schema `v` into `v + 1`.
const MIGRATIONS: [Migration; SCHEMA_VERSION as usize] = [migrate_v0_to_v1];

pub(super) fn migrate(table: &mut Table, from: u32) -> std::result::Result<(), String> {
    for v in from..SCHEMA_VERSION {
        MIGRATIONS[v as usize](table)?;
        table.insert("schema_version".into(), Value::Integer(i64::from(v) + 1));
    }
    Ok(())
}

/// Schema 0 (the prototype, no `schema_version`): profiles were `[[providers]]` with `kind`
/// for the provider, `scope` as one space-separated string and `secret_entry` for the keyring
/// entry; `default_profile` was a top-level key.
fn migrate_v0_to_v1(t: &mut Table) -> std::result::Result<(), String> {
    if let Some(p) = t.remove("providers") {
        if t.contains_key("profiles") {
            return Err("both [[providers]] and [[profiles]] are present; keep one".into());
        }
        t.insert("profiles".into(), p);
    }
    if let Some(d) = t.remove("default_profile") {
        let prefs = t
            .entry("preferences")
            .or_insert_with(|| Value::Table(Table::new()));
        match prefs {
            Value::Table(p) => {
                p.insert("default_profile".into(), d);
            }
            _ => return Err("preferences must be a table".into()),
        }
    }
    if let Some(Value::Array(profiles)) = t.get_mut("profiles") {
        for p in profiles.iter_mut() {
            let Value::Table(p) = p else {
                return Err("each profile must be a table".into());
            };
            if let Some(k) = p.remove("kind") {
                p.insert("provider".into(), k);
            }
            if let Some(s) = p.remove("scope") {
                let Value::String(s) = s else {
                    return Err("scope must be a string".into());
                };
                let scopes = s
                    .split_whitespace()
                    .map(|x| Value::String(x.into()))
                    .collect();
                p.insert("scopes".into(), Value::Array(scopes));
            }
            if let Some(e) = p.remove("secret_entry") {
                let mut secret = Table::new();
                secret.insert("entry".into(), e);
                p.insert("secret".into(), Value::Table(secret));
            }
        }
    }
    Ok(())
}

//! The schema's migrations, embedded from `migrations/{postgres,sqlite}/NNNN_name.sql`.
//!
//! Each is applied once, in its own transaction, and recorded in `schema_migrations` with a
//! SHA-256 of its text, so a migration edited after it was applied is noticed rather than
//! silently skipped. Add a new file and a line below; never edit an applied one.

use sha2::{Digest, Sha256};

use crate::error::{Result, ServerError};

pub(crate) struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

impl Migration {
    /// SHA-256 (hex) of the text, line ends normalised (a checkout with CRLF is the same
    /// migration).
    pub fn checksum(&self) -> String {
        let text = self.sql.replace("\r\n", "\n");
        Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

pub(crate) const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("../../migrations/postgres/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "leases_and_webhooks",
        sql: include_str!("../../migrations/postgres/0002_leases_and_webhooks.sql"),
    },
];

pub(crate) const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("../../migrations/sqlite/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "leases_and_webhooks",
        sql: include_str!("../../migrations/sqlite/0002_leases_and_webhooks.sql"),
    },
];

/// `schema_migrations` in both backends (PostgreSQL and SQLite read these types alike).
pub(crate) const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version       INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL,
    checksum      TEXT    NOT NULL,
    applied_at_ms BIGINT  NOT NULL
)";

/// What the database holds compared with what this server carries.
pub(crate) fn compare(known: &[Migration], applied: &[(u32, String)]) -> Result<()> {
    let latest = known.last().map_or(0, |m| m.version);
    let current = applied.iter().map(|(v, _)| *v).max().unwrap_or(0);
    if current > latest {
        return Err(ServerError::SchemaNewer {
            current,
            known: latest,
        });
    }
    for m in known {
        match applied.iter().find(|(v, _)| *v == m.version) {
            None => {
                return Err(ServerError::SchemaOutdated {
                    current,
                    needed: latest,
                });
            }
            Some((_, sum)) if *sum != m.checksum() => {
                return Err(ServerError::MigrationChanged {
                    version: m.version,
                    name: m.name.into(),
                });
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Before applying anything: a database migrated by a newer server is left alone.
pub(crate) fn refuse_newer(known: &[Migration], applied: &[(u32, String)]) -> Result<()> {
    let latest = known.last().map_or(0, |m| m.version);
    match applied.iter().map(|(v, _)| *v).max() {
        Some(current) if current > latest => Err(ServerError::SchemaNewer {
            current,
            known: latest,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_ascend_from_one_and_both_backends_have_the_same() {
        for list in [POSTGRES, SQLITE] {
            for (i, m) in list.iter().enumerate() {
                assert_eq!(m.version as usize, i + 1);
            }
        }
        let names = |l: &[Migration]| l.iter().map(|m| (m.version, m.name)).collect::<Vec<_>>();
        assert_eq!(names(POSTGRES), names(SQLITE));
    }

    #[test]
    fn comparing_names_what_is_wrong() {
        let m = &POSTGRES[..1];
        let sum = m[0].checksum();
        assert!(compare(m, &[(1, sum.clone())]).is_ok());
        assert!(matches!(
            compare(m, &[]),
            Err(ServerError::SchemaOutdated {
                current: 0,
                needed: 1
            })
        ));
        assert!(matches!(
            compare(m, &[(1, "other".into())]),
            Err(ServerError::MigrationChanged { version: 1, .. })
        ));
        assert!(matches!(
            compare(m, &[(1, sum.clone()), (2, "x".into())]),
            Err(ServerError::SchemaNewer {
                current: 2,
                known: 1
            })
        ));
        assert!(refuse_newer(m, &[(1, sum)]).is_ok());
    }

    #[test]
    fn line_ends_do_not_change_the_checksum() {
        let lf = Migration {
            version: 1,
            name: "x",
            sql: "a\nb\n",
        };
        let crlf = Migration {
            version: 1,
            name: "x",
            sql: "a\r\nb\r\n",
        };
        assert_eq!(lf.checksum(), crlf.checksum());
    }
}

//! Verifying the hash chain.

use std::collections::HashMap;
use std::fmt;

use rusqlite::Connection;
use rusqlite::types::Value;
use serde::Serialize;

use crate::record::{COLUMNS, GENESIS_HASH, PREV_HASH, canonical_hash};

/// What is wrong with a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProblemKind {
    /// The record's fields no longer match its stored hash: a value was changed.
    ContentAltered,
    /// The record's `prev_hash` does not match the previous record's `hash`
    /// (a record was replaced, re-hashed or inserted).
    LinkBroken,
    /// Records `from_seq..=through_seq` are gone and no retention purge accounts for them.
    RecordMissing {
        /// First missing seq.
        from_seq: u64,
        /// Last missing seq.
        through_seq: u64,
    },
    /// The last record does not match the head the log recorded at its last append
    /// (records were added or rewritten outside CIBA Desk).
    HeadMismatch,
}

/// The first broken record found by [`AuditLog::verify_chain`](crate::AuditLog::verify_chain).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainProblem {
    /// The record at fault (for missing records: the first missing seq).
    pub seq: u64,
    /// What is wrong.
    #[serde(flatten)]
    pub kind: ProblemKind,
}

impl fmt::Display for ChainProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ProblemKind::ContentAltered => write!(
                f,
                "record {} was altered: its fields do not match its hash",
                self.seq
            ),
            ProblemKind::LinkBroken => write!(
                f,
                "record {} does not link to the record before it: a record was replaced or inserted",
                self.seq
            ),
            ProblemKind::RecordMissing {
                from_seq,
                through_seq,
            } if from_seq == through_seq => write!(f, "record {from_seq} is missing"),
            ProblemKind::RecordMissing {
                from_seq,
                through_seq,
            } => write!(f, "records {from_seq} to {through_seq} are missing"),
            ProblemKind::HeadMismatch => write!(
                f,
                "record {} is not the last record CIBA Desk wrote: records were added or \
                 rewritten outside the app",
                self.seq
            ),
        }
    }
}

/// The result of verifying the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    /// How many records were read.
    pub records: u64,
    /// The first record's seq (above 1 after a retention purge).
    pub first_seq: Option<u64>,
    /// The last record's seq.
    pub last_seq: Option<u64>,
    /// The last record's hash: publish it to anchor the log outside this file.
    pub head_hash: Option<String>,
    /// The first problem found, if any.
    pub problem: Option<ChainProblem>,
}

impl ChainReport {
    /// Whether the whole chain verified.
    pub fn is_intact(&self) -> bool {
        self.problem.is_none()
    }
}

/// The head recorded in `audit_meta` at the last append: (seq, hash).
pub(crate) fn read_head(conn: &Connection) -> rusqlite::Result<(u64, String)> {
    let seq: Option<i64> = conn
        .query_row(
            "SELECT value FROM audit_meta WHERE key = 'head_seq'",
            [],
            |r| r.get(0),
        )
        .or_else(none_if_no_rows)?;
    let hash: Option<String> = conn
        .query_row(
            "SELECT value FROM audit_meta WHERE key = 'head_hash'",
            [],
            |r| r.get(0),
        )
        .or_else(none_if_no_rows)?;
    Ok((
        seq.unwrap_or(0).max(0) as u64,
        hash.unwrap_or_else(|| GENESIS_HASH.to_string()),
    ))
}

fn none_if_no_rows<T>(e: rusqlite::Error) -> rusqlite::Result<Option<T>> {
    match e {
        rusqlite::Error::QueryReturnedNoRows => Ok(None),
        e => Err(e),
    }
}

fn as_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Integer(i) if *i >= 0 => Some(*i as u64),
        _ => None,
    }
}

/// Walk every record in seq order and report the first problem.
///
/// Rules:
/// * each record's stored `hash` must equal the hash of its stored values;
/// * seqs are consecutive and each `prev_hash` is the previous record's `hash`;
/// * the first record is seq 1 with the genesis `prev_hash`, or, after a purge, some
///   intact `retention_purge` record says it deleted everything up to `first_seq - 1`
///   and that the last deleted record's hash was the first record's `prev_hash`;
/// * the last record is the head recorded at the last append.
pub(crate) fn verify(conn: &Connection) -> rusqlite::Result<ChainReport> {
    let sql = format!(
        "SELECT {}, hash FROM audit_records ORDER BY seq",
        COLUMNS.join(", ")
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([])?;

    let mut records = 0u64;
    let mut first: Option<(u64, Value)> = None; // (seq, prev_hash)
    let mut prev: Option<(u64, Value)> = None; // (seq, stored hash)
    let mut problem: Option<ChainProblem> = None;
    // through_seq -> anchor_hash, from intact purge records.
    let mut purges: HashMap<u64, String> = HashMap::new();

    while let Some(row) = rows.next()? {
        let mut values: Vec<Value> = Vec::with_capacity(COLUMNS.len());
        for i in 0..COLUMNS.len() {
            values.push(row.get(i)?);
        }
        let stored_hash: Value = row.get(COLUMNS.len())?;
        let seq = as_u64(&values[0]).unwrap_or(0);
        records += 1;

        let intact = Value::Text(canonical_hash(&values)) == stored_hash;
        if intact && let (Some(through), Value::Text(anchor)) = (as_u64(&values[17]), &values[19]) {
            purges.insert(through, anchor.clone());
        }

        if problem.is_none() {
            let found = match &prev {
                Some((prev_seq, _)) if seq != prev_seq + 1 => Some(ChainProblem {
                    seq: prev_seq + 1,
                    kind: ProblemKind::RecordMissing {
                        from_seq: prev_seq + 1,
                        through_seq: seq.saturating_sub(1),
                    },
                }),
                _ if !intact => Some(ChainProblem {
                    seq,
                    kind: ProblemKind::ContentAltered,
                }),
                Some((_, prev_hash)) if *prev_hash != values[PREV_HASH] => Some(ChainProblem {
                    seq,
                    kind: ProblemKind::LinkBroken,
                }),
                _ => None,
            };
            problem = found;
        }
        if first.is_none() {
            first = Some((seq, values[PREV_HASH].clone()));
        }
        prev = Some((seq, stored_hash));
    }
    drop(rows);
    drop(stmt);

    // The start of the chain comes before anything found further on.
    if let Some((first_seq, first_prev)) = &first {
        let start_problem = if *first_seq == 1 {
            (*first_prev != Value::Text(GENESIS_HASH.into())).then_some(ChainProblem {
                seq: 1,
                kind: ProblemKind::LinkBroken,
            })
        } else {
            match purges.get(&(first_seq - 1)) {
                Some(anchor) if Value::Text(anchor.clone()) == *first_prev => None,
                Some(_) => Some(ChainProblem {
                    seq: *first_seq,
                    kind: ProblemKind::LinkBroken,
                }),
                None => {
                    let from = purges
                        .keys()
                        .filter(|t| **t < first_seq - 1)
                        .max()
                        .map_or(1, |t| t + 1);
                    Some(ChainProblem {
                        seq: from,
                        kind: ProblemKind::RecordMissing {
                            from_seq: from,
                            through_seq: first_seq - 1,
                        },
                    })
                }
            }
        };
        if start_problem.is_some() {
            problem = start_problem;
        }
    }

    // The end of the chain must be the head recorded at the last append.
    let (head_seq, head_hash) = read_head(conn)?;
    let last_seq = prev.as_ref().map(|(s, _)| *s);
    let last_hash = prev.as_ref().and_then(|(_, h)| match h {
        Value::Text(t) => Some(t.clone()),
        _ => None,
    });
    if problem.is_none() {
        let last = last_seq.unwrap_or(0);
        if head_seq > last {
            problem = Some(ChainProblem {
                seq: last + 1,
                kind: ProblemKind::RecordMissing {
                    from_seq: last + 1,
                    through_seq: head_seq,
                },
            });
        } else if head_seq < last || (last > 0 && last_hash.as_deref() != Some(head_hash.as_str()))
        {
            problem = Some(ChainProblem {
                seq: last,
                kind: ProblemKind::HeadMismatch,
            });
        }
    }

    Ok(ChainReport {
        records,
        first_seq: first.map(|(s, _)| s),
        last_seq,
        head_hash: last_hash,
        problem,
    })
}

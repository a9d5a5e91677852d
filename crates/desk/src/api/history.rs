//! History: what the audit log holds, newest first, and whether its chain verifies.

use std::collections::HashSet;

use audit::ProblemKind;

use super::App;
use super::views::{AuditStatus, HistoryEntry};
use crate::error::Result;

impl App {
    /// The newest verifications in the audit log, with this run's result cards where known.
    ///
    /// A verification has two records, `requested` before anything was sent and its final
    /// one: History shows the final one. A `requested` record nothing finished is shown as
    /// interrupted, unless this app is still running it (its tab shows it).
    pub async fn history(&self, limit: usize) -> Result<Vec<HistoryEntry>> {
        let trail = self.audit_trail().await?;
        // Retention and completed `requested` records are skipped: read more than asked for.
        let records = trail
            .recent(limit.saturating_mul(2).saturating_add(8))
            .await?;
        let finished: HashSet<u64> = records.iter().filter_map(|r| r.request_seq).collect();
        let running = self.desk.running_requests();
        Ok(records
            .iter()
            .filter(|r| {
                r.outcome != audit::Outcome::Requested
                    || !(finished.contains(&r.seq) || running.contains(&r.seq))
            })
            .filter_map(|r| HistoryEntry::from_record(r, self.result(r.seq)))
            .take(limit)
            .collect())
    }

    /// Whether the audit log's chain verifies, for History's header.
    pub async fn audit_status(&self) -> Result<AuditStatus> {
        let trail = self.audit_trail().await?;
        let report = trail.verify_chain().await?;
        Ok(AuditStatus {
            path: trail.path().display().to_string(),
            records: report.records,
            intact: report.is_intact(),
            problem: report.problem.as_ref().map(ToString::to_string),
            problem_code: report.problem.as_ref().map(|p| {
                match p.kind {
                    ProblemKind::ContentAltered => "content_altered",
                    ProblemKind::LinkBroken => "link_broken",
                    ProblemKind::RecordMissing { .. } => "record_missing",
                    ProblemKind::HeadMismatch => "head_mismatch",
                }
                .to_owned()
            }),
            problem_seq: report.problem.as_ref().map(|p| p.seq),
            keyed: trail.keyed(),
            retention_days: trail.retention_days(),
        })
    }
}

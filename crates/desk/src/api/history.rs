//! History: what the audit log holds, newest first, and whether its chain verifies.

use audit::ProblemKind;

use super::App;
use super::views::{AuditStatus, HistoryEntry};
use crate::error::Result;

impl App {
    /// The newest verifications in the audit log, with this run's result cards where known.
    pub async fn history(&self, limit: usize) -> Result<Vec<HistoryEntry>> {
        let trail = self.audit_trail().await?;
        // Retention records are skipped, so read a few more than asked for.
        let records = trail.recent(limit.saturating_add(8)).await?;
        Ok(records
            .iter()
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

//! History: what the audit log holds, newest first, and whether its chain verifies.

use audit::ProblemKind;

use super::App;
use super::views::{AuditStatus, HistoryEntry, HistoryPage, HistoryQuery};
use crate::error::Result;

/// Records read per step while filling a page.
const BATCH: usize = 200;
/// How far back one page looks for matches before it says there may be more.
const MAX_SCAN: usize = 20_000;

impl App {
    /// One page of History: newest first by start time, only entries matching the search.
    ///
    /// A verification has two records, `requested` before anything was sent and its final
    /// one: History shows the final one. A `requested` record nothing finished is shown as
    /// interrupted, unless this app is still running it (its tab shows it).
    pub async fn history_page(&self, q: &HistoryQuery) -> Result<HistoryPage> {
        if self.org.is_on() {
            return self.org.history(q).await;
        }
        let trail = self.audit_trail().await?;
        let running = self.desk.running_requests();
        let needle = q.search.trim().to_lowercase();
        let mut entries = vec![];
        let mut before = q.before;
        let mut scanned = 0;
        let mut exhausted = false;
        while entries.len() <= q.limit && scanned < MAX_SCAN {
            let batch = trail.recent_before(before, BATCH).await?;
            if batch.len() < BATCH {
                exhausted = true;
            }
            scanned += batch.len();
            // Final records may sit on an earlier page: ask the log, not this batch.
            let oldest = batch.last().map_or(0, |r| r.seq);
            let finished = trail.finished_requests(oldest).await?;
            for r in &batch {
                let shown = r.outcome != audit::Outcome::Requested
                    || !(finished.contains(&r.seq) || running.contains(&r.seq));
                if !shown {
                    continue;
                }
                if let Some(e) = HistoryEntry::from_record(r, self.result(r.seq))
                    && (needle.is_empty() || e.matches(&needle))
                {
                    entries.push(e);
                }
            }
            match batch.last() {
                Some(last) if !exhausted => before = Some(last.seq),
                _ => break,
            }
        }
        let more = entries.len() > q.limit || (!exhausted && scanned >= MAX_SCAN);
        entries.truncate(q.limit);
        // Newest first by when each verification started, which is what the agent remembers;
        // a page's cursor stays the oldest record read.
        let next_before = entries.iter().map(|e| e.seq).min();
        entries.sort_by(|a, b| {
            b.started_at_ms
                .cmp(&a.started_at_ms)
                .then(b.seq.cmp(&a.seq))
        });
        Ok(HistoryPage {
            entries,
            next_before: if more { next_before } else { None },
        })
    }

    /// Whether the audit log's chain verifies, for History's header.
    pub async fn audit_status(&self) -> Result<AuditStatus> {
        if let Some(server) = self.organisation().server_url {
            // The server keeps the trail; its auditors check its chain.
            return Ok(AuditStatus {
                path: server.clone(),
                records: 0,
                intact: true,
                problem: None,
                problem_code: None,
                problem_seq: None,
                keyed: true,
                retention_days: None,
                server: Some(server),
            });
        }
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
            server: None,
        })
    }
}

//! CSV and JSON export.
//!
//! Values are written verbatim (no spreadsheet-formula escaping) so that every
//! record's hash can be recomputed from the export; open CSV exports in a
//! spreadsheet with formulas disabled, or import them as text.

use std::io::{self, Write};

use crate::Record;
use crate::record::COLUMNS;

/// Export file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// RFC 4180 CSV with a header row; one column per stored field.
    Csv,
    /// A JSON array of records (`purge` is an object or `null`).
    Json,
}

/// CSV header: the stored columns, in canonical order, then `hash`. Derived from
/// [`COLUMNS`], so the export can never disagree with what is hashed.
pub const CSV_HEADER: [&str; COLUMNS.len() + 1] = {
    let mut header = [""; COLUMNS.len() + 1];
    let mut i = 0;
    while i < COLUMNS.len() {
        header[i] = COLUMNS[i];
        i += 1;
    }
    header[COLUMNS.len()] = "hash";
    header
};

pub(crate) struct Writer<W: Write> {
    format: ExportFormat,
    out: io::BufWriter<W>,
    count: u64,
}

impl<W: Write> Writer<W> {
    pub(crate) fn new(format: ExportFormat, out: W) -> io::Result<Self> {
        let mut out = io::BufWriter::new(out);
        match format {
            ExportFormat::Csv => write_csv_row(&mut out, CSV_HEADER.iter().map(|s| Some(*s)))?,
            ExportFormat::Json => out.write_all(b"[")?,
        }
        Ok(Self {
            format,
            out,
            count: 0,
        })
    }

    pub(crate) fn write(&mut self, r: &Record) -> io::Result<()> {
        match self.format {
            ExportFormat::Csv => {
                let num = |n: Option<u64>| n.map(|n| n.to_string());
                let purge = r.purge.as_ref();
                let cells: [Option<String>; 23] = [
                    Some(r.seq.to_string()),
                    Some(r.time.clone()),
                    Some(r.os_user.clone()),
                    Some(r.workstation.clone()),
                    Some(r.profile.clone()),
                    Some(r.issuer.clone()),
                    Some(r.identifier_kind.clone()),
                    Some(r.identifier_masked.clone()),
                    Some(r.id_hash.clone()),
                    r.subject_name.clone(),
                    Some(r.binding_message.clone()),
                    Some(r.outcome.as_str().to_string()),
                    r.acr.clone(),
                    r.transaction_id.clone(),
                    r.error_code.clone(),
                    num(r.duration_ms),
                    num(purge.map(|p| p.from_seq)),
                    num(purge.map(|p| p.through_seq)),
                    num(purge.map(|p| p.count)),
                    purge.map(|p| p.anchor_hash.clone()),
                    purge.map(|p| p.before.clone()),
                    Some(r.prev_hash.clone()),
                    Some(r.hash.clone()),
                ];
                write_csv_row(&mut self.out, cells.iter().map(|c| c.as_deref()))?;
            }
            ExportFormat::Json => {
                if self.count > 0 {
                    self.out.write_all(b",")?;
                }
                self.out.write_all(b"\n")?;
                serde_json::to_writer(&mut self.out, r)?;
            }
        }
        self.count += 1;
        Ok(())
    }

    pub(crate) fn finish(mut self) -> io::Result<u64> {
        if self.format == ExportFormat::Json {
            self.out.write_all(b"\n]\n")?;
        }
        self.out.flush()?;
        Ok(self.count)
    }
}

fn write_csv_row<'a>(
    out: &mut impl Write,
    cells: impl Iterator<Item = Option<&'a str>>,
) -> io::Result<()> {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        let cell = cell.unwrap_or("");
        if cell.contains([',', '"', '\n', '\r']) {
            out.write_all(b"\"")?;
            out.write_all(cell.replace('"', "\"\"").as_bytes())?;
            out.write_all(b"\"")?;
        } else {
            out.write_all(cell.as_bytes())?;
        }
    }
    out.write_all(b"\r\n")
}

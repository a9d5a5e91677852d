//! CSV and JSON export.
//!
//! Values are written verbatim (no spreadsheet-formula escaping) so that every
//! record's hash can be recomputed from the export; open CSV exports in a
//! spreadsheet with formulas disabled, or import them as text.

use std::io::{self, Write};

use rusqlite::types::Value;

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
                let cells: Vec<Option<String>> = r
                    .values()
                    .into_iter()
                    .map(|v| match v {
                        Value::Null => None,
                        Value::Integer(i) => Some(i.to_string()),
                        Value::Real(f) => Some(f.to_string()),
                        Value::Text(t) => Some(t),
                        Value::Blob(_) => None,
                    })
                    .chain([Some(r.hash.clone())])
                    .collect();
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

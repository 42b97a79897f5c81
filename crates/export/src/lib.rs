//! Readable PDF exports (a case chronology, a subject access export) from a small document model.
//!
//! The crate knows nothing about cases: callers describe what a person should read as a
//! [`Document`] of [`Block`]s, and [`to_pdf`] lays it out on A4. Keeping the model this small
//! means every export looks the same, and the clinical crates never depend on a PDF library.
//!
//! Text is drawn with the PDF standard fonts Helvetica and Helvetica-Bold, which every viewer has,
//! so nothing is embedded and the text stays extractable (copy, search, `pdftotext`, screen
//! readers). Those fonts only cover the Windows-1252 character set: typographic punctuation
//! (‘ ’ “ ” – — … •) and Latin-1 letters come out as written, a few look-alikes are folded
//! (other dashes to `-`, odd spaces to a space), and any other character is printed as `?`
//! rather than making the export fail. The output is deterministic (no timestamps are added), so
//! the same document always gives the same bytes; put the export time in
//! [`Document::generated`].

mod layout;
mod pdf;
mod text;
mod widths;

use serde::{Deserialize, Serialize};

/// Everything one exported PDF shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// Printed large on the first page, small at the top of the others, and stored as the PDF
    /// title so a file list or viewer tab shows it.
    pub title: String,
    pub subtitle: Option<String>,
    /// Who exported it, when and where, e.g. "Exported 24 Nov 2026 14:03 by demo.clinician on
    /// laptop X": a printed copy has to say where it came from.
    pub generated: String,
    /// Repeated at the foot of every page, because pages of a printed record get separated; e.g.
    /// "Confidential: contains personal health information".
    pub footer: String,
    pub blocks: Vec<Block>,
}

/// One piece of content, laid out top to bottom in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Block {
    /// A section heading; kept on the same page as the start of what follows it.
    Heading(String),
    /// Running text; `\n` starts a new line and a blank line is kept.
    Paragraph(String),
    /// Label/value pairs in two columns, e.g. the details at the top of a record.
    KeyValues(Vec<(String, String)>),
    /// A chronology entry: the date in a left column, then the title in bold, an optional muted
    /// byline, and the body. A long entry continues on the next page with a "(continued)" line.
    Entry {
        when: String,
        title: String,
        byline: Option<String>,
        body: String,
    },
    /// A grid with a header row, repeated at the top of each page the table runs onto. Every row
    /// must have exactly one cell per header.
    Table {
        headers: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// A horizontal line, to separate parts of the document.
    Rule,
}

/// Why an export could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(
        "table {table} (block {block}) has no columns; give it at least one header, or leave \
         the table out"
    )]
    TableWithoutColumns { block: usize, table: usize },
    #[error(
        "row {row} of table {table} (block {block}) has {found} cells but the table has \
         {expected} headers; give every row exactly one cell per header (use an empty string \
         for a blank cell)"
    )]
    TableRowShape {
        block: usize,
        table: usize,
        row: usize,
        expected: usize,
        found: usize,
    },
    #[error(
        "could not assemble the PDF ({0}); this is a fault in the exporter, not in the record: \
         please report it with the steps that led to it"
    )]
    Assemble(String),
}

/// Lays the document out on A4 portrait pages and returns the PDF file's bytes.
///
/// Fails only on a malformed table (the caller's mistake, reported with its position) or an
/// internal fault; unusual text never fails an export (see the crate documentation).
pub fn to_pdf(doc: &Document) -> Result<Vec<u8>, ExportError> {
    validate(doc)?;
    let pages = layout::lay_out(doc);
    pdf::write(doc, &pages)
}

/// Catches table shape mistakes before layout, so the error can name the table and row instead
/// of producing a PDF with cells silently dropped.
fn validate(doc: &Document) -> Result<(), ExportError> {
    let mut table = 0;
    for (block_index, block) in doc.blocks.iter().enumerate() {
        if let Block::Table { headers, rows } = block {
            table += 1;
            let block = block_index + 1;
            if headers.is_empty() {
                return Err(ExportError::TableWithoutColumns { block, table });
            }
            if let Some((row, cells)) = rows
                .iter()
                .enumerate()
                .find(|(_, cells)| cells.len() != headers.len())
            {
                return Err(ExportError::TableRowShape {
                    block,
                    table,
                    row: row + 1,
                    expected: headers.len(),
                    found: cells.len(),
                });
            }
        }
    }
    Ok(())
}

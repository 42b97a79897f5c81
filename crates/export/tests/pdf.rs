//! End-to-end: a large fictional chronology goes in, a PDF a person (and `pdftotext`) can read
//! comes out.

use std::path::Path;
use std::process::Command;

use casebook_export::{to_pdf, Block, Document, ExportError};

const TITLE: &str = "Case chronology: Testfamily-Export";
const FOOTER: &str = "Confidential: contains personal health information";
const ENTRIES: usize = 200;
const PDFTOTEXT: &str = "/usr/bin/pdftotext";

fn chronology() -> Document {
    let mut blocks = vec![
        Block::KeyValues(vec![
            ("Family".into(), "Testfamily-Export (fictional)".into()),
            (
                "Referral".into(),
                "3 Feb 2026 \u{2013} self-referral".into(),
            ),
            (
                "Note".into(),
                "Every name and event in this document is made up for a test.".into(),
            ),
        ]),
        Block::Rule,
        Block::Heading("Chronology".into()),
    ];
    for n in 1..=ENTRIES {
        let body = if n % 10 == 0 {
            // A long paragraph with typographic punctuation, a blank line and a word longer
            // than any column.
            format!(
                "{}\n\nThe parent said \u{201C}it\u{2019}s getting easier\u{201D} \u{2014} \
                 fictional quote {n}\u{2026} \u{2022} follow-up booked. Reference \
                 {}",
                "Fictional note text describing a made-up home visit, written long enough to \
                 wrap across several lines of the page. "
                    .repeat(6),
                "X".repeat(120)
            )
        } else {
            format!("Fictional note {n}: a short made-up observation.")
        };
        blocks.push(Block::Entry {
            when: format!("{} Mar 2026 10:{:02}", 1 + n % 28, n % 60),
            title: format!("Fictional note {n}"),
            byline: Some(format!("demo.clinician \u{2013} home visit {n}")),
            body,
        });
    }
    blocks.push(Block::Heading("Appointments".into()));
    blocks.push(Block::Table {
        headers: vec!["Date".into(), "Type".into(), "Outcome".into()],
        rows: (1..=30)
            .map(|i| {
                vec![
                    format!("{i} Apr 2026"),
                    "Home visit".into(),
                    format!("Fictional outcome {i}, attended"),
                ]
            })
            .collect(),
    });
    Document {
        title: TITLE.into(),
        subtitle: Some("Subject access export \u{2013} test data only".into()),
        generated: "Exported 24 Nov 2026 14:03 by demo.clinician on laptop X".into(),
        footer: FOOTER.into(),
        blocks,
    }
}

/// Counts page objects in the raw file. Page dictionaries are not compressed, so each page has
/// one `/Type /Page` entry (whitespace optional), told apart from the `/Type /Pages` tree root.
fn raw_page_count(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.match_indices("/Type")
        .filter(|(at, _)| {
            let rest = text[at + "/Type".len()..].trim_start();
            rest.starts_with("/Page") && !rest.starts_with("/Pages")
        })
        .count()
}

#[test]
fn a_long_chronology_becomes_a_readable_multi_page_pdf() {
    let doc = chronology();
    let pdf = to_pdf(&doc).expect("export");
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF header");
    assert!(
        pdf.windows(5).any(|w| w == b"%%EOF"),
        "no end-of-file marker"
    );
    let pages = raw_page_count(&pdf);
    assert!(pages > 1, "expected several pages, got {pages}");

    if !Path::new(PDFTOTEXT).exists() {
        println!(
            "{PDFTOTEXT} is not installed (Debian package poppler-utils), so the text could not \
             be extracted; checked the raw PDF structure instead: {pages} pages"
        );
        return;
    }

    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("chronology.pdf");
    std::fs::write(&file, &pdf).expect("write pdf");
    let output = Command::new(PDFTOTEXT)
        .arg("-enc")
        .arg("UTF-8")
        .arg(&file)
        .arg("-")
        .output()
        .expect("run pdftotext");
    assert!(
        output.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("pdftotext gives UTF-8");
    // pdftotext separates pages with a form feed.
    let page_texts: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert_eq!(page_texts.len(), pages, "pdftotext page count");

    assert!(text.contains(TITLE), "title missing");
    assert!(text.contains(FOOTER), "footer missing");
    assert!(text.contains(&format!("Page 1 of {pages}")));
    assert!(text.contains(&format!("Page {pages} of {pages}")));
    for (i, page) in page_texts.iter().enumerate() {
        assert!(page.contains(FOOTER), "footer missing on page {}", i + 1);
        assert!(
            page.contains(&format!("Page {} of {pages}", i + 1)),
            "page number missing on page {}",
            i + 1
        );
    }

    // The last entry is on one of the last pages, and wrapped text is intact.
    let last_entry = format!("Fictional note {ENTRIES}");
    let tail = page_texts[page_texts.len().saturating_sub(2)..].join("\n");
    assert!(tail.contains(&last_entry), "last entry not near the end");
    assert!(text.contains("Fictional outcome 30, attended"));
    // Typographic punctuation survives as itself.
    assert!(text.contains(
        "\u{201C}it\u{2019}s getting easier\u{201D} \u{2014} fictional quote 200\u{2026}"
    ));
    assert!(text.contains("demo.clinician \u{2013} home visit 7"));
}

#[test]
fn characters_the_fonts_lack_become_question_marks_not_errors() {
    let doc = Document {
        title: "Testfamily-Export \u{65E5}\u{672C}".into(),
        subtitle: None,
        generated: String::new(),
        footer: "Fictional footer".into(),
        blocks: vec![Block::Paragraph(
            "Emoji \u{1F600} and Greek \u{03B1}".into(),
        )],
    };
    let pdf = to_pdf(&doc).expect("unusual text never fails an export");
    assert_eq!(raw_page_count(&pdf), 1);
    if Path::new(PDFTOTEXT).exists() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("odd.pdf");
        std::fs::write(&file, &pdf).expect("write pdf");
        let output = Command::new(PDFTOTEXT)
            .args(["-enc", "UTF-8"])
            .arg(&file)
            .arg("-")
            .output()
            .expect("run pdftotext");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.contains("Testfamily-Export ??"), "{text}");
        assert!(text.contains("Emoji ? and Greek ?"), "{text}");
    } else {
        println!("{PDFTOTEXT} is not installed; checked only that the export succeeded");
    }
}

#[test]
fn same_document_gives_the_same_bytes() {
    let doc = chronology();
    assert_eq!(to_pdf(&doc).expect("first"), to_pdf(&doc).expect("second"));
}

#[test]
fn a_ragged_table_is_refused_with_its_position() {
    let doc = Document {
        title: "T".into(),
        subtitle: None,
        generated: String::new(),
        footer: String::new(),
        blocks: vec![
            Block::Paragraph("intro".into()),
            Block::Table {
                headers: vec!["A".into(), "B".into()],
                rows: vec![vec!["1".into(), "2".into()], vec!["only one".into()]],
            },
        ],
    };
    let err = to_pdf(&doc).expect_err("ragged row");
    assert!(matches!(
        err,
        ExportError::TableRowShape {
            block: 2,
            table: 1,
            row: 2,
            expected: 2,
            found: 1
        }
    ));
    assert!(err.to_string().contains("one cell per header"));

    let doc = Document {
        blocks: vec![Block::Table {
            headers: vec![],
            rows: vec![],
        }],
        ..doc
    };
    assert!(matches!(
        to_pdf(&doc),
        Err(ExportError::TableWithoutColumns { block: 1, table: 1 })
    ));
}

#[test]
fn the_model_round_trips_through_json() {
    let doc = chronology();
    let json = serde_json::to_string(&doc).expect("serialise");
    let back: Document = serde_json::from_str(&json).expect("deserialise");
    assert_eq!(back, doc);
}

#[test]
fn an_empty_document_still_has_one_page_with_a_footer() {
    let doc = Document {
        title: "Empty".into(),
        subtitle: None,
        generated: String::new(),
        footer: "Fictional footer".into(),
        blocks: vec![],
    };
    let pdf = to_pdf(&doc).expect("export");
    assert_eq!(raw_page_count(&pdf), 1);
}

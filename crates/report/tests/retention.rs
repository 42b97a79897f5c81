//! A subject access export says, for each case, how long the record is kept and under which
//! rules, in the JSON and in the document. All data is fictional.

use casebook_domain::testing::Laptop;
use casebook_domain::*;
use casebook_export::{to_pdf, Block};
use casebook_report::{subject_access, RETENTION_NOTE};
use chrono::{DateTime, NaiveDate, Utc};
use std::path::Path;
use std::process::Command;
use uuid::Uuid;

const T0: u64 = 1_795_514_400_000; // 2026-11-24 10:00 UTC
const PARENT: &str = "Robin Fictional";

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn case(due_date: Option<&str>, infant: Option<&str>, discharged: Option<&str>) -> (CaseState, Vec<Event>) {
    let id = Uuid::now_v7();
    let mut clin = Laptop::new("clin.one");
    let mut bodies = vec![EventBody::CaseOpened(CaseOpened {
        family_name: "Testfamily-Retention".into(),
        parent: Some(Person { name: PARENT.into() }),
        due_date: due_date.map(d),
        infant: infant.map(|dob| Infant { name: Some("Sam Fictional".into()), date_of_birth: d(dob) }),
        to_team_inbox: false,
    })];
    if let Some(on) = discharged {
        bodies.push(EventBody::CaseDischarged(CaseDischarged {
            on: d(on),
            reason: DischargeReason::GoalsMet,
            summary: "Fictional: goals met.".into(),
        }));
    }
    let events: Vec<Event> = bodies.into_iter().enumerate().map(|(i, b)| clin.write_at(id, T0 + i as u64 * 60_000, b)).collect();
    (fold(id, &events), events)
}

/// The PDF's text with whitespace runs made one space, or `None` without pdftotext.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    let tool = "/usr/bin/pdftotext";
    if !Path::new(tool).exists() {
        println!("{tool} is not installed (Debian package poppler-utils); skipped reading the text back");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = Command::new(tool).args(["-enc", "UTF-8"]).arg(&file).arg("-").output().unwrap();
    assert!(out.status.success());
    Some(String::from_utf8(out.stdout).unwrap().split_whitespace().collect::<Vec<_>>().join(" "))
}

#[test]
fn the_subject_access_export_says_how_long_each_record_is_kept() {
    let born = case(None, Some("2026-10-01"), Some("2026-11-24"));
    let expected = case(Some("2027-03-01"), None, None);
    let exported_at: DateTime<Utc> = "2026-11-24T14:03:00Z".parse().unwrap();
    let (json, doc) = subject_access(PARENT, &[born.clone(), expected.clone()], "clin.one", exported_at);

    // The JSON carries each case's retention as the domain works it out, and reads back.
    for (c, (state, _)) in json["cases"].as_array().unwrap().iter().zip([&born, &expected]) {
        let back: Retention = serde_json::from_value(c["retention"].clone()).unwrap();
        assert_eq!(back, retention(state));
    }
    assert_eq!(json["cases"][0]["retention"]["keep_until"], "2051-10-01");
    assert_eq!(json["cases"][1]["retention"]["rules"][0]["provisional"], true);

    let kept: Vec<&str> = doc
        .blocks
        .windows(2)
        .filter_map(|w| match w {
            [Block::Heading(h), Block::Paragraph(p)] if h == "How long this record is kept" => Some(p.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(kept.len(), 2, "one section per case");
    assert!(kept[0].starts_with("Keep until 1 October 2051 (child's record: 25th birthday)."), "{}", kept[0]);
    assert!(kept[0].contains("Child's record (Sam Fictional, born 1 October 2026): until their 25th birthday, 1 October 2051."));
    assert!(kept[0].contains("Parent's mental health record: 20 years after the discharge (24 November 2026), 24 November 2046."));
    assert!(kept[1].contains("the due date (1 March 2027) stands in"), "{}", kept[1]);
    assert!(kept[1].contains("Provisional: the case is still open"), "{}", kept[1]);
    assert!(kept.iter().all(|k| k.ends_with(RETENTION_NOTE)), "each says a person reviews before anything is deleted");

    let pdf = to_pdf(&doc).expect("a PDF");
    if let Some(text) = pdf_text(&pdf) {
        for wanted in ["How long this record is kept", "Keep until 1 October 2051", "not deleted automatically"] {
            assert!(text.contains(wanted), "{wanted:?} is not in the PDF text");
        }
    }
}

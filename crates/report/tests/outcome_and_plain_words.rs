//! The discharge entry of a chronology lists each measure's change from baseline, and the subject
//! access document (which may be sent to a family) uses plain words, not system terms. All data
//! is fictional.

use casebook_domain::testing::{measure_recorded, Laptop};
use casebook_domain::*;
use casebook_export::{to_pdf, Block, Document};
use casebook_measures::{MeasureKind, TimePoint};
use casebook_report::{chronology, outcome_change_lines, subject_access};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;
use uuid::Uuid;

const T0: u64 = 1_795_514_400_000; // 2026-11-24 10:00 UTC
const TODAY: &str = "2026-11-24";
const PARENT: &str = "Jo Fictional";

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn exported_at() -> DateTime<Utc> {
    "2026-11-24T14:03:00Z".parse().unwrap()
}

fn measure(kind: MeasureKind, time_point: TimePoint, on: &str, items: &[u8], goals: &[(&str, u8)]) -> EventBody {
    measure_recorded(kind, time_point, d(on), items, goals)
}

/// A discharged case with EPDS 11 → 4 and one goal 2 → 7, and an addendum whose note this
/// laptop does not hold (so there is an entry that cannot be placed).
fn discharged_case() -> (CaseState, Vec<Event>) {
    let case = Uuid::now_v7();
    let mut clin = Laptop::new("clin.one");
    let bodies = vec![
        EventBody::CaseOpened(CaseOpened {
            family_name: "Testfamily-Outcome".into(),
            parent: Some(Person {
                name: PARENT.into(),
            }),
            due_date: None,
            infant: None,
            to_team_inbox: false,
        }),
        measure(
            MeasureKind::Epds,
            TimePoint::Baseline,
            "2026-11-02",
            &[2, 2, 1, 1, 1, 1, 1, 1, 1, 0],
            &[],
        ),
        measure(
            MeasureKind::Gbo,
            TimePoint::Baseline,
            "2026-11-02",
            &[],
            &[("Enjoy bath time with Sam", 2)],
        ),
        measure(
            MeasureKind::Epds,
            TimePoint::Discharge,
            "2026-11-23",
            &[0, 1, 0, 1, 0, 1, 0, 0, 1, 0],
            &[],
        ),
        measure(
            MeasureKind::Gbo,
            TimePoint::Discharge,
            "2026-11-23",
            &[],
            &[("Enjoy bath time with Sam", 7)],
        ),
        EventBody::AddendumAdded(AddendumAdded {
            addendum_id: Uuid::now_v7(),
            note_id: Uuid::now_v7(),
            reason: "Fictional correction".into(),
            text: "Fictional addendum to a note not on this laptop.".into(),
        }),
        EventBody::CaseDischarged(CaseDischarged {
            on: d(TODAY),
            reason: DischargeReason::GoalsMet,
            summary: "Fictional: goals met, family confident.".into(),
        }),
    ];
    let events: Vec<Event> = bodies
        .into_iter()
        .zip(0u64..)
        .map(|(b, i)| clin.write_at(case, T0 + i * 60_000, b))
        .collect();
    (fold(case, &events), events)
}

/// Every word the document shows, block by block.
fn shown_text(doc: &Document) -> String {
    let mut text = vec![
        doc.title.clone(),
        doc.subtitle.clone().unwrap_or_default(),
        doc.generated.clone(),
        doc.footer.clone(),
    ];
    for b in &doc.blocks {
        match b {
            Block::Heading(t) | Block::Paragraph(t) => text.push(t.clone()),
            Block::KeyValues(kv) => {
                text.extend(kv.iter().flat_map(|(k, v)| [k.clone(), v.clone()]))
            }
            Block::Entry {
                when,
                title,
                byline,
                body,
            } => text.extend([
                when.clone(),
                title.clone(),
                byline.clone().unwrap_or_default(),
                body.clone(),
            ]),
            Block::Table { headers, rows } => {
                text.extend(headers.iter().cloned());
                text.extend(rows.iter().flatten().cloned());
            }
            Block::Rule => {}
        }
    }
    text.join("\n")
}

const EPDS_LINE: &str =
    "EPDS: 11 → 4 (reliable improvement; was Possible depression, now Below the usual threshold), \
from baseline on 2 November 2026 to discharge on 23 November 2026";
const GBO_LINE: &str =
    "GBO goal 1 “Enjoy bath time with Sam”: 2 → 7 out of 10 (reliable improvement), \
from baseline on 2 November 2026 to discharge on 23 November 2026";

#[test]
fn the_discharge_entry_lists_each_outcome_change_from_baseline() {
    let (state, _) = discharged_case();
    assert_eq!(
        outcome_change_lines(&state.record.outcome_changes()),
        [EPDS_LINE, GBO_LINE]
    );

    let doc = chronology(&state, d(TODAY), "clin.one", exported_at());
    let discharge = doc
        .blocks
        .iter()
        .find_map(|b| match b {
            Block::Entry { title, body, .. } if title == "Discharged: Goals met" => {
                Some(body.clone())
            }
            _ => None,
        })
        .expect("a discharge entry");
    assert_eq!(
        discharge,
        format!("Fictional: goals met, family confident.\n\nOutcome change from baseline:\n{EPDS_LINE}\n{GBO_LINE}")
    );

    let summary: HashMap<String, String> = doc
        .blocks
        .iter()
        .find_map(|b| match b {
            Block::KeyValues(kv) => Some(kv.iter().cloned().collect()),
            _ => None,
        })
        .expect("a summary");
    assert_eq!(
        summary["Outcome change from baseline"],
        format!("{EPDS_LINE}\n{GBO_LINE}")
    );
    to_pdf(&doc).unwrap();
}

#[test]
fn a_case_not_yet_discharged_has_no_outcome_row_in_its_summary() {
    let (state, events) = discharged_case();
    let before: Vec<Event> = events
        .into_iter()
        .filter(|e| e.body.kind() != "case_discharged")
        .collect();
    let state_before = fold(state.case_id, &before);
    let doc = chronology(&state_before, d(TODAY), "clin.one", exported_at());
    assert!(!shown_text(&doc).contains("Outcome change from baseline"));
}

#[test]
fn the_subject_access_document_uses_plain_words() {
    let (state, events) = discharged_case();
    assert_eq!(state.unplaced.len(), 1, "the addendum without its note");
    let n = events.len();
    let (json, doc) = subject_access(PARENT, &[(state, events)], "clin.one", exported_at());
    let text = shown_text(&doc);
    let lower = text.to_lowercase();
    for jargon in [
        "event",
        "sync",
        "device",
        "replica",
        "central store",
        "addendum_added",
        " id",
    ] {
        assert!(
            !lower.contains(jargon),
            "the document shows {jargon:?}:\n{text}"
        );
    }
    let details: HashMap<String, String> = doc
        .blocks
        .iter()
        .find_map(|b| match b {
            Block::KeyValues(kv) => Some(kv.iter().cloned().collect()),
            _ => None,
        })
        .unwrap();
    assert_eq!(details["Entries"], n.to_string());
    assert!(
        text.contains(&format!("{n} entries held on this laptop")),
        "{text}"
    );
    assert!(text.contains("Addendum added"), "{text}");
    assert!(
        text.contains("a note this laptop does not have yet"),
        "{text}"
    );
    assert!(text.contains(EPDS_LINE));
    // The file for a machine keeps its names: it is read back by software, not by the family.
    assert_eq!(json["cases"][0]["events"].as_array().unwrap().len(), n);
    to_pdf(&doc).unwrap();
}

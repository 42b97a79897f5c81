//! A fictional family recorded under NHS test and placeholder numbers: wherever an export prints
//! the number, it says beside it that it is not a real patient's.

use casebook_domain::nhs_number::{REPEATED_DIGIT_WARNING, TEST_RANGE_WARNING};
use casebook_domain::testing::Laptop;
use casebook_domain::*;
use casebook_export::Block;
use casebook_report::{chronology, subject_access};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

const T0: u64 = 1_795_514_400_000; // 2026-11-24 10:00 UTC

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn person(name: &str, role: PersonRole, nhs: &str) -> EventBody {
    EventBody::PersonRecorded(PersonRecorded {
        date_of_birth: Some(d("2026-06-01")),
        nhs_number: Some(nhs.parse().unwrap()),
        ..casebook_domain::testing::person_recorded(role, name)
    })
}

/// Every piece of text in a document, one string.
fn text(doc: &casebook_export::Document) -> String {
    let mut all = String::new();
    for b in &doc.blocks {
        match b {
            Block::KeyValues(kv) => kv.iter().for_each(|(k, v)| all.push_str(&format!("{k}: {v}\n"))),
            Block::Entry { title, body, .. } => all.push_str(&format!("{title}\n{body}\n")),
            Block::Heading(t) | Block::Paragraph(t) => all.push_str(&format!("{t}\n")),
            _ => {}
        }
    }
    all
}

#[test]
fn test_and_placeholder_nhs_numbers_are_marked_in_the_chronology_and_subject_access_export() {
    let case = Uuid::now_v7();
    let mut lap = Laptop::new("clin.one");
    let events = vec![
        lap.write_at(case, T0, EventBody::CaseOpened(CaseOpened { family_name: "Testfamily-Numbers".into(), parent: None, due_date: None, infant: None, to_team_inbox: false })),
        lap.write_at(case, T0 + 60_000, person("Alex Fictional", PersonRole::ParentOrCarer, "999 000 0018")),
        lap.write_at(case, T0 + 120_000, person("Sam Fictional", PersonRole::Infant, "0000000000")),
        lap.write_at(case, T0 + 180_000, person("Jo Fictional", PersonRole::ParentOrCarer, "943 476 5919")),
    ];
    let state = fold(case, &events);
    let exported_at: DateTime<Utc> = "2026-11-24T14:03:00Z".parse().unwrap();

    let doc = chronology(&state, d("2026-11-24"), "clin.one", exported_at);
    let all = text(&doc);
    // In the summary, beside each number.
    assert!(all.contains(&format!("NHS number 999 000 0018 ({TEST_RANGE_WARNING})")), "{all}");
    assert!(all.contains(&format!("NHS number 000 000 0000 ({REPEATED_DIGIT_WARNING})")), "{all}");
    // In the entry that recorded the person.
    assert!(all.contains(&format!("NHS number: 999 000 0018 ({TEST_RANGE_WARNING})")), "{all}");
    // An ordinary number is printed plain.
    assert!(all.contains("NHS number 943 476 5919"), "{all}");
    assert!(!all.contains("943 476 5919 ("), "{all}");

    let (json, sar) = subject_access("Alex Fictional", &[(state, events)], "clin.one", exported_at);
    let sar_text = text(&sar);
    assert!(sar_text.contains(&format!("NHS number 999 000 0018 ({TEST_RANGE_WARNING})")), "{sar_text}");
    let warnings = json["cases"][0]["nhs_number_warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert_eq!(warnings[0]["nhs_number"], "9990000018");
    assert_eq!(warnings[0]["person"], "Alex Fictional");
    assert_eq!(warnings[0]["warning"], TEST_RANGE_WARNING);
    assert_eq!(warnings[1]["warning"], REPEATED_DIGIT_WARNING);
    casebook_export::to_pdf(&sar).unwrap();
}

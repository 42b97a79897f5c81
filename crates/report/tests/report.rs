//! A clearly fictional case with events of every kind goes in; a chronology and a subject access
//! export come out, and (when `pdftotext` is installed) the PDF's text is read back.

use casebook_domain::testing::Laptop;
use casebook_domain::*;
use casebook_export::{to_pdf, Block};
use casebook_measures::{Goal, MeasureKind, TimePoint};
use casebook_report::{chronology, measure_line, mentions, subject_access, FOOTER};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use uuid::Uuid;

const PDFTOTEXT: &str = "/usr/bin/pdftotext";
const T0: u64 = 1_795_514_400_000; // 2026-11-24 10:00 UTC
const TODAY: &str = "2026-11-24";
const FAMILY: &str = "Testfamily-Report";
const PARENT: &str = "Alex Fictional";
const NOTE_TEXT: &str =
    "Fictional session record: Alex and Sam played on the mat; Alex noticed Sam's cues.";
const ADDENDUM_REASON: &str = "Date of next visit corrected";

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Writing as the shared fictional laptop does, `minutes` after T0, and checking first that the
/// body is one the app would accept today.
trait WriteChecked {
    fn write(&mut self, case_id: Uuid, minutes: u64, body: EventBody) -> Event;
}

impl WriteChecked for Laptop {
    fn write(&mut self, case_id: Uuid, minutes: u64, body: EventBody) -> Event {
        body.validate(d(TODAY))
            .unwrap_or_else(|e| panic!("{} should be valid: {e}", body.kind()));
        self.write_at(case_id, T0 + minutes * 60_000, body)
    }
}

fn midwife() -> Professional {
    Professional {
        name: "Fictional Midwife".into(),
        role: ReferrerRole::Midwife,
        organisation: Some("Example Maternity Unit".into()),
        phone: None,
        email: Some("midwife@example.nhs.uk".into()),
    }
}

struct Story {
    case: Uuid,
    events: Vec<Event>,
    late_note: Uuid,
    same_day_note: Uuid,
}

/// A full fictional case: referral to discharge, with every kind of event.
fn story() -> Story {
    let case = Uuid::now_v7();
    let mut duty = Laptop::new("duty.clinician");
    let mut clin = Laptop::new("clin.one");
    let mut two = Laptop::new("clin.two");
    let (referral_id, visit, later_visit, alert, cleared_alert, task) = (
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
    );
    let (late_note, same_day_note) = (Uuid::now_v7(), Uuid::now_v7());
    let (parent, baby) = (Uuid::now_v7(), Uuid::now_v7());
    let status = |status, on: &str, reason: Option<&str>| {
        EventBody::ReferralStatusChanged(ReferralStatusChanged {
            referral_id,
            status,
            on: d(on),
            reason: reason.map(String::from),
        })
    };
    let mut events = vec![
        duty.write(
            case,
            0,
            EventBody::CaseOpened(CaseOpened {
                family_name: FAMILY.into(),
                parent: Some(Person { name: PARENT.into() }),
                due_date: None,
                infant: Some(Infant { name: Some("Sam Fictional".into()), date_of_birth: d("2026-10-01") }),
                to_team_inbox: false,
            }),
        ),
        duty.write(
            case,
            1,
            EventBody::ReferralReceived(ReferralReceived {
                referral_id,
                received_on: d("2026-11-16"),
                profile_id: "wigan-babs".into(),
                referrer: midwife(),
                consent_to_refer: true,
                reasons: vec![ReferralReason::LackOfBonding, ReferralReason::BornPrematurely],
                other_reasons: None,
                gp_practice: Some("Example Surgery".into()),
                pregnant: Some(false),
                residence_confirmed: Some(true),
                eligibility: EligibilityResult::Eligible { reasons: vec!["the child is under 3 years".into()] },
                first_contact_due: Some(d("2026-11-23")),
            }),
        ),
        duty.write(case, 2, status(ReferralStatus::Acknowledged, "2026-11-17", None)),
        duty.write(
            case,
            3,
            EventBody::ConsultationRecorded(ConsultationRecorded {
                consultation_id: Uuid::now_v7(),
                on: d("2026-11-12"),
                professional: Professional { name: "Fictional Health Visitor".into(), role: ReferrerRole::HealthVisitor, organisation: None, phone: None, email: None },
                question: "Would the service see a family where the baby was born early and mum feels distant?".into(),
                outcome: ConsultationOutcome::ReferralInvited,
                advice: Some("Refer with consent.".into()),
            }),
        ),
        clin.write(
            case,
            4,
            EventBody::PersonRecorded(PersonRecorded {
                person_id: parent,
                role: PersonRole::ParentOrCarer,
                name: PARENT.into(),
                date_of_birth: Some(d("1998-03-14")),
                nhs_number: Some(NhsNumber::parse("9434765919").unwrap()),
                pronouns: Some("she/her".into()),
                language: Some("English".into()),
                interpreter_needed: false,
                gestation_at_birth: None,
                professional: None,
                based_on: vec![],
            }),
        ),
        clin.write(
            case,
            5,
            EventBody::PersonRecorded(PersonRecorded {
                person_id: baby,
                role: PersonRole::Infant,
                name: "Sam Fictional".into(),
                date_of_birth: Some(d("2026-10-01")),
                nhs_number: None,
                pronouns: None,
                language: None,
                interpreter_needed: false,
                gestation_at_birth: Some(Gestation::at_birth(34, 2).unwrap()),
                professional: None,
                based_on: vec![],
            }),
        ),
        clin.write(
            case,
            10,
            EventBody::ContactPlanned(ContactPlanned {
                contact_id: visit,
                planned_for: d("2026-11-20").and_hms_opt(10, 30, 0).unwrap(),
                contact_type: ContactType::HomeVisit,
                location: Some("Family home".into()),
            }),
        ),
        clin.write(
            case,
            11,
            EventBody::ContactPlanned(ContactPlanned {
                contact_id: later_visit,
                planned_for: d("2026-11-27").and_hms_opt(14, 0, 0).unwrap(),
                contact_type: ContactType::HubVisit,
                location: Some("Example Family Hub".into()),
            }),
        ),
        clin.write(
            case,
            20,
            EventBody::ContactRecorded(ContactRecorded {
                contact_id: visit,
                date: d("2026-11-20"),
                contact_type: ContactType::HomeVisit,
                outcome: AttendanceOutcome::Attended,
                location: Some("Family home".into()),
                started_at: None,
                duration_minutes: Some(60),
                attendees: vec!["Alex".into(), "Sam".into()],
                interventions: vec!["Video interaction guidance".into()],
            }),
        ),
        clin.write(case, 21, status(ReferralStatus::Contacted, "2026-11-20", None)),
        clin.write(
            case,
            22,
            EventBody::NoteDrafted(NoteDrafted { note_id: late_note, contact_id: Some(visit), occurred_on: d("2026-11-20") }),
        ),
        // Signed on 24 Nov about the visit on 20 Nov: a late entry.
        clin.write(
            case,
            23,
            EventBody::NoteSigned(NoteSigned { note_id: late_note, contact_id: Some(visit), occurred_on: d("2026-11-20"), text: NOTE_TEXT.into() }),
        ),
        two.write(
            case,
            40,
            EventBody::AddendumAdded(AddendumAdded {
                addendum_id: Uuid::now_v7(),
                note_id: late_note,
                reason: ADDENDUM_REASON.into(),
                text: "The next visit is on Thursday, not Friday.".into(),
            }),
        ),
        clin.write(
            case,
            24,
            EventBody::MeasureRecorded(MeasureRecorded {
                measure_id: Uuid::now_v7(),
                kind: MeasureKind::Epds,
                time_point: TimePoint::Baseline,
                administered_on: d("2026-11-20"),
                items: vec![1, 1, 1, 1, 1, 1, 0, 0, 1, 1],
                entered_as: None,
                goals: vec![],
            }),
        ),
        clin.write(
            case,
            25,
            EventBody::MeasureRecorded(MeasureRecorded {
                measure_id: Uuid::now_v7(),
                kind: MeasureKind::Gbo,
                time_point: TimePoint::Baseline,
                administered_on: d("2026-11-20"),
                items: vec![],
                entered_as: None,
                goals: vec![Goal { description: "Enjoy bath time with Sam".into(), score: 3 }],
            }),
        ),
        clin.write(
            case,
            26,
            EventBody::RiskAssessed(RiskAssessed {
                assessment_id: Uuid::now_v7(),
                on: d("2026-11-20"),
                to_self: RiskLevel::Medium,
                to_infant: RiskLevel::Low,
                from_others: RiskLevel::NoneKnown,
                safeguarding: SafeguardingStatus::NoneKnown,
                thrive: ThriveGroup::GettingRiskSupport,
                summary: "Fictional: EPDS item 10 scored 1; safety plan agreed.".into(),
                actions: Some("Crisis line given; GP informed.".into()),
                review_on: Some(d("2026-12-04")),
            }),
        ),
        clin.write(case, 27, EventBody::AlertRaised(AlertRaised { alert_id: alert, kind: AlertKind::LoneWorker, text: "Dog at the address; visit in pairs.".into() })),
        clin.write(case, 28, EventBody::AlertRaised(AlertRaised { alert_id: cleared_alert, kind: AlertKind::Other, text: "Road closed outside the house.".into() })),
        clin.write(case, 29, EventBody::AlertCleared(AlertCleared { alert_id: cleared_alert, reason: "Road reopened.".into() })),
        clin.write(case, 30, EventBody::TaskAdded(TaskAdded { task_id: task, kind: TaskKind::Letter, title: "Letter to GP after first visit".into(), due_on: d("2026-11-27") })),
        clin.write(case, 31, EventBody::TaskCompleted(TaskCompleted { task_id: task })),
        clin.write(case, 32, status(ReferralStatus::Accepted, "2026-11-21", None)),
        clin.write(
            case,
            33,
            EventBody::DetailChanged(DetailChanged { field: DetailField::Phone, value: Some("01234 000001".into()), based_on: vec![] }),
        ),
        // Written on the day it is about: not a late entry.
        clin.write(
            case,
            34,
            EventBody::NoteSigned(NoteSigned { note_id: same_day_note, contact_id: None, occurred_on: d(TODAY), text: "Fictional phone call to confirm Thursday.".into() }),
        ),
    ];
    events.push(clin.write(
        case,
        50,
        EventBody::CaseDischarged(CaseDischarged {
            on: d(TODAY),
            reason: DischargeReason::GoalsMet,
            summary: "Fictional: goals met, family confident.".into(),
        }),
    ));
    Story {
        case,
        events,
        late_note,
        same_day_note,
    }
}

fn exported_at() -> DateTime<Utc> {
    "2026-11-24T14:03:00Z".parse().unwrap()
}

/// The PDF's text with every run of whitespace made one space, so wrapped lines still match; or
/// `None` when pdftotext is not installed.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    if !Path::new(PDFTOTEXT).exists() {
        println!("{PDFTOTEXT} is not installed (Debian package poppler-utils); skipped reading the text back");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = Command::new(PDFTOTEXT)
        .args(["-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn entries(doc: &casebook_export::Document) -> Vec<(&str, &str, Option<&str>, &str)> {
    doc.blocks
        .iter()
        .filter_map(|b| match b {
            Block::Entry {
                when,
                title,
                byline,
                body,
            } => Some((
                when.as_str(),
                title.as_str(),
                byline.as_deref(),
                body.as_str(),
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn the_chronology_has_a_summary_and_one_entry_per_line_in_date_order() {
    let s = story();
    let state = fold(s.case, &s.events);
    assert!(state.unplaced.is_empty(), "{:?}", state.unplaced);
    let doc = chronology(&state, d(TODAY), "clin.one", exported_at());
    assert_eq!(doc.title, format!("Case chronology: {FAMILY}"));
    assert_eq!(doc.footer, FOOTER);
    assert!(
        doc.generated.starts_with("Exported 24 Nov 2026") && doc.generated.ends_with("by clin.one"),
        "{}",
        doc.generated
    );

    let summary = doc.blocks.iter().find_map(|b| match b {
        Block::KeyValues(kv) => Some(kv.clone()),
        _ => None,
    });
    let summary: HashMap<String, String> = summary.expect("a summary").into_iter().collect();
    assert!(
        summary["Parent or carer"].contains("NHS number 943 476 5919"),
        "{summary:?}"
    );
    assert!(summary["Baby"].contains("corrected age"), "{summary:?}");
    assert!(
        summary["Referral"]
            .starts_with("Accepted; received 16 Nov 2026 from Fictional Midwife (Midwife)"),
        "{summary:?}"
    );
    assert!(
        summary["Current risk"].starts_with("Medium (to self medium"),
        "{summary:?}"
    );
    assert_eq!(summary["THRIVE"], "Getting Risk Support");
    assert_eq!(
        summary["Active alerts"],
        "Lone-worker risk: Dog at the address; visit in pairs."
    );
    assert!(
        summary["Discharge"].starts_with("24 Nov 2026: Goals met"),
        "{summary:?}"
    );
    assert_eq!(summary["Phone number"], "01234 000001");

    let entries = entries(&doc);
    assert_eq!(entries.len(), state.chronology.len());
    let dates: Vec<NaiveDate> = state.chronology.iter().map(|c| c.date).collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]), "date order");
    let titles: Vec<&str> = entries.iter().map(|e| e.1).collect();
    for expected in [
        "Case opened",
        "Home visit — Attended",
        "Note signed by clin.one",
        "Addendum to the note of 20 Nov 2026 by clin.one",
        "Referral received from Fictional Midwife (Midwife)",
        "Referral marked accepted",
        "Consultation with Fictional Health Visitor (Health visitor): referral invited",
        "Person recorded: Alex Fictional (parent or carer)",
        "Hub visit planned for 27 Nov 2026 14:00",
        "Home visit planned",
        "GBO (baseline): 1 goal",
        "Risk review: medium (to self medium, to the infant low, from others no known risk)",
        "Alert raised: Lone-worker risk",
        "Alert cleared: Alert",
        "Task added: Letter to GP after first visit (due 27 Nov 2026)",
        "Task completed: Letter to GP after first visit",
        "Phone number changed",
        "Discharged: Goals met",
    ] {
        assert!(
            titles.contains(&expected),
            "no entry titled {expected:?} in {titles:#?}"
        );
    }
    let epds = state
        .record
        .measures
        .iter()
        .find(|m| m.details.kind == MeasureKind::Epds)
        .unwrap();
    let line = measure_line(epds);
    assert!(
        line.starts_with("EPDS (baseline): ")
            && line.contains(" of 30, ")
            && line.ends_with("; item 10 flagged"),
        "{line}"
    );
    assert!(titles.contains(&line.as_str()));
    // The note carries its addendum, with the reason, under it.
    let note = entries
        .iter()
        .find(|e| e.1 == "Note signed by clin.one" && e.3.starts_with(NOTE_TEXT))
        .unwrap();
    assert!(
        note.3.contains(&format!("Reason: {ADDENDUM_REASON}")),
        "{}",
        note.3
    );
    assert!(note.3.contains("Addendum by clin.two"), "{}", note.3);
    assert_eq!(note.0, "20 Nov 2026");
    // The referral names the service in words, not by its file id.
    let referral = entries.iter().find(|e| e.1.starts_with("Referral received from")).unwrap();
    assert!(referral.3.contains("Eligibility for Wigan BABS: "), "{}", referral.3);
}

#[test]
fn a_late_entry_is_marked_and_a_same_day_note_is_not() {
    let s = story();
    let state = fold(s.case, &s.events);
    assert!(state.signed_note(s.late_note).unwrap().late_entry);
    assert!(!state.signed_note(s.same_day_note).unwrap().late_entry);
    let doc = chronology(&state, d(TODAY), "clin.one", exported_at());
    let entries = entries(&doc);
    let late = entries.iter().find(|e| e.3.starts_with(NOTE_TEXT)).unwrap();
    let byline = late.2.unwrap();
    assert!(
        byline.starts_with("clin.one, written 24 Nov 2026"),
        "{byline}"
    );
    assert!(byline.contains("late entry: about 20 Nov 2026"), "{byline}");
    let same_day = entries
        .iter()
        .find(|e| e.3.starts_with("Fictional phone call"))
        .unwrap();
    assert!(
        !same_day.2.unwrap().contains("late entry"),
        "{:?}",
        same_day.2
    );
}

#[test]
fn the_chronology_pdf_reads_back_as_text() {
    let s = story();
    let state = fold(s.case, &s.events);
    let doc = chronology(&state, d(TODAY), "clin.one", exported_at());
    let pdf = to_pdf(&doc).expect("a PDF");
    assert!(pdf.starts_with(b"%PDF-"));
    let Some(text) = pdf_text(&pdf) else { return };
    let epds = measure_line(
        state
            .record
            .measures
            .iter()
            .find(|m| m.details.kind == MeasureKind::Epds)
            .unwrap(),
    );
    for wanted in [
        FAMILY,
        &format!("Case chronology: {FAMILY}"),
        NOTE_TEXT,
        ADDENDUM_REASON,
        &epds,
        "item 10 flagged",
        "late entry",
        "Page 1 of",
        "943 476 5919",
        "Confidential: contains personal health information.",
    ] {
        assert!(
            text.contains(wanted),
            "{wanted:?} is not in the PDF text:\n{text}"
        );
    }
}

#[test]
fn the_subject_access_json_holds_every_event_once_and_reads_back() {
    let s = story();
    let state = fold(s.case, &s.events);
    // A second fictional case naming the same parent, opened by someone else.
    let other = Uuid::now_v7();
    let mut lap = Laptop::new("clin.three");
    let other_events = vec![
        lap.write(
            other,
            60,
            EventBody::CaseOpened(CaseOpened {
                family_name: "Otherfamily".into(),
                parent: Some(Person {
                    name: "alex  FICTIONAL".into(),
                }),
                due_date: Some(d("2027-03-01")),
                infant: None,
                to_team_inbox: false,
            }),
        ),
        lap.write(
            other,
            61,
            EventBody::ContactRecorded(ContactRecorded {
                contact_id: Uuid::now_v7(),
                date: d(TODAY),
                contact_type: ContactType::Telephone,
                outcome: AttendanceOutcome::DidNotAttend,
                location: None,
                started_at: None,
                duration_minutes: None,
                attendees: vec![],
                interventions: vec![],
            }),
        ),
    ];
    let other_state = fold(other, &other_events);
    assert!(mentions(&state, PARENT));
    assert!(
        mentions(&state, "sam fictional"),
        "the infant in the case details and the people"
    );
    assert!(
        mentions(&other_state, PARENT),
        "case and spacing are ignored"
    );
    assert!(!mentions(&state, "Someone Else"));
    assert!(!mentions(&state, "  "));

    let cases = vec![
        (state.clone(), s.events.clone()),
        (other_state.clone(), other_events.clone()),
    ];
    let (json, doc) = subject_access(PARENT, &cases, "clin.one", exported_at());
    assert_eq!(json["subject"], PARENT);
    assert_eq!(json["exported_by"], "clin.one");
    assert!(json["scope"].as_str().unwrap().contains("audit trail"));

    // Every event id exactly once.
    let text = serde_json::to_string_pretty(&json).unwrap();
    for e in s.events.iter().chain(&other_events) {
        let id = e.id.to_string();
        let as_event_id = format!("\"id\": \"{id}\"");
        assert_eq!(
            text.matches(&as_event_id).count(),
            1,
            "event {id} ({}) should appear once as an event",
            e.body.kind()
        );
    }
    let listed: Vec<Uuid> = json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| {
            c["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().parse().unwrap())
        })
        .collect();
    let mut unique = listed.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(listed.len(), s.events.len() + other_events.len());
    assert_eq!(unique.len(), listed.len());

    // It parses back: events verify against their hashes and refold to the same state.
    let back: serde_json::Value = serde_json::from_str(&text).unwrap();
    let exported_at_back: DateTime<Utc> =
        serde_json::from_value(back["exported_at"].clone()).unwrap();
    assert_eq!(exported_at_back, exported_at());
    for (case, (state, events)) in back["cases"].as_array().unwrap().iter().zip(&cases) {
        let events_back: Vec<Event> = serde_json::from_value(case["events"].clone()).unwrap();
        assert_eq!(&events_back, events);
        events_back.iter().for_each(|e| e.verify().unwrap());
        let state_back: CaseState = serde_json::from_value(case["state"].clone()).unwrap();
        assert_eq!(&state_back, state);
        assert_eq!(fold(state.case_id, &events_back), *state);
        assert_eq!(case["case_id"], state.case_id.to_string());
    }

    assert_eq!(doc.title, format!("Subject access export: {PARENT}"));
    let headings: Vec<&str> = doc
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Heading(h) => Some(h.as_str()),
            _ => None,
        })
        .collect();
    assert!(headings.contains(&format!("Case: {FAMILY}").as_str()));
    assert!(headings.contains(&"Case: Otherfamily"));
    assert_eq!(
        entries(&doc).len(),
        state.chronology.len() + other_state.chronology.len()
    );
    let pdf = to_pdf(&doc).expect("a PDF");
    if let Some(text) = pdf_text(&pdf) {
        for wanted in [
            &format!("Subject access export: {PARENT}"),
            "Otherfamily",
            NOTE_TEXT,
            "audit trail",
            "Page 1 of",
        ] {
            assert!(text.contains(wanted), "{wanted:?} is not in the PDF text");
        }
    }
}

#[test]
fn an_empty_subject_access_export_says_so() {
    let (json, doc) = subject_access("Nobody Fictional", &[], "clin.one", exported_at());
    assert_eq!(json["cases"].as_array().unwrap().len(), 0);
    assert!(doc.blocks.iter().any(|b| matches!(b, Block::Paragraph(p) if p.contains("No case on this laptop names this person"))));
    to_pdf(&doc).unwrap();
}

#[test]
fn a_case_whose_opening_has_not_arrived_still_exports() {
    let s = story();
    let without_opening: Vec<Event> = s
        .events
        .into_iter()
        .filter(|e| e.body.kind() != "case_opened")
        .collect();
    let state = fold(s.case, &without_opening);
    let doc = chronology(&state, d(TODAY), "clin.one", exported_at());
    assert!(
        doc.title.contains("not yet on this laptop"),
        "{}",
        doc.title
    );
    to_pdf(&doc).unwrap();
}

//! A risk item answered above zero stays flagged on the case until a risk review follows it; a
//! later questionnaire with the item at zero, or a discharge, does not close it.

use casebook_domain::testing::Laptop;
use casebook_domain::*;
use casebook_measures::{Entry, MeasureKind, TimePoint};
use chrono::NaiveDate;
use uuid::Uuid;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

const T0: u64 = 1_795_514_400_000; // 2026-11-24 10:00 UTC

fn measure(kind: MeasureKind, on: &str, answers: Vec<u8>) -> EventBody {
    EventBody::MeasureRecorded(MeasureRecorded {
        measure_id: Uuid::now_v7(),
        kind,
        time_point: TimePoint::Review,
        administered_on: d(on),
        items: answers,
        entered_as: Some(Entry::Answers),
        goals: vec![],
    })
}

fn review(on: &str) -> EventBody {
    EventBody::RiskAssessed(RiskAssessed {
        assessment_id: Uuid::now_v7(),
        on: d(on),
        to_self: RiskLevel::Medium,
        to_infant: RiskLevel::Low,
        from_others: RiskLevel::NoneKnown,
        safeguarding: SafeguardingStatus::NoneKnown,
        thrive: ThriveGroup::GettingRiskSupport,
        summary: "Fictional: thoughts of self-harm discussed; safety plan agreed.".into(),
        actions: None,
        review_on: None,
    })
}

fn opened() -> EventBody {
    EventBody::CaseOpened(CaseOpened { family_name: "Testfamily-Risk".into(), parent: None, due_date: None, infant: None, to_team_inbox: false })
}

/// The EPDS from the issue: the first box ticked on every item. Item 10's first box is "Yes,
/// quite often" (score 3).
fn epds_first_box_everywhere(on: &str) -> EventBody {
    measure(MeasureKind::Epds, on, vec![0; 10])
}

/// Writes `bodies` in order, a minute apart, and folds them.
fn case_of(bodies: Vec<EventBody>) -> CaseState {
    let case = Uuid::now_v7();
    let mut laptop = Laptop::new("clin.one");
    let events: Vec<Event> =
        bodies.into_iter().enumerate().map(|(i, b)| laptop.write_at(case, T0 + i as u64 * 60_000, b)).collect();
    fold(case, &events)
}

#[test]
fn an_epds_item_10_answer_opens_a_risk_to_review_that_only_a_later_risk_review_closes() {
    let flagged = case_of(vec![opened(), epds_first_box_everywhere("2026-11-24")]);
    let open = flagged.record.risk_to_review().expect("item 10 answered 'Yes, quite often' must be flagged");
    assert_eq!(open.since, d("2026-11-24"));
    assert_eq!((open.answers[0].kind, open.answers[0].item, open.answers[0].value), (MeasureKind::Epds, 10, 3));
    assert_eq!(open.summary(), "EPDS item 10 (score 3) on 24 Nov 2026");
    let header = CaseHeader::of(&flagged, d("2026-11-24"));
    assert_eq!(header.risk_to_review, Some(open));

    // A later questionnaire with item 10 at zero does not say anyone discussed the first answer.
    let settled_by_a_score = case_of(vec![
        opened(),
        epds_first_box_everywhere("2026-11-24"),
        measure(MeasureKind::Epds, "2026-11-25", vec![3, 3, 3, 3, 3, 3, 3, 3, 3, 3]),
    ]);
    assert!(settled_by_a_score.record.risk_to_review().is_some());
    assert!(CaseHeader::of(&settled_by_a_score, d("2026-11-25")).measure_flags.is_empty(), "the latest EPDS has no risk answer");

    let reviewed = case_of(vec![opened(), epds_first_box_everywhere("2026-11-24"), review("2026-11-24")]);
    assert_eq!(reviewed.record.risk_to_review(), None, "a risk review written after the questionnaire closes it");
}

#[test]
fn a_review_done_before_the_questionnaire_does_not_close_it() {
    let earlier_day = case_of(vec![opened(), review("2026-11-20"), epds_first_box_everywhere("2026-11-24")]);
    assert!(earlier_day.record.risk_to_review().is_some());
    // Same day, but the review was written first (that morning, before the afternoon's EPDS).
    let same_day_before = case_of(vec![opened(), review("2026-11-24"), epds_first_box_everywhere("2026-11-24")]);
    assert!(same_day_before.record.risk_to_review().is_some());
    // A review dated before the questionnaire, typed in afterwards, is still about the day before.
    let backdated = case_of(vec![opened(), epds_first_box_everywhere("2026-11-24"), review("2026-11-23")]);
    assert!(backdated.record.risk_to_review().is_some());
}

#[test]
fn every_measure_with_a_risk_item_raises_it_and_each_answer_is_listed() {
    // PHQ-9 item 9 answered "several days" (1); CORE-10 item 6 ("I made plans to end my life")
    // answered "only occasionally" (1); GAD-7 has no risk item.
    let state = case_of(vec![
        opened(),
        measure(MeasureKind::Phq9, "2026-11-22", vec![0, 0, 0, 0, 0, 0, 0, 0, 1]),
        measure(MeasureKind::Core10, "2026-11-23", vec![0, 4, 4, 0, 0, 1, 0, 0, 0, 0]),
        measure(MeasureKind::Gad7, "2026-11-24", vec![3; 7]),
    ]);
    let open = state.record.risk_to_review().unwrap();
    let items: Vec<_> = open.answers.iter().map(|a| (a.kind, a.item)).collect();
    assert_eq!(items, [(MeasureKind::Phq9, 9), (MeasureKind::Core10, 6)]);
    assert_eq!(open.since, d("2026-11-22"), "due since the oldest unreviewed answer");

    let none = case_of(vec![opened(), measure(MeasureKind::Phq9, "2026-11-22", vec![3, 3, 3, 3, 3, 3, 3, 3, 0])]);
    assert_eq!(none.record.risk_to_review(), None, "a high total without the risk item is not this flag");
}

#[test]
fn discharge_does_not_close_it() {
    let state = case_of(vec![
        opened(),
        epds_first_box_everywhere("2026-11-24"),
        EventBody::CaseDischarged(CaseDischarged {
            on: d("2026-11-24"),
            reason: DischargeReason::FamilyChoseToEnd,
            summary: "Fictional: family chose to end.".into(),
        }),
    ]);
    assert!(state.record.discharge.is_some());
    assert!(CaseHeader::of(&state, d("2026-11-25")).risk_to_review.is_some());
}

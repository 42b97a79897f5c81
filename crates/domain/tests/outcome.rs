//! Outcome change from baseline, as the discharge form, the discharged case, the chronology and
//! the command line show it: worked examples folded from events a laptop wrote. All fictional.

use casebook_domain::testing::{measure_recorded, Laptop};
use casebook_domain::*;
use casebook_measures::{ChangeDirection, MeasureKind, TimePoint};
use chrono::NaiveDate;
use uuid::Uuid;

const T0: u64 = 1_795_514_400_000; // 2026-11-24 10:00 UTC
const TODAY: &str = "2027-03-01";

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn questionnaire(kind: MeasureKind, time_point: TimePoint, on: &str, items: &[u8]) -> EventBody {
    measure_recorded(kind, time_point, d(on), items, &[])
}

fn gbo(time_point: TimePoint, on: &str, goals: &[(&str, u8)]) -> EventBody {
    measure_recorded(MeasureKind::Gbo, time_point, d(on), &[], goals)
}

/// EPDS totals from 0 to 30: every item 0 except enough to add up to `total` (item 10 left at 0).
fn epds(total: u8) -> Vec<u8> {
    let mut items = vec![0u8; 10];
    let mut left = total;
    for item in items.iter_mut().take(9) {
        let here = left.min(3);
        *item = here;
        left -= here;
    }
    assert_eq!(left, 0, "an EPDS total of {total} needs item 10");
    items
}

/// PHQ-9 totals from 0 to 24 with item 9 (the risk item) at 0.
fn phq9(total: u8) -> Vec<u8> {
    let mut items = vec![0u8; 9];
    let mut left = total;
    for item in items.iter_mut().take(8) {
        let here = left.min(3);
        *item = here;
        left -= here;
    }
    assert_eq!(left, 0);
    items
}

/// Folds the bodies in the order given, each written a minute after the last.
fn record(bodies: Vec<EventBody>) -> (CaseState, Vec<OutcomeChange>) {
    let case = Uuid::now_v7();
    let mut laptop = Laptop::new("clin.one");
    let events: Vec<Event> = bodies.into_iter().zip(0u64..).map(|(b, i)| laptop.write_at(case, T0 + i * 60_000, b)).collect();
    let state = fold(case, &events);
    assert!(state.unplaced.is_empty(), "{:?}", state.unplaced);
    let changes = state.record.outcome_changes();
    (state, changes)
}

#[test]
fn baseline_epds_11_to_discharge_4_is_a_reliable_improvement() {
    let (state, changes) = record(vec![
        questionnaire(MeasureKind::Epds, TimePoint::Baseline, "2026-11-20", &epds(11)),
        questionnaire(MeasureKind::Epds, TimePoint::Review, "2027-01-15", &epds(8)),
        questionnaire(MeasureKind::Epds, TimePoint::Discharge, "2027-02-20", &epds(4)),
        // Scored after the discharge measure (a follow-up call, say): the discharge point still counts.
        questionnaire(MeasureKind::Epds, TimePoint::Review, "2027-02-25", &epds(6)),
    ]);
    assert_eq!(changes.len(), 1, "{changes:#?}");
    let c = &changes[0];
    assert_eq!(c.kind, MeasureKind::Epds);
    assert_eq!(
        c.lines,
        ["EPDS: 11 → 4 (reliable improvement; was Possible depression, now Below the usual threshold)"]
    );
    assert_eq!(c.between, "from baseline on 20 November 2026 to discharge on 20 February 2027");
    assert_eq!((c.baseline_point, c.baseline_on, c.end_point, c.end_on), (TimePoint::Baseline, d("2026-11-20"), TimePoint::Discharge, d("2027-02-20")));
    let change = c.change.as_ref().expect("a questionnaire has a change in totals");
    assert_eq!((change.earlier_total, change.later_total, change.difference), (11, 4, -7));
    assert_eq!((change.reliable, change.band_movement), (ChangeDirection::Better, ChangeDirection::Better));
    assert_eq!((change.earlier_band.label.as_str(), change.later_band.label.as_str()), ("Possible depression", "Below the usual threshold"));
    assert!(c.goals.is_empty());

    // The header carries the same lines, for the discharge form and the discharged case.
    let header = CaseHeader::of(&state, d(TODAY));
    assert_eq!(header.outcome_changes, changes);
}

#[test]
fn with_no_discharge_measure_the_latest_review_is_compared() {
    let (_, changes) = record(vec![
        questionnaire(MeasureKind::Phq9, TimePoint::Baseline, "2026-11-20", &phq9(16)),
        questionnaire(MeasureKind::Phq9, TimePoint::Review, "2026-12-18", &phq9(12)),
        questionnaire(MeasureKind::Phq9, TimePoint::Review, "2027-01-29", &phq9(9)),
    ]);
    assert_eq!(changes.len(), 1);
    let c = &changes[0];
    assert_eq!(c.lines, ["PHQ-9: 16 → 9 (reliable improvement; was Moderately severe, now Mild)"]);
    assert_eq!(c.between, "from baseline on 20 November 2026 to review on 29 January 2027");
    assert_eq!(c.end_point, TimePoint::Review);
}

#[test]
fn a_measure_scored_once_has_no_change_line() {
    let (state, changes) = record(vec![
        questionnaire(MeasureKind::Epds, TimePoint::Baseline, "2026-11-20", &epds(11)),
        gbo(TimePoint::Baseline, "2026-11-20", &[("Enjoy bath time with Sam", 2)]),
    ]);
    assert!(changes.is_empty(), "{changes:#?}");
    assert!(CaseHeader::of(&state, d(TODAY)).outcome_changes.is_empty());
    // And a case with no measures at all.
    assert!(CaseRecord::default().outcome_changes().is_empty());
}

#[test]
fn gbo_goal_2_to_7_is_reported_goal_by_goal() {
    let (_, changes) = record(vec![
        gbo(TimePoint::Baseline, "2026-11-20", &[("Enjoy bath time with Sam", 2), ("Feel less alone", 4)]),
        gbo(TimePoint::Review, "2027-01-15", &[("Enjoy bath time with Sam", 5), ("Feel less alone", 5)]),
        // Goal 2 reworded at discharge: matched by its place, as the same number of goals was scored.
        gbo(TimePoint::Discharge, "2027-02-20", &[("enjoy  bath time with Sam", 7), ("Feel less alone in the day", 3)]),
    ]);
    assert_eq!(changes.len(), 1);
    let c = &changes[0];
    assert_eq!(c.kind, MeasureKind::Gbo);
    assert!(c.change.is_none());
    assert_eq!(
        c.lines,
        [
            "GBO goal 1 “enjoy  bath time with Sam”: 2 → 7 out of 10 (reliable improvement)",
            "GBO goal 2 “Feel less alone in the day”: 4 → 3 out of 10 (no reliable change)",
        ]
    );
    let scores: Vec<(u8, u8, u8, i8, ChangeDirection)> =
        c.goals.iter().map(|g| (g.goal, g.earlier_score, g.later_score, g.difference, g.reliable)).collect();
    assert_eq!(scores, [(1, 2, 7, 5, ChangeDirection::Better), (2, 4, 3, -1, ChangeDirection::Same)]);
}

#[test]
fn gbo_goals_are_matched_by_description_when_they_move_or_are_added() {
    let (_, changes) = record(vec![
        gbo(TimePoint::Baseline, "2026-11-20", &[("Enjoy bath time with Sam", 2), ("Feel less alone", 6)]),
        // A third goal set at review starts its own baseline.
        gbo(TimePoint::Review, "2027-01-15", &[("Feel less alone", 5), ("Enjoy bath time with Sam", 4), ("Sleep more", 1)]),
        gbo(TimePoint::Discharge, "2027-02-20", &[("Sleep more", 6), ("Feel less alone", 2), ("Enjoy bath time with Sam", 7)]),
    ]);
    assert_eq!(
        changes[0].lines,
        [
            "GBO goal 1 “Sleep more”: 1 → 6 out of 10 (reliable improvement; first scored at review on 15 January 2027)",
            "GBO goal 2 “Feel less alone”: 6 → 2 out of 10 (reliable deterioration)",
            "GBO goal 3 “Enjoy bath time with Sam”: 2 → 7 out of 10 (reliable improvement)",
        ]
    );
}

#[test]
fn entries_are_compared_by_the_day_completed_not_the_order_they_arrived() {
    // The discharge EPDS is entered first; the baseline is typed in from paper afterwards, and a
    // review arrives last, dated between them.
    let (_, changes) = record(vec![
        questionnaire(MeasureKind::Epds, TimePoint::Discharge, "2027-02-20", &epds(4)),
        questionnaire(MeasureKind::Epds, TimePoint::Baseline, "2026-11-20", &epds(11)),
        questionnaire(MeasureKind::Epds, TimePoint::Review, "2027-01-15", &epds(13)),
    ]);
    assert_eq!(
        changes[0].lines,
        ["EPDS: 11 → 4 (reliable improvement; was Possible depression, now Below the usual threshold)"]
    );
    assert_eq!(changes[0].between, "from baseline on 20 November 2026 to discharge on 20 February 2027");

    // Two baselines: the earlier is the baseline. No discharge point: the latest after it.
    let (_, changes) = record(vec![
        questionnaire(MeasureKind::Epds, TimePoint::Review, "2027-01-15", &epds(15)),
        questionnaire(MeasureKind::Epds, TimePoint::Baseline, "2026-12-01", &epds(12)),
        questionnaire(MeasureKind::Epds, TimePoint::Baseline, "2026-11-20", &epds(10)),
    ]);
    assert_eq!(changes[0].lines, ["EPDS: 10 → 15 (reliable deterioration; was Possible depression, now Probable depression)"]);
    assert_eq!(changes[0].baseline_on, d("2026-11-20"));
}

#[test]
fn without_a_baseline_time_point_the_earliest_entry_is_the_baseline() {
    let (_, changes) = record(vec![
        questionnaire(MeasureKind::Gad7, TimePoint::Review, "2027-01-15", &[1, 1, 1, 1, 1, 1, 1]),
        questionnaire(MeasureKind::Gad7, TimePoint::Review, "2026-12-01", &[2, 1, 1, 1, 1, 1, 2]),
    ]);
    assert_eq!(changes[0].lines, ["GAD-7: 9 → 7 (no reliable change; still Mild)"]);
    assert_eq!(changes[0].between, "from the first score (review) on 1 December 2026 to review on 15 January 2027");
}

#[test]
fn each_measure_is_compared_separately_and_unscoreable_entries_are_skipped() {
    let (_, changes) = record(vec![
        questionnaire(MeasureKind::Epds, TimePoint::Baseline, "2026-11-20", &epds(11)),
        questionnaire(MeasureKind::Phq9, TimePoint::Baseline, "2026-11-20", &phq9(10)),
        questionnaire(MeasureKind::Phq9, TimePoint::Discharge, "2027-02-20", &phq9(10)),
        // Items that do not fit the measure (from an older version, say): not compared.
        questionnaire(MeasureKind::Epds, TimePoint::Discharge, "2027-02-20", &[9, 9, 9]),
    ]);
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0].lines, ["PHQ-9: 10 → 10 (no change; still Moderate)"]);
}

//! Scoring part-way through a questionnaire: the risk item raises its flag the moment it is
//! answered, and the total so far grows into the full score.

use casebook_measures::{Entry, score, score_so_far, MeasureError, MeasureKind};
use proptest::prelude::*;

#[test]
fn epds_item_ten_flags_before_the_other_items_are_answered() {
    let mut answers = vec![None; 10];
    answers[9] = Some(2);
    let so_far = score_so_far(MeasureKind::Epds, Entry::before_it_was_recorded(MeasureKind::Epds), &answers).unwrap();
    assert_eq!(so_far.answered, 1);
    assert_eq!(so_far.total_so_far, 2);
    assert_eq!(so_far.scored, None);
    assert_eq!(so_far.risk_flags.len(), 1);
    assert_eq!(so_far.risk_flags[0].item, 10);
    assert!(so_far.risk_flags[0].message.starts_with("EPDS item 10 scored 2"), "{}", so_far.risk_flags[0].message);
}

#[test]
fn core10_item_six_flags_at_once_and_reversed_items_count_reversed() {
    let mut answers = vec![None; 10];
    // Item 2 is reversed: a raw 0 ("Not at all" feeling able to cope) counts 4.
    answers[1] = Some(0);
    answers[5] = Some(1);
    let so_far = score_so_far(MeasureKind::Core10, Entry::before_it_was_recorded(MeasureKind::Core10), &answers).unwrap();
    assert_eq!(so_far.total_so_far, 5);
    assert_eq!(so_far.max, 40);
    assert_eq!(so_far.risk_flags.iter().map(|f| f.item).collect::<Vec<_>>(), vec![6]);
}

#[test]
fn nothing_answered_is_nothing_so_far() {
    let so_far = score_so_far(MeasureKind::Phq9, Entry::before_it_was_recorded(MeasureKind::Phq9), &[None; 9]).unwrap();
    assert_eq!((so_far.answered, so_far.items, so_far.total_so_far), (0, 9, 0));
    assert!(so_far.risk_flags.is_empty() && so_far.scored.is_none());
}

#[test]
fn wrong_counts_and_out_of_range_answers_are_refused_as_for_a_full_score() {
    assert!(matches!(score_so_far(MeasureKind::Gad7, Entry::before_it_was_recorded(MeasureKind::Gad7), &[None; 6]), Err(MeasureError::WrongItemCount { expected: 7, got: 6, .. })));
    let mut answers = vec![None; 7];
    answers[3] = Some(4);
    assert!(matches!(score_so_far(MeasureKind::Gad7, Entry::before_it_was_recorded(MeasureKind::Gad7), &answers), Err(MeasureError::ItemOutOfRange { item: 4, value: 4, max: 3, .. })));
    assert!(matches!(score_so_far(MeasureKind::Gbo, Entry::before_it_was_recorded(MeasureKind::Gbo), &[]), Err(MeasureError::NotItemScored { .. })));
}

fn partial_answers() -> impl Strategy<Value = (MeasureKind, Vec<Option<u8>>)> {
    prop_oneof![
        proptest::collection::vec(proptest::option::of(0u8..=3), 9).prop_map(|v| (MeasureKind::Phq9, v)),
        proptest::collection::vec(proptest::option::of(0u8..=3), 7).prop_map(|v| (MeasureKind::Gad7, v)),
        proptest::collection::vec(proptest::option::of(0u8..=3), 10).prop_map(|v| (MeasureKind::Epds, v)),
        proptest::collection::vec(proptest::option::of(0u8..=4), 10).prop_map(|v| (MeasureKind::Core10, v)),
    ]
}

proptest! {
    /// Answering the rest can only add to the total, and once everything is answered the part
    /// score is exactly the full score; a risk flag raised part-way is still there at the end.
    #[test]
    fn the_total_so_far_grows_into_the_full_score((kind, answers) in partial_answers(), fill in 0u8..=3) {
        let part = score_so_far(kind, Entry::before_it_was_recorded(kind), &answers).unwrap();
        let full_items: Vec<u8> = answers.iter().map(|a| a.unwrap_or(fill)).collect();
        let full = score(kind, Entry::before_it_was_recorded(kind), &full_items).unwrap();
        let done = score_so_far(kind, Entry::before_it_was_recorded(kind), &full_items.iter().map(|&v| Some(v)).collect::<Vec<_>>()).unwrap();
        prop_assert_eq!(done.scored.as_ref(), Some(&full));
        prop_assert_eq!(done.total_so_far, full.total);
        prop_assert!(part.total_so_far <= full.total);
        for flag in &part.risk_flags {
            prop_assert!(full.risk_flags.contains(flag));
        }
        prop_assert_eq!(part.scored.is_some(), answers.iter().all(|a| a.is_some()));
    }
}

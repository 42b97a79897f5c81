//! Properties that must hold for every valid set of answers.

use casebook_measures::{Entry, band_for, bands, max_total, score, MeasureKind};
use proptest::prelude::*;

fn valid_answers() -> impl Strategy<Value = (MeasureKind, Vec<u8>)> {
    prop_oneof![
        proptest::collection::vec(0u8..=3, 9).prop_map(|v| (MeasureKind::Phq9, v)),
        proptest::collection::vec(0u8..=3, 7).prop_map(|v| (MeasureKind::Gad7, v)),
        proptest::collection::vec(0u8..=3, 10).prop_map(|v| (MeasureKind::Epds, v)),
        proptest::collection::vec(0u8..=4, 10).prop_map(|v| (MeasureKind::Core10, v)),
    ]
}

proptest! {
    #[test]
    fn total_is_in_range_and_band_matches_table((kind, items) in valid_answers()) {
        let s = score(kind, Entry::before_it_was_recorded(kind), &items).unwrap();
        prop_assert!(s.total <= s.max);
        prop_assert_eq!(Some(s.max), max_total(kind));
        prop_assert_eq!(Some(s.band.clone()), band_for(kind, s.total));
        let row = bands(kind).into_iter().find(|b| b.band == s.band).unwrap();
        prop_assert!(row.min <= s.total && s.total <= row.max);
    }

    #[test]
    fn risk_flag_iff_risk_item_nonzero((kind, items) in valid_answers()) {
        let s = score(kind, Entry::before_it_was_recorded(kind), &items).unwrap();
        let risk_item = match kind {
            MeasureKind::Phq9 => Some(9),
            MeasureKind::Epds => Some(10),
            MeasureKind::Core10 => Some(6),
            _ => None,
        };
        let expected = risk_item.filter(|&n: &usize| items[n - 1] >= 1).map(|n| n as u8);
        prop_assert_eq!(s.risk_flags.iter().map(|f| f.item).next(), expected);
        prop_assert!(s.risk_flags.len() <= 1);
    }

    #[test]
    fn out_of_range_answer_is_always_refused((kind, mut items) in valid_answers(), pos in 0usize..7, bad in 5u8..) {
        items[pos] = bad;
        prop_assert!(score(kind, Entry::before_it_was_recorded(kind), &items).is_err());
    }
}

#[test]
fn band_level_never_falls_as_total_rises() {
    for kind in MeasureKind::QUESTIONNAIRES {
        let max = max_total(kind).unwrap();
        let levels: Vec<u8> = (0..=max)
            .map(|t| band_for(kind, t).unwrap().level)
            .collect();
        assert!(
            levels.windows(2).all(|w| w[0] <= w[1]),
            "{kind}: {levels:?}"
        );
        assert_eq!(levels[0], 0);
        assert_eq!(band_for(kind, max + 1), None);
    }
}

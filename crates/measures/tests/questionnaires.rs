//! Worked examples, band edges, risk flags and refusals for the four questionnaires.

use casebook_measures::{Entry, 
    band_for, bands, change, item_count, max_total, score, ChangeDirection, MeasureError,
    MeasureKind, Scored,
};

/// Items that add up to `total` for a measure without reversed items: fill from the front.
fn items_totalling(kind: MeasureKind, total: u8) -> Vec<u8> {
    let n = item_count(kind).unwrap();
    let item_max = if kind == MeasureKind::Core10 { 4 } else { 3 };
    let mut left = total;
    (0..n)
        .map(|_| {
            let v = left.min(item_max);
            left -= v;
            v
        })
        .collect()
}

fn band_label(kind: MeasureKind, items: &[u8]) -> (u8, String, u8) {
    let s = score(kind, Entry::before_it_was_recorded(kind), items).unwrap();
    (s.total, s.band.label, s.band.level)
}

// ---- PHQ-9 ----

#[test]
fn phq9_all_ones_is_nine_mild() {
    let s = score(MeasureKind::Phq9, Entry::before_it_was_recorded(MeasureKind::Phq9), &[1; 9]).unwrap();
    assert_eq!(s.total, 9);
    assert_eq!(s.max, 27);
    assert_eq!(s.band.label, "Mild");
    assert_eq!(s.band.level, 1);
    // All ones includes item 9 = 1, which is a risk answer.
    assert_eq!(s.risk_flags.len(), 1);
    assert_eq!(s.risk_flags[0].item, 9);
}

#[test]
fn phq9_band_edges() {
    let k = MeasureKind::Phq9;
    let cases = [
        (0, "Minimal", 0),
        (4, "Minimal", 0),
        (5, "Mild", 1),
        (9, "Mild", 1),
        (10, "Moderate", 2),
        (14, "Moderate", 2),
        (15, "Moderately severe", 3),
        (19, "Moderately severe", 3),
        (20, "Severe", 4),
        (27, "Severe", 4),
    ];
    for (total, label, level) in cases {
        let items = items_totalling(k, total);
        assert_eq!(
            band_label(k, &items),
            (total, label.to_string(), level),
            "PHQ-9 total {total}"
        );
    }
}

#[test]
fn phq9_item_nine_flags_with_plain_message() {
    let s = score(MeasureKind::Phq9, Entry::before_it_was_recorded(MeasureKind::Phq9), &[0, 0, 0, 0, 0, 0, 0, 0, 2]).unwrap();
    assert_eq!(s.total, 2);
    assert_eq!(s.band.label, "Minimal");
    assert_eq!(s.risk_flags.len(), 1);
    let f = &s.risk_flags[0];
    assert_eq!((f.item, f.value), (9, 2));
    assert_eq!(
        f.message,
        "PHQ-9 item 9 scored 2: the parent reports thoughts that they would be better off dead or of \
         hurting themselves. Follow the service's risk procedure and crisis route."
    );
}

#[test]
fn phq9_item_nine_zero_does_not_flag_even_when_severe() {
    let s = score(MeasureKind::Phq9, Entry::before_it_was_recorded(MeasureKind::Phq9), &[3, 3, 3, 3, 3, 3, 3, 3, 0]).unwrap();
    assert_eq!(s.total, 24);
    assert_eq!(s.band.label, "Severe");
    assert!(s.risk_flags.is_empty());
}

// ---- GAD-7 ----

#[test]
fn gad7_worked_example() {
    let s = score(MeasureKind::Gad7, Entry::before_it_was_recorded(MeasureKind::Gad7), &[2, 1, 3, 0, 1, 2, 2]).unwrap();
    assert_eq!(s.total, 11);
    assert_eq!(s.max, 21);
    assert_eq!((s.band.label.as_str(), s.band.level), ("Moderate", 2));
    assert!(s.risk_flags.is_empty(), "GAD-7 has no risk item");
}

#[test]
fn gad7_band_edges() {
    let k = MeasureKind::Gad7;
    let cases = [
        (0, "Minimal", 0),
        (4, "Minimal", 0),
        (5, "Mild", 1),
        (9, "Mild", 1),
        (10, "Moderate", 2),
        (14, "Moderate", 2),
        (15, "Severe", 3),
        (21, "Severe", 3),
    ];
    for (total, label, level) in cases {
        let items = items_totalling(k, total);
        assert_eq!(
            band_label(k, &items),
            (total, label.to_string(), level),
            "GAD-7 total {total}"
        );
    }
}

#[test]
fn gad7_never_flags_risk() {
    let s = score(MeasureKind::Gad7, Entry::before_it_was_recorded(MeasureKind::Gad7), &[3; 7]).unwrap();
    assert_eq!(s.total, 21);
    assert!(s.risk_flags.is_empty());
}

// ---- EPDS ----

#[test]
fn epds_worked_example() {
    let s = score(MeasureKind::Epds, Entry::before_it_was_recorded(MeasureKind::Epds), &[1, 1, 2, 2, 1, 2, 1, 2, 1, 0]).unwrap();
    assert_eq!(s.total, 13);
    assert_eq!(s.max, 30);
    assert_eq!(
        (s.band.label.as_str(), s.band.level),
        ("Probable depression", 2)
    );
    assert!(s.risk_flags.is_empty());
}

#[test]
fn epds_band_edges() {
    let k = MeasureKind::Epds;
    // Keep item 10 at zero where possible so only the band is under test; items 1–9 reach 27.
    let cases = [
        (0, "Below the usual threshold", 0),
        (9, "Below the usual threshold", 0),
        (10, "Possible depression", 1),
        (12, "Possible depression", 1),
        (13, "Probable depression", 2),
        (30, "Probable depression", 2),
    ];
    for (total, label, level) in cases {
        let items = items_totalling(k, total);
        assert_eq!(
            band_label(k, &items),
            (total, label.to_string(), level),
            "EPDS total {total}"
        );
    }
}

#[test]
fn epds_total_eight_with_item_ten_one_still_flags() {
    let s = score(MeasureKind::Epds, Entry::before_it_was_recorded(MeasureKind::Epds), &[1, 1, 1, 1, 1, 1, 1, 0, 0, 1]).unwrap();
    assert_eq!(s.total, 8);
    assert_eq!(s.band.label, "Below the usual threshold");
    assert_eq!(s.risk_flags.len(), 1);
    assert_eq!((s.risk_flags[0].item, s.risk_flags[0].value), (10, 1));
    assert!(s.risk_flags[0]
        .message
        .starts_with("EPDS item 10 scored 1: the parent reports thoughts of harming"));
}

#[test]
fn epds_item_ten_message_matches_house_wording() {
    let s = score(MeasureKind::Epds, Entry::before_it_was_recorded(MeasureKind::Epds), &[0, 0, 0, 0, 0, 0, 0, 0, 0, 2]).unwrap();
    assert_eq!(
        s.risk_flags[0].message,
        "EPDS item 10 scored 2: the parent reports thoughts of harming themselves. Follow the \
         service's risk procedure and crisis route."
    );
}

// ---- CORE-10 ----

#[test]
fn core10_reverses_items_two_and_three() {
    // Raw answers: 1: 2, 2: 1 (reversed → 3), 3: 0 (reversed → 4), 4: 2, 5: 1, 6: 0, 7: 3, 8: 2,
    // 9: 2, 10: 1. By hand: 2 + 3 + 4 + 2 + 1 + 0 + 3 + 2 + 2 + 1 = 20.
    let s = score(MeasureKind::Core10, Entry::before_it_was_recorded(MeasureKind::Core10), &[2, 1, 0, 2, 1, 0, 3, 2, 2, 1]).unwrap();
    assert_eq!(s.total, 20);
    assert_eq!(s.max, 40);
    assert_eq!(
        (s.band.label.as_str(), s.band.level),
        ("Moderate to severe", 4)
    );
    assert_eq!(
        s.items,
        vec![2, 1, 0, 2, 1, 0, 3, 2, 2, 1],
        "responses are kept as entered"
    );
    assert!(s.risk_flags.is_empty());
}

#[test]
fn core10_best_possible_answers_score_zero() {
    // "Most or all of the time" to having support and coping; "Not at all" to everything else.
    let s = score(MeasureKind::Core10, Entry::before_it_was_recorded(MeasureKind::Core10), &[0, 4, 4, 0, 0, 0, 0, 0, 0, 0]).unwrap();
    assert_eq!(s.total, 0);
    assert_eq!(s.band.label, "Healthy");
    // And all zeros is not zero: items 2 and 3 each contribute 4.
    assert_eq!(score(MeasureKind::Core10, Entry::before_it_was_recorded(MeasureKind::Core10), &[0; 10]).unwrap().total, 8);
    assert_eq!(score(MeasureKind::Core10, Entry::before_it_was_recorded(MeasureKind::Core10), &[4; 10]).unwrap().total, 32);
}

#[test]
fn core10_band_edges() {
    let k = MeasureKind::Core10;
    let cases = [
        (0, "Healthy", 0),
        (5, "Healthy", 0),
        (6, "Low level", 1),
        (10, "Low level", 1),
        (11, "Mild", 2),
        (14, "Mild", 2),
        (15, "Moderate", 3),
        (19, "Moderate", 3),
        (20, "Moderate to severe", 4),
        (24, "Moderate to severe", 4),
        (25, "Severe", 5),
        (40, "Severe", 5),
    ];
    for (total, label, level) in cases {
        // Start from the best answers and add symptom points to items 1, 4, 5, 7–10 first, then
        // lower items 2 and 3; item 6 stays 0 so no risk flag muddies the check.
        let mut items = vec![0, 4, 4, 0, 0, 0, 0, 0, 0, 0];
        let mut left = total;
        for i in [0usize, 3, 4, 6, 7, 8, 9, 1, 2, 5] {
            let add = left.min(4);
            items[i] = if i == 1 || i == 2 { 4 - add } else { add };
            left -= add;
        }
        assert_eq!(
            band_label(k, &items),
            (total, label.to_string(), level),
            "CORE-10 total {total}"
        );
    }
}

#[test]
fn core10_item_six_flags() {
    let s = score(MeasureKind::Core10, Entry::before_it_was_recorded(MeasureKind::Core10), &[0, 4, 4, 0, 0, 1, 0, 0, 0, 0]).unwrap();
    assert_eq!(s.total, 1);
    assert_eq!(s.risk_flags.len(), 1);
    assert_eq!((s.risk_flags[0].item, s.risk_flags[0].value), (6, 1));
    assert!(s.risk_flags[0].message.contains("plans to end their life"));
}

// ---- refusals ----

#[test]
fn wrong_item_counts_are_refused_with_a_sentence() {
    let e = score(MeasureKind::Epds, Entry::before_it_was_recorded(MeasureKind::Epds), &[0; 9]).unwrap_err();
    assert_eq!(
        e,
        MeasureError::WrongItemCount {
            kind: MeasureKind::Epds,
            expected: 10,
            got: 9
        }
    );
    assert_eq!(e.to_string(), "EPDS needs 10 item scores; 9 were given.");

    let e = score(MeasureKind::Phq9, Entry::before_it_was_recorded(MeasureKind::Phq9), &[0]).unwrap_err();
    assert_eq!(e.to_string(), "PHQ-9 needs 9 item scores; 1 was given.");

    let e = score(MeasureKind::Gad7, Entry::before_it_was_recorded(MeasureKind::Gad7), &[]).unwrap_err();
    assert_eq!(e.to_string(), "GAD-7 needs 7 item scores; 0 were given.");

    let e = score(MeasureKind::Core10, Entry::before_it_was_recorded(MeasureKind::Core10), &[0; 11]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "CORE-10 needs 10 item scores; 11 were given."
    );
}

#[test]
fn out_of_range_items_are_refused_naming_the_item() {
    let e = score(MeasureKind::Epds, Entry::before_it_was_recorded(MeasureKind::Epds), &[0, 0, 0, 5, 0, 0, 0, 0, 0, 0]).unwrap_err();
    assert_eq!(
        e,
        MeasureError::ItemOutOfRange {
            kind: MeasureKind::Epds,
            item: 4,
            value: 5,
            max: 3
        }
    );
    assert_eq!(e.to_string(), "EPDS item 4 is 5, but items score 0 to 3.");

    // 4 is fine on CORE-10 but not on PHQ-9.
    assert!(score(MeasureKind::Core10, Entry::before_it_was_recorded(MeasureKind::Core10), &[4; 10]).is_ok());
    let e = score(MeasureKind::Phq9, Entry::before_it_was_recorded(MeasureKind::Phq9), &[0, 0, 0, 0, 0, 0, 0, 0, 4]).unwrap_err();
    assert_eq!(e.to_string(), "PHQ-9 item 9 is 4, but items score 0 to 3.");

    let e = score(MeasureKind::Core10, Entry::before_it_was_recorded(MeasureKind::Core10), &[0, 5, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "CORE-10 item 2 is 5, but items score 0 to 4."
    );

    // The first bad item is the one reported.
    let e = score(MeasureKind::Gad7, Entry::before_it_was_recorded(MeasureKind::Gad7), &[0, 9, 0, 7, 0, 0, 0]).unwrap_err();
    assert!(matches!(
        e,
        MeasureError::ItemOutOfRange {
            item: 2,
            value: 9,
            ..
        }
    ));
}

#[test]
fn gbo_is_not_item_scored() {
    let e = score(MeasureKind::Gbo, Entry::before_it_was_recorded(MeasureKind::Gbo), &[5, 6]).unwrap_err();
    assert_eq!(
        e,
        MeasureError::NotItemScored {
            kind: MeasureKind::Gbo
        }
    );
    assert_eq!(
        e.to_string(),
        "GBO has no item scores to add up; record each goal and its score instead."
    );
}

// ---- band tables ----

#[test]
fn band_tables_cover_every_total_without_gaps() {
    for kind in MeasureKind::QUESTIONNAIRES {
        let table = bands(kind);
        assert_eq!(table.first().unwrap().min, 0, "{kind}");
        assert_eq!(
            table.last().unwrap().max,
            max_total(kind).unwrap(),
            "{kind}"
        );
        for (i, pair) in table.windows(2).enumerate() {
            assert_eq!(
                pair[0].max + 1,
                pair[1].min,
                "{kind} bands {i} and {}",
                i + 1
            );
            assert_eq!(pair[0].band.level + 1, pair[1].band.level, "{kind}");
        }
    }
    assert!(bands(MeasureKind::Gbo).is_empty());
    assert_eq!(band_for(MeasureKind::Phq9, 28), None);
    assert_eq!(
        band_for(MeasureKind::Epds, 13).unwrap().label,
        "Probable depression"
    );
}

// ---- change ----

fn scored(kind: MeasureKind, items: &[u8]) -> Scored {
    score(kind, Entry::before_it_was_recorded(kind), items).unwrap()
}

#[test]
fn phq9_reliable_improvement_and_band_drop() {
    let before = scored(MeasureKind::Phq9, &[2, 2, 2, 2, 2, 2, 2, 2, 0]); // 16 moderately severe
    let after = scored(MeasureKind::Phq9, &[1, 1, 1, 1, 1, 1, 1, 1, 0]); // 8 mild
    let c = change(MeasureKind::Phq9, &before, &after).unwrap();
    assert_eq!((c.earlier_total, c.later_total, c.difference), (16, 8, -8));
    assert_eq!(c.earlier_band.label, "Moderately severe");
    assert_eq!(c.later_band.label, "Mild");
    assert_eq!(c.band_movement, ChangeDirection::Better);
    assert_eq!(c.reliable_change_threshold, 6);
    assert_eq!(c.reliable, ChangeDirection::Better);
}

#[test]
fn crossing_a_band_edge_by_one_point_is_not_reliable() {
    let before = scored(MeasureKind::Epds, &[2, 2, 2, 2, 2, 3, 0, 0, 0, 0]); // 13 probable
    let after = scored(MeasureKind::Epds, &[2, 2, 2, 2, 2, 2, 0, 0, 0, 0]); // 12 possible
    let c = change(MeasureKind::Epds, &before, &after).unwrap();
    assert_eq!(c.difference, -1);
    assert_eq!(c.band_movement, ChangeDirection::Better);
    assert_eq!(c.reliable, ChangeDirection::Same);
}

#[test]
fn worsening_and_no_change() {
    let low = scored(MeasureKind::Gad7, &[0, 0, 0, 0, 0, 0, 1]); // 1 minimal
    let high = scored(MeasureKind::Gad7, &[1, 1, 1, 1, 1, 0, 1]); // 6 mild
    let c = change(MeasureKind::Gad7, &low, &high).unwrap();
    assert_eq!(c.difference, 5);
    assert_eq!(c.band_movement, ChangeDirection::Worse);
    assert_eq!(
        c.reliable,
        ChangeDirection::Worse,
        "GAD-7 reliable change is 4"
    );

    let c = change(MeasureKind::Gad7, &high, &high).unwrap();
    assert_eq!(
        (c.difference, c.band_movement, c.reliable),
        (0, ChangeDirection::Same, ChangeDirection::Same)
    );
}

#[test]
fn core10_change_uses_reversed_totals() {
    let before = scored(MeasureKind::Core10, &[3, 0, 0, 3, 3, 0, 3, 3, 3, 2]); // 28 severe
    let after = scored(MeasureKind::Core10, &[1, 3, 3, 1, 1, 0, 2, 1, 1, 1]); // 10 low level
    let c = change(MeasureKind::Core10, &before, &after).unwrap();
    assert_eq!(
        (c.earlier_total, c.later_total, c.difference),
        (28, 10, -18)
    );
    assert_eq!(c.later_band.label, "Low level");
    assert_eq!(c.reliable, ChangeDirection::Better);
}

#[test]
fn change_refuses_mixed_measures_and_rescores_stored_records() {
    let phq = scored(MeasureKind::Phq9, &[1; 9]);
    let gad = scored(MeasureKind::Gad7, &[1; 7]);
    let e = change(MeasureKind::Phq9, &phq, &gad).unwrap_err();
    assert_eq!(
        e.to_string(),
        "A PHQ-9 cannot be compared with a GAD-7; compare scores from the same measure."
    );
    assert!(change(MeasureKind::Gad7, &phq, &phq).is_err());

    // A stored record whose total was tampered with is re-derived from its responses.
    let mut forged = phq.clone();
    forged.total = 0;
    let c = change(MeasureKind::Phq9, &forged, &phq).unwrap();
    assert_eq!(c.earlier_total, 9);

    // And one whose responses are impossible is refused.
    let mut broken = phq.clone();
    broken.items[0] = 7;
    assert!(matches!(
        change(MeasureKind::Phq9, &broken, &phq),
        Err(MeasureError::ItemOutOfRange {
            item: 1,
            value: 7,
            ..
        })
    ));
}

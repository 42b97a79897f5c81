//! Every answer a clinician can tick, against the published scoring written out here a second
//! time, independently of the crate's tables: the score of each answer by its place on the printed
//! form, the bands and the risk items. Exhaustive where the space is small (every answer pattern of
//! GAD-7, PHQ-9 and EPDS); CORE-10's 9.8 million patterns are covered item by item and by sampling.

use casebook_measures::{score, score_so_far, Entry, MeasureKind};
use proptest::prelude::*;

/// What answer `answer` (0 = the first printed) of item `item` scores on the published form.
fn published_score(kind: MeasureKind, item: u8, answer: u8) -> u8 {
    match kind {
        // Not at all / Several days / More than half the days / Nearly every day: 0, 1, 2, 3.
        MeasureKind::Phq9 | MeasureKind::Gad7 => answer,
        // Cox, Holden & Sagovsky (1987): items 1, 2 and 4 score 0–3 from the top box down; items 3
        // and 5–10 are reverse scored, the top box scoring 3 and the bottom box 0.
        MeasureKind::Epds => match item {
            1 | 2 | 4 => answer,
            _ => 3 - answer,
        },
        // Barkham et al. (2013): items 2 and 3 are positively worded and scored 4 − answer.
        MeasureKind::Core10 => match item {
            2 | 3 => 4 - answer,
            _ => answer,
        },
        MeasureKind::Gbo => unreachable!("GBO has no items to total"),
    }
}

fn published_band(kind: MeasureKind, total: u8) -> &'static str {
    match kind {
        MeasureKind::Phq9 => ["Minimal", "Mild", "Moderate", "Moderately severe", "Severe"][match total {
            0..=4 => 0,
            5..=9 => 1,
            10..=14 => 2,
            15..=19 => 3,
            _ => 4,
        }],
        MeasureKind::Gad7 => ["Minimal", "Mild", "Moderate", "Severe"][match total {
            0..=4 => 0,
            5..=9 => 1,
            10..=14 => 2,
            _ => 3,
        }],
        MeasureKind::Epds => match total {
            0..=9 => "Below the usual threshold",
            10..=12 => "Possible depression",
            _ => "Probable depression",
        },
        MeasureKind::Core10 => match total {
            0..=5 => "Healthy",
            6..=10 => "Low level",
            11..=14 => "Mild",
            15..=19 => "Moderate",
            20..=24 => "Moderate to severe",
            _ => "Severe",
        },
        MeasureKind::Gbo => unreachable!(),
    }
}

fn risk_item(kind: MeasureKind) -> Option<u8> {
    match kind {
        MeasureKind::Phq9 => Some(9),
        MeasureKind::Epds => Some(10),
        MeasureKind::Core10 => Some(6),
        _ => None,
    }
}

fn shape(kind: MeasureKind) -> (usize, u8) {
    match kind {
        MeasureKind::Phq9 => (9, 4),
        MeasureKind::Gad7 => (7, 4),
        MeasureKind::Epds => (10, 4),
        MeasureKind::Core10 => (10, 5),
        MeasureKind::Gbo => unreachable!(),
    }
}

/// Checks one pattern of answers ticked against the published scoring.
fn agrees(kind: MeasureKind, answers: &[u8]) -> Result<(), String> {
    let s = score(kind, Entry::Answers, answers).map_err(|e| e.to_string())?;
    let scores: Vec<u8> = answers.iter().zip(1u8..).map(|(&a, n)| published_score(kind, n, a)).collect();
    let total: u8 = scores.iter().sum();
    let flagged = risk_item(kind).filter(|&n| scores[usize::from(n) - 1] >= 1);
    let got_flag = s.risk_flags.first().map(|f| f.item);
    if s.item_scores != scores || s.total != total || s.band.label != published_band(kind, total) || got_flag != flagged {
        return Err(format!(
            "{kind} answers {answers:?}: got scores {:?} total {} {} flag {got_flag:?}; published {scores:?} total {total} {} flag {flagged:?}",
            s.item_scores,
            s.total,
            s.band.label,
            published_band(kind, total)
        ));
    }
    if s.items != answers || s.entered_as != Entry::Answers {
        return Err(format!("{kind}: what was entered is not kept as entered"));
    }
    Ok(())
}

/// Every pattern of `items` answers with `choices` each, in turn.
fn every_pattern(items: usize, choices: u8, mut check: impl FnMut(&[u8])) {
    let mut answers = vec![0u8; items];
    loop {
        check(&answers);
        let mut i = 0;
        loop {
            if i == items {
                return;
            }
            answers[i] += 1;
            if answers[i] < choices {
                break;
            }
            answers[i] = 0;
            i += 1;
        }
    }
}

#[test]
fn every_answer_pattern_of_gad7_phq9_and_epds_scores_as_published() {
    for kind in [MeasureKind::Gad7, MeasureKind::Phq9, MeasureKind::Epds] {
        let (items, choices) = shape(kind);
        let mut patterns = 0u32;
        every_pattern(items, choices, |answers| {
            patterns += 1;
            if let Err(e) = agrees(kind, answers) {
                panic!("{e}");
            }
        });
        assert_eq!(patterns, u32::from(choices).pow(items as u32), "{kind}");
    }
}

#[test]
fn every_answer_of_every_item_scores_as_published() {
    for kind in MeasureKind::QUESTIONNAIRES {
        let (items, choices) = shape(kind);
        for item in 1..=items as u8 {
            for answer in 0..choices {
                // This answer on this item, the first answer everywhere else.
                let mut answers = vec![0u8; items];
                answers[usize::from(item) - 1] = answer;
                agrees(kind, &answers).unwrap();
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]
    #[test]
    fn core10_answer_patterns_score_as_published(answers in proptest::collection::vec(0u8..5, 10)) {
        prop_assert_eq!(agrees(MeasureKind::Core10, &answers), Ok(()));
    }

    /// A form scored on paper, copied as scores: the total is the scores' sum, the flag follows
    /// the risk item's score, and the same form ticked as answers gives the same result.
    #[test]
    fn scores_copied_from_a_scored_form_agree_with_the_answers_ticked(
        kind in prop_oneof![Just(MeasureKind::Phq9), Just(MeasureKind::Gad7), Just(MeasureKind::Epds), Just(MeasureKind::Core10)],
        seed in proptest::collection::vec(0u8..5, 10),
    ) {
        let (items, choices) = shape(kind);
        let answers: Vec<u8> = seed.iter().take(items).map(|a| a % choices).collect();
        let ticked = score(kind, Entry::Answers, &answers).unwrap();
        let copied = score(kind, Entry::Scores, &ticked.item_scores).unwrap();
        prop_assert_eq!(
            (copied.total, &copied.band, &copied.risk_flags, &copied.item_scores),
            (ticked.total, &ticked.band, &ticked.risk_flags, &ticked.item_scores)
        );
        prop_assert_eq!(copied.items, ticked.item_scores);
    }
}

/// The case the clinical review found: a mother ticked the first box on every EPDS item. Entered
/// as ticked, that is 21 (probable depression) and item 10's first box ("Yes, quite often") is a
/// self-harm risk, which must be raised.
#[test]
fn the_first_box_on_every_epds_item_is_probable_depression_with_a_risk_prompt() {
    let s = score(MeasureKind::Epds, Entry::Answers, &[0; 10]).unwrap();
    assert_eq!((s.total, s.band.label.as_str()), (21, "Probable depression"));
    assert_eq!(s.item_scores, [0, 0, 3, 0, 3, 3, 3, 3, 3, 3]);
    assert_eq!((s.risk_flags[0].item, s.risk_flags[0].value), (10, 3));
    assert!(s.risk_flags[0].message.contains("thoughts of harming themselves"), "{}", s.risk_flags[0].message);
    // And as it is ticked, one item at a time: the prompt shows as soon as item 10 is ticked.
    let mut so_far = [None; 10];
    so_far[9] = Some(0);
    let part = score_so_far(MeasureKind::Epds, Entry::Answers, &so_far).unwrap();
    assert_eq!((part.total_so_far, part.risk_flags.len()), (3, 1));
    // The last box on item 10 ("Never") scores 0 and raises nothing.
    so_far[9] = Some(3);
    assert!(score_so_far(MeasureKind::Epds, Entry::Answers, &so_far).unwrap().risk_flags.is_empty());
}

/// Records made before entries said how they were entered keep their meaning: EPDS numbers were
/// item scores, CORE-10's the answers ticked.
#[test]
fn records_from_before_keep_their_meaning() {
    assert_eq!(Entry::before_it_was_recorded(MeasureKind::Epds), Entry::Scores);
    let epds = score(MeasureKind::Epds, Entry::before_it_was_recorded(MeasureKind::Epds), &[0; 10]).unwrap();
    assert_eq!((epds.total, epds.risk_flags.len()), (0, 0));
    let core = score(MeasureKind::Core10, Entry::before_it_was_recorded(MeasureKind::Core10), &[0; 10]).unwrap();
    assert_eq!(core.total, 8, "CORE-10 items 2 and 3 were reversed by Casebook then too");
}

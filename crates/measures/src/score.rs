//! Totals, severity bands, risk flags and change for the four questionnaires.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::entry::Entry;
use crate::error::MeasureError;
use crate::kind::MeasureKind;
use crate::spec::{spec, Spec};

/// A severity band as shown to the clinician.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Band {
    pub label: String,
    /// 0 is the lowest band (below any threshold); higher is more severe. The top level differs
    /// by measure (PHQ-9 4, GAD-7 3, EPDS 2, CORE-10 5), so compare levels only within a measure.
    pub level: u8,
}

/// A band with the totals it covers, so a UI or report can print the scale beside a score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct BandRange {
    pub min: u8,
    pub max: u8,
    pub band: Band,
}

/// An answer that must be acted on whatever the total says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RiskFlag {
    /// 1-based item number on the form.
    pub item: u8,
    /// That item's score (after any reversal): the flag follows the score, never the position of
    /// the answer ticked.
    pub value: u8,
    pub message: String,
}

/// A scored questionnaire. The responses are kept as entered so the score can be re-derived and
/// checked later (for example after a change to a band table) without trusting the stored total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Scored {
    pub kind: MeasureKind,
    /// The numbers as entered, before any reversal.
    pub items: Vec<u8>,
    /// What those numbers are: the answers ticked, or item scores copied from a scored form.
    pub entered_as: Entry,
    /// Each item's score, as it counts towards the total (reversed items reversed).
    pub item_scores: Vec<u8>,
    pub total: u8,
    pub max: u8,
    pub band: Band,
    pub risk_flags: Vec<RiskFlag>,
}

/// Which way something moved. For the questionnaires a lower score is better; for GBO a higher one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ChangeDirection {
    Better,
    Same,
    Worse,
}

/// How a questionnaire moved between two administrations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Change {
    pub kind: MeasureKind,
    pub earlier_total: u8,
    pub later_total: u8,
    /// Later minus earlier, so a negative number is a fall in symptoms (an improvement).
    pub difference: i16,
    pub earlier_band: Band,
    pub later_band: Band,
    /// Whether the severity band moved, and which way.
    pub band_movement: ChangeDirection,
    /// The change in total needed before it is unlikely to be measurement error.
    pub reliable_change_threshold: u8,
    /// `Same` unless the total moved by at least the threshold: a band change on its own can be
    /// a one-point wobble across an edge, and should not be reported as improvement.
    pub reliable: ChangeDirection,
}

fn questionnaire(kind: MeasureKind) -> Result<&'static Spec, MeasureError> {
    spec(kind).ok_or(MeasureError::NotItemScored { kind })
}

/// The band for a total that is already known to be in range.
fn band_of(s: &Spec, total: u8) -> Band {
    let (level, b) = s
        .bands
        .iter()
        .enumerate()
        .find(|(_, b)| (b.min..=b.max).contains(&total))
        .expect("bands cover every total from 0 to the maximum");
    Band {
        label: b.label.to_string(),
        level: level as u8,
    }
}

/// The severity bands of a questionnaire, least severe first. Empty for GBO.
pub fn bands(kind: MeasureKind) -> Vec<BandRange> {
    spec(kind)
        .map(|s| {
            s.bands
                .iter()
                .enumerate()
                .map(|(level, b)| BandRange {
                    min: b.min,
                    max: b.max,
                    band: Band {
                        label: b.label.to_string(),
                        level: level as u8,
                    },
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The band a total falls in, or `None` if the total is impossible for the measure (or GBO).
pub fn band_for(kind: MeasureKind, total: u8) -> Option<Band> {
    let s = spec(kind)?;
    (total <= s.max_total()).then(|| band_of(s, total))
}

/// Validates and scores one administration of a questionnaire.
///
/// `items` are in form order, `entered_as` says what they are: with [`Entry::Answers`] each is the
/// answer ticked, counted in the order the answers are printed (0 = the first), and the measure's
/// reversed items (EPDS 3 and 5–10, CORE-10 2–3) are reversed here; with [`Entry::Scores`] each is
/// the item's score from a form already scored on paper. Risk flags follow the item's score,
/// whatever the total, because a low total must never hide a risk answer.
pub fn score(kind: MeasureKind, entered_as: Entry, items: &[u8]) -> Result<Scored, MeasureError> {
    let s = questionnaire(kind)?;
    checked(kind, s, items.iter().copied().map(Some))?;
    let item_scores: Vec<u8> = items.iter().zip(1u8..).map(|(&v, n)| item_score(s, entered_as, n, v)).collect();
    let total: u8 = item_scores.iter().sum();
    let risk_flags = risk_flag(kind, s, |n| Some(item_scores[usize::from(n) - 1])).into_iter().collect();

    Ok(Scored {
        kind,
        items: items.to_vec(),
        entered_as,
        item_scores,
        total,
        max: s.max_total(),
        band: band_of(s, total),
        risk_flags,
    })
}

/// The checks every set of answers passes before it is scored, complete or not: the form's
/// number of items, each within range (`None`: not answered yet).
fn checked(kind: MeasureKind, s: &Spec, answers: impl ExactSizeIterator<Item = Option<u8>>) -> Result<(), MeasureError> {
    if answers.len() != usize::from(s.items) {
        return Err(MeasureError::WrongItemCount {
            kind,
            expected: s.items.into(),
            got: answers.len(),
        });
    }
    for (i, value) in answers.enumerate() {
        if let Some(value) = value.filter(|&v| v > s.item_max) {
            return Err(MeasureError::ItemOutOfRange {
                kind,
                item: i as u8 + 1,
                value,
                max: s.item_max,
            });
        }
    }
    Ok(())
}

/// What item `n`'s number adds to the total: an answer ticked counts from the other end on a
/// reversed item; a score copied from a scored form counts as it is.
fn item_score(s: &Spec, entered_as: Entry, n: u8, value: u8) -> u8 {
    match entered_as {
        Entry::Answers if s.reversed.contains(&n) => s.item_max - value,
        Entry::Answers | Entry::Scores => value,
    }
}

/// The score each answer of item `n` earns, in the order the answers are printed.
pub(crate) fn scores_of_answers(s: &Spec, n: u8) -> Vec<u8> {
    (0..=s.item_max).map(|answer| item_score(s, Entry::Answers, n, answer)).collect()
}

/// The risk item's flag when its score is above zero (`score_of` gives an item's score).
fn risk_flag(kind: MeasureKind, s: &Spec, score_of: impl Fn(u8) -> Option<u8>) -> Option<RiskFlag> {
    let n = s.risk_item?;
    let value = score_of(n)?;
    (value >= 1).then(|| RiskFlag {
        item: n,
        value,
        message: format!(
            "{} item {n} scored {value}: the parent reports {}. Follow the service's risk procedure \
             and crisis route.",
            kind.label(),
            s.risk_meaning
        ),
    })
}

/// A questionnaire part-way through, as the clinician fills it in with the parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SoFar {
    pub kind: MeasureKind,
    pub answered: u8,
    pub items: u8,
    /// The total of the answered items (reversed items reversed), out of `max`.
    pub total_so_far: u8,
    pub max: u8,
    /// The risk item's flag as soon as it is answered above zero, whatever else is unanswered:
    /// that is the moment the clinician needs the crisis route, not after the last item.
    pub risk_flags: Vec<RiskFlag>,
    /// The full score once every item is answered.
    pub scored: Option<Scored>,
}

/// Scores what is answered so far (`None` = not answered yet), entered as `entered_as`. The same
/// checks as [`score`]: the right number of items, each within range.
pub fn score_so_far(kind: MeasureKind, entered_as: Entry, answers: &[Option<u8>]) -> Result<SoFar, MeasureError> {
    let s = questionnaire(kind)?;
    checked(kind, s, answers.iter().copied())?;
    let scores: Vec<Option<u8>> = answers.iter().zip(1u8..).map(|(a, n)| a.map(|v| item_score(s, entered_as, n, v))).collect();
    let total_so_far = scores.iter().flatten().sum();
    let scored = match answers.iter().copied().collect::<Option<Vec<u8>>>() {
        Some(items) => Some(score(kind, entered_as, &items)?),
        None => None,
    };
    Ok(SoFar {
        kind,
        answered: answers.iter().filter(|a| a.is_some()).count() as u8,
        items: s.items,
        total_so_far,
        max: s.max_total(),
        risk_flags: risk_flag(kind, s, |n| scores[usize::from(n) - 1]).into_iter().collect(),
        scored,
    })
}

fn direction_lower_is_better(earlier: i16, later: i16) -> ChangeDirection {
    match later.cmp(&earlier) {
        std::cmp::Ordering::Less => ChangeDirection::Better,
        std::cmp::Ordering::Equal => ChangeDirection::Same,
        std::cmp::Ordering::Greater => ChangeDirection::Worse,
    }
}

/// How a questionnaire moved from `earlier` to `later`.
///
/// Both records are re-scored from their stored responses rather than trusting their totals,
/// because a `Scored` may have come back from storage or another device. It is an error to
/// compare two different measures, or either with `kind` differing from the records.
pub fn change(kind: MeasureKind, earlier: &Scored, later: &Scored) -> Result<Change, MeasureError> {
    if earlier.kind != later.kind {
        return Err(MeasureError::DifferentMeasures {
            earlier: earlier.kind,
            later: later.kind,
        });
    }
    if earlier.kind != kind {
        return Err(MeasureError::DifferentMeasures {
            earlier: kind,
            later: earlier.kind,
        });
    }
    let s = questionnaire(kind)?;
    let before = score(kind, earlier.entered_as, &earlier.items)?;
    let after = score(kind, later.entered_as, &later.items)?;

    let difference = i16::from(after.total) - i16::from(before.total);
    let reliable = if difference.unsigned_abs() >= u16::from(s.reliable_change) {
        direction_lower_is_better(before.total.into(), after.total.into())
    } else {
        ChangeDirection::Same
    };
    Ok(Change {
        kind,
        earlier_total: before.total,
        later_total: after.total,
        difference,
        band_movement: direction_lower_is_better(before.band.level.into(), after.band.level.into()),
        earlier_band: before.band,
        later_band: after.band,
        reliable_change_threshold: s.reliable_change,
        reliable,
    })
}

/// The change in total a questionnaire needs before it counts as reliable. `None` for GBO, whose
/// threshold is per goal (see [`crate::GOAL_RELIABLE_CHANGE`]).
pub fn reliable_change_threshold(kind: MeasureKind) -> Option<u8> {
    spec(kind).map(|s| s.reliable_change)
}

/// The highest possible total. `None` for GBO.
pub fn max_total(kind: MeasureKind) -> Option<u8> {
    spec(kind).map(Spec::max_total)
}

/// How many item scores the questionnaire takes. `None` for GBO.
pub fn item_count(kind: MeasureKind) -> Option<usize> {
    spec(kind).map(|s| s.items.into())
}

//! What a UI needs to draw a blank form for each measure.
//!
//! Item wording is shipped only where it is in the public domain (PHQ-9 and GAD-7). The EPDS and
//! CORE-10 wording is copyright, so those items are labelled by number. On every form the
//! clinician ticks the answer the parent ticked, in the order the answers are printed, and sees
//! the score it earns.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::goals::{GOAL_MAX_SCORE, MAX_GOALS};
use crate::kind::MeasureKind;
use crate::score::{bands, scores_of_answers, BandRange};
use crate::spec::spec;

/// One row of a form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ItemInfo {
    /// 1-based, matching the numbering on the paper form.
    pub number: u8,
    /// "Item 4", or "Goal 2" for GBO: what to call the row when there is no text to show.
    pub label: String,
    /// The item wording, only where it is public domain.
    pub text: Option<String>,
    pub min: u8,
    pub max: u8,
    /// A non-zero answer raises a risk flag, so the UI can draw attention to the row as it is
    /// filled in rather than only after saving.
    pub is_risk_item: bool,
    /// The answers are printed from the highest score to the lowest (EPDS items 3 and 5–10,
    /// CORE-10 items 2 and 3): Casebook reverses them, so the UI must not.
    pub reverse_scored: bool,
    /// The score each answer earns, in the order the answers are printed (empty for GBO, where
    /// the number chosen is the score).
    pub scores: Vec<u8>,
}

/// One answer a respondent can give, in the order the answers are printed: `value` is its
/// position (0 = the first printed), which is what is recorded; what it scores is the item's
/// (`ItemInfo::scores`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ResponseOption {
    pub value: u8,
    /// The answer's wording, or for EPDS (whose wording differs by item and is copyright) its
    /// place on the form ("First box"); `None` where only the ends of a scale are anchored (GBO 1–9).
    pub label: Option<String>,
}

/// Everything needed to render a blank form for one measure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Form {
    pub kind: MeasureKind,
    pub label: String,
    pub full_name: String,
    /// The question every item answers, where it is public domain.
    pub stem: Option<String>,
    pub responses: Vec<ResponseOption>,
    pub items: Vec<ItemInfo>,
    /// Guidance for the clinician entering scores, e.g. where the wording has to come from.
    pub note: Option<String>,
    /// The severity bands with the totals each covers, lowest first (empty for GBO), so a chart
    /// can shade them behind the totals.
    pub bands: Vec<BandRange>,
}

const PHQ9_STEM: &str =
    "Over the last 2 weeks, how often have you been bothered by any of the following problems?";
const GAD7_STEM: &str =
    "Over the last 2 weeks, how often have you been bothered by the following problems?";

const PHQ9_ITEMS: [&str; 9] = [
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
];

const GAD7_ITEMS: [&str; 7] = [
    "Feeling nervous, anxious or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid as if something awful might happen",
];

const PHQ_RESPONSES: [&str; 4] = [
    "Not at all",
    "Several days",
    "More than half the days",
    "Nearly every day",
];

/// EPDS answers by their place on the printed form: the wording differs by item and is copyright.
const EPDS_BOXES: [&str; 4] = ["First box", "Second box", "Third box", "Fourth box"];

const CORE10_RESPONSES: [&str; 5] = [
    "Not at all",
    "Only occasionally",
    "Sometimes",
    "Often",
    "Most or all of the time",
];

/// The public-domain wording of an item, if any.
fn item_text(kind: MeasureKind, number: u8) -> Option<&'static str> {
    let i = usize::from(number).checked_sub(1)?;
    match kind {
        MeasureKind::Phq9 => PHQ9_ITEMS.get(i).copied(),
        MeasureKind::Gad7 => GAD7_ITEMS.get(i).copied(),
        _ => None,
    }
}

/// The question every item answers, where its wording is public domain.
pub fn stem(kind: MeasureKind) -> Option<&'static str> {
    match kind {
        MeasureKind::Phq9 => Some(PHQ9_STEM),
        MeasureKind::Gad7 => Some(GAD7_STEM),
        _ => None,
    }
}

/// The rows of the form. For GBO, one row per goal slot (up to three).
pub fn items(kind: MeasureKind) -> Vec<ItemInfo> {
    match spec(kind) {
        Some(s) => (1..=s.items)
            .map(|n| ItemInfo {
                number: n,
                label: format!("Item {n}"),
                text: item_text(kind, n).map(str::to_string),
                min: 0,
                max: s.item_max,
                is_risk_item: s.risk_item == Some(n),
                reverse_scored: s.reversed.contains(&n),
                scores: scores_of_answers(s, n),
            })
            .collect(),
        None => (1..=MAX_GOALS as u8)
            .map(|n| ItemInfo {
                number: n,
                label: format!("Goal {n}"),
                text: None,
                min: 0,
                max: GOAL_MAX_SCORE,
                is_risk_item: false,
                reverse_scored: false,
                scores: Vec::new(),
            })
            .collect(),
    }
}

/// The answers offered for every item, with the number to enter for each.
pub fn responses(kind: MeasureKind) -> Vec<ResponseOption> {
    let labelled = |labels: &[&str]| {
        labels
            .iter()
            .zip(0u8..)
            .map(|(l, value)| ResponseOption {
                value,
                label: Some((*l).to_string()),
            })
            .collect()
    };
    match kind {
        MeasureKind::Phq9 | MeasureKind::Gad7 => labelled(&PHQ_RESPONSES),
        MeasureKind::Core10 => labelled(&CORE10_RESPONSES),
        MeasureKind::Epds => labelled(&EPDS_BOXES),
        MeasureKind::Gbo => (0..=GOAL_MAX_SCORE)
            .map(|value| ResponseOption {
                value,
                label: match value {
                    0 => Some("Goal not met at all".to_string()),
                    GOAL_MAX_SCORE => Some("Goal reached".to_string()),
                    _ => None,
                },
            })
            .collect(),
    }
}

fn note(kind: MeasureKind) -> Option<&'static str> {
    match kind {
        MeasureKind::Phq9 | MeasureKind::Gad7 => None,
        MeasureKind::Epds => Some(
            "For each item, tick the box the parent ticked, counting from the top of the printed \
             form (first box to fourth box). Casebook scores it: items 3 and 5 to 10 are printed \
             highest score first, and the score each box earns is shown beside it.",
        ),
        MeasureKind::Core10 => Some(
            "Tick each answer as the parent ticked it, including items 2 and 3. Items 2 and 3 are \
             worded positively, so Casebook scores them in reverse; the score each answer earns is \
             shown beside it.",
        ),
        MeasureKind::Gbo => Some(
            "Agree up to three goals with the parent and score progress towards each from 0 to 10.",
        ),
    }
}

/// Everything needed to draw a blank form for `kind`.
pub fn form(kind: MeasureKind) -> Form {
    Form {
        kind,
        label: kind.label().to_string(),
        full_name: kind.full_name().to_string(),
        stem: stem(kind).map(str::to_string),
        responses: responses(kind),
        items: items(kind),
        note: note(kind).map(str::to_string),
        bands: bands(kind),
    }
}

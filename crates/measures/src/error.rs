//! Why a set of scores could not be accepted.
//!
//! Every message is a sentence a clinician can act on at the point of entry, so the UI can show it
//! as it stands rather than translating codes.

use thiserror::Error;

use crate::kind::MeasureKind;

/// Why scores were refused. Nothing is ever guessed or clamped: a score that cannot be taken at
/// face value is sent back to the person who entered it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MeasureError {
    #[error("{} needs {expected} item scores; {got} {} given.", kind.label(), was_were(*got))]
    WrongItemCount {
        kind: MeasureKind,
        expected: usize,
        got: usize,
    },

    #[error("{} item {item} is {value}, but items score 0 to {max}.", kind.label())]
    ItemOutOfRange {
        kind: MeasureKind,
        item: u8,
        value: u8,
        max: u8,
    },

    #[error("{} has no item scores to add up; record each goal and its score instead.", kind.label())]
    NotItemScored { kind: MeasureKind },

    #[error("A {} cannot be compared with a {}; compare scores from the same measure.", earlier.label(), later.label())]
    DifferentMeasures {
        earlier: MeasureKind,
        later: MeasureKind,
    },

    #[error(
        "\"{given}\" is not a measure Casebook knows; use one of phq9, gad7, epds, core10 or gbo."
    )]
    UnknownMeasure { given: String },

    #[error("No item scores were entered; enter them separated by commas, like 1,0,2,3.")]
    NoItems,

    #[error(
        "Item {item} is blank; enter a score for every item, separated by commas, like 1,0,2,3."
    )]
    BlankItem { item: usize },

    #[error("Item {item} is \"{piece}\", which is not a score; enter whole numbers separated by commas, like 1,0,2,3.")]
    NotANumber { item: usize, piece: String },

    #[error("Goal Based Outcomes need at least one goal.")]
    NoGoals,

    #[error("Goal Based Outcomes take at most three goals; {got} {} given.", was_were(*got))]
    TooManyGoals { got: usize },

    #[error("Goal {goal} has no description; say in a few words what the parent wants to change.")]
    EmptyGoalDescription { goal: u8 },

    #[error("Goal {goal}'s description is {chars} characters; keep it to {max} or fewer.")]
    GoalDescriptionTooLong { goal: u8, chars: usize, max: usize },

    #[error("Goal {goal} is scored {value}, but goals score 0 to 10.")]
    GoalScoreOutOfRange { goal: u8, value: u8 },

    #[error("The earlier record has {earlier} goal{} and the later one has {later}; goals can only be compared one for one.", plural(*earlier))]
    GoalCountChanged { earlier: usize, later: usize },
}

fn was_were(n: usize) -> &'static str {
    if n == 1 {
        "was"
    } else {
        "were"
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

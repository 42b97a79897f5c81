//! How a questionnaire's answers were entered: one convention for every measure, said out loud.
//!
//! A clinician records **which answer was ticked** on each item, counting in the order the
//! answers are printed on the paper form (0 = the first answer printed); Casebook applies the
//! measure's own scoring (EPDS items 3 and 5–10 and CORE-10 items 2–3 count in reverse). Copying
//! a form that has already been scored on paper is the other way in, and is named as such.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::kind::MeasureKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Entry {
    /// Which answer was ticked on each item: 0 for the first answer printed, 1 for the second…
    Answers,
    /// Each item's score, copied from a form already scored on paper.
    Scores,
}

impl Entry {
    /// What the numbers of a record made before records said how they were entered meant: EPDS
    /// took each item's score, CORE-10 the answer as ticked (reversed by Casebook), and for PHQ-9
    /// and GAD-7 the two are the same numbers.
    pub fn before_it_was_recorded(kind: MeasureKind) -> Entry {
        match kind {
            MeasureKind::Epds => Entry::Scores,
            _ => Entry::Answers,
        }
    }

    /// "answers as ticked" / "item scores", for a sentence.
    pub fn label(self) -> &'static str {
        match self {
            Entry::Answers => "answers as ticked",
            Entry::Scores => "item scores",
        }
    }
}

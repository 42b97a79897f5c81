//! Outcome measures: validation, scoring, severity bands and risk flags.
//!
//! Scores feed clinical decisions and risk procedures, so this crate is pure and strict: no I/O,
//! no clock, nothing guessed. Out-of-range or missing answers are refused with a message for the
//! clinician rather than clamped, and a risk answer is flagged whatever the total says.
//!
//! The questionnaires (PHQ-9, GAD-7, EPDS, CORE-10) go through [`score`]; Goal Based Outcomes,
//! which have goals instead of items and no total, go through [`score_goals`]. The cut-offs used
//! and their sources are listed in this crate's README.
//!
//! ```
//! use casebook_measures::{parse_items, score, Entry, MeasureKind};
//!
//! let items = parse_items("1, 1, 1, 1, 1, 1, 1, 1, 0").unwrap();
//! let scored = score(MeasureKind::Phq9, Entry::Answers, &items).unwrap();
//! assert_eq!((scored.total, scored.band.label.as_str()), (8, "Mild"));
//! assert!(scored.risk_flags.is_empty());
//!
//! // The first answer ticked on every EPDS item: items 3 and 5–10 are printed highest score
//! // first, so this is 21, probable depression, and item 10 is a risk answer.
//! let scored = score(MeasureKind::Epds, Entry::Answers, &[0; 10]).unwrap();
//! assert_eq!((scored.total, scored.band.label.as_str()), (21, "Probable depression"));
//! assert_eq!((scored.risk_flags[0].item, scored.risk_flags[0].value), (10, 3));
//! ```

mod entry;
mod error;
mod form;
mod goals;
mod kind;
mod parse;
mod score;
mod spec;

pub use entry::Entry;
pub use error::MeasureError;
pub use form::{form, items, responses, stem, Form, ItemInfo, ResponseOption};
pub use goals::{
    goal_change, score_goals, Goal, GoalChange, GoalsScored, GOAL_DESCRIPTION_MAX_CHARS,
    GOAL_MAX_SCORE, GOAL_RELIABLE_CHANGE, MAX_GOALS,
};
pub use kind::{MeasureKind, TimePoint};
pub use parse::parse_items;
pub use score::{
    band_for, bands, change, item_count, max_total, reliable_change_threshold, score, score_so_far, Band,
    BandRange, Change, ChangeDirection, RiskFlag, Scored, SoFar,
};

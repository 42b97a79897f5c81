//! Which measure a record belongs to, and when in an episode of care it was taken.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::MeasureError;

/// The outcome measures Casebook can score.
///
/// The serialised names (`phq9`, `gad7`, `epds`, `core10`, `gbo`) are stored in events, so they
/// must never change once written; [`MeasureKind::label`] is what people see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum MeasureKind {
    Phq9,
    Gad7,
    Epds,
    Core10,
    Gbo,
}

impl MeasureKind {
    /// Every measure, in the order a picker should offer them.
    pub const ALL: [MeasureKind; 5] = [
        MeasureKind::Phq9,
        MeasureKind::Gad7,
        MeasureKind::Epds,
        MeasureKind::Core10,
        MeasureKind::Gbo,
    ];

    /// The measures that have item scores and a total (everything but GBO).
    pub const QUESTIONNAIRES: [MeasureKind; 4] = [
        MeasureKind::Phq9,
        MeasureKind::Gad7,
        MeasureKind::Epds,
        MeasureKind::Core10,
    ];

    /// The name clinicians know the measure by, as printed on the form.
    pub fn label(self) -> &'static str {
        match self {
            MeasureKind::Phq9 => "PHQ-9",
            MeasureKind::Gad7 => "GAD-7",
            MeasureKind::Epds => "EPDS",
            MeasureKind::Core10 => "CORE-10",
            MeasureKind::Gbo => "GBO",
        }
    }

    /// The stable machine name, as serialised and as accepted by [`FromStr`].
    pub fn name(self) -> &'static str {
        match self {
            MeasureKind::Phq9 => "phq9",
            MeasureKind::Gad7 => "gad7",
            MeasureKind::Epds => "epds",
            MeasureKind::Core10 => "core10",
            MeasureKind::Gbo => "gbo",
        }
    }

    /// The name written out in full, for places with room to explain (reports, tooltips).
    pub fn full_name(self) -> &'static str {
        match self {
            MeasureKind::Phq9 => "Patient Health Questionnaire (PHQ-9)",
            MeasureKind::Gad7 => "Generalised Anxiety Disorder Assessment (GAD-7)",
            MeasureKind::Epds => "Edinburgh Postnatal Depression Scale (EPDS)",
            MeasureKind::Core10 => "Clinical Outcomes in Routine Evaluation (CORE-10)",
            MeasureKind::Gbo => "Goal Based Outcomes (GBO)",
        }
    }

    /// GBO is recorded as goals, not item scores, and has no total.
    pub fn has_total(self) -> bool {
        self != MeasureKind::Gbo
    }
}

impl fmt::Display for MeasureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for MeasureKind {
    type Err = MeasureError;

    /// Accepts the machine names in any case, so a CLI flag or a hand-edited import can say
    /// `PHQ9` or `phq9` alike. The printed labels with hyphens (`PHQ-9`) are accepted too, as
    /// that is what people type.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        MeasureKind::ALL
            .into_iter()
            .find(|k| {
                k.name().eq_ignore_ascii_case(wanted) || k.label().eq_ignore_ascii_case(wanted)
            })
            .ok_or_else(|| MeasureError::UnknownMeasure {
                given: s.to_string(),
            })
    }
}

/// When in an episode of care a measure was taken. Outcomes are reported as baseline against the
/// latest of review or discharge, so the point has to be recorded, not inferred from dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum TimePoint {
    Baseline,
    Review,
    Discharge,
}

impl TimePoint {
    pub const ALL: [TimePoint; 3] = [TimePoint::Baseline, TimePoint::Review, TimePoint::Discharge];

    pub fn label(self) -> &'static str {
        match self {
            TimePoint::Baseline => "Baseline",
            TimePoint::Review => "Review",
            TimePoint::Discharge => "Discharge",
        }
    }
}

impl fmt::Display for TimePoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

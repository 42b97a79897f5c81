//! A risk that cannot be lost from sight: a questionnaire's risk item answered above zero (EPDS
//! item 10, PHQ-9 item 9, CORE-10 item 6) opens a *risk to review* on the case that stays open
//! until a risk review is recorded after it.
//!
//! The prompt shown while a questionnaire is being scored scrolls away once it is saved; a later
//! questionnaire with the item at zero does not mean anyone discussed the earlier answer. Only a
//! risk review says a person has looked at it, so only a risk review closes it. Nothing is stored
//! for the flag itself: it is worked out from the measure and review events, which sync like any
//! other, so every laptop (and the lead) sees the same flag.

use crate::record::{CaseRecord, MeasureEntry, RiskReview};
use casebook_measures::MeasureKind;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

/// One risk answer still waiting for a risk review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RiskAnswer {
    pub measure_id: Uuid,
    pub kind: MeasureKind,
    /// The date the questionnaire was completed.
    pub answered_on: NaiveDate,
    pub item: u8,
    /// The item's score (after any reversal).
    pub value: u8,
    /// What the answer means and what to do, as the questionnaire's rules word it.
    pub message: String,
}

/// The case's open risk to review: every risk answer no risk review has followed yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RiskToReview {
    /// The earliest of the answers: the review has been due since then.
    pub since: NaiveDate,
    /// Oldest first.
    pub answers: Vec<RiskAnswer>,
}

impl RiskToReview {
    /// "EPDS item 10 (score 3) on 3 Dec 2026", each answer joined with "; ".
    pub fn summary(&self) -> String {
        self.answers
            .iter()
            .map(|a| format!("{} item {} (score {}) on {}", a.kind.label(), a.item, a.value, a.answered_on.format("%-d %b %Y")))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Whether `review` was done after the questionnaire: on a later day, or on the same day and
/// written after it (a review done that morning, before the afternoon's questionnaire, did not
/// consider its answer). The days are the clinicians' own dates, not laptop clocks, so a laptop a
/// day wrong cannot close a flag it should not.
fn reviewed_after(review: &RiskReview, measure: &MeasureEntry) -> bool {
    let (reviewed, answered) = (review.details.on, measure.details.administered_on);
    reviewed > answered || (reviewed == answered && review.recorded_at > measure.recorded_at)
}

impl CaseRecord {
    /// The risk answers not yet followed by a risk review, if any. A discharged case keeps its
    /// flag: discharge does not say the risk was looked at.
    pub fn risk_to_review(&self) -> Option<RiskToReview> {
        let mut answers: Vec<RiskAnswer> = Vec::new();
        for m in &self.measures {
            let Some(scored) = m.scored.as_ref().filter(|s| !s.risk_flags.is_empty()) else { continue };
            if self.risk_reviews.iter().any(|r| reviewed_after(r, m)) {
                continue;
            }
            answers.extend(scored.risk_flags.iter().map(|f| RiskAnswer {
                measure_id: m.details.measure_id,
                kind: m.details.kind,
                answered_on: m.details.administered_on,
                item: f.item,
                value: f.value,
                message: f.message.clone(),
            }));
        }
        answers.sort_by_key(|a| (a.answered_on, a.kind, a.item));
        let since = answers.first()?.answered_on;
        Some(RiskToReview { since, answers })
    }
}

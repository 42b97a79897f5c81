//! Goal Based Outcomes (Law, 2011): up to three goals agreed with the parent, each scored 0–10
//! for progress. There is no total, because the goals are the parent's own and adding them up
//! would weigh unlike things together; change is reported goal by goal.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::MeasureError;
use crate::score::ChangeDirection;

/// At most three goals, as the GBO guidance recommends, to keep the work focused.
pub const MAX_GOALS: usize = 3;
/// Long enough for a sentence in the parent's own words, short enough to show on a chart.
pub const GOAL_DESCRIPTION_MAX_CHARS: usize = 200;
pub const GOAL_MAX_SCORE: u8 = 10;
/// The published reliable change index for GBO is 2.45 points (Edbrooke-Childs et al., 2015).
/// Scores are whole numbers, so the smallest change that meets it is 3. The same threshold is
/// applied to a fall, to report reliable deterioration.
pub const GOAL_RELIABLE_CHANGE: u8 = 3;

/// One goal and its progress score at one time point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Goal {
    pub description: String,
    /// 0 = not met at all … 10 = goal reached.
    pub score: u8,
}

/// A validated set of goals, with descriptions trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct GoalsScored {
    pub goals: Vec<Goal>,
}

/// How one goal moved between two time points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct GoalChange {
    /// 1-based position of the goal.
    pub goal: u8,
    /// The description as recorded at the later time point (it may have been reworded).
    pub description: String,
    pub earlier_score: u8,
    pub later_score: u8,
    /// Later minus earlier; positive is progress.
    pub difference: i8,
    /// `Better` when the score rose by at least [`GOAL_RELIABLE_CHANGE`], `Worse` when it fell by
    /// that much, otherwise `Same`.
    pub reliable: ChangeDirection,
}

/// Validates goals as entered and returns them trimmed.
pub fn score_goals(goals: &[Goal]) -> Result<GoalsScored, MeasureError> {
    if goals.is_empty() {
        return Err(MeasureError::NoGoals);
    }
    if goals.len() > MAX_GOALS {
        return Err(MeasureError::TooManyGoals { got: goals.len() });
    }
    let goals = goals
        .iter()
        .zip(1u8..)
        .map(|(g, n)| {
            let description = g.description.trim();
            if description.is_empty() {
                return Err(MeasureError::EmptyGoalDescription { goal: n });
            }
            let chars = description.chars().count();
            if chars > GOAL_DESCRIPTION_MAX_CHARS {
                return Err(MeasureError::GoalDescriptionTooLong {
                    goal: n,
                    chars,
                    max: GOAL_DESCRIPTION_MAX_CHARS,
                });
            }
            if g.score > GOAL_MAX_SCORE {
                return Err(MeasureError::GoalScoreOutOfRange {
                    goal: n,
                    value: g.score,
                });
            }
            Ok(Goal {
                description: description.to_string(),
                score: g.score,
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(GoalsScored { goals })
}

/// Goal-by-goal change, pairing goals by position.
///
/// Goals are matched by position rather than by wording because a description is often
/// reworded at review while remaining the same goal. If the number of goals differs, the sets
/// cannot be paired safely and an error is returned; a new goal starts its own baseline.
/// Both sets are re-validated, since they may have come back from storage.
pub fn goal_change(
    earlier: &GoalsScored,
    later: &GoalsScored,
) -> Result<Vec<GoalChange>, MeasureError> {
    let before = score_goals(&earlier.goals)?;
    let after = score_goals(&later.goals)?;
    if before.goals.len() != after.goals.len() {
        return Err(MeasureError::GoalCountChanged {
            earlier: before.goals.len(),
            later: after.goals.len(),
        });
    }
    Ok(before
        .goals
        .iter()
        .zip(after.goals)
        .zip(1u8..)
        .map(|((b, a), goal)| {
            let difference = a.score as i8 - b.score as i8;
            let reliable = if difference >= GOAL_RELIABLE_CHANGE as i8 {
                ChangeDirection::Better
            } else if difference <= -(GOAL_RELIABLE_CHANGE as i8) {
                ChangeDirection::Worse
            } else {
                ChangeDirection::Same
            };
            GoalChange {
                goal,
                description: a.description,
                earlier_score: b.score,
                later_score: a.score,
                difference,
                reliable,
            }
        })
        .collect())
}

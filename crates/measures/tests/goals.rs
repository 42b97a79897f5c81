//! Goal Based Outcomes: validation and goal-by-goal change.

use casebook_measures::{
    goal_change, score_goals, ChangeDirection, Goal, GoalsScored, MeasureError,
    GOAL_DESCRIPTION_MAX_CHARS,
};

fn goal(description: &str, score: u8) -> Goal {
    Goal {
        description: description.to_string(),
        score,
    }
}

#[test]
fn goals_are_trimmed_and_kept_in_order() {
    let g = score_goals(&[
        goal("  Feel confident bathing Amy  ", 2),
        goal("Sleep more than 4 hours", 0),
    ])
    .unwrap();
    assert_eq!(
        g.goals,
        vec![
            goal("Feel confident bathing Amy", 2),
            goal("Sleep more than 4 hours", 0)
        ]
    );
}

#[test]
fn one_to_three_goals_only() {
    assert_eq!(score_goals(&[]).unwrap_err(), MeasureError::NoGoals);
    assert_eq!(
        score_goals(&[]).unwrap_err().to_string(),
        "Goal Based Outcomes need at least one goal."
    );
    assert!(score_goals(&[goal("a", 0)]).is_ok());
    assert!(score_goals(&[goal("a", 0), goal("b", 1), goal("c", 10)]).is_ok());
    let e = score_goals(&[goal("a", 0), goal("b", 1), goal("c", 2), goal("d", 3)]).unwrap_err();
    assert_eq!(e, MeasureError::TooManyGoals { got: 4 });
    assert_eq!(
        e.to_string(),
        "Goal Based Outcomes take at most three goals; 4 were given."
    );
}

#[test]
fn descriptions_must_be_present_and_short() {
    let e = score_goals(&[goal("a", 0), goal("   ", 3)]).unwrap_err();
    assert_eq!(e, MeasureError::EmptyGoalDescription { goal: 2 });
    assert_eq!(
        e.to_string(),
        "Goal 2 has no description; say in a few words what the parent wants to change."
    );

    // Exactly the limit is fine, counted in characters not bytes (é is two bytes).
    let at_limit = "é".repeat(GOAL_DESCRIPTION_MAX_CHARS);
    assert!(score_goals(&[goal(&at_limit, 5)]).is_ok());
    // Surrounding spaces don't count against it.
    assert!(score_goals(&[goal(&format!("  {at_limit}  "), 5)]).is_ok());

    let over = "x".repeat(GOAL_DESCRIPTION_MAX_CHARS + 1);
    let e = score_goals(&[goal(&over, 5)]).unwrap_err();
    assert_eq!(
        e,
        MeasureError::GoalDescriptionTooLong {
            goal: 1,
            chars: 201,
            max: 200
        }
    );
    assert_eq!(
        e.to_string(),
        "Goal 1's description is 201 characters; keep it to 200 or fewer."
    );
}

#[test]
fn scores_run_zero_to_ten() {
    assert!(score_goals(&[goal("a", 10)]).is_ok());
    let e = score_goals(&[goal("a", 3), goal("b", 11)]).unwrap_err();
    assert_eq!(e, MeasureError::GoalScoreOutOfRange { goal: 2, value: 11 });
    assert_eq!(
        e.to_string(),
        "Goal 2 is scored 11, but goals score 0 to 10."
    );
}

#[test]
fn goal_change_worked_example() {
    let baseline = score_goals(&[
        goal("Feel confident bathing Amy", 2),
        goal("Go to a baby group", 1),
        goal("Feel less on edge at bedtime", 6),
    ])
    .unwrap();
    let review = score_goals(&[
        goal("Feel confident bathing Amy", 5),   // +3: reliable
        goal("Go to a baby group each week", 3), // +2: not reliable, reworded
        goal("Feel less on edge at bedtime", 3), // −3: reliable deterioration
    ])
    .unwrap();
    let c = goal_change(&baseline, &review).unwrap();
    assert_eq!(c.len(), 3);

    assert_eq!(
        (
            c[0].goal,
            c[0].earlier_score,
            c[0].later_score,
            c[0].difference
        ),
        (1, 2, 5, 3)
    );
    assert_eq!(c[0].reliable, ChangeDirection::Better);

    assert_eq!(c[1].difference, 2);
    assert_eq!(c[1].reliable, ChangeDirection::Same);
    assert_eq!(
        c[1].description, "Go to a baby group each week",
        "the later wording is shown"
    );

    assert_eq!(c[2].difference, -3);
    assert_eq!(c[2].reliable, ChangeDirection::Worse);
}

#[test]
fn goal_change_extremes() {
    let a = score_goals(&[goal("x", 0)]).unwrap();
    let b = score_goals(&[goal("x", 10)]).unwrap();
    assert_eq!(goal_change(&a, &b).unwrap()[0].difference, 10);
    assert_eq!(goal_change(&b, &a).unwrap()[0].difference, -10);
    assert_eq!(
        goal_change(&a, &a).unwrap()[0].reliable,
        ChangeDirection::Same
    );
}

#[test]
fn goal_change_needs_matching_goal_counts() {
    let one = score_goals(&[goal("x", 1)]).unwrap();
    let two = score_goals(&[goal("x", 4), goal("y", 2)]).unwrap();
    let e = goal_change(&one, &two).unwrap_err();
    assert_eq!(
        e,
        MeasureError::GoalCountChanged {
            earlier: 1,
            later: 2
        }
    );
    assert_eq!(
        e.to_string(),
        "The earlier record has 1 goal and the later one has 2; goals can only be compared one for one."
    );
}

#[test]
fn goal_change_revalidates_stored_goals() {
    let ok = score_goals(&[goal("x", 1)]).unwrap();
    let stored = GoalsScored {
        goals: vec![goal("x", 12)],
    };
    assert_eq!(
        goal_change(&ok, &stored).unwrap_err(),
        MeasureError::GoalScoreOutOfRange { goal: 1, value: 12 }
    );
}

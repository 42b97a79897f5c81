//! Case supervision: the team's lead (or a supervisor) talks a case through with the clinicians
//! who hold it and writes down what was discussed and what was agreed. It sits in the case's
//! chronology, marked as supervision, and each agreed action becomes a task on the case, so it
//! shows on the clinician's Today like any other task and is ticked off the same way.
//!
//! Only a lead may record it: the central store refuses it from anyone else (see the server's
//! admission), so a laptop cannot put words in a supervisor's mouth.

use crate::event::{not_future, required, ValidationError, MAX_NAME_LEN, MAX_NOTE_LEN, MAX_REASON_LEN};
use crate::record::{TaskAdded, TaskKind};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

/// At most this many agreed actions in one supervision: more is a plan, not a list of actions.
pub const MAX_AGREED_ACTIONS: usize = 10;

/// One action agreed in supervision, which becomes a task on the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AgreedAction {
    /// The id of the task it becomes (so it can be completed like any task).
    pub task_id: Uuid,
    pub title: String,
    pub due_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SupervisionRecorded {
    pub supervision_id: Uuid,
    pub on: NaiveDate,
    /// The clinicians the case was discussed with (usernames or names, as written).
    #[serde(default)]
    pub with: Vec<String>,
    pub discussion: String,
    #[serde(default)]
    pub actions: Vec<AgreedAction>,
}

/// A supervision as the record keeps it, with who recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Supervision {
    pub details: SupervisionRecorded,
    pub by: String,
}

impl SupervisionRecorded {
    /// The tasks the agreed actions become: "Agreed in supervision: …".
    pub fn tasks(&self) -> impl Iterator<Item = TaskAdded> + '_ {
        self.actions.iter().map(|a| TaskAdded {
            task_id: a.task_id,
            kind: TaskKind::Other,
            title: format!("Agreed in supervision: {}", a.title.trim()),
            due_on: a.due_on,
        })
    }
}

pub(crate) fn validate_supervision(s: &SupervisionRecorded, today: NaiveDate) -> Result<(), ValidationError> {
    not_future("Date of the supervision", s.on, today)?;
    required("What was discussed", &s.discussion, MAX_NOTE_LEN)?;
    for name in &s.with {
        required("Who the case was discussed with", name, MAX_NAME_LEN)?;
    }
    if s.actions.len() > MAX_AGREED_ACTIONS {
        return Err(ValidationError::Rule { why: "agree at most 10 actions in one supervision; write the rest in the discussion" });
    }
    for a in &s.actions {
        required("Agreed action", &a.title, MAX_REASON_LEN)?;
        if a.due_on < s.on {
            return Err(ValidationError::Rule { why: "an agreed action cannot be due before the supervision in which it was agreed" });
        }
    }
    Ok(())
}

//! Half-filled forms. A referral or a measure being typed is not yet a record, but losing it to a
//! crash or a flat battery in a family's living room would mean asking the family again; so the
//! window saves what is typed here, inside the encrypted store, and clears it once the form is
//! saved as a record. Private to this laptop and never synced.

use crate::error::{Result, StoreError};
use crate::Store;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The longest form name (a fixed name, or a name plus a case id).
const MAX_FORM_NAME: usize = 100;
/// Far more than any form holds; a guard against a runaway caller filling the disk.
const MAX_BODY_BYTES: usize = 1_000_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FormDraft {
    pub form: String,
    /// What the window saved, as it gave it (JSON of its fields).
    pub body: String,
    pub saved_at: DateTime<Utc>,
}

fn check_name(form: &str) -> Result<()> {
    if form.trim().is_empty() || form.len() > MAX_FORM_NAME {
        return Err(StoreError::Refused(format!("A form name must be 1 to {MAX_FORM_NAME} characters long.")));
    }
    Ok(())
}

impl Store {
    /// Keeps what is typed into `form` (replacing what was kept before).
    pub fn save_form_draft(&mut self, form: &str, body: &str) -> Result<FormDraft> {
        check_name(form)?;
        if body.len() > MAX_BODY_BYTES {
            return Err(StoreError::Refused("This form holds more than Casebook keeps for a form in progress (1 MB).".into()));
        }
        let saved_at = self.now();
        self.connection().execute(
            "INSERT INTO form_drafts (form, body, saved_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (form) DO UPDATE SET body = excluded.body, saved_at = excluded.saved_at",
            params![form, body, saved_at.to_rfc3339()],
        )?;
        Ok(FormDraft { form: form.to_string(), body: body.to_string(), saved_at })
    }

    /// What was being typed into `form`, if anything.
    pub fn form_draft(&self, form: &str) -> Result<Option<FormDraft>> {
        check_name(form)?;
        let row: Option<(String, String)> = self
            .connection()
            .query_row("SELECT body, saved_at FROM form_drafts WHERE form = ?1", [form], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(row.and_then(|(body, at)| {
            let saved_at = DateTime::parse_from_rfc3339(&at).ok()?.with_timezone(&Utc);
            Some(FormDraft { form: form.to_string(), body, saved_at })
        }))
    }

    /// The form was saved as a record, or the clinician chose to start again.
    pub fn discard_form_draft(&mut self, form: &str) -> Result<()> {
        check_name(form)?;
        self.connection().execute("DELETE FROM form_drafts WHERE form = ?1", [form])?;
        Ok(())
    }
}

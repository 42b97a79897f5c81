//! Who each case is allocated to. Allocation is decided on the central store (by IT or a team
//! lead), not by events, so the laptop keeps the central store's answer from the last sync and
//! the case header can say who holds the case with no signal.

use crate::error::Result;
use crate::Store;
use rusqlite::{params, OptionalExtension};
use uuid::Uuid;

impl Store {
    /// Replaces what this laptop knows about allocations with the central store's latest answer
    /// (every case the clinician can see, with its clinicians), in one transaction.
    pub fn set_allocations(&mut self, cases: &[(Uuid, Vec<String>)]) -> Result<()> {
        let tx = Self::begin_write(self.connection_mut())?;
        tx.execute("DELETE FROM case_allocations", [])?;
        {
            let mut insert = tx.prepare_cached("INSERT INTO case_allocations (case_id, clinicians) VALUES (?1, ?2)")?;
            for (case_id, clinicians) in cases {
                let list = serde_json::to_string(clinicians).expect("a list of names always serialises");
                insert.execute(params![case_id.to_string(), list])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The clinicians a case is allocated to, as at the last sync; `None` if this laptop has not
    /// heard (never synced, or a case opened here and not yet sent).
    pub fn allocated_to(&self, case_id: Uuid) -> Result<Option<Vec<String>>> {
        let list: Option<String> = self
            .connection()
            .query_row("SELECT clinicians FROM case_allocations WHERE case_id = ?1", [case_id.to_string()], |r| r.get(0))
            .optional()?;
        Ok(list.and_then(|l| serde_json::from_str(&l).ok()))
    }
}

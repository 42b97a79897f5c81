//! What waits to be sent to the central store, what it answered for each entry, and the entries it
//! refused, which are set aside here with its reason and never deleted.

use crate::error::{Result, StoreError};
use crate::projection;
use crate::Store;
use casebook_domain::{Event, EventBody};
use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

/// How much one push carries at most, in bytes of event JSON: well under the central store's
/// request limit, so that even a run of the longest notes goes in batches it accepts.
pub const PUSH_BYTES: usize = 4 * 1024 * 1024;

/// The central store's acknowledgement of one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledged {
    pub event_id: Uuid,
    pub seq: u64,
    pub received_at: Option<DateTime<Utc>>,
}

/// An entry from the central store, with what it said of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteEvent {
    pub seq: u64,
    pub event: Event,
    pub received_at: Option<DateTime<Utc>>,
    pub flag: Option<String>,
}

impl From<(u64, Event)> for RemoteEvent {
    fn from((seq, event): (u64, Event)) -> Self {
        RemoteEvent { seq, event, received_at: None, flag: None }
    }
}

/// An entry the central store refused: kept on this laptop, shown on its case with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SetAside {
    pub event_id: Uuid,
    pub case_id: Uuid,
    /// What it is, in a clinician's words ("Signed note of 20 November 2026").
    pub what: String,
    pub code: String,
    /// The central store's sentence.
    pub reason: String,
    pub set_aside_at: DateTime<Utc>,
}

fn describe(e: &Event) -> String {
    match &e.body {
        EventBody::NoteSigned(n) => format!("Signed note of {}", n.occurred_on.format("%-d %B %Y")),
        EventBody::AddendumAdded(_) => "Addendum to a note".into(),
        EventBody::ContactRecorded(c) => format!("{} on {}", c.contact_type.label(), c.date.format("%-d %B %Y")),
        EventBody::CaseOpened(_) => "The case's opening".into(),
        EventBody::MeasureRecorded(_) => "Questionnaire".into(),
        EventBody::RiskAssessed(_) => "Risk review".into(),
        other => {
            let kind = other.kind().replace('_', " ");
            let mut chars = kind.chars();
            chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
        }
    }
}

impl Store {
    /// The oldest entries still waiting to be sent, in the order they were written: at most
    /// `max_events`, and no more than `max_bytes` of JSON (but always at least one, however long).
    /// Reads only what is waiting: the outbox drives the join, then its rows are sorted.
    pub fn outbox_batch(&self, max_events: usize, max_bytes: usize) -> Result<Vec<Event>> {
        let events = projection::read_events(
            &self.conn,
            &format!(
                "SELECT {} FROM outbox o CROSS JOIN events e ON e.id = o.event_id ORDER BY e.local_seq LIMIT ?1",
                projection::EVENT_COLUMNS.split(", ").map(|c| format!("e.{c}")).collect::<Vec<_>>().join(", ")
            ),
            [max_events as i64],
        )?;
        let mut bytes = 0usize;
        let mut batch = Vec::with_capacity(events.len());
        for e in events {
            let size = serde_json::to_vec(&e).map(|v| v.len()).unwrap_or(0);
            if !batch.is_empty() && bytes + size > max_bytes {
                break;
            }
            bytes += size;
            batch.push(e);
        }
        Ok(batch)
    }

    /// How SQLite reads the outbox for [`Store::outbox_batch`], for the test that keeps it
    /// proportional to what is waiting.
    pub fn outbox_query_plan(&self) -> Result<String> {
        let mut stmt = self.conn.prepare(&format!(
            "EXPLAIN QUERY PLAN SELECT {} FROM outbox o CROSS JOIN events e ON e.id = o.event_id ORDER BY e.local_seq LIMIT 500",
            projection::EVENT_COLUMNS.split(", ").map(|c| format!("e.{c}")).collect::<Vec<_>>().join(", ")
        ))?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(3))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?.join("\n"))
    }

    /// Removes acknowledged entries from the outbox and records what the central store said of
    /// them, in one transaction.
    pub fn acknowledge(&mut self, acked: &[Acknowledged]) -> Result<()> {
        let tx = Self::begin_write(&mut self.conn)?;
        {
            let mut delete = tx.prepare_cached("DELETE FROM outbox WHERE event_id = ?1")?;
            let mut seq = tx.prepare_cached("INSERT INTO server_seq (event_id, seq, received_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (event_id) DO UPDATE SET seq = excluded.seq, received_at = coalesce(server_seq.received_at, excluded.received_at)")?;
            for a in acked {
                delete.execute([a.event_id.to_string()])?;
                seq.execute(params![a.event_id.to_string(), a.seq as i64, a.received_at.map(|t| t.to_rfc3339())])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Takes entries the central store refused out of the outbox and sets them aside with its
    /// reason, so the rest can flow. The entries themselves stay in the log, untouched.
    pub fn set_aside(&mut self, refused: &[(Uuid, String, String)]) -> Result<()> {
        let now = self.options.clock.now().to_rfc3339();
        let tx = Self::begin_write(&mut self.conn)?;
        {
            let mut delete = tx.prepare_cached("DELETE FROM outbox WHERE event_id = ?1")?;
            let mut keep = tx.prepare_cached(
                "INSERT OR REPLACE INTO set_aside (event_id, code, reason, set_aside_at) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (id, code, reason) in refused {
                delete.execute([id.to_string()])?;
                keep.execute(params![id.to_string(), code, reason, now])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Entries set aside, for one case or all, oldest first.
    pub fn set_aside_entries(&self, case_id: Option<Uuid>) -> Result<Vec<SetAside>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.event_id, s.code, s.reason, s.set_aside_at FROM set_aside s JOIN events e ON e.id = s.event_id
             WHERE ?1 IS NULL OR e.case_id = ?1 ORDER BY e.local_seq",
        )?;
        let rows = stmt
            .query_map([case_id.map(|c| c.to_string())], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, code, reason, at) in rows {
            let event = projection::read_events(
                &self.conn,
                &format!("SELECT {} FROM events WHERE id = ?1", projection::EVENT_COLUMNS),
                [&id],
            )?
            .pop()
            .ok_or_else(|| StoreError::CaseNotFound(id.clone()))?;
            out.push(SetAside {
                event_id: event.id,
                case_id: event.case_id,
                what: describe(&event),
                code,
                reason,
                set_aside_at: DateTime::parse_from_rfc3339(&at).map(|t| t.with_timezone(&Utc)).unwrap_or_default(),
            });
        }
        Ok(out)
    }

    /// How many entries are set aside, across the laptop.
    pub fn set_aside_count(&self) -> Result<u64> {
        Ok(self.conn.query_row("SELECT count(*) FROM set_aside", [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// Puts set-aside entries back in the outbox, for when what stopped them has been put right
    /// (IT settled who a case belongs to). Returns how many will be sent again.
    pub fn send_again(&mut self, event_ids: &[Uuid]) -> Result<u32> {
        let now = self.options.clock.now().to_rfc3339();
        let tx = Self::begin_write(&mut self.conn)?;
        let mut queued = 0;
        {
            let mut queue = tx.prepare_cached(
                "INSERT OR IGNORE INTO outbox (event_id, queued_at) SELECT event_id, ?2 FROM set_aside WHERE event_id = ?1",
            )?;
            let mut forget = tx.prepare_cached("DELETE FROM set_aside WHERE event_id = ?1")?;
            for id in event_ids {
                queued += queue.execute(params![id.to_string(), now])? as u32;
                forget.execute([id.to_string()])?;
            }
        }
        tx.commit()?;
        Ok(queued)
    }

    /// This laptop's own sequence number so far, told to the central store with every pull (what
    /// it wrote up to here counts as written before it heard of any change of allocation).
    pub fn written_up_to(&self) -> u64 {
        self.writer.last_device_seq
    }
}

//! The team's work on SQLite: who holds a case after triage, each laptop's last complete sync,
//! and the team's roster for its lead. Same steps as PostgreSQL's.

use super::{next_seq, parse_ts, parse_uuid, ts};
use crate::storage::{triage_changes, Result, TriageChanges};
use casebook_domain::team::{RosterDevice, RosterMember};
use casebook_domain::Event;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use uuid::Uuid;

pub(super) fn reconcile_triage(c: &mut Connection, case_id: Uuid) -> Result<TriageChanges> {
    let case = case_id.to_string();
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let decisions: Vec<Event> = {
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT e.event_json FROM events e WHERE e.case_id = ?1 AND json_extract(e.event_json, '$.kind') = 'referral_triaged' AND {}
             ORDER BY e.seq",
            super::settle::NOT_SET_ASIDE
        ))?;
        let rows = stmt.query_map([&case], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        rows.iter().map(|j| super::parse_event(j)).collect::<Result<Vec<_>>>()?
    };
    let team: Vec<(String, String, bool)> = {
        let mut stmt = tx.prepare_cached(
            "SELECT u.username, u.role, EXISTS (SELECT 1 FROM access a WHERE a.case_id = ?1 AND a.user_id = u.id)
             FROM users u JOIN cases c ON c.team_id = u.team_id WHERE c.case_id = ?1",
        )?;
        let rows = stmt.query_map([&case], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
        rows
    };
    let changes = triage_changes(&decisions, &team);
    if !changes.is_empty() {
        let seq = next_seq(&tx)?;
        for name in &changes.granted {
            tx.execute(
                "INSERT OR IGNORE INTO access (case_id, user_id, granted_seq) SELECT ?1, id, ?3 FROM users WHERE username = ?2",
                params![case, name, seq as i64],
            )?;
        }
        for name in &changes.taken_away {
            let n = tx.execute("DELETE FROM access WHERE case_id = ?1 AND user_id = (SELECT id FROM users WHERE username = ?2)", params![case, name])?;
            if n > 0 {
                tx.execute(
                    "INSERT INTO access_removed (case_id, user_id, seq) SELECT ?1, id, ?3 FROM users WHERE username = ?2",
                    params![case, name, seq as i64],
                )?;
            }
        }
    }
    tx.commit()?;
    Ok(changes)
}

pub(super) fn device_synced(c: &Connection, device_id: Uuid, at: DateTime<Utc>, notes_waiting: Option<u32>) -> Result<()> {
    c.execute(
        "UPDATE devices SET last_sync_at = ?2, notes_waiting = COALESCE(?3, notes_waiting) WHERE id = ?1",
        params![device_id.to_string(), ts(at), notes_waiting.map(i64::from)],
    )?;
    Ok(())
}

pub(super) fn roster(c: &Connection, team: &str) -> Result<Vec<RosterMember>> {
    let mut stmt = c.prepare_cached(
        "SELECT u.username, u.role, u.disabled_at IS NOT NULL, d.id, d.name, d.last_sync_at, d.notes_waiting, d.revoked_at
         FROM users u JOIN teams t ON t.id = u.team_id LEFT JOIN devices d ON d.user_id = u.id
         WHERE t.name = ?1 ORDER BY u.username, d.created_at, d.id",
    )?;
    let rows = stmt
        .query_map([team], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, bool>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<i64>>(6)?,
                r.get::<_, Option<String>>(7)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut members: Vec<RosterMember> = Vec::new();
    for (username, role, disabled, id, name, last_sync, waiting, revoked) in rows {
        if members.last().map(|m| &m.username) != Some(&username) {
            members.push(RosterMember { username: username.clone(), role, disabled, devices: Vec::new() });
        }
        if let (Some(id), Some(m)) = (id, members.last_mut()) {
            m.devices.push(RosterDevice {
                device_id: parse_uuid(&id)?,
                name: name.unwrap_or_default(),
                last_sync_at: last_sync.as_deref().map(parse_ts).transpose()?,
                notes_waiting_at_sync: waiting.map(|w| w.clamp(0, u32::MAX as i64) as u32),
                revoked_at: revoked.as_deref().map(parse_ts).transpose()?,
            });
        }
    }
    Ok(members)
}

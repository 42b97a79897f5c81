//! Settling a squatted case on SQLite (see `Storage::settle_case`); same steps as PostgreSQL's.

use super::{next_seq, ts};
use crate::storage::{check_settle_holders, CaseSettled, Result, StorageError};
use casebook_protocol::Role;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

/// Laptops whose entries in a case are set aside: none of their entries in it is ever sent to a
/// laptop again (pull, repair and digest leave them out), whatever they send later.
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS set_aside_laptops (
    case_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    set_aside_at TEXT NOT NULL,
    PRIMARY KEY (case_id, device_id)
);
";

/// The condition, on an `events e` row, that it is not set aside.
pub(super) const NOT_SET_ASIDE: &str =
    "NOT EXISTS (SELECT 1 FROM set_aside_laptops s WHERE s.case_id = e.case_id AND s.device_id = e.device_id)";

pub(super) fn settle(c: &mut Connection, case_id: Uuid, team: &str, holders: &[String], at: DateTime<Utc>) -> Result<CaseSettled> {
    let case = case_id.to_string();
    let tx = c.transaction()?;
    let (from_team_id, from_team): (i64, String) = tx
        .query_row("SELECT c.team_id, t.name FROM cases c JOIN teams t ON t.id = c.team_id WHERE c.case_id = ?1", [&case], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?
        .ok_or_else(|| StorageError::Unsupported(format!("case {case_id} is not on the central store; there is nothing to settle")))?;
    let team_id: i64 = tx
        .query_row("SELECT id FROM teams WHERE name = ?1", [team], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StorageError::NoSuchTeam(team.to_string()))?;
    if team_id == from_team_id {
        return Err(StorageError::Unsupported(format!("case {case_id} already belongs to {team}; there is nothing to settle")));
    }
    let mut named = Vec::new();
    for username in holders {
        let found: Option<(String, String)> = tx
            .query_row("SELECT t.name, u.role FROM users u JOIN teams t ON t.id = u.team_id WHERE u.username = ?1", [username], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let found = found.map(|(t, role)| Ok::<_, StorageError>((t, role.parse::<Role>().map_err(StorageError::Backend)?))).transpose()?;
        named.push((username.clone(), found));
    }
    check_settle_holders(team, &named)?;

    let laptops = tx.execute(
        "INSERT OR IGNORE INTO set_aside_laptops (case_id, device_id, set_aside_at) SELECT DISTINCT case_id, device_id, ?2 FROM events WHERE case_id = ?1",
        params![case, ts(at)],
    )? as u64;
    let entries: i64 = tx.query_row(&format!("SELECT count(*) FROM events e WHERE e.case_id = ?1 AND NOT {NOT_SET_ASIDE}"), [&case], |r| r.get(0))?;
    // Their claims go with them, so the rightful opening and notes can be stored.
    tx.execute(
        &format!("DELETE FROM claims WHERE case_id = ?1 AND event_id IN (SELECT e.id FROM events e WHERE e.case_id = ?1 AND NOT {NOT_SET_ASIDE})"),
        [&case],
    )?;
    let taken_from = {
        let mut stmt = tx.prepare("SELECT u.username FROM access a JOIN users u ON u.id = a.user_id WHERE a.case_id = ?1 ORDER BY u.username")?;
        let names = stmt.query_map([&case], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        names
    };
    // Every laptop of everyone who held it counts as told at once, having written nothing since:
    // whatever they send to this case from now on is refused.
    tx.execute(
        "INSERT OR REPLACE INTO removal_told (case_id, device_id, written_up_to, told_at)
         SELECT ?1, d.id, 0, ?2 FROM devices d WHERE d.user_id IN (SELECT user_id FROM access WHERE case_id = ?1)",
        params![case, ts(at)],
    )?;
    let removed = next_seq(&tx)?;
    tx.execute("INSERT INTO access_removed (case_id, user_id, seq) SELECT case_id, user_id, ?2 FROM access WHERE case_id = ?1", params![case, removed as i64])?;
    tx.execute("DELETE FROM access WHERE case_id = ?1", [&case])?;
    let granted = next_seq(&tx)?;
    {
        let mut grant = tx.prepare(
            "INSERT OR IGNORE INTO access (case_id, user_id, granted_seq) SELECT ?1, id, ?2 FROM users WHERE username = ?3",
        )?;
        for username in holders {
            grant.execute(params![case, granted as i64, username])?;
        }
    }
    tx.execute(
        "INSERT OR IGNORE INTO access (case_id, user_id, granted_seq) SELECT ?1, id, ?2 FROM users WHERE role IN ('lead', 'admin') AND team_id = ?3",
        params![case, granted as i64, team_id],
    )?;
    tx.execute(
        "DELETE FROM removal_told WHERE case_id = ?1 AND device_id IN (SELECT d.id FROM devices d JOIN access a ON a.user_id = d.user_id WHERE a.case_id = ?1)",
        [&case],
    )?;
    tx.execute(
        "UPDATE cases SET team_id = ?2, created_by = (SELECT id FROM users WHERE username = ?3) WHERE case_id = ?1",
        params![case, team_id, holders[0]],
    )?;
    tx.commit()?;
    Ok(CaseSettled { from_team, entries_set_aside: entries as u64, laptops_set_aside: laptops, taken_from })
}

//! Settling a squatted case on PostgreSQL (see `Storage::settle_case`); same steps as SQLite's.

use super::{next_seq, ts, PostgresStorage};
use crate::storage::{check_settle_holders, CaseSettled, Result, StorageError};
use casebook_protocol::Role;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Laptops whose entries in a case are set aside: none of their entries in it is ever sent to a
/// laptop again (pull, repair and digest leave them out), whatever they send later.
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS set_aside_laptops (
    case_id UUID NOT NULL,
    device_id UUID NOT NULL,
    set_aside_at TEXT NOT NULL,
    PRIMARY KEY (case_id, device_id)
);
";

/// The condition, on an `events e` row, that it is not set aside.
pub(super) const NOT_SET_ASIDE: &str =
    "NOT EXISTS (SELECT 1 FROM set_aside_laptops s WHERE s.case_id = e.case_id AND s.device_id = e.device_id)";

pub(super) async fn settle(store: &PostgresStorage, case_id: Uuid, team: &str, holders: &[String], at: DateTime<Utc>) -> Result<CaseSettled> {
    let mut c = store.pool.get().await?;
    let tx = c.transaction().await?;
    // The counter first: a push that stores anything waits for it, so none lands half-way.
    next_seq(&tx).await?;
    let row = tx
        .query_opt("SELECT c.team_id, t.name FROM cases c JOIN teams t ON t.id = c.team_id WHERE c.case_id = $1 FOR UPDATE OF c", &[&case_id])
        .await?
        .ok_or_else(|| StorageError::Unsupported(format!("case {case_id} is not on the central store; there is nothing to settle")))?;
    let (from_team_id, from_team): (i64, String) = (row.get(0), row.get(1));
    let team_id: i64 = tx
        .query_opt("SELECT id FROM teams WHERE name = $1", &[&team])
        .await?
        .map(|r| r.get(0))
        .ok_or_else(|| StorageError::NoSuchTeam(team.to_string()))?;
    if team_id == from_team_id {
        return Err(StorageError::Unsupported(format!("case {case_id} already belongs to {team}; there is nothing to settle")));
    }
    let mut named = Vec::new();
    for username in holders {
        let found = tx
            .query_opt("SELECT t.name, u.role FROM users u JOIN teams t ON t.id = u.team_id WHERE u.username = $1", &[username])
            .await?
            .map(|r| Ok::<_, StorageError>((r.get::<_, String>(0), r.get::<_, &str>(1).parse::<Role>().map_err(StorageError::Backend)?)))
            .transpose()?;
        named.push((username.clone(), found));
    }
    check_settle_holders(team, &named)?;

    let at = ts(at);
    let laptops = tx
        .execute(
            "INSERT INTO set_aside_laptops (case_id, device_id, set_aside_at) SELECT DISTINCT case_id, device_id, $2 FROM events WHERE case_id = $1
             ON CONFLICT DO NOTHING",
            &[&case_id, &at],
        )
        .await?;
    let entries: i64 = tx
        .query_one(&format!("SELECT count(*) FROM events e WHERE e.case_id = $1 AND NOT {NOT_SET_ASIDE}"), &[&case_id])
        .await?
        .get(0);
    // Their claims go with them, so the rightful opening and notes can be stored.
    tx.execute(
        &format!("DELETE FROM claims WHERE case_id = $1 AND event_id IN (SELECT e.id FROM events e WHERE e.case_id = $1 AND NOT {NOT_SET_ASIDE})"),
        &[&case_id],
    )
    .await?;
    let taken_from: Vec<String> = tx
        .query("SELECT u.username FROM access a JOIN users u ON u.id = a.user_id WHERE a.case_id = $1 ORDER BY u.username COLLATE \"C\"", &[&case_id])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    // Every laptop of everyone who held it counts as told at once, having written nothing since:
    // whatever they send to this case from now on is refused.
    tx.execute(
        "INSERT INTO removal_told (case_id, device_id, written_up_to, told_at)
         SELECT $1, d.id, 0, $2 FROM devices d WHERE d.user_id IN (SELECT user_id FROM access WHERE case_id = $1)
         ON CONFLICT (case_id, device_id) DO UPDATE SET written_up_to = 0, told_at = EXCLUDED.told_at",
        &[&case_id, &at],
    )
    .await?;
    let removed = next_seq(&tx).await?;
    tx.execute("INSERT INTO access_removed (case_id, user_id, seq) SELECT case_id, user_id, $2 FROM access WHERE case_id = $1", &[&case_id, &removed])
        .await?;
    tx.execute("DELETE FROM access WHERE case_id = $1", &[&case_id]).await?;
    let granted = next_seq(&tx).await?;
    tx.execute(
        "INSERT INTO access (case_id, user_id, granted_seq)
         SELECT $1, id, $2 FROM users WHERE username = ANY($3::text[]) OR (role IN ('lead', 'admin') AND team_id = $4)
         ON CONFLICT (case_id, user_id) DO NOTHING",
        &[&case_id, &granted, &holders, &team_id],
    )
    .await?;
    tx.execute(
        "DELETE FROM removal_told WHERE case_id = $1 AND device_id IN (SELECT d.id FROM devices d JOIN access a ON a.user_id = d.user_id WHERE a.case_id = $1)",
        &[&case_id],
    )
    .await?;
    tx.execute(
        "UPDATE cases SET team_id = $2, created_by = (SELECT id FROM users WHERE username = $3) WHERE case_id = $1",
        &[&case_id, &team_id, &holders[0]],
    )
    .await?;
    tx.commit().await?;
    Ok(CaseSettled { from_team, entries_set_aside: entries as u64, laptops_set_aside: laptops, taken_from })
}

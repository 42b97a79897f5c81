//! The team's work on PostgreSQL: who holds a case after triage, each laptop's last complete sync,
//! and the team's roster for its lead. Same steps as SQLite's.

use super::{next_seq, parse_event, parse_ts, ts, PostgresStorage};
use crate::storage::{triage_changes, Result, TriageChanges};
use casebook_domain::team::{RosterDevice, RosterMember};
use casebook_domain::Event;
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub(super) async fn reconcile_triage(store: &PostgresStorage, case_id: Uuid) -> Result<TriageChanges> {
    let mut c = store.pool.get().await?;
    let tx = c.transaction().await?;
    // The case's row locked: two pushes applying the same case's decisions take turns, each
    // reading every decision stored before it.
    if tx.query_opt("SELECT 1 FROM cases WHERE case_id = $1 FOR UPDATE", &[&case_id]).await?.is_none() {
        return Ok(TriageChanges::default());
    }
    let decisions: Vec<Event> = tx
        .query(
            &format!(
                "SELECT e.event_json FROM events e WHERE e.case_id = $1 AND (e.event_json::jsonb) ->> 'kind' = 'referral_triaged' AND {}
                 ORDER BY e.seq",
                super::settle::NOT_SET_ASIDE
            ),
            &[&case_id],
        )
        .await?
        .iter()
        .map(|r| parse_event(r.get(0)))
        .collect::<Result<Vec<_>>>()?;
    let team: Vec<(String, String, bool)> = tx
        .query(
            "SELECT u.username, u.role, EXISTS (SELECT 1 FROM access a WHERE a.case_id = $1 AND a.user_id = u.id)
             FROM users u JOIN cases c ON c.team_id = u.team_id WHERE c.case_id = $1",
            &[&case_id],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let changes = triage_changes(&decisions, &team);
    if !changes.is_empty() {
        let seq = next_seq(&tx).await?;
        for name in &changes.granted {
            tx.execute(
                "INSERT INTO access (case_id, user_id, granted_seq) SELECT $1, id, $3 FROM users WHERE username = $2
                 ON CONFLICT (case_id, user_id) DO NOTHING",
                &[&case_id, name, &seq],
            )
            .await?;
        }
        for name in &changes.taken_away {
            let n = tx
                .execute("DELETE FROM access WHERE case_id = $1 AND user_id = (SELECT id FROM users WHERE username = $2)", &[&case_id, name])
                .await?;
            if n > 0 {
                tx.execute(
                    "INSERT INTO access_removed (case_id, user_id, seq) SELECT $1, id, $3 FROM users WHERE username = $2",
                    &[&case_id, name, &seq],
                )
                .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(changes)
}

pub(super) async fn device_synced(store: &PostgresStorage, device_id: Uuid, at: DateTime<Utc>, notes_waiting: Option<u32>) -> Result<()> {
    let c = store.pool.get().await?;
    c.execute(
        "UPDATE devices SET last_sync_at = $2, notes_waiting = COALESCE($3, notes_waiting) WHERE id = $1",
        &[&device_id, &ts(at), &notes_waiting.map(i64::from)],
    )
    .await?;
    Ok(())
}

pub(super) async fn roster(store: &PostgresStorage, team: &str) -> Result<Vec<RosterMember>> {
    let c = store.pool.get().await?;
    let rows = c
        .query(
            "SELECT u.username, u.role, u.disabled_at IS NOT NULL, d.id, d.name, d.last_sync_at, d.notes_waiting, d.revoked_at
             FROM users u JOIN teams t ON t.id = u.team_id LEFT JOIN devices d ON d.user_id = u.id
             WHERE t.name = $1 ORDER BY u.username COLLATE \"C\", d.created_at, d.id",
            &[&team],
        )
        .await?;
    let mut members: Vec<RosterMember> = Vec::new();
    for r in rows {
        let username: String = r.get(0);
        if members.last().map(|m| &m.username) != Some(&username) {
            members.push(RosterMember { username: username.clone(), role: r.get(1), disabled: r.get(2), devices: Vec::new() });
        }
        let id: Option<Uuid> = r.get(3);
        if let (Some(id), Some(m)) = (id, members.last_mut()) {
            let waiting: Option<i64> = r.get(6);
            m.devices.push(RosterDevice {
                device_id: id,
                name: r.get::<_, Option<String>>(4).unwrap_or_default(),
                last_sync_at: r.get::<_, Option<&str>>(5).map(parse_ts).transpose()?,
                notes_waiting_at_sync: waiting.map(|w| w.clamp(0, u32::MAX as i64) as u32),
                revoked_at: r.get::<_, Option<&str>>(7).map(parse_ts).transpose()?,
            });
        }
    }
    Ok(members)
}

//! `Accounts` on SQLite: IT's account commands, the sign-in throttle's counters, token revocation.

use super::{next_seq, parse_ts, ts, SqliteStorage};
use crate::storage::{Accounts, Result, SigninCount, StorageError};
use async_trait::async_trait;
use casebook_protocol::Role;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use uuid::Uuid;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS signin_throttle (
    bucket TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS signin_throttle_by_user ON signin_throttle (username);
CREATE INDEX IF NOT EXISTS tokens_by_device ON tokens (device_id);
";

/// Adds what accounts need to a store made by an older version (SQLite has no
/// `ADD COLUMN IF NOT EXISTS`).
pub(super) fn migrate(c: &mut Connection) -> Result<()> {
    let has_disabled: bool = c
        .prepare("SELECT 1 FROM pragma_table_info('users') WHERE name = 'disabled_at'")?
        .exists([])?;
    if !has_disabled {
        c.execute_batch("ALTER TABLE users ADD COLUMN disabled_at TEXT")?;
    }
    let has_supervisor: bool = c.prepare("SELECT 1 FROM pragma_table_info('users') WHERE name = 'supervisor'")?.exists([])?;
    if !has_supervisor {
        c.execute_batch("ALTER TABLE users ADD COLUMN supervisor INTEGER NOT NULL DEFAULT 0")?;
    }
    c.execute_batch(SCHEMA)?;
    Ok(())
}

/// The user's id, team id and role, or `NoSuchUser`.
fn user_row(tx: &Transaction<'_>, username: &str) -> Result<(i64, i64, Role)> {
    let row: Option<(i64, i64, String)> = tx
        .query_row("SELECT id, team_id, role FROM users WHERE username = ?1", [username], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let (id, team, role) = row.ok_or_else(|| StorageError::NoSuchUser(username.to_string()))?;
    Ok((id, team, role.parse().map_err(StorageError::Backend)?))
}

/// Every case of `team_id`, from now on (the laptop backfills their history).
fn grant_team(tx: &Transaction<'_>, uid: i64, team_id: i64) -> Result<()> {
    let seq = next_seq(tx)?;
    tx.execute(
        "INSERT OR IGNORE INTO access (case_id, user_id, granted_seq) SELECT case_id, ?1, ?2 FROM cases WHERE team_id = ?3",
        params![uid, seq as i64, team_id],
    )?;
    Ok(())
}

/// Takes away the cases of `team_id` the user did not create, telling their laptop as a
/// deallocation does.
fn withdraw_team(tx: &Transaction<'_>, uid: i64, team_id: i64) -> Result<()> {
    let seq = next_seq(tx)?;
    tx.execute(
        "INSERT INTO access_removed (case_id, user_id, seq)
         SELECT a.case_id, a.user_id, ?3 FROM access a JOIN cases c ON c.case_id = a.case_id
         WHERE a.user_id = ?1 AND c.team_id = ?2 AND c.created_by <> ?1",
        params![uid, team_id, seq as i64],
    )?;
    tx.execute(
        "DELETE FROM access WHERE user_id = ?1
         AND case_id IN (SELECT case_id FROM cases WHERE team_id = ?2 AND created_by <> ?1)",
        params![uid, team_id],
    )?;
    Ok(())
}

fn changed(n: usize, username: &str) -> Result<()> {
    if n == 0 {
        return Err(StorageError::NoSuchUser(username.to_string()));
    }
    Ok(())
}

#[async_trait]
impl Accounts for SqliteStorage {
    async fn set_password(&self, username: &str, password_hash: &str) -> Result<()> {
        let (username, hash) = (username.to_string(), password_hash.to_string());
        self.with(move |c| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "UPDATE users SET password_hash = ?2, failed_logins = 0, locked_until = NULL WHERE username = ?1",
                params![username, hash],
            )?;
            changed(n, &username)?;
            tx.execute("DELETE FROM signin_throttle WHERE username = ?1", [&username])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn set_disabled(&self, username: &str, at: Option<DateTime<Utc>>) -> Result<()> {
        let username = username.to_string();
        self.with(move |c| {
            let n = c.execute("UPDATE users SET disabled_at = ?2 WHERE username = ?1", params![username, at.map(ts)])?;
            changed(n, &username)
        })
        .await
    }

    async fn set_role(&self, username: &str, role: Role) -> Result<()> {
        let username = username.to_string();
        self.with(move |c| {
            let tx = c.transaction()?;
            let (uid, team, old) = user_row(&tx, &username)?;
            if old == role {
                return Ok(());
            }
            if old.sees_whole_team() && !role.sees_whole_team() {
                withdraw_team(&tx, uid, team)?;
            }
            if role.sees_whole_team() && !old.sees_whole_team() {
                grant_team(&tx, uid, team)?;
            }
            tx.execute("UPDATE users SET role = ?2 WHERE id = ?1", params![uid, role.as_str()])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn set_team(&self, username: &str, team: &str) -> Result<()> {
        let (username, team) = (username.to_string(), team.to_string());
        self.with(move |c| {
            let tx = c.transaction()?;
            let (uid, old_team, role) = user_row(&tx, &username)?;
            let new_team: i64 = tx
                .query_row("SELECT id FROM teams WHERE name = ?1", [&team], |r| r.get(0))
                .optional()?
                .ok_or_else(|| StorageError::NoSuchTeam(team.clone()))?;
            if new_team == old_team {
                return Ok(());
            }
            if role.sees_whole_team() {
                withdraw_team(&tx, uid, old_team)?;
                grant_team(&tx, uid, new_team)?;
            }
            tx.execute("UPDATE users SET team_id = ?2 WHERE id = ?1", params![uid, new_team])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn set_supervisor(&self, username: &str, supervisor: bool) -> Result<()> {
        let username = username.to_string();
        self.with(move |c| {
            let n = c.execute("UPDATE users SET supervisor = ?2 WHERE username = ?1", params![username, supervisor])?;
            changed(n, &username)
        })
        .await
    }

    async fn is_supervisor(&self, username: &str) -> Result<bool> {
        let username = username.to_string();
        self.with(move |c| {
            let found: Option<bool> = c.query_row("SELECT supervisor FROM users WHERE username = ?1", [&username], |r| r.get(0)).optional()?;
            found.ok_or(StorageError::NoSuchUser(username))
        })
        .await
    }

    async fn unlock(&self, username: &str) -> Result<()> {
        let username = username.to_string();
        self.with(move |c| {
            let tx = c.transaction()?;
            let n = tx.execute("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE username = ?1", [&username])?;
            changed(n, &username)?;
            tx.execute("DELETE FROM signin_throttle WHERE username = ?1", [&username])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn signin_attempt(&self, bucket: &str, username: &str, at: DateTime<Utc>, forget_before: DateTime<Utc>) -> Result<SigninCount> {
        let (bucket, username) = (bucket.to_string(), username.to_string());
        self.with(move |c| {
            // The connection mutex serialises writers, so reading then writing in one transaction
            // is as atomic here as PostgreSQL's single statement.
            let tx = c.transaction()?;
            let before: Option<(u32, String)> = tx
                .query_row("SELECT attempts, last_at FROM signin_throttle WHERE bucket = ?1", [&bucket], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let before = match before {
                Some((_, last)) if last < ts(forget_before) => SigninCount::default(),
                Some((attempts, last)) => SigninCount { attempts, last_at: Some(parse_ts(&last)?) },
                None => SigninCount::default(),
            };
            tx.execute(
                "INSERT INTO signin_throttle (bucket, username, attempts, last_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (bucket) DO UPDATE SET attempts = excluded.attempts, last_at = excluded.last_at",
                params![bucket, username, before.attempts.saturating_add(1), ts(at)],
            )?;
            tx.commit()?;
            Ok(before)
        })
        .await
    }

    async fn signin_clear(&self, bucket: &str) -> Result<()> {
        let bucket = bucket.to_string();
        self.with(move |c| {
            c.execute("DELETE FROM signin_throttle WHERE bucket = ?1", [bucket])?;
            Ok(())
        })
        .await
    }

    async fn signin_forgive(&self, bucket: &str) -> Result<()> {
        let bucket = bucket.to_string();
        self.with(move |c| {
            c.execute("UPDATE signin_throttle SET attempts = max(attempts - 1, 0) WHERE bucket = ?1", [bucket])?;
            Ok(())
        })
        .await
    }

    async fn revoke_token(&self, token_hash: &str) -> Result<bool> {
        let token_hash = token_hash.to_string();
        self.with(move |c| Ok(c.execute("DELETE FROM tokens WHERE token_hash = ?1", [token_hash])? > 0)).await
    }

    async fn revoke_device_tokens(&self, device_id: Uuid) -> Result<()> {
        self.with(move |c| {
            c.execute("DELETE FROM tokens WHERE device_id = ?1", [device_id.to_string()])?;
            Ok(())
        })
        .await
    }
}

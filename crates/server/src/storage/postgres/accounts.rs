//! `Accounts` on PostgreSQL: IT's account commands, the sign-in throttle's counters, token
//! revocation. Same semantics as the SQLite backend.

use super::{next_seq, parse_ts, ts, PostgresStorage};
use crate::storage::{Accounts, Result, SigninCount, StorageError};
use async_trait::async_trait;
use casebook_protocol::Role;
use chrono::{DateTime, Utc};
use tokio_postgres::Transaction;
use uuid::Uuid;

/// Run after the main schema on every start; each statement is safe to repeat.
pub(super) const SCHEMA: &str = "
ALTER TABLE users ADD COLUMN IF NOT EXISTS disabled_at TEXT;
ALTER TABLE users ADD COLUMN IF NOT EXISTS supervisor BOOLEAN NOT NULL DEFAULT false;
CREATE TABLE IF NOT EXISTS signin_throttle (
    bucket TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS signin_throttle_by_user ON signin_throttle (username);
CREATE INDEX IF NOT EXISTS tokens_by_device ON tokens (device_id);
";

/// The user's id, team id and role, locked until the transaction ends, or `NoSuchUser`.
async fn user_row(tx: &Transaction<'_>, username: &str) -> Result<(i64, i64, Role)> {
    let row = tx
        .query_opt("SELECT id, team_id, role FROM users WHERE username = $1 FOR UPDATE", &[&username])
        .await?
        .ok_or_else(|| StorageError::NoSuchUser(username.to_string()))?;
    Ok((row.get(0), row.get(1), row.get::<_, &str>(2).parse().map_err(StorageError::Backend)?))
}

/// Every case of `team_id`, from now on (the laptop backfills their history).
async fn grant_team(tx: &Transaction<'_>, uid: i64, team_id: i64) -> Result<()> {
    let seq = next_seq(tx).await?;
    tx.execute(
        "INSERT INTO access (case_id, user_id, granted_seq) SELECT case_id, $1, $2 FROM cases WHERE team_id = $3
         ON CONFLICT (case_id, user_id) DO NOTHING",
        &[&uid, &seq, &team_id],
    )
    .await?;
    Ok(())
}

/// Takes away the cases of `team_id` the user did not create, telling their laptop as a
/// deallocation does.
async fn withdraw_team(tx: &Transaction<'_>, uid: i64, team_id: i64) -> Result<()> {
    let seq = next_seq(tx).await?;
    tx.execute(
        "INSERT INTO access_removed (case_id, user_id, seq)
         SELECT a.case_id, a.user_id, $3 FROM access a JOIN cases c ON c.case_id = a.case_id
         WHERE a.user_id = $1 AND c.team_id = $2 AND c.created_by <> $1",
        &[&uid, &team_id, &seq],
    )
    .await?;
    tx.execute(
        "DELETE FROM access WHERE user_id = $1
         AND case_id IN (SELECT case_id FROM cases WHERE team_id = $2 AND created_by <> $1)",
        &[&uid, &team_id],
    )
    .await?;
    Ok(())
}

fn changed(n: u64, username: &str) -> Result<()> {
    if n == 0 {
        return Err(StorageError::NoSuchUser(username.to_string()));
    }
    Ok(())
}

#[async_trait]
impl Accounts for PostgresStorage {
    async fn set_password(&self, username: &str, password_hash: &str) -> Result<()> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let n = tx
            .execute(
                "UPDATE users SET password_hash = $2, failed_logins = 0, locked_until = NULL WHERE username = $1",
                &[&username, &password_hash],
            )
            .await?;
        changed(n, username)?;
        tx.execute("DELETE FROM signin_throttle WHERE username = $1", &[&username]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_disabled(&self, username: &str, at: Option<DateTime<Utc>>) -> Result<()> {
        let c = self.pool.get().await?;
        let n = c.execute("UPDATE users SET disabled_at = $2 WHERE username = $1", &[&username, &at.map(ts)]).await?;
        changed(n, username)
    }

    async fn set_role(&self, username: &str, role: Role) -> Result<()> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let (uid, team, old) = user_row(&tx, username).await?;
        if old == role {
            return Ok(());
        }
        if old.sees_whole_team() && !role.sees_whole_team() {
            withdraw_team(&tx, uid, team).await?;
        }
        if role.sees_whole_team() && !old.sees_whole_team() {
            grant_team(&tx, uid, team).await?;
        }
        tx.execute("UPDATE users SET role = $2 WHERE id = $1", &[&uid, &role.as_str()]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_team(&self, username: &str, team: &str) -> Result<()> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let (uid, old_team, role) = user_row(&tx, username).await?;
        let new_team: i64 = tx
            .query_opt("SELECT id FROM teams WHERE name = $1", &[&team])
            .await?
            .map(|r| r.get(0))
            .ok_or_else(|| StorageError::NoSuchTeam(team.to_string()))?;
        if new_team == old_team {
            return Ok(());
        }
        if role.sees_whole_team() {
            withdraw_team(&tx, uid, old_team).await?;
            grant_team(&tx, uid, new_team).await?;
        }
        tx.execute("UPDATE users SET team_id = $2 WHERE id = $1", &[&uid, &new_team]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_supervisor(&self, username: &str, supervisor: bool) -> Result<()> {
        let c = self.pool.get().await?;
        let n = c.execute("UPDATE users SET supervisor = $2 WHERE username = $1", &[&username, &supervisor]).await?;
        changed(n, username)
    }

    async fn is_supervisor(&self, username: &str) -> Result<bool> {
        let c = self.pool.get().await?;
        let row = c.query_opt("SELECT supervisor FROM users WHERE username = $1", &[&username]).await?;
        row.map(|r| r.get(0)).ok_or_else(|| StorageError::NoSuchUser(username.to_string()))
    }

    async fn unlock(&self, username: &str) -> Result<()> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let n = tx.execute("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE username = $1", &[&username]).await?;
        changed(n, username)?;
        tx.execute("DELETE FROM signin_throttle WHERE username = $1", &[&username]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn signin_attempt(&self, bucket: &str, username: &str, at: DateTime<Utc>, forget_before: DateTime<Utc>) -> Result<SigninCount> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        // The row lock makes simultaneous attempts on one bucket queue, each seeing the count the
        // previous one left. RFC 3339 text in UTC with a fixed number of digits compares in time
        // order.
        let before = tx
            .query_opt("SELECT attempts, last_at FROM signin_throttle WHERE bucket = $1 FOR UPDATE", &[&bucket])
            .await?
            .map(|r| (r.get::<_, i32>(0), r.get::<_, String>(1)));
        let before = match before {
            Some((attempts, last)) if last >= ts(forget_before) => SigninCount { attempts: attempts.max(0) as u32, last_at: Some(parse_ts(&last)?) },
            _ => SigninCount::default(),
        };
        tx.execute(
            "INSERT INTO signin_throttle (bucket, username, attempts, last_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (bucket) DO UPDATE SET attempts = excluded.attempts, last_at = excluded.last_at",
            &[&bucket, &username, &(before.attempts.saturating_add(1).min(i32::MAX as u32) as i32), &ts(at)],
        )
        .await?;
        tx.commit().await?;
        Ok(before)
    }

    async fn signin_clear(&self, bucket: &str) -> Result<()> {
        let c = self.pool.get().await?;
        c.execute("DELETE FROM signin_throttle WHERE bucket = $1", &[&bucket]).await?;
        Ok(())
    }

    async fn signin_forgive(&self, bucket: &str) -> Result<()> {
        let c = self.pool.get().await?;
        c.execute("UPDATE signin_throttle SET attempts = greatest(attempts - 1, 0) WHERE bucket = $1", &[&bucket]).await?;
        Ok(())
    }

    async fn revoke_token(&self, token_hash: &str) -> Result<bool> {
        let c = self.pool.get().await?;
        Ok(c.execute("DELETE FROM tokens WHERE token_hash = $1", &[&token_hash]).await? > 0)
    }

    async fn revoke_device_tokens(&self, device_id: Uuid) -> Result<()> {
        let c = self.pool.get().await?;
        c.execute("DELETE FROM tokens WHERE device_id = $1", &[&device_id]).await?;
        Ok(())
    }
}

//! The embedded backend: one SQLite file, zero set-up.
//!
//! One connection behind a mutex serialises writers, so sequence numbers are allocated and
//! committed in the same order and a puller can never see N+1 before N.

use super::{Authentication, DeviceRecord, PullPage, Result, Storage, StorageError, TokenRecord, UserRecord};
use async_trait::async_trait;
use casebook_domain::Event;
use casebook_protocol::{digest_of, AuditEntry, CaseAllocation, CaseDigest, Cursor, DraftBackup, PulledEvent, PushResult, Role};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

pub struct SqliteStorage {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
}

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO counters (name, value) VALUES ('seq', 0);
CREATE TABLE IF NOT EXISTS teams (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    team_id INTEGER NOT NULL REFERENCES teams (id),
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT
);
CREATE TABLE IF NOT EXISTS devices (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    last_seen_at TEXT
);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices (id),
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cases (
    case_id TEXT PRIMARY KEY,
    team_id INTEGER NOT NULL REFERENCES teams (id),
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS access (
    case_id TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    granted_seq INTEGER NOT NULL,
    PRIMARY KEY (case_id, user_id)
);
CREATE INDEX IF NOT EXISTS access_by_user ON access (user_id, case_id);
CREATE TABLE IF NOT EXISTS access_removed (case_id TEXT NOT NULL, user_id INTEGER NOT NULL, seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS access_removed_by_user ON access_removed (user_id, seq);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    case_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    event_json TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_case ON events (case_id, seq);
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only and cannot be changed'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only and cannot be deleted'); END;
CREATE TABLE IF NOT EXISTS drafts (
    user_id INTEGER NOT NULL,
    note_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    text TEXT NOT NULL,
    revision INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (user_id, note_id)
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    username TEXT NOT NULL,
    device_id TEXT,
    action TEXT NOT NULL,
    case_id TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_by_case ON audit (case_id, id);
"#;

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    s.parse().map_err(|_| StorageError::Backend(format!("a stored time ({s}) is damaged")))
}

fn parse_uuid(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).map_err(|_| StorageError::Backend(format!("a stored id ({s}) is damaged")))
}

fn parse_event(json: &str) -> Result<Event> {
    serde_json::from_str(json).map_err(|e| StorageError::Backend(format!("a stored event is damaged ({e})")))
}

/// Takes the next global sequence number. Called only inside a write transaction, which the
/// connection mutex serialises.
fn next_seq(tx: &Transaction) -> Result<u64> {
    let v: i64 = tx.query_row("UPDATE counters SET value = value + 1 WHERE name = 'seq' RETURNING value", [], |r| r.get(0))?;
    Ok(v as u64)
}

fn user_id(tx: &Connection, username: &str) -> Result<i64> {
    tx.query_row("SELECT id FROM users WHERE username = ?1", [username], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StorageError::NoSuchUser(username.to_string()))
}

impl SqliteStorage {
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| StorageError::Backend(format!("{}: {e}", parent.display())))?;
        }
        let conn = Connection::open(path)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
        )?;
        Ok(SqliteStorage { conn: Arc::new(Mutex::new(conn)), path: path.to_path_buf() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn with<T: Send + 'static>(&self, f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static) -> Result<T> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| StorageError::Backend(format!("a database task failed: {e}")))?
    }
}

/// A user row as read: id, username, team, role, password hash, failed logins, locked until.
type UserRow = (i64, String, String, String, String, u32, Option<String>);
/// A device row as read: id, username, name, secret hash, created, revoked, last seen.
type DeviceRow = (String, String, String, String, String, Option<String>, Option<String>);

fn user_from_row(r: &rusqlite::Row) -> rusqlite::Result<UserRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
}

fn user_record(row: UserRow) -> Result<UserRecord> {
    let (id, username, team, role, password_hash, failed_logins, locked_until) = row;
    Ok(UserRecord {
        id,
        username,
        team,
        role: role.parse().map_err(StorageError::Backend)?,
        password_hash,
        failed_logins,
        locked_until: locked_until.as_deref().map(parse_ts).transpose()?,
    })
}

fn device_from_row(r: &rusqlite::Row) -> rusqlite::Result<DeviceRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
}

fn device_record(row: DeviceRow) -> Result<DeviceRecord> {
    Ok(DeviceRecord {
        id: parse_uuid(&row.0)?,
        username: row.1,
        name: row.2,
        secret_hash: row.3,
        created_at: parse_ts(&row.4)?,
        revoked_at: row.5.as_deref().map(parse_ts).transpose()?,
        last_seen_at: row.6.as_deref().map(parse_ts).transpose()?,
    })
}

const DEVICE_SELECT: &str = "SELECT d.id, u.username, d.name, d.secret_hash, d.created_at, d.revoked_at, d.last_seen_at
                             FROM devices d JOIN users u ON u.id = d.user_id";

/// Stores a batch inside `tx` (see `Storage::push`); the caller commits.
fn push_in(tx: &Transaction<'_>, user: &UserRecord, rows: &[(Event, String)]) -> Result<Vec<PushResult>> {
    let now = ts(Utc::now());
    let mut results = Vec::with_capacity(rows.len());
    for (index, (e, json)) in rows.iter().enumerate() {
        let id = e.id.to_string();
        let existing: Option<(i64, String)> = tx
            .prepare_cached("SELECT seq, content_hash FROM events WHERE id = ?1")?
            .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((seq, hash)) = existing {
            if hash != e.content_hash {
                return Err(StorageError::ConflictingEvent { index, id: e.id });
            }
            results.push(PushResult { event_id: e.id, seq: seq as u64, stored_now: false });
            continue;
        }
        let case = e.case_id.to_string();
        // Someone who held the case before it was taken from them may still send what
        // they wrote: a note is never lost because its laptop was offline when the
        // allocation changed.
        let allowed: Option<i64> = tx
            .prepare_cached(
                "SELECT 1 FROM access WHERE case_id = ?1 AND user_id = ?2
                 UNION ALL SELECT 1 FROM access_removed WHERE case_id = ?1 AND user_id = ?2 LIMIT 1",
            )?
            .query_row(params![case, user.id], |r| r.get(0))
            .optional()?;
        if allowed.is_none() {
            let exists: Option<i64> =
                tx.prepare_cached("SELECT 1 FROM cases WHERE case_id = ?1")?.query_row([&case], |r| r.get(0)).optional()?;
            if exists.is_some() {
                return Err(StorageError::CaseNotAllowed { index, case_id: e.case_id, username: user.username.clone() });
            }
            // First sight of a case: it joins the author's team, allocated to the author and
            // visible to the team's leads.
            let seq = next_seq(tx)?;
            tx.execute(
                "INSERT INTO cases (case_id, team_id, created_by, created_seq)
                 SELECT ?1, team_id, id, ?3 FROM users WHERE id = ?2",
                params![case, user.id, seq as i64],
            )?;
            tx.execute(
                "INSERT INTO access (case_id, user_id, granted_seq)
                 SELECT ?1, u.id, ?3 FROM users u
                 WHERE u.id = ?2 OR (u.role = 'lead' AND u.team_id = (SELECT team_id FROM users WHERE id = ?2))",
                params![case, user.id, seq as i64],
            )?;
        }
        let seq = next_seq(tx)?;
        tx.prepare_cached(
            "INSERT INTO events (seq, id, case_id, device_id, content_hash, event_json, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![seq as i64, id, case, e.device_id.to_string(), e.content_hash, json, now])?;
        results.push(PushResult { event_id: e.id, seq, stored_now: true });
    }
    Ok(results)
}

fn encode(events: &[Event]) -> Vec<(Event, String)> {
    events.iter().map(|e| (e.clone(), serde_json::to_string(e).expect("events serialise"))).collect()
}

fn insert_audit(tx: &Transaction<'_>, entries: &[AuditEntry]) -> Result<()> {
    let mut insert =
        tx.prepare_cached("INSERT INTO audit (at, username, device_id, action, case_id, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
    for a in entries {
        insert.execute(params![ts(a.at), a.username, a.device_id.map(|d| d.to_string()), a.action, a.case_id.map(|c| c.to_string()), a.detail])?;
    }
    Ok(())
}

#[async_trait]
impl Storage for SqliteStorage {
    async fn migrate(&self) -> Result<()> {
        self.with(|c| Ok(c.execute_batch(SCHEMA)?)).await
    }

    async fn add_team(&self, name: &str) -> Result<()> {
        let name = name.to_string();
        self.with(move |c| {
            let n = c.execute("INSERT OR IGNORE INTO teams (name) VALUES (?1)", [&name])?;
            if n == 0 {
                return Err(StorageError::Exists { what: "team", name });
            }
            Ok(())
        })
        .await
    }

    async fn add_user(&self, username: &str, team: &str, role: Role, password_hash: &str) -> Result<()> {
        let (username, team, hash) = (username.to_string(), team.to_string(), password_hash.to_string());
        self.with(move |c| {
            let tx = c.transaction()?;
            let team_id: i64 = tx
                .query_row("SELECT id FROM teams WHERE name = ?1", [&team], |r| r.get(0))
                .optional()?
                .ok_or_else(|| StorageError::NoSuchTeam(team.clone()))?;
            let n = tx.execute(
                "INSERT OR IGNORE INTO users (username, team_id, role, password_hash) VALUES (?1, ?2, ?3, ?4)",
                params![username, team_id, role.as_str(), hash],
            )?;
            if n == 0 {
                return Err(StorageError::Exists { what: "user", name: username });
            }
            if role == Role::Lead {
                // A team lead sees every case of their team, from the moment they join it.
                let uid = tx.last_insert_rowid();
                let seq = next_seq(&tx)?;
                tx.execute(
                    "INSERT OR IGNORE INTO access (case_id, user_id, granted_seq)
                     SELECT case_id, ?1, ?2 FROM cases WHERE team_id = ?3",
                    params![uid, seq as i64, team_id],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn user(&self, username: &str) -> Result<Option<UserRecord>> {
        let username = username.to_string();
        self.with(move |c| {
            let row = c
                .query_row(
                    "SELECT u.id, u.username, t.name, u.role, u.password_hash, u.failed_logins, u.locked_until
                     FROM users u JOIN teams t ON t.id = u.team_id WHERE u.username = ?1",
                    [&username],
                    user_from_row,
                )
                .optional()?;
            row.map(user_record).transpose()
        })
        .await
    }

    async fn login_failed(&self, username: &str, lock_after: u32, lock_until: DateTime<Utc>) -> Result<u32> {
        let username = username.to_string();
        self.with(move |c| {
            let n: Option<u32> = c
                .query_row(
                    "UPDATE users SET failed_logins = failed_logins + 1,
                            locked_until = CASE WHEN failed_logins + 1 >= ?2 THEN ?3 ELSE locked_until END
                     WHERE username = ?1 RETURNING failed_logins",
                    params![username, lock_after, ts(lock_until)],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(n.unwrap_or(0))
        })
        .await
    }

    async fn login_succeeded(&self, username: &str) -> Result<()> {
        let username = username.to_string();
        self.with(move |c| {
            c.execute("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE username = ?1", [username])?;
            Ok(())
        })
        .await
    }

    async fn add_device(&self, d: &DeviceRecord) -> Result<()> {
        let d = d.clone();
        self.with(move |c| {
            let uid = user_id(c, &d.username)?;
            c.execute(
                "INSERT INTO devices (id, user_id, name, secret_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![d.id.to_string(), uid, d.name, d.secret_hash, ts(d.created_at)],
            )?;
            Ok(())
        })
        .await
    }

    async fn device(&self, id: Uuid) -> Result<Option<DeviceRecord>> {
        self.with(move |c| {
            c.query_row(&format!("{DEVICE_SELECT} WHERE d.id = ?1"), [id.to_string()], device_from_row)
                .optional()?
                .map(device_record)
                .transpose()
        })
        .await
    }

    async fn renew_device_secret(&self, id: Uuid, secret_hash: &str) -> Result<()> {
        let secret_hash = secret_hash.to_string();
        self.with(move |c| {
            c.execute("UPDATE devices SET secret_hash = ?2 WHERE id = ?1", params![id.to_string(), secret_hash])?;
            Ok(())
        })
        .await
    }

    async fn devices(&self) -> Result<Vec<DeviceRecord>> {
        self.with(|c| {
            let mut stmt = c.prepare(&format!("{DEVICE_SELECT} ORDER BY u.username, d.created_at"))?;
            let rows = stmt.query_map([], device_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter().map(device_record).collect()
        })
        .await
    }

    async fn revoke_device(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool> {
        self.with(move |c| {
            // Tokens are kept so that the laptop's next request is told its access was withdrawn
            // (and locks), rather than merely that its sign-in is unknown.
            let n = c.execute(
                "UPDATE devices SET revoked_at = coalesce(revoked_at, ?2) WHERE id = ?1",
                params![id.to_string(), ts(at)],
            )?;
            Ok(n > 0)
        })
        .await
    }

    async fn device_seen(&self, id: Uuid, at: DateTime<Utc>) -> Result<()> {
        self.with(move |c| {
            c.execute("UPDATE devices SET last_seen_at = ?2 WHERE id = ?1", params![id.to_string(), ts(at)])?;
            Ok(())
        })
        .await
    }

    async fn add_token(&self, token_hash: &str, device_id: Uuid, expires_at: DateTime<Utc>) -> Result<()> {
        let token_hash = token_hash.to_string();
        self.with(move |c| {
            let tx = c.transaction()?;
            // Expired tokens are of no use to anyone: clear them out as new ones are made.
            tx.execute("DELETE FROM tokens WHERE expires_at < ?1", [ts(Utc::now() - chrono::Duration::days(1))])?;
            tx.execute(
                "INSERT INTO tokens (token_hash, device_id, expires_at) VALUES (?1, ?2, ?3)",
                params![token_hash, device_id.to_string(), ts(expires_at)],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn token(&self, token_hash: &str) -> Result<Option<TokenRecord>> {
        let token_hash = token_hash.to_string();
        self.with(move |c| {
            let row: Option<(String, String)> = c
                .query_row("SELECT device_id, expires_at FROM tokens WHERE token_hash = ?1", [token_hash], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            row.map(|(d, e)| Ok(TokenRecord { device_id: parse_uuid(&d)?, expires_at: parse_ts(&e)? })).transpose()
        })
        .await
    }

    async fn authenticate(&self, token_hash: &str) -> Result<Option<Authentication>> {
        let token_hash = token_hash.to_string();
        self.with(move |c| {
            // The device appears only with its user (as in `device`), the user only with its team
            // (as in `user`).
            let row = c
                .prepare_cached(
                    "SELECT t.device_id, t.expires_at,
                            d.id, u.username, d.name, d.secret_hash, d.created_at, d.revoked_at, d.last_seen_at,
                            u.id, u.username, tm.name, u.role, u.password_hash, u.failed_logins, u.locked_until
                     FROM tokens t
                     LEFT JOIN devices d ON d.id = t.device_id
                     LEFT JOIN users u ON u.id = d.user_id
                     LEFT JOIN teams tm ON tm.id = u.team_id
                     WHERE t.token_hash = ?1",
                )?
                .query_row([token_hash], |r| {
                    let token: (String, String) = (r.get(0)?, r.get(1)?);
                    let device: Option<String> = r.get(2)?;
                    let device_user: Option<String> = r.get(3)?;
                    let device = match (device, device_user) {
                        (Some(id), Some(username)) => Some((id, username, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?)),
                        _ => None,
                    };
                    let user_id: Option<i64> = r.get(9)?;
                    let team: Option<String> = r.get(11)?;
                    let user = match (user_id, team) {
                        (Some(id), Some(team)) => Some((id, r.get(10)?, team, r.get(12)?, r.get(13)?, r.get(14)?, r.get(15)?)),
                        _ => None,
                    };
                    Ok((token, device, user))
                })
                .optional()?;
            let Some(((device_id, expires_at), device, user)) = row else { return Ok(None) };
            let device = device.map(device_record).transpose()?;
            let user = match (&device, user) {
                (Some(_), Some(u)) => Some(user_record(u)?),
                _ => None,
            };
            Ok(Some(Authentication {
                token: TokenRecord { device_id: parse_uuid(&device_id)?, expires_at: parse_ts(&expires_at)? },
                device,
                user,
            }))
        })
        .await
    }

    async fn allocate(&self, case_id: Uuid, username: &str) -> Result<()> {
        let username = username.to_string();
        self.with(move |c| {
            let tx = c.transaction()?;
            let uid = user_id(&tx, &username)?;
            let known: Option<i64> =
                tx.query_row("SELECT 1 FROM cases WHERE case_id = ?1", [case_id.to_string()], |r| r.get(0)).optional()?;
            if known.is_none() {
                return Err(StorageError::Unsupported(format!(
                    "case {case_id} is not on the central store yet; it arrives with the first sync of the laptop it was opened on"
                )));
            }
            let seq = next_seq(&tx)?;
            tx.execute(
                "INSERT INTO access (case_id, user_id, granted_seq) VALUES (?1, ?2, ?3)
                 ON CONFLICT (case_id, user_id) DO NOTHING",
                params![case_id.to_string(), uid, seq as i64],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn deallocate(&self, case_id: Uuid, username: &str) -> Result<bool> {
        let username = username.to_string();
        self.with(move |c| {
            let tx = c.transaction()?;
            let uid = user_id(&tx, &username)?;
            let n = tx.execute("DELETE FROM access WHERE case_id = ?1 AND user_id = ?2", params![case_id.to_string(), uid])?;
            if n > 0 {
                let seq = next_seq(&tx)?;
                tx.execute(
                    "INSERT INTO access_removed (case_id, user_id, seq) VALUES (?1, ?2, ?3)",
                    params![case_id.to_string(), uid, seq as i64],
                )?;
            }
            tx.commit()?;
            Ok(n > 0)
        })
        .await
    }

    async fn can_read(&self, user: &UserRecord, case_id: Uuid) -> Result<bool> {
        let uid = user.id;
        self.with(move |c| {
            Ok(c.query_row(
                "SELECT 1 FROM access WHERE case_id = ?1 AND user_id = ?2",
                params![case_id.to_string(), uid],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .is_some())
        })
        .await
    }

    async fn allocations(&self, user: &UserRecord) -> Result<Vec<CaseAllocation>> {
        let uid = user.id;
        self.with(move |c| {
            // The caller's cases (a1), each with the clinicians who hold it (a2); the LEFT JOIN
            // keeps a case no clinician holds any more. TEXT compares bytewise (BINARY), and a
            // hyphenated lowercase UUID sorts as its bytes do.
            let mut stmt = c.prepare_cached(
                "SELECT a1.case_id, k.username
                 FROM access a1
                 LEFT JOIN (SELECT a2.case_id, u.username FROM access a2 JOIN users u ON u.id = a2.user_id
                            WHERE u.role = 'clinician') k ON k.case_id = a1.case_id
                 WHERE a1.user_id = ?1
                 ORDER BY a1.case_id, k.username",
            )?;
            let rows = stmt
                .query_map([uid], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut out: Vec<CaseAllocation> = Vec::new();
            for (case, username) in rows {
                let case_id = parse_uuid(&case)?;
                if out.last().map(|a| a.case_id) != Some(case_id) {
                    out.push(CaseAllocation { case_id, clinicians: Vec::new() });
                }
                if let (Some(name), Some(last)) = (username, out.last_mut()) {
                    last.clinicians.push(name);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn push(&self, user: &UserRecord, events: &[Event]) -> Result<Vec<PushResult>> {
        let user = user.clone();
        let rows = encode(events);
        self.with(move |c| {
            let tx = c.transaction()?;
            let results = push_in(&tx, &user, &rows)?;
            tx.commit()?;
            Ok(results)
        })
        .await
    }

    async fn push_recorded(&self, user: &UserRecord, device_id: Uuid, events: &[Event], at: DateTime<Utc>) -> Result<Vec<PushResult>> {
        let user = user.clone();
        let rows = encode(events);
        let notes = super::signed_note_ids(events);
        self.with(move |c| {
            // One transaction, so one fsync, for the events, the drafts they settle and the audit.
            let tx = c.transaction()?;
            let results = push_in(&tx, &user, &rows)?;
            {
                let mut delete = tx.prepare_cached("DELETE FROM drafts WHERE user_id = ?1 AND note_id = ?2")?;
                for note_id in &notes {
                    delete.execute(params![user.id, note_id.to_string()])?;
                }
            }
            let events: Vec<Event> = rows.into_iter().map(|(e, _)| e).collect();
            insert_audit(&tx, &super::push_audit_entries(&user, device_id, &events, &results, at))?;
            tx.commit()?;
            Ok(results)
        })
        .await
    }

    async fn pull(&self, user: &UserRecord, exclude_device: Uuid, after: Cursor, limit: usize, max_bytes: usize) -> Result<PullPage> {
        let uid = user.id;
        self.with(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT max(e.seq, a.granted_seq) AS vis, e.seq, e.event_json
                 FROM access a JOIN events e ON e.case_id = a.case_id
                 WHERE a.user_id = ?1 AND e.device_id != ?2
                   AND (max(e.seq, a.granted_seq) > ?3 OR (max(e.seq, a.granted_seq) = ?3 AND e.seq > ?4))
                 ORDER BY vis, e.seq
                 LIMIT ?5",
            )?;
            let mut rows = stmt.query(params![
                uid,
                exclude_device.to_string(),
                after.visible_from as i64,
                after.seq as i64,
                (limit + 1) as i64
            ])?;
            let mut events = Vec::new();
            let mut next_cursor = after;
            let mut bytes = 0usize;
            let mut more = false;
            while let Some(r) = rows.next()? {
                let (vis, seq, json): (i64, i64, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
                // A page always carries at least one event, however large, so a puller never stalls.
                if events.len() == limit || (!events.is_empty() && bytes + json.len() > max_bytes) {
                    more = true;
                    break;
                }
                bytes += json.len();
                events.push(PulledEvent { seq: seq as u64, event: parse_event(&json)? });
                next_cursor = Cursor { visible_from: vis as u64, seq: seq as u64 };
            }
            let mut removed = c.prepare_cached(
                "SELECT DISTINCT r.case_id FROM access_removed r
                 WHERE r.user_id = ?1 AND r.seq > ?2
                   AND NOT EXISTS (SELECT 1 FROM access a WHERE a.case_id = r.case_id AND a.user_id = r.user_id)
                 ORDER BY r.case_id",
            )?;
            let access_removed = removed
                .query_map(params![uid, after.visible_from as i64], |r| r.get::<_, String>(0))?
                .map(|r| r.map_err(StorageError::from).and_then(|s| parse_uuid(&s)))
                .collect::<Result<Vec<_>>>()?;
            Ok(PullPage { events, next_cursor, more, access_removed })
        })
        .await
    }

    async fn case_digest(&self, case_id: Uuid) -> Result<CaseDigest> {
        self.with(move |c| {
            let mut stmt = c.prepare_cached("SELECT id FROM events WHERE case_id = ?1")?;
            let ids = stmt
                .query_map([case_id.to_string()], |r| r.get::<_, String>(0))?
                .map(|r| r.map_err(StorageError::from).and_then(|s| parse_uuid(&s)))
                .collect::<Result<Vec<_>>>()?;
            let (event_count, digest) = digest_of(&ids);
            Ok(CaseDigest { case_id, event_count, digest })
        })
        .await
    }

    async fn case_events(&self, case_id: Uuid) -> Result<Vec<PulledEvent>> {
        self.with(move |c| {
            let mut stmt = c.prepare_cached("SELECT seq, event_json FROM events WHERE case_id = ?1 ORDER BY seq")?;
            let rows = stmt
                .query_map([case_id.to_string()], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter().map(|(seq, json)| Ok(PulledEvent { seq: seq as u64, event: parse_event(&json)? })).collect()
        })
        .await
    }

    async fn latest_seq(&self) -> Result<u64> {
        self.with(|c| Ok(c.query_row("SELECT value FROM counters WHERE name = 'seq'", [], |r| r.get::<_, i64>(0))? as u64)).await
    }

    async fn event_count(&self) -> Result<u64> {
        self.with(|c| Ok(c.query_row("SELECT count(*) FROM events", [], |r| r.get::<_, i64>(0))? as u64)).await
    }

    async fn put_draft(&self, user: &UserRecord, d: &DraftBackup) -> Result<()> {
        let (uid, d) = (user.id, d.clone());
        self.with(move |c| {
            // An older revision arriving late (a retried request) never overwrites a newer one.
            c.execute(
                "INSERT INTO drafts (user_id, note_id, case_id, text, revision, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (user_id, note_id) DO UPDATE SET text = excluded.text, revision = excluded.revision,
                    updated_at = excluded.updated_at, case_id = excluded.case_id
                 WHERE excluded.revision >= drafts.revision",
                params![uid, d.note_id.to_string(), d.case_id.to_string(), d.text, d.revision, ts(d.updated_at)],
            )?;
            Ok(())
        })
        .await
    }

    async fn drafts(&self, user: &UserRecord) -> Result<Vec<DraftBackup>> {
        let uid = user.id;
        self.with(move |c| {
            let mut stmt = c.prepare(
                "SELECT note_id, case_id, text, revision, updated_at FROM drafts WHERE user_id = ?1 ORDER BY updated_at DESC, note_id",
            )?;
            let rows = stmt
                .query_map([uid], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?, r.get(3)?, r.get::<_, String>(4)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter()
                .map(|(n, cid, text, revision, at)| {
                    Ok(DraftBackup { note_id: parse_uuid(&n)?, case_id: parse_uuid(&cid)?, text, revision, updated_at: parse_ts(&at)? })
                })
                .collect()
        })
        .await
    }

    async fn delete_draft(&self, user: &UserRecord, note_id: Uuid) -> Result<()> {
        let uid = user.id;
        self.with(move |c| {
            c.execute("DELETE FROM drafts WHERE user_id = ?1 AND note_id = ?2", params![uid, note_id.to_string()])?;
            Ok(())
        })
        .await
    }

    async fn audit(&self, a: &AuditEntry) -> Result<()> {
        self.audit_many(std::slice::from_ref(a)).await
    }

    async fn audit_many(&self, entries: &[AuditEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let entries = entries.to_vec();
        self.with(move |c| {
            // One transaction, so one fsync, for every entry of a request.
            let tx = c.transaction()?;
            insert_audit(&tx, &entries)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn audit_for_case(&self, case_id: Uuid) -> Result<Vec<AuditEntry>> {
        self.with(move |c| {
            let mut stmt = c.prepare(
                "SELECT at, username, device_id, action, case_id, detail FROM audit WHERE case_id = ?1 ORDER BY id",
            )?;
            let rows = stmt
                .query_map([case_id.to_string()], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter()
                .map(|(at, username, device, action, case, detail)| {
                    Ok(AuditEntry {
                        at: parse_ts(&at)?,
                        username,
                        device_id: device.as_deref().map(parse_uuid).transpose()?,
                        action,
                        case_id: case.as_deref().map(parse_uuid).transpose()?,
                        detail,
                    })
                })
                .collect()
        })
        .await
    }

    async fn backup(&self, to: &Path) -> Result<()> {
        let to = to.to_path_buf();
        self.with(move |c| {
            // SQLite's online backup API copies a consistent snapshot while the server keeps serving.
            let mut dest = Connection::open(&to)?;
            let backup = rusqlite::backup::Backup::new(c, &mut dest)?;
            backup.run_to_completion(256, std::time::Duration::from_millis(5), None)?;
            Ok(())
        })
        .await
    }
}

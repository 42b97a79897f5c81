//! The embedded backend: one SQLite file, zero set-up.
//!
//! One connection behind a mutex serialises writers, so sequence numbers are allocated and
//! committed in the same order and a puller can never see N+1 before N.

use super::{Authentication, DeviceRecord, OpenError, PullPage, Result, Storage, StorageError, TokenRecord, UserRecord};
use crate::admission::{decide, signatures_after_told, Decision, Facts, HeldEvent, Standing};
use async_trait::async_trait;
use casebook_domain::Event;
use casebook_protocol::{digest_of, AuditEntry, CaseAllocation, CaseDigest, Cursor, DraftBackup, PulledEvent, PushResult, Role};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use crate::key::StoreKey;
use crate::private::{create_private_file, private_dir, private_file_if_present};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

mod accounts;
mod settle;
mod team;

pub struct SqliteStorage {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
    /// Kept for backups, which are encrypted with the store's own key unless given another.
    key: StoreKey,
}

/// How every plaintext SQLite database begins; an encrypted one begins with its random salt.
const PLAINTEXT_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Whether `path` is an unencrypted SQLite database (false when it is absent or empty).
pub fn is_plaintext(path: &Path) -> Result<bool, OpenError> {
    use std::io::Read;
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(StorageError::Backend(format!("{}: {e}", path.display())).into()),
    };
    let mut header = [0u8; 16];
    match file.read_exact(&mut header) {
        Ok(()) => Ok(&header == PLAINTEXT_HEADER),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(StorageError::Backend(format!("{}: {e}", path.display())).into()),
    }
}

/// The files SQLite keeps beside a database while it is open in WAL mode.
fn sidecars(path: &Path) -> [PathBuf; 2] {
    ["-wal", "-shm"].map(|suffix| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    })
}

/// The store's folder 0700 (created if missing), and the database and its WAL files 0600 if they
/// exist: a store made before files were kept private is tightened the first time it is opened.
fn make_private(path: &Path) -> Result<(), OpenError> {
    let denied = |p: &Path| {
        let path = p.to_path_buf();
        move |source| OpenError::Permissions { path, source }
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        private_dir(parent).map_err(denied(parent))?;
    }
    private_file_if_present(path).map_err(denied(path))?;
    for sidecar in sidecars(path) {
        private_file_if_present(&sidecar).map_err(denied(&sidecar))?;
    }
    Ok(())
}

/// A connection to `path` with `key` given before anything else (SQLCipher requires it first).
fn keyed_connection(path: &Path, key: &StoreKey) -> Result<Connection, OpenError> {
    let conn = Connection::open(path)?;
    // SQLCipher would also write its own diagnostics of a wrong key to standard error, around
    // the one sentence this gives; the setting is process-wide and reads nothing from the file.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    conn.execute_batch(&format!("PRAGMA key = {};", key.sqlcipher_literal()))?;
    // SQLCipher only finds out at the first read that a key does not fit; read now, so the answer
    // is a sentence here rather than "file is not a database" from whichever request came first.
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)) {
        Ok(_) => Ok(conn),
        Err(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::NotADatabase => {
            Err(OpenError::WrongKey { path: path.to_path_buf() })
        }
        Err(e) => Err(e.into()),
    }
}

/// Leaves WAL mode, which SQLite allows only when no other connection has the database open:
/// a rekey or an encryption must not run under a serving server (its pages would change key
/// beneath it). Also folds the WAL into the main file, so nothing is left in a -wal file.
fn take_exclusive(conn: &Connection, path: &Path) -> Result<(), OpenError> {
    let in_use = || OpenError::InUse { path: path.to_path_buf() };
    match conn.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get::<_, String>(0)) {
        Ok(mode) if mode.eq_ignore_ascii_case("delete") => Ok(()),
        Ok(_) => Err(in_use()),
        Err(rusqlite::Error::SqliteFailure(f, _))
            if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) =>
        {
            Err(in_use())
        }
        Err(e) => Err(e.into()),
    }
}

/// The row count of every table, to compare a copy with its original.
fn table_counts(conn: &Connection, schema: &str) -> Result<Vec<(String, i64)>, OpenError> {
    let tables: Vec<String> = conn
        .prepare(&format!("SELECT name FROM {schema}.sqlite_master WHERE type = 'table' ORDER BY name"))?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    tables
        .into_iter()
        .map(|t| {
            let n = conn.query_row(&format!("SELECT count(*) FROM {schema}.\"{t}\""), [], |r| r.get(0))?;
            Ok((t, n))
        })
        .collect()
}

/// Changes the key of the store at `path` from `old` to `new` (`PRAGMA rekey`), with the server
/// stopped. Every page is rewritten under the new key in one transaction: a crash leaves the
/// store under the old key, whole.
pub fn rekey(path: &Path, old: &StoreKey, new: &StoreKey) -> Result<(), OpenError> {
    make_private(path)?;
    if !path.exists() {
        return Err(OpenError::NoStore { path: path.to_path_buf() });
    }
    if is_plaintext(path)? {
        return Err(OpenError::NotEncrypted { path: path.to_path_buf() });
    }
    let conn = keyed_connection(path, old)?;
    take_exclusive(&conn, path)?;
    conn.execute_batch(&format!("PRAGMA rekey = {};", new.sqlcipher_literal()))?;
    conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))?;
    drop(conn);
    keyed_connection(path, new).map(drop)
}

/// Encrypts a plaintext store in place with `key`, with the server stopped: an encrypted copy is
/// written beside it, checked table by table, and then replaces it. Returns how many tables
/// were copied.
pub fn encrypt_plaintext(path: &Path, key: &StoreKey) -> Result<usize, OpenError> {
    make_private(path)?;
    if !is_plaintext(path)? {
        return Err(if path.exists() {
            OpenError::AlreadyEncrypted { path: path.to_path_buf() }
        } else {
            OpenError::NoStore { path: path.to_path_buf() }
        });
    }
    let mut staging = path.as_os_str().to_owned();
    staging.push(".encrypting");
    let staging = PathBuf::from(staging);
    // A leftover of an attempt that was interrupted: it never replaced the store, so it can go.
    let _ = std::fs::remove_file(&staging);
    create_private_file(&staging).map_err(|source| OpenError::Permissions { path: staging.clone(), source })?;
    let copied = (|| {
        let conn = Connection::open(path)?;
        take_exclusive(&conn, path)?;
        conn.execute("ATTACH DATABASE ?1 AS encrypted KEY ?2", params![staging.to_string_lossy(), format!("x'{}'", key.hex())])?;
        conn.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
        let version: i64 = conn.query_row("PRAGMA main.user_version", [], |r| r.get(0))?;
        conn.execute_batch(&format!("PRAGMA encrypted.user_version = {version};"))?;
        let (before, after) = (table_counts(&conn, "main")?, table_counts(&conn, "encrypted")?);
        conn.execute_batch("DETACH DATABASE encrypted;")?;
        if before != after {
            return Err(OpenError::from(StorageError::Backend("the encrypted copy does not match the original; nothing was changed".into())));
        }
        drop(conn);
        let check = keyed_connection(&staging, key)?;
        if table_counts(&check, "main")? != before {
            return Err(OpenError::from(StorageError::Backend("the encrypted copy does not read back; nothing was changed".into())));
        }
        Ok(before.len())
    })();
    match copied {
        Ok(n) => {
            std::fs::rename(&staging, path).map_err(|e| StorageError::Backend(format!("{}: {e}", path.display())))?;
            for sidecar in sidecars(path) {
                let _ = std::fs::remove_file(sidecar);
            }
            Ok(n)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&staging);
            Err(e)
        }
    }
}

/// Copies `from` to a new `to` with SQLite's backup API, `to` encrypted with `to_key`; a partial
/// copy is removed on failure.
fn copy_encrypted(from: &Connection, to: &Path, to_key: &StoreKey) -> Result<(), OpenError> {
    create_private_file(to).map_err(|source| match source.kind() {
        std::io::ErrorKind::AlreadyExists => StorageError::Exists { what: "file", name: to.display().to_string() }.into(),
        _ => OpenError::Permissions { path: to.to_path_buf(), source },
    })?;
    let copied = (|| {
        let mut dest = keyed_connection(to, to_key)?;
        let backup = rusqlite::backup::Backup::new(from, &mut dest)?;
        backup.run_to_completion(256, std::time::Duration::from_millis(5), None)?;
        Ok(())
    })();
    if copied.is_err() {
        let _ = std::fs::remove_file(to);
        for sidecar in sidecars(to) {
            let _ = std::fs::remove_file(sidecar);
        }
    }
    copied
}

/// Restores an encrypted backup into a new store at `path` (which must not exist), re-encrypted
/// with `key`. The backup is checked before anything is written.
pub fn restore(backup: &Path, backup_key: &StoreKey, path: &Path, key: &StoreKey) -> Result<(), OpenError> {
    if path.exists() {
        return Err(StorageError::Exists { what: "central store", name: path.display().to_string() }.into());
    }
    if is_plaintext(backup)? {
        return Err(OpenError::NotEncrypted { path: backup.to_path_buf() });
    }
    let source = keyed_connection(backup, backup_key)?;
    let check: String = source.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(StorageError::Backend(format!("the backup {} is damaged ({check})", backup.display())).into());
    }
    make_private(path)?;
    copy_encrypted(&source, path, key)
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
    detail TEXT NOT NULL,
    source TEXT
);
CREATE INDEX IF NOT EXISTS audit_by_case ON audit (case_id, id);
-- What each case holds that may exist only once (a note's signature, the case's opening…),
-- with the event that made it: the primary key is the rule, kept by the database itself.
CREATE TABLE IF NOT EXISTS claims (
    case_id TEXT NOT NULL,
    claim TEXT NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (case_id, claim)
);
-- When a laptop was told a case is no longer allocated to its clinician, and how far it had
-- written by then (its own sequence number).
CREATE TABLE IF NOT EXISTS removal_told (
    case_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    written_up_to INTEGER NOT NULL,
    told_at TEXT NOT NULL,
    PRIMARY KEY (case_id, device_id)
);
-- Events taken in with a reservation for the team lead (written after an allocation ended).
CREATE TABLE IF NOT EXISTS event_flags (event_id TEXT PRIMARY KEY, flag TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit is append-only and cannot be changed'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit is append-only and cannot be deleted'); END;
"#;

/// Columns added after the first release, for stores created before them (`ADD COLUMN` has no
/// `IF NOT EXISTS` in SQLite, so each is added only when `pragma_table_info` lacks it).
const ADDED_COLUMNS: &[(&str, &str, &str)] =
    &[("audit", "source", "TEXT"), ("devices", "last_sync_at", "TEXT"), ("devices", "notes_waiting", "INTEGER")];

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
    /// Opens (or creates) the encrypted store at `path` with `key`, making its folder and files
    /// private first. A plaintext store is refused ([`OpenError::NotEncrypted`]), a key that does
    /// not fit gives [`OpenError::WrongKey`].
    pub fn open(path: &Path, key: &StoreKey) -> Result<Self, OpenError> {
        make_private(path)?;
        if is_plaintext(path)? {
            return Err(OpenError::NotEncrypted { path: path.to_path_buf() });
        }
        if !path.exists() {
            // Created here rather than by SQLite so that it is 0600 from its first byte; SQLite
            // gives the -wal and -shm files it makes later the database file's own mode.
            create_private_file(path).map_err(|source| OpenError::Permissions { path: path.to_path_buf(), source })?;
        }
        let conn = keyed_connection(path, key)?;
        // Sorts and temporary indexes stay in memory, so no page of a note goes to a temporary
        // file (as in the laptop's store).
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;
             PRAGMA temp_store = MEMORY;",
        )?;
        Ok(SqliteStorage { conn: Arc::new(Mutex::new(conn)), path: path.to_path_buf(), key: key.clone() })
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

/// A user row as read: id, username, team, role, password hash, failed logins, locked until,
/// disabled at.
type UserRow = (i64, String, String, String, String, u32, Option<String>, Option<String>);
/// A device row as read: id, username, name, secret hash, created, revoked, last seen.
type DeviceRow = (String, String, String, String, String, Option<String>, Option<String>);

fn user_from_row(r: &rusqlite::Row) -> rusqlite::Result<UserRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
}

fn user_record(row: UserRow) -> Result<UserRecord> {
    let (id, username, team, role, password_hash, failed_logins, locked_until, disabled_at) = row;
    Ok(UserRecord {
        id,
        username,
        team,
        role: role.parse().map_err(StorageError::Backend)?,
        password_hash,
        failed_logins,
        locked_until: locked_until.as_deref().map(parse_ts).transpose()?,
        disabled_at: disabled_at.as_deref().map(parse_ts).transpose()?,
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

const AUDIT_SELECT: &str = "SELECT id, at, username, device_id, action, case_id, detail, source FROM audit";

/// An audit row as read: id, at, username, device, action, case, detail, source.
type AuditRowColumns = (i64, String, String, Option<String>, String, Option<String>, String, Option<String>);

fn audit_from_row(r: &rusqlite::Row) -> rusqlite::Result<AuditRowColumns> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
}

fn audit_row(row: AuditRowColumns) -> Result<super::AuditRow> {
    let (id, at, username, device, action, case, detail, source) = row;
    Ok(super::AuditRow {
        id: id as u64,
        entry: AuditEntry {
            at: parse_ts(&at)?,
            username,
            device_id: device.as_deref().map(parse_uuid).transpose()?,
            action,
            case_id: case.as_deref().map(parse_uuid).transpose()?,
            detail,
            source,
        },
    })
}

const DEVICE_SELECT: &str = "SELECT d.id, u.username, d.name, d.secret_hash, d.created_at, d.revoked_at, d.last_seen_at
                             FROM devices d JOIN users u ON u.id = d.user_id";

/// What `admission::decide` needs, read inside the push's transaction (which the connection
/// mutex serialises, so nothing changes between reading and writing).
fn facts_in(tx: &Transaction<'_>, user: &UserRecord, events: &[Event]) -> Result<Facts> {
    let mut facts = Facts::default();
    let mut held = tx.prepare_cached("SELECT seq, case_id, content_hash, received_at FROM events WHERE id = ?1")?;
    let mut access = tx.prepare_cached("SELECT 1 FROM access WHERE case_id = ?1 AND user_id = ?2")?;
    let mut removed = tx.prepare_cached("SELECT 1 FROM access_removed WHERE case_id = ?1 AND user_id = ?2 LIMIT 1")?;
    let mut told = tx.prepare_cached("SELECT written_up_to FROM removal_told WHERE case_id = ?1 AND device_id = ?2")?;
    let mut exists = tx.prepare_cached("SELECT 1 FROM cases WHERE case_id = ?1")?;
    let mut claimed = tx.prepare_cached("SELECT 1 FROM claims WHERE case_id = ?1 AND claim = ?2")?;
    for e in events {
        let id = e.id.to_string();
        let case = e.case_id.to_string();
        if let Some((seq, case_id, content_hash, received_at)) = held
            .query_row([&id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?)))
            .optional()?
        {
            facts.held.insert(
                e.id,
                HeldEvent { seq: seq as u64, case_id: parse_uuid(&case_id)?, content_hash, received_at: parse_ts(&received_at).ok() },
            );
        }
        if let std::collections::hash_map::Entry::Vacant(slot) = facts.standing.entry(e.case_id) {
            let standing = if access.query_row(params![case, user.id], |_| Ok(())).optional()?.is_some() {
                Standing::Holds
            } else if removed.query_row(params![case, user.id], |_| Ok(())).optional()?.is_some() {
                let limit: Option<i64> = told.query_row(params![case, e.device_id.to_string()], |r| r.get(0)).optional()?;
                Standing::Removed { told_up_to: limit.map(|l| l as u64) }
            } else if exists.query_row([&case], |_| Ok(())).optional()?.is_some() {
                Standing::Other
            } else {
                Standing::Unknown
            };
            slot.insert(standing);
        }
        for claim in [e.claim(), e.requires()].into_iter().flatten() {
            if claimed.query_row(params![case, claim.to_string()], |_| Ok(())).optional()?.is_some() {
                facts.claims.insert((e.case_id, claim));
            }
        }
    }
    if crate::admission::needs_supervisor(events) {
        facts.supervisor = tx.query_row("SELECT supervisor FROM users WHERE id = ?1", [user.id], |r| r.get(0)).optional()?.unwrap_or(false);
    }
    if crate::admission::needs_team(events) {
        let mut members = tx.prepare_cached("SELECT username, role FROM users WHERE team_id = (SELECT team_id FROM users WHERE id = ?1)")?;
        for row in members.query_map([user.id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
            let (username, role) = row?;
            facts.team.insert(username, role.parse().map_err(StorageError::Backend)?);
        }
    }
    // Rare (a signature after the laptop was told its case was taken away): was the note begun
    // before? Its draft's event says so.
    let device = events.first().map(|e| e.device_id.to_string()).unwrap_or_default();
    for (case, note_id, limit) in signatures_after_told(events, &facts) {
        let begun: Option<i64> = tx
            .query_row(
                "SELECT 1 FROM events WHERE case_id = ?1 AND device_id = ?2
                   AND json_extract(event_json, '$.kind') = 'note_drafted'
                   AND json_extract(event_json, '$.payload.note_id') = ?3
                   AND json_extract(event_json, '$.device_seq') <= ?4
                 LIMIT 1",
                params![case.to_string(), device, note_id.to_string(), limit as i64],
                |r| r.get(0),
            )
            .optional()?;
        if begun.is_some() {
            facts.begun_before_told.insert((case, note_id));
        }
    }
    Ok(facts)
}

/// Stores a batch inside `tx` (see `Storage::push`); the caller commits.
fn push_in(tx: &Transaction<'_>, user: &UserRecord, rows: &[(Event, String)]) -> Result<Vec<PushResult>> {
    let received_at = Utc::now();
    let now = ts(received_at);
    let events: Vec<Event> = rows.iter().map(|(e, _)| e.clone()).collect();
    let facts = facts_in(tx, user, &events)?;
    let decisions = decide(&events, &facts, &user.username, user.role);
    let mut results = Vec::with_capacity(rows.len());
    for ((e, json), decision) in rows.iter().zip(decisions) {
        let (new_case, late) = match decision {
            Decision::Held { seq } => {
                let received_at = facts.held.get(&e.id).and_then(|h| h.received_at);
                results.push(PushResult { event_id: e.id, seq, stored_now: false, received_at, refused: None });
                continue;
            }
            Decision::Refused(problem) => {
                results.push(PushResult::refused(e.id, problem));
                continue;
            }
            Decision::Store { new_case, late } => (new_case, late),
        };
        let case = e.case_id.to_string();
        let id = e.id.to_string();
        if new_case {
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
                 WHERE u.id = ?2 OR (u.role IN ('lead', 'admin') AND u.team_id = (SELECT team_id FROM users WHERE id = ?2))",
                params![case, user.id, seq as i64],
            )?;
        }
        let seq = next_seq(tx)?;
        tx.prepare_cached(
            "INSERT INTO events (seq, id, case_id, device_id, content_hash, event_json, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![seq as i64, id, case, e.device_id.to_string(), e.content_hash, json, now])?;
        if let Some(claim) = e.claim() {
            tx.prepare_cached("INSERT INTO claims (case_id, claim, event_id) VALUES (?1, ?2, ?3)")?
                .execute(params![case, claim.to_string(), id])?;
        }
        if let Some(flag) = late {
            tx.prepare_cached("INSERT INTO event_flags (event_id, flag) VALUES (?1, ?2)")?.execute(params![id, flag])?;
        }
        results.push(PushResult { event_id: e.id, seq, stored_now: true, received_at: Some(received_at), refused: None });
    }
    Ok(results)
}

/// Records the claims of events stored before claims were kept (once, at the first start of a
/// server that keeps them), in the order they were stored: the first holder keeps a claim.
fn backfill_claims(c: &mut Connection) -> Result<()> {
    let tx = c.transaction()?;
    let done: Option<i64> = tx.query_row("SELECT value FROM counters WHERE name = 'claims_v1'", [], |r| r.get(0)).optional()?;
    if done.is_none() {
        let stored = {
            let mut stmt = tx.prepare("SELECT event_json FROM events ORDER BY seq")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
            rows.iter().map(|j| parse_event(j)).collect::<Result<Vec<_>>>()?
        };
        let mut insert = tx.prepare("INSERT OR IGNORE INTO claims (case_id, claim, event_id) VALUES (?1, ?2, ?3)")?;
        for (case, claim, event) in super::claims_of(stored) {
            insert.execute(params![case.to_string(), claim, event.to_string()])?;
        }
        drop(insert);
        tx.execute("INSERT INTO counters (name, value) VALUES ('claims_v1', 1)", [])?;
    }
    // Admin staff hold their team's cases (their view of them) since the team's inbox; give
    // accounts made before that their team's cases, once.
    let done: Option<i64> = tx.query_row("SELECT value FROM counters WHERE name = 'admin_access_v1'", [], |r| r.get(0)).optional()?;
    if done.is_none() {
        // A sequence number only when there is something to grant (a new store's numbering starts
        // with its first case).
        let missing: Option<i64> = tx
            .query_row(
                "SELECT 1 FROM users u JOIN cases c ON c.team_id = u.team_id WHERE u.role = 'admin'
                 AND NOT EXISTS (SELECT 1 FROM access a WHERE a.case_id = c.case_id AND a.user_id = u.id) LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let seq = if missing.is_some() { next_seq(&tx)? } else { 0 };
        tx.execute(
            "INSERT OR IGNORE INTO access (case_id, user_id, granted_seq)
             SELECT c.case_id, u.id, ?1 FROM users u JOIN cases c ON c.team_id = u.team_id WHERE u.role = 'admin'",
            [seq as i64],
        )?;
        tx.execute("INSERT INTO counters (name, value) VALUES ('admin_access_v1', 1)", [])?;
    }
    tx.commit()?;
    Ok(())
}

fn encode(events: &[Event]) -> Vec<(Event, String)> {
    events.iter().map(|e| (e.clone(), serde_json::to_string(e).expect("events serialise"))).collect()
}

fn insert_audit(tx: &Transaction<'_>, entries: &[AuditEntry]) -> Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO audit (at, username, device_id, action, case_id, detail, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for a in entries {
        insert.execute(params![
            ts(a.at),
            a.username,
            a.device_id.map(|d| d.to_string()),
            a.action,
            a.case_id.map(|c| c.to_string()),
            a.detail,
            a.source
        ])?;
    }
    Ok(())
}

#[async_trait]
impl Storage for SqliteStorage {
    async fn migrate(&self) -> Result<()> {
        self.with(|c| {
            let tx = c.transaction()?;
            tx.execute_batch(SCHEMA)?;
            for (table, column, kind) in ADDED_COLUMNS {
                let present: i64 =
                    tx.query_row(&format!("SELECT count(*) FROM pragma_table_info('{table}') WHERE name = ?1"), [column], |r| r.get(0))?;
                if present == 0 {
                    tx.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {kind}"))?;
                }
            }
            tx.commit()?;
            accounts::migrate(c)?;
            c.execute_batch(settle::SCHEMA)?;
            backfill_claims(c)
        })
        .await
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
            if role.sees_whole_team() {
                // A team lead sees every case of their team, from the moment they join it (admin
                // staff too, only its referral, contact and appointment entries).
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
                    "SELECT u.id, u.username, t.name, u.role, u.password_hash, u.failed_logins, u.locked_until, u.disabled_at
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
                            u.id, u.username, tm.name, u.role, u.password_hash, u.failed_logins, u.locked_until, u.disabled_at
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
                        (Some(id), Some(team)) => Some((id, r.get(10)?, team, r.get(12)?, r.get(13)?, r.get(14)?, r.get(15)?, r.get(16)?)),
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
            // The role is read with the access row, so an administrator given access before
            // administrators were kept from clinical content still reads nothing.
            Ok(c.query_row(
                "SELECT 1 FROM access a JOIN users u ON u.id = a.user_id
                 WHERE a.case_id = ?1 AND a.user_id = ?2 AND u.role <> 'admin'",
                params![case_id.to_string(), uid],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .is_some())
        })
        .await
    }

    async fn case_team(&self, case_id: Uuid) -> Result<Option<String>> {
        self.with(move |c| {
            Ok(c.query_row(
                "SELECT t.name FROM cases c JOIN teams t ON t.id = c.team_id WHERE c.case_id = ?1",
                [case_id.to_string()],
                |r| r.get::<_, String>(0),
            )
            .optional()?)
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
        self.with(move |c| {
            // One transaction, so one fsync, for the events, the drafts they settle and the audit.
            let tx = c.transaction()?;
            let results = push_in(&tx, &user, &rows)?;
            let events: Vec<Event> = rows.iter().map(|(e, _)| e.clone()).collect();
            let notes = super::signed_note_ids(&events, &results);
            {
                let mut delete = tx.prepare_cached("DELETE FROM drafts WHERE user_id = ?1 AND note_id = ?2")?;
                for note_id in &notes {
                    delete.execute(params![user.id, note_id.to_string()])?;
                }
            }
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
                "SELECT max(e.seq, a.granted_seq) AS vis, e.seq, e.event_json, e.received_at,
                        (SELECT f.flag FROM event_flags f WHERE f.event_id = e.id)
                 FROM access a JOIN events e ON e.case_id = a.case_id
                 WHERE a.user_id = ?1 AND e.device_id != ?2 AND NOT EXISTS
                       (SELECT 1 FROM set_aside_laptops s WHERE s.case_id = e.case_id AND s.device_id = e.device_id)
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
                let (vis, seq, json, received_at, flag): (i64, i64, String, String, Option<String>) =
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
                // A page always carries at least one event, however large, so a puller never stalls.
                if events.len() == limit || (!events.is_empty() && bytes + json.len() > max_bytes) {
                    more = true;
                    break;
                }
                bytes += json.len();
                events.push(PulledEvent { seq: seq as u64, event: parse_event(&json)?, received_at: parse_ts(&received_at).ok(), flag });
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

    async fn removal_told(&self, device_id: Uuid, cases: &[Uuid], written_up_to: u64, at: DateTime<Utc>) -> Result<()> {
        let cases = cases.to_vec();
        self.with(move |c| {
            let tx = c.transaction()?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT OR IGNORE INTO removal_told (case_id, device_id, written_up_to, told_at) VALUES (?1, ?2, ?3, ?4)",
                )?;
                for case in &cases {
                    insert.execute(params![case.to_string(), device_id.to_string(), written_up_to as i64, ts(at)])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn settle_case(&self, case_id: Uuid, team: &str, holders: &[String], at: DateTime<Utc>) -> Result<super::CaseSettled> {
        let (team, holders) = (team.to_string(), holders.to_vec());
        self.with(move |c| settle::settle(c, case_id, &team, &holders, at)).await
    }

    async fn reconcile_triage(&self, case_id: Uuid) -> Result<super::TriageChanges> {
        self.with(move |c| team::reconcile_triage(c, case_id)).await
    }

    async fn device_synced(&self, device_id: Uuid, at: DateTime<Utc>, notes_waiting: Option<u32>) -> Result<()> {
        self.with(move |c| team::device_synced(c, device_id, at, notes_waiting)).await
    }

    async fn roster(&self, team: &str) -> Result<Vec<casebook_domain::team::RosterMember>> {
        let team = team.to_string();
        self.with(move |c| team::roster(c, &team)).await
    }

    async fn case_digest(&self, case_id: Uuid) -> Result<CaseDigest> {
        self.with(move |c| {
            let mut stmt = c.prepare_cached(&format!("SELECT e.id FROM events e WHERE e.case_id = ?1 AND {}", settle::NOT_SET_ASIDE))?;
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
            let mut stmt = c.prepare_cached(&format!(
                "SELECT e.seq, e.event_json, e.received_at, (SELECT f.flag FROM event_flags f WHERE f.event_id = e.id)
                 FROM events e WHERE e.case_id = ?1 AND {} ORDER BY e.seq",
                settle::NOT_SET_ASIDE
            ))?;
            let rows = stmt
                .query_map([case_id.to_string()], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, Option<String>>(3)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter()
                .map(|(seq, json, received_at, flag)| {
                    Ok(PulledEvent { seq: seq as u64, event: parse_event(&json)?, received_at: parse_ts(&received_at).ok(), flag })
                })
                .collect()
        })
        .await
    }

    async fn latest_seq(&self) -> Result<u64> {
        self.with(|c| Ok(c.query_row("SELECT value FROM counters WHERE name = 'seq'", [], |r| r.get::<_, i64>(0))? as u64)).await
    }

    async fn cases(&self) -> Result<Vec<(Uuid, String)>> {
        self.with(|c| {
            let mut stmt = c.prepare("SELECT c.case_id, t.name FROM cases c JOIN teams t ON t.id = c.team_id ORDER BY c.case_id")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter().map(|(id, team)| Ok((parse_uuid(&id)?, team))).collect()
        })
        .await
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

    async fn delete_draft(&self, user: &UserRecord, note_id: Uuid) -> Result<Option<Uuid>> {
        let uid = user.id;
        self.with(move |c| {
            let case: Option<String> = c
                .query_row(
                    "DELETE FROM drafts WHERE user_id = ?1 AND note_id = ?2 RETURNING case_id",
                    params![uid, note_id.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            case.as_deref().map(parse_uuid).transpose()
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
            let mut stmt = c.prepare(&format!("{AUDIT_SELECT} WHERE case_id = ?1 ORDER BY id"))?;
            let rows = stmt.query_map([case_id.to_string()], audit_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter().map(|row| Ok(audit_row(row)?.entry)).collect()
        })
        .await
    }

    async fn audit_since(&self, since: DateTime<Utc>, after: u64, limit: usize) -> Result<Vec<super::AuditRow>> {
        self.with(move |c| {
            // Times are stored in one fixed-width UTC format, so text order is time order.
            let mut stmt = c.prepare(&format!("{AUDIT_SELECT} WHERE id > ?1 AND at >= ?2 ORDER BY id LIMIT ?3"))?;
            let rows = stmt
                .query_map(params![after as i64, ts(since), limit as i64], audit_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter().map(audit_row).collect()
        })
        .await
    }

    async fn backup(&self, to: &Path) -> Result<()> {
        self.backup_with_key(to, &self.key.clone()).await
    }

    async fn backup_with_key(&self, to: &Path, key: &StoreKey) -> Result<()> {
        let (to, key) = (to.to_path_buf(), key.clone());
        // SQLite's online backup API copies a consistent snapshot while the server keeps serving;
        // the copy's pages are encrypted with `key` as they are written, so no plaintext page
        // ever reaches the backup's disk.
        self.with(move |c| Ok(copy_encrypted(c, &to, &key)?)).await
    }
}

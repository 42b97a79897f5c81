//! The PostgreSQL backend, for a trust-wide deployment.
//!
//! Semantics follow the SQLite backend exactly. The one thing PostgreSQL makes harder is the
//! global sequence number: concurrent transactions commit in any order, so a PostgreSQL SEQUENCE
//! would let a transaction that took seq 10 commit after one that took seq 11, and a puller whose
//! cursor already moved past 11 would never see 10. Instead every transaction that allocates
//! sequence numbers first locks the single `counters` row (`SELECT ... FOR UPDATE`) and keeps the
//! lock until it commits, so allocations are serialised and become visible in sequence order.
//!
//! To keep that lock short, a push decides everything it can before taking it (`push_fast`: which
//! events are already held, which cases the user may write to or are new, from one snapshot) and
//! then sends BEGIN, its draft and audit rows, the lock and one write statement and COMMIT as one
//! pipelined round trip, so the lock is held only while PostgreSQL runs the write. Anything the
//! plan relied on that another push could change in between (an event or a case stored by
//! someone else) is guarded by a unique constraint; if one fires, nothing is kept and the push is
//! redone the careful way, lock first (`push_locked`). Statements are prepared once per pooled
//! connection.
//!
//! Times are stored as RFC 3339 text with nanoseconds, as in SQLite, so that every value reads
//! back exactly as it was written (TIMESTAMPTZ keeps only microseconds).

use super::{Authentication, DeviceRecord, OpenError, PullPage, Result, Storage, StorageError, TokenRecord, UserRecord};
use async_trait::async_trait;
use casebook_domain::Event;
use casebook_protocol::{digest_of, AuditEntry, CaseAllocation, CaseDigest, Cursor, DraftBackup, PulledEvent, PushResult, Role};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use tokio::sync::{Semaphore, SemaphorePermit};
use super::pg_tls::Connector;
use tokio_postgres::{Client, Config, NoTls, Row, Statement, Transaction};
use uuid::Uuid;

mod accounts;
mod settle;
mod team;

/// How many connections one server keeps open at most.
const MAX_CONNECTIONS: usize = 16;

pub struct PostgresStorage {
    pub(super) pool: Pool,
    /// Pushes that met a concurrent writer of the same events or cases and were redone the
    /// careful way (see `push_with`).
    pub(super) careful_retries: AtomicU64,
}

/// A small connection pool: connections are opened when needed (up to `MAX_CONNECTIONS`), kept
/// for reuse, and dropped when PostgreSQL closed them.
pub(super) struct Pool {
    config: Config,
    connector: Connector,
    idle: Mutex<Vec<Pooled>>,
    permits: Semaphore,
}

/// A connection with the statements prepared on it so far: the hot queries are parsed and
/// planned once per connection, not once per request (a prepare is a round trip of its own).
struct Pooled {
    client: Client,
    statements: HashMap<&'static str, Statement>,
}

pub(super) struct Conn<'a> {
    client: Option<Pooled>,
    pool: &'a Pool,
    _permit: SemaphorePermit<'a>,
}

impl Conn<'_> {
    /// `sql` prepared on this connection, from its cache after the first time.
    pub(super) async fn prepared(&mut self, sql: &'static str) -> Result<Statement> {
        let pooled = self.client.as_mut().expect("a pooled connection is present until dropped");
        if let Some(s) = pooled.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = pooled.client.prepare(sql).await?;
        pooled.statements.insert(sql, s.clone());
        Ok(s)
    }
}

impl Deref for Conn<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client.as_ref().expect("a pooled connection is present until dropped").client
    }
}

impl DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.client.as_mut().expect("a pooled connection is present until dropped").client
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        // A transaction dropped half-way has already queued its ROLLBACK on this connection, so
        // the next user's statements run after it.
        if let Some(client) = self.client.take() {
            if !client.client.is_closed() {
                self.pool.idle.lock().unwrap_or_else(|p| p.into_inner()).push(client);
            }
        }
    }
}

async fn open(config: &Config, connector: &Connector) -> Result<Client, OpenError> {
    fn watch<F: std::future::Future<Output = std::result::Result<(), tokio_postgres::Error>> + Send + 'static>(connection: F) {
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "a PostgreSQL connection closed with an error");
            }
        });
    }
    match connector {
        Connector::Plain => {
            let (client, connection) = config.connect(NoTls).await.map_err(super::pg_tls::explain)?;
            watch(connection);
            Ok(client)
        }
        Connector::Verified(tls) => {
            let (client, connection) = config.connect(tls.clone()).await.map_err(super::pg_tls::explain)?;
            watch(connection);
            Ok(client)
        }
    }
}

impl Pooled {
    fn new(client: Client) -> Self {
        Pooled { client, statements: HashMap::new() }
    }
}

impl Pool {
    fn new(config: Config, connector: Connector, first: Client) -> Self {
        Pool { config, connector, idle: Mutex::new(vec![Pooled::new(first)]), permits: Semaphore::new(MAX_CONNECTIONS) }
    }

    pub(super) async fn get(&self) -> Result<Conn<'_>> {
        let permit = self.permits.acquire().await.map_err(|_| StorageError::Backend("the connection pool is closed".into()))?;
        loop {
            let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
            match idle {
                Some(c) if c.client.is_closed() => continue,
                Some(c) => return Ok(Conn { client: Some(c), pool: self, _permit: permit }),
                None => break,
            }
        }
        let client = open(&self.config, &self.connector).await.map_err(StorageError::from)?;
        Ok(Conn { client: Some(Pooled::new(client)), pool: self, _permit: permit })
    }
}

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO counters (name, value) VALUES ('seq', 0) ON CONFLICT (name) DO NOTHING;
CREATE TABLE IF NOT EXISTS teams (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS users (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    team_id BIGINT NOT NULL REFERENCES teams (id),
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT
);
CREATE TABLE IF NOT EXISTS devices (
    id UUID PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    last_seen_at TEXT
);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY,
    device_id UUID NOT NULL REFERENCES devices (id),
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cases (
    case_id UUID PRIMARY KEY,
    team_id BIGINT NOT NULL REFERENCES teams (id),
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_seq BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS access (
    case_id UUID NOT NULL,
    user_id BIGINT NOT NULL,
    granted_seq BIGINT NOT NULL,
    PRIMARY KEY (case_id, user_id)
);
CREATE INDEX IF NOT EXISTS access_by_user ON access (user_id, case_id);
CREATE TABLE IF NOT EXISTS access_removed (case_id UUID NOT NULL, user_id BIGINT NOT NULL, seq BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS access_removed_by_user ON access_removed (user_id, seq);
CREATE TABLE IF NOT EXISTS events (
    seq BIGINT PRIMARY KEY,
    id UUID NOT NULL UNIQUE,
    case_id UUID NOT NULL,
    device_id UUID NOT NULL,
    content_hash TEXT NOT NULL,
    event_json TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_case ON events (case_id, seq);
CREATE OR REPLACE FUNCTION casebook_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'events are append-only and cannot be changed';
    END IF;
    RAISE EXCEPTION 'events are append-only and cannot be deleted';
END
$$;
CREATE OR REPLACE TRIGGER events_no_update BEFORE UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION casebook_events_append_only();
CREATE OR REPLACE TRIGGER events_no_delete BEFORE DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION casebook_events_append_only();
CREATE OR REPLACE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION casebook_events_append_only();
CREATE TABLE IF NOT EXISTS drafts (
    user_id BIGINT NOT NULL,
    note_id UUID NOT NULL,
    case_id UUID NOT NULL,
    text TEXT NOT NULL,
    revision BIGINT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (user_id, note_id)
);
CREATE TABLE IF NOT EXISTS audit (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    at TEXT NOT NULL,
    username TEXT NOT NULL,
    device_id UUID,
    action TEXT NOT NULL,
    case_id UUID,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_by_case ON audit (case_id, id);
-- What each case holds that may exist only once (a note's signature, the case's opening…),
-- with the event that made it: the primary key is the rule, kept by the database itself.
CREATE TABLE IF NOT EXISTS claims (
    case_id UUID NOT NULL,
    claim TEXT NOT NULL,
    event_id UUID NOT NULL,
    PRIMARY KEY (case_id, claim)
);
-- When a laptop was told a case is no longer allocated to its clinician, and how far it had
-- written by then (its own sequence number).
CREATE TABLE IF NOT EXISTS removal_told (
    case_id UUID NOT NULL,
    device_id UUID NOT NULL,
    written_up_to BIGINT NOT NULL,
    told_at TEXT NOT NULL,
    PRIMARY KEY (case_id, device_id)
);
-- Events taken in with a reservation for the team lead (written after an allocation ended).
CREATE TABLE IF NOT EXISTS event_flags (event_id UUID PRIMARY KEY, flag TEXT NOT NULL);
ALTER TABLE audit ADD COLUMN IF NOT EXISTS source TEXT;
ALTER TABLE devices ADD COLUMN IF NOT EXISTS last_sync_at TEXT;
ALTER TABLE devices ADD COLUMN IF NOT EXISTS notes_waiting BIGINT;
CREATE OR REPLACE FUNCTION casebook_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'the audit is append-only and cannot be changed';
    END IF;
    RAISE EXCEPTION 'the audit is append-only and cannot be deleted';
END
$$;
CREATE OR REPLACE TRIGGER audit_no_update BEFORE UPDATE ON audit
    FOR EACH ROW EXECUTE FUNCTION casebook_audit_append_only();
CREATE OR REPLACE TRIGGER audit_no_delete BEFORE DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION casebook_audit_append_only();
CREATE OR REPLACE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION casebook_audit_append_only();
"#;

/// Any fixed number: it keeps two servers starting at once from creating the schema together.
const MIGRATE_LOCK: i64 = 0x6361_7365_626f_6f6b; // "casebook"

pub(super) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

pub(super) fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    s.parse().map_err(|_| StorageError::Backend(format!("a stored time ({s}) is damaged")))
}

pub(super) fn parse_event(json: &str) -> Result<Event> {
    serde_json::from_str(json).map_err(|e| StorageError::Backend(format!("a stored event is damaged ({e})")))
}

/// Allocates one number: the UPDATE locks the counter row until the transaction ends, for transactions
/// that need a single number.
async fn next_seq(tx: &Transaction<'_>) -> Result<i64> {
    let v: i64 = tx
        .query_one("UPDATE counters SET value = value + 1 WHERE name = 'seq' RETURNING value", &[])
        .await?
        .get(0);
    Ok(v)
}

async fn user_id(c: &impl tokio_postgres::GenericClient, username: &str) -> Result<i64> {
    c.query_opt("SELECT id FROM users WHERE username = $1", &[&username])
        .await?
        .map(|r| r.get(0))
        .ok_or_else(|| StorageError::NoSuchUser(username.to_string()))
}

const DEVICE_SELECT: &str = "SELECT d.id, u.username, d.name, d.secret_hash, d.created_at, d.revoked_at, d.last_seen_at
                             FROM devices d JOIN users u ON u.id = d.user_id";

fn device_record(r: &Row) -> Result<DeviceRecord> {
    Ok(DeviceRecord {
        id: r.get(0),
        username: r.get(1),
        name: r.get(2),
        secret_hash: r.get(3),
        created_at: parse_ts(r.get(4))?,
        revoked_at: r.get::<_, Option<&str>>(5).map(parse_ts).transpose()?,
        last_seen_at: r.get::<_, Option<&str>>(6).map(parse_ts).transpose()?,
    })
}

/// Token, device and user in one round trip. The device appears only with its user (as in
/// `device`), the user only with its team (as in `user`).
const AUTHENTICATE: &str = "SELECT t.device_id, t.expires_at,
        d.id, u.username, d.name, d.secret_hash, d.created_at, d.revoked_at, d.last_seen_at,
        u.id, tm.name, u.role, u.password_hash, u.failed_logins, u.locked_until, u.disabled_at
    FROM tokens t
    LEFT JOIN devices d ON d.id = t.device_id
    LEFT JOIN users u ON u.id = d.user_id
    LEFT JOIN teams tm ON tm.id = u.team_id
    WHERE t.token_hash = $1";

/// `Storage::allocations`: the caller's cases (a1), each with the clinicians who hold it (a2); the
/// LEFT JOIN keeps a case no clinician holds any more. UUIDs order by their bytes, and usernames
/// are ordered bytewise (COLLATE "C") whatever the database's collation, as on SQLite.
const ALLOCATIONS: &str = "SELECT a1.case_id, k.username
    FROM access a1
    LEFT JOIN (SELECT a2.case_id, u.username FROM access a2 JOIN users u ON u.id = a2.user_id
               WHERE u.role = 'clinician') k ON k.case_id = a1.case_id
    WHERE a1.user_id = $1
    ORDER BY a1.case_id, k.username COLLATE \"C\"";

pub(super) const DELETE_DRAFTS: &str = "DELETE FROM drafts WHERE user_id = $1 AND note_id = ANY($2::uuid[])";

pub(super) const INSERT_AUDIT: &str = "INSERT INTO audit (at, username, device_id, action, case_id, detail)
    SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::uuid[], $6::text[])";

/// `INSERT_AUDIT` with the request's source: every audit row but a push's (whose statement is
/// part of the push's own pipelined transaction and does not know the address yet).
const INSERT_AUDIT_SOURCED: &str = "INSERT INTO audit (at, username, device_id, action, case_id, detail, source)
    SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::uuid[], $6::text[], $7::text[])";

const AUDIT_SELECT: &str = "SELECT id, at, username, device_id, action, case_id, detail, source FROM audit";

fn audit_row(r: &Row) -> Result<super::AuditRow> {
    Ok(super::AuditRow {
        id: r.get::<_, i64>(0) as u64,
        entry: AuditEntry {
            at: parse_ts(r.get(1))?,
            username: r.get(2),
            device_id: r.get(3),
            action: r.get(4),
            case_id: r.get(5),
            detail: r.get(6),
            source: r.get(7),
        },
    })
}

/// A page of the user's feed, in (visible-from, seq) order. Written case by case (LATERAL) so that
/// it walks `events_by_case` from the cursor for each case the user may see, whatever the planner
/// believes about the tables (with stale statistics it would otherwise scan every event of the
/// store for each pull). Within one case `GREATEST(seq, granted_seq)` never decreases as seq
/// grows, so each case's first `$5` rows in seq order hold all of its rows the page can contain;
/// and a row can only be after the cursor if its seq reaches `$3` or its case was granted at or
/// after `$3`, which bounds the index scan.
const PULL_PAGE: &str = "SELECT GREATEST(e.seq, a.granted_seq) AS vis, e.seq, e.event_json, e.received_at,
        (SELECT f.flag FROM event_flags f WHERE f.event_id = e.id)
    FROM access a
    CROSS JOIN LATERAL (
        SELECT e.seq, e.event_json, e.received_at, e.id FROM events e
        WHERE e.case_id = a.case_id
          AND e.seq >= CASE WHEN a.granted_seq >= $3 THEN 0 ELSE $3 END
          AND e.device_id <> $2
          AND NOT EXISTS (SELECT 1 FROM set_aside_laptops s WHERE s.case_id = e.case_id AND s.device_id = e.device_id)
          AND (GREATEST(e.seq, a.granted_seq) > $3 OR (GREATEST(e.seq, a.granted_seq) = $3 AND e.seq > $4))
        ORDER BY e.seq
        LIMIT $5
    ) e
    WHERE a.user_id = $1
    ORDER BY vis, e.seq
    LIMIT $5";

const PULL_REMOVED: &str = "SELECT DISTINCT r.case_id FROM access_removed r
    WHERE r.user_id = $1 AND r.seq > $2
      AND NOT EXISTS (SELECT 1 FROM access a WHERE a.case_id = r.case_id AND a.user_id = r.user_id)
    ORDER BY r.case_id";

const LATEST_SEQ: &str = "SELECT value FROM counters WHERE name = 'seq'";

/// Audit entries as the columns of `INSERT_AUDIT`.
pub(super) struct AuditColumns {
    at: Vec<String>,
    username: Vec<String>,
    device: Vec<Option<Uuid>>,
    action: Vec<String>,
    case: Vec<Option<Uuid>>,
    detail: Vec<String>,
    source: Vec<Option<String>>,
}

impl AuditColumns {
    /// The parameters of `INSERT_AUDIT`, in order.
    pub(super) fn params(&self) -> [&(dyn tokio_postgres::types::ToSql + Sync); 6] {
        [&self.at, &self.username, &self.device, &self.action, &self.case, &self.detail]
    }

    pub(super) fn of(entries: &[AuditEntry]) -> Self {
        AuditColumns {
            at: entries.iter().map(|a| ts(a.at)).collect(),
            username: entries.iter().map(|a| a.username.clone()).collect(),
            device: entries.iter().map(|a| a.device_id).collect(),
            action: entries.iter().map(|a| a.action.clone()).collect(),
            case: entries.iter().map(|a| a.case_id).collect(),
            detail: entries.iter().map(|a| a.detail.clone()).collect(),
            source: entries.iter().map(|a| a.source.clone()).collect(),
        }
    }
}

impl PostgresStorage {
    /// Connects to `url` (e.g. `postgres://casebook@localhost/casebook`).
    /// Connects to the database at `url`, over TLS when the URL or its host requires it (see
    /// [`super::pg_tls::configure`]), trusting the system's certificate authorities.
    pub async fn connect(url: &str) -> Result<Self, OpenError> {
        Self::connect_with_ca(url, None).await
    }

    /// As [`Self::connect`], trusting only the authorities in the PEM file `ca` for the database's
    /// certificate (TLS with full verification).
    pub async fn connect_with_ca(url: &str, ca: Option<&Path>) -> Result<Self, OpenError> {
        let (config, connector) = super::pg_tls::configure(url, ca)?;
        Self::connect_config(config, connector).await
    }

    async fn connect_config(config: Config, connector: Connector) -> Result<Self, OpenError> {
        let first = open(&config, &connector).await?;
        Ok(PostgresStorage { pool: Pool::new(config, connector, first), careful_retries: AtomicU64::new(0) })
    }

    /// Whether this store's connections to PostgreSQL are encrypted (as the database sees it).
    pub async fn connection_is_encrypted(&self) -> Result<bool> {
        let c = self.pool.get().await?;
        let row = c.query_one("SELECT coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)", &[]).await?;
        Ok(row.get(0))
    }

    /// How many pushes were redone the careful way since this store was opened (for tests and
    /// diagnosis: a high rate means laptops often send the same events at the same moment).
    pub fn careful_retries(&self) -> u64 {
        self.careful_retries.load(Ordering::Relaxed)
    }

    /// Connects to a new, empty database made for one test (dropped by nobody: test clusters are
    /// thrown away whole).
    pub async fn connect_fresh_for_tests(url: &str) -> Result<Self, OpenError> {
        let (mut config, connector) = super::pg_tls::configure(url, None)?;
        let name = format!("casebook_test_{}", Uuid::new_v4().simple());
        {
            let admin = open(&config, &connector).await?;
            admin.batch_execute(&format!("CREATE DATABASE {name}")).await?;
        }
        config.dbname(&name);
        Self::connect_config(config, connector).await
    }
}

#[async_trait]
impl Storage for PostgresStorage {
    async fn migrate(&self) -> Result<()> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK]).await?;
        tx.batch_execute(SCHEMA).await?;
        tx.batch_execute(accounts::SCHEMA).await?;
        tx.batch_execute(settle::SCHEMA).await?;
        // Claims of events stored before claims were kept, once, in the order they were stored:
        // the first holder keeps a claim.
        if tx.query_opt("SELECT 1 FROM counters WHERE name = 'claims_v1'", &[]).await?.is_none() {
            let stored = tx
                .query("SELECT event_json FROM events ORDER BY seq", &[])
                .await?
                .iter()
                .map(|r| parse_event(r.get(0)))
                .collect::<Result<Vec<_>>>()?;
            let (mut cases, mut claims, mut ids) = (Vec::new(), Vec::new(), Vec::new());
            for (case, claim, id) in super::claims_of(stored) {
                cases.push(case);
                claims.push(claim);
                ids.push(id);
            }
            tx.execute(
                "INSERT INTO claims (case_id, claim, event_id) SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[])
                 ON CONFLICT DO NOTHING",
                &[&cases, &claims, &ids],
            )
            .await?;
            tx.execute("INSERT INTO counters (name, value) VALUES ('claims_v1', 1)", &[]).await?;
        }
        // Admin staff hold their team's cases (their view of them) since the team's inbox; give
        // accounts made before that their team's cases, once.
        let missing = "SELECT 1 FROM users u JOIN cases c ON c.team_id = u.team_id WHERE u.role = 'admin'
             AND NOT EXISTS (SELECT 1 FROM access a WHERE a.case_id = c.case_id AND a.user_id = u.id) LIMIT 1";
        if tx.query_opt("SELECT 1 FROM counters WHERE name = 'admin_access_v1'", &[]).await?.is_none() {
            // A sequence number only when there is something to grant (a new store's numbering
            // starts with its first case).
            let seq = match tx.query_opt(missing, &[]).await? {
                Some(_) => next_seq(&tx).await?,
                None => 0,
            };
            tx.execute(
                "INSERT INTO access (case_id, user_id, granted_seq)
                 SELECT c.case_id, u.id, $1 FROM users u JOIN cases c ON c.team_id = u.team_id WHERE u.role = 'admin'
                 ON CONFLICT (case_id, user_id) DO NOTHING",
                &[&seq],
            )
            .await?;
            tx.execute("INSERT INTO counters (name, value) VALUES ('admin_access_v1', 1)", &[]).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn add_team(&self, name: &str) -> Result<()> {
        let c = self.pool.get().await?;
        let n = c.execute("INSERT INTO teams (name) VALUES ($1) ON CONFLICT (name) DO NOTHING", &[&name]).await?;
        if n == 0 {
            return Err(StorageError::Exists { what: "team", name: name.to_string() });
        }
        Ok(())
    }

    async fn add_user(&self, username: &str, team: &str, role: Role, password_hash: &str) -> Result<()> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let team_id: i64 = tx
            .query_opt("SELECT id FROM teams WHERE name = $1", &[&team])
            .await?
            .map(|r| r.get(0))
            .ok_or_else(|| StorageError::NoSuchTeam(team.to_string()))?;
        let row = tx
            .query_opt(
                "INSERT INTO users (username, team_id, role, password_hash) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (username) DO NOTHING RETURNING id",
                &[&username, &team_id, &role.as_str(), &password_hash],
            )
            .await?;
        let Some(row) = row else {
            return Err(StorageError::Exists { what: "user", name: username.to_string() });
        };
        if role.sees_whole_team() {
            // A team lead sees every case of their team, from the moment they join it (admin
            // staff too, only its referral, contact and appointment entries).
            let uid: i64 = row.get(0);
            let seq = next_seq(&tx).await?;
            tx.execute(
                "INSERT INTO access (case_id, user_id, granted_seq)
                 SELECT case_id, $1, $2 FROM cases WHERE team_id = $3
                 ON CONFLICT (case_id, user_id) DO NOTHING",
                &[&uid, &seq, &team_id],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn user(&self, username: &str) -> Result<Option<UserRecord>> {
        let c = self.pool.get().await?;
        let row = c
            .query_opt(
                "SELECT u.id, u.username, t.name, u.role, u.password_hash, u.failed_logins, u.locked_until, u.disabled_at
                 FROM users u JOIN teams t ON t.id = u.team_id WHERE u.username = $1",
                &[&username],
            )
            .await?;
        row.map(|r| {
            Ok(UserRecord {
                id: r.get(0),
                username: r.get(1),
                team: r.get(2),
                role: r.get::<_, &str>(3).parse().map_err(StorageError::Backend)?,
                password_hash: r.get(4),
                failed_logins: r.get::<_, i32>(5) as u32,
                locked_until: r.get::<_, Option<&str>>(6).map(parse_ts).transpose()?,
                disabled_at: r.get::<_, Option<&str>>(7).map(parse_ts).transpose()?,
            })
        })
        .transpose()
    }

    async fn login_failed(&self, username: &str, lock_after: u32, lock_until: DateTime<Utc>) -> Result<u32> {
        let c = self.pool.get().await?;
        let row = c
            .query_opt(
                "UPDATE users SET failed_logins = failed_logins + 1,
                        locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END
                 WHERE username = $1 RETURNING failed_logins",
                &[&username, &(lock_after as i32), &ts(lock_until)],
            )
            .await?;
        Ok(row.map(|r| r.get::<_, i32>(0) as u32).unwrap_or(0))
    }

    async fn login_succeeded(&self, username: &str) -> Result<()> {
        let c = self.pool.get().await?;
        c.execute("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE username = $1", &[&username]).await?;
        Ok(())
    }

    async fn add_device(&self, d: &DeviceRecord) -> Result<()> {
        let c = self.pool.get().await?;
        let uid = user_id(&*c, &d.username).await?;
        c.execute(
            "INSERT INTO devices (id, user_id, name, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
            &[&d.id, &uid, &d.name, &d.secret_hash, &ts(d.created_at)],
        )
        .await?;
        Ok(())
    }

    async fn device(&self, id: Uuid) -> Result<Option<DeviceRecord>> {
        let c = self.pool.get().await?;
        c.query_opt(&format!("{DEVICE_SELECT} WHERE d.id = $1"), &[&id]).await?.as_ref().map(device_record).transpose()
    }

    async fn renew_device_secret(&self, id: Uuid, secret_hash: &str) -> Result<()> {
        let c = self.pool.get().await?;
        c.execute("UPDATE devices SET secret_hash = $2 WHERE id = $1", &[&id, &secret_hash]).await?;
        Ok(())
    }

    async fn devices(&self) -> Result<Vec<DeviceRecord>> {
        let c = self.pool.get().await?;
        c.query(&format!("{DEVICE_SELECT} ORDER BY u.username, d.created_at"), &[]).await?.iter().map(device_record).collect()
    }

    async fn revoke_device(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool> {
        let c = self.pool.get().await?;
        // Tokens are kept so that the laptop's next request is told its access was withdrawn
        // (and locks), rather than merely that its sign-in is unknown.
        let n = c.execute("UPDATE devices SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1", &[&id, &ts(at)]).await?;
        Ok(n > 0)
    }

    async fn device_seen(&self, id: Uuid, at: DateTime<Utc>) -> Result<()> {
        let c = self.pool.get().await?;
        c.execute("UPDATE devices SET last_seen_at = $2 WHERE id = $1", &[&id, &ts(at)]).await?;
        Ok(())
    }

    async fn add_token(&self, token_hash: &str, device_id: Uuid, expires_at: DateTime<Utc>) -> Result<()> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        // Expired tokens are of no use to anyone: clear them out as new ones are made.
        tx.execute("DELETE FROM tokens WHERE expires_at < $1", &[&ts(Utc::now() - chrono::Duration::days(1))]).await?;
        tx.execute(
            "INSERT INTO tokens (token_hash, device_id, expires_at) VALUES ($1, $2, $3)",
            &[&token_hash, &device_id, &ts(expires_at)],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn token(&self, token_hash: &str) -> Result<Option<TokenRecord>> {
        let c = self.pool.get().await?;
        let row = c.query_opt("SELECT device_id, expires_at FROM tokens WHERE token_hash = $1", &[&token_hash]).await?;
        row.map(|r| Ok(TokenRecord { device_id: r.get(0), expires_at: parse_ts(r.get(1))? })).transpose()
    }

    async fn authenticate(&self, token_hash: &str) -> Result<Option<Authentication>> {
        let mut c = self.pool.get().await?;
        let stmt = c.prepared(AUTHENTICATE).await?;
        let Some(r) = c.query_opt(&stmt, &[&token_hash]).await? else { return Ok(None) };
        let token = TokenRecord { device_id: r.get(0), expires_at: parse_ts(r.get(1))? };
        let (device_id, username): (Option<Uuid>, Option<String>) = (r.get(2), r.get(3));
        let device = match (device_id, username.clone()) {
            (Some(id), Some(username)) => Some(DeviceRecord {
                id,
                username,
                name: r.get(4),
                secret_hash: r.get(5),
                created_at: parse_ts(r.get(6))?,
                revoked_at: r.get::<_, Option<&str>>(7).map(parse_ts).transpose()?,
                last_seen_at: r.get::<_, Option<&str>>(8).map(parse_ts).transpose()?,
            }),
            _ => None,
        };
        let team: Option<String> = r.get(10);
        let user = match (&device, username, team) {
            (Some(_), Some(username), Some(team)) => Some(UserRecord {
                id: r.get(9),
                username,
                team,
                role: r.get::<_, &str>(11).parse().map_err(StorageError::Backend)?,
                password_hash: r.get(12),
                failed_logins: r.get::<_, i32>(13) as u32,
                locked_until: r.get::<_, Option<&str>>(14).map(parse_ts).transpose()?,
                disabled_at: r.get::<_, Option<&str>>(15).map(parse_ts).transpose()?,
            }),
            _ => None,
        };
        Ok(Some(Authentication { token, device, user }))
    }

    async fn allocate(&self, case_id: Uuid, username: &str) -> Result<()> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let uid = user_id(&tx, username).await?;
        let known = tx.query_opt("SELECT 1 FROM cases WHERE case_id = $1", &[&case_id]).await?;
        if known.is_none() {
            return Err(StorageError::Unsupported(format!(
                "case {case_id} is not on the central store yet; it arrives with the first sync of the laptop it was opened on"
            )));
        }
        let seq = next_seq(&tx).await?;
        tx.execute(
            "INSERT INTO access (case_id, user_id, granted_seq) VALUES ($1, $2, $3)
             ON CONFLICT (case_id, user_id) DO NOTHING",
            &[&case_id, &uid, &seq],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn deallocate(&self, case_id: Uuid, username: &str) -> Result<bool> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let uid = user_id(&tx, username).await?;
        let n = tx.execute("DELETE FROM access WHERE case_id = $1 AND user_id = $2", &[&case_id, &uid]).await?;
        if n > 0 {
            let seq = next_seq(&tx).await?;
            tx.execute("INSERT INTO access_removed (case_id, user_id, seq) VALUES ($1, $2, $3)", &[&case_id, &uid, &seq])
                .await?;
        }
        tx.commit().await?;
        Ok(n > 0)
    }

    async fn can_read(&self, user: &UserRecord, case_id: Uuid) -> Result<bool> {
        let c = self.pool.get().await?;
        // The role is read with the access row, so an administrator given access before
        // administrators were kept from clinical content still reads nothing.
        let row = c
            .query_opt(
                "SELECT 1 FROM access a JOIN users u ON u.id = a.user_id
                 WHERE a.case_id = $1 AND a.user_id = $2 AND u.role <> 'admin'",
                &[&case_id, &user.id],
            )
            .await?;
        Ok(row.is_some())
    }

    async fn case_team(&self, case_id: Uuid) -> Result<Option<String>> {
        let c = self.pool.get().await?;
        let row = c.query_opt("SELECT t.name FROM cases c JOIN teams t ON t.id = c.team_id WHERE c.case_id = $1", &[&case_id]).await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn allocations(&self, user: &UserRecord) -> Result<Vec<CaseAllocation>> {
        let mut c = self.pool.get().await?;
        let stmt = c.prepared(ALLOCATIONS).await?;
        let mut out: Vec<CaseAllocation> = Vec::new();
        for r in c.query(&stmt, &[&user.id]).await? {
            let (case_id, username): (Uuid, Option<String>) = (r.get(0), r.get(1));
            if out.last().map(|a| a.case_id) != Some(case_id) {
                out.push(CaseAllocation { case_id, clinicians: Vec::new() });
            }
            if let (Some(name), Some(last)) = (username, out.last_mut()) {
                last.clinicians.push(name);
            }
        }
        Ok(out)
    }

    async fn push(&self, user: &UserRecord, events: &[Event]) -> Result<Vec<PushResult>> {
        super::postgres_push::push_with(self, user, events, None).await
    }

    async fn push_recorded(&self, user: &UserRecord, device_id: Uuid, events: &[Event], at: DateTime<Utc>) -> Result<Vec<PushResult>> {
        super::postgres_push::push_with(self, user, events, Some((device_id, at))).await
    }

    async fn pull(&self, user: &UserRecord, exclude_device: Uuid, after: Cursor, limit: usize, max_bytes: usize) -> Result<PullPage> {
        let mut c = self.pool.get().await?;
        let (page_stmt, removed_stmt) = (c.prepared(PULL_PAGE).await?, c.prepared(PULL_REMOVED).await?);
        let client: &Client = &c;
        let (visible_from, seq, rows_wanted) = (after.visible_from as i64, after.seq as i64, (limit + 1) as i64);
        // The page and the list of removed cases come from one snapshot, as on SQLite; the
        // transaction is pipelined (one round trip), as in `push_fast`.
        let (begin, rows, removed, committed) = tokio::join!(
            biased;
            client.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"),
            async { client.query(&page_stmt, &[&user.id, &exclude_device, &visible_from, &seq, &rows_wanted]).await },
            async { client.query(&removed_stmt, &[&user.id, &visible_from]).await },
            client.batch_execute("COMMIT"),
        );
        begin?;
        let (rows, removed) = (rows?, removed?);
        committed?;
        let mut events = Vec::new();
        let mut next_cursor = after;
        let mut bytes = 0usize;
        let mut more = false;
        for r in &rows {
            let (vis, seq, json): (i64, i64, &str) = (r.get(0), r.get(1), r.get(2));
            // A page always carries at least one event, however large, so a puller never stalls.
            if events.len() == limit || (!events.is_empty() && bytes + json.len() > max_bytes) {
                more = true;
                break;
            }
            bytes += json.len();
            events.push(PulledEvent { seq: seq as u64, event: parse_event(json)?, received_at: parse_ts(r.get(3)).ok(), flag: r.get(4) });
            next_cursor = Cursor { visible_from: vis as u64, seq: seq as u64 };
        }
        let access_removed = removed.iter().map(|r| r.get(0)).collect();
        Ok(PullPage { events, next_cursor, more, access_removed })
    }

    async fn removal_told(&self, device_id: Uuid, cases: &[Uuid], written_up_to: u64, at: DateTime<Utc>) -> Result<()> {
        let c = self.pool.get().await?;
        c.execute(
            "INSERT INTO removal_told (case_id, device_id, written_up_to, told_at)
             SELECT c, $2, $3, $4 FROM unnest($1::uuid[]) AS t (c) ON CONFLICT DO NOTHING",
            &[&cases, &device_id, &(written_up_to as i64), &ts(at)],
        )
        .await?;
        Ok(())
    }

    async fn settle_case(&self, case_id: Uuid, team: &str, holders: &[String], at: DateTime<Utc>) -> Result<super::CaseSettled> {
        settle::settle(self, case_id, team, holders, at).await
    }

    async fn reconcile_triage(&self, case_id: Uuid) -> Result<super::TriageChanges> {
        team::reconcile_triage(self, case_id).await
    }

    async fn device_synced(&self, device_id: Uuid, at: DateTime<Utc>, notes_waiting: Option<u32>) -> Result<()> {
        team::device_synced(self, device_id, at, notes_waiting).await
    }

    async fn roster(&self, team: &str) -> Result<Vec<casebook_domain::team::RosterMember>> {
        team::roster(self, team).await
    }

    async fn case_digest(&self, case_id: Uuid) -> Result<CaseDigest> {
        let c = self.pool.get().await?;
        let ids: Vec<Uuid> = c
            .query(&format!("SELECT e.id FROM events e WHERE e.case_id = $1 AND {}", settle::NOT_SET_ASIDE), &[&case_id])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let (event_count, digest) = digest_of(&ids);
        Ok(CaseDigest { case_id, event_count, digest })
    }

    async fn case_events(&self, case_id: Uuid) -> Result<Vec<PulledEvent>> {
        let c = self.pool.get().await?;
        c.query(
            &format!(
                "SELECT e.seq, e.event_json, e.received_at, (SELECT f.flag FROM event_flags f WHERE f.event_id = e.id)
                 FROM events e WHERE e.case_id = $1 AND {} ORDER BY e.seq",
                settle::NOT_SET_ASIDE
            ),
            &[&case_id],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(PulledEvent { seq: r.get::<_, i64>(0) as u64, event: parse_event(r.get(1))?, received_at: parse_ts(r.get(2)).ok(), flag: r.get(3) })
        })
        .collect()
    }

    async fn cases(&self) -> Result<Vec<(Uuid, String)>> {
        let c = self.pool.get().await?;
        let rows = c.query("SELECT c.case_id, t.name FROM cases c JOIN teams t ON t.id = c.team_id ORDER BY c.case_id", &[]).await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn event_count(&self) -> Result<u64> {
        let c = self.pool.get().await?;
        Ok(c.query_one("SELECT count(*) FROM events", &[]).await?.get::<_, i64>(0) as u64)
    }

    async fn latest_seq(&self) -> Result<u64> {
        let mut c = self.pool.get().await?;
        let stmt = c.prepared(LATEST_SEQ).await?;
        Ok(c.query_one(&stmt, &[]).await?.get::<_, i64>(0) as u64)
    }

    async fn put_draft(&self, user: &UserRecord, d: &DraftBackup) -> Result<()> {
        let c = self.pool.get().await?;
        // An older revision arriving late (a retried request) never overwrites a newer one.
        c.execute(
            "INSERT INTO drafts (user_id, note_id, case_id, text, revision, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (user_id, note_id) DO UPDATE SET text = excluded.text, revision = excluded.revision,
                updated_at = excluded.updated_at, case_id = excluded.case_id
             WHERE excluded.revision >= drafts.revision",
            &[&user.id, &d.note_id, &d.case_id, &d.text, &(d.revision as i64), &ts(d.updated_at)],
        )
        .await?;
        Ok(())
    }

    async fn drafts(&self, user: &UserRecord) -> Result<Vec<DraftBackup>> {
        let c = self.pool.get().await?;
        c.query(
            "SELECT note_id, case_id, text, revision, updated_at FROM drafts WHERE user_id = $1 ORDER BY updated_at DESC, note_id",
            &[&user.id],
        )
        .await?
        .iter()
        .map(|r| {
            let revision: i64 = r.get(3);
            Ok(DraftBackup {
                note_id: r.get(0),
                case_id: r.get(1),
                text: r.get(2),
                revision: u32::try_from(revision).map_err(|_| StorageError::Backend(format!("a stored draft revision ({revision}) is damaged")))?,
                updated_at: parse_ts(r.get(4))?,
            })
        })
        .collect()
    }

    async fn delete_draft(&self, user: &UserRecord, note_id: Uuid) -> Result<Option<Uuid>> {
        let c = self.pool.get().await?;
        let row = c.query_opt("DELETE FROM drafts WHERE user_id = $1 AND note_id = $2 RETURNING case_id", &[&user.id, &note_id]).await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn audit(&self, a: &AuditEntry) -> Result<()> {
        self.audit_many(std::slice::from_ref(a)).await
    }

    async fn audit_many(&self, entries: &[AuditEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut c = self.pool.get().await?;
        let stmt = c.prepared(INSERT_AUDIT_SOURCED).await?;
        let a = AuditColumns::of(entries);
        c.execute(&stmt, &[&a.at, &a.username, &a.device, &a.action, &a.case, &a.detail, &a.source]).await?;
        Ok(())
    }

    async fn audit_for_case(&self, case_id: Uuid) -> Result<Vec<AuditEntry>> {
        let c = self.pool.get().await?;
        let rows = c.query(&format!("{AUDIT_SELECT} WHERE case_id = $1 ORDER BY id"), &[&case_id]).await?;
        rows.iter().map(|r| Ok(audit_row(r)?.entry)).collect()
    }

    async fn audit_since(&self, since: DateTime<Utc>, after: u64, limit: usize) -> Result<Vec<super::AuditRow>> {
        let c = self.pool.get().await?;
        // Times are stored in one fixed-width UTC format, so byte order ("C") is time order
        // whatever the database's collation.
        let rows = c
            .query(
                &format!("{AUDIT_SELECT} WHERE id > $1 AND at COLLATE \"C\" >= $2 ORDER BY id LIMIT $3"),
                &[&(after as i64), &ts(since), &(limit as i64)],
            )
            .await?;
        rows.iter().map(audit_row).collect()
    }

    async fn backup(&self, _to: &Path) -> Result<()> {
        Err(StorageError::Unsupported(
            "for PostgreSQL, back up with pg_dump (see the README); the server cannot copy a PostgreSQL database itself".into(),
        ))
    }

    async fn backup_with_key(&self, to: &Path, _key: &crate::key::StoreKey) -> Result<()> {
        self.backup(to).await
    }
}

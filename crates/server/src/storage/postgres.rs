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

use super::{push_audit_entries, signed_note_ids, Authentication, DeviceRecord, PullPage, Result, Storage, StorageError, TokenRecord, UserRecord};
use async_trait::async_trait;
use casebook_domain::Event;
use casebook_protocol::{digest_of, AuditEntry, CaseAllocation, CaseDigest, Cursor, DraftBackup, PulledEvent, PushResult, Role};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config, NoTls, Row, Statement, Transaction};
use uuid::Uuid;

/// How many connections one server keeps open at most.
const MAX_CONNECTIONS: usize = 16;

pub struct PostgresStorage {
    pool: Pool,
    /// Pushes that met a concurrent writer of the same events or cases and were redone the
    /// careful way (see `push_with`).
    careful_retries: AtomicU64,
}

/// A small connection pool: connections are opened when needed (up to `MAX_CONNECTIONS`), kept
/// for reuse, and dropped when PostgreSQL closed them.
struct Pool {
    config: Config,
    idle: Mutex<Vec<Pooled>>,
    permits: Semaphore,
}

/// A connection with the statements prepared on it so far: the hot queries are parsed and
/// planned once per connection, not once per request (a prepare is a round trip of its own).
struct Pooled {
    client: Client,
    statements: HashMap<&'static str, Statement>,
}

struct Conn<'a> {
    client: Option<Pooled>,
    pool: &'a Pool,
    _permit: SemaphorePermit<'a>,
}

impl Conn<'_> {
    /// `sql` prepared on this connection, from its cache after the first time.
    async fn prepared(&mut self, sql: &'static str) -> Result<Statement> {
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

async fn open(config: &Config) -> Result<Client> {
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "a PostgreSQL connection closed with an error");
        }
    });
    Ok(client)
}

impl Pooled {
    fn new(client: Client) -> Self {
        Pooled { client, statements: HashMap::new() }
    }
}

impl Pool {
    fn new(config: Config, first: Client) -> Self {
        Pool { config, idle: Mutex::new(vec![Pooled::new(first)]), permits: Semaphore::new(MAX_CONNECTIONS) }
    }

    async fn get(&self) -> Result<Conn<'_>> {
        let permit = self.permits.acquire().await.map_err(|_| StorageError::Backend("the connection pool is closed".into()))?;
        loop {
            let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
            match idle {
                Some(c) if c.client.is_closed() => continue,
                Some(c) => return Ok(Conn { client: Some(c), pool: self, _permit: permit }),
                None => break,
            }
        }
        let client = open(&self.config).await?;
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
"#;

/// Any fixed number: it keeps two servers starting at once from creating the schema together.
const MIGRATE_LOCK: i64 = 0x6361_7365_626f_6f6b; // "casebook"

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    s.parse().map_err(|_| StorageError::Backend(format!("a stored time ({s}) is damaged")))
}

fn parse_event(json: &str) -> Result<Event> {
    serde_json::from_str(json).map_err(|e| StorageError::Backend(format!("a stored event is damaged ({e})")))
}

/// The global sequence counter, locked for the rest of the transaction. Whoever holds it is the
/// only one allocating sequence numbers, and keeps it until commit or rollback, so numbers are
/// committed (and so become visible) in order.
struct SeqLock {
    value: i64,
    taken: i64,
}

impl SeqLock {
    async fn take(tx: &Transaction<'_>) -> Result<Self> {
        let row = tx.query_one("SELECT value FROM counters WHERE name = 'seq' FOR UPDATE", &[]).await?;
        let value: i64 = row.get(0);
        Ok(SeqLock { value, taken: value })
    }

    fn next(&mut self) -> i64 {
        self.value += 1;
        self.value
    }

    /// Writes the counter back; call just before commit.
    async fn store(self, tx: &Transaction<'_>) -> Result<()> {
        if self.value != self.taken {
            tx.execute("UPDATE counters SET value = $1 WHERE name = 'seq'", &[&self.value]).await?;
        }
        Ok(())
    }
}

/// Allocates one number: the UPDATE locks the counter row until the transaction ends, exactly as
/// `SeqLock::take` does, for transactions that need a single number.
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
        u.id, tm.name, u.role, u.password_hash, u.failed_logins, u.locked_until
    FROM tokens t
    LEFT JOIN devices d ON d.id = t.device_id
    LEFT JOIN users u ON u.id = d.user_id
    LEFT JOIN teams tm ON tm.id = u.team_id
    WHERE t.token_hash = $1";

/// Everything a push must know before it takes the counter lock, read in ONE statement (so from
/// one snapshot): the batch's events already held (kind 0), and for each case of the batch
/// (kind 1) whether the user may write to it and whether it exists. Someone who held the case
/// before it was taken from them may still send what they wrote: a note is never lost because
/// its laptop was offline when the allocation changed.
const PUSH_PLAN: &str = "SELECT 0::int4, e.id, e.seq, e.content_hash, false, false
    FROM events e WHERE e.id = ANY($1::uuid[])
    UNION ALL
    SELECT 1::int4, c.id, 0::bigint, ''::text,
        EXISTS (SELECT 1 FROM access a WHERE a.case_id = c.id AND a.user_id = $3)
            OR EXISTS (SELECT 1 FROM access_removed r WHERE r.case_id = c.id AND r.user_id = $3),
        EXISTS (SELECT 1 FROM cases k WHERE k.case_id = c.id)
    FROM unnest($2::uuid[]) AS c (id)";

/// `Storage::allocations`: the caller's cases (a1), each with the clinicians who hold it (a2); the
/// LEFT JOIN keeps a case no clinician holds any more. UUIDs order by their bytes, and usernames
/// are ordered bytewise (COLLATE "C") whatever the database's collation, as on SQLite.
const ALLOCATIONS: &str = "SELECT a1.case_id, k.username
    FROM access a1
    LEFT JOIN (SELECT a2.case_id, u.username FROM access a2 JOIN users u ON u.id = a2.user_id
               WHERE u.role = 'clinician') k ON k.case_id = a1.case_id
    WHERE a1.user_id = $1
    ORDER BY a1.case_id, k.username COLLATE \"C\"";

const SEQ_LOCK: &str = "SELECT value FROM counters WHERE name = 'seq' FOR UPDATE";

/// The planned writes of a push, run right after `SEQ_LOCK` in the same transaction: new cases
/// (with their author's and the team leads' access) and new events, numbered from the counter's
/// current value plus each one's planned offset, and the counter moved on by `$11`. Returns the
/// counter's value before. A unique violation here means another push stored one of these events
/// or cases between planning and locking; the caller then starts again the careful way.
const PUSH_WRITE: &str = "WITH base AS (SELECT value FROM counters WHERE name = 'seq'),
    new_cases AS (
        INSERT INTO cases (case_id, team_id, created_by, created_seq)
        SELECT t.c, u.team_id, u.id, base.value + t.o
        FROM unnest($1::uuid[], $2::bigint[]) AS t (c, o), users u, base WHERE u.id = $3),
    new_access AS (
        INSERT INTO access (case_id, user_id, granted_seq)
        SELECT t.c, u.id, base.value + t.o
        FROM unnest($1::uuid[], $2::bigint[]) AS t (c, o), users u, base
        WHERE u.id = $3 OR (u.role = 'lead' AND u.team_id = (SELECT team_id FROM users WHERE id = $3))),
    new_events AS (
        INSERT INTO events (seq, id, case_id, device_id, content_hash, event_json, received_at)
        SELECT base.value + t.o, t.i, t.c, t.d, t.h, t.j, $10
        FROM unnest($4::bigint[], $5::uuid[], $6::uuid[], $7::uuid[], $8::text[], $9::text[]) AS t (o, i, c, d, h, j), base)
    UPDATE counters SET value = value + $11 WHERE name = 'seq' RETURNING value - $11";

const DELETE_DRAFTS: &str = "DELETE FROM drafts WHERE user_id = $1 AND note_id = ANY($2::uuid[])";

const INSERT_AUDIT: &str = "INSERT INTO audit (at, username, device_id, action, case_id, detail)
    SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::uuid[], $6::text[])";

/// A page of the user's feed, in (visible-from, seq) order. Written case by case (LATERAL) so that
/// it walks `events_by_case` from the cursor for each case the user may see, whatever the planner
/// believes about the tables (with stale statistics it would otherwise scan every event of the
/// store for each pull). Within one case `GREATEST(seq, granted_seq)` never decreases as seq
/// grows, so each case's first `$5` rows in seq order hold all of its rows the page can contain;
/// and a row can only be after the cursor if its seq reaches `$3` or its case was granted at or
/// after `$3`, which bounds the index scan.
const PULL_PAGE: &str = "SELECT GREATEST(e.seq, a.granted_seq) AS vis, e.seq, e.event_json
    FROM access a
    CROSS JOIN LATERAL (
        SELECT e.seq, e.event_json FROM events e
        WHERE e.case_id = a.case_id
          AND e.seq >= CASE WHEN a.granted_seq >= $3 THEN 0 ELSE $3 END
          AND e.device_id <> $2
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
struct AuditColumns {
    at: Vec<String>,
    username: Vec<String>,
    device: Vec<Option<Uuid>>,
    action: Vec<String>,
    case: Vec<Option<Uuid>>,
    detail: Vec<String>,
}

impl AuditColumns {
    fn of(entries: &[AuditEntry]) -> Self {
        AuditColumns {
            at: entries.iter().map(|a| ts(a.at)).collect(),
            username: entries.iter().map(|a| a.username.clone()).collect(),
            device: entries.iter().map(|a| a.device_id).collect(),
            action: entries.iter().map(|a| a.action.clone()).collect(),
            case: entries.iter().map(|a| a.case_id).collect(),
            detail: entries.iter().map(|a| a.detail.clone()).collect(),
        }
    }
}

/// Where an event of a batch ends up, as planned before the counter is locked.
enum Slot {
    /// Already held, under this sequence number.
    Held(i64),
    /// Stored by this push (or, for the second copy of an event repeated within the batch, not
    /// stored again) at the counter's value plus this offset.
    New { offset: i64, stored_now: bool },
}

/// What a push will write, decided from one snapshot before the counter is locked.
#[derive(Default)]
struct PushPlan {
    case_ids: Vec<Uuid>,
    case_offsets: Vec<i64>,
    offsets: Vec<i64>,
    ids: Vec<Uuid>,
    cases: Vec<Uuid>,
    devices: Vec<Uuid>,
    hashes: Vec<String>,
    json: Vec<String>,
    /// Sequence numbers the push allocates (new cases and new events).
    allocated: i64,
}

/// Pushes in three steps, with the counter lock held only for the last: plan (one read), then in
/// one pipelined round trip: BEGIN, drafts and audit, lock the counter, write, COMMIT.
/// Returns `None` when the write met a unique violation (someone stored the same event or case
/// in between) and nothing was kept.
async fn push_fast(
    c: &mut Conn<'_>,
    user: &UserRecord,
    events: &[Event],
    rows: &[String],
    record: Option<(Uuid, DateTime<Utc>)>,
) -> Result<Option<Vec<PushResult>>> {
    let plan_stmt = c.prepared(PUSH_PLAN).await?;
    let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    let mut case_list: Vec<Uuid> = Vec::new();
    let mut seen: HashSet<Uuid> = HashSet::new();
    for e in events {
        if seen.insert(e.case_id) {
            case_list.push(e.case_id);
        }
    }
    let mut held: HashMap<Uuid, (i64, String)> = HashMap::new();
    let mut case_state: HashMap<Uuid, (bool, bool)> = HashMap::new();
    for r in c.query(&plan_stmt, &[&ids, &case_list, &user.id]).await? {
        let id: Uuid = r.get(1);
        if r.get::<_, i32>(0) == 0 {
            held.insert(id, (r.get(2), r.get(3)));
        } else {
            case_state.insert(id, (r.get(4), r.get(5)));
        }
    }
    // The same decisions, in the same order, as `push_locked` makes under the lock.
    let mut plan = PushPlan::default();
    let mut planned: HashMap<Uuid, (i64, &str)> = HashMap::new();
    let mut allowed: HashSet<Uuid> = HashSet::new();
    let mut slots = Vec::with_capacity(events.len());
    for (index, (e, json)) in events.iter().zip(rows).enumerate() {
        if let Some((seq, hash)) = held.get(&e.id) {
            if *hash != e.content_hash {
                return Err(StorageError::ConflictingEvent { index, id: e.id });
            }
            slots.push(Slot::Held(*seq));
            continue;
        }
        if let Some((offset, hash)) = planned.get(&e.id) {
            if *hash != e.content_hash {
                return Err(StorageError::ConflictingEvent { index, id: e.id });
            }
            slots.push(Slot::New { offset: *offset, stored_now: false });
            continue;
        }
        if !allowed.contains(&e.case_id) {
            let (may_write, exists) = case_state.get(&e.case_id).copied().unwrap_or((false, false));
            if !may_write {
                if exists {
                    return Err(StorageError::CaseNotAllowed { index, case_id: e.case_id, username: user.username.clone() });
                }
                plan.allocated += 1;
                plan.case_ids.push(e.case_id);
                plan.case_offsets.push(plan.allocated);
            }
            allowed.insert(e.case_id);
        }
        plan.allocated += 1;
        let offset = plan.allocated;
        plan.offsets.push(offset);
        plan.ids.push(e.id);
        plan.cases.push(e.case_id);
        plan.devices.push(e.device_id);
        plan.hashes.push(e.content_hash.clone());
        plan.json.push(json.clone());
        planned.insert(e.id, (offset, e.content_hash.as_str()));
        slots.push(Slot::New { offset, stored_now: true });
    }
    let results_from = |base: i64| -> Vec<PushResult> {
        events
            .iter()
            .zip(&slots)
            .map(|(e, slot)| match slot {
                Slot::Held(seq) => PushResult { event_id: e.id, seq: *seq as u64, stored_now: false },
                Slot::New { offset, stored_now } => PushResult { event_id: e.id, seq: (base + offset) as u64, stored_now: *stored_now },
            })
            .collect()
    };
    if plan.allocated == 0 && record.is_none() {
        // Everything is already held: nothing to write, no number to allocate.
        return Ok(Some(results_from(0)));
    }
    let (delete_stmt, audit_stmt, lock_stmt, write_stmt) =
        (c.prepared(DELETE_DRAFTS).await?, c.prepared(INSERT_AUDIT).await?, c.prepared(SEQ_LOCK).await?, c.prepared(PUSH_WRITE).await?);
    let notes = if record.is_some() { signed_note_ids(events) } else { Vec::new() };
    // The audit rows only count new and repeated events per case, which the plan already knows.
    let audit = record.map(|(device_id, at)| AuditColumns::of(&push_audit_entries(user, device_id, events, &results_from(0), at)));
    let now = ts(Utc::now());
    let client: &Client = c;
    // Pipelined: every message below is queued before the first reply is awaited (`biased` polls
    // the futures in this order, and each sends its request when first polled), so the whole
    // transaction is one round trip and the counter lock is held only while PostgreSQL runs the
    // write. Should any statement fail, the transaction is aborted and COMMIT rolls it back.
    let skip_write = plan.allocated == 0;
    let (begin, deleted, audited, locked, written, committed) = tokio::join!(
        biased;
        client.batch_execute("BEGIN ISOLATION LEVEL READ COMMITTED"),
        async {
            match &notes[..] {
                [] => Ok(0),
                _ => client.execute(&delete_stmt, &[&user.id, &notes]).await,
            }
        },
        async {
            match &audit {
                Some(a) => client.execute(&audit_stmt, &[&a.at, &a.username, &a.device, &a.action, &a.case, &a.detail]).await,
                None => Ok(0),
            }
        },
        async {
            match skip_write {
                true => Ok(None),
                false => client.query_one(&lock_stmt, &[]).await.map(Some),
            }
        },
        async {
            match skip_write {
                true => Ok(None),
                false => client
                    .query_one(
                        &write_stmt,
                        &[
                            &plan.case_ids,
                            &plan.case_offsets,
                            &user.id,
                            &plan.offsets,
                            &plan.ids,
                            &plan.cases,
                            &plan.devices,
                            &plan.hashes,
                            &plan.json,
                            &now,
                            &plan.allocated,
                        ],
                    )
                    .await
                    .map(Some),
            }
        },
        client.batch_execute("COMMIT"),
    );
    begin?;
    // The first failure is the one that aborted the transaction; later ones only say so.
    let written = match deleted.and(audited).and(locked).and(written) {
        Ok(w) => w,
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            committed?;
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    committed?;
    Ok(Some(results_from(written.map(|r| r.get::<_, i64>(0)).unwrap_or(0))))
}

/// The careful way, for when `push_fast` met a concurrent writer: the counter is locked first, so
/// the whole batch runs as if alone. Stores the batch inside `tx`; the caller commits.
async fn push_locked(tx: &Transaction<'_>, user: &UserRecord, events: &[Event], rows: &[String]) -> Result<Vec<PushResult>> {
    // The counter is locked first, so the whole batch runs as if alone, as on SQLite: every
    // check below sees every batch committed before it, and two laptops pushing the same
    // event (a retry racing the original) cannot both decide to store it.
    let mut seqs = SeqLock::take(tx).await?;
    let now = ts(Utc::now());
    let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    let mut held: HashMap<Uuid, (i64, String)> = tx
        .query("SELECT id, seq, content_hash FROM events WHERE id = ANY($1)", &[&ids])
        .await?
        .into_iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect();
    // Someone who held the case before it was taken from them may still send what they wrote:
    // a note is never lost because its laptop was offline when the allocation changed.
    let allowed_stmt = tx
        .prepare(
            "SELECT 1 FROM access WHERE case_id = $1 AND user_id = $2
             UNION ALL SELECT 1 FROM access_removed WHERE case_id = $1 AND user_id = $2 LIMIT 1",
        )
        .await?;
    // New events are gathered and inserted in one statement: the counter lock is then held
    // for a handful of round trips, not one per event.
    let (mut new_seq, mut new_id, mut new_case, mut new_device, mut new_hash, mut new_json) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut allowed: HashSet<Uuid> = HashSet::new();
    let mut results = Vec::with_capacity(events.len());
    for (index, (e, json)) in events.iter().zip(rows).enumerate() {
        if let Some((seq, hash)) = held.get(&e.id) {
            if *hash != e.content_hash {
                return Err(StorageError::ConflictingEvent { index, id: e.id });
            }
            results.push(PushResult { event_id: e.id, seq: *seq as u64, stored_now: false });
            continue;
        }
        if !allowed.contains(&e.case_id) {
            if tx.query_opt(&allowed_stmt, &[&e.case_id, &user.id]).await?.is_none() {
                let exists = tx.query_opt("SELECT 1 FROM cases WHERE case_id = $1", &[&e.case_id]).await?;
                if exists.is_some() {
                    return Err(StorageError::CaseNotAllowed { index, case_id: e.case_id, username: user.username.clone() });
                }
                // First sight of a case: it joins the author's team, allocated to the author and
                // visible to the team's leads.
                let seq = seqs.next();
                tx.execute(
                    "INSERT INTO cases (case_id, team_id, created_by, created_seq)
                     SELECT $1, team_id, id, $3 FROM users WHERE id = $2",
                    &[&e.case_id, &user.id, &seq],
                )
                .await?;
                tx.execute(
                    "INSERT INTO access (case_id, user_id, granted_seq)
                     SELECT $1, u.id, $3 FROM users u
                     WHERE u.id = $2 OR (u.role = 'lead' AND u.team_id = (SELECT team_id FROM users WHERE id = $2))",
                    &[&e.case_id, &user.id, &seq],
                )
                .await?;
            }
            allowed.insert(e.case_id);
        }
        let seq = seqs.next();
        new_seq.push(seq);
        new_id.push(e.id);
        new_case.push(e.case_id);
        new_device.push(e.device_id);
        new_hash.push(e.content_hash.clone());
        new_json.push(json.clone());
        held.insert(e.id, (seq, e.content_hash.clone()));
        results.push(PushResult { event_id: e.id, seq: seq as u64, stored_now: true });
    }
    if !new_seq.is_empty() {
        tx.execute(
            "INSERT INTO events (seq, id, case_id, device_id, content_hash, event_json, received_at)
             SELECT s, i, c, d, h, j, $7
             FROM unnest($1::bigint[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[]) AS t (s, i, c, d, h, j)",
            &[&new_seq, &new_id, &new_case, &new_device, &new_hash, &new_json, &now],
        )
        .await?;
    }
    seqs.store(tx).await?;
    Ok(results)
}

impl PostgresStorage {
    /// Stores a batch and, with `record`, removes its signed notes' drafts and writes its audit
    /// rows in the same transaction.
    async fn push_with(&self, user: &UserRecord, events: &[Event], record: Option<(Uuid, DateTime<Utc>)>) -> Result<Vec<PushResult>> {
        let rows: Vec<String> = events.iter().map(|e| serde_json::to_string(e).expect("events serialise")).collect();
        let mut c = self.pool.get().await?;
        if let Some(results) = push_fast(&mut c, user, events, &rows, record).await? {
            return Ok(results);
        }
        // Another push stored some of the same events or cases between our plan and our lock:
        // start again with the lock taken first, which sees everything committed before it.
        tracing::debug!(events = events.len(), "a push met a concurrent writer of the same events or cases; retrying under the lock");
        self.careful_retries.fetch_add(1, Ordering::Relaxed);
        let tx = c.transaction().await?;
        let results = push_locked(&tx, user, events, &rows).await?;
        if let Some((device_id, at)) = record {
            let notes = signed_note_ids(events);
            if !notes.is_empty() {
                tx.execute(DELETE_DRAFTS, &[&user.id, &notes]).await?;
            }
            let a = AuditColumns::of(&push_audit_entries(user, device_id, events, &results, at));
            tx.execute(INSERT_AUDIT, &[&a.at, &a.username, &a.device, &a.action, &a.case, &a.detail]).await?;
        }
        tx.commit().await?;
        Ok(results)
    }

    /// Connects to `url` (e.g. `postgres://casebook@localhost/casebook`).
    pub async fn connect(url: &str) -> Result<Self> {
        let config: Config = url
            .parse()
            .map_err(|e| StorageError::Backend(format!("the database URL is not one PostgreSQL understands: {e}")))?;
        Self::connect_config(config).await
    }

    async fn connect_config(config: Config) -> Result<Self> {
        let first = open(&config).await?;
        Ok(PostgresStorage { pool: Pool::new(config, first), careful_retries: AtomicU64::new(0) })
    }

    /// How many pushes were redone the careful way since this store was opened (for tests and
    /// diagnosis: a high rate means laptops often send the same events at the same moment).
    pub fn careful_retries(&self) -> u64 {
        self.careful_retries.load(Ordering::Relaxed)
    }

    /// Connects to a new, empty database made for one test (dropped by nobody: test clusters are
    /// thrown away whole).
    pub async fn connect_fresh_for_tests(url: &str) -> Result<Self> {
        let mut config: Config = url
            .parse()
            .map_err(|e| StorageError::Backend(format!("the database URL is not one PostgreSQL understands: {e}")))?;
        let name = format!("casebook_test_{}", Uuid::new_v4().simple());
        {
            let admin = open(&config).await?;
            admin.batch_execute(&format!("CREATE DATABASE {name}")).await?;
        }
        config.dbname(&name);
        Self::connect_config(config).await
    }
}

#[async_trait]
impl Storage for PostgresStorage {
    async fn migrate(&self) -> Result<()> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK]).await?;
        tx.batch_execute(SCHEMA).await?;
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
        if role == Role::Lead {
            // A team lead sees every case of their team, from the moment they join it.
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
                "SELECT u.id, u.username, t.name, u.role, u.password_hash, u.failed_logins, u.locked_until
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
        Ok(c.query_opt("SELECT 1 FROM access WHERE case_id = $1 AND user_id = $2", &[&case_id, &user.id]).await?.is_some())
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
        self.push_with(user, events, None).await
    }

    async fn push_recorded(&self, user: &UserRecord, device_id: Uuid, events: &[Event], at: DateTime<Utc>) -> Result<Vec<PushResult>> {
        self.push_with(user, events, Some((device_id, at))).await
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
            events.push(PulledEvent { seq: seq as u64, event: parse_event(json)? });
            next_cursor = Cursor { visible_from: vis as u64, seq: seq as u64 };
        }
        let access_removed = removed.iter().map(|r| r.get(0)).collect();
        Ok(PullPage { events, next_cursor, more, access_removed })
    }

    async fn case_digest(&self, case_id: Uuid) -> Result<CaseDigest> {
        let c = self.pool.get().await?;
        let ids: Vec<Uuid> = c.query("SELECT id FROM events WHERE case_id = $1", &[&case_id]).await?.iter().map(|r| r.get(0)).collect();
        let (event_count, digest) = digest_of(&ids);
        Ok(CaseDigest { case_id, event_count, digest })
    }

    async fn case_events(&self, case_id: Uuid) -> Result<Vec<PulledEvent>> {
        let c = self.pool.get().await?;
        c.query("SELECT seq, event_json FROM events WHERE case_id = $1 ORDER BY seq", &[&case_id])
            .await?
            .iter()
            .map(|r| Ok(PulledEvent { seq: r.get::<_, i64>(0) as u64, event: parse_event(r.get(1))? }))
            .collect()
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

    async fn delete_draft(&self, user: &UserRecord, note_id: Uuid) -> Result<()> {
        let c = self.pool.get().await?;
        c.execute("DELETE FROM drafts WHERE user_id = $1 AND note_id = $2", &[&user.id, &note_id]).await?;
        Ok(())
    }

    async fn audit(&self, a: &AuditEntry) -> Result<()> {
        self.audit_many(std::slice::from_ref(a)).await
    }

    async fn audit_many(&self, entries: &[AuditEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut c = self.pool.get().await?;
        let stmt = c.prepared(INSERT_AUDIT).await?;
        let a = AuditColumns::of(entries);
        c.execute(&stmt, &[&a.at, &a.username, &a.device, &a.action, &a.case, &a.detail]).await?;
        Ok(())
    }

    async fn audit_for_case(&self, case_id: Uuid) -> Result<Vec<AuditEntry>> {
        let c = self.pool.get().await?;
        c.query("SELECT at, username, device_id, action, case_id, detail FROM audit WHERE case_id = $1 ORDER BY id", &[&case_id])
            .await?
            .iter()
            .map(|r| {
                Ok(AuditEntry {
                    at: parse_ts(r.get(0))?,
                    username: r.get(1),
                    device_id: r.get(2),
                    action: r.get(3),
                    case_id: r.get(4),
                    detail: r.get(5),
                })
            })
            .collect()
    }

    async fn backup(&self, _to: &Path) -> Result<()> {
        Err(StorageError::Unsupported(
            "for PostgreSQL, back up with pg_dump (see the README); the server cannot copy a PostgreSQL database itself".into(),
        ))
    }
}

//! The PostgreSQL push: the facts of a batch read in one statement, one decision for every event
//! (`admission::decide`, shared with SQLite), then the writes.
//!
//! Fast way first (`push_fast`): facts from one snapshot without any lock, then BEGIN, drafts,
//! audit, the counter lock, one write statement and COMMIT as one pipelined round trip, so the
//! lock is held only while PostgreSQL runs the write. What another push could change in between
//! (an event, a case or a claim stored meanwhile) is guarded by a unique constraint; if one fires
//! nothing is kept and the push is redone the careful way (`push_careful`): the counter locked
//! first, so the facts read after it are final.

use super::postgres::{parse_ts, ts, AuditColumns, Conn, PostgresStorage, DELETE_DRAFTS, INSERT_AUDIT};
use super::{push_audit_entries, signed_note_ids, Result, StorageError, UserRecord};
use crate::admission::{decide, signatures_after_told, Decision, Facts, HeldEvent, Standing};
use casebook_domain::{Claim, Event};
use casebook_protocol::{EventProblem, PushResult};
use chrono::{DateTime, Utc};
use std::sync::atomic::Ordering;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, GenericClient};
use uuid::Uuid;

/// Everything a push must know, in ONE statement (so from one snapshot): the batch's events
/// already held (kind 0); for each case of the batch (kind 1) whether the user holds it, held it
/// once, whether it exists, and how far this laptop had written when told it was taken away; and
/// the claims of the batch already taken (kind 2).
const PUSH_FACTS: &str = "SELECT 0::int4, e.id, e.seq, e.content_hash, e.case_id, e.received_at, false, false, false, NULL::bigint, ''::text
    FROM events e WHERE e.id = ANY($1::uuid[])
    UNION ALL
    SELECT 1::int4, c.id, 0::bigint, ''::text, c.id, ''::text,
        EXISTS (SELECT 1 FROM access a WHERE a.case_id = c.id AND a.user_id = $3),
        EXISTS (SELECT 1 FROM access_removed r WHERE r.case_id = c.id AND r.user_id = $3),
        EXISTS (SELECT 1 FROM cases k WHERE k.case_id = c.id),
        (SELECT t.written_up_to FROM removal_told t WHERE t.case_id = c.id AND t.device_id = $4),
        ''::text
    FROM unnest($2::uuid[]) AS c (id)
    UNION ALL
    SELECT 2::int4, k.case_id, 0::bigint, ''::text, k.case_id, ''::text, false, false, false, NULL::bigint, k.claim
    FROM claims k JOIN unnest($5::uuid[], $6::text[]) AS q (c, cl) ON k.case_id = q.c AND k.claim = q.cl";

const SEQ_LOCK: &str = "SELECT value FROM counters WHERE name = 'seq' FOR UPDATE";

/// The planned writes of a push, run right after `SEQ_LOCK` in the same transaction: new cases
/// (with their author's and the team leads' access), new events numbered from the counter's
/// current value plus each one's planned offset, their claims and flags, and the counter moved on
/// by `$11`. Returns the counter's value before. A unique violation here means another push
/// stored one of these events, cases or claims between planning and locking.
const PUSH_WRITE: &str = "WITH base AS (SELECT value FROM counters WHERE name = 'seq'),
    new_cases AS (
        INSERT INTO cases (case_id, team_id, created_by, created_seq)
        SELECT t.c, u.team_id, u.id, base.value + t.o
        FROM unnest($1::uuid[], $2::bigint[]) AS t (c, o), users u, base WHERE u.id = $3),
    new_access AS (
        INSERT INTO access (case_id, user_id, granted_seq)
        SELECT t.c, u.id, base.value + t.o
        FROM unnest($1::uuid[], $2::bigint[]) AS t (c, o), users u, base
        WHERE u.id = $3 OR (u.role IN ('lead', 'admin') AND u.team_id = (SELECT team_id FROM users WHERE id = $3))),
    new_events AS (
        INSERT INTO events (seq, id, case_id, device_id, content_hash, event_json, received_at)
        SELECT base.value + t.o, t.i, t.c, t.d, t.h, t.j, $10
        FROM unnest($4::bigint[], $5::uuid[], $6::uuid[], $7::uuid[], $8::text[], $9::text[]) AS t (o, i, c, d, h, j), base),
    new_claims AS (
        INSERT INTO claims (case_id, claim, event_id)
        SELECT * FROM unnest($12::uuid[], $13::text[], $14::uuid[])),
    new_flags AS (
        INSERT INTO event_flags (event_id, flag)
        SELECT * FROM unnest($15::uuid[], $16::text[]))
    UPDATE counters SET value = value + $11 WHERE name = 'seq' RETURNING value - $11";

/// Where an event of a batch ends up.
enum Slot {
    Held { seq: i64 },
    /// Stored by this push at the counter's value plus this offset.
    New { offset: i64 },
    Refused(EventProblem),
}

/// What a push will write, as the columns of `PUSH_WRITE`.
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
    claim_cases: Vec<Uuid>,
    claims: Vec<String>,
    claim_events: Vec<Uuid>,
    flag_events: Vec<Uuid>,
    flags: Vec<String>,
    /// Sequence numbers the push allocates (new cases and new events).
    allocated: i64,
}

/// Reads the facts of a batch with `PUSH_FACTS` (prepared or not).
async fn read_facts<S>(c: &impl GenericClient, stmt: &S, user: &UserRecord, events: &[Event]) -> Result<Facts>
where
    S: tokio_postgres::ToStatement + ?Sized + Sync + Send,
{
    let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    let mut cases: Vec<Uuid> = events.iter().map(|e| e.case_id).collect();
    cases.sort();
    cases.dedup();
    // Every event of a batch comes from the signed-in laptop (checked before storage is asked).
    let device = events.first().map(|e| e.device_id).unwrap_or_default();
    let mut claim_cases: Vec<Uuid> = Vec::new();
    let mut claim_keys: Vec<String> = Vec::new();
    let mut by_key: Vec<(Uuid, String, Claim)> = Vec::new();
    for e in events {
        for claim in [e.claim(), e.requires()].into_iter().flatten() {
            claim_cases.push(e.case_id);
            claim_keys.push(claim.to_string());
            by_key.push((e.case_id, claim.to_string(), claim));
        }
    }
    let mut facts = Facts::default();
    for r in c.query(stmt, &[&ids, &cases, &user.id, &device, &claim_cases, &claim_keys]).await? {
        let id: Uuid = r.get(1);
        match r.get::<_, i32>(0) {
            0 => {
                let received_at: &str = r.get(5);
                facts.held.insert(
                    id,
                    HeldEvent { seq: r.get::<_, i64>(2) as u64, case_id: r.get(4), content_hash: r.get(3), received_at: parse_ts(received_at).ok() },
                );
            }
            1 => {
                let (holds, removed, exists, told): (bool, bool, bool, Option<i64>) = (r.get(6), r.get(7), r.get(8), r.get(9));
                let standing = match (holds, removed, exists) {
                    (true, _, _) => Standing::Holds,
                    (false, true, _) => Standing::Removed { told_up_to: told.map(|t| t as u64) },
                    (false, false, true) => Standing::Other,
                    (false, false, false) => Standing::Unknown,
                };
                facts.standing.insert(id, standing);
            }
            _ => {
                let key: &str = r.get(10);
                if let Some((_, _, claim)) = by_key.iter().find(|(c, k, _)| *c == id && k == key) {
                    facts.claims.insert((id, *claim));
                }
            }
        }
    }
    if crate::admission::needs_supervisor(events) {
        facts.supervisor = c.query_opt("SELECT supervisor FROM users WHERE id = $1", &[&user.id]).await?.map(|r| r.get(0)).unwrap_or(false);
    }
    if crate::admission::needs_team(events) {
        let rows = c.query("SELECT username, role FROM users WHERE team_id = (SELECT team_id FROM users WHERE id = $1)", &[&user.id]).await?;
        for r in rows {
            let role: &str = r.get(1);
            facts.team.insert(r.get(0), role.parse().map_err(StorageError::Backend)?);
        }
    }
    // Rare (a signature after the laptop was told its case was taken away): was the note begun
    // before? Its draft's event says so.
    for (case, note_id, limit) in signatures_after_told(events, &facts) {
        let begun = c
            .query_opt(
                "SELECT 1 FROM events WHERE case_id = $1 AND device_id = $2
                   AND (event_json::jsonb) ->> 'kind' = 'note_drafted'
                   AND (event_json::jsonb) -> 'payload' ->> 'note_id' = $3
                   AND ((event_json::jsonb) ->> 'device_seq')::bigint <= $4
                 LIMIT 1",
                &[&case, &device, &note_id.to_string(), &(limit as i64)],
            )
            .await?;
        if begun.is_some() {
            facts.begun_before_told.insert((case, note_id));
        }
    }
    Ok(facts)
}

/// Turns the decisions into the columns to write and each event's slot.
fn plan(events: &[Event], rows: &[String], decisions: Vec<Decision>) -> (PushPlan, Vec<Slot>) {
    let mut plan = PushPlan::default();
    let mut slots = Vec::with_capacity(events.len());
    for ((e, json), decision) in events.iter().zip(rows).zip(decisions) {
        match decision {
            Decision::Held { seq } => {
                slots.push(Slot::Held { seq: seq as i64 });
            }
            Decision::Refused(p) => {
                slots.push(Slot::Refused(p));
            }
            Decision::Store { new_case, late } => {
                if new_case {
                    plan.allocated += 1;
                    plan.case_ids.push(e.case_id);
                    plan.case_offsets.push(plan.allocated);
                }
                plan.allocated += 1;
                plan.offsets.push(plan.allocated);
                plan.ids.push(e.id);
                plan.cases.push(e.case_id);
                plan.devices.push(e.device_id);
                plan.hashes.push(e.content_hash.clone());
                plan.json.push(json.clone());
                if let Some(claim) = e.claim() {
                    plan.claim_cases.push(e.case_id);
                    plan.claims.push(claim.to_string());
                    plan.claim_events.push(e.id);
                }
                if let Some(flag) = late {
                    plan.flag_events.push(e.id);
                    plan.flags.push(flag);
                }
                slots.push(Slot::New { offset: plan.allocated });
            }
        }
    }
    (plan, slots)
}

fn results(events: &[Event], slots: &[Slot], facts: &Facts, base: i64, received_at: DateTime<Utc>) -> Vec<PushResult> {
    events
        .iter()
        .zip(slots)
        .map(|(e, slot)| match slot {
            Slot::Held { seq } => PushResult {
                event_id: e.id,
                seq: *seq as u64,
                stored_now: false,
                received_at: facts.held.get(&e.id).and_then(|h| h.received_at),
                refused: None,
            },
            Slot::New { offset } => {
                PushResult { event_id: e.id, seq: (base + offset) as u64, stored_now: true, received_at: Some(received_at), refused: None }
            }
            Slot::Refused(p) => PushResult::refused(e.id, p.clone()),
        })
        .collect()
}

fn write_params<'a>(plan: &'a PushPlan, user: &'a UserRecord, now: &'a String) -> [&'a (dyn tokio_postgres::types::ToSql + Sync); 16] {
    [
        &plan.case_ids,
        &plan.case_offsets,
        &user.id,
        &plan.offsets,
        &plan.ids,
        &plan.cases,
        &plan.devices,
        &plan.hashes,
        &plan.json,
        now,
        &plan.allocated,
        &plan.claim_cases,
        &plan.claims,
        &plan.claim_events,
        &plan.flag_events,
        &plan.flags,
    ]
}

/// Stores a batch and, with `record`, removes its stored signed notes' drafts and writes its audit
/// rows in the same transaction.
pub(super) async fn push_with(
    storage: &PostgresStorage,
    user: &UserRecord,
    events: &[Event],
    record: Option<(Uuid, DateTime<Utc>)>,
) -> Result<Vec<PushResult>> {
    let rows: Vec<String> = events.iter().map(|e| serde_json::to_string(e).expect("events serialise")).collect();
    let mut c = storage.pool.get().await?;
    if let Some(results) = push_fast(&mut c, user, events, &rows, record).await? {
        return Ok(results);
    }
    // Another push stored some of the same events, cases or claims between our facts and our
    // lock: start again with the lock taken first, which sees everything committed before it.
    tracing::debug!(events = events.len(), "a push met a concurrent writer of the same events or cases; retrying under the lock");
    storage.careful_retries.fetch_add(1, Ordering::Relaxed);
    push_careful(&mut c, user, events, &rows, record).await
}

async fn push_fast(
    c: &mut Conn<'_>,
    user: &UserRecord,
    events: &[Event],
    rows: &[String],
    record: Option<(Uuid, DateTime<Utc>)>,
) -> Result<Option<Vec<PushResult>>> {
    let facts_stmt = c.prepared(PUSH_FACTS).await?;
    let facts = read_facts(&**c, &facts_stmt, user, events).await?;
    let decisions = decide(events, &facts, &user.username, user.role);
    let (plan, slots) = plan(events, rows, decisions);
    let received_at = Utc::now();
    let provisional = results(events, &slots, &facts, 0, received_at);
    if plan.allocated == 0 && record.is_none() {
        // Nothing to write, no number to allocate.
        return Ok(Some(provisional));
    }
    let (delete_stmt, audit_stmt, lock_stmt, write_stmt) =
        (c.prepared(DELETE_DRAFTS).await?, c.prepared(INSERT_AUDIT).await?, c.prepared(SEQ_LOCK).await?, c.prepared(PUSH_WRITE).await?);
    let notes = if record.is_some() { signed_note_ids(events, &provisional) } else { Vec::new() };
    // The audit rows only count new, repeated and refused events per case, which the plan knows.
    let audit = record.map(|(device_id, at)| AuditColumns::of(&push_audit_entries(user, device_id, events, &provisional, at)));
    let now = ts(received_at);
    let client: &Client = c;
    let skip_write = plan.allocated == 0;
    let params = write_params(&plan, user, &now);
    // Pipelined: every message below is queued before the first reply is awaited (`biased` polls
    // the futures in this order, and each sends its request when first polled), so the whole
    // transaction is one round trip and the counter lock is held only while PostgreSQL runs the
    // write. Should any statement fail, the transaction is aborted and COMMIT rolls it back.
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
                Some(a) => client.execute(&audit_stmt, &a.params()).await,
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
                false => client.query_one(&write_stmt, &params).await.map(Some),
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
    let base = written.map(|r| r.get::<_, i64>(0)).unwrap_or(0);
    Ok(Some(results(events, &slots, &facts, base, received_at)))
}

/// The careful way: the counter is locked first, so the facts read after it are final and the
/// whole batch runs as if alone, as on SQLite.
async fn push_careful(
    c: &mut Conn<'_>,
    user: &UserRecord,
    events: &[Event],
    rows: &[String],
    record: Option<(Uuid, DateTime<Utc>)>,
) -> Result<Vec<PushResult>> {
    let tx = c.transaction().await?;
    tx.query_one(SEQ_LOCK, &[]).await?;
    let facts = read_facts(&tx, PUSH_FACTS, user, events).await?;
    let decisions = decide(events, &facts, &user.username, user.role);
    let (plan, slots) = plan(events, rows, decisions);
    let received_at = Utc::now();
    let now = ts(received_at);
    let base = if plan.allocated > 0 {
        let params = write_params(&plan, user, &now);
        tx.query_one(PUSH_WRITE, &params).await.map_err(|e| match e.code() {
            Some(&SqlState::UNIQUE_VIOLATION) => StorageError::Backend(format!("a push under the lock still met a duplicate: {e}")),
            _ => e.into(),
        })?
        .get::<_, i64>(0)
    } else {
        0
    };
    let results = results(events, &slots, &facts, base, received_at);
    if let Some((device_id, at)) = record {
        let notes = signed_note_ids(events, &results);
        if !notes.is_empty() {
            tx.execute(DELETE_DRAFTS, &[&user.id, &notes]).await?;
        }
        let a = AuditColumns::of(&push_audit_entries(user, device_id, events, &results, at));
        tx.execute(INSERT_AUDIT, &a.params()).await?;
    }
    tx.commit().await?;
    Ok(results)
}

//! Versioned, forward-only migrations.
//!
//! `PRAGMA user_version` holds the version. Each migration runs in one transaction with the
//! version bump, so a crash mid-migration leaves the store at the previous version, intact.
//! Migrations are never edited once released: a change is a new migration.

use crate::error::{Result, StoreError};
use rusqlite::Connection;

pub const MIGRATIONS: &[&str] = &[
    // 1: the append-only event log and the outbox.
    r#"
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
    CREATE TABLE events (
        local_seq       INTEGER PRIMARY KEY,
        id              TEXT NOT NULL UNIQUE,
        case_id         TEXT NOT NULL,
        author          TEXT NOT NULL,
        device_id       TEXT NOT NULL,
        device_seq      INTEGER NOT NULL,
        hlc_wall        INTEGER NOT NULL,
        hlc_counter     INTEGER NOT NULL,
        recorded_at     TEXT NOT NULL,
        kind            TEXT NOT NULL,
        payload_version INTEGER NOT NULL,
        payload         TEXT NOT NULL,
        content_hash    TEXT NOT NULL,
        UNIQUE (device_id, device_seq)
    ) STRICT;
    CREATE INDEX events_by_case ON events (case_id, hlc_wall, hlc_counter, device_id, id);
    -- The log is the audit trail: SQLite itself refuses to change or remove an event, whatever
    -- code (or person with a SQL prompt) asks.
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only and cannot be changed'); END;
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only and cannot be deleted'); END;
    CREATE TABLE outbox (
        event_id  TEXT PRIMARY KEY REFERENCES events (id),
        queued_at TEXT NOT NULL
    ) STRICT;
    "#,
    // 2: projections (derived from the log, rebuildable) and full-text search.
    r#"
    CREATE TABLE cases (
        case_id          TEXT PRIMARY KEY,
        family_name      TEXT,
        parent_name      TEXT,
        due_date         TEXT,
        infant_name      TEXT,
        infant_dob       TEXT,
        opened_by        TEXT,
        opened_at        TEXT,
        last_activity_at TEXT,
        contact_count    INTEGER NOT NULL,
        signed_note_count INTEGER NOT NULL,
        family_doc       INTEGER,
        family_doc_body  TEXT
    ) STRICT;
    CREATE TABLE contacts (
        contact_id   TEXT PRIMARY KEY,
        case_id      TEXT NOT NULL,
        date         TEXT NOT NULL,
        contact_type TEXT NOT NULL,
        outcome      TEXT NOT NULL,
        location     TEXT,
        recorded_by  TEXT NOT NULL,
        recorded_at  TEXT NOT NULL
    ) STRICT;
    CREATE INDEX contacts_by_case ON contacts (case_id, date);
    CREATE TABLE signed_notes (
        note_id     TEXT PRIMARY KEY,
        case_id     TEXT NOT NULL,
        contact_id  TEXT,
        occurred_on TEXT NOT NULL,
        text        TEXT NOT NULL,
        author      TEXT NOT NULL,
        signed_at   TEXT NOT NULL,
        event_id    TEXT NOT NULL
    ) STRICT;
    CREATE INDEX signed_notes_by_case ON signed_notes (case_id, occurred_on);
    CREATE TABLE addenda (
        addendum_id TEXT PRIMARY KEY,
        note_id     TEXT NOT NULL,
        case_id     TEXT NOT NULL,
        reason      TEXT NOT NULL,
        text        TEXT NOT NULL,
        author      TEXT NOT NULL,
        added_at    TEXT NOT NULL,
        event_id    TEXT NOT NULL
    ) STRICT;
    -- A row here (inside the rebuild's own transaction) is the only thing that lets signed notes
    -- and addenda be cleared, so that projections can be rebuilt from the log.
    CREATE TABLE projection_rebuild (started_at TEXT NOT NULL) STRICT;
    CREATE TRIGGER signed_notes_no_update BEFORE UPDATE ON signed_notes
        BEGIN SELECT RAISE(ABORT, 'signed notes cannot be changed; add an addendum instead'); END;
    CREATE TRIGGER signed_notes_no_delete BEFORE DELETE ON signed_notes
        WHEN NOT EXISTS (SELECT 1 FROM projection_rebuild)
        BEGIN SELECT RAISE(ABORT, 'signed notes cannot be deleted'); END;
    CREATE TRIGGER addenda_no_update BEFORE UPDATE ON addenda
        BEGIN SELECT RAISE(ABORT, 'addenda cannot be changed'); END;
    CREATE TRIGGER addenda_no_delete BEFORE DELETE ON addenda
        WHEN NOT EXISTS (SELECT 1 FROM projection_rebuild)
        BEGIN SELECT RAISE(ABORT, 'addenda cannot be deleted'); END;
    CREATE VIRTUAL TABLE search_index USING fts5 (
        body,
        case_id UNINDEXED,
        ref_kind UNINDEXED,
        ref_id UNINDEXED,
        tokenize = 'unicode61 remove_diacritics 2'
    );
    "#,
    // 3: private, autosaved drafts (the one mutable thing).
    r#"
    CREATE TABLE drafts (
        note_id     TEXT PRIMARY KEY,
        case_id     TEXT NOT NULL,
        author      TEXT NOT NULL,
        contact_id  TEXT,
        occurred_on TEXT NOT NULL,
        text        TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        revision    INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX drafts_by_case ON drafts (case_id);
    "#,
    // 4: sync with the central store: connection state (credentials stay inside the encrypted
    // file) and which events the central store has acknowledged or sent, with its sequence number.
    r#"
    CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
    CREATE TABLE server_seq (event_id TEXT PRIMARY KEY REFERENCES events (id), seq INTEGER NOT NULL) STRICT;
    "#,
    // 5: details changed on two laptops at once, counted for the caseload.
    r#"
    ALTER TABLE cases ADD COLUMN conflict_count INTEGER NOT NULL DEFAULT 0;
    "#,
    // 6: a case taken away from this clinician leaves the laptop (after everything written for it
    // has been sent). A row in case_purge, inside the purge's own transaction, is the only thing
    // that lets that one case's events be removed; every other delete is still refused.
    r#"
    CREATE TABLE case_purge (case_id TEXT PRIMARY KEY) STRICT;
    DROP TRIGGER events_no_delete;
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        WHEN NOT EXISTS (SELECT 1 FROM case_purge WHERE case_purge.case_id = OLD.case_id)
        BEGIN SELECT RAISE(ABORT, 'events are append-only and cannot be deleted'); END;
    "#,
    // 7: which revision of each draft the central store holds as its private backup.
    r#"
    ALTER TABLE drafts ADD COLUMN backed_up_revision INTEGER NOT NULL DEFAULT 0;
    "#,
    // 8: the whole case record. The caseload shows each case's status, risk, first-contact
    // deadline, last contact, next visit and alerts; Today reads planned visits and what is due.
    // All derived from the log (filled by the rebuild that follows every migration).
    r#"
    ALTER TABLE cases ADD COLUMN status TEXT NOT NULL DEFAULT 'Open';
    ALTER TABLE cases ADD COLUMN risk TEXT;
    ALTER TABLE cases ADD COLUMN first_contact_due TEXT;
    ALTER TABLE cases ADD COLUMN last_contact_on TEXT;
    ALTER TABLE cases ADD COLUMN next_visit_at TEXT;
    ALTER TABLE cases ADD COLUMN active_alerts INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE planned_visits (
        case_id      TEXT NOT NULL,
        contact_id   TEXT NOT NULL,
        planned_for  TEXT NOT NULL,
        contact_type TEXT NOT NULL,
        location     TEXT,
        PRIMARY KEY (case_id, contact_id)
    ) STRICT;
    CREATE INDEX planned_visits_by_time ON planned_visits (planned_for);
    CREATE TABLE due_items (
        case_id TEXT NOT NULL,
        item    TEXT NOT NULL,
        kind    TEXT NOT NULL,
        what    TEXT NOT NULL,
        due_on  TEXT NOT NULL,
        since   TEXT,
        PRIMARY KEY (case_id, item)
    ) STRICT;
    CREATE INDEX due_items_by_date ON due_items (due_on);
    "#,
    // 9: what a clinician is typing into a form (a referral, a measure) before it is saved, kept
    // inside the encrypted store so a crash or a flat battery loses none of it. Never synced.
    r#"
    CREATE TABLE form_drafts (
        form     TEXT PRIMARY KEY,
        body     TEXT NOT NULL,
        saved_at TEXT NOT NULL
    ) STRICT;
    "#,
    // 10: who each case is allocated to, as the central store said at the last sync (allocation
    // is decided there, not by events), so the case header can say it offline.
    r#"
    CREATE TABLE case_allocations (
        case_id    TEXT PRIMARY KEY,
        clinicians TEXT NOT NULL
    ) STRICT;
    "#,
    // 11: what the central store said of each event: when it took it in, with any flag for the
    // lead; and the entries it refused, set aside here with its reason (never deleted, never
    // sent again unless a person asks).
    r#"
    ALTER TABLE server_seq ADD COLUMN received_at TEXT;
    ALTER TABLE server_seq ADD COLUMN flag TEXT;
    CREATE TABLE set_aside (
        event_id     TEXT PRIMARY KEY REFERENCES events (id),
        code         TEXT NOT NULL,
        reason       TEXT NOT NULL,
        set_aside_at TEXT NOT NULL
    ) STRICT;
    "#,
    // 12: since when a risk answered on a questionnaire has been waiting for a risk review, so
    // the caseload can flag it (worked out from the events; filled in by the rebuild a migration
    // triggers).
    r#"
    ALTER TABLE cases ADD COLUMN risk_to_review_since TEXT;
    "#,
    // 13: the team's work: whether a case is a referral waiting in the team's inbox, where it
    // stands with triage, and what the lead's team view filters on (THRIVE grouping, when the
    // risk review is due). All worked out from the events; filled in by the rebuild.
    r#"
    ALTER TABLE cases ADD COLUMN in_inbox INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE cases ADD COLUMN triage TEXT;
    ALTER TABLE cases ADD COLUMN thrive TEXT;
    ALTER TABLE cases ADD COLUMN risk_review_on TEXT;
    ALTER TABLE cases ADD COLUMN waiting INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE cases ADD COLUMN triage_holders TEXT;
    "#,
];

pub const LATEST: i64 = MIGRATIONS.len() as i64;

pub fn version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Brings the schema up to `target` (normally [`LATEST`]). Returns whether anything ran, so the
/// caller can rebuild projections from the log after a migration.
pub fn migrate_to(conn: &mut Connection, target: i64) -> Result<bool> {
    let current = version(conn)?;
    if current > LATEST {
        return Err(StoreError::TooNew { found: current, known: LATEST });
    }
    for v in current..target {
        let tx = conn.transaction()?;
        tx.execute_batch(MIGRATIONS[v as usize])?;
        tx.pragma_update(None, "user_version", v + 1)?;
        tx.commit()?;
    }
    Ok(current < target)
}

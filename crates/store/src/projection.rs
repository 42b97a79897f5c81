//! Projections: current-state tables and the search index, derived from the event log.
//!
//! After any event of a case is stored, the case is folded again (the same pure fold every replica
//! uses) and its rows brought in line. Signed notes and addenda are immutable, so they are only
//! ever inserted; that is also why their search entries need writing only once.

use crate::error::{Result, StoreError};
use crate::{SearchHit, SearchHitKind};
use casebook_domain::{fold_received, Event, EventBody, Hlc, Receipt};
use std::collections::HashMap;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use std::fmt::Write as _;
use uuid::Uuid;

pub fn insert_event(tx: &Transaction, e: &Event) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO events (id, case_id, author, device_id, device_seq, hlc_wall, hlc_counter, recorded_at,
                             kind, payload_version, payload, content_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        e.id.to_string(),
        e.case_id.to_string(),
        e.author,
        e.device_id.to_string(),
        e.device_seq as i64,
        e.hlc.wall_ms as i64,
        e.hlc.counter,
        e.recorded_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        e.body.kind(),
        e.payload_version,
        serde_json::to_string(&e.body.payload_json()).expect("payload serialises"),
        e.content_hash,
    ])?;
    Ok(())
}

fn event_from_row(r: &rusqlite::Row) -> rusqlite::Result<(Event, String, String)> {
    let text = |i: usize| r.get::<_, String>(i);
    let uuid = |i: usize| -> rusqlite::Result<Uuid> {
        Uuid::parse_str(&text(i)?)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into()))
    };
    let recorded_at: DateTime<Utc> = text(7)?
        .parse()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(7, rusqlite::types::Type::Text, Box::new(e)))?;
    // The body is rebuilt by the caller, which can report an unreadable payload as a typed error.
    let placeholder = EventBody::NoteDrafted(casebook_domain::NoteDrafted {
        note_id: Uuid::nil(),
        contact_id: None,
        occurred_on: chrono::NaiveDate::MIN,
    });
    Ok((
        Event {
            id: uuid(0)?,
            case_id: uuid(1)?,
            author: text(2)?,
            device_id: uuid(3)?,
            device_seq: r.get::<_, i64>(4)? as u64,
            hlc: Hlc::new(r.get::<_, i64>(5)? as u64, r.get(6)?),
            recorded_at,
            payload_version: r.get(9)?,
            body: placeholder,
            content_hash: text(11)?,
        },
        text(8)?,
        text(10)?,
    ))
}

pub const EVENT_COLUMNS: &str = "id, case_id, author, device_id, device_seq, hlc_wall, hlc_counter, recorded_at, \
                                 kind, payload_version, payload, content_hash";

/// Reads events with a query selecting [`EVENT_COLUMNS`].
pub fn read_events(conn: &Connection, sql: &str, args: impl rusqlite::Params) -> Result<Vec<Event>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(args, event_from_row)?;
    let mut events = Vec::new();
    for row in rows {
        let (mut event, kind, payload) = row?;
        let payload: serde_json::Value = serde_json::from_str(&payload).map_err(|e| {
            StoreError::Event(casebook_domain::EventError::UnreadablePayload { kind: kind.clone(), reason: e.to_string() })
        })?;
        event.body = EventBody::from_parts(&kind, payload)?;
        events.push(event);
    }
    Ok(events)
}

pub fn case_events(conn: &Connection, case_id: Uuid) -> Result<Vec<Event>> {
    read_events(
        conn,
        &format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE case_id = ?1 ORDER BY hlc_wall, hlc_counter, device_id, id"
        ),
        [case_id.to_string()],
    )
}

/// What the central store said of each of a case's events it has seen: its place in the central
/// store's order, when it took it in, and any flag for the lead.
pub fn receipts(conn: &Connection, case_id: Uuid) -> Result<HashMap<Uuid, Receipt>> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.event_id, s.seq, s.received_at, s.flag FROM events e JOIN server_seq s ON s.event_id = e.id WHERE e.case_id = ?1",
    )?;
    let rows = stmt.query_map([case_id.to_string()], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, Option<String>>(2)?, r.get::<_, Option<String>>(3)?))
    })?;
    let mut out = HashMap::new();
    for row in rows {
        let (id, seq, received_at, flag) = row?;
        let Ok(id) = Uuid::parse_str(&id) else { continue };
        let received_at = received_at.and_then(|t| DateTime::parse_from_rfc3339(&t).ok()).map(|t| t.with_timezone(&Utc));
        out.insert(id, Receipt { seq: seq as u64, received_at, flag });
    }
    Ok(out)
}

fn family_search_body(family: &str, parent: Option<&str>, infant: Option<&str>) -> String {
    [Some(family), parent, infant].into_iter().flatten().collect::<Vec<_>>().join(" ")
}

fn index(tx: &Transaction, body: &str, case_id: &str, kind: &str, ref_id: &str) -> Result<i64> {
    tx.prepare_cached("INSERT INTO search_index (body, case_id, ref_kind, ref_id) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![body, case_id, kind, ref_id])?;
    Ok(tx.last_insert_rowid())
}

/// Brings one case's projection rows in line with the fold of its events, and returns that fold
/// so a caller need not fold the case again.
pub fn refresh_case(tx: &Transaction, case_id: Uuid) -> Result<casebook_domain::CaseState> {
    let events = case_events(tx, case_id)?;
    let state = fold_received(case_id, &events, &receipts(tx, case_id)?);
    let id = case_id.to_string();

    let family_body = state.details.as_ref().map(|d| {
        family_search_body(
            &d.family_name,
            d.parent.as_ref().map(|p| p.name.as_str()),
            d.infant.as_ref().and_then(|i| i.name.as_deref()),
        )
    });
    let previous: Option<(Option<i64>, Option<String>)> = tx
        .prepare_cached("SELECT family_doc, family_doc_body FROM cases WHERE case_id = ?1")?
        .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (mut family_doc, previous_body) = previous.unwrap_or((None, None));
    if family_body != previous_body {
        if let Some(rowid) = family_doc.take() {
            tx.prepare_cached("DELETE FROM search_index WHERE rowid = ?1")?.execute([rowid])?;
        }
        if let Some(body) = &family_body {
            family_doc = Some(index(tx, body, &id, "family", &id)?);
        }
    }

    let d = state.details.as_ref();
    let summary = crate::record::summary_columns(&state);
    let team = crate::team::team_columns(&state);
    tx.prepare_cached(
        "INSERT INTO cases (case_id, family_name, parent_name, due_date, infant_name, infant_dob, opened_by,
                            opened_at, last_activity_at, contact_count, signed_note_count, family_doc, family_doc_body, conflict_count,
                            status, risk, first_contact_due, last_contact_on, next_visit_at, active_alerts,
                            risk_to_review_since, in_inbox, triage, thrive, risk_review_on, waiting, triage_holders)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21,
                 ?22, ?23, ?24, ?25, ?26, ?27)
         ON CONFLICT (case_id) DO UPDATE SET
            family_name = excluded.family_name, parent_name = excluded.parent_name,
            due_date = excluded.due_date, infant_name = excluded.infant_name, infant_dob = excluded.infant_dob,
            opened_by = excluded.opened_by, opened_at = excluded.opened_at,
            last_activity_at = excluded.last_activity_at, contact_count = excluded.contact_count,
            signed_note_count = excluded.signed_note_count, family_doc = excluded.family_doc,
            family_doc_body = excluded.family_doc_body, conflict_count = excluded.conflict_count,
            status = excluded.status, risk = excluded.risk, first_contact_due = excluded.first_contact_due,
            last_contact_on = excluded.last_contact_on, next_visit_at = excluded.next_visit_at,
            active_alerts = excluded.active_alerts, risk_to_review_since = excluded.risk_to_review_since,
            in_inbox = excluded.in_inbox, triage = excluded.triage, thrive = excluded.thrive,
            risk_review_on = excluded.risk_review_on, waiting = excluded.waiting, triage_holders = excluded.triage_holders",
    )?
    .execute(params![
        id,
        d.map(|d| d.family_name.clone()),
        d.and_then(|d| d.parent.as_ref().map(|p| p.name.clone())),
        d.and_then(|d| d.due_date.map(|x| x.to_string())),
        d.and_then(|d| d.infant.as_ref().and_then(|i| i.name.clone())),
        d.and_then(|d| d.infant.as_ref().map(|i| i.date_of_birth.to_string())),
        d.map(|d| d.opened_by.clone()),
        d.map(|d| d.opened_at.to_rfc3339()),
        state.last_recorded_at.map(|t| t.to_rfc3339()),
        state.contacts.len() as i64,
        state.signed_notes.len() as i64,
        family_doc,
        family_body,
        state.conflicts.len() as i64,
        summary.status,
        summary.risk.map(|r| serde_json::to_value(r).expect("enum").as_str().unwrap_or_default().to_string()),
        summary.first_contact_due.map(|d| d.to_string()),
        summary.last_contact_on.map(|d| d.to_string()),
        summary.next_visit_at.map(crate::record::datetime_text),
        summary.active_alerts,
        summary.risk_to_review_since.map(|d| d.to_string()),
        team.in_inbox,
        team.triage,
        team.thrive,
        team.risk_review_on,
        team.waiting,
        team.triage_holders,
    ])?;
    crate::record::write_projection(tx, &state)?;

    let mut contact = tx.prepare_cached(
        "INSERT OR IGNORE INTO contacts (contact_id, case_id, date, contact_type, outcome, location, recorded_by, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for c in &state.contacts {
        contact.execute(params![
            c.contact_id.to_string(),
            id,
            c.date.to_string(),
            serde_json::to_value(c.contact_type).expect("enum").as_str(),
            serde_json::to_value(c.outcome).expect("enum").as_str(),
            c.location,
            c.recorded_by,
            c.recorded_at.to_rfc3339(),
        ])?;
    }

    let mut note = tx.prepare_cached(
        "INSERT OR IGNORE INTO signed_notes (note_id, case_id, contact_id, occurred_on, text, author, signed_at, event_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let mut addendum = tx.prepare_cached(
        "INSERT OR IGNORE INTO addenda (addendum_id, note_id, case_id, reason, text, author, added_at, event_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for n in &state.signed_notes {
        let note_id = n.note_id.to_string();
        let inserted = note.execute(params![
            note_id,
            id,
            n.contact_id.map(|c| c.to_string()),
            n.occurred_on.to_string(),
            n.text,
            n.author,
            n.signed_at.to_rfc3339(),
            n.event_id.to_string(),
        ])?;
        if inserted == 1 {
            index(tx, &n.text, &id, "note", &note_id)?;
        }
        for a in &n.addenda {
            let addendum_id = a.addendum_id.to_string();
            let inserted = addendum.execute(params![
                addendum_id,
                note_id,
                id,
                a.reason,
                a.text,
                a.author,
                a.added_at.to_rfc3339(),
                a.event_id.to_string(),
            ])?;
            if inserted == 1 {
                index(tx, &format!("{}\n{}", a.reason, a.text), &id, "addendum", &addendum_id)?;
            }
        }
    }
    Ok(state)
}

/// Clears every projection and derives it again from the log, in the caller's transaction.
pub fn rebuild(tx: &Transaction, now: DateTime<Utc>) -> Result<()> {
    tx.execute("INSERT INTO projection_rebuild (started_at) VALUES (?1)", [now.to_rfc3339()])?;
    tx.execute_batch(
        "DELETE FROM cases; DELETE FROM contacts; DELETE FROM signed_notes; DELETE FROM addenda;
         DELETE FROM search_index; DELETE FROM planned_visits; DELETE FROM due_items;",
    )?;
    let case_ids: Vec<String> = tx
        .prepare("SELECT DISTINCT case_id FROM events ORDER BY case_id")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in case_ids {
        let case_id = Uuid::parse_str(&id).map_err(|_| StoreError::CaseNotFound(id.clone()))?;
        refresh_case(tx, case_id)?;
    }
    tx.execute("DELETE FROM projection_rebuild", [])?;
    Ok(())
}

/// Turns what a clinician typed into an FTS5 query: each word is quoted (so punctuation and FTS
/// operators typed by accident are harmless) and matched as a prefix.
pub fn fts_query(input: &str) -> Option<String> {
    let words: Vec<String> = input
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\"*"))
        .collect();
    if words.is_empty() {
        None
    } else {
        Some(words.join(" "))
    }
}

pub fn search(conn: &Connection, input: &str, limit: usize) -> Result<Vec<SearchHit>> {
    let Some(query) = fts_query(input) else { return Ok(Vec::new()) };
    // Ordering by FTS5's own `rank` alone lets it keep just the best `limit` matches instead of
    // sorting every match (a common word is in a third of all notes); ties among the rows kept are
    // then broken by id, so the same store always answers in the same order.
    let mut stmt = conn.prepare_cached(
        "SELECT s.case_id, c.family_name, s.ref_kind, s.ref_id,
                snippet(search_index, 0, char(2), char(3), '…', 16), s.rank
         FROM search_index s LEFT JOIN cases c ON c.case_id = s.case_id
         WHERE search_index MATCH ?1
         ORDER BY s.rank
         LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![query, limit as i64], |r| {
        Ok((r.get::<_, String>(0)?, r.get(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?, r.get(4)?, r.get::<_, f64>(5)?))
    })?;
    let mut rows: Vec<(String, Option<String>, String, String, String, f64)> = rows.collect::<Result<_, _>>()?;
    rows.sort_by(|a, b| a.5.total_cmp(&b.5).then_with(|| a.3.cmp(&b.3)));
    let mut hits = Vec::new();
    for (case_id, family_name, kind, ref_id, snippet, _) in rows {
        let parse = |s: &str| Uuid::parse_str(s).map_err(|_| StoreError::CaseNotFound(s.to_string()));
        hits.push(SearchHit {
            case_id: parse(&case_id)?,
            family_name,
            kind: match kind.as_str() {
                "family" => SearchHitKind::Family,
                "note" => SearchHitKind::Note,
                _ => SearchHitKind::Addendum,
            },
            ref_id: parse(&ref_id)?,
            snippet,
        });
    }
    Ok(hits)
}

/// Every projection row in a fixed order, as text. Search-index row ids are left out (they depend
/// on insertion order); the indexed content is included.
pub fn dump(conn: &Connection) -> Result<String> {
    let mut out = String::new();
    for (table, order) in [
        ("cases", "case_id"),
        ("contacts", "contact_id"),
        ("signed_notes", "note_id"),
        ("addenda", "addendum_id"),
        ("planned_visits", "case_id, contact_id"),
        ("due_items", "case_id, item"),
    ] {
        let columns = if table == "cases" {
            "case_id, family_name, parent_name, due_date, infant_name, infant_dob, opened_by, opened_at, \
             last_activity_at, contact_count, signed_note_count, family_doc_body, conflict_count, status, risk, \
             first_contact_due, last_contact_on, next_visit_at, active_alerts, risk_to_review_since"
        } else {
            "*"
        };
        let mut stmt = conn.prepare(&format!("SELECT {columns} FROM {table} ORDER BY {order}"))?;
        let n = stmt.column_count();
        let mut rows = stmt.query([])?;
        writeln!(out, "# {table}").unwrap();
        while let Some(r) = rows.next()? {
            for i in 0..n {
                let v: rusqlite::types::Value = r.get(i)?;
                write!(out, "{v:?}|").unwrap();
            }
            out.push('\n');
        }
    }
    let mut stmt =
        conn.prepare("SELECT ref_kind, ref_id, case_id, body FROM search_index ORDER BY ref_kind, ref_id, body")?;
    let mut rows = stmt.query([])?;
    writeln!(out, "# search_index").unwrap();
    while let Some(r) = rows.next()? {
        let (k, id, case, body): (String, String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        writeln!(out, "{k}|{id}|{case}|{body}").unwrap();
    }
    Ok(out)
}

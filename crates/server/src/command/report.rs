//! `casebook-server report retention [--as-of DATE] [--json]`: the cases whose keep-until date
//! under the Records Management Code of Practice (2021) has passed, for a person (the trust's
//! records manager) to review. Each case's stored events are folded exactly as a laptop folds
//! them and its date worked out by `casebook_domain::retention`. It reads and lists; it never
//! deletes or changes anything, and nothing in Casebook does because of this date.

use super::{record, Failure};
use casebook_domain::{fold_received, retention, Receipt, Retention};
use casebook_server::storage::Storage;
use chrono::NaiveDate;
use serde_json::json;
use std::collections::HashMap;

/// Said on every report, in the text and the JSON alike.
pub const NOTHING_DELETED: &str =
    "Nothing has been deleted or changed: Casebook never deletes a record because its date has passed. Review each case listed and decide, under the trust's records policy, what happens to it.";

struct Past {
    case_id: uuid::Uuid,
    team: String,
    retention: Retention,
    open: bool,
}

fn parse_as_of(s: Option<&str>) -> Result<NaiveDate, Failure> {
    match s {
        None => Ok(chrono::Local::now().date_naive()),
        Some(s) => s.trim().parse().map_err(|_| Failure(format!("'{s}' is not a date such as 2026-12-31"))),
    }
}

pub async fn retention_report(storage: &dyn Storage, as_of: Option<&str>, as_json: bool) -> Result<(), Failure> {
    let as_of = parse_as_of(as_of)?;
    let cases = storage.cases().await?;
    let mut past = Vec::new();
    let mut undated = 0usize;
    for (case_id, team) in &cases {
        let stored = storage.case_events(*case_id).await?;
        // Folded with the central store's own order, as every laptop folds it.
        let receipts: HashMap<uuid::Uuid, Receipt> = stored
            .iter()
            .map(|p| (p.event.id, Receipt { seq: p.seq, received_at: p.received_at, flag: p.flag.clone() }))
            .collect();
        let events: Vec<casebook_domain::Event> = stored.into_iter().map(|p| p.event).collect();
        let state = fold_received(*case_id, &events, &receipts);
        let r = retention(&state);
        if r.keep_until.is_none() {
            undated += 1;
        }
        if r.past(as_of) {
            past.push(Past { case_id: *case_id, team: team.clone(), retention: r, open: state.record.discharge.is_none() });
        }
    }

    let day = as_of.format("%-d %B %Y").to_string();
    if as_json {
        let listed: Vec<serde_json::Value> = past
            .iter()
            .map(|p| {
                let won = p.retention.winner();
                json!({
                    "case_id": p.case_id,
                    "team": p.team,
                    "keep_until": p.retention.keep_until,
                    "rule": won.map(|w| w.rule),
                    "why": won.map(|w| w.sentence.clone()),
                    "still_open": p.open,
                    "retention": p.retention,
                })
            })
            .collect();
        let out = json!({
            "as_of": as_of,
            "cases_checked": cases.len(),
            "cases_without_a_date": undated,
            "past_their_date": listed,
            "nothing_deleted": NOTHING_DELETED,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else if past.is_empty() {
        println!("No case is past its keep-until date on {day} ({} cases checked).", cases.len());
        println!("{NOTHING_DELETED}");
    } else {
        println!("Cases past their keep-until date on {day}, for a person to review ({} of {} cases):", past.len(), cases.len());
        println!();
        for p in &past {
            let until = p.retention.keep_until.map(|d| d.to_string()).unwrap_or_default();
            let why = p.retention.winner().map(|w| w.short.as_str()).unwrap_or_default();
            let open = if p.open { "; the case is still open" } else { "" };
            println!("{}  {}  kept until {until} ({why}{open})", p.case_id, p.team);
        }
        println!();
        println!("{NOTHING_DELETED}");
    }
    if undated > 0 && !as_json {
        println!("{undated} cases have nothing with a date recorded yet, so no keep-until date could be worked out for them.");
    }
    record(
        storage,
        "cli_report_retention",
        None,
        format!("{} of {} cases past their keep-until date on {as_of}; nothing deleted", past.len(), cases.len()),
    )
    .await
}

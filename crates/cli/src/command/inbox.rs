//! `casebook inbox`: the referrals on this laptop waiting for the team lead's triage, the overdue
//! ones first, and the waiting list (accepted, not yet seen). On a lead's or admin's laptop that is
//! the team's inbox as at the last sync; on a clinician's, the referrals they logged.

use crate::{long_date, open, print, today, Cli, CliResult};
use casebook_domain::inbox::{InboxEntry, WaitingEntry};
use casebook_domain::TriageState;
use serde::Serialize;

#[derive(Serialize)]
struct Inbox {
    inbox: Vec<InboxEntry>,
    waiting: Vec<WaitingEntry>,
}

fn line(e: &InboxEntry) -> String {
    let due = match (e.first_contact_due, e.overdue) {
        (Some(d), true) => format!("first contact overdue since {}", long_date(d)),
        (Some(d), false) => format!("first contact due by {}", long_date(d)),
        (None, _) => "no first-contact deadline (not eligible)".to_string(),
    };
    let mut text = format!(
        "{}  {}  received {} ({} days), from {} ({}); {}\n    {}",
        e.case_id,
        e.family_name,
        long_date(e.received_on),
        e.days_waiting,
        e.referrer.name,
        e.referrer.role.label(),
        due,
        e.eligibility.summary()
    );
    if let TriageState::Conflict { decisions } = &e.triage {
        let who: Vec<String> = decisions.iter().map(|d| format!("{} ({})", d.by, d.details.decision.label().to_lowercase())).collect();
        text.push_str(&format!("\n    Two triage decisions to settle: {}.", who.join(" and ")));
    }
    text
}

pub fn run(cli: &Cli) -> CliResult<()> {
    let store = open(cli)?;
    let today = today();
    let answer = Inbox { inbox: store.inbox(today)?, waiting: store.waiting_list(today)? };
    print(cli.json, &answer, |a| {
        let mut out = Vec::new();
        if a.inbox.is_empty() {
            out.push("No referrals wait for triage on this laptop.".to_string());
        } else {
            out.push(format!("Waiting for triage ({}):", a.inbox.len()));
            out.extend(a.inbox.iter().map(line));
        }
        if !a.waiting.is_empty() {
            out.push(format!("Accepted, not yet seen ({}):", a.waiting.len()));
            out.extend(a.waiting.iter().map(|w| {
                format!("{}  {}  accepted {}, with {}, waiting {} days", w.case_id, w.family_name, long_date(w.accepted_on), w.allocated_to.join(", "), w.days_waiting)
            }));
        }
        out.join("\n")
    });
    Ok(())
}

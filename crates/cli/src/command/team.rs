//! `casebook team`: the lead's view of the team as at the last sync: who holds what, open cases
//! nobody holds, the waiting list, laptops that have not synced for more than N working days (the
//! team's guard against notes stranded on a laptop), and alerts raised lately.

use crate::{long_date, open, print, today, Cli, CliResult, Failure};
use casebook_store::team::{ALERTS_WITHIN_DAYS, SILENT_AFTER_WORKING_DAYS};
use clap::Args;

#[derive(Args)]
pub struct TeamArgs {
    /// Highlight laptops silent for more than this many working days.
    #[arg(long, default_value_t = SILENT_AFTER_WORKING_DAYS)]
    silent_after: u32,
    /// List alerts raised in this many days.
    #[arg(long, default_value_t = ALERTS_WITHIN_DAYS)]
    alerts_within: u32,
}

pub fn run(cli: &Cli, args: &TeamArgs) -> CliResult<()> {
    if !(1..=60).contains(&args.silent_after) || !(1..=365).contains(&args.alerts_within) {
        return Err(Failure("Give --silent-after between 1 and 60 working days, and --alerts-within between 1 and 365 days.".into()));
    }
    let store = open(cli)?;
    if store.team_role()?.as_deref() != Some("lead") {
        return Err(Failure("The team view is for the team's lead, and this laptop is not signed in as a lead.".into()));
    }
    let view = store.team_view(today(), args.silent_after, args.alerts_within)?;
    print(cli.json, &view, |v| {
        let mut out = Vec::new();
        match v.roster_as_of {
            Some(at) => out.push(format!("{}, as at the last sync ({}).", v.team.clone().unwrap_or_default(), at.format("%-d %B %Y %H:%M UTC"))),
            None => out.push("The team's people and laptops arrive at the next sync; the cases below are those on this laptop.".into()),
        }
        for c in &v.caseloads {
            out.push(format!("{}: {} open cases", c.username, c.cases.len()));
            out.extend(c.cases.iter().map(|k| format!("    {}  {}", k.case_id, k.family_name)));
        }
        if !v.unallocated.is_empty() {
            out.push(format!("Open cases no clinician holds: {}", v.unallocated.len()));
        }
        if !v.waiting.is_empty() {
            out.push(format!("Accepted, not yet seen: {}", v.waiting.len()));
        }
        for l in v.laptops.iter().filter(|l| l.silent) {
            let when = l.device.last_sync_at.map(|t| format!("last synced {}", long_date(t.date_naive()))).unwrap_or_else(|| "never synced".into());
            let notes = l.device.notes_waiting_at_sync.map(|n| format!(", {n} signed notes waiting then")).unwrap_or_default();
            out.push(format!("Not synced for more than {} working days: {} on {} ({when}{notes}).", v.silent_after_working_days, l.username, l.device.name));
        }
        out.push(format!("Alerts raised in the last {} days: {}", v.alerts_within_days, v.recent_alerts.len()));
        out.join("\n")
    });
    Ok(())
}

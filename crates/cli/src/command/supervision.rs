//! `casebook supervision add`: case supervision recorded by the team's lead, with agreed actions
//! that become tasks on the case. The central store refuses it from anyone but a lead.

use crate::{date, id, long_date, open, print, today, Cli, CliResult, Failure};
use casebook_store::{AgreedActionInput, SupervisionInput};
use clap::Subcommand;

#[derive(Subcommand)]
pub enum SupervisionCommand {
    /// Record case supervision (team leads): what was discussed and any agreed actions.
    Add {
        #[arg(long = "case")]
        case_id: String,
        /// What was discussed.
        #[arg(long)]
        text: String,
        /// Who the case was discussed with (repeat for each clinician).
        #[arg(long = "with")]
        with: Vec<String>,
        /// An agreed action and when it is due, as "TITLE=YYYY-MM-DD" (repeat for each); each
        /// becomes a task on the case.
        #[arg(long = "action")]
        actions: Vec<String>,
        /// The day of the supervision (YYYY-MM-DD; default today).
        #[arg(long)]
        on: Option<String>,
    },
}

fn action(text: &str) -> CliResult<AgreedActionInput> {
    let Some((title, due)) = text.rsplit_once('=') else {
        return Err(Failure(format!(
            "An agreed action is written as \"what=YYYY-MM-DD\" (what to do, and when it is due); \"{text}\" has no date."
        )));
    };
    Ok(AgreedActionInput { title: title.trim().to_string(), due_on: date(due.trim(), "action's due date")? })
}

pub fn run(cli: &Cli, command: &SupervisionCommand) -> CliResult<()> {
    let SupervisionCommand::Add { case_id, text, with, actions, on } = command;
    let case_id = id(case_id, "case")?;
    let on = on.as_deref().map(|d| date(d, "date")).transpose()?.unwrap_or_else(today);
    let actions = actions.iter().map(|a| action(a)).collect::<CliResult<Vec<_>>>()?;
    let mut store = open(cli)?;
    let state = store.record_supervision(case_id, SupervisionInput { on, with: with.clone(), discussion: text.clone(), actions })?;
    let recorded = state.record.supervisions.last().expect("the supervision was just recorded").clone();
    print(cli.json, &recorded, |s| {
        let mut lines = vec![format!("Supervision recorded for {}.", long_date(s.details.on))];
        lines.extend(s.details.actions.iter().map(|a| format!("Task added: {} (due {}).", a.title, long_date(a.due_on))));
        lines.push("The team's central store takes it only from a lead; it is sent at the next sync.".into());
        lines.join("\n")
    });
    Ok(())
}

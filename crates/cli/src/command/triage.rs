//! `casebook triage`: the team lead's decision on a referral in the inbox. Accepting allocates the
//! case to the clinicians named (two or more: co-working) when it reaches the team's central
//! store, which takes triage only from a lead.

use crate::{date, id, long_date, open, print, today, Cli, CliResult};
use casebook_domain::TriageDecision;
use casebook_store::team::TriageInput;
use clap::Args;

#[derive(Args)]
pub struct TriageArgs {
    /// The case of the referral (as `casebook inbox` lists it).
    #[arg(long = "referral")]
    case_id: String,
    /// accept, consultation, signpost or decline.
    #[arg(long)]
    decision: String,
    /// A clinician of the team to allocate the case to (accept only; repeat for co-working).
    #[arg(long = "to")]
    to: Vec<String>,
    /// Why (required to decline; where to, when signposting).
    #[arg(long)]
    reason: Option<String>,
    /// The day of the decision (YYYY-MM-DD; default today).
    #[arg(long)]
    on: Option<String>,
}

pub fn run(cli: &Cli, args: &TriageArgs) -> CliResult<()> {
    let case_id = id(&args.case_id, "referral's case")?;
    let decision: TriageDecision = args.decision.parse().map_err(crate::Failure)?;
    let on = args.on.as_deref().map(|d| date(d, "date")).transpose()?.unwrap_or_else(today);
    let mut store = open(cli)?;
    let state = store.triage_referral(TriageInput { case_id, decision, on, allocate_to: args.to.clone(), reason: args.reason.clone() })?;
    let referral = state.record.referral.as_ref().expect("a triaged case has its referral");
    let made = referral.triage.last().expect("the decision was just recorded").clone();
    print(cli.json, &made, |t| {
        let mut text = format!("{} on {}.", t.details.decision.label(), long_date(t.details.on));
        if !t.details.allocate_to.is_empty() {
            text.push_str(&format!(" Allocated to {} when it reaches the team's central store.", t.details.allocate_to.join(" and ")));
        }
        if !t.details.supersedes.is_empty() {
            text.push_str(" It replaces the earlier decision on this referral.");
        }
        text
    });
    Ok(())
}

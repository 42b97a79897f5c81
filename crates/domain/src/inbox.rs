//! The team's inbox and waiting list, worked out from the cases a laptop holds: which referrals
//! wait for the lead's triage (the overdue ones first), and which accepted families have not been
//! seen yet. Pure, so the window, the CLI and the tests read the same lists.

use crate::fold::CaseState;
use crate::profile::EligibilityResult;
use crate::record::Professional;
use crate::triage::{TriageDecision, TriageState};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

/// One referral waiting for triage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct InboxEntry {
    pub case_id: Uuid,
    pub referral_id: Uuid,
    pub family_name: String,
    pub received_on: NaiveDate,
    /// Who logged it (a username).
    pub logged_by: String,
    pub referrer: Professional,
    pub eligibility: EligibilityResult,
    /// When the referrer was told the referral had arrived.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_on: Option<NaiveDate>,
    /// Calendar days since the referral was received.
    #[ts(type = "number")]
    pub days_waiting: i64,
    /// The first-contact deadline (none when the family is not eligible and nobody took it on).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_contact_due: Option<NaiveDate>,
    /// The deadline has passed and the family has not been contacted.
    pub overdue: bool,
    /// Awaiting, or two decisions in conflict for a person to settle.
    pub triage: TriageState,
}

/// One accepted family not yet seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct WaitingEntry {
    pub case_id: Uuid,
    pub family_name: String,
    pub received_on: NaiveDate,
    pub accepted_on: NaiveDate,
    pub allocated_to: Vec<String>,
    #[ts(type = "number")]
    pub days_waiting: i64,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_contact_due: Option<NaiveDate>,
    pub overdue: bool,
}

impl CaseState {
    /// Whether the case is a referral logged for the team's inbox that still waits for triage:
    /// not decided (or decided twice, in conflict), not closed by an earlier status move, not
    /// discharged.
    pub fn in_team_inbox(&self) -> bool {
        let Some(referral) = &self.record.referral else { return false };
        self.details.as_ref().is_some_and(|d| d.to_team_inbox)
            && referral.triage_state.in_inbox()
            && (!referral.status.is_final() || matches!(referral.triage_state, TriageState::Conflict { .. }))
            && self.record.discharge.is_none()
    }
}

fn overdue(due: Option<NaiveDate>, contacted: Option<NaiveDate>, today: NaiveDate) -> bool {
    contacted.is_none() && due.is_some_and(|d| today > d)
}

/// The inbox line of a case, or None when it is not waiting for triage.
pub fn inbox_entry(state: &CaseState, today: NaiveDate) -> Option<InboxEntry> {
    if !state.in_team_inbox() {
        return None;
    }
    let referral = state.record.referral.as_ref()?;
    let due = referral.first_contact_due();
    Some(InboxEntry {
        case_id: state.case_id,
        referral_id: referral.details.referral_id,
        family_name: state.details.as_ref().map(|d| d.family_name.clone()).unwrap_or_default(),
        received_on: referral.details.received_on,
        logged_by: referral.received_by.clone(),
        referrer: referral.details.referrer.clone(),
        eligibility: referral.details.eligibility.clone(),
        acknowledged_on: referral.acknowledged_on(),
        days_waiting: (today - referral.details.received_on).num_days().max(0),
        first_contact_due: due,
        overdue: overdue(due, referral.first_contact_on, today),
        triage: referral.triage_state.clone(),
    })
}

/// The decision that put a case on the waiting list: accepted at triage, not discharged, no
/// contact yet.
pub fn accepted_not_seen(state: &CaseState) -> Option<&crate::triage::Triage> {
    let referral = state.record.referral.as_ref()?;
    let TriageState::Decided { decision } = &referral.triage_state else { return None };
    let waiting = decision.details.decision == TriageDecision::Accept && referral.first_contact_on.is_none() && state.record.discharge.is_none();
    waiting.then_some(decision)
}

/// The waiting-list line of a case (see [`accepted_not_seen`]).
pub fn waiting_entry(state: &CaseState, today: NaiveDate) -> Option<WaitingEntry> {
    let decision = accepted_not_seen(state)?;
    let referral = state.record.referral.as_ref()?;
    let due = referral.first_contact_due();
    Some(WaitingEntry {
        case_id: state.case_id,
        family_name: state.details.as_ref().map(|d| d.family_name.clone()).unwrap_or_default(),
        received_on: referral.details.received_on,
        accepted_on: decision.details.on,
        allocated_to: decision.details.allocate_to.clone(),
        days_waiting: (today - referral.details.received_on).num_days().max(0),
        first_contact_due: due,
        overdue: overdue(due, None, today),
    })
}

/// The order of the inbox and the waiting list: overdue first, then the nearest deadline, then the
/// longest waiting; ties by family name.
fn urgency(overdue: bool, due: Option<NaiveDate>, received_on: NaiveDate, family: &str) -> (std::cmp::Reverse<bool>, NaiveDate, NaiveDate, &str) {
    (std::cmp::Reverse(overdue), due.unwrap_or(NaiveDate::MAX), received_on, family)
}

pub fn sort_inbox(entries: &mut [InboxEntry]) {
    entries.sort_by(|a, b| {
        urgency(a.overdue, a.first_contact_due, a.received_on, &a.family_name)
            .cmp(&urgency(b.overdue, b.first_contact_due, b.received_on, &b.family_name))
    });
}

pub fn sort_waiting(entries: &mut [WaitingEntry]) {
    entries.sort_by(|a, b| {
        urgency(a.overdue, a.first_contact_due, a.received_on, &a.family_name)
            .cmp(&urgency(b.overdue, b.first_contact_due, b.received_on, &b.family_name))
    });
}

/// Whether a laptop last synced at `last_sync` (a day) has been silent for more than `limit`
/// working days by `today`: the team's guard against notes stranded on a laptop. A laptop that
/// never synced counts as silent.
pub fn silent(last_sync: Option<NaiveDate>, today: NaiveDate, limit: u32, calendar: &casebook_calendar::WorkingDays) -> bool {
    match last_sync {
        None => true,
        Some(day) => calendar.working_days_between(day, today) > limit as i64,
    }
}

//! Commands for the team's work: the inbox of referrals waiting for triage, the lead's triage
//! decision, the waiting list, and the lead's view of the team. Each is one `casebook-store` call;
//! who may triage is decided by the store (and again by the central store), not here.

use casebook_domain::team::{Roster, TeamView};
use casebook_domain::{InboxEntry, WaitingEntry};
use casebook_store::team::{TriageInput, ALERTS_WITHIN_DAYS, SILENT_AFTER_WORKING_DAYS};
use chrono::NaiveDate;
use tauri::State;

use crate::AppState;

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

#[tauri::command(rename_all = "snake_case")]
pub async fn get_inbox(state: State<'_, AppState>) -> Result<Vec<InboxEntry>, String> {
    state.with_store(|s| s.inbox(today()))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn get_waiting_list(state: State<'_, AppState>) -> Result<Vec<WaitingEntry>, String> {
    state.with_store(|s| s.waiting_list(today()))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn triage_referral(state: State<'_, AppState>, input: TriageInput) -> Result<(), String> {
    state.with_store(|s| s.triage_referral(input).map(|_| ()))
}

/// The lead's view; without numbers, the team's usual limits (2 working days of silence, alerts
/// of the last 14 days).
#[tauri::command(rename_all = "snake_case")]
pub async fn get_team_view(
    state: State<'_, AppState>,
    silent_after: Option<u32>,
    alerts_within_days: Option<u32>,
) -> Result<TeamView, String> {
    let silent_after = silent_after.unwrap_or(SILENT_AFTER_WORKING_DAYS);
    let alerts_within_days = alerts_within_days.unwrap_or(ALERTS_WITHIN_DAYS);
    state.with_store(|s| s.team_view(today(), silent_after, alerts_within_days))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn get_roster(state: State<'_, AppState>) -> Result<Option<Roster>, String> {
    state.with_store(|s| s.roster())
}

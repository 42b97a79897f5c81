//! Commands for the whole case record: referral intake, status moves, people, planned visits,
//! measures, risk, alerts, tasks, discharge and the Today view. Each is a thin translation to one
//! `casebook-store` call; the rules live in the domain and store crates.

use casebook_domain::{
    AlertKind, CaseHeader, CaseState, ConsultationOutcome, DischargeReason, MeasureEntry, ReferralStatus, ServiceProfile,
    TaskKind, Vocabulary,
};
use casebook_measures::{Form, Goal, GoalsScored, MeasureKind, SoFar};
use casebook_store::{
    CaseSummary, CaseView, ConsultationInput, MeasureInput, PersonInput, PlanInput, ReferralCheck, ReferralInput,
    RiskInput, RulesInUse, TodayView,
};
use chrono::NaiveDate;
use serde::Serialize;
use tauri::{AppHandle, State};
use ts_rs::TS;
use uuid::Uuid;

use crate::AppState;

/// A case as its screen shows it: the record, my drafts, and the header worked out for today.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct CasePage {
    #[serde(flatten)]
    pub view: CaseView,
    pub header: CaseHeader,
    /// The crisis route of the service the referral came to, for the risk prompt (`None`: that
    /// service has not set one, or the case has no referral; the prompt says so).
    pub crisis_route: Option<casebook_domain::CrisisRoute>,
    /// The clinicians the case is allocated to, as the central store said at the last sync.
    pub allocated_to: Option<Vec<String>>,
    /// Entries for this case the central store refused, kept here with its reason.
    pub set_aside: Vec<casebook_store::SetAside>,
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

fn crisis_route(profiles: &[ServiceProfile], state: &CaseState) -> Option<casebook_domain::CrisisRoute> {
    let referred_to = state.record.referral.as_ref().map(|r| r.details.profile_id.as_str());
    ServiceProfile::crisis_route_for(profiles, referred_to).cloned()
}

#[tauri::command(rename_all = "snake_case")]
pub async fn get_case_page(state: State<'_, AppState>, case_id: Uuid) -> Result<CasePage, String> {
    state.with_store(|s| {
        let view = s.case(case_id)?;
        let header = CaseHeader::of(&view.state, today());
        let crisis_route = crisis_route(&s.service_profiles(), &view.state);
        let allocated_to = s.allocated_to(case_id)?;
        let set_aside = s.set_aside_entries(Some(case_id))?;
        Ok(CasePage { view, header, crisis_route, allocated_to, set_aside })
    })
}

/// Puts entries the central store refused back in line to be sent (once what stopped them has
/// been put right); they go at the next send.
#[tauri::command(rename_all = "snake_case")]
pub async fn send_again(state: State<'_, AppState>, event_ids: Vec<Uuid>) -> Result<u32, String> {
    state.with_store(|s| s.send_again(&event_ids))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn vocabulary() -> Result<Vocabulary, String> {
    Ok(casebook_domain::vocabulary())
}

#[tauri::command(rename_all = "snake_case")]
pub async fn service_profiles(state: State<'_, AppState>) -> Result<Vec<ServiceProfile>, String> {
    state.with_store(|s| Ok(s.service_profiles()))
}

/// The team's rules files in the data folder (service profiles, gov.uk's bank holidays) that
/// could not be used, one plain sentence each naming the file and what to fix. Casebook carries on
/// with its built-in rules for them, so the window warns. Works while locked too (Settings is open
/// then): it reads only those files, never the records.
#[tauri::command(rename_all = "snake_case")]
pub async fn rules_problems(app: AppHandle, state: State<'_, AppState>) -> Result<Vec<String>, String> {
    // The folder actually open, or the one the next unlock will use.
    let open = state.store().as_ref().map(|s| s.dir().to_path_buf());
    let dir = match open {
        Some(dir) => dir,
        None => crate::settings::data_dir(&app)?,
    };
    Ok(RulesInUse::read(&dir).problems)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn check_referral(state: State<'_, AppState>, input: ReferralInput) -> Result<ReferralCheck, String> {
    state.with_store(|s| s.check_referral(&input))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn receive_referral(state: State<'_, AppState>, input: ReferralInput) -> Result<CaseSummary, String> {
    state.with_store(|s| s.receive_referral(input))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn consultation_without_consent(
    state: State<'_, AppState>,
    input: ReferralInput,
    outcome: ConsultationOutcome,
    advice: Option<String>,
) -> Result<CaseSummary, String> {
    state.with_store(|s| s.consultation_without_consent(input, outcome, advice))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn change_referral_status(
    state: State<'_, AppState>,
    case_id: Uuid,
    status: ReferralStatus,
    on: NaiveDate,
    reason: Option<String>,
) -> Result<(), String> {
    state.with_store(|s| s.change_referral_status(case_id, status, on, reason).map(|_| ()))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn record_supervision(state: State<'_, AppState>, case_id: Uuid, input: casebook_store::SupervisionInput) -> Result<(), String> {
    state.with_store(|s| s.record_supervision(case_id, input).map(|_| ()))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn take_on_referral(state: State<'_, AppState>, case_id: Uuid, on: NaiveDate, reason: String) -> Result<(), String> {
    state.with_store(|s| s.take_on_referral(case_id, on, reason).map(|_| ()))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn record_consultation(state: State<'_, AppState>, case_id: Uuid, input: ConsultationInput) -> Result<(), String> {
    state.with_store(|s| s.record_consultation(case_id, input).map(|_| ()))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn record_person(state: State<'_, AppState>, case_id: Uuid, input: PersonInput) -> Result<(), String> {
    state.with_store(|s| s.record_person(case_id, input).map(|_| ()))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn plan_contact(state: State<'_, AppState>, case_id: Uuid, input: PlanInput) -> Result<(), String> {
    state.with_store(|s| s.plan_contact(case_id, input).map(|_| ()))
}

/// The form for a measure: items, response labels (item text only where it is public domain).
#[tauri::command(rename_all = "snake_case")]
pub async fn measure_form(kind: MeasureKind) -> Result<Form, String> {
    Ok(casebook_measures::form(kind))
}

/// Scores as the clinician answers, before anything is saved. An incomplete form is not an
/// error worth a sentence: it simply has no score yet.
#[tauri::command(rename_all = "snake_case")]
pub async fn score_measure(kind: MeasureKind, answers: Vec<Option<u8>>) -> Result<SoFar, String> {
    // The window always records the answers ticked, in printed order.
    casebook_measures::score_so_far(kind, casebook_measures::Entry::Answers, &answers).map_err(|e| e.to_string())
}

#[tauri::command(rename_all = "snake_case")]
pub async fn check_goals(goals: Vec<Goal>) -> Result<GoalsScored, String> {
    casebook_measures::score_goals(&goals).map_err(|e| e.to_string())
}

#[tauri::command(rename_all = "snake_case")]
pub async fn record_measure(state: State<'_, AppState>, case_id: Uuid, input: MeasureInput) -> Result<MeasureEntry, String> {
    state.with_store(|s| s.record_measure(case_id, input))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn assess_risk(state: State<'_, AppState>, case_id: Uuid, input: RiskInput) -> Result<(), String> {
    state.with_store(|s| s.assess_risk(case_id, input).map(|_| ()))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn raise_alert(state: State<'_, AppState>, case_id: Uuid, kind: AlertKind, text: String) -> Result<(), String> {
    state.with_store(|s| s.raise_alert(case_id, kind, text).map(|_| ()))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn clear_alert(state: State<'_, AppState>, case_id: Uuid, alert_id: Uuid, reason: String) -> Result<(), String> {
    state.with_store(|s| s.clear_alert(case_id, alert_id, reason).map(|_| ()))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn add_task(
    state: State<'_, AppState>,
    case_id: Uuid,
    kind: TaskKind,
    title: String,
    due_on: NaiveDate,
) -> Result<(), String> {
    state.with_store(|s| s.add_task(case_id, kind, title, due_on).map(|_| ()))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn complete_task(state: State<'_, AppState>, case_id: Uuid, task_id: Uuid) -> Result<(), String> {
    state.with_store(|s| s.complete_task(case_id, task_id).map(|_| ()))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn discharge(
    state: State<'_, AppState>,
    case_id: Uuid,
    on: NaiveDate,
    reason: DischargeReason,
    summary: String,
) -> Result<(), String> {
    state.with_store(|s| s.discharge(case_id, on, reason, summary).map(|_| ()))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn today_view(state: State<'_, AppState>) -> Result<TodayView, String> {
    state.with_store(|s| s.today(today()))
}

/// Checks an NHS number as it is typed: the number shown 3-3-4 with any warning (a test or
/// placeholder number), or the sentence saying what is wrong with it.
#[tauri::command(rename_all = "snake_case")]
pub async fn check_nhs_number(text: String) -> Result<casebook_domain::CheckedNhsNumber, String> {
    casebook_domain::NhsNumber::parse(&text).map(|n| n.checked()).map_err(|e| e.to_string())
}

/// What is being typed into a form, kept in the encrypted store so a crash loses none of it.
#[tauri::command(rename_all = "snake_case")]
pub async fn save_form_draft(state: State<'_, AppState>, form: String, body: String) -> Result<(), String> {
    state.with_store(|s| s.save_form_draft(&form, &body).map(|_| ()))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn form_draft(state: State<'_, AppState>, form: String) -> Result<Option<casebook_store::FormDraft>, String> {
    state.with_store(|s| s.form_draft(&form))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn discard_form_draft(state: State<'_, AppState>, form: String) -> Result<(), String> {
    state.with_store(|s| s.discard_form_draft(&form))
}

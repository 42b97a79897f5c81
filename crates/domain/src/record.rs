//! The whole parent-infant case record beyond notes: referral and its status, consultations,
//! the people in the family, planned visits, outcome measures, risk and safeguarding, alerts,
//! tasks and discharge. Each is an event payload here, and [`RecordFold`] folds them into
//! [`CaseRecord`], the part of a case's state a clinician reads in the summary header and panels.
//!
//! Values computed at the moment of entry that depend on configuration (the service profile's
//! eligibility rules, the first-contact deadline from the working-day calendar) are stored in the
//! event as they were shown to the person entering them: every replica then folds to the same
//! record, whatever profile or bank-holiday table it has.

use crate::age::Gestation;
use crate::event::{not_future, optional, required, ValidationError, MAX_NAME_LEN, MAX_NOTE_LEN, MAX_REASON_LEN};
use crate::nhs_number::NhsNumber;
use crate::profile::EligibilityResult;
use crate::vocab::{ConsultationOutcome, ReferralReason, ReferralStatus, ReferrerRole, ThriveGroup};
use casebook_measures::{Change, ChangeDirection, Entry, Goal, GoalChange, GoalsScored, MeasureKind, Scored, TimePoint};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use ts_rs::TS;
use uuid::Uuid;

/// Who referred, or asked for a consultation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Professional {
    pub name: String,
    pub role: ReferrerRole,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// A referral is received and logged (usually by the team's admin or duty clinician).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ReferralReceived {
    pub referral_id: Uuid,
    pub received_on: NaiveDate,
    /// The service profile the referral was checked against (e.g. "wigan-babs").
    pub profile_id: String,
    pub referrer: Professional,
    /// The family agreed to the referral. A referral without consent is refused at entry.
    pub consent_to_refer: bool,
    #[serde(default)]
    pub reasons: Vec<ReferralReason>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_reasons: Option<String>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gp_practice: Option<String>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pregnant: Option<bool>,
    /// Whether the family meets the profile's residence rule.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residence_confirmed: Option<bool>,
    /// The eligibility result as shown at intake.
    pub eligibility: EligibilityResult,
    /// The first-contact deadline as shown at intake (none when the profile sets no target).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_contact_due: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ReferralStatusChanged {
    pub referral_id: Uuid,
    pub status: ReferralStatus,
    pub on: NaiveDate,
    /// Required when declining; useful when signposting (where to).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A professional asked for advice about a family, before or instead of a referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ConsultationRecorded {
    pub consultation_id: Uuid,
    pub on: NaiveDate,
    pub professional: Professional,
    pub question: String,
    pub outcome: ConsultationOutcome,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advice: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PersonRole {
    ParentOrCarer,
    Infant,
    /// Another professional involved with the family (health visitor, social worker, GP…).
    Professional,
}

/// One person in the family, as a whole snapshot: a later record of the same person replaces it,
/// and two made without seeing each other are both kept as a conflict (as with details).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PersonRecorded {
    pub person_id: Uuid,
    pub role: PersonRole,
    pub name: String,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<NaiveDate>,
    #[ts(optional, type = "string")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nhs_number: Option<NhsNumber>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pronouns: Option<String>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default)]
    pub interpreter_needed: bool,
    /// Infants: gestation at birth, for corrected age.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gestation_at_birth: Option<Gestation>,
    /// Professionals: their role, organisation and how to reach them.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub professional: Option<Professional>,
    #[serde(default)]
    pub based_on: Vec<Uuid>,
}

/// A visit or session is booked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ContactPlanned {
    pub contact_id: Uuid,
    /// Local date and time of the appointment.
    pub planned_for: NaiveDateTime,
    pub contact_type: crate::event::ContactType,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// An outcome measure was completed. Only the numbers entered are stored (EPDS and CORE-10 text is
/// copyright), with what they are; totals, bands and flags are computed from them wherever the
/// record is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MeasureRecorded {
    pub measure_id: Uuid,
    pub kind: MeasureKind,
    pub time_point: TimePoint,
    pub administered_on: NaiveDate,
    #[serde(default)]
    pub items: Vec<u8>,
    /// What `items` are: the answers ticked, or item scores copied from a scored form. Absent on
    /// records made before it was recorded, which keep their meaning ([`MeasureRecorded::entry`]).
    /// Left out of the JSON when absent, so those records' content hashes stay as they were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub entered_as: Option<Entry>,
    /// Goal Based Outcomes only: up to three goals with their scores.
    #[serde(default)]
    pub goals: Vec<Goal>,
}

impl MeasureRecorded {
    /// What the numbers are, for this record: as it says, or as they were meant before records
    /// said so.
    pub fn entry(&self) -> Entry {
        self.entered_as.unwrap_or(Entry::before_it_was_recorded(self.kind))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RiskLevel {
    NoneKnown,
    Low,
    Medium,
    High,
}

impl RiskLevel {
    pub fn label(self) -> &'static str {
        match self {
            RiskLevel::NoneKnown => "No known risk",
            RiskLevel::Low => "Low",
            RiskLevel::Medium => "Medium",
            RiskLevel::High => "High",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SafeguardingStatus {
    NoneKnown,
    ChildInNeed,
    ChildProtectionPlan,
    LookedAfter,
}

impl SafeguardingStatus {
    pub fn label(self) -> &'static str {
        match self {
            SafeguardingStatus::NoneKnown => "No safeguarding plan",
            SafeguardingStatus::ChildInNeed => "Child in need",
            SafeguardingStatus::ChildProtectionPlan => "Child protection plan",
            SafeguardingStatus::LookedAfter => "Looked after",
        }
    }
}

/// A structured risk and safeguarding review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RiskAssessed {
    pub assessment_id: Uuid,
    pub on: NaiveDate,
    pub to_self: RiskLevel,
    pub to_infant: RiskLevel,
    pub from_others: RiskLevel,
    pub safeguarding: SafeguardingStatus,
    pub thrive: ThriveGroup,
    pub summary: String,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<String>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum AlertKind {
    /// Do not visit alone, or other lone-worker precautions at this address.
    LoneWorker,
    Safeguarding,
    Other,
}

impl AlertKind {
    pub fn label(self) -> &'static str {
        match self {
            AlertKind::LoneWorker => "Lone-worker risk",
            AlertKind::Safeguarding => "Safeguarding",
            AlertKind::Other => "Alert",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AlertRaised {
    pub alert_id: Uuid,
    pub kind: AlertKind,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AlertCleared {
    pub alert_id: Uuid,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum TaskKind {
    Letter,
    MeasureDue,
    Call,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TaskAdded {
    pub task_id: Uuid,
    pub kind: TaskKind,
    pub title: String,
    pub due_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TaskCompleted {
    pub task_id: Uuid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DischargeReason {
    GoalsMet,
    FamilyChoseToEnd,
    DidNotEngage,
    MovedAway,
    TransferredToAnotherService,
    Other,
}

impl DischargeReason {
    pub fn label(self) -> &'static str {
        match self {
            DischargeReason::GoalsMet => "Goals met",
            DischargeReason::FamilyChoseToEnd => "Family chose to end",
            DischargeReason::DidNotEngage => "Did not engage",
            DischargeReason::MovedAway => "Moved out of area",
            DischargeReason::TransferredToAnotherService => "Transferred to another service",
            DischargeReason::Other => "Other",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CaseDischarged {
    pub on: NaiveDate,
    pub reason: DischargeReason,
    pub summary: String,
}

pub(crate) fn validate_professional(p: &Professional) -> Result<(), ValidationError> {
    required("Name of the professional", &p.name, MAX_NAME_LEN)?;
    optional("Organisation", &p.organisation, MAX_NAME_LEN)?;
    optional("Phone", &p.phone, 30)?;
    if let Some(email) = &p.email {
        required("Email", email, MAX_NAME_LEN)?;
        if !email.contains('@') || email.trim().contains(' ') {
            return Err(ValidationError::Malformed { field: "Email", why: "it should look like name@example.nhs.uk" });
        }
    }
    Ok(())
}

pub(crate) fn validate_referral(r: &ReferralReceived, today: NaiveDate) -> Result<(), ValidationError> {
    not_future("Date received", r.received_on, today)?;
    required("Service", &r.profile_id, MAX_NAME_LEN)?;
    validate_professional(&r.referrer)?;
    if !r.consent_to_refer {
        return Err(ValidationError::Rule {
            why: "a referral needs the family's consent to refer; without it, record a consultation with the professional instead",
        });
    }
    optional("Other reasons", &r.other_reasons, MAX_REASON_LEN)?;
    if r.reasons.is_empty() && r.other_reasons.is_none() {
        return Err(ValidationError::Rule { why: "tick at least one reason for the referral, or describe it under other reasons" });
    }
    optional("GP practice", &r.gp_practice, MAX_NAME_LEN)
}

pub(crate) fn validate_status(s: &ReferralStatusChanged, today: NaiveDate) -> Result<(), ValidationError> {
    not_future("Date", s.on, today)?;
    optional("Reason", &s.reason, MAX_REASON_LEN)?;
    if s.status.requires_reason() && s.reason.is_none() {
        return Err(ValidationError::Empty { field: "Reason for declining" });
    }
    Ok(())
}

pub(crate) fn validate_consultation(c: &ConsultationRecorded, today: NaiveDate) -> Result<(), ValidationError> {
    not_future("Date of the consultation", c.on, today)?;
    validate_professional(&c.professional)?;
    required("Question asked", &c.question, MAX_NOTE_LEN)?;
    optional("Advice given", &c.advice, MAX_NOTE_LEN)
}

pub(crate) fn validate_person(p: &PersonRecorded, today: NaiveDate) -> Result<(), ValidationError> {
    required("Name", &p.name, MAX_NAME_LEN)?;
    if let Some(dob) = p.date_of_birth {
        not_future("Date of birth", dob, today)?;
    }
    optional("Pronouns", &p.pronouns, 50)?;
    optional("Language", &p.language, 100)?;
    if p.gestation_at_birth.is_some() && p.role != PersonRole::Infant {
        return Err(ValidationError::Rule { why: "gestation at birth is recorded for infants only" });
    }
    match (&p.professional, p.role) {
        (Some(details), PersonRole::Professional) => validate_professional(details)?,
        (None, PersonRole::Professional) => {
            return Err(ValidationError::Rule { why: "say the professional's role (and organisation, if known)" })
        }
        (Some(_), _) => return Err(ValidationError::Rule { why: "role and organisation are recorded for professionals only" }),
        (None, _) => {}
    }
    Ok(())
}

pub(crate) fn validate_planned(c: &ContactPlanned) -> Result<(), ValidationError> {
    optional("Location", &c.location, MAX_NAME_LEN)
}

pub(crate) fn validate_measure(m: &MeasureRecorded, today: NaiveDate) -> Result<(), ValidationError> {
    not_future("Date completed", m.administered_on, today)?;
    let result = match m.kind {
        MeasureKind::Gbo => casebook_measures::score_goals(&m.goals).map(|_| ()),
        kind => casebook_measures::score(kind, m.entry(), &m.items).map(|_| ()),
    };
    result.map_err(|e| ValidationError::Measure { message: e.to_string() })
}

pub(crate) fn validate_risk(r: &RiskAssessed, today: NaiveDate) -> Result<(), ValidationError> {
    not_future("Date of the review", r.on, today)?;
    required("Risk summary", &r.summary, MAX_NOTE_LEN)?;
    optional("Actions", &r.actions, MAX_NOTE_LEN)?;
    if let Some(review) = r.review_on {
        if review < r.on {
            return Err(ValidationError::Rule { why: "the next review date is before the date of this review" });
        }
    }
    Ok(())
}

pub(crate) fn validate_task(t: &TaskAdded) -> Result<(), ValidationError> {
    required("Task", &t.title, MAX_NAME_LEN)
}

pub(crate) fn validate_discharge(d: &CaseDischarged, today: NaiveDate) -> Result<(), ValidationError> {
    not_future("Discharge date", d.on, today)?;
    required("Discharge summary", &d.summary, MAX_NOTE_LEN)
}

// ---------------------------------------------------------------------------------------------
// The folded record.

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct StatusStep {
    pub status: ReferralStatus,
    pub on: NaiveDate,
    pub reason: Option<String>,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Referral {
    pub details: ReferralReceived,
    pub received_by: String,
    pub status: ReferralStatus,
    /// Every move, in order, starting with "received".
    pub history: Vec<StatusStep>,
    /// The first contact with the family (a contact that took place), once there is one.
    pub first_contact_on: Option<NaiveDate>,
    /// A person's decision to take on a referral found not eligible (see [`crate::taken_on`]).
    pub taken_on: Option<crate::taken_on::TakenOn>,
    /// The lead's triage decisions, in fold order (see [`crate::triage`]).
    #[serde(default)]
    pub triage: Vec<crate::triage::Triage>,
    /// Where the referral stands with triage, worked out from `triage`.
    pub triage_state: crate::triage::TriageState,
}

impl Referral {
    /// The day the referrer was first told the referral had arrived, if anyone has recorded it.
    pub fn acknowledged_on(&self) -> Option<NaiveDate> {
        self.history.iter().filter(|s| s.status == ReferralStatus::Acknowledged).map(|s| s.on).min()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Consultation {
    pub details: ConsultationRecorded,
    pub recorded_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PersonVersion {
    pub event_id: Uuid,
    pub details: PersonRecorded,
    pub author: String,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PersonState {
    pub person_id: Uuid,
    /// The version shown: the most recently written head.
    pub current: PersonRecorded,
    /// Versions no later record replaced; two or more means a conflict for a person to settle.
    pub versions: Vec<PersonVersion>,
    pub in_conflict: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PlannedContact {
    pub details: ContactPlanned,
    pub planned_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MeasureEntry {
    pub details: MeasureRecorded,
    /// Total, band and risk flags, computed from the items (none for Goal Based Outcomes, which
    /// have no total, and none if the items do not fit the measure — shown, never hidden).
    pub scored: Option<Scored>,
    pub administered_by: String,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RiskReview {
    pub details: RiskAssessed,
    pub by: String,
    pub recorded_at: DateTime<Utc>,
}

impl RiskReview {
    /// The highest of the three risks, for the caseload and the summary header.
    pub fn overall(&self) -> RiskLevel {
        self.details.to_self.max(self.details.to_infant).max(self.details.from_others)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Alert {
    pub alert_id: Uuid,
    pub kind: AlertKind,
    pub text: String,
    pub raised_by: String,
    pub raised_at: DateTime<Utc>,
    /// Set when cleared, with the reason and who cleared it.
    pub cleared: Option<StatusNote>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct StatusNote {
    pub reason: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Task {
    pub details: TaskAdded,
    pub added_by: String,
    pub done: Option<StatusNote>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Discharge {
    pub details: CaseDischarged,
    pub by: String,
}

/// Everything in a case beyond its notes and contacts, folded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CaseRecord {
    pub referral: Option<Referral>,
    pub consultations: Vec<Consultation>,
    pub people: Vec<PersonState>,
    /// Booked visits not yet recorded as having happened (or not).
    pub planned_contacts: Vec<PlannedContact>,
    /// In the order completed.
    pub measures: Vec<MeasureEntry>,
    /// Every review, oldest first; the last is the current one.
    pub risk_reviews: Vec<RiskReview>,
    pub alerts: Vec<Alert>,
    pub tasks: Vec<Task>,
    pub discharge: Option<Discharge>,
    /// Case supervision, in the order recorded.
    #[serde(default)]
    pub supervisions: Vec<crate::supervision::Supervision>,
}

impl CaseRecord {
    pub fn current_risk(&self) -> Option<&RiskReview> {
        self.risk_reviews.last()
    }

    pub fn active_alerts(&self) -> impl Iterator<Item = &Alert> {
        self.alerts.iter().filter(|a| a.cleared.is_none())
    }

    /// The outcome change from baseline of each measure used on the case, in the order
    /// [`MeasureKind::ALL`] lists them; see [`OutcomeChange`] for which entries are compared. A
    /// measure scored only once (or never) has no change to show and is left out.
    pub fn outcome_changes(&self) -> Vec<OutcomeChange> {
        MeasureKind::ALL.into_iter().filter_map(|kind| outcome_change(&self.measures, kind)).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Outcome change from baseline.

/// How one measure moved between the family's baseline and the end of the work, for the
/// discharge form, the discharged case, the chronology and the command line.
///
/// The baseline is the entry recorded at the Baseline time point (the earliest by date if there
/// are several), or the earliest entry when none was. The end point is the Discharge entry after
/// it if there is one, else the latest entry after it, so a family discharged without a final
/// measure is compared with their latest review. Entries are ordered by the day they were
/// completed (then when they were recorded), never by the order they arrived in. Entries whose
/// scores do not fit the measure are not compared.
///
/// Questionnaires are compared with [`casebook_measures::change`]: totals, bands and whether the
/// change is reliable. Goal Based Outcomes are compared goal by goal with
/// [`casebook_measures::goal_change`]: a goal is matched by its description, or by its position
/// when the same number of goals was scored and the wording changed; a goal first set after the
/// baseline is compared from the first time it was scored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct OutcomeChange {
    pub kind: MeasureKind,
    pub baseline_id: Uuid,
    pub baseline_on: NaiveDate,
    pub baseline_point: TimePoint,
    pub end_id: Uuid,
    pub end_on: NaiveDate,
    pub end_point: TimePoint,
    /// Questionnaires: totals, bands and reliable change. None for Goal Based Outcomes.
    pub change: Option<Change>,
    /// Goal Based Outcomes: each goal scored at the end point that has an earlier score.
    pub goals: Vec<GoalChange>,
    /// In plain words, one line for a questionnaire and one per goal:
    /// "EPDS: 11 → 4 (reliable improvement; was Possible depression, now Below the usual threshold)".
    pub lines: Vec<String>,
    /// Which two entries were compared: "from baseline on 20 November 2026 to discharge on 2 March 2027".
    pub between: String,
}

impl OutcomeChange {
    /// Each line with the two entries compared, for a document or a terminal where there is no
    /// room for a second line: "EPDS: 11 → 4 (…), from baseline on 20 November 2026 to discharge
    /// on 2 March 2027".
    pub fn dated_lines(&self) -> impl Iterator<Item = String> + '_ {
        self.lines.iter().map(|l| format!("{l}, {}", self.between))
    }
}

/// Ordered by the day completed, then by when it was written (and the id, so always the same).
fn measure_key(m: &MeasureEntry) -> (NaiveDate, DateTime<Utc>, Uuid) {
    (m.details.administered_on, m.recorded_at, m.details.measure_id)
}

fn long_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// "reliable improvement", "no reliable change"…: what a change means, in a clinician's words.
fn reliability_words(reliable: ChangeDirection, difference: i16) -> &'static str {
    match (reliable, difference) {
        (ChangeDirection::Better, _) => "reliable improvement",
        (ChangeDirection::Worse, _) => "reliable deterioration",
        (ChangeDirection::Same, 0) => "no change",
        (ChangeDirection::Same, _) => "no reliable change",
    }
}

fn outcome_change(measures: &[MeasureEntry], kind: MeasureKind) -> Option<OutcomeChange> {
    let usable: Vec<&MeasureEntry> = measures
        .iter()
        .filter(|m| m.details.kind == kind)
        .filter(|m| match kind {
            MeasureKind::Gbo => casebook_measures::score_goals(&m.details.goals).is_ok(),
            _ => m.scored.is_some(),
        })
        .collect();
    let baseline = usable
        .iter()
        .filter(|m| m.details.time_point == TimePoint::Baseline)
        .min_by_key(|m| measure_key(m))
        .or_else(|| usable.iter().min_by_key(|m| measure_key(m)))?;
    let mut after: Vec<&MeasureEntry> = usable.iter().copied().filter(|m| measure_key(m) > measure_key(baseline)).collect();
    after.sort_by_key(|m| measure_key(m));
    let end = after
        .iter()
        .filter(|m| m.details.time_point == TimePoint::Discharge)
        .max_by_key(|m| measure_key(m))
        .or_else(|| after.last())?;

    let (change, goals, lines) = match kind {
        MeasureKind::Gbo => {
            let between: Vec<&MeasureEntry> = after.iter().copied().filter(|m| measure_key(m) < measure_key(end)).collect();
            let goals = gbo_changes(baseline, &between, end);
            if goals.is_empty() {
                return None;
            }
            let lines = goals.iter().map(|(g, since)| goal_line(g, *since)).collect();
            (None, goals.into_iter().map(|(g, _)| g).collect(), lines)
        }
        _ => {
            let c = casebook_measures::change(kind, baseline.scored.as_ref()?, end.scored.as_ref()?).ok()?;
            let bands = if c.earlier_band == c.later_band {
                format!("still {}", c.later_band.label)
            } else {
                format!("was {}, now {}", c.earlier_band.label, c.later_band.label)
            };
            let line = format!(
                "{}: {} → {} ({}; {bands})",
                kind.label(),
                c.earlier_total,
                c.later_total,
                reliability_words(c.reliable, c.difference)
            );
            (Some(c), Vec::new(), vec![line])
        }
    };
    let first = if baseline.details.time_point == TimePoint::Baseline {
        "baseline".to_string()
    } else {
        format!("the first score ({})", baseline.details.time_point.label().to_lowercase())
    };
    Some(OutcomeChange {
        kind,
        baseline_id: baseline.details.measure_id,
        baseline_on: baseline.details.administered_on,
        baseline_point: baseline.details.time_point,
        end_id: end.details.measure_id,
        end_on: end.details.administered_on,
        end_point: end.details.time_point,
        change,
        goals,
        lines,
        between: format!(
            "from {first} on {} to {} on {}",
            long_date(baseline.details.administered_on),
            end.details.time_point.label().to_lowercase(),
            long_date(end.details.administered_on)
        ),
    })
}

/// Two goal descriptions name the same goal when they read the same, ignoring case and spacing.
fn same_goal(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    norm(a) == norm(b)
}

/// Each goal at the end point paired with its baseline score, with the entry it was first scored
/// in when that is not the baseline (a goal set at a review). Goals with no earlier score are left out.
fn gbo_changes<'a>(
    baseline: &'a MeasureEntry,
    between: &[&'a MeasureEntry],
    end: &MeasureEntry,
) -> Vec<(GoalChange, Option<&'a MeasureEntry>)> {
    let before = &baseline.details.goals;
    let later = &end.details.goals;
    let mut pairs: Vec<(usize, Goal, Goal, Option<&MeasureEntry>)> = Vec::new();
    for (i, goal) in later.iter().enumerate() {
        let by_description = before.iter().find(|b| same_goal(&b.description, &goal.description));
        // Reworded at review: the same number of goals, and the one in this place is not the
        // same wording as another goal now.
        let by_position = (before.len() == later.len())
            .then(|| &before[i])
            .filter(|b| !later.iter().any(|l| same_goal(&l.description, &b.description)));
        if let Some(b) = by_description.or(by_position) {
            pairs.push((i, b.clone(), goal.clone(), None));
        } else if let Some((m, b)) = between
            .iter()
            .find_map(|m| m.details.goals.iter().find(|b| same_goal(&b.description, &goal.description)).map(|b| (*m, b)))
        {
            pairs.push((i, b.clone(), goal.clone(), Some(m)));
        }
    }
    if pairs.is_empty() {
        return Vec::new();
    }
    let earlier = GoalsScored { goals: pairs.iter().map(|p| p.1.clone()).collect() };
    let now = GoalsScored { goals: pairs.iter().map(|p| p.2.clone()).collect() };
    let Ok(changes) = casebook_measures::goal_change(&earlier, &now) else { return Vec::new() };
    changes
        .into_iter()
        .zip(pairs)
        .map(|(c, (i, _, _, since))| (GoalChange { goal: i as u8 + 1, ..c }, since))
        .collect()
}

fn goal_line(g: &GoalChange, since: Option<&MeasureEntry>) -> String {
    let mut words = reliability_words(g.reliable, g.difference.into()).to_string();
    if let Some(m) = since {
        words.push_str(&format!(
            "; first scored at {} on {}",
            m.details.time_point.label().to_lowercase(),
            long_date(m.details.administered_on)
        ));
    }
    format!("GBO goal {} “{}”: {} → {} out of 10 ({words})", g.goal, g.description, g.earlier_score, g.later_score)
}

/// What the fold needs to know about an event, without the envelope type.
pub(crate) struct Written<'a> {
    pub id: Uuid,
    pub author: &'a str,
    pub recorded_at: DateTime<Utc>,
}

/// Builds a [`CaseRecord`] from events in fold order. Returns, for each event, the day it belongs
/// to in the chronology (or `Err(why)` when it cannot be placed).
#[derive(Default)]
pub(crate) struct RecordFold {
    record: CaseRecord,
    people: BTreeMap<Uuid, Vec<PersonVersion>>,
    replaced: HashSet<Uuid>,
    ids: HashSet<Uuid>,
    /// The referral's status before a triage decision first closed it, to go back to while
    /// decisions conflict (or a consultation replaces the decision): a conflict decides nothing.
    status_before_triage: Option<ReferralStatus>,
}

impl RecordFold {
    fn once(&mut self, id: Uuid, what: &str) -> Result<(), String> {
        if self.ids.insert(id) {
            Ok(())
        } else {
            Err(format!("{what} with this reference was already recorded"))
        }
    }

    pub fn referral(&mut self, w: &Written, r: &ReferralReceived) -> Result<NaiveDate, String> {
        if self.record.referral.is_some() {
            return Err("the case already has a referral; a second one is kept here, not applied".into());
        }
        self.once(r.referral_id, "a referral")?;
        self.record.referral = Some(Referral {
            details: r.clone(),
            received_by: w.author.to_string(),
            status: ReferralStatus::Received,
            history: vec![StatusStep { status: ReferralStatus::Received, on: r.received_on, reason: None, by: w.author.to_string() }],
            first_contact_on: None,
            taken_on: None,
            triage: Vec::new(),
            triage_state: crate::triage::TriageState::Awaiting,
        });
        Ok(r.received_on)
    }

    /// Status moves are applied in fold order. A move that the rules do not allow from the status
    /// reached (two people moving the same referral at once, say) is still kept in the history,
    /// marked by not changing the status, so nobody's entry disappears.
    pub fn status(&mut self, w: &Written, s: &ReferralStatusChanged) -> Result<NaiveDate, String> {
        let Some(referral) = self.record.referral.as_mut().filter(|r| r.details.referral_id == s.referral_id) else {
            return Err("a status change for a referral this laptop does not hold".into());
        };
        if crate::vocab::can_move(referral.status, s.status) {
            referral.status = s.status;
        }
        referral.history.push(StatusStep { status: s.status, on: s.on, reason: s.reason.clone(), by: w.author.to_string() });
        Ok(s.on)
    }

    /// The first decision to take the referral on stands; a second (two people deciding at once)
    /// is kept in the chronology, not applied, so the deadline does not move under anyone.
    pub fn taken_on(&mut self, w: &Written, t: &crate::taken_on::ReferralTakenOn) -> Result<NaiveDate, String> {
        let Some(referral) = self.record.referral.as_mut().filter(|r| r.details.referral_id == t.referral_id) else {
            return Err("a decision about a referral this laptop does not hold".into());
        };
        if referral.taken_on.is_some() {
            return Err("the referral was already taken on; this second decision is kept here, not applied".into());
        }
        referral.taken_on = Some(crate::taken_on::TakenOn { details: t.clone(), by: w.author.to_string() });
        Ok(t.on)
    }

    /// A triage decision. Every decision is kept; the ones that stand decide the state. A single
    /// standing decision closes the referral with its status (a consultation leaves the status
    /// as it is); a conflict changes no status until a person settles it.
    pub fn triaged(&mut self, w: &Written, t: &crate::triage::ReferralTriaged) -> Result<NaiveDate, String> {
        self.once(t.triage_id, "a triage decision")?;
        let Some(referral) = self.record.referral.as_mut().filter(|r| r.details.referral_id == t.referral_id) else {
            return Err("a triage decision about a referral this laptop does not hold".into());
        };
        referral.triage.push(crate::triage::Triage { details: t.clone(), by: w.author.to_string(), recorded_at: w.recorded_at });
        referral.triage_state = crate::triage::state(&referral.triage);
        let decided = match &referral.triage_state {
            crate::triage::TriageState::Decided { decision } => decision.details.decision.status().map(|s| (s, decision.details.triage_id)),
            _ => None,
        };
        match decided {
            Some((status, decided_by)) => {
                self.status_before_triage.get_or_insert(referral.status);
                referral.status = status;
                if decided_by == t.triage_id {
                    referral.history.push(StatusStep { status, on: t.on, reason: t.reason.clone(), by: w.author.to_string() });
                }
            }
            None => {
                if let Some(before) = self.status_before_triage {
                    referral.status = before;
                }
            }
        }
        Ok(t.on)
    }

    pub fn consultation(&mut self, w: &Written, c: &ConsultationRecorded) -> Result<NaiveDate, String> {
        self.once(c.consultation_id, "a consultation")?;
        self.record.consultations.push(Consultation { details: c.clone(), recorded_by: w.author.to_string() });
        Ok(c.on)
    }

    pub fn person(&mut self, w: &Written, p: &PersonRecorded) -> NaiveDate {
        self.replaced.extend(p.based_on.iter().copied());
        self.people.entry(p.person_id).or_default().push(PersonVersion {
            event_id: w.id,
            details: p.clone(),
            author: w.author.to_string(),
            recorded_at: w.recorded_at,
        });
        w.recorded_at.date_naive()
    }

    pub fn planned(&mut self, w: &Written, c: &ContactPlanned) -> Result<NaiveDate, String> {
        self.once(c.contact_id, "a planned contact")?;
        self.record.planned_contacts.push(PlannedContact { details: c.clone(), planned_by: w.author.to_string() });
        Ok(w.recorded_at.date_naive())
    }

    /// A contact took place (or did not): it is no longer only planned, and the first that took
    /// place is the referral's first contact.
    pub fn contact_recorded(&mut self, contact_id: Uuid, date: NaiveDate, attended: bool) {
        self.record.planned_contacts.retain(|p| p.details.contact_id != contact_id);
        if attended {
            if let Some(r) = self.record.referral.as_mut() {
                r.first_contact_on = Some(r.first_contact_on.map_or(date, |d| d.min(date)));
            }
        }
    }

    pub fn measure(&mut self, w: &Written, m: &MeasureRecorded) -> Result<NaiveDate, String> {
        self.once(m.measure_id, "a measure")?;
        let scored = match m.kind {
            MeasureKind::Gbo => None,
            kind => casebook_measures::score(kind, m.entry(), &m.items).ok(),
        };
        self.record.measures.push(MeasureEntry {
            details: m.clone(),
            scored,
            administered_by: w.author.to_string(),
            recorded_at: w.recorded_at,
        });
        Ok(m.administered_on)
    }

    pub fn risk(&mut self, w: &Written, r: &RiskAssessed) -> Result<NaiveDate, String> {
        self.once(r.assessment_id, "a risk review")?;
        self.record.risk_reviews.push(RiskReview { details: r.clone(), by: w.author.to_string(), recorded_at: w.recorded_at });
        Ok(r.on)
    }

    pub fn alert(&mut self, w: &Written, a: &AlertRaised) -> Result<NaiveDate, String> {
        self.once(a.alert_id, "an alert")?;
        self.record.alerts.push(Alert {
            alert_id: a.alert_id,
            kind: a.kind,
            text: a.text.clone(),
            raised_by: w.author.to_string(),
            raised_at: w.recorded_at,
            cleared: None,
        });
        Ok(w.recorded_at.date_naive())
    }

    pub fn alert_cleared(&mut self, w: &Written, a: &AlertCleared) -> Result<NaiveDate, String> {
        let Some(alert) = self.record.alerts.iter_mut().find(|x| x.alert_id == a.alert_id) else {
            return Err("clears an alert this laptop does not have yet".into());
        };
        if alert.cleared.is_none() {
            alert.cleared = Some(StatusNote { reason: a.reason.clone(), by: w.author.to_string(), at: w.recorded_at });
        }
        Ok(w.recorded_at.date_naive())
    }

    pub fn task(&mut self, w: &Written, t: &TaskAdded) -> Result<NaiveDate, String> {
        self.once(t.task_id, "a task")?;
        self.record.tasks.push(Task { details: t.clone(), added_by: w.author.to_string(), done: None });
        Ok(w.recorded_at.date_naive())
    }

    /// A supervision, and the tasks its agreed actions become (added by the supervisor).
    pub fn supervision(&mut self, w: &Written, s: &crate::supervision::SupervisionRecorded) -> Result<NaiveDate, String> {
        self.once(s.supervision_id, "a supervision")?;
        for task in s.tasks() {
            if self.ids.insert(task.task_id) {
                self.record.tasks.push(Task { details: task, added_by: w.author.to_string(), done: None });
            }
        }
        self.record.supervisions.push(crate::supervision::Supervision { details: s.clone(), by: w.author.to_string() });
        Ok(s.on)
    }

    pub fn task_done(&mut self, w: &Written, t: &TaskCompleted) -> Result<NaiveDate, String> {
        let Some(task) = self.record.tasks.iter_mut().find(|x| x.details.task_id == t.task_id) else {
            return Err("completes a task this laptop does not have yet".into());
        };
        if task.done.is_none() {
            task.done = Some(StatusNote { reason: String::new(), by: w.author.to_string(), at: w.recorded_at });
        }
        Ok(w.recorded_at.date_naive())
    }

    pub fn discharge(&mut self, w: &Written, d: &CaseDischarged) -> Result<NaiveDate, String> {
        if self.record.discharge.is_some() {
            return Err("the case was already discharged; this discharge is kept here, not applied".into());
        }
        self.record.discharge = Some(Discharge { details: d.clone(), by: w.author.to_string() });
        Ok(d.on)
    }

    pub fn finish(mut self) -> CaseRecord {
        for (person_id, all) in self.people {
            let heads: Vec<PersonVersion> = all.into_iter().filter(|v| !self.replaced.contains(&v.event_id)).collect();
            let Some(latest) = heads.last() else { continue };
            // Versions that say the same thing are not a conflict, whoever wrote them.
            let content = |v: &PersonVersion| PersonRecorded { based_on: Vec::new(), ..v.details.clone() };
            let in_conflict = heads.iter().any(|v| content(v) != content(latest));
            self.record.people.push(PersonState {
                person_id,
                current: latest.details.clone(),
                in_conflict,
                versions: heads,
            });
        }
        self.record
    }
}

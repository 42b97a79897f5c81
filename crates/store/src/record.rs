//! The whole case record from the laptop: referrals and where they have got to, consultations,
//! the people in the family, planned visits, outcome measures, risk, alerts, tasks and discharge;
//! the service profiles and working days a referral is checked against; the caseload's at-a-glance
//! columns and filter; and the Today view.
//!
//! Each write is one transaction through [`Store`]'s writer, like notes and contacts: the input is
//! checked (by the domain's rules, plus the few that need the case's current state, such as "a case
//! is discharged once"), appended to the log, queued for sending and projected. A refused write
//! leaves nothing behind: no event, no outbox row, no sequence number used.
//!
//! ## What Today shows as due
//!
//! [`Store::today`] lists, for every case on this laptop, items due on or before seven days after
//! the day asked for, and not done yet:
//!
//! - **First contact**: the referral's first-contact deadline (worked out at intake from the
//!   service profile and working days), while no contact with the family has taken place (a contact
//!   recorded as attended), the referral is not declined or signposted, and the case is not
//!   discharged.
//! - **Risk review**: the next review date of the current (latest) risk review, until a newer
//!   review is recorded or the case is discharged.
//! - **Tasks**: every task not marked done, discharged case or not (a discharge letter is a task).
//! - **Measure at review**: for each measure kind, when the latest baseline of that kind is at least
//!   12 weeks old on the day asked for, and no review or discharge measure of that kind has been
//!   completed on or after the baseline's date, and the case is not discharged. It is due 12 weeks
//!   after the baseline, so it appears from that day (not a week ahead, unlike the rest).
//!
//! An item is overdue when its due date is before the day asked for.

use crate::error::{Result, StoreError};
use crate::{CaseSummary, Store};
use casebook_calendar::WorkingDays;
use casebook_domain::{
    check_eligibility, check_move, AlertCleared, AlertKind, AlertRaised, AttendanceOutcome, CaseDischarged, CaseOpened,
    CaseRecord, CaseState, ConsultationOutcome, ConsultationRecorded, ContactPlanned, ContactType, CrisisRoute,
    DetailField, DischargeReason, EligibilityResult, EventBody, Gestation, Infant, MeasureEntry, MeasureRecorded,
    NhsNumber, Person, PersonRecorded, PersonRole, Professional, ReferralFacts, ReferralReason, ReferralReceived,
    ReferralStatus, ReferralStatusChanged, ReferralTakenOn, RiskAssessed, SupervisionRecorded, AgreedAction, RiskLevel, SafeguardingStatus, ServiceProfile, TaskAdded,
    TaskCompleted, TaskKind, ThriveGroup,
};
use casebook_measures::{Entry, Goal, MeasureKind, TimePoint};
use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, Utc};
use rusqlite::params;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;
use uuid::Uuid;

/// Where a team keeps its own service profiles, inside the data directory.
pub const SERVICE_PROFILES_DIR: &str = "service-profiles";
/// gov.uk's bank-holidays.json, inside the data directory, overrides the shipped calendar.
pub const BANK_HOLIDAYS_FILE: &str = "bank-holidays.json";
/// How long after a baseline a measure is due again at review.
pub const MEASURE_REVIEW_AFTER_DAYS: u64 = 12 * 7;
/// How far ahead Today looks for things coming due.
pub const DUE_WITHIN_DAYS: u64 = 7;

/// A referral as typed on the intake form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub struct ReferralInput {
    pub family_name: String,
    #[ts(optional)]
    #[serde(default)]
    pub parent_name: Option<String>,
    /// Estimated due date, when the parent is pregnant (implies "pregnant" for eligibility when
    /// `pregnant` is not given).
    #[ts(optional)]
    #[serde(default)]
    pub due_date: Option<NaiveDate>,
    #[ts(optional)]
    #[serde(default)]
    pub infant_name: Option<String>,
    #[ts(optional)]
    #[serde(default)]
    pub infant_dob: Option<NaiveDate>,
    pub received_on: NaiveDate,
    /// A service profile id: "wigan-babs", "sefton-babs", or a team's own.
    pub profile_id: String,
    pub referrer: Professional,
    pub consent_to_refer: bool,
    #[serde(default)]
    pub reasons: Vec<ReferralReason>,
    #[ts(optional)]
    #[serde(default)]
    pub other_reasons: Option<String>,
    #[ts(optional)]
    #[serde(default)]
    pub gp_practice: Option<String>,
    #[ts(optional)]
    #[serde(default)]
    pub pregnant: Option<bool>,
    #[ts(optional)]
    #[serde(default)]
    pub residence_confirmed: Option<bool>,
}

/// What intake sees as the referral is typed: eligibility, the first-contact deadline and the
/// crisis route of the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub struct ReferralCheck {
    pub profile_name: String,
    pub eligibility: EligibilityResult,
    /// `None` when the service sets no first-contact target.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_contact_due: Option<NaiveDate>,
    /// `None` when the team has not configured one (show it as "not configured").
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crisis_route: Option<CrisisRoute>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub struct ConsultationInput {
    pub on: NaiveDate,
    pub professional: Professional,
    pub question: String,
    pub outcome: ConsultationOutcome,
    #[ts(optional)]
    #[serde(default)]
    pub advice: Option<String>,
}

/// A person in the family, new or changed (the whole snapshot, as the form shows it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub struct PersonInput {
    /// `None` records a new person; otherwise the person being changed.
    #[ts(optional)]
    #[serde(default)]
    pub person_id: Option<Uuid>,
    pub role: PersonRole,
    pub name: String,
    #[ts(optional)]
    #[serde(default)]
    pub date_of_birth: Option<NaiveDate>,
    /// As typed ("943 476 5919"); checked with the Modulus 11 check digit.
    #[ts(optional)]
    #[serde(default)]
    pub nhs_number: Option<String>,
    #[ts(optional)]
    #[serde(default)]
    pub pronouns: Option<String>,
    #[ts(optional)]
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub interpreter_needed: bool,
    /// Infants: completed weeks of gestation at birth (32 in 32+4).
    #[ts(optional)]
    #[serde(default)]
    pub gestation_weeks: Option<u32>,
    /// Infants: the days part (4 in 32+4); 0 when only weeks are given.
    #[ts(optional)]
    #[serde(default)]
    pub gestation_days: Option<u32>,
    /// Professionals involved: their role and organisation (required for that role).
    #[ts(optional)]
    #[serde(default)]
    pub professional: Option<casebook_domain::Professional>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub struct PlanInput {
    /// Local date and time of the appointment.
    pub planned_for: NaiveDateTime,
    pub contact_type: ContactType,
    #[ts(optional)]
    #[serde(default)]
    pub location: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub struct MeasureInput {
    pub kind: MeasureKind,
    pub time_point: TimePoint,
    pub administered_on: NaiveDate,
    /// The numbers entered, in form order (questionnaires only).
    #[serde(default)]
    pub items: Vec<u8>,
    /// What `items` are: the answers ticked (the window always) or item scores copied from a
    /// scored form. Required for a questionnaire, so no entry path leaves it to be guessed.
    #[serde(default)]
    #[ts(optional)]
    pub entered_as: Option<Entry>,
    /// Goal Based Outcomes only: up to three goals with their scores.
    #[serde(default)]
    pub goals: Vec<Goal>,
}

/// Case supervision as the lead types it; each agreed action becomes a task on the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub struct SupervisionInput {
    pub on: NaiveDate,
    #[serde(default)]
    pub with: Vec<String>,
    pub discussion: String,
    #[serde(default)]
    pub actions: Vec<AgreedActionInput>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub struct AgreedActionInput {
    pub title: String,
    pub due_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub struct RiskInput {
    pub on: NaiveDate,
    pub to_self: RiskLevel,
    pub to_infant: RiskLevel,
    pub from_others: RiskLevel,
    pub safeguarding: SafeguardingStatus,
    pub thrive: ThriveGroup,
    pub summary: String,
    #[ts(optional)]
    #[serde(default)]
    pub actions: Option<String>,
    #[ts(optional)]
    #[serde(default)]
    pub review_on: Option<NaiveDate>,
}

/// A clinician's day: visits, what is coming due, and unsigned drafts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub struct TodayView {
    pub on: NaiveDate,
    /// Visits planned that day, in time order.
    pub visits: Vec<TodayVisit>,
    /// Due within a week (or overdue), soonest first.
    pub due: Vec<DueItem>,
    /// This clinician's unsigned drafts, most recently saved first.
    pub drafts: Vec<TodayDraft>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub struct TodayVisit {
    pub case_id: Uuid,
    pub family_name: String,
    pub contact_id: Uuid,
    pub planned_for: NaiveDateTime,
    pub contact_type: ContactType,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The case's address detail.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Active alert texts, lone-worker alerts first.
    pub alerts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub struct DueItem {
    pub case_id: Uuid,
    pub family_name: String,
    /// "First contact (Wigan BABS target)", "Risk review", a task's title, "EPDS review (baseline
    /// 3 months ago)".
    pub what: String,
    pub due_on: NaiveDate,
    pub overdue: bool,
    /// A risk answered on a questionnaire that no risk review has followed: listed first, with
    /// the crisis route of the family's service (none when it has not set one, and Today says so).
    #[serde(default)]
    pub risk: bool,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crisis_route: Option<CrisisRoute>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub struct TodayDraft {
    pub case_id: Uuid,
    pub family_name: String,
    pub note_id: Uuid,
    pub occurred_on: NaiveDate,
    pub updated_at: DateTime<Utc>,
    /// The first line of text typed, shortened.
    pub first_line: String,
}

/// Narrows the caseload. Every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub struct CaseFilter {
    /// The status as shown ("Accepted", "Discharged"…), any capitalisation.
    #[ts(optional)]
    #[serde(default)]
    pub status: Option<String>,
    /// The current risk review's overall level is this or higher (cases never reviewed do not match).
    #[ts(optional)]
    #[serde(default)]
    pub risk_at_least: Option<RiskLevel>,
    /// The first-contact deadline is within this many days of today, or already passed.
    #[ts(optional)]
    #[serde(default)]
    pub deadline_within_days: Option<i64>,
    /// No contact has taken place for at least this many days (counted from the case's opening
    /// when there has been none).
    #[ts(optional)]
    #[serde(default)]
    pub no_contact_for_days: Option<i64>,
    /// Only cases where a risk answered on a questionnaire is waiting for a risk review.
    #[ts(optional)]
    #[serde(default)]
    pub risk_to_review: Option<bool>,
}

impl CaseFilter {
    pub fn matches(&self, c: &CaseSummary, today: NaiveDate) -> bool {
        if let Some(status) = &self.status {
            if !status.trim().eq_ignore_ascii_case(&c.status) {
                return false;
            }
        }
        if let Some(level) = self.risk_at_least {
            if c.risk.is_none_or(|r| r < level) {
                return false;
            }
        }
        if let Some(days) = self.deadline_within_days {
            match c.first_contact_due {
                Some(due) if (due - today).num_days() <= days => {}
                _ => return false,
            }
        }
        if let Some(wanted) = self.risk_to_review {
            if c.risk_to_review_since.is_some() != wanted {
                return false;
            }
        }
        if let Some(days) = self.no_contact_for_days {
            let since = c.last_contact_on.or_else(|| c.opened_at.map(|t| t.date_naive()));
            if since.is_some_and(|d| (today - d).num_days() < days) {
                return false;
            }
        }
        true
    }
}

// ---------------------------------------------------------------------------------------------
// What the projection keeps for the caseload and Today, worked out from a case's state alone (so a
// rebuild from the log gives the same rows).

/// The caseload's at-a-glance columns.
pub(crate) struct SummaryColumns {
    pub status: &'static str,
    pub risk: Option<RiskLevel>,
    pub first_contact_due: Option<NaiveDate>,
    pub last_contact_on: Option<NaiveDate>,
    pub next_visit_at: Option<NaiveDateTime>,
    pub active_alerts: u32,
    pub risk_to_review_since: Option<NaiveDate>,
}

/// The status in plain words: the referral's status, "Open" with no referral, "Discharged" once
/// discharged.
pub fn status_words(record: &CaseRecord) -> &'static str {
    if record.discharge.is_some() {
        return "Discharged";
    }
    match record.referral.as_ref().map(|r| r.status) {
        None => "Open",
        Some(ReferralStatus::Received) => "Referral received",
        Some(status) => status.label(),
    }
}

/// The first-contact deadline, while it still matters: no contact has taken place, the referral
/// is neither declined nor signposted, and the case is not discharged.
fn pending_first_contact(record: &CaseRecord) -> Option<NaiveDate> {
    let referral = record.referral.as_ref()?;
    let closed = matches!(referral.status, ReferralStatus::Declined | ReferralStatus::Signposted);
    if closed || record.discharge.is_some() || referral.first_contact_on.is_some() {
        return None;
    }
    referral.first_contact_due()
}

pub(crate) fn summary_columns(state: &CaseState) -> SummaryColumns {
    let record = &state.record;
    SummaryColumns {
        status: status_words(record),
        risk: record.current_risk().map(|r| r.overall()),
        first_contact_due: pending_first_contact(record),
        last_contact_on: state.contacts.iter().filter(|c| c.outcome == AttendanceOutcome::Attended).map(|c| c.date).max(),
        next_visit_at: record.planned_contacts.iter().map(|p| p.details.planned_for).min(),
        active_alerts: record.active_alerts().count() as u32,
        risk_to_review_since: record.risk_to_review().map(|r| r.since),
    }
}

/// One row of the `due_items` projection: what is due, before today's wording is applied.
pub(crate) struct DueRow {
    /// Unique within the case: "first_contact", "risk_to_review", "risk_review", "task:<id>",
    /// "measure:<kind>".
    pub item: String,
    /// "first_contact", "risk_to_review", "risk_review", "task" or "measure_review".
    pub kind: &'static str,
    /// The profile id (first contact), the task's title, the measure's machine name.
    pub what: String,
    pub due_on: NaiveDate,
    /// The baseline's date, for a measure at review.
    pub since: Option<NaiveDate>,
}

pub(crate) fn due_rows(state: &CaseState) -> Vec<DueRow> {
    let record = &state.record;
    let mut rows = Vec::new();
    let open = record.discharge.is_none();
    if let (Some(due_on), Some(referral)) = (pending_first_contact(record), record.referral.as_ref()) {
        rows.push(DueRow {
            item: "first_contact".into(),
            kind: "first_contact",
            what: referral.details.profile_id.clone(),
            due_on,
            since: None,
        });
    }
    // Due from the day the answer was given, discharged or not: see `CaseRecord::risk_to_review`.
    if let Some(flag) = record.risk_to_review() {
        rows.push(DueRow {
            item: "risk_to_review".into(),
            kind: "risk_to_review",
            what: flag.summary(),
            due_on: flag.since,
            since: None,
        });
    }
    if let Some(review_on) = record.current_risk().and_then(|r| r.details.review_on).filter(|_| open) {
        rows.push(DueRow { item: "risk_review".into(), kind: "risk_review", what: String::new(), due_on: review_on, since: None });
    }
    for t in record.tasks.iter().filter(|t| t.done.is_none()) {
        rows.push(DueRow {
            item: format!("task:{}", t.details.task_id),
            kind: "task",
            what: t.details.title.clone(),
            due_on: t.details.due_on,
            since: None,
        });
    }
    if open {
        let mut baselines: BTreeMap<MeasureKind, NaiveDate> = BTreeMap::new();
        for m in record.measures.iter().filter(|m| m.details.time_point == TimePoint::Baseline) {
            let latest = baselines.entry(m.details.kind).or_insert(m.details.administered_on);
            *latest = (*latest).max(m.details.administered_on);
        }
        for (kind, baseline) in baselines {
            let followed_up = record.measures.iter().any(|m| {
                m.details.kind == kind && m.details.time_point != TimePoint::Baseline && m.details.administered_on >= baseline
            });
            if !followed_up {
                rows.push(DueRow {
                    item: format!("measure:{}", kind.name()),
                    kind: "measure_review",
                    what: kind.name().to_string(),
                    due_on: baseline + Days::new(MEASURE_REVIEW_AFTER_DAYS),
                    since: Some(baseline),
                });
            }
        }
    }
    rows
}

/// Whole calendar months from `from` to `to`.
fn months_between(from: NaiveDate, to: NaiveDate) -> u32 {
    let mut months = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32;
    if to.day() < from.day() {
        months -= 1;
    }
    months.max(0) as u32
}

fn ago(from: NaiveDate, to: NaiveDate) -> String {
    match months_between(from, to) {
        0 => {
            let weeks = (to - from).num_days() / 7;
            if weeks == 1 { "1 week ago".into() } else { format!("{weeks} weeks ago") }
        }
        1 => "1 month ago".into(),
        n => format!("{n} months ago"),
    }
}

/// Trims typed text; blank is nothing.
fn text(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// The family as intake typed them, for the case a referral (or a consultation instead) opens.
fn family_opened(input: &ReferralInput, to_team_inbox: bool) -> EventBody {
    EventBody::CaseOpened(CaseOpened {
        family_name: input.family_name.trim().to_string(),
        parent: text(input.parent_name.clone()).map(|name| Person { name }),
        due_date: input.due_date,
        infant: input.infant_dob.map(|date_of_birth| Infant { name: text(input.infant_name.clone()), date_of_birth }),
        to_team_inbox,
    })
}

/// A referrer's or consulting professional's details as typed, trimmed, with empty ones left out.
fn tidy_professional(p: Professional) -> Professional {
    Professional {
        name: p.name.trim().to_string(),
        organisation: text(p.organisation),
        phone: text(p.phone),
        email: text(p.email),
        ..p
    }
}

fn first_line(text: &str) -> String {
    const MAX: usize = 80;
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    if line.chars().count() > MAX {
        format!("{}…", line.chars().take(MAX - 1).collect::<String>().trim_end())
    } else {
        line.to_string()
    }
}

const NO_FAMILY_NAME: &str = "(details not yet received)";

impl Store {
    /// The service profiles to choose from: those shipped with Casebook (Sefton BABS, Wigan BABS)
    /// and the team's own from `<data dir>/service-profiles/*.json`. A team's profile with the id
    /// of a shipped one replaces it (rules change: Sefton's age window has been 3 and 6 months).
    /// A file that cannot be used is left out (see [`Store::service_profile_problems`]).
    pub fn service_profiles(&self) -> Vec<ServiceProfile> {
        crate::rules::service_profiles(self.dir())
    }

    /// One sentence per team profile file that was skipped, saying why and what to do.
    pub fn service_profile_problems(&self) -> Vec<String> {
        crate::rules::service_profile_problems(self.dir())
    }

    /// Every rule this laptop works by, where each came from, and every file in the data folder
    /// that could not be used (see [`crate::rules`]).
    pub fn rules_in_use(&self) -> crate::rules::RulesInUse {
        crate::rules::RulesInUse::read(self.dir())
    }

    /// A service profile by id, or a sentence naming the ones there are.
    pub fn service_profile(&self, id: &str) -> Result<ServiceProfile> {
        let profiles = self.service_profiles();
        let wanted = id.trim();
        if let Some(p) = profiles.iter().find(|p| p.id == wanted) {
            return Ok(p.clone());
        }
        let known: Vec<String> = profiles.iter().map(|p| format!("{} ({})", p.id, p.name)).collect();
        Err(StoreError::Refused(format!(
            "There is no service called '{id}' on this laptop; choose one of: {}.",
            known.join(", ")
        )))
    }

    /// The working-day calendar: England and Wales by rule with the shipped one-off days, or
    /// gov.uk's list from `<data dir>/bank-holidays.json` when IT has put one there. A file that
    /// cannot be used is ignored (see [`Store::working_days_problem`]).
    pub fn working_days(&self) -> WorkingDays {
        crate::rules::working_days_from_file(self.dir()).ok().flatten().unwrap_or_else(WorkingDays::england_and_wales)
    }

    /// Why `<data dir>/bank-holidays.json` is being ignored, if it is.
    pub fn working_days_problem(&self) -> Option<String> {
        crate::rules::working_days_from_file(self.dir()).err()
    }

    /// What intake sees while typing a referral: eligibility under the chosen service's rules, the
    /// first-contact deadline in working days, and the service's crisis route. Writes nothing.
    pub fn check_referral(&self, input: &ReferralInput) -> Result<ReferralCheck> {
        let profile = self.service_profile(&input.profile_id)?;
        let facts = ReferralFacts {
            pregnant: input.pregnant.or(input.due_date.map(|_| true)),
            infant_dobs: input.infant_dob.into_iter().collect(),
            residence_confirmed: input.residence_confirmed,
        };
        let eligibility = check_eligibility(&profile, &facts, input.received_on);
        // No deadline for a family the service is not going to see, unless a person takes the
        // referral on anyway (`take_on_referral`), and then it counts from that decision.
        let first_contact_due = match eligibility {
            EligibilityResult::NotEligible { .. } => None,
            _ => profile.first_contact_deadline(input.received_on, &self.working_days()),
        };
        Ok(ReferralCheck {
            eligibility,
            first_contact_due,
            crisis_route: profile.crisis_route.clone(),
            profile_name: profile.name,
        })
    }

    /// Opens a case from a referral: the family and the referral, with the eligibility and the
    /// deadline intake was shown, in one transaction (both or neither).
    pub fn receive_referral(&mut self, input: ReferralInput) -> Result<CaseSummary> {
        let check = self.check_referral(&input)?;
        let case_id = Uuid::now_v7();
        // Signed in to a team, a referral goes to the team's inbox for the lead's triage.
        let opened = family_opened(&input, self.works_with_team()?);
        let referral = EventBody::ReferralReceived(ReferralReceived {
            referral_id: Uuid::now_v7(),
            received_on: input.received_on,
            profile_id: input.profile_id.trim().to_string(),
            referrer: tidy_professional(input.referrer),
            consent_to_refer: input.consent_to_refer,
            reasons: input.reasons,
            other_reasons: text(input.other_reasons),
            gp_practice: text(input.gp_practice),
            pregnant: input.pregnant,
            residence_confirmed: input.residence_confirmed,
            eligibility: check.eligibility,
            first_contact_due: check.first_contact_due,
        });
        self.write(|tx, w, clock| {
            w.append(tx, clock, case_id, opened)?;
            w.append(tx, clock, case_id, referral)?;
            Ok(())
        })?;
        self.case_summary(case_id)
    }

    /// A professional asked about a family who have not consented to a referral. That cannot be a
    /// referral, so the request is kept as a consultation (what came of it, any advice) on a case
    /// opened for the family, both in one transaction, so it is there if they are referred later.
    pub fn consultation_without_consent(
        &mut self,
        input: ReferralInput,
        outcome: ConsultationOutcome,
        advice: Option<String>,
    ) -> Result<CaseSummary> {
        let case_id = Uuid::now_v7();
        let opened = family_opened(&input, false);
        let why: Vec<String> =
            input.reasons.iter().map(|r| r.label().to_string()).chain(text(input.other_reasons)).collect();
        let question = match why.is_empty() {
            true => "Asked about the family without their consent to a referral.".to_string(),
            false => format!("Asked about the family without their consent to a referral. {}.", why.join("; ")),
        };
        let consultation = EventBody::ConsultationRecorded(ConsultationRecorded {
            consultation_id: Uuid::now_v7(),
            on: input.received_on,
            professional: tidy_professional(input.referrer),
            question,
            outcome,
            advice: text(advice),
        });
        self.write(|tx, w, clock| {
            w.append(tx, clock, case_id, opened)?;
            w.append(tx, clock, case_id, consultation)?;
            Ok(())
        })?;
        self.case_summary(case_id)
    }

    pub(crate) fn append_one(&mut self, case_id: Uuid, body: EventBody) -> Result<CaseState> {
        let (_, state) = self.write(|tx, w, clock| w.append(tx, clock, case_id, body))?;
        Ok(state)
    }

    /// Moves a referral on (acknowledged, contacted, accepted, declined with a reason, signposted).
    pub fn change_referral_status(
        &mut self,
        case_id: Uuid,
        status: ReferralStatus,
        on: NaiveDate,
        reason: Option<String>,
    ) -> Result<CaseState> {
        let state = self.case(case_id)?.state;
        let referral = state
            .record
            .referral
            .as_ref()
            .ok_or_else(|| StoreError::Refused("This case has no referral to move on; log the referral first.".into()))?;
        if on < referral.details.received_on {
            return Err(StoreError::Refused(format!(
                "The referral cannot move on before it was received ({}). Check the date.",
                referral.details.received_on.format("%-d %B %Y")
            )));
        }
        let reason = text(reason);
        check_move(referral.status, status, reason.as_deref()).map_err(StoreError::refused)?;
        let body = EventBody::ReferralStatusChanged(ReferralStatusChanged {
            referral_id: referral.details.referral_id,
            status,
            on,
            reason,
        });
        self.append_one(case_id, body)
    }

    /// A person takes on a referral the eligibility check found not eligible: the first-contact
    /// deadline counts from `on`, in the service's working days.
    pub fn take_on_referral(&mut self, case_id: Uuid, on: NaiveDate, reason: String) -> Result<CaseState> {
        let state = self.case(case_id)?.state;
        let referral = state
            .record
            .referral
            .as_ref()
            .ok_or_else(|| StoreError::Refused("This case has no referral to take on; log the referral first.".into()))?;
        if !matches!(referral.details.eligibility, EligibilityResult::NotEligible { .. }) {
            return Err(StoreError::Refused(
                "This referral was not found not eligible, so there is nothing to decide: its first-contact deadline already applies.".into(),
            ));
        }
        if let Some(t) = &referral.taken_on {
            return Err(StoreError::Refused(format!(
                "{} already took this referral on, on {}; the deadline counts from that decision.",
                t.by,
                t.details.on.format("%-d %B %Y")
            )));
        }
        if referral.status.is_final() {
            return Err(StoreError::Refused(format!(
                "The referral is {} and closed; if the family is referred again, log a new referral.",
                referral.status.label().to_lowercase()
            )));
        }
        if on < referral.details.received_on {
            return Err(StoreError::Refused(format!(
                "The decision cannot be before the referral was received ({}). Check the date.",
                referral.details.received_on.format("%-d %B %Y")
            )));
        }
        let profile = self.service_profile(&referral.details.profile_id)?;
        let body = EventBody::ReferralTakenOn(ReferralTakenOn {
            referral_id: referral.details.referral_id,
            on,
            reason: text(Some(reason)).unwrap_or_default(),
            first_contact_due: profile.first_contact_deadline(on, &self.working_days()),
        });
        self.append_one(case_id, body)
    }

    /// Records case supervision. Only a lead's is accepted by the central store: from anyone
    /// else it is set aside at the next sync with the reason (kept on the laptop, never lost).
    pub fn record_supervision(&mut self, case_id: Uuid, input: SupervisionInput) -> Result<CaseState> {
        self.require_case(case_id)?;
        let body = EventBody::SupervisionRecorded(SupervisionRecorded {
            supervision_id: Uuid::now_v7(),
            on: input.on,
            with: input.with.into_iter().map(|w| w.trim().to_string()).filter(|w| !w.is_empty()).collect(),
            discussion: input.discussion.trim().to_string(),
            actions: input
                .actions
                .into_iter()
                .map(|a| AgreedAction { task_id: Uuid::now_v7(), title: a.title.trim().to_string(), due_on: a.due_on })
                .collect(),
        });
        self.append_one(case_id, body)
    }

    pub fn record_consultation(&mut self, case_id: Uuid, input: ConsultationInput) -> Result<CaseState> {
        self.require_case(case_id)?;
        let body = EventBody::ConsultationRecorded(ConsultationRecorded {
            consultation_id: Uuid::now_v7(),
            on: input.on,
            professional: input.professional,
            question: input.question.trim().to_string(),
            outcome: input.outcome,
            advice: text(input.advice),
        });
        self.append_one(case_id, body)
    }

    /// Records a person in the family, or a new version of one (based on every version this
    /// laptop holds, so a change made here while two versions are in conflict settles it).
    pub fn record_person(&mut self, case_id: Uuid, input: PersonInput) -> Result<CaseState> {
        let state = self.case(case_id)?.state;
        let (person_id, based_on) = match input.person_id {
            None => (Uuid::now_v7(), Vec::new()),
            Some(id) => {
                let person = state
                    .record
                    .people
                    .iter()
                    .find(|p| p.person_id == id)
                    .ok_or_else(|| StoreError::Refused(format!("That family member is not on this case (reference {id}). Open the case again and choose them from its list.")))?;
                (id, person.versions.iter().map(|v| v.event_id).collect())
            }
        };
        let nhs_number = text(input.nhs_number).map(|n| NhsNumber::parse(&n)).transpose().map_err(StoreError::refused)?;
        let gestation_at_birth = match (input.gestation_weeks, input.gestation_days) {
            (None, None) => None,
            (Some(weeks), days) => Some(Gestation::at_birth(weeks, days.unwrap_or(0)).map_err(StoreError::refused)?),
            (None, Some(_)) => {
                return Err(StoreError::Refused(
                    "Give the completed weeks of gestation as well as the days, as in 32+4.".into(),
                ))
            }
        };
        let body = EventBody::PersonRecorded(PersonRecorded {
            person_id,
            role: input.role,
            name: input.name.trim().to_string(),
            date_of_birth: input.date_of_birth,
            nhs_number,
            pronouns: text(input.pronouns),
            language: text(input.language),
            interpreter_needed: input.interpreter_needed,
            gestation_at_birth,
            professional: input.professional,
            based_on,
        });
        self.append_one(case_id, body)
    }

    /// Books a visit or session. Recording the contact later with its id completes it.
    pub fn plan_contact(&mut self, case_id: Uuid, input: PlanInput) -> Result<CaseState> {
        self.require_case(case_id)?;
        let body = EventBody::ContactPlanned(ContactPlanned {
            contact_id: Uuid::now_v7(),
            planned_for: input.planned_for,
            contact_type: input.contact_type,
            location: text(input.location),
        });
        self.append_one(case_id, body)
    }

    /// Records a completed outcome measure (the numbers entered and what they are), refused with
    /// the measure's own sentence when they do not fit it.
    pub fn record_measure(&mut self, case_id: Uuid, input: MeasureInput) -> Result<MeasureEntry> {
        self.require_case(case_id)?;
        let (goals, entered_as) = match input.kind {
            MeasureKind::Gbo => {
                if !input.items.is_empty() {
                    return Err(StoreError::Refused(
                        "Goal Based Outcomes are recorded as goals, not item scores; give each goal and its score.".into(),
                    ));
                }
                let goals = casebook_measures::score_goals(&input.goals)
                    .map_err(|e| casebook_domain::ValidationError::Measure { message: e.to_string() })?
                    .goals;
                (goals, None)
            }
            kind => {
                if !input.goals.is_empty() {
                    return Err(StoreError::Refused(format!(
                        "Only Goal Based Outcomes have goals; give the {} item scores instead.",
                        kind.label()
                    )));
                }
                let Some(entered_as) = input.entered_as else {
                    return Err(StoreError::Refused(format!(
                        "Say whether the {} numbers are the answers ticked (in the order printed on the form) or item scores copied from a scored form.",
                        kind.label()
                    )));
                };
                (Vec::new(), Some(entered_as))
            }
        };
        let measure_id = Uuid::now_v7();
        let body = EventBody::MeasureRecorded(MeasureRecorded {
            measure_id,
            kind: input.kind,
            time_point: input.time_point,
            administered_on: input.administered_on,
            items: input.items,
            entered_as,
            goals,
        });
        let state = self.append_one(case_id, body)?;
        Ok(state.record.measures.into_iter().find(|m| m.details.measure_id == measure_id).expect("just recorded"))
    }

    pub fn assess_risk(&mut self, case_id: Uuid, input: RiskInput) -> Result<CaseState> {
        self.require_case(case_id)?;
        let body = EventBody::RiskAssessed(RiskAssessed {
            assessment_id: Uuid::now_v7(),
            on: input.on,
            to_self: input.to_self,
            to_infant: input.to_infant,
            from_others: input.from_others,
            safeguarding: input.safeguarding,
            thrive: input.thrive,
            summary: input.summary.trim().to_string(),
            actions: text(input.actions),
            review_on: input.review_on,
        });
        self.append_one(case_id, body)
    }

    pub fn raise_alert(&mut self, case_id: Uuid, kind: AlertKind, text: String) -> Result<CaseState> {
        self.require_case(case_id)?;
        let body = EventBody::AlertRaised(AlertRaised { alert_id: Uuid::now_v7(), kind, text: text.trim().to_string() });
        self.append_one(case_id, body)
    }

    pub fn clear_alert(&mut self, case_id: Uuid, alert_id: Uuid, reason: String) -> Result<CaseState> {
        let state = self.case(case_id)?.state;
        let alert = state
            .record
            .alerts
            .iter()
            .find(|a| a.alert_id == alert_id)
            .ok_or_else(|| StoreError::Refused(format!("That alert is not on this case (reference {alert_id}). Open the case again to see its alerts.")))?;
        if let Some(cleared) = &alert.cleared {
            return Err(StoreError::Refused(format!(
                "That alert was already cleared by {} on {}.",
                cleared.by,
                cleared.at.format("%-d %B %Y")
            )));
        }
        let body = EventBody::AlertCleared(AlertCleared { alert_id, reason: reason.trim().to_string() });
        self.append_one(case_id, body)
    }

    pub fn add_task(&mut self, case_id: Uuid, kind: TaskKind, title: String, due_on: NaiveDate) -> Result<CaseState> {
        self.require_case(case_id)?;
        let body = EventBody::TaskAdded(TaskAdded { task_id: Uuid::now_v7(), kind, title: title.trim().to_string(), due_on });
        self.append_one(case_id, body)
    }

    pub fn complete_task(&mut self, case_id: Uuid, task_id: Uuid) -> Result<CaseState> {
        let state = self.case(case_id)?.state;
        let task = state
            .record
            .tasks
            .iter()
            .find(|t| t.details.task_id == task_id)
            .ok_or_else(|| StoreError::Refused(format!("That task is not on this case (reference {task_id}). Open the case again to see its tasks.")))?;
        if let Some(done) = &task.done {
            return Err(StoreError::Refused(format!(
                "That task was already done by {} on {}.",
                done.by,
                done.at.format("%-d %B %Y")
            )));
        }
        self.append_one(case_id, EventBody::TaskCompleted(TaskCompleted { task_id }))
    }

    /// Discharges the case. A case is discharged once; a family referred again is a new referral.
    pub fn discharge(&mut self, case_id: Uuid, on: NaiveDate, reason: DischargeReason, summary: String) -> Result<CaseState> {
        let state = self.case(case_id)?.state;
        if let Some(d) = &state.record.discharge {
            return Err(StoreError::Refused(format!(
                "This case was already discharged on {}; a case is discharged only once (if the family is referred again, log a new referral).",
                d.details.on.format("%-d %B %Y")
            )));
        }
        if let Some(referral) = state.record.referral.as_ref().filter(|r| on < r.details.received_on) {
            return Err(StoreError::Refused(format!(
                "The discharge date is before the referral was received ({}). Check the date.",
                referral.details.received_on.format("%-d %B %Y")
            )));
        }
        let body = EventBody::CaseDischarged(CaseDischarged { on, reason, summary: summary.trim().to_string() });
        self.append_one(case_id, body)
    }

    /// The clinician's day: visits planned on `on` in time order, what is due by a week after
    /// `on` and not done (see the module documentation for the rules), and their unsigned drafts.
    pub fn today(&self, on: NaiveDate) -> Result<TodayView> {
        let conn = self.connection();
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        let mut family = |case_id: &str| -> Result<String> {
            if let Some(n) = names.get(case_id) {
                return Ok(n.clone());
            }
            let name: Option<String> = conn
                .prepare_cached("SELECT family_name FROM cases WHERE case_id = ?1")?
                .query_row([case_id], |r| r.get(0))
                .unwrap_or(None);
            let name = name.unwrap_or_else(|| NO_FAMILY_NAME.to_string());
            names.insert(case_id.to_string(), name.clone());
            Ok(name)
        };

        // Visits: the cases with one planned that day, folded for their address and alerts.
        let day_start = on.format("%Y-%m-%dT00:00:00").to_string();
        let day_end = (on + Days::new(1)).format("%Y-%m-%dT00:00:00").to_string();
        let visit_cases: Vec<String> = conn
            .prepare_cached(
                "SELECT DISTINCT case_id FROM planned_visits WHERE planned_for >= ?1 AND planned_for < ?2 ORDER BY case_id",
            )?
            .query_map([&day_start, &day_end], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut visits = Vec::new();
        for id in visit_cases {
            let case_id = crate::parse_uuid(&id)?;
            let state = self.case(case_id)?.state;
            let mut alerts: Vec<_> = state.record.active_alerts().collect();
            alerts.sort_by_key(|a| a.kind != AlertKind::LoneWorker);
            let alerts: Vec<String> = alerts.into_iter().map(|a| a.text.clone()).collect();
            let address = state.field(DetailField::Address).and_then(|f| f.value.clone());
            let family_name = family(&id)?;
            for p in state.record.planned_contacts.iter().filter(|p| p.details.planned_for.date() == on) {
                visits.push(TodayVisit {
                    case_id,
                    family_name: family_name.clone(),
                    contact_id: p.details.contact_id,
                    planned_for: p.details.planned_for,
                    contact_type: p.details.contact_type,
                    location: p.details.location.clone(),
                    address: address.clone(),
                    alerts: alerts.clone(),
                });
            }
        }
        visits.sort_by(|a, b| {
            (a.planned_for, &a.family_name, a.contact_id).cmp(&(b.planned_for, &b.family_name, b.contact_id))
        });

        // Due items.
        let horizon = (on + Days::new(DUE_WITHIN_DAYS)).to_string();
        let service_profiles = self.service_profiles();
        let profiles: BTreeMap<String, String> = service_profiles.iter().map(|p| (p.id.clone(), p.name.clone())).collect();
        let rows: Vec<(String, String, String, String, Option<String>)> = conn
            .prepare_cached(
                "SELECT case_id, kind, what, due_on, since FROM due_items
                 WHERE due_on <= ?1 AND (kind <> 'measure_review' OR due_on <= ?2)
                 ORDER BY due_on, case_id, item",
            )?
            .query_map([&horizon, &on.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
            .collect::<Result<_, _>>()?;
        let mut due = Vec::new();
        for (id, kind, what, due_on, since) in rows {
            let bad_date = |s: &str| StoreError::Refused(format!("A stored date ({s}) is damaged; rebuild the projections."));
            let due_on: NaiveDate = due_on.parse().map_err(|_| bad_date(&due_on))?;
            let risk = kind == "risk_to_review";
            let crisis_route = match risk {
                true => {
                    let state = self.case(crate::parse_uuid(&id)?)?.state;
                    let referred_to = state.record.referral.as_ref().map(|r| r.details.profile_id.as_str());
                    ServiceProfile::crisis_route_for(&service_profiles, referred_to).cloned()
                }
                false => None,
            };
            let what = match kind.as_str() {
                "first_contact" => format!("First contact ({} target)", profiles.get(&what).map(String::as_str).unwrap_or(&what)),
                "risk_review" => "Risk review".to_string(),
                "risk_to_review" => format!("Risk to review: {what}"),
                "measure_review" => {
                    let label = what.parse::<MeasureKind>().map(|k| k.label().to_string()).unwrap_or(what);
                    match since.as_deref().and_then(|s| s.parse::<NaiveDate>().ok()) {
                        Some(baseline) => format!("{label} review (baseline {})", ago(baseline, on)),
                        None => format!("{label} review"),
                    }
                }
                _ => what,
            };
            due.push(DueItem {
                case_id: crate::parse_uuid(&id)?,
                family_name: family(&id)?,
                what,
                due_on,
                overdue: due_on < on,
                risk,
                crisis_route,
            });
        }
        // A risk waiting for review comes before everything else, whatever its date.
        due.sort_by(|a, b| {
            (!a.risk, a.due_on, &a.family_name, &a.what, a.case_id).cmp(&(!b.risk, b.due_on, &b.family_name, &b.what, b.case_id))
        });

        // Drafts.
        let mut drafts = Vec::new();
        for d in self.drafts(None)? {
            drafts.push(TodayDraft {
                case_id: d.case_id,
                family_name: family(&d.case_id.to_string())?,
                note_id: d.note_id,
                occurred_on: d.occurred_on,
                updated_at: d.updated_at,
                first_line: first_line(&d.text),
            });
        }
        Ok(TodayView { on, visits, due, drafts })
    }
}

/// The caseload with a filter applied.
impl Store {
    pub fn list_cases_matching(&self, filter: &CaseFilter, today: NaiveDate) -> Result<Vec<CaseSummary>> {
        Ok(self.list_cases()?.into_iter().filter(|c| filter.matches(c, today)).collect())
    }
}

pub(crate) fn write_projection(tx: &rusqlite::Transaction, state: &CaseState) -> Result<()> {
    let id = state.case_id.to_string();
    tx.prepare_cached("DELETE FROM planned_visits WHERE case_id = ?1")?.execute([&id])?;
    tx.prepare_cached("DELETE FROM due_items WHERE case_id = ?1")?.execute([&id])?;
    let mut visit = tx.prepare_cached(
        "INSERT INTO planned_visits (case_id, contact_id, planned_for, contact_type, location) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for p in &state.record.planned_contacts {
        visit.execute(params![
            id,
            p.details.contact_id.to_string(),
            datetime_text(p.details.planned_for),
            serde_json::to_value(p.details.contact_type).expect("enum").as_str(),
            p.details.location,
        ])?;
    }
    let mut due = tx.prepare_cached(
        "INSERT OR REPLACE INTO due_items (case_id, item, kind, what, due_on, since) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for d in due_rows(state) {
        due.execute(params![id, d.item, d.kind, d.what, d.due_on.to_string(), d.since.map(|s| s.to_string())])?;
    }
    Ok(())
}

/// "2026-11-27T14:00:00": sorts as text in time order.
pub(crate) fn datetime_text(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn summary() -> CaseSummary {
        CaseSummary {
            case_id: Uuid::nil(),
            family_name: Some("Testfamily-Filter".into()),
            parent_name: None,
            due_date: None,
            infant_name: None,
            infant_dob: None,
            opened_at: Some("2026-10-01T09:00:00Z".parse().unwrap()),
            last_activity_at: None,
            contact_count: 0,
            signed_note_count: 0,
            my_draft_count: 0,
            conflict_count: 0,
            status: "Referral received".into(),
            risk: Some(RiskLevel::Medium),
            first_contact_due: Some(d("2026-11-27")),
            last_contact_on: None,
            next_visit_at: None,
            active_alerts: 0,
            risk_to_review_since: None,
        }
    }

    #[test]
    fn an_empty_filter_matches_everything() {
        assert!(CaseFilter::default().matches(&summary(), d("2026-11-24")));
    }

    #[test]
    fn the_risk_to_review_filter_finds_only_flagged_cases() {
        let f = |wanted| CaseFilter { risk_to_review: Some(wanted), ..Default::default() };
        let flagged = CaseSummary { risk_to_review_since: Some(d("2026-11-20")), ..summary() };
        assert!(f(true).matches(&flagged, d("2026-11-24")));
        assert!(!f(true).matches(&summary(), d("2026-11-24")));
        assert!(f(false).matches(&summary(), d("2026-11-24")));
    }

    #[test]
    fn status_matches_the_words_shown_in_any_case() {
        let f = |s: &str| CaseFilter { status: Some(s.into()), ..Default::default() };
        assert!(f("referral received").matches(&summary(), d("2026-11-24")));
        assert!(f(" Referral Received ").matches(&summary(), d("2026-11-24")));
        assert!(!f("Accepted").matches(&summary(), d("2026-11-24")));
    }

    #[test]
    fn risk_at_least_compares_levels_and_never_matches_an_unreviewed_case() {
        let f = |l| CaseFilter { risk_at_least: Some(l), ..Default::default() };
        let today = d("2026-11-24");
        assert!(f(RiskLevel::Low).matches(&summary(), today));
        assert!(f(RiskLevel::Medium).matches(&summary(), today));
        assert!(!f(RiskLevel::High).matches(&summary(), today));
        assert!(!f(RiskLevel::NoneKnown).matches(&CaseSummary { risk: None, ..summary() }, today));
    }

    #[test]
    fn deadline_within_days_includes_overdue_and_excludes_cases_without_one() {
        let f = |n| CaseFilter { deadline_within_days: Some(n), ..Default::default() };
        assert!(f(3).matches(&summary(), d("2026-11-24")), "due in 3 days");
        assert!(!f(2).matches(&summary(), d("2026-11-24")));
        assert!(f(0).matches(&summary(), d("2026-12-01")), "overdue counts");
        assert!(!f(30).matches(&CaseSummary { first_contact_due: None, ..summary() }, d("2026-11-24")));
    }

    #[test]
    fn no_contact_for_days_counts_from_the_last_contact_or_the_opening() {
        let f = |n| CaseFilter { no_contact_for_days: Some(n), ..Default::default() };
        let today = d("2026-11-24");
        assert!(f(54).matches(&summary(), today), "opened 54 days ago, never seen");
        assert!(!f(55).matches(&summary(), today));
        let seen = CaseSummary { last_contact_on: Some(d("2026-11-10")), ..summary() };
        assert!(f(14).matches(&seen, today));
        assert!(!f(15).matches(&seen, today));
        let nothing = CaseSummary { opened_at: None, ..summary() };
        assert!(f(1000).matches(&nothing, today), "nothing known: it may well be long ago");
    }

    #[test]
    fn conditions_combine() {
        let f = CaseFilter { risk_at_least: Some(RiskLevel::Medium), deadline_within_days: Some(7), ..Default::default() };
        assert!(f.matches(&summary(), d("2026-11-24")));
        assert!(!f.matches(&CaseSummary { risk: Some(RiskLevel::Low), ..summary() }, d("2026-11-24")));
    }

    #[test]
    fn months_ago_read_naturally() {
        assert_eq!(ago(d("2026-08-24"), d("2026-11-24")), "3 months ago");
        assert_eq!(ago(d("2026-08-25"), d("2026-11-24")), "2 months ago");
        assert_eq!(ago(d("2026-10-20"), d("2026-11-24")), "1 month ago");
        assert_eq!(ago(d("2026-11-10"), d("2026-11-24")), "2 weeks ago");
    }

    #[test]
    fn a_draft_is_summed_up_by_its_first_line() {
        assert_eq!(first_line("\n  Visited at home.\nMore"), "Visited at home.");
        let long = "word ".repeat(40);
        let line = first_line(&long);
        assert!(line.chars().count() <= 80 && line.ends_with('…'), "{line}");
    }
}

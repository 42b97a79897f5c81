//! What the top of a case says at a glance, worked out from its state and today's date: who is in
//! the family and how old the babies are (corrected for prematurity), the pregnancy, alerts, the
//! current risk, the referral's status and first-contact deadline, any risk flag raised by the
//! latest outcome measures, and each measure's change from baseline. Also the labelled
//! vocabularies a form offers, so every label a clinician reads comes from one place.

use crate::age::{age, corrected_age, pregnancy_weeks, AgeError};
use crate::fold::CaseState;
use crate::record::*;
use crate::retention::{retention, Retention};
use crate::vocab::*;
use casebook_measures::{MeasureKind, RiskFlag, TimePoint};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PersonLine {
    pub name: String,
    /// "Parent or carer", "Baby".
    pub role: String,
    /// "7 weeks 2 days"; none when no date of birth is known.
    pub age: Option<String>,
    /// For a premature baby still young enough to be corrected for, with the rule that applies:
    /// "3 weeks (born at 34+0 weeks, so corrected until 1 year old)", or "due date not yet reached,
    /// 2 weeks to go (born at 28+0 weeks, so corrected until 2 years old)".
    pub corrected_age: Option<String>,
    /// Shown 3-3-4.
    pub nhs_number: Option<String>,
    /// Shown beside the NHS number when it is a test or placeholder number, not a real patient's:
    /// "test number, not a real patient: …; check the number on the referral".
    pub nhs_number_warning: Option<String>,
    /// "Interpreter needed (Polish)", or the language alone.
    pub language: Option<String>,
    pub in_conflict: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FirstContact {
    pub due_on: NaiveDate,
    /// When the first contact took place, if it has.
    pub made_on: Option<NaiveDate>,
    /// Not yet made and the deadline has passed.
    pub overdue: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AlertLine {
    pub alert_id: uuid::Uuid,
    pub kind: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CaseHeader {
    pub people: Vec<PersonLine>,
    /// "28 weeks pregnant (due 1 May 2027)".
    pub pregnancy: Option<String>,
    pub referral_status: Option<String>,
    /// The referral was found not eligible and a person may still take it on (see
    /// [`crate::record::Referral::can_be_taken_on`]), so the window offers it.
    pub referral_can_be_taken_on: bool,
    pub first_contact: Option<FirstContact>,
    pub risk: Option<RiskLevel>,
    pub thrive: Option<String>,
    pub safeguarding: Option<String>,
    pub risk_review_due: Option<NaiveDate>,
    pub alerts: Vec<AlertLine>,
    /// Risk items answered in the latest measure of each kind: they need acting on.
    pub measure_flags: Vec<RiskFlag>,
    /// Risk items answered above zero that no risk review has followed yet: shown until one does.
    pub risk_to_review: Option<crate::risk_to_review::RiskToReview>,
    pub discharged_on: Option<NaiveDate>,
    /// Each measure's change from baseline to discharge (or the latest score since), shown on the
    /// discharge form and once the case is discharged; see [`OutcomeChange`].
    pub outcome_changes: Vec<OutcomeChange>,
    /// How long the record is kept and the rules behind it (never a reason to delete it).
    pub retention: Retention,
}

impl CaseHeader {
    pub fn of(state: &CaseState, today: NaiveDate) -> CaseHeader {
        let record = &state.record;
        let mut people: Vec<PersonLine> = record.people.iter().map(|p| person_line(p, today)).collect();
        // A case opened with only the parent's name (no family member recorded yet) still names them.
        if !record.people.iter().any(|p| p.current.role == PersonRole::ParentOrCarer) {
            if let Some(parent) = state.details.as_ref().and_then(|d| d.parent.as_ref()) {
                people.push(PersonLine {
                    name: parent.name.clone(),
                    role: "Parent or carer".into(),
                    age: None,
                    corrected_age: None,
                    nhs_number: None,
                    nhs_number_warning: None,
                    language: None,
                    in_conflict: false,
                });
            }
        }
        // A case opened with only the baby's date of birth still shows the baby's age.
        if !record.people.iter().any(|p| p.current.role == PersonRole::Infant) {
            if let Some(infant) = state.details.as_ref().and_then(|d| d.infant.as_ref()) {
                people.push(PersonLine {
                    name: infant.name.clone().unwrap_or_else(|| "Baby".into()),
                    role: "Baby".into(),
                    age: age(infant.date_of_birth, today).ok().map(|a| a.label()),
                    corrected_age: None,
                    nhs_number: None,
                    nhs_number_warning: None,
                    language: None,
                    in_conflict: false,
                });
            }
        }
        let pregnancy = state.details.as_ref().and_then(|d| d.due_date).and_then(|due| {
            let on = due.format("%-d %B %Y");
            match pregnancy_weeks(due, today) {
                Ok(p) => Some(format!("{} (due {on})", p.label())),
                // A case stays open after its due date; rather than the pregnancy vanishing from the
                // header, it says what to record.
                Err(AgeError::DueDateLongPassed { .. }) => {
                    Some(format!("Due {on}, more than 4 weeks ago: record the baby's date of birth once known"))
                }
                Err(_) => None,
            }
        });
        let referral = record.referral.as_ref();
        let first_contact = referral.and_then(|r| {
            let due_on = r.first_contact_due()?;
            let open = !r.status.is_final() || r.status == ReferralStatus::Accepted;
            Some(FirstContact { due_on, made_on: r.first_contact_on, overdue: open && r.first_contact_on.is_none() && today > due_on })
        });
        let current = record.current_risk();
        let mut alerts: Vec<&Alert> = record.active_alerts().collect();
        alerts.sort_by_key(|a| a.kind != AlertKind::LoneWorker);
        CaseHeader {
            people,
            pregnancy,
            referral_status: referral.map(|r| r.status.label().to_string()),
            referral_can_be_taken_on: referral.is_some_and(|r| r.can_be_taken_on()),
            first_contact,
            risk: current.map(RiskReview::overall),
            thrive: current.map(|r| r.details.thrive.label().to_string()),
            safeguarding: current.map(|r| r.details.safeguarding.label().to_string()),
            risk_review_due: current.and_then(|r| r.details.review_on),
            alerts: alerts
                .into_iter()
                .map(|a| AlertLine { alert_id: a.alert_id, kind: a.kind.label().to_string(), text: a.text.clone() })
                .collect(),
            measure_flags: latest_flags(record),
            risk_to_review: record.risk_to_review(),
            discharged_on: record.discharge.as_ref().map(|d| d.details.on),
            outcome_changes: record.outcome_changes(),
            retention: retention(state),
        }
    }
}

fn person_line(p: &PersonState, today: NaiveDate) -> PersonLine {
    let c = &p.current;
    let age_now = c.date_of_birth.and_then(|dob| age(dob, today).ok());
    let corrected = match (c.date_of_birth, c.gestation_at_birth) {
        (Some(dob), Some(g)) => corrected_age(dob, g, today).ok().flatten().map(|a| match g.correction_rule() {
            Some(rule) => format!("{} ({rule})", a.label()),
            None => a.label(),
        }),
        _ => None,
    };
    let language = match (&c.language, c.interpreter_needed) {
        (Some(l), true) => Some(format!("Interpreter needed ({l})")),
        (None, true) => Some("Interpreter needed".into()),
        (Some(l), false) => Some(l.clone()),
        (None, false) => None,
    };
    let contact = c.professional.as_ref().and_then(|p| p.phone.clone().or_else(|| p.email.clone()));
    PersonLine {
        name: c.name.clone(),
        role: match c.role {
            PersonRole::ParentOrCarer => "Parent or carer".into(),
            PersonRole::Infant => "Baby".into(),
            PersonRole::Professional => match &c.professional {
                Some(p) => format!(
                    "{}{}",
                    p.role.label(),
                    p.organisation.as_deref().map(|o| format!(", {o}")).unwrap_or_default()
                ),
                None => "Professional involved".into(),
            },
        },
        age: age_now.map(|a| a.label()),
        corrected_age: corrected,
        nhs_number: c.nhs_number.as_ref().map(|n| n.to_string()),
        nhs_number_warning: c.nhs_number.as_ref().and_then(|n| n.warning()).map(String::from),
        language: language.or(contact),
        in_conflict: p.in_conflict,
    }
}

/// The risk flags of the most recent measure of each kind (an old flag answered since by a
/// newer measure of the same kind is not repeated).
fn latest_flags(record: &CaseRecord) -> Vec<RiskFlag> {
    let mut latest: Vec<&MeasureEntry> = Vec::new();
    for m in &record.measures {
        match latest.iter_mut().find(|l| l.details.kind == m.details.kind) {
            Some(slot) if (m.details.administered_on, m.recorded_at) >= (slot.details.administered_on, slot.recorded_at) => *slot = m,
            Some(_) => {}
            None => latest.push(m),
        }
    }
    latest.iter().filter_map(|m| m.scored.as_ref()).flat_map(|s| s.risk_flags.clone()).collect()
}

/// One choice in a form: the value sent back, and the words shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Choice {
    pub id: String,
    pub label: String,
    /// For grouped checklists (referral reasons): the group's label.
    pub group: Option<String>,
}

/// Every coded list the record's forms offer, labelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Vocabulary {
    pub referral_reasons: Vec<Choice>,
    pub referrer_roles: Vec<Choice>,
    pub referral_statuses: Vec<Choice>,
    pub consultation_outcomes: Vec<Choice>,
    pub thrive_groups: Vec<Choice>,
    pub risk_levels: Vec<Choice>,
    pub safeguarding: Vec<Choice>,
    pub alert_kinds: Vec<Choice>,
    pub discharge_reasons: Vec<Choice>,
    pub measures: Vec<Choice>,
    pub time_points: Vec<Choice>,
    /// The session record headings for each kind of contact.
    pub session_templates: Vec<crate::session_record::SessionTemplate>,
    /// The due dates a form may offer, counted from today: the range opening a case accepts.
    pub due_dates: DueDateRange,
}

/// How far ahead, and how long ago, a due date can be, in days from today; the same range opening
/// a case checks, so a date picker offers no date the case would then refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DueDateRange {
    pub most_days_ahead: u32,
    pub most_days_passed: u32,
}

fn id_of<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
}

fn choices<T: Serialize + Copy>(all: &[T], label: impl Fn(T) -> &'static str) -> Vec<Choice> {
    all.iter().map(|&v| Choice { id: id_of(&v), label: label(v).to_string(), group: None }).collect()
}

pub fn vocabulary() -> Vocabulary {
    use crate::record::{AlertKind, DischargeReason, RiskLevel, SafeguardingStatus};
    Vocabulary {
        referral_reasons: ReferralReason::ALL
            .iter()
            .map(|&r| Choice { id: id_of(&r), label: r.label().to_string(), group: Some(r.group().label().to_string()) })
            .collect(),
        referrer_roles: choices(&ReferrerRole::ALL, ReferrerRole::label),
        referral_statuses: choices(&ReferralStatus::ALL, ReferralStatus::label),
        consultation_outcomes: choices(&ConsultationOutcome::ALL, ConsultationOutcome::label),
        thrive_groups: choices(&ThriveGroup::ALL, ThriveGroup::label),
        risk_levels: choices(&[RiskLevel::NoneKnown, RiskLevel::Low, RiskLevel::Medium, RiskLevel::High], RiskLevel::label),
        safeguarding: choices(
            &[
                SafeguardingStatus::NoneKnown,
                SafeguardingStatus::ChildInNeed,
                SafeguardingStatus::ChildProtectionPlan,
                SafeguardingStatus::LookedAfter,
            ],
            SafeguardingStatus::label,
        ),
        alert_kinds: choices(&[AlertKind::LoneWorker, AlertKind::Safeguarding, AlertKind::Other], AlertKind::label),
        discharge_reasons: choices(
            &[
                DischargeReason::GoalsMet,
                DischargeReason::FamilyChoseToEnd,
                DischargeReason::DidNotEngage,
                DischargeReason::MovedAway,
                DischargeReason::TransferredToAnotherService,
                DischargeReason::Other,
            ],
            DischargeReason::label,
        ),
        measures: choices(&MeasureKind::ALL, MeasureKind::label),
        time_points: choices(&TimePoint::ALL, TimePoint::label),
        session_templates: crate::session_record::session_templates(),
        due_dates: DueDateRange {
            most_days_ahead: crate::age::DUE_DATE_MOST_DAYS_AHEAD,
            most_days_passed: crate::age::DUE_DATE_MOST_DAYS_PASSED,
        },
    }
}

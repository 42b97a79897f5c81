//! The event envelope and the first event kinds.
//!
//! Every change to a case is an immutable event. The envelope carries everything needed to order,
//! attribute and de-duplicate it; the content hash lets a replica tell a harmless repeat of an event
//! (same id, same hash) from a forgery or a corruption (same id, different hash).

use crate::clock::Hlc;
use crate::record::*;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;
use ts_rs::TS;
use uuid::Uuid;

/// Version of the payload schemas below. Bumped when a payload's shape changes, so that an old
/// replica can refuse what it cannot read instead of misreading it.
pub const PAYLOAD_VERSION: u16 = 1;

/// One immutable change to one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Event {
    /// UUIDv7 made on the device that wrote the event.
    pub id: Uuid,
    pub case_id: Uuid,
    /// Username of the clinician who wrote it.
    pub author: String,
    pub device_id: Uuid,
    /// Dense per-device sequence number: 1, 2, 3… on each device, so gaps are detectable.
    #[ts(type = "number")]
    pub device_seq: u64,
    pub hlc: Hlc,
    /// Wall-clock time on the writing device, for people to read. Never used for ordering.
    pub recorded_at: DateTime<Utc>,
    pub payload_version: u16,
    #[serde(flatten)]
    pub body: EventBody,
    /// Hex SHA-256 over the canonical JSON of every field above.
    pub content_hash: String,
}

/// What happened, with its details. Serialised as `"kind": "...", "payload": {...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", content = "payload", rename_all = "snake_case")]
#[ts(export)]
pub enum EventBody {
    CaseOpened(CaseOpened),
    ContactRecorded(ContactRecorded),
    NoteDrafted(NoteDrafted),
    NoteSigned(NoteSigned),
    AddendumAdded(AddendumAdded),
    DetailChanged(DetailChanged),
    ReferralReceived(ReferralReceived),
    ReferralStatusChanged(ReferralStatusChanged),
    ConsultationRecorded(ConsultationRecorded),
    PersonRecorded(PersonRecorded),
    ContactPlanned(ContactPlanned),
    MeasureRecorded(MeasureRecorded),
    RiskAssessed(RiskAssessed),
    AlertRaised(AlertRaised),
    AlertCleared(AlertCleared),
    TaskAdded(TaskAdded),
    TaskCompleted(TaskCompleted),
    CaseDischarged(CaseDischarged),
    ReferralTakenOn(crate::taken_on::ReferralTakenOn),
    SupervisionRecorded(crate::supervision::SupervisionRecorded),
    ReferralTriaged(crate::triage::ReferralTriaged),
}

impl EventBody {
    /// Every kind this version reads, in the order they were added.
    pub const KINDS: [&'static str; 21] = [
        "case_opened",
        "contact_recorded",
        "note_drafted",
        "note_signed",
        "addendum_added",
        "detail_changed",
        "referral_received",
        "referral_status_changed",
        "consultation_recorded",
        "person_recorded",
        "contact_planned",
        "measure_recorded",
        "risk_assessed",
        "alert_raised",
        "alert_cleared",
        "task_added",
        "task_completed",
        "case_discharged",
        "referral_taken_on",
        "supervision_recorded",
        "referral_triaged",
    ];

    pub fn kind(&self) -> &'static str {
        match self {
            EventBody::CaseOpened(_) => "case_opened",
            EventBody::ContactRecorded(_) => "contact_recorded",
            EventBody::NoteDrafted(_) => "note_drafted",
            EventBody::NoteSigned(_) => "note_signed",
            EventBody::AddendumAdded(_) => "addendum_added",
            EventBody::DetailChanged(_) => "detail_changed",
            EventBody::ReferralReceived(_) => "referral_received",
            EventBody::ReferralStatusChanged(_) => "referral_status_changed",
            EventBody::ConsultationRecorded(_) => "consultation_recorded",
            EventBody::PersonRecorded(_) => "person_recorded",
            EventBody::ContactPlanned(_) => "contact_planned",
            EventBody::MeasureRecorded(_) => "measure_recorded",
            EventBody::RiskAssessed(_) => "risk_assessed",
            EventBody::AlertRaised(_) => "alert_raised",
            EventBody::AlertCleared(_) => "alert_cleared",
            EventBody::TaskAdded(_) => "task_added",
            EventBody::TaskCompleted(_) => "task_completed",
            EventBody::CaseDischarged(_) => "case_discharged",
            EventBody::ReferralTakenOn(_) => "referral_taken_on",
            EventBody::SupervisionRecorded(_) => "supervision_recorded",
            EventBody::ReferralTriaged(_) => "referral_triaged",
        }
    }

    /// The payload alone, as JSON (the envelope's `payload` field).
    pub fn payload_json(&self) -> serde_json::Value {
        let mut tagged = serde_json::to_value(self).expect("event bodies always serialise");
        tagged
            .as_object_mut()
            .and_then(|o| o.remove("payload"))
            .expect("adjacently tagged enum has a payload")
    }

    /// Rebuilds a body from its kind and payload, as stored in a database row.
    pub fn from_parts(kind: &str, payload: serde_json::Value) -> Result<EventBody, EventError> {
        let tagged = serde_json::json!({ "kind": kind, "payload": payload });
        serde_json::from_value(tagged)
            .map_err(|e| EventError::UnreadablePayload { kind: kind.to_string(), reason: e.to_string() })
    }
}

/// A parent or carer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Person {
    pub name: String,
}

/// A baby already born.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Infant {
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub date_of_birth: NaiveDate,
}

/// A family is taken on: who they are and whether the baby is on the way or already here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CaseOpened {
    pub family_name: String,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Person>,
    /// Estimated due date, when the parent is pregnant.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<NaiveDate>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub infant: Option<Infant>,
    /// Opened by logging a referral for the team's inbox: the central store gives the case to the
    /// team's leads (and admin staff) for triage, not to the person who logged it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub to_team_inbox: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ContactType {
    HomeVisit,
    HubVisit,
    DropIn,
    GroupSession,
    Telephone,
    Video,
    JointVisit,
    ProfessionalsConsultation,
}

impl ContactType {
    pub const ALL: [ContactType; 8] = [
        ContactType::HomeVisit,
        ContactType::HubVisit,
        ContactType::DropIn,
        ContactType::GroupSession,
        ContactType::Telephone,
        ContactType::Video,
        ContactType::JointVisit,
        ContactType::ProfessionalsConsultation,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ContactType::HomeVisit => "Home visit",
            ContactType::HubVisit => "Hub visit",
            ContactType::DropIn => "Drop-in",
            ContactType::GroupSession => "Group session",
            ContactType::Telephone => "Telephone",
            ContactType::Video => "Video call",
            ContactType::JointVisit => "Joint visit with referrer",
            ContactType::ProfessionalsConsultation => "Professionals' consultation",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum AttendanceOutcome {
    Attended,
    DidNotAttend,
    CancelledByFamily,
    CancelledByService,
    NoAccessVisit,
}

impl AttendanceOutcome {
    pub const ALL: [AttendanceOutcome; 5] = [
        AttendanceOutcome::Attended,
        AttendanceOutcome::DidNotAttend,
        AttendanceOutcome::CancelledByFamily,
        AttendanceOutcome::CancelledByService,
        AttendanceOutcome::NoAccessVisit,
    ];

    pub fn label(self) -> &'static str {
        match self {
            AttendanceOutcome::Attended => "Attended",
            AttendanceOutcome::DidNotAttend => "Did not attend",
            AttendanceOutcome::CancelledByFamily => "Cancelled by family",
            AttendanceOutcome::CancelledByService => "Cancelled by service",
            AttendanceOutcome::NoAccessVisit => "No access visit",
        }
    }
}

/// A session with the family took place (or was planned and did not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ContactRecorded {
    pub contact_id: Uuid,
    pub date: NaiveDate,
    pub contact_type: ContactType,
    pub outcome: AttendanceOutcome,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    // Added with the whole case record; empty on contacts recorded before, so their content
    // hashes are unchanged.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<chrono::NaiveTime>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_minutes: Option<u16>,
    /// Who was there, as the clinician writes it ("Mum, baby, health visitor").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attendees: Vec<String>,
    /// Interventions used in the session.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interventions: Vec<String>,
}

/// A clinician has started a note. The text itself stays in the author's private, mutable draft
/// until it is signed; only the fact that a note is in progress is an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NoteDrafted {
    pub note_id: Uuid,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<Uuid>,
    /// The day the note is about (the contact's date), which may be earlier than the day written.
    pub occurred_on: NaiveDate,
}

/// A note is signed: from here on its text never changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NoteSigned {
    pub note_id: Uuid,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<Uuid>,
    pub occurred_on: NaiveDate,
    pub text: String,
}

/// A correction or later information appended to a signed note, with the reason for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AddendumAdded {
    pub addendum_id: Uuid,
    pub note_id: Uuid,
    pub reason: String,
    pub text: String,
}

/// A detail of the family that can change over time (unlike a signed note).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DetailField {
    FamilyName,
    ParentName,
    Phone,
    Address,
    SafeTimesToCall,
}

impl DetailField {
    pub const ALL: [DetailField; 5] =
        [DetailField::FamilyName, DetailField::ParentName, DetailField::Phone, DetailField::Address, DetailField::SafeTimesToCall];

    pub fn label(self) -> &'static str {
        match self {
            DetailField::FamilyName => "Family name",
            DetailField::ParentName => "Parent's name",
            DetailField::Phone => "Phone number",
            DetailField::Address => "Address",
            DetailField::SafeTimesToCall => "Safe times to call",
        }
    }
}

/// A clinician changed one detail. `based_on` names the version(s) of the field they saw, so two
/// changes made without seeing each other are both kept and shown as a conflict for a person to
/// resolve, never silently overwritten. A resolution is simply a change based on every version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DetailChanged {
    pub field: DetailField,
    /// `None` clears the detail.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub based_on: Vec<Uuid>,
}

/// Why a piece of input cannot become an event. Each message is a sentence a clinician can act on.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValidationError {
    #[error("{field} is empty; please fill it in")]
    Empty { field: &'static str },
    #[error("{field} is too long ({len} characters); the most allowed is {max}")]
    TooLong { field: &'static str, len: usize, max: usize },
    #[error("{field} {date} is in the future; please check the date")]
    InFuture { field: &'static str, date: NaiveDate },
    #[error("{field} {date} is implausible: {why}")]
    Implausible { field: &'static str, date: NaiveDate, why: &'static str },
    #[error("give either a due date or an infant's date of birth, not both")]
    DueDateAndInfant,
    /// A due date too far ahead or too long passed to describe a pregnancy (the age rules' sentence).
    #[error("{0}")]
    DueDate(crate::age::AgeError),
    #[error("{field} is not in a form Casebook can use: {why}")]
    Malformed { field: &'static str, why: &'static str },
    /// A rule of the record, said as the whole sentence after "Casebook could not save this: ".
    #[error("{why}")]
    Rule { why: &'static str },
    /// An outcome measure's items do not fit the measure (the measure's own sentence).
    #[error("{message}")]
    Measure { message: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EventError {
    #[error("the stored details of a {kind} event could not be read ({reason})")]
    UnreadablePayload { kind: String, reason: String },
    #[error("event {id} does not match its content hash; it has been altered or corrupted")]
    HashMismatch { id: Uuid },
}

pub const MAX_NAME_LEN: usize = 200;
pub const MAX_NOTE_LEN: usize = 100_000;
pub const MAX_REASON_LEN: usize = 1_000;

pub(crate) fn required(field: &'static str, value: &str, max: usize) -> Result<(), ValidationError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ValidationError::Empty { field });
    }
    let len = value.chars().count();
    if len > max {
        return Err(ValidationError::TooLong { field, len, max });
    }
    Ok(())
}

pub(crate) fn optional(field: &'static str, value: &Option<String>, max: usize) -> Result<(), ValidationError> {
    match value {
        Some(v) => required(field, v, max),
        None => Ok(()),
    }
}

/// A date a record is about: not after `today`, and not before 1900 (a year mistyped as 0001 or a
/// dead clock), whichever form or command it came from.
pub(crate) fn not_future(field: &'static str, date: NaiveDate, today: NaiveDate) -> Result<(), ValidationError> {
    if date > today {
        return Err(ValidationError::InFuture { field, date });
    }
    if date < crate::admission::EARLIEST_DATE {
        return Err(ValidationError::Implausible { field, date, why: "it is before 1900" });
    }
    Ok(())
}

impl EventBody {
    /// Checks the body as entered, against `today` on the writing device. Remote events are not
    /// re-validated against our own date: a colleague's clock may be a day different.
    pub fn validate(&self, today: NaiveDate) -> Result<(), ValidationError> {
        match self {
            EventBody::CaseOpened(c) => {
                required("Family name", &c.family_name, MAX_NAME_LEN)?;
                if let Some(p) = &c.parent {
                    required("Parent's name", &p.name, MAX_NAME_LEN)?;
                }
                if c.due_date.is_some() && c.infant.is_some() {
                    return Err(ValidationError::DueDateAndInfant);
                }
                if let Some(due) = c.due_date {
                    // The same range the case header describes, so an accepted due date is never one
                    // the header then leaves blank.
                    crate::age::check_due_date(due, today).map_err(ValidationError::DueDate)?;
                }
                if let Some(infant) = &c.infant {
                    optional("Infant's name", &infant.name, MAX_NAME_LEN)?;
                    not_future("Date of birth", infant.date_of_birth, today)?;
                    if infant.date_of_birth + chrono::Days::new(366 * 5) < today {
                        return Err(ValidationError::Implausible {
                            field: "Date of birth",
                            date: infant.date_of_birth,
                            why: "the child would be over five years old",
                        });
                    }
                }
                Ok(())
            }
            EventBody::ContactRecorded(c) => {
                not_future("Contact date", c.date, today)?;
                optional("Location", &c.location, MAX_NAME_LEN)?;
                if c.duration_minutes == Some(0) || c.duration_minutes.is_some_and(|m| m > 12 * 60) {
                    return Err(ValidationError::Rule { why: "the duration should be between 1 minute and 12 hours" });
                }
                for a in c.attendees.iter().chain(&c.interventions) {
                    required("Attendees and interventions", a, MAX_NAME_LEN)?;
                }
                Ok(())
            }
            EventBody::NoteDrafted(n) => not_future("Date of the contact", n.occurred_on, today),
            EventBody::NoteSigned(n) => {
                not_future("Date of the contact", n.occurred_on, today)?;
                required("Note text", &n.text, MAX_NOTE_LEN)
            }
            EventBody::AddendumAdded(a) => {
                required("Reason for the addendum", &a.reason, MAX_REASON_LEN)?;
                required("Addendum text", &a.text, MAX_NOTE_LEN)
            }
            EventBody::DetailChanged(d) => {
                let label = d.field.label();
                match (&d.value, d.field) {
                    (None, DetailField::FamilyName) => Err(ValidationError::Empty { field: label }),
                    (None, _) => Ok(()),
                    (Some(v), DetailField::Phone) => {
                        required(label, v, 30)?;
                        if !v.chars().all(|c| c.is_ascii_digit() || " +()-".contains(c)) || v.chars().filter(char::is_ascii_digit).count() < 6 {
                            return Err(ValidationError::Malformed { field: label, why: "use digits, spaces and + only, for example 01234 567890" });
                        }
                        Ok(())
                    }
                    (Some(v), DetailField::Address) => required(label, v, 500),
                    (Some(v), _) => required(label, v, MAX_NAME_LEN),
                }
            }
            EventBody::ReferralReceived(r) => validate_referral(r, today),
            EventBody::ReferralStatusChanged(r) => validate_status(r, today),
            EventBody::ConsultationRecorded(c) => validate_consultation(c, today),
            EventBody::PersonRecorded(p) => validate_person(p, today),
            EventBody::ContactPlanned(c) => validate_planned(c),
            EventBody::MeasureRecorded(m) => validate_measure(m, today),
            EventBody::RiskAssessed(r) => validate_risk(r, today),
            EventBody::AlertRaised(a) => required("Alert", &a.text, MAX_REASON_LEN),
            EventBody::AlertCleared(a) => required("Reason for clearing the alert", &a.reason, MAX_REASON_LEN),
            EventBody::TaskAdded(t) => validate_task(t),
            EventBody::TaskCompleted(_) => Ok(()),
            EventBody::CaseDischarged(d) => validate_discharge(d, today),
            EventBody::ReferralTakenOn(t) => crate::taken_on::validate_taken_on(t, today),
            EventBody::SupervisionRecorded(s) => crate::supervision::validate_supervision(s, today),
            EventBody::ReferralTriaged(t) => crate::triage::validate_triage(t, today),
        }
    }
}

/// The fields a content hash covers, in a fixed order so every replica computes the same bytes.
#[derive(Serialize)]
struct HashedContent<'a> {
    id: &'a Uuid,
    case_id: &'a Uuid,
    author: &'a str,
    device_id: &'a Uuid,
    device_seq: u64,
    hlc: &'a Hlc,
    recorded_at: &'a DateTime<Utc>,
    payload_version: u16,
    kind: &'a str,
    payload: serde_json::Value,
}

/// The fields of a new event, before its hash is computed.
#[derive(Debug, Clone)]
pub struct EventDraft {
    pub id: Uuid,
    pub case_id: Uuid,
    pub author: String,
    pub device_id: Uuid,
    pub device_seq: u64,
    pub hlc: Hlc,
    pub recorded_at: DateTime<Utc>,
    pub body: EventBody,
}

impl EventDraft {
    pub fn seal(self) -> Event {
        use chrono::SubsecRound;
        let mut event = Event {
            id: self.id,
            case_id: self.case_id,
            author: self.author,
            device_id: self.device_id,
            device_seq: self.device_seq,
            hlc: self.hlc,
            // Microseconds are what every store keeps (SQLite text, PostgreSQL timestamps); finer
            // digits would be lost on the way and the event would no longer match its hash.
            recorded_at: self.recorded_at.trunc_subsecs(6),
            payload_version: PAYLOAD_VERSION,
            body: self.body,
            content_hash: String::new(),
        };
        event.content_hash = event.compute_hash();
        event
    }
}

impl Event {
    pub fn compute_hash(&self) -> String {
        let content = HashedContent {
            id: &self.id,
            case_id: &self.case_id,
            author: &self.author,
            device_id: &self.device_id,
            device_seq: self.device_seq,
            hlc: &self.hlc,
            recorded_at: &self.recorded_at,
            payload_version: self.payload_version,
            kind: self.body.kind(),
            // serde_json's maps are sorted, so a payload that went through a database and back
            // hashes to the same bytes.
            payload: self.body.payload_json(),
        };
        let bytes = serde_json::to_vec(&content).expect("hashed content always serialises");
        hex::encode(Sha256::digest(bytes))
    }

    /// Checks the stored hash against the content: a repeat of an event is harmless, a different
    /// event under the same id is not.
    pub fn verify(&self) -> Result<(), EventError> {
        if self.compute_hash() == self.content_hash {
            Ok(())
        } else {
            Err(EventError::HashMismatch { id: self.id })
        }
    }

    /// The total order every replica folds in: hybrid clock, then device, then event id.
    pub fn order_key(&self) -> (Hlc, Uuid, Uuid) {
        (self.hlc, self.device_id, self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn sample() -> Event {
        EventDraft {
            id: Uuid::now_v7(),
            case_id: Uuid::now_v7(),
            author: "test.clinician".into(),
            device_id: Uuid::new_v4(),
            device_seq: 1,
            hlc: Hlc::new(1_700_000_000_000, 0),
            recorded_at: "2026-11-24T10:00:00Z".parse().unwrap(),
            body: EventBody::NoteSigned(NoteSigned {
                note_id: Uuid::now_v7(),
                contact_id: None,
                occurred_on: d("2026-11-24"),
                text: "Fictional test note.".into(),
            }),
        }
        .seal()
    }

    #[test]
    fn round_trips_through_json_with_kind_and_payload() {
        let e = sample();
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["kind"], "note_signed");
        assert_eq!(json["payload"]["text"], "Fictional test note.");
        let back: Event = serde_json::from_value(json).unwrap();
        assert_eq!(back, e);
        back.verify().unwrap();
    }

    #[test]
    fn recorded_time_is_kept_to_the_microsecond_so_it_survives_storage() {
        let mut draft = EventDraft {
            id: Uuid::now_v7(),
            case_id: Uuid::now_v7(),
            author: "a".into(),
            device_id: Uuid::nil(),
            device_seq: 1,
            hlc: Hlc::ZERO,
            recorded_at: "2026-11-24T10:00:00.123456789Z".parse().unwrap(),
            body: sample().body,
        };
        draft.recorded_at = "2026-11-24T10:00:00.123456789Z".parse().unwrap();
        let e = draft.seal();
        assert_eq!(e.recorded_at.to_rfc3339(), "2026-11-24T10:00:00.123456+00:00");
        let stored: DateTime<Utc> = e.recorded_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true).parse().unwrap();
        assert_eq!(stored, e.recorded_at);
    }

    #[test]
    fn a_changed_event_fails_verification() {
        let mut e = sample();
        if let EventBody::NoteSigned(n) = &mut e.body {
            n.text.push('!');
        }
        assert_eq!(e.verify(), Err(EventError::HashMismatch { id: e.id }));
        let mut e2 = sample();
        e2.author = "someone.else".into();
        assert!(e2.verify().is_err());
    }

    #[test]
    fn from_parts_rebuilds_the_body() {
        let e = sample();
        let body = EventBody::from_parts(e.body.kind(), e.body.payload_json()).unwrap();
        assert_eq!(body, e.body);
        let err = EventBody::from_parts("note_exploded", serde_json::json!({})).unwrap_err();
        assert!(matches!(err, EventError::UnreadablePayload { .. }));
    }

    #[test]
    fn validation_messages_are_plain() {
        let today = d("2026-11-24");
        let empty = EventBody::AddendumAdded(AddendumAdded {
            addendum_id: Uuid::nil(),
            note_id: Uuid::nil(),
            reason: "  ".into(),
            text: "x".into(),
        });
        assert_eq!(
            empty.validate(today).unwrap_err().to_string(),
            "Reason for the addendum is empty; please fill it in"
        );
        let future = EventBody::ContactRecorded(ContactRecorded {
            contact_id: Uuid::nil(),
            date: d("2026-11-25"),
            contact_type: ContactType::HomeVisit,
            outcome: AttendanceOutcome::Attended,
            location: None,
            started_at: None,
            duration_minutes: None,
            attendees: vec![],
            interventions: vec![],
        });
        assert_eq!(
            future.validate(today).unwrap_err().to_string(),
            "Contact date 2026-11-25 is in the future; please check the date"
        );
    }

    #[test]
    fn case_opened_rules() {
        let today = d("2026-11-24");
        let base = CaseOpened { family_name: "Testfamily".into(), parent: None, due_date: None, infant: None, to_team_inbox: false };
        let ok = |c: CaseOpened| EventBody::CaseOpened(c).validate(today);
        assert!(ok(base.clone()).is_ok());
        assert!(ok(CaseOpened { due_date: Some(d("2027-03-01")), ..base.clone() }).is_ok());
        assert_eq!(
            ok(CaseOpened { due_date: Some(d("2028-03-01")), ..base.clone() }).unwrap_err().to_string(),
            "the due date 2028-03-01 is more than 40 weeks after 2026-11-24; check the due date"
        );
        assert!(ok(CaseOpened { due_date: Some(d("2026-08-01")), ..base.clone() }).is_err());
        let infant = Infant { name: None, date_of_birth: d("2026-10-01") };
        assert!(ok(CaseOpened { infant: Some(infant.clone()), ..base.clone() }).is_ok());
        assert_eq!(
            ok(CaseOpened { infant: Some(infant), due_date: Some(d("2027-01-01")), ..base.clone() }),
            Err(ValidationError::DueDateAndInfant)
        );
        let unborn = Infant { name: None, date_of_birth: d("2026-12-01") };
        assert!(ok(CaseOpened { infant: Some(unborn), ..base.clone() }).is_err());
        assert!(ok(CaseOpened { family_name: " ".into(), ..base.clone() }).is_err());
        assert!(ok(CaseOpened { family_name: "x".repeat(201), ..base }).is_err());
    }
}

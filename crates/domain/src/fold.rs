//! The fold from a case's events to its current state.
//!
//! Deterministic by construction: the events are de-duplicated by id and sorted by
//! (HLC, device, event id) before they are applied, so any replica holding the same events computes
//! the same state whatever order they arrived in. Nothing is ever dropped silently: an event that
//! cannot apply (an addendum to a note this replica has not seen yet, a second "case opened") is
//! kept in `unplaced` and shown, never discarded.

use crate::clock::Hlc;
use crate::event::{AttendanceOutcome, ContactType, DetailField, Event, EventBody, Infant, Person};
use crate::record::{CaseRecord, RecordFold, Written};
use crate::vocab::ReferralStatus;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use ts_rs::TS;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CaseState {
    pub case_id: Uuid,
    /// `None` until this replica holds the event that opened the case.
    pub details: Option<CaseDetails>,
    pub contacts: Vec<Contact>,
    pub signed_notes: Vec<SignedNote>,
    /// Notes a clinician has started but not signed (their text is private to the author).
    pub notes_in_progress: Vec<NoteInProgress>,
    /// Events that could not be placed, kept visible rather than dropped.
    pub unplaced: Vec<Unplaced>,
    /// Every changeable detail that has a value or a conflict, in a fixed order.
    pub fields: Vec<FieldState>,
    /// Details changed on two laptops without either seeing the other: both values are kept until
    /// a person chooses.
    pub conflicts: Vec<FieldState>,
    /// Everything that happened, in the order it happened (by date, then by clock).
    pub chronology: Vec<ChronologyEntry>,
    /// When the most recent event was written, for "last activity".
    pub last_recorded_at: Option<DateTime<Utc>>,
    /// Referral, family, measures, risk, alerts, tasks, discharge.
    pub record: CaseRecord,
    /// Things that should never happen and need a person (the team lead) to look: a second
    /// signature of a note already signed. Both texts are kept; the record shows the first.
    pub integrity_problems: Vec<IntegrityProblem>,
}

/// A second signature of a note: its text, author and time, kept beside the signature the record
/// shows (the one the team's central store took in first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct IntegrityProblem {
    pub note_id: Uuid,
    /// The signature the record shows.
    pub kept_event_id: Uuid,
    /// The other signature.
    pub event_id: Uuid,
    pub author: String,
    pub signed_at: DateTime<Utc>,
    pub text: String,
    pub why: String,
}

/// When the team's central store took an event in: its place in the central store's order, and
/// its own clock's time. Known for every event the laptop has sent or received; absent for what
/// is still waiting to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub seq: u64,
    pub received_at: Option<DateTime<Utc>>,
    /// A sentence for the team lead when the central store took the event in with a reservation.
    pub flag: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CaseDetails {
    pub family_name: String,
    pub parent: Option<Person>,
    pub due_date: Option<NaiveDate>,
    pub infant: Option<Infant>,
    pub opened_by: String,
    pub opened_at: DateTime<Utc>,
    /// Logged as a referral for the team's inbox (see [`crate::CaseOpened::to_team_inbox`]).
    #[serde(default)]
    pub to_team_inbox: bool,
}

/// One changeable detail: its current value, or the values in conflict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FieldState {
    pub field: DetailField,
    /// The value shown; while in conflict, the most recently written candidate.
    pub value: Option<String>,
    /// The versions nothing has replaced yet: one normally, two or more in a conflict. A change
    /// (or a resolution) names all of them in `based_on`.
    pub versions: Vec<FieldVersion>,
    pub in_conflict: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FieldVersion {
    pub event_id: Uuid,
    pub value: Option<String>,
    pub author: String,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Contact {
    pub contact_id: Uuid,
    pub date: NaiveDate,
    pub contact_type: ContactType,
    pub outcome: AttendanceOutcome,
    pub location: Option<String>,
    pub started_at: Option<chrono::NaiveTime>,
    pub duration_minutes: Option<u16>,
    pub attendees: Vec<String>,
    pub interventions: Vec<String>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SignedNote {
    pub note_id: Uuid,
    pub contact_id: Option<Uuid>,
    /// The day the note is about.
    pub occurred_on: NaiveDate,
    pub text: String,
    pub author: String,
    /// When it was signed (the signing device's wall clock).
    pub signed_at: DateTime<Utc>,
    /// Written on a later day than the contact it records.
    pub late_entry: bool,
    pub event_id: Uuid,
    pub addenda: Vec<Addendum>,
    /// When the team's central store received it, if the laptop knows; shown beside the signing
    /// time when the two are more than a day apart (a laptop offline for days, or a wrong clock).
    pub received_at: Option<DateTime<Utc>>,
    /// What the central store noted for the team lead when it took the note in, if anything.
    pub flag: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Addendum {
    pub addendum_id: Uuid,
    pub note_id: Uuid,
    pub reason: String,
    pub text: String,
    pub author: String,
    pub added_at: DateTime<Utc>,
    pub event_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NoteInProgress {
    pub note_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub occurred_on: NaiveDate,
    pub author: String,
    pub started_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Unplaced {
    pub event_id: Uuid,
    pub kind: String,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ChronologyEntry {
    /// The day it happened.
    pub date: NaiveDate,
    /// When it was written.
    pub recorded_at: DateTime<Utc>,
    pub author: String,
    pub event_id: Uuid,
    pub item: ChronologyItem,
}

/// What a chronology line refers to; the details are in the state's lists, by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum ChronologyItem {
    CaseOpened,
    Contact { contact_id: Uuid },
    Note { note_id: Uuid },
    Addendum { note_id: Uuid, addendum_id: Uuid },
    DetailChanged { field: DetailField },
    Referral,
    ReferralStatus { status: ReferralStatus },
    ReferralTakenOn,
    Supervision { supervision_id: Uuid },
    Triage { triage_id: Uuid },
    Consultation { consultation_id: Uuid },
    Person { person_id: Uuid },
    ContactPlanned { contact_id: Uuid },
    Measure { measure_id: Uuid },
    Risk { assessment_id: Uuid },
    Alert { alert_id: Uuid },
    AlertCleared { alert_id: Uuid },
    Task { task_id: Uuid },
    TaskCompleted { task_id: Uuid },
    Discharge,
}

impl CaseState {
    pub fn empty(case_id: Uuid) -> Self {
        CaseState {
            case_id,
            details: None,
            contacts: Vec::new(),
            signed_notes: Vec::new(),
            notes_in_progress: Vec::new(),
            unplaced: Vec::new(),
            fields: Vec::new(),
            conflicts: Vec::new(),
            chronology: Vec::new(),
            last_recorded_at: None,
            record: CaseRecord::default(),
            integrity_problems: Vec::new(),
        }
    }

    pub fn signed_note(&self, note_id: Uuid) -> Option<&SignedNote> {
        self.signed_notes.iter().find(|n| n.note_id == note_id)
    }

    pub fn field(&self, field: DetailField) -> Option<&FieldState> {
        self.fields.iter().find(|f| f.field == field)
    }

    /// The versions a change of `field` made now would be based on.
    pub fn based_on(&self, field: DetailField) -> Vec<Uuid> {
        self.field(field).map(|f| f.versions.iter().map(|v| v.event_id).collect()).unwrap_or_default()
    }
}

/// Folds a case's events, in any order and with any repeats, into its current state.
/// Events of other cases are ignored (and reported as unplaced).
pub fn fold(case_id: Uuid, events: &[Event]) -> CaseState {
    fold_received(case_id, events, &HashMap::new())
}

/// As [`fold`], knowing when the central store received each event it has seen. Should a note
/// ever be signed twice, the signature the central store took in first is the note (never the
/// one whose laptop clock claims to be earlier: a clock can be forged); the other is kept as an
/// integrity problem. A signature the central store has not received yet comes after all it has.
pub fn fold_received(case_id: Uuid, events: &[Event], receipts: &HashMap<Uuid, Receipt>) -> CaseState {
    let mut seen = HashSet::new();
    let mut ordered: Vec<&Event> = events.iter().filter(|e| seen.insert(e.id)).collect();
    ordered.sort_by_key(|e| e.order_key());
    let server_order = |e: &Event| (receipts.get(&e.id).map_or(u64::MAX, |r| r.seq), e.order_key());
    let mut first_signature: HashMap<Uuid, &Event> = HashMap::new();
    for e in &ordered {
        if let (EventBody::NoteSigned(n), true) = (&e.body, e.case_id == case_id) {
            let first = first_signature.entry(n.note_id).or_insert(e);
            if server_order(e) < server_order(first) {
                *first = e;
            }
        }
    }

    let mut state = CaseState::empty(case_id);
    let mut notes: BTreeMap<Uuid, usize> = BTreeMap::new();
    let mut in_progress: BTreeMap<Uuid, NoteInProgress> = BTreeMap::new();
    let mut chronology: Vec<(NaiveDate, Hlc, Uuid, Uuid, ChronologyEntry)> = Vec::new();
    let mut contact_ids = HashSet::new();
    let mut addendum_ids = HashSet::new();
    // Per field: every version in fold order, and the versions some later change replaced.
    let mut versions: BTreeMap<DetailField, Vec<FieldVersion>> = BTreeMap::new();
    let mut replaced: HashSet<Uuid> = HashSet::new();
    let mut addenda: Vec<&Event> = Vec::new();
    let mut record = RecordFold::default();

    for e in ordered {
        let unplaced = |why: &str| Unplaced { event_id: e.id, kind: e.body.kind().to_string(), why: why.to_string() };
        if e.case_id != case_id {
            state.unplaced.push(unplaced("belongs to another case"));
            continue;
        }
        state.last_recorded_at = Some(state.last_recorded_at.map_or(e.recorded_at, |t| t.max(e.recorded_at)));
        let mut entry = |date: NaiveDate, item: ChronologyItem| {
            chronology.push((
                date,
                e.hlc,
                e.device_id,
                e.id,
                ChronologyEntry { date, recorded_at: e.recorded_at, author: e.author.clone(), event_id: e.id, item },
            ))
        };
        match &e.body {
            EventBody::CaseOpened(c) => {
                if state.details.is_some() {
                    state.unplaced.push(unplaced("the case was already opened by an earlier entry"));
                    continue;
                }
                let version = |value: Option<String>| FieldVersion {
                    event_id: e.id,
                    value,
                    author: e.author.clone(),
                    recorded_at: e.recorded_at,
                };
                versions.entry(DetailField::FamilyName).or_default().push(version(Some(c.family_name.clone())));
                if let Some(p) = &c.parent {
                    versions.entry(DetailField::ParentName).or_default().push(version(Some(p.name.clone())));
                }
                state.details = Some(CaseDetails {
                    family_name: c.family_name.clone(),
                    parent: c.parent.clone(),
                    due_date: c.due_date,
                    infant: c.infant.clone(),
                    opened_by: e.author.clone(),
                    opened_at: e.recorded_at,
                    to_team_inbox: c.to_team_inbox,
                });
                entry(e.recorded_at.date_naive(), ChronologyItem::CaseOpened);
            }
            EventBody::ContactRecorded(c) => {
                if !contact_ids.insert(c.contact_id) {
                    state.unplaced.push(unplaced("a contact with this reference was already recorded"));
                    continue;
                }
                state.contacts.push(Contact {
                    contact_id: c.contact_id,
                    date: c.date,
                    contact_type: c.contact_type,
                    outcome: c.outcome,
                    location: c.location.clone(),
                    started_at: c.started_at,
                    duration_minutes: c.duration_minutes,
                    attendees: c.attendees.clone(),
                    interventions: c.interventions.clone(),
                    recorded_by: e.author.clone(),
                    recorded_at: e.recorded_at,
                });
                record.contact_recorded(c.contact_id, c.date, c.outcome == AttendanceOutcome::Attended);
                entry(c.date, ChronologyItem::Contact { contact_id: c.contact_id });
            }
            EventBody::NoteDrafted(n) => {
                if !notes.contains_key(&n.note_id) {
                    in_progress.entry(n.note_id).or_insert_with(|| NoteInProgress {
                        note_id: n.note_id,
                        contact_id: n.contact_id,
                        occurred_on: n.occurred_on,
                        author: e.author.clone(),
                        started_at: e.recorded_at,
                    });
                }
            }
            EventBody::NoteSigned(n) => {
                let kept = first_signature[&n.note_id];
                if kept.id != e.id {
                    state.integrity_problems.push(IntegrityProblem {
                        note_id: n.note_id,
                        kept_event_id: kept.id,
                        event_id: e.id,
                        author: e.author.clone(),
                        signed_at: e.recorded_at,
                        text: n.text.clone(),
                        why: "This note was signed a second time; signed notes never change, so the record keeps the signature the team received first."
                            .into(),
                    });
                    continue;
                }
                in_progress.remove(&n.note_id);
                notes.insert(n.note_id, state.signed_notes.len());
                state.signed_notes.push(SignedNote {
                    note_id: n.note_id,
                    contact_id: n.contact_id,
                    occurred_on: n.occurred_on,
                    text: n.text.clone(),
                    author: e.author.clone(),
                    signed_at: e.recorded_at,
                    late_entry: e.recorded_at.date_naive() > n.occurred_on,
                    event_id: e.id,
                    addenda: Vec::new(),
                    received_at: receipts.get(&e.id).and_then(|r| r.received_at),
                    flag: receipts.get(&e.id).and_then(|r| r.flag.clone()),
                });
                entry(n.occurred_on, ChronologyItem::Note { note_id: n.note_id });
            }
            EventBody::DetailChanged(d) => {
                versions.entry(d.field).or_default().push(FieldVersion {
                    event_id: e.id,
                    value: d.value.clone(),
                    author: e.author.clone(),
                    recorded_at: e.recorded_at,
                });
                replaced.extend(d.based_on.iter().copied());
                entry(e.recorded_at.date_naive(), ChronologyItem::DetailChanged { field: d.field });
            }
            // Attached after every note is in place: an addendum written on a laptop whose clock
            // is behind can sort before its note, and must still land under it.
            EventBody::AddendumAdded(_) => addenda.push(e),
            body => {
                let w = Written { id: e.id, author: &e.author, recorded_at: e.recorded_at };
                let placed = match body {
                    EventBody::ReferralReceived(r) => record.referral(&w, r).map(|d| (d, ChronologyItem::Referral)),
                    EventBody::ReferralStatusChanged(r) => {
                        record.status(&w, r).map(|d| (d, ChronologyItem::ReferralStatus { status: r.status }))
                    }
                    EventBody::ReferralTakenOn(t) => record.taken_on(&w, t).map(|d| (d, ChronologyItem::ReferralTakenOn)),
                    EventBody::SupervisionRecorded(s) => record
                        .supervision(&w, s)
                        .map(|d| (d, ChronologyItem::Supervision { supervision_id: s.supervision_id })),
                    EventBody::ReferralTriaged(t) => record.triaged(&w, t).map(|d| (d, ChronologyItem::Triage { triage_id: t.triage_id })),
                    EventBody::ConsultationRecorded(c) => record
                        .consultation(&w, c)
                        .map(|d| (d, ChronologyItem::Consultation { consultation_id: c.consultation_id })),
                    EventBody::PersonRecorded(p) => Ok((record.person(&w, p), ChronologyItem::Person { person_id: p.person_id })),
                    EventBody::ContactPlanned(c) => {
                        record.planned(&w, c).map(|d| (d, ChronologyItem::ContactPlanned { contact_id: c.contact_id }))
                    }
                    EventBody::MeasureRecorded(m) => {
                        record.measure(&w, m).map(|d| (d, ChronologyItem::Measure { measure_id: m.measure_id }))
                    }
                    EventBody::RiskAssessed(r) => {
                        record.risk(&w, r).map(|d| (d, ChronologyItem::Risk { assessment_id: r.assessment_id }))
                    }
                    EventBody::AlertRaised(a) => record.alert(&w, a).map(|d| (d, ChronologyItem::Alert { alert_id: a.alert_id })),
                    EventBody::AlertCleared(a) => {
                        record.alert_cleared(&w, a).map(|d| (d, ChronologyItem::AlertCleared { alert_id: a.alert_id }))
                    }
                    EventBody::TaskAdded(t) => record.task(&w, t).map(|d| (d, ChronologyItem::Task { task_id: t.task_id })),
                    EventBody::TaskCompleted(t) => {
                        record.task_done(&w, t).map(|d| (d, ChronologyItem::TaskCompleted { task_id: t.task_id }))
                    }
                    EventBody::CaseDischarged(d) => record.discharge(&w, d).map(|day| (day, ChronologyItem::Discharge)),
                    EventBody::CaseOpened(_)
                    | EventBody::ContactRecorded(_)
                    | EventBody::NoteDrafted(_)
                    | EventBody::NoteSigned(_)
                    | EventBody::DetailChanged(_)
                    | EventBody::AddendumAdded(_) => unreachable!("handled above"),
                };
                match placed {
                    Ok((date, item)) => entry(date, item),
                    Err(why) => state.unplaced.push(unplaced(&why)),
                }
            }
        }
    }

    for e in addenda {
        let EventBody::AddendumAdded(a) = &e.body else { continue };
        let unplaced = |why: &str| Unplaced { event_id: e.id, kind: e.body.kind().to_string(), why: why.to_string() };
        let Some(&index) = notes.get(&a.note_id) else {
            state.unplaced.push(unplaced("an addendum to a note this laptop does not have yet"));
            continue;
        };
        if !addendum_ids.insert(a.addendum_id) {
            state.unplaced.push(unplaced("an addendum with this reference was already added"));
            continue;
        }
        state.signed_notes[index].addenda.push(Addendum {
            addendum_id: a.addendum_id,
            note_id: a.note_id,
            reason: a.reason.clone(),
            text: a.text.clone(),
            author: e.author.clone(),
            added_at: e.recorded_at,
            event_id: e.id,
        });
        let date = e.recorded_at.date_naive();
        chronology.push((
            date,
            e.hlc,
            e.device_id,
            e.id,
            ChronologyEntry {
                date,
                recorded_at: e.recorded_at,
                author: e.author.clone(),
                event_id: e.id,
                item: ChronologyItem::Addendum { note_id: a.note_id, addendum_id: a.addendum_id },
            },
        ));
    }

    for (field, all) in versions {
        // Heads are the versions no change has replaced; they are already in fold order, so the
        // last is the most recently written.
        let heads: Vec<FieldVersion> = all.into_iter().filter(|v| !replaced.contains(&v.event_id)).collect();
        let Some(latest) = heads.last() else { continue };
        let distinct: HashSet<&Option<String>> = heads.iter().map(|v| &v.value).collect();
        let fs = FieldState { field, value: latest.value.clone(), in_conflict: distinct.len() > 1, versions: heads };
        if fs.in_conflict {
            state.conflicts.push(fs.clone());
        }
        state.fields.push(fs);
    }
    if let Some(details) = state.details.as_mut() {
        if let Some(name) = state.fields.iter().find(|f| f.field == DetailField::FamilyName).and_then(|f| f.value.clone()) {
            details.family_name = name;
        }
        details.parent = state
            .fields
            .iter()
            .find(|f| f.field == DetailField::ParentName)
            .and_then(|f| f.value.clone())
            .map(|name| Person { name });
    }
    state.notes_in_progress = in_progress.into_values().collect();
    state.record = record.finish();
    chronology.sort_by_key(|c| (c.0, c.1, c.2, c.3));
    state.chronology = chronology.into_iter().map(|c| c.4).collect();
    state
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::*;
    use crate::testing::Laptop;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    const T0: u64 = 1_795_514_400_000; // 2026-11-24 10:00 UTC

    fn story() -> (Uuid, Vec<Event>) {
        let case = Uuid::now_v7();
        let mut a = Laptop::new("clinician.one");
        let mut b = Laptop::new("clinician.two");
        let note = Uuid::now_v7();
        let contact = Uuid::now_v7();
        let events = vec![
            a.write_at(
                case,
                T0,
                EventBody::CaseOpened(CaseOpened {
                    family_name: "Testfamily".into(),
                    parent: Some(Person { name: "Parent A".into() }),
                    due_date: Some(day("2027-02-01")),
                    infant: None,
                    to_team_inbox: false,
                }),
            ),
            a.write_at(
                case,
                T0 + 10,
                EventBody::ContactRecorded(ContactRecorded {
                    contact_id: contact,
                    date: day("2026-11-20"),
                    contact_type: ContactType::HomeVisit,
                    outcome: AttendanceOutcome::Attended,
                    location: None,
                    started_at: None,
                    duration_minutes: None,
                    attendees: vec![],
                    interventions: vec![],
                }),
            ),
            a.write_at(
                case,
                T0 + 20,
                EventBody::NoteDrafted(NoteDrafted { note_id: note, contact_id: Some(contact), occurred_on: day("2026-11-20") }),
            ),
            a.write_at(
                case,
                T0 + 30,
                EventBody::NoteSigned(NoteSigned {
                    note_id: note,
                    contact_id: Some(contact),
                    occurred_on: day("2026-11-20"),
                    text: "Fictional session record.".into(),
                }),
            ),
            b.write_at(
                case,
                T0 + 40,
                EventBody::AddendumAdded(AddendumAdded {
                    addendum_id: Uuid::now_v7(),
                    note_id: note,
                    reason: "Date of next visit corrected".into(),
                    text: "Next visit is Thursday.".into(),
                }),
            ),
        ];
        (case, events)
    }

    #[test]
    fn folds_a_simple_story() {
        let (case, events) = story();
        let s = fold(case, &events);
        let details = s.details.as_ref().unwrap();
        assert_eq!(details.family_name, "Testfamily");
        assert_eq!(details.opened_by, "clinician.one");
        assert_eq!(s.contacts.len(), 1);
        assert_eq!(s.signed_notes.len(), 1);
        assert!(s.notes_in_progress.is_empty(), "signing ends the draft");
        let note = &s.signed_notes[0];
        assert!(note.late_entry, "written on 24 Nov about 20 Nov");
        assert_eq!(note.addenda.len(), 1);
        assert_eq!(note.addenda[0].author, "clinician.two");
        assert!(s.unplaced.is_empty());
        // contact and note happened on the 20th, before the case-opened entry dated the 24th
        assert!(matches!(s.chronology[0].item, ChronologyItem::Contact { .. }));
        assert!(matches!(s.chronology.last().unwrap().item, ChronologyItem::Addendum { .. }));
    }

    #[test]
    fn a_second_signing_of_the_same_note_never_replaces_the_first() {
        let (case, mut events) = story();
        let note_id = match &events[3].body {
            EventBody::NoteSigned(n) => n.note_id,
            _ => unreachable!(),
        };
        let mut forger = Laptop::new("clinician.one");
        events.push(forger.write_at(
            case,
            T0 + 50,
            EventBody::NoteSigned(NoteSigned {
                note_id,
                contact_id: None,
                occurred_on: day("2026-11-20"),
                text: "Rewritten".into(),
            }),
        ));
        let s = fold(case, &events);
        assert_eq!(s.signed_notes[0].text, "Fictional session record.");
        assert_eq!(s.integrity_problems.len(), 1);
        assert_eq!(s.integrity_problems[0].text, "Rewritten", "the second text is kept, for the lead to see");
        assert!(s.unplaced.is_empty());
    }

    #[test]
    fn a_forged_earlier_clock_does_not_win_over_what_the_central_store_received_first() {
        let (case, mut events) = story();
        let original = events[3].clone();
        let note_id = match &original.body {
            EventBody::NoteSigned(n) => n.note_id,
            _ => unreachable!(),
        };
        // The forger's clock claims to be long before the author's signature.
        let mut forger = Laptop::new("lead.forger");
        let forged = forger.write_at(
            case,
            1_000,
            EventBody::NoteSigned(NoteSigned { note_id, contact_id: None, occurred_on: day("2026-11-20"), text: "Forged".into() }),
        );
        events.push(forged.clone());
        let at = |seq: u64| Receipt { seq, received_at: None, flag: None };
        let receipts: HashMap<Uuid, Receipt> = [(original.id, at(10)), (forged.id, at(11))].into();
        let s = fold_received(case, &events, &receipts);
        let note = s.signed_note(note_id).unwrap();
        assert_eq!((note.text.as_str(), note.author.as_str()), ("Fictional session record.", "clinician.one"));
        assert_eq!(s.integrity_problems[0].event_id, forged.id);
        // Without knowing the central store's order, the laptop-only view would have been fooled:
        // that is why every laptop folds with receipts.
        assert_eq!(fold(case, &events).signed_note(note_id).unwrap().text, "Forged");
        // Not yet received by anyone comes after everything received.
        let receipts: HashMap<Uuid, Receipt> = [(original.id, at(10))].into();
        assert_eq!(fold_received(case, &events, &receipts).signed_note(note_id).unwrap().text, "Fictional session record.");
    }

    #[test]
    fn an_addendum_without_its_note_is_kept_visible() {
        let (case, events) = story();
        let without_note: Vec<Event> = events.into_iter().filter(|e| e.body.kind() != "note_signed").collect();
        let s = fold(case, &without_note);
        assert_eq!(s.unplaced.len(), 1);
        assert_eq!(s.unplaced[0].kind, "addendum_added");
        assert_eq!(s.notes_in_progress.len(), 1);
    }

    #[test]
    fn an_addendum_from_a_laptop_with_a_slow_clock_still_lands_under_its_note() {
        let (case, mut events) = story();
        let note_id = match &events[3].body {
            EventBody::NoteSigned(n) => n.note_id,
            _ => unreachable!(),
        };
        // Two days behind the note's clock: the addendum sorts before the note it corrects.
        let mut slow = Laptop::new("clinician.slow");
        events.push(slow.write_at(
            case,
            T0 - 172_800_000,
            EventBody::AddendumAdded(AddendumAdded {
                addendum_id: Uuid::now_v7(),
                note_id,
                reason: "Correction".into(),
                text: "Written on a slow laptop".into(),
            }),
        ));
        let s = fold(case, &events);
        assert!(s.unplaced.is_empty(), "{:?}", s.unplaced);
        assert_eq!(s.signed_notes[0].addenda.len(), 2);
    }

    #[test]
    fn duplicates_count_once() {
        let (case, events) = story();
        let mut doubled = events.clone();
        doubled.extend(events.iter().cloned());
        assert_eq!(fold(case, &doubled), fold(case, &events));
    }

    proptest! {
        /// Any arrival order of a case's events, with any repeats, folds to the same state.
        #[test]
        fn any_permutation_folds_to_the_same_state(
            order_keys in proptest::collection::vec(any::<u64>(), 64),
            repeats in proptest::collection::vec(any::<proptest::sample::Index>(), 0..8),
            extra_writers in 1usize..4,
            skews in proptest::collection::vec(-172_800_000i64..172_800_000, 4),
        ) {
            let (case, mut events) = story();
            // More notes and addenda from other devices whose clocks are skewed by up to two days
            // either way.
            let mut writers: Vec<Laptop> = (0..extra_writers).map(|i| Laptop::new(&format!("clinician.{i}"))).collect();
            for (i, w) in writers.iter_mut().enumerate() {
                let wall = (T0 as i64 + skews[i]) as u64;
                let note = Uuid::now_v7();
                events.push(w.write_at(case, wall, EventBody::NoteSigned(NoteSigned {
                    note_id: note, contact_id: None, occurred_on: day("2026-11-21"), text: format!("Note {i}"),
                })));
                events.push(w.write_at(case, wall + 1, EventBody::AddendumAdded(AddendumAdded {
                    addendum_id: Uuid::now_v7(), note_id: note, reason: "Clarification".into(), text: "More".into(),
                })));
            }
            let reference = fold(case, &events);
            prop_assert_eq!(reference.signed_notes.len(), 1 + extra_writers);
            let mut arrived: Vec<(u64, Event)> =
                events.iter().cloned().enumerate().map(|(i, e)| (order_keys[i], e)).collect();
            for r in &repeats {
                let e = r.get(&events).clone();
                arrived.push((order_keys[arrived.len() % order_keys.len()], e));
            }
            arrived.sort_by_key(|(k, _)| *k);
            let arrived: Vec<Event> = arrived.into_iter().map(|(_, e)| e).collect();
            prop_assert_eq!(fold(case, &arrived), reference);
        }
    }

    fn change(w: &mut Laptop, case: Uuid, wall: u64, field: DetailField, value: &str, based_on: Vec<Uuid>) -> Event {
        w.write_at(case, wall, EventBody::DetailChanged(DetailChanged { field, value: Some(value.into()), based_on }))
    }

    #[test]
    fn concurrent_changes_keep_both_values_until_a_person_resolves() {
        let (case, mut events) = story();
        let mut a = Laptop::new("clinician.one");
        let mut b = Laptop::new("clinician.two");
        let first = change(&mut a, case, T0 + 100, DetailField::Phone, "01234 000001", vec![]);
        events.push(first.clone());
        let base = fold(case, &events).based_on(DetailField::Phone);
        assert_eq!(base, vec![first.id]);
        // Sequential: replaces, no conflict.
        let second = change(&mut a, case, T0 + 200, DetailField::Phone, "01234 000002", base.clone());
        events.push(second.clone());
        let s = fold(case, &events);
        assert_eq!(s.field(DetailField::Phone).unwrap().value.as_deref(), Some("01234 000002"));
        assert!(s.conflicts.is_empty());
        // Two laptops offline, both based on the second version.
        let x = change(&mut a, case, T0 + 300, DetailField::Phone, "01234 000003", vec![second.id]);
        let y = change(&mut b, case, T0 + 301, DetailField::Phone, "07700 900004", vec![second.id]);
        events.push(x.clone());
        events.push(y.clone());
        let s = fold(case, &events);
        assert_eq!(s.conflicts.len(), 1);
        let values: Vec<_> = s.conflicts[0].versions.iter().map(|v| v.value.clone().unwrap()).collect();
        assert_eq!(values, vec!["01234 000003", "07700 900004"], "both kept, in fold order");
        // A person chooses: a change based on both.
        let chosen = change(&mut b, case, T0 + 400, DetailField::Phone, "07700 900004", s.based_on(DetailField::Phone));
        events.push(chosen);
        let s = fold(case, &events);
        assert!(s.conflicts.is_empty());
        assert_eq!(s.field(DetailField::Phone).unwrap().value.as_deref(), Some("07700 900004"));
    }

    #[test]
    fn the_same_value_typed_on_two_laptops_is_not_a_conflict() {
        let (case, mut events) = story();
        let mut a = Laptop::new("clinician.one");
        let mut b = Laptop::new("clinician.two");
        events.push(change(&mut a, case, T0 + 1, DetailField::Address, "1 Example Street", vec![]));
        events.push(change(&mut b, case, T0 + 2, DetailField::Address, "1 Example Street", vec![]));
        let s = fold(case, &events);
        assert!(s.conflicts.is_empty());
        assert_eq!(s.field(DetailField::Address).unwrap().versions.len(), 2);
    }

    #[test]
    fn renaming_the_family_changes_the_details_shown() {
        let (case, mut events) = story();
        let opened = events[0].id;
        let mut a = Laptop::new("clinician.one");
        events.push(change(&mut a, case, T0 + 5, DetailField::FamilyName, "Testfamily-Renamed", vec![opened]));
        let s = fold(case, &events);
        assert_eq!(s.details.unwrap().family_name, "Testfamily-Renamed");
    }

    proptest! {
        /// Concurrent edits of one field from several laptops, arriving in any order, fold to the
        /// same state, and every value written without seeing the others is kept.
        #[test]
        fn concurrent_edits_converge_in_any_order(
            writers in 2usize..5,
            order_keys in proptest::collection::vec(any::<u64>(), 16),
            skews in proptest::collection::vec(-172_800_000i64..172_800_000, 5),
        ) {
            let (case, mut events) = story();
            let base = fold(case, &events).based_on(DetailField::Phone);
            let mut ws: Vec<Laptop> = (0..writers).map(|i| Laptop::new(&format!("clinician.{i}"))).collect();
            for (i, w) in ws.iter_mut().enumerate() {
                let wall = (T0 as i64 + skews[i]) as u64;
                events.push(change(w, case, wall, DetailField::Phone, &format!("01234 56789{i}"), base.clone()));
            }
            let reference = fold(case, &events);
            prop_assert_eq!(reference.conflicts.len(), 1);
            prop_assert_eq!(reference.conflicts[0].versions.len(), writers);
            let mut arrived: Vec<(u64, Event)> = events.iter().cloned().enumerate().map(|(i, e)| (order_keys[i], e)).collect();
            arrived.sort_by_key(|(k, _)| *k);
            let arrived: Vec<Event> = arrived.into_iter().map(|(_, e)| e).collect();
            prop_assert_eq!(fold(case, &arrived), reference);
        }
    }
}

//! Test support: one fictional laptop that writes sealed events.
//!
//! Tests and benches across the workspace (the domain's own, the reports, the central server, the
//! command line and sync) need events written exactly as a clinician's laptop writes them: one
//! author, one device, a device sequence counting up from 1, and a hybrid logical clock ticked for
//! every event. This is that laptop, written once instead of copied into each test file.
//!
//! The caller passes the wall-clock time of each write, so the domain stays free of I/O: a test
//! gives fixed instants, a bench that wants "now" reads the clock itself.
//!
//! Behind the `testing` cargo feature (off by default): only tests and benches turn it on, so no
//! application or server build carries it.

use crate::clock::{Hlc, HybridClock, DEFAULT_MAX_DRIFT_MS};
use crate::event::{Event, EventBody, EventDraft};
use chrono::DateTime;
use uuid::Uuid;

/// One fictional laptop writing events as one clinician: its own device, sequence and clock.
#[derive(Debug, Clone)]
pub struct Laptop {
    author: String,
    device_id: Uuid,
    seq: u64,
    clock: HybridClock,
}

impl Laptop {
    /// A new laptop for `author` with a fresh device id, nothing written yet and a clock at zero.
    pub fn new(author: &str) -> Self {
        Self::with_device(author, Uuid::now_v7())
    }

    /// A new laptop for `author` on a device whose id is already known (say, the one a server
    /// handed out at sign-in).
    pub fn with_device(author: &str, device_id: Uuid) -> Self {
        Laptop { author: author.into(), device_id, seq: 0, clock: HybridClock::new(Hlc::ZERO, DEFAULT_MAX_DRIFT_MS) }
    }

    /// The clinician whose events these are.
    pub fn author(&self) -> &str {
        &self.author
    }

    /// This laptop's device id, on every event it writes.
    pub fn device_id(&self) -> Uuid {
        self.device_id
    }

    /// The device sequence number of the last event written (0 before the first).
    pub fn written_up_to(&self) -> u64 {
        self.seq
    }

    /// Writes one sealed event for `case_id` at wall-clock time `wall_ms` (milliseconds since the
    /// Unix epoch): the next device sequence number, the clock ticked at `wall_ms`, and
    /// `recorded_at` set to that instant. The body is not validated; that is the caller's choice.
    pub fn write_at(&mut self, case_id: Uuid, wall_ms: u64, body: EventBody) -> Event {
        self.seq += 1;
        let recorded_at = i64::try_from(wall_ms)
            .ok()
            .and_then(DateTime::from_timestamp_millis)
            .unwrap_or_else(|| panic!("{wall_ms} ms is not a time a laptop can record"));
        EventDraft {
            id: Uuid::now_v7(),
            case_id,
            author: self.author.clone(),
            device_id: self.device_id,
            device_seq: self.seq,
            hlc: self.clock.tick(wall_ms),
            recorded_at,
            body,
        }
        .seal()
    }
}

/// An outcome measure as a laptop records it: a questionnaire's numbers (EPDS item scores, the
/// others' answers ticked: the same convention as records from before entries said which), or
/// goals and their scores for Goal Based Outcomes (the other left empty).
pub fn measure_recorded(
    kind: casebook_measures::MeasureKind,
    time_point: casebook_measures::TimePoint,
    on: chrono::NaiveDate,
    items: &[u8],
    goals: &[(&str, u8)],
) -> EventBody {
    EventBody::MeasureRecorded(crate::record::MeasureRecorded {
        measure_id: Uuid::now_v7(),
        kind,
        time_point,
        administered_on: on,
        items: items.to_vec(),
        entered_as: (!items.is_empty()).then_some(casebook_measures::Entry::before_it_was_recorded(kind)),
        goals: goals.iter().map(|(description, score)| casebook_measures::Goal { description: (*description).into(), score: *score }).collect(),
    })
}

/// A home visit that took place on `on`, with nothing else filled in.
pub fn attended_home_visit(on: chrono::NaiveDate) -> crate::event::ContactRecorded {
    crate::event::ContactRecorded {
        contact_id: Uuid::now_v7(),
        date: on,
        contact_type: crate::event::ContactType::HomeVisit,
        outcome: crate::event::AttendanceOutcome::Attended,
        location: None,
        started_at: None,
        duration_minutes: None,
        attendees: vec![],
        interventions: vec![],
    }
}

/// A family member recorded with only a name and role; set the rest with struct update syntax.
pub fn person_recorded(role: crate::record::PersonRole, name: &str) -> crate::record::PersonRecorded {
    crate::record::PersonRecorded {
        person_id: Uuid::now_v7(),
        role,
        name: name.into(),
        date_of_birth: None,
        nhs_number: None,
        pronouns: None,
        language: None,
        interpreter_needed: false,
        gestation_at_birth: None,
        professional: None,
        based_on: vec![],
    }
}

/// The opening of a case logged as a referral for the team's inbox.
pub fn opened_for_inbox(family: &str) -> EventBody {
    EventBody::CaseOpened(crate::event::CaseOpened { family_name: family.into(), parent: None, due_date: None, infant: None, to_team_inbox: true })
}

/// An eligible referral from a fictional midwife, received on `on`, first contact due five days later.
pub fn referral_received(on: chrono::NaiveDate) -> crate::record::ReferralReceived {
    crate::record::ReferralReceived {
        referral_id: Uuid::now_v7(),
        received_on: on,
        profile_id: "wigan-babs".into(),
        referrer: crate::record::Professional {
            name: "Midwife Testperson".into(),
            role: crate::vocab::ReferrerRole::Midwife,
            organisation: None,
            phone: None,
            email: None,
        },
        consent_to_refer: true,
        reasons: vec![crate::vocab::ReferralReason::PoorSignsOfAttachment],
        other_reasons: None,
        gp_practice: None,
        pregnant: Some(true),
        residence_confirmed: Some(true),
        eligibility: crate::profile::EligibilityResult::Eligible { reasons: vec![] },
        first_contact_due: Some(on + chrono::Days::new(7)),
    }
}

/// A triage decision on `referral_id`, made on `on`, replacing `supersedes`.
pub fn triaged(
    referral_id: Uuid,
    decision: crate::triage::TriageDecision,
    to: &[&str],
    on: chrono::NaiveDate,
    supersedes: &[Uuid],
) -> crate::triage::ReferralTriaged {
    crate::triage::ReferralTriaged {
        triage_id: Uuid::now_v7(),
        referral_id,
        decision,
        on,
        allocate_to: to.iter().map(|s| s.to_string()).collect(),
        reason: (decision == crate::triage::TriageDecision::Decline).then(|| "Fictional reason: outside the service's area".into()),
        supersedes: supersedes.to_vec(),
    }
}

/// One entry of every kind this version reads, for one case, in an order the central store takes
/// them (the opening first; a note signed before its addendum; the referral before its triage),
/// dated `on`. `colleague` is the team member the triage allocates to. Fictional throughout.
pub fn one_of_each_kind(on: chrono::NaiveDate, colleague: &str) -> Vec<EventBody> {
    use crate::event::*;
    use crate::record::*;
    let referral = referral_received(on);
    let (note, alert, task) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let bodies = vec![
        EventBody::CaseOpened(CaseOpened { family_name: "Testfamily-EveryKind".into(), parent: None, due_date: None, infant: None, to_team_inbox: false }),
        EventBody::ContactRecorded(attended_home_visit(on)),
        EventBody::NoteDrafted(NoteDrafted { note_id: note, contact_id: None, occurred_on: on }),
        EventBody::NoteSigned(NoteSigned { note_id: note, contact_id: None, occurred_on: on, text: "Fictional note".into() }),
        EventBody::AddendumAdded(AddendumAdded { addendum_id: Uuid::now_v7(), note_id: note, reason: "Fictional correction".into(), text: "Fictional addendum".into() }),
        EventBody::DetailChanged(DetailChanged { field: DetailField::Phone, value: Some("01234 000001".into()), based_on: vec![] }),
        EventBody::ReferralReceived(referral.clone()),
        EventBody::ReferralStatusChanged(ReferralStatusChanged { referral_id: referral.referral_id, status: crate::vocab::ReferralStatus::Acknowledged, on, reason: None }),
        EventBody::ConsultationRecorded(ConsultationRecorded {
            consultation_id: Uuid::now_v7(),
            on,
            professional: referral.referrer.clone(),
            question: "Fictional question".into(),
            outcome: crate::vocab::ConsultationOutcome::AdviceGiven,
            advice: None,
        }),
        EventBody::PersonRecorded(person_recorded(PersonRole::ParentOrCarer, "Parent Testperson")),
        EventBody::ContactPlanned(ContactPlanned {
            contact_id: Uuid::now_v7(),
            planned_for: (on + chrono::Days::new(7)).and_hms_opt(10, 0, 0).expect("a time"),
            contact_type: ContactType::HomeVisit,
            location: None,
        }),
        measure_recorded(casebook_measures::MeasureKind::Phq9, casebook_measures::TimePoint::Baseline, on, &[0; 9], &[]),
        EventBody::RiskAssessed(RiskAssessed {
            assessment_id: Uuid::now_v7(),
            on,
            to_self: RiskLevel::Low,
            to_infant: RiskLevel::Low,
            from_others: RiskLevel::NoneKnown,
            safeguarding: SafeguardingStatus::NoneKnown,
            thrive: crate::vocab::ThriveGroup::GettingHelp,
            summary: "Fictional summary".into(),
            actions: None,
            review_on: None,
        }),
        EventBody::AlertRaised(AlertRaised { alert_id: alert, kind: AlertKind::Other, text: "Fictional alert".into() }),
        EventBody::AlertCleared(AlertCleared { alert_id: alert, reason: "Fictional reason".into() }),
        EventBody::TaskAdded(TaskAdded { task_id: task, kind: TaskKind::Call, title: "Fictional task".into(), due_on: on }),
        EventBody::TaskCompleted(TaskCompleted { task_id: task }),
        EventBody::CaseDischarged(CaseDischarged { on, reason: DischargeReason::GoalsMet, summary: "Fictional summary".into() }),
        EventBody::ReferralTakenOn(crate::taken_on::ReferralTakenOn { referral_id: referral.referral_id, on, reason: "Fictional reason".into(), first_contact_due: None }),
        EventBody::SupervisionRecorded(crate::supervision::SupervisionRecorded {
            supervision_id: Uuid::now_v7(),
            on,
            with: vec![],
            discussion: "Fictional discussion".into(),
            actions: vec![],
        }),
        EventBody::ReferralTriaged(triaged(referral.referral_id, crate::triage::TriageDecision::Accept, &[colleague], on, &[])),
    ];
    debug_assert_eq!(bodies.iter().map(|b| b.kind()).collect::<Vec<_>>(), EventBody::KINDS, "one of each kind, in the order added");
    bodies
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::NoteSigned;

    fn note() -> EventBody {
        EventBody::NoteSigned(NoteSigned {
            note_id: Uuid::now_v7(),
            contact_id: None,
            occurred_on: "2026-11-24".parse().unwrap(),
            text: "Fictional test note.".into(),
        })
    }

    #[test]
    fn writes_sealed_events_in_sequence_on_one_device() {
        const T0: u64 = 1_795_514_400_000; // 2026-11-24 10:00 UTC
        let case = Uuid::now_v7();
        let mut laptop = Laptop::new("clin.one");
        let a = laptop.write_at(case, T0, note());
        let b = laptop.write_at(case, T0, note());
        for e in [&a, &b] {
            e.verify().unwrap();
            assert_eq!((e.case_id, e.author.as_str(), e.device_id), (case, "clin.one", laptop.device_id()));
        }
        assert_eq!((a.device_seq, b.device_seq), (1, 2));
        assert_eq!(a.hlc, Hlc::new(T0, 0));
        assert_eq!(b.hlc, Hlc::new(T0, 1), "the same millisecond still orders after");
        assert_eq!(a.recorded_at.timestamp_millis() as u64, T0);
    }
}

//! The whole case record folded from events: referral and its status moves, people, planned
//! visits, measures with their scores and risk flags, risk reviews, alerts, tasks and discharge.

use casebook_domain::testing::Laptop;
use casebook_domain::*;
use casebook_measures::{Goal, MeasureKind, TimePoint};
use chrono::NaiveDate;
use proptest::prelude::*;
use uuid::Uuid;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

const T0: u64 = 1_795_514_400_000; // 2026-11-24 10:00 UTC
const TODAY: &str = "2026-11-24";

/// Writing as the shared fictional laptop does, `minutes` after T0, and checking first that the
/// body is one the app would accept today.
trait WriteChecked {
    fn write(&mut self, case_id: Uuid, minutes: u64, body: EventBody) -> Event;
}

impl WriteChecked for Laptop {
    fn write(&mut self, case_id: Uuid, minutes: u64, body: EventBody) -> Event {
        body.validate(d(TODAY)).unwrap_or_else(|e| panic!("{} should be valid: {e}", body.kind()));
        self.write_at(case_id, T0 + minutes * 60_000, body)
    }
}

fn midwife() -> Professional {
    Professional {
        name: "Fictional Midwife".into(),
        role: ReferrerRole::Midwife,
        organisation: Some("Example Maternity Unit".into()),
        phone: None,
        email: Some("midwife@example.nhs.uk".into()),
    }
}

fn referral(id: Uuid) -> ReferralReceived {
    ReferralReceived {
        referral_id: id,
        received_on: d("2026-11-16"),
        profile_id: "wigan-babs".into(),
        referrer: midwife(),
        consent_to_refer: true,
        reasons: vec![ReferralReason::LackOfBonding, ReferralReason::TeenageOrYoungParent],
        other_reasons: None,
        gp_practice: Some("Example Surgery".into()),
        pregnant: Some(true),
        residence_confirmed: Some(true),
        eligibility: EligibilityResult::Eligible { reasons: vec!["Eligible: the parent is pregnant.".into()] },
        first_contact_due: Some(d("2026-11-23")),
    }
}

fn contact(id: Uuid, date: &str, outcome: AttendanceOutcome) -> EventBody {
    EventBody::ContactRecorded(ContactRecorded {
        contact_id: id,
        date: d(date),
        contact_type: ContactType::HomeVisit,
        outcome,
        location: None,
        started_at: None,
        duration_minutes: Some(60),
        attendees: vec!["Parent".into(), "Baby".into()],
        interventions: vec!["Video interaction guidance".into()],
    })
}

fn opened() -> EventBody {
    EventBody::CaseOpened(CaseOpened { family_name: "Testfamily-Record".into(), parent: None, due_date: Some(d("2027-02-01")), infant: None, to_team_inbox: false })
}

/// A full, ordinary case: referral to discharge.
fn story() -> (Uuid, Vec<Event>) {
    let case = Uuid::now_v7();
    let mut duty = Laptop::new("duty.clinician");
    let mut clin = Laptop::new("clin.one");
    let (referral_id, visit, missed, alert, task) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let status = |status, on: &str, reason: Option<&str>| {
        EventBody::ReferralStatusChanged(ReferralStatusChanged { referral_id, status, on: d(on), reason: reason.map(String::from) })
    };
    let events = vec![
        duty.write(case, 0, opened()),
        duty.write(case, 1, EventBody::ReferralReceived(referral(referral_id))),
        duty.write(case, 2, status(ReferralStatus::Acknowledged, "2026-11-17", None)),
        clin.write(case, 10, EventBody::ContactPlanned(ContactPlanned {
            contact_id: visit,
            planned_for: d("2026-11-20").and_hms_opt(10, 30, 0).unwrap(),
            contact_type: ContactType::HomeVisit,
            location: Some("Family home".into()),
        })),
        clin.write(case, 11, EventBody::ContactPlanned(ContactPlanned {
            contact_id: missed,
            planned_for: d("2026-11-27").and_hms_opt(14, 0, 0).unwrap(),
            contact_type: ContactType::HubVisit,
            location: None,
        })),
        clin.write(case, 20, contact(visit, "2026-11-20", AttendanceOutcome::Attended)),
        clin.write(case, 21, status(ReferralStatus::Contacted, "2026-11-20", None)),
        clin.write(case, 22, EventBody::MeasureRecorded(MeasureRecorded {
            measure_id: Uuid::now_v7(),
            kind: MeasureKind::Epds,
            time_point: TimePoint::Baseline,
            administered_on: d("2026-11-20"),
            items: vec![1, 1, 1, 1, 1, 1, 0, 0, 1, 1],
            entered_as: None,
            goals: vec![],
        })),
        clin.write(case, 23, EventBody::RiskAssessed(RiskAssessed {
            assessment_id: Uuid::now_v7(),
            on: d("2026-11-20"),
            to_self: RiskLevel::Medium,
            to_infant: RiskLevel::Low,
            from_others: RiskLevel::NoneKnown,
            safeguarding: SafeguardingStatus::NoneKnown,
            thrive: ThriveGroup::GettingRiskSupport,
            summary: "Fictional: EPDS item 10 scored 1; safety plan agreed.".into(),
            actions: Some("Crisis line given; GP informed.".into()),
            review_on: Some(d("2026-12-04")),
        })),
        clin.write(case, 24, EventBody::AlertRaised(AlertRaised { alert_id: alert, kind: AlertKind::LoneWorker, text: "Dog at the address; visit in pairs.".into() })),
        clin.write(case, 25, EventBody::TaskAdded(TaskAdded { task_id: task, kind: TaskKind::Letter, title: "Letter to GP after first visit".into(), due_on: d("2026-11-27") })),
        clin.write(case, 26, status(ReferralStatus::Accepted, "2026-11-21", None)),
        clin.write(case, 27, EventBody::TaskCompleted(TaskCompleted { task_id: task })),
        clin.write(case, 28, EventBody::AlertCleared(AlertCleared { alert_id: alert, reason: "Family moved to a new address.".into() })),
    ];
    (case, events)
}

#[test]
fn a_referral_moves_through_its_statuses_and_knows_its_first_contact() {
    let (case, events) = story();
    let state = fold(case, &events);
    assert!(state.unplaced.is_empty(), "{:?}", state.unplaced);
    let r = state.record.referral.as_ref().unwrap();
    assert_eq!(r.status, ReferralStatus::Accepted);
    let moves: Vec<_> = r.history.iter().map(|s| s.status).collect();
    assert_eq!(moves, [ReferralStatus::Received, ReferralStatus::Acknowledged, ReferralStatus::Contacted, ReferralStatus::Accepted]);
    assert_eq!(r.first_contact_on, Some(d("2026-11-20")));
    assert_eq!(r.details.first_contact_due, Some(d("2026-11-23")), "the deadline shown at intake is kept");
    assert_eq!(r.received_by, "duty.clinician");
}

#[test]
fn planned_visits_leave_the_plan_when_they_are_recorded() {
    let (case, events) = story();
    let record = fold(case, &events).record;
    assert_eq!(record.planned_contacts.len(), 1, "the 20 Nov visit happened; the 27 Nov one is still planned");
    assert_eq!(record.planned_contacts[0].details.planned_for.date(), d("2026-11-27"));
}

#[test]
fn a_measure_is_scored_where_it_is_read_and_its_risk_item_flagged() {
    let (case, events) = story();
    let record = fold(case, &events).record;
    let epds = record.measures[0].scored.as_ref().unwrap();
    assert_eq!(epds.total, 8);
    assert_eq!(epds.risk_flags.len(), 1, "item 10 scored 1 flags self-harm thoughts whatever the total");
    assert_eq!(epds.risk_flags[0].item, 10);
}

#[test]
fn risk_alerts_tasks_and_their_history() {
    let (case, events) = story();
    let state = fold(case, &events);
    let record = &state.record;
    let risk = record.current_risk().unwrap();
    assert_eq!(risk.overall(), RiskLevel::Medium, "the highest of the three");
    assert_eq!(risk.details.thrive, ThriveGroup::GettingRiskSupport);
    assert_eq!(record.alerts.len(), 1, "a cleared alert stays in the record");
    assert_eq!(record.active_alerts().count(), 0);
    assert_eq!(record.alerts[0].cleared.as_ref().unwrap().reason, "Family moved to a new address.");
    assert!(record.tasks[0].done.is_some());
    assert!(state.chronology.iter().any(|e| matches!(e.item, ChronologyItem::Risk { .. })));
    assert!(state.chronology.iter().any(|e| matches!(e.item, ChronologyItem::AlertCleared { .. })));
}

#[test]
fn a_move_the_rules_do_not_allow_is_kept_in_the_history_but_changes_nothing() {
    let case = Uuid::now_v7();
    let id = Uuid::now_v7();
    let mut a = Laptop::new("duty.clinician");
    let events = vec![
        a.write(case, 0, opened()),
        a.write(case, 1, EventBody::ReferralReceived(referral(id))),
        // Accepted straight from received is not a move the service allows.
        a.write(case, 2, EventBody::ReferralStatusChanged(ReferralStatusChanged { referral_id: id, status: ReferralStatus::Accepted, on: d("2026-11-17"), reason: None })),
    ];
    let r = fold(case, &events).record.referral.unwrap();
    assert_eq!(r.status, ReferralStatus::Received);
    assert_eq!(r.history.len(), 2, "nobody's entry disappears");
}

#[test]
fn people_change_by_replacing_what_was_seen_and_concurrent_changes_are_a_conflict() {
    let case = Uuid::now_v7();
    let baby = Uuid::now_v7();
    let mut a = Laptop::new("clin.one");
    let mut b = Laptop::new("clin.two");
    let person = |name: &str, based_on: Vec<Uuid>| {
        EventBody::PersonRecorded(PersonRecorded {
            person_id: baby,
            role: PersonRole::Infant,
            name: name.into(),
            date_of_birth: Some(d("2026-09-01")),
            nhs_number: Some("943 476 5919".parse().unwrap()),
            pronouns: None,
            language: None,
            interpreter_needed: false,
            gestation_at_birth: Some(Gestation::at_birth(32, 0).unwrap()),
            professional: None,
            based_on,
        })
    };
    let first = a.write(case, 0, person("Baby Testfamily", vec![]));
    let renamed = a.write(case, 1, person("Robin Testfamily", vec![first.id]));
    let record = fold(case, &[first.clone(), renamed.clone()]).record;
    assert_eq!(record.people.len(), 1);
    assert_eq!(record.people[0].current.name, "Robin Testfamily");
    assert!(!record.people[0].in_conflict);
    assert_eq!(record.people[0].current.nhs_number.as_ref().unwrap().to_string(), "943 476 5919");

    // A colleague, not having seen the rename, records the baby again: both are kept.
    let other = b.write(case, 2, person("Robyn Testfamily", vec![first.id]));
    let record = fold(case, &[first, renamed, other]).record;
    assert!(record.people[0].in_conflict);
    assert_eq!(record.people[0].versions.len(), 2);
}

#[test]
fn a_case_is_discharged_once_and_a_second_discharge_is_kept_not_applied() {
    let (case, mut events) = story();
    let mut c = Laptop::new("clin.one");
    let discharge = |summary: &str| {
        EventBody::CaseDischarged(CaseDischarged { on: d("2026-11-24"), reason: DischargeReason::GoalsMet, summary: summary.into() })
    };
    events.push(c.write(case, 100, discharge("Fictional: goals met; EPDS fell from 8 to 4.")));
    events.push(c.write(case, 101, discharge("A second discharge.")));
    let state = fold(case, &events);
    assert_eq!(state.record.discharge.as_ref().unwrap().details.summary, "Fictional: goals met; EPDS fell from 8 to 4.");
    assert_eq!(state.unplaced.len(), 1);
}

#[test]
fn bad_entries_are_refused_with_a_sentence() {
    let today = d(TODAY);
    let mut r = referral(Uuid::now_v7());
    r.consent_to_refer = false;
    let err = EventBody::ReferralReceived(r).validate(today).unwrap_err().to_string();
    assert!(err.contains("consent"), "{err}");

    let mut r = referral(Uuid::now_v7());
    r.reasons.clear();
    assert!(EventBody::ReferralReceived(r).validate(today).unwrap_err().to_string().contains("at least one reason"));

    let short = EventBody::MeasureRecorded(MeasureRecorded {
        measure_id: Uuid::now_v7(),
        kind: MeasureKind::Epds,
        time_point: TimePoint::Baseline,
        administered_on: today,
        items: vec![1, 2, 3],
        entered_as: None,
        goals: vec![],
    });
    let err = short.validate(today).unwrap_err().to_string();
    assert!(err.contains("EPDS") && err.contains("10"), "{err}");

    let gbo = EventBody::MeasureRecorded(MeasureRecorded {
        measure_id: Uuid::now_v7(),
        kind: MeasureKind::Gbo,
        time_point: TimePoint::Review,
        administered_on: today,
        items: vec![],
        entered_as: None,
        goals: vec![Goal { description: "Enjoy bath time together".into(), score: 11 }],
    });
    assert!(gbo.validate(today).is_err(), "a goal scores 0 to 10");

    let declined = EventBody::ReferralStatusChanged(ReferralStatusChanged { referral_id: Uuid::now_v7(), status: ReferralStatus::Declined, on: today, reason: None });
    assert!(declined.validate(today).unwrap_err().to_string().contains("Reason for declining"));

    let ContactRecorded { .. } = match contact(Uuid::now_v7(), TODAY, AttendanceOutcome::Attended) {
        EventBody::ContactRecorded(mut c) => {
            c.duration_minutes = Some(0);
            assert!(EventBody::ContactRecorded(c.clone()).validate(today).is_err());
            c
        }
        _ => unreachable!(),
    };
}

/// Contacts written before the record grew these fields must keep their content hash: the new
/// fields are left out of the JSON when empty.
#[test]
fn contacts_without_the_new_details_serialise_as_before() {
    let body = EventBody::ContactRecorded(ContactRecorded {
        contact_id: Uuid::nil(),
        date: d("2026-11-20"),
        contact_type: ContactType::Telephone,
        outcome: AttendanceOutcome::Attended,
        location: None,
        started_at: None,
        duration_minutes: None,
        attendees: vec![],
        interventions: vec![],
    });
    assert_eq!(
        body.payload_json().to_string(),
        r#"{"contact_id":"00000000-0000-0000-0000-000000000000","contact_type":"telephone","date":"2026-11-20","outcome":"attended"}"#
    );
}

proptest! {
    /// Any arrival order, with repeats, folds to the same record.
    #[test]
    fn the_record_does_not_depend_on_arrival_order(seed in any::<u64>(), repeats in 0usize..5) {
        let (case, events) = story();
        let reference = fold(case, &events);
        let mut shuffled = events.clone();
        let mut rng = seed;
        for i in (1..shuffled.len()).rev() {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (rng >> 33) as usize % (i + 1));
        }
        for i in 0..repeats {
            shuffled.push(events[i % events.len()].clone());
        }
        prop_assert_eq!(fold(case, &shuffled), reference);
    }
}

#[test]
fn the_header_says_at_a_glance_what_matters_today() {
    let (case, events) = story();
    let state = fold(case, &events);
    let h = CaseHeader::of(&state, d(TODAY));
    assert_eq!(h.referral_status.as_deref(), Some("Accepted"));
    let fc = h.first_contact.unwrap();
    assert_eq!((fc.due_on, fc.made_on, fc.overdue), (d("2026-11-23"), Some(d("2026-11-20")), false));
    assert_eq!(h.risk, Some(RiskLevel::Medium));
    assert_eq!(h.thrive.as_deref(), Some("Getting Risk Support"));
    assert_eq!(h.risk_review_due, Some(d("2026-12-04")));
    assert!(h.alerts.is_empty(), "the only alert was cleared");
    assert_eq!(h.measure_flags.len(), 1);
    assert_eq!(h.measure_flags[0].item, 10);
    assert_eq!(h.pregnancy.as_deref(), Some("30 weeks 1 day pregnant (due 1 February 2027)"));
    assert!(h.people.is_empty(), "no parent named at opening, none recorded");
}

#[test]
fn a_missed_deadline_a_premature_baby_and_a_lone_worker_alert() {
    let case = Uuid::now_v7();
    let mut a = Laptop::new("duty.clinician");
    let referral_id = Uuid::now_v7();
    let events = vec![
        a.write(case, 0, EventBody::CaseOpened(CaseOpened { family_name: "Testfamily-Header".into(), parent: None, due_date: None, infant: None, to_team_inbox: false })),
        a.write(case, 1, EventBody::ReferralReceived(referral(referral_id))),
        a.write(case, 2, EventBody::PersonRecorded(PersonRecorded {
            person_id: Uuid::now_v7(),
            role: PersonRole::Infant,
            name: "Baby Testfamily".into(),
            date_of_birth: Some(d("2026-08-18")),
            nhs_number: None,
            pronouns: None,
            language: None,
            interpreter_needed: false,
            gestation_at_birth: Some(Gestation::at_birth(30, 0).unwrap()),
            professional: None,
            based_on: vec![],
        })),
        a.write(case, 3, EventBody::PersonRecorded(PersonRecorded {
            person_id: Uuid::now_v7(),
            role: PersonRole::ParentOrCarer,
            name: "Parent Testfamily".into(),
            date_of_birth: None,
            nhs_number: Some("943 476 5919".parse().unwrap()),
            pronouns: Some("she/her".into()),
            language: Some("Polish".into()),
            interpreter_needed: true,
            gestation_at_birth: None,
            professional: None,
            based_on: vec![],
        })),
        a.write(case, 4, EventBody::AlertRaised(AlertRaised { alert_id: Uuid::now_v7(), kind: AlertKind::Other, text: "Prefers afternoon visits.".into() })),
        a.write(case, 5, EventBody::AlertRaised(AlertRaised { alert_id: Uuid::now_v7(), kind: AlertKind::LoneWorker, text: "Visit in pairs.".into() })),
    ];
    let h = CaseHeader::of(&fold(case, &events), d(TODAY));
    let fc = h.first_contact.unwrap();
    assert!(fc.overdue, "due 23 Nov, nobody has made contact by 24 Nov");
    let baby = h.people.iter().find(|p| p.role == "Baby").unwrap();
    assert_eq!(baby.age.as_deref(), Some("3 months"));
    assert_eq!(
        baby.corrected_age.as_deref(),
        Some("4 weeks (born at 30+0 weeks, so corrected until 2 years old)"),
        "born at 30 weeks: ten weeks early"
    );
    let parent = h.people.iter().find(|p| p.role == "Parent or carer").unwrap();
    assert_eq!(parent.nhs_number.as_deref(), Some("943 476 5919"));
    assert_eq!(parent.nhs_number_warning, None, "an ordinary number has no warning");
    assert_eq!(parent.language.as_deref(), Some("Interpreter needed (Polish)"));
    assert_eq!(h.alerts[0].kind, "Lone-worker risk", "lone-worker alerts come first");
    assert_eq!(h.alerts.len(), 2);
}

#[test]
fn the_header_says_which_correction_applies_and_warns_of_a_test_nhs_number() {
    let case = Uuid::now_v7();
    let mut a = Laptop::new("clin.one");
    let baby = |nhs: &str| PersonRecorded {
        person_id: Uuid::nil(),
        role: PersonRole::Infant,
        name: "Baby Testfamily".into(),
        date_of_birth: Some(d("2025-12-24")),
        nhs_number: Some(nhs.parse().unwrap()),
        pronouns: None,
        language: None,
        interpreter_needed: false,
        gestation_at_birth: Some(Gestation::at_birth(34, 0).unwrap()),
        professional: None,
        based_on: vec![],
    };
    let events = vec![
        a.write(case, 0, EventBody::CaseOpened(CaseOpened { family_name: "Testfamily-Rules".into(), parent: None, due_date: None, infant: None, to_team_inbox: false })),
        a.write(case, 1, EventBody::PersonRecorded(baby("999 000 0018"))),
    ];
    let state = fold(case, &events);
    // 11 months old, born 6 weeks early: corrected, until the first birthday.
    let h = CaseHeader::of(&state, d(TODAY));
    let line = &h.people[0];
    assert_eq!(line.age.as_deref(), Some("11 months"));
    assert_eq!(line.corrected_age.as_deref(), Some("9 months 2 weeks (born at 34+0 weeks, so corrected until 1 year old)"));
    assert_eq!(line.nhs_number.as_deref(), Some("999 000 0018"));
    assert_eq!(line.nhs_number_warning.as_deref(), Some(nhs_number::TEST_RANGE_WARNING));
    assert!(line.nhs_number_warning.as_deref().unwrap().starts_with("test number, not a real patient"));
    // A year old: no corrected age, and the header shows only the calendar age.
    let h = CaseHeader::of(&state, d("2026-12-24"));
    assert_eq!(h.people[0].age.as_deref(), Some("12 months"));
    assert_eq!(h.people[0].corrected_age, None);
    // One digit repeated is a placeholder, and says so.
    let events = vec![events[0].clone(), a.write(case, 2, EventBody::PersonRecorded(baby("1111111111")))];
    let h = CaseHeader::of(&fold(case, &events), d(TODAY));
    assert_eq!(h.people[0].nhs_number_warning.as_deref(), Some(nhs_number::REPEATED_DIGIT_WARNING));
}

#[test]
fn a_due_date_long_passed_still_shows_and_says_what_to_record() {
    let case = Uuid::now_v7();
    let mut a = Laptop::new("clin.one");
    let opened = a.write(
        case,
        0,
        EventBody::CaseOpened(CaseOpened { family_name: "Testfamily-Late".into(), parent: None, due_date: Some(d("2026-12-01")), infant: None, to_team_inbox: false }),
    );
    let state = fold(case, &[opened]);
    assert_eq!(CaseHeader::of(&state, d("2026-12-29")).pregnancy.as_deref(), Some("44 weeks pregnant (due 1 December 2026)"));
    assert_eq!(
        CaseHeader::of(&state, d("2026-12-30")).pregnancy.as_deref(),
        Some("Due 1 December 2026, more than 4 weeks ago: record the baby's date of birth once known")
    );
}

#[test]
fn every_choice_offered_reads_back_as_its_value() {
    let v = vocabulary();
    assert_eq!(v.referral_reasons.len(), 16);
    for c in &v.referral_reasons {
        let _: ReferralReason = serde_json::from_value(serde_json::Value::String(c.id.clone())).unwrap();
        assert!(c.group.is_some());
    }
    for c in &v.measures {
        let _: MeasureKind = serde_json::from_value(serde_json::Value::String(c.id.clone())).unwrap();
    }
    for c in &v.risk_levels {
        let _: RiskLevel = serde_json::from_value(serde_json::Value::String(c.id.clone())).unwrap();
    }
    assert_eq!(v.referrer_roles.iter().map(|c| c.label.as_str()).collect::<Vec<_>>()[0], "Midwife");
}

#[test]
fn a_parent_named_only_when_the_case_was_opened_is_still_in_the_header() {
    let case = Uuid::now_v7();
    let mut a = Laptop::new("clin.one");
    let opened = a.write(
        case,
        0,
        EventBody::CaseOpened(CaseOpened {
            family_name: "Testfamily-Parent".into(),
            parent: Some(Person { name: "Alex Testfamily".into() }),
            due_date: Some(d("2027-02-01")),
            infant: None,
            to_team_inbox: false,
        }),
    );
    let h = CaseHeader::of(&fold(case, &[opened]), d(TODAY));
    assert_eq!(h.people.len(), 1);
    assert_eq!((h.people[0].name.as_str(), h.people[0].role.as_str()), ("Alex Testfamily", "Parent or carer"));
}

//! The whole case record through the store: each write's happy path, its refusals (with nothing
//! written), the caseload columns, the Today view, rebuild and migration. All data is fictional.

mod common;

use casebook_domain::{
    AlertKind, AttendanceOutcome, ConsultationOutcome, ContactType, DetailField, DischargeReason, EligibilityResult,
    PersonRole, Professional, ReferralReason, ReferralStatus, ReferrerRole, RiskLevel, SafeguardingStatus, TaskKind,
    ThriveGroup,
};
use casebook_measures::{Entry, Goal, MeasureKind, TimePoint};
use casebook_store::{
    schema, CaseFilter, ConsultationInput, ContactInput, DraftInput, MeasureInput, PersonInput, PlanInput, ReferralInput,
    RiskInput, Store, StoreError,
};
use chrono::NaiveDateTime;
use common::*;
use uuid::Uuid;

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

fn midwife() -> Professional {
    Professional {
        name: "Fictional Midwife".into(),
        role: ReferrerRole::Midwife,
        organisation: Some("Testshire Maternity".into()),
        phone: Some("01632 960001".into()),
        email: Some("fictional.midwife@example.nhs.uk".into()),
    }
}

/// A pregnant parent registered with a Wigan GP, referred today (Tuesday 24 November 2026).
fn referral(family: &str) -> ReferralInput {
    ReferralInput {
        family_name: family.into(),
        parent_name: Some(format!("Parent of {family}")),
        due_date: Some(day("2027-03-01")),
        infant_name: None,
        infant_dob: None,
        received_on: day("2026-11-24"),
        profile_id: "wigan-babs".into(),
        referrer: midwife(),
        consent_to_refer: true,
        reasons: vec![ReferralReason::LackOfBonding, ReferralReason::HistoryOfAcesOrTrauma],
        other_reasons: None,
        gp_practice: Some("Testshire Surgery".into()),
        pregnant: None,
        residence_confirmed: Some(true),
    }
}

/// An EPDS copied from a form already scored on paper.
fn epds(time_point: TimePoint, on: &str, items: &[u8]) -> MeasureInput {
    MeasureInput { kind: MeasureKind::Epds, time_point, administered_on: day(on), items: items.to_vec(), entered_as: Some(Entry::Scores), goals: vec![] }
}

fn risk(level: RiskLevel, review_on: Option<&str>) -> RiskInput {
    RiskInput {
        on: day("2026-11-24"),
        to_self: RiskLevel::Low,
        to_infant: level,
        from_others: RiskLevel::NoneKnown,
        safeguarding: SafeguardingStatus::ChildInNeed,
        thrive: ThriveGroup::GettingHelp,
        summary: "Fictional summary: low mood, good support from partner.".into(),
        actions: Some("Weekly visits.".into()),
        review_on: review_on.map(day),
    }
}

fn person(name: &str) -> PersonInput {
    PersonInput {
        person_id: None,
        role: PersonRole::Infant,
        name: name.into(),
        date_of_birth: Some(day("2026-10-01")),
        nhs_number: Some("943 476 5919".into()),
        pronouns: None,
        language: Some("Polish".into()),
        interpreter_needed: true,
        gestation_weeks: Some(32),
        gestation_days: Some(4),
        professional: None,
    }
}

/// Asserts the write was refused with `message` and left the store as it was.
fn refused<T: std::fmt::Debug>(store: &Store, result: Result<T, StoreError>, message: &str) {
    let before = store.outbox_len().unwrap();
    let err = result.expect_err("should be refused");
    assert_eq!(err.to_string(), message);
    assert_eq!(store.outbox_len().unwrap(), before);
}

fn events(store: &Store) -> usize {
    store.outbox_len().unwrap() as usize
}

#[test]
fn a_referral_opens_a_case_in_one_transaction_with_its_eligibility_and_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let check = store.check_referral(&referral("Testfamily-Intake")).unwrap();
    assert_eq!(check.profile_name, "Wigan BABS");
    assert!(check.eligibility.is_eligible(), "{:?}", check.eligibility);
    assert_eq!(check.first_contact_due, Some(day("2026-12-01")), "five working days after Tuesday 24 November");
    assert_eq!(check.crisis_route.as_ref().unwrap().phone, "01942 764 467");
    assert_eq!(events(&store), 0, "checking writes nothing");

    let summary = store.receive_referral(referral("Testfamily-Intake")).unwrap();
    assert_eq!(events(&store), 2, "case opened and referral received");
    let logged = store.case_events(summary.case_id).unwrap();
    assert_eq!(logged.iter().map(|e| e.body.kind()).collect::<Vec<_>>(), vec!["case_opened", "referral_received"]);
    assert_eq!(summary.family_name.as_deref(), Some("Testfamily-Intake"));
    assert_eq!(summary.status, "Referral received");
    assert_eq!(summary.first_contact_due, Some(day("2026-12-01")));
    assert_eq!(summary.due_date, Some(day("2027-03-01")));
    let state = store.case(summary.case_id).unwrap().state;
    let r = state.record.referral.unwrap();
    assert_eq!(r.details.eligibility, check.eligibility);
    assert_eq!(r.details.referrer.name, "Fictional Midwife");

    // Not yet known where the parent is registered: the preview asks, and says so.
    let unsure = store.check_referral(&ReferralInput { residence_confirmed: None, ..referral("x") }).unwrap();
    assert!(matches!(unsure.eligibility, EligibilityResult::NeedsMoreInformation { .. }));
    let sefton = store.check_referral(&ReferralInput { profile_id: "sefton-babs".into(), ..referral("x") }).unwrap();
    assert_eq!(sefton.profile_name, "Sefton BABS");
    assert_eq!(sefton.first_contact_due, None, "Sefton sets no target");
}

#[test]
fn a_referral_found_not_eligible_gets_a_deadline_only_when_a_person_takes_it_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    // Received Friday 20 November; the family does not live in Wigan.
    let outside = ReferralInput { residence_confirmed: Some(false), received_on: day("2026-11-20"), ..referral("Testfamily-Outside") };
    let check = store.check_referral(&outside).unwrap();
    assert!(matches!(check.eligibility, EligibilityResult::NotEligible { .. }), "{:?}", check.eligibility);
    assert_eq!(check.first_contact_due, None);
    let case = store.receive_referral(outside).unwrap().case_id;
    assert_eq!(store.case_summary(case).unwrap().first_contact_due, None);
    assert!(store.today(day("2026-12-10")).unwrap().due.is_empty(), "nothing due for a family the service is not seeing");

    let r = store.take_on_referral(case, day("2026-11-24"), "   ".into());
    refused(&store, r, "Reason for taking it on is empty; please fill it in.");
    let r = store.take_on_referral(case, day("2026-11-19"), "Fictional: moving into Wigan.".into());
    refused(&store, r, "The decision cannot be before the referral was received (20 November 2026). Check the date.");

    // Decided on Tuesday 24 November: five working days later is Tuesday 1 December.
    let state = store.take_on_referral(case, day("2026-11-24"), "Fictional: moving into Wigan next week.".into()).unwrap();
    assert_eq!(state.record.referral.as_ref().unwrap().first_contact_due(), Some(day("2026-12-01")));
    assert_eq!(store.case_summary(case).unwrap().first_contact_due, Some(day("2026-12-01")));
    let r = store.take_on_referral(case, day("2026-11-24"), "Again.".into());
    refused(&store, r, "test.clinician already took this referral on, on 24 November 2026; the deadline counts from that decision.");

    let eligible = store.receive_referral(referral("Testfamily-Inside")).unwrap().case_id;
    let r = store.take_on_referral(eligible, day("2026-11-24"), "No need.".into());
    refused(&store, r, "This referral was not found not eligible, so there is nothing to decide: its first-contact deadline already applies.");
}

#[test]
fn a_referral_is_refused_without_consent_or_with_an_unknown_service_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let r = store.receive_referral(ReferralInput { consent_to_refer: false, ..referral("Testfamily-NoConsent") });
    refused(
        &store,
        r,
        "A referral needs the family's consent to refer; without it, record a consultation with the professional instead.",
    );
    let r = store.receive_referral(ReferralInput { profile_id: "testshire".into(), ..referral("Testfamily-Unknown") });
    refused(
        &store,
        r,
        "There is no service called 'testshire' on this laptop; choose one of: sefton-babs (Sefton BABS), wigan-babs (Wigan BABS).",
    );
    assert!(store.check_referral(&ReferralInput { profile_id: "testshire".into(), ..referral("x") }).is_err());
    let r = store.receive_referral(ReferralInput { reasons: vec![], ..referral("Testfamily-NoReason") });
    refused(&store, r, "Tick at least one reason for the referral, or describe it under other reasons.");
    assert_eq!(store.case_count().unwrap(), 0, "no case was opened by the refused referrals");
    // The refused writes used no sequence numbers.
    let case = store.receive_referral(referral("Testfamily-Fine")).unwrap().case_id;
    let seqs: Vec<u64> = store.case_events(case).unwrap().iter().map(|e| e.device_seq).collect();
    assert_eq!(seqs, vec![1, 2]);
}

#[test]
fn referral_status_moves_follow_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let case = store.receive_referral(referral("Testfamily-Status")).unwrap().case_id;
    let r = store.change_referral_status(case, ReferralStatus::Accepted, day("2026-11-24"), None);
    refused(
        &store,
        r,
        "A referral that is received cannot be marked accepted; it can next be acknowledged, declined or signposted.",
    );
    let r = store.change_referral_status(case, ReferralStatus::Acknowledged, day("2026-11-01"), None);
    refused(&store, r, "The referral cannot move on before it was received (24 November 2026). Check the date.");
    let r = store.change_referral_status(case, ReferralStatus::Declined, day("2026-11-24"), Some("  ".into()));
    refused(&store, r, "Give a reason for declining the referral; the referrer will be told it.");
    let state = store.change_referral_status(case, ReferralStatus::Acknowledged, day("2026-11-24"), None).unwrap();
    assert_eq!(state.record.referral.as_ref().unwrap().status, ReferralStatus::Acknowledged);
    assert_eq!(store.case_summary(case).unwrap().status, "Acknowledged");
    store
        .change_referral_status(case, ReferralStatus::Signposted, day("2026-11-24"), Some("Fictional perinatal team".into()))
        .unwrap();
    let summary = store.case_summary(case).unwrap();
    assert_eq!(summary.status, "Signposted");
    assert_eq!(summary.first_contact_due, None, "a signposted referral has no first contact to make");
    let r = store.change_referral_status(case, ReferralStatus::Contacted, day("2026-11-24"), None);
    refused(
        &store,
        r,
        "A referral that is signposted is closed and cannot be marked contacted; if the family is referred again, log a new referral.",
    );
    let plain = store.open_case(family("Testfamily-NoReferral")).unwrap().case_id;
    let r = store.change_referral_status(plain, ReferralStatus::Acknowledged, day("2026-11-24"), None);
    refused(&store, r, "This case has no referral to move on; log the referral first.");
    assert_eq!(store.case_summary(plain).unwrap().status, "Open");
}

#[test]
fn consultations_and_people_are_recorded_and_people_change_by_version() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let case = store.open_case(family("Testfamily-People")).unwrap().case_id;
    let state = store
        .record_consultation(
            case,
            ConsultationInput {
                on: day("2026-11-23"),
                professional: Professional { role: ReferrerRole::HealthVisitor, name: "Fictional Health Visitor".into(), ..midwife() },
                question: "Fictional question about bonding.".into(),
                outcome: ConsultationOutcome::ReferralInvited,
                advice: Some("  ".into()),
            },
        )
        .unwrap();
    assert_eq!(state.record.consultations.len(), 1);
    assert_eq!(state.record.consultations[0].details.advice, None, "blank advice is no advice");

    let state = store.record_person(case, person("Baby Testfamily")).unwrap();
    let p = &state.record.people[0];
    assert_eq!(p.current.nhs_number.as_ref().unwrap().as_str(), "9434765919");
    assert_eq!(p.current.gestation_at_birth.unwrap().weeks, 32);
    let person_id = p.person_id;
    let state = store
        .record_person(case, PersonInput { person_id: Some(person_id), name: "Baby Renamed".into(), ..person("x") })
        .unwrap();
    assert_eq!(state.record.people.len(), 1);
    assert_eq!(state.record.people[0].current.name, "Baby Renamed");
    assert!(!state.record.people[0].in_conflict, "based on the version shown, so not a conflict");

    let r = store.record_person(case, PersonInput { nhs_number: Some("943 476 5918".into()), ..person("x") });
    refused(&store, r, "This is not a valid NHS number: the last digit does not match; check it was typed correctly.");
    let r = store.record_person(case, PersonInput { nhs_number: Some("943 476 591".into()), ..person("x") });
    refused(&store, r, "An NHS number has 10 digits, but this has 9; check it was typed in full.");
    let r = store.record_person(case, PersonInput { gestation_weeks: Some(12), ..person("x") });
    refused(&store, r, "A gestation at birth of 12 weeks is not possible; give the completed weeks, between 20 and 44.");
    let r = store.record_person(case, PersonInput { gestation_weeks: None, ..person("x") });
    refused(&store, r, "Give the completed weeks of gestation as well as the days, as in 32+4.");
    let r = store.record_person(case, PersonInput { person_id: Some(Uuid::nil()), ..person("x") });
    refused(&store, r, &format!("That family member is not on this case (reference {}). Open the case again and choose them from its list.", Uuid::nil()));
}

#[test]
fn a_planned_visit_is_completed_by_recording_the_contact() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let case = store.receive_referral(referral("Testfamily-Visit")).unwrap().case_id;
    let state = store
        .plan_contact(
            case,
            PlanInput { planned_for: at("2026-11-24 09:00"), contact_type: ContactType::HomeVisit, location: Some("Family home".into()) },
        )
        .unwrap();
    store.plan_contact(case, PlanInput { planned_for: at("2026-12-03 14:00"), contact_type: ContactType::HubVisit, location: None }).unwrap();
    let planned = state.record.planned_contacts[0].details.contact_id;
    assert_eq!(store.case_summary(case).unwrap().next_visit_at, Some(at("2026-11-24 09:00")));

    let input = ContactInput {
        contact_id: Some(planned),
        started_at: Some("09:10".parse().unwrap()),
        duration_minutes: Some(55),
        attendees: vec!["Parent".into(), " ".into(), "Fictional Health Visitor".into()],
        interventions: vec!["Video interaction guidance".into()],
        location: Some("Family home".into()),
        ..ContactInput::new(day("2026-11-24"), ContactType::HomeVisit, AttendanceOutcome::Attended)
    };
    let contact = store.record_contact(case, input.clone()).unwrap();
    assert_eq!(contact.contact_id, planned);
    let recorded = store.case_events(case).unwrap().into_iter().last().unwrap();
    match recorded.body {
        casebook_domain::EventBody::ContactRecorded(c) => {
            assert_eq!(c.attendees, vec!["Parent", "Fictional Health Visitor"], "blank attendees are dropped");
            assert_eq!(c.duration_minutes, Some(55));
            assert_eq!(c.started_at, Some("09:10".parse().unwrap()));
            assert_eq!(c.interventions, vec!["Video interaction guidance"]);
        }
        other => panic!("{other:?}"),
    }
    let summary = store.case_summary(case).unwrap();
    assert_eq!(summary.next_visit_at, Some(at("2026-12-03 14:00")), "the recorded visit is no longer planned");
    assert_eq!(summary.last_contact_on, Some(day("2026-11-24")));
    assert_eq!(summary.first_contact_due, None, "first contact made");

    let r = store.record_contact(case, input);
    refused(&store, r, "That planned contact has already been recorded.");
    let r = store.record_contact(case, ContactInput { contact_id: Some(Uuid::nil()), ..ContactInput::new(day("2026-11-24"), ContactType::HomeVisit, AttendanceOutcome::Attended) });
    refused(&store, r, &format!("There is no planned contact with the id {} on this case.", Uuid::nil()));
    let r = store.record_contact(case, ContactInput { duration_minutes: Some(0), ..ContactInput::new(day("2026-11-24"), ContactType::Telephone, AttendanceOutcome::Attended) });
    refused(&store, r, "The duration should be between 1 minute and 12 hours.");
}

#[test]
fn measures_are_scored_and_refused_with_the_measures_own_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let case = store.open_case(family("Testfamily-Measures")).unwrap().case_id;
    let entry = store.record_measure(case, epds(TimePoint::Baseline, "2026-11-24", &[1, 1, 1, 1, 1, 1, 1, 1, 0, 2])).unwrap();
    let scored = entry.scored.unwrap();
    assert_eq!(scored.total, 10);
    assert_eq!(scored.risk_flags.len(), 1);
    assert_eq!(scored.risk_flags[0].item, 10);
    assert_eq!(entry.administered_by, USER);

    let r = store.record_measure(case, epds(TimePoint::Review, "2026-11-24", &[1, 1, 1, 1, 1, 1, 1, 1, 0]));
    refused(&store, r, "EPDS needs 10 item scores; 9 were given.");
    let r = store.record_measure(case, epds(TimePoint::Review, "2026-11-24", &[1, 1, 4, 1, 1, 1, 1, 1, 0, 0]));
    refused(&store, r, "EPDS item 3 is 4, but items score 0 to 3.");
    let r = store.record_measure(case, epds(TimePoint::Review, "2026-11-25", &[0; 10]));
    refused(&store, r, "Date completed 2026-11-25 is in the future; please check the date.");

    let goal = |d: &str, score| Goal { description: d.into(), score };
    let gbo = |goals: Vec<Goal>, items: Vec<u8>| MeasureInput {
        kind: MeasureKind::Gbo,
        time_point: TimePoint::Baseline,
        administered_on: day("2026-11-24"),
        items,
        entered_as: None,
        goals,
    };
    let entry = store.record_measure(case, gbo(vec![goal("  Enjoy bath time together ", 3)], vec![])).unwrap();
    assert_eq!(entry.details.goals, vec![goal("Enjoy bath time together", 3)], "descriptions are trimmed");
    assert_eq!(entry.scored, None);
    let r = store.record_measure(case, gbo(vec![goal("Sleep", 11)], vec![]));
    refused(&store, r, "Goal 1 is scored 11, but goals score 0 to 10.");
    let r = store.record_measure(case, gbo(vec![goal("Sleep", 1)], vec![1]));
    refused(&store, r, "Goal Based Outcomes are recorded as goals, not item scores; give each goal and its score.");
    let r = store.record_measure(case, MeasureInput { goals: vec![goal("Sleep", 1)], ..epds(TimePoint::Review, "2026-11-24", &[0; 10]) });
    refused(&store, r, "Only Goal Based Outcomes have goals; give the EPDS item scores instead.");
    // Nothing is left to be guessed: a questionnaire says what its numbers are.
    let r = store.record_measure(case, MeasureInput { entered_as: None, ..epds(TimePoint::Review, "2026-11-24", &[0; 10]) });
    refused(
        &store,
        r,
        "Say whether the EPDS numbers are the answers ticked (in the order printed on the form) or item scores copied from a scored form.",
    );
    assert_eq!(store.case(case).unwrap().state.record.measures.len(), 2);
}

/// The first box ticked on every EPDS item, recorded as ticked: 21, probable depression, and the
/// item 10 risk flag; the record keeps what was entered, how, and the scores it produced, and
/// reads back the same after the store is closed and opened again.
#[test]
fn an_epds_entered_as_ticked_is_scored_by_the_form_and_kept_as_entered() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let case = store.open_case(family("Testfamily-Ticked")).unwrap().case_id;
    let ticked = MeasureInput { entered_as: Some(Entry::Answers), ..epds(TimePoint::Baseline, "2026-11-24", &[0; 10]) };
    let entry = store.record_measure(case, ticked).unwrap();
    let scored = entry.scored.unwrap();
    assert_eq!((scored.total, scored.band.label.as_str()), (21, "Probable depression"));
    assert_eq!((scored.risk_flags[0].item, scored.risk_flags[0].value), (10, 3));
    assert_eq!((entry.details.items, entry.details.entered_as), (vec![0; 10], Some(Entry::Answers)));
    assert_eq!(scored.item_scores, [0, 0, 3, 0, 3, 3, 3, 3, 3, 3]);
    drop(store);
    let store = Store::open_with(dir.path(), PASSPHRASE, options(FixedClock::at("2026-11-24T10:00:00Z"))).unwrap();
    let kept = &store.case(case).unwrap().state.record.measures[0];
    assert_eq!((kept.details.entered_as, kept.scored.as_ref().unwrap().total), (Some(Entry::Answers), 21));
}

#[test]
fn risk_alerts_tasks_and_discharge() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let case = store.receive_referral(referral("Testfamily-Risk")).unwrap().case_id;

    store.assess_risk(case, risk(RiskLevel::Medium, Some("2026-12-08"))).unwrap();
    assert_eq!(store.case_summary(case).unwrap().risk, Some(RiskLevel::Medium));
    let r = store.assess_risk(case, risk(RiskLevel::High, Some("2026-11-01")));
    refused(&store, r, "The next review date is before the date of this review.");

    let state = store.raise_alert(case, AlertKind::LoneWorker, "Fictional: dog at the address; visit in pairs.".into()).unwrap();
    let alert = state.record.alerts[0].alert_id;
    store.raise_alert(case, AlertKind::Other, "Fictional: prefers afternoon visits.".into()).unwrap();
    assert_eq!(store.case_summary(case).unwrap().active_alerts, 2);
    let state = store.clear_alert(case, alert, "Fictional: dog rehomed.".into()).unwrap();
    assert_eq!(state.record.active_alerts().count(), 1);
    assert_eq!(store.case_summary(case).unwrap().active_alerts, 1);
    let r = store.clear_alert(case, alert, "again".into());
    refused(&store, r, "That alert was already cleared by test.clinician on 24 November 2026.");
    let r = store.clear_alert(case, Uuid::nil(), "why".into());
    refused(&store, r, &format!("That alert is not on this case (reference {}). Open the case again to see its alerts.", Uuid::nil()));
    let r = store.raise_alert(case, AlertKind::Safeguarding, " ".into());
    refused(&store, r, "Alert is empty; please fill it in.");

    let state = store.add_task(case, TaskKind::Letter, "Letter to GP".into(), day("2026-11-30")).unwrap();
    let task = state.record.tasks[0].details.task_id;
    let state = store.complete_task(case, task).unwrap();
    assert!(state.record.tasks[0].done.is_some());
    let r = store.complete_task(case, task);
    refused(&store, r, "That task was already done by test.clinician on 24 November 2026.");
    let r = store.complete_task(case, Uuid::nil());
    refused(&store, r, &format!("That task is not on this case (reference {}). Open the case again to see its tasks.", Uuid::nil()));

    let r = store.discharge(case, day("2026-10-01"), DischargeReason::GoalsMet, "Fictional.".into());
    refused(&store, r, "The discharge date is before the referral was received (24 November 2026). Check the date.");
    let r = store.discharge(case, day("2026-11-24"), DischargeReason::GoalsMet, " ".into());
    refused(&store, r, "Discharge summary is empty; please fill it in.");
    let state = store.discharge(case, day("2026-11-24"), DischargeReason::GoalsMet, "Fictional discharge summary.".into()).unwrap();
    assert_eq!(state.record.discharge.as_ref().unwrap().details.reason, DischargeReason::GoalsMet);
    let summary = store.case_summary(case).unwrap();
    assert_eq!(summary.status, "Discharged");
    assert_eq!(summary.first_contact_due, None);
    let r = store.discharge(case, day("2026-11-24"), DischargeReason::Other, "Again.".into());
    refused(
        &store,
        r,
        "This case was already discharged on 24 November 2026; a case is discharged only once (if the family is referred again, log a new referral).",
    );
    let unknown = Uuid::now_v7();
    assert!(matches!(store.assess_risk(unknown, risk(RiskLevel::Low, None)), Err(StoreError::CaseNotFound(_))));
    assert!(matches!(store.discharge(unknown, day("2026-11-24"), DischargeReason::Other, "x".into()), Err(StoreError::CaseNotFound(_))));
}

/// Two cases with visits, deadlines, a task, a risk review, an old baseline and a draft.
fn a_week_of_work(store: &mut Store) -> (Uuid, Uuid) {
    let a = store.receive_referral(referral("Testfamily-Ash")).unwrap().case_id;
    let b = store.open_case(family("Testfamily-Birch")).unwrap().case_id;
    store.plan_contact(a, PlanInput { planned_for: at("2026-11-27 14:00"), contact_type: ContactType::HomeVisit, location: None }).unwrap();
    store
        .plan_contact(b, PlanInput { planned_for: at("2026-11-27 09:30"), contact_type: ContactType::HubVisit, location: Some("Fictional Family Hub".into()) })
        .unwrap();
    store.plan_contact(b, PlanInput { planned_for: at("2026-11-28 10:00"), contact_type: ContactType::HomeVisit, location: None }).unwrap();
    store.change_detail(b, DetailField::Address, Some("1 Fictional Row, Testshire".into())).unwrap();
    store.raise_alert(b, AlertKind::Other, "Fictional: ring the bell twice.".into()).unwrap();
    store.raise_alert(b, AlertKind::LoneWorker, "Fictional: visit in pairs.".into()).unwrap();
    store.add_task(b, TaskKind::Letter, "Letter to Fictional GP".into(), day("2026-11-30")).unwrap();
    store.assess_risk(b, risk(RiskLevel::High, Some("2026-12-10"))).unwrap();
    store.record_measure(b, epds(TimePoint::Baseline, "2026-08-20", &[1; 10])).unwrap();
    store
        .save_draft(DraftInput {
            case_id: a,
            note_id: None,
            contact_id: None,
            occurred_on: day("2026-11-24"),
            text: "\nFictional draft: first visit went well.\nMore to add.".into(),
        })
        .unwrap();
    (a, b)
}

#[test]
fn today_shows_visits_in_time_order_what_is_due_and_drafts() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let (a, b) = a_week_of_work(&mut store);

    let today = store.today(day("2026-11-27")).unwrap();
    assert_eq!(today.on, day("2026-11-27"));
    let visits: Vec<(&str, NaiveDateTime)> = today.visits.iter().map(|v| (v.family_name.as_str(), v.planned_for)).collect();
    assert_eq!(visits, vec![("Testfamily-Birch", at("2026-11-27 09:30")), ("Testfamily-Ash", at("2026-11-27 14:00"))]);
    let birch = &today.visits[0];
    assert_eq!(birch.case_id, b);
    assert_eq!(birch.contact_type, ContactType::HubVisit);
    assert_eq!(birch.location.as_deref(), Some("Fictional Family Hub"));
    assert_eq!(birch.address.as_deref(), Some("1 Fictional Row, Testshire"));
    assert_eq!(birch.alerts, vec!["Fictional: visit in pairs.", "Fictional: ring the bell twice."], "lone-worker first");
    assert!(today.visits[1].alerts.is_empty() && today.visits[1].address.is_none());

    let due: Vec<(&str, &str, chrono::NaiveDate, bool)> =
        today.due.iter().map(|d| (d.family_name.as_str(), d.what.as_str(), d.due_on, d.overdue)).collect();
    assert_eq!(
        due,
        vec![
            ("Testfamily-Birch", "EPDS review (baseline 3 months ago)", day("2026-11-12"), true),
            ("Testfamily-Birch", "Letter to Fictional GP", day("2026-11-30"), false),
            ("Testfamily-Ash", "First contact (Wigan BABS target)", day("2026-12-01"), false),
        ],
        "the risk review on 10 December is more than a week away"
    );
    assert_eq!(today.drafts.len(), 1);
    assert_eq!(today.drafts[0].case_id, a);
    assert_eq!(today.drafts[0].family_name, "Testfamily-Ash");
    assert_eq!(today.drafts[0].first_line, "Fictional draft: first visit went well.");

    // A week later: the first contact is overdue and the risk review has come into view.
    let later = store.today(day("2026-12-03")).unwrap();
    assert!(later.visits.is_empty());
    let whats: Vec<(&str, bool)> = later.due.iter().map(|d| (d.what.as_str(), d.overdue)).collect();
    assert_eq!(
        whats,
        vec![
            ("EPDS review (baseline 3 months ago)", true),
            ("Letter to Fictional GP", true),
            ("First contact (Wigan BABS target)", true),
            ("Risk review", false),
        ]
    );

    // Done things drop off: a contact that took place, a review measure, a completed task.
    store.record_contact(a, ContactInput::new(day("2026-11-24"), ContactType::Telephone, AttendanceOutcome::Attended)).unwrap();
    store.record_measure(b, epds(TimePoint::Review, "2026-11-24", &[0; 10])).unwrap();
    let task = store.case(b).unwrap().state.record.tasks[0].details.task_id;
    store.complete_task(b, task).unwrap();
    let whats: Vec<String> = store.today(day("2026-12-03")).unwrap().due.into_iter().map(|d| d.what).collect();
    assert_eq!(whats, vec!["Risk review"]);
    // A baseline younger than 12 weeks is not due yet.
    store.record_measure(b, MeasureInput { kind: MeasureKind::Phq9, ..epds(TimePoint::Baseline, "2026-09-10", &[0; 9]) }).unwrap();
    assert!(store.today(day("2026-12-02")).unwrap().due.is_empty(), "the PHQ-9 baseline is 11 weeks 6 days old");
    let due = store.today(day("2026-12-03")).unwrap().due;
    assert_eq!(due[0].what, "PHQ-9 review (baseline 2 months ago)");
    assert!(!due[0].overdue, "due today, not overdue");
    // A missed visit still shows on its day until it is recorded.
    assert_eq!(store.today(day("2026-11-28")).unwrap().visits.len(), 1);
}

#[test]
fn a_risk_answer_waits_on_the_caseload_and_today_until_a_risk_review_follows_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let case = store.receive_referral(referral("Testfamily-Rowan")).unwrap().case_id;
    store.record_contact(case, ContactInput::new(day("2026-11-23"), ContactType::HomeVisit, AttendanceOutcome::Attended)).unwrap();
    // The first box ticked on every EPDS item: item 10's first box is "Yes, quite often".
    let ticked = MeasureInput { entered_as: Some(Entry::Answers), ..epds(TimePoint::Baseline, "2026-11-23", &[0; 10]) };
    store.record_measure(case, ticked).unwrap();

    let row = store.case_summary(case).unwrap();
    assert_eq!(row.risk_to_review_since, Some(day("2026-11-23")));
    let today = store.today(day("2026-11-25")).unwrap();
    let first = &today.due[0];
    assert!(first.risk && first.overdue, "{first:?}");
    assert_eq!(first.what, "Risk to review: EPDS item 10 (score 3) on 23 Nov 2026");
    assert!(first.crisis_route.is_some(), "Wigan BABS sets a crisis route");

    // A later EPDS without the answer does not close it; a risk review does.
    store.record_measure(case, epds(TimePoint::Review, "2026-11-24", &[0; 10])).unwrap();
    assert!(store.case_summary(case).unwrap().risk_to_review_since.is_some());
    store.assess_risk(case, risk(RiskLevel::Medium, None)).unwrap();
    assert_eq!(store.case_summary(case).unwrap().risk_to_review_since, None);
    assert!(store.today(day("2026-11-25")).unwrap().due.iter().all(|d| !d.risk));
}

#[test]
fn caseload_columns_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let (a, b) = a_week_of_work(&mut store);
    let cases = store.list_cases().unwrap();
    let ash = cases.iter().find(|c| c.case_id == a).unwrap();
    let birch = cases.iter().find(|c| c.case_id == b).unwrap();
    assert_eq!((ash.status.as_str(), ash.risk, ash.first_contact_due), ("Referral received", None, Some(day("2026-12-01"))));
    assert_eq!(ash.next_visit_at, Some(at("2026-11-27 14:00")));
    assert_eq!((birch.status.as_str(), birch.risk, birch.active_alerts), ("Open", Some(RiskLevel::High), 2));
    assert_eq!(birch.next_visit_at, Some(at("2026-11-27 09:30")));
    let today = day("2026-11-24");
    let high = CaseFilter { risk_at_least: Some(RiskLevel::Medium), ..Default::default() };
    assert_eq!(store.list_cases_matching(&high, today).unwrap().iter().map(|c| c.case_id).collect::<Vec<_>>(), vec![b]);
    let deadline = CaseFilter { deadline_within_days: Some(7), ..Default::default() };
    assert_eq!(store.list_cases_matching(&deadline, today).unwrap().iter().map(|c| c.case_id).collect::<Vec<_>>(), vec![a]);
    let json = serde_json::to_value(ash).unwrap();
    assert_eq!(json["status"], "Referral received");
    assert_eq!(json["first_contact_due"], "2026-12-01");
}

#[test]
fn rebuilt_projections_are_identical_with_the_whole_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    populate(&mut store, 2, 1);
    a_week_of_work(&mut store);
    let before = store.projection_dump().unwrap();
    let cases_before = store.list_cases().unwrap();
    let today_before = store.today(day("2026-11-27")).unwrap();
    assert!(before.contains("# planned_visits") && before.contains("# due_items") && before.contains("Referral received"));
    store.rebuild_projections().unwrap();
    assert_eq!(store.projection_dump().unwrap(), before);
    assert_eq!(store.list_cases().unwrap(), cases_before);
    assert_eq!(store.today(day("2026-11-27")).unwrap(), today_before);
}

#[test]
fn a_store_from_the_previous_version_gains_the_caseload_columns() {
    let reference_dir = tempfile::tempdir().unwrap();
    let mut reference = new_store(reference_dir.path());
    a_week_of_work(&mut reference);
    let events: Vec<_> =
        reference.list_cases().unwrap().iter().flat_map(|c| reference.case_events(c.case_id).unwrap()).collect();
    const { assert!(schema::LATEST >= 8, "this test is about migration 8") };

    let dir = tempfile::tempdir().unwrap();
    let clock = FixedClock::at("2026-11-24T10:00:00Z");
    Store::create_at_version_for_tests(dir.path(), PASSPHRASE, USER, &options(clock.clone()), 7, |tx| {
        for e in &events {
            casebook_store::projection::insert_event(tx, e)?;
        }
        Ok(())
    })
    .unwrap();
    let store = Store::open_with(dir.path(), PASSPHRASE, options(clock)).unwrap();
    assert_eq!(schema::version(store.connection()).unwrap(), schema::LATEST);
    assert_eq!(store.projection_dump().unwrap(), reference.projection_dump().unwrap());
    let strip = |mut v: Vec<casebook_store::CaseSummary>| {
        v.iter_mut().for_each(|c| c.my_draft_count = 0); // drafts are not in the log
        v
    };
    assert_eq!(strip(store.list_cases().unwrap()), strip(reference.list_cases().unwrap()));
    assert_eq!(store.today(day("2026-11-27")).unwrap().due, reference.today(day("2026-11-27")).unwrap().due);
}

#[test]
fn a_teams_own_profiles_and_bank_holidays_are_read_from_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    assert_eq!(store.service_profiles().len(), 2);
    assert!(store.service_profile_problems().is_empty());
    let profiles = dir.path().join("service-profiles");
    std::fs::create_dir(&profiles).unwrap();
    std::fs::write(
        profiles.join("testshire.json"),
        r#"{"id": "testshire-babs", "name": "Testshire BABS",
            "eligibility": {"pregnant_eligible": true, "infant_age_limit": {"up_to_months": 6}, "residence": {"rule": "none"}},
            "first_contact_working_days": 10}"#,
    )
    .unwrap();
    std::fs::write(profiles.join("broken.json"), r#"{"id": "Broken One"}"#).unwrap();
    std::fs::write(profiles.join("notes.txt"), "not a profile").unwrap();
    let ids: Vec<String> = store.service_profiles().into_iter().map(|p| p.id).collect();
    assert_eq!(ids, vec!["sefton-babs", "wigan-babs", "testshire-babs"]);
    let problems = store.service_profile_problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("The service profile ") && problems[0].contains("broken.json was skipped: "), "{}", problems[0]);
    let check = store.check_referral(&ReferralInput { profile_id: "testshire-babs".into(), ..referral("x") }).unwrap();
    assert_eq!(check.first_contact_due, Some(day("2026-12-08")));
    assert_eq!(check.crisis_route, None);

    // IT drops gov.uk's list in the data directory: a fictional extra day on Thursday 26 November.
    assert_eq!(store.working_days_problem(), None);
    std::fs::write(
        dir.path().join("bank-holidays.json"),
        r#"{"england-and-wales": {"division": "england-and-wales", "events": [
            {"title": "Fictional extra day", "date": "2026-11-26", "notes": "", "bunting": false}]}}"#,
    )
    .unwrap();
    assert!(!store.working_days().is_working_day(day("2026-11-26")));
    let summary = store.receive_referral(referral("Testfamily-Holiday")).unwrap();
    assert_eq!(summary.first_contact_due, Some(day("2026-12-02")), "one day later for the extra holiday");
    std::fs::write(dir.path().join("bank-holidays.json"), "{").unwrap();
    assert!(store.working_days().is_working_day(day("2026-11-26")), "an unreadable list is ignored");
    assert!(store.working_days_problem().unwrap().contains("the shipped list is used"));
}

/// Professionals involved with the family are people on the case too, with their role and
/// organisation; the role is required for them and refused for anyone else.
#[test]
fn professionals_involved_are_recorded_with_their_role() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let case = store.open_case(family("Testfamily-Professionals")).unwrap().case_id;
    let health_visitor = casebook_domain::Professional {
        name: "Fictional Health Visitor".into(),
        role: casebook_domain::ReferrerRole::HealthVisitor,
        organisation: Some("Example Health Centre".into()),
        phone: Some("01234 000002".into()),
        email: None,
    };
    let input = PersonInput {
        role: PersonRole::Professional,
        name: "Fictional Health Visitor".into(),
        date_of_birth: None,
        nhs_number: None,
        language: None,
        interpreter_needed: false,
        gestation_weeks: None,
        gestation_days: None,
        professional: Some(health_visitor.clone()),
        ..person("x")
    };
    let state = store.record_person(case, input.clone()).unwrap();
    let header = casebook_domain::CaseHeader::of(&state, day("2026-11-24"));
    let line = header.people.iter().find(|p| p.name == "Fictional Health Visitor").unwrap();
    assert_eq!(line.role, "Health visitor, Example Health Centre");
    assert_eq!(line.language.as_deref(), Some("01234 000002"), "how to reach them");

    let before = store.outbox_len().unwrap();
    let err = store.record_person(case, PersonInput { professional: None, ..input.clone() }).unwrap_err().to_string();
    assert!(err.contains("professional's role"), "{err}");
    let err = store
        .record_person(case, PersonInput { role: PersonRole::ParentOrCarer, gestation_weeks: None, ..input })
        .unwrap_err()
        .to_string();
    assert!(err.contains("for professionals only"), "{err}");
    assert_eq!(store.outbox_len().unwrap(), before, "nothing written on refusal");
}

#[test]
fn a_request_without_consent_is_kept_as_a_consultation_on_a_case_opened_for_the_family() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let mut input = referral("Testfamily-NoConsent");
    input.consent_to_refer = false;
    input.other_reasons = Some("  Fictional: low mood since the birth ".into());
    let summary = store
        .consultation_without_consent(input, ConsultationOutcome::AdviceGiven, Some(" Fictional: a listening visit ".into()))
        .unwrap();
    assert_eq!(summary.family_name.as_deref(), Some("Testfamily-NoConsent"));
    let state = store.case(summary.case_id).unwrap().state;
    assert!(state.record.referral.is_none(), "without consent there is no referral");
    assert_eq!(state.details.as_ref().unwrap().parent.as_ref().unwrap().name, "Parent of Testfamily-NoConsent");
    let c = &state.record.consultations[0].details;
    assert_eq!(
        c.question,
        format!(
            "Asked about the family without their consent to a referral. {}; {}; Fictional: low mood since the birth.",
            ReferralReason::LackOfBonding.label(),
            ReferralReason::HistoryOfAcesOrTrauma.label()
        )
    );
    assert_eq!(c.outcome, ConsultationOutcome::AdviceGiven);
    assert_eq!(c.advice.as_deref(), Some("Fictional: a listening visit"));
    assert_eq!(c.professional, midwife());
    assert_eq!(c.on, day("2026-11-24"));
    // Both in one transaction: a refused one (no family name) leaves no case behind.
    let mut nameless = referral(" ");
    nameless.consent_to_refer = false;
    assert!(store.consultation_without_consent(nameless, ConsultationOutcome::AdviceGiven, None).is_err());
    assert_eq!(store.case_count().unwrap(), 1);
}

//! A referral found not eligible has no first-contact deadline unless a person takes it on, and
//! then the deadline counts from that decision.

use casebook_domain::testing::Laptop;
use casebook_domain::*;
use chrono::NaiveDate;
use uuid::Uuid;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

const T0: u64 = 1_795_514_400_000; // 2026-11-24 10:00 UTC

fn referral(id: Uuid, eligibility: EligibilityResult) -> EventBody {
    EventBody::ReferralReceived(ReferralReceived {
        referral_id: id,
        received_on: d("2026-11-16"),
        profile_id: "wigan-babs".into(),
        referrer: Professional {
            name: "Fictional Health Visitor".into(),
            role: ReferrerRole::HealthVisitor,
            organisation: None,
            phone: None,
            email: None,
        },
        consent_to_refer: true,
        reasons: vec![ReferralReason::LackOfBonding],
        other_reasons: None,
        gp_practice: None,
        pregnant: Some(false),
        residence_confirmed: Some(false),
        eligibility,
        // As an older version wrote it: a deadline even for a referral found not eligible.
        first_contact_due: Some(d("2026-11-23")),
    })
}

fn taken_on(id: Uuid, on: &str, due: &str) -> EventBody {
    EventBody::ReferralTakenOn(ReferralTakenOn {
        referral_id: id,
        on: d(on),
        reason: "Fictional: the family move into Wigan next week.".into(),
        first_contact_due: Some(d(due)),
    })
}

fn fold_all(bodies: Vec<EventBody>) -> CaseState {
    let case = Uuid::now_v7();
    let mut laptop = Laptop::new("lead.one");
    let opened = EventBody::CaseOpened(CaseOpened { family_name: "Testfamily-TakenOn".into(), parent: None, due_date: None, infant: None, to_team_inbox: false });
    let events: Vec<Event> = std::iter::once(opened)
        .chain(bodies)
        .enumerate()
        .map(|(i, b)| laptop.write_at(case, T0 + i as u64 * 60_000, b))
        .collect();
    fold(case, &events)
}

fn not_eligible() -> EligibilityResult {
    EligibilityResult::NotEligible { reasons: vec!["the family does not live in Wigan".into()] }
}

#[test]
fn a_referral_found_not_eligible_has_no_deadline_until_a_person_takes_it_on() {
    let id = Uuid::now_v7();
    let state = fold_all(vec![referral(id, not_eligible())]);
    let r = state.record.referral.as_ref().unwrap();
    assert_eq!(r.first_contact_due(), None, "the deadline written at intake by an older version does not apply");
    assert!(r.can_be_taken_on());
    let header = CaseHeader::of(&state, d("2026-11-30"));
    assert_eq!(header.first_contact, None, "no overdue first contact for a family the service is not seeing");
    assert!(header.referral_can_be_taken_on, "the window offers to take it on");

    let state = fold_all(vec![referral(id, not_eligible()), taken_on(id, "2026-11-20", "2026-11-27")]);
    let r = state.record.referral.as_ref().unwrap();
    assert_eq!(r.first_contact_due(), Some(d("2026-11-27")), "counted from the decision on 20 November");
    assert_eq!(r.taken_on.as_ref().unwrap().by, "lead.one");
    assert!(!r.can_be_taken_on());
    assert!(!CaseHeader::of(&state, d("2026-11-30")).referral_can_be_taken_on);
    let fc = CaseHeader::of(&state, d("2026-11-30")).first_contact.unwrap();
    assert_eq!((fc.due_on, fc.overdue), (d("2026-11-27"), true));
    assert!(state.chronology.iter().any(|e| matches!(e.item, ChronologyItem::ReferralTakenOn)));
}

#[test]
fn a_second_decision_is_kept_but_does_not_move_the_deadline() {
    let id = Uuid::now_v7();
    let state = fold_all(vec![
        referral(id, not_eligible()),
        taken_on(id, "2026-11-20", "2026-11-27"),
        taken_on(id, "2026-11-23", "2026-11-30"),
    ]);
    assert_eq!(state.record.referral.as_ref().unwrap().first_contact_due(), Some(d("2026-11-27")));
    assert_eq!(state.unplaced.len(), 1, "the second decision is kept, not applied: {:?}", state.unplaced);
}

#[test]
fn an_eligible_referral_keeps_the_deadline_shown_at_intake() {
    let id = Uuid::now_v7();
    let eligible = EligibilityResult::Eligible { reasons: vec!["the baby is under 2".into()] };
    let state = fold_all(vec![referral(id, eligible)]);
    let r = state.record.referral.as_ref().unwrap();
    assert_eq!(r.first_contact_due(), Some(d("2026-11-23")));
    assert!(!r.can_be_taken_on(), "nothing to decide");
    let more = EligibilityResult::NeedsMoreInformation { reasons: vec!["where the family lives".into()] };
    let state = fold_all(vec![referral(id, more)]);
    assert_eq!(state.record.referral.as_ref().unwrap().first_contact_due(), Some(d("2026-11-23")), "asking for more information does not stop the clock");
}

#[test]
fn a_decision_needs_a_reason_and_a_deadline_not_before_it() {
    let today = d("2026-11-24");
    let id = Uuid::now_v7();
    let blank = EventBody::ReferralTakenOn(ReferralTakenOn { referral_id: id, on: today, reason: "  ".into(), first_contact_due: None });
    assert!(blank.validate(today).unwrap_err().to_string().contains("Reason for taking it on"));
    let backwards = taken_on(id, "2026-11-24", "2026-11-20");
    assert!(backwards.validate(today).unwrap_err().to_string().contains("cannot be before the decision"));
    let future = taken_on(id, "2026-11-25", "2026-12-02");
    assert!(future.validate(today).is_err());
}

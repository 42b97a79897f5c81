//! Triage decisions made by several leads, each having seen some of the others' (offline, partial
//! syncs), delivered to a laptop in any order and any number of times: every decision is kept
//! once, every replica agrees on which stand and who holds the case, and a decision that has seen
//! all the others settles it. All data is fictional.

use casebook_domain::testing::{opened_for_inbox, referral_received, triaged, Laptop};
use casebook_domain::triage::{holders, TriageDecision};
use casebook_domain::{fold, Event, EventBody, TriageState};
use chrono::NaiveDate;
use proptest::prelude::*;
use std::collections::BTreeSet;
use uuid::Uuid;

const T0: u64 = 1_764_000_000_000;
const CLINICIANS: [&str; 3] = ["clin.a", "clin.b", "clin.c"];

fn on() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
}

/// One decision as generated: which lead, what, for whom, and which earlier decisions its lead
/// had seen (indexes into the decisions before it).
#[derive(Debug, Clone)]
struct Plan {
    lead: usize,
    decision: TriageDecision,
    to: usize,
    seen: Vec<bool>,
}

fn plans() -> impl Strategy<Value = Vec<Plan>> {
    prop::collection::vec(
        (0..3usize, prop::sample::select(TriageDecision::ALL.to_vec()), 0..3usize, prop::collection::vec(any::<bool>(), 8)),
        1..7,
    )
    .prop_map(|v| v.into_iter().map(|(lead, decision, to, seen)| Plan { lead, decision, to, seen }).collect())
}

/// The case's opening and referral, then the decisions as planned.
fn story(plans: &[Plan]) -> (Uuid, Vec<Event>, Vec<Uuid>) {
    let case = Uuid::now_v7();
    let mut admin = Laptop::new("admin.a");
    let mut leads: Vec<Laptop> = ["lead.a", "lead.b", "lead.c"].into_iter().map(Laptop::new).collect();
    let referral = referral_received(on());
    let mut events = vec![
        admin.write_at(case, T0, opened_for_inbox("Testfamily-Triage")),
        admin.write_at(case, T0 + 1, EventBody::ReferralReceived(referral.clone())),
    ];
    let mut ids: Vec<Uuid> = Vec::new();
    for (i, p) in plans.iter().enumerate() {
        let seen: Vec<Uuid> = ids.iter().enumerate().filter(|(j, _)| p.seen[*j % p.seen.len()]).map(|(_, id)| *id).collect();
        let to: &[&str] = if p.decision == TriageDecision::Accept { &CLINICIANS[p.to..=p.to] } else { &[] };
        let t = triaged(referral.referral_id, p.decision, to, on(), &seen);
        ids.push(t.triage_id);
        events.push(leads[p.lead].write_at(case, T0 + 10 + i as u64 * 1_000, EventBody::ReferralTriaged(t)));
    }
    (case, events, ids)
}

fn standing_ids(state: &TriageState) -> BTreeSet<Uuid> {
    match state {
        TriageState::Awaiting => BTreeSet::new(),
        TriageState::Decided { decision } => BTreeSet::from([decision.details.triage_id]),
        TriageState::Conflict { decisions } => decisions.iter().map(|d| d.details.triage_id).collect(),
    }
}

proptest! {
    #[test]
    fn every_replica_agrees_on_the_standing_decisions_whatever_the_order(
        plans in plans(),
        shuffle in prop::collection::vec(any::<u32>(), 16),
        duplicate in prop::collection::vec(any::<bool>(), 16),
    ) {
        let (case, events, ids) = story(&plans);
        let reference = fold(case, &events);
        let referral = reference.record.referral.clone().unwrap();
        // Every decision is kept, once.
        prop_assert_eq!(referral.triage.len(), plans.len());
        // Delivered reordered, with some sent twice: the same decisions stand.
        let mut delivered: Vec<Event> = events.clone();
        for (i, e) in events.iter().enumerate() {
            if duplicate[i % duplicate.len()] {
                delivered.push(e.clone());
            }
        }
        let mut keyed: Vec<(u32, Event)> = delivered.into_iter().enumerate().map(|(i, e)| (shuffle[i % shuffle.len()].wrapping_mul(i as u32 + 1), e)).collect();
        keyed.sort_by_key(|(k, _)| *k);
        let replica = fold(case, &keyed.into_iter().map(|(_, e)| e).collect::<Vec<_>>());
        let other = replica.record.referral.clone().unwrap();
        prop_assert_eq!(other.triage.len(), plans.len());
        prop_assert_eq!(standing_ids(&other.triage_state), standing_ids(&referral.triage_state));
        // Who holds the case is the same on every replica (and on the central store, which applies
        // the same rule to the same decisions).
        let details: Vec<_> = referral.triage.iter().map(|t| t.details.clone()).collect();
        let mut replica_details: Vec<_> = other.triage.iter().map(|t| t.details.clone()).collect();
        replica_details.reverse();
        prop_assert_eq!(holders(&details), holders(&replica_details));
        // A decision that has seen every other settles it.
        let mut settled = events.clone();
        let mut lead = Laptop::new("lead.settles");
        let t = triaged(referral.details.referral_id, TriageDecision::Accept, &["clin.c"], on(), &ids);
        let settling = t.triage_id;
        settled.push(lead.write_at(case, T0 + 100_000, EventBody::ReferralTriaged(t)));
        let after = fold(case, &settled).record.referral.unwrap();
        let settled_by = match &after.triage_state {
            TriageState::Decided { decision } => Some(decision.details.triage_id),
            _ => None,
        };
        prop_assert_eq!(settled_by, Some(settling));
        prop_assert_eq!(holders(&after.triage.iter().map(|t| t.details.clone()).collect::<Vec<_>>()), Some(BTreeSet::from(["clin.c".to_string()])));
    }
}

#[test]
fn two_decisions_in_conflict_keep_both_clinicians_and_change_no_status() {
    let plans = vec![
        Plan { lead: 0, decision: TriageDecision::Accept, to: 0, seen: vec![false; 8] },
        Plan { lead: 1, decision: TriageDecision::Decline, to: 0, seen: vec![false; 8] },
    ];
    let (case, events, _) = story(&plans);
    let referral = fold(case, &events).record.referral.unwrap();
    assert!(matches!(&referral.triage_state, TriageState::Conflict { decisions } if decisions.len() == 2));
    // A conflict decides nothing: the status goes back to where it was before triage.
    assert_eq!(referral.status, casebook_domain::ReferralStatus::Received);
    let details: Vec<_> = referral.triage.iter().map(|t| t.details.clone()).collect();
    assert_eq!(holders(&details), Some(BTreeSet::from(["clin.a".to_string()])));
}

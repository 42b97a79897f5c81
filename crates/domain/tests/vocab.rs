//! The referral vocabularies and the referral status moves.

use casebook_domain::{
    can_move, check_move, next_statuses, ConsultationOutcome, ReasonGroup, ReferralReason, ReferralStatus, ReferrerRole,
    StatusError, ThriveGroup,
};
use std::collections::HashSet;
use ReferralStatus::*;

#[test]
fn referral_reasons_are_the_three_checklists_from_the_design() {
    let counts: Vec<usize> = ReasonGroup::ALL.iter().map(|g| g.reasons().count()).collect();
    assert_eq!(counts, [5, 7, 4]);
    assert_eq!(
        ReasonGroup::Infant.reasons().map(ReferralReason::label).collect::<Vec<_>>(),
        [
            "Looks anxious, tense, distressed or fearful",
            "Poor signs of attachment",
            "Current adverse childhood experiences, abuse or trauma",
            "Developmental delay",
            "Born prematurely",
        ]
    );
    assert_eq!(ReferralReason::TeenageOrYoungParent.group(), ReasonGroup::AdditionalVulnerabilities);
    assert_eq!(ReferralReason::LackOfBonding.label(), "Lack of bonding antenatally or after birth");
    assert_eq!(ReasonGroup::ParentOrProfessionalConcern.label(), "Parent or professional concern");
    // Ids and labels are all different, and ids are snake_case in JSON.
    let ids: HashSet<String> = ReferralReason::ALL.iter().map(|r| serde_json::to_string(r).unwrap()).collect();
    let labels: HashSet<&str> = ReferralReason::ALL.iter().map(|r| r.label()).collect();
    assert_eq!((ids.len(), labels.len()), (16, 16));
    assert_eq!(serde_json::to_string(&ReferralReason::HistoryOfAcesOrTrauma).unwrap(), "\"history_of_aces_or_trauma\"");
    for r in ReferralReason::ALL {
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<ReferralReason>(&json).unwrap(), r);
    }
}

#[test]
fn small_vocabularies_have_labels_and_stable_ids() {
    assert_eq!(ReferrerRole::ALL.map(ReferrerRole::label), ["Midwife", "Health visitor", "GP", "Perinatal team", "Social worker", "Other"]);
    assert_eq!(serde_json::to_string(&ReferrerRole::Gp).unwrap(), "\"gp\"");
    assert_eq!(serde_json::to_string(&ReferrerRole::HealthVisitor).unwrap(), "\"health_visitor\"");
    assert_eq!(ConsultationOutcome::ALL.map(ConsultationOutcome::label), ["Advice given", "Referral invited", "Joint work"]);
    assert_eq!(
        ThriveGroup::ALL.map(ThriveGroup::label),
        ["Getting Advice", "Getting Help", "Getting More Help", "Getting Risk Support"]
    );
    assert_eq!(serde_json::to_string(&ThriveGroup::GettingRiskSupport).unwrap(), "\"getting_risk_support\"");
    assert_eq!(serde_json::to_string(&ReferralStatus::Signposted).unwrap(), "\"signposted\"");
}

#[test]
fn the_usual_path_is_received_acknowledged_contacted_then_an_outcome() {
    assert!(can_move(Received, Acknowledged));
    assert!(can_move(Acknowledged, Contacted));
    for outcome in [Accepted, Declined, Signposted] {
        assert!(can_move(Contacted, outcome));
    }
    assert_eq!(next_statuses(Contacted), [Accepted, Declined, Signposted]);
}

#[test]
fn a_clearly_ineligible_referral_can_be_closed_without_contacting_the_family() {
    assert!(can_move(Received, Declined));
    assert!(can_move(Received, Signposted));
    assert!(can_move(Acknowledged, Declined));
    assert!(can_move(Acknowledged, Signposted));
    // But accepting a family needs contact first.
    assert!(!can_move(Received, Accepted));
    assert!(!can_move(Acknowledged, Accepted));
}

#[test]
fn no_going_back_and_outcomes_are_final() {
    assert!(!can_move(Contacted, Acknowledged));
    assert!(!can_move(Acknowledged, Received));
    for s in ReferralStatus::ALL {
        assert!(!can_move(s, s), "{s:?} to itself is not a move");
    }
    for end in [Accepted, Declined, Signposted] {
        assert!(end.is_final());
        assert!(next_statuses(end).is_empty());
        assert!(ReferralStatus::ALL.iter().all(|&to| !can_move(end, to)));
    }
    assert!(!Received.is_final());
    // Every allowed move goes forward along received → acknowledged → contacted → outcome.
    let rank = |s: ReferralStatus| ReferralStatus::ALL.iter().position(|&x| x == s).unwrap().min(3);
    for from in ReferralStatus::ALL {
        for &to in next_statuses(from) {
            assert!(rank(to) > rank(from), "{from:?} → {to:?}");
        }
    }
}

#[test]
fn declining_needs_a_reason_and_refusals_explain_themselves() {
    assert_eq!(check_move(Contacted, Declined, None), Err(StatusError::ReasonRequired));
    assert_eq!(check_move(Contacted, Declined, Some("  ")), Err(StatusError::ReasonRequired));
    assert_eq!(check_move(Contacted, Declined, Some("Family moved out of the area")), Ok(()));
    assert_eq!(check_move(Contacted, Accepted, None), Ok(()));
    assert_eq!(
        check_move(Contacted, Declined, None).unwrap_err().to_string(),
        "give a reason for declining the referral; the referrer will be told it"
    );
    assert_eq!(
        check_move(Received, Accepted, None).unwrap_err().to_string(),
        "a referral that is received cannot be marked accepted; it can next be acknowledged, declined or signposted"
    );
    assert_eq!(
        check_move(Declined, Accepted, None).unwrap_err().to_string(),
        "a referral that is declined is closed and cannot be marked accepted; if the family is referred again, log a new referral"
    );
}

//! The team's work on the laptop store, without a central store: a referral logged on a laptop
//! signed in to a team waits in the inbox (not the caseload) until triage; only a lead's laptop
//! triages, naming people of the roster; the lead's view counts caseloads and flags what needs a
//! lead's eye. All data is fictional.

mod common;

use casebook_domain::team::{Roster, RosterDevice, RosterMember};
use casebook_domain::{AlertKind, Professional, ReferralReason, ReferrerRole, RiskLevel, SafeguardingStatus, ThriveGroup, TriageDecision};
use casebook_store::team::TriageInput;
use casebook_store::{ReferralInput, RiskInput};
use common::*;

fn referral(family: &str) -> ReferralInput {
    ReferralInput {
        family_name: family.into(),
        parent_name: None,
        due_date: Some(day("2027-03-01")),
        infant_name: None,
        infant_dob: None,
        received_on: day("2026-11-17"),
        profile_id: "wigan-babs".into(),
        referrer: Professional { name: "Fictional Midwife".into(), role: ReferrerRole::Midwife, organisation: None, phone: None, email: None },
        consent_to_refer: true,
        reasons: vec![ReferralReason::LackOfBonding],
        other_reasons: None,
        gp_practice: None,
        pregnant: None,
        residence_confirmed: Some(true),
    }
}

fn member(username: &str, role: &str, last_sync: Option<&str>) -> RosterMember {
    RosterMember {
        username: username.into(),
        role: role.into(),
        disabled: false,
        devices: vec![RosterDevice {
            device_id: uuid::Uuid::now_v7(),
            name: format!("{username}'s laptop"),
            last_sync_at: last_sync.map(|t| t.parse().unwrap()),
            notes_waiting_at_sync: Some(4),
            revoked_at: None,
        }],
    }
}

fn accept(case_id: uuid::Uuid, to: &[&str]) -> TriageInput {
    TriageInput { case_id, decision: TriageDecision::Accept, on: day("2026-11-24"), allocate_to: to.iter().map(|s| s.to_string()).collect(), reason: None }
}

#[test]
fn a_referral_waits_in_the_inbox_until_the_lead_triages_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    // Before signing in to a team, a referral is the clinician's own case, as it always was.
    let own = store.receive_referral(referral("Testfamily-Own")).unwrap().case_id;
    assert!(store.inbox(day("2026-11-24")).unwrap().is_empty());
    // Signed in to a team: the next referral goes to the inbox, not the caseload.
    store.set_sync_value(casebook_store::team::TEAM_ADDRESS_KEY, Some("https://casebook.example.nhs.uk")).unwrap();
    store.set_sync_value(casebook_store::team::TEAM_ROLE_KEY, Some("clinician")).unwrap();
    let case = store.receive_referral(referral("Testfamily-Inbox")).unwrap().case_id;
    let inbox = store.inbox(day("2026-11-24")).unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!((inbox[0].family_name.as_str(), inbox[0].days_waiting, inbox[0].overdue), ("Testfamily-Inbox", 7, false));
    assert_eq!(inbox[0].first_contact_due, Some(day("2026-11-24")), "five working days from Tuesday 17 November");
    assert!(store.inbox(day("2026-11-25")).unwrap()[0].overdue);
    let caseload: Vec<_> = store.list_cases().unwrap().into_iter().map(|c| c.case_id).collect();
    assert_eq!(caseload, [own]);
    assert_eq!(store.all_cases().unwrap().len(), 2, "still on the laptop, for checks and exports");

    // A clinician's laptop does not triage.
    let err = store.triage_referral(accept(case, &["clin.one"])).unwrap_err().to_string();
    assert!(err.contains("Only the team's lead triages referrals"), "{err}");
    // A lead's laptop does, naming people of the team as at the last sync.
    store.set_sync_value(casebook_store::team::TEAM_ROLE_KEY, Some("lead")).unwrap();
    store
        .set_roster(&Roster {
            team: "Test Team".into(),
            as_of: "2026-11-24T09:00:00Z".parse().unwrap(),
            members: vec![member("admin.one", "admin", None), member("clin.one", "clinician", Some("2026-11-24T08:00:00Z")), member("clin.two", "clinician", Some("2026-11-18T17:00:00Z"))],
        })
        .unwrap();
    for (to, why) in [("nobody.here", "is not on Test Team"), ("admin.one", "never hold cases")] {
        let err = store.triage_referral(accept(case, &[to])).unwrap_err().to_string();
        assert!(err.contains(why), "{err}");
    }
    let early = TriageInput { on: day("2026-11-16"), ..accept(case, &["clin.one"]) };
    assert!(store.triage_referral(early).unwrap_err().to_string().contains("before the referral was received"));
    let state = store.triage_referral(accept(case, &["clin.one"])).unwrap();
    assert_eq!(state.record.referral.as_ref().unwrap().status, casebook_domain::ReferralStatus::Accepted);
    assert!(store.inbox(day("2026-11-24")).unwrap().is_empty());
    let waiting = store.waiting_list(day("2026-11-24")).unwrap();
    assert_eq!((waiting.len(), waiting[0].allocated_to.clone()), (1, vec!["clin.one".to_string()]));
    // A second decision here replaces the first (it has seen it): no conflict.
    let state = store.triage_referral(accept(case, &["clin.two"])).unwrap();
    let referral = state.record.referral.unwrap();
    assert_eq!(referral.triage[1].details.supersedes, vec![referral.triage[0].details.triage_id]);
    assert!(matches!(referral.triage_state, casebook_domain::TriageState::Decided { .. }));
}

#[test]
fn the_leads_view_counts_caseloads_and_flags_what_needs_a_look() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    store.set_sync_value(casebook_store::team::TEAM_ROLE_KEY, Some("lead")).unwrap();
    let a = store.open_case(family("Testfamily-A")).unwrap().case_id;
    let b = store.open_case(family("Testfamily-B")).unwrap().case_id;
    let nobody = store.open_case(family("Testfamily-Nobody")).unwrap().case_id;
    // A family the lead took on themselves at triage: the central store lists no clinician for it.
    let own = store.receive_referral(referral("Testfamily-LeadsOwn")).unwrap().case_id;
    store.set_allocations(&[(a, vec!["clin.one".into()]), (b, vec!["clin.one".into(), "clin.two".into()]), (nobody, vec![]), (own, vec![])]).unwrap();
    store.raise_alert(a, AlertKind::LoneWorker, "Fictional: visit in pairs".into()).unwrap();
    store
        .assess_risk(
            b,
            RiskInput {
                on: day("2026-11-20"),
                to_self: RiskLevel::Medium,
                to_infant: RiskLevel::Low,
                from_others: RiskLevel::NoneKnown,
                safeguarding: SafeguardingStatus::ChildProtectionPlan,
                thrive: ThriveGroup::GettingRiskSupport,
                summary: "Fictional summary".into(),
                actions: None,
                review_on: Some(day("2026-11-23")),
            },
        )
        .unwrap();
    store
        .set_roster(&Roster {
            team: "Test Team".into(),
            as_of: "2026-11-24T09:00:00Z".parse().unwrap(),
            members: vec![
                member("clin.one", "clinician", Some("2026-11-24T08:00:00Z")),
                member("clin.two", "clinician", Some("2026-11-18T17:00:00Z")),
                member("lead.one", "lead", Some("2026-11-24T08:30:00Z")),
            ],
        })
        .unwrap();
    store.triage_referral(accept(own, &["lead.one"])).unwrap();
    let view = store.team_view(day("2026-11-24"), 2, 14).unwrap();
    let loads: Vec<(&str, usize)> = view.caseloads.iter().map(|c| (c.username.as_str(), c.cases.len())).collect();
    assert_eq!(loads, [("clin.one", 2), ("clin.two", 1), ("lead.one", 1)], "a lead holding a family is listed with it");
    assert_eq!(view.unallocated.iter().map(|c| c.case_id).collect::<Vec<_>>(), [nobody]);
    let b_line = view.caseloads[1].cases[0].clone();
    assert_eq!((b_line.risk, b_line.thrive, b_line.risk_review_overdue), (Some(RiskLevel::Medium), Some(ThriveGroup::GettingRiskSupport), true));
    // clin.two's laptop last synced on Wednesday 18 November: four working days by Tuesday 24th.
    assert_eq!(view.laptops.iter().map(|l| (l.username.as_str(), l.silent)).collect::<Vec<_>>(), [("clin.two", true), ("clin.one", false), ("lead.one", false)]);
    assert_eq!(view.laptops[0].device.notes_waiting_at_sync, Some(4));
    assert_eq!(view.recent_alerts.len(), 1);
    assert_eq!(view.recent_safeguarding.iter().map(|s| (s.case_id, s.status)).collect::<Vec<_>>(), [(b, SafeguardingStatus::ChildProtectionPlan)]);
    // With a longer limit, nobody is silent; the roster's age is given.
    let patient = store.team_view(day("2026-11-24"), 5, 14).unwrap();
    assert!(patient.laptops.iter().all(|l| !l.silent));
    assert_eq!(patient.roster_as_of, Some("2026-11-24T09:00:00Z".parse().unwrap()));
}

//! A role changed by IT takes effect at the laptop's next sync: the window learns the new role,
//! a new lead's laptop receives the team's cases and its roster, and a former lead's laptop sends
//! what it holds before the team's cases leave it. All data is fictional.

mod common;

use casebook_domain::CaseOpened;
use casebook_protocol::Role;
use casebook_server::api::ServiceConfig;
use casebook_sync::{login, status, sync};
use common::*;

#[test]
fn a_role_change_takes_effect_at_the_next_sync() {
    let c = central(ServiceConfig::default());
    let (_d1, mut one) = laptop("clin.one");
    let (_d2, mut two) = laptop("clin.two");
    login(&mut one, &c.url, "clin.one", PASSWORD, "Test laptop one").unwrap();
    login(&mut two, &c.url, "clin.two", PASSWORD, "Test laptop two").unwrap();
    let case = one
        .open_case(CaseOpened { family_name: "Testfamily-Roles".into(), parent: None, due_date: None, infant: None, to_team_inbox: false })
        .unwrap()
        .case_id;
    sync(&mut one).unwrap();
    sync(&mut two).unwrap();
    assert!(two.case(case).is_err(), "not clin.two's case");
    assert!(two.roster().unwrap().is_none());

    // IT makes clin.two a lead: at the next sync their laptop knows it, receives the team's
    // cases and the team's people and laptops.
    c.runtime.block_on(c.storage.set_role("clin.two", Role::Lead)).unwrap();
    assert_eq!(status(&two).unwrap().role.as_deref(), Some("clinician"), "nothing changes before the sync");
    sync(&mut two).unwrap();
    assert_eq!(status(&two).unwrap().role.as_deref(), Some("lead"));
    assert!(two.case(case).is_ok(), "a lead holds every case of the team");
    let roster = two.roster().unwrap().expect("a lead's laptop keeps the roster");
    assert_eq!(roster.team, "Test Team");
    assert!(roster.members.iter().any(|m| m.username == "clin.one" && m.devices.len() == 1));

    // And back: a note written meanwhile is sent first, then the case leaves, and the roster goes.
    two.sign_note(casebook_store::DraftInput {
        case_id: case,
        note_id: None,
        contact_id: None,
        occurred_on: chrono::Local::now().date_naive(),
        text: "Fictional note by the former lead".into(),
    })
    .unwrap();
    c.runtime.block_on(c.storage.set_role("clin.two", Role::Clinician)).unwrap();
    let s = sync(&mut two).unwrap();
    assert_eq!((s.notes_sent, s.cases_removed), (1, 1), "{s:?}");
    assert_eq!(status(&two).unwrap().role.as_deref(), Some("clinician"));
    assert!(two.roster().unwrap().is_none());
    sync(&mut one).unwrap();
    let held = one.case(case).unwrap().state;
    assert!(held.signed_notes.iter().any(|n| n.text == "Fictional note by the former lead"), "nothing was lost");
}

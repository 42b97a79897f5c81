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
    // Named a supervisor by IT: the window offers supervision from the next sync.
    assert!(!status(&two).unwrap().supervisor);
    c.runtime.block_on(c.storage.set_supervisor("clin.two", true)).unwrap();
    sync(&mut two).unwrap();
    assert!(status(&two).unwrap().supervisor);
    c.runtime.block_on(c.storage.set_supervisor("clin.two", false)).unwrap();
    sync(&mut two).unwrap();
    assert!(!status(&two).unwrap().supervisor);

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

/// Admin staff's laptop holds only their view of the team's cases; the check of every case
/// compares that view. After the central store is restored from a backup older than admin staff's
/// change to a case, their laptop notices and sends it again, never receiving clinical content.
#[test]
fn an_admin_laptop_checks_its_view_and_resends_what_a_restored_store_lacks() {
    let c = central(ServiceConfig::default());
    let hash = casebook_server::auth::hash_password(PASSWORD).unwrap();
    c.runtime.block_on(c.storage.add_user("admin.one", "Test Team", Role::Admin, &hash)).unwrap();
    let (_d1, mut one) = laptop("clin.one");
    let (_d2, mut admin) = laptop("admin.one");
    login(&mut one, &c.url, "clin.one", PASSWORD, "Test laptop one").unwrap();
    login(&mut admin, &c.url, "admin.one", PASSWORD, "Front desk laptop").unwrap();
    let case = one
        .open_case(CaseOpened { family_name: "Testfamily-Desk".into(), parent: None, due_date: None, infant: None, to_team_inbox: false })
        .unwrap()
        .case_id;
    one.sign_note(casebook_store::DraftInput {
        case_id: case,
        note_id: None,
        contact_id: None,
        occurred_on: chrono::Local::now().date_naive(),
        text: "Fictional clinical note".into(),
    })
    .unwrap();
    sync(&mut one).unwrap();
    sync(&mut admin).unwrap();
    assert_eq!(status(&admin).unwrap().role.as_deref(), Some("admin"));
    assert!(admin.case(case).unwrap().state.signed_notes.is_empty(), "no clinical content");
    let s = casebook_sync::sync_with(&mut admin, casebook_sync::SyncOptions { verify: true, ..Default::default() }).unwrap();
    assert_eq!((s.cases_repaired, s.resent, s.pulled), (0, 0, 0), "their view matches: {s:?}");

    // Last night's backup; then admin staff update the family's phone number and send it.
    let backup_dir = tempfile::tempdir().unwrap();
    let backup = backup_dir.path().join("nightly.db");
    c.runtime.block_on(c.storage.backup(&backup)).unwrap();
    admin.change_detail(case, casebook_domain::DetailField::Phone, Some("01234 000002".into())).unwrap();
    sync(&mut admin).unwrap();
    // The central store is lost and restored from the backup: the phone number is gone from it.
    let key = c.key.clone();
    drop(c);
    let restored = central_restored(&backup, &key);
    admin.set_sync_value("server_url", Some(&restored.url)).unwrap();
    let s = sync(&mut admin).unwrap();
    assert_eq!((s.resent, s.cases_repaired), (1, 1), "{s:?}");
    let held = restored.runtime.block_on(restored.storage.case_events(case)).unwrap();
    assert!(held.iter().any(|e| e.event.body.kind() == "detail_changed"), "sent again");
    assert!(admin.case(case).unwrap().state.signed_notes.is_empty(), "the repair brought no clinical content");
}

//! The sync engine against a real central store on loopback, with real encrypted laptop stores.

use casebook_domain::{CaseOpened, Person};
use casebook_server::api::ServiceConfig;
use casebook_store::{DraftInput, Store};
use casebook_sync::{login, status, sync, SyncError};

mod common;
mod fault;
use common::*;
use fault::{Fault, FaultProxy};

fn note(store: &mut Store, case_id: uuid::Uuid, text: &str) -> casebook_domain::SignedNote {
    store
        .sign_note(DraftInput { case_id, note_id: None, contact_id: None, occurred_on: chrono::Local::now().date_naive(), text: text.into() })
        .unwrap()
}

#[test]
fn notes_written_offline_reach_the_team_once() {
    let c = central(ServiceConfig::default());
    let (_d1, mut one) = laptop("clin.one");
    let (_d2, mut two) = laptop("clin.two");
    let (_d3, mut lead) = laptop("lead.one");

    // Written before ever signing in: nothing is lost by working offline first.
    let case = one
        .open_case(CaseOpened { family_name: "Testfamily-Sync".into(), parent: Some(Person { name: "Parent S".into() }), due_date: None, infant: None, to_team_inbox: false })
        .unwrap()
        .case_id;
    let first = note(&mut one, case, "Fictional home visit note, written offline.");
    assert_eq!(status(&one).unwrap().waiting, 2);
    assert!(matches!(sync(&mut one), Err(SyncError::NotSignedIn)));

    let signed_in = login(&mut one, &c.url, "clin.one", PASSWORD, "Test laptop one").unwrap();
    assert_eq!(signed_in.team, "Test Team");
    assert_eq!(status(&one).unwrap().role.as_deref(), Some("clinician"), "the window knows the role the central store gave");
    let s = sync(&mut one).unwrap();
    assert_eq!((s.pushed, s.notes_sent, s.pulled), (2, 1, 0));
    assert_eq!(s.sentence, "1 note sent, 0 received; 1 other record updated.");
    assert_eq!(status(&one).unwrap().waiting, 0);
    assert_eq!(sync(&mut one).unwrap().sentence, "Everything is up to date.");

    // The lead sees the team's cases; the second clinician does not until it is allocated.
    login(&mut lead, &c.url, "lead.one", PASSWORD, "Lead laptop").unwrap();
    assert_eq!(status(&lead).unwrap().role.as_deref(), Some("lead"));
    let s = sync(&mut lead).unwrap();
    assert_eq!((s.pulled, s.notes_received), (2, 1));
    assert_eq!(lead.case(case).unwrap().state, one.case(case).unwrap().state);
    assert_eq!(lead.search("offline", 10).unwrap().len(), 1, "received notes are searchable");
    assert!(lead.outbox_len().unwrap() == 0, "received events are not sent back");

    login(&mut two, &c.url, "clin.two", PASSWORD, "Test laptop two").unwrap();
    assert_eq!(sync(&mut two).unwrap().pulled, 0);
    c.runtime.block_on(c.storage.allocate(case, "clin.two")).unwrap();
    let s = sync(&mut two).unwrap();
    assert_eq!(s.pulled, 2, "the whole history arrives on allocation");

    // The second clinician corrects the note with an addendum; everyone converges.
    two.add_addendum(first.note_id, "Date of next visit corrected", "Next visit is on Thursday.").unwrap();
    assert_eq!(sync(&mut two).unwrap().pushed, 1);
    for store in [&mut one, &mut lead] {
        sync(store).unwrap();
    }
    let reference = one.case(case).unwrap().state;
    assert_eq!(reference.signed_notes[0].addenda.len(), 1);
    assert_eq!(two.case(case).unwrap().state, reference);
    assert_eq!(lead.case(case).unwrap().state, reference);
    assert_eq!(reference.signed_notes[0].text, "Fictional home visit note, written offline.", "signed text never changes");
    assert_eq!(c.runtime.block_on(c.storage.event_count()).unwrap(), 3);
}

#[test]
fn signing_in_checks_who_and_where() {
    let c = central(ServiceConfig::default());
    let (_d, mut one) = laptop("clin.one");
    let err = login(&mut one, &c.url, "clin.two", PASSWORD, "laptop").unwrap_err();
    assert!(matches!(err, SyncError::WrongUser { .. }), "{err}");
    let err = login(&mut one, &c.url, "clin.one", "not the password", "laptop").unwrap_err();
    assert_eq!(err.to_string(), "The username or password is not right.");
    let err = login(&mut one, "casebook.example.org", "clin.one", PASSWORD, "laptop").unwrap_err();
    assert!(matches!(err, SyncError::BadUrl(_)));
    // Nothing listens on port 9 of loopback.
    let err = login(&mut one, "http://127.0.0.1:9", "clin.one", PASSWORD, "laptop").unwrap_err();
    assert!(matches!(err, SyncError::Unreachable { .. }), "{err}");
    assert!(err.to_string().contains("Your notes are safe on this laptop"));
    // Signing in twice on the same laptop keeps one device.
    login(&mut one, &c.url, "clin.one", PASSWORD, "laptop").unwrap();
    login(&mut one, &c.url, "clin.one", PASSWORD, "laptop").unwrap();
    assert_eq!(c.runtime.block_on(c.storage.devices()).unwrap().len(), 1);
}

#[test]
fn an_unreachable_server_loses_nothing_and_says_so() {
    let c = central(ServiceConfig::default());
    let (_d, mut one) = laptop("clin.one");
    login(&mut one, &c.url, "clin.one", PASSWORD, "laptop").unwrap();
    let case = one.open_case(CaseOpened { family_name: "Testfamily-Offline".into(), parent: None, due_date: None, infant: None, to_team_inbox: false }).unwrap().case_id;
    note(&mut one, case, "Fictional note written while the server is down");
    let url = c.url.clone();
    drop(c); // the central store goes away
    std::thread::sleep(std::time::Duration::from_millis(200));
    let err = sync(&mut one).unwrap_err();
    assert!(matches!(err, SyncError::Unreachable { .. }), "{err}");
    assert!(err.to_string().starts_with(&format!("The central store at {url} cannot be reached")));
    assert_eq!(status(&one).unwrap().waiting, 2, "everything is still waiting to be sent");
    assert_eq!(status(&one).unwrap().unsent_notes, 1);
}

#[test]
fn expired_tokens_renew_and_revoked_laptops_are_told_to_lock() {
    let c = central(ServiceConfig { token_ttl: chrono::Duration::seconds(61), ..ServiceConfig::default() });
    let (_d, mut one) = laptop("clin.one");
    login(&mut one, &c.url, "clin.one", PASSWORD, "laptop").unwrap();
    // A token that lasts 61 s counts as about to expire, so each sync renews it with the
    // device credential before using it.
    sync(&mut one).unwrap();
    sync(&mut one).unwrap();
    let device = c.runtime.block_on(c.storage.devices()).unwrap()[0].id;
    assert_eq!(device, one.device_id(), "the laptop registered under its own device id");
    c.runtime.block_on(c.storage.revoke_device(device, chrono::Utc::now())).unwrap();
    let err = sync(&mut one).unwrap_err();
    assert!(matches!(err, SyncError::DeviceRevoked));
    assert!(err.to_string().contains("It will lock now"));
}

#[test]
fn a_case_taken_away_leaves_the_laptop_only_after_its_notes_are_sent() {
    let c = central(ServiceConfig::default());
    let (_d1, mut one) = laptop("clin.one");
    let (_d2, mut two) = laptop("clin.two");
    login(&mut one, &c.url, "clin.one", PASSWORD, "laptop one").unwrap();
    login(&mut two, &c.url, "clin.two", PASSWORD, "laptop two").unwrap();
    let cases: Vec<uuid::Uuid> = (0..4)
        .map(|i| {
            one.open_case(CaseOpened { family_name: format!("Testfamily-Move{i}"), parent: None, due_date: None, infant: None, to_team_inbox: false }).unwrap().case_id
        })
        .collect();
    sync(&mut one).unwrap();
    for case in &cases {
        c.runtime.block_on(c.storage.allocate(*case, "clin.two")).unwrap();
    }
    sync(&mut two).unwrap();
    assert_eq!(two.case_count().unwrap(), 4);

    // clin.two starts a draft on case 0 and signs a note on case 1 while offline, then both are
    // taken away (with case 2): three of four cases at once.
    let draft = two
        .save_draft(DraftInput { case_id: cases[0], note_id: None, contact_id: None, occurred_on: chrono::Local::now().date_naive(), text: "Half-written".into() })
        .unwrap();
    let late = note(&mut two, cases[1], "Written offline before the reallocation was known");
    for case in &cases[..3] {
        assert!(c.runtime.block_on(c.storage.deallocate(*case, "clin.two")).unwrap());
    }
    let s = sync(&mut two).unwrap();
    assert_eq!(s.removals_awaiting_confirmation, 3, "most of the caseload is not removed without confirmation");
    assert_eq!(two.case_count().unwrap(), 4);
    assert!(s.notices[0].contains("3 of the 4 cases"), "{:?}", s.notices);
    // The offline note was still accepted by the central store and reached clin.one.
    sync(&mut one).unwrap();
    assert!(one.case(cases[1]).unwrap().state.signed_note(late.note_id).is_some());

    let s = casebook_sync::sync_with(&mut two, casebook_sync::SyncOptions { confirm_removals: true, ..Default::default() }).unwrap();
    assert_eq!(s.cases_removed, 2, "cases 1 and 2 go; case 0 stays for its draft");
    assert!(s.notices.iter().any(|n| n.contains("Testfamily-Move0") && n.contains("unsigned draft")), "{:?}", s.notices);
    assert!(two.case(cases[1]).is_err() && two.case(cases[2]).is_err());
    assert!(two.search("reallocation", 10).unwrap().is_empty(), "nothing of a removed case stays searchable");
    assert_eq!(two.case_count().unwrap(), 2);

    // Signing the draft sends it, and then the case leaves too.
    two.sign_note(DraftInput { case_id: cases[0], note_id: Some(draft.note_id), contact_id: None, occurred_on: draft.occurred_on, text: "Finished".into() })
        .unwrap();
    let s = sync(&mut two).unwrap();
    assert_eq!((s.pushed, s.cases_removed), (1, 1));
    assert_eq!(two.case_count().unwrap(), 1);
    assert_eq!(two.case(cases[3]).unwrap().state.details.unwrap().family_name, "Testfamily-Move3");
    sync(&mut one).unwrap();
    assert_eq!(one.case(cases[0]).unwrap().state.signed_notes.len(), 1, "the finished draft reached the team");
}

#[test]
fn a_central_store_restored_from_an_older_backup_gets_everything_back() {
    let c = central(ServiceConfig::default());
    let (_d1, mut one) = laptop("clin.one");
    let (_d2, mut lead) = laptop("lead.one");
    login(&mut one, &c.url, "clin.one", PASSWORD, "laptop one").unwrap();
    login(&mut lead, &c.url, "lead.one", PASSWORD, "lead laptop").unwrap();
    let case = one.open_case(CaseOpened { family_name: "Testfamily-Restore".into(), parent: None, due_date: None, infant: None, to_team_inbox: false }).unwrap().case_id;
    note(&mut one, case, "Before the backup");
    sync(&mut one).unwrap();
    sync(&mut lead).unwrap();
    let backup_dir = tempfile::tempdir().unwrap();
    let backup = backup_dir.path().join("nightly.db");
    c.runtime.block_on(c.storage.backup(&backup)).unwrap();

    // A day's work after the backup, sent and received…
    let after: Vec<_> = (0..3).map(|i| note(&mut one, case, &format!("After the backup {i}")).note_id).collect();
    sync(&mut one).unwrap();
    sync(&mut lead).unwrap();
    assert_eq!(lead.case(case).unwrap().state.signed_notes.len(), 4);
    // …then the central store is lost and IT restores last night's backup at the same address.
    let key = c.key.clone();
    drop(c);
    let restored = central_restored(&backup, &key);
    for store in [&mut one, &mut lead] {
        store.set_sync_value("server_url", Some(&restored.url)).unwrap();
    }
    assert_eq!(restored.runtime.block_on(restored.storage.case_events(case)).unwrap().len(), 2, "the restored store lacks the day's work");

    let s = sync(&mut one).unwrap();
    assert_eq!(s.resent, 3, "the laptop noticed it was ahead and sent its notes again");
    assert_eq!(s.cases_repaired, 1);
    assert!(s.notices.iter().any(|n| n.contains("restored from a backup")), "{:?}", s.notices);
    let held: Vec<uuid::Uuid> = restored.runtime.block_on(restored.storage.case_events(case)).unwrap().iter().map(|e| e.event.id).collect();
    assert_eq!(held.len(), 5);
    // The lead's laptop, which already held everything, converges with nothing doubled.
    sync_with_verify(&mut lead);
    let reference = one.case(case).unwrap().state;
    assert_eq!(lead.case(case).unwrap().state, reference);
    for id in after {
        assert!(reference.signed_note(id).is_some());
    }
    assert_eq!(lead.case_event_ids(case).unwrap().len(), 5);
}

fn sync_with_verify(store: &mut Store) {
    casebook_sync::sync_with(store, casebook_sync::SyncOptions { verify: true, ..Default::default() }).unwrap();
}

#[test]
fn drafts_are_backed_up_privately_and_come_back_on_a_new_laptop() {
    let c = central(ServiceConfig::default());
    let (_d1, mut old) = laptop("clin.one");
    login(&mut old, &c.url, "clin.one", PASSWORD, "old laptop").unwrap();
    let case = old.open_case(CaseOpened { family_name: "Testfamily-Drafts".into(), parent: None, due_date: None, infant: None, to_team_inbox: false }).unwrap().case_id;
    let today = chrono::Local::now().date_naive();
    let kept = old.save_draft(DraftInput { case_id: case, note_id: None, contact_id: None, occurred_on: today, text: "Half-written visit note".into() }).unwrap();
    let signed = old.save_draft(DraftInput { case_id: case, note_id: None, contact_id: None, occurred_on: today, text: "To be signed".into() }).unwrap();
    sync(&mut old).unwrap();
    assert!(old.drafts_to_back_up().unwrap().is_empty(), "both drafts are backed up");
    let kept = old.save_draft(DraftInput { note_id: Some(kept.note_id), text: "Half-written visit note, continued".into(), ..DraftInput { case_id: case, note_id: None, contact_id: None, occurred_on: today, text: String::new() } }).unwrap();
    old.sign_note(DraftInput { case_id: case, note_id: Some(signed.note_id), contact_id: None, occurred_on: today, text: "Signed now".into() }).unwrap();
    sync(&mut old).unwrap();

    // The team lead never sees them.
    let (_d2, mut lead) = laptop("lead.one");
    login(&mut lead, &c.url, "lead.one", PASSWORD, "lead laptop").unwrap();
    let s = sync(&mut lead).unwrap();
    assert!(lead.drafts(None).unwrap().is_empty());
    assert!(s.notices.is_empty(), "{:?}", s.notices);

    // The old laptop is lost; on a new one, the unsigned draft comes back (the signed one does not).
    let (_d3, mut new) = laptop("clin.one");
    login(&mut new, &c.url, "clin.one", PASSWORD, "new laptop").unwrap();
    let s = sync(&mut new).unwrap();
    assert!(s.notices.iter().any(|n| n.contains("1 unsigned draft was brought back")), "{:?}", s.notices);
    let drafts = new.drafts(None).unwrap();
    assert_eq!(drafts.len(), 1);
    assert_eq!((drafts[0].note_id, drafts[0].text.as_str(), drafts[0].revision), (kept.note_id, "Half-written visit note, continued", kept.revision));
    // It can be finished and signed on the new laptop.
    new.sign_note(DraftInput { case_id: case, note_id: Some(kept.note_id), contact_id: None, occurred_on: today, text: "Finished on the new laptop".into() }).unwrap();
    sync(&mut new).unwrap();
    sync(&mut lead).unwrap();
    assert_eq!(lead.case(case).unwrap().state.signed_notes.len(), 2);
}

#[test]
fn one_clinician_on_two_laptops_editing_the_same_case_offline() {
    use casebook_domain::DetailField::{Address, Phone};
    let c = central(ServiceConfig::default());
    let (_d1, mut office) = laptop("clin.one");
    let (_d2, mut home) = laptop("clin.one");
    login(&mut office, &c.url, "clin.one", PASSWORD, "office laptop").unwrap();
    login(&mut home, &c.url, "clin.one", PASSWORD, "home-visit laptop").unwrap();
    let case = office.open_case(CaseOpened { family_name: "Testfamily-Two".into(), parent: None, due_date: None, infant: None, to_team_inbox: false }).unwrap().case_id;
    office.change_detail(case, Phone, Some("01234 111111".into())).unwrap();
    sync(&mut office).unwrap();
    sync(&mut home).unwrap();

    // Both offline: each writes a note and changes the phone number; only one changes the address.
    let a = note(&mut office, case, "Office: phoned the family");
    office.change_detail(case, Phone, Some("01234 222222".into())).unwrap();
    let b = note(&mut home, case, "Home visit: baby feeding well");
    home.change_detail(case, Phone, Some("07700 900333".into())).unwrap();
    home.change_detail(case, Address, Some("1 Example Street".into())).unwrap();
    sync(&mut office).unwrap();
    let s = sync(&mut home).unwrap();
    assert_eq!(s.conflicts, 1, "{}", s.sentence);
    assert!(s.sentence.ends_with("1 to review."), "{}", s.sentence);
    sync(&mut office).unwrap();
    for store in [&office, &home] {
        let state = store.case(case).unwrap().state;
        assert!(state.signed_note(a.note_id).is_some() && state.signed_note(b.note_id).is_some(), "both notes kept");
        assert_eq!(state.conflicts.len(), 1, "the phone number is in conflict, the address is not");
        assert_eq!(state.field(Address).unwrap().value.as_deref(), Some("1 Example Street"));
    }
    // Resolved on one laptop, settled on both.
    home.change_detail(case, Phone, Some("07700 900333".into())).unwrap();
    sync(&mut home).unwrap();
    assert_eq!(sync(&mut office).unwrap().conflicts, 0);
    assert_eq!(office.case(case).unwrap().state, home.case(case).unwrap().state);
    assert_eq!(office.case(case).unwrap().state.field(Phone).unwrap().value.as_deref(), Some("07700 900333"));
}

/// The app syncs on a second handle on the store, so a sync stuck on a slow network never keeps
/// the clinician from typing: autosave and signing finish while the sync is still waiting.
#[test]
fn the_clinician_keeps_writing_while_a_slow_sync_waits_on_the_network() {
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};
    let c = central(ServiceConfig::default());
    let proxy = FaultProxy::start(&c.url, |_| Fault::Forward);
    let (_d, mut app) = laptop("clin.one");
    login(&mut app, &proxy.url, "clin.one", PASSWORD, "Test laptop").unwrap();
    let case = app.open_case(CaseOpened { family_name: "Testfamily-Slow".into(), parent: None, due_date: None, infant: None, to_team_inbox: false }).unwrap().case_id;
    note(&mut app, case, "Written before the sync");

    proxy.set_plan(|_| Fault::Hold);
    let mut sync_handle = app.second_handle().unwrap();
    let syncing = std::thread::spawn(move || sync(&mut sync_handle));
    let deadline = Instant::now() + Duration::from_secs(20);
    while proxy.held.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "the sync never reached the network");
        std::thread::sleep(Duration::from_millis(5));
    }

    let (done, finished) = std::sync::mpsc::channel();
    let writer = std::thread::spawn(move || {
        let mut input = DraftInput { case_id: case, note_id: None, contact_id: None, occurred_on: chrono::Local::now().date_naive(), text: String::new() };
        for word in ["Baby", "settled", "during", "the", "visit"] {
            input.text = format!("{} {word}", input.text).trim().to_string();
            input.note_id = Some(app.save_draft(input.clone()).unwrap().note_id);
        }
        app.sign_note(input).unwrap();
        done.send(()).unwrap();
        app
    });
    finished
        .recv_timeout(Duration::from_secs(20))
        .expect("autosave and signing waited for the network");
    assert!(proxy.held.load(Ordering::SeqCst) > 0, "the sync was still waiting while the clinician wrote");

    proxy.release();
    syncing.join().unwrap().unwrap();
    let mut app = writer.join().unwrap();
    sync(&mut app).unwrap();
    assert_eq!(status(&app).unwrap().waiting, 0, "what was written during the sync is sent by the next one");
    let held_here = app.case_events(case).unwrap().len() as u64;
    assert_eq!(c.runtime.block_on(c.storage.event_count()).unwrap(), held_here, "every event once on the server");
}

/// The case header says who holds a case, offline: each sync brings the central store's
/// allocations for the cases the clinician can see.
#[test]
fn allocations_arrive_with_each_sync() {
    let c = central(ServiceConfig::default());
    let (_d1, mut one) = laptop("clin.one");
    let (_d2, mut lead) = laptop("lead.one");
    login(&mut one, &c.url, "clin.one", PASSWORD, "Test laptop one").unwrap();
    login(&mut lead, &c.url, "lead.one", PASSWORD, "Lead laptop").unwrap();
    let case = one.open_case(CaseOpened { family_name: "Testfamily-Alloc".into(), parent: None, due_date: None, infant: None, to_team_inbox: false }).unwrap().case_id;
    assert_eq!(one.allocated_to(case).unwrap(), None, "not heard before the first sync");
    sync(&mut one).unwrap();
    assert_eq!(one.allocated_to(case).unwrap(), Some(vec!["clin.one".to_string()]), "a case is allocated to its author");

    c.runtime.block_on(c.storage.allocate(case, "clin.two")).unwrap();
    sync(&mut one).unwrap();
    sync(&mut lead).unwrap();
    let both = Some(vec!["clin.one".to_string(), "clin.two".to_string()]);
    assert_eq!(one.allocated_to(case).unwrap(), both);
    assert_eq!(lead.allocated_to(case).unwrap(), both, "the lead sees who holds the team's cases");
}

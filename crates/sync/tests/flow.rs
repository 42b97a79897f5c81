//! One refused entry never holds back the others, and long notes never get stuck: through the real
//! sync client, a real laptop store and the real central store, on both backends.

mod common;

use casebook_domain::CaseOpened;
use casebook_server::api::ServiceConfig;
use casebook_store::{DraftInput, Store};
use casebook_sync::{login, sync};
use common::*;
use uuid::Uuid;

fn open(store: &mut Store, family: &str) -> Uuid {
    store.open_case(CaseOpened { family_name: family.into(), parent: None, due_date: None, infant: None, to_team_inbox: false }).unwrap().case_id
}

fn input(case_id: Uuid, text: String) -> DraftInput {
    DraftInput { case_id, note_id: None, contact_id: None, occurred_on: chrono::Local::now().date_naive(), text }
}

/// 2,000 entries waiting, one of which the central store must refuse (a note on a case taken from
/// this clinician, written after the laptop was told): the 1,999 others arrive, the refused one is
/// set aside on the laptop with its reason, and the next send does not try it again.
fn a_poison_entry_among_2000_holds_nothing_back(backend: Backend) {
    let c = central_on(backend, ServiceConfig::default());
    let (_d1, mut one) = laptop("clin.one");
    let (_d2, mut two) = laptop("clin.two");
    login(&mut one, &c.url, "clin.one", PASSWORD, "laptop one").unwrap();
    login(&mut two, &c.url, "clin.two", PASSWORD, "laptop two").unwrap();
    let theirs = open(&mut two, "Testfamily-Taken");
    sync(&mut two).unwrap();
    c.runtime.block_on(c.storage.allocate(theirs, "clin.one")).unwrap();
    let mine = open(&mut one, "Testfamily-Mine");
    sync(&mut one).unwrap();
    // A draft keeps the taken case on the laptop after it is told.
    one.save_draft(input(theirs, "Half-written".into())).unwrap();
    c.runtime.block_on(c.storage.deallocate(theirs, "clin.one")).unwrap();
    sync(&mut one).unwrap();

    for i in 0..1_000 {
        one.sign_note(input(mine, format!("Fictional note {i}"))).unwrap();
    }
    let poison = one.sign_note(input(theirs, "Written after the laptop was told".into())).unwrap();
    for i in 1_000..1_999 {
        one.sign_note(input(mine, format!("Fictional note {i}"))).unwrap();
    }
    let s = sync(&mut one).unwrap();
    assert_eq!((s.pushed, s.set_aside), (1_999, 1));
    assert!(s.sentence.contains("1 entry could not be added"), "{}", s.sentence);
    let held = c.runtime.block_on(c.storage.case_events(mine)).unwrap();
    assert_eq!(held.iter().filter(|e| e.event.body.kind() == "note_signed").count(), 1_999, "every other note arrived");
    let aside = one.set_aside_entries(Some(theirs)).unwrap();
    assert_eq!(aside.len(), 1);
    assert_eq!(aside[0].code, "allocation_ended");
    assert!(aside[0].reason.contains("no longer allocated to you"), "{}", aside[0].reason);
    assert!(one.case(theirs).unwrap().state.signed_note(poison.note_id).is_some(), "the refused note is kept on the laptop");
    assert_eq!(one.outbox_len().unwrap(), 0);
    let again = sync(&mut one).unwrap();
    assert_eq!((again.pushed, again.set_aside), (0, 0), "a set-aside entry is not sent again by itself");
    assert_eq!(casebook_sync::status(&one).unwrap().set_aside, 1);
}

/// 180 notes of 99,000 characters (each within the limit, 17 MB together, more than one request
/// may carry): they go in batches the central store accepts, every one of them.
fn long_notes_go_in_batches_that_fit(backend: Backend) {
    let c = central_on(backend, ServiceConfig::default());
    let (_d, mut one) = laptop("clin.one");
    login(&mut one, &c.url, "clin.one", PASSWORD, "laptop one").unwrap();
    let case = open(&mut one, "Testfamily-Long");
    let body = "Fictional observation of play and feeding. ".repeat(99_000 / 43);
    for i in 0..180 {
        let text = format!("{i:03} {body}");
        assert!(text.chars().count() <= 99_000);
        one.sign_note(input(case, text)).unwrap();
    }
    let s = sync(&mut one).unwrap();
    assert_eq!((s.notes_sent, s.set_aside), (180, 0));
    assert_eq!(one.outbox_len().unwrap(), 0);
    assert_eq!(c.runtime.block_on(c.storage.case_events(case)).unwrap().len(), 181);
}

#[test]
fn outbox_reads_only_what_is_waiting() {
    let (_d, one) = laptop("clin.one");
    let plan = one.outbox_query_plan().unwrap();
    assert!(!plan.contains("SCAN e"), "the outbox query must not scan the event log:\n{plan}");
}

macro_rules! on_both {
    ($($name:ident),*) => {
        mod sqlite { $( #[test] fn $name() { super::$name(super::Backend::Sqlite) } )* }
        mod postgres { $( #[test] fn $name() { super::$name(super::Backend::Postgres) } )* }
    };
}
on_both!(a_poison_entry_among_2000_holds_nothing_back, long_notes_go_in_batches_that_fit);

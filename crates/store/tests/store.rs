mod common;

use casebook_domain::{EventBody, ValidationError};
use casebook_store::{schema, DraftInput, SearchHitKind, Store, StoreError, DATABASE_FILE};
use common::*;
use std::collections::BTreeMap;
use std::path::Path;

fn file_bytes(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .collect()
}

#[test]
fn wrong_passphrase_is_a_clear_error_and_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    populate(&mut store, 1, 1);
    drop(store);
    let before = file_bytes(dir.path());
    let clock = FixedClock::at("2026-11-24T10:00:00Z");
    let err = Store::open_with(dir.path(), "copper kettle meadow lanterns", options(clock.clone())).err().unwrap();
    assert!(matches!(err, StoreError::WrongPassphrase));
    assert_eq!(err.to_string(), "That passphrase is not right. Please try again; nothing has been changed.");
    assert_eq!(file_bytes(dir.path()), before, "a failed unlock must not change a byte");
    let store = Store::open_with(dir.path(), PASSPHRASE, options(clock)).unwrap();
    assert_eq!(store.list_cases().unwrap().len(), 1);
}

#[test]
fn a_missing_store_and_a_second_init_are_refused_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let clock = FixedClock::at("2026-11-24T10:00:00Z");
    let err = Store::open_with(dir.path(), PASSPHRASE, options(clock.clone())).err().unwrap();
    assert!(matches!(err, StoreError::NotInitialised { .. }), "{err}");
    let mut store = new_store(dir.path());
    populate(&mut store, 1, 1);
    drop(store);
    let err = Store::create_with(dir.path(), PASSPHRASE, USER, options(clock.clone())).err().unwrap();
    assert!(matches!(err, StoreError::AlreadyInitialised { .. }));
    let store = Store::open_with(dir.path(), PASSPHRASE, options(clock)).unwrap();
    assert_eq!(store.list_cases().unwrap().len(), 1, "the existing store is untouched");
}

#[test]
fn a_weak_passphrase_is_refused_at_creation() {
    let dir = tempfile::tempdir().unwrap();
    let err = Store::create_with(dir.path(), "password1", USER, options(FixedClock::at("2026-11-24T10:00:00Z")))
        .err()
        .unwrap();
    assert!(matches!(err, StoreError::WeakPassphrase { .. }), "{err}");
    assert!(!Store::exists(dir.path()));
}

#[test]
fn passphrase_change_rewraps_the_key_without_rewriting_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    populate(&mut store, 2, 1);
    drop(store);
    let db_before = std::fs::read(dir.path().join(DATABASE_FILE)).unwrap();
    let err = Store::change_passphrase(dir.path(), "not the passphrase", "violet harbour tractor spoon").unwrap_err();
    assert!(matches!(err, StoreError::WrongPassphrase));
    Store::change_passphrase(dir.path(), PASSPHRASE, "violet harbour tractor spoon").unwrap();
    assert_eq!(std::fs::read(dir.path().join(DATABASE_FILE)).unwrap(), db_before);
    let clock = FixedClock::at("2026-11-24T10:00:00Z");
    assert!(matches!(
        Store::open_with(dir.path(), PASSPHRASE, options(clock.clone())),
        Err(StoreError::WrongPassphrase)
    ));
    let store = Store::open_with(dir.path(), "violet harbour tractor spoon", options(clock)).unwrap();
    assert_eq!(store.list_cases().unwrap().len(), 2);
}

#[test]
fn note_text_never_appears_in_the_files_on_disk() {
    const MARKER: &str = "ZEBRA-MARKER-91c4e7";
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let case = store.open_case(family(&format!("Family {MARKER}"))).unwrap().case_id;
    let note = store
        .sign_note(DraftInput {
            case_id: case,
            note_id: None,
            contact_id: None,
            occurred_on: day("2026-11-24"),
            text: format!("Session record mentioning {MARKER} several times: {MARKER} {MARKER}"),
        })
        .unwrap();
    store.add_addendum(note.note_id, &format!("reason {MARKER}"), &format!("text {MARKER}")).unwrap();
    store
        .save_draft(DraftInput {
            case_id: case,
            note_id: None,
            contact_id: None,
            occurred_on: day("2026-11-24"),
            text: format!("draft {MARKER}"),
        })
        .unwrap();
    assert_eq!(store.search(MARKER, 10).unwrap().len(), 3, "the marker is searchable inside the store");

    let check = |when: &str| {
        let files = file_bytes(dir.path());
        assert!(files.keys().any(|f| f == DATABASE_FILE));
        for (name, bytes) in &files {
            assert!(
                !bytes.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()),
                "{when}: the marker is readable in {name}"
            );
            // Not even SQLite's file header is in the clear.
            assert!(!bytes.starts_with(b"SQLite format 3"), "{when}: {name} is a plain SQLite file");
        }
        files
    };
    let open_files = check("while open");
    assert!(open_files.keys().any(|f| f.ends_with("-wal")), "the write-ahead log is checked too: {:?}", open_files.keys());
    drop(store);
    check("after closing");
}

#[test]
fn sqlite_itself_refuses_to_change_or_delete_events_and_signed_notes() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    populate(&mut store, 1, 2);
    let conn = store.connection();
    let refused = |sql: &str, why: &str| {
        let err = conn.execute(sql, []).unwrap_err().to_string();
        assert!(err.contains(why), "{sql}: {err}");
    };
    refused("UPDATE events SET author = 'someone.else'", "append-only");
    refused("DELETE FROM events", "append-only");
    refused("UPDATE signed_notes SET text = 'rewritten'", "signed notes cannot be changed");
    refused("DELETE FROM signed_notes", "signed notes cannot be deleted");
    refused("UPDATE addenda SET text = 'rewritten'", "addenda cannot be changed");
    refused("DELETE FROM addenda", "addenda cannot be deleted");
    let kept: i64 = conn.query_row("SELECT count(*) FROM signed_notes", [], |r| r.get(0)).unwrap();
    assert_eq!(kept, 2);
}

#[test]
fn signing_is_final_and_corrections_are_addenda() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let case = store.open_case(family("Testfamily")).unwrap().case_id;
    let draft = store
        .save_draft(DraftInput { case_id: case, note_id: None, contact_id: None, occurred_on: day("2026-11-23"), text: "First words".into() })
        .unwrap();
    let draft2 = store
        .save_draft(DraftInput { note_id: Some(draft.note_id), text: "First words, then more".into(), ..draft_input(case) })
        .unwrap();
    assert_eq!(draft2.revision, 2);
    assert_eq!(store.case(case).unwrap().my_drafts, vec![draft2.clone()]);
    assert_eq!(store.case(case).unwrap().state.notes_in_progress.len(), 1);

    let signed = store
        .sign_note(DraftInput { note_id: Some(draft.note_id), text: "Final record".into(), ..draft_input(case) })
        .unwrap();
    assert_eq!(signed.text, "Final record");
    assert!(signed.late_entry, "written on the 24th about the 23rd");
    let view = store.case(case).unwrap();
    assert!(view.my_drafts.is_empty(), "signing removes the draft");
    assert!(view.state.notes_in_progress.is_empty());

    let again = store.sign_note(DraftInput { note_id: Some(draft.note_id), text: "Changed".into(), ..draft_input(case) });
    assert!(matches!(again, Err(StoreError::NoteAlreadySigned(_))));
    let redraft = store.save_draft(DraftInput { note_id: Some(draft.note_id), ..draft_input(case) });
    assert!(matches!(redraft, Err(StoreError::NoteAlreadySigned(_))));

    let no_reason = store.add_addendum(signed.note_id, "  ", "text");
    assert!(matches!(no_reason, Err(StoreError::Invalid(ValidationError::Empty { .. }))));
    let add = store.add_addendum(signed.note_id, "Wrong date of next visit", "Next visit is Friday.").unwrap();
    let view = store.case(case).unwrap();
    assert_eq!(view.state.signed_notes[0].text, "Final record");
    assert_eq!(view.state.signed_notes[0].addenda, vec![add]);
}

fn draft_input(case: uuid::Uuid) -> DraftInput {
    DraftInput { case_id: case, note_id: None, contact_id: None, occurred_on: day("2026-11-23"), text: "x".into() }
}

#[test]
fn bad_input_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let case = store.open_case(family("Testfamily")).unwrap().case_id;
    let before = store.case_events(case).unwrap().len();
    let unknown = uuid::Uuid::now_v7();
    assert!(matches!(store.case(unknown), Err(StoreError::CaseNotFound(_))));
    assert!(matches!(store.sign_note(draft_input(unknown)), Err(StoreError::CaseNotFound(_))));
    assert!(matches!(store.add_addendum(unknown, "r", "t"), Err(StoreError::NoteNotFound(_))));
    let empty = store.sign_note(DraftInput { text: " \n ".into(), ..draft_input(case) });
    assert!(matches!(empty, Err(StoreError::Invalid(ValidationError::Empty { .. }))));
    let future = store.sign_note(DraftInput { occurred_on: day("2026-12-01"), ..draft_input(case) });
    assert!(matches!(future, Err(StoreError::Invalid(ValidationError::InFuture { .. }))));
    assert_eq!(store.case_events(case).unwrap().len(), before);
    // A refused write does not burn a sequence number: the per-device sequence stays dense.
    store.sign_note(draft_input(case)).unwrap();
    let seqs: Vec<u64> = store.case_events(case).unwrap().iter().map(|e| e.device_seq).collect();
    assert_eq!(seqs, vec![1, 2]);
    assert_eq!(store.outbox_len().unwrap(), 2, "every local event waits in the outbox");
}

#[test]
fn search_finds_family_names_notes_and_addenda_by_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    populate(&mut store, 3, 2);
    let hits = store.search("Testfamily001", 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].kind, SearchHitKind::Family);
    let hits = store.search("feed", 50).unwrap();
    assert_eq!(hits.len(), 6, "every signed note mentions feeding");
    assert!(hits.iter().all(|h| h.kind == SearchHitKind::Note));
    assert!(hits[0].snippet.contains("\u{2}feeding\u{3}"), "{}", hits[0].snippet);
    assert_eq!(store.search("lasted hour", 50).unwrap().len(), 3);
    assert!(store.search("Unsigned draft", 10).unwrap().is_empty(), "drafts are private and not indexed");
    // Things typed by accident never break the query.
    for odd in ["\"", "AND OR NOT", "*", "(", "note:", "", "   ", "NEAR(a b)"] {
        store.search(odd, 10).unwrap();
    }
}

#[test]
fn rebuilding_projections_gives_identical_results() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    populate(&mut store, 5, 3);
    let before = store.projection_dump().unwrap();
    let cases_before = store.list_cases().unwrap();
    let search_before = store.search("session", 100).unwrap();
    store.rebuild_projections().unwrap();
    assert_eq!(store.projection_dump().unwrap(), before);
    assert_eq!(store.list_cases().unwrap(), cases_before);
    assert_eq!(store.search("session", 100).unwrap(), search_before);
    assert!(before.contains("Fictional session record 2 for case 4"));
}

#[test]
fn every_migration_path_reaches_the_same_store() {
    // The same events, written by a store at the latest version…
    let reference_dir = tempfile::tempdir().unwrap();
    let mut reference = new_store(reference_dir.path());
    populate(&mut reference, 3, 2);
    let events: Vec<_> = reference
        .list_cases()
        .unwrap()
        .iter()
        .flat_map(|c| reference.case_events(c.case_id).unwrap())
        .collect();
    let expected = reference.projection_dump().unwrap();
    let schema_sql = |s: &Store| -> Vec<String> {
        let mut stmt = s.connection().prepare("SELECT name, sql FROM sqlite_master ORDER BY name").unwrap();
        stmt.query_map([], |r| Ok(format!("{}: {:?}", r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    let expected_schema = schema_sql(&reference);

    // …and by a store left at each earlier version, then opened by this version.
    for version in 1..schema::LATEST {
        let dir = tempfile::tempdir().unwrap();
        let clock = FixedClock::at("2026-11-24T10:00:00Z");
        Store::create_at_version_for_tests(dir.path(), PASSPHRASE, USER, &options(clock.clone()), version, |tx| {
            for e in &events {
                casebook_store::projection::insert_event(tx, e)?;
            }
            Ok(())
        })
        .unwrap();
        let store = Store::open_with(dir.path(), PASSPHRASE, options(clock)).unwrap();
        assert_eq!(schema::version(store.connection()).unwrap(), schema::LATEST, "from v{version}");
        assert_eq!(schema_sql(&store), expected_schema, "schema after migrating from v{version}");
        assert_eq!(store.projection_dump().unwrap(), expected, "projections after migrating from v{version}");
        assert_eq!(store.search("feeding", 50).unwrap().len(), 6);
    }
}

#[test]
fn a_store_from_a_newer_version_is_refused_not_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    store.connection().pragma_update(None, "user_version", schema::LATEST + 1).unwrap();
    drop(store);
    let err = Store::open_with(dir.path(), PASSPHRASE, options(FixedClock::at("2026-11-24T10:00:00Z"))).err().unwrap();
    assert!(matches!(err, StoreError::TooNew { .. }), "{err}");
}

#[test]
fn events_round_trip_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    populate(&mut store, 2, 2);
    for c in store.list_cases().unwrap() {
        for e in store.case_events(c.case_id).unwrap() {
            e.verify().unwrap();
            assert_eq!(e.author, USER);
            assert_eq!(e.device_id, store.device_id());
            if let EventBody::NoteSigned(n) = &e.body {
                assert!(n.text.starts_with("Fictional session record"));
            }
        }
    }
}

#[test]
fn a_laptop_clock_going_backwards_still_orders_events_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let clock = FixedClock::at("2026-11-24T10:00:00Z");
    let mut store = Store::create_with(dir.path(), PASSPHRASE, USER, options(clock.clone())).unwrap();
    let case = store.open_case(family("Testfamily")).unwrap().case_id;
    let first = store.sign_note(DraftInput { text: "first".into(), ..draft_input(case) }).unwrap();
    clock.advance_ms(-3 * 24 * 3600 * 1000);
    let second = store.sign_note(DraftInput { text: "second".into(), occurred_on: day("2026-11-21"), ..draft_input(case) }).unwrap();
    let events = store.case_events(case).unwrap();
    let pos = |id| events.iter().position(|e| e.id == id).unwrap();
    assert!(pos(first.event_id) < pos(second.event_id), "the hybrid clock keeps the order of writing");
    drop(store);
    // …and across a restart, because the clock is persisted.
    let mut store = Store::open_with(dir.path(), PASSPHRASE, options(clock.clone())).unwrap();
    let third = store.sign_note(DraftInput { text: "third".into(), occurred_on: day("2026-11-21"), ..draft_input(case) }).unwrap();
    let events = store.case_events(case).unwrap();
    assert_eq!(events.last().unwrap().id, third.event_id);
}

/// Hands every event one laptop holds to another, as a sync would (without a server).
fn exchange(from: &Store, to: &mut Store, case: uuid::Uuid) {
    let events: Vec<casebook_store::RemoteEvent> = from.case_events(case).unwrap().into_iter().map(|e| (0, e).into()).collect();
    to.apply_remote(&events, "test_cursor", "0-0").unwrap();
}

#[test]
fn a_detail_changed_on_two_laptops_is_a_conflict_until_someone_chooses() {
    use casebook_domain::DetailField::Phone;
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = new_store(da.path());
    let mut b = Store::create_with(db.path(), PASSPHRASE, "other.clinician", options(FixedClock::at("2026-11-24T10:00:05Z"))).unwrap();
    let case = a.open_case(family("Testfamily")).unwrap().case_id;
    a.change_detail(case, Phone, Some("01234 000001".into())).unwrap();
    exchange(&a, &mut b, case);
    // Both change the number without seeing each other's change.
    a.change_detail(case, Phone, Some("01234 000002".into())).unwrap();
    b.change_detail(case, Phone, Some("07700 900003".into())).unwrap();
    exchange(&a, &mut b, case);
    exchange(&b, &mut a, case);
    for store in [&a, &b] {
        let state = store.case(case).unwrap().state;
        assert_eq!(state.conflicts.len(), 1);
        let mut values: Vec<_> = state.conflicts[0].versions.iter().map(|v| v.value.clone().unwrap()).collect();
        values.sort();
        assert_eq!(values, vec!["01234 000002", "07700 900003"], "both values kept");
        assert_eq!(store.list_cases().unwrap()[0].conflict_count, 1);
        assert_eq!(store.open_conflicts().unwrap(), 1);
    }
    assert_eq!(a.case(case).unwrap().state, b.case(case).unwrap().state);
    // A person chooses on one laptop; the other follows.
    let resolved = a.change_detail(case, Phone, Some("07700 900003".into())).unwrap();
    assert!(!resolved.in_conflict);
    exchange(&a, &mut b, case);
    assert_eq!(b.open_conflicts().unwrap(), 0);
    assert_eq!(a.case(case).unwrap().state, b.case(case).unwrap().state);
    // A bad number is refused in plain words.
    let err = a.change_detail(case, Phone, Some("call me".into())).unwrap_err();
    assert!(err.to_string().contains("Phone number is not in a form Casebook can use"), "{err}");
}

/// The app writes on one handle while the sync writes on another (so autosave never waits for
/// the network). Interleaved writes from both must keep the device sequence dense and unique, and
/// a clock raised by what the sync received must carry over to the next local note.
#[test]
fn two_handles_writing_at_once_keep_the_sequence_dense_and_the_clock_forward() {
    let dir = tempfile::tempdir().unwrap();
    let clock = FixedClock::at("2026-11-24T10:00:00Z");
    let mut app = Store::create_with(dir.path(), PASSPHRASE, USER, options(clock.clone())).unwrap();
    let case = app.open_case(family("Testfamily")).unwrap().case_id;
    let mut sync = app.second_handle().unwrap();

    let writer = std::thread::spawn(move || {
        for i in 0..40 {
            app.save_draft(DraftInput { text: format!("autosaved {i}"), ..draft_input(case) }).unwrap();
            app.sign_note(DraftInput { text: format!("note {i}"), ..draft_input(case) }).unwrap();
        }
        app
    });
    for i in 0..40 {
        sync.record_contact(
            case,
            casebook_store::ContactInput::new(
                day("2026-11-23"),
                casebook_domain::ContactType::Telephone,
                casebook_domain::AttendanceOutcome::Attended,
            ),
        )
        .unwrap_or_else(|e| panic!("write {i} on the second handle: {e}"));
    }
    let mut app = writer.join().unwrap();

    let mut seqs: Vec<u64> = app.case_events(case).unwrap().iter().map(|e| e.device_seq).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "one dense run of sequence numbers");

    // A colleague's event from an hour ahead arrives through the sync handle; the app's next
    // note must still sort after it.
    let mut other = Store::create_with(
        tempfile::tempdir().unwrap().path(),
        PASSPHRASE,
        "other.clinician",
        options(FixedClock::at("2026-11-24T11:00:00Z")),
    )
    .unwrap();
    let theirs = other.open_case(family("Otherfamily")).unwrap().case_id;
    let events: Vec<casebook_store::RemoteEvent> = other.case_events(theirs).unwrap().into_iter().map(|e| (1, e).into()).collect();
    sync.apply_remote(&events, "test_cursor", "1-1").unwrap();
    let mine = app.sign_note(DraftInput { text: "after the sync".into(), ..draft_input(case) }).unwrap();
    let mine = app.case_events(case).unwrap().into_iter().find(|e| e.id == mine.event_id).unwrap();
    assert!(mine.hlc > events[0].event.hlc, "the app's clock moved past what the sync handle received");
}

/// A half-filled form survives the app closing, is replaced as typing goes on, is gone once
/// discarded, and is encrypted like everything else.
#[test]
fn a_form_in_progress_is_kept_encrypted_until_it_is_saved() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    assert_eq!(store.form_draft("referral").unwrap(), None);
    store.save_form_draft("referral", r#"{"family_name":"Testfamily-Half"}"#).unwrap();
    store.save_form_draft("referral", r#"{"family_name":"Testfamily-FormMarker"}"#).unwrap();
    drop(store);
    let on_disk: Vec<u8> = file_bytes(dir.path()).into_values().flatten().collect();
    assert!(!on_disk.windows(b"FormMarker".len()).any(|w| w == b"FormMarker"), "form text is encrypted at rest");

    let mut store = Store::open_with(dir.path(), PASSPHRASE, options(FixedClock::at("2026-11-24T11:00:00Z"))).unwrap();
    let kept = store.form_draft("referral").unwrap().unwrap();
    assert_eq!(kept.body, r#"{"family_name":"Testfamily-FormMarker"}"#);
    store.discard_form_draft("referral").unwrap();
    assert_eq!(store.form_draft("referral").unwrap(), None);
    assert!(matches!(store.save_form_draft("", "{}"), Err(StoreError::Refused(_))));
}

/// The central store's answer about allocations is kept per case, replaced whole at each sync,
/// and leaves with a purged case.
#[test]
fn allocations_from_the_central_store_are_kept_for_the_case_header() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let case = store.open_case(family("Testfamily-Alloc")).unwrap().case_id;
    assert_eq!(store.allocated_to(case).unwrap(), None, "not heard yet");
    store.set_allocations(&[(case, vec!["clin.one".into(), "clin.two".into()])]).unwrap();
    assert_eq!(store.allocated_to(case).unwrap(), Some(vec!["clin.one".to_string(), "clin.two".to_string()]));
    store.set_allocations(&[(case, vec!["clin.two".into()])]).unwrap();
    assert_eq!(store.allocated_to(case).unwrap(), Some(vec!["clin.two".to_string()]));
    store.set_allocations(&[]).unwrap();
    assert_eq!(store.allocated_to(case).unwrap(), None, "a case the central store no longer lists");
}

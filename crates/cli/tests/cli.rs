//! Black-box tests of the `casebook` command: the real binary, a real encrypted store in a
//! temporary directory, real Argon2id parameters.

use std::path::Path;

mod common;
use common::*;

fn new_case(dir: &Path, family: &str) -> String {
    let case = casebook(dir, &["case", "new", "--family-name", family, "--due-date", &due_in(60), "--json"]).ok().json();
    case["case_id"].as_str().unwrap().to_string()
}

#[test]
fn a_day_of_work_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(dir);
    let case = new_case(dir, "Testfamily-Alpha");
    casebook(
        dir,
        &["case", "new", "--family-name", "Testfamily-Beta", "--parent", "Parent B", "--infant-dob", "2026-10-01", "--infant-name", "Baby B"],
    )
    .ok();

    let list = casebook(dir, &["case", "list", "--json"]).ok().json();
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|c| c["family_name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["Testfamily-Alpha", "Testfamily-Beta"]);

    let contact = casebook(dir, &["contact", "add", "--case", &case, "--date", "2026-11-20", "--type", "home-visit", "--outcome", "attended", "--json"])
        .ok()
        .json();
    assert_eq!(contact["contact_type"], "home_visit");
    let contact_id = contact["contact_id"].as_str().unwrap();

    let note = casebook(
        dir,
        &["note", "sign", "--case", &case, "--date", "2026-11-20", "--contact", contact_id, "--text", "Fictional record: baby settled well during the visit.", "--json"],
    )
    .ok()
    .json();
    assert_eq!(note["text"], "Fictional record: baby settled well during the visit.");
    assert_eq!(note["late_entry"], true);
    let note_id = note["note_id"].as_str().unwrap();

    let addendum = casebook(dir, &["note", "addendum", "--note", note_id, "--reason", "Wrong day of next visit", "--text", "Next visit Thursday.", "--json"])
        .ok()
        .json();
    assert_eq!(addendum["reason"], "Wrong day of next visit");

    let shown = casebook(dir, &["case", "show", &case, "--json"]).ok().json();
    let notes = shown["state"]["signed_notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["addenda"][0]["text"], "Next visit Thursday.");
    assert_eq!(shown["state"]["contacts"].as_array().unwrap().len(), 1);
    assert_eq!(shown["state"]["chronology"].as_array().unwrap().len(), 4);

    let hits = casebook(dir, &["search", "settled", "--json"]).ok().json();
    assert_eq!(hits.as_array().unwrap().len(), 1);
    assert_eq!(hits[0]["case_id"], case.as_str());
    let hits = casebook(dir, &["search", "Thursday", "--json"]).ok().json();
    assert_eq!(hits[0]["kind"], "addendum");
    let hits = casebook(dir, &["search", "testfamily-beta", "--json"]).ok().json();
    assert_eq!(hits[0]["kind"], "family");
    let human = casebook(dir, &["search", "settled"]).ok().stdout();
    assert!(human.contains("[settled]"), "{human}");
}

#[test]
fn passphrase_change_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(dir);
    new_case(dir, "Testfamily");
    let weak = casebook_env(dir, &["passphrase", "change"], &[("CASEBOOK_PASSPHRASE", PASSPHRASE), ("CASEBOOK_NEW_PASSPHRASE", "abc")]).fails();
    assert!(weak.contains("at least 10 characters"), "{weak}");
    let wrong = casebook_env(dir, &["passphrase", "change"], &[("CASEBOOK_PASSPHRASE", "not it at all"), ("CASEBOOK_NEW_PASSPHRASE", "violet harbour tractor spoon")]).fails();
    assert!(wrong.contains("passphrase is not right"), "{wrong}");
    casebook_env(dir, &["passphrase", "change", "--json"], &[("CASEBOOK_PASSPHRASE", PASSPHRASE), ("CASEBOOK_NEW_PASSPHRASE", "violet harbour tractor spoon")]).ok();
    casebook(dir, &["case", "list"]).fails();
    let list = casebook_env(dir, &["case", "list", "--json"], &[("CASEBOOK_PASSPHRASE", "violet harbour tractor spoon")]).ok().json();
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[test]
fn bad_input_gets_one_plain_sentence_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();

    let err = casebook(dir, &["case", "list"]).fails();
    assert!(err.starts_with("There is no Casebook store in"), "{err}");
    let err = casebook_env(dir, &["init", "--user", "x"], &[("CASEBOOK_PASSPHRASE", "password")]).fails();
    assert!(err.contains("passphrase is too weak"), "{err}");
    let err = casebook_env(dir, &["init", "--user", "x"], &[]).fails();
    assert!(err.contains("set CASEBOOK_PASSPHRASE"), "{err}");

    init(dir);
    let err = casebook(dir, &["init", "--user", "test.clinician"]).fails();
    assert!(err.contains("already a Casebook store"), "{err}");
    let case = new_case(dir, "Testfamily");

    let cases: &[(&[&str], &str)] = &[
        (&["case", "new", "--family-name", "X", "--due-date", "2027-13-01"], "not a valid date"),
        (&["case", "new", "--family-name", "X", "--due-date", "tomorrow"], "write it as YYYY-MM-DD"),
        (&["case", "new", "--family-name", "  "], "Family name is empty"),
        (&["case", "new", "--family-name", "X", "--infant-dob", "2030-01-01"], "is in the future"),
        (&["case", "new", "--family-name", "X", "--due-date", "2027-01-01", "--infant-dob", "2026-01-01"], "cannot be used with"),
        (&["case", "show", "not-an-id"], "is not a case id"),
        (&["case", "show", "0190c3b2-7f1e-7a33-9c4d-2b1e5f6a7c8d"], "There is no case with the id"),
        (&["note", "sign", "--case", &case, "--text", " "], "Note text is empty"),
        (&["note", "sign", "--case", "0190c3b2-7f1e-7a33-9c4d-2b1e5f6a7c8d", "--text", "hello"], "There is no case"),
        (&["note", "sign", "--case", &case, "--text", "hello", "--date", "2026-02-30"], "not a valid date"),
        (&["note", "addendum", "--note", &case, "--reason", "r", "--text", "t"], "no signed note"),
        (&["note", "addendum", "--note", "xyz", "--reason", "r", "--text", "t"], "is not a note id"),
        (&["contact", "add", "--case", &case, "--type", "sofa"], "is not a contact type"),
        (&["contact", "add", "--case", &case, "--outcome", "maybe"], "is not a attendance outcome"),
        (&["frobnicate"], "unrecognized subcommand"),
        (&["note", "sign", "--case", &case], "required arguments were not provided: --text"),
    ];
    for (args, expected) in cases {
        let err = casebook(dir, args).fails();
        assert!(err.contains(expected), "{args:?}: expected '{expected}' in: {err}");
    }

    let wrong = casebook_env(dir, &["case", "list"], &[("CASEBOOK_PASSPHRASE", "wrong wrong wrong")]).fails();
    assert_eq!(wrong, "That passphrase is not right. Please try again; nothing has been changed.");

    // None of that wrote anything.
    let shown = casebook(dir, &["case", "show", &case, "--json"]).ok().json();
    assert_eq!(shown["state"]["chronology"].as_array().unwrap().len(), 1);
    assert_eq!(casebook(dir, &["case", "list", "--json"]).ok().json().as_array().unwrap().len(), 1);
}

#[test]
fn sql_looking_and_unusual_text_is_stored_verbatim() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(dir);
    let family = "O'Testfamily\"; DROP TABLE events; --";
    let case = casebook(dir, &["case", "new", "--family-name", family, "--json"]).ok().json();
    let case_id = case["case_id"].as_str().unwrap();
    let text = "Line one\nLine two — with ünïcödé, emoji 🍼 and 'quotes' AND OR NEAR( * \"";
    casebook(dir, &["note", "sign", "--case", case_id, "--text", text]).ok();
    let shown = casebook(dir, &["case", "show", case_id, "--json"]).ok().json();
    assert_eq!(shown["state"]["details"]["family_name"], family);
    assert_eq!(shown["state"]["signed_notes"][0]["text"], text);
    assert_eq!(casebook(dir, &["search", "ünïcödé", "--json"]).ok().json().as_array().unwrap().len(), 1);
    assert_eq!(casebook(dir, &["search", "unicode", "--json"]).ok().json().as_array().unwrap().len(), 1, "diacritics folded");
}

#[test]
fn a_colleagues_words_cannot_drive_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(dir);
    let case_id = new_case(dir, "Testfamily\u{1b}]0;owned\u{7}");
    // Clears the screen and hides what follows, as a note synced from a colleague might.
    let text = "Visit went well.\n\u{1b}[2J\u{1b}[8mhidden\u{9b}31m";
    casebook(dir, &["note", "sign", "--case", &case_id, "--text", text]).ok();
    let shown = casebook(dir, &["case", "show", &case_id]).ok().stdout();
    assert!(!shown.contains('\u{1b}') && !shown.contains('\u{7}') && !shown.contains('\u{9b}'), "{shown:?}");
    assert!(shown.contains("Testfamily\\u{1b}]0;owned\\u{7} family"), "{shown}");
    assert!(shown.contains("Visit went well.\n\\u{1b}[2J\\u{1b}[8mhidden\\u{9b}31m"), "paragraphs kept, escapes shown: {shown}");
    let listed = casebook(dir, &["case", "list"]).ok().stdout();
    assert!(!listed.contains('\u{1b}'), "{listed:?}");
    // JSON keeps the text exactly (it escapes control characters itself).
    assert_eq!(casebook(dir, &["case", "show", &case_id, "--json"]).ok().json()["state"]["signed_notes"][0]["text"], text);
}

#[test]
fn case_show_prints_the_warning_beside_an_nhs_test_number() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(dir);
    let case_id = new_case(dir, "Testfamily-Numbers");
    // The command has no way to record a person; the app does it through the same store.
    let mut store = casebook_store::Store::open(dir, PASSPHRASE).unwrap();
    let person = casebook_store::PersonInput {
        person_id: None,
        role: casebook_domain::PersonRole::ParentOrCarer,
        name: "Alex Fictional".into(),
        date_of_birth: None,
        nhs_number: Some("999 000 0018".into()),
        pronouns: None,
        language: None,
        interpreter_needed: false,
        gestation_weeks: None,
        gestation_days: None,
        professional: None,
    };
    store.record_person(case_id.parse().unwrap(), person).unwrap();
    drop(store);

    let shown = casebook(dir, &["case", "show", &case_id]).ok().stdout();
    let warning = casebook_domain::nhs_number::TEST_RANGE_WARNING;
    assert!(shown.contains(&format!("Parent or carer: Alex Fictional; NHS number 999 000 0018 (WARNING: {warning})")), "{shown}");
    let json = casebook(dir, &["case", "show", &case_id, "--json"]).ok().json();
    assert_eq!(json["header"]["people"][0]["nhs_number_warning"], warning);
    assert!(json["state"].is_object(), "the case view is still there");
}

#[test]
fn case_show_says_a_risk_answer_waits_for_review_and_how_long_the_record_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(dir);
    let case_id = new_case(dir, "Testfamily-RiskShown");
    let shown = casebook(dir, &["case", "show", &case_id]).ok().stdout();
    assert!(!shown.contains("RISK TO REVIEW"), "{shown}");
    // The first box ticked on every EPDS item: item 10's first box is "Yes, quite often".
    casebook(dir, &["measure", "add", "--case", &case_id, "--kind", "epds", "--answers", "0,0,0,0,0,0,0,0,0,0"]).ok();
    let shown = casebook(dir, &["case", "show", &case_id]).ok().stdout();
    assert!(shown.contains("RISK TO REVIEW: EPDS item 10 (score 3) on "), "{shown}");
    assert!(shown.contains("Keep until "), "{shown}");
    let json = casebook(dir, &["case", "show", &case_id, "--json"]).ok().json();
    assert_eq!(json["header"]["risk_to_review"]["answers"][0]["item"], 10);
}

//! Black-box tests of `casebook template`: the session record headings for a kind of contact, as
//! the app puts them in a note, and a note signed with them. All data is fictional.

mod common;
use common::*;

#[test]
fn prints_the_session_record_headings_for_a_kind_of_contact() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();

    // No store is needed to print a template.
    let home = casebook(dir, &["template", "--type", "home_visit"]).ok().stdout();
    assert_eq!(home, "Observation of parent–infant interaction:\n\nWhat was discussed:\n\nRisk:\n\nPlan:\n");
    assert_eq!(casebook(dir, &["template"]).ok().stdout(), home, "a home visit by default, as in the app");
    let call = casebook(dir, &["template", "--type", "telephone"]).ok().stdout();
    assert_eq!(call, "Summary of the call:\n\nRisk:\n\nPlan:\n");

    let json = casebook(dir, &["template", "--type", "professionals-consultation", "--json"]).ok().json();
    assert_eq!(json["contact_type"], "professionals_consultation");
    let headings: Vec<&str> = json["headings"].as_array().unwrap().iter().map(|h| h["heading"].as_str().unwrap()).collect();
    assert_eq!(headings, ["Question from the professional", "Advice given", "Risk", "Plan"]);
    assert!(json["headings"].as_array().unwrap().iter().all(|h| !h["prompt"].as_str().unwrap().is_empty()));
    assert_eq!(json["text"], "Question from the professional:\n\nAdvice given:\n\nRisk:\n\nPlan:\n");

    let wrong = casebook(dir, &["template", "--type", "picnic"]).fails();
    assert!(wrong.contains("'picnic' is not a contact type") && wrong.contains("home-visit"), "{wrong}");
}

#[test]
fn a_note_written_under_the_headings_is_signed_with_them() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(dir);
    let case = casebook(dir, &["case", "new", "--family-name", "Testfamily-Template", "--due-date", &due_in(60), "--json"]).ok().json();
    let case = case["case_id"].as_str().unwrap();
    let contact = casebook(dir, &["contact", "add", "--case", case, "--type", "home-visit", "--json"]).ok().json();
    let contact_id = contact["contact_id"].as_str().unwrap();

    let template = casebook(dir, &["template", "--type", "home-visit"]).ok().stdout();
    let text = template.replace("interaction:\n", "interaction:\nFictional: baby settled on the parent's lap.\n");
    let note = casebook(dir, &["note", "sign", "--case", case, "--contact", contact_id, "--text", &text, "--json"]).ok().json();
    assert!(note["text"].as_str().unwrap().starts_with("Observation of parent–infant interaction:\nFictional: baby settled"), "{note}");
    let hits = casebook(dir, &["search", "lap", "--json"]).ok().json();
    assert_eq!(hits[0]["case_id"], case);
}

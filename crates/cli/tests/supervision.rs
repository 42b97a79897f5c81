//! Black-box tests of `casebook supervision add`: case supervision with agreed actions that become
//! tasks, and bad input refused with one sentence. (Who may record it is the central store's
//! decision: see crates/server/tests/security.rs.) All data is fictional.

mod common;
use common::*;

#[test]
fn supervision_is_recorded_with_agreed_actions_as_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(dir);
    let case = casebook(dir, &["case", "new", "--family-name", "Testfamily-Supervision", "--due-date", &due_in(60), "--json"]).ok().json();
    let case_id = case["case_id"].as_str().unwrap();
    let due = due_in(7);
    let action = format!("Joint visit with the health visitor={due}");
    let out = casebook(
        dir,
        &["supervision", "add", "--case", case_id, "--text", "Fictional: discussed the parent's low mood.", "--with", "clin.one", "--action", &action, "--json"],
    )
    .ok()
    .json();
    assert_eq!(out["details"]["with"][0], "clin.one");
    assert_eq!(out["details"]["actions"][0]["due_on"], due.as_str());
    let human = casebook(dir, &["supervision", "add", "--case", case_id, "--text", "Fictional: a second talk.", "--action", &action]).ok().stdout();
    assert!(human.contains("Task added: Joint visit with the health visitor (due "), "{human}");
    let shown = casebook(dir, &["case", "show", case_id, "--json"]).ok().json();
    let tasks = shown["state"]["record"]["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 2);
    assert_eq!(tasks[0]["details"]["title"], "Agreed in supervision: Joint visit with the health visitor");

    let no_date = casebook(dir, &["supervision", "add", "--case", case_id, "--text", "x", "--action", "Letter to the GP"]).fails();
    assert!(no_date.contains("\"what=YYYY-MM-DD\""), "{no_date}");
    let empty = casebook(dir, &["supervision", "add", "--case", case_id, "--text", "  "]).fails();
    assert!(empty.contains("What was discussed is empty"), "{empty}");
    let shown = casebook(dir, &["case", "show", case_id, "--json"]).ok().json();
    assert_eq!(shown["state"]["record"]["supervisions"].as_array().unwrap().len(), 2, "nothing refused was written");
}

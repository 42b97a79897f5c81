//! Black-box tests of the whole case record from the command line: referrals, measures, planned
//! and recorded contacts, risk, discharge and Today. All data is fictional.

use std::path::Path;

mod common;
use common::*;

const WIGAN_REFERRAL: &[&str] = &[
    "referral", "add", "--family-name", "Testfamily-Referral", "--parent", "Fictional Parent", "--infant-dob", "2026-10-01",
    "--infant-name", "Baby Testfamily", "--received", "2026-11-24", "--service", "wigan-babs", "--referrer-name",
    "Fictional Midwife", "--referrer-role", "midwife", "--referrer-org", "Testshire Maternity", "--consent", "yes",
    "--reason", "lack_of_bonding", "--reason", "history-of-aces-or-trauma", "--gp-practice", "Testshire Surgery",
    "--residence", "yes",
];

fn referral(dir: &Path) -> String {
    let mut args = WIGAN_REFERRAL.to_vec();
    args.push("--json");
    let out = casebook(dir, &args).ok().json();
    out["case_id"].as_str().unwrap().to_string()
}

fn events(dir: &Path, case: &str) -> usize {
    casebook(dir, &["case", "show", case, "--json"]).ok().json()["state"]["chronology"].as_array().unwrap().len()
}

#[test]
fn a_referral_is_logged_with_its_eligibility_and_the_wigan_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(dir);
    let mut args = WIGAN_REFERRAL.to_vec();
    args.push("--json");
    let out = casebook(dir, &args).ok().json();
    assert_eq!(out["family_name"], "Testfamily-Referral");
    assert_eq!(out["status"], "Referral received");
    assert_eq!(out["eligibility"]["outcome"], "eligible");
    assert!(out["eligibility_summary"].as_str().unwrap().starts_with("Eligible: the infant is"), "{out}");
    assert_eq!(out["first_contact_due"], "2026-12-01", "five working days after Tuesday 24 November 2026");
    assert_eq!(out["service"], "Wigan BABS");
    assert_eq!(out["crisis_route"]["phone"], "01942 764 467");
    let case = out["case_id"].as_str().unwrap();
    let shown = casebook(dir, &["case", "show", case, "--json"]).ok().json();
    assert_eq!(shown["state"]["record"]["referral"]["details"]["referrer"]["name"], "Fictional Midwife");

    let human = casebook(dir, WIGAN_REFERRAL).ok().stdout();
    assert!(human.contains("Eligible:") && human.contains("First contact due by Tuesday 1 December 2026 (Wigan BABS target)."), "{human}");

    // Moving it on, and a move the rules refuse.
    let moved = casebook(dir, &["referral", "status", "--case", case, "--to", "acknowledged", "--on", "2026-11-24", "--json"]).ok().json();
    assert_eq!(moved["status"], "acknowledged");
    let err = casebook(dir, &["referral", "status", "--case", case, "--to", "accepted"]).fails();
    assert_eq!(err, "A referral that is acknowledged cannot be marked accepted; it can next be contacted, declined or signposted.");
    let err = casebook(dir, &["referral", "status", "--case", case, "--to", "declined"]).fails();
    assert!(err.contains("Give a reason for declining"), "{err}");
}

#[test]
fn a_referral_without_consent_or_for_an_unknown_service_is_refused_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(dir);
    let swap = |flag: &str, value: &str| -> Vec<String> {
        let mut args: Vec<String> = WIGAN_REFERRAL.iter().map(|s| s.to_string()).collect();
        let at = args.iter().position(|a| a == flag).unwrap();
        args[at + 1] = value.to_string();
        args
    };
    let run = |args: Vec<String>| casebook(dir, &args.iter().map(String::as_str).collect::<Vec<_>>());
    let err = run(swap("--consent", "no")).fails();
    assert!(err.starts_with("A referral needs the family's consent to refer"), "{err}");
    let err = run(swap("--service", "testshire-babs")).fails();
    assert!(err.starts_with("There is no service called 'testshire-babs'"), "{err}");
    let err = run(swap("--consent", "perhaps")).fails();
    assert_eq!(err, "'perhaps' is not an answer for --consent; write yes or no.");
    let err = run(swap("--referrer-role", "wizard")).fails();
    assert!(err.starts_with("'wizard' is not a referrer's role; choose one of: midwife, health-visitor"), "{err}");
    let err = run(swap("--reason", "sadness")).fails();
    assert!(err.contains("is not a reason for referral"), "{err}");
    assert!(casebook(dir, &["case", "list", "--json"]).ok().json().as_array().unwrap().is_empty(), "nothing was opened");
}

/// One unmistakable way in: `--answers` (ticked, in printed order) or `--scores` (a form scored on
/// paper). The first box on every EPDS item, ticked, is 21 with the item 10 risk; `--items`, which
/// never said which, is refused with a sentence naming both, and stores nothing.
#[test]
fn an_epds_is_entered_as_the_answers_ticked_or_as_scores_and_items_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(dir);
    let case = referral(dir);
    let before = events(dir, &case);
    let ticked = casebook(dir, &["measure", "add", "--case", &case, "--kind", "epds", "--answers", "0,0,0,0,0,0,0,0,0,0", "--on", "2026-11-24", "--json"])
        .ok()
        .json();
    assert_eq!((ticked["total"].as_u64(), ticked["band"].as_str()), (Some(21), Some("Probable depression")));
    assert_eq!(ticked["entered_as"], "answers");
    assert_eq!(ticked["item_scores"], serde_json::json!([0, 0, 3, 0, 3, 3, 3, 3, 3, 3]));
    assert_eq!((ticked["risk_flags"][0]["item"].as_u64(), ticked["risk_flags"][0]["value"].as_u64()), (Some(10), Some(3)));
    let said = casebook(dir, &["measure", "add", "--case", &case, "--kind", "epds", "--answers", "0,0,0,0,0,0,0,0,0,0", "--on", "2026-11-24"]).ok().out;
    let said = String::from_utf8_lossy(&said.stdout).into_owned();
    assert!(said.contains("from the answers as ticked: 21 out of 30, Probable depression"), "{said}");
    assert!(said.contains("Risk: EPDS item 10 scored 3"), "{said}");
    let copied = casebook(dir, &["measure", "add", "--case", &case, "--kind", "epds", "--scores", "0,0,0,0,0,0,0,0,0,0", "--on", "2026-11-24", "--json"])
        .ok()
        .json();
    assert_eq!((copied["total"].as_u64(), copied["entered_as"].as_str()), (Some(0), Some("scores")));
    assert_eq!(events(dir, &case), before + 3);

    let err = casebook(dir, &["measure", "add", "--case", &case, "--kind", "epds", "--items", "0,0,0,0,0,0,0,0,0,0"]).fails();
    assert!(err.contains("--items is ambiguous") && err.contains("--answers") && err.contains("--scores"), "{err}");
    let err = casebook(dir, &["measure", "add", "--case", &case, "--kind", "epds"]).fails();
    assert!(err.contains("Give the EPDS as --answers") && err.contains("--scores"), "{err}");
    assert_eq!(events(dir, &case), before + 3, "nothing stored by the refusals");
    let help = casebook(dir, &["measure", "add", "--help"]).ok().out;
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    for says in ["--answers", "--scores", "items 3 and 5-10 are printed highest score first", "Items 2 and 3 are worded positively"] {
        assert!(help.contains(says), "--help says {says:?}: {help}");
    }
    assert!(!help.contains("--items"), "the refused option is not offered");
}

#[test]
fn an_epds_with_a_self_harm_answer_is_flagged_and_bad_items_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(dir);
    let case = referral(dir);
    let before = events(dir, &case);
    let m = casebook(
        dir,
        &["measure", "add", "--case", &case, "--kind", "epds", "--scores", "1,1,1,1,1,1,1,1,0,2", "--time-point", "baseline", "--on", "2026-11-24", "--json"],
    )
    .ok()
    .json();
    assert!(m["measure_id"].is_string());
    assert_eq!(m["kind"], "epds");
    assert_eq!(m["total"], 10);
    assert_eq!(m["max"], 30);
    assert!(m["band"].is_string());
    let flags = m["risk_flags"].as_array().unwrap();
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0]["item"], 10);
    assert_eq!(flags[0]["value"], 2);
    assert_eq!(events(dir, &case), before + 1);

    let wrong_count = casebook(dir, &["measure", "add", "--case", &case, "--kind", "epds", "--scores", "1,1,1,1,1,1,1,1,0", "--on", "2026-11-24"]);
    assert_eq!(wrong_count.out.status.code(), Some(1));
    assert_eq!(wrong_count.fails(), "EPDS needs 10 item scores; 9 were given.");
    let out_of_range = casebook(dir, &["measure", "add", "--case", &case, "--kind", "phq9", "--answers", "0,0,0,0,0,0,0,0,4", "--on", "2026-11-24"]);
    assert_eq!(out_of_range.fails(), "PHQ-9 item 9 is 4, but items score 0 to 3.");
    let err = casebook(dir, &["measure", "add", "--case", &case, "--kind", "epds", "--scores", "1,,1"]).fails();
    assert!(err.starts_with("Item 2 is blank"), "{err}");
    let err = casebook(dir, &["measure", "add", "--case", &case, "--kind", "hads", "--answers", "1"]).fails();
    assert!(err.contains("is not a measure Casebook knows"), "{err}");
    assert_eq!(events(dir, &case), before + 1, "nothing stored by the refusals");

    let gbo = casebook(
        dir,
        &["measure", "add", "--case", &case, "--kind", "gbo", "--goal", "Enjoy bath time together=3", "--goal", "Feel less alone=2", "--on", "2026-11-24", "--json"],
    )
    .ok()
    .json();
    assert_eq!(gbo["goals"][0]["description"], "Enjoy bath time together");
    assert_eq!(gbo["goals"][1]["score"], 2);
    let err = casebook(dir, &["measure", "add", "--case", &case, "--kind", "gbo", "--goal", "Sleep=12"]).fails();
    assert_eq!(err, "Goal 1 is scored 12, but goals score 0 to 10.");
    let err = casebook(dir, &["measure", "add", "--case", &case, "--kind", "gbo", "--goal", "Sleep"]).fails();
    assert!(err.contains("write it as \"description=score\""), "{err}");
}

#[test]
fn contacts_are_planned_then_recorded_with_time_duration_attendees_and_interventions() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(dir);
    let case = referral(dir);
    let planned = casebook(dir, &["contact", "plan", "--case", &case, "--at", "2026-11-24 14:00", "--type", "home_visit", "--location", "Family home", "--json"])
        .ok()
        .json();
    assert_eq!(planned["details"]["planned_for"], "2026-11-24T14:00:00");
    let planned_id = planned["details"]["contact_id"].as_str().unwrap();
    let contact = casebook(
        dir,
        &[
            "contact", "add", "--case", &case, "--contact", planned_id, "--date", "2026-11-24", "--type", "home_visit", "--time", "14:05",
            "--duration", "50", "--attendee", "Fictional Parent", "--attendee", "Baby Testfamily", "--intervention", "Watch, wait and wonder",
            "--json",
        ],
    )
    .ok()
    .json();
    assert_eq!(contact["contact_id"], planned_id);
    let shown = casebook(dir, &["case", "show", &case, "--json"]).ok().json();
    assert!(shown["state"]["record"]["planned_contacts"].as_array().unwrap().is_empty(), "no longer only planned");
    assert_eq!(shown["state"]["record"]["referral"]["first_contact_on"], "2026-11-24");
    let list = casebook(dir, &["case", "list", "--json"]).ok().json();
    assert_eq!(list[0]["last_contact_on"], "2026-11-24");
    assert!(list[0].get("first_contact_due").is_none(), "first contact made: {}", list[0]);

    let err = casebook(dir, &["contact", "add", "--case", &case, "--contact", planned_id, "--date", "2026-11-24"]).fails();
    assert_eq!(err, "That planned contact has already been recorded.");
    let err = casebook(dir, &["contact", "add", "--case", &case, "--time", "2pm"]).fails();
    assert!(err.contains("write it as HH:MM"), "{err}");
    let err = casebook(dir, &["contact", "add", "--case", &case, "--duration", "an hour"]).fails();
    assert!(err.contains("is not a number of minutes"), "{err}");
    let err = casebook(dir, &["contact", "add", "--case", &case, "--duration", "0"]).fails();
    assert_eq!(err, "The duration should be between 1 minute and 12 hours.");
    let err = casebook(dir, &["contact", "plan", "--case", &case, "--at", "Friday"]).fails();
    assert!(err.contains("is not a valid date and time"), "{err}");
}

#[test]
fn today_lists_visits_and_what_is_due() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(dir);
    let case = referral(dir);
    casebook(dir, &["contact", "plan", "--case", &case, "--at", "2026-11-27 14:00", "--type", "home-visit"]).ok();
    casebook(dir, &["contact", "plan", "--case", &case, "--at", "2026-11-27 09:30", "--type", "telephone"]).ok();
    casebook(dir, &["risk", "add", "--case", &case, "--to-self", "low", "--to-infant", "medium", "--from-others", "none-known", "--thrive", "getting-help", "--summary", "Fictional summary.", "--review-on", "2026-12-02", "--on", "2026-11-24"]).ok();
    let today = casebook(dir, &["today", "--on", "2026-11-27", "--json"]).ok().json();
    assert_eq!(today["on"], "2026-11-27");
    let times: Vec<&str> = today["visits"].as_array().unwrap().iter().map(|v| v["planned_for"].as_str().unwrap()).collect();
    assert_eq!(times, vec!["2026-11-27T09:30:00", "2026-11-27T14:00:00"]);
    let due: Vec<(&str, &str)> =
        today["due"].as_array().unwrap().iter().map(|d| (d["what"].as_str().unwrap(), d["due_on"].as_str().unwrap())).collect();
    assert_eq!(due, vec![("First contact (Wigan BABS target)", "2026-12-01"), ("Risk review", "2026-12-02")]);
    assert_eq!(today["due"][0]["overdue"], false);
    let later = casebook(dir, &["today", "--on", "2026-12-02", "--json"]).ok().json();
    assert_eq!(later["due"][0]["overdue"], true, "the Wigan target has passed");
    let human = casebook(dir, &["today", "--on", "2026-11-27"]).ok().stdout();
    assert!(human.contains("09:30  Testfamily-Referral — Telephone"), "{human}");
    assert!(human.contains("First contact (Wigan BABS target)"), "{human}");

    let discharged = casebook(dir, &["discharge", "--case", &case, "--reason", "goals-met", "--summary", "Fictional summary.", "--on", "2026-11-24", "--json"]).ok().json();
    assert_eq!(discharged["details"]["reason"], "goals_met");
    let err = casebook(dir, &["discharge", "--case", &case, "--reason", "goals-met", "--summary", "Again."]).fails();
    assert!(err.starts_with("This case was already discharged on 24 November 2026"), "{err}");
    assert!(casebook(dir, &["today", "--on", "2026-11-27", "--json"]).ok().json()["due"].as_array().unwrap().is_empty());
}

//! `casebook rules check`, as IT runs it on a laptop's data folder: which services and bank
//! holidays are in use and where from, and every rules file Casebook could not use, by name, with
//! a non-zero exit status. No store and no passphrase are needed.

use std::path::Path;

mod common;
use common::*;

const SEFTON_SIX_MONTHS: &str = r#"{
  "id": "sefton-babs",
  "name": "Sefton BABS",
  "eligibility": {
    "pregnant_eligible": true,
    "infant_age_limit": { "up_to_months": 6 },
    "residence": { "rule": "lives_in", "area": "Sefton" }
  },
  "first_contact_working_days": 10
}"#;

const GOV_UK: &str = r#"{"england-and-wales": {"division": "england-and-wales", "events": [
    {"title": "Fictional extra day", "date": "2026-11-26", "notes": "", "bunting": false},
    {"title": "Christmas Day", "date": "2027-12-25", "notes": "", "bunting": true}]}}"#;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// No passphrase in the environment: IT checking a laptop does not have the clinician's.
fn rules_check(dir: &Path, json: bool) -> Run {
    let args: &[&str] = if json { &["rules", "check", "--json"] } else { &["rules", "check"] };
    casebook_env(dir, args, &[])
}

#[test]
fn broken_rules_files_are_named_and_the_check_fails() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(dir);
    let profile = write(dir, "service-profiles/sefton-babs.json", &SEFTON_SIX_MONTHS.replace("\"eligibility\"", "\"eligibilty\""));
    let holidays = write(dir, "bank-holidays.json", &GOV_UK.replace("2026-11-26", "26/11/2026"));

    let run = rules_check(dir, false);
    let stdout = run.stdout();
    let err = run.fails();
    assert!(err.starts_with("Casebook could not use 2 files in "), "{err}");
    assert!(stdout.contains("sefton-babs  Sefton BABS  shipped with Casebook"), "{stdout}");
    assert!(stdout.contains("Bank holidays: the England and Wales rule and list shipped with Casebook."), "{stdout}");
    let problems: Vec<&str> = stdout.lines().filter_map(|l| l.strip_prefix("  - ")).collect();
    assert_eq!(problems.len(), 2, "{stdout}");
    assert!(problems[0].starts_with(&format!("The service profile {profile} was skipped: it has a setting \"eligibilty\"")), "{}", problems[0]);
    assert!(problems[0].contains("check its spelling"), "{}", problems[0]);
    assert!(problems[1].starts_with(&format!("The bank holidays in {holidays} were not used")), "{}", problems[1]);
    assert!(problems[1].contains("\"26/11/2026\" is not a date"), "{}", problems[1]);

    let run = rules_check(dir, true);
    let json = run.json();
    run.fails();
    assert_eq!(json["profiles"][0]["id"], "sefton-babs");
    assert_eq!(json["profiles"][0]["file"], serde_json::Value::Null);
    assert_eq!(json["bank_holidays"]["file"], serde_json::Value::Null);
    let problems = json["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 2);
    assert!(problems[0].as_str().unwrap().contains(&profile));
    assert!(problems[1].as_str().unwrap().contains(&holidays));
}

#[test]
fn good_rules_files_are_listed_with_where_they_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let profile = write(dir, "service-profiles/sefton-babs.json", SEFTON_SIX_MONTHS);
    let holidays = write(dir, "bank-holidays.json", GOV_UK);

    let run = rules_check(dir, false).ok();
    let stdout = run.stdout();
    assert!(stdout.contains(&format!("sefton-babs  Sefton BABS  from {profile}")), "{stdout}");
    assert!(stdout.contains("wigan-babs   Wigan BABS   shipped with Casebook"), "{stdout}");
    assert!(stdout.contains(&format!("Bank holidays: from {holidays} for 2026 to 2027;")), "{stdout}");
    assert!(stdout.contains("No problems"), "{stdout}");
    assert!(run.stderr().is_empty(), "{}", run.stderr());

    let json = rules_check(dir, true).ok().json();
    assert_eq!(json["profiles"][0]["file"], profile.as_str());
    assert_eq!(json["bank_holidays"]["file"], holidays.as_str());
    assert_eq!(json["bank_holidays"]["file_years"], serde_json::json!([2026, 2027]));
    assert_eq!(json["problems"], serde_json::json!([]));
}

#[test]
fn a_folder_that_is_not_there_is_said_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("not-here");
    let err = rules_check(&missing, false).fails();
    assert_eq!(err, format!("There is no folder {}; check the folder given with --data.", missing.display()));
}

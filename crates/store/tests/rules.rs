//! A team's rule files in the data folder (service profiles, gov.uk's bank holidays): a file that
//! cannot be used is left out and Casebook carries on with the rules it shipped with, and every
//! such file is reported in a sentence that names it and says what to fix, never silently.

mod common;
use common::*;

use casebook_store::RulesInUse;
use std::path::Path;

/// Sefton with a six-month window, as a team might write it.
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
    {"title": "Christmas Day", "date": "2027-12-25", "notes": "", "bunting": true}]},
  "scotland": {"division": "scotland", "events": []}}"#;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn ids_and_files(rules: &RulesInUse) -> Vec<(String, Option<String>)> {
    rules.profiles.iter().map(|p| (p.id.clone(), p.file.clone())).collect()
}

#[test]
fn with_no_files_the_shipped_rules_are_in_use_and_nothing_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let rules = RulesInUse::read(dir.path());
    assert_eq!(ids_and_files(&rules), vec![("sefton-babs".into(), None), ("wigan-babs".into(), None)]);
    assert_eq!(rules.bank_holidays.file, None);
    assert!(rules.problems.is_empty(), "{:?}", rules.problems);
}

#[test]
fn good_files_are_used_and_said_to_be_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let sefton = write(dir.path(), "service-profiles/sefton-babs.json", SEFTON_SIX_MONTHS);
    let holidays = write(dir.path(), "bank-holidays.json", GOV_UK);
    let rules = RulesInUse::read(dir.path());
    assert_eq!(ids_and_files(&rules), vec![("sefton-babs".into(), Some(sefton)), ("wigan-babs".into(), None)]);
    assert_eq!(rules.bank_holidays.file, Some(holidays));
    assert_eq!(rules.bank_holidays.file_years, Some((2026, 2027)));
    assert!(rules.problems.is_empty(), "{:?}", rules.problems);
}

#[test]
fn a_misspelt_setting_names_the_file_the_setting_and_which_rules_are_used_instead() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "service-profiles/sefton-babs.json", &SEFTON_SIX_MONTHS.replace("\"eligibility\"", "\"eligibilty\""));
    let store = new_store(dir.path());

    let problems = store.service_profile_problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    let p = &problems[0];
    assert!(p.starts_with(&format!("The service profile {path} was skipped: ")), "{p}");
    assert!(p.contains("\"eligibilty\"") && p.contains("check its spelling") && p.contains("\"eligibility\""), "{p}");
    assert!(p.contains("line 4"), "the line to look at: {p}");
    assert!(p.ends_with("Until the file is corrected, Sefton BABS uses the rules that came with Casebook instead."), "{p}");
    assert!(!p.contains('`'), "no programmer's quotes: {p}");

    // The shipped Sefton rules (3 months, no target) are what intake gets, and the report says so.
    let sefton = store.service_profile("sefton-babs").unwrap();
    assert_eq!(sefton.first_contact_working_days, None);
    let rules = store.rules_in_use();
    assert_eq!(rules.profiles[0].file, None);
    assert_eq!(rules.problems, problems);
}

#[test]
fn a_setting_out_of_range_or_missing_is_named() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "service-profiles/a-zero.json", &SEFTON_SIX_MONTHS.replace("\"first_contact_working_days\": 10", "\"first_contact_working_days\": 0"));
    write(dir.path(), "service-profiles/b-testshire.json", r#"{"id": "testshire-babs", "name": "Testshire BABS"}"#);
    write(dir.path(), "service-profiles/c-cut-short.json", r#"{"id": "wigan-babs", "name": "Wig"#);
    let problems = RulesInUse::read(dir.path()).problems;
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems[0].contains("a-zero.json was skipped: the service profile's first_contact_working_days is 0; it must be between 1 and 60"), "{}", problems[0]);
    assert!(problems[0].ends_with("Sefton BABS uses the rules that came with Casebook instead."), "{}", problems[0]);
    assert!(problems[1].contains("b-testshire.json was skipped: the setting \"eligibility\" is missing"), "{}", problems[1]);
    assert!(problems[1].ends_with("the service \"testshire-babs\" cannot be chosen for a referral."), "{}", problems[1]);
    assert!(problems[2].contains("c-cut-short.json was skipped: the file ends too soon"), "{}", problems[2]);
    assert!(problems[2].ends_with("nothing in it is used."), "the id cannot be read from a cut-short file: {}", problems[2]);
}

#[test]
fn two_files_for_one_service_say_which_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let first = write(dir.path(), "service-profiles/sefton-2025.json", &SEFTON_SIX_MONTHS.replace("10", "5"));
    let second = write(dir.path(), "service-profiles/sefton-2026.json", SEFTON_SIX_MONTHS);
    let rules = RulesInUse::read(dir.path());
    assert_eq!(rules.profiles[0].file.as_deref(), Some(second.as_str()));
    assert_eq!(
        rules.problems,
        vec![format!(
            "The service profile {first} was skipped: {second} is also for the service \"sefton-babs\" and is the one used. Remove one of the two files, or give one a different id."
        )]
    );
    let store = new_store(dir.path());
    assert_eq!(store.service_profile("sefton-babs").unwrap().first_contact_working_days, Some(10));
}

#[test]
fn a_broken_profile_for_a_service_another_file_provides_says_which_file_is_used() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "service-profiles/a.json", &SEFTON_SIX_MONTHS.replace("\"residence\"", "\"residency\""));
    let good = write(dir.path(), "service-profiles/b.json", SEFTON_SIX_MONTHS);
    let problems = RulesInUse::read(dir.path()).problems;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].ends_with(&format!("the service \"sefton-babs\" uses the rules in {good} instead.")), "{}", problems[0]);
}

#[test]
fn a_broken_bank_holiday_file_is_named_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "bank-holidays.json", r#"{"england-and-wales": {"division": "england-and-wales", "events": [{"title": "Christmas Day", "date": "25/12/2026"}]}}"#);
    let store = new_store(dir.path());
    let problem = store.working_days_problem().expect("reported");
    assert!(problem.starts_with(&format!("The bank holidays in {path} were not used (")), "{problem}");
    assert!(problem.contains("\"25/12/2026\" is not a date"), "{problem}");
    assert!(problem.contains("the shipped list is used instead"), "{problem}");
    assert!(problem.ends_with("Download https://www.gov.uk/bank-holidays.json again and save it there unchanged, or remove the file."), "{problem}");
    assert!(store.working_days().is_working_day(day("2026-11-26")));

    let rules = store.rules_in_use();
    assert_eq!(rules.bank_holidays.file, None);
    assert_eq!(rules.problems, vec![problem]);

    // Corrected, it is used and nothing is reported.
    write(dir.path(), "bank-holidays.json", GOV_UK);
    assert_eq!(store.working_days_problem(), None);
    assert!(!store.working_days().is_working_day(day("2026-11-26")));
    assert!(store.rules_in_use().problems.is_empty());
}

#[test]
fn files_with_the_wrong_name_are_reported_rather_than_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let download = write(dir.path(), "bank-holidays (1).json", GOV_UK);
    let folder = dir.path().join("service-profile");
    write(&folder, "sefton-babs.json", SEFTON_SIX_MONTHS);
    let notepad = write(dir.path(), "service-profiles/wigan-babs.json.txt", "{}");
    write(dir.path(), "service-profiles/README.txt", "Notes for the team: not a profile.");
    let rules = RulesInUse::read(dir.path());
    assert_eq!(ids_and_files(&rules), vec![("sefton-babs".into(), None), ("wigan-babs".into(), None)]);
    assert_eq!(rules.problems.len(), 3, "{:?}", rules.problems);
    assert!(rules.problems[0].starts_with(&format!("The service profile {notepad} was skipped: only files whose names end in .json")), "{}", rules.problems[0]);
    assert!(rules.problems[1].starts_with(&format!("The file {download} looks like a bank holiday list but is not used")), "{}", rules.problems[1]);
    assert!(rules.problems[1].ends_with("Rename the file to bank-holidays.json."), "{}", rules.problems[1]);
    assert!(rules.problems[2].starts_with(&format!("The folder {} is not read", folder.display())), "{}", rules.problems[2]);

    // Once the real file is there, a stray second download is no longer in the way.
    write(dir.path(), "bank-holidays.json", GOV_UK);
    assert_eq!(RulesInUse::read(dir.path()).problems.len(), 2);
}

//! `casebook discharge` prints each measure's change from baseline after discharging, in words
//! and in `--json`. All data is fictional.

use std::path::Path;

mod common;
use common::*;

fn new_case(dir: &Path, family: &str) -> String {
    let case = casebook(dir, &["case", "new", "--family-name", family, "--due-date", &due_in(60), "--json"]).ok().json();
    case["case_id"].as_str().unwrap().to_string()
}

fn measure(dir: &Path, case: &str, args: &[&str]) {
    let mut all = vec!["measure", "add", "--case", case];
    all.extend_from_slice(args);
    casebook(dir, &all).ok();
}

#[test]
fn discharge_prints_the_outcome_change_from_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(dir);
    let case = new_case(dir, "Testfamily-Discharge");
    // Entered out of order: the review first, then the baseline from paper.
    measure(dir, &case, &["--kind", "epds", "--scores", "0,1,0,1,0,1,0,0,1,0", "--time-point", "review", "--on", "2026-11-20"]);
    measure(dir, &case, &["--kind", "epds", "--scores", "2,2,1,1,1,1,1,1,1,0", "--time-point", "baseline", "--on", "2026-10-02"]);
    measure(dir, &case, &["--kind", "gbo", "--goal", "Enjoy bath time together=2", "--time-point", "baseline", "--on", "2026-10-02"]);
    measure(dir, &case, &["--kind", "gbo", "--goal", "Enjoy bath time together=7", "--time-point", "discharge", "--on", "2026-11-23"]);

    let out = casebook(dir, &["discharge", "--case", &case, "--reason", "goals-met", "--summary", "Fictional summary.", "--on", "2026-11-24"]).ok().stdout();
    assert_eq!(
        out.trim_end(),
        "Discharged on Tuesday 24 November 2026 (goals met).\n\
         Outcome change from baseline:\n  \
         EPDS: 11 → 4 (reliable improvement; was Possible depression, now Below the usual threshold), \
         from baseline on 2 October 2026 to review on 20 November 2026\n  \
         GBO goal 1 “Enjoy bath time together”: 2 → 7 out of 10 (reliable improvement), \
         from baseline on 2 October 2026 to discharge on 23 November 2026"
    );
}

#[test]
fn discharge_json_includes_the_outcome_changes() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(dir);
    let case = new_case(dir, "Testfamily-DischargeJson");
    measure(dir, &case, &["--kind", "phq9", "--answers", "2,2,2,2,2,2,2,2,0", "--time-point", "baseline", "--on", "2026-10-02"]);
    measure(dir, &case, &["--kind", "phq9", "--answers", "1,1,1,1,1,1,1,1,0", "--time-point", "review", "--on", "2026-11-20"]);

    let json = casebook(dir, &["discharge", "--case", &case, "--reason", "goals-met", "--summary", "Fictional summary.", "--on", "2026-11-24", "--json"]).ok().json();
    assert_eq!(json["details"]["reason"], "goals_met", "the discharge as before");
    let changes = json["outcome_changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1);
    let c = &changes[0];
    assert_eq!(c["kind"], "phq9");
    assert_eq!((c["baseline_point"].as_str(), c["end_point"].as_str()), (Some("baseline"), Some("review")));
    assert_eq!((c["change"]["earlier_total"].as_u64(), c["change"]["later_total"].as_u64()), (Some(16), Some(8)));
    assert_eq!(c["change"]["reliable"], "better");
    assert_eq!(c["lines"][0], "PHQ-9: 16 → 8 (reliable improvement; was Moderately severe, now Mild)");
}

#[test]
fn discharge_without_a_repeated_measure_says_there_is_no_change_to_show() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    init(dir);
    let case = new_case(dir, "Testfamily-DischargeOnce");
    measure(dir, &case, &["--kind", "epds", "--scores", "2,2,1,1,1,1,1,1,1,0", "--time-point", "baseline", "--on", "2026-10-02"]);
    let out = casebook(dir, &["discharge", "--case", &case, "--reason", "moved-away", "--summary", "Fictional summary.", "--on", "2026-11-24"]).ok().stdout();
    assert_eq!(
        out.trim_end(),
        "Discharged on Tuesday 24 November 2026 (moved out of area).\n\
         No outcome measure was scored twice, so there is no change from baseline to show."
    );
    let json = casebook(dir, &["case", "show", &case, "--json"]).ok().json();
    assert!(json["state"]["record"]["discharge"].is_object());
}

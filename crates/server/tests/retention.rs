//! `casebook-server report retention`: the cases past their keep-until date are listed for a
//! person to review, the others are not, and nothing is deleted. Run on SQLite and on PostgreSQL
//! (see the macro at the bottom). All families are fictional.

mod common;

use casebook_domain::*;
use casebook_protocol::*;
use chrono::{Months, Utc};
use common::*;
use uuid::Uuid;

fn opened(family: &str, infant_born: Option<chrono::NaiveDate>) -> EventBody {
    EventBody::CaseOpened(CaseOpened {
        family_name: family.into(),
        parent: Some(Person { name: "Parent Fictional".into() }),
        due_date: None,
        infant: infant_born.map(|dob| Infant { name: Some("Baby Fictional".into()), date_of_birth: dob }),
        to_team_inbox: false,
    })
}

async fn records_past_their_retention_date_are_listed_and_never_deleted(backend: Backend) {
    let (h, db) = start_with_db(backend).await;
    seed_teams(&h).await;
    let mut a1 = h.login("clin.a1").await;
    let today = Utc::now().date_naive();
    // A parent seen today: kept 20 years from today (the mental health rule). A baby born a month
    // ago: kept until their 25th birthday, which outlasts it.
    let (parent_only, baby) = (Uuid::now_v7(), Uuid::now_v7());
    let events = vec![
        a1.event(parent_only, opened("Testfamily-Retention-Parent", None)),
        a1.event(baby, opened("Testfamily-Retention-Baby", Some(today - Months::new(1)))),
    ];
    h.push(&a1, &events).await;
    let held_before = h.storage.event_count().await.unwrap();

    // 21 years on, the parent's record is past its date and the baby's is not.
    let later = (today + Months::new(21 * 12)).to_string();
    let report: serde_json::Value = serde_json::from_str(&cli_ok(&db, &["report", "retention", "--as-of", &later, "--json"])).unwrap();
    assert_eq!(report["cases_checked"], 2);
    let past = report["past_their_date"].as_array().unwrap();
    assert_eq!(past.len(), 1, "{report:#}");
    assert_eq!(past[0]["case_id"], parent_only.to_string());
    assert_eq!(past[0]["team"], "Test Team A");
    assert_eq!(past[0]["rule"], "mental_health");
    assert_eq!(past[0]["keep_until"], (today + Months::new(20 * 12)).to_string());
    assert_eq!(past[0]["still_open"], true);
    assert!(report["nothing_deleted"].as_str().unwrap().contains("never deletes"));

    let text = cli_ok(&db, &["report", "retention", "--as-of", &later]);
    assert!(text.contains(&parent_only.to_string()) && !text.contains(&baby.to_string()), "{text}");
    assert!(text.contains("mental health record: 20 years after the last entry written on the record; the case is still open"), "{text}");
    assert!(text.contains("Nothing has been deleted or changed"), "{text}");
    // Today, nothing is past its date.
    let now = cli_ok(&db, &["report", "retention"]);
    assert!(now.starts_with("No case is past its keep-until date on"), "{now}");
    let help = String::from_utf8_lossy(&cli(&db, &["report", "retention", "--help"]).stdout).into_owned();
    assert!(help.contains("Never deletes anything"), "{help}");
    let refused = cli(&db, &["report", "retention", "--as-of", "next year"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("'next year' is not a date such as 2026-12-31"));

    // Nothing was deleted or changed, and the clinician still receives every entry.
    assert_eq!(h.storage.event_count().await.unwrap(), held_before);
    assert_eq!(h.storage.cases().await.unwrap().len(), 2);
    for e in &events {
        assert_eq!(ids(&h.storage.case_events(e.case_id).await.unwrap()), [e.id]);
    }
    let (pulled, _, removed) = h.pull_all(&h.login("lead.a").await, Cursor::default()).await;
    assert_eq!(ids(&pulled).len(), 2);
    assert!(removed.is_empty());

    // Each run is in the audit, from the OS user who ran it.
    let audit = h.storage.audit_since(chrono::DateTime::UNIX_EPOCH, 0, 1000).await.unwrap();
    let runs: Vec<&AuditEntry> = audit.iter().map(|r| &r.entry).filter(|e| e.action == "cli_report_retention").collect();
    assert_eq!(runs.len(), 3, "the three reports that ran (the refused date and --help did not)");
    assert_eq!(runs[0].username, "cli:it.tester");
    assert_eq!(runs[0].detail, format!("1 of 2 cases past their keep-until date on {later}; nothing deleted"));
}

macro_rules! retention_suite {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn records_past_their_retention_date_are_listed_and_never_deleted() {
                super::records_past_their_retention_date_are_listed_and_never_deleted($make).await
            }
        }
    };
}

retention_suite!(sqlite, Backend::Sqlite);
retention_suite!(postgres, Backend::Postgres);

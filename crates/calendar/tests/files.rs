//! Reading the files IT hands over: our own table format and gov.uk's list.

use casebook_calendar::{CalendarError, WorkingDays};
use chrono::NaiveDate;

fn d(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

/// The shape of https://www.gov.uk/bank-holidays.json, cut down to 2023 and a made-up 2027 that
/// announces an extra day and moves the early May holiday.
const GOV_UK: &str = r#"{
  "england-and-wales": {
    "division": "england-and-wales",
    "events": [
      {"title": "New Year’s Day", "date": "2023-01-02", "notes": "Substitute day", "bunting": true},
      {"title": "Good Friday", "date": "2023-04-07", "notes": "", "bunting": false},
      {"title": "Easter Monday", "date": "2023-04-10", "notes": "", "bunting": true},
      {"title": "Early May bank holiday", "date": "2023-05-01", "notes": "", "bunting": true},
      {"title": "Bank holiday for the coronation of King Charles III", "date": "2023-05-08", "notes": "", "bunting": true},
      {"title": "Spring bank holiday", "date": "2023-05-29", "notes": "", "bunting": true},
      {"title": "Summer bank holiday", "date": "2023-08-28", "notes": "", "bunting": true},
      {"title": "Christmas Day", "date": "2023-12-25", "notes": "", "bunting": true},
      {"title": "Boxing Day", "date": "2023-12-26", "notes": "", "bunting": true},
      {"title": "New Year’s Day", "date": "2027-01-01", "notes": "", "bunting": true},
      {"title": "Good Friday", "date": "2027-03-26", "notes": "", "bunting": false},
      {"title": "Easter Monday", "date": "2027-03-29", "notes": "", "bunting": true},
      {"title": "Early May bank holiday", "date": "2027-05-07", "notes": "", "bunting": true},
      {"title": "Spring bank holiday", "date": "2027-05-31", "notes": "", "bunting": true},
      {"title": "Extra bank holiday", "date": "2027-06-01", "notes": "", "bunting": true},
      {"title": "Summer bank holiday", "date": "2027-08-30", "notes": "", "bunting": true},
      {"title": "Christmas Day", "date": "2027-12-27", "notes": "Substitute day", "bunting": true},
      {"title": "Boxing Day", "date": "2027-12-28", "notes": "Substitute day", "bunting": true}
    ]
  },
  "scotland": {
    "division": "scotland",
    "events": [{"title": "2nd January", "date": "2023-01-03", "notes": "Substitute day", "bunting": true}]
  }
}"#;

#[test]
fn gov_uk_list_is_authoritative_for_the_years_it_covers() {
    let calendar = WorkingDays::from_gov_uk_json(GOV_UK).unwrap();
    let shipped = WorkingDays::england_and_wales();

    // gov.uk's "Substitute day" note reads the same as the rule's titles.

    assert_eq!(calendar.bank_holidays(2023), shipped.bank_holidays(2023));
    assert_eq!(
        calendar.is_bank_holiday(d(2023, 1, 2)),
        Some("New Year’s Day (substitute day)")
    );
    // Scotland's days are not England's.
    assert!(calendar.is_working_day(d(2023, 1, 3)));

    // 2027 is taken from the file: the moved and extra days are in, the rule's 3 May is not.
    assert!(calendar.is_working_day(d(2027, 5, 3)));
    assert_eq!(
        calendar.is_bank_holiday(d(2027, 5, 7)),
        Some("Early May bank holiday")
    );
    assert_eq!(
        calendar.is_bank_holiday(d(2027, 6, 1)),
        Some("Extra bank holiday")
    );
    assert_eq!(calendar.bank_holidays(2027).len(), 9);

    // Years the file does not mention keep the rule and the shipped table.
    for year in [2012, 2022, 2026, 2028] {
        assert_eq!(
            calendar.bank_holidays(year),
            shipped.bank_holidays(year),
            "{year}"
        );
    }
}

#[test]
fn a_trust_table_replaces_the_shipped_one() {
    let json = r#"{
      "note": "Our own copy",
      "removed": [{"date": "2026-05-04", "title": "Early May bank holiday (moved)"}],
      "added": [
        {"date": "2026-05-08", "title": "Early May bank holiday"},
        {"date": "2026-12-24", "title": "Christmas Eve closure"}
      ]
    }"#;
    let calendar = WorkingDays::with_changes_json(json).unwrap();
    assert!(calendar.is_working_day(d(2026, 5, 4)));
    assert!(!calendar.is_working_day(d(2026, 5, 8)));
    assert_eq!(
        calendar.is_bank_holiday(d(2026, 12, 24)),
        Some("Christmas Eve closure")
    );
    // Replaced, not merged: the shipped coronation day is not in this table.
    assert!(calendar.is_working_day(d(2023, 5, 8)));

    let empty = WorkingDays::with_changes_json("{}").unwrap();
    assert_eq!(empty.bank_holidays(2022).len(), 8);
}

#[test]
fn the_shipped_table_is_valid() {
    let shipped = include_str!("../one-off-days.json");
    assert!(WorkingDays::with_changes_json(shipped).is_ok());
}

fn changes_error(json: &str) -> CalendarError {
    WorkingDays::with_changes_json(json).unwrap_err()
}

#[test]
fn broken_json_says_where() {
    let error =
        changes_error("{\n  \"added\": [\n    {\"date\": \"2026-05-08\" \"title\": \"x\"}\n  ]\n}");
    let CalendarError::Json { line, .. } = error else {
        panic!("expected a JSON error, got {error:?}");
    };
    assert_eq!(line, 3);
    assert!(error
        .to_string()
        .starts_with("the bank holiday changes table could not be read at line 3, column"));
}

#[test]
fn a_bad_date_is_named_with_its_line() {
    let error = changes_error("{\"added\": [\n {\"date\": \"2026-02-30\", \"title\": \"x\"}]}");
    assert_eq!(
        error.to_string(),
        "the bank holiday changes table could not be read at line 2, column 22: \"2026-02-30\" is \
         not a date; write dates as YYYY-MM-DD, for example 2023-05-08"
    );
    let error = changes_error(r#"{"added": [{"date": "08/05/2026", "title": "x"}]}"#);
    assert!(
        error.to_string().contains("\"08/05/2026\" is not a date"),
        "{error}"
    );
}

#[test]
fn a_misspelt_field_is_refused() {
    let error = changes_error(r#"{"remove": [{"date": "2026-05-04", "title": "x"}]}"#);
    assert!(
        error.to_string().contains("unknown field `remove`"),
        "{error}"
    );
    let error = changes_error(r#"{"added": [{"date": "2026-05-08"}]}"#);
    assert!(
        error.to_string().contains("missing field `title`"),
        "{error}"
    );
}

#[test]
fn removing_a_day_that_is_not_a_holiday_is_refused() {
    let error = changes_error(r#"{"removed": [{"date": "2026-05-05", "title": "Early May"}]}"#);
    assert_eq!(
        error,
        CalendarError::NothingToRemove {
            file: "bank holiday changes table",
            date: d(2026, 5, 5),
            title: "Early May".into(),
        }
    );
    assert_eq!(
        error.to_string(),
        "the bank holiday changes table removes 2026-05-05 (\"Early May\"), but that is not a bank \
         holiday under the standing rule, so there is nothing to remove; check the date"
    );
}

#[test]
fn adding_a_day_that_is_already_a_holiday_is_refused() {
    let error = changes_error(r#"{"added": [{"date": "2026-12-25", "title": "Xmas"}]}"#);
    assert!(matches!(error, CalendarError::AlreadyAHoliday { .. }));
    assert!(error
        .to_string()
        .contains("already a bank holiday (\"Christmas Day\")"));
}

#[test]
fn other_mistakes_are_named() {
    let error = changes_error(r#"{"added": [{"date": "2150-01-05", "title": "x"}]}"#);
    assert_eq!(
        error.to_string(),
        "the bank holiday changes table has 2150-01-05, but only the years 1970 to 2100 are \
         covered; remove that entry"
    );
    let error = changes_error(
        r#"{"added": [{"date": "2026-06-01", "title": "x"}, {"date": "2026-06-01", "title": "y"}]}"#,
    );
    assert!(matches!(error, CalendarError::Duplicate { .. }));
    let error = changes_error(r#"{"added": [{"date": "2026-06-01", "title": " "}]}"#);
    assert!(matches!(error, CalendarError::EmptyTitle { .. }));
}

#[test]
fn a_gov_uk_file_without_england_and_wales_is_refused() {
    let error =
        WorkingDays::from_gov_uk_json(r#"{"scotland": {"division": "scotland", "events": []}}"#)
            .unwrap_err();
    assert_eq!(error, CalendarError::NoEnglandAndWales);
    assert!(error
        .to_string()
        .contains("https://www.gov.uk/bank-holidays.json"));

    let error = WorkingDays::from_gov_uk_json(
        r#"{"england-and-wales": {"division": "scotland", "events": []}}"#,
    )
    .unwrap_err();
    assert_eq!(
        error,
        CalendarError::WrongDivision {
            found: "scotland".into()
        }
    );

    let error =
        WorkingDays::from_gov_uk_json(r#"{"england-and-wales": {"events": []}}"#).unwrap_err();
    assert_eq!(error, CalendarError::NoEvents);

    let error = WorkingDays::from_gov_uk_json("<html>Service unavailable</html>").unwrap_err();
    assert!(error
        .to_string()
        .starts_with("the gov.uk bank holidays file could not be read at line 1, column 1:"));
}

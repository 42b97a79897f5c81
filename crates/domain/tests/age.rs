//! Ages, corrected ages and weeks of pregnancy: worked examples a clinician can check by hand.

use casebook_domain::{age, corrected_age, pregnancy_weeks, AgeError, AgeParts, CorrectedAge, Gestation};
use chrono::NaiveDate;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn label(dob: &str, today: &str) -> String {
    age(d(dob), d(today)).unwrap().label()
}

#[test]
fn young_babies_are_aged_in_weeks_and_days() {
    // 1 January to 21 February: 31 + 20 = 51 days = 7 weeks 2 days.
    assert_eq!(label("2025-01-01", "2025-02-21"), "7 weeks 2 days");
    assert_eq!(label("2025-01-01", "2025-01-01"), "0 days");
    assert_eq!(label("2025-01-01", "2025-01-02"), "1 day");
    assert_eq!(label("2025-01-01", "2025-01-08"), "1 week");
    assert_eq!(label("2025-01-01", "2025-01-16"), "2 weeks 1 day");
    // 90 days is still weeks and days (12 weeks 6 days); at 13 weeks the age switches to months.
    assert_eq!(label("2025-01-01", "2025-04-01"), "12 weeks 6 days");
    let at_13_weeks = age(d("2025-01-01"), d("2025-04-02")).unwrap();
    assert_eq!(at_13_weeks.days, 91);
    assert_eq!(at_13_weeks.shown, AgeParts::MonthsWeeks { months: 3, weeks: 0 });
    assert_eq!(at_13_weeks.label(), "3 months");
}

#[test]
fn under_two_years_ages_are_months_and_weeks() {
    // 10 January to 10 June is 5 months, and a week more to the 17th.
    assert_eq!(label("2025-01-10", "2025-06-17"), "5 months 1 week");
    assert_eq!(label("2025-01-10", "2025-06-16"), "5 months");
    assert_eq!(label("2025-01-10", "2025-07-09"), "5 months 4 weeks");
    assert_eq!(label("2024-06-10", "2025-06-09"), "11 months 4 weeks");
    assert_eq!(label("2024-06-10", "2025-06-10"), "12 months");
    assert_eq!(label("2024-06-10", "2025-06-24"), "12 months 2 weeks");
}

#[test]
fn from_two_years_ages_are_years_and_months() {
    assert_eq!(label("2023-03-05", "2025-06-20"), "2 years 3 months");
    assert_eq!(label("2023-03-05", "2025-03-05"), "2 years");
    assert_eq!(label("2023-03-05", "2025-03-04"), "23 months 3 weeks");
    assert_eq!(label("2022-03-05", "2025-04-05"), "3 years 1 month");
}

#[test]
fn leap_years_and_short_months() {
    // February 2024 has 29 days: 1 February to 1 March is 29 days.
    assert_eq!(label("2024-02-01", "2024-03-01"), "4 weeks 1 day");
    // A leap-day baby reaches a year on 28 February in an ordinary year.
    let a = age(d("2024-02-29"), d("2025-02-28")).unwrap();
    assert_eq!((a.days, a.months), (365, 12));
    assert_eq!(a.label(), "12 months");
    assert_eq!(label("2024-02-29", "2026-02-28"), "2 years");
    assert_eq!(label("2024-02-29", "2026-02-27"), "23 months 4 weeks");
    assert_eq!(label("2024-02-29", "2028-02-29"), "4 years");
    // Born on 31 January: a month old on 28 February (the end of the shorter month).
    assert_eq!(age(d("2025-01-31"), d("2025-02-28")).unwrap().months, 1);
    // Across a leap day: 1 February 2024 to 2 May 2024 is 91 days.
    assert_eq!(label("2024-02-01", "2024-05-02"), "3 months");
}

#[test]
fn a_date_of_birth_in_the_future_is_an_error_not_a_negative_age() {
    let err = age(d("2025-06-02"), d("2025-06-01")).unwrap_err();
    assert_eq!(err, AgeError::BornInFuture { dob: d("2025-06-02"), on: d("2025-06-01") });
    assert_eq!(err.to_string(), "the date of birth 2025-06-02 is after 2025-06-01; check the date of birth");
}

#[test]
fn a_baby_born_at_30_weeks_seen_at_12_weeks_is_2_weeks_corrected() {
    let dob = d("2025-01-06");
    let today = d("2025-03-31"); // 84 days later
    assert_eq!(age(dob, today).unwrap().label(), "12 weeks");
    let corrected = corrected_age(dob, Gestation::at_birth(30, 0).unwrap(), today).unwrap().unwrap();
    assert_eq!(corrected.label(), "2 weeks");
}

#[test]
fn before_the_due_date_the_corrected_age_says_how_long_to_go() {
    let dob = d("2025-01-06");
    let born_at_30 = Gestation::at_birth(30, 0).unwrap();
    // 8 weeks old, born 10 weeks early: 2 weeks to the due date.
    let c = corrected_age(dob, born_at_30, d("2025-03-03")).unwrap().unwrap();
    assert_eq!(c, CorrectedAge::BeforeDueDate { due_date: d("2025-03-17"), days_to_go: 14 });
    assert_eq!(c.label(), "due date not yet reached (2 weeks to go)");
    let c = corrected_age(dob, Gestation::at_birth(30, 2).unwrap(), d("2025-03-03")).unwrap().unwrap();
    assert_eq!(c.label(), "due date not yet reached (1 week 5 days to go)");
    // On the due date itself the corrected age is zero.
    assert_eq!(corrected_age(dob, born_at_30, d("2025-03-17")).unwrap().unwrap().label(), "0 days");
}

#[test]
fn corrected_age_runs_until_two_years_then_stops() {
    let born_at_28 = Gestation::at_birth(28, 0).unwrap();
    // 23 months old, 12 weeks early: the due date was 9 April 2023, so 20 months and 11 days.
    let c = corrected_age(d("2023-01-15"), born_at_28, d("2024-12-20")).unwrap().unwrap();
    assert_eq!(c.label(), "20 months 1 week");
    // 25 months old: no corrected age any more.
    assert_eq!(corrected_age(d("2023-01-15"), born_at_28, d("2025-02-20")).unwrap(), None);
    // Exactly 2 years: none either.
    assert_eq!(corrected_age(d("2023-01-15"), born_at_28, d("2025-01-15")).unwrap(), None);
}

#[test]
fn term_babies_have_no_corrected_age() {
    for (w, days) in [(37, 0), (39, 4), (40, 0), (42, 1)] {
        let g = Gestation::at_birth(w, days).unwrap();
        assert!(!g.is_preterm());
        assert_eq!(corrected_age(d("2025-01-06"), g, d("2025-03-31")).unwrap(), None);
    }
    // 36+6 is premature: 3 weeks 1 day early.
    let g = Gestation::at_birth(36, 6).unwrap();
    assert!(g.is_preterm());
    let c = corrected_age(d("2025-01-06"), g, d("2025-03-31")).unwrap().unwrap();
    assert_eq!(c.label(), "8 weeks 6 days");
}

#[test]
fn impossible_gestations_are_refused() {
    assert_eq!(Gestation::at_birth(30, 7), Err(AgeError::GestationDaysOutOfRange { days: 7 }));
    assert_eq!(Gestation::at_birth(19, 0), Err(AgeError::GestationWeeksOutOfRange { weeks: 19 }));
    assert_eq!(Gestation::at_birth(45, 0), Err(AgeError::GestationWeeksOutOfRange { weeks: 45 }));
    assert_eq!(
        Gestation::at_birth(30, 7).unwrap_err().to_string(),
        "the days part of a gestation is 0 to 6 (as in 32+4 weeks), not 7"
    );
    assert_eq!(Gestation::at_birth(32, 4).unwrap().label(), "32 weeks 4 days");
}

#[test]
fn weeks_of_pregnancy_count_back_from_the_due_date() {
    // 7 December 2025 to 1 March 2026: 24 + 31 + 28 + 1 = 84 days, so 40 − 12 = 28 weeks.
    let p = pregnancy_weeks(d("2026-03-01"), d("2025-12-07")).unwrap();
    assert_eq!(p.gestation, Gestation { weeks: 28, days: 0 });
    assert_eq!(p.days_to_due, 84);
    assert_eq!(p.label(), "28 weeks pregnant");
    assert_eq!(pregnancy_weeks(d("2026-03-01"), d("2025-12-10")).unwrap().label(), "28 weeks 3 days pregnant");
    // Across 29 February 2024: 1 February to 1 March is 29 days, so 280 − 29 = 251 days = 35+6.
    assert_eq!(pregnancy_weeks(d("2024-03-01"), d("2024-02-01")).unwrap().label(), "35 weeks 6 days pregnant");
    assert_eq!(pregnancy_weeks(d("2026-03-01"), d("2026-03-01")).unwrap().label(), "40 weeks pregnant");
    let overdue = pregnancy_weeks(d("2026-03-01"), d("2026-03-08")).unwrap();
    assert_eq!((overdue.label(), overdue.days_to_due), ("41 weeks pregnant".to_string(), -7));
}

#[test]
fn implausible_due_dates_are_refused() {
    let today = d("2025-12-07");
    assert!(pregnancy_weeks(today + chrono::Days::new(280), today).is_ok());
    assert_eq!(
        pregnancy_weeks(today + chrono::Days::new(281), today),
        Err(AgeError::DueDateTooFarAhead { due: d("2026-09-14"), on: today })
    );
    assert!(pregnancy_weeks(today - chrono::Days::new(28), today).is_ok());
    let err = pregnancy_weeks(today - chrono::Days::new(29), today).unwrap_err();
    assert!(err.to_string().contains("if the baby has been born, record the date of birth instead"), "{err}");
}

#[test]
fn ages_serialise_for_the_screen() {
    let a = age(d("2025-01-10"), d("2025-06-17")).unwrap();
    let json = serde_json::to_value(a).unwrap();
    assert_eq!(json["shown"], serde_json::json!({ "unit": "months_weeks", "months": 5, "weeks": 1 }));
    let c = corrected_age(d("2025-01-06"), Gestation::at_birth(30, 0).unwrap(), d("2025-03-03")).unwrap().unwrap();
    assert_eq!(serde_json::to_value(c).unwrap()["state"], "before_due_date");
}

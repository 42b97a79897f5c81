//! Ages, corrected ages and weeks of pregnancy: worked examples a clinician can check by hand.

use casebook_domain::{
    age, check_due_date, corrected_age, pregnancy_weeks, AgeError, AgeParts, CaseOpened, CorrectedAge, EventBody, Gestation,
    DUE_DATE_MOST_DAYS_AHEAD, DUE_DATE_MOST_DAYS_PASSED,
};
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
    assert_eq!(c.label(), "due date not yet reached, 2 weeks to go");
    let c = corrected_age(dob, Gestation::at_birth(30, 2).unwrap(), d("2025-03-03")).unwrap().unwrap();
    assert_eq!(c.label(), "due date not yet reached, 1 week 5 days to go");
    // Born at 23+0 (17 weeks early), seen at 4 weeks old: still 13 weeks to the due date.
    let c = corrected_age(dob, Gestation::at_birth(23, 0).unwrap(), d("2025-02-03")).unwrap().unwrap();
    assert_eq!(c, CorrectedAge::BeforeDueDate { due_date: d("2025-05-05"), days_to_go: 91 });
    // On the due date itself the corrected age is zero.
    assert_eq!(corrected_age(dob, born_at_30, d("2025-03-17")).unwrap().unwrap().label(), "0 days");
}

#[test]
fn born_before_32_weeks_corrected_age_runs_until_two_years_then_stops() {
    let born_at_28 = Gestation::at_birth(28, 0).unwrap();
    assert_eq!(born_at_28.correct_until_months(), Some(24));
    assert_eq!(born_at_28.correction_rule().as_deref(), Some("born at 28+0 weeks, so corrected until 2 years old"));
    // 18 months old (15 January 2023 to 15 July 2024), 12 weeks early: the due date was 9 April
    // 2023, so 15 months and 6 days.
    let c = corrected_age(d("2023-01-15"), born_at_28, d("2024-07-15")).unwrap().unwrap();
    assert_eq!(c.label(), "15 months");
    // 23 months old: the due date was 9 April 2023, so 20 months and 11 days.
    let c = corrected_age(d("2023-01-15"), born_at_28, d("2024-12-20")).unwrap().unwrap();
    assert_eq!(c.label(), "20 months 1 week");
    // The day before 2 years old: still corrected.
    assert!(corrected_age(d("2023-01-15"), born_at_28, d("2025-01-14")).unwrap().is_some());
    // Exactly 2 years (24 months): no corrected age any more.
    assert_eq!(corrected_age(d("2023-01-15"), born_at_28, d("2025-01-15")).unwrap(), None);
    assert_eq!(corrected_age(d("2023-01-15"), born_at_28, d("2025-02-20")).unwrap(), None);
}

#[test]
fn born_at_32_to_36_weeks_corrected_age_runs_until_one_year_then_stops() {
    let born_at_34 = Gestation::at_birth(34, 0).unwrap();
    assert_eq!(born_at_34.correct_until_months(), Some(12));
    assert_eq!(born_at_34.correction_rule().as_deref(), Some("born at 34+0 weeks, so corrected until 1 year old"));
    // 11 months old (10 June 2024 to 10 May 2025), 6 weeks early: the due date was 22 July 2024,
    // so 9 months and 18 days.
    let c = corrected_age(d("2024-06-10"), born_at_34, d("2025-05-10")).unwrap().unwrap();
    assert_eq!(c.label(), "9 months 2 weeks");
    // The day before the first birthday: still corrected.
    assert!(corrected_age(d("2024-06-10"), born_at_34, d("2025-06-09")).unwrap().is_some());
    // 12 months old: the chart is plotted by the calendar age from here.
    assert_eq!(corrected_age(d("2024-06-10"), born_at_34, d("2025-06-10")).unwrap(), None);
    assert_eq!(corrected_age(d("2024-06-10"), born_at_34, d("2025-12-10")).unwrap(), None);
}

#[test]
fn the_32_week_boundary_decides_one_year_or_two() {
    // 31+6 is before 32+0: corrected until two years. 32+0 is not: until one year.
    let born_31_6 = Gestation::at_birth(31, 6).unwrap();
    let born_32_0 = Gestation::at_birth(32, 0).unwrap();
    assert_eq!(born_31_6.correct_until_months(), Some(24));
    assert_eq!(born_32_0.correct_until_months(), Some(12));
    assert_eq!(born_31_6.correction_rule().as_deref(), Some("born at 31+6 weeks, so corrected until 2 years old"));
    // At 15 months old one is corrected and the other is not.
    let (dob, today) = (d("2024-01-10"), d("2025-04-10"));
    assert!(corrected_age(dob, born_31_6, today).unwrap().is_some());
    assert_eq!(corrected_age(dob, born_32_0, today).unwrap(), None);
    // 36+6 is still premature (until one year); 37+0 is term.
    assert_eq!(Gestation::at_birth(36, 6).unwrap().correct_until_months(), Some(12));
    assert_eq!(Gestation::at_birth(37, 0).unwrap().correct_until_months(), None);
    assert_eq!(Gestation::at_birth(37, 0).unwrap().correction_rule(), None);
}

#[test]
fn term_babies_have_no_corrected_age() {
    for (w, days) in [(37, 0), (39, 4), (40, 0), (42, 1)] {
        let g = Gestation::at_birth(w, days).unwrap();
        assert!(!g.is_preterm());
        // Never: not on the day of birth, not at 12 weeks.
        assert_eq!(corrected_age(d("2025-01-06"), g, d("2025-01-06")).unwrap(), None);
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

/// Opening a case with a due date `offset` days from `today`.
fn open_with_due_date(today: NaiveDate, offset: i64) -> (NaiveDate, Result<(), casebook_domain::ValidationError>) {
    let due = today + chrono::TimeDelta::days(offset);
    let body = EventBody::CaseOpened(CaseOpened { family_name: "Testfamily-Due".into(), parent: None, due_date: Some(due), infant: None, to_team_inbox: false });
    (due, body.validate(today))
}

#[test]
fn every_due_date_accepted_when_a_case_is_opened_is_one_the_header_can_describe() {
    // Every offset from well before to well after the accepted range, on ordinary days, a leap day
    // and the turn of a year.
    for today in ["2025-12-07", "2024-02-29", "2026-12-31", "2027-06-15"].map(d) {
        for offset in -400..=400 {
            let (due, opened) = open_with_due_date(today, offset);
            let described = pregnancy_weeks(due, today);
            match &opened {
                Ok(()) => {
                    let p = described.unwrap_or_else(|e| panic!("due {due} accepted on {today} but the header says: {e}"));
                    assert_eq!(i64::from(p.days_to_due), offset);
                    assert!(p.gestation.weeks <= 44, "due {due} on {today}: {}", p.label());
                }
                Err(e) => {
                    assert!(described.is_err(), "due {due} refused on {today} though the header could describe it");
                    let why = e.to_string();
                    assert!(why.starts_with("the due date ") && why.contains("; "), "not a sentence to act on: {why}");
                }
            }
            let in_range = (-i64::from(DUE_DATE_MOST_DAYS_PASSED)..=i64::from(DUE_DATE_MOST_DAYS_AHEAD)).contains(&offset);
            assert_eq!(opened.is_ok(), in_range, "due {due} on {today}");
            assert_eq!(check_due_date(due, today).is_ok(), in_range);
        }
    }
}

#[test]
fn a_due_date_refused_at_opening_says_why() {
    let today = d("2025-12-07");
    let (_, ahead) = open_with_due_date(today, 281);
    assert_eq!(ahead.unwrap_err().to_string(), "the due date 2026-09-14 is more than 40 weeks after 2025-12-07; check the due date");
    let (_, passed) = open_with_due_date(today, -29);
    assert_eq!(
        passed.unwrap_err().to_string(),
        "the due date 2025-11-08 was more than 4 weeks before 2025-12-07; if the baby has been born, record the date of birth instead"
    );
    // The edges themselves are accepted: 0+0 weeks and 44+0 weeks.
    assert_eq!(pregnancy_weeks(today + chrono::Days::new(280), today).unwrap().gestation, Gestation { weeks: 0, days: 0 });
    assert!(open_with_due_date(today, 280).1.is_ok());
    assert_eq!(pregnancy_weeks(today - chrono::Days::new(28), today).unwrap().gestation, Gestation { weeks: 44, days: 0 });
    assert!(open_with_due_date(today, -28).1.is_ok());
}

#[test]
fn ages_serialise_for_the_screen() {
    let a = age(d("2025-01-10"), d("2025-06-17")).unwrap();
    let json = serde_json::to_value(a).unwrap();
    assert_eq!(json["shown"], serde_json::json!({ "unit": "months_weeks", "months": 5, "weeks": 1 }));
    let c = corrected_age(d("2025-01-06"), Gestation::at_birth(30, 0).unwrap(), d("2025-03-03")).unwrap().unwrap();
    assert_eq!(serde_json::to_value(c).unwrap()["state"], "before_due_date");
}

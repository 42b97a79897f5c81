use casebook_calendar::WorkingDays;
use chrono::{Datelike, Days, NaiveDate, Weekday};
use proptest::prelude::*;

fn d(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

fn dates(calendar: &WorkingDays, year: i32, month: u32) -> Vec<u32> {
    calendar
        .bank_holidays(year)
        .into_iter()
        .filter(|h| h.date.month() == month)
        .map(|h| h.date.day())
        .collect()
}

#[test]
fn christmas_and_boxing_day_move_off_the_weekend() {
    let calendar = WorkingDays::england_and_wales();
    // 25 December on a Friday: Boxing Day moves to Monday 28.
    assert_eq!(d(2020, 12, 25).weekday(), Weekday::Fri);
    assert_eq!(dates(&calendar, 2020, 12), [25, 28]);
    // On a Saturday: Monday 27 for Christmas, Tuesday 28 for Boxing Day.
    assert_eq!(d(2021, 12, 25).weekday(), Weekday::Sat);
    assert_eq!(dates(&calendar, 2021, 12), [27, 28]);
    assert_eq!(
        calendar.is_bank_holiday(d(2021, 12, 27)),
        Some("Christmas Day (substitute day)")
    );
    assert_eq!(
        calendar.is_bank_holiday(d(2021, 12, 28)),
        Some("Boxing Day (substitute day)")
    );
    // On a Sunday: Boxing Day keeps Monday 26, Christmas moves to Tuesday 27.
    assert_eq!(d(2022, 12, 25).weekday(), Weekday::Sun);
    assert_eq!(dates(&calendar, 2022, 12), [26, 27]);
    assert_eq!(
        calendar.is_bank_holiday(d(2022, 12, 26)),
        Some("Boxing Day")
    );
    assert_eq!(
        calendar.is_bank_holiday(d(2022, 12, 27)),
        Some("Christmas Day (substitute day)")
    );
    // On a Thursday: no substitutes.
    assert_eq!(dates(&calendar, 2025, 12), [25, 26]);
}

#[test]
fn new_years_day_moves_to_the_following_monday() {
    let calendar = WorkingDays::england_and_wales();
    assert_eq!(d(2022, 1, 1).weekday(), Weekday::Sat);
    assert_eq!(dates(&calendar, 2022, 1), [3]);
    assert_eq!(d(2023, 1, 1).weekday(), Weekday::Sun);
    assert_eq!(dates(&calendar, 2023, 1), [2]);
    assert_eq!(
        calendar.is_bank_holiday(d(2023, 1, 2)),
        Some("New Year’s Day (substitute day)")
    );
    assert!(calendar.is_bank_holiday(d(2023, 1, 1)).is_none());
}

#[test]
fn a_deadline_across_easter_skips_good_friday_and_easter_monday() {
    let calendar = WorkingDays::england_and_wales();
    // Thu 2 Apr 2026; Fri 3 and Mon 6 are Good Friday and Easter Monday.
    let from = d(2026, 4, 2);
    assert_eq!(calendar.add_working_days(from, 1), d(2026, 4, 7));
    assert_eq!(calendar.add_working_days(from, 5), d(2026, 4, 13));
    assert_eq!(calendar.working_days_between(from, d(2026, 4, 13)), 5);
}

#[test]
fn a_deadline_across_christmas_and_new_year() {
    let calendar = WorkingDays::england_and_wales();
    // Wed 23 Dec 2026: Thu 24 works; Fri 25, Sat, Sun, Mon 28 (Boxing Day substitute) do not;
    // Tue 29 to Thu 31 work; Fri 1 Jan 2027 is New Year's Day.
    let from = d(2026, 12, 23);
    assert_eq!(calendar.add_working_days(from, 1), d(2026, 12, 24));
    assert_eq!(calendar.add_working_days(from, 2), d(2026, 12, 29));
    assert_eq!(calendar.add_working_days(from, 4), d(2026, 12, 31));
    assert_eq!(calendar.add_working_days(from, 5), d(2027, 1, 4));
    assert_eq!(calendar.add_working_days(from, 10), d(2027, 1, 11));
    // Christmas 2027 is a Saturday, so Mon 27 and Tue 28 are off; New Year 2028 is a Saturday,
    // so Mon 3 Jan is off.
    assert_eq!(
        calendar.add_working_days(d(2027, 12, 24), 1),
        d(2027, 12, 29)
    );
    assert_eq!(calendar.add_working_days(d(2027, 12, 29), 3), d(2028, 1, 4));
}

#[test]
fn zero_days_is_the_day_itself_or_the_next_working_day() {
    let calendar = WorkingDays::england_and_wales();
    assert_eq!(calendar.add_working_days(d(2026, 4, 2), 0), d(2026, 4, 2));
    // Good Friday 2026 -> Tuesday after Easter Monday.
    assert_eq!(calendar.add_working_days(d(2026, 4, 3), 0), d(2026, 4, 7));
    // A Saturday -> Monday.
    assert_eq!(calendar.add_working_days(d(2026, 3, 7), 0), d(2026, 3, 9));
}

#[test]
fn counting_between_dates() {
    let calendar = WorkingDays::england_and_wales();
    let from = d(2026, 12, 23);
    assert_eq!(calendar.working_days_between(from, from), 0);
    assert_eq!(calendar.working_days_between(from, d(2027, 1, 4)), 5);
    assert_eq!(calendar.working_days_between(d(2027, 1, 4), from), -5);
    // A whole weekend of holidays adds nothing.
    assert_eq!(
        calendar.working_days_between(d(2026, 12, 24), d(2026, 12, 28)),
        0
    );
    // 2023 had 365 days, 105 weekend days and 9 bank holidays.
    assert_eq!(
        calendar.working_days_between(d(2022, 12, 31), d(2023, 12, 31)),
        365 - 105 - 9
    );
}

#[test]
fn years_outside_the_table_still_get_the_rule() {
    let calendar = WorkingDays::england_and_wales();
    let days: Vec<NaiveDate> = calendar
        .bank_holidays(2101)
        .into_iter()
        .map(|h| h.date)
        .collect();
    assert_eq!(days.len(), 8);
    assert_eq!(
        calendar.is_bank_holiday(d(2101, 12, 26)),
        Some("Boxing Day")
    );
    assert!(!calendar.is_working_day(d(2101, 12, 26)));
    // Counting from the end of the covered years into the next works without a gap.
    // Thu 30 Dec 2100, Fri 31 works; 1 Jan 2101 is a Saturday, so Mon 3 Jan is off.
    assert_eq!(calendar.add_working_days(d(2100, 12, 30), 2), d(2101, 1, 4));
}

fn any_date() -> impl Strategy<Value = NaiveDate> {
    (0u64..(131 * 365)).prop_map(|n| d(1970, 1, 1) + Days::new(n))
}

proptest! {
    #[test]
    fn adding_lands_on_a_working_day_and_counting_undoes_it(from in any_date(), n in 1u32..400) {
        let calendar = WorkingDays::england_and_wales();
        let due = calendar.add_working_days(from, n);
        prop_assert!(calendar.is_working_day(due));
        prop_assert_eq!(calendar.working_days_between(from, due), i64::from(n));
        prop_assert_eq!(calendar.working_days_between(due, from), -i64::from(n));
    }

    #[test]
    fn zero_days_lands_on_the_first_working_day_from_the_start(from in any_date()) {
        let calendar = WorkingDays::england_and_wales();
        let due = calendar.add_working_days(from, 0);
        prop_assert!(calendar.is_working_day(due));
        let expected = if calendar.is_working_day(from) { 0 } else { 1 };
        prop_assert_eq!(calendar.working_days_between(from, due), expected);
    }
}

//! The England and Wales bank holidays as published on gov.uk, written out by hand, for the years
//! staff are most likely to count deadlines in. 2026 onwards is what the rule gives, checked
//! against an independent Easter calculation.

use casebook_calendar::WorkingDays;
use chrono::NaiveDate;

fn d(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

#[rustfmt::skip]
const PUBLISHED: &[(i32, &[(u32, u32)])] = &[
    (2018, &[(1, 1), (3, 30), (4, 2), (5, 7), (5, 28), (8, 27), (12, 25), (12, 26)]),
    (2019, &[(1, 1), (4, 19), (4, 22), (5, 6), (5, 27), (8, 26), (12, 25), (12, 26)]),
    (2020, &[(1, 1), (4, 10), (4, 13), (5, 8), (5, 25), (8, 31), (12, 25), (12, 28)]),
    (2021, &[(1, 1), (4, 2), (4, 5), (5, 3), (5, 31), (8, 30), (12, 27), (12, 28)]),
    (2022, &[(1, 3), (4, 15), (4, 18), (5, 2), (6, 2), (6, 3), (8, 29), (9, 19), (12, 26), (12, 27)]),
    (2023, &[(1, 2), (4, 7), (4, 10), (5, 1), (5, 8), (5, 29), (8, 28), (12, 25), (12, 26)]),
    (2024, &[(1, 1), (3, 29), (4, 1), (5, 6), (5, 27), (8, 26), (12, 25), (12, 26)]),
    (2025, &[(1, 1), (4, 18), (4, 21), (5, 5), (5, 26), (8, 25), (12, 25), (12, 26)]),
    (2026, &[(1, 1), (4, 3), (4, 6), (5, 4), (5, 25), (8, 31), (12, 25), (12, 28)]),
    (2027, &[(1, 1), (3, 26), (3, 29), (5, 3), (5, 31), (8, 30), (12, 27), (12, 28)]),
    (2028, &[(1, 3), (4, 14), (4, 17), (5, 1), (5, 29), (8, 28), (12, 25), (12, 26)]),
    (2029, &[(1, 1), (3, 30), (4, 2), (5, 7), (5, 28), (8, 27), (12, 25), (12, 26)]),
    (2030, &[(1, 1), (4, 19), (4, 22), (5, 6), (5, 27), (8, 26), (12, 25), (12, 26)]),
];

#[test]
fn every_year_2018_to_2030_matches_the_published_list() {
    let calendar = WorkingDays::england_and_wales();
    for &(year, days) in PUBLISHED {
        let expected: Vec<NaiveDate> = days.iter().map(|&(m, day)| d(year, m, day)).collect();
        let actual: Vec<NaiveDate> = calendar
            .bank_holidays(year)
            .into_iter()
            .map(|h| h.date)
            .collect();
        assert_eq!(actual, expected, "bank holidays in {year}");
        for date in expected {
            assert!(calendar.is_bank_holiday(date).is_some(), "{date}");
            assert!(!calendar.is_working_day(date), "{date}");
        }
    }
}

#[test]
fn one_off_days_carry_their_own_titles() {
    let calendar = WorkingDays::england_and_wales();
    let title = |y, m, day| calendar.is_bank_holiday(d(y, m, day));
    assert_eq!(title(2020, 5, 8), Some("Early May bank holiday (VE day)"));
    assert_eq!(title(2022, 6, 3), Some("Platinum Jubilee bank holiday"));
    assert_eq!(
        title(2022, 9, 19),
        Some("Bank Holiday for the State Funeral of Queen Elizabeth II")
    );
    assert_eq!(
        title(2023, 5, 8),
        Some("Bank holiday for the coronation of King Charles III")
    );
    assert_eq!(title(2022, 12, 27), Some("Christmas Day (substitute day)"));
    assert_eq!(title(2026, 12, 28), Some("Boxing Day (substitute day)"));
}

#[test]
fn earlier_one_off_days_are_in_the_shipped_table() {
    let calendar = WorkingDays::england_and_wales();
    let dates = |year| -> Vec<NaiveDate> {
        calendar
            .bank_holidays(year)
            .into_iter()
            .map(|h| h.date)
            .collect()
    };
    // Moved holidays: the rule's day is gone and the new day is there.
    for (gone, moved_to) in [
        (d(1977, 5, 30), d(1977, 6, 6)),
        (d(1995, 5, 1), d(1995, 5, 8)),
        (d(2002, 5, 27), d(2002, 6, 4)),
        (d(2012, 5, 28), d(2012, 6, 4)),
        (d(2020, 5, 4), d(2020, 5, 8)),
        (d(2022, 5, 30), d(2022, 6, 2)),
    ] {
        assert!(
            calendar.is_working_day(gone),
            "{gone} should be a working day"
        );
        assert!(calendar.is_bank_holiday(moved_to).is_some(), "{moved_to}");
    }
    // Extra days.
    for extra in [
        d(1973, 11, 14),
        d(1977, 6, 7),
        d(1981, 7, 29),
        d(1999, 12, 31),
        d(2002, 6, 3),
        d(2011, 4, 29),
        d(2012, 6, 5),
    ] {
        assert!(calendar.is_bank_holiday(extra).is_some(), "{extra}");
    }
    assert_eq!(
        dates(1999),
        [
            (1, 1),
            (4, 2),
            (4, 5),
            (5, 3),
            (5, 31),
            (8, 30),
            (12, 27),
            (12, 28),
            (12, 31)
        ]
        .map(|(m, day)| d(1999, m, day))
    );
    assert_eq!(
        dates(2012),
        [
            (1, 2),
            (4, 6),
            (4, 9),
            (5, 7),
            (6, 4),
            (6, 5),
            (8, 27),
            (12, 25),
            (12, 26)
        ]
        .map(|(m, day)| d(2012, m, day))
    );
    assert_eq!(
        dates(2011),
        [
            (1, 3),
            (4, 22),
            (4, 25),
            (4, 29),
            (5, 2),
            (5, 30),
            (8, 29),
            (12, 26),
            (12, 27)
        ]
        .map(|(m, day)| d(2011, m, day))
    );
}

#[test]
fn before_1974_there_was_no_new_year_holiday_and_before_1978_no_early_may() {
    let calendar = WorkingDays::england_and_wales();
    assert!(calendar.is_working_day(d(1973, 1, 1)));
    assert!(calendar.is_bank_holiday(d(1974, 1, 1)).is_some());
    assert!(calendar.is_working_day(d(1977, 5, 2)));
    assert!(calendar.is_bank_holiday(d(1978, 5, 1)).is_some());
}

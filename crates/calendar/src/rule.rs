//! The standing rule: the bank holidays England and Wales get every year without anyone having to
//! announce them. One-off days (jubilees, royal weddings, moved holidays) are not here; they live
//! in the table, because no rule predicts them.

use chrono::{Datelike, Days, NaiveDate, Weekday};

const NEW_YEAR: &str = "New Year’s Day";
const NEW_YEAR_SUBSTITUTE: &str = "New Year’s Day (substitute day)";
const CHRISTMAS: &str = "Christmas Day";
const CHRISTMAS_SUBSTITUTE: &str = "Christmas Day (substitute day)";
const BOXING: &str = "Boxing Day";
const BOXING_SUBSTITUTE: &str = "Boxing Day (substitute day)";

/// The rule's bank holidays in `year`, in date order.
///
/// New Year's Day only became a bank holiday in England and Wales in 1974, and the early May
/// holiday in 1978, so earlier years go without them. The rule is otherwise applied as it stands
/// today to every year asked about.
pub(crate) fn standing_rule(year: i32) -> Vec<(NaiveDate, &'static str)> {
    let day = |month, day| date(year, month, day);
    let mut days = Vec::with_capacity(8);

    if year >= 1974 {
        days.push(match day(1, 1).weekday() {
            Weekday::Sat => (day(1, 3), NEW_YEAR_SUBSTITUTE),
            Weekday::Sun => (day(1, 2), NEW_YEAR_SUBSTITUTE),
            _ => (day(1, 1), NEW_YEAR),
        });
    }

    let easter = easter_sunday(year);
    days.push((easter - Days::new(2), "Good Friday"));
    days.push((easter + Days::new(1), "Easter Monday"));

    if year >= 1978 {
        let first_monday = NaiveDate::from_weekday_of_month_opt(year, 5, Weekday::Mon, 1)
            .expect("every May has a first Monday");
        days.push((first_monday, "Early May bank holiday"));
    }
    days.push((last_monday(year, 5), "Spring bank holiday"));
    days.push((last_monday(year, 8), "Summer bank holiday"));

    // Both days are kept whatever the weekend does to them: each one that falls on a weekend moves
    // to the next weekday not already taken, Christmas first.
    let [christmas, boxing] = match day(12, 25).weekday() {
        Weekday::Fri => [(25, CHRISTMAS), (28, BOXING_SUBSTITUTE)],
        Weekday::Sat => [(27, CHRISTMAS_SUBSTITUTE), (28, BOXING_SUBSTITUTE)],
        Weekday::Sun => [(26, BOXING), (27, CHRISTMAS_SUBSTITUTE)],
        _ => [(25, CHRISTMAS), (26, BOXING)],
    };
    days.push((day(12, christmas.0), christmas.1));
    days.push((day(12, boxing.0), boxing.1));

    days
}

/// Easter Sunday in the Gregorian calendar, by the anonymous algorithm (Meeus/Jones/Butcher),
/// which needs no tables and is exact for every Gregorian year.
pub(crate) fn easter_sunday(year: i32) -> NaiveDate {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    date(year, month as u32, day as u32)
}

fn last_monday(year: i32, month: u32) -> NaiveDate {
    let last = date(year, month, 31);
    last - Days::new(u64::from(last.weekday().num_days_from_monday()))
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day)
        .unwrap_or_else(|| panic!("{year}-{month}-{day} is outside the dates chrono can hold"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checked against published Easter tables, including the earliest (22 March) and latest
    /// (25 April) possible dates.
    #[test]
    fn easter_sunday_matches_published_dates() {
        let known = [
            (1970, 3, 29),
            (1974, 4, 14),
            (1981, 4, 19),
            (1995, 4, 16),
            (2000, 4, 23),
            (2008, 3, 23),
            (2011, 4, 24),
            (2018, 4, 1),
            (2019, 4, 21),
            (2020, 4, 12),
            (2021, 4, 4),
            (2022, 4, 17),
            (2023, 4, 9),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2028, 4, 16),
            (2029, 4, 1),
            (2030, 4, 21),
            (2038, 4, 25),
            (2049, 4, 18),
            (2100, 3, 28),
            (2285, 3, 22),
        ];
        for (year, month, day) in known {
            assert_eq!(easter_sunday(year), date(year, month, day), "Easter {year}");
        }
    }

    #[test]
    fn new_year_and_early_may_only_from_the_years_they_began() {
        let titles = |year| {
            standing_rule(year)
                .into_iter()
                .map(|(_, t)| t)
                .collect::<Vec<_>>()
        };
        assert!(!titles(1973).contains(&NEW_YEAR));
        assert!(titles(1974).contains(&NEW_YEAR));
        assert!(!titles(1977).contains(&"Early May bank holiday"));
        assert!(titles(1978).contains(&"Early May bank holiday"));
    }
}

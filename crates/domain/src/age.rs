//! Ages of infants and stages of pregnancy, worked out from dates.
//!
//! A baby's age is stored nowhere: it is always computed from the date of birth and a date passed
//! in ("today", or the date a referral was received), so it is never stale and the same record
//! gives the same answer on every laptop. Small babies are described the way clinicians and
//! parents talk about them: in weeks and days at first, then months and weeks, then years and
//! months.
//!
//! Months are calendar months: a baby born on 15 March is one month old on 15 April. A baby born
//! on the 31st (or on 29 February) reaches a month (or a year) on the last day of a shorter month.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use ts_rs::TS;

/// Up to this many days old (13 weeks), an age is given in weeks and days.
pub const WEEKS_AND_DAYS_UNTIL: u32 = 13 * 7;
/// A full-term pregnancy, from the first day of the last period to the due date: 40 weeks.
pub const TERM_DAYS: u32 = 40 * 7;
/// Born before 37 completed weeks is premature.
pub const PRETERM_BEFORE_WEEKS: u32 = 37;
/// Born before 32 completed weeks is very premature, and corrected for longer.
pub const VERY_PRETERM_BEFORE_WEEKS: u32 = 32;
/// A baby born at 32+0 to 36+6 weeks is corrected until a year old by the calendar; one born before
/// 32+0 until two years old. This is the RCPCH UK-WHO growth chart rule that health visitors plot
/// by, so the age in the header matches the one in the red book.
pub const CORRECT_UNTIL_MONTHS_BORN_32_TO_36_WEEKS: u32 = 12;
/// See [`CORRECT_UNTIL_MONTHS_BORN_32_TO_36_WEEKS`].
pub const CORRECT_UNTIL_MONTHS_BORN_BEFORE_32_WEEKS: u32 = 24;
/// The furthest ahead a due date can be: a whole pregnancy, 40 weeks. Any further would be a
/// pregnancy that has not begun (less than 0+0 weeks), so it is a typing mistake.
pub const DUE_DATE_MOST_DAYS_AHEAD: u32 = TERM_DAYS;
/// The longest a due date can have passed while the parent is still described as pregnant: 4 weeks,
/// which is 44+0 weeks. Babies are rarely born after 42 weeks (induction is offered before then),
/// but a referral is often typed in days after the letter was written, and the team may not yet
/// know the baby has arrived; 4 weeks leaves time to find out, and matches the latest gestation at
/// birth Casebook accepts (44+6). Beyond that the record should carry the baby's date of birth.
pub const DUE_DATE_MOST_DAYS_PASSED: u32 = 4 * 7;

/// Why an age or a stage of pregnancy cannot be worked out. Each message says what to check.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AgeError {
    #[error("the date of birth {dob} is after {on}; check the date of birth")]
    BornInFuture { dob: NaiveDate, on: NaiveDate },
    #[error("a gestation at birth of {weeks} weeks is not possible; give the completed weeks, between 20 and 44")]
    GestationWeeksOutOfRange { weeks: u32 },
    #[error("the days part of a gestation is 0 to 6 (as in 32+4 weeks), not {days}")]
    GestationDaysOutOfRange { days: u32 },
    #[error("the due date {due} is more than 40 weeks after {on}; check the due date")]
    DueDateTooFarAhead { due: NaiveDate, on: NaiveDate },
    #[error("the due date {due} was more than 4 weeks before {on}; if the baby has been born, record the date of birth instead")]
    DueDateLongPassed { due: NaiveDate, on: NaiveDate },
}

/// How old a child is on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Age {
    /// Whole days since birth (0 on the day of birth).
    pub days: u32,
    /// Completed calendar months since birth, which age limits are counted in.
    pub months: u32,
    /// The parts to show, chosen by how old the child is.
    pub shown: AgeParts,
}

/// The two units an age is shown in; which pair depends on how old the child is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "unit", rename_all = "snake_case")]
#[ts(export)]
pub enum AgeParts {
    /// Under 13 weeks: "7 weeks 2 days".
    WeeksDays { weeks: u32, days: u32 },
    /// Under 2 years: "5 months 1 week".
    MonthsWeeks { months: u32, weeks: u32 },
    /// 2 years and over: "2 years 3 months".
    YearsMonths { years: u32, months: u32 },
}

fn count(n: u32, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// "7 weeks 2 days", "7 weeks", "2 days"; a zero second part is left out, a zero first part too
/// unless both are zero.
fn pair(a: u32, a_one: &str, a_many: &str, b: u32, b_one: &str, b_many: &str) -> String {
    match (a, b) {
        (0, 0) => count(0, b_one, b_many),
        (0, b) => count(b, b_one, b_many),
        (a, 0) => count(a, a_one, a_many),
        (a, b) => format!("{} {}", count(a, a_one, a_many), count(b, b_one, b_many)),
    }
}

impl AgeParts {
    pub fn label(&self) -> String {
        match *self {
            AgeParts::WeeksDays { weeks, days } => pair(weeks, "week", "weeks", days, "day", "days"),
            AgeParts::MonthsWeeks { months, weeks } => pair(months, "month", "months", weeks, "week", "weeks"),
            AgeParts::YearsMonths { years, months } => pair(years, "year", "years", months, "month", "months"),
        }
    }
}

impl Age {
    /// "7 weeks 2 days", "5 months 1 week", "2 years 3 months".
    pub fn label(&self) -> String {
        self.shown.label()
    }
}

/// `from` plus `n` calendar months, ending on the last day of a shorter month when needed.
pub(crate) fn add_months(from: NaiveDate, n: u32) -> NaiveDate {
    from.checked_add_months(Months::new(n)).expect("dates of birth are far from the end of the calendar")
}

/// Completed calendar months from `from` to `to` (`to` not before `from`).
pub(crate) fn months_between(from: NaiveDate, to: NaiveDate) -> u32 {
    let rough = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32;
    let mut months = rough.max(0) as u32;
    while months > 0 && add_months(from, months) > to {
        months -= 1;
    }
    months
}

/// A child's age on `today`, from their date of birth. A date of birth after `today` is an error,
/// not a negative age: it is almost always a typing mistake.
pub fn age(dob: NaiveDate, today: NaiveDate) -> Result<Age, AgeError> {
    if dob > today {
        return Err(AgeError::BornInFuture { dob, on: today });
    }
    let days = (today - dob).num_days() as u32;
    let months = months_between(dob, today);
    let shown = if days < WEEKS_AND_DAYS_UNTIL {
        AgeParts::WeeksDays { weeks: days / 7, days: days % 7 }
    } else if months < 24 {
        let since_month = (today - add_months(dob, months)).num_days() as u32;
        AgeParts::MonthsWeeks { months, weeks: since_month / 7 }
    } else {
        AgeParts::YearsMonths { years: months / 12, months: months % 12 }
    };
    Ok(Age { days, months, shown })
}

/// How far into pregnancy a baby was born (or a parent is), in completed weeks plus days, as
/// clinicians write it: 32+4 is 32 weeks and 4 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Gestation {
    pub weeks: u32,
    /// 0 to 6.
    pub days: u32,
}

impl Gestation {
    /// A gestation at birth, checked to be one a baby can be born at (20+0 to 44+6 weeks).
    pub fn at_birth(weeks: u32, days: u32) -> Result<Gestation, AgeError> {
        if days > 6 {
            return Err(AgeError::GestationDaysOutOfRange { days });
        }
        if !(20..=44).contains(&weeks) {
            return Err(AgeError::GestationWeeksOutOfRange { weeks });
        }
        Ok(Gestation { weeks, days })
    }

    pub fn total_days(&self) -> u32 {
        self.weeks * 7 + self.days
    }

    /// Born before 37+0 weeks.
    pub fn is_preterm(&self) -> bool {
        self.weeks < PRETERM_BEFORE_WEEKS
    }

    /// "32 weeks 4 days", "28 weeks".
    pub fn label(&self) -> String {
        pair(self.weeks, "week", "weeks", self.days, "day", "days")
    }

    /// "32+4 weeks", "28+0 weeks": the way it is written in notes and the red book.
    pub fn short_label(&self) -> String {
        format!("{}+{} weeks", self.weeks, self.days)
    }

    /// Until how many months old (by the calendar) a baby born at this gestation has a corrected
    /// age; `None` for a baby born at term. See [`CORRECT_UNTIL_MONTHS_BORN_32_TO_36_WEEKS`].
    pub fn correct_until_months(&self) -> Option<u32> {
        if !self.is_preterm() {
            None
        } else if self.weeks < VERY_PRETERM_BEFORE_WEEKS {
            Some(CORRECT_UNTIL_MONTHS_BORN_BEFORE_32_WEEKS)
        } else {
            Some(CORRECT_UNTIL_MONTHS_BORN_32_TO_36_WEEKS)
        }
    }

    /// Which correction rule applies, said so a health visitor can check it: "born at 34+2 weeks,
    /// so corrected until 1 year old"; `None` for a baby born at term.
    pub fn correction_rule(&self) -> Option<String> {
        let until = self.correct_until_months()?;
        let years = count(until / 12, "year", "years");
        Some(format!("born at {}, so corrected until {years} old", self.short_label()))
    }
}

/// A premature baby's age counted from their due date rather than their birth, which is what
/// their development is judged against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
#[ts(export)]
pub enum CorrectedAge {
    /// The due date has passed: the age counted from it.
    Corrected { age: Age },
    /// The baby was born so early that the due date is still to come; a corrected age would be
    /// negative, so this says how long until the due date instead.
    BeforeDueDate { due_date: NaiveDate, days_to_go: u32 },
}

impl CorrectedAge {
    /// "2 weeks", or "due date not yet reached, 3 weeks 2 days to go".
    pub fn label(&self) -> String {
        match self {
            CorrectedAge::Corrected { age } => age.label(),
            CorrectedAge::BeforeDueDate { days_to_go, .. } => format!(
                "due date not yet reached, {} to go",
                pair(days_to_go / 7, "week", "weeks", days_to_go % 7, "day", "days")
            ),
        }
    }
}

/// The corrected age of a baby born at `gestation`, on `today`: chronological age minus the weeks
/// they were born early (40 weeks − gestation). `None` when there is nothing to correct: the baby
/// was born at term (37+0 weeks or later); or was born at 32+0 to 36+6 weeks and is a year old or
/// more by the calendar; or was born before 32+0 weeks and is two years old or more. Until the due
/// date is reached the answer is [`CorrectedAge::BeforeDueDate`], not a negative age.
pub fn corrected_age(dob: NaiveDate, gestation: Gestation, today: NaiveDate) -> Result<Option<CorrectedAge>, AgeError> {
    let chronological = age(dob, today)?;
    match gestation.correct_until_months() {
        Some(until) if chronological.months < until => {}
        _ => return Ok(None),
    }
    let due_date = dob + chrono::Days::new(u64::from(TERM_DAYS - gestation.total_days()));
    if today < due_date {
        let days_to_go = (due_date - today).num_days() as u32;
        return Ok(Some(CorrectedAge::BeforeDueDate { due_date, days_to_go }));
    }
    Ok(Some(CorrectedAge::Corrected { age: age(due_date, today)? }))
}

/// How far into pregnancy a parent is on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Pregnancy {
    pub gestation: Gestation,
    /// Days until the due date; negative once it has passed.
    pub days_to_due: i32,
}

impl Pregnancy {
    /// "28 weeks pregnant", "28 weeks 3 days pregnant".
    pub fn label(&self) -> String {
        format!("{} pregnant", self.gestation.label())
    }
}

/// Whether a parent with this estimated due date can be described as pregnant on `today`: the due
/// date is at most [`DUE_DATE_MOST_DAYS_AHEAD`] ahead and has passed by at most
/// [`DUE_DATE_MOST_DAYS_PASSED`]. Opening a case checks this, and so does the case header, so a
/// due date that is accepted is always one the header can describe on the day it is entered.
pub fn check_due_date(due_date: NaiveDate, today: NaiveDate) -> Result<(), AgeError> {
    let days_to_due = (due_date - today).num_days();
    if days_to_due > i64::from(DUE_DATE_MOST_DAYS_AHEAD) {
        return Err(AgeError::DueDateTooFarAhead { due: due_date, on: today });
    }
    if days_to_due < -i64::from(DUE_DATE_MOST_DAYS_PASSED) {
        return Err(AgeError::DueDateLongPassed { due: due_date, on: today });
    }
    Ok(())
}

/// Gestation on `today` for a parent whose estimated due date is `due_date`: 40 weeks minus the
/// time left to the due date. A due date [`check_due_date`] refuses is refused here too: past that
/// the baby has almost certainly been born, and the record should say so.
pub fn pregnancy_weeks(due_date: NaiveDate, today: NaiveDate) -> Result<Pregnancy, AgeError> {
    check_due_date(due_date, today)?;
    let days_to_due = (due_date - today).num_days();
    let gestation_days = (i64::from(TERM_DAYS) - days_to_due) as u32;
    Ok(Pregnancy {
        gestation: Gestation { weeks: gestation_days / 7, days: gestation_days % 7 },
        days_to_due: days_to_due as i32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn months_are_calendar_months_and_short_months_clamp() {
        assert_eq!(months_between(d("2025-03-15"), d("2025-04-14")), 0);
        assert_eq!(months_between(d("2025-03-15"), d("2025-04-15")), 1);
        assert_eq!(months_between(d("2025-01-31"), d("2025-02-28")), 1);
        assert_eq!(months_between(d("2024-02-29"), d("2025-02-28")), 12);
        assert_eq!(months_between(d("2024-02-29"), d("2025-02-27")), 11);
        assert_eq!(months_between(d("2025-05-01"), d("2025-05-01")), 0);
    }
}

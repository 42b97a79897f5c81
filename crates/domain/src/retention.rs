//! How long a case's record is kept, under the NHSX Records Management Code of Practice 2021
//! (Appendix II, the retention schedule). Casebook shows the date and the rules behind it; it
//! never deletes a record because the date has passed; a person reviews it
//! (`casebook-server report retention` lists the records past their date).
//!
//! The rules from the schedule that apply to a parent-infant case:
//!
//! - **Children's records** (including the records of children seen with a parent): until the
//!   child's 25th birthday, or their 26th if they were 17 at the conclusion of treatment.
//! - **Mental health records** (the parent is the patient): 20 years after no further treatment
//!   was considered necessary. Casebook counts from the latest of the last contact, the discharge
//!   and the last entry written on the record (a discharge letter or an addendum written later
//!   means the record was still in use), so the date is never earlier than any of them.
//! - **Maternity records**: 25 years after the birth of the last child. Casebook counts from the
//!   youngest baby's date of birth; while only a due date is known, the due date stands in and
//!   the date is provisional until the birth is recorded (a baby born after the due date moves it
//!   later).
//!
//! Where several rules apply the longest wins, as the Code says. A parent under 18 is not given a
//! children's-record line of their own: the mental health rule (20 years after care ends) always
//! outlasts their 25th or 26th birthday.
//!
//! A birthday on 29 February falls on 1 March in a year without one. (Ages elsewhere use 28
//! February, the last day of the shorter month; for keeping records the later day is the safe
//! one, since a day late is harmless and a day early is not.)
//!
//! While a case is open the date is worked out from what is recorded so far and marked
//! provisional: each new contact moves it.

use crate::fold::CaseState;
use crate::record::PersonRole;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Children's records: kept until this birthday…
pub const CHILD_BIRTHDAY: i32 = 25;
/// …or this one, when the child was [`CHILD_LATE_AGE`] at the end of care.
pub const CHILD_BIRTHDAY_IF_17: i32 = 26;
pub const CHILD_LATE_AGE: i32 = 17;
/// Mental health records: years after the last contact.
pub const MENTAL_HEALTH_YEARS: i32 = 20;
/// Maternity records: years after the birth of the last child.
pub const MATERNITY_YEARS: i32 = 25;

/// Which rule of the retention schedule a date comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RetentionRule {
    ChildsRecord,
    MentalHealth,
    Maternity,
}

impl RetentionRule {
    pub fn label(self) -> &'static str {
        match self {
            RetentionRule::ChildsRecord => "Child's record",
            RetentionRule::MentalHealth => "Parent's mental health record",
            RetentionRule::Maternity => "Maternity record",
        }
    }
}

/// One rule that applies to the case, with the date it gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RuleApplied {
    pub rule: RetentionRule,
    pub until: NaiveDate,
    /// In a few words, for the one-line summary: "child's record: 25th birthday".
    pub short: String,
    /// The whole rule with its facts: "Child's record (Baby, born 2 February 2026): until their
    /// 25th birthday, 2 February 2051."
    pub sentence: String,
    /// The date rests on something that may still change (a due date standing in for a birth).
    pub provisional: bool,
    /// This rule gives the latest date, so it is the one the record is kept for.
    pub won: bool,
}

/// How long a case's record is kept, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Retention {
    /// The latest date any applicable rule gives; none when no rule could be applied.
    pub keep_until: Option<NaiveDate>,
    /// Every rule that applies, children first, then maternity, then mental health; on equal
    /// dates the first listed is the one that won.
    pub rules: Vec<RuleApplied>,
    /// Why the date may still move ("the case is still open…"), or none once it is settled.
    pub provisional: Option<String>,
    /// Why there is no date, when there is none.
    pub unknown: Option<String>,
    /// One calm line for the case header: "Keep until 2 February 2051 (child's record: 25th
    /// birthday)".
    pub summary: String,
}

impl Retention {
    pub fn winner(&self) -> Option<&RuleApplied> {
        self.rules.iter().find(|r| r.won)
    }

    /// Whether the date has passed on `today` (the record is due for a person's review; it is
    /// never deleted by Casebook).
    pub fn past(&self, today: NaiveDate) -> bool {
        self.keep_until.is_some_and(|d| d < today)
    }
}

fn long_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// The same day `years` later; 29 February becomes 1 March in a year without one (see the module
/// notes).
pub fn years_after(date: NaiveDate, years: i32) -> NaiveDate {
    let year = date.year() + years;
    NaiveDate::from_ymd_opt(year, date.month(), date.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, 3, 1))
        .expect("record dates are far from the end of the calendar")
}

/// Completed years from `dob` to `on`, with birthdays counted as [`years_after`] counts them.
pub fn age_in_years(dob: NaiveDate, on: NaiveDate) -> i32 {
    let rough = on.year() - dob.year();
    if rough > 0 && years_after(dob, rough) > on {
        rough - 1
    } else {
        rough
    }
}

fn ordinal(n: i32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

struct Child {
    name: String,
    dob: NaiveDate,
}

/// The babies and children of the case with a known date of birth. A date of birth recorded two
/// ways (a conflict not yet settled) counts at its later value, which keeps the record longer.
fn children(state: &CaseState) -> Vec<Child> {
    let mut found: Vec<Child> = state
        .record
        .people
        .iter()
        .filter(|p| p.current.role == PersonRole::Infant)
        .filter_map(|p| {
            let dob = p.versions.iter().filter_map(|v| v.details.date_of_birth).chain(p.current.date_of_birth).max()?;
            Some(Child { name: p.current.name.clone(), dob })
        })
        .collect();
    // A case opened with only the baby's date of birth, before anyone was recorded in the family.
    if found.is_empty() {
        if let Some(infant) = state.details.as_ref().and_then(|d| d.infant.as_ref()) {
            found.push(Child { name: infant.name.clone().unwrap_or_else(|| "Baby".into()), dob: infant.date_of_birth });
        }
    }
    found.sort_by_key(|c| c.dob);
    found
}

/// What the end of care, or the last activity, was: the day and how to name it.
#[derive(Clone, Copy)]
struct Landmark {
    on: NaiveDate,
    what: &'static str,
}

fn latest(candidates: impl IntoIterator<Item = Option<Landmark>>) -> Option<Landmark> {
    // On equal days the first candidate names it (the discharge before the contact before the entry).
    candidates.into_iter().flatten().fold(None, |best: Option<Landmark>, c| match best {
        Some(b) if b.on >= c.on => Some(b),
        _ => Some(c),
    })
}

/// Works out how long the case's record is kept; see the module notes for the rules and the
/// choices made where the Code is silent.
pub fn retention(state: &CaseState) -> Retention {
    let discharge = state.record.discharge.as_ref().map(|d| Landmark { on: d.details.on, what: "the discharge" });
    let last_contact = state.contacts.iter().map(|c| c.date).max().map(|on| Landmark { on, what: "the last contact" });
    let last_entry = state
        .chronology
        .iter()
        .flat_map(|c| [c.date, c.recorded_at.date_naive()])
        .chain(state.last_recorded_at.map(|t| t.date_naive()))
        .max()
        .map(|on| Landmark { on, what: "the last entry written on the record" });
    // The end of care, for a child's age at it: the discharge, or while open the last contact.
    let end_of_care = discharge.or(last_contact).or(last_entry);
    let last_activity = latest([discharge, last_contact, last_entry]);

    let mut rules = Vec::new();
    let children = children(state);
    for child in &children {
        let late = end_of_care.is_some_and(|end| age_in_years(child.dob, end.on) == CHILD_LATE_AGE);
        let birthday = if late { CHILD_BIRTHDAY_IF_17 } else { CHILD_BIRTHDAY };
        let until = years_after(child.dob, birthday);
        let why_late = match (late, end_of_care) {
            (true, Some(end)) => format!(", as they were {CHILD_LATE_AGE} at the end of care ({} on {})", end.what, long_date(end.on)),
            _ => String::new(),
        };
        rules.push(RuleApplied {
            rule: RetentionRule::ChildsRecord,
            until,
            short: format!("child's record: {} birthday", ordinal(birthday)),
            sentence: format!(
                "Child's record ({}, born {}): until their {} birthday, {}{why_late}.",
                child.name,
                long_date(child.dob),
                ordinal(birthday),
                long_date(until)
            ),
            provisional: false,
            won: false,
        });
    }

    let due = state.details.as_ref().and_then(|d| d.due_date);
    match (children.last(), due) {
        (Some(youngest), _) => {
            let until = years_after(youngest.dob, MATERNITY_YEARS);
            rules.push(RuleApplied {
                rule: RetentionRule::Maternity,
                until,
                short: format!("maternity record: {MATERNITY_YEARS} years after the birth"),
                sentence: format!(
                    "Maternity record: {MATERNITY_YEARS} years after the birth of the last child ({}, born {}), {}.",
                    youngest.name,
                    long_date(youngest.dob),
                    long_date(until)
                ),
                provisional: false,
                won: false,
            });
        }
        (None, Some(due)) => {
            let until = years_after(due, MATERNITY_YEARS);
            rules.push(RuleApplied {
                rule: RetentionRule::Maternity,
                until,
                short: format!("maternity record: {MATERNITY_YEARS} years after the birth, counted from the due date"),
                sentence: format!(
                    "Maternity record: {MATERNITY_YEARS} years after the birth. No birth is recorded yet, so the due date ({}) stands in: {}, provisional until the baby's date of birth is recorded.",
                    long_date(due),
                    long_date(until)
                ),
                provisional: true,
                won: false,
            });
        }
        (None, None) => {}
    }

    if let Some(last) = last_activity {
        let until = years_after(last.on, MENTAL_HEALTH_YEARS);
        rules.push(RuleApplied {
            rule: RetentionRule::MentalHealth,
            until,
            short: format!("mental health record: {MENTAL_HEALTH_YEARS} years after {}", last.what),
            sentence: format!(
                "Parent's mental health record: {MENTAL_HEALTH_YEARS} years after {} ({}), {}.",
                last.what,
                long_date(last.on),
                long_date(until)
            ),
            provisional: false,
            won: false,
        });
    }

    let mut winner: Option<usize> = None;
    for (i, r) in rules.iter().enumerate() {
        if winner.is_none_or(|w| r.until > rules[w].until) {
            winner = Some(i);
        }
    }
    let Some(w) = winner else {
        let why = "nothing with a date is recorded on this case yet, so no rule of the retention schedule can be applied";
        return Retention {
            keep_until: None,
            rules,
            provisional: None,
            unknown: Some(format!("No keep-until date: {why}.")),
            summary: "Keep-until date not known yet (nothing with a date is recorded)".into(),
        };
    };
    rules[w].won = true;

    let mut because = Vec::new();
    if state.record.discharge.is_none() {
        because.push("the case is still open, so each new contact moves the date");
    }
    if rules.iter().any(|r| r.provisional) {
        because.push("no birth is recorded yet, so the due date stands in for it");
    }
    let provisional = (!because.is_empty()).then(|| format!("Provisional: {}.", because.join("; ")));
    let won = &rules[w];
    let mut summary = format!("Keep until {} ({})", long_date(won.until), won.short);
    if state.record.discharge.is_none() {
        summary.push_str(", provisional while the case is open");
    } else if provisional.is_some() {
        summary.push_str(", provisional until the birth is recorded");
    }
    Retention { keep_until: Some(won.until), rules, provisional, unknown: None, summary }
}

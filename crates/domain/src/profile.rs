//! Service profiles: what makes one team's service different from another's, as data.
//!
//! Sefton BABS and Wigan BABS do the same work under different rules (who can be referred, from
//! where, how fast the first contact must be, where sessions happen, who to call in a crisis), and
//! those rules change: Sefton's referral age window has been both three and six months. So the rules
//! are a [`ServiceProfile`] read from JSON, never `if team == …` in code. Two profiles ship with
//! Casebook (from `crates/domain/profiles/`); a team can load its own with
//! [`ServiceProfile::from_json`].
//!
//! [`check_eligibility`] applies a profile's rules to what intake knows about a referral and says,
//! in plain English, whether the family is eligible, is not, or what needs checking first.

use crate::age::{add_months, age};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use ts_rs::TS;

const SHIPPED: [&str; 2] = [include_str!("../profiles/sefton-babs.json"), include_str!("../profiles/wigan-babs.json")];

/// Longest infant age limit a profile may set: five years, past which a child is not an infant
/// and a limit is almost certainly a typing mistake (years typed as months, say).
pub const MAX_AGE_LIMIT_MONTHS: u32 = 60;
/// Longest first-contact target a profile may set, in working days (about three months).
pub const MAX_FIRST_CONTACT_WORKING_DAYS: u32 = 60;

/// One team's service and its rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ServiceProfile {
    /// Stable key, lower-case with dashes: "wigan-babs".
    pub id: String,
    /// Short name used in sentences shown to staff: "Wigan BABS".
    pub name: String,
    pub eligibility: Eligibility,
    /// Working days from receiving a referral to first contact with the family, when the service
    /// commits to one (Wigan: five). `None` leaves it to the team's own practice.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_contact_working_days: Option<u32>,
    /// Where and how sessions are offered, in the team's own words ("Home visits", "Drop-in").
    #[serde(default)]
    pub settings_offered: Vec<String>,
    /// Who to call when a parent is in a mental health crisis. `None` when the team has not set one
    /// yet, which the app should show as "not configured" rather than hide.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crisis_route: Option<CrisisRoute>,
}

/// Who can be referred.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct Eligibility {
    /// A pregnant parent can be referred before the baby is born.
    pub pregnant_eligible: bool,
    /// How old an infant may be on the day the referral is received. `None`: no limit.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub infant_age_limit: Option<AgeLimit>,
    pub residence: ResidenceRule,
}

/// An infant age limit, in calendar months, counted on the day the referral is received. The two
/// kinds exist because services word their limits both ways and the boundary day matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum AgeLimit {
    /// "0–3 months": eligible up to and including the day the infant turns this many months.
    UpToMonths(u32),
    /// "Under three years": eligible until the day before the infant turns this many months.
    UnderMonths(u32),
}

fn months_words(months: u32) -> String {
    match (months / 12, months % 12) {
        (1, 0) => "1 year".to_string(),
        (years, 0) if years > 1 => format!("{years} years"),
        _ if months == 1 => "1 month".to_string(),
        _ => format!("{months} months"),
    }
}

impl AgeLimit {
    pub fn months(self) -> u32 {
        match self {
            AgeLimit::UpToMonths(m) | AgeLimit::UnderMonths(m) => m,
        }
    }

    /// Whether an infant born on `dob` is within the limit on `on`.
    pub fn allows(self, dob: NaiveDate, on: NaiveDate) -> bool {
        match self {
            AgeLimit::UpToMonths(m) => on <= add_months(dob, m),
            AgeLimit::UnderMonths(m) => on < add_months(dob, m),
        }
    }

    /// The last day an infant born on `dob` is within the limit.
    pub fn last_day(self, dob: NaiveDate) -> NaiveDate {
        match self {
            AgeLimit::UpToMonths(m) => add_months(dob, m),
            AgeLimit::UnderMonths(m) => add_months(dob, m).pred_opt().unwrap_or(NaiveDate::MIN),
        }
    }

    /// "up to 3 months old", "under 3 years old".
    pub fn describe(self) -> String {
        match self {
            AgeLimit::UpToMonths(m) => format!("up to {} old", months_words(m)),
            AgeLimit::UnderMonths(m) => format!("under {} old", months_words(m)),
        }
    }
}

/// Where a family must live, or be registered with a GP, to be referred.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
#[ts(export)]
pub enum ResidenceRule {
    /// The family lives in the area (Sefton).
    LivesIn { area: String },
    /// The parent is registered with a GP practice in the area (Wigan), wherever they live.
    RegisteredWithGpIn { area: String },
    /// No residence rule.
    None,
}

/// Who to call in a mental health crisis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct CrisisRoute {
    pub name: String,
    pub phone: String,
    /// When it answers: "24 hours a day".
    pub hours: String,
}

/// Why a service profile cannot be used. Each message names the field to fix.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProfileError {
    #[error("the service profile could not be read: {reason}")]
    Unreadable { reason: String },
    #[error("the service profile's {field} is empty; please fill it in")]
    Empty { field: String },
    #[error("the service profile's {field} {why}")]
    Invalid { field: String, why: String },
}

fn non_empty(field: &str, value: &str) -> Result<(), ProfileError> {
    if value.trim().is_empty() {
        return Err(ProfileError::Empty { field: field.to_string() });
    }
    if value.chars().count() > 200 {
        return Err(ProfileError::Invalid { field: field.to_string(), why: "is longer than 200 characters".into() });
    }
    Ok(())
}

fn invalid(field: &str, why: impl Into<String>) -> ProfileError {
    ProfileError::Invalid { field: field.to_string(), why: why.into() }
}

impl ServiceProfile {
    /// The date by which the family should first be contacted: the profile's target in working
    /// days (weekends and England and Wales bank holidays excluded) after the day the referral
    /// was received. `None` when the profile sets no target (the team uses its own).
    pub fn first_contact_deadline(&self, received: NaiveDate, calendar: &casebook_calendar::WorkingDays) -> Option<NaiveDate> {
        self.first_contact_working_days.map(|days| calendar.add_working_days(received, days))
    }

    /// The crisis route to show for a family: the route of the service their referral came to.
    /// `None` when the case has no referral or that service has not set a route, and the window
    /// says so. Never another service's route: a Sefton family must not be given Wigan's number.
    pub fn crisis_route_for<'a>(profiles: &'a [ServiceProfile], referred_to: Option<&str>) -> Option<&'a CrisisRoute> {
        let id = referred_to?;
        profiles.iter().find(|p| p.id == id)?.crisis_route.as_ref()
    }

    /// The profiles that ship with Casebook: Sefton BABS and Wigan BABS.
    pub fn shipped() -> Vec<ServiceProfile> {
        SHIPPED.iter().map(|json| ServiceProfile::from_json(json).expect("shipped profiles are valid")).collect()
    }

    /// A shipped profile by id ("sefton-babs", "wigan-babs").
    pub fn shipped_by_id(id: &str) -> Option<ServiceProfile> {
        ServiceProfile::shipped().into_iter().find(|p| p.id == id)
    }

    /// Reads and checks a team's own profile. Unknown fields are refused, so a misspelt setting is
    /// reported instead of silently ignored.
    pub fn from_json(json: &str) -> Result<ServiceProfile, ProfileError> {
        let profile: ServiceProfile =
            serde_json::from_str(json).map_err(|e| ProfileError::Unreadable { reason: e.to_string() })?;
        profile.validate()?;
        Ok(profile)
    }

    /// Checks the rules make sense: names filled in, limits within reason.
    pub fn validate(&self) -> Result<(), ProfileError> {
        non_empty("id", &self.id)?;
        if !self.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return Err(invalid("id", "must be lower-case letters, digits and dashes only, like \"wigan-babs\""));
        }
        non_empty("name", &self.name)?;
        if let Some(limit) = self.eligibility.infant_age_limit {
            let m = limit.months();
            if m == 0 || m > MAX_AGE_LIMIT_MONTHS {
                return Err(invalid(
                    "eligibility.infant_age_limit",
                    format!("is {m} months; it must be between 1 and {MAX_AGE_LIMIT_MONTHS} months"),
                ));
            }
        }
        match &self.eligibility.residence {
            ResidenceRule::LivesIn { area } | ResidenceRule::RegisteredWithGpIn { area } => {
                non_empty("eligibility.residence.area", area)?
            }
            ResidenceRule::None => {}
        }
        if let Some(days) = self.first_contact_working_days {
            if days == 0 || days > MAX_FIRST_CONTACT_WORKING_DAYS {
                return Err(invalid(
                    "first_contact_working_days",
                    format!(
                        "is {days}; it must be between 1 and {MAX_FIRST_CONTACT_WORKING_DAYS} working days, or left out if the service has no target"
                    ),
                ));
            }
        }
        for (i, setting) in self.settings_offered.iter().enumerate() {
            non_empty(&format!("settings_offered (item {})", i + 1), setting)?;
        }
        if let Some(route) = &self.crisis_route {
            non_empty("crisis_route.name", &route.name)?;
            non_empty("crisis_route.phone", &route.phone)?;
            non_empty("crisis_route.hours", &route.hours)?;
            let digits = route.phone.chars().filter(char::is_ascii_digit).count();
            if !route.phone.chars().all(|c| c.is_ascii_digit() || " +()-".contains(c)) || digits < 3 {
                return Err(invalid("crisis_route.phone", "must be a phone number, like \"01942 764 467\""));
            }
        }
        Ok(())
    }
}

/// What intake knows about a referral, as far as eligibility goes. `None` means not yet known,
/// which is different from "no".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ReferralFacts {
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pregnant: Option<bool>,
    /// Dates of birth of the infants the referral is about (usually one; twins are two).
    #[serde(default)]
    pub infant_dobs: Vec<NaiveDate>,
    /// Whether the family meets the profile's residence rule (lives in the area, or is registered
    /// with a GP there, whichever the profile asks).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residence_confirmed: Option<bool>,
}

/// The answer to "can this service take this referral?", with the reasons to show whoever is
/// doing intake. Reasons are lower-case clauses; [`EligibilityResult::summary`] makes a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[ts(export)]
pub enum EligibilityResult {
    Eligible { reasons: Vec<String> },
    NotEligible { reasons: Vec<String> },
    NeedsMoreInformation { reasons: Vec<String> },
}

impl EligibilityResult {
    pub fn reasons(&self) -> &[String] {
        match self {
            EligibilityResult::Eligible { reasons }
            | EligibilityResult::NotEligible { reasons }
            | EligibilityResult::NeedsMoreInformation { reasons } => reasons,
        }
    }

    pub fn is_eligible(&self) -> bool {
        matches!(self, EligibilityResult::Eligible { .. })
    }

    /// "Eligible: the parent is pregnant; the parent is registered with a Wigan GP."
    pub fn summary(&self) -> String {
        let head = match self {
            EligibilityResult::Eligible { .. } => "Eligible",
            EligibilityResult::NotEligible { .. } => "Not eligible",
            EligibilityResult::NeedsMoreInformation { .. } => "More information needed",
        };
        format!("{head}: {}.", self.reasons().join("; "))
    }
}

/// Collects each rule's verdict; the worst verdict wins and only its reasons are shown.
#[derive(Default)]
struct Verdicts {
    met: Vec<String>,
    not_met: Vec<String>,
    unknown: Vec<String>,
}

impl Verdicts {
    fn finish(self) -> EligibilityResult {
        if !self.not_met.is_empty() {
            EligibilityResult::NotEligible { reasons: self.not_met }
        } else if !self.unknown.is_empty() {
            EligibilityResult::NeedsMoreInformation { reasons: self.unknown }
        } else {
            EligibilityResult::Eligible { reasons: self.met }
        }
    }
}

/// Applies `profile`'s rules to a referral received on `received`. Ages are taken on the day the
/// referral was received, not the day it is looked at, so a referral does not become ineligible
/// while it waits in the queue.
///
/// With several infants the youngest decides. An infant over the age limit does not rule a family
/// out while it is unknown whether the parent is pregnant (a pregnancy would make them eligible),
/// so that case asks the question instead of declining.
pub fn check_eligibility(profile: &ServiceProfile, facts: &ReferralFacts, received: NaiveDate) -> EligibilityResult {
    let mut v = Verdicts::default();
    let rules = &profile.eligibility;
    let name = &profile.name;

    // Pregnancy or the infant's age.
    let (born, unborn): (Vec<NaiveDate>, Vec<NaiveDate>) = facts.infant_dobs.iter().partition(|&&dob| dob <= received);
    for dob in &unborn {
        v.unknown.push(format!(
            "the infant's date of birth ({dob}) is after the referral was received ({received}); check the date of birth"
        ));
    }
    let pregnant_counts = facts.pregnant == Some(true) && rules.pregnant_eligible;
    if pregnant_counts {
        v.met.push("the parent is pregnant".to_string());
    }
    let who = if born.len() > 1 { "the youngest infant" } else { "the infant" };
    match born.iter().max() {
        Some(&youngest) => {
            let shown = age(youngest, received).expect("only infants born by the received date").label();
            match rules.infant_age_limit {
                None => v.met.push(format!("{who} is {shown} old")),
                Some(limit) if limit.allows(youngest, received) => {
                    v.met.push(format!("{who} is {shown} old ({name} takes referrals for infants {})", limit.describe()))
                }
                Some(_) if pregnant_counts => {}
                Some(limit) => {
                    // Just past a limit the age label can be the limit itself ("3 months"), which
                    // would read as if the infant were within it: say by how much it was passed.
                    let past = age(limit.last_day(youngest), received).map(|a| a.label()).unwrap_or_default();
                    let over = format!("{who} is {shown} old, {past} past the limit; {name} takes referrals for infants {}", limit.describe());
                    if rules.pregnant_eligible && facts.pregnant.is_none() {
                        v.unknown.push(format!(
                            "{over}; confirm whether the parent is pregnant, as a pregnancy would make the family eligible"
                        ));
                    } else {
                        v.not_met.push(over);
                    }
                }
            }
        }
        None if pregnant_counts || !unborn.is_empty() => {}
        None => match (facts.pregnant, rules.pregnant_eligible) {
            (Some(true), false) => v.not_met.push(format!(
                "{name} does not take referrals during pregnancy; refer again once the baby is born"
            )),
            (None, true) => v.unknown.push("confirm whether the parent is pregnant, or give the infant's date of birth".to_string()),
            (Some(false), _) => v.unknown.push("the parent is not pregnant: give the infant's date of birth".to_string()),
            (None, false) => v.unknown.push("give the infant's date of birth".to_string()),
            (Some(true), true) => {} // counted as pregnant above
        },
    }

    // Where the family lives or is registered.
    let (met, not_met, unknown) = match &rules.residence {
        ResidenceRule::None => (None, String::new(), String::new()),
        ResidenceRule::LivesIn { area } => (
            Some(format!("the family lives in {area}")),
            format!("the family does not live in {area}; {name} only takes referrals for families living in {area}"),
            format!("confirm whether the family lives in {area}"),
        ),
        ResidenceRule::RegisteredWithGpIn { area } => (
            Some(format!("the parent is registered with a {area} GP")),
            format!(
                "the parent is not registered with a {area} GP; {name} only takes referrals for parents registered with a {area} GP"
            ),
            format!("confirm whether the parent is registered with a {area} GP"),
        ),
    };
    if let Some(met) = met {
        match facts.residence_confirmed {
            Some(true) => v.met.push(met),
            Some(false) => v.not_met.push(not_met),
            None => v.unknown.push(unknown),
        }
    }

    v.finish()
}

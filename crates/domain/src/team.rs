//! The lead's view of the team: who holds what, the waiting list, laptops that have not synced,
//! and alerts raised lately. The roster (people and their laptops) comes from the central store
//! at each sync of a lead's laptop; the rest is worked out from the cases the lead's laptop holds,
//! so the view works offline and says how old it is.

use crate::inbox::WaitingEntry;
use crate::record::{AlertKind, RiskLevel};
use crate::vocab::ThriveGroup;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

/// A laptop of a member of the team, as the central store last saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RosterDevice {
    pub device_id: Uuid,
    /// The name IT knows it by ("Clinic laptop 7").
    pub name: String,
    /// The end of its last complete sync.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sync_at: Option<DateTime<Utc>>,
    /// How many signed notes it held unsent when that sync began.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes_waiting_at_sync: Option<u32>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A member of the team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RosterMember {
    pub username: String,
    /// "clinician", "lead" or "admin".
    pub role: String,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub devices: Vec<RosterDevice>,
}

/// The team as the central store describes it to a lead (`GET /v1/team`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Roster {
    pub team: String,
    pub members: Vec<RosterMember>,
    /// When the central store answered.
    pub as_of: DateTime<Utc>,
}

/// One open case in the lead's view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TeamCase {
    pub case_id: Uuid,
    pub family_name: String,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<RiskLevel>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thrive: Option<ThriveGroup>,
    pub first_contact_overdue: bool,
    pub risk_review_overdue: bool,
    /// A risk answer on a questionnaire waits for a risk review.
    pub risk_to_review: bool,
}

/// A clinician and the open cases they hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Caseload {
    pub username: String,
    pub role: String,
    pub cases: Vec<TeamCase>,
}

/// A laptop in the lead's view, with whether it has been silent too long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LaptopLine {
    pub username: String,
    pub device: RosterDevice,
    /// Silent for more than the team's limit of working days (or never synced).
    pub silent: bool,
}

/// An alert or safeguarding flag raised lately on one of the team's cases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RecentAlert {
    pub case_id: Uuid,
    pub family_name: String,
    pub kind: AlertKind,
    pub text: String,
    pub raised_by: String,
    pub raised_at: DateTime<Utc>,
    pub cleared: bool,
}

/// A risk review that recorded a safeguarding status (child in need, child protection plan,
/// looked after) lately on one of the team's cases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RecentSafeguarding {
    pub case_id: Uuid,
    pub family_name: String,
    pub status: crate::record::SafeguardingStatus,
    pub on: NaiveDate,
    pub by: String,
}

/// The lead's view of the team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TeamView {
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// When this laptop last heard the team's roster from the central store (None: never).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roster_as_of: Option<DateTime<Utc>>,
    pub today: NaiveDate,
    pub caseloads: Vec<Caseload>,
    /// Open cases no clinician holds (waiting for allocation or held by leads only).
    pub unallocated: Vec<TeamCase>,
    pub waiting: Vec<WaitingEntry>,
    pub laptops: Vec<LaptopLine>,
    /// Working days of silence after which a laptop is highlighted.
    pub silent_after_working_days: u32,
    pub recent_alerts: Vec<RecentAlert>,
    /// Safeguarding statuses recorded in risk reviews in the same days.
    #[serde(default)]
    pub recent_safeguarding: Vec<RecentSafeguarding>,
    /// How many days back `recent_alerts` and `recent_safeguarding` look.
    pub alerts_within_days: u32,
}

/// The laptops of a roster, the silent ones first (longest silent first), then by person.
pub fn laptops(roster: &Roster, today: NaiveDate, limit: u32, calendar: &casebook_calendar::WorkingDays) -> Vec<LaptopLine> {
    let mut lines: Vec<LaptopLine> = roster
        .members
        .iter()
        .filter(|m| !m.disabled)
        .flat_map(|m| {
            m.devices.iter().filter(|d| d.revoked_at.is_none()).map(|d| LaptopLine {
                username: m.username.clone(),
                device: d.clone(),
                silent: crate::inbox::silent(d.last_sync_at.map(|t| t.date_naive()), today, limit, calendar),
            })
        })
        .collect();
    lines.sort_by(|a, b| {
        b.silent
            .cmp(&a.silent)
            .then_with(|| a.device.last_sync_at.cmp(&b.device.last_sync_at))
            .then_with(|| a.username.cmp(&b.username))
            .then_with(|| a.device.name.cmp(&b.device.name))
    });
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(name: &str, last: Option<&str>) -> RosterDevice {
        RosterDevice {
            device_id: Uuid::now_v7(),
            name: name.into(),
            last_sync_at: last.map(|t| t.parse().unwrap()),
            notes_waiting_at_sync: Some(2),
            revoked_at: None,
        }
    }

    #[test]
    fn a_laptop_silent_for_more_than_the_limit_of_working_days_is_highlighted_first() {
        let calendar = casebook_calendar::WorkingDays::england_and_wales();
        let roster = Roster {
            team: "Testteam".into(),
            as_of: "2026-12-03T09:00:00Z".parse().unwrap(),
            members: vec![
                RosterMember { username: "sam".into(), role: "clinician".into(), disabled: false, devices: vec![device("Fresh", Some("2026-12-02T16:00:00Z"))] },
                // Friday 27 November to Thursday 3 December: 4 working days.
                RosterMember { username: "alex".into(), role: "clinician".into(), disabled: false, devices: vec![device("Old", Some("2026-11-27T16:00:00Z")), device("Never", None)] },
                RosterMember { username: "gone".into(), role: "clinician".into(), disabled: true, devices: vec![device("Gone", None)] },
            ],
        };
        let today = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let lines = laptops(&roster, today, 2, &calendar);
        let names: Vec<(&str, bool)> = lines.iter().map(|l| (l.device.name.as_str(), l.silent)).collect();
        assert_eq!(names, vec![("Never", true), ("Old", true), ("Fresh", false)]);
        // Two working days of silence is within the limit; three is not.
        assert!(!crate::inbox::silent(NaiveDate::from_ymd_opt(2026, 12, 1), today, 2, &calendar));
        assert!(crate::inbox::silent(NaiveDate::from_ymd_opt(2026, 11, 30), today, 2, &calendar));
    }
}

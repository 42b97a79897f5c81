//! The team's work on the laptop: the inbox of referrals waiting for triage, the lead's triage
//! decision, the waiting list, and the lead's view of the team (from the roster the central store
//! sent at the last sync, and the cases this laptop holds).
//!
//! What a role may do is decided again by the central store on everything sent; the checks here
//! only spare a person an entry the team's record would refuse.

use crate::error::{Result, StoreError};
use crate::Store;
use casebook_domain::inbox::{inbox_entry, sort_inbox, sort_waiting, waiting_entry, InboxEntry, WaitingEntry};
use casebook_domain::team::{laptops, Caseload, RecentAlert, RecentSafeguarding, Roster, TeamCase, TeamView};
use casebook_domain::triage::{ReferralTriaged, TriageDecision};
use casebook_domain::{CaseState, EventBody};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;
use uuid::Uuid;

/// Where the sync crate keeps the central store's address: set once the laptop has signed in to
/// a team.
pub const TEAM_ADDRESS_KEY: &str = "server_url";
/// Where the sync crate keeps the role the central store gave ("clinician", "lead", "admin").
pub const TEAM_ROLE_KEY: &str = "server_role";
/// The team's roster from the last sync of a lead's laptop (JSON of [`Roster`]).
const ROSTER_KEY: &str = "team_roster";

/// Working days of silence after which the team view highlights a laptop, unless the lead
/// chooses another number.
pub const SILENT_AFTER_WORKING_DAYS: u32 = 2;
/// How far back the team view lists alerts, unless the lead chooses another number of days.
pub const ALERTS_WITHIN_DAYS: u32 = 14;

/// A lead's triage decision as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TriageInput {
    pub case_id: Uuid,
    pub decision: TriageDecision,
    pub on: NaiveDate,
    #[serde(default)]
    pub allocate_to: Vec<String>,
    #[ts(optional)]
    #[serde(default)]
    pub reason: Option<String>,
}

impl Store {
    /// Whether this laptop has signed in to a team's central store: a referral logged here then
    /// goes to the team's inbox.
    pub fn works_with_team(&self) -> Result<bool> {
        Ok(self.sync_value(TEAM_ADDRESS_KEY)?.is_some())
    }

    /// The role the central store gave at the last sign-in or sync, if any.
    pub fn team_role(&self) -> Result<Option<String>> {
        self.sync_value(TEAM_ROLE_KEY)
    }

    /// Referrals on this laptop waiting for triage, the overdue ones first.
    pub fn inbox(&self, today: NaiveDate) -> Result<Vec<InboxEntry>> {
        let mut entries = self.lines_where("in_inbox = 1", |state| inbox_entry(state, today))?;
        sort_inbox(&mut entries);
        Ok(entries)
    }

    /// Families accepted at triage and not yet seen, the overdue ones first.
    pub fn waiting_list(&self, today: NaiveDate) -> Result<Vec<WaitingEntry>> {
        let mut entries = self.lines_where("waiting = 1", |state| waiting_entry(state, today))?;
        sort_waiting(&mut entries);
        Ok(entries)
    }

    /// One line per case the projection marks with `condition`, from the case's fold.
    fn lines_where<T>(&self, condition: &str, line: impl Fn(&CaseState) -> Option<T>) -> Result<Vec<T>> {
        let mut out = Vec::new();
        for id in self.case_ids_where(condition)? {
            out.extend(line(&self.case(id)?.state));
        }
        Ok(out)
    }

    /// Cases waiting in the team's inbox, which the caseload leaves out (they are in the inbox).
    pub fn inbox_case_ids(&self) -> Result<std::collections::HashSet<Uuid>> {
        Ok(self.case_ids_where("in_inbox = 1")?.into_iter().collect())
    }

    fn case_ids_where(&self, condition: &str) -> Result<Vec<Uuid>> {
        let mut stmt = self.connection().prepare(&format!("SELECT case_id FROM cases WHERE {condition} ORDER BY case_id"))?;
        let ids = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(ids.iter().filter_map(|s| Uuid::parse_str(s).ok()).collect())
    }

    /// Records the lead's decision on a referral. It replaces every decision this laptop knows of
    /// on the referral, so a second decision made here settles a conflict; one made elsewhere
    /// without seeing this one shows as a conflict when both have arrived.
    pub fn triage_referral(&mut self, input: TriageInput) -> Result<CaseState> {
        if self.team_role()?.as_deref() != Some("lead") {
            return Err(StoreError::Refused(
                "Only the team's lead triages referrals, and this laptop is not signed in as a lead. Ask your lead to triage it.".into(),
            ));
        }
        let state = self.case(input.case_id)?.state;
        let referral = state
            .record
            .referral
            .as_ref()
            .ok_or_else(|| StoreError::Refused("This case has no referral to triage.".into()))?;
        if input.on < referral.details.received_on {
            return Err(StoreError::Refused(format!(
                "The triage decision cannot be before the referral was received ({}). Check the date.",
                referral.details.received_on.format("%-d %B %Y")
            )));
        }
        let allocate_to: Vec<String> = input.allocate_to.iter().map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).collect();
        if let Some(roster) = self.roster()? {
            for name in &allocate_to {
                match roster.members.iter().find(|m| &m.username == name) {
                    None => {
                        return Err(StoreError::Refused(format!(
                            "{name} is not on {}, as the team was at the last sync; choose a clinician of the team.",
                            roster.team
                        )))
                    }
                    Some(m) if m.role == "admin" => {
                        return Err(StoreError::Refused(format!("{name} is on the admin staff, who never hold cases; choose a clinician.")))
                    }
                    Some(m) if m.disabled => {
                        return Err(StoreError::Refused(format!("{name}'s account is disabled; choose another clinician.")))
                    }
                    Some(_) => {}
                }
            }
        }
        let supersedes: Vec<Uuid> = casebook_domain::triage::standing(&referral.triage).iter().map(|t| t.details.triage_id).collect();
        let reason = input.reason.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
        let body = EventBody::ReferralTriaged(ReferralTriaged {
            triage_id: Uuid::now_v7(),
            referral_id: referral.details.referral_id,
            decision: input.decision,
            on: input.on,
            allocate_to,
            reason,
            supersedes,
        });
        self.append_one(input.case_id, body)
    }

    /// Keeps the roster the central store sent (a lead's laptop, at each sync).
    pub fn set_roster(&mut self, roster: &Roster) -> Result<()> {
        let json = serde_json::to_string(roster).expect("a roster always serialises");
        self.set_sync_value(ROSTER_KEY, Some(&json))
    }

    /// Forgets the roster (the laptop is no longer a lead's).
    pub fn forget_roster(&mut self) -> Result<()> {
        self.set_sync_value(ROSTER_KEY, None)
    }

    /// The roster from the last sync, if this laptop has one.
    pub fn roster(&self) -> Result<Option<Roster>> {
        Ok(self.sync_value(ROSTER_KEY)?.and_then(|j| serde_json::from_str(&j).ok()))
    }

    /// The lead's view of the team, from the roster of the last sync and the cases on this laptop.
    pub fn team_view(&self, today: NaiveDate, silent_after: u32, alerts_within_days: u32) -> Result<TeamView> {
        let roster = self.roster()?;
        let cases = self.open_team_cases(today)?;
        let mut held: BTreeMap<String, Vec<TeamCase>> = BTreeMap::new();
        let mut unallocated = Vec::new();
        let leads: std::collections::HashSet<&str> =
            roster.iter().flat_map(|r| r.members.iter()).filter(|m| m.role == "lead").map(|m| m.username.as_str()).collect();
        for (case, named) in cases {
            let mut clinicians = self.allocated_to(case.case_id)?.unwrap_or_default();
            // A lead the triage named holds the case too (leads see every case, so the central
            // store does not list them as holders).
            clinicians.extend(named.into_iter().filter(|n| leads.contains(n.as_str()) && !clinicians.contains(n)).collect::<Vec<_>>());
            if clinicians.is_empty() {
                unallocated.push(case);
                continue;
            }
            for name in clinicians {
                held.entry(name).or_default().push(case.clone());
            }
        }
        let mut caseloads: Vec<Caseload> = Vec::new();
        if let Some(r) = &roster {
            // Every clinician, with or without cases; a lead only when holding some.
            for m in r.members.iter().filter(|m| !m.disabled) {
                if m.role != "clinician" && !(m.role == "lead" && held.contains_key(&m.username)) {
                    continue;
                }
                caseloads.push(Caseload { username: m.username.clone(), role: m.role.clone(), cases: held.remove(&m.username).unwrap_or_default() });
            }
        }
        // Holders the roster does not name (no roster yet, or someone since moved on) still show.
        for (username, cases) in held {
            let role = roster.iter().flat_map(|r| r.members.iter()).find(|m| m.username == username).map(|m| m.role.clone());
            caseloads.push(Caseload { username, role: role.unwrap_or_else(|| "clinician".into()), cases });
        }
        let calendar = self.working_days();
        let (recent_alerts, recent_safeguarding) = self.recent_flags(today, alerts_within_days)?;
        Ok(TeamView {
            team: roster.as_ref().map(|r| r.team.clone()),
            roster_as_of: roster.as_ref().map(|r| r.as_of),
            today,
            caseloads,
            unallocated,
            waiting: self.waiting_list(today)?,
            laptops: roster.as_ref().map(|r| laptops(r, today, silent_after, &calendar)).unwrap_or_default(),
            silent_after_working_days: silent_after,
            recent_alerts,
            recent_safeguarding,
            alerts_within_days,
        })
    }

    /// The open cases, each with whom the standing triage decisions name.
    fn open_team_cases(&self, today: NaiveDate) -> Result<Vec<(TeamCase, Vec<String>)>> {
        let mut stmt = self.connection().prepare_cached(
            "SELECT case_id, family_name, risk, thrive, first_contact_due, risk_review_on, risk_to_review_since, triage_holders
             FROM cases WHERE in_inbox = 0 AND status NOT IN ('Discharged', 'Declined', 'Signposted')
             ORDER BY family_name COLLATE NOCASE, case_id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let before_today = |d: Option<String>| d.and_then(|d| d.parse::<NaiveDate>().ok()).is_some_and(|d| d < today);
        Ok(rows
            .into_iter()
            .filter_map(|(id, family, risk, thrive, first_due, review_on, to_review, named)| {
                let named: Vec<String> = named.and_then(|n| serde_json::from_str(&n).ok()).unwrap_or_default();
                let case = TeamCase {
                    case_id: Uuid::parse_str(&id).ok()?,
                    family_name: family.unwrap_or_default(),
                    risk: word(risk),
                    thrive: word(thrive),
                    first_contact_overdue: before_today(first_due),
                    risk_review_overdue: before_today(review_on),
                    risk_to_review: to_review.is_some(),
                };
                Some((case, named))
            })
            .collect())
    }

    /// Alerts raised, and safeguarding statuses recorded in risk reviews, in the last `days` days
    /// on the cases this laptop holds, newest first. Only cases written to in that time are read.
    fn recent_flags(&self, today: NaiveDate, days: u32) -> Result<(Vec<RecentAlert>, Vec<RecentSafeguarding>)> {
        let since: DateTime<Utc> = (today - chrono::Days::new(days as u64)).and_hms_opt(0, 0, 0).expect("midnight").and_utc();
        let ids: Vec<Uuid> = {
            let mut stmt = self.connection().prepare_cached("SELECT case_id FROM cases WHERE active_alerts > 0 OR last_activity_at >= ?1")?;
            let rows = stmt.query_map([since.to_rfc3339()], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
            rows.iter().filter_map(|s| Uuid::parse_str(s).ok()).collect()
        };
        let mut out = Vec::new();
        let mut safeguarding = Vec::new();
        for id in ids {
            let state = self.case(id)?.state;
            let family = state.details.as_ref().map(|d| d.family_name.clone()).unwrap_or_default();
            for a in state.record.alerts.iter().filter(|a| a.raised_at >= since) {
                out.push(RecentAlert {
                    case_id: id,
                    family_name: family.clone(),
                    kind: a.kind,
                    text: a.text.clone(),
                    raised_by: a.raised_by.clone(),
                    raised_at: a.raised_at,
                    cleared: a.cleared.is_some(),
                });
            }
            let since_day = since.date_naive();
            for r in state.record.risk_reviews.iter().filter(|r| r.details.on >= since_day) {
                if r.details.safeguarding != casebook_domain::SafeguardingStatus::NoneKnown {
                    safeguarding.push(RecentSafeguarding {
                        case_id: id,
                        family_name: family.clone(),
                        status: r.details.safeguarding,
                        on: r.details.on,
                        by: r.by.clone(),
                    });
                }
            }
        }
        out.sort_by_key(|a| std::cmp::Reverse(a.raised_at));
        safeguarding.sort_by_key(|s| std::cmp::Reverse(s.on));
        Ok((out, safeguarding))
    }
}

/// A stored enum word ("high", "getting_help") read back, or None.
fn word<T: serde::de::DeserializeOwned>(w: Option<String>) -> Option<T> {
    w.and_then(|w| serde_json::from_value(serde_json::Value::String(w)).ok())
}

/// The projection's team columns of one case, from its state alone (so a rebuild gives the same),
/// written with the rest of the case's row.
pub(crate) struct TeamColumns {
    pub in_inbox: bool,
    pub triage: Option<&'static str>,
    pub thrive: Option<String>,
    pub risk_review_on: Option<String>,
    pub waiting: bool,
    pub triage_holders: Option<String>,
}

pub(crate) fn team_columns(state: &CaseState) -> TeamColumns {
    let referral = state.record.referral.as_ref();
    let risk = state.record.current_risk();
    TeamColumns {
        in_inbox: state.in_team_inbox(),
        triage: referral.map(|r| r.triage_state.word()),
        thrive: risk.map(|r| serde_json::to_value(r.details.thrive).expect("enum").as_str().unwrap_or_default().to_string()),
        risk_review_on: risk.and_then(|r| r.details.review_on).filter(|_| state.record.discharge.is_none()).map(|d| d.to_string()),
        waiting: casebook_domain::inbox::accepted_not_seen(state).is_some(),
        // Who the standing triage decisions name: the central store's allocations list clinicians
        // only, so a lead who took a family on at triage is known from here.
        triage_holders: referral
            .and_then(|r| casebook_domain::triage::holders(&r.triage))
            .map(|h| serde_json::to_string(&h).expect("a list of names always serialises")),
    }
}

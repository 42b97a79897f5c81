//! Triage: the team's lead decides what happens to a referral in the team's inbox — accept it and
//! allocate it to one or more clinicians (co-working), keep it as a consultation to the referrer,
//! signpost the family elsewhere, or decline it with a reason.
//!
//! Each decision is an event with who and when. A decision names the earlier decisions its author
//! had seen (`supersedes`): two leads deciding the same referral offline have each seen neither,
//! so both stand and the referral shows a conflict for a person to settle, as field conflicts do;
//! the decision that settles it names both. Nothing depends on clocks, so every laptop and the
//! central store agree on which decisions stand.
//!
//! The central store allocates the case from the decisions that stand ([`holders`]): only a lead
//! may triage (refused from anyone else there), and a decision made offline takes effect when it
//! arrives.

use crate::event::{not_future, optional, required, ValidationError, MAX_NAME_LEN, MAX_REASON_LEN};
use crate::vocab::ReferralStatus;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashSet};
use ts_rs::TS;
use uuid::Uuid;

/// At most this many clinicians share one case from a triage decision.
pub const MAX_ALLOCATED: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum TriageDecision {
    /// Accepted: allocated to the clinicians named, waiting to be seen until the first contact.
    Accept,
    /// Kept as a consultation to the referrer: no allocation, advice instead.
    Consultation,
    /// The family is pointed to another service.
    Signpost,
    /// Not for this service, with the reason.
    Decline,
}

impl TriageDecision {
    pub const ALL: [TriageDecision; 4] = [TriageDecision::Accept, TriageDecision::Consultation, TriageDecision::Signpost, TriageDecision::Decline];

    pub fn label(self) -> &'static str {
        match self {
            TriageDecision::Accept => "Accepted and allocated",
            TriageDecision::Consultation => "Kept as a consultation",
            TriageDecision::Signpost => "Signposted elsewhere",
            TriageDecision::Decline => "Declined",
        }
    }

    /// The word the CLI takes (`--decision accept`).
    pub fn word(self) -> &'static str {
        match self {
            TriageDecision::Accept => "accept",
            TriageDecision::Consultation => "consultation",
            TriageDecision::Signpost => "signpost",
            TriageDecision::Decline => "decline",
        }
    }

    /// The referral status a decision closes the referral with (a consultation leaves it where it is).
    pub fn status(self) -> Option<ReferralStatus> {
        match self {
            TriageDecision::Accept => Some(ReferralStatus::Accepted),
            TriageDecision::Consultation => None,
            TriageDecision::Signpost => Some(ReferralStatus::Signposted),
            TriageDecision::Decline => Some(ReferralStatus::Declined),
        }
    }
}

impl std::str::FromStr for TriageDecision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        TriageDecision::ALL
            .into_iter()
            .find(|d| d.word() == s.trim())
            .ok_or_else(|| format!("'{s}' is not a triage decision; choose accept, consultation, signpost or decline"))
    }
}

/// A lead's triage decision on a referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ReferralTriaged {
    pub triage_id: Uuid,
    pub referral_id: Uuid,
    pub decision: TriageDecision,
    pub on: NaiveDate,
    /// The team's usernames the case is allocated to (accept only; two or more: co-working).
    #[serde(default)]
    pub allocate_to: Vec<String>,
    /// Why (required to decline; where to, when signposting).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The earlier decisions on this referral its author had seen and replaces.
    #[serde(default)]
    pub supersedes: Vec<Uuid>,
}

/// A decision as the record keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Triage {
    pub details: ReferralTriaged,
    pub by: String,
    pub recorded_at: DateTime<Utc>,
}

/// Where a referral stands with triage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
#[ts(export)]
pub enum TriageState {
    /// In the team's inbox: nobody has decided yet.
    Awaiting,
    /// One decision stands.
    Decided { decision: Triage },
    /// Two or more decisions were made without seeing each other: a person settles it.
    Conflict { decisions: Vec<Triage> },
}

impl TriageState {
    /// Whether the referral belongs in the team's inbox (undecided, or decided twice).
    pub fn in_inbox(&self) -> bool {
        !matches!(self, TriageState::Decided { .. })
    }

    /// One word for the projection and the CLI: awaiting, conflict, or the decision's word.
    pub fn word(&self) -> &'static str {
        match self {
            TriageState::Awaiting => "awaiting",
            TriageState::Conflict { .. } => "conflict",
            TriageState::Decided { decision } => decision.details.decision.word(),
        }
    }
}

pub(crate) fn validate_triage(t: &ReferralTriaged, today: NaiveDate) -> Result<(), ValidationError> {
    not_future("Date of the triage decision", t.on, today)?;
    optional("Reason", &t.reason, MAX_REASON_LEN)?;
    for name in &t.allocate_to {
        required("Clinician to allocate to", name, MAX_NAME_LEN)?;
    }
    let distinct: HashSet<&str> = t.allocate_to.iter().map(|n| n.trim()).collect();
    if distinct.len() != t.allocate_to.len() {
        return Err(ValidationError::Rule { why: "a clinician is named twice in the allocation; name each once" });
    }
    match t.decision {
        TriageDecision::Accept if t.allocate_to.is_empty() => {
            return Err(ValidationError::Rule { why: "accepting a referral allocates it: name at least one clinician of the team" })
        }
        TriageDecision::Accept if t.allocate_to.len() > MAX_ALLOCATED => {
            return Err(ValidationError::Rule { why: "allocate a case to at most six clinicians" })
        }
        TriageDecision::Accept => {}
        _ if !t.allocate_to.is_empty() => {
            return Err(ValidationError::Rule { why: "only an accepted referral is allocated; leave the clinicians out, or accept it" })
        }
        TriageDecision::Decline if t.reason.as_deref().is_none_or(|r| r.trim().is_empty()) => {
            return Err(ValidationError::Rule { why: "say why the referral is declined, so the referrer and any later review can see it" })
        }
        _ => {}
    }
    if t.supersedes.contains(&t.triage_id) {
        return Err(ValidationError::Rule { why: "a triage decision cannot replace itself" });
    }
    Ok(())
}

/// The decisions that stand: those no other decision on the list replaces, in the order given.
pub fn standing<T: AsRef<ReferralTriaged>>(decisions: &[T]) -> Vec<&T> {
    let replaced: HashSet<Uuid> = decisions.iter().flat_map(|d| d.as_ref().supersedes.iter().copied()).collect();
    decisions.iter().filter(|d| !replaced.contains(&d.as_ref().triage_id)).collect()
}

/// Who holds the case according to triage: everyone named by a standing decision to accept (with
/// two standing decisions, both lists, so nobody loses a case while a person settles the
/// conflict). None when no decision has been made: triage has nothing to say yet.
pub fn holders<T: AsRef<ReferralTriaged>>(decisions: &[T]) -> Option<BTreeSet<String>> {
    if decisions.is_empty() {
        return None;
    }
    Some(
        standing(decisions)
            .into_iter()
            .filter(|d| d.as_ref().decision == TriageDecision::Accept)
            .flat_map(|d| d.as_ref().allocate_to.iter().map(|n| n.trim().to_string()))
            .collect(),
    )
}

/// The state of a referral with these decisions (in fold order).
pub fn state(decisions: &[Triage]) -> TriageState {
    let standing: Vec<&Triage> = standing(decisions);
    match standing.as_slice() {
        [] if decisions.is_empty() => TriageState::Awaiting,
        // Every decision replaced by another (a cycle, which no honest laptop writes): show them all.
        [] => TriageState::Conflict { decisions: decisions.to_vec() },
        [one] => TriageState::Decided { decision: (*one).clone() },
        many => TriageState::Conflict { decisions: many.iter().map(|d| (*d).clone()).collect() },
    }
}

impl AsRef<ReferralTriaged> for ReferralTriaged {
    fn as_ref(&self) -> &ReferralTriaged {
        self
    }
}

impl AsRef<ReferralTriaged> for Triage {
    fn as_ref(&self) -> &ReferralTriaged {
        &self.details
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decided(id: u128, decision: TriageDecision, to: &[&str], supersedes: &[u128]) -> ReferralTriaged {
        ReferralTriaged {
            triage_id: Uuid::from_u128(id),
            referral_id: Uuid::from_u128(99),
            decision,
            on: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            allocate_to: to.iter().map(|s| s.to_string()).collect(),
            reason: (decision == TriageDecision::Decline).then(|| "Outside the area".into()),
            supersedes: supersedes.iter().map(|i| Uuid::from_u128(*i)).collect(),
        }
    }

    #[test]
    fn two_decisions_made_without_seeing_each_other_both_stand_until_one_replaces_them() {
        let a = decided(1, TriageDecision::Accept, &["sam"], &[]);
        let b = decided(2, TriageDecision::Decline, &[], &[]);
        assert_eq!(standing(&[a.clone(), b.clone()]).len(), 2);
        // While they conflict, the accepted clinicians keep the case.
        assert_eq!(holders(&[a.clone(), b.clone()]), Some(BTreeSet::from(["sam".to_string()])));
        let settle = decided(3, TriageDecision::Accept, &["alex"], &[1, 2]);
        assert_eq!(standing(&[a.clone(), b.clone(), settle.clone()]), vec![&settle]);
        assert_eq!(holders(&[a, b, settle]), Some(BTreeSet::from(["alex".to_string()])));
    }

    #[test]
    fn no_decision_says_nothing_about_who_holds_the_case_and_a_decline_takes_it_from_everyone() {
        assert_eq!(holders::<ReferralTriaged>(&[]), None);
        assert_eq!(holders(&[decided(1, TriageDecision::Decline, &[], &[])]), Some(BTreeSet::new()));
    }

    #[test]
    fn accepting_names_a_clinician_and_declining_gives_a_reason() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert!(validate_triage(&decided(1, TriageDecision::Accept, &[], &[]), today).is_err());
        assert!(validate_triage(&decided(1, TriageDecision::Accept, &["sam", "sam"], &[]), today).is_err());
        assert!(validate_triage(&decided(1, TriageDecision::Signpost, &["sam"], &[]), today).is_err());
        let mut decline = decided(1, TriageDecision::Decline, &[], &[]);
        decline.reason = Some("  ".into());
        assert!(validate_triage(&decline, today).is_err());
        assert!(validate_triage(&decided(1, TriageDecision::Accept, &["sam", "alex"], &[]), today).is_ok());
        assert!(validate_triage(&decided(1, TriageDecision::Decline, &[], &[]), today).is_ok());
        assert!(validate_triage(&decided(1, TriageDecision::Accept, &["sam"], &[1]), today).is_err());
    }

    #[test]
    fn decisions_read_back_from_their_words() {
        for d in TriageDecision::ALL {
            assert_eq!(d.word().parse::<TriageDecision>(), Ok(d));
        }
        assert!("allocate".parse::<TriageDecision>().unwrap_err().contains("choose accept"));
    }
}

//! What may enter a case's record at all, whoever sends it: the rules the central store checks on
//! every event before storing it, and that any replica can check again.
//!
//! The fold already shows anything it cannot place, but a record that a forged or buggy event can
//! reach is only as safe as every laptop's fold. These rules make the central store refuse such an
//! event at the door instead: an immutable thing (a signed note, an addendum, the case's opening, a
//! referral, a measure…) is created exactly once; an addendum refers to a note already signed in
//! the same case; no date is before 1900 or beyond the allowed clock skew.

use crate::event::{Event, EventBody};
use chrono::{DateTime, NaiveDate, Utc};
use std::fmt;
use uuid::Uuid;

/// The first day any record may be about: a date before it is a typing or clock error.
pub const EARLIEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => panic!("1 January 1900 is a date"),
};

/// Something an event creates that a case may hold only once: a kind of thing and its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Claim {
    pub what: ClaimKind,
    pub id: Uuid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClaimKind {
    CaseOpened,
    Contact,
    SignedNote,
    Addendum,
    Referral,
    Consultation,
    Measure,
    RiskReview,
    Alert,
    Task,
    Supervision,
    Triage,
}

impl ClaimKind {
    fn key(self) -> &'static str {
        match self {
            ClaimKind::CaseOpened => "case_opened",
            ClaimKind::Contact => "contact",
            ClaimKind::SignedNote => "signed_note",
            ClaimKind::Addendum => "addendum",
            ClaimKind::Referral => "referral",
            ClaimKind::Consultation => "consultation",
            ClaimKind::Measure => "measure",
            ClaimKind::RiskReview => "risk_review",
            ClaimKind::Alert => "alert",
            ClaimKind::Task => "task",
            ClaimKind::Supervision => "supervision",
            ClaimKind::Triage => "triage",
        }
    }

    /// The thing, as a person would name it in a refusal.
    fn noun(self) -> &'static str {
        match self {
            ClaimKind::CaseOpened => "the case's opening",
            ClaimKind::Contact => "this contact",
            ClaimKind::SignedNote => "this note's signature",
            ClaimKind::Addendum => "this addendum",
            ClaimKind::Referral => "this referral",
            ClaimKind::Consultation => "this consultation",
            ClaimKind::Measure => "this questionnaire entry",
            ClaimKind::RiskReview => "this risk review",
            ClaimKind::Alert => "this alert",
            ClaimKind::Task => "this task",
            ClaimKind::Supervision => "this supervision record",
            ClaimKind::Triage => "this triage decision",
        }
    }
}

impl fmt::Display for Claim {
    /// The stable text a database keeps it under, e.g. `signed_note:0190…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.what.key(), self.id)
    }
}

impl Event {
    /// What this event creates that must exist only once in its case, if anything. Changes that
    /// may happen more than once (a detail, a status move, a task marked done) claim nothing.
    pub fn claim(&self) -> Option<Claim> {
        let (what, id) = match &self.body {
            EventBody::CaseOpened(_) => (ClaimKind::CaseOpened, self.case_id),
            EventBody::ContactRecorded(c) => (ClaimKind::Contact, c.contact_id),
            EventBody::NoteSigned(n) => (ClaimKind::SignedNote, n.note_id),
            EventBody::AddendumAdded(a) => (ClaimKind::Addendum, a.addendum_id),
            EventBody::ReferralReceived(r) => (ClaimKind::Referral, r.referral_id),
            EventBody::ConsultationRecorded(c) => (ClaimKind::Consultation, c.consultation_id),
            EventBody::MeasureRecorded(m) => (ClaimKind::Measure, m.measure_id),
            EventBody::RiskAssessed(r) => (ClaimKind::RiskReview, r.assessment_id),
            EventBody::AlertRaised(a) => (ClaimKind::Alert, a.alert_id),
            EventBody::TaskAdded(t) => (ClaimKind::Task, t.task_id),
            EventBody::SupervisionRecorded(s) => (ClaimKind::Supervision, s.supervision_id),
            EventBody::ReferralTriaged(t) => (ClaimKind::Triage, t.triage_id),
            _ => return None,
        };
        Some(Claim { what, id })
    }

    /// What must already be in the case for this event to make sense: an addendum is added to a
    /// note that was signed.
    pub fn requires(&self) -> Option<Claim> {
        match &self.body {
            EventBody::AddendumAdded(a) => Some(Claim { what: ClaimKind::SignedNote, id: a.note_id }),
            // A triage decides a referral the case holds, never one it does not.
            EventBody::ReferralTriaged(t) => Some(Claim { what: ClaimKind::Referral, id: t.referral_id }),
            _ => None,
        }
    }
}

/// Why an event cannot enter the record: a stable code and a sentence a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    pub fn already_held(claim: Claim) -> Refusal {
        Refusal {
            code: match claim.what {
                ClaimKind::SignedNote => "already_signed",
                _ => "already_recorded",
            },
            message: match claim.what {
                ClaimKind::SignedNote => {
                    "This note was already signed; a signed note never changes, so add an addendum instead.".to_string()
                }
                what => format!("The record already holds {}; it is made once and never replaced.", what.noun()),
            },
        }
    }

    pub fn missing(claim: Claim) -> Refusal {
        Refusal {
            code: match claim.what {
                ClaimKind::Referral => "unknown_referral",
                _ => "unknown_note",
            },
            message: match claim.what {
                ClaimKind::SignedNote => {
                    "This addendum is for a note the team's record does not hold as signed; it cannot be attached.".to_string()
                }
                what => format!("The record does not hold {}, which this entry refers to.", what.noun()),
            },
        }
    }
}

/// Checks an event's own times against the receiving clock: written no earlier than 1900 and no
/// later than `now` plus the allowed skew. Ordering never trusts these times; this only keeps
/// impossible ones out of the record people read.
pub fn check_times(e: &Event, now: DateTime<Utc>, max_drift_ms: u64) -> Result<(), Refusal> {
    let horizon_ms = now.timestamp_millis().max(0) as u64 + max_drift_ms;
    if e.hlc.wall_ms > horizon_ms {
        let hours = (e.hlc.wall_ms - now.timestamp_millis().max(0) as u64) / 3_600_000;
        return Err(Refusal {
            code: "future_timestamp",
            message: format!(
                "The entry is dated about {hours} hours ahead of the central store's clock; correct the laptop's date and time, then send it again."
            ),
        });
    }
    let latest = now + chrono::Duration::milliseconds(max_drift_ms as i64);
    if e.recorded_at.date_naive() < EARLIEST_DATE || e.recorded_at > latest {
        return Err(Refusal {
            code: "impossible_date",
            message: format!(
                "The entry says it was written on {}, which cannot be right; correct the laptop's date and time.",
                e.recorded_at.format("%-d %B %Y")
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{AddendumAdded, NoteSigned};
    use crate::testing::Laptop;
    use chrono::TimeZone;

    fn note(laptop: &mut Laptop, case: Uuid, note_id: Uuid) -> Event {
        laptop.write_at(
            case,
            1_700_000_000_000,
            EventBody::NoteSigned(NoteSigned {
                note_id,
                contact_id: None,
                occurred_on: NaiveDate::from_ymd_opt(2023, 11, 14).unwrap(),
                text: "Fictional note.".into(),
            }),
        )
    }

    #[test]
    fn a_signature_claims_its_note_and_an_addendum_requires_it() {
        let mut l = Laptop::new("clin.a");
        let (case, note_id) = (Uuid::new_v4(), Uuid::new_v4());
        let signed = note(&mut l, case, note_id);
        assert_eq!(signed.claim(), Some(Claim { what: ClaimKind::SignedNote, id: note_id }));
        assert_eq!(signed.requires(), None);
        let addendum = l.write_at(
            case,
            1_700_000_000_001,
            EventBody::AddendumAdded(AddendumAdded { addendum_id: Uuid::new_v4(), note_id, reason: "r".into(), text: "t".into() }),
        );
        assert_eq!(addendum.requires(), signed.claim());
        assert_eq!(signed.claim().unwrap().to_string(), format!("signed_note:{note_id}"));
        assert_eq!(Refusal::already_held(signed.claim().unwrap()).code, "already_signed");
    }

    #[test]
    fn times_before_1900_or_past_the_skew_are_refused() {
        let mut l = Laptop::new("clin.a");
        let now = Utc.with_ymd_and_hms(2026, 12, 3, 9, 0, 0).unwrap();
        let mut e = note(&mut l, Uuid::new_v4(), Uuid::new_v4());
        assert!(check_times(&e, now, crate::DEFAULT_MAX_DRIFT_MS).is_ok());
        e.recorded_at = Utc.with_ymd_and_hms(1899, 12, 31, 23, 0, 0).unwrap();
        assert_eq!(check_times(&e, now, crate::DEFAULT_MAX_DRIFT_MS).unwrap_err().code, "impossible_date");
        e.recorded_at = now + chrono::Duration::days(5);
        assert_eq!(check_times(&e, now, crate::DEFAULT_MAX_DRIFT_MS).unwrap_err().code, "impossible_date");
        e.recorded_at = now;
        e.hlc.wall_ms = (now + chrono::Duration::days(5)).timestamp_millis() as u64;
        assert_eq!(check_times(&e, now, crate::DEFAULT_MAX_DRIFT_MS).unwrap_err().code, "future_timestamp");
    }
}

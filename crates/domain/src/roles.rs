//! What the team's admin staff may see and write: the referral, the family's contact details and
//! the appointments they book, never clinical notes, measures or the risk narrative. One list,
//! used by the central store both for what it sends an admin's laptop and for what it takes in
//! from one, so the two cannot drift apart.

use crate::event::{Event, EventBody};
use crate::vocab::ReferralStatus;

/// The kinds of entry an admin's laptop receives.
pub const ADMIN_SEES: [&str; 8] = [
    "case_opened",
    "referral_received",
    "referral_status_changed",
    "referral_triaged",
    "referral_taken_on",
    "person_recorded",
    "detail_changed",
    "contact_planned",
];

/// Whether an admin's laptop may receive this kind of entry.
pub fn admin_sees(kind: &str) -> bool {
    ADMIN_SEES.contains(&kind)
}

/// Whether admin staff may write this entry: logging a referral for the team's inbox (its
/// opening, the referral, the family's people and contact details), recording that the referrer
/// was acknowledged or the family contacted, and booking appointments. Never a triage, a note,
/// a measure, a risk review, an alert or a discharge.
pub fn admin_may_write(e: &Event) -> bool {
    match &e.body {
        EventBody::CaseOpened(c) => c.to_team_inbox,
        EventBody::ReferralReceived(_) | EventBody::PersonRecorded(_) | EventBody::DetailChanged(_) | EventBody::ContactPlanned(_) => true,
        EventBody::ReferralStatusChanged(s) => matches!(s.status, ReferralStatus::Acknowledged | ReferralStatus::Contacted),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_an_admin_sees_is_a_kind_this_version_reads() {
        for kind in ADMIN_SEES {
            assert!(EventBody::KINDS.contains(&kind), "{kind}");
        }
        for kind in ["note_signed", "note_drafted", "measure_recorded", "risk_assessed", "contact_recorded", "alert_raised", "supervision_recorded", "addendum_added"] {
            assert!(!admin_sees(kind), "{kind} is clinical");
        }
    }
}

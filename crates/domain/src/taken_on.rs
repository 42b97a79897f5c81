//! A referral the eligibility check found not eligible has no first-contact deadline: nobody is
//! due to contact a family the service is not going to see. The rules cannot know everything (a
//! family about to move into the area, a baby a day past the limit with a strong reason to see
//! them), so a person may take the referral on anyway; the deadline then counts from that
//! decision, not from the day the referral arrived, and the decision says who made it and why.

use crate::event::{not_future, required, ValidationError, MAX_REASON_LEN};
use crate::profile::EligibilityResult;
use crate::record::Referral;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

/// A person decided to take on a referral the eligibility check found not eligible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ReferralTakenOn {
    pub referral_id: Uuid,
    /// The day of the decision, from which the first-contact deadline counts.
    pub on: NaiveDate,
    /// Why the service is seeing the family after all.
    pub reason: String,
    /// The first-contact deadline counted from `on`, as shown when the decision was made (none
    /// when the service sets no target).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_contact_due: Option<NaiveDate>,
}

/// The decision, with who made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TakenOn {
    pub details: ReferralTakenOn,
    pub by: String,
}

pub(crate) fn validate_taken_on(t: &ReferralTakenOn, today: NaiveDate) -> Result<(), ValidationError> {
    not_future("Date of the decision", t.on, today)?;
    required("Reason for taking it on", &t.reason, MAX_REASON_LEN)?;
    if t.first_contact_due.is_some_and(|due| due < t.on) {
        return Err(ValidationError::Rule { why: "the first-contact deadline cannot be before the decision it counts from" });
    }
    Ok(())
}

impl Referral {
    /// The first-contact deadline that applies: the one counted from a decision to take the
    /// referral on; none for a referral found not eligible that nobody has taken on (whatever an
    /// older version wrote at intake); otherwise the one shown at intake.
    pub fn first_contact_due(&self) -> Option<NaiveDate> {
        match (&self.taken_on, &self.details.eligibility) {
            (Some(t), _) => t.details.first_contact_due,
            (None, EligibilityResult::NotEligible { .. }) => None,
            (None, _) => self.details.first_contact_due,
        }
    }

    /// Whether a person may take this referral on despite the check: it was found not eligible,
    /// nobody has taken it on yet, and it has not been closed.
    pub fn can_be_taken_on(&self) -> bool {
        matches!(self.details.eligibility, EligibilityResult::NotEligible { .. })
            && self.taken_on.is_none()
            && !self.status.is_final()
    }
}

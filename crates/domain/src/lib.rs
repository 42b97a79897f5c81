//! Casebook's clinical domain, as pure code.
//!
//! - [`admission`]: what may enter a case's record at all (created once, addenda to signed notes,
//!   possible dates), checked by the central store on every event.
//! - [`age`]: infants' ages (and corrected age for prematurity) and weeks of pregnancy, from dates.
//! - [`clock`]: the hybrid logical clock that orders events without trusting a laptop's wall clock.
//! - [`event`]: the immutable event envelope, the event kinds and their validation.
//! - [`fold`]: the deterministic fold from a case's events to its current state.
//! - [`header`]: what the top of a case says at a glance (ages, risk, deadline, alerts), and form vocabularies.
//! - [`nhs_number`]: NHS numbers, checked with the Modulus 11 check digit and shown 3-3-4.
//! - [`profile`]: service profiles (each team's rules as data) and the referral eligibility check.
//! - [`retention`]: how long a case's record is kept under the Records Management Code of Practice
//!   (2021), and which rule says so. Nothing is ever deleted because of it.
//! - [`risk_to_review`]: a risk item answered above zero stays flagged until a risk review follows it.
//! - [`roles`]: what admin staff may see and write (referral, contact details, appointments).
//! - [`record`]: referrals, consultations, people, planned visits, measures, risk, alerts, tasks, discharge.
//! - [`session_record`]: the session record headings for each kind of contact, and the note text they make.
//! - [`supervision`]: case supervision by the lead, with agreed actions that become tasks.
//! - [`taken_on`]: a referral found not eligible taken on anyway by a person, and the deadline that applies.
//! - [`inbox`]: the team's inbox (referrals waiting for triage) and waiting list, and silent laptops.
//! - [`team`]: the lead's view of the team (caseloads, waiting list, silent laptops, recent alerts).
//! - [`triage`]: the lead's decision on a referral in the team's inbox, and who then holds the case.
//! - `testing` (the `testing` feature, for tests and benches only): a fictional laptop that writes events.
//! - [`vocab`]: referral reasons, referrer roles, referral status moves, consultation outcomes, THRIVE.

pub mod admission;
pub mod age;
pub mod clock;
pub mod event;
pub mod fold;
pub mod header;
pub mod nhs_number;
pub mod printable;
pub mod profile;
pub mod record;
pub mod retention;
pub mod roles;
pub mod risk_to_review;
pub mod session_record;
pub mod strength;
pub mod supervision;
pub mod inbox;
pub mod taken_on;
pub mod team;
pub mod triage;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod vocab;

pub use admission::{check_times, Claim, ClaimKind, Refusal, EARLIEST_DATE};
pub use clock::{ClockError, Hlc, HybridClock, DEFAULT_MAX_DRIFT_MS};
pub use event::*;
pub use fold::*;
pub use header::{vocabulary, AlertLine, CaseHeader, Choice, DueDateRange, FirstContact, PersonLine, Vocabulary};
pub use record::*;
pub use taken_on::{ReferralTakenOn, TakenOn};
pub use supervision::{AgreedAction, Supervision, SupervisionRecorded};
pub use inbox::{InboxEntry, WaitingEntry};
pub use triage::{ReferralTriaged, Triage, TriageDecision, TriageState};
pub use risk_to_review::{RiskAnswer, RiskToReview};
pub use retention::{retention, Retention, RetentionRule, RuleApplied};
pub use printable::printable;
pub use strength::{passphrase_strength, PassphraseStrength, MIN_PASSPHRASE_CHARS};
pub use session_record::{render_session_template, session_template, session_templates, SessionHeading, SessionTemplate};
pub use age::{
    age, check_due_date, corrected_age, pregnancy_weeks, Age, AgeError, AgeParts, CorrectedAge, Gestation, Pregnancy,
    DUE_DATE_MOST_DAYS_AHEAD, DUE_DATE_MOST_DAYS_PASSED,
};
pub use nhs_number::{CheckedNhsNumber, NhsNumber, NhsNumberError};
pub use profile::{
    check_eligibility, AgeLimit, CrisisRoute, Eligibility, EligibilityResult, ProfileError, ReferralFacts, ResidenceRule,
    ServiceProfile,
};
pub use vocab::{
    can_move, check_move, next_statuses, ConsultationOutcome, ReasonGroup, ReferralReason, ReferralStatus, ReferrerRole,
    StatusError, ThriveGroup,
};

//! The small fixed vocabularies of a referral and a case: reasons for referral, who referred,
//! where a referral has got to, what came of a consultation, and the THRIVE grouping.
//!
//! Each is an enum rather than free text so that reports can count them and every laptop shows the
//! same words; the JSON ids (snake_case) are stable and never reused, the labels are for people and
//! may be reworded. (Attendance outcomes live with contacts, in [`crate::event::AttendanceOutcome`].)

use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;
use ts_rs::TS;

/// The three checklists a referral's reasons are grouped in, as on the Wigan BABS referral page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ReasonGroup {
    Infant,
    ParentOrProfessionalConcern,
    AdditionalVulnerabilities,
}

impl ReasonGroup {
    pub const ALL: [ReasonGroup; 3] =
        [ReasonGroup::Infant, ReasonGroup::ParentOrProfessionalConcern, ReasonGroup::AdditionalVulnerabilities];

    pub fn label(self) -> &'static str {
        match self {
            ReasonGroup::Infant => "Infant",
            ReasonGroup::ParentOrProfessionalConcern => "Parent or professional concern",
            ReasonGroup::AdditionalVulnerabilities => "Additional vulnerabilities",
        }
    }

    /// This group's reasons, in checklist order.
    pub fn reasons(self) -> impl Iterator<Item = ReferralReason> {
        ReferralReason::ALL.into_iter().filter(move |r| r.group() == self)
    }
}

/// One ticked reason for referral. A referral also has free text for anything not listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ReferralReason {
    // Infant
    InfantAnxiousOrDistressed,
    PoorSignsOfAttachment,
    CurrentAdversityAbuseOrTrauma,
    DevelopmentalDelay,
    BornPrematurely,
    // Parent or professional concern
    StrugglingWithPregnancyOrParenting,
    IntensifyingPreviousTraumaOrMentalHealth,
    LackOfBonding,
    AmbivalenceTowardsPregnancyOrInfant,
    UnableToRespondToInfantCues,
    NegativityOrHostilityTowardsInfant,
    PreviousAttachmentDifficulties,
    // Additional vulnerabilities
    HistoryOfAcesOrTrauma,
    MentalHealthProblemsBeforeConception,
    PreviousChildrenRemoved,
    TeenageOrYoungParent,
}

impl ReferralReason {
    /// Every reason, grouped and in checklist order.
    pub const ALL: [ReferralReason; 16] = [
        ReferralReason::InfantAnxiousOrDistressed,
        ReferralReason::PoorSignsOfAttachment,
        ReferralReason::CurrentAdversityAbuseOrTrauma,
        ReferralReason::DevelopmentalDelay,
        ReferralReason::BornPrematurely,
        ReferralReason::StrugglingWithPregnancyOrParenting,
        ReferralReason::IntensifyingPreviousTraumaOrMentalHealth,
        ReferralReason::LackOfBonding,
        ReferralReason::AmbivalenceTowardsPregnancyOrInfant,
        ReferralReason::UnableToRespondToInfantCues,
        ReferralReason::NegativityOrHostilityTowardsInfant,
        ReferralReason::PreviousAttachmentDifficulties,
        ReferralReason::HistoryOfAcesOrTrauma,
        ReferralReason::MentalHealthProblemsBeforeConception,
        ReferralReason::PreviousChildrenRemoved,
        ReferralReason::TeenageOrYoungParent,
    ];

    pub fn label(self) -> &'static str {
        use ReferralReason::*;
        match self {
            InfantAnxiousOrDistressed => "Looks anxious, tense, distressed or fearful",
            PoorSignsOfAttachment => "Poor signs of attachment",
            CurrentAdversityAbuseOrTrauma => "Current adverse childhood experiences, abuse or trauma",
            DevelopmentalDelay => "Developmental delay",
            BornPrematurely => "Born prematurely",
            StrugglingWithPregnancyOrParenting => "Struggling with pregnancy or being a parent",
            IntensifyingPreviousTraumaOrMentalHealth => {
                "Pregnancy or parenting intensifying previous trauma or mental health difficulties"
            }
            LackOfBonding => "Lack of bonding antenatally or after birth",
            AmbivalenceTowardsPregnancyOrInfant => "Ambivalence towards pregnancy/infant",
            UnableToRespondToInfantCues => "Unable to recognise and respond to infant cues",
            NegativityOrHostilityTowardsInfant => "Negativity or hostility towards infant or unborn child",
            PreviousAttachmentDifficulties => "Previous attachment difficulties",
            HistoryOfAcesOrTrauma => "History of ACEs or trauma",
            MentalHealthProblemsBeforeConception => "Mild/moderate/severe mental health problems before conception",
            PreviousChildrenRemoved => "Previous children removed from care",
            TeenageOrYoungParent => "Teenage or young parent",
        }
    }

    pub fn group(self) -> ReasonGroup {
        use ReferralReason::*;
        match self {
            InfantAnxiousOrDistressed | PoorSignsOfAttachment | CurrentAdversityAbuseOrTrauma | DevelopmentalDelay
            | BornPrematurely => ReasonGroup::Infant,
            StrugglingWithPregnancyOrParenting
            | IntensifyingPreviousTraumaOrMentalHealth
            | LackOfBonding
            | AmbivalenceTowardsPregnancyOrInfant
            | UnableToRespondToInfantCues
            | NegativityOrHostilityTowardsInfant
            | PreviousAttachmentDifficulties => ReasonGroup::ParentOrProfessionalConcern,
            HistoryOfAcesOrTrauma | MentalHealthProblemsBeforeConception | PreviousChildrenRemoved | TeenageOrYoungParent => {
                ReasonGroup::AdditionalVulnerabilities
            }
        }
    }
}

/// The referrer's job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ReferrerRole {
    Midwife,
    HealthVisitor,
    Gp,
    PerinatalTeam,
    SocialWorker,
    Other,
}

impl ReferrerRole {
    pub const ALL: [ReferrerRole; 6] = [
        ReferrerRole::Midwife,
        ReferrerRole::HealthVisitor,
        ReferrerRole::Gp,
        ReferrerRole::PerinatalTeam,
        ReferrerRole::SocialWorker,
        ReferrerRole::Other,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ReferrerRole::Midwife => "Midwife",
            ReferrerRole::HealthVisitor => "Health visitor",
            ReferrerRole::Gp => "GP",
            ReferrerRole::PerinatalTeam => "Perinatal team",
            ReferrerRole::SocialWorker => "Social worker",
            ReferrerRole::Other => "Other",
        }
    }
}

/// Where a referral has got to.
///
/// The usual path is received → acknowledged → contacted → accepted, declined or signposted.
/// A referral that is clearly outside the service (the wrong area, a child too old) may be
/// declined or signposted straight from received or acknowledged, without contacting the family.
/// Accepted, declined and signposted are final: what happens next is the case's business
/// (contacts, discharge), and a referral that comes back is a new referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ReferralStatus {
    Received,
    Acknowledged,
    Contacted,
    Accepted,
    Declined,
    Signposted,
}

impl ReferralStatus {
    pub const ALL: [ReferralStatus; 6] = [
        ReferralStatus::Received,
        ReferralStatus::Acknowledged,
        ReferralStatus::Contacted,
        ReferralStatus::Accepted,
        ReferralStatus::Declined,
        ReferralStatus::Signposted,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ReferralStatus::Received => "Received",
            ReferralStatus::Acknowledged => "Acknowledged",
            ReferralStatus::Contacted => "Contacted",
            ReferralStatus::Accepted => "Accepted",
            ReferralStatus::Declined => "Declined",
            ReferralStatus::Signposted => "Signposted",
        }
    }

    /// No move leads out of this status.
    pub fn is_final(self) -> bool {
        next_statuses(self).is_empty()
    }

    /// Moving to this status needs a reason written down: a declined referral must say why, so the
    /// referrer and any later review can see it.
    pub fn requires_reason(self) -> bool {
        self == ReferralStatus::Declined
    }
}

impl fmt::Display for ReferralStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The statuses a referral may move to from `from`, in the order to offer them.
pub fn next_statuses(from: ReferralStatus) -> &'static [ReferralStatus] {
    use ReferralStatus::*;
    match from {
        Received => &[Acknowledged, Declined, Signposted],
        Acknowledged => &[Contacted, Declined, Signposted],
        Contacted => &[Accepted, Declined, Signposted],
        Accepted | Declined | Signposted => &[],
    }
}

/// Whether a referral may move from `from` to `to` (staying put is not a move).
pub fn can_move(from: ReferralStatus, to: ReferralStatus) -> bool {
    next_statuses(from).contains(&to)
}

/// Why a referral cannot move to the status asked for.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StatusError {
    #[error("a referral that is {} cannot be marked {}; it can next be {allowed}", .from.label().to_lowercase(), .to.label().to_lowercase())]
    NotAllowed { from: ReferralStatus, to: ReferralStatus, allowed: String },
    #[error("a referral that is {} is closed and cannot be marked {}; if the family is referred again, log a new referral", .from.label().to_lowercase(), .to.label().to_lowercase())]
    Closed { from: ReferralStatus, to: ReferralStatus },
    #[error("give a reason for declining the referral; the referrer will be told it")]
    ReasonRequired,
}

/// Checks a move with the reason given for it: the move must be allowed, and declining needs a
/// non-blank reason.
pub fn check_move(from: ReferralStatus, to: ReferralStatus, reason: Option<&str>) -> Result<(), StatusError> {
    if !can_move(from, to) {
        if from.is_final() {
            return Err(StatusError::Closed { from, to });
        }
        let mut names: Vec<String> = next_statuses(from).iter().map(|s| s.label().to_lowercase()).collect();
        let last = names.pop().unwrap_or_default();
        let allowed = if names.is_empty() { last } else { format!("{} or {last}", names.join(", ")) };
        return Err(StatusError::NotAllowed { from, to, allowed });
    }
    if to.requires_reason() && reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(StatusError::ReasonRequired);
    }
    Ok(())
}

/// What came of a professional's request for consultation about a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ConsultationOutcome {
    AdviceGiven,
    ReferralInvited,
    JointWork,
}

impl ConsultationOutcome {
    pub const ALL: [ConsultationOutcome; 3] =
        [ConsultationOutcome::AdviceGiven, ConsultationOutcome::ReferralInvited, ConsultationOutcome::JointWork];

    pub fn label(self) -> &'static str {
        match self {
            ConsultationOutcome::AdviceGiven => "Advice given",
            ConsultationOutcome::ReferralInvited => "Referral invited",
            ConsultationOutcome::JointWork => "Joint work",
        }
    }
}

/// The THRIVE framework grouping for a family's current needs, used for shared risk support.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ThriveGroup {
    GettingAdvice,
    GettingHelp,
    GettingMoreHelp,
    GettingRiskSupport,
}

impl ThriveGroup {
    pub const ALL: [ThriveGroup; 4] =
        [ThriveGroup::GettingAdvice, ThriveGroup::GettingHelp, ThriveGroup::GettingMoreHelp, ThriveGroup::GettingRiskSupport];

    pub fn label(self) -> &'static str {
        match self {
            ThriveGroup::GettingAdvice => "Getting Advice",
            ThriveGroup::GettingHelp => "Getting Help",
            ThriveGroup::GettingMoreHelp => "Getting More Help",
            ThriveGroup::GettingRiskSupport => "Getting Risk Support",
        }
    }
}

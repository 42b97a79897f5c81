//! The structured session record: for each kind of contact, the headings a clinician writes a
//! note under (observation of parent–infant interaction, what was discussed, risk, plan, …), in
//! order, each with a short prompt saying what belongs there.
//!
//! The headings go into the note as plain text, so a signed note stays one readable, searchable
//! record; [`SessionTemplate::text`] is exactly what the app's *Use the session record headings*
//! and `casebook template` put in a note.

use crate::event::ContactType;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One heading of a session record, and what the clinician writes under it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SessionHeading {
    /// "Risk": written into the note followed by a colon.
    pub heading: String,
    /// One plain sentence on what belongs under the heading.
    pub prompt: String,
}

/// The session record headings for one kind of contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SessionTemplate {
    pub contact_type: ContactType,
    /// In the order they appear in the note.
    pub headings: Vec<SessionHeading>,
    /// The headings as note text, exactly as they are put in a note: each heading and a colon on
    /// its own line, with a blank line under it to write in.
    pub text: String,
}

const OBSERVATION: (&str, &str) = (
    "Observation of parent–infant interaction",
    "How parent and baby were together: attunement, eye contact, touch, and how the baby's cues were noticed and answered.",
);
const DISCUSSED: (&str, &str) =
    ("What was discussed", "What the parent brought, the themes explored, and how the parent responded.");
const RISK: (&str, &str) = (
    "Risk",
    "Any risk to parent or baby seen, disclosed or reported, safeguarding concerns and what was done; say so if none known.",
);
const PLAN: (&str, &str) =
    ("Plan", "What happens next: the next contact, actions agreed, and who does what by when.");
const SESSION_CONTENT: (&str, &str) =
    ("Session content", "The theme and activities of the session, and how this family took part.");
const CALL_SUMMARY: (&str, &str) =
    ("Summary of the call", "Who took part, what was discussed, and how parent and baby are.");
const QUESTION: (&str, &str) =
    ("Question from the professional", "Who asked, their role, and what they wanted advice about.");
const ADVICE: (&str, &str) = ("Advice given", "The advice given and the reasons for it.");

/// The headings and prompts for a kind of contact, in order. Every kind ends with risk and plan.
pub fn session_headings(contact_type: ContactType) -> &'static [(&'static str, &'static str)] {
    match contact_type {
        ContactType::HomeVisit | ContactType::HubVisit | ContactType::DropIn | ContactType::JointVisit => {
            &[OBSERVATION, DISCUSSED, RISK, PLAN]
        }
        ContactType::GroupSession => &[SESSION_CONTENT, OBSERVATION, RISK, PLAN],
        ContactType::Telephone | ContactType::Video => &[CALL_SUMMARY, RISK, PLAN],
        ContactType::ProfessionalsConsultation => &[QUESTION, ADVICE, RISK, PLAN],
    }
}

/// The headings as note text: each heading and a colon on its own line, a blank line between
/// headings for the clinician to write in, and a final newline.
///
/// `render_session_template(ContactType::Telephone)` is `"Summary of the call:\n\nRisk:\n\nPlan:\n"`.
pub fn render_session_template(contact_type: ContactType) -> String {
    session_headings(contact_type).iter().map(|(heading, _)| format!("{heading}:\n")).collect::<Vec<_>>().join("\n")
}

/// The session record template for a kind of contact.
pub fn session_template(contact_type: ContactType) -> SessionTemplate {
    SessionTemplate {
        contact_type,
        headings: session_headings(contact_type)
            .iter()
            .map(|(heading, prompt)| SessionHeading { heading: heading.to_string(), prompt: prompt.to_string() })
            .collect(),
        text: render_session_template(contact_type),
    }
}

/// Every kind of contact's template, in [`ContactType::ALL`] order.
pub fn session_templates() -> Vec<SessionTemplate> {
    ContactType::ALL.iter().map(|&t| session_template(t)).collect()
}

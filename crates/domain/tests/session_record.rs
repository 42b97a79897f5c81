//! The structured session record: the headings each kind of contact's note is written under.

use casebook_domain::{render_session_template, session_template, session_templates, vocabulary, ContactType};

fn headings(t: ContactType) -> Vec<String> {
    session_template(t).headings.into_iter().map(|h| h.heading).collect()
}

#[test]
fn every_contact_type_has_a_template_in_order() {
    let all = session_templates();
    assert_eq!(all.iter().map(|t| t.contact_type).collect::<Vec<_>>(), ContactType::ALL);
    for t in &all {
        assert!(t.headings.len() >= 3, "{:?} has too few headings", t.contact_type);
        for h in &t.headings {
            assert!(!h.heading.is_empty() && !h.heading.ends_with(':'), "{:?}: {:?}", t.contact_type, h.heading);
            assert!(h.prompt.len() > 10 && h.prompt.ends_with('.'), "{:?}: prompt for {} is not a sentence", t.contact_type, h.heading);
        }
        assert_eq!(t.text, render_session_template(t.contact_type));
    }
}

#[test]
fn every_template_ends_with_risk_then_plan() {
    for t in ContactType::ALL {
        let h = headings(t);
        assert_eq!(&h[h.len() - 2..], ["Risk", "Plan"], "{t:?}");
        assert!(session_template(t).text.ends_with("Risk:\n\nPlan:\n"), "{t:?}");
    }
}

#[test]
fn face_to_face_contacts_start_with_observation_of_the_parent_infant_interaction() {
    for t in [ContactType::HomeVisit, ContactType::HubVisit, ContactType::DropIn, ContactType::JointVisit] {
        assert_eq!(headings(t), ["Observation of parent–infant interaction", "What was discussed", "Risk", "Plan"], "{t:?}");
    }
    assert!(headings(ContactType::GroupSession).contains(&"Observation of parent–infant interaction".to_string()));
    assert_eq!(headings(ContactType::Telephone), ["Summary of the call", "Risk", "Plan"]);
    assert_eq!(headings(ContactType::Video), headings(ContactType::Telephone));
    assert_eq!(headings(ContactType::ProfessionalsConsultation), ["Question from the professional", "Advice given", "Risk", "Plan"]);
}

#[test]
fn rendering_is_exactly_the_text_put_in_a_note() {
    // The app's note editor and `casebook template` insert this text as it is; the E2E test looks
    // for the first line.
    assert_eq!(
        render_session_template(ContactType::HomeVisit),
        "Observation of parent–infant interaction:\n\nWhat was discussed:\n\nRisk:\n\nPlan:\n"
    );
    assert_eq!(
        render_session_template(ContactType::GroupSession),
        "Session content:\n\nObservation of parent–infant interaction:\n\nRisk:\n\nPlan:\n"
    );
    assert_eq!(render_session_template(ContactType::Telephone), "Summary of the call:\n\nRisk:\n\nPlan:\n");
}

#[test]
fn the_vocabulary_carries_the_templates_to_the_app() {
    assert_eq!(vocabulary().session_templates, session_templates());
    let json = serde_json::to_value(session_template(ContactType::HomeVisit)).unwrap();
    assert_eq!(json["contact_type"], "home_visit");
    assert_eq!(json["headings"][0]["heading"], "Observation of parent–infant interaction");
    assert!(json["headings"][0]["prompt"].as_str().unwrap().contains("baby"));
    assert_eq!(json["text"], render_session_template(ContactType::HomeVisit));
}

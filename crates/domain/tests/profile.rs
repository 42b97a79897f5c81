//! Service profiles and the eligibility check, with worked examples for each shipped profile.

use casebook_domain::{check_eligibility, AgeLimit, EligibilityResult, ProfileError, ReferralFacts, ResidenceRule, ServiceProfile};
use chrono::NaiveDate;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn sefton() -> ServiceProfile {
    ServiceProfile::shipped_by_id("sefton-babs").unwrap()
}

fn wigan() -> ServiceProfile {
    ServiceProfile::shipped_by_id("wigan-babs").unwrap()
}

fn facts(pregnant: Option<bool>, dobs: &[&str], residence: Option<bool>) -> ReferralFacts {
    ReferralFacts { pregnant, infant_dobs: dobs.iter().map(|s| d(s)).collect(), residence_confirmed: residence }
}

const RECEIVED: &str = "2025-06-10";

fn check(p: &ServiceProfile, f: ReferralFacts) -> EligibilityResult {
    check_eligibility(p, &f, d(RECEIVED))
}

#[test]
fn shipped_profiles_match_the_service_pages() {
    let all = ServiceProfile::shipped();
    assert_eq!(all.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["sefton-babs", "wigan-babs"]);

    let s = sefton();
    assert_eq!(s.name, "Sefton BABS");
    assert!(s.eligibility.pregnant_eligible);
    assert_eq!(s.eligibility.infant_age_limit, Some(AgeLimit::UpToMonths(3)));
    assert_eq!(s.eligibility.residence, ResidenceRule::LivesIn { area: "Sefton".into() });
    assert_eq!(s.first_contact_working_days, None);
    assert_eq!(s.settings_offered, ["Home", "Family Hub", "Wellbeing Hub"]);
    assert_eq!(s.crisis_route, None);

    let w = wigan();
    assert_eq!(w.name, "Wigan BABS");
    assert!(w.eligibility.pregnant_eligible);
    assert_eq!(w.eligibility.infant_age_limit, Some(AgeLimit::UnderMonths(36)));
    assert_eq!(w.eligibility.residence, ResidenceRule::RegisteredWithGpIn { area: "Wigan".into() });
    assert_eq!(w.first_contact_working_days, Some(5));
    assert_eq!(w.settings_offered, ["Home visits", "Drop-in sessions", "Group sessions", "One-to-one"]);
    let crisis = w.crisis_route.unwrap();
    assert_eq!((crisis.name.as_str(), crisis.phone.as_str()), ("Mental Health Urgent Response Team", "01942 764 467"));
    assert_eq!(crisis.hours, "24 hours a day");
    assert_eq!(ServiceProfile::shipped_by_id("nowhere-babs"), None);
}

#[test]
fn profiles_round_trip_through_json() {
    for p in ServiceProfile::shipped() {
        let json = serde_json::to_string_pretty(&p).unwrap();
        assert_eq!(ServiceProfile::from_json(&json).unwrap(), p);
    }
}

// Sefton: pregnant or an infant up to 3 months, living in Sefton.

#[test]
fn sefton_pregnant_parent_living_in_sefton_is_eligible() {
    let r = check(&sefton(), facts(Some(true), &[], Some(true)));
    assert_eq!(r.summary(), "Eligible: the parent is pregnant; the family lives in Sefton.");
}

#[test]
fn sefton_two_month_old_is_eligible() {
    // Born 8 April, referred 10 June: 2 months, which under 13 weeks is shown in weeks.
    let r = check(&sefton(), facts(Some(false), &["2025-04-08"], Some(true)));
    assert!(r.is_eligible(), "{r:?}");
    assert_eq!(
        r.summary(),
        "Eligible: the infant is 9 weeks old (Sefton BABS takes referrals for infants up to 3 months old); the family lives in Sefton."
    );
}

#[test]
fn sefton_four_month_old_is_not_eligible_and_says_why() {
    let r = check(&sefton(), facts(Some(false), &["2025-02-10"], Some(true)));
    assert_eq!(
        r.summary(),
        "Not eligible: the infant is 4 months old, 4 weeks 3 days past the limit; Sefton BABS takes referrals for infants up to 3 months old."
    );
}

#[test]
fn sefton_limit_includes_the_day_the_infant_turns_three_months() {
    assert!(check(&sefton(), facts(Some(false), &["2025-03-10"], Some(true))).is_eligible());
    let r = check(&sefton(), facts(Some(false), &["2025-03-09"], Some(true)));
    assert_eq!(
        r.summary(),
        "Not eligible: the infant is 3 months old, 1 day past the limit; Sefton BABS takes referrals for infants up to 3 months old."
    );
}

/// Found in review: born 30 November, referred 1 March. Three months on from 30 November is 28
/// February (no 30th), so the infant is a day past the limit although the age reads "3 months":
/// the sentence says by how much, so it never contradicts itself.
#[test]
fn a_day_past_the_limit_at_the_end_of_a_short_month_says_so() {
    let r = check_eligibility(&sefton(), &facts(Some(false), &["2025-11-30"], Some(true)), d("2026-03-01"));
    assert_eq!(
        r.summary(),
        "Not eligible: the infant is 3 months old, 1 day past the limit; Sefton BABS takes referrals for infants up to 3 months old."
    );
}

#[test]
fn sefton_older_infant_with_a_new_pregnancy_is_eligible_through_the_pregnancy() {
    let r = check(&sefton(), facts(Some(true), &["2024-01-01"], Some(true)));
    assert_eq!(r.summary(), "Eligible: the parent is pregnant; the family lives in Sefton.");
}

#[test]
fn sefton_older_infant_with_pregnancy_unknown_asks_the_question() {
    let r = check(&sefton(), facts(None, &["2025-02-10"], Some(true)));
    assert!(matches!(r, EligibilityResult::NeedsMoreInformation { .. }), "{r:?}");
    assert!(r.reasons()[0].ends_with("confirm whether the parent is pregnant, as a pregnancy would make the family eligible"));
}

#[test]
fn sefton_residence_unknown_needs_more_information() {
    let r = check(&sefton(), facts(Some(true), &[], None));
    assert_eq!(r.summary(), "More information needed: confirm whether the family lives in Sefton.");
}

#[test]
fn sefton_family_living_elsewhere_is_not_eligible() {
    let r = check(&sefton(), facts(Some(true), &[], Some(false)));
    assert_eq!(
        r.summary(),
        "Not eligible: the family does not live in Sefton; Sefton BABS only takes referrals for families living in Sefton."
    );
}

// Wigan: pregnant or a child under 3 years, registered with a Wigan GP.

#[test]
fn wigan_pregnant_parent_registered_with_a_wigan_gp_is_eligible() {
    let r = check(&wigan(), facts(Some(true), &[], Some(true)));
    assert_eq!(r.summary(), "Eligible: the parent is pregnant; the parent is registered with a Wigan GP.");
}

#[test]
fn wigan_child_of_2_years_11_months_is_eligible() {
    let r = check(&wigan(), facts(None, &["2022-07-01"], Some(true)));
    assert!(r.is_eligible(), "{r:?}");
    assert!(r.reasons()[0].starts_with("the infant is 2 years 11 months old"), "{r:?}");
    // The day before the third birthday is still under 3.
    assert!(check(&wigan(), facts(None, &["2022-06-11"], Some(true))).is_eligible());
}

#[test]
fn wigan_child_of_exactly_3_years_is_not_eligible() {
    let r = check(&wigan(), facts(Some(false), &["2022-06-10"], Some(true)));
    assert_eq!(
        r.summary(),
        "Not eligible: the infant is 3 years old, 1 day past the limit; Wigan BABS takes referrals for infants under 3 years old."
    );
}

#[test]
fn wigan_parent_not_registered_with_a_wigan_gp_is_not_eligible() {
    let r = check(&wigan(), facts(Some(true), &[], Some(false)));
    assert_eq!(
        r.summary(),
        "Not eligible: the parent is not registered with a Wigan GP; Wigan BABS only takes referrals for parents registered with a Wigan GP."
    );
}

#[test]
fn wigan_gp_unknown_needs_more_information() {
    let r = check(&wigan(), facts(None, &["2024-06-01"], None));
    assert_eq!(r.summary(), "More information needed: confirm whether the parent is registered with a Wigan GP.");
}

#[test]
fn age_is_taken_on_the_day_the_referral_was_received() {
    // 2 months 4 weeks when received; well over 3 months by the time anyone looks at it.
    let f = facts(Some(false), &["2025-03-12"], Some(true));
    assert!(check_eligibility(&sefton(), &f, d("2025-06-10")).is_eligible());
    assert!(!check_eligibility(&sefton(), &f, d("2025-07-10")).is_eligible());
}

#[test]
fn the_youngest_of_several_infants_decides() {
    let r = check(&sefton(), facts(Some(false), &["2023-05-01", "2025-05-01"], Some(true)));
    assert!(r.is_eligible());
    assert!(r.reasons()[0].starts_with("the youngest infant is 5 weeks 5 days old"), "{r:?}");
}

#[test]
fn nothing_known_asks_for_everything_missing() {
    let r = check(&wigan(), ReferralFacts::default());
    assert_eq!(
        r.summary(),
        "More information needed: confirm whether the parent is pregnant, or give the infant's date of birth; confirm whether the parent is registered with a Wigan GP."
    );
    let r = check(&wigan(), facts(Some(false), &[], Some(true)));
    assert_eq!(r.summary(), "More information needed: the parent is not pregnant: give the infant's date of birth.");
}

#[test]
fn a_date_of_birth_after_the_referral_is_queried() {
    let r = check(&sefton(), facts(Some(false), &["2025-06-11"], Some(true)));
    assert_eq!(
        r.summary(),
        "More information needed: the infant's date of birth (2025-06-11) is after the referral was received (2025-06-10); check the date of birth."
    );
}

#[test]
fn not_eligible_outweighs_unknowns() {
    let r = check(&sefton(), facts(None, &[], Some(false)));
    assert!(matches!(r, EligibilityResult::NotEligible { .. }));
    assert_eq!(r.reasons().len(), 1);
}

const CUSTOM: &str = r#"{
  "id": "example-pimhs",
  "name": "Example PIMHS",
  "eligibility": {
    "pregnant_eligible": false,
    "infant_age_limit": { "up_to_months": 24 },
    "residence": { "rule": "none" }
  },
  "first_contact_working_days": 10,
  "settings_offered": ["Clinic"],
  "crisis_route": { "name": "Example Crisis Line", "phone": "0800 000 0000", "hours": "9am to 5pm" }
}"#;

#[test]
fn a_team_can_load_its_own_profile() {
    let p = ServiceProfile::from_json(CUSTOM).unwrap();
    assert_eq!(p.eligibility.infant_age_limit, Some(AgeLimit::UpToMonths(24)));
    assert_eq!(p.eligibility.residence, ResidenceRule::None);
    // No residence rule: only the infant's age matters.
    let r = check(&p, facts(None, &["2024-01-01"], None));
    assert_eq!(
        r.summary(),
        "Eligible: the infant is 17 months 1 week old (Example PIMHS takes referrals for infants up to 2 years old)."
    );
    // This service does not take pregnant parents.
    let r = check(&p, facts(Some(true), &[], None));
    assert_eq!(
        r.summary(),
        "Not eligible: Example PIMHS does not take referrals during pregnancy; refer again once the baby is born."
    );
    let r = check(&p, facts(None, &[], None));
    assert_eq!(r.summary(), "More information needed: give the infant's date of birth.");
    // Optional fields may be left out altogether.
    let minimal = r#"{"id":"min","name":"Minimal","eligibility":{"pregnant_eligible":true,"residence":{"rule":"none"}}}"#;
    let p = ServiceProfile::from_json(minimal).unwrap();
    assert_eq!((p.first_contact_working_days, &p.crisis_route, p.settings_offered.len()), (None, &None, 0));
    assert!(check(&p, facts(Some(false), &["2015-01-01"], None)).is_eligible(), "no age limit");
}

fn with(change: impl Fn(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value = serde_json::from_str(CUSTOM).unwrap();
    change(&mut v);
    v.to_string()
}

fn error_for(change: impl Fn(&mut serde_json::Value)) -> String {
    ServiceProfile::from_json(&with(change)).unwrap_err().to_string()
}

#[test]
fn bad_profiles_are_refused_with_the_field_named() {
    assert_eq!(error_for(|v| v["id"] = "".into()), "the service profile's id is empty; please fill it in");
    assert_eq!(
        error_for(|v| v["id"] = "Example PIMHS".into()),
        "the service profile's id must be lower-case letters, digits and dashes only, like \"wigan-babs\""
    );
    assert_eq!(error_for(|v| v["name"] = "  ".into()), "the service profile's name is empty; please fill it in");
    assert_eq!(
        error_for(|v| v["eligibility"]["infant_age_limit"] = serde_json::json!({ "up_to_months": 0 })),
        "the service profile's eligibility.infant_age_limit is 0 months; it must be between 1 and 60 months"
    );
    assert_eq!(
        error_for(|v| v["eligibility"]["infant_age_limit"] = serde_json::json!({ "under_months": 360 })),
        "the service profile's eligibility.infant_age_limit is 360 months; it must be between 1 and 60 months"
    );
    assert_eq!(
        error_for(|v| v["eligibility"]["residence"] = serde_json::json!({ "rule": "lives_in", "area": "" })),
        "the service profile's eligibility.residence.area is empty; please fill it in"
    );
    assert!(error_for(|v| v["first_contact_working_days"] = 0.into())
        .starts_with("the service profile's first_contact_working_days is 0; it must be between 1 and 60 working days"));
    assert_eq!(
        error_for(|v| v["settings_offered"] = serde_json::json!(["Clinic", ""])),
        "the service profile's settings_offered (item 2) is empty; please fill it in"
    );
    assert_eq!(
        error_for(|v| v["crisis_route"]["phone"] = "call the team".into()),
        "the service profile's crisis_route.phone must be a phone number, like \"01942 764 467\""
    );
    assert_eq!(
        error_for(|v| v["crisis_route"]["hours"] = "".into()),
        "the service profile's crisis_route.hours is empty; please fill it in"
    );
}

#[test]
fn unreadable_profiles_say_what_is_wrong() {
    let err = ServiceProfile::from_json("{ not json").unwrap_err();
    assert!(matches!(err, ProfileError::Unreadable { .. }));
    assert!(err.to_string().starts_with("the service profile could not be read: "), "{err}");
    // A misspelt field is refused, not ignored.
    let err = error_for(|v| {
        let days = v.as_object_mut().unwrap().remove("first_contact_working_days").unwrap();
        v["first_contact_workingdays"] = days;
    });
    assert!(err.contains("unknown field `first_contact_workingdays`"), "{err}");
    let err = error_for(|v| {
        v.as_object_mut().unwrap().remove("name");
    });
    assert!(err.contains("missing field `name`"), "{err}");
    let err = error_for(|v| v["eligibility"]["residence"] = serde_json::json!({ "rule": "lives_near", "area": "X" }));
    assert!(err.contains("lives_near"), "{err}");
}

#[test]
fn first_contact_deadlines_count_working_days_across_easter_and_christmas() {
    let calendar = casebook_calendar::WorkingDays::england_and_wales();
    let w = wigan();
    // Thursday before Easter 2026: Good Friday and Easter Monday do not count.
    assert_eq!(w.first_contact_deadline(d("2026-04-02"), &calendar), Some(d("2026-04-13")));
    // Christmas 2026 (Christmas Day a Friday, Boxing Day substitute Monday 28th) into 2027.
    assert_eq!(w.first_contact_deadline(d("2026-12-23"), &calendar), Some(d("2027-01-04")));
    // A referral received on a Saturday counts from the Monday.
    assert_eq!(w.first_contact_deadline(d("2026-11-21"), &calendar), Some(d("2026-11-27")));
    // An ordinary week.
    assert_eq!(w.first_contact_deadline(d("2026-11-16"), &calendar), Some(d("2026-11-23")));
    // Sefton sets no target of its own: the team's.
    assert_eq!(sefton().first_contact_deadline(d("2026-11-16"), &calendar), None);
}

#[test]
fn a_family_is_given_only_their_own_services_crisis_route() {
    let shipped = ServiceProfile::shipped();
    // Wigan's route is Wigan's.
    let wigan_route = ServiceProfile::crisis_route_for(&shipped, Some("wigan-babs")).expect("Wigan sets a route");
    assert_eq!(wigan_route.phone, "01942 764 467");
    // Sefton has not set one: nothing, and certainly not Wigan's number.
    assert_eq!(ServiceProfile::crisis_route_for(&shipped, Some("sefton-babs")), None);
    // A case opened without a referral does not know its service.
    assert_eq!(ServiceProfile::crisis_route_for(&shipped, None), None);
    // A referral to a service this laptop does not know (a profile file removed since).
    assert_eq!(ServiceProfile::crisis_route_for(&shipped, Some("somewhere-else")), None);
}

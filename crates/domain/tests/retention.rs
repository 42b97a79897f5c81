//! How long a case's record is kept: worked examples of each rule of the Records Management Code
//! of Practice (2021) retention schedule that applies to a parent-infant case, the longest one
//! winning, and the dates where the Code is silent. All families and dates are fictional.

use casebook_domain::retention::{age_in_years, years_after};
use casebook_domain::testing::Laptop;
use casebook_domain::*;
use chrono::NaiveDate;
use uuid::Uuid;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Entries are written on 24 November 2026 (the laptop's clock), whatever day they are about.
const T0: u64 = 1_795_514_400_000; // 2026-11-24 10:00 UTC

struct Case {
    id: Uuid,
    laptop: Laptop,
    events: Vec<Event>,
}

impl Case {
    fn opened(due_date: Option<&str>, infant: Option<(&str, &str)>) -> Case {
        let mut case = Case { id: Uuid::now_v7(), laptop: Laptop::new("clinician.one"), events: Vec::new() };
        case.write(EventBody::CaseOpened(CaseOpened {
            family_name: "Testfamily".into(),
            parent: Some(Person { name: "Parent Fictional".into() }),
            due_date: due_date.map(d),
            infant: infant.map(|(name, dob)| Infant { name: Some(name.into()), date_of_birth: d(dob) }),
            to_team_inbox: false,
        }));
        case
    }

    fn write(&mut self, body: EventBody) {
        let at = T0 + self.events.len() as u64 * 60_000;
        self.events.push(self.laptop.write_at(self.id, at, body));
    }

    fn contact(&mut self, date: &str) -> &mut Self {
        self.write(EventBody::ContactRecorded(casebook_domain::testing::attended_home_visit(d(date))));
        self
    }

    fn person(&mut self, role: PersonRole, name: &str, dob: Option<&str>) -> &mut Self {
        self.write(EventBody::PersonRecorded(PersonRecorded {
            date_of_birth: dob.map(d),
            ..casebook_domain::testing::person_recorded(role, name)
        }));
        self
    }

    fn discharged(&mut self, on: &str) -> &mut Self {
        self.write(EventBody::CaseDischarged(CaseDischarged {
            on: d(on),
            reason: DischargeReason::GoalsMet,
            summary: "Fictional discharge summary.".into(),
        }));
        self
    }

    fn retention(&self) -> Retention {
        retention(&fold(self.id, &self.events))
    }
}

fn rule(r: &Retention, which: RetentionRule) -> &RuleApplied {
    r.rules.iter().find(|x| x.rule == which).unwrap_or_else(|| panic!("no {which:?} rule in {r:#?}"))
}

#[test]
fn a_childs_record_is_kept_until_their_25th_birthday() {
    let mut case = Case::opened(None, None);
    case.person(PersonRole::Infant, "Baby Fictional", Some("2026-02-02")).contact("2026-03-01").discharged("2026-11-20");
    let r = case.retention();
    let child = rule(&r, RetentionRule::ChildsRecord);
    assert_eq!(child.until, d("2051-02-02"));
    assert_eq!(child.sentence, "Child's record (Baby Fictional, born 2 February 2026): until their 25th birthday, 2 February 2051.");
    assert!(child.won, "the child's rule is listed first, so it wins the tie with maternity");
    assert_eq!(r.keep_until, Some(d("2051-02-02")));
    assert_eq!(r.summary, "Keep until 2 February 2051 (child's record: 25th birthday)");
    assert_eq!(r.provisional, None, "discharged, with the birth recorded: settled");
}

#[test]
fn a_child_who_was_17_at_the_end_of_care_is_kept_until_their_26th_birthday() {
    let mut case = Case::opened(None, None);
    // An older sibling seen with the family (fictional): 17 on the day of discharge.
    case.person(PersonRole::Infant, "Sibling Fictional", Some("2009-06-01")).contact("2026-09-01").discharged("2026-11-20");
    let r = case.retention();
    let child = rule(&r, RetentionRule::ChildsRecord);
    assert_eq!(child.until, d("2035-06-01"));
    assert_eq!(
        child.sentence,
        "Child's record (Sibling Fictional, born 1 June 2009): until their 26th birthday, 1 June 2035, as they were 17 at the end of care (the discharge on 20 November 2026)."
    );
    // 18 by the end of care: the usual 25th birthday.
    let mut older = Case::opened(None, None);
    older.person(PersonRole::Infant, "Sibling Fictional", Some("2008-06-01")).discharged("2026-11-20");
    assert_eq!(rule(&older.retention(), RetentionRule::ChildsRecord).until, d("2033-06-01"));
    // Not discharged: the last contact is the end of care so far.
    let mut open = Case::opened(None, None);
    open.person(PersonRole::Infant, "Sibling Fictional", Some("2009-06-01")).contact("2026-07-01");
    assert_eq!(rule(&open.retention(), RetentionRule::ChildsRecord).until, d("2035-06-01"));
}

#[test]
fn a_parents_mental_health_record_is_kept_20_years_after_the_last_contact() {
    let mut case = Case::opened(None, None);
    case.contact("2026-03-01").contact("2026-06-15").discharged("2026-06-10");
    let r = case.retention();
    // The entries were written on 24 November 2026, after the contacts and the discharge: the
    // record was in use until then.
    let mh = rule(&r, RetentionRule::MentalHealth);
    assert_eq!(mh.until, d("2046-11-24"));
    assert_eq!(
        mh.sentence,
        "Parent's mental health record: 20 years after the last entry written on the record (24 November 2026), 24 November 2046."
    );
    assert!(mh.won);
    assert_eq!(r.rules.len(), 1, "no child and no pregnancy: only the mental health rule applies");
}

#[test]
fn the_mental_health_rule_counts_from_the_latest_of_contact_discharge_and_entry() {
    // Written on 24 November 2026 about a contact and a discharge on later days (a laptop's clock
    // set wrong); the latest day wins, and on a tie the discharge names it.
    let mut case = Case::opened(None, None);
    case.contact("2026-11-25");
    assert_eq!(
        rule(&case.retention(), RetentionRule::MentalHealth).sentence,
        "Parent's mental health record: 20 years after the last contact (25 November 2026), 25 November 2046."
    );
    case.discharged("2026-11-25");
    assert_eq!(rule(&case.retention(), RetentionRule::MentalHealth).short, "mental health record: 20 years after the discharge");
}

#[test]
fn a_maternity_record_is_kept_25_years_after_the_birth_of_the_last_child() {
    let mut case = Case::opened(None, Some(("Baby Fictional", "2025-12-24")));
    case.person(PersonRole::Infant, "Baby Fictional", Some("2025-12-24"))
        .person(PersonRole::Infant, "Twin Fictional", Some("2025-12-25"))
        .discharged("2026-11-20");
    let r = case.retention();
    let maternity = rule(&r, RetentionRule::Maternity);
    assert_eq!(maternity.until, d("2050-12-25"));
    assert_eq!(
        maternity.sentence,
        "Maternity record: 25 years after the birth of the last child (Twin Fictional, born 25 December 2025), 25 December 2050."
    );
    let children: Vec<NaiveDate> =
        r.rules.iter().filter(|x| x.rule == RetentionRule::ChildsRecord).map(|x| x.until).collect();
    assert_eq!(children, [d("2050-12-24"), d("2050-12-25")], "each child has their own line");
    // The younger twin's 25th birthday and the maternity rule give the same day: the child's rule,
    // listed first, is the one shown.
    assert_eq!(r.winner().unwrap().sentence, "Child's record (Twin Fictional, born 25 December 2025): until their 25th birthday, 25 December 2050.");
}

#[test]
fn before_the_birth_the_due_date_stands_in_provisionally() {
    let mut case = Case::opened(Some("2027-03-01"), None);
    case.contact("2026-11-20");
    let r = case.retention();
    let maternity = rule(&r, RetentionRule::Maternity);
    assert!(maternity.provisional);
    assert_eq!(maternity.until, d("2052-03-01"));
    assert_eq!(
        maternity.sentence,
        "Maternity record: 25 years after the birth. No birth is recorded yet, so the due date (1 March 2027) stands in: 1 March 2052, provisional until the baby's date of birth is recorded."
    );
    assert!(maternity.won);
    assert_eq!(r.summary, "Keep until 1 March 2052 (maternity record: 25 years after the birth, counted from the due date), provisional while the case is open");
    assert_eq!(
        r.provisional.as_deref(),
        Some("Provisional: the case is still open, so each new contact moves the date; no birth is recorded yet, so the due date stands in for it.")
    );
    // Once the baby is recorded, the birth replaces the due date.
    case.person(PersonRole::Infant, "Baby Fictional", Some("2026-11-22")).discharged("2026-11-23");
    let r = case.retention();
    assert!(!rule(&r, RetentionRule::Maternity).provisional);
    assert_eq!(rule(&r, RetentionRule::Maternity).until, d("2051-11-22"));
    assert_eq!(r.provisional, None);
}

#[test]
fn the_longest_rule_wins() {
    // A baby born long ago (fictional) and a parent seen recently: the mental health rule outlasts
    // the child's 25th birthday.
    let mut case = Case::opened(None, None);
    case.person(PersonRole::Infant, "Child Fictional", Some("2020-01-10")).contact("2026-11-20").discharged("2026-11-24");
    let r = case.retention();
    assert_eq!(rule(&r, RetentionRule::ChildsRecord).until, d("2045-01-10"));
    assert_eq!(rule(&r, RetentionRule::Maternity).until, d("2045-01-10"));
    assert_eq!(r.winner().unwrap().rule, RetentionRule::MentalHealth);
    assert_eq!(r.keep_until, Some(d("2046-11-24")));
    assert_eq!(r.rules.iter().filter(|x| x.won).count(), 1);
    assert_eq!(r.summary, "Keep until 24 November 2046 (mental health record: 20 years after the discharge)");
}

#[test]
fn an_open_case_shows_a_provisional_date() {
    let mut case = Case::opened(None, Some(("Baby Fictional", "2026-08-01")));
    case.contact("2026-11-20");
    let r = case.retention();
    assert_eq!(r.keep_until, Some(d("2051-08-01")));
    assert_eq!(r.summary, "Keep until 1 August 2051 (child's record: 25th birthday), provisional while the case is open");
    assert_eq!(r.provisional.as_deref(), Some("Provisional: the case is still open, so each new contact moves the date."));
    assert!(!r.past(d("2051-08-01")) && r.past(d("2051-08-02")), "past only after the day itself");
}

#[test]
fn a_birthday_on_29_february_falls_on_1_march_in_other_years() {
    assert_eq!(years_after(d("2028-02-29"), 25), d("2053-03-01"));
    assert_eq!(years_after(d("2028-02-29"), 24), d("2052-02-29"), "a leap year keeps the day");
    assert_eq!(age_in_years(d("2008-02-29"), d("2025-02-28")), 16);
    assert_eq!(age_in_years(d("2008-02-29"), d("2025-03-01")), 17);
    let mut case = Case::opened(None, None);
    case.person(PersonRole::Infant, "Leap Baby Fictional", Some("2024-02-29")).discharged("2026-11-20");
    assert_eq!(rule(&case.retention(), RetentionRule::ChildsRecord).until, d("2049-03-01"));
    // 17 at the end of care only from 1 March: discharged on 28 February, still 16.
    let mut sibling = Case::opened(None, None);
    sibling.person(PersonRole::Infant, "Leap Sibling Fictional", Some("2008-02-29")).discharged("2025-02-28");
    assert_eq!(rule(&sibling.retention(), RetentionRule::ChildsRecord).until, d("2033-03-01"));
    let mut sibling = Case::opened(None, None);
    sibling.person(PersonRole::Infant, "Leap Sibling Fictional", Some("2008-02-29")).discharged("2025-03-01");
    assert_eq!(rule(&sibling.retention(), RetentionRule::ChildsRecord).until, d("2034-03-01"));
}

#[test]
fn with_no_dates_known_there_is_no_date_and_it_says_why() {
    let r = retention(&CaseState::empty(Uuid::now_v7()));
    assert_eq!(r.keep_until, None);
    assert!(r.rules.is_empty() && r.winner().is_none());
    assert_eq!(
        r.unknown.as_deref(),
        Some("No keep-until date: nothing with a date is recorded on this case yet, so no rule of the retention schedule can be applied.")
    );
    assert!(!r.past(d("2100-01-01")), "an unknown date is never past");
}

#[test]
fn a_parent_without_a_baby_recorded_gets_no_childs_line() {
    let mut case = Case::opened(None, None);
    case.person(PersonRole::ParentOrCarer, "Young Parent Fictional", Some("2009-06-01")).discharged("2026-11-20");
    let r = case.retention();
    assert!(r.rules.iter().all(|x| x.rule == RetentionRule::MentalHealth), "{r:#?}");
}

#[test]
fn the_case_header_carries_the_retention_line() {
    let mut case = Case::opened(None, Some(("Baby Fictional", "2026-02-02")));
    case.discharged("2026-11-20");
    let header = CaseHeader::of(&fold(case.id, &case.events), d("2026-11-24"));
    assert_eq!(header.retention.summary, "Keep until 2 February 2051 (child's record: 25th birthday)");
    assert_eq!(header.retention, case.retention());
}

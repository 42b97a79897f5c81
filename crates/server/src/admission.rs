//! Which events of a push the central store takes in, decided in one place for both backends.
//!
//! Each backend gathers the facts (what it already holds, who may write to which case, which
//! claims are taken) inside its push transaction and calls [`decide`]; the decision is pure, so
//! SQLite and PostgreSQL cannot disagree. Every event gets its own answer: one refused event never
//! holds back the others.

use casebook_domain::{Claim, Event, Refusal};
use casebook_protocol::EventProblem;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// An event the central store already holds under the same id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldEvent {
    pub seq: u64,
    pub case_id: Uuid,
    pub content_hash: String,
    pub received_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The pushing user's standing on one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Standing {
    /// The central store has never seen the case.
    #[default]
    Unknown,
    /// The case is allocated to the user (or they lead its team).
    Holds,
    /// It was allocated to them and has been taken away. `told_up_to` is set once this laptop has
    /// been told: its own sequence number at that moment, so what it wrote before still counts.
    Removed { told_up_to: Option<u64> },
    /// Someone else's case.
    Other,
}

/// What a backend found before deciding.
#[derive(Debug, Default)]
pub struct Facts {
    pub held: HashMap<Uuid, HeldEvent>,
    pub standing: HashMap<Uuid, Standing>,
    /// Claims already taken, per case.
    pub claims: HashSet<(Uuid, Claim)>,
    /// Notes (case, note id) this laptop had begun before it was told their case was taken
    /// away: their signature may still follow. Backends fill it only for a signature that would
    /// otherwise be refused as written after the laptop knew.
    pub begun_before_told: HashSet<(Uuid, Uuid)>,
    /// The pushing user's team (username and role), read only when the batch holds a triage
    /// decision, whose allocation must name people of the team who may hold a case.
    pub team: HashMap<String, casebook_protocol::Role>,
    /// The pushing user is a named supervisor (read only when the batch holds a supervision).
    pub supervisor: bool,
}

/// Whether a batch needs [`Facts::supervisor`].
pub fn needs_supervisor(events: &[Event]) -> bool {
    events.iter().any(|e| matches!(e.body, casebook_domain::EventBody::SupervisionRecorded(_)))
}

/// Whether a batch needs [`Facts::team`].
pub fn needs_team(events: &[Event]) -> bool {
    events.iter().any(|e| matches!(e.body, casebook_domain::EventBody::ReferralTriaged(_)))
}

/// The notes whose signature in `events` would be refused as written after the laptop was told,
/// unless the note was begun before: what a backend looks up for `Facts::begun_before_told`,
/// with the device sequence number the draft must not exceed.
pub fn signatures_after_told(events: &[Event], facts: &Facts) -> Vec<(Uuid, Uuid, u64)> {
    events
        .iter()
        .filter_map(|e| match (&e.body, facts.standing.get(&e.case_id)) {
            (casebook_domain::EventBody::NoteSigned(n), Some(Standing::Removed { told_up_to: Some(limit) })) if e.device_seq > *limit => {
                Some((e.case_id, n.note_id, *limit))
            }
            _ => None,
        })
        .collect()
}

/// What to do with one event of the batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Already held with the same content: a retried push, a success.
    Held { seq: u64 },
    /// Store it. `new_case`: the first sight of its case, which joins the author's team.
    /// `late`: written by someone the case was taken from, before their laptop knew; kept, and
    /// flagged to the lead with this sentence.
    Store { new_case: bool, late: Option<String> },
    Refused(EventProblem),
}

fn problem(index: usize, e: &Event, code: &str, message: impl Into<String>) -> Decision {
    Decision::Refused(EventProblem { index, event_id: Some(e.id), code: code.into(), message: message.into() })
}

fn refused(index: usize, e: &Event, r: Refusal) -> Decision {
    problem(index, e, r.code, r.message)
}

/// A signature of a note this laptop had begun (its draft recorded) before it was told the case
/// was taken away: finishing that note is work from before the laptop knew.
fn begun_before(e: &Event, facts: &Facts) -> bool {
    matches!(&e.body, casebook_domain::EventBody::NoteSigned(n) if facts.begun_before_told.contains(&(e.case_id, n.note_id)))
}

/// The sentence a refused write to someone else's case gets. The same whether or not the case or
/// the event id exists, so a refusal never tells anyone what another team holds.
pub const NOT_YOURS: &str = "This case is not allocated to you, so entries for it cannot be sent; ask your team lead.";

/// The sentence a supervision from anyone but a lead gets.
pub const SUPERVISION_BY_LEAD: &str =
    "Only the team's lead or a named supervisor records case supervision, so this entry was not added to the team's record. It is kept on this laptop: ask your lead to record it.";

/// The sentence a clinical entry from admin staff gets.
pub const ADMIN_NOT_CLINICAL: &str = "Admin staff log referrals, contact details and appointments, not clinical entries, so this entry was not added to the team's record. It is kept on this laptop.";

/// The sentence a triage from anyone but a lead gets.
pub const TRIAGE_BY_LEAD: &str =
    "Only the team's lead triages referrals, so this decision was not added to the team's record. It is kept on this laptop: ask your lead to triage the referral.";

/// What a role may write, decided here and not on the laptop: a clinician's laptop could send a
/// supervision in the lead's words, an admin's a clinical note. None when the role may write it.
fn role_refusal(e: &Event, role: casebook_protocol::Role, facts: &Facts) -> Option<(&'static str, String)> {
    use casebook_domain::EventBody;
    use casebook_protocol::Role;
    if role == Role::Admin && !casebook_domain::roles::admin_may_write(e) {
        return Some(("admin_not_clinical", ADMIN_NOT_CLINICAL.into()));
    }
    match &e.body {
        EventBody::SupervisionRecorded(_) if role != Role::Lead && !facts.supervisor => {
            Some(("supervision_by_lead_only", SUPERVISION_BY_LEAD.into()))
        }
        EventBody::ReferralTriaged(_) if role != Role::Lead => Some(("triage_by_lead_only", TRIAGE_BY_LEAD.into())),
        EventBody::ReferralTriaged(t) => t.allocate_to.iter().find_map(|name| match facts.team.get(name.trim()) {
            Some(Role::Clinician | Role::Lead) => None,
            Some(Role::Admin) => Some((
                "not_a_clinician",
                format!("{name} is on the admin staff, who never hold cases, so this triage decision was not added to the team's record; allocate to a clinician."),
            )),
            None => Some((
                "not_on_team",
                format!("{name} is not on your team, so this triage decision was not added to the team's record; allocate to a clinician of your team."),
            )),
        }),
        _ => None,
    }
}

/// Decides every event of a batch, in order, as if each earlier one had already been stored.
/// `username` names the author in the late-write flag; `role` decides what only a lead may write.
pub fn decide(events: &[Event], facts: &Facts, username: &str, role: casebook_protocol::Role) -> Vec<Decision> {
    let mut standing = facts.standing.clone();
    let mut claims: HashSet<(Uuid, Claim)> = HashSet::new();
    let mut stored: HashMap<Uuid, usize> = HashMap::new();
    let mut out = Vec::with_capacity(events.len());
    for (index, e) in events.iter().enumerate() {
        // Access first: before anything is said about the event's id, so nobody learns whether
        // an id exists in a case they may not write to.
        let here = standing.get(&e.case_id).copied().unwrap_or_default();
        let late = match here {
            Standing::Holds => None,
            Standing::Other => {
                out.push(problem(index, e, "case_not_allowed", NOT_YOURS));
                continue;
            }
            Standing::Removed { told_up_to: Some(limit) } if e.device_seq > limit && !begun_before(e, facts) => {
                out.push(problem(
                    index,
                    e,
                    "allocation_ended",
                    "This case is no longer allocated to you and this laptop had already been told, so this entry was not added to the team's record. It is kept on this laptop: ask your team lead.",
                ));
                continue;
            }
            Standing::Removed { .. } => {
                Some(format!("Written by {username} after the case stopped being allocated to them, before their laptop had heard."))
            }
            Standing::Unknown => {
                // A case begins with its opening, on the laptop that opened it; anything else
                // for an unknown case is not for this team's record to start.
                if e.body.kind() != "case_opened" {
                    out.push(problem(
                        index,
                        e,
                        "unknown_case",
                        "The central store does not hold this case yet; it arrives with the laptop that opened it. This entry will be sent again then.",
                    ));
                    continue;
                }
                None
            }
        };
        if let Some((code, message)) = role_refusal(e, role, facts) {
            out.push(problem(index, e, code, message));
            continue;
        }
        if let Some(held) = facts.held.get(&e.id) {
            out.push(if held.content_hash == e.content_hash && held.case_id == e.case_id {
                Decision::Held { seq: held.seq }
            } else {
                problem(
                    index,
                    e,
                    "conflicting_event",
                    "An entry with this reference is already held with different content, so this one was not stored.",
                )
            });
            continue;
        }
        if stored.contains_key(&e.id) {
            out.push(problem(index, e, "repeated_in_batch", "The same entry appears twice in one batch."));
            continue;
        }
        if let Some(claim) = e.claim() {
            let key = (e.case_id, claim);
            if facts.claims.contains(&key) || claims.contains(&key) {
                out.push(refused(index, e, Refusal::already_held(claim)));
                continue;
            }
        }
        if let Some(needed) = e.requires() {
            let key = (e.case_id, needed);
            if !facts.claims.contains(&key) && !claims.contains(&key) {
                out.push(refused(index, e, Refusal::missing(needed)));
                continue;
            }
        }
        if let Some(claim) = e.claim() {
            claims.insert((e.case_id, claim));
        }
        let new_case = here == Standing::Unknown;
        if new_case {
            standing.insert(e.case_id, Standing::Holds);
        }
        stored.insert(e.id, index);
        out.push(Decision::Store { new_case, late });
    }
    out
}

#[cfg(test)]
mod tests {
    use casebook_protocol::Role;
    use super::*;
    use casebook_domain::testing::Laptop;
    use casebook_domain::{AddendumAdded, CaseOpened, EventBody, NoteSigned};
    use chrono::NaiveDate;

    const T0: u64 = 1_795_514_400_000;

    fn opened(l: &mut Laptop, case: Uuid) -> Event {
        l.write_at(case, T0, EventBody::CaseOpened(CaseOpened { family_name: "Testfamily".into(), parent: None, due_date: None, infant: None, to_team_inbox: false }))
    }

    fn signed(l: &mut Laptop, case: Uuid, note_id: Uuid, text: &str) -> Event {
        l.write_at(
            case,
            T0 + 1,
            EventBody::NoteSigned(NoteSigned {
                note_id,
                contact_id: None,
                occurred_on: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
                text: text.into(),
            }),
        )
    }

    fn codes(d: &[Decision]) -> Vec<&str> {
        d.iter()
            .map(|d| match d {
                Decision::Held { .. } => "held",
                Decision::Store { late: None, .. } => "store",
                Decision::Store { late: Some(_), .. } => "late",
                Decision::Refused(p) => p.code.as_str(),
            })
            .collect()
    }

    #[test]
    fn a_note_is_signed_once_per_case_even_within_one_batch() {
        let (mut a, case, note) = (Laptop::new("clin.a"), Uuid::new_v4(), Uuid::new_v4());
        let events = vec![opened(&mut a, case), signed(&mut a, case, note, "first"), signed(&mut a, case, note, "second")];
        assert_eq!(codes(&decide(&events, &Facts::default(), "clin.a", Role::Clinician)), ["store", "store", "already_signed"]);
        let mut facts = Facts::default();
        facts.standing.insert(case, Standing::Holds);
        facts.claims.insert((case, events[1].claim().unwrap()));
        assert_eq!(codes(&decide(&events[2..], &facts, "clin.a", Role::Clinician)), ["already_signed"]);
    }

    #[test]
    fn an_addendum_needs_its_signed_note_in_the_same_case() {
        let (mut a, case, note) = (Laptop::new("clin.a"), Uuid::new_v4(), Uuid::new_v4());
        let add = |a: &mut Laptop, note_id| {
            a.write_at(case, T0 + 2, EventBody::AddendumAdded(AddendumAdded { addendum_id: Uuid::new_v4(), note_id, reason: "r".into(), text: "t".into() }))
        };
        let events = vec![opened(&mut a, case), add(&mut a, note), signed(&mut a, case, note, "n"), add(&mut a, note)];
        assert_eq!(codes(&decide(&events, &Facts::default(), "clin.a", Role::Clinician)), ["store", "unknown_note", "store", "store"]);
    }

    #[test]
    fn access_is_decided_before_anything_is_said_about_an_id() {
        let (mut a, case) = (Laptop::new("clin.b"), Uuid::new_v4());
        let e = opened(&mut a, case);
        let mut facts = Facts::default();
        facts.standing.insert(case, Standing::Other);
        facts.held.insert(e.id, HeldEvent { seq: 1, case_id: case, content_hash: "other".into(), received_at: None });
        assert_eq!(codes(&decide(std::slice::from_ref(&e), &facts, "clin.b", Role::Clinician)), ["case_not_allowed"]);
    }

    #[test]
    fn after_an_allocation_ends_only_what_was_written_before_the_laptop_knew_is_taken() {
        let (mut a, case) = (Laptop::new("clin.a"), Uuid::new_v4());
        let _ = opened(&mut a, case);
        let before = signed(&mut a, case, Uuid::new_v4(), "written offline");
        let after = signed(&mut a, case, Uuid::new_v4(), "written after being told");
        let mut facts = Facts::default();
        facts.standing.insert(case, Standing::Removed { told_up_to: None });
        assert_eq!(codes(&decide(&[before.clone(), after.clone()], &facts, "clin.a", Role::Clinician)), ["late", "late"]);
        facts.standing.insert(case, Standing::Removed { told_up_to: Some(before.device_seq) });
        assert_eq!(codes(&decide(&[before.clone(), after.clone()], &facts, "clin.a", Role::Clinician)), ["late", "allocation_ended"]);
        // A note begun before the laptop was told may still be signed after.
        assert_eq!(signatures_after_told(&[before.clone(), after.clone()], &facts).len(), 1);
        let EventBody::NoteSigned(n) = &after.body else { unreachable!() };
        facts.begun_before_told.insert((case, n.note_id));
        assert_eq!(codes(&decide(&[before, after], &facts, "clin.a", Role::Clinician)), ["late", "late"]);
    }

    #[test]
    fn an_unknown_case_starts_only_with_its_opening() {
        let (mut a, case) = (Laptop::new("clin.a"), Uuid::new_v4());
        let open = opened(&mut a, case);
        let note = signed(&mut a, case, Uuid::new_v4(), "n");
        assert_eq!(codes(&decide(std::slice::from_ref(&note), &Facts::default(), "clin.a", Role::Clinician)), ["unknown_case"]);
        let d = decide(&[open, note], &Facts::default(), "clin.a", Role::Clinician);
        assert_eq!(d[0], Decision::Store { new_case: true, late: None });
        assert_eq!(d[1], Decision::Store { new_case: false, late: None });
    }

    #[test]
    fn only_a_lead_may_record_supervision() {
        let case = Uuid::new_v4();
        let mut lead = Laptop::new("lead.a");
        let open = opened(&mut lead, case);
        let supervision = lead.write_at(
            case,
            T0 + 1,
            EventBody::SupervisionRecorded(casebook_domain::SupervisionRecorded {
                supervision_id: Uuid::new_v4(),
                on: "2026-11-24".parse().unwrap(),
                with: vec!["clin.a".into()],
                discussion: "Fictional discussion.".into(),
                actions: vec![],
            }),
        );
        let events = [open, supervision];
        assert_eq!(codes(&decide(&events, &Facts::default(), "clin.a", Role::Clinician)), ["store", "supervision_by_lead_only"]);
        assert_eq!(codes(&decide(&events, &Facts::default(), "lead.a", Role::Lead)), ["store", "store"]);
    }
}

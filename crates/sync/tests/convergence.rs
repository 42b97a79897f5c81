//! Property-based proof that sync never loses or doubles a note.
//!
//! Four laptops (one clinician on two laptops, a second clinician, the team lead), clocks skewed by
//! up to ±48 hours, a real central store on loopback, and a fault-injecting proxy between them that
//! drops requests, cuts bodies half-way, loses answers after the server committed, and sends
//! requests twice. Random work and random partial syncs; then the faults stop and everyone syncs.
//! Afterwards every laptop's state of every case is identical, every event written anywhere is held
//! exactly once everywhere, and no signed note's text differs from what its author signed.

mod common;
mod fault;

use casebook_domain::{AttendanceOutcome, CaseOpened, ContactType, DetailField};
use casebook_server::api::ServiceConfig;
use casebook_store::{ContactInput, DraftInput, Store, WallClock};
use casebook_sync::{login, sync};
use common::*;
use fault::{Fault, FaultProxy};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use uuid::Uuid;

const LAPTOPS: [&str; 4] = ["clin.one", "clin.one", "clin.two", "lead.one"];

#[derive(Debug, Clone)]
enum Op {
    Open(usize),
    Note(usize, usize),
    Addendum(usize, usize),
    Phone(usize, usize, u16),
    Contact(usize, usize),
    Sync(usize, Fault, u64),
    /// The laptop's clock jumps back a day.
    ClockBack(usize),
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        3 => Just(Fault::Forward),
        1 => Just(Fault::CutBeforeRequest),
        1 => Just(Fault::CutMidBody),
        1 => Just(Fault::CutAfterCommit),
        1 => Just(Fault::Duplicate),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let r = 0..LAPTOPS.len();
    prop_oneof![
        1 => r.clone().prop_map(Op::Open),
        3 => (r.clone(), any::<usize>()).prop_map(|(r, c)| Op::Note(r, c)),
        1 => (r.clone(), any::<usize>()).prop_map(|(r, n)| Op::Addendum(r, n)),
        2 => (r.clone(), any::<usize>(), any::<u16>()).prop_map(|(r, c, v)| Op::Phone(r, c, v)),
        1 => (r.clone(), any::<usize>()).prop_map(|(r, c)| Op::Contact(r, c)),
        4 => (r.clone(), fault(), 0u64..6).prop_map(|(r, f, k)| Op::Sync(r, f, k)),
        1 => r.prop_map(Op::ClockBack),
    ]
}

struct Laptop {
    store: Store,
    clock: Arc<SkewedClock>,
    _dir: tempfile::TempDir,
}

fn held_cases(store: &Store) -> Vec<Uuid> {
    store.list_cases().unwrap().into_iter().map(|c| c.case_id).collect()
}

fn run(ops: Vec<Op>, skews: Vec<i64>) -> Result<(), TestCaseError> {
    let central = central(ServiceConfig::default());
    let proxy = FaultProxy::start(&central.url, |_| Fault::Forward);
    let mut laptops: Vec<Laptop> = LAPTOPS
        .iter()
        .zip(&skews)
        .map(|(user, skew)| {
            let clock = Arc::new(SkewedClock::new(*skew));
            let (dir, mut store) = laptop_with_clock(user, clock.clone());
            login(&mut store, &proxy.url, user, PASSWORD, "convergence laptop").unwrap();
            Laptop { store, clock, _dir: dir }
        })
        .collect();
    let mut opened: Vec<Uuid> = Vec::new();
    let mut signed: HashMap<Uuid, String> = HashMap::new();
    // Every case is shared with both clinicians (the lead sees the team's cases anyway), so every
    // laptop should end up holding every case.
    let share = |opened: &[Uuid]| {
        for case in opened {
            for user in ["clin.one", "clin.two"] {
                let _ = central.runtime.block_on(central.storage.allocate(*case, user));
            }
        }
    };

    for (step, op) in ops.into_iter().enumerate() {
        match op {
            Op::Open(r) => {
                let l = &mut laptops[r];
                let case = l
                    .store
                    .open_case(CaseOpened { family_name: format!("Testfamily-P{step}"), parent: None, due_date: None, infant: None, to_team_inbox: false })
                    .unwrap()
                    .case_id;
                opened.push(case);
            }
            Op::Note(r, c) => {
                let l = &mut laptops[r];
                let cases = held_cases(&l.store);
                if let Some(case) = cases.get(c % cases.len().max(1)) {
                    let text = format!("Fictional note {step} written on laptop {r}");
                    let note = l
                        .store
                        .sign_note(DraftInput { case_id: *case, note_id: None, contact_id: None, occurred_on: l.clock.today(), text: text.clone() })
                        .unwrap();
                    signed.insert(note.note_id, text);
                }
            }
            Op::Addendum(r, n) => {
                let l = &mut laptops[r];
                let notes: Vec<Uuid> =
                    held_cases(&l.store).iter().flat_map(|c| l.store.case(*c).unwrap().state.signed_notes).map(|n| n.note_id).collect();
                if let Some(note) = notes.get(n % notes.len().max(1)) {
                    l.store.add_addendum(*note, "Clarification", &format!("Addendum {step}")).unwrap();
                }
            }
            Op::Phone(r, c, v) => {
                let l = &mut laptops[r];
                let cases = held_cases(&l.store);
                if let Some(case) = cases.get(c % cases.len().max(1)) {
                    l.store.change_detail(*case, DetailField::Phone, Some(format!("01234 {v:06}"))).unwrap();
                }
            }
            Op::Contact(r, c) => {
                let l = &mut laptops[r];
                let cases = held_cases(&l.store);
                if let Some(case) = cases.get(c % cases.len().max(1)) {
                    let input = ContactInput::new(l.clock.today(), ContactType::HomeVisit, AttendanceOutcome::Attended);
                    l.store.record_contact(*case, input).unwrap();
                }
            }
            Op::ClockBack(r) => laptops[r].clock.shift(-86_400_000),
            Op::Sync(r, f, k) => {
                let start = proxy.requests.load(std::sync::atomic::Ordering::SeqCst);
                proxy.set_plan(move |n| if n == start + k { f } else { Fault::Forward });
                // A faulty sync may fail; the next one resumes. What matters is the end state.
                let _ = sync(&mut laptops[r].store);
                proxy.set_plan(|_| Fault::Forward);
                share(&opened);
            }
        }
    }

    // The network heals: everyone syncs until nothing moves.
    share(&opened);
    for _ in 0..3 {
        for l in laptops.iter_mut() {
            sync(&mut l.store).map_err(|e| TestCaseError::fail(format!("a fault-free sync failed: {e}")))?;
        }
        share(&opened);
    }

    let server_count = central.runtime.block_on(central.storage.event_count()).unwrap();
    let mut everywhere: BTreeSet<Uuid> = BTreeSet::new();
    for case in &opened {
        let server: BTreeSet<Uuid> =
            central.runtime.block_on(central.storage.case_events(*case)).unwrap().into_iter().map(|e| e.event.id).collect();
        let reference = laptops[0].store.case(*case).map_err(|e| TestCaseError::fail(format!("laptop 0 lacks case {case}: {e}")))?.state;
        for (i, l) in laptops.iter().enumerate() {
            let ids = l.store.case_event_ids(*case).unwrap();
            let unique: BTreeSet<Uuid> = ids.iter().copied().collect();
            prop_assert_eq!(ids.len(), unique.len(), "laptop {} holds an event twice", i);
            prop_assert_eq!(&unique, &server, "laptop {} and the central store hold different events for a case", i);
            prop_assert_eq!(&l.store.case(*case).unwrap().state, &reference, "laptop {} folds the case differently", i);
            prop_assert_eq!(l.store.outbox_len().unwrap(), 0, "laptop {} still has unsent events", i);
        }
        for note in &reference.signed_notes {
            prop_assert_eq!(Some(&note.text), signed.get(&note.note_id), "a signed note's text changed");
        }
        everywhere.extend(server);
    }
    prop_assert_eq!(server_count as usize, everywhere.len(), "the central store holds an event twice or one outside any case");
    let notes_everywhere: usize = opened.iter().map(|c| laptops[3].store.case(*c).unwrap().state.signed_notes.len()).sum();
    prop_assert_eq!(notes_everywhere, signed.len(), "every signed note arrived");
    let _ = BTreeMap::<u8, u8>::new();
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, max_shrink_iters: 20, ..ProptestConfig::default() })]
    #[test]
    fn every_laptop_converges_with_nothing_lost_or_doubled(
        ops in proptest::collection::vec(op(), 5..40),
        skews in proptest::collection::vec(-172_800_000i64..172_800_000, LAPTOPS.len()),
    ) {
        run(ops, skews)?;
    }
}

/// The hand-picked worst case: a laptop two days slow and one two days fast edit the same phone
/// number, every request of the first syncs is cut after the server committed, and every note
/// still arrives once.
#[test]
fn answers_lost_after_commit_and_skewed_clocks_still_converge() {
    let ops = vec![
        Op::Open(0),
        Op::Note(0, 0),
        Op::Sync(0, Fault::CutAfterCommit, 1),
        Op::Sync(0, Fault::Duplicate, 1),
        Op::Sync(2, Fault::Forward, 0),
        Op::Phone(2, 0, 7),
        Op::Phone(0, 0, 9),
        Op::Note(2, 0),
        Op::Sync(2, Fault::CutMidBody, 1),
        Op::Sync(0, Fault::CutAfterCommit, 1),
        Op::Addendum(3, 0),
        Op::Sync(3, Fault::CutBeforeRequest, 0),
    ];
    run(ops, vec![-172_800_000, 0, 172_800_000, 3_600_000]).unwrap();
}

/// A laptop whose clock says 1 January 2000, one three days fast, one three days slow whose clock
/// then jumps back another day: all of them converge, nothing lost or doubled.
#[test]
fn extreme_clocks_still_converge() {
    let year_2000 = chrono::DateTime::parse_from_rfc3339("2000-01-01T09:00:00Z").unwrap().timestamp_millis() - chrono::Utc::now().timestamp_millis();
    let day = 86_400_000;
    let ops = vec![
        Op::Open(0),
        Op::Note(0, 0),
        Op::Sync(0, Fault::Forward, 0),
        Op::Open(1),
        Op::Note(1, 0),
        Op::Phone(1, 0, 1),
        Op::Sync(1, Fault::CutAfterCommit, 1),
        Op::Sync(2, Fault::Forward, 0),
        Op::ClockBack(2),
        Op::Phone(2, 0, 2),
        Op::Note(2, 1),
        Op::Addendum(2, 0),
        Op::Sync(2, Fault::Duplicate, 1),
        Op::Phone(0, 0, 3),
        Op::Addendum(0, 1),
        Op::Sync(0, Fault::Forward, 0),
        Op::Sync(3, Fault::Forward, 0),
        Op::Note(3, 0),
    ];
    run(ops, vec![year_2000, 3 * day, -3 * day, 0]).unwrap();
}

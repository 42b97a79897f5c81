//! The product's central promise, as a property: whatever a team's accounts send the central store
//! (a lead re-signing a colleague's note with an earlier clock, a laptop claiming to be another
//! clinician or another laptop, a reused event id with new content, an addendum to no note, a
//! former holder writing after being told, the same batch twice, in pieces, in any order), no
//! signed note's text, author or time as seen on any laptop ever differs from what its author
//! signed. Through real HTTP on loopback, on the embedded backend (the decisions are shared code,
//! and the PostgreSQL backend runs the same black-box suite in `behaviour.rs`).

mod common;

use casebook_domain::*;
use casebook_protocol::*;
use casebook_server::api::ServiceConfig;
use common::*;
use proptest::prelude::*;
use std::collections::HashMap;
use uuid::Uuid;

/// Who sends: 0 and 1 are the team's clinicians, 2 its lead, 3 the other team's clinician.
const USERS: [&str; 4] = ["clin.a1", "clin.a2", "lead.a", "clin.b1"];

#[derive(Debug, Clone)]
enum Step {
    /// The author (a1) signs a new note on case `case`.
    Sign { case: usize },
    /// `by` signs an already-signed note again, with its clock `skew_ms` behind the author's.
    Resign { note: usize, by: usize, skew_ms: u64 },
    /// `by` sends a note whose author field says a1 (and, if `their_device`, with its own device).
    Impersonate { note: usize, by: usize, their_device: bool },
    /// `by` reuses a stored note's event id with new text (and a correct hash for it).
    ReuseId { note: usize, by: usize },
    /// `by` adds an addendum to a note id nobody signed.
    OrphanAddendum { case: usize, by: usize },
    /// The case is taken from a2 (who was given it), then a2 writes after being told.
    WriteAfterTold { case: usize },
    /// Everything a1 has sent is sent again, reversed, in two pieces.
    Replay,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..2usize).prop_map(|case| Step::Sign { case }),
        2 => (0..8usize, 1..4usize, 0..10_000_000u64).prop_map(|(note, by, skew_ms)| Step::Resign { note, by, skew_ms }),
        1 => (0..8usize, 1..4usize, any::<bool>()).prop_map(|(note, by, their_device)| Step::Impersonate { note, by, their_device }),
        1 => (0..8usize, 0..4usize).prop_map(|(note, by)| Step::ReuseId { note, by }),
        1 => (0..2usize, 0..4usize).prop_map(|(case, by)| Step::OrphanAddendum { case, by }),
        1 => (0..2usize).prop_map(|case| Step::WriteAfterTold { case }),
        1 => Just(Step::Replay),
    ]
}

fn signed(laptop: &mut Laptop, case: Uuid, note_id: Uuid, text: &str) -> Event {
    laptop.event(case, EventBody::NoteSigned(NoteSigned { note_id, contact_id: None, occurred_on: chrono::Utc::now().date_naive(), text: text.into() }))
}

async fn run(steps: Vec<Step>) {
    let h = start(Backend::Sqlite, ServiceConfig::default()).await;
    seed_teams(&h).await;
    let mut laptops = Vec::new();
    for u in USERS {
        laptops.push(h.login(u).await);
    }
    let mut cases = Vec::new();
    for i in 0..2 {
        let (case, opened) = laptops[0].open_case(&format!("Testfamily-Property{i}"));
        h.push(&laptops[0], &[opened]).await;
        h.storage.allocate(case, "clin.a2").await.unwrap();
        cases.push(case);
    }
    // What a1 signed: the truth every laptop must show.
    let mut truth: Vec<Event> = Vec::new();
    let mut sent_by_a1: Vec<Event> = Vec::new();
    for s in steps {
        match s {
            Step::Sign { case } => {
                let e = signed(&mut laptops[0], cases[case], Uuid::now_v7(), &format!("Fictional note {}", truth.len()));
                h.push(&laptops[0], std::slice::from_ref(&e)).await;
                truth.push(e.clone());
                sent_by_a1.push(e);
            }
            Step::Resign { note, by, skew_ms } if !truth.is_empty() => {
                let original = &truth[note % truth.len()];
                let EventBody::NoteSigned(n) = &original.body else { unreachable!() };
                let forger = &mut laptops[by];
                let mut e = signed(forger, original.case_id, n.note_id, "Forged text");
                e.hlc.wall_ms = original.hlc.wall_ms.saturating_sub(skew_ms);
                e.recorded_at = original.recorded_at - chrono::Duration::milliseconds(skew_ms as i64);
                e.content_hash = e.compute_hash();
                h.push(&laptops[by], &[e]).await;
            }
            Step::Impersonate { note, by, their_device } if !truth.is_empty() => {
                let original = &truth[note % truth.len()];
                let mut e = signed(&mut laptops[by], original.case_id, Uuid::now_v7(), "Impersonated");
                e.author = "clin.a1".into();
                if !their_device {
                    e.device_id = laptops[0].device_id();
                }
                e.content_hash = e.compute_hash();
                let answer = h.push(&laptops[by], &[e]).await;
                assert!(answer.results[0].refused.is_some(), "an impersonation is refused");
            }
            Step::ReuseId { note, by } if !truth.is_empty() => {
                let mut e = truth[note % truth.len()].clone();
                if let EventBody::NoteSigned(n) = &mut e.body {
                    n.text = "Replaced by id".into();
                }
                e.author = USERS[by].into();
                e.device_id = laptops[by].device_id();
                e.content_hash = e.compute_hash();
                let answer = h.push(&laptops[by], &[e]).await;
                assert!(answer.results[0].refused.is_some(), "a reused id with new content is refused");
            }
            Step::OrphanAddendum { case, by } => {
                let e = laptops[by].event(
                    cases[case],
                    EventBody::AddendumAdded(AddendumAdded { addendum_id: Uuid::now_v7(), note_id: Uuid::now_v7(), reason: "r".into(), text: "t".into() }),
                );
                let answer = h.push(&laptops[by], &[e]).await;
                assert!(answer.results[0].refused.is_some(), "an addendum to no note is refused");
            }
            Step::WriteAfterTold { case } => {
                let _ = h.storage.deallocate(cases[case], "clin.a2").await;
                let _ = h.pull_all(&laptops[1], Cursor::default()).await;
                let e = signed(&mut laptops[1], cases[case], Uuid::now_v7(), "After being told");
                let answer = h.push(&laptops[1], &[e]).await;
                assert!(answer.results[0].refused.is_some(), "a write after being told is refused");
            }
            Step::Replay => {
                let mut again = sent_by_a1.clone();
                again.reverse();
                let half = again.len() / 2;
                for part in [&again[..half], &again[half..]] {
                    if !part.is_empty() {
                        let answer = h.push(&laptops[0], part).await;
                        assert!(answer.results.iter().all(|r| r.refused.is_none() && !r.stored_now), "a replay is a no-op");
                    }
                }
            }
            _ => {}
        }
    }
    // Every laptop of the team (each user's own view, folded as a laptop folds it: with the
    // central store's order) shows every note exactly as a1 signed it.
    for viewer in [0, 2] {
        let (pulled, _, _) = h.pull_all(&laptops[viewer], Cursor::default()).await;
        let mut own: Vec<PulledEvent> = Vec::new();
        if viewer == 0 {
            // A laptop holds its own events too (they are not sent back to it).
            for case in &cases {
                own.extend(h.storage.case_events(*case).await.unwrap().into_iter().filter(|p| p.event.device_id == laptops[0].device_id()));
            }
        }
        let all: Vec<PulledEvent> = pulled.into_iter().chain(own).collect();
        let receipts: HashMap<Uuid, Receipt> =
            all.iter().map(|p| (p.event.id, Receipt { seq: p.seq, received_at: p.received_at, flag: p.flag.clone() })).collect();
        for case in &cases {
            let events: Vec<Event> = all.iter().filter(|p| p.event.case_id == *case).map(|p| p.event.clone()).collect();
            let state = fold_received(*case, &events, &receipts);
            for t in truth.iter().filter(|t| t.case_id == *case) {
                let EventBody::NoteSigned(n) = &t.body else { unreachable!() };
                let shown = state.signed_note(n.note_id).unwrap_or_else(|| panic!("{} does not see note {}", USERS[viewer], n.note_id));
                assert_eq!((shown.text.as_str(), shown.author.as_str(), shown.signed_at), (n.text.as_str(), "clin.a1", t.recorded_at));
            }
            assert!(state.integrity_problems.is_empty(), "the central store let a second signature in: {:?}", state.integrity_problems);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn no_signed_note_ever_changes_whatever_is_sent(steps in prop::collection::vec(step(), 1..14)) {
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap().block_on(run(steps));
    }
}

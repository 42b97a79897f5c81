//! PostgreSQL pushes plan their writes before taking the sequence lock and fall back to the
//! careful path (lock first, then decide) when another push stored the same events or cases in
//! between. These races are made on purpose here, straight through the storage trait, and the
//! outcome must be exactly what the careful path alone would give: each event stored once, every
//! pusher told the same sequence numbers, a case created once and refused to whoever may not
//! write to it. Needs CASEBOOK_TEST_DATABASE_URL (scripts/postgres.sh sets it).

mod common;

use casebook_domain::{CaseOpened, EventBody};
use casebook_protocol::*;
use casebook_server::auth;
use casebook_server::storage::postgres::PostgresStorage;
use casebook_server::storage::{Storage, StorageError, UserRecord};
use common::*;
use std::sync::Arc;

const ROUNDS: usize = 40;
/// Whether two pushes really overlap is up to the scheduler, so rounds go on past `ROUNDS` until
/// the careful path has been taken at least once (a busy machine may need more), up to this many.
const MAX_ROUNDS: usize = 1_000;
const RACERS: usize = 8;

/// Another round is wanted: fewer than `ROUNDS` so far, or the careful path not reached yet.
fn another_round(round: usize, s: &PostgresStorage) -> bool {
    assert!(round < MAX_ROUNDS, "{MAX_ROUNDS} rounds of racing pushes never reached the careful path");
    round < ROUNDS || s.careful_retries() == 0
}

async fn storage() -> Arc<PostgresStorage> {
    let url = std::env::var("CASEBOOK_TEST_DATABASE_URL").expect("set CASEBOOK_TEST_DATABASE_URL (scripts/postgres.sh does)");
    let s = PostgresStorage::connect_fresh_for_tests(&url).await.unwrap();
    s.migrate().await.unwrap();
    let hash = auth::hash_password(PASSWORD).unwrap();
    s.add_team("Test Team A").await.unwrap();
    s.add_team("Test Team B").await.unwrap();
    s.add_user("clin.a1", "Test Team A", Role::Clinician, &hash).await.unwrap();
    s.add_user("lead.a", "Test Team A", Role::Lead, &hash).await.unwrap();
    s.add_user("clin.b1", "Test Team B", Role::Clinician, &hash).await.unwrap();
    Arc::new(s)
}

async fn user(s: &PostgresStorage, name: &str) -> UserRecord {
    s.user(name).await.unwrap().expect("a seeded user")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_batch_raced_is_stored_once_with_one_answer() {
    let s = storage().await;
    let a1 = user(&s, "clin.a1").await;
    let mut l = Laptop::offline("clin.a1");
    let first_latest = s.latest_seq().await.unwrap();
    let mut round = 0;
    while another_round(round, &s) {
        let (case, opened) = l.open_case(&format!("Testfamily-Race{round}"));
        let batch = Arc::new(vec![opened, l.note(case, "Fictional note one"), l.note(case, "Fictional note two")]);
        let before = s.event_count().await.unwrap();
        // All racers leave the gate together, so their pushes overlap as often as possible.
        let gate = Arc::new(tokio::sync::Barrier::new(RACERS));
        let tasks: Vec<_> = (0..RACERS)
            .map(|_| {
                let (s, a1, batch, gate) = (s.clone(), a1.clone(), batch.clone(), gate.clone());
                tokio::spawn(async move {
                    gate.wait().await;
                    s.push(&a1, &batch).await
                })
            })
            .collect();
        let mut answers = Vec::new();
        for t in tasks {
            answers.push(t.await.unwrap().expect("every racer is answered"));
        }
        let seqs = |r: &Vec<PushResult>| r.iter().map(|x| x.seq).collect::<Vec<_>>();
        assert!(answers.iter().all(|r| seqs(r) == seqs(&answers[0])), "round {round}: every racer is told the same seqs");
        assert_eq!(answers.iter().filter(|r| r.iter().all(|x| x.stored_now)).count(), 1, "round {round}: one racer stored it");
        assert_eq!(answers.iter().filter(|r| r.iter().all(|x| !x.stored_now)).count(), RACERS - 1);
        assert_eq!(s.event_count().await.unwrap(), before + 3, "round {round}: stored once");
        let stored = s.case_events(case).await.unwrap();
        assert_eq!(stored.iter().map(|e| e.seq).collect::<Vec<_>>(), seqs(&answers[0]));
        round += 1;
    }
    // Numbers stay dense: one per stored event and one per new case, none lost to a retry.
    assert_eq!(s.latest_seq().await.unwrap() - first_latest, 4 * round as u64, "one number per event and per new case");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_new_case_raced_by_two_teams_belongs_to_one() {
    let s = storage().await;
    let (a1, b1) = (user(&s, "clin.a1").await, user(&s, "clin.b1").await);
    let (mut la, mut lb) = (Laptop::offline("clin.a1"), Laptop::offline("clin.b1"));
    let mut round = 0;
    while another_round(round, &s) {
        // Both laptops claim the same new case id (as if both had opened it).
        let (case, opened_a) = la.open_case(&format!("Testfamily-Claim{round}"));
        let opened_b = lb.event(
            case,
            EventBody::CaseOpened(CaseOpened { family_name: "Testfamily-Other".into(), parent: None, due_date: None, infant: None, to_team_inbox: false }),
        );
        let (sa, sb) = (s.clone(), s.clone());
        let (a1c, b1c) = (a1.clone(), b1.clone());
        let gate = Arc::new(tokio::sync::Barrier::new(2));
        let (ga, gb) = (gate.clone(), gate);
        let ta = tokio::spawn(async move {
            ga.wait().await;
            sa.push(&a1c, &[opened_a]).await
        });
        let tb = tokio::spawn(async move {
            gb.wait().await;
            sb.push(&b1c, &[opened_b]).await
        });
        let (ra, rb) = (ta.await.unwrap(), tb.await.unwrap());
        let refused = |r: &Result<Vec<PushResult>, StorageError>| {
            matches!(r, Ok(v) if v[0].refused.as_ref().is_some_and(|p| p.code == "case_not_allowed"))
        };
        let stored = |r: &Result<Vec<PushResult>, StorageError>| matches!(r, Ok(v) if v.iter().all(|x| x.stored_now));
        assert!(
            (stored(&ra) && refused(&rb)) || (refused(&ra) && stored(&rb)),
            "round {round}: one team's push created the case and the other was refused: {ra:?} / {rb:?}"
        );
        assert_eq!(s.case_events(case).await.unwrap().len(), 1, "round {round}: one event stored in the case");
        round += 1;
    }
}

//! Sequence numbers must become visible in commit order: with many laptops pushing at once while
//! others pull, no puller may move its cursor past an event that commits later (it would never be
//! sent). 20 clinicians push small batches for a while; 5 team leads (who see every case of the
//! team) pull with their cursors all the while. At the end each lead catches up once and must hold
//! every stored event exactly once, and no cursor ever went backwards.
//!
//! Everything runs over loopback HTTP against a real server on 127.0.0.1. The PostgreSQL run needs
//! CASEBOOK_TEST_DATABASE_URL (scripts/test.sh starts a private cluster and sets it).

mod common;

use casebook_protocol::*;
use casebook_server::api::ServiceConfig;
use casebook_server::auth;
use common::*;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

const PUSHERS: usize = 20;
const PULLERS: usize = 5;
const TEAM: &str = "Test Team Load";

/// What one puller saw: every event id once, in feed order.
struct Feed {
    seen: HashSet<Uuid>,
    last_seq: u64,
    cursor: Cursor,
    pages: usize,
}

impl Feed {
    fn take(&mut self, who: &str, after: Cursor, page: &PullResponse) {
        assert!(page.next_cursor >= after, "{who}: the cursor went backwards, from {after} to {}", page.next_cursor);
        if page.events.is_empty() {
            assert_eq!(page.next_cursor, after, "{who}: an empty page moved the cursor");
        }
        for e in &page.events {
            assert!(self.seen.insert(e.event.id), "{who}: event {} (seq {}) arrived twice", e.event.id, e.seq);
            // A lead is granted each case when it is created, before its first event, so their feed
            // is in plain sequence order.
            assert!(e.seq > self.last_seq, "{who}: seq {} arrived after seq {}", e.seq, self.last_seq);
            self.last_seq = e.seq;
        }
        self.cursor = page.next_cursor;
        self.pages += 1;
    }
}

async fn pushers_and_pullers(backend: Backend, load: Duration) {
    let config = ServiceConfig::default();
    let h = Arc::new(start(backend, config).await);
    let hash = auth::hash_password(PASSWORD).unwrap();
    h.storage.add_team(TEAM).await.unwrap();
    let mut laptops = Vec::new();
    for i in 0..PUSHERS {
        let name = format!("clin.load{i:02}");
        h.storage.add_user(&name, TEAM, Role::Clinician, &hash).await.unwrap();
        laptops.push(h.login(&name).await);
    }
    let mut leads = Vec::new();
    for i in 0..PULLERS {
        let name = format!("lead.load{i}");
        h.storage.add_user(&name, TEAM, Role::Lead, &hash).await.unwrap();
        leads.push(h.login(&name).await);
    }

    let pushing = Arc::new(AtomicBool::new(true));
    let deadline = Instant::now() + load;

    let pullers: Vec<_> = leads
        .into_iter()
        .enumerate()
        .map(|(i, lead)| {
            let (h, pushing) = (h.clone(), pushing.clone());
            tokio::spawn(async move {
                let who = format!("puller {i} ({})", lead.username());
                let mut feed = Feed { seen: HashSet::new(), last_seq: 0, cursor: Cursor::default(), pages: 0 };
                // Mostly whole pages up to the newest event, where an event committed out of order
                // would be skipped; now and then a small page, to move the cursor between events.
                let mut n = i;
                while pushing.load(Ordering::Acquire) {
                    let after = feed.cursor;
                    let limit = if n % 4 == 3 { 1 + n % 30 } else { 1_000 };
                    let page = h.pull_page(&lead, after, limit).await;
                    feed.take(&who, after, &page);
                    n += 1;
                }
                // Every push has been acknowledged: one final catch-up must bring the rest.
                loop {
                    let after = feed.cursor;
                    let page = h.pull_page(&lead, after, 100).await;
                    feed.take(&who, after, &page);
                    if !page.more {
                        break;
                    }
                }
                (who, feed)
            })
        })
        .collect();

    let pushers: Vec<_> = laptops
        .into_iter()
        .enumerate()
        .map(|(i, mut laptop)| {
            let h = h.clone();
            tokio::spawn(async move {
                let (case, opened) = laptop.open_case(&format!("Testfamily-Load{i:02}"));
                let mut batch = vec![opened];
                let mut pushed: Vec<Uuid> = Vec::new();
                let mut n = 0usize;
                loop {
                    let resp = h.push(&laptop, &batch).await;
                    assert!(resp.results.iter().all(|r| r.stored_now), "pusher {i}: a new event was reported as already held");
                    assert!(resp.results.windows(2).all(|w| w[0].seq < w[1].seq), "pusher {i}: seqs within a batch out of order");
                    pushed.extend(batch.iter().map(|e| e.id));
                    if Instant::now() >= deadline {
                        break;
                    }
                    batch = (0..1 + (n + i) % 3).map(|k| laptop.note(case, &format!("Fictional load note {n}.{k}"))).collect();
                    n += 1;
                }
                (case, pushed)
            })
        })
        .collect();

    let mut cases = Vec::new();
    let mut pushed = HashSet::new();
    for p in pushers {
        let (case, ids) = p.await.expect("a pusher failed");
        cases.push(case);
        for id in ids {
            assert!(pushed.insert(id));
        }
    }
    pushing.store(false, Ordering::Release);

    // What the server holds, read straight from storage.
    let mut stored = HashSet::new();
    for case in &cases {
        for e in h.storage.case_events(*case).await.unwrap() {
            assert!(stored.insert(e.event.id), "event {} stored twice", e.event.id);
        }
    }
    assert_eq!(stored, pushed, "the server holds exactly the acknowledged events");
    assert_eq!(h.storage.event_count().await.unwrap(), stored.len() as u64);

    for p in pullers {
        let (who, feed) = p.await.expect("a puller failed");
        let missing = stored.difference(&feed.seen).count();
        let extra = feed.seen.difference(&stored).count();
        assert_eq!((missing, extra), (0, 0), "{who}: {missing} stored events never arrived, {extra} arrived that are not stored");
        eprintln!("{who}: {} events in {} pages, cursor {}", feed.seen.len(), feed.pages, feed.cursor);
    }
    eprintln!("{} events from {PUSHERS} pushers in {load:?}", stored.len());
}

/// A retry racing the original (a laptop that gave up waiting): the same batch pushed ten times at
/// once is stored once, every push succeeds, and all report the same sequence numbers.
async fn same_batch_pushed_at_once(backend: Backend) {
    let h = Arc::new(start(backend, ServiceConfig::default()).await);
    seed_teams(&h).await;
    let mut a1 = h.login("clin.a1").await;
    let (case, opened) = a1.open_case("Testfamily-Race");
    let batch = Arc::new(vec![opened, a1.note(case, "Fictional note one"), a1.note(case, "Fictional note two")]);
    let a1 = Arc::new(a1);
    let pushes: Vec<_> = (0..10)
        .map(|_| {
            let (h, a1, batch) = (h.clone(), a1.clone(), batch.clone());
            tokio::spawn(async move { h.push(&a1, &batch).await })
        })
        .collect();
    let mut responses = Vec::new();
    for p in pushes {
        responses.push(p.await.expect("a push failed"));
    }
    let seqs = |r: &PushResponse| r.results.iter().map(|x| x.seq).collect::<Vec<_>>();
    assert!(responses.iter().all(|r| seqs(r) == seqs(&responses[0])), "every push reports the same seqs");
    assert_eq!(responses.iter().filter(|r| r.results.iter().all(|x| x.stored_now)).count(), 1, "exactly one push stored the batch");
    assert_eq!(responses.iter().filter(|r| r.results.iter().all(|x| !x.stored_now)).count(), 9);
    assert_eq!(h.storage.event_count().await.unwrap(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_same_batch_pushed_at_once() {
    same_batch_pushed_at_once(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_same_batch_pushed_at_once() {
    same_batch_pushed_at_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_seq_is_visible_in_commit_order() {
    pushers_and_pullers(Backend::Postgres, Duration::from_secs(30)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_seq_is_visible_in_commit_order() {
    pushers_and_pullers(Backend::Sqlite, Duration::from_secs(5)).await;
}

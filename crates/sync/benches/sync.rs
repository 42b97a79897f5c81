//! Sync benchmarks: a real central store (SQLite) on loopback and a real encrypted laptop store.
//!
//!   cargo bench -p casebook-sync --bench sync
//!
//! Prints the median and spread of several runs of each measurement; the figures go in
//! BENCHMARKS.md. All data is generated and clearly fictional.

#[path = "../tests/common/mod.rs"]
mod common;

use casebook_domain::{testing::Laptop, CaseOpened, EventBody, NoteSigned};
use casebook_protocol::Cursor;
use casebook_store::{DraftInput, KdfParams, Store, StoreOptions, SystemClock};
use casebook_sync::{login, sync};
use common::*;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

fn stats(name: &str, target: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<62} median {:>9.1} ms   min {:>9.1}   max {:>9.1}   n={}   target {target}",
        ms(samples[samples.len() / 2]),
        ms(samples[0]),
        ms(*samples.last().unwrap()),
        samples.len()
    );
}

fn words(i: usize) -> String {
    const W: [&str; 12] = ["baby", "settled", "feeding", "sleep", "routine", "visit", "mum", "calm", "play", "bath", "cuddle", "smiled"];
    (0..28).map(|k| W[(i * 7 + k * 3) % W.len()]).collect::<Vec<_>>().join(" ")
}

/// Two years of a colleague's work on 30 cases, stored straight into the central store.
fn seed_history(c: &Central, cases: usize, events_per_case: usize) {
    c.runtime.block_on(async {
        let author = c.storage.user("clin.one").await.unwrap().unwrap();
        let mut laptop = Laptop::new("clin.one");
        let now = chrono::Utc::now();
        for case_n in 0..cases {
            let case = Uuid::now_v7();
            let mut batch = Vec::with_capacity(events_per_case);
            for i in 0..events_per_case {
                let body = if i == 0 {
                    EventBody::CaseOpened(CaseOpened { family_name: format!("Testfamily-B{case_n:02}"), parent: None, due_date: None, infant: None, to_team_inbox: false })
                } else {
                    EventBody::NoteSigned(NoteSigned { note_id: Uuid::now_v7(), contact_id: None, occurred_on: now.date_naive(), text: words(i) })
                };
                batch.push(laptop.write_at(case, now.timestamp_millis() as u64, body));
                if batch.len() == 500 {
                    c.storage.push(&author, &batch).await.unwrap();
                    batch.clear();
                }
            }
            if !batch.is_empty() {
                c.storage.push(&author, &batch).await.unwrap();
            }
        }
    });
}

fn fresh_laptop(user: &str, c: &Central) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions { kdf: KdfParams { m_cost_kib: 1024, t_cost: 1, p_cost: 1 }, clock: Arc::new(SystemClock) };
    let mut store = Store::create_with(dir.path(), PASSPHRASE, user, options).unwrap();
    login(&mut store, &c.url, user, PASSWORD, "bench laptop").unwrap();
    (dir, store)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    println!("casebook-sync benchmarks (debug assertions {})", if cfg!(debug_assertions) { "on" } else { "off" });

    // 1. End of day: 50 new events (a case, notes, addenda) pushed, nothing much to receive.
    let c = central(casebook_server::api::ServiceConfig::default());
    let mut samples = Vec::new();
    for round in 0..7 {
        let (_dir, mut laptop) = fresh_laptop("clin.two", &c);
        sync(&mut laptop).unwrap(); // first contact (and the first daily verification) out of the way
        let case = laptop.open_case(CaseOpened { family_name: format!("Testfamily-Day{round}"), parent: None, due_date: None, infant: None, to_team_inbox: false }).unwrap().case_id;
        for i in 0..49 {
            laptop.sign_note(DraftInput { case_id: case, note_id: None, contact_id: None, occurred_on: chrono::Local::now().date_naive(), text: words(i) }).unwrap();
        }
        let t = Instant::now();
        let s = sync(&mut laptop).unwrap();
        samples.push(t.elapsed());
        assert_eq!(s.pushed, 50);
    }
    stats("End-of-day sync: 50 new events, loopback", "<= 200 ms", samples);

    // 2. First sync of a 30-case caseload with two years of history (~30,000 events).
    seed_history(&c, 30, 1_000);
    let mut first = Vec::new();
    for _ in 0..3 {
        let (_dir, mut lead) = fresh_laptop("lead.one", &c);
        let t = Instant::now();
        let s = sync(&mut lead).unwrap();
        first.push(t.elapsed());
        assert!(s.pulled >= 30_000, "{}", s.pulled);
    }
    stats("First sync: 30 cases, ~30,000 events, into the encrypted store", "<= 3 s", first);

    // 3a. Bare limit: the server's pull alone (HTTP pages of 1,000, JSON decoded, nothing stored).
    let (_dir, lead) = fresh_laptop("lead.one", &c);
    let token = lead.sync_value("access_token").unwrap().unwrap();
    let http = reqwest::blocking::Client::new();
    let mut pulls = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let mut after = Cursor::default();
        let mut n = 0;
        loop {
            let page: casebook_protocol::PullResponse = http
                .get(format!("{}/v1/pull?after={after}&limit=1000", c.url))
                .bearer_auth(&token)
                .send()
                .unwrap()
                .json()
                .unwrap();
            n += page.events.len();
            after = page.next_cursor;
            if !page.more {
                break;
            }
        }
        pulls.push(t.elapsed());
        assert!(n >= 30_000);
    }
    stats("Bare limit: central store pull alone (30,000 events)", "-", pulls);

    // 3b. Bare limit: the same events inserted locally alone (no network), pages of 1,000.
    let events: Vec<casebook_store::RemoteEvent> = {
        let mut all = Vec::new();
        let mut after = Cursor::default();
        loop {
            let page: casebook_protocol::PullResponse =
                http.get(format!("{}/v1/pull?after={after}&limit=1000", c.url)).bearer_auth(&token).send().unwrap().json().unwrap();
            all.extend(page.events.into_iter().map(|p| casebook_store::RemoteEvent { seq: p.seq, event: p.event, received_at: p.received_at, flag: p.flag }));
            after = page.next_cursor;
            if !page.more {
                break all;
            }
        }
    };
    let mut inserts = Vec::new();
    for _ in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let options = StoreOptions { kdf: KdfParams { m_cost_kib: 1024, t_cost: 1, p_cost: 1 }, clock: Arc::new(SystemClock) };
        let mut store = Store::create_with(dir.path(), PASSPHRASE, "lead.one", options).unwrap();
        let t = Instant::now();
        for (i, page) in events.chunks(1_000).enumerate() {
            store.apply_remote(page, "pull_cursor", &format!("{i}-0")).unwrap();
        }
        inserts.push(t.elapsed());
    }
    stats("Bare limit: local insert alone (30,000 events, pages of 1,000)", "-", inserts);
}

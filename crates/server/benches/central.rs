//! Central-store benchmarks (issue 3): ingest, full pull, a day's sync by 200 clinicians at once,
//! and the bare-storage ceiling, against SQLite always and PostgreSQL when
//! CASEBOOK_TEST_DATABASE_URL is set.
//!
//!   cargo bench -p casebook-server --bench central
//!   bash scripts/postgres.sh cargo bench -p casebook-server --bench central
//!   CASEBOOK_BENCH_BACKENDS=postgres bash scripts/postgres.sh cargo bench -p casebook-server --bench central
//!
//! CASEBOOK_BENCH_BACKENDS (a comma-separated list of `sqlite` and `postgres`; default both)
//! runs only the backends named, to iterate on one of them.
//!
//! A plain binary (`harness = false`), not criterion: each measurement is one timed run against a
//! real server on a loopback port, built optimised by `cargo bench`. The clients run in the same
//! process and on the same cores as the server, so the HTTP numbers include the client's own JSON
//! work (it is done before the clock starts wherever a laptop could do it ahead, i.e. building and
//! serialising the batches). Every loop is bounded; every request has a timeout.

#[path = "../tests/common/mod.rs"]
mod common;

use casebook_domain::*;
use casebook_protocol::*;
use casebook_server::api::ServiceConfig;
use casebook_server::auth;
use casebook_server::storage::UserRecord;
use common::*;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Events per pushed batch (ingest and the bare-storage ceiling).
const BATCH: usize = 500;
/// Concurrent pushing laptops (ingest) and concurrent writers (ceiling).
const WRITERS: usize = 4;
/// Batches each writer sends: 4 × 10 × 500 = 20,000 events.
const BATCHES_EACH: usize = 10;
/// Cases each writing clinician works on; a batch's events are spread over all of them.
const CASES_EACH: usize = 25;
/// Events the fresh laptop pulls: the 20,000 ingested plus half the ceiling's 20,000.
const PULL_TOTAL: usize = 30_000;
/// Clinicians syncing at once, in teams of `TEAM_SIZE` (each team also has a lead).
const CLINICIANS: usize = 200;
const TEAM_SIZE: usize = 20;
/// A day's work per clinician, and the cases it is spread over (the first is co-worked with a
/// colleague, who therefore pulls part of it).
const DAY_EVENTS: usize = 50;
const DAY_CASES: usize = 5;
/// Page size a laptop asks for when it syncs.
const SYNC_PAGE: usize = 1_000;
/// At most this many pages in any pull loop (far more than any pull here needs).
const MAX_PAGES: usize = 1_000;
/// Logins (each an Argon2id check) in flight at once while setting up.
const LOGIN_CONCURRENCY: usize = 4;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

const NORTH: &str = "Bench Team North";
const SOUTH: &str = "Bench Team South";

struct Row {
    what: String,
    target: String,
    measured: String,
    met: Option<bool>,
}

fn row(what: impl Into<String>, target: impl Into<String>, measured: impl Into<String>, met: Option<bool>) -> Row {
    Row { what: what.into(), target: target.into(), measured: measured.into(), met }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// Varied, fictional note text of 300 to 900 characters.
fn note_text(n: usize) -> String {
    const SENTENCES: [&str; 6] = [
        "Home visit with parent and baby; feeding observed and going better since last week.",
        "Parent described broken sleep and low mood; we talked through what helps at night.",
        "Baby alert and responsive, good eye contact, settled quickly when held.",
        "Reviewed the plan agreed with the health visitor; next visit booked for Tuesday.",
        "Explored the parent's own early experiences and how they shape the bond now.",
        "No safeguarding concerns raised today; will keep under review as agreed.",
    ];
    let want = 300 + (n * 137) % 600;
    let mut text = String::with_capacity(want + 100);
    let mut i = n;
    while text.len() < want {
        text.push_str(SENTENCES[i % SENTENCES.len()]);
        text.push(' ');
        i += 1;
    }
    text.truncate(want);
    text.trim_end().to_string()
}

/// `batches` batches of `BATCH` events: the first opens the clinician's `CASES_EACH` cases, the
/// rest are signed notes spread round-robin over them.
fn make_batches(laptop: &mut Laptop, batches: usize) -> Vec<Vec<Event>> {
    let mut cases = Vec::with_capacity(CASES_EACH);
    let mut all = Vec::with_capacity(batches);
    let mut n = 0usize;
    for b in 0..batches {
        let mut batch = Vec::with_capacity(BATCH);
        if b == 0 {
            for c in 0..CASES_EACH {
                let (case_id, e) = laptop.open_case(&format!("Bench Family {} {c}", laptop.username()));
                cases.push(case_id);
                batch.push(e);
            }
        }
        while batch.len() < BATCH {
            let case_id = cases[n % cases.len()];
            batch.push(laptop.note(case_id, &note_text(n)));
            n += 1;
        }
        all.push(batch);
    }
    all
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    let idx = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[idx]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn per_s(n: usize, d: Duration) -> String {
    format!("{:.0} events/s", n as f64 / d.as_secs_f64())
}

async fn push_body(h: &Harness, token: &str, body: Vec<u8>) -> PushResponse {
    let resp = h
        .http
        .post(format!("{}/v1/push", h.base))
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .expect("push sent");
    let status = resp.status();
    let bytes = resp.bytes().await.expect("push answered");
    assert_eq!(status, 200, "push: {}", String::from_utf8_lossy(&bytes));
    serde_json::from_slice(&bytes).expect("a push response")
}

/// Pulls from `after` until nothing more is waiting; returns (events, pages, cursor).
async fn pull_everything(h: &Harness, laptop: &Laptop, mut after: Cursor, limit: usize) -> (usize, usize, Cursor) {
    let mut events = 0;
    for pages in 1..=MAX_PAGES {
        let page = h.pull_page(laptop, after, limit).await;
        assert!(page.next_cursor >= after, "a cursor never goes backwards");
        events += page.events.len();
        after = page.next_cursor;
        if !page.more {
            return (events, pages, after);
        }
    }
    panic!("a pull needed more than {MAX_PAGES} pages");
}

/// Signs the named users in, a few at a time (each is an Argon2id check on the server).
async fn login_all(h: &Arc<Harness>, names: Vec<String>) -> Vec<Laptop> {
    let mut laptops = Vec::with_capacity(names.len());
    for chunk in names.chunks(LOGIN_CONCURRENCY) {
        let tasks: Vec<_> = chunk
            .iter()
            .cloned()
            .map(|name| {
                let h = h.clone();
                tokio::spawn(async move { h.login(&name).await })
            })
            .collect();
        for t in tasks {
            laptops.push(t.await.expect("login task"));
        }
    }
    laptops
}

async fn run(backend_name: &str, backend: Backend) -> Vec<Row> {
    let mut rows = Vec::new();
    // Every simulated laptop signs in from 127.0.0.1, where a real team comes from many
    // addresses: the per-address sign-in slow-down would otherwise throttle the set-up.
    let config = ServiceConfig {
        token_ttl: chrono::Duration::hours(2),
        signin: casebook_server::signin::SigninPolicy { free_per_address: 1_000_000, ..Default::default() },
        ..ServiceConfig::default()
    };
    let max_pull_bytes = config.max_pull_bytes;
    let (storage, dir) = fresh_storage(backend).await;
    let mut harness = start_on(storage, dir, config).await;
    harness.http = reqwest::Client::builder().timeout(REQUEST_TIMEOUT).build().expect("an HTTP client");
    let h = Arc::new(harness);
    println!("\n[{backend_name}] server on {} (load average at start {})", h.base, loadavg());

    // One Argon2id hash, reused for every account.
    let hash = auth::hash_password(PASSWORD).expect("a password hash");
    h.storage.add_team(NORTH).await.unwrap();
    h.storage.add_team(SOUTH).await.unwrap();
    h.storage.add_user("north.lead", NORTH, Role::Lead, &hash).await.unwrap();
    for i in 1..=WRITERS {
        h.storage.add_user(&format!("ingest.{i}"), NORTH, Role::Clinician, &hash).await.unwrap();
        // Half the ceiling's writers are in the lead's team, half not: the lead's feed is 30,000.
        let team = if i <= WRITERS / 2 { NORTH } else { SOUTH };
        h.storage.add_user(&format!("ceiling.{i}"), team, Role::Clinician, &hash).await.unwrap();
    }

    // ---- 1. Ingest over HTTP: 4 laptops push 10 batches of 500 each, concurrently. ----
    let ingest = login_all(&h, (1..=WRITERS).map(|i| format!("ingest.{i}")).collect()).await;
    let mut bodies = Vec::new();
    let mut json_bytes = 0usize;
    for mut laptop in ingest {
        let batches = make_batches(&mut laptop, BATCHES_EACH);
        let encoded: Vec<Vec<u8>> =
            batches.iter().map(|b| serde_json::to_vec(&serde_json::json!({ "events": b })).unwrap()).collect();
        json_bytes += encoded.iter().map(Vec::len).sum::<usize>();
        bodies.push((laptop.token.clone(), encoded));
    }
    let ingest_events = WRITERS * BATCHES_EACH * BATCH;
    println!("[{backend_name}] ingest: {ingest_events} events, average {} bytes of JSON each", json_bytes / ingest_events);
    let started = Instant::now();
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|(token, encoded)| {
            let h = h.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                for body in encoded {
                    let t = Instant::now();
                    let resp = push_body(&h, &token, body).await;
                    latencies.push(t.elapsed());
                    assert_eq!(resp.results.len(), BATCH);
                    assert!(resp.results.iter().all(|r| r.stored_now), "every ingested event is new");
                }
                latencies
            })
        })
        .collect();
    let mut batch_latencies = Vec::new();
    for t in tasks {
        batch_latencies.extend(t.await.expect("ingest task"));
    }
    let ingest_time = started.elapsed();
    batch_latencies.sort();
    let rate = ingest_events as f64 / ingest_time.as_secs_f64();
    println!("[{backend_name}] ingest done in {:.2} s (load {})", ingest_time.as_secs_f64(), loadavg());
    rows.push(row(
        format!("1. Ingest over HTTP, {WRITERS} laptops × {BATCHES_EACH} batches of {BATCH} ({ingest_events} events)"),
        "≥ 5,000 events/s",
        format!(
            "{} ({:.2} s; per batch p50 {}, max {})",
            per_s(ingest_events, ingest_time),
            ingest_time.as_secs_f64(),
            ms(percentile(&batch_latencies, 0.5)),
            ms(*batch_latencies.last().unwrap())
        ),
        Some(rate >= 5_000.0),
    ));

    // ---- 4. Bare-storage ceiling: the same batches straight through Storage::push. ----
    let mut writers = Vec::new();
    for i in 1..=WRITERS {
        let name = format!("ceiling.{i}");
        let user: UserRecord = h.storage.user(&name).await.unwrap().expect("the ceiling user");
        let mut laptop = Laptop::offline(&name);
        writers.push((user, make_batches(&mut laptop, BATCHES_EACH)));
    }
    let started = Instant::now();
    let tasks: Vec<_> = writers
        .into_iter()
        .map(|(user, batches)| {
            let storage = h.storage.clone();
            tokio::spawn(async move {
                for batch in batches {
                    let results = storage.push(&user, &batch).await.expect("a bare-storage push");
                    assert!(results.iter().all(|r| r.stored_now));
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("ceiling task");
    }
    let ceiling_time = started.elapsed();
    let ceiling_rate = ingest_events as f64 / ceiling_time.as_secs_f64();
    println!("[{backend_name}] ceiling done in {:.2} s (load {})", ceiling_time.as_secs_f64(), loadavg());

    // ---- 2. Full pull of 30,000 events by a fresh laptop (the team lead's new laptop). ----
    let mut pull_rows = Vec::new();
    for limit in [1_000usize, 5_000] {
        let lead = h.login("north.lead").await;
        let started = Instant::now();
        let (events, pages, _) = pull_everything(&h, &lead, Cursor::default(), limit).await;
        let took = started.elapsed();
        assert_eq!(events, PULL_TOTAL, "the lead's fresh laptop receives every event of the team");
        println!("[{backend_name}] full pull, pages of {limit}: {:.2} s, {pages} pages (load {})", took.as_secs_f64(), loadavg());
        pull_rows.push(row(
            format!("2. Full pull of {PULL_TOTAL} events by a fresh laptop, pages of {limit}"),
            "≤ 2 s",
            format!("{:.2} s ({pages} pages, {})", took.as_secs_f64(), per_s(events, took)),
            Some(took <= Duration::from_secs(2)),
        ));
    }
    // The same pulls straight through Storage::pull: no HTTP, no JSON, no audit rows. The gap to
    // the rows above is what the service layer adds per page.
    let lead_user = h.storage.user("north.lead").await.unwrap().expect("the lead");
    for limit in [1_000usize, 5_000] {
        let started = Instant::now();
        let (mut after, mut events, mut pages) = (Cursor::default(), 0usize, 0usize);
        loop {
            assert!(pages < MAX_PAGES, "a pull needed more than {MAX_PAGES} pages");
            let page = h.storage.pull(&lead_user, Uuid::nil(), after, limit, max_pull_bytes).await.expect("a bare-storage pull");
            events += page.events.len();
            pages += 1;
            after = page.next_cursor;
            if !page.more {
                break;
            }
        }
        let took = started.elapsed();
        assert_eq!(events, PULL_TOTAL);
        pull_rows.push(row(
            format!("2b. Same full pull straight through `Storage::pull` (no HTTP, no audit), pages of {limit}"),
            "(reference)",
            format!("{:.2} s ({pages} pages)", took.as_secs_f64()),
            None,
        ));
    }
    rows.extend(pull_rows);

    // ---- 3. 200 clinicians sync a day's work at once. ----
    let teams = CLINICIANS / TEAM_SIZE;
    for t in 0..teams {
        let team = format!("Bench Day Team {t:02}");
        h.storage.add_team(&team).await.unwrap();
        h.storage.add_user(&format!("day.lead.{t:02}"), &team, Role::Lead, &hash).await.unwrap();
        for k in 0..TEAM_SIZE {
            h.storage.add_user(&format!("day.{t:02}.{k:02}"), &team, Role::Clinician, &hash).await.unwrap();
        }
    }
    let names: Vec<String> = (0..CLINICIANS).map(|i| format!("day.{:02}.{:02}", i / TEAM_SIZE, i % TEAM_SIZE)).collect();
    let started = Instant::now();
    let mut laptops = login_all(&h, names).await;
    let login_time = started.elapsed();
    println!("[{backend_name}] {CLINICIANS} logins in {:.1} s (load {})", login_time.as_secs_f64(), loadavg());
    // Untimed: each clinician's caseload reaches the central store; the first case of each is
    // co-worked with the next clinician in the team; every laptop then catches up.
    let mut caseloads = Vec::with_capacity(CLINICIANS);
    for laptop in laptops.iter_mut() {
        let opened: Vec<(Uuid, Event)> = (0..DAY_CASES).map(|c| laptop.open_case(&format!("Day Family {} {c}", laptop.username()))).collect();
        let events: Vec<Event> = opened.iter().map(|(_, e)| e.clone()).collect();
        let resp = h.push(laptop, &events).await;
        assert!(resp.results.iter().all(|r| r.stored_now));
        caseloads.push(opened.into_iter().map(|(c, _)| c).collect::<Vec<_>>());
    }
    for (i, caseload) in caseloads.iter().enumerate() {
        let colleague = (i / TEAM_SIZE) * TEAM_SIZE + (i + 1) % TEAM_SIZE;
        h.storage.allocate(caseload[0], laptops[colleague].username()).await.unwrap();
    }
    let mut cursors = Vec::with_capacity(CLINICIANS);
    for laptop in &laptops {
        let (_, _, cursor) = pull_everything(&h, laptop, Cursor::default(), SYNC_PAGE).await;
        cursors.push(cursor);
    }
    // The day's work, written offline before the sync (so not timed).
    let mut days = Vec::with_capacity(CLINICIANS);
    for (i, mut laptop) in laptops.into_iter().enumerate() {
        let events: Vec<Event> = (0..DAY_EVENTS).map(|n| laptop.note(caseloads[i][n % DAY_CASES], &note_text(i * DAY_EVENTS + n))).collect();
        let body = serde_json::to_vec(&serde_json::json!({ "events": events })).unwrap();
        days.push((laptop, body, cursors[i]));
    }
    let load_before = loadavg();
    let started = Instant::now();
    let tasks: Vec<_> = days
        .into_iter()
        .map(|(laptop, body, cursor)| {
            let h = h.clone();
            tokio::spawn(async move {
                let t = Instant::now();
                let resp = push_body(&h, &laptop.token, body).await;
                let pushed = t.elapsed();
                assert_eq!(resp.results.len(), DAY_EVENTS);
                let (pulled, _, _) = pull_everything(&h, &laptop, cursor, SYNC_PAGE).await;
                (t.elapsed(), pushed, pulled)
            })
        })
        .collect();
    let mut syncs = Vec::with_capacity(CLINICIANS);
    let mut push_steps = Vec::with_capacity(CLINICIANS);
    let mut pulled_total = 0;
    for t in tasks {
        let (took, pushed, pulled) = t.await.expect("sync task");
        syncs.push(took);
        push_steps.push(pushed);
        pulled_total += pulled;
    }
    push_steps.sort();
    let wave = started.elapsed();
    syncs.sort();
    let (p50, p99) = (percentile(&syncs, 0.50), percentile(&syncs, 0.99));
    println!(
        "[{backend_name}] {CLINICIANS} syncs: p50 {} p99 {} max {}, wave {:.2} s, {pulled_total} events pulled in all (load {load_before} before, {} after)",
        ms(p50),
        ms(p99),
        ms(*syncs.last().unwrap()),
        wave.as_secs_f64(),
        loadavg()
    );
    rows.push(row(
        format!("3. {CLINICIANS} clinicians sync at once (push {DAY_EVENTS}, pull what is new), per sync"),
        "p99 ≤ 1 s",
        format!(
            "p50 {}, p99 {} (max {}; push step alone p50 {}, p99 {}; all {CLINICIANS} done in {:.2} s; {pulled_total} events pulled in all)",
            ms(p50),
            ms(p99),
            ms(*syncs.last().unwrap()),
            ms(percentile(&push_steps, 0.50)),
            ms(percentile(&push_steps, 0.99)),
            wave.as_secs_f64()
        ),
        Some(p99 <= Duration::from_secs(1)),
    ));

    rows.push(row(
        format!("4. Bare-storage ceiling: same {ingest_events} events, {WRITERS} writers, `Storage::push`, no HTTP"),
        "(reference)",
        format!("{} ({:.2} s; HTTP ingest reached {:.0}% of it)", per_s(ingest_events, ceiling_time), ceiling_time.as_secs_f64(), 100.0 * rate / ceiling_rate),
        None,
    ));
    rows.push(row(
        format!("Setup: {CLINICIANS} logins, {LOGIN_CONCURRENCY} at a time (Argon2id each)"),
        "(not a target)",
        format!("{:.1} s ({:.0} ms per login)", login_time.as_secs_f64(), login_time.as_secs_f64() * 1000.0 / CLINICIANS as f64),
        None,
    ));
    println!("[{backend_name}] load average at end {}", loadavg());
    rows
}

fn print_table(backend_name: &str, rows: &[Row]) {
    println!("\n### {backend_name}\n");
    println!("| What | Target | Measured | Met? |");
    println!("|---|---|---|---|");
    for r in rows {
        let met = match r.met {
            Some(true) => "met",
            Some(false) => "**missed**",
            None => "—",
        };
        println!("| {} | {} | {} | {met} |", r.what, r.target, r.measured);
    }
}

fn main() {
    // `cargo bench` passes `--bench`; there are no options to parse (see CASEBOOK_BENCH_BACKENDS).
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let started = Instant::now();
    let mut tables = Vec::new();
    let only = std::env::var("CASEBOOK_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into()).to_lowercase();
    let wanted = |name: &str| only.split(',').any(|b| b.trim() == name);
    if wanted("sqlite") {
        tables.push(("SQLite".to_string(), runtime.block_on(run("SQLite", Backend::Sqlite))));
    }
    if !wanted("postgres") {
        println!("\nCASEBOOK_BENCH_BACKENDS={only}: PostgreSQL skipped.");
    } else if std::env::var_os("CASEBOOK_TEST_DATABASE_URL").is_some() {
        tables.push(("PostgreSQL".to_string(), runtime.block_on(run("PostgreSQL", Backend::Postgres))));
    } else {
        println!("\nCASEBOOK_TEST_DATABASE_URL is not set: PostgreSQL skipped (bash scripts/postgres.sh cargo bench -p casebook-server --bench central).");
    }
    for (name, rows) in &tables {
        print_table(name, rows);
    }
    println!("\nTotal {:.0} s; load average now {}", started.elapsed().as_secs_f64(), loadavg());
}

//! Performance targets for the laptop store (issue 2). Run with
//!
//!     cargo bench -p casebook-store --bench store
//!
//! Every store is built in a temporary directory through the store's public API, with clearly
//! fictional generated data ("Testfamily0042", notes made from a small fixed vocabulary of ordinary
//! words and a counter). Results and the machine they were taken on are in BENCHMARKS.md.
//!
//! The 100,000-note store is built once per run and shared by the search, caseload and rebuild
//! benchmarks. The public API has no batched write (each call is its own transaction, and a
//! transaction cannot be opened around them), so it is built one note at a time. To keep that to
//! about a minute and a half, the set-up connection alone runs with `PRAGMA synchronous = OFF`
//! (through `Store::connection`); with fsync it took over four minutes on a busy 2-core machine.
//! The store is then closed and opened again, so everything measured runs with the store's own
//! settings (WAL, synchronous = FULL).

#[path = "../tests/common/mod.rs"]
mod common;

use casebook_domain::{AttendanceOutcome, ContactType};
use casebook_store::{ContactInput, DraftInput, KdfParams, Store, StoreOptions};
use common::{day, family, options, FixedClock, PASSPHRASE, USER};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode};
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The large store: 1,000 cases of 100 signed notes each.
const BIG_CASES: u64 = 1_000;
/// Under `cargo test --benches` criterion runs each benchmark once as a smoke test; the large store
/// is then kept small so that the test stays quick.
const SMOKE_TEST_CASES: u64 = 10;
const NOTES_PER_BIG_CASE: u64 = 100;
/// Notes carrying the rare word: one in this many.
const RARE_EVERY: u64 = 5_000;
const COMMON_WORD: &str = "routine";
const RARE_WORD: &str = "lighthouse";
/// What the app asks for (src-tauri's SEARCH_LIMIT).
const SEARCH_LIMIT: usize = 50;

const VOCABULARY: &[&str] = &[
    "morning", "afternoon", "evening", "feeding", "sleep", "settled", "cried", "smiled", "bottle", "nappy",
    "cot", "walk", "garden", "kitchen", "visit", "talked", "played", "held", "rocked", "sang", "story",
    "calm", "tired", "bath", "blanket", "window", "chair", "tea", "weather", "rain", "sunny", "bus", "shop",
    "park", "friend", "grandmother", "neighbour", "phone", "letter", "appointment", "routine", "nap",
    "cuddle", "toy", "rattle", "book", "song", "quiet", "busy", "happy", "worried", "relaxed", "laughed",
    "watched", "listened", "noticed", "shared", "planned", "agreed", "week", "weekend", "today",
    "yesterday", "later", "soon", "again", "together", "gently", "slowly", "often", "mother", "father",
    "baby", "sister", "brother", "floor", "mat", "music", "lunch", "supper",
];

/// A deterministic, clearly fictional note of about 30 ordinary words.
fn note_text(n: u64) -> String {
    let mut state = n.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut text = format!("Fictional session note {n}:");
    for _ in 0..30 {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        text.push(' ');
        text.push_str(VOCABULARY[((state >> 33) % VOCABULARY.len() as u64) as usize]);
    }
    if n.is_multiple_of(RARE_EVERY) {
        text.push_str(" near the ");
        text.push_str(RARE_WORD);
    }
    text.push('.');
    text
}

fn clock() -> std::sync::Arc<FixedClock> {
    FixedClock::at("2026-11-24T10:00:00Z")
}

fn cheap_options() -> StoreOptions {
    let opts = options(clock());
    assert_eq!(opts.kdf, KdfParams { m_cost_kib: 1024, t_cost: 1, p_cost: 1 });
    opts
}

fn note(case_id: Uuid, contact_id: Option<Uuid>, n: u64) -> DraftInput {
    DraftInput { case_id, note_id: None, contact_id, occurred_on: day("2026-11-20"), text: note_text(n) }
}

fn contact() -> ContactInput {
    ContactInput {
        location: Some("Family home".into()),
        ..ContactInput::new(day("2026-11-20"), ContactType::HomeVisit, AttendanceOutcome::Attended)
    }
}

/// Set-up only: no fsync on this connection (see the module comment).
fn without_fsync(store: &Store) {
    store.connection().execute_batch("PRAGMA synchronous = OFF").unwrap();
}

fn reopen(dir: &Path) -> Store {
    Store::open_with(dir, PASSPHRASE, cheap_options()).unwrap()
}

/// One case of exactly 500 events: opened, 50 contacts, 300 signed notes, 149 addenda.
fn build_500_event_case(dir: &Path) -> Uuid {
    let mut store = Store::create_with(dir, PASSPHRASE, USER, cheap_options()).unwrap();
    without_fsync(&store);
    let case = store.open_case(family("Testfamily0500")).unwrap().case_id;
    let contacts: Vec<Uuid> = (0..50).map(|_| store.record_contact(case, contact()).unwrap().contact_id).collect();
    for n in 0..300u64 {
        let signed = store.sign_note(note(case, Some(contacts[(n % 50) as usize]), n)).unwrap();
        if n < 149 {
            store.add_addendum(signed.note_id, "Clarification", &format!("Fictional addendum {n}: the visit lasted an hour.")).unwrap();
        }
    }
    drop(store);
    let store = reopen(dir);
    assert_eq!(store.case_events(case).unwrap().len(), 500);
    case
}

fn big_store_cases() -> u64 {
    if std::env::args().any(|a| a == "--bench") {
        BIG_CASES
    } else {
        SMOKE_TEST_CASES
    }
}

/// 1,000 cases × 100 signed notes: 100,000 notes, 101,000 events.
fn build_big_store(dir: &Path, cases: u64) {
    let started = Instant::now();
    let mut store = Store::create_with(dir, PASSPHRASE, USER, cheap_options()).unwrap();
    without_fsync(&store);
    let mut n = 0u64;
    for c in 0..cases {
        let case = store.open_case(family(&format!("Testfamily{c:04}"))).unwrap().case_id;
        for _ in 0..NOTES_PER_BIG_CASE {
            store.sign_note(note(case, None, n)).unwrap();
            n += 1;
        }
        if (c + 1) % 100 == 0 {
            eprintln!("  set-up: {} notes signed in {:.1} s", n, started.elapsed().as_secs_f64());
        }
    }
    drop(store);
    eprintln!("set-up: {n}-note store built in {:.1} s", started.elapsed().as_secs_f64());
}

fn durable_append(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create_with(dir.path(), PASSPHRASE, USER, cheap_options()).unwrap();
    let mut g = c.benchmark_group("append");
    g.sample_size(50).measurement_time(Duration::from_secs(8));

    // Target 1: a signed note on an existing small case (≤ 10 notes), committed with fsync.
    // A fresh case is opened (untimed) every 10 notes so the case stays small however many
    // iterations criterion asks for.
    let mut counter = 0u64;
    let mut case = Uuid::nil();
    g.bench_function("sign_note_small_case", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                if counter.is_multiple_of(10) {
                    case = store.open_case(family(&format!("Testfamily{:04}", counter / 10))).unwrap().case_id;
                }
                let input = note(case, None, counter);
                counter += 1;
                let t = Instant::now();
                black_box(store.sign_note(input).unwrap());
                total += t.elapsed();
            }
            total
        })
    });

    // For information: the autosave of a draft already begun (an UPDATE, no event), also fsynced.
    let draft_case = store.open_case(family("Testfamily9999")).unwrap().case_id;
    let first = store
        .save_draft(DraftInput { case_id: draft_case, note_id: None, contact_id: None, occurred_on: day("2026-11-20"), text: note_text(0) })
        .unwrap();
    let mut rev = 0u64;
    g.bench_function("save_draft_autosave", |b| {
        b.iter(|| {
            rev += 1;
            black_box(
                store
                    .save_draft(DraftInput {
                        case_id: draft_case,
                        note_id: Some(first.note_id),
                        contact_id: None,
                        occurred_on: day("2026-11-20"),
                        text: note_text(rev),
                    })
                    .unwrap(),
            )
        })
    });
    g.finish();
}

fn open_case(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let case = build_500_event_case(dir.path());
    let mut store = reopen(dir.path());
    let mut g = c.benchmark_group("case");
    g.sample_size(30).measurement_time(Duration::from_secs(8));
    // Target 2: read and fold a case of 500 events.
    g.bench_function("open_500_events", |b| b.iter(|| black_box(store.case(case).unwrap())));

    g.finish();

    // For information: one more signed note on that 500-event case (durable). Every append
    // re-reads and re-folds the whole case; the case grows by one event per iteration, so few are run.
    let mut g = c.benchmark_group("case");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_millis(300));
    let mut n = 1_000_000u64;
    g.bench_function("sign_note_on_500_event_case", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let input = note(case, None, n);
                n += 1;
                let t = Instant::now();
                black_box(store.sign_note(input).unwrap());
                total += t.elapsed();
            }
            total
        })
    });
    g.finish();
    eprintln!("case: the 500-event case ended with {} events", store.case_events(case).unwrap().len());
}

fn big_store(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let cases = big_store_cases();
    build_big_store(dir.path(), cases);
    let notes = cases * NOTES_PER_BIG_CASE;
    let mut store = reopen(dir.path());

    let mut g = c.benchmark_group("search_100k_notes");
    g.sample_size(20).measurement_time(Duration::from_secs(8));
    let common_hits = store.search(COMMON_WORD, usize::MAX).unwrap().len();
    let rare_hits = store.search(RARE_WORD, usize::MAX).unwrap().len();
    eprintln!("search: \"{COMMON_WORD}\" matches {common_hits} documents, \"{RARE_WORD}\" matches {rare_hits}");
    assert!(common_hits as u64 > notes / 5, "the common word is common");
    assert_eq!(rare_hits as u64, notes.div_ceil(RARE_EVERY), "the rare word is rare");
    // Target 3: the query the caseload's search box sends (limit 50, ranked by bm25, with snippets).
    g.bench_function("common_word", |b| b.iter(|| black_box(store.search(COMMON_WORD, SEARCH_LIMIT).unwrap())));
    g.bench_function("rare_word", |b| b.iter(|| black_box(store.search(RARE_WORD, SEARCH_LIMIT).unwrap())));
    // For information: a partly typed word (prefix match) and a family name.
    g.bench_function("prefix_rou", |b| b.iter(|| black_box(store.search("rou", SEARCH_LIMIT).unwrap())));
    g.bench_function("family_name", |b| b.iter(|| black_box(store.search("Testfamily0421", SEARCH_LIMIT).unwrap())));
    g.finish();

    let mut g = c.benchmark_group("caseload");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    // For information: the caseload list over 1,000 cases.
    g.bench_function("list_cases_1000", |b| b.iter(|| black_box(store.list_cases().unwrap())));
    g.finish();

    // Target 4: rebuild every projection (tables and search index) from 101,000 events.
    let mut g = c.benchmark_group("rebuild");
    // Flat sampling with one rebuild per sample: ten rebuilds, plus one to warm up.
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(30));
    g.bench_function("projections_101k_events", |b| b.iter(|| store.rebuild_projections().unwrap()));
    g.finish();
    assert_eq!(store.search(RARE_WORD, usize::MAX).unwrap().len(), rare_hits);
}

fn unlock(c: &mut Criterion) {
    // For information: unlocking with the real Argon2id parameters (64 MiB, t = 3, p = 1).
    let dir = tempfile::tempdir().unwrap();
    let opts = StoreOptions { kdf: KdfParams::DEFAULT, clock: clock() };
    let mut store = Store::create_with(dir.path(), PASSPHRASE, USER, opts.clone()).unwrap();
    common::populate(&mut store, 3, 3);
    drop(store);
    let mut g = c.benchmark_group("unlock");
    g.sampling_mode(SamplingMode::Flat).sample_size(10).measurement_time(Duration::from_secs(10));
    g.bench_function("open_default_argon2id", |b| {
        b.iter_batched(|| (), |_| Store::open_with(dir.path(), PASSPHRASE, opts.clone()).unwrap(), BatchSize::PerIteration)
    });
    g.finish();
}

criterion_group!(benches, durable_append, open_case, unlock, big_store);
criterion_main!(benches);

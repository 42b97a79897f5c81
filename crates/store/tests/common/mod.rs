#![allow(dead_code)]

use casebook_domain::{AttendanceOutcome, CaseOpened, ContactType, Person};
use casebook_store::{ContactInput, DraftInput, KdfParams, Store, StoreOptions, WallClock};
use chrono::{DateTime, NaiveDate, Utc};
use std::path::Path;
use std::sync::{Arc, Mutex};

pub const PASSPHRASE: &str = "copper kettle meadow lantern";
pub const USER: &str = "test.clinician";

/// A laptop clock the test controls.
pub struct FixedClock(pub Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn at(s: &str) -> Arc<FixedClock> {
        Arc::new(FixedClock(Mutex::new(s.parse().unwrap())))
    }
    pub fn advance_ms(&self, ms: i64) {
        let mut t = self.0.lock().unwrap();
        *t += chrono::Duration::milliseconds(ms);
    }
}

impl WallClock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
    fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
}

/// Cheap key derivation: these tests are about the store, not about Argon2's cost (the keyring's
/// own tests and the CLI tests use the real parameters).
pub fn options(clock: Arc<FixedClock>) -> StoreOptions {
    StoreOptions { kdf: KdfParams { m_cost_kib: 1024, t_cost: 1, p_cost: 1 }, clock }
}

pub fn new_store(dir: &Path) -> Store {
    Store::create_with(dir, PASSPHRASE, USER, options(FixedClock::at("2026-11-24T10:00:00Z"))).unwrap()
}

pub fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub fn family(name: &str) -> CaseOpened {
    CaseOpened { family_name: name.into(), parent: Some(Person { name: format!("Parent of {name}") }), due_date: Some(day("2027-02-14")), infant: None, to_team_inbox: false }
}

/// Fills a store with a small, varied, clearly fictional caseload.
pub fn populate(store: &mut Store, cases: usize, notes_per_case: usize) {
    for c in 0..cases {
        let case = store.open_case(family(&format!("Testfamily{c:03}"))).unwrap().case_id;
        let contact = store
            .record_contact(
                case,
                ContactInput {
                    location: Some("Family home".into()),
                    ..ContactInput::new(day("2026-11-20"), ContactType::HomeVisit, AttendanceOutcome::Attended)
                },
            )
            .unwrap();
        for n in 0..notes_per_case {
            let note = store
                .sign_note(DraftInput {
                    case_id: case,
                    note_id: None,
                    contact_id: Some(contact.contact_id),
                    occurred_on: day("2026-11-20"),
                    text: format!("Fictional session record {n} for case {c}: discussed feeding and sleep routines."),
                })
                .unwrap();
            if n % 2 == 0 {
                store.add_addendum(note.note_id, "Clarification", &format!("Addendum to note {n}: visit lasted an hour.")).unwrap();
            }
        }
        store
            .save_draft(DraftInput {
                case_id: case,
                note_id: None,
                contact_id: None,
                occurred_on: day("2026-11-24"),
                text: format!("Unsigned draft for case {c}"),
            })
            .unwrap();
    }
}

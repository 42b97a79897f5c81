//! The embedded store at rest: encrypted (no note text in central.db, its WAL or a backup),
//! private files, key rotation, plaintext migration, and backups that restore every event.

mod common;

use casebook_protocol::{DraftBackup, PulledEvent, Role};
use casebook_server::auth;
use casebook_server::key::StoreKey;
use casebook_server::storage::sqlite::{self, SqliteStorage};
use casebook_server::storage::{OpenError, Storage};
use common::{raw_sqlite, test_key, Laptop, PASSWORD};
use std::path::Path;
use uuid::Uuid;

/// Text that can only be in the files if a note's text is stored readable.
const NOTE_TEXT: &str = "Testfamily-Marigold: baby feeding well, mother tearful (fictional canary 7731)";
const DRAFT_TEXT: &str = "Unsigned draft about Testfamily-Marigold (fictional canary 4412)";

/// A store at `dir/central.db` holding one case with a signed note and a draft backup; returns
/// the case's events as stored.
async fn store_with_a_note(path: &Path, key: &StoreKey) -> (SqliteStorage, Uuid, Vec<PulledEvent>) {
    let s = SqliteStorage::open(path, key).unwrap();
    s.migrate().await.unwrap();
    s.add_team("Test Team A").await.unwrap();
    s.add_user("clin.a1", "Test Team A", Role::Clinician, &auth::hash_password(PASSWORD).unwrap()).await.unwrap();
    let user = s.user("clin.a1").await.unwrap().unwrap();
    let mut laptop = Laptop::offline("clin.a1");
    let (case_id, opened) = laptop.open_case("Testfamily-Marigold");
    let notes: Vec<_> = (0..3).map(|i| laptop.note(case_id, &format!("{NOTE_TEXT} #{i}"))).collect();
    let mut events = vec![opened];
    events.extend(notes);
    s.push(&user, &events).await.unwrap();
    let draft = DraftBackup { note_id: Uuid::now_v7(), case_id, text: DRAFT_TEXT.into(), revision: 1, updated_at: chrono::Utc::now() };
    s.put_draft(&user, &draft).await.unwrap();
    let stored = s.case_events(case_id).await.unwrap();
    assert_eq!(stored.len(), 4);
    (s, case_id, stored)
}

/// Whether `needle` occurs anywhere in the file's bytes (what `strings | grep` would find).
fn file_contains(path: &Path, needle: &str) -> bool {
    let bytes = std::fs::read(path).unwrap();
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn wal(path: &Path) -> std::path::PathBuf {
    path.with_file_name("central.db-wal")
}

#[tokio::test]
async fn no_note_or_draft_text_is_readable_in_the_store_its_wal_or_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("central.db");
    let key = test_key();
    let (s, case_id, _) = store_with_a_note(&path, &key).await;
    let backup = dir.path().join("backup.db");
    s.backup(&backup).await.unwrap();

    // The text is really stored (read back through the key)…
    let texts = serde_json::to_string(&s.case_events(case_id).await.unwrap()).unwrap();
    assert!(texts.contains("fictional canary 7731"));
    // …and while the store is still open its latest writes sit in the WAL, which is checked too.
    assert!(std::fs::metadata(wal(&path)).unwrap().len() > 0, "the WAL holds pages");
    for file in [path.clone(), wal(&path), backup.clone()] {
        for needle in ["fictional canary 7731", "fictional canary 4412", "Testfamily-Marigold", "SQLite format 3"] {
            assert!(!file_contains(&file, needle), "{needle:?} is readable in {}", file.display());
        }
    }

    // The same search does find text in a plaintext database: it would catch a leak.
    let plain = dir.path().join("plain.db");
    let c = rusqlite::Connection::open(&plain).unwrap();
    c.execute_batch(&format!("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('{NOTE_TEXT}');")).unwrap();
    drop(c);
    assert!(file_contains(&plain, "fictional canary 7731"));
}

#[tokio::test]
async fn a_wrong_key_is_refused_at_open_with_a_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("central.db");
    let (s, _, _) = store_with_a_note(&path, &test_key()).await;
    drop(s);
    match SqliteStorage::open(&path, &test_key()) {
        Err(e @ OpenError::WrongKey { .. }) => {
            let sentence = e.to_string();
            assert!(sentence.contains("could not be opened with the key given") && sentence.contains("--key-file"), "{sentence}");
        }
        Err(e) => panic!("not a wrong-key error: {e}"),
        Ok(_) => panic!("a wrong key opened the store"),
    }
}

#[tokio::test]
async fn rekey_makes_the_old_key_fail_and_the_new_key_read_every_event() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("central.db");
    let (old, new) = (test_key(), test_key());
    let (s, case_id, before) = store_with_a_note(&path, &old).await;

    // Not under a running server: its pages would change key beneath it.
    assert!(matches!(sqlite::rekey(&path, &old, &new), Err(OpenError::InUse { .. })));
    drop(s);

    sqlite::rekey(&path, &old, &new).unwrap();
    assert!(matches!(SqliteStorage::open(&path, &old), Err(OpenError::WrongKey { .. })), "the old key no longer opens it");
    let s = SqliteStorage::open(&path, &new).unwrap();
    assert_eq!(s.case_events(case_id).await.unwrap(), before, "every event reads back under the new key");
    assert_eq!(s.event_count().await.unwrap(), 4);
    let user = s.user("clin.a1").await.unwrap().unwrap();
    assert_eq!(s.drafts(&user).await.unwrap()[0].text, DRAFT_TEXT);
    assert!(!file_contains(&path, "fictional canary 7731"));
}

#[tokio::test]
async fn a_backup_restores_into_a_fresh_data_dir_with_every_event() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("central.db");
    let key = test_key();
    let (s, case_id, before) = store_with_a_note(&path, &key).await;

    // With the store's own key.
    let backup = dir.path().join("nightly.db");
    s.backup(&backup).await.unwrap();
    assert!(matches!(s.backup(&backup).await, Err(casebook_server::storage::StorageError::Exists { .. })), "never overwritten");
    let fresh = tempfile::tempdir().unwrap();
    let restored_path = fresh.path().join("data").join("central.db");
    assert!(matches!(sqlite::restore(&backup, &test_key(), &restored_path, &key), Err(OpenError::WrongKey { .. })));
    assert!(!restored_path.exists(), "a refused restore leaves nothing behind");
    sqlite::restore(&backup, &key, &restored_path, &key).unwrap();
    let restored = SqliteStorage::open(&restored_path, &key).unwrap();
    assert_eq!(restored.case_events(case_id).await.unwrap(), before);
    assert!(matches!(sqlite::restore(&backup, &key, &restored_path, &key), Err(OpenError::Storage(_))), "never over a store");

    // With a separate backup key, restored under a new store key on a new machine.
    let backup_key = test_key();
    let separate = dir.path().join("offsite.db");
    s.backup_with_key(&separate, &backup_key).await.unwrap();
    assert!(matches!(SqliteStorage::open(&separate, &key), Err(OpenError::WrongKey { .. })), "the store's key does not open it");
    let other = tempfile::tempdir().unwrap();
    let new_store_key = test_key();
    sqlite::restore(&separate, &backup_key, &other.path().join("central.db"), &new_store_key).unwrap();
    let restored = SqliteStorage::open(&other.path().join("central.db"), &new_store_key).unwrap();
    assert_eq!(restored.case_events(case_id).await.unwrap(), before);
    assert_eq!(restored.event_count().await.unwrap(), s.event_count().await.unwrap());
}

#[tokio::test]
async fn a_plaintext_store_is_refused_and_encrypt_migrates_it_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("central.db");
    let key = test_key();
    let (s, case_id, before) = store_with_a_note(&path, &key).await;
    drop(s);
    // A store as it was before encryption at rest: the same tables, in plaintext.
    let old = tempfile::tempdir().unwrap();
    let plain = old.path().join("central.db");
    let c = raw_sqlite(&path, &key);
    c.execute("ATTACH DATABASE ?1 AS plain KEY ''", [plain.to_str().unwrap()]).unwrap();
    c.query_row("SELECT sqlcipher_export('plain')", [], |_| Ok(())).unwrap();
    c.execute_batch("DETACH DATABASE plain;").unwrap();
    drop(c);
    assert!(file_contains(&plain, "fictional canary 7731"), "the old store is readable");

    match SqliteStorage::open(&plain, &key) {
        Err(e @ OpenError::NotEncrypted { .. }) => assert!(e.to_string().contains("casebook-server encrypt"), "{e}"),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("a plaintext store was opened"),
    }
    let tables = sqlite::encrypt_plaintext(&plain, &key).unwrap();
    assert!(tables >= 10, "every table copied: {tables}");
    assert!(!file_contains(&plain, "fictional canary 7731"));
    assert!(!plain.with_file_name("central.db.encrypting").exists());
    let s = SqliteStorage::open(&plain, &key).unwrap();
    assert_eq!(s.case_events(case_id).await.unwrap(), before);
    // The append-only triggers came across too.
    let c = raw_sqlite(&plain, &key);
    assert!(c.execute("DELETE FROM events", []).is_err());
    assert!(matches!(sqlite::encrypt_plaintext(&plain, &key), Err(OpenError::AlreadyEncrypted { .. })));
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[tokio::test]
async fn the_store_files_are_private_when_made_and_tightened_when_found_open() {
    use std::os::unix::fs::PermissionsExt;
    let set = |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("casebook");
    let path = data.join("central.db");
    let key = test_key();
    let (s, _, _) = store_with_a_note(&path, &key).await;
    let backup = parent.path().join("backup.db");
    s.backup(&backup).await.unwrap();
    let shm = data.join("central.db-shm");
    assert_eq!(mode(&data), 0o700);
    for f in [&path, &wal(&path), &shm, &backup] {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
    drop(s);

    // A store left readable by everyone (as before this change) is made private when opened.
    let s = SqliteStorage::open(&path, &key).unwrap();
    s.event_count().await.unwrap();
    set(&data, 0o755);
    for f in [&path, &wal(&path), &shm] {
        set(f, 0o644);
    }
    drop(s);
    let s = SqliteStorage::open(&path, &key).unwrap();
    assert_eq!(mode(&data), 0o700);
    for f in [&path, &wal(&path), &shm] {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
    drop(s);

    // A shared folder such as /tmp is refused rather than taken from everyone else.
    let shared = parent.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    set(&shared, 0o1777);
    assert!(matches!(SqliteStorage::open(&shared.join("central.db"), &key), Err(OpenError::Permissions { .. })));
    assert_eq!(mode(&shared), 0o777);
}

//! The laptop's data folder is the clinician's alone: another account on the same laptop can
//! neither list it nor read the keyring or the database.

mod common;

#[cfg(unix)]
#[test]
fn the_data_folder_is_0700_and_the_keyring_and_database_files_0600_made_or_found() {
    use casebook_store::{Store, DATABASE_FILE};
    use common::*;
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let set = |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();

    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("org.casebook.desktop");
    let files = [dir.join("keyring.json"), dir.join(DATABASE_FILE), dir.join("casebook.db-wal"), dir.join("casebook.db-shm")];
    let check = |when: &str| {
        assert_eq!(mode(&dir), 0o700, "{when}: the data folder");
        for f in &files {
            assert_eq!(mode(f), 0o600, "{when}: {}", f.display());
        }
    };

    let mut store = new_store(&dir);
    populate(&mut store, 1, 1); // writes, so the WAL files exist
    check("made");
    drop(store);

    // A store made before this change, readable by every account on the laptop.
    let store = Store::open_with(&dir, PASSPHRASE, options(FixedClock::at("2026-11-24T10:00:00Z"))).unwrap();
    set(&dir, 0o755);
    for f in &files {
        set(f, 0o644);
    }
    drop(store);
    let _store = Store::open_with(&dir, PASSPHRASE, options(FixedClock::at("2026-11-24T10:00:00Z"))).unwrap();
    check("opened again");
}

//! PostgreSQL only: what the behaviour suite cannot see through HTTP. `migrate` is idempotent, also
//! when two servers start at once; events are append-only in the database itself (UPDATE, DELETE and
//! TRUNCATE are refused by triggers); backup points to pg_dump.
//!
//! Needs CASEBOOK_TEST_DATABASE_URL (scripts/test.sh starts a private cluster and sets it).

mod common;

use casebook_protocol::Role;
use casebook_server::storage::{postgres::PostgresStorage, Storage, StorageError};
use common::Laptop;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_is_idempotent_and_events_are_append_only() {
    let url = common::new_postgres_database().await;
    let (one, two) = (PostgresStorage::connect(&url).await.unwrap(), PostgresStorage::connect(&url).await.unwrap());
    // Two servers starting at once on an empty database, then a restart.
    let (a, b) = tokio::join!(one.migrate(), two.migrate());
    a.unwrap();
    b.unwrap();
    one.migrate().await.unwrap();

    one.add_team("Test Team A").await.unwrap();
    one.add_user("clin.a1", "Test Team A", Role::Clinician, "not a real hash").await.unwrap();
    let user = one.user("clin.a1").await.unwrap().unwrap();
    let mut laptop = Laptop::offline(&user.username);
    let (case, opened) = laptop.open_case("Testfamily-Schema");
    let note = laptop.note(case, "Fictional note");
    let stored = one.push(&user, &[opened, note]).await.unwrap();
    assert_eq!(stored.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![2, 3], "seq 1 went to the new case's allocation");
    // Migrating again keeps everything.
    two.migrate().await.unwrap();
    assert_eq!(two.event_count().await.unwrap(), 2);

    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    for sql in ["UPDATE events SET event_json = '{}'", "DELETE FROM events", "TRUNCATE events"] {
        let err = client.batch_execute(sql).await.expect_err(sql);
        let message = err.as_db_error().map(|e| e.message().to_string()).unwrap_or_default();
        assert!(message.contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(one.case_events(case).await.unwrap().len(), 2, "the events are untouched");

    match one.backup(std::path::Path::new("/nonexistent/backup.db")).await {
        Err(StorageError::Unsupported(message)) => assert!(message.contains("pg_dump"), "{message}"),
        other => panic!("backup on PostgreSQL should point to pg_dump, got {other:?}"),
    }
}

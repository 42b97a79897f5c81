#![allow(dead_code)]
//! A real central store on loopback and real encrypted laptop stores, for the sync tests.

use casebook_protocol::Role;
use casebook_server::api::{Service, ServiceConfig};
use casebook_server::key::StoreKey;
use casebook_server::storage::{sqlite::SqliteStorage, Storage};
use casebook_store::{KdfParams, Store, StoreOptions, SystemClock, WallClock};
use std::sync::Arc;

pub const PASSWORD: &str = "fictional sync password";
pub const PASSPHRASE: &str = "copper kettle meadow lantern";

pub struct Central {
    pub url: String,
    /// The store's fictional key, which its backups are encrypted with too.
    pub key: StoreKey,
    pub storage: Arc<dyn Storage>,
    pub runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Central {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// A central store started from an encrypted backup file, made with `key` (as IT would after
/// losing the live database: `casebook-server restore`).
pub fn central_restored(backup: &std::path::Path, key: &StoreKey) -> Central {
    let dir = tempfile::tempdir().unwrap();
    casebook_server::storage::sqlite::restore(backup, key, &dir.path().join("central.db"), key).unwrap();
    start(dir, key.clone(), ServiceConfig::default(), false)
}

pub fn central(config: ServiceConfig) -> Central {
    start(tempfile::tempdir().unwrap(), StoreKey::generate(), config, true)
}

/// The central store's two backends, for tests that run on both.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A central store on the chosen backend. PostgreSQL needs CASEBOOK_TEST_DATABASE_URL (the test
/// script starts a throw-away cluster and sets it); without it the test fails rather than passes.
pub fn central_on(backend: Backend, config: ServiceConfig) -> Central {
    match backend {
        Backend::Sqlite => central(config),
        Backend::Postgres => {
            let url = std::env::var("CASEBOOK_TEST_DATABASE_URL")
                .expect("set CASEBOOK_TEST_DATABASE_URL to run the PostgreSQL sync tests (scripts/test.sh does)");
            let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            let storage: Arc<dyn Storage> =
                Arc::new(runtime.block_on(casebook_server::storage::postgres::PostgresStorage::connect_fresh_for_tests(&url)).unwrap());
            start_with(tempfile::tempdir().unwrap(), StoreKey::generate(), storage, runtime, config, true)
        }
    }
}

fn start(dir: tempfile::TempDir, key: StoreKey, config: ServiceConfig, seed: bool) -> Central {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let storage: Arc<dyn Storage> = Arc::new(SqliteStorage::open(&dir.path().join("central.db"), &key).unwrap());
    start_with(dir, key, storage, runtime, config, seed)
}

fn start_with(
    dir: tempfile::TempDir,
    key: StoreKey,
    storage: Arc<dyn Storage>,
    runtime: tokio::runtime::Runtime,
    config: ServiceConfig,
    seed: bool,
) -> Central {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let url = runtime.block_on(async {
        storage.migrate().await.unwrap();
        if seed {
            let hash = casebook_server::auth::hash_password(PASSWORD).unwrap();
            storage.add_team("Test Team").await.unwrap();
            for (u, role) in [("clin.one", Role::Clinician), ("clin.two", Role::Clinician), ("lead.one", Role::Lead)] {
                storage.add_user(u, "Test Team", role, &hash).await.unwrap();
            }
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(casebook_server::serve(listener, Service::new(storage.clone(), config), async move {
            let _ = stopped.await;
        }));
        url
    });
    Central { url, key, storage, runtime, _dir: dir, stop: Some(stop) }
}

pub fn laptop(user: &str) -> (tempfile::TempDir, Store) {
    laptop_with_clock(user, Arc::new(SystemClock))
}

/// A laptop whose clock is some way from the real time (a day wrong, say), and can be moved.
pub struct SkewedClock(pub std::sync::atomic::AtomicI64);

impl SkewedClock {
    pub fn new(offset_ms: i64) -> Self {
        SkewedClock(std::sync::atomic::AtomicI64::new(offset_ms))
    }
    /// Moves the laptop's clock (backwards with a negative amount).
    pub fn shift(&self, ms: i64) {
        self.0.fetch_add(ms, std::sync::atomic::Ordering::SeqCst);
    }
    fn offset(&self) -> chrono::Duration {
        chrono::Duration::milliseconds(self.0.load(std::sync::atomic::Ordering::SeqCst))
    }
}

impl WallClock for SkewedClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + self.offset()
    }
    fn today(&self) -> chrono::NaiveDate {
        (chrono::Local::now() + self.offset()).date_naive()
    }
}

pub fn laptop_with_clock(user: &str, clock: Arc<dyn WallClock>) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions { kdf: KdfParams { m_cost_kib: 1024, t_cost: 1, p_cost: 1 }, clock };
    let store = Store::create_with(dir.path(), PASSPHRASE, user, options).unwrap();
    (dir, store)
}


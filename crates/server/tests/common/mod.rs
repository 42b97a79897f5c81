#![allow(dead_code)]

use casebook_domain::*;
use casebook_protocol::*;
use casebook_server::api::{Service, ServiceConfig};
use casebook_server::auth;
use casebook_server::key::StoreKey;
use casebook_server::storage::{sqlite::SqliteStorage, Storage};
use chrono::Utc;
use std::sync::Arc;
use uuid::Uuid;

pub const PASSWORD: &str = "fictional test password";

/// A real server on a loopback port, over a real backend.
pub struct Harness {
    pub base: String,
    pub http: reqwest::Client,
    pub storage: Arc<dyn Storage>,
    _dir: Option<tempfile::TempDir>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, empty database on the chosen backend. PostgreSQL tests need CASEBOOK_TEST_DATABASE_URL
/// (the test script starts a server and sets it); without it they fail rather than pass silently.
pub async fn fresh_storage(backend: Backend) -> (Arc<dyn Storage>, Option<tempfile::TempDir>) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let s = SqliteStorage::open(&dir.path().join("central.db"), &test_key()).unwrap();
            s.migrate().await.unwrap();
            (Arc::new(s), Some(dir))
        }
        Backend::Postgres => {
            let url = std::env::var("CASEBOOK_TEST_DATABASE_URL")
                .expect("set CASEBOOK_TEST_DATABASE_URL to run the PostgreSQL behaviour suite (scripts/test.sh does)");
            let s = casebook_server::storage::postgres::PostgresStorage::connect_fresh_for_tests(&url).await.unwrap();
            s.migrate().await.unwrap();
            (Arc::new(s), None)
        }
    }
}

/// A fictional key for a test store: random each time, as a real one is.
pub fn test_key() -> StoreKey {
    StoreKey::generate()
}

/// Opens `path` directly with rusqlite and `key`, to read rows no endpoint returns.
pub fn raw_sqlite(path: &std::path::Path, key: &StoreKey) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.hex())).unwrap();
    c
}

/// Where a harness's database lives, so a test can reach it with the command line or a raw
/// connection (rows no endpoint returns).
pub enum Db {
    Sqlite(std::path::PathBuf, StoreKey),
    Postgres(String),
}

/// A URL for a new, empty database on the test cluster (CASEBOOK_TEST_DATABASE_URL, which
/// scripts/test.sh sets; without it the test fails rather than passing silently).
pub async fn new_postgres_database() -> String {
    let url = std::env::var("CASEBOOK_TEST_DATABASE_URL")
        .expect("set CASEBOOK_TEST_DATABASE_URL to run the PostgreSQL tests (scripts/postgres.sh does)");
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let name = format!("casebook_test_{}", Uuid::new_v4().simple());
    client.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
    let (base, _) = url.rsplit_once('/').expect("a URL ending in /database");
    format!("{base}/{name}")
}

/// Runs `casebook-server` on the harness's database, as the OS user `it.tester`.
pub fn cli(db: &Db, args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_casebook-server"));
    match db {
        Db::Sqlite(path, key) => cmd.arg("--data").arg(path.parent().unwrap()).env("CASEBOOK_SERVER_KEY", key.hex()),
        Db::Postgres(url) => cmd.arg("--database-url").arg(url),
    };
    cmd.args(args)
        .env_remove("CASEBOOK_DATABASE_URL")
        .env_remove("LOGNAME")
        .env("USER", "it.tester")
        .env("CASEBOOK_NEW_PASSWORD", "fictional admin password")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

pub fn cli_ok(db: &Db, args: &[&str]) -> String {
    let out = cli(db, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A fresh server (default configuration) whose database the test can also open directly.
pub async fn start_with_db(backend: Backend) -> (Harness, Db) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("central.db");
            let key = test_key();
            let s = SqliteStorage::open(&path, &key).unwrap();
            s.migrate().await.unwrap();
            (start_on(Arc::new(s), Some(dir), ServiceConfig::default()).await, Db::Sqlite(path, key))
        }
        Backend::Postgres => {
            let url = new_postgres_database().await;
            let s = casebook_server::storage::postgres::PostgresStorage::connect(&url).await.unwrap();
            s.migrate().await.unwrap();
            (start_on(Arc::new(s), None, ServiceConfig::default()).await, Db::Postgres(url))
        }
    }
}

pub async fn start(backend: Backend, config: ServiceConfig) -> Harness {
    let (storage, dir) = fresh_storage(backend).await;
    start_on(storage, dir, config).await
}

pub async fn start_on(storage: Arc<dyn Storage>, dir: Option<tempfile::TempDir>, config: ServiceConfig) -> Harness {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = Service::new(storage.clone(), config);
    tokio::spawn(casebook_server::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    Harness { base, http: reqwest::Client::new(), storage, _dir: dir, stop: Some(stop) }
}

/// A team with two clinicians and a lead, and another team with one clinician.
pub async fn seed_teams(h: &Harness) {
    let hash = auth::hash_password(PASSWORD).unwrap();
    h.storage.add_team("Test Team A").await.unwrap();
    h.storage.add_team("Test Team B").await.unwrap();
    h.storage.add_user("clin.a1", "Test Team A", Role::Clinician, &hash).await.unwrap();
    h.storage.add_user("clin.a2", "Test Team A", Role::Clinician, &hash).await.unwrap();
    h.storage.add_user("lead.a", "Test Team A", Role::Lead, &hash).await.unwrap();
    h.storage.add_user("clin.b1", "Test Team B", Role::Clinician, &hash).await.unwrap();
}

/// A laptop as the server sees it: the sign-in's device credential and access token, and the
/// shared fictional laptop that writes its clinician's events on the device the server registered.
pub struct Laptop {
    pub device_secret: String,
    pub token: String,
    writer: casebook_domain::testing::Laptop,
}

impl Harness {
    pub async fn login(&self, username: &str) -> Laptop {
        let resp = self
            .http
            .post(format!("{}/v1/login", self.base))
            .json(&serde_json::json!({"username": username, "password": PASSWORD, "device_name": format!("{username} test laptop")}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "login as {username}: {}", resp.text().await.unwrap());
        Laptop::signed_in(username, resp.json().await.unwrap())
    }

    pub async fn push_raw(&self, laptop: &Laptop, body: serde_json::Value) -> reqwest::Response {
        self.http.post(format!("{}/v1/push", self.base)).bearer_auth(&laptop.token).json(&body).send().await.unwrap()
    }

    pub async fn push(&self, laptop: &Laptop, events: &[Event]) -> PushResponse {
        let resp = self.push_raw(laptop, serde_json::json!({ "events": events })).await;
        assert_eq!(resp.status(), 200, "push: {}", resp.text().await.unwrap());
        resp.json().await.unwrap()
    }

    /// Pushes and returns, per event, the code it was refused with (`None`: stored or held).
    pub async fn push_codes(&self, laptop: &Laptop, events: &[Event]) -> Vec<Option<String>> {
        self.push(laptop, events).await.results.into_iter().map(|r| r.refused.map(|p| p.code)).collect()
    }

    pub async fn pull_page(&self, laptop: &Laptop, after: Cursor, limit: usize) -> PullResponse {
        let resp = self
            .http
            .get(format!("{}/v1/pull?after={after}&limit={limit}&written_up_to={}", self.base, laptop.written_up_to()))
            .bearer_auth(&laptop.token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "pull: {}", resp.text().await.unwrap());
        resp.json().await.unwrap()
    }

    /// Pulls every page after `after`; returns the events and the final cursor.
    pub async fn pull_all(&self, laptop: &Laptop, mut after: Cursor) -> (Vec<PulledEvent>, Cursor, Vec<Uuid>) {
        let mut all = Vec::new();
        let mut removed = Vec::new();
        loop {
            let page = self.pull_page(laptop, after, 100).await;
            assert!(page.next_cursor >= after, "a cursor never goes backwards");
            all.extend(page.events);
            removed.extend(page.access_removed);
            after = page.next_cursor;
            if !page.more {
                return (all, after, removed);
            }
        }
    }

    /// Exchanges a laptop's device credential for a new access token (`POST /v1/token`).
    pub async fn renew_token(&self, device_id: Uuid, device_secret: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/v1/token", self.base))
            .json(&TokenRequest { device_id, device_secret: device_secret.to_string() })
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, laptop: &Laptop, path: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.base)).bearer_auth(&laptop.token).send().await.unwrap()
    }
}

impl Laptop {
    /// The laptop `username` signed in on, as `POST /v1/login` answered.
    pub fn signed_in(username: &str, login: LoginResponse) -> Self {
        Laptop {
            device_secret: login.device_secret,
            token: login.session.access_token,
            writer: casebook_domain::testing::Laptop::with_device(username, login.device_id),
        }
    }

    /// A laptop that never signs in, for events written straight through the storage trait: only
    /// its device id matters, and that is a fresh one.
    pub fn offline(username: &str) -> Self {
        Laptop { device_secret: String::new(), token: String::new(), writer: casebook_domain::testing::Laptop::new(username) }
    }

    pub fn username(&self) -> &str {
        self.writer.author()
    }

    pub fn device_id(&self) -> Uuid {
        self.writer.device_id()
    }

    /// How far this laptop has written (its own sequence number), as a real laptop tells a pull.
    pub fn written_up_to(&self) -> u64 {
        self.writer.written_up_to()
    }

    /// An event written now.
    pub fn event(&mut self, case_id: Uuid, body: EventBody) -> Event {
        self.writer.write_at(case_id, Utc::now().timestamp_millis() as u64, body)
    }

    pub fn open_case(&mut self, family: &str) -> (Uuid, Event) {
        let case_id = Uuid::now_v7();
        let e = self.event(
            case_id,
            EventBody::CaseOpened(CaseOpened { family_name: family.into(), parent: None, due_date: None, infant: None, to_team_inbox: false }),
        );
        (case_id, e)
    }

    pub fn note(&mut self, case_id: Uuid, text: &str) -> Event {
        self.event(
            case_id,
            EventBody::NoteSigned(NoteSigned { note_id: Uuid::now_v7(), contact_id: None, occurred_on: Utc::now().date_naive(), text: text.into() }),
        )
    }
}

pub async fn error_body(resp: reqwest::Response) -> (u16, ErrorBody) {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("not an error body: {text}")))
}

pub fn ids(events: &[PulledEvent]) -> Vec<Uuid> {
    events.iter().map(|e| e.event.id).collect()
}

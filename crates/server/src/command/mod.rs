//! One file per `casebook-server` command; `main.rs` only parses and dispatches.

pub mod allocate;
pub mod audit;
pub mod backup;
pub mod case;
pub mod demo;
pub mod device;
pub mod encrypt;
pub mod init;
pub mod rekey;
pub mod report;
pub mod restore;
pub mod serve;
pub mod team;
pub mod user;

use casebook_server::key::{KeyError, StoreKey};
use casebook_server::storage::Storage;
use casebook_server::{central_db, open_storage, StoreConfig};
use casebook_server::api::ServiceConfig;
use casebook_server::signin::TrustedProxies;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use uuid::Uuid;

/// A command's failure: one sentence for the person at the terminal.
pub struct Failure(pub String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
}

/// The optional TOML configuration file; command-line options and environment variables override it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub data: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    pub database_url: Option<String>,
    pub database_ca: Option<PathBuf>,
    pub backup_key_file: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub allow_plain_http: Option<bool>,
    // Numbers are read as i64 so that a negative or huge value gets our sentence, not serde's.
    pub token_ttl_minutes: Option<i64>,
    pub max_body_bytes: Option<i64>,
    pub max_connections: Option<i64>,
    pub header_timeout_seconds: Option<i64>,
    pub idle_timeout_seconds: Option<i64>,
    pub trusted_proxies: Option<Vec<String>>,
    pub metrics_token: Option<String>,
}

pub fn load_config(path: Option<&std::path::Path>) -> Result<ConfigFile, Failure> {
    match path {
        None => Ok(ConfigFile::default()),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| Failure(format!("could not read {}: {e}", path.display())))?;
            toml::from_str(&text).map_err(|e| Failure(format!("{} is not a valid configuration: {}", path.display(), e.message())))
        }
    }
}

/// Records what a command did in the store's audit (as `cli_*`, from `cli:<OS user>`). Called
/// once the action has succeeded; should recording fail, the person is told the action was done.
pub async fn record(storage: &dyn casebook_server::storage::Storage, action: &str, case_id: Option<Uuid>, detail: String) -> Result<(), Failure> {
    storage
        .audit(&casebook_server::audit::cli_entry(action, case_id, detail))
        .await
        .map_err(|e| Failure(format!("it was done, but could not be recorded in the audit ({e}); tell whoever looks after the audit")))
}

/// Descriptors kept back from connections for the database, logs, TLS files and the listener.
const RESERVED_FILES: u64 = 64;

impl ConfigFile {
    /// The service's settings, every value checked against sensible bounds: the one place the
    /// configuration is validated, at start, whatever the command.
    pub fn service_config(&self) -> Result<ServiceConfig, Failure> {
        let mut c = ServiceConfig::default();
        let files = open_file_limit();
        let most_connections = files.map(|f| f.saturating_sub(RESERVED_FILES).max(1)).unwrap_or(100_000);
        c.connections.max_connections = c.connections.max_connections.min(most_connections as usize);
        if let Some(m) = self.token_ttl_minutes {
            c.token_ttl = chrono::Duration::minutes(within("token_ttl_minutes", m, 1, 24 * 60, "minutes (a day)")?);
        }
        if let Some(b) = self.max_body_bytes {
            c.max_body_bytes = within("max_body_bytes", b, 64 * 1024, 1 << 30, "bytes (64 KiB to 1 GiB)")? as usize;
        }
        if let Some(n) = self.max_connections {
            let why = match files {
                Some(f) => format!("connections (this process may open {f} files and keeps {RESERVED_FILES} for the database and logs)"),
                None => "connections".into(),
            };
            c.connections.max_connections = within("max_connections", n, 8, most_connections as i64, &why)? as usize;
        }
        if let Some(s) = self.header_timeout_seconds {
            c.connections.header_timeout = std::time::Duration::from_secs(within("header_timeout_seconds", s, 1, 300, "seconds")? as u64);
        }
        if let Some(s) = self.idle_timeout_seconds {
            c.connections.idle_timeout = std::time::Duration::from_secs(within("idle_timeout_seconds", s, 1, 3600, "seconds")? as u64);
        }
        if let Some(p) = &self.trusted_proxies {
            c.trusted_proxies = TrustedProxies::parse(p).map_err(Failure)?;
        }
        if let Some(t) = &self.metrics_token {
            if t.trim().chars().count() < 16 {
                return Err(Failure("the configuration's metrics_token must be at least 16 characters, so that it cannot be guessed".into()));
            }
            c.metrics_token = Some(t.trim().to_string());
        }
        Ok(c)
    }
}

fn within(key: &str, value: i64, low: i64, high: i64, unit: &str) -> Result<i64, Failure> {
    if (low..=high).contains(&value) {
        Ok(value)
    } else {
        Err(Failure(format!("the configuration's {key} must be between {low} and {high} {unit}; it says {value}")))
    }
}

/// The soft limit on open files, when the system says.
fn open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit only writes the struct it is given.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 && limit.rlim_cur != libc::RLIM_INFINITY {
            // rlim_t is u64 on Linux but not on every Unix.
            #[allow(clippy::unnecessary_cast)]
            return Some(limit.rlim_cur as u64);
        }
    }
    None
}

pub fn parse_id(s: &str, what: &str) -> Result<Uuid, Failure> {
    Uuid::parse_str(s.trim()).map_err(|_| Failure(format!("'{s}' is not a {what} id")))
}

/// The environment variable that may hold the store's key itself (64 hex digits).
pub const KEY_ENV: &str = "CASEBOOK_SERVER_KEY";

/// Where the central store is and what opens it, from the command line, environment and file.
pub struct Settings {
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub database_ca: Option<PathBuf>,
    key_file: Option<PathBuf>,
    key_from_env: Option<String>,
}

/// Where the embedded store's key comes from.
pub enum KeySource {
    File(PathBuf),
    Environment,
}

impl Settings {
    pub fn new(data_dir: PathBuf, database_url: Option<String>, database_ca: Option<PathBuf>, key_file: Option<PathBuf>) -> Self {
        let key_from_env = std::env::var(KEY_ENV).ok().filter(|k| !k.trim().is_empty());
        Settings { data_dir, database_url, database_ca, key_file, key_from_env }
    }

    pub fn postgres(&self) -> bool {
        self.database_url.is_some()
    }

    pub fn db_path(&self) -> PathBuf {
        central_db(&self.data_dir)
    }

    /// The key file given, or `central.key` beside the store when none was (made by `init`).
    pub fn key_source(&self) -> Result<KeySource, Failure> {
        match (&self.key_file, &self.key_from_env) {
            (Some(_), Some(_)) => Err(Failure(format!("give the store's key either as a key file or in {KEY_ENV}, not both"))),
            (Some(f), None) => Ok(KeySource::File(f.clone())),
            (None, Some(_)) => Ok(KeySource::Environment),
            (None, None) => Ok(KeySource::File(self.data_dir.join("central.key"))),
        }
    }

    /// Whether the key file is the default one in the data directory, which anyone copying the
    /// directory would take along with the store it protects.
    pub fn key_beside_store(&self) -> bool {
        matches!(self.key_source(), Ok(KeySource::File(f)) if f.parent() == Some(self.data_dir.as_path()))
    }

    /// The store's key, which must already exist, for a store that is encrypted (or new).
    pub fn key(&self) -> Result<StoreKey, Failure> {
        if casebook_server::storage::sqlite::is_plaintext(&self.db_path())? {
            return Err(casebook_server::storage::OpenError::NotEncrypted { path: self.db_path() }.into());
        }
        self.read_key()
    }

    fn read_key(&self) -> Result<StoreKey, Failure> {
        match self.key_source()? {
            KeySource::Environment => Ok(StoreKey::from_hex(self.key_from_env.as_deref().unwrap_or_default(), KEY_ENV)?),
            KeySource::File(path) => match StoreKey::from_file(&path) {
                Err(KeyError::Missing { .. }) if !self.db_path().exists() => Err(Failure(format!(
                    "there is no central store in {} yet; create it with `casebook-server --data {} init`",
                    self.data_dir.display(),
                    self.data_dir.display()
                ))),
                Err(KeyError::Missing { path }) => Err(Failure(format!(
                    "the key file {} does not exist, and {} can only be opened with the key it was encrypted with: give its key file with --key-file FILE (or CASEBOOK_SERVER_KEY_FILE)",
                    path.display(),
                    self.db_path().display()
                ))),
                other => Ok(other?),
            },
        }
    }

    /// The store's key, writing a new random one to the key file when it does not exist yet and
    /// `may_create` (a store that does not exist yet, or is being encrypted for the first time).
    /// Says so, and where the key went.
    pub fn key_or_new(&self, may_create: bool) -> Result<StoreKey, Failure> {
        if let (true, KeySource::File(path)) = (may_create, self.key_source()?) {
            if !path.exists() {
                if self.key_beside_store() {
                    casebook_server::private::private_dir(&self.data_dir).map_err(|e| {
                        Failure(format!("could not make {} private to the server's account: {e}", self.data_dir.display()))
                    })?;
                }
                let key = StoreKey::generate();
                key.write_new_file(&path)?;
                println!("Made a new random key for the central store in {} (readable only by this account).", path.display());
                if self.key_beside_store() {
                    println!(
                        "Move it away from the store it protects, to a protected place that is backed up separately (for example /etc/casebook/central.key), and give that path with --key-file or CASEBOOK_SERVER_KEY_FILE: without it the store and its backups cannot be read."
                    );
                } else {
                    println!("Keep a copy of it somewhere safe and separate from the backups: without it the store and its backups cannot be read.");
                }
                return Ok(key);
            }
            // Encrypting a plaintext store with a key made earlier: no plaintext check here.
            return self.read_key();
        }
        self.key()
    }

    /// Opens the configured store (its key must exist) and creates or upgrades its tables.
    pub async fn open(&self) -> Result<Arc<dyn Storage>, Failure> {
        let config = match &self.database_url {
            Some(url) => StoreConfig::Postgres { url: url.clone(), ca: self.database_ca.clone() },
            None => StoreConfig::Sqlite { data_dir: self.data_dir.clone(), key: self.key()? },
        };
        Ok(open_storage(&config).await?)
    }
}

/// Refuses a command that only makes sense for the embedded store.
pub fn sqlite_only(settings: &Settings, what: &str) -> Result<(), Failure> {
    if settings.postgres() {
        return Err(Failure(format!("{what} is for the embedded store; PostgreSQL's encryption at rest is the trust's (see the README)")));
    }
    Ok(())
}

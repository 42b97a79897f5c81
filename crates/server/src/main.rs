//! `casebook-server`: run the central store and administer it.

use casebook_protocol::Role;
use casebook_server::api::{Service, ServiceConfig};
use casebook_server::storage::Storage;
use casebook_server::{auth, open_storage, serve};
use clap::{Parser, Subcommand};
use serde::Deserialize;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use uuid::Uuid;

#[derive(Parser)]
#[command(name = "casebook-server", version, about = "The Casebook central store")]
struct Cli {
    /// Directory of the embedded SQLite store (default: the OS data directory).
    #[arg(long, global = true, env = "CASEBOOK_SERVER_DATA", value_name = "DIR")]
    data: Option<PathBuf>,
    /// Use PostgreSQL instead of the embedded store, e.g. postgres://casebook@localhost/casebook
    #[arg(long, global = true, env = "CASEBOOK_DATABASE_URL", value_name = "URL")]
    database_url: Option<String>,
    /// A TOML configuration file; command-line options and environment variables override it.
    #[arg(long, global = true, env = "CASEBOOK_SERVER_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create (or upgrade) the store's tables.
    Init,
    /// Serve the sync API.
    Serve {
        #[arg(long, env = "CASEBOOK_LISTEN")]
        listen: Option<SocketAddr>,
        /// PEM certificate chain for HTTPS (with --tls-key).
        #[arg(long, env = "CASEBOOK_TLS_CERT", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// PEM private key for HTTPS.
        #[arg(long, env = "CASEBOOK_TLS_KEY", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Serve plain HTTP on a non-loopback address (only behind a TLS-terminating reverse proxy).
        #[arg(long)]
        allow_plain_http: bool,
        /// Log as JSON lines (for log collectors).
        #[arg(long)]
        log_json: bool,
    },
    #[command(subcommand)]
    Team(TeamCommand),
    #[command(subcommand)]
    User(UserCommand),
    /// Allocate a case to a clinician: they receive its whole history at their next sync.
    Allocate {
        #[arg(long = "case")]
        case_id: String,
        #[arg(long)]
        user: String,
    },
    /// Take a case away from a clinician: their laptop removes it after sending what it holds.
    Deallocate {
        #[arg(long = "case")]
        case_id: String,
        #[arg(long)]
        user: String,
    },
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Copy the embedded store to FILE while it serves (for PostgreSQL use pg_dump; see the README).
    Backup {
        #[arg(long)]
        to: PathBuf,
    },
    /// Create a clearly fictional demo team and logins (for trying Casebook out; never in production).
    Demo,
}

#[derive(Subcommand)]
enum TeamCommand {
    Add { name: String },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user; the password comes from CASEBOOK_NEW_PASSWORD or a prompt.
    Add {
        username: String,
        #[arg(long)]
        team: String,
        #[arg(long)]
        role: String,
    },
}

#[derive(Subcommand)]
enum DeviceCommand {
    /// List registered laptops.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Withdraw a laptop's access at once (a lost or stolen laptop): its next sync locks it.
    Revoke { device_id: String },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    data: Option<PathBuf>,
    database_url: Option<String>,
    listen: Option<SocketAddr>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    allow_plain_http: Option<bool>,
    token_ttl_minutes: Option<i64>,
    max_body_bytes: Option<usize>,
}

struct Failure(String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(m)) => {
            let m = m.trim_end_matches('.');
            let mut chars = m.chars();
            let m = chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default();
            eprintln!("{m}.");
            ExitCode::FAILURE
        }
    }
}

fn load_config(cli: &Cli) -> Result<ConfigFile, Failure> {
    match &cli.config {
        None => Ok(ConfigFile::default()),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| Failure(format!("could not read {}: {e}", path.display())))?;
            toml::from_str(&text).map_err(|e| Failure(format!("{} is not a valid configuration: {}", path.display(), e.message())))
        }
    }
}

fn new_password(username: &str) -> Result<String, Failure> {
    let password = match std::env::var("CASEBOOK_NEW_PASSWORD") {
        Ok(p) => p,
        Err(_) if std::io::stdin().is_terminal() => {
            let a = rpassword::prompt_password(format!("Password for {username}: "))?;
            let b = rpassword::prompt_password("Type it again: ")?;
            if a != b {
                return Err(Failure("the two passwords do not match; nothing was changed".into()));
            }
            a
        }
        Err(_) => return Err(Failure("no password given: set CASEBOOK_NEW_PASSWORD or run in a terminal".into())),
    };
    auth::check_new_password(&password, username).map_err(Failure)?;
    Ok(password)
}

fn parse_id(s: &str, what: &str) -> Result<Uuid, Failure> {
    Uuid::parse_str(s.trim()).map_err(|_| Failure(format!("'{s}' is not a {what} id")))
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let config = load_config(&cli)?;
    let data_dir = cli
        .data
        .clone()
        .or(config.data.clone())
        .or_else(|| dirs::data_dir().map(|d| d.join("casebook-server")))
        .ok_or_else(|| Failure("give the store's directory with --data DIR".into()))?;
    let database_url = cli.database_url.clone().or(config.database_url.clone());
    let storage = open_storage(&data_dir, database_url.as_deref()).await?;

    match cli.command {
        Command::Init => {
            println!(
                "The central store is ready ({}).",
                database_url.as_deref().map(|_| "PostgreSQL".to_string()).unwrap_or_else(|| data_dir.join("central.db").display().to_string())
            );
        }
        Command::Serve { listen, tls_cert, tls_key, allow_plain_http, log_json } => {
            let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
            if log_json {
                tracing_subscriber::fmt().json().with_env_filter(filter).init();
            } else {
                tracing_subscriber::fmt().with_env_filter(filter).init();
            }
            let listen = listen.or(config.listen).unwrap_or_else(|| "127.0.0.1:8443".parse().unwrap());
            let allow_plain = allow_plain_http || config.allow_plain_http.unwrap_or(false);
            let tls = match (tls_cert.or(config.tls_cert.clone()), tls_key.or(config.tls_key.clone())) {
                (Some(c), Some(k)) => Some((c, k)),
                (None, None) => None,
                _ => return Err(Failure("give both a TLS certificate and its key, or neither".into())),
            };
            if tls.is_none() && !listen.ip().is_loopback() && !allow_plain {
                return Err(Failure(format!(
                    "refusing to serve plain HTTP on {listen}, where notes would cross the network unencrypted: give --tls-cert and --tls-key, or put a TLS reverse proxy in front and pass --allow-plain-http"
                )));
            }
            let mut service_config = ServiceConfig::default();
            if let Some(m) = config.token_ttl_minutes {
                service_config.token_ttl = chrono::Duration::minutes(m);
            }
            if let Some(b) = config.max_body_bytes {
                service_config.max_body_bytes = b;
            }
            let backend = if database_url.is_some() { "postgresql" } else { "sqlite" };
            let state = Service::new(storage, service_config);
            match tls {
                Some((cert, key)) => {
                    let listener = std::net::TcpListener::bind(listen).map_err(|e| Failure(format!("could not listen on {listen}: {e}")))?;
                    listener.set_nonblocking(true)?;
                    let actual = listener.local_addr()?;
                    tracing::info!(address = %actual, backend, "serving HTTPS");
                    println!("Casebook central store listening on https://{actual}");
                    casebook_server::serve_tls(listener, &cert, &key, state, shutdown_signal())
                        .await
                        .map_err(|e| Failure(format!("could not serve HTTPS with {} and {}: {e}", cert.display(), key.display())))?;
                }
                None => {
                    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| Failure(format!("could not listen on {listen}: {e}")))?;
                    let actual = listener.local_addr()?;
                    tracing::info!(address = %actual, backend, "serving");
                    println!("Casebook central store listening on http://{actual}");
                    serve(listener, state, shutdown_signal()).await?;
                }
            }
            tracing::info!("stopped after finishing in-flight requests");
        }
        Command::Team(TeamCommand::Add { name }) => {
            if name.trim().is_empty() {
                return Err(Failure("the team needs a name".into()));
            }
            storage.add_team(name.trim()).await?;
            println!("Added team {}.", name.trim());
        }
        Command::User(UserCommand::Add { username, team, role }) => {
            let role: Role = role.parse().map_err(Failure)?;
            let username = username.trim().to_string();
            if username.is_empty() || username.len() > 64 || username.contains(char::is_whitespace) {
                return Err(Failure("a username is 1 to 64 characters with no spaces".into()));
            }
            let password = new_password(&username)?;
            let hash = auth::hash_password(&password).map_err(Failure)?;
            storage.add_user(&username, &team, role, &hash).await?;
            println!("Added {} {username} to {team}.", role.as_str());
        }
        Command::Allocate { case_id, user } => {
            storage.allocate(parse_id(&case_id, "case")?, &user).await?;
            println!("Allocated case {case_id} to {user}; it reaches their laptop at its next sync.");
        }
        Command::Deallocate { case_id, user } => {
            if storage.deallocate(parse_id(&case_id, "case")?, &user).await? {
                println!("Case {case_id} is no longer allocated to {user}.");
            } else {
                return Err(Failure(format!("case {case_id} was not allocated to {user}")));
            }
        }
        Command::Device(DeviceCommand::List { json }) => {
            let devices = storage.devices().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&devices)?);
            } else if devices.is_empty() {
                println!("No laptops are registered yet.");
            } else {
                for d in devices {
                    let state = match d.revoked_at {
                        Some(at) => format!("revoked {}", at.format("%d %b %Y %H:%M")),
                        None => format!("last seen {}", d.last_seen_at.map(|t| t.format("%d %b %Y %H:%M").to_string()).unwrap_or_else(|| "never".into())),
                    };
                    println!("{}  {}  {}  ({state})", d.id, d.username, d.name);
                }
            }
        }
        Command::Device(DeviceCommand::Revoke { device_id }) => {
            if storage.revoke_device(parse_id(&device_id, "device")?, chrono::Utc::now()).await? {
                println!("Device {device_id} can no longer sync; it locks at its next attempt.");
            } else {
                return Err(Failure(format!("there is no device {device_id}")));
            }
        }
        Command::Backup { to } => {
            if database_url.is_some() {
                return Err(Failure("for PostgreSQL, back up with pg_dump (see the README)".into()));
            }
            if to.exists() {
                return Err(Failure(format!("{} already exists; choose a new file so no backup is overwritten", to.display())));
            }
            storage.backup(&to).await?;
            println!("Backed up to {}.", to.display());
        }
        Command::Demo => demo(storage.as_ref()).await?,
    }
    Ok(())
}

/// The fictional demo team. The password is printed because it is a demo: never use these
/// accounts with real families.
pub const DEMO_PASSWORD: &str = "demo-password-not-for-real-use";

async fn demo(storage: &dyn Storage) -> Result<(), Failure> {
    match storage.add_team("Demo Team (fictional)").await {
        Ok(()) | Err(casebook_server::storage::StorageError::Exists { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    let hash = auth::hash_password(DEMO_PASSWORD).map_err(Failure)?;
    for (user, role) in [("demo.clinician", Role::Clinician), ("demo.clinician2", Role::Clinician), ("demo.lead", Role::Lead)] {
        match storage.add_user(user, "Demo Team (fictional)", role, &hash).await {
            Ok(()) | Err(casebook_server::storage::StorageError::Exists { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    println!("Demo team ready: demo.clinician, demo.clinician2 and demo.lead, password '{DEMO_PASSWORD}'. Fictional use only.");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing in-flight requests");
}

#[allow(dead_code)]
fn _assert_send(_: Arc<dyn Storage>) {}

//! `casebook-server`: run the central store and administer it.

mod command;

use clap::{Parser, Subcommand};
use command::{Failure, Settings};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "casebook-server", version, about = "The Casebook central store")]
struct Cli {
    /// Directory of the embedded SQLite store (default: the OS data directory).
    #[arg(long, global = true, env = "CASEBOOK_SERVER_DATA", value_name = "DIR")]
    data: Option<PathBuf>,
    /// The embedded store's key file: 64 hex digits (default: central.key in the data directory,
    /// made by init). Or give the key itself in CASEBOOK_SERVER_KEY.
    #[arg(long, global = true, env = "CASEBOOK_SERVER_KEY_FILE", value_name = "FILE")]
    key_file: Option<PathBuf>,
    /// Use PostgreSQL instead of the embedded store, e.g. postgres://casebook@db.trust.nhs.uk/casebook?sslmode=verify-full
    #[arg(long, global = true, env = "CASEBOOK_DATABASE_URL", value_name = "URL")]
    database_url: Option<String>,
    /// PEM file of the authorities trusted to sign PostgreSQL's certificate (TLS, fully verified).
    #[arg(long, global = true, env = "CASEBOOK_DATABASE_CA", value_name = "FILE")]
    database_ca: Option<PathBuf>,
    /// A TOML configuration file; command-line options and environment variables override it.
    #[arg(long, global = true, env = "CASEBOOK_SERVER_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create (or upgrade) the store's tables; a new embedded store also gets a new random key.
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
    Case(CaseCommand),
    #[command(subcommand)]
    Device(DeviceCommand),
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Reports over every case the central store holds (read only: nothing is changed or deleted).
    #[command(subcommand)]
    Report(ReportCommand),
    /// Copy the embedded store to FILE, encrypted, while it serves (for PostgreSQL use pg_dump).
    Backup {
        #[arg(long)]
        to: PathBuf,
        /// Encrypt the copy with this key file instead of the store's key (made if missing).
        #[arg(long, env = "CASEBOOK_SERVER_BACKUP_KEY_FILE", value_name = "FILE")]
        backup_key_file: Option<PathBuf>,
    },
    /// Make a new embedded store from an encrypted backup (the server stopped, no store in place).
    Restore {
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// The key file the backup was encrypted with, if not the store's key.
        #[arg(long, env = "CASEBOOK_SERVER_BACKUP_KEY_FILE", value_name = "FILE")]
        backup_key_file: Option<PathBuf>,
    },
    /// Re-encrypt the embedded store with a new key (the server stopped).
    Rekey {
        /// The new key file; a new random key is written there if it does not exist. Or give the
        /// key itself in CASEBOOK_SERVER_NEW_KEY.
        #[arg(long, value_name = "FILE")]
        new_key_file: Option<PathBuf>,
    },
    /// Encrypt an embedded store made before encryption at rest, in place (the server stopped).
    Encrypt,
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
    /// Let an account sign in again at once after too many wrong passwords.
    Unlock { username: String },
    /// Set a new password; it comes from CASEBOOK_NEW_PASSWORD or a prompt.
    ResetPassword { username: String },
    /// Stop an account signing in or syncing, at once (someone who has left).
    Disable { username: String },
    /// Let a disabled account sign in and sync again.
    Enable { username: String },
    /// Change an account's role (clinician, lead or admin).
    SetRole { username: String, role: String },
    /// Move an account to another team.
    SetTeam { username: String, team: String },
    /// Name a clinician as a supervisor, who records case supervision on the cases they hold
    /// (yes), or stop (no).
    SetSupervisor { username: String, supervisor: String },
}

#[derive(Subcommand)]
enum CaseCommand {
    /// Give a case back to its rightful team when another team's laptop sent it first (the audit
    /// shows the rightful clinician's entries refused as case_not_allowed). Everything that team
    /// wrote to it is set aside (kept, never sent to a laptop again) and their access ends.
    Settle {
        #[arg(long = "case")]
        case_id: String,
        /// The team the case belongs to.
        #[arg(long)]
        team: String,
        /// Who on that team holds it (repeat for co-working); the team's leads see it too.
        #[arg(long = "allocate", value_name = "USER", required = true)]
        holders: Vec<String>,
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

#[derive(Subcommand)]
enum AuditCommand {
    /// Write the audit as JSON lines, oldest first, for a SIEM (to standard output unless --out).
    Export {
        /// Only entries at or after this time (RFC 3339, e.g. 2025-01-31T00:00:00Z).
        #[arg(long)]
        since: Option<String>,
        /// Write to this new file (an existing file is never overwritten).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// List the cases whose keep-until date (Records Management Code of Practice 2021) has passed,
    /// for a person to review. Never deletes anything: Casebook never deletes a record because of
    /// its date.
    Retention {
        /// The day to check against (YYYY-MM-DD; default today).
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        /// Print JSON instead of lines of text.
        #[arg(long)]
        json: bool,
    },
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
            eprintln!("{}.", casebook_domain::printable(&m, false));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let config = command::load_config(cli.config.as_deref())?;
    let service_config = config.service_config()?;
    let data_dir = cli
        .data
        .clone()
        .or(config.data.clone())
        .or_else(|| dirs::data_dir().map(|d| d.join("casebook-server")))
        .ok_or_else(|| Failure("give the store's directory with --data DIR".into()))?;
    let settings = Settings::new(
        data_dir,
        cli.database_url.clone().or(config.database_url.clone()),
        cli.database_ca.clone().or(config.database_ca.clone()),
        cli.key_file.clone().or(config.key_file.clone()),
    );

    // Commands that work on the store's files rather than through an open store.
    match &cli.command {
        Command::Init => return command::init::init(&settings).await,
        Command::Rekey { new_key_file } => return command::rekey::rekey(&settings, new_key_file.as_deref()),
        Command::Encrypt => return command::encrypt::encrypt(&settings),
        Command::Restore { from, backup_key_file } => {
            return command::restore::restore(&settings, from, backup_key_file.as_deref().or(config.backup_key_file.as_deref())).await
        }
        _ => {}
    }
    let storage = settings.open().await?;
    match cli.command {
        Command::Init | Command::Rekey { .. } | Command::Encrypt | Command::Restore { .. } => unreachable!("handled above"),
        Command::Serve { listen, tls_cert, tls_key, allow_plain_http, log_json } => {
            let options = command::serve::ServeOptions {
                listen,
                tls_cert,
                tls_key,
                allow_plain_http,
                log_json,
                postgres: settings.postgres(),
                key_beside_store: !settings.postgres() && settings.key_beside_store(),
            };
            command::serve::serve_api(storage, &config, service_config, options).await?
        }
        Command::Team(TeamCommand::Add { name }) => command::team::add(storage.as_ref(), &name).await?,
        Command::User(UserCommand::Add { username, team, role }) => command::user::add(storage.as_ref(), &username, &team, &role).await?,
        Command::User(UserCommand::Unlock { username }) => command::user::unlock(storage.as_ref(), &username).await?,
        Command::User(UserCommand::ResetPassword { username }) => command::user::reset_password(storage.as_ref(), &username).await?,
        Command::User(UserCommand::Disable { username }) => command::user::disable(storage.as_ref(), &username).await?,
        Command::User(UserCommand::Enable { username }) => command::user::enable(storage.as_ref(), &username).await?,
        Command::User(UserCommand::SetRole { username, role }) => command::user::set_role(storage.as_ref(), &username, &role).await?,
        Command::User(UserCommand::SetTeam { username, team }) => command::user::set_team(storage.as_ref(), &username, &team).await?,
        Command::User(UserCommand::SetSupervisor { username, supervisor }) => {
            command::user::set_supervisor(storage.as_ref(), &username, &supervisor).await?
        }
        Command::Allocate { case_id, user } => command::allocate::allocate(storage.as_ref(), &case_id, &user).await?,
        Command::Deallocate { case_id, user } => command::allocate::deallocate(storage.as_ref(), &case_id, &user).await?,
        Command::Case(CaseCommand::Settle { case_id, team, holders }) => command::case::settle(storage.as_ref(), &case_id, &team, &holders).await?,
        Command::Device(DeviceCommand::List { json }) => command::device::list(storage.as_ref(), json).await?,
        Command::Device(DeviceCommand::Revoke { device_id }) => command::device::revoke(storage.as_ref(), &device_id).await?,
        Command::Audit(AuditCommand::Export { since, out }) => command::audit::export(storage.as_ref(), since.as_deref(), out.as_deref()).await?,
        Command::Report(ReportCommand::Retention { as_of, json }) => {
            command::report::retention_report(storage.as_ref(), as_of.as_deref(), json).await?
        }
        Command::Backup { to, backup_key_file } => {
            let key_file = backup_key_file.or(config.backup_key_file.clone());
            command::backup::backup(storage.as_ref(), &settings, &to, key_file.as_deref()).await?
        }
        Command::Demo => command::demo::demo(storage.as_ref()).await?,
    }
    Ok(())
}

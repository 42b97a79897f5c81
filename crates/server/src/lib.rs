//! The central store: receives every laptop's events, keeps them forever, and gives each clinician
//! exactly the cases they may see.
//!
//! - [`admission`]: which events of a push are taken in (one decision for both backends).
//! - [`storage`]: one trait, two backends (SQLite by default, PostgreSQL for a trust).
//! - [`api`]: the HTTP service (axum): accounts, devices, sync, drafts backup, audit.
//! - [`audit`]: what is recorded, refusals included, and the JSON-lines export for a SIEM.
//! - [`auth`]: passwords and secrets.

pub mod admission;
pub mod api;
pub mod audit;
pub mod auth;
pub mod connections;
pub mod key;
pub mod metrics;
/// Folders and files only the server's account may read (the casebook-private-files crate).
pub use casebook_private_files as private;
pub mod signin;
pub mod storage;

use std::future::Future;
use std::sync::Arc;
use storage::Storage;

/// Where the central store is kept, and what opens it.
pub enum StoreConfig {
    /// The embedded store, `central.db` in `data_dir`, encrypted with `key`.
    Sqlite { data_dir: std::path::PathBuf, key: key::StoreKey },
    /// PostgreSQL at `url`; `ca` is a PEM file of the authorities trusted for its certificate
    /// (TLS with full verification; without it, the system's trusted authorities).
    Postgres { url: String, ca: Option<std::path::PathBuf> },
}

/// The embedded store's file in a data directory.
pub fn central_db(data_dir: &std::path::Path) -> std::path::PathBuf {
    data_dir.join("central.db")
}

/// Opens the configured backend and creates or upgrades its tables.
pub async fn open_storage(config: &StoreConfig) -> Result<Arc<dyn Storage>, storage::OpenError> {
    let storage: Arc<dyn Storage> = match config {
        StoreConfig::Postgres { url, ca } => Arc::new(storage::postgres::PostgresStorage::connect_with_ca(url, ca.as_deref()).await?),
        StoreConfig::Sqlite { data_dir, key } => Arc::new(storage::sqlite::SqliteStorage::open(&central_db(data_dir), key)?),
    };
    storage.migrate().await?;
    Ok(storage)
}

/// The service with its request tracing and timeout layers.
pub fn app(state: api::AppState) -> axum::Router {
    api::router(state)
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(tower_http::trace::DefaultMakeSpan::new().level(tracing::Level::INFO))
                .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            std::time::Duration::from_secs(120),
        ))
}

/// Serves plain HTTP until `shutdown` completes, then stops accepting and lets in-flight requests
/// (a push batch half-way through its transaction) finish. Connections are limited and timed out
/// as `state.config.connections` says.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: api::AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.config.connections;
    connections::serve_connections(listener, None, app(state), limits, shutdown).await
}

/// Serves HTTPS (rustls) with a certificate and key already loaded by [`connections::load_tls`],
/// with the same limits and graceful shutdown.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    tls: tokio_rustls::TlsAcceptor,
    state: api::AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.config.connections;
    connections::serve_connections(listener, Some(tls), app(state), limits, shutdown).await
}

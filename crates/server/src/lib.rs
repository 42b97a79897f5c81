//! The central store: receives every laptop's events, keeps them forever, and gives each clinician
//! exactly the cases they may see.
//!
//! - [`storage`]: one trait, two backends (SQLite by default, PostgreSQL for a trust).
//! - [`api`]: the HTTP service (axum): accounts, devices, sync, drafts backup, audit.
//! - [`auth`]: passwords and secrets.

pub mod api;
pub mod auth;
pub mod metrics;
pub mod storage;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use storage::Storage;

/// Opens the configured backend: PostgreSQL when a URL is given, otherwise SQLite in `data_dir`.
pub async fn open_storage(data_dir: &std::path::Path, database_url: Option<&str>) -> Result<Arc<dyn Storage>, storage::StorageError> {
    let storage: Arc<dyn Storage> = match database_url {
        Some(url) => Arc::new(storage::postgres::PostgresStorage::connect(url).await?),
        None => Arc::new(storage::sqlite::SqliteStorage::open(&data_dir.join("central.db"))?),
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
/// (a push batch half-way through its transaction) finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: api::AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}

/// Serves HTTPS (rustls) with the given PEM certificate chain and key, with the same graceful
/// shutdown.
pub async fn serve_tls(
    listener: std::net::TcpListener,
    cert: &std::path::Path,
    key: &std::path::Path,
    state: api::AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key).await?;
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        stopper.graceful_shutdown(Some(std::time::Duration::from_secs(60)));
    });
    axum_server::from_tcp_rustls(listener, config)
        .handle(handle)
        .serve(app(state).into_make_service_with_connect_info::<SocketAddr>())
        .await
}

//! `casebook-server serve`: the sync API over HTTPS, or plain HTTP on loopback / behind a proxy.

use super::{ConfigFile, Failure};
use casebook_server::api::{Service, ServiceConfig};
use casebook_server::connections::load_tls;
use casebook_server::serve;
use casebook_server::storage::Storage;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub struct ServeOptions {
    pub listen: Option<SocketAddr>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub allow_plain_http: bool,
    pub log_json: bool,
    pub postgres: bool,
    /// The store's key file is the default one inside the data directory.
    pub key_beside_store: bool,
}

pub async fn serve_api(storage: Arc<dyn Storage>, config: &ConfigFile, service_config: ServiceConfig, o: ServeOptions) -> Result<(), Failure> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    if o.log_json {
        tracing_subscriber::fmt().json().with_env_filter(filter).init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    if o.key_beside_store {
        tracing::warn!("the store's key file is in its data directory, so a copy of the directory carries its own key; move central.key to a protected place kept apart and give it with --key-file");
    }
    let listen = o.listen.or(config.listen).unwrap_or_else(|| "127.0.0.1:8443".parse().unwrap());
    let allow_plain = o.allow_plain_http || config.allow_plain_http.unwrap_or(false);
    let tls = match (o.tls_cert.or(config.tls_cert.clone()), o.tls_key.or(config.tls_key.clone())) {
        (Some(c), Some(k)) => Some((c, k)),
        (None, None) => None,
        _ => return Err(Failure("give both a TLS certificate and its key, or neither".into())),
    };
    if tls.is_none() && !listen.ip().is_loopback() && !allow_plain {
        return Err(Failure(format!(
            "refusing to serve plain HTTP on {listen}, where notes would cross the network unencrypted: give --tls-cert and --tls-key, or put a TLS reverse proxy in front and pass --allow-plain-http"
        )));
    }
    let backend = if o.postgres { "postgresql" } else { "sqlite" };
    let state = Service::new(storage, service_config);
    match tls {
        Some((cert, key)) => {
            // Load the certificate and key before saying we listen: a wrong path or a key that
            // does not match must stop the start, not the first laptop's handshake.
            let acceptor = load_tls(&cert, &key)?;
            let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| Failure(format!("could not listen on {listen}: {e}")))?;
            let actual = listener.local_addr()?;
            tracing::info!(address = %actual, backend, "serving HTTPS");
            println!("Casebook central store listening on https://{actual}");
            casebook_server::serve_tls(listener, acceptor, state, shutdown_signal()).await?;
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

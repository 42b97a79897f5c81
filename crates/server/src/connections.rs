//! Accepting connections, plain or TLS, so that slow or idle clients cannot use up the process's
//! file descriptors (a server out of descriptors cannot open its database or answer `/healthz`).
//!
//! - At most `max_connections` are open at once. The accept loop waits for a free slot before it
//!   accepts, so connections beyond the limit wait in the kernel's queue and hold no descriptor
//!   here; they are served as soon as others finish or time out.
//! - A request head (request line and headers) must be complete within `header_timeout` of the
//!   server starting to wait for it: after the connection opens (and its TLS handshake), and after
//!   each answer on a kept-alive connection. This closes slowloris connections and idle
//!   keep-alive ones alike.
//! - A connection on which no byte has moved either way for `idle_timeout` (a body trickled in,
//!   an answer nobody reads) is asked to close after its current answer, and dropped if it still
//!   has not after another `idle_timeout`.
//!
//! Only HTTP/1.1 is served: the laptops and reverse proxies speak it, and its single timer covers
//! both the slow head and the idle wait.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{watch, Semaphore};
use tower::ServiceExt;

/// How the accept loop protects the process; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        // 512 leaves half of the usual 1,024-descriptor limit for the database, logs and TLS.
        ConnectionLimits { max_connections: 512, header_timeout: Duration::from_secs(10), idle_timeout: Duration::from_secs(60) }
    }
}

/// How long in-flight requests may run on after shutdown is asked for.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(60);

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting and lets in-flight
/// requests finish (for at most a minute).
pub async fn serve_connections(
    listener: tokio::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stopping) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            _ = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors or a connection reset before it was accepted: neither is
                    // a reason to stop serving, but retrying at once would spin.
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let (tls, app, stopping) = (tls.clone(), app.clone(), stopping.clone());
        tokio::spawn(async move {
            let _slot = slot;
            let activity = Activity::new();
            let stream = Watched { inner: stream, activity: activity.clone() };
            match tls {
                None => serve_one(stream, peer, app, limits, activity, stopping).await,
                Some(acceptor) => match tokio::time::timeout(limits.header_timeout, acceptor.accept(stream)).await {
                    Ok(Ok(stream)) => serve_one(stream, peer, app, limits, activity, stopping).await,
                    Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake took too long"),
                },
            }
        });
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection holds a slot until it ends: all slots back means all finished.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(SHUTDOWN_GRACE, slots.acquire_many(all)).await.is_err() {
        tracing::warn!("stopped with requests still running after a minute");
    }
    Ok(())
}

async fn serve_one<IO>(io: IO, peer: SocketAddr, app: Router, limits: ConnectionLimits, activity: Activity, mut stopping: watch::Receiver<bool>)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = TowerToHyperService::new(tower::service_fn(move |mut req: hyper::Request<Incoming>| {
        // What `into_make_service_with_connect_info` would insert: `ClientIp` reads it.
        req.extensions_mut().insert(ConnectInfo(peer));
        app.clone().oneshot(req)
    }));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    let mut conn = pin!(builder.serve_connection(TokioIo::new(io), service));
    let mut hard_stop: Option<tokio::time::Instant> = None;
    loop {
        let idle_check = tokio::time::sleep(activity.until_idle(limits.idle_timeout));
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "connection closed");
                }
                return;
            }
            changed = stopping.changed(), if hard_stop.is_none() => {
                if changed.is_ok() {
                    conn.as_mut().graceful_shutdown();
                    hard_stop = Some(tokio::time::Instant::now() + SHUTDOWN_GRACE);
                }
            }
            _ = idle_check, if hard_stop.is_none() => {
                if activity.idle_for() >= limits.idle_timeout {
                    conn.as_mut().graceful_shutdown();
                    hard_stop = Some(tokio::time::Instant::now() + limits.idle_timeout);
                }
            }
            _ = tokio::time::sleep_until(hard_stop.unwrap_or_else(tokio::time::Instant::now)), if hard_stop.is_some() => {
                tracing::debug!(%peer, "dropped a connection that would not close");
                return;
            }
        }
    }
}

/// When bytes last moved on a connection, in milliseconds since it opened.
#[derive(Clone)]
struct Activity {
    opened: Instant,
    last_ms: Arc<AtomicU64>,
}

impl Activity {
    fn new() -> Self {
        Activity { opened: Instant::now(), last_ms: Arc::new(AtomicU64::new(0)) }
    }

    fn touch(&self) {
        self.last_ms.store(self.opened.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    fn idle_for(&self) -> Duration {
        self.opened.elapsed().saturating_sub(Duration::from_millis(self.last_ms.load(Ordering::Relaxed)))
    }

    fn until_idle(&self, limit: Duration) -> Duration {
        limit.saturating_sub(self.idle_for()).max(Duration::from_millis(10))
    }
}

/// A stream that records when bytes move on it.
struct Watched<S> {
    inner: S,
    activity: Activity,
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Errors loading the certificate and key, before anything is announced as listening.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("could not read the TLS certificate {path}: {detail}")]
    Certificate { path: String, detail: String },
    #[error("could not read the TLS key {path}: {detail}")]
    Key { path: String, detail: String },
    #[error("the TLS certificate {cert} and key {key} do not work together: {detail}")]
    Mismatch { cert: String, key: String, detail: String },
}

/// Loads and checks a PEM certificate chain and key, ready to accept TLS connections.
pub fn load_tls(cert: &std::path::Path, key: &std::path::Path) -> Result<tokio_rustls::TlsAcceptor, TlsError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cert_path = cert.display().to_string();
    let key_path = key.display().to_string();
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| TlsError::Certificate { path: cert_path.clone(), detail: e.to_string() })?;
    if chain.is_empty() {
        return Err(TlsError::Certificate { path: cert_path, detail: "it holds no certificate".into() });
    }
    let private = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Key { path: key_path.clone(), detail: e.to_string() })?;
    let mut config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|e| TlsError::Mismatch { cert: cert_path, key: key_path, detail: e.to_string() })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

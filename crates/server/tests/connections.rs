//! Slow and idle connections against a real server on loopback: they are closed after the
//! timeouts, never more than the limit are open at once, and `/healthz` keeps answering.

mod common;

use casebook_server::api::ServiceConfig;
use casebook_server::connections::ConnectionLimits;
use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const LIMIT: usize = 64;

fn limited() -> ServiceConfig {
    ServiceConfig {
        connections: ConnectionLimits { max_connections: LIMIT, header_timeout: Duration::from_secs(1), idle_timeout: Duration::from_secs(2) },
        ..ServiceConfig::default()
    }
}

/// Sockets this process holds (the server runs inside the test process).
fn open_sockets() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|target| target.to_string_lossy().starts_with("socket:"))
        .count()
}

fn addr(h: &Harness) -> String {
    h.base.trim_start_matches("http://").to_string()
}

/// Whether the server closed the connection within `within`.
fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    s.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 512];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue, // a 408 or similar before closing is fine
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => return false,
            Err(_) => return true, // reset
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_and_idle_connections_are_closed() {
    let h = start(Backend::Sqlite, limited()).await;
    let address = addr(&h);
    tokio::task::spawn_blocking(move || {
        // Slowloris: a byte of header now and then, never the end of the head.
        let mut slow = TcpStream::connect(&address).unwrap();
        slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").unwrap();
        let started = Instant::now();
        let mut closed = false;
        while started.elapsed() < Duration::from_secs(5) {
            if slow.write_all(b"X").is_err() || closed_within(&mut slow, Duration::from_millis(300)) {
                closed = true;
                break;
            }
        }
        assert!(closed, "a connection trickling its headers is closed after the header timeout");
        assert!(started.elapsed() < Duration::from_secs(3), "closed after about 1 s, took {:?}", started.elapsed());

        // Idle: connected, then nothing at all.
        let mut idle = TcpStream::connect(&address).unwrap();
        assert!(closed_within(&mut idle, Duration::from_secs(4)), "an idle connection is closed");

        // Kept alive after an answer, then silent: closed too.
        let mut kept = TcpStream::connect(&address).unwrap();
        kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut first = [0u8; 256];
        let n = kept.read(&mut first).unwrap();
        assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));
        assert!(closed_within(&mut kept, Duration::from_secs(4)), "a kept-alive connection that goes silent is closed");

        // Headers complete, then the body never comes: only the idle timeout (2 s, then 2 s more
        // to finish the request) ends it; the request timeout alone would take two minutes.
        let mut stalled = TcpStream::connect(&address).unwrap();
        stalled.write_all(b"POST /v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{").unwrap();
        let started = Instant::now();
        assert!(closed_within(&mut stalled, Duration::from_secs(8)), "a stalled body is dropped");
        assert!(started.elapsed() >= Duration::from_millis(1_500), "not before the idle timeout: {:?}", started.elapsed());
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_idle_connections_stay_under_the_limit_and_healthz_answers() {
    let h = start(Backend::Sqlite, limited()).await;
    let address = addr(&h);
    let before = open_sockets();
    let held = tokio::task::spawn_blocking({
        let address = address.clone();
        move || (0..200).map(|_| TcpStream::connect(&address).unwrap()).collect::<Vec<_>>()
    })
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The 200 client ends are ours too; the server's ends must be at most the limit.
    let server_side = open_sockets() - before - held.len();
    assert!(server_side <= LIMIT, "{server_side} connections accepted with a limit of {LIMIT}");
    // The idle ones time out and make room: a health check gets through while they are still open.
    let client = reqwest::Client::builder().timeout(Duration::from_secs(15)).build().unwrap();
    let started = Instant::now();
    let answer = client.get(format!("{}/healthz", h.base)).send().await.expect("/healthz answers");
    assert_eq!(answer.text().await.unwrap(), "ok");
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    drop(held);
}

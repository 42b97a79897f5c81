//! A fault-injecting HTTP proxy for sync tests: it sits between laptops and the central store on
//! loopback and, request by request, forwards faithfully, cuts the connection before forwarding,
//! forwards and then cuts before the laptop hears the answer (the server has committed), cuts in
//! the middle of the request body, or sends the request twice.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Forward,
    /// The connection drops before the request reaches the server.
    CutBeforeRequest,
    /// Half the request body reaches the server, then the connection drops.
    CutMidBody,
    /// The server handles the request, but the laptop never hears the answer.
    CutAfterCommit,
    /// The request reaches the server twice; the laptop hears the second answer.
    Duplicate,
    /// The request waits (a very slow network) until the test calls `release`, then goes through.
    Hold,
}

/// The proxy's plan: the fate of request number `n`.
type Plan = Arc<Mutex<Box<dyn FnMut(u64) -> Fault + Send>>>;

pub struct FaultProxy {
    pub url: String,
    /// Decides the fate of each request from a counter, so a test seed reproduces the same faults.
    plan: Plan,
    pub requests: Arc<AtomicU64>,
    /// How many requests are waiting under `Fault::Hold` right now.
    pub held: Arc<AtomicU64>,
    released: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn read_request(stream: &mut TcpStream) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let header_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
    let length = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0)))
        .unwrap_or(0);
    while buf.len() < header_end + length {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    // One request per connection: ask the server to close after answering, so its answer ends at
    // end-of-stream.
    let mut head_lines: Vec<String> = head.trim_end().lines().filter(|l| !l.to_ascii_lowercase().starts_with("connection:")).map(String::from).collect();
    head_lines.push("Connection: close".into());
    let new_head = format!("{}\r\n\r\n", head_lines.join("\r\n"));
    Some((new_head.into_bytes(), buf[header_end..header_end + length].to_vec()))
}

fn forward(upstream: &str, head: &[u8], body: &[u8], partial: bool) -> Option<Vec<u8>> {
    let mut server = TcpStream::connect(upstream).ok()?;
    server.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    server.write_all(head).ok()?;
    if partial {
        server.write_all(&body[..body.len() / 2]).ok()?;
        return None;
    }
    server.write_all(body).ok()?;
    let mut response = Vec::new();
    server.read_to_end(&mut response).ok()?;
    Some(response)
}

impl FaultProxy {
    pub fn start(upstream_url: &str, plan: impl FnMut(u64) -> Fault + Send + 'static) -> FaultProxy {
        let upstream = upstream_url.trim_start_matches("http://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let plan: Plan = Arc::new(Mutex::new(Box::new(plan)));
        let requests = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let held = Arc::new(AtomicU64::new(0));
        let released = Arc::new(AtomicBool::new(false));
        let (p, r, s, h, rel) = (plan.clone(), requests.clone(), stop.clone(), held.clone(), released.clone());
        thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                let (mut client, _) = match listener.accept() {
                    Ok(c) => c,
                    Err(_) => {
                        thread::sleep(Duration::from_millis(2));
                        continue;
                    }
                };
                client.set_nonblocking(false).ok();
                let (plan, requests, upstream) = (p.clone(), r.clone(), upstream.clone());
                let (held, released) = (h.clone(), rel.clone());
                thread::spawn(move || {
                    let Some((head, body)) = read_request(&mut client) else { return };
                    let n = requests.fetch_add(1, Ordering::SeqCst);
                    let fault = (plan.lock().unwrap())(n);
                    let response = match fault {
                        Fault::Forward => forward(&upstream, &head, &body, false),
                        Fault::CutBeforeRequest => None,
                        Fault::CutMidBody => forward(&upstream, &head, &body, true),
                        Fault::CutAfterCommit => {
                            forward(&upstream, &head, &body, false);
                            None
                        }
                        Fault::Duplicate => {
                            forward(&upstream, &head, &body, false);
                            forward(&upstream, &head, &body, false)
                        }
                        Fault::Hold => {
                            held.fetch_add(1, Ordering::SeqCst);
                            while !released.load(Ordering::SeqCst) {
                                thread::sleep(Duration::from_millis(5));
                            }
                            held.fetch_sub(1, Ordering::SeqCst);
                            forward(&upstream, &head, &body, false)
                        }
                    };
                    if let Some(bytes) = response {
                        let _ = client.write_all(&bytes);
                    }
                    let _ = client.shutdown(std::net::Shutdown::Both);
                });
            }
        });
        FaultProxy { url, plan, requests, held, released, stop }
    }

    /// Lets every held request (and any later one) through.
    pub fn release(&self) {
        self.released.store(true, Ordering::SeqCst);
    }

    pub fn set_plan(&self, plan: impl FnMut(u64) -> Fault + Send + 'static) {
        *self.plan.lock().unwrap() = Box::new(plan);
    }
}

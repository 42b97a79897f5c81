//! The real `casebook-server` binary, killed with SIGKILL in the middle of a push: on restart every
//! acknowledged event is there, no batch is half-stored, and the client's retry completes.

mod common;

use casebook_protocol::*;
use common::Laptop;
use std::collections::HashSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_casebook-server");
const PASSWORD: &str = "fictional kill-test password";

fn admin(dir: &Path, args: &[&str]) {
    let out = Command::new(BIN).arg("--data").arg(dir).args(args).env("CASEBOOK_NEW_PASSWORD", PASSWORD).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn spawn_server(dir: &Path, port: u16) -> Child {
    let mut child = Command::new(BIN)
        .arg("--data")
        .arg(dir)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if let Ok(r) = client.get(format!("http://127.0.0.1:{port}/healthz")).send().await {
            if r.status() == 200 {
                return child;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server did not start");
}

async fn login(client: &reqwest::Client, base: &str) -> Laptop {
    let resp = client
        .post(format!("{base}/v1/login"))
        .json(&serde_json::json!({"username": "clin.kill", "password": PASSWORD, "device_name": "kill-test laptop"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    Laptop::signed_in("clin.kill", resp.json().await.unwrap())
}

async fn push(client: &reqwest::Client, base: &str, laptop: &Laptop, batch: &[casebook_domain::Event]) -> Result<PushResponse, String> {
    let resp = client
        .post(format!("{base}/v1/push"))
        .bearer_auth(&laptop.token)
        .json(&PushRequest { events: batch.to_vec() })
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if resp.status() != 200 {
        return Err(format!("status {}", resp.status()));
    }
    resp.json().await.map_err(|e| e.to_string())
}

/// A real server binary on a loopback port with one clinician signed in.
struct Running {
    dir: tempfile::TempDir,
    port: u16,
    base: String,
    client: reqwest::Client,
    server: Child,
    laptop: Laptop,
}

async fn running_server(client_timeout_secs: u64) -> Running {
    let dir = tempfile::tempdir().unwrap();
    admin(dir.path(), &["init"]);
    admin(dir.path(), &["team", "add", "Test Team Kill"]);
    admin(dir.path(), &["user", "add", "clin.kill", "--team", "Test Team Kill", "--role", "clinician"]);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder().timeout(Duration::from_secs(client_timeout_secs)).build().unwrap();
    let server = spawn_server(dir.path(), port).await;
    let laptop = login(&client, &base).await;
    Running { dir, port, base, client, server, laptop }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_killed_mid_push_keeps_every_acknowledged_event_and_no_half_batch() {
    let Running { dir, port, base, client, mut server, mut laptop } = running_server(20).await;

    // Batches of 300 events: big enough that a kill lands inside a transaction now and then.
    let (case, opened) = laptop.open_case("Testfamily-Kill");
    let mut batches: Vec<Vec<casebook_domain::Event>> = vec![vec![opened]];
    for b in 0..24 {
        batches.push((0..300).map(|i| laptop.note(case, &format!("Fictional note {b}-{i}"))).collect());
    }

    let mut acknowledged: HashSet<uuid::Uuid> = HashSet::new();
    let mut unconfirmed: Vec<usize> = Vec::new();
    let mut kills = 0;
    for (i, batch) in batches.iter().enumerate() {
        if i % 6 == 5 {
            // Kill the server while this push is in flight.
            let (c, b, l, batch) = (client.clone(), base.clone(), laptop.token.clone(), batch.clone());
            let in_flight = tokio::spawn(async move {
                let mut lap = Laptop::offline("clin.kill");
                lap.token = l;
                push(&c, &b, &lap, &batch).await
            });
            tokio::time::sleep(Duration::from_millis(5 + (i as u64 * 7) % 40)).await;
            server.kill().unwrap();
            server.wait().unwrap();
            kills += 1;
            match in_flight.await.unwrap() {
                Ok(resp) => acknowledged.extend(resp.results.iter().map(|r| r.event_id)),
                Err(_) => unconfirmed.push(i),
            }
            server = spawn_server(dir.path(), port).await;
            continue;
        }
        let resp = push(&client, &base, &laptop, batch).await.expect("push to a running server");
        assert_eq!(resp.results.len(), batch.len());
        acknowledged.extend(resp.results.iter().map(|r| r.event_id));
    }
    assert_eq!(kills, 4);
    eprintln!("{} of {kills} in-flight pushes went unanswered", unconfirmed.len());

    // After restart: each batch is stored whole or not at all, and everything acknowledged is there.
    let reader = login(&client, &base).await;
    let held = pull_ids(&client, &base, &reader).await;
    for id in &acknowledged {
        assert!(held.contains(id), "acknowledged event {id} was lost");
    }
    for (i, batch) in batches.iter().enumerate() {
        let present = batch.iter().filter(|e| held.contains(&e.id)).count();
        assert!(present == 0 || present == batch.len(), "batch {i} is half-stored: {present} of {}", batch.len());
    }

    // The client retries what it never heard back about: that completes, and nothing doubles.
    for i in unconfirmed {
        let resp = push(&client, &base, &laptop, &batches[i]).await.expect("retry completes");
        assert_eq!(resp.results.len(), batches[i].len());
    }
    let reader2 = login(&client, &base).await;
    let all = pull_list(&client, &base, &reader2).await;
    let unique: HashSet<_> = all.iter().copied().collect();
    assert_eq!(all.len(), unique.len(), "no event is held twice");
    assert_eq!(unique.len(), batches.iter().map(Vec::len).sum::<usize>(), "every event is held once");
    server.kill().unwrap();
    server.wait().unwrap();
}

async fn pull_list(client: &reqwest::Client, base: &str, laptop: &Laptop) -> Vec<uuid::Uuid> {
    let mut after = Cursor::default();
    let mut ids = Vec::new();
    loop {
        let page: PullResponse = client
            .get(format!("{base}/v1/pull?after={after}&limit=1000"))
            .bearer_auth(&laptop.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.extend(page.events.iter().map(|e| e.event.id));
        after = page.next_cursor;
        if !page.more {
            return ids;
        }
    }
}

async fn pull_ids(client: &reqwest::Client, base: &str, laptop: &Laptop) -> HashSet<uuid::Uuid> {
    pull_list(client, base, laptop).await.into_iter().collect()
}

/// SIGTERM while a large batch is in flight: the server finishes it (the laptop hears success and
/// every event is stored), refuses new work, and exits cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_batch_in_flight_finish() {
    let Running { dir, port, base, client, mut server, mut laptop } = running_server(60).await;
    let (case, opened) = laptop.open_case("Testfamily-Term");
    let mut batch = vec![opened];
    batch.extend((0..1_999).map(|i| laptop.note(case, &format!("Fictional note {i} in a large batch"))));

    // Half the request goes out, then SIGTERM, then the rest: the batch is certainly in flight.
    let body = serde_json::to_vec(&PushRequest { events: batch }).unwrap();
    let head = format!(
        "POST /v1/push HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        laptop.token,
        body.len()
    );
    let mut socket = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    use std::io::{Read, Write};
    socket.write_all(head.as_bytes()).unwrap();
    socket.write_all(&body[..body.len() / 2]).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let term = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(term.success());
    std::thread::sleep(Duration::from_millis(200));
    socket.write_all(&body[body.len() / 2..]).unwrap();
    let mut response = String::new();
    socket.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "the batch in flight is answered: {}", &response[..response.len().min(200)]);
    let answer: PushResponse = serde_json::from_str(&response[response.find("\r\n\r\n").unwrap() + 4..]).unwrap();
    assert_eq!(answer.results.len(), 2_000);
    // New connections are no longer accepted once shutdown has begun.
    assert!(client.get(format!("{base}/healthz")).send().await.is_err());
    let status = tokio::task::spawn_blocking(move || server.wait().unwrap()).await.unwrap();
    assert!(status.success(), "a clean exit after SIGTERM: {status:?}");

    let mut server = spawn_server(dir.path(), port).await;
    let reader = login(&client, &base).await;
    assert_eq!(pull_ids(&client, &base, &reader).await.len(), 2_000, "everything answered is stored");
    server.kill().unwrap();
    server.wait().unwrap();
}

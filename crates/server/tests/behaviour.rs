//! The central store's behaviour, through real HTTP on loopback. Every test here runs once on the
//! embedded SQLite backend and once on PostgreSQL (see the macro at the bottom).

mod common;

use casebook_domain::*;
use casebook_protocol::*;
use casebook_server::api::ServiceConfig;
use common::*;
use std::collections::HashSet;
use uuid::Uuid;

async fn idempotent_push(backend: Backend) {
    let h = start(backend, ServiceConfig::default()).await;
    seed_teams(&h).await;
    let mut a1 = h.login("clin.a1").await;
    let (case, opened) = a1.open_case("Testfamily-Idem");
    let batch = vec![opened, a1.note(case, "Fictional note one"), a1.note(case, "Fictional note two")];
    let first = h.push(&a1, &batch).await;
    assert!(first.results.iter().all(|r| r.stored_now));
    for _ in 0..2 {
        // A lost response followed by a retry: the same batch again must store nothing new.
        let again = h.push(&a1, &batch).await;
        assert!(again.results.iter().all(|r| !r.stored_now));
        let seqs = |r: &PushResponse| r.results.iter().map(|x| x.seq).collect::<Vec<_>>();
        assert_eq!(seqs(&again), seqs(&first), "a repeat reports the original sequence numbers");
    }
    assert_eq!(h.storage.event_count().await.unwrap(), 3);
    assert_eq!(h.storage.case_events(case).await.unwrap().len(), 3);
}

async fn conflicting_event_is_refused(backend: Backend) {
    let h = start(backend, ServiceConfig::default()).await;
    seed_teams(&h).await;
    let mut a1 = h.login("clin.a1").await;
    let (case, opened) = a1.open_case("Testfamily-Conflict");
    let note = a1.note(case, "Original text");
    h.push(&a1, &[opened, note.clone()]).await;
    // Same id, different content (and a correct hash for that content): a forgery or a bug.
    let mut forged = note.clone();
    if let EventBody::NoteSigned(n) = &mut forged.body {
        n.text = "Rewritten text".into();
    }
    forged.content_hash = forged.compute_hash();
    let extra = a1.note(case, "Would be new");
    let answer = h.push(&a1, &[extra.clone(), forged]).await;
    assert!(answer.results[0].stored_now, "the rest of the batch is stored");
    let refused = answer.results[1].refused.as_ref().expect("the forgery is refused");
    assert_eq!((refused.code.as_str(), refused.index), ("conflicting_event", 1));
    let held = h.storage.case_events(case).await.unwrap();
    assert_eq!(held.len(), 3, "the forgery was not stored");
    assert_eq!(held[1].event, note, "the original is untouched");
    assert_eq!(held[2].event, extra);
}

async fn pull_pages_and_cursors(backend: Backend) {
    let h = start(backend, ServiceConfig::default()).await;
    seed_teams(&h).await;
    let mut laptop1 = h.login("clin.a1").await;
    let laptop2 = h.login("clin.a1").await; // the same clinician's second laptop
    let (case, opened) = laptop1.open_case("Testfamily-Paging");
    let mut events = vec![opened];
    for i in 0..24 {
        events.push(laptop1.note(case, &format!("Fictional note {i}")));
    }
    h.push(&laptop1, &events[..10]).await;
    h.push(&laptop1, &events[10..]).await;

    let mut after = Cursor::default();
    let mut got = Vec::new();
    let mut pages = 0;
    loop {
        let page = h.pull_page(&laptop2, after, 10).await;
        pages += 1;
        assert!(page.events.len() <= 10);
        assert!(page.next_cursor > after || page.events.is_empty());
        got.extend(page.events);
        after = page.next_cursor;
        if !page.more {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(ids(&got), events.iter().map(|e| e.id).collect::<Vec<_>>(), "every event once, in order");
    let seqs: Vec<u64> = got.iter().map(|e| e.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    // Nothing new: the same cursor comes back and no events.
    let again = h.pull_page(&laptop2, after, 10).await;
    assert!(again.events.is_empty() && !again.more);
    assert_eq!(again.next_cursor, after);
    // A laptop is not sent back its own events.
    let (own, _, _) = h.pull_all(&laptop1, Cursor::default()).await;
    assert!(own.is_empty());
    // A byte limit makes smaller pages, but always at least one event.
    let resp = h.get(&laptop2, "/v1/pull?after=0-0&limit=100&max_bytes=1").await;
    let page: PullResponse = resp.json().await.unwrap();
    assert_eq!(page.events.len(), 1);
    assert!(page.more);
}

async fn visibility_allocation_and_backfill(backend: Backend) {
    let h = start(backend, ServiceConfig::default()).await;
    seed_teams(&h).await;
    let mut a1 = h.login("clin.a1").await;
    let mut a2 = h.login("clin.a2").await;
    let lead = h.login("lead.a").await;
    let b1 = h.login("clin.b1").await;

    let (case, opened) = a1.open_case("Testfamily-Visible");
    let history = vec![opened, a1.note(case, "Fictional note before allocation")];
    h.push(&a1, &history).await;
    // a2 has an unrelated case of their own, so their cursor moves past the history above.
    let (own_case, own_opened) = a2.open_case("Testfamily-Other");
    h.push(&a2, &[own_opened]).await;
    let (seen, a2_cursor, _) = h.pull_all(&a2, Cursor::default()).await;
    assert!(seen.is_empty(), "a2 sees nothing of a1's case");
    assert_eq!(h.get(&a2, &format!("/v1/cases/{case}/digest")).await.status(), 404);

    // The lead sees every case of the team; the other team's clinician sees none.
    let (lead_seen, _, _) = h.pull_all(&lead, Cursor::default()).await;
    let lead_cases: HashSet<_> = lead_seen.iter().map(|e| e.event.case_id).collect();
    assert_eq!(lead_cases, HashSet::from([case, own_case]));
    let (b_seen, _, _) = h.pull_all(&b1, Cursor::default()).await;
    assert!(b_seen.is_empty());

    // Allocation: the whole history arrives as a backfill after a2's current cursor.
    h.storage.allocate(case, "clin.a2").await.unwrap();
    let (backfill, a2_cursor, _) = h.pull_all(&a2, a2_cursor).await;
    assert_eq!(ids(&backfill), history.iter().map(|e| e.id).collect::<Vec<_>>());
    let digest: CaseDigest = h.get(&a2, &format!("/v1/cases/{case}/digest")).await.json().await.unwrap();
    assert_eq!((digest.event_count, digest.digest.clone()), digest_of(history.iter().map(|e| &e.id)));

    // a2 can now write to it, and a1 receives that.
    let a2_note = a2.note(case, "Fictional note by the second clinician");
    h.push(&a2, std::slice::from_ref(&a2_note)).await;
    let (a1_seen, _, _) = h.pull_all(&a1, Cursor::default()).await;
    assert!(ids(&a1_seen).contains(&a2_note.id));

    // De-allocation: a2 is told, stops receiving the case, and can no longer write to it.
    assert!(h.storage.deallocate(case, "clin.a2").await.unwrap());
    let later = a1.note(case, "Fictional note after de-allocation");
    h.push(&a1, std::slice::from_ref(&later)).await;
    // a2 wrote this offline, after the de-allocation but before their laptop could know.
    let offline = a2.note(case, "Written offline before the de-allocation was known");
    let (after_removal, _, removed) = h.pull_all(&a2, a2_cursor).await;
    assert!(after_removal.iter().all(|e| e.event.case_id != case), "no event of the case after de-allocation");
    assert_eq!(removed, vec![case]);
    // Told now. Written after being told: refused, and kept out of the record.
    let after_told = a2.note(case, "Written after the laptop was told");
    let answer = h.push(&a2, &[offline.clone(), after_told.clone()]).await;
    assert!(answer.results[0].refused.is_none(), "what was written before the laptop knew still arrives: {:?}", answer.results[0]);
    assert_eq!(answer.results[1].refused.as_ref().map(|p| p.code.as_str()), Some("allocation_ended"));
    let held = h.storage.case_events(case).await.unwrap();
    let offline_held = held.iter().find(|e| e.event.id == offline.id).expect("the offline note is kept");
    assert!(offline_held.flag.as_deref().is_some_and(|f| f.contains("clin.a2")), "flagged for the lead: {:?}", offline_held.flag);
    assert!(held.iter().all(|e| e.event.id != after_told.id));
    assert!(held.iter().all(|e| e.received_at.is_some()), "every event carries the central store's receipt time");
    // The lead receives the flag with the event.
    let (lead_sees, _, _) = h.pull_all(&lead, Cursor::default()).await;
    assert!(lead_sees.iter().any(|e| e.event.id == offline.id && e.flag.is_some()));
    // …and someone who never held the case is refused, and says so plainly.
    let mut b1 = b1;
    let refused = b1.note(case, "Should be refused");
    let answer = h.push(&b1, &[refused]).await;
    assert_eq!(answer.results[0].refused.as_ref().map(|p| p.code.as_str()), Some("case_not_allowed"));
    assert_eq!(h.get(&a2, &format!("/v1/cases/{case}/digest")).await.status(), 404);
    let draft = DraftBackup { note_id: uuid::Uuid::now_v7(), case_id: case, text: "x".into(), revision: 1, updated_at: chrono::Utc::now() };
    let resp = h.http.put(format!("{}/v1/drafts/{}", h.base, draft.note_id)).bearer_auth(&a2.token).json(&draft).send().await.unwrap();
    assert_eq!(resp.status(), 404, "no endpoint leaks a case that is not allocated");
}

async fn revoked_device_is_refused_at_once(backend: Backend) {
    let h = start(backend, ServiceConfig::default()).await;
    seed_teams(&h).await;
    let mut a1 = h.login("clin.a1").await;
    let (_, opened) = a1.open_case("Testfamily-Revoked");
    h.push(&a1, &[opened]).await;
    assert!(h.storage.revoke_device(a1.device_id(), chrono::Utc::now()).await.unwrap());
    let (status, body) = error_body(h.get(&a1, "/v1/pull").await).await;
    assert_eq!((status, body.code.as_str()), (401, "device_revoked"));
    assert!(body.message.contains("will lock"), "{}", body.message);
    let (status, body) = error_body(h.renew_token(a1.device_id(), &a1.device_secret).await).await;
    assert_eq!((status, body.code.as_str()), (401, "device_revoked"));
    // The clinician's other laptops are unaffected.
    let other = h.login("clin.a1").await;
    assert_eq!(h.get(&other, "/v1/pull").await.status(), 200);
}

async fn expired_token_is_renewed_with_the_device_credential(backend: Backend) {
    let config = ServiceConfig { token_ttl: chrono::Duration::milliseconds(600), ..ServiceConfig::default() };
    let h = start(backend, config).await;
    seed_teams(&h).await;
    let mut a1 = h.login("clin.a1").await;
    assert_eq!(h.get(&a1, "/v1/pull").await.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let (status, body) = error_body(h.get(&a1, "/v1/pull").await).await;
    assert_eq!((status, body.code.as_str()), (401, "token_expired"));
    assert_eq!(h.renew_token(a1.device_id(), &"0".repeat(64)).await.status(), 401);
    let session: Session = h.renew_token(a1.device_id(), &a1.device_secret).await.json().await.unwrap();
    a1.token = session.access_token;
    assert_eq!(h.get(&a1, "/v1/pull").await.status(), 200);
    assert_eq!(h.get(&a1, "/v1/pull").await.status(), 200);
}

async fn audit_records_reads_and_writes(backend: Backend) {
    let h = start(backend, ServiceConfig::default()).await;
    seed_teams(&h).await;
    let mut a1 = h.login("clin.a1").await;
    let lead = h.login("lead.a").await;
    let (case, opened) = a1.open_case("Testfamily-Audit");
    let note = a1.note(case, "Fictional note");
    h.push(&a1, &[opened, note]).await;
    h.pull_all(&lead, Cursor::default()).await;
    assert_eq!(h.get(&a1, &format!("/v1/cases/{case}/audit")).await.status(), 403, "clinicians cannot read the audit");
    let entries: Vec<AuditEntry> = h.get(&lead, &format!("/v1/cases/{case}/audit")).await.json().await.unwrap();
    let actions: Vec<(&str, &str)> = entries.iter().map(|e| (e.username.as_str(), e.action.as_str())).collect();
    assert!(actions.contains(&("clin.a1", "push")), "{actions:?}");
    assert!(actions.contains(&("lead.a", "pull")), "{actions:?}");
    let push = entries.iter().find(|e| e.action == "push").unwrap();
    assert_eq!(push.device_id, Some(a1.device_id()));
    assert_eq!(push.detail, "wrote 2 events (0 already held)");
    // Reading the audit is itself audited.
    let again: Vec<AuditEntry> = h.get(&lead, &format!("/v1/cases/{case}/audit")).await.json().await.unwrap();
    assert!(again.iter().any(|e| e.action == "audit_read" && e.username == "lead.a"));
}

async fn bad_input_gets_a_clear_4xx_and_stores_nothing(backend: Backend) {
    let config = ServiceConfig { max_body_bytes: 64 * 1024, ..ServiceConfig::default() };
    let h = start(backend, config).await;
    seed_teams(&h).await;
    let mut a1 = h.login("clin.a1").await;
    let a2 = h.login("clin.a2").await;
    let (case, opened) = a1.open_case("Testfamily-Bad");
    let good_json = serde_json::to_value(&opened).unwrap();
    let token = a1.token.clone();
    let send = |body: String| {
        let h = &h;
        let token = token.clone();
        async move {
            h.http
                .post(format!("{}/v1/push", h.base))
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };

    let (status, body) = error_body(send("{not json".into()).await).await;
    assert_eq!((status, body.code.as_str()), (400, "invalid_request"));
    let (status, _) = error_body(send(r#"{"events": "lots"}"#.into()).await).await;
    assert_eq!(status, 400, "wrong types");
    let mut unknown = good_json.clone();
    unknown["kind"] = "note_exploded".into();
    let (status, body) = error_body(send(serde_json::json!({ "events": [unknown] }).to_string()).await).await;
    assert_eq!((status, body.code.as_str()), (400, "unknown_kind"));
    let huge = a1.note(case, &"x".repeat(70 * 1024));
    let (status, body) = error_body(send(serde_json::json!({ "events": [huge] }).to_string()).await).await;
    assert_eq!((status, body.code.as_str()), (413, "too_large"));

    // Each refusal below is of one event: the push itself succeeds and answers per event, and
    // nothing refused is stored.
    let code = |c: &str| Some(c.to_string());
    // A laptop clock five days fast (up to four days is accepted, so notes are never stranded).
    let mut fast = a1.event(case, EventBody::CaseOpened(CaseOpened { family_name: "Testfamily-Fast".into(), parent: None, due_date: None, infant: None, to_team_inbox: false }));
    fast.hlc.wall_ms += 5 * 24 * 3_600_000;
    fast.content_hash = fast.compute_hash();
    let answer = h.push(&a1, std::slice::from_ref(&fast)).await;
    let refused = answer.results[0].refused.as_ref().unwrap();
    assert_eq!(refused.code, "future_timestamp");
    assert!(refused.message.contains("correct the laptop's date and time"), "{}", refused.message);

    // An author spoofing another user (a1's laptop sending an event that claims a2 wrote it).
    let mut spoof = opened.clone();
    spoof.author = "clin.a2".into();
    spoof.content_hash = spoof.compute_hash();
    assert_eq!(h.push_codes(&a1, &[spoof]).await, [code("author_mismatch")]);
    // …and a2 pushing an event made on a1's laptop.
    assert_eq!(h.push_codes(&a2, std::slice::from_ref(&opened)).await, [code("author_mismatch")]);

    // A tampered event whose hash no longer matches.
    let mut tampered = opened.clone();
    if let EventBody::CaseOpened(c) = &mut tampered.body {
        c.family_name = "Changed".into();
    }
    assert_eq!(h.push_codes(&a1, &[tampered]).await, [code("hash_mismatch")]);

    // An empty note beside a good event: the good one is stored, the empty one refused.
    let empty = a1.note(case, " ");
    let answer = h.push(&a1, &[opened.clone(), empty]).await;
    assert!(answer.results[0].refused.is_none() && answer.results[0].stored_now);
    let refused = answer.results[1].refused.as_ref().unwrap();
    assert_eq!((refused.code.as_str(), refused.index), ("invalid_event", 1));
    assert_eq!(h.storage.case_events(case).await.unwrap().len(), 1, "only the case's opening was stored");

    let resp = h.http.get(format!("{}/v1/pull", h.base)).send().await.unwrap();
    assert_eq!(error_body(resp).await.0, 401, "no token");
    let resp = h.http.get(format!("{}/v1/pull", h.base)).bearer_auth("made-up").send().await.unwrap();
    assert_eq!(error_body(resp).await.0, 401);
    let (status, body) = error_body(h.get(&a1, "/v1/pull?after=yesterday").await).await;
    assert_eq!((status, body.code.as_str()), (400, "invalid_cursor"));
    let (status, body) = error_body(h.get(&a1, "/v1/pull?after=1234567890123456789-0").await).await;
    assert_eq!((status, body.code.as_str()), (400, "invalid_cursor"), "more digits than openapi.json allows a cursor");
    // Query parameters outside openapi.json's bounds are refused as JSON, not axum's plain text.
    for query in ["limit=0", "max_bytes=0", "limit=-1", "max_bytes=lots", "limit=99999999999999999999", "max_bytes=9007199254740992"] {
        let (status, body) = error_body(h.get(&a1, &format!("/v1/pull?{query}")).await).await;
        assert_eq!((status, body.code.as_str()), (400, "invalid_request"), "{query}");
    }
    let (status, _) = error_body(h.get(&a1, "/v1/cases/not-a-uuid/digest").await).await;
    assert_eq!(status, 400);

    assert_eq!(h.storage.event_count().await.unwrap(), 1, "none of that stored anything but the one good event");

    // SQL-looking text is only text.
    let (case2, sql) = a1.open_case("O'Testfamily\"; DROP TABLE events; --");
    let sql_note = a1.note(case2, "Robert'); DELETE FROM events WHERE ('1'='1");
    h.push(&a1, &[sql.clone(), sql_note.clone()]).await;
    let held = h.storage.case_events(case2).await.unwrap();
    assert_eq!(held.iter().map(|e| e.event.clone()).collect::<Vec<_>>(), vec![sql, sql_note]);
}

async fn drafts_are_private_to_their_author(backend: Backend) {
    let h = start(backend, ServiceConfig::default()).await;
    seed_teams(&h).await;
    let mut a1 = h.login("clin.a1").await;
    let lead = h.login("lead.a").await;
    let (case, opened) = a1.open_case("Testfamily-Drafts");
    h.push(&a1, &[opened]).await;
    let put = |laptop: &Laptop, d: &DraftBackup| {
        let req = h.http.put(format!("{}/v1/drafts/{}", h.base, d.note_id)).bearer_auth(&laptop.token).json(d);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    let mut d = DraftBackup { note_id: uuid::Uuid::now_v7(), case_id: case, text: "Half-written fictional note".into(), revision: 3, updated_at: chrono::Utc::now() };
    assert_eq!(put(&a1, &d).await, 204);
    let stale = DraftBackup { text: "older text".into(), revision: 2, ..d.clone() };
    assert_eq!(put(&a1, &stale).await, 204);
    let mine: Vec<DraftBackup> = h.get(&a1, "/v1/drafts").await.json().await.unwrap();
    assert_eq!(mine, vec![d.clone()], "a late older revision never overwrites a newer one");
    let theirs: Vec<DraftBackup> = h.get(&lead, "/v1/drafts").await.json().await.unwrap();
    assert!(theirs.is_empty(), "not even the team lead sees someone else's draft");
    d.revision = 4;
    d.text = "Newer".into();
    assert_eq!(put(&a1, &d).await, 204);
    let resp = h.http.delete(format!("{}/v1/drafts/{}", h.base, d.note_id)).bearer_auth(&a1.token).send().await.unwrap();
    assert_eq!(resp.status(), 204);
    let mine: Vec<DraftBackup> = h.get(&a1, "/v1/drafts").await.json().await.unwrap();
    assert!(mine.is_empty());
}

async fn health_metrics_and_openapi(backend: Backend) {
    let token = "fictional-metrics-token";
    let h = start(backend, ServiceConfig { metrics_token: Some(token.into()), ..ServiceConfig::default() }).await;
    seed_teams(&h).await;
    let mut a1 = h.login("clin.a1").await;
    let (_, opened) = a1.open_case("Testfamily-Metrics");
    h.push(&a1, &[opened]).await;
    assert_eq!(h.http.get(format!("{}/healthz", h.base)).send().await.unwrap().text().await.unwrap(), "ok");
    // Counters tell an outsider when the service is busy and whether guessing works: token only.
    assert_eq!(h.http.get(format!("{}/metrics", h.base)).send().await.unwrap().status(), 401);
    assert_eq!(h.http.get(format!("{}/metrics", h.base)).bearer_auth("fictional-metrics-guess").send().await.unwrap().status(), 401);
    assert_eq!(h.http.get(format!("{}/metrics", h.base)).bearer_auth(&a1.token).send().await.unwrap().status(), 401);
    let metrics = h.http.get(format!("{}/metrics", h.base)).bearer_auth(token).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("casebook_events_stored_total 1"), "{metrics}");
    let doc: serde_json::Value = h.http.get(format!("{}/openapi.json", h.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..2]), Some("3."));
    // Without a configured token there is nothing at /metrics at all.
    let open = start_on(h.storage.clone(), None, ServiceConfig::default()).await;
    assert_eq!(open.http.get(format!("{}/metrics", open.base)).send().await.unwrap().status(), 404);
    for path in [
        "/v1/login",
        "/v1/token",
        "/v1/logout",
        "/v1/push",
        "/v1/pull",
        "/v1/cases/{case_id}/digest",
        "/v1/cases/{case_id}/events",
        "/v1/cases/{case_id}/audit",
        "/v1/cases/{case_id}/allocations",
        "/v1/cases/{case_id}/allocations/{username}",
        "/v1/allocations",
        "/v1/drafts",
        "/v1/drafts/{note_id}",
    ] {
        assert!(doc["paths"].get(path).is_some(), "openapi.json documents {path}");
    }
}

async fn team_leads_allocate_within_their_team(backend: Backend) {
    let h = start(backend, ServiceConfig::default()).await;
    seed_teams(&h).await;
    let mut a1 = h.login("clin.a1").await;
    let a2 = h.login("clin.a2").await;
    let lead = h.login("lead.a").await;
    let b1 = h.login("clin.b1").await;
    let (case, opened) = a1.open_case("Testfamily-Allocate");
    h.push(&a1, &[opened]).await;
    let allocate = |who: &Laptop, to: &str| {
        let req = h.http.post(format!("{}/v1/cases/{case}/allocations", h.base)).bearer_auth(&who.token).json(&AllocationRequest { username: to.into() });
        async move { req.send().await.unwrap() }
    };
    let (status, body) = error_body(allocate(&a1, "clin.a2").await).await;
    assert_eq!((status, body.code.as_str()), (403, "leads_only"));
    let (status, body) = error_body(allocate(&lead, "clin.b1").await).await;
    assert_eq!((status, body.code.as_str()), (403, "other_team"));
    let (status, _) = error_body(allocate(&b1, "clin.b1").await).await;
    assert_eq!(status, 403, "a clinician of another team cannot allocate either");
    assert_eq!(allocate(&lead, "clin.a2").await.status(), 204);
    let (got, _, _) = h.pull_all(&a2, Cursor::default()).await;
    assert_eq!(got.len(), 1, "the whole history arrives");
    let entries: Vec<AuditEntry> = h.get(&lead, &format!("/v1/cases/{case}/audit")).await.json().await.unwrap();
    assert!(entries.iter().any(|e| e.action == "allocate" && e.detail == "allocated to clin.a2"));
    let resp = h.http.delete(format!("{}/v1/cases/{case}/allocations/clin.a2", h.base)).bearer_auth(&lead.token).send().await.unwrap();
    assert_eq!(resp.status(), 204);
    let (_, _, removed) = h.pull_all(&a2, Cursor::default()).await;
    assert_eq!(removed, vec![case]);
}

/// The audit rows with `action` that name no case: (username, device, detail), oldest first.
async fn audit_rows_of_no_case(db: &Db, action: &str) -> Vec<(String, Option<Uuid>, String)> {
    const SQL_SQLITE: &str = "SELECT username, device_id, detail FROM audit WHERE action = ?1 AND case_id IS NULL ORDER BY id";
    const SQL_POSTGRES: &str = "SELECT username, device_id, detail FROM audit WHERE action = $1 AND case_id IS NULL ORDER BY id";
    match db {
        Db::Sqlite(path, key) => {
            let c = raw_sqlite(path, key);
            let mut stmt = c.prepare(SQL_SQLITE).unwrap();
            stmt.query_map([action], |r| {
                let device: Option<String> = r.get(1)?;
                Ok((r.get(0)?, device.map(|d| Uuid::parse_str(&d).unwrap()), r.get(2)?))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
        }
        Db::Postgres(url) => {
            let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(connection);
            client.query(SQL_POSTGRES, &[&action]).await.unwrap().iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect()
        }
    }
}

async fn allocations_list_who_holds_each_case(backend: Backend) {
    let (h, db) = start_with_db(backend).await;
    seed_teams(&h).await;
    // Added last, so its id is the highest but its name sorts first: the list is sorted by name.
    h.storage.add_user("clin.a0", "Test Team A", Role::Clinician, &casebook_server::auth::hash_password(PASSWORD).unwrap()).await.unwrap();
    let mut a1 = h.login("clin.a1").await;
    let mut a2 = h.login("clin.a2").await;
    let a0 = h.login("clin.a0").await;
    let lead = h.login("lead.a").await;
    let mut b1 = h.login("clin.b1").await;
    let (shared, opened_shared) = a1.open_case("Testfamily-Shared");
    let (solo, opened_solo) = a1.open_case("Testfamily-Solo");
    h.push(&a1, &[opened_shared, opened_solo]).await;
    let (own, opened_own) = a2.open_case("Testfamily-Own");
    h.push(&a2, &[opened_own]).await;
    let (other_team, opened_other) = b1.open_case("Testfamily-OtherTeam");
    h.push(&b1, &[opened_other]).await;
    // The lead allocates the shared case to two more clinicians of the team.
    for to in ["clin.a2", "clin.a0"] {
        let resp = h
            .http
            .post(format!("{}/v1/cases/{shared}/allocations", h.base))
            .bearer_auth(&lead.token)
            .json(&AllocationRequest { username: to.into() })
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 204);
    }

    let list = |laptop: &Laptop| {
        let req = h.http.get(format!("{}/v1/allocations", h.base)).bearer_auth(&laptop.token);
        async move {
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status(), 200);
            let body: AllocationsResponse = resp.json().await.unwrap();
            body.cases
        }
    };
    let expect = |cases: &[(Uuid, &[&str])]| {
        let mut v: Vec<CaseAllocation> =
            cases.iter().map(|(case_id, who)| CaseAllocation { case_id: *case_id, clinicians: who.iter().map(|s| s.to_string()).collect() }).collect();
        v.sort_by_key(|a| a.case_id);
        v
    };
    let trio: &[&str] = &["clin.a0", "clin.a1", "clin.a2"];
    // A clinician sees only the cases allocated to them, each with everyone who holds it.
    assert_eq!(list(&a1).await, expect(&[(shared, trio), (solo, &["clin.a1"])]));
    assert_eq!(list(&a2).await, expect(&[(shared, trio), (own, &["clin.a2"])]));
    assert_eq!(list(&a0).await, expect(&[(shared, trio)]));
    assert_eq!(list(&b1).await, expect(&[(other_team, &["clin.b1"])]));
    // The lead sees every case of the team, and is not listed as holding any.
    assert_eq!(list(&lead).await, expect(&[(shared, trio), (solo, &["clin.a1"]), (own, &["clin.a2"])]));

    // Taken away: the case leaves a2's list and a2 leaves everyone's entry for it.
    assert!(h.storage.deallocate(shared, "clin.a2").await.unwrap());
    assert_eq!(list(&a2).await, expect(&[(own, &["clin.a2"])]));
    assert_eq!(list(&a1).await, expect(&[(shared, &["clin.a0", "clin.a1"]), (solo, &["clin.a1"])]));
    // A case no clinician holds any more is still the lead's, with nobody on it.
    assert!(h.storage.deallocate(solo, "clin.a1").await.unwrap());
    assert_eq!(list(&lead).await, expect(&[(shared, &["clin.a0", "clin.a1"]), (solo, &[]), (own, &["clin.a2"])]));

    // Signed in or nothing.
    let (status, body) = error_body(h.http.get(format!("{}/v1/allocations", h.base)).send().await.unwrap()).await;
    assert_eq!((status, body.code.as_str()), (401, "not_signed_in"));
    let (status, _) = error_body(h.http.get(format!("{}/v1/allocations", h.base)).bearer_auth("made-up").send().await.unwrap()).await;
    assert_eq!(status, 401);

    // Every read is audited, once per request, with no case named.
    let rows = audit_rows_of_no_case(&db, "allocations_read").await;
    assert_eq!(rows.len(), 8, "one row per successful read, none for the refusals: {rows:?}");
    assert_eq!(rows[0], ("clin.a1".to_string(), Some(a1.device_id()), "2 cases".to_string()));
    assert_eq!(rows[4], ("lead.a".to_string(), Some(lead.device_id()), "3 cases".to_string()));
}

macro_rules! behaviour_suite {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn idempotent_push() { super::idempotent_push($make).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn conflicting_event_is_refused() { super::conflicting_event_is_refused($make).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn pull_pages_and_cursors() { super::pull_pages_and_cursors($make).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn visibility_allocation_and_backfill() { super::visibility_allocation_and_backfill($make).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn revoked_device_is_refused_at_once() { super::revoked_device_is_refused_at_once($make).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn expired_token_is_renewed_with_the_device_credential() { super::expired_token_is_renewed_with_the_device_credential($make).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn audit_records_reads_and_writes() { super::audit_records_reads_and_writes($make).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn bad_input_gets_a_clear_4xx_and_stores_nothing() { super::bad_input_gets_a_clear_4xx_and_stores_nothing($make).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn drafts_are_private_to_their_author() { super::drafts_are_private_to_their_author($make).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn health_metrics_and_openapi() { super::health_metrics_and_openapi($make).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn team_leads_allocate_within_their_team() { super::team_leads_allocate_within_their_team($make).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn allocations_list_who_holds_each_case() { super::allocations_list_who_holds_each_case($make).await }
        }
    };
}

behaviour_suite!(sqlite, Backend::Sqlite);
behaviour_suite!(postgres, Backend::Postgres);

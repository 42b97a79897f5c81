//! Roles and the audit, attacked from outside: real HTTP on loopback and the real
//! `casebook-server` command, once on SQLite and once on PostgreSQL (see the macro at the bottom).

mod common;

use casebook_domain::{Event, EventBody};
use casebook_protocol::*;
use casebook_server::api::ServiceConfig;
use casebook_server::storage::Storage;
use common::*;
use std::sync::Arc;
use uuid::Uuid;

/// `audit export` with `args`, to standard output, each line parsed.
fn exported(db: &Db, args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["audit", "export"];
    all.extend_from_slice(args);
    cli_ok(db, &all).lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}"))).collect()
}

/// The exported lines with this action.
fn with_action<'a>(lines: &'a [serde_json::Value], action: &str) -> Vec<&'a serde_json::Value> {
    lines.iter().filter(|l| l["action"] == action).collect()
}

/// A statement run on the database directly, as someone with access to it would; the database's
/// own message when it refuses.
async fn raw_execute(db: &Db, sql: &str) -> Result<u64, String> {
    match db {
        Db::Sqlite(path, key) => raw_sqlite(path, key).execute(sql, []).map(|n| n as u64).map_err(|e| e.to_string()),
        Db::Postgres(url) => {
            let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(connection);
            client.execute(sql, &[]).await.map_err(|e| e.as_db_error().map(|d| d.message().to_string()).unwrap_or_else(|| e.to_string()))
        }
    }
}

/// The two teams of `seed_teams`, plus team A's administrator and team B's lead.
async fn seed_with_admin(h: &Harness) {
    seed_teams(h).await;
    let hash = casebook_server::auth::hash_password(PASSWORD).unwrap();
    h.storage.add_user("admin.a", "Test Team A", Role::Admin, &hash).await.unwrap();
    h.storage.add_user("lead.b", "Test Team B", Role::Lead, &hash).await.unwrap();
}

async fn allocate(h: &Harness, who: &Laptop, case: Uuid, to: &str) -> reqwest::Response {
    h.http
        .post(format!("{}/v1/cases/{case}/allocations", h.base))
        .bearer_auth(&who.token)
        .json(&AllocationRequest { username: to.into() })
        .send()
        .await
        .unwrap()
}

async fn deallocate(h: &Harness, who: &Laptop, case: Uuid, from: &str) -> reqwest::Response {
    h.http.delete(format!("{}/v1/cases/{case}/allocations/{from}", h.base)).bearer_auth(&who.token).send().await.unwrap()
}

async fn put_draft(h: &Harness, who: &Laptop, case: Uuid) -> (Uuid, reqwest::Response) {
    let draft = DraftBackup { note_id: Uuid::now_v7(), case_id: case, text: "Fictional draft".into(), revision: 1, updated_at: chrono::Utc::now() };
    let resp = h.http.put(format!("{}/v1/drafts/{}", h.base, draft.note_id)).bearer_auth(&who.token).json(&draft).send().await.unwrap();
    (draft.note_id, resp)
}

/// Asserts that `who` can get nothing of `case`: no digest, no events, and nothing by pulling.
async fn nothing_readable(h: &Harness, who: &Laptop, case: Uuid) {
    for path in [format!("/v1/cases/{case}/digest"), format!("/v1/cases/{case}/events")] {
        let (status, body) = error_body(h.get(who, &path).await).await;
        assert_eq!((status, body.code.as_str()), (404, "case_not_found"), "{} reading {path}", who.username());
    }
    let (events, _, _) = h.pull_all(who, Cursor::default()).await;
    assert!(events.iter().all(|e| e.event.case_id != case), "{} pulled events of {case}", who.username());
}

/// Asserts that `who` gets none of `case`'s clinical content, by pulling or by the repair read:
/// only the kinds admin staff see.
async fn no_clinical_content(h: &Harness, who: &Laptop, case: Uuid) {
    let (events, _, _) = h.pull_all(who, Cursor::default()).await;
    let repair: Vec<PulledEvent> = h.get(who, &format!("/v1/cases/{case}/events")).await.json().await.unwrap();
    for (how, events) in [("pulled", events), ("read for repair", repair)] {
        let kinds: Vec<&str> = events.iter().filter(|e| e.event.case_id == case).map(|e| e.event.body.kind()).collect();
        assert!(kinds.iter().all(|k| casebook_domain::roles::admin_sees(k)), "{} {how} {kinds:?}", who.username());
        assert!(!kinds.contains(&"note_signed"), "{kinds:?}");
    }
}

async fn held(h: &Harness, who: &Laptop) -> Vec<CaseAllocation> {
    h.get(who, "/v1/allocations").await.json::<AllocationsResponse>().await.unwrap().cases
}

/// Issue 10, item 6: an administrator never allocates and never reads clinical content; a lead
/// acts only within their own team.
async fn admin_and_leads_stay_within_their_role(backend: Backend) {
    let h = start(backend, ServiceConfig::default()).await;
    seed_with_admin(&h).await;
    let mut a1 = h.login("clin.a1").await;
    let mut b1 = h.login("clin.b1").await;
    let lead_a = h.login("lead.a").await;
    let mut admin = h.login("admin.a").await;
    let (case_a, opened_a) = a1.open_case("Testfamily-TeamA");
    let note_a = a1.note(case_a, "Fictional clinical note of team A");
    h.push(&a1, &[opened_a, note_a]).await;
    let (case_b, opened_b) = b1.open_case("Testfamily-TeamB");
    let note_b = b1.note(case_b, "Fictional clinical note of team B");
    h.push(&b1, &[opened_b, note_b]).await;

    // The administrator of team A tries to take team B's case, then their own team's.
    for case in [case_b, case_a] {
        let (status, body) = error_body(allocate(&h, &admin, case, "admin.a").await).await;
        assert_eq!((status, body.code.as_str()), (403, "admins_do_not_allocate"), "{}", body.message);
        assert!(body.message.ends_with('.') && body.message.contains("lead"), "one actionable sentence: {}", body.message);
    }
    nothing_readable(&h, &admin, case_b).await;
    // Of their own team's case, only what admin staff work with (the family, the referral,
    // appointments), never the note, however they ask.
    no_clinical_content(&h, &admin, case_a).await;
    // Nor can they hand a case to someone else, or take one away.
    let (status, _) = error_body(allocate(&h, &admin, case_b, "clin.a1").await).await;
    assert_eq!(status, 403);
    nothing_readable(&h, &a1, case_b).await;
    let (status, _) = error_body(deallocate(&h, &admin, case_a, "clin.a1").await).await;
    assert_eq!(status, 403);
    // No draft backups for a case, and no clinical entries into any case, old or new; a case they
    // open must be a referral for the team's inbox.
    let (_, resp) = put_draft(&h, &admin, case_a).await;
    assert_eq!(resp.status(), 404, "an administrator cannot back up a draft for a case");
    let (new_case, opened_new) = admin.open_case("Testfamily-ByAdmin");
    let into_a = admin.note(case_a, "Fictional note an administrator tries to add");
    assert_eq!(h.push_codes(&admin, &[opened_new, into_a]).await, [Some("admin_not_clinical".into()), Some("admin_not_clinical".into())]);
    nothing_readable(&h, &lead_a, new_case).await;
    assert_eq!(h.storage.event_count().await.unwrap(), 4, "nothing an administrator sent was stored");
    // The audit trail of their own team's cases, yes (no clinical content in it); another team's, no.
    let entries: Vec<AuditEntry> = h.get(&admin, &format!("/v1/cases/{case_a}/audit")).await.json().await.unwrap();
    assert!(entries.iter().any(|e| e.action == "push" && e.username == "clin.a1"), "{entries:?}");
    assert!(entries.iter().all(|e| !e.detail.contains("Fictional clinical note")), "{entries:?}");
    let (status, _) = error_body(h.get(&admin, &format!("/v1/cases/{case_b}/audit")).await).await;
    assert_eq!(status, 404, "another team's audit trail is not visible to an administrator");

    // Team A's lead tries to take team B's case, for themselves or for their clinician.
    for to in ["lead.a", "clin.a1"] {
        let (status, body) = error_body(allocate(&h, &lead_a, case_b, to).await).await;
        assert_eq!((status, body.code.as_str()), (404, "case_not_found"), "{}", body.message);
    }
    nothing_readable(&h, &lead_a, case_b).await;
    nothing_readable(&h, &a1, case_b).await;
    let (status, _) = error_body(deallocate(&h, &lead_a, case_b, "clin.b1").await).await;
    assert_eq!(status, 404);
    // ... or to give team A's case to team B's clinician, or to an administrator.
    let (status, body) = error_body(allocate(&h, &lead_a, case_a, "clin.b1").await).await;
    assert_eq!((status, body.code.as_str()), (403, "other_team"));
    nothing_readable(&h, &b1, case_a).await;
    let (status, body) = error_body(allocate(&h, &lead_a, case_a, "admin.a").await).await;
    assert_eq!((status, body.code.as_str()), (403, "admins_hold_no_cases"), "{}", body.message);
    no_clinical_content(&h, &admin, case_a).await;

    // Everything refused left the allocations as they were.
    assert_eq!(held(&h, &b1).await, vec![CaseAllocation { case_id: case_b, clinicians: vec!["clin.b1".into()] }]);
    assert_eq!(held(&h, &a1).await, vec![CaseAllocation { case_id: case_a, clinicians: vec!["clin.a1".into()] }]);
    // Admin staff see who holds each of their team's cases (to book appointments), and hold none.
    assert_eq!(held(&h, &admin).await, vec![CaseAllocation { case_id: case_a, clinicians: vec!["clin.a1".into()] }]);
    // Within the rules, the lead still allocates.
    assert_eq!(allocate(&h, &lead_a, case_a, "clin.a2").await.status(), 204);
}

/// Issue 10, item 9: refused attempts are recorded with where they came from, and a trust's SIEM
/// gets them (and everything else) from `audit export` as JSON lines.
async fn refusals_are_audited_with_their_source(backend: Backend) {
    let (h, db) = start_with_db(backend).await;
    seed_with_admin(&h).await;
    let mut a1 = h.login("clin.a1").await;
    let b1 = h.login("clin.b1").await;
    let a2 = h.login("clin.a2").await;
    let lead_a = h.login("lead.a").await;
    let admin = h.login("admin.a").await;
    let (case_a, opened) = a1.open_case("Testfamily-Audited");
    h.push(&a1, &[opened]).await;
    assert_eq!(h.get(&a1, &format!("/v1/cases/{case_a}/digest")).await.status(), 200);

    // Another team's clinician tries the case three ways.
    assert_eq!(h.get(&b1, &format!("/v1/cases/{case_a}/digest")).await.status(), 404);
    assert_eq!(h.get(&b1, &format!("/v1/cases/{case_a}/events")).await.status(), 404);
    assert_eq!(put_draft(&h, &b1, case_a).await.1.status(), 404);
    assert_eq!(h.get(&b1, &format!("/v1/cases/{case_a}/audit")).await.status(), 403);
    // Bad credentials: a made-up token, a revoked laptop's token, a wrong device secret, a wrong
    // password and an account that does not exist.
    let me = |token: &str| h.http.get(format!("{}/v1/me", h.base)).bearer_auth(token).send();
    assert_eq!(me("made-up-token").await.unwrap().status(), 401);
    let a2_device = a2.device_id();
    assert!(h.storage.revoke_device(a2_device, chrono::Utc::now()).await.unwrap());
    assert_eq!(me(&a2.token).await.unwrap().status(), 401);
    assert_eq!(h.renew_token(a1.device_id(), "not the secret").await.status(), 401);
    for (username, password) in [("clin.a1", "wrong password"), ("no.such.user", "fictional password typed as a username")] {
        let body = serde_json::json!({"username": username, "password": password, "device_name": "test laptop"});
        assert_eq!(h.http.post(format!("{}/v1/login", h.base)).json(&body).send().await.unwrap().status(), 401);
    }
    // An administrator tries to allocate; a clinician deletes a draft backup.
    assert_eq!(allocate(&h, &admin, case_a, "admin.a").await.status(), 403);
    let (note, resp) = put_draft(&h, &a1, case_a).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(h.http.delete(format!("{}/v1/drafts/{note}", h.base)).bearer_auth(&a1.token).send().await.unwrap().status(), 204);

    let lines = exported(&db, &[]);
    let loopback = serde_json::json!("127.0.0.1");
    for l in &lines {
        let mut keys: Vec<&str> = l.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["action", "at", "case_id", "detail", "device_id", "id", "refused", "source", "username"], "one fixed shape: {l}");
        assert_eq!(l["refused"], l["action"].as_str().unwrap().starts_with("refused_"), "{l}");
    }
    let ids: Vec<u64> = lines.iter().map(|l| l["id"].as_u64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "oldest first: {ids:?}");

    let reads = with_action(&lines, "refused_read");
    assert_eq!(reads.len(), 3, "digest, events and audit trail: {reads:?}");
    for r in &reads {
        assert_eq!((&r["username"], &r["case_id"], &r["source"]), (&serde_json::json!("clin.b1"), &serde_json::json!(case_a), &loopback), "{r}");
        assert_eq!(r["device_id"], serde_json::json!(b1.device_id()));
        assert_eq!(r["refused"], true);
    }
    assert_eq!(reads.iter().map(|r| r["detail"].as_str().unwrap()).collect::<Vec<_>>(), ["digest: case_not_found", "events: case_not_found", "audit trail: leads_only"]);
    let draft = with_action(&lines, "refused_draft");
    assert_eq!((draft.len(), &draft[0]["username"], &draft[0]["case_id"]), (1, &serde_json::json!("clin.b1"), &serde_json::json!(case_a)));
    let tokens: Vec<(&str, &str)> =
        with_action(&lines, "refused_token").iter().map(|l| (l["username"].as_str().unwrap(), l["detail"].as_str().unwrap())).collect();
    assert_eq!(
        tokens,
        [("unknown", "unknown access token"), ("clin.a2", "access token of a revoked laptop"), ("clin.a1", "wrong device credential")]
    );
    assert!(with_action(&lines, "refused_token").iter().all(|l| l["source"] == loopback));
    let logins: Vec<(&str, &str)> =
        with_action(&lines, "refused_login").iter().map(|l| (l["username"].as_str().unwrap(), l["detail"].as_str().unwrap())).collect();
    assert_eq!(logins, [("clin.a1", "wrong password (1 in a row)"), ("unknown", "no such account")], "what was typed as a username is not kept");
    assert!(lines.iter().all(|l| !l["detail"].as_str().unwrap().contains("fictional password")));
    let allocation = with_action(&lines, "refused_allocate");
    assert_eq!((allocation.len(), &allocation[0]["username"], &allocation[0]["detail"]), (1, &serde_json::json!("admin.a"), &serde_json::json!("allocate to admin.a: admins_do_not_allocate")));
    let deleted = with_action(&lines, "draft_delete");
    assert_eq!((deleted.len(), &deleted[0]["username"], &deleted[0]["case_id"], &deleted[0]["source"]), (1, &serde_json::json!("clin.a1"), &serde_json::json!(case_a), &loopback));
    // What was allowed has its source too.
    let digest = with_action(&lines, "digest");
    assert_eq!((digest.len(), &digest[0]["source"], &digest[0]["refused"]), (1, &loopback, &serde_json::json!(false)));
    assert!(with_action(&lines, "login").iter().all(|l| l["source"] == loopback));

    // The team's lead sees who tried their case.
    let trail: Vec<AuditEntry> = h.get(&lead_a, &format!("/v1/cases/{case_a}/audit")).await.json().await.unwrap();
    assert!(trail.iter().any(|e| e.action == "refused_read" && e.username == "clin.b1" && e.source.as_deref() == Some("127.0.0.1")), "{trail:?}");

    // --since keeps only what came after; --out writes a new file and never overwrites one.
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    assert!(exported(&db, &["--since", &later.to_rfc3339()]).is_empty());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.jsonl");
    let file_arg = file.to_str().unwrap();
    assert!(cli_ok(&db, &["audit", "export", "--since", "2000-01-01T00:00:00Z", "--out", file_arg]).contains("audit entries to"));
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.lines().count() > lines.len(), "the whole audit, the first export's own row included");
    let again = cli(&db, &["audit", "export", "--out", file_arg]);
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let bad = cli(&db, &["audit", "export", "--since", "yesterday"]);
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).trim().lines().count() == 1);
}

/// Issue 10, item 9: nobody, not even someone with the database's own credentials, changes or
/// removes what the audit says.
async fn the_audit_is_append_only(backend: Backend) {
    let (h, db) = start_with_db(backend).await;
    seed_with_admin(&h).await;
    h.login("clin.a1").await;
    let before = exported(&db, &[]);
    assert!(!before.is_empty());
    let mut refused = vec!["UPDATE audit SET detail = 'nothing happened'", "DELETE FROM audit"];
    if matches!(db, Db::Postgres(_)) {
        refused.push("TRUNCATE audit");
    }
    for sql in refused {
        let err = raw_execute(&db, sql).await.expect_err(sql);
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(exported(&db, &[])[..before.len()], before[..], "the audit is untouched");
    // Other tables are unaffected by the guard.
    assert_eq!(raw_execute(&db, "DELETE FROM drafts").await, Ok(0));
}

/// Issue 10, item 9: what IT does with the command is in the audit as cli_*, attributed to the
/// operating-system account that ran it.
async fn cli_actions_are_audited(backend: Backend) {
    let (h, db) = start_with_db(backend).await;
    seed_with_admin(&h).await;
    let mut a1 = h.login("clin.a1").await;
    let (case, opened) = a1.open_case("Testfamily-CommandLine");
    h.push(&a1, &[opened]).await;
    let case_arg = case.to_string();
    let device_arg = a1.device_id().to_string();
    cli_ok(&db, &["team", "add", "Test Team C"]);
    cli_ok(&db, &["user", "add", "clin.c1", "--team", "Test Team C", "--role", "clinician"]);
    cli_ok(&db, &["allocate", "--case", &case_arg, "--user", "clin.a2"]);
    cli_ok(&db, &["deallocate", "--case", &case_arg, "--user", "clin.a2"]);
    cli_ok(&db, &["device", "revoke", &device_arg]);
    // An administrator never holds a case, whoever allocates it.
    let out = cli(&db, &["allocate", "--case", &case_arg, "--user", "admin.a"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("administrators never hold cases") && err.trim().lines().count() == 1, "{err}");
    let admin = h.login("admin.a").await;
    no_clinical_content(&h, &admin, case).await;

    let lines = exported(&db, &[]);
    let cli_rows: Vec<(&str, &str)> = lines
        .iter()
        .filter(|l| l["action"].as_str().unwrap().starts_with("cli_"))
        .map(|l| {
            assert_eq!((&l["username"], &l["source"], &l["refused"]), (&serde_json::json!("cli:it.tester"), &serde_json::json!("cli:it.tester"), &serde_json::json!(false)), "{l}");
            (l["action"].as_str().unwrap(), l["detail"].as_str().unwrap())
        })
        .collect();
    let revoked = format!("revoked laptop {device_arg}");
    assert_eq!(
        cli_rows,
        [
            ("cli_team_add", "added team Test Team C"),
            ("cli_user_add", "added clinician clin.c1 to Test Team C"),
            ("cli_allocate", "allocated to clin.a2"),
            ("cli_deallocate", "taken away from clin.a2"),
            ("cli_device_revoke", revoked.as_str()),
        ]
    );
    assert_eq!(with_action(&lines, "cli_allocate")[0]["case_id"], serde_json::json!(case));
    // The export itself is recorded, and shows in the next one.
    assert_eq!(with_action(&exported(&db, &[]), "cli_audit_export").len(), 1);
}

/// A store made before the audit had a source keeps its rows, which read back without one.
async fn an_old_store_gains_the_source_column(backend: Backend) {
    let old_schema = "CREATE TABLE audit (id BIGINT PRIMARY KEY, at TEXT NOT NULL, username TEXT NOT NULL, device_id TEXT,
        action TEXT NOT NULL, case_id TEXT, detail TEXT NOT NULL)";
    let old_row = "INSERT INTO audit VALUES (1, '2024-05-01T09:00:00.000000000Z', 'clin.old', NULL, 'login_failed', NULL, 'wrong password (1 in a row)')";
    let dir = tempfile::tempdir().unwrap();
    let storage: Arc<dyn Storage> = match backend {
        Backend::Sqlite => {
            let path = dir.path().join("central.db");
            let key = test_key();
            let c = raw_sqlite(&path, &key);
            c.execute_batch(&format!("{};{old_row}", old_schema.replace("BIGINT PRIMARY KEY", "INTEGER PRIMARY KEY"))).unwrap();
            drop(c);
            Arc::new(casebook_server::storage::sqlite::SqliteStorage::open(&path, &key).unwrap())
        }
        Backend::Postgres => {
            let url = new_postgres_database().await;
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(connection);
            let pg_schema = old_schema.replace("device_id TEXT", "device_id UUID").replace("case_id TEXT", "case_id UUID");
            client.batch_execute(&format!("{pg_schema}; {old_row}")).await.unwrap();
            Arc::new(casebook_server::storage::postgres::PostgresStorage::connect(&url).await.unwrap())
        }
    };
    storage.migrate().await.unwrap();
    storage.migrate().await.unwrap();
    let rows = storage.audit_since(chrono::DateTime::UNIX_EPOCH, 0, 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].id, rows[0].entry.username.as_str(), rows[0].entry.source.as_deref()), (1, "clin.old", None));
}

/// Another team's laptop sends a case's opening first (it learned the id): the rightful
/// clinician's entries are refused as someone else's case while their other work flows, the
/// refusals show in the audit, and `case settle` gives the case back: the squatters' entries are
/// set aside (nobody receives them again), their access ends, and the rightful entries sent again
/// are stored and reach the rightful team only.
async fn a_squatted_case_is_settled(backend: Backend) {
    let (h, db) = start_with_db(backend).await;
    seed_with_admin(&h).await;
    let mut a1 = h.login("clin.a1").await;
    let mut b1 = h.login("clin.b1").await;
    let lead_a = h.login("lead.a").await;
    let lead_b = h.login("lead.b").await;
    let (case, opened) = a1.open_case("Testfamily-Rightful");
    let note = a1.note(case, "The rightful clinician's fictional note.");
    let (_, other_opened) = a1.open_case("Testfamily-Elsewhere");

    let squat_open = b1.event(
        case,
        casebook_domain::EventBody::CaseOpened(casebook_domain::CaseOpened {
            family_name: "Testfamily-Squatted".into(),
            parent: None,
            due_date: None,
            infant: None,
            to_team_inbox: false,
        }),
    );
    let squat_note = b1.note(case, "Text the other team wrote into the case (fictional).");
    assert_eq!(h.push_codes(&b1, &[squat_open.clone(), squat_note.clone()]).await, [None, None]);
    let not_yours = Some("case_not_allowed".to_string());
    assert_eq!(
        h.push_codes(&a1, &[opened.clone(), note.clone(), other_opened.clone()]).await,
        [not_yours.clone(), not_yours.clone(), None],
        "the rightful entries are refused; the rest of the laptop's work flows"
    );
    // Named in the detail for IT, not in the case column the case's own team reads.
    let refusals = with_action(&exported(&db, &[]), "refused_push_security")
        .iter()
        .filter(|l| l["detail"].as_str().unwrap().contains(&format!("case_not_allowed (entry {} for case {case}", opened.id)) || l["detail"].as_str().unwrap().contains(&format!("case_not_allowed (entry {} for case {case}", note.id)))
        .count();
    assert_eq!(refusals, 2, "each refusal names the case for IT");
    let (b_seen, b_cursor, _) = h.pull_all(&lead_b, Cursor::default()).await;
    assert_eq!(ids(&b_seen), [squat_open.id, squat_note.id], "the squatting team holds the case until it is settled");

    // Wrong ways to settle it are refused with a sentence, and change nothing.
    let case_arg = case.to_string();
    for (args, says) in [
        (vec!["--team", "Test Team A", "--allocate", "clin.b1"], "clin.b1 is on Test Team B, not Test Team A"),
        (vec!["--team", "Test Team A", "--allocate", "admin.a"], "administrators never hold cases"),
        (vec!["--team", "Test Team A", "--allocate", "no.such.person"], "no user called 'no.such.person'"),
        (vec!["--team", "No Such Team", "--allocate", "clin.a1"], "no team called 'No Such Team'"),
        (vec!["--team", "Test Team B", "--allocate", "clin.b1"], "already belongs to Test Team B"),
    ] {
        let mut all = vec!["case", "settle", "--case", &case_arg];
        all.extend(args);
        let out = cli(&db, &all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(says) && err.trim().lines().count() == 1, "{all:?}: {err}");
    }
    let out = cli(&db, &["case", "settle", "--case", &Uuid::now_v7().to_string(), "--team", "Test Team A", "--allocate", "clin.a1"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not on the central store"));
    assert_eq!(h.pull_all(&lead_b, b_cursor).await.2, Vec::<Uuid>::new(), "nothing was taken by the refused attempts");

    let said = cli_ok(&db, &["case", "settle", "--case", &case_arg, "--team", "Test Team A", "--allocate", "clin.a1"]);
    assert!(said.contains("now belongs to Test Team A and is allocated to clin.a1"), "{said}");
    assert!(said.contains("Set aside: 2 entries written to it by Test Team B (1 laptops)"), "{said}");
    assert!(said.contains("Taken from: clin.b1, lead.b"), "{said}");
    assert!(said.contains("press \"Send again\""), "{said}");
    let again = cli(&db, &["case", "settle", "--case", &case_arg, "--team", "Test Team A", "--allocate", "clin.a1"]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("already belongs to Test Team A"));

    // The squatters are told, and can write to it no more.
    assert_eq!(h.pull_all(&lead_b, b_cursor).await.2, [case]);
    assert_eq!(h.pull_all(&b1, Cursor::default()).await.2, [case]);
    let late = b1.note(case, "Written by the other team after it was settled (fictional).");
    assert_eq!(h.push_codes(&b1, &[late]).await, [Some("allocation_ended".to_string())]);

    // The rightful entries, sent again, are stored: the opening's claim was released.
    assert_eq!(h.push_codes(&a1, &[opened.clone(), note.clone(), other_opened]).await, [None, None, None]);
    let (a_seen, _, _) = h.pull_all(&lead_a, Cursor::default()).await;
    let in_case: Vec<Uuid> = a_seen.iter().filter(|e| e.event.case_id == case).map(|e| e.event.id).collect();
    assert_eq!(in_case, [opened.id, note.id], "the rightful team receives its own entries and none of the squatters'");
    let repaired: Vec<PulledEvent> = h.get(&lead_a, &format!("/v1/cases/{case}/events")).await.json().await.unwrap();
    assert_eq!(ids(&repaired), [opened.id, note.id]);
    let digest: CaseDigest = h.get(&a1, &format!("/v1/cases/{case}/digest")).await.json().await.unwrap();
    assert_eq!((digest.event_count, digest.digest), digest_of(&[opened.id, note.id]));
    assert_eq!(h.get(&b1, &format!("/v1/cases/{case}/events")).await.status(), 404);
    assert!(held(&h, &lead_a).await.iter().any(|c| c.case_id == case && c.clinicians == ["clin.a1"]));

    let settled = with_action(&exported(&db, &[]), "cli_settle_case").into_iter().cloned().collect::<Vec<_>>();
    assert_eq!(settled.len(), 1);
    assert_eq!(settled[0]["case_id"], serde_json::json!(case));
    assert_eq!(
        settled[0]["detail"],
        "moved from Test Team B to Test Team A; 2 entries from 1 laptops set aside; taken from clin.b1, lead.b; given to clin.a1"
    );
}

/// Issue 12: case supervision is the lead's to record. A clinician's laptop sending one in the
/// lead's words (on their own case, with a valid account) is refused and nothing is stored; the
/// lead's own is taken in and reaches the clinician with its agreed action as a task; so is a
/// named supervisor's.
async fn only_a_lead_records_supervision(backend: Backend) {
    let h = start(backend, ServiceConfig::default()).await;
    seed_teams(&h).await;
    let mut a1 = h.login("clin.a1").await;
    let mut lead = h.login("lead.a").await;
    let (case, opened) = a1.open_case("Testfamily-Supervised");
    h.push(&a1, &[opened]).await;
    let supervision = |with: &str| {
        EventBody::SupervisionRecorded(casebook_domain::SupervisionRecorded {
            supervision_id: Uuid::now_v7(),
            on: "2026-11-24".parse().unwrap(),
            with: vec![with.into()],
            discussion: "Fictional: attachment work going well; plan a joint visit.".into(),
            actions: vec![casebook_domain::AgreedAction {
                task_id: Uuid::now_v7(),
                title: "Book a joint visit with the health visitor".into(),
                due_on: "2026-12-01".parse().unwrap(),
            }],
        })
    };
    let forged = a1.event(case, supervision("clin.a1"));
    assert_eq!(h.push_codes(&a1, &[forged]).await, vec![Some("supervision_by_lead_only".to_string())]);
    assert_eq!(h.storage.event_count().await.unwrap(), 1, "nothing of the clinician's supervision was stored");

    let real = lead.event(case, supervision("clin.a1"));
    assert_eq!(h.push_codes(&lead, std::slice::from_ref(&real)).await, vec![None], "the lead's supervision is taken in");
    let (pulled, _, _) = h.pull_all(&a1, Cursor::default()).await;
    assert!(ids(&pulled).contains(&real.id), "the clinician receives it");
    let events: Vec<Event> = pulled.into_iter().map(|p| p.event).collect();
    let state = casebook_domain::fold(case, &events);
    assert_eq!(state.record.supervisions.len(), 1);
    assert_eq!(state.record.tasks[0].details.title, "Agreed in supervision: Book a joint visit with the health visitor");

    // A clinician IT names a supervisor records it on a case they hold (the lead shares it with
    // them), and is told so by /v1/me; named no longer, they are refused again.
    let mut a2 = h.login("clin.a2").await;
    h.storage.allocate(case, "clin.a2").await.unwrap();
    let me: serde_json::Value = h.get(&a2, "/v1/me").await.json().await.unwrap();
    assert_eq!(me["supervisor"], false);
    h.storage.set_supervisor("clin.a2", true).await.unwrap();
    let me: serde_json::Value = h.get(&a2, "/v1/me").await.json().await.unwrap();
    assert_eq!(me["supervisor"], true);
    let by_supervisor = a2.event(case, supervision("clin.a1"));
    assert_eq!(h.push_codes(&a2, &[by_supervisor]).await, vec![None], "a named supervisor's supervision is taken in");
    h.storage.set_supervisor("clin.a2", false).await.unwrap();
    let after = a2.event(case, supervision("clin.a1"));
    assert_eq!(h.push_codes(&a2, &[after]).await, vec![Some("supervision_by_lead_only".to_string())]);
    assert!(matches!(h.storage.set_supervisor("nobody.here", true).await, Err(casebook_server::storage::StorageError::NoSuchUser(_))));
}

macro_rules! security_suite {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn admin_and_leads_stay_within_their_role() { super::admin_and_leads_stay_within_their_role($make).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn refusals_are_audited_with_their_source() { super::refusals_are_audited_with_their_source($make).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn the_audit_is_append_only() { super::the_audit_is_append_only($make).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn cli_actions_are_audited() { super::cli_actions_are_audited($make).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn an_old_store_gains_the_source_column() { super::an_old_store_gains_the_source_column($make).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_squatted_case_is_settled() { super::a_squatted_case_is_settled($make).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn only_a_lead_records_supervision() { super::only_a_lead_records_supervision($make).await }
        }
    };
}

security_suite!(sqlite, Backend::Sqlite);
security_suite!(postgres, Backend::Postgres);

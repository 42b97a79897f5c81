//! Every event kind and every endpoint, sent by each role with a valid account, as an attacker
//! with that account would: the central store takes exactly what the role may write and answers
//! exactly what it may read, whatever the laptop sends. Once on SQLite, once on PostgreSQL.

mod common;

use casebook_domain::testing::{one_of_each_kind, opened_for_inbox};
use casebook_domain::{Event, EventBody};
use casebook_protocol::*;
use casebook_server::api::ServiceConfig;
use common::*;
use uuid::Uuid;

/// Team A's admin staff, besides `seed_teams`.
async fn seed(h: &Harness) {
    seed_teams(h).await;
    let hash = casebook_server::auth::hash_password(PASSWORD).unwrap();
    h.storage.add_user("admin.a", "Test Team A", Role::Admin, &hash).await.unwrap();
}

/// The code a role's entry of this kind must be refused with, or None when the role may write it.
fn expected(role: Role, body: &EventBody, author_role_may: bool) -> Option<&'static str> {
    match (role, body) {
        (Role::Admin, _) if !author_role_may => Some("admin_not_clinical"),
        (Role::Clinician, EventBody::SupervisionRecorded(_)) => Some("supervision_by_lead_only"),
        (Role::Clinician, EventBody::ReferralTriaged(_)) => Some("triage_by_lead_only"),
        _ => None,
    }
}

/// For each role, one entry of every kind into a case of their team they hold: the store takes
/// what the role may write and refuses the rest by code, per entry.
async fn every_event_kind_is_taken_only_from_the_roles_that_may_write_it(backend: Backend) {
    let h = start(backend, ServiceConfig::default()).await;
    seed(&h).await;
    let today = chrono::Utc::now().date_naive();
    let mut lead = h.login("lead.a").await;
    for (username, role) in [("clin.a1", Role::Clinician), ("lead.a", Role::Lead), ("admin.a", Role::Admin)] {
        let mut who = h.login(username).await;
        // A case of the team that this role holds: opened by the lead, allocated to the clinician.
        let case = Uuid::now_v7();
        let bodies = one_of_each_kind(today, "clin.a2");
        let opened = lead.event(case, bodies[0].clone());
        assert_eq!(h.push_codes(&lead, &[opened]).await, [None]);
        h.storage.allocate(case, "clin.a1").await.unwrap();
        let events: Vec<Event> = bodies[1..].iter().map(|b| who.event(case, b.clone())).collect();
        let want: Vec<Option<String>> =
            events.iter().map(|e| expected(role, &e.body, casebook_domain::roles::admin_may_write(e)).map(String::from)).collect();
        let got = h.push_codes(&who, &events).await;
        for ((e, want), got) in events.iter().zip(&want).zip(&got) {
            assert_eq!(got, want, "{username} writing {}", e.body.kind());
        }
        // Opening a case: clinicians and leads, yes; admin staff only a referral for the inbox.
        let (_, plain) = who.open_case("Testfamily-Opened");
        let inbox = who.event(Uuid::now_v7(), opened_for_inbox("Testfamily-ForTheInbox"));
        let want_plain = (role == Role::Admin).then(|| "admin_not_clinical".to_string());
        assert_eq!(h.push_codes(&who, &[plain, inbox]).await, [want_plain, None], "{username} opening cases");
    }
}

/// Each endpoint, called by each role on a case of their team: the answer's status.
async fn every_endpoint_answers_each_role_as_its_rules_say(backend: Backend) {
    let h = start(backend, ServiceConfig::default()).await;
    seed(&h).await;
    let mut clin = h.login("clin.a1").await;
    let lead = h.login("lead.a").await;
    let admin = h.login("admin.a").await;
    let (case, opened) = clin.open_case("Testfamily-Endpoints");
    let note = clin.note(case, "Fictional clinical note");
    assert_eq!(h.push_codes(&clin, &[opened, note]).await, [None, None]);

    for (who, role) in [(&clin, Role::Clinician), (&lead, Role::Lead), (&admin, Role::Admin)] {
        let name = who.username();
        let lead_only = |ok: u16| if role == Role::Lead { ok } else { 403 };
        let audit = if role == Role::Clinician { 403 } else { 200 };
        let checks: Vec<(String, u16, u16)> = vec![
            ("/v1/me".into(), h.get(who, "/v1/me").await.status().as_u16(), 200),
            ("/v1/pull".into(), h.get(who, "/v1/pull").await.status().as_u16(), 200),
            ("/v1/allocations".into(), h.get(who, "/v1/allocations").await.status().as_u16(), 200),
            ("/v1/drafts".into(), h.get(who, "/v1/drafts").await.status().as_u16(), 200),
            ("/v1/team".into(), h.get(who, "/v1/team").await.status().as_u16(), lead_only(200)),
            (format!("/v1/cases/{case}/digest"), h.get(who, &format!("/v1/cases/{case}/digest")).await.status().as_u16(), 200),
            (format!("/v1/cases/{case}/events"), h.get(who, &format!("/v1/cases/{case}/events")).await.status().as_u16(), 200),
            (format!("/v1/cases/{case}/audit"), h.get(who, &format!("/v1/cases/{case}/audit")).await.status().as_u16(), audit),
        ];
        for (path, got, want) in checks {
            assert_eq!(got, want, "{name} GET {path}");
        }
        let draft = DraftBackup { note_id: Uuid::now_v7(), case_id: case, text: "Fictional draft".into(), revision: 1, updated_at: chrono::Utc::now() };
        let put = h.http.put(format!("{}/v1/drafts/{}", h.base, draft.note_id)).bearer_auth(&who.token).json(&draft).send().await.unwrap();
        assert_eq!(put.status().as_u16(), if role == Role::Admin { 404 } else { 204 }, "{name} PUT a draft backup");
        let give = h
            .http
            .post(format!("{}/v1/cases/{case}/allocations", h.base))
            .bearer_auth(&who.token)
            .json(&AllocationRequest { username: "clin.a2".into() })
            .send()
            .await
            .unwrap();
        assert_eq!(give.status().as_u16(), lead_only(204), "{name} allocating");
        let take = h.http.delete(format!("{}/v1/cases/{case}/allocations/clin.a2", h.base)).bearer_auth(&who.token).send().await.unwrap();
        assert_eq!(take.status().as_u16(), lead_only(204), "{name} taking away");
    }
    // Pulled, checked or read for repair by admin staff: the opening, never the note.
    let (events, _, _) = h.pull_all(&admin, Cursor::default()).await;
    let kinds: Vec<&str> = events.iter().map(|e| e.event.body.kind()).collect();
    assert_eq!(kinds, ["case_opened"]);
    let repair: Vec<PulledEvent> = h.get(&admin, &format!("/v1/cases/{case}/events")).await.json().await.unwrap();
    assert_eq!(repair.iter().map(|e| e.event.body.kind()).collect::<Vec<_>>(), ["case_opened"]);
    let digest: CaseDigest = h.get(&admin, &format!("/v1/cases/{case}/digest")).await.json().await.unwrap();
    assert_eq!((digest.event_count, digest.digest), digest_of(events.iter().map(|e| &e.event.id)));
    // Another team's case stays invisible to admin staff.
    let mut b1 = h.login("clin.b1").await;
    let (other, opened) = b1.open_case("Testfamily-OtherTeam");
    assert_eq!(h.push_codes(&b1, &[opened]).await, [None]);
    for path in [format!("/v1/cases/{other}/digest"), format!("/v1/cases/{other}/events")] {
        assert_eq!(h.get(&admin, &path).await.status().as_u16(), 404, "{path}");
    }
}

macro_rules! roles_suite {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn every_event_kind_is_taken_only_from_the_roles_that_may_write_it() {
                super::every_event_kind_is_taken_only_from_the_roles_that_may_write_it($make).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn every_endpoint_answers_each_role_as_its_rules_say() {
                super::every_endpoint_answers_each_role_as_its_rules_say($make).await
            }
        }
    };
}

roles_suite!(sqlite, Backend::Sqlite);
roles_suite!(postgres, Backend::Postgres);

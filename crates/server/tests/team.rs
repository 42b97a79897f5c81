//! The team's work, attacked and exercised from outside: the referral inbox, the lead's triage and
//! the allocation it makes, what admin staff may see and write, and the lead's view of the team's
//! laptops. Real HTTP on loopback, once on SQLite and once on PostgreSQL.

mod common;

use casebook_domain::testing::{opened_for_inbox, person_recorded, referral_received, triaged};
use casebook_domain::triage::TriageDecision::{Accept, Decline};
use casebook_domain::{EventBody, PersonRole};
use casebook_protocol::*;
use casebook_server::api::ServiceConfig;
use common::*;
use uuid::Uuid;

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// The two teams of `seed_teams`, with team A's admin staff and a second lead.
async fn seed(h: &Harness) {
    seed_teams(h).await;
    let hash = casebook_server::auth::hash_password(PASSWORD).unwrap();
    h.storage.add_user("admin.a", "Test Team A", Role::Admin, &hash).await.unwrap();
    h.storage.add_user("lead.a2", "Test Team A", Role::Lead, &hash).await.unwrap();
}

/// The kinds of `case` that `who` receives by pulling from the start.
async fn kinds_pulled(h: &Harness, who: &Laptop, case: Uuid) -> Vec<String> {
    let (events, _, _) = h.pull_all(who, Cursor::default()).await;
    events.iter().filter(|e| e.event.case_id == case).map(|e| e.event.body.kind().to_string()).collect()
}

/// Whether `who` holds `case` as the central store says (`/v1/allocations`).
async fn holders(h: &Harness, who: &Laptop, case: Uuid) -> Option<Vec<String>> {
    let cases = h.get(who, "/v1/allocations").await.json::<AllocationsResponse>().await.unwrap().cases;
    cases.into_iter().find(|c| c.case_id == case).map(|c| c.clinicians)
}

/// A referral logged by admin staff goes to the team's inbox; the lead triages it and allocates it
/// to two clinicians; each role is held to what it may write and read, whatever its laptop sends.
async fn a_referral_goes_from_the_inbox_to_the_clinicians_the_lead_names(backend: Backend) {
    let h = start(backend, ServiceConfig::default()).await;
    seed(&h).await;
    let mut admin = h.login("admin.a").await;
    let mut lead = h.login("lead.a").await;
    let mut a1 = h.login("clin.a1").await;
    let a2 = h.login("clin.a2").await;
    let b1 = h.login("clin.b1").await;

    // Admin staff log a referral (the family, the referral, the parent's contact details).
    let case = Uuid::now_v7();
    let referral = referral_received(today());
    let logged = vec![
        admin.event(case, opened_for_inbox("Testfamily-Inbox")),
        admin.event(case, EventBody::ReferralReceived(referral.clone())),
        admin.event(case, EventBody::PersonRecorded(person_recorded(PersonRole::ParentOrCarer, "Parent Testperson"))),
    ];
    assert_eq!(h.push_codes(&admin, &logged).await, [None, None, None]);
    // ... but may neither triage it nor write anything clinical.
    let their_triage = admin.event(case, EventBody::ReferralTriaged(triaged(referral.referral_id, Accept, &["clin.a1"], today(), &[])));
    let their_note = admin.note(case, "Fictional note admin staff try to add");
    assert_eq!(h.push_codes(&admin, &[their_triage, their_note]).await, [Some("admin_not_clinical".into()), Some("admin_not_clinical".into())]);

    // Nobody but the team's leads and admin staff sees it before triage.
    assert!(kinds_pulled(&h, &a1, case).await.is_empty());
    assert!(kinds_pulled(&h, &b1, case).await.is_empty());
    assert_eq!(kinds_pulled(&h, &lead, case).await, ["case_opened", "referral_received", "person_recorded"]);

    // A clinician cannot triage (even a referral they hold), nor the lead allocate outside the team.
    let (own, own_opened) = a1.open_case("Testfamily-OwnReferral");
    let own_referral = referral_received(today());
    let own_triage = a1.event(own, EventBody::ReferralTriaged(triaged(own_referral.referral_id, Accept, &["clin.a1"], today(), &[])));
    let own_events = [own_opened, a1.event(own, EventBody::ReferralReceived(own_referral)), own_triage];
    assert_eq!(h.push_codes(&a1, &own_events).await, [None, None, Some("triage_by_lead_only".into())]);
    for (to, code) in [("clin.b1", "not_on_team"), ("admin.a", "not_a_clinician"), ("nobody.at.all", "not_on_team")] {
        let e = lead.event(case, EventBody::ReferralTriaged(triaged(referral.referral_id, Accept, &[to], today(), &[])));
        assert_eq!(h.push_codes(&lead, &[e]).await, [Some(code.to_string())], "allocating to {to}");
    }
    // A triage of a referral the case does not hold is refused too.
    let stray = lead.event(case, EventBody::ReferralTriaged(triaged(Uuid::now_v7(), Accept, &["clin.a1"], today(), &[])));
    assert_eq!(h.push_codes(&lead, &[stray]).await, [Some("unknown_referral".into())]);

    // The lead's decision, written offline and sent later, takes effect when it arrives: both
    // clinicians (co-working) then hold the case with its whole history.
    let decision = lead.event(case, EventBody::ReferralTriaged(triaged(referral.referral_id, Accept, &["clin.a1", "clin.a2"], today(), &[])));
    assert_eq!(holders(&h, &lead, case).await, Some(vec![]), "before the decision arrives, nobody holds it");
    assert_eq!(h.push_codes(&lead, std::slice::from_ref(&decision)).await, [None]);
    assert_eq!(holders(&h, &lead, case).await, Some(vec!["clin.a1".into(), "clin.a2".into()]));
    for who in [&a1, &a2] {
        assert_eq!(kinds_pulled(&h, who, case).await, ["case_opened", "referral_received", "person_recorded", "referral_triaged"], "{}", who.username());
    }
    assert!(kinds_pulled(&h, &b1, case).await.is_empty(), "another team never sees it");
    // Sent again (an answer lost on the way), nothing changes.
    assert_eq!(h.push_codes(&lead, &[decision]).await, [None]);
    assert_eq!(holders(&h, &lead, case).await, Some(vec!["clin.a1".into(), "clin.a2".into()]));

    // Admin staff see the decision and the family, never the clinician's note.
    let note = a1.note(case, "Fictional first visit note");
    assert_eq!(h.push_codes(&a1, &[note]).await, [None]);
    let seen = kinds_pulled(&h, &admin, case).await;
    assert!(seen.contains(&"referral_triaged".to_string()) && !seen.contains(&"note_signed".to_string()), "{seen:?}");
    let repair: Vec<PulledEvent> = h.get(&admin, &format!("/v1/cases/{case}/events")).await.json().await.unwrap();
    assert!(repair.iter().all(|e| casebook_domain::roles::admin_sees(e.event.body.kind())), "the repair read is their view too");
}

/// Two leads triage the same referral without seeing each other's decision: both are kept, the
/// clinician one of them named keeps the case meanwhile, and the decision that settles it moves
/// the case; the clinician who logged the referral loses it, after their laptop has been told.
async fn two_leads_deciding_at_once_are_both_kept_until_one_settles_it(backend: Backend) {
    let h = start(backend, ServiceConfig::default()).await;
    seed(&h).await;
    let mut lead = h.login("lead.a").await;
    let mut lead2 = h.login("lead.a2").await;
    let mut a1 = h.login("clin.a1").await;

    // A clinician logs a referral for the inbox; until triage it stays on their laptop.
    let case = Uuid::now_v7();
    let referral = referral_received(today());
    let logged = [a1.event(case, opened_for_inbox("Testfamily-Twice")), a1.event(case, EventBody::ReferralReceived(referral.clone()))];
    assert_eq!(h.push_codes(&a1, &logged).await, [None, None]);
    assert_eq!(holders(&h, &a1, case).await, Some(vec!["clin.a1".into()]));

    let accept = triaged(referral.referral_id, Accept, &["clin.a2"], today(), &[]);
    let decline = triaged(referral.referral_id, Decline, &[], today(), &[]);
    let (accept_id, decline_id) = (accept.triage_id, decline.triage_id);
    let one = lead.event(case, EventBody::ReferralTriaged(accept));
    let other = lead2.event(case, EventBody::ReferralTriaged(decline));
    assert_eq!(h.push_codes(&lead, &[one]).await, [None]);
    assert_eq!(h.push_codes(&lead2, &[other]).await, [None]);
    assert_eq!(holders(&h, &lead, case).await, Some(vec!["clin.a2".into()]), "the accepted clinician holds it while it is settled");
    // Both decisions are kept (read by admin staff, whose laptop wrote neither).
    let admin = h.login("admin.a").await;
    let (events, _, removed) = h.pull_all(&admin, Cursor::default()).await;
    let state = casebook_domain::fold(case, &events.into_iter().map(|e| e.event).collect::<Vec<_>>());
    let referral_state = &state.record.referral.as_ref().unwrap().triage_state;
    assert!(matches!(referral_state, casebook_domain::TriageState::Conflict { decisions } if decisions.len() == 2), "{referral_state:?}");
    assert!(removed.is_empty());
    // The clinician who logged it is told it is no longer theirs.
    let (_, _, removed) = h.pull_all(&a1, Cursor::default()).await;
    assert_eq!(removed, [case]);

    // The lead settles it, naming both decisions: the case moves to the clinician now named.
    let settle = lead.event(case, EventBody::ReferralTriaged(triaged(referral.referral_id, Accept, &["clin.a1"], today(), &[accept_id, decline_id])));
    assert_eq!(h.push_codes(&lead, &[settle]).await, [None]);
    assert_eq!(holders(&h, &lead, case).await, Some(vec!["clin.a1".into()]));
}

/// The lead sees every laptop of the team with its last complete sync and the signed notes it
/// held then; nobody else does.
async fn the_lead_sees_the_teams_laptops(backend: Backend) {
    let h = start(backend, ServiceConfig::default()).await;
    seed(&h).await;
    let lead = h.login("lead.a").await;
    let a1 = h.login("clin.a1").await;
    let _never = h.login("clin.a2").await;
    let resp = h
        .http
        .get(format!("{}/v1/pull?notes_waiting=3&written_up_to={}", h.base, a1.written_up_to()))
        .bearer_auth(&a1.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let roster: casebook_domain::team::Roster = h.get(&lead, "/v1/team").await.json().await.unwrap();
    assert_eq!(roster.team, "Test Team A");
    let names: Vec<&str> = roster.members.iter().map(|m| m.username.as_str()).collect();
    assert_eq!(names, ["admin.a", "clin.a1", "clin.a2", "lead.a", "lead.a2"]);
    let a1_laptop = &roster.members[1].devices[0];
    assert!(a1_laptop.last_sync_at.is_some());
    assert_eq!(a1_laptop.notes_waiting_at_sync, Some(3));
    let a2_laptop = &roster.members[2].devices[0];
    assert_eq!((a2_laptop.last_sync_at, a2_laptop.notes_waiting_at_sync), (None, None), "signed in, never synced");
    for who in [&a1] {
        let (status, body) = error_body(h.get(who, "/v1/team").await).await;
        assert_eq!((status, body.code.as_str()), (403, "leads_only"));
    }
}

/// A statement run on the database directly, as an older version of the server would have left it.
async fn raw(db: &Db, sql: &str) {
    match db {
        Db::Sqlite(path, key) => {
            raw_sqlite(path, key).execute_batch(sql).unwrap();
        }
        Db::Postgres(url) => {
            let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(connection);
            client.batch_execute(sql).await.unwrap();
        }
    }
}

/// Admin staff's accounts made before the team's inbox held no cases: the first start of this
/// version gives them their team's cases (their view of them), once.
async fn admin_staff_from_before_the_inbox_get_their_teams_cases(backend: Backend) {
    let (h, db) = start_with_db(backend).await;
    seed_teams(&h).await;
    let mut a1 = h.login("clin.a1").await;
    let (case, opened) = a1.open_case("Testfamily-Older");
    let note = a1.note(case, "Fictional note");
    assert_eq!(h.push_codes(&a1, &[opened, note]).await, [None, None]);
    // As an older server left things: an admin account with no access, and no record of the change.
    let hash = casebook_server::auth::hash_password(PASSWORD).unwrap();
    h.storage.add_user("admin.a", "Test Team A", Role::Admin, &hash).await.unwrap();
    raw(&db, "DELETE FROM access WHERE user_id = (SELECT id FROM users WHERE username = 'admin.a'); DELETE FROM counters WHERE name = 'admin_access_v1'").await;
    let admin = h.login("admin.a").await;
    assert!(kinds_pulled(&h, &admin, case).await.is_empty());
    h.storage.migrate().await.unwrap();
    h.storage.migrate().await.unwrap();
    assert_eq!(kinds_pulled(&h, &admin, case).await, ["case_opened"], "their view, never the note");
}

macro_rules! team_suite {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_referral_goes_from_the_inbox_to_the_clinicians_the_lead_names() {
                super::a_referral_goes_from_the_inbox_to_the_clinicians_the_lead_names($make).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn two_leads_deciding_at_once_are_both_kept_until_one_settles_it() {
                super::two_leads_deciding_at_once_are_both_kept_until_one_settles_it($make).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn the_lead_sees_the_teams_laptops() { super::the_lead_sees_the_teams_laptops($make).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn admin_staff_from_before_the_inbox_get_their_teams_cases() {
                super::admin_staff_from_before_the_inbox_get_their_teams_cases($make).await
            }
        }
    };
}

team_suite!(sqlite, Backend::Sqlite);
team_suite!(postgres, Backend::Postgres);

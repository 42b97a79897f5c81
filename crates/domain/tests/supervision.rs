//! Case supervision in the record: kept in the chronology, marked as supervision, with each agreed
//! action a task on the case; bad entries refused with a sentence.

use casebook_domain::testing::Laptop;
use casebook_domain::*;
use chrono::NaiveDate;
use uuid::Uuid;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

const T0: u64 = 1_795_514_400_000; // 2026-11-24 10:00 UTC

fn supervision(actions: Vec<AgreedAction>) -> SupervisionRecorded {
    SupervisionRecorded {
        supervision_id: Uuid::now_v7(),
        on: d("2026-11-24"),
        with: vec!["clin.one".into()],
        discussion: "Fictional: the parent's confidence is growing; keep the weekly visits.".into(),
        actions,
    }
}

fn action(title: &str, due: &str) -> AgreedAction {
    AgreedAction { task_id: Uuid::now_v7(), title: title.into(), due_on: d(due) }
}

#[test]
fn supervision_is_in_the_chronology_and_its_agreed_actions_are_tasks() {
    let case = Uuid::now_v7();
    let mut clin = Laptop::new("clin.one");
    let mut lead = Laptop::new("lead.one");
    let s = supervision(vec![action("Letter to the GP", "2026-11-27"), action("Joint visit with the health visitor", "2026-12-04")]);
    let first_task = s.actions[0].task_id;
    let events = vec![
        clin.write_at(case, T0, EventBody::CaseOpened(CaseOpened { family_name: "Testfamily-Supervision".into(), parent: None, due_date: None, infant: None, to_team_inbox: false })),
        lead.write_at(case, T0 + 60_000, EventBody::SupervisionRecorded(s.clone())),
        clin.write_at(case, T0 + 120_000, EventBody::TaskCompleted(TaskCompleted { task_id: first_task })),
        // The same supervision sent twice is kept once.
        lead.write_at(case, T0 + 180_000, EventBody::SupervisionRecorded(s.clone())),
    ];
    let state = fold(case, &events);
    assert_eq!(state.record.supervisions.len(), 1);
    assert_eq!(state.record.supervisions[0].by, "lead.one");
    let tasks: Vec<(&str, &str, bool)> =
        state.record.tasks.iter().map(|t| (t.details.title.as_str(), t.added_by.as_str(), t.done.is_some())).collect();
    assert_eq!(
        tasks,
        [
            ("Agreed in supervision: Letter to the GP", "lead.one", true),
            ("Agreed in supervision: Joint visit with the health visitor", "lead.one", false)
        ]
    );
    let marked = state.chronology.iter().filter(|e| matches!(e.item, ChronologyItem::Supervision { .. })).count();
    assert_eq!(marked, 1, "one chronology entry, marked as supervision");
    assert_eq!(state.unplaced.len(), 1, "the repeat is kept, not applied");
}

#[test]
fn a_supervision_needs_a_discussion_and_actions_due_after_it() {
    let today = d("2026-11-24");
    let check = |s: SupervisionRecorded| EventBody::SupervisionRecorded(s).validate(today).map_err(|e| e.to_string());
    assert!(check(supervision(vec![action("Letter to the GP", "2026-11-27")])).is_ok());
    assert!(check(SupervisionRecorded { discussion: "  ".into(), ..supervision(vec![]) }).unwrap_err().contains("What was discussed"));
    assert!(check(supervision(vec![action("Too late", "2026-11-20")])).unwrap_err().contains("cannot be due before the supervision"));
    assert!(check(supervision(vec![action(" ", "2026-11-27")])).unwrap_err().contains("Agreed action"));
    assert!(check(SupervisionRecorded { on: d("2026-11-25"), ..supervision(vec![]) }).is_err(), "not in the future");
    let many = (0..11).map(|i| action(&format!("Action {i}"), "2026-11-30")).collect();
    assert!(check(supervision(many)).unwrap_err().contains("at most 10 actions"));
}

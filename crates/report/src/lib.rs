//! Readable documents built from a case: the case chronology, and the subject access export.
//!
//! Everything here is pure: the caller passes the folded [`CaseState`] (and, for a subject access
//! export, the events), today's date and who is exporting, and gets back a
//! [`casebook_export::Document`] to hand to [`casebook_export::to_pdf`]. Nothing is read from or
//! written to disk, and the record is never changed by being exported.
//!
//! Dates print as "20 Nov 2026"; times as "24 Nov 2026 10:03" in the laptop's local time zone
//! (the time the clinician saw on the laptop when it was written).

use casebook_domain::{
    CaseHeader, CaseState, ChronologyEntry, ChronologyItem, Event, MeasureEntry, OutcomeChange,
    PersonRole, PersonState, RiskLevel, RiskReview, SignedNote,
};
pub use casebook_export::{to_pdf, Block, Document, ExportError};
use casebook_measures::{Entry, MeasureKind};
use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, Utc};
use serde_json::json;
use uuid::Uuid;

/// Printed at the foot of every page of every export.
pub const FOOTER: &str =
    "Confidential: contains personal health information. Printed copies must be stored and destroyed securely.";

/// What a subject access export from a laptop covers, printed in the PDF and written in the JSON.
/// Written for the person who asked, who may be a parent: plain words, no system terms.
pub const SAR_SCOPE: &str = "This is a copy of the records held on this laptop: every case on it that names this \
person, with every entry in each case exactly as it is kept here. It does not include entries made on other \
laptops that have not yet reached this one, cases not held on this laptop, or draft notes that were never signed. \
The audit trail (who looked at or sent on each record, and from which computer) is kept centrally and is provided \
separately by the Trust's IT team.";

/// "20 Nov 2026".
pub fn date(d: NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

/// "24 Nov 2026 10:03", in the laptop's local time zone.
pub fn date_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local)
        .format("%-d %b %Y %H:%M")
        .to_string()
}

fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&Local).date_naive()
}

fn naive_date_time(t: NaiveDateTime) -> String {
    t.format("%-d %b %Y %H:%M").to_string()
}

fn family_name(state: &CaseState) -> String {
    state
        .details
        .as_ref()
        .map(|d| d.family_name.clone())
        .unwrap_or_else(|| "(family name not yet on this laptop)".to_string())
}

/// "Exported 24 Nov 2026 14:03 by clin.one".
fn generated(exported_by: &str, exported_at: DateTime<Utc>) -> String {
    format!("Exported {} by {exported_by}", date_time(exported_at))
}

/// The case chronology: a summary of the family and the case, then everything that happened, in
/// date order, as one entry each.
pub fn chronology(
    state: &CaseState,
    today: NaiveDate,
    exported_by: &str,
    exported_at: DateTime<Utc>,
) -> Document {
    Document {
        title: format!("Case chronology: {}", family_name(state)),
        subtitle: Some(format!(
            "Everything recorded on this case as held on this laptop on {}. Case reference {}.",
            date(today),
            state.case_id
        )),
        generated: generated(exported_by, exported_at),
        footer: FOOTER.to_string(),
        blocks: case_blocks(state, today),
    }
}

/// The summary and the chronology entries of one case (shared by both exports).
fn case_blocks(state: &CaseState, today: NaiveDate) -> Vec<Block> {
    let mut blocks = vec![
        Block::Heading("Summary".into()),
        Block::KeyValues(summary(state, today)),
    ];
    blocks.push(Block::Heading("Chronology".into()));
    if state.chronology.is_empty() {
        blocks.push(Block::Paragraph(
            "Nothing has been recorded on this case yet.".into(),
        ));
    }
    blocks.extend(state.chronology.iter().map(|e| entry(state, e)));
    if !state.unplaced.is_empty() {
        blocks.push(Block::Heading("Entries that could not be placed".into()));
        blocks.push(Block::Paragraph(
            "These entries are held on this laptop but could not be added to the record yet (for example an \
             addition to a note that has not reached this laptop). They are kept, not discarded:"
                .into(),
        ));
        blocks.push(Block::Table {
            headers: vec!["Reference".into(), "What it is".into(), "Why".into()],
            rows: state
                .unplaced
                .iter()
                .map(|u| {
                    vec![
                        u.event_id.to_string(),
                        plain_kind(&u.kind),
                        u.why.clone(),
                    ]
                })
                .collect(),
        });
    }
    blocks
}

/// "addendum_added" as "Addendum added": the stored name of an entry's kind, in words.
fn plain_kind(kind: &str) -> String {
    let words = kind.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

/// Each measure's change from baseline, one line each: "EPDS: 11 → 4 (reliable improvement;
/// was Possible depression, now Below the usual threshold), from baseline on 20 November 2026 to
/// discharge on 24 November 2026".
pub fn outcome_change_lines(changes: &[OutcomeChange]) -> Vec<String> {
    changes
        .iter()
        .flat_map(OutcomeChange::dated_lines)
        .collect()
}

fn summary(state: &CaseState, today: NaiveDate) -> Vec<(String, String)> {
    let header = CaseHeader::of(state, today);
    let record = &state.record;
    let mut rows: Vec<(String, String)> = vec![("Family".into(), family_name(state))];

    let has_parent_record = record
        .people
        .iter()
        .any(|p| p.current.role == PersonRole::ParentOrCarer);
    if !has_parent_record {
        if let Some(parent) = state.details.as_ref().and_then(|d| d.parent.as_ref()) {
            rows.push(("Parent or carer".into(), parent.name.clone()));
        }
    }
    for p in &header.people {
        let mut parts = vec![p.name.clone()];
        if let Some(age) = &p.age {
            parts.push(format!("age {age}"));
        }
        if let Some(corrected) = &p.corrected_age {
            parts.push(format!("corrected age {corrected}"));
        }
        if let Some(nhs) = &p.nhs_number {
            parts.push(match &p.nhs_number_warning {
                Some(warning) => format!("NHS number {nhs} ({warning})"),
                None => format!("NHS number {nhs}"),
            });
        }
        if let Some(language) = &p.language {
            parts.push(language.clone());
        }
        if p.in_conflict {
            parts.push("details recorded differently on two laptops, not yet settled".into());
        }
        rows.push((p.role.clone(), parts.join("; ")));
    }
    if let Some(pregnancy) = &header.pregnancy {
        rows.push(("Pregnancy".into(), pregnancy.clone()));
    }
    for f in &state.fields {
        use casebook_domain::DetailField;
        if matches!(f.field, DetailField::FamilyName | DetailField::ParentName) {
            continue;
        }
        let value = if f.in_conflict {
            let values: Vec<String> = f
                .versions
                .iter()
                .map(|v| v.value.clone().unwrap_or_else(|| "(cleared)".into()))
                .collect();
            format!(
                "{} (recorded differently on two laptops, not yet settled)",
                values.join(" or ")
            )
        } else {
            match &f.value {
                Some(v) => v.clone(),
                None => continue,
            }
        };
        rows.push((f.field.label().into(), value));
    }

    match &record.referral {
        Some(r) => {
            let d = &r.details;
            rows.push((
                "Referral".into(),
                format!(
                    "{}; received {} from {} ({})",
                    r.status.label(),
                    date(d.received_on),
                    d.referrer.name,
                    d.referrer.role.label()
                ),
            ));
            let moves: Vec<String> = r
                .history
                .iter()
                .skip(1)
                .map(|s| format!("{} {}", s.status.label(), date(s.on)))
                .collect();
            if !moves.is_empty() {
                rows.push(("Referral dates".into(), moves.join("; ")));
            }
        }
        None => rows.push(("Referral".into(), "No referral recorded".into())),
    }
    if let Some(fc) = &header.first_contact {
        let made = match (fc.made_on, fc.overdue) {
            (Some(made), _) => format!("made {}", date(made)),
            (None, true) => "not yet made: overdue".into(),
            (None, false) => "not yet made".into(),
        };
        rows.push((
            "First contact".into(),
            format!("due by {}; {made}", date(fc.due_on)),
        ));
    }

    match record.current_risk() {
        Some(r) => {
            let mut risk = format!(
                "{} ({}), reviewed {} by {}",
                r.overall().label(),
                risk_parts(r),
                date(r.details.on),
                r.by
            );
            if let Some(due) = r.details.review_on {
                risk.push_str(&format!("; next review due {}", date(due)));
            }
            rows.push(("Current risk".into(), risk));
            rows.push(("THRIVE".into(), r.details.thrive.label().into()));
            rows.push(("Safeguarding".into(), r.details.safeguarding.label().into()));
        }
        None => rows.push(("Current risk".into(), "No risk review recorded".into())),
    }
    if !header.measure_flags.is_empty() {
        let flags: Vec<String> = header
            .measure_flags
            .iter()
            .map(|f| f.message.clone())
            .collect();
        rows.push(("Measure risk flags".into(), flags.join("\n")));
    }
    let alerts: Vec<String> = header
        .alerts
        .iter()
        .map(|a| format!("{}: {}", a.kind, a.text))
        .collect();
    rows.push((
        "Active alerts".into(),
        if alerts.is_empty() {
            "None".into()
        } else {
            alerts.join("\n")
        },
    ));
    let discharge = match &record.discharge {
        Some(d) => format!(
            "{}: {} (by {})",
            date(d.details.on),
            d.details.reason.label(),
            d.by
        ),
        None => "Not discharged".into(),
    };
    rows.push(("Discharge".into(), discharge));
    if record.discharge.is_some() && !header.outcome_changes.is_empty() {
        rows.push((
            "Outcome change from baseline".into(),
            outcome_change_lines(&header.outcome_changes).join("\n"),
        ));
    }
    if let Some(details) = &state.details {
        rows.push((
            "Case opened".into(),
            format!("{} by {}", date_time(details.opened_at), details.opened_by),
        ));
    }
    rows
}

fn lower(level: RiskLevel) -> String {
    level.label().to_lowercase()
}

/// "to self medium, to the infant low, from others no known risk".
fn risk_parts(r: &RiskReview) -> String {
    format!(
        "to self {}, to the infant {}, from others {}",
        lower(r.details.to_self),
        lower(r.details.to_infant),
        lower(r.details.from_others)
    )
}

/// "EPDS (baseline): 8 of 30, below the usual threshold; item 10 flagged".
pub fn measure_line(m: &MeasureEntry) -> String {
    let d = &m.details;
    let head = format!(
        "{} ({})",
        d.kind.label(),
        d.time_point.label().to_lowercase()
    );
    if d.kind == MeasureKind::Gbo {
        let n = d.goals.len();
        return format!("{head}: {n} goal{}", if n == 1 { "" } else { "s" });
    }
    match &m.scored {
        Some(s) => {
            let mut line = format!(
                "{head}: {} of {}, {}",
                s.total,
                s.max,
                s.band.label.to_lowercase()
            );
            for f in &s.risk_flags {
                line.push_str(&format!("; item {} flagged", f.item));
            }
            line
        }
        None => format!("{head}: the item scores do not fit the measure, so no total is shown"),
    }
}

fn measure_body(m: &MeasureEntry) -> String {
    let d = &m.details;
    let mut lines = Vec::new();
    if d.kind == MeasureKind::Gbo {
        for (i, g) in d.goals.iter().enumerate() {
            lines.push(format!(
                "Goal {}: {} ({} of 10)",
                i + 1,
                g.description,
                g.score
            ));
        }
    } else {
        let list = |v: &[u8]| v.iter().map(u8::to_string).collect::<Vec<_>>().join(", ");
        match &m.scored {
            // Said as entered, so the record reads the same as the form it came from.
            Some(s) if s.entered_as == Entry::Answers => {
                lines.push(format!("Answers ticked (0 = the first answer printed): {}", list(&s.items)));
                lines.push(format!("Item scores: {}", list(&s.item_scores)));
            }
            Some(s) => lines.push(format!("Item scores, copied from a scored form: {}", list(&s.item_scores))),
            None => lines.push(format!("Entered: {}", list(&d.items))),
        }
        if let Some(s) = &m.scored {
            lines.extend(s.risk_flags.iter().map(|f| f.message.clone()));
        }
    }
    lines.join("\n")
}

fn written_byline(author: &str, at: DateTime<Utc>) -> String {
    format!("{author}, written {}", date_time(at))
}

fn addendum_text(a: &casebook_domain::Addendum) -> String {
    format!(
        "Addendum by {}, {}. Reason: {}\n{}",
        a.author,
        date_time(a.added_at),
        a.reason,
        a.text
    )
}

fn note_body(note: &SignedNote) -> String {
    let mut body = note.text.clone();
    for a in &note.addenda {
        body.push_str("\n\n");
        body.push_str(&addendum_text(a));
    }
    body
}

fn person_lines(p: &casebook_domain::PersonRecorded) -> String {
    let mut lines = Vec::new();
    if let Some(dob) = p.date_of_birth {
        lines.push(format!("Date of birth: {}", date(dob)));
    }
    if let Some(nhs) = &p.nhs_number {
        lines.push(match nhs.warning() {
            Some(warning) => format!("NHS number: {nhs} ({warning})"),
            None => format!("NHS number: {nhs}"),
        });
    }
    if let Some(pronouns) = &p.pronouns {
        lines.push(format!("Pronouns: {pronouns}"));
    }
    match (&p.language, p.interpreter_needed) {
        (Some(l), true) => lines.push(format!("Language: {l}; interpreter needed")),
        (Some(l), false) => lines.push(format!("Language: {l}")),
        (None, true) => lines.push("Interpreter needed".into()),
        (None, false) => {}
    }
    if let Some(g) = &p.gestation_at_birth {
        lines.push(format!("Gestation at birth: {}", g.label()));
    }
    lines.join("\n")
}

fn role_label(role: PersonRole) -> &'static str {
    match role {
        PersonRole::ParentOrCarer => "parent or carer",
        PersonRole::Infant => "baby",
        PersonRole::Professional => "professional involved",
    }
}

fn person_version(state: &CaseState, person_id: Uuid, event_id: Uuid) -> Option<&PersonState> {
    state
        .record
        .people
        .iter()
        .find(|p| p.person_id == person_id && p.versions.iter().any(|v| v.event_id == event_id))
}

/// One chronology line as a document entry.
fn entry(state: &CaseState, e: &ChronologyEntry) -> Block {
    let record = &state.record;
    let mut byline = Some(written_byline(&e.author, e.recorded_at));
    let (title, body) = match &e.item {
        ChronologyItem::CaseOpened => {
            let mut lines = Vec::new();
            if let Some(d) = &state.details {
                lines.push(format!("Family: {}", d.family_name));
                if let Some(p) = &d.parent {
                    lines.push(format!("Parent or carer: {}", p.name));
                }
                if let Some(due) = d.due_date {
                    lines.push(format!("Due date: {}", date(due)));
                }
                if let Some(i) = &d.infant {
                    let name = i.name.clone().unwrap_or_else(|| "Baby".into());
                    lines.push(format!("{name}, born {}", date(i.date_of_birth)));
                }
            }
            ("Case opened".to_string(), lines.join("\n"))
        }
        ChronologyItem::Contact { contact_id } => {
            match state.contacts.iter().find(|c| c.contact_id == *contact_id) {
                Some(c) => {
                    let body = c
                        .location
                        .as_ref()
                        .map(|l| format!("Location: {l}"))
                        .unwrap_or_default();
                    (
                        format!("{} — {}", c.contact_type.label(), c.outcome.label()),
                        body,
                    )
                }
                None => ("Contact recorded".to_string(), String::new()),
            }
        }
        ChronologyItem::Note { note_id } => match state.signed_note(*note_id) {
            Some(note) => {
                let mut by = written_byline(&note.author, note.signed_at);
                if note.late_entry || local_date(note.signed_at) > note.occurred_on {
                    by.push_str(&format!(" (late entry: about {})", date(note.occurred_on)));
                }
                byline = Some(by);
                (format!("Note signed by {}", note.author), note_body(note))
            }
            None => ("Note signed".to_string(), String::new()),
        },
        ChronologyItem::Addendum {
            note_id,
            addendum_id,
        } => {
            let note = state.signed_note(*note_id);
            let addendum =
                note.and_then(|n| n.addenda.iter().find(|a| a.addendum_id == *addendum_id));
            let title = match note {
                Some(n) => format!(
                    "Addendum to the note of {} by {}",
                    date(n.occurred_on),
                    n.author
                ),
                None => "Addendum to a note".to_string(),
            };
            let body = addendum
                .map(|a| format!("Reason: {}\n{}", a.reason, a.text))
                .unwrap_or_default();
            (title, body)
        }
        ChronologyItem::DetailChanged { field } => {
            let version = state
                .field(*field)
                .and_then(|f| f.versions.iter().find(|v| v.event_id == e.event_id));
            let body = match version {
                Some(v) => v.value.clone().unwrap_or_else(|| "(cleared)".into()),
                None => "(this value has since been replaced by a later change)".into(),
            };
            (format!("{} changed", field.label()), body)
        }
        ChronologyItem::Referral => match &record.referral {
            Some(r) => {
                let d = &r.details;
                let mut lines = Vec::new();
                if let Some(org) = &d.referrer.organisation {
                    lines.push(format!("Organisation: {org}"));
                }
                let contact: Vec<&str> = [d.referrer.phone.as_deref(), d.referrer.email.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect();
                if !contact.is_empty() {
                    lines.push(format!("Contact: {}", contact.join(", ")));
                }
                lines.push(format!(
                    "Consent to refer: {}",
                    if d.consent_to_refer {
                        "given"
                    } else {
                        "not given"
                    }
                ));
                if !d.reasons.is_empty() {
                    let reasons: Vec<&str> = d.reasons.iter().map(|r| r.label()).collect();
                    lines.push(format!("Reasons: {}", reasons.join("; ")));
                }
                if let Some(other) = &d.other_reasons {
                    lines.push(format!("Other reasons: {other}"));
                }
                if let Some(gp) = &d.gp_practice {
                    lines.push(format!("GP practice: {gp}"));
                }
                // The service's name where Casebook ships it; a team's own profile by its id.
                let service = casebook_domain::ServiceProfile::shipped_by_id(&d.profile_id)
                    .map(|p| p.name)
                    .unwrap_or_else(|| d.profile_id.clone());
                lines.push(format!("Eligibility for {service}: {}", d.eligibility.summary()));
                if let Some(due) = r.first_contact_due().filter(|_| r.taken_on.is_none()) {
                    lines.push(format!("First contact due by {}", date(due)));
                }
                (
                    format!(
                        "Referral received from {} ({})",
                        d.referrer.name,
                        d.referrer.role.label()
                    ),
                    lines.join("\n"),
                )
            }
            None => ("Referral received".to_string(), String::new()),
        },
        ChronologyItem::Supervision { supervision_id } => {
            match record.supervisions.iter().find(|s| s.details.supervision_id == *supervision_id) {
                Some(s) => {
                    let mut body = String::new();
                    if !s.details.with.is_empty() {
                        body.push_str(&format!("With: {}\n", s.details.with.join(", ")));
                    }
                    body.push_str(&s.details.discussion);
                    for a in &s.details.actions {
                        body.push_str(&format!("\nAgreed: {} (by {})", a.title, date(a.due_on)));
                    }
                    (format!("Case supervision by {}", s.by), body)
                }
                None => ("Case supervision".to_string(), String::new()),
            }
        }
        ChronologyItem::Triage { triage_id } => {
            match record.referral.as_ref().and_then(|r| r.triage.iter().find(|t| t.details.triage_id == *triage_id)) {
                Some(t) => {
                    let mut body = Vec::new();
                    if !t.details.allocate_to.is_empty() {
                        body.push(format!("Allocated to: {}", t.details.allocate_to.join(", ")));
                    }
                    if let Some(reason) = &t.details.reason {
                        body.push(format!("Reason: {reason}"));
                    }
                    if !t.details.supersedes.is_empty() {
                        body.push("Replaces the earlier triage decision".to_string());
                    }
                    (format!("Triage by {}: {}", t.by, t.details.decision.label().to_lowercase()), body.join("\n"))
                }
                None => ("Triage decision".to_string(), String::new()),
            }
        }
        ChronologyItem::ReferralTakenOn => match record.referral.as_ref().and_then(|r| r.taken_on.as_ref()) {
            Some(t) => {
                let mut body = format!("Reason: {}", t.details.reason);
                if let Some(due) = t.details.first_contact_due {
                    body.push_str(&format!("\nFirst contact due by {}", date(due)));
                }
                ("Referral taken on despite the eligibility check".to_string(), body)
            }
            None => ("Referral taken on despite the eligibility check".to_string(), String::new()),
        },
        ChronologyItem::ReferralStatus { status } => {
            let step = record.referral.as_ref().and_then(|r| {
                r.history
                    .iter()
                    .find(|s| s.status == *status && s.on == e.date && s.by == e.author)
            });
            let body = step
                .and_then(|s| s.reason.clone())
                .map(|r| format!("Reason: {r}"))
                .unwrap_or_default();
            (
                format!("Referral marked {}", status.label().to_lowercase()),
                body,
            )
        }
        ChronologyItem::Consultation { consultation_id } => {
            match record
                .consultations
                .iter()
                .find(|c| c.details.consultation_id == *consultation_id)
            {
                Some(c) => {
                    let d = &c.details;
                    let mut body = format!("Question: {}", d.question);
                    if let Some(advice) = &d.advice {
                        body.push_str(&format!("\nAdvice: {advice}"));
                    }
                    (
                        format!(
                            "Consultation with {} ({}): {}",
                            d.professional.name,
                            d.professional.role.label(),
                            d.outcome.label().to_lowercase()
                        ),
                        body,
                    )
                }
                None => ("Consultation".to_string(), String::new()),
            }
        }
        ChronologyItem::Person { person_id } => match person_version(state, *person_id, e.event_id)
        {
            Some(p) => {
                let v = p
                    .versions
                    .iter()
                    .find(|v| v.event_id == e.event_id)
                    .map(|v| &v.details)
                    .unwrap_or(&p.current);
                (
                    format!("Person recorded: {} ({})", v.name, role_label(v.role)),
                    person_lines(v),
                )
            }
            None => match state
                .record
                .people
                .iter()
                .find(|p| p.person_id == *person_id)
            {
                Some(p) => (
                    format!(
                        "Person recorded: {} ({})",
                        p.current.name,
                        role_label(p.current.role)
                    ),
                    "These details were later updated; the current details are in the summary."
                        .into(),
                ),
                None => ("Person recorded".to_string(), String::new()),
            },
        },
        ChronologyItem::ContactPlanned { contact_id } => {
            match record
                .planned_contacts
                .iter()
                .find(|p| p.details.contact_id == *contact_id)
            {
                Some(p) => {
                    let d = &p.details;
                    let body = d
                        .location
                        .as_ref()
                        .map(|l| format!("Location: {l}"))
                        .unwrap_or_default();
                    (
                        format!(
                            "{} planned for {}",
                            d.contact_type.label(),
                            naive_date_time(d.planned_for)
                        ),
                        body,
                    )
                }
                None => match state.contacts.iter().find(|c| c.contact_id == *contact_id) {
                    Some(c) => (
                        format!("{} planned", c.contact_type.label()),
                        format!(
                            "Since recorded: {} on {}",
                            c.outcome.label().to_lowercase(),
                            date(c.date)
                        ),
                    ),
                    None => ("Contact planned".to_string(), String::new()),
                },
            }
        }
        ChronologyItem::Measure { measure_id } => {
            match record
                .measures
                .iter()
                .find(|m| m.details.measure_id == *measure_id)
            {
                Some(m) => (measure_line(m), measure_body(m)),
                None => ("Outcome measure".to_string(), String::new()),
            }
        }
        ChronologyItem::Risk { assessment_id } => {
            match record
                .risk_reviews
                .iter()
                .find(|r| r.details.assessment_id == *assessment_id)
            {
                Some(r) => {
                    let d = &r.details;
                    let mut lines = vec![d.summary.clone()];
                    if let Some(actions) = &d.actions {
                        lines.push(format!("Actions: {actions}"));
                    }
                    lines.push(format!("THRIVE: {}", d.thrive.label()));
                    lines.push(format!("Safeguarding: {}", d.safeguarding.label()));
                    if let Some(review) = d.review_on {
                        lines.push(format!("Next review due {}", date(review)));
                    }
                    (
                        format!("Risk review: {} ({})", lower(r.overall()), risk_parts(r)),
                        lines.join("\n"),
                    )
                }
                None => ("Risk review".to_string(), String::new()),
            }
        }
        ChronologyItem::Alert { alert_id } => {
            match record.alerts.iter().find(|a| a.alert_id == *alert_id) {
                Some(a) => (format!("Alert raised: {}", a.kind.label()), a.text.clone()),
                None => ("Alert raised".to_string(), String::new()),
            }
        }
        ChronologyItem::AlertCleared { alert_id } => {
            match record.alerts.iter().find(|a| a.alert_id == *alert_id) {
                Some(a) => {
                    let reason = a
                        .cleared
                        .as_ref()
                        .map(|c| format!("Reason: {}", c.reason))
                        .unwrap_or_default();
                    (
                        format!("Alert cleared: {}", a.kind.label()),
                        format!("{}\n{reason}", a.text).trim().to_string(),
                    )
                }
                None => ("Alert cleared".to_string(), String::new()),
            }
        }
        ChronologyItem::Task { task_id } => {
            match record.tasks.iter().find(|t| t.details.task_id == *task_id) {
                Some(t) => (
                    format!(
                        "Task added: {} (due {})",
                        t.details.title,
                        date(t.details.due_on)
                    ),
                    String::new(),
                ),
                None => ("Task added".to_string(), String::new()),
            }
        }
        ChronologyItem::TaskCompleted { task_id } => {
            match record.tasks.iter().find(|t| t.details.task_id == *task_id) {
                Some(t) => (
                    format!("Task completed: {}", t.details.title),
                    String::new(),
                ),
                None => ("Task completed".to_string(), String::new()),
            }
        }
        ChronologyItem::Discharge => match &record.discharge {
            Some(d) => {
                let mut body = d.details.summary.clone();
                let changes = outcome_change_lines(&record.outcome_changes());
                if !changes.is_empty() {
                    body.push_str("\n\nOutcome change from baseline:\n");
                    body.push_str(&changes.join("\n"));
                }
                (format!("Discharged: {}", d.details.reason.label()), body)
            }
            None => ("Discharged".to_string(), String::new()),
        },
    };
    if byline.is_none() {
        byline = Some(written_byline(&e.author, e.recorded_at));
    }
    Block::Entry {
        when: date(e.date),
        title,
        byline,
        body,
    }
}

fn same_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let a = norm(a);
    !a.is_empty() && a == norm(b)
}

/// Whether a case names this person: someone in the family record (any version of them), or the
/// parent's or infant's name in the case details. Case and spacing are ignored.
pub fn mentions(state: &CaseState, person_name: &str) -> bool {
    let in_people = state.record.people.iter().any(|p| {
        same_name(&p.current.name, person_name)
            || p.versions
                .iter()
                .any(|v| same_name(&v.details.name, person_name))
    });
    let in_details = state.details.as_ref().is_some_and(|d| {
        d.parent
            .as_ref()
            .is_some_and(|p| same_name(&p.name, person_name))
            || d.infant
                .as_ref()
                .and_then(|i| i.name.as_deref())
                .is_some_and(|n| same_name(n, person_name))
    });
    let in_fields = state.fields.iter().any(|f| {
        f.field == casebook_domain::DetailField::ParentName
            && f.versions.iter().any(|v| {
                v.value
                    .as_deref()
                    .is_some_and(|n| same_name(n, person_name))
            })
    });
    in_people || in_details || in_fields
}

/// Each NHS number in a case's entries that is a test or placeholder number, once, with its
/// warning: a machine reading the JSON is told as plainly as a person reading the PDF that it is
/// not a real patient's.
fn nhs_number_warnings(events: &[Event]) -> Vec<serde_json::Value> {
    let mut warned: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for e in events {
        let casebook_domain::EventBody::PersonRecorded(p) = &e.body else { continue };
        let Some(nhs) = &p.nhs_number else { continue };
        if let Some(warning) = nhs.warning() {
            if !warned.contains(&nhs.as_str()) {
                warned.push(nhs.as_str());
                out.push(json!({ "nhs_number": nhs.as_str(), "person": p.name, "warning": warning }));
            }
        }
    }
    out
}

/// Everything this laptop holds about one person: for each case given (the caller passes the
/// cases that mention them, see [`mentions`]), the folded record and every event, as JSON a
/// machine can read back, and a readable document with each case's summary and chronology.
pub fn subject_access(
    person_name: &str,
    cases: &[(CaseState, Vec<Event>)],
    exported_by: &str,
    exported_at: DateTime<Utc>,
) -> (serde_json::Value, Document) {
    let json_cases: Vec<serde_json::Value> = cases
        .iter()
        .map(|(state, events)| {
            json!({
                "case_id": state.case_id,
                "retention": casebook_domain::retention(state),
                "state": state,
                "events": events,
                "nhs_number_warnings": nhs_number_warnings(events),
            })
        })
        .collect();
    let value = json!({
        "subject": person_name,
        "exported_at": exported_at,
        "exported_by": exported_by,
        "scope": SAR_SCOPE,
        "cases": json_cases,
    });

    let today = local_date(exported_at);
    let entry_count: usize = cases.iter().map(|(_, e)| e.len()).sum();
    let mut blocks = vec![
        Block::KeyValues(vec![
            ("Subject".into(), person_name.to_string()),
            ("Exported".into(), format!("{} by {exported_by}", date_time(exported_at))),
            ("Cases".into(), cases.len().to_string()),
            ("Entries".into(), entry_count.to_string()),
        ]),
        Block::Paragraph(SAR_SCOPE.into()),
        Block::Paragraph(
            "A second, computer-readable file (JSON) comes with this document. It holds the same cases, with \
             every entry exactly as it is kept."
                .into(),
        ),
    ];
    if cases.is_empty() {
        blocks.push(Block::Paragraph(
            "No case on this laptop names this person.".into(),
        ));
    }
    for (state, events) in cases {
        blocks.push(Block::Rule);
        blocks.push(Block::Heading(format!("Case: {}", family_name(state))));
        blocks.push(Block::Paragraph(format!(
            "Case reference {}; {} entries held on this laptop.",
            state.case_id,
            events.len()
        )));
        blocks.push(Block::Heading("How long this record is kept".into()));
        blocks.push(Block::Paragraph(retention_text(state)));
        blocks.extend(case_blocks(state, today));
    }
    let doc = Document {
        title: format!("Subject access export: {person_name}"),
        subtitle: Some("Everything held on this laptop about this person".into()),
        generated: generated(exported_by, exported_at),
        footer: FOOTER.to_string(),
        blocks,
    };
    (value, doc)
}

/// Said with each case's retention date in a subject access export, for the person who asked.
pub const RETENTION_NOTE: &str = "Records are kept for the periods set by the Records Management Code of \
Practice (2021); where more than one applies, the longest is used. A record is not deleted automatically when \
its date passes: a person at the Trust reviews it first.";

/// The case's keep-until date, every rule that applies and why, in plain words.
pub fn retention_text(state: &CaseState) -> String {
    let r = casebook_domain::retention(state);
    let mut lines = vec![format!("{}.", r.summary)];
    lines.extend(r.rules.iter().map(|rule| rule.sentence.clone()));
    lines.extend(r.provisional.clone());
    lines.extend(r.unknown.clone());
    lines.push(RETENTION_NOTE.to_string());
    lines.join("\n")
}

// How each entry of the wider record reads as one line in the case chronology.
import { CONTACT_TYPES, day, dayAndTime } from "./format";
import { triageHeading } from "./triage";
import type { CaseRecord } from "../bindings/CaseRecord";
import type { ChronologyEntry } from "../bindings/ChronologyEntry";

/** One line for a chronology entry of the wider record (referral, measures, risk…); `measureLabels`
 *  names measures as the domain labels them ("PHQ-9", "EPDS"). */
export function recordLine(e: ChronologyEntry, r: CaseRecord | null | undefined, measureLabels: Record<string, string>): string {
  if (!r) return "";
  const it = e.item;
  switch (it.type) {
    case "referral": {
      const ref = r.referral?.details;
      return ref ? `Referral received from ${ref.referrer.name}${ref.referrer.organisation ? ` (${ref.referrer.organisation})` : ""}` : "Referral received";
    }
    case "referral_status": {
      const step = r.referral?.history.find((h) => h.status === it.status);
      return `Referral ${it.status.replace(/_/g, " ")}${step?.reason ? `: ${step.reason}` : ""}`;
    }
    case "supervision": {
      const s = r.supervisions.find((s) => s.details.supervision_id === it.supervision_id);
      return s ? `Case supervision by ${s.by}${s.details.with.length ? ` with ${s.details.with.join(", ")}` : ""}` : "Case supervision";
    }
    case "triage": {
      const t = r.referral?.triage.find((t) => t.details.triage_id === it.triage_id);
      return t ? triageHeading(t) : "Triage decision";
    }
    case "referral_taken_on": {
      const t = r.referral?.taken_on;
      return t ? `Referral taken on despite the eligibility check: ${t.details.reason}` : "Referral taken on despite the eligibility check";
    }
    case "consultation":
      return "Consultation with a professional";
    case "person": {
      const p = r.people.find((p) => p.person_id === it.person_id);
      return p ? `${p.current.name}'s details recorded` : "Family member's details recorded";
    }
    case "contact_planned": {
      const p = r.planned_contacts.find((p) => p.details.contact_id === it.contact_id);
      return p ? `${CONTACT_TYPES[p.details.contact_type]} booked for ${dayAndTime(p.details.planned_for)}` : "Visit booked";
    }
    case "measure": {
      const m = r.measures.find((m) => m.details.measure_id === it.measure_id);
      if (!m) return "Measure";
      const kind = measureLabels[m.details.kind] ?? m.details.kind;
      return m.scored
        ? `${kind} (${m.details.time_point}): ${m.scored.total} of ${m.scored.max}, ${m.scored.band.label}${m.scored.risk_flags.length ? "; risk item answered" : ""}${m.scored.entered_as === "scores" ? " (copied as item scores)" : ""}`
        : `${kind} (${m.details.time_point}): ${m.details.goals.map((g) => `${g.description} ${g.score}/10`).join("; ")}`;
    }
    case "risk": {
      const v = r.risk_reviews.find((v) => v.details.assessment_id === it.assessment_id);
      return v ? `Risk reviewed: ${v.details.summary}` : "Risk reviewed";
    }
    case "alert": {
      const a = r.alerts.find((a) => a.alert_id === it.alert_id);
      return a ? `Alert added: ${a.text}` : "Alert added";
    }
    case "alert_cleared": {
      const a = r.alerts.find((a) => a.alert_id === it.alert_id);
      return a ? `Alert cleared: ${a.text}${a.cleared ? ` (${a.cleared.reason})` : ""}` : "Alert cleared";
    }
    case "task": {
      const t = r.tasks.find((t) => t.details.task_id === it.task_id);
      return t ? `Task: ${t.details.title}, due ${day(t.details.due_on)}` : "Task added";
    }
    case "task_completed": {
      const t = r.tasks.find((t) => t.details.task_id === it.task_id);
      return t ? `Task done: ${t.details.title}` : "Task done";
    }
    case "discharge":
      return r.discharge ? `Discharged: ${r.discharge.details.summary}` : "Discharged";
    default:
      return "";
  }
}

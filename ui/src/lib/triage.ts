// How a triage decision reads, the same on the inbox, the case header and the chronology.
import { day } from "./format";
import type { Triage } from "../bindings/Triage";
import type { TriageDecision } from "../bindings/TriageDecision";
import type { TriageState } from "../bindings/TriageState";

/** The choices as the lead is offered them. */
export const DECISION_CHOICES: Record<TriageDecision, string> = {
  accept: "Accept and allocate",
  consultation: "Keep as a consultation",
  signpost: "Signpost elsewhere",
  decline: "Decline",
};

/** What was decided, to follow "Triage by demo.lead: ". */
export const DECISION_WORDS: Record<TriageDecision, string> = {
  accept: "accepted and allocated",
  consultation: "kept as a consultation",
  signpost: "signposted elsewhere",
  decline: "declined",
};

/** "Triage by demo.lead: accepted and allocated". */
export function triageHeading(t: Triage): string {
  return `Triage by ${t.by}: ${DECISION_WORDS[t.details.decision]}`;
}

/** Who, what, when and why in one line, for a conflict where both decisions are read side by side. */
export function triageSummary(t: Triage): string {
  const d = t.details;
  const to = d.allocate_to.length ? ` to ${d.allocate_to.join(", ")}` : "";
  const why = d.reason ? ` (${d.reason})` : "";
  return `${t.by} ${DECISION_WORDS[d.decision]}${to} on ${day(d.on)}${why}`;
}

/** Where the referral stands with triage, for the case header. */
export function triageStanding(state: TriageState): string {
  switch (state.state) {
    case "awaiting":
      return "Waiting for the lead's triage";
    case "conflict":
      // The same lead on two laptops is named once.
      return `Two triage decisions disagree: a person must settle it (${[...new Set(state.decisions.map((t) => t.by))].join(" and ")})`;
    case "decided":
      return `${capitalise(DECISION_WORDS[state.decision.details.decision])}${
        state.decision.details.allocate_to.length ? ` to ${state.decision.details.allocate_to.join(", ")}` : ""
      }, ${day(state.decision.details.on)} by ${state.decision.by}`;
  }
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

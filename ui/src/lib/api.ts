// Every call the window makes to the Rust shell. The types come from ui/src/bindings, generated
// from the Rust types by ts-rs: nothing that crosses `invoke` is written by hand here.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { SupervisionInput } from "../bindings/SupervisionInput";
import type { Addendum } from "../bindings/Addendum";
import type { AppStatus } from "../bindings/AppStatus";
import type { CaseOpened } from "../bindings/CaseOpened";
import type { CaseSummary } from "../bindings/CaseSummary";
import type { CaseView } from "../bindings/CaseView";
import type { Contact } from "../bindings/Contact";
import type { ContactInput } from "../bindings/ContactInput";
import type { Draft } from "../bindings/Draft";
import type { DraftInput } from "../bindings/DraftInput";
import type { PassphraseStrength } from "../bindings/PassphraseStrength";
import type { SearchHit } from "../bindings/SearchHit";
import type { SignedNote } from "../bindings/SignedNote";
import type { DetailField } from "../bindings/DetailField";
import type { FieldState } from "../bindings/FieldState";
import type { SignedIn } from "../bindings/SignedIn";
import type { SyncStatus } from "../bindings/SyncStatus";
import type { SyncSummary } from "../bindings/SyncSummary";
import type { AlertKind } from "../bindings/AlertKind";
import type { CasePage } from "../bindings/CasePage";
import type { ConsultationInput } from "../bindings/ConsultationInput";
import type { ConsultationOutcome } from "../bindings/ConsultationOutcome";
import type { DischargeReason } from "../bindings/DischargeReason";
import type { Form } from "../bindings/Form";
import type { FormDraft } from "../bindings/FormDraft";
import type { Goal } from "../bindings/Goal";
import type { GoalsScored } from "../bindings/GoalsScored";
import type { MeasureEntry } from "../bindings/MeasureEntry";
import type { MeasureInput } from "../bindings/MeasureInput";
import type { MeasureKind } from "../bindings/MeasureKind";
import type { PersonInput } from "../bindings/PersonInput";
import type { PlanInput } from "../bindings/PlanInput";
import type { ReferralCheck } from "../bindings/ReferralCheck";
import type { ReferralInput } from "../bindings/ReferralInput";
import type { ReferralStatus } from "../bindings/ReferralStatus";
import type { RiskInput } from "../bindings/RiskInput";
import type { SoFar } from "../bindings/SoFar";
import type { ServiceProfile } from "../bindings/ServiceProfile";
import type { TaskKind } from "../bindings/TaskKind";
import type { TodayView } from "../bindings/TodayView";
import type { Vocabulary } from "../bindings/Vocabulary";
import type { CheckedNhsNumber } from "../bindings/CheckedNhsNumber";
import type { InboxEntry } from "../bindings/InboxEntry";
import type { Roster } from "../bindings/Roster";
import type { TeamView } from "../bindings/TeamView";
import type { TriageInput } from "../bindings/TriageInput";
import type { WaitingEntry } from "../bindings/WaitingEntry";

/** Commands answer errors with one plain sentence; show it as it is. */
export function message(err: unknown): string {
  if (typeof err === "string") return err;
  if (err instanceof Error) return err.message;
  return String(err);
}

export const api = {
  appStatus: () => invoke<AppStatus>("app_status"),
  createStore: (username: string, passphrase: string) =>
    invoke<AppStatus>("create_store", { username, passphrase }),
  unlock: (passphrase: string) => invoke<AppStatus>("unlock", { passphrase }),
  lock: () => invoke<void>("lock"),
  passphraseStrength: (passphrase: string, username: string) =>
    invoke<PassphraseStrength>("passphrase_strength", { passphrase, username }),
  listCases: () => invoke<CaseSummary[]>("list_cases"),
  openCase: (input: CaseOpened) => invoke<CaseSummary>("open_case", { input }),
  getCase: (case_id: string) => invoke<CaseView>("get_case", { case_id }),
  recordContact: (case_id: string, input: ContactInput) =>
    invoke<Contact>("record_contact", { case_id, input }),
  saveDraft: (input: DraftInput) => invoke<Draft>("save_draft", { input }),
  signNote: (input: DraftInput) => invoke<SignedNote>("sign_note", { input }),
  addAddendum: (note_id: string, reason: string, text: string) =>
    invoke<Addendum>("add_addendum", { note_id, reason, text }),
  search: (query: string) => invoke<SearchHit[]>("search", { query }),
  touch: () => invoke<void>("touch"),
  changeDetail: (case_id: string, field: DetailField, value: string | null) =>
    invoke<FieldState>("change_detail", { case_id, field, value }),
  syncSignIn: (server_url: string, username: string, password: string) =>
    invoke<SignedIn>("sync_sign_in", { server_url, username, password }),
  syncNow: (confirm_removals = false) => invoke<SyncSummary>("sync_now", { confirm_removals }),
  syncStatus: () => invoke<SyncStatus>("sync_status"),
  defaultServerUrl: () => invoke<string | null>("default_server_url"),
  closeAnyway: () => invoke<void>("close_anyway"),

  // The whole case record.
  getCasePage: (case_id: string) => invoke<CasePage>("get_case_page", { case_id }),
  /** Puts entries the central store refused back in line to be sent; answers how many. */
  sendAgain: (event_ids: string[]) => invoke<number>("send_again", { event_ids }),
  vocabulary: () => invoke<Vocabulary>("vocabulary"),
  serviceProfiles: () => invoke<ServiceProfile[]>("service_profiles"),
  /** Rules files in the data folder Casebook could not use, one sentence each (empty: none). */
  rulesProblems: () => invoke<string[]>("rules_problems"),
  checkReferral: (input: ReferralInput) => invoke<ReferralCheck>("check_referral", { input }),
  receiveReferral: (input: ReferralInput) => invoke<CaseSummary>("receive_referral", { input }),
  /** No consent to refer: a case for the family with the request kept as a consultation. */
  consultationWithoutConsent: (input: ReferralInput, outcome: ConsultationOutcome, advice: string | null) =>
    invoke<CaseSummary>("consultation_without_consent", { input, outcome, advice }),
  changeReferralStatus: (case_id: string, status: ReferralStatus, on: string, reason: string | null) =>
    invoke<void>("change_referral_status", { case_id, status, on, reason }),
  recordSupervision: (case_id: string, input: SupervisionInput) => invoke<void>("record_supervision", { case_id, input }),
  takeOnReferral: (case_id: string, on: string, reason: string) => invoke<void>("take_on_referral", { case_id, on, reason }),
  recordConsultation: (case_id: string, input: ConsultationInput) =>
    invoke<void>("record_consultation", { case_id, input }),
  recordPerson: (case_id: string, input: PersonInput) => invoke<void>("record_person", { case_id, input }),
  planContact: (case_id: string, input: PlanInput) => invoke<void>("plan_contact", { case_id, input }),
  measureForm: (kind: MeasureKind) => invoke<Form>("measure_form", { kind }),
  /** Scores what is answered so far (null = not yet): the risk flag comes the moment its item is answered. */
  scoreMeasure: (kind: MeasureKind, answers: (number | null)[]) => invoke<SoFar>("score_measure", { kind, answers }),
  checkGoals: (goals: Goal[]) => invoke<GoalsScored>("check_goals", { goals }),
  recordMeasure: (case_id: string, input: MeasureInput) => invoke<MeasureEntry>("record_measure", { case_id, input }),
  assessRisk: (case_id: string, input: RiskInput) => invoke<void>("assess_risk", { case_id, input }),
  raiseAlert: (case_id: string, kind: AlertKind, text: string) => invoke<void>("raise_alert", { case_id, kind, text }),
  clearAlert: (case_id: string, alert_id: string, reason: string) =>
    invoke<void>("clear_alert", { case_id, alert_id, reason }),
  addTask: (case_id: string, kind: TaskKind, title: string, due_on: string) =>
    invoke<void>("add_task", { case_id, kind, title, due_on }),
  completeTask: (case_id: string, task_id: string) => invoke<void>("complete_task", { case_id, task_id }),
  discharge: (case_id: string, on: string, reason: DischargeReason, summary: string) =>
    invoke<void>("discharge", { case_id, on, reason, summary }),
  todayView: () => invoke<TodayView>("today_view"),
  checkNhsNumber: (text: string) => invoke<CheckedNhsNumber>("check_nhs_number", { text }),
  saveFormDraft: (form: string, body: string) => invoke<void>("save_form_draft", { form, body }),
  formDraft: (form: string) => invoke<FormDraft | null>("form_draft", { form }),
  discardFormDraft: (form: string) => invoke<void>("discard_form_draft", { form }),
  exportChronology: (case_id: string) => invoke<string | null>("export_chronology", { case_id }),
  exportSubjectAccess: (case_id: string, person_name: string) =>
    invoke<string | null>("export_subject_access", { case_id, person_name }),

  // The team's work: the inbox, triage, the waiting list and the lead's view of the team.
  inbox: () => invoke<InboxEntry[]>("get_inbox"),
  waitingList: () => invoke<WaitingEntry[]>("get_waiting_list"),
  /** Refused with a sentence unless this laptop signed in as the team's lead. */
  triageReferral: (input: TriageInput) => invoke<void>("triage_referral", { input }),
  /** Without numbers, the team's usual limits (2 working days of silence, alerts of 14 days). */
  teamView: (silent_after: number | null = null, alerts_within_days: number | null = null) =>
    invoke<TeamView>("get_team_view", { silent_after, alerts_within_days }),
  /** The team's people and laptops from the last sync of a lead's laptop (null: none yet). */
  roster: () => invoke<Roster | null>("get_roster"),
};

let vocabularyOnce: Promise<Vocabulary> | null = null;
/** The labelled choices every form offers (from the domain crate), fetched once. */
export function vocabulary(): Promise<Vocabulary> {
  vocabularyOnce ??= api.vocabulary().catch((e) => {
    vocabularyOnce = null;
    throw e;
  });
  return vocabularyOnce;
}

/** A sync (manual or automatic) started, finished, or failed with a sentence. */
export function onSyncStarted(handler: () => void): Promise<UnlistenFn> {
  return listen("sync-started", handler);
}
export function onSyncFinished(handler: (s: SyncSummary) => void): Promise<UnlistenFn> {
  return listen<SyncSummary>("sync-finished", (e) => handler(e.payload));
}
export function onSyncFailed(handler: (sentence: string) => void): Promise<UnlistenFn> {
  return listen<string>("sync-failed", (e) => handler(e.payload));
}

/** The shell locked itself (idle too long, or the Lock button): follow it to the unlock screen. */
export function onLocked(handler: (sentence: string | null) => void): Promise<UnlistenFn> {
  return listen<string | null>("locked", (e) => handler(typeof e.payload === "string" ? e.payload : null));
}

/** Tell the shell the clinician is still here, at most once every 30 seconds. */
export function startActivityPings(): () => void {
  let last = 0;
  const ping = () => {
    const now = Date.now();
    if (now - last < 30_000) return;
    last = now;
    api.touch().catch(() => {});
  };
  const events = ["keydown", "pointerdown", "pointermove", "wheel"] as const;
  for (const e of events) window.addEventListener(e, ping, { passive: true });
  return () => {
    for (const e of events) window.removeEventListener(e, ping);
  };
}

/** The window was asked to close while signed notes are unsent (payload: how many). */
export function onCloseRequested(handler: (unsent: number) => void): Promise<UnlistenFn> {
  return listen<number>("close-requested", (e) => handler(Number(e.payload)));
}

/** Keeps a form's fields in the encrypted store as they are typed (debounced), so a crash or a
 *  flat battery loses nothing; `restore` gives back what was kept, `done` forgets it. */
export function keepForm<T>(form: string, delayMs = 600) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last = "";
  let pending: string | null = null;
  const flush = () => {
    clearTimeout(timer);
    if (pending === null) return;
    const body = pending;
    pending = null;
    last = body;
    api.saveFormDraft(form, body).catch(() => {});
  };
  return {
    async restore(): Promise<{ fields: T; savedAt: string } | null> {
      try {
        const d = await api.formDraft(form);
        if (!d) return null;
        last = d.body;
        return { fields: JSON.parse(d.body) as T, savedAt: d.saved_at };
      } catch {
        return null;
      }
    },
    changed(fields: T) {
      const body = JSON.stringify(fields);
      if (body === last && pending === null) return;
      pending = body;
      clearTimeout(timer);
      timer = setTimeout(flush, delayMs);
    },
    /** Leaving the form: keep what was typed last. */
    flush,
    async done() {
      clearTimeout(timer);
      pending = null;
      last = "";
      await api.discardFormDraft(form).catch(() => {});
    },
  };
}

// Every call the window makes to the Rust shell. The types come from ui/src/bindings, generated
// from the Rust types by ts-rs: nothing that crosses `invoke` is written by hand here.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
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
};

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

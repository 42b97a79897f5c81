// Preferences (never patient data), kept by tauri-plugin-store in settings.json.
import { load, type Store } from "@tauri-apps/plugin-store";

export type Theme = "light" | "dark" | "system";

export interface Preferences {
  data_dir: string;
  auto_lock_minutes: number;
  /** Minutes between automatic syncs while unlocked and signed in (the shell reads it). */
  sync_minutes: number;
  theme: Theme;
}

export const DEFAULTS: Preferences = { data_dir: "", auto_lock_minutes: 5, sync_minutes: 5, theme: "system" };

let storePromise: Promise<Store> | null = null;
function prefsStore(): Promise<Store> {
  storePromise ??= load("settings.json", { defaults: {}, autoSave: false });
  return storePromise;
}

export async function readPreferences(): Promise<Preferences> {
  const store = await prefsStore();
  const dataDir = await store.get<string>("data_dir");
  const minutes = await store.get<number>("auto_lock_minutes");
  const theme = await store.get<Theme>("theme");
  const syncMinutes = await store.get<number>("sync_minutes");
  return {
    data_dir: typeof dataDir === "string" ? dataDir : DEFAULTS.data_dir,
    auto_lock_minutes: typeof minutes === "number" ? minutes : DEFAULTS.auto_lock_minutes,
    sync_minutes: typeof syncMinutes === "number" ? syncMinutes : DEFAULTS.sync_minutes,
    theme: theme === "light" || theme === "dark" || theme === "system" ? theme : DEFAULTS.theme,
  };
}

export async function writePreferences(p: Preferences): Promise<void> {
  const store = await prefsStore();
  await store.set("data_dir", p.data_dir.trim());
  await store.set("auto_lock_minutes", p.auto_lock_minutes);
  await store.set("sync_minutes", p.sync_minutes);
  await store.set("theme", p.theme);
  await store.save();
}

export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
}

/** The lead's choice of how many working days of silence highlight a laptop on the team view
 *  (null: the team's usual 2). A preference, kept apart from the records. */
export async function readSilentAfter(): Promise<number | null> {
  const n = await (await prefsStore()).get<number>("team_silent_after_days");
  return typeof n === "number" && Number.isInteger(n) && n >= 0 ? n : null;
}

export async function writeSilentAfter(days: number): Promise<void> {
  const store = await prefsStore();
  await store.set("team_silent_after_days", days);
  await store.save();
}

// Autosave timing for the note editor: save 800 ms after the last keystroke, and at least every
// 2 s while typing goes on; one save at a time, the newest text always wins.
export const QUIET_MS = 800;
export const MAX_WAIT_MS = 2000;
export const RETRY_MS = 3000;

export type SaveState =
  | { kind: "idle" }
  | { kind: "saving" }
  | { kind: "saved"; at: Date }
  | { kind: "failed"; reason: string };

export class Autosaver {
  private quiet: ReturnType<typeof setTimeout> | undefined;
  private maxWait: ReturnType<typeof setTimeout> | undefined;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private inFlight: Promise<void> | null = null;
  private dirty = false;

  constructor(
    private readonly save: () => Promise<void>,
    private readonly report: (s: SaveState) => void,
  ) {}

  /** Call on every change of the text. */
  changed(): void {
    this.dirty = true;
    clearTimeout(this.retry);
    clearTimeout(this.quiet);
    this.quiet = setTimeout(() => void this.run(), QUIET_MS);
    if (this.maxWait === undefined) {
      this.maxWait = setTimeout(() => void this.run(), MAX_WAIT_MS);
    }
  }

  /** Save now if anything is unsaved; resolves when the text on screen is saved (or failed). */
  async flush(): Promise<boolean> {
    if (this.inFlight) await this.inFlight;
    if (this.dirty) await this.run();
    return !this.dirty;
  }

  get pending(): boolean {
    return this.dirty || this.inFlight !== null;
  }

  dispose(): void {
    clearTimeout(this.quiet);
    clearTimeout(this.maxWait);
    clearTimeout(this.retry);
  }

  private async run(): Promise<void> {
    clearTimeout(this.quiet);
    clearTimeout(this.maxWait);
    this.maxWait = undefined;
    if (this.inFlight) {
      // Changes made during a save are picked up when it finishes.
      await this.inFlight;
      if (this.dirty && !this.inFlight) return this.run();
      return;
    }
    if (!this.dirty) return;
    this.dirty = false;
    this.report({ kind: "saving" });
    this.inFlight = (async () => {
      try {
        await this.save();
        if (!this.dirty) this.report({ kind: "saved", at: new Date() });
      } catch (e) {
        this.dirty = true;
        this.report({ kind: "failed", reason: typeof e === "string" ? e : String(e) });
        this.retry = setTimeout(() => void this.run(), RETRY_MS);
      }
    })();
    await this.inFlight;
    this.inFlight = null;
    // Text typed during the save has its own timers from `changed()`.
  }
}

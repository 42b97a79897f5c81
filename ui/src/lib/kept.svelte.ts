// A dialog's fields kept in the encrypted store while it is open (see `keepForm`): restored when
// it opens again after a crash or a close, forgotten once the record is saved.
import { untrack } from "svelte";
import { keepForm } from "./api";

export function keptWhileOpen<T>(form: string, isOpen: () => boolean, get: () => T, set: (fields: T) => void) {
  const kept = keepForm<T>(form);
  let keeping = false;
  let restoredAt: string | null = $state(null);
  $effect(() => {
    if (isOpen()) {
      keeping = false;
      restoredAt = null;
      void kept.restore().then((r) => {
        if (r) {
          set(r.fields);
          restoredAt = r.savedAt;
        }
        keeping = true;
      });
    } else {
      keeping = false;
      kept.flush();
    }
  });
  $effect(() => {
    const fields = get();
    if (keeping && untrack(isOpen)) kept.changed(fields);
  });
  return {
    get restoredAt() {
      return restoredAt;
    },
    async done() {
      keeping = false;
      restoredAt = null;
      await kept.done();
    },
  };
}

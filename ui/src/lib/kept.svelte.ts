// A dialog's fields kept in the encrypted store while it is open (see `keepForm`): restored when
// it opens again after a crash or a close, forgotten once the record is saved.
import { untrack } from "svelte";
import { keepForm } from "./api";

export function keptWhileOpen<T>(
  form: string | (() => string),
  isOpen: () => boolean,
  get: () => T,
  set: (fields: T) => void,
) {
  // A form whose name depends on what it is opened for (a person's id) is named afresh each time.
  const name = () => (typeof form === "string" ? form : untrack(form));
  let kept = keepForm<T>(name());
  let keeping = false;
  let restoredAt: string | null = $state(null);
  $effect(() => {
    if (isOpen()) {
      kept = keepForm<T>(name());
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
      // A form that stays on screen (the one-line task field) goes on keeping what is typed next;
      // the emptied fields themselves are not worth keeping, so only a later change is saved.
      if (untrack(isOpen)) keeping = true;
    },
  };
}

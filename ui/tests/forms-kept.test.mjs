// "Nothing typed is lost on a crash": every form in the window keeps what is typed in the
// encrypted store (keepForm / keptWhileOpen), except the few listed below with the reason why.
// A new form that forgets to keep its fields fails here before it reaches a clinician.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src");

/** Forms that must not (or need not) be kept, per component: how many and why. */
const NOT_KEPT = {
  "screens/FirstRun.svelte": [1, "a passphrase is never written down anywhere"],
  "screens/Unlock.svelte": [1, "a passphrase is never written down anywhere"],
  "screens/Settings.svelte": [2, "preferences save as they change; the other form is a passphrase"],
};

function svelteFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return svelteFiles(p);
    return e.name.endsWith(".svelte") ? [p] : [];
  });
}

const count = (text, re) => (text.match(re) ?? []).length;

test("every form keeps what is typed, or says why not", () => {
  const files = svelteFiles(src);
  assert.ok(files.length > 10, `found the components under ${src}`);
  const wrong = [];
  for (const file of files) {
    const name = path.relative(src, file);
    const text = readFileSync(file, "utf8");
    const forms = count(text, /<form\b/g);
    const kept = count(text, /\bkeptWhileOpen\(|\bkeepForm</g);
    const exempt = NOT_KEPT[name]?.[0] ?? 0;
    if (forms !== kept + exempt) wrong.push(`${name}: ${forms} form(s), ${kept} kept, ${exempt} exempt`);
  }
  assert.deepEqual(wrong, [], "each <form> needs its own keepForm/keptWhileOpen (or an entry in NOT_KEPT)");
});

test("the exemptions name components that exist", () => {
  for (const name of Object.keys(NOT_KEPT)) {
    assert.ok(svelteFiles(src).some((f) => path.relative(src, f) === name), `${name} is listed in NOT_KEPT but does not exist`);
  }
});

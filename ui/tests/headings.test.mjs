// The sign dialog names the session record headings left empty.
// Run: npm run test:unit (compiles src/lib/headings.ts with esbuild first).
import { test } from "node:test";
import assert from "node:assert/strict";
import { emptyHeadings } from "../node_modules/.cache/casebook-unit/headings.mjs";

const HEADINGS = ["Observation of parent–infant interaction", "Risk", "Plan"];

test("a heading with only blank lines under it is empty; one with text is not", () => {
  const note = "Observation of parent–infant interaction:\nFictional: warm, attuned.\n\nRisk:\n\n   \nPlan:\n";
  assert.deepEqual(emptyHeadings(note, HEADINGS), ["Risk", "Plan"]);
});

test("a note without the headings, or with every heading filled in, has none empty", () => {
  assert.deepEqual(emptyHeadings("Fictional free-text note.\nRisk was discussed: none.", HEADINGS), []);
  assert.deepEqual(emptyHeadings("Risk:\nNone known.\nPlan:\nVisit next week.", HEADINGS), []);
});

test("headings match whatever the case and spacing, and a text line ending in a colon is not a heading", () => {
  assert.deepEqual(emptyHeadings("  risk :\n\nPlan:\nx", HEADINGS), ["risk"]);
  assert.deepEqual(emptyHeadings("Risk:\nThings to bring:\n", HEADINGS), [], "text under Risk, even if it ends in a colon");
});

// The note editor's autosave timing, with Node's mock clock: saved at most 1 s after the last
// keystroke, at least every 2 s while typing goes on, one save at a time, failures reported.
// Run: npm run test:unit (compiles src/lib/autosave.ts with esbuild first).
import { beforeEach, afterEach, mock, test } from "node:test";
import assert from "node:assert/strict";
import { Autosaver } from "../node_modules/.cache/casebook-unit/autosave.mjs";

let saves;
let states;
let failNext;
let saver;

beforeEach(() => {
  mock.timers.enable({ apis: ["setTimeout", "Date"] });
  saves = [];
  states = [];
  failNext = false;
  saver = new Autosaver(
    async () => {
      saves.push(Date.now());
      if (failNext) {
        failNext = false;
        throw "The disk is full.";
      }
    },
    (s) => states.push(s.kind === "failed" ? `failed: ${s.reason}` : s.kind),
  );
});

afterEach(() => {
  saver.dispose();
  mock.timers.reset();
});

/** Let promise callbacks run (the mocked clock does not do that by itself). */
const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

async function advance(ms) {
  for (let t = 0; t < ms; t += 50) {
    mock.timers.tick(50);
    await settle();
  }
}

test("saves within 1 s of the last keystroke", async () => {
  saver.changed();
  await advance(700);
  assert.equal(saves.length, 0, "not while the clinician may still be typing");
  await advance(300);
  assert.equal(saves.length, 1);
  assert.deepEqual(states, ["saving", "saved"]);
});

test("saves at least every 2 s while typing continuously, not more often", async () => {
  for (let i = 0; i < 50; i++) {
    saver.changed();
    await advance(100); // a keystroke every 100 ms for 5 s
  }
  // 5 s of typing: saves near 2 s and 4 s; never every keystroke.
  assert.ok(saves.length >= 2 && saves.length <= 3, `saved ${saves.length} times in 5 s of typing`);
  for (let i = 1; i < saves.length; i++) {
    assert.ok(saves[i] - saves[i - 1] >= 1900, `saves ${saves[i] - saves[i - 1]} ms apart while typing`);
  }
  await advance(1000);
  assert.ok(saves.length >= 3, "and once more after the typing stops");
});

test("a failed save is reported with its reason and tried again", async () => {
  failNext = true;
  saver.changed();
  await advance(1000);
  assert.deepEqual(states, ["saving", "failed: The disk is full."]);
  await advance(3500);
  assert.equal(states.at(-1), "saved");
});

test("flush saves what is on screen straight away", async () => {
  saver.changed();
  const ok = await saver.flush();
  assert.equal(ok, true);
  assert.equal(saves.length, 1);
  await advance(3000);
  assert.equal(saves.length, 1, "nothing left to save afterwards");
});

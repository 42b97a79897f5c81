// End-to-end: the real Casebook window, driven through tauri-driver + WebKitWebDriver.
// Run under a display, e.g.: xvfb-run -a dbus-run-session -- npm test   (see scripts/test.sh)
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir, homedir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { KEYS, Session } from "./webdriver.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const APP = path.resolve(process.env.CASEBOOK_APP ?? path.join(root, "target/debug/casebook-app"));
const DRIVER = process.env.TAURI_DRIVER ?? path.join(homedir(), ".cargo/bin/tauri-driver");
const PORT = Number(process.env.E2E_PORT ?? 4444);
const BASE = `http://127.0.0.1:${PORT}`;
const ARTIFACTS = path.join(here, "artifacts");

const USERNAME = "e2e.clinician";
const PASSPHRASE = "copper kettle meadow lantern";
const FAMILY = "Testfamily-E2E";
const NOTE = "Baby settled well in mum's arms during the visit. Mum says she is sleeping better. Keyword: lighthouse.";
const REASON = "Correction: the health visitor was also present";
const ADDENDUM = "Joint visit with the family's health visitor.";
const DRAFT = "Unsigned draft that must survive the app being killed.";

let scratch;
let driver;
let session;
let shot = 0;
let broken = false;

function isoDaysAgo(n) {
  const d = new Date();
  d.setDate(d.getDate() - n);
  const pad = (x) => String(x).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/**
 * Save what the screen shows. WebKitWebDriver's own screenshot often hangs under Xvfb (it waits for
 * a repaint that an idle page never makes), so capture the X display itself, which is exactly what
 * a clinician would see; fall back to WebDriver when there is no X display.
 */
async function screenshot(name) {
  shot += 1;
  const file = path.join(ARTIFACTS, `${String(shot).padStart(2, "0")}-${name}.png`);
  try {
    if (process.env.DISPLAY) {
      execFileSync("import", ["-window", "root", file], { timeout: 15_000, stdio: "ignore" });
    } else if (session) {
      writeFileSync(file, await session.screenshot());
    }
  } catch (e) {
    console.error(`(screenshot ${name} failed: ${e.message})`);
  }
}

/** Each step depends on the one before: once one fails, the rest are skipped, not piled on. */
function step(name, fn) {
  test(name, async (t) => {
    if (broken) return t.skip("an earlier step failed");
    try {
      await fn(t);
      await screenshot(name.replace(/[^a-z0-9]+/gi, "-").toLowerCase());
    } catch (e) {
      broken = true;
      await screenshot(`FAILED-${name.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}`);
      throw e;
    }
  });
}

/** Set an input's value the way typing would (date inputs and selects), so Svelte sees it. */
async function setValue(selector, value, event = "input") {
  const el = await session.waitForElement(selector);
  await session.execute(
    "const [el, v, ev] = arguments; el.value = v; el.dispatchEvent(new Event(ev, { bubbles: true }));",
    [Session.ref(el), value, event],
  );
}

async function type(selector, text) {
  const el = await session.waitForElement(selector);
  await el.clear();
  await el.type(text);
  return el;
}

async function button(label, within = "") {
  return session.waitForElement(`${within}//button[normalize-space()=${JSON.stringify(label)}]`);
}

async function newSession() {
  session = await Session.create(BASE, { "tauri:options": { application: APP } });
  await session.waitForText(/Welcome to Casebook|Casebook is locked|Your caseload/, 30_000);
}

/** Process ids below `pid` whose executable is the app. */
function appPids(pid) {
  const parents = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(Number(entry), ppid);
    } catch {
      /* gone */
    }
  }
  const below = (p) => {
    for (let cur = parents.get(p); cur; cur = parents.get(cur)) if (cur === pid) return true;
    return false;
  };
  return [...parents.keys()].filter((p) => {
    try {
      return below(p) && readlinkSync(`/proc/${p}/exe`).replace(/ \(deleted\)$/, "") === APP;
    } catch {
      return false;
    }
  });
}

let driverEnv;

/** Start tauri-driver (it starts WebKitWebDriver, which starts the app for each session). */
async function startDriver(extraEnv = {}) {
  driver = spawn(DRIVER, ["--port", String(PORT)], { env: { ...driverEnv, ...extraEnv }, stdio: ["ignore", "inherit", "inherit"] });
  const until = Date.now() + 15_000;
  for (;;) {
    try {
      await fetch(`${BASE}/status`);
      return;
    } catch {
      if (Date.now() > until) throw new Error(`tauri-driver did not start on port ${PORT}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** End the session, the app and the driver (only the processes this test started). */
async function stopDriver() {
  try {
    await session?.delete();
  } catch {
    /* the window may already be gone */
  }
  session = undefined;
  if (driver && driver.exitCode === null) {
    for (const pid of appPids(driver.pid)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
    const exited = new Promise((r) => driver.once("exit", r));
    driver.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  }
}

/** Pull the plug: SIGKILL the app (no chance to save anything), then start it again and unlock. */
async function killAppAndUnlock() {
  const pids = appPids(driver.pid);
  assert.ok(pids.length > 0, "found the app's process");
  for (const pid of pids) process.kill(pid, "SIGKILL");
  try {
    await session.delete();
  } catch {
    /* the window is gone */
  }
  await newSession();
  await session.waitForText("Casebook is locked");
  await type("#unlock-passphrase", PASSPHRASE + KEYS.ENTER);
  await session.waitForText("Your caseload", 30_000);
}

before(async () => {
  assert.ok(existsSync(APP), `The app is not built at ${APP}: run scripts/test.sh (tauri build --debug --no-bundle).`);
  assert.ok(existsSync(DRIVER), `tauri-driver is not installed at ${DRIVER}: run scripts/setup.sh.`);
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  scratch = mkdtempSync(path.join(tmpdir(), "casebook-e2e-"));
  const home = path.join(scratch, "home");
  mkdirSync(home);
  driverEnv = {
    ...process.env,
    CASEBOOK_DATA_DIR: path.join(scratch, "data"),
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, ".config"),
    XDG_DATA_HOME: path.join(home, ".local/share"),
    XDG_CACHE_HOME: path.join(home, ".cache"),
    // tauri-driver prints a backtrace for every dropped connection (the app killed on purpose).
    RUST_BACKTRACE: "0",
  };
  await startDriver();
  await newSession();
});

after(async () => {
  await stopDriver();
  if (scratch && !process.env.E2E_KEEP_DATA) rmSync(scratch, { recursive: true, force: true });
});

step("first run: choose a username and a passphrase, with strength feedback", async () => {
  await session.waitForText("Welcome to Casebook", 30_000);
  // Settings can be reached before there is a store (to choose the data folder).
  await (await button("Settings: data folder, locking, appearance")).click();
  await session.waitForText("Folder for your notes");
  await (await button("Back")).click();
  await session.waitForText("Welcome to Casebook");
  await type("#username", USERNAME);
  await type("#passphrase", "short");
  await session.waitForText("Use at least 10 characters");
  await screenshot("weak-passphrase");
  await type("#passphrase", PASSPHRASE);
  await session.waitForText(/Strong passphrase\.|Good\. A fourth/);
  await type("#confirm", "copper kettle");
  await session.waitForText("The two passphrases are not the same yet.");
  await type("#confirm", PASSPHRASE);
  await screenshot("strong-passphrase");
  await (await button("Set up Casebook")).click();
  await session.waitForText("Your caseload", 30_000);
  await session.waitForText(`Signed in as ${USERNAME}`);
  await session.waitForText("No cases yet");
});

step("the window runs locked down: strict CSP and only the granted commands", async () => {
  const evalBlocked = await session.execute("try { eval('1'); return false; } catch (e) { return true; }");
  assert.equal(evalBlocked, true, "eval is refused by the CSP");
  const inlineStyle = await session.execute(`
    const d = document.createElement('div');
    d.setAttribute('style', 'width: 123px');
    document.body.appendChild(d);
    const w = d.getBoundingClientRect().width;
    d.remove();
    return w;`);
  console.log(`  (inline style width: ${inlineStyle})`);
  assert.notEqual(inlineStyle, 123, "inline style attributes are refused by the CSP");
  const refused = await session.executeAsync(`
    const done = arguments[arguments.length - 1];
    window.__TAURI_INTERNALS__.invoke('plugin:store|clear', { rid: 0 })
      .then(() => done('allowed'), (e) => done(String(e)));`);
  console.log(`  (store-plugin clear answered: ${refused})`);
  assert.match(refused, /not allowed/i, "a store-plugin call the UI does not use is refused");
});

step("open a new case", async () => {
  await (await button("Open a new case")).click();
  await session.waitForText("Family name");
  await type("#nc-family", FAMILY);
  await type("#nc-parent", "Alex Example");
  // Relative to today: a case takes due dates up to 40 weeks ahead and 4 weeks gone.
  const due = isoDaysAhead(88);
  await setValue("#nc-due", due);
  await screenshot("new-case-form");
  await (await button("Open case")).click();
  await session.waitFor("the case view", async () => (await (await session.find("h1")).text()) === FAMILY);
  const text = await session.bodyText();
  assert.match(text, /Alex Example/);
  assert.ok(text.includes(shortDate(due)), `the due date ${shortDate(due)} is shown`);
  assert.match(text, new RegExp(`Case opened by ${USERNAME.replace(".", "\\.")}`));
});

step("record a contact (Esc closes the dialog)", async () => {
  await (await button("Record a contact")).click();
  const date = await session.waitForElement("#ct-date");
  await date.type(KEYS.ESCAPE);
  await session.waitFor("the dialog to close on Esc", async () => !(await session.execute("return !!document.querySelector('dialog[open]');")));
  await (await button("Record a contact")).click();
  await setValue("#ct-date", isoDaysAgo(3));
  await setValue("#ct-location", "Family home");
  // Enter in a field submits the form.
  await (await session.waitForElement("#ct-location")).type(KEYS.ENTER);
  await session.waitForText("Home visit — Attended, Family home");
});

step("write a note and see it saved as you type", async () => {
  await (await button("Write a note")).click();
  const contactId = await session.execute("return document.querySelector('#note-contact option:nth-child(2)').value;");
  await setValue("#note-contact", contactId, "change");
  const editor = await session.waitForElement("#note-text");
  await editor.type(NOTE);
  await session.waitFor("the editor to say Saved", async () => /^Saved at \d\d:\d\d$/.test(await (await session.find("[data-testid=save-status]")).text()), 10_000);
});

step("sign the note after confirming", async () => {
  await (await button("Sign note…")).click();
  await session.waitForText("Once signed, this note cannot be changed");
  await screenshot("sign-confirm");
  await (await button("Sign note", "//dialog")).click();
  await session.waitForText("Note signed.");
  const text = await session.bodyText();
  assert.ok(text.includes(NOTE), "the signed note's text is in the chronology");
  assert.match(text, new RegExp(`Signed by ${USERNAME.replace(".", "\\.")}`));
  assert.match(text, /Late entry: written \d+ \w+ about \d+ \w+/);
  assert.doesNotMatch(text, /Your unsigned drafts/);
});

step("add an addendum with a reason, shown under the note", async () => {
  await (await button("Add addendum")).click();
  await type("#" + (await session.execute("return document.querySelector('.addendum-form input').id;")), REASON);
  const area = await session.find("//form[contains(@class,'addendum-form')]//textarea");
  await area.type(ADDENDUM);
  await (await button("Add addendum", "//form[contains(@class,'addendum-form')]")).click();
  await session.waitForText(`Reason: ${REASON}`);
  const text = await session.bodyText();
  assert.ok(text.includes(ADDENDUM));
  assert.ok(text.indexOf(NOTE) < text.indexOf(REASON), "the addendum is under its note");
  assert.ok(text.indexOf(REASON) < text.indexOf("Home visit — Attended"), "the addendum is inside the note's entry, before older entries");
});

step("readable at 125% zoom: nothing runs off the side of the window", async () => {
  // Page zoom at 125% is text 1.25 times larger in a window 1/1.25 as wide: do exactly that.
  const rect = await session.cmd("GET", "/window/rect");
  await session.cmd("POST", "/window/rect", { width: Math.round(rect.width / 1.25), height: Math.round(rect.height / 1.25) });
  await session.execute("document.documentElement.style.fontSize = '125%';");
  try {
    await session.waitFor("the narrower window", async () => (await session.execute("return window.innerWidth;")) < rect.width);
    await new Promise((r) => setTimeout(r, 300));
    await screenshot("case-at-125-percent");
    const overflow = await session.execute(
      "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
    );
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than the window at 125%`);
  } finally {
    await session.execute("document.documentElement.style.fontSize = '';");
    await session.cmd("POST", "/window/rect", { width: rect.width, height: rect.height });
  }
});

step("lock, then unlock with a wrong and then the right passphrase", async () => {
  await (await button("Lock")).click();
  await session.waitForText("Casebook is locked");
  assert.doesNotMatch(await session.bodyText(), /Testfamily-E2E/);
  const input = await session.waitForElement("#unlock-passphrase");
  await input.type("not my passphrase at all" + KEYS.ENTER);
  await session.waitForText("That passphrase is not right", 30_000);
  await screenshot("wrong-passphrase");
  await type("#unlock-passphrase", PASSPHRASE + KEYS.ENTER);
  await session.waitForText("Your caseload", 30_000);
  await session.waitForText(FAMILY);
});

step("search finds the note", async () => {
  await type("#case-search", "lighthouse");
  await session.waitForText("In a note:");
  const text = await session.bodyText();
  assert.ok(text.includes(FAMILY));
  await screenshot("search-hit");
  await type("#case-search", "zebra");
  await session.waitForText("No family or note matches");
  await setValue("#case-search", "");
  await session.waitForText(FAMILY);
});

step("a draft survives the app being killed", async () => {
  await (await button(FAMILY)).click();
  await (await button("Write a note")).click();
  await (await session.waitForElement("#note-text")).type(DRAFT);
  await new Promise((r) => setTimeout(r, 2500));
  await screenshot("draft-before-kill");
  await killAppAndUnlock();
  await (await button(FAMILY)).click();
  await session.waitForText("Your unsigned drafts");
  assert.ok((await session.bodyText()).includes(DRAFT.slice(0, 60)));
  await (await button("Continue writing")).click();
  const value = await (await session.waitForElement("#note-text")).property("value");
  assert.equal(value, DRAFT);
});

step("settings: dark theme is kept as a preference, outside the records", async () => {
  await (await button("Settings")).click();
  await session.waitForText("Lock Casebook after this many minutes without use");
  const minutes = await (await session.waitForElement("#set-lock")).property("value");
  assert.equal(minutes, "5", "auto-lock defaults to 5 minutes");
  await (await session.find("//label[normalize-space()='Dark']/input")).click();
  await (await button("Save settings")).click();
  await session.waitForText("Settings saved.");
  assert.equal(await session.execute("return document.documentElement.dataset.theme;"), "dark");
  const prefsFile = path.join(driverEnv.XDG_DATA_HOME, "org.casebook.desktop", "settings.json");
  const prefs = JSON.parse(readFileSync(prefsFile, "utf8"));
  assert.equal(prefs.theme, "dark");
  assert.doesNotMatch(JSON.stringify(prefs), /Testfamily|lighthouse|survive/, "no patient data in preferences");
  await (await button("Caseload")).click();
  await session.waitForText(FAMILY);
});

step("auto-lock: the app locks itself when left idle", async () => {
  // A fresh app whose idle limit is 3 seconds instead of minutes.
  await stopDriver();
  await startDriver({ CASEBOOK_AUTO_LOCK_SECONDS: "3" });
  await newSession();
  await session.waitForText("Casebook is locked");
  assert.equal(await session.execute("return document.documentElement.dataset.theme;"), "dark", "theme preference kept across restarts");
  await type("#unlock-passphrase", PASSPHRASE + KEYS.ENTER);
  await session.waitForText("Your caseload", 30_000);
  await session.waitForText("Casebook locked itself after a time without use", 15_000);
  assert.doesNotMatch(await session.bodyText(), /Testfamily-E2E/, "nothing of the caseload stays on screen");
});

// ---- Cold start, measured on the machine that runs this suite -------------------------------

step("cold start: time to the unlock screen, and from Unlock to the caseload", async () => {
  await stopDriver();
  await startDriver();
  const t0 = performance.now();
  session = await Session.create(BASE, { "tauri:options": { application: APP } });
  await session.waitForText("Casebook is locked", 30_000);
  await session.executeAsync("const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done()));");
  const toUnlock = performance.now() - t0;
  await type("#unlock-passphrase", PASSPHRASE);
  const t1 = performance.now();
  await (await button("Unlock")).click();
  await session.waitForText("Your caseload", 30_000);
  await session.executeAsync("const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done()));");
  const toCaseload = performance.now() - t1;
  const line = `Cold start: session created → unlock screen painted ${Math.round(toUnlock)} ms; Unlock clicked → caseload painted ${Math.round(toCaseload)} ms`;
  console.log(`  (${line})`);
  writeFileSync(path.join(ARTIFACTS, "cold-start.txt"), line + "\n");
});

// ---- Sync with a real central store ---------------------------------------------------------

const SERVER_BIN = path.join(root, "target/debug/casebook-server");
const SERVER_PORT = Number(process.env.E2E_SERVER_PORT ?? PORT + 40000);
const SERVER_URL = `http://127.0.0.1:${SERVER_PORT}`;
const DEMO_PASSWORD = "demo-password-not-for-real-use";
const SYNC_FAMILY = "Syncfamily-E2E";
const CLI_BIN = path.join(root, "target/debug/casebook");
const UNSENT_NOTE = "A second visit note, signed but not yet sent.";
const SYNC_NOTE = "Visit at the family hub. Keyword: harbour. Written on the clinician's laptop.";
let server;

after(() => {
  if (server && server.exitCode === null) server.kill("SIGTERM");
});

/** A fresh app with its own data folder and home, as if on another laptop. */
async function laptop(name, extraEnv = {}) {
  await stopDriver();
  const home = path.join(scratch, name, "home");
  mkdirSync(home, { recursive: true });
  await startDriver({
    CASEBOOK_DATA_DIR: path.join(scratch, name, "data"),
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, ".config"),
    XDG_DATA_HOME: path.join(home, ".local/share"),
    XDG_CACHE_HOME: path.join(home, ".cache"),
    CASEBOOK_DEFAULT_SERVER: SERVER_URL,
    ...extraEnv,
  });
  await newSession();
}

async function firstRun(username) {
  await session.waitForText("Welcome to Casebook", 30_000);
  await type("#username", username);
  await type("#passphrase", PASSPHRASE);
  await type("#confirm", PASSPHRASE);
  await (await button("Set up Casebook")).click();
  await session.waitForText("Your caseload", 30_000);
}

async function signInToCentral(username) {
  await (await button("Settings")).click();
  await session.waitForText("Team central store");
  const field = await session.waitForElement("#central-url");
  await session.waitFor("the address to be pre-filled", async () => (await field.property("value")) === SERVER_URL);
  await type("#central-user", username);
  await type("#central-password", DEMO_PASSWORD);
  await (await button("Sign in")).click();
  await session.waitForText(`Signed in to the central store as ${username}`, 30_000);
  await session.waitForText(`as ${username}.`);
  await indicator(/^Up to date at \d\d:\d\d$/);
}

async function indicator(re, timeout = 30_000) {
  let last = "";
  try {
    await session.waitFor(`the sync indicator to match ${re}`, async () => {
      last = await session.execute("return document.querySelector('[data-testid=sync-indicator]')?.textContent ?? '(none)';");
      return re.test(last);
    }, timeout);
  } catch (e) {
    const result = await session.execute("return document.querySelector('[data-testid=sync-result]')?.textContent ?? '';");
    throw new Error(`${e.message}; the indicator said "${last}"; sync result: "${result}"`);
  }
}

step("sync: a real central store with the demo team", async () => {
  const data = path.join(scratch, "central");
  execFileSync(SERVER_BIN, ["--data", data, "init"], { stdio: "ignore" });
  const demo = execFileSync(SERVER_BIN, ["--data", data, "demo"], { encoding: "utf8" });
  assert.match(demo, new RegExp(DEMO_PASSWORD));
  server = spawn(SERVER_BIN, ["serve", "--data", data, "--listen", `127.0.0.1:${SERVER_PORT}`], { stdio: "ignore" });
  const until = Date.now() + 15_000;
  for (;;) {
    try {
      await fetch(SERVER_URL);
      break;
    } catch {
      if (Date.now() > until) throw new Error("the central store did not start");
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  await laptop("clinician");
  await firstRun("demo.clinician");
  await indicator(/^Not connected to the team's central store$/);
});

step("sync: sign in as demo.clinician, sign a note, Send and receive now sends it", async () => {
  await signInToCentral("demo.clinician");
  await (await button("Caseload")).click();
  await (await button("Open a new case")).click();
  await type("#nc-family", SYNC_FAMILY);
  await type("#nc-parent", "Sam Example");
  await setValue("#nc-due", isoDaysAhead(149));
  await (await button("Open case")).click();
  await session.waitFor("the case view", async () => (await (await session.find("h1")).text()) === SYNC_FAMILY);
  await (await button("Write a note")).click();
  await (await session.waitForElement("#note-text")).type(SYNC_NOTE);
  await session.waitFor("the editor to say Saved", async () => /^Saved at/.test(await (await session.find("[data-testid=save-status]")).text()), 10_000);
  await (await button("Sign note…")).click();
  await (await button("Sign note", "//dialog")).click();
  await session.waitForText("Note signed.");
  await indicator(/changes? waiting to be sent$/);
  await screenshot("sync-waiting");
  await (await button("Send and receive now")).click();
  await session.waitForText("1 note sent", 30_000);
  await indicator(/^Up to date at \d\d:\d\d$/);
});

step("sync: a second laptop signed in as demo.lead receives the note", async () => {
  await laptop("lead");
  await firstRun("demo.lead");
  await signInToCentral("demo.lead");
  await (await button("Send and receive now")).click();
  await indicator(/^Up to date at \d\d:\d\d$/);
  await (await button("Caseload")).click();
  await (await button(SYNC_FAMILY)).click();
  await session.waitForText(SYNC_NOTE);
  assert.match(await session.bodyText(), /Signed by demo\.clinician/);
  assert.equal(await (await session.find("[data-testid=allocated-to]")).text(), "demo.clinician", "the central store's allocation, shown offline");
});

async function unlockLaptop(name, extraEnv = {}) {
  await laptop(name, extraEnv);
  await session.waitForText("Casebook is locked");
  await type("#unlock-passphrase", PASSPHRASE + KEYS.ENTER);
  await session.waitForText("Your caseload", 30_000);
}

async function changePhone(phone) {
  await (await button("Edit details")).click();
  await type("#detail-input-phone", phone);
  await (await button("Save details")).click();
  await session.waitForText("Details saved.");
  await session.waitForText(phone);
}

step("sync: the phone changed on both laptops shows as Details to review, and is settled", async () => {
  // The lead changes the phone and sends it; the clinician, not having seen it, changes it too.
  await changePhone("07700 900111");
  await (await button("Send and receive now")).click();
  await indicator(/^Up to date at \d\d:\d\d$/);
  await unlockLaptop("clinician");
  await (await button(SYNC_FAMILY)).click();
  await changePhone("07700 900222");
  await (await button("Send and receive now")).click();
  await session.waitForText("1 to review", 30_000);
  await (await button("Caseload")).click();
  await session.waitForText("Details to review");
  await (await button(SYNC_FAMILY)).click();
  await session.waitForText("Details to review");
  const text = await session.bodyText();
  assert.match(text, /07700 900111/);
  assert.match(text, /07700 900222/);
  assert.match(text, /Written by demo\.lead/);
  assert.match(text, /Written by demo\.clinician/);
  await screenshot("details-to-review");
  await (await session.waitForElement("//div[contains(@class,'candidate')][p[normalize-space()='07700 900111']]//button[normalize-space()='Keep this one']")).click();
  await session.waitForText("Phone settled.");
  await session.waitFor("the review panel to go", async () => !(await session.bodyText()).includes("Details to review"));
  assert.equal(await (await session.find("[data-testid=detail-phone]")).text(), "07700 900111");
  assert.match(await session.bodyText(), /Phone changed\s+By demo\.clinician/, "the change is in the chronology");
});

const BABY = "Fictional Baby-E2E";

/** Opens the family member's "Change" form, names them `name`, saves and sends. */
async function renameBaby(from, to) {
  await (await session.waitForElement(`//dd[contains(., ${JSON.stringify(from)})]//button[normalize-space()='Change']`)).click();
  await type("#pf-name", to);
  await (await button("Save", "//dialog")).click();
  await session.waitForText(`${to}'s details updated.`);
}

step("sync: a family member changed on both laptops shows both versions, and saving settles it", async () => {
  // The clinician adds the baby and sends it; the lead receives it.
  await (await button("Add a family member")).click();
  await choose("input[name=pf-role][value=infant]");
  await type("#pf-name", BABY);
  await (await button("Save", "//dialog")).click();
  await session.waitForText(`${BABY} added to the family.`);
  await (await button("Send and receive now")).click();
  await indicator(/^Up to date at \d\d:\d\d$/);
  await unlockLaptop("lead");
  await (await button("Send and receive now")).click();
  await indicator(/^Up to date at \d\d:\d\d$/);
  await (await button(SYNC_FAMILY)).click();
  // Each changes the baby's name without having seen the other's change.
  await renameBaby(BABY, `${BABY} Lead`);
  await (await button("Send and receive now")).click();
  await indicator(/^Up to date at \d\d:\d\d$/);
  await unlockLaptop("clinician");
  await (await button(SYNC_FAMILY)).click();
  await renameBaby(BABY, `${BABY} Clinician`);
  await (await button("Send and receive now")).click();
  await session.waitForText("(two versions to review)", 30_000);
  await (await session.waitForElement("//dd[.//button[normalize-space()='Change']][contains(., 'Fictional Baby-E2E')]//button[normalize-space()='Change']")).click();
  const versions = await (await session.waitForElement("[data-testid=person-versions]")).text();
  assert.match(versions, /Name\s*Fictional Baby-E2E (Lead|Clinician)\s*Fictional Baby-E2E (Lead|Clinician)/);
  assert.match(versions, /demo\.lead/);
  assert.match(versions, /demo\.clinician/);
  await screenshot("person-versions");
  await (await button("Start from demo.lead's", "//dialog")).click();
  assert.equal(await (await session.find("#pf-name")).property("value"), `${BABY} Lead`);
  await (await button("Save", "//dialog")).click();
  await session.waitForText(`${BABY} Lead's details updated.`);
  await session.waitFor("the conflict to be settled", async () => !(await session.bodyText()).includes("(two versions to review)"));
});

step("sync: Lock warns about signed notes not yet sent (Cancel, then Lock anyway)", async () => {
  await (await button("Write a note")).click();
  await (await session.waitForElement("#note-text")).type(UNSENT_NOTE);
  await session.waitFor("the editor to say Saved", async () => /^Saved at/.test(await (await session.find("[data-testid=save-status]")).text()), 10_000);
  await (await button("Sign note…")).click();
  await (await button("Sign note", "//dialog")).click();
  await session.waitForText("Note signed.");
  await (await button("Lock")).click();
  await session.waitForText("1 signed note has not been sent to the central store yet. They are safe on this laptop and will be sent next time it connects.");
  await screenshot("lock-warning");
  await (await button("Cancel", "//dialog")).click();
  await session.waitFor("the dialog to close", async () => !(await session.execute("return !!document.querySelector('dialog[open]');")));
  assert.match(await session.bodyText(), new RegExp(SYNC_FAMILY));
  await (await button("Lock")).click();
  await (await button("Lock anyway", "//dialog")).click();
  await session.waitForText("Casebook is locked");
});

/** The `casebook` command on one of the E2E laptops' data folders (the app must not be running). */
function cli(name, args) {
  const out = execFileSync(CLI_BIN, ["--data", path.join(scratch, name, "data"), ...args, "--json"], {
    encoding: "utf8",
    env: { ...process.env, CASEBOOK_PASSPHRASE: PASSPHRASE },
  });
  return JSON.parse(out);
}

/** Press the window's close button (WM_DELETE_WINDOW; there is no window manager under Xvfb). */
function pressCloseButton() {
  execFileSync("/usr/bin/python3", [path.join(here, "close-window.py"), "Casebook"]);
}

step("sync: closing the window warns about signed notes not yet sent (Cancel, then Close anyway)", async () => {
  await unlockLaptop("clinician");
  pressCloseButton();
  await session.waitForText("Close Casebook?");
  await session.waitForText("1 signed note has not been sent to the central store yet.");
  await screenshot("close-warning");
  await (await button("Cancel", "//dialog")).click();
  await session.waitFor("the dialog to close", async () => !(await session.execute("return !!document.querySelector('dialog[open]');")));
  assert.match(await session.bodyText(), /Your caseload/, "Cancel keeps Casebook open");
  pressCloseButton();
  const closeAnyway = await button("Close anyway", "//dialog");
  // The click closes the app, so WebDriver may not hear back from it.
  await closeAnyway.click().catch(() => {});
  await session.waitFor("the app to exit", async () => appPids(driver.pid).length === 0, 15_000);
  await stopDriver();
  // Closed, not lost: the note is still on this laptop, waiting to be sent.
  const status = cli("clinician", ["status"]);
  assert.equal(status.unsent_notes, 1, JSON.stringify(status));
});

step("sync: an automatic sync brings a colleague's note onto the open case without disturbing a note being written", async () => {
  await unlockLaptop("lead", { CASEBOOK_SYNC_SECONDS: "3" });
  await (await button(SYNC_FAMILY)).click();
  await session.waitFor("the case view", async () => (await (await session.find("h1")).text()) === SYNC_FAMILY);
  assert.doesNotMatch(await session.bodyText(), new RegExp(UNSENT_NOTE));
  await (await button("Write a note")).click();
  const typing = "The lead's own note, half written while the sync runs";
  await (await session.waitForElement("#note-text")).type(typing);
  // The clinician's laptop connects (here through the casebook command) and sends its note.
  const sent = cli("clinician", ["sync"]);
  assert.equal(sent.notes_sent, 1, JSON.stringify(sent));
  await session.waitForText(UNSENT_NOTE, 30_000);
  await session.waitForText("0 notes sent, 1 received", 10_000);
  assert.equal(await (await session.find("#note-text")).property("value"), typing, "the note being written is untouched");
  await screenshot("auto-sync-arrived");
  // A summary with nothing to act on goes away by itself.
  await session.waitFor("the sync summary to go", async () => !(await session.execute("return !!document.querySelector('[data-testid=sync-result]');")), 20_000);
  await indicator(/^Up to date at \d\d:\d\d$/);
});

const LATE_NOTE = "Written on the laptop after the lead took the case away, before the laptop had heard.";
const AFTER_NOTE = "Written on the laptop after it had heard the case was taken away.";

/** `casebook-server` on the E2E's central store (it keeps serving: SQLite lets both in). */
function centralCli(args) {
  return execFileSync(SERVER_BIN, ["--data", path.join(scratch, "central"), ...args], { encoding: "utf8" });
}

/** Scrolls the element into view and takes a screenshot in the current theme. */
async function chooseTheme(label) {
  await (await button("Settings")).click();
  await (await session.waitForElement(`//label[normalize-space()=${JSON.stringify(label)}]/input`)).click();
  await (await button("Save settings")).click();
  await session.waitForText("Settings saved.");
}

async function screenshotOf(selector, name) {
  await session.waitForElement(selector);
  await session.execute(`document.querySelector(${JSON.stringify(selector)}).scrollIntoView({ block: "center" });`);
  await screenshot(name);
}

step("sync: a note written after the case was taken away reaches the lead flagged; one written after the laptop knew is kept, set aside", async () => {
  // Three cases on the clinician's laptop, so that losing all of them waits for the clinician to
  // confirm (and the case stays on the laptop for what follows).
  for (const family of ["Extrafamily-One-E2E", "Extrafamily-Two-E2E"]) cli("clinician", ["case", "new", "--family-name", family]);
  cli("clinician", ["sync"]);
  const cases = cli("clinician", ["case", "list"]);
  assert.equal(cases.length, 3, JSON.stringify(cases));
  for (const c of cases) centralCli(["deallocate", "--case", c.case_id, "--user", "demo.clinician"]);
  const syncCase = cases.find((c) => c.family_name === SYNC_FAMILY).case_id;

  // Before the laptop has heard: kept, and flagged for the lead.
  cli("clinician", ["note", "sign", "--case", syncCase, "--text", LATE_NOTE]);
  const first = cli("clinician", ["sync"]);
  assert.deepEqual([first.notes_sent, first.set_aside, first.removals_awaiting_confirmation], [1, 0, 3], JSON.stringify(first));
  await session.waitForText(LATE_NOTE, 30_000);
  await session.waitForText("For the team lead: Written by demo.clinician after the case stopped being allocated to them, before their laptop had heard.");
  await screenshotOf(".flag", "late-entry-flagged-for-the-lead-dark");

  // After it has heard: not added to the team's record, kept on the laptop with the reason.
  cli("clinician", ["note", "sign", "--case", syncCase, "--text", AFTER_NOTE]);
  const second = cli("clinician", ["sync"]);
  assert.deepEqual([second.notes_sent, second.set_aside], [0, 1], JSON.stringify(second));
  assert.equal(cli("clinician", ["status"]).set_aside, 1);
  await unlockLaptop("clinician");
  await (await button(SYNC_FAMILY)).click();
  await session.waitForText("Not added to the team's record");
  await session.waitForText(AFTER_NOTE);
  await session.waitForText("This case is no longer allocated to you and this laptop had already been told");
  assert.ok(await button("Send again"), "the clinician can send it again once the reason is put right");
  await screenshotOf("#set-aside-title", "set-aside-light");
  await chooseTheme("Dark");
  await (await button("Caseload")).click();
  await (await button(SYNC_FAMILY)).click();
  await session.waitForText("Not added to the team's record");
  await screenshotOf("#set-aside-title", "set-aside-dark");
});

// ---------------------------------------------------------------------------------------------
// The whole case record: referral intake to discharge, on the lead's laptop.

const REFERRAL_FAMILY = "Referralfamily-E2E";
const EXPORTS = () => path.join(scratch, "exports");

function isoDaysAhead(n) {
  return isoDaysAgo(-n);
}

/** "1 Mar 2027", as the window shows a date. */
function shortDate(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  return `${d} ${["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][m - 1]} ${y}`;
}

/** Chooses a radio button by its input selector (WebKit needs a real click on the label). */
async function choose(selector) {
  await (await session.waitForElement(selector)).click();
}

step("record: intake a referral and see eligibility and the first-contact deadline as it is typed", async () => {
  mkdirSync(EXPORTS(), { recursive: true });
  await unlockLaptop("lead", { CASEBOOK_SAVE_TO: EXPORTS() });
  await (await button("New referral")).click();
  await session.waitForText("Reasons for referral");
  await setValue("#rf-service", "wigan-babs", "change");
  // The Thursday before Easter 2026: Good Friday and Easter Monday are not working days.
  await setValue("#rf-received", "2026-04-02");
  await choose("input[name=rf-consent][value=yes]");
  await type("#rf-ref-name", "Fictional Midwife");
  await type("#rf-ref-org", "Example Maternity Unit");
  await choose("//label[contains(normalize-space(), 'Lack of bonding antenatally or after birth')]/input");
  await type("#rf-family", REFERRAL_FAMILY);
  await type("#rf-parent", "Alex Example");
  await setValue("#rf-due", isoDaysAhead(60));
  await choose("input[name=rf-residence][value=yes]");
  await session.waitForText(/First contact due by Monday,? 13 April 2026/, 15_000);
  // The check runs again as each answer is given: the deadline shows before the last answer
  // (lives in the area) has been checked, so wait for the verdict itself.
  let verdict = "";
  await session
    .waitFor("the verdict Eligible", async () => /^Eligibility and first contact\s+Eligible/.test((verdict = await (await session.find("[data-testid=referral-check]")).text())))
    .catch(() => assert.fail(verdict));
  await screenshot("referral-intake");
  await (await button("Save referral")).click();
  await session.waitFor("the case view", async () => (await (await session.find("h1")).text()) === REFERRAL_FAMILY, 15_000);
  assert.equal(await (await session.find("[data-testid=referral-status]")).text(), "Received");
  assert.match(await (await session.find("[data-testid=first-contact]")).text(), /Overdue: was due 13 Apr 2026/);
  // What was taken at intake stays readable on the case.
  await (await session.find("[data-testid=referral-details] summary")).click();
  const intake = await (await session.find("[data-testid=referral-details]")).text();
  assert.match(intake, /Fictional Midwife, Midwife, Example Maternity Unit/);
  assert.match(intake, /Lack of bonding antenatally or after birth/);
  assert.match(await (await session.find("[data-testid=referral-eligibility]")).text(), /^Eligible/);
});

/** Opens the Inbox from the main navigation (its label carries a count when it is not empty). */
async function openInbox() {
  await (await session.waitForElement("[data-testid=nav-inbox]")).click();
  await session.waitForText("referrals waiting for triage");
}

/** What the Inbox's place in the navigation says, count included ("Inbox 2 waiting"). */
async function inboxNav() {
  return session.execute("return document.querySelector('[data-testid=nav-inbox]').textContent.replace(/\\s+/g, ' ').trim();");
}

/** The inbox row of a family, by its XPath. */
const inboxRow = (family) => `//li[@data-testid='inbox-entry'][.//button[normalize-space()=${JSON.stringify(family)}]]`;

step("record: the referral waits in the lead's Inbox, and the lead triages it, accepting it for themselves", async () => {
  // Logged on a laptop signed in to the team, the referral waits in the team's inbox, not in a caseload.
  await (await button("Caseload")).click();
  await session.waitForText("Your caseload");
  assert.equal((await session.findAll(`//button[normalize-space()=${JSON.stringify(REFERRAL_FAMILY)}]`)).length, 0, "not in the caseload while it waits");
  await openInbox();
  const row = await (await session.waitForElement(inboxRow(REFERRAL_FAMILY))).text();
  assert.match(row, /Overdue: was due 13 Apr 2026/);
  assert.match(row, /Referred by Fictional Midwife, Midwife, Example Maternity Unit/);
  assert.match(row, /Logged by\s*demo\.lead/);
  await (await session.waitForElement(`${inboxRow(REFERRAL_FAMILY)}//button[normalize-space()='Triage…']`)).click();
  await session.waitForText(`Triage: ${REFERRAL_FAMILY}`);
  await choose("input[name=tr-decision][value=accept]");
  await choose("input[name=tr-allocate][value='demo.lead']");
  await (await button("Save decision", "//dialog")).click();
  await session.waitForText(`Triage saved: ${REFERRAL_FAMILY} accepted and allocated to demo.lead.`);
  assert.equal((await session.findAll(inboxRow(REFERRAL_FAMILY))).length, 0, "it has left the inbox");
  await (await button("Caseload")).click();
  await (await button(REFERRAL_FAMILY)).click();
  await session.waitFor("the case view", async () => (await (await session.find("h1")).text()) === REFERRAL_FAMILY);
  assert.equal(await (await session.find("[data-testid=referral-status]")).text(), "Accepted");
  assert.match(await (await session.find("[data-testid=triage-state]")).text(), /^Accepted and allocated to demo\.lead, .* by demo\.lead$/);
  assert.match(await session.bodyText(), /Triage by demo\.lead: accepted and allocated\s+Allocated to demo\.lead/);
});

step("record: record a home visit with a session record", async () => {
  await (await button("Record a contact")).click();
  await setValue("#ct-type", "home_visit", "change");
  await setValue("#ct-outcome", "attended", "change");
  await type("#ct-duration", "60");
  await type("#ct-attendees", "Parent, baby");
  await (await button("Record contact", "//dialog")).click();
  await session.waitFor("the dialog to close", async () => !(await session.execute("return !!document.querySelector('dialog[open]');")));
  await (await button("Write a note")).click();
  await (await button("Use the session record headings")).click();
  const editor = await session.waitForElement("#note-text");
  assert.match(await editor.property("value"), /^Observation of parent–infant interaction:/);
  await editor.type("Fictional: baby settled on the parent's lap.");
  await session.waitFor("the editor to say Saved", async () => /^Saved at/.test(await (await session.find("[data-testid=save-status]")).text()), 10_000);
  await (await button("Sign note…")).click();
  // Signing cannot be undone: the dialog opens on its question, names the empty headings, and
  // Enter (twice, from wherever the focus is, even on the Sign button) signs nothing.
  const empty = await (await session.waitForElement("[data-testid=empty-headings]")).text();
  // The text was typed at the end of the note, under Plan; the headings above it are empty.
  assert.match(empty, /Nothing is written under these headings: Observation of parent–infant interaction, What was discussed, Risk\./, empty);
  await session.waitFor("the focus on the dialog's question", async () => session.execute("return document.activeElement?.dataset.testid === 'sign-question';"));
  await screenshot("sign-empty-headings");
  await session.pressKeys(KEYS.ENTER, KEYS.ENTER);
  await session.execute("document.querySelector('[data-testid=sign-confirm]').focus();");
  await session.pressKeys(KEYS.ENTER, KEYS.ENTER);
  await new Promise((r) => setTimeout(r, 1000));
  assert.ok(await session.execute("return !!document.querySelector('dialog[open]');"), "the dialog is still asking");
  assert.doesNotMatch(await session.bodyText(), /Note signed\./);
  assert.match(await session.bodyText(), /Your unsigned drafts|Continue your note|Write a note/);
  await (await button("Sign with empty headings", "//dialog")).click();
  await session.waitForText("Note signed.");
  assert.match(await session.bodyText(), /Home visit — Attended/);
});

/** Ticks, on each EPDS item, the box the parent ticked: 0 = the first box printed. */
async function scoreEpds(items, timePoint, beforeTheRest = async () => {}) {
  await (await button("Score a measure")).click();
  await session.waitForText("Score a measure");
  await setValue("#ms-kind", "epds", "change");
  await setValue("#ms-point", timePoint, "change");
  await session.waitForElement("input[name=ms-item-10]");
  // Item 10 first, as a parent may answer the hardest question out of order.
  await choose(`input[name=ms-item-10][value="${items[9]}"]`);
  await beforeTheRest();
  for (const [i, v] of items.slice(0, 9).entries()) await choose(`input[name=ms-item-${i + 1}][value="${v}"]`);
}

step("record: an EPDS ticked box by box (the first box on every item) scores 21 and raises the item 10 risk prompt", async () => {
  // The case the clinical review found: ticked as printed, the first box on every item is 21,
  // probable depression, and item 10's first box is a self-harm risk.
  await scoreEpds([0, 0, 0, 0, 0, 0, 0, 0, 0, 0], "baseline", async () => {
    // The prompt comes the moment item 10 is answered, with nine items still to go.
    const early = await (await session.waitForElement("//dialog//*[@data-testid='risk-prompt']")).text();
    assert.match(early, /EPDS item 10 scored 3/);
    assert.match(await (await session.find("[data-testid=measure-score]")).text(), /So far 3\s+\(9 of 10 items still to answer\)/);
  });
  // Each box shows the score it earns: item 1 counts up from the first box, item 10 down.
  const earns = await session.execute(
    "return [1, 10].map((n) => [...document.querySelectorAll(`input[name=ms-item-${n}]`)].map((i) => i.getAttribute('aria-label')));",
  );
  assert.deepEqual(earns[0], ["First box, scores 0", "Second box, scores 1", "Third box, scores 2", "Fourth box, scores 3"]);
  assert.deepEqual(earns[1], ["First box, scores 3", "Second box, scores 2", "Third box, scores 1", "Fourth box, scores 0"]);
  await session.waitFor("the score", async () => /21\s+of 30 — Probable depression/i.test(await (await session.find("[data-testid=measure-score]")).text()), 10_000);
  const prompt = await (await session.waitForElement("//dialog//*[@data-testid='risk-prompt']")).text();
  assert.match(prompt, /EPDS item 10 scored 3/);
  assert.match(prompt, /Mental Health Urgent Response Team, 01942 764 467/);
  await session.execute("document.querySelector('dialog[open] [data-testid=risk-prompt]').scrollIntoView({ block: 'center' });");
  await screenshot("epds-risk-prompt");
  await (await button("Save measure", "//dialog")).click();
  await session.waitForText("Measure saved. It raised a risk item");
  assert.match(await (await session.find("[data-testid=risk-prompt]")).text(), /01942 764 467/, "the prompt stays on the case");
  assert.match(await (await session.find("[data-testid=risk-to-review]")).text(), /^Risk to review/);
});

step("record: a review EPDS draws the chart over time", async () => {
  // Boxes ticked that score 0,0,1,0,1,1,1,0,0,0: a total of 4, and item 10's last box, no risk.
  await scoreEpds([0, 0, 2, 0, 2, 2, 2, 3, 3, 3], "review");
  await (await button("Save measure", "//dialog")).click();
  await session.waitForText("Measure saved.");
  const chart = await session.waitForElement("[data-testid=measure-chart] svg");
  assert.match(await chart.attribute("aria-label"), /EPDS totals: .* 21, .* 4$/);
  assert.equal(await session.execute("return document.querySelectorAll('[data-testid=measure-chart] circle').length;"), 2);
  // EPDS's three bands are shaded behind the totals.
  await session.waitFor("the bands", async () => (await session.execute("return document.querySelectorAll('[data-testid=measure-chart] [data-testid=band]').length;")) === 3);
  await session.execute("document.querySelector('[data-testid=measure-chart]').scrollIntoView();");
  await screenshot("epds-chart");
});

step("record: the item 10 answer stays flagged on the case, the caseload and Today until a risk review closes it", async () => {
  // The review EPDS above answered item 10 with its last box (score 0): that does not say anyone
  // discussed the first answer, so the flag stays.
  const prompt = await (await session.waitForElement("[data-testid=risk-prompt]")).text();
  assert.match(prompt, /^Risk to review/);
  assert.match(prompt, /EPDS item 10 scored 3/);
  await (await button("Caseload")).click();
  const flag = await session.waitForElement(`//li[.//button[normalize-space()=${JSON.stringify(REFERRAL_FAMILY)}]]//*[@data-testid='caseload-risk-to-review']`);
  assert.match(await flag.text(), /Risk to review\s*Since /);
  await screenshot("caseload-risk-to-review");
  await (await button("Today")).click();
  const risk = await (await session.waitForElement("[data-testid=today-risk]")).text();
  assert.match(risk, new RegExp(`${REFERRAL_FAMILY}`));
  assert.match(risk, /Risk to review: EPDS item 10 \(score 3\)/);
  assert.match(risk, /Mental Health Urgent Response Team, 01942 764 467/);
  assert.equal(
    await session.execute("return document.querySelector('[data-testid=today-due] li')?.dataset.testid;"),
    "today-risk",
    "the risk comes first in what is due",
  );
  await screenshot("today-risk-to-review");
  await (await button(REFERRAL_FAMILY, "//*[@data-testid='today-risk']")).click();
  await session.waitFor("the case view", async () => (await (await session.find("h1")).text()) === REFERRAL_FAMILY);
  await screenshotOf("[data-testid=risk-prompt]", "case-risk-to-review-light");
  // The same three places in the dark theme, then back to light for the steps that follow.
  await chooseTheme("Dark");
  await (await button("Caseload")).click();
  await screenshotOf("[data-testid=caseload-risk-to-review]", "caseload-risk-to-review-dark");
  await (await button("Today")).click();
  await screenshotOf("[data-testid=today-risk]", "today-risk-to-review-dark");
  await (await button(REFERRAL_FAMILY, "//*[@data-testid='today-risk']")).click();
  await screenshotOf("[data-testid=risk-prompt]", "case-risk-to-review-dark");
  await chooseTheme("Light");
  await (await button("Caseload")).click();
  await (await button(REFERRAL_FAMILY)).click();
  await session.waitFor("the case view", async () => (await (await session.find("h1")).text()) === REFERRAL_FAMILY);
  await (await button("Review risk")).click();
  await setValue("#rk-to_self", "medium", "change");
  for (const id of ["#rk-to_infant", "#rk-from_others"]) await setValue(id, "low", "change");
  await setValue("#rk-safeguarding", "none_known", "change");
  await setValue("#rk-thrive", "getting_risk_support", "change");
  await type("#rk-summary", "Fictional: item 10 discussed; thoughts without plans; safety plan agreed, GP told.");
  await (await button("Save risk review", "//dialog")).click();
  await session.waitForText("Risk review saved.");
  assert.equal((await session.findAll("[data-testid=risk-to-review]")).length, 0, "the flag is closed");
  assert.equal((await session.findAll("[data-testid=risk-prompt]")).length, 0);
  assert.match(await (await session.find("[data-testid=risk-level]")).text(), /^Medium/);
  await (await button("Today")).click();
  await session.waitForText("Due this week");
  assert.equal((await session.findAll("[data-testid=today-risk]")).length, 0);
  await (await button("Caseload")).click();
  await (await button(REFERRAL_FAMILY)).click();
  await session.waitFor("the case view", async () => (await (await session.find("h1")).text()) === REFERRAL_FAMILY);
});

async function scoreGoals(timePoint, goals) {
  await (await button("Score a measure")).click();
  await setValue("#ms-kind", "gbo", "change");
  await setValue("#ms-point", timePoint, "change");
  for (const [i, [text, score]] of goals.entries()) {
    if (i > 0) await (await session.waitForElement("//button[normalize-space()='Add another goal']")).click();
    await type(`#ms-goal-${i}`, text);
    await setValue(`#ms-goal-score-${i}`, String(score));
  }
  await (await button("Save measure", "//dialog")).click();
  await session.waitForText("Measure saved.");
}

step("record: goal based outcomes are charted one line per goal", async () => {
  await scoreGoals("baseline", [["Fictional: enjoy bath time together", 2], ["Fictional: go to a baby group", 3]]);
  await scoreGoals("review", [["Fictional: enjoy bath time together", 7], ["Fictional: go to a baby group", 5]]);
  const charts = await session.findAll("[data-testid=measure-chart] svg");
  assert.equal(charts.length, 2, "an EPDS chart and a GBO chart");
  const gbo = await charts[1].attribute("aria-label");
  assert.match(gbo, /^Fictional: enjoy bath time together: .* 2, .* 7; Fictional: go to a baby group: .* 3, .* 5$/);
  await session.execute("document.querySelectorAll('[data-testid=measure-chart]')[1].scrollIntoView();");
  await screenshot("gbo-chart");
});

step("record: export the chronology as a PDF and open it", async () => {
  await (await button("Export chronology (PDF)")).click();
  await session.waitForText("Chronology saved as", 20_000);
  const pdf = readdirSync(EXPORTS()).find((f) => f.endsWith(".pdf"));
  assert.ok(pdf, "a PDF was written");
  const file = path.join(EXPORTS(), pdf);
  const text = execFileSync("pdftotext", [file, "-"], { encoding: "utf8" });
  assert.match(text, new RegExp(REFERRAL_FAMILY));
  assert.match(text, /baby settled on the parent's lap/);
  assert.match(text, /Page 1 of \d+/);
  execFileSync("pdftoppm", ["-png", "-r", "60", "-f", "1", "-l", "1", file, path.join(ARTIFACTS, `${String(++shot).padStart(2, "0")}-chronology-pdf`)]);
});

step("record: a subject access export of everything held about the parent (JSON and PDF)", async () => {
  await (await session.waitForElement("//dd[contains(., 'Alex Example')]//button[normalize-space()='Subject access export']")).click();
  await session.waitForText("Everything held about Alex Example was saved in", 20_000);
  const json = JSON.parse(readFileSync(path.join(EXPORTS(), "Subject access - Alex Example.json"), "utf8"));
  assert.equal(json.subject, "Alex Example");
  assert.equal(json.cases.length, 1);
  const ids = json.cases[0].events.map((e) => e.id);
  // Opened, referral, triage, home visit, note started, note signed, two EPDS, a risk review, two GBO.
  assert.equal(ids.length, 11, `every event of the case (${ids.length})`);
  assert.equal(new Set(ids).size, ids.length, "each event once");
  const text = execFileSync("pdftotext", [path.join(EXPORTS(), "Subject access - Alex Example.pdf"), "-"], { encoding: "utf8" });
  assert.match(text, /Alex Example/);
  assert.match(text, new RegExp(REFERRAL_FAMILY));
});

step("record: book today's visit and see it on Today", async () => {
  await (await button("Book a visit")).click();
  await setValue("#bk-date", isoDaysAgo(0));
  await setValue("#bk-time", "23:30");
  await type("#bk-location", "Family home");
  await (await button("Book visit", "//dialog")).click();
  await session.waitForText("Visit booked.");
  await (await button("Today")).click();
  await session.waitForText("Due this week");
  const visits = await (await session.waitForElement("[data-testid=today-visits]")).text();
  assert.match(visits, new RegExp(`23:30\\s+${REFERRAL_FAMILY}`));
  await screenshot("today");
  await (await button(REFERRAL_FAMILY, "//*[@data-testid='today-visits']")).click();
  await session.waitFor("the case view", async () => (await (await session.find("h1")).text()) === REFERRAL_FAMILY);
});

step("record: the health visitor involved is on the case, with role and organisation", async () => {
  await (await button("Add a family member")).click();
  await choose("input[name=pf-role][value=professional]");
  await type("#pf-name", "Fictional Health Visitor");
  await setValue("#pf-pro-role", "health_visitor", "change");
  await type("#pf-pro-org", "Example Health Centre");
  await (await button("Save", "//dialog")).click();
  await session.waitForText("Fictional Health Visitor added to the family.");
  assert.match(await session.bodyText(), /Health visitor, Example Health Centre\s+Fictional Health Visitor/);
});

step("record: the lead records case supervision, and the agreed action becomes a task on the case", async () => {
  // This laptop signed in to the central store as demo.lead, so it offers supervision.
  await (await button("Record supervision")).click();
  await session.waitForText("Record case supervision");
  await type("#sv-with", "demo.clinician");
  await type("#sv-discussion", "Fictional: item 10 answer reviewed; the parent feels safer. Keep weekly visits.");
  await (await button("Add an agreed action", "//dialog")).click();
  await type("#sv-action-0", "Fictional: joint visit with the health visitor");
  const due = isoDaysAhead(3);
  await setValue("#sv-action-due-0", due);
  await screenshot("supervision-form");
  await (await button("Save supervision", "//dialog")).click();
  await session.waitForText("Supervision recorded; 1 task added for the agreed actions.");
  const text = await session.bodyText();
  assert.match(text, /Case supervision by demo\.lead with demo\.clinician/);
  assert.match(await (await session.find("[data-testid=supervision-discussion]")).text(), /^Fictional: item 10 answer reviewed/);
  assert.match(text, /Agreed:\s+Fictional: joint visit with the health visitor, by /);
  assert.match(text, /Agreed in supervision: Fictional: joint visit with the health visitor, due /);
});

step("record: discharge with a summary", async () => {
  await (await button("Discharge…")).click();
  await setValue("#dc-reason", "goals_met", "change");
  await session.waitForText("EPDS: 21 → 4");
  await type("#dc-summary", "Fictional: goals met; EPDS fell from 21 to 4. Letter to GP and midwife.");
  await (await button("Discharge", "//dialog")).click();
  await session.waitForText("Case discharged.");
  assert.match(await (await session.find("[data-testid=discharged]")).text(), /^Discharged on /);
  await screenshot("discharged");
});

step("record: a half-typed referral survives the app being killed", async () => {
  await (await button("Caseload")).click();
  await (await button("New referral")).click();
  await session.waitForText("Reasons for referral");
  await type("#rf-family", "Halfwayfamily-E2E");
  await type("#rf-ref-name", "Fictional Health Visitor");
  await new Promise((r) => setTimeout(r, 2000));
  await killAppAndUnlock();
  await (await button("New referral")).click();
  await session.waitForText("This is the referral you were typing");
  assert.equal(await (await session.waitForElement("#rf-family")).property("value"), "Halfwayfamily-E2E");
  assert.equal(await (await session.find("#rf-ref-name")).property("value"), "Fictional Health Visitor");
  await screenshot("referral-restored");
  await (await button("Start again with an empty form")).click();
  await session.waitFor("the form to empty", async () => (await (await session.find("#rf-family")).property("value")) === "");

  // Without the family's consent the request is kept as a consultation on a case for the family.
  await type("#rf-family", "Consultfamily-E2E");
  await type("#rf-ref-name", "Fictional GP");
  await choose("input[name=rf-consent][value=no]");
  await type("#rf-other", "Fictional: low mood since the birth");
  await session.waitForText("Keep it as a consultation instead");
  await session.waitForText("Choose what came of the consultation.");
  await setValue("#rf-consult-outcome", "advice_given", "change");
  await type("#rf-consult-advice", "Fictional: GP to offer a listening visit");
  await (await button("Save as a consultation")).click();
  await session.waitFor("the case view", async () => (await (await session.find("h1")).text()) === "Consultfamily-E2E", 15_000);
  const consultations = await (await session.waitForElement("//section[h2[normalize-space()='Consultations']]")).text();
  assert.match(consultations, /Fictional GP/);
  assert.match(consultations, /low mood since the birth/);
  assert.match(consultations, /Fictional: GP to offer a listening visit/);
});

/** The discharged family is left out of the everyday caseload: show discharged families, open it. */
async function openDischargedFamily() {
  await session.waitForText("Your caseload");
  const line = await session.waitForElement("[data-testid=discharged-hidden]");
  assert.match(await line.text(), /^1 discharged family is not shown\./);
  const listed = await session.findAll(`//button[normalize-space()=${JSON.stringify(REFERRAL_FAMILY)}]`);
  assert.equal(listed.length, 0, "the discharged family is not in the everyday list");
  await (await button("Show them")).click();
  await (await button(REFERRAL_FAMILY)).click();
}

step("record: a half-typed task, details change and risk review survive the app being killed", async () => {
  await (await button("Caseload")).click();
  await openDischargedFamily();
  await session.waitFor("the case view", async () => (await (await session.find("h1")).text()) === REFERRAL_FAMILY);
  await type("#tk-title", "Fictional: letter to the GP about the discharge");
  await setValue("#tk-kind", "call", "change");
  await (await button("Edit details")).click();
  await type("#detail-input-address", "1 Example Row, Fictional Town");
  await (await button("Review risk")).click();
  // A new review starts from the last one (recorded when the item 10 answer was reviewed).
  await session.waitFor("the last review's choices", async () => (await (await session.find("#rk-thrive")).property("value")) === "getting_risk_support");
  await setValue("#rk-to_self", "low", "change");
  for (const id of ["#rk-to_infant", "#rk-from_others"]) await setValue(id, "none_known", "change");
  await setValue("#rk-safeguarding", "none_known", "change");
  await setValue("#rk-thrive", "getting_advice", "change");
  await type("#rk-summary", "Fictional: no new concerns; partner now at home in the evenings.");
  await new Promise((r) => setTimeout(r, 2000));
  await screenshot("case-forms-before-kill");
  await killAppAndUnlock();

  await openDischargedFamily();
  await session.waitFor("the task to come back", async () => (await (await session.find("#tk-title")).property("value")) === "Fictional: letter to the GP about the discharge");
  assert.equal(await (await session.find("#tk-kind")).property("value"), "call");
  await (await button("Edit details")).click();
  await session.waitFor("the address to come back", async () => (await (await session.find("#detail-input-address")).property("value")) === "1 Example Row, Fictional Town");
  await (await button("Review risk")).click();
  await session.waitForText("What you were typing, kept on this laptop at");
  assert.equal(await (await session.find("#rk-summary")).property("value"), "Fictional: no new concerns; partner now at home in the evenings.");
  assert.equal(await (await session.find("#rk-to_self")).property("value"), "low");
  assert.equal(await (await session.find("#rk-thrive")).property("value"), "getting_advice");
  await screenshot("risk-review-restored");
  await (await button("Save risk review", "//dialog")).click();
  await session.waitForText("Risk review saved.");
  await (await button("Save details")).click();
  await session.waitForText("Details saved.");
  assert.equal(await (await session.find("[data-testid=detail-address]")).text(), "1 Example Row, Fictional Town");
  await (await button("Add task")).click();
  await session.waitForText("Task added.");
  assert.match(await session.bodyText(), /Fictional: letter to the GP about the discharge, due /);
  assert.equal(await (await session.find("#tk-title")).property("value"), "");

  // Saved forms are forgotten: after another crash nothing comes back.
  await new Promise((r) => setTimeout(r, 1500));
  await killAppAndUnlock();
  await openDischargedFamily();
  await session.waitFor("the case view", async () => (await (await session.find("h1")).text()) === REFERRAL_FAMILY);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await (await session.find("#tk-title")).property("value"), "");
  await (await button("Review risk")).click();
  await session.waitForElement("#rk-summary");
  await new Promise((r) => setTimeout(r, 1000));
  assert.doesNotMatch(await session.bodyText(), /What you were typing, kept on this laptop/);
  assert.equal(await (await session.find("#rk-summary")).property("value"), "");
});

/** Whether the native dialog titled `title` is on screen; with `key`, press it there. */
function answerDialog(title, key = "none") {
  try {
    execFileSync("/usr/bin/python3", [path.join(here, "answer-dialog.py"), title, key], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

step("record: the real save dialog (no test seam) saves the chronology where the clinician says", async () => {
  // A laptop without CASEBOOK_SAVE_TO: the export opens rfd's GTK save dialog, started in Documents.
  const documents = path.join(scratch, "lead", "home", "Documents");
  mkdirSync(documents, { recursive: true });
  await unlockLaptop("lead");
  await openDischargedFamily();
  const title = "Save the case chronology";
  const file = path.join(documents, `Chronology - ${REFERRAL_FAMILY}.pdf`);
  // Escape cancels: nothing is written and nothing is reported as saved.
  await (await button("Export chronology (PDF)")).click();
  await session.waitFor("the save dialog", async () => answerDialog(title), 20_000);
  assert.ok(answerDialog(title, "Escape"), "pressed Escape in the dialog");
  await session.waitFor("the dialog to close", async () => !answerDialog(title), 10_000);
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(!existsSync(file), "cancelling writes nothing");
  assert.doesNotMatch(await session.bodyText(), /Chronology saved as/);

  await (await button("Export chronology (PDF)")).click();
  await session.waitFor("the save dialog", async () => answerDialog(title), 20_000);
  await screenshot("save-dialog");
  // The window stays responsive while the dialog is open (it is not built on a blocked thread).
  assert.match(await (await session.find("h1")).text(), new RegExp(REFERRAL_FAMILY));
  assert.ok(answerDialog(title, "Return"), "pressed Save in the dialog");
  await session.waitForText("Chronology saved as", 20_000);
  await session.waitFor("the PDF in Documents", async () => existsSync(file), 10_000);
  assert.match(execFileSync("pdftotext", [file, "-"], { encoding: "utf8" }), new RegExp(REFERRAL_FAMILY));
  assert.ok(!answerDialog(title), "the dialog has closed");
});

// ---------------------------------------------------------------------------------------------
// The team's work on three laptops: the admin staff log referrals, the lead triages them from the
// inbox, the clinician receives the family, and the lead sees the team.

const OVERDUE_FAMILY = "Inboxfamily-Overdue-E2E";
const NEW_FAMILY = "Inboxfamily-New-E2E";

/** Logs a referral through the New referral form and waits for its case. */
async function logReferral(family, receivedOn) {
  await (await button("Caseload")).click();
  await (await button("New referral")).click();
  await session.waitForText("Reasons for referral");
  await setValue("#rf-service", "wigan-babs", "change");
  await setValue("#rf-received", receivedOn);
  await choose("input[name=rf-consent][value=yes]");
  await type("#rf-ref-name", "Fictional Midwife");
  await type("#rf-ref-org", "Example Maternity Unit");
  await choose("//label[contains(normalize-space(), 'Lack of bonding antenatally or after birth')]/input");
  await type("#rf-family", family);
  await type("#rf-parent", "Fictional Parent");
  await setValue("#rf-due", isoDaysAhead(60));
  await choose("input[name=rf-residence][value=yes]");
  await session.waitForText(/First contact due by/, 15_000);
  await (await button("Save referral")).click();
  await session.waitFor("the case view", async () => (await (await session.find("h1")).text()) === family, 15_000);
}

/** The buttons of the case view that are shown, by their text. */
async function shownButtons(labels) {
  const shown = [];
  for (const label of labels) if ((await session.findAll(`//button[normalize-space()=${JSON.stringify(label)}]`)).length) shown.push(label);
  return shown;
}

step("team: the admin staff log two referrals on their own laptop; the case shows them no clinical actions", async () => {
  await laptop("admin");
  await firstRun("demo.admin");
  await signInToCentral("demo.admin");
  await (await button("Caseload")).click();
  await session.waitFor("no Open a new case for admin staff", async () => (await session.findAll("//button[normalize-space()='Open a new case']")).length === 0);
  await logReferral(NEW_FAMILY, isoDaysAgo(0));
  await session.waitForElement("#rs-to");
  const clinical = ["Write a note", "Record a contact", "Score a measure", "Review risk", "Add an alert", "Record a consultation", "Export chronology (PDF)", "Discharge…", "Add task"];
  assert.deepEqual(await shownButtons(clinical), [], "no clinical action is offered to admin staff");
  assert.deepEqual(await shownButtons(["Edit details", "Book a visit", "Add a family member", "Update referral"]), ["Edit details", "Book a visit", "Add a family member", "Update referral"]);
  const statuses = await session.execute("return [...document.querySelectorAll('#rs-to option')].map((o) => o.value).filter(Boolean);");
  assert.deepEqual(statuses, ["acknowledged", "contacted"], "admin staff move a referral only as far as contacting the family");
  assert.match(await (await session.find("[data-testid=triage-state]")).text(), /^Waiting for the lead's triage$/);
  assert.equal((await session.findAll("[data-testid=risk-level]")).length, 0, "no risk line: admin laptops never hold risk reviews");
  assert.ok(await button("← Back to the inbox"), "a new referral waits in the inbox, so that is the way back");
  await screenshot("admin-case-view");
  await logReferral(OVERDUE_FAMILY, isoDaysAgo(30));
  await (await button("Send and receive now")).click();
  await indicator(/^Up to date at \d\d:\d\d$/);
  // The admin staff read the inbox; only the lead triages.
  await openInbox();
  await session.waitForElement(inboxRow(OVERDUE_FAMILY));
  assert.match(await (await session.find("[data-testid=inbox-intro]")).text(), /wait here until the team's lead triages them/);
  assert.equal((await session.findAll("//button[normalize-space()='Triage…']")).length, 0, "no Triage button for admin staff");
  assert.equal((await session.findAll("//nav//button[normalize-space()='Team']")).length, 0, "the team view is the lead's");
});

step("team: the lead receives both in the Inbox, the overdue one first, and triages it for demo.clinician", async () => {
  await unlockLaptop("lead");
  await (await button("Send and receive now")).click();
  await indicator(/^Up to date at \d\d:\d\d$/);
  await session.waitFor("the count on the Inbox", async () => (await inboxNav()) === "Inbox 2 waiting");
  await openInbox();
  await session.waitForElement(inboxRow(NEW_FAMILY));
  const rows = await Promise.all((await session.findAll("[data-testid=inbox-entry]")).map((r) => r.text()));
  assert.equal(rows.length, 2, rows.join("\n---\n"));
  assert.ok(rows[0].startsWith(OVERDUE_FAMILY) && rows[1].startsWith(NEW_FAMILY), `overdue first: ${rows.map((r) => r.split("\n")[0])}`);
  assert.match(rows[0], /First contact overdue/);
  assert.match(rows[0], /Overdue: was due /);
  assert.match(rows[0], /Waiting\s*30 days/);
  assert.match(rows[0], /Logged by\s*demo\.admin/);
  assert.match(rows[0], /Acknowledged\s*Not yet/);
  assert.match(rows[1], /Due by /);
  assert.doesNotMatch(rows[1], /overdue/i);
  await screenshot("inbox-light");

  const triage = `${inboxRow(OVERDUE_FAMILY)}//button[normalize-space()='Triage…']`;
  await (await session.waitForElement(triage)).click();
  await session.waitForText(`Triage: ${OVERDUE_FAMILY}`);
  await session.waitFor("the focus on the first choice", async () => session.execute("return document.activeElement?.name === 'tr-decision';"));
  await session.pressKeys(KEYS.ESCAPE);
  await session.waitFor("the dialog to close on Esc", async () => !(await session.execute("return !!document.querySelector('dialog[open]');")));
  await (await session.waitForElement(triage)).click();
  // Declining needs a reason, said before anything is saved.
  await choose("input[name=tr-decision][value=decline]");
  await (await button("Save decision", "//dialog")).click();
  await session.waitForText("Still needed: the reason for declining.");
  // Accepting offers the team's clinicians and leads from the last sync, never the admin staff.
  await choose("input[name=tr-decision][value=accept]");
  const offered = await session.execute("return [...document.querySelectorAll('input[name=tr-allocate]')].map((i) => i.value);");
  assert.deepEqual(offered.sort(), ["demo.clinician", "demo.clinician2", "demo.lead"]);
  await choose("input[name=tr-allocate][value='demo.clinician']");
  // The store's refusal is said in the dialog, in one sentence.
  await setValue("#tr-on", isoDaysAgo(31));
  await (await button("Save decision", "//dialog")).click();
  const refusal = await (await session.waitForElement("[data-testid=triage-error]")).text();
  assert.match(refusal, /^The triage decision cannot be before the referral was received \(.+\)\. Check the date\.$/, refusal);
  await setValue("#tr-on", isoDaysAgo(0));
  await type("#tr-reason", "Fictional: first visit this week, please.");
  await session.execute("document.querySelector('dialog[open]').scrollTop = 0;");
  await screenshot("triage-dialog-light");
  await (await button("Save decision", "//dialog")).click();
  await session.waitForText(`Triage saved: ${OVERDUE_FAMILY} accepted and allocated to demo.clinician.`);
  assert.equal((await session.findAll(inboxRow(OVERDUE_FAMILY))).length, 0, "it has left the inbox");
  const waiting = await (await session.waitForElement(`//li[@data-testid='waiting-entry'][.//button[normalize-space()=${JSON.stringify(OVERDUE_FAMILY)}]]`)).text();
  assert.match(waiting, /Allocated to demo\.clinician/);
  assert.match(waiting, /First contact overdue: was due /);
  await session.waitFor("the count to follow", async () => (await inboxNav()) === "Inbox 1 waiting");
  await (await button("Send and receive now")).click();
  await indicator(/^Up to date at \d\d:\d\d$/);
});

step("team: the clinician receives the family, with its referral and the lead's triage in the chronology", async () => {
  await unlockLaptop("clinician");
  assert.equal((await session.findAll("//nav//button[normalize-space()='Team']")).length, 0, "the team view is the lead's");
  await (await button("Send and receive now")).click();
  await session.waitFor("the family in the caseload", async () => (await session.bodyText()).includes(OVERDUE_FAMILY), 30_000);
  await (await button(OVERDUE_FAMILY)).click();
  await session.waitFor("the case view", async () => (await (await session.find("h1")).text()) === OVERDUE_FAMILY);
  assert.equal(await (await session.find("[data-testid=allocated-to]")).text(), "demo.clinician");
  assert.match(await (await session.find("[data-testid=triage-state]")).text(), /^Accepted and allocated to demo\.clinician, .* by demo\.lead$/);
  const text = await session.bodyText();
  assert.match(text, /Triage by demo\.lead: accepted and allocated\s+Allocated to demo\.clinician\s+Note: Fictional: first visit this week, please\./);
  assert.match(text, /Referral received from Fictional Midwife \(Example Maternity Unit\)/);
  assert.ok(await button("Write a note"), "the clinician writes notes on it");
  await screenshotOf(".entry-triage", "case-triage-in-chronology");
  // The clinician's inbox is the referrals they logged that wait for triage: none here.
  await openInbox();
  assert.match(await (await session.find("[data-testid=inbox-intro]")).text(), /^Referrals you logged wait here until the team's lead triages them/);
  await session.waitForElement("[data-testid=inbox-empty]");
  assert.equal((await session.findAll("//button[normalize-space()='Triage…']")).length, 0);
});

step("team: the lead's Team screen shows demo.clinician's caseload, the waiting list and the laptops (light and dark)", async () => {
  // demo.clinician2 signs in on a new laptop that never sends anything: the lead should see it.
  const quiet = path.join(scratch, "clinician2", "data");
  const env = { ...process.env, CASEBOOK_PASSPHRASE: PASSPHRASE, CASEBOOK_PASSWORD: DEMO_PASSWORD };
  execFileSync(CLI_BIN, ["--data", quiet, "init", "--user", "demo.clinician2"], { env, stdio: "ignore" });
  execFileSync(CLI_BIN, ["--data", quiet, "login", "--server", SERVER_URL, "--user", "demo.clinician2", "--device-name", "Clinic laptop 7 (fictional)"], { env, stdio: "ignore" });
  await unlockLaptop("lead");
  await (await button("Send and receive now")).click();
  await indicator(/^Up to date at \d\d:\d\d$/);
  await (await button("Team")).click();
  await session.waitForText("As at the last sync, ");
  const caseload = await (await session.waitForElement("//section[@data-testid='team-caseload'][h3[starts-with(normalize-space(), 'demo.clinician ')]]")).text();
  assert.match(caseload, /^demo\.clinician\s+1 open case/);
  assert.match(caseload, new RegExp(`${OVERDUE_FAMILY}\\s+First contact overdue`));
  // Filters narrow every list, and say when nothing matches.
  await (await session.find("//label[normalize-space()='Risk medium or high']/input")).click();
  await session.waitFor("the filter", async () => /None matches these filters\./.test(await (await session.find("//section[@data-testid='team-caseload'][h3[starts-with(normalize-space(), 'demo.clinician ')]]")).text()));
  await (await button("Clear filters")).click();
  assert.match(await (await session.find("//section[@aria-labelledby='team-waiting-title']")).text(), new RegExp(`${OVERDUE_FAMILY}\\s+Allocated to demo\\.clinician`));
  const laptops = await Promise.all((await session.findAll("[data-testid=team-laptop]")).map((r) => r.text()));
  for (const who of ["demo.clinician", "demo.lead", "demo.admin"]) assert.ok(laptops.some((l) => l.startsWith(who)), `${who}'s laptop is listed: ${laptops.join(" | ")}`);
  // A table row's text has no separator between its cells.
  assert.match(laptops[0], /^demo\.clinician2\s*Clinic laptop 7 \(fictional\)\s*Never: has not sent anything to the team yet/, "the silent laptop comes first, said in words");
  assert.equal(laptops.filter((l) => /Not synced for more than|Never: /.test(l)).length, 1, laptops.join(" | "));
  // The number of working days is the lead's, remembered with the other preferences.
  await setValue("#team-silent-after", "3", "change");
  await (await button("Caseload")).click();
  await (await button("Team")).click();
  await session.waitFor("the remembered number", async () => (await (await session.waitForElement("#team-silent-after")).property("value")) === "3");
  const prefs = JSON.parse(readFileSync(path.join(scratch, "lead", "home", ".local/share", "org.casebook.desktop", "settings.json"), "utf8"));
  assert.equal(prefs.team_silent_after_days, 3);
  await setValue("#team-silent-after", "2", "change");
  await screenshot("team-light");
  await screenshotOf("#laptops-title", "team-laptops-light");

  await chooseTheme("Dark");
  await (await button("Team")).click();
  await session.waitForText("As at the last sync, ");
  await screenshot("team-dark");
  await screenshotOf("#laptops-title", "team-laptops-dark");
  await openInbox();
  await session.waitForElement(inboxRow(NEW_FAMILY));
  await screenshot("inbox-dark");
  await (await session.waitForElement(`${inboxRow(NEW_FAMILY)}//button[normalize-space()='Triage…']`)).click();
  await choose("input[name=tr-decision][value=accept]");
  await screenshot("triage-dialog-dark");
  await session.pressKeys(KEYS.ESCAPE);
  await session.waitFor("the dialog to close", async () => !(await session.execute("return !!document.querySelector('dialog[open]');")));
  await chooseTheme("Light");
});

step("team: two triage decisions made without seeing each other come back to the Inbox as a conflict, and a new decision settles it", async () => {
  // The lead's second laptop (here the casebook command) signposts the new family, offline.
  const second = path.join(scratch, "lead2", "data");
  const env = { ...process.env, CASEBOOK_PASSPHRASE: PASSPHRASE, CASEBOOK_PASSWORD: DEMO_PASSWORD };
  const run = (args) => JSON.parse(execFileSync(CLI_BIN, ["--data", second, ...args, "--json"], { env, encoding: "utf8" }));
  run(["init", "--user", "demo.lead"]);
  run(["login", "--server", SERVER_URL, "--user", "demo.lead", "--device-name", "Clinic laptop 2 (fictional)"]);
  run(["sync"]);
  const waiting = run(["inbox"]).inbox.find((e) => e.family_name === NEW_FAMILY);
  assert.ok(waiting, "the second laptop has the referral in its inbox");
  run(["triage", "--referral", waiting.case_id, "--decision", "signpost", "--reason", "Fictional: the family hub's baby group"]);

  // Meanwhile, on the first laptop, the lead accepts it.
  await openInbox();
  await (await session.waitForElement(`${inboxRow(NEW_FAMILY)}//button[normalize-space()='Triage…']`)).click();
  await choose("input[name=tr-decision][value=accept]");
  await choose("input[name=tr-allocate][value='demo.clinician2']");
  await (await button("Save decision", "//dialog")).click();
  await session.waitForText(`Triage saved: ${NEW_FAMILY} accepted and allocated to demo.clinician2.`);
  await (await button("Send and receive now")).click();
  await indicator(/^Up to date at \d\d:\d\d$/);
  run(["sync"]);
  await (await button("Send and receive now")).click();
  await indicator(/^Up to date at \d\d:\d\d$/);

  // Both stand until a person settles it: the referral is back in the inbox with both decisions.
  const conflict = await (await session.waitForElement(`${inboxRow(NEW_FAMILY)}//*[@data-testid='inbox-conflict']`, 15_000)).text();
  assert.match(conflict, /^Two triage decisions disagree\. .*A person must settle it: triage it again, and your decision replaces both\./);
  assert.match(conflict, /demo\.lead accepted and allocated to demo\.clinician2 on \d+ \w+ \d{4}; recorded /);
  assert.match(conflict, /demo\.lead signposted elsewhere on \d+ \w+ \d{4} \(Fictional: the family hub's baby group\); recorded /);
  await screenshotOf("[data-testid=inbox-conflict]", "inbox-conflict-light");
  await (await session.waitForElement(`${inboxRow(NEW_FAMILY)}//button[normalize-space()='Triage…']`)).click();
  await session.waitForText("This decision replaces both decisions that disagree:");
  await choose("input[name=tr-decision][value=accept]");
  const ticked = await session.execute("return [...document.querySelectorAll('input[name=tr-allocate]:checked')].map((i) => i.value);");
  if (!ticked.includes("demo.clinician2")) await choose("input[name=tr-allocate][value='demo.clinician2']");
  await screenshot("triage-settles-conflict");
  await (await button("Save decision", "//dialog")).click();
  await session.waitForText(`Triage saved: ${NEW_FAMILY} accepted and allocated to demo.clinician2.`);
  await session.waitForElement("[data-testid=inbox-empty]");
  await (await button(NEW_FAMILY)).click();
  await session.waitFor("the case view", async () => (await (await session.find("h1")).text()) === NEW_FAMILY);
  assert.match(await (await session.find("[data-testid=triage-state]")).text(), /^Accepted and allocated to demo\.clinician2, /);
  assert.ok(await button("← Back to the inbox"));
});

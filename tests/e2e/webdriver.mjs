// A tiny W3C WebDriver client on Node's fetch: just what the Casebook E2E needs.
export const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";
/** No single WebDriver call may take longer than this (a hung call fails the step, not the run). */
const CALL_TIMEOUT_MS = 60_000;

export class WebDriverError extends Error {}

async function call(base, method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new WebDriverError(`${method} ${path}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  }
  if (!res.ok || json?.value?.error) {
    const v = json?.value ?? {};
    throw new WebDriverError(`${method} ${path}: ${v.error ?? res.status}: ${v.message ?? text.slice(0, 300)}`);
  }
  return json.value;
}

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  static async create(base, capabilities) {
    const value = await call(base, "POST", "/session", { capabilities: { alwaysMatch: capabilities } });
    return new Session(base, value.sessionId);
  }

  cmd(method, path, body) {
    return call(this.base, method, `/session/${this.id}${path}`, body);
  }

  async delete() {
    await this.cmd("DELETE", "");
  }

  async find(selector) {
    const using = selector.startsWith("/") || selector.startsWith("(") ? "xpath" : "css selector";
    const value = await this.cmd("POST", "/element", { using, value: selector });
    return new Element(this, value[ELEMENT]);
  }

  async findAll(selector) {
    const using = selector.startsWith("/") || selector.startsWith("(") ? "xpath" : "css selector";
    const values = await this.cmd("POST", "/elements", { using, value: selector });
    return values.map((v) => new Element(this, v[ELEMENT]));
  }

  execute(script, args = []) {
    return this.cmd("POST", "/execute/sync", { script, args });
  }

  executeAsync(script, args = []) {
    return this.cmd("POST", "/execute/async", { script, args });
  }

  async screenshot() {
    return Buffer.from(await this.cmd("GET", "/screenshot"), "base64");
  }

  /** Reference to an element, for passing to `execute`. */
  static ref(element) {
    return { [ELEMENT]: element.id };
  }

  /** Wait until `fn` returns a truthy value (retrying on errors); fail with `what` after `ms`. */
  async waitFor(what, fn, ms = 10_000) {
    const until = Date.now() + ms;
    let last;
    while (Date.now() < until) {
      try {
        const v = await fn();
        if (v) return v;
      } catch (e) {
        last = e;
      }
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(`Timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${last.message})` : ""}`);
  }

  /** The element matching `selector`, once it is displayed. */
  waitForElement(selector, ms = 10_000) {
    return this.waitFor(`element ${selector}`, async () => {
      const el = await this.find(selector);
      return (await el.displayed()) ? el : null;
    }, ms);
  }

  /** Press keys on whatever has the focus, as a person would (WebDriver actions, not an element). */
  async pressKeys(...keys) {
    const actions = keys.flatMap((k) => [{ type: "keyDown", value: k }, { type: "keyUp", value: k }]);
    await this.cmd("POST", "/actions", { actions: [{ type: "key", id: "keyboard", actions }] });
    await this.cmd("DELETE", "/actions");
  }

  /** The page's visible text. */
  bodyText() {
    return this.execute("return document.body.innerText;");
  }

  /** Wait until the page shows `text` (string or RegExp). */
  waitForText(text, ms = 10_000) {
    return this.waitFor(`the text ${text}`, async () => {
      const body = await this.bodyText();
      return typeof text === "string" ? body.includes(text) : text.test(body);
    }, ms);
  }
}

export class Element {
  constructor(session, id) {
    this.session = session;
    this.id = id;
  }
  cmd(method, path, body) {
    return this.session.cmd(method, `/element/${this.id}${path}`, body);
  }
  click() {
    return this.cmd("POST", "/click", {});
  }
  clear() {
    return this.cmd("POST", "/clear", {});
  }
  type(text) {
    return this.cmd("POST", "/value", { text });
  }
  text() {
    return this.cmd("GET", "/text");
  }
  displayed() {
    return this.cmd("GET", "/displayed");
  }
  property(name) {
    return this.cmd("GET", `/property/${name}`);
  }
  attribute(name) {
    return this.cmd("GET", `/attribute/${name}`);
  }
}

export const KEYS = { ENTER: "\uE007", ESCAPE: "\uE00C", TAB: "\uE004" };

// The npm audit policy can fail: node --test supply-chain/ (run by the supply_chain stage).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const script = new URL("../scripts/npm-audit-policy.mjs", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "npm-audit-policy-"));
const write = (name, value) => {
  const path = join(dir, name);
  writeFileSync(path, typeof value === "string" ? value : JSON.stringify(value));
  return path;
};
const report = (severity) => ({
  auditReportVersion: 2,
  vulnerabilities: {
    "fictional-pkg": {
      name: "fictional-pkg",
      severity,
      via: [{ source: 1, name: "fictional-pkg", title: "Fictional flaw", url: "https://example.invalid/advisories/GHSA-test-0000-0000", severity }],
    },
  },
  metadata: { vulnerabilities: { [severity]: 1 } },
});
const exception = (expires) => ({
  exceptions: [{ advisory: "GHSA-test-0000-0000", package: "fictional-pkg", reason: "test", accepted_by: "test", expires }],
});
const run = (reportPath, exceptionsPath) => {
  try {
    execFileSync("node", [script, reportPath, exceptionsPath, "2026-06-01"], { encoding: "utf8" });
    return 0;
  } catch (e) {
    return e.status;
  }
};
const none = write("none.json", { exceptions: [] });

test("a high advisory with no exception fails", () => assert.equal(run(write("high.json", report("high")), none), 1));
test("a moderate advisory is listed but passes", () => assert.equal(run(write("moderate.json", report("moderate")), none), 0));
test("a live exception lets a high advisory pass", () => assert.equal(run(write("high2.json", report("high")), write("live.json", exception("2026-07-01"))), 0));
test("an expired exception fails", () => assert.equal(run(write("high3.json", report("high")), write("old.json", exception("2026-05-31"))), 1));
test("an unreachable audit endpoint is told apart (exit 3)", () =>
  assert.equal(run(write("error.json", { error: { code: "ENOAUDIT", summary: "audit endpoint returned an error" } }), none), 3));

// Applies supply-chain/npm-audit-exceptions.json to the JSON report of `npm audit --json`.
//   node scripts/npm-audit-policy.mjs REPORT.json EXCEPTIONS.json [TODAY as YYYY-MM-DD]
// Exit 0: nothing at or above the failing level without a live exception. Exit 1: findings, or an
// exception that has expired or is malformed. Exit 3: the report is not an audit (the registry's
// audit endpoint could not be used), so the caller can say the check was skipped.
import { readFileSync } from "node:fs";

const FAIL_AT = new Set(["high", "critical"]);
const [reportPath, exceptionsPath, todayArg] = process.argv.slice(2);
const today = todayArg ?? new Date().toISOString().slice(0, 10);

let report;
try {
  report = JSON.parse(readFileSync(reportPath, "utf8"));
} catch {
  console.log("npm audit gave no report.");
  process.exit(3);
}
if (report.error || !report.metadata) {
  const why = report.error?.summary || report.message || "no audit metadata in the answer";
  console.log(`npm audit could not ask the registry: ${why}`);
  process.exit(3);
}

const { exceptions = [] } = JSON.parse(readFileSync(exceptionsPath, "utf8"));
let failed = false;
const live = new Map();
for (const e of exceptions) {
  const missing = ["advisory", "package", "reason", "accepted_by", "expires"].filter((k) => !e[k]);
  if (missing.length) {
    console.log(`FAIL exception for ${e.advisory ?? "?"} lacks ${missing.join(", ")}`);
    failed = true;
  } else if (!/^\d{4}-\d{2}-\d{2}$/.test(e.expires) || e.expires < today) {
    console.log(`FAIL exception for ${e.advisory} (${e.package}) expired on ${e.expires}: review it, then renew or remove it`);
    failed = true;
  } else {
    live.set(e.advisory, e);
  }
}

// Each advisory once, with the packages it reaches through.
const advisories = new Map();
for (const [name, v] of Object.entries(report.vulnerabilities ?? {})) {
  for (const via of v.via ?? []) {
    if (typeof via !== "object") continue;
    const id = (via.url ?? "").split("/").pop() || String(via.source);
    const a = advisories.get(id) ?? { id, url: via.url, title: via.title, severity: via.severity, packages: new Set() };
    a.packages.add(name);
    advisories.set(id, a);
  }
}
const used = new Set();
for (const a of advisories.values()) {
  const e = live.get(a.id) ?? live.get(a.url);
  const where = [...a.packages].join(", ");
  if (e) {
    used.add(e.advisory);
    console.log(`excepted ${a.severity} ${a.id} in ${where} until ${e.expires}: ${e.reason}`);
  } else if (FAIL_AT.has(a.severity)) {
    console.log(`FAIL ${a.severity} ${a.id} in ${where}: ${a.title} (${a.url})`);
    failed = true;
  } else {
    console.log(`note ${a.severity} ${a.id} in ${where}: ${a.title} (${a.url})`);
  }
}
for (const e of live.values()) {
  if (!used.has(e.advisory)) console.log(`note: the exception for ${e.advisory} matched nothing; remove it`);
}
const counts = report.metadata.vulnerabilities ?? {};
console.log(`npm audit: ${advisories.size} advisories (critical ${counts.critical ?? 0}, high ${counts.high ?? 0}, moderate ${counts.moderate ?? 0}, low ${counts.low ?? 0}); policy: ${failed ? "FAILED" : "passed"}`);
process.exit(failed ? 1 : 0);

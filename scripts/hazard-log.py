#!/usr/bin/env python3
"""Checks Casebook's hazard log (docs/safety/hazards.toml) and prints the hazard -> test table.

  python3 scripts/hazard-log.py              # check, print the table (the `safety` stage)
  python3 scripts/hazard-log.py --markdown   # print the summary table that docs/safety/case.md holds

Fails when a hazard names a test that does not exist or is ignored, when a field is missing or a
risk is outside the 5x5 matrix, when a residual risk is rated above the initial one, or when the
table in docs/safety/case.md is not the one the log gives (so the report cannot drift from it).
"""
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "docs/safety/hazards.toml"
CASE = ROOT / "docs/safety/case.md"

# DCB0129/DCB0160 risk matrix: MATRIX[severity - 1][likelihood - 1] -> rating 1..5.
MATRIX = [
    [1, 1, 2, 2, 3],  # minor
    [1, 2, 2, 3, 4],  # significant
    [2, 2, 3, 3, 4],  # considerable
    [2, 3, 3, 4, 5],  # major
    [3, 4, 4, 5, 5],  # catastrophic
]
RATINGS = ["very low", "low", "medium", "high", "very high"]
FIELDS = ["id", "title", "cause", "effect", "harm", "initial", "residual", "controls", "tests"]


def rating(risk):
    l, s = risk["likelihood"], risk["severity"]
    if not (1 <= l <= 5 and 1 <= s <= 5):
        raise ValueError(f"likelihood and severity must be 1 to 5, not {l} and {s}")
    return MATRIX[s - 1][l - 1]


def find_test(ref):
    """None when the test exists and runs, else a sentence saying what is wrong."""
    if "::" not in ref:
        return f'"{ref}" does not say path::test'
    path, name = ref.split("::", 1)
    file = ROOT / path
    if not file.is_file():
        return f"{path} does not exist"
    text = file.read_text()
    if path.endswith(".mjs"):
        m = re.search(r'\b(step|test)(\.skip|\.todo)?\(\s*"' + re.escape(name), text)
        if not m:
            return f'no E2E step starting "{name}" in {path}'
        if m.group(2):
            return f'the E2E step "{name}" is skipped'
        return None
    m = re.search(r"\bfn\s+" + re.escape(name) + r"\s*[(<]", text)
    if not m:
        return f"no fn {name} in {path}"
    before = text[: m.start()].splitlines()[-4:]
    if any("#[ignore" in line for line in before):
        return f"fn {name} in {path} is ignored"
    return None


def markdown(hazards):
    lines = [
        "| Hazard | Initial risk | Residual risk | Tests proving the controls | Known gaps |",
        "|---|---|---|---|---|",
    ]
    for h in hazards:
        i, r = rating(h["initial"]), rating(h["residual"])
        gaps = "; ".join(h.get("gaps", [])) or "none"
        lines.append(
            f"| {h['id']} {h['title']} | {i} {RATINGS[i - 1]} | {r} {RATINGS[r - 1]} | {len(h['tests'])} | {gaps} |"
        )
    return "\n".join(lines)


def main():
    hazards = tomllib.loads(LOG.read_text())["hazard"]
    problems = []
    seen = set()
    for h in hazards:
        hid = h.get("id", "?")
        missing = [f for f in FIELDS if f not in h]
        if missing:
            problems.append(f"{hid}: missing {', '.join(missing)}")
            continue
        if hid in seen:
            problems.append(f"{hid}: used twice")
        seen.add(hid)
        try:
            if rating(h["residual"]) > rating(h["initial"]):
                problems.append(f"{hid}: the residual risk is rated above the initial one")
        except ValueError as e:
            problems.append(f"{hid}: {e}")
        if not h["tests"] and not h.get("gaps"):
            problems.append(f"{hid}: names no test and no gap; say which tests prove its controls, or what is missing")
        for ref in h["tests"]:
            why = find_test(ref)
            if why:
                problems.append(f"{hid}: {why}")
    table = markdown(hazards)
    if "--markdown" in sys.argv:
        print(table)
        return 0
    for h in hazards:
        r = rating(h["residual"])
        print(f"{h['id']} {h['title']} (residual {RATINGS[r - 1]})")
        for ref in h["tests"]:
            print(f"    {ref}")
        for g in h.get("gaps", []):
            print(f"    GAP: {g}")
    if table not in CASE.read_text():
        problems.append(
            "docs/safety/case.md does not hold the current summary table: paste the output of "
            "`python3 scripts/hazard-log.py --markdown` into it"
        )
    if problems:
        print("\nThe hazard log has problems:", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    tested = sum(len(h["tests"]) for h in hazards)
    print(f"\n{len(hazards)} hazards, {tested} named tests, all present and not ignored.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

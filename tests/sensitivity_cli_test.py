#!/usr/bin/env python3
"""End-to-end checks of `switchcost sensitivity`: options, the three outputs
and their agreement, sorting, and the same bytes for 1 and 2 threads; with
--indices, the Ishigami function's known indices, the same bytes for 1 and
2 threads, and --html refused.

usage: sensitivity_cli_test.py BINARY SOURCE_DIR
"""
import csv
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from checks import check, run_all, strict_json

BIN = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
SCENARIOS = os.path.join(SRC, "scenarios", "kaspersky-2024")
TMP = tempfile.mkdtemp(prefix="switchcost-sensitivity-")


def run(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=600)


def test_options():
    r = run("sensitivity", "--help")
    check("--help: exit 0, usage", r.returncode == 0 and "usage: switchcost sensitivity" in r.stdout, r.stderr)
    check("help lists sensitivity", "  sensitivity FILE... " in run("help").stdout)
    r = run("sensitivity", "--output", "duration_day", "--trials", "100")
    check("--output typo: exit 2 with did-you-mean",
          r.returncode == 2 and "did you mean 'duration_days'?" in r.stderr, r.stderr)
    r = run("sensitivity", "--output", "zzz", "--trials", "100")
    check("--output unknown: exit 2 listing the outputs", r.returncode == 2 and "total_cost" in r.stderr, r.stderr)
    r = run("sensitivity", "--top", "-3", "--trials", "100")
    check("--top not a count: exit 2", r.returncode == 2 and "--top" in r.stderr, r.stderr)
    r = run("sensitivity", "--trials", "100000000", "--max-memory-gib", "1", "--quiet")
    check("over the memory limit: exit 2 before running", r.returncode == 2 and "GiB" in r.stderr, r.stderr)


def test_outputs():
    msp = os.path.join(SCENARIOS, "msp-350.yaml")
    docs = {}
    for threads in ("1", "2"):
        j, c = os.path.join(TMP, f"t{threads}.json"), os.path.join(TMP, f"t{threads}.csv")
        r = run("sensitivity", msp, "--trials", "4000", "--threads", threads, "--json", j, "--csv", c, "--top", "5")
        check(f"threads {threads}: exit 0", r.returncode == 0, r.stderr)
        docs[threads] = (open(j).read(), open(c).read(), r.stdout)
    one, two = strict_json(docs["1"][0]), strict_json(docs["2"][0])
    check("threads recorded", one["manifest"]["threads"] == 1 and two["manifest"]["threads"] == 2)
    one["manifest"].pop("threads")
    two["manifest"].pop("threads")
    check("JSON: the same bytes for 1 and 2 threads but manifest.threads", one == two and
          docs["1"][0].replace('"threads":1', '"threads":2') == docs["2"][0])
    check("CSV: the same bytes for 1 and 2 threads", docs["1"][1] == docs["2"][1])

    d = one
    check("schema switchcost.sensitivity/1", d["schema"] == "switchcost.sensitivity/1", d.get("schema"))
    m = d["manifest"]
    check("manifest: command, output, complete", m["command"] == "sensitivity" and m["output"] == "total_cost" and
          m["mean_series"] == "total_expected_cost" and m["complete"] is True and m["trials"] == 4000, m)
    rows = d["inputs"]
    check("every uncertain input listed", len(rows) == m["input_groups"] == m["input_groups_done"] > 20, len(rows))
    swings = [abs(x["swing"]["mean"]) for x in rows]
    check("sorted by |swing|", swings == sorted(swings, reverse=True), swings[:5])
    check("ranks 1..n", [x["rank"] for x in rows] == list(range(1, len(rows) + 1)))
    keys = [x["key"] for x in rows]
    check("keys unique", len(set(keys)) == len(keys))
    check("the default MSP's largest driver is a licence price", keys[0].startswith("competitors."), keys[:3])
    for x in rows:
        ok = abs(x["at_p90"]["mean"] - x["at_p10"]["mean"] - x["swing"]["mean"]) <= 1e-6 * (1 + abs(x["swing"]["mean"]))
        ok = ok and x["swing"]["se"] >= 0 and all(mm["p10"] <= mm["p90"] for mm in x["members"])
        if not ok:
            check(f"row {x['key']} consistent", False, x)
            break
    else:
        check("rows: swing = mean at P90 - mean at P10, P10 <= P90", True)
    unread = [x for x in rows if not x["read"]]
    check("competitors no MSP uses: swing exactly 0",
          unread and all(x["swing"]["mean"] == 0 and x["p90_swing"] == 0 for x in unread), unread[:1])

    table = list(csv.DictReader(io.StringIO(docs["1"][1])))
    check("CSV: a row per input, same order and swings", [t["input"] for t in table] == keys and
          all(float(t["swing"]) == x["swing"]["mean"] for t, x in zip(table, rows)), table[:1])
    text = docs["1"][2]
    shown = [line for line in text.splitlines() if line.startswith("  ") and ("+-" in line) and "$" in line]
    check("terminal: --top 5 rows and the note", len(shown) == 5 and f"5 of {len(rows)} inputs shown" in text, text)
    check("terminal: the first row is the JSON's first", keys[0] in shown[0] if shown else False, shown[:1])

    r = run("sensitivity", msp, "--trials", "2000", "--output", "duration_days", "--json", "-")
    d = strict_json(r.stdout)
    prices = [x for x in d["inputs"] if x["key"].endswith("price_per_endpoint_month")]
    check("--output duration_days: prices swing exactly 0", r.returncode == 0 and prices and
          all(x["swing"]["mean"] == 0 for x in prices) and d["output"]["unit"] == "days", r.stderr)


def test_interrupt():
    """SIGINT mid-way: exit 130, the inputs finished are written, marked partial."""
    j = os.path.join(TMP, "partial.json")
    p = subprocess.Popen([BIN, "sensitivity", "--trials", "300000", "--json", j, "--quiet"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    if p.returncode == 0:
        check("interrupt: finished before the signal (machine too fast to test)", True)
        return
    d = strict_json(open(j).read()) if os.path.exists(j) else None
    m = d["manifest"] if d else {}
    check("interrupt: exit 130, JSON written, complete false, fewer inputs",
          p.returncode == 130 and d is not None and m["complete"] is False and
          len(d["inputs"]) == m["input_groups_done"] < m["input_groups"], (p.returncode, err, m))


def test_indices_refuse_correlated_inputs():
    """The indices assume independent inputs: a scenario with a correlations:
    block is refused (exit 2) with the reason; its tornado still runs."""
    correlated = os.path.join(SRC, "scenarios", "kaspersky-2024", "population-correlated.yaml")
    r = run("sensitivity", "--indices", correlated, "--trials", "200", "--quiet")
    check("--indices on correlated inputs: exit 2, says why",
          r.returncode == 2 and "assume independent inputs" in r.stderr, (r.returncode, r.stderr))


def test_indices():
    """--indices on the Ishigami scenario: every 95% interval covers the
    published value (seed 1, 2^16 trials: the same numbers every run)."""
    ishigami = os.path.join(SRC, "tests", "data", "sensitivity", "ishigami.yaml")
    docs = {}
    for threads in ("1", "2"):
        j, c = os.path.join(TMP, f"i{threads}.json"), os.path.join(TMP, f"i{threads}.csv")
        r = run("sensitivity", "--indices", ishigami, "--trials", "65536", "--seed", "1", "--threads", threads,
                "--json", j, "--csv", c)
        check(f"--indices threads {threads}: exit 0, a table", r.returncode == 0 and "Per-MSP inputs" in r.stdout,
              r.stderr)
        docs[threads] = (open(j).read(), open(c).read())
    check("--indices JSON: the same bytes for 1 and 2 threads but manifest.threads",
          docs["1"][0].replace('"threads":1', '"threads":2') == docs["2"][0])
    check("--indices CSV: the same bytes for 1 and 2 threads", docs["1"][1] == docs["2"][1])
    d = strict_json(docs["1"][0])
    check("--indices JSON: schema, method", d["schema"] == "switchcost.sensitivity-indices/1" and
          d["manifest"]["method"] == "indices" and d["output"]["zero_variance"] is False)
    rows = {x["key"]: x for x in d["inputs"]}
    truth = {"formulas.x1.0": (0.3139, 0.5576), "formulas.x2.0": (0.4424, 0.4424), "formulas.x3.0": (0.0, 0.2437)}
    for key, (s1, st) in truth.items():
        x = rows.get(key)
        check(f"--indices {key}: intervals cover S = {s1} and ST = {st}", x is not None and
              x["first_order"]["ci95"][0] <= s1 <= x["first_order"]["ci95"][1] and
              x["total"]["ci95"][0] <= st <= x["total"]["ci95"][1], x)
    lines = list(csv.DictReader(io.StringIO(docs["1"][1])))
    check("--indices CSV: one row per group, as the JSON",
          [r["input"] for r in lines] == [x["key"] for x in d["inputs"]] and
          all(float(r["total"]) == x["total"]["estimate"] for r, x in zip(lines, d["inputs"])))
    r = run("sensitivity", "--components", "--trials", "100")
    check("--components without --indices: exit 2", r.returncode == 2 and "--components" in r.stderr, r.stderr)
    j = os.path.join(TMP, "components.json")
    r = run("sensitivity", "--indices", "--components", "--trials", "2000", "--json", j)
    d = strict_json(open(j).read()) if r.returncode == 0 else {}
    check("--indices --components: every cost component, one table line each",
          r.returncode == 0 and [c["key"] for c in d["components"]][:2] == ["labor_cost", "pricing_cost"] and
          "By cost component" in r.stdout and "downtime_cost" in r.stdout, r.stderr)
    h = os.path.join(TMP, "i.html")
    r = run("sensitivity", "--indices", ishigami, "--trials", "1000", "--quiet", "--html", h)
    check("--indices --html: exit 0, the indices page", r.returncode == 0 and
          '"kind":"sensitivity_indices"' in open(h).read(), r.stderr)


def test_indices_per_msp():
    """--indices --per-msp: each MSP's own indices in the table, JSON and CSV;
    refused without --indices, and with a clear message when too big."""
    two = os.path.join(SRC, "tests", "data", "sensitivity", "two-msps.yaml")
    r = run("sensitivity", "--per-msp", two, "--trials", "100")
    check("--per-msp without --indices: exit 2", r.returncode == 2 and "--per-msp" in r.stderr, r.stderr)
    docs = {}
    for threads in ("1", "2"):
        j, c = os.path.join(TMP, f"m{threads}.json"), os.path.join(TMP, f"m{threads}.csv")
        r = run("sensitivity", "--indices", "--per-msp", two, "--trials", "4000", "--threads", threads,
                "--json", j, "--csv", c)
        check(f"--per-msp threads {threads}: exit 0, the MSPs' block", r.returncode == 0 and
              "By MSP (--per-msp)" in r.stdout and "\n  a  mean" in r.stdout and "\n  b  mean" in r.stdout,
              (r.stderr, r.stdout[-800:]))
        docs[threads] = (open(j).read(), open(c).read())
    check("--per-msp JSON: the same bytes for 1 and 2 threads but manifest.threads",
          docs["1"][0].replace('"threads":1', '"threads":2') == docs["2"][0])
    check("--per-msp CSV: the same bytes for 1 and 2 threads", docs["1"][1] == docs["2"][1])
    d = strict_json(docs["1"][0])
    msps = {m["msp"]: {x["key"]: x for x in m["inputs"]} for m in d.get("msps", [])}
    check("--per-msp JSON: one result per MSP; a's extra is exactly 0 on b, and matters on a",
          sorted(msps) == ["a", "b"] and msps["b"]["extras.a_only"]["total"]["estimate"] == 0 and
          msps["a"]["extras.a_only"]["total"]["ci95"][0] > 0, list(msps))
    lines = list(csv.DictReader(io.StringIO(docs["1"][1])))
    check("--per-msp CSV: the portfolio's rows (msp empty), then each MSP's",
          len(lines) == 3 * len(d["inputs"]) and {r["msp"] for r in lines} == {"", "a", "b"} and
          [r["msp"] for r in lines][-1] == "b", len(lines))
    population = os.path.join(SCENARIOS, "population-200.yaml")
    r = run("sensitivity", "--indices", "--per-msp", population, "--trials", "100000", "--max-memory-gib", "1")
    check("--per-msp too big: exit 2 before running, says what to leave out",
          r.returncode == 2 and "--per-msp" in r.stderr and "200 of them MSPs'" in r.stderr, r.stderr)


def test_one_msp():
    """--msp NAME: one MSP's own tornado; a misspelt name gets a suggestion."""
    portfolio = os.path.join(SCENARIOS, "portfolio.yaml")
    r = run("sensitivity", portfolio, "--msp", "msp-35", "--trials", "100")
    check("--msp unknown: exit 2, did you mean", r.returncode == 2 and "did you mean 'msp-350'" in r.stderr, r.stderr)
    r = run("sensitivity", portfolio, "--msp", "msp-60", "--indices", "--trials", "100")
    check("--msp with --indices: exit 2, points to --per-msp", r.returncode == 2 and "--per-msp" in r.stderr, r.stderr)
    j = os.path.join(TMP, "one-msp.json")
    r = run("sensitivity", portfolio, "--msp", "msp-60", "--trials", "2000", "--json", j)
    d = strict_json(open(j).read()) if r.returncode == 0 else {}
    check("--msp msp-60: its own tornado", r.returncode == 0 and "sensitivity of MSP msp-60's own total_cost" in r.stdout
          and d["output"] == {"key": "total_cost", "unit": "USD", "scope": "msp", "msp": "msp-60"}, r.stderr)


def test_formula_rows():
    """--output formula.NAME: a cost formula's row; unknown names and --msp/--per-msp refused."""
    f = os.path.join(SRC, "tests", "data", "sensitivity", "formula_rows.yaml")
    r = run("sensitivity", f, "--output", "formula.setup_formul", "--trials", "100")
    check("--output formula typo: exit 2 with did-you-mean",
          r.returncode == 2 and "did you mean 'formula.setup_formula'?" in r.stderr, r.stderr)
    r = run("sensitivity", f, "--output", "formula.zzzzzzzzzzzz", "--trials", "100")
    check("--output unknown formula: exit 2 listing the outputs, formulas included",
          r.returncode == 2 and "total_cost" in r.stderr and "formula.drawn" in r.stderr, r.stderr)
    r = run("sensitivity", f, "--output", "formula.drawn", "--msp", "formulas", "--trials", "100")
    check("--output formula.NAME --msp: exit 2", r.returncode == 2 and "portfolio only" in r.stderr, r.stderr)
    r = run("sensitivity", f, "--output", "formula.drawn", "--indices", "--per-msp", "--trials", "100")
    check("--output formula.NAME --per-msp: exit 2", r.returncode == 2 and "--per-msp" in r.stderr, r.stderr)
    j, c = os.path.join(TMP, "formula.json"), os.path.join(TMP, "formula.csv")
    r = run("sensitivity", f, "--output", "formula.setup_formula", "--trials", "2000", "--json", j, "--csv", c)
    d = strict_json(open(j).read()) if r.returncode == 0 else {}
    rows = list(csv.DictReader(io.StringIO(open(c).read()))) if r.returncode == 0 else []
    check("--output formula.setup_formula: named in all three outputs", r.returncode == 0 and
          "portfolio's formula.setup_formula [USD]" in r.stdout and
          d["output"]["key"] == "formula.setup_formula" and d["manifest"]["output"] == "formula.setup_formula" and
          abs(d["inputs"][0]["swing"]["mean"] - 10.1345418684613) < 1e-9 and
          rows and all(x["output"] == "formula.setup_formula" for x in rows), r.stderr)


def test_indices_interrupt():
    """SIGINT during --indices: exit 130, JSON written, complete false, no indices."""
    j = os.path.join(TMP, "partial-indices.json")
    p = subprocess.Popen([BIN, "sensitivity", "--indices", "--trials", "300000", "--json", j, "--quiet"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.7)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    # A signal after the last run (during the bootstrap) leaves complete results.
    if p.returncode == 0 or "interrupted after the simulation" in err:
        check("indices interrupt: the runs finished before the signal (machine too fast to test)", True)
        return
    d = strict_json(open(j).read()) if os.path.exists(j) else None
    check("indices interrupt: exit 130, complete false, no indices, variance null",
          p.returncode == 130 and d is not None and d["manifest"]["complete"] is False and
          d["inputs"] == [] and d["output"]["variance"] is None, (p.returncode, err))


def main():
    return run_all((test_options, test_outputs, test_interrupt, test_indices_refuse_correlated_inputs, test_indices, test_indices_per_msp, test_one_msp,
                    test_formula_rows, test_indices_interrupt))


if __name__ == "__main__":
    sys.exit(main())

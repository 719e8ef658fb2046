#!/usr/bin/env python3
"""End-to-end checks of `switchcost plan`: options and their located errors,
the three outputs and their agreement, the decision and the frontier, the
EVPI of a two-option decision in closed form, and the same bytes for 1 and
2 threads.

usage: plan_cli_test.py BINARY SOURCE_DIR
"""
import csv
import io
import json
import os
import subprocess
import sys
import tempfile

from checks import check, run_all, strict_json

BIN = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
MSP = os.path.join(SRC, "scenarios", "kaspersky-2024", "msp-350.yaml")
TMP = tempfile.mkdtemp(prefix="switchcost-plan-")
GRID = ["--vary", "labor.technicians=1,2,3", "--vary", "target=bitdefender,eset"]


def run(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=600)


def test_options():
    r = run("plan", "--help")
    check("--help: exit 0, usage, every option", r.returncode == 0 and "usage: switchcost plan" in r.stdout and
          all(o in r.stdout for o in ("--vary", "--require", "--no-value-of-information")), r.stderr)
    check("help lists plan", "  plan FILE... --vary K=a,b " in run("help").stdout)
    cases = [
        (["plan", "--trials", "100"], 2, "plan needs at least one --vary"),
        (["plan", "--vary", "labor.technicians", "--trials", "100"], 2, "--vary 'labor.technicians': takes KEY=VALUE"),
        (["plan", "--vary", "labor.technicians=1,,2", "--trials", "100"], 2, "value 2 is empty"),
        (["plan", "--vary", "labor.technicians=2", "--trials", "100"], 2, "at least two options"),
        (["plan", "--vary", "a=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17", "--vary", "b=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16",
          "--trials", "100"], 2, "17 x 16 options, more than the 256"),
        (["plan", *GRID, "--require", "p_don >= 0.9", "--trials", "100"], 2, "did you mean 'p_done'?"),
        (["plan", *GRID, "--require", "p_done = 0.9", "--trials", "100"], 2, "the operator must be >= or <="),
        (["plan", *GRID, "--require", "cost_p90 <= lots", "--trials", "100"], 2, "'lots' is not a number"),
        (["plan", "--vary", "labor.technician=1,2", "--trials", "100"], 65,
         "--vary labor.technician=1:1:7: unknown key 'technician'"),
        (["plan", "--vary", "target=eset,esset", "--trials", "100"], 65, "did you mean 'eset'?"),
        (["plan", "--vary", "labor.technicians=1,-2", "--trials", "100"], 65, "--vary labor.technicians=-2"),
    ]
    for args, code, text in cases:
        r = run(*args)
        check(f"{' '.join(args[1:4])}: exit {code}, '{text}'", r.returncode == code and text in r.stderr,
              (r.returncode, r.stderr))


def test_outputs():
    docs = {}
    for threads in ("1", "2"):
        j, c = os.path.join(TMP, f"t{threads}.json"), os.path.join(TMP, f"t{threads}.csv")
        r = run("plan", MSP, *GRID, "--require", "p_done >= 0.5", "--trials", "4000", "--threads", threads,
                "--json", j, "--csv", c)
        check(f"threads {threads}: exit 0", r.returncode == 0, r.stderr)
        docs[threads] = (open(j).read(), open(c).read(), r.stdout)
    check("JSON: the same bytes for 1 and 2 threads but manifest.threads",
          docs["1"][0].replace('"threads":1', '"threads":2') == docs["2"][0])
    check("CSV: the same bytes for 1 and 2 threads", docs["1"][1] == docs["2"][1])
    d = strict_json(docs["1"][0])
    check("schema switchcost.plan/1, command plan", d["schema"] == "switchcost.plan/1" and
          d["manifest"]["command"] == "plan" and d["manifest"]["complete"] is True, d.get("manifest"))
    opts = d["options"]
    check("6 options, the last variable fastest", [o["label"] for o in opts][:2] ==
          ["labor.technicians=1 target=bitdefender", "labor.technicians=1 target=eset"] and len(opts) == 6)
    check("choices per option", opts[5]["choices"] == {"labor.technicians": "3", "target": "eset"}, opts[5]["choices"])
    dec = d["decision"]
    rec = dec["recommended"]
    meets = [k for k, o in enumerate(opts) if o["meets"]]
    check("meets = p_done >= 0.5", meets == [k for k, o in enumerate(opts) if o["done_before_updates_stop"]["p"] >= 0.5])
    check("recommended: the cheapest option meeting the constraint",
          rec is not None and rec == min(meets, key=lambda k: opts[k]["total_cost"]["mean"]), (rec, meets))
    check("the recommended option's difference to itself is 0", opts[rec]["vs_reference"]["mean"] == 0)
    if dec["runner_up"] is not None:
        lo = dec["runner_up_minus_recommended"]["ci95"][0]
        check("tie exactly when the runner-up's interval covers 0", dec["tie"] == (lo <= 0), dec)
    front = [f["option"] for f in d["frontier"]]
    def dominated(k):
        ck, pk = opts[k]["total_cost"]["mean"], opts[k]["done_before_updates_stop"]["p"]
        return any(o["total_cost"]["mean"] <= ck and o["done_before_updates_stop"]["p"] >= pk and
                   (o["total_cost"]["mean"] < ck or o["done_before_updates_stop"]["p"] > pk) for o in opts)
    check("frontier: the non-dominated options, by cost",
          sorted(front) == [k for k in range(6) if not dominated(k)] and
          [opts[k]["total_cost"]["mean"] for k in front] == sorted(opts[k]["total_cost"]["mean"] for k in front), front)
    v = d["value_of_information"]
    check("EVPI >= 0 with an SE; EVPPI per input, each >= 0 and sorted",
          v["evpi"] >= 0 and v["evpi_se"] >= 0 and v["evppi"] and all(x["evppi"] >= 0 for x in v["evppi"]) and
          [x["evppi"] for x in v["evppi"]] == sorted((x["evppi"] for x in v["evppi"]), reverse=True), v)
    rows = list(csv.DictReader(io.StringIO(docs["1"][1])))
    orows = [x for x in rows if x["scope"] == "option"]
    check("CSV: a row per option, the JSON's means and flags",
          [x["name"] for x in orows] == [o["label"] for o in opts] and
          all(float(x["cost_mean"]) == o["total_cost"]["mean"] and (x["recommended"] == "true") == (k == rec)
              for k, (x, o) in enumerate(zip(orows, opts))), orows[:1])
    check("CSV: the EVPI, and among the options meeting the constraint",
          [(x["name"], float(x["value"])) for x in rows if x["scope"] == "evpi"] ==
          [("all", v["evpi"])] + ([("meeting", v["meeting"]["evpi"])] if v["meeting"] else []), v["meeting"])
    text = docs["1"][2]
    check("terminal: the recommendation and the EVPI", "Recommended: " + opts[rec]["label"] in text and
          "EVPI $" in text, text)


def test_decisions_block():
    """A `decisions:` block is the grid and constraints --vary and --require
    give; the command line replaces it key by key; its errors point into the
    file, every bad value at once; validate checks it."""
    path = os.path.join(TMP, "decisions.yaml")
    with open(path, "w") as f:
        f.write(f"include: {MSP}\n"
                "decisions:\n"
                "  vary:\n"
                "    labor.technicians: [1, 2, 3]\n"
                "    target: [bitdefender, eset]\n"
                "  require: [\"p_done >= 0.5\"]\n")
    common = ["--trials", "4000", "--quiet", "--json", "-"]
    from_file = run("plan", path, *common)
    given = run("plan", path, *GRID, "--require", "p_done >= 0.5", *common)
    check("decisions block: exit 0", from_file.returncode == 0 and given.returncode == 0,
          (from_file.stderr, given.stderr))
    a, b = strict_json(from_file.stdout), strict_json(given.stdout)
    a.pop("manifest", None), b.pop("manifest", None)
    check("the block gives what the same --vary and --require give", a == b)
    check("its grid and constraint are the file's", [v["key"] for v in a["variables"]] == ["labor.technicians", "target"]
          and len(a["options"]) == 6 and [c["text"] for c in a["constraints"]] == ["p_done >= 0.5"], a.get("variables"))
    over = strict_json(run("plan", path, "--vary", "target=eset,sophos", "--require", "cost_mean <= 40000", *common).stdout)
    check("--vary replaces the file's variable of its key, in place; --require the file's constraints",
          [v["key"] for v in over["variables"]] == ["labor.technicians", "target"] and
          over["variables"][1]["values"] == ["eset", "sophos"] and
          [c["text"] for c in over["constraints"]] == ["cost_mean <= 40000"], (over.get("variables"), over.get("constraints")))
    ok = run("validate", path)
    check("validate counts the block's options", ok.returncode == 0 and "decisions of 6 options" in ok.stdout, ok.stdout)

    bad = os.path.join(TMP, "bad-decisions.yaml")
    with open(bad, "w") as f:
        f.write(f"include: {MSP}\n"
                "decisions:\n"
                "  vary:\n"
                "    labor.techniciens: [1, 2]\n"
                "    target: [eset, sophoss]\n"
                "    start: [2024-07-01, 2024-13-01]\n"
                "    labor.capacity_hours_per_technician_week: [10, {pert: [1, 2]}]\n")
    expected = [f"{bad}:4:5: decision labor.techniciens=1: unknown key 'techniciens'",
                f"{bad}:5:20: decision target=sophoss: target 'sophoss' is not a competitor",
                f"{bad}:6:25: decision start=2024-13-01: 2024-13-01 is not a date",
                f"{bad}:7:59: decision labor.capacity_hours_per_technician_week={{pert: [1, 2]}}: pert takes",
                "4 errors"]
    for command in (["plan", bad, "--trials", "100"], ["validate", bad]):
        r = run(*command)
        lines = r.stderr.splitlines()
        check(f"{command[0]}: every bad decision value, where it is written, exit 65",
              r.returncode == 65 and len(lines) == len(expected) and
              all(line.startswith(e) for line, e in zip(lines, expected)), (r.returncode, r.stderr))
    shapes = [("  vary: {target: []}\n", ":3:18: decision 'target' has no values"),
              ("  vary: {target: [eset, eset]}\n", ":3:25: decision 'target': the value eset is given twice"),
              ("  requir: [x]\n", ":3:3: unknown key 'requir' in decisions; did you mean 'require'?"),
              ("  vary: {target: [eset, sophos]}\n  require: [p_dne >= 1]\n",
               ":4:13: decisions.require 'p_dne >= 1': 'p_dne' is not a measure; did you mean 'p_done'?"),
              ("  vary: [target]\n", ":3:9: expected decisions.vary")]
    for text, message in shapes:
        with open(bad, "w") as f:
            f.write(f"include: {MSP}\ndecisions:\n{text}")
        r = run("plan", bad, "--trials", "100")
        check(f"decisions {text.strip()!r}: {message}", r.returncode == 65 and r.stderr.startswith(bad + message),
              (r.returncode, r.stderr))
    r = run("run", path, "--trials", "100", "--quiet")
    check("run reads past a decisions block", r.returncode == 0, r.stderr)

    # EVPPI assumes independent inputs: correlated ones need --no-value-of-information.
    correlated = os.path.join(SRC, "scenarios", "kaspersky-2024", "population-correlated.yaml")
    r = run("plan", correlated, "--vary", "labor.technicians=1,2", "--trials", "200", "--quiet")
    check("plan on correlated inputs: exit 2 without --no-value-of-information",
          r.returncode == 2 and "EVPPI assumes independent inputs" in r.stderr, (r.returncode, r.stderr))
    r = run("plan", correlated, "--vary", "labor.technicians=1,2", "--trials", "200", "--quiet",
            "--no-value-of-information")
    check("plan on correlated inputs with --no-value-of-information: exit 0", r.returncode == 0, r.stderr)


def test_closed_form_evpi():
    """Cost c = 4,000 against X ~ uniform(0, 10,000), all else equal: EVPI = c^2 / 20,000 = 800."""
    path = os.path.join(TMP, "shop.yaml")
    with open(path, "w") as f:
        f.write("include: [builtin:kaspersky-2024/timeline.yaml, builtin:kaspersky-2024/market.yaml,\n"
                "          builtin:kaspersky-2024/prices/list.yaml, builtin:kaspersky-2024/msp-defaults.yaml]\n"
                "msps:\n  - {name: shop, endpoints: 200, clients: 20}\n")
    vary = "extras=[{name: fee, cost: 4000, per: msp}],[{name: fee, cost: {uniform: [0, 10000]}, per: msp}]"
    r = run("plan", path, "--vary", vary, "--trials", "20000", "--json", "-")
    check("two options from flow values: exit 0", r.returncode == 0, r.stderr)
    if r.returncode != 0:
        return
    v = strict_json(r.stdout)["value_of_information"]
    check(f"EVPI {v['evpi']:.1f} +- {v['evpi_se']:.1f} within 5 SE of 800",
          abs(v["evpi"] - 800) <= 5 * v["evpi_se"] and 5 < v["evpi_se"] < 15, v["evpi"])
    top = v["evppi"][0]
    check("the fee's EVPPI is the EVPI, within 5 SE", top["key"] == "extras.fee" and
          abs(top["evppi"] - 800) <= 5 * v["evpi_se"], top)
    check("no constraint: no EVPI among the options meeting them", v["meeting"] is None, v["meeting"])
    check(f"the fee's EVPPI SE {top['se']:.2f} is the EVPI's {v['evpi_se']:.2f} (the same regret but for one bin)",
          abs(top["se"] - v["evpi_se"]) <= 0.05 * v["evpi_se"] and all(p["se"] >= 0 for p in v["evppi"]), top)

    # With 1 or 4 technicians beside the two fees, p_done >= 0.5 leaves the
    # two 4-technician options, which differ only by the fee: among them
    # EVPI is 800 again, while the choice among all four is worth more.
    r = run("plan", path, "--vary", "labor.technicians=1,4", "--vary", vary, "--require", "p_done >= 0.5",
            "--trials", "20000", "--json", "-")
    check("four options, two meeting p_done >= 0.5: exit 0", r.returncode == 0, r.stderr)
    if r.returncode != 0:
        return
    doc = strict_json(r.stdout)
    v = doc["value_of_information"]
    m = v["meeting"]
    check(f"EVPI among those meeting {m and m['evpi']:.1f} +- {m and m['evpi_se']:.1f} within 5 SE of 800",
          m is not None and m["options"] == 2 and abs(m["evpi"] - 800) <= 5 * m["evpi_se"] and
          [o["meets"] for o in doc["options"]] == [False, False, True, True], m)
    check("the choice among all four is worth at least as much", v["evpi"] >= m["evpi"], (v["evpi"], m["evpi"]))


def main():
    return run_all((test_options, test_outputs, test_decisions_block, test_closed_form_evpi))


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""End-to-end tests of the switchcost binary: the shipped scenarios, the JSON
and CSV it writes, exit codes, the malformed-scenario corpus, interruption.

usage: cli_test.py path/to/switchcost path/to/source-dir
Prints one line per check and 'N passed, N failed' at the end.
"""
import json
import math
import os
import pty
import re
import select
import signal
import stat
import subprocess
import sys
import tempfile
import time

BIN = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
# Set by CMake in the sanitizer builds. Under ThreadSanitizer an exact-mode
# run's time grows much faster than its trials (its shadow memory is faulted
# in as the series are written: population-200 took 41 s at 6,000 trials and
# 98 s at 16,000), so the exact runs that only need some trials take fewer.
SANITIZED = os.environ.get("SWITCHCOST_SANITIZED") == "1"
SCENARIOS = os.path.join(SRC, "scenarios", "kaspersky-2024")
BAD = os.path.join(SRC, "tests", "data", "scenarios", "bad")
TMP = tempfile.mkdtemp(prefix="switchcost-cli-")

passed = 0
failed = 0


def check(name, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {detail}")


run_seconds = []  # (seconds, arguments) of every run, for the slowest list at the end


def run(*args, timeout=300, cwd=None):
    start = time.monotonic()
    r = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd)
    run_seconds.append((time.monotonic() - start, " ".join(os.path.basename(a) for a in args)))
    return r


def strict_json(text):
    def no_constants(name):
        raise ValueError(f"non-finite number {name} in JSON")
    return json.loads(text, parse_constant=no_constants)


def tmp(name):
    return os.path.join(TMP, name)


def signal_mid_run(args, sig, min_done=1, timeout=120):
    """Starts `switchcost ARGS` with its standard error on a pseudo-terminal, so
    that it shows its progress line, and sends SIG once that line says at least
    MIN_DONE trials are done: the signal arrives mid-run however fast the
    machine is (no sleep to guess). Returns (process, stderr text) after the
    process ends; the process is None when it did not end within TIMEOUT s."""
    master, slave = pty.openpty()
    p = subprocess.Popen([BIN, *args], stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    err, sent, deadline = "", False, time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(master, 4096).decode(errors="replace")
                except OSError:  # EIO: every writer of the terminal has closed it
                    chunk = ""
                if not chunk:
                    break
                err += chunk
            if not sent:
                done = [int(d) for d in re.findall(r"\((\d+) / \d+ trials\)", err)]
                if done and done[-1] >= min_done:
                    p.send_signal(sig)
                    sent = True
            elif p.poll() is not None and not ready:
                break
        if p.poll() is None:
            try:
                p.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                return None, err
        return p, err
    finally:
        os.close(master)


def check_stats(where, stats):
    keys = ["n", "mean", "se", "sd", "min", "max", "cvar95", "p5", "p10", "p50", "p90", "p95", "p99"]
    missing = [k for k in keys if k not in stats]
    check(f"{where}: has every statistic", not missing, f"missing {missing}")
    if missing:
        return
    ordered = stats["min"] <= stats["p5"] <= stats["p10"] <= stats["p50"] <= stats["p90"] <= stats["p95"] <= stats["p99"] <= stats["max"]
    check(f"{where}: percentiles in order", ordered, json.dumps(stats))
    # Compound costs: se is the conditional-expectation mean's, sampled_se the costs drawn's.
    se = stats["sampled_se"] if "sampled_se" in stats else stats["se"]
    check(f"{where}: se = sd / sqrt(n)", math.isclose(se, stats["sd"] / math.sqrt(stats["n"]), rel_tol=1e-9, abs_tol=1e-12), json.dumps(stats))
    check(f"{where}: cvar95 >= p95", stats["cvar95"] >= stats["p95"] - 1e-9 * abs(stats["p95"]), json.dumps(stats))
    for p in ["p50", "p90"]:
        lo, hi = stats["ci95"][p]
        check(f"{where}: {p} inside its interval", lo <= stats[p] <= hi, f"{lo} {stats[p]} {hi}")


def test_default_run():
    out_json, out_csv = tmp("default.json"), tmp("default.csv")
    r = run("run", "--trials", "20000", "--seed", "7", "--json", out_json, "--csv", out_csv)
    check("default run exits 0", r.returncode == 0, r.stderr)
    check("default run prints the table", "MSP " in r.stdout and "total" in r.stdout and "P(done before updates stop, 2024-09-29 00:00)" in r.stdout, r.stdout)
    doc = strict_json(open(out_json).read())
    check("schema is switchcost.run/2", doc["schema"] == "switchcost.run/2", doc.get("schema"))
    m = doc["manifest"]
    check("manifest: trials, seed, complete", m["trials"] == 20000 and m["seed"] == 7 and m["complete"] is True, json.dumps(m))
    check("manifest: default scenario", m["arguments"] == ["builtin:kaspersky-2024/msp-350.yaml"], json.dumps(m["arguments"]))
    paths = [i["path"] for i in m["inputs"]]
    check("manifest: every file read, with its SHA-256", "builtin:kaspersky-2024/market.yaml" in paths and all(len(i["sha256"]) == 64 for i in m["inputs"]), json.dumps(m["inputs"]))
    check("one MSP", len(doc["msps"]) == 1, len(doc["msps"]))
    msp = doc["msps"][0]
    check("350 endpoints", abs(msp["endpoints_mean"] - 350) < 1e-9, msp["endpoints_mean"])
    outs = msp["outputs"]
    # Every cost line, the registered ones included: the keys ending in _cost before the total.
    keys = list(outs)
    lines = keys[:keys.index("total_cost")]
    check("the core cost lines come first", lines[:6] == ["labor_cost", "pricing_cost", "lost_updates_cost", "stranded_cost", "refund_cost", "extras_cost"] and all(k.endswith("_cost") for k in lines), keys)
    for key in lines + ["total_cost", "duration_days"]:
        check_stats(f"msp {key}", outs[key])
    parts = sum(outs[k]["mean"] for k in lines)
    check("total mean = sum of component means", math.isclose(parts, outs["total_cost"]["mean"], rel_tol=1e-9, abs_tol=1e-6), f"{parts} vs {outs['total_cost']['mean']}")
    check("labor costs something", outs["labor_cost"]["mean"] > 0, outs["labor_cost"]["mean"])
    p = msp["done_before_updates_stop"]["p"]
    check("P(done before updates stop) is a probability", 0 <= p <= 1, p)
    # The reported case: a previous AV migration of 300-400 endpoints took about two months.
    med = outs["duration_days"]["p50"]
    check("median duration about two months (45-80 days)", 45 <= med <= 80, med)
    csv = open(out_csv).read().splitlines()
    check("CSV header", csv[0].startswith("scope,name,output,n,mean,se,sd,min,p5,p10,p50,p90,p95,p99,max,cvar95"), csv[0])
    check("CSV rows: every output x (MSP + portfolio)", len(csv) == 1 + 2 * len(outs), (len(csv), len(outs)))
    row = [r for r in csv if r.startswith("msp,") and ",total_cost," in r][0].split(",")
    check("CSV mean equals JSON mean", float(row[4]) == outs["total_cost"]["mean"], f"{row[4]} vs {outs['total_cost']['mean']}")


def test_thread_independence():
    outs = {}
    for threads in ["1", "2", "3"]:
        j, c = tmp(f"t{threads}.json"), tmp(f"t{threads}.csv")
        r = run("run", os.path.join(SCENARIOS, "portfolio.yaml"), "--trials", "30000", "--threads", threads,
                "--block-trials", "1000" if threads == "3" else "4096", "--json", j, "--csv", c, "--quiet")
        check(f"portfolio run with {threads} threads exits 0", r.returncode == 0, r.stderr)
        doc = strict_json(open(j).read())
        doc["manifest"].pop("threads")
        outs[threads] = (json.dumps(doc, sort_keys=True), open(c, "rb").read())
    check("JSON identical for 1, 2, 3 threads and block sizes", outs["1"][0] == outs["2"][0] == outs["3"][0])
    check("CSV byte-identical for 1, 2, 3 threads", outs["1"][1] == outs["2"][1] == outs["3"][1])


def test_portfolio():
    j = tmp("portfolio.json")
    r = run("run", os.path.join(SCENARIOS, "portfolio.yaml"), "--trials", "20000", "--json", j)
    check("portfolio run exits 0", r.returncode == 0, r.stderr)
    doc = strict_json(open(j).read())
    check("portfolio has 3 MSPs", len(doc["msps"]) == 3, [m["name"] for m in doc["msps"]])
    total = sum(m["outputs"]["total_cost"]["mean"] for m in doc["msps"])
    check("portfolio mean = sum of MSP means", math.isclose(total, doc["portfolio"]["outputs"]["total_cost"]["mean"], rel_tol=1e-9),
          f"{total} vs {doc['portfolio']['outputs']['total_cost']['mean']}")
    check("portfolio table printed", "Portfolio: 3 MSPs" in r.stdout, r.stdout[-500:])
    # Several files form one portfolio, same as a file including them.
    files = [os.path.join(SCENARIOS, f) for f in ["msp-60.yaml", "msp-350.yaml", "msp-2500.yaml"]]
    j2 = tmp("three.json")
    r = run("run", *files, "--trials", "20000", "--json", j2, "--quiet")
    check("three files run as one portfolio", r.returncode == 0, r.stderr)
    doc2 = strict_json(open(j2).read())
    check("three files = portfolio.yaml", doc2["portfolio"]["outputs"] == doc["portfolio"]["outputs"])
    check_stats("portfolio total", doc["portfolio"]["outputs"]["total_cost"])


def test_shipped_scenarios_validate():
    files = []
    for root, _, names in os.walk(SCENARIOS):
        files += [os.path.join(root, n) for n in names if n.startswith("msp-") and n.endswith(".yaml") and n != "msp-defaults.yaml"]
    files.append(os.path.join(SCENARIOS, "portfolio.yaml"))
    r = run("validate", *files)
    check("shipped scenarios validate", r.returncode == 0, r.stdout + r.stderr)


def expected_of(path):
    with open(path, "rb") as f:
        first = f.readline().decode("utf-8", "replace")
    if first.startswith("# expect: "):
        loc, _, fragment = first[len("# expect: "):].strip().partition(": ")
        return loc, fragment
    return None


def test_error_corpus():
    count = 0
    for name in sorted(os.listdir(BAD)):
        path = os.path.join(BAD, name)
        if name == "empty.yaml":
            exp = (None, "empty")
        else:
            exp = expected_of(path)
        if exp is None:
            continue
        count += 1
        loc, fragment = exp
        r = run("validate", path)
        if loc and ".yaml:" in loc:  # the error is in another file of the corpus
            other, _, loc = loc.partition(":")
            where = f"{os.path.join(BAD, other)}:{loc}: "
        else:
            where = f"{path}:{loc}: " if loc else path
        ok = r.returncode == 65 and where in r.stderr and fragment in r.stderr
        check(f"bad scenario {name}: exit 65 at {loc}", ok, f"exit {r.returncode}, stderr: {r.stderr.strip()} (expected '{where}' and '{fragment}')")
        check(f"bad scenario {name}: one line, no crash", r.stderr.count("\n") == 1 and "switchcost: internal error" not in r.stderr, r.stderr)
    check("error corpus has at least a dozen cases", count >= 12, count)


def test_exit_codes():
    cases = [
        (["run", "--no-such-option"], 2),
        (["run", "--trials", "0"], 2),
        (["run", "--trials", "-5"], 2),
        (["run", "--trials", "12x"], 2),
        (["run", "--threads", "100000"], 2),
        (["frobnicate"], 2),
        ([], 2),
        (["validate"], 2),
        (["run", "--trials", "100000000000"], 2),
        (["run", "--trials", "1000000000", "--max-memory-gib", "1"], 2),
        (["run", os.path.join(TMP, "missing.yaml")], 65),
        (["run", TMP], 65),
        (["run", "/dev/zero"], 65),
        (["run", "--trials", "1000", "--json", "/nonexistent-dir/out.json"], 74),
        (["run", "--trials", "1000", "--json", "/dev/full"], 74),
        (["run", "--trials", "1000", "--csv", TMP], 74),
        (["help"], 0),
        (["version"], 0),
        (["run", "--help"], 0),
    ]
    for args, code in cases:
        r = run(*args)
        check(f"exit {code} for {' '.join(args) or '(no arguments)'}", r.returncode == code, f"got {r.returncode}: {r.stderr.strip()}")
        if code != 0:
            check(f"message for {' '.join(args) or '(no arguments)'}", r.stderr.strip() != "" and "switchcost: internal error" not in r.stderr, r.stderr)
    check("/dev/full is still a device", stat.S_ISCHR(os.stat("/dev/full").st_mode))
    r = run("run", "--trials", "100", "--json", "/dev/null", "--quiet")
    check("writing to /dev/null works and leaves it a device", r.returncode == 0 and stat.S_ISCHR(os.stat("/dev/null").st_mode), r.stderr)
    # The memory refusal states the estimate.
    r = run("run", "--trials", "1000000000", "--max-memory-gib", "1")
    check("memory refusal states the estimate", "GiB" in r.stderr and "need about" in r.stderr, r.stderr)


def test_outputs_never_half_written():
    scenario = tmp("copy.yaml")
    with open(scenario, "w") as f:
        f.write("include: [builtin:kaspersky-2024/msp-350.yaml]\n")
    r = run("run", scenario, "--trials", "100", "--json", scenario)
    check("output equal to an input is refused", r.returncode == 2 and open(scenario).read().startswith("include"), r.stderr)
    target = tmp("keep.json")
    with open(target, "w") as f:
        f.write("old results\n")
    r = run("run", os.path.join(BAD, "typo-key.yaml"), "--json", target)
    check("bad scenario leaves the old output untouched", r.returncode == 65 and open(target).read() == "old results\n", r.stderr)
    r = run("run", "--trials", "2000", "--json", target, "--quiet")
    check("good run replaces the output", r.returncode == 0 and strict_json(open(target).read())["manifest"]["complete"], r.stderr)
    leftovers = [n for n in os.listdir(TMP) if ".tmp-" in n]
    check("no temporary files left behind", not leftovers, leftovers)
    r = run("run", "--trials", "2000", "--json", "-", "--quiet")
    check("--json - writes JSON to standard output", r.returncode == 0 and strict_json(r.stdout)["manifest"]["trials"] == 2000, r.stderr)


def test_interrupt(sig, code):
    # 30,000,000 trials of the 3-MSP portfolio would take tens of seconds; the
    # signal comes once the progress line shows trials done.
    j = tmp(f"partial-{sig}.json")
    p, err = signal_mid_run(["run", os.path.join(SCENARIOS, "portfolio.yaml"), "--trials", "30000000",
                             "--threads", "2", "--json", j, "--max-memory-gib", "16"], sig)
    if p is None:
        check(f"signal {sig} stops the run", False, "did not stop within 120 s")
        return
    check(f"signal {sig}: exit {code}", p.returncode == code, f"got {p.returncode}: {err[-500:]}")
    check(f"signal {sig}: the progress line says the time left",
          re.search(r"% \(\d+ / 30000000 trials\), about \d+(\.\d)? (s|min|h) left", err), err[-300:])
    if os.path.exists(j):
        doc = strict_json(open(j).read())
        m = doc["manifest"]
        check(f"signal {sig}: partial results marked", m["complete"] is False and 0 < m["trials"] < 30000000, json.dumps(m))
        check(f"signal {sig}: trials done are whole blocks", m["trials"] % 4096 == 0, m["trials"])
    else:
        check(f"signal {sig}: partial results written", False, "no JSON")


def compare_json(*args, name="compare"):
    j, c = tmp(f"{name}.json"), tmp(f"{name}.csv")
    r = run("compare", *args, "--json", j, "--csv", c, cwd=SCENARIOS)
    check(f"{name}: exits 0", r.returncode == 0, r.stderr)
    if r.returncode != 0:
        return r, None, None
    return r, strict_json(open(j).read()), open(c).read().splitlines()


def check_compare_doc(name, doc, n_alternatives, n_msps):
    check(f"{name}: schema switchcost.compare/2", doc["schema"] == "switchcost.compare/2", doc.get("schema"))
    check(f"{name}: manifest complete", doc["manifest"]["complete"] is True and doc["manifest"]["command"] == "compare",
          json.dumps(doc["manifest"])[:300])
    alts = doc["alternatives"]
    check(f"{name}: {n_alternatives} alternatives", len(alts) == n_alternatives, [a["label"] for a in alts])
    check(f"{name}: the first is the baseline", alts[0]["baseline"] and not any(a["baseline"] for a in alts[1:]))
    base = alts[0]
    check(f"{name}: baseline differs from itself by exactly 0",
          base["vs_baseline"]["mean"] == 0 and base["vs_baseline"]["se"] == 0, json.dumps(base["vs_baseline"]))
    for a in alts:
        check_stats(f"{name}: {a['label']} total", a["total_cost"])
        d = a["vs_baseline"]
        # Paired: the mean difference is the difference of the means.
        expected = a["total_cost"]["mean"] - base["total_cost"]["mean"]
        check(f"{name}: {a['label']} mean difference = difference of means",
              math.isclose(d["mean"], expected, rel_tol=1e-9, abs_tol=1e-6 * abs(base["total_cost"]["mean"])),
              f"{d['mean']} vs {expected}")
        lo, hi = d["ci95"]
        check(f"{name}: {a['label']} CI brackets the difference", lo <= d["mean"] <= hi, json.dumps(d))
        check(f"{name}: {a['label']} P(cheaper) in [0,1]", 0 <= d["p_cheaper"] <= 1, d["p_cheaper"])
    ranks = sorted(a["rank"] for a in alts)
    by_mean = sorted(alts, key=lambda a: a["total_cost"]["mean"])
    check(f"{name}: rank 1 has the lowest mean", by_mean[0]["rank"] == 1, [(a["label"], a["rank"]) for a in alts])
    check(f"{name}: ranks between 1 and {n_alternatives}", ranks[0] == 1 and ranks[-1] <= n_alternatives, ranks)
    total_cheapest = sum(a["p_cheapest"] for a in alts)
    check(f"{name}: P(cheapest) sums to 1 for the portfolio", math.isclose(total_cheapest, 1, abs_tol=1e-9), total_cheapest)
    check(f"{name}: {n_msps} MSPs in the per-MSP choice", len(doc["msps"]) == n_msps, len(doc["msps"]))
    bad = [m["name"] for m in doc["msps"]
           if len(m["by_alternative"]) != n_alternatives
           or not math.isclose(sum(x["p_cheapest"] for x in m["by_alternative"]), 1, abs_tol=1e-9)]
    check(f"{name}: every MSP has each alternative and P(cheapest) summing to 1", not bad, bad[:5])
    msp_sum = sum(m["by_alternative"][0]["mean"] for m in doc["msps"])
    check(f"{name}: baseline MSP means add up to the portfolio mean",
          math.isclose(msp_sum, base["total_cost"]["mean"], rel_tol=1e-9), f"{msp_sum} vs {base['total_cost']['mean']}")


def test_compare_price_scenarios():
    """The analyst's job on the shipped files: the portfolio under the three price sets."""
    r, doc, csv = compare_json("--base", "portfolio.yaml", "--variant", "prices/surge.yaml",
                               "--variant", "prices/promo.yaml", "--trials", "20000", name="prices")
    if doc is None:
        return
    check_compare_doc("prices", doc, 3, 3)
    check("prices: manifest arguments are --base then each --variant",
          doc["manifest"].get("arguments") == ["portfolio.yaml", "prices/surge.yaml", "prices/promo.yaml"],
          json.dumps(doc["manifest"].get("arguments")))
    alts = {a["label"]: a for a in doc["alternatives"]}
    check("prices: labels are the variant names", set(alts) == {"portfolio", "surge", "promo"}, list(alts))
    surge, promo = alts["surge"]["vs_baseline"], alts["promo"]["vs_baseline"]
    # A surge raises every price above list, so it costs more in every trial
    # (common random numbers); promotions lower it.
    check("prices: surge costs more, interval above 0", surge["ci95"][0] > 0, json.dumps(surge))
    check("prices: promo costs less, interval below 0", promo["ci95"][1] < 0, json.dumps(promo))
    check("prices: promo ranks first, surge last", alts["promo"]["rank"] == 1 and alts["surge"]["rank"] == 3,
          {k: a["rank"] for k, a in alts.items()})
    # Common random numbers: the paired SE is far below the independent one.
    independent = math.hypot(alts["surge"]["total_cost"]["se"], alts["portfolio"]["total_cost"]["se"])
    check("prices: paired SE < independent SE / 5", surge["se"] < independent / 5, f"{surge['se']} vs {independent}")
    check("prices: table shows the paired differences", "vs baseline (95% CI)" in r.stdout and "surge" in r.stdout, r.stdout[:800])
    check("prices: CSV header", csv[0].startswith("scope,name,alternative,baseline,mean,se,p50,p90,p95,cvar95,diff_mean"), csv[0])
    rows = [x.split(",") for x in csv[1:]]
    check("prices: CSV has 3 portfolio rows and 3 x 3 MSP rows",
          sum(x[0] == "portfolio" for x in rows) == 3 and sum(x[0] == "msp" for x in rows) == 9, len(rows))
    surge_row = [x for x in rows if x[0] == "portfolio" and x[2] == "surge"][0]
    check("prices: CSV mean equals JSON mean", float(surge_row[4]) == alts["surge"]["total_cost"]["mean"], surge_row)

    # Order independence: listing the variants the other way round changes nothing but the order.
    _, doc2, _ = compare_json("--base", "portfolio.yaml", "--variant", "prices/promo.yaml",
                              "--variant", "prices/surge.yaml", "--trials", "20000", name="prices-reversed")
    if doc2 is not None:
        alts2 = {a["label"]: a for a in doc2["alternatives"]}
        same = all(alts2[k]["total_cost"] == alts[k]["total_cost"] and alts2[k]["vs_baseline"] == alts[k]["vs_baseline"]
                   for k in alts)
        check("prices: results do not depend on the order of the variants", same)

    # Overlaying the list prices the base already uses changes nothing: exactly 0.
    _, doc3, _ = compare_json("--base", "portfolio.yaml", "--variant", "prices/list.yaml", "--trials", "5000", name="prices-same")
    if doc3 is not None:
        d = doc3["alternatives"][1]["vs_baseline"]
        check("prices: the same price set overlaid differs by exactly 0",
              d["mean"] == 0 and d["se"] == 0 and d["ci95"] == [0, 0], json.dumps(d))

    # Whole files as alternatives, and the thread count does not matter.
    outs = []
    for threads in ["1", "2"]:
        j = tmp(f"files-{threads}.json")
        r = run("compare", "msp-350.yaml", "msp-350.yaml", "--trials", "10000", "--threads", threads, "--json", j, "--quiet",
                cwd=SCENARIOS)
        check(f"compare two files with {threads} thread(s) exits 0", r.returncode == 0, r.stderr)
        doc4 = strict_json(open(j).read())
        d = doc4["alternatives"][1]["vs_baseline"]
        check(f"two identical files differ by exactly 0 ({threads} thread(s))", d["mean"] == 0 and d["se"] == 0, json.dumps(d))
        doc4["manifest"].pop("threads")
        doc4["manifest"].pop("seconds", None)
        outs.append(json.dumps(doc4, sort_keys=True))
    check("compare JSON identical for 1 and 2 threads", outs[0] == outs[1])


def test_compare_targets_population():
    """Which competitor is cheapest for each of the 200 generated MSPs."""
    targets = ["bitdefender", "eset", "sophos", "microsoft-defender"]
    r, doc, _ = compare_json("--base", "population-200.yaml", "--targets", ",".join(targets), "--trials", "2000",
                             name="targets")
    if doc is None:
        return
    check_compare_doc("targets", doc, 4, 200)
    check("targets: manifest arguments are the base", doc["manifest"].get("arguments") == ["population-200.yaml"],
          json.dumps(doc["manifest"].get("arguments")))
    labels = [a["label"] for a in doc["alternatives"]]
    check("targets: one alternative per competitor, in the order given", labels == [f"target={t}" for t in targets], labels)
    check("targets: table lists the top MSPs and says the rest are in the JSON", "20 of 200 shown" in r.stdout, r.stdout[:1500])


def npy_column(path, name):
    """One field of a --samples .npy file (float64 records after a uint64
    trial index), read by the format's rules without NumPy."""
    import ast
    with open(path, "rb") as f:
        data = f.read()
    length = int.from_bytes(data[8:12], "little")
    header = ast.literal_eval(data[12:12 + length].decode("latin1"))
    names = [n for n, _ in header["descr"]]
    values = memoryview(data)[12 + length:].cast("d")
    return values[names.index(name)::len(names)].tolist()


def day_number(iso):
    import datetime
    return (datetime.date.fromisoformat(iso) - datetime.date(1970, 1, 1)).days


def test_msp_stats_sketch():
    """--msp-stats sketch: per-MSP statistics in bounded memory, against exact mode on the 200-MSP population."""
    pop = os.path.join(SCENARIOS, "population-200.yaml")
    docs = {}
    # Sanitized: 3,000 trials in blocks of 1,000, so both threads still share several blocks.
    trials = ["--trials", "3000", "--block-trials", "1000"] if SANITIZED else ["--trials", "6000"]
    samples = tmp("msp-stats-exact.npy")  # exact mode's per-MSP series, for the bound of a percentile
    for mode in ["exact", "sketch"]:
        j = tmp(f"msp-stats-{mode}.json")
        keep = ["--samples", samples] if mode == "exact" else []
        r = run("run", pop, *trials, "--msp-stats", mode, "--json", j, "--threads", "2", *keep)
        check(f"--msp-stats {mode}: exits 0", r.returncode == 0, r.stderr)
        if r.returncode != 0:
            return
        docs[mode] = strict_json(open(j).read())
        note = "quantile sketches (within 0.5% relative)" in r.stdout
        check(f"--msp-stats {mode}: table {'notes' if mode == 'sketch' else 'does not note'} the sketch",
              note == (mode == "sketch"), r.stdout[-600:])
    exact, sketch = docs["exact"], docs["sketch"]
    check("manifest: msp_stats exact", exact["manifest"].get("msp_stats") == "exact" and
          "sketch_relative_error" not in exact["manifest"], json.dumps(exact["manifest"])[:300])
    check("manifest: msp_stats sketch, relative error 0.005", sketch["manifest"].get("msp_stats") == "sketch" and
          sketch["manifest"].get("sketch_relative_error") == 0.005, json.dumps(sketch["manifest"])[:300])
    check("sketch: the portfolio is exact, identical to exact mode", sketch["portfolio"] == exact["portfolio"])
    alpha = 0.005 * (1 + 1e-9)
    origin = day_number(exact["timeline"]["migration_start"])  # completion days are sketched from here
    problems = []
    for a, b in zip(exact["msps"], sketch["msps"]):
        for key in ["name", "incumbent", "target", "endpoints_mean", "clients_mean", "done_before_updates_stop"]:
            if a[key] != b[key]:
                problems.append(f"{a['name']} {key}: {a[key]} vs {b[key]}")
        for key in ["tail_mean", "tail_share"]:
            if not math.isclose(a[key], b[key], rel_tol=1e-12, abs_tol=1e-300):
                problems.append(f"{a['name']} {key}: {a[key]} vs {b[key]}")
        # Dates are the completion days rounded down, so within alpha of the
        # span after the origin, plus the rounding's day.
        for p, date in a["completion_date"].items():
            span = abs(a["outputs"]["completion_day"][p] - origin)
            if abs(day_number(date) - day_number(b["completion_date"][p])) > alpha * span + 1:
                problems.append(f"{a['name']} completion {p}: {date} vs {b['completion_date'][p]} (span {span:.1f} days)")
        for output, sa in a["outputs"].items():
            sb = b["outputs"][output]
            where = f"{a['name']} {output}"
            for key in ["n", "min", "max"]:
                if sa[key] != sb[key]:
                    problems.append(f"{where} {key}: {sa[key]} vs {sb[key]}")
            scale = abs(sa["mean"]) + sa["sd"]
            for key in ["mean", "sd", "se"]:
                if abs(sa[key] - sb[key]) > 1e-12 * max(abs(sa[key]), 1e-3 * scale):
                    problems.append(f"{where} {key}: {sa[key]} vs {sb[key]}")
            shift = origin if output == "completion_day" else 0
            for key in ["p5", "p10", "p50", "p90", "p95", "p99", "cvar95"]:
                if abs(sa[key] - sb[key]) <= alpha * abs(sa[key] - shift) + 1e-9:
                    continue
                # The documented bound (sim/stats/sketch.h) is alpha relative to
                # the order statistics the value is made of: the two a type-7
                # percentile interpolates (which may differ in sign or size:
                # a cost near 0), the top 5% for CVaR95. Checked on the series.
                xs = sorted(x - shift for x in npy_column(samples, f"msp.{a['name']}.{output}"))
                if key == "cvar95":
                    top = xs[len(xs) - max(1, math.ceil(0.05 * len(xs))):]
                    bound = alpha * sum(abs(x) for x in top) / len(top)
                else:
                    h = (len(xs) - 1) * int(key[1:]) / 100
                    rank = int(math.floor(h))
                    bound = alpha * max(abs(xs[rank]), abs(xs[min(rank + 1, len(xs) - 1)]))
                if abs(sa[key] - sb[key]) > bound + 1e-9:
                    problems.append(f"{where} {key}: {sa[key]} vs {sb[key]} (bound {bound})")
            for key, (lo, hi) in sa["ci95"].items():
                lo2, hi2 = sb["ci95"][key]
                if abs(lo - lo2) > alpha * abs(lo - shift) + 1e-9 or abs(hi - hi2) > alpha * abs(hi - shift) + 1e-9:
                    problems.append(f"{where} ci95 {key}: {[lo, hi]} vs {[lo2, hi2]}")
            check_ok = sb["min"] <= sb["p5"] <= sb["p50"] <= sb["p99"] <= sb["max"] and sb["cvar95"] >= sb["p95"] - 1e-9 * abs(sb["p95"])
            if not check_ok:
                problems.append(f"{where}: sketched statistics out of order: {json.dumps(sb)}")
    check("sketch vs exact: means/sd/SE within 1e-12, percentiles/intervals/CVaR95 within 0.5% of their order "
          "statistics, tail shares, "
          "P(done), min and max identical", not problems, "; ".join(problems[:10]))
    shares = sum(m["tail_share"] for m in sketch["msps"])
    check("sketch: tail shares add up to 1", math.isclose(shares, 1, rel_tol=1e-9), shares)
    # Sketch mode is the same bytes for any thread count.
    j1 = tmp("msp-stats-sketch-1.json")
    r = run("run", pop, *trials, "--msp-stats", "sketch", "--json", j1, "--threads", "1", "--quiet")
    one = strict_json(open(j1).read()) if r.returncode == 0 else None
    if one:
        one["manifest"].pop("threads")
        two = json.loads(json.dumps(sketch))
        two["manifest"].pop("threads")
        check("sketch: JSON identical for 1 and 2 threads", one == two)
    # auto: exact for a lone MSP and while the per-MSP series take at most
    # 16 MiB, else sketch (measured as fast or faster, in far less memory:
    # docs/performance.md), whatever the memory limit. The series take 8 B
    # per output and MSP-trial; the outputs are counted in a run's JSON, so
    # that a new cost line (one more output) moves the cut-off here too.
    j = tmp("msp-stats-outputs.json")
    r = run("run", "--trials", "100", "--json", j, "--quiet")
    outputs = len(strict_json(open(j).read())["portfolio"]["outputs"]) if r.returncode == 0 else 14
    cut = (16 << 20) // (200 * outputs * 8)  # 200 MSPs: 748 trials with 14 outputs
    below, above = str(cut * 9 // 10), str(cut * 11 // 10 + 1)
    for scenario, trials, limit, want in [(pop, below, [], "exact"), (pop, above, [], "sketch"),
                                          (pop, "16000", [], "sketch"), (pop, below, ["--max-memory-gib", "1"], "exact"),
                                          (None, "200000", [], "exact")]:
        j = tmp(f"msp-stats-auto-{want}.json")
        r = run("run", *([scenario] if scenario else []), "--trials", trials, "--json", j, "--quiet", *limit)
        mode = strict_json(open(j).read())["manifest"].get("msp_stats") if r.returncode == 0 else r.stderr
        what = "population-200" if scenario else "the lone MSP"
        check(f"--msp-stats auto, {what}, {trials} trials {' '.join(limit)}: {want}", mode == want, mode)
    # Memory checks use the chosen mode's estimate, and say how to fit.
    r = run("run", pop, "--trials", "1000000", "--msp-stats", "exact", "--max-memory-gib", "1")
    check("exact mode too big: refused with the estimate and the advice to sketch",
          r.returncode == 2 and "need about" in r.stderr and "--msp-stats sketch" in r.stderr, r.stderr)
    r = run("run", pop, "--trials", "1000000000", "--msp-stats", "sketch", "--max-memory-gib", "4")
    check("sketch mode too big (the portfolio series): refused with the estimate",
          r.returncode == 2 and "need about" in r.stderr and "sketch" in r.stderr, r.stderr)
    r = run("run", "--trials", "100", "--msp-stats", "fast")
    check("--msp-stats fast: usage error", r.returncode == 2 and "--msp-stats" in r.stderr, r.stderr)
    r = run("compare", "--base", pop, "--targets", "eset,sophos", "--trials", "100000000", "--max-memory-gib", "1")
    check("compare too big: refused with the estimate (no sketch mode there)",
          r.returncode == 2 and "need about" in r.stderr and "compare keeps" in r.stderr, r.stderr)
    r = run("compare", "--base", pop, "--targets", "eset,sophos", "--msp-stats", "sketch")
    check("compare has no --msp-stats", r.returncode == 2, r.stderr)
    # Interrupted in sketch mode: partial results, still with tail shares.
    j = tmp("msp-stats-partial.json")
    p, err = signal_mid_run(["run", pop, "--trials", "2000000", "--msp-stats", "sketch", "--threads", "2",
                             "--json", j], signal.SIGINT)
    if p is None:
        check("sketch: SIGINT stops the run", False, "did not stop within 120 s")
        return
    check("sketch: SIGINT exits 130", p.returncode == 130, f"got {p.returncode}: {err}")
    if os.path.exists(j):
        doc = strict_json(open(j).read())
        m = doc["manifest"]
        check("sketch: partial results marked, whole blocks", m["complete"] is False and m["msp_stats"] == "sketch" and
              0 < m["trials"] < 2000000 and m["trials"] % 4096 == 0, json.dumps(m)[:300])
        check("sketch: partial results have tail shares adding up to 1",
              math.isclose(sum(x["tail_share"] for x in doc["msps"]), 1, rel_tol=1e-9))
    else:
        check("sketch: partial results written", False, "no JSON")


def test_command_and_format_tables():
    """help and the unknown-command message list the same commands, each of
    which runs; run and compare offer the same output formats, and render
    only those asked for."""
    r = run("no-such-command")
    m = re.search(r"commands are ([a-z, -]+)", r.stderr)
    check("unknown command: exit 2, the commands listed", r.returncode == 2 and m is not None, r.stderr)
    if m is None:
        return
    names = m.group(1).split(", ")
    check("unknown command: the commands in help's order",
          names == ["run", "estimate", "compare", "sensitivity", "plan", "init", "validate", "builtin", "help", "version"],
          names)
    text = run("help").stdout
    for name in names:
        check(f"help lists {name}", re.search(rf"^  (\S+, )*{name}\b", text, re.M) is not None, text)
        r = run(name, "--help")
        check(f"{name} --help: exit 0 with text", r.returncode == 0 and r.stdout.strip() != "", r.stderr)
    formats = {}
    for name in ("run", "compare"):
        formats[name] = re.findall(r"^  --([a-z]+) arg +write the results as", run(name, "--help").stdout, re.M)
    check("run and compare offer the same output formats", formats["run"] == formats["compare"] and
          formats["run"][:2] == ["json", "csv"], formats)
    # Only the format asked for is written; the other's path stays absent.
    for name, args in (("run", []), ("compare", ["--targets", "eset,sophos"])):
        j, c = tmp(f"only-json-{name}.json"), tmp(f"only-json-{name}.csv")
        r = run(name, *args, "--trials", "500", "--json", j, "--quiet")
        check(f"{name} --json alone: JSON written, no CSV", r.returncode == 0 and os.path.exists(j) and
              not os.path.exists(c) and strict_json(open(j).read())["manifest"]["command"] == name, r.stderr)


def test_sampling():
    """--sampling lhs and sobol: the same bytes for 1 and 2 threads, named in
    the manifest (absent under mc), and the combinations refused (exit 2)."""
    msp = os.path.join(SCENARIOS, "msp-350.yaml")
    for method in ["lhs", "sobol"]:
        docs = []
        for threads in ["1", "2"]:
            r = run("run", msp, "--trials", "20000", "--sampling", method, "--threads", threads, "--json", "-")
            check(f"run --sampling {method} with {threads} thread(s) exits 0", r.returncode == 0, r.stderr)
            doc = strict_json(r.stdout)
            doc["manifest"].pop("threads")
            docs.append(json.dumps(doc, sort_keys=True))
        check(f"--sampling {method}: JSON identical for 1 and 2 threads", docs[0] == docs[1])
        manifest = json.loads(docs[0])["manifest"]
        check(f"--sampling {method} is in the manifest", manifest.get("sampling") == method, json.dumps(manifest))
    r = run("run", msp, "--trials", "2000", "--json", "-")
    check("mc runs' manifests have no sampling field", "sampling" not in strict_json(r.stdout)["manifest"])
    r = run("run", msp, "--trials", "16384", "--sampling", "sobol")
    check("the table names sobol and its replicates", r.returncode == 0 and "sampling: scrambled Sobol' points, 8 replicates" in r.stdout,
          r.stdout[:400])
    # Staged runs: each stage a whole sobol run of its own trials, so the stages do not depend on the threads.
    stages = []
    for threads in ["1", "2"]:
        r = run("run", msp, "--trials", "4096", "--sampling", "sobol", "--target-rse", "0.0005", "--threads", threads,
                "--json", "-")
        check(f"--sampling sobol --target-rse with {threads} thread(s) exits 0", r.returncode == 0, r.stderr)
        stages.append(strict_json(r.stdout)["manifest"]["stopping"]["stages"])
    check("--sampling sobol --target-rse: the same stages for 1 and 2 threads", stages[0] == stages[1], str(stages))
    # Sketch mode re-runs its tail trials from a list: under lhs it runs and is deterministic.
    pop = os.path.join(SCENARIOS, "portfolio.yaml")
    outs = []
    for threads in ["1", "2"]:
        r = run("run", pop, "--trials", "9000", "--sampling", "lhs", "--msp-stats", "sketch", "--threads", threads,
                "--json", "-")
        check(f"sketch mode under lhs with {threads} thread(s) exits 0", r.returncode == 0, r.stderr)
        doc = strict_json(r.stdout)
        doc["manifest"].pop("threads")
        outs.append(json.dumps(doc, sort_keys=True))
    check("sketch mode under lhs: JSON identical for 1 and 2 threads", outs[0] == outs[1])
    for args, why in [(["run", "--sampling", "qmc"], "an unknown method"),
                      (["run", "--sampling", "sobol", "--trials", "8"], "sobol with fewer trials than 2 per replicate"),
                      (["run", pop, "--sampling", "sobol", "--msp-stats", "sketch"], "sobol in sketch mode"),
                      (["sensitivity", "--sampling", "sobol"], "sensitivity under sobol"),
                      (["plan", "--vary", "labor.technicians=1,2", "--sampling", "lhs"], "plan's EVPPI under lhs")]:
        r = run(*args)
        check(f"refused with exit 2: {why}", r.returncode == 2 and "sampling" in r.stderr, f"{r.returncode} {r.stderr}")
    r = run("compare", msp, msp, "--trials", "5000", "--sampling", "lhs", "--json", "-")
    check("compare --sampling lhs runs", r.returncode == 0, r.stderr)
    # Under sobol the paired difference's SE comes from the replicates: two identical files differ by exactly 0.
    docs = []
    for threads in ["1", "2"]:
        r = run("compare", "--base", msp, "--variant", os.path.join(SCENARIOS, "prices", "surge.yaml"), "--trials",
                "8192", "--sampling", "sobol", "--threads", threads, "--json", "-")
        check(f"compare --sampling sobol with {threads} thread(s) exits 0", r.returncode == 0, r.stderr)
        doc = strict_json(r.stdout)
        doc["manifest"].pop("threads")
        docs.append(json.dumps(doc, sort_keys=True))
    check("compare --sampling sobol: JSON identical for 1 and 2 threads", docs[0] == docs[1])
    r = run("compare", msp, msp, "--trials", "8192", "--sampling", "sobol", "--json", "-")
    d = strict_json(r.stdout)["alternatives"][1]["vs_baseline"] if r.returncode == 0 else {}
    check("compare --sampling sobol: identical files differ by exactly 0", d.get("mean") == 0 and d.get("se") == 0,
          json.dumps(d) + r.stderr)
    r = run("plan", "--vary", "labor.technicians=1,2", "--trials", "5000", "--sampling", "lhs", "--no-value-of-information",
            "--quiet")
    check("plan --sampling lhs --no-value-of-information runs", r.returncode == 0, r.stderr)


def test_formula_rows():
    """Each cost formula is an output row of its own (docs/output-format.md,
    "Cost formula rows"): in the JSON, CSV, table and --samples of run, the
    same bytes for 1 and 2 threads, total = the sum of its cost rows;
    compare pairs the rows."""
    scenario = os.path.join(SCENARIOS, "msp-formulas.yaml")
    docs = {}
    for threads in ["1", "2"]:
        j, c, s = tmp(f"formula{threads}.json"), tmp(f"formula{threads}.csv"), tmp(f"formula{threads}.npy")
        r = run("run", scenario, "--trials", "6000", "--threads", threads, "--json", j, "--csv", c, "--samples", s)
        check(f"formula run with {threads} threads exits 0", r.returncode == 0, r.stderr)
        doc = strict_json(open(j).read())
        doc["manifest"].pop("threads")
        docs[threads] = (json.dumps(doc, sort_keys=True), open(c, "rb").read(), open(s, "rb").read(), r.stdout)
    check("formula rows: JSON, CSV and samples identical for 1 and 2 threads",
          docs["1"][0] == docs["2"][0] and docs["1"][1] == docs["2"][1] and docs["1"][2] == docs["2"][2])
    outputs = json.loads(docs["1"][0])["portfolio"]["outputs"]
    row = outputs.get("formula.task_resumption", {})
    check("formula row in the JSON, extras_cost without it",
          row.get("n") == 6000 and row.get("mean", 0) > 0 and outputs["extras_cost"]["mean"] == 0, str(row)[:200])
    column = npy_column(tmp("formula1.npy"), "portfolio.formula.task_resumption")
    check("formula row in --samples, its mean the JSON's",
          len(column) == 6000 and abs(sum(column) / 6000 - row.get("mean", 0)) <= 1e-9 * row.get("mean", 1))
    costs = ["labor_cost", "pricing_cost", "lost_updates_cost", "stranded_cost", "refund_cost", "extras_cost",
             "downtime_cost"]
    total = npy_column(tmp("formula1.npy"), "portfolio.total_cost")
    parts = [npy_column(tmp("formula1.npy"), "portfolio." + k) for k in costs] + [column]
    worst = max(abs(total[i] - sum(p[i] for p in parts)) / max(1.0, abs(total[i])) for i in range(6000))
    check("total = the sum of the cost rows, formula included, in every trial", worst < 1e-12, worst)
    csv_rows = docs["1"][1].decode().splitlines()
    check("formula row in the CSV after the fixed outputs",
          any(line.startswith("msp,msp-350,formula.task_resumption,6000,") for line in csv_rows)
          and csv_rows[-1].startswith("portfolio,portfolio,formula.task_resumption,6000,"), csv_rows[-1])
    check("formula row in the table before the total",
          "task_resumption" in docs["1"][3]
          and docs["1"][3].find("task_resumption") < docs["1"][3].find("  total"), docs["1"][3][:600])
    dear = tmp("formula-dear.yaml")
    with open(dear, "w") as f:
        f.write("include: [" + scenario + "]\nmsp_overrides:\n  formulas:\n    costs:\n"
                "      task_resumption: endpoints * 10\n")
    r = run("compare", scenario, dear, "--trials", "3000", "--json", "-", "--quiet")
    check("compare with formula rows exits 0", r.returncode == 0, r.stderr)
    if r.returncode == 0:
        alt = strict_json(r.stdout)["alternatives"][1]["formula_costs"]["formula.task_resumption"]
        check("compare: the alternative's formula row and its paired difference",
              alt["mean"] == 3500 and alt["vs_baseline"]["mean"] < 3500 and alt["vs_baseline"]["se"] > 0, alt)


def main():
    tests = [test_default_run, test_thread_independence, test_portfolio, test_shipped_scenarios_validate,
             test_error_corpus, test_exit_codes, test_outputs_never_half_written, test_compare_price_scenarios,
             test_compare_targets_population, test_msp_stats_sketch, test_command_and_format_tables, test_sampling,
             test_formula_rows,
             lambda: test_interrupt(signal.SIGINT, 130), lambda: test_interrupt(signal.SIGTERM, 143)]
    group_seconds = []
    for t in tests:
        start = time.monotonic()
        try:
            t()
        except Exception as e:  # a crash of the test itself is a failure, not an abort
            check(getattr(t, "__name__", "test"), False, f"{type(e).__name__}: {e}")
        group_seconds.append((getattr(t, "__name__", "test"), time.monotonic() - start))
    print("time per group: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in group_seconds))
    print("slowest runs: " + "; ".join(f"{seconds:.1f} s: {args}" for seconds, args in sorted(run_seconds, reverse=True)[:6]))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

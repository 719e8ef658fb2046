#!/usr/bin/python3
"""Times the NumPy reference model (model.py) against `switchcost run` on the
same scenario, and checks that the two compute the same model.

usage: run_reference.py path/to/switchcost [--trials N] [--msps M] [--seed S]
                        [--repeats R] [--bench PATH | --no-bench] [--no-exact-check]

  (a) NumPy: model.simulate(N trials, M copies of msp-350): one warm-up, then
      the best of R (default 3) repetitions. The loop over MSPs is in Python;
      each MSP is vectorised over trials.
  (b) switchcost: `switchcost run --threads 1 -q --json TMP --trials N` on
      scenarios/kaspersky-2024/msp-350.yaml (M = 1) or on a generated scenario
      of M copies of msp-350 (M > 1), as wall time of the process: one warm-up,
      best of R. Also the process with --trials 1 (start-up, parsing, output),
      subtracted to give the per-trial part, and, when M = 1 and the benchmark
      binary exists (build/*/bench/switchcost_bench next to build/*/sim/),
      the engine alone: BM_Engine_Msp350/1 (100,000 trials of the built-in
      msp-350, 1 thread, no statistics, no process start-up).

Prints ns per MSP-trial for each and the ratios NumPy / switchcost. Then the
agreement check: per-MSP means of every output with their standard errors;
|NumPy - switchcost| must be within 5 combined standard errors plus the model
tolerance (relative 1e-6: README.md). For lost updates and the total,
switchcost's mean is of the conditional expectation (expected incidents x
mean incident cost per trial), checked against NumPy's; the means of the
costs drawn are printed beside them, unchecked. Last, an exact check: every uncertain
input set to a constant (PERT modes, uniform midpoints, an encounter rate of
0.02 per endpoint-day and a 60-day start delay so that the lost-updates model
is exercised), where labor, pricing, stranded, refund, hours and duration are
deterministic and must agree to 1e-9 relative, and the incident count's mean
must match NumPy's expected incidents within 5 standard errors.
Exit status 1 if a check fails.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import model  # noqa: E402

SCENARIO_DIR = HERE.parent.parent / "scenarios" / "kaspersky-2024"
DEFAULT_SCENARIO = SCENARIO_DIR / "msp-350.yaml"
INCLUDES = ["timeline.yaml", "market.yaml", "prices/list.yaml", "msp-defaults.yaml"]

MODEL_TOLERANCE = 1e-6  # relative; see README.md ("Differences")
EXACT_TOLERANCE = 1e-9  # relative, deterministic outputs of the all-constant scenario
N_SE = 5.0

LABOR_KEYS = ["first_endpoint_hours", "learning_rate", "setup_hours", "config_hours_per_client",
              "failed_install_share", "rework_hours_per_failed_install", "broken_app_client_share",
              "fix_hours_per_broken_client", "overhead_hours_per_client", "billable_share", "billing_rate_per_hour",
              "displaced_billable_share", "technicians", "capacity_hours_per_technician_week"]
LICENCE_KEYS = ["share_passed_to_clients", "overlap_months", "prepaid_share", "prepaid_months_remaining",
                "recovered_share"]
REFUND_KEYS = ["client_prepaid_share", "client_prepaid_months_remaining", "client_price_per_endpoint_month",
               "refund_share"]
THREAT_KEYS = ["encounters_per_endpoint_day", "miss_rate_supported", "frozen_miss_multiplier",
               "protection_decay_days", "incident_cost"]
# (YAML key under downtime:, the model's key)
DOWNTIME_KEYS = [("minutes_per_endpoint", "downtime_minutes_per_endpoint"),
                 ("user_cost_per_hour", "downtime_user_cost_per_hour"),
                 ("billable_share", "downtime_billable_share")]
# switchcost's mean and SE of a compound cost are its conditional expectation's
# (docs/output-format.md): compared with NumPy's series of the same; the means
# of the costs drawn are shown beside them, not checked (their SEs understate
# their error: they rest on a few trials with incidents).
CONDITIONAL = {"lost_updates_cost": "lost_updates_expected_cost", "total_cost": "total_expected_cost"}
SUMMED = ["labor_cost", "pricing_cost", "lost_updates_cost", "stranded_cost", "refund_cost", "extras_cost",
          "downtime_cost", "total_cost", "labor_hours", "incidents"]


# ---------------------------------------------------------------------------
# Scenario YAML for switchcost
# ---------------------------------------------------------------------------


def number(v):
    v = float(v)
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


def yaml_spec(spec):
    kind = spec[0]
    if kind == "const":
        return number(spec[1])
    if kind == "uniform":
        return f"{{uniform: [{number(spec[1])}, {number(spec[2])}]}}"
    if kind == "pert":
        lo, hi, _, _, mode, lam = spec[1:]
        if lam == 4.0:
            return f"{{pert: [{number(lo)}, {number(mode)}, {number(hi)}]}}"
        return f"{{pert: {{min: {number(lo)}, mode: {number(mode)}, max: {number(hi)}, lambda: {number(lam)}}}}}"
    if kind == "lognormal":
        return "{lognormal: {" + ", ".join(f"{k}: {number(v)}" for k, v in spec[3].items()) + "}}"
    raise ValueError(kind)


def msp_yaml(name, msp, keys):
    """One `msps:` entry with the given keys (top-level, labor, licences, refunds)."""
    lines = [f"  - name: {name}"]
    for k in ["incumbent", "target"]:
        if k in keys:
            lines.append(f"    {k}: {msp[k]}")
    for k in ["endpoints", "clients", "start_delay_days"]:
        if k in keys:
            lines.append(f"    {k}: {yaml_spec(msp[k])}")
    for section, section_keys in [("labor", LABOR_KEYS), ("licences", LICENCE_KEYS), ("refunds", REFUND_KEYS)]:
        present = [k for k in section_keys if k in keys]
        if present:
            lines.append(f"    {section}:")
            lines += [f"      {k}: {yaml_spec(msp[k])}" for k in present]
    present = [(y, k) for y, k in DOWNTIME_KEYS if k in keys]
    if present:
        lines.append("    downtime:")
        lines += [f"      {y}: {yaml_spec(msp[k])}" for y, k in present]
    return "\n".join(lines)


# The keys msp-350.yaml itself sets (the rest come from msp-defaults.yaml).
MSP350_OWN_KEYS = ["endpoints", "clients", "start_delay_days", "technicians", "capacity_hours_per_technician_week"]


def copies_scenario(msps, directory):
    """M copies of msp-350 over the same included files as msp-350.yaml."""
    msp = model.default_scenario()["msp"]
    includes = ", ".join(str(SCENARIO_DIR / f) for f in INCLUDES)
    text = [f"include: [{includes}]", "msps:"]
    text += [msp_yaml(f"msp-350-{i + 1:04d}", msp, MSP350_OWN_KEYS) for i in range(msps)]
    path = Path(directory) / f"msp-350-x{msps}.yaml"
    path.write_text("\n".join(text) + "\n")
    return path


def constant_scenario():
    """The default scenario with every uncertain input at a constant (PERT mode,
    uniform midpoint), incidents made likely; the incident cost stays lognormal."""
    sc = model.default_scenario()

    def fix(spec):
        if spec is None or spec[0] in ("const", "lognormal"):
            return spec
        if spec[0] == "pert":
            return model.const(spec[5])
        if spec[0] == "uniform":
            return model.const(0.5 * (spec[1] + spec[2]))
        raise ValueError(spec[0])

    for part in [sc["market"], sc["msp"], *sc["competitors"].values()]:
        for k, v in part.items():
            if isinstance(v, tuple):
                part[k] = fix(v)
    sc["market"]["encounters_per_endpoint_day"] = model.const(0.02)
    sc["msp"]["start_delay_days"] = model.const(60)
    sc["msp"]["name"] = "const-350"
    return sc


def constant_scenario_yaml(sc, directory):
    m = sc["market"]
    text = [f"include: [{SCENARIO_DIR / 'timeline.yaml'}]", "market:",
            f"  technician_cost_per_hour: {yaml_spec(m['technician_cost_per_hour'])}",
            f"  discount_rate_per_year: {yaml_spec(m['discount_rate_per_year'])}", "  threat:"]
    text += [f"    {k}: {yaml_spec(m[k])}" for k in THREAT_KEYS]
    text.append("competitors:")
    for name, c in sc["competitors"].items():
        text.append(f"  {name}:")
        text += [f"    {k}: {yaml_spec(c[k])}" for k in model.COMPETITOR_KEYS]
    text.append("msps:")
    keys = (["incumbent", "target", "endpoints", "clients", "start_delay_days"] + LABOR_KEYS + LICENCE_KEYS +
            REFUND_KEYS + [k for _, k in DOWNTIME_KEYS])
    text.append(msp_yaml(sc["msp"]["name"], sc["msp"], keys))
    path = Path(directory) / "const-350.yaml"
    path.write_text("\n".join(text) + "\n")
    return path


# ---------------------------------------------------------------------------
# Running switchcost
# ---------------------------------------------------------------------------


def run_switchcost(exe, scenario, trials, seed, json_path):
    cmd = [exe, "run", "--threads", "1", "-q", "--json", str(json_path), "--trials", str(trials),
           "--seed", str(seed), str(scenario)]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"switchcost failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr}")
    return elapsed, cmd


def validate(exe, scenario):
    r = subprocess.run([exe, "validate", str(scenario)], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"switchcost validate {scenario} failed:\n{r.stdout}{r.stderr}")


def bench_engine(bench):
    """ns per MSP-trial of BM_Engine_Msp350/1 (engine alone, 1 thread), or None."""
    try:
        r = subprocess.run([bench, "--benchmark_filter=^BM_Engine_Msp350/1/real_time$", "--benchmark_format=json"],
                           capture_output=True, text=True, timeout=120)
        doc = json.loads(r.stdout)
        b = [b for b in doc["benchmarks"] if b["name"] == "BM_Engine_Msp350/1/real_time"][0]
        return 1e9 / b["items_per_second"]
    except (OSError, ValueError, KeyError, IndexError, subprocess.TimeoutExpired) as e:
        print(f"  (engine benchmark not run: {e})")
        return None


# ---------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------


def mean_se(v):
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else 0.0


def compare(label, ours, ref, tolerance=MODEL_TOLERANCE):
    """ours, ref = (mean, se). Returns (ok, line)."""
    (m1, s1), (m2, s2) = ours, ref
    combined = float(np.hypot(s1, s2))
    diff = m1 - m2
    allowed = N_SE * combined + tolerance * abs(m2)
    rel = diff / m2 if m2 != 0 else (0.0 if diff == 0 else float("inf"))
    ok = abs(diff) <= allowed
    z = diff / combined if combined > 0 else (0.0 if diff == 0 else float("inf"))
    line = (f"  {label:22s} {m1:14.6g} ±{s1:10.3g}  {m2:14.6g} ±{s2:10.3g}  {100 * rel:+9.4f}%  "
            f"{z:+7.2f}  {'ok' if ok else 'FAIL'}")
    return ok, line


def header():
    return (f"  {'output (per MSP)':22s} {'NumPy mean':>14s} {'± se':>11s}  {'switchcost':>14s} {'± se':>11s}  "
            f"{'rel diff':>10s}  {'diff/se':>7s}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("switchcost")
    ap.add_argument("--trials", type=int, default=100_000)
    ap.add_argument("--msps", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--bench", help="switchcost_bench binary (default: ../bench/switchcost_bench next to sim/)")
    ap.add_argument("--no-bench", action="store_true")
    ap.add_argument("--no-exact-check", action="store_true")
    args = ap.parse_args()
    exe = os.path.abspath(args.switchcost)
    N, M = args.trials, args.msps
    if N < 2 or M < 1:
        sys.exit("need --trials >= 2 and --msps >= 1")
    failures = 0

    print(f"NumPy {np.__version__} ({sys.executable}), {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{N} trials x {M} MSP(s) = {N * M} MSP-trials, seed {args.seed}, best of {args.repeats} after a warm-up\n")

    with tempfile.TemporaryDirectory(prefix="switchcost-ref-") as tmp:
        scenario = DEFAULT_SCENARIO if M == 1 else copies_scenario(M, tmp)
        validate(exe, scenario)
        json_path = Path(tmp) / "run.json"

        # (a) NumPy
        model.simulate(N, M, seed=args.seed)  # warm-up
        numpy_times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            ours = model.simulate(N, M, seed=args.seed)
            numpy_times.append(time.perf_counter() - t0)
        numpy_ns = min(numpy_times) / (N * M) * 1e9

        # (b) switchcost, whole process; and with 1 trial (fixed costs)
        run_switchcost(exe, scenario, N, args.seed, json_path)  # warm-up
        sc_runs = [run_switchcost(exe, scenario, N, args.seed, json_path) for _ in range(args.repeats)]
        sc_times = [t for t, _ in sc_runs]
        print("switchcost command: " + " ".join(sc_runs[0][1]))
        doc = json.loads(json_path.read_text())
        one_path = Path(tmp) / "one.json"
        fixed = min(run_switchcost(exe, scenario, 1, args.seed, one_path)[0] for _ in range(args.repeats))
        sc_ns = min(sc_times) / (N * M) * 1e9
        sc_trial_ns = max(0.0, min(sc_times) - fixed) / (N * M) * 1e9

        engine_ns = None
        if M == 1 and not args.no_bench:
            bench = args.bench or str(Path(exe).parent.parent / "bench" / "switchcost_bench")
            if os.access(bench, os.X_OK):
                engine_ns = bench_engine(bench)
            else:
                print(f"  (no benchmark binary at {bench}: engine-alone figure skipped)")

        print("Timing (ns per MSP-trial, 1 thread):")
        print(f"  NumPy model.simulate                      {numpy_ns:9.1f}   (best {min(numpy_times):.3f} s; "
              f"runs {', '.join(f'{t:.3f}' for t in numpy_times)})")
        print(f"  switchcost run, whole process             {sc_ns:9.1f}   (best {min(sc_times):.3f} s; "
              f"runs {', '.join(f'{t:.3f}' for t in sc_times)})")
        print(f"  switchcost run, minus a 1-trial run       {sc_trial_ns:9.1f}   (1-trial run {fixed:.3f} s: "
              f"start-up, parsing, output)")
        if engine_ns is not None:
            print(f"  switchcost engine alone                   {engine_ns:9.1f}   (switchcost_bench "
                  f"BM_Engine_Msp350/1: built-in msp-350, 100000 trials)")
        print("Ratio NumPy / switchcost:")
        print(f"  vs whole process         {numpy_ns / sc_ns:6.2f}")
        if sc_trial_ns > 0:
            print(f"  vs per-trial part        {numpy_ns / sc_trial_ns:6.2f}")
        if engine_ns is not None:
            print(f"  vs engine alone          {numpy_ns / engine_ns:6.2f}")

        # Agreement of the means (per MSP: portfolio sums / M; durations: the last MSP)
        print(f"\nAgreement (per-MSP means over {N} trials; pass: |diff| <= {N_SE:g} combined se "
              f"+ {MODEL_TOLERANCE:g} x |switchcost|):")
        print(header())
        port = doc["portfolio"]["outputs"]
        for key in SUMMED + ["duration_days"]:
            div = M if key in SUMMED else 1
            ref = (port[key]["mean"] / div, port[key]["se"] / div)
            m, s = mean_se(ours[CONDITIONAL.get(key, key)])
            ok, line = compare(key, (m / div, s / div), ref)
            failures += not ok
            print(line)
            if key in CONDITIONAL:
                m, s = mean_se(ours[key])
                _, line = compare(key + " drawn", (m / div, s / div),
                                  (port[key]["sampled_mean"] / div, port[key]["sampled_se"] / div))
                print(line.rstrip() + "   (not checked)")
        t_c = float((model.default_scenario()["timeline"]["updates_end"]
                     - model.default_scenario()["timeline"]["migration_start"]).days)
        done = (ours["completion_offset_days"] < t_c).astype(float)
        d = doc["portfolio"]["done_before_updates_stop"]
        ok, line = compare("P(done before updates stop)", mean_se(done), (d["p"], d["se"]))
        failures += not ok
        print(line)
        if M > 1:
            print("  (costs, hours, incidents: portfolio sums / M; duration_days and P(done): the portfolio's, "
                  "i.e. the last MSP to finish)")
        total_ok, _ = compare("total", tuple(x / M for x in mean_se(ours["total_expected_cost"])),
                              (port["total_cost"]["mean"] / M, port["total_cost"]["se"] / M))
        tm, ts = mean_se(ours["total_expected_cost"] / M)
        rm, rs = port["total_cost"]["mean"] / M, port["total_cost"]["se"] / M
        print(f"  => mean total cost per MSP: NumPy {tm:.2f} ± {ts:.2f}, switchcost {rm:.2f} ± {rs:.2f}; "
              f"relative difference {100 * (tm - rm) / rm:+.3f}%, {abs(tm - rm) / np.hypot(ts, rs):.2f} combined se "
              f"(allowed {N_SE:g} se + {MODEL_TOLERANCE:g} relative): {'PASS' if total_ok else 'FAIL'}")

        # Exact check on the all-constant scenario
        if not args.no_exact_check:
            sc = constant_scenario()
            path = constant_scenario_yaml(sc, tmp)
            validate(exe, path)
            n_exact = 50_000
            run_switchcost(exe, path, n_exact, args.seed, json_path)
            cdoc = json.loads(json_path.read_text())["msps"][0]["outputs"]
            det = model.simulate(2, 1, seed=args.seed, scenario=sc)
            print(f"\nExact check: every uncertain input at a constant ({path.name}: PERT modes, uniform "
                  f"midpoints, 0.02 encounters per endpoint-day, start 60 days late), switchcost {n_exact} trials:")
            for key in ["labor_cost", "pricing_cost", "stranded_cost", "refund_cost", "labor_hours", "duration_days"]:
                ours_v, ref_v = float(det[key][0]), cdoc[key]["mean"]
                rel = abs(ours_v - ref_v) / abs(ref_v)
                ok = rel <= EXACT_TOLERANCE and cdoc[key]["sd"] <= EXACT_TOLERANCE * abs(ref_v)
                failures += not ok
                print(f"  {key:18s} NumPy {ours_v:16.10g}  switchcost {ref_v:16.10g}  rel diff {rel:.1e}  "
                      f"{'ok' if ok else 'FAIL'}")
            lam = float(det["expected_incidents"][0])
            ok, line = compare("incidents (count)", (lam, 0.0), (cdoc["incidents"]["mean"], cdoc["incidents"]["se"]))
            failures += not ok
            print(header().replace("NumPy mean", "NumPy exact"))
            print(line + "   (NumPy: expected incidents, exact)")
            cost = lam * model.dist_mean(sc["market"]["incident_cost"])
            ok, line = compare("lost_updates_cost", (cost, 0.0),
                               (cdoc["lost_updates_cost"]["mean"], cdoc["lost_updates_cost"]["se"]))
            failures += not ok
            print(line + "   (NumPy: expected incidents x mean cost)")

    print(f"\n{'ALL CHECKS PASS' if failures == 0 else f'{failures} CHECK(S) FAILED'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

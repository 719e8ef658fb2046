#!/usr/bin/env python3
"""The standard error of the default MSP's mean total under each --sampling
method, measured: the SD of the means of independent runs (seeds 1..S, N
trials each) against the SE each run prints (their root mean square).

usage: sampling_se.py SWITCHCOST_BINARY [--seeds 20] [--trials 16384]
Prints a Markdown table (docs/performance.md, "Sampling methods").
"""
import argparse
import json
import math
import subprocess


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--trials", type=int, default=16384)
    a = ap.parse_args()
    rows = []
    for method in ["mc", "lhs", "sobol"]:
        means, ses = [], []
        for seed in range(1, a.seeds + 1):
            out = subprocess.run([a.binary, "run", "--trials", str(a.trials), "--seed", str(seed), "--sampling", method,
                                  "--threads", "1", "--json", "-"], check=True, capture_output=True, text=True).stdout
            total = json.loads(out)["portfolio"]["outputs"]["total_cost"]
            means.append(total["mean"])
            ses.append(total["se"])
        m = sum(means) / len(means)
        sd = math.sqrt(sum((x - m) ** 2 for x in means) / (len(means) - 1))
        printed = math.sqrt(sum(s * s for s in ses) / len(ses))
        rows.append((method, m, sd, printed))
    mc_sd = rows[0][2]
    print(f"| method | mean total over {a.seeds} seeds | SD of the {a.seeds} means (measured SE) | SE printed (RMS) "
          f"| variance vs mc |")
    print("|---|---|---|---|---|")
    for method, m, sd, printed in rows:
        print(f"| {method} | ${m:,.0f} | ${sd:,.2f} | ${printed:,.2f} | {(sd / mc_sd) ** 2:.3f} |")


if __name__ == "__main__":
    main()

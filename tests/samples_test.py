#!/usr/bin/env python3
"""--samples PATH: the per-trial .npy file, read back as NumPy reads it.

usage: samples_test.py path/to/switchcost path/to/source-dir
Checks that the file is a valid .npy (parsed here by the format's rules, and
by numpy.load where NumPy is installed), that its columns are the series the
JSON summarises (means equal to rounding), that per-MSP columns add up to
the portfolio's, that compare's columns are paired trial by trial (common
random numbers), and that the bytes do not depend on the thread count.
Prints one line per check and 'N passed, N failed' at the end.
"""
import ast
import json
import os
import struct
import subprocess
import sys
import tempfile

from checks import check, summary

BIN = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
SCENARIOS = os.path.join(SRC, "scenarios", "kaspersky-2024")
TMP = tempfile.mkdtemp(prefix="switchcost-samples-")

try:
    import numpy
except ImportError:  # the format is checked by the parser below either way
    numpy = None


def run(*args):
    r = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=600, cwd=SCENARIOS)
    if r.returncode != 0:
        print(r.stderr)
    return r


def read_npy(path):
    """(field names, columns as lists) by the .npy format's own rules."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:6] == b"\x93NUMPY", "magic"
    major = data[6]
    assert major in (2, 3), f"version {major}"
    (length,) = struct.unpack("<I", data[8:12])
    start = 12 + length
    assert start % 64 == 0, f"records start at {start}, not a multiple of 64"
    header = ast.literal_eval(data[12:start].decode("latin1" if major == 2 else "utf8"))
    assert header["fortran_order"] is False
    names = [n for n, _ in header["descr"]]
    types = [t for _, t in header["descr"]]
    assert types[0] == "<u8" and all(t == "<f8" for t in types[1:]), types
    (rows,) = header["shape"]
    record = "<Q" + "d" * (len(names) - 1)
    size = struct.calcsize(record)
    assert len(data) == start + rows * size, f"{len(data)} bytes, expected {start + rows * size}"
    columns = [[] for _ in names]
    for values in struct.iter_unpack(record, data[start:]):
        for c, v in zip(columns, values):
            c.append(v)
    if numpy is not None:  # NumPy reads the same
        a = numpy.load(path)
        assert list(a.dtype.names) == names, "numpy's field names"
        assert a.shape == (rows,)
        for n, c in zip(names, columns):
            assert a[n].tolist() == c, f"numpy's column {n}"
    return names, dict(zip(names, columns))


def mean(xs):
    return sum(xs) / len(xs)


def close(a, b, rel=1e-9):
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


print(f"NumPy: {'numpy.load checked too' if numpy is not None else 'not installed; the format is parsed here'}")

# 1. The default MSP: the portfolio's outputs, means as in the JSON.
npy, js = os.path.join(TMP, "run.npy"), os.path.join(TMP, "run.json")
r = run("run", "--trials", "3000", "--samples", npy, "--json", js, "--quiet")
check("run --samples exits 0", r.returncode == 0, r.stderr)
names, cols = read_npy(npy)
doc = json.load(open(js))
scope = doc["msps"][0]
outputs = list(scope["outputs"])
OUTPUTS = len(outputs)  # the engine's outputs, as the JSON lists them
check("one column per output after 'trial'", names == ["trial"] + [f"portfolio.{o}" for o in outputs], names)
check("a record per trial, in order", cols["trial"] == list(range(3000)), cols["trial"][:5])
total = scope["outputs"]["total_cost"]
check("drawn totals' mean is the JSON's sampled_mean",
      close(mean(cols["portfolio.total_cost"]), total["sampled_mean"]),
      (mean(cols["portfolio.total_cost"]), total["sampled_mean"]))
check("expected totals' mean is the JSON's mean",
      close(mean(cols["portfolio.total_expected_cost"]), total["mean"]),
      (mean(cols["portfolio.total_expected_cost"]), total["mean"]))
for o in ("labor_cost", "duration_days", "labor_hours", "downtime_cost"):
    check(f"{o}: mean as in the JSON", close(mean(cols[f"portfolio.{o}"]), scope["outputs"][o]["mean"]),
          (mean(cols[f"portfolio.{o}"]), scope["outputs"][o]["mean"]))
check("max as in the JSON", max(cols["portfolio.total_cost"]) == total["max"])

# 2. Threads: the same bytes.
npy1 = os.path.join(TMP, "run1.npy")
r = run("run", "--trials", "3000", "--samples", npy1, "--threads", "1", "--quiet")
check("1 and 2 threads write the same bytes", open(npy, "rb").read() == open(npy1, "rb").read())

# 3. Three MSPs, exact mode: per-MSP columns that add up to the portfolio.
npy = os.path.join(TMP, "portfolio.npy")
r = run("run", "portfolio.yaml", "--trials", "2000", "--msp-stats", "exact", "--samples", npy, "--quiet")
check("portfolio --samples exits 0", r.returncode == 0, r.stderr)
names, cols = read_npy(npy)
msps = ["msp-60", "msp-350", "msp-2500"]
check("portfolio then each MSP's outputs", len(names) == 1 + OUTPUTS * 4 and all(
    f"msp.{m}.total_cost" in names for m in msps), names[:3] + names[-3:])
worst = 0.0
for t in range(2000):
    s = sum(cols[f"msp.{m}.labor_cost"][t] for m in msps)
    worst = max(worst, abs(s - cols["portfolio.labor_cost"][t]) / max(1.0, s))
check("per-MSP labor costs add up to the portfolio's in every trial", worst < 1e-12, worst)
check("the portfolio's duration is the last MSP's",
      all(cols["portfolio.duration_days"][t] == max(cols[f"msp.{m}.duration_days"][t] for m in msps)
          for t in range(2000)))

# 4. Sketch mode keeps no per-MSP series: the portfolio's columns only.
r = run("run", "portfolio.yaml", "--trials", "2000", "--msp-stats", "sketch", "--samples", npy, "--quiet")
names, cols = read_npy(npy)
check("sketch mode: portfolio columns only", len(names) == 1 + OUTPUTS, len(names))

# 5. compare: each alternative's portfolio, paired trial by trial.
npy = os.path.join(TMP, "compare.npy")
r = run("compare", "--base", "portfolio.yaml", "--variant", "prices/surge.yaml", "--trials", "2000",
        "--samples", npy, "--quiet")
check("compare --samples exits 0", r.returncode == 0, r.stderr)
names, cols = read_npy(npy)
check("each alternative's outputs", len(names) == 1 + 2 * OUTPUTS and "surge.total_cost" in names, names[:3])
check("a price set changes no labor: equal in every trial (common random numbers)",
      cols["portfolio.labor_cost"] == cols["surge.labor_cost"])
check("and changes the licence cost", cols["portfolio.pricing_cost"] != cols["surge.pricing_cost"])

# 6. sensitivity: the baseline run's portfolio, its mean as the JSON's.
npy, js = os.path.join(TMP, "sensitivity.npy"), os.path.join(TMP, "sensitivity.json")
r = run("sensitivity", "msp-350.yaml", "--trials", "1000", "--samples", npy, "--json", js, "--quiet")
check("sensitivity --samples exits 0", r.returncode == 0, r.stderr)
names, cols = read_npy(npy)
doc = json.load(open(js))
check("sensitivity: the baseline's outputs", names == ["trial"] + [f"baseline.{o}" for o in outputs], names[:3])
check("sensitivity: the baseline's mean is the JSON's",
      close(mean(cols["baseline.total_expected_cost"]), doc["baseline"]["mean"]),
      (mean(cols["baseline.total_expected_cost"]), doc["baseline"]["mean"]))

# 7. Names that are not plain ASCII are escaped, and NumPy still reads them.
odd = os.path.join(TMP, "pr'ix é.yaml")
with open(os.path.join(SCENARIOS, "prices", "surge.yaml"), "rb") as f:
    open(odd, "wb").write(f.read())
r = run("compare", "--base", "portfolio.yaml", "--variant", odd, "--trials", "100", "--samples", npy, "--quiet")
check("an odd label: exits 0", r.returncode == 0, r.stderr)
names, _ = read_npy(npy)
check("an odd label is kept in the field name", any(n.startswith("pr'ix é") for n in names), names[-1])

sys.exit(summary())

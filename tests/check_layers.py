#!/usr/bin/env python3
"""Fails on an include that points upward through the layers.

usage: check_layers.py SOURCE_DIR

Layers, lowest first: models/ (pure cost models), then sim/base, sim/random,
sim/stats, sim/scenario, sim/engine, sim/report, sim/cli. A file may include
its own layer and those below it, never one above: models/ includes nothing
from sim/. Every source file of sim/ must sit in a layer folder. Prints the
offending file:line and include; exits 1 if there is one.
"""
import os
import re
import sys

SRC = os.path.abspath(sys.argv[1])
ORDER = ["models", "base", "random", "stats", "scenario", "engine", "report", "cli"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"((?:sim|models)/[^"]+)"')


def layer_of(rel):
    """'sim/engine/engine.h' -> 'engine'; 'models/labor.h' -> 'models'; None if outside a layer."""
    parts = rel.split("/")
    if parts[0] == "models":
        return "models"
    if parts[0] == "sim" and len(parts) >= 3 and parts[1] in ORDER:
        return parts[1]
    return None


problems = []
checked = 0
for top in ("sim", "models"):
    for root, _, names in os.walk(os.path.join(SRC, top)):
        for name in sorted(names):
            if not name.endswith((".h", ".cpp")):
                continue
            rel = os.path.relpath(os.path.join(root, name), SRC)
            here = layer_of(rel)
            if here is None:
                problems.append(f"{rel}: not in a layer folder (sim/{{{','.join(ORDER[1:])}}}/)")
                continue
            checked += 1
            with open(os.path.join(SRC, rel), encoding="utf-8") as f:
                for number, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    there = layer_of(m.group(1))
                    if there is None:
                        problems.append(f"{rel}:{number}: includes {m.group(1)}, which is in no layer")
                    elif ORDER.index(there) > ORDER.index(here):
                        problems.append(f"{rel}:{number}: {here} includes {m.group(1)} from the higher layer {there}")
for p in problems:
    print(p)
print(f"layers: {checked} files checked, {len(problems)} upward or misplaced includes")
sys.exit(1 if problems else 0)

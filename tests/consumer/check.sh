#!/usr/bin/env bash
# usage: check.sh BUILD_DIR SOURCE_DIR SWITCHCOST_BINARY VERSION
# Installs BUILD_DIR into a temporary prefix, builds tests/consumer against it
# with find_package(switchcost), runs it, and checks that the installed
# binary and the consumer give the same total-cost statistics as the binary
# under test for the same trials and seed.
set -euo pipefail
build=$1 src=$2 bin=$3 version=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
test -x "$work/prefix/bin/switchcost"
test -f "$work/prefix/include/switchcost/sim/engine/engine.h"
test -f "$work/prefix/share/man/man1/switchcost.1"
test -f "$work/prefix/share/bash-completion/completions/switchcost"
cmake -S "$src/tests/consumer" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DSWITCHCOST_WANTED_VERSION="$version" > "$work/configure.log" \
  || { cat "$work/configure.log"; exit 1; }
cmake --build "$work/build" > "$work/build.log" || { cat "$work/build.log"; exit 1; }
got=$("$work/build/consumer" 2000)
"$work/prefix/bin/switchcost" run --trials 2000 --quiet --json "$work/installed.json"
"$bin" run --trials 2000 --quiet --json "$work/tested.json"
python3 - "$got" "$work/installed.json" "$work/tested.json" <<'PY'
import json, sys
n, mean, p50, p90 = sys.argv[1].split()
want = None
for path in sys.argv[2:]:
    t = json.load(open(path))["portfolio"]["outputs"]["total_cost"]
    row = (t["n"], t["mean"], t["p50"], t["p90"])
    want = want or row
    assert row == want, f"{path}: {row} != {want}"
got = (int(n), float(mean), float(p50), float(p90))
assert got == want, f"consumer {got} != switchcost run {want}"
print(f"consumer of the installed package: n {got[0]}, mean {got[1]:.2f}, P50 {got[2]:.2f}, P90 {got[3]:.2f}, as the binary")
PY

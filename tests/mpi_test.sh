#!/usr/bin/env bash
# Distributed runs give the bytes of one process (docs/mpi.md).
#   usage: tests/mpi_test.sh MPI_BINARY [PLAIN_BINARY]
# MPI_BINARY is built with -DSWITCHCOST_WITH_MPI=ON; PLAIN_BINARY (default:
# MPI_BINARY started without mpirun, which is one process) gives the
# reference bytes. For 1, 2 and 3 ranks: the shipped population in exact and
# sketch mode, the default MSP, and scenarios with cost formulas (a
# population, exact and sketch; one MSP), compared byte for byte (JSON, CSV,
# --samples, the terminal table but for its timing line; the JSON but for
# the manifest's "build", the binaries' git description, which differs when
# they were built from different commits). Then the ways a distributed run
# ends: a bad scenario, a result not finite in one rank's trials, an output
# that cannot be written, a command that does not distribute, SIGTERM while
# running.
set -euo pipefail
mpi_bin=$(realpath "$1")
plain_bin=$(realpath "${2:-$1}")
root=$(cd "$(dirname "$0")/.." && pwd)
population="$root/scenarios/kaspersky-2024/population-200.yaml"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# Open MPI refuses to run as root without these (CI containers run as root).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun=(mpirun --oversubscribe)
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# The table's line with the threads and seconds differs run to run.
table() { grep -v ' s$\| s,\|seconds' "$1" || true; }
# The JSON with its manifest's "build" blanked.
unbuilt() { sed 's/"build":"[^"]*"/"build":""/' "$1"; }

# case NAME ARGS...: the reference, then 1, 2 and 3 ranks, compared.
check_case() {
  local name=$1
  shift
  "$plain_bin" run -j 1 "$@" --json "$name.json" --csv "$name.csv" --samples "$name.samples.csv" > "$name.txt"
  for n in 1 2 3; do
    "${mpirun[@]}" -np "$n" "$mpi_bin" run -j 1 "$@" --json "$name.$n.json" --csv "$name.$n.csv" \
      --samples "$name.$n.samples.csv" > "$name.$n.txt"
    for f in csv samples.csv; do
      cmp -s "$name.$f" "$name.$n.$f" && echo "ok: $name, $n ranks: $f same bytes" || fail "$name, $n ranks: $f differs"
    done
    cmp -s <(unbuilt "$name.json") <(unbuilt "$name.$n.json") && echo "ok: $name, $n ranks: json same bytes" ||
      fail "$name, $n ranks: json differs"
    cmp -s <(table "$name.txt") <(table "$name.$n.txt") && echo "ok: $name, $n ranks: table same" ||
      fail "$name, $n ranks: table differs"
  done
}
check_case population-exact --trials 20000 --msp-stats exact "$population"
check_case population-sketch --trials 20000 --msp-stats sketch "$population"
check_case default --trials 20000
# Cost formula rows (docs/output-format.md "Cost formula rows"): the
# population with one cost formula per MSP, one MSP with two (in another
# order than the rows') and one with none, so each block's formula moments
# sit at uneven offsets; and one MSP, whose formula rows are the portfolio's.
cat > formulas.yaml <<'EOF_YAML'
include: [builtin:kaspersky-2024/population-200.yaml]
msp_defaults:
  formulas:
    costs:
      resume: endpoints * pert(10, 23, 35) / 60 * downtime.user_cost_per_hour
msps:
  - name: two-lines
    endpoints: 500
    clients: 40
    labor: {technicians: 3}
    formulas:
      costs:
        late_premium: 'if(completion_day >= timeline.updates_end, lognormal(mean: 800, sd: 300), 0)'
        resume: endpoints * pert(5, 15, 30) / 60 * 40
  - name: no-lines
    endpoints: 120
    clients: 10
    labor: {technicians: 1}
    formulas:
      values:
        swaps: endpoints * 2
EOF_YAML
check_case formulas-exact --trials 20000 --msp-stats exact formulas.yaml
check_case formulas-sketch --trials 20000 --msp-stats sketch formulas.yaml
check_case msp-formulas --trials 20000 "$root/scenarios/kaspersky-2024/msp-formulas.yaml"

# expect_exit NAME CODE COMMAND...: the exit code every rank ends with.
expect_exit() {
  local name=$1 code=$2
  shift 2
  local got=0
  "$@" > "$name.out" 2> "$name.err" || got=$?
  if [ "$got" = "$code" ]; then echo "ok: $name exits $code"; else fail "$name exits $got, not $code"; cat "$name.err" >&2; fi
}
printf 'msps:\n  - name: x\n    endpoints: [\n' > bad.yaml
expect_exit bad-scenario 65 "${mpirun[@]}" -np 2 "$mpi_bin" run bad.yaml
grep -q 'bad.yaml:' bad-scenario.err || fail "bad scenario: no file:line:col in the message"
# A result that is not finite in one rank's trials only: with 3 ranks the
# first such trial (17141, seed 3) is in rank 1's share (blocks 3-5), rank 0
# has none; every rank exits 65 with one process's message, nothing written.
printf 'include: [builtin:kaspersky-2024/portfolio.yaml]\nmsp_overrides:\n  formulas:\n    costs:\n      rare: log(max(0, 0.99998 - uniform(0, 1)))\n' > rare.yaml
expect_exit rare-one "65" "$plain_bin" run -j 1 --trials 40000 --seed 3 rare.yaml --json rare.json
expect_exit rare-three "65" "${mpirun[@]}" -np 3 "$mpi_bin" run -j 1 --trials 40000 --seed 3 rare.yaml --json rare.json
grep -q 'not finite at trial 17141' rare-one.err || fail "rare: the reference run's message changed: $(cat rare-one.err)"
[ "$(head -1 rare-one.err)" = "$(head -1 rare-three.err)" ] || fail "rare: 3 ranks' message differs: $(head -1 rare-three.err)"
[ -e rare.json ] && fail "rare: an output was written"
expect_exit unwritable-output 74 "${mpirun[@]}" -np 2 "$mpi_bin" run --trials 2000 --json /proc/version/no.json
expect_exit compare-refused 2 "${mpirun[@]}" -np 2 "$mpi_bin" compare "$population"
grep -q 'runs in one process' compare-refused.err || fail "compare: no reason given"
expect_exit stopping-refused 2 "${mpirun[@]}" -np 2 "$mpi_bin" run --target-rse 0.01

# SIGTERM to one rank mid-run: that rank's share stops at a block boundary;
# rank 0 writes the prefix of the trials done, marked partial, and every
# rank ends with 128 + 15 (the default code of a stop seen by another rank is
# 130: rank 0 reports it). No temporary file is left.
# The run (200 MSPs x 1,000,000 trials, sketch mode) takes far longer than
# the wait before the signal, so the signal always lands mid-run.
"${mpirun[@]}" -np 2 "$mpi_bin" run -j 1 "$population" --trials 1000000 --msp-stats sketch --json stopped.json > stopped.out 2> stopped.err &
launcher=$!
for _ in $(seq 100); do
  pids=$(pgrep -P "$launcher" -f "$mpi_bin" || true)
  [ "$(echo "$pids" | wc -w)" -ge 2 ] && break
  sleep 0.1
done
sleep 2
# shellcheck disable=SC2086
kill -TERM $pids 2>/dev/null || true
got=0
wait "$launcher" || got=$?
if [ "$got" = 143 ]; then echo "ok: SIGTERM exits 143"; else fail "SIGTERM exits $got, not 143"; cat stopped.err >&2; fi
python3 - stopped.json <<'EOF' || fail "SIGTERM: no partial result"
import json, sys
m = json.load(open(sys.argv[1]))["manifest"]
assert m["complete"] is False and 0 < m["trials"] < 1000000, m
print("ok: SIGTERM wrote", m["trials"], "trials, marked partial")
EOF
ls -a | grep -q '^\.stopped' && fail "SIGTERM left a temporary file"

[ "$failures" = 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
echo "mpi_test: all passed"

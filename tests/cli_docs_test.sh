#!/usr/bin/env bash
# usage: cli_docs_test.sh SWITCHCOST_BINARY MAN_PAGE BASH_COMPLETION
# The man page and the bash completion generated from the help text
# (cmake/CliDocs.cmake): every command and every option of each is in both,
# the completion completes what a user types, and the page renders without
# a warning where groff is installed. Prints one line per check.
set -uo pipefail
bin=$1 man=$2 completion=$3
passed=0 failed=0
check() {  # check NAME COMMAND...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "ok   $name"; else failed=$((failed + 1)); echo "FAIL $name"; fi
}

# What the binary says its commands and options are.
commands=$("$bin" no-such-command 2>&1 | sed -n 's/.*commands are \([a-z, -]*\).*/\1/p' | tr -d ',')
check "the binary lists its commands" test -n "$commands"

# shellcheck disable=SC1090
source "$completion"
complete_words() {  # complete_words WORD... : what completing the last word offers
  COMP_WORDS=("$@")
  COMP_CWORD=$(($# - 1))
  COMPREPLY=()
  _switchcost
  echo "${COMPREPLY[*]}"
}
check "completes a command" test "$(complete_words switchcost ru)" = "run"
check "completes every command from nothing" test "$(complete_words switchcost '')" = "$commands"
check "completes run's --trials" test "$(complete_words switchcost run --tr)" = "--trials"
check "completes compare's --variant" test "$(complete_words switchcost compare --base a.yaml --va)" = "--variant"
check "completes a built-in file after --show" \
  test "$(complete_words switchcost builtin --show kaspersky-2024/msp-35)" = "kaspersky-2024/msp-350-plan.yaml kaspersky-2024/msp-350.yaml"
check "completes --msp-stats modes" test "$(complete_words switchcost run --msp-stats sk)" = "sketch"
check "completes --sampling methods" test "$(complete_words switchcost run --sampling so)" = "sobol"
check "completes a command after help" test "$(complete_words switchcost help est)" = "estimate"

for command in $commands; do
  check "man page has a section for $command" grep -qx "\.SS $command" "$man"
  help=$("$bin" "$command" --help)
  options=$(printf '%s\n' "$help" | grep -E '^  -' | sed -E 's/^  ([^ ]+( \[ [^]]+ \])?).*/\1/' |
            grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
  for option in $options; do
    check "$command $option: in the man page" grep -qF -- "$option" "$man"
    offered=$(complete_words switchcost "$command" "$option")
    # Among the words offered: "--target" also offers "--target-rse".
    check "$command $option: completed" grep -qxF -- "$option" <<< "${offered// /$'\n'}"
  done
done

if command -v groff > /dev/null; then
  warnings=$(groff -man -Tutf8 -ww -z "$man" 2>&1)
  check "groff renders the page without a warning" test -z "$warnings"
  [ -z "$warnings" ] || echo "$warnings" | head -5
else
  echo "note: groff not installed; the page was checked as text only"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

"""The end-to-end tests' one way of counting checks: `check` prints one line
per check ("ok   NAME" or "FAIL NAME: DETAIL") and `summary` the last line,
"N passed, N failed", returning the exit status (1 if any failed);
`run_all`, which runs test functions so that a crash of one is a failed
check, not an abort; and `strict_json`, the JSON reader that refuses NaN
and Infinity."""

import json
import sys

counts = {"passed": 0, "failed": 0}


def check(name, condition, detail=""):
    if condition:
        counts["passed"] += 1
        print(f"ok   {name}")
    else:
        counts["failed"] += 1
        print(f"FAIL {name}: {detail}")
    sys.stdout.flush()  # the lines interleave with child processes' output
    return bool(condition)


def summary():
    print(f"{counts['passed']} passed, {counts['failed']} failed")
    return 1 if counts["failed"] else 0


def strict_json(text):
    """json.loads that refuses NaN and Infinity: a report never holds them."""
    def no_constants(name):
        raise ValueError(f"non-finite number {name} in JSON")
    return json.loads(text, parse_constant=no_constants)


def run_all(tests):
    """Runs each test function; one that raises is a failed check. Returns summary()."""
    for t in tests:
        try:
            t()
        except Exception as e:  # a crash of the test itself is a failure, not an abort
            check(t.__name__, False, f"{type(e).__name__}: {e}")
    return summary()

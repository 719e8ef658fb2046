#!/usr/bin/env python3
"""End-to-end tests of what a new user meets first: `builtin --show`, `init`,
the built-in hint of a failed include, `help COMMAND`, suggestions for
mistyped commands and options, and `estimate`.

usage: guided_test.py path/to/switchcost path/to/source-dir
Prints one line per check and 'N passed, N failed' at the end.
"""
import json
import os
import subprocess
import sys
import tempfile

BIN = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
SCENARIOS = os.path.join(SRC, "scenarios")
TMP = tempfile.mkdtemp(prefix="switchcost-guided-")

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


def run(*args, cwd=None, binary=False, stdout=None, timeout=300):
    """Runs switchcost; stdout and stderr as text (bytes when binary)."""
    kw = {"stdout": stdout} if stdout is not None else {"stdout": subprocess.PIPE}
    return subprocess.run([BIN, *args], stderr=subprocess.PIPE, text=not binary, timeout=timeout, cwd=cwd, **kw)


def tmp(*parts):
    return os.path.join(TMP, *parts)


def test_builtin_show():
    r = run("builtin")
    names = r.stdout.split()
    check("builtin: exit 0, lists builtin: paths", r.returncode == 0 and names and
          all(n.startswith("builtin:") for n in names), r.stdout + r.stderr)
    check("builtin lists the default scenario", "builtin:kaspersky-2024/msp-350.yaml" in names, names)
    for name in names:
        with open(os.path.join(SCENARIOS, name[len("builtin:"):]), "rb") as f:
            want = f.read()
        for given in (name, name[len("builtin:"):]):
            r = run("builtin", "--show", given, binary=True)
            check(f"builtin --show {given}: exit 0, the file byte for byte",
                  r.returncode == 0 and r.stdout == want and r.stderr == b"", r.stderr)
    for given, fragment in (("msp-350.yaml", "did you mean 'kaspersky-2024/msp-350.yaml'?"),
                            ("builtin:kaspersky-2024/timline.yaml", "did you mean 'builtin:kaspersky-2024/timeline.yaml'?"),
                            ("kaspersky-2024/prices/lst.yaml", "did you mean 'kaspersky-2024/prices/list.yaml'?"),
                            ("nothing-like-it", "built-in files are: kaspersky-2024/")):
        r = run("builtin", "--show", given)
        check(f"builtin --show {given}: exit 2, no output, {fragment}", r.returncode == 2 and r.stdout == "" and
              f"no built-in scenario file '{given}'; {fragment}" in r.stderr, f"{r.returncode}: {r.stderr}")
    r = run("builtin", "--show", "kaspersky-2024/timeline.yaml", stdout=open("/dev/full", "w"))
    check("builtin --show into a full disk: exit 74", r.returncode == 74 and "cannot write standard output" in r.stderr,
          f"{r.returncode}: {r.stderr}")
    r = run("builtin", "kaspersky-2024/timeline.yaml")
    check("builtin with a file argument: exit 2, says --show", r.returncode == 2 and "--show" in r.stderr, r.stderr)
    r = run("builtin", "--help")
    check("builtin --help describes --show", r.returncode == 0 and "--show" in r.stdout, r.stdout)


def main():
    tests = [test_builtin_show]
    for t in tests:
        try:
            t()
        except Exception as e:  # a crash of the test itself is a failure, not an abort
            check(t.__name__, False, f"{type(e).__name__}: {e}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

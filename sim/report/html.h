// One self-contained HTML page per report (`--html PATH`), for people who
// decide on money: charts and tables that open offline in any browser and can
// be forwarded as one file (docs/output-format.md, "--html PATH").
//
// The page is static text around one JSON object, in this order: the style
// (sim/report/html/report.css), the data as <script type="application/json">,
// Chart.js 3 (Debian's libjs-chart.js, embedded at build time:
// sim/report/html_assets.h) and the page's script (sim/report/html/report.js),
// which builds every chart and table from the data. The data object is
//   {"kind": "run" | "compare" | "sensitivity" | "sensitivity_indices" | "plan", "report": <the command's --json document>,
//    "charts": <what the JSON does not hold: binned per-trial series>}
// (plan: "charts" holds the comparison's JSON and compare's charts, so the
// options' distributions are drawn as compare's page draws them)
// and the script picks its renderer by "kind": a new result type adds a
// function here, its "charts", and one entry in report.js's `renderers`.
// A Content-Security-Policy in the page forbids every request (the browser
// loads nothing beyond the file), and the data is escaped so that no string
// in it ("</script>" in a file name) can end its element.
//
// The bins, from the per-trial series kept for the report (ReportData::samples,
// CompareResult::samples), of n trials:
//   histogram: bins of one "nice" width w (1, 2, 2.5 or 5 x 10^k, the first
//     at least (P99 - min) / 40) from lo = floor(min / w) w up to P99 (type 7),
//     and one overflow count of the trials beyond the last bin, with the max;
//   exceedance: points (x, P(total > x)) at x = the sorted totals at about
//     200 ranks evenly spread and 60 more in the upper tail (P from 1 down to
//     1e-3, 20 per decade), P = (trials with total > x) / n; x with P = 0
//     (the maximum) is left out, so the curve can be drawn on a log scale;
//   completion: points (day, F(day)) of the completion day's empirical
//     distribution at about 200 evenly spread ranks, F = trials done by
//     that day / n (days since 1970-01-01, fractional);
//   schedule (run, when the engine kept RunResult::schedules): on 121 days
//     evenly spread from the earliest start (floor) to the latest completion
//     (ceil) over the trials, the P10, P50 and P90 (type 7) across trials of
//     the share of endpoints moved, sum_m n_m(day) / sum_m E_m over the MSPs
//     (weighted by endpoints), with n_m the labor model's n(t) at
//     t = day - start_m: 0 until setup ends, then
//     ((X^p - (1/2)^p) f + (1/2)^p)^(1/p) - 1/2 with X = E + 1/2 and f the
//     share of the non-setup time elapsed, E from the duration on. Without
//     kept schedules the page shows only when migrations finish (it says so).
#pragma once

#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/report/compare.h"
#include "sim/report/report.h"

namespace switchcost::sim {

void render_html(const ReportData& data, std::ostream& out);
void render_compare_html(const CompareResult& result, std::ostream& out);
// The tornado, or with --indices (kind "sensitivity_indices") the S and ST
// bars with their intervals: "charts" holds only the output's label; the
// bars and tables are drawn from the report's rows (sim/report/sensitivity.h).
struct SensitivityResult;
void render_sensitivity_html(const SensitivityResult& result, std::ostream& out);

// The parts of the page, exposed for tests.
// A JSON text made safe inside <script>: '<', '>' and '&' as \u003c, \u003e
// and \u0026 (in JSON they occur only inside strings, where the escapes
// mean the same characters), so the text holds no "</script" or "<!--".
std::string script_safe_json(std::string_view json);

struct Histogram {
  double lo = 0;     // left edge of the first bin
  double width = 0;  // of every bin (> 0 when there are bins)
  std::vector<std::uint64_t> counts;
  std::uint64_t overflow = 0;  // values at or beyond lo + bins x width
  double max = 0;
};
// Bins for the sorted values of several series (compare: one set for all);
// each series sorted ascending, none empty. `bins_wanted` is the least
// number of bins up to the highest P99.
Histogram histogram_bins(const std::vector<std::span<const double>>& sorted, int bins_wanted = 40);
Histogram histogram(std::span<const double> sorted, const Histogram& bins);
// (x, P(value > x)) of sorted values, as described above.
std::vector<std::pair<double, double>> exceedance_points(std::span<const double> sorted);
// (x, share of values <= x) of sorted values: the empirical CDF.
std::vector<std::pair<double, double>> cdf_points(std::span<const double> sorted);

}  // namespace switchcost::sim

#include "sim/report/html.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <streambuf>
#include <sstream>

#include "sim/base/format.h"
#include "sim/report/html_assets.h"
#include "sim/report/plan.h"
#include "sim/report/samples.h"
#include "sim/report/sensitivity.h"
#include "sim/scenario/yaml_reader.h"
#include "sim/stats/summary.h"

namespace switchcost::sim {
namespace {

// Points of an exceedance curve or a CDF: about this many evenly spread ranks.
constexpr int even_points = 200;
// Exceedance: points per decade of P in the upper tail, down to 1e-3.
constexpr int tail_points_per_decade = 20;
constexpr int tail_decades = 3;

// The finite values of a series' first n, sorted ascending.
std::vector<double> sorted_finite(const Values& series, std::uint64_t n) {
  const std::size_t count = std::size_t(std::min<std::uint64_t>(n, series.size()));
  std::vector<double> v;
  v.reserve(count);
  for (std::size_t i = 0; i < count; ++i)
    if (std::isfinite(series[i])) v.push_back(series[i]);
  std::sort(v.begin(), v.end());
  return v;
}

// The type-7 percentile at level p of sorted, non-empty values.
double percentile_of_sorted(std::span<const double> v, double p) {
  const PercentileRanks r = percentile_ranks(v.size(), p);
  return v[r.below] + (r.h - double(r.below)) * (v[r.above] - v[r.below]);
}

// The least of 1, 2, 2.5, 5 x 10^k that is at least `raw` (> 0).
double nice_width(double raw) {
  const double base = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0})
    if (m * base >= raw) return m * base;
  return 10 * base;
}

// Trials with a value above x, of sorted values.
std::size_t count_above(std::span<const double> v, double x) {
  return std::size_t(v.end() - std::upper_bound(v.begin(), v.end(), x));
}

void json_points(Json& j, const std::string& key, const std::vector<std::pair<double, double>>& points) {
  j.open(key, '[');
  for (const auto& [x, y] : points) {
    j.open("", '[');
    j.value("", x).value("", y);
    j.close(']');
  }
  j.close(']');
}

void json_histogram_counts(Json& j, const Histogram& h) {
  j.open("counts", '[');
  for (auto c : h.counts) j.value("", std::uint64_t(c));
  j.close(']');
  j.value("overflow", h.overflow).value("max", h.max);
}

void json_bins(Json& j, const Histogram& h) {
  j.value("lo", h.lo).value("width", h.width).value("bins", std::uint64_t(h.counts.size()));
}

// Passes what is written to it on to `out` with '<', '>' and '&' escaped as
// script_safe_json does, so that a report is written into the page as it is
// rendered, never held whole in memory (10,000 MSPs make 57 MB of JSON).
class ScriptSafeBuffer : public std::streambuf {
 public:
  explicit ScriptSafeBuffer(std::ostream& out) : out_(out) {}

 protected:
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    put(traits_type::to_char_type(c));
    return out_ ? c : traits_type::eof();
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    for (std::streamsize i = 0; i < n; ++i) put(s[i]);
    return out_ ? n : 0;
  }

 private:
  void put(char c) {
    switch (c) {
      case '<': out_ << "\\u003c"; break;
      case '>': out_ << "\\u003e"; break;
      case '&': out_ << "\\u0026"; break;
      default: out_.put(c);
    }
  }
  std::ostream& out_;
};

void write_parts(std::ostream& out, std::span<const std::string_view> parts) {
  for (auto part : parts) out << part;
}

// The page around its data (see html.h): `report` renders the command's
// JSON document into the stream it is given.
void write_page(std::ostream& out, std::string_view kind, const std::function<void(std::ostream&)>& report,
                const std::string& charts_json) {
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         // No request of any kind: the report is the file and nothing else.
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
         "script-src 'unsafe-inline'; style-src 'unsafe-inline'\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<meta name=\"generator\" content=\"switchcost\">\n"
      << "<title>switchcost " << kind << " report</title>\n<style>\n";
  write_parts(out, html_style());
  out << "</style>\n</head>\n<body>\n"
         "<noscript>This report draws its charts and tables with JavaScript; enable it to read the report "
         "(the same figures are in the --json and --csv outputs).</noscript>\n"
         "<main id=\"report\"></main>\n"
         "<script type=\"application/json\" id=\"switchcost-data\">\n"
      << "{\"kind\":\"" << kind << "\",\"report\":";
  {
    ScriptSafeBuffer escaped(out);
    std::ostream json(&escaped);
    report(json);  // ends with a newline: white space between JSON tokens
  }
  out << ",\"charts\":" << script_safe_json(charts_json) << "}\n</script>\n<script>\n";
  write_parts(out, html_chartjs());
  out << "\n</script>\n<script>\n";
  write_parts(out, html_script());
  out << "\n</script>\n</body>\n</html>\n";
}

// The cost lines of the breakdown: the fixed ones, the cost formulas'
// (`formulas`, by name) before the total.
void json_cost_lines(Json& j, const std::vector<std::string>& formulas) {
  j.open("cost_lines", '[');
  for (int o = 0; o < cost_output_count; ++o) {
    if (Output(o) == Output::total_cost)
      for (const auto& name : formulas) j.open("", '{').value("key", formula_output_key(name)).value("label", name).close('}');
    j.open("", '{').value("key", output_key(Output(o))).value("label", output_label(Output(o))).close('}');
  }
  j.close(']');
}

// The type-7 percentile at level p of non-empty values, reordering them.
double percentile_in_place(std::vector<double>& v, double p) {
  const PercentileRanks r = percentile_ranks(v.size(), p);
  std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(r.below), v.end());
  const double below = v[r.below];
  const double above = r.above == r.below ? below : *std::min_element(v.begin() + std::ptrdiff_t(r.below) + 1, v.end());
  return below + (r.h - double(r.below)) * (above - below);
}

// Endpoints one MSP has moved by `day` in trial i: the labor model's n(t)
// (models/labor.h) from its kept schedule, with f the share of the
// non-setup work done, n = ((X^p - (1/2)^p) f + (1/2)^p)^(1/p) - 1/2, X = E + 1/2.
double moved_by(const ScheduleSeries& s, std::size_t i, double day) {
  const double e = s.endpoints[i];
  if (!(e > 0)) return 0;
  const double local = day - s.start_day[i];
  if (local >= s.duration_days[i]) return e;
  if (!(local > s.setup_days[i])) return 0;
  const double f = (local - s.setup_days[i]) / (s.duration_days[i] - s.setup_days[i]);
  const double p = s.learning_exponent[i];
  const double half = std::pow(0.5, p);
  const double end = std::pow(e + 0.5, p);
  return std::clamp(std::pow((end - half) * f + half, 1 / p) - 0.5, 0.0, e);
}

void json_schedule(Json& j, const RunResult& run, std::uint64_t n) {
  constexpr int days_drawn = 121;
  const auto& schedules = run.schedules;
  double first = INFINITY, last = -INFINITY;
  for (const auto& s : schedules)
    for (std::size_t i = 0; i < n; ++i) {
      first = std::min(first, s.start_day[i]);
      last = std::max(last, s.start_day[i] + s.duration_days[i]);
    }
  if (!std::isfinite(first) || !std::isfinite(last)) return;
  first = std::floor(first);
  last = std::max(first + 1, std::ceil(last));
  std::vector<double> endpoints(n, 0.0), share(n);
  for (const auto& s : schedules)
    for (std::size_t i = 0; i < n; ++i) endpoints[i] += s.endpoints[i];
  j.open("schedule", '{');
  j.open("days", '[');
  std::vector<std::array<double, 3>> band;
  for (int k = 0; k < days_drawn; ++k) {
    const double day = first + (last - first) * k / (days_drawn - 1);
    j.value("", day);
    for (std::size_t i = 0; i < n; ++i) {
      double moved = 0;
      for (const auto& s : schedules) moved += moved_by(s, i, day);
      share[i] = endpoints[i] > 0 ? moved / endpoints[i] : 1.0;
    }
    band.push_back({percentile_in_place(share, 0.1), percentile_in_place(share, 0.5), percentile_in_place(share, 0.9)});
  }
  j.close(']');
  const char* keys[] = {"p10", "p50", "p90"};
  for (int q = 0; q < 3; ++q) {
    j.open(keys[q], '[');
    for (const auto& b : band) j.value("", b[std::size_t(q)]);
    j.close(']');
  }
  j.close('}');
}

std::string run_charts(const ReportData& d) {
  Json j;
  j.open("", '{');
  json_cost_lines(j, d.portfolio.formula_names);
  j.value("updates_end", format_date(d.timeline.updates_end));
  const std::uint64_t n = d.trials_done;
  const bool kept = d.samples && d.samples->run && n > 0;
  j.value("per_trial", kept);
  if (kept) {
    const RunResult& run = *d.samples->run;
    const auto total = sorted_finite(run.portfolio[std::size_t(Output::total_cost)], n);
    if (!total.empty()) {
      const Histogram bins = histogram_bins({total});
      j.open("total_cost", '{');
      j.open("histogram", '{');
      json_bins(j, bins);
      json_histogram_counts(j, histogram(total, bins));
      j.close('}');
      json_points(j, "exceedance", exceedance_points(total));
      j.close('}');
    }
    // The portfolio's completion (its last MSP's), and each MSP's where
    // their series are kept and few enough to tell apart on one chart.
    constexpr std::size_t most_msps_drawn = 8;
    j.open("completion", '[');
    auto scope = [&](const std::string& name, const Values& series) {
      const auto days = sorted_finite(series, n);
      if (days.empty()) return;
      j.open("", '{').value("name", name);
      json_points(j, "cdf", cdf_points(days));
      j.close('}');
    };
    scope("portfolio", run.portfolio[std::size_t(Output::completion_day)]);
    if (run.msp_stats == MspStats::exact && run.msps.size() > 1 && run.msps.size() <= most_msps_drawn)
      for (std::size_t m = 0; m < run.msps.size(); ++m)
        if (run.msp_series(m)[std::size_t(Output::completion_day)].size() >= n)
          scope(run.msps[m].name, run.msp_series(m)[std::size_t(Output::completion_day)]);
    j.close(']');
    if (!run.schedules.empty()) json_schedule(j, run, n);
  }
  j.close('}');
  return j.str();
}

std::string compare_charts(const CompareResult& r) {
  Json j;
  j.open("", '{');
  j.value("updates_end", r.updates_end);
  const std::uint64_t n = r.trials_done;
  const bool kept = r.samples && n > 0 && !r.samples->portfolios.empty();
  j.value("per_trial", kept);
  if (kept) {
    const SampleSeries& s = *r.samples;
    std::vector<std::vector<double>> totals;
    for (const auto& p : s.portfolios) totals.push_back(sorted_finite(p[std::size_t(Output::total_cost)], n));
    std::vector<std::span<const double>> spans;
    for (const auto& t : totals)
      if (!t.empty()) spans.emplace_back(t);
    if (spans.size() == totals.size()) {
      const Histogram bins = histogram_bins(spans);
      j.open("histogram", '{');
      json_bins(j, bins);
      j.close('}');
      j.open("alternatives", '[');
      for (std::size_t k = 0; k < totals.size(); ++k) {
        j.open("", '{').value("label", s.labels[k]);
        j.open("histogram", '{');
        json_histogram_counts(j, histogram(totals[k], bins));
        j.close('}');
        json_points(j, "exceedance", exceedance_points(totals[k]));
        json_points(j, "completion", cdf_points(sorted_finite(s.portfolios[k][std::size_t(Output::completion_day)], n)));
        j.close('}');
      }
      j.close(']');
    }
  }
  j.close('}');
  return j.str();
}

}  // namespace

std::string script_safe_json(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (char c : json) {
    switch (c) {
      case '<': out += "\\u003c"; break;
      case '>': out += "\\u003e"; break;
      case '&': out += "\\u0026"; break;
      default: out += c;
    }
  }
  return out;
}

Histogram histogram_bins(const std::vector<std::span<const double>>& sorted, int bins_wanted) {
  Histogram h;
  if (sorted.empty()) return h;
  double lo = sorted.front().front(), hi = percentile_of_sorted(sorted.front(), 0.99);
  for (const auto& v : sorted) {
    lo = std::min(lo, v.front());
    hi = std::max(hi, percentile_of_sorted(v, 0.99));
  }
  std::size_t bins = 1;
  if (hi > lo) {
    h.width = nice_width((hi - lo) / bins_wanted);
    h.lo = std::floor(lo / h.width) * h.width;
    bins = std::size_t(std::clamp(std::ceil((hi - h.lo) / h.width), 1.0, 4.0 * bins_wanted));
  } else {  // (nearly) one value: one bin around it
    h.width = nice_width(std::max(1.0, std::fabs(lo) * 0.01));
    h.lo = std::floor(lo / h.width) * h.width;
  }
  h.counts.assign(bins, 0);
  return h;
}

Histogram histogram(std::span<const double> sorted, const Histogram& bins) {
  Histogram h = bins;
  std::fill(h.counts.begin(), h.counts.end(), 0);
  h.overflow = 0;
  for (double x : sorted) {
    const double at = std::floor((x - h.lo) / h.width);
    if (at >= double(h.counts.size())) {
      ++h.overflow;
    } else {
      ++h.counts[std::size_t(std::max(0.0, at))];
    }
  }
  h.max = sorted.empty() ? 0 : sorted.back();
  return h;
}

std::vector<std::pair<double, double>> exceedance_points(std::span<const double> v) {
  std::vector<std::pair<double, double>> points;
  const std::size_t n = v.size();
  if (n == 0) return points;
  std::vector<std::size_t> ranks;
  for (int k = 0; k <= even_points; ++k)
    ranks.push_back(std::size_t(std::llround(double(k) * double(n - 1) / even_points)));
  for (int k = 0; k <= tail_points_per_decade * tail_decades; ++k) {
    const double q = std::pow(10.0, -double(k) / tail_points_per_decade);
    const double above = std::ceil(q * double(n));
    ranks.push_back(above >= double(n) ? 0 : n - std::size_t(above));
  }
  std::sort(ranks.begin(), ranks.end());
  for (std::size_t i : ranks) {
    if (!points.empty() && v[i] == points.back().first) continue;
    const std::size_t above = count_above(v, v[i]);
    if (above == 0) break;
    points.emplace_back(v[i], double(above) / double(n));
  }
  return points;
}

std::vector<std::pair<double, double>> cdf_points(std::span<const double> v) {
  std::vector<std::pair<double, double>> points;
  const std::size_t n = v.size();
  for (int k = 0; n > 0 && k <= even_points; ++k) {
    const std::size_t i = std::size_t(std::llround(double(k) * double(n - 1) / even_points));
    if (!points.empty() && v[i] == points.back().first) continue;
    points.emplace_back(v[i], double(n - count_above(v, v[i])) / double(n));
  }
  return points;
}

void render_html(const ReportData& data, std::ostream& out) {
  write_page(out, "run", [&](std::ostream& json) { render_json(data, json); }, run_charts(data));
}

void render_compare_html(const CompareResult& result, std::ostream& out) {
  write_page(out, "compare", [&](std::ostream& json) { render_compare_json(result, json); }, compare_charts(result));
}

void render_sensitivity_html(const SensitivityResult& result, std::ostream& out) {
  // The tornado, or with --indices the indices' bars, is drawn from the
  // JSON's rows alone: no per-trial series.
  Json charts;
  charts.open("", '{').value("output_label", output_label(result.output)).close('}');
  write_page(out, result.variance_indices ? "sensitivity_indices" : "sensitivity",
             [&](std::ostream& json) { render_sensitivity_json(result, json); }, charts.str());
}

void render_plan_html(const PlanResult& result, std::ostream& out) {
  // The plan's own sections are drawn from its JSON; the options'
  // distributions as compare's page draws them, from the comparison's JSON
  // and binned series.
  std::ostringstream comparison;
  render_compare_json(result.comparison, comparison);
  const std::string charts = "{\"comparison\":" + comparison.str() +
                             ",\"compare_charts\":" + compare_charts(result.comparison) + "}";
  write_page(out, "plan", [&](std::ostream& json) { render_plan_json(result, json); }, charts);
}

}  // namespace switchcost::sim

#include "sim/report/compare.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <sstream>

#include "sim/base/error.h"
#include "sim/base/format.h"
#include "sim/base/parallel.h"
#include "sim/scenario/yaml_reader.h"

namespace switchcost::sim {

PairedDifference paired_difference(std::span<const double> alternative, std::span<const double> baseline) {
  return paired_difference(alternative, baseline, alternative, baseline);
}

PairedDifference paired_difference(std::span<const double> alternative, std::span<const double> baseline,
                                   std::span<const double> alternative_expected,
                                   std::span<const double> baseline_expected) {
  PairedDifference d;
  const std::size_t n = std::min({alternative.size(), baseline.size(), alternative_expected.size(),
                                  baseline_expected.size()});
  if (n == 0) return d;
  std::vector<double> diff(n);
  std::size_t cheaper = 0, same = 0;
  for (std::size_t i = 0; i < n; ++i) {
    diff[i] = alternative_expected[i] - baseline_expected[i];
    cheaper += alternative[i] < baseline[i] ? 1 : 0;
    same += alternative[i] == baseline[i] ? 1 : 0;
  }
  const Stats st = summarize(diff);
  d.mean = st.mean;
  d.se = st.se;
  d.lo = st.mean - 1.959963984540054 * st.se;
  d.hi = st.mean + 1.959963984540054 * st.se;
  d.cheaper.value = double(cheaper) / double(n);
  d.cheaper.se = std::sqrt(d.cheaper.value * (1 - d.cheaper.value) / double(n));
  d.same = double(same) / double(n);
  return d;
}

std::vector<double> cheapest_shares(const std::vector<std::span<const double>>& series) {
  std::vector<double> share(series.size(), 0.0);
  if (series.empty() || series[0].empty()) return share;
  const std::size_t n = series[0].size();
  std::vector<std::size_t> tied;
  for (std::size_t i = 0; i < n; ++i) {
    double best = series[0][i];
    for (const auto& s : series) best = std::min(best, s[i]);
    tied.clear();
    for (std::size_t k = 0; k < series.size(); ++k)
      if (series[k][i] == best) tied.push_back(k);
    for (std::size_t k : tied) share[k] += 1.0 / double(tied.size());
  }
  for (double& s : share) s /= double(n);
  return share;
}

namespace {

// The per-MSP series compare keeps: the totals drawn (percentiles,
// P(cheapest)) and their conditional expectations (means).
std::array<bool, output_count> totals_only() {
  std::array<bool, output_count> keep{};
  keep[std::size_t(Output::total_cost)] = true;
  keep[std::size_t(Output::total_expected_cost)] = true;
  return keep;
}

}  // namespace

namespace {

bool same_params(const Params& a, const Params& b) {
  if (a.size() != b.size()) return false;
  for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j)
    if (i->first != j->first || i->second.stream != j->second.stream ||
        !i->second.dist.same_quantiles(j->second.dist))
      return false;
  return true;
}

bool same_competitor(const Competitor& a, const Competitor& b) {
  if (!same_params(a.params, b.params) || a.volume_tiers.size() != b.volume_tiers.size()) return false;
  for (std::size_t k = 0; k < a.volume_tiers.size(); ++k)
    if (a.volume_tiers[k].min_endpoints != b.volume_tiers[k].min_endpoints ||
        a.volume_tiers[k].discount != b.volume_tiers[k].discount)
      return false;
  return true;
}

}  // namespace

bool same_inputs(const Scenario& a, const Scenario& b) {
  if (a.timeline.sales_end != b.timeline.sales_end || a.timeline.updates_end != b.timeline.updates_end ||
      a.timeline.migration_start != b.timeline.migration_start ||
      a.timeline.horizon_months != b.timeline.horizon_months || !same_params(a.market, b.market) ||
      !same_formulas(a.market_formulas.get(), b.market_formulas.get()) || a.msps.size() != b.msps.size())
    return false;
  for (std::size_t m = 0; m < a.msps.size(); ++m) {
    const Msp& x = a.msps[m];
    const Msp& y = b.msps[m];
    if (x.name != y.name || x.incumbent != y.incumbent || x.target != y.target || !same_params(x.params, y.params) ||
        !same_formulas(x.formulas.get(), y.formulas.get()) || x.extras.size() != y.extras.size())
      return false;
    for (std::size_t e = 0; e < x.extras.size(); ++e)
      if (x.extras[e].name != y.extras[e].name || x.extras[e].per != y.extras[e].per ||
          x.extras[e].cost.stream != y.extras[e].cost.stream ||
          !x.extras[e].cost.dist.same_quantiles(y.extras[e].cost.dist))
        return false;
    for (const std::string* name : {&x.incumbent, &x.target})
      if (!same_competitor(a.competitors.at(*name), b.competitors.at(*name))) return false;
  }
  return true;
}

std::uint64_t estimate_compare_bytes(const std::vector<Alternative>& alternatives, std::uint64_t trials) {
  std::uint64_t bytes = 0;
  for (const auto& a : alternatives) bytes += estimate_result_bytes(a.scenario, trials, totals_only());
  return bytes;
}

std::uint64_t estimate_compare_working_bytes(const std::vector<Alternative>& alternatives, const RunOptions& options) {
  RunOptions o = options;
  o.keep_msp_outputs = totals_only();
  o.msp_stats = MspStats::exact;
  std::vector<const Scenario*> scenarios;
  for (const auto& a : alternatives) scenarios.push_back(&a.scenario);
  // Per alternative, a paired difference series and a copy for its statistics.
  const std::uint64_t paired = 2 * alternatives.size() * options.trials * sizeof(double);
  return estimate_working_bytes(scenarios, o) + paired;
}

namespace {

// Under sobol sampling the trials are not independent: every SE of an
// alternative (its mean total, duration, labor hours, P(done), and the
// paired difference to the baseline with its interval and P(cheaper)) is
// that of the replicate means (sim/random/sampling.h).
void use_replicate_errors(AlternativeResult& a, const RunResult& run, const RunResult& baseline,
                          const Scenario& scenario) {
  const auto& p = run.portfolio;
  const auto se = [](std::span<const double> x) { return replicate_standard_error(x, sobol_replicates); };
  if (!p[std::size_t(Output::total_cost)].empty()) {
    a.total.se = se(p[std::size_t(a.total_sampled ? Output::total_expected_cost : Output::total_cost)]);
    a.duration.se = se(p[std::size_t(Output::duration_days)]);
    a.labor_hours.se = se(p[std::size_t(Output::labor_hours)]);
    a.done_before_updates_stop.se = replicate_standard_error_below(
        p[std::size_t(Output::completion_day)], double(scenario.timeline.updates_end), sobol_replicates);
  }
  const auto& x = p[std::size_t(Output::total_expected_cost)];
  const auto& b = baseline.portfolio[std::size_t(Output::total_expected_cost)];
  const auto& drawn = p[std::size_t(Output::total_cost)];
  const auto& drawn_b = baseline.portfolio[std::size_t(Output::total_cost)];
  const std::size_t n = std::min({x.size(), b.size(), drawn.size(), drawn_b.size()});
  if (n == 0) return;
  std::vector<double> diff(n), cheaper(n);
  for (std::size_t i = 0; i < n; ++i) {
    diff[i] = x[i] - b[i];
    cheaper[i] = drawn[i] < drawn_b[i] ? 1.0 : 0.0;
  }
  PairedDifference& d = a.vs_baseline;
  d.se = se(diff);
  d.lo = d.mean - 1.959963984540054 * d.se;
  d.hi = d.mean + 1.959963984540054 * d.se;
  d.cheaper.se = se(cheaper);
}

}  // namespace

CompareResult compare_alternatives(const std::vector<Alternative>& alternatives, const RunOptions& options,
                                   const RunInfo& info, bool keep_samples) {
  CompareResult result;
  result.info = info;
  result.trials_requested = options.trials;
  result.updates_end = format_date(alternatives.front().scenario.timeline.updates_end);
  RunOptions o = options;
  o.keep_msp_outputs = totals_only();
  o.msp_stats = MspStats::exact;  // paired per-MSP statistics need the per-trial totals
  std::vector<const Scenario*> scenarios;
  for (const auto& a : alternatives) scenarios.push_back(&a.scenario);
  std::vector<RunResult> runs = run_scenarios(scenarios, o);
  for (const auto& r : runs) result.complete = result.complete && r.complete;
  // An interrupted comparison keeps the trials every alternative has.
  std::uint64_t n = options.trials;
  for (const auto& r : runs) n = std::min(n, r.trials_done);
  result.trials_done = n;
  auto cut = [&](Values& v) { v.resize(std::size_t(n)); };
  for (auto& r : runs) {
    for (auto& v : r.portfolio) cut(v);
    for (auto& v : r.formula_portfolio) cut(v);
    for (auto& m : r.msps)
      for (const Output kept : {Output::total_cost, Output::total_expected_cost}) cut(m.series[std::size_t(kept)]);
  }

  // The totals drawn give the distribution (percentiles, CVaR, P(cheaper),
  // P(cheapest)); the series of their conditional expectations, the means
  // and the paired differences' means and intervals (as in `run`).
  const auto total = [](const RunResult& r) -> const Values& { return r.portfolio[std::size_t(Output::total_cost)]; };
  const auto expected = [](const RunResult& r) -> const Values& {
    return r.portfolio[std::size_t(Output::total_expected_cost)];
  };
  std::vector<std::span<const double>> totals;
  for (const auto& r : runs) totals.push_back(total(r));
  const std::vector<double> cheapest = cheapest_shares(totals);
  for (std::size_t k = 0; k < alternatives.size(); ++k) {
    AlternativeResult a;
    a.label = alternatives[k].label;
    a.inputs = alternatives[k].inputs;
    a.total = summarize(total(runs[k]));
    a.total_sampled = use_conditional_mean(a.total, summarize(expected(runs[k])));
    a.duration = summarize(runs[k].portfolio[std::size_t(Output::duration_days)]);
    a.labor_hours = summarize(runs[k].portfolio[std::size_t(Output::labor_hours)]);
    a.done_before_updates_stop = share_below(runs[k].portfolio[std::size_t(Output::completion_day)],
                                          double(alternatives[k].scenario.timeline.updates_end));
    a.vs_baseline = paired_difference(total(runs[k]), total(runs[0]), expected(runs[k]), expected(runs[0]));
    if (o.sampling == Sampling::sobol) use_replicate_errors(a, runs[k], runs[0], alternatives[k].scenario);
    a.p_cheapest = cheapest[k];
    result.alternatives.push_back(std::move(a));
  }
  // The cost formulas' rows, paired like the totals (a missing row is 0).
  for (const auto& r : runs)
    for (const auto& name : r.formula_costs)
      if (std::find(result.formula_costs.begin(), result.formula_costs.end(), name) == result.formula_costs.end())
        result.formula_costs.push_back(name);
  if (!result.formula_costs.empty()) {
    const std::vector<double> zeros(std::size_t(n), 0.0);
    const auto row = [&](const RunResult& r, const std::string& name) -> std::span<const double> {
      const auto it = std::find(r.formula_costs.begin(), r.formula_costs.end(), name);
      return it == r.formula_costs.end() ? std::span<const double>(zeros)
                                         : std::span<const double>(r.formula_portfolio[std::size_t(it - r.formula_costs.begin())]);
    };
    const auto se = [](std::span<const double> x) { return replicate_standard_error(x, sobol_replicates); };
    for (std::size_t k = 0; k < runs.size(); ++k) {
      AlternativeResult& a = result.alternatives[k];
      for (const auto& name : result.formula_costs) {
        const auto x = row(runs[k], name), b = row(runs[0], name);
        Stats st = summarize(x);
        PairedDifference d = paired_difference(x, b);
        if (o.sampling == Sampling::sobol && n > 0) {
          st.se = se(x);
          std::vector<double> diff(x.size()), cheaper(x.size());
          for (std::size_t i = 0; i < x.size(); ++i) {
            diff[i] = x[i] - b[i];
            cheaper[i] = x[i] < b[i] ? 1.0 : 0.0;
          }
          d.se = se(diff);
          d.lo = d.mean - 1.959963984540054 * d.se;
          d.hi = d.mean + 1.959963984540054 * d.se;
          d.cheaper.se = se(cheaper);
        }
        a.formula_costs.push_back(std::move(st));
        a.formula_vs_baseline.push_back(d);
      }
    }
  }
  // Rank by mean total cost; equal means share the better rank.
  for (auto& a : result.alternatives) {
    a.rank = 1;
    for (const auto& b : result.alternatives) a.rank += b.total.mean < a.total.mean ? 1 : 0;
  }

  // Per-MSP choice, over the MSPs every alternative has: one task per MSP on
  // the run's threads (each writes only its own slot, so the same bytes for
  // any thread count).
  std::vector<MspChoice> choices(runs[0].msps.size());
  std::vector<char> complete(runs[0].msps.size(), 0);
  parallel_for(runs[0].msps.size(), options.threads, [&](std::size_t m) {
    const std::string& name = runs[0].msps[m].name;
    std::vector<std::span<const double>> series, expected_series;
    for (const auto& r : runs) {
      // Mostly at the same place (the same MSP list), else searched for.
      auto it = m < r.msps.size() && r.msps[m].name == name
                    ? r.msps.begin() + std::ptrdiff_t(m)
                    : std::find_if(r.msps.begin(), r.msps.end(), [&](const MspSeries& s) { return s.name == name; });
      if (it == r.msps.end()) return;
      series.push_back(it->series[std::size_t(Output::total_cost)]);
      expected_series.push_back(it->series[std::size_t(Output::total_expected_cost)]);
    }
    MspChoice& c = choices[m];
    c.name = name;
    for (std::size_t k = 0; k < series.size(); ++k) {
      c.mean.push_back(mean_of(expected_series[k]));
      c.p90.push_back(mean_and_percentile(series[k], 0.9).value);
    }
    c.p_cheapest = cheapest_shares(series);
    complete[m] = 1;
  });
  for (std::size_t m = 0; m < choices.size(); ++m)
    if (complete[m]) result.msps.push_back(std::move(choices[m]));
  if (keep_samples) {
    auto samples = std::make_shared<SampleSeries>();
    auto formula_samples = std::make_shared<FormulaSamples>();
    for (std::size_t k = 0; k < runs.size(); ++k) {
      samples->labels.push_back(alternatives[k].label);
      samples->portfolios.push_back(std::move(runs[k].portfolio));
      auto& formulas = formula_samples->emplace_back();
      for (std::size_t f = 0; f < runs[k].formula_costs.size(); ++f)
        formulas.emplace_back(runs[k].formula_costs[f], std::move(runs[k].formula_portfolio[f]));
    }
    result.samples = std::move(samples);
    result.formula_samples = std::move(formula_samples);
  }
  return result;
}

void render_compare_table(const CompareResult& r, std::ostream& out) {
  out << "switchcost " << r.info.version << " compare: " << r.alternatives.size() << " alternatives, "
      << grouped(static_cast<long long>(r.trials_done)) << " trials each, seed " << r.info.seed << ", "
      << fixed(r.info.seconds, 2) << " s\n";
  out << sampling_note(r.info, r.trials_requested);
  if (!r.complete)
    out << "INTERRUPTED: " << grouped(static_cast<long long>(r.trials_done)) << " of "
        << grouped(static_cast<long long>(r.trials_requested)) << " trials; the figures below are partial\n";
  if (r.trials_done == 0) {  // no statistics at all: not a table of zeros
    out << "No trial finished before the interruption: there are no results.\n";
    return;
  }
  out << "Differences are paired: every alternative draws the same values for the inputs it shares with the "
         "baseline (common random numbers).\n\n";
  // Labels and MSP names come from file names and inputs: escaped for the terminal.
  std::vector<std::string> labels;
  for (const auto& a : r.alternatives) labels.push_back(printable(a.label));
  std::size_t w0 = 12;
  for (const auto& l : labels) w0 = std::max(w0, text_width(l) + 12);
  const bool conditional = std::all_of(r.alternatives.begin(), r.alternatives.end(),
                                       [](const AlternativeResult& a) { return a.total_sampled.has_value(); });
  out << "Portfolio total cost [USD]\n  " << pad_right("alternative", w0)
      << pad_left(conditional ? "mean +- SE *" : "mean +- SE", 22)
      << pad_left("P50", 12) << pad_left("P90", 12) << pad_left("P95", 12) << pad_left("CVaR95", 12) << "\n";
  for (std::size_t k = 0; k < r.alternatives.size(); ++k) {
    const auto& a = r.alternatives[k];
    out << "  " << pad_right(labels[k] + (k == 0 ? " (baseline)" : ""), w0)
        << pad_left(format_money(a.total.mean) + " +- " + format_error(a.total.se), 22)
        << pad_left(format_money(a.total.at(0.5).value), 12) << pad_left(format_money(a.total.at(0.9).value), 12)
        << pad_left(format_money(a.total.at(0.95).value), 12) << pad_left(format_money(a.total.cvar95), 12) << "\n";
  }
  if (conditional) {
    out << "  * means, and the differences' means and intervals below, are of the expected total\n"
           "    given each trial's inputs (lost updates as expected incidents x mean cost per\n"
           "    incident, as in `run`); percentiles, CVaR95 and the probabilities are of the\n"
           "    totals drawn, whose means are:";
    std::size_t column = 35;  // of "    totals drawn, whose means are:"
    for (std::size_t k = 0; k < r.alternatives.size(); ++k) {
      const std::string item = labels[k] + " " + format_money(r.alternatives[k].total_sampled->mean) +
                               (k + 1 < r.alternatives.size() ? "," : ".");
      if (column + 1 + text_width(item) > 88) {
        out << "\n   ";
        column = 3;
      }
      out << ' ' << item;
      column += 1 + text_width(item);
    }
    out << "\n";
  }
  // Time and effort beside the cost: for a capacity question (technicians,
  // start date) these are the main difference.
  const bool several = r.msps.size() > 1;
  out << "\nTime and effort (portfolio: " << (several ? "the last MSP to finish, hours of all MSPs" : "one MSP")
      << "; updates stop " << r.updates_end << " 00:00)\n  " << pad_right("alternative", w0)
      << pad_left("days P50", 10) << pad_left("days P90", 10)
      << pad_left(several ? "P(every MSP done before updates stop)" : "P(done before updates stop)", several ? 40 : 30)
      << pad_left("hours mean +- SE", 18) << pad_left("hours P90", 11) << "\n";
  for (std::size_t k = 0; k < r.alternatives.size(); ++k) {
    const auto& a = r.alternatives[k];
    out << "  " << pad_right(labels[k], w0) << pad_left(fixed(a.duration.at(0.5).value, 1), 10)
        << pad_left(fixed(a.duration.at(0.9).value, 1), 10)
        << pad_left(format_percent(a.done_before_updates_stop.value) + " +- " +
                        format_percent(a.done_before_updates_stop.se),
                    several ? 40 : 30)
        << pad_left(grouped(std::llround(a.labor_hours.mean)) + " +- " + fixed(a.labor_hours.se, 1), 18)
        << pad_left(grouped(std::llround(a.labor_hours.at(0.9).value)), 11) << "\n";
  }
  out << "\n  " << pad_right("alternative", w0) << pad_left("vs baseline (95% CI)", 36) << pad_left("P(cheaper)", 12)
      << pad_left("P(same)", 10) << pad_left("P(cheapest)", 13) << pad_left("rank", 6) << "\n";
  for (std::size_t k = 0; k < r.alternatives.size(); ++k) {
    const auto& a = r.alternatives[k];
    const std::string diff = k == 0 ? std::string("-")
                                    : format_signed_money(a.vs_baseline.mean) + " [" +
                                          format_signed_money(a.vs_baseline.lo) + ", " +
                                          format_signed_money(a.vs_baseline.hi) + "]";
    // The label column ends in 11 spaces at least (w0): no gap needed.
    out << "  " << pad_right(labels[k], w0) << pad_left(diff, 36, 0)
        << pad_left(k == 0 ? std::string("-") : format_percent(a.vs_baseline.cheaper.value), 12)
        << pad_left(k == 0 ? std::string("-") : format_percent(a.vs_baseline.same), 10)
        << pad_left(format_percent(a.p_cheapest), 13) << pad_left(std::to_string(a.rank), 6) << "\n";
  }
  out << "  P(cheaper): share of trials whose total is below the baseline's; P(same): share whose total\n"
         "  equals it exactly (neither is cheaper); P(cheapest): ties split among the tied.\n";
  if (!r.formula_costs.empty()) {
    // Each cost formula's portfolio row (in the totals above), paired like them.
    std::size_t w_name = 24;
    for (const auto& f : r.formula_costs) w_name = std::max(w_name, text_width(printable(f)) + 2);
    out << "\nCost formulas [USD] (0 where an alternative has none; in the totals above)\n  "
        << pad_right("formula", w_name) << pad_right("alternative", w0) << pad_left("mean +- SE", 22)
        << pad_left("P90", 12) << pad_left("vs baseline (95% CI)", 36) << "\n";
    for (std::size_t f = 0; f < r.formula_costs.size(); ++f)
      for (std::size_t k = 0; k < r.alternatives.size(); ++k) {
        const Stats& st = r.alternatives[k].formula_costs[f];
        const PairedDifference& d = r.alternatives[k].formula_vs_baseline[f];
        const std::string diff = k == 0 ? std::string("-")
                                        : format_signed_money(d.mean) + " [" + format_signed_money(d.lo) + ", " +
                                              format_signed_money(d.hi) + "]";
        out << "  " << pad_right(k == 0 ? printable(r.formula_costs[f]) : std::string(), w_name)
            << pad_right(labels[k], w0) << pad_left(format_money(st.mean) + " +- " + format_error(st.se), 22)
            << pad_left(format_money(st.at(0.9).value), 12) << pad_left(diff, 36) << "\n";
      }
  }
  if (!r.msps.empty()) {
    std::vector<const MspChoice*> order;
    for (const auto& m : r.msps) order.push_back(&m);
    std::stable_sort(order.begin(), order.end(),
                     [](const MspChoice* a, const MspChoice* b) { return a->mean[0] > b->mean[0]; });
    const std::size_t shown = std::min<std::size_t>(order.size(), 20);
    std::vector<std::string> names;
    std::size_t name_width = 20;
    for (std::size_t i = 0; i < shown; ++i) {
      names.push_back(printable(order[i]->name));
      name_width = std::max(name_width, text_width(names.back()) + 1);
    }
    out << "\nPer MSP: expected total cost (P90) and P(cheapest), by baseline cost";
    if (shown < order.size()) out << "; " << shown << " of " << order.size() << " shown, all in the JSON";
    out << "\n  " << pad_right("MSP", name_width);
    std::vector<std::size_t> col;
    for (const auto& l : labels) {
      col.push_back(std::max<std::size_t>(28, text_width(l) + 2));
      out << pad_left(l, col.back());
    }
    out << "\n";
    for (std::size_t i = 0; i < shown; ++i) {
      const auto& m = *order[i];
      out << "  " << pad_right(names[i], name_width);
      for (std::size_t k = 0; k < m.mean.size(); ++k)
        out << pad_left(format_money(m.mean[k]) + " (" + format_money(m.p90[k]) + ") " +
                            format_percent(m.p_cheapest[k], 0),
                        col[k]);
      out << "\n";
    }
  }
}

void json_alternative_stats(Json& j, const AlternativeResult& a) {
  j.open("inputs", '[');
  for (const auto& f : a.inputs) j.value("", f);
  j.close(']');
  json_stats(j, "total_cost", a.total, [&](Json& f) { json_mean_fields(f, a.total, a.total_sampled); });
  json_stats(j, "duration_days", a.duration);
  json_stats(j, "labor_hours", a.labor_hours);
}

void render_compare_json(const CompareResult& r, std::ostream& out) {
  // With no trial done every statistic is null (json_stats does the same
  // for n = 0), not a difference or a probability of 0.
  const bool none = r.trials_done == 0;
  auto value = [&](Json& j, const std::string& key, double x) -> Json& { return none ? j.null(key) : j.value(key, x); };
  Json j(out);
  j.open("", '{');
  j.value("schema", compare_schema);
  json_manifest(j, "compare", r.info, r.trials_requested, r.trials_done, r.complete);
  j.open("alternatives", '[');
  for (std::size_t k = 0; k < r.alternatives.size(); ++k) {
    const auto& a = r.alternatives[k];
    j.open("", '{');
    j.value("label", a.label).value("baseline", k == 0).value("rank", std::uint64_t(a.rank));
    json_alternative_stats(j, a);
    j.open("done_before_updates_stop", '{');
    value(j, "p", a.done_before_updates_stop.value);
    value(j, "se", a.done_before_updates_stop.se);
    j.close('}');
    j.open("vs_baseline", '{');
    value(j, "mean", a.vs_baseline.mean);
    value(j, "se", a.vs_baseline.se);
    if (none) {
      j.null("ci95");
    } else {
      j.open("ci95", '[').value("", a.vs_baseline.lo).value("", a.vs_baseline.hi);
      j.close(']');
    }
    value(j, "p_cheaper", a.vs_baseline.cheaper.value);
    value(j, "p_cheaper_se", a.vs_baseline.cheaper.se);
    value(j, "p_same", a.vs_baseline.same);
    j.close('}');
    value(j, "p_cheapest", a.p_cheapest);
    if (!r.formula_costs.empty()) {  // absent without cost formulas: such reports stay as they were
      j.open("formula_costs", '{');
      for (std::size_t f = 0; f < r.formula_costs.size(); ++f) {
        const Stats& st = a.formula_costs[f];
        const PairedDifference& d = a.formula_vs_baseline[f];
        json_stats(j, formula_output_key(r.formula_costs[f]), st, [&](Json& x) {
          json_mean_fields(x, st, std::nullopt);
          x.open("vs_baseline", '{');
          value(x, "mean", d.mean);
          value(x, "se", d.se);
          if (none) {
            x.null("ci95");
          } else {
            x.open("ci95", '[').value("", d.lo).value("", d.hi);
            x.close(']');
          }
          value(x, "p_cheaper", d.cheaper.value);
          value(x, "p_same", d.same);
          x.close('}');
        });
      }
      j.close('}');
    }
    j.close('}');
  }
  j.close(']');
  j.open("msps", '[');
  for (const auto& m : r.msps) {
    j.open("", '{').value("name", m.name);
    j.open("by_alternative", '[');
    for (std::size_t k = 0; k < m.mean.size(); ++k) {
      j.open("", '{').value("label", r.alternatives[k].label);
      value(j, "mean", m.mean[k]);
      value(j, "p90", m.p90[k]);
      value(j, "p_cheapest", m.p_cheapest[k]);
      j.close('}');
    }
    j.close(']');
    j.close('}');
  }
  j.close(']');
  j.close('}');
  j.finish();
}

void render_compare_csv(const CompareResult& r, std::ostream& out) {
  out << "scope,name,alternative,baseline,mean,se,p50,p90,p95,cvar95,diff_mean,diff_se,diff_lo,diff_hi,"
         "p_cheaper,p_cheapest,rank,sampled_mean,sampled_se,p_same,duration_mean,duration_p50,duration_p90,"
         "p_done_before_updates_stop,p_done_before_updates_stop_se,labor_hours_mean,labor_hours_p90,n,complete\n";
  const std::string complete = r.complete ? "true" : "false";
  // With no trial done the statistics' fields are empty, not zeros.
  const bool none = r.trials_done == 0;
  for (std::size_t k = 0; k < r.alternatives.size(); ++k) {
    const auto& a = r.alternatives[k];
    out << "portfolio,portfolio," << csv_field(a.label) << ',' << (k == 0 ? "true" : "false") << ',';
    if (none)
      out << ",,,,,,,,,,,";
    else
      out << number(a.total.mean) << ',' << number(a.total.se) << ',' << number(a.total.at(0.5).value) << ','
          << number(a.total.at(0.9).value) << ',' << number(a.total.at(0.95).value) << ',' << number(a.total.cvar95)
          << ',' << number(a.vs_baseline.mean) << ',' << number(a.vs_baseline.se) << ',' << number(a.vs_baseline.lo)
          << ',' << number(a.vs_baseline.hi) << ',' << number(a.vs_baseline.cheaper.value) << ','
          << number(a.p_cheapest);
    out << ',' << a.rank << ',';
    if (!none && a.total_sampled)
      out << number(a.total_sampled->mean) << ',' << number(a.total_sampled->se);
    else
      out << ',';
    if (none)
      out << ",,,,,,,,";
    else
      out << ',' << number(a.vs_baseline.same) << ',' << number(a.duration.mean) << ','
          << number(a.duration.at(0.5).value) << ',' << number(a.duration.at(0.9).value) << ','
          << number(a.done_before_updates_stop.value) << ',' << number(a.done_before_updates_stop.se) << ','
          << number(a.labor_hours.mean) << ',' << number(a.labor_hours.at(0.9).value);
    out << ',' << r.trials_done << ',' << complete << "\n";
  }
  // The cost formulas' rows: scope "formula", name "formula.NAME"; the
  // columns the portfolio's rows have up to p_cheaper (its P(cheaper)), and p_same.
  for (std::size_t f = 0; f < r.formula_costs.size(); ++f)
    for (std::size_t k = 0; k < r.alternatives.size(); ++k) {
      const Stats& st = r.alternatives[k].formula_costs[f];
      const PairedDifference& d = r.alternatives[k].formula_vs_baseline[f];
      out << "formula," << csv_field(formula_output_key(r.formula_costs[f])) << ','
          << csv_field(r.alternatives[k].label) << ',' << (k == 0 ? "true" : "false") << ',';
      if (none)
        out << ",,,,,,,,,,";
      else
        out << number(st.mean) << ',' << number(st.se) << ',' << number(st.at(0.5).value) << ','
            << number(st.at(0.9).value) << ',' << number(st.at(0.95).value) << ',' << number(st.cvar95) << ','
            << number(d.mean) << ',' << number(d.se) << ',' << number(d.lo) << ',' << number(d.hi) << ','
            << number(d.cheaper.value);
      out << ",,,,," << (none ? std::string() : number(d.same)) << ",,,,,,,," << r.trials_done << ',' << complete
          << "\n";
    }
  for (const auto& m : r.msps) {
    const std::string name = csv_field(m.name);
    for (std::size_t k = 0; k < m.mean.size(); ++k) {
      out << "msp," << name << ',' << csv_field(r.alternatives[k].label) << ',' << (k == 0 ? "true" : "false") << ',';
      if (none)
        out << ",,,,,,,,,,,,";
      else
        out << number(m.mean[k]) << ",,," << number(m.p90[k]) << ",,,,,,,," << number(m.p_cheapest[k]) << ',';
      out << ",,,,,,,,,,," << r.trials_done << ',' << complete << "\n";
    }
  }
}

std::string render_compare_table(const CompareResult& r) { return render_to_string(render_compare_table, r); }
std::string render_compare_json(const CompareResult& r) { return render_to_string(render_compare_json, r); }
std::string render_compare_csv(const CompareResult& r) { return render_to_string(render_compare_csv, r); }

}  // namespace switchcost::sim

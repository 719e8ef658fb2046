#include "sim/report/sensitivity.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <stdexcept>

#include "sim/base/error.h"
#include "sim/base/format.h"
#include "sim/report/sensitivity_indices.h"

namespace switchcost::sim {

const char* to_string(InputOwner owner) noexcept {
  switch (owner) {
    case InputOwner::market: return "market";
    case InputOwner::competitor: return "competitor";
    case InputOwner::msp: return "msp";
  }
  return "market";
}

namespace {

std::string unit_of(const std::vector<ParamSpec>& specs, std::string_view key) {
  for (const auto& s : specs)
    if (s.key == key) return std::string(s.unit);
  return {};
}

const char* per_name(models::ExtraPer per) noexcept {
  switch (per) {
    case models::ExtraPer::endpoint: return "endpoint";
    case models::ExtraPer::client: return "client";
    case models::ExtraPer::msp: return "msp";
    case models::ExtraPer::month: return "month";
  }
  return "msp";
}

// The input `ref` names in `s` (a Scenario or a const one).
template <class S>
auto& var_in(S& s, const InputRef& ref) {
  switch (ref.level) {
    case InputOwner::market: return s.market.at(ref.key);
    case InputOwner::competitor: return s.competitors.at(ref.owner).params.at(ref.key);
    case InputOwner::msp: break;
  }
  auto& m = s.msps.at(ref.msp);
  if (!ref.extra) return m.params.at(ref.key);
  for (auto& e : m.extras)
    if (e.name == ref.key) return e.cost;
  throw std::out_of_range("no extra item '" + ref.key + "' in MSP '" + m.name + "'");
}

}  // namespace

const Var& input_var(const Scenario& scenario, const InputRef& ref) { return var_in(scenario, ref); }
Var& input_var(Scenario& scenario, const InputRef& ref) { return var_in(scenario, ref); }

std::vector<InputGroup> uncertain_inputs(const Scenario& s) {
  std::vector<InputGroup> groups;
  for (const auto& [key, var] : s.market) {
    if (var.dist.is_constant()) continue;
    groups.push_back({"market." + key, InputOwner::market, unit_of(market_param_specs(), key),
                      {InputRef{InputOwner::market, "", 0, key, false}}});
  }
  for (const auto& [name, c] : s.competitors)
    for (const auto& [key, var] : c.params) {
      if (var.dist.is_constant()) continue;
      groups.push_back({"competitors." + name + "." + key, InputOwner::competitor,
                        unit_of(competitor_param_specs(), key), {InputRef{InputOwner::competitor, name, 0, key, false}}});
    }
  // MSP inputs: one group per key over every MSP that draws it.
  std::map<std::string, std::size_t, std::less<>> index;
  auto add = [&](const std::string& group_key, std::string unit, InputRef ref) {
    auto [it, fresh] = index.emplace(group_key, groups.size());
    if (fresh) groups.push_back({group_key, InputOwner::msp, std::move(unit), {}});
    groups[it->second].members.push_back(std::move(ref));
  };
  for (std::size_t m = 0; m < s.msps.size(); ++m) {
    const Msp& msp = s.msps[m];
    for (const auto& [key, var] : msp.params)
      if (!var.dist.is_constant())
        add(key, unit_of(msp_param_specs(), key), InputRef{InputOwner::msp, msp.name, m, key, false});
    for (const auto& e : msp.extras)
      if (!e.cost.dist.is_constant())
        add("extras." + e.name, std::string("[USD per ") + per_name(e.per) + "]",
            InputRef{InputOwner::msp, msp.name, m, e.name, true});
  }
  return groups;
}

Scenario hold_at_quantile(const Scenario& scenario, const InputGroup& group, double p) {
  Scenario copy = scenario;
  for (const auto& ref : group.members) {
    Var& v = var_in(copy, ref);
    v.dist = Distribution::constant(v.dist.quantile(p));
  }
  return copy;
}

Output mean_series_of(Output o) noexcept {
  if (o == Output::total_cost) return Output::total_expected_cost;
  if (o == Output::lost_updates_cost) return Output::lost_updates_expected_cost;
  return o;
}

std::optional<Output> output_named(std::string_view key) noexcept {
  for (int o = 0; o < output_count; ++o)
    if (key == output_key(Output(o))) return Output(o);
  return std::nullopt;
}

std::string measured_output_key(Output o, const std::string& formula) {
  return formula.empty() ? std::string(output_key(o)) : formula_output_key(formula);
}

std::size_t set_measured_output(const Scenario& scenario, const SensitivityOptions& sensitivity,
                                SensitivityResult& result) {
  result.output = sensitivity.formula.empty() ? sensitivity.output : formula_output_like;
  result.formula = sensitivity.formula;
  if (sensitivity.formula.empty()) return std::size_t(-1);
  if (sensitivity.msp || sensitivity.per_msp)
    throw std::invalid_argument("a cost formula's row is measured for the portfolio only");
  return formula_index(scenario, sensitivity.formula);
}

std::size_t formula_index(const Scenario& scenario, const std::string& name) {
  const std::vector<std::string> names = formula_cost_names(scenario);
  for (std::size_t f = 0; f < names.size(); ++f)
    if (names[f] == name) return f;
  throw std::invalid_argument("the scenario has no cost formula named '" + name + "'");
}

namespace {

// Only the portfolio's series: nothing per MSP.
// The portfolio's series; with --msp also each MSP's series of the output
// and of its mean series (the engine keeps an output for every MSP or none).
RunOptions portfolio_only(const RunOptions& options, const SensitivityOptions& sensitivity = {}) {
  RunOptions o = options;
  o.keep_msp_outputs = {};
  o.keep_msp_formula_costs = false;
  if (sensitivity.msp) {
    o.keep_msp_outputs[std::size_t(sensitivity.output)] = true;
    o.keep_msp_outputs[std::size_t(mean_series_of(sensitivity.output))] = true;
  }
  o.msp_stats = MspStats::exact;
  return o;
}

// The series measured: the portfolio's output o, or MSP msp's; or the
// portfolio's row of cost formula `formula` (an index into formula_portfolio;
// npos: none).
const Values& measured(const RunResult& r, const SensitivityOptions& sensitivity, std::size_t o,
                       std::size_t formula) {
  if (formula != std::size_t(-1)) return r.formula_portfolio.at(formula);
  return sensitivity.msp ? r.msp_series(*sensitivity.msp)[o] : r.portfolio[o];
}

// Per row: the paired differences, the summary's copy of them and a copy
// for a percentile.
std::uint64_t statistics_bytes(std::uint64_t trials) { return 3 * trials * sizeof(double); }

}  // namespace

std::uint64_t estimate_sensitivity_bytes(const Scenario& scenario, std::uint64_t trials,
                                         const SensitivityOptions& sensitivity) {
  // The two copies of a group run together; the baseline is summarised and
  // released before them.
  RunOptions o;
  o.trials = trials;
  return 2 * estimate_result_bytes(scenario, trials, portfolio_only(o, sensitivity).keep_msp_outputs, false);
}

std::uint64_t estimate_sensitivity_working_bytes(const Scenario& scenario, const RunOptions& options,
                                                 const SensitivityOptions& sensitivity) {
  return estimate_working_bytes({&scenario, &scenario, &scenario}, portfolio_only(options, sensitivity)) +
         statistics_bytes(options.trials);
}

std::optional<double> p90_swing_se(std::span<const double> high, std::span<const double> low) {
  const std::size_t n = std::min(high.size(), low.size()), k = p90_swing_sections;
  if (n < k * p90_swing_section_trials_min) return std::nullopt;
  std::array<double, p90_swing_sections> d{};
  for (std::size_t s = 0, begin = 0; s < k; ++s) {
    const std::size_t size = n / k + (s < n % k ? 1 : 0);
    d[s] = mean_and_percentile(high.subspan(begin, size), sensitivity_high).value -
           mean_and_percentile(low.subspan(begin, size), sensitivity_high).value;
    begin += size;
  }
  double mean = 0;
  for (const double x : d) mean += x;
  mean /= double(k);
  double ss = 0;
  for (const double x : d) ss += (x - mean) * (x - mean);
  return std::sqrt(ss / double(k - 1) / double(k));
}

SensitivityResult run_sensitivity(const Scenario& scenario, const RunOptions& options,
                                  const SensitivityOptions& sensitivity) {
  SensitivityResult result;
  result.trials_requested = options.trials;
  const std::size_t formula = set_measured_output(scenario, sensitivity, result);
  const std::size_t out = std::size_t(result.output);
  const std::size_t mean_out = std::size_t(mean_series_of(result.output));
  const std::vector<InputGroup> groups = uncertain_inputs(scenario);
  result.groups = groups.size();

  // Which groups change anything an MSP draws (the others' copies would
  // repeat the baseline trial by trial: same_inputs, sim/report/compare.h).
  std::vector<char> read(groups.size(), 1);
  std::size_t runs_planned = 1;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (sensitivity.skip_unread && groups[g].level == InputOwner::competitor)
      read[g] = !(same_inputs(scenario, hold_at_quantile(scenario, groups[g], sensitivity_low)) &&
                  same_inputs(scenario, hold_at_quantile(scenario, groups[g], sensitivity_high)));
    runs_planned += read[g] ? 1 : 0;  // one pass of trials for both copies
  }

  if (sensitivity.msp) result.msp = scenario.msps.at(*sensitivity.msp).name;
  RunOptions o = portfolio_only(options, sensitivity);
  std::uint64_t offset = 0;
  const std::uint64_t total = options.trials * runs_planned;
  if (options.progress)
    o.progress = [&](std::uint64_t done, std::uint64_t) { options.progress(offset + done, total); };

  {
    RunResult base = run_scenario(scenario, o);
    ++result.runs;
    result.trials_done = base.trials_done;
    result.complete = base.complete;
    result.baseline = summarize(measured(base, sensitivity, out, formula));
    if (mean_out != out) use_conditional_mean(result.baseline, summarize(measured(base, sensitivity, mean_out, formula)));
    if (sensitivity.keep_samples) {
      auto samples = std::make_shared<SampleSeries>();
      samples->labels.push_back("baseline");
      samples->portfolios.push_back(std::move(base.portfolio));
      result.samples = std::move(samples);
    }
  }
  offset += options.trials;
  if (!result.complete || result.trials_done == 0) return result;

  for (std::size_t g = 0; g < groups.size(); ++g) {
    const InputGroup& group = groups[g];
    SensitivityRow row;
    row.key = group.key;
    row.level = group.level;
    row.unit = group.unit;
    for (const auto& ref : group.members) {
      const Var& v = input_var(scenario, ref);
      row.members.push_back(
          {v.stream, v.dist.describe(), v.dist.quantile(sensitivity_low), v.dist.quantile(sensitivity_high)});
    }
    row.read = read[g] != 0;
    if (!row.read) {
      // Both copies are the baseline, trial by trial: the same bits a run
      // gives (mean_of and mean_and_percentile are summarize's).
      row.mean_low = row.mean_high = result.baseline.mean;
      row.swing.same = 1;
      row.p90_low = row.p90_high = result.baseline.at(sensitivity_high).value;
    } else {
      const Scenario low = hold_at_quantile(scenario, group, sensitivity_low);
      const Scenario high = hold_at_quantile(scenario, group, sensitivity_high);
      const std::vector<RunResult> r = run_scenarios({&low, &high}, o);
      result.runs += 2;
      offset += options.trials;
      if (!r[0].complete || !r[1].complete || r[0].trials_done != result.trials_done ||
          r[1].trials_done != result.trials_done) {
        result.complete = false;  // interrupted: the groups finished are reported
        break;
      }
      const Values& lo = measured(r[0], sensitivity, out, formula);
      const Values& hi = measured(r[1], sensitivity, out, formula);
      const Values& lo_mean = measured(r[0], sensitivity, mean_out, formula);
      const Values& hi_mean = measured(r[1], sensitivity, mean_out, formula);
      row.mean_low = mean_of(lo_mean);
      row.mean_high = mean_of(hi_mean);
      row.swing = paired_difference(hi, lo, hi_mean, lo_mean);
      row.p90_low = mean_and_percentile(lo, sensitivity_high).value;
      row.p90_high = mean_and_percentile(hi, sensitivity_high).value;
      row.p90_swing_se = p90_swing_se(hi, lo);
    }
    row.p90_swing = row.p90_high - row.p90_low;
    if (!row.read && result.trials_done >= p90_swing_sections * p90_swing_section_trials_min)
      row.p90_swing_se = 0.0;  // the same bits at both quantiles: no difference in any section
    result.rows.push_back(std::move(row));
  }
  std::stable_sort(result.rows.begin(), result.rows.end(), [](const SensitivityRow& a, const SensitivityRow& b) {
    return std::fabs(a.swing.mean) > std::fabs(b.swing.mean);
  });
  return result;
}

// ---------------------------------------------------------------------------
// Reports

namespace {

bool is_money(Output o) noexcept {
  return int(o) < cost_output_count || o == Output::lost_updates_expected_cost || o == Output::total_expected_cost;
}

const char* output_unit(Output o) noexcept {
  if (is_money(o)) return "USD";
  switch (o) {
    case Output::labor_hours: return "h";
    case Output::duration_days: return "days";
    case Output::completion_day: return "days since 1970-01-01";
    case Output::incidents: return "incidents";
    default: return "";
  }
}

std::string value_text(Output o, double x) { return is_money(o) ? format_money(x) : fixed(x, 1); }
std::string error_text(Output o, double x) { return is_money(o) ? format_error(x) : fixed(x, 2); }
std::string signed_text(Output o, double x) {
  if (is_money(o)) return format_signed_money(x);
  return (x < 0 ? "-" : "+") + fixed(std::fabs(x), 1);
}

// An input's value: four significant digits.
std::string input_text(double x) {
  char buf[32];
  if (std::fabs(x) >= 1e3 && std::fabs(x) < 1e15) return (x < 0 ? "-" : "") + grouped(std::llround(std::fabs(x)));
  std::snprintf(buf, sizeof buf, "%.4g", x);
  return buf;
}

// The members' quantiles when they all share them, else none.
bool shared_values(const SensitivityRow& row) {
  for (const auto& m : row.members)
    if (m.low != row.members.front().low || m.high != row.members.front().high) return false;
  return !row.members.empty();
}

std::string row_label(const SensitivityRow& row) {
  std::string label = printable(row.key);
  if (row.members.size() > 1) label += " (" + std::to_string(row.members.size()) + " MSPs)";
  return label;
}

}  // namespace

void render_sensitivity_table(const SensitivityResult& r, std::ostream& out) {
  if (r.variance_indices) return render_indices_table(r, out);
  const Output o = r.output;
  const bool conditional = mean_series_of(o) != o;
  out << "switchcost " << r.info.version << " sensitivity of "
      << (r.msp.empty() ? std::string("the portfolio's ") : "MSP " + printable(r.msp) + "'s own ")
      << printable(measured_output_key(o, r.formula)) << " ["
      << output_unit(o) << "]: " << r.groups << " uncertain inputs, " << grouped(static_cast<long long>(r.trials_done))
      << " trials per run, " << r.runs << " runs, seed " << r.info.seed << ", " << fixed(r.info.seconds, 2)
      << " s\n";
  if (!r.complete)
    out << "INTERRUPTED: " << r.rows.size() << " of " << r.groups
        << " inputs done; the rows below are complete, the others missing\n";
  if (r.trials_done == 0) {
    out << "No trial finished before the interruption: there are no results.\n";
    return;
  }
  out << "baseline: mean " << value_text(o, r.baseline.mean) << " +- " << error_text(o, r.baseline.se)
      << (conditional ? " *" : "") << ", P90 " << value_text(o, r.baseline.at(0.9).value) << "\n";
  out << "Each input is held at its own P10, then at its P90, while every other input is drawn as usual on\n"
         "the same trials (common random numbers); swing = mean at P90 - mean at P10, +- the SE of the\n"
         "per-trial differences; P90 swing = P90 at P90 - P90 at P10, +- its SE over 20 sections of the\n"
         "trials. An MSP key is one input over every MSP that draws it.\n\n";
  if (r.rows.empty() && r.complete) {
    out << "The scenario has no uncertain input: every input is a constant.\n";
    return;
  }
  const std::size_t shown = std::min(r.top, r.rows.size());
  std::vector<std::string> labels, values;
  std::size_t w_label = 6, w_unit = 5, w_values = 12;
  double widest = 0;
  for (std::size_t i = 0; i < shown; ++i) {
    const auto& row = r.rows[i];
    labels.push_back(row_label(row));
    values.push_back(shared_values(row) ? input_text(row.members.front().low) + " -> " +
                                              input_text(row.members.front().high)
                                        : "per MSP");
    w_label = std::max(w_label, text_width(labels.back()) + 2);
    w_unit = std::max(w_unit, text_width(row.unit) + 2);
    w_values = std::max(w_values, text_width(values.back()) + 2);
    widest = std::max(widest, std::fabs(row.swing.mean));
  }
  // The numeric columns widen to their widest cell (a portfolio's millions).
  std::vector<std::array<std::string, 4>> cells;
  std::array<std::size_t, 4> w = {14, 14, 24, 18};
  for (std::size_t i = 0; i < shown; ++i) {
    const auto& row = r.rows[i];
    cells.push_back({value_text(o, row.mean_low), value_text(o, row.mean_high),
                     signed_text(o, row.swing.mean) + " +- " + error_text(o, row.swing.se),
                     signed_text(o, row.p90_swing) +
                         (row.p90_swing_se ? " +- " + error_text(o, *row.p90_swing_se) : std::string())});
    for (std::size_t c = 0; c < 4; ++c) w[c] = std::max(w[c], text_width(cells.back()[c]) + 3);
  }
  constexpr std::size_t bar_width = 20;
  out << "  " << pad_right("input", w_label) << pad_right("unit", w_unit) << pad_right("P10 -> P90", w_values)
      << pad_left(conditional ? "mean at P10 *" : "mean at P10", w[0]) << pad_left("mean at P90", w[1])
      << pad_left("swing +- SE", w[2]) << pad_left("P90 swing +- SE", w[3]) << "  swing\n";
  for (std::size_t i = 0; i < shown; ++i) {
    const auto& row = r.rows[i];
    const std::size_t bar =
        widest > 0 ? std::size_t(std::llround(double(bar_width) * std::fabs(row.swing.mean) / widest)) : 0;
    out << "  " << pad_right(labels[i], w_label) << pad_right(printable(row.unit), w_unit)
        << pad_right(values[i], w_values);
    for (std::size_t c = 0; c < 4; ++c) out << pad_left(cells[i][c], w[c]);
    out << "  " << (row.swing.mean < 0 ? '-' : '+') << std::string(bar, '#') << "\n";
  }
  if (shown < r.rows.size()) {
    double rest = 0;
    for (std::size_t i = shown; i < r.rows.size(); ++i) rest = std::max(rest, std::fabs(r.rows[i].swing.mean));
    out << "  " << shown << " of " << r.rows.size() << " inputs shown (--top); the others swing at most "
        << value_text(o, rest) << "; all are in --json and --csv\n";
  }
  std::size_t unread = 0;
  for (const auto& row : r.rows) unread += row.read ? 0 : 1;
  if (unread)
    out << "  " << unread << " inputs are of competitors no MSP leaves or moves to: their swing is 0.\n";
  if (conditional)
    out << "  * means and swings are of the expected " << (o == Output::total_cost ? "total" : "cost")
        << " given each trial's inputs (lost updates as expected\n"
           "    incidents x mean cost per incident, as in `run`); P90s are of the costs drawn.\n";
}

void render_sensitivity_json(const SensitivityResult& r, std::ostream& out) {
  if (r.variance_indices) return render_indices_json(r, out);
  const bool none = r.trials_done == 0;
  auto value = [&](Json& j, const std::string& key, double x) -> Json& { return none ? j.null(key) : j.value(key, x); };
  Json j(out);
  j.open("", '{');
  j.value("schema", sensitivity_schema);
  json_manifest(j, "sensitivity", r.info, r.trials_requested, r.trials_done, r.complete, [&](Json& m) {
    const std::string key = measured_output_key(r.output, r.formula);
    m.value("output", key).value("mean_series", r.formula.empty() ? output_key(mean_series_of(r.output)) : key);
    m.value("low_quantile", sensitivity_low).value("high_quantile", sensitivity_high);
    m.value("input_groups", std::uint64_t(r.groups)).value("input_groups_done", std::uint64_t(r.rows.size()));
    m.value("runs", std::uint64_t(r.runs));
  });
  j.open("output", '{').value("key", measured_output_key(r.output, r.formula)).value("unit", output_unit(r.output));
  j.value("scope", r.msp.empty() ? "portfolio" : "msp");
  if (!r.msp.empty()) j.value("msp", r.msp);
  j.close('}');
  j.open("baseline", '{');
  value(j, "mean", r.baseline.mean);
  value(j, "se", r.baseline.se);
  value(j, "p90", none ? 0.0 : r.baseline.at(0.9).value);
  j.close('}');
  j.open("inputs", '[');
  for (std::size_t i = 0; i < r.rows.size(); ++i) {
    const auto& row = r.rows[i];
    j.open("", '{').value("rank", std::uint64_t(i + 1)).value("key", row.key).value("level", to_string(row.level));
    j.value("unit", row.unit).value("read", row.read);
    j.open("members", '[');
    for (const auto& m : row.members) {
      j.open("", '{').value("stream", m.stream).value("distribution", m.distribution);
      j.value("p10", m.low).value("p90", m.high);
      j.close('}');
    }
    j.close(']');
    j.open("at_p10", '{').value("mean", row.mean_low).value("p90", row.p90_low);
    j.close('}');
    j.open("at_p90", '{').value("mean", row.mean_high).value("p90", row.p90_high);
    j.close('}');
    j.open("swing", '{').value("mean", row.swing.mean).value("se", row.swing.se);
    j.open("ci95", '[').value("", row.swing.lo).value("", row.swing.hi);
    j.close(']');
    j.close('}');
    j.value("p90_swing", row.p90_swing);
    if (row.p90_swing_se)
      j.value("p90_swing_se", *row.p90_swing_se);
    else
      j.null("p90_swing_se");
    j.close('}');
  }
  j.close(']');
  j.close('}');
  j.finish();
}

void render_sensitivity_csv(const SensitivityResult& r, std::ostream& out) {
  if (r.variance_indices) return render_indices_csv(r, out);
  out << "rank,input,level,unit,members,input_p10,input_p90,mean_at_p10,mean_at_p90,swing,swing_se,swing_lo,"
         "swing_hi,p90_at_p10,p90_at_p90,p90_swing,read,output,baseline_mean,baseline_se,baseline_p90,n,complete,"
         "p90_swing_se,msp\n";
  const std::string tail = csv_field(measured_output_key(r.output, r.formula)) + ',' + number(r.baseline.mean) + ',' +
                           number(r.baseline.se) + ',' +
                           (r.trials_done ? number(r.baseline.at(0.9).value) : std::string()) + ',' +
                           std::to_string(r.trials_done) + ',' + (r.complete ? "true" : "false");
  for (std::size_t i = 0; i < r.rows.size(); ++i) {
    const auto& row = r.rows[i];
    out << i + 1 << ',' << csv_field(row.key) << ',' << to_string(row.level) << ',' << csv_field(row.unit) << ','
        << row.members.size() << ',';
    if (shared_values(row))
      out << number(row.members.front().low) << ',' << number(row.members.front().high);
    else
      out << ',';
    out << ',' << number(row.mean_low) << ',' << number(row.mean_high) << ',' << number(row.swing.mean) << ','
        << number(row.swing.se) << ',' << number(row.swing.lo) << ',' << number(row.swing.hi) << ','
        << number(row.p90_low) << ',' << number(row.p90_high) << ',' << number(row.p90_swing) << ','
        << (row.read ? "true" : "false") << ',' << tail << ','
        << (row.p90_swing_se ? number(*row.p90_swing_se) : std::string()) << ','
        << (r.msp.empty() ? std::string() : csv_field(r.msp)) << "\n";
  }
}

std::string render_sensitivity_table(const SensitivityResult& r) {
  return render_to_string(render_sensitivity_table, r);
}
std::string render_sensitivity_json(const SensitivityResult& r) {
  return render_to_string(render_sensitivity_json, r);
}
std::string render_sensitivity_csv(const SensitivityResult& r) {
  return render_to_string(render_sensitivity_csv, r);
}

}  // namespace switchcost::sim

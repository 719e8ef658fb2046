#include "sim/report/plan.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <sstream>

#include "sim/base/error.h"
#include "sim/base/format.h"
#include "sim/base/parallel.h"
#include "sim/random/random.h"
#include "sim/report/html.h"
#include "sim/report/samples.h"
#include "sim/scenario/yaml_reader.h"

namespace switchcost::sim {

PlanVariable parse_plan_variable(const std::string& argument) {
  const std::string where = "--vary '" + argument + "': ";
  const std::size_t eq = argument.find('=');
  if (eq == std::string::npos)
    throw UsageError(where + "takes KEY=VALUE,VALUE,... (e.g. labor.technicians=1,2,3)");
  PlanVariable v;
  v.key = argument.substr(0, eq);
  if (v.key.empty() || v.key.find_first_of(" \t,") != std::string::npos)
    throw UsageError(where + "the key before '=' must be one word (a --set key, 'target' or 'start')");
  // Values split at commas outside brackets, so flow YAML values keep theirs.
  std::string current;
  int depth = 0;
  auto push = [&] {
    const std::size_t a = current.find_first_not_of(' '), b = current.find_last_not_of(' ');
    const std::string value = a == std::string::npos ? "" : current.substr(a, b - a + 1);
    if (value.empty())
      throw UsageError(where + "value " + std::to_string(v.values.size() + 1) + " is empty");
    if (std::find(v.values.begin(), v.values.end(), value) != v.values.end())
      throw UsageError(where + "the value '" + value + "' is given twice");
    v.values.push_back(value);
    current.clear();
  };
  for (std::size_t i = eq + 1; i < argument.size(); ++i) {
    const char ch = argument[i];
    if (ch == '[' || ch == '{') ++depth;
    if (ch == ']' || ch == '}') --depth;
    if (depth < 0) throw UsageError(where + "unbalanced '" + std::string(1, ch) + "' at column " + std::to_string(i + 1));
    if (ch == ',' && depth == 0) {
      push();
      continue;
    }
    current += ch;
  }
  if (depth != 0) throw UsageError(where + "unbalanced brackets: a '[' or '{' is not closed");
  push();
  return v;
}

std::vector<PlanVariable> plan_variables(const Decisions& decisions, const std::vector<std::string>& vary) {
  std::vector<PlanVariable> grid;
  for (const DecisionVariable& d : decisions.vary) {
    PlanVariable v;
    v.key = d.key;
    v.key_where = d.where;
    for (const DecisionValue& value : d.values) {
      // A target is a name, never parsed as YAML (as --vary target=NAME).
      const std::string& text = d.key == "target" && !value.scalar.empty() ? value.scalar : value.text;
      if (std::find(v.values.begin(), v.values.end(), text) != v.values.end())
        throw ScenarioError(value.where, "decision '" + d.key + "': the value " + text + " is given twice");
      v.values.push_back(text);
      v.where.push_back(value.where);
    }
    grid.push_back(std::move(v));
  }
  for (const std::string& argument : vary) {
    PlanVariable v = parse_plan_variable(argument);
    const auto same = std::find_if(grid.begin(), grid.end(), [&](const PlanVariable& g) { return g.key == v.key; });
    if (same != grid.end() && !same->where.empty())
      *same = std::move(v);  // the command line over the file
    else
      grid.push_back(std::move(v));  // two --vary of one key: plan_grid refuses them
  }
  return grid;
}

std::vector<std::vector<std::string>> plan_grid(const std::vector<PlanVariable>& grid) {
  std::size_t count = 1;
  for (std::size_t k = 0; k < grid.size(); ++k) {
    for (std::size_t j = 0; j < k; ++j)
      if (grid[j].key == grid[k].key) throw UsageError("--vary " + grid[k].key + " is given twice");
    if (grid[k].values.empty()) throw UsageError("--vary " + grid[k].key + " has no values");
    count = count > plan_max_options ? count : count * grid[k].values.size();
  }
  if (count > plan_max_options) {
    std::string sizes;
    for (const auto& v : grid) sizes += (sizes.empty() ? "" : " x ") + std::to_string(v.values.size());
    throw UsageError("the grid has " + sizes + " options, more than the " + std::to_string(plan_max_options) +
                     " plan runs; vary fewer values at a time");
  }
  std::vector<std::vector<std::string>> options(grid.empty() ? 0 : count);
  for (std::size_t i = 0; i < options.size(); ++i) {
    std::size_t rest = i;
    options[i].resize(grid.size());
    for (std::size_t k = grid.size(); k-- > 0;) {
      options[i][k] = grid[k].values[rest % grid[k].values.size()];
      rest /= grid[k].values.size();
    }
  }
  return options;
}

Overlay plan_overlay(const std::string& key, const std::string& value) {
  Overlay o = key == "target" ? Overlay::moving_to("", value)
                              : Overlay::setting(key == "start" ? "timeline.migration_start" : key, value);
  o.name = "--vary " + key + "=" + value;
  return o;
}

namespace {

// An error of a --vary overlay (`name`, for a value written in a file's
// `decisions:` block at `key` and `value`) moved to the file. A setting's
// columns count in "KEY=VALUE" (one line, key_size the setting key's
// length): one in the value is moved to the same place in the file's
// value, one in the key to the file's key; a target's error (no column) is
// the value's.
ScenarioError relocated(const ScenarioError& e, const std::string& name, const Location& key, const Location& value,
                        std::size_t key_size) {
  const int value_start = int(key_size) + 2;  // the value's first column in "KEY=VALUE"
  Location where = key;
  if (e.where().column >= value_start || e.where().column == 0) {
    where = value;
    if (e.where().line == 1 && e.where().column >= value_start) where.column += e.where().column - value_start;
  }
  return ScenarioError(where, "decision " + name.substr(std::string("--vary ").size()) + ": " + e.message());
}

}  // namespace

void check_plan_values(const std::vector<std::string>& files, const std::vector<PlanVariable>& grid,
                  const std::vector<Overlay>& settings) {
  std::vector<ScenarioError> errors;
  for (const PlanVariable& v : grid)
    for (std::size_t i = 0; i < v.values.size(); ++i) {
      std::vector<Overlay> overlays{plan_overlay(v.key, v.values[i])};
      overlays.insert(overlays.end(), settings.begin(), settings.end());
      bool in_key = false;  // an error in the key is the same for every value: reported once
      const auto keep = [&](const ScenarioError& e) {
        const int column = e.where().column;
        in_key = in_key || (e.where().file == overlays[0].name && column > 0 &&
                            column < int(overlays[0].set_key.size()) + 2);
        if (i < v.where.size() && e.where().file == overlays[0].name)
          errors.push_back(relocated(e, overlays[0].name, v.key_where, v.where[i], overlays[0].set_key.size()));
        else
          errors.push_back(e);
      };
      try {
        load_scenario(files, {}, overlays);
      } catch (const ScenarioErrors& all) {
        for (const ScenarioError& e : all.errors()) keep(e);
      } catch (const ScenarioError& e) {
        keep(e);
      }
      if (in_key) break;
    }
  // One error found by several values (of the files, or of --set) once.
  std::vector<ScenarioError> distinct;
  for (const ScenarioError& e : errors)
    if (std::none_of(distinct.begin(), distinct.end(), [&](const ScenarioError& d) { return std::string(d.what()) == e.what(); }))
      distinct.push_back(e);
  if (distinct.size() == 1) throw distinct[0];
  if (!distinct.empty()) throw ScenarioErrors(std::move(distinct), false);
}

std::vector<Alternative> plan_alternatives(const std::vector<std::string>& files,
                                           const std::vector<PlanVariable>& grid,
                                           const std::vector<Overlay>& settings) {
  const std::vector<std::vector<std::string>> choices = plan_grid(grid);
  check_plan_values(files, grid, settings);
  std::vector<Alternative> alternatives;
  for (const auto& choice : choices) {
    Alternative a;
    std::vector<Overlay> overlays;
    for (std::size_t k = 0; k < grid.size(); ++k) {
      a.label += (k ? " " : "") + grid[k].key + "=" + choice[k];
      overlays.push_back(plan_overlay(grid[k].key, choice[k]));
    }
    overlays.insert(overlays.end(), settings.begin(), settings.end());
    // Values that pass alone may still fail together (a start after the
    // cut-off with a delay, ...): the option's first error, at its value.
    try {
      a.scenario = load_scenario(files, {}, overlays);
    } catch (const ScenarioError& e) {
      for (std::size_t k = 0; k < grid.size(); ++k) {
        const auto at = std::size_t(std::find(grid[k].values.begin(), grid[k].values.end(), choice[k]) - grid[k].values.begin());
        if (at < grid[k].where.size() && e.where().file == overlays[k].name)
          throw relocated(e, overlays[k].name, grid[k].key_where, grid[k].where[at], overlays[k].set_key.size());
      }
      throw;
    }
    a.inputs = files;
    for (const auto& o : overlays) a.inputs.push_back(o.name);
    alternatives.push_back(std::move(a));
  }
  return alternatives;
}

namespace {

constexpr const char* measure_names[] = {"p_done", "duration_p90", "cost_p90", "cost_mean"};

double measure_of(const AlternativeResult& a, PlanMeasure m) {
  switch (m) {
    case PlanMeasure::p_done: return a.done_before_updates_stop.value;
    case PlanMeasure::duration_p90: return a.duration.at(0.9).value;
    case PlanMeasure::cost_p90: return a.total.at(0.9).value;
    case PlanMeasure::cost_mean: return a.total.mean;
  }
  return 0;
}

// Largest relative shortfall over the constraints: 0 when all are met.
double shortfall_of(const AlternativeResult& a, const std::vector<PlanConstraint>& constraints) {
  double worst = 0;
  for (const auto& c : constraints) {
    const double x = measure_of(a, c.measure);
    const double miss = c.at_least ? c.bound - x : x - c.bound;
    if (miss > 0) worst = std::max(worst, miss / std::max(std::abs(c.bound), 1e-9));
  }
  return worst;
}

// sum_b (n_b / n) max_d mean_b(NB_d) - max_d mean(NB_d), NB = -cost, bins of
// `order` (a permutation of the trials) of equal count, and its SE given
// the bins' choices: with d*(b) the option of least mean cost in bin b and
// d0 the option of least mean cost overall, the estimate is the mean over
// trials of y(i) = cost_d0(i) - cost_d*(b(i))(i), and its SE is
// sd(y) / sqrt(n) (as EVPI's, the choices taken as known; their selection
// bias is what the noise floor estimates).
struct BinnedValue {
  double value = 0, se = 0;
};
BinnedValue binned_value(const std::vector<const Values*>& cost, std::size_t d0, const std::vector<std::uint32_t>& order,
                         std::size_t bins, double best_mean_cost) {
  const std::size_t n = order.size(), options = cost.size();
  double sum = 0;
  std::vector<double> bin(options), y(n);
  for (std::size_t b = 0; b < bins; ++b) {
    const std::size_t lo = b * n / bins, hi = (b + 1) * n / bins;
    std::fill(bin.begin(), bin.end(), 0.0);
    for (std::size_t d = 0; d < options; ++d) {
      const double* c = cost[d]->data();
      double s = 0;
      for (std::size_t i = lo; i < hi; ++i) s += c[order[i]];
      bin[d] = s;
    }
    const auto best = std::min_element(bin.begin(), bin.end());
    sum += *best;  // the sum of n_b costs: n_b x min mean
    const double* chosen = cost[std::size_t(best - bin.begin())]->data();
    const double* reference = cost[d0]->data();
    for (std::size_t i = lo; i < hi; ++i) y[i] = reference[order[i]] - chosen[order[i]];
  }
  MomentAccumulator moments;
  moments.add(BlockMoments::of(y.data(), n));
  return BinnedValue{best_mean_cost - sum / double(n), moments.se()};
}

void value_of_information(PlanResult& r, const std::vector<Alternative>& alternatives, const RunOptions& run) {
  const auto& samples = *r.comparison.samples;
  const std::size_t n = std::size_t(r.comparison.trials_done), options = samples.portfolios.size();
  if (n < 2 || n > std::numeric_limits<std::uint32_t>::max()) return;
  std::vector<const Values*> cost;
  for (const auto& p : samples.portfolios) cost.push_back(&p[std::size_t(Output::total_expected_cost)]);
  // EVPI of the choice among `among` (options, ascending): the mean and SE
  // of the per-trial regret of its option of lowest mean cost, d0.
  const auto evpi_among = [&](const std::vector<std::size_t>& among, double& evpi, double& se) {
    std::size_t d0 = among.front();
    for (const std::size_t d : among)
      if (r.comparison.alternatives[d].total.mean < r.comparison.alternatives[d0].total.mean) d0 = d;
    Values regret(n);
    for (std::size_t i = 0; i < n; ++i) {
      double low = (*cost[among.front()])[i];
      for (const std::size_t d : among) low = std::min(low, (*cost[d])[i]);
      regret[i] = (*cost[d0])[i] - low;
    }
    const Stats st = summarize(std::span<const double>(regret.data(), n));
    evpi = st.mean;
    se = st.se;
    return d0;
  };
  std::vector<std::size_t> all(options), meeting;
  for (std::size_t d = 0; d < options; ++d) {
    all[d] = d;
    if (r.options[d].meets) meeting.push_back(d);
  }
  const std::size_t d0 = evpi_among(all, r.evpi, r.evpi_se);
  // Under constraints some options miss, the choice is among those meeting them.
  if (!meeting.empty() && meeting.size() < options) r.meeting_evpi = MeetingEvpi{meeting.size(), 0, 0};
  if (r.meeting_evpi) evpi_among(meeting, r.meeting_evpi->evpi, r.meeting_evpi->evpi_se);
  const double best_mean_cost = mean_of(std::span<const double>(cost[d0]->data(), n));

  // Input groups: every option's uncertain inputs, by key, first met first;
  // competitors no MSP of any option leaves or moves to are left out.
  std::set<std::string> used;
  for (const auto& a : alternatives)
    for (const auto& m : a.scenario.msps) used.insert({m.incumbent, m.target});
  std::vector<InputGroup> groups;
  std::vector<const Scenario*> owner;
  for (const auto& a : alternatives)
    for (auto& g : uncertain_inputs(a.scenario)) {
      if (g.level == InputOwner::competitor && !used.count(g.members.front().owner)) continue;
      if (std::any_of(groups.begin(), groups.end(), [&](const InputGroup& h) { return h.key == g.key; })) continue;
      groups.push_back(std::move(g));
      owner.push_back(&a.scenario);
    }

  r.evppi_bins = std::max<std::size_t>(1, std::size_t(std::sqrt(double(n))));
  std::vector<std::uint32_t> trial_order(n);
  for (std::size_t i = 0; i < n; ++i) trial_order[i] = std::uint32_t(i);
  r.evppi_noise_floor = binned_value(cost, d0, trial_order, r.evppi_bins, best_mean_cost).value;
  std::vector<PlanInformation> info(groups.size());
  parallel_for(groups.size(), run.threads, [&](std::size_t g) {
    // The group's index per trial: the mean of its members' uniforms, drawn
    // from the streams the engine draws them from (trial i of the run).
    std::vector<Stream> streams;
    for (const auto& m : groups[g].members)
      streams.push_back(Stream{run.seed, variable_id(input_var(*owner[g], m).stream)});
    std::vector<std::pair<double, std::uint32_t>> keyed(n);
    for (std::size_t i = 0; i < n; ++i) {
      double z = 0;
      for (const auto& s : streams) z += uniform(s, i, 0);
      keyed[i] = {z / double(streams.size()), std::uint32_t(i)};
    }
    std::sort(keyed.begin(), keyed.end());
    std::vector<std::uint32_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = keyed[i].second;
    PlanInformation& p = info[g];
    p.key = groups[g].key;
    p.level = groups[g].level;
    p.unit = groups[g].unit;
    p.members = groups[g].members.size();
    const BinnedValue raw = binned_value(cost, d0, order, r.evppi_bins, best_mean_cost);
    p.raw = raw.value;
    p.se = raw.se;
    p.evppi = std::max(0.0, p.raw - r.evppi_noise_floor);
  });
  std::stable_sort(info.begin(), info.end(),
                   [](const PlanInformation& a, const PlanInformation& b) { return a.evppi > b.evppi; });
  r.evppi = std::move(info);
  r.information = true;
}

}  // namespace

const char* to_string(PlanMeasure m) noexcept { return measure_names[int(m)]; }

PlanConstraint parse_plan_constraint(const std::string& text) {
  const std::string where = "--require '" + text + "': ";
  PlanConstraint c;
  c.text = text;
  std::string s;
  for (char ch : text)
    if (ch != ' ') s += ch;
  const std::size_t op = s.find_first_of("<>=!");
  if (op == std::string::npos || op == 0)
    throw UsageError(where + "takes MEASURE >= NUMBER or MEASURE <= NUMBER (e.g. \"p_done >= 0.9\")");
  const std::string name = s.substr(0, op);
  std::vector<std::string_view> known(std::begin(measure_names), std::end(measure_names));
  const auto it = std::find(known.begin(), known.end(), name);
  if (it == known.end()) {
    const std::string near = suggest(name, known);
    throw UsageError(where + "'" + name + "' is not a measure; " +
                     (near.empty() ? "measures are p_done, duration_p90, cost_p90, cost_mean"
                                   : "did you mean '" + near + "'?"));
  }
  c.measure = PlanMeasure(it - known.begin());
  const std::string op_text = s.substr(op, 2);
  if (op_text != ">=" && op_text != "<=")
    throw UsageError(where + "the operator must be >= or <=, got '" + s.substr(op, op_text[1] == '=' ? 2 : 1) + "'");
  c.at_least = op_text == ">=";
  const std::string number_text = s.substr(op + 2);
  std::size_t used = 0;
  try {
    c.bound = std::stod(number_text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (number_text.empty() || used != number_text.size() || !std::isfinite(c.bound))
    throw UsageError(where + "the bound '" + number_text + "' is not a number");
  if (c.measure == PlanMeasure::p_done && (c.bound < 0 || c.bound > 1))
    throw UsageError(where + "p_done is a probability: the bound must be from 0 to 1, got " + number_text);
  return c;
}

std::vector<PlanConstraint> plan_constraints(const Decisions& decisions, const std::vector<std::string>& require) {
  std::vector<PlanConstraint> constraints;
  for (const std::string& text : require) constraints.push_back(parse_plan_constraint(text));
  if (!require.empty()) return constraints;
  for (const DecisionValue& value : decisions.require) {
    try {
      constraints.push_back(parse_plan_constraint(value.text));
    } catch (const UsageError& e) {
      // The same message, at the file's text instead of an argument.
      std::string message = e.what();
      const std::string prefix = "--require '" + value.text + "': ";
      if (message.rfind(prefix, 0) == 0) message = message.substr(prefix.size());
      throw ScenarioError(value.where, "decisions.require '" + value.text + "': " + message);
    }
  }
  return constraints;
}

PlanResult run_plan(const std::vector<Alternative>& alternatives, const RunOptions& run,
                    const PlanSettings& settings) {
  PlanResult r;
  r.variables = settings.grid;
  r.constraints = settings.constraints;
  r.comparison = compare_alternatives(alternatives, run, RunInfo{}, true);
  r.trials_requested = r.comparison.trials_requested;
  r.trials_done = r.comparison.trials_done;
  r.complete = r.comparison.complete;
  const auto grid = plan_grid(settings.grid);
  const auto& alts = r.comparison.alternatives;
  for (std::size_t k = 0; k < alts.size(); ++k) {
    PlanOption o;
    o.label = alts[k].label;
    if (k < grid.size())
      for (std::size_t v = 0; v < settings.grid.size(); ++v) o.choices.emplace_back(settings.grid[v].key, grid[k][v]);
    r.options.push_back(std::move(o));
  }
  if (r.comparison.trials_done == 0) return r;  // no statistics: no decision

  auto cheaper = [&](std::size_t a, std::size_t b) { return alts[a].total.mean < alts[b].total.mean; };
  for (std::size_t k = 0; k < alts.size(); ++k) {
    r.options[k].shortfall = shortfall_of(alts[k], r.constraints);
    r.options[k].meets = r.options[k].shortfall == 0;
    if (!r.options[k].meets) continue;
    if (!r.recommended || cheaper(k, *r.recommended)) {
      r.runner_up = r.recommended;
      r.recommended = k;
    } else if (!r.runner_up || cheaper(k, *r.runner_up)) {
      r.runner_up = k;
    }
  }
  if (!r.recommended) {
    std::size_t c = 0;
    for (std::size_t k = 1; k < alts.size(); ++k)
      if (r.options[k].shortfall < r.options[c].shortfall ||
          (r.options[k].shortfall == r.options[c].shortfall && cheaper(k, c)))
        c = k;
    r.closest = c;
  }
  const std::size_t ref = r.reference();
  const auto& series = r.comparison.samples->portfolios;
  auto column = [&](std::size_t k, Output o) -> const Values& { return series[k][std::size_t(o)]; };
  for (std::size_t k = 0; k < alts.size(); ++k)
    r.options[k].vs_reference =
        paired_difference(column(k, Output::total_cost), column(ref, Output::total_cost),
                          column(k, Output::total_expected_cost), column(ref, Output::total_expected_cost));
  r.tie = r.runner_up && r.options[*r.runner_up].vs_reference.lo <= 0;

  // The frontier: cost (mean, lower better) against P(done) (higher better).
  for (std::size_t k = 0; k < alts.size(); ++k) {
    const double ck = alts[k].total.mean, pk = alts[k].done_before_updates_stop.value;
    bool dominated = false;
    for (std::size_t j = 0; j < alts.size() && !dominated; ++j) {
      const double cj = alts[j].total.mean, pj = alts[j].done_before_updates_stop.value;
      dominated = cj <= ck && pj >= pk && (cj < ck || pj > pk);
    }
    r.options[k].frontier = !dominated;
    if (!dominated) r.frontier.push_back(k);
  }
  std::stable_sort(r.frontier.begin(), r.frontier.end(), cheaper);
  if (settings.information && alts.size() > 1) value_of_information(r, alternatives, run);
  return r;
}

namespace {

std::string interval(const PairedDifference& d) {
  return format_signed_money(d.mean) + " [" + format_signed_money(d.lo) + ", " + format_signed_money(d.hi) + "]";
}

}  // namespace

void render_plan_table(const PlanResult& r, std::ostream& out) {
  const CompareResult& c = r.comparison;
  out << "switchcost " << c.info.version << " plan: " << r.options.size() << " options, "
      << grouped(static_cast<long long>(c.trials_done)) << " trials each (the same trials), seed " << c.info.seed
      << ", " << fixed(c.info.seconds, 2) << " s\n";
  if (!c.complete)
    out << "INTERRUPTED: " << grouped(static_cast<long long>(c.trials_done)) << " of "
        << grouped(static_cast<long long>(c.trials_requested)) << " trials; the figures below are partial\n";
  if (c.trials_done == 0) {
    out << "No trial finished before the interruption: there are no results.\n";
    return;
  }
  const std::size_t ref = r.reference();
  std::vector<std::string> labels;
  for (const auto& o : r.options) labels.push_back(printable(o.label));
  out << "\nTotal cost [USD]: mean +- SE of the expected cost given each trial's inputs; P90 of the costs drawn.\n"
      << "Differences are paired, option - " << (r.recommended ? "the recommended" : "the closest") << " ("
      << labels[ref] << "), with 95% CI. Updates stop " << c.updates_end << " 00:00.\n\n";
  // Cells first, then each column as wide as its widest cell (a portfolio's
  // costs run to billions).
  std::vector<std::vector<std::string>> rows = {
      {"option", "cost mean +- SE", "cost P90", "days P50", "days P90", "P(done) +- SE", "hours",
       r.recommended ? "vs recommended" : "vs closest"}};
  for (std::size_t k = 0; k < r.options.size(); ++k) {
    const auto& a = c.alternatives[k];
    rows.push_back({labels[k], format_money(a.total.mean) + " +- " + format_error(a.total.se),
                    format_money(a.total.at(0.9).value), fixed(a.duration.at(0.5).value, 1),
                    fixed(a.duration.at(0.9).value, 1),
                    format_percent(a.done_before_updates_stop.value) + " +- " +
                        format_percent(a.done_before_updates_stop.se),
                    grouped(std::llround(a.labor_hours.mean)),
                    k == ref ? std::string("-") : interval(r.options[k].vs_reference)});
  }
  std::vector<std::size_t> column(rows.front().size(), 0);
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) column[i] = std::max(column[i], text_width(row[i]));
  for (std::size_t k = 0; k < rows.size(); ++k) {
    out << "  " << pad_right(rows[k][0], column[0]);
    for (std::size_t i = 1; i < rows[k].size(); ++i) out << pad_left(rows[k][i], column[i] + 3);
    if (k > 0) {
      const auto& o = r.options[k - 1];
      out << (o.meets ? "" : "  (misses)") << (o.frontier ? "  frontier" : "")
          << (k - 1 == ref ? (r.recommended ? "  <" : "  ?") : "");
    }
    out << "\n";
  }
  std::string require;
  for (const auto& k : r.constraints) require += (require.empty() ? "" : " and ") + k.text;
  out << "\n";
  if (r.recommended) {
    out << "Recommended: " << labels[*r.recommended]
        << (require.empty() ? ", the lowest expected cost" : ", the cheapest option with " + require);
    if (!r.runner_up) {
      out << " (the only one" << (require.empty() ? "" : " meeting it") << ").\n";
    } else {
      const auto& d = r.options[*r.runner_up].vs_reference;
      out << ".\n  The runner-up, " << labels[*r.runner_up] << ", costs " << format_money(d.mean)
          << " more (paired 95% CI " << format_signed_money(d.lo) << " to " << format_signed_money(d.hi) << ")";
      if (r.tie)
        out << ": a TIE, the interval covers 0; more trials or other criteria must decide.\n";
      else
        out << ": the interval excludes 0, the recommendation is clear at this precision.\n";
    }
  } else {
    out << "No option meets " << require << "; the closest is " << labels[ref] << " (largest shortfall "
        << format_percent(r.options[ref].shortfall) << " of the bound).\n";
  }
  if (r.information) {
    out << "\nValue of information (the choice by expected cost): EVPI " << format_money(r.evpi) << " +- "
        << format_error(r.evpi_se) << ": what knowing every input before choosing would be worth.\n";
    if (r.meeting_evpi)
      out << "  Among the " << r.meeting_evpi->options << " options meeting " << require << ": EVPI "
          << format_money(r.meeting_evpi->evpi) << " +- " << format_error(r.meeting_evpi->evpi_se) << ".\n";
    // The ten largest EVPPIs of a dollar or more (--json and --csv have every input).
    std::size_t shown = 0, width = 10;
    while (shown < r.evppi.size() && shown < 10 && r.evppi[shown].evppi >= 0.5)
      width = std::max(width, text_width(printable(r.evppi[shown++].key)) + 2);
    if (shown > 0)
      out << "  EVPPI per input (binned regression, " << r.evppi_bins << " bins, less a noise floor of "
          << format_money(r.evppi_noise_floor) << "):\n";
    for (std::size_t k = 0; k < shown; ++k)
      out << "    " << pad_right(printable(r.evppi[k].key), width) << pad_left(format_money(r.evppi[k].evppi), 12)
          << " +- " << format_error(r.evppi[k].se) << "\n";
    if (shown == 0) out << "  No single input's EVPPI is a dollar or more above the noise floor.\n";
  }
}

void render_plan_json(const PlanResult& r, std::ostream& out) {
  const CompareResult& c = r.comparison;
  const bool none = c.trials_done == 0;
  Json j(out);
  j.open("", '{');
  j.value("schema", plan_schema);
  json_manifest(j, "plan", c.info, c.trials_requested, c.trials_done, c.complete, [&](Json& f) {
    f.value("updates_end", c.updates_end);
  });
  j.open("variables", '[');
  for (const auto& v : r.variables) {
    j.open("", '{').value("key", v.key).open("values", '[');
    for (const auto& x : v.values) j.value("", x);
    j.close(']').close('}');
  }
  j.close(']');
  j.open("constraints", '[');
  for (const auto& k : r.constraints)
    j.open("", '{')
        .value("text", k.text)
        .value("measure", to_string(k.measure))
        .value("op", k.at_least ? ">=" : "<=")
        .value("bound", k.bound)
        .close('}');
  j.close(']');
  j.open("options", '[');
  for (std::size_t k = 0; k < r.options.size(); ++k) {
    const auto& o = r.options[k];
    const auto& a = c.alternatives[k];
    j.open("", '{').value("label", o.label);
    j.open("choices", '{');
    for (const auto& [key, value] : o.choices) j.value(key, value);
    j.close('}');
    json_alternative_stats(j, a);
    j.open("done_before_updates_stop", '{');
    if (none) j.null("p").null("se");
    else j.value("p", a.done_before_updates_stop.value).value("se", a.done_before_updates_stop.se);
    j.close('}');
    j.value("meets", o.meets).value("shortfall", o.shortfall).value("frontier", o.frontier);
    if (none) {
      j.null("vs_reference");
    } else {
      j.open("vs_reference", '{').value("mean", o.vs_reference.mean).value("se", o.vs_reference.se);
      j.open("ci95", '[').value("", o.vs_reference.lo).value("", o.vs_reference.hi).close(']');
      j.value("p_cheaper", o.vs_reference.cheaper.value).close('}');
    }
    j.close('}');
  }
  j.close(']');
  auto index = [&](const std::string& key, const std::optional<std::size_t>& k) {
    if (k) j.value(key, std::uint64_t(*k));
    else j.null(key);
  };
  j.open("decision", '{');
  index("recommended", r.recommended);
  index("closest", r.closest);
  index("runner_up", r.runner_up);
  j.value("tie", r.tie);
  if (r.runner_up) {
    const auto& d = r.options[*r.runner_up].vs_reference;
    j.open("runner_up_minus_recommended", '{').value("mean", d.mean).value("se", d.se);
    j.open("ci95", '[').value("", d.lo).value("", d.hi).close(']').close('}');
  } else {
    j.null("runner_up_minus_recommended");
  }
  j.close('}');
  j.open("frontier", '[');
  for (std::size_t k : r.frontier)
    j.open("", '{')
        .value("option", std::uint64_t(k))
        .value("label", r.options[k].label)
        .value("cost_mean", c.alternatives[k].total.mean)
        .value("p_done", c.alternatives[k].done_before_updates_stop.value)
        .close('}');
  j.close(']');
  if (!r.information) {
    j.null("value_of_information");
  } else {
    j.open("value_of_information", '{').value("evpi", r.evpi).value("evpi_se", r.evpi_se);
    if (!r.meeting_evpi) {
      j.null("meeting");
    } else {
      j.open("meeting", '{')
          .value("options", std::uint64_t(r.meeting_evpi->options))
          .value("evpi", r.meeting_evpi->evpi)
          .value("evpi_se", r.meeting_evpi->evpi_se)
          .close('}');
    }
    j.value("evppi_bins", std::uint64_t(r.evppi_bins)).value("evppi_noise_floor", r.evppi_noise_floor);
    j.open("evppi", '[');
    for (const auto& p : r.evppi)
      j.open("", '{')
          .value("key", p.key)
          .value("level", to_string(p.level))
          .value("unit", p.unit)
          .value("members", std::uint64_t(p.members))
          .value("evppi", p.evppi)
          .value("se", p.se)
          .value("raw", p.raw)
          .close('}');
    j.close(']').close('}');
  }
  j.close('}');
  j.finish();
}

void render_plan_csv(const PlanResult& r, std::ostream& out) {
  const CompareResult& c = r.comparison;
  out << "scope,name,cost_mean,cost_se,cost_p90,duration_p50,duration_p90,p_done,p_done_se,labor_hours_mean,"
         "diff_mean,diff_se,diff_lo,diff_hi,meets,frontier,recommended,value,n,complete\n";
  const std::string tail = "," + std::to_string(c.trials_done) + "," + (c.complete ? "true" : "false") + "\n";
  const bool none = c.trials_done == 0;
  for (std::size_t k = 0; k < r.options.size(); ++k) {
    const auto& a = c.alternatives[k];
    const auto& o = r.options[k];
    out << "option," << csv_field(o.label) << ',';
    if (none)
      out << ",,,,,,,,,,,,,";
    else
      out << number(a.total.mean) << ',' << number(a.total.se) << ',' << number(a.total.at(0.9).value) << ','
          << number(a.duration.at(0.5).value) << ',' << number(a.duration.at(0.9).value) << ','
          << number(a.done_before_updates_stop.value) << ',' << number(a.done_before_updates_stop.se) << ','
          << number(a.labor_hours.mean) << ',' << number(o.vs_reference.mean) << ',' << number(o.vs_reference.se)
          << ',' << number(o.vs_reference.lo) << ',' << number(o.vs_reference.hi) << ',';
    out << (o.meets ? "true" : "false") << ',' << (o.frontier ? "true" : "false") << ','
        << (r.recommended == k ? "true" : "false") << ',' << tail;
  }
  if (r.information) {
    out << "evpi,all,,,,,,,,,,,,,,,," << number(r.evpi) << tail;
    if (r.meeting_evpi) out << "evpi,meeting,,,,,,,,,,,,,,,," << number(r.meeting_evpi->evpi) << tail;
    for (const auto& p : r.evppi) out << "evppi," << csv_field(p.key) << ",,,,,,,,,,,,,,,," << number(p.evppi) << tail;
  }
}

void render_plan_samples(const PlanResult& r, std::ostream& out) { render_compare_samples(r.comparison, out); }

std::string render_plan_table(const PlanResult& r) { return render_to_string(render_plan_table, r); }
std::string render_plan_json(const PlanResult& r) { return render_to_string(render_plan_json, r); }
std::string render_plan_csv(const PlanResult& r) { return render_to_string(render_plan_csv, r); }

}  // namespace switchcost::sim

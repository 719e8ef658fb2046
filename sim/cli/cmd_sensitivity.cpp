// `switchcost sensitivity [options] [FILE...]`: the tornado. Each uncertain
// input (group) held at its P10 and at its P90 on the same trials as the
// baseline; the swing of the output's mean and P90, sorted
// (sim/report/sensitivity.h). With --indices, the variance-based first-order
// and total indices instead (sim/report/sensitivity_indices.h).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/base/error.h"
#include "sim/cli/cli.h"
#include "sim/cli/command.h"
#include "sim/cli/session.h"
#include "sim/report/sensitivity.h"
#include "sim/report/sensitivity_indices.h"
#include "sim/scenario/builtin.h"

namespace switchcost::sim {
namespace {

namespace po = boost::program_options;

// --output NAME: a fixed output, or `formula.NAME` for one of the
// scenario's cost formulas (set in `sensitivity`).
void parse_output(const std::string& name, const Scenario& scenario, SensitivityOptions& sensitivity) {
  if (const auto o = output_named(name)) {
    sensitivity.output = *o;
    return;
  }
  const std::vector<std::string> formulas = formula_cost_names(scenario);
  for (const auto& f : formulas)
    if (name == formula_output_key(f)) {
      sensitivity.formula = f;
      return;
    }
  std::vector<std::string> keys;
  for (int o = 0; o < output_count; ++o) keys.emplace_back(output_key(Output(o)));
  for (const auto& f : formulas) keys.push_back(formula_output_key(f));
  std::vector<std::string_view> known(keys.begin(), keys.end());
  std::string list;
  for (const auto& k : keys) list += (list.empty() ? "" : ", ") + k;
  const std::string near = suggest(name, known);
  throw UsageError("--output: '" + name + "' is not an output; " +
                   (near.empty() ? "outputs are: " + list : "did you mean '" + near + "'?"));
}

std::size_t parse_top(const std::string& text) {
  constexpr std::size_t most = 1'000'000;
  std::size_t value = 0;
  const bool digits = !text.empty() && text.size() <= 7 && text.find_first_not_of("0123456789") == std::string::npos;
  if (digits) value = std::stoul(text);
  if (!digits || value > most)
    throw UsageError("--top takes a whole number from 0 to " + std::to_string(most) + ", got '" + text + "'");
  return value;
}

int sensitivity_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  SessionOptions given;
  std::string output = "total_cost", top = "15", msp;
  bool indices = false, components = false, per_msp = false;
  auto options = given.describe();
  options.add_options()
      ("indices", po::bool_switch(&indices), "variance-based indices instead of the tornado: each input group's "
                                             "first-order and total Sobol index with bootstrap 95% intervals "
                                             "(2 + groups runs)")
      ("components", po::bool_switch(&components), "with --indices: also the indices of each cost component of "
                                                   "the portfolio, from the same runs")
      ("per-msp", po::bool_switch(&per_msp), "with --indices: also the indices of each MSP's own output, from the "
                                             "same runs (memory: MSPs x (2 + groups) series of the trials)")
      ("output", po::value(&output), "the portfolio output measured: total_cost (default), labor_cost, "
                                     "duration_days, labor_hours, ... (any output key of docs/output-format.md), "
                                     "or formula.NAME for a cost formula of the scenario")
      ("top", po::value(&top), "rows of the terminal table (default 15); --json and --csv have every input")
      ("msp", po::value(&msp), "the tornado of one MSP's own output (its name in the scenario) instead of the "
                               "portfolio's");
  if (parse_command_line(options, args, given.files)) {
    out << "usage: switchcost sensitivity [options] [FILE...]\n"
           "Holds each uncertain input (an MSP key over every MSP that draws it) at its P10 and then its P90,\n"
           "every other input drawn as usual on the same trials, and sorts the inputs by the swing of the\n"
           "output's mean. With --indices, the share of the output's variance each input group explains\n"
           "alone (S) and with its interactions (ST) instead. Several files form one portfolio; with no file,\n"
           "the built-in 350-endpoint MSP.\n\n"
        << options;
    return exit_code::ok;
  }
  SensitivityOptions sensitivity;
  const std::size_t rows = parse_top(top);
  Session session(given, err);
  std::vector<std::string> inputs = given.files;
  if (inputs.empty()) inputs.push_back(std::string(default_scenario));
  const Scenario scenario = load_scenario(inputs, {}, given.settings());
  parse_output(output, scenario, sensitivity);
  if (!sensitivity.formula.empty() && (!msp.empty() || per_msp))
    throw UsageError(std::string("--output ") + output + ": a cost formula's row is measured for the portfolio " +
                     "only; leave out " + (per_msp ? "--per-msp" : "--msp"));
  session.prepare_outputs(given, scenario.files);
  if (components && !indices) throw UsageError("--components goes with --indices");
  if (per_msp && !indices) throw UsageError("--per-msp goes with --indices");
  if (!msp.empty() && indices)
    throw UsageError("--msp NAME is for the tornado; with --indices, --per-msp gives every MSP's own indices");
  if (!msp.empty()) {
    std::vector<std::string_view> names;
    for (std::size_t m = 0; m < scenario.msps.size(); ++m) {
      names.push_back(scenario.msps[m].name);
      if (scenario.msps[m].name == msp) sensitivity.msp = m;
    }
    if (!sensitivity.msp) {
      const std::string near = suggest(msp, names);
      throw UsageError("--msp: no MSP is named '" + msp + "' in the scenario" +
                       (near.empty() ? std::string() : "; did you mean '" + near + "'?"));
    }
  }
  if (indices && has_correlations(scenario))
    throw UsageError("--indices: the Sobol indices assume independent inputs, and this scenario correlates some "
                     "(a correlations: block); use the tornado (without --indices)");
  if (indices) {
    sensitivity.components = components;
    sensitivity.per_msp = per_msp;
    // The series measured per run: the output's, the components', the MSPs'.
    const std::size_t series =
        1 + (components ? std::size_t(Output::total_cost) + formula_cost_names(scenario).size() : 0) +
        scenario.msps.size();
    const std::string measured = per_msp ? " x " + std::to_string(series) + " series (" +
                                               std::to_string(scenario.msps.size()) + " of them MSPs')"
                                         : std::string();
    session.check_memory(estimate_indices_bytes(scenario, session.options.trials, sensitivity),
                         estimate_indices_working_bytes(scenario, session.options, sensitivity),
                         std::to_string(session.options.trials) + " trials x (2 + " +
                             std::to_string(index_groups(scenario).size()) + " input groups) runs' outputs" + measured,
                         per_msp ? "use fewer trials, or leave out --per-msp" : "use fewer trials");
    session.catch_signals();
    sensitivity.keep_samples = session.writes("samples");
    SensitivityResult result = run_sensitivity_indices(scenario, session.options, sensitivity);
    session.after_simulation(err);
    if (!result.complete && result.trials_done > 0)
      err << "switchcost: " << result.runs << " runs were done before the interruption; the indices need "
          << "every run: none are given\n";
    result.info = session.info(inputs, scenario.files);
    result.top = rows;
    return session.finish(&result, out, err);
  }
  session.check_memory(estimate_sensitivity_bytes(scenario, session.options.trials, sensitivity),
                       estimate_sensitivity_working_bytes(scenario, session.options, sensitivity),
                       std::to_string(session.options.trials) + " trials x " + std::to_string(scenario.msps.size()) +
                           " MSPs, two runs at a time",
                       "use fewer trials");
  session.catch_signals();  // a stop keeps the inputs finished, marked partial
  sensitivity.keep_samples = session.writes("samples");
  SensitivityResult result = run_sensitivity(scenario, session.options, sensitivity);
  session.after_simulation(err);
  if (!result.complete && result.trials_done > 0)
    err << "switchcost: " << result.rows.size() << " of " << result.groups
        << " inputs were done before the interruption; the others are left out\n";
  result.info = session.info(inputs, scenario.files);
  result.top = rows;
  return session.finish(&result, out, err);
}

}  // namespace

extern const Command sensitivity_command;
const Command sensitivity_command{
    .name = "sensitivity",
    .synopsis = "sensitivity FILE...",
    .summary = "the tornado: each uncertain input at its P10 and P90 on the\n"
               "same trials, sorted by the swing of the mean (--output NAME);\n"
               "--indices: first-order and total variance-based indices",
    .main = sensitivity_main,
};

}  // namespace switchcost::sim

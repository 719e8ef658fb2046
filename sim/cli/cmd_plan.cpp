// `switchcost plan [options] [FILE...] --vary KEY=V1,V2...`: the decision
// variables swept on a grid, every option on the same trials, the cheapest
// option meeting --require, and the value of information
// (sim/report/plan.h, docs/plan.md).
#include <algorithm>
#include <string>
#include <vector>

#include "sim/base/error.h"
#include "sim/cli/cli.h"
#include "sim/cli/command.h"
#include "sim/cli/session.h"
#include "sim/report/plan.h"
#include "sim/scenario/builtin.h"

namespace switchcost::sim {
namespace {

namespace po = boost::program_options;

int plan_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  SessionOptions given;
  std::vector<std::string> vary, require;
  bool no_information = false;
  auto options = given.describe();
  options.add_options()
      ("vary", po::value(&vary), "KEY=V1,V2,...: a decision variable and its values (repeatable; the options are "
                                 "every combination, at most 256). KEY is a --set key (labor.technicians, "
                                 "start_delay_days, ...), 'target' (the competitor every MSP moves to) or 'start' "
                                 "(timeline.migration_start)")
      ("require", po::value(&require), "a constraint the recommended option must meet (repeatable, all must hold): "
                                       "\"p_done >= P\", \"duration_p90 <= DAYS\", \"cost_p90 <= USD\" or "
                                       "\"cost_mean <= USD\"")
      ("no-value-of-information", po::bool_switch(&no_information), "skip EVPI and EVPPI");
  if (parse_command_line(options, args, given.files)) {
    out << "usage: switchcost plan [options] [FILE...] [--vary KEY=V1,V2...] [--require \"MEASURE OP BOUND\"...]\n"
           "Runs every combination of the decision variables' values on the same trials and prints per option\n"
           "the cost (mean, P90), duration, P(done before updates stop) and labor hours, with paired differences\n"
           "against the recommended option: the cheapest meeting every --require. Then the expected value of\n"
           "perfect information (EVPI) and per input (EVPPI), in dollars. The decisions may also be written in\n"
           "the file (decisions: {vary: {KEY: [V1, V2]}, require: [...]}); --vary replaces the file's variable\n"
           "of its key, --require all of the file's constraints. With no file, the built-in 350-endpoint MSP.\n\n"
        << options;
    return exit_code::ok;
  }
  PlanSettings settings;
  for (const auto& v : vary) parse_plan_variable(v);  // usage errors before the files are read
  for (const auto& r : require) parse_plan_constraint(r);
  Session session(given, err);
  session.command = "plan";
  // EVPPI orders the trials by the inputs' Monte Carlo uniforms (sim/report/plan.cpp).
  if (session.options.sampling != Sampling::mc && !no_information)
    throw UsageError("plan --sampling " + std::string(to_string(session.options.sampling)) +
                     " needs --no-value-of-information (EVPPI assumes mc)");
  std::vector<std::string> files = given.files;
  if (files.empty()) files.push_back(std::string(default_scenario));
  // The files' `decisions:` block, under the command line's --vary and --require.
  const Decisions decisions = load_scenario(files, {}, given.settings()).decisions;
  settings.grid = plan_variables(decisions, vary);
  if (settings.grid.empty())
    throw UsageError("plan needs at least one --vary KEY=V1,V2,... (e.g. --vary labor.technicians=1,2,3) "
                     "or a `decisions: vary:` block in the file (docs/plan.md)");
  if (plan_grid(settings.grid).size() < 2)
    throw UsageError("plan needs at least two options: give a decision more than one value");
  settings.constraints = plan_constraints(decisions, require);
  settings.information = !no_information;
  const std::vector<Alternative> alternatives = plan_alternatives(files, settings.grid, given.settings());
  // EVPPI orders the trials by each input's own uniform, which a copula replaces.
  if (settings.information && std::any_of(alternatives.begin(), alternatives.end(),
                                          [](const Alternative& a) { return has_correlations(a.scenario); }))
    throw UsageError("plan: EVPPI assumes independent inputs, and this scenario correlates some (a correlations: "
                     "block); add --no-value-of-information");
  std::vector<std::string> all_files;
  for (const auto& a : alternatives) all_files.insert(all_files.end(), a.scenario.files.begin(), a.scenario.files.end());
  session.prepare_outputs(given, all_files);
  // Every option's portfolio series are kept (paired differences, EVPI).
  session.check_memory(estimate_compare_bytes(alternatives, session.options.trials) +
                           std::uint64_t(output_count) * 8 * session.options.trials * alternatives.size(),
                       estimate_compare_working_bytes(alternatives, session.options),
                       std::to_string(alternatives.size()) + " options x " + std::to_string(session.options.trials) +
                           " trials",
                       "use fewer trials or fewer options");
  session.catch_signals();
  PlanResult result = run_plan(alternatives, session.options, settings);
  session.after_simulation(err);
  std::vector<std::string> arguments = given.files;
  for (const auto& v : vary) arguments.push_back("--vary " + v);
  for (const auto& r : require) arguments.push_back("--require " + r);
  result.comparison.info = session.info(arguments, all_files);
  return session.finish(&result, out, err);
}

}  // namespace

extern const Command plan_command;
const Command plan_command{
    .name = "plan",
    .synopsis = "plan FILE... --vary K=a,b",
    .summary = "sweep decisions (technicians, start, target) on the same\n"
               "trials: the cheapest option meeting --require, and the\n"
               "value of information (EVPI, EVPPI) in dollars",
    .main = plan_main,
};

}  // namespace switchcost::sim

// `switchcost validate FILE...`: checks each file as a complete scenario.
#include <string>
#include <vector>

#include "sim/cli/cli.h"
#include "sim/cli/command.h"
#include "sim/base/error.h"
#include "sim/report/plan.h"
#include "sim/scenario/scenario.h"

namespace switchcost::sim {
namespace {

// Exit 65 when any file is not a valid scenario (each error printed), after
// checking every file.
int validate_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> files;
  boost::program_options::options_description options("options for validate");
  options.add_options()("help,h", "show this help");
  if (parse_command_line(options, args, files)) {
    out << "usage: switchcost validate FILE...\nChecks each file as a complete scenario.\n";
    return exit_code::ok;
  }
  if (files.empty()) throw UsageError("validate needs at least one scenario file");
  int code = exit_code::ok;
  for (const auto& f : files) {
    try {
      const Scenario s = load_scenario({f});
      // A `decisions:` block is checked as `plan` would read it.
      std::size_t options_count = 0;
      if (!s.decisions.vary.empty() || !s.decisions.require.empty()) {
        const std::vector<PlanVariable> grid = plan_variables(s.decisions, {});
        plan_constraints(s.decisions, {});
        try {
          options_count = plan_grid(grid).size();
        } catch (const UsageError& e) {
          throw ScenarioError(s.decisions.vary.front().where, std::string("decisions: ") + e.what());
        }
        check_plan_values({f}, grid, {});
      }
      out << "ok: " << printable(f) << ": " << s.msps.size() << (s.msps.size() == 1 ? " MSP, " : " MSPs, ")
          << s.competitors.size() << " competitors, " << s.files.size() << " files read";
      if (options_count) out << ", decisions of " << options_count << (options_count == 1 ? " option" : " options");
      out << "\n";
    } catch (const ScenarioError& e) {
      err << e.what() << "\n";
      code = exit_code::data;
    }
  }
  return code;
}

}  // namespace

extern const Command validate_command;
const Command validate_command{
    .name = "validate",
    .synopsis = "validate FILE...",
    .summary = "check each file as a complete scenario; simulate\n"
               "nothing",
    .main = validate_main,
};

}  // namespace switchcost::sim

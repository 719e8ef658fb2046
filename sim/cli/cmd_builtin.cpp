// `switchcost builtin`: lists the scenario files built into the binary.
#include <string>
#include <vector>

#include "sim/scenario/builtin.h"
#include "sim/cli/cli.h"
#include "sim/cli/command.h"

namespace switchcost::sim {
namespace {

// Takes no options; any arguments are ignored.
int builtin_main(const std::vector<std::string>&, std::ostream& out, std::ostream&) {
  for (const auto& f : builtin_files()) out << builtin_prefix << f.path << "\n";
  return exit_code::ok;
}

}  // namespace

extern const Command builtin_command;
const Command builtin_command{
    .name = "builtin",
    .synopsis = "builtin",
    .summary = "list the scenario files built into the binary",
    .main = builtin_main,
};

}  // namespace switchcost::sim

// `switchcost version`: the version, and the git description of the build.
#include <string>
#include <vector>

#include "sim/cli/build_info.h"
#include "sim/cli/cli.h"
#include "sim/cli/command.h"

namespace switchcost::sim {
namespace {

// Takes no options but --help; other arguments are ignored.
int version_main(const std::vector<std::string>& args, std::ostream& out, std::ostream&) {
  if (!args.empty() && (args.front() == "--help" || args.front() == "-h")) {
    out << "usage: switchcost version\nPrints the version and the git description of the build.\n";
    return exit_code::ok;
  }
  out << "switchcost " << SWITCHCOST_VERSION;
  if (*SWITCHCOST_GIT_DESCRIBE) out << " (git " << SWITCHCOST_GIT_DESCRIBE << ")";
  out << "\n";
  return exit_code::ok;
}

}  // namespace

extern const Command version_command;
const Command version_command{
    .name = "version",
    .aliases = {"--version"},
    .synopsis = "version",
    .summary = {},  // listed by name
    .main = version_main,
};

}  // namespace switchcost::sim

// The command registry: every subcommand (`switchcost run`, `compare`, ...)
// is one file, sim/cmd_NAME.cpp, defining `const Command NAME_command` (its
// name, its line in `switchcost help`, its entry point; its options are
// declared in that file), and one name in the table in sim/cli/cli.cpp. The
// help text and the unknown-command message are generated from the table.
#pragma once

#include <array>
#include <boost/program_options.hpp>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace switchcost::sim {

struct Command {
  std::string_view name;
  // Up to two other spellings accepted for the name ("--help" for help);
  // not listed.
  std::array<std::string_view, 2> aliases{};
  // Its entry in `switchcost help`: the left column ("run [FILE...]") and the
  // text beside it, whose '\n's start lines indented under the first. A
  // command with no summary is listed by name only, with the others so, on
  // the list's last line ("help, version").
  std::string_view synopsis;
  std::string_view summary;
  // Runs the command on the arguments after its name; returns the exit code
  // and throws the error types sim/base/error.h names (run_cli maps them).
  int (*main)(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) = nullptr;
};

// Every command, in the order `switchcost help` lists them.
std::span<const Command* const> commands();

// The command `name` names (its name or an alias); else throws UsageError
// with the likely intended command ("did you mean 'run'?"), or the list.
const Command& find_command(const std::string& name);

// The help command, `switchcost help [COMMAND]` (sim/cli/cli.cpp).
extern const Command help_command;

// The text of `switchcost help`: what the program does, the commands (from
// the table) and the exit codes.
std::string usage_text();

// Parses a command's arguments against its options; the words that are no
// option's are the files. Throws UsageError for an unknown or malformed
// option (a mistyped long option with the likely intended one). Returns
// whether --help was given (the options must declare it).
bool parse_command_line(const boost::program_options::options_description& options,
                        const std::vector<std::string>& args, std::vector<std::string>& files);

}  // namespace switchcost::sim

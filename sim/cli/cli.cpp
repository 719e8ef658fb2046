#include "sim/cli/cli.h"

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "sim/cli/command.h"
#include "sim/base/error.h"

namespace switchcost::sim {

// The commands, in the order `switchcost help` lists them: NAME stands for
// the `const Command NAME_command` defined in sim/cmd_NAME.cpp (help is
// defined below). An explicit table rather than self-registering objects:
// a command whose file is left out of the build is a link error, never a
// command that is silently missing.
#define SWITCHCOST_COMMANDS(X) X(run) X(compare) X(sensitivity) X(validate) X(builtin) X(help) X(version)

#define SWITCHCOST_DECLARE_COMMAND(name) extern const Command name##_command;
#define SWITCHCOST_LIST_COMMAND(name) &name##_command,
SWITCHCOST_COMMANDS(SWITCHCOST_DECLARE_COMMAND)
namespace {
const Command* const registry[] = {SWITCHCOST_COMMANDS(SWITCHCOST_LIST_COMMAND)};
}  // namespace
#undef SWITCHCOST_LIST_COMMAND
#undef SWITCHCOST_DECLARE_COMMAND
#undef SWITCHCOST_COMMANDS

std::span<const Command* const> commands() { return registry; }

std::string usage_text() {
  constexpr std::size_t synopsis_width = 20;  // the listing's left column
  std::string text =
      "usage: switchcost <command> [options] [FILE...]\n"
      "\n"
      "What leaving a banned security vendor (Kaspersky, 2024) costs a managed\n"
      "service provider, as a distribution: P50, P90, duration, the chance of\n"
      "finishing before the update cut-off.\n"
      "\n"
      "commands:\n";
  std::string by_name;  // commands with no summary
  for (const Command* c : commands()) {
    if (c->summary.empty()) {
      by_name += (by_name.empty() ? "" : ", ") + std::string(c->name);
      continue;
    }
    std::string line = "  " + std::string(c->synopsis);
    line.resize(std::max(line.size() + 1, 2 + synopsis_width), ' ');
    for (char ch : c->summary) line += ch == '\n' ? "\n" + std::string(2 + synopsis_width, ' ') : std::string(1, ch);
    text += line + "\n";
  }
  if (!by_name.empty()) text += "  " + by_name + "\n";
  return text +
         "\n"
         "exit codes: 0 ok, 2 bad command line, 65 bad scenario, 74 output not writable,\n"
         "130/143 interrupted (partial results written, marked complete: false), 1 internal error\n";
}

bool parse_command_line(const boost::program_options::options_description& options,
                        const std::vector<std::string>& args, std::vector<std::string>& files) {
  namespace po = boost::program_options;
  po::options_description all(options);
  all.add_options()("files", po::value(&files));
  po::positional_options_description positional;
  positional.add("files", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  return vm.count("help") != 0;
}

namespace {

// Takes no options; any arguments are ignored.
int help_main(const std::vector<std::string>&, std::ostream& out, std::ostream&) {
  out << usage_text();
  return exit_code::ok;
}

}  // namespace

extern const Command help_command;
const Command help_command{
    .name = "help",
    .aliases = {"--help", "-h"},
    .synopsis = "help",
    .summary = {},  // listed by name
    .main = help_main,
};

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  try {
    std::vector<std::string> args(argv + std::min(argc, 1), argv + argc);
    if (args.empty()) {
      err << usage_text();
      return exit_code::usage;
    }
    const std::string name = args.front();
    args.erase(args.begin());
    std::string names;
    for (const Command* c : commands()) {
      const bool alias = !name.empty() && std::find(c->aliases.begin(), c->aliases.end(), name) != c->aliases.end();
      if (c->name == name || alias)
        return c->main(args, out, err);
      names += (names.empty() ? "" : ", ") + std::string(c->name);
    }
    throw UsageError("unknown command '" + name + "'; commands are " + names);
  } catch (const UsageError& e) {
    err << "switchcost: " << printable(e.what()) << "\n(see switchcost help)\n";
    return exit_code::usage;
  } catch (const ScenarioError& e) {
    err << e.what() << "\n";
    return exit_code::data;
  } catch (const LimitError& e) {
    err << "switchcost: " << printable(e.what()) << "\n";
    return exit_code::data;
  } catch (const OutputError& e) {
    err << "switchcost: " << printable(e.what()) << "\n";
    return exit_code::output;
  } catch (const std::bad_alloc&) {
    err << "switchcost: out of memory\n";
    return exit_code::internal;
  } catch (const std::exception& e) {
    err << "switchcost: internal error: " << printable(e.what()) << "\n";
    return exit_code::internal;
  }
}

}  // namespace switchcost::sim

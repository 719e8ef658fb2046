#include "sim/cli/cli.h"

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "sim/base/error.h"
#include "sim/cli/command.h"
#include "sim/scenario/yaml_reader.h"

namespace switchcost::sim {

// The commands, in the order `switchcost help` lists them: NAME stands for
// the `const Command NAME_command` defined in sim/cmd_NAME.cpp (help is
// defined below). An explicit table rather than self-registering objects:
// a command whose file is left out of the build is a link error, never a
// command that is silently missing.
#define SWITCHCOST_COMMANDS(X) \
  X(run) X(estimate) X(compare) X(sensitivity) X(plan) X(init) X(validate) X(builtin) X(help) X(version)

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
  constexpr std::size_t synopsis_width = 24;  // the listing's left column
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
  } catch (const po::unknown_option& e) {
    // A long option mistyped (--trails): the closest of the command's own.
    std::string given = e.get_option_name();
    given = given.substr(0, given.find('='));  // --trails=10
    std::vector<std::string> names;
    for (const auto& o : options.options())
      if (!o->long_name().empty()) names.push_back("--" + o->long_name());
    const std::string near = given.rfind("--", 0) == 0 ? suggest(given, {names.begin(), names.end()}) : "";
    throw UsageError(std::string(e.what()) + (near.empty() ? "" : "; did you mean '" + near + "'?"));
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  return vm.count("help") != 0;
}

const Command& find_command(const std::string& name) {
  std::string names;
  std::vector<std::string_view> known;
  for (const Command* c : commands()) {
    const bool alias = !name.empty() && std::find(c->aliases.begin(), c->aliases.end(), name) != c->aliases.end();
    if (c->name == name || alias) return *c;
    names += (names.empty() ? "" : ", ") + std::string(c->name);
    known.push_back(c->name);
  }
  const std::string near = suggest(name, known);
  throw UsageError("unknown command '" + name + "'; " +
                   (near.empty() ? "commands are " + names : "did you mean '" + near + "'?"));
}

namespace {

// `switchcost help` lists the commands; `switchcost help COMMAND` is
// `switchcost COMMAND --help`, the same bytes by construction.
int help_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.size() > 1) throw UsageError("help takes one command name, got " + std::to_string(args.size()));
  if (args.empty() || &find_command(args.front()) == &help_command) {
    out << usage_text();
    return exit_code::ok;
  }
  return find_command(args.front()).main({"--help"}, out, err);
}

}  // namespace

const Command help_command{
    .name = "help",
    .aliases = {"--help", "-h"},
    .synopsis = "help [COMMAND]",
    .summary = "this list, or COMMAND's help (as COMMAND --help)",
    .main = help_main,
};

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  try {
    std::vector<std::string> args(argv + std::min(argc, 1), argv + argc);
    if (args.empty()) {
      err << usage_text();
      return exit_code::usage;
    }
    const Command& command = find_command(args.front());
    args.erase(args.begin());
    return command.main(args, out, err);
  } catch (const ExitRequest& e) {
    return e.code;
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

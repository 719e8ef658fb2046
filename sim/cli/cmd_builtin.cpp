// `switchcost builtin [--show NAME]`: lists the scenario files built into the
// binary, or prints one of them.
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "sim/base/error.h"
#include "sim/cli/cli.h"
#include "sim/cli/command.h"
#include "sim/scenario/builtin.h"

namespace switchcost::sim {
namespace {

namespace po = boost::program_options;

// Prints the file byte for byte (exactly what `builtin:NAME` includes); an
// unknown NAME is a usage error with the likely intended file, or the list.
void show(const std::string& name, std::ostream& out) {
  const BuiltinFile* file = find_builtin_file(name);
  if (!file) {
    const std::string near = suggest_builtin_file(name);
    const std::string prefix = name.rfind(builtin_prefix, 0) == 0 ? std::string(builtin_prefix) : "";
    std::string message = "no built-in scenario file '" + name + "'; ";
    if (!near.empty()) {
      message += "did you mean '" + prefix + near + "'?";
    } else {
      message += "built-in files are:";
      for (const auto& f : builtin_files()) message += " " + std::string(f.path);
    }
    throw UsageError(message);
  }
  errno = 0;
  out << file->text;
  out.flush();
  if (!out) {
    const int e = errno;
    throw OutputError(std::string("cannot write standard output") + (e ? ": " + std::string(std::strerror(e)) : ""));
  }
}

int builtin_main(const std::vector<std::string>& args, std::ostream& out, std::ostream&) {
  std::string name;
  bool show_given = false;
  std::vector<std::string> rest;
  po::options_description options("options");
  options.add_options()
      ("show", po::value(&name)->notifier([&](const std::string&) { show_given = true; }),
       "print the built-in file NAME byte for byte (NAME as listed, with or without 'builtin:')")
      ("help,h", "show this help");
  if (parse_command_line(options, args, rest)) {
    out << "usage: switchcost builtin [--show NAME]\n"
           "Lists the scenario files built into switchcost (what 'builtin:' paths in an include\n"
           "name: the shipped assumptions, with their sources in comments), or prints one.\n\n"
        << options;
    return exit_code::ok;
  }
  if (!rest.empty())
    throw UsageError("builtin takes no file argument, got '" + rest.front() +
                     "'; to print a built-in file: switchcost builtin --show NAME");
  if (show_given) {
    show(name, out);
    return exit_code::ok;
  }
  for (const auto& f : builtin_files()) out << builtin_prefix << f.path << "\n";
  return exit_code::ok;
}

}  // namespace

extern const Command builtin_command;
const Command builtin_command{
    .name = "builtin",
    .synopsis = "builtin [--show NAME]",
    .summary = "list the scenario files built into the binary, or\n"
               "print one (the defaults, with their sources)",
    .main = builtin_main,
};

}  // namespace switchcost::sim

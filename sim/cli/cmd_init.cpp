// `switchcost init PATH`: writes a commented starting scenario for one MSP
// on the built-in defaults.
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "sim/base/error.h"
#include "sim/cli/build_info.h"
#include "sim/cli/cli.h"
#include "sim/cli/command.h"
#include "sim/report/output.h"
#include "sim/scenario/builtin.h"
#include "sim/scenario/scenario.h"

namespace switchcost::sim {
namespace {

namespace po = boost::program_options;

// `path` as one shell word: as it is when it needs no quoting, else in
// single quotes.
std::string shell_word(const std::string& path) {
  const bool plain = !path.empty() && path.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                             "0123456789_-./+:@%,=") == std::string::npos;
  if (plain) return path;
  std::string quoted = "'";
  for (char c : path) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// `text` as comment lines of at most 80 columns, each starting with `indent`
// and "# ".
std::string comment(const std::string& indent, const std::string& text) {
  std::string out, line;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t space = text.find(' ', i);
    const std::string word = text.substr(i, space == std::string::npos ? std::string::npos : space - i);
    i = space == std::string::npos ? text.size() : space + 1;
    if (!line.empty() && indent.size() + 2 + line.size() + 1 + word.size() > 80) {
      out += indent + "# " + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  return out + indent + "# " + line + "\n";
}

// The file: the built-in default scenario's includes by their builtin:
// paths (so it validates and runs in any directory), then the values an
// owner must change, each with its meaning and unit. The dates, the default
// target and the competitors named come from the built-in files themselves;
// the MSP's numbers are those of the default 350-endpoint MSP, so an
// unedited file describes that MSP.
std::string starting_scenario(const std::string& msp_name, const std::string& file_name) {
  const Scenario defaults = load_scenario({std::string(default_scenario)});
  const Msp& msp = defaults.msps.front();
  std::string others;
  for (const auto& [name, competitor] : defaults.competitors)
    if (name != msp.incumbent) others += (others.empty() ? "" : ", ") + name;
  std::string t = comment("", msp_name + ": what leaving " + msp.incumbent +
                                  " costs this MSP. A starting scenario written by `switchcost init` (switchcost " +
                                  SWITCHCOST_VERSION + "). Edit the values marked EDIT, then run");
  t += "#   switchcost run " + shell_word(file_name) + "\n";
  t += comment("",
               "Everything not written here (hours per endpoint, learning curve, licence prices, client refunds, "
               "threat level, ...) comes from the defaults built into switchcost, included below by their "
               "builtin: paths, so this file works in any directory. Read them, with their sources, with");
  t += "#   switchcost builtin --show kaspersky-2024/msp-defaults.yaml\n";
  t += comment("",
               "and override any of their keys under the MSP below (docs/scenario-format.md). A number may also "
               "be a range: {pert: [lowest, most likely, highest]}.");
  t += "include:\n"
       "  - builtin:kaspersky-2024/timeline.yaml\n"
       "  - builtin:kaspersky-2024/market.yaml\n"
       "  - builtin:kaspersky-2024/prices/list.yaml\n"
       "  - builtin:kaspersky-2024/msp-defaults.yaml\n"
       "timeline:\n";
  t += comment("  ", "EDIT [date, YYYY-MM-DD] the day your migration starts. The ban's dates (timeline.yaml): no "
                     "new sales or renewals from " + format_date(defaults.timeline.sales_end) +
                         ", no updates from 00:00 on " + format_date(defaults.timeline.updates_end) +
                         "; endpoints not moved by then run unprotected.");
  t += "  migration_start: " + format_date(defaults.timeline.migration_start) + "\n";
  t += "msps:\n";
  t += "  # The MSP's name in the results: letters, digits, '-', '_' or '.'\n";
  t += "  - name: " + msp_name + "\n";
  t += comment("    ", "EDIT [endpoints] devices that must move off " + msp.incumbent + ": a whole number");
  t += "    endpoints: 350\n";
  t += comment("    ", "EDIT [clients] client companies those endpoints belong to: a whole number (each client's "
                       "exclusions, policies and firewall rules are set up again)");
  t += "    clients: 25\n";
  t += comment("    ", "EDIT the product you move to; the built-in price list has " + others);
  t += "    target: " + msp.target + "\n";
  t += "    labor:\n";
  t += comment("      ", "EDIT [technicians] people working on the migration (0.5 = one half-time)");
  t += "      technicians: 2\n";
  t += comment("      ",
               "EDIT [hours per technician-week] hours each of them gives the migration in a week beside the "
               "daily work: one number (8 = a day a week) or a range. This one is the built-in default's, "
               "calibrated on a 350-endpoint MSP whose migration took about two months (switchcost builtin "
               "--show kaspersky-2024/msp-350.yaml)");
  t += "      capacity_hours_per_technician_week: {pert: [7.5, 13, 18.5]}\n";
  return t;
}

int init_main(const std::vector<std::string>& args, std::ostream& out, std::ostream&) {
  std::vector<std::string> paths;
  bool force = false;
  po::options_description options("options");
  options.add_options()
      ("force", po::bool_switch(&force), "replace PATH if it exists")
      ("help,h", "show this help");
  if (parse_command_line(options, args, paths)) {
    out << "usage: switchcost init [--force] PATH\n"
           "Writes a commented starting scenario for one MSP to PATH ('-' = standard output):\n"
           "the built-in defaults included by builtin: paths (so it works in any directory)\n"
           "and the values to change marked EDIT (endpoints, clients, technicians, their\n"
           "hours per week, the target product, the start date), with their meaning and\n"
           "unit. Refuses to replace an existing file unless --force; written atomically.\n\n"
        << options;
    return exit_code::ok;
  }
  if (paths.empty()) throw UsageError("init needs the path of the file to write, e.g. switchcost init my-shop.yaml");
  if (paths.size() > 1) throw UsageError("init writes one file; got " + std::to_string(paths.size()) + " paths");
  const std::string& path = paths.front();
  struct stat st {};
  if (path != "-" && ::lstat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode))
      throw UsageError(path + " is a directory; give the path of the file to write, e.g. " +
                       (std::filesystem::path(path) / "my-shop.yaml").string());
    if (!force) throw UsageError(path + " exists; refusing to replace it (--force replaces it)");
  }
  const std::string stem = std::filesystem::path(path).stem().string();
  const std::string msp_name = path != "-" && valid_name(stem) ? stem : "my-msp";
  const std::string file_name = path == "-" ? "my-msp.yaml" : std::filesystem::path(path).filename().string();
  const std::string text = starting_scenario(msp_name, file_name);
  // A temporary file renamed over PATH: an interrupted init leaves no half file.
  const OutputFile file(path);
  file.write([&](std::ostream& o) { o << text; });
  if (path == "-") return exit_code::ok;
  out << "wrote " << path << ": MSP '" << msp_name << "' on the built-in defaults. Edit the values marked EDIT, then:\n"
      << "  switchcost run " << shell_word(path) << "\n";
  return exit_code::ok;
}

}  // namespace

extern const Command init_command;
const Command init_command{
    .name = "init",
    .synopsis = "init PATH",
    .summary = "write a commented starting scenario for one MSP on\n"
               "the built-in defaults, to edit and run",
    .main = init_main,
};

}  // namespace switchcost::sim

// `switchcost estimate --endpoints N --clients N --technicians N
// --hours-per-week H --target NAME [--start DATE]`: the built-in default MSP
// with the owner's numbers, simulated as `run` does, without a file.
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/base/error.h"
#include "sim/cli/cli.h"
#include "sim/cli/command.h"
#include "sim/cli/session.h"
#include "sim/scenario/builtin.h"
#include "sim/scenario/inventory.h"
#include "sim/scenario/scenario.h"

namespace switchcost::sim {
namespace {

namespace po = boost::program_options;

// The MSP's name in the results; its inputs' random streams are named after
// it, as a scenario file's MSP of this name would draw them.
constexpr const char* msp_name = "my-msp";
// As the scenario reader: no value may reach beyond this (sim/scenario/scenario.cpp).
constexpr double value_cap = 1e15;

// One value given on the command line, and the scenario key it replaces.
struct Given {
  const char* option;  // "endpoints": --endpoints
  const char* key;     // "endpoints", "labor.technicians"
  bool count;          // a whole number, as the reader requires of endpoints and clients
  std::string text;    // as given
  bool given = false;
};

// 0.01, 100000, 1e15
std::string format_number(double x) {
  if (x == value_cap) return "1e15";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", x);
  return buf;
}

// The value of --OPTION, read and checked as the scenario reader reads and
// checks the same key in a file (its number syntax, the key's range, whole
// numbers for counts); else a UsageError naming the option.
double read_value(const Given& g) {
  const ParamSpec* spec = nullptr;
  for (const auto& s : msp_param_specs())
    if (s.key == g.key) spec = &s;
  if (!spec) throw std::logic_error(std::string("no scenario key ") + g.key);
  const double hi = std::min(spec->max, value_cap);
  const std::string range = std::string(g.count ? "a whole number" : "a number") + " from " +
                            format_number(spec->min) + " to " + format_number(hi) + " " + std::string(spec->unit);
  Node node;
  node.kind = Node::Kind::scalar;
  node.text = g.text;
  node.where = Location{std::string("--") + g.option, 0, 0};
  double value = 0;
  try {
    value = to_number(node);
  } catch (const ScenarioError&) {
    throw UsageError(std::string("--") + g.option + " takes " + range + ", got '" + g.text + "'");
  }
  if ((g.count && value != std::floor(value)) || value < spec->min || value > hi)
    throw UsageError(std::string("--") + g.option + " takes " + range + ", got '" + g.text + "'");
  return value;
}

// The built-in default scenario with one MSP, renamed and with the values
// given replaced, built as structs (nothing is written as YAML): each
// replaced input becomes a constant at a location naming its option, and
// every input of the MSP keeps the stream a file's MSP of that name would
// use (msps.<name>.<key>, docs/scenario-format.md).
// --set options apply to the built-in scenario before the values given here,
// which win over them.
Scenario build_scenario(const std::vector<Given>& values, const std::string& target, const std::string& start,
                        const std::vector<Overlay>& settings) {
  Scenario scenario = load_scenario({std::string(default_scenario)}, {}, settings);
  if (scenario.msps.size() != 1) throw std::logic_error("the default scenario has more than one MSP");
  Msp& msp = scenario.msps.front();
  const std::string old_prefix = "msps." + msp.name + ".";
  const std::string new_prefix = std::string("msps.") + msp_name + ".";
  auto rename = [&](Var& var) {
    if (var.stream.rfind(old_prefix, 0) != 0) throw std::logic_error("unexpected stream name " + var.stream);
    var.stream = new_prefix + var.stream.substr(old_prefix.size());
  };
  for (auto& [key, var] : msp.params) rename(var);
  for (auto& extra : msp.extras) rename(extra.cost);
  msp.name = msp_name;

  for (const Given& g : values) {
    const double value = read_value(g);
    auto it = msp.params.find(g.key);
    if (it == msp.params.end()) throw std::logic_error(std::string("the default MSP has no ") + g.key);
    it->second.dist = Distribution::constant(value);
    it->second.where = Location{std::string("--") + g.option, 0, 0};
  }

  std::vector<std::string_view> names;
  for (const auto& [name, competitor] : scenario.competitors) names.push_back(name);
  if (!scenario.competitors.count(target)) {
    const std::string near = valid_name(target) ? suggest(target, names) : "";
    std::string list;
    for (const auto& n : names)
      if (n != msp.incumbent) list += (list.empty() ? "" : ", ") + std::string(n);
    throw UsageError("--target: '" + target + "' is not a product in the built-in price list; " +
                     (near.empty() ? "it has " + list : "did you mean '" + near + "'?"));
  }
  if (target == msp.incumbent)
    throw UsageError("--target " + target + " is the product being left; give the one the MSP moves to");
  msp.target = target;

  if (!start.empty()) {
    Node node;
    node.kind = Node::Kind::scalar;
    node.text = start;
    node.where = Location{"--start", 0, 0};
    try {
      scenario.timeline.migration_start = to_date(node);
    } catch (const ScenarioError&) {
      throw UsageError("--start takes a date YYYY-MM-DD that exists on the calendar, got '" + start + "'");
    }
  }
  return scenario;
}

int estimate_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::vector<Given> values = {
      {"endpoints", "endpoints", true, "", false},
      {"clients", "clients", true, "", false},
      {"technicians", "labor.technicians", false, "", false},
      {"hours-per-week", "labor.capacity_hours_per_technician_week", false, "", false},
  };
  auto value_of = [](Given& g) { return po::value(&g.text)->notifier([&g](const std::string&) { g.given = true; }); };
  std::string target, start, inventory_path, client_column;
  bool target_given = false;
  SessionOptions given;
  po::options_description own("the MSP (all but --start required)");
  own.add_options()
      ("endpoints", value_of(values[0]), "[endpoints] devices to move off the old product, a whole number")
      ("clients", value_of(values[1]), "[clients] client companies they belong to, a whole number")
      ("technicians", value_of(values[2]), "[technicians] people on the migration (0.5 = half-time)")
      ("hours-per-week", value_of(values[3]),
       "[h per technician-week] hours each gives the migration in a week beside the daily work")
      ("target", po::value(&target)->notifier([&](const std::string&) { target_given = true; }), "the product moved to (a competitor of the built-in price list)")
      ("start", po::value(&start), "the day the migration starts, YYYY-MM-DD (default: the built-in timeline's)")
      ("inventory", po::value(&inventory_path),
       "PATH: the endpoints and clients counted from a device export of your RMM tool (CSV, one device per "
       "row, a client column), instead of --endpoints and --clients")
      ("client-column", po::value(&client_column),
       "the inventory's client column, when its header is not client, customer, organization, company, "
       "tenant, site or account");
  po::options_description options;
  auto common = given.describe();
  given.describe_stopping(common);
  options.add(own).add(common);
  if (parse_command_line(options, args, given.files)) {
    out << "usage: switchcost estimate --endpoints N --clients N --technicians N --hours-per-week H\n"
           "                           --target NAME [--start DATE] [options]\n"
           "       switchcost estimate --inventory DEVICES.csv --technicians N --hours-per-week H\n"
           "                           --target NAME [--start DATE] [options]\n"
           "Simulates the built-in default MSP (builtin:kaspersky-2024/msp-350.yaml, named my-msp)\n"
           "with these values in place of its own, as `switchcost run` would a file: every\n"
           "other input is the built-in default's. Each value is checked as the same key in a\n"
           "scenario file is. `switchcost init` writes such an MSP as a file, to edit further.\n"
        << options;
    return exit_code::ok;
  }
  if (!given.files.empty())
    throw UsageError("estimate takes no scenario file, got '" + given.files.front() +
                     "'; to simulate a file: switchcost run FILE");
  Inventory inventory;
  if (!inventory_path.empty()) {
    if (values[0].given || values[1].given)
      throw UsageError("give either --inventory or --endpoints and --clients, not both");
    inventory = read_inventory(inventory_path, client_column);
    values[0].text = std::to_string(inventory.devices);
    values[1].text = std::to_string(inventory.clients);
    values[0].given = values[1].given = true;
    auto count = [](std::uint64_t n, const char* what) { return std::to_string(n) + " " + what + (n == 1 ? "" : "s"); };
    if (!given.quiet) {
      err << "inventory " << printable(inventory_path) << ": " << count(inventory.devices, "device");
      if (!inventory.kind_column.empty())
        err << " (" << count(inventory.servers, "server") << ", "
            << count(inventory.devices - inventory.servers, "workstation") << ")";
      err << " of " << count(inventory.clients, "client") << " (column '" << printable(inventory.client_column)
          << "')\n";
    }
  } else if (!client_column.empty()) {
    throw UsageError("--client-column names a column of --inventory, which is not given");
  }
  std::string missing;
  for (const Given& g : values)
    if (!g.given) missing += (missing.empty() ? "--" : ", --") + std::string(g.option);
  if (!target_given) missing += missing.empty() ? "--target" : ", --target";
  if (!missing.empty())
    throw UsageError("estimate needs --endpoints, --clients, --technicians, --hours-per-week and --target; missing " +
                     missing);
  Session session(given, err);
  session.command = "estimate";
  Scenario scenario = build_scenario(values, target, start, given.settings());
  // The manifest's arguments: the scenario, then each value given (the
  // inventory for the counts taken from it, its file hashed with the inputs).
  std::vector<std::string> inputs = {std::string(default_scenario)};
  if (!inventory_path.empty()) {
    inputs.push_back("--inventory " + inventory_path);
    scenario.files.push_back(inventory_path);
  }
  for (const Given& g : values)
    if (inventory_path.empty() || (g.option != values[0].option && g.option != values[1].option))
      inputs.push_back(std::string("--") + g.option + " " + g.text);
  inputs.push_back("--target " + target);
  if (!start.empty()) inputs.push_back("--start " + start);
  return run_loaded_scenario(session, given, scenario, inputs, "auto", out, err);
}

}  // namespace

extern const Command estimate_command;
const Command estimate_command{
    .name = "estimate",
    .synopsis = "estimate [options]",
    .summary = "the built-in default MSP with your endpoints, clients,\n"
               "technicians, hours per week and target: no file needed",
    .main = estimate_main,
};

}  // namespace switchcost::sim

// `switchcost compare`: alternatives (files, --base B --variant V..., or
// --targets a,b,c) simulated on the same random numbers and compared.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "sim/scenario/builtin.h"
#include "sim/cli/cli.h"
#include "sim/cli/command.h"
#include "sim/report/compare.h"
#include "sim/base/error.h"
#include "sim/cli/session.h"

namespace switchcost::sim {
namespace {

namespace po = boost::program_options;

// "scenarios/x/surge.yaml" -> "surge"
std::string label_of(const std::string& path) {
  std::string stem = std::filesystem::path(path).stem().string();
  return stem.empty() ? path : stem;
}

std::vector<std::string> split_names(const std::string& list) {
  std::vector<std::string> names;
  std::string current;
  for (char ch : list + ",") {
    if (ch == ',') {
      if (!current.empty()) names.push_back(current);
      current.clear();
    } else if (ch != ' ') {
      current += ch;
    }
  }
  return names;
}

// --targets names are names (what a scenario accepts as a competitor name)
// and competitors of the scenario; else a usage error with the rule, or the
// likely intended competitor.
void check_target_names(const std::vector<std::string>& names, const Scenario& scenario) {
  std::vector<std::string_view> known;
  for (const auto& [name, competitor] : scenario.competitors) known.push_back(name);
  for (const auto& name : names) {
    if (!valid_name(name))
      throw UsageError("--targets: '" + name +
                       "' is not a competitor name: names are 1 to 64 letters, digits, '-', '_' or '.'");
    if (scenario.competitors.count(name)) continue;
    const std::string near = suggest(name, known);
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    throw UsageError("--targets: '" + name + "' is not a competitor in this scenario; " +
                     (near.empty() ? "competitors are: " + list : "did you mean '" + near + "'?"));
  }
}

int compare_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  SessionOptions given;
  given.takes_sobol = true;  // compare_alternatives takes its SEs from the replicates
  std::string base, targets;
  std::vector<std::string> variants;
  auto options = given.describe();
  options.add_options()
      ("base", po::value(&base), "the baseline scenario; each --variant is applied over it")
      ("variant", po::value(&variants), "a file overlaid on --base (repeatable): one alternative each")
      ("targets", po::value(&targets), "comma-separated competitors: one alternative per competitor, every MSP "
                                       "moving to it (the first is the baseline)");
  if (parse_command_line(options, args, given.files)) {
    out << "usage: switchcost compare [options] FILE FILE...        each file is an alternative\n"
           "       switchcost compare [options] --base B --variant V [--variant V...]\n"
           "       switchcost compare [options] [FILE... | --base B] --targets a,b,c\n"
           "The first alternative is the baseline. Alternatives share random numbers, so differences are paired.\n\n"
        << options;
    return exit_code::ok;
  }
  if (!base.empty() && !given.files.empty()) throw UsageError("give either --base or scenario files, not both");
  if (!variants.empty() && base.empty()) throw UsageError("--variant needs --base");
  if (!variants.empty() && !targets.empty()) throw UsageError("give either --variant or --targets, not both");
  Session session(given, err);

  std::vector<Alternative> alternatives;
  std::vector<std::string> arguments, all_files;
  // --set applies to every alternative, after its own files and overlays.
  const std::vector<Overlay> settings = given.settings();
  auto add = [&](std::string label, std::vector<std::string> files, std::vector<Overlay> overlays) {
    overlays.insert(overlays.end(), settings.begin(), settings.end());
    Alternative a;
    a.label = std::move(label);
    a.scenario = load_scenario(files, {}, overlays);
    a.inputs = files;
    for (const auto& o : overlays) a.inputs.push_back(o.name);
    all_files.insert(all_files.end(), a.scenario.files.begin(), a.scenario.files.end());
    alternatives.push_back(std::move(a));
  };
  if (!targets.empty()) {
    std::vector<std::string> files = base.empty() ? given.files : std::vector<std::string>{base};
    if (files.empty()) files.push_back(std::string(default_scenario));
    const auto names = split_names(targets);
    if (names.size() < 2) throw UsageError("--targets needs at least two competitors, comma-separated");
    check_target_names(names, load_scenario(files));
    for (const auto& name : names) add("target=" + name, files, {Overlay::moving_to("(--targets " + name + ")", name)});
    arguments = files;
  } else if (!base.empty()) {
    if (variants.empty()) throw UsageError("--base needs at least one --variant (or --targets)");
    add(label_of(base), {base}, {});
    for (const auto& v : variants) {
      add(label_of(v), {base, v}, {});
      if (same_inputs(alternatives.front().scenario, alternatives.back().scenario))
        err << "switchcost: warning: variant " << printable(v)
            << " changes nothing any MSP uses (no input of an MSP, the market or a competitor an MSP uses "
               "differs from --base); its alternative equals the baseline\n";
    }
    arguments.push_back(base);
    arguments.insert(arguments.end(), variants.begin(), variants.end());
  } else {
    if (given.files.size() < 2)
      throw UsageError("compare needs at least two alternatives (files, --variant or --targets)");
    for (const auto& f : given.files) add(label_of(f), {f}, {});
    arguments = given.files;
  }
  // Labels name the alternatives in every output: make them unique.
  for (std::size_t i = 0; i < alternatives.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (alternatives[j].label == alternatives[i].label)
        alternatives[i].label += "#" + std::to_string(i + 1);

  session.prepare_outputs(given, all_files);
  // compare keeps every MSP's per-trial total cost (its per-MSP statistics
  // are paired, trial by trial), so it has no sketch mode.
  session.check_memory(estimate_compare_bytes(alternatives, session.options.trials),
                       estimate_compare_working_bytes(alternatives, session.options),
                       std::to_string(alternatives.size()) + " alternatives x " +
                           std::to_string(session.options.trials) + " trials",
                       "use fewer trials (compare keeps every MSP's total cost per trial, for paired differences)");
  session.catch_signals();  // until the outputs are written, as for run
  CompareResult result = compare_alternatives(alternatives, session.options, RunInfo{},
                                               session.writes("samples") || session.writes("html"));
  session.after_simulation(err);
  result.info = session.info(arguments, all_files);
  return session.finish(&result, out, err);
}

}  // namespace

extern const Command compare_command;
const Command compare_command{
    .name = "compare",
    .synopsis = "compare FILE...",
    .summary = "compare alternatives (files, --base B --variant V...,\n"
               "or --targets a,b,c): paired differences, P(cheaper),\n"
               "ranking",
    .main = compare_main,
};

}  // namespace switchcost::sim

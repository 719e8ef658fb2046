#include "sim/cli.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <boost/program_options.hpp>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sim/builtin.h"
#include "sim/engine.h"
#include "sim/error.h"
#include "sim/output.h"
#include "sim/report.h"
#include "sim/scenario.h"

namespace switchcost::sim {
namespace {

namespace po = boost::program_options;

constexpr const char* version = SWITCHCOST_VERSION;
constexpr unsigned max_threads = 1024;
constexpr std::uint64_t max_trials = 10'000'000'000ULL;

const char* const usage_text =
    "usage: switchcost <command> [options] [FILE...]\n"
    "\n"
    "What leaving a banned security vendor (Kaspersky, 2024) costs a managed\n"
    "service provider, as a distribution: P50, P90, duration, the chance of\n"
    "finishing before the update cut-off.\n"
    "\n"
    "commands:\n"
    "  run [FILE...]       simulate; several files form one portfolio; with no file,\n"
    "                      the built-in 350-endpoint MSP (" 
    "builtin:kaspersky-2024/msp-350.yaml)\n"
    "  validate FILE...    check each file as a complete scenario, simulate nothing\n"
    "  builtin             list the scenario files built into the binary\n"
    "  help, version\n"
    "\n"
    "exit codes: 0 ok, 2 bad command line, 65 bad scenario, 74 output not writable,\n"
    "130/143 interrupted (partial results written, marked complete: false), 1 internal error\n";

// Strict whole number: digits only (no sign, no spaces), within [min, max].
std::uint64_t parse_count(const std::string& option, const std::string& text, std::uint64_t min, std::uint64_t max) {
  const bool digits = !text.empty() && text.size() <= 20 &&
                      text.find_first_not_of("0123456789") == std::string::npos;
  std::uint64_t value = 0;
  bool overflow = false;
  if (digits) {
    for (char c : text) {
      const std::uint64_t d = std::uint64_t(c - '0');
      if (value > (UINT64_MAX - d) / 10) overflow = true;
      value = value * 10 + d;
    }
  }
  if (!digits || overflow || value < min || value > max)
    throw UsageError("--" + option + " takes a whole number from " + std::to_string(min) + " to " +
                     std::to_string(max) + ", got '" + text + "'");
  return value;
}

std::atomic<bool> stop_requested{false};
std::atomic<int> stop_signal{0};

extern "C" void on_signal(int sig) {
  if (stop_requested.load()) _exit(128 + sig);  // a second Ctrl-C exits at once
  stop_signal.store(sig);
  stop_requested.store(true);
}

// Installs the handlers for the life of a run.
class SignalGuard {
 public:
  SignalGuard() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~SignalGuard() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

std::uint64_t default_memory_limit() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return 8ULL << 30;
  return std::uint64_t(pages) * std::uint64_t(page) / 4 * 3;
}

std::string gib(std::uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", double(bytes) / double(1ULL << 30));
  return buf;
}

struct Common {
  std::vector<std::string> files;
  std::string trials = "100000", seed = "1", threads = "0", block = "4096", max_memory_gib;
  std::string json, csv;
  bool quiet = false;
};

po::options_description run_options(Common& c) {
  po::options_description d("options for run");
  d.add_options()
      ("trials,n", po::value(&c.trials), "Monte Carlo trials (default 100000)")
      ("seed,s", po::value(&c.seed), "random seed; same seed, inputs and version give the same results (default 1)")
      ("threads,j", po::value(&c.threads), "worker threads; 0 = one per core (default 0); results do not depend on it")
      ("json", po::value(&c.json), "write the results as JSON to PATH ('-' = standard output)")
      ("csv", po::value(&c.csv), "write the results as CSV to PATH ('-' = standard output)")
      ("quiet,q", po::bool_switch(&c.quiet), "print no table and no progress")
      ("block-trials", po::value(&c.block), "trials per block (default 4096); results do not depend on it")
      ("max-memory-gib", po::value(&c.max_memory_gib), "refuse runs whose results need more (default: 3/4 of RAM)")
      ("help,h", "show this help");
  return d;
}

std::vector<std::string> parse(const po::options_description& options, const std::vector<std::string>& args,
                               std::vector<std::string>& files, bool& help) {
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
  help = vm.count("help") != 0;
  return files;
}

int command_validate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> files;
  bool help = false;
  po::options_description d("options for validate");
  d.add_options()("help,h", "show this help");
  parse(d, args, files, help);
  if (help) {
    out << "usage: switchcost validate FILE...\nChecks each file as a complete scenario.\n";
    return exit_code::ok;
  }
  if (files.empty()) throw UsageError("validate needs at least one scenario file");
  int code = exit_code::ok;
  for (const auto& f : files) {
    try {
      const Scenario s = load_scenario({f});
      out << "ok: " << f << ": " << s.msps.size() << (s.msps.size() == 1 ? " MSP, " : " MSPs, ")
          << s.competitors.size() << " competitors, " << s.files.size() << " files read\n";
    } catch (const ScenarioError& e) {
      err << e.what() << "\n";
      code = exit_code::data;
    }
  }
  return code;
}

int command_run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Common c;
  bool help = false;
  const auto options = run_options(c);
  parse(options, args, c.files, help);
  if (help) {
    out << "usage: switchcost run [options] [FILE...]\n\n" << options;
    return exit_code::ok;
  }
  RunOptions ro;
  ro.trials = parse_count("trials", c.trials, 1, max_trials);
  ro.seed = parse_count("seed", c.seed, 0, UINT64_MAX);
  unsigned threads = unsigned(parse_count("threads", c.threads, 0, max_threads));
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  ro.threads = threads;
  ro.block_trials = std::size_t(parse_count("block-trials", c.block, 1, 1u << 20));
  const std::uint64_t memory_limit =
      c.max_memory_gib.empty() ? default_memory_limit() : parse_count("max-memory-gib", c.max_memory_gib, 1, 1u << 20) << 30;

  std::vector<std::string> inputs = c.files;
  if (inputs.empty()) inputs.push_back(std::string(default_scenario));
  const Scenario scenario = load_scenario(inputs);

  // Outputs are checked before the simulation starts, and may not overwrite an input.
  std::vector<std::pair<OutputFile, std::string>> outputs;  // (file, format)
  for (const auto& [path, format] : {std::pair{c.json, "json"}, std::pair{c.csv, "csv"}}) {
    if (path.empty()) continue;
    if (path != "-") {
      std::error_code ec;
      const auto target = std::filesystem::weakly_canonical(path, ec);
      for (const auto& f : scenario.files) {
        if (f.rfind(builtin_prefix, 0) == 0) continue;
        std::error_code ec2;
        if (!ec && std::filesystem::weakly_canonical(f, ec2) == target && !ec2)
          throw UsageError("--" + std::string(format) + " " + path + " is an input file; refusing to overwrite it");
      }
    }
    outputs.emplace_back(OutputFile(path), format);
  }

  const std::uint64_t need = estimate_result_bytes(scenario, ro.trials);
  if (need > memory_limit)
    throw UsageError(std::to_string(ro.trials) + " trials x " + std::to_string(scenario.msps.size()) +
                     " MSPs need about " + gib(need) + " for per-trial results, over the limit of " + gib(memory_limit) +
                     " (--max-memory-gib); use fewer trials");

  const bool to_stdout = c.json == "-" || c.csv == "-";
  const bool show_progress = !c.quiet && !to_stdout && isatty(STDERR_FILENO);
  const auto start = std::chrono::steady_clock::now();
  auto last = start;
  bool progress_shown = false;
  if (show_progress) {
    ro.progress = [&](std::uint64_t done, std::uint64_t total) {
      const auto now = std::chrono::steady_clock::now();
      if (now - start < std::chrono::milliseconds(500) || now - last < std::chrono::milliseconds(200)) return;
      last = now;
      progress_shown = true;
      const int pct = int(100.0 * double(done) / double(total));
      err << "\r  " << pct << "% (" << done << " / " << total << " trials)" << std::flush;
    };
  }
  stop_requested = false;
  stop_signal = 0;
  ro.stop = &stop_requested;
  RunResult result;
  {
    SignalGuard guard;
    result = run_scenario(scenario, ro);
  }
  if (progress_shown) err << "\r" << std::string(40, ' ') << "\r" << std::flush;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  RunInfo info;
  info.version = version;
  info.seed = ro.seed;
  info.threads = ro.threads;
  info.seconds = seconds;
  info.inputs = inputs;
  const ReportData data = build_report(scenario, result, info);
  for (const auto& [file, format] : outputs) file.write(format == "json" ? render_json(data) : render_csv(data));
  if (!c.quiet && !to_stdout) out << render_table(data) << std::flush;
  if (!result.complete) {
    err << "switchcost: interrupted after " << result.trials_done << " of " << result.trials_requested
        << " trials; results written are partial (complete: false)\n";
    return 128 + (stop_signal.load() ? stop_signal.load() : SIGINT);
  }
  return exit_code::ok;
}

}  // namespace

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  try {
    std::vector<std::string> args(argv + std::min(argc, 1), argv + argc);
    if (args.empty()) {
      err << usage_text;
      return exit_code::usage;
    }
    const std::string command = args.front();
    args.erase(args.begin());
    if (command == "help" || command == "--help" || command == "-h") {
      out << usage_text;
      return exit_code::ok;
    }
    if (command == "version" || command == "--version") {
      out << "switchcost " << version << "\n";
      return exit_code::ok;
    }
    if (command == "run") return command_run(args, out, err);
    if (command == "validate") return command_validate(args, out, err);
    if (command == "builtin") {
      for (const auto& f : builtin_files()) out << builtin_prefix << f.path << "\n";
      return exit_code::ok;
    }
    throw UsageError("unknown command '" + command + "'; commands are run, validate, builtin, help, version");
  } catch (const UsageError& e) {
    err << "switchcost: " << e.what() << "\n(see switchcost help)\n";
    return exit_code::usage;
  } catch (const ScenarioError& e) {
    err << e.what() << "\n";
    return exit_code::data;
  } catch (const LimitError& e) {
    err << "switchcost: " << e.what() << "\n";
    return exit_code::data;
  } catch (const OutputError& e) {
    err << "switchcost: " << e.what() << "\n";
    return exit_code::output;
  } catch (const std::bad_alloc&) {
    err << "switchcost: out of memory\n";
    return exit_code::internal;
  } catch (const std::exception& e) {
    err << "switchcost: internal error: " << e.what() << "\n";
    return exit_code::internal;
  }
}

}  // namespace switchcost::sim

#include "sim/cli.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/program_options.hpp>
#include <chrono>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sim/build_info.h"
#include "sim/builtin.h"
#include "sim/compare.h"
#include "sim/engine.h"
#include "sim/error.h"
#include "sim/output.h"
#include "sim/parallel.h"
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
    "  compare FILE...     compare alternatives (files, --base B --variant V..., or\n"
    "                      --targets a,b,c): paired differences, P(cheaper), ranking\n"
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
// [ns, CLOCK_MONOTONIC] when the first stop signal arrived; set before stop_requested.
std::atomic<std::int64_t> first_signal_ns{0};
// Signals within this long of the first are the same request: timeout(1)
// signals the process and then its group, and a terminal's Ctrl-C reaches
// every process of the foreground group, so one request can arrive twice.
constexpr std::int64_t duplicate_signal_ns = 1'000'000'000;

// Async-signal-safe: atomics (lock-free), clock_gettime, unlink and _exit only.
extern "C" void on_signal(int sig) {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const std::int64_t now_ns = std::int64_t(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
  if (stop_requested.load()) {
    if (now_ns - first_signal_ns.load() < duplicate_signal_ns) return;  // the first request again
    // A second request exits at once, leaving no temporary file behind.
    remove_pending_temporary();
    _exit(128 + sig);
  }
  first_signal_ns.store(now_ns);
  stop_signal.store(sig);
  stop_requested.store(true);
}
static_assert(std::atomic<std::int64_t>::is_always_lock_free, "on_signal needs lock-free atomics");

// Installs the handlers for the life of a run.
class SignalGuard {
 public:
  SignalGuard() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
  }
  // The handlers stay installed until the process exits: restoring them
  // would open a window, between writing the outputs and exiting, where a
  // Ctrl-C kills the process without its exit code.
  ~SignalGuard() = default;
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;
};

// 3/4 of the physical memory or of the address-space limit (RLIMIT_AS,
// `ulimit -v`), whichever is smaller: a run over the latter would fail
// midway with "out of memory" instead of being refused before it starts.
std::uint64_t default_memory_limit() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGE_SIZE);
  std::uint64_t limit = pages <= 0 || page <= 0 ? 8ULL << 30 : std::uint64_t(pages) * std::uint64_t(page) / 4 * 3;
  struct rlimit as {};
  if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY)
    limit = std::min<std::uint64_t>(limit, std::uint64_t(as.rlim_cur) / 4 * 3);
  return limit;
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
  bool json_given = false, csv_given = false;  // an empty path is an error, not "no output"
  bool quiet = false;
};

po::options_description run_options(Common& c) {
  po::options_description d("options");
  d.add_options()
      ("trials,n", po::value(&c.trials), "Monte Carlo trials (default 100000)")
      ("seed,s", po::value(&c.seed), "random seed; same seed, inputs and version give the same results (default 1)")
      ("threads,j", po::value(&c.threads), "worker threads; 0 = one per core (default 0); results do not depend on it")
      ("json", po::value(&c.json)->notifier([&c](const std::string&) { c.json_given = true; }),
       "write the results as JSON to PATH ('-' = standard output)")
      ("csv", po::value(&c.csv)->notifier([&c](const std::string&) { c.csv_given = true; }),
       "write the results as CSV to PATH ('-' = standard output)")
      ("quiet,q", po::bool_switch(&c.quiet), "print no table and no progress")
      ("block-trials", po::value(&c.block), "trials per block (default 4096); results do not depend on it")
      ("max-memory-gib", po::value(&c.max_memory_gib),
       "refuse runs that would need more memory (default: 3/4 of RAM or of ulimit -v, whichever is smaller)")
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
      out << "ok: " << printable(f) << ": " << s.msps.size() << (s.msps.size() == 1 ? " MSP, " : " MSPs, ")
          << s.competitors.size() << " competitors, " << s.files.size() << " files read\n";
    } catch (const ScenarioError& e) {
      err << e.what() << "\n";
      code = exit_code::data;
    }
  }
  return code;
}

// What run and compare share: the numeric options, the outputs (checked
// before any simulation), signals, progress and timing.
struct Session {
  RunOptions options;
  std::uint64_t memory_limit = 0;
  std::vector<std::pair<OutputFile, std::string>> outputs;  // (file, "json" or "csv")
  bool to_stdout = false;
  bool quiet = false;
  std::chrono::steady_clock::time_point start;

  Session(const Common& c, std::ostream& err) {
    options.trials = parse_count("trials", c.trials, 1, max_trials);
    options.seed = parse_count("seed", c.seed, 0, UINT64_MAX);
    unsigned threads = unsigned(parse_count("threads", c.threads, 0, max_threads));
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    options.threads = threads;
    options.block_trials = std::size_t(parse_count("block-trials", c.block, 1, 1u << 20));
    memory_limit = c.max_memory_gib.empty() ? default_memory_limit()
                                            : parse_count("max-memory-gib", c.max_memory_gib, 1, 1u << 20) << 30;
    // An output is "to standard output" when it is named so, or when its path
    // resolves to the very file standard output is (a symlink to
    // /proc/self/fd/1 with stdout redirected to a file, say): the table is
    // then left out so that it cannot overwrite or garble the JSON or CSV.
    auto is_stdout = [](const std::string& p) {
      if (p.empty()) return false;
      if (p == "-" || p == "/dev/stdout" || p == "/dev/fd/1" || p == "/proc/self/fd/1") return true;
      struct stat out_st {}, path_st {};
      return ::fstat(STDOUT_FILENO, &out_st) == 0 && ::stat(p.c_str(), &path_st) == 0 &&
             out_st.st_dev == path_st.st_dev && out_st.st_ino == path_st.st_ino;
    };
    to_stdout = is_stdout(c.json) || is_stdout(c.csv);
    quiet = c.quiet;
    start = std::chrono::steady_clock::now();
    if (!c.quiet && !to_stdout && isatty(STDERR_FILENO)) {
      options.progress = [this, &err, last = start](std::uint64_t done, std::uint64_t total) mutable {
        const auto now = std::chrono::steady_clock::now();
        if (now - start < std::chrono::milliseconds(500) || now - last < std::chrono::milliseconds(200)) return;
        last = now;
        progress_shown = true;
        err << "\r  " << int(100.0 * double(done) / double(total)) << "% (" << done << " / " << total << " trials)"
            << std::flush;
      };
    }
    stop_requested = false;
    stop_signal = 0;
    fewest_threads_started = 0;
    options.stop = &stop_requested;
  }

  // Outputs are checked before the simulation starts: they may not be empty
  // paths, overwrite an input or name the same file twice (a command-line
  // error, however spelled). A write to a closed pipe must fail with EPIPE
  // (exit 74), not kill the process: SIGPIPE is ignored from here on.
  void prepare_outputs(const Common& c, const std::vector<std::string>& input_files) {
    ::signal(SIGPIPE, SIG_IGN);
    if (c.json_given && c.json.empty()) throw UsageError("--json needs a path (got an empty one)");
    if (c.csv_given && c.csv.empty()) throw UsageError("--csv needs a path (got an empty one)");
    for (const auto& [path, format] : {std::pair{c.json, "json"}, std::pair{c.csv, "csv"}}) {
      if (path.empty()) continue;
      if (path != "-") {
        std::error_code ec;
        const auto target = std::filesystem::weakly_canonical(path, ec);
        for (const auto& f : input_files) {
          if (f.rfind(builtin_prefix, 0) == 0) continue;
          std::error_code ec2;
          if (!ec && std::filesystem::weakly_canonical(f, ec2) == target && !ec2)
            throw UsageError("--" + std::string(format) + " " + path + " is an input file; refusing to overwrite it");
        }
      }
      OutputFile file(path);
      for (const auto& [other, other_format] : outputs)
        if (other.same_file(file))
          throw UsageError("--" + other_format + " " + other.path() + " and --" + format + " " + path +
                           " are the same file; give each output its own path");
      outputs.emplace_back(std::move(file), format);
    }
  }

  // Refuses, before anything is allocated, a run whose results and working
  // memory (quantile tables, per-thread block buffers, statistics, the
  // loaded scenario: estimate_working_bytes) would exceed the limit.
  void check_memory(std::uint64_t results, std::uint64_t working, const std::string& what,
                    const std::string& advice = "use fewer trials") const {
    const std::uint64_t need = results + working;
    if (need <= memory_limit) return;
    std::string more = advice;
    if (working > results) more += ", fewer --threads or a smaller --block-trials";
    throw UsageError(what + " need about " + gib(need) + " (" + gib(results) + " for per-trial results, " +
                     gib(working) + " of working memory), over the limit of " + gib(memory_limit) +
                     " (--max-memory-gib); " + more);
  }

  RunInfo info(const std::vector<std::string>& arguments, const std::vector<std::string>& files) const {
    RunInfo i;
    i.version = version;
    i.seed = options.seed;
    i.threads = options.threads;
    i.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    i.inputs = arguments;
    i.input_hashes = hash_inputs(files);
    return i;
  }

  void clear_progress(std::ostream& err) const {
    if (progress_shown) err << "\r" << std::string(40, ' ') << "\r" << std::flush;
  }

  // After the simulation: when fewer threads than asked could be started
  // (a limit on processes or memory), says so once, and the manifest states
  // the threads used. The results do not depend on it.
  void note_threads(std::ostream& err) {
    const unsigned got = fewest_threads_started.load();
    if (got == 0 || got >= options.threads) return;
    err << "switchcost: ran on " << got << " of the " << options.threads
        << " threads asked for, as the system gave no more threads or no memory for them (the results are "
           "the same)\n";
    options.threads = got;
  }

  // Renders each output straight into its destination, then the table into
  // standard output (checked: a full disk or a closed pipe is exit 74);
  // returns the exit code. A signal while an output waits for a FIFO's
  // reader or is blocked in a write stops there: 128 + the signal.
  int finish(const OutputFile::Render& json, const OutputFile::Render& csv, const OutputFile::Render& table,
             bool complete, std::uint64_t done, std::uint64_t requested, std::ostream& out, std::ostream& err) const {
    try {
      for (const auto& [file, format] : outputs) file.write(format == "json" ? json : csv, &stop_requested);
    } catch (const OutputInterrupted& e) {
      err << "switchcost: " << printable(e.what()) << "\n";
      return 128 + (stop_signal.load() ? stop_signal.load() : SIGINT);
    }
    if (!quiet && !to_stdout) {
      errno = 0;
      table(out);
      out.flush();
      if (!out) {
        const int e = errno;
        throw OutputError(std::string("cannot write standard output") + (e ? ": " + std::string(std::strerror(e)) : ""));
      }
    }
    if (complete && !stop_requested.load()) return exit_code::ok;
    if (complete)
      err << "switchcost: interrupted after the simulation; the results written are complete\n";
    else
      err << "switchcost: interrupted after " << done << " of " << requested
          << " trials; results written are partial (complete: false)\n";
    return 128 + (stop_signal.load() ? stop_signal.load() : SIGINT);
  }

  bool progress_shown = false;
};

// --msp-stats auto keeps exact per-MSP statistics for a lone MSP (its series
// are the portfolio's: sketching saves nothing) and while the per-MSP series
// take at most this many bytes; above, sketch mode. Measured
// (docs/performance.md): with 2 MSPs or more, sketch mode costs no more time
// than exact mode at any size tried, and less time and a fraction of the
// memory above about 16 MiB of series, so exact mode is kept only where it
// costs nothing.
constexpr std::uint64_t auto_exact_bytes = std::uint64_t(16) << 20;

int command_run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Common c;
  bool help = false;
  std::string msp_stats = "auto";
  auto options = run_options(c);
  options.add_options()
      ("msp-stats", po::value(&msp_stats),
       "per-MSP statistics: exact (every trial kept: 96 bytes per MSP-trial), sketch (memory independent of "
       "the trials: per-MSP percentiles and CVaR95 within 0.5% relative, everything else exact), or auto "
       "(default): exact for one MSP (whose series are the portfolio's) and while the per-MSP series take at "
       "most 16 MiB (e.g. 200 MSPs x 870 trials), else sketch, which measured as fast or faster in far less "
       "memory");
  parse(options, args, c.files, help);
  if (help) {
    out << "usage: switchcost run [options] [FILE...]\n\n" << options;
    return exit_code::ok;
  }
  if (msp_stats != "auto" && msp_stats != "exact" && msp_stats != "sketch")
    throw UsageError("--msp-stats takes exact, sketch or auto, got '" + msp_stats + "'");
  Session session(c, err);
  std::vector<std::string> inputs = c.files;
  if (inputs.empty()) inputs.push_back(std::string(default_scenario));
  const Scenario scenario = load_scenario(inputs);
  session.prepare_outputs(c, scenario.files);
  RunOptions& run = session.options;
  // The per-MSP series exact mode keeps besides the portfolio's: none for a
  // lone MSP, whose series are the portfolio's (so it is always exact in
  // auto mode: sketch mode would take more memory, not less).
  const std::uint64_t msp_series_bytes =
      estimate_result_bytes(scenario, run.trials) - std::uint64_t(output_count) * run.trials * sizeof(double);
  if (msp_stats == "auto")
    run.msp_stats = msp_series_bytes <= auto_exact_bytes ? MspStats::exact : MspStats::sketch;
  else
    run.msp_stats = msp_stats == "sketch" ? MspStats::sketch : MspStats::exact;
  std::string advice = "use fewer trials";
  if (run.msp_stats == MspStats::exact) {
    RunOptions other = run;
    other.msp_stats = MspStats::sketch;
    const std::uint64_t sketched = estimate_result_bytes(scenario, other) + estimate_working_bytes({&scenario}, other);
    if (sketched <= session.memory_limit) advice = "use --msp-stats sketch (about " + gib(sketched) + ") or fewer trials";
  }
  session.check_memory(estimate_result_bytes(scenario, run), estimate_working_bytes({&scenario}, run),
                       std::to_string(run.trials) + " trials x " + std::to_string(scenario.msps.size()) +
                           " MSPs with per-MSP statistics " + to_string(run.msp_stats),
                       advice);
  // Ctrl-C is caught until the outputs are written: the run stops at a block
  // boundary and what was done is still written, marked partial.
  SignalGuard guard;
  ReportData data;
  {
    // The results (per-MSP series or sketches) are released before the
    // outputs are rendered: the two would otherwise add up at the peak.
    const RunResult result = run_scenario(scenario, session.options);
    session.clear_progress(err);
    session.note_threads(err);
    data = build_report(scenario, result, session.info(inputs, scenario.files));
  }
  // Each output is rendered into its destination as it is written (a run
  // of 10,000 MSPs makes 60 MB of JSON): never a whole copy in memory.
  return session.finish([&](std::ostream& o) { render_json(data, o); }, [&](std::ostream& o) { render_csv(data, o); },
                        [&](std::ostream& o) { render_table(data, o); }, data.complete, data.trials_done,
                        data.trials_requested, out, err);
}

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

int command_compare(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Common c;
  bool help = false;
  std::string base, targets;
  std::vector<std::string> variants;
  auto options = run_options(c);
  options.add_options()
      ("base", po::value(&base), "the baseline scenario; each --variant is applied over it")
      ("variant", po::value(&variants), "a file overlaid on --base (repeatable): one alternative each")
      ("targets", po::value(&targets), "comma-separated competitors: one alternative per competitor, every MSP "
                                       "moving to it (the first is the baseline)");
  parse(options, args, c.files, help);
  if (help) {
    out << "usage: switchcost compare [options] FILE FILE...        each file is an alternative\n"
           "       switchcost compare [options] --base B --variant V [--variant V...]\n"
           "       switchcost compare [options] [FILE... | --base B] --targets a,b,c\n"
           "The first alternative is the baseline. Alternatives share random numbers, so differences are paired.\n\n"
        << options;
    return exit_code::ok;
  }
  if (!base.empty() && !c.files.empty()) throw UsageError("give either --base or scenario files, not both");
  if (!variants.empty() && base.empty()) throw UsageError("--variant needs --base");
  if (!variants.empty() && !targets.empty()) throw UsageError("give either --variant or --targets, not both");
  Session session(c, err);

  std::vector<Alternative> alternatives;
  std::vector<std::string> arguments, all_files;
  auto add = [&](std::string label, std::vector<std::string> files, std::vector<Overlay> overlays) {
    Alternative a;
    a.label = std::move(label);
    a.scenario = load_scenario(files, {}, overlays);
    a.inputs = files;
    for (const auto& o : overlays) a.inputs.push_back(o.name);
    all_files.insert(all_files.end(), a.scenario.files.begin(), a.scenario.files.end());
    alternatives.push_back(std::move(a));
  };
  if (!targets.empty()) {
    std::vector<std::string> files = base.empty() ? c.files : std::vector<std::string>{base};
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
    if (c.files.size() < 2) throw UsageError("compare needs at least two alternatives (files, --variant or --targets)");
    for (const auto& f : c.files) add(label_of(f), {f}, {});
    arguments = c.files;
  }
  // Labels name the alternatives in every output: make them unique.
  for (std::size_t i = 0; i < alternatives.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (alternatives[j].label == alternatives[i].label)
        alternatives[i].label += "#" + std::to_string(i + 1);

  session.prepare_outputs(c, all_files);
  // compare keeps every MSP's per-trial total cost (its per-MSP statistics
  // are paired, trial by trial), so it has no sketch mode.
  session.check_memory(estimate_compare_bytes(alternatives, session.options.trials),
                       estimate_compare_working_bytes(alternatives, session.options),
                       std::to_string(alternatives.size()) + " alternatives x " +
                           std::to_string(session.options.trials) + " trials",
                       "use fewer trials (compare keeps every MSP's total cost per trial, for paired differences)");
  SignalGuard guard;  // until the outputs are written, as for run
  CompareResult result = compare_alternatives(alternatives, session.options, RunInfo{});
  session.clear_progress(err);
  session.note_threads(err);
  result.info = session.info(arguments, all_files);
  return session.finish([&](std::ostream& o) { render_compare_json(result, o); },
                        [&](std::ostream& o) { render_compare_csv(result, o); },
                        [&](std::ostream& o) { render_compare_table(result, o); }, result.complete,
                        result.trials_done, result.trials_requested, out, err);
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
      out << "switchcost " << version;
      if (*SWITCHCOST_GIT_DESCRIBE) out << " (git " << SWITCHCOST_GIT_DESCRIBE << ")";
      out << "\n";
      return exit_code::ok;
    }
    if (command == "run") return command_run(args, out, err);
    if (command == "validate") return command_validate(args, out, err);
    if (command == "compare") return command_compare(args, out, err);
    if (command == "builtin") {
      for (const auto& f : builtin_files()) out << builtin_prefix << f.path << "\n";
      return exit_code::ok;
    }
    throw UsageError("unknown command '" + command + "'; commands are run, compare, validate, builtin, help, version");
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

#include "sim/cli/session.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <thread>
#include <tuple>
#include <variant>

#include "sim/cli/build_info.h"
#include "sim/scenario/builtin.h"
#include "sim/cli/cli.h"
#include "sim/base/error.h"
#include "sim/base/format.h"
#include "sim/base/parallel.h"

namespace switchcost::sim {
namespace {

namespace po = boost::program_options;

constexpr unsigned max_threads = 1024;
constexpr std::uint64_t max_trials = 10'000'000'000ULL;
// The progress line is padded to this width, so a shorter line overwrites a
// longer one, and cleared with as many spaces.
constexpr std::size_t progress_width = 64;

// "45 s", "12 min", "3.5 h": a time left, as precise as it is worth.
std::string format_duration(double seconds) {
  if (seconds < 60) return std::to_string(std::max(1, int(std::lround(seconds)))) + " s";
  if (seconds < 3600) return std::to_string(int(std::lround(seconds / 60))) + " min";
  return fixed(seconds / 3600, 1) + " h";
}

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

// A number in (0, 1), strictly decimal as --trials is strict (no sign,
// spaces, hex, inf or nan); else a UsageError saying `usage`.
double parse_fraction(const std::string& text, const std::string& usage) {
  double x = 0;
  const char* end = text.data() + text.size();
  const auto res = std::from_chars(text.data(), end, x, std::chars_format::general);
  if (text.empty() || text.find_first_not_of("0123456789.eE-") != std::string::npos || text[0] == '-' ||
      res.ec != std::errc() || res.ptr != end || !(x > 0 && x < 1))
    throw UsageError(usage);
  return x;
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

// An output is "to standard output" when it is named so, or when its path
// resolves to the very file standard output is (a symlink to
// /proc/self/fd/1 with stdout redirected to a file, say): the table is then
// left out so that it cannot overwrite or garble the JSON or CSV.
bool is_stdout(const std::string& p) {
  if (p.empty()) return false;
  if (p == "-" || p == "/dev/stdout" || p == "/dev/fd/1" || p == "/proc/self/fd/1") return true;
  struct stat out_st {}, path_st {};
  return ::fstat(STDOUT_FILENO, &out_st) == 0 && ::stat(p.c_str(), &path_st) == 0 &&
         out_st.st_dev == path_st.st_dev && out_st.st_ino == path_st.st_ino;
}

int signal_exit_code() { return 128 + (stop_signal.load() ? stop_signal.load() : SIGINT); }

}  // namespace

std::string memory_size(std::uint64_t bytes) {
  char buf[32];
  if (bytes < (1ULL << 30))
    std::snprintf(buf, sizeof buf, "%.0f MiB", double(bytes) / double(1ULL << 20));
  else
    std::snprintf(buf, sizeof buf, "%.1f GiB", double(bytes) / double(1ULL << 30));
  return buf;
}

po::options_description SessionOptions::describe() {
  po::options_description d("options");
  d.add_options()
      ("trials,n", po::value(&trials), "Monte Carlo trials (default 100000)")
      ("seed,s", po::value(&seed), "random seed; same seed, inputs and version give the same results (default 1)")
      ("sampling", po::value(&sampling),
       "mc, lhs or sobol: independent trials (default); a Latin hypercube over the trials (each input's "
       "values one per 1/N of its range, N = --trials; SEs as for independent trials, an upper bound); or "
       "scrambled Sobol' points in 8 replicates, the SE from their means (run, estimate and compare)")
      ("threads,j", po::value(&threads), "worker threads; 0 = one per core (default 0); results do not depend on it");
  const auto formats = output_formats();
  for (std::size_t i = 0; i < formats.size(); ++i)
    d.add_options()(std::string(formats[i].option).c_str(),
                    po::value(&output_paths[i])->notifier([this, i](const std::string&) { output_given[i] = 1; }),
                    std::string(formats[i].help).c_str());
  d.add_options()
      ("set", po::value(&sets)->composing(),
       "KEY=VALUE: set an input after the files are read, e.g. labor.technicians=2 (every MSP), "
       "market.technician_cost_per_hour=55 or \"labor.setup_hours={pert: [2, 6, 12]}\"; repeatable, "
       "checked like a file (errors point at the --set)")
      ("quiet,q", po::bool_switch(&quiet), "print no table and no progress")
      ("block-trials", po::value(&block), "trials per block (default 4096); results do not depend on it")
      ("max-memory-gib", po::value(&max_memory_gib),
       "refuse runs that would need more memory (default: 3/4 of RAM or of ulimit -v, whichever is smaller)")
      ("help,h", "show this help");
  return d;
}

void SessionOptions::describe_stopping(po::options_description& d) {
  takes_sobol = true;
  d.add_options()
      ("target-rse", po::value(&target_rse),
       "run until the relative standard error of the portfolio's mean total is at most this (e.g. 0.002): "
       "--trials is the first stage, each next stage's trials follow from the spread seen; the trial count "
       "and the results do not depend on the threads")
      ("target-ci-width", po::value(&target_ci_width),
       "PERCENTILE=WIDTH: run until the 95% interval of that percentile of the portfolio's total, over its "
       "value, is at most WIDTH wide (e.g. p90=0.01); with --target-rse both must hold")
      ("max-trials", po::value(&max_trials),
       "with --target-rse or --target-ci-width, the most trials a stage may run (default 10000000)");
}

std::vector<Overlay> SessionOptions::settings() const {
  std::vector<Overlay> overlays;
  for (const auto& s : sets) {
    const std::size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError("--set takes KEY=VALUE (e.g. labor.technicians=2), got '" + s + "'");
    overlays.push_back(Overlay::setting(s.substr(0, eq), s.substr(eq + 1)));
  }
  return overlays;
}

Session::Session(const SessionOptions& given, std::ostream& err) {
  options.trials = parse_count("trials", given.trials, 1, max_trials);
  options.seed = parse_count("seed", given.seed, 0, UINT64_MAX);
  unsigned threads = unsigned(parse_count("threads", given.threads, 0, max_threads));
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  options.threads = threads;
  options.block_trials = std::size_t(parse_count("block-trials", given.block, 1, 1u << 20));
  const std::optional<Sampling> sampling = parse_sampling(given.sampling);
  if (!sampling) throw UsageError("--sampling takes mc, lhs or sobol, got '" + given.sampling + "'");
  options.sampling = *sampling;
  if (options.sampling == Sampling::sobol) {
    // Sensitivity and plan compute their SEs for independent trials.
    if (!given.takes_sobol)
      throw UsageError("--sampling sobol is for run, estimate and compare; use --sampling lhs or mc here");
    // Two points per replicate at least; a replicate's point index is 32 bits.
    if (options.trials < 2 * sobol_replicates || options.trials / sobol_replicates > UINT32_MAX)
      throw UsageError("--sampling sobol needs --trials from " + std::to_string(2 * sobol_replicates) + " to " +
                       std::to_string(std::uint64_t(UINT32_MAX) * sobol_replicates));
  }
  if (!given.target_rse.empty())
    target_rse = parse_fraction(given.target_rse, "--target-rse takes a relative standard error between 0 and 1 "
                                                  "(e.g. 0.002), got '" + given.target_rse + "'");
  if (!given.target_ci_width.empty()) {
    const std::string& text = given.target_ci_width;
    const std::string usage = "--target-ci-width takes PERCENTILE=WIDTH, the 95% interval's width of a percentile "
                              "of the total over its value, between 0 and 1 (e.g. p90=0.01; percentiles p5, p10, "
                              "p50, p90, p95, p99), got '" + text + "'";
    const std::size_t eq = text.find('=');
    if (eq == std::string::npos) throw UsageError(usage);
    const auto& levels = percentile_levels();
    const auto level = std::find_if(levels.begin(), levels.end(),
                                    [&](double p) { return pct_key(p) == std::string_view(text).substr(0, eq); });
    if (level == levels.end()) throw UsageError(usage);
    target_ci = std::pair{*level, parse_fraction(text.substr(eq + 1), usage)};
  }
  if (target_rse || target_ci) {
    max_stage_trials = given.max_trials.empty() ? std::max<std::uint64_t>(options.trials, 10'000'000)
                                                : parse_count("max-trials", given.max_trials, options.trials, max_trials);
  } else if (!given.max_trials.empty()) {
    throw UsageError("--max-trials caps --target-rse or --target-ci-width: give one of them too, or use --trials");
  }
  memory_limit_bytes = given.max_memory_gib.empty()
                           ? default_memory_limit()
                           : parse_count("max-memory-gib", given.max_memory_gib, 1, 1u << 20) << 30;
  to_stdout_ = std::any_of(given.output_paths.begin(), given.output_paths.end(), is_stdout);
  quiet_ = given.quiet;
  start_ = std::chrono::steady_clock::now();
  if (!quiet_ && !to_stdout_ && isatty(STDERR_FILENO)) {
    // From a second into the run (shorter runs show none), at most five
    // times a second: the share done and the time left at the rate so far.
    options.progress = [this, &err, last = start_](std::uint64_t done, std::uint64_t total) mutable {
      const auto now = std::chrono::steady_clock::now();
      if (now - start_ < std::chrono::seconds(1) || now - last < std::chrono::milliseconds(200)) return;
      last = now;
      progress_shown_ = true;
      std::string line = "  " + std::to_string(int(100.0 * double(done) / double(total))) + "% (" +
                         std::to_string(done) + " / " + std::to_string(total) + " trials)";
      if (done > 0 && done < total) {
        const double elapsed = std::chrono::duration<double>(now - start_).count();
        line += ", about " + format_duration(elapsed * double(total - done) / double(done)) + " left";
      }
      err << "\r" << pad_right(line, progress_width) << std::flush;
    };
  }
  stop_requested = false;
  stop_signal = 0;
  fewest_threads_started = 0;
  options.stop = &stop_requested;
}

void Session::prepare_outputs(const SessionOptions& given, const std::vector<std::string>& input_files) {
  ::signal(SIGPIPE, SIG_IGN);
  const auto formats = output_formats();
  for (std::size_t i = 0; i < formats.size(); ++i)
    if (given.output_given[i] && given.output_paths[i].empty())
      throw UsageError("--" + std::string(formats[i].option) + " needs a path (got an empty one)");
  for (std::size_t i = 0; i < formats.size(); ++i) {
    const std::string& path = given.output_paths[i];
    const std::string option = "--" + std::string(formats[i].option);
    if (path.empty()) continue;
    OutputFile file(path);
    for (const auto& f : input_files)
      if (f.rfind(builtin_prefix, 0) != 0 && file.is(f))
        throw UsageError(option + " " + path + " is an input file; refusing to overwrite it");
    for (const auto& [other, other_format] : outputs_)
      if (other.same_file(file))
        throw UsageError("--" + std::string(other_format->option) + " " + other.path() + " and " + option + " " +
                         path + " are the same file; give each output its own path");
    outputs_.emplace_back(std::move(file), &formats[i]);
  }
}

void Session::check_memory(std::uint64_t results_bytes, std::uint64_t working_bytes, const std::string& what,
                           const std::string& advice) const {
  const std::uint64_t need = results_bytes + working_bytes;
  if (need <= memory_limit_bytes) return;
  std::string more = advice;
  if (working_bytes > results_bytes) more += ", fewer --threads or a smaller --block-trials";
  throw UsageError(what + " need about " + memory_size(need) + " (" + memory_size(results_bytes) + " for per-trial results, " +
                   memory_size(working_bytes) + " of working memory), over the limit of " + memory_size(memory_limit_bytes) +
                   " (--max-memory-gib); " + more);
}

// The handlers stay installed until the process exits: restoring them would
// open a window, between writing the outputs and exiting, where a Ctrl-C
// kills the process without its exit code.
void Session::catch_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

void Session::after_simulation(std::ostream& err) {
  if (progress_shown_) err << "\r" << std::string(progress_width, ' ') << "\r" << std::flush;
  // Fewer threads than asked (a limit on processes or memory): the results
  // do not depend on it, and the manifest states the threads used.
  const unsigned got = fewest_threads_started;
  if (got == 0 || got >= options.threads) return;
  err << "switchcost: ran on " << got << " of the " << options.threads
      << " threads asked for, as the system gave no more threads or no memory for them (the results are "
         "the same)\n";
  options.threads = got;
}

RunInfo Session::info(const std::vector<std::string>& arguments, const std::vector<std::string>& files) const {
  RunInfo i;
  i.command = command;
  i.version = SWITCHCOST_VERSION;
  i.build = SWITCHCOST_GIT_DESCRIBE;
  i.seed = options.seed;
  i.sampling = options.sampling;
  i.threads = options.threads;
  i.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  i.inputs = arguments;
  i.input_hashes = hash_inputs(files);
  return i;
}

bool Session::writes(std::string_view option) const {
  return std::any_of(outputs_.begin(), outputs_.end(), [&](const auto& o) { return o.second->option == option; });
}

int Session::finish(const CommandResult& result, std::ostream& out, std::ostream& err) const {
  try {
    for (const auto& output : outputs_) {
      const auto* format = output.second;  // not a structured binding: the lambda captures it
      output.first.write([&](std::ostream& o) { format->render(result, o); }, &stop_requested);
    }
  } catch (const OutputInterrupted& e) {
    err << "switchcost: " << printable(e.what()) << "\n";
    return signal_exit_code();
  }
  if (!quiet_ && !to_stdout_) {
    errno = 0;
    render_terminal_table(result, out);
    out.flush();
    if (!out) {
      const int e = errno;
      throw OutputError(std::string("cannot write standard output") + (e ? ": " + std::string(std::strerror(e)) : ""));
    }
  }
  const auto [complete, done, requested] = std::visit(
      [](const auto* r) { return std::tuple{r->complete, r->trials_done, r->trials_requested}; }, result);
  if (complete && !stop_requested.load()) return exit_code::ok;
  if (complete)
    err << "switchcost: interrupted after the simulation; the results written are complete\n";
  else
    err << "switchcost: interrupted after " << done << " of " << requested
        << " trials; results written are partial (complete: false)\n";
  return signal_exit_code();
}

}  // namespace switchcost::sim

// What the commands that simulate (run, compare) share: their common
// options, the checks before a simulation starts (numbers, outputs, memory),
// signals, progress, and writing the outputs at the end.
#pragma once

#include <boost/program_options.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/engine/engine.h"
#include "sim/report/output.h"
#include "sim/cli/output_formats.h"
#include "sim/report/report.h"

namespace switchcost::sim {

// "1.5 GiB", or "240 MiB" under 1 GiB
std::string memory_size(std::uint64_t bytes);

// The options every simulating command takes, as given (checked by Session).
struct SessionOptions {
  SessionOptions() = default;
  SessionOptions(const SessionOptions&) = delete;  // describe() binds to the fields
  SessionOptions& operator=(const SessionOptions&) = delete;

  std::vector<std::string> files;
  std::string trials = "100000", seed = "1", threads = "0", block = "4096", max_memory_gib;
  // Per output_formats() entry: its path ("" when not asked for), and whether
  // it was given (an empty path is an error, not "no output").
  std::vector<std::string> output_paths = std::vector<std::string>(output_formats().size());
  std::vector<char> output_given = std::vector<char>(output_formats().size(), 0);
  bool quiet = false;
  std::vector<std::string> sets;  // --set KEY=VALUE, in the order given
  std::string target_rse, target_ci_width, max_trials;  // the stopping rule's (run, estimate): "" if not given
  std::string sampling = "mc";  // --sampling: mc, lhs or sobol
  // Whether the command takes --sampling sobol: its SEs come from the
  // replicate means (run and estimate, set by describe_stopping; compare).
  bool takes_sobol = false;

  // The --set options as overlays (load_scenario applies them after the
  // files, in order); throws UsageError for one without '='.
  std::vector<Overlay> settings() const;

  // The options bound to these fields: trials, seed, sampling, threads, one
  // per output format, quiet, block-trials, max-memory-gib and help. A command adds
  // its own after them.
  boost::program_options::options_description describe();

  // Adds --target-rse, --target-ci-width and --max-trials (commands that simulate one
  // portfolio: run, estimate).
  void describe_stopping(boost::program_options::options_description& d);
};

// One simulating command's session: from the options checked (usage errors
// before anything runs) to the exit code.
class Session {
 public:
  // Checks the numeric options; sets up progress on a terminal's standard
  // error and the stop flag the engine polls.
  Session(const SessionOptions& given, std::ostream& err);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  RunOptions options;                   // trials, seed, threads, block, progress, stop
  std::string command = "run";           // the manifest's "command" of a run's report (info())
  std::uint64_t memory_limit_bytes = 0;  // --max-memory-gib, or the default
  // --target-rse: the relative SE of the portfolio's mean total to reach,
  // in stages of at most max_stage_trials trials (run_loaded_scenario).
  std::optional<double> target_rse;
  // --target-ci-width: (percentile level, width of its 95% interval / |value|).
  std::optional<std::pair<double, double>> target_ci;
  std::uint64_t max_stage_trials = 0;

  // Opens every output asked for, before the simulation starts: not an
  // empty path, not an input file, no two naming the same file (usage
  // errors), each writable (else OutputError). From here on SIGPIPE is
  // ignored: a write to a closed pipe fails with EPIPE (exit 74).
  void prepare_outputs(const SessionOptions& given, const std::vector<std::string>& input_files);

  // Refuses, before anything is allocated, a run whose per-trial results
  // and working memory (estimate_working_bytes) would exceed the limit:
  // a UsageError naming `what`, the bytes and the advice.
  void check_memory(std::uint64_t results_bytes, std::uint64_t working_bytes, const std::string& what,
                    const std::string& advice = "use fewer trials") const;

  // Catches SIGINT and SIGTERM until the process exits: the first stops the
  // run at a block boundary (what was done is written, marked partial); a
  // repeat within a second is the same request (timeout(1) and a terminal's
  // Ctrl-C can deliver one twice); a later one exits at once.
  void catch_signals();

  // Restarts the progress line's clock (its time left) for another run.
  void restart_progress() { start_ = std::chrono::steady_clock::now(); }

  // After the simulation: clears the progress line, and says once when fewer
  // threads than asked could be started (the manifest then states those).
  void after_simulation(std::ostream& err);

  // The manifest's facts: version, seed, threads, the arguments as given and
  // every file read with its SHA-256.
  RunInfo info(const std::vector<std::string>& arguments, const std::vector<std::string>& files) const;

  // Renders each output asked for straight into its destination, then the
  // table into standard output (checked: a full disk or a closed pipe is
  // exit 74); returns the exit code: 0, or 128 + the signal after a stop
  // (also while an output waits for a FIFO's reader or is blocked in a write).
  int finish(const CommandResult& result, std::ostream& out, std::ostream& err) const;

  // Whether the output format with this option ("samples") was asked for.
  bool writes(std::string_view option) const;

 private:
  std::vector<std::pair<OutputFile, const OutputFormat*>> outputs_;
  bool to_stdout_ = false;  // an output goes to standard output: no table
  bool quiet_ = false;
  bool progress_shown_ = false;
  std::chrono::steady_clock::time_point start_;
};

// Simulates a loaded scenario as `switchcost run` does and writes its
// outputs (sim/cli/cmd_run.cpp): per-MSP statistics by `msp_stats` (exact,
// sketch or auto), the memory check, signals, the report whose manifest
// gives `inputs` as the arguments; returns the exit code. For run, and for
// commands that build their scenario (estimate).
int run_loaded_scenario(Session& session, const SessionOptions& given, const Scenario& scenario,
                        const std::vector<std::string>& inputs, const std::string& msp_stats, std::ostream& out,
                        std::ostream& err);

}  // namespace switchcost::sim

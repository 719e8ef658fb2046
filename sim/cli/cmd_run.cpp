// `switchcost run [options] [FILE...]`: simulates one portfolio.
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "sim/scenario/builtin.h"
#include "sim/cli/cli.h"
#include "sim/cli/command.h"
#include "sim/base/error.h"
#include "sim/cli/distributed.h"
#include "sim/cli/session.h"

namespace switchcost::sim {
namespace {

namespace po = boost::program_options;

// --msp-stats auto keeps exact per-MSP statistics for a lone MSP (its series
// are the portfolio's: sketching saves nothing) and while the per-MSP series
// take at most this many bytes; above, sketch mode. Measured
// (docs/performance.md): with 2 MSPs or more, sketch mode costs no more time
// than exact mode at any size tried, and less time and a fraction of the
// memory above about 16 MiB of series, so exact mode is kept only where it
// costs nothing.
constexpr std::uint64_t auto_exact_bytes = std::uint64_t(16) << 20;

int run_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  SessionOptions given;
  std::string msp_stats = "auto";
  auto options = given.describe();
  // The figures in the help are of this build (they grow with the outputs).
  constexpr std::uint64_t bytes_per_msp_trial = std::uint64_t(output_count) * sizeof(double);
  const std::uint64_t example_trials = auto_exact_bytes / (200 * bytes_per_msp_trial) / 10 * 10;
  const std::string msp_stats_help =
      "per-MSP statistics: exact (every trial kept: " + std::to_string(bytes_per_msp_trial) +
      " bytes per MSP-trial), sketch (memory independent of the trials: per-MSP percentiles and CVaR95 within "
      "0.5% relative, everything else exact), or auto (default): exact for one MSP (whose series are the "
      "portfolio's) and while the per-MSP series take at most 16 MiB (e.g. 200 MSPs x " +
      std::to_string(example_trials) + " trials), else sketch, which measured as fast or faster in far less memory";
  options.add_options()("msp-stats", po::value(&msp_stats), msp_stats_help.c_str());
  given.describe_stopping(options);
  if (parse_command_line(options, args, given.files)) {
    out << "usage: switchcost run [options] [FILE...]\n\n" << options;
    return exit_code::ok;
  }
  if (msp_stats != "auto" && msp_stats != "exact" && msp_stats != "sketch")
    throw UsageError("--msp-stats takes exact, sketch or auto, got '" + msp_stats + "'");
  Session session(given, err);
  std::vector<std::string> inputs = given.files;
  if (inputs.empty()) inputs.push_back(std::string(default_scenario));
  const Scenario scenario = load_scenario(inputs, {}, given.settings());
  return run_loaded_scenario(session, given, scenario, inputs, msp_stats, out, err);
}

}  // namespace

namespace {

// Per-MSP statistics for a run of run.trials trials (--msp-stats).
MspStats choose_msp_stats(const Scenario& scenario, const RunOptions& run, const std::string& msp_stats) {
  // The per-MSP series exact mode keeps besides the portfolio's: none for a
  // lone MSP, whose series are the portfolio's (so it is always exact in
  // auto mode: sketch mode would take more memory, not less).
  const std::uint64_t portfolio_series = std::uint64_t(output_count) + formula_cost_names(scenario).size();
  const std::uint64_t msp_series_bytes =
      estimate_result_bytes(scenario, run.trials) - portfolio_series * run.trials * sizeof(double);
  // Sobol's SEs come from each MSP's series (sim/report/report.cpp).
  if (run.sampling == Sampling::sobol) {
    if (msp_stats == "sketch")
      throw UsageError("--sampling sobol takes its SEs from every MSP's series: use --msp-stats exact or auto");
    return MspStats::exact;
  }
  if (msp_stats == "auto") return msp_series_bytes <= auto_exact_bytes ? MspStats::exact : MspStats::sketch;
  return msp_stats == "sketch" ? MspStats::sketch : MspStats::exact;
}

// spread / |value|: infinite for a zero value with a non-zero spread, 0 for none.
double relative(double spread, double value) {
  if (spread == 0) return 0;
  return value == 0 ? std::numeric_limits<double>::infinity() : spread / std::abs(value);
}

// The portfolio's total: the report's statistics (its mean the
// conditional-expectation one, as reported).
const Stats& portfolio_total(const ReportData& data) {
  return data.portfolio.stats[static_cast<std::size_t>(Output::total_cost)];
}

// The next stage's trials: the SE and a percentile's interval narrow as
// 1/sqrt(n), so n * ratio^2 (ratio = achieved / target, the largest of the
// targets') would just reach them; 10% more allows for the spread being
// estimated, and whole sketch blocks keep the stages aligned. Strictly more
// than `trials`, at most `cap`.
std::uint64_t next_stage_trials(std::uint64_t trials, double ratio, std::uint64_t cap) {
  const double wanted = double(trials) * ratio * ratio * 1.1;
  const double block = double(sketch_block_trials);
  double next = std::ceil(std::min(wanted, double(cap)) / block) * block;
  next = std::max(next, double(trials + sketch_block_trials));
  return next >= double(cap) ? cap : std::uint64_t(next);
}

}  // namespace

int run_loaded_scenario(Session& session, const SessionOptions& given, const Scenario& scenario,
                        const std::vector<std::string>& inputs, const std::string& msp_stats, std::ostream& out,
                        std::ostream& err) {
  session.prepare_outputs(given, scenario.files);
  RunOptions& run = session.options;
  run.msp_stats = choose_msp_stats(scenario, run, msp_stats);
  std::string advice = "use fewer trials";
  if (run.msp_stats == MspStats::exact) {
    RunOptions other = run;
    other.msp_stats = MspStats::sketch;
    const std::uint64_t sketched = estimate_result_bytes(scenario, other) + estimate_working_bytes({&scenario}, other);
    if (sketched <= session.memory_limit_bytes)
      advice = "use --msp-stats sketch (about " + memory_size(sketched) + ") or fewer trials";
  }
  run.keep_schedule = session.writes("html");  // the page's schedule band
  session.check_memory(estimate_result_bytes(scenario, run), estimate_working_bytes({&scenario}, run),
                       std::to_string(run.trials) + " trials x " + std::to_string(scenario.msps.size()) +
                           " MSPs with per-MSP statistics " + to_string(run.msp_stats),
                       advice);
  // Ctrl-C is caught until the outputs are written: the run stops at a block
  // boundary and what was done is still written, marked partial.
  session.catch_signals();
  ReportData data;
  std::optional<StoppingRule> stopping;
  if (session.target_rse || session.target_ci) {
    stopping.emplace();
    stopping->target_rse = session.target_rse.value_or(0);
    if (session.target_ci) std::tie(stopping->ci_level, stopping->target_ci_width) = *session.target_ci;
    stopping->max_trials = session.max_stage_trials;
    // Each stage's trials follow from the last one's report, made on rank 0 only.
    if (distributed::size() > 1)
      throw UsageError("--target-rse and --target-ci-width run in one process, not on " +
                       std::to_string(distributed::size()) + " MPI ranks; give --trials instead");
  }
  // With --target-rse, stages: each a whole run of more trials than the last,
  // until the target holds. Each stage is a pure function of (scenario, seed,
  // trials), so the stages, and the bytes, do not depend on the threads.
  for (;;) {
    // The results (per-MSP series or sketches) are released before the
    // outputs are rendered: the two would otherwise add up at the peak.
    // With MPI, every rank runs its share and rank 0 has the whole result
    // (sim/cli/distributed.h); the others are done.
    auto result = std::make_shared<const RunResult>(distributed::run(scenario, session.options));
    if (distributed::rank() != 0) return exit_code::ok;
    session.after_simulation(err);  // before info(): the threads started, if fewer
    data = build_report(scenario, *result, session.info(inputs, scenario.files));
    // --samples writes the series themselves, --html bins them: they are kept for those.
    if (session.writes("samples") || session.writes("html"))
      data.samples = std::make_shared<const SampleSeries>(SampleSeries{{}, {}, result});
    if (!stopping) break;
    stopping->stages.push_back(run.trials);
    const Stats& total = portfolio_total(data);
    // How far each target given is from holding: achieved / target (<= 1 holds).
    double ratio = 0;
    if (stopping->target_rse > 0) {
      stopping->achieved_rse = relative(total.se, total.mean);
      ratio = stopping->achieved_rse / stopping->target_rse;
    }
    if (stopping->target_ci_width > 0 && total.n > 0) {
      const Percentile& q = total.at(stopping->ci_level);
      stopping->achieved_ci_width = relative(q.hi - q.lo, q.value);
      ratio = std::max(ratio, stopping->achieved_ci_width / stopping->target_ci_width);
    }
    if (!result->complete) {
      stopping->reason = "interrupted";
    } else if (ratio <= 1) {
      stopping->reason = "target met";
    } else if (run.trials >= stopping->max_trials) {
      stopping->reason = "max trials";
    } else {
      // The next stage, or the largest one the memory limit allows (whole
      // blocks): a stage is never refused outright after the first.
      const auto fits = [&](std::uint64_t trials) {
        RunOptions next = run;
        next.trials = trials;
        next.msp_stats = choose_msp_stats(scenario, next, msp_stats);
        return estimate_result_bytes(scenario, next) + estimate_working_bytes({&scenario}, next) <=
               session.memory_limit_bytes;
      };
      std::uint64_t trials = next_stage_trials(run.trials, ratio, stopping->max_trials);
      if (!fits(trials)) {
        std::uint64_t lo = 0, hi = (trials - run.trials) / sketch_block_trials;  // blocks beyond run.trials
        while (lo < hi) {  // a count that fits (the most, where fits() is monotone: one --msp-stats mode)
          const std::uint64_t mid = (lo + hi + 1) / 2;
          if (fits(run.trials + mid * sketch_block_trials)) lo = mid; else hi = mid - 1;
        }
        trials = run.trials + lo * sketch_block_trials;
      }
      if (trials == run.trials) {
        stopping->reason = "memory limit";
      } else {
        data = ReportData{};  // the last stage's results are released before the next stage's
        run.trials = trials;
        run.msp_stats = choose_msp_stats(scenario, run, msp_stats);
        session.restart_progress();
        continue;
      }
    }
    data.info.stopping = stopping;
    break;
  }
  // Each output is rendered into its destination as it is written (a run
  // of 10,000 MSPs makes 60 MB of JSON): never a whole copy in memory.
  return session.finish(&data, out, err);
}

extern const Command run_command;
const Command run_command{
    .name = "run",
    .synopsis = "run [FILE...]",
    .summary = "simulate; several files form one portfolio; with no\n"
               "file, the built-in 350-endpoint MSP\n"
               "(builtin:kaspersky-2024/msp-350.yaml)",
    .main = run_main,
};

}  // namespace switchcost::sim

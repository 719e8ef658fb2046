// The Monte Carlo engine: runs blocks of trials across threads. For each
// block it draws every input into contiguous arrays (market-level inputs once,
// shared by every MSP; per-MSP inputs per MSP), runs the models/ kernels over
// them and stores each trial's outputs at its trial index. Because every
// variate is a pure function of (seed, variable, trial) and each trial's
// outputs land at a fixed place, results are byte-identical for any thread
// count and block size.
//
// Per-MSP statistics are kept in one of two ways (RunOptions::msp_stats):
// - exact: every MSP's per-trial series, 8 bytes per output and MSP-trial
//   (output_count x 8 bytes: 112 with 14 outputs);
//   the report summarises them exactly.
// - sketch: memory independent of the trials. Per MSP and output, a quantile
//   sketch (sim/stats/sketch.h: percentiles within 0.5% relative) and exact block
//   moments (mean, sd, SE): each block of sketch_block_trials trials adds its
//   compensated sums in trial order; blocks fold in block order through a
//   window of 2 x threads pending blocks (a thread waits before starting a
//   block more than the window ahead of the fold), so the moments are the same
//   bytes for any thread count. Sketches are merged per block under a lock
//   (integer counts: order-independent). Also exact: the count of trials done
//   before updates stop and the tail contributions, by a second pass over
//   the portfolio's worst 5% of trials only: the engine is counter-based, so
//   re-running a trial gives the same bits (checked: the second pass's
//   portfolio total must equal the first's, trial by trial), and each MSP's
//   total cost is summed over those trials in the order exact mode sums them.
//   That pass costs about 5-10% of the first (5% of the trials, with
//   uniforms drawn one by one rather than in vector blocks).
// The portfolio's series are kept whole in both modes (8 bytes per output and trial).
// With one MSP in exact mode, every output kept, they are that MSP's series
// (the same values: the portfolio of one MSP is the MSP), stored once, so such
// a run keeps one set of series, not two (RunResult::msp_in_portfolio).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "models/registry.h"
#include "sim/random/sampling.h"
#include "sim/scenario/scenario.h"
#include "sim/stats/sketch.h"
#include "sim/base/values.h"

namespace switchcost::sim {

// What is kept per trial, per MSP and for the portfolio.
enum class Output : int {
  labor_cost,         // [USD] migration labor borne by the MSP
  pricing_cost,       // [USD] PV of the licence price change borne by the MSP, plus setup fees
  lost_updates_cost,  // [USD] incidents on endpoints left without updates
  stranded_cost,      // [USD] prepaid licences that cannot be used
  refund_cost,        // [USD] refunds owed to clients
  extras_cost,        // [USD] extra line items
  first_cost_line,    // [USD] the registered cost lines (models/registry.h), in order: cost_line(k)
  total_cost = first_cost_line + models::cost_line_count,  // [USD] sum of the costs above
  labor_hours,        // [h]
  duration_days,      // [days] from the MSP's migration start to completion (portfolio: last MSP)
  completion_day,     // [days since 1970-01-01] completion date (portfolio: last MSP)
  incidents,          // [incidents] excess incidents after the cut-off
  // The compound cost's conditional expectation (docs/output-format.md, "Means
  // of compound costs"): the report's mean and SE of lost_updates_cost and
  // total_cost are these series', their percentiles the sampled series'.
  lost_updates_expected_cost,  // [USD] E[lost_updates_cost | the trial's inputs] = expected incidents x mean incident cost
  total_expected_cost,         // [USD] total_cost with lost_updates_expected_cost in place of lost_updates_cost
  count
};
inline constexpr int output_count = static_cast<int>(Output::count);
inline constexpr int cost_output_count = static_cast<int>(Output::total_cost) + 1;  // labor_cost .. total_cost
// The output of registered cost line k.
constexpr Output cost_line(int k) noexcept { return Output(int(Output::first_cost_line) + k); }
// Key used in JSON and CSV ("labor_cost") and label for tables ("migration labor").
const char* output_key(Output o) noexcept;
const char* output_label(Output o) noexcept;

using Series = std::array<Values, output_count>;

// Cost formulas (Msp::formulas, docs/scenario-format.md "Formulas") are
// output rows known only when the scenario is read: after the fixed outputs,
// one row per distinct cost formula name, keyed "formula.NAME" (a dot, which
// no fixed key has, so the keys cannot collide). Each is a cost [USD] in
// total_cost and total_expected_cost (added after the fixed cost lines);
// extras_cost holds the `extras:` block only.
inline constexpr std::string_view formula_key_prefix = "formula.";
std::string formula_output_key(const std::string& name);  // "formula.downtime"
// The names of the scenario's cost formulas, each once: MSP by MSP, each
// MSP's in the order written, a name met again taken as the same row.
std::vector<std::string> formula_cost_names(const Scenario& scenario);

constexpr std::array<bool, output_count> all_outputs() {
  std::array<bool, output_count> all{};
  for (auto& b : all) b = true;
  return all;
}

// How per-MSP statistics are kept (see the top of this file).
enum class MspStats { exact, sketch };
const char* to_string(MspStats mode) noexcept;  // "exact", "sketch"

// In sketch mode blocks are always this many trials (whatever
// RunOptions::block_trials), so the block moments, and with them the means
// and sds, do not depend on the block size either.
inline constexpr std::size_t sketch_block_trials = 4096;

struct RunOptions {
  std::uint64_t trials = 100'000;
  std::uint64_t seed = 1;
  unsigned threads = 1;
  std::size_t block_trials = 4096;  // exact mode; sketch mode uses sketch_block_trials
  // When set, the run stops and returns the trials done so far, a prefix of
  // whole blocks. Exact mode also checks it inside a block, at bounded
  // intervals of work, and drops a block stopped part-way (with any finished
  // after it); sketch mode checks it between blocks.
  const std::atomic<bool>* stop = nullptr;
  // Which per-MSP series to keep in exact mode (the portfolio keeps all);
  // others stay empty. Sketch mode keeps statistics of every output.
  std::array<bool, output_count> keep_msp_outputs = all_outputs();
  // Whether exact mode keeps each MSP's cost-formula series (the portfolio
  // keeps them all).
  bool keep_msp_formula_costs = true;
  MspStats msp_stats = MspStats::exact;
  // How named variables' uniforms are laid out over the trials
  // (sim/random/sampling.h): lhs strata and sobol points are over the
  // `trials` of this run. Sobol dimensions are the run's variables (every
  // scenario's, for several) in sorted order.
  Sampling sampling = Sampling::mc;
  double sketch_relative_error = QuantileSketch::default_relative_error;  // [-] alpha of the sketches
  // Keep each MSP's schedule (RunResult::schedules) when it takes at most
  // schedule_bytes_most; run_scenario only. Changes no other result.
  bool keep_schedule = false;
  // Called from one thread with (trials done, trials requested) now and then.
  std::function<void(std::uint64_t, std::uint64_t)> progress;
  // A share of a distributed run (sim/cli/distributed.h): when set, only
  // the blocks [first, second) of the run's blocks (run_block_trials each)
  // are run; the series keep the run's length, with only that range
  // written; trials_done counts the range's trials done (a prefix of it) and
  // complete says whether all were; sketch mode skips the tail pass
  // (run_tail_pass runs it once the portfolio's series are whole).
  std::optional<std::pair<std::size_t, std::size_t>> block_range;
  // Sketch mode: called with each block's moments ([msp * output_count +
  // output], then the cost formulas': block_moment_layout) as they fold into
  // the MSPs' moments, in block order.
  std::function<void(const std::vector<BlockMoments>&)> block_moments;
};

// Trials per block of a run with these options (the unit of block_range).
std::size_t run_block_trials(const RunOptions& options) noexcept;

// Sketch mode: what is kept of one MSP, in memory independent of the trials.
struct MspSketch {
  std::array<MomentAccumulator, output_count> moments;  // exact mean, sd, SE of each output
  std::array<QuantileSketch, output_count> quantiles;   // of x - RunResult::sketch_origin[o]
  // Trials with completion_day < timeline.updates_end: done before updates
  // stop (at 00:00 of that day).
  std::uint64_t done_before_updates_stop = 0;
  // [USD] total_cost summed over portfolio_tail_trials(portfolio total), in
  // that order (as exact mode sums it, so the same bytes).
  double tail_total_cost = 0;
  // The MSP's cost formulas (MspSeries::formula_costs), as above.
  std::vector<MomentAccumulator> formula_moments;
  std::vector<QuantileSketch> formula_quantiles;
};

struct MspSeries {
  std::string name;
  // Exact mode: each kept output's vector holds trials_done values, in trial
  // order (empty where RunResult::msp_in_portfolio: see msp_series()); sketch mode: empty.
  Series series;
  std::optional<MspSketch> sketch;  // sketch mode only
  // The MSP's cost formulas, in the order written, as indexes into
  // RunResult::formula_costs; and (exact mode, kept) their series, one per
  // index (empty where RunResult::msp_in_portfolio: see msp_formula_series()).
  std::vector<std::size_t> formula_costs;
  std::vector<Values> formula_series;
};

// One MSP's migration schedule per trial: what the labor model's n(t)
// reads (models/labor.h, "Schedule"), so that the endpoints moved by any day
// can be computed after the run (sim/report/html.h). 40 bytes per MSP-trial.
struct ScheduleSeries {
  Values start_day;          // [days since 1970-01-01] the MSP's migration start (after its delay)
  Values setup_days;         // [days] from the start: no endpoint moves before
  Values duration_days;      // [days] from the start: every endpoint moved
  Values learning_exponent;  // [-] p = log2(learning_rate) + 1
  Values endpoints;          // [endpoints] E
};
inline constexpr std::uint64_t schedule_bytes_most = std::uint64_t(64) << 20;
// Bytes of every MSP's ScheduleSeries for this many trials.
std::uint64_t schedule_bytes(const Scenario& scenario, std::uint64_t trials) noexcept;

struct RunResult {
  std::uint64_t trials_requested = 0;
  std::uint64_t trials_done = 0;
  bool complete = false;
  std::vector<MspSeries> msps;
  Series portfolio;  // costs, hours and incidents summed over MSPs; durations and completion: the last MSP
  MspStats msp_stats = MspStats::exact;
  Sampling sampling = Sampling::mc;  // RunOptions::sampling: sobol SEs come from its replicates
  double sketch_relative_error = 0;  // [-] sketch mode: alpha of the per-MSP sketches
  // Sketch mode: the sketch of output o holds x - sketch_origin[o]. Zero but
  // for completion_day, sketched as days after timeline.migration_start so
  // that its relative error is on the span, not on days since 1970.
  std::array<double, output_count> sketch_origin{};
  // Exact mode, one MSP, every output kept: the MSP's series are the
  // portfolio's, and msps[0].series is left empty.
  bool msp_in_portfolio = false;

  // Per MSP, with RunOptions::keep_schedule and at most schedule_bytes_most; else empty.
  std::vector<ScheduleSeries> schedules;

  // The cost formulas' rows (formula_cost_names()) and the portfolio's
  // series of each: the sum over the MSPs that define it (0 in the others).
  std::vector<std::string> formula_costs;
  std::vector<Values> formula_portfolio;

  // MSP m's series (exact mode): the portfolio's where they are the same.
  const Series& msp_series(std::size_t m) const { return msp_in_portfolio ? portfolio : msps[m].series; }
  const std::vector<Values>& msp_formula_series(std::size_t m) const {
    return msp_in_portfolio ? formula_portfolio : msps[m].formula_series;
  }
};

// The portfolio's tail: its worst tail_count(n) trials (5%, at least one),
// highest total first, ties by trial index, so the set and its order are the
// same every run. Empty for no trials.
std::vector<std::size_t> portfolio_tail_trials(std::span<const double> total);

// Bytes the per-trial results of a run in exact mode would take.
// Cost formulas' series count as outputs: the portfolio's always, each MSP's
// with keep_formula_costs.
std::uint64_t estimate_result_bytes(const Scenario& scenario, std::uint64_t trials,
                                    const std::array<bool, output_count>& keep = all_outputs(),
                                    bool keep_formula_costs = true) noexcept;
// Bytes the results of a run with these options would take, in its mode:
// exact, as above; sketch, the portfolio series (8 B per output and trial), the tail
// pass (16 B per trial, at most 32 MiB of per-MSP values at a time), the
// window of block moments (3 x threads blocks x outputs x 24 B per MSP),
// and per MSP its sketches, taken as sketch_buckets_assumed(trials) buckets
// of 4 B per output. The real size depends on the range of the values, which
// widens with the trials (outputs with values near zero reach further down):
// the shipped population averages 535, 640, 770 and 960 buckets per output at
// 4,096, 20,000, 100,000 and 1,000,000 trials; the assumption, 100 + 200
// log10(trials), is 820, 960, 1100 and 1300.
std::uint64_t sketch_buckets_assumed(std::uint64_t trials) noexcept;
std::uint64_t estimate_result_bytes(const Scenario& scenario, const RunOptions& options) noexcept;

// Bytes a run of these scenarios (one, or compare's alternatives) needs
// besides its results, for the memory check before it starts: the quantile
// tables of their distinct PERT and Beta shapes (beta_table_bytes() each),
// the per-thread workspaces (about 70 columns plus the market's, of a block
// of trials each: --block-trials x --threads is what counts), the statistics'
// buffers, the loaded and compiled scenarios, thread stacks and the process.
std::uint64_t estimate_working_bytes(const std::vector<const Scenario*>& scenarios, const RunOptions& options);
std::uint64_t beta_table_bytes() noexcept;

// Runs the scenario. Throws LimitError when a result overflows.
RunResult run_scenario(const Scenario& scenario, const RunOptions& options);
// Sketch mode: where MSP m's cost formulas' moments start in a block's
// moments (RunOptions::block_moments), after every MSP's outputs', MSP by
// MSP in the order of MspSeries::formula_costs; the last element, one past
// the MSPs, is the moments per block.
std::vector<std::size_t> block_moment_layout(const RunResult& result);

// Sketch mode: the tail pass run_scenario ends with (MspSketch::tail_total_cost),
// for a result whose blocks were run as RunOptions::block_range shares and
// then put together (the portfolio's series whole, trials_done set).
void run_tail_pass(const Scenario& scenario, const RunOptions& options, RunResult& result);
// Several scenarios over the same trials (compare's alternatives), exact mode
// only: each result has the bytes run_scenario gives for its scenario alone
// (the trials done are the same for all). Faster than one run each: the
// scenarios are run block by block and MSP by MSP together, and the part of
// an MSP whose inputs are drawn the same as in the previous scenario (labor
// and lost updates when only targets or prices differ; stranded licences
// unless the incumbent's price changes) is computed once.
std::vector<RunResult> run_scenarios(const std::vector<const Scenario*>& scenarios, const RunOptions& options);

// The values the engine draws for some inputs of the trials listed, as the
// models receive them (correlated ones through their copula): of MSP `msp`
// by its keys ("labor.setup_hours"), or with msp = -1 of the market by
// their stream names ("market.technician_cost_per_hour",
// "competitors.eset.price_per_endpoint_month": a competitor some MSP
// uses). out[k][i] is keys[k]'s value in trials[i]. For tests and
// benchmarks; std::invalid_argument for a key the engine does not draw.
std::vector<std::vector<double>> draw_inputs(const Scenario& scenario, std::uint64_t seed, std::ptrdiff_t msp,
                                             const std::vector<std::string>& keys,
                                             const std::vector<std::uint64_t>& trials);

}  // namespace switchcost::sim

// One-at-a-time sensitivity (the tornado): what drives a result.
//
// Every uncertain input of a scenario (a distribution that is not a
// constant), grouped by what it is, is held in turn at its own P10 and then
// at its own P90 while every other input is drawn as usual. The baseline and
// both copies run with the same seed: inputs are drawn from streams named by
// what they are (sim/random/random.h), so every other input takes the same
// value in all three, trial by trial (common random numbers), and the swing
//
//   swing = mean(output | group at P90) - mean(output | group at P10)
//
// is estimated from the per-trial differences of the two runs: its SE
// measures only the group's effect, not sampling noise (an output linear in
// the group's input has a swing exact to rounding and an SE of about 0).
// For a compound cost (total_cost, lost_updates_cost) means and swings are of
// its conditional-expectation series, as `run` and `compare` report them;
// the P90s are of the costs drawn.
//
// Groups: a market-level input is one group ("market.technician_cost_per_hour");
// a competitor's input one ("competitors.bitdefender.price_per_endpoint_month");
// an MSP input key one group over every MSP that draws it ("labor.setup_hours":
// each member held at its own quantile), an extra item likewise
// ("extras.NAME"). The result is portfolio-level.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/engine/engine.h"
#include "sim/report/compare.h"
#include "sim/report/report.h"
#include "sim/scenario/scenario.h"

namespace switchcost::sim {

inline constexpr const char* sensitivity_schema = "switchcost.sensitivity/1";
// The quantiles each input is held at.
inline constexpr double sensitivity_low = 0.10;
inline constexpr double sensitivity_high = 0.90;

enum class InputOwner { market, competitor, msp };
const char* to_string(InputOwner owner) noexcept;  // "market", "competitor", "msp"

// One drawn input of a scenario: where it is.
struct InputRef {
  InputOwner level = InputOwner::market;
  std::string owner;         // competitor or MSP name; empty for the market
  std::size_t msp = 0;       // MSP index (level msp)
  std::string key;           // key in the owner's Params, or the extra item's name
  bool extra = false;        // an MSP's extra item (key is its name)
};

// Uncertain inputs that are held together.
struct InputGroup {
  std::string key;    // "market.threat.miss_rate_supported", "labor.setup_hours", "extras.NAME", ...
  InputOwner level = InputOwner::market;
  std::string unit;   // "[h per client]", or empty when unknown
  std::vector<InputRef> members;  // in scenario order
};

// Every uncertain input of the scenario, grouped: the market's (in key
// order), then the competitors' (by name, then key), then the MSPs' (keys in
// the order first met, MSP by MSP; extra items after an MSP's keys).
// Constant inputs are not listed.
std::vector<InputGroup> uncertain_inputs(const Scenario& scenario);

// The input a reference names (throws std::out_of_range for a stale one).
const Var& input_var(const Scenario& scenario, const InputRef& ref);
Var& input_var(Scenario& scenario, const InputRef& ref);  // to change it in a copy

// A copy of the scenario with every member of the group replaced by a
// constant: its own quantile at p.
Scenario hold_at_quantile(const Scenario& scenario, const InputGroup& group, double p);

// The output `o` is measured on: its mean series (the conditional expectation
// for a compound cost) and the series its P90 is taken from.
Output mean_series_of(Output o) noexcept;

// The output named `key` (output_key), or none.
std::optional<Output> output_named(std::string_view key) noexcept;

// A cost formula's row (`formula.NAME`, sim/engine/engine.h) is measured as
// its portfolio series, which is its own mean series and in USD; results
// and reports treat it as this output, under the formula's key.
inline constexpr Output formula_output_like = Output::total_expected_cost;
// The key of the output measured: "formula.NAME" when `formula` is set,
// else output_key(o).
std::string measured_output_key(Output o, const std::string& formula);
// The index of cost formula `name` in formula_cost_names(scenario)
// (RunResult::formula_portfolio); throws std::invalid_argument when the
// scenario has no cost formula of that name.
std::size_t formula_index(const Scenario& scenario, const std::string& name);

struct SensitivityOptions {
  Output output = Output::total_cost;
  // When set, the portfolio's row of cost formula NAME (formula.NAME) is
  // measured instead of `output` (not with msp or per_msp).
  std::string formula;
  // Where neither copy of a group changes anything an MSP draws (same_inputs:
  // the input of a competitor no MSP leaves or moves to), both copies have the
  // baseline's results trial by trial; they are then taken from the baseline
  // rather than run. Off only to check that claim.
  bool skip_unread = true;
  // Keep the baseline's portfolio series for --samples (SensitivityResult::samples).
  bool keep_samples = false;
  // --indices --components: the indices of each cost component of the
  // portfolio too (then each cost formula's row), from the same runs
  // (sim/report/sensitivity_indices.h).
  bool components = false;
  // --indices --per-msp: the indices of each MSP's own output (the output
  // measured, of that MSP alone) too, from the same runs.
  bool per_msp = false;
  // The tornado of one MSP's own output (--msp NAME), the index of that MSP
  // in the scenario; none: the portfolio's.
  std::optional<std::size_t> msp;
};

struct SensitivityMember {
  std::string stream;        // "msps.acme.labor.setup_hours"
  std::string distribution;  // describe()
  double low = 0, high = 0;  // its quantiles at sensitivity_low and sensitivity_high
};

struct SensitivityRow {
  std::string key;
  InputOwner level = InputOwner::market;
  std::string unit;
  std::vector<SensitivityMember> members;
  bool read = true;          // false: no MSP draws it (skip_unread took the baseline's results)
  double mean_low = 0;       // mean of the output with the group at its P10
  double mean_high = 0;      // ... at its P90
  PairedDifference swing;    // high - low, trial by trial (mean, se, 95% interval)
  double p90_low = 0;        // P90 of the output with the group at its P10
  double p90_high = 0;
  double p90_swing = 0;      // p90_high - p90_low
  // SE of p90_swing by sectioning (p90_swing_se below); none with fewer than
  // p90_swing_sections x p90_swing_section_trials_min trials.
  std::optional<double> p90_swing_se;
};

// The SE of the paired P90 difference P90(high) - P90(low), by sectioning
// (batch means): the trials are cut into p90_swing_sections consecutive
// sections of equal size (the first n mod K sections one trial longer), the
// difference is computed within each, d_1..d_K, and
//   SE = sd(d_1..d_K) / sqrt(K).
// A section's estimate has about K times the variance of the estimate from
// all n trials (a quantile's variance is p(1-p) / (n f(q)^2) to first order;
// the pairing enters through the sections, which keep each trial's two values
// together), so its spread measures the full estimate's; no density
// estimate is needed, and the cost is O(n). None with fewer than
// p90_swing_section_trials_min trials per section. The same bytes for any
// thread count (the sections follow trial order).
inline constexpr std::size_t p90_swing_sections = 20;
inline constexpr std::size_t p90_swing_section_trials_min = 50;
std::optional<double> p90_swing_se(std::span<const double> high, std::span<const double> low);

struct IndexResult;  // sim/report/sensitivity_indices.h

struct SensitivityResult {
  RunInfo info;
  std::uint64_t trials_requested = 0;
  std::uint64_t trials_done = 0;  // of the baseline and of every row listed
  bool complete = true;           // false: interrupted; rows holds the groups finished
  Output output = Output::total_cost;  // formula_output_like for a cost formula's row
  std::string formula;            // the cost formula measured (formula.NAME); empty: `output`
  std::string msp;                // the MSP whose own output is measured (--msp); empty: the portfolio
  Stats baseline;                 // mean and SE of the mean series, percentiles of the output's
  std::size_t groups = 0;         // uncertain input groups in the scenario
  std::size_t runs = 0;           // simulations done (the baseline, two per group read)
  std::vector<SensitivityRow> rows;  // by |swing| descending, ties in uncertain_inputs() order
  std::size_t top = 15;           // rows the terminal table shows
  std::shared_ptr<const SampleSeries> samples;  // the baseline's portfolio series, for --samples only
  // Set by run_sensitivity_indices (rows then stays empty): the renderers
  // below write the variance-based indices instead of the tornado; indices
  // is null when the run was interrupted.
  bool variance_indices = false;
  std::shared_ptr<const IndexResult> indices;
  // With SensitivityOptions::components: one per cost component (labor_cost
  // .. extras_cost and the cost lines), in output order, then one per cost
  // formula (IndexResult::formula) in formula_cost_names() order.
  std::vector<std::shared_ptr<const IndexResult>> component_indices;
  // With SensitivityOptions::per_msp: one per MSP (IndexResult::msp), in scenario order.
  std::vector<std::shared_ptr<const IndexResult>> msp_indices;
};

// Sets result.output and result.formula to what `sensitivity` measures;
// returns the formula's index (formula_index) or npos for a fixed output.
// Throws std::invalid_argument for an unknown formula, or a formula with
// msp or per_msp (a formula's row is measured for the portfolio only).
std::size_t set_measured_output(const Scenario& scenario, const SensitivityOptions& sensitivity,
                                SensitivityResult& result);

// Runs the baseline and, group by group, its two copies (so that at most
// the results of about three runs are held at once), with `options`
// (trials, seed, threads, stop, progress: the progress counts the trials
// of every run against the total of all).
SensitivityResult run_sensitivity(const Scenario& scenario, const RunOptions& options,
                                  const SensitivityOptions& sensitivity = {});

// The per-trial results (exact mode, portfolio series only; with
// SensitivityOptions::msp every MSP's series of the output and its mean
// series too) and the working memory such a run needs at its peak.
std::uint64_t estimate_sensitivity_bytes(const Scenario& scenario, std::uint64_t trials,
                                         const SensitivityOptions& sensitivity = {});
std::uint64_t estimate_sensitivity_working_bytes(const Scenario& scenario, const RunOptions& options,
                                                 const SensitivityOptions& sensitivity = {});

// Written straight into `out`; the string forms are for tests. With
// trials_done = 0 there are no statistics: null in the JSON, no rows.
void render_sensitivity_table(const SensitivityResult& result, std::ostream& out);
void render_sensitivity_json(const SensitivityResult& result, std::ostream& out);
void render_sensitivity_csv(const SensitivityResult& result, std::ostream& out);
std::string render_sensitivity_table(const SensitivityResult& result);
std::string render_sensitivity_json(const SensitivityResult& result);
std::string render_sensitivity_csv(const SensitivityResult& result);

}  // namespace switchcost::sim

// Variance-based sensitivity indices (`switchcost sensitivity --indices`):
// how much of the output's variance each uncertain input (or group) explains
// alone (first order, S) and with all its interactions (total, ST).
//
// Matrices without storage. Every input is drawn from a stream named by what
// it is (sim/random/random.h): renaming a stream gives an independent copy
// of that input with the same distribution, trial by trial. So
//   A    = the scenario as is,
//   B    = the scenario with every group's streams renamed (+ "#B"),
//   AB_i = A with only group i's streams renamed,
// all run over the same trials j = 1..N. With f the output and
//   V    = the variance of the 2N values f_A and f_B pooled (divisor 2N),
//   S_i  = mean_j((f_B,j - m) (f_ABi,j - f_A,j)) / V        (Saltelli 2010)
//   ST_i = mean_j((f_A,j - f_ABi,j)^2) / (2 V)               (Jansen 1999)
// where m is the pooled mean (centring f_B changes the expectation of the
// numerator by m E[f_ABi - f_A] = 0 and lowers its variance). The estimators
// assume independent inputs: every group draws from its own streams.
// Cost: 2 + groups runs; kept: one series of N values per run.
//
// f is the output's series, or for a compound cost (total_cost,
// lost_updates_cost) its conditional expectation given the trial's inputs,
// as the tornado's means and `run`'s means are: the drawn cost adds the
// incident lottery (Poisson counts of heavy-tailed costs), whose variance is
// noise given the inputs and would swamp theirs (at 350 endpoints the drawn
// total's sd is about 20 times the expected total's). --output
// total_expected_cost names the same series; `incidents` (the drawn count)
// is the output whose series reads the incident draws.
//
// Intervals: bootstrap over trials. Replicate r (r < replicates) resamples
// the N trials with replacement, trial k taking index
// floor(N uniform(Stream{seed, "sensitivity.bootstrap"}, k, r)), and
// recomputes V, S_i and ST_i from the resampled trials (the same trials for
// every group). The 95% interval is the 2.5% and 97.5% percentiles of the
// replicates (type 7); the SE their standard deviation.
//
// Groups (index_groups): those of the tornado (sim/report/sensitivity.h:
// market keys, competitor keys, an MSP key over every MSP that draws it,
// extras.NAME), then the inline draws of formulas ("formulas.NAME.k" over
// every MSP whose formula NAME draws its k-th variable), then "incidents":
// the engine's own draws of each MSP's incident count and costs given its
// expected incidents (only lost_updates_cost, incidents and total_cost read
// them; their conditional expectations do not). Market-level groups
// (market and competitors) and per-MSP groups are reported apart. An output
// with no variance (every input read is constant) has every index 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "sim/engine/engine.h"
#include "sim/report/sensitivity.h"
#include "sim/scenario/scenario.h"

namespace switchcost::sim {

inline constexpr const char* sensitivity_indices_schema = "switchcost.sensitivity-indices/1";
// Appended to a stream's name for the independent copy of B and AB_i.
inline constexpr const char* resampled_stream_suffix = "#B";
inline constexpr std::size_t index_bootstrap_replicates = 300;

enum class IndexMemberKind { input, formula_draw, incidents };

// One drawn quantity of a group.
struct IndexMember {
  IndexMemberKind kind = IndexMemberKind::input;
  InputRef ref;            // input: where it is; otherwise ref.msp and ref.owner name the MSP
  std::size_t draw = 0;    // formula_draw: index into the MSP's FormulaSet::draws
  std::string stream;      // as the engine names it: "msps.acme.formulas.x1.0"
  std::string distribution;  // describe(), or "Poisson counts, incident costs"
};

struct IndexGroup {
  std::string key;  // "market.threat.miss_rate_supported", "labor.setup_hours", "formulas.x1.0", "incidents"
  InputOwner level = InputOwner::market;
  std::string unit;
  std::vector<IndexMember> members;
};

// Every group of independently drawn quantities of the scenario (see above).
std::vector<IndexGroup> index_groups(const Scenario& scenario);

// A copy of the scenario with every member of the groups drawn from its
// renamed stream (+ resampled_stream_suffix).
Scenario resample_streams(const Scenario& scenario, std::span<const IndexGroup* const> groups);

struct IndexEstimate {
  double value = 0;
  double se = 0;          // sd of the bootstrap replicates
  double lo = 0, hi = 0;  // bootstrap 95% interval
};

struct IndexRow {
  std::string key;
  InputOwner level = InputOwner::market;
  std::string unit;
  std::vector<IndexMember> members;
  IndexEstimate first;  // S_i
  IndexEstimate total;  // ST_i
  bool read = true;     // false: a competitor no MSP uses, not run (its indices are 0)
};

struct IndexResult {
  Output output = Output::total_cost;  // formula_output_like for a cost formula's row
  std::string formula;       // the cost formula measured (formula.NAME); empty: `output`
  std::string msp;           // --per-msp: the MSP whose own output this is; empty for the portfolio
  std::uint64_t trials = 0;  // N
  double mean = 0;           // of f_A and f_B pooled
  double variance = 0;       // V
  std::size_t replicates = 0;
  std::vector<IndexRow> rows;  // market-level groups, then per-MSP; each by ST descending, ties in group order
};

// The indices from the per-trial outputs (fab[i] for groups[i]), with
// `replicates` bootstrap replicates drawn with `seed`, computed on up to
// `threads` threads. Pure: the same bytes for the same arguments, whatever
// the threads.
IndexResult estimate_indices(std::span<const double> fa, std::span<const double> fb,
                             const std::vector<std::span<const double>>& fab, const std::vector<IndexGroup>& groups,
                             std::uint64_t seed, std::size_t replicates = index_bootstrap_replicates,
                             unsigned threads = 1);

// Runs A and B, then the AB_i two at a time, keeping the output's series of
// each (and each cost component's with SensitivityOptions::components, each
// MSP's own output with SensitivityOptions::per_msp), and estimates the
// indices: result.indices is set (and component_indices, msp_indices;
// result.rows stays empty); result.baseline is A's. Interrupted: complete
// is false and result.indices is null.
//
// Per MSP, the same runs serve: MSPs share only the market's and the
// competitors' inputs, so an MSP key group (every MSP's draws of that key
// renamed together) moves MSP m's output only through m's own member, and
// on m's output its indices are those of m's own input; a group m has no
// member of (another MSP's extra item or formula draw) leaves m's series
// the same bits, and has indices of exactly 0 there.
SensitivityResult run_sensitivity_indices(const Scenario& scenario, const RunOptions& options,
                                          const SensitivityOptions& sensitivity = {});

// The per-trial series kept (2 + groups per output measured, 8 bytes per
// trial each; the outputs measured: 1, + the cost components with
// --components, + the MSPs with --per-msp) and the working memory at the
// peak (two runs' results, each MSP's measured series too with --per-msp;
// the bootstrap).
std::uint64_t estimate_indices_bytes(const Scenario& scenario, std::uint64_t trials,
                                     const SensitivityOptions& sensitivity = {});
std::uint64_t estimate_indices_working_bytes(const Scenario& scenario, const RunOptions& options,
                                             const SensitivityOptions& sensitivity = {});

// The renderers render_sensitivity_* call when result.indices is set.
void render_indices_table(const SensitivityResult& result, std::ostream& out);
void render_indices_json(const SensitivityResult& result, std::ostream& out);
void render_indices_csv(const SensitivityResult& result, std::ostream& out);

}  // namespace switchcost::sim

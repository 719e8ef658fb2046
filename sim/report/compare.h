// Comparing alternatives (price scenarios, competitors) on the same MSPs.
//
// Every alternative is run with the same seed. Inputs are drawn from streams
// named by what they are (sim/random/random.h), so inputs the alternatives share
// (an MSP's labor hours, the threat level) take the same values in every
// alternative, trial by trial: common random numbers. A difference between
// two alternatives is then computed per trial (paired), and its standard
// error measures only what changed, not sampling noise. Each alternative's
// numbers depend only on its own scenario and the seed, never on which other
// alternatives are listed or in what order.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sim/engine/engine.h"
#include "sim/report/report.h"
#include "sim/scenario/scenario.h"
#include "sim/stats/summary.h"

namespace switchcost::sim {

inline constexpr const char* compare_schema = "switchcost.compare/2";

struct Alternative {
  std::string label;               // "list", "surge", "target=eset"
  std::vector<std::string> inputs; // files (and overlays) that make it
  Scenario scenario;
};

// alt - baseline, trial by trial.
struct PairedDifference {
  double mean = 0;
  double se = 0;       // sd of the differences / sqrt(n)
  double lo = 0;       // 95% confidence interval: mean -+ 1.96 se
  double hi = 0;
  Proportion cheaper;  // share of trials where alt < baseline (ties are not cheaper)
  double same = 0;     // share of trials where alt == baseline exactly (neither is cheaper)
};

PairedDifference paired_difference(std::span<const double> alternative, std::span<const double> baseline);
// The same for a compound cost: the mean, SE and interval from the series of
// its conditional expectations (`*_expected`, trial by trial: the same mean,
// less noise), P(cheaper) from the costs drawn.
PairedDifference paired_difference(std::span<const double> alternative, std::span<const double> baseline,
                                   std::span<const double> alternative_expected,
                                   std::span<const double> baseline_expected);

// For each trial, which series is lowest; returns each series' share of
// trials. Ties are split equally among the tied series, so the result does
// not depend on their order. All series have the same length.
std::vector<double> cheapest_shares(const std::vector<std::span<const double>>& series);

struct AlternativeResult {
  std::string label;
  std::vector<std::string> inputs;
  Stats total;              // portfolio total cost; mean and SE: the conditional expectation's
  std::optional<SampledMean> total_sampled;  // the plain mean of the totals drawn
  Stats duration;           // portfolio duration (last MSP) [days]
  Stats labor_hours;        // portfolio technician hours, summed over MSPs [h]
  Proportion done_before_updates_stop;
  PairedDifference vs_baseline;
  double p_cheapest = 0;    // share of trials in which this alternative is the cheapest
  int rank = 0;             // 1 = lowest mean total cost
  // Per CompareResult::formula_costs: the portfolio's cost formula row (0 in
  // every trial where the alternative has no such formula) and its paired
  // difference to the baseline's.
  std::vector<Stats> formula_costs;
  std::vector<PairedDifference> formula_vs_baseline;
};

struct MspChoice {
  std::string name;
  std::vector<double> mean;        // per alternative, expected total cost [USD] (conditional expectation)
  std::vector<double> p90;         // per alternative [USD]
  std::vector<double> p_cheapest;  // per alternative
};

struct CompareResult {
  RunInfo info;
  std::uint64_t trials_requested = 0;
  std::uint64_t trials_done = 0;
  bool complete = true;
  std::string updates_end;  // ISO date
  std::vector<AlternativeResult> alternatives;  // [0] is the baseline
  // The cost formulas' names (RunResult::formula_costs) of every
  // alternative, each once, in alternative order: the rows compared.
  std::vector<std::string> formula_costs;
  std::vector<MspChoice> msps;  // MSPs present in every alternative, in the baseline's order
  std::shared_ptr<const SampleSeries> samples;  // each alternative's portfolio series, for --samples and --html only
  std::shared_ptr<const FormulaSamples> formula_samples;  // and its cost formulas', likewise
};

// Runs every alternative with `options` (same seed) and compares them;
// with keep_samples, the result keeps each alternative's portfolio series.
CompareResult compare_alternatives(const std::vector<Alternative>& alternatives, const RunOptions& options,
                                   const RunInfo& info, bool keep_samples = false);

// Whether two scenarios give every MSP the same inputs: the same MSPs with
// the same incumbents, targets, inputs, extra items and formulas, the same
// market, market formulas and timeline, and the same prices for every
// competitor an MSP uses (each input the same stream and quantiles). Such alternatives have the same results
// trial by trial: a variant that gives none changes nothing.
bool same_inputs(const Scenario& a, const Scenario& b);

// Bytes the per-trial results of a comparison would take.
std::uint64_t estimate_compare_bytes(const std::vector<Alternative>& alternatives, std::uint64_t trials);
// Bytes a comparison with these options needs besides its results (see
// estimate_working_bytes), with the paired statistics' buffers.
std::uint64_t estimate_compare_working_bytes(const std::vector<Alternative>& alternatives, const RunOptions& options);

// Written straight into `out`, as the run's reports (sim/report/report.h); the
// string forms are for tests. With trials_done = 0 there are no statistics:
// null in the JSON, empty CSV fields, no table.
// An alternative's fields of compare's JSON that plan's options share: its
// inputs, then total_cost, duration_days and labor_hours.
void json_alternative_stats(Json& j, const AlternativeResult& a);

void render_compare_table(const CompareResult& result, std::ostream& out);
void render_compare_json(const CompareResult& result, std::ostream& out);
void render_compare_csv(const CompareResult& result, std::ostream& out);
std::string render_compare_table(const CompareResult& result);
std::string render_compare_json(const CompareResult& result);
std::string render_compare_csv(const CompareResult& result);

}  // namespace switchcost::sim

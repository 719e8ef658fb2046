// `switchcost plan`: what the MSP owner should do, and what learning an
// input first would be worth (docs/plan.md).
//
// Options are alternatives (sim/report/compare.h) run on the same trials, so
// every difference is paired. A grid of decision variables (--vary KEY=V1,V2)
// makes one option per combination of values, the last variable varying
// fastest; each value is applied as `--set KEY=VALUE` is (Overlay::setting),
// `target` as `compare --targets` moves every MSP, `start` as
// timeline.migration_start.
//
// Means and paired differences are of the total's conditional expectation
// (total_expected_cost, as in `run` and `compare`); P90s of the totals drawn.
//
// The recommendation is the option of lowest mean cost among those meeting
// every --require constraint (on the point estimates); its confidence is the
// paired 95% interval of (runner-up - recommended), the runner-up being the
// next cheapest option meeting them: an interval that covers 0 is a tie.
// When no option meets them, the closest is named: the one with the smallest
// largest relative shortfall max_c |value_c - bound_c| / max(|bound_c|, 1e-9)
// over the constraints it misses (ties: the cheaper).
//
// Value of information, for the choice among all options by expected cost
// (constraints aside; PlanResult::meeting_evpi the same among the options
// meeting them), with net benefit NB_d = -cost_d per trial:
//   EVPI = E[max_d NB_d] - max_d E[NB_d] = mean_i(cost_{d0}(i) - min_d cost_d(i))
// where d0 is the option of lowest mean cost; the per-trial series is >= 0
// and its SE is sd / sqrt(n) (d0 taken as known).
// EVPPI of an input group G: E_G[max_d E[NB_d | G]] - max_d E[NB_d], with
// E[NB_d | G] estimated by binning. The trials are sorted by the group's
// index z(i) (the mean over its members of the uniform each member's draw
// is the quantile of: the value itself for a single input, up to a monotone
// map) and cut into B = floor(sqrt(n)) bins of equal count; then
//   raw_G = sum_b (n_b / n) max_d mean_b(NB_d) - max_d mean(NB_d).
// Bias: the max of noisy bin means is biased up (by about the bins' noise,
// sd of the differences / sqrt(n / B)); bins coarsen G, biasing down; a
// group of several inputs is summarised by one index, so its EVPPI is that
// of the index (a lower bound on the group's). The upward bias is estimated
// by the same estimator with bins of consecutive trials (an index
// independent of every input: its true EVPPI is 0), the noise floor, and
//   EVPPI_G = max(0, raw_G - floor),
// with the SE of raw_G given the bins' choices (binned_value, plan.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "sim/engine/engine.h"
#include "sim/report/compare.h"
#include "sim/report/sensitivity.h"
#include "sim/scenario/scenario.h"

namespace switchcost::sim {

inline constexpr const char* plan_schema = "switchcost.plan/1";
inline constexpr std::size_t plan_max_options = 256;

// One decision variable of the grid: a --set key (or `target`, `start`) and
// its values, in the order given.
struct PlanVariable {
  std::string key;
  std::vector<std::string> values;
  // Where each value was written, for one from a file's `decisions:` block
  // (its errors point there); empty for --vary.
  std::vector<Location> where;
  Location key_where;
};

// "KEY=V1,V2,..." (the argument of --vary): commas inside [] or {} belong
// to the value (`extras=[{name: a, cost: 1, per: msp}],[]`). Throws
// UsageError naming the argument for a missing '=', an empty key or value,
// unbalanced brackets or a value given twice.
PlanVariable parse_plan_variable(const std::string& argument);

// The grid of a plan: the scenario's `decisions: vary:` variables, in the
// order written, each --vary argument replacing the file's variable of its
// key in place or coming after them. Throws UsageError as
// parse_plan_variable, and ScenarioError at the second of two equal values
// in the file.
std::vector<PlanVariable> plan_variables(const Decisions& decisions, const std::vector<std::string>& vary);

// The options of a grid (one value per variable each), the last variable
// varying fastest. Throws UsageError for a key given twice or more than
// plan_max_options options.
std::vector<std::vector<std::string>> plan_grid(const std::vector<PlanVariable>& grid);

// The overlay that applies one value of a variable: `target` moves every
// MSP to the competitor, `start` sets timeline.migration_start, any other
// key as --set does. Its name, "--vary KEY=VALUE", locates its errors.
Overlay plan_overlay(const std::string& key, const std::string& value);

// Each value of the grid applied alone over `files` and `settings`, so that
// every value the scenario refuses is reported at once (one from a file's
// `decisions:` block where it is written), not only the first option's:
// throws ScenarioError or ScenarioErrors. plan_alternatives calls it first.
void check_plan_values(const std::vector<std::string>& files, const std::vector<PlanVariable>& grid,
                       const std::vector<Overlay>& settings);

// One alternative per option of the grid over `files` (then `settings`,
// the --set options, after the option's own values). Labels "k=v k=v".
// Throws ScenarioError (a located error) for a value the scenario refuses.
std::vector<Alternative> plan_alternatives(const std::vector<std::string>& files,
                                           const std::vector<PlanVariable>& grid,
                                           const std::vector<Overlay>& settings);

enum class PlanMeasure { p_done, duration_p90, cost_p90, cost_mean };
const char* to_string(PlanMeasure m) noexcept;  // "p_done", ...

// A --require constraint: MEASURE >= BOUND or MEASURE <= BOUND.
struct PlanConstraint {
  PlanMeasure measure = PlanMeasure::p_done;
  bool at_least = true;  // >=; else <=
  double bound = 0;
  std::string text;      // as given
};

// "p_done >= 0.9", "duration_p90 <= 90", "cost_p90 <= 30000",
// "cost_mean <= 25000" (spaces optional). Throws UsageError naming the
// argument: an unknown measure (with the likely intended one), an operator
// other than >= or <=, a bound that is not a finite number, p_done outside [0, 1].
PlanConstraint parse_plan_constraint(const std::string& text);

// The constraints of a plan: the --require arguments when any is given,
// else the scenario's `decisions: require:` list (a constraint there that
// does not parse is a ScenarioError where it is written).
std::vector<PlanConstraint> plan_constraints(const Decisions& decisions, const std::vector<std::string>& require);

// Option k's statistics are PlanResult::comparison.alternatives[k].
struct PlanOption {
  std::string label;
  std::vector<std::pair<std::string, std::string>> choices;  // (key, value) per grid variable
  bool meets = true;       // every constraint holds
  double shortfall = 0;    // largest relative shortfall (0 when it meets them)
  PairedDifference vs_reference;  // this - the reference option (recommended, else closest), trial by trial
  bool frontier = false;   // no other option is both no dearer (mean) and no less likely done, one strictly
};

// The EVPPI of one input group.
struct PlanInformation {
  std::string key;  // as sensitivity names groups: "labor.setup_hours", "market.x", "extras.NAME"
  InputOwner level = InputOwner::market;
  std::string unit;
  std::size_t members = 0;
  double evppi = 0;  // [USD] max(0, raw - noise floor)
  double raw = 0;    // [USD] the binned estimate before the correction
  double se = 0;     // [USD] of raw, given the bins' choices (binned_value in plan.cpp)
};

struct MeetingEvpi {
  std::size_t options = 0;       // how many meet every constraint
  double evpi = 0, evpi_se = 0;  // [USD]
};

struct PlanResult {
  CompareResult comparison;  // per option statistics, alternatives[k] = option k
  // The comparison's, where every command's result has them (Session::finish).
  std::uint64_t trials_requested = 0, trials_done = 0;
  bool complete = true;
  std::vector<PlanVariable> variables;
  std::vector<PlanConstraint> constraints;
  std::vector<PlanOption> options;
  std::optional<std::size_t> recommended;  // cheapest option meeting every constraint
  std::optional<std::size_t> closest;      // when none meets them
  std::optional<std::size_t> runner_up;    // next cheapest meeting them
  bool tie = false;                        // the runner-up's paired interval covers 0
  std::vector<std::size_t> frontier;       // by mean cost ascending
  bool information = false;                // EVPI and EVPPI computed
  double evpi = 0, evpi_se = 0;            // [USD] the choice among all options
  // When some options but not all meet the constraints: the EVPI of the
  // choice among those that do (the constraints are on the options'
  // estimates, so knowing the inputs does not change which are allowed).
  std::optional<MeetingEvpi> meeting_evpi;
  std::size_t evppi_bins = 0;
  double evppi_noise_floor = 0;            // [USD]
  std::vector<PlanInformation> evppi;      // by evppi descending, ties in group order
  std::size_t reference() const { return recommended ? *recommended : closest.value_or(0); }
};

struct PlanSettings {
  std::vector<PlanVariable> grid;        // for the options' choices (may be empty)
  std::vector<PlanConstraint> constraints;
  bool information = true;               // EVPI and EVPPI
};

// Runs every option on the same trials (compare_alternatives) and decides.
PlanResult run_plan(const std::vector<Alternative>& options, const RunOptions& run, const PlanSettings& settings);

void render_plan_table(const PlanResult& result, std::ostream& out);
void render_plan_json(const PlanResult& result, std::ostream& out);
void render_plan_csv(const PlanResult& result, std::ostream& out);
// --samples: the comparison of the options, as compare writes it.
void render_plan_samples(const PlanResult& result, std::ostream& out);
// --html (defined with the other pages, sim/report/html.cpp): the decision,
// the frontier chart, the options and the value of information, then the
// options' distributions as compare's page draws them.
void render_plan_html(const PlanResult& result, std::ostream& out);
std::string render_plan_table(const PlanResult& result);
std::string render_plan_json(const PlanResult& result);
std::string render_plan_csv(const PlanResult& result);

}  // namespace switchcost::sim

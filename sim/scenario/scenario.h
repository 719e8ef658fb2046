// A scenario: plain structs of distribution specs, read from one or more YAML
// files (docs/scenario-format.md), validated, includes resolved. The engine
// reads nothing else.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "models/extras.h"
#include "models/labor.h"
#include "models/pricing.h"
#include "sim/random/copula.h"
#include "sim/random/distribution.h"
#include "sim/base/error.h"
#include "sim/scenario/formula.h"
#include "sim/scenario/yaml_reader.h"

namespace switchcost::sim {

// One uncertain input: its distribution, where it was written, and the name
// of its random stream (which fixes the values it draws, see sim/random/random.h).
struct Var {
  Distribution dist;
  Location where;
  std::string stream;  // e.g. "msps.acme.labor.setup_hours"
};

// Inputs keyed by their scenario key ("labor.setup_hours").
using Params = std::map<std::string, Var, std::less<>>;

// A `correlations:` block (docs/scenario-format.md, "Correlations"): the
// Spearman rank correlations of some inputs, drawn through a copula
// (sim/random/copula.h) so that each keeps its own marginal. Read and
// checked once (a valid matrix, its copula's factor computed); its keys are
// checked against the inputs of each owner that takes it.
struct Correlations {
  Location where;                   // the block
  std::vector<std::string> keys;    // the inputs, by scenario key, in the order first named
  std::vector<Location> key_where;  // where each key is first named
  SquareMatrix spearman;            // [-] rank correlations, keys x keys (pairs not named: 0)
  CopulaKind copula = CopulaKind::gaussian;
  double dof = 0;                   // [-] degrees of freedom of the t copula
  SquareMatrix factor;              // copula_factor(spearman_to_pearson(spearman))
};

struct Timeline {
  // [days since 1970-01-01] the first day without new sales or renewals
  std::int64_t sales_end = 0;
  // [days since 1970-01-01] updates stop at 00:00 of this day (the cut-off):
  // the last day with updates is the one before. A migration is "done before
  // updates stop" when its completion day (a real number) is below it.
  std::int64_t updates_end = 0;
  std::int64_t migration_start = 0;  // [days since 1970-01-01] day 0 of every MSP's migration
  int horizon_months = 36;           // [months] pricing horizon
};

struct Competitor {
  std::string name;
  Location where;
  Params params;  // price_per_endpoint_month, setup_fee_per_endpoint, ...
  std::vector<models::VolumeTier> volume_tiers;
};

struct ExtraItem {
  std::string name;
  Var cost;  // [USD per unit of `per`]
  models::ExtraPer per = models::ExtraPer::msp;
};

struct Msp {
  std::string name;
  Location where;
  std::string incumbent;  // competitor left (old price)
  std::string target;     // competitor moved to (new price)
  // labor.cost_basis: how a migration hour is valued (models/labor.h); a
  // choice, not a drawn input.
  models::CostBasis cost_basis = models::CostBasis::loaded;
  // Every per-MSP input ("endpoints", "labor.setup_hours", ...). An absent
  // "labor.technician_cost_per_hour" means the market's rate is used.
  Params params;
  std::vector<ExtraItem> extras;
  // The `formulas:` block (sim/scenario/formula.h), or null: compiled once
  // per block as written and shared by the MSPs that take it (so a block in
  // msp_defaults costs the same for 10 MSPs or 100,000). Its draws' streams
  // are named under the MSP: "msps." + name + "." + FormulaDraw::stream.
  // Each cost formula is an output row of its own (RunResult::formula_costs).
  std::shared_ptr<const FormulaSet> formulas;
  // The `correlations:` block that applies to this MSP (its own, else
  // msp_defaults', overridden by msp_overrides'), or null: its keys are the
  // MSP's own inputs ("labor.setup_hours"), correlated within the MSP,
  // trial by trial; another MSP's inputs stay independent of them.
  std::shared_ptr<const Correlations> correlations;
  // Appended to the names of the streams the engine draws for this MSP
  // without a Var: its incident counts and costs ("msps.acme.incidents.count").
  // Empty as read; the variance-based sensitivity indices set it in their
  // resampled copies of a scenario (sim/report/sensitivity_indices.h).
  std::string internal_stream_suffix;
};

// The `decisions:` block (docs/plan.md): the grid and the constraints
// `switchcost plan` takes when no --vary or --require replaces them; every
// other command reads past it. Values are kept as one line of flow YAML
// (what --vary takes), each with where it was written.
struct DecisionValue {
  std::string text;
  Location where;
  std::string scalar;  // a scalar's own text, unquoted (a name: `target`'s value); else empty
};
struct DecisionVariable {
  std::string key;  // a --set key, `target` or `start`
  Location where;
  std::vector<DecisionValue> values;
};
struct Decisions {
  // In the order written; a later file's variable replaces an earlier one's
  // of the same key, in place.
  std::vector<DecisionVariable> vary;
  // "p_done >= 0.9", ...: the last file that gives `require` sets them all.
  std::vector<DecisionValue> require;
};

struct Scenario;
// Whether any `correlations:` block applies (the market's or an MSP's):
// methods that assume independent inputs (Sobol indices, EVPPI) refuse it.
bool has_correlations(const Scenario& scenario) noexcept;

struct Scenario {
  std::vector<std::string> files;  // every file read, in order (display names)
  Decisions decisions;
  Timeline timeline;
  Params market;  // "technician_cost_per_hour", "discount_rate_per_year", "threat.*"
  std::map<std::string, Competitor, std::less<>> competitors;
  std::vector<Msp> msps;
  // The top level's `correlations:` block, or null: market and competitor
  // inputs ("market.technician_cost_per_hour",
  // "competitors.eset.price_per_endpoint_month"), drawn once per trial.
  std::shared_ptr<const Correlations> correlations;
  // The top level's `formulas:` block (values only), or null: quantities
  // over the market inputs and the timeline, drawn and computed once per
  // trial and shared by every MSP, whose formulas read them as
  // "market.formulas.NAME"; inline draws on streams "market.formulas.NAME.k".
  std::shared_ptr<const FormulaSet> market_formulas;
  // The distinct PERT and Beta shapes (alpha, beta) read that have a quantile
  // table (64 KiB each when run): for the memory estimate.
  std::vector<std::pair<double, double>> beta_shapes;
};

// Something laid over the scenario's files by the program: a YAML document
// applied like a file, or (for `compare --targets`) a target every MSP moves
// to, set directly as msp_overrides' target so that a name is never parsed
// as YAML (names from the command line could otherwise inject keys).
struct Overlay {
  std::string name;    // what messages and the scenario's file list call it: "(--targets eset)"
  std::string text;    // the document, when `target` is empty
  std::string target;  // the competitor msp_overrides moves every MSP to, or empty
  // A --set KEY=VALUE (`setting`): the key path and the value's YAML text.
  std::string set_key, set_value;

  Overlay() = default;
  Overlay(std::string name_, std::string text_) : name(std::move(name_)), text(std::move(text_)) {}
  static Overlay moving_to(std::string name_, std::string target_) {
    Overlay o(std::move(name_), "");
    o.target = std::move(target_);
    return o;
  }
  // `--set KEY=VALUE`, applied as a document of its own: KEY a dotted path
  // under timeline, market, competitors, msp_defaults or msp_overrides, or
  // else an MSP key, set for every MSP (msp_overrides.KEY); VALUE one line
  // of YAML (a number, a date, a word, or a flow mapping such as
  // {pert: [1, 2, 3]}), read by the same reader and checked by the same
  // schema as a file. The document is built as a tree, never as text around
  // the value; messages point at the argument: `--set KEY=VALUE:1:COLUMN`.
  static Overlay setting(std::string key, std::string value) {
    Overlay o("--set " + key + "=" + value, "");
    o.set_key = std::move(key);
    o.set_value = std::move(value);
    return o;
  }
};

// Reads the files as one scenario (several files = one portfolio: they are
// applied in order, as if one file included them all), then the overlays.
// Throws ScenarioError.
Scenario load_scenario(const std::vector<std::string>& paths, const ReadLimits& limits = {},
                       const std::vector<Overlay>& overlays = {});

// The keys an MSP, a competitor and the market take, with their allowed
// ranges and units: the schema, for validation and documentation.
struct ParamSpec {
  std::string_view key;
  double min;           // smallest value a draw may take
  double max;           // largest value a draw may take
  bool required;        // else `fallback` (a constant) is used
  double fallback;
  std::string_view unit;
};
const std::vector<ParamSpec>& msp_param_specs();
const std::vector<ParamSpec>& competitor_param_specs();
const std::vector<ParamSpec>& market_param_specs();
// Optional per-MSP keys that, when absent, leave the value to the market's
// input of the same model ("labor.technician_cost_per_hour").
const std::set<std::string_view>& msp_market_default_keys();

// Whether `name` may name an MSP, a competitor or an extra item: 1 to 64
// letters, digits, '-', '_' or '.'.
bool valid_name(std::string_view name) noexcept;

// Builds a distribution from a scenario value: a number, or a one-key mapping
// naming the kind ({pert: [1, 2, 4]}). Throws ScenarioError at the node.
Distribution distribution_from_node(const Node& node);

}  // namespace switchcost::sim

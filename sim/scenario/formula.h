// Formulas written in a scenario's `formulas:` block: parsed, checked and
// compiled here to models/formula.h programs (flat vector operations over
// the columns of a block of trials).
//
// Grammar (loosest binding first; no loops, no assignment):
//   expr    := or
//   or      := and ('||' and)*
//   and     := compare ('&&' compare)*
//   compare := sum (('<' | '<=' | '>' | '>=' | '==' | '!=') sum)?
//   sum     := product (('+' | '-') product)*
//   product := unary (('*' | '/') unary)*
//   unary   := ('-' | '!') unary | primary
//   primary := number | symbol | name '(' args ')' | '(' expr ')'
// A number is written as everywhere in a scenario (to_number: "350", "0.5",
// "1e5"); a symbol is a dotted name ("endpoints", "labor.hours",
// "timeline.updates_end"). Functions: min(a, b, ...), max(a, b, ...),
// clamp(x, lo, hi), if(c, a, b) (a where c != 0, else b; both are
// evaluated), exp, log, sqrt, pow(a, b), sin, cos (radians). Comparisons, &&, || and ! give 1 or
// 0. A distribution kind's name with numbers as arguments, positional or
// named (pert(10, 20, 60), normal(-1, 2), lognormal(mean: 20, sd: 5)), is a
// variable drawn once per trial, read by the same rules as {pert: [10, 20,
// 60]} or {lognormal: {mean: 20, sd: 5}} elsewhere in the file; the k-th (from 0, in
// reading order) of formula NAME draws from the stream
// PREFIX + "formulas.NAME.k", so common random numbers hold across scenarios
// (the scenario reader compiles with no prefix, once per block, and the
// engine names the stream under each MSP: "msps.acme.formulas.NAME.k").
//
// Errors are ScenarioErrors at the file:line:col of the character in the
// formula: an unknown symbol or function (with a did-you-mean), a formula
// that refers to itself through others (naming the cycle), malformed text,
// more than FormulaLimits' nodes or depth.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "models/formula.h"
#include "sim/base/error.h"
#include "sim/random/distribution.h"
#include "sim/scenario/yaml_reader.h"

namespace switchcost::sim {

struct FormulaLimits {
  std::size_t max_nodes = 1'000;  // numbers, symbols, operators and calls in one formula
  int max_depth = 64;             // nested operators, calls and parentheses
  std::size_t max_formulas = 1'000;  // in one set
};

// One entry of a `formulas:` block as written.
struct FormulaSource {
  std::string name;  // "downtime_cost"
  std::string text;  // "endpoints * pert(10, 20, 60) / 60"
  Location where;    // of the text's first character
  bool cost = false; // a cost line [USD] (else an intermediate value)
  // Where the text's pieces were written (Node::segments; empty: all on
  // where's line from where.column), so that errors point inside it exactly.
  std::vector<TextSegment> segments;
};

// A variable drawn inline in a formula.
struct FormulaDraw {
  Distribution dist;
  std::string stream;  // PREFIX + "formulas.NAME.k"
  Location where;
};

struct CompiledFormula {
  std::string name;
  Location where;
  bool cost = false;
  models::FormulaProgram program;  // its slots index FormulaSet::slots
  int slot = 0;                    // where its result goes in FormulaSet::slots
};

// A block of formulas compiled together. The slots are, in order: the
// outside symbols they read (`symbols`, names from `known`), the inline
// draws (`draws`), then each formula's result (CompiledFormula::slot); the
// formulas are listed in an order that evaluates each after those it reads.
struct FormulaSet {
  std::vector<std::string> symbols;
  std::vector<FormulaDraw> draws;
  std::vector<CompiledFormula> formulas;
  // The cost formulas, as indexes into `formulas`, in the order written:
  // the order of their rows in the reports.
  std::vector<std::size_t> costs;
  int slot_count() const noexcept { return int(symbols.size() + draws.size() + formulas.size()); }
  int draw_slot(std::size_t k) const noexcept { return int(symbols.size() + k); }
};

// The model outputs and dates an MSP's formulas may read besides its inputs
// (every per-MSP key of msp_param_specs(), as drawn for the trial): name and
// unit. The engine gives each a column (tests/engine_test.cpp checks all).
struct FormulaSymbol {
  std::string_view name;  // "labor.hours"
  std::string_view unit;  // "[h]"
};
const std::vector<FormulaSymbol>& formula_model_symbols();
// Every name an MSP's formulas may read: its input keys, then the above.
const std::vector<std::string>& msp_formula_symbols();
// Every name the market's formulas (the top level's `formulas:` block) may
// read: the market inputs drawn once per trial ("market." + key, but
// threat.incident_cost, which is drawn per incident), then the timeline's
// dates and horizon. An MSP's formulas read the market's values as
// market_formula_prefix + NAME.
const std::vector<std::string>& market_formula_symbols();
inline constexpr std::string_view market_formula_prefix = "market.formulas.";

// Whether two sets compute the same values from the same inputs and draws
// (both null, or the same symbols, draws on the same streams with the same
// quantiles, and the same formulas compiled to the same programs).
bool same_formulas(const FormulaSet* a, const FormulaSet* b);

// Compiles the formulas, which may read the `known` symbols, each other and
// inline draws named under `stream_prefix` ("msps.acme."). Throws ScenarioError.
FormulaSet compile_formulas(const std::vector<FormulaSource>& sources, const std::vector<std::string>& known,
                            const std::string& stream_prefix, const FormulaLimits& limits = {});

}  // namespace switchcost::sim

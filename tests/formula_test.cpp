// Formulas (sim/scenario/formula.h, models/formula.h): located errors,
// evaluation against hand-computed values, and the stranded-licences model
// written as formulas against the built-in one.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "models/formula.h"
#include "models/stranded.h"
#include "sim/random/random.h"
#include "sim/scenario/formula.h"

namespace {

using namespace switchcost;
using models::Column;
using sim::FormulaSource;

const std::vector<std::string> known = {"endpoints", "clients", "labor.hours", "user_cost_per_hour",
                                        "billable_share"};

FormulaSource source(std::string name, std::string text, bool cost = true, int line = 7, int column = 20) {
  return FormulaSource{std::move(name), std::move(text), sim::Location{"s.yaml", line, column}, cost, {}};
}

// The message of the ScenarioError compiling `sources` throws ("" if none).
std::string error_of(const std::vector<FormulaSource>& sources, const sim::FormulaLimits& limits = {}) {
  try {
    sim::compile_formulas(sources, known, "msps.acme.", limits);
  } catch (const sim::ScenarioError& e) {
    return e.what();
  }
  return "";
}

// Evaluates every formula of the set over the given symbol columns (in the
// set's symbol order, looked up by name) and draws at `seed`; returns the
// columns of every slot.
std::vector<Column> evaluate(const sim::FormulaSet& set, const std::map<std::string, Column>& symbols,
                             Eigen::Index n, std::uint64_t seed = 1) {
  std::vector<Column> slots(std::size_t(set.slot_count()));
  for (std::size_t k = 0; k < set.symbols.size(); ++k) slots[k] = symbols.at(set.symbols[k]);
  for (std::size_t k = 0; k < set.draws.size(); ++k) {
    Column u(n);
    sim::fill_uniforms(sim::Stream{seed, sim::variable_id(set.draws[k].stream)}, 0, std::size_t(n), 0, u.data());
    Column& x = slots[std::size_t(set.draw_slot(k))];
    x.resize(n);
    set.draws[k].dist.quantiles(u.data(), x.data(), std::size_t(n));
  }
  std::vector<const Column*> views;
  for (const auto& c : slots) views.push_back(&c);
  models::FormulaWorkspace ws;
  for (const auto& f : set.formulas) {
    models::evaluate_formula(f.program, views, n, ws, slots[std::size_t(f.slot)]);
  }
  return slots;
}

const Column& result(const sim::FormulaSet& set, const std::vector<Column>& slots, const std::string& name) {
  for (const auto& f : set.formulas)
    if (f.name == name) return slots[std::size_t(f.slot)];
  throw std::runtime_error("no formula " + name);
}

Column column(std::initializer_list<double> v) {
  Column c(Eigen::Index(v.size()));
  Eigen::Index i = 0;
  for (double x : v) c[i++] = x;
  return c;
}

// ---------------------------------------------------------------------------
// Errors, each at the character it is about

TEST(Formula, UnknownSymbolIsLocatedWithSuggestion) {
  // "endpoints * user_cost_per_huor": the unknown name starts at offset 12,
  // so column 20 + 12 = 32.
  const std::string e = error_of({source("x", "endpoints * user_cost_per_huor")});
  EXPECT_EQ(e, "s.yaml:7:32: unknown name 'user_cost_per_huor' in formula 'x'; did you mean 'user_cost_per_hour'?");
}

TEST(Formula, UnknownSymbolSuggestsOtherFormulas) {
  const std::string e = error_of({source("downtime_hours", "endpoints / 60"), source("y", "downtime_hour * 2")});
  EXPECT_NE(e.find("s.yaml:7:20: unknown name 'downtime_hour'"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'downtime_hours'?"), std::string::npos) << e;
}

TEST(Formula, UnknownFunctionSuggestsOne) {
  const std::string e = error_of({source("x", "1 + sqr(endpoints)")});
  EXPECT_EQ(e, "s.yaml:7:24: unknown function 'sqr' in formula 'x'; did you mean 'sqrt'?");
}

TEST(Formula, CycleIsNamed) {
  // a reads b (offset 4 in "1 + b"), b reads c, c reads a.
  const std::string e = error_of({source("a", "1 + b", true, 3, 6), source("b", "c * 2"), source("c", "a")});
  EXPECT_EQ(e, "s.yaml:3:10: formula 'a' refers to itself: a -> b -> c -> a");
}

TEST(Formula, SelfReferenceIsACycle) {
  EXPECT_EQ(error_of({source("a", "a + 1")}), "s.yaml:7:20: formula 'a' refers to itself: a -> a");
}

TEST(Formula, MalformedTextIsLocated) {
  EXPECT_EQ(error_of({source("x", "endpoints * (2 + 3")}),
            "s.yaml:7:38: expected ')' closing the '(' at column 32 in formula 'x', got the end");
  EXPECT_EQ(error_of({source("x", "endpoints 3")}),
            "s.yaml:7:30: unexpected '3' in formula 'x'; expected an operator or the end");
  EXPECT_EQ(error_of({source("x", "endpoints * ")}), "s.yaml:7:32: formula 'x' ends where a value was expected");
  EXPECT_EQ(error_of({source("x", "endpoints = 3")}),
            "s.yaml:7:30: '=' in formula 'x'; compare with '==' (formulas assign nothing)");
  EXPECT_EQ(error_of({source("x", "1 < 2 < 3")}),
            "s.yaml:7:26: comparisons do not chain in formula 'x'; write (a < b) && (b < c)");
  EXPECT_EQ(error_of({source("x", "clamp(1, 2)")}), "s.yaml:7:20: clamp(...) takes 3 arguments, got 2 in formula 'x'");
  EXPECT_EQ(error_of({source("x", "")}), "s.yaml:7:20: formula 'x' is empty; write an expression");
  // A number read by the scenario's rule: no leading zeros.
  EXPECT_NE(error_of({source("x", "2 * 010")}).find("s.yaml:7:24: "), std::string::npos);
}

TEST(Formula, SecondLineOfTextIsLocated) {
  // Offset after a line break: the next line, column from 1.
  EXPECT_EQ(error_of({source("x", "endpoints *\n  nope")}).substr(0, 13), "s.yaml:8:3: u");
}

TEST(Formula, DistributionParametersFollowTheKindsRules) {
  // At the '(' of the parameters, as {pert: [3, 2, 5]} is at its '['.
  const std::string e = error_of({source("x", "endpoints * pert(3, 2, 5)")});
  EXPECT_NE(e.find("s.yaml:7:36: "), std::string::npos) << e;
  EXPECT_NE(e.find("pert needs min <= mode <= max"), std::string::npos) << e;
  EXPECT_NE(error_of({source("x", "pert(1, endpoints, 5)")}).find("are numbers"), std::string::npos);
  EXPECT_NE(error_of({source("x", "pert(1, mode: 2, max: 5)")}).find("all named or all positional"), std::string::npos);
  // Named parameters as in {lognormal: {mean: 20, sd: 5}}.
  const auto set = sim::compile_formulas({source("x", "lognormal(mean: 20, sd: 5) + normal(-1, 2)")}, known, "p.");
  ASSERT_EQ(set.draws.size(), 2u);
  EXPECT_NEAR(set.draws[0].dist.mean(), 20.0, 1e-9);
  EXPECT_EQ(set.draws[1].dist.mean(), -1.0);
}

TEST(Formula, TooDeepIsAnError) {
  std::string text;
  for (int i = 0; i < 40; ++i) text += "(";
  text += "1";
  for (int i = 0; i < 40; ++i) text += ")";
  const std::string e = error_of({source("x", text)}, sim::FormulaLimits{1000, 32, 10});
  EXPECT_NE(e.find("is nested more than 32 levels deep"), std::string::npos) << e;
  // A long flat sum is not deep, but it has many terms.
  std::string sum = "1";
  for (int i = 0; i < 600; ++i) sum += " + 1";
  EXPECT_NE(error_of({source("x", sum)}, sim::FormulaLimits{1000, 32, 10}).find("has more than 1000 terms"),
            std::string::npos);
  // The default limits refuse a hostile depth before the stack is at risk.
  std::string deep(100'000, '(');
  EXPECT_NE(error_of({source("x", deep)}).find("levels deep"), std::string::npos);
  std::string negations(100'000, '-');
  EXPECT_NE(error_of({source("x", negations + "1")}).find("levels deep"), std::string::npos);
}

TEST(Formula, NamesAreChecked) {
  EXPECT_EQ(error_of({source("endpoints", "1")}),
            "s.yaml:7:20: formula 'endpoints' has the name of an input or model output; rename it");
  EXPECT_EQ(error_of({source("a", "1"), source("a", "2", true, 8)}), "s.yaml:8:20: formula 'a' is defined twice");
}

// ---------------------------------------------------------------------------
// Evaluation

TEST(Formula, EvaluatesArithmeticAndFunctions) {
  const auto set = sim::compile_formulas(
      {
          source("a", "endpoints * 2 + clients / 4 - -1"),     // 10*2 + 8/4 + 1 = 23; 3*2 + 2/4 + 1 = 7.5
          source("b", "min(a, 10, 20) + max(clients, 5)"),      // 10 + 8 = 18; 7.5 + 5 = 12.5
          source("c", "clamp(a, 8, 20) * if(endpoints > 5, 1, 0.5)"),  // 20 * 1 = 20; 8 * 0.5 = 4
          source("d", "(endpoints >= 10) + (clients != 8) * 2 + !(clients < 3) * 4"),  // 1+0+4 = 5; 0+2+0 = 2
          source("e", "(endpoints > 5 && clients > 5) + 2 * (endpoints > 50 || clients == 2)"),  // 1 + 0; 0 + 2
          source("f", "sqrt(16) + pow(2, 3) + exp(0) + log(1) + 3 - 2 * 4 / 8"),  // 4+8+1+0+3-1 = 15
          source("g", "-endpoints"),
          source("h", "sin(clients - 8) + cos(endpoints - 10) + pow(sin(1), 2) + pow(cos(1), 2)"),  // 0 + 1 + 1 = 2; sin(-6) + cos(-7) + 1
      },
      known, "msps.acme.");
  const auto slots = evaluate(set, {{"endpoints", column({10, 3})}, {"clients", column({8, 2})}}, 2);
  auto expect = [&](const char* name, double t0, double t1) {
    const Column& r = result(set, slots, name);
    EXPECT_EQ(r[0], t0) << name;
    EXPECT_EQ(r[1], t1) << name;
  };
  expect("a", 23, 7.5);
  expect("b", 18, 12.5);
  expect("c", 20, 4);
  expect("d", 5, 2);
  expect("e", 1, 2);
  expect("f", 15, 15);
  expect("g", -10, -3);
  const Column& h = result(set, slots, "h");
  EXPECT_NEAR(h[0], 2.0, 1e-15);
  EXPECT_NEAR(h[1], std::sin(-6.0) + std::cos(-7.0) + 1.0, 1e-15);
  // Formulas are ordered after those they read, whatever the order written.
  EXPECT_EQ(set.formulas.front().name, "a");
  EXPECT_EQ(set.symbols, (std::vector<std::string>{"endpoints", "clients"}));
}

TEST(Formula, OrderFollowsReferences) {
  const auto set = sim::compile_formulas({source("total", "part * 2"), source("part", "endpoints + 1")}, known, "p.");
  ASSERT_EQ(set.formulas.size(), 2u);
  EXPECT_EQ(set.formulas[0].name, "part");
  const auto slots = evaluate(set, {{"endpoints", column({1, 2, 3})}}, 3);
  EXPECT_EQ(result(set, slots, "total")[2], 8.0);  // (3 + 1) * 2
}

TEST(Formula, TemporariesAreReused) {
  // A left-leaning chain of 9 operations needs two temporaries, not nine.
  const auto set =
      sim::compile_formulas({source("x", "endpoints * 2 + 1 - clients * 3 / 4 + endpoints - 1 + 2 * clients")},
                            known, "p.");
  EXPECT_EQ(set.formulas[0].program.code.size(), 9u);
  EXPECT_LE(set.formulas[0].program.temp_count, 2);
}

TEST(Formula, InlineDrawsAreNamedStreams) {
  const auto set = sim::compile_formulas(
      {source("downtime_cost", "endpoints * pert(10, 20, 60) / 60 * user_cost_per_hour * (1 - uniform(0, 0.5))")},
      known, "msps.acme.");
  ASSERT_EQ(set.draws.size(), 2u);
  EXPECT_EQ(set.draws[0].stream, "msps.acme.formulas.downtime_cost.0");
  EXPECT_EQ(set.draws[1].stream, "msps.acme.formulas.downtime_cost.1");
  EXPECT_EQ(sim::to_string(set.draws[0].where), "s.yaml:7:32");
  // Every trial's value is the formula over that trial's draws: the same
  // uniforms give the same value whatever the block (pure in the trial).
  const Eigen::Index n = 1000;
  const auto slots = evaluate(set, {{"endpoints", Column::Constant(n, 50)}, {"user_cost_per_hour", Column::Constant(n, 30)}},
                              n, 42);
  const Column& cost = result(set, slots, "downtime_cost");
  const Column& minutes = slots[std::size_t(set.draw_slot(0))];
  const Column& share = slots[std::size_t(set.draw_slot(1))];
  for (Eigen::Index i = 0; i < n; ++i) {
    ASSERT_GE(minutes[i], 10.0);
    ASSERT_LE(minutes[i], 60.0);
    ASSERT_EQ(cost[i], 50.0 * minutes[i] / 60.0 * 30.0 * (1.0 - share[i]));
  }
  // pert(10, 20, 60) has mean (10 + 4*20 + 60)/6 = 25, sd <= (60-10)/6 = 8.33:
  // 5 SE of 1000 draws is 5 * 8.33 / sqrt(1000) = 1.32.
  EXPECT_NEAR(minutes.mean(), 25.0, 1.32);
}

TEST(Formula, NonFiniteTrialIsFound) {
  const auto set = sim::compile_formulas({source("x", "endpoints / (clients - 2)")}, known, "p.");
  const auto slots = evaluate(set, {{"endpoints", column({1, 2, 3, 4})}, {"clients", column({1, 3, 2, 2})}}, 4);
  EXPECT_EQ(models::first_non_finite(result(set, slots, "x")), 2);
  EXPECT_EQ(models::first_non_finite(column({1, 2})), -1);
}

// ---------------------------------------------------------------------------
// Done when: the stranded-licences model as formulas

TEST(Formula, StrandedModelAsFormulasMatchesBuiltIn) {
  const std::vector<std::string> inputs = {
      "endpoints",
      "old_price_per_endpoint_month",
      "licences.prepaid_share",
      "licences.prepaid_months_remaining",
      "licences.recovered_share",
      "refunds.client_prepaid_share",
      "refunds.client_prepaid_months_remaining",
      "refunds.client_price_per_endpoint_month",
      "refunds.refund_share"};
  const auto set = sim::compile_formulas(
      {
          source("stranded_cost",
                 "endpoints * licences.prepaid_share * licences.prepaid_months_remaining"
                 " * old_price_per_endpoint_month * (1 - licences.recovered_share)"),
          source("refund_cost",
                 "endpoints * refunds.client_prepaid_share * refunds.client_prepaid_months_remaining"
                 " * refunds.client_price_per_endpoint_month * refunds.refund_share"),
      },
      inputs, "msps.acme.");
  // Inputs drawn from their own streams over a spread of values.
  const Eigen::Index n = 4096;
  models::StrandedInputs in;
  in.resize(n);
  std::map<std::string, Column> columns;
  const std::pair<Column models::StrandedInputs::*, double> scales[] = {
      {&models::StrandedInputs::endpoints, 5000},
      {&models::StrandedInputs::old_price_per_endpoint_month, 4},
      {&models::StrandedInputs::prepaid_share, 1},
      {&models::StrandedInputs::prepaid_months_remaining, 36},
      {&models::StrandedInputs::recovered_share, 1},
      {&models::StrandedInputs::client_prepaid_share, 1},
      {&models::StrandedInputs::client_prepaid_months_remaining, 24},
      {&models::StrandedInputs::client_price_per_endpoint_month, 6},
      {&models::StrandedInputs::refund_share, 1}};
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    Column& c = in.*scales[k].first;
    sim::fill_uniforms(sim::Stream{7, sim::variable_id(inputs[k])}, 0, std::size_t(n), 0, c.data());
    c *= scales[k].second;
    columns[inputs[k]] = c;
  }
  models::StrandedResult expected;
  models::stranded_licences(in, expected);
  const auto slots = evaluate(set, columns, n);
  const Column& stranded = result(set, slots, "stranded_cost");
  const Column& refund = result(set, slots, "refund_cost");
  for (Eigen::Index i = 0; i < n; ++i) {
    ASSERT_NEAR(stranded[i], expected.stranded_cost[i], 1e-12 * std::abs(expected.stranded_cost[i])) << i;
    ASSERT_NEAR(refund[i], expected.refund_cost[i], 1e-12 * std::abs(expected.refund_cost[i])) << i;
  }
  EXPECT_GT(expected.stranded_cost.maxCoeff(), 0.0);
}

}  // namespace

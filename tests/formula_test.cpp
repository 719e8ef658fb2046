// Formulas (sim/scenario/formula.h, models/formula.h): located errors,
// evaluation against hand-computed values, and the stranded-licences model
// written as formulas against the built-in one.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "models/formula.h"
#include "models/stranded.h"
#include "sim/engine/engine.h"
#include "sim/random/random.h"
#include "sim/report/compare.h"
#include "sim/report/report.h"
#include "sim/report/samples.h"
#include "sim/scenario/formula.h"
#include "sim/scenario/scenario.h"
#include "tests/test_util.h"

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

// ---------------------------------------------------------------------------
// Each cost formula is an output row of its own (RunResult::formula_costs)

// Two MSPs with different formula sets: a has flat and shared, b shared
// and own_b, so the rows are flat, shared, own_b.
const std::string two_msps =
    "include: [builtin:kaspersky-2024/timeline.yaml, builtin:kaspersky-2024/market.yaml,\n"
    "          builtin:kaspersky-2024/prices/list.yaml, builtin:kaspersky-2024/msp-defaults.yaml]\n"
    "msps:\n"
    "  - name: a\n"
    "    endpoints: 100\n"
    "    clients: 10\n"
    "    formulas:\n"
    "      costs:\n"
    "        flat: endpoints * FLAT\n"
    "        shared: 7\n"
    "  - name: b\n"
    "    endpoints: 40\n"
    "    clients: 4\n"
    "    formulas:\n"
    "      values:\n"
    "        scale: pert(1, 2, 4)\n"
    "      costs:\n"
    "        shared: clients * 3\n"
    "        own_b: scale * endpoints\n";

sim::Scenario two_msp_scenario(const std::string& flat = "2.5", const std::string& name = "two.yaml") {
  std::string text = two_msps;
  text.replace(text.find("FLAT"), 4, flat);
  return sim::load_scenario({test::write_file(test::temp_dir(), name, text)});
}

sim::RunOptions options(std::uint64_t trials, unsigned threads = 1,
                        sim::MspStats mode = sim::MspStats::exact, std::size_t block = 4096) {
  sim::RunOptions o;
  o.trials = trials;
  o.threads = threads;
  o.msp_stats = mode;
  o.block_trials = block;
  return o;
}

bool same_bytes(const sim::Values& a, const sim::Values& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

// Rows in the order met, each MSP's its own in the order written; a
// constant times endpoints gives exactly that; the portfolio's row is the
// sum over the MSPs that define it; every total is the sum of its rows.
TEST(FormulaRows, EachCostFormulaIsARowInTheTotals) {
  const sim::Scenario s = two_msp_scenario();
  const sim::RunResult r = sim::run_scenario(s, options(5'000, 2));
  ASSERT_EQ(r.formula_costs, (std::vector<std::string>{"flat", "shared", "own_b"}));
  ASSERT_EQ(r.msps[0].formula_costs, (std::vector<std::size_t>{0, 1}));
  ASSERT_EQ(r.msps[1].formula_costs, (std::vector<std::size_t>{1, 2}));
  const auto& fa = r.msp_formula_series(0);
  const auto& fb = r.msp_formula_series(1);
  ASSERT_EQ(fa.size(), 2u);
  ASSERT_EQ(fb.size(), 2u);
  using sim::Output;
  for (std::size_t i = 0; i < 5'000; ++i) {
    ASSERT_EQ(fa[0][i], 250.0) << i;
    ASSERT_EQ(fa[1][i], 7.0) << i;
    ASSERT_EQ(fb[0][i], 12.0) << i;
    ASSERT_GE(fb[1][i], 40.0) << i;
    ASSERT_LE(fb[1][i], 160.0) << i;
    ASSERT_EQ(r.formula_portfolio[0][i], 250.0) << i;  // b has no flat: 0 there
    ASSERT_EQ(r.formula_portfolio[1][i], 19.0) << i;
    ASSERT_EQ(r.formula_portfolio[2][i], fb[1][i]) << i;
    for (std::size_t m = 0; m < 2; ++m) {
      const auto& x = r.msp_series(m);
      const auto& f = r.msp_formula_series(m);
      // The fixed cost lines in the engine's order, then the formulas.
      double total = 0;
      for (int o = 0; o < sim::cost_output_count - 1; ++o) total += x[std::size_t(o)][i];
      for (const auto& v : f) total += v[i];
      ASSERT_EQ(x[std::size_t(Output::total_cost)][i], total) << "MSP " << m << " trial " << i;
    }
    ASSERT_EQ(r.portfolio[std::size_t(Output::extras_cost)][i], 0.0);  // the extras: block's alone
  }
  // pert(1, 2, 4) has mean 13/6; 5 SE: 5 x sd (< 0.5) / sqrt(5000) < 0.036.
  double mean = 0;
  for (double v : fb[1]) mean += v / 5'000;
  EXPECT_NEAR(mean, 40.0 * 13 / 6, 40 * 0.036);
}

// The same bytes for 1 and 2 threads and any block size, formula rows included.
TEST(FormulaRows, ByteIdenticalForAnyThreadCount) {
  const sim::Scenario s = two_msp_scenario();
  const sim::RunResult one = sim::run_scenario(s, options(9'000, 1));
  const sim::RunResult two = sim::run_scenario(s, options(9'000, 2, sim::MspStats::exact, 777));
  ASSERT_EQ(one.formula_portfolio.size(), 3u);
  for (std::size_t f = 0; f < 3; ++f) EXPECT_TRUE(same_bytes(one.formula_portfolio[f], two.formula_portfolio[f]));
  for (std::size_t m = 0; m < 2; ++m)
    for (std::size_t k = 0; k < 2; ++k)
      EXPECT_TRUE(same_bytes(one.msp_formula_series(m)[k], two.msp_formula_series(m)[k]));
  const sim::RunInfo info;
  sim::RunInfo info2;
  info2.threads = 2;
  sim::ReportData d2 = sim::build_report(s, two, info2);  // summarised on 2 threads too
  d2.info.threads = 1;                                    // the manifest's field
  EXPECT_EQ(sim::render_json(sim::build_report(s, one, info)), sim::render_json(d2));
  EXPECT_EQ(sim::render_csv(sim::build_report(s, one, info)), sim::render_csv(d2));
}

// A lone MSP's rows are the portfolio's (stored once).
TEST(FormulaRows, LoneMspRowsAreThePortfolios) {
  const sim::Scenario s = sim::load_scenario({std::string(SWITCHCOST_SOURCE_DIR) + "/scenarios/kaspersky-2024/msp-formulas.yaml"});
  const sim::RunResult r = sim::run_scenario(s, options(2'000));
  ASSERT_TRUE(r.msp_in_portfolio);
  ASSERT_EQ(r.formula_costs, (std::vector<std::string>{"task_resumption"}));
  EXPECT_EQ(&r.msp_formula_series(0), &r.formula_portfolio);
  const sim::ReportData d = sim::build_report(s, r, sim::RunInfo{});
  ASSERT_EQ(d.msps[0].formula_names, (std::vector<std::string>{"task_resumption"}));
  EXPECT_EQ(d.msps[0].formula_stats[0].mean, d.portfolio.formula_stats[0].mean);
  EXPECT_GT(d.portfolio.formula_stats[0].mean, 0.0);
}

// Sketch mode keeps each MSP's rows as moments and sketches: exact means,
// percentiles within the sketch's 0.5%; the portfolio's series are kept.
TEST(FormulaRows, SketchModeKeepsTheRows) {
  const sim::Scenario s = two_msp_scenario();
  const sim::RunResult exact = sim::run_scenario(s, options(10'000, 2));
  const sim::RunResult one = sim::run_scenario(s, options(10'000, 1, sim::MspStats::sketch));
  const sim::RunResult two = sim::run_scenario(s, options(10'000, 2, sim::MspStats::sketch));
  const sim::ReportData de = sim::build_report(s, exact, sim::RunInfo{});
  const sim::ReportData d1 = sim::build_report(s, one, sim::RunInfo{});
  EXPECT_EQ(sim::render_json(d1), sim::render_json(sim::build_report(s, two, sim::RunInfo{})));
  for (std::size_t m = 0; m < 2; ++m) {
    ASSERT_EQ(d1.msps[m].formula_names, de.msps[m].formula_names);
    for (std::size_t k = 0; k < 2; ++k) {
      const sim::Stats &a = d1.msps[m].formula_stats[k], &b = de.msps[m].formula_stats[k];
      EXPECT_EQ(a.n, 10'000u);
      EXPECT_NEAR(a.mean, b.mean, 1e-12 * std::abs(b.mean));
      EXPECT_NEAR(a.at(0.9).value, b.at(0.9).value, 0.006 * std::abs(b.at(0.9).value));
    }
  }
  EXPECT_EQ(d1.msps[0].formula_stats[0].mean, 250.0);
  for (std::size_t f = 0; f < 3; ++f) EXPECT_TRUE(same_bytes(one.formula_portfolio[f], exact.formula_portfolio[f]));
  // The memory estimate counts them: per row a portfolio series, per MSP
  // row a sketch (and its moments).
  std::string text = two_msps;
  text.replace(text.find("FLAT"), 4, "2.5");
  for (std::size_t at; (at = text.find("    formulas:")) != std::string::npos;)
    text.erase(at, text.find("  - name: b") > at ? text.find("  - name: b") - at : std::string::npos);
  const sim::Scenario plain = sim::load_scenario({test::write_file(test::temp_dir(), "plain.yaml", text)});
  ASSERT_TRUE(plain.msps.size() == 2 && !plain.msps[0].formulas && !plain.msps[1].formulas);
  const sim::RunOptions o = options(100'000, 1, sim::MspStats::sketch);
  const std::uint64_t more = sim::estimate_result_bytes(s, o) - sim::estimate_result_bytes(plain, o);
  const std::uint64_t sketches = 4 * sim::sketch_buckets_assumed(o.trials) * 4;
  EXPECT_GE(more, 3 * o.trials * 8 + sketches);
  EXPECT_LE(more, 3 * o.trials * 8 + sketches + 4096);
}

// The exact-mode estimate: a series per row of the portfolio (3) and per
// MSP row (4), none of them per MSP without keep_formula_costs.
TEST(FormulaRows, MemoryEstimateCountsTheSeries) {
  const sim::Scenario s = two_msp_scenario();
  const std::uint64_t n = 1000;
  const auto keep = sim::all_outputs();
  const std::uint64_t fixed = (2 * sim::output_count + sim::output_count) * n * 8;
  EXPECT_EQ(sim::estimate_result_bytes(s, n, keep), fixed + (3 + 4) * n * 8);
  EXPECT_EQ(sim::estimate_result_bytes(s, n, keep, false), fixed + 3 * n * 8);
}

// The rows in every output of a run: JSON, CSV, table and samples.
TEST(FormulaRows, RowsAppearInEveryReport) {
  const sim::Scenario s = two_msp_scenario();
  const sim::RunResult r = sim::run_scenario(s, options(2'000));
  const sim::ReportData d = sim::build_report(s, r, sim::RunInfo{});
  const std::string csv = sim::render_csv(d);
  EXPECT_NE(csv.find("\nmsp,a,formula.flat,2000,250,0,0,250,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\nmsp,b,formula.shared,2000,12,0,0,12,"), std::string::npos) << csv;
  EXPECT_EQ(csv.find("\nmsp,b,formula.flat,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\nportfolio,portfolio,formula.flat,2000,250,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\nportfolio,portfolio,formula.shared,2000,19,"), std::string::npos) << csv;
  // After the fixed outputs: the last of a's rows before b's first.
  EXPECT_LT(csv.find("msp,a,total_expected_cost"), csv.find("msp,a,formula.flat"));
  EXPECT_LT(csv.find("msp,a,formula.shared"), csv.find("msp,b,labor_cost"));
  const std::string json = sim::render_json(d);
  EXPECT_NE(json.find("\"formula.flat\":{\"n\":2000,\"mean\":250,\"se\":0,"), std::string::npos) << json;
  EXPECT_NE(json.find("\"formula.own_b\":{\"n\":2000,"), std::string::npos);
  const std::string table = sim::render_table(d);
  // In each MSP's table, by name, between the fixed cost lines and the total.
  const std::size_t msp_b = table.find("MSP b");
  ASSERT_NE(msp_b, std::string::npos) << table;
  const std::size_t own_b = table.find("  own_b ", msp_b);
  ASSERT_NE(own_b, std::string::npos) << table;
  EXPECT_LT(table.find("  shared ", msp_b), own_b);
  EXPECT_LT(own_b, table.find("  total ", msp_b));
  EXPECT_LT(table.find("  extra items ", msp_b), table.find("  shared ", msp_b));
  // --samples: the portfolio's and each MSP's columns.
  sim::ReportData with = d;
  with.samples = std::make_shared<const sim::SampleSeries>(
      sim::SampleSeries{{}, {}, std::make_shared<const sim::RunResult>(r)});
  std::ostringstream npy;
  sim::render_samples(with, npy);
  const std::string header = npy.str().substr(0, 4096);
  for (const char* column : {"'portfolio.formula.flat'", "'portfolio.formula.own_b'", "'msp.a.formula.flat'",
                             "'msp.b.formula.own_b'"})
    EXPECT_NE(header.find(column), std::string::npos) << column;
  EXPECT_EQ(header.find("'msp.b.formula.flat'"), std::string::npos);
}

// compare: each row per alternative and its paired difference, in the
// JSON, CSV and table; a scenario without cost formulas writes none.
TEST(FormulaRows, CompareHasPairedRows) {
  const sim::Alternative base{"base", {}, two_msp_scenario("2.5", "base.yaml")};
  const sim::Alternative dear{"dear", {}, two_msp_scenario("3", "dear.yaml")};
  const sim::CompareResult r = sim::compare_alternatives({base, dear}, options(3'000, 2), sim::RunInfo{}, true);
  ASSERT_EQ(r.formula_costs, (std::vector<std::string>{"flat", "shared", "own_b"}));
  const auto& flat = r.alternatives[1].formula_costs[0];
  EXPECT_EQ(flat.mean, 300.0);
  EXPECT_EQ(r.alternatives[1].formula_vs_baseline[0].mean, 50.0);
  EXPECT_EQ(r.alternatives[1].formula_vs_baseline[0].se, 0.0);
  EXPECT_EQ(r.alternatives[1].formula_vs_baseline[2].mean, 0.0);  // own_b drawn the same: common random numbers
  EXPECT_EQ(r.alternatives[1].formula_vs_baseline[2].same, 1.0);
  EXPECT_NEAR(r.alternatives[1].vs_baseline.mean, 50.0, 1e-9);  // the total moves by the row's change
  const std::string json = sim::render_compare_json(r);
  EXPECT_NE(json.find("\"formula_costs\":{\"formula.flat\":{\"n\":3000,\"mean\":300,"), std::string::npos)
      << json;
  EXPECT_NE(json.find("\"vs_baseline\":{\"mean\":50,\"se\":0,"), std::string::npos);
  const std::string csv = sim::render_compare_csv(r);
  EXPECT_NE(csv.find("\nformula,formula.flat,dear,false,300,0,300,300,300,300,50,0,50,50,0,,,,,0,,,,,,,,3000,true\n"),
            std::string::npos)
      << csv;
  const std::string table = sim::render_compare_table(r);
  EXPECT_NE(table.find("Cost formulas [USD]"), std::string::npos) << table;
  std::ostringstream npy;
  sim::render_compare_samples(r, npy);
  EXPECT_NE(npy.str().find("'dear.formula.own_b'"), std::string::npos);

  const sim::Alternative plain{"plain", {}, sim::load_scenario({"builtin:kaspersky-2024/portfolio.yaml"})};
  const sim::CompareResult none = sim::compare_alternatives({plain, plain}, options(500), sim::RunInfo{});
  EXPECT_EQ(sim::render_compare_json(none).find("formula"), std::string::npos);
  EXPECT_EQ(sim::render_compare_csv(none).find("formula"), std::string::npos);
}

// ---------------------------------------------------------------------------
// The market's formulas (the top level's `formulas:`): values over market
// inputs and the timeline, once per trial, that MSP formulas read

sim::Scenario with_market_formulas(const std::string& name, const std::string& market, const std::string& msp) {
  return sim::load_scenario({test::write_file(test::temp_dir(), name,
                                              "include: [builtin:kaspersky-2024/portfolio.yaml]\nformulas:\n  values:\n" +
                                                  market + "msp_overrides:\n  formulas:\n    costs:\n" + msp)});
}

// Message of the ScenarioError loading the scenario ("" if none).
std::string market_error(const std::string& market, const std::string& msp) {
  try {
    with_market_formulas("bad.yaml", market, msp);
  } catch (const sim::ScenarioError& e) {
    return e.what();
  }
  return "";
}

// A market formula is drawn once per trial and shared: every MSP reads the
// same value; it reads the market's inputs as drawn.
TEST(MarketFormulas, SharedByEveryMspOncePerTrial) {
  const sim::Scenario s = with_market_formulas("market.yaml",
                                               "    shock: pert(1, 1.2, 2)\n"
                                               "    rate: market.technician_cost_per_hour * 2\n",
                                               "      shocked: market.formulas.shock * 100\n"
                                               "      paid: market.formulas.rate\n");
  ASSERT_TRUE(s.market_formulas);
  EXPECT_EQ(s.market_formulas->draws.at(0).stream, "market.formulas.shock.0");
  const std::uint64_t n = 3'000;
  const sim::RunResult r = sim::run_scenario(s, options(n, 2));
  ASSERT_EQ(r.msps.size(), 3u);
  std::vector<std::uint64_t> trials(n);
  for (std::uint64_t i = 0; i < n; ++i) trials[i] = i;
  const auto rate = sim::draw_inputs(s, 1, -1, {"market.technician_cost_per_hour"}, trials)[0];
  double lowest = 1e300, highest = 0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t m = 0; m < 3; ++m) {
      ASSERT_EQ(r.msp_formula_series(m)[0][i], r.msp_formula_series(0)[0][i]) << m << " " << i;
      ASSERT_EQ(r.msp_formula_series(m)[1][i], 2 * rate[i]) << m << " " << i;
    }
    lowest = std::min(lowest, r.msp_formula_series(0)[0][i]);
    highest = std::max(highest, r.msp_formula_series(0)[0][i]);
    ASSERT_EQ(r.formula_portfolio[0][i], 3 * r.msp_formula_series(0)[0][i]);  // 3 x the same value, summed exactly
  }
  EXPECT_GE(lowest, 100.0);
  EXPECT_LE(highest, 200.0);
  EXPECT_LT(lowest, 110.0);  // spread over the PERT's range
  EXPECT_GT(highest, 170.0);
  // Byte-identical for 1 thread and another block size; another seed, other draws.
  const sim::RunResult one = sim::run_scenario(s, options(n, 1, sim::MspStats::exact, 500));
  EXPECT_TRUE(same_bytes(one.formula_portfolio[0], r.formula_portfolio[0]));
  EXPECT_TRUE(same_bytes(one.portfolio[std::size_t(sim::Output::total_cost)], r.portfolio[std::size_t(sim::Output::total_cost)]));
  sim::RunOptions other = options(n, 2);
  other.seed = 2;
  EXPECT_FALSE(same_bytes(sim::run_scenario(s, other).formula_portfolio[0], r.formula_portfolio[0]));
  // Sobol sampling counts their draws among its dimensions.
  sim::RunOptions sobol = options(1'024, 2);
  sobol.sampling = sim::Sampling::sobol;
  EXPECT_EQ(sim::run_scenario(s, sobol).trials_done, 1'024u);
}

// Every name a market formula may read has a column in the engine.
TEST(MarketFormulas, EverySymbolHasAColumn) {
  std::string sum;
  for (const auto& name : sim::market_formula_symbols()) sum += (sum.empty() ? "" : " + ") + name;
  const sim::Scenario s = with_market_formulas("all.yaml", "    everything: " + sum + "\n",
                                               "      none: 0 * market.formulas.everything\n");
  const sim::RunResult r = sim::run_scenario(s, options(500, 2));
  EXPECT_EQ(r.formula_portfolio.at(0)[0], 0.0);
}

// Errors at the formula's file:line:col with a did-you-mean; a market
// formula cannot read an MSP's (so no cycle crosses the levels), and cost
// lines belong to MSPs.
TEST(MarketFormulas, ErrorsAreLocated) {
  std::string e = market_error("    rate: market.technican_cost_per_hour\n", "      x: 1\n");
  EXPECT_NE(e.find("bad.yaml:4:11: unknown name 'market.technican_cost_per_hour' in formula 'rate'; did you mean "
                   "'market.technician_cost_per_hour'?"),
            std::string::npos)
      << e;
  e = market_error("    rate: 2\n", "      x: market.formulas.rat * 2\n");
  EXPECT_NE(e.find(":8:10: unknown name 'market.formulas.rat' in formula 'x'; did you mean 'market.formulas.rate'?"),
            std::string::npos)
      << e;
  e = market_error("    a: x + 1\n", "      x: market.formulas.a\n");
  EXPECT_NE(e.find(":4:8: unknown name 'x' in formula 'a'"), std::string::npos) << e;
  e = market_error("    a: b + 1\n    b: a * 2\n", "      x: market.formulas.a\n");
  EXPECT_NE(e.find(":4:8: formula 'a' refers to itself: a -> b -> a"), std::string::npos) << e;
  e = market_error("    a: endpoints\n", "      x: 1\n");  // an MSP's input: not the market's
  EXPECT_NE(e.find("unknown name 'endpoints' in formula 'a'"), std::string::npos) << e;
  try {
    sim::load_scenario({test::write_file(test::temp_dir(), "costs.yaml",
                                         "include: [builtin:kaspersky-2024/portfolio.yaml]\n"
                                         "formulas:\n  costs:\n    x: 1\n")});
    FAIL() << "costs at the top level must be refused";
  } catch (const sim::ScenarioError& err) {
    EXPECT_NE(std::string(err.what()).find("costs.yaml:4:5: the top level's formulas are values"), std::string::npos)
        << err.what();
  }
}

// A market formula that is not finite names itself and the trial.
TEST(MarketFormulas, NonFiniteIsAnError) {
  const sim::Scenario s = with_market_formulas("inf.yaml", "    broken: 1 / (timeline.horizon_months - 36)\n",
                                               "      x: market.formulas.broken\n");
  try {
    sim::run_scenario(s, options(100));
    FAIL() << "expected a LimitError";
  } catch (const sim::LimitError& e) {
    EXPECT_NE(std::string(e.what()).find("the market: formula 'broken' ("), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("is not finite at trial 0"), std::string::npos) << e.what();
  }
}

// compare runs its alternatives together, MSP by MSP, reusing the parts
// of an MSP drawn the same as in the previous alternative: the formula
// rows are the bytes of each alternative run alone.
TEST(FormulaRows, AlternativesRunTogetherGiveTheBytesOfEachRunAlone) {
  const sim::Scenario base = two_msp_scenario("2.5", "alone-base.yaml");
  const sim::Scenario dear = two_msp_scenario("3", "alone-dear.yaml");
  sim::Scenario eset = base;  // another target: the labor and lost updates are reused
  for (auto& m : eset.msps) m.target = "eset";
  const std::vector<const sim::Scenario*> all = {&base, &dear, &eset};
  const std::vector<sim::RunResult> together = sim::run_scenarios(all, options(5'000, 2));
  for (std::size_t k = 0; k < all.size(); ++k) {
    const sim::RunResult alone = sim::run_scenario(*all[k], options(5'000, 1));
    ASSERT_EQ(together[k].formula_costs, alone.formula_costs);
    for (std::size_t f = 0; f < alone.formula_costs.size(); ++f)
      EXPECT_TRUE(same_bytes(together[k].formula_portfolio[f], alone.formula_portfolio[f])) << k << " " << f;
    for (std::size_t m = 0; m < 2; ++m)
      for (std::size_t f = 0; f < 2; ++f)
        EXPECT_TRUE(same_bytes(together[k].msp_formula_series(m)[f], alone.msp_formula_series(m)[f])) << k;
    EXPECT_TRUE(same_bytes(together[k].portfolio[std::size_t(sim::Output::total_cost)],
                           alone.portfolio[std::size_t(sim::Output::total_cost)]));
  }
}

// A variant that changes only a formula changes something (compare warns
// of variants that change nothing); the same text read twice is the same.
TEST(FormulaRows, SameInputsComparesFormulas) {
  const sim::Scenario base = two_msp_scenario("2.5", "same-a.yaml");
  EXPECT_TRUE(sim::same_inputs(base, two_msp_scenario("2.5", "same-b.yaml")));
  EXPECT_FALSE(sim::same_inputs(base, two_msp_scenario("3", "same-c.yaml")));
  const sim::Scenario m1 = with_market_formulas("same-m1.yaml", "    k: pert(1, 2, 3)\n", "      x: market.formulas.k\n");
  const sim::Scenario m2 = with_market_formulas("same-m2.yaml", "    k: pert(1, 2, 4)\n", "      x: market.formulas.k\n");
  EXPECT_TRUE(sim::same_inputs(m1, with_market_formulas("same-m3.yaml", "    k: pert(1, 2, 3)\n",
                                                        "      x: market.formulas.k\n")));
  EXPECT_FALSE(sim::same_inputs(m1, m2));
}

}  // namespace

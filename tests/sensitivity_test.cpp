// The tornado (sim/report/sensitivity.h): a swing known in closed form, exact
// zeros for inputs the output cannot depend on, grouping of an MSP key over
// MSPs, sorting, constant inputs left out, and the same bytes at any thread
// count.
#include "sim/report/sensitivity.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/report/sensitivity_indices.h"
#include "test_util.h"

namespace switchcost::sim {
namespace {

using test::run_options;
using test::shipped_assumptions;
using test::temp_dir;
using test::write_file;

Scenario scenario_of(const std::string& name, const std::string& text) {
  return load_scenario({write_file(temp_dir(), name, std::string(shipped_assumptions) + text)});
}

const SensitivityRow* row_named(const SensitivityResult& r, const std::string& key) {
  for (const auto& row : r.rows)
    if (row.key == key) return &row;
  return nullptr;
}

// One MSP of E = 200 endpoints with an extra cost per endpoint drawn
// uniform on [a, b] = [1, 3]: the total is linear in it, so holding it at
// its P90 rather than its P10 adds E (q90 - q10) = E x 0.8 (b - a) = 320 to
// every trial's total, everything else drawn the same.
const char* linear_msp =
    "msps:\n"
    "  - name: linear\n"
    "    endpoints: 200\n"
    "    clients: 20\n"
    "    extras:\n"
    "      - {name: agent_fee, cost: {uniform: [1, 3]}, per: endpoint}\n";

TEST(Sensitivity, LinearInputHasItsClosedFormSwing) {
  const Scenario s = scenario_of("linear.yaml", linear_msp);
  const SensitivityResult r = run_sensitivity(s, run_options(20'000, 7));
  ASSERT_TRUE(r.complete);
  ASSERT_EQ(r.trials_done, 20'000u);
  const SensitivityRow* row = row_named(r, "extras.agent_fee");
  ASSERT_NE(row, nullptr);
  ASSERT_EQ(row->members.size(), 1u);
  EXPECT_EQ(row->members[0].stream, "msps.linear.extras.agent_fee");
  EXPECT_NEAR(row->members[0].low, 1.2, 1e-12);
  EXPECT_NEAR(row->members[0].high, 2.8, 1e-12);
  EXPECT_EQ(row->unit, "[USD per endpoint]");
  const double expected = 200 * 0.8 * (3 - 1);
  // Per trial, (rest + 560) - (rest + 240): exact but for the rounding of
  // totals of some 1e4-1e5 dollars (ulp about 1e-11).
  EXPECT_NEAR(row->swing.mean, expected, 1e-6);
  EXPECT_LT(row->swing.se, 1e-6) << "every other input draws the same values in both runs";
  EXPECT_NEAR(row->mean_high - row->mean_low, expected, 1e-6);
  EXPECT_NEAR(row->p90_swing, expected, 1e-6) << "a constant shift moves every percentile by it";
  ASSERT_TRUE(row->p90_swing_se);
  EXPECT_LT(*row->p90_swing_se, 1e-6) << "the same shift in every section";
  // The baseline draws it as usual: its mean sits between the two.
  EXPECT_GT(r.baseline.mean, row->mean_low);
  EXPECT_LT(r.baseline.mean, row->mean_high);
}

// Competitors nobody leaves or moves to: no MSP draws their prices, so
// holding them anywhere changes nothing, whether the copies are run or taken
// from the baseline (the same numbers, bit for bit).
TEST(Sensitivity, UnreadInputsSwingExactlyZeroRunOrNot) {
  const Scenario s = scenario_of("linear.yaml", linear_msp);
  SensitivityOptions forced;
  forced.skip_unread = false;
  const SensitivityResult skipped = run_sensitivity(s, run_options(4'000, 7));
  const SensitivityResult ran = run_sensitivity(s, run_options(4'000, 7), forced);
  ASSERT_EQ(skipped.rows.size(), ran.rows.size());
  EXPECT_LT(skipped.runs, ran.runs);
  int unread = 0;
  for (const char* competitor : {"sophos", "eset", "crowdstrike"}) {
    const std::string key = std::string("competitors.") + competitor + ".price_per_endpoint_month";
    const SensitivityRow* a = row_named(skipped, key);
    const SensitivityRow* b = row_named(ran, key);
    ASSERT_NE(a, nullptr) << key;
    ASSERT_NE(b, nullptr) << key;
    EXPECT_FALSE(a->read);
    EXPECT_TRUE(b->read);
    ++unread;
    for (const SensitivityRow* row : {a, b}) {
      EXPECT_EQ(row->swing.mean, 0.0) << key;
      EXPECT_EQ(row->swing.se, 0.0) << key;
      EXPECT_EQ(row->p90_swing, 0.0) << key;
    }
    EXPECT_EQ(a->mean_low, b->mean_low) << key;
    EXPECT_EQ(a->mean_high, b->mean_high) << key;
    EXPECT_EQ(a->p90_low, b->p90_low) << key;
    EXPECT_EQ(a->p90_high, b->p90_high) << key;
    EXPECT_EQ(a->mean_low, skipped.baseline.mean) << key;
  }
  EXPECT_EQ(unread, 3);
  // Every input is listed, the read ones with the same numbers both ways.
  for (const auto& row : skipped.rows) {
    const SensitivityRow* other = row_named(ran, row.key);
    ASSERT_NE(other, nullptr) << row.key;
    EXPECT_EQ(row.swing.mean, other->swing.mean) << row.key;
    EXPECT_EQ(row.p90_swing, other->p90_swing) << row.key;
  }
}

// An input the chosen output does not read swings by exactly 0 in a real
// run: labor cost does not depend on prices or incident costs; the duration
// not on any price or cost per hour.
TEST(Sensitivity, InputsAnOutputDoesNotReadSwingExactlyZero) {
  const Scenario s = scenario_of("linear.yaml", linear_msp);
  SensitivityOptions labor;
  labor.output = Output::labor_cost;
  const SensitivityResult r = run_sensitivity(s, run_options(4'000, 7), labor);
  for (const char* key : {"competitors.bitdefender.price_per_endpoint_month",
                          "competitors.kaspersky.price_per_endpoint_month", "market.threat.incident_cost",
                          "extras.agent_fee", "downtime.minutes_per_endpoint"}) {
    const SensitivityRow* row = row_named(r, key);
    ASSERT_NE(row, nullptr) << key;
    EXPECT_TRUE(row->read) << key;
    EXPECT_EQ(row->swing.mean, 0.0) << key;
    EXPECT_EQ(row->swing.se, 0.0) << key;
    EXPECT_EQ(row->p90_swing, 0.0) << key;
  }
  EXPECT_GT(std::fabs(row_named(r, "market.technician_cost_per_hour")->swing.mean), 0.0);
  SensitivityOptions duration;
  duration.output = Output::duration_days;
  const SensitivityResult d = run_sensitivity(s, run_options(4'000, 7), duration);
  for (const char* key : {"competitors.bitdefender.price_per_endpoint_month", "market.technician_cost_per_hour",
                          "labor.billable_share"})
    EXPECT_EQ(row_named(d, key)->swing.mean, 0.0) << key;
  // More capacity shortens the migration.
  EXPECT_LT(row_named(d, "labor.capacity_hours_per_technician_week")->swing.mean, 0.0);
}

// Two MSPs: an MSP key is one group over both (each member at its own
// quantile), listed once; rows sorted by |swing|.
TEST(Sensitivity, GroupsAnMspKeyOverMspsAndSorts) {
  const Scenario s = scenario_of("two.yaml",
                                 "msps:\n"
                                 "  - {name: small, endpoints: 60, clients: 6}\n"
                                 "  - name: large\n"
                                 "    endpoints: 900\n"
                                 "    clients: 40\n"
                                 "    labor: {setup_hours: {pert: [10, 20, 40]}}\n");
  const std::vector<InputGroup> groups = uncertain_inputs(s);
  std::set<std::string> keys;
  for (const auto& g : groups) EXPECT_TRUE(keys.insert(g.key).second) << g.key << " listed twice";
  const auto setup = std::find_if(groups.begin(), groups.end(),
                                  [](const InputGroup& g) { return g.key == "labor.setup_hours"; });
  ASSERT_NE(setup, groups.end());
  ASSERT_EQ(setup->members.size(), 2u);
  EXPECT_EQ(setup->level, InputOwner::msp);
  EXPECT_EQ(input_var(s, setup->members[0]).stream, "msps.small.labor.setup_hours");
  EXPECT_EQ(input_var(s, setup->members[1]).stream, "msps.large.labor.setup_hours");

  // Each member held at its own quantile; nothing else touched.
  const Scenario held = hold_at_quantile(s, *setup, 0.9);
  for (const auto& ref : setup->members) {
    const Var& v = input_var(held, ref);
    ASSERT_TRUE(v.dist.is_constant());
    EXPECT_EQ(v.dist.quantile(0.5), input_var(s, ref).dist.quantile(0.9));
    EXPECT_EQ(v.stream, input_var(s, ref).stream);
  }
  EXPECT_FALSE(held.msps[0].params.at("labor.first_endpoint_hours").dist.is_constant());
  EXPECT_FALSE(held.market.at("technician_cost_per_hour").dist.is_constant());
  EXPECT_FALSE(s.msps[0].params.at("labor.setup_hours").dist.is_constant()) << "the original is left as it was";

  const SensitivityResult r = run_sensitivity(s, run_options(4'000, 7));
  ASSERT_EQ(r.rows.size(), groups.size());
  for (std::size_t i = 1; i < r.rows.size(); ++i)
    EXPECT_GE(std::fabs(r.rows[i - 1].swing.mean), std::fabs(r.rows[i].swing.mean)) << i;
  const SensitivityRow* row = row_named(r, "labor.setup_hours");
  ASSERT_NE(row, nullptr);
  ASSERT_EQ(row->members.size(), 2u);
  EXPECT_NE(row->members[0].high, row->members[1].high) << "each MSP's own P90";
  EXPECT_GT(row->swing.mean, 0.0) << "more setup hours cost more";
  // Setup hours are a fixed cost per MSP at the labor rate: the swing is
  // the members' hour spans times the rate, so the SE is that of the rate's
  // mean, a fraction of the swing (at least 5 SEs away from 0).
  EXPECT_GT(row->swing.mean, 5 * row->swing.se);
}

// Constant inputs (a number in the file, or a default) are not uncertain.
TEST(Sensitivity, ConstantInputsAreNotListed) {
  const Scenario s = scenario_of("const.yaml",
                                 "msps:\n"
                                 "  - name: fixed\n"
                                 "    endpoints: 100\n"
                                 "    clients: 10\n"
                                 "    labor: {setup_hours: 8}\n"
                                 "    extras: [{name: flat, cost: 500, per: msp}]\n");
  std::set<std::string> keys;
  for (const auto& g : uncertain_inputs(s)) keys.insert(g.key);
  for (const char* constant : {"labor.setup_hours", "extras.flat", "endpoints", "clients", "labor.technicians",
                               "market.discount_rate_per_year", "competitors.bitdefender.setup_fee_per_msp"})
    EXPECT_EQ(keys.count(constant), 0u) << constant;
  for (const char* drawn : {"labor.learning_rate", "market.technician_cost_per_hour",
                            "competitors.bitdefender.price_per_endpoint_month"})
    EXPECT_EQ(keys.count(drawn), 1u) << drawn;
}

// The SE of the P90 swing is honest: over 40 seeds, the sd of the P90
// swings and the root mean square of their SEs agree within a factor of 2.
// The sd of 40 draws has a relative SE of about 1/sqrt(2 x 39) = 11%, so
// the factor is about 6 of those SEs (on the log scale) away; the seeds are
// fixed, so the test gives the same numbers every run. The technician's
// cost per hour multiplies the labor hours, which vary with the setup hours
// and the MSP's extras: the two P90s are not a shift of each other.
TEST(Sensitivity, P90SwingSeMatchesTheSpreadOverSeeds) {
  const Scenario s = load_scenario({SWITCHCOST_TEST_DATA "/sensitivity/two-msps.yaml"});
  for (const char* key : {"market.technician_cost_per_hour", "labor.setup_hours"}) {
    constexpr int seeds = 40;
    double sum = 0, sq = 0, se2 = 0;
    for (int seed = 1; seed <= seeds; ++seed) {
      const SensitivityResult r = run_sensitivity(s, run_options(4'000, std::uint64_t(seed)));
      const SensitivityRow* row = row_named(r, key);
      ASSERT_NE(row, nullptr) << key;
      ASSERT_TRUE(row->p90_swing_se) << key;
      sum += row->p90_swing;
      sq += row->p90_swing * row->p90_swing;
      se2 += *row->p90_swing_se * *row->p90_swing_se;
    }
    const double mean = sum / seeds, sd = std::sqrt((sq - seeds * mean * mean) / (seeds - 1));
    const double se = std::sqrt(se2 / seeds);
    EXPECT_GT(sd, 0.0) << key;
    EXPECT_LT(se, 2 * sd) << key << ": sd over seeds " << sd << ", rms SE " << se;
    EXPECT_GT(se, sd / 2) << key << ": sd over seeds " << sd << ", rms SE " << se;
  }
}

// --msp NAME: the tornado of one MSP's own total. On MSP b of the two-MSP
// scenario, a's extra item moves nothing (swing and P90 swing exactly 0)
// and b's own extra, uniform on [0, 600] per MSP, swings by 0.8 x 600; the
// two MSPs' baseline means add up to the portfolio's. The same bytes for 1
// and 2 threads.
TEST(Sensitivity, OneMspsOwnTornado) {
  const Scenario s = load_scenario({SWITCHCOST_TEST_DATA "/sensitivity/two-msps.yaml"});
  SensitivityOptions on_b;
  on_b.msp = 1;
  const SensitivityResult b = run_sensitivity(s, run_options(4'000, 7), on_b);
  ASSERT_TRUE(b.complete);
  EXPECT_EQ(b.msp, "b");
  const SensitivityRow* other = row_named(b, "extras.a_only");
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->swing.mean, 0.0);
  EXPECT_EQ(other->swing.se, 0.0);
  EXPECT_EQ(other->p90_swing, 0.0);
  const SensitivityRow* own = row_named(b, "extras.b_only");
  ASSERT_NE(own, nullptr);
  EXPECT_NEAR(own->swing.mean, 0.8 * 600, 1e-6);
  EXPECT_GT(std::fabs(row_named(b, "market.technician_cost_per_hour")->swing.mean), 0.0);
  SensitivityOptions on_a;
  on_a.msp = 0;
  const SensitivityResult a = run_sensitivity(s, run_options(4'000, 7), on_a);
  const SensitivityResult portfolio = run_sensitivity(s, run_options(4'000, 7));
  EXPECT_NEAR(a.baseline.mean + b.baseline.mean, portfolio.baseline.mean, 1e-9 * portfolio.baseline.mean);
  EXPECT_NE(render_sensitivity_json(b).find("\"scope\":\"msp\",\"msp\":\"b\""), std::string::npos);
  EXPECT_NE(render_sensitivity_table(b).find("sensitivity of MSP b's own total_cost"), std::string::npos);
  const SensitivityResult one = run_sensitivity(s, run_options(3'000, 7, 1), on_b);
  const SensitivityResult two = run_sensitivity(s, run_options(3'000, 7, 2), on_b);
  EXPECT_EQ(render_sensitivity_json(one), render_sensitivity_json(two));
  EXPECT_EQ(render_sensitivity_csv(one), render_sensitivity_csv(two));
}

TEST(Sensitivity, P90SwingSeNeedsEnoughTrials) {
  std::vector<double> low(999), high(999);
  for (std::size_t i = 0; i < low.size(); ++i) {
    low[i] = double((i * 7919) % 1000);
    high[i] = 2 * low[i] + 5;
  }
  EXPECT_FALSE(p90_swing_se(high, low)) << "fewer than 20 sections of 50 trials";
  low.push_back(3);
  high.push_back(11);
  const std::optional<double> se = p90_swing_se(high, low);
  ASSERT_TRUE(se);
  EXPECT_GT(*se, 0.0);
  EXPECT_TRUE(std::isfinite(*se));
}

// The same bytes at any thread count (the manifest's threads aside, which
// these RunInfos leave equal).
TEST(Sensitivity, SameBytesForOneAndTwoThreads) {
  const Scenario s = load_scenario({SWITCHCOST_SOURCE_DIR "/scenarios/kaspersky-2024/portfolio.yaml"});
  const SensitivityResult one = run_sensitivity(s, run_options(3'000, 7, 1));
  const SensitivityResult two = run_sensitivity(s, run_options(3'000, 7, 2));
  EXPECT_EQ(render_sensitivity_json(one), render_sensitivity_json(two));
  EXPECT_EQ(render_sensitivity_csv(one), render_sensitivity_csv(two));
  EXPECT_EQ(render_sensitivity_table(one), render_sensitivity_table(two));
}

// Stopped before the first block: no statistics, no rows, nulls.
TEST(Sensitivity, StoppedBeforeAnyTrialHasNoRows) {
  const Scenario s = scenario_of("linear.yaml", linear_msp);
  std::atomic<bool> stop{true};
  RunOptions o = run_options(10'000, 7);
  o.stop = &stop;
  const SensitivityResult r = run_sensitivity(s, o);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.trials_done, 0u);
  EXPECT_TRUE(r.rows.empty());
  const std::string json = render_sensitivity_json(r);
  EXPECT_NE(json.find("\"mean\":null"), std::string::npos) << json;
  EXPECT_NE(render_sensitivity_table(r).find("no results"), std::string::npos);
}

// Two runs' portfolio series at a time, whatever the MSPs and inputs: no
// per-MSP series are kept.
TEST(Sensitivity, MemoryIsTwoRunsOfPortfolioSeries) {
  const Scenario one = scenario_of("linear.yaml", linear_msp);
  const Scenario three = load_scenario({SWITCHCOST_SOURCE_DIR "/scenarios/kaspersky-2024/portfolio.yaml"});
  for (const Scenario* s : {&one, &three})
    EXPECT_EQ(estimate_sensitivity_bytes(*s, 100'000), 2u * output_count * 100'000 * sizeof(double));
  EXPECT_GT(estimate_sensitivity_working_bytes(three, run_options(100'000, 7)),
            estimate_working_bytes({&three}, run_options(100'000, 7)));
}

// A cost formula's row (formula.NAME) is measured like a fixed output.
// tests/data/sensitivity/formula_rows.yaml: setup_formula = 10 x
// labor.setup_hours, labor.setup_hours ~ pert(1, 2, 3) = 1 + 2 Beta(3, 3),
// so its swing is 10 x 2 x (q90 - q10) of Beta(3, 3) = 10.1345418684613
// (the Beta CDF 10x^3 - 15x^4 + 6x^5 inverted by bisection) on every trial;
// the extra item it does not read swings it by exactly 0.
TEST(Sensitivity, CostFormulaRowSwingsOnlyWithItsInput) {
  const Scenario s = load_scenario({std::string(SWITCHCOST_TEST_DATA) + "/sensitivity/formula_rows.yaml"});
  SensitivityOptions o;
  o.formula = "setup_formula";
  const SensitivityResult r = run_sensitivity(s, run_options(3'000, 7, 1), o);
  ASSERT_TRUE(r.complete);
  EXPECT_EQ(r.formula, "setup_formula");
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0].key, "labor.setup_hours");
  EXPECT_NEAR(r.rows[0].swing.mean, 10.1345418684613, 1e-9);
  EXPECT_NEAR(r.rows[0].swing.se, 0.0, 1e-9);
  EXPECT_NEAR(r.rows[0].p90_swing, 10.1345418684613, 1e-9);
  EXPECT_EQ(r.rows[1].key, "extras.licence_audit");
  EXPECT_EQ(r.rows[1].swing.mean, 0.0);
  EXPECT_EQ(r.rows[1].p90_swing, 0.0);
  // The mean of 10 x pert(1, 2, 3) is 20; its sd 10 x 2 x sqrt(1/28).
  EXPECT_NEAR(r.baseline.mean, 20.0, 5 * 20 * std::sqrt(1.0 / 28) / std::sqrt(3'000.0));

  const std::string json = render_sensitivity_json(r), csv = render_sensitivity_csv(r);
  const std::string table = render_sensitivity_table(r);
  EXPECT_NE(json.find("\"key\":\"formula.setup_formula\""), std::string::npos) << json;
  EXPECT_NE(csv.find(",formula.setup_formula,"), std::string::npos) << csv;
  EXPECT_NE(table.find("portfolio's formula.setup_formula [USD]"), std::string::npos) << table;

  const SensitivityResult two = run_sensitivity(s, run_options(3'000, 7, 2), o);
  EXPECT_EQ(render_sensitivity_json(two), json);
  EXPECT_EQ(render_sensitivity_csv(two), csv);
  EXPECT_EQ(render_sensitivity_table(two), table);

  SensitivityOptions unknown;
  unknown.formula = "setup";
  EXPECT_THROW(run_sensitivity(s, run_options(100, 7), unknown), std::invalid_argument);
}

// The indices of a formula's row: drawn = 10 x pert(1, 2, 3) reads only its
// inline draw (group formulas.drawn.0), so every other group's AB run leaves
// its series the same bits (indices exactly 0) and that group explains it
// all (S and ST 1 within 5 bootstrap SEs). --components lists the formula
// rows after the built-in components.
TEST(Sensitivity, CostFormulaRowIndicesAndComponents) {
  const Scenario s = load_scenario({std::string(SWITCHCOST_TEST_DATA) + "/sensitivity/formula_rows.yaml"});
  SensitivityOptions o;
  o.formula = "drawn";
  o.components = true;
  const SensitivityResult r = run_sensitivity_indices(s, run_options(4'000, 7, 1), o);
  ASSERT_TRUE(r.indices);
  EXPECT_EQ(r.indices->formula, "drawn");
  for (const auto& row : r.indices->rows) {
    if (row.key == "formulas.drawn.0") {
      EXPECT_NEAR(row.first.value, 1.0, 5 * row.first.se + 1e-9);
      EXPECT_NEAR(row.total.value, 1.0, 5 * row.total.se + 1e-9);
    } else {
      EXPECT_EQ(row.first.value, 0.0) << row.key;
      EXPECT_EQ(row.total.value, 0.0) << row.key;
    }
  }
  ASSERT_EQ(r.component_indices.size(), std::size_t(Output::total_cost) + 2);
  for (std::size_t c = 0; c < std::size_t(Output::total_cost); ++c) {
    EXPECT_EQ(r.component_indices[c]->output, Output(c));
    EXPECT_TRUE(r.component_indices[c]->formula.empty());
  }
  EXPECT_EQ(r.component_indices[std::size_t(Output::total_cost)]->formula, "setup_formula");
  EXPECT_EQ(r.component_indices[std::size_t(Output::total_cost) + 1]->formula, "drawn");
  const std::string json = render_sensitivity_json(r), csv = render_sensitivity_csv(r);
  EXPECT_NE(json.find("\"output\":\"formula.drawn\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"key\":\"formula.setup_formula\""), std::string::npos) << json;
  EXPECT_NE(csv.find(",formula.drawn,"), std::string::npos) << csv;

  const SensitivityResult two = run_sensitivity_indices(s, run_options(4'000, 7, 2), o);
  EXPECT_EQ(render_sensitivity_json(two), json);
  EXPECT_EQ(render_sensitivity_csv(two), csv);
  EXPECT_EQ(render_sensitivity_table(two), render_sensitivity_table(r));
}

TEST(Sensitivity, OutputsByName) {
  EXPECT_EQ(output_named("total_cost"), Output::total_cost);
  EXPECT_EQ(output_named("duration_days"), Output::duration_days);
  EXPECT_FALSE(output_named("total"));
  EXPECT_EQ(mean_series_of(Output::total_cost), Output::total_expected_cost);
  EXPECT_EQ(mean_series_of(Output::lost_updates_cost), Output::lost_updates_expected_cost);
  EXPECT_EQ(mean_series_of(Output::labor_cost), Output::labor_cost);
}

}  // namespace
}  // namespace switchcost::sim

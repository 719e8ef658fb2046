// `plan` (sim/report/plan.h): a decision known by hand (a dominated option,
// a constraint only the dearer option meets, none meeting it, a tie), EVPI
// against its closed form on a two-option decision, the grid, located
// errors, and the same bytes at any thread count.
#include "sim/report/plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "sim/base/error.h"
#include "sim/scenario/yaml_reader.h"
#include "test_util.h"

namespace switchcost::sim {
namespace {

using test::run_options;
using test::shipped_assumptions;
using test::temp_dir;
using test::write_file;

// One MSP of 200 endpoints on the shipped assumptions, with `extras`.
std::string msp_file(const std::string& dir, const std::string& name, const std::string& extras) {
  return write_file(dir, name,
                    std::string(shipped_assumptions) +
                        "msps:\n  - name: shop\n    endpoints: 200\n    clients: 20\n    extras: " + extras + "\n");
}

Alternative alternative(const std::string& label, const std::string& file, std::vector<Overlay> overlays) {
  Alternative a;
  a.label = label;
  a.scenario = load_scenario({file}, {}, overlays);
  a.inputs = {file};
  return a;
}

// Option A costs the rest plus c = 4,000; option B the rest plus X ~
// uniform(0, 10,000), drawn from the same stream (the extra item's name) on
// the same trials; the rest is the same in both, trial by trial. A is
// chosen (4,000 < E[X] = 5,000), and
//   EVPI = E[max(0, c - X)] = c^2 / (2 x 10,000) = 800,
// with sd of max(0, c - X) = sqrt(c^3 / 30,000 - 800^2) = 1,222 (SE 8.6 at
// 20,000 trials). The extra item is the only input the choice depends on:
// its EVPPI is the EVPI (binning X into 141 bins costs about 71^2 / 20,000
// < $1), every other input's is 0.
TEST(Plan, EvpiOfTwoOptionsHasItsClosedForm) {
  const std::string dir = temp_dir();
  const std::vector<Alternative> options_ab = {
      alternative("A", msp_file(dir, "a.yaml", "[{name: fee, cost: 4000, per: msp}]"), {}),
      alternative("B", msp_file(dir, "b.yaml", "[{name: fee, cost: {uniform: [0, 10000]}, per: msp}]"), {})};
  const PlanResult r = run_plan(options_ab, run_options(20'000, 11), {});
  ASSERT_TRUE(r.complete);
  ASSERT_TRUE(r.information);
  ASSERT_EQ(r.recommended, std::optional<std::size_t>(0));
  EXPECT_GT(r.evpi_se, 5.0);
  EXPECT_LT(r.evpi_se, 15.0);
  EXPECT_NEAR(r.evpi, 800.0, 5 * r.evpi_se);
  ASSERT_FALSE(r.evppi.empty());
  EXPECT_EQ(r.evppi.front().key, "extras.fee");
  EXPECT_NEAR(r.evppi.front().evppi, 800.0, 5 * r.evpi_se);
  // Its EVPPI is the EVPI but for the binning (the same trials).
  EXPECT_NEAR(r.evppi.front().evppi, r.evpi, 2.0);
  for (std::size_t g = 1; g < r.evppi.size(); ++g)
    EXPECT_LT(r.evppi[g].evppi, 5 * r.evpi_se) << r.evppi[g].key;
  // B - A per trial is X - 4,000 exactly: mean 1,000, SE 10,000 / sqrt(12 n) = 20.4.
  EXPECT_NEAR(r.options[1].vs_reference.mean, 1000.0, 5 * 20.4);
}

// By hand: "late" starts 120 days after migration_start (2024-07-01), after
// updates stop (2024-09-29): P(done) = 0 exactly. "late+fee" is "late" plus
// $1,000 on every trial: strictly dominated. "early" starts at once with 4
// technicians and pays a $100,000 premium: dearer than "late" in the mean
// (late's lost updates on 200 endpoints cost far less on most trials), but
// the only one likely done before updates stop.
std::vector<Alternative> hand_options(const std::string& dir) {
  const std::string file = msp_file(dir, "shop.yaml", "[]");
  return {alternative("late", file, {Overlay::setting("start_delay_days", "120")}),
          alternative("late+fee", file,
                      {Overlay::setting("start_delay_days", "120"),
                       Overlay::setting("extras", "[{name: fee, cost: 1000, per: msp}]")}),
          alternative("early", file,
                      {Overlay::setting("start_delay_days", "0"), Overlay::setting("labor.technicians", "4"),
                       Overlay::setting("extras", "[{name: premium, cost: 100000, per: msp}]")})};
}

TEST(Plan, DominatedOptionAndAConstraintOnlyTheDearerMeets) {
  const auto alternatives = hand_options(temp_dir());
  const PlanResult free = run_plan(alternatives, run_options(4'000, 11), {});
  const auto& a = free.comparison.alternatives;
  EXPECT_EQ(a[0].done_before_updates_stop.value, 0.0);
  EXPECT_EQ(a[1].done_before_updates_stop.value, 0.0);
  EXPECT_GT(a[2].done_before_updates_stop.value, 0.5);
  ASSERT_EQ(free.recommended, std::optional<std::size_t>(0));
  ASSERT_EQ(free.runner_up, std::optional<std::size_t>(1));
  EXPECT_FALSE(free.tie);
  EXPECT_NEAR(free.options[1].vs_reference.mean, 1000.0, 1e-6);
  EXPECT_LT(free.options[1].vs_reference.se, 1e-6);
  EXPECT_EQ(free.options[1].vs_reference.cheaper.value, 0.0);
  EXPECT_GT(free.options[2].vs_reference.lo, 0.0);
  EXPECT_EQ(free.frontier, (std::vector<std::size_t>{0, 2}));
  EXPECT_FALSE(free.options[1].frontier);
  // late+fee is never the cheapest on a trial: the EVPI is that of late
  // against early alone, mean_i(late(i) - min(late(i), early(i))).
  const auto& series = free.comparison.samples->portfolios;
  const auto& late = series[0][std::size_t(Output::total_expected_cost)];
  const auto& early = series[2][std::size_t(Output::total_expected_cost)];
  double regret = 0;
  for (std::size_t i = 0; i < late.size(); ++i) regret += late[i] - std::min(late[i], early[i]);
  EXPECT_NEAR(free.evpi, regret / double(late.size()), 1e-6);
  EXPECT_GE(free.evpi, 0.0);

  PlanSettings need;
  need.constraints = {parse_plan_constraint("p_done >= 0.5")};
  const PlanResult held = run_plan(alternatives, run_options(4'000, 11), need);
  ASSERT_EQ(held.recommended, std::optional<std::size_t>(2));
  EXPECT_FALSE(held.runner_up.has_value());
  EXPECT_FALSE(held.options[0].meets);
  EXPECT_FALSE(held.options[1].meets);
  EXPECT_NEAR(held.options[0].shortfall, 1.0, 1e-12);  // (0.5 - 0) / 0.5
  EXPECT_LT(held.options[0].vs_reference.hi, 0.0);     // late is cheaper than the recommendation
  EXPECT_NE(render_plan_table(held).find("Recommended: early, the cheapest option with p_done >= 0.5"),
            std::string::npos);

  PlanSettings impossible;
  impossible.constraints = {parse_plan_constraint("p_done >= 1"), parse_plan_constraint("cost_mean <= 10")};
  const PlanResult none = run_plan(alternatives, run_options(4'000, 11), impossible);
  EXPECT_FALSE(none.recommended.has_value());
  ASSERT_TRUE(none.closest.has_value());
  // Every option misses cost_mean <= 10 by thousands of times the bound:
  // the cheapest misses it least.
  EXPECT_EQ(*none.closest, 0u);
  EXPECT_NE(render_plan_table(none).find("No option meets p_done >= 1 and cost_mean <= 10; the closest is late"),
            std::string::npos);
}

TEST(Plan, IdenticalOptionsAreATie) {
  const std::string file = msp_file(temp_dir(), "shop.yaml", "[]");
  const PlanResult r = run_plan({alternative("one", file, {}), alternative("two", file, {})}, run_options(2'000, 11), {});
  ASSERT_TRUE(r.runner_up.has_value());
  EXPECT_TRUE(r.tie);
  EXPECT_EQ(r.options[*r.runner_up].vs_reference.mean, 0.0);
  EXPECT_NE(render_plan_table(r).find("a TIE"), std::string::npos);
}

TEST(Plan, GridIsTheCartesianProductLastFastest) {
  const auto grid = plan_grid({parse_plan_variable("labor.technicians=1,2"), parse_plan_variable("target=eset,sophos,webroot")});
  ASSERT_EQ(grid.size(), 6u);
  EXPECT_EQ(grid[0], (std::vector<std::string>{"1", "eset"}));
  EXPECT_EQ(grid[1], (std::vector<std::string>{"1", "sophos"}));
  EXPECT_EQ(grid[5], (std::vector<std::string>{"2", "webroot"}));
  const PlanVariable flow = parse_plan_variable("extras=[{name: a, cost: 1, per: msp}], []");
  EXPECT_EQ(flow.values, (std::vector<std::string>{"[{name: a, cost: 1, per: msp}]", "[]"}));

  const auto alternatives = plan_alternatives({"builtin:kaspersky-2024/msp-350.yaml"},
                                              {parse_plan_variable("start=2024-07-01,2024-08-01"),
                                               parse_plan_variable("target=eset,sophos")},
                                              {});
  ASSERT_EQ(alternatives.size(), 4u);
  EXPECT_EQ(alternatives[3].label, "start=2024-08-01 target=sophos");
  EXPECT_EQ(format_date(alternatives[3].scenario.timeline.migration_start), "2024-08-01");
  EXPECT_EQ(alternatives[3].scenario.msps[0].target, "sophos");
  EXPECT_EQ(alternatives[0].scenario.msps[0].target, "eset");
}

template <class E>
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Plan, BadVaryAndRequireAreLocatedErrors) {
  auto vary = [](const std::string& a) { return error_of<UsageError>([&] { parse_plan_variable(a); }); };
  EXPECT_NE(vary("labor.technicians").find("--vary 'labor.technicians': takes KEY=VALUE"), std::string::npos);
  EXPECT_NE(vary("labor.technicians=1,,3").find("value 2 is empty"), std::string::npos);
  EXPECT_NE(vary("labor.technicians=1,2,1").find("'1' is given twice"), std::string::npos);
  EXPECT_NE(vary("extras=[{name: a").find("unbalanced"), std::string::npos);
  EXPECT_NE(vary("=1,2").find("one word"), std::string::npos);
  const std::string big = error_of<UsageError>([] {
    plan_grid({parse_plan_variable("a=1,2,3,4,5,6,7,8,9"), parse_plan_variable("b=1,2,3,4,5,6,7,8,9"),
               parse_plan_variable("c=1,2,3,4")});
  });
  EXPECT_NE(big.find("9 x 9 x 4 options, more than the 256"), std::string::npos) << big;
  EXPECT_NE(error_of<UsageError>([] { plan_grid({parse_plan_variable("a=1,2"), parse_plan_variable("a=3")}); })
                .find("--vary a is given twice"),
            std::string::npos);

  auto require = [](const std::string& a) { return error_of<UsageError>([&] { parse_plan_constraint(a); }); };
  EXPECT_NE(require("p_don >= 0.9").find("--require 'p_don >= 0.9': 'p_don' is not a measure; did you mean 'p_done'?"),
            std::string::npos);
  EXPECT_NE(require("p_done > 0.9").find("the operator must be >= or <=, got '>'"), std::string::npos);
  EXPECT_NE(require("p_done >= 1.5").find("from 0 to 1"), std::string::npos);
  EXPECT_NE(require("cost_p90 <= 3e4x").find("'3e4x' is not a number"), std::string::npos);
  EXPECT_NE(require("cost_p90 <= nan").find("is not a number"), std::string::npos);
  EXPECT_NE(require("0.9").find("takes MEASURE >= NUMBER"), std::string::npos);
  const PlanConstraint c = parse_plan_constraint("duration_p90<=90");
  EXPECT_EQ(c.measure, PlanMeasure::duration_p90);
  EXPECT_FALSE(c.at_least);
  EXPECT_EQ(c.bound, 90.0);

  // A value the scenario refuses: a scenario error located at the --vary argument.
  const std::string bad = error_of<ScenarioError>([] {
    plan_alternatives({"builtin:kaspersky-2024/msp-350.yaml"}, {parse_plan_variable("labor.technicians=2,-1")}, {});
  });
  EXPECT_NE(bad.find("--vary labor.technicians=-1"), std::string::npos) << bad;
  const std::string typo = error_of<ScenarioError>([] {
    plan_alternatives({"builtin:kaspersky-2024/msp-350.yaml"}, {parse_plan_variable("labor.technician=1,2")}, {});
  });
  EXPECT_NE(typo.find("--vary labor.technician=1"), std::string::npos) << typo;
  const std::string target = error_of<ScenarioError>([] {
    plan_alternatives({"builtin:kaspersky-2024/msp-350.yaml"}, {parse_plan_variable("target=eset,esset")}, {});
  });
  EXPECT_NE(target.find("esset"), std::string::npos) << target;
}

TEST(Plan, SameBytesForOneAndTwoThreads) {
  const auto alternatives = plan_alternatives({"builtin:kaspersky-2024/msp-350.yaml"},
                                              {parse_plan_variable("labor.technicians=1,2"),
                                               parse_plan_variable("target=bitdefender,eset")},
                                              {});
  PlanSettings s;
  s.grid = {parse_plan_variable("labor.technicians=1,2"), parse_plan_variable("target=bitdefender,eset")};
  s.constraints = {parse_plan_constraint("p_done >= 0.3")};
  const PlanResult one = run_plan(alternatives, run_options(6'000, 11, 1), s);
  const PlanResult two = run_plan(alternatives, run_options(6'000, 11, 2), s);
  EXPECT_EQ(render_plan_json(one), render_plan_json(two));
  EXPECT_EQ(render_plan_csv(one), render_plan_csv(two));
  EXPECT_EQ(render_plan_table(one), render_plan_table(two));
  ASSERT_EQ(one.options.size(), 4u);
  EXPECT_EQ(one.options[3].choices, (std::vector<std::pair<std::string, std::string>>{
                                        {"labor.technicians", "2"}, {"target", "eset"}}));
  EXPECT_FALSE(one.evppi.empty());
}

}  // namespace
}  // namespace switchcost::sim

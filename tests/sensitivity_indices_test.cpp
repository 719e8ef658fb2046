// Variance-based indices (sim/report/sensitivity_indices.h) on known
// answers, through the same path as any scenario: the Ishigami function and
// a linear model written as scenario files, every interval covering the
// truth and every estimate within 5 bootstrap SEs of it (fixed seeds: the
// same numbers every run); exact zeros where an output cannot depend on a
// group; an output without variance; renamed streams; the same bytes for 1
// and 2 threads.
#include "sim/report/sensitivity_indices.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <string>

#include "test_util.h"

namespace switchcost::sim {
namespace {

using test::run_options;
using test::shipped_assumptions;
using test::temp_dir;
using test::write_file;

const IndexRow& row_named(const IndexResult& r, const std::string& key) {
  for (const auto& row : r.rows)
    if (row.key == key) return row;
  throw std::runtime_error("no row " + key);
}

// The 95% interval covers the truth, and the estimate is within 5 bootstrap SEs of it.
void expect_covers(const IndexEstimate& e, double truth, const std::string& what) {
  const std::string computed = what + ": computed " + std::to_string(e.value) + " [" + std::to_string(e.lo) +
                               ", " + std::to_string(e.hi) + "], expected " + std::to_string(truth) +
                               ", tolerance 5 SE = " + std::to_string(5 * e.se);
  EXPECT_LE(e.lo, truth) << computed;
  EXPECT_GE(e.hi, truth) << computed;
  EXPECT_GT(e.se, 0.0) << computed;
  EXPECT_LE(std::fabs(e.value - truth), 5 * e.se) << computed;
}

// The Ishigami function with a = 7, b = 0.1 and x ~ U(-pi, pi)^3:
//   V = a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2,
//   V1 = (1 + b pi^4/5)^2 / 2, V2 = a^2/8, V3 = 0,
//   V13 = b^2 pi^8 (1/18 - 1/50) = b^2 pi^8 8/225,
// S_i = V_i / V, ST1 = (V1 + V13) / V, ST2 = S2, ST3 = V13 / V.
TEST(SensitivityIndices, IshigamiIntervalsCoverTheTruth) {
  constexpr double a = 7, b = 0.1, pi = std::numbers::pi;
  const double pi4 = std::pow(pi, 4), pi8 = std::pow(pi, 8);
  const double v = a * a / 8 + b * pi4 / 5 + b * b * pi8 / 18 + 0.5;
  const double v1 = 0.5 * std::pow(1 + b * pi4 / 5, 2), v2 = a * a / 8, v13 = b * b * pi8 * 8 / 225;
  // The published values (Saltelli et al. 2010) follow.
  ASSERT_NEAR(v1 / v, 0.3139, 5e-5);
  ASSERT_NEAR(v2 / v, 0.4424, 5e-5);
  ASSERT_NEAR((v1 + v13) / v, 0.5576, 5e-5);
  ASSERT_NEAR(v13 / v, 0.2437, 5e-5);

  const Scenario s = load_scenario({std::string(SWITCHCOST_TEST_DATA) + "/sensitivity/ishigami.yaml"});
  const SensitivityResult r = run_sensitivity_indices(s, run_options(1 << 16, 1));
  ASSERT_TRUE(r.complete);
  ASSERT_TRUE(r.indices);
  const IndexResult& ix = *r.indices;
  EXPECT_EQ(ix.trials, 1u << 16);
  EXPECT_EQ(r.runs, 2 + ix.rows.size());
  // The output is a constant plus Y: its variance is Y's, within 5 SEs of
  // the pooled sample variance (sd((Y - mean)^2) is about 22 < 25; SE = that
  // over sqrt(2N)).
  EXPECT_NEAR(ix.variance, v, 5 * 25 / std::sqrt(2.0 * (1 << 16)));
  // x1, x2, x3 and the incidents (none: no threat is met).
  ASSERT_EQ(ix.rows.size(), 4u);
  expect_covers(row_named(ix, "formulas.x1.0").first, v1 / v, "S1");
  expect_covers(row_named(ix, "formulas.x2.0").first, v2 / v, "S2");
  expect_covers(row_named(ix, "formulas.x3.0").first, 0.0, "S3");
  expect_covers(row_named(ix, "formulas.x1.0").total, (v1 + v13) / v, "ST1");
  expect_covers(row_named(ix, "formulas.x2.0").total, v2 / v, "ST2");
  expect_covers(row_named(ix, "formulas.x3.0").total, v13 / v, "ST3");
  const IndexRow& incidents = row_named(ix, "incidents");
  EXPECT_EQ(incidents.first.value, 0.0);
  EXPECT_EQ(incidents.total.value, 0.0);
  EXPECT_EQ(incidents.total.hi, 0.0);
  EXPECT_EQ(row_named(ix, "formulas.x1.0").members.front().stream, "msps.ishigami.formulas.x1.0");
}

// Linear: total = constant + extra item U(0, 6) + N(0, 1) + 1.5 N(5, 2)
// (variances 3, 1 and 9: S_i = ST_i = 3/13, 1/13, 9/13). The extra item is
// a scenario input (a Var), the two normals inline draws of one formula.
TEST(SensitivityIndices, LinearModelHasItsAnalyticIndices) {
  const Scenario s = load_scenario({std::string(SWITCHCOST_TEST_DATA) + "/sensitivity/linear.yaml"});
  const SensitivityResult r = run_sensitivity_indices(s, run_options(1 << 16, 1));
  ASSERT_TRUE(r.indices);
  const IndexResult& ix = *r.indices;
  // sd((y - mean)^2) = 13 sqrt(2) for a normal, a little less with the uniform part.
  EXPECT_NEAR(ix.variance, 13.0, 5 * 13.0 * std::sqrt(2.0 / (2 * (1 << 16))));
  const std::pair<const char*, double> truth[] = {
      {"extras.licence_audit", 3.0 / 13}, {"formulas.linear.0", 1.0 / 13}, {"formulas.linear.1", 9.0 / 13}};
  for (const auto& [key, index] : truth) {
    expect_covers(row_named(ix, key).first, index, std::string(key) + " S");
    expect_covers(row_named(ix, key).total, index, std::string(key) + " ST");
  }
  // Sorted by ST: the largest first.
  EXPECT_EQ(ix.rows.front().key, "formulas.linear.1");
}

TEST(SensitivityIndices, SameBytesForOneAndTwoThreads) {
  const Scenario s = load_scenario({std::string(SWITCHCOST_TEST_DATA) + "/sensitivity/ishigami.yaml"});
  SensitivityResult one = run_sensitivity_indices(s, run_options(5'000, 1, 1));
  SensitivityResult two = run_sensitivity_indices(s, run_options(5'000, 1, 2));
  EXPECT_EQ(render_sensitivity_json(one), render_sensitivity_json(two));
  EXPECT_EQ(render_sensitivity_csv(one), render_sensitivity_csv(two));
}

// The shipped MSP: every group is drawn afresh in B (the renamed streams
// change every input it has), the incidents are a group of their own, the
// incident cost distribution is not a group, and the expected total does
// not read the incident draws: their indices are exactly 0.
TEST(SensitivityIndices, ShippedMspGroupsAndExactZeros) {
  const Scenario s = load_scenario({std::string(SWITCHCOST_SOURCE_DIR) + "/scenarios/kaspersky-2024/msp-350.yaml"});
  const std::vector<IndexGroup> groups = index_groups(s);
  ASSERT_FALSE(groups.empty());
  EXPECT_EQ(groups.back().key, "incidents");
  for (const auto& g : groups) EXPECT_NE(g.key, "market.threat.incident_cost");
  std::vector<const IndexGroup*> all;
  for (const auto& g : groups) all.push_back(&g);
  const Scenario b = resample_streams(s, all);
  EXPECT_EQ(b.msps[0].internal_stream_suffix, resampled_stream_suffix);
  EXPECT_EQ(b.msps[0].params.at("labor.setup_hours").stream, "msps.msp-350.labor.setup_hours#B");
  EXPECT_EQ(s.msps[0].params.at("labor.setup_hours").stream, "msps.msp-350.labor.setup_hours");

  SensitivityOptions o;
  o.output = Output::total_cost;  // measured on total_expected_cost
  const SensitivityResult r = run_sensitivity_indices(s, run_options(4'000, 1), o);
  ASSERT_TRUE(r.indices);
  const IndexRow& incidents = row_named(*r.indices, "incidents");
  EXPECT_EQ(incidents.first.value, 0.0);
  EXPECT_EQ(incidents.total.value, 0.0);
  // A competitor no MSP uses is not run: 2 + the groups read.
  const IndexRow& eset = row_named(*r.indices, "competitors.eset.price_per_endpoint_month");
  EXPECT_FALSE(eset.read);
  EXPECT_EQ(eset.total.value, 0.0);
  std::size_t read = 0;
  for (const auto& row : r.indices->rows) read += row.read ? 1 : 0;
  EXPECT_EQ(r.runs, 2 + read);
  EXPECT_LT(read, groups.size());
  // The labor cost does not read the competitors' prices.
  o.output = Output::labor_cost;
  const SensitivityResult labor = run_sensitivity_indices(s, run_options(4'000, 1), o);
  ASSERT_TRUE(labor.indices);
  EXPECT_EQ(row_named(*labor.indices, "competitors.kaspersky.price_per_endpoint_month").total.value, 0.0);
  EXPECT_GT(row_named(*labor.indices, "labor.config_hours_per_client").total.value, 0.0);
  // The drawn incident count reads them.
  o.output = Output::incidents;
  const SensitivityResult count = run_sensitivity_indices(s, run_options(4'000, 1), o);
  ASSERT_TRUE(count.indices);
  EXPECT_GT(row_named(*count.indices, "incidents").total.value, 0.0);
}

// --components: one result per cost component from the same runs, each the
// same numbers as that component measured on its own (--output), and an
// exact 0 where a component cannot read a group.
TEST(SensitivityIndices, ComponentsAreTheSameAsEachOutputAlone) {
  const Scenario s = load_scenario({std::string(SWITCHCOST_SOURCE_DIR) + "/scenarios/kaspersky-2024/msp-350.yaml"});
  SensitivityOptions o;
  o.components = true;
  const SensitivityResult all = run_sensitivity_indices(s, run_options(3'000, 1), o);
  ASSERT_TRUE(all.indices);
  ASSERT_EQ(all.component_indices.size(), std::size_t(Output::total_cost));
  EXPECT_EQ(all.component_indices[0]->output, Output::labor_cost);
  o.components = false;
  o.output = Output::labor_cost;
  const SensitivityResult labor = run_sensitivity_indices(s, run_options(3'000, 1), o);
  ASSERT_TRUE(labor.indices);
  const IndexResult& a = *all.component_indices[0];
  const IndexResult& b = *labor.indices;
  EXPECT_EQ(a.variance, b.variance);
  ASSERT_EQ(a.rows.size(), b.rows.size());
  for (std::size_t i = 0; i < a.rows.size(); ++i) {
    EXPECT_EQ(a.rows[i].key, b.rows[i].key);
    EXPECT_EQ(a.rows[i].first.value, b.rows[i].first.value) << a.rows[i].key;
    EXPECT_EQ(a.rows[i].total.hi, b.rows[i].total.hi) << a.rows[i].key;
  }
  const IndexResult& downtime = *all.component_indices[std::size_t(cost_line(0))];
  EXPECT_EQ(row_named(downtime, "competitors.kaspersky.price_per_endpoint_month").total.value, 0.0);
  EXPECT_GT(row_named(downtime, "downtime.minutes_per_endpoint").total.value, 0.5);
  const std::string json = render_sensitivity_json(all);
  EXPECT_NE(json.find("\"components\":[{\"key\":\"labor_cost\""), std::string::npos);
}

TEST(SensitivityIndices, NoVarianceGivesZerosNotNaN) {
  const std::vector<double> flat(100, 5.0);
  const std::vector<IndexGroup> groups{{"g", InputOwner::market, "", {}}};
  const IndexResult r = estimate_indices(flat, flat, {std::span<const double>(flat)}, groups, 1);
  EXPECT_EQ(r.variance, 0.0);
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].first.value, 0.0);
  EXPECT_EQ(r.rows[0].total.hi, 0.0);
  SensitivityResult result;
  result.variance_indices = true;
  result.trials_requested = result.trials_done = 100;
  result.indices = std::make_shared<IndexResult>(r);
  const std::string json = render_sensitivity_json(result);
  EXPECT_EQ(json.find("nan"), std::string::npos);
  EXPECT_NE(json.find("\"zero_variance\":true"), std::string::npos) << json;
  EXPECT_NE(render_sensitivity_table(result).find("no variance"), std::string::npos);
}

}  // namespace
}  // namespace switchcost::sim

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
#include <fstream>
#include <iterator>
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

// --per-msp on two MSPs of known structure: a market input (the technician's
// cost per hour) and an MSP key both draw (labor.setup_hours) move both
// MSPs' totals; each MSP's own extra item moves its total and leaves the
// other's the same bits (ST exactly 0). Each MSP's indices are those of
// that MSP run alone, bit for bit: the runs, streams and bootstrap are the same.
TEST(SensitivityIndices, PerMspIndicesSeparateTheMsps) {
  const std::string path = std::string(SWITCHCOST_TEST_DATA) + "/sensitivity/two-msps.yaml";
  const Scenario s = load_scenario({path});
  SensitivityOptions o;
  o.per_msp = true;
  const SensitivityResult r = run_sensitivity_indices(s, run_options(20'000, 3), o);
  ASSERT_TRUE(r.indices);
  ASSERT_EQ(r.msp_indices.size(), 2u);
  const IndexResult& a = *r.msp_indices[0];
  const IndexResult& b = *r.msp_indices[1];
  EXPECT_EQ(a.msp, "a");
  EXPECT_EQ(b.msp, "b");
  EXPECT_EQ(a.output, Output::total_cost);
  // Another MSP's input: exactly 0 on this MSP's total.
  for (const char* key : {"extras.a_only"}) {
    EXPECT_EQ(row_named(b, key).first.value, 0.0);
    EXPECT_EQ(row_named(b, key).total.value, 0.0);
    EXPECT_EQ(row_named(b, key).total.hi, 0.0);
  }
  EXPECT_EQ(row_named(a, "extras.b_only").total.value, 0.0);
  // Its own input, the shared key and the market input matter to each: the
  // interval of ST is above 0.
  for (const IndexResult* m : {&a, &b}) {
    const std::string own = m == &a ? "extras.a_only" : "extras.b_only";
    for (const std::string& key : {own, std::string("labor.setup_hours"), std::string("market.technician_cost_per_hour")})
      EXPECT_GT(row_named(*m, key).total.lo, 0.0) << m->msp << " " << key;
    // Market-level groups are listed first, then the per-MSP ones.
    EXPECT_EQ(m->rows.front().level, InputOwner::market);
    EXPECT_EQ(m->rows.back().level, InputOwner::msp);
  }
  // On the portfolio both extras matter.
  EXPECT_GT(row_named(*r.indices, "extras.a_only").total.lo, 0.0);
  EXPECT_GT(row_named(*r.indices, "extras.b_only").total.lo, 0.0);
  // The per-MSP series change no portfolio number.
  const SensitivityResult plain = run_sensitivity_indices(s, run_options(20'000, 3), {});
  ASSERT_TRUE(plain.indices);
  EXPECT_TRUE(plain.msp_indices.empty());
  SensitivityResult without = r;
  without.msp_indices.clear();
  EXPECT_EQ(render_sensitivity_json(without), render_sensitivity_json(plain));

  // MSP a alone: the same indices as a's within the two, bit for bit.
  std::string text;
  {
    std::ifstream in(path);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  const Scenario alone = load_scenario({write_file(temp_dir(), "a.yaml", text.substr(0, text.find("  - name: b\n")))});
  const SensitivityResult ra = run_sensitivity_indices(alone, run_options(20'000, 3), {});
  ASSERT_TRUE(ra.indices);
  EXPECT_EQ(ra.indices->variance, a.variance);
  for (const auto& row : ra.indices->rows) {
    const IndexRow& same = row_named(a, row.key);
    EXPECT_EQ(row.first.value, same.first.value) << row.key;
    EXPECT_EQ(row.total.value, same.total.value) << row.key;
    EXPECT_EQ(row.total.lo, same.total.lo) << row.key;
  }

  // Rendered: a JSON "msps" array, CSV rows with the MSP's name, the table's block.
  const std::string json = render_sensitivity_json(r);
  EXPECT_NE(json.find("\"msps\":[{\"msp\":\"a\",\"key\":\"total_cost\""), std::string::npos);
  const std::string csv = render_sensitivity_csv(r);
  EXPECT_NE(csv.find(",complete,msp\n"), std::string::npos);
  EXPECT_NE(csv.find("extras.a_only,msp,"), std::string::npos);
  EXPECT_NE(csv.find(",true,b\n"), std::string::npos);
  const std::string table = render_sensitivity_table(r);
  EXPECT_NE(table.find("By MSP (--per-msp)"), std::string::npos) << table;
  // b's per-MSP line names its own extra and not a's (ST 0 is left out).
  const std::string b_block = table.substr(table.find("\n  b  mean"));
  EXPECT_NE(b_block.find("extras.b_only"), std::string::npos) << table;
  EXPECT_EQ(b_block.find("extras.a_only"), std::string::npos) << table;

  // The same bytes for 1 and 2 threads.
  const SensitivityResult one = run_sensitivity_indices(s, run_options(3'000, 3, 1), o);
  const SensitivityResult two = run_sensitivity_indices(s, run_options(3'000, 3, 2), o);
  EXPECT_EQ(render_sensitivity_json(one), render_sensitivity_json(two));
  EXPECT_EQ(render_sensitivity_csv(one), render_sensitivity_csv(two));
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

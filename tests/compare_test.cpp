// Paired comparison of alternatives: exact zero for identical alternatives,
// the variance reduction that common random numbers buy, independence of
// the listing order, and confidence intervals that cover a known difference
// at the stated rate.
#include "sim/report/compare.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

#include "models/registry.h"
#include "models/labor.h"
#include "models/lost_updates.h"
#include "models/pricing.h"
#include "models/stranded.h"
#include "sim/random/random.h"
#include "test_util.h"

namespace switchcost::sim {
namespace {

using test::temp_dir;
using test::write_file;

RunOptions options(std::uint64_t trials, std::uint64_t seed = 1) {
  RunOptions o;
  o.trials = trials;
  o.seed = seed;
  o.threads = 2;
  return o;
}

Alternative alternative(const std::string& label, const std::vector<std::string>& files,
                        const std::vector<Overlay>& overlays = {}) {
  return Alternative{label, files, load_scenario(files, {}, overlays)};
}

const char* portfolio = SWITCHCOST_SOURCE_DIR "/scenarios/kaspersky-2024/portfolio.yaml";

TEST(PairedStatistics, HandComputed) {
  const std::vector<double> alternative = {3, 5, 7, 9}, baseline = {1, 5, 8, 5};
  const PairedDifference d = paired_difference(alternative, baseline);
  // differences 2, 0, -1, 4: mean 1.25, sample sd sqrt(((.75)^2 + 1.25^2 + 2.25^2 + 2.75^2) / 3) = sqrt(14.75 / 3)
  EXPECT_DOUBLE_EQ(d.mean, 1.25);
  EXPECT_NEAR(d.se, std::sqrt(14.75 / 3) / 2, 1e-12);
  EXPECT_NEAR(d.hi - d.lo, 2 * 1.959963984540054 * d.se, 1e-12);
  EXPECT_DOUBLE_EQ(d.cheaper.value, 0.25) << "only the third trial is cheaper; the tie is not";
}

// Ties are neither cheaper nor dearer: P(same) counts them, so a variant
// that changes nothing in most trials does not read as "rarely cheaper".
TEST(PairedStatistics, TiesAreCountedApart) {
  const std::vector<double> alternative = {1, 2, 3, 4, 5}, baseline = {1, 3, 3, 5, 4};
  const PairedDifference d = paired_difference(alternative, baseline);
  EXPECT_DOUBLE_EQ(d.cheaper.value, 0.4) << "trials 1 and 3";
  EXPECT_DOUBLE_EQ(d.same, 0.4) << "trials 0 and 2";
  const PairedDifference self = paired_difference(baseline, baseline);
  EXPECT_DOUBLE_EQ(self.cheaper.value, 0.0);
  EXPECT_DOUBLE_EQ(self.same, 1.0);
}

TEST(PairedStatistics, CheapestSplitsTies) {
  const std::vector<double> a = {1, 2, 3, 4}, b = {1, 1, 5, 4}, c = {2, 3, 1, 4};
  const auto shares = cheapest_shares({a, b, c});
  // trial 0: a,b tie; 1: b; 2: c; 3: all tie -> a = 1/2 + 1/3, b = 1/2 + 1 + 1/3, c = 1 + 1/3 (over 4 trials)
  EXPECT_NEAR(shares[0], (0.5 + 1.0 / 3) / 4, 1e-15);
  EXPECT_NEAR(shares[1], (1.5 + 1.0 / 3) / 4, 1e-15);
  EXPECT_NEAR(shares[2], (1 + 1.0 / 3) / 4, 1e-15);
  const auto reordered = cheapest_shares({c, a, b});
  EXPECT_EQ(reordered[0], shares[2]);
  EXPECT_EQ(reordered[1], shares[0]);
  EXPECT_EQ(reordered[2], shares[1]);
}

// Four trials by hand: the mean and interval from the expected costs, the
// share of cheaper trials from the costs drawn.
TEST(PairedStatistics, CompoundCostsTakeMeansFromTheExpectedSeries) {
  const std::vector<double> drawn_alt = {3, 5, 7, 9}, drawn_base = {1, 5, 8, 5};
  const std::vector<double> expected_alt = {4, 4, 4, 4}, expected_base = {1, 2, 3, 4};
  const PairedDifference d = paired_difference(drawn_alt, drawn_base, expected_alt, expected_base);
  // expected differences 3, 2, 1, 0: mean 1.5, sample sd sqrt(5 / 3)
  EXPECT_DOUBLE_EQ(d.mean, 1.5);
  EXPECT_NEAR(d.se, std::sqrt(5.0 / 3) / 2, 1e-12);
  EXPECT_DOUBLE_EQ(d.cheaper.value, 0.25) << "of the costs drawn, only the third trial is cheaper";
}

// compare reports a scenario's total as run does: the mean and SE of the
// expected total given each trial's inputs (the same bits as run's, the
// baseline run alone under the same seed), the percentiles and the plain
// mean of the totals drawn; per MSP, the expected total's mean too.
TEST(Compare, TotalsAreRunsConditionalMeans) {
  const std::vector<Overlay> eset = {{"(eset)", "msp_overrides: {target: eset}\n"}};
  const Alternative a = alternative("list", {portfolio});
  const Alternative b = alternative("eset", {portfolio}, eset);
  const RunOptions o = options(20'000);
  const CompareResult r = compare_alternatives({a, b}, o, RunInfo{});
  for (std::size_t k = 0; k < 2; ++k) {
    const Scenario& scenario = (k == 0 ? a : b).scenario;
    const ReportData d = build_report(scenario, run_scenario(scenario, o), RunInfo{});
    const Stats& run_total = d.portfolio.stats[std::size_t(Output::total_cost)];
    const AlternativeResult& alt = r.alternatives[k];
    ASSERT_TRUE(alt.total_sampled.has_value());
    ASSERT_TRUE(d.portfolio.sampled[std::size_t(Output::total_cost)].has_value());
    EXPECT_EQ(alt.total.mean, run_total.mean) << k;
    EXPECT_EQ(alt.total.se, run_total.se) << k;
    EXPECT_EQ(alt.total.at(0.9).value, run_total.at(0.9).value) << k;
    EXPECT_EQ(alt.total_sampled->mean, d.portfolio.sampled[std::size_t(Output::total_cost)]->mean) << k;
    EXPECT_NE(alt.total.mean, alt.total_sampled->mean) << "the lost updates are drawn in some trials";
    for (const MspChoice& m : r.msps) {
      const auto it = std::find_if(d.msps.begin(), d.msps.end(), [&](const ScopeReport& s) { return s.name == m.name; });
      ASSERT_NE(it, d.msps.end());
      EXPECT_EQ(m.mean[k], it->stats[std::size_t(Output::total_cost)].mean) << m.name << " " << k;
      EXPECT_EQ(m.p90[k], it->stats[std::size_t(Output::total_cost)].at(0.9).value) << m.name << " " << k;
    }
  }
  // The paired difference's mean is the difference of the two means.
  EXPECT_NEAR(r.alternatives[1].vs_baseline.mean, r.alternatives[1].total.mean - r.alternatives[0].total.mean,
              1e-9 * std::abs(r.alternatives[0].total.mean));
}

TEST(Compare, IdenticalAlternativesDifferByExactlyZero) {
  const CompareResult r = compare_alternatives(
      {alternative("a", {portfolio}), alternative("b", {portfolio})}, options(10'000), RunInfo{});
  const auto& d = r.alternatives[1].vs_baseline;
  EXPECT_EQ(d.mean, 0.0);
  EXPECT_EQ(d.se, 0.0);
  EXPECT_EQ(d.lo, 0.0);
  EXPECT_EQ(d.hi, 0.0);
  EXPECT_EQ(d.cheaper.value, 0.0);
  EXPECT_DOUBLE_EQ(r.alternatives[0].p_cheapest, 0.5) << "every trial is a tie";
  EXPECT_EQ(r.alternatives[0].rank, 1);
  EXPECT_EQ(r.alternatives[1].rank, 1);
}

// The same comparison (everyone moves to ESET instead of Bitdefender) drawn
// with common random numbers and drawn independently (the variant with
// another seed): the paired standard error is far smaller.
TEST(Compare, CommonRandomNumbersReduceTheVariance) {
  const std::vector<Overlay> eset = {{"(eset)", "msp_overrides: {target: eset}\n"}};
  const std::vector<Overlay> bitdefender = {{"(bitdefender)", "msp_overrides: {target: bitdefender}\n"}};
  const Alternative a = alternative("bitdefender", {portfolio}, bitdefender);
  const Alternative b = alternative("eset", {portfolio}, eset);
  const std::uint64_t n = 20'000;
  const CompareResult paired = compare_alternatives({a, b}, options(n), RunInfo{});
  const RunResult ra = run_scenario(a.scenario, options(n, 1));
  const RunResult rb = run_scenario(b.scenario, options(n, 99));
  const PairedDifference independent = paired_difference(rb.portfolio[std::size_t(Output::total_cost)],
                                                         ra.portfolio[std::size_t(Output::total_cost)]);
  const double paired_se = paired.alternatives[1].vs_baseline.se;
  EXPECT_LT(paired_se, 0.8 * independent.se) << "paired " << paired_se << " vs independent " << independent.se;
  // Both estimate the same difference: within 5 combined standard errors.
  EXPECT_NEAR(paired.alternatives[1].vs_baseline.mean, independent.mean, 5 * std::hypot(paired_se, independent.se));
}

TEST(Compare, ResultsDoNotDependOnTheListingOrder) {
  auto targets = [](const std::vector<std::string>& names) {
    std::vector<Alternative> alts;
    for (const auto& n : names)
      alts.push_back(alternative(n, {portfolio}, {{"(" + n + ")", "msp_overrides: {target: " + n + "}\n"}}));
    return alts;
  };
  const CompareResult x = compare_alternatives(targets({"bitdefender", "eset", "sophos"}), options(5'000), RunInfo{});
  const CompareResult y = compare_alternatives(targets({"bitdefender", "sophos", "eset"}), options(5'000), RunInfo{});
  for (const auto& [i, j] : {std::pair{1, 2}, std::pair{2, 1}, std::pair{0, 0}}) {
    const auto& a = x.alternatives[std::size_t(i)];
    const auto& b = y.alternatives[std::size_t(j)];
    ASSERT_EQ(a.label, b.label);
    EXPECT_EQ(a.total.mean, b.total.mean);
    EXPECT_EQ(a.total.at(0.95).value, b.total.at(0.95).value);
    EXPECT_EQ(a.vs_baseline.mean, b.vs_baseline.mean);
    EXPECT_EQ(a.vs_baseline.cheaper.value, b.vs_baseline.cheaper.value);
    EXPECT_EQ(a.p_cheapest, b.p_cheapest);
    EXPECT_EQ(a.rank, b.rank);
  }
  for (std::size_t m = 0; m < x.msps.size(); ++m) {
    EXPECT_EQ(x.msps[m].p_cheapest[1], y.msps[m].p_cheapest[2]);
    EXPECT_EQ(x.msps[m].mean[2], y.msps[m].mean[1]);
  }
}

// Synthetic case with a known difference: baseline X ~ N(0, 1) per trial,
// alternative X + 0.1 + 0.5 Z (Z independent). The true mean difference is
// 0.1. Over 400 replications of 500 trials, the 95% interval should cover
// 0.1 about 95% of the time: SE of the coverage sqrt(.95 .05 / 400) = 1.09%,
// so the bounds [89.5%, 100%] are 5 standard errors.
TEST(Compare, ConfidenceIntervalCoversAKnownDifference) {
  const int replications = 400;
  const std::size_t n = 500;
  int covered = 0;
  std::vector<double> u(n), v(n), base(n), alt(n);
  for (int r = 0; r < replications; ++r) {
    const std::uint64_t first = std::uint64_t(r) * n;
    fill_uniforms(Stream{7, variable_id("x")}, first, n, 0, u.data());
    fill_uniforms(Stream{7, variable_id("z")}, first, n, 0, v.data());
    for (std::size_t i = 0; i < n; ++i) {
      base[i] = normal_quantile(u[i]);
      alt[i] = base[i] + 0.1 + 0.5 * normal_quantile(v[i]);
    }
    const PairedDifference d = paired_difference(alt, base);
    covered += d.lo <= 0.1 && 0.1 <= d.hi;
  }
  EXPECT_GE(covered, int(0.895 * replications));
  EXPECT_LE(covered, replications);
  // and the interval is not trivially wide: its half width is about 1.96 x 0.5 / sqrt(500) = 0.044
  EXPECT_LT(covered, replications) << "a 95% interval that never misses in 400 tries is suspiciously wide";
}

TEST(Compare, PerMspChoiceCoversEveryMsp) {
  const CompareResult r = compare_alternatives(
      {alternative("bitdefender", {portfolio}, {{"(b)", "msp_overrides: {target: bitdefender}\n"}}),
       alternative("webroot", {portfolio}, {{"(w)", "msp_overrides: {target: webroot}\n"}})},
      options(5'000), RunInfo{});
  ASSERT_EQ(r.msps.size(), 3u);
  for (const auto& m : r.msps) {
    EXPECT_NEAR(m.p_cheapest[0] + m.p_cheapest[1], 1.0, 1e-12) << m.name;
    EXPECT_LE(m.mean[0], m.p90[0] * 10);
  }
  EXPECT_NEAR(r.alternatives[0].p_cheapest + r.alternatives[1].p_cheapest, 1.0, 1e-12);
}

// run_scenarios runs alternatives together and computes once what an MSP's
// inputs share with the previous alternative's (labor, lost updates,
// stranded licences); each result must still be the bytes of the alternative
// run alone. The sequence switches each shared part off and on again: a new
// target (all shared), a labor input changed (nothing shared), back to the
// labor of two alternatives before (nothing shared with the one before it), a
// threat input changed (labor shared, lost updates not), the incumbent's
// price changed too (labor and lost updates shared, stranded licences not),
// fewer MSPs, then more again.
TEST(Compare, RunTogetherGivesTheBytesOfEachRunAlone) {
  const char* msp_60 = SWITCHCOST_SOURCE_DIR "/scenarios/kaspersky-2024/msp-60.yaml";
  const std::vector<Alternative> alternatives = {
      alternative("base", {portfolio}),
      alternative("eset", {portfolio}, {{"(eset)", "msp_overrides: {target: eset}\n"}}),
      alternative("setup", {portfolio},
                  {{"(setup)", "msp_overrides: {target: eset, labor: {setup_hours: {pert: [1, 3, 20]}}}\n"}}),
      alternative("eset again", {portfolio}, {{"(eset)", "msp_overrides: {target: eset}\n"}}),
      alternative("decay", {portfolio},
                  {{"(decay)", "market: {threat: {protection_decay_days: {pert: [2, 9, 30]}}}\n"}}),
      alternative("kaspersky price", {portfolio},
                  {{"(decay)", "market: {threat: {protection_decay_days: {pert: [2, 9, 30]}}}\n"},
                   {"(price)", "competitors: {kaspersky: {price_per_endpoint_month: {pert: [1, 2, 6]}}}\n"}}),
      alternative("one msp", {msp_60}),
      alternative("base again", {portfolio}),
  };
  std::vector<const Scenario*> scenarios;
  for (const auto& a : alternatives) scenarios.push_back(&a.scenario);
  RunOptions o = options(9'000);  // two full blocks and a short one
  o.block_trials = 4'000;
  const std::vector<RunResult> together = run_scenarios(scenarios, o);
  ASSERT_EQ(together.size(), alternatives.size());
  const auto same_bytes = [](const Values& a, const Values& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
  };
  for (std::size_t k = 0; k < alternatives.size(); ++k) {
    const RunResult alone = run_scenario(alternatives[k].scenario, o);
    const RunResult& r = together[k];
    EXPECT_TRUE(r.complete);
    ASSERT_EQ(r.msps.size(), alone.msps.size());
    for (int out = 0; out < output_count; ++out) {
      EXPECT_TRUE(same_bytes(r.portfolio[std::size_t(out)], alone.portfolio[std::size_t(out)]))
          << alternatives[k].label << " portfolio " << output_key(Output(out));
      for (std::size_t m = 0; m < r.msps.size(); ++m)
        EXPECT_TRUE(same_bytes(r.msp_series(m)[std::size_t(out)], alone.msp_series(m)[std::size_t(out)]))
            << alternatives[k].label << " " << r.msps[m].name << " " << output_key(Output(out));
    }
  }
  // The alternatives really differ where they should (so the reuse had something to get wrong).
  const auto mean_total = [](const RunResult& r) {
    const Values& v = r.portfolio[std::size_t(Output::total_cost)];
    double sum = 0;
    for (double x : v) sum += x;
    return sum / double(v.size());
  };
  for (std::size_t k = 1; k < 6; ++k)
    EXPECT_NE(mean_total(together[k]), mean_total(together[k - 1])) << alternatives[k].label;
  EXPECT_EQ(mean_total(together[3]), mean_total(together[1])) << "the same alternative twice";
  EXPECT_EQ(mean_total(together[7]), mean_total(together[0]));
}

// Alternatives that each change one row of a model's input table (per MSP
// through msp_overrides, market-level through market, a competitor's
// through the incumbent's entry) to a constant inside
// its range, each followed by the base again.
template <class Inputs>
void add_row_changes(models::InputTable<Inputs> table, std::vector<Alternative>& alternatives) {
  for (const auto& in : table) {
    double value = std::isinf(in.max) ? in.min + 1.5 : in.min + 0.37 * (in.max - in.min);
    if (in.key == "endpoints" || in.key == "clients") value = 17;
    std::string yaml = std::to_string(value);
    std::string key(in.key);
    for (std::size_t dot; (dot = key.rfind('.')) != std::string::npos; key.resize(dot))
      yaml = "{" + key.substr(dot + 1) + ": " + yaml + "}";
    yaml = "{" + key + ": " + yaml + "}";
    const char* where = "msp_overrides: ";
    if (in.level == models::InputLevel::market) where = "market: ";
    if (in.level == models::InputLevel::competitor) {  // the incumbent of every shipped MSP
      where = "competitors: ";
      yaml = "{kaspersky: " + yaml + "}";
    }
    alternatives.push_back(alternative(std::string(in.key), {portfolio}, {{"(row)", where + yaml + "\n"}}));
    alternatives.push_back(alternative("base", {portfolio}));
  }
}

// The reuse in run_scenarios is derived from the models' input tables, so
// an input can't be left out of it: changing any one row between two
// alternatives still gives each the bytes of its run alone.
TEST(Compare, ChangingAnyTableInputIsNeverReused) {
  std::vector<Alternative> alternatives = {alternative("base", {portfolio})};
  add_row_changes(models::labor_inputs(), alternatives);
  add_row_changes(models::lost_updates_inputs(), alternatives);
  add_row_changes(models::stranded_inputs(), alternatives);
  add_row_changes(models::pricing_inputs(), alternatives);
  add_row_changes(models::competitor_inputs(), alternatives);
  models::for_each_cost_line([&]<std::size_t, class Line>() { add_row_changes(Line::inputs(), alternatives); });
  std::vector<const Scenario*> scenarios;
  for (const auto& a : alternatives) scenarios.push_back(&a.scenario);
  const RunOptions o = options(600);
  const std::vector<RunResult> together = run_scenarios(scenarios, o);
  ASSERT_EQ(together.size(), alternatives.size());
  for (std::size_t k = 1; k < alternatives.size(); k += 2) {
    const RunResult alone = run_scenario(alternatives[k].scenario, o);
    for (int out = 0; out < output_count; ++out) {
      const Values& x = together[k].portfolio[std::size_t(out)];
      const Values& y = alone.portfolio[std::size_t(out)];
      EXPECT_TRUE(x.size() == y.size() && std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) == 0)
          << alternatives[k].label << " " << output_key(Output(out));
    }
  }
}

// A capacity question: one technician against two. Cost alone hides the
// answer; duration, P(done before updates stop) and technician hours are
// in every format, each the portfolio's own statistic.
TEST(CompareRender, TimeAndEffortBesideTheCost) {
  const std::string msp350 = SWITCHCOST_SOURCE_DIR "/scenarios/kaspersky-2024/msp-350.yaml";
  const CompareResult r = compare_alternatives(
      {alternative("two", {msp350}, {{"(2)", "msp_overrides: {labor: {technicians: 2}}\n"}}),
       alternative("one", {msp350}, {{"(1)", "msp_overrides: {labor: {technicians: 1}}\n"}})},
      options(4'000), RunInfo{});
  const AlternativeResult& two = r.alternatives[0];
  const AlternativeResult& one = r.alternatives[1];
  // Half the technicians: the same work takes longer, so fewer trials finish
  // before the cut-off (each proportion's SE is under 0.01 at 4,000 trials).
  EXPECT_GT(one.duration.at(0.5).value, two.duration.at(0.5).value * 1.3);
  EXPECT_LT(one.done_before_updates_stop.value, two.done_before_updates_stop.value - 0.05);
  EXPECT_GT(two.labor_hours.mean, 100.0);
  EXPECT_EQ(one.vs_baseline.same, 0.0);
  const std::string json = render_compare_json(r);
  EXPECT_NE(json.find("\"labor_hours\":{\"n\":4000,\"mean\":" + number(one.labor_hours.mean)), std::string::npos)
      << json.substr(0, 2000);
  const std::string csv = render_compare_csv(r);
  const std::string row = csv.substr(csv.find("\nportfolio,portfolio,one,false,") + 1);
  std::vector<std::string> fields;
  for (std::size_t at = 0, end;; at = end + 1) {
    end = row.find_first_of(",\n", at);
    fields.push_back(row.substr(at, end - at));
    if (row[end] == '\n') break;
  }
  ASSERT_EQ(fields.size(), 29u) << row;
  EXPECT_EQ(fields[19], number(one.vs_baseline.same));
  EXPECT_EQ(fields[20], number(one.duration.mean));
  EXPECT_EQ(fields[21], number(one.duration.at(0.5).value));
  EXPECT_EQ(fields[22], number(one.duration.at(0.9).value));
  EXPECT_EQ(fields[23], number(one.done_before_updates_stop.value));
  EXPECT_EQ(fields[24], number(one.done_before_updates_stop.se));
  EXPECT_EQ(fields[25], number(one.labor_hours.mean));
  EXPECT_EQ(fields[26], number(one.labor_hours.at(0.9).value));
  const std::string table = render_compare_table(r);
  EXPECT_NE(table.find("Time and effort"), std::string::npos) << table;
  EXPECT_NE(table.find("P(done before updates stop)"), std::string::npos) << table;
  EXPECT_NE(table.find(format_percent(one.done_before_updates_stop.value) + " +- "), std::string::npos) << table;
  EXPECT_NE(table.find("P(same)"), std::string::npos) << table;
}

// Stopped before its first block (SIGTERM at once): there are no statistics,
// so the reports say so (null, empty CSV fields, no table) instead of
// differences, means and probabilities of zero.
TEST(CompareRender, NoTrialDoneWritesNoStatistics) {
  std::atomic<bool> stop{true};
  RunOptions o = options(100'000);
  o.stop = &stop;
  const CompareResult r = compare_alternatives(
      {alternative("bitdefender", {portfolio}, {{"(b)", "msp_overrides: {target: bitdefender}\n"}}),
       alternative("eset", {portfolio}, {{"(e)", "msp_overrides: {target: eset}\n"}})},
      o, RunInfo{});
  ASSERT_EQ(r.trials_done, 0u);
  ASSERT_FALSE(r.complete);
  const std::string json = render_compare_json(r);
  EXPECT_NE(json.find("\"done_before_updates_stop\":{\"p\":null,\"se\":null}"), std::string::npos) << json;
  EXPECT_NE(json.find("\"vs_baseline\":{\"mean\":null,\"se\":null,\"ci95\":null,\"p_cheaper\":null,\"p_cheaper_se\":null,"
                      "\"p_same\":null},\"p_cheapest\":null"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"label\":\"eset\",\"mean\":null,\"p90\":null,\"p_cheapest\":null"), std::string::npos) << json;
  std::string statistics = json.substr(json.find("\"alternatives\""));
  for (std::size_t at; (at = statistics.find("\"n\":0,")) != std::string::npos;) statistics.erase(at, 6);
  EXPECT_EQ(statistics.find(":0,"), std::string::npos) << "a statistic written as 0: " << json;
  EXPECT_EQ(statistics.find(":0}"), std::string::npos) << "a statistic written as 0: " << json;
  // CSV: every row has the header's 29 fields, the statistics empty.
  const std::string csv = render_compare_csv(r);
  std::size_t rows = 0;
  for (std::size_t at = csv.find('\n') + 1; at < csv.size(); at = csv.find('\n', at) + 1, ++rows) {
    const std::string row = csv.substr(at, csv.find('\n', at) - at);
    EXPECT_EQ(std::count(row.begin(), row.end(), ','), 28) << row;
    EXPECT_NE(row.find(",,,,,,,,,,,"), std::string::npos) << row;
    EXPECT_NE(row.find(",0,false"), std::string::npos) << row;  // n = 0, not complete
  }
  EXPECT_EQ(rows, 2u + 2u * 3u);
  const std::string table = render_compare_table(r);
  EXPECT_NE(table.find("No trial finished"), std::string::npos) << table;
  EXPECT_EQ(table.find("$0"), std::string::npos) << table;
}

// The same for run: its JSON writes null for P(done) and the tail shares,
// its CSV leaves every statistic empty (n = 0).
TEST(CompareRender, RunWithNoTrialDoneWritesNoStatistics) {
  std::atomic<bool> stop{true};
  RunOptions o = options(100'000);
  o.stop = &stop;
  const Scenario scenario = load_scenario({portfolio});
  const RunResult result = run_scenario(scenario, o);
  ASSERT_EQ(result.trials_done, 0u);
  const ReportData d = build_report(scenario, result, RunInfo{});
  const std::string json = render_json(d);
  EXPECT_NE(json.find("\"tail_mean\":null,\"tail_share\":null,\"done_before_updates_stop\":{\"p\":null,\"se\":null}"),
            std::string::npos)
      << json;
  EXPECT_EQ(json.find("\"p\":0"), std::string::npos) << json;
  const std::string csv = render_csv(d);
  for (std::size_t at = csv.find('\n') + 1; at < csv.size(); at = csv.find('\n', at) + 1) {
    const std::string row = csv.substr(at, csv.find('\n', at) - at);
    EXPECT_EQ(std::count(row.begin(), row.end(), ','), 19) << row;
    EXPECT_NE(row.find(",0,,,,,,,,,,,,,,,,false"), std::string::npos) << row;
  }
}

// run and compare write their manifest with one writer: the same fields in
// the same order, the arguments as given and every file read, run adding
// only how its per-MSP statistics were kept.
TEST(CompareRender, ManifestIsRunsWithTheArguments) {
  RunInfo info;
  info.version = "9.9";
  info.seed = 5;
  info.threads = 3;
  info.inputs = {"base.yaml", "surge.yaml"};
  info.input_hashes = {{"base.yaml", "ab"}, {"surge.yaml", "cd"}};
  const std::string tail =
      "\"threads\":3,\"arguments\":[\"base.yaml\",\"surge.yaml\"],\"inputs\":[{\"path\":\"base.yaml\","
      "\"sha256\":\"ab\"},{\"path\":\"surge.yaml\",\"sha256\":\"cd\"}]},";
  CompareResult r = compare_alternatives({alternative("a", {portfolio}), alternative("b", {portfolio})},
                                         options(100), RunInfo{});
  r.info = info;
  const std::string compare = render_compare_json(r);
  EXPECT_NE(compare.find("{\"schema\":\"switchcost.compare/2\",\"manifest\":{\"version\":\"9.9\",\"command\":"
                         "\"compare\",\"seed\":5,\"trials_requested\":100,\"trials\":100,\"complete\":true," +
                         tail),
            std::string::npos)
      << compare.substr(0, 400);
  const Scenario scenario = load_scenario({portfolio});
  const ReportData d = build_report(scenario, run_scenario(scenario, options(100)), info);
  const std::string run = render_json(d);
  EXPECT_NE(run.find("{\"schema\":\"switchcost.run/2\",\"manifest\":{\"version\":\"9.9\",\"command\":\"run\","
                     "\"seed\":5,\"trials_requested\":100,\"trials\":100,\"complete\":true,\"threads\":3,"
                     "\"msp_stats\":\"exact\",\"arguments\""),
            std::string::npos)
      << run.substr(0, 400);
  EXPECT_NE(run.find(tail.substr(tail.find("\"arguments\""))), std::string::npos) << run.substr(0, 400);
}

// Labels come from file names: quoted in the CSV (RFC 4180, formulas
// neutralised), valid UTF-8 in the JSON, escaped in the table.
TEST(CompareRender, LabelsAreEscapedInEveryFormat) {
  std::vector<Alternative> alternatives = {alternative("a,b", {portfolio}),
                                           alternative("=HYPERLINK(\"x\")\x1b[2J\xff", {portfolio})};
  const CompareResult r = compare_alternatives(alternatives, options(1'000), RunInfo{});
  const std::string csv = render_compare_csv(r);
  EXPECT_NE(csv.find("\nportfolio,portfolio,\"a,b\",true,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\nportfolio,portfolio,\"'=HYPERLINK(\"\"x\"\")\x1b[2J\xEF\xBF\xBD\",false,"), std::string::npos)
      << csv;
  const std::string json = render_compare_json(r);
  EXPECT_NE(json.find("\"label\":\"=HYPERLINK(\\\"x\\\")\\u001b[2J\\ufffd\""), std::string::npos) << json;
  const std::string table = render_compare_table(r);
  EXPECT_EQ(table.find('\x1b'), std::string::npos);
  EXPECT_EQ(table.find('\xff'), std::string::npos);
  EXPECT_NE(table.find("=HYPERLINK(\"x\")\\x1B[2J\\xFF"), std::string::npos) << table;
}

}  // namespace
}  // namespace switchcost::sim

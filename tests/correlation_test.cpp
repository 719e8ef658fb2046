// Correlated inputs (the `correlations:` block, sim/random/copula.h): the
// copula's special functions and matrices against known values; the
// achieved rank correlations and the unchanged marginals of what the engine
// draws; the same bytes for any thread count, block size and trial order;
// and located errors for bad blocks, with a pasteable nearest valid matrix.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "sim/engine/engine.h"
#include "sim/random/copula.h"
#include "sim/random/special_functions.h"
#include "sim/scenario/scenario.h"
#include "test_util.h"

namespace switchcost::sim {
namespace {

using test::shipped_assumptions;
using test::temp_dir;
using test::write_file;

// Drawn (not constant) per-MSP inputs of the shipped defaults.
const std::vector<std::string> drawn_msp_keys = {
    "labor.first_endpoint_hours",      "labor.learning_rate",
    "labor.setup_hours",               "labor.config_hours_per_client",
    "labor.failed_install_share",      "labor.rework_hours_per_failed_install",
    "labor.broken_app_client_share",   "labor.fix_hours_per_broken_client",
    "labor.overhead_hours_per_client", "labor.billable_share",
    "labor.capacity_hours_per_technician_week", "licences.share_passed_to_clients",
    "licences.overlap_months",         "licences.prepaid_share",
    "licences.prepaid_months_remaining", "licences.recovered_share",
    "refunds.client_prepaid_share",    "refunds.refund_share",
    "downtime.minutes_per_endpoint",   "downtime.user_cost_per_hour",
    "start_delay_days"};

const char* one_msp =
    "msps:\n"
    "  - name: acme\n"
    "    endpoints: 350\n"
    "    clients: 25\n";

std::string dir_of_last;  // where load_text last wrote its file

Scenario load_text(const std::string& text) {
  dir_of_last = temp_dir();
  return load_scenario({write_file(dir_of_last, "s.yaml", text)});
}

// The error load_scenario gives for the text (file name "s.yaml"), or "".
std::string load_error(const std::string& text) {
  try {
    load_text(text);
  } catch (const ScenarioError& e) {
    const std::string what = e.what();
    const auto at = what.find("s.yaml:");
    return at == std::string::npos ? what : what.substr(at);
  }
  return "";
}

// A block of keys and a matrix (YAML flow style) under msp_defaults.
std::string msp_block(const std::vector<std::string>& keys, const SquareMatrix& m, const std::string& extra = "") {
  std::string text = "msp_defaults:\n  correlations:\n" + extra + "    keys: [";
  for (std::size_t i = 0; i < keys.size(); ++i) text += (i ? ", " : "") + keys[i];
  text += "]\n    matrix:\n";
  for (std::size_t i = 0; i < m.n; ++i) {
    text += "      - [";
    for (std::size_t j = 0; j < m.n; ++j) text += (j ? ", " : "") + format_shortest(m.at(i, j));
    text += "]\n";
  }
  return text;
}

std::vector<double> ranks(const std::vector<double>& x) {
  std::vector<std::size_t> order(x.size());
  std::iota(order.begin(), order.end(), std::size_t(0));
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
  std::vector<double> r(x.size());
  for (std::size_t i = 0; i < order.size(); ++i) r[order[i]] = double(i);  // continuous inputs: no ties
  return r;
}

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = double(a.size());
  const double ma = std::accumulate(a.begin(), a.end(), 0.0) / n;
  const double mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

std::vector<std::uint64_t> first_trials(std::size_t n) {
  std::vector<std::uint64_t> t(n);
  std::iota(t.begin(), t.end(), std::uint64_t(0));
  return t;
}

// Kolmogorov-Smirnov distance between the sample and the CDF.
double ks_distance(std::vector<double> x, const Distribution& dist) {
  std::sort(x.begin(), x.end());
  const double n = double(x.size());
  double d = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double f = dist.cdf(x[i]);
    d = std::max({d, std::fabs(f - double(i) / n), std::fabs(double(i + 1) / n - f)});
  }
  return d;
}

// ---------------------------------------------------------------------------
// Special functions and matrices

TEST(CopulaMath, StudentTCdfKnownValues) {
  EXPECT_NEAR(student_t_cdf(1, 1), 0.75, 1e-15);  // Cauchy: 1/2 + atan(x)/pi
  EXPECT_NEAR(student_t_cdf(1, -1), 0.25, 1e-15);
  EXPECT_NEAR(student_t_cdf(1, 3), 0.5 + std::atan(3.0) / M_PI, 1e-15);
  // dof 2: 1/2 + x / (2 sqrt(2 + x^2))
  EXPECT_NEAR(student_t_cdf(2, 1), 0.5 + 1 / (2 * std::sqrt(3.0)), 1e-15);
  EXPECT_NEAR(student_t_cdf(2, -4), 0.5 - 4 / (2 * std::sqrt(18.0)), 1e-15);
  // Table quantiles: t(0.95, 5) = 2.015048, t(0.975, 10) = 2.228139, t(0.995, 30) = 2.749996.
  EXPECT_NEAR(student_t_cdf(5, 2.015048), 0.95, 1e-6);
  EXPECT_NEAR(student_t_cdf(10, -2.228139), 0.025, 1e-6);
  EXPECT_NEAR(student_t_cdf(30, 2.749996), 0.995, 1e-6);
  EXPECT_NEAR(student_t_cdf(1e6, 1.5), normal_cdf(1.5), 1e-6);
  EXPECT_EQ(student_t_cdf(4, 0), 0.5);
  EXPECT_EQ(student_t_cdf(4, -INFINITY), 0.0);
  EXPECT_EQ(student_t_cdf(4, INFINITY), 1.0);
  EXPECT_TRUE(std::isnan(student_t_cdf(4, NAN)));
  EXPECT_GT(student_t_cdf(3, -40), 0.0);  // the small tail directly, not 1 - (1 - tiny)
}

TEST(CopulaMath, SpearmanToPearsonAndBack) {
  EXPECT_DOUBLE_EQ(spearman_to_pearson(1.0), 1.0);
  EXPECT_DOUBLE_EQ(spearman_to_pearson(-1.0), -1.0);
  EXPECT_EQ(spearman_to_pearson(0.0), 0.0);
  EXPECT_NEAR(spearman_to_pearson(0.5), 2 * std::sin(M_PI / 12), 1e-15);  // 0.5176
  for (double rho : {-0.9, -0.3, 0.1, 0.5, 0.8}) EXPECT_NEAR(pearson_to_spearman(spearman_to_pearson(rho)), rho, 1e-14);
}

TEST(CopulaMath, HighamNearestCorrelationOfHighamsExample) {
  // Higham (2002), section 4: A = [1 1 0; 1 1 1; 0 1 1] has the nearest
  // correlation matrix [1 .7607 .1573; .7607 1 .7607; .1573 .7607 1].
  SquareMatrix a(3);
  a.values = {1, 1, 0, 1, 1, 1, 0, 1, 1};
  EXPECT_LT(smallest_eigenvalue(a), -0.4);  // 1 - sqrt(2)
  const SquareMatrix x = nearest_correlation(a, 0);
  EXPECT_NEAR(x.at(0, 1), 0.7607, 1e-4);
  EXPECT_NEAR(x.at(0, 2), 0.1573, 1e-4);
  EXPECT_NEAR(x.at(1, 2), 0.7607, 1e-4);
  // With the default floor: a correlation matrix, positive definite.
  const SquareMatrix y = nearest_correlation(a);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(y.at(i, i), 1.0);
    for (std::size_t j = 0; j < 3; ++j) EXPECT_EQ(y.at(i, j), y.at(j, i));
  }
  EXPECT_GT(smallest_eigenvalue(y), 0.5e-4);
  EXPECT_NEAR(y.at(0, 1), 0.7607, 1e-3);
}

TEST(CopulaMath, FactorReproducesTheMatrixSingularOnesToo) {
  SquareMatrix r(3);
  r.values = {1, 1, 0.5, 1, 1, 0.5, 0.5, 0.5, 1};  // rank 2: inputs 0 and 1 move as one
  EXPECT_NEAR(smallest_eigenvalue(r), 0, 1e-12);
  const SquareMatrix a = copula_factor(r);
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = 0; j < 3; ++j) {
      double s = 0;
      for (std::size_t k = 0; k < 3; ++k) s += a.at(i, k) * a.at(j, k);
      EXPECT_NEAR(s, r.at(i, j), 1e-12) << i << "," << j;
    }
}

// ---------------------------------------------------------------------------
// What the engine draws

// Achieved Spearman correlations of the drawn inputs within 0.01 of the
// target at 200,000 trials. The SE of a sample Spearman correlation there
// is at most 1 / sqrt(n) = 0.00224 (rho = 0; less for larger |rho|), so
// 0.01 is 4.5 SEs for the weakest pairs and more for the others; the seed
// is fixed, so the outcome never changes from run to run.
void expect_spearman(const std::vector<std::string>& keys, const SquareMatrix& target) {
  const Scenario s = load_text(std::string(shipped_assumptions) + one_msp + msp_block(keys, target));
  const auto drawn = draw_inputs(s, 7, 0, keys, first_trials(200'000));
  std::vector<std::vector<double>> r;
  for (const auto& x : drawn) r.push_back(ranks(x));
  double worst = 0;
  for (std::size_t i = 0; i < keys.size(); ++i)
    for (std::size_t j = 0; j < i; ++j) {
      const double achieved = pearson(r[i], r[j]);
      EXPECT_NEAR(achieved, target.at(i, j), 0.01) << keys[i] << " with " << keys[j];
      worst = std::max(worst, std::fabs(achieved - target.at(i, j)));
    }
  ::testing::Test::RecordProperty("worst_spearman_error", std::to_string(worst));
  std::printf("%zu inputs: largest |achieved - target| Spearman %.4f\n", keys.size(), worst);
}

TEST(Correlations, AchievedSpearmanOfTwoInputs) {
  SquareMatrix m = SquareMatrix::identity(2);
  m.at(0, 1) = m.at(1, 0) = 0.6;
  expect_spearman({"labor.first_endpoint_hours", "labor.rework_hours_per_failed_install"}, m);
  m.at(0, 1) = m.at(1, 0) = -0.45;
  expect_spearman({"labor.setup_hours", "downtime.minutes_per_endpoint"}, m);
}

TEST(Correlations, AchievedSpearmanOfFiveEquicorrelatedInputs) {
  SquareMatrix m(5, 0.4);
  for (std::size_t i = 0; i < 5; ++i) m.at(i, i) = 1;
  expect_spearman({drawn_msp_keys.begin(), drawn_msp_keys.begin() + 5}, m);
}

TEST(Correlations, AchievedSpearmanOfTwentyAr1Inputs) {
  // AR(1): rho^|i-j| with rho = 0.8 (valid for any size).
  SquareMatrix m(20);
  for (std::size_t i = 0; i < 20; ++i)
    for (std::size_t j = 0; j < 20; ++j) m.at(i, j) = std::pow(0.8, std::fabs(double(i) - double(j)));
  expect_spearman({drawn_msp_keys.begin(), drawn_msp_keys.begin() + 20}, m);
}

// Each correlated input keeps its marginal: its KS distance to its own CDF
// stays under 5 standard errors of an empirical CDF (at most 0.5 / sqrt(n)
// at any point); a correct marginal exceeds that bound, sup over all points,
// with probability 2 exp(-2 x 2.5^2) = 7e-6.
TEST(Correlations, MarginalsAreUnchanged) {
  const std::vector<std::string> keys(drawn_msp_keys.begin(), drawn_msp_keys.begin() + 5);
  SquareMatrix m(5, 0.7);
  for (std::size_t i = 0; i < 5; ++i) m.at(i, i) = 1;
  const std::size_t n = 200'000;
  for (const std::string copula : {"", "    copula: t\n    dof: 4\n"}) {
    const Scenario s = load_text(std::string(shipped_assumptions) + one_msp + msp_block(keys, m, copula));
    const auto drawn = draw_inputs(s, 3, 0, keys, first_trials(n));
    for (std::size_t k = 0; k < keys.size(); ++k) {
      const double d = ks_distance(drawn[k], s.msps[0].params.at(keys[k]).dist);
      EXPECT_LT(d, 5 * 0.5 / std::sqrt(double(n))) << keys[k] << (copula.empty() ? " gaussian" : " t");
    }
  }
}

// The t copula has tail dependence: joint exceedances of the 99th
// percentile are more frequent than under the Gaussian copula of the same
// matrix (about 2x here: thousands of trials, far beyond chance).
TEST(Correlations, TCopulaHasMoreJointExtremes) {
  const std::vector<std::string> keys = {"labor.setup_hours", "labor.config_hours_per_client"};
  SquareMatrix m = SquareMatrix::identity(2);
  m.at(0, 1) = m.at(1, 0) = 0.5;
  const std::size_t n = 200'000;
  auto joint = [&](const std::string& copula) {
    const Scenario s = load_text(std::string(shipped_assumptions) + one_msp + msp_block(keys, m, copula));
    const auto drawn = draw_inputs(s, 11, 0, keys, first_trials(n));
    std::size_t count = 0;
    const double q0 = s.msps[0].params.at(keys[0]).dist.quantile(0.99);
    const double q1 = s.msps[0].params.at(keys[1]).dist.quantile(0.99);
    for (std::size_t i = 0; i < n; ++i) count += drawn[0][i] > q0 && drawn[1][i] > q1;
    return double(count);
  };
  const double gaussian = joint("");
  const double t = joint("    copula: t\n    dof: 3\n");
  EXPECT_GT(gaussian, 100);  // independence would give 20
  EXPECT_GT(t, 1.4 * gaussian);
}

// Market and competitor inputs correlate through the top-level block; an
// input outside any block draws the very bits it draws without the block.
TEST(Correlations, MarketBlockCorrelatesCompetitorPricesAndLeavesOthersAlone) {
  const std::string base = std::string(shipped_assumptions) + one_msp;
  const std::string block =
      "correlations:\n"
      "  - [competitors.bitdefender.price_per_endpoint_month, competitors.kaspersky.price_per_endpoint_month, 0.7]\n";
  const Scenario with = load_text(base + block);
  const Scenario without = load_text(base);
  const std::vector<std::string> keys = {"competitors.bitdefender.price_per_endpoint_month",
                                         "competitors.kaspersky.price_per_endpoint_month",
                                         "market.technician_cost_per_hour"};
  const auto a = draw_inputs(with, 5, -1, keys, first_trials(200'000));
  const auto b = draw_inputs(without, 5, -1, keys, first_trials(200'000));
  EXPECT_NEAR(pearson(ranks(a[0]), ranks(a[1])), 0.7, 0.01);
  EXPECT_NEAR(pearson(ranks(b[0]), ranks(b[1])), 0.0, 0.01);
  EXPECT_EQ(a[2], b[2]);  // not in the block: the same bits
}

// The values are a pure function of the trial: a shuffled list of trials
// (as the sketch mode's tail pass draws them) gives each trial's values of
// the run in order.
TEST(Correlations, AnyTrialOrderGivesTheSameValues) {
  const std::vector<std::string> keys(drawn_msp_keys.begin(), drawn_msp_keys.begin() + 4);
  SquareMatrix m(4, 0.3);
  for (std::size_t i = 0; i < 4; ++i) m.at(i, i) = 1;
  for (const std::string copula : {"", "    copula: t\n    dof: 6\n"}) {
    const Scenario s = load_text(std::string(shipped_assumptions) + one_msp + msp_block(keys, m, copula));
    const auto in_order = draw_inputs(s, 9, 0, keys, first_trials(5000));
    std::vector<std::uint64_t> shuffled = {4999, 17, 3, 2500, 0, 4096, 1};
    const auto listed = draw_inputs(s, 9, 0, keys, shuffled);
    for (std::size_t k = 0; k < keys.size(); ++k)
      for (std::size_t i = 0; i < shuffled.size(); ++i) EXPECT_EQ(listed[k][i], in_order[k][shuffled[i]]);
  }
}

const char* correlated_portfolio =
    "correlations:\n"
    "  copula: t\n"
    "  dof: 5\n"
    "  pairs:\n"
    "    - [competitors.bitdefender.price_per_endpoint_month, competitors.kaspersky.price_per_endpoint_month, 0.6]\n"
    "    - [market.technician_cost_per_hour, competitors.bitdefender.price_per_endpoint_month, 0.2]\n"
    "msp_defaults:\n"
    "  correlations:\n"
    "    - [labor.first_endpoint_hours, labor.rework_hours_per_failed_install, 0.5]\n"
    "    - {between: [labor.failed_install_share, labor.first_endpoint_hours], rho: 0.4}\n"
    "msps:\n"
    "  - {name: a, endpoints: 60, clients: 8}\n"
    "  - {name: b, endpoints: 350, clients: 25}\n"
    "  - name: c\n"
    "    endpoints: 900\n"
    "    clients: 40\n"
    "    correlations: {keys: [labor.setup_hours, downtime.minutes_per_endpoint], matrix: [[1, -0.5], [-0.5, 1]]}\n";

bool same_bytes(const Values& a, const Values& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

TEST(Correlations, TheSameBytesForAnyThreadCountAndBlockSize) {
  const Scenario s = load_text(std::string(shipped_assumptions) + correlated_portfolio);
  ASSERT_TRUE(s.correlations);
  ASSERT_EQ(s.msps[2].correlations->keys[0], "labor.setup_hours");
  auto run = [&](unsigned threads, std::size_t block, MspStats mode) {
    RunOptions o;
    o.trials = 20'000;
    o.seed = 3;
    o.threads = threads;
    o.block_trials = block;
    o.msp_stats = mode;
    return run_scenario(s, o);
  };
  const RunResult one = run(1, 4096, MspStats::exact);
  for (const auto& [threads, block] : {std::pair{2u, std::size_t(4096)}, std::pair{2u, std::size_t(1000)}}) {
    const RunResult other = run(threads, block, MspStats::exact);
    for (int o = 0; o < output_count; ++o) {
      EXPECT_TRUE(same_bytes(one.portfolio[std::size_t(o)], other.portfolio[std::size_t(o)])) << output_key(Output(o));
      for (std::size_t m = 0; m < 3; ++m)
        EXPECT_TRUE(same_bytes(one.msp_series(m)[std::size_t(o)], other.msp_series(m)[std::size_t(o)]));
    }
  }
  // Sketch mode re-runs the worst trials from a list and checks that they
  // give the first pass's totals bit for bit (else it throws).
  const RunResult sketch1 = run(1, 4096, MspStats::sketch);
  const RunResult sketch2 = run(2, 4096, MspStats::sketch);
  for (int o = 0; o < output_count; ++o)
    EXPECT_TRUE(same_bytes(sketch1.portfolio[std::size_t(o)], one.portfolio[std::size_t(o)]));
  for (std::size_t m = 0; m < 3; ++m)
    EXPECT_EQ(sketch1.msps[m].sketch->tail_total_cost, sketch2.msps[m].sketch->tail_total_cost);
}

// compare's alternatives run together, reusing an MSP's part whose draws
// are the same: a correlated group is part of what "the same" means.
TEST(Correlations, AlternativesTogetherGiveTheBytesOfSeparateRuns) {
  const Scenario with = load_text(std::string(shipped_assumptions) + correlated_portfolio);
  std::string plain = correlated_portfolio;
  plain = plain.substr(plain.find("msps:"));
  const Scenario without = load_text(std::string(shipped_assumptions) + plain);
  RunOptions o;
  o.trials = 8192;
  o.threads = 2;
  const auto together = run_scenarios({&without, &with, &without}, o);
  const RunResult alone_with = run_scenario(with, o);
  const RunResult alone_without = run_scenario(without, o);
  for (int k = 0; k < output_count; ++k) {
    EXPECT_TRUE(same_bytes(together[0].portfolio[std::size_t(k)], alone_without.portfolio[std::size_t(k)]));
    EXPECT_TRUE(same_bytes(together[1].portfolio[std::size_t(k)], alone_with.portfolio[std::size_t(k)]));
    EXPECT_TRUE(same_bytes(together[2].portfolio[std::size_t(k)], alone_without.portfolio[std::size_t(k)]));
  }
  EXPECT_FALSE(same_bytes(alone_with.portfolio[std::size_t(Output::total_cost)],
                          alone_without.portfolio[std::size_t(Output::total_cost)]));
}

TEST(Correlations, WorkingMemoryEstimateCountsTheCopulaColumns) {
  const Scenario with = load_text(std::string(shipped_assumptions) + correlated_portfolio);
  std::string plain = correlated_portfolio;
  plain = plain.substr(plain.find("msps:"));
  plain = plain.substr(0, plain.find("    correlations:"));  // MSP c's own block too
  const Scenario without = load_text(std::string(shipped_assumptions) + plain);
  RunOptions o;
  o.trials = 100'000;
  o.threads = 2;
  o.block_trials = 4096;
  // The widest group has 3 inputs: 3 x 3 + 1 columns of a block, for each
  // of the 2 threads' full blocks and the short last block (100,000 mod 4,096).
  EXPECT_EQ(estimate_working_bytes({&with}, o) - estimate_working_bytes({&without}, o),
            std::uint64_t((2 * 4096 + 100'000 % 4096) * 10 * sizeof(double)));
}

// ---------------------------------------------------------------------------
// Errors

TEST(CorrelationErrors, UnknownKeysAreLocatedWithASuggestion) {
  const std::string base = std::string(shipped_assumptions) + one_msp;
  EXPECT_EQ(load_error(base + "msp_defaults:\n  correlations:\n    - [labor.setup_hours, labor.setup_hour, 0.5]\n"),
            "s.yaml:9:27: unknown input 'labor.setup_hour' in correlations; did you mean 'labor.setup_hours'?");
  EXPECT_EQ(load_error(base + "correlations:\n  - [market.technician_cost_per_hour, competitors.esett.price_per_endpoint_month, 0.5]\n"),
            "s.yaml:8:39: unknown input 'competitors.esett.price_per_endpoint_month' in correlations; did you mean "
            "'competitors.eset.price_per_endpoint_month'?");
}

TEST(CorrelationErrors, KeysNamedTwiceOrOfTheOtherLevel) {
  const std::string base = std::string(shipped_assumptions) + one_msp;
  EXPECT_EQ(load_error(base + "msp_defaults:\n  correlations:\n    - [labor.setup_hours, labor.setup_hours, 0.5]\n"),
            "s.yaml:9:27: 'labor.setup_hours' is named twice in one pair; an input's correlation with itself is 1");
  const std::string twice = load_error(base +
                                       "msp_defaults:\n  correlations:\n    - [labor.setup_hours, start_delay_days, 0.5]\n"
                                       "    - [start_delay_days, labor.setup_hours, 0.2]\n");
  EXPECT_EQ(twice, "s.yaml:10:7: the pair of 'start_delay_days' and 'labor.setup_hours' is given twice (first at " +
                       dir_of_last + "/s.yaml:9:7)");
  const std::string listed_twice =
      load_error(base + "msp_defaults:\n  correlations:\n    keys: [start_delay_days, labor.setup_hours, start_delay_days]\n"
                        "    matrix: [[1, 0, 0], [0, 1, 0], [0, 0, 1]]\n");
  EXPECT_EQ(listed_twice, "s.yaml:9:49: 'start_delay_days' is named twice in correlations.keys (first at " +
                              dir_of_last + "/s.yaml:9:12)");
  const std::string market_in_msp =
      load_error(base + "msp_defaults:\n  correlations:\n    - [labor.setup_hours, market.technician_cost_per_hour, 0.5]\n");
  EXPECT_EQ(market_in_msp.substr(0, 68), "s.yaml:9:27: 'market.technician_cost_per_hour' is a market input, dr");
  const std::string msp_at_top = load_error(base + "correlations:\n  - [labor.setup_hours, market.technician_cost_per_hour, 0.5]\n");
  EXPECT_EQ(msp_at_top.substr(0, 62), "s.yaml:8:6: 'labor.setup_hours' is not a market input drawn on");
}

TEST(CorrelationErrors, ConstantsAndBadNumbers) {
  const std::string base = std::string(shipped_assumptions) + one_msp;
  const std::string constant =
      load_error(base + "msp_defaults:\n  correlations:\n    - [labor.setup_hours, labor.technicians, 0.5]\n");
  EXPECT_EQ(constant.substr(0, 59), "s.yaml:9:27: 'labor.technicians' is a constant for MSP 'acm");
  EXPECT_NE(constant.find("only drawn inputs can be correlated"), std::string::npos);
  EXPECT_EQ(load_error(base + "msp_defaults:\n  correlations:\n    - [labor.setup_hours, start_delay_days, 1.5]\n"),
            "s.yaml:9:45: a rank correlation must lie in [-1, 1], got 1.5");
  EXPECT_EQ(load_error(base + "msp_defaults:\n  correlations:\n    keys: [start_delay_days, labor.setup_hours]\n"
                              "    matrix: [[1, 0.5], [0.4, 1]]\n"),
            "s.yaml:10:25: correlations.matrix is not symmetric: row 2 column 1 is 0.4, row 1 column 2 is 0.5");
  EXPECT_EQ(load_error(base + "msp_defaults:\n  correlations:\n    keys: [start_delay_days, labor.setup_hours]\n"
                              "    matrix: [[0.9, 0.5], [0.5, 1]]\n"),
            "s.yaml:10:15: the diagonal of correlations.matrix is 1 (an input's correlation with itself), got 0.9");
  EXPECT_EQ(load_error(base + "msp_defaults:\n  correlations:\n    copula: t\n    pairs: [[start_delay_days, labor.setup_hours, 0.5]]\n"),
            "s.yaml:9:13: the t copula needs 'dof', its degrees of freedom (e.g. dof: 5; lower: more tail dependence)");
  EXPECT_EQ(load_error(base + "msp_defaults:\n  correlations:\n    copula: gausian\n    pairs: [[start_delay_days, labor.setup_hours, 0.5]]\n"),
            "s.yaml:9:13: copula must be gaussian or t, got 'gausian'; did you mean 'gaussian'?");
}

// A hostile block cannot make the check slow: at most 100 inputs.
TEST(CorrelationErrors, AtMostAHundredInputsInOneBlock) {
  std::string block = "msp_defaults:\n  correlations:\n";
  for (int i = 0; i < 60; ++i)
    block += "    - [labor.k" + std::to_string(2 * i) + ", labor.k" + std::to_string(2 * i + 1) + ", 0.1]\n";
  const std::string error = load_error(std::string(shipped_assumptions) + one_msp + block);
  EXPECT_EQ(error, "s.yaml:59:8: a correlations block names at most 100 inputs") << error;
}

// A matrix that is not positive semi-definite: the error at the block
// names the smallest eigenvalue and gives the nearest valid matrix as one
// line of YAML, which loads, and is positive semi-definite with a unit diagonal.
TEST(CorrelationErrors, NotPositiveSemiDefiniteGivesThePasteableNearestMatrix) {
  const std::string base = std::string(shipped_assumptions) + one_msp;
  const std::string error = load_error(base +
                                       "msp_defaults:\n  correlations:\n    keys: [labor.setup_hours, start_delay_days, "
                                       "labor.learning_rate]\n    matrix: [[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]]\n");
  SquareMatrix pearson(3);
  pearson.values = {1, spearman_to_pearson(0.9), spearman_to_pearson(0.9), spearman_to_pearson(0.9), 1,
                    spearman_to_pearson(-0.9), spearman_to_pearson(0.9), spearman_to_pearson(-0.9), 1};
  const double smallest = smallest_eigenvalue(pearson);
  EXPECT_NEAR(smallest, -0.816, 1e-3);
  EXPECT_EQ(error.substr(0, 12), "s.yaml:9:5: ");
  EXPECT_NE(error.find("its smallest eigenvalue is -0.81596"), std::string::npos) << error;
  const std::string marker = "to paste in place of the block: ";
  ASSERT_NE(error.find(marker), std::string::npos);
  const std::string fix = error.substr(error.find(marker) + marker.size());
  EXPECT_EQ(fix.substr(0, 14), "correlations: ");
  const Scenario fixed = load_text(base + "msp_defaults:\n  " + fix + "\n");
  const Correlations& c = *fixed.msps[0].correlations;
  ASSERT_EQ(c.keys.size(), 3u);
  const SquareMatrix p = spearman_to_pearson(c.spearman);
  EXPECT_GE(smallest_eigenvalue(p), 0.0);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(c.spearman.at(i, i), 1.0);
    for (std::size_t j = 0; j < 3; ++j) EXPECT_EQ(c.spearman.at(i, j), c.spearman.at(j, i));
  }
  // The signs stay: the nearest matrix moves the entries towards each other.
  EXPECT_GT(c.spearman.at(0, 1), 0.3);
  EXPECT_LT(c.spearman.at(1, 2), -0.3);
}

}  // namespace
}  // namespace switchcost::sim

// Latin hypercube and scrambled Sobol' columns (sim/random/sampling.h): their
// strata, the Sobol' points against Boost's generator, the nets kept by the
// scramble, the error on a smooth integrand against Monte Carlo's, and the
// engine's results under each method: the same bytes for any thread count.
#include "sim/random/sampling.h"

#include <boost/random/sobol.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "sim/engine/engine.h"
#include "sim/scenario/scenario.h"

namespace switchcost::sim {
namespace {

std::vector<std::uint64_t> variables(int count) {
  std::vector<std::uint64_t> v;
  for (int i = 0; i < count; ++i) v.push_back(variable_id("test.input." + std::to_string(i)));
  return v;
}

// Column `stream` of a plan over trials [0, plan.trials).
std::vector<double> column(const SamplingPlan& plan, const Stream& stream) {
  std::vector<double> u(plan.trials);
  fill_uniforms(stream, 0, u.size(), 0, u.data());
  plan.apply(stream, 0, nullptr, u.size(), u.data());
  return u;
}

// Whether floor(x * strata) takes every value in [0, strata) exactly once.
bool one_per_stratum(const std::vector<double>& x, std::uint64_t strata) {
  std::vector<int> hits(strata, 0);
  for (double v : x) {
    if (!(v > 0 && v < 1)) return false;
    const auto k = std::uint64_t(v * double(strata));
    if (k >= strata || hits[k]++ > 0) return false;
  }
  return x.size() == strata;
}

TEST(Lhs, EveryStratumOfEveryColumnHoldsOneTrial) {
  for (const std::uint64_t n : {1u, 2u, 3u, 7u, 1000u, 4096u, 100'000u}) {
    const SamplingPlan plan = SamplingPlan::make(Sampling::lhs, n, {});
    for (const std::uint64_t v : variables(3))
      EXPECT_TRUE(one_per_stratum(column(plan, Stream{7, v}), n)) << "N = " << n;
  }
}

TEST(Lhs, StrataArePermutedByVariableAndSeed) {
  const std::uint64_t n = 1000;
  std::vector<std::uint64_t> a(n), b(n), c(n);
  const auto v = variables(2);
  for (std::uint64_t t = 0; t < n; ++t) {
    a[t] = lhs_stratum(Stream{1, v[0]}, t, n);
    b[t] = lhs_stratum(Stream{1, v[1]}, t, n);
    c[t] = lhs_stratum(Stream{2, v[0]}, t, n);
  }
  // Of 1000 strata, a random pair of permutations agrees on about 1.
  int same_ab = 0, same_ac = 0, fixed = 0;
  for (std::uint64_t t = 0; t < n; ++t) {
    same_ab += a[t] == b[t];
    same_ac += a[t] == c[t];
    fixed += a[t] == t;
  }
  EXPECT_LT(same_ab, 10);
  EXPECT_LT(same_ac, 10);
  EXPECT_LT(fixed, 10);
}

TEST(Sampling, AListOfTrialsGetsTheValuesOfTheRange) {
  for (const Sampling method : {Sampling::lhs, Sampling::sobol}) {
    const SamplingPlan plan = SamplingPlan::make(method, 5000, variables(4));
    const Stream stream{3, variables(4)[2]};
    const std::vector<double> all = column(plan, stream);
    std::vector<std::uint64_t> list;
    for (std::uint64_t t = 4999; t < 5000; t -= 7) list.push_back(t);
    std::vector<double> u(list.size());
    fill_uniforms_list(stream, list.data(), list.size(), 0, u.data());
    plan.apply(stream, 0, list.data(), list.size(), u.data());
    for (std::size_t i = 0; i < list.size(); ++i)
      ASSERT_EQ(u[i], all[list[i]]) << to_string(method) << " trial " << list[i];
  }
}

TEST(Sobol, PointsAreBoostsJoeKuoSequence) {
  // Boost's generator runs in Gray-code order from point 1: its k-th point
  // is x(g) with g = (k + 1) ^ ((k + 1) >> 1).
  const unsigned dims = 40;
  boost::random::sobol_engine<std::uint32_t, 32> boost_sobol(dims);
  for (std::uint32_t k = 0; k < 2000; ++k) {
    const std::uint32_t g = (k + 1) ^ ((k + 1) >> 1);
    for (unsigned d = 0; d < dims; ++d) ASSERT_EQ(sobol_point(d, g), boost_sobol()) << "point " << k << " dim " << d;
  }
  EXPECT_EQ(sobol_max_dimension(), 3667u);
}

// The top m bits of the first 2^m points of each dimension, plain or
// scrambled, take every value once: each dyadic interval holds one point.
TEST(Sobol, FirstPowerOfTwoPointsHitEachDyadicIntervalOnce) {
  const unsigned m = 12;
  for (const std::uint32_t d : {0u, 1u, 2u, 9u, 100u, 3000u, 3666u})
    for (const std::uint32_t seed : {0u, 1u, 0xdeadbeefu}) {
      std::vector<int> hits(1u << m, 0);
      bool once = true;
      for (std::uint32_t j = 0; j < (1u << m); ++j) {
        const std::uint32_t x = seed ? nested_uniform_scramble(sobol_point(d, j), seed) : sobol_point(d, j);
        once = once && hits[x >> (32 - m)]++ == 0;
      }
      EXPECT_TRUE(once) << "dimension " << d << " seed " << seed;
    }
}

// Dimensions 0 and 1 form a (0,2)-sequence: every elementary interval of
// area 2^-m, [a/2^i, (a+1)/2^i) x [b/2^(m-i), (b+1)/2^(m-i)), holds exactly
// one of the first 2^m points; Owen-style scrambling keeps that.
TEST(Sobol, ScramblingKeepsTheTwoDimensionalNet) {
  const unsigned m = 10;
  for (const std::uint32_t seed : {0u, 12345u}) {
    for (unsigned i = 0; i <= m; ++i) {
      std::vector<int> hits(1u << m, 0);
      bool once = true;
      for (std::uint32_t j = 0; j < (1u << m); ++j) {
        std::uint32_t x = sobol_point(0, j), y = sobol_point(1, j);
        if (seed) {
          x = nested_uniform_scramble(x, seed);
          y = nested_uniform_scramble(y, seed * 7 + 1);
        }
        const std::uint32_t a = i ? x >> (32 - i) : 0, b = i < m ? y >> (32 - (m - i)) : 0;
        once = once && hits[(a << (m - i)) | b]++ == 0;
      }
      EXPECT_TRUE(once) << "seed " << seed << ", intervals of 2^-" << i << " x 2^-" << (m - i);
    }
  }
}

TEST(Sobol, EachReplicateOfARunIsStratified) {
  const std::uint64_t per_replicate = 1024;
  const SamplingPlan plan = SamplingPlan::make(Sampling::sobol, per_replicate * sobol_replicates, variables(6));
  for (const std::uint64_t v : variables(6)) {
    const std::vector<double> u = column(plan, Stream{11, v});
    for (std::uint32_t r = 0; r < sobol_replicates; ++r) {
      std::vector<double> own;
      for (std::size_t t = r; t < u.size(); t += sobol_replicates) own.push_back(u[t]);
      EXPECT_TRUE(one_per_stratum(own, per_replicate)) << "replicate " << r;
    }
  }
}

TEST(Sobol, VariablesBeyondTheTableAreLatinHypercubeColumns) {
  std::vector<std::uint64_t> many;
  for (std::uint64_t i = 0; i < 4000; ++i) many.push_back(i);
  const SamplingPlan plan = SamplingPlan::make(Sampling::sobol, 2000, many);
  EXPECT_EQ(plan.dimension_of(5), 5u);
  EXPECT_EQ(plan.dimension_of(3999), sobol_max_dimension());
  EXPECT_EQ(plan.dimension_of(1u << 20), sobol_max_dimension()) << "not listed";
  EXPECT_TRUE(one_per_stratum(column(plan, Stream{1, 3999}), 2000));
}

// f(u) = prod_{i<5} (1 + (u_i - 1/2)) over [0,1]^5 has integral 1 and
// variance (13/12)^5 - 1 = 0.4923; its additive part sum (u_i - 1/2)
// carries 5/12 of it. The RMSE of the mean over `seeds` seeds at n trials.
double rmse(Sampling method, std::uint64_t n, int seeds) {
  const auto vars = variables(5);
  const SamplingPlan plan = SamplingPlan::make(method, n, vars);
  double ss = 0;
  for (int s = 0; s < seeds; ++s) {
    std::vector<double> f(n, 1.0);
    for (const std::uint64_t v : vars) {
      const std::vector<double> u = column(plan, Stream{std::uint64_t(1000 + s), v});
      for (std::uint64_t t = 0; t < n; ++t) f[t] *= 1 + (u[t] - 0.5);
    }
    const double mean = std::accumulate(f.begin(), f.end(), 0.0) / double(n);
    ss += (mean - 1) * (mean - 1);
  }
  return std::sqrt(ss / seeds);
}

TEST(Sampling, SmoothIntegrandErrorFallsFarBelowMonteCarlos) {
  const std::uint64_t n = 1u << 14;
  const double mc = std::sqrt((std::pow(13.0 / 12.0, 5) - 1) / double(n));  // 0.00548, exact
  // 40 seeds estimate an RMSE within about 11% (1 / sqrt(2 x 40)).
  const double measured_mc = rmse(Sampling::mc, n, 40);
  EXPECT_NEAR(measured_mc, mc, 0.55 * mc) << "the Monte Carlo baseline itself (5 SE of its RMSE)";
  // LHS removes the additive part: RMSE sqrt(0.0757 / n) = 0.39 of MC's.
  const double lhs = rmse(Sampling::lhs, n, 40);
  EXPECT_LT(lhs, 0.39 * mc * 1.55) << "LHS";
  EXPECT_GT(lhs, 0.39 * mc * 0.45) << "LHS removes the additive part only";
  // Scrambled Sobol': of order n^-1.5 for a smooth integrand.
  const double sobol = rmse(Sampling::sobol, n, 40);
  EXPECT_LT(sobol, mc / 50) << "sobol " << sobol << " against mc " << mc;
  // The rate: 16 times the trials cut MC's error 4 times; Sobol's far more.
  const double sobol_small = rmse(Sampling::sobol, n / 16, 40);
  std::printf("RMSE at n = %llu: mc %.3g (exact %.3g), lhs %.3g, sobol %.3g (at n/16: %.3g; mc at n/16: %.3g)\n",
              static_cast<unsigned long long>(n), measured_mc, mc, lhs, sobol, sobol_small, 4 * mc);
  EXPECT_GT(sobol_small / sobol, 10.0) << "sobol at n/16 " << sobol_small << ", at n " << sobol;
}

TEST(Sampling, ReplicateStandardErrorIsThatOfTheReplicateMeans) {
  std::vector<double> x(80);
  for (std::size_t t = 0; t < x.size(); ++t) x[t] = double(t % 8);  // replicate r is constant r
  // Replicate means 0..7: their sd is sqrt(6), the SE sqrt(6 / 8).
  EXPECT_NEAR(replicate_standard_error(x, 8), std::sqrt(6.0 / 8.0), 1e-12);
  EXPECT_NEAR(replicate_standard_error_below(x, 4.0, 8), std::sqrt(2.0 / 7.0 / 8.0), 1e-12);
  const std::vector<double> few{1, 2, 3};  // too few for replicates: sd / sqrt(n)
  EXPECT_NEAR(replicate_standard_error(few, 8), 1 / std::sqrt(3.0), 1e-12);
}

TEST(Sampling, NamesParse) {
  for (const Sampling s : {Sampling::mc, Sampling::lhs, Sampling::sobol}) EXPECT_EQ(parse_sampling(to_string(s)), s);
  EXPECT_FALSE(parse_sampling("qmc").has_value());
}

bool same_series(const RunResult& a, const RunResult& b) {
  if (a.msps.size() != b.msps.size()) return false;
  for (int o = 0; o < output_count; ++o) {
    if (!(a.portfolio[std::size_t(o)] == b.portfolio[std::size_t(o)])) return false;
    for (std::size_t m = 0; m < a.msps.size(); ++m)
      if (!(a.msps[m].series[std::size_t(o)] == b.msps[m].series[std::size_t(o)])) return false;
  }
  return true;
}

RunResult run(const Scenario& s, Sampling method, unsigned threads, std::size_t block = 4096,
              MspStats stats = MspStats::exact) {
  RunOptions o;
  o.trials = 20'000;
  o.threads = threads;
  o.block_trials = block;
  o.sampling = method;
  o.msp_stats = stats;
  return run_scenario(s, o);
}

TEST(SamplingEngine, ByteIdenticalForAnyThreadCountAndBlockSize) {
  const Scenario s = load_scenario({SWITCHCOST_SOURCE_DIR "/scenarios/kaspersky-2024/portfolio.yaml"});
  const RunResult mc = run(s, Sampling::mc, 2);
  for (const Sampling method : {Sampling::lhs, Sampling::sobol}) {
    const RunResult one = run(s, method, 1);
    EXPECT_EQ(one.sampling, method);
    EXPECT_TRUE(same_series(one, run(s, method, 2))) << to_string(method);
    EXPECT_TRUE(same_series(one, run(s, method, 3, 777))) << to_string(method);
    EXPECT_FALSE(same_series(one, mc)) << to_string(method) << " must change the values";
  }
}

// Sketch mode re-runs the portfolio's tail trials from a list (checked bit
// for bit against the first pass inside the engine), so it runs under lhs;
// its moments and tail sums are the same for any thread count.
TEST(SamplingEngine, SketchModeRunsUnderLhsAndIsDeterministic) {
  const Scenario s = load_scenario({SWITCHCOST_SOURCE_DIR "/scenarios/kaspersky-2024/portfolio.yaml"});
  const RunResult one = run(s, Sampling::lhs, 1, 4096, MspStats::sketch);
  const RunResult two = run(s, Sampling::lhs, 2, 4096, MspStats::sketch);
  ASSERT_TRUE(one.complete);
  EXPECT_TRUE(one.portfolio == two.portfolio);
  for (std::size_t m = 0; m < one.msps.size(); ++m) {
    EXPECT_EQ(one.msps[m].sketch->tail_total_cost, two.msps[m].sketch->tail_total_cost);
    const auto& a = one.msps[m].sketch->moments[std::size_t(Output::total_cost)];
    const auto& b = two.msps[m].sketch->moments[std::size_t(Output::total_cost)];
    EXPECT_EQ(a.mean(), b.mean());
  }
  // Its portfolio is exact mode's.
  EXPECT_TRUE(one.portfolio == run(s, Sampling::lhs, 2).portfolio);
}

// The SE sobol reports (from the replicate means) is the real one: against
// the SD of the means of 24 seeds (known within about 15%; the RMS of 24
// replicate SEs, each with 7 degrees of freedom, within about 6%: their
// ratio within about 16%), a band of a factor 2.5 each way holds by more
// than 5 of those SEs. sd/sqrt(n), the independent-trials formula, is 5
// times too large on this model; replicates scrambled alike (seeds r apart,
// unhashed) gave 1.7 times.
TEST(SamplingEngine, SobolReplicateStandardErrorIsHonest) {
  const Scenario s = load_scenario({SWITCHCOST_SOURCE_DIR "/scenarios/kaspersky-2024/msp-350.yaml"});
  std::vector<double> means, ses;
  double naive = 0;
  for (std::uint64_t seed = 1; seed <= 24; ++seed) {
    RunOptions o;
    o.trials = 8192;
    o.threads = 2;
    o.seed = seed;
    o.sampling = Sampling::sobol;
    const RunResult r = run_scenario(s, o);
    const auto& x = r.portfolio[std::size_t(Output::total_expected_cost)];
    means.push_back(std::accumulate(x.begin(), x.end(), 0.0) / double(x.size()));
    ses.push_back(replicate_standard_error(x, sobol_replicates));
    double ss = 0;
    for (double v : x) ss += (v - means.back()) * (v - means.back());
    naive += ss / double(x.size() - 1) / double(x.size());
  }
  const double m = std::accumulate(means.begin(), means.end(), 0.0) / double(means.size());
  double ss = 0, printed = 0;
  for (std::size_t i = 0; i < means.size(); ++i) {
    ss += (means[i] - m) * (means[i] - m);
    printed += ses[i] * ses[i];
  }
  const double real = std::sqrt(ss / double(means.size() - 1));
  printed = std::sqrt(printed / double(ses.size()));
  naive = std::sqrt(naive / double(ses.size()));
  std::printf("mean total over 24 seeds: SD of the means %.2f, replicate SE (RMS) %.2f, sd/sqrt(n) %.2f\n", real,
              printed, naive);
  EXPECT_GT(printed, real / 2.5);
  EXPECT_LT(printed, real * 2.5);
  EXPECT_GT(naive, 2.5 * real) << "sobol must beat independent trials clearly on this model";
}

// Alternatives run together draw a shared input the same (common random
// numbers): the same scenario twice gives the same results twice.
TEST(SamplingEngine, AlternativesShareTheirDraws) {
  const Scenario s = load_scenario({SWITCHCOST_SOURCE_DIR "/scenarios/kaspersky-2024/msp-350.yaml"});
  for (const Sampling method : {Sampling::lhs, Sampling::sobol}) {
    RunOptions o;
    o.trials = 8'000;
    o.threads = 2;
    o.sampling = method;
    const auto both = run_scenarios({&s, &s}, o);
    EXPECT_TRUE(both[0].portfolio == both[1].portfolio) << to_string(method);
    EXPECT_TRUE(both[0].portfolio == run_scenario(s, o).portfolio) << to_string(method);
  }
}

}  // namespace
}  // namespace switchcost::sim

// Statistics of a series: hand-computed values, and the coverage of the
// percentile confidence interval on a case with a known answer.
#include "sim/summary.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "sim/random.h"

namespace switchcost::sim {
namespace {

TEST(Summary, HandComputedMoments) {
  std::vector<double> x(10);
  std::iota(x.begin(), x.end(), 1.0);  // 1..10
  const Stats st = summarize(x);
  EXPECT_EQ(st.n, 10u);
  EXPECT_DOUBLE_EQ(st.mean, 5.5);
  // sample variance = sum (i - 5.5)^2 / 9 = 82.5 / 9 = 9.1666..
  EXPECT_NEAR(st.sd, std::sqrt(82.5 / 9.0), 1e-12);
  EXPECT_NEAR(st.se, std::sqrt(82.5 / 9.0) / std::sqrt(10.0), 1e-12);
  EXPECT_EQ(st.min, 1.0);
  EXPECT_EQ(st.max, 10.0);
  // type 7: h = 9 p; P50 -> h = 4.5 -> 5 + 0.5 (6 - 5) = 5.5; P90 -> h = 8.1 -> 9 + 0.1 = 9.1
  EXPECT_NEAR(st.at(0.5).value, 5.5, 1e-12);
  EXPECT_NEAR(st.at(0.9).value, 9.1, 1e-12);
  // CVaR95: the worst ceil(0.05 * 10) = 1 value
  EXPECT_EQ(st.cvar95, 10.0);
}

TEST(Summary, TailMeanOfHundred) {
  std::vector<double> x(100);
  std::iota(x.begin(), x.end(), 1.0);
  // worst 5: 96..100, mean 98
  EXPECT_DOUBLE_EQ(summarize(x).cvar95, 98.0);
}

TEST(Summary, OrderDoesNotMatterForQuantiles) {
  std::vector<double> x = {5, 1, 4, 2, 3};
  const Stats st = summarize(x);
  EXPECT_EQ(st.at(0.5).value, 3.0);
  EXPECT_NEAR(st.at(0.9).value, 4.6, 1e-12);  // h = 3.6 -> 4 + 0.6
}

TEST(Summary, EmptyAndSingle) {
  EXPECT_EQ(summarize({}).n, 0u);
  const Stats one = summarize({7.0});
  EXPECT_EQ(one.mean, 7.0);
  EXPECT_EQ(one.sd, 0.0);
  EXPECT_EQ(one.at(0.99).value, 7.0);
  EXPECT_EQ(one.cvar95, 7.0);
}

TEST(Summary, CompensatedSumKeepsSmallTerms) {
  std::vector<double> x(1001, 1e-3);
  x[0] = 1e16;
  // exact mean = (1e16 + 1000 * 1e-3) / 1001; a naive sum loses the small terms
  EXPECT_DOUBLE_EQ(summarize(x).mean, (1e16 + 1.0) / 1001.0);
}

TEST(Summary, ShareAtMost) {
  const Proportion p = share_at_most({1, 2, 3, 4}, 2.5);
  EXPECT_DOUBLE_EQ(p.value, 0.5);
  EXPECT_DOUBLE_EQ(p.se, std::sqrt(0.25 / 4));
}

// The 95% interval of the median of U(0,1) samples covers 0.5 in about 95%
// of 400 replications (at least 95%: order-statistic intervals are
// conservative). SE of the coverage = sqrt(.95 .05 / 400) = 1.09%, so 5 SE
// below 95% is 89.5%.
TEST(Summary, MedianIntervalCoverage) {
  const int replications = 400;
  const std::size_t n = 1000;
  int covered90 = 0, covered50 = 0;
  std::vector<double> x(n);
  for (int r = 0; r < replications; ++r) {
    fill_uniforms(Stream{12345, variable_id("coverage")}, std::uint64_t(r) * n, n, 0, x.data());
    const Stats st = summarize(x);
    covered50 += st.at(0.5).lo <= 0.5 && 0.5 <= st.at(0.5).hi;
    covered90 += st.at(0.9).lo <= 0.9 && 0.9 <= st.at(0.9).hi;
  }
  EXPECT_GE(covered50, int(0.895 * replications)) << "coverage of the P50 interval";
  EXPECT_GE(covered90, int(0.895 * replications)) << "coverage of the P90 interval";
  // and not absurdly wide: below 100% coverage - 5 SE would need > 99.9%; check width instead
  const Stats st = summarize(x);
  EXPECT_LT(st.at(0.5).hi - st.at(0.5).lo, 0.1);
}

}  // namespace
}  // namespace switchcost::sim

// Statistics of a series: hand-computed values, and the coverage of the
// percentile confidence interval on a case with a known answer.
#include "sim/stats/summary.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>

#include "sim/base/error.h"
#include "sim/base/format.h"
#include "sim/random/random.h"
#include "sim/stats/sketch.h"

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

// Stats::top_share: the share of the sum in the largest ceil(0.1% n) values
// (at least one), from the series and from a sketch.
TEST(Summary, TopShareHandComputed) {
  std::vector<double> x(10);
  std::iota(x.begin(), x.end(), 1.0);  // 1..10, sum 55: the top one is 10
  EXPECT_EQ(top_share_count(10), 1u);
  EXPECT_NEAR(summarize(x).top_share, 10.0 / 55.0, 1e-15);
  // 5,000 trials, 5 in the top 0.1%: four of 1,000 and one of 10 carry 4,010 of 4,010 + 4,995 x 1.
  std::vector<double> y(5'000, 1.0);
  y[17] = 1'000;
  y[400] = 1'000;
  y[2'000] = 1'000;
  y[4'999] = 1'000;
  y[3] = 10;
  EXPECT_EQ(top_share_count(5'000), 5u);
  const double sum = 4'010 + 4'995;
  EXPECT_NEAR(summarize(y).top_share, 4'010 / sum, 1e-15);
  // A mean that rests on one trial.
  std::vector<double> one(100'000, 0.0);
  one[123] = 7;
  EXPECT_EQ(summarize(one).top_share, 1.0);
  // Not defined for a sum of 0 or a series with negative values.
  EXPECT_TRUE(std::isnan(summarize(std::vector<double>(10, 0.0)).top_share));
  EXPECT_TRUE(std::isnan(summarize(std::vector<double>{-1, 2, 3}).top_share));
  EXPECT_TRUE(std::isnan(summarize(std::vector<double>{}).top_share));
  // From a sketch: within its relative error of the series' value.
  MomentAccumulator moments;
  moments.add(BlockMoments::of(y.data(), y.size()));
  QuantileSketch sketch;
  sketch.add(y.data(), y.size());
  EXPECT_NEAR(summarize(moments, sketch).top_share, 4'010 / sum, 0.005 * 4'010 / sum);
  std::vector<double> negative = {-1, 2, 3};
  MomentAccumulator m2;
  m2.add(BlockMoments::of(negative.data(), negative.size()));
  QuantileSketch s2;
  s2.add(negative.data(), negative.size());
  EXPECT_TRUE(std::isnan(summarize(m2, s2).top_share));
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

// The order statistics are selected, not sorted: check them against a full
// sort on series with ties, of every small length and a few large ones.
TEST(Summary, SelectedOrderStatisticsEqualAFullSort) {
  const Stream stream{11, 5};
  // Series shaped to stress the histogram that narrows the selection: ties,
  // both signs and zeros, a mass at zero with a few huge values (most values
  // in one bucket), values one ulp apart, a constant, a 600-decade range.
  const std::vector<std::function<double(std::size_t, double)>> shapes = {
      [](std::size_t, double u) { return std::floor(50 * u) * 0.5; },
      [](std::size_t, double u) { return (u < 0.3 ? -1 : 1) * std::exp(40 * (u - 0.5)) * (u < 0.4 && u > 0.35 ? 0 : 1); },
      [](std::size_t i, double u) { return u < 0.93 ? 0.0 : (i % 7 == 0 ? 1e300 : u * 1e4); },
      [](std::size_t, double u) { return std::nextafter(1.0, 2.0 * double(u < 0.5)) + (u < 0.1 ? 1e-16 : 0.0); },
      [](std::size_t, double) { return -3.25; },
      [](std::size_t, double u) { return std::pow(10.0, 600 * u - 300); },
  };
  // (Longest but one, then shorter again: the histogram and the gathered values
  // live in per-thread scratch reused from call to call.)
  for (std::size_t n : {1u, 2u, 3u, 4u, 5u, 7u, 19u, 20u, 21u, 99u, 100u, 101u, 1000u, 4097u, 100000u, 21u, 3u}) {
    for (const auto& shape : shapes) {
      std::vector<double> x(n);
      for (std::size_t i = 0; i < n; ++i) x[i] = shape(i, uniform(stream, i, 0));
      std::vector<double> s(x);
      std::sort(s.begin(), s.end());
      const Stats st = summarize(x);
      const double dn = double(n);
      ASSERT_EQ(st.min, s.front()) << n;
      ASSERT_EQ(st.max, s.back()) << n;
      for (const auto& q : st.percentiles) {
        const double h = (dn - 1) * q.p;
        const auto lo = std::size_t(std::floor(h));
        const auto hi = std::min(lo + 1, n - 1);
        ASSERT_EQ(q.value, s[lo] + (h - double(lo)) * (s[hi] - s[lo])) << n << " p " << q.p;
        const double half = 1.959963984540054 * std::sqrt(dn * q.p * (1 - q.p));
        ASSERT_EQ(q.lo, s[std::size_t(std::max(0.0, std::floor(dn * q.p - half) - 1))]) << n << " p " << q.p;
        ASSERT_EQ(q.hi, s[std::size_t(std::max(0.0, std::min(dn - 1, std::ceil(dn * q.p + half) - 1)))]) << n;
      }
      const auto tail = std::max<std::size_t>(1, std::size_t(std::ceil(0.05 * dn)));
      double worst = 0;
      for (std::size_t i = n - tail; i < n; ++i) worst += s[i];
      ASSERT_NEAR(st.cvar95, worst / double(tail), 1e-12 * std::fabs(worst)) << n;
      // The short form gives summarize's bits.
      for (const double p : percentile_levels()) {
        const MeanAndPercentile short_form = mean_and_percentile(x, p);
        ASSERT_EQ(short_form.mean, st.mean) << n;
        ASSERT_EQ(short_form.value, st.at(p).value) << n << " p " << p;
      }
    }
  }
}

TEST(Summary, EmptyAndSingle) {
  EXPECT_EQ(summarize({}).n, 0u);
  EXPECT_EQ(mean_and_percentile({}, 0.9).mean, 0.0);
  EXPECT_EQ(mean_and_percentile({}, 0.9).value, 0.0);
  const std::vector<double> seven = {7.0};
  const Stats one = summarize(seven);
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

TEST(Summary, ShareBelow) {
  const std::vector<double> four = {1, 2, 3, 4};
  const Proportion p = share_below(four, 2.5);
  EXPECT_DOUBLE_EQ(p.value, 0.5);
  EXPECT_DOUBLE_EQ(p.se, std::sqrt(0.25 / 4));
  // Strictly below: a value at the threshold does not count (a migration
  // that completes at the very moment updates stop is not done before).
  EXPECT_DOUBLE_EQ(share_below(four, 3).value, 0.5);
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

// Counts beyond a long long (10,000 MSPs of 1e15 endpoints) print right,
// not through an overflowing llround.
TEST(Format, CountsOfAnySize) {
  EXPECT_EQ(format_count(0), "0");
  EXPECT_EQ(format_count(349.6), "350");
  EXPECT_EQ(format_count(1234567), "1,234,567");
  EXPECT_EQ(format_count(1e19), "10,000,000,000,000,000,000");
  EXPECT_EQ(format_count(1e22), "1e+22");
  EXPECT_EQ(format_count(std::numeric_limits<double>::infinity()), "n/a");
}

// A cell wider than its column keeps a space before it (the row widens).
TEST(Format, CellsNeverRunTogether) {
  EXPECT_EQ(pad_left("$1", 5), "   $1");
  EXPECT_EQ(pad_left("$1,234", 5), " $1,234");
  EXPECT_EQ(pad_left("$1234", 5), " $1234");
  EXPECT_EQ(pad_left("$1,234", 5, 0), "$1,234");
  EXPECT_EQ(pad_left("\xc3\xa9t\xc3\xa9", 4), " \xc3\xa9t\xc3\xa9") << "widths count characters, not bytes";
  EXPECT_EQ(pad_right("\xc3\xa9", 3), "\xc3\xa9  ");
}

TEST(Format, CsvFieldsAreQuotedAndFormulasNeutralised) {
  EXPECT_EQ(csv_field("msp-350"), "msp-350");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field("cr\r"), "\"cr\r\"");
  for (const char* formula : {"=1+2", "+1", "-1", "@SUM(A1)", "\tx"})
    EXPECT_EQ(csv_field(formula), "\"'" + std::string(formula) + "\"") << formula;
  EXPECT_EQ(csv_field(" x"), "\" x\"");
  EXPECT_EQ(csv_field("bad\xff"), "bad\xEF\xBF\xBD") << "not UTF-8: U+FFFD";
  EXPECT_EQ(csv_field(""), "");
}

TEST(Format, JsonStringsAreValidUtf8WithControlsEscaped) {
  Json j;
  j.open("", '[');
  j.value("", std::string("q\"\\ \x1b[31m \xe2\x80\xae \xef\xbb\xbf \xc2\x85 \x7f \xff\xfe \xed\xa0\x80 \xc0\xaf \xc3\xa9"));
  j.close(']');
  EXPECT_EQ(j.str(),
            "[\"q\\\"\\\\ \\u001b[31m \\u202e \\ufeff \\u0085 \\u007f \\ufffd\\ufffd \\ufffd\\ufffd\\ufffd "
            "\\ufffd\\ufffd \xc3\xa9\"]\n");
}

TEST(Format, PrintableEscapesWhatCouldSteerATerminal) {
  EXPECT_EQ(printable("plain \xc3\xa9"), "plain \xc3\xa9");
  EXPECT_EQ(printable("a\nb\tc\rd"), "a\\nb\\tc\\rd");
  EXPECT_EQ(printable("\x1b[2J\x7f"), "\\x1B[2J\\x7F");
  EXPECT_EQ(printable("\xc2\x9b"), "\\u009B");
  EXPECT_EQ(printable("x\xe2\x80\xaey \xe2\x81\xa6 \xe2\x80\x8f \xef\xbb\xbf"), "x\\u202Ey \\u2066 \\u200F \\uFEFF");
  EXPECT_EQ(printable("bad\xff\xc3"), "bad\\xFF\\xC3");
  EXPECT_EQ(printable(printable("\x1b\xff\xe2\x80\xae")), printable("\x1b\xff\xe2\x80\xae")) << "idempotent";
}

}  // namespace
}  // namespace switchcost::sim

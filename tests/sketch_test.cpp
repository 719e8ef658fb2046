// Bounded-memory per-MSP statistics: the quantile sketch against exact order
// statistics (within its relative error, for heavy tails, negatives, zeros,
// constants, n = 1), merging in any order, block moments against
// summarize(), and the engine's sketch mode against its exact mode on the
// shipped portfolio (means and tail shares to the last bits, percentiles
// within 0.5%), for any thread count and across an interruption.
#include "sim/stats/sketch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cmath>
#include <cstring>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "sim/random/distribution.h"
#include "sim/engine/engine.h"
#include "sim/random/random.h"
#include "sim/report/report.h"
#include "sim/stats/summary.h"

namespace switchcost::sim {
namespace {

constexpr double alpha = QuantileSketch::default_relative_error;
constexpr double floor_ = QuantileSketch::default_zero_floor;
// alpha, plus what rounding in the bucket mapping and its inverse may add.
constexpr double bound = alpha * (1 + 1e-12);

using Generator = std::function<double(double u)>;

std::vector<double> sample(const Generator& g, std::size_t n, std::uint64_t seed) {
  const Stream stream{seed, variable_id("sketch-test")};
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = g(uniform(stream, i, 0));
  return x;
}

QuantileSketch sketch_of(const std::vector<double>& x) {
  QuantileSketch s;
  s.add(x.data(), x.size());
  return s;
}

// Every estimated order statistic within alpha relative of the exact one
// (values below the zero floor within the floor).
void expect_order_statistics_within_bound(const std::vector<double>& x, const std::string& what) {
  const QuantileSketch s = sketch_of(x);
  std::vector<double> sorted(x);
  std::sort(sorted.begin(), sorted.end());
  ASSERT_EQ(s.count(), x.size()) << what;
  EXPECT_EQ(s.min(), sorted.front()) << what;
  EXPECT_EQ(s.max(), sorted.back()) << what;
  std::vector<std::uint64_t> ranks(x.size());
  std::iota(ranks.begin(), ranks.end(), 0);
  const std::vector<double> est = s.order_statistics(ranks);
  for (std::size_t k = 0; k < x.size(); ++k) {
    const double exact = sorted[k];
    const double tolerance = std::fabs(exact) < floor_ ? floor_ : bound * std::fabs(exact);
    ASSERT_LE(std::fabs(est[k] - exact), tolerance) << what << ": rank " << k << " of " << x.size();
  }
  EXPECT_EQ(s.order_statistic(x.size() / 2), est[x.size() / 2]) << what;
  // The mean of the top k: within alpha of the exact one when they share a sign.
  for (std::size_t k : {std::size_t(1), std::size_t(2), tail_count(x.size()), x.size()}) {
    if (k > x.size()) continue;
    const double exact = std::accumulate(sorted.end() - std::ptrdiff_t(k), sorted.end(), 0.0) / double(k);
    double magnitude = 0;
    for (std::size_t i = x.size() - k; i < x.size(); ++i) magnitude += std::fabs(sorted[i]) + floor_;
    EXPECT_LE(std::fabs(s.top_mean(k) - exact), bound * magnitude / double(k) + 1e-9 * std::fabs(exact))
        << what << ": top " << k;
  }
}

const std::vector<std::pair<std::string, Generator>>& distributions() {
  static const std::vector<std::pair<std::string, Generator>> all = {
      {"uniform 1..1000", [](double u) { return 1 + 999 * u; }},
      {"lognormal sigma 2.5 (heavy tail)", [](double u) { return 5000 * std::exp(2.5 * normal_quantile(u)); }},
      {"normal crossing zero", [](double u) { return 300 + 1000 * normal_quantile(u); }},
      {"all negative", [](double u) { return -20 * std::exp(normal_quantile(u)); }},
      {"half zeros", [](double u) { return u < 0.5 ? 0.0 : 3 * u; }},
      {"tiny values below the floor", [](double u) { return u < 0.3 ? 1e-12 * u : u; }},
      {"constant", [](double) { return 42.5; }},
      {"constant zero", [](double) { return 0.0; }},
      {"Poisson counts (ties)", [](double u) { return poisson_quantile(3, u); }},
      {"dates (large, narrow)", [](double u) { return 19905 + std::floor(200 * u); }},
  };
  return all;
}

TEST(Sketch, OrderStatisticsWithinRelativeErrorOfTheExactOnes) {
  for (const auto& [name, g] : distributions())
    for (std::size_t n : {std::size_t(1), std::size_t(2), std::size_t(3), std::size_t(20), std::size_t(1001),
                          std::size_t(50'000)})
      expect_order_statistics_within_bound(sample(g, n, 7), name + ", n " + std::to_string(n));
}

TEST(Sketch, SingleValue) {
  QuantileSketch s;
  s.add(-3.25);
  EXPECT_EQ(s.count(), 1u);
  EXPECT_EQ(s.order_statistic(0), -3.25);  // the exact min and max
  EXPECT_EQ(s.top_mean(1), -3.25);
  const double x = -3.25;
  MomentAccumulator m;
  m.add(BlockMoments::of(&x, 1));
  const Stats st = summarize(m, s);
  EXPECT_EQ(st.mean, -3.25);
  EXPECT_EQ(st.sd, 0.0);
  EXPECT_EQ(st.at(0.5).value, -3.25);
  EXPECT_EQ(st.at(0.99).hi, -3.25);
  EXPECT_EQ(st.cvar95, -3.25);
}

TEST(Sketch, RepresentativeValuesSitInsideTheirBuckets) {
  // A sweep across binades, 20,000 mantissas each: every value's bucket
  // estimate within alpha, and some within 2% of alpha, so the widest buckets
  // (next to mantissa 1 + 2/3, sketch.h) span gamma: none is needlessly narrow.
  double worst = 0;
  for (int e : {-29, -7, -1, 0, 1, 10, 40, 900}) {
    for (int k = 0; k < 20'000; ++k) {
      const double x = std::ldexp(1.0 + k / 20'000.0, e);
      QuantileSketch s;
      for (int copy = 0; copy < 3; ++copy) s.add(x);
      s.add(x * 1e-3);  // so that the middle rank is not the exact min or max
      s.add(x * 1e3);
      const double error = std::fabs(s.order_statistic(2) - x) / x;
      ASSERT_LE(error, bound) << "x " << x << " e " << e << " k " << k;
      worst = std::max(worst, error);
    }
  }
  EXPECT_GE(worst, 0.98 * alpha);
}

TEST(Sketch, BucketsGrowWithTheRangeOfTheValues) {
  // 3 decades at alpha 0.005: 1000 = 2^9 x 1.953125, L(1000) = 9 + P(0.953125)
  // = 9.96497, times 1 / (C ln gamma) = 69.99788: 697.5 buckets (the exact
  // logarithm would need 690.8, so the mapping costs 1% more).
  const auto x = sample([](double u) { return std::pow(10.0, 3 * u); }, 200'000, 3);
  const QuantileSketch s = sketch_of(x);
  EXPECT_GE(s.bucket_count(), 696u);
  EXPECT_LE(s.bucket_count(), 699u);
  QuantileSketch c;
  for (int k = 0; k < 1000; ++k) c.add(19905.0);
  EXPECT_EQ(c.bucket_count(), 1u);
}

TEST(Sketch, MergeIsExactAndOrderIndependent) {
  // Both signs, zeros, and 40 decades per sign (so the stores collapse too).
  const auto x = sample(
      [](double u) { return (u < 0.2 ? -1.0 : 1.0) * (u < 0.9 ? std::exp(6 * normal_quantile(u)) : 0.0); }, 30'000, 11);
  const QuantileSketch whole = sketch_of(x);
  // Seven uneven parts, merged in three different orders and shapes.
  const std::vector<std::size_t> cuts = {0, 10, 500, 501, 7000, 20'000, 29'999, 30'000};
  std::vector<QuantileSketch> parts;
  for (std::size_t k = 0; k + 1 < cuts.size(); ++k) {
    QuantileSketch p;
    p.add(x.data() + cuts[k], cuts[k + 1] - cuts[k]);
    parts.push_back(p);
  }
  QuantileSketch forward, backward, tree;
  for (const auto& p : parts) forward.merge(p);
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) backward.merge(*it);
  QuantileSketch left, right;
  for (std::size_t k = 0; k < parts.size(); ++k) (k % 2 ? left : right).merge(parts[k]);
  tree.merge(right);
  tree.merge(left);
  for (const QuantileSketch* s : {&forward, &backward, &tree}) {
    EXPECT_TRUE(s->same_counts(whole));
    std::vector<std::uint64_t> ranks(x.size());
    std::iota(ranks.begin(), ranks.end(), 0);
    const auto a = s->order_statistics(ranks), b = whole.order_statistics(ranks);
    EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(double)));
    EXPECT_EQ(s->top_mean(1500), whole.top_mean(1500));
  }
  QuantileSketch twice = whole, doubled = whole;
  twice.merge(whole);
  doubled.merge(doubled);
  EXPECT_TRUE(doubled.same_counts(twice)) << "merging a sketch into itself doubles it";
  EXPECT_EQ(doubled.count(), 2 * whole.count());
  QuantileSketch empty;
  forward.merge(empty);
  EXPECT_TRUE(forward.same_counts(whole));
  empty.merge(whole);
  EXPECT_TRUE(empty.same_counts(whole));
}

TEST(Sketch, CollapsingKeepsTheTopBucketsExactlyAndIsOrderIndependent) {
  // 64 buckets (0.28 decades) for values spanning 12 decades: the lowest
  // collapse, the top 64 buckets stay within alpha.
  const std::size_t max_buckets = 64;
  const auto x = sample([](double u) { return std::pow(10.0, 12 * u - 3); }, 20'000, 5);
  QuantileSketch whole(alpha, floor_, max_buckets), forward(alpha, floor_, max_buckets),
      backward(alpha, floor_, max_buckets);
  whole.add(x.data(), x.size());
  EXPECT_LE(whole.bucket_count(), max_buckets);
  std::vector<QuantileSketch> parts;
  for (std::size_t k = 0; k < 10; ++k) {
    QuantileSketch p(alpha, floor_, max_buckets);
    p.add(x.data() + k * 2000, 2000);
    parts.push_back(p);
  }
  for (const auto& p : parts) forward.merge(p);
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) backward.merge(*it);
  EXPECT_TRUE(forward.same_counts(whole));
  EXPECT_TRUE(backward.same_counts(whole));
  std::vector<double> sorted(x);
  std::sort(sorted.begin(), sorted.end());
  // A bucket spans at least 0.96 ln(gamma) in log (the narrowest, next to
  // mantissa 2, 0.673 / 0.7 of the widest: sketch.h), so the top 64 cover
  // more than gamma^(0.96 x 63) below the max.
  const double gamma = (1 + alpha) / (1 - alpha);
  const double kept_from = sorted.back() / std::pow(gamma, 0.96 * (double(max_buckets) - 1));
  for (std::size_t k = 0; k < sorted.size(); ++k)
    if (sorted[k] > kept_from * gamma) {
      ASSERT_LE(std::fabs(whole.order_statistic(k) - sorted[k]), bound * sorted[k]) << "rank " << k;
    }
  EXPECT_EQ(whole.count(), x.size());
  EXPECT_EQ(whole.min(), sorted.front());
}

// add(block) computes the bucket indices in one vectorised pass and the
// range in four chains; it must count exactly as adding one by one does.
TEST(Sketch, BlockAddCountsAsSingleAdds) {
  const auto x = sample(
      [](double u) { return (u < 0.3 ? -1.0 : 1.0) * (u < 0.95 ? std::exp(8 * normal_quantile(u)) : 0.0); }, 10'007, 5);
  QuantileSketch block, single;
  block.add(x.data(), x.size());
  for (double v : x) single.add(v);
  EXPECT_TRUE(block.same_counts(single));
  EXPECT_EQ(block.min(), *std::min_element(x.begin(), x.end()));
  EXPECT_EQ(block.max(), *std::max_element(x.begin(), x.end()));
  // A block with a value that is not finite adds nothing.
  std::vector<double> bad = {1.0, 2.0, 3.0, 4.0, 5.0, std::nan(""), 7.0};
  EXPECT_THROW(block.add(bad.data(), bad.size()), std::invalid_argument);
  bad[5] = -INFINITY;
  EXPECT_THROW(block.add(bad.data(), bad.size()), std::invalid_argument);
  EXPECT_TRUE(block.same_counts(single));
}

// The block add's fast paths (a chunk all below the zero floor; a chunk
// counted after the stores grow once, zeros and both signs) must count
// exactly as single adds, also where collapsing (few buckets) sends a chunk
// to the slow path, after the other sign's store has grown.
TEST(Sketch, BlockFastPathsCountAsSingleAdds) {
  const auto positive = sample([](double u) { return std::exp(3 * normal_quantile(u)); }, 5'003, 11);
  const auto widening = sample([](double u) { return std::pow(10.0, 10 * u - 4); }, 5'003, 12);
  std::vector<double> zeros(3'000, 0.0);
  zeros[1'700] = 0.5 * floor_;
  zeros[2'900] = -0.5 * floor_;
  std::vector<double> mixed(positive);
  mixed.insert(mixed.end(), zeros.begin(), zeros.end());
  mixed.insert(mixed.end(), widening.begin(), widening.end());
  // Both signs and zeros interleaved, as a price difference or a cost that
  // is zero in most trials has them; and a negative side that widens while
  // the positive one stays put (the negative store collapses first).
  const auto signed_values = sample(
      [](double u) { return u < 0.4 ? 0.0 : (u < 0.7 ? -1.0 : 1.0) * std::exp(4 * normal_quantile(u)); }, 5'003, 13);
  const auto signed_widening = sample(
      [](double u) { return u < 0.5 ? 1.0 + u : -std::pow(10.0, 20 * u - 10); }, 5'003, 14);
  // Constant chunks (an output fixed in an MSP's inputs) are counted with
  // one bucket index; zeros of both signs and a zero extreme.
  const std::vector<double> constant(5'003, 1234.5), negative_constant(1'500, -7.25);
  std::vector<double> signed_zeros(2'000, 0.0);
  for (std::size_t i = 0; i < signed_zeros.size(); i += 3) signed_zeros[i] = i % 2 ? -0.0 : 2.5;
  const std::array<const std::vector<double>*, 9> series = {
      &positive, &widening, &zeros, &mixed, &signed_values, &signed_widening, &constant, &negative_constant,
      &signed_zeros};
  for (const std::size_t max_buckets : {std::size_t(64), std::size_t(4096), QuantileSketch::default_max_buckets}) {
    for (const std::vector<double>* x : series) {
      QuantileSketch block(alpha, floor_, max_buckets), single(alpha, floor_, max_buckets);
      // In pieces of uneven length, so that chunks start anywhere in the series.
      for (std::size_t start = 0, piece = 1; start < x->size(); start += piece, piece = piece * 3 + 1)
        block.add(x->data() + start, std::min(piece, x->size() - start));
      for (double v : *x) single.add(v);
      EXPECT_TRUE(block.same_counts(single)) << "max_buckets " << max_buckets << ", series of " << x->size();
      EXPECT_EQ(block.count(), x->size());
      EXPECT_EQ(block.bucket_count(), single.bucket_count());
      EXPECT_EQ(block.min(), single.min());
      EXPECT_EQ(block.max(), single.max());
      // add_finite (the caller checked) counts as add.
      QuantileSketch finite(alpha, floor_, max_buckets);
      finite.add_finite(x->data(), x->size());
      EXPECT_TRUE(finite.same_counts(single)) << "max_buckets " << max_buckets << ", series of " << x->size();
    }
  }
}

// Chunks with zeros or both signs are split by sign on the bits of each
// value and each sign's indices counted in one go: the same counts, the same
// allocation and the same bytes as single adds, for random patterns of
// signs (positive, negative, +-0, values on and just below the zero floor,
// subnormals), narrow and wide ranges, one sign alone, and stores that
// collapse (few buckets).
TEST(Sketch, ChunksSplitBySignCountAsSingleAdds) {
  const double below_floor = std::nextafter(floor_, 0.0);
  const std::array<Generator, 5> magnitudes = {
      [](double u) { return 1000 * (1 + 0.01 * u); },                // narrow: a few buckets
      [](double u) { return std::exp(3 * normal_quantile(u)); },       // a cost's spread
      [](double u) { return std::pow(10.0, 60 * u - 30); },            // 60 decades: collapses at 8192 buckets
      [](double u) { return std::pow(10.0, 2 * u - 9); },              // near the zero floor
      [](double u) { return u < 0.5 ? 1.0 : 1e12 * u; }};              // two clusters far apart
  // Signs: u picks zero-like values, negatives, positives in these shares.
  const std::array<std::array<double, 2>, 5> shares = {
      {{0.34, 0.67}, {0.5, 0.5}, {0.0, 0.5}, {0.1, 1.0}, {0.9, 0.95}}};  // (zeros, +) and (-) alone too
  const std::array<double, 6> zero_like = {0.0, -0.0, below_floor, -below_floor, 4.9e-324, -1e-310};
  std::uint64_t seed = 100;
  for (const std::size_t max_buckets : {std::size_t(64), std::size_t(700), QuantileSketch::default_max_buckets}) {
    for (const Generator& magnitude : magnitudes) {
      for (const auto& share : shares) {
        const auto kind = sample([](double u) { return u; }, 3'001, ++seed);
        const auto size = sample(magnitude, 3'001, ++seed);
        std::vector<double> x(kind.size());
        for (std::size_t i = 0; i < x.size(); ++i) {
          const double u = kind[i];
          x[i] = u < share[0] ? zero_like[i % zero_like.size()] : u < share[1] ? -size[i] : size[i];
          if (i % 97 == 0) x[i] = i % 2 ? floor_ : -floor_;  // on the floor: counted, not zero
        }
        QuantileSketch block(alpha, floor_, max_buckets), single(alpha, floor_, max_buckets);
        block.add_finite(x.data(), x.size());
        for (double v : x) single.add(v);
        const std::string what = "max_buckets " + std::to_string(max_buckets) + ", seed " + std::to_string(seed);
        EXPECT_TRUE(block.same_counts(single)) << what;
        EXPECT_EQ(block.bucket_count(), single.bucket_count()) << what;
        std::vector<unsigned char> block_bytes, single_bytes;
        block.append_bytes(block_bytes);
        single.append_bytes(single_bytes);
        EXPECT_EQ(block_bytes, single_bytes) << what;
      }
    }
  }
}

TEST(Sketch, RefusesWhatItCannotHold) {
  QuantileSketch s;
  EXPECT_THROW(s.add(std::nan("")), std::invalid_argument);
  EXPECT_THROW(s.add(INFINITY), std::invalid_argument);
  EXPECT_THROW(s.merge(QuantileSketch(0.01)), std::invalid_argument);
  EXPECT_THROW(QuantileSketch(0.0), std::invalid_argument);
  EXPECT_THROW(QuantileSketch(1.0), std::invalid_argument);
  EXPECT_THROW(QuantileSketch(alpha, 0.0), std::invalid_argument);
  s.add(1);
  EXPECT_THROW(s.order_statistic(1), std::invalid_argument);
  EXPECT_THROW(s.top_mean(2), std::invalid_argument);
  EXPECT_THROW(s.order_statistics({0, 0, 1}), std::invalid_argument);
  s.clear();
  EXPECT_EQ(s.count(), 0u);
  EXPECT_EQ(s.bucket_count(), 0u);
}

// Moments from blocks agree with summarize() on the whole series.
MomentAccumulator moments_of(const std::vector<double>& x, std::size_t block) {
  MomentAccumulator m;
  for (std::size_t first = 0; first < x.size(); first += block)
    m.add(BlockMoments::of(x.data() + first, std::min(block, x.size() - first)));
  return m;
}

TEST(Sketch, BlockMomentsAgreeWithTheWholeSeries) {
  for (const auto& [name, g] : distributions()) {
    for (std::size_t n : {std::size_t(1), std::size_t(2), std::size_t(4095), std::size_t(100'000)}) {
      const auto x = sample(g, n, 13);
      const Stats exact = summarize(x);
      for (std::size_t block : {std::size_t(1), std::size_t(7), std::size_t(4096), n}) {
        const MomentAccumulator m = moments_of(x, block);
        const std::string what = name + ", n " + std::to_string(n) + ", block " + std::to_string(block);
        EXPECT_EQ(m.count(), n) << what;
        // Relative to the scale of the values, not of a mean that may cancel to ~0.
        const double scale = std::fabs(exact.mean) + exact.sd;
        EXPECT_LE(std::fabs(m.mean() - exact.mean), 1e-14 * scale) << what;
        EXPECT_LE(std::fabs(m.sd() - exact.sd), 1e-12 * exact.sd + 1e-15 * scale) << what;
        EXPECT_LE(std::fabs(m.se() - exact.se), 1e-12 * exact.se + 1e-15 * scale) << what;
      }
    }
  }
}

// The block moments' contract to the bit: Knuth's TwoSum in eight
// interleaved lanes (trial i in lane i mod 8), the lanes then the
// compensations combined in lane order, written out here one value at a
// time; and the zero-block shortcut gives the same bits as the passes.
double reference_lane_sum(const std::vector<double>& x, bool squares, double mean) {
  double sum[8] = {}, comp[8] = {};
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double d = x[i] - mean;
    const double v = squares ? d * d : x[i];
    const double t = sum[i % 8] + v, bv = t - sum[i % 8];
    comp[i % 8] += (sum[i % 8] - (t - bv)) + (v - bv);
    sum[i % 8] = t;
  }
  NeumaierSum total;
  for (double v : sum) total.add(v);
  for (double v : comp) total.add(v);
  return total.value();
}

TEST(Sketch, BlockMomentsAreTheLaneSumsToTheBit) {
  for (const auto& [name, g] : distributions()) {
    for (std::size_t n : {std::size_t(1), std::size_t(7), std::size_t(8), std::size_t(4'093), std::size_t(4'096)}) {
      const auto x = sample(g, n, 29);
      const BlockMoments b = BlockMoments::of(x.data(), n);
      const double sum = reference_lane_sum(x, false, 0.0);
      const double m2 = reference_lane_sum(x, true, sum / double(n));
      EXPECT_EQ(std::bit_cast<std::uint64_t>(b.sum), std::bit_cast<std::uint64_t>(sum)) << name << ", n " << n;
      EXPECT_EQ(std::bit_cast<std::uint64_t>(b.m2), std::bit_cast<std::uint64_t>(m2)) << name << ", n " << n;
      const auto [lo, hi] = std::minmax_element(x.begin(), x.end());
      const BlockMoments known = BlockMoments::of(x.data(), n, *lo, *hi);
      EXPECT_EQ(std::bit_cast<std::uint64_t>(known.sum), std::bit_cast<std::uint64_t>(b.sum)) << name;
      EXPECT_EQ(std::bit_cast<std::uint64_t>(known.m2), std::bit_cast<std::uint64_t>(b.m2)) << name;
    }
  }
  for (std::size_t n : {std::size_t(1), std::size_t(9), std::size_t(4'096)}) {
    std::vector<double> zeros(n, 0.0);
    for (std::size_t i = 0; i < n; i += 2) zeros[i] = -0.0;
    const BlockMoments passes = BlockMoments::of(zeros.data(), n), known = BlockMoments::of(zeros.data(), n, -0.0, 0.0);
    EXPECT_EQ(known.n, n);
    for (double v : {passes.sum, passes.m2, known.sum, known.m2}) EXPECT_EQ(std::bit_cast<std::uint64_t>(v), 0u);
  }
}

TEST(Sketch, StatsFromTheSketchAgreeWithExactStats) {
  for (const auto& [name, g] : distributions()) {
    for (std::size_t n : {std::size_t(1), std::size_t(19), std::size_t(20'000)}) {
      const auto x = sample(g, n, 17);
      const Stats exact = summarize(x);
      const Stats est = summarize(moments_of(x, 4096), sketch_of(x));
      std::vector<double> sorted(x);
      std::sort(sorted.begin(), sorted.end());
      const std::string what = name + ", n " + std::to_string(n);
      EXPECT_EQ(est.n, exact.n);
      EXPECT_EQ(est.min, exact.min) << what;
      EXPECT_EQ(est.max, exact.max) << what;
      for (std::size_t k = 0; k < exact.percentiles.size(); ++k) {
        const Percentile &e = exact.percentiles[k], &s = est.percentiles[k];
        const PercentileRanks r = percentile_ranks(n, e.p);
        const double span = std::max(std::fabs(sorted[r.below]), std::fabs(sorted[r.above])) + floor_;
        EXPECT_LE(std::fabs(s.value - e.value), bound * span) << what << " p" << e.p;
        EXPECT_LE(std::fabs(s.lo - e.lo), bound * std::fabs(e.lo) + floor_) << what << " p" << e.p;
        EXPECT_LE(std::fabs(s.hi - e.hi), bound * std::fabs(e.hi) + floor_) << what << " p" << e.p;
      }
      double magnitude = 0;
      const std::size_t tail = tail_count(n);
      for (std::size_t i = n - tail; i < n; ++i) magnitude += std::fabs(sorted[i]) + floor_;
      EXPECT_LE(std::fabs(est.cvar95 - exact.cvar95), bound * magnitude / double(tail) + 1e-12 * std::fabs(exact.cvar95))
          << what;
    }
  }
}

TEST(Sketch, OriginShiftsTheRelativeError) {
  // Dates as days after a start: relative error on the span, not on 19,905 days.
  const auto x = sample([](double u) { return 19905 + 30 + 60 * u; }, 10'000, 19);
  QuantileSketch shifted;
  for (double v : x) shifted.add(v - 19905);
  const Stats est = summarize(moments_of(x, 4096), shifted, 19905);
  const Stats exact = summarize(x);
  EXPECT_EQ(est.min, exact.min);
  EXPECT_EQ(est.max, exact.max);
  for (std::size_t k = 0; k < exact.percentiles.size(); ++k)
    EXPECT_LE(std::fabs(est.percentiles[k].value - exact.percentiles[k].value), 90 * bound);  // < 0.5 day
}

// ---------------------------------------------------------------------------
// The engine's sketch mode against its exact mode.

const Scenario& shipped_portfolio() {
  static const Scenario s = load_scenario({SWITCHCOST_SOURCE_DIR "/scenarios/kaspersky-2024/portfolio.yaml"});
  return s;
}

RunResult run(const Scenario& s, MspStats mode, std::uint64_t trials, unsigned threads, std::size_t block = 4096) {
  RunOptions o;
  o.trials = trials;
  o.threads = threads;
  o.block_trials = block;
  o.msp_stats = mode;
  return run_scenario(s, o);
}

bool same_bytes(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

bool same_sketch_results(const RunResult& a, const RunResult& b) {
  if (a.trials_done != b.trials_done || a.msps.size() != b.msps.size()) return false;
  for (std::size_t m = 0; m < a.msps.size(); ++m) {
    const MspSketch &x = *a.msps[m].sketch, &y = *b.msps[m].sketch;
    for (int o = 0; o < output_count; ++o) {
      const auto k = std::size_t(o);
      if (!same_bytes(x.moments[k].mean(), y.moments[k].mean()) || !same_bytes(x.moments[k].sd(), y.moments[k].sd()) ||
          !x.quantiles[k].same_counts(y.quantiles[k]))
        return false;
    }
    if (x.done_before_updates_stop != y.done_before_updates_stop || !same_bytes(x.tail_total_cost, y.tail_total_cost)) return false;
  }
  for (int o = 0; o < output_count; ++o)
    if (a.portfolio[std::size_t(o)] != b.portfolio[std::size_t(o)]) return false;
  return true;
}

TEST(SketchEngine, AgreesWithExactModeOnTheShippedPortfolio) {
  const Scenario& s = shipped_portfolio();
  const RunResult exact = run(s, MspStats::exact, 20'000, 2);
  const RunResult sketch = run(s, MspStats::sketch, 20'000, 2);
  ASSERT_EQ(sketch.msp_stats, MspStats::sketch);
  ASSERT_TRUE(sketch.complete);
  for (const auto& m : sketch.msps)
    for (const auto& v : m.series) EXPECT_TRUE(v.empty()) << "sketch mode keeps no per-MSP series";
  const RunInfo info;
  const ReportData de = build_report(s, exact, info), ds = build_report(s, sketch, info);
  ASSERT_EQ(de.msps.size(), ds.msps.size());
  const double origin = double(s.timeline.migration_start);
  for (std::size_t m = 0; m < de.msps.size(); ++m) {
    const ScopeReport &e = de.msps[m], &k = ds.msps[m];
    EXPECT_EQ(e.tail_share, k.tail_share) << e.name << ": the tail pass sums the same trials in the same order";
    EXPECT_EQ(e.tail_mean, k.tail_mean) << e.name;
    EXPECT_EQ(e.done_before_updates_stop.value, k.done_before_updates_stop.value) << e.name;
    EXPECT_EQ(e.done_before_updates_stop.se, k.done_before_updates_stop.se) << e.name;
    for (int o = 0; o < output_count; ++o) {
      const Stats &a = e.stats[std::size_t(o)], &b = k.stats[std::size_t(o)];
      const std::string what = e.name + " " + output_key(Output(o));
      const double shift = Output(o) == Output::completion_day ? origin : 0.0;
      EXPECT_EQ(a.n, b.n) << what;
      EXPECT_EQ(a.min, b.min) << what;
      EXPECT_EQ(a.max, b.max) << what;
      const double scale = std::fabs(a.mean) + a.sd;
      EXPECT_LE(std::fabs(a.mean - b.mean), 1e-12 * scale) << what;
      EXPECT_LE(std::fabs(a.sd - b.sd), 1e-12 * a.sd + 1e-15 * scale) << what;
      EXPECT_LE(std::fabs(a.se - b.se), 1e-12 * a.se + 1e-15 * scale) << what;
      // Percentiles within alpha (of the span after the origin, for dates).
      const auto& series = exact.msp_series(m)[std::size_t(o)];
      std::vector<double> sorted(series.begin(), series.end());
      std::sort(sorted.begin(), sorted.end());
      for (std::size_t q = 0; q < a.percentiles.size(); ++q) {
        const PercentileRanks r = percentile_ranks(sorted.size(), a.percentiles[q].p);
        const double span = std::max(std::fabs(sorted[r.below] - shift), std::fabs(sorted[r.above] - shift));
        EXPECT_LE(std::fabs(a.percentiles[q].value - b.percentiles[q].value), bound * span + floor_ + 1e-9)
            << what << " p" << a.percentiles[q].p;
        EXPECT_LE(std::fabs(a.percentiles[q].lo - b.percentiles[q].lo), bound * std::fabs(a.percentiles[q].lo - shift) + 1e-9)
            << what;
        EXPECT_LE(std::fabs(a.percentiles[q].hi - b.percentiles[q].hi), bound * std::fabs(a.percentiles[q].hi - shift) + 1e-9)
            << what;
      }
      EXPECT_LE(std::fabs(a.cvar95 - b.cvar95), bound * std::fabs(a.cvar95 - shift) + 1e-9) << what;
    }
  }
  // The portfolio is exact in both modes: the same statistics.
  for (int o = 0; o < output_count; ++o) {
    const Stats &a = de.portfolio.stats[std::size_t(o)], &b = ds.portfolio.stats[std::size_t(o)];
    EXPECT_EQ(a.mean, b.mean);
    EXPECT_EQ(a.at(0.95).value, b.at(0.95).value);
    EXPECT_EQ(a.cvar95, b.cvar95);
  }
  EXPECT_EQ(render_json(de).find("\"msp_stats\":\"sketch\""), std::string::npos);
  EXPECT_NE(render_json(ds).find("\"msp_stats\":\"sketch\",\"sketch_relative_error\":0.005"), std::string::npos);
  EXPECT_NE(render_table(ds).find("quantile sketches"), std::string::npos);
  EXPECT_EQ(render_table(de).find("quantile sketches"), std::string::npos);
}

TEST(SketchEngine, ByteIdenticalForAnyThreadCountAndBlockOption) {
  const Scenario& s = shipped_portfolio();
  const RunResult one = run(s, MspStats::sketch, 30'000, 1);
  EXPECT_TRUE(same_sketch_results(one, run(s, MspStats::sketch, 30'000, 2)));
  EXPECT_TRUE(same_sketch_results(one, run(s, MspStats::sketch, 30'000, 3, 777)))
      << "sketch mode blocks are always sketch_block_trials";
  EXPECT_FALSE(same_sketch_results(one, run(s, MspStats::sketch, 29'999, 1)));
}

TEST(SketchEngine, ManyMspsAndThreadsGiveTheSameBytes) {
  const Scenario s = load_scenario({SWITCHCOST_SOURCE_DIR "/scenarios/kaspersky-2024/population-200.yaml"});
  const RunResult one = run(s, MspStats::sketch, 9'000, 1);
  EXPECT_TRUE(same_sketch_results(one, run(s, MspStats::sketch, 9'000, 4)));
  // Real sketches stay within the memory the estimate assumes for them.
  std::size_t bytes = 0, sketches = 0;
  for (const auto& m : one.msps)
    for (const auto& q : m.sketch->quantiles) {
      bytes += q.memory_bytes();
      ++sketches;
    }
  EXPECT_LE(double(bytes) / double(sketches), double(sizeof(QuantileSketch) + sketch_buckets_assumed(9'000) * 4));
}

TEST(SketchEngine, InterruptedRunIsThePrefixRun) {
  const Scenario& s = shipped_portfolio();
  for (unsigned threads : {1u, 2u}) {
    std::atomic<bool> stop{false};
    RunOptions o;
    o.trials = 60'000;
    o.threads = threads;
    o.msp_stats = MspStats::sketch;
    o.stop = &stop;
    o.progress = [&](std::uint64_t done, std::uint64_t) {
      if (done >= 12'000) stop = true;
    };
    const RunResult part = run_scenario(s, o);
    EXPECT_FALSE(part.complete);
    ASSERT_GT(part.trials_done, 0u);
    EXPECT_LT(part.trials_done, 60'000u);
    EXPECT_EQ(part.trials_done % sketch_block_trials, 0u);
    for (const auto& m : part.msps) EXPECT_EQ(m.sketch->moments[0].count(), part.trials_done);
    EXPECT_TRUE(same_sketch_results(part, run(s, MspStats::sketch, part.trials_done, 1)))
        << "a partial run is the run of its trials";
  }
  // Stopped before any trial: no statistics, and no NaN in the reports.
  std::atomic<bool> stop{true};
  RunOptions o;
  o.trials = 1000;
  o.msp_stats = MspStats::sketch;
  o.stop = &stop;
  const RunResult none = run_scenario(s, o);
  EXPECT_EQ(none.trials_done, 0u);
  const ReportData d = build_report(s, none, RunInfo{});
  for (const std::string& text : {render_json(d), render_csv(d), render_table(d)}) {
    EXPECT_EQ(text.find("nan"), std::string::npos);
    EXPECT_EQ(text.find("inf"), std::string::npos);
  }
}

TEST(SketchEngine, MemoryEstimate) {
  const Scenario& s = shipped_portfolio();
  RunOptions o;
  o.trials = 1'000'000;
  o.threads = 2;
  const std::uint64_t exact = estimate_result_bytes(s, o);
  EXPECT_EQ(exact, estimate_result_bytes(s, o.trials));
  o.msp_stats = MspStats::sketch;
  const std::uint64_t sketch = estimate_result_bytes(s, o);
  // Portfolio series (8 B per output and trial) and the tail pass (16 B per trial + 32 MiB).
  const std::uint64_t per_trial = 8u * output_count + 16u;
  EXPECT_GE(sketch, per_trial * o.trials + (32u << 20));
  EXPECT_LT(sketch, per_trial * o.trials + (33u << 20));
  EXPECT_LT(sketch, exact / 2);
}

}  // namespace
}  // namespace switchcost::sim

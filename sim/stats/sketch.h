// Bounded-memory statistics of a long series that arrives in blocks: a
// mergeable quantile sketch with a relative-error guarantee (percentiles,
// their confidence intervals, CVaR95) and exact block moments (mean, SE, sd).
// The engine keeps one of each per MSP and output instead of the per-trial
// series when the series would not fit in memory (--msp-stats sketch).
//
// Quantile sketch (DDSketch: Masson, Rim and Lee, "DDSketch: a fast and fully
// mergeable quantile sketch with relative-error guarantees", VLDB 2019), with
// the cubically interpolated mapping of its reference implementation
// (DataDog's sketches-java) instead of a logarithm. With relative accuracy
// alpha (default 0.005) and gamma = (1 + alpha) / (1 - alpha), a value x with
// |x| >= zero_floor goes to bucket
//     i = ceil(L(|x|) / (C ln gamma)),  L(2^e (1 + s)) = e + P(s),  s in [0, 1),
//     P(s) = A s^3 + B s^2 + C s,  A = 6/35, B = -3/5, C = 10/7,
// of the positive or the negative store by its sign; |x| < zero_floor (default
// 1e-9) counts as zero (absolute error below zero_floor). L is a cubic
// stand-in for log2 (P(0) = 0, P(1) = 1), continuous and increasing across
// binades, read off the bits of x with three multiplications: no logarithm,
// no division, so a block's indices are one vectorised pass (adding a block
// of costs took 1.5x less time than with a logarithm, 2026-12-03). Bucket i
// holds (lo_i, hi_i] with L(lo_i) = (i - 1) C ln gamma and L(hi_i) = i C ln gamma, so
//     ln(hi_i / lo_i) = integral of dL / ((1 + s) P'(s)) <= C ln gamma / C = ln gamma,
// since (1 + s) P'(s) >= C on [0, 1] (equality at s = 0 and s = 2/3; its top,
// 52/35 at s = 1, makes the narrowest buckets, 0.96 ln gamma). Bucket i
// stands for the value sign * 2 lo_i hi_i / (lo_i + hi_i), which is within
//     |estimate - x| <= (hi_i - lo_i) / (hi_i + lo_i) |x| <= alpha |x|
// of every x in the bucket (lo_i and hi_i are found from L by Newton's
// method). Counts are integers, min, max and n are exact, and merging adds
// counts: a merge is exact, and the result does not depend on the order of
// adds and merges (byte-identical counts).
//
// Order statistic x(k) (0-based rank k of n) is estimated by the value of the
// bucket holding rank k, clamped to [min, max] (x(0) = min and x(n-1) = max
// exactly), so |estimate - x(k)| <= alpha |x(k)|: the sketch gives the same
// order statistics as a full sort, each within alpha relative (within
// zero_floor absolute for the values counted as zero). Up to rounding in L
// and its inverse, below 1e-12 relative on top of alpha, which may move a
// value lying on a bucket boundary into its neighbour. What follows
// (summarize() below):
//   type-7 percentile x(b) + f (x(b+1) - x(b)), 0 <= f < 1, from the two
//     estimates: error <= alpha max(|x(b)|, |x(b+1)|), alpha relative when
//     the two share a sign;
//   its 95% interval [x(lo), x(hi)]: each end within alpha |x(lo or hi)|;
//   CVaR95 = mean of the top t = max(1, ceil(0.05 n)) order statistics, from
//     their estimates: error <= alpha mean(|x|) over them, alpha relative when
//     they share a sign.
//
// Memory: one 32-bit count per bucket between the smallest and the largest
// |x| seen (per sign): about 1.01 log(max/min) / log(gamma) buckets (the
// mapping's 1/C = 0.7 against ln 2 = 0.693 for a logarithm), 232 per decade at
// alpha = 0.005 (a range of 3 decades is about 700 buckets, 2.8 KB). A store
// never exceeds max_buckets (default 8192, at least 34 decades at alpha =
// 0.005): past that, the buckets of the smallest |x| are merged into the
// lowest one kept (DDSketch's "collapsing lowest" store), so the guarantee
// then holds only for the top max_buckets buckets (per sign), at least for
// |x| >= largest|x| / gamma^(0.96 (max_buckets - 1)); only absurd inputs span so much.
// A bucket holds at most 2^32 - 1 values (more throws std::overflow_error).
//
// Block moments: the mean, sd and SE are exact statistics, not sketched.
// Each block of trials gives (Neumaier) sums of x and of (x - block mean)^2,
// in trial order in eight interleaved lanes (trial i in lane i mod 8, the
// lanes combined in lane order: a fixed order, vectorised); the blocks are combined in block order (Chan, Golub and
// LeVeque's pairwise update):
//     mean = S / n with S the compensated sum of the block sums;
//     M2 = sum over blocks of M2_b + d_b^2 n_a n_b / (n_a + n_b),
//          d_b = mean_b - mean_a (mean of the blocks before, n_a trials);
//     sd = sqrt(M2 / (n - 1)), SE = sd / sqrt(n).
// As blocks are fixed ranges of trials folded in a fixed order, the result is
// the same bytes for any thread count. It agrees with summarize() on the full
// series (one compensated pass for the mean, one for the squares) to about
// 1e-15 relative, not bit for bit: the roundings differ.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/stats/summary.h"

namespace switchcost::sim {

class QuantileSketch {
 public:
  static constexpr double default_relative_error = 0.005;
  static constexpr double default_zero_floor = 1e-9;
  static constexpr std::size_t default_max_buckets = 8192;

  // 0 < relative_error < 1, zero_floor > 0, max_buckets >= 2 (else
  // std::invalid_argument).
  explicit QuantileSketch(double relative_error = default_relative_error, double zero_floor = default_zero_floor,
                          std::size_t max_buckets = default_max_buckets);

  // x must be finite (else std::invalid_argument; a block with a
  // non-finite value adds nothing).
  void add(double x);
  void add(const double* x, std::size_t n);
  // The same for x known to be all finite (the caller checked: not checked
  // again; a non-finite value would be miscounted, never written out of bounds).
  void add_finite(const double* x, std::size_t n);
  // Adds other's counts; both must have the same parameters (else
  // std::invalid_argument).
  void merge(const QuantileSketch& other);
  // Empties the sketch; keeps the memory for reuse.
  void clear() noexcept;
  // Releases memory beyond the buckets in use.
  void shrink_to_fit();

  std::uint64_t count() const noexcept { return n_; }
  double min() const noexcept { return n_ ? min_ : 0.0; }
  double max() const noexcept { return n_ ? max_ : 0.0; }
  double relative_error() const noexcept { return alpha_; }
  double zero_floor() const noexcept { return floor_; }

  // Estimate of the order statistic of 0-based rank k (k < count()).
  double order_statistic(std::uint64_t k) const;
  // The same for several ranks at once, in one pass; ranks ascending.
  std::vector<double> order_statistics(const std::vector<std::uint64_t>& ranks) const;
  // Mean of the k largest values (1 <= k <= count()): the sum of their
  // order-statistic estimates over k, so within alpha relative of the exact
  // mean of the k largest when they share a sign (else within alpha times the
  // mean of their |x|).
  double top_mean(std::uint64_t k) const;

  // Buckets allocated (both signs) and bytes used: for memory estimates.
  std::size_t bucket_count() const noexcept { return positive_.counts.size() + negative_.counts.size(); }
  std::size_t memory_bytes() const noexcept;
  // Same parameters, n, min, max and counts in every bucket (the allocation
  // may differ).
  bool same_counts(const QuantileSketch& other) const noexcept;

  // The sketch as bytes (appended to out, in this machine's byte order), and
  // a sketch read back from them (advancing p; std::invalid_argument if they
  // end before `end`): the same parameters, n, min, max and counts. For
  // sending sketches between processes (sim/cli/distributed.h).
  void append_bytes(std::vector<unsigned char>& out) const;
  static QuantileSketch read_bytes(const unsigned char*& p, const unsigned char* end);

 private:
  // Counts of the buckets offset .. offset + counts.size() - 1 of one sign.
  struct Store {
    std::int32_t offset = 0;
    std::vector<std::uint32_t> counts;
    std::int32_t top = 0;        // highest index ever added (valid when counts non-empty)
    std::uint64_t total = 0;     // sum of counts
    void add(std::int32_t index, std::uint64_t count, std::size_t max_buckets, bool exact_growth);
    // Grows the store to hold indices lo..hi (lo <= hi, both about to be
    // added) and returns true, if that needs no collapsing; else changes
    // nothing and returns false. With exact_growth, to exactly the size needed
    // (for long-lived sketches), else geometrically.
    bool cover(std::int32_t lo, std::int32_t hi, std::size_t max_buckets, bool exact_growth);
    std::uint32_t at(std::int32_t index) const noexcept;
    bool same_counts(const Store& other) const noexcept;
  };

  std::int32_t index_of(double magnitude) const noexcept;  // magnitude >= floor_
  void add_at(double x, std::int32_t index);               // x finite, index = index_of(|x|) if |x| >= floor_
  void count_at(Store& store, std::int32_t index);         // one more in a bucket (checked)
  // One more in the bucket of each of index[0..m) (m > 0, all in
  // [first, last]); unchecked: no bucket can pass 2^32 - 1.
  void count_chunk(Store& store, const std::int32_t* index, std::size_t m, std::int32_t first, std::int32_t last,
                   bool unchecked);
  double value_of(std::int32_t index) const noexcept;      // harmonic mean of the bucket's ends
  double clamped(double v) const noexcept { return v < min_ ? min_ : v > max_ ? max_ : v; }

  double alpha_, floor_;
  double multiplier_;  // buckets per unit of the mapping L (1 / (C ln gamma), see above)
  std::size_t max_buckets_;
  Store positive_, negative_;
  std::uint64_t zero_ = 0, n_ = 0;
  double min_ = 0, max_ = 0;
};

// One block's contribution to MomentAccumulator, from its values in trial order.
struct BlockMoments {
  std::uint64_t n = 0;
  double sum = 0;  // compensated sum of x
  double m2 = 0;   // compensated sum of (x - sum / n)^2
  static BlockMoments of(const double* x, std::size_t n);
  // The same bits, given the least and the greatest of x (n > 0): a block of
  // zeros (min = max = 0) without a pass over it.
  static BlockMoments of(const double* x, std::size_t n, double min, double max);
};

// Exact mean, sd and SE of a series from its blocks, added in block order
// (the combination formula is in the comment at the top of this file).
class MomentAccumulator {
 public:
  void add(const BlockMoments& block);
  std::uint64_t count() const noexcept { return n_; }
  double mean() const noexcept;
  double sd() const noexcept;  // sample (n - 1); 0 for n < 2
  double se() const noexcept;  // sd / sqrt(n)

 private:
  std::uint64_t n_ = 0;
  NeumaierSum sum_, m2_;
};

// Stats of a series known by its moments and its sketch (same n): mean, SE
// and sd exact; min and max exact; percentiles (type 7 over estimated order
// statistics), their 95% intervals (the order statistics summarize() uses,
// estimated) and CVaR95 (the mean of the top tail_count(n) estimates), each
// within alpha relative when the values involved share a sign; top_share
// (the top 0.1% of estimated order statistics over the exact sum) within
// alpha relative. The sketch
// may hold x - origin rather than x (completion days, say, sketched as days
// after a start date, so the relative error is on the span): origin is added
// back to every value it gives.
Stats summarize(const MomentAccumulator& moments, const QuantileSketch& sketch, double origin = 0.0);

}  // namespace switchcost::sim

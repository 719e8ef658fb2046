// Statistics of a per-trial series: mean with its Monte Carlo standard error,
// spread, percentiles with distribution-free confidence intervals, tail mean.
// Computed from the whole series in trial order, so the result does not
// depend on how the trials were split across threads.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace switchcost::sim {

struct Percentile {
  double p = 0;       // [-] e.g. 0.9
  double value = 0;   // type-7 (linear interpolation) sample quantile
  double lo = 0;      // 95% confidence interval from order statistics
  double hi = 0;
};

struct Stats {
  std::uint64_t n = 0;
  double mean = 0;
  double se = 0;      // standard error of the mean: sd / sqrt(n)
  double sd = 0;      // sample standard deviation (n - 1)
  double min = 0;
  double max = 0;
  double cvar95 = 0;  // mean of the worst 5% of trials (at least one)
  // Share of the sum carried by the largest top_share_count(n) values (0.1%
  // of the trials, at least one): near 1, the mean rests on those few trials
  // and its SE, taken from the same few, is unreliable too. NaN unless every
  // value is >= 0 and the sum is > 0.
  double top_share = std::nan("");
  std::vector<Percentile> percentiles;  // at percentile_levels()

  // The percentile at level p (one of percentile_levels()).
  const Percentile& at(double p) const;
};

// 0.05, 0.10, 0.50, 0.90, 0.95, 0.99
const std::vector<double>& percentile_levels();

// The order statistics (0-based ranks in the sorted sample of n >= 1) that a
// percentile at level p uses: its type-7 value interpolates between `below`
// and `above` at h = (n - 1) p, value = x(below) + (h - below) (x(above) -
// x(below)); its 95% interval is [x(lo), x(hi)] with lo = floor(n p - d) - 1
// and hi = ceil(n p + d) - 1 clamped to [0, n - 1], d = 1.96 sqrt(n p (1 - p)).
struct PercentileRanks {
  std::size_t below = 0, above = 0, lo = 0, hi = 0;
  double h = 0;
};
PercentileRanks percentile_ranks(std::size_t n, double p);

// Trials in a 5% tail of n >= 1 trials: max(1, ceil(0.05 n)). CVaR95 is the
// mean of the largest this many values.
std::size_t tail_count(std::size_t n);

// Values in the top 0.1% of n >= 1 trials: max(1, ceil(0.001 n)) (Stats::top_share).
std::size_t top_share_count(std::size_t n);

// Neumaier's compensated sum: |error| <= 2 eps |sum| + O(n eps^2) sum |x_i|
// (eps = 2^-53), so it does not grow with the number of terms n in practice.
class NeumaierSum {
 public:
  void add(double x) {
    const double t = sum_ + x;
    comp_ += std::fabs(sum_) >= std::fabs(x) ? (sum_ - t) + x : (x - t) + sum_;
    sum_ = t;
  }
  double value() const { return sum_ + comp_; }

 private:
  double sum_ = 0, comp_ = 0;
};

// Statistics of x (empty x gives n = 0 and zeros). Sums are compensated
// (Neumaier) and taken in index order.
Stats summarize(std::span<const double> x);
// Only the mean and the value of percentile level p (one of
// percentile_levels()), the same bits as summarize(x).mean and
// summarize(x).at(p).value, for a fraction of the work (compare's per-MSP
// table).
struct MeanAndPercentile {
  double mean = 0;
  double value = 0;
};
MeanAndPercentile mean_and_percentile(std::span<const double> x, double p);
// The mean alone, the same bits as summarize(x).mean (0 for empty x).
double mean_of(std::span<const double> x);

// Share of x strictly below threshold, with its standard error sqrt(q(1-q)/n).
struct Proportion {
  double value = 0;
  double se = 0;
};
Proportion share_below(std::span<const double> x, double threshold);

}  // namespace switchcost::sim

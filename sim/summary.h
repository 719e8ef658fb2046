// Statistics of a per-trial series: mean with its Monte Carlo standard error,
// spread, percentiles with distribution-free confidence intervals, tail mean.
// Computed from the whole series in trial order, so the result does not
// depend on how the trials were split across threads.
#pragma once

#include <cstdint>
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
  std::vector<Percentile> percentiles;  // at percentile_levels()

  // The percentile at level p (one of percentile_levels()).
  const Percentile& at(double p) const;
};

// 0.05, 0.10, 0.50, 0.90, 0.95, 0.99
const std::vector<double>& percentile_levels();

// Statistics of x (empty x gives n = 0 and zeros). Sums are compensated
// (Neumaier) and taken in index order.
Stats summarize(const std::vector<double>& x);

// Share of x at or below threshold, with its standard error sqrt(q(1-q)/n).
struct Proportion {
  double value = 0;
  double se = 0;
};
Proportion share_at_most(const std::vector<double>& x, double threshold);

}  // namespace switchcost::sim

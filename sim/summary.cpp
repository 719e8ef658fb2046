#include "sim/summary.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace switchcost::sim {

const std::vector<double>& percentile_levels() {
  static const std::vector<double> levels = {0.05, 0.10, 0.50, 0.90, 0.95, 0.99};
  return levels;
}

const Percentile& Stats::at(double p) const {
  for (const auto& q : percentiles)
    if (std::fabs(q.p - p) < 1e-12) return q;
  throw std::logic_error("no percentile at the requested level");
}

namespace {

// Neumaier's compensated sum, in index order.
class Sum {
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

// Type-7 quantile of sorted data: h = (n-1) p, interpolate between floor and ceil.
double quantile_sorted(const std::vector<double>& s, double p) {
  const double h = double(s.size() - 1) * p;
  const auto lo = std::size_t(std::floor(h));
  const std::size_t hi = std::min(lo + 1, s.size() - 1);
  return s[lo] + (h - double(lo)) * (s[hi] - s[lo]);
}

}  // namespace

Stats summarize(const std::vector<double>& x) {
  Stats st;
  st.n = x.size();
  if (x.empty()) {
    for (double p : percentile_levels()) st.percentiles.push_back({p, 0, 0, 0});
    return st;
  }
  const double n = double(x.size());
  Sum sum;
  for (double v : x) sum.add(v);
  st.mean = sum.value() / n;
  Sum squares;
  for (double v : x) squares.add((v - st.mean) * (v - st.mean));
  st.sd = x.size() > 1 ? std::sqrt(squares.value() / (n - 1)) : 0.0;
  st.se = st.sd / std::sqrt(n);

  std::vector<double> sorted(x);
  std::sort(sorted.begin(), sorted.end());
  st.min = sorted.front();
  st.max = sorted.back();
  for (double p : percentile_levels()) {
    // 95% interval for the p-quantile: order statistics at n p -+ 1.96 sqrt(n p (1-p)).
    const double half = 1.959963984540054 * std::sqrt(n * p * (1 - p));
    const double lo_rank = std::max(0.0, std::floor(n * p - half) - 1);
    const double hi_rank = std::min(n - 1, std::ceil(n * p + half) - 1);
    st.percentiles.push_back({p, quantile_sorted(sorted, p), sorted[std::size_t(std::max(0.0, lo_rank))],
                              sorted[std::size_t(std::max(0.0, hi_rank))]});
  }
  const auto tail = std::max<std::size_t>(1, std::size_t(std::ceil(0.05 * n)));
  Sum worst;
  for (std::size_t i = sorted.size() - tail; i < sorted.size(); ++i) worst.add(sorted[i]);
  st.cvar95 = worst.value() / double(tail);
  return st;
}

Proportion share_at_most(const std::vector<double>& x, double threshold) {
  Proportion p;
  if (x.empty()) return p;
  std::size_t k = 0;
  for (double v : x) k += v <= threshold ? 1 : 0;
  const double n = double(x.size());
  p.value = double(k) / n;
  p.se = std::sqrt(p.value * (1 - p.value) / n);
  return p;
}

}  // namespace switchcost::sim

// Probability distributions as inverse CDFs of a uniform: a sampler is a pure
// function of u in (0,1), never of a generator. Parameters are validated by
// the factory functions, which throw DistributionError with a message fit for
// a user ("pert needs min <= mode <= max (got min 3, mode 2, max 5, lambda
// 4)"); the scenario reader adds the file:line:col. Besides the rules below,
// every factory refuses non-finite parameters (normal's min/max may be
// -inf/inf) and parameters whose quantiles over all of (0,1), mean or
// variance would overflow a double ("... is too extreme to compute with").
//
// No std::*_distribution anywhere: their output differs between standard
// libraries, and ours must be the same bytes everywhere.
#pragma once

#include <cstddef>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace switchcost::sim {

// Invalid distribution parameters (a user error, not an internal one).
class DistributionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class DistributionKind {
  constant,
  uniform,
  triangular,
  pert,
  normal,
  lognormal,
  poisson,
  bernoulli,
  beta,
  gamma,
  discrete
};

// Name as written in scenario files ("pert", "lognormal", ...).
const char* to_string(DistributionKind kind) noexcept;

// A validated distribution. Cheap to copy (discrete keeps two small vectors).
class Distribution {
 public:
  static constexpr double inf = std::numeric_limits<double>::infinity();

  Distribution();  // constant 0

  static Distribution constant(double value);
  static Distribution uniform(double min, double max);                    // min < max
  static Distribution triangular(double min, double mode, double max);    // min <= mode <= max, min < max
  // PERT: beta on [min,max] with alpha = 1 + lambda (mode-min)/(max-min),
  // beta = 1 + lambda (max-mode)/(max-min); lambda > 0, default 4.
  static Distribution pert(double min, double mode, double max, double lambda = 4.0);
  // Normal, truncated to [min,max] only when those are finite; sd > 0, min < max,
  // and [min,max] must hold at least 1e-280 of the normal's probability.
  static Distribution normal(double mean, double sd, double min = -inf, double max = inf);
  // Lognormal: log X ~ Normal(mu, sigma), sigma > 0.
  static Distribution lognormal_mu_sigma(double mu, double sigma);
  // By the mean and sd of X itself (mean > 0, sd > 0).
  static Distribution lognormal_mean_sd(double mean, double sd);
  // By two percentiles: P(X <= x_lo) = p_lo, P(X <= x_hi) = p_hi, with
  // 0 < p_lo < p_hi < 1 and 0 < x_lo < x_hi (e.g. p5 and p95).
  static Distribution lognormal_percentiles(double p_lo, double x_lo, double p_hi, double x_hi);
  static Distribution poisson(double mean);                               // 0 <= mean <= 1e15
  static Distribution bernoulli(double p);                                // 0 <= p <= 1; values 0 or 1
  // Beta(alpha, beta) scaled to [min,max]; alpha, beta > 0, min < max.
  static Distribution beta(double alpha, double beta, double min = 0.0, double max = 1.0);
  static Distribution gamma(double shape, double scale);                  // shape, scale > 0
  static Distribution gamma_mean_sd(double mean, double sd);              // mean, sd > 0
  // Discrete: values[i] with probability weights[i] / sum(weights); weights
  // >= 0 with a positive sum, sizes equal and non-zero, values finite.
  // Equal values are merged and values of weight 0 dropped (they are not in
  // the support); describe() lists the values sorted with probabilities.
  static Distribution discrete(std::vector<double> values, std::vector<double> weights);

  DistributionKind kind() const noexcept { return kind_; }
  bool is_constant() const noexcept { return kind_ == DistributionKind::constant; }

  // Inverse CDF. u in (0,1); for discrete kinds the smallest x with CDF(x) >= u.
  // Finite for every u in (0,1). Outside: u <= 0 gives support_min(), u >= 1
  // support_max(), NaN gives NaN. For gamma, beta and pert, u below the
  // smallest normal double (2.2e-308) is taken as that value.
  double quantile(double u) const;
  // out[i] = quantile(u[i]), the same bits; the block form the engine calls
  // (faster). u and out must not overlap.
  void quantiles(const double* u, double* out, std::size_t n) const;
  double cdf(double x) const;
  double mean() const;
  double variance() const;
  // Smallest and largest values the distribution can take (may be +-inf).
  double support_min() const;
  double support_max() const;
  // "pert(min 0.15, mode 0.35, max 1, lambda 4)": for messages and reports.
  std::string describe() const;
  // Whether quantile() gives the same bits as other's for every u: the same
  // kind with the same parameters, bit for bit (conservative: a lognormal
  // given by mean and sd and the same one given by mu and sigma differ).
  bool same_quantiles(const Distribution& other) const noexcept;

 private:
  DistributionKind kind_;
  double p_[6] = {0, 0, 0, 0, 0, 0};  // kind-specific parameters (see distribution.cpp)
  // Beta and PERT: the tabulated quantile of the standard Beta(alpha, beta)
  // (see BetaTable in distribution.cpp), shared by every copy and every
  // distribution of the same shape; null where the exact inverse is used.
  std::shared_ptr<const struct BetaTable> table_;
  std::vector<double> values_, cumulative_;  // discrete only
};

// The fast quantile of a standard Beta(alpha, beta) for u in the table's
// body, and whether a table is used for that shape (exposed for the
// accuracy tests and benchmarks).
struct BetaTableInfo {
  bool tabulated = false;
  double u_min = 0;  // the table covers [u_min, 1 - u_min]; outside, the exact inverse
  int intervals = 0;
};
BetaTableInfo beta_table_info(double alpha, double beta);
// Builds the quantile tables of every Beta and PERT shape made so far that
// are not built yet, on up to `threads` threads (one table per thread at a
// time); returns how many it built. Optional: a table is otherwise built
// when first used, with the same bits. The engine calls it before a run, so
// loading (and `validate`) builds none, and a run's shapes are built side by
// side.
std::size_t build_beta_tables(unsigned threads);
// The exact (slow) quantile of the standard Beta(alpha, beta): the reference.
double beta_quantile_exact(double alpha, double beta, double u);

// Inverse CDF of the standard normal, |error| < 1e-15 relative (Wichura AS241).
// 0 gives -inf, 1 gives inf, NaN gives NaN.
double normal_quantile(double u) noexcept;
// Standard normal CDF.
double normal_cdf(double x) noexcept;
// Poisson inverse CDF for a mean that changes per trial: the smallest k with
// P(K <= k) >= u. 0 <= mean <= 1e15 (0 gives 0), else DistributionError.
// Exact (no normal approximation): sums the probabilities for means up to 50,
// else searches from a Cornish-Fisher guess with incomplete-gamma tails.
// u <= 0 gives 0, u >= 1 gives inf, NaN gives NaN.
double poisson_quantile(double mean, double u);

}  // namespace switchcost::sim

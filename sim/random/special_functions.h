// Special functions the distributions are built on: the normal quantile and
// CDF, Poisson quantiles and CDF for any mean up to 1e15, gamma quantiles for
// any shape, and the exact inverse of the regularised incomplete beta
// function. All in double (Boost.Math never promoted to long double, whose
// width differs between platforms), so the same bits everywhere.
#pragma once

#include <stdexcept>
#include <string>

namespace switchcost::sim {

// Invalid distribution parameters (a user error, not an internal one).
class DistributionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Shortest text that reads back as the same double ("0.15", "1e+15", "inf").
std::string format_shortest(double x);

// Poisson means above this are refused: quantiles stay exact integers in a
// double (< 2^53) and the CDF stays accurate.
inline constexpr double max_poisson_mean = 1e15;

// Inverse CDF of the standard normal, |error| < 1e-15 relative (Wichura AS241).
// 0 gives -inf, 1 gives inf, NaN gives NaN.
double normal_quantile(double u) noexcept;
// Standard normal CDF.
double normal_cdf(double x) noexcept;
// Standard normal density (0 at +-inf).
double normal_pdf(double z) noexcept;

// CDF of Student's t with dof > 0 degrees of freedom:
// T(x) = 1 - I_{dof/(dof+x^2)}(dof/2, 1/2) / 2 for x >= 0, and 1 - T(-x)
// below (the regularised incomplete beta function I, Boost's ibeta).
// -inf gives 0, inf gives 1, NaN gives NaN.
double student_t_cdf(double dof, double x);

// Poisson inverse CDF for a mean that changes per trial: the smallest k with
// P(K <= k) >= u. 0 <= mean <= 1e15 (0 gives 0), else DistributionError.
// Exact (no normal approximation): sums the probabilities for means up to 50,
// else searches from a Cornish-Fisher guess with incomplete-gamma tails.
// u <= 0 gives 0, u >= 1 gives inf, NaN gives NaN.
double poisson_quantile(double mean, double u);
// P(K <= x) for K ~ Poisson(mean), 0 <= mean <= 1e15; the very sum
// poisson_quantile adds up for small means, so quantile(cdf(k)) == k.
double poisson_cdf(double mean, double x);

// Quantile of the standard Gamma(shape, 1) for u in (0, 1), shape > 0; u
// below DBL_MIN is taken as DBL_MIN. Boost's inverse up to shape 1e6,
// Newton steps on Temme's expansion above (bounded cost).
double gamma_quantile(double shape, double u);
// P(shape, x), the standard gamma CDF.
double gamma_cdf(double shape, double x);

// The exact (slow) quantile of the standard Beta(alpha, beta): the reference.
double beta_quantile_exact(double alpha, double beta, double u);
// The x in [0,1] with I_x(alpha, beta) = p, where q = 1 - p (whichever of p
// and q is small must be exact); x_start in (0, 1) replaces the first guess.
double beta_inverse(double alpha, double beta, double p, double q, double x_start = 0);
// The standard beta density and CDF I_x(alpha, beta).
double beta_pdf(double alpha, double beta, double x);
double beta_cdf(double alpha, double beta, double x);

}  // namespace switchcost::sim

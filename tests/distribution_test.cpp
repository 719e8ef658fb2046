// Distributions (sim/random/distribution.h): every kind against analytic moments and
// independently computed CDFs and quantiles, by sampling (N = 200,000 draws
// through fill_uniforms + quantiles) and pointwise; validation messages;
// normal_quantile / normal_cdf; poisson_quantile from tiny to huge means.
#include "sim/random/distribution.h"

#include "models/fastmath.h"

#include <gtest/gtest.h>

#include <set>

#include <cstdio>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <iomanip>
#include <limits>
#include <numbers>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/math/special_functions/beta.hpp>
#include <boost/math/special_functions/erf.hpp>
#include <boost/math/special_functions/gamma.hpp>

#include "sim/random/random.h"

namespace switchcost::sim {
namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double tiny_u = std::numeric_limits<double>::denorm_min();
constexpr std::size_t N = 200'000;
constexpr double pi = std::numbers::pi;

// |computed - expected| <= tol, with all three printed on failure.
::testing::AssertionResult Close(const std::string& what, double computed, double expected, double tol) {
  if (std::fabs(computed - expected) <= tol) return ::testing::AssertionSuccess();
  std::ostringstream os;
  os << std::setprecision(17) << what << ": computed " << computed << ", expected " << expected << ", tolerance "
     << tol << " (off by " << std::fabs(computed - expected) << ")";
  return ::testing::AssertionFailure() << os.str();
}

double std_normal_cdf(double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); }
double std_normal_pdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2 * pi); }

double binomial(int n, int k) {
  double r = 1;
  for (int i = 1; i <= k; ++i) r = r * (n - k + i) / i;
  return r;
}

// Regularised incomplete beta for integer a, b: P(Binomial(a+b-1, x) >= a).
double ibeta_int(int a, int b, double x) {
  const int n = a + b - 1;
  double s = 0;
  for (int j = a; j <= n; ++j) s += binomial(n, j) * std::pow(x, j) * std::pow(1 - x, n - j);
  return s;
}

// Excess kurtosis of Beta(a, b).
double beta_excess_kurtosis(double a, double b) {
  return 6 * ((a - b) * (a - b) * (a + b + 1) - a * b * (a + b + 2)) / (a * b * (a + b + 2) * (a + b + 3));
}

// Simpson's rule of f over [a, b] with n (even) intervals.
double simpson(const std::function<double(double)>& f, double a, double b, int n = 20000) {
  const double h = (b - a) / n;
  double s = f(a) + f(b);
  for (int i = 1; i < n; ++i) s += f(a + i * h) * (i % 2 ? 4 : 2);
  return s * h / 3;
}

// A distribution with everything the checks need, computed independently of
// sim/random/distribution.cpp: moments from textbook formulas, the CDF in closed
// form or from Boost's forward (not inverse) functions.
struct Reference {
  std::string name;
  Distribution dist;
  double mean = 0, variance = 0;
  double mu4 = 0;  // central fourth moment
  std::function<double(double)> cdf;
  std::vector<double> atoms;  // discrete kinds: the support, ascending
  double lo = 0, hi = 0;      // continuous kinds: a bracket for every quantile tested
  // P(X > x), accurate where it is small (the CDF near 1 is not); continuous
  // kinds use it for reference quantiles above the median.
  std::function<double(double)> sf = nullptr;

  bool discrete() const { return !atoms.empty(); }

  // The smallest x with cdf(x) >= p.
  double quantile(double p) const {
    if (discrete()) {
      for (const double a : atoms)
        if (cdf(a) >= p) return a;
      return atoms.back();
    }
    const bool upper = p > 0.5 && sf;
    const double q = 1 - p;  // exact for p > 0.5
    double a = lo, b = hi;
    for (int i = 0; i < 2000; ++i) {
      const double m = a + (b - a) / 2;
      if (m <= a || m >= b) break;
      (upper ? sf(m) <= q : cdf(m) >= p) ? b = m : a = m;
    }
    return b;
  }
};

std::vector<Reference> references() {
  std::vector<Reference> r;

  // constant(3.5): a single atom
  r.push_back({"constant", Distribution::constant(3.5), 3.5, 0, 0, [](double x) { return x < 3.5 ? 0.0 : 1.0; },
               {3.5}});
  // uniform(-2, 5)
  {
    const double a = -2, b = 5, w = b - a;
    r.push_back({"uniform", Distribution::uniform(a, b), (a + b) / 2, w * w / 12, std::pow(w, 4) / 80,
                 [=](double x) { return std::clamp((x - a) / w, 0.0, 1.0); }, {}, a, b});
    r.back().sf = [=](double x) { return std::clamp((b - x) / w, 0.0, 1.0); };
  }
  // triangular: symmetric, mode at min, mode at max
  for (const auto& [a_, c_, b_] : {std::tuple{0.0, 1.0, 2.0}, std::tuple{1.0, 1.0, 4.0}, std::tuple{-3.0, 2.0, 2.0}}) {
    const double a = a_, c = c_, b = b_;  // copies the lambdas below can capture
    const double var = (a * a + b * b + c * c - a * b - a * c - b * c) / 18;
    r.push_back({"triangular", Distribution::triangular(a, c, b), (a + b + c) / 3, var, 2.4 * var * var,
                 [=](double x) {
                   if (x <= a) return 0.0;
                   if (x >= b) return 1.0;
                   if (x <= c) return (x - a) * (x - a) / ((b - a) * (c - a));
                   return 1 - (b - x) * (b - x) / ((b - a) * (b - c));
                 },
                 {}, a, b});
    r.back().sf = [=](double x) {
      if (x <= a) return 1.0;
      if (x >= b) return 0.0;
      if (x <= c) return 1 - (x - a) * (x - a) / ((b - a) * (c - a));
      return (b - x) * (b - x) / ((b - a) * (b - c));
    };
  }
  // pert(0.15, 0.35, 1): the header's example; non-integer shapes
  {
    const double a = 0.15, m = 0.35, b = 1, lambda = 4, w = b - a;
    const double al = 1 + lambda * (m - a) / w, be = 1 + lambda * (b - m) / w;
    const double mean = (a + lambda * m + b) / (lambda + 2);
    const double var = (mean - a) * (b - mean) / (lambda + 3);  // the classic PERT variance
    r.push_back({"pert", Distribution::pert(a, m, b), mean, var, (beta_excess_kurtosis(al, be) + 3) * var * var,
                 [=](double x) { return boost::math::ibeta(al, be, std::clamp((x - a) / w, 0.0, 1.0)); }, {}, a, b});
    r.back().sf = [=](double x) { return boost::math::ibetac(al, be, std::clamp((x - a) / w, 0.0, 1.0)); };
  }
  // pert(0, 2.5, 10): alpha 2, beta 4, so the CDF is a polynomial
  {
    const double a = 0, m = 2.5, b = 10, lambda = 4;
    const double mean = (a + lambda * m + b) / (lambda + 2);
    const double var = (mean - a) * (b - mean) / (lambda + 3);
    r.push_back({"pert", Distribution::pert(a, m, b, lambda), mean, var, (beta_excess_kurtosis(2, 4) + 3) * var * var,
                 [=](double x) { return ibeta_int(2, 4, std::clamp((x - a) / (b - a), 0.0, 1.0)); }, {}, a, b});
    r.back().sf = [=](double x) { return ibeta_int(4, 2, std::clamp((b - x) / (b - a), 0.0, 1.0)); };
  }
  // beta(2, 3): polynomial CDF
  {
    const double var = 2.0 * 3.0 / (25 * 6);
    r.push_back({"beta", Distribution::beta(2, 3), 0.4, var, (beta_excess_kurtosis(2, 3) + 3) * var * var,
                 [](double x) { return ibeta_int(2, 3, std::clamp(x, 0.0, 1.0)); }, {}, 0, 1});
    r.back().sf = [](double x) { return ibeta_int(3, 2, std::clamp(1 - x, 0.0, 1.0)); };
  }
  // beta(0.5, 0.5) on [10, 20]: the arcsine law, F = 2/pi asin(sqrt t)
  {
    const double var = 100 * 0.125;
    r.push_back({"beta", Distribution::beta(0.5, 0.5, 10, 20), 15, var, 1.5 * var * var,
                 [](double x) { return 2 / pi * std::asin(std::sqrt(std::clamp((x - 10) / 10, 0.0, 1.0))); }, {}, 10,
                 20});
    r.back().sf = [](double x) { return 2 / pi * std::asin(std::sqrt(std::clamp((20 - x) / 10, 0.0, 1.0))); };
  }
  // normal(10, 2)
  r.push_back({"normal", Distribution::normal(10, 2), 10, 4, 3 * 16,
               [](double x) { return std_normal_cdf((x - 10) / 2); }, {}, -100, 100});
  r.back().sf = [](double x) { return std_normal_cdf(-(x - 10) / 2); };
  // truncated normals: half-normal, two-sided, far upper tail, far lower tail
  {
    const double m1 = std::sqrt(2 / pi), m3 = 2 * std::sqrt(2 / pi);  // E|Z|, E|Z|^3
    const double mu4 = 3 - 4 * m1 * m3 + 6 * m1 * m1 - 3 * std::pow(m1, 4);
    r.push_back({"normal", Distribution::normal(0, 1, 0, inf), m1, 1 - 2 / pi, mu4,
                 [](double x) { return x <= 0 ? 0.0 : std::erf(x / std::numbers::sqrt2); }, {}, 0, 50});
    r.back().sf = [](double x) { return x <= 0 ? 1.0 : std::erfc(x / std::numbers::sqrt2); };
  }
  for (const auto& [mu_, sd_, lo_, hi_] : {std::tuple{5.0, 3.0, 0.0, 8.0}, std::tuple{0.0, 1.0, 6.0, inf},
                                           std::tuple{0.0, 1.0, -inf, -5.0}, std::tuple{100.0, 30.0, 0.0, inf}}) {
    const double mu = mu_, sd = sd_, lo = lo_, hi = hi_;  // copies the lambdas below can capture
    const double a = (lo - mu) / sd, b = (hi - mu) / sd;
    // Tail-safe mass: upper tails when the interval is in the upper half.
    const double z = a >= 0 ? std_normal_cdf(-a) - std_normal_cdf(-b) : std_normal_cdf(b) - std_normal_cdf(a);
    const double pa = std::isfinite(a) ? std_normal_pdf(a) : 0, pb = std::isfinite(b) ? std_normal_pdf(b) : 0;
    const double ta = std::isfinite(a) ? a * pa : 0, tb = std::isfinite(b) ? b * pb : 0;
    const double mean = mu + sd * (pa - pb) / z;
    const double var = sd * sd * (1 + (ta - tb) / z - (pa - pb) / z * (pa - pb) / z);
    const double za = std::max(a, -40.0), zb = std::min(b, 40.0);
    const double mu4 = simpson(
        [&](double t) {
          const double d = mu + sd * t - mean;
          return d * d * d * d * std_normal_pdf(t) / z;
        },
        za, zb);
    r.push_back({"normal", Distribution::normal(mu, sd, lo, hi), mean, var, mu4,
                 [=](double x) {
                   if (x <= lo) return 0.0;
                   if (x >= hi) return 1.0;
                   const double t = (x - mu) / sd;
                   return a >= 0 ? (std_normal_cdf(-a) - std_normal_cdf(-t)) / z
                                 : (std_normal_cdf(t) - std_normal_cdf(a)) / z;
                 },
                 {}, mu + sd * za, mu + sd * zb});
    r.back().sf = [=](double x) {
      if (x <= lo) return 1.0;
      if (x >= hi) return 0.0;
      const double t = (x - mu) / sd;
      return b >= 0 ? (std_normal_cdf(-t) - std_normal_cdf(-b)) / z : (std_normal_cdf(b) - std_normal_cdf(t)) / z;
    };
  }
  // lognormal by mu/sigma and by mean/sd
  {
    const double mu = 1, s = 0.5, s2 = s * s;
    const double var = std::expm1(s2) * std::exp(2 * mu + s2);
    const double exk = std::exp(4 * s2) + 2 * std::exp(3 * s2) + 3 * std::exp(2 * s2) - 6;
    r.push_back({"lognormal", Distribution::lognormal_mu_sigma(mu, s), std::exp(mu + s2 / 2), var,
                 (exk + 3) * var * var,
                 [=](double x) { return x <= 0 ? 0.0 : std_normal_cdf((std::log(x) - mu) / s); }, {}, 0, 1e6});
    r.back().sf = [=](double x) { return x <= 0 ? 1.0 : std_normal_cdf(-(std::log(x) - mu) / s); };
  }
  {
    const double mean = 100, sd = 50, s2 = std::log(1 + 0.25), mu = std::log(mean) - s2 / 2;
    const double exk = std::exp(4 * s2) + 2 * std::exp(3 * s2) + 3 * std::exp(2 * s2) - 6;
    r.push_back({"lognormal", Distribution::lognormal_mean_sd(mean, sd), mean, sd * sd,
                 (exk + 3) * sd * sd * sd * sd,
                 [=](double x) { return x <= 0 ? 0.0 : std_normal_cdf((std::log(x) - mu) / std::sqrt(s2)); }, {}, 0,
                 1e8});
    r.back().sf = [=](double x) { return x <= 0 ? 1.0 : std_normal_cdf(-(std::log(x) - mu) / std::sqrt(s2)); };
  }
  // gamma: integer shape (closed-form CDF), chi-square 1 (erf), by mean/sd
  r.push_back({"gamma", Distribution::gamma(2, 3), 6, 18, (6.0 / 2 + 3) * 18 * 18,
               [](double x) { return x <= 0 ? 0.0 : -std::expm1(-x / 3) - x / 3 * std::exp(-x / 3); }, {}, 0, 1000});
  r.back().sf = [](double x) { return x <= 0 ? 1.0 : std::exp(-x / 3) * (1 + x / 3); };
  r.push_back({"gamma", Distribution::gamma(0.5, 2), 1, 2, (12 + 3) * 4.0,
               [](double x) { return x <= 0 ? 0.0 : std::erf(std::sqrt(x / 2)); }, {}, 0, 1000});
  r.back().sf = [](double x) { return x <= 0 ? 1.0 : std::erfc(std::sqrt(x / 2)); };
  r.push_back({"gamma", Distribution::gamma_mean_sd(10, 4), 10, 16, (6 / 6.25 + 3) * 256,
               [](double x) { return x <= 0 ? 0.0 : boost::math::gamma_p(6.25, x / 1.6); }, {}, 0, 1000});
  r.back().sf = [](double x) { return x <= 0 ? 1.0 : boost::math::gamma_q(6.25, x / 1.6); };
  // poisson: small (summed pmf) and large (Boost's incomplete gamma)
  {
    const double lambda = 3.5;
    std::vector<double> atoms;
    for (int k = 0; k <= 60; ++k) atoms.push_back(k);
    r.push_back({"poisson", Distribution::poisson(lambda), lambda, lambda, lambda + 3 * lambda * lambda,
                 [=](double x) {
                   if (x < 0) return 0.0;
                   double p = std::exp(-lambda), s = p;
                   for (int k = 1; k <= std::floor(x) && k < 200; ++k) s += (p *= lambda / k);
                   return std::min(s, 1.0);
                 },
                 atoms});
  }
  {
    const double lambda = 2000;
    std::vector<double> atoms;
    for (int k = 1500; k <= 2500; ++k) atoms.push_back(k);
    r.push_back({"poisson", Distribution::poisson(lambda), lambda, lambda, lambda + 3 * lambda * lambda,
                 [=](double x) { return x < 0 ? 0.0 : boost::math::gamma_q(std::floor(x) + 1, lambda); }, atoms});
  }
  // bernoulli(0.3)
  {
    const double p = 0.3, q = 1 - p;
    r.push_back({"bernoulli", Distribution::bernoulli(p), p, p * q, p * q * (1 - 3 * p * q),
                 [=](double x) { return x < 0 ? 0.0 : x < 1 ? q : 1.0; }, {0, 1}});
  }
  // discrete: unsorted, a repeated value, a zero weight
  {
    // values 1 (weight 1 + 0.5), 3 (2), 7 (1), 5 (0): P = 1/3, 4/9, 2/9
    const std::vector<double> v{1, 3, 7}, p{1.0 / 3, 4.0 / 9, 2.0 / 9};
    double mu4 = 0;
    for (int i = 0; i < 3; ++i) mu4 += p[i] * std::pow(v[i] - 29.0 / 9, 4);
    r.push_back({"discrete", Distribution::discrete({3, 1, 7, 5, 1}, {2, 1, 1, 0, 0.5}), 29.0 / 9, 392.0 / 81, mu4,
                 [](double x) { return x < 1 ? 0.0 : x < 3 ? 1.0 / 3 : x < 7 ? 7.0 / 9 : 1.0; }, {1, 3, 7}});
  }
  return r;
}

// Draws N values of d: fill_uniforms with a fixed seed, then quantiles.
std::vector<double> draw(const Distribution& d, std::uint64_t seed) {
  std::vector<double> u(N), x(N);
  fill_uniforms(Stream{seed, variable_id(d.describe())}, 0, N, 0, u.data());
  d.quantiles(u.data(), x.data(), N);
  return x;
}

class EveryKind : public ::testing::TestWithParam<Reference> {};

TEST_P(EveryKind, MomentsMatchTheFormulas) {
  const Reference& ref = GetParam();
  const Distribution& d = ref.dist;
  SCOPED_TRACE(d.describe());
  EXPECT_TRUE(Close("mean()", d.mean(), ref.mean, 1e-12 * std::max(1.0, std::fabs(ref.mean))));
  EXPECT_TRUE(Close("variance()", d.variance(), ref.variance, 1e-9 * ref.variance));
}

TEST_P(EveryKind, SampleMomentsAndQuantilesAgree) {
  const Reference& ref = GetParam();
  const Distribution& d = ref.dist;
  SCOPED_TRACE(d.describe());
  const std::vector<double> x = draw(d, 20240611);
  const double n = static_cast<double>(N);

  double sum = 0;
  for (const double v : x) {
    ASSERT_TRUE(std::isfinite(v)) << v;
    ASSERT_GE(v, d.support_min());
    ASSERT_LE(v, d.support_max());
    sum += v;
  }
  const double mean = sum / n;
  double ss = 0;
  for (const double v : x) ss += (v - mean) * (v - mean);
  const double var = ss / (n - 1);

  // Mean within 5 standard errors; sample variance within 5 standard errors
  // of the variance, SE^2 = (mu4 - sigma^4) / N.
  EXPECT_TRUE(Close("sample mean", mean, ref.mean, 5 * std::sqrt(ref.variance / n)));
  const double var_se = std::sqrt((ref.mu4 - ref.variance * ref.variance) / n);
  EXPECT_TRUE(Close("sample variance", var, ref.variance, 5 * var_se));

  // Empirical CDF at the reference 5/50/95% quantiles within 5 standard
  // errors, sqrt(F (1 - F) / N), of the reference CDF there.
  for (const double p : {0.05, 0.5, 0.95}) {
    const double xp = ref.quantile(p);
    const double f = ref.cdf(xp);
    double below = 0;
    for (const double v : x) below += v <= xp;
    const double se = std::sqrt(std::max(f * (1 - f), 1 / n) / n);
    EXPECT_TRUE(Close("empirical CDF at the " + std::to_string(p) + " quantile " + std::to_string(xp), below / n, f,
                      5 * se));
  }
}

TEST_P(EveryKind, QuantileAndCdfMatchTheReference) {
  const Reference& ref = GetParam();
  const Distribution& d = ref.dist;
  SCOPED_TRACE(d.describe());
  for (const double p : {1e-9, 1e-4, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1 - 1e-4, 1 - 1e-9}) {
    const double q = d.quantile(p);
    const double expected = ref.quantile(p);
    if (ref.discrete()) {
      EXPECT_EQ(q, expected) << "quantile(" << p << ")";
    } else {
      const double scale = std::fabs(expected) + std::sqrt(ref.variance);
      EXPECT_TRUE(Close("quantile(" + std::to_string(p) + ")", q, expected, 1e-9 * scale));
    }
    EXPECT_TRUE(Close("cdf(" + std::to_string(expected) + ")", d.cdf(expected), ref.cdf(expected), 1e-12));
  }
}

TEST_P(EveryKind, QuantileAndCdfRoundTrip) {
  const Reference& ref = GetParam();
  const Distribution& d = ref.dist;
  SCOPED_TRACE(d.describe());
  for (const double u : {1e-12, 1e-6, 1e-3, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 1 - 1e-3, 1 - 1e-6, 1 - 1e-12}) {
    const double x = d.quantile(u);
    const double c = d.cdf(x);
    if (ref.discrete()) {
      // x is the smallest atom with CDF(x) >= u.
      EXPECT_GE(c, u) << "cdf(quantile(" << u << ")) with quantile " << x;
      const auto it = std::find(ref.atoms.begin(), ref.atoms.end(), x);
      ASSERT_NE(it, ref.atoms.end()) << x << " is not in the support";
      const double below = it == ref.atoms.begin() ? 0.0 : d.cdf(*(it - 1));
      EXPECT_LT(below, u) << "quantile(" << u << ") = " << x;
      // Any u in (CDF(previous atom), CDF(x)] gives x; exactly at CDF(x)
      // only where 1 - CDF is not lost to rounding.
      EXPECT_EQ(d.quantile(below + (c - below) / 2), x) << "quantile between cdf(previous) and cdf(" << x << ")";
      if (c <= 0.5) {
        EXPECT_EQ(d.quantile(c), x) << "quantile(cdf(" << x << "))";
      }
    } else {
      // cdf(quantile(u)) = u, up to what the resolution of x allows: u lies
      // between the CDF a few ulps either side of x.
      const double tol = 1e-9 * std::min(u, 1 - u) + 1e-15;
      double x_lo = x, x_hi = x;
      for (int i = 0; i < 4; ++i) {
        x_lo = std::nextafter(x_lo, -inf);
        x_hi = std::nextafter(x_hi, inf);
      }
      const bool resolved = d.cdf(x_lo) <= u + tol && u - tol <= d.cdf(x_hi);
      EXPECT_TRUE(resolved || Close("cdf(quantile(" + std::to_string(u) + "))", c, u, tol))
          << "cdf(quantile(" << u << ")) = " << c << " with quantile " << x << "; cdf 4 ulps below "
          << d.cdf(x_lo) << ", above " << d.cdf(x_hi);
      const double back = d.quantile(c);
      EXPECT_TRUE(Close("quantile(cdf(" + std::to_string(x) + "))", back, x,
                        1e-7 * (std::fabs(x) + std::sqrt(ref.variance))));
    }
  }
}

TEST_P(EveryKind, BlockQuantilesEqualSingleQuantiles) {
  const Distribution& d = GetParam().dist;
  std::vector<double> u(1000), block(u.size());
  fill_uniforms(Stream{3, variable_id("block")}, 0, u.size(), 0, u.data());
  u[0] = tiny_u;
  u[1] = 0x1p-54;
  u[2] = 1 - 0x1p-53;
  u[3] = 0.0;  // the ends, which no stream draws but quantiles() accepts
  u[4] = 1.0;
  u[5] = std::nan("");
  d.quantiles(u.data(), block.data(), u.size());
  EXPECT_TRUE(std::isnan(block[5])) << "a NaN u gives NaN";
  for (std::size_t i = 0; i < u.size(); ++i) {
    if (i == 5) continue;
    ASSERT_EQ(block[i], d.quantile(u[i])) << "u = " << u[i];
  }
}

std::string reference_name(const ::testing::TestParamInfo<Reference>& info) {
  return info.param.name + std::to_string(info.index);
}

INSTANTIATE_TEST_SUITE_P(Distributions, EveryKind, ::testing::ValuesIn(references()), reference_name);

// ---------------------------------------------------------------------------
// Finite everywhere, never NaN, monotone: the common cases and extreme ones.

std::vector<Distribution> extreme_distributions() {
  std::vector<Distribution> v;
  for (const Reference& r : references()) v.push_back(r.dist);
  v.push_back(Distribution());
  v.push_back(Distribution::constant(-4.25));
  v.push_back(Distribution::lognormal_mu_sigma(0, 5));
  v.push_back(Distribution::lognormal_mu_sigma(-50, 0.001));
  v.push_back(Distribution::lognormal_mean_sd(1e6, 1e7));
  v.push_back(Distribution::lognormal_percentiles(0.001, 1e-3, 0.999, 1e9));
  v.push_back(Distribution::gamma(1e-3, 1));
  v.push_back(Distribution::gamma(1e4, 1e-3));
  v.push_back(Distribution::gamma_mean_sd(1, 100));
  v.push_back(Distribution::beta(0.05, 0.05));
  v.push_back(Distribution::beta(1000, 2, -1, 1));
  v.push_back(Distribution::pert(0, 0, 1, 100));
  v.push_back(Distribution::pert(0, 1, 1, 0.01));
  v.push_back(Distribution::pert(-1e9, 5, 1e9));
  v.push_back(Distribution::normal(0, 1, 30, 31));
  v.push_back(Distribution::normal(0, 1, -inf, -30));
  v.push_back(Distribution::normal(0, 1, 3, 3 + 1e-9));
  v.push_back(Distribution::normal(1e6, 1e-3, -inf, 1e6));
  v.push_back(Distribution::normal(0, 1e100));
  v.push_back(Distribution::uniform(-1e150, 1e150));
  v.push_back(Distribution::triangular(5, 5 + 1e-12, 5 + 2e-12));
  v.push_back(Distribution::poisson(0));
  v.push_back(Distribution::poisson(1e-300));
  v.push_back(Distribution::poisson(1e15));
  v.push_back(Distribution::bernoulli(0));
  v.push_back(Distribution::bernoulli(1));
  v.push_back(Distribution::discrete({42}, {1e-300}));
  return v;
}

TEST(Extremes, QuantilesAreFiniteMonotoneAndInsideTheSupport) {
  const double us[] = {tiny_u, 1e-300, 0x1p-54, 0x1p-53, 1e-10, 1e-3, 0.5, 1 - 1e-3, 1 - 1e-10, 1 - 0x1p-53};
  for (const Distribution& d : extreme_distributions()) {
    SCOPED_TRACE(d.describe());
    double previous = -inf;
    for (const double u : us) {
      const double x = d.quantile(u);
      EXPECT_TRUE(std::isfinite(x)) << "quantile(" << u << ") = " << x;
      EXPECT_GE(x, previous) << "quantile(" << u << ") decreased";
      EXPECT_GE(x, d.support_min()) << "quantile(" << u << ")";
      EXPECT_LE(x, d.support_max()) << "quantile(" << u << ")";
      const double c = d.cdf(x);
      EXPECT_TRUE(c >= 0 && c <= 1) << "cdf(" << x << ") = " << c;
      previous = x;
    }
    EXPECT_TRUE(std::isfinite(d.mean())) << d.mean();
    EXPECT_TRUE(std::isfinite(d.variance()) && d.variance() >= 0) << d.variance();
    EXPECT_GE(d.mean(), d.support_min());
    EXPECT_LE(d.mean(), d.support_max());
    for (const double x : {-inf, -1e300, -1.0, 0.0, 0.5, 1.0, 1e300, inf}) {
      const double c = d.cdf(x);
      EXPECT_TRUE(c >= 0 && c <= 1) << "cdf(" << x << ") = " << c;
    }
    // Outside (0,1): the ends of the support; NaN stays NaN.
    EXPECT_EQ(d.quantile(0), d.support_min());
    EXPECT_EQ(d.quantile(1), d.support_max());
    EXPECT_TRUE(std::isnan(d.quantile(std::nan(""))));
  }
}

// ---------------------------------------------------------------------------
// Hand-computed values

TEST(HandValues, Triangular) {
  EXPECT_EQ(Distribution::triangular(0, 1, 2).quantile(0.5), 1.0);
  EXPECT_EQ(Distribution::triangular(0, 1, 2).cdf(1), 0.5);
  // F(x) = x^2 / 4 on [0, 2] for mode 2, so quantile(0.25) = 1.
  EXPECT_TRUE(Close("triangular(0,2,2).quantile(0.25)", Distribution::triangular(0, 2, 2).quantile(0.25), 1, 1e-15));
  EXPECT_TRUE(Close("triangular(0,0,2).quantile(0.75)", Distribution::triangular(0, 0, 2).quantile(0.75), 1, 1e-15));
  EXPECT_EQ(Distribution::triangular(0, 1, 2).support_min(), 0.0);
  EXPECT_EQ(Distribution::triangular(0, 1, 2).support_max(), 2.0);
}

TEST(HandValues, Uniform) {
  const Distribution d = Distribution::uniform(10, 20);
  EXPECT_EQ(d.quantile(0.25), 12.5);
  EXPECT_EQ(d.quantile(0.5), 15.0);
  EXPECT_EQ(d.cdf(17.5), 0.75);
  EXPECT_EQ(d.cdf(9), 0.0);
  EXPECT_EQ(d.cdf(21), 1.0);
  EXPECT_LE(d.quantile(1 - 0x1p-53), 20.0);
  EXPECT_EQ(d.mean(), 15.0);
  EXPECT_DOUBLE_EQ(d.variance(), 100.0 / 12);
}

TEST(HandValues, Constant) {
  const Distribution d = Distribution::constant(7.5);
  EXPECT_TRUE(d.is_constant());
  EXPECT_TRUE(d.is<Constant>());
  EXPECT_EQ(d.get_if<Constant>()->value, 7.5);
  for (const double u : {tiny_u, 0.3, 1 - 0x1p-53}) {
    EXPECT_EQ(d.quantile(u), 7.5);
  }
  EXPECT_EQ(d.mean(), 7.5);
  EXPECT_EQ(d.variance(), 0.0);
  EXPECT_EQ(d.cdf(7.4), 0.0);
  EXPECT_EQ(d.cdf(7.5), 1.0);
  EXPECT_EQ(Distribution().quantile(0.5), 0.0);
  EXPECT_TRUE(Distribution().is_constant());
}

TEST(HandValues, Normal) {
  const double z975 = 1.959963984540054;
  const Distribution d = Distribution::normal(10, 2);
  EXPECT_TRUE(Close("normal(10,2).quantile(0.975)", d.quantile(0.975), 10 + 2 * z975, 1e-13));
  EXPECT_EQ(d.quantile(0.5), 10.0);
  // Half-normal: quantile(p) = z_{(1+p)/2}; quantile(0.5) = z_0.75.
  const Distribution half = Distribution::normal(0, 1, 0, inf);
  EXPECT_TRUE(Close("half-normal quantile(0.5)", half.quantile(0.5), 0.6744897501960817, 1e-14));
  EXPECT_TRUE(Close("half-normal quantile(0.95)", half.quantile(0.95), z975, 1e-13));
  EXPECT_TRUE(Close("half-normal mean", half.mean(), std::sqrt(2 / pi), 1e-15));
  // Symmetric two-sided truncation keeps the mean.
  EXPECT_TRUE(Close("normal(3,1,1,5) mean", Distribution::normal(3, 1, 1, 5).mean(), 3, 1e-14));
  EXPECT_TRUE(Close("normal(3,1,1,5) median", Distribution::normal(3, 1, 1, 5).quantile(0.5), 3, 1e-14));
  // Far upper tail: the values stay in [min, max] and the mean is a bit
  // above min (about min + 1/min).
  const Distribution tail = Distribution::normal(0, 1, 30, 31);
  EXPECT_GT(tail.mean(), 30.0);
  EXPECT_TRUE(Close("normal(0,1,30,31) mean", tail.mean(), 30 + 1.0 / 30, 2e-3));
  EXPECT_EQ(Distribution::normal(0, 1, 0, 1).support_min(), 0.0);
  EXPECT_EQ(Distribution::normal(0, 1).support_max(), inf);
}

TEST(HandValues, LognormalPercentilesAreReproduced) {
  struct Case {
    double p_lo, x_lo, p_hi, x_hi;
  };
  for (const Case& c : {Case{0.05, 10, 0.95, 100}, Case{0.1, 0.5, 0.9, 3}, Case{0.5, 1000, 0.99, 1e6},
                        Case{0.01, 1e-6, 0.02, 2e-6}, Case{0.001, 5, 0.999, 5e9}}) {
    const Distribution d = Distribution::lognormal_percentiles(c.p_lo, c.x_lo, c.p_hi, c.x_hi);
    SCOPED_TRACE(d.describe());
    EXPECT_TRUE(Close("quantile(p_lo)", d.quantile(c.p_lo), c.x_lo, 1e-9 * c.x_lo));
    EXPECT_TRUE(Close("quantile(p_hi)", d.quantile(c.p_hi), c.x_hi, 1e-9 * c.x_hi));
    EXPECT_TRUE(Close("cdf(x_lo)", d.cdf(c.x_lo), c.p_lo, 1e-9 * c.p_lo));
    EXPECT_TRUE(Close("cdf(x_hi)", d.cdf(c.x_hi), c.p_hi, 1e-9 * c.p_hi));
  }
  // p5 = 10, p95 = 100: sigma = ln 10 / (2 z_0.95), mu = ln 100 / ... = ln(sqrt(1000)).
  const Distribution d = Distribution::lognormal_percentiles(0.05, 10, 0.95, 100);
  EXPECT_TRUE(Close("median", d.quantile(0.5), std::sqrt(1000.0), 1e-12 * std::sqrt(1000.0)));
}

TEST(HandValues, LognormalMeanSd) {
  const Distribution d = Distribution::lognormal_mean_sd(250, 80);
  EXPECT_TRUE(Close("mean", d.mean(), 250, 1e-12 * 250));
  EXPECT_TRUE(Close("variance", d.variance(), 6400, 1e-10 * 6400));
  const double s2 = std::log(1 + 80.0 * 80 / (250.0 * 250));
  EXPECT_TRUE(Close("median = exp(mu)", d.quantile(0.5), std::exp(std::log(250.0) - s2 / 2), 1e-12 * 250));
}

TEST(HandValues, PertMean) {
  for (const auto& [a, m, b, lambda] :
       {std::tuple{0.15, 0.35, 1.0, 4.0}, std::tuple{10.0, 10.0, 20.0, 4.0}, std::tuple{-5.0, 3.0, 3.0, 2.0},
        std::tuple{0.0, 30.0, 100.0, 10.0}, std::tuple{1e6, 1.5e6, 4e6, 0.5}}) {
    const Distribution d = Distribution::pert(a, m, b, lambda);
    const double expected = (a + lambda * m + b) / (lambda + 2);
    EXPECT_TRUE(Close(d.describe() + " mean", d.mean(), expected, 1e-13 * std::max(1.0, std::fabs(expected))));
    EXPECT_EQ(d.support_min(), a);
    EXPECT_EQ(d.support_max(), b);
  }
  // A mode halfway between min and max makes it symmetric: median = mode.
  EXPECT_TRUE(Close("symmetric pert median", Distribution::pert(0, 5, 10).quantile(0.5), 5, 1e-12));
  // Mode at min with lambda 4: Beta(1, 5), F(t) = 1 - (1 - t)^5.
  const double t = Distribution::pert(0, 0, 1).quantile(0.5);
  EXPECT_TRUE(Close("pert(0,0,1) median", t, 1 - std::pow(0.5, 0.2), 1e-13));
}

TEST(HandValues, Bernoulli) {
  const Distribution d = Distribution::bernoulli(0.3);
  // quantile(u) = u > 1 - p ? 1 : 0, so P(1) = p.
  EXPECT_EQ(d.quantile(0.7), 0.0);
  EXPECT_EQ(d.quantile(std::nextafter(0.7, 1.0)), 1.0);
  EXPECT_EQ(d.quantile(0.2), 0.0);
  EXPECT_EQ(d.quantile(0.99), 1.0);
  EXPECT_EQ(Distribution::bernoulli(0).quantile(1 - 0x1p-53), 0.0);
  EXPECT_EQ(Distribution::bernoulli(1).quantile(tiny_u), 1.0);
  EXPECT_EQ(Distribution::bernoulli(0).support_max(), 0.0);
  EXPECT_EQ(Distribution::bernoulli(1).support_min(), 1.0);
  EXPECT_EQ(d.cdf(0), 0.7);
  EXPECT_EQ(d.cdf(-0.5), 0.0);
  EXPECT_EQ(d.cdf(1), 1.0);
  EXPECT_DOUBLE_EQ(d.variance(), 0.21);
}

TEST(HandValues, Discrete) {
  const Distribution d = Distribution::discrete({3, 1, 7, 1}, {1, 2, 1, 0});
  // Sorted: 1 (weight 2), 3 (1), 7 (1) -> CDF 0.5, 0.75, 1.
  EXPECT_EQ(d.quantile(0.5), 1.0);  // smallest x with CDF(x) >= u
  EXPECT_EQ(d.quantile(std::nextafter(0.5, 1.0)), 3.0);
  EXPECT_EQ(d.quantile(0.75), 3.0);
  EXPECT_EQ(d.quantile(0.76), 7.0);
  EXPECT_EQ(d.quantile(tiny_u), 1.0);
  EXPECT_EQ(d.quantile(1 - 0x1p-53), 7.0);
  EXPECT_EQ(d.cdf(0.9), 0.0);
  EXPECT_EQ(d.cdf(1), 0.5);
  EXPECT_EQ(d.cdf(6.9), 0.75);
  EXPECT_EQ(d.cdf(7), 1.0);
  EXPECT_EQ(d.mean(), 3.0);
  EXPECT_EQ(d.support_min(), 1.0);
  EXPECT_EQ(d.support_max(), 7.0);
  // Zero-weight values are not in the support.
  const Distribution z = Distribution::discrete({-100, 5, 100}, {0, 1, 0});
  EXPECT_EQ(z.support_min(), 5.0);
  EXPECT_EQ(z.support_max(), 5.0);
  EXPECT_EQ(z.quantile(tiny_u), 5.0);
  EXPECT_EQ(z.variance(), 0.0);
}

TEST(HandValues, Gamma) {
  // Exponential(scale 2): quantile(u) = -2 ln(1 - u).
  const Distribution e = Distribution::gamma(1, 2);
  for (const double u : {1e-10, 0.1, 0.5, 0.9, 1 - 1e-10}) {
    EXPECT_TRUE(Close("exponential quantile(" + std::to_string(u) + ")", e.quantile(u), -2 * std::log1p(-u),
                      1e-13 * -2 * std::log1p(-u)));
  }
  const Distribution g = Distribution::gamma_mean_sd(10, 5);
  EXPECT_TRUE(Close("gamma_mean_sd mean", g.mean(), 10, 1e-13));
  EXPECT_TRUE(Close("gamma_mean_sd variance", g.variance(), 25, 1e-12));
  EXPECT_EQ(g.support_min(), 0.0);
  EXPECT_EQ(g.support_max(), inf);
}

// Gamma shapes above 1e6 take the quantile from Temme's expansion by Newton
// steps (a bounded cost; Boost's inverse costs O(sqrt(shape))): against
// Boost's inverse at the switch-over and above it, over the whole of (0,1).
TEST(GammaLargeShape, MatchesTheExactInverseAtTheSwitchOver) {
  using Policy = boost::math::policies::policy<boost::math::policies::promote_float<false>,
                                               boost::math::policies::promote_double<false>>;
  const double us[] = {std::numeric_limits<double>::min(), 1e-300, 1e-100, 1e-20, 1e-8, 1e-3, 0.1, 0.3, 0.5,
                       0.5 + 1e-9, 0.7, 0.9, 0.999, 1 - 1e-8, 1 - 1e-14, 1 - 0x1p-53};
  for (const auto& [shape, tolerance] : {std::pair{1e6, 1e-14}, std::pair{std::nextafter(1e6, 2e6), 1e-14},
                                         std::pair{2e6, 2e-14}, std::pair{1e7, 5e-14}, std::pair{1e8, 3e-13}}) {
    const Distribution d = Distribution::gamma(shape, 3);
    for (const double u : us) {
      const double exact = 3 * (u <= 0.5 ? boost::math::gamma_p_inv(shape, u, Policy())
                                         : boost::math::gamma_q_inv(shape, 1 - u, Policy()));
      EXPECT_TRUE(Close("gamma(" + std::to_string(shape) + ") quantile(" + std::to_string(u) + ")", d.quantile(u),
                        exact, tolerance * exact));
    }
  }
}

// Far above the switch-over (no exact inverse to compare with at a bounded
// cost): the median is shape - 1/3 + O(1/shape), the quantiles rise with u,
// and every one is finite; the issue's gamma {mean: 100000, sd: 0.1}, shape
// 1e12, included.
TEST(GammaLargeShape, HugeShapesGiveTheAsymptoticQuantiles) {
  for (const double shape : {1e9, 1e12, 1e15, 1e100, 1e300}) {
    const Distribution d = Distribution::gamma(shape, 1);
    EXPECT_TRUE(Close("median", d.quantile(0.5), shape - 1.0 / 3, 4e-15 * shape + 1e-6));
    double previous = 0;
    for (const double u : {std::numeric_limits<double>::min(), 1e-100, 0.01, 0.5, 0.99, 1 - 0x1p-53}) {
      const double x = d.quantile(u);
      EXPECT_TRUE(std::isfinite(x));
      EXPECT_GE(x, previous) << "shape " << shape << ", u " << u;
      previous = x;
    }
  }
  const Distribution issue = Distribution::gamma_mean_sd(100000, 0.1);
  // z = 1.2815515655446004 at u = 0.9: about mean + z sd.
  EXPECT_TRUE(Close("gamma(mean 1e5, sd 0.1) P90", issue.quantile(0.9), 100000 + 0.1 * 1.2815515655446004, 1e-6));
}

TEST(HandValues, Describe) {
  EXPECT_EQ(Distribution::pert(0.15, 0.35, 1).describe(), "pert(min 0.15, mode 0.35, max 1, lambda 4)");
  EXPECT_EQ(Distribution::constant(3).describe(), "constant(3)");
  EXPECT_EQ(Distribution::uniform(1, 2.5).describe(), "uniform(min 1, max 2.5)");
  EXPECT_EQ(Distribution::triangular(0, 1, 2).describe(), "triangular(min 0, mode 1, max 2)");
  EXPECT_EQ(Distribution::normal(10, 2).describe(), "normal(mean 10, sd 2)");
  EXPECT_EQ(Distribution::normal(10, 2, 0).describe(), "normal(mean 10, sd 2, min 0)");
  EXPECT_EQ(Distribution::normal(10, 2, -inf, 12).describe(), "normal(mean 10, sd 2, max 12)");
  EXPECT_EQ(Distribution::lognormal_mu_sigma(1, 0.5).describe(), "lognormal(mu 1, sigma 0.5)");
  EXPECT_EQ(Distribution::lognormal_mean_sd(100, 50).describe(), "lognormal(mean 100, sd 50)");
  EXPECT_EQ(Distribution::lognormal_percentiles(0.05, 10, 0.95, 100).describe(), "lognormal(p5 10, p95 100)");
  EXPECT_EQ(Distribution::poisson(3.5).describe(), "poisson(mean 3.5)");
  EXPECT_EQ(Distribution::bernoulli(0.25).describe(), "bernoulli(p 0.25)");
  EXPECT_EQ(Distribution::beta(2, 3).describe(), "beta(alpha 2, beta 3)");
  EXPECT_EQ(Distribution::beta(2, 3, 10, 20).describe(), "beta(alpha 2, beta 3, min 10, max 20)");
  EXPECT_EQ(Distribution::gamma(2, 3).describe(), "gamma(shape 2, scale 3)");
  EXPECT_EQ(Distribution::gamma_mean_sd(6, 4).describe(), "gamma(mean 6, sd 4)");
  EXPECT_EQ(Distribution::discrete({2, 1}, {1, 3}).describe(), "discrete(values [1, 2], probabilities [0.75, 0.25])");
  EXPECT_EQ(Distribution::discrete(std::vector<double>(20, 0.0), std::vector<double>(20, 1.0)).describe(),
            "discrete(values [0], probabilities [1])");
  std::vector<double> many(20), ones(20, 1.0);
  for (int i = 0; i < 20; ++i) many[i] = i;
  EXPECT_EQ(Distribution::discrete(many, ones).describe(), "discrete(20 values from 0 to 19)");
}

// Every kind has at least one reference case, so none skips the property
// suite above (EveryKind): a new kind without one fails here.
TEST(HandValues, EveryKindHasAReference) {
  std::set<std::string> covered;
  for (const Reference& r : references()) covered.insert(std::string(r.dist.kind_name()));
  for (const std::string_view kind : distribution_kind_names())
    EXPECT_TRUE(covered.count(std::string(kind))) << kind << " has no entry in references()";
}

TEST(HandValues, KindNames) {
  const std::vector<std::string_view> names = {"constant", "uniform", "triangular", "pert",  "normal",  "lognormal",
                                               "poisson",  "bernoulli", "beta",     "gamma", "discrete"};
  EXPECT_EQ(distribution_kind_names(), names);
  EXPECT_EQ(Distribution::constant(1).kind_name(), "constant");
  EXPECT_EQ(Distribution::pert(0, 1, 2).kind_name(), "pert");
  EXPECT_EQ(Distribution::lognormal_mean_sd(1, 1).kind_name(), "lognormal");
  EXPECT_EQ(Distribution::gamma_mean_sd(1, 1).kind_name(), "gamma");
  EXPECT_EQ(Distribution::discrete({1}, {1}).kind_name(), "discrete");
}

// The named fields hold the parameters as given, and what is derived from
// them (PERT's beta shape: alpha = 1 + lambda (mode - min) / (max - min)).
TEST(HandValues, NamedFields) {
  const Distribution pert_distribution = Distribution::pert(1, 2, 5, 4);
  const Pert* pert = pert_distribution.get_if<Pert>();
  ASSERT_NE(pert, nullptr);
  EXPECT_EQ(pert->min, 1.0);
  EXPECT_EQ(pert->mode, 2.0);
  EXPECT_EQ(pert->max, 5.0);
  EXPECT_EQ(pert->lambda, 4.0);
  EXPECT_EQ(pert->alpha, 2.0);
  EXPECT_EQ(pert->beta, 4.0);
  EXPECT_EQ(Distribution::pert(1, 2, 5, 4).beta_shape(), (std::pair{2.0, 4.0}));
  EXPECT_EQ(Distribution::beta(0.5, 3).beta_shape(), (std::pair{0.5, 3.0}));
  EXPECT_FALSE(Distribution::uniform(0, 1).beta_shape());
  const Distribution truncated = Distribution::normal(10, 2, 0), untruncated = Distribution::normal(10, 2);
  const Normal* normal = truncated.get_if<Normal>();
  ASSERT_NE(normal, nullptr);
  EXPECT_TRUE(normal->truncated());
  EXPECT_EQ(normal->min, 0.0);
  EXPECT_EQ(normal->max, inf);
  EXPECT_FALSE(untruncated.get_if<Normal>()->truncated());
  const Distribution gamma_distribution = Distribution::gamma_mean_sd(6, 3);
  const Gamma* gamma = gamma_distribution.get_if<Gamma>();
  ASSERT_NE(gamma, nullptr);
  EXPECT_EQ(gamma->shape, 4.0);  // (mean / sd)^2
  EXPECT_EQ(gamma->scale, 1.5);  // sd^2 / mean
  const Distribution bernoulli = Distribution::bernoulli(0.25), uniform = Distribution::uniform(0, 1);
  EXPECT_EQ(bernoulli.get_if<Bernoulli>()->q, 0.75);
  EXPECT_EQ(uniform.get_if<Pert>(), nullptr);
}

// A kind built directly is the same distribution as through the factory.
TEST(HandValues, KindsConvertToDistributions) {
  const Distribution direct = Triangular::make(1, 2, 4);
  EXPECT_TRUE(direct.same_quantiles(Distribution::triangular(1, 2, 4)));
  EXPECT_FALSE(direct.same_quantiles(Distribution::triangular(1, 2, 5)));
  EXPECT_FALSE(direct.same_quantiles(Distribution::uniform(1, 4)));
  EXPECT_TRUE(Distribution().same_quantiles(Distribution::constant(0)));
  // Conservative: the same values given another way, or as another kind, differ.
  const Distribution lognormal = Distribution::lognormal_mean_sd(100, 30);
  EXPECT_TRUE(lognormal.same_quantiles(Distribution::lognormal_mean_sd(100, 30)));
  const Lognormal* by_moments = lognormal.get_if<Lognormal>();
  ASSERT_NE(by_moments, nullptr);
  EXPECT_EQ(by_moments->given, Lognormal::Given::mean_sd);
  EXPECT_FALSE(lognormal.same_quantiles(Distribution::lognormal_mu_sigma(by_moments->mu, by_moments->sigma)));
  EXPECT_FALSE(Distribution::pert(0, 1, 2, 4).same_quantiles(Distribution::beta(3, 3, 0, 2)));
  EXPECT_FALSE(Distribution::pert(0, 1, 2, 4).same_quantiles(Distribution::pert(0, 1, 2, 2)));
}

// ---------------------------------------------------------------------------
// Validation

// Expects a DistributionError whose message contains every fragment.
template <typename F>
void expect_error(F&& make, std::initializer_list<const char*> fragments) {
  try {
    make();
    ADD_FAILURE() << "no DistributionError; expected one mentioning \"" << *fragments.begin() << "\"";
  } catch (const DistributionError& e) {
    const std::string message = e.what();
    for (const char* f : fragments) {
      EXPECT_NE(message.find(f), std::string::npos) << "message \"" << message << "\" lacks \"" << f << "\"";
    }
  }
}

// Beta and PERT whose smaller shape is above 1e8 are refused (the exact
// inverse's cost grows without bound with it); up to it they are drawn.
TEST(Validation, BetaAndPertShapesBoundedForACost) {
  expect_error([] { Distribution::beta(2e8, 2e8); }, {"beta needs alpha or beta at most 1e8", "alpha 2e+08"});
  expect_error([] { Distribution::beta(1e20, 1e20, 0, 5); }, {"beta needs alpha or beta at most 1e8"});
  expect_error([] { Distribution::pert(0, 1, 2, 1e300); },
               {"pert needs lambda x min(mode - min, max - mode) / (max - min) at most 1e8", "lambda 1e+300"});
  expect_error([] { Distribution::pert(0, 0.001, 2, 1e12); }, {"pert needs lambda x min"});
  for (const Distribution& d : {Distribution::beta(1e8, 1e300), Distribution::beta(1e300, 3),
                                Distribution::pert(0, 0, 2, 1e300), Distribution::pert(0, 1, 2, 2e8)}) {
    for (const double u : {1e-300, 0.25, 0.5, 0.75, 1 - 1e-16})
      EXPECT_TRUE(std::isfinite(d.quantile(u))) << d.describe();
  }
}

TEST(Validation, OrderOfBounds) {
  expect_error([] { Distribution::pert(3, 2, 5); }, {"pert needs min <= mode <= max", "min 3, mode 2, max 5"});
  expect_error([] { Distribution::pert(1, 6, 5); }, {"pert needs min <= mode <= max", "mode 6"});
  expect_error([] { Distribution::pert(2, 2, 2); }, {"pert needs min < max"});
  expect_error([] { Distribution::triangular(1, 0, 2); }, {"triangular needs min <= mode <= max", "min 1, mode 0"});
  expect_error([] { Distribution::triangular(1, 1, 1); }, {"triangular needs min < max"});
  expect_error([] { Distribution::uniform(2, 1); }, {"uniform needs min < max", "min 2, max 1"});
  expect_error([] { Distribution::uniform(1, 1); }, {"uniform needs min < max"});
  expect_error([] { Distribution::normal(0, 1, 5, 5); }, {"normal needs min < max"});
  expect_error([] { Distribution::normal(0, 1, 6, 2); }, {"normal needs min < max"});
  expect_error([] { Distribution::beta(2, 2, 1, 0); }, {"beta needs min < max"});
  expect_error([] { Distribution::lognormal_percentiles(0.95, 10, 0.05, 100); }, {"0 < p_lo < p_hi < 1"});
  expect_error([] { Distribution::lognormal_percentiles(0.05, 100, 0.95, 10); }, {"0 < x_lo < x_hi"});
  expect_error([] { Distribution::lognormal_percentiles(0, 1, 0.95, 10); }, {"0 < p_lo < p_hi < 1"});
  expect_error([] { Distribution::lognormal_percentiles(0.05, 1, 1, 10); }, {"0 < p_lo < p_hi < 1"});
  expect_error([] { Distribution::lognormal_percentiles(0.05, 0, 0.95, 10); }, {"0 < x_lo < x_hi"});
}

TEST(Validation, ScaleAndShape) {
  expect_error([] { Distribution::normal(0, 0); }, {"normal needs sd > 0", "sd 0"});
  expect_error([] { Distribution::normal(0, -1); }, {"normal needs sd > 0", "sd -1"});
  expect_error([] { Distribution::lognormal_mu_sigma(0, 0); }, {"lognormal needs sigma > 0"});
  expect_error([] { Distribution::lognormal_mean_sd(-1, 1); }, {"lognormal needs mean > 0", "mean -1"});
  expect_error([] { Distribution::lognormal_mean_sd(1, 0); }, {"lognormal needs sd > 0"});
  expect_error([] { Distribution::pert(0, 1, 2, 0); }, {"pert needs lambda > 0", "lambda 0"});
  expect_error([] { Distribution::pert(0, 1, 2, -1); }, {"pert needs lambda > 0"});
  expect_error([] { Distribution::beta(0, 1); }, {"beta needs alpha > 0 and beta > 0", "alpha 0"});
  expect_error([] { Distribution::beta(1, -2); }, {"beta needs alpha > 0 and beta > 0"});
  expect_error([] { Distribution::gamma(0, 1); }, {"gamma needs shape > 0 and scale > 0"});
  expect_error([] { Distribution::gamma(1, -1); }, {"gamma needs shape > 0 and scale > 0"});
  expect_error([] { Distribution::gamma_mean_sd(0, 1); }, {"gamma needs mean > 0 and sd > 0"});
  expect_error([] { Distribution::gamma_mean_sd(1, 0); }, {"gamma needs mean > 0 and sd > 0"});
  expect_error([] { Distribution::bernoulli(-0.1); }, {"bernoulli needs 0 <= p <= 1", "p -0.1"});
  expect_error([] { Distribution::bernoulli(1.5); }, {"bernoulli needs 0 <= p <= 1"});
  expect_error([] { Distribution::poisson(-1); }, {"poisson needs 0 <= mean", "mean -1"});
  expect_error([] { Distribution::poisson(1e16); }, {"poisson needs 0 <= mean <= 1e+15"});
}

TEST(Validation, NonFiniteParameters) {
  const double nan = std::nan("");
  expect_error([&] { Distribution::constant(nan); }, {"constant needs finite parameters", "value nan"});
  expect_error([&] { Distribution::constant(inf); }, {"constant needs finite parameters"});
  expect_error([&] { Distribution::uniform(0, inf); }, {"uniform needs finite parameters", "max inf"});
  expect_error([&] { Distribution::triangular(0, nan, 1); }, {"triangular needs finite parameters"});
  expect_error([&] { Distribution::pert(0, 1, 2, nan); }, {"pert needs finite parameters", "lambda nan"});
  expect_error([&] { Distribution::normal(nan, 1); }, {"normal needs a finite mean and sd"});
  expect_error([&] { Distribution::normal(0, inf); }, {"normal needs a finite mean and sd"});
  expect_error([&] { Distribution::normal(0, 1, nan, 1); }, {"normal needs"});
  expect_error([&] { Distribution::normal(0, 1, inf, inf); }, {"normal needs"});
  expect_error([&] { Distribution::lognormal_mu_sigma(-inf, 1); }, {"lognormal needs finite parameters"});
  expect_error([&] { Distribution::lognormal_mean_sd(nan, 1); }, {"lognormal needs finite parameters"});
  expect_error([&] { Distribution::lognormal_percentiles(0.05, 1, 0.95, inf); }, {"lognormal needs finite parameters"});
  expect_error([&] { Distribution::poisson(nan); }, {"poisson needs finite parameters"});
  expect_error([&] { Distribution::poisson(inf); }, {"poisson needs finite parameters"});
  expect_error([&] { Distribution::bernoulli(nan); }, {"bernoulli needs finite parameters"});
  expect_error([&] { Distribution::beta(1, 1, -inf, 1); }, {"beta needs finite parameters"});
  expect_error([&] { Distribution::gamma(inf, 1); }, {"gamma needs finite parameters"});
  expect_error([&] { Distribution::gamma_mean_sd(1, nan); }, {"gamma needs finite parameters"});
}

TEST(Validation, Discrete) {
  expect_error([] { Distribution::discrete({}, {}); }, {"discrete needs at least one value"});
  expect_error([] { Distribution::discrete({1, 2, 3}, {1, 1}); },
               {"discrete needs one weight per value", "3 values and 2 weights"});
  expect_error([] { Distribution::discrete({1, 2}, {0, 0}); }, {"positive, finite sum", "sum 0"});
  expect_error([] { Distribution::discrete({1, 2}, {-1, 2}); }, {"weights >= 0", "-1 as weight 1 of 2"});
  expect_error([] { Distribution::discrete({1, 2}, {1, inf}); }, {"finite weights"});
  expect_error([] { Distribution::discrete({1, std::nan("")}, {1, 1}); }, {"finite values", "nan as value 2 of 2"});
  expect_error([] { Distribution::discrete({1, inf}, {1, 1}); }, {"finite values"});
  expect_error([] { Distribution::discrete({1, 2}, {1e308, 1e308}); }, {"positive, finite sum", "sum inf"});
}

TEST(Validation, NoMassOrOverflow) {
  // A truncation where the normal has (numerically) no probability.
  expect_error([] { Distribution::normal(0, 1, 40, inf); }, {"no probability between min and max"});
  expect_error([] { Distribution::normal(0, 1, -inf, -45); }, {"no probability between min and max"});
  // Tails or moments beyond the range of a double.
  expect_error([] { Distribution::lognormal_mu_sigma(700, 10); }, {"too extreme"});
  expect_error([] { Distribution::lognormal_mu_sigma(0, 30); }, {"too extreme"});
  expect_error([] { Distribution::normal(1e308, 1e308); }, {"too extreme"});
  expect_error([] { Distribution::uniform(-1e308, 1e308); }, {"too extreme"});
  expect_error([] { Distribution::gamma(1, 1e306); }, {"too extreme"});
  expect_error([] { Distribution::lognormal_mean_sd(1, 1e-200); }, {"lognormal needs sd / mean"});
}

// ---------------------------------------------------------------------------
// normal_quantile, normal_cdf

TEST(NormalQuantile, AgreesWithBoostErfcInvToFullPrecision) {
  // Phi^-1(p) = -sqrt(2) erfc^-1(2 p), evaluated with Boost in long double.
  std::vector<double> ps;
  for (int e = 1; e <= 300; ++e) {
    ps.push_back(std::pow(10.0, -e));
    ps.push_back(3 * std::pow(10.0, -e));
  }
  for (int i = 1; i < 1000; ++i) ps.push_back(i / 1000.0);
  double worst = 0;
  for (const double p : ps) {
    const double expected =
        static_cast<double>(-std::numbers::sqrt2_v<long double> * boost::math::erfc_inv(2.0L * p));
    const double z = normal_quantile(p);
    const double rel = std::fabs(z - expected) / std::max(std::fabs(expected), 1e-300);
    worst = std::max(worst, rel);
    EXPECT_TRUE(Close("normal_quantile(" + std::to_string(p) + ")", z, expected, 1e-15 * std::fabs(expected)));
    if (p < 0.5) {
      EXPECT_EQ(normal_quantile(1 - p), -normal_quantile(1 - (1 - p))) << "symmetry at " << p;
    }
  }
  RecordProperty("worst_relative_error", std::to_string(worst));
}

TEST(NormalQuantile, SpecialValues) {
  EXPECT_EQ(normal_quantile(0.5), 0.0);
  EXPECT_TRUE(Close("z_0.975", normal_quantile(0.975), 1.959963984540054, 2e-15 * 1.96));
  EXPECT_TRUE(Close("z_0.05", normal_quantile(0.05), -1.6448536269514722, 2e-15 * 1.65));
  EXPECT_EQ(normal_quantile(0), -inf);
  EXPECT_EQ(normal_quantile(1), inf);
  for (const double u : {tiny_u, 1e-300, 0x1p-54, 0x1p-53, 1 - 0x1p-53}) {
    EXPECT_TRUE(std::isfinite(normal_quantile(u))) << u;
  }
  EXPECT_GT(normal_quantile(tiny_u), -38.5);
  EXPECT_LT(normal_quantile(1 - 0x1p-53), 8.3);
}

TEST(NormalCdf, ValuesAndRoundTrip) {
  EXPECT_EQ(normal_cdf(0), 0.5);
  EXPECT_EQ(normal_cdf(-inf), 0.0);
  EXPECT_EQ(normal_cdf(inf), 1.0);
  EXPECT_TRUE(Close("Phi(1.96)", normal_cdf(1.959963984540054), 0.975, 2e-16));
  EXPECT_TRUE(Close("Phi(-1)", normal_cdf(-1), 0.15865525393145705, 5e-17));
  EXPECT_GT(normal_cdf(-37), 0.0);
  for (const double p : {1e-300, 1e-100, 1e-20, 1e-5, 0.01, 0.3, 0.5}) {
    const double z = normal_quantile(p);
    // A relative error e in z becomes about z^2 e in Phi(z).
    EXPECT_TRUE(Close("Phi(Phi^-1(" + std::to_string(p) + "))", normal_cdf(z), p, 2e-15 * (1 + z * z) * p));
  }
}

// ---------------------------------------------------------------------------
// poisson_quantile

TEST(PoissonQuantile, HandValues) {
  // Poisson(1): F(0) = e^-1 = 0.3679, F(1) = 0.7358, F(2) = 0.9197, F(3) = 0.9810.
  EXPECT_EQ(poisson_quantile(1, 0.3), 0.0);
  EXPECT_EQ(poisson_quantile(1, 0.36), 0.0);
  EXPECT_EQ(poisson_quantile(1, 0.37), 1.0);
  EXPECT_EQ(poisson_quantile(1, 0.5), 1.0);
  EXPECT_EQ(poisson_quantile(1, 0.9), 2.0);
  EXPECT_EQ(poisson_quantile(1, 0.95), 3.0);
  // Poisson(5): F(4) = 0.4405, F(5) = 0.6160.
  EXPECT_EQ(poisson_quantile(5, 0.44), 4.0);
  EXPECT_EQ(poisson_quantile(5, 0.5), 5.0);
  // Poisson(0.001): F(0) = e^-0.001 = 0.9990005.
  EXPECT_EQ(poisson_quantile(1e-3, 0.999), 0.0);
  EXPECT_EQ(poisson_quantile(1e-3, 0.9991), 1.0);
  // Mean 0 is the constant 0.
  for (const double u : {tiny_u, 0.5, 1 - 0x1p-53}) {
    EXPECT_EQ(poisson_quantile(0, u), 0.0);
  }
  // Medians of large means (F(k-1) < 0.5 <= F(k), from mpmath at 50 digits):
  // F(1e6) = 0.500266, F(1e9) = 0.5000084, F(1e12) = 0.50000027, F(1e15) = 0.5000000084.
  EXPECT_EQ(poisson_quantile(1e6, 0.5), 1e6);
  EXPECT_EQ(poisson_quantile(1e9, 0.5), 1e9);
  EXPECT_EQ(poisson_quantile(1e12, 0.5), 1e12);
  EXPECT_EQ(poisson_quantile(1e15, 0.5), 1e15);
  // F(1000003000000; 1e12) = 0.998650098275164, pmf there ~ 4.4e-9.
  EXPECT_EQ(poisson_quantile(1e12, 0.998650098275), 1000003000000.0);
  EXPECT_EQ(poisson_quantile(1e12, 0.998650098276), 1000003000001.0);
}

TEST(PoissonQuantile, CdfMatchesHighPrecisionValues) {
  // P(K <= k) for K ~ Poisson(mean), from mpmath (50 digits).
  struct Case {
    double mean, k, cdf, upper;
  };
  const Case cases[] = {
      {1e3, 747, 3.2299435057840575438e-17, 0.9999999999999999677},
      {1e3, 1000, 0.50840936716850599121, 0.49159063283149400879},
      {1e3, 1252, 0.99999999999999234345, 7.6565535708961795713e-15},
      {1e6, 992000, 5.7338297435741300485e-16, 0.99999999999999942662},
      {1e6, 1003000, 0.99864640987089875081, 0.0013535901291012491903},
      {1e6, 1008000, 0.99999999999999932549, 6.7450853566881375704e-16},
      {1e9, 999747017, 6.2037479030698420659e-16, 0.99999999999999937963},
      {1e9, 1000015811, 0.69146509649944922983, 0.30853490350055077017},
      {1e9, 1000252982, 0.99999999999999937627, 6.2372966091623444429e-16},
      {1e12, 999992000000, 6.2204553656543419615e-16, 0.99999999999999937795},
      {1e12, 999997000000, 0.0013498943384219766178, 0.99865010566157802338},
      {1e12, 1000000500000, 0.69146268131477677749, 0.30853731868522322251},
      {1e15, 999999905131670, 0.001349897887519101822, 0.99865010211248089818},
      {1e15, 1000000094868329, 0.99865010173875461736, 0.0013498982612453826356},
  };
  for (const Case& c : cases) {
    const Distribution d = Distribution::poisson(c.mean);
    const double f = d.cdf(c.k);
    // The smaller tail to 1e-12 relative.
    if (c.cdf < 0.5) {
      EXPECT_TRUE(Close("P(K <= " + std::to_string(c.k) + "), mean " + std::to_string(c.mean), f, c.cdf, 1e-12 * c.cdf));
    } else {
      EXPECT_TRUE(Close("P(K > " + std::to_string(c.k) + "), mean " + std::to_string(c.mean), 1 - f, c.upper,
                        1e-12 * c.upper + 1e-16));
    }
  }
}

// P(K <= k) and P(K > k) from Boost's public functions (independent of the
// code under test for the means here).
double ref_lower(double mean, double k) { return k < 0 ? 0.0 : boost::math::gamma_q(k + 1, mean); }
double ref_upper(double mean, double k) { return k < 0 ? 1.0 : boost::math::gamma_p(k + 1, mean); }

TEST(PoissonQuantile, BracketsTheCdf) {
  // (Subnormal u are left out: Boost's tails are too coarse there to judge.)
  std::vector<double> us = {1e-300, 0x1p-54, 1e-12, 1e-6, 0.01, 0.1, 0.5, 0.9, 0.99, 1 - 1e-6, 1 - 1e-12, 1 - 0x1p-53};
  std::vector<double> random(300);
  fill_uniforms(Stream{77, variable_id("poisson bracket")}, 0, random.size(), 0, random.data());
  us.insert(us.end(), random.begin(), random.end());
  for (const double mean : {0.0, 1e-3, 5.0, 49.9, 50.0, 50.1, 1e3, 1e6}) {
    for (const double u : us) {
      const double k = poisson_quantile(mean, u);
      ASSERT_TRUE(std::isfinite(k) && k >= 0 && k == std::floor(k)) << "mean " << mean << " u " << u << " k " << k;
      if (mean == 0) {
        EXPECT_EQ(k, 0.0);
        continue;
      }
      // P(K <= k-1) < u <= P(K <= k), compared in the tail where it is exact.
      if (u <= 0.5) {
        EXPECT_LT(ref_lower(mean, k - 1), u) << "mean " << mean << " u " << u << " k " << k;
        EXPECT_GE(ref_lower(mean, k), u) << "mean " << mean << " u " << u << " k " << k;
      } else {
        EXPECT_LE(ref_upper(mean, k), 1 - u) << "mean " << mean << " u " << u << " k " << k;
        EXPECT_GT(ref_upper(mean, k - 1), 1 - u) << "mean " << mean << " u " << u << " k " << k;
      }
    }
  }
}

TEST(PoissonQuantile, LargeMeansAreConsistentWithTheirCdf) {
  for (const double mean : {1e9, 1e12, 1e15}) {
    const Distribution d = Distribution::poisson(mean);
    EXPECT_TRUE(std::isfinite(poisson_quantile(mean, tiny_u)));
    for (const double u : {1e-300, 1e-15, 0.001, 0.3, 0.5, 0.7, 0.999, 1 - 1e-15, 1 - 0x1p-53}) {
      const double k = poisson_quantile(mean, u);
      ASSERT_TRUE(std::isfinite(k)) << mean << " " << u;
      if (u <= 0.5) {
        EXPECT_GE(d.cdf(k), u) << "mean " << mean << " u " << u << " k " << k;
        EXPECT_LT(d.cdf(k - 1), u) << "mean " << mean << " u " << u << " k " << k;
      } else {
        EXPECT_LE(1 - d.cdf(k), 1 - u + 1e-16) << "mean " << mean << " u " << u << " k " << k;
        EXPECT_GT(1 - d.cdf(k - 1), 1 - u - 1e-16) << "mean " << mean << " u " << u << " k " << k;
      }
      // Near the Cornish-Fisher value.
      const double z = normal_quantile(u);
      EXPECT_LT(std::fabs(k - (mean + std::sqrt(mean) * z + (z * z - 1) / 6)), 3 + std::fabs(z * z * z))
          << "mean " << mean << " u " << u;
    }
  }
}

TEST(PoissonQuantile, QuantileOfCdfIsExactForSmallMeans) {
  // Below 1 - 1e-9 the CDF of a mean <= 50 is the very sum the quantile adds
  // up, so even exact ties resolve to k.
  for (const double mean : {1e-3, 0.7, 3.5, 20.0, 49.9}) {
    const Distribution d = Distribution::poisson(mean);
    for (double k = 0; d.cdf(k) <= 1 - 1e-9; ++k) {
      EXPECT_EQ(poisson_quantile(mean, d.cdf(k)), k) << "mean " << mean;
      EXPECT_EQ(d.quantile(d.cdf(k)), k) << "mean " << mean;
    }
  }
}

// The shortcut for small means (u <= 1 - 2 mean gives 0 without exp) must
// answer what the sum does: exp(-mean), as computed, is at least every such u,
// and just above P(0) the answer is 1, at means from 1e-300 to 1/4.
TEST(PoissonQuantile, SmallMeanShortcutAgreesWithTheSum) {
  for (double mean = 1e-300; mean <= 0.25; mean *= 1.07) {
    const double u = std::min(1.0 - 2.0 * mean, std::nextafter(1.0, 0.0));  // u = 1 is outside: infinity
    ASSERT_GE(std::exp(-mean), u) << "mean " << mean;
    EXPECT_EQ(poisson_quantile(mean, u), 0) << "mean " << mean;
    EXPECT_EQ(poisson_quantile(mean, std::nextafter(u, 0.0)), 0) << "mean " << mean;
    const double p0 = std::exp(-mean);
    if (mean > 1e-8) {  // below, P(0) is within 1e-8 of 1, where the tails are compared instead
      EXPECT_GE(Distribution::poisson(mean).cdf(0), u) << "mean " << mean;  // so 0 is the quantile
      EXPECT_EQ(poisson_quantile(mean, p0), 0) << "mean " << mean;
      EXPECT_EQ(poisson_quantile(mean, std::nextafter(p0, 1.0)), 1) << "mean " << mean;
    }
  }
}

TEST(PoissonQuantile, RejectsInvalidMeans) {
  expect_error([] { poisson_quantile(-1, 0.5); }, {"poisson needs 0 <= mean"});
  expect_error([] { poisson_quantile(std::nan(""), 0.5); }, {"poisson needs"});
  expect_error([] { poisson_quantile(inf, 0.5); }, {"poisson needs"});
  expect_error([] { poisson_quantile(2e15, 0.5); }, {"poisson needs"});
}

TEST(PoissonQuantile, OutsideTheOpenInterval) {
  EXPECT_EQ(poisson_quantile(3, 0), 0.0);
  EXPECT_EQ(poisson_quantile(3, 1), inf);
  EXPECT_TRUE(std::isnan(poisson_quantile(3, std::nan(""))));
}

}  // namespace
}  // namespace switchcost::sim

// The tabulated beta/PERT quantile (BetaTable in sim/random/distribution.cpp)
// against the exact inverse: |table - exact| <= 1e-9 on the standard [0,1]
// scale, at 20,000 uniforms per shape spread over the whole of (0,1) (logit
// spacing, so the tails and the table's edges are covered), for shapes
// across the tabulated range [1, 64]; PERT's shapes are in [1, 1 + lambda].
namespace switchcost::sim {
namespace {

TEST(BetaTable, MatchesTheExactQuantileWithinTheStatedBound) {
  const double shapes[] = {1.0, 1.05, 1.3, 2.0, 3.7, 5.0, 9.0, 17.5, 40.0, 64.0};
  double worst = 0;
  for (double a : shapes) {
    for (double b : shapes) {
      ASSERT_TRUE(beta_table_info(a, b).tabulated) << a << " " << b;
      const Distribution d = Distribution::beta(a, b);
      for (int k = 1; k < 20'000; ++k) {
        const double t = -16 + 32.0 * k / 20'000;  // logit(u) from -16 to 16
        const double u = 1 / (1 + std::exp(-t));
        const double err = std::fabs(d.quantile(u) - beta_quantile_exact(a, b, u));
        worst = std::max(worst, err);
        ASSERT_LE(err, 1e-9) << "alpha " << a << " beta " << b << " u " << u;
      }
    }
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", worst);
  RecordProperty("worst_abs_error", text);
}

// The table's grid is the binades of w = min(u, 1 - u), 64 intervals each
// (BetaTable in sim/random/distribution.cpp): at every binade edge 2^e, on both
// sides of the median, and next to it (one ulp and 1e-9 of the binade either
// way), and next to the table's ends (2^-17, where the exact inverse takes
// over) and the median, the table is within the bound and does not go down
// as u rises.
TEST(BetaTable, WithinTheBoundAndMonotoneAtTheBinadeEdges) {
  for (const auto& [a, b] : {std::pair{1.0, 2.0}, std::pair{2.0, 1.0}, std::pair{1.3, 17.5}, std::pair{64.0, 1.0},
                             std::pair{3.7, 3.7}, std::pair{5.0, 40.0}}) {
    const Distribution d = Distribution::beta(a, b);
    std::vector<double> us;
    for (int e = -18; e <= -1; ++e) {
      const double edge = std::ldexp(1.0, e);
      for (double w : {edge, std::nextafter(edge, 0.0), std::nextafter(edge, 1.0), edge * (1 - 1e-9),
                       edge * (1 + 1e-9), edge * (1 + 1.0 / 64), edge * (1 + 0.5 / 64)}) {
        us.push_back(w);
        us.push_back(1 - w);
      }
    }
    us.push_back(0.5);
    std::sort(us.begin(), us.end());
    double previous = 0;
    for (double u : us) {
      const double x = d.quantile(u);
      ASSERT_LE(std::fabs(x - beta_quantile_exact(a, b, u)), 1e-9) << "alpha " << a << " beta " << b << " u " << u;
      ASSERT_GE(x, previous) << "alpha " << a << " beta " << b << " u " << u;
      previous = x;
    }
  }
}

// The vectorisable log behind the sketches and the labor model
// (models/fastmath.h): within 2 ulp of std::log over every binade from
// 2^-1000 to 2^1000.
TEST(FastMath, LogPositiveWithinTwoUlp) {
  const Stream stream{3, 4};
  double worst = 0;
  for (int e = -1000; e <= 1000; e += 7) {
    for (std::uint64_t i = 0; i < 2000; ++i) {
      const double x = std::ldexp(0.5 + 0.5 * uniform(stream, i, std::uint32_t(e + 1000)), e);
      const double exact = std::log(x);
      const double got = fastmath::log_positive(x);
      if (exact == 0) {
        ASSERT_EQ(got, 0.0);
        continue;
      }
      const double ulp = std::nextafter(std::fabs(exact), INFINITY) - std::fabs(exact);
      worst = std::max(worst, std::fabs(got - exact) / ulp);
      ASSERT_LE(std::fabs(got - exact), 2 * ulp) << "x = " << x;
    }
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", worst);
  RecordProperty("worst_ulp", text);
}

// quantiles() on a block runs the table's vector path (AVX-512 or AVX2 where
// the CPU has it; on an AVX-512 CPU the last n mod 8 positions take the AVX2
// step, then the scalar one); quantile() on one value the scalar one. They must agree to the bit,
// in the body and in the tails (where both use the exact inverse).
TEST(BetaTable, BlockAndSingleValuesGiveTheSameBits) {
  for (const Distribution& d : {Distribution::pert(10, 12, 40), Distribution::pert(0.5, 0.9, 1.0),
                                Distribution::beta(1.3, 17.5), Distribution::beta(64, 1)}) {
    constexpr std::size_t n = 100'007;  // 7 mod 8: the AVX2 step (4) and the scalar one (3) run too
    std::vector<double> u(n), block(n);
    fill_uniforms(Stream{7, variable_id("beta-table-bits")}, 0, n, 0, u.data());
    u[0] = 1e-9;  // the tails, outside the table
    u[1] = 1 - 1e-9;
    u[2] = 0.5;
    d.quantiles(u.data(), block.data(), n);
    for (std::size_t k = 0; k < n; ++k) {
      const double single = d.quantile(u[k]);
      ASSERT_EQ(std::memcmp(&single, &block[k], sizeof single), 0) << d.describe() << " u " << u[k];
    }
  }
}

// A table is built when its body is first used (or by build_beta_tables),
// not when a distribution is made nor when only its tails are asked for, as
// loading a scenario does (check_range): `validate` then builds none.
TEST(BetaTable, BuiltWhenTheBodyIsFirstUsedOrAhead) {
  build_beta_tables(2);  // whatever other tests of this process left pending
  const Distribution a = Distribution::pert(0, 0.3141592653, 1), b = Distribution::pert(0, 0.2718281828, 1);
  const double tail = a.quantile(1e-300) + a.quantile(1 - 1e-16) + b.quantile(std::ldexp(1.0, -20));
  EXPECT_TRUE(std::isfinite(tail));
  EXPECT_EQ(build_beta_tables(2), 2u) << "the tails built no table";
  EXPECT_EQ(build_beta_tables(2), 0u) << "built once";
  const Distribution c = Distribution::pert(0, 0.1414213562, 1);
  EXPECT_GT(c.quantile(0.3), 0.0);  // built on first use
  EXPECT_EQ(build_beta_tables(2), 0u);
}

// The tables compiled into the program for the shipped scenarios' shapes
// (sim/CMakeLists.txt, tools/gen_beta_tables.cpp) hold exactly the bits the
// run-time builder gives, and a shape made afterwards uses them (built, with
// nothing left to build).
TEST(BetaTable, PrebuiltTablesAreTheRunTimeBits) {
  const auto prebuilt = prebuilt_beta_tables();
#ifdef SWITCHCOST_PREBUILT_BETA_TABLES
  ASSERT_GE(prebuilt.size(), 22u) << "the default scenario alone has 22 shapes";
#endif
  const std::size_t values = 4 * std::size_t(BetaTable::intervals);
  for (const auto& t : prebuilt) {
    const std::vector<double> fresh = beta_table_nodes(t.alpha, t.beta);
    ASSERT_EQ(fresh.size(), values);
    EXPECT_EQ(std::memcmp(fresh.data(), t.node, values * sizeof(double)), 0)
        << "shape " << t.alpha << ", " << t.beta;
    const auto table = beta_table(t.alpha, t.beta);
    ASSERT_TRUE(table);
    EXPECT_TRUE(table->built());
    EXPECT_EQ(table->node(), t.node);
  }
  // The default scenario's most common PERT shape, 1 + 4 (mode - min) / (max - min)
  // with the mode in the middle: Beta(3, 3).
#ifdef SWITCHCOST_PREBUILT_BETA_TABLES
  EXPECT_TRUE(std::any_of(prebuilt.begin(), prebuilt.end(), [](const PrebuiltBetaTable& t) {
    return t.alpha == 3 && t.beta == 3;
  }));
#endif
}

// The tables' draws, block and single, are the Hermite step of
// beta_table.h evaluated here from the nodes (Q0, Q1, c1, c2 per interval)
// as written, with the interval and position read off w = min(u, 1 - u) by
// its binade; at random u, at every binade edge of w on both sides, next to
// them, at u = 1/2 (the end of interval N - 1, f = 1), and on ranges whose
// ends the scaled values reach (the vector kernels' clamps).
TEST(BetaTable, DrawsAreTheHermiteStepOfTheNodes) {
  using T = BetaTable;
  std::vector<double> us(20'000);
  fill_uniforms(Stream{7, variable_id("beta-table-layout")}, 0, us.size(), 0, us.data());
  for (int e = T::min_exponent; e <= -1; ++e)
    for (const double w : {std::ldexp(1.0, e), std::nextafter(std::ldexp(1.0, e), 0.0),
                           std::nextafter(std::ldexp(1.0, e), 1.0), std::ldexp(1.5, e)})
      for (const double u : {w, 1 - w}) us.push_back(u);
  for (const auto& [a, b] : {std::pair{3.0, 3.0}, std::pair{1.3, 17.5}, std::pair{64.0, 1.0}, std::pair{1.0, 1.0}}) {
    const std::vector<double> node = beta_table_nodes(a, b);
    ASSERT_EQ(node.size(), 4 * std::size_t(T::intervals));
    for (const auto& [lo, hi] : {std::pair{0.0, 1.0}, std::pair{-0.0, 1e-300}, std::pair{10.0, 40.0},
                                 std::pair{0.1, 0.1 + 0x1p-40}, std::pair{-3.0, 7.0}}) {
      const Distribution d = Distribution::beta(a, b, lo, hi);
      std::vector<double> block(us.size());
      d.quantiles(us.data(), block.data(), us.size());
      for (std::size_t k = 0; k < us.size(); ++k) {
        const double u = us[k];
        const bool upper = u >= 0.5;
        const double w = upper ? 1 - u : u;
        if (!(w >= T::w_min)) continue;
        const int e = std::ilogb(w);
        const double scaled = (std::ldexp(w, -e) - 1) * T::per_octave;  // exact
        const double m = std::floor(scaled);
        const int j = (e - T::min_exponent) * T::per_octave + int(m);
        const int i = upper ? T::intervals - 1 - j : j;
        const double f = upper ? 1 - (scaled - m) : scaled - m;
        const double q0 = node[4 * i], q1 = node[4 * i + 1], c1 = node[4 * i + 2], c2 = node[4 * i + 3];
        const double c3 = ((q1 - q0) - c1) - c2;
        const double v = q0 + f * (c1 + f * (c2 + f * c3));
        const double expected = std::clamp(lo + (v < q0 ? q0 : (v > q1 ? q1 : v)) * (hi - lo), lo, hi);
        const double single = d.quantile(u);
        ASSERT_EQ(std::memcmp(&expected, &single, sizeof single), 0) << a << ", " << b << " on " << lo << ", " << hi
                                                                     << " u " << u;
        ASSERT_EQ(std::memcmp(&expected, &block[k], sizeof single), 0) << a << ", " << b << " on " << lo << ", " << hi
                                                                       << " u " << u;
      }
    }
  }
}

// Error of a double result in ulps of the long double reference (x87 expm1l / log1pl
// are good to about 2^-11 of a double ulp, so they serve as the exact value).
double ulps_off(double got, long double exact) {
  const double rounded = static_cast<double>(exact);
  const double ulp = std::nextafter(std::fabs(rounded), inf) - std::fabs(rounded);
  return static_cast<double>(std::fabs(static_cast<long double>(got) - exact) / static_cast<long double>(ulp));
}

// The vectorisable expm1 of the lost-updates quadrature (models/fastmath.h):
// within 1.5 ulp (relative error < 3.4e-16) of std::expm1 in long double over
// every binade from 2^-1074 to 2^9 of both signs, -0.5..0.5, down to -60
// (where it is -1) and up to 709.78; the special values as std::expm1.
TEST(FastMath, Expm1WithinOneAndAHalfUlp) {
  const Stream stream{3, 5};
  double worst = 0;
  auto check = [&](double x) {
    const double got = fastmath::expm1(x);
    const long double exact = std::expm1(static_cast<long double>(x));
    const double err = ulps_off(got, exact);
    worst = std::max(worst, err);
    ASSERT_LE(err, 1.5) << "x = " << x << " got " << got << " libm " << std::expm1(x);
  };
  for (int e = -1074; e <= 9; ++e) {
    for (std::uint64_t i = 0; i < 400; ++i) {
      const double x = std::ldexp(1.0 + uniform(stream, i, std::uint32_t(e + 2000)), e);
      if (x <= 709.78) {
        ASSERT_NO_FATAL_FAILURE(check(x));
      }
      ASSERT_NO_FATAL_FAILURE(check(-x));
    }
  }
  for (std::uint64_t i = 0; i < 200'000; ++i) {
    ASSERT_NO_FATAL_FAILURE(check(uniform(stream, i, 1) - 0.5));
    ASSERT_NO_FATAL_FAILURE(check(-60.0 * uniform(stream, i, 2)));
    ASSERT_NO_FATAL_FAILURE(check(709.78 * uniform(stream, i, 3)));
  }
  EXPECT_EQ(fastmath::expm1(0.0), 0.0);
  EXPECT_TRUE(std::signbit(fastmath::expm1(-0.0)));
  EXPECT_EQ(fastmath::expm1(-45.0), -1.0);
  EXPECT_EQ(fastmath::expm1(-1e300), -1.0);
  EXPECT_EQ(fastmath::expm1(-inf), -1.0);
  EXPECT_EQ(fastmath::expm1(709.79), inf);
  EXPECT_EQ(fastmath::expm1(inf), inf);
  EXPECT_TRUE(std::isnan(fastmath::expm1(std::numeric_limits<double>::quiet_NaN())));
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", worst);
  RecordProperty("worst_ulp", text);
}

// The vectorisable log1p (models/fastmath.h): within 1 ulp (relative error
// < 2.3e-16) of std::log1p in long double over every binade from 2^-1074 to
// 2^1000 of x, of -x down to -1/2, -0.5..0.5, and next to -1 (x = -1 + 2^-k u,
// k up to 53); the special values as std::log1p.
TEST(FastMath, Log1pWithinOneUlp) {
  const Stream stream{3, 6};
  double worst = 0;
  auto check = [&](double x) {
    const double got = fastmath::log1p(x);
    const long double exact = std::log1p(static_cast<long double>(x));
    const double err = ulps_off(got, exact);
    worst = std::max(worst, err);
    ASSERT_LE(err, 1.0) << "x = " << x << " got " << got << " libm " << std::log1p(x);
  };
  for (int e = -1074; e <= 1000; ++e) {
    for (std::uint64_t i = 0; i < 400; ++i) {
      const double x = std::ldexp(1.0 + uniform(stream, i, std::uint32_t(e + 2000)), e);
      ASSERT_NO_FATAL_FAILURE(check(x));
      if (x < 0.5) {
        ASSERT_NO_FATAL_FAILURE(check(-x));
      }
    }
  }
  for (std::uint64_t i = 0; i < 200'000; ++i) {
    ASSERT_NO_FATAL_FAILURE(check(uniform(stream, i, 1) - 0.5));
    const double near = -1.0 + std::ldexp(uniform(stream, i, 2), -int(i % 54));
    if (near > -1.0) {
      ASSERT_NO_FATAL_FAILURE(check(near));
    }
  }
  EXPECT_EQ(fastmath::log1p(0.0), 0.0);
  EXPECT_EQ(fastmath::log1p(-1.0), -inf);
  EXPECT_TRUE(std::isnan(fastmath::log1p(-2.0)));
  EXPECT_EQ(fastmath::log1p(inf), inf);
  EXPECT_TRUE(std::isnan(fastmath::log1p(std::numeric_limits<double>::quiet_NaN())));
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", worst);
  RecordProperty("worst_ulp", text);
}

TEST(BetaTable, MonotoneAndInsideTheSupport) {
  const Distribution d = Distribution::pert(10, 12, 40);
  double previous = 10;
  for (int k = 1; k < 100'000; ++k) {
    const double x = d.quantile(k / 100'000.0);
    ASSERT_GE(x, previous);
    ASSERT_LE(x, 40);
    previous = x;
  }
}

TEST(BetaTable, ShapesOutsideTheRangeUseTheExactInverse) {
  EXPECT_FALSE(beta_table_info(0.5, 2).tabulated);
  EXPECT_FALSE(beta_table_info(2, 100).tabulated);
  const Distribution d = Distribution::beta(0.5, 2);
  EXPECT_EQ(d.quantile(0.3), beta_quantile_exact(0.5, 2, 0.3));
}

}  // namespace
}  // namespace switchcost::sim

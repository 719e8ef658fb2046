// Distributions as inverse CDFs (see distribution.h for the contract).
//
// Parameter layout in Distribution::p_, by kind:
//   constant    value
//   uniform     min, max
//   triangular  min, mode, max
//   pert        min, max, alpha, beta, mode, lambda   (a scaled beta)
//   beta        min, max, alpha, beta
//   normal      mean, sd, min, max, t_lo, t_hi        (t_*: see Truncation below)
//   lognormal   mu, sigma, then how it was given (for describe()):
//               mean, sd, 0, 0             by mean and sd
//               p_lo, x_lo, p_hi, x_hi     by percentiles (p_hi > 0 marks it)
//               0, 0, 0, 0                 by mu and sigma
//   poisson     mean
//   bernoulli   p, 1 - p
//   gamma       shape, scale, then mean, sd when given that way (else 0, 0)
//   discrete    values_ sorted ascending and distinct, each with positive
//               probability; cumulative_[i] = P(X <= values_[i]), last == 1.
#include "sim/distribution.h"

#include "models/fastmath.h"
#include "sim/intrinsics.h"
#include "sim/parallel.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <limits>
#include <numbers>
#include <numeric>
#include <map>
#include <mutex>
#include <vector>
#include <utility>

#include <boost/math/special_functions/beta.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <boost/math/special_functions/log1p.hpp>

namespace switchcost::sim {

namespace {

using Kind = DistributionKind;

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// Boost.Math evaluated in double throughout (no promotion to long double,
// whose width differs between platforms), errors that can only come from
// extreme parameters reported as values rather than exceptions: every
// factory checks the extreme quantiles are finite before accepting.
using BoostPolicy = boost::math::policies::policy<
    boost::math::policies::promote_float<false>, boost::math::policies::promote_double<false>,
    boost::math::policies::overflow_error<boost::math::policies::ignore_error>,
    boost::math::policies::evaluation_error<boost::math::policies::ignore_error>>;
constexpr BoostPolicy boost_policy{};

// Poisson means above this are refused: quantiles stay exact integers in a
// double (< 2^53) and the CDF stays accurate.
constexpr double max_poisson_mean = 1e15;

// Poisson quantiles for means up to this sum the probabilities upwards while
// the CDF stays at or below sequential_cdf_limit: there the sum's rounding
// (~1e-14) cannot keep it from reaching u. Beyond, the exact tails are used.
constexpr double sequential_mean_limit = 50;
constexpr double sequential_cdf_limit = 1 - 1e-9;

// Beta and PERT shapes with both alpha and beta above this are refused: the
// exact inverse's cost (Boost's ibeta per step) grows without bound with the
// smaller shape, and such a distribution is a spike with an sd below 4e-5 of
// its range, for which a constant serves. Up to it a quantile costs at most
// a few tens of ibeta evaluations.
constexpr double max_smaller_beta_shape = 1e8;

// Truncations of a normal leaving less probability than this are refused.
constexpr double min_normal_mass = 1e-280;

// ---------------------------------------------------------------------------
// Messages

// Shortest text that reads back as the same double ("0.15", "1e+15", "inf").
std::string fmt(double x) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, r.ptr);
}

using Named = std::initializer_list<std::pair<const char*, double>>;

// "min 3, mode 2, max 5"
std::string list(Named params) {
  std::string s;
  for (const auto& [name, value] : params) {
    if (!s.empty()) s += ", ";
    s += name;
    s += ' ';
    s += fmt(value);
  }
  return s;
}

[[noreturn]] void fail(const std::string& message) { throw DistributionError(message); }

// Throws "<what> needs <rule> (got <params>)" unless ok.
void require(bool ok, const char* what, const char* rule, Named params) {
  if (!ok) fail(std::string(what) + " needs " + rule + " (got " + list(params) + ")");
}

void require_finite(const char* what, Named params) {
  bool ok = true;
  for (const auto& p : params) ok = ok && std::isfinite(p.second);
  require(ok, what, "finite parameters", params);
}

// ---------------------------------------------------------------------------
// Poisson CDF

// Q(a, x) if x >= a, else P(a, x): the smaller tail of the regularised
// incomplete gamma function by Temme's uniform asymptotic expansion, with the
// coefficients of DiDonato & Morris (ACM TOMS 12, 1986) as tabulated in
// Boost.Math (igamma_large.hpp, 53-bit version). For a > 200 and
// |x - a| < 0.4 a. Boost 1.74's public gamma_p/gamma_q go to an asymptotic
// series in this region when x > 1000 and x > a that needs O(sqrt(x))
// terms (and gives up past about x = 1e11), hence this copy.
double temme_small_tail(double a, double x) {
  static constexpr double c0[] = {-0.33333333333333333,   0.083333333333333333,  -0.014814814814814815,
                                  0.0011574074074074074,  0.0003527336860670194,  -0.00017875514403292181,
                                  0.39192631785224378e-4, -0.21854485106799922e-5, -0.185406221071516e-5,
                                  0.8296711340953086e-6,  -0.17665952736826079e-6, 0.67078535434014986e-8,
                                  0.10261809784240308e-7, -0.43820360184533532e-8, 0.91476995822367902e-9};
  static constexpr double c1[] = {-0.0018518518518518519, -0.0034722222222222222,  0.0026455026455026455,
                                  -0.00099022633744855967, 0.00020576131687242798,  -0.40187757201646091e-6,
                                  -0.18098550334489978e-4, 0.76491609160811101e-5,  -0.16120900894563446e-5,
                                  0.46471278028074343e-8,  0.1378633446915721e-6,   -0.5752545603517705e-7,
                                  0.11951628599778147e-7};
  static constexpr double c2[] = {0.0041335978835978836,  -0.0026813271604938272, 0.00077160493827160494,
                                  0.20093878600823045e-5, -0.00010736653226365161, 0.52923448829120125e-4,
                                  -0.12760635188618728e-4, 0.34235787340961381e-7, 0.13721957309062933e-5,
                                  -0.6298992138380055e-6, 0.14280614206064242e-6};
  static constexpr double c3[] = {0.00064943415637860082, 0.00022947209362139918, -0.00046918949439525571,
                                  0.00026772063206283885, -0.75618016718839764e-4, -0.23965051138672967e-6,
                                  0.11082654115347302e-4, -0.56749528269915966e-5, 0.14230900732435884e-5};
  static constexpr double c4[] = {-0.0008618882909167117, 0.00078403922172006663, -0.00029907248030319018,
                                  -0.14638452578843418e-5, 0.66414982154651222e-4, -0.39683650471794347e-4,
                                  0.11375726970678419e-4};
  static constexpr double c5[] = {-0.00033679855336635815, -0.69728137583658578e-4, 0.00027727532449593921,
                                  -0.00019932570516188848, 0.67977804779372078e-4,  0.1419062920643967e-6,
                                  -0.13594048189768693e-4, 0.80184702563342015e-5,  -0.22914811765080952e-5};
  static constexpr double c6[] = {0.00053130793646399222, -0.00059216643735369388, 0.00027087820967180448,
                                  0.79023532326603279e-6, -0.81539693675619688e-4,  0.56116827531062497e-4,
                                  -0.18329116582843376e-4};
  static constexpr double c7[] = {0.00034436760689237767, 0.51717909082605922e-4, -0.00033493161081142236,
                                  0.0002812695154763237, -0.00010976582244684731};
  static constexpr double c8[] = {-0.00065262391859530942, 0.00083949872067208728, -0.00043829709854172101};
  constexpr double c9 = -0.00059676129019274625;

  const auto poly = [](const auto& c, double z) {
    double r = 0;
    for (std::size_t i = std::size(c); i-- > 0;) r = r * z + c[i];
    return r;
  };

  const double sigma = (x - a) / a;
  const double phi = -boost::math::log1pmx(sigma, boost_policy);
  const double y = a * phi;
  const double z = x < a ? -std::sqrt(2 * phi) : std::sqrt(2 * phi);
  const double w[10] = {poly(c0, z), poly(c1, z), poly(c2, z), poly(c3, z), poly(c4, z),
                        poly(c5, z), poly(c6, z), poly(c7, z), poly(c8, z), c9};
  const double ia = 1 / a;
  double series = 0;
  for (int i = 9; i >= 0; --i) series = series * ia + w[i];
  double result = series * std::exp(-y) / std::sqrt(2 * std::numbers::pi * a);
  if (x < a) result = -result;
  return result + std::erfc(std::sqrt(y)) / 2;
}

// ---------------------------------------------------------------------------
// Gamma quantile for large shapes

// Boost's gamma_p_inv evaluates the incomplete gamma function by series
// whose length grows as sqrt(shape), so a quantile's cost grows without
// bound (a shape of 1e12 comes from as plain an input as gamma {mean:
// 100000, sd: 0.1}). Above this shape the
// quantile solves P(shape, x) = u by Newton steps on log P (or log Q for
// u > 1/2) from the Wilson-Hilferty start, with P and Q from Temme's
// expansion (temme_small_tail): a bounded cost, at most
// gamma_newton_steps evaluations. Every x the steps visit lies within
// 38 sqrt(shape) of the shape (u >= DBL_MIN), inside the expansion's
// domain |x - a| < 0.4 a for any shape above 1e4. Accuracy against Boost's
// inverse (tests/distribution_test.cpp, GammaLargeShape.*), u from DBL_MIN
// to 1 - 2^-53: within 1e-14 relative at the switch-over, 2e-13 at 1e8
// (where Boost's own inverse is no more accurate than that). Further up
// Boost's series give up (at shape 1e12 its P90 is 0.07 sd off the
// Cornish-Fisher expansion, whose error there is O(1/shape)); this agrees
// with that expansion to 1e-12 sd from 1e8 to 1e12.
constexpr double gamma_asymptotic_shape = 1e6;
constexpr int gamma_newton_steps = 12;

double gamma_quantile_large(double a, double u) {
  const bool lower = u <= 0.5;
  const double log_target = std::log(lower ? u : 1 - u);  // 1 - u is exact for u > 1/2
  const double z = normal_quantile(u);
  const double c = 1 / (9 * a);
  double x = a * std::pow(1 - c + z * std::sqrt(c), 3);
  for (int step = 0; step < gamma_newton_steps; ++step) {
    const double small = temme_small_tail(a, x);  // P(a, x) for x < a, else Q(a, x)
    const double tail = lower == (x < a) ? small : 1 - small;  // P if lower, else Q
    const double pdf = boost::math::gamma_p_derivative(a, x, boost_policy);
    if (!(pdf > 0) || !(tail > 0)) break;
    // d log P / dx = pdf / P; d log Q / dx = -pdf / Q.
    const double dx = (std::log(tail) - log_target) * (tail / pdf) * (lower ? 1 : -1);
    x -= dx;
    if (!(std::fabs(dx) > 4e-16 * x)) break;
  }
  return x;
}

// P(K > k) if upper, else P(K <= k), for K ~ Poisson(mean), k >= 0 an
// integer, mean > 0. The smaller of the two tails is accurate to a few ulps.
double poisson_tail(double k, double mean, bool upper) {
  // P(K <= k) = Q(k + 1, mean), P(K > k) = P(k + 1, mean).
  const double a = k + 1;
  if (a > 200 && std::fabs(mean - a) < 0.4 * a) {
    const double t = temme_small_tail(a, mean);  // mean >= a: P(K <= k); else P(K > k)
    const bool t_is_upper = mean < a;
    return upper == t_is_upper ? t : 1 - t;
  }
  return upper ? boost::math::gamma_p(a, mean, boost_policy) : boost::math::gamma_q(a, mean, boost_policy);
}

void check_poisson_mean(double mean) {
  if (!(mean >= 0 && mean <= max_poisson_mean))
    fail("poisson needs 0 <= mean <= " + fmt(max_poisson_mean) + " (got mean " + fmt(mean) + ")");
}

// The smallest k >= 0 with P(K <= k) >= u, for 0 < u < 1 and mean > 0, by
// searching from a Cornish-Fisher guess with exact tail probabilities.
double poisson_search(double mean, double u) {
  const bool use_upper = u > 0.5;
  const double target = use_upper ? 1 - u : u;  // exact for u > 0.5
  // Monotone in k: false ... false true ... true.
  const auto reaches = [&](double k) {
    if (k < 0) return false;
    const double t = poisson_tail(k, mean, use_upper);
    return use_upper ? t <= target : t >= target;
  };
  const double z = normal_quantile(u);
  double guess = std::floor(mean + std::sqrt(mean) * z + (z * z - 1) / 6);
  guess = std::clamp(guess, 0.0, 2 * max_poisson_mean);

  // Gallop to a bracket lo < answer <= hi with reaches(lo) false, reaches(hi)
  // true, then bisect. Both loops are bounded: steps double.
  double lo, hi;
  if (reaches(guess)) {
    hi = guess;
    lo = -1;
    for (double step = 1; hi > 0; step *= 2) {
      const double next = std::max(hi - step, 0.0);
      if (!reaches(next)) {
        lo = next;
        break;
      }
      hi = next;
    }
  } else {
    lo = guess;
    hi = guess;
    for (double step = 1;; step *= 2) {
      hi = lo + step;
      if (reaches(hi) || step > 1e17) break;  // P(K > 1e17) == 0 for any mean allowed
      lo = hi;
    }
  }
  while (hi - lo > 1) {
    const double mid = std::floor(lo + (hi - lo) / 2);
    if (reaches(mid))
      hi = mid;
    else
      lo = mid;
  }
  return hi;
}

double poisson_cdf(double mean, double x) {
  if (std::isnan(x)) return nan;
  if (x < 0) return 0;
  if (mean == 0 || x >= 0x1p53) return 1;
  const double k = std::floor(x);
  if (mean <= sequential_mean_limit) {
    // The very sum poisson_quantile adds up, so that quantile(cdf(k)) == k.
    double p = std::exp(-mean);
    double cdf = p;
    for (double j = 1; j <= k && cdf <= sequential_cdf_limit; ++j) {
      p *= mean / j;
      cdf += p;
    }
    if (cdf <= sequential_cdf_limit) return cdf;
  }
  return poisson_tail(k, mean, false);
}

// ---------------------------------------------------------------------------
// Normal

// Standard normal density.
double normal_pdf(double z) {
  return std::isinf(z) ? 0.0 : std::exp(-0.5 * z * z) * (std::numbers::inv_sqrtpi / std::numbers::sqrt2);
}

// Beyond every finite standard normal quantile (normal_quantile of the
// smallest subnormal is -38.47): clamping to it only replaces infinities.
constexpr double z_limit = 38.5;

// A truncated normal keeps the standardised bounds a = (min-mean)/sd,
// b = (max-mean)/sd and two tail probabilities, chosen by where [a,b] lies so
// that the mass and the inverse stay accurate far in either tail:
//   a >= 0 (upper region):    t_lo = Q(a) = Phi(-a), t_hi = Q(b)
//   b <= 0 (lower region):    t_lo = Phi(a),         t_hi = Phi(b)
//   a < 0 < b (straddling):   t_lo = Phi(a),         t_hi = Q(b)
enum class Region { upper, lower, straddling };

struct Truncation {
  double a, b;
  Region region;
  double t_lo, t_hi;
  double mass() const {
    switch (region) {
      case Region::upper: return t_lo - t_hi;
      case Region::lower: return t_hi - t_lo;
      case Region::straddling: break;
    }
    return (1 - t_lo) - t_hi;
  }
  // Standardised inverse CDF of the truncated normal.
  double z(double u) const {
    const double m = mass();
    double r;
    if (region == Region::upper) {
      r = -normal_quantile(t_hi + (1 - u) * m);
    } else {
      const double p = t_lo + u * m;
      if (region == Region::lower || p <= 0.5)
        r = normal_quantile(p);
      else
        r = -normal_quantile(t_hi + (1 - u) * m);
    }
    return std::clamp(r, std::max(a, -z_limit), std::min(b, z_limit));
  }
  double cdf(double z) const {
    if (z <= a) return 0;
    if (z >= b) return 1;
    const double m = mass();
    double c;
    if (region == Region::upper)
      c = (t_lo - normal_cdf(-z)) / m;
    else if (region == Region::lower || z <= 0)
      c = (normal_cdf(z) - t_lo) / m;
    else
      c = 1 - (normal_cdf(-z) - t_hi) / m;
    return std::clamp(c, 0.0, 1.0);
  }
};

// The truncation with its tails as stored (t_lo, t_hi from make_truncation).
Truncation truncation(double mean, double sd, double min, double max, double t_lo, double t_hi) {
  Truncation t;
  t.a = (min - mean) / sd;
  t.b = (max - mean) / sd;
  t.region = t.a >= 0 ? Region::upper : t.b <= 0 ? Region::lower : Region::straddling;
  t.t_lo = t_lo;
  t.t_hi = t_hi;
  return t;
}

Truncation make_truncation(double mean, double sd, double min, double max) {
  Truncation t = truncation(mean, sd, min, max, 0, 0);
  switch (t.region) {
    case Region::upper:
      t.t_lo = normal_cdf(-t.a);
      t.t_hi = normal_cdf(-t.b);
      break;
    case Region::lower:
      t.t_lo = normal_cdf(t.a);
      t.t_hi = normal_cdf(t.b);
      break;
    case Region::straddling:
      t.t_lo = normal_cdf(t.a);
      t.t_hi = normal_cdf(-t.b);
      break;
  }
  return t;
}

// ---------------------------------------------------------------------------
// Scaled beta (pert, beta)

// log B(a, b).
double log_beta(double a, double b) {
  const double beta = boost::math::beta(a, b, boost_policy);
  if (beta > 1e-300 && std::isfinite(beta)) return std::log(beta);
  return boost::math::lgamma(a, boost_policy) + boost::math::lgamma(b, boost_policy) -
         boost::math::lgamma(a + b, boost_policy);
}

// A first guess at the x with I_x(a, b) = p, 0 < p <= 0.5: Cran, Martin and
// Thomas, Algorithm AS 109 (Applied Statistics 26, 1977), after Carter's
// normal approximation.
double ibeta_guess(double a, double b, double p, double lbeta) {
  double r = std::sqrt(-2 * std::log(p));
  const double y = r - (2.30753 + 0.27061 * r) / (1 + (0.99229 + 0.04481 * r) * r);  // ~ z_(1-p)
  if (a > 1 && b > 1) {
    r = (y * y - 3) / 6;
    const double s = 1 / (2 * a - 1), t = 1 / (2 * b - 1);
    const double h = 2 / (s + t);
    const double w = y * std::sqrt(h + r) / h - (t - s) * (r + 5.0 / 6 - 2 / (3 * h));
    return a / (a + b * std::exp(2 * w));
  }
  r = 2 * b;
  double t = 1 / (9 * b);
  t = r * std::pow(1 - t + y * std::sqrt(t), 3);
  if (t <= 0) return -std::expm1((std::log1p(-p) + std::log(b) + lbeta) / b);
  t = (4 * a + r - 2) / t;
  if (t <= 1) return std::exp((std::log(p * a) + lbeta) / a);
  return 1 - 2 / (t + 1);
}

// The x in [0,1] with I_x(a, b) = p, where q = 1 - p (whichever of p and q
// is small must be exact, as it carries the precision).
//
// Boost 1.74's ibeta_inv is not used: in the tails it can be off by orders
// of magnitude (ibeta_inv(0.5, 2, 1e-10) gives 2.5e-25 for 4.4e-21) or throw
// (ibeta_inv(3, 3, 1e-300)). Instead Halley's method, safeguarded by a
// bracket, on
//   t = log v, where v is x or y = 1 - x, whichever is below 1/2 (so that a
//     quantile near 0 or near 1 keeps its relative precision), and
//   G = +-(log F - log target), where F is the lower tail I_x(a,b) compared
//     with p when p <= 1/2, else the upper tail compared with q,
// with Boost's forward ibeta/ibetac (reliable) for F. G is increasing in t
// from -inf at v = 0 to > 0 at v = 1, and nearly linear where v is small.
// x_start, when inside (0, 1), replaces the first guess (the table's nodes
// start from a Taylor step off the previous node: mostly one iteration).
double ibeta_inverse(double a, double b, double p, double q, double x_start = 0) {
  // Below the smallest normal double, ibeta's subnormal results are too
  // coarse to solve against; the quantile there is that of DBL_MIN.
  constexpr double smallest = std::numeric_limits<double>::min();
  p = std::max(p, smallest);
  q = std::max(q, smallest);
  const bool lower = p <= 0.5;
  const double lbeta = log_beta(a, b);

  // Small x (or y): I_x(a, b) = x^a / (a B(a, b)) (1 + a (1 - b) / (a + 1) x + O(x^2)).
  if (lower) {
    const double x0 = std::exp((std::log(p) + std::log(a) + lbeta) / a);
    if (x0 * (1 + std::fabs(1 - b)) < 1e-9) return x0 * (1 - (1 - b) / (a + 1) * x0);
  } else {
    const double y0 = std::exp((std::log(q) + std::log(b) + lbeta) / b);
    if (y0 * (1 + std::fabs(1 - a)) < 1e-9) return 1 - y0 * (1 - (1 - a) / (b + 1) * y0);
  }

  // A first guess, then whether to solve for x or for y = 1 - x.
  double x_guess = x_start > 0 && x_start < 1 ? x_start
                   : lower                     ? ibeta_guess(a, b, p, lbeta)
                                               : 1 - ibeta_guess(b, a, q, lbeta);
  if (!(x_guess > 0 && x_guess < 1)) x_guess = a / (a + b);
  const bool mirrored = x_guess > 0.5;  // solve for y
  // In terms of v: v ~ Beta(a', b'); F is increasing in v when sign > 0.
  const double a1 = mirrored ? b : a, b1 = mirrored ? a : b;
  const double sign = lower == !mirrored ? 1.0 : -1.0;
  const double log_target = std::log(lower ? p : q);
  const auto tail = [&](double v) {
    // lower: P(X <= x); upper: P(X > x); with x = v or 1 - v.
    if (!mirrored) return lower ? boost::math::ibeta(a, b, v, boost_policy) : boost::math::ibetac(a, b, v, boost_policy);
    return lower ? boost::math::ibetac(b, a, v, boost_policy) : boost::math::ibeta(b, a, v, boost_policy);
  };

  double lo = -inf, hi = 0;  // G(lo) < 0 < G(hi)
  double t = std::log(mirrored ? 1 - x_guess : x_guess);
  for (int iteration = 0; iteration < 200; ++iteration) {
    const double v = std::exp(t);
    const double f = tail(v);
    const double g = sign * (std::log(f) - log_target);  // +-inf when f underflows or is 0
    if (g == 0) break;
    if (g < 0)
      lo = t;
    else
      hi = t;
    // G' = v pdf(v) / F > 0; with h' = d/dt log(v pdf(v)) = a' - (b' - 1) v / (1 - v):
    // G'' = G' h' - sign G'^2.
    const double g1 = v * boost::math::ibeta_derivative(a1, b1, v, boost_policy) / f;
    const double g2 = g1 * (a1 - (b1 - 1) * v / (1 - v)) - sign * g1 * g1;
    double step = g / g1;
    const double halley = 1 - step * g2 / (2 * g1);
    const bool cubic = halley > 0.5 && halley < 2;
    if (cubic) step /= halley;
    double next = t - step;
    const bool converging = next > lo && next < hi;
    if (!converging) next = std::isinf(lo) ? t - std::max(1.0, 2 * std::fabs(t)) : lo + (hi - lo) / 2;
    const double moved = std::fabs(next - t);
    t = next;
    // Halley's steps converge cubically, Newton's quadratically: after a
    // step below 1e-7 (1e-9) the error left is far below an ulp.
    if ((converging && moved <= (cubic ? 1e-7 : 1e-9) * std::max(1.0, std::fabs(t))) ||
        hi - lo <= 4e-16 * std::max(1.0, std::fabs(hi)))
      break;
  }
  const double v = std::exp(t);
  return mirrored ? 1 - v : v;
}

// Quantile of Beta(a, b) on [0,1].
double beta_quantile(double alpha, double beta, double u) {
  return ibeta_inverse(alpha, beta, u, 1 - u);  // 1 - u is exact for u > 1/2
}

// A standard-beta value q in [0, 1] on the distribution's [lo, hi], width =
// hi - lo: the one scaling every beta and PERT path uses (tabulated or exact,
// block or single value), so that they give the same bits.
inline double beta_to_range(double q, double lo, double width, double hi) noexcept {
  return std::clamp(lo + q * width, lo, hi);
}

}  // namespace

// A tabulated quantile of the standard Beta(alpha, beta), the fast path for
// beta and PERT draws (the exact inverse costs 0.4-2 us; this a few ns).
//
// The grid is the floating-point grid of w = min(u, 1 - u): each binade
// [2^e, 2^(e+1)) of w from 2^-17 to 1/2 (octaves = 16 of them) is cut into
// per_octave = 64 equal intervals, so an interval's index and the position
// inside it are read off w's bits (exponent and top 6 mantissa bits; the other
// 46 bits are the position), with no division or logarithm per draw; 1 - u is
// exact for u >= 1/2. Relative to w the steps are 1/128 to 1/64 in every
// binade, so the tails, where Q changes fastest relative to u, get as fine a
// grid as the middle (the error is largest in the top binade, where the steps
// are widest in u: 32 per binade gave 1.0e-9 for Beta(1, 2), 64 give 1e-10).
// The u < 1/2 side maps to intervals [0, N) and the u >= 1/2 side, mirrored,
// to [N, 2N), N = octaves * per_octave, so that the position rises with u
// across the whole table. Each interval is built from the exact Q at its two
// ends and the exact derivatives h dQ/du = h / pdf(Q) there (h the interval's
// width in u: the widths double from one binade to the next, so a node on a
// binade's edge has a different scaled derivative on each side, hence stored
// per interval, not per node), and Q is evaluated by cubic Hermite
// interpolation (beta_table_hermite), clamped between the two ends so it
// stays monotone.
// Shapes are in [1, max_shape], which PERT always has (alpha, beta in
// [1, 1 + lambda]). Outside the body (w < 2^-17, a share 1.5e-5 of draws) and
// for other shapes the exact inverse is used. Accuracy
// (tests/distribution_test.cpp, BetaTable.*): |Q_table(u) - Q(u)| <= 1e-9 on
// [0,1] for every u and shape tested.
// quantiles() runs the body in one pass (AVX-512 or AVX2 intrinsics where
// the CPU has them, with the same bits as the scalar code since
// floating-point contraction is off project-wide) and then fixes the tails
// with the exact inverse.
struct BetaTable {
  static constexpr int octaves = 16;
  static constexpr int log2_per_octave = 6;
  static constexpr int per_octave = 1 << log2_per_octave;
  static constexpr int side_intervals = octaves * per_octave;  // N
  static constexpr int intervals = 2 * side_intervals;
  static constexpr int min_exponent = -1 - octaves;  // the binades of w below 1/2
  static constexpr double w_min = 1.0 / double(std::uint64_t{1} << -min_exponent);
  static constexpr double max_shape = 64;
  double alpha = 1, beta = 1;

  // The quantiles of u scaled to [lo, hi]: clamp(lo + Q(u) (hi - lo), lo, hi).
  // Returns how many u were outside the body (tails, the ends, NaN).
  std::size_t quantiles(const double* u, double* out, std::size_t n, double lo, double hi) const;

  // Per interval: Q0, Q1 at its ends, c1, c2 (see beta_table_hermite). Built
  // on first use, or ahead of it by build_beta_tables() (several tables on
  // several threads): about 0.8 ms a shape (2,049 exact inverses; msp-350
  // has 20 shapes, 16 ms, which was most of loading it). Either way by fill()
  // on one thread, so the same bits.
  const double* node() const {
    std::call_once(once_, [this] { fill(); });
    return node_.data();
  }
  bool built() const noexcept { return built_.load(std::memory_order_acquire); }
  // Whether quantiles() reads the table for u (as beta_table_body decides).
  static bool in_body(double u) noexcept { return (u >= 0.5 ? 1 - u : u) >= w_min; }

 private:
  void fill() const;
  mutable std::once_flag once_;
  mutable std::vector<double> node_;
  mutable std::atomic<bool> built_{false};
};

namespace {

// The Hermite step in one interval a (see BetaTable), in Horner form: with
// the interval's Q0, Q1, c1 = h Q'0 and c2 = 3 (Q1 - Q0) - 2 h Q'0 - h Q'1,
// and c3 = (Q1 - Q0) - c1 - c2 (= h Q'0 + h Q'1 - 2 (Q1 - Q0)),
//   Q(f) = Q0 + f (c1 + f (c2 + f c3)),
// the cubic Hermite interpolant at position f in [0, 1], clamped to [Q0,
// Q1]; then scaled to the distribution's [lo, hi] (beta_to_range).
inline double beta_table_hermite(const double* a, double f, double lo, double width, double hi) noexcept {
  const double c3 = ((a[1] - a[0]) - a[2]) - a[3];
  const double v = a[0] + f * (a[2] + f * (a[3] + f * c3));
  const double q = v < a[0] ? a[0] : (v > a[1] ? a[1] : v);
  return beta_to_range(q, lo, width, hi);
}

// The body of BetaTable::quantiles, one pass per draw: the interval and the
// position in it, read off the bits of w = min(u, 1 - u) (integer and exact
// floating-point operations), then the Hermite step (see beta_table_hermite),
// NaN where the exact inverse is needed. The table lookups are AVX-512 or
// AVX2 intrinsics where the CPU has them (GCC does not vectorise them for
// x86-64; AVX-512 gathers were slower than these loads, 1.95 against 1.2 ns
// a draw on the development VM's AMD EPYC), with the same operations in the
// same order, so the same bits as the scalar step.
namespace beta_bits {
using Table = BetaTable;
constexpr int shift = 52 - Table::log2_per_octave;  // w's bits >> shift: exponent and top mantissa bits
constexpr std::uint64_t first = std::bit_cast<std::uint64_t>(Table::w_min) >> shift;
constexpr std::uint64_t position_mask = (std::uint64_t{1} << shift) - 1;
constexpr std::uint64_t one = std::bit_cast<std::uint64_t>(1.0);
constexpr std::uint64_t last_interval = Table::intervals - 1;  // 2N - 1
}  // namespace beta_bits

// One draw: u < 1/2 lies in interval j of its side, position f in [0, 1);
// u >= 1/2, mirrored, in interval 2N - 1 - j at position 1 - f (w = 1 - u
// is exact there, Sterbenz; so are f and 1 - f). j is w's exponent and top
// mantissa bits less those of w_min (junk below w_min, which is outside).
inline double beta_table_point(const double* node, double u, double lo, double width, double hi) noexcept {
  using namespace beta_bits;
  const bool upper = u >= 0.5;
  const double w = upper ? 1.0 - u : u;
  if (!(w >= Table::w_min)) return std::numeric_limits<double>::quiet_NaN();  // the tails, a NaN u
  const std::uint64_t bits = std::bit_cast<std::uint64_t>(w);
  const std::uint64_t j = (bits >> shift) - first;
  const double frac = std::bit_cast<double>(one | ((bits & position_mask) << Table::log2_per_octave)) - 1.0;
  const std::uint64_t i = upper ? last_interval - j : j;
  const double f = upper ? 1.0 - frac : frac;
  return beta_table_hermite(node + 4 * i, f, lo, width, hi);
}

// beta_table_point on n draws; returns how many are outside (NaN).
std::size_t beta_table_body_scalar(const double* node, const double* u, double* out, std::size_t n, double lo,
                                   double width, double hi) noexcept {
  std::size_t outside = 0;
  for (std::size_t k = 0; k < n; ++k) {
    out[k] = beta_table_point(node, u[k], lo, width, hi);
    outside += std::isnan(out[k]) ? 1 : 0;
  }
  return outside;
}

#ifdef SWITCHCOST_X86_INTRINSICS
// Four draws at a time: the four values of each lane's interval are one
// unaligned load, transposed into Q0, Q1, c1, c2. Returns how many are outside.
__attribute__((target("avx2"))) std::size_t beta_table_body_avx2(const double* node, const double* u, double* out,
                                                                 std::size_t n, double lo, double width,
                                                                 double hi) noexcept {
  using namespace beta_bits;
  std::size_t k = 0, outside = 0;
  const __m256d one_d = _mm256_set1_pd(1.0), half = _mm256_set1_pd(0.5), w_min = _mm256_set1_pd(Table::w_min),
                low = _mm256_set1_pd(lo), wide = _mm256_set1_pd(width), high = _mm256_set1_pd(hi),
                not_a_number = _mm256_set1_pd(std::numeric_limits<double>::quiet_NaN());
  const __m256i first_v = _mm256_set1_epi64x(std::int64_t(first)),
                mask_v = _mm256_set1_epi64x(std::int64_t(position_mask)), one_v = _mm256_set1_epi64x(std::int64_t(one)),
                last_v = _mm256_set1_epi64x(std::int64_t(last_interval));
  for (; k + 4 <= n; k += 4) {
    const __m256d uu = _mm256_loadu_pd(u + k);
    const __m256d upper = _mm256_cmp_pd(uu, half, _CMP_GE_OQ);
    const __m256d w = _mm256_blendv_pd(uu, _mm256_sub_pd(one_d, uu), upper);
    const __m256d inside = _mm256_cmp_pd(w, w_min, _CMP_GE_OQ);
    const __m256i bits = _mm256_castpd_si256(w);
    const __m256i j = _mm256_sub_epi64(_mm256_srli_epi64(bits, shift), first_v);
    const __m256i position = _mm256_slli_epi64(_mm256_and_si256(bits, mask_v), Table::log2_per_octave);
    const __m256d frac = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(one_v, position)), one_d);
    const __m256i upper_i = _mm256_castpd_si256(upper), inside_i = _mm256_castpd_si256(inside);
    __m256i i = _mm256_blendv_epi8(j, _mm256_sub_epi64(last_v, j), upper_i);
    i = _mm256_and_si256(i, inside_i);  // interval 0 for lanes outside (result discarded)
    const __m256d f = _mm256_blendv_pd(frac, _mm256_sub_pd(one_d, frac), upper);
    alignas(32) std::int64_t idx[4];
    _mm256_store_si256(reinterpret_cast<__m256i*>(idx), i);
    const __m256d r0 = _mm256_loadu_pd(node + 4 * idx[0]), r1 = _mm256_loadu_pd(node + 4 * idx[1]),
                  r2 = _mm256_loadu_pd(node + 4 * idx[2]), r3 = _mm256_loadu_pd(node + 4 * idx[3]);
    const __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);
    const __m256d t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
    const __m256d a0 = _mm256_permute2f128_pd(t0, t2, 0x20), a1 = _mm256_permute2f128_pd(t1, t3, 0x20);
    const __m256d a2 = _mm256_permute2f128_pd(t0, t2, 0x31), a3 = _mm256_permute2f128_pd(t1, t3, 0x31);
    const __m256d c3 = _mm256_sub_pd(_mm256_sub_pd(_mm256_sub_pd(a1, a0), a2), a3);
    const __m256d inner = _mm256_add_pd(a3, _mm256_mul_pd(f, c3));
    const __m256d v = _mm256_add_pd(a0, _mm256_mul_pd(f, _mm256_add_pd(a2, _mm256_mul_pd(f, inner))));
    __m256d q = _mm256_blendv_pd(v, a1, _mm256_cmp_pd(v, a1, _CMP_GT_OQ));
    q = _mm256_blendv_pd(q, a0, _mm256_cmp_pd(v, a0, _CMP_LT_OQ));
    // beta_to_range: std::clamp(x, lo, hi) is x < lo ? lo : (hi < x ? hi : x).
    const __m256d x = _mm256_add_pd(low, _mm256_mul_pd(q, wide));
    __m256d r = _mm256_blendv_pd(x, high, _mm256_cmp_pd(high, x, _CMP_LT_OQ));
    r = _mm256_blendv_pd(r, low, _mm256_cmp_pd(x, low, _CMP_LT_OQ));
    _mm256_storeu_pd(out + k, _mm256_blendv_pd(not_a_number, r, inside));
    outside += std::size_t(4 - std::popcount(unsigned(_mm256_movemask_pd(inside))));
  }
  return outside + beta_table_body_scalar(node, u + k, out + k, n - k, lo, width, hi);
}

// The same on eight draws at a time (AVX-512F): the four values of lanes k
// and k + 4 are one 512-bit row, and the rows are transposed into Q0, Q1,
// c1, c2 by unpacks and two-source permutes. The last n mod 8 draws go to
// the AVX2 body.
__attribute__((target("avx512f"))) std::size_t beta_table_body_avx512(const double* node, const double* u,
                                                                      double* out, std::size_t n, double lo,
                                                                      double width, double hi) noexcept {
  using namespace beta_bits;
  std::size_t k = 0, outside = 0;
  const __m512d one_d = _mm512_set1_pd(1.0), half = _mm512_set1_pd(0.5), w_min = _mm512_set1_pd(Table::w_min),
                low = _mm512_set1_pd(lo), wide = _mm512_set1_pd(width), high = _mm512_set1_pd(hi),
                not_a_number = _mm512_set1_pd(std::numeric_limits<double>::quiet_NaN());
  const __m512i first_v = _mm512_set1_epi64(std::int64_t(first)),
                mask_v = _mm512_set1_epi64(std::int64_t(position_mask)), one_v = _mm512_set1_epi64(std::int64_t(one)),
                last_v = _mm512_set1_epi64(std::int64_t(last_interval));
  // 128-bit lanes: (t0.0, t2.0, t0.2, t2.2) and (t0.1, t2.1, t0.3, t2.3).
  const __m512i even_lanes = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0);
  const __m512i odd_lanes = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
  for (; k + 8 <= n; k += 8) {
    const __m512d uu = _mm512_loadu_pd(u + k);
    const __mmask8 upper = _mm512_cmp_pd_mask(uu, half, _CMP_GE_OQ);
    const __m512d w = _mm512_mask_sub_pd(uu, upper, one_d, uu);
    const __mmask8 inside = _mm512_cmp_pd_mask(w, w_min, _CMP_GE_OQ);
    const __m512i bits = _mm512_castpd_si512(w);
    const __m512i j = _mm512_sub_epi64(_mm512_srli_epi64(bits, shift), first_v);
    const __m512i position = _mm512_slli_epi64(_mm512_and_si512(bits, mask_v), Table::log2_per_octave);
    const __m512d frac = _mm512_sub_pd(_mm512_castsi512_pd(_mm512_or_si512(one_v, position)), one_d);
    const __m512i i = _mm512_maskz_mov_epi64(inside, _mm512_mask_sub_epi64(j, upper, last_v, j));  // 0 outside
    const __m512d f = _mm512_mask_sub_pd(frac, upper, one_d, frac);
    alignas(64) std::int64_t idx[8];
    _mm512_store_si512(idx, i);
    __m512d z[4];  // z[m]: the interval of lane m, then of lane m + 4
    for (int m = 0; m < 4; ++m)
      z[m] = _mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_loadu_pd(node + 4 * idx[m])),
                                _mm256_loadu_pd(node + 4 * idx[m + 4]), 1);
    const __m512d t0 = _mm512_unpacklo_pd(z[0], z[1]), t1 = _mm512_unpackhi_pd(z[0], z[1]);
    const __m512d t2 = _mm512_unpacklo_pd(z[2], z[3]), t3 = _mm512_unpackhi_pd(z[2], z[3]);
    const __m512d a0 = _mm512_permutex2var_pd(t0, even_lanes, t2), a1 = _mm512_permutex2var_pd(t1, even_lanes, t3);
    const __m512d a2 = _mm512_permutex2var_pd(t0, odd_lanes, t2), a3 = _mm512_permutex2var_pd(t1, odd_lanes, t3);
    const __m512d c3 = _mm512_sub_pd(_mm512_sub_pd(_mm512_sub_pd(a1, a0), a2), a3);
    const __m512d inner = _mm512_add_pd(a3, _mm512_mul_pd(f, c3));
    const __m512d v = _mm512_add_pd(a0, _mm512_mul_pd(f, _mm512_add_pd(a2, _mm512_mul_pd(f, inner))));
    __m512d q = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(v, a1, _CMP_GT_OQ), v, a1);
    q = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(v, a0, _CMP_LT_OQ), q, a0);
    const __m512d x = _mm512_add_pd(low, _mm512_mul_pd(q, wide));
    __m512d r = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(high, x, _CMP_LT_OQ), x, high);
    r = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(x, low, _CMP_LT_OQ), r, low);
    _mm512_storeu_pd(out + k, _mm512_mask_blend_pd(inside, not_a_number, r));
    outside += std::size_t(8 - std::popcount(unsigned(inside)));
  }
  return outside + beta_table_body_avx2(node, u + k, out + k, n - k, lo, width, hi);
}

#endif

// Returns how many are left NaN for the exact inverse.
std::size_t beta_table_body(const double* node, const double* u, double* out, std::size_t n, double lo,
                            double hi) noexcept {
  const double width = hi - lo;
#ifdef SWITCHCOST_X86_INTRINSICS
  if (fastmath::cpu_has_avx512f()) return beta_table_body_avx512(node, u, out, n, lo, width, hi);
  if (fastmath::cpu_has_avx2()) return beta_table_body_avx2(node, u, out, n, lo, width, hi);
#endif
  return beta_table_body_scalar(node, u, out, n, lo, width, hi);
}

}  // namespace

std::size_t BetaTable::quantiles(const double* u, double* out, std::size_t n, double lo, double hi) const {
  // The tails (and a NaN u): about one draw in 65,000, so the scan for them
  // is skipped when the body found none.
  const std::size_t outside = beta_table_body(node(), u, out, n, lo, hi);
  if (outside == 0) return 0;
  const double width = hi - lo;
  for (std::size_t k = 0; k < n; ++k)
    if (std::isnan(out[k]))
      out[k] = std::isnan(u[k]) ? u[k] : beta_to_range(beta_quantile(alpha, beta, u[k]), lo, width, hi);
  return outside;
}

namespace {

bool tabulates(double alpha, double beta) {
  return alpha >= 1 && beta >= 1 && alpha <= BetaTable::max_shape && beta <= BetaTable::max_shape;
}

// Tables by shape, one per process (scenarios copy distributions and
// include the same files many times); registered when a distribution is
// made, built when first used or by build_beta_tables().
std::mutex beta_tables_mutex;
std::map<std::pair<double, double>, std::shared_ptr<const BetaTable>>& beta_tables() {
  static std::map<std::pair<double, double>, std::shared_ptr<const BetaTable>> tables;
  return tables;
}

std::shared_ptr<const BetaTable> beta_table(double alpha, double beta) {
  if (!tabulates(alpha, beta)) return nullptr;
  std::lock_guard<std::mutex> lock(beta_tables_mutex);
  auto& slot = beta_tables()[{alpha, beta}];
  if (!slot) {
    auto table = std::make_shared<BetaTable>();
    table->alpha = alpha;
    table->beta = beta;
    slot = std::move(table);
  }
  return slot;
}

}  // namespace

void BetaTable::fill() const {
  // Node p of the side u < 1/2 (p in [0, N]) is w_p = 2^(min_exponent + p / M) (1 + (p mod M) / M),
  // M = per_octave (exact: 6 significant bits); on the side u >= 1/2, node p is 1 - w_(2N - p).
  constexpr int side = side_intervals;
  auto w_node = [](int p) {
    return std::ldexp(1.0 + double(p % per_octave) / per_octave, min_exponent + p / per_octave);
  };
  auto u_node = [&](int p) { return p <= side ? w_node(p) : 1.0 - w_node(2 * side - p); };
  std::vector<double> table(4 * std::size_t(intervals));
  std::vector<double> q(intervals + 1), slope(intervals + 1);  // Q and dQ/du = 1 / pdf(Q)
  for (int p = 0; p <= intervals; ++p) {
    const double u = u_node(p);
    // Started from the previous node's Taylor polynomial, Q + h Q' + h^2 Q'' / 2 with
    // Q'' = -Q'^2 d/dx log pdf = -Q'^2 ((alpha - 1) / Q - (beta - 1) / (1 - Q)): most nodes
    // then need one step (the same root to within the iteration's tolerance).
    double start = 0;
    if (p > 0) {
      const double x = q[p - 1], d = slope[p - 1], step = u - u_node(p - 1);
      const double curvature = -d * d * ((alpha - 1) / x - (beta - 1) / (1 - x));
      start = x + step * d + 0.5 * step * step * curvature;
    }
    q[p] = ibeta_inverse(alpha, beta, u, 1 - u, start);
    const double pdf = boost::math::ibeta_derivative(alpha, beta, q[p], boost_policy);
    slope[p] = pdf > 0 ? 1 / pdf : 0;
  }
  for (int i = 0; i < intervals; ++i) {
    // The interval's width in u: that of the binade of w it lies in.
    const int in_side = i < side ? i : 2 * side - 1 - i;
    const double h = std::ldexp(1.0 / per_octave, min_exponent + in_side / per_octave);
    const double d0 = h * slope[i], d1 = h * slope[i + 1];
    double* a = table.data() + 4 * std::size_t(i);
    a[0] = q[i];
    a[1] = q[i + 1];
    a[2] = d0;
    a[3] = 3 * (q[i + 1] - q[i]) - 2 * d0 - d1;
  }
  node_ = std::move(table);
  built_.store(true, std::memory_order_release);
}

std::size_t build_beta_tables(unsigned threads) {
  std::vector<const BetaTable*> pending;
  {
    std::lock_guard<std::mutex> lock(beta_tables_mutex);
    for (const auto& [shape, table] : beta_tables())
      if (!table->built()) pending.push_back(table.get());  // tables live as long as the process
  }
  // Each table is built whole by one thread (the same bits as on first use);
  // one that throws is left unbuilt, to throw again where it is first used.
  parallel_for(pending.size(), threads, [&](std::size_t k) {
    try {
      pending[k]->node();
    } catch (...) {
    }
  });
  return pending.size();
}

namespace {

double beta_variance01(double alpha, double beta) {
  const double s = alpha + beta;
  return (alpha / s) * (beta / s) / (s + 1);
}

// Percent label for a probability: 0.05 -> "5", 0.025 -> "2.5".
std::string percent(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", 100 * p);
  return buf;
}

}  // namespace

// ---------------------------------------------------------------------------
// Free functions

const char* to_string(DistributionKind kind) noexcept {
  switch (kind) {
    case Kind::constant: return "constant";
    case Kind::uniform: return "uniform";
    case Kind::triangular: return "triangular";
    case Kind::pert: return "pert";
    case Kind::normal: return "normal";
    case Kind::lognormal: return "lognormal";
    case Kind::poisson: return "poisson";
    case Kind::bernoulli: return "bernoulli";
    case Kind::beta: return "beta";
    case Kind::gamma: return "gamma";
    case Kind::discrete: return "discrete";
  }
  return "unknown";
}

double normal_quantile(double u) noexcept {
  // Wichura, Algorithm AS 241 (PPND16), Applied Statistics 37 (1988) 477-484.
  if (std::isnan(u)) return nan;
  if (u <= 0) return -inf;
  if (u >= 1) return inf;
  const double q = u - 0.5;
  if (std::fabs(q) <= 0.425) {
    const double r = 0.180625 - q * q;
    return q *
           (((((((2.5090809287301226727e+03 * r + 3.3430575583588128105e+04) * r + 6.7265770927008700853e+04) * r +
                4.5921953931549871457e+04) *
                   r +
               1.3731693765509461125e+04) *
                  r +
              1.9715909503065514427e+03) *
                 r +
             1.3314166789178437745e+02) *
                r +
            3.3871328727963666080e+00) /
           (((((((5.2264952788528545610e+03 * r + 2.8729085735721942674e+04) * r + 3.9307895800092710610e+04) * r +
                2.1213794301586595867e+04) *
                   r +
               5.3941960214247511077e+03) *
                  r +
              6.8718700749205790830e+02) *
                 r +
             4.2313330701600911252e+01) *
                r +
            1.0);
  }
  double r = q < 0 ? u : 1 - u;
  r = std::sqrt(-std::log(r));
  double x;
  if (r <= 5) {
    r -= 1.6;
    x = (((((((7.74545014278341407640e-04 * r + 2.27238449892691845833e-02) * r + 2.41780725177450611770e-01) * r +
             1.27045825245236838258e+00) *
                r +
            3.64784832476320460504e+00) *
               r +
           5.76949722146069140550e+00) *
              r +
          4.63033784615654529590e+00) *
             r +
         1.42343711074968357734e+00) /
        (((((((1.05075007164441684324e-09 * r + 5.47593808499534494600e-04) * r + 1.51986665636164571966e-02) * r +
             1.48103976427480074590e-01) *
                r +
            6.89767334985100004550e-01) *
               r +
           1.67638483018380384940e+00) *
              r +
          2.05319162663775882187e+00) *
             r +
         1.0);
  } else {
    r -= 5;
    x = (((((((2.01033439929228813265e-07 * r + 2.71155556874348757815e-05) * r + 1.24266094738807843860e-03) * r +
             2.65321895265761230930e-02) *
                r +
            2.96560571828504891230e-01) *
               r +
           1.78482653991729133580e+00) *
              r +
          5.46378491116411436990e+00) *
             r +
         6.65790464350110377720e+00) /
        (((((((2.04426310338993978564e-15 * r + 1.42151175831644588870e-07) * r + 1.84631831751005468180e-05) * r +
             7.86869131145613259100e-04) *
                r +
            1.48753612908506148525e-02) *
               r +
           1.36929880922735805310e-01) *
              r +
          5.99832206555887937690e-01) *
             r +
         1.0);
  }
  return q < 0 ? -x : x;
}

double normal_cdf(double x) noexcept { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }

double poisson_quantile(double mean, double u) {
  check_poisson_mean(mean);
  if (std::isnan(u)) return nan;
  if (mean == 0 || u <= 0) return 0;
  if (u >= 1) return inf;
  // Small means: sum the probabilities upwards (the same sum as
  // poisson_cdf). Above sequential_cdf_limit the search compares exact upper
  // tails with 1 - u instead.
  if (mean <= sequential_mean_limit && u <= sequential_cdf_limit) {
    double p = std::exp(-mean);
    double cdf = p;
    double k = 0;
    while (cdf < u && k < 1000) {
      k += 1;
      p *= mean / k;
      cdf += p;
    }
    if (cdf >= u) return k;
  }
  return poisson_search(mean, u);
}

// ---------------------------------------------------------------------------
// Factories

Distribution::Distribution() : kind_(Kind::constant) {}

namespace {

// Every factory ends here: the quantile must be finite over all of (0,1) and
// the moments must be finite, or the parameters are too extreme to use.
void check_usable(const Distribution& d) {
  bool ok = false;
  try {
    ok = std::isfinite(d.quantile(std::numeric_limits<double>::denorm_min())) &&
         std::isfinite(d.quantile(0x1p-54)) && std::isfinite(d.quantile(0.5)) &&
         std::isfinite(d.quantile(1 - 0x1p-53)) && std::isfinite(d.mean()) && std::isfinite(d.variance());
  } catch (const std::exception&) {
    ok = false;
  }
  if (!ok)
    fail(d.describe() + " is too extreme to compute with: its values, mean or variance overflow a double");
}

}  // namespace

Distribution Distribution::constant(double value) {
  require_finite("constant", {{"value", value}});
  Distribution d;
  d.kind_ = Kind::constant;
  d.p_[0] = value;
  return d;
}

Distribution Distribution::uniform(double min, double max) {
  require_finite("uniform", {{"min", min}, {"max", max}});
  require(min < max, "uniform", "min < max", {{"min", min}, {"max", max}});
  Distribution d;
  d.kind_ = Kind::uniform;
  d.p_[0] = min;
  d.p_[1] = max;
  check_usable(d);
  return d;
}

Distribution Distribution::triangular(double min, double mode, double max) {
  const Named params{{"min", min}, {"mode", mode}, {"max", max}};
  require_finite("triangular", params);
  require(min <= mode && mode <= max, "triangular", "min <= mode <= max", params);
  require(min < max, "triangular", "min < max", params);
  Distribution d;
  d.kind_ = Kind::triangular;
  d.p_[0] = min;
  d.p_[1] = mode;
  d.p_[2] = max;
  check_usable(d);
  return d;
}

Distribution Distribution::pert(double min, double mode, double max, double lambda) {
  const Named params{{"min", min}, {"mode", mode}, {"max", max}, {"lambda", lambda}};
  require_finite("pert", params);
  require(min <= mode && mode <= max, "pert", "min <= mode <= max", params);
  require(min < max, "pert", "min < max", params);
  require(lambda > 0, "pert", "lambda > 0", params);
  const double width = max - min;
  require(std::isfinite(width), "pert", "max - min to be finite", params);
  Distribution d;
  d.kind_ = Kind::pert;
  d.p_[0] = min;
  d.p_[1] = max;
  d.p_[2] = 1 + lambda * ((mode - min) / width);
  d.p_[3] = 1 + lambda * ((max - mode) / width);
  require(std::min(d.p_[2], d.p_[3]) <= 1 + max_smaller_beta_shape, "pert",
          "lambda x min(mode - min, max - mode) / (max - min) at most 1e8 (beyond, it is a spike at the mode "
          "too costly to draw from: use a constant)",
          params);
  d.p_[4] = mode;
  d.p_[5] = lambda;
  check_usable(d);
  d.table_ = beta_table(d.p_[2], d.p_[3]);
  return d;
}

Distribution Distribution::normal(double mean, double sd, double min, double max) {
  const Named params{{"mean", mean}, {"sd", sd}, {"min", min}, {"max", max}};
  require(std::isfinite(mean) && std::isfinite(sd) && !std::isnan(min) && !std::isnan(max) && min != inf &&
              max != -inf,
          "normal", "a finite mean and sd, and min/max that are numbers (-inf/inf for no bound)", params);
  require(sd > 0, "normal", "sd > 0", params);
  require(min < max, "normal", "min < max", params);
  Distribution d;
  d.kind_ = Kind::normal;
  d.p_[0] = mean;
  d.p_[1] = sd;
  d.p_[2] = min;
  d.p_[3] = max;
  if (std::isfinite(min) || std::isfinite(max)) {
    const Truncation t = make_truncation(mean, sd, min, max);
    if (!(t.mass() >= min_normal_mass))
      fail("normal(" + list(params) + ") has (numerically) no probability between min and max: " +
           fmt(t.mass()) + " of it lies there; widen the bounds or move the mean");
    d.p_[4] = t.t_lo;
    d.p_[5] = t.t_hi;
  }
  check_usable(d);
  return d;
}

Distribution Distribution::lognormal_mu_sigma(double mu, double sigma) {
  const Named params{{"mu", mu}, {"sigma", sigma}};
  require_finite("lognormal", params);
  require(sigma > 0, "lognormal", "sigma > 0", params);
  Distribution d;
  d.kind_ = Kind::lognormal;
  d.p_[0] = mu;
  d.p_[1] = sigma;
  check_usable(d);
  return d;
}

Distribution Distribution::lognormal_mean_sd(double mean, double sd) {
  const Named params{{"mean", mean}, {"sd", sd}};
  require_finite("lognormal", params);
  require(mean > 0, "lognormal", "mean > 0", params);
  require(sd > 0, "lognormal", "sd > 0", params);
  const double cv = sd / mean;
  const double sigma2 = std::log1p(cv * cv);
  const double sigma = std::sqrt(sigma2);
  require(sigma > 0 && std::isfinite(sigma), "lognormal", "sd / mean between about 1e-150 and 1e150", params);
  Distribution d;
  d.kind_ = Kind::lognormal;
  d.p_[0] = std::log(mean) - sigma2 / 2;
  d.p_[1] = sigma;
  d.p_[2] = mean;
  d.p_[3] = sd;
  check_usable(d);
  return d;
}

Distribution Distribution::lognormal_percentiles(double p_lo, double x_lo, double p_hi, double x_hi) {
  const Named params{{"p_lo", p_lo}, {"x_lo", x_lo}, {"p_hi", p_hi}, {"x_hi", x_hi}};
  require_finite("lognormal", params);
  require(0 < p_lo && p_lo < p_hi && p_hi < 1, "lognormal", "percentiles with 0 < p_lo < p_hi < 1", params);
  require(0 < x_lo && x_lo < x_hi, "lognormal", "percentile values with 0 < x_lo < x_hi", params);
  const double z_lo = normal_quantile(p_lo);
  const double z_hi = normal_quantile(p_hi);
  const double l_lo = std::log(x_lo);
  const double l_hi = std::log(x_hi);
  const double sigma = (l_hi - l_lo) / (z_hi - z_lo);
  require(sigma > 0 && std::isfinite(sigma), "lognormal",
          "percentiles far enough apart to give a positive sigma", params);
  Distribution d;
  d.kind_ = Kind::lognormal;
  // Anchored at the percentile nearer the median for accuracy; either gives
  // mu up to rounding.
  d.p_[0] = std::fabs(z_lo) <= std::fabs(z_hi) ? l_lo - sigma * z_lo : l_hi - sigma * z_hi;
  d.p_[1] = sigma;
  d.p_[2] = p_lo;
  d.p_[3] = x_lo;
  d.p_[4] = p_hi;
  d.p_[5] = x_hi;
  check_usable(d);
  return d;
}

Distribution Distribution::poisson(double mean) {
  require_finite("poisson", {{"mean", mean}});
  check_poisson_mean(mean);
  Distribution d;
  d.kind_ = Kind::poisson;
  d.p_[0] = mean;
  check_usable(d);
  return d;
}

Distribution Distribution::bernoulli(double p) {
  require_finite("bernoulli", {{"p", p}});
  require(0 <= p && p <= 1, "bernoulli", "0 <= p <= 1", {{"p", p}});
  Distribution d;
  d.kind_ = Kind::bernoulli;
  d.p_[0] = p;
  d.p_[1] = 1 - p;
  return d;
}

Distribution Distribution::beta(double alpha, double beta, double min, double max) {
  const Named params{{"alpha", alpha}, {"beta", beta}, {"min", min}, {"max", max}};
  require_finite("beta", params);
  require(alpha > 0 && beta > 0, "beta", "alpha > 0 and beta > 0", params);
  require(std::min(alpha, beta) <= max_smaller_beta_shape, "beta",
          "alpha or beta at most 1e8 (with both larger it is a spike too costly to draw from: use a constant)", params);
  require(min < max, "beta", "min < max", params);
  require(std::isfinite(max - min), "beta", "max - min to be finite", params);
  Distribution d;
  d.kind_ = Kind::beta;
  d.p_[0] = min;
  d.p_[1] = max;
  d.p_[2] = alpha;
  d.p_[3] = beta;
  check_usable(d);
  d.table_ = beta_table(alpha, beta);
  return d;
}

Distribution Distribution::gamma(double shape, double scale) {
  const Named params{{"shape", shape}, {"scale", scale}};
  require_finite("gamma", params);
  require(shape > 0 && scale > 0, "gamma", "shape > 0 and scale > 0", params);
  Distribution d;
  d.kind_ = Kind::gamma;
  d.p_[0] = shape;
  d.p_[1] = scale;
  check_usable(d);
  return d;
}

Distribution Distribution::gamma_mean_sd(double mean, double sd) {
  const Named params{{"mean", mean}, {"sd", sd}};
  require_finite("gamma", params);
  require(mean > 0 && sd > 0, "gamma", "mean > 0 and sd > 0", params);
  const double r = mean / sd;
  const double shape = r * r;
  const double scale = sd / r;
  require(shape > 0 && std::isfinite(shape) && scale > 0 && std::isfinite(scale), "gamma",
          "mean / sd between about 1e-150 and 1e150", params);
  Distribution d;
  d.kind_ = Kind::gamma;
  d.p_[0] = shape;
  d.p_[1] = scale;
  d.p_[2] = mean;
  d.p_[3] = sd;
  check_usable(d);
  return d;
}

Distribution Distribution::discrete(std::vector<double> values, std::vector<double> weights) {
  const std::size_t n = values.size();
  if (n == 0) fail("discrete needs at least one value (got none)");
  if (weights.size() != n)
    fail("discrete needs one weight per value (got " + std::to_string(n) + " values and " +
         std::to_string(weights.size()) + " weights)");
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(values[i]))
      fail("discrete needs finite values (got " + fmt(values[i]) + " as value " + std::to_string(i + 1) + " of " +
           std::to_string(n) + ")");
    if (!(weights[i] >= 0) || !std::isfinite(weights[i]))
      fail("discrete needs finite weights >= 0 (got " + fmt(weights[i]) + " as weight " + std::to_string(i + 1) +
           " of " + std::to_string(n) + ")");
    total += weights[i];
  }
  if (!(total > 0) || !std::isfinite(total))
    fail("discrete needs weights with a positive, finite sum (got sum " + fmt(total) + ")");

  // Sort by value, merge equal values, drop values of probability 0.
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) { return values[i] < values[j]; });
  Distribution d;
  d.kind_ = Kind::discrete;
  double running = 0;
  for (const std::size_t i : order) {
    if (weights[i] == 0) continue;
    running += weights[i];
    const double c = std::min(running / total, 1.0);
    if (!d.values_.empty() && d.values_.back() == values[i])
      d.cumulative_.back() = c;
    else {
      d.values_.push_back(values[i]);
      d.cumulative_.push_back(c);
    }
  }
  d.cumulative_.back() = 1.0;
  check_usable(d);
  return d;
}

// ---------------------------------------------------------------------------
// Evaluation

double Distribution::quantile(double u) const {
  if (std::isnan(u)) return nan;
  if (u <= 0) return support_min();
  if (u >= 1) return support_max();
  switch (kind_) {
    case Kind::constant: return p_[0];
    case Kind::uniform: {
      const double x = p_[0] + u * (p_[1] - p_[0]);
      return std::min(x, p_[1]);
    }
    case Kind::triangular: {
      const double a = p_[0], c = p_[1], b = p_[2];
      const double w = b - a;
      double x;
      if (u * w < c - a)  // u < F(c) = (c - a) / (b - a)
        x = a + std::sqrt(u * w * (c - a));
      else
        x = b - std::sqrt((1 - u) * w * (b - c));
      return std::clamp(x, a, b);
    }
    case Kind::pert:
    case Kind::beta: {
      // The same operations as quantiles(), where the table is used: in its
      // body (and for NaN); outside it (the tails that check_range probes
      // when a scenario is loaded) the exact inverse, as quantiles() gives,
      // without building the table.
      if (table_ && (std::isnan(u) || table_->in_body(u))) {
        double x;
        table_->quantiles(&u, &x, 1, p_[0], p_[1]);
        return x;
      }
      return beta_to_range(beta_quantile(p_[2], p_[3], u), p_[0], p_[1] - p_[0], p_[1]);
    }
    case Kind::normal: {
      const double mean = p_[0], sd = p_[1], min = p_[2], max = p_[3];
      if (!std::isfinite(min) && !std::isfinite(max)) return mean + sd * normal_quantile(u);
      const Truncation t = truncation(mean, sd, min, max, p_[4], p_[5]);
      return std::clamp(mean + sd * t.z(u), min, max);
    }
    case Kind::lognormal: return std::exp(p_[0] + p_[1] * normal_quantile(u));
    case Kind::poisson: return poisson_quantile(p_[0], u);
    case Kind::bernoulli: return u > p_[1] ? 1.0 : 0.0;
    case Kind::gamma: {
      // Boost's gamma_p_inv is unreliable for subnormal p (gamma_p_inv(1e4,
      // 5e-324) = 1e248); below DBL_MIN the quantile is that of DBL_MIN.
      u = std::max(u, std::numeric_limits<double>::min());
      if (p_[0] > gamma_asymptotic_shape) return gamma_quantile_large(p_[0], u) * p_[1];
      const double g = u <= 0.5 ? boost::math::gamma_p_inv(p_[0], u, boost_policy)
                                : boost::math::gamma_q_inv(p_[0], 1 - u, boost_policy);
      return g * p_[1];
    }
    case Kind::discrete: {
      const auto it = std::lower_bound(cumulative_.begin(), cumulative_.end(), u);
      const auto i = std::min(static_cast<std::size_t>(it - cumulative_.begin()), values_.size() - 1);
      return values_[i];
    }
  }
  return nan;
}

namespace {

// x, the quantile of u inside (0, 1), or what quantile() gives at the ends:
// the support's min for u <= 0, its max for u >= 1, NaN for a NaN u. As
// selects, so that the batched loops over it vectorise.
inline double at_ends(double u, double x, double support_min, double support_max) noexcept {
  x = u <= 0 ? support_min : x;
  x = u >= 1 ? support_max : x;
  return u != u ? nan : x;
}

}  // namespace

void Distribution::quantiles(const double* u, double* out, std::size_t n) const {
  switch (kind_) {
    case Kind::constant:
      for (std::size_t i = 0; i < n; ++i) out[i] = std::isnan(u[i]) ? nan : p_[0];
      return;
    case Kind::normal:
      if (!std::isfinite(p_[2]) && !std::isfinite(p_[3])) {
        for (std::size_t i = 0; i < n; ++i) out[i] = p_[0] + p_[1] * normal_quantile(u[i]);
        return;
      }
      break;
    case Kind::lognormal:
      for (std::size_t i = 0; i < n; ++i) out[i] = std::exp(p_[0] + p_[1] * normal_quantile(u[i]));
      return;
    case Kind::uniform: {  // the same operations as quantile(), batched and branch-free
      const double lo = p_[0], hi = p_[1], width = hi - lo;
      for (std::size_t i = 0; i < n; ++i) out[i] = at_ends(u[i], std::min(lo + u[i] * width, hi), lo, hi);
      return;
    }
    case Kind::triangular: {  // the same operations as quantile(), both branches computed, then selected
      const double a = p_[0], c = p_[1], b = p_[2], w = b - a, left = c - a, right = b - c;
      for (std::size_t i = 0; i < n; ++i) {
        const double v = u[i];
        const double rising = a + std::sqrt(v * w * left), falling = b - std::sqrt((1 - v) * w * right);
        out[i] = at_ends(v, std::clamp(v * w < left ? rising : falling, a, b), a, b);
      }
      return;
    }
    case Kind::pert:
    case Kind::beta:
      if (table_) {  // the same operations as quantile(), batched
        const double lo = p_[0], hi = p_[1];
        const std::size_t outside = table_->quantiles(u, out, n, lo, hi);
        if (outside > 0)  // u = 0 or 1 (no stream draws them): the ends as quantile() has them
          for (std::size_t i = 0; i < n; ++i) out[i] = at_ends(u[i], out[i], lo, hi);
        return;
      }
      break;
    default: break;
  }
  for (std::size_t i = 0; i < n; ++i) out[i] = quantile(u[i]);
}

double Distribution::cdf(double x) const {
  if (std::isnan(x)) return nan;
  switch (kind_) {
    case Kind::constant: return x < p_[0] ? 0.0 : 1.0;
    case Kind::uniform: return std::clamp((x - p_[0]) / (p_[1] - p_[0]), 0.0, 1.0);
    case Kind::triangular: {
      const double a = p_[0], c = p_[1], b = p_[2];
      if (x <= a) return 0;
      if (x >= b) return 1;
      if (x < c) return std::min((x - a) * (x - a) / ((b - a) * (c - a)), 1.0);
      return std::max(1 - (b - x) * (b - x) / ((b - a) * (b - c)), 0.0);
    }
    case Kind::pert:
    case Kind::beta: {
      const double t = (x - p_[0]) / (p_[1] - p_[0]);
      if (t <= 0) return 0;
      if (t >= 1) return 1;
      return boost::math::ibeta(p_[2], p_[3], t, boost_policy);
    }
    case Kind::normal: {
      const double mean = p_[0], sd = p_[1], min = p_[2], max = p_[3];
      if (!std::isfinite(min) && !std::isfinite(max)) return normal_cdf((x - mean) / sd);
      if (x < min) return 0;
      if (x >= max) return 1;
      return truncation(mean, sd, min, max, p_[4], p_[5]).cdf((x - mean) / sd);
    }
    case Kind::lognormal: return x <= 0 ? 0.0 : normal_cdf((std::log(x) - p_[0]) / p_[1]);
    case Kind::poisson: return poisson_cdf(p_[0], x);
    case Kind::bernoulli: return x < 0 ? 0.0 : x < 1 ? p_[1] : 1.0;
    case Kind::gamma: return x <= 0 ? 0.0 : boost::math::gamma_p(p_[0], x / p_[1], boost_policy);
    case Kind::discrete: {
      const auto it = std::upper_bound(values_.begin(), values_.end(), x);
      return it == values_.begin() ? 0.0 : cumulative_[static_cast<std::size_t>(it - values_.begin()) - 1];
    }
  }
  return nan;
}

double Distribution::mean() const {
  switch (kind_) {
    case Kind::constant: return p_[0];
    case Kind::uniform: return p_[0] + (p_[1] - p_[0]) / 2;
    case Kind::triangular: return p_[0] + ((p_[1] - p_[0]) + (p_[2] - p_[0])) / 3;
    case Kind::pert:
    case Kind::beta: return p_[0] + (p_[1] - p_[0]) * (p_[2] / (p_[2] + p_[3]));
    case Kind::normal: {
      const double mean = p_[0], sd = p_[1], min = p_[2], max = p_[3];
      if (!std::isfinite(min) && !std::isfinite(max)) return mean;
      const Truncation t = truncation(mean, sd, min, max, p_[4], p_[5]);
      const double m = t.mass();
      const double shift = (normal_pdf(t.a) - normal_pdf(t.b)) / m;
      return std::clamp(mean + sd * shift, min, max);
    }
    case Kind::lognormal: return std::exp(p_[0] + p_[1] * p_[1] / 2);
    case Kind::poisson: return p_[0];
    case Kind::bernoulli: return p_[0];
    case Kind::gamma: return p_[0] * p_[1];
    case Kind::discrete: {
      double m = 0, previous = 0;
      for (std::size_t i = 0; i < values_.size(); ++i) {
        m += values_[i] * (cumulative_[i] - previous);
        previous = cumulative_[i];
      }
      return std::clamp(m, values_.front(), values_.back());
    }
  }
  return nan;
}

double Distribution::variance() const {
  switch (kind_) {
    case Kind::constant: return 0;
    case Kind::uniform: {
      const double w = p_[1] - p_[0];
      return w * w / 12;
    }
    case Kind::triangular: {
      const double d1 = p_[1] - p_[0], d2 = p_[2] - p_[0];  // translation-free form
      return (d1 * d1 + d2 * d2 - d1 * d2) / 18;
    }
    case Kind::pert:
    case Kind::beta: {
      const double w = p_[1] - p_[0];
      return w * w * beta_variance01(p_[2], p_[3]);
    }
    case Kind::normal: {
      const double mean = p_[0], sd = p_[1], min = p_[2], max = p_[3];
      if (!std::isfinite(min) && !std::isfinite(max)) return sd * sd;
      const Truncation t = truncation(mean, sd, min, max, p_[4], p_[5]);
      const double m = t.mass();
      const double pa = normal_pdf(t.a), pb = normal_pdf(t.b);
      const double shift = (pa - pb) / m;
      const double tilt = ((std::isfinite(t.a) ? t.a * pa : 0.0) - (std::isfinite(t.b) ? t.b * pb : 0.0)) / m;
      const double v = sd * sd * (1 + tilt - shift * shift);
      // Rounding can push a tiny variance below 0 or a narrow one above the
      // largest a distribution on [min, max] can have.
      const double w = max - min;
      return std::clamp(v, 0.0, std::isfinite(w) ? w * w / 4 : inf);
    }
    case Kind::lognormal: {
      const double s2 = p_[1] * p_[1];
      return std::expm1(s2) * std::exp(2 * p_[0] + s2);
    }
    case Kind::poisson: return p_[0];
    case Kind::bernoulli: return p_[0] * p_[1];
    case Kind::gamma: return p_[0] * p_[1] * p_[1];
    case Kind::discrete: {
      const double m = mean();
      double v = 0, previous = 0;
      for (std::size_t i = 0; i < values_.size(); ++i) {
        const double d = values_[i] - m;
        v += d * d * (cumulative_[i] - previous);
        previous = cumulative_[i];
      }
      return v;
    }
  }
  return nan;
}

double Distribution::support_min() const {
  switch (kind_) {
    case Kind::constant: return p_[0];
    case Kind::uniform:
    case Kind::triangular:
    case Kind::pert:
    case Kind::beta: return p_[0];
    case Kind::normal: return p_[2];
    case Kind::lognormal:
    case Kind::poisson:
    case Kind::gamma: return 0;
    case Kind::bernoulli: return p_[0] == 1 ? 1.0 : 0.0;
    case Kind::discrete: return values_.front();
  }
  return nan;
}

double Distribution::support_max() const {
  switch (kind_) {
    case Kind::constant: return p_[0];
    case Kind::uniform:
    case Kind::pert:
    case Kind::beta: return p_[1];
    case Kind::triangular: return p_[2];
    case Kind::normal: return p_[3];
    case Kind::lognormal:
    case Kind::gamma: return inf;
    case Kind::poisson: return p_[0] == 0 ? 0.0 : inf;
    case Kind::bernoulli: return p_[0] == 0 ? 0.0 : 1.0;
    case Kind::discrete: return values_.back();
  }
  return nan;
}

bool Distribution::same_quantiles(const Distribution& other) const noexcept {
  const auto same_bits = [](const double* a, const double* b, std::size_t n) {
    return n == 0 || std::memcmp(a, b, n * sizeof(double)) == 0;
  };
  return kind_ == other.kind_ && same_bits(p_, other.p_, std::size(p_)) && values_.size() == other.values_.size() &&
         cumulative_.size() == other.cumulative_.size() &&
         same_bits(values_.data(), other.values_.data(), values_.size()) &&
         same_bits(cumulative_.data(), other.cumulative_.data(), cumulative_.size());
}

std::string Distribution::describe() const {
  const std::string name = to_string(kind_);
  switch (kind_) {
    case Kind::constant: return name + "(" + fmt(p_[0]) + ")";
    case Kind::uniform: return name + "(" + list({{"min", p_[0]}, {"max", p_[1]}}) + ")";
    case Kind::triangular: return name + "(" + list({{"min", p_[0]}, {"mode", p_[1]}, {"max", p_[2]}}) + ")";
    case Kind::pert:
      return name + "(" + list({{"min", p_[0]}, {"mode", p_[4]}, {"max", p_[1]}, {"lambda", p_[5]}}) + ")";
    case Kind::beta: {
      std::string s = name + "(" + list({{"alpha", p_[2]}, {"beta", p_[3]}});
      if (p_[0] != 0 || p_[1] != 1) s += ", " + list({{"min", p_[0]}, {"max", p_[1]}});
      return s + ")";
    }
    case Kind::normal: {
      std::string s = name + "(" + list({{"mean", p_[0]}, {"sd", p_[1]}});
      if (std::isfinite(p_[2])) s += ", min " + fmt(p_[2]);
      if (std::isfinite(p_[3])) s += ", max " + fmt(p_[3]);
      return s + ")";
    }
    case Kind::lognormal:
      if (p_[4] > 0)
        return name + "(p" + percent(p_[2]) + " " + fmt(p_[3]) + ", p" + percent(p_[4]) + " " + fmt(p_[5]) + ")";
      if (p_[2] > 0) return name + "(" + list({{"mean", p_[2]}, {"sd", p_[3]}}) + ")";
      return name + "(" + list({{"mu", p_[0]}, {"sigma", p_[1]}}) + ")";
    case Kind::poisson: return name + "(mean " + fmt(p_[0]) + ")";
    case Kind::bernoulli: return name + "(p " + fmt(p_[0]) + ")";
    case Kind::gamma:
      if (p_[2] > 0) return name + "(" + list({{"mean", p_[2]}, {"sd", p_[3]}}) + ")";
      return name + "(" + list({{"shape", p_[0]}, {"scale", p_[1]}}) + ")";
    case Kind::discrete: {
      const std::size_t n = values_.size();
      if (n > 8)
        return name + "(" + std::to_string(n) + " values from " + fmt(values_.front()) + " to " +
               fmt(values_.back()) + ")";
      std::string v, p;
      double previous = 0;
      for (std::size_t i = 0; i < n; ++i) {
        if (i > 0) {
          v += ", ";
          p += ", ";
        }
        v += fmt(values_[i]);
        p += fmt(cumulative_[i] - previous);
        previous = cumulative_[i];
      }
      return name + "(values [" + v + "], probabilities [" + p + "])";
    }
  }
  return name;
}

}  // namespace switchcost::sim

namespace switchcost::sim {

double beta_quantile_exact(double alpha, double beta, double u) { return beta_quantile(alpha, beta, u); }

BetaTableInfo beta_table_info(double alpha, double beta) {
  BetaTableInfo info;
  info.tabulated = tabulates(alpha, beta);
  info.u_min = BetaTable::w_min;
  info.intervals = BetaTable::intervals;
  return info;
}

}  // namespace switchcost::sim

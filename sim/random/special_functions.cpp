// Special functions behind the distributions (see special_functions.h):
// normal, Poisson, gamma and beta quantiles and tails, each with the reason
// it is not Boost.Math's own where it is not.
#include "sim/random/special_functions.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>
#include <limits>
#include <numbers>

#include <boost/math/special_functions/beta.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <boost/math/special_functions/log1p.hpp>

namespace switchcost::sim {

std::string format_shortest(double x) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, r.ptr);
}

namespace {

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

// Poisson quantiles for means up to this sum the probabilities upwards while
// the CDF stays at or below sequential_cdf_limit: there the sum's rounding
// (~1e-14) cannot keep it from reaching u. Beyond, the exact tails are used.
constexpr double sequential_mean_limit = 50;
constexpr double sequential_cdf_limit = 1 - 1e-9;

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
    throw DistributionError("poisson needs 0 <= mean <= " + format_shortest(max_poisson_mean) + " (got mean " +
                            format_shortest(mean) + ")");
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

}  // namespace

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

double normal_pdf(double z) noexcept {
  return std::isinf(z) ? 0.0 : std::exp(-0.5 * z * z) * (std::numbers::inv_sqrtpi / std::numbers::sqrt2);
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

double student_t_cdf(double dof, double x) {
  if (std::isnan(x) || std::isnan(dof)) return nan;
  if (std::isinf(x)) return x < 0 ? 0.0 : 1.0;
  // The smaller tail directly (no cancellation), the other as its complement.
  const double x2 = x * x;
  const double tail = 0.5 * boost::math::ibeta(dof / 2, 0.5, dof / (dof + x2), boost_policy);
  return x < 0 ? tail : 1 - tail;
}

double poisson_quantile(double mean, double u) {
  check_poisson_mean(mean);
  if (std::isnan(u)) return nan;
  if (mean == 0 || u <= 0) return 0;
  if (u >= 1) return inf;
  // Small means: sum the probabilities upwards (the same sum as
  // poisson_cdf). Above sequential_cdf_limit the search compares exact upper
  // tails with 1 - u instead.
  // Below P(0) = exp(-mean) the quantile is 0. For mean <= 1/4,
  // exp(-mean) - (1 - 2 mean) >= 7 mean / 8, far above exp's error of an ulp
  // (and for a mean so small that 1 - 2 mean rounds to 1 or just below it,
  // exp(-mean) rounds to the same or above), so u <= 1 - 2 mean is below P(0)
  // as exp computes it: the answer the sum below gives, without the exp (an
  // incident count is 0 in most trials).
  if (mean <= 0.25 && u <= 1.0 - 2.0 * mean) return 0;
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

double beta_quantile_exact(double alpha, double beta, double u) { return beta_quantile(alpha, beta, u); }

double beta_inverse(double alpha, double beta, double p, double q, double x_start) {
  return ibeta_inverse(alpha, beta, p, q, x_start);
}

double beta_pdf(double alpha, double beta, double x) {
  return boost::math::ibeta_derivative(alpha, beta, x, boost_policy);
}

double beta_cdf(double alpha, double beta, double x) { return boost::math::ibeta(alpha, beta, x, boost_policy); }

double gamma_quantile(double shape, double u) {
  // Boost's gamma_p_inv is unreliable for subnormal p (gamma_p_inv(1e4,
  // 5e-324) = 1e248); below DBL_MIN the quantile is that of DBL_MIN.
  u = std::max(u, std::numeric_limits<double>::min());
  if (shape > gamma_asymptotic_shape) return gamma_quantile_large(shape, u);
  return u <= 0.5 ? boost::math::gamma_p_inv(shape, u, boost_policy)
                  : boost::math::gamma_q_inv(shape, 1 - u, boost_policy);
}

double gamma_cdf(double shape, double x) { return boost::math::gamma_p(shape, x, boost_policy); }

}  // namespace switchcost::sim

// Distributions as inverse CDFs (see distribution.h for the contract): each
// kind's parse rule, validation, quantile, CDF, moments and description, in
// the order of Distribution::Kinds. The special functions they use are in
// special_functions.cpp, the beta quantile tables in beta_table.cpp.
#include "sim/random/distribution.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <numeric>
#include <utility>

namespace switchcost::sim {

namespace distribution_detail {

std::string list(Named params) {
  std::string s;
  for (const auto& [name, value] : params) {
    if (!s.empty()) s += ", ";
    s += name;
    s += ' ';
    s += format_shortest(value);
  }
  return s;
}

void fail(const std::string& message) { throw DistributionError(message); }

void require(bool ok, const char* what, const char* rule, Named params) {
  if (!ok) fail(std::string(what) + " needs " + rule + " (got " + list(params) + ")");
}

void require_finite(const char* what, Named params) {
  bool ok = true;
  for (const auto& p : params) ok = ok && std::isfinite(p.second);
  require(ok, what, "finite parameters", params);
}

bool same_bits(std::initializer_list<double> a, std::initializer_list<double> b) noexcept {
  return a.size() == b.size() && (a.size() == 0 || std::memcmp(a.begin(), b.begin(), a.size() * sizeof(double)) == 0);
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) noexcept {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

}  // namespace distribution_detail

namespace {

using namespace distribution_detail;

const auto fmt = format_shortest;

// Beta and PERT shapes with both alpha and beta above this are refused: the
// exact inverse's cost (Boost's ibeta per step) grows without bound with the
// smaller shape, and such a distribution is a spike with an sd below 4e-5 of
// its range, for which a constant serves. Up to it a quantile costs at most
// a few tens of ibeta evaluations.
constexpr double max_smaller_beta_shape = 1e8;

// Truncations of a normal leaving less probability than this are refused.
constexpr double min_normal_mass = 1e-280;

// ---------------------------------------------------------------------------
// Truncated normal

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

// Percent label for a probability: 0.05 -> "5", 0.025 -> "2.5".
std::string percent(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", 100 * p);
  return buf;
}

}  // namespace

// ---------------------------------------------------------------------------
// Constant

Constant Constant::parse(const ParamReader& reader) { return make(reader.args(name, {"value"}, 1, true).get("value")); }

Constant Constant::make(double value) {
  require_finite("constant", {{"value", value}});
  return Constant{value};
}

void Constant::quantiles(const double* u, double* out, std::size_t n) const {
  for (std::size_t i = 0; i < n; ++i) out[i] = std::isnan(u[i]) ? nan : value;
}

std::string Constant::describe() const { return std::string(name) + "(" + fmt(value) + ")"; }

// ---------------------------------------------------------------------------
// Uniform

Uniform Uniform::parse(const ParamReader& reader) {
  const ParamValues a = reader.args(name, {"min", "max"}, 2, false);
  return make(a.get("min"), a.get("max"));
}

Uniform Uniform::make(double min, double max) {
  require_finite("uniform", {{"min", min}, {"max", max}});
  require(min < max, "uniform", "min < max", {{"min", min}, {"max", max}});
  const Uniform d{min, max};
  check_usable(d);
  return d;
}

// x = min + u (max - min), kept below max against rounding.
double Uniform::quantile(double u) const {
  const double x = min + u * (max - min);
  return std::min(x, max);
}

void Uniform::quantiles(const double* u, double* out, std::size_t n) const {
  // The same operations as quantile(), batched and branch-free.
  const double lo = min, hi = max, width = hi - lo;
  for (std::size_t i = 0; i < n; ++i) out[i] = at_ends(u[i], std::min(lo + u[i] * width, hi), lo, hi);
}

double Uniform::cdf(double x) const { return std::clamp((x - min) / (max - min), 0.0, 1.0); }

double Uniform::variance() const {
  const double w = max - min;
  return w * w / 12;
}

std::string Uniform::describe() const { return std::string(name) + "(" + list({{"min", min}, {"max", max}}) + ")"; }

// ---------------------------------------------------------------------------
// Triangular

Triangular Triangular::parse(const ParamReader& reader) {
  const ParamValues a = reader.args(name, {"min", "mode", "max"}, 3, false);
  return make(a.get("min"), a.get("mode"), a.get("max"));
}

Triangular Triangular::make(double min, double mode, double max) {
  const Named params{{"min", min}, {"mode", mode}, {"max", max}};
  require_finite("triangular", params);
  require(min <= mode && mode <= max, "triangular", "min <= mode <= max", params);
  require(min < max, "triangular", "min < max", params);
  const Triangular d{min, mode, max};
  check_usable(d);
  return d;
}

// With a = min, c = mode, b = max, w = b - a: F(c) = (c - a) / w;
// x = a + sqrt(u w (c - a)) below it, b - sqrt((1 - u) w (b - c)) above.
double Triangular::quantile(double u) const {
  const double a = min, c = mode, b = max;
  const double w = b - a;
  double x;
  if (u * w < c - a)  // u < F(c) = (c - a) / (b - a)
    x = a + std::sqrt(u * w * (c - a));
  else
    x = b - std::sqrt((1 - u) * w * (b - c));
  return std::clamp(x, a, b);
}

void Triangular::quantiles(const double* u, double* out, std::size_t n) const {
  // The same operations as quantile(), both branches computed, then selected.
  const double a = min, c = mode, b = max, w = b - a, left = c - a, right = b - c;
  for (std::size_t i = 0; i < n; ++i) {
    const double v = u[i];
    const double rising = a + std::sqrt(v * w * left), falling = b - std::sqrt((1 - v) * w * right);
    out[i] = at_ends(v, std::clamp(v * w < left ? rising : falling, a, b), a, b);
  }
}

double Triangular::cdf(double x) const {
  const double a = min, c = mode, b = max;
  if (x <= a) return 0;
  if (x >= b) return 1;
  if (x < c) return std::min((x - a) * (x - a) / ((b - a) * (c - a)), 1.0);
  return std::max(1 - (b - x) * (b - x) / ((b - a) * (b - c)), 0.0);
}

double Triangular::variance() const {
  const double d1 = mode - min, d2 = max - min;  // translation-free form
  return (d1 * d1 + d2 * d2 - d1 * d2) / 18;
}

std::string Triangular::describe() const {
  return std::string(name) + "(" + list({{"min", min}, {"mode", mode}, {"max", max}}) + ")";
}

// ---------------------------------------------------------------------------
// Scaled beta (Pert, Beta)

double ScaledBeta::quantile(double u) const {
  // The same operations as quantiles(), where the table is used: in its
  // body (and for NaN); outside it (the tails that check_range probes
  // when a scenario is loaded) the exact inverse, as quantiles() gives,
  // without building the table.
  if (table && (std::isnan(u) || table->in_body(u))) {
    double x;
    table->quantiles(&u, &x, 1, min, max);
    return x;
  }
  return beta_to_range(beta_quantile_exact(alpha, beta, u), min, max - min, max);
}

void ScaledBeta::quantiles(const double* u, double* out, std::size_t n) const {
  if (!table) return point_quantiles(*this, u, out, n);
  // The same operations as quantile(), batched.
  const double lo = min, hi = max;
  const std::size_t outside = table->quantiles(u, out, n, lo, hi);
  if (outside > 0)  // u = 0 or 1 (no stream draws them): the ends as quantile() has them
    for (std::size_t i = 0; i < n; ++i) out[i] = at_ends(u[i], out[i], lo, hi);
}

double ScaledBeta::cdf(double x) const {
  const double t = (x - min) / (max - min);
  if (t <= 0) return 0;
  if (t >= 1) return 1;
  return beta_cdf(alpha, beta, t);
}

// (max - min)^2 alpha beta / ((alpha + beta)^2 (alpha + beta + 1)).
double ScaledBeta::variance() const {
  const double w = max - min;
  const double s = alpha + beta;
  return w * w * ((alpha / s) * (beta / s) / (s + 1));
}

Pert Pert::parse(const ParamReader& reader) {
  const ParamValues a = reader.args(name, {"min", "mode", "max", "lambda"}, 3, false);
  return make(a.get("min"), a.get("mode"), a.get("max"), a.get_or("lambda", 4.0));
}

Pert Pert::make(double min, double mode, double max, double lambda) {
  const Named params{{"min", min}, {"mode", mode}, {"max", max}, {"lambda", lambda}};
  require_finite("pert", params);
  require(min <= mode && mode <= max, "pert", "min <= mode <= max", params);
  require(min < max, "pert", "min < max", params);
  require(lambda > 0, "pert", "lambda > 0", params);
  const double width = max - min;
  require(std::isfinite(width), "pert", "max - min to be finite", params);
  Pert d;
  d.min = min;
  d.max = max;
  d.alpha = 1 + lambda * ((mode - min) / width);
  d.beta = 1 + lambda * ((max - mode) / width);
  require(std::min(d.alpha, d.beta) <= 1 + max_smaller_beta_shape, "pert",
          "lambda x min(mode - min, max - mode) / (max - min) at most 1e8 (beyond, it is a spike at the mode "
          "too costly to draw from: use a constant)",
          params);
  d.mode = mode;
  d.lambda = lambda;
  check_usable(d);
  d.table = beta_table(d.alpha, d.beta);
  return d;
}

std::string Pert::describe() const {
  return std::string(name) + "(" + list({{"min", min}, {"mode", mode}, {"max", max}, {"lambda", lambda}}) + ")";
}

Beta Beta::parse(const ParamReader& reader) {
  const ParamValues a = reader.args(name, {"alpha", "beta", "min", "max"}, 2, false);
  return make(a.get("alpha"), a.get("beta"), a.get_or("min", 0.0), a.get_or("max", 1.0));
}

Beta Beta::make(double alpha, double beta, double min, double max) {
  const Named params{{"alpha", alpha}, {"beta", beta}, {"min", min}, {"max", max}};
  require_finite("beta", params);
  require(alpha > 0 && beta > 0, "beta", "alpha > 0 and beta > 0", params);
  require(std::min(alpha, beta) <= max_smaller_beta_shape, "beta",
          "alpha or beta at most 1e8 (with both larger it is a spike too costly to draw from: use a constant)", params);
  require(min < max, "beta", "min < max", params);
  require(std::isfinite(max - min), "beta", "max - min to be finite", params);
  Beta d;
  d.min = min;
  d.max = max;
  d.alpha = alpha;
  d.beta = beta;
  check_usable(d);
  d.table = beta_table(alpha, beta);
  return d;
}

std::string Beta::describe() const {
  std::string s = std::string(name) + "(" + list({{"alpha", alpha}, {"beta", beta}});
  if (min != 0 || max != 1) s += ", " + list({{"min", min}, {"max", max}});
  return s + ")";
}

// ---------------------------------------------------------------------------
// Normal

Normal Normal::parse(const ParamReader& reader) {
  const ParamValues a = reader.args(name, {"mean", "sd", "min", "max"}, 2, false);
  return make(a.get("mean"), a.get("sd"), a.get_or("min", -inf), a.get_or("max", inf));
}

Normal Normal::make(double mean, double sd, double min, double max) {
  const Named params{{"mean", mean}, {"sd", sd}, {"min", min}, {"max", max}};
  require(std::isfinite(mean) && std::isfinite(sd) && !std::isnan(min) && !std::isnan(max) && min != inf &&
              max != -inf,
          "normal", "a finite mean and sd, and min/max that are numbers (-inf/inf for no bound)", params);
  require(sd > 0, "normal", "sd > 0", params);
  require(min < max, "normal", "min < max", params);
  Normal d{mean, sd, min, max, 0, 0};
  if (d.truncated()) {
    const Truncation t = make_truncation(mean, sd, min, max);
    if (!(t.mass() >= min_normal_mass))
      fail("normal(" + list(params) + ") has (numerically) no probability between min and max: " +
           fmt(t.mass()) + " of it lies there; widen the bounds or move the mean");
    d.t_lo = t.t_lo;
    d.t_hi = t.t_hi;
  }
  check_usable(d);
  return d;
}

// mean + sd z, z the standard (or truncated: Truncation::z) normal quantile.
double Normal::quantile(double u) const {
  if (!truncated()) return mean + sd * normal_quantile(u);
  const Truncation t = truncation(mean, sd, min, max, t_lo, t_hi);
  return std::clamp(mean + sd * t.z(u), min, max);
}

void Normal::quantiles(const double* u, double* out, std::size_t n) const {
  if (truncated()) return point_quantiles(*this, u, out, n);
  for (std::size_t i = 0; i < n; ++i) out[i] = mean + sd * normal_quantile(u[i]);
}

double Normal::cdf(double x) const {
  if (!truncated()) return normal_cdf((x - mean) / sd);
  if (x < min) return 0;
  if (x >= max) return 1;
  return truncation(mean, sd, min, max, t_lo, t_hi).cdf((x - mean) / sd);
}

// Truncated to [a, b] (standardised), mass m: mean + sd (pdf(a) - pdf(b)) / m.
double Normal::mean_value() const {
  if (!truncated()) return mean;
  const Truncation t = truncation(mean, sd, min, max, t_lo, t_hi);
  const double m = t.mass();
  const double shift = (normal_pdf(t.a) - normal_pdf(t.b)) / m;
  return std::clamp(mean + sd * shift, min, max);
}

// Truncated: sd^2 (1 + (a pdf(a) - b pdf(b)) / m - ((pdf(a) - pdf(b)) / m)^2).
double Normal::variance() const {
  if (!truncated()) return sd * sd;
  const Truncation t = truncation(mean, sd, min, max, t_lo, t_hi);
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

std::string Normal::describe() const {
  std::string s = std::string(name) + "(" + list({{"mean", mean}, {"sd", sd}});
  if (std::isfinite(min)) s += ", min " + fmt(min);
  if (std::isfinite(max)) s += ", max " + fmt(max);
  return s + ")";
}

// ---------------------------------------------------------------------------
// Lognormal

// {lognormal: {mean, sd}} | {mu, sigma} | {pNN: x, pMM: y}
Lognormal Lognormal::parse(const ParamReader& reader) {
  if (!reader.is_mapping())
    reader.fail("lognormal takes {mean: , sd: }, {mu: , sigma: } or two percentiles such as {p5: , p95: }, got " +
                reader.describe());
  std::map<std::string, double> given;
  std::vector<std::pair<double, double>> percentiles;  // (p, x)
  for (const std::string& k : reader.keys()) {
    const bool pct = k.size() >= 2 && k.size() <= 3 && k[0] == 'p' &&
                     std::all_of(k.begin() + 1, k.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
                     k[1] != '0' && std::stoi(k.substr(1)) >= 1 && std::stoi(k.substr(1)) <= 99;
    if (pct) {
      percentiles.emplace_back(std::stoi(k.substr(1)) / 100.0, reader.number(k));
      continue;
    }
    if (k != "mean" && k != "sd" && k != "mu" && k != "sigma")
      reader.fail_unknown_key(k, "lognormal parameters", {"mean", "sd", "mu", "sigma", "p5", "p50", "p95"},
                              "; expected mean and sd, mu and sigma, or two percentiles pNN (p1 to p99)");
    given[k] = reader.number(k);
  }
  const bool by_moments = given.count("mean") || given.count("sd");
  const bool by_log = given.count("mu") || given.count("sigma");
  const int forms = int(by_moments) + int(by_log) + int(!percentiles.empty());
  if (forms != 1)
    reader.fail("lognormal takes exactly one of: {mean, sd}, {mu, sigma}, or two percentiles such as {p5, p95}");
  if (by_moments) {
    if (!given.count("mean") || !given.count("sd")) reader.fail("lognormal by moments needs both 'mean' and 'sd'");
    return from_mean_sd(given["mean"], given["sd"]);
  }
  if (by_log) {
    if (!given.count("mu") || !given.count("sigma"))
      reader.fail("lognormal by log-parameters needs both 'mu' and 'sigma'");
    return make(given["mu"], given["sigma"]);
  }
  if (percentiles.size() != 2)
    reader.fail("lognormal by percentiles needs exactly two of p1..p99 (e.g. p5 and p95), got " +
                std::to_string(percentiles.size()));
  std::sort(percentiles.begin(), percentiles.end());
  return from_percentiles(percentiles[0].first, percentiles[0].second, percentiles[1].first, percentiles[1].second);
}

Lognormal Lognormal::make(double mu, double sigma) {
  const Named params{{"mu", mu}, {"sigma", sigma}};
  require_finite("lognormal", params);
  require(sigma > 0, "lognormal", "sigma > 0", params);
  Lognormal d;
  d.mu = mu;
  d.sigma = sigma;
  check_usable(d);
  return d;
}

// sigma^2 = log(1 + (sd / mean)^2), mu = log(mean) - sigma^2 / 2.
Lognormal Lognormal::from_mean_sd(double mean, double sd) {
  const Named params{{"mean", mean}, {"sd", sd}};
  require_finite("lognormal", params);
  require(mean > 0, "lognormal", "mean > 0", params);
  require(sd > 0, "lognormal", "sd > 0", params);
  const double cv = sd / mean;
  const double sigma2 = std::log1p(cv * cv);
  const double sigma = std::sqrt(sigma2);
  require(sigma > 0 && std::isfinite(sigma), "lognormal", "sd / mean between about 1e-150 and 1e150", params);
  Lognormal d;
  d.mu = std::log(mean) - sigma2 / 2;
  d.sigma = sigma;
  d.given = Given::mean_sd;
  d.given_mean = mean;
  d.given_sd = sd;
  check_usable(d);
  return d;
}

// sigma = (log x_hi - log x_lo) / (z_hi - z_lo), z = normal_quantile(p);
// mu = log x - sigma z at either percentile.
Lognormal Lognormal::from_percentiles(double p_lo, double x_lo, double p_hi, double x_hi) {
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
  Lognormal d;
  // Anchored at the percentile nearer the median for accuracy; either gives
  // mu up to rounding.
  d.mu = std::fabs(z_lo) <= std::fabs(z_hi) ? l_lo - sigma * z_lo : l_hi - sigma * z_hi;
  d.sigma = sigma;
  d.given = Given::percentiles;
  d.p_lo = p_lo;
  d.x_lo = x_lo;
  d.p_hi = p_hi;
  d.x_hi = x_hi;
  check_usable(d);
  return d;
}

void Lognormal::quantiles(const double* u, double* out, std::size_t n) const {
  for (std::size_t i = 0; i < n; ++i) out[i] = std::exp(mu + sigma * normal_quantile(u[i]));
}

// (exp(sigma^2) - 1) exp(2 mu + sigma^2).
double Lognormal::variance() const {
  const double s2 = sigma * sigma;
  return std::expm1(s2) * std::exp(2 * mu + s2);
}

std::string Lognormal::describe() const {
  const std::string n(name);
  switch (given) {
    case Given::percentiles:
      return n + "(p" + percent(p_lo) + " " + fmt(x_lo) + ", p" + percent(p_hi) + " " + fmt(x_hi) + ")";
    case Given::mean_sd: return n + "(" + list({{"mean", given_mean}, {"sd", given_sd}}) + ")";
    case Given::mu_sigma: break;
  }
  return n + "(" + list({{"mu", mu}, {"sigma", sigma}}) + ")";
}

// ---------------------------------------------------------------------------
// Poisson

Poisson Poisson::parse(const ParamReader& reader) { return make(reader.args(name, {"mean"}, 1, true).get("mean")); }

Poisson Poisson::make(double mean) {
  require_finite("poisson", {{"mean", mean}});
  if (!(mean >= 0 && mean <= max_poisson_mean))
    fail("poisson needs 0 <= mean <= " + fmt(max_poisson_mean) + " (got mean " + fmt(mean) + ")");
  const Poisson d{mean};
  check_usable(d);
  return d;
}

std::string Poisson::describe() const { return std::string(name) + "(mean " + fmt(mean) + ")"; }

// ---------------------------------------------------------------------------
// Bernoulli

Bernoulli Bernoulli::parse(const ParamReader& reader) { return make(reader.args(name, {"p"}, 1, true).get("p")); }

Bernoulli Bernoulli::make(double p) {
  require_finite("bernoulli", {{"p", p}});
  require(0 <= p && p <= 1, "bernoulli", "0 <= p <= 1", {{"p", p}});
  return Bernoulli{p, 1 - p};
}

std::string Bernoulli::describe() const { return std::string(name) + "(p " + fmt(p) + ")"; }

// ---------------------------------------------------------------------------
// Gamma

Gamma Gamma::parse(const ParamReader& reader) {
  if (reader.is_mapping() && (reader.has("mean") || reader.has("sd"))) {
    const ParamValues a = reader.args(name, {"mean", "sd"}, 2, false);
    return from_mean_sd(a.get("mean"), a.get("sd"));
  }
  const ParamValues a = reader.args(name, {"shape", "scale"}, 2, false);
  return make(a.get("shape"), a.get("scale"));
}

Gamma Gamma::make(double shape, double scale) {
  const Named params{{"shape", shape}, {"scale", scale}};
  require_finite("gamma", params);
  require(shape > 0 && scale > 0, "gamma", "shape > 0 and scale > 0", params);
  const Gamma d{shape, scale, 0, 0};
  check_usable(d);
  return d;
}

// shape = (mean / sd)^2, scale = sd^2 / mean.
Gamma Gamma::from_mean_sd(double mean, double sd) {
  const Named params{{"mean", mean}, {"sd", sd}};
  require_finite("gamma", params);
  require(mean > 0 && sd > 0, "gamma", "mean > 0 and sd > 0", params);
  const double r = mean / sd;
  const double shape = r * r;
  const double scale = sd / r;
  require(shape > 0 && std::isfinite(shape) && scale > 0 && std::isfinite(scale), "gamma",
          "mean / sd between about 1e-150 and 1e150", params);
  const Gamma d{shape, scale, mean, sd};
  check_usable(d);
  return d;
}

std::string Gamma::describe() const {
  if (given_mean > 0) return std::string(name) + "(" + list({{"mean", given_mean}, {"sd", given_sd}}) + ")";
  return std::string(name) + "(" + list({{"shape", shape}, {"scale", scale}}) + ")";
}

// ---------------------------------------------------------------------------
// Discrete

Discrete Discrete::parse(const ParamReader& reader) {
  if (!reader.is_mapping()) reader.fail("discrete takes {values: [..], weights: [..]}, got " + reader.describe());
  reader.check_keys({"values", "weights"}, "discrete parameters");
  if (!reader.has("values") || !reader.has("weights")) reader.fail("discrete needs both 'values' and 'weights'");
  return make(reader.numbers("values", "discrete values"), reader.numbers("weights", "discrete weights"));
}

Discrete Discrete::make(std::vector<double> values, std::vector<double> weights) {
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
  Discrete d;
  d.values.clear();
  d.cumulative.clear();
  double running = 0;
  for (const std::size_t i : order) {
    if (weights[i] == 0) continue;
    running += weights[i];
    const double c = std::min(running / total, 1.0);
    if (!d.values.empty() && d.values.back() == values[i])
      d.cumulative.back() = c;
    else {
      d.values.push_back(values[i]);
      d.cumulative.push_back(c);
    }
  }
  d.cumulative.back() = 1.0;
  check_usable(d);
  return d;
}

double Discrete::quantile(double u) const {
  const auto it = std::lower_bound(cumulative.begin(), cumulative.end(), u);
  const auto i = std::min(static_cast<std::size_t>(it - cumulative.begin()), values.size() - 1);
  return values[i];
}

double Discrete::cdf(double x) const {
  const auto it = std::upper_bound(values.begin(), values.end(), x);
  return it == values.begin() ? 0.0 : cumulative[static_cast<std::size_t>(it - values.begin()) - 1];
}

double Discrete::mean_value() const {
  double m = 0, previous = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    m += values[i] * (cumulative[i] - previous);
    previous = cumulative[i];
  }
  return std::clamp(m, values.front(), values.back());
}

double Discrete::variance() const {
  const double m = mean_value();
  double v = 0, previous = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double d = values[i] - m;
    v += d * d * (cumulative[i] - previous);
    previous = cumulative[i];
  }
  return v;
}

std::string Discrete::describe() const {
  const std::string kind(name);
  const std::size_t n = values.size();
  if (n > 8)
    return kind + "(" + std::to_string(n) + " values from " + fmt(values.front()) + " to " + fmt(values.back()) + ")";
  std::string v, p;
  double previous = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) {
      v += ", ";
      p += ", ";
    }
    v += fmt(values[i]);
    p += fmt(cumulative[i] - previous);
    previous = cumulative[i];
  }
  return kind + "(values [" + v + "], probabilities [" + p + "])";
}

// ---------------------------------------------------------------------------
// Distribution: one visit per call

void Distribution::quantiles(const double* u, double* out, std::size_t n) const {
  std::visit(
      [&](const auto& k) {
        if constexpr (requires { k.quantiles(u, out, n); })
          k.quantiles(u, out, n);
        else
          point_quantiles(k, u, out, n);
      },
      kind_);
}

double Distribution::cdf(double x) const {
  if (std::isnan(x)) return nan;
  return std::visit([x](const auto& k) { return k.cdf(x); }, kind_);
}

std::optional<std::pair<double, double>> Distribution::beta_shape() const noexcept {
  return std::visit(
      [](const auto& k) -> std::optional<std::pair<double, double>> {
        if constexpr (std::is_base_of_v<ScaledBeta, std::decay_t<decltype(k)>>)
          return std::pair{k.alpha, k.beta};
        else
          return std::nullopt;
      },
      kind_);
}

bool Distribution::same_quantiles(const Distribution& other) const noexcept {
  return std::visit(
      [](const auto& a, const auto& b) {
        if constexpr (std::is_same_v<decltype(a), decltype(b)>)
          return a.same_quantiles(b);
        else
          return false;
      },
      kind_, other.kind_);
}

// ---------------------------------------------------------------------------
// The kinds by name

namespace {

template <std::size_t... I>
std::vector<std::string_view> kind_names(std::index_sequence<I...>) {
  return {std::variant_alternative_t<I, Distribution::Kinds>::name...};
}

template <std::size_t I = 0>
Distribution parse_kind(std::string_view kind, const ParamReader& reader) {
  if constexpr (I == std::variant_size_v<Distribution::Kinds>) {
    throw std::logic_error("unhandled distribution kind " + std::string(kind));
  } else {
    using K = std::variant_alternative_t<I, Distribution::Kinds>;
    if (kind == K::name) return K::parse(reader);
    return parse_kind<I + 1>(kind, reader);
  }
}

}  // namespace

const std::vector<std::string_view>& distribution_kind_names() {
  static const std::vector<std::string_view> names =
      kind_names(std::make_index_sequence<std::variant_size_v<Distribution::Kinds>>{});
  return names;
}

Distribution parse_distribution(std::string_view kind, const ParamReader& reader) {
  return parse_kind(kind, reader);
}

}  // namespace switchcost::sim

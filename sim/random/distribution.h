// Probability distributions as inverse CDFs of a uniform: a sampler is a pure
// function of u in (0,1), never of a generator. Parameters are validated by
// each kind's make(), which throws DistributionError with a message fit for
// a user ("pert needs min <= mode <= max (got min 3, mode 2, max 5, lambda
// 4)"); the scenario reader adds the file:line:col. Besides each kind's
// rules, every kind refuses non-finite parameters (normal's min/max may be
// -inf/inf) and parameters whose quantiles over all of (0,1), mean or
// variance would overflow a double ("... is too extreme to compute with").
//
// Each kind is a named type with named fields (Uniform{min, max}, Pert{min,
// mode, max, lambda}, ...), listed once in Distribution::Kinds. A kind
// carries everything about it: its name in scenario files, how it reads its
// parameters (parse, through ParamReader, which knows the YAML), its
// validation (make), and its quantile, CDF, moments, support and
// description. Distribution holds one of them in a std::variant and visits
// it once per call: once per block in quantiles(), so the loops over a block
// are the kind's own, monomorphic. Adding a kind: a struct with the members
// of the ones below, its entry in Distribution::Kinds, and its tests.
//
// No std::*_distribution anywhere: their output differs between standard
// libraries, and ours must be the same bytes everywhere.
#pragma once

#include <cmath>
#include <cstddef>
#include <exception>
#include <initializer_list>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "sim/random/beta_table.h"
#include "sim/random/special_functions.h"

namespace switchcost::sim {

// ---------------------------------------------------------------------------
// Reading a kind's parameters

// Parameters read by name: what ParamReader::args returns.
class ParamValues {
 public:
  void set(std::string_view name, double value) { values_[std::string(name)] = value; }
  // A mandatory parameter (args has checked it is there).
  double get(std::string_view name) const { return values_.at(std::string(name)); }
  double get_or(std::string_view name, double fallback) const {
    const auto it = values_.find(std::string(name));
    return it == values_.end() ? fallback : it->second;
  }

 private:
  std::map<std::string, double> values_;
};

// What a kind's parse() reads its parameters through: the value written
// after the kind's name ({pert: [1, 2, 4]} -> [1, 2, 4]). The scenario reader
// implements it over its YAML node, so that this layer knows nothing of YAML
// and every failure carries the file:line:col of the node it is about. Every
// function that fails throws (the reader's error type, not DistributionError).
class ParamReader {
 public:
  virtual ~ParamReader() = default;
  // The common form: the parameters positionally ([1, 2, 4]) or by name
  // ({min: 1, mode: 2, max: 4}); `names` in positional order, the first
  // `required` of them mandatory; a bare number is accepted as the first
  // when scalar_ok ({poisson: 3}). Optional ones not given are absent.
  virtual ParamValues args(std::string_view kind, const std::vector<std::string_view>& names, std::size_t required,
                           bool scalar_ok) const = 0;
  virtual bool is_mapping() const = 0;
  // Whether the parameters are a mapping with this key.
  virtual bool has(std::string_view key) const = 0;
  // A mapping's keys in the order written.
  virtual std::vector<std::string> keys() const = 0;
  // The value of a key that has() as a number.
  virtual double number(std::string_view key) const = 0;
  // The value of a key that has() as a sequence of numbers; `what` names it
  // in messages ("discrete values").
  virtual std::vector<double> numbers(std::string_view key, const std::string& what) const = 0;
  // Fails at the first key not in `allowed` (with a did-you-mean); `what`
  // names the mapping ("discrete parameters").
  virtual void check_keys(const std::vector<std::string_view>& allowed, const std::string& what) const = 0;
  // Fails at the parameters with this message.
  [[noreturn]] virtual void fail(const std::string& message) const = 0;
  // Fails at `key` with "unknown key '<key>' in <what>" and "; did you mean
  // '<one of known>'?" when one is close, else `otherwise`.
  [[noreturn]] virtual void fail_unknown_key(std::string_view key, const std::string& what,
                                             const std::vector<std::string_view>& known,
                                             const std::string& otherwise) const = 0;
  // What the parameters are, for messages ("a sequence", "a number").
  virtual std::string describe() const = 0;
};

// ---------------------------------------------------------------------------
// Helpers the kinds share

namespace distribution_detail {

inline constexpr double inf = std::numeric_limits<double>::infinity();
inline constexpr double nan = std::numeric_limits<double>::quiet_NaN();

using Named = std::initializer_list<std::pair<const char*, double>>;

// "min 3, mode 2, max 5"
std::string list(Named params);
[[noreturn]] void fail(const std::string& message);
// Throws "<what> needs <rule> (got <params>)" unless ok.
void require(bool ok, const char* what, const char* rule, Named params);
void require_finite(const char* what, Named params);
// Whether a and b hold the same doubles bit for bit.
bool same_bits(std::initializer_list<double> a, std::initializer_list<double> b) noexcept;
bool same_bits(const std::vector<double>& a, const std::vector<double>& b) noexcept;

// What Distribution::quantile gives for any u: NaN for NaN, the support's
// ends outside (0, 1), else the kind's quantile.
template <class K>
double point_quantile(const K& kind, double u) {
  if (std::isnan(u)) return nan;
  if (u <= 0) return kind.support_min();
  if (u >= 1) return kind.support_max();
  return kind.quantile(u);
}

// out[i] = point_quantile(kind, u[i]): the block form of a kind without a
// faster one.
template <class K>
void point_quantiles(const K& kind, const double* u, double* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = point_quantile(kind, u[i]);
}

// x, the quantile of u inside (0, 1), or what point_quantile gives at the
// ends. As selects, so that the batched loops over it vectorise.
inline double at_ends(double u, double x, double support_min, double support_max) noexcept {
  x = u <= 0 ? support_min : x;
  x = u >= 1 ? support_max : x;
  return u != u ? nan : x;
}

// Every make() ends here: the quantile must be finite over all of (0,1) and
// the moments must be finite, or the parameters are too extreme to use.
template <class K>
void check_usable(const K& kind) {
  bool ok = false;
  try {
    ok = std::isfinite(kind.quantile(std::numeric_limits<double>::denorm_min())) &&
         std::isfinite(kind.quantile(0x1p-54)) && std::isfinite(kind.quantile(0.5)) &&
         std::isfinite(kind.quantile(1 - 0x1p-53)) && std::isfinite(kind.mean_value()) &&
         std::isfinite(kind.variance());
  } catch (const std::exception&) {
    ok = false;
  }
  if (!ok)
    fail(kind.describe() + " is too extreme to compute with: its values, mean or variance overflow a double");
}

}  // namespace distribution_detail

// ---------------------------------------------------------------------------
// The kinds
//
// Each has: name (as written in scenario files); parse(reader), the
// scenario syntax; make(...), the validation (throws DistributionError);
// quantile(u) for u in (0, 1), finite; optionally quantiles(u, out, n), the
// block form with the same bits as quantile() and the ends (see
// point_quantile); cdf(x) for x not NaN; mean_value(), variance(),
// support_min(), support_max(); describe() ("pert(min 0.15, mode 0.35, max
// 1, lambda 4)"); same_quantiles(other), whether quantile() gives the same
// bits for every u (the same parameters, bit for bit; conservative).

// A fixed value.
struct Constant {
  static constexpr std::string_view name = "constant";
  double value = 0;

  static Constant parse(const ParamReader& reader);
  static Constant make(double value);
  double quantile(double) const { return value; }
  void quantiles(const double* u, double* out, std::size_t n) const;
  double cdf(double x) const { return x < value ? 0.0 : 1.0; }
  double mean_value() const { return value; }
  double variance() const { return 0; }
  double support_min() const { return value; }
  double support_max() const { return value; }
  std::string describe() const;
  bool same_quantiles(const Constant& o) const noexcept { return distribution_detail::same_bits({value}, {o.value}); }
};

// Uniform on [min, max], min < max.
struct Uniform {
  static constexpr std::string_view name = "uniform";
  double min = 0, max = 1;

  static Uniform parse(const ParamReader& reader);
  static Uniform make(double min, double max);
  double quantile(double u) const;
  void quantiles(const double* u, double* out, std::size_t n) const;
  double cdf(double x) const;
  double mean_value() const { return min + (max - min) / 2; }
  double variance() const;
  double support_min() const { return min; }
  double support_max() const { return max; }
  std::string describe() const;
  bool same_quantiles(const Uniform& o) const noexcept {
    return distribution_detail::same_bits({min, max}, {o.min, o.max});
  }
};

// Triangular on [min, max] peaking at mode; min <= mode <= max, min < max.
struct Triangular {
  static constexpr std::string_view name = "triangular";
  double min = 0, mode = 0, max = 1;

  static Triangular parse(const ParamReader& reader);
  static Triangular make(double min, double mode, double max);
  double quantile(double u) const;
  void quantiles(const double* u, double* out, std::size_t n) const;
  double cdf(double x) const;
  double mean_value() const { return min + ((mode - min) + (max - min)) / 3; }
  double variance() const;
  double support_min() const { return min; }
  double support_max() const { return max; }
  std::string describe() const;
  bool same_quantiles(const Triangular& o) const noexcept {
    return distribution_detail::same_bits({min, mode, max}, {o.min, o.mode, o.max});
  }
};

// A standard Beta(alpha, beta) scaled to [min, max]: what Pert and Beta
// share. Quantiles from the shape's table (beta_table.h) where it has one,
// else the exact inverse.
struct ScaledBeta {
  double min = 0, max = 1, alpha = 1, beta = 1;
  // The tabulated quantile of the standard Beta(alpha, beta), shared by every
  // copy and every distribution of the same shape; null where the exact
  // inverse is used.
  std::shared_ptr<const BetaTable> table;

  double quantile(double u) const;
  void quantiles(const double* u, double* out, std::size_t n) const;
  double cdf(double x) const;
  double mean_value() const { return min + (max - min) * (alpha / (alpha + beta)); }
  double variance() const;
  double support_min() const { return min; }
  double support_max() const { return max; }
  bool same_shape(const ScaledBeta& o) const noexcept {
    return distribution_detail::same_bits({min, max, alpha, beta}, {o.min, o.max, o.alpha, o.beta});
  }
};

// PERT: beta on [min,max] with alpha = 1 + lambda (mode-min)/(max-min),
// beta = 1 + lambda (max-mode)/(max-min); lambda > 0, default 4.
struct Pert : ScaledBeta {
  static constexpr std::string_view name = "pert";
  double mode = 0, lambda = 4;

  static Pert parse(const ParamReader& reader);
  static Pert make(double min, double mode, double max, double lambda = 4.0);
  std::string describe() const;
  bool same_quantiles(const Pert& o) const noexcept {
    return same_shape(o) && distribution_detail::same_bits({mode, lambda}, {o.mode, o.lambda});
  }
};

// Normal, truncated to [min,max] only when those are finite; sd > 0, min <
// max, and [min,max] must hold at least 1e-280 of the normal's probability.
struct Normal {
  static constexpr std::string_view name = "normal";
  double mean = 0, sd = 1;
  double min = -distribution_detail::inf, max = distribution_detail::inf;
  // Tail probabilities of a truncation (see Truncation in distribution.cpp);
  // 0 when untruncated.
  double t_lo = 0, t_hi = 0;

  static Normal parse(const ParamReader& reader);
  static Normal make(double mean, double sd, double min = -distribution_detail::inf,
                     double max = distribution_detail::inf);
  bool truncated() const { return std::isfinite(min) || std::isfinite(max); }
  double quantile(double u) const;
  void quantiles(const double* u, double* out, std::size_t n) const;
  double cdf(double x) const;
  double mean_value() const;
  double variance() const;
  double support_min() const { return min; }
  double support_max() const { return max; }
  std::string describe() const;
  bool same_quantiles(const Normal& o) const noexcept {
    return distribution_detail::same_bits({mean, sd, min, max, t_lo, t_hi},
                                          {o.mean, o.sd, o.min, o.max, o.t_lo, o.t_hi});
  }
};

// Lognormal: log X ~ Normal(mu, sigma), sigma > 0; given by mu and sigma, by
// the mean and sd of X, or by two percentiles (kept for describe()).
struct Lognormal {
  static constexpr std::string_view name = "lognormal";
  enum class Given { mu_sigma, mean_sd, percentiles };
  double mu = 0, sigma = 1;
  Given given = Given::mu_sigma;
  double given_mean = 0, given_sd = 0;                    // Given::mean_sd
  double p_lo = 0, x_lo = 0, p_hi = 0, x_hi = 0;          // Given::percentiles

  static Lognormal parse(const ParamReader& reader);
  static Lognormal make(double mu, double sigma);
  // By the mean and sd of X itself (mean > 0, sd > 0).
  static Lognormal from_mean_sd(double mean, double sd);
  // By two percentiles: P(X <= x_lo) = p_lo, P(X <= x_hi) = p_hi, with
  // 0 < p_lo < p_hi < 1 and 0 < x_lo < x_hi (e.g. p5 and p95).
  static Lognormal from_percentiles(double p_lo, double x_lo, double p_hi, double x_hi);
  double quantile(double u) const { return std::exp(mu + sigma * normal_quantile(u)); }
  void quantiles(const double* u, double* out, std::size_t n) const;
  double cdf(double x) const { return x <= 0 ? 0.0 : normal_cdf((std::log(x) - mu) / sigma); }
  double mean_value() const { return std::exp(mu + sigma * sigma / 2); }
  double variance() const;
  double support_min() const { return 0; }
  double support_max() const { return distribution_detail::inf; }
  std::string describe() const;
  bool same_quantiles(const Lognormal& o) const noexcept {
    return given == o.given &&
           distribution_detail::same_bits({mu, sigma, given_mean, given_sd, p_lo, x_lo, p_hi, x_hi},
                                          {o.mu, o.sigma, o.given_mean, o.given_sd, o.p_lo, o.x_lo, o.p_hi, o.x_hi});
  }
};

// Poisson counts, 0 <= mean <= 1e15.
struct Poisson {
  static constexpr std::string_view name = "poisson";
  double mean = 0;

  static Poisson parse(const ParamReader& reader);
  static Poisson make(double mean);
  double quantile(double u) const { return poisson_quantile(mean, u); }
  double cdf(double x) const { return poisson_cdf(mean, x); }
  double mean_value() const { return mean; }
  double variance() const { return mean; }
  double support_min() const { return 0; }
  double support_max() const { return mean == 0 ? 0.0 : distribution_detail::inf; }
  std::string describe() const;
  bool same_quantiles(const Poisson& o) const noexcept { return distribution_detail::same_bits({mean}, {o.mean}); }
};

// 1 with probability p, else 0; 0 <= p <= 1.
struct Bernoulli {
  static constexpr std::string_view name = "bernoulli";
  double p = 0, q = 1;  // q = 1 - p

  static Bernoulli parse(const ParamReader& reader);
  static Bernoulli make(double p);
  double quantile(double u) const { return u > q ? 1.0 : 0.0; }
  double cdf(double x) const { return x < 0 ? 0.0 : x < 1 ? q : 1.0; }
  double mean_value() const { return p; }
  double variance() const { return p * q; }
  double support_min() const { return p == 1 ? 1.0 : 0.0; }
  double support_max() const { return p == 0 ? 0.0 : 1.0; }
  std::string describe() const;
  bool same_quantiles(const Bernoulli& o) const noexcept { return distribution_detail::same_bits({p, q}, {o.p, o.q}); }
};

// Beta(alpha, beta) scaled to [min,max]; alpha, beta > 0, min < max.
struct Beta : ScaledBeta {
  static constexpr std::string_view name = "beta";

  static Beta parse(const ParamReader& reader);
  static Beta make(double alpha, double beta, double min = 0.0, double max = 1.0);
  std::string describe() const;
  bool same_quantiles(const Beta& o) const noexcept { return same_shape(o); }
};

// Gamma(shape, scale), shape, scale > 0; or by its mean and sd (kept for
// describe()).
struct Gamma {
  static constexpr std::string_view name = "gamma";
  double shape = 1, scale = 1;
  double given_mean = 0, given_sd = 0;  // when given by mean and sd, else 0

  static Gamma parse(const ParamReader& reader);
  static Gamma make(double shape, double scale);
  static Gamma from_mean_sd(double mean, double sd);
  double quantile(double u) const { return gamma_quantile(shape, u) * scale; }
  double cdf(double x) const { return x <= 0 ? 0.0 : gamma_cdf(shape, x / scale); }
  double mean_value() const { return shape * scale; }
  double variance() const { return shape * scale * scale; }
  double support_min() const { return 0; }
  double support_max() const { return distribution_detail::inf; }
  std::string describe() const;
  bool same_quantiles(const Gamma& o) const noexcept {
    return distribution_detail::same_bits({shape, scale, given_mean, given_sd},
                                          {o.shape, o.scale, o.given_mean, o.given_sd});
  }
};

// Discrete: values[i] with probability weights[i] / sum(weights); weights
// >= 0 with a positive sum, sizes equal and non-zero, values finite. Equal
// values are merged and values of weight 0 dropped (they are not in the
// support); describe() lists the values sorted with probabilities.
struct Discrete {
  static constexpr std::string_view name = "discrete";
  // Sorted ascending and distinct, each with positive probability;
  // cumulative[i] = P(X <= values[i]), the last == 1.
  std::vector<double> values{0.0}, cumulative{1.0};

  static Discrete parse(const ParamReader& reader);
  static Discrete make(std::vector<double> values, std::vector<double> weights);
  // The smallest value whose CDF >= u.
  double quantile(double u) const;
  double cdf(double x) const;
  double mean_value() const;
  double variance() const;
  double support_min() const { return values.front(); }
  double support_max() const { return values.back(); }
  std::string describe() const;
  bool same_quantiles(const Discrete& o) const noexcept {
    return distribution_detail::same_bits(values, o.values) && distribution_detail::same_bits(cumulative, o.cumulative);
  }
};

// ---------------------------------------------------------------------------
// A validated distribution of any kind. Cheap to copy (discrete keeps two
// small vectors).
class Distribution {
 public:
  // Every kind, in the order "expected one of:" lists them.
  using Kinds =
      std::variant<Constant, Uniform, Triangular, Pert, Normal, Lognormal, Poisson, Bernoulli, Beta, Gamma, Discrete>;

  static constexpr double inf = distribution_detail::inf;

  Distribution() = default;  // constant 0
  // A kind made by its make() (validated).
  template <class K, class = std::enable_if_t<!std::is_same_v<std::decay_t<K>, Distribution>>>
  Distribution(K kind) : kind_(std::move(kind)) {}  // NOLINT: implicit, a kind is a distribution

  // The factories the rest of the program calls (each kind's make()).
  static Distribution constant(double value) { return Constant::make(value); }
  static Distribution uniform(double min, double max) { return Uniform::make(min, max); }
  static Distribution triangular(double min, double mode, double max) { return Triangular::make(min, mode, max); }
  static Distribution pert(double min, double mode, double max, double lambda = 4.0) {
    return Pert::make(min, mode, max, lambda);
  }
  static Distribution normal(double mean, double sd, double min = -inf, double max = inf) {
    return Normal::make(mean, sd, min, max);
  }
  static Distribution lognormal_mu_sigma(double mu, double sigma) { return Lognormal::make(mu, sigma); }
  static Distribution lognormal_mean_sd(double mean, double sd) { return Lognormal::from_mean_sd(mean, sd); }
  static Distribution lognormal_percentiles(double p_lo, double x_lo, double p_hi, double x_hi) {
    return Lognormal::from_percentiles(p_lo, x_lo, p_hi, x_hi);
  }
  static Distribution poisson(double mean) { return Poisson::make(mean); }
  static Distribution bernoulli(double p) { return Bernoulli::make(p); }
  static Distribution beta(double alpha, double beta, double min = 0.0, double max = 1.0) {
    return Beta::make(alpha, beta, min, max);
  }
  static Distribution gamma(double shape, double scale) { return Gamma::make(shape, scale); }
  static Distribution gamma_mean_sd(double mean, double sd) { return Gamma::from_mean_sd(mean, sd); }
  static Distribution discrete(std::vector<double> values, std::vector<double> weights) {
    return Discrete::make(std::move(values), std::move(weights));
  }

  const Kinds& kind() const noexcept { return kind_; }
  template <class K>
  bool is() const noexcept {
    return std::holds_alternative<K>(kind_);
  }
  template <class K>
  const K* get_if() const noexcept {
    return std::get_if<K>(&kind_);
  }
  bool is_constant() const noexcept { return is<Constant>(); }
  // The kind's name as written in scenario files ("pert", "lognormal", ...).
  std::string_view kind_name() const noexcept {
    return std::visit([](const auto& k) { return std::decay_t<decltype(k)>::name; }, kind_);
  }
  // (alpha, beta) of a beta-shaped kind (Pert, Beta), else none.
  std::optional<std::pair<double, double>> beta_shape() const noexcept;

  // Inverse CDF. u in (0,1); for discrete kinds the smallest x with CDF(x) >= u.
  // Finite for every u in (0,1). Outside: u <= 0 gives support_min(), u >= 1
  // support_max(), NaN gives NaN. For gamma, beta and pert, u below the
  // smallest normal double (2.2e-308) is taken as that value.
  double quantile(double u) const {
    return std::visit([u](const auto& k) { return distribution_detail::point_quantile(k, u); }, kind_);
  }
  // out[i] = quantile(u[i]), the same bits; the block form the engine calls
  // (faster: one dispatch per block). u and out must not overlap.
  void quantiles(const double* u, double* out, std::size_t n) const;
  double cdf(double x) const;
  double mean() const {
    return std::visit([](const auto& k) { return k.mean_value(); }, kind_);
  }
  double variance() const {
    return std::visit([](const auto& k) { return k.variance(); }, kind_);
  }
  // Smallest and largest values the distribution can take (may be +-inf).
  double support_min() const {
    return std::visit([](const auto& k) { return k.support_min(); }, kind_);
  }
  double support_max() const {
    return std::visit([](const auto& k) { return k.support_max(); }, kind_);
  }
  // "pert(min 0.15, mode 0.35, max 1, lambda 4)": for messages and reports.
  std::string describe() const {
    return std::visit([](const auto& k) { return k.describe(); }, kind_);
  }
  // Whether quantile() gives the same bits as other's for every u: the same
  // kind with the same parameters, bit for bit (conservative: a lognormal
  // given by mean and sd and the same one given by mu and sigma differ).
  bool same_quantiles(const Distribution& other) const noexcept;

 private:
  Kinds kind_;
};

// The names of every kind, in the order of Distribution::Kinds.
const std::vector<std::string_view>& distribution_kind_names();
// The distribution of kind `kind` (one of distribution_kind_names()) read by
// its parse(); throws DistributionError for invalid parameters and whatever
// the reader throws for malformed ones.
Distribution parse_distribution(std::string_view kind, const ParamReader& reader);

}  // namespace switchcost::sim

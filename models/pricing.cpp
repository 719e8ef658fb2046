#include "models/pricing.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "models/fastmath.h"

namespace switchcost::models {

namespace {
constexpr InputSpec<PricingInputs> pricing_table[] = {
    // key, unit, min, max, required, fallback, level, column
    {"discount_rate_per_year", "[-/year]", 0, 1, true, 0, InputLevel::market, &PricingInputs::discount_rate_per_year},
    {"licences.share_passed_to_clients", "[-]", 0, 1, true, 0, InputLevel::msp,
     &PricingInputs::share_passed_to_clients},
    {"licences.overlap_months", "[months]", 0, 120, false, 0, InputLevel::msp, &PricingInputs::overlap_months},
};

using C = CompetitorPrices;
constexpr InputLevel competitor = InputLevel::competitor;
constexpr InputSpec<C> competitor_table[] = {
    {"price_per_endpoint_month", "[USD/(endpoint month)]", 0, unbounded, true, 0, competitor,
     &C::price_per_endpoint_month},
    {"setup_fee_per_endpoint", "[USD/endpoint]", 0, unbounded, false, 0, competitor, &C::setup_fee_per_endpoint},
    {"setup_fee_per_msp", "[USD]", 0, unbounded, false, 0, competitor, &C::setup_fee_per_msp},
    {"annual_price_escalation", "[-/year]", -0.5, 1, false, 0, competitor, &C::annual_price_escalation},
    {"promo_months", "[months]", 0, 120, false, 0, competitor, &C::promo_months},
    {"promo_discount", "[-]", 0, 1, false, 0, competitor, &C::promo_discount},
    {"minimum_term_months", "[months]", 0, 120, false, 0, competitor, &C::minimum_term_months},
};
}  // namespace

InputTable<PricingInputs> pricing_inputs() noexcept { return pricing_table; }
InputTable<CompetitorPrices> competitor_inputs() noexcept { return competitor_table; }

void PricingInputs::resize(Eigen::Index n) {
  endpoints.resize(n);
  new_price_per_endpoint_month.resize(n);
  old_price_per_endpoint_month.resize(n);
  new_annual_escalation.resize(n);
  old_annual_escalation.resize(n);
  promo_months.resize(n);
  promo_discount.resize(n);
  new_setup_fee_per_endpoint.resize(n);
  new_setup_fee_per_msp.resize(n);
  share_passed_to_clients.resize(n);
  discount_rate_per_year.resize(n);
  overlap_months.resize(n);
  new_minimum_term_months.resize(n);
}

void PricingResult::resize(Eigen::Index n) {
  price_delta_pv.resize(n);
  cost.resize(n);
}

void PricingResult::Scratch::resize(Eigen::Index n) {
  for (Column* c : {&units_per_day, &p_two_p, &no_learning, &overlap_days, &term_days, &months, &new_price})
    c->resize(n);
}

double volume_discount(const std::vector<VolumeTier>& tiers, double endpoints) noexcept {
  // The qualifying tier with the largest min_endpoints; of tiers with equal
  // min_endpoints the larger discount, so the order of the list never matters.
  const VolumeTier* best = nullptr;
  for (const VolumeTier& tier : tiers) {
    if (!(tier.min_endpoints <= endpoints)) continue;
    if (!best || tier.min_endpoints > best->min_endpoints ||
        (tier.min_endpoints == best->min_endpoints && tier.discount > best->discount))
      best = &tier;
  }
  return best ? best->discount : 0.0;
}

namespace {

// Present-value sums of one trial, per USD of monthly list price and per endpoint.
struct MonthSums {
  double new_factor = 0.0;  // sum_m v^m (1 + g_new)^y(m) (1 - promo_discount f_promo(m))
  double old_factor = 0.0;  // sum_m v^m (1 + g_old)^y(m)
};

// sum_{j=0}^{count-1} v^j with log_v = log(v) <= 0, without cancellation:
// (1 - v^count) / (1 - v) = expm1(count log_v) / expm1(log_v).
// expm1_log_v = expm1(log_v), which a trial's sums share.
double geometric_sum(int count, double log_v, double expm1_log_v) noexcept {
  if (count <= 0) return 0.0;
  if (log_v > -1e-18) return double(count);  // v = 1 to double precision (error ~ count^2 |log_v| / 2)
  return std::expm1(double(count) * log_v) / expm1_log_v;
}

constexpr int year_months = int(months_per_year);

// What month_sums needs of the discount rate r: log_v = log(v) for the
// monthly factor v = (1 + r)^(-1/12), v itself, and for k = 0 .. 12 the sums
// geometric_sum(k, log_v) and the powers v^k = exp(k log_v). Direct computes
// each when first asked and keeps it for the trial's later years (the same
// call on the same argument, so the same bits: 9 calls to libm a trial
// instead of 15 over a 3-year horizon with a promotion, where the rate is
// drawn per trial; BM_Model_Pricing_RatePerTrial 297 -> 249 us, 2026-12-03);
// Table once for a whole block whose trials share r (a constant discount
// rate), with the same expressions, so both give the same bits.
class DirectDiscount {
 public:
  explicit DirectDiscount(double rate) noexcept
      : rate_(rate),
        log_v_(-std::log1p(rate) / months_per_year),
        v_(std::exp(log_v_)),
        expm1_log_v_(std::expm1(log_v_)) {
    sums_.fill(unknown);
    powers_.fill(unknown);
  }
  double rate() const noexcept { return rate_; }
  double v() const noexcept { return v_; }
  double sum(int count) const noexcept {  // count <= 12
    if (count <= 0) return 0.0;
    double& s = sums_[std::size_t(count)];
    if (s == unknown) s = geometric_sum(count, log_v_, expm1_log_v_);
    return s;
  }
  double power(int k) const noexcept {  // 0 <= k <= 12
    double& p = powers_[std::size_t(k)];
    if (p == unknown) p = std::exp(double(k) * log_v_);
    return p;
  }

 private:
  static constexpr double unknown = -1.0;  // no sum or power is negative
  double rate_, log_v_, v_, expm1_log_v_;
  mutable std::array<double, year_months + 1> sums_, powers_;
};

class TableDiscount {
 public:
  explicit TableDiscount(double rate) noexcept : rate_(rate) {
    const DirectDiscount d(rate);
    v_ = d.v();
    for (int k = 0; k <= year_months; ++k) {
      sums_[std::size_t(k)] = d.sum(k);
      powers_[std::size_t(k)] = d.power(k);
    }
  }
  double rate() const noexcept { return rate_; }
  double v() const noexcept { return v_; }
  double sum(int count) const noexcept { return count <= 0 ? 0.0 : sums_[std::size_t(count)]; }
  double power(int k) const noexcept { return powers_[std::size_t(k)]; }

 private:
  double rate_, v_ = 1.0;
  std::array<double, year_months + 1> sums_{}, powers_{};
};

// The promotion as months: months 0 .. full - 1 have f_promo = 1, month
// full has f_promo = fraction, later months 0.
struct PromoMonths {
  int full = 0;
  double fraction = 0.0;
};
PromoMonths promo_months_of(int horizon, double promo_months) noexcept {
  PromoMonths promo;
  if (promo_months > 0.0) {
    const double whole = std::floor(promo_months);
    if (whole >= double(horizon)) {
      promo.full = horizon;
    } else {
      promo.full = int(whole);
      promo.fraction = promo_months - whole;
    }
  }
  return promo;
}

// One year's sums, months first .. first + count - 1, each month's weight
// v^(m - first) (with the promotion for the new licence): month_sums
// multiplies them by (1 + g)^y v^(12 y). They depend on the discount rate
// and the promotion only.
template <class Discount>
double new_in_year(const Discount& d, const PromoMonths& promo, double promo_discount, int first,
                   int count) noexcept {  // [months] sum v^(m - first) (1 - promo_discount f_promo(m))
  const int promo_in_year = std::clamp(promo.full - first, 0, count);  // months with f_promo = 1
  double sum = (1.0 - promo_discount) * d.sum(promo_in_year);
  if (promo_in_year < count) {
    // Month promo_in_year of this year: the fractional promo month if it falls here, else full price;
    // then full price to the end of the year.
    const bool fractional_here = promo.full - first >= 0 && promo.full - first < count;
    const double first_factor = 1.0 - promo_discount * (fractional_here ? promo.fraction : 0.0);
    sum += d.power(promo_in_year) * (first_factor + d.v() * d.sum(count - promo_in_year - 1));
  }
  return sum;
}
template <class Discount>
double old_in_year(const Discount& d, int count, double full_year) noexcept {  // [months] sum v^(m - first)
  return count == year_months ? full_year : d.sum(count);
}

template <class Discount>
MonthSums month_sums(int horizon, const Discount& d, double new_escalation, double old_escalation,
                     double promo_months, double promo_discount) noexcept {
  MonthSums s;
  if (horizon <= 0) return s;
  const double discount_rate = d.rate();
  // One year on: prices escalate and money is worth (1 + rate)^-1 = v^12.
  const double new_step = (1.0 + new_escalation) / (1.0 + discount_rate);
  const double old_step = (1.0 + old_escalation) / (1.0 + discount_rate);
  const PromoMonths promo = promo_months_of(horizon, promo_months);
  const double full_year = d.sum(year_months);
  double new_year = 1.0;  // (1 + g_new)^y v^(12 y)
  double old_year = 1.0;  // (1 + g_old)^y v^(12 y)
  for (int first = 0; first < horizon; first += year_months) {
    const int count = std::min(year_months, horizon - first);
    s.new_factor += new_year * new_in_year(d, promo, promo_discount, first, count);
    s.old_factor += old_year * old_in_year(d, count, full_year);
    new_year *= new_step;
    old_year *= old_step;
  }
  return s;
}

// Bitwise the same value in all n > 0 elements: each has the bits of the
// next one (memcmp stops at the first difference).
bool same_bits_throughout(const double* column, std::size_t n) noexcept {
  return std::memcmp(column, column + 1, (n - 1) * sizeof(double)) == 0;
}
bool same_bits_throughout(const Column& column) noexcept {
  return same_bits_throughout(column.data(), std::size_t(column.size()));
}

// price_factors for a block whose trials share the discount rate and the
// promotion: each year's sums once for the block, then per trial only its
// escalations (month_sums' steps and sums, so the same bits). Not inlined:
// inlined, it cost price_factors' per-trial paths instructions
// (docs/performance.md).
[[gnu::noinline]] void shared_promotion_factors(const PriceFactorInputs& in, const TableDiscount& table,
                                                PriceFactors& out) {
  const PromoMonths promo = promo_months_of(in.horizon_months, in.promo_months[0]);
  const double full_year = table.sum(year_months);
  std::vector<std::array<double, 2>> years;  // new_in_year, old_in_year
  for (int first = 0; first < in.horizon_months; first += year_months) {
    const int count = std::min(year_months, in.horizon_months - first);
    years.push_back(
        {new_in_year(table, promo, in.promo_discount[0], first, count), old_in_year(table, count, full_year)});
  }
  for (Eigen::Index i = 0; i < out.new_factor.size(); ++i) {
    // month_sums' loop with the years' sums read from the table.
    const double new_step = (1.0 + in.new_annual_escalation[i]) / (1.0 + table.rate());
    const double old_step = (1.0 + in.old_annual_escalation[i]) / (1.0 + table.rate());
    MonthSums s;
    double new_year = 1.0, old_year = 1.0;
    for (const auto& [new_sum, old_sum] : years) {
      s.new_factor += new_year * new_sum;
      s.old_factor += old_year * old_sum;
      new_year *= new_step;
      old_year *= old_step;
    }
    out.new_factor[i] = s.new_factor;
    out.old_factor[i] = s.old_factor;
    out.monthly_discount[i] = table.v();
  }
}

}  // namespace

void price_factors(const PricingInputs& in, PriceFactors& out) {
  price_factors(PriceFactorInputs{in.discount_rate_per_year, in.new_annual_escalation, in.old_annual_escalation,
                                  in.promo_months, in.promo_discount, in.horizon_months},
                out);
}

void price_factors(const PriceFactorInputs& in, PriceFactors& out) {
  const Eigen::Index n = in.discount_rate_per_year.size();
  out.new_factor.resize(n);
  out.old_factor.resize(n);
  out.monthly_discount.resize(n);
  auto each_trial = [&](auto&& discount_of) {
    for (Eigen::Index i = 0; i < n; ++i) {
      const auto& discount = discount_of(i);
      const MonthSums s = month_sums(in.horizon_months, discount, in.new_annual_escalation[i],
                                     in.old_annual_escalation[i], in.promo_months[i], in.promo_discount[i]);
      out.new_factor[i] = s.new_factor;
      out.old_factor[i] = s.old_factor;
      out.monthly_discount[i] = discount.v();
    }
  };
  const auto& rate = in.discount_rate_per_year;
  if (n > 0 && (rate == rate[0]).all()) {
    const TableDiscount table(rate[0]);
    if (in.horizon_months > 0 && same_bits_throughout(in.promo_months) && same_bits_throughout(in.promo_discount))
      return shared_promotion_factors(in, table, out);
    each_trial([&](Eigen::Index) -> const TableDiscount& { return table; });
  } else {
    each_trial([&](Eigen::Index i) { return DirectDiscount(rate[i]); });
  }
}

void competitor_pricing(const PricingInputs& in, const PriceFactors& factors, PricingResult& out) {
  competitor_pricing(PricingColumns{in.endpoints, in.new_price_per_endpoint_month, in.old_price_per_endpoint_month,
                                    in.new_setup_fee_per_endpoint, in.new_setup_fee_per_msp, in.share_passed_to_clients,
                                    in.volume_tiers},
                     factors, out);
}

void competitor_pricing(const PricingColumns& in, const PriceFactors& factors, PricingResult& out) {
  const Eigen::Index n = in.endpoints.size();
  out.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double e = in.endpoints[i];
    const double new_pv =
        in.new_price_per_endpoint_month[i] * (1.0 - volume_discount(in.volume_tiers, e)) * factors.new_factor[i];
    const double old_pv = in.old_price_per_endpoint_month[i] * factors.old_factor[i];
    out.price_delta_pv[i] = e * (new_pv - old_pv);
  }
  out.cost = (1.0 - in.share_passed_to_clients) * out.price_delta_pv + in.new_setup_fee_per_endpoint * in.endpoints +
             in.new_setup_fee_per_msp;
}

namespace {

// Per-trial constants of the schedule n(t) (models/labor.h) and of the month
// loop, as columns (PricingResult::Scratch).
struct ScheduleColumns {
  const double* endpoints;
  const double* setup_days;
  const double* duration_days;
  const double* units_per_day;  // first-endpoint equivalents of endpoint work per day after setup
  const double* p;              // 1 + log2(learning_rate)
  const double* p_two_p;        // p 2^p
  const double* no_learning;    // 1 at learning_rate 1 (N(s) = s), else 0
  const double* delay_days;
  const double* overlap_days;
  const double* term_days;
  const double* months;         // M, the trial's months with a gap
};

// n(t) for one trial: endpoints_migrated_by's formula with fastmath's log1p
// and expm1 (within a few ulp of it), branch-free so that loops over it
// vectorise, in two steps (chunk_gaps evaluates the curve in a loop of its
// own): s = work_units(..), the first-endpoint equivalents done by day t, and
// N(s) = expm1(log1p(p s 2^p) / p) / 2 for p > 0 (learning_rate >= 0.6 gives
// p >= 0.26); then migrated_by caps it and applies the ends of the schedule.
inline double work_units(double units_per_day, double setup_days, double day) noexcept {
  return std::max(0.0, units_per_day * (day - setup_days));
}
inline double curve_endpoints(double p, double p_two_p, double s) noexcept {
  return 0.5 * fastmath::expm1(fastmath::log1p(p_two_p * s) / p);
}
inline double migrated_by(double e, double setup_days, double duration_days, double no_learning, double day,
                          double s, double curve) noexcept {
  double n = std::min(e, no_learning != 0.0 ? s : curve);
  n = day > setup_days ? n : 0.0;
  n = day >= duration_days ? e : n;
  return e > 0.0 ? n : 0.0;
}

// The market's columns the month sums read, per trial.
struct ScheduleMarket {
  const double* monthly_discount;       // v
  const double* promo_months;           // [months]
  const double* promo_discount;         // [-]
  const double* new_annual_escalation;  // g_new
  const double* old_annual_escalation;  // g_old
};

constexpr std::size_t chunk_trials = 16;  // the trials of a chunk (chunk_gaps)

// Each lane's leading and curve months for both licences, as chunk_gaps'
// month loop found them: over the lane's own months m < M (and m < months,
// the chunk's largest M), with the month's point day(m) = s_m + D (new) or
// s_m - L (old), by the same operations as the curve pass,
//   first = #{m : n = 0 at day(m), i.e. !(day > t_setup) & !(day >= t_end)}
//   count = #{m : not so, and day < t_end}   (the curve months, after them).
// day(m) never decreases with m, so each condition holds on a prefix of the
// months (NaNs included: a comparison with NaN is the same every month), and
// count = max(0, #{m : day < t_end} - first). A loop of comparisons only: a
// closed form checked exactly took more instructions at the few months
// (4.4 on average) the chunks have (docs/performance.md).
inline double point_day(double month, double delay_days, double shift_days) noexcept {
  return month * days_per_month - delay_days + shift_days;  // x - L and x + (-L): the same bits
}
inline bool none_migrated(double day, double setup_days, double duration_days) noexcept {
  return !(day > setup_days) & !(day >= duration_days);  // migrated_by's selects: n = 0
}
SWITCHCOST_SIMD_CLONES void leading_months(const ScheduleColumns& c, int months, double* __restrict new_first,
                                           double* __restrict new_count, double* __restrict old_first,
                                           double* __restrict old_count) noexcept {
  constexpr std::size_t n = chunk_trials;
  const double* __restrict setup = c.setup_days;
  const double* __restrict duration = c.duration_days;
  const double* __restrict delay = c.delay_days;
  const double* __restrict overlap = c.overlap_days;
  const double* __restrict gap_months = c.months;
  std::array<double, chunk_trials> new_end, old_end;
  for (std::size_t i = 0; i < n; ++i) new_first[i] = old_first[i] = new_end[i] = old_end[i] = 0.0;
  for (int m = 0; m < months; ++m) {
    const double month = double(m);
    for (std::size_t i = 0; i < n; ++i) {
      const bool live = month < gap_months[i];
      const double new_day = point_day(month, delay[i], days_per_month);
      const double old_day = point_day(month, delay[i], -overlap[i]);
      new_first[i] += (live & none_migrated(new_day, setup[i], duration[i])) ? 1.0 : 0.0;
      new_end[i] += (live & (new_day < duration[i])) ? 1.0 : 0.0;
      old_first[i] += (live & none_migrated(old_day, setup[i], duration[i])) ? 1.0 : 0.0;
      old_end[i] += (live & (old_day < duration[i])) ? 1.0 : 0.0;
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    new_count[i] = std::max(0.0, new_end[i] - new_first[i]);
    old_count[i] = std::max(0.0, old_end[i] - old_first[i]);
  }
}

// G_new and G_old of a chunk of chunk_trials trials, each over its own months
// m < M (`months` is the chunk's largest M), in three steps (the scheduled
// form in models/pricing.h):
//  * leading_months: each trial's leading months (n = 0 at the month's point:
//    the gap is E) and its curve months after them (0 < n < E possible),
//    per licence, by comparisons only;
//  * the leading months' weighted E, per licence to the chunk's largest count
//    of leading months (not to its largest M), each lane stepping v^m and its
//    year factor to its own first curve month;
//  * then the curve months only, n(t) by migrated_by, each trial from its own
//    first curve month on: the chunk loops to its largest count of curve months
//    (about duration / D + 1, which the start delay does not spread) instead of
//    to its largest M. Later months have n = E: gaps of 0.
// Each trial's terms are those of the plain month loop, added in month order
// (v^m and the year factors by the same products; a lane's steps past its own
// months multiply by 1), so the same bits; and each lane's sums read its own
// columns only, so they do not depend on the other trials of the chunk.
// 16 lanes: two AVX-512 vectors (8 and 32 measured no better:
// docs/performance.md).
SWITCHCOST_SIMD_CLONES void chunk_gaps(const ScheduleColumns& c, const ScheduleMarket& mk, int months,
                                       double* __restrict g_new, double* __restrict g_old) noexcept {
  constexpr std::size_t n = chunk_trials;  // a whole chunk: the loops need no remainder
  const double* __restrict endpoints = c.endpoints;
  const double* __restrict setup = c.setup_days;
  const double* __restrict duration = c.duration_days;
  const double* __restrict rate = c.units_per_day;
  const double* __restrict p = c.p;
  const double* __restrict p_two_p = c.p_two_p;
  const double* __restrict no_learning = c.no_learning;
  const double* __restrict delay = c.delay_days;
  const double* __restrict overlap = c.overlap_days;
  const double* __restrict term = c.term_days;
  const double* __restrict v = mk.monthly_discount;
  const double* __restrict promo_months = mk.promo_months;
  const double* __restrict promo_discount = mk.promo_discount;
  const double* __restrict new_escalation = mk.new_annual_escalation;
  const double* __restrict old_escalation = mk.old_annual_escalation;
  using Lanes = std::array<double, chunk_trials>;
  // Per product: its leading months (n = 0: the gap is E) from month 0 and
  // its curve months after them (leading_months), and v^m, (1 + g)^y(m) and
  // 12 (y(m) + 1) at its first curve month (the leading sums below).
  Lanes new_first, new_count, new_discount, new_factor, new_next_year;
  Lanes old_first, old_count, old_discount, old_factor, old_next_year;
  Lanes sum_new, sum_old;
  leading_months(c, months, new_first.data(), new_count.data(), old_first.data(), old_count.data());
  // The leading months' sums, each product to its chunk's largest count of
  // them: a month m < first adds its weighted E (0 where the new contract's
  // term bills every seat). Each lane steps v^m and its year factor only up
  // to its own first curve month (a step past it multiplies by 1: the same
  // bits), which leaves them there for the curve pass.
  double new_leading = 0.0, old_leading = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    new_leading = std::max(new_leading, new_first[i]);
    old_leading = std::max(old_leading, old_first[i]);
    new_discount[i] = new_factor[i] = old_discount[i] = old_factor[i] = 1.0;
    sum_new[i] = sum_old[i] = 0.0;
  }
  for (int m = 0; m <= int(new_leading); ++m) {
    const double month = double(m);
    if (m > 0 && m % year_months == 0) {
      for (std::size_t i = 0; i < n; ++i) new_factor[i] *= month <= new_first[i] ? 1.0 + new_escalation[i] : 1.0;
    }
    if (m == int(new_leading)) break;  // the year step at the largest first month only
    for (std::size_t i = 0; i < n; ++i) {
      const bool leading = month < new_first[i];
      const double start = month * days_per_month - delay[i];  // s_m
      const double t = term[i];
      const bool committed = (t > 0.0) & (start + days_per_month > 0.0) & (start < t);
      const double gap_new = committed ? 0.0 : endpoints[i];
      const double f_promo = std::clamp(promo_months[i] - month, 0.0, 1.0);
      const double new_term = new_discount[i] * new_factor[i] * (1.0 - promo_discount[i] * f_promo) * gap_new;
      sum_new[i] += leading ? new_term : 0.0;
      new_discount[i] *= leading ? v[i] : 1.0;
    }
  }
  for (int m = 0; m <= int(old_leading); ++m) {
    const double month = double(m);
    if (m > 0 && m % year_months == 0) {
      for (std::size_t i = 0; i < n; ++i) old_factor[i] *= month <= old_first[i] ? 1.0 + old_escalation[i] : 1.0;
    }
    if (m == int(old_leading)) break;
    for (std::size_t i = 0; i < n; ++i) {
      const bool leading = month < old_first[i];
      const double old_term = old_discount[i] * old_factor[i] * endpoints[i];
      sum_old[i] += leading ? old_term : 0.0;
      old_discount[i] *= leading ? v[i] : 1.0;
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    new_next_year[i] = (std::floor(new_first[i] / double(year_months)) + 1.0) * double(year_months);
    old_next_year[i] = (std::floor(old_first[i] / double(year_months)) + 1.0) * double(year_months);
  }
  double new_months = 0.0, old_months = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    new_months = std::max(new_months, new_count[i]);
    old_months = std::max(old_months, old_count[i]);
  }
  // The curve months, a stage of up to stage_months months at a time: the
  // days and work units, then N(s) for all of them in one loop (log1p and
  // expm1 of 16 trials x months, independent of each other, instead of a
  // chain per month), then the terms.
  constexpr int stage_months = 8;
  std::array<Lanes, stage_months> day, work, curve;
  for (int j0 = 0; j0 < int(new_months); j0 += stage_months) {
    const int count = std::min(stage_months, int(new_months) - j0);
    for (int j = 0; j < count; ++j) {
      for (std::size_t i = 0; i < n; ++i) {
        const double start = (new_first[i] + double(j0 + j)) * days_per_month - delay[i];
        day[j][i] = start + days_per_month;
        work[j][i] = work_units(rate[i], setup[i], day[j][i]);
      }
    }
    for (int j = 0; j < count; ++j)
      for (std::size_t i = 0; i < n; ++i) curve[j][i] = curve_endpoints(p[i], p_two_p[i], work[j][i]);
    for (int j = 0; j < count; ++j) {
      for (std::size_t i = 0; i < n; ++i) {
        const double month = new_first[i] + double(j0 + j);
        const double start = month * days_per_month - delay[i];
        const double t = term[i];
        const bool committed = (t > 0.0) & (start + days_per_month > 0.0) & (start < t);
        const double e = endpoints[i];
        const double new_by = migrated_by(e, setup[i], duration[i], no_learning[i], day[j][i], work[j][i], curve[j][i]);
        const double gap_new = committed ? 0.0 : e - new_by;
        const double f_promo = std::clamp(promo_months[i] - month, 0.0, 1.0);
        const double new_term = new_discount[i] * new_factor[i] * (1.0 - promo_discount[i] * f_promo) * gap_new;
        sum_new[i] += double(j0 + j) < new_count[i] ? new_term : 0.0;
        new_discount[i] *= v[i];
        const bool year_end = month + 1.0 == new_next_year[i];
        new_factor[i] *= year_end ? 1.0 + new_escalation[i] : 1.0;
        new_next_year[i] += year_end ? double(year_months) : 0.0;
      }
    }
  }
  for (int j0 = 0; j0 < int(old_months); j0 += stage_months) {
    const int count = std::min(stage_months, int(old_months) - j0);
    for (int j = 0; j < count; ++j) {
      for (std::size_t i = 0; i < n; ++i) {
        const double start = (old_first[i] + double(j0 + j)) * days_per_month - delay[i];
        day[j][i] = start - overlap[i];
        work[j][i] = work_units(rate[i], setup[i], day[j][i]);
      }
    }
    for (int j = 0; j < count; ++j)
      for (std::size_t i = 0; i < n; ++i) curve[j][i] = curve_endpoints(p[i], p_two_p[i], work[j][i]);
    for (int j = 0; j < count; ++j) {
      for (std::size_t i = 0; i < n; ++i) {
        const double month = old_first[i] + double(j0 + j);
        const double e = endpoints[i];
        const double old_by = migrated_by(e, setup[i], duration[i], no_learning[i], day[j][i], work[j][i], curve[j][i]);
        const double old_term = old_discount[i] * old_factor[i] * (e - old_by);
        sum_old[i] += double(j0 + j) < old_count[i] ? old_term : 0.0;
        old_discount[i] *= v[i];
        const bool year_end = month + 1.0 == old_next_year[i];
        old_factor[i] *= year_end ? 1.0 + old_escalation[i] : 1.0;
        old_next_year[i] += year_end ? double(year_months) : 0.0;
      }
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    g_new[i] = sum_new[i];
    g_old[i] = sum_old[i];
  }
}

// The key group_by_work sorts on: an estimate of a trial's work in
// chunk_gaps, (curve months of the new licence, of the old, M), each capped,
// from real arithmetic (it may be off by a month: it only groups).
constexpr int key_count_cap = 7, key_months_cap = 63;
constexpr std::size_t key_values = (key_count_cap + 1) * (key_count_cap + 1) * (key_months_cap + 1);
SWITCHCOST_SIMD_CLONES void work_keys(const double* __restrict delay, const double* __restrict overlap,
                                      const double* __restrict setup, const double* __restrict duration,
                                      const double* __restrict months, std::uint32_t* __restrict key,
                                      std::size_t n) noexcept {
  // x in [0, cap] as an int; floor(x) as an int, by truncation, in [-64, 4096]
  // (NaN: 0 and 4096).
  auto capped = [](double x, int cap) { return x >= double(cap) ? cap : x > 0.0 ? int(x) : 0; };
  auto floor_of = [](double x) { return x < -63.0 ? -64 : x < 4096.0 ? int(x + 64.0) - 64 : 4096; };
  constexpr double per_day = 1.0 / days_per_month;
  // About (duration - setup) / D + 1 months: the integers m in
  // ((setup - offset) / D, (duration - offset) / D) with 0 <= m < M, for a
  // licence whose month m has its point at m D + offset.
  auto curve_months = [&](double offset, double setup_days, double duration_days, int gap_months) {
    const int first = std::max(floor_of((setup_days - offset) * per_day) + 1, 0);
    const int end = std::min(-floor_of((offset - duration_days) * per_day), gap_months);
    return std::clamp(end - first, 0, key_count_cap);
  };
  for (std::size_t i = 0; i < n; ++i) {
    const int m = capped(months[i], key_months_cap);
    const int new_count = curve_months(days_per_month - delay[i], setup[i], duration[i], m);
    const int old_count = curve_months(-delay[i] - overlap[i], setup[i], duration[i], m);
    key[i] = std::uint32_t((new_count * (key_count_cap + 1) + old_count) * (key_months_cap + 1) + m);
  }
}

// The trials of a block in the order chunk_gaps takes them: grouped by their
// work_keys, so that a chunk's loops (to its largest M and its largest counts
// of curve months) run little past each of its trials' own. A trial's sums do
// not depend on its chunk-mates (chunk_gaps), so the order changes no bits.
// A counting sort: O(n), and stable, so the order is a function of the inputs.
void group_by_work(const Column& delay_days, const Column& overlap_days, const Column& setup_days,
                   const Column& duration_days, const Column& months, std::vector<std::uint32_t>& key,
                   std::vector<std::uint32_t>& bucket, std::vector<std::uint32_t>& order) {
  const std::size_t n = std::size_t(months.size());
  key.resize(n);
  work_keys(delay_days.data(), overlap_days.data(), setup_days.data(), duration_days.data(), months.data(),
            key.data(), n);
  // Buckets only from the block's smallest key to its largest (of the
  // 4,096 possible): the counts and their prefix sums cover that range.
  std::uint32_t low = std::uint32_t(key_values), high = 0;
  for (std::size_t i = 0; i < n; ++i) {
    low = std::min(low, key[i]);
    high = std::max(high, key[i]);
  }
  order.resize(n);
  if (n == 0) return;
  const std::size_t range = std::size_t(high - low) + 1;
  bucket.assign(range + 1, 0);
  for (std::size_t i = 0; i < n; ++i) ++bucket[key[i] - low + 1];
  for (std::size_t b = 1; b <= range; ++b) bucket[b] += bucket[b - 1];  // bucket[k - low]: key k's first place
  for (std::size_t i = 0; i < n; ++i) order[bucket[key[i] - low]++] = std::uint32_t(i);
}

// One chunk's columns gathered from the block's (in group_by_work's order)
// into lanes of their own, and its two sums before they are scattered back.
struct ChunkLanes {
  using Lanes = std::array<double, chunk_trials>;
  static constexpr std::size_t count = 16;  // the columns of ScheduleColumns, then of ScheduleMarket
  static constexpr std::size_t months_column = 10;  // ScheduleColumns::months, M
  std::array<Lanes, count> column;
  Lanes gap_new, gap_old;

  static std::array<const double*, count> sources(const ScheduleColumns& c, const ScheduleMarket& mk) noexcept {
    return {c.endpoints,      c.setup_days,        c.duration_days,       c.units_per_day,
            c.p,              c.p_two_p,           c.no_learning,         c.delay_days,
            c.overlap_days,   c.term_days,         c.months,              mk.monthly_discount,
            mk.promo_months,  mk.promo_discount,   mk.new_annual_escalation, mk.old_annual_escalation};
  }
  ScheduleColumns columns() const noexcept {
    return {column[0].data(), column[1].data(), column[2].data(), column[3].data(),
            column[4].data(), column[5].data(), column[6].data(), column[7].data(),
            column[8].data(), column[9].data(), column[months_column].data()};
  }
  ScheduleMarket market() const noexcept {
    return {column[11].data(), column[12].data(), column[13].data(), column[14].data(), column[15].data()};
  }
};

// The columns of a block that differ between its trials (by their bits):
// only those are gathered per chunk; a column the same for the whole block
// (a market input drawn once, an MSP's constant) fills its lanes once per
// block. The same bits either way: every lane holds its trial's value.
struct VaryingColumns {
  std::array<std::uint8_t, ChunkLanes::count> index{};
  std::size_t count = 0;
};
VaryingColumns fill_constant_lanes(const std::array<const double*, ChunkLanes::count>& source, std::size_t n,
                                   ChunkLanes& lanes) noexcept {
  VaryingColumns varying;
  for (std::size_t c = 0; c < ChunkLanes::count; ++c) {
    const double* column = source[c];
    if (!same_bits_throughout(column, n))
      varying.index[varying.count++] = std::uint8_t(c);
    else
      lanes.column[c].fill(column[0]);
  }
  return varying;
}

// lanes.column[c][k] = source[c][trials[k]], k < chunk_trials, for the
// varying columns c: a column at a time, so that the loads vectorise as
// gathers where the CPU has them.
SWITCHCOST_SIMD_CLONES void gather_chunk(const std::array<const double*, ChunkLanes::count>& source,
                                         const VaryingColumns& varying, const std::uint32_t* __restrict trials,
                                         ChunkLanes& lanes) noexcept {
  for (std::size_t v = 0; v < varying.count; ++v) {
    const std::size_t c = varying.index[v];
    const double* __restrict from = source[c];
    double* __restrict to = lanes.column[c].data();
    for (std::size_t k = 0; k < chunk_trials; ++k) to[k] = from[trials[k]];
  }
}

// The inputs of schedule_constants, per trial.
struct ScheduleInputs {
  const double* learning_exponent;         // p
  const double* half_power;                // (1/2)^p
  const double* hours;                     // [h]
  const double* setup_hours;               // [h]
  const double* endpoint_hours;            // [h]
  const double* capacity_hours_per_week;   // [h/week]
  const double* first_endpoint_hours;      // [h]
  const double* overlap_months;            // [months]
  const double* new_minimum_term_months;   // [months]
};
// The curve's constants from the labor model, in one pass over the trials:
// p 2^p = p / (1/2)^p; no learning (N(s) = s) exactly where p = 1 (b = 0);
// the work units per day, the endpoint share of the hours after setup
// times the capacity per day over the first endpoint's hours (0 where no
// hours follow setup); the overlap and the minimum term in days.
SWITCHCOST_SIMD_CLONES void schedule_constants(const ScheduleInputs& in, double* __restrict p_two_p,
                                               double* __restrict no_learning, double* __restrict units_per_day,
                                               double* __restrict overlap_days, double* __restrict term_days,
                                               std::size_t n) noexcept {
  const double* __restrict p = in.learning_exponent;
  const double* __restrict half_power = in.half_power;
  const double* __restrict hours = in.hours;
  const double* __restrict setup_hours = in.setup_hours;
  const double* __restrict endpoint_hours = in.endpoint_hours;
  const double* __restrict capacity = in.capacity_hours_per_week;
  const double* __restrict first_hours = in.first_endpoint_hours;
  const double* __restrict overlap = in.overlap_months;
  const double* __restrict term = in.new_minimum_term_months;
  for (std::size_t i = 0; i < n; ++i) {
    p_two_p[i] = p[i] / half_power[i];
    no_learning[i] = p[i] == 1.0 ? 1.0 : 0.0;
    const double other_hours = hours[i] - setup_hours[i];
    const double share = other_hours > 0.0 ? endpoint_hours[i] / other_hours : 0.0;
    units_per_day[i] = share * capacity[i] / days_per_week / first_hours[i];
    overlap_days[i] = overlap[i] * days_per_month;
    term_days[i] = term[i] * days_per_month;
  }
}

}  // namespace

void competitor_pricing(const PricingColumns& in, const PriceFactors& factors, const PriceFactorInputs& market,
                        const LicenceSchedule& schedule, PricingResult& out) {
  const Eigen::Index n = in.endpoints.size();
  out.resize(n);
  auto& x = out.scratch;
  x.resize(n);
  const LaborInputs& li = schedule.labor;
  const LaborResult& lo = schedule.labor_result;
  schedule_constants({lo.learning_exponent.data(), lo.half_power.data(), lo.hours.data(), li.setup_hours.data(),
                      lo.endpoint_hours.data(), li.capacity_hours_per_week.data(), li.first_endpoint_hours.data(),
                      schedule.overlap_months.data(), schedule.new_minimum_term_months.data()},
                     x.p_two_p.data(), x.no_learning.data(), x.units_per_day.data(), x.overlap_days.data(),
                     x.term_days.data(), std::size_t(n));
  // M_i = min(H, ceil((d + L + duration_days) / D)): trial i's months with a
  // gap. The months run in chunks of trials grouped by their work
  // (group_by_work, chunk_gaps), each trial over its own M_i; n(t) only in
  // the curve months.
  x.months = ((schedule.start_delay_days + x.overlap_days + lo.duration_days) / days_per_month)
                 .ceil()
                 .min(double(market.horizon_months))
                 .max(0.0);
  out.gap_new_pv.resize(n);
  out.gap_old_pv.resize(n);
  group_by_work(schedule.start_delay_days, x.overlap_days, lo.setup_days, lo.duration_days, x.months, x.key,
                x.bucket, x.order);
  // Whole chunks: the last one filled up with copies of the block's last trial
  // (their sums are computed and not kept).
  if (n > 0) x.order.resize((std::size_t(n) + chunk_trials - 1) / chunk_trials * chunk_trials, x.order.back());
  const ScheduleColumns columns{li.endpoints.data(),        lo.setup_days.data(),        lo.duration_days.data(),
                                x.units_per_day.data(),     lo.learning_exponent.data(), x.p_two_p.data(),
                                x.no_learning.data(),       schedule.start_delay_days.data(),
                                x.overlap_days.data(),      x.term_days.data(),          x.months.data()};
  const ScheduleMarket market_columns{factors.monthly_discount.data(), market.promo_months.data(),
                                      market.promo_discount.data(), market.new_annual_escalation.data(),
                                      market.old_annual_escalation.data()};
  const auto sources = ChunkLanes::sources(columns, market_columns);
  ChunkLanes lanes;
  const VaryingColumns varying = n > 0 ? fill_constant_lanes(sources, std::size_t(n), lanes) : VaryingColumns{};
  for (std::size_t first = 0; first < std::size_t(n); first += chunk_trials) {
    const std::size_t len = std::min(chunk_trials, std::size_t(n) - first);
    const std::uint32_t* trials = x.order.data() + first;
    gather_chunk(sources, varying, trials, lanes);
    double gap_months = 0.0;
    // The chunk's largest M from its lanes (the padding lanes copy one of the
    // chunk's own trials, so they change no maximum).
    for (const double months : lanes.column[ChunkLanes::months_column]) gap_months = std::max(gap_months, months);
    chunk_gaps(lanes.columns(), lanes.market(), int(gap_months), lanes.gap_new.data(), lanes.gap_old.data());
    for (std::size_t k = 0; k < len; ++k) {
      out.gap_new_pv[trials[k]] = lanes.gap_new[k];
      out.gap_old_pv[trials[k]] = lanes.gap_old[k];
    }
  }
  // The new licence's price after the volume discount: without tiers the
  // discount is 0 whatever the endpoints, so the expression vectorises.
  if (in.volume_tiers.empty()) {
    x.new_price = in.new_price_per_endpoint_month * (1.0 - volume_discount(in.volume_tiers, 0.0));
  } else {
    for (Eigen::Index i = 0; i < n; ++i)
      x.new_price[i] = in.new_price_per_endpoint_month[i] * (1.0 - volume_discount(in.volume_tiers, in.endpoints[i]));
  }
  const Column& old_price = in.old_price_per_endpoint_month;
  out.price_delta_pv = in.endpoints * (x.new_price * factors.new_factor - old_price * factors.old_factor) -
                       (x.new_price * out.gap_new_pv - old_price * out.gap_old_pv);
  out.cost = (1.0 - in.share_passed_to_clients) * out.price_delta_pv + in.new_setup_fee_per_endpoint * in.endpoints +
             in.new_setup_fee_per_msp;
}

void competitor_pricing(const PricingInputs& in, const LaborInputs& labor, const LaborResult& labor_result,
                        const Column& start_delay_days, PricingResult& out) {
  PriceFactors factors;
  const PriceFactorInputs market{in.discount_rate_per_year, in.new_annual_escalation, in.old_annual_escalation,
                                 in.promo_months, in.promo_discount, in.horizon_months};
  price_factors(market, factors);
  competitor_pricing(PricingColumns{in.endpoints, in.new_price_per_endpoint_month, in.old_price_per_endpoint_month,
                                    in.new_setup_fee_per_endpoint, in.new_setup_fee_per_msp, in.share_passed_to_clients,
                                    in.volume_tiers},
                     factors, market,
                     LicenceSchedule{labor, labor_result, start_delay_days, in.overlap_months,
                                     in.new_minimum_term_months},
                     out);
}

void competitor_pricing(const PricingInputs& in, PricingResult& out) {
  PriceFactors factors;
  price_factors(in, factors);
  competitor_pricing(in, factors, out);
}

}  // namespace switchcost::models

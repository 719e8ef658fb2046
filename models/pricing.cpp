#include "models/pricing.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace switchcost::models {

namespace {
constexpr InputSpec<PricingInputs> pricing_table[] = {
    // key, unit, min, max, required, fallback, level, column
    {"discount_rate_per_year", "[-/year]", 0, 1, true, 0, InputLevel::market, &PricingInputs::discount_rate_per_year},
    {"licences.share_passed_to_clients", "[-]", 0, 1, true, 0, InputLevel::msp,
     &PricingInputs::share_passed_to_clients},
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
}

void PricingResult::resize(Eigen::Index n) {
  price_delta_pv.resize(n);
  cost.resize(n);
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

template <class Discount>
MonthSums month_sums(int horizon, const Discount& d, double new_escalation, double old_escalation,
                     double promo_months, double promo_discount) noexcept {
  MonthSums s;
  if (horizon <= 0) return s;
  const double discount_rate = d.rate();
  // One year on: prices escalate and money is worth (1 + rate)^-1 = v^12.
  const double new_step = (1.0 + new_escalation) / (1.0 + discount_rate);
  const double old_step = (1.0 + old_escalation) / (1.0 + discount_rate);
  // Months 0 .. full_promo-1 have f_promo = 1, month full_promo has f_promo = promo_fraction, later 0.
  int full_promo = 0;
  double promo_fraction = 0.0;
  if (promo_months > 0.0) {
    const double whole = std::floor(promo_months);
    if (whole >= double(horizon)) {
      full_promo = horizon;
    } else {
      full_promo = int(whole);
      promo_fraction = promo_months - whole;
    }
  }
  const double full_year = d.sum(year_months);
  double new_year = 1.0;  // (1 + g_new)^y v^(12 y)
  double old_year = 1.0;  // (1 + g_old)^y v^(12 y)
  for (int first = 0; first < horizon; first += year_months) {
    const int count = std::min(year_months, horizon - first);
    const int promo_in_year = std::clamp(full_promo - first, 0, count);  // months with f_promo = 1
    double new_in_year = (1.0 - promo_discount) * d.sum(promo_in_year);
    if (promo_in_year < count) {
      // Month promo_in_year of this year: the fractional promo month if it falls here, else full price;
      // then full price to the end of the year.
      const bool fractional_here = full_promo - first >= 0 && full_promo - first < count;
      const double first_factor = 1.0 - promo_discount * (fractional_here ? promo_fraction : 0.0);
      new_in_year += d.power(promo_in_year) * (first_factor + d.v() * d.sum(count - promo_in_year - 1));
    }
    s.new_factor += new_year * new_in_year;
    s.old_factor += old_year * (count == year_months ? full_year : d.sum(count));
    new_year *= new_step;
    old_year *= old_step;
  }
  return s;
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
  auto each_trial = [&](auto&& discount_of) {
    for (Eigen::Index i = 0; i < n; ++i) {
      const MonthSums s = month_sums(in.horizon_months, discount_of(i), in.new_annual_escalation[i],
                                     in.old_annual_escalation[i], in.promo_months[i], in.promo_discount[i]);
      out.new_factor[i] = s.new_factor;
      out.old_factor[i] = s.old_factor;
    }
  };
  const auto& rate = in.discount_rate_per_year;
  if (n > 0 && (rate == rate[0]).all()) {
    const TableDiscount table(rate[0]);
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

void competitor_pricing(const PricingInputs& in, PricingResult& out) {
  PriceFactors factors;
  price_factors(in, factors);
  competitor_pricing(in, factors, out);
}

}  // namespace switchcost::models

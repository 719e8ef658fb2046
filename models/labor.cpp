#include "models/labor.h"

#include "models/fastmath.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace switchcost::models {

namespace {
// Counts per MSP: whole numbers (an endpoint is not divisible) up to these.
constexpr double max_endpoints = 10'000'000;
constexpr double max_clients = 10'000'000;
constexpr double max_technicians = 100'000;

using In = LaborInputs;
constexpr InputLevel market = InputLevel::market;
constexpr InputLevel msp = InputLevel::msp;

constexpr InputSpec<In> labor_table[] = {
    // key, unit, min, max, required, fallback, level, column
    {"technician_cost_per_hour", "[USD/h]", 0, unbounded, true, 0, market, &In::technician_cost_per_hour},
    {"endpoints", "[endpoints]", 1, max_endpoints, true, 0, msp, &In::endpoints},
    {"clients", "[clients]", 1, max_clients, true, 0, msp, &In::clients},
    {"labor.first_endpoint_hours", "[h]", 1e-3, unbounded, true, 0, msp, &In::first_endpoint_hours},
    {"labor.learning_rate", "[-]", 0.6, 1, true, 0, msp, &In::learning_rate},
    {"labor.setup_hours", "[h]", 0, unbounded, true, 0, msp, &In::setup_hours},
    {"labor.config_hours_per_client", "[h per client]", 0, unbounded, true, 0, msp, &In::config_hours_per_client},
    {"labor.failed_install_share", "[-]", 0, 1, true, 0, msp, &In::failed_install_share},
    {"labor.rework_hours_per_failed_install", "[h per failed endpoint]", 0, unbounded, true, 0, msp,
     &In::rework_hours_per_failed_install},
    {"labor.broken_app_client_share", "[-]", 0, 1, true, 0, msp, &In::broken_app_client_share},
    {"labor.fix_hours_per_broken_client", "[h per broken client]", 0, unbounded, true, 0, msp,
     &In::fix_hours_per_broken_client},
    {"labor.overhead_hours_per_client", "[h per client]", 0, unbounded, true, 0, msp, &In::overhead_hours_per_client},
    {"labor.technician_cost_per_hour", "[USD/h]", 0, unbounded, false, 0, msp, &In::technician_cost_per_hour, true},
    {"labor.billable_share", "[-]", 0, 1, true, 0, msp, &In::billable_share},
    {"labor.billing_rate_per_hour", "[USD/h]", 0, unbounded, false, 0, msp, &In::billing_rate_per_hour},
    {"labor.displaced_billable_share", "[-]", 0, 1, false, 0, msp, &In::displaced_billable_share},
    {"labor.technicians", "[technicians]", 0.01, max_technicians, false, 1, msp, &In::technicians},
    {"labor.capacity_hours_per_technician_week", "[h per technician-week]", 0.01, unbounded, true, 0, msp,
     &In::capacity_hours_per_technician_week},
};
}  // namespace

InputTable<LaborInputs> labor_inputs() noexcept { return labor_table; }

const char* cost_basis_name(CostBasis basis) noexcept {
  return basis == CostBasis::forgone_billing ? "forgone_billing" : "loaded";
}

void set_weekly_capacity(LaborInputs& in) {
  in.capacity_hours_per_week = in.capacity_hours_per_technician_week * in.technicians;
}

void LaborInputs::resize(Eigen::Index n) {
  for (const auto& spec : labor_table) (this->*spec.column).resize(n);
  capacity_hours_per_week.resize(n);
}

void LaborResult::resize(Eigen::Index n) {
  learning_sum.resize(n);
  learning_exponent.resize(n);
  half_power.resize(n);
  end_power.resize(n);
  endpoint_hours.resize(n);
  hours.resize(n);
  cost.resize(n);
  setup_days.resize(n);
  duration_days.resize(n);
}

namespace {

// S(E, b) = ((E + 1/2)^p - (1/2)^p) / p = (1/2)^p * ((2E + 1)^p - 1) / p
//         = 2^-p * expm1(p * log1p(2E)) / p,
// which has no cancellation for small E or small p; p = 0 is the limit log(2E + 1).
// With models/fastmath.h's log, log1p and expm1 (within 2, 1 and 1.5 ulp;
// b = log(learning_rate) / ln 2, 2^-p = expm1(-p ln 2) + 1) and selects for
// the special cases, so that loops over it vectorise; b is exactly 0 at
// learning_rate 1. Valid for learning_rate in (0, 1] (the scenario reader
// allows [0.6, 1]).
// With the curve's constants that LaborResult keeps: p, (1/2)^p and
// X^p = (1/2)^p (expm1(p log1p(2E)) + 1), exactly E + 1/2 at b = 0.
struct CurveTerms {
  double sum, p, half_power, end_power;
};
inline CurveTerms learning_curve_terms(double endpoints, double learning_rate) noexcept {
  constexpr double inverse_ln2 = 1.44269504088896340736;  // 1 / ln 2
  constexpr double ln2 = 0.69314718055994530942;
  const double b = fastmath::log_positive(learning_rate) * inverse_ln2;
  const double p = b + 1.0;
  const double log_ratio = fastmath::log1p(2.0 * endpoints);  // log((E + 1/2) / (1/2))
  const double half_power = fastmath::expm1(-p * ln2) + 1.0;
  const double grown = fastmath::expm1(p * log_ratio);  // (2E + 1)^p - 1
  const double general = half_power * grown / p;
  double sum = p == 0.0 ? log_ratio : general;
  sum = b == 0.0 ? endpoints : sum;  // no learning: every endpoint takes the first one's time
  const double end_power = b == 0.0 ? endpoints + 0.5 : half_power * (grown + 1.0);
  return {endpoints > 0.0 ? sum : 0.0, p, half_power, end_power};
}

SWITCHCOST_SIMD_CLONES void learning_curve_sums(const double* __restrict endpoints,
                                                const double* __restrict learning_rate, double* __restrict sum,
                                                double* __restrict p, double* __restrict half_power,
                                                double* __restrict end_power, Eigen::Index n) noexcept {
  for (Eigen::Index i = 0; i < n; ++i) {
    const CurveTerms t = learning_curve_terms(endpoints[i], learning_rate[i]);
    sum[i] = t.sum;
    p[i] = t.p;
    half_power[i] = t.half_power;
    end_power[i] = t.end_power;
  }
}

}  // namespace

double learning_curve_sum(double endpoints, double learning_rate) noexcept {
  return learning_curve_terms(endpoints, learning_rate).sum;
}

// N(s) = (p s + (1/2)^p)^(1/p) - 1/2 = (1/2) * ((1 + p s 2^p)^(1/p) - 1)
//      = expm1(log1p(p s 2^p) / p) / 2;  p = 0 is the limit expm1(s) / 2.
double learning_curve_endpoints(double work_units, double learning_rate) noexcept {
  if (!(work_units > 0.0)) return 0.0;
  const double b = std::log2(learning_rate);
  if (b == 0.0) return work_units;
  const double p = b + 1.0;
  if (p == 0.0) return 0.5 * std::expm1(work_units);
  const double y = p * work_units * std::exp2(p);
  // Only for p < 0 (learning_rate < 0.5, outside the valid range) can the
  // finite sum S(infinity) be exceeded: every endpoint is then done.
  if (y <= -1.0) return std::numeric_limits<double>::infinity();
  return 0.5 * std::expm1(std::log1p(y) / p);
}

void migration_labor(const LaborInputs& in, LaborResult& out) {
  const Eigen::Index n = in.endpoints.size();
  out.resize(n);
  learning_curve_sums(in.endpoints.data(), in.learning_rate.data(), out.learning_sum.data(),
                      out.learning_exponent.data(), out.half_power.data(), out.end_power.data(), n);
  out.endpoint_hours = out.learning_sum * in.first_endpoint_hours;
  out.hours = in.setup_hours + out.endpoint_hours + in.clients * in.config_hours_per_client +
              in.endpoints * in.failed_install_share * in.rework_hours_per_failed_install +
              in.clients * in.broken_app_client_share * in.fix_hours_per_broken_client +
              in.clients * in.overhead_hours_per_client;
  if (in.cost_basis == CostBasis::forgone_billing) {
    out.cost = out.hours * (1.0 - in.billable_share) *
               (in.displaced_billable_share * in.billing_rate_per_hour +
                (1.0 - in.displaced_billable_share) * in.technician_cost_per_hour);
  } else {
    out.cost = out.hours * in.technician_cost_per_hour * (1.0 - in.billable_share);
  }
  out.setup_days = in.setup_hours / (in.capacity_hours_per_week / days_per_week);
  out.duration_days = out.hours / (in.capacity_hours_per_week / days_per_week);
}

double endpoints_migrated_by(const LaborInputs& in, const LaborResult& out, Eigen::Index i, double day) noexcept {
  const double e = in.endpoints[i];
  if (!(e > 0.0)) return 0.0;
  if (day >= out.duration_days[i]) return e;
  const double setup_days = out.setup_days[i];
  if (!(day > setup_days)) return 0.0;  // before the migration starts, or still building the script
  const double other_hours = out.hours[i] - in.setup_hours[i];
  const double endpoint_share = other_hours > 0.0 ? out.endpoint_hours[i] / other_hours : 0.0;
  const double work_hours =
      endpoint_share * (day - setup_days) * in.capacity_hours_per_week[i] / days_per_week;  // W(t)
  return std::min(e, learning_curve_endpoints(work_hours / in.first_endpoint_hours[i], in.learning_rate[i]));
}

}  // namespace switchcost::models

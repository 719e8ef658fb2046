// Competitor pricing: what the new licence costs the MSP over the horizon
// compared with keeping the incumbent's price, in present value.
//
// Month m = 0 .. H-1 from the migration start (payments at the start of each
// month), monthly discount factor v = (1 + discount_rate_per_year)^(-1/12),
// year index y(m) = floor(m / 12):
//   new(m) = new_price_per_endpoint_month * (1 + new_annual_escalation)^y(m)
//            * (1 - volume_discount) * (1 - promo_discount * f_promo(m))
//   old(m) = old_price_per_endpoint_month * (1 + old_annual_escalation)^y(m)
//   f_promo(m) = clamp(promo_months - m, 0, 1)   (a fractional last promo month)
//   volume_discount = discount of the highest tier whose min_endpoints <= E (0 if none):
//     the qualifying tier with the largest min_endpoints, even if a lower tier
//     offers more; of tiers with equal min_endpoints, the larger discount
//   price_delta_pv = E * sum_m v^m (new(m) - old(m))
//   cost = (1 - share_passed_to_clients) * price_delta_pv
//          + new_setup_fee_per_endpoint * E + new_setup_fee_per_msp
// A negative cost is a saving. Setup fees are one-time and not passed on.
// That price_delta_pv is the instant switch: every endpoint on the new
// licence, none on the old, from month 0. The engine uses the scheduled form
// below instead.
//
// Licences on the migration schedule (competitor_pricing with a
// LicenceSchedule). While endpoints move the MSP pays for both products.
// With the MSP's start d = start_delay_days after the scenario's migration
// start, D = days_per_month, the MSP's day at the start of month m
// s_m = m D - d, and n(t) = endpoints_migrated_by(t) (models/labor.h, 0
// before the MSP starts), a month is paid in full for each product an
// endpoint has at any time in it:
//   old_count(m) = E - n(s_m - L)      L = overlap_months * D: the old licence
//                                      runs on L after an endpoint moves
//   new_count(m) = E                   if minimum_term_months T > 0 and month m
//                                      meets [0, T D) of the MSP's days
//                                      (s_m + D > 0 and s_m < T D): a term
//                                      contract bills every seat from signing
//                = n(s_m + D)          otherwise (migrated by the month's end)
//   price_delta_pv = sum_m v^m (new(m) new_count(m) - old(m) (E - old_count(m)))
// (against keeping all E on the old licence; E - old_count(m) endpoints have
// stopped paying it), computed as the instant switch less the schedule's
// gaps, gap_new(m) = E - new_count(m) and gap_old(m) = old_count(m):
//   price_delta_pv = E (P_new (1 - volume_discount) new_factor - P_old old_factor)
//                    - (P_new (1 - volume_discount) G_new - P_old G_old)
//   G_new = sum_{m < M} v^m (1 + g_new)^y(m) (1 - promo_discount f_promo(m)) gap_new(m)
//   G_old = sum_{m < M} v^m (1 + g_old)^y(m) old_count(m)
// where M = min(H, ceil((d + L + duration_days) / D)) is the first month after
// which both gaps are 0. new_factor and old_factor are the market's (shared by
// the MSPs of a block); G_new and G_old are per MSP and trial, O(M) months
// (a few: the delay, the migration and the overlap). An instant migration
// (duration 0, no delay, overlap or term) gives the instant switch exactly.
// Only the curve months need n(t): with t_m the month's point (s_m + D for
// the new licence, s_m - L for the old) and t_setup, t_end = duration_days,
//   n(t_m) = 0 where t_m <= t_setup and t_m < t_end: gap_new = E (0 if
//            committed), gap_old = E;
//   n(t_m) = E where t_m >= t_end: both gaps 0;
//   else (t_setup < t_m < t_end, the curve months, consecutive, about
//   (t_end - t_setup) / D + 1 of them) n(t_m) = min(E, N(k (t_m - t_setup)))
//   with k the work units per day, N(s) = expm1(log1p(p s 2^p) / p) / 2
//   (models/labor.h; p and (1/2)^p from LaborResult), models/fastmath.h's
//   log1p and expm1.
// So G = sum over the leading months of w(m) E + sum over the curve months
// of w(m) gap(m), w(m) = v^m (1 + g)^y(m) (times 1 - promo_discount f_promo(m)
// for the new licence). The engine runs chunks of 16 trials: a loop of
// comparisons over months 0 .. max M counts each trial's leading and curve
// months per licence; a loop per licence over the chunk's largest count of
// leading months adds their w(m) E, each trial stepping v^m and (1 + g)^y(m)
// to its own first curve month (steps past it multiply by 1); then N(s) is
// evaluated only at each trial's own curve months (the
// chunk loops to its largest count of them), the weights stepping
// v^(m+1) = v^m v and multiplying by 1 + g where m + 1 reaches the next year.
// Each trial's terms are those of a loop over every month with the same
// n(t), added in month order with the same products, so the same bits
// (tests/models_test.cpp holds G_new and G_old against a month-by-month
// reference with libm). A trial counts only its own months m < M, so its
// sums do not depend on the trials that share its chunk; the chunks are
// formed from the block's trials sorted (a counting sort) by an estimate of
// their counts of curve months and M, so that a chunk's loops run little
// past each of its trials' own: any order of the trials gives the same bits
// (tests/models_test.cpp compares a block with its trials permuted).
// new_factor and old_factor are computed per trial with geometric sums per
// year: O(years), not O(months);
// when a block's trials share one discount rate (a constant input), its sums
// and powers of v are tabulated once per block, and when they share the
// promotion too, each year's sums (per trial only the escalations' steps
// remain): the same bits as per trial.
#pragma once

#include <cstdint>
#include <vector>

#include "models/common.h"
#include "models/inputs.h"
#include "models/labor.h"

namespace switchcost::models {

struct VolumeTier {
  double min_endpoints = 0;  // [endpoints] tier applies from this many endpoints
  double discount = 0;       // [-] share off the list price, [0,1)
};

struct PricingInputs {
  Column endpoints;                     // [endpoints]
  Column new_price_per_endpoint_month;  // [USD/(endpoint month)]
  Column old_price_per_endpoint_month;  // [USD/(endpoint month)]
  Column new_annual_escalation;         // [-/year]
  Column old_annual_escalation;         // [-/year]
  Column promo_months;                  // [months] >= 0
  Column promo_discount;                // [-] [0,1]
  Column new_setup_fee_per_endpoint;    // [USD/endpoint]
  Column new_setup_fee_per_msp;         // [USD]
  Column share_passed_to_clients;       // [-] [0,1]
  Column discount_rate_per_year;        // [-/year] > -1
  Column overlap_months;                // [months] >= 0, the old licence after an endpoint moves (scheduled form)
  Column new_minimum_term_months;       // [months] >= 0, the new contract's minimum term (scheduled form)
  std::vector<VolumeTier> volume_tiers; // sorted by min_endpoints (any order accepted)
  int horizon_months = 36;              // [months] H >= 0

  void resize(Eigen::Index n);
};

// One competitor's price terms for a block, drawn once per trial and shared
// by every MSP that leaves it (old price) or moves to it (new terms).
struct CompetitorPrices {
  Column price_per_endpoint_month;  // [USD/(endpoint month)]
  Column setup_fee_per_endpoint;    // [USD/endpoint] one-time
  Column setup_fee_per_msp;         // [USD] one-time
  Column annual_price_escalation;   // [-/year]
  Column promo_months;              // [months] >= 0
  Column promo_discount;            // [-] [0,1]
  Column minimum_term_months;       // [months] >= 0, a term contract's seats billed from signing (0: monthly)
};

// The pricing model's drawn inputs (the tables of models/inputs.h): the
// market's discount rate and the MSP's pass-through share into PricingInputs;
// each competitor's terms into its CompetitorPrices (the engine takes the
// target's as new_* and the incumbent's as old_*).
InputTable<PricingInputs> pricing_inputs() noexcept;
InputTable<CompetitorPrices> competitor_inputs() noexcept;

struct PricingResult {
  Column price_delta_pv;  // [USD] E * PV of (new - old) before pass-through
  Column cost;            // [USD] borne by the MSP
  // Scheduled form only: G_new and G_old [endpoint-months, discounted and
  // escalated, per USD of monthly list price].
  Column gap_new_pv, gap_old_pv;
  // Per-trial working columns of the scheduled form, kept to be reused:
  // the trials in the order chunk_gaps takes them (grouped by their work),
  // and the keys and buckets of the sort that gives it.
  struct Scratch {
    Column units_per_day, p_two_p, no_learning, overlap_days, term_days, months;
    Column new_price;  // [USD/(endpoint month)] after the volume discount
    std::vector<std::uint32_t> key, bucket, order;
    void resize(Eigen::Index n);
  } scratch;

  void resize(Eigen::Index n);
};

void competitor_pricing(const PricingInputs& in, PricingResult& out);

// The two present-value sums per USD of monthly price and per endpoint,
// new_factor = sum_m v^m (1 + g_new)^y(m) (1 - promo_discount f_promo(m)) and
// old_factor = sum_m v^m (1 + g_old)^y(m), per trial. They depend only on the
// discount rate, the two products' escalation and the promotion (market-level
// inputs), so the engine computes them once per block for each (target,
// incumbent) pair and shares them across MSPs. Reads only those inputs of `in`.
struct PriceFactors {
  Column new_factor;        // [months] discounted, escalated, promotion-weighted
  Column old_factor;        // [months]
  Column monthly_discount;  // [-] v = (1 + discount_rate_per_year)^(-1/12)
};
// The inputs price_factors reads, by reference (the engine passes its market
// columns without copying them).
struct PriceFactorInputs {
  const Column& discount_rate_per_year;  // [-/year] > -1
  const Column& new_annual_escalation;   // [-/year]
  const Column& old_annual_escalation;   // [-/year]
  const Column& promo_months;            // [months] >= 0
  const Column& promo_discount;          // [-] [0,1]
  int horizon_months;                    // [months]
};
void price_factors(const PriceFactorInputs& in, PriceFactors& out);
void price_factors(const PricingInputs& in, PriceFactors& out);

// The columns competitor_pricing reads with the factors given, by reference:
// the engine passes the MSP's endpoints and its target's and incumbent's
// terms (a competitor's, shared by the MSPs) without copying them per MSP.
struct PricingColumns {
  const Column& endpoints;                     // [endpoints]
  const Column& new_price_per_endpoint_month;  // [USD/(endpoint month)]
  const Column& old_price_per_endpoint_month;  // [USD/(endpoint month)]
  const Column& new_setup_fee_per_endpoint;    // [USD/endpoint]
  const Column& new_setup_fee_per_msp;         // [USD]
  const Column& share_passed_to_clients;       // [-] [0,1]
  const std::vector<VolumeTier>& volume_tiers;
};

// The migration schedule the licences follow (the scheduled form above), by
// reference: the MSP's labor inputs and result (n(t) of models/labor.h), its
// start delay, the overlap and the new contract's minimum term.
struct LicenceSchedule {
  const LaborInputs& labor;
  const LaborResult& labor_result;
  const Column& start_delay_days;         // [days] >= 0, after the scenario's migration start
  const Column& overlap_months;           // [months] >= 0
  const Column& new_minimum_term_months;  // [months] >= 0
};
// The scheduled form with the factors given; `market` is what the factors
// were computed from (escalations and promotion per month).
void competitor_pricing(const PricingColumns& in, const PriceFactors& factors, const PriceFactorInputs& market,
                        const LicenceSchedule& schedule, PricingResult& out);
// The scheduled form from PricingInputs (its overlap_months and
// new_minimum_term_months), for tests.
void competitor_pricing(const PricingInputs& in, const LaborInputs& labor, const LaborResult& labor_result,
                        const Column& start_delay_days, PricingResult& out);

// competitor_pricing with the factors given (the same bits as computing them).
void competitor_pricing(const PricingColumns& in, const PriceFactors& factors, PricingResult& out);
void competitor_pricing(const PricingInputs& in, const PriceFactors& factors, PricingResult& out);

// Volume discount for E endpoints (highest qualifying tier), for tests.
double volume_discount(const std::vector<VolumeTier>& tiers, double endpoints) noexcept;

}  // namespace switchcost::models

// Lost updates: endpoints still on the old product after the update cut-off
// get no new signatures, so their protection decays.
//
// Days are relative to the MSP's migration start; the cut-off is at day t_c
// (negative when the migration starts after the cut-off). With n(t) the
// schedule from models/labor.h (n(t) = 0 before the migration starts and
// during setup) and t_end = duration_days:
//   unprotected_endpoint_days = integral_{t_c}^{t_end} (E - n(t)) dt   (0 if t_end <= t_c)
//   miss_excess(tau) = (m_frozen - m_supported) * (1 - exp(-tau / protection_decay_days)),
//     tau = t - t_c days since the cut-off, m_frozen = min(1, m_supported * frozen_miss_multiplier):
//     the miss rate climbs from the supported level toward the frozen floor.
//   expected_incidents = encounters_per_endpoint_day
//                        * integral_{t_c}^{t_end} (E - n(t)) * miss_excess(t - t_c) dt
// Only the excess over a supported product counts: incidents it would have
// missed anyway are not a cost of the ban (m_frozen - m_supported is taken as
// 0 if negative, which valid inputs never make it). The integrals are computed
// per trial in O(1): closed form for the first; for the second, closed form
// before the endpoint phase (E - n = E) and from 40 decay times after the
// cut-off on (where the exponential is below 5e-18), and composite 16-node
// Gauss-Legendre quadrature in between, on panels graded toward the branch
// point of n(t) just before t_setup and no longer than 20 decay times, or one
// 8-node panel where the interval is short and far from that point
// (models/lost_updates.cpp; its nodes vectorised, with models/fastmath.h's
// expm1 and log1p). Relative error < 1e-6 is the contract; the tests
// check < 1e-8 against an adaptive integration, and a sweep over the valid
// ranges measured < 1e-10.
// The number of incidents is Poisson(expected_incidents) and each costs a
// draw of the incident-cost distribution; the engine draws those, since a
// model owns no random numbers. Above 10,000 incidents in a trial
// (sim/engine/engine.cpp: exact_incident_limit, incident_cost_total) it
// draws their total from the normal approximation of the sum,
// max(0, k mean + sqrt(k) sd z), instead of k costs: the mean and variance
// are exact; the shape is not, as the sum of k costs keeps a skewness of
// skew(cost) / sqrt(k) (132 / sqrt(k) for the shipped lognormal, sigma
// 1.79). Measured for that cost at k = 10,000: distribution function within
// 0.04 of the exact sum's, P5..P95 within 1%, P99 2% low (0.3% at k =
// 100,000); the truncation at 0 is 20 sd below the mean there.
// The reported mean of the cost does not use the draws: it is the mean of
// expected_incidents x mean incident cost (docs/output-format.md, "Means of
// compound costs").
#pragma once

#include "models/common.h"
#include "models/inputs.h"
#include "models/labor.h"

namespace switchcost::models {

struct LostUpdatesInputs {
  Column start_delay_days;             // [days] the MSP's start after the scenario's migration start, >= 0
  Column cutoff_day;                   // [days] update cut-off relative to migration start (t_c): set_cutoff_day
  Column encounters_per_endpoint_day;  // [1/(endpoint day)] threats reaching an endpoint, >= 0
  Column miss_rate_supported;          // [-] share missed by a supported product, [0,1]
  Column frozen_miss_multiplier;       // [-] miss rate of frozen signatures / supported, >= 1
  Column protection_decay_days;        // [days] time constant of the decay, > 0

  void resize(Eigen::Index n);
};

struct LostUpdatesResult {
  Column unprotected_endpoint_days;  // [endpoint-days] after the cut-off on the old product
  Column expected_incidents;         // [incidents] excess over a supported product

  void resize(Eigen::Index n);
};

// The lost-updates model's drawn inputs (the table of models/inputs.h): the
// MSP's start delay, and the market's threat level. The per-incident cost
// is drawn by the engine per incident, so it is no column here.
InputTable<LostUpdatesInputs> lost_updates_inputs() noexcept;

// cutoff_day = updates_end_from_start_days - start_delay_days, where
// updates_end_from_start_days is the cut-off relative to the scenario's
// migration start [days].
void set_cutoff_day(LostUpdatesInputs& in, double updates_end_from_start_days);

void lost_updates(const LaborInputs& labor_in, const LaborResult& labor_out,
                  const LostUpdatesInputs& in, LostUpdatesResult& out);

}  // namespace switchcost::models

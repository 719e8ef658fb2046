// Migration labor and schedule for one MSP.
//
// Hours (per trial):
//   endpoint_hours = first_endpoint_hours * S(E, b), the Wright learning curve
//     summed over E endpoints in closed form: the n-th endpoint takes
//     first_endpoint_hours * n^b with b = log2(learning_rate), and
//     S(E, b) = ((E + 1/2)^p - (1/2)^p) / p with p = b + 1 (the midpoint rule
//     for sum_{n=1..E} n^b; exact E at learning_rate 1, otherwise an
//     overestimate, as n^b is convex, whose relative error falls with E and
//     with learning_rate: at most 6.2% (E = 1, learning_rate 0.6), < 2% for
//     E >= 10, < 1% for E >= 54, and < 1% for every E >= 1 when
//     learning_rate >= 0.9; see tests/models_test.cpp). Evaluated as
//     2^-p expm1(p log1p(2E)) / p, without cancellation, with
//     models/fastmath.h's functions in a vectorised loop; S(0, b) = 0.
//   config_hours   = clients * config_hours_per_client      (exclusions, policies, firewall rules re-entered by hand)
//   rework_hours   = endpoints * failed_install_share * rework_hours_per_failed_install
//   fix_hours      = clients * broken_app_client_share * fix_hours_per_broken_client
//   overhead_hours = clients * overhead_hours_per_client
//   hours          = setup_hours + endpoint_hours + config_hours + rework_hours + fix_hours + overhead_hours
// Cost [USD] = hours * (1 - billable_share) * rate, the hours the clients do
// not pay for valued at
//   rate = technician_cost_per_hour                        (cost_basis loaded)
//   rate = displaced_billable_share * billing_rate_per_hour
//          + (1 - displaced_billable_share) * technician_cost_per_hour
//                                                          (cost_basis forgone_billing)
// An hour that displaces billable work costs the MSP the bill it forgoes (the
// technician is paid either way); one that fills idle time costs its loaded
// cost. cost_basis is the MSP's choice (scenario key labor.cost_basis, not
// drawn); with loaded the two forgone-billing inputs are not read.
//
// Schedule: work runs at capacity_hours_per_week from day 0 (the MSP's
// migration start). Setup comes first (no endpoint moves while the script is
// built), then the other work is interleaved with endpoint work in proportion,
// so endpoint-hours done by day t >= t_setup are
//   W(t) = (endpoint_hours / (hours - setup_hours)) * (t - t_setup) * capacity_hours_per_week / 7
// and endpoints migrated by then are n(t) = N(W(t) / first_endpoint_hours),
// the inverse of S: N(s) = (p s + (1/2)^p)^(1/p) - 1/2, capped at E.
// n(t) = 0 for t <= t_setup (also before day 0) and n(t) = E for t >= duration_days;
// if hours - setup_hours = 0 the endpoint share is taken as 0 (then E = 0).
// setup_days = setup_hours / (capacity_hours_per_week / 7),
// duration_days = hours / (capacity_hours_per_week / 7).
#pragma once

#include "models/common.h"
#include "models/inputs.h"

namespace switchcost::models {

// How a migration hour is valued (see Cost above).
enum class CostBasis { loaded, forgone_billing };

// The scenario spelling of a basis ("loaded", "forgone_billing").
const char* cost_basis_name(CostBasis basis) noexcept;

struct LaborInputs {
  Column endpoints;                        // [endpoints] E >= 0
  Column clients;                          // [clients] C >= 0
  Column first_endpoint_hours;             // [h] for the first endpoint, > 0
  Column learning_rate;                    // [-] Wright rate per doubling, in [0.6, 1]
  Column setup_hours;                      // [h per MSP] removal/deploy script and template
  Column config_hours_per_client;          // [h per client]
  Column failed_install_share;             // [-] share of endpoints whose automated install fails, [0,1]
  Column rework_hours_per_failed_install;  // [h per failed endpoint]
  Column broken_app_client_share;          // [-] share of clients with a network program that breaks, [0,1]
  Column fix_hours_per_broken_client;      // [h per broken client]
  Column overhead_hours_per_client;        // [h per client] scheduling, communication, testing
  Column technician_cost_per_hour;         // [USD/h] loaded cost of a technician hour
  Column billable_share;                   // [-] share of labor billed to clients, [0,1]
  Column billing_rate_per_hour;            // [USD/h] the MSP's billing rate (forgone_billing)
  Column displaced_billable_share;         // [-] share of migration hours that displace billable work, [0,1] (forgone_billing)
  CostBasis cost_basis = CostBasis::loaded;
  Column technicians;                      // [technicians] on the migration (fractions are part-time), > 0
  Column capacity_hours_per_technician_week;  // [h per technician-week] each gives the migration, > 0
  // [h/week] technician time available for the migration, > 0: what the
  // model reads; set_weekly_capacity derives it from the two columns above.
  Column capacity_hours_per_week;

  void resize(Eigen::Index n);             // every column to n elements
};

// The labor model's inputs (the table of models/inputs.h). Market level: the
// technician rate; per MSP: the rest, "labor.technician_cost_per_hour" being
// an MSP's own rate over the market's. endpoints and clients are read by the
// other models too (from these columns).
InputTable<LaborInputs> labor_inputs() noexcept;

// capacity_hours_per_week = capacity_hours_per_technician_week * technicians.
void set_weekly_capacity(LaborInputs& in);

struct LaborResult {
  Column learning_sum;    // [first-endpoint equivalents] S(E, b); endpoint_hours / first_endpoint_hours
  // The curve's constants, which the schedule n(t) reads (models/pricing.h,
  // models/lost_updates.h): p = b + 1, (1/2)^p, and X^p = (E + 1/2)^p
  // = (1/2)^p (expm1(p log1p(2E)) + 1) (exactly E + 1/2 at learning_rate 1).
  Column learning_exponent;  // [-] p
  Column half_power;         // [-] (1/2)^p
  Column end_power;          // [endpoints^p] X^p
  Column endpoint_hours;  // [h] learning-curve part only
  Column hours;           // [h] all labor
  Column cost;            // [USD] borne by the MSP
  Column setup_days;      // [days] from migration start to the end of setup
  Column duration_days;   // [days] from migration start to completion

  void resize(Eigen::Index n);
};

// Fills out (resized to inputs' size) from in. Pure.
void migration_labor(const LaborInputs& in, LaborResult& out);

// Learning-curve sum S(E, b) for one trial (see above), exposed for tests.
double learning_curve_sum(double endpoints, double learning_rate) noexcept;
// Its inverse N(s): endpoints done after s first-endpoint-equivalents of work.
double learning_curve_endpoints(double work_units, double learning_rate) noexcept;
// Endpoints migrated by day t (relative to migration start) for trial i of
// (in, out): the schedule n(t) above. Exposed for the lost-updates model and tests.
double endpoints_migrated_by(const LaborInputs& in, const LaborResult& out, Eigen::Index i,
                             double day) noexcept;

}  // namespace switchcost::models

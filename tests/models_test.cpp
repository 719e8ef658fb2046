// Unit tests of the domain models (models/*.h): hand-computed values, brute-force
// references and properties. Every expected number carries its arithmetic.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <functional>
#include <limits>
#include <random>
#include <vector>

#include "models/common.h"
#include "models/downtime.h"
#include "models/extras.h"
#include "models/labor.h"
#include "models/lost_updates.h"
#include "models/pricing.h"
#include "models/stranded.h"

namespace {

using namespace switchcost::models;

bool all_finite(const Column& c) { return c.allFinite(); }

// ---------------------------------------------------------------------------
// Labor

// The worked example: E = 100 endpoints at 10 clients.
//   setup 8 h; config 2 h/client; 10% failed installs at 1.5 h; 20% of clients with a
//   broken program at 4 h; overhead 3 h/client; 80 USD/h, 25% billable; 35 h/week = 5 h/day.
LaborInputs example_labor(double endpoints = 100.0, double learning_rate = 1.0) {
  LaborInputs in;
  in.resize(1);
  in.endpoints[0] = endpoints;
  in.clients[0] = 10;
  in.first_endpoint_hours[0] = 0.5;
  in.learning_rate[0] = learning_rate;
  in.setup_hours[0] = 8;
  in.config_hours_per_client[0] = 2;
  in.failed_install_share[0] = 0.1;
  in.rework_hours_per_failed_install[0] = 1.5;
  in.broken_app_client_share[0] = 0.2;
  in.fix_hours_per_broken_client[0] = 4;
  in.overhead_hours_per_client[0] = 3;
  in.technician_cost_per_hour[0] = 80;
  in.billable_share[0] = 0.25;
  in.capacity_hours_per_week[0] = 35;
  return in;
}

// Exact sum_{n=1..E} n^b, the thing S(E, b) approximates.
double exact_learning_sum(int endpoints, double learning_rate) {
  const double b = std::log2(learning_rate);
  double sum = 0.0;
  for (int n = 1; n <= endpoints; ++n) sum += std::pow(double(n), b);
  return sum;
}

TEST(LearningCurve, NoLearningIsExactlyE) {
  // learning_rate 1: b = 0, every endpoint takes first_endpoint_hours, S = E exactly.
  for (double e : {0.0, 0.5, 1.0, 2.0, 3.0, 350.0, 2500.0, 1e7}) {
    EXPECT_EQ(learning_curve_sum(e, 1.0), e);
    EXPECT_EQ(learning_curve_endpoints(e, 1.0), e);
  }
}

TEST(LearningCurve, ZeroEndpointsIsZero) {
  for (double lr : {0.6, 0.8, 1.0}) {
    EXPECT_EQ(learning_curve_sum(0.0, lr), 0.0);
    EXPECT_EQ(learning_curve_endpoints(0.0, lr), 0.0);
  }
}

TEST(LearningCurve, HandValuesAtRate08) {
  // lr = 0.8: b = log2(0.8) = -0.321928, p = 0.678072, (1/2)^p = 0.5 * 2^-b = 0.5 / 0.8 = 0.625.
  // E = 1: 1.5^p = exp(0.678072 * 0.405465) = exp(0.274935) = 1.316444
  //        S = (1.316444 - 0.625) / 0.678072 = 1.019721   (exact sum: 1)
  EXPECT_NEAR(learning_curve_sum(1.0, 0.8), 1.019721, 1e-6);
  // E = 2: 2.5^p = exp(0.678072 * 0.916291) = exp(0.621312) = 1.861367
  //        S = (1.861367 - 0.625) / 0.678072 = 1.823356   (exact sum: 1 + 0.8 = 1.8, +1.3%)
  EXPECT_NEAR(learning_curve_sum(2.0, 0.8), 1.823356, 1e-6);
  EXPECT_NEAR(exact_learning_sum(2, 0.8), 1.8, 1e-15);
  // E = 100: 100.5^p = exp(0.678072 * 4.610158) = exp(3.126018) = 22.783086
  //          S = (22.783086 - 0.625) / 0.678072 = 32.678078
  EXPECT_NEAR(learning_curve_sum(100.0, 0.8), 32.678078, 1e-5);
  // Inverse at s = 10: N = (0.678072 * 10 + 0.625)^(1/0.678072) - 0.5 = 7.405719^1.474770 - 0.5
  //                      = exp(1.474770 * 2.002249) - 0.5 = exp(2.952857) - 0.5 = 19.160707 - 0.5 = 18.660707
  EXPECT_NEAR(learning_curve_endpoints(10.0, 0.8), 18.660707, 1e-5);
}

// The midpoint rule overestimates sum n^b (x^b is convex) by a relative error that falls
// with E and with the learning rate. Measured maxima over learning_rate in [0.6, 1]:
// 6.15% at E = 1, 4.36% at E = 2, 3.54% at E = 3, 1.98% at E = 10, 0.52% at E = 350,
// 0.29% at E = 2500, always at learning_rate 0.6. So the "< 1% for E >= 1" once claimed
// in models/labor.h is false: < 1% holds for E >= 54, or for every E >= 1 when
// learning_rate >= 0.9 (0.80% at E = 1).
TEST(LearningCurve, MidpointApproximationErrorBound) {
  struct Bound {
    int endpoints;
    double max_error;  // over learning_rate in [0.6, 1]
  };
  const Bound bounds[] = {{1, 0.0616}, {2, 0.0437}, {3, 0.0355}, {10, 0.0198}, {350, 0.0053}, {2500, 0.0029}};
  for (const Bound& bound : bounds) {
    double worst = 0.0;
    for (int j = 0; j <= 400; ++j) {
      const double lr = 0.6 + 0.4 * j / 400.0;
      const double exact = exact_learning_sum(bound.endpoints, lr);
      const double error = learning_curve_sum(bound.endpoints, lr) / exact - 1.0;
      EXPECT_GE(error, -1e-13) << "E=" << bound.endpoints << " lr=" << lr;  // never an underestimate
      EXPECT_LE(error, bound.max_error) << "E=" << bound.endpoints << " lr=" << lr;
      if (lr >= 0.9) {
        EXPECT_LT(error, 0.01) << "E=" << bound.endpoints << " lr=" << lr;
      }
      worst = std::max(worst, error);
    }
    if (bound.endpoints >= 54) {
      EXPECT_LT(worst, 0.01) << "E=" << bound.endpoints;
    }
  }
  // The worst case, by hand: lr = 0.6, p = log2(0.6) + 1 = 0.263034, (1/2)^p = 0.5 / 0.6 = 0.833333,
  // 1.5^p = exp(0.263034 * 0.405465) = exp(0.106651) = 1.112546, S(1) = (1.112546 - 0.833333) / 0.263034
  // = 0.279213 / 0.263034 = 1.061507, 6.15% above the exact 1.
  EXPECT_NEAR(learning_curve_sum(1.0, 0.6), 1.061507, 2e-6);
  EXPECT_LT(learning_curve_sum(54.0, 0.6) / exact_learning_sum(54, 0.6) - 1.0, 0.01);
  EXPECT_GT(learning_curve_sum(53.0, 0.6) / exact_learning_sum(53, 0.6) - 1.0, 0.01);
}

TEST(LearningCurve, InverseRoundTripsAndIsStable) {
  for (double lr : {0.6, 0.7, 0.8, 0.9, 0.99, 1.0 - 1e-9, 1.0}) {
    for (double e : {1e-9, 0.5, 1.0, 2.0, 10.0, 350.0, 2500.0, 1e5, 1e7}) {
      const double s = learning_curve_sum(e, lr);
      ASSERT_TRUE(std::isfinite(s));
      EXPECT_NEAR(learning_curve_endpoints(s, lr), e, 1e-12 * e) << "lr=" << lr << " E=" << e;
    }
  }
  // Continuity at learning_rate -> 1 (p -> 1) and p -> 0 (learning_rate 0.5, outside the
  // valid range but the formula's limit S = log(2E + 1)).
  EXPECT_NEAR(learning_curve_sum(2500.0, 1.0 - 1e-12), 2500.0, 1e-6);
  EXPECT_NEAR(learning_curve_sum(2500.0, 0.5), std::log(5001.0), 1e-12);
  EXPECT_NEAR(learning_curve_sum(2500.0, 0.5 * (1.0 + 1e-12)), std::log(5001.0), 1e-9);
  EXPECT_NEAR(learning_curve_endpoints(std::log(5001.0), 0.5), 2500.0, 1e-9);
}

TEST(MigrationLabor, HandWorkedExampleNoLearning) {
  LaborInputs in = example_labor(100.0, 1.0);
  LaborResult out;
  migration_labor(in, out);
  // endpoint_hours = 0.5 h * 100 = 50 h
  EXPECT_DOUBLE_EQ(out.endpoint_hours[0], 50.0);
  // hours = setup 8 + endpoints 50 + config 10*2 = 20 + rework 100*0.1*1.5 = 15 + fix 10*0.2*4 = 8
  //         + overhead 10*3 = 30 = 131 h
  EXPECT_DOUBLE_EQ(out.hours[0], 131.0);
  // cost = 131 h * 80 USD/h * (1 - 0.25) = 7860 USD
  EXPECT_DOUBLE_EQ(out.cost[0], 7860.0);
  // 35 h/week = 5 h/day: setup 8 / 5 = 1.6 days, duration 131 / 5 = 26.2 days
  EXPECT_DOUBLE_EQ(out.setup_days[0], 1.6);
  EXPECT_DOUBLE_EQ(out.duration_days[0], 26.2);
}

TEST(MigrationLabor, HandWorkedExampleWithLearning) {
  LaborInputs in = example_labor(100.0, 0.8);
  LaborResult out;
  migration_labor(in, out);
  // endpoint_hours = 0.5 * S(100, 0.8) = 0.5 * 32.678078 = 16.339039 h
  EXPECT_NEAR(out.endpoint_hours[0], 16.339039, 1e-6);
  // hours = 131 - 50 + 16.339039 = 97.339039 h; cost = 97.339039 * 80 * 0.75 = 5840.3423 USD
  EXPECT_NEAR(out.hours[0], 97.339039, 1e-6);
  EXPECT_NEAR(out.cost[0], 5840.3423, 1e-4);
  // duration = 97.339039 / 5 = 19.467808 days
  EXPECT_NEAR(out.duration_days[0], 19.467808, 1e-6);
  EXPECT_DOUBLE_EQ(out.setup_days[0], 1.6);
}

TEST(MigrationLabor, ResizesOutputsAndWorksPerTrial) {
  LaborInputs in;
  in.resize(3);
  EXPECT_EQ(in.capacity_hours_per_week.size(), 3);
  EXPECT_EQ(in.billable_share.size(), 3);
  const LaborInputs one = example_labor();
  for (Eigen::Index i = 0; i < 3; ++i) {
    in.endpoints[i] = 100.0 * double(i);  // 0, 100, 200
    in.clients[i] = one.clients[0];
    in.first_endpoint_hours[i] = one.first_endpoint_hours[0];
    in.learning_rate[i] = 1.0;
    in.setup_hours[i] = one.setup_hours[0];
    in.config_hours_per_client[i] = one.config_hours_per_client[0];
    in.failed_install_share[i] = one.failed_install_share[0];
    in.rework_hours_per_failed_install[i] = one.rework_hours_per_failed_install[0];
    in.broken_app_client_share[i] = one.broken_app_client_share[0];
    in.fix_hours_per_broken_client[i] = one.fix_hours_per_broken_client[0];
    in.overhead_hours_per_client[i] = one.overhead_hours_per_client[0];
    in.technician_cost_per_hour[i] = one.technician_cost_per_hour[0];
    in.billable_share[i] = one.billable_share[0];
    in.capacity_hours_per_week[i] = one.capacity_hours_per_week[0];
  }
  LaborResult out;
  out.resize(7);  // stale size from an earlier block
  migration_labor(in, out);
  for (const Column* c : {&out.endpoint_hours, &out.hours, &out.cost, &out.setup_days, &out.duration_days})
    EXPECT_EQ(c->size(), 3);
  // Per endpoint: 0.5 h + 0.1 * 1.5 h = 0.65 h; fixed part 8 + 20 + 8 + 30 = 66 h.
  EXPECT_DOUBLE_EQ(out.hours[0], 66.0);   // 66 + 0
  EXPECT_DOUBLE_EQ(out.hours[1], 131.0);  // 66 + 65
  EXPECT_DOUBLE_EQ(out.hours[2], 196.0);  // 66 + 130
}

TEST(MigrationLabor, NothingToDo) {
  // E = 0, no clients, no setup: all zero, no division by zero anywhere.
  LaborInputs in = example_labor(0.0, 0.7);
  in.clients[0] = 0;
  in.setup_hours[0] = 0;
  LaborResult out;
  migration_labor(in, out);
  EXPECT_EQ(out.hours[0], 0.0);
  EXPECT_EQ(out.cost[0], 0.0);
  EXPECT_EQ(out.duration_days[0], 0.0);
  EXPECT_EQ(endpoints_migrated_by(in, out, 0, 0.0), 0.0);
  EXPECT_EQ(endpoints_migrated_by(in, out, 0, 5.0), 0.0);
  // E = 0 with setup only: hours - setup_hours = 0, the endpoint share is 0.
  in.setup_hours[0] = 8;
  migration_labor(in, out);
  EXPECT_DOUBLE_EQ(out.duration_days[0], 1.6);
  for (double day : {-1.0, 0.0, 1.0, 1.6, 2.0}) EXPECT_EQ(endpoints_migrated_by(in, out, 0, day), 0.0);
  // Fully billable: cost 0.
  in = example_labor();
  in.billable_share[0] = 1.0;
  migration_labor(in, out);
  EXPECT_EQ(out.cost[0], 0.0);
}

TEST(Schedule, LinearScheduleByHand) {
  const LaborInputs in = example_labor(100.0, 1.0);
  LaborResult out;
  migration_labor(in, out);
  // Setup ends at day 1.6; endpoint share of the other work = 50 / (131 - 8) = 50/123;
  // W(t) = (50/123) * (t - 1.6) * 5 h/day; n = W / 0.5 h = (100 / 24.6) * (t - 1.6).
  EXPECT_EQ(endpoints_migrated_by(in, out, 0, -3.0), 0.0);  // before the migration starts
  EXPECT_EQ(endpoints_migrated_by(in, out, 0, 1.0), 0.0);   // building the script
  EXPECT_EQ(endpoints_migrated_by(in, out, 0, 1.6), 0.0);   // end of setup
  // t = 7.75: (100 / 24.6) * 6.15 = 25
  EXPECT_NEAR(endpoints_migrated_by(in, out, 0, 7.75), 25.0, 1e-12);
  // t = 13.9: (100 / 24.6) * 12.3 = 50
  EXPECT_NEAR(endpoints_migrated_by(in, out, 0, 13.9), 50.0, 1e-12);
  EXPECT_EQ(endpoints_migrated_by(in, out, 0, 26.2), 100.0);  // duration_days
  EXPECT_EQ(endpoints_migrated_by(in, out, 0, 40.0), 100.0);
}

TEST(Schedule, LearningScheduleByHand) {
  const LaborInputs in = example_labor(100.0, 0.8);
  LaborResult out;
  migration_labor(in, out);
  // Other work = 97.339039 - 8 = 89.339039 h, of which endpoints 16.339039 h.
  // Day 11.6, 10 days after setup: W = (16.339039 / 89.339039) * 10 * 5 = 0.182889 * 50 = 9.144400 h,
  // s = W / 0.5 = 18.288801, n = (0.678072 * 18.288801 + 0.625)^(1/0.678072) - 0.5
  //   = 13.026122^1.474770 - 0.5 = exp(1.474770 * 2.566957) - 0.5 = exp(3.785670) - 0.5 = 44.065201 - 0.5
  //   = 43.565201
  EXPECT_NEAR(endpoints_migrated_by(in, out, 0, 11.6), 43.565201, 1e-5);
  EXPECT_EQ(endpoints_migrated_by(in, out, 0, out.duration_days[0]), 100.0);
}

TEST(Schedule, NonDecreasingAndReachesEAtDuration) {
  std::mt19937_64 rng(20240929);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int trial = 0; trial < 300; ++trial) {
    const double e = trial % 7 == 0 ? std::floor(3.0 * u(rng)) : std::round(std::exp(u(rng) * std::log(1e6)));
    LaborInputs in = example_labor(e, 0.6 + 0.4 * u(rng));
    if (trial % 5 == 0) in.learning_rate[0] = 1.0;
    in.clients[0] = std::floor(50 * u(rng));
    in.first_endpoint_hours[0] = std::exp(std::log(1e-3) + u(rng) * std::log(1e6));
    in.setup_hours[0] = trial % 3 == 0 ? 0.0 : 40 * u(rng);
    in.capacity_hours_per_week[0] = 0.5 + 100 * u(rng);
    LaborResult out;
    migration_labor(in, out);
    const double t_s = out.setup_days[0], t_e = out.duration_days[0];
    ASSERT_TRUE(std::isfinite(t_e));
    double previous = -1.0;
    for (int j = 0; j <= 2000; ++j) {
      const double day = -5.0 + (t_e * 1.1 + 5.0) * j / 2000.0;
      const double n = endpoints_migrated_by(in, out, 0, day);
      ASSERT_TRUE(std::isfinite(n));
      ASSERT_GE(n, previous) << "trial " << trial << " day " << day;
      ASSERT_GE(n, 0.0);
      ASSERT_LE(n, e);
      previous = n;
    }
    EXPECT_EQ(endpoints_migrated_by(in, out, 0, t_s), 0.0);
    EXPECT_EQ(endpoints_migrated_by(in, out, 0, t_e), e);
    // Continuous at the end: the formula itself reaches E there, not only the cap.
    const double just_before = t_e - 1e-9 * (t_e - t_s);
    if (e > 0) {
      EXPECT_NEAR(endpoints_migrated_by(in, out, 0, just_before), e, 1e-6 * e + 1e-6) << trial;
    }
  }
}

// ---------------------------------------------------------------------------
// Lost updates

LostUpdatesInputs threat(double cutoff_day, double decay_days) {
  LostUpdatesInputs in;
  in.resize(1);
  in.cutoff_day[0] = cutoff_day;
  in.encounters_per_endpoint_day[0] = 0.01;
  in.miss_rate_supported[0] = 0.02;
  in.frozen_miss_multiplier[0] = 5;  // m_frozen = min(1, 0.1) = 0.1, excess 0.08
  in.protection_decay_days[0] = decay_days;
  return in;
}

LostUpdatesResult run_lost(const LaborInputs& li, const LostUpdatesInputs& in) {
  LaborResult lo;
  migration_labor(li, lo);
  LostUpdatesResult out;
  lost_updates(li, lo, in, out);
  return out;
}

TEST(LostUpdates, LinearScheduleCutoffMidway) {
  // Linear schedule (learning_rate 1): setup to day 1.6, then n = (100 / 24.6)(t - 1.6) to day 26.2.
  // Cut-off at day 13.9, when n = 50: E - n falls linearly from 50 to 0 over 12.3 days.
  const LostUpdatesResult r = run_lost(example_labor(100.0, 1.0), threat(13.9, 12.3));
  // unprotected = triangle 50 * 12.3 / 2 = 307.5 endpoint-days
  EXPECT_NEAR(r.unprotected_endpoint_days[0], 307.5, 1e-10);
  // With c = 100/24.6, L = 12.3, tau = t - 13.9 and decay lambda = 12.3:
  //   integral_0^L c (L - tau)(1 - exp(-tau/lambda)) dtau = c [L^2/2 - lambda L + lambda^2 (1 - exp(-L/lambda))]
  //   = c L^2 (1/2 - 1 + 1 - e^-1) = (100/24.6 * 151.29) * (0.5 - 0.367879) = 615 * 0.132121 = 81.254144
  // expected = 0.01 encounters * 0.08 excess * 81.254144 = 0.0650033
  const double weighted = 615.0 * (0.5 - std::exp(-1.0));
  EXPECT_NEAR(weighted, 81.254144, 1e-6);
  EXPECT_NEAR(r.expected_incidents[0], 0.01 * 0.08 * weighted, 1e-12);
}

TEST(LostUpdates, LinearScheduleMigrationStartsAfterCutoff) {
  // Cut-off 10 days before the migration starts: E = 100 unprotected from day -10 to the end
  // of setup (11.6 days), then the triangle 100 * 24.6 / 2 = 1230: 1160 + 1230 = 2390.
  const double decay = 5.0;
  const LostUpdatesResult r = run_lost(example_labor(100.0, 1.0), threat(-10.0, decay));
  EXPECT_NEAR(r.unprotected_endpoint_days[0], 2390.0, 1e-9);
  // Incidents, in two pieces:
  //  before the endpoint phase: 100 * integral_0^11.6 (1 - exp(-tau/5)) dtau = 100 * 5 * (2.32 - (1 - e^-2.32))
  //    = 500 * (2.32 - 0.901726) = 709.1368
  //  endpoint phase, s = t - 1.6 in [0, 24.6], tau = 11.6 + s:
  //    (100/24.6) [24.6^2/2 - e^-2.32 (5 * 24.6 - 25 (1 - e^-4.92))]
  //    = 4.065041 * [302.58 - 0.0982736 * (123 - 25 * 0.992701)] = 4.065041 * [302.58 - 9.648840] = 1190.7775
  //  sum 1899.9143, times 0.01 * 0.08 = 1.519931
  const double before = 500.0 * (2.32 - (1.0 - std::exp(-2.32)));
  const double phase =
      100.0 / 24.6 * (24.6 * 24.6 / 2 - std::exp(-2.32) * (5.0 * 24.6 - 25.0 * (1.0 - std::exp(-4.92))));
  EXPECT_NEAR(before, 709.1368, 1e-4);
  EXPECT_NEAR(phase, 1190.7775, 1e-4);
  EXPECT_NEAR(r.expected_incidents[0], 0.0008 * (before + phase), 1e-11);
  EXPECT_NEAR(r.expected_incidents[0], 1.519931, 1e-6);
}

TEST(LostUpdates, CutoffAtStartAndDuringSetup) {
  // Cut-off at day 0: 100 * 1.6 + 1230 = 1390; at day 0.6 (during setup): 100 * 1.0 + 1230 = 1330.
  EXPECT_NEAR(run_lost(example_labor(100.0, 1.0), threat(0.0, 5.0)).unprotected_endpoint_days[0], 1390.0, 1e-9);
  EXPECT_NEAR(run_lost(example_labor(100.0, 1.0), threat(0.6, 5.0)).unprotected_endpoint_days[0], 1330.0, 1e-9);
  // At the end of setup: the triangle alone, 1230.
  EXPECT_NEAR(run_lost(example_labor(100.0, 1.0), threat(1.6, 5.0)).unprotected_endpoint_days[0], 1230.0, 1e-9);
}

TEST(LostUpdates, MigrationFinishedBeforeCutoffCostsNothing) {
  for (double lr : {0.7, 1.0}) {
    LaborInputs li = example_labor(100.0, lr);
    LaborResult lo;
    migration_labor(li, lo);
    for (double cutoff : {lo.duration_days[0], lo.duration_days[0] + 0.001, 400.0}) {
      LostUpdatesResult r;
      lost_updates(li, lo, threat(cutoff, 5.0), r);
      EXPECT_EQ(r.unprotected_endpoint_days[0], 0.0);
      EXPECT_EQ(r.expected_incidents[0], 0.0);
    }
  }
}

TEST(LostUpdates, NoEndpointsOrNoExcessCostsNothing) {
  EXPECT_EQ(run_lost(example_labor(0.0, 0.8), threat(-10.0, 5.0)).unprotected_endpoint_days[0], 0.0);
  EXPECT_EQ(run_lost(example_labor(0.0, 0.8), threat(-10.0, 5.0)).expected_incidents[0], 0.0);
  LostUpdatesInputs in = threat(-10.0, 5.0);
  in.frozen_miss_multiplier[0] = 1.0;  // frozen signatures miss no more than supported ones
  LostUpdatesResult r = run_lost(example_labor(100.0, 0.8), in);
  EXPECT_GT(r.unprotected_endpoint_days[0], 0.0);
  EXPECT_EQ(r.expected_incidents[0], 0.0);
  in = threat(-10.0, 5.0);
  in.miss_rate_supported[0] = 1.0;  // a supported product that misses everything: no excess
  EXPECT_EQ(run_lost(example_labor(100.0, 0.8), in).expected_incidents[0], 0.0);
  in.miss_rate_supported[0] = 0.0;  // nor does one that misses nothing: 0 * multiplier = 0
  EXPECT_EQ(run_lost(example_labor(100.0, 0.8), in).expected_incidents[0], 0.0);
  in.encounters_per_endpoint_day[0] = 0.0;
  in.miss_rate_supported[0] = 0.02;
  EXPECT_EQ(run_lost(example_labor(100.0, 0.8), in).expected_incidents[0], 0.0);
}

TEST(LostUpdates, FrozenMissRateIsCappedAtOne) {
  // m_supported 0.4 * 5 = 2 -> m_frozen = 1, excess 0.6 (not 1.6). Cut-off at day -1000 with a
  // 1-day decay: miss_excess = 0.6 (1 - exp(-tau)) reaches 0.6 long before the migration starts,
  // when all E = 100 endpoints are still exposed, so
  //   expected = 0.01 * 0.6 * (unprotected - 100 * integral_0^1001.6 exp(-tau) dtau)
  //            = 0.006 * (unprotected - 100 * (1 - e^-1001.6)) = 0.006 * (unprotected - 100).
  LostUpdatesInputs in = threat(-1000.0, 1.0);
  in.miss_rate_supported[0] = 0.4;
  const LostUpdatesResult r = run_lost(example_labor(100.0, 0.8), in);
  EXPECT_NEAR(r.expected_incidents[0], 0.006 * (r.unprotected_endpoint_days[0] - 100.0),
              1e-12 * r.expected_incidents[0]);
}

// Independent reference: adaptive Simpson on the public schedule endpoints_migrated_by.
double adaptive_simpson(const std::function<double(double)>& f, double a, double b, double fa, double fm,
                        double fb, double whole, double tolerance, int depth) {
  const double m = 0.5 * (a + b), lm = 0.5 * (a + m), rm = 0.5 * (m + b);
  const double flm = f(lm), frm = f(rm);
  const double left = (m - a) / 6.0 * (fa + 4.0 * flm + fm);
  const double right = (b - m) / 6.0 * (fm + 4.0 * frm + fb);
  const double delta = left + right - whole;
  if (depth <= 0 || std::fabs(delta) <= 15.0 * tolerance) return left + right + delta / 15.0;
  return adaptive_simpson(f, a, m, fa, flm, fm, left, 0.5 * tolerance, depth - 1) +
         adaptive_simpson(f, m, b, fm, frm, fb, right, 0.5 * tolerance, depth - 1);
}

double integrate(const std::function<double(double)>& f, std::vector<double> breaks, double tolerance) {
  std::sort(breaks.begin(), breaks.end());
  double total = 0.0;
  for (std::size_t i = 0; i + 1 < breaks.size(); ++i) {
    const double a = breaks[i], b = breaks[i + 1];
    if (!(b > a)) continue;
    const double fa = f(a), fm = f(0.5 * (a + b)), fb = f(b);
    const double piece_tolerance = tolerance * (b - a) / (breaks.back() - breaks.front());
    total += adaptive_simpson(f, a, b, fa, fm, fb, (b - a) / 6.0 * (fa + 4.0 * fm + fb), piece_tolerance, 60);
  }
  return total;
}

TEST(LostUpdates, MatchesFineNumericalIntegration) {
  double worst_unprotected = 0.0, worst_incidents = 0.0;
  int cases = 0;
  for (double e : {1.0, 350.0, 2500.0, 1e5}) {
    for (double lr : {0.6, 0.85, 0.95}) {
      LaborInputs li = example_labor(e, lr);
      LaborResult lo;
      migration_labor(li, lo);
      const double t_s = lo.setup_days[0], t_e = lo.duration_days[0];
      for (double decay : {0.05, 30.0, 2000.0}) {
        for (double cutoff : {-20.0, 0.5 * t_s, t_s + 0.1 * (t_e - t_s), t_s + 0.6 * (t_e - t_s),
                              t_s + 0.99 * (t_e - t_s)}) {
          LostUpdatesInputs in = threat(cutoff, decay);
          LostUpdatesResult r;
          lost_updates(li, lo, in, r);
          auto remaining = [&](double t) { return e - endpoints_migrated_by(li, lo, 0, t); };
          auto weighted = [&](double t) { return remaining(t) * -std::expm1(-(t - cutoff) / decay); };
          std::vector<double> breaks{cutoff, t_e};
          if (t_s > cutoff) breaks.push_back(t_s);
          // Help the reference through the early, fast-changing part of the schedule and the decay.
          for (double f : {1e-6, 1e-4, 1e-2, 0.1}) {
            const double t = t_s + f * (t_e - t_s);
            if (t > cutoff) breaks.push_back(t);
          }
          for (double k : {1.0, 5.0, 20.0}) {
            const double t = cutoff + k * decay;
            if (t < t_e) breaks.push_back(t);
          }
          const double scale = e * (t_e - cutoff);
          const double u_ref = integrate(remaining, breaks, 1e-13 * scale);
          const double w_ref = 0.01 * 0.08 * integrate(weighted, breaks, 1e-13 * scale);
          const double eu = std::fabs(r.unprotected_endpoint_days[0] / u_ref - 1.0);
          const double ew = std::fabs(r.expected_incidents[0] / w_ref - 1.0);
          EXPECT_LT(eu, 1e-8) << "E=" << e << " lr=" << lr << " decay=" << decay << " cutoff=" << cutoff;
          EXPECT_LT(ew, 1e-8) << "E=" << e << " lr=" << lr << " decay=" << decay << " cutoff=" << cutoff;
          worst_unprotected = std::max(worst_unprotected, eu);
          worst_incidents = std::max(worst_incidents, ew);
          ++cases;
        }
      }
    }
  }
  std::printf("lost updates vs adaptive Simpson, %d cases: worst relative error %.2e (endpoint-days), %.2e (incidents)\n",
              cases, worst_unprotected, worst_incidents);
}

TEST(LostUpdates, FiniteBoundedAndBlockIndependentOverValidRanges) {
  // Property: 0 <= incidents <= encounters * excess * unprotected <= encounters * excess * E (t_end - t_c).
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  auto log_uniform = [&](double lo, double hi) { return std::exp(std::log(lo) + u(rng) * std::log(hi / lo)); };
  const int n = 4000;
  LaborInputs li;
  li.resize(n);
  LostUpdatesInputs in;
  in.resize(n);
  for (int i = 0; i < n; ++i) {
    li.endpoints[i] = i % 11 == 0 ? 0.0 : std::floor(log_uniform(1.0, 1e7));
    li.clients[i] = std::floor(log_uniform(1.0, 1e4));
    li.first_endpoint_hours[i] = log_uniform(1e-3, 1e3);
    li.learning_rate[i] = i % 13 == 0 ? 1.0 : 0.6 + 0.4 * u(rng);
    li.setup_hours[i] = i % 3 == 0 ? 0.0 : log_uniform(1e-2, 1e5);
    li.config_hours_per_client[i] = u(rng);
    li.failed_install_share[i] = u(rng);
    li.rework_hours_per_failed_install[i] = u(rng);
    li.broken_app_client_share[i] = u(rng);
    li.fix_hours_per_broken_client[i] = u(rng);
    li.overhead_hours_per_client[i] = u(rng);
    li.technician_cost_per_hour[i] = 100 * u(rng);
    li.billable_share[i] = u(rng);
    li.capacity_hours_per_week[i] = log_uniform(0.01, 1e5);
    in.encounters_per_endpoint_day[i] = log_uniform(1e-6, 1e3);
    in.miss_rate_supported[i] = u(rng);
    in.frozen_miss_multiplier[i] = log_uniform(1.0, 1e4);
    in.protection_decay_days[i] = log_uniform(0.01, 1e4);
  }
  LaborResult lo;
  migration_labor(li, lo);
  for (int i = 0; i < n; ++i) in.cutoff_day[i] = -30.0 + (lo.duration_days[i] + 60.0) * u(rng);
  LostUpdatesResult r;
  lost_updates(li, lo, in, r);
  ASSERT_TRUE(all_finite(lo.hours) && all_finite(lo.cost) && all_finite(lo.duration_days));
  ASSERT_TRUE(all_finite(r.unprotected_endpoint_days));
  ASSERT_TRUE(all_finite(r.expected_incidents));
  for (int i = 0; i < n; ++i) {
    const double excess = std::min(1.0, in.miss_rate_supported[i] * in.frozen_miss_multiplier[i]) -
                          in.miss_rate_supported[i];
    const double window = std::max(0.0, lo.duration_days[i] - in.cutoff_day[i]);
    EXPECT_GE(r.unprotected_endpoint_days[i], 0.0) << i;
    EXPECT_LE(r.unprotected_endpoint_days[i], li.endpoints[i] * window * (1 + 1e-12)) << i;
    EXPECT_GE(r.expected_incidents[i], 0.0) << i;
    EXPECT_LE(r.expected_incidents[i],
              in.encounters_per_endpoint_day[i] * excess * r.unprotected_endpoint_days[i] * (1 + 1e-12))
        << i;
  }
  // A trial's results do not depend on the other trials of its block (the
  // kernel batches the trials that reach the endpoint phase): each trial
  // alone gives the same bits as in the block of 4,000.
  for (int i = 0; i < n; ++i) {
    LaborInputs li1;
    li1.endpoints = li.endpoints.segment(i, 1);
    LaborResult lo1;
    lo1.learning_sum = lo.learning_sum.segment(i, 1);
    lo1.learning_exponent = lo.learning_exponent.segment(i, 1);
    lo1.end_power = lo.end_power.segment(i, 1);
    lo1.setup_days = lo.setup_days.segment(i, 1);
    lo1.duration_days = lo.duration_days.segment(i, 1);
    LostUpdatesInputs in1;
    in1.cutoff_day = in.cutoff_day.segment(i, 1);
    in1.encounters_per_endpoint_day = in.encounters_per_endpoint_day.segment(i, 1);
    in1.miss_rate_supported = in.miss_rate_supported.segment(i, 1);
    in1.frozen_miss_multiplier = in.frozen_miss_multiplier.segment(i, 1);
    in1.protection_decay_days = in.protection_decay_days.segment(i, 1);
    LostUpdatesResult r1;
    lost_updates(li1, lo1, in1, r1);
    ASSERT_EQ(std::memcmp(&r1.unprotected_endpoint_days[0], &r.unprotected_endpoint_days[i], sizeof(double)), 0) << i;
    ASSERT_EQ(std::memcmp(&r1.expected_incidents[0], &r.expected_incidents[i], sizeof(double)), 0) << i;
  }
}

TEST(LostUpdates, ResizesOutputs) {
  LaborInputs li = example_labor();
  LaborResult lo;
  migration_labor(li, lo);
  LostUpdatesResult r;
  r.resize(5);
  lost_updates(li, lo, threat(3.0, 5.0), r);
  EXPECT_EQ(r.unprotected_endpoint_days.size(), 1);
  EXPECT_EQ(r.expected_incidents.size(), 1);
  LostUpdatesInputs in;
  in.resize(4);
  EXPECT_EQ(in.protection_decay_days.size(), 4);
}

// ---------------------------------------------------------------------------
// Pricing

PricingInputs pricing_case(double endpoints) {
  PricingInputs in;
  in.resize(1);
  in.endpoints[0] = endpoints;
  in.new_price_per_endpoint_month[0] = 5;
  in.old_price_per_endpoint_month[0] = 3;
  in.new_annual_escalation[0] = 0;
  in.old_annual_escalation[0] = 0;
  in.promo_months[0] = 0;
  in.promo_discount[0] = 0;
  in.new_setup_fee_per_endpoint[0] = 0;
  in.new_setup_fee_per_msp[0] = 0;
  in.share_passed_to_clients[0] = 0;
  in.discount_rate_per_year[0] = 0;
  in.horizon_months = 36;
  return in;
}

PricingResult run_pricing(const PricingInputs& in) {
  PricingResult out;
  competitor_pricing(in, out);
  return out;
}

TEST(Pricing, HandFlatPricesNoDiscounting) {
  PricingInputs in = pricing_case(100);
  in.share_passed_to_clients[0] = 0.25;
  in.new_setup_fee_per_endpoint[0] = 2;
  in.new_setup_fee_per_msp[0] = 500;
  const PricingResult r = run_pricing(in);
  // pv = 100 endpoints * 36 months * (5 - 3) = 7200
  EXPECT_DOUBLE_EQ(r.price_delta_pv[0], 7200.0);
  // cost = 0.75 * 7200 + 2 * 100 + 500 = 5400 + 700 = 6100
  EXPECT_DOUBLE_EQ(r.cost[0], 6100.0);
  // Everything passed on: only the fees stay.
  in.share_passed_to_clients[0] = 1.0;
  EXPECT_DOUBLE_EQ(run_pricing(in).cost[0], 700.0);
}

TEST(Pricing, HandFractionalPromo) {
  PricingInputs in = pricing_case(10);
  in.new_price_per_endpoint_month[0] = 10;
  in.old_price_per_endpoint_month[0] = 10;
  in.promo_months[0] = 2.5;
  in.promo_discount[0] = 0.5;
  in.horizon_months = 12;
  // new: months 0, 1 at 10 * 0.5 = 5; month 2 at 10 * (1 - 0.5 * 0.5) = 7.5; months 3..11 at 10
  //      = 5 + 5 + 7.5 + 90 = 107.5; old 12 * 10 = 120; pv = 10 * (107.5 - 120) = -125 (a saving)
  EXPECT_DOUBLE_EQ(run_pricing(in).price_delta_pv[0], -125.0);
  EXPECT_DOUBLE_EQ(run_pricing(in).cost[0], -125.0);
}

TEST(Pricing, HandPromoLongerThanHorizon) {
  PricingInputs in = pricing_case(10);
  in.promo_months[0] = 40.7;
  in.promo_discount[0] = 1.0;  // free for the whole 36-month horizon
  // pv = 10 * (0 - 36 * 3) = -1080
  EXPECT_DOUBLE_EQ(run_pricing(in).price_delta_pv[0], -1080.0);
  in.promo_months[0] = 36.0;  // exactly the horizon
  EXPECT_DOUBLE_EQ(run_pricing(in).price_delta_pv[0], -1080.0);
  in.promo_months[0] = 35.5;  // last month half price: 10 * (0.5 * 5 - 36 * 3) = -1055
  EXPECT_DOUBLE_EQ(run_pricing(in).price_delta_pv[0], -1055.0);
}

TEST(Pricing, HandEscalationAcrossYears) {
  PricingInputs in = pricing_case(1);
  in.new_price_per_endpoint_month[0] = 10;
  in.old_price_per_endpoint_month[0] = 0;
  in.new_annual_escalation[0] = 0.1;
  in.horizon_months = 24;
  // 12 * 10 + 12 * 11 = 252
  EXPECT_NEAR(run_pricing(in).price_delta_pv[0], 252.0, 1e-12);
  in.horizon_months = 18;  // 12 * 10 + 6 * 11 = 186
  EXPECT_NEAR(run_pricing(in).price_delta_pv[0], 186.0, 1e-12);
  in.horizon_months = 30;  // 120 + 132 + 6 * 12.1 = 324.6
  EXPECT_NEAR(run_pricing(in).price_delta_pv[0], 324.6, 1e-12);
  in.old_price_per_endpoint_month[0] = 10;
  in.old_annual_escalation[0] = -0.5;  // old: 120 + 12 * 5 + 6 * 2.5 = 195; delta 324.6 - 195 = 129.6
  EXPECT_NEAR(run_pricing(in).price_delta_pv[0], 129.6, 1e-12);
}

TEST(Pricing, HandDiscounting) {
  PricingInputs in = pricing_case(1);
  in.new_price_per_endpoint_month[0] = 1;
  in.old_price_per_endpoint_month[0] = 0;
  in.discount_rate_per_year[0] = 0.12;
  in.horizon_months = 12;
  // v = 1.12^(-1/12) = exp(-0.113329 / 12) = exp(-0.00944406) = 0.99060040;
  // sum_{m<12} v^m = (1 - v^12) / (1 - v) = (1 - 1/1.12) / 0.00939960 = 0.107143 / 0.00939960 = 11.398659
  EXPECT_NEAR(run_pricing(in).price_delta_pv[0], 11.398659, 1e-6);
  in.horizon_months = 24;  // second year worth 1/1.12: 11.398659 * (1 + 0.892857) = 21.576033
  EXPECT_NEAR(run_pricing(in).price_delta_pv[0], 21.576033, 1e-6);
}

TEST(Pricing, HorizonZeroLeavesOnlyFees) {
  PricingInputs in = pricing_case(100);
  in.horizon_months = 0;
  in.new_setup_fee_per_endpoint[0] = 2;
  in.new_setup_fee_per_msp[0] = 500;
  in.promo_months[0] = 3;
  in.promo_discount[0] = 0.5;
  const PricingResult r = run_pricing(in);
  EXPECT_EQ(r.price_delta_pv[0], 0.0);
  EXPECT_DOUBLE_EQ(r.cost[0], 700.0);  // 2 * 100 + 500
}

TEST(Pricing, VolumeDiscountHighestQualifyingTier) {
  const std::vector<VolumeTier> tiers{{1000, 0.15}, {0, 0.0}, {100, 0.05}, {500, 0.10}};  // unsorted
  EXPECT_EQ(volume_discount(tiers, 0), 0.0);
  EXPECT_EQ(volume_discount(tiers, 99), 0.0);
  EXPECT_EQ(volume_discount(tiers, 100), 0.05);  // min_endpoints <= E: the boundary qualifies
  EXPECT_EQ(volume_discount(tiers, 499.9), 0.05);
  EXPECT_EQ(volume_discount(tiers, 500), 0.10);
  EXPECT_EQ(volume_discount(tiers, 5000), 0.15);
  EXPECT_EQ(volume_discount({}, 5000), 0.0);
  EXPECT_EQ(volume_discount({{200, 0.2}}, 150), 0.0);  // no tier reached
  // Equal thresholds: the larger discount, whatever the order.
  EXPECT_EQ(volume_discount({{100, 0.05}, {100, 0.07}}, 150), 0.07);
  EXPECT_EQ(volume_discount({{100, 0.07}, {100, 0.05}}, 150), 0.07);
}

TEST(Pricing, VolumeDiscountPerTrial) {
  PricingInputs in;
  in.resize(3);
  for (Eigen::Index i = 0; i < 3; ++i) {
    in.new_price_per_endpoint_month[i] = 10;
    in.old_price_per_endpoint_month[i] = 0;
    in.new_annual_escalation[i] = 0;
    in.old_annual_escalation[i] = 0;
    in.promo_months[i] = 0;
    in.promo_discount[i] = 0;
    in.new_setup_fee_per_endpoint[i] = 0;
    in.new_setup_fee_per_msp[i] = 0;
    in.share_passed_to_clients[i] = 0;
    in.discount_rate_per_year[i] = 0;
  }
  in.endpoints << 50, 600, 2000;
  in.volume_tiers = {{1000, 0.2}, {500, 0.1}};
  in.horizon_months = 12;
  PricingResult out;
  out.resize(1);
  competitor_pricing(in, out);
  ASSERT_EQ(out.price_delta_pv.size(), 3);
  ASSERT_EQ(out.cost.size(), 3);
  EXPECT_DOUBLE_EQ(out.price_delta_pv[0], 6000.0);     // 50 * 12 * 10
  EXPECT_DOUBLE_EQ(out.price_delta_pv[1], 64800.0);    // 600 * 12 * 10 * 0.9
  EXPECT_DOUBLE_EQ(out.price_delta_pv[2], 192000.0);   // 2000 * 12 * 10 * 0.8
}

// Brute force: the header's month loop, literally.
struct BruteForce {
  double pv;         // E * sum_m v^m (new(m) - old(m))
  double magnitude;  // E * sum_m v^m (|new(m)| + |old(m)|), the scale of the rounding error
};

double brute_volume_discount(std::vector<VolumeTier> tiers, double endpoints) {
  std::stable_sort(tiers.begin(), tiers.end(), [](const VolumeTier& a, const VolumeTier& b) {
    return a.min_endpoints < b.min_endpoints || (a.min_endpoints == b.min_endpoints && a.discount < b.discount);
  });
  double d = 0.0;
  for (const VolumeTier& t : tiers)
    if (t.min_endpoints <= endpoints) d = t.discount;
  return d;
}

BruteForce brute_pricing(const PricingInputs& in, Eigen::Index i) {
  const double v = std::pow(1.0 + in.discount_rate_per_year[i], -1.0 / 12.0);
  const double vd = brute_volume_discount(in.volume_tiers, in.endpoints[i]);
  BruteForce b{0.0, 0.0};
  for (int m = 0; m < in.horizon_months; ++m) {
    const int y = m / 12;
    const double f_promo = std::clamp(in.promo_months[i] - m, 0.0, 1.0);
    const double new_m = in.new_price_per_endpoint_month[i] * std::pow(1.0 + in.new_annual_escalation[i], y) *
                         (1.0 - vd) * (1.0 - in.promo_discount[i] * f_promo);
    const double old_m = in.old_price_per_endpoint_month[i] * std::pow(1.0 + in.old_annual_escalation[i], y);
    const double vm = std::pow(v, m);
    b.pv += vm * (new_m - old_m);
    b.magnitude += vm * (std::fabs(new_m) + std::fabs(old_m));
  }
  b.pv *= in.endpoints[i];
  b.magnitude *= in.endpoints[i];
  return b;
}

TEST(Pricing, MatchesBruteForceMonthLoop) {
  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const int n = 500;
  double worst = 0.0, worst_one_sided = 0.0;
  for (int batch = 0; batch < 20; ++batch) {
    PricingInputs in;
    in.resize(n);
    in.horizon_months = batch == 0 ? 0 : batch == 1 ? 1 : int(std::floor(121 * u(rng)));
    in.volume_tiers.clear();
    const int tiers = int(std::floor(5 * u(rng)));
    for (int t = 0; t < tiers; ++t) in.volume_tiers.push_back({std::floor(3000 * u(rng)), 0.5 * u(rng)});
    for (int i = 0; i < n; ++i) {
      in.endpoints[i] = i % 10 == 0 && tiers > 0 ? in.volume_tiers[0].min_endpoints : std::floor(5000 * u(rng));
      in.new_price_per_endpoint_month[i] = 20 * u(rng);
      in.old_price_per_endpoint_month[i] = i % 4 == 0 ? 0.0 : 20 * u(rng);  // one-sided: a strict relative check
      in.new_annual_escalation[i] = i % 5 == 0 ? 0.0 : -0.5 + 1.5 * u(rng);
      in.old_annual_escalation[i] = -0.5 + 1.5 * u(rng);
      const int promo_kind = i % 4;
      in.promo_months[i] = promo_kind == 0   ? 0.0
                           : promo_kind == 1 ? std::floor(24 * u(rng))  // whole months
                           : promo_kind == 2 ? 130 * u(rng)             // fractional, may pass the horizon
                                             : 3 * u(rng);
      in.promo_discount[i] = u(rng);
      in.new_setup_fee_per_endpoint[i] = 10 * u(rng);
      in.new_setup_fee_per_msp[i] = 1000 * u(rng);
      in.share_passed_to_clients[i] = u(rng);
      in.discount_rate_per_year[i] = i % 3 == 0 ? 0.0 : i % 3 == 1 ? 1e-9 * u(rng) : u(rng);
    }
    const PricingResult r = run_pricing(in);
    ASSERT_TRUE(all_finite(r.price_delta_pv) && all_finite(r.cost));
    for (int i = 0; i < n; ++i) {
      const BruteForce b = brute_pricing(in, i);
      const double error = std::fabs(r.price_delta_pv[i] - b.pv);
      EXPECT_LE(error, 1e-12 * b.magnitude) << "batch " << batch << " trial " << i;
      if (b.magnitude > 0) worst = std::max(worst, error / b.magnitude);
      if (in.old_price_per_endpoint_month[i] == 0.0 && b.pv != 0.0) {
        EXPECT_LE(error, 1e-12 * std::fabs(b.pv)) << "batch " << batch << " trial " << i;
        worst_one_sided = std::max(worst_one_sided, error / std::fabs(b.pv));
      }
      const double cost = (1.0 - in.share_passed_to_clients[i]) * b.pv +
                          in.new_setup_fee_per_endpoint[i] * in.endpoints[i] + in.new_setup_fee_per_msp[i];
      EXPECT_NEAR(r.cost[i], cost, 1e-12 * (b.magnitude + std::fabs(cost))) << "batch " << batch << " trial " << i;
    }
  }
  std::printf("pricing vs month loop, %d trials: worst error %.2e of the magnitude, %.2e relative (old price 0)\n",
              20 * n, worst, worst_one_sided);
}

// A block whose trials share one discount rate (a constant input, as in the
// shipped scenarios) takes the tabulated path of price_factors; it must give
// the bits of the per-trial path, which a block of mixed rates takes.
TEST(Pricing, SharedDiscountRateGivesThePerTrialBits) {
  std::mt19937_64 rng(777);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const int n = 400;
  for (const double rate : {0.0, 1e-12, 0.08, 0.35, 2.0}) {
    for (const int horizon : {0, 1, 11, 12, 13, 36, 61}) {
      PricingInputs shared;
      shared.resize(n);
      shared.horizon_months = horizon;
      for (int i = 0; i < n; ++i) {
        shared.endpoints[i] = std::floor(5000 * u(rng));
        shared.new_price_per_endpoint_month[i] = 20 * u(rng);
        shared.old_price_per_endpoint_month[i] = 20 * u(rng);
        shared.new_annual_escalation[i] = -0.5 + 1.5 * u(rng);
        shared.old_annual_escalation[i] = -0.5 + 1.5 * u(rng);
        shared.promo_months[i] = i % 3 == 0 ? 0.0 : i % 3 == 1 ? std::floor(30 * u(rng)) : 70 * u(rng);
        shared.promo_discount[i] = u(rng);
        shared.new_setup_fee_per_endpoint[i] = 0;
        shared.new_setup_fee_per_msp[i] = 0;
        shared.share_passed_to_clients[i] = u(rng);
        shared.discount_rate_per_year[i] = rate;
      }
      PriceFactors tabulated, per_trial;
      price_factors(shared, tabulated);
      PricingInputs mixed = shared;  // the same trials, with trial 0's rate changed: per-trial path
      mixed.discount_rate_per_year[0] = rate + 0.5;
      price_factors(mixed, per_trial);
      for (int i = 1; i < n; ++i) {
        ASSERT_EQ(tabulated.new_factor[i], per_trial.new_factor[i]) << "rate " << rate << " horizon " << horizon;
        ASSERT_EQ(tabulated.old_factor[i], per_trial.old_factor[i]) << "rate " << rate << " horizon " << horizon;
      }
      const PricingResult r = run_pricing(shared);
      for (int i = 0; i < n; ++i) {
        const BruteForce b = brute_pricing(shared, i);
        EXPECT_LE(std::fabs(r.price_delta_pv[i] - b.pv), 1e-12 * b.magnitude) << "rate " << rate << " trial " << i;
      }
    }
  }
}

// A block whose trials share the discount rate and the promotion (the shipped
// price sets' promo_months and promo_discount are constants) sums each year
// once for the block; it must give the bits of the per-trial paths, which a
// block with one trial's promotion or rate changed takes.
TEST(Pricing, SharedPromotionGivesThePerTrialBits) {
  std::mt19937_64 rng(778);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  auto same_bits = [](double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; };
  const int n = 300;
  for (const double rate : {0.0, 0.08, 2.0}) {
    for (const int horizon : {0, 1, 12, 13, 36, 61}) {
      for (const double promo_months : {0.0, 3.0, 12.0, 14.5, 70.25}) {
        PricingInputs shared;
        shared.resize(n);
        shared.horizon_months = horizon;
        for (int i = 0; i < n; ++i) {
          shared.new_annual_escalation[i] = -0.5 + 1.5 * u(rng);
          shared.old_annual_escalation[i] = -0.5 + 1.5 * u(rng);
          shared.promo_months[i] = promo_months;
          shared.promo_discount[i] = 0.3;
          shared.discount_rate_per_year[i] = rate;
        }
        PriceFactors block, per_trial, direct;
        price_factors(shared, block);
        PricingInputs other_promo = shared;  // trial 0's promotion changed: per trial, tabulated rate
        other_promo.promo_months[0] = promo_months + 1.0;
        price_factors(other_promo, per_trial);
        PricingInputs other_rate = shared;  // trial 0's rate changed: per trial, rate per trial
        other_rate.discount_rate_per_year[0] = rate + 0.5;
        price_factors(other_rate, direct);
        for (int i = 1; i < n; ++i) {
          for (const PriceFactors* f : {&per_trial, &direct}) {
            ASSERT_TRUE(same_bits(block.new_factor[i], f->new_factor[i]))
                << "rate " << rate << " horizon " << horizon << " promo " << promo_months << " trial " << i;
            ASSERT_TRUE(same_bits(block.old_factor[i], f->old_factor[i]))
                << "rate " << rate << " horizon " << horizon << " promo " << promo_months << " trial " << i;
            ASSERT_TRUE(same_bits(block.monthly_discount[i], f->monthly_discount[i]));
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Stranded licences and refunds

// Licences on the migration schedule (models/pricing.h, scheduled form), on
// the linear schedule of example_labor(100, 1): setup ends on day 1.6,
// n(t) = (100 / 24.6) (t - 1.6), all 100 endpoints by day 26.2. D = 30.4375
// days. Prices 5 (new) and 3 (old), flat, undiscounted, over 36 months: the
// instant switch is 100 * 36 * (5 - 3) = 7200.
struct ScheduledCase {
  PricingInputs in = pricing_case(100);
  LaborInputs labor = example_labor(100.0, 1.0);
  LaborResult labor_out;
  Column delay = Column::Zero(1);
  ScheduledCase() {
    migration_labor(labor, labor_out);
    in.overlap_months[0] = 0;
    in.new_minimum_term_months[0] = 0;
  }
  double pv() {
    PricingResult r;
    competitor_pricing(in, labor, labor_out, delay, r);
    return r.price_delta_pv[0];
  }
};

TEST(PricingSchedule, HandNoOverlapPaysTheMigrationMonthTwice) {
  ScheduledCase c;
  // Month 0: every endpoint moves in it (by day 26.2 < 30.4375): new on 100
  // (5 * 100 = 500), old still paid for the 100 not moved at its start
  // (none stopped): 500 against the instant switch's 200. Months 1..35: 200.
  // pv = 500 + 35 * 200 = 7500: one month of the old licence, 100 * 3 = 300, on top.
  EXPECT_NEAR(c.pv(), 7500.0, 1e-9);
}

TEST(PricingSchedule, HandOverlapOfOneMonthAndOfHalfAMonth) {
  ScheduledCase c;
  c.in.overlap_months[0] = 1;
  // The old licence stops a month after each move: old paid in months 0 and 1
  // for all 100: pv = 7200 + 2 * 300 = 7800.
  EXPECT_NEAR(c.pv(), 7800.0, 1e-9);
  c.in.overlap_months[0] = 0.5;  // L = 15.21875 days
  // Month 1 (s = 30.4375): stopped = n(30.4375 - 15.21875) = (100 / 24.6) * 13.61875
  //   = 55.360772357724; old still paid for 44.639227642276: 3 * that = 133.917682926829.
  // pv = 7500 + 133.917682926829 = 7633.917682926829
  EXPECT_NEAR(c.pv(), 7633.917682926829, 1e-9);
}

TEST(PricingSchedule, HandStartDelayAndMinimumTerm) {
  ScheduledCase c;
  c.delay[0] = 45;
  // s_m = 30.4375 m - 45.
  // Month 0: nothing moved by day -14.5625: new 0, old on all: delta 0.
  // Month 1: new on n(15.875) = (100 / 24.6) * 14.275 = 58.028455284553: 5 * that
  //          = 290.142276422764; old on all (n(-14.5625) = 0): delta 290.142276422764.
  // Month 2: new on 100 (n(46.3125)); old stopped for n(15.875) = 58.028455284553:
  //          500 - 3 * 58.028455284553 = 325.914634146341.
  // Months 3..35: 33 * 200 = 6600.  pv = 7216.056910569106
  EXPECT_NEAR(c.pv(), 7216.056910569106, 1e-9);
  // A 12-month term contract bills all 100 seats from the MSP's start, in the
  // month that holds it (month 1, s_1 + D = 15.875 > 0; month 0 ends before it):
  // month 1 is 5 * 100 = 500 instead of 290.142276422764: pv = 7425.914634146341.
  c.in.new_minimum_term_months[0] = 12;
  EXPECT_NEAR(c.pv(), 7425.914634146341, 1e-9);
}

TEST(PricingSchedule, InstantMigrationIsTheInstantSwitch) {
  ScheduledCase c;
  c.in.discount_rate_per_year[0] = 0.08;
  c.in.new_annual_escalation[0] = 0.05;
  c.in.old_annual_escalation[0] = 0.02;
  c.in.promo_months[0] = 2.5;
  c.in.promo_discount[0] = 0.3;
  c.in.share_passed_to_clients[0] = 0.2;
  c.labor_out.setup_days[0] = 0;
  c.labor_out.duration_days[0] = 0;  // every endpoint moved at day 0
  PricingResult scheduled, instant;
  competitor_pricing(c.in, c.labor, c.labor_out, c.delay, scheduled);
  competitor_pricing(c.in, instant);
  EXPECT_DOUBLE_EQ(scheduled.price_delta_pv[0], instant.price_delta_pv[0]);
  EXPECT_DOUBLE_EQ(scheduled.cost[0], instant.cost[0]);
}

TEST(PricingSchedule, MatchesDirectMonthLoopWithDiscountingAndLearning) {
  // The gap form against sum_m v^m (new(m) new_count(m) - old(m) n(s_m - L))
  // evaluated month by month with endpoints_migrated_by (libm), per trial.
  ScheduledCase c;
  c.labor = example_labor(100.0, 0.8);
  migration_labor(c.labor, c.labor_out);
  c.in.discount_rate_per_year[0] = 0.1;
  c.in.new_annual_escalation[0] = 0.04;
  c.in.old_annual_escalation[0] = 0.01;
  c.in.promo_months[0] = 1.5;
  c.in.promo_discount[0] = 0.5;
  for (double delay : {0.0, 10.0, 400.0, 2000.0})
    for (double overlap : {0.0, 0.7, 14.0})
      for (double term : {0.0, 3.0}) {
        c.delay[0] = delay;
        c.in.overlap_months[0] = overlap;
        c.in.new_minimum_term_months[0] = term;
        const double v = std::pow(1.1, -1.0 / 12.0);
        double expected = 0.0;
        for (int m = 0; m < 36; ++m) {
          const double s = m * days_per_month - delay;
          const double y = std::floor(m / 12.0);
          const double f = std::clamp(1.5 - m, 0.0, 1.0);
          const double new_m = 5.0 * std::pow(1.04, y) * (1.0 - 0.5 * f);
          const double old_m = 3.0 * std::pow(1.01, y);
          const bool committed = term > 0 && s + days_per_month > 0 && s < term * days_per_month;
          const double new_count =
              committed ? 100.0 : endpoints_migrated_by(c.labor, c.labor_out, 0, s + days_per_month);
          const double stopped = endpoints_migrated_by(c.labor, c.labor_out, 0, s - overlap * days_per_month);
          expected += std::pow(v, m) * (new_m * new_count - old_m * stopped);
        }
        EXPECT_NEAR(c.pv(), expected, 1e-9 * std::abs(expected) + 1e-9)
            << "delay " << delay << " overlap " << overlap << " term " << term;
      }
}

// A block of random scheduled trials (GapsMatchPlainMonthLoop's), with the
// edge cases spread over it by the trial's index.
struct ScheduleBlock {
  LaborInputs labor;
  LaborResult labor_out;
  PricingInputs in;
  Column delay;

  ScheduleBlock(std::mt19937_64& rng, int n, int horizon) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    labor.resize(n);
    for (Column* c : {&labor.billing_rate_per_hour, &labor.displaced_billable_share, &labor.technicians,
                      &labor.capacity_hours_per_technician_week})
      c->setZero();  // not read here; set so that copies of the block copy values
    delay.resize(n);
    in.resize(n);
    in.horizon_months = horizon;
    for (int i = 0; i < n; ++i) {
      labor.endpoints[i] = std::floor(1.0 + 3000.0 * u(rng) * u(rng));
      labor.clients[i] = std::floor(1.0 + labor.endpoints[i] / 12.0);
      labor.first_endpoint_hours[i] = 0.2 + 0.8 * u(rng);
      labor.learning_rate[i] = 0.6 + 0.4 * u(rng);
      labor.setup_hours[i] = 30.0 * u(rng);
      labor.config_hours_per_client[i] = 4.0 * u(rng);
      labor.failed_install_share[i] = 0.2 * u(rng);
      labor.rework_hours_per_failed_install[i] = 2.0 * u(rng);
      labor.broken_app_client_share[i] = 0.3 * u(rng);
      labor.fix_hours_per_broken_client[i] = 8.0 * u(rng);
      labor.overhead_hours_per_client[i] = 3.0 * u(rng);
      labor.technician_cost_per_hour[i] = 60;
      labor.billable_share[i] = 0.1;
      labor.capacity_hours_per_week[i] = 5.0 + 60.0 * u(rng);
      delay[i] = 150.0 * u(rng) * u(rng);
      in.endpoints[i] = labor.endpoints[i];
      in.new_price_per_endpoint_month[i] = 1.0 + 5.0 * u(rng);
      in.old_price_per_endpoint_month[i] = 1.0 + 5.0 * u(rng);
      in.new_annual_escalation[i] = -0.2 + 0.5 * u(rng);
      in.old_annual_escalation[i] = -0.2 + 0.5 * u(rng);
      in.promo_months[i] = u(rng) < 0.5 ? 0.0 : 12.0 * u(rng);
      in.promo_discount[i] = u(rng);
      in.new_setup_fee_per_endpoint[i] = 0;
      in.new_setup_fee_per_msp[i] = 0;
      in.share_passed_to_clients[i] = 0.3 * u(rng);
      in.discount_rate_per_year[i] = 0.3 * u(rng);
      in.overlap_months[i] = 3.0 * u(rng);
      in.new_minimum_term_months[i] = u(rng) < 0.8 ? 0.0 : 24.0 * u(rng);
      switch (i % 10) {
        case 0: delay[i] = 0.0; break;
        case 1: in.overlap_months[i] = 0.0; break;
        case 2: in.new_minimum_term_months[i] = 1.0 + 23.0 * u(rng); break;
        case 4: labor.learning_rate[i] = 1.0; break;
        case 5: labor.endpoints[i] = in.endpoints[i] = 0.0; break;
        case 8: delay[i] = 400.0 + 2000.0 * u(rng); break;
        default: break;
      }
    }
    migration_labor(labor, labor_out);
    for (int i = 0; i < n; ++i) {
      if (i % 10 == 3) {  // a promotion that ends inside the curve months (whole or fractional)
        const double first_curve = (delay[i] + labor_out.setup_days[i]) / days_per_month;
        const double last_curve = (delay[i] + labor_out.duration_days[i]) / days_per_month;
        in.promo_months[i] = first_curve + (last_curve - first_curve) * u(rng);
        if (i % 20 == 3) in.promo_months[i] = std::ceil(in.promo_months[i]);
      }
      if (i % 10 == 6) labor_out.setup_days[i] = labor_out.duration_days[i] = 0.0;  // a migration of 0 days
      if (i % 10 == 7) labor_out.setup_days[i] = labor_out.duration_days[i];       // all endpoints at once
    }
  }

  // The same trials in another order: trial j is this block's trial trials[j].
  ScheduleBlock(const ScheduleBlock& from, const std::vector<Eigen::Index>& trials) : ScheduleBlock(from) {
    auto take = [&](Column& c) {
      const Column source = c;
      c.resize(Eigen::Index(trials.size()));
      for (std::size_t j = 0; j < trials.size(); ++j) c[Eigen::Index(j)] = source[trials[j]];
    };
    for (Column* c : {&labor.endpoints, &labor.clients, &labor.first_endpoint_hours, &labor.learning_rate,
                      &labor.setup_hours, &labor.config_hours_per_client, &labor.failed_install_share,
                      &labor.rework_hours_per_failed_install, &labor.broken_app_client_share,
                      &labor.fix_hours_per_broken_client, &labor.overhead_hours_per_client,
                      &labor.technician_cost_per_hour, &labor.billable_share, &labor.billing_rate_per_hour,
                      &labor.displaced_billable_share, &labor.technicians,
                      &labor.capacity_hours_per_technician_week, &labor.capacity_hours_per_week,
                      &labor_out.learning_sum, &labor_out.learning_exponent, &labor_out.half_power,
                      &labor_out.end_power, &labor_out.endpoint_hours, &labor_out.hours, &labor_out.cost,
                      &labor_out.setup_days, &labor_out.duration_days, &in.endpoints,
                      &in.new_price_per_endpoint_month, &in.old_price_per_endpoint_month,
                      &in.new_annual_escalation, &in.old_annual_escalation, &in.promo_months, &in.promo_discount,
                      &in.new_setup_fee_per_endpoint, &in.new_setup_fee_per_msp, &in.share_passed_to_clients,
                      &in.discount_rate_per_year, &in.overlap_months, &in.new_minimum_term_months, &delay})
      take(*c);
  }

  PricingResult price() const {
    PricingResult r;
    competitor_pricing(in, labor, labor_out, delay, r);
    return r;
  }
};

// G_new and G_old (models/pricing.h, scheduled form) against the plain month
// loop: every month m < H, n(t) by endpoints_migrated_by (libm's log1p and
// expm1), v^m and the year factors by std::pow. The model sums only the months
// with n(t) strictly between 0 and E by the curve (each trial from its own
// first such month, in chunks of trials), the others as E or 0: random trials
// in blocks of 1,007 (chunks of mixed trials), with the edge cases spread
// over them: no delay, no overlap, a minimum term, a promotion ending inside
// the curve months, learning rate 1, no endpoints, a migration of 0 days, a
// start past the horizon; and horizons that cut the migration short.
// That check for one block: returns the worst relative error and adds the
// trials compared. With to_gap_months the loop stops at the model's M =
// min(H, ceil((d + L + duration_days) / D)) instead of H.
double expect_gaps_match_month_loop(const ScheduleBlock& block, int horizon, int& compared,
                                    bool to_gap_months = false) {
  const Eigen::Index n = block.in.endpoints.size();
  double worst = 0.0;
  const LaborInputs& labor = block.labor;
  const LaborResult& labor_out = block.labor_out;
  const PricingInputs& in = block.in;
  const Column& delay = block.delay;
  PricingResult r;
  competitor_pricing(in, labor, labor_out, delay, r);
  EXPECT_EQ(r.gap_new_pv.size(), n);
  EXPECT_EQ(r.gap_old_pv.size(), n);
  if (r.gap_new_pv.size() != n || r.gap_old_pv.size() != n) return worst;
  for (int i = 0; i < n; ++i) {
    const double e = in.endpoints[i];
    const double v = std::pow(1.0 + in.discount_rate_per_year[i], -1.0 / 12.0);
    double g_new = 0.0, g_old = 0.0, most = 0.0;  // most: every month's weighted E, the largest a gap sum can be
    const double overlap_days = in.overlap_months[i] * days_per_month;
    const double gap_months = std::ceil((delay[i] + overlap_days + labor_out.duration_days[i]) / days_per_month);
    const int last = to_gap_months ? int(std::min(double(horizon), std::max(gap_months, 0.0))) : horizon;
    for (int m = 0; m < last; ++m) {
      const double s = m * days_per_month - delay[i];
      const double year = std::floor(m / 12.0);
      const double f_promo = std::clamp(in.promo_months[i] - m, 0.0, 1.0);
      const double w_new = std::pow(v, m) * std::pow(1.0 + in.new_annual_escalation[i], year) *
                           (1.0 - in.promo_discount[i] * f_promo);
      const double w_old = std::pow(v, m) * std::pow(1.0 + in.old_annual_escalation[i], year);
      const double term = in.new_minimum_term_months[i] * days_per_month;
      const bool committed = term > 0.0 && s + days_per_month > 0.0 && s < term;
      const double new_gap = committed ? 0.0 : e - endpoints_migrated_by(labor, labor_out, i, s + days_per_month);
      const double old_gap = e - endpoints_migrated_by(labor, labor_out, i, s - in.overlap_months[i] * days_per_month);
      g_new += w_new * new_gap;
      g_old += w_old * old_gap;
      most += (w_new + w_old) * e;
    }
    // 1e-9 relative; and 1e-12 of the largest sum where E - n(t) cancels (n(t) within a
    // few ulp of E, where the model's fastmath and libm differ by ulps of E).
    const double tolerance_new = 1e-9 * g_new + 1e-12 * most;
    const double tolerance_old = 1e-9 * g_old + 1e-12 * most;
    EXPECT_NEAR(r.gap_new_pv[i], g_new, tolerance_new) << "horizon " << horizon << " trial " << i;
    EXPECT_NEAR(r.gap_old_pv[i], g_old, tolerance_old) << "horizon " << horizon << " trial " << i;
    if (g_new > 0.0) worst = std::max(worst, std::fabs(r.gap_new_pv[i] / g_new - 1.0));
    if (g_old > 0.0) worst = std::max(worst, std::fabs(r.gap_old_pv[i] / g_old - 1.0));
    if (e == 0.0 || horizon == 0) {
      EXPECT_EQ(r.gap_new_pv[i], 0.0);
      EXPECT_EQ(r.gap_old_pv[i], 0.0);
    }
    ++compared;
  }
  return worst;
}

TEST(PricingSchedule, GapsMatchPlainMonthLoop) {
  std::mt19937_64 rng(2024);
  const int n = 1007;
  double worst = 0.0;
  int compared = 0;
  for (const int horizon : {0, 1, 2, 3, 7, 13, 36, 61})
    worst = std::max(worst, expect_gaps_match_month_loop(ScheduleBlock(rng, n, horizon), horizon, compared));
  std::printf("scheduled gaps vs the plain month loop, %d trials: worst relative error %.2e\n", compared, worst);
}

// The months on the edges of the schedule: trials whose month points fall
// (to the bit or within an ulp) on t_setup or t_end, for the new licence (by
// the start delay) and the old (by the overlap), and minimum terms that end
// exactly at a month's start (the term's s_m < T D), against the plain
// month loop: each month on the right side of n = 0, 0 < n < E or n = E.
// The loop stops at the model's M: where a point falls on t_end within an
// ulp, M's real-arithmetic formula can end the gaps a month before the
// month-by-month test does (a month of gap E when t_setup = t_end).
TEST(PricingSchedule, MonthsOnTheScheduleBoundariesMatchPlainMonthLoop) {
  std::mt19937_64 rng(20261206);
  std::uniform_int_distribution<int> months(0, 3);
  const int horizon = 36;
  ScheduleBlock block(rng, 1007, horizon);
  for (int i = 0; i < 1007; ++i) {
    const double setup = block.labor_out.setup_days[i], end = block.labor_out.duration_days[i];
    const int k = months(rng);
    switch (i % 5) {
      case 0:  // new licence: month point (m + 1) D - d on t_setup
        block.delay[i] = (std::ceil(setup / days_per_month) + k) * days_per_month - setup;
        break;
      case 1:  // new licence: on t_end
        block.delay[i] = (std::ceil(end / days_per_month) + k) * days_per_month - end;
        break;
      case 2:  // old licence: m D - d - L on t_setup, no delay
        block.delay[i] = 0.0;
        block.in.overlap_months[i] = std::ceil(setup / days_per_month) + k - setup / days_per_month;
        break;
      case 3:  // old licence: on t_end
        block.delay[i] = 0.0;
        block.in.overlap_months[i] = std::ceil(end / days_per_month) + k - end / days_per_month;
        break;
      default:  // a whole-month delay and minimum term: the term ends at a month's start
        block.delay[i] = double(k) * days_per_month;
        block.in.new_minimum_term_months[i] = double(1 + k);
        break;
    }
  }
  int compared = 0;
  const double worst = expect_gaps_match_month_loop(block, horizon, compared, true);
  EXPECT_EQ(compared, 1007);
  EXPECT_LT(worst, 1e-9);
}

// The scheduled form runs a block's trials grouped by their work, in chunks:
// each trial's G_new, G_old and price terms must be the same bits whatever
// the order of the trials in the block and whichever trials share its chunk:
// the block against itself reversed and shuffled, and trials priced alone.
TEST(PricingSchedule, SameBitsWhateverTheOrderOfTrials) {
  std::mt19937_64 rng(7);
  auto same_bits = [](double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; };
  for (const int horizon : {13, 36}) {
    const ScheduleBlock block(rng, 1007, horizon);
    const PricingResult r = block.price();
    std::vector<Eigen::Index> reversed(1007), shuffled(1007);
    for (Eigen::Index i = 0; i < 1007; ++i) reversed[std::size_t(i)] = shuffled[std::size_t(i)] = 1006 - i;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    std::vector<std::vector<Eigen::Index>> orders{reversed, shuffled};
    for (Eigen::Index i = 0; i < 1007; i += 37) orders.push_back({i});  // alone in a block
    int compared = 0;
    for (const auto& order : orders) {
      const PricingResult q = ScheduleBlock(block, order).price();
      for (std::size_t j = 0; j < order.size(); ++j) {
        const Eigen::Index i = order[j], k = Eigen::Index(j);
        ASSERT_TRUE(same_bits(q.gap_new_pv[k], r.gap_new_pv[i])) << "horizon " << horizon << " trial " << i;
        ASSERT_TRUE(same_bits(q.gap_old_pv[k], r.gap_old_pv[i])) << "horizon " << horizon << " trial " << i;
        ASSERT_TRUE(same_bits(q.price_delta_pv[k], r.price_delta_pv[i])) << "horizon " << horizon << " trial " << i;
        ASSERT_TRUE(same_bits(q.cost[k], r.cost[i])) << "horizon " << horizon << " trial " << i;
        ++compared;
      }
    }
    EXPECT_EQ(compared, 2 * 1007 + 28);
    EXPECT_GT((r.gap_old_pv > 0.0).count(), 500);  // the schedule's gaps are there to compare
  }
}

// The scheduled form's price with volume tiers (per trial) and without (the
// discount 0 for all, in one vectorised expression): the formula of
// models/pricing.h from the block's own gaps and factors, term by term.
TEST(PricingSchedule, PriceDeltaWithAndWithoutVolumeTiers) {
  std::mt19937_64 rng(20261205);
  auto same_bits = [](double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; };
  for (const bool tiers : {false, true}) {
    ScheduleBlock block(rng, 500, 36);
    if (tiers) block.in.volume_tiers = {{1000, 0.2}, {200, 0.1}, {200, 0.05}};
    const PricingResult r = block.price();
    PriceFactors f;
    price_factors(block.in, f);
    for (Eigen::Index i = 0; i < 500; ++i) {
      const double e = block.in.endpoints[i];
      const double new_price =
          block.in.new_price_per_endpoint_month[i] * (1.0 - volume_discount(block.in.volume_tiers, e));
      const double old_price = block.in.old_price_per_endpoint_month[i];
      const double pv = e * (new_price * f.new_factor[i] - old_price * f.old_factor[i]) -
                        (new_price * r.gap_new_pv[i] - old_price * r.gap_old_pv[i]);
      ASSERT_TRUE(same_bits(r.price_delta_pv[i], pv)) << "tiers " << tiers << " trial " << i;
    }
    EXPECT_GT((block.in.endpoints >= 200.0).count(), 100);  // the tiers have trials to apply to
  }
}

// The curve's constants LaborResult keeps for the schedule (p, (1/2)^p, X^p),
// against libm; exactly p = 1 and X = E + 1/2 without learning.
TEST(MigrationLabor, CurveConstantsForTheSchedule) {
  for (const double e : {0.0, 1.0, 350.0, 2500.0, 1e7}) {
    for (const double rate : {0.6, 0.75, 0.85, 0.95, 1.0}) {
      LaborInputs in = example_labor(e, rate);
      LaborResult out;
      migration_labor(in, out);
      const double p = 1.0 + std::log2(rate);
      EXPECT_NEAR(out.learning_exponent[0], p, 1e-15) << e << " " << rate;
      EXPECT_NEAR(out.half_power[0], std::pow(0.5, p), 4e-16) << e << " " << rate;
      EXPECT_NEAR(out.end_power[0], std::pow(e + 0.5, p), 1e-14 * std::pow(e + 0.5, p)) << e << " " << rate;
      if (rate == 1.0) {
        EXPECT_EQ(out.learning_exponent[0], 1.0);
        EXPECT_EQ(out.end_power[0], e + 0.5);
      }
    }
  }
}

TEST(MigrationLabor, HandForgoneBillingBasis) {
  LaborInputs in = example_labor(100.0, 1.0);
  in.billing_rate_per_hour.setConstant(150);
  in.displaced_billable_share.setConstant(0.4);
  LaborResult out;
  migration_labor(in, out);
  // Loaded (the default): 131 h * 80 USD/h * (1 - 0.25) = 7860, the billing inputs unread.
  EXPECT_EQ(in.cost_basis, CostBasis::loaded);
  EXPECT_DOUBLE_EQ(out.cost[0], 7860.0);
  // Forgone billing: rate = 0.4 * 150 + 0.6 * 80 = 108 USD/h; 131 * 0.75 * 108 = 10611.
  in.cost_basis = CostBasis::forgone_billing;
  migration_labor(in, out);
  EXPECT_NEAR(out.cost[0], 10611.0, 1e-9);
  // No hour displaces billable work: the loaded cost again.
  in.displaced_billable_share.setConstant(0.0);
  migration_labor(in, out);
  EXPECT_NEAR(out.cost[0], 7860.0, 1e-9);
  // Hours and the schedule do not depend on the basis.
  EXPECT_DOUBLE_EQ(out.hours[0], 131.0);
  EXPECT_DOUBLE_EQ(out.duration_days[0], 26.2);
  EXPECT_STREQ(cost_basis_name(CostBasis::forgone_billing), "forgone_billing");
  EXPECT_STREQ(cost_basis_name(CostBasis::loaded), "loaded");
}

// Calibration (scenarios/SOURCES.md, "Calibrations"): the learning-rate
// range pert [0.75, 0.85, 0.95] is chosen so that, with the first endpoint
// at 30 min, the average minutes per endpoint at 350 endpoints (4.4, 9.9,
// 21.0) bracket DOMAIN-DATA §2's RMM-scripted 2-5-12 min and its ~14 min check.
TEST(Calibration, LearningRatesBracketScriptedMinutesPerEndpoint) {
  auto minutes = [](double rate) { return learning_curve_sum(350.0, rate) * 30.0 / 350.0; };
  EXPECT_NEAR(minutes(0.75), 4.4, 0.05);
  EXPECT_NEAR(minutes(0.85), 9.9, 0.05);
  EXPECT_NEAR(minutes(0.95), 21.0, 0.05);
  EXPECT_LT(minutes(0.75), 5.0);   // the scripted likely value lies inside the range
  EXPECT_GT(minutes(0.95), 14.0);  // and so does the ~14 min check
}

TEST(Stranded, HandValues) {
  StrandedInputs in;
  in.resize(2);
  in.endpoints << 200, 0;
  in.old_price_per_endpoint_month << 3, 3;
  in.prepaid_share << 0.5, 0.5;
  in.prepaid_months_remaining << 8, 8;
  in.recovered_share << 0.25, 0.25;
  in.client_prepaid_share << 0.3, 0.3;
  in.client_prepaid_months_remaining << 6, 6;
  in.client_price_per_endpoint_month << 5, 5;
  in.refund_share << 0.8, 0.8;
  StrandedResult out;
  stranded_licences(in, out);
  ASSERT_EQ(out.stranded_cost.size(), 2);
  ASSERT_EQ(out.refund_cost.size(), 2);
  // stranded = 200 * 0.5 * 8 months * 3 USD * (1 - 0.25) = 800 * 3 * 0.75 = 1800
  EXPECT_DOUBLE_EQ(out.stranded_cost[0], 1800.0);
  // refunds = 200 * 0.3 * 6 months * 5 USD * 0.8 = 360 * 5 * 0.8 = 1440
  EXPECT_DOUBLE_EQ(out.refund_cost[0], 1440.0);
  EXPECT_EQ(out.stranded_cost[1], 0.0);  // E = 0
  EXPECT_EQ(out.refund_cost[1], 0.0);
  // Fully recovered, nothing refunded.
  in.recovered_share << 1, 1;
  in.refund_share << 0, 0;
  stranded_licences(in, out);
  EXPECT_EQ(out.stranded_cost[0], 0.0);
  EXPECT_EQ(out.refund_cost[0], 0.0);
}

// ---------------------------------------------------------------------------
// Extras

TEST(Extras, EachPer) {
  Column amount(2), endpoints(2), clients(2);
  amount << 10, 20;
  endpoints << 100, 0;
  clients << 5, 2;
  struct Case {
    ExtraPer per;
    double first, second;
  };
  const Case cases[] = {
      {ExtraPer::endpoint, 1000, 0},  // 10 * 100, 20 * 0
      {ExtraPer::client, 50, 40},     // 10 * 5, 20 * 2
      {ExtraPer::msp, 10, 20},        // the amount itself
      {ExtraPer::month, 360, 720},    // 10 * 36, 20 * 36
  };
  for (const Case& c : cases) {
    Column out = Column::Constant(2, 1.0);  // accumulates: 1 + amount * multiplier
    add_extra_item(amount, c.per, endpoints, clients, 36.0, out);
    EXPECT_DOUBLE_EQ(out[0], 1.0 + c.first);
    EXPECT_DOUBLE_EQ(out[1], 1.0 + c.second);
  }
}

TEST(Extras, AccumulatesAndSizesAnEmptyAccumulator) {
  Column amount(2), endpoints(2), clients(2);
  amount << 10, 20;
  endpoints << 100, 0;
  clients << 5, 2;
  Column out;  // empty: treated as 0
  add_extra_item(amount, ExtraPer::msp, endpoints, clients, 36.0, out);
  add_extra_item(amount, ExtraPer::client, endpoints, clients, 36.0, out);
  ASSERT_EQ(out.size(), 2);
  EXPECT_DOUBLE_EQ(out[0], 60.0);  // 10 + 50
  EXPECT_DOUBLE_EQ(out[1], 60.0);  // 20 + 40
  add_extra_item(amount, ExtraPer::month, endpoints, clients, 0.0, out);  // horizon 0 adds nothing
  EXPECT_DOUBLE_EQ(out[0], 60.0);
}

// Client downtime, by hand: cost = E x minutes / 60 x cost per user-hour x (1 - billable share).
TEST(ClientDowntime, HandComputedToTheCent) {
  Column endpoints(4);
  endpoints << 350, 60, 350, 0;
  DowntimeInputs in;
  in.minutes_per_endpoint.resize(4);
  in.minutes_per_endpoint << 15, 45, 15, 30;
  in.user_cost_per_hour.resize(4);
  in.user_cost_per_hour << 35, 50, 35, 35;
  in.billable_share.resize(4);
  in.billable_share << 0.1, 0, 1, 0;
  Column cost;
  client_downtime(endpoints, in, cost);
  ASSERT_EQ(cost.size(), 4);
  EXPECT_NEAR(cost[0], 2756.25, 0.005);  // 350 x 15/60 = 87.5 user-hours x $35 = $3,062.50, 90% borne: $2,756.25
  EXPECT_NEAR(cost[1], 2250.00, 0.005);  // 60 x 45/60 = 45 user-hours x $50, none billed
  EXPECT_EQ(cost[2], 0.0);               // all of it billed to clients
  EXPECT_EQ(cost[3], 0.0);               // no endpoints
}

// Its table: three optional per-MSP rows under downtime., each writing its own column.
TEST(ClientDowntime, TableDeclaresEveryInputOnce) {
  const auto table = downtime_inputs();
  ASSERT_EQ(table.size(), 3u);
  for (const auto& row : table) {
    EXPECT_EQ(row.key.substr(0, 9), "downtime.") << row.key;
    EXPECT_EQ(row.level, InputLevel::msp) << row.key;
    EXPECT_FALSE(row.required) << row.key;
    EXPECT_EQ(row.fallback, 0.0) << row.key;
    for (const auto& other : table) {
      if (&other != &row) {
        EXPECT_NE(other.column, row.column) << row.key;
      }
    }
  }
}

}  // namespace

// The engine: byte-identical results for any thread count and block size,
// market-level inputs shared by every MSP, per-MSP inputs not, common random
// numbers across scenarios, interruption at block boundaries, and the
// calibration case from the 2024 news coverage.
#include "sim/engine/engine.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <string>
#include <tuple>
#include <utility>
#include <vector>
#include <cmath>
#include <cstring>
#include <cctype>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <set>

#include "sim/base/parallel.h"
#include "sim/report/report.h"
#include "sim/stats/summary.h"
#include "test_util.h"

namespace switchcost::sim {
namespace {

using test::shipped_assumptions;
using test::temp_dir;
using test::write_file;

bool same_bytes(const Values& a, const Values& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

bool same_bytes(const RunResult& a, const RunResult& b) {
  if (a.msps.size() != b.msps.size() || a.trials_done != b.trials_done) return false;
  for (std::size_t m = 0; m < a.msps.size(); ++m)
    for (int o = 0; o < output_count; ++o)
      if (!same_bytes(a.msp_series(m)[std::size_t(o)], b.msp_series(m)[std::size_t(o)])) return false;
  for (int o = 0; o < output_count; ++o)
    if (!same_bytes(a.portfolio[std::size_t(o)], b.portfolio[std::size_t(o)])) return false;
  // The cost formulas' rows.
  if (a.formula_costs != b.formula_costs) return false;
  for (std::size_t f = 0; f < a.formula_costs.size(); ++f)
    if (!same_bytes(a.formula_portfolio[f], b.formula_portfolio[f])) return false;
  for (std::size_t m = 0; m < a.msps.size(); ++m) {
    const auto &x = a.msp_formula_series(m), &y = b.msp_formula_series(m);
    if (x.size() != y.size()) return false;
    for (std::size_t k = 0; k < x.size(); ++k)
      if (!same_bytes(x[k], y[k])) return false;
  }
  return true;
}

const Values& series(const RunResult& r, std::size_t msp, Output o) {
  return r.msp_series(msp)[std::size_t(o)];
}

RunResult run(const Scenario& s, std::uint64_t trials, unsigned threads, std::size_t block = 4096,
              std::uint64_t seed = 1) {
  RunOptions o;
  o.trials = trials;
  o.threads = threads;
  o.block_trials = block;
  o.seed = seed;
  return run_scenario(s, o);
}

// The arena every series of a run comes from (sim/base/values.h).
TEST(SeriesArena, CarvesAlignedDisjointPiecesUntilFull) {
  SeriesArena arena(3 * SeriesArena::huge_page);
  EXPECT_EQ(arena.capacity(), 3 * SeriesArena::huge_page);
  char* a = static_cast<char*>(arena.take(100));
  char* b = static_cast<char*>(arena.take(1));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a) % SeriesArena::huge_page, 0u) << "the start is huge-page aligned";
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b) % 64, 0u);
  EXPECT_EQ(b - a, 128) << "100 bytes round up to two cache lines";
  EXPECT_TRUE(arena.owns(a));
  EXPECT_TRUE(arena.owns(b));
  int outside = 0;
  EXPECT_FALSE(arena.owns(&outside));
  EXPECT_EQ(arena.take(3 * SeriesArena::huge_page), nullptr) << "more than is left";
  EXPECT_NE(arena.take(3 * SeriesArena::huge_page - 192), nullptr) << "exactly what is left";
  EXPECT_EQ(arena.take(1), nullptr) << "full";
}

// A short run's arena takes 4 KiB pages (a huge page is cleared whole when
// first touched), from two huge pages on it takes huge pages; the mapping
// an arena leaves serves the next one that fits in it, of either kind.
TEST(SeriesArena, SmallPagesBelowTwoHugePagesAndTheMappingIsKept) {
  const std::size_t huge = SeriesArena::huge_page;
  char* small_start = nullptr;
  {
    SeriesArena small(1000);
    EXPECT_EQ(small.capacity(), SeriesArena::small_page);
    small_start = static_cast<char*>(small.take(1000));
    ASSERT_NE(small_start, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(small_start) % SeriesArena::small_page, 0u);
    EXPECT_EQ(small.take(SeriesArena::small_page), nullptr) << "rounded to one page, not to a huge one";
  }
  {
    SeriesArena again(10);  // fits in the mapping the last one left
    EXPECT_EQ(static_cast<char*>(again.take(10)), small_start);
  }
  EXPECT_EQ(SeriesArena(2 * huge - 1).capacity(), 2 * huge) << "4 KiB pages up to just below two huge pages";
  {
    SeriesArena fresh(8 * huge);  // more than any mapping kept so far
    EXPECT_EQ(fresh.capacity(), 8 * huge);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(fresh.take(1)) % huge, 0u) << "huge-page aligned";
  }
  SeriesArena reused(3 * huge);  // in the 8 huge pages left: the same start
  EXPECT_EQ(reused.capacity(), 3 * huge);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(reused.take(1)) % huge, 0u);
}

TEST(SeriesArena, SeriesUseItAndCopiesDoNot) {
  auto arena = std::make_shared<SeriesArena>(1000 * sizeof(double));
  Values v{SeriesAllocator<double>(arena)};
  v.resize(1000);
  EXPECT_TRUE(arena->owns(v.data()));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = double(i);
  const Values copy = v;  // a copy is the caller's: plain memory, not the arena's
  EXPECT_FALSE(arena->owns(copy.data()));
  EXPECT_TRUE(same_bytes(copy, v));
  Values moved;
  moved = std::move(v);  // the memory moves with its allocator
  EXPECT_TRUE(arena->owns(moved.data()));
  EXPECT_EQ(moved[999], 999.0);
  moved.resize(300'000);  // beyond the arena: falls back to plain memory, values kept
  EXPECT_FALSE(arena->owns(moved.data()));
  EXPECT_EQ(moved[999], 999.0);
  std::weak_ptr<SeriesArena> alive = arena;
  arena.reset();
  EXPECT_FALSE(alive.expired()) << "the series hold the arena";
  moved = Values();
  v = Values();
  EXPECT_TRUE(alive.expired()) << "the arena goes with the last series that used it";
}

TEST(SeriesArena, ARunTakesEverySeriesFromOneArena) {
  const Scenario s = load_scenario({SWITCHCOST_SOURCE_DIR "/scenarios/kaspersky-2024/portfolio.yaml"});
  const RunResult r = run(s, 5'000, 2);
  const auto& arena = r.portfolio[0].get_allocator().arena;
  ASSERT_NE(arena, nullptr);
  for (const auto& msp : r.msps)
    for (const auto& v : msp.series) EXPECT_TRUE(arena->owns(v.data()));
  for (const auto& v : r.portfolio) EXPECT_TRUE(arena->owns(v.data()));
}

TEST(Engine, ByteIdenticalForAnyThreadCountAndBlockSize) {
  const Scenario s = load_scenario({SWITCHCOST_SOURCE_DIR "/scenarios/kaspersky-2024/portfolio.yaml"});
  ASSERT_EQ(s.msps.size(), 3u);
  const RunResult one = run(s, 20'000, 1);
  EXPECT_TRUE(same_bytes(one, run(s, 20'000, 2)));
  EXPECT_TRUE(same_bytes(one, run(s, 20'000, 3, 777)));
  EXPECT_TRUE(same_bytes(one, run(s, 20'000, 2, 1)));
  EXPECT_TRUE(one.complete);
  EXPECT_FALSE(same_bytes(one, run(s, 20'000, 1, 4096, 2))) << "another seed must give other values";
}

TEST(Engine, PortfolioIsTheSumOfItsMsps) {
  const Scenario s = load_scenario({SWITCHCOST_SOURCE_DIR "/scenarios/kaspersky-2024/portfolio.yaml"});
  const RunResult r = run(s, 5'000, 2);
  for (std::size_t i = 0; i < 5'000; ++i) {
    double total = 0, last = 0;
    for (std::size_t m = 0; m < r.msps.size(); ++m) {
      total += series(r, m, Output::total_cost)[i];
      last = std::max(last, series(r, m, Output::completion_day)[i]);
    }
    ASSERT_EQ(r.portfolio[std::size_t(Output::total_cost)][i], total) << "trial " << i;
    ASSERT_EQ(r.portfolio[std::size_t(Output::completion_day)][i], last) << "trial " << i;
  }
}

// --html's schedule band reads RunResult::schedules: keeping them changes no
// result, in either mode and at any thread count, and each MSP's kept
// schedule is the one its outputs came from (start + duration = completion,
// setup within the duration, its endpoints, p = log2(learning rate) + 1 in
// (0, 1]).
TEST(Engine, KeptScheduleIsTheRunsAndChangesNothing) {
  const Scenario s = load_scenario({SWITCHCOST_SOURCE_DIR "/scenarios/kaspersky-2024/portfolio.yaml"});
  for (MspStats mode : {MspStats::exact, MspStats::sketch}) {
    RunOptions o;
    o.trials = 9'000;
    o.threads = 2;
    o.msp_stats = mode;
    const RunResult plain = run_scenario(s, o);
    o.keep_schedule = true;
    const RunResult kept = run_scenario(s, o);
    o.threads = 1;
    const RunResult kept_one = run_scenario(s, o);
    ASSERT_TRUE(plain.schedules.empty());
    ASSERT_EQ(kept.schedules.size(), s.msps.size());
    for (int k = 0; k < output_count; ++k)
      ASSERT_TRUE(plain.portfolio[std::size_t(k)] == kept.portfolio[std::size_t(k)]) << output_key(Output(k));
    for (std::size_t m = 0; m < s.msps.size(); ++m) {
      const ScheduleSeries& sc = kept.schedules[m];
      EXPECT_TRUE(sc.start_day == kept_one.schedules[m].start_day && sc.learning_exponent == kept_one.schedules[m].learning_exponent);
      for (std::size_t i = 0; i < 9'000; ++i) {
        if (mode == MspStats::exact) {
          ASSERT_EQ(sc.start_day[i] + sc.duration_days[i], series(kept, m, Output::completion_day)[i]) << m << " " << i;
          ASSERT_EQ(sc.duration_days[i], series(kept, m, Output::duration_days)[i]);
        }
        ASSERT_TRUE(sc.setup_days[i] >= 0 && sc.setup_days[i] <= sc.duration_days[i]);
        ASSERT_EQ(sc.endpoints[i], s.msps[m].name == "msp-60" ? 60 : s.msps[m].name == "msp-350" ? 350 : 2500);
        ASSERT_TRUE(sc.learning_exponent[i] > 0 && sc.learning_exponent[i] <= 1);
      }
    }
  }
  RunOptions o;
  o.trials = 1'000'000;
  EXPECT_EQ(schedule_bytes(s, o.trials), 3u * 1'000'000 * 40);
  const std::uint64_t without = estimate_result_bytes(s, o);
  o.keep_schedule = true;
  EXPECT_EQ(estimate_result_bytes(s, o), without) << "over schedule_bytes_most: not kept, so not counted";
  o.trials = 100'000;
  const std::uint64_t counted = estimate_result_bytes(s, o);
  o.keep_schedule = false;
  EXPECT_EQ(counted, estimate_result_bytes(s, o) + schedule_bytes(s, o.trials));
}

// The engine stores a lone MSP's series once, as the portfolio's, and
// build_report takes its statistics for the portfolio's, which relies on
// this: with one MSP, every portfolio series is the MSP's, byte for byte;
// and the report's portfolio statistics are then those of its series.
// Checked against a run that keeps the MSP's series apart (one output not
// kept, so they are not shared) and copies them into the portfolio.
TEST(Engine, OneMspIsItsPortfolioByteForByte) {
  const Scenario s = load_scenario({"builtin:kaspersky-2024/msp-350.yaml"});
  for (const std::size_t block : {std::size_t(1000), std::size_t(4096)}) {
    const RunResult r = run(s, 9'001, 2, block);
    EXPECT_TRUE(r.msp_in_portfolio);
    for (const auto& v : r.msps[0].series) EXPECT_TRUE(v.empty()) << "stored once";
    RunOptions apart;
    apart.trials = 9'001;
    apart.threads = 2;
    apart.block_trials = block;
    apart.keep_msp_outputs[std::size_t(Output::incidents)] = false;
    const RunResult a = run_scenario(s, apart);
    ASSERT_FALSE(a.msp_in_portfolio);
    for (int o = 0; o < output_count; ++o) {
      EXPECT_TRUE(same_bytes(r.portfolio[std::size_t(o)], a.portfolio[std::size_t(o)])) << output_label(Output(o));
      if (Output(o) != Output::incidents) {
        EXPECT_TRUE(same_bytes(r.portfolio[std::size_t(o)], a.msps[0].series[std::size_t(o)])) << output_label(Output(o));
      }
    }
    const ReportData d = build_report(s, r, RunInfo{});
    for (int o = 0; o < output_count; ++o) {
      const Stats direct = summarize(r.portfolio[std::size_t(o)]);
      const Stats& reported = d.portfolio.stats[std::size_t(o)];
      // A compound cost's mean is that of its conditional expectation.
      const Output mean_of = Output(o) == Output::lost_updates_cost ? Output::lost_updates_expected_cost
                             : Output(o) == Output::total_cost      ? Output::total_expected_cost
                                                                    : Output(o);
      EXPECT_EQ(reported.mean, summarize(r.portfolio[std::size_t(mean_of)]).mean) << output_key(Output(o));
      EXPECT_EQ(reported.sd, direct.sd);
      EXPECT_EQ(reported.cvar95, direct.cvar95);
      EXPECT_EQ(reported.at(0.9).value, direct.at(0.9).value);
    }
    EXPECT_EQ(d.portfolio.name, "portfolio");
    EXPECT_EQ(d.portfolio.done_before_updates_stop.value,
              share_below(r.portfolio[std::size_t(Output::completion_day)], double(s.timeline.updates_end)).value);
  }
}

// Updates stop at 00:00 on timeline.updates_end (2024-09-29). A migration
// whose last hour ends at exactly that instant (899 setup hours plus one
// endpoint-hour at 10 h a day from 2024-07-01: day 90) is not done before
// updates stop, and its completion date reads 2024-09-29; 0.01 h earlier it
// is done, and reads 2024-09-28. Exact and sketch mode count the same way,
// and the table and the JSON say so in the same words.
TEST(Engine, DoneBeforeUpdatesStopIsStrictlyBeforeMidnightOfTheCutOffDay) {
  const std::string dir = test::temp_dir();
  const auto scenario = [&](const char* setup_hours) {
    return load_scenario({test::write_file(dir, std::string("edge-") + setup_hours + ".yaml",
                                           std::string(test::shipped_assumptions) +
                                               "msps:\n"
                                               "  - name: edge\n"
                                               "    endpoints: 1\n"
                                               "    clients: 1\n"
                                               "    start_delay_days: 0\n"
                                               "    labor: {first_endpoint_hours: 1, learning_rate: 1, setup_hours: " +
                                               setup_hours +
                                               ", config_hours_per_client: 0, failed_install_share: 0,\n"
                                               "            broken_app_client_share: 0, overhead_hours_per_client: 0,"
                                               " technicians: 1, capacity_hours_per_technician_week: 70}\n")});
  };
  for (const auto& [setup_hours, done, date] :
       {std::tuple{"899", 0.0, "2024-09-29"}, std::tuple{"898.99", 1.0, "2024-09-28"}}) {
    const Scenario s = scenario(setup_hours);
    for (const MspStats mode : {MspStats::exact, MspStats::sketch}) {
      RunOptions o;
      o.trials = 200;
      o.msp_stats = mode;
      const RunResult r = run_scenario(s, o);
      if (mode == MspStats::exact) {
        const double at = series(r, 0, Output::completion_day)[0];
        if (std::string(setup_hours) == "899") {
          EXPECT_EQ(at, double(s.timeline.updates_end)) << "the case sits on the boundary";
        } else {
          EXPECT_LT(at, double(s.timeline.updates_end));
        }
      }
      const ReportData d = build_report(s, r, RunInfo{});
      EXPECT_EQ(d.msps[0].done_before_updates_stop.value, done) << setup_hours << " " << to_string(mode);
      const std::string table = render_table(d);
      EXPECT_NE(table.find("P(done before updates stop, 2024-09-29 00:00) = " + std::string(done == 1.0 ? "100.0" : "0.0")),
                std::string::npos)
          << table;
      EXPECT_NE(table.find("no updates from 2024-09-29 00:00"), std::string::npos) << table;
      EXPECT_NE(table.find(std::string("completion date") + std::string(35, ' ') + date), std::string::npos) << table;
      EXPECT_NE(render_json(d).find("\"done_before_updates_stop\":{\"p\":" + std::string(done == 1.0 ? "1" : "0") + ","),
                std::string::npos);
    }
  }
}

TEST(Engine, TotalIsTheSumOfComponents) {
  const Scenario s = load_scenario({"builtin:kaspersky-2024/msp-350.yaml"});
  const RunResult r = run(s, 5'000, 1);
  for (std::size_t i = 0; i < 5'000; ++i) {
    double sum = 0;
    for (int o = 0; o < cost_output_count - 1; ++o)  // every cost line, in the order run_msp adds them
      sum += series(r, 0, Output(o))[i];
    ASSERT_EQ(series(r, 0, Output::total_cost)[i], sum);
  }
}

// Two MSPs with identical constant labor inputs: their labor cost differs
// only through the technician rate, which is market-level, so it is equal
// in every trial. Their own hours per endpoint are per-MSP: drawn apart.
TEST(Engine, MarketInputsAreSharedPerMspInputsAreNot) {
  const std::string dir = temp_dir();
  const std::string msp =
      "    endpoints: 100\n    clients: 10\n"
      "    labor: {first_endpoint_hours: 0.5, learning_rate: 0.9, setup_hours: 8, config_hours_per_client: 2,\n"
      "            failed_install_share: 0.05, rework_hours_per_failed_install: 1, broken_app_client_share: 0.1,\n"
      "            fix_hours_per_broken_client: 2, overhead_hours_per_client: 1, billable_share: 0.1,\n"
      "            capacity_hours_per_technician_week: 10}\n";
  const std::string path = write_file(
      dir, "two.yaml",
      std::string(shipped_assumptions) + "msps:\n  - name: a\n" + msp + "  - name: b\n" + msp +
          "  - name: c\n    endpoints: 100\n    clients: 10\n"
          "    labor: {first_endpoint_hours: {uniform: [0.4, 0.6]}}\n"
          "  - name: d\n    endpoints: 100\n    clients: 10\n"
          "    labor: {first_endpoint_hours: {uniform: [0.4, 0.6]}}\n");
  const Scenario s = load_scenario({path});
  const RunResult r = run(s, 2'000, 2);
  EXPECT_TRUE(same_bytes(series(r, 0, Output::labor_cost), series(r, 1, Output::labor_cost)));
  const Stats a = summarize(series(r, 0, Output::labor_cost));
  EXPECT_GT(a.sd, 0) << "the market technician rate is uncertain, so labor cost varies";
  EXPECT_FALSE(same_bytes(series(r, 2, Output::labor_hours), series(r, 3, Output::labor_hours)))
      << "per-MSP inputs draw from per-MSP streams";
}

// Common random numbers: moving the same MSP to another competitor changes
// nothing about its labor, schedule or incidents, trial by trial.
TEST(Engine, CommonRandomNumbersAcrossScenarios) {
  const std::string dir = temp_dir();
  const std::string base = std::string(shipped_assumptions) + "msps:\n  - name: acme\n    endpoints: 350\n    clients: 25\n";
  const Scenario a = load_scenario({write_file(dir, "a.yaml", base + "    target: bitdefender\n")});
  const Scenario b = load_scenario({write_file(dir, "b.yaml", base + "    target: eset\n")});
  const RunResult ra = run(a, 5'000, 2);
  const RunResult rb = run(b, 5'000, 1);
  for (Output o : {Output::labor_cost, Output::labor_hours, Output::duration_days, Output::lost_updates_cost,
                   Output::stranded_cost, Output::refund_cost})
    EXPECT_TRUE(same_bytes(series(ra, 0, o), series(rb, 0, o))) << output_key(o);
  EXPECT_FALSE(same_bytes(series(ra, 0, Output::pricing_cost), series(rb, 0, Output::pricing_cost)));
}

// Calibrations (scenarios/SOURCES.md, "Calibrations: what is tuned to which
// fact"): one test each holds the shipped files to the fact they are tuned to.
//
// TechCrunch (2024): an MSP with 300-400 endpoints said his previous AV
// migration took about two months. The per-technician capacity (its 0.925
// factor) is calibrated to that: the shipped 350-endpoint MSP's median
// duration from its own start lies within the stated 50-75 days.
TEST(Engine, MedianDurationOfThe350EndpointMspIsAboutTwoMonths) {
  const Scenario s = load_scenario({"builtin:kaspersky-2024/msp-350.yaml"});
  const RunResult r = run(s, 20'000, 2);
  const Stats d = summarize(series(r, 0, Output::duration_days));
  EXPECT_GE(d.at(0.5).value, 50.0);
  EXPECT_LE(d.at(0.5).value, 75.0);
  // The order-statistic interval is tight enough that the answer is not noise.
  EXPECT_LT(d.at(0.5).hi - d.at(0.5).lo, 3.0);
}

// The incident cost's p95 (574,000 with median 30,000) is chosen so that its
// mean is $150k, between Coalition's $115k average claim and NetDiligence's
// $264k SME average (SOURCES.md, market.yaml).
TEST(Calibration, IncidentCostMeanIsBetweenTheClaimAverages) {
  const Scenario s = load_scenario({"builtin:kaspersky-2024/msp-350.yaml"});
  const double mean = s.market.at("threat.incident_cost").dist.mean();
  EXPECT_NEAR(mean, 150'059.0, 50.0);
  EXPECT_GT(mean, 115'000.0);
  EXPECT_LT(mean, 264'000.0);
}

// Not a calibration but what the shipped start delay claims (SOURCES.md):
// the default MSP no longer starts on migration_start in every trial, so
// being done before updates stop (00:00 of updates_end) is a coin toss
// rather than near certain (93.5% with no delay), and some migrations run past the end of
// November 2024, when Bitsight still saw >40% of earlier US users on
// Kaspersky. 20,000 trials: the SE of a share is at most 0.36%.
TEST(Calibration, TheDefaultMspStartsLateSometimes) {
  const Scenario s = load_scenario({"builtin:kaspersky-2024/msp-350.yaml"});
  EXPECT_NEAR(s.msps[0].params.at("start_delay_days").dist.mean(), (0 + 4 * 20 + 120) / 6.0, 1e-9);
  const Scenario defaults = load_scenario({"builtin:kaspersky-2024/population-200.yaml"});
  EXPECT_GT(defaults.msps[0].params.at("start_delay_days").dist.mean(), 0.0) << "msp_defaults carry the delay";
  const RunResult r = run(s, 20'000, 2);
  const Values& done = series(r, 0, Output::completion_day);
  const double updates_stop = double(s.timeline.updates_end);  // 00:00 of that day
  const double end_of_november = double(s.timeline.migration_start) + 152;  // 2024-12-01, from 2024-07-01
  std::size_t before_stop = 0, after_november = 0;
  for (const double day : done) {
    before_stop += day < updates_stop;
    after_november += day >= end_of_november;
  }
  const double p = double(before_stop) / double(done.size());
  EXPECT_GT(p, 0.40);
  EXPECT_LT(p, 0.60);
  EXPECT_GT(after_november, 0u);
}

// labor.cost_basis forgone_billing (models/labor.h): the same hours, trial by
// trial, each valued at least at the loaded rate (every billing rate, 80-150
// USD/h, is above every loaded rate, 35-60), and the basis named in the
// report's MSP header and JSON entry.
TEST(Engine, ForgoneBillingValuesTheSameHoursHigher) {
  const std::string dir = temp_dir();
  const std::string base = std::string(shipped_assumptions) + "msps:\n  - name: acme\n    endpoints: 350\n    clients: 25\n";
  const Scenario loaded = load_scenario({write_file(dir, "a.yaml", base)});
  const Scenario forgone =
      load_scenario({write_file(dir, "b.yaml", base + "    labor: {cost_basis: forgone_billing, billing_rate_per_hour: "
                                                      "{pert: [80, 125, 150]}, displaced_billable_share: "
                                                      "{pert: [0, 0.3, 0.8]}}\n")});
  const RunResult a = run(loaded, 5'000, 2);
  const RunResult b = run(forgone, 5'000, 1);
  EXPECT_TRUE(same_bytes(series(a, 0, Output::labor_hours), series(b, 0, Output::labor_hours)));
  EXPECT_TRUE(same_bytes(series(a, 0, Output::pricing_cost), series(b, 0, Output::pricing_cost)));
  for (std::size_t i = 0; i < 5'000; ++i)
    ASSERT_GE(series(b, 0, Output::labor_cost)[i], series(a, 0, Output::labor_cost)[i]) << i;
  EXPECT_GT(summarize(series(b, 0, Output::labor_cost)).mean, 1.3 * summarize(series(a, 0, Output::labor_cost)).mean);
  const std::string table = render_table(build_report(forgone, b, RunInfo{}));
  EXPECT_NE(table.find("kaspersky -> bitdefender; labor at forgone billing\n"), std::string::npos) << table;
  EXPECT_NE(render_table(build_report(loaded, a, RunInfo{})).find("; labor at loaded cost\n"), std::string::npos);
  EXPECT_NE(render_json(build_report(forgone, b, RunInfo{})).find("\"labor_cost_basis\":\"forgone_billing\""),
            std::string::npos);
}

TEST(Engine, StopsAtABlockBoundaryWithAPrefixOfTrials) {
  const Scenario s = load_scenario({SWITCHCOST_SOURCE_DIR "/scenarios/kaspersky-2024/portfolio.yaml"});
  const RunResult full = run(s, 40'000, 1, 1000);
  for (unsigned threads : {1u, 2u}) {
    std::atomic<bool> stop{false};
    RunOptions o;
    o.trials = 40'000;
    o.threads = threads;
    o.block_trials = 1000;
    o.stop = &stop;
    o.progress = [&](std::uint64_t done, std::uint64_t) {
      if (done >= 10'000) stop = true;
    };
    const RunResult part = run_scenario(s, o);
    EXPECT_FALSE(part.complete);
    // On one thread the flag is set between blocks. On two, a block the
    // other thread is still running when it is set is dropped, with every
    // block after it: the prefix kept can be shorter than the trials done.
    if (threads == 1) {
      EXPECT_EQ(part.trials_done, 10'000u);
    }
    EXPECT_LT(part.trials_done, 40'000u);
    EXPECT_EQ(part.trials_done % 1000, 0u);
    for (int o2 = 0; o2 < output_count; ++o2) {
      const auto& p = part.portfolio[std::size_t(o2)];
      ASSERT_EQ(p.size(), part.trials_done);
      EXPECT_EQ(0, std::memcmp(p.data(), full.portfolio[std::size_t(o2)].data(), p.size() * sizeof(double)))
          << "a partial run is the prefix of the full run";
    }
  }
  std::atomic<bool> stop{true};
  RunOptions o;
  o.trials = 1000;
  o.stop = &stop;
  const RunResult none = run_scenario(s, o);
  EXPECT_EQ(none.trials_done, 0u);
  EXPECT_FALSE(none.complete);
}

// A scenario whose trials are slow (about 5,500 incidents each, every one
// a gamma draw of shape 1e12): a stop is honoured inside a block, the block
// is dropped whole, and the partial results are those of a shorter run.
TEST(Engine, StopsInsideABlockAndDropsIt) {
  const std::string dir = temp_dir();
  const Scenario s = load_scenario({write_file(dir, "slow.yaml",
                                               std::string(shipped_assumptions) +
                                                   "market:\n  threat:\n    encounters_per_endpoint_day: 1\n"
                                                   "    incident_cost: {gamma: {mean: 100000, sd: 0.1}}\n"
                                                   "msps: [{name: acme, endpoints: 350, clients: 25, "
                                                   "start_delay_days: 200}]\n")});
  const auto stopped_run = [&](unsigned threads, std::size_t block, std::chrono::milliseconds after) {
    std::atomic<bool> stop{false};
    RunOptions o;
    o.trials = 1'000'000;  // hours of work: only the stop ends this run
    o.threads = threads;
    o.block_trials = block;
    o.stop = &stop;
    std::thread stopper([&] {
      std::this_thread::sleep_for(after);
      stop = true;
    });
    RunResult r = run_scenario(s, o);
    stopper.join();
    return r;
  };
  // One block of a million trials: stopped inside it, nothing is kept.
  const RunResult none = stopped_run(1, 1'000'000, std::chrono::milliseconds(100));
  EXPECT_FALSE(none.complete);
  EXPECT_EQ(none.trials_done, 0u);
  for (const auto& v : none.portfolio) EXPECT_EQ(v.size(), 0u);
  // Blocks of 64 trials on two threads: a prefix of whole blocks, the same
  // bytes as a complete run of that many trials.
  const RunResult part = stopped_run(2, 64, std::chrono::milliseconds(300));
  EXPECT_FALSE(part.complete);
  EXPECT_EQ(part.trials_done % 64, 0u);
  if (part.trials_done > 0) {
    EXPECT_TRUE(same_bytes(part, run(s, part.trials_done, 1, 64)));
  }
}

// The JSON reference (docs/output-format.md, its `OUTPUT = a | b | ...`
// line) names every output the engine has, and no other: a new cost line
// adds one without anyone listing it by hand otherwise.
TEST(Engine, TheOutputReferenceNamesEveryOutput) {
  std::ifstream in(SWITCHCOST_SOURCE_DIR "/docs/output-format.md");
  ASSERT_TRUE(in) << "docs/output-format.md";
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t first = text.find("OUTPUT = ");
  ASSERT_NE(first, std::string::npos) << "no OUTPUT = line";
  const std::size_t last = text.find("STATS = ", first);
  ASSERT_NE(last, std::string::npos);
  std::set<std::string> listed;
  std::string word;
  for (const char c : text.substr(first + 9, last - first - 9)) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
      word += c;
    } else if (!word.empty()) {
      listed.insert(word);
      word.clear();
    }
  }
  std::set<std::string> outputs;
  for (int o = 0; o < output_count; ++o) outputs.insert(output_key(Output(o)));
  EXPECT_EQ(listed, outputs);
}

TEST(Engine, EveryOutputIsFinite) {
  const Scenario s = load_scenario({SWITCHCOST_SOURCE_DIR "/scenarios/kaspersky-2024/portfolio.yaml"});
  const RunResult r = run(s, 20'000, 2);
  for (std::size_t m = 0; m < r.msps.size(); ++m)
    for (const auto& v : r.msp_series(m))
      for (double x : v) ASSERT_TRUE(std::isfinite(x));
}

TEST(Engine, ResultMemoryEstimate) {
  const Scenario s = load_scenario({SWITCHCOST_SOURCE_DIR "/scenarios/kaspersky-2024/portfolio.yaml"});
  // (3 MSPs + portfolio) x 14 outputs x 1000 trials x 8 bytes
  EXPECT_EQ(estimate_result_bytes(s, 1000), 4u * output_count * 1000u * 8u);
  // One MSP: its series are the portfolio's, stored once (with one output
  // not kept, apart: 10 of its own).
  const Scenario one = load_scenario({"builtin:kaspersky-2024/msp-350.yaml"});
  EXPECT_EQ(estimate_result_bytes(one, 1000), 1u * output_count * 1000u * 8u);
  std::array<bool, output_count> keep = all_outputs();
  keep[std::size_t(Output::incidents)] = false;
  EXPECT_EQ(estimate_result_bytes(one, 1000, keep), (output_count - 1u + output_count) * 1000u * 8u);
}

// A compound cost whose mean is known: every input constant but the threat
// level, uniform on [lo, hi], on which the expected incidents depend
// linearly. So E[lost updates] = E[expected incidents] x mean incident cost =
// the expected cost of a run with the threat level constant at (lo + hi) / 2,
// where every trial has that value. The incident cost is the shipped
// lognormal (sigma 1.79), and incidents are few: the sampled mean rests on a
// few dozen trials.
std::string compound_scenario(const std::string& encounters, const std::string& start_delay = "60") {
  return std::string(shipped_assumptions) +
         "market:\n  threat:\n    encounters_per_endpoint_day: " + encounters +
         "\n    miss_rate_supported: 0.03\n    frozen_miss_multiplier: 5\n    protection_decay_days: 45\n"
         "msps:\n  - name: acme\n    endpoints: 350\n    clients: 25\n    start_delay_days: " +
         start_delay +
         "\n    labor: {first_endpoint_hours: 0.5, learning_rate: 0.85, setup_hours: 8, config_hours_per_client: 3,\n"
         "            failed_install_share: 0.05, rework_hours_per_failed_install: 1, broken_app_client_share: 0.1,\n"
         "            fix_hours_per_broken_client: 3, overhead_hours_per_client: 1, billable_share: 0.1,\n"
         "            capacity_hours_per_technician_week: 13}\n";
}

ReportData report_of(const Scenario& s, std::uint64_t trials, std::uint64_t seed, MspStats mode = MspStats::exact) {
  RunOptions o;
  o.trials = trials;
  o.threads = 2;
  o.seed = seed;
  o.msp_stats = mode;
  return build_report(s, run_scenario(s, o), RunInfo{});
}

// Constant inputs: each trial's expected incidents are the same, so the
// reported mean of lost updates is that number x the incident cost's mean,
// with an SE of 0, whatever incidents were drawn; the total's mean is the
// sum of the component means, and the sampled mean is kept apart.
TEST(CompoundMean, ConstantInputsGiveExpectedIncidentsTimesMeanCost) {
  const std::string dir = temp_dir();
  const Scenario s = load_scenario({write_file(dir, "constant.yaml", compound_scenario("0.00004"))});
  RunOptions o;
  o.trials = 20'000;
  o.threads = 2;
  const RunResult r = run_scenario(s, o);
  const double cost_mean = s.market.at("threat.incident_cost").dist.mean();
  // Lognormal p50 30,000, p95 574,000: sigma = ln(574000/30000) / 1.6449, mean = 30000 e^(sigma^2 / 2).
  const double sigma = std::log(574'000.0 / 30'000.0) / 1.6448536269514722;
  EXPECT_NEAR(cost_mean, 30'000 * std::exp(sigma * sigma / 2), 1e-6 * cost_mean);
  const Values& expected = series(r, 0, Output::lost_updates_expected_cost);
  const double per_trial = expected[0];
  ASSERT_GT(per_trial, 0) << "the migration runs past the cut-off";
  for (std::size_t i = 0; i < expected.size(); ++i) ASSERT_EQ(expected[i], per_trial);
  const ReportData d = build_report(s, r, RunInfo{});
  const ScopeReport& m = d.msps[0];
  const Stats& lost = m.stats[std::size_t(Output::lost_updates_cost)];
  EXPECT_NEAR(lost.mean, per_trial, 1e-12 * per_trial);
  EXPECT_EQ(lost.se, 0.0);
  ASSERT_TRUE(m.sampled[std::size_t(Output::lost_updates_cost)]);
  EXPECT_EQ(m.sampled[std::size_t(Output::lost_updates_cost)]->mean,
            summarize(series(r, 0, Output::lost_updates_cost)).mean);
  // Its P90 is still of the costs drawn.
  EXPECT_EQ(lost.at(0.9).value, summarize(series(r, 0, Output::lost_updates_cost)).at(0.9).value);
  double parts = 0;
  for (int k = 0; k < cost_output_count - 1; ++k) parts += m.stats[std::size_t(k)].mean;
  const Stats& total = m.stats[std::size_t(Output::total_cost)];
  EXPECT_NEAR(total.mean, parts, 1e-12 * std::fabs(parts));
  EXPECT_EQ(total.mean, summarize(series(r, 0, Output::total_expected_cost)).mean);
  EXPECT_EQ(total.at(0.9).value, summarize(series(r, 0, Output::total_cost)).at(0.9).value);
  // The total with lost updates at their expected cost, trial by trial:
  // the total drawn, less the lost updates drawn, plus the expected.
  const Values& drawn = series(r, 0, Output::total_cost);
  const Values& lost_drawn = series(r, 0, Output::lost_updates_cost);
  const Values& total_expected = series(r, 0, Output::total_expected_cost);
  for (std::size_t i = 0; i < drawn.size(); ++i)
    ASSERT_NEAR(total_expected[i], drawn[i] - lost_drawn[i] + per_trial, 1e-9 * std::fabs(drawn[i]) + 1e-6);
  // The table marks the compound rows and gives the plain mean of the costs
  // drawn; the JSON has it as sampled_mean.
  const std::string table = render_table(d);
  EXPECT_NE(table.find("lost updates *"), std::string::npos) << table;
  EXPECT_NE(table.find("total *"), std::string::npos) << table;
  EXPECT_NE(table.find("P50 and P90 are of the costs drawn, whose mean is"), std::string::npos) << table;
  const std::string json = render_json(d);
  EXPECT_NE(json.find("\"mean_estimator\":\"conditional_expectation\""), std::string::npos);
  EXPECT_NE(json.find("\"sampled_mean\":"), std::string::npos);
  // The CSV has it too, on the two compound rows only.
  const std::string csv = render_csv(d);
  ASSERT_EQ(csv.find("scope,name,output,n,mean,se,"), 0u) << csv;
  EXPECT_NE(csv.find(",cvar95,tail_share,sampled_mean,sampled_se,complete\n"), std::string::npos) << csv;
  for (std::size_t at = csv.find('\n') + 1; at < csv.size(); at = csv.find('\n', at) + 1) {
    const std::string row = csv.substr(at, csv.find('\n', at) - at);
    std::vector<std::string> fields(1);  // no field here holds a comma or a quote
    for (const char c : row) {
      if (c == ',')
        fields.emplace_back();
      else
        fields.back() += c;
    }
    ASSERT_EQ(fields.size(), 20u) << row;
    const std::string& output = fields[2];
    const std::string& sampled_mean = fields[fields.size() - 3];  // then sampled_se, complete
    if (output == "lost_updates_cost" || output == "total_cost") {
      ASSERT_FALSE(sampled_mean.empty()) << row;
      const double drawn_mean =
          summarize(series(r, 0, output == "total_cost" ? Output::total_cost : Output::lost_updates_cost)).mean;
      EXPECT_NEAR(std::stod(sampled_mean), drawn_mean, 1e-9 * std::fabs(drawn_mean) + 1e-9) << row;
    } else {
      EXPECT_TRUE(sampled_mean.empty()) << row;
    }
  }
  // A mean whose top 0.1% of trials carry half of it or more is marked.
  EXPECT_EQ(table.find(" !"), std::string::npos) << table;
  ReportData marked = d;
  marked.msps[0].stats[std::size_t(Output::stranded_cost)].top_share = 0.75;
  const std::string marked_table = render_table(marked);
  EXPECT_NE(marked_table.find("stranded licences !"), std::string::npos) << marked_table;
  EXPECT_NE(marked_table.find("(stranded licences 75.0%): it rests on a few trials"), std::string::npos)
      << marked_table;
  // Done before the cut-off (no delay, no overrun): no incident can happen, and the mean is 0.
  const Scenario early = load_scenario({write_file(dir, "early.yaml", compound_scenario("0.00004", "0"))});
  const ReportData e = report_of(early, 5'000, 1);
  EXPECT_EQ(e.msps[0].stats[std::size_t(Output::lost_updates_cost)].mean, 0.0);
  EXPECT_EQ(e.msps[0].stats[std::size_t(Output::lost_updates_cost)].se, 0.0);
}

// The acceptance test of the estimator: over 50 seeds the reported mean of
// lost updates is within 4 of its reported SEs of the known mean every time,
// and the reported SE matches the spread (sd) of the 50 means within 25%.
// (Measured over 200 seeds: the SE is 0.96 of the sd of the means; the
// plain sample mean's SE is 0.6 of its spread, and 13% of its means are
// more than 4 SEs off: it rests on a few dozen trials with incidents.)
TEST(CompoundMean, FiftySeedsAgreeWithTheKnownMeanAndItsSe) {
  const std::string dir = temp_dir();
  const Scenario mid = load_scenario({write_file(dir, "mid.yaml", compound_scenario("0.00004"))});
  const Scenario spread = load_scenario({write_file(dir, "spread.yaml", compound_scenario("{uniform: [0.00001, 0.00007]}"))});
  const double known = report_of(mid, 1'000, 1).msps[0].stats[std::size_t(Output::lost_updates_cost)].mean;
  ASSERT_GT(known, 0);
  constexpr int seeds = 50;
  std::vector<double> means, ses;
  double worst_z = 0;
  int sampled_off = 0;
  for (int seed = 1; seed <= seeds; ++seed) {
    const ReportData d = report_of(spread, 20'000, std::uint64_t(seed));
    const Stats& lost = d.msps[0].stats[std::size_t(Output::lost_updates_cost)];
    ASSERT_GT(lost.se, 0);
    const double z = std::fabs(lost.mean - known) / lost.se;
    worst_z = std::max(worst_z, z);
    EXPECT_LT(z, 4.0) << "seed " << seed << ": " << lost.mean << " +- " << lost.se << " against " << known;
    means.push_back(lost.mean);
    ses.push_back(lost.se);
    const auto& sampled = *d.msps[0].sampled[std::size_t(Output::lost_updates_cost)];
    sampled_off += std::fabs(sampled.mean - known) > 4 * sampled.se ? 1 : 0;
  }
  // 14 to 45 incidents a run: the plain sample mean is more than 4 of its
  // SEs off in 9 of these 50 runs.
  EXPECT_GT(sampled_off, 0);
  const Stats of_means = summarize(means);
  const Stats of_ses = summarize(ses);
  EXPECT_NEAR(of_ses.mean / of_means.sd, 1.0, 0.25)
      << "reported SE " << of_ses.mean << ", sd of the 50 means " << of_means.sd << ", worst |z| " << worst_z;
  // The same in sketch mode, from the block moments: the same mean and SE.
  const ReportData sketched = report_of(spread, 20'000, 1, MspStats::sketch);
  const ReportData exact = report_of(spread, 20'000, 1);
  for (Output o : {Output::lost_updates_cost, Output::total_cost}) {
    const Stats& a = sketched.msps[0].stats[std::size_t(o)];
    const Stats& b = exact.msps[0].stats[std::size_t(o)];
    EXPECT_NEAR(a.mean, b.mean, 1e-13 * std::fabs(b.mean)) << output_key(o);
    EXPECT_NEAR(a.se, b.se, 1e-9 * b.se) << output_key(o);
  }
}

// The report's statistics are independent tasks on the run's threads
// (sim/base/parallel.h): the same bytes for any thread count, in exact mode and
// in sketch mode, with several MSPs and with one.
TEST(Report, TheSameBytesForAnyThreadCount) {
  const Scenario population = load_scenario({"builtin:kaspersky-2024/population-200.yaml"});
  const Scenario one = load_scenario({"builtin:kaspersky-2024/msp-350.yaml"});
  for (const auto& [scenario, mode] : {std::pair{&population, MspStats::exact},
                                       std::pair{&population, MspStats::sketch}, std::pair{&one, MspStats::exact}}) {
    RunOptions o;
    o.trials = 3'000;
    o.threads = 2;
    o.block_trials = 1'000;
    o.msp_stats = mode;
    const RunResult r = run_scenario(*scenario, o);
    std::string first;
    for (const unsigned threads : {1u, 2u, 7u}) {
      RunInfo info;
      info.threads = threads;
      std::string text = render_csv(build_report(*scenario, r, info));
      info.threads = 1;  // the JSON names the thread count: compare it with the same
      text += render_json(build_report(*scenario, r, info));
      if (first.empty()) first = text;
      EXPECT_EQ(text, first) << threads << " threads, " << to_string(mode) << ", " << scenario->msps.size() << " MSPs";
    }
  }
}

// Nothing process-wide carries one run into another: two different
// scenarios run at once in one process, each on two threads (sharing the
// quantile tables and the pool of workspaces), give the bytes of the same
// runs one after the other. In exact mode every series is compared; in
// sketch mode (block moments folded in order, sketches, the tail pass) the
// rendered report is.
TEST(Engine, TwoScenariosAtOnceGiveTheBytesOfTwoSeparateRuns) {
  const Scenario msp = load_scenario({"builtin:kaspersky-2024/msp-350.yaml"});
  const Scenario portfolio = load_scenario({"builtin:kaspersky-2024/portfolio.yaml"});
  ASSERT_EQ(portfolio.msps.size(), 3u);
  RunOptions o;
  o.trials = 20'000;
  o.threads = 2;
  o.block_trials = 1'000;
  RunOptions sketch = o;
  sketch.msp_stats = MspStats::sketch;
  const auto report = [&](const RunResult& r) {
    RunInfo info;
    info.threads = 2;
    return render_json(build_report(portfolio, r, info));
  };
  const RunResult msp_alone = run_scenario(msp, o);
  const RunResult portfolio_alone = run_scenario(portfolio, o);
  const std::string sketch_alone = report(run_scenario(portfolio, sketch));
  for (int round = 0; round < 2; ++round) {
    RunResult msp_together, portfolio_together, sketch_together;
    std::thread first([&] { msp_together = run_scenario(msp, o); });
    std::thread second([&] {
      portfolio_together = run_scenario(portfolio, o);
      sketch_together = run_scenario(portfolio, sketch);
    });
    first.join();
    second.join();
    EXPECT_TRUE(msp_together.complete && portfolio_together.complete && sketch_together.complete);
    EXPECT_TRUE(same_bytes(msp_alone, msp_together)) << "round " << round;
    EXPECT_TRUE(same_bytes(portfolio_alone, portfolio_together)) << "round " << round;
    EXPECT_EQ(sketch_alone, report(sketch_together)) << "round " << round;
  }
}

TEST(ParallelFor, RunsEveryTaskOnceOnAnyThreadCount) {
  for (const unsigned threads : {0u, 1u, 2u, 5u}) {
    for (const std::size_t n : {std::size_t(0), std::size_t(1), std::size_t(3), std::size_t(1000)}) {
      std::vector<std::atomic<int>> runs(n);
      parallel_for(n, threads, [&](std::size_t i) { runs[i].fetch_add(1); });
      for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(runs[i].load(), 1) << i << " of " << n << ", " << threads;
      // The form with the worker's index: each index is one thread's alone.
      std::vector<std::atomic<int>> by_worker(std::max(1u, threads));
      std::vector<std::atomic<std::thread::id>> owner(by_worker.size());
      std::atomic<bool> shared{false};
      parallel_for(n, threads, [&](std::size_t, unsigned worker) {
        ASSERT_LT(worker, by_worker.size());
        by_worker[worker].fetch_add(1);
        std::thread::id none{};
        if (!owner[worker].compare_exchange_strong(none, std::this_thread::get_id()) &&
            none != std::this_thread::get_id())
          shared = true;
      });
      int total = 0;
      for (const auto& k : by_worker) total += k.load();
      EXPECT_EQ(std::size_t(total), n) << threads;
      EXPECT_FALSE(shared.load()) << "a worker index used by two threads";
    }
  }
}

TEST(ParallelFor, RethrowsTheLowestFailureAfterAllThreadsStop) {
  for (const unsigned threads : {1u, 2u, 4u}) {
    std::atomic<int> running{0}, most{0};
    try {
      parallel_for(200, threads, [&](std::size_t i) {
        most = std::max(most.load(), ++running);
        --running;
        if (i == 0 || i == 1 || i == 150) throw std::runtime_error("task " + std::to_string(i));
      });
      ADD_FAILURE() << "no exception";
    } catch (const std::runtime_error& e) {
      // Task 0 runs first on some thread, and its failure stops the loop
      // before 150 unless another thread got there first: either way the
      // lowest index of those that threw wins, and 0 always throws.
      EXPECT_STREQ(e.what(), "task 0") << threads;
    }
    EXPECT_EQ(running.load(), 0) << "every thread stopped before the rethrow";
    EXPECT_LE(most.load(), int(threads));
  }
}

// The pool keeps its threads: sections reuse them rather than start their
// own, and it grows only when a section asks for more than it has.
TEST(ThreadPool, KeepsItsThreadsForLaterSections) {
  ThreadPool pool;
  std::set<std::thread::id> seen;
  std::mutex mutex;
  for (const unsigned count : {4u, 3u, 4u, 2u}) {
    std::atomic<int> left{2000};
    pool.run(count, [&](unsigned) {
      while (left.fetch_sub(1) > 0) {
        std::lock_guard<std::mutex> lock(mutex);
        seen.insert(std::this_thread::get_id());
      }
    });
    EXPECT_LE(left.load(), 0) << "the work was finished";
    EXPECT_EQ(pool.threads(), 3u) << "after a section of " << count;
  }
  seen.erase(std::this_thread::get_id());
  EXPECT_LE(seen.size(), 3u) << "only the pool's three threads helped";
  pool.run(6, [](unsigned) {});
  EXPECT_EQ(pool.threads(), 5u);
}

// A pool thread's stack is worker_stack_bytes(): 8 MiB under a 64 MiB
// RLIMIT_STACK (so 64 threads fit in 2 GiB where 25 would), RLIMIT_STACK
// when that is smaller.
TEST(ThreadPool, ThreadsHaveTheWorkerStackNotRlimitStack) {
  struct rlimit saved {};
  ASSERT_EQ(getrlimit(RLIMIT_STACK, &saved), 0);
  const auto stack_of_a_pool_thread = [] {
    ThreadPool pool;
    std::atomic<std::size_t> size{0};
    std::atomic<bool> seen{false};
    pool.run(2, [&](unsigned t) {
      if (t == 0) {  // waits, so that worker 1 is not withdrawn: the pool thread runs it
        while (!seen.load()) std::this_thread::yield();
        return;
      }
      pthread_attr_t attr;
      std::size_t bytes = 0;
      if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        pthread_attr_getstacksize(&attr, &bytes);
        pthread_attr_destroy(&attr);
      }
      size.store(bytes);
      seen.store(true);
    });
    return size.load();
  };
  for (const rlim_t limit : {rlim_t(64) << 20, rlim_t(2) << 20}) {
    if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max < limit) continue;
    struct rlimit set = saved;
    set.rlim_cur = limit;
    ASSERT_EQ(setrlimit(RLIMIT_STACK, &set), 0);
    const std::size_t expected = worker_stack_bytes();
    const std::size_t got = stack_of_a_pool_thread();
    ASSERT_EQ(setrlimit(RLIMIT_STACK, &saved), 0);
    EXPECT_EQ(expected, std::min<std::size_t>(limit, std::size_t(8) << 20));
    EXPECT_GE(got, expected) << "RLIMIT_STACK " << limit;
    // glibc may hand a new thread the cached stack of an ended one up to 4
    // times as large as asked for (8 MiB for 2 MiB): no tighter bound below.
    EXPECT_LE(got, 4 * expected) << "RLIMIT_STACK " << limit;
  }
}

// A worker no pool thread has started when worker 0 is done is withdrawn:
// a section never waits for a busy pool, so sections started from pool
// threads (nested) and from two threads at once all finish, each item once.
TEST(ThreadPool, NestedAndConcurrentSectionsFinish) {
  ThreadPool pool;
  constexpr std::size_t items = 64;
  std::vector<std::atomic<int>> done(items * items);
  const auto section = [&](std::size_t outer_first) {
    std::atomic<std::size_t> next_outer{outer_first};
    pool.run(3, [&](unsigned) {
      for (std::size_t o; (o = next_outer.fetch_add(1)) < outer_first + items / 2;) {
        std::atomic<std::size_t> next_inner{0};
        const unsigned ran = pool.run(3, [&](unsigned) {
          for (std::size_t i; (i = next_inner.fetch_add(1)) < items;) done[o * items + i].fetch_add(1);
        });
        EXPECT_GE(ran, 1u);
        EXPECT_LE(ran, 3u);
      }
    });
  };
  std::thread other([&] { section(items / 2); });
  section(0);
  other.join();
  for (std::size_t k = 0; k < done.size(); ++k) ASSERT_EQ(done[k].load(), 1) << k;
}

// An exception a worker lets escape reaches the caller, once every started
// worker has returned; the pool then runs the next section as before.
TEST(ThreadPool, RethrowsAWorkersExceptionAfterTheOthersReturn) {
  ThreadPool pool;
  std::atomic<int> running{0};
  const auto failing = [&](unsigned t) {
    running.fetch_add(1);
    std::this_thread::yield();
    running.fetch_sub(1);
    if (t == 0) throw std::runtime_error("worker 0");
  };
  EXPECT_THROW(pool.run(3, failing), std::runtime_error);
  EXPECT_EQ(running.load(), 0);
  std::atomic<int> count{0};
  pool.run(3, [&](unsigned) { count.fetch_add(1); });
  EXPECT_GE(count.load(), 1);
}

// A shortfall of threads is noted for the thread that started the section,
// that is the run's: a run on another thread neither sees nor resets it.
TEST(ParallelFor, AThreadShortfallIsKeptByTheRunThatHadIt) {
  fewest_threads_started = 0;
  unsigned seen_by_other = 99, other_after = 0;
  std::thread other([&] {
    seen_by_other = fewest_threads_started;
    note_fewer_threads(3);
    note_fewer_threads(5);  // the fewest is kept
    other_after = fewest_threads_started;
  });
  note_fewer_threads(7);
  other.join();
  EXPECT_EQ(seen_by_other, 0u);
  EXPECT_EQ(other_after, 3u);
  EXPECT_EQ(fewest_threads_started, 7u);
  fewest_threads_started = 0;
}


// ---------------------------------------------------------------------------
// Formulas (sim/scenario/formula.h): each cost formula is a row of its own
// (RunResult::formula_costs), in the totals.

Scenario with_formulas(const std::string& name, const std::string& block) {
  return load_scenario({write_file(temp_dir(), name,
                                   "include: [builtin:kaspersky-2024/portfolio.yaml]\nmsp_overrides:\n  formulas:\n" +
                                       block)});
}

// Done when: the stranded-licences model written as formulas gives the
// built-in model's results, trial by trial, in every MSP of the portfolio.
TEST(EngineFormulas, StrandedModelAsFormulasMatchesBuiltIn) {
  const Scenario s = with_formulas("stranded.yaml",
                                   "    costs:\n"
                                   "      stranded: endpoints * licences.prepaid_share * licences.prepaid_months_remaining"
                                   " * old_price_per_endpoint_month * (1 - licences.recovered_share)\n"
                                   "      refunds: endpoints * refunds.client_prepaid_share"
                                   " * refunds.client_prepaid_months_remaining"
                                   " * refunds.client_price_per_endpoint_month * refunds.refund_share\n");
  const RunResult r = run(s, 10'000, 2);
  ASSERT_EQ(r.msps.size(), 3u);
  ASSERT_EQ(r.formula_costs, (std::vector<std::string>{"stranded", "refunds"}));
  for (std::size_t m = 0; m < r.msps.size(); ++m) {
    ASSERT_EQ(r.msp_formula_series(m).size(), 2u);
    const Values& stranded_formula = r.msp_formula_series(m)[0];
    const Values& refunds_formula = r.msp_formula_series(m)[1];
    const Values& stranded = series(r, m, Output::stranded_cost);
    const Values& refunds = series(r, m, Output::refund_cost);
    EXPECT_EQ(series(r, m, Output::extras_cost)[0], 0.0);  // extras_cost is the `extras:` block's alone
    double largest = 0;
    for (std::size_t i = 0; i < stranded.size(); ++i) {
      ASSERT_NEAR(stranded_formula[i], stranded[i], 1e-12 * std::abs(stranded[i])) << "MSP " << m << " trial " << i;
      ASSERT_NEAR(refunds_formula[i], refunds[i], 1e-12 * std::abs(refunds[i])) << "MSP " << m << " trial " << i;
      largest = std::max(largest, stranded[i] + refunds[i]);
    }
    EXPECT_GT(largest, 0.0);
  }
}

// Formulas and their inline draws are as reproducible as the rest: the same
// bytes for any thread count and block size; another seed, other values.
TEST(EngineFormulas, ByteIdenticalForAnyThreadCountAndBlockSize) {
  const Scenario s = with_formulas("draws.yaml",
                                   "    values:\n"
                                   "      outage_hours: endpoints * pert(10, 20, 60) / 60\n"
                                   "    costs:\n"
                                   "      downtime: 'outage_hours * lognormal(mu: 3, sigma: 0.4) * if(completion_day >= "
                                   "timeline.updates_end, 1.5, 1)'\n");
  const RunResult one = run(s, 9'000, 1);
  EXPECT_TRUE(same_bytes(one, run(s, 9'000, 2)));
  EXPECT_TRUE(same_bytes(one, run(s, 9'000, 2, 777)));
  EXPECT_FALSE(same_bytes(one, run(s, 9'000, 1, 4096, 2)));
  // Drawn per MSP: the MSPs' formula costs differ.
  EXPECT_FALSE(same_bytes(one.msp_formula_series(0)[0], one.msp_formula_series(1)[0]));
}

// Every symbol the reader lets a formula read has a column in the engine.
TEST(EngineFormulas, EverySymbolHasAColumn) {
  std::string sum;
  for (const auto& name : msp_formula_symbols()) sum += (sum.empty() ? "" : " + ") + name;
  const Scenario s = with_formulas("all.yaml", "    values:\n      everything: " + sum +
                                                   "\n    costs:\n      none: 0 * everything\n");
  const RunResult r = run(s, 1'000, 2);
  ASSERT_EQ(r.msp_formula_series(0).size(), 1u);
  EXPECT_EQ(r.msp_formula_series(0)[0][0], 0.0);
}

// The memory check counts a formula's columns: one with 200 constants
// (each a column of the block) and 50 inline draws needs at least 250 more
// columns per workspace; with --block-trials 1 << 20 that is 2 GB a thread.
TEST(EngineFormulas, WorkingMemoryEstimateCountsTheirColumns) {
  std::string constants = "0", draws = "0";
  for (int k = 1; k <= 200; ++k) constants += " + " + std::to_string(k) + ".5";
  for (int k = 0; k < 50; ++k) draws += " + uniform(0, 1)";
  const Scenario plain = load_scenario({"builtin:kaspersky-2024/portfolio.yaml"});
  const Scenario wide =
      with_formulas("wide.yaml", "    costs:\n      a: " + constants + "\n      b: " + draws + "\n");
  RunOptions o;
  o.trials = std::uint64_t(1) << 20;
  o.block_trials = std::size_t(1) << 20;
  o.threads = 1;
  const std::uint64_t more = estimate_working_bytes({&wide}, o) - estimate_working_bytes({&plain}, o);
  EXPECT_GE(more, std::uint64_t(250) * o.block_trials * sizeof(double)) << more / (o.block_trials * 8);
  EXPECT_LE(more, std::uint64_t(300) * o.block_trials * sizeof(double)) << more / (o.block_trials * 8);
}

// A formula that is not finite in some trial names itself and the trial.
TEST(EngineFormulas, NonFiniteIsAnErrorNamingFormulaAndTrial) {
  // msp-60 has 60 endpoints in every trial: 1 / (endpoints - 60) is 1/0.
  const Scenario s = with_formulas("inf.yaml", "    costs:\n      broken: 1 / (endpoints - 60)\n");
  try {
    run(s, 1'000, 2);
    FAIL() << "expected a LimitError";
  } catch (const LimitError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("formula 'broken' ("), std::string::npos) << what;
    EXPECT_NE(what.find(":5:15) is not finite at trial 0"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace switchcost::sim

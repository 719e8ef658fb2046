// What a distributed run (sim/cli/distributed.h) is built on, in one
// process: a run's blocks run as shares (RunOptions::block_range) and put
// together as rank 0 does give the bytes of the whole run, in both modes;
// sketches survive their bytes. tests/mpi_test.sh runs the real thing.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sim/engine/engine.h"
#include "sim/scenario/scenario.h"

namespace switchcost::sim {
namespace {

Scenario portfolio() { return load_scenario({SWITCHCOST_SOURCE_DIR "/scenarios/kaspersky-2024/portfolio.yaml"}); }

// The portfolio with cost formulas: one each for its three MSPs and two
// (in another order than the rows') for a fourth, so each block's formula
// moments sit at uneven offsets (block_moment_layout).
Scenario with_formulas() {
  const std::string path = ::testing::TempDir() + "mpi_share_formulas.yaml";
  std::ofstream(path) << "include: [" SWITCHCOST_SOURCE_DIR "/scenarios/kaspersky-2024/portfolio.yaml]\n"
                         "msp_defaults:\n  formulas:\n    costs:\n"
                         "      resume: endpoints * pert(10, 23, 35) / 60 * 30\n"
                         "msps:\n  - name: two-lines\n    endpoints: 500\n    clients: 40\n"
                         "    labor: {technicians: 3}\n    formulas:\n      costs:\n"
                         "        late: if(completion_day >= timeline.updates_end, pert(100, 800, 2000), 0)\n"
                         "        resume: endpoints * pert(5, 15, 30) / 60 * 40\n";
  return load_scenario({path});
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void check_exact_shares(const Scenario& s) {
  RunOptions o;
  o.trials = 10'000;
  o.block_trials = 1024;  // 10 blocks, the last short
  o.threads = 2;
  const RunResult whole = run_scenario(s, o);
  for (const auto& [first, end] : {std::pair<std::size_t, std::size_t>{0, 4}, {4, 10}, {7, 99}}) {
    RunOptions share = o;
    share.block_range.emplace(first, end);
    const RunResult r = run_scenario(s, share);
    const std::size_t t0 = first * 1024, t1 = std::min<std::size_t>(end * 1024, 10'000);
    EXPECT_TRUE(r.complete);
    EXPECT_EQ(r.trials_done, t1 - t0);
    ASSERT_EQ(r.portfolio[0].size(), 10'000u);  // the run's length, only the share written
    for (std::size_t m = 0; m < s.msps.size(); ++m)
      for (int k = 0; k < output_count; ++k)
        for (std::size_t t = t0; t < t1; ++t) {
          ASSERT_TRUE(same_bits(r.msps[m].series[std::size_t(k)][t], whole.msps[m].series[std::size_t(k)][t]));
          ASSERT_TRUE(same_bits(r.portfolio[std::size_t(k)][t], whole.portfolio[std::size_t(k)][t]));
        }
    ASSERT_EQ(r.formula_portfolio.size(), whole.formula_portfolio.size());
    for (std::size_t f = 0; f < r.formula_portfolio.size(); ++f)
      for (std::size_t t = t0; t < t1; ++t)
        ASSERT_TRUE(same_bits(r.formula_portfolio[f][t], whole.formula_portfolio[f][t]));
    for (std::size_t m = 0; m < s.msps.size(); ++m) {
      ASSERT_EQ(r.msps[m].formula_series.size(), whole.msps[m].formula_series.size());
      for (std::size_t f = 0; f < r.msps[m].formula_series.size(); ++f)
        for (std::size_t t = t0; t < t1; ++t)
          ASSERT_TRUE(same_bits(r.msps[m].formula_series[f][t], whole.msps[m].formula_series[f][t]));
    }
  }
  RunOptions none = o;  // a rank with no block (more ranks than blocks)
  none.block_range.emplace(10, 10);
  const RunResult r = run_scenario(s, none);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.trials_done, 0u);
}

TEST(BlockShares, ExactModeSharesHoldTheWholeRunsValues) { check_exact_shares(portfolio()); }

TEST(BlockShares, ExactModeSharesHoldTheFormulaRows) {
  const Scenario s = with_formulas();
  ASSERT_EQ(formula_cost_names(s).size(), 2u);
  check_exact_shares(s);
}

// Moves a sketch through its bytes and merges it into `into`.
void merge_through_bytes(const QuantileSketch& from, QuantileSketch& into) {
  std::vector<unsigned char> bytes;
  from.append_bytes(bytes);
  const unsigned char* p = bytes.data();
  into.merge(QuantileSketch::read_bytes(p, bytes.data() + bytes.size()));
  EXPECT_EQ(p, bytes.data() + bytes.size());
}

// Rank 0's merge: sketches through their bytes, moments folded again in
// block order, the portfolio's series put together, then the tail pass.
void check_sketch_shares(const Scenario& s) {
  RunOptions o;
  o.trials = 5 * sketch_block_trials + 100;  // 6 blocks, the last short
  o.threads = 2;
  o.msp_stats = MspStats::sketch;
  const RunResult whole = run_scenario(s, o);

  std::vector<BlockMoments> moments;
  std::vector<RunResult> shares;
  for (const auto& [first, end] : {std::pair<std::size_t, std::size_t>{0, 2}, {2, 6}}) {
    RunOptions share = o;
    share.block_range.emplace(first, end);
    share.block_moments = [&](const std::vector<BlockMoments>& m) { moments.insert(moments.end(), m.begin(), m.end()); };
    shares.push_back(run_scenario(s, share));
  }
  RunResult r = std::move(shares[0]);
  const RunResult& second = shares[1];
  for (int k = 0; k < output_count; ++k)
    for (std::size_t t = 2 * sketch_block_trials; t < o.trials; ++t)
      r.portfolio[std::size_t(k)][t] = second.portfolio[std::size_t(k)][t];
  for (std::size_t f = 0; f < r.formula_portfolio.size(); ++f)
    for (std::size_t t = 2 * sketch_block_trials; t < o.trials; ++t)
      r.formula_portfolio[f][t] = second.formula_portfolio[f][t];
  const std::vector<std::size_t> layout = block_moment_layout(r);
  ASSERT_EQ(layout.size(), s.msps.size() + 1);
  const std::size_t per_block = layout.back();
  ASSERT_EQ(moments.size(), 6 * per_block);
  for (std::size_t m = 0; m < s.msps.size(); ++m) {
    MspSketch& k = *r.msps[m].sketch;
    k.moments = {};
    std::fill(k.formula_moments.begin(), k.formula_moments.end(), MomentAccumulator{});
    for (std::size_t at = 0; at < moments.size(); at += per_block) {
      for (int q = 0; q < output_count; ++q)
        k.moments[std::size_t(q)].add(moments[at + m * std::size_t(output_count) + std::size_t(q)]);
      for (std::size_t f = 0; f < k.formula_moments.size(); ++f) k.formula_moments[f].add(moments[at + layout[m] + f]);
    }
    k.done_before_updates_stop += second.msps[m].sketch->done_before_updates_stop;
    for (int q = 0; q < output_count; ++q)
      merge_through_bytes(second.msps[m].sketch->quantiles[std::size_t(q)], k.quantiles[std::size_t(q)]);
    for (std::size_t f = 0; f < k.formula_quantiles.size(); ++f)
      merge_through_bytes(second.msps[m].sketch->formula_quantiles[f], k.formula_quantiles[f]);
  }
  r.trials_done = o.trials;
  run_tail_pass(s, o, r);

  for (std::size_t m = 0; m < s.msps.size(); ++m) {
    const MspSketch& a = *r.msps[m].sketch;
    const MspSketch& b = *whole.msps[m].sketch;
    EXPECT_EQ(a.done_before_updates_stop, b.done_before_updates_stop);
    EXPECT_TRUE(same_bits(a.tail_total_cost, b.tail_total_cost));
    for (int q = 0; q < output_count; ++q) {
      EXPECT_TRUE(a.quantiles[std::size_t(q)].same_counts(b.quantiles[std::size_t(q)]));
      EXPECT_EQ(a.moments[std::size_t(q)].count(), b.moments[std::size_t(q)].count());
      EXPECT_TRUE(same_bits(a.moments[std::size_t(q)].mean(), b.moments[std::size_t(q)].mean()));
      EXPECT_TRUE(same_bits(a.moments[std::size_t(q)].sd(), b.moments[std::size_t(q)].sd()));
    }
    ASSERT_EQ(a.formula_moments.size(), b.formula_moments.size());
    for (std::size_t f = 0; f < a.formula_moments.size(); ++f) {
      EXPECT_TRUE(a.formula_quantiles[f].same_counts(b.formula_quantiles[f]));
      EXPECT_EQ(a.formula_moments[f].count(), b.formula_moments[f].count());
      EXPECT_TRUE(same_bits(a.formula_moments[f].mean(), b.formula_moments[f].mean()));
      EXPECT_TRUE(same_bits(a.formula_moments[f].sd(), b.formula_moments[f].sd()));
    }
  }
}

TEST(BlockShares, SketchModeSharesMergeToTheWholeRun) { check_sketch_shares(portfolio()); }

TEST(BlockShares, SketchModeSharesMergeTheFormulaRows) {
  const Scenario s = with_formulas();
  ASSERT_EQ(s.msps.size(), 4u);
  check_sketch_shares(s);
}

TEST(QuantileSketchBytes, RoundTripKeepsCountsAndRefusesShortBytes) {
  QuantileSketch q;
  for (int i = -500; i < 3000; ++i) q.add(i * 1.7);
  q.add(0.0);
  std::vector<unsigned char> bytes;
  q.append_bytes(bytes);
  const unsigned char* p = bytes.data();
  const QuantileSketch back = QuantileSketch::read_bytes(p, bytes.data() + bytes.size());
  EXPECT_TRUE(back.same_counts(q));
  EXPECT_EQ(back.order_statistic(1234), q.order_statistic(1234));
  for (std::size_t cut : {std::size_t(0), std::size_t(7), bytes.size() / 2, bytes.size() - 1}) {
    const unsigned char* c = bytes.data();
    EXPECT_THROW(QuantileSketch::read_bytes(c, bytes.data() + cut), std::invalid_argument);
  }
}

}  // namespace
}  // namespace switchcost::sim

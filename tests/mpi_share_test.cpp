// What a distributed run (sim/cli/distributed.h) is built on, in one
// process: a run's blocks run as shares (RunOptions::block_range) and put
// together as rank 0 does give the bytes of the whole run, in both modes;
// sketches survive their bytes. tests/mpi_test.sh runs the real thing.
#include <gtest/gtest.h>

#include <cstring>
#include <stdexcept>
#include <utility>
#include <vector>

#include "sim/engine/engine.h"
#include "sim/scenario/scenario.h"

namespace switchcost::sim {
namespace {

Scenario portfolio() { return load_scenario({SWITCHCOST_SOURCE_DIR "/scenarios/kaspersky-2024/portfolio.yaml"}); }

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

TEST(BlockShares, ExactModeSharesHoldTheWholeRunsValues) {
  const Scenario s = portfolio();
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
  }
  RunOptions none = o;  // a rank with no block (more ranks than blocks)
  none.block_range.emplace(10, 10);
  const RunResult r = run_scenario(s, none);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.trials_done, 0u);
}

// Rank 0's merge: sketches through their bytes, moments folded again in
// block order, the portfolio's series put together, then the tail pass.
TEST(BlockShares, SketchModeSharesMergeToTheWholeRun) {
  const Scenario s = portfolio();
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
  const std::size_t per_block = s.msps.size() * std::size_t(output_count);
  ASSERT_EQ(moments.size(), 6 * per_block);
  for (std::size_t m = 0; m < s.msps.size(); ++m) {
    MspSketch& k = *r.msps[m].sketch;
    k.moments = {};
    for (std::size_t at = m * std::size_t(output_count); at < moments.size(); at += per_block)
      for (int q = 0; q < output_count; ++q) k.moments[std::size_t(q)].add(moments[at + std::size_t(q)]);
    k.done_before_updates_stop += second.msps[m].sketch->done_before_updates_stop;
    for (int q = 0; q < output_count; ++q) {
      std::vector<unsigned char> bytes;
      second.msps[m].sketch->quantiles[std::size_t(q)].append_bytes(bytes);
      const unsigned char* p = bytes.data();
      k.quantiles[std::size_t(q)].merge(QuantileSketch::read_bytes(p, bytes.data() + bytes.size()));
      EXPECT_EQ(p, bytes.data() + bytes.size());
    }
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
  }
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

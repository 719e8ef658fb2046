// The Monte Carlo engine: runs blocks of trials across threads. For each
// block it draws every input into contiguous arrays (market-level inputs once,
// shared by every MSP; per-MSP inputs per MSP), runs the models/ kernels over
// them and stores each trial's outputs at its trial index. Because every
// variate is a pure function of (seed, variable, trial) and each trial's
// outputs land at a fixed place, results are byte-identical for any thread
// count and block size.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/scenario.h"

namespace switchcost::sim {

// What is kept per trial, per MSP and for the portfolio.
enum class Output : int {
  labor_cost,         // [USD] migration labor borne by the MSP
  pricing_cost,       // [USD] PV of the licence price change borne by the MSP, plus setup fees
  lost_updates_cost,  // [USD] incidents on endpoints left without updates
  stranded_cost,      // [USD] prepaid licences that cannot be used
  refund_cost,        // [USD] refunds owed to clients
  extras_cost,        // [USD] extra line items
  total_cost,         // [USD] sum of the six above
  labor_hours,        // [h]
  duration_days,      // [days] from the MSP's migration start to completion (portfolio: last MSP)
  completion_day,     // [days since 1970-01-01] completion date (portfolio: last MSP)
  incidents,          // [incidents] excess incidents after the cut-off
  count
};
inline constexpr int output_count = static_cast<int>(Output::count);
inline constexpr int cost_output_count = 7;  // labor_cost .. total_cost
// Key used in JSON and CSV ("labor_cost") and label for tables ("migration labor").
const char* output_key(Output o) noexcept;
const char* output_label(Output o) noexcept;

using Series = std::array<std::vector<double>, output_count>;

constexpr std::array<bool, output_count> all_outputs() {
  std::array<bool, output_count> all{};
  for (auto& b : all) b = true;
  return all;
}

struct RunOptions {
  std::uint64_t trials = 100'000;
  std::uint64_t seed = 1;
  unsigned threads = 1;
  std::size_t block_trials = 4096;
  // Checked between blocks: when set, the run stops at a block boundary
  // and returns the trials done so far (a prefix of the trial range).
  const std::atomic<bool>* stop = nullptr;
  // Which per-MSP series to keep (the portfolio keeps all); others stay empty.
  std::array<bool, output_count> keep_msp_outputs = all_outputs();
  // Called from one thread with (trials done, trials requested) now and then.
  std::function<void(std::uint64_t, std::uint64_t)> progress;
};

struct MspSeries {
  std::string name;
  Series series;  // each vector holds trials_done values, trial order
};

struct RunResult {
  std::uint64_t trials_requested = 0;
  std::uint64_t trials_done = 0;
  bool complete = false;
  std::vector<MspSeries> msps;
  Series portfolio;  // costs, hours and incidents summed over MSPs; durations and completion: the last MSP
};

// Bytes the per-trial results of a run would take.
std::uint64_t estimate_result_bytes(const Scenario& scenario, std::uint64_t trials,
                                    const std::array<bool, output_count>& keep = all_outputs()) noexcept;

// Runs the scenario. Throws LimitError when a result overflows.
RunResult run_scenario(const Scenario& scenario, const RunOptions& options);

}  // namespace switchcost::sim

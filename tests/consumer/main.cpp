// Runs the built-in 350-endpoint MSP through the installed library and prints
// the total cost's trials, reported mean, P50 and P90 (full precision), for check.sh
// to hold against `switchcost run --json` on the same trials and seed.
#include <cstdio>
#include <exception>

#include "sim/engine/engine.h"
#include "sim/scenario/scenario.h"
#include "sim/stats/summary.h"

int main(int argc, char** argv) {
  namespace sc = switchcost::sim;
  try {
    const sc::Scenario scenario = sc::load_scenario({"builtin:kaspersky-2024/msp-350.yaml"});
    sc::RunOptions options;
    options.trials = argc > 1 ? std::stoull(argv[1]) : 2000;
    options.seed = 1;
    options.threads = 2;
    const sc::RunResult result = sc::run_scenario(scenario, options);
    const auto& total = result.portfolio[static_cast<int>(sc::Output::total_cost)];
    const sc::Stats stats = sc::summarize({total.data(), total.size()});
    // The reported mean of the total: that of its series with lost updates at
    // their expected cost (docs/output-format.md, "Means of compound costs").
    const auto& expected = result.portfolio[static_cast<int>(sc::Output::total_expected_cost)];
    const double mean = sc::summarize({expected.data(), expected.size()}).mean;
    std::printf("%llu %.17g %.17g %.17g\n", static_cast<unsigned long long>(stats.n), mean,
                stats.at(0.5).value, stats.at(0.9).value);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "consumer: %s\n", e.what());
    return 1;
  }
  return 0;
}

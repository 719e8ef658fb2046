// Benchmarks: random streams, distributions, model kernels, the YAML reader
// on hostile inputs, and the engine end to end, plus the "floor": drawing the same uniforms and transforms the
// engine draws per MSP-trial, doing nothing else. CI compares the engine's
// throughput with the floor measured in the same run (.ci/bench), because a
// ratio survives a noisy machine where an absolute time does not.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "models/extras.h"
#include "models/formula.h"
#include "models/labor.h"
#include "models/lost_updates.h"
#include "models/pricing.h"
#include "models/stranded.h"
#include "sim/random/distribution.h"
#include "sim/engine/engine.h"
#include "sim/random/random.h"
#include "sim/random/sampling.h"
#include "sim/scenario/formula.h"
#include "sim/scenario/scenario.h"
#include "sim/stats/sketch.h"
#include "sim/scenario/yaml_reader.h"

namespace {

using namespace switchcost;
constexpr std::size_t block = 4096;

// Uniforms on one path of sim/random/random.cpp, a block at a time.
void philox_bench(benchmark::State& state, sim::UniformPath path) {
  if (!sim::uniforms_path_available(path)) {
    state.SkipWithError("this CPU lacks that path");
    return;
  }
  std::vector<double> u(block);
  const sim::Stream s{1, sim::variable_id("bench")};
  std::uint64_t first = 0;
  for (auto _ : state) {
    sim::fill_uniforms_on(path, s, first, block, 0, u.data());
    benchmark::DoNotOptimize(u.data());
    first += block;
  }
  state.SetItemsProcessed(std::int64_t(state.iterations() * block));
}
// The path fill_uniforms takes on this CPU.
void BM_Random_Philox(benchmark::State& state) { philox_bench(state, sim::uniforms_path()); }
BENCHMARK(BM_Random_Philox);
// The AVX2 path (CPUs without AVX-512), where this CPU has it.
void BM_Random_Philox_AVX2(benchmark::State& state) { philox_bench(state, sim::UniformPath::avx2); }
BENCHMARK(BM_Random_Philox_AVX2);

// Uniforms as TrialSet::uniforms gives them under --sampling lhs or sobol:
// a block of Philox uniforms, then placed in their strata (sampling.h), for
// a run of 100,000 trials. Items are values: ns per value.
void sampling_bench(benchmark::State& state, sim::Sampling method) {
  constexpr std::uint64_t trials = 100'000;
  std::vector<std::uint64_t> variables;
  for (int i = 0; i < 33; ++i) variables.push_back(sim::variable_id("bench." + std::to_string(i)));
  const sim::SamplingPlan plan = sim::SamplingPlan::make(method, trials, variables);
  std::vector<double> u(block);
  const sim::Stream s{1, variables[17]};
  std::uint64_t first = 0;
  for (auto _ : state) {
    sim::fill_uniforms(s, first, block, 0, u.data());
    plan.apply(s, first, nullptr, block, u.data());
    benchmark::DoNotOptimize(u.data());
    first = (first + block) % (trials - block);
  }
  state.SetItemsProcessed(std::int64_t(state.iterations() * block));
}
void BM_Sampling_Lhs(benchmark::State& state) { sampling_bench(state, sim::Sampling::lhs); }
BENCHMARK(BM_Sampling_Lhs);
void BM_Sampling_Sobol(benchmark::State& state) { sampling_bench(state, sim::Sampling::sobol); }
BENCHMARK(BM_Sampling_Sobol);

void quantile_bench(benchmark::State& state, const sim::Distribution& d) {
  std::vector<double> u(block), x(block);
  sim::fill_uniforms(sim::Stream{1, 2}, 0, block, 0, u.data());
  for (auto _ : state) {
    d.quantiles(u.data(), x.data(), block);
    benchmark::DoNotOptimize(x.data());
  }
  state.SetItemsProcessed(std::int64_t(state.iterations() * block));
}
void BM_Distribution_Uniform(benchmark::State& s) { quantile_bench(s, sim::Distribution::uniform(1, 2)); }
void BM_Distribution_Triangular(benchmark::State& s) { quantile_bench(s, sim::Distribution::triangular(1, 2, 4)); }
void BM_Distribution_Pert(benchmark::State& s) { quantile_bench(s, sim::Distribution::pert(1, 2, 4)); }
void BM_Distribution_Normal(benchmark::State& s) { quantile_bench(s, sim::Distribution::normal(0, 1)); }
void BM_Distribution_Lognormal(benchmark::State& s) {
  quantile_bench(s, sim::Distribution::lognormal_percentiles(0.05, 2000, 0.95, 150000));
}
void BM_Distribution_Poisson(benchmark::State& s) { quantile_bench(s, sim::Distribution::poisson(3)); }
void BM_Distribution_Bernoulli(benchmark::State& s) { quantile_bench(s, sim::Distribution::bernoulli(0.3)); }
void BM_Distribution_Gamma(benchmark::State& s) { quantile_bench(s, sim::Distribution::gamma(2, 3)); }
BENCHMARK(BM_Distribution_Uniform);
BENCHMARK(BM_Distribution_Triangular);
BENCHMARK(BM_Distribution_Pert);
BENCHMARK(BM_Distribution_Normal);
BENCHMARK(BM_Distribution_Lognormal);
BENCHMARK(BM_Distribution_Poisson);
BENCHMARK(BM_Distribution_Bernoulli);
BENCHMARK(BM_Distribution_Gamma);

models::LaborInputs labor_inputs(Eigen::Index n) {
  models::LaborInputs in;
  in.resize(n);
  in.endpoints.setConstant(350);
  in.clients.setConstant(25);
  in.first_endpoint_hours = Eigen::ArrayXd::LinSpaced(n, 0.25, 1.0);
  in.learning_rate = Eigen::ArrayXd::LinSpaced(n, 0.75, 0.95);
  in.setup_hours.setConstant(8);
  in.config_hours_per_client.setConstant(3);
  in.failed_install_share.setConstant(0.05);
  in.rework_hours_per_failed_install.setConstant(1);
  in.broken_app_client_share.setConstant(0.1);
  in.fix_hours_per_broken_client.setConstant(2);
  in.overhead_hours_per_client.setConstant(1);
  in.technician_cost_per_hour.setConstant(42);
  in.billable_share.setConstant(0.1);
  in.capacity_hours_per_week = Eigen::ArrayXd::LinSpaced(n, 10, 40);
  return in;
}

void BM_Model_Labor(benchmark::State& state) {
  const auto in = labor_inputs(block);
  models::LaborResult out;
  for (auto _ : state) {
    models::migration_labor(in, out);
    benchmark::DoNotOptimize(out.cost.data());
  }
  state.SetItemsProcessed(std::int64_t(state.iterations() * block));
}
BENCHMARK(BM_Model_Labor);

// range(0) = 0: the inputs' ramps in order, so that neighbouring trials take the
// same branches; 1: each ramp shuffled (its own fixed permutation), so that they
// vary from trial to trial as the engine's independent draws do.
void BM_Model_LostUpdates(benchmark::State& state) {
  auto in = labor_inputs(block);
  models::LostUpdatesInputs li;
  li.resize(block);
  li.cutoff_day = Eigen::ArrayXd::LinSpaced(block, 0, 120);
  if (state.range(0) == 1) {
    std::mt19937_64 engine(20261204);
    for (Eigen::ArrayXd* column :
         {&in.first_endpoint_hours, &in.learning_rate, &in.capacity_hours_per_week, &li.cutoff_day})
      std::shuffle(column->data(), column->data() + column->size(), engine);
  }
  models::LaborResult labor;
  models::migration_labor(in, labor);
  li.encounters_per_endpoint_day.setConstant(1.4e-4);
  li.miss_rate_supported.setConstant(0.03);
  li.frozen_miss_multiplier.setConstant(5);
  li.protection_decay_days.setConstant(45);
  models::LostUpdatesResult out;
  for (auto _ : state) {
    models::lost_updates(in, labor, li, out);
    benchmark::DoNotOptimize(out.expected_incidents.data());
  }
  state.SetItemsProcessed(std::int64_t(state.iterations() * block));
}
BENCHMARK(BM_Model_LostUpdates)->Arg(0)->Arg(1);

models::PricingInputs pricing_inputs() {
  models::PricingInputs in;
  in.resize(block);
  in.endpoints.setConstant(350);
  in.new_price_per_endpoint_month = Eigen::ArrayXd::LinSpaced(block, 2, 4);
  in.old_price_per_endpoint_month.setConstant(2.5);
  in.new_annual_escalation.setConstant(0.03);
  in.old_annual_escalation.setConstant(0.02);
  in.promo_months.setConstant(3);
  in.promo_discount.setConstant(0.3);
  in.new_setup_fee_per_endpoint.setZero();
  in.new_setup_fee_per_msp.setZero();
  in.share_passed_to_clients.setConstant(0.5);
  in.discount_rate_per_year.setConstant(0.08);
  in.volume_tiers = {{100, 0.05}, {1000, 0.1}};
  in.horizon_months = 36;
  return in;
}

void pricing_bench(benchmark::State& state, const models::PricingInputs& in) {
  models::PricingResult out;
  for (auto _ : state) {
    models::competitor_pricing(in, out);
    benchmark::DoNotOptimize(out.cost.data());
  }
  state.SetItemsProcessed(std::int64_t(state.iterations() * block));
}

// A constant discount rate, as in the shipped scenarios: the discount sums
// are tabulated once per block.
void BM_Model_Pricing(benchmark::State& state) { pricing_bench(state, pricing_inputs()); }
BENCHMARK(BM_Model_Pricing);

// A discount rate drawn per trial: the sums are computed per trial.
void BM_Model_Pricing_RatePerTrial(benchmark::State& state) {
  auto in = pricing_inputs();
  in.discount_rate_per_year = Eigen::ArrayXd::LinSpaced(block, 0.04, 0.12);
  pricing_bench(state, in);
}
BENCHMARK(BM_Model_Pricing_RatePerTrial);

// The scheduled form (licences on the migration schedule, as the engine
// prices them): a 350-endpoint MSP whose learning rate, first-endpoint hours,
// capacity, start delay (0-120 days) and overlap (0-2 months) vary from trial
// to trial in random order, as drawn trials do; a constant discount rate.
void BM_Model_PricingSchedule(benchmark::State& state) {
  auto in = pricing_inputs();
  auto labor = labor_inputs(block);
  // Six uniforms per trial from the engine's own generator (fixed stream).
  std::array<std::vector<double>, 6> u;
  for (std::uint32_t k = 0; k < u.size(); ++k) {
    u[k].resize(block);
    sim::fill_uniforms(sim::Stream{20, sim::variable_id("bench-schedule")}, 0, block, k, u[k].data());
  }
  models::Column delay(block);
  for (std::size_t i = 0; i < block; ++i) {
    const auto t = Eigen::Index(i);
    labor.first_endpoint_hours[t] = 0.25 + 0.75 * u[0][i];
    labor.learning_rate[t] = 0.75 + 0.2 * u[1][i];
    labor.capacity_hours_per_week[t] = 10.0 + 30.0 * u[2][i];
    delay[t] = 120.0 * u[3][i] * u[4][i];
    in.overlap_months[t] = 2.0 * u[5][i];
  }
  in.new_minimum_term_months.setZero();
  models::LaborResult labor_out;
  models::migration_labor(labor, labor_out);
  models::PricingResult out;
  for (auto _ : state) {
    models::competitor_pricing(in, labor, labor_out, delay, out);
    benchmark::DoNotOptimize(out.cost.data());
  }
  state.SetItemsProcessed(std::int64_t(state.iterations() * block));
}
BENCHMARK(BM_Model_PricingSchedule);

void BM_Model_Stranded(benchmark::State& state) {
  models::StrandedInputs in;
  in.resize(block);
  in.endpoints.setConstant(350);
  in.old_price_per_endpoint_month = Eigen::ArrayXd::LinSpaced(block, 0.64, 4.17);
  in.prepaid_share = Eigen::ArrayXd::LinSpaced(block, 0, 0.3);
  in.prepaid_months_remaining = Eigen::ArrayXd::LinSpaced(block, 0, 12);
  in.recovered_share.setConstant(0.1);
  in.client_prepaid_share = Eigen::ArrayXd::LinSpaced(block, 0, 0.3);
  in.client_prepaid_months_remaining = Eigen::ArrayXd::LinSpaced(block, 12, 0);
  in.client_price_per_endpoint_month.setConstant(5);
  in.refund_share.setConstant(0.05);
  models::StrandedResult out;
  for (auto _ : state) {
    models::stranded_licences(in, out);
    benchmark::DoNotOptimize(out.stranded_cost.data());
  }
  state.SetItemsProcessed(std::int64_t(state.iterations() * block));
}
BENCHMARK(BM_Model_Stranded);

void BM_Model_Extras(benchmark::State& state) {
  const Eigen::ArrayXd amount = Eigen::ArrayXd::LinSpaced(block, 1, 3);
  const Eigen::ArrayXd endpoints = Eigen::ArrayXd::Constant(block, 350);
  const Eigen::ArrayXd clients = Eigen::ArrayXd::Constant(block, 25);
  Eigen::ArrayXd total = Eigen::ArrayXd::Zero(block);
  for (auto _ : state) {
    models::add_extra_item(amount, models::ExtraPer::endpoint, endpoints, clients, 36.0, total);
    benchmark::DoNotOptimize(total.data());
  }
  state.SetItemsProcessed(std::int64_t(state.iterations() * block));
}
BENCHMARK(BM_Model_Extras);

// A formula of 10 operations (sim/scenario/formula.h) over a block of four
// input columns, as the engine evaluates an MSP's formulas per block: items
// are trial-operations, so the time per item is the cost per operation per
// trial. Compare with BM_Model_Stranded (10 multiplications and
// subtractions per trial, hand-written Eigen).
void BM_Formula_TenOps(benchmark::State& state) {
  const std::vector<std::string> names = {"endpoints", "prepaid_share", "months", "price"};
  const sim::FormulaSet set = sim::compile_formulas(
      {sim::FormulaSource{"x",
                          "endpoints * prepaid_share * months * price * (1 - 0.1)"
                          " + max(endpoints / 10, 1) * sqrt(months)",
                          sim::Location{"bench", 1, 1}, true, {}}},
      names, "bench.");
  const auto& program = set.formulas.front().program;
  const std::vector<models::Column> columns = {
      Eigen::ArrayXd::Constant(block, 350), Eigen::ArrayXd::LinSpaced(block, 0, 0.3),
      Eigen::ArrayXd::LinSpaced(block, 0, 12), Eigen::ArrayXd::LinSpaced(block, 0.64, 4.17)};
  std::vector<const models::Column*> slots;
  for (const auto& c : columns) slots.push_back(&c);
  models::FormulaWorkspace workspace;
  models::Column out;
  for (auto _ : state) {
    models::evaluate_formula(program, slots, Eigen::Index(block), workspace, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["ops"] = double(program.code.size());
  state.SetItemsProcessed(std::int64_t(state.iterations() * block * program.code.size()));
}
BENCHMARK(BM_Formula_TenOps);

// One output's block into a fresh sketch, as the engine's sketch mode does
// per MSP, output and block: lognormal values (a cost), then all zeros (a
// component that is zero in most trials).
void sketch_bench(benchmark::State& state, const std::vector<double>& x) {
  sim::QuantileSketch sketch(0.005);
  for (auto _ : state) {
    sketch.clear();
    sketch.add(x.data(), x.size());
    benchmark::DoNotOptimize(&sketch);
  }
  state.SetItemsProcessed(std::int64_t(state.iterations() * x.size()));
}
void BM_Sketch_AddCosts(benchmark::State& state) {
  std::vector<double> u(block), x(block);
  sim::fill_uniforms(sim::Stream{1, sim::variable_id("sketch")}, 0, block, 0, u.data());
  sim::Distribution::lognormal_percentiles(0.05, 1000, 0.95, 50000).quantiles(u.data(), x.data(), block);
  sketch_bench(state, x);
}
BENCHMARK(BM_Sketch_AddCosts);
void BM_Sketch_AddZeros(benchmark::State& state) { sketch_bench(state, std::vector<double>(block, 0.0)); }
BENCHMARK(BM_Sketch_AddZeros);
// Costs that are zero in some trials and saved (negative) in others, in a
// random pattern (a price change, a compound cost): zeros, positive and
// negative values a third each (argument 0), or zeros and positive values
// half each (argument 1).
void BM_Sketch_AddMixed(benchmark::State& state) {
  std::vector<double> u(block), x(block);
  sim::fill_uniforms(sim::Stream{1, sim::variable_id("sketch")}, 0, block, 0, u.data());
  sim::Distribution::lognormal_percentiles(0.05, 1000, 0.95, 50000).quantiles(u.data(), x.data(), block);
  for (std::size_t i = 0; i < block; ++i) {
    const int kind = int(std::floor(u[(i * 7919) % block] * (state.range(0) == 0 ? 3 : 2)));
    x[i] = kind == 0 ? 0.0 : kind == 1 ? x[i] : -x[i];
  }
  sketch_bench(state, x);
}
BENCHMARK(BM_Sketch_AddMixed)->Arg(0)->Arg(1);
// The same kinds of values, but a different block each time, from 32
// (1 MiB, in the L2 cache), as the engine's blocks are: in the case above
// the same 4,096 values come back every iteration, and a branch predictor
// learns much of their pattern of signs.
void BM_Sketch_AddMixedFresh(benchmark::State& state) {
  constexpr std::size_t blocks = 32, n = blocks * block;
  std::vector<double> u(n), x(n);
  sim::fill_uniforms(sim::Stream{1, sim::variable_id("sketch")}, 0, n, 0, u.data());
  sim::Distribution::lognormal_percentiles(0.05, 1000, 0.95, 50000).quantiles(u.data(), x.data(), n);
  sim::fill_uniforms(sim::Stream{2, sim::variable_id("sketch")}, 0, n, 0, u.data());
  for (std::size_t i = 0; i < n; ++i) {
    const int kind = int(std::floor(u[i] * (state.range(0) == 0 ? 3 : 2)));
    x[i] = kind == 0 ? 0.0 : kind == 1 ? x[i] : -x[i];
  }
  sim::QuantileSketch sketch(0.005);
  std::size_t next = 0;
  for (auto _ : state) {
    sketch.clear();
    sketch.add(x.data() + next * block, block);
    benchmark::DoNotOptimize(&sketch);
    next = (next + 1) % blocks;
  }
  state.SetItemsProcessed(std::int64_t(state.iterations() * block));
}
BENCHMARK(BM_Sketch_AddMixedFresh)->Arg(0)->Arg(1);

// The YAML reader on the hostile inputs whose unit tests bound its counted
// work (tests/yaml_reader_test.cpp), for the time those counts leave out,
// yaml-cpp's own included. Each at two sizes, ten times apart: bench/check.py
// gates the time per item of the large against the small (about 1 when the
// reading is linear, 10 when quadratic).

// `count` keys, "k0: 0" to "k<count-1>: 0": a valid read of 2 nodes a key.
void BM_Yaml_Keys(benchmark::State& state) {
  const auto count = std::size_t(state.range(0));
  std::string text;
  for (std::size_t i = 0; i < count; ++i) text += "k" + std::to_string(i) + ": 0\n";
  for (auto _ : state) {
    const sim::Node root = sim::read_yaml_text(text, "keys.yaml");
    benchmark::DoNotOptimize(root.entries.data());
  }
  state.SetItemsProcessed(std::int64_t(state.iterations() * count));
  state.SetBytesProcessed(std::int64_t(state.iterations() * text.size()));
}
BENCHMARK(BM_Yaml_Keys)->Arg(20'000)->Arg(200'000)->Unit(benchmark::kMillisecond);

// "a: [[[[..." never closed: refused at the depth limit, after yaml-cpp has
// scanned every bracket looking for a ']'. Items: brackets.
void BM_Yaml_UnclosedBrackets(benchmark::State& state) {
  const auto count = std::size_t(state.range(0));
  const std::string text = "a: " + std::string(count, '[');
  for (auto _ : state) {
    try {
      sim::read_yaml_text(text, "brackets.yaml");
      state.SkipWithError("the unclosed brackets were accepted");
      break;
    } catch (const sim::ScenarioError& e) {
      benchmark::DoNotOptimize(e.what());
    }
  }
  state.SetItemsProcessed(std::int64_t(state.iterations() * count));
}
BENCHMARK(BM_Yaml_UnclosedBrackets)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

// Block mappings nested 2,800 deep by indentation (3.9 MB, under the 4 MiB
// cap): refused at line 65, so the time is mostly the pre-scan of every
// byte. Items: bytes.
void BM_Yaml_DeepIndentation(benchmark::State& state) {
  std::string text;
  for (std::size_t i = 0; i < 2'800; ++i) text += std::string(i, ' ') + "a:\n";
  text += std::string(2'800, ' ') + "x\n";
  for (auto _ : state) {
    try {
      sim::read_yaml_text(text, "deep.yaml");
      state.SkipWithError("the deep nesting was accepted");
      break;
    } catch (const sim::ScenarioError& e) {
      benchmark::DoNotOptimize(e.what());
    }
  }
  state.SetItemsProcessed(std::int64_t(state.iterations() * text.size()));
  state.SetBytesProcessed(std::int64_t(state.iterations() * text.size()));
}
BENCHMARK(BM_Yaml_DeepIndentation)->Unit(benchmark::kMillisecond);

// A generated portfolio of `count` MSPs: the shipped 200-MSP population
// (scenarios/kaspersky-2024/population-200.yaml) with a larger count,
// written to a temporary file; the same MSPs every time (fixed seed).
std::string portfolio_file(int count) {
  const std::string path = "/tmp/switchcost-bench-population-" + std::to_string(count) + ".yaml";
  std::ofstream f(path);
  f << "include: [builtin:kaspersky-2024/timeline.yaml, builtin:kaspersky-2024/market.yaml,\n"
       "          builtin:kaspersky-2024/prices/list.yaml, builtin:kaspersky-2024/msp-defaults.yaml]\n"
       "populations:\n"
       "  - name_prefix: msp\n"
       "    count: " << count << "\n"
       "    seed: 2024\n"
       "    endpoints: {lognormal: {p5: 40, p95: 3000}}\n"
       "    endpoints_per_client: {pert: [5, 12, 30]}\n"
       "    endpoints_per_technician: {pert: [120, 180, 300]}\n"
       "    targets: {bitdefender: 3, eset: 2, sophos: 2, microsoft-defender: 2, webroot: 1, sentinelone: 1}\n";
  return path;
}

void engine_bench(benchmark::State& state, const sim::Scenario& s, std::uint64_t trials,
                  sim::MspStats mode = sim::MspStats::exact, sim::Sampling sampling = sim::Sampling::mc) {
  sim::RunOptions o;
  o.trials = trials;
  o.msp_stats = mode;
  o.sampling = sampling;
  o.threads = unsigned(state.range(0));
  for (auto _ : state) {
    auto r = sim::run_scenario(s, o);
    benchmark::DoNotOptimize(r.portfolio[0].data());
  }
  state.SetItemsProcessed(std::int64_t(state.iterations() * trials * s.msps.size()));
  state.counters["msp_trials"] = double(trials * s.msps.size());
}

void BM_Engine_Msp350(benchmark::State& state) {
  static const sim::Scenario s = sim::load_scenario({"builtin:kaspersky-2024/msp-350.yaml"});
  engine_bench(state, s, 100'000);
}
BENCHMARK(BM_Engine_Msp350)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// The default run on 1 thread under each --sampling method (argument: 0 mc,
// 1 lhs, 2 sobol): items are MSP-trials. Not gated (bench/check.py).
void BM_Engine_Msp350_Sampling(benchmark::State& state) {
  static const sim::Scenario s = sim::load_scenario({"builtin:kaspersky-2024/msp-350.yaml"});
  constexpr sim::Sampling methods[] = {sim::Sampling::mc, sim::Sampling::lhs, sim::Sampling::sobol};
  sim::RunOptions o;
  o.trials = 100'000;
  o.threads = 1;
  o.sampling = methods[state.range(0)];
  for (auto _ : state) {
    auto r = sim::run_scenario(s, o);
    benchmark::DoNotOptimize(r.portfolio[0].data());
  }
  state.SetItemsProcessed(std::int64_t(state.iterations() * o.trials));
}
BENCHMARK(BM_Engine_Msp350_Sampling)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// As `switchcost run` runs it (--msp-stats auto picks sketch for 1,000 MSPs
// at any useful trial count): per-MSP sketches, the portfolio series, the
// tail pass. Four blocks of 4,096 trials, so that two threads share them.
void BM_Engine_Portfolio1000(benchmark::State& state) {
  static const sim::Scenario s = sim::load_scenario({portfolio_file(1000)});
  engine_bench(state, s, 4 * sim::sketch_block_trials, sim::MspStats::sketch);
}
BENCHMARK(BM_Engine_Portfolio1000)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// An analyst's comparison: the shipped-size 200-MSP population moved to three
// targets (compare --targets bitdefender,eset,sophos), exact mode as compare
// runs it, per-MSP totals kept. /0: one run per alternative (run_scenario),
// as compare did before run_scenarios; /1: the three together
// (run_scenarios), which draws and computes labor, lost updates and stranded
// licences once per MSP. Items: MSP-trials of all three alternatives.
void BM_Engine_Compare3Targets(benchmark::State& state) {
  static const std::string file = portfolio_file(200);
  static const std::vector<sim::Scenario> alternatives = [] {
    std::vector<sim::Scenario> v;
    for (const char* target : {"bitdefender", "eset", "sophos"})
      v.push_back(sim::load_scenario({file}, {}, {{"(target)", std::string("msp_overrides: {target: ") + target + "}\n"}}));
    return v;
  }();
  sim::RunOptions o;
  o.trials = 2 * sim::sketch_block_trials;
  o.threads = 1;
  o.keep_msp_outputs = {};
  o.keep_msp_outputs[std::size_t(sim::Output::total_cost)] = true;
  const bool together = state.range(0) == 1;
  std::vector<const sim::Scenario*> scenarios;
  for (const auto& a : alternatives) scenarios.push_back(&a);
  for (auto _ : state) {
    if (together) {
      auto r = sim::run_scenarios(scenarios, o);
      benchmark::DoNotOptimize(r[0].portfolio[0].data());
    } else {
      for (const auto* a : scenarios) {
        auto r = sim::run_scenario(*a, o);
        benchmark::DoNotOptimize(r.portfolio[0].data());
      }
    }
  }
  const double msp_trials = double(o.trials * alternatives[0].msps.size() * alternatives.size());
  state.SetItemsProcessed(std::int64_t(double(state.iterations()) * msp_trials));
  state.counters["msp_trials"] = msp_trials;
}
BENCHMARK(BM_Engine_Compare3Targets)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// The copula path (sim/random/copula.h): the 350-endpoint MSP with its
// first range(0) drawn per-MSP inputs in one correlations: block (AR(1),
// rho 0.5^|i-j|), Gaussian (range(1) = 0) or t with dof 5 (1); 0 inputs
// is the same MSP without a block. One thread, 100,000 trials; the counter
// time_per_msp_trial against /0/0's is what the copula adds per MSP-trial.
// Not in the CI gate (.ci/bench): a figure to read, not a limit.
void BM_Copula_Msp350(benchmark::State& state) {
  static const std::vector<std::string> keys = {
      "labor.first_endpoint_hours", "labor.failed_install_share", "labor.rework_hours_per_failed_install",
      "labor.config_hours_per_client", "labor.fix_hours_per_broken_client", "labor.setup_hours",
      "labor.learning_rate", "labor.broken_app_client_share", "labor.overhead_hours_per_client",
      "labor.billable_share", "labor.capacity_hours_per_technician_week", "licences.share_passed_to_clients",
      "licences.overlap_months", "licences.prepaid_share", "licences.prepaid_months_remaining",
      "licences.recovered_share", "refunds.client_prepaid_share", "refunds.refund_share",
      "downtime.minutes_per_endpoint", "downtime.user_cost_per_hour"};
  const auto k = std::size_t(state.range(0));
  std::string block_text;
  if (k > 0) {
    block_text = "msp_defaults:\n  correlations:\n";
    if (state.range(1) == 1) block_text += "    copula: t\n    dof: 5\n";
    block_text += "    keys: [";
    for (std::size_t i = 0; i < k; ++i) block_text += (i ? ", " : "") + keys[i];
    block_text += "]\n    matrix:\n";
    for (std::size_t i = 0; i < k; ++i) {
      block_text += "      - [";
      for (std::size_t j = 0; j < k; ++j)
        block_text += (j ? ", " : "") + std::to_string(std::pow(0.5, std::abs(double(i) - double(j))));
      block_text += "]\n";
    }
  }
  std::vector<sim::Overlay> overlays;
  if (k > 0) overlays.emplace_back("(correlations)", block_text);
  const sim::Scenario s = sim::load_scenario({"builtin:kaspersky-2024/msp-350.yaml"}, {}, overlays);
  sim::RunOptions o;
  o.trials = 100'000;
  o.threads = 1;
  for (auto _ : state) {
    auto r = sim::run_scenario(s, o);
    benchmark::DoNotOptimize(r.portfolio[0].data());
  }
  state.SetItemsProcessed(std::int64_t(state.iterations() * o.trials));
  state.counters["time_per_msp_trial"] =
      benchmark::Counter(double(o.trials), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_Copula_Msp350)
    ->Args({0, 0})
    ->Args({2, 0})
    ->Args({5, 0})
    ->Args({20, 0})
    ->Args({5, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The floor: per MSP-trial, the uniforms and inverse-CDF transforms of every
// uncertain input the engine draws for the shipped 350-endpoint MSP, and
// nothing else. With one MSP, the market-level inputs (labor rate, discount
// rate, threat, and the prices of its two competitors) are drawn once per
// MSP-trial too, so they count; in a large portfolio they are shared and
// cost almost nothing per MSP.
void BM_Floor_Msp350Draws(benchmark::State& state) {
  static const sim::Scenario s = sim::load_scenario({"builtin:kaspersky-2024/msp-350.yaml"});
  std::vector<const sim::Var*> vars;
  for (const auto& [key, var] : s.msps[0].params)
    if (!var.dist.is_constant()) vars.push_back(&var);
  const std::size_t per_msp = vars.size() + 1;  // and the uniform of the incident count, drawn below
  for (const auto& [key, var] : s.market)
    if (!var.dist.is_constant() && key != "threat.incident_cost") vars.push_back(&var);
  for (const auto* name : {&s.msps[0].incumbent, &s.msps[0].target})
    for (const auto& [key, var] : s.competitors.at(*name).params)
      if (!var.dist.is_constant()) vars.push_back(&var);
  std::vector<double> u(block), x(block);
  std::uint64_t first = 0;
  for (auto _ : state) {
    for (const auto* v : vars) {
      sim::fill_uniforms(sim::Stream{1, sim::variable_id(v->stream)}, first, block, 0, u.data());
      v->dist.quantiles(u.data(), x.data(), block);
      benchmark::DoNotOptimize(x.data());
    }
    sim::fill_uniforms(sim::Stream{1, sim::variable_id("incidents")}, first, block, 0, u.data());
    benchmark::DoNotOptimize(u.data());
    first += block;
  }
  state.SetItemsProcessed(std::int64_t(state.iterations() * block));
  state.counters["draws_per_msp_trial"] = double(vars.size() + 1);
  state.counters["of_them_per_msp"] = double(per_msp);
}
BENCHMARK(BM_Floor_Msp350Draws);

}  // namespace

BENCHMARK_MAIN();

#include "sim/engine/engine.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <type_traits>

#include "models/labor.h"
#include "models/lost_updates.h"
#include "models/pricing.h"
#include "models/stranded.h"
#include "sim/base/intrinsics.h"
#include "sim/base/parallel.h"
#include "sim/random/random.h"

namespace switchcost::sim {

namespace {
// Key and label of every output, the registered cost lines' from their types.
struct OutputName {
  const char* key;
  const char* label;
};
constexpr std::array<OutputName, output_count> output_names = [] {
  std::array<OutputName, output_count> n{};
  const auto set = [&](Output o, const char* key, const char* label) { n[std::size_t(o)] = {key, label}; };
  set(Output::labor_cost, "labor_cost", "migration labor");
  set(Output::pricing_cost, "pricing_cost", "licence price change");
  set(Output::lost_updates_cost, "lost_updates_cost", "lost updates");
  set(Output::stranded_cost, "stranded_cost", "stranded licences");
  set(Output::refund_cost, "refund_cost", "client refunds");
  set(Output::extras_cost, "extras_cost", "extra items");
  models::for_each_cost_line([&]<std::size_t K, class Line>() {
    set(cost_line(int(K)), Line::key.data(), Line::label.data());
  });
  set(Output::total_cost, "total_cost", "total");
  set(Output::labor_hours, "labor_hours", "labor hours");
  set(Output::duration_days, "duration_days", "duration");
  set(Output::completion_day, "completion_day", "completion");
  set(Output::incidents, "incidents", "incidents");
  set(Output::lost_updates_expected_cost, "lost_updates_expected_cost", "lost updates, expected given the inputs");
  set(Output::total_expected_cost, "total_expected_cost", "total, lost updates at their expected cost");
  return n;
}();
static_assert(std::all_of(output_names.begin(), output_names.end(), [](const OutputName& n) { return n.key; }),
              "every output has a name");
}  // namespace

const char* output_key(Output o) noexcept {
  return int(o) >= 0 && int(o) < output_count ? output_names[std::size_t(o)].key : "?";
}

const char* output_label(Output o) noexcept {
  return int(o) >= 0 && int(o) < output_count ? output_names[std::size_t(o)].label : "?";
}

const char* to_string(MspStats mode) noexcept { return mode == MspStats::sketch ? "sketch" : "exact"; }

std::string formula_output_key(const std::string& name) { return std::string(formula_key_prefix) + name; }

std::vector<std::string> formula_cost_names(const Scenario& scenario) {
  std::vector<std::string> names;
  std::set<std::string_view> seen;  // views of the scenario's names, which outlive the set
  std::set<const FormulaSet*> sets;  // a block shared by many MSPs is read once
  for (const Msp& m : scenario.msps) {
    if (!m.formulas || !sets.insert(m.formulas.get()).second) continue;
    for (const std::size_t k : m.formulas->costs) {
      const std::string& name = m.formulas->formulas[k].name;
      if (seen.insert(name).second) names.push_back(name);
    }
  }
  return names;
}

namespace {
// One MSP with every output kept: its series are the portfolio's (RunResult::msp_in_portfolio).
bool msp_is_portfolio(const Scenario& scenario, const std::array<bool, output_count>& keep) noexcept {
  return scenario.msps.size() == 1 && std::all_of(keep.begin(), keep.end(), [](bool k) { return k; });
}

// The cost formulas of every MSP, summed over the MSPs (each MSP's rows).
std::uint64_t msp_formula_rows(const Scenario& scenario) noexcept {
  std::uint64_t rows = 0;
  for (const Msp& m : scenario.msps)
    if (m.formulas) rows += m.formulas->costs.size();
  return rows;
}

// Per-trial series a run in exact mode keeps: the kept outputs of every MSP
// (none of a lone MSP's own) and all of the portfolio's, cost formulas' included.
std::uint64_t exact_series_count(const Scenario& scenario, const std::array<bool, output_count>& keep,
                                 bool keep_formula_costs) {
  const auto kept = std::uint64_t(std::count(keep.begin(), keep.end(), true));
  const bool lone = msp_is_portfolio(scenario, keep);
  const std::uint64_t own = lone ? 0 : scenario.msps.size() * kept;
  const std::uint64_t own_formulas = lone || !keep_formula_costs ? 0 : msp_formula_rows(scenario);
  return own + own_formulas + std::uint64_t(output_count) + formula_cost_names(scenario).size();
}
}  // namespace

std::uint64_t estimate_result_bytes(const Scenario& scenario, std::uint64_t trials,
                                    const std::array<bool, output_count>& keep, bool keep_formula_costs) noexcept {
  return exact_series_count(scenario, keep, keep_formula_costs) * trials * sizeof(double);
}

namespace {
// Second pass: at most this many bytes of per-MSP total costs at a time.
constexpr std::size_t tail_pass_bytes = std::size_t(32) << 20;
}  // namespace

std::uint64_t sketch_buckets_assumed(std::uint64_t trials) noexcept {
  return 100 + std::uint64_t(200 * std::log10(double(std::max<std::uint64_t>(trials, 1))));
}

std::uint64_t schedule_bytes(const Scenario& scenario, std::uint64_t trials) noexcept {
  return std::uint64_t(scenario.msps.size()) * trials * sizeof(double) * 5;
}

namespace {
bool keeps_schedule(const Scenario& scenario, const RunOptions& options) noexcept {
  return options.keep_schedule && schedule_bytes(scenario, options.trials) <= schedule_bytes_most;
}
}  // namespace

std::uint64_t estimate_result_bytes(const Scenario& scenario, const RunOptions& options) noexcept {
  const std::uint64_t schedule = keeps_schedule(scenario, options) ? schedule_bytes(scenario, options.trials) : 0;
  if (options.msp_stats == MspStats::exact)
    return schedule + estimate_result_bytes(scenario, options.trials, options.keep_msp_outputs,
                                            options.keep_msp_formula_costs);
  const std::uint64_t msps = scenario.msps.size();
  const std::uint64_t threads = std::max(1u, options.threads);
  // Cost formulas: the portfolio's series, and per MSP its rows' moments and sketches.
  const std::uint64_t formula_rows = msp_formula_rows(scenario);
  const std::uint64_t portfolio =
      std::uint64_t(output_count + formula_cost_names(scenario).size()) * options.trials * sizeof(double);
  // Tail pass: the trial order it sorts (8 B per trial), the tail list, and the chunk of values.
  const std::uint64_t tail = options.trials * 2 * sizeof(std::size_t) + tail_pass_bytes;
  const std::uint64_t window = 3 * threads * (msps * output_count + formula_rows) * sizeof(BlockMoments);
  const std::uint64_t buckets = sketch_buckets_assumed(options.trials) * sizeof(std::uint32_t);
  const std::uint64_t per_msp = sizeof(MspSeries) + sizeof(MspSketch) + output_count * buckets;
  const std::uint64_t formulas =
      formula_rows * (sizeof(std::size_t) + sizeof(MomentAccumulator) + sizeof(QuantileSketch) + buckets);
  return schedule + portfolio + tail + window + msps * per_msp + formulas;
}

namespace {
// The registered cost lines' (models/registry.h) inputs, one Inputs per line.
template <class Lines>
struct LineInputsOf;
template <class... Line>
struct LineInputsOf<std::tuple<Line...>> {
  using type = std::tuple<typename Line::Inputs...>;
};
using LineInputs = LineInputsOf<models::CostLines>::type;
constexpr std::size_t line_count = std::size_t(models::cost_line_count);

// Columns of a workspace for the cost lines: their inputs and results.
constexpr std::uint64_t cost_line_columns() {
  return sizeof(LineInputs) / sizeof(models::Column) + line_count;
}

// Doubles per trial of a block that a workspace holds, besides its market
// columns (see Workspace): the uniforms, 2 loose columns (extras, an extra
// item's amount), the models' inputs and
// results, the 11 block outputs and sketch mode's shifted column.
constexpr std::uint64_t workspace_columns =
    1 + 2 + sizeof(models::LaborInputs) / sizeof(models::Column) + sizeof(models::LaborResult) / sizeof(models::Column) +
    sizeof(models::LostUpdatesInputs) / sizeof(models::Column) +
    sizeof(models::LostUpdatesResult) / sizeof(models::Column) + 13 /* PricingInputs' columns */ +
    sizeof(models::PricingResult) / sizeof(models::Column) + sizeof(models::StrandedInputs) / sizeof(models::Column) +
    sizeof(models::StrandedResult) / sizeof(models::Column) + cost_line_columns() + output_count + 1;
// Measured on the shipped population: a loaded MSP takes about 10 KB (its
// two dozen inputs, each a distribution, a location and a stream name);
// its compiled form (Draws) about 1.5 KB.
constexpr std::uint64_t loaded_msp_bytes = 12 << 10;
constexpr std::uint64_t compiled_msp_bytes = 2 << 10;
// The process before any scenario: code, libraries, the allocator's and the
// threads' overheads (8 MiB of stack reserved per thread).
constexpr std::uint64_t base_bytes = std::uint64_t(32) << 20;
constexpr std::uint64_t thread_stack_bytes = std::uint64_t(8) << 20;
}  // namespace

std::uint64_t beta_table_bytes() noexcept {
  const BetaTableInfo info = beta_table_info(1, 1);
  return std::uint64_t(info.intervals) * 4 * sizeof(double) + 256;  // the table and its registry entry
}

std::uint64_t estimate_working_bytes(const std::vector<const Scenario*>& scenarios, const RunOptions& options) {
  const bool sketch = options.msp_stats == MspStats::sketch;
  const std::uint64_t trials = options.trials;
  const std::uint64_t block = sketch ? sketch_block_trials : std::max<std::uint64_t>(1, options.block_trials);
  const std::uint64_t blocks = (trials + block - 1) / block;
  const std::uint64_t threads =
      std::max<std::uint64_t>(1, std::min<std::uint64_t>(std::max(1u, options.threads), std::max<std::uint64_t>(1, blocks)));
  std::set<std::pair<double, double>> shapes;
  std::uint64_t market_columns = 0, scenario_bytes = 0, formula_columns = 0;
  std::set<const FormulaSet*> formula_sets;  // shared by the MSPs of a defaults block: each counted once
  // A thread's copula cache (CopulaCache): per input of its widest
  // correlated group its own uniforms, its correlated ones and its normal
  // scores, and one column of W, of a block each.
  std::uint64_t copula_columns = 0;
  const auto widest_group = [&](const std::shared_ptr<const Correlations>& c) {
    if (c) copula_columns = std::max<std::uint64_t>(copula_columns, 3 * c->keys.size() + 1);
  };
  for (const Scenario* s : scenarios) {
    widest_group(s->correlations);
    for (const Msp& m : s->msps) widest_group(m.correlations);
    shapes.insert(s->beta_shapes.begin(), s->beta_shapes.end());
    std::set<std::pair<std::string_view, std::string_view>> pairs;
    std::set<std::string_view> used;
    std::uint64_t extras = 0;
    for (const Msp& m : s->msps) {
      pairs.emplace(m.target, m.incumbent);
      used.insert(m.target);
      used.insert(m.incumbent);
      extras += m.extras.size();
      if (m.formulas && formula_sets.insert(m.formulas.get()).second) {
        // A workspace evaluating this set (add_formula_costs): a column per
        // slot, the temporaries and constants of its widest formula, and 6
        // date columns.
        std::uint64_t widest = 0;
        for (const auto& f : m.formulas->formulas)
          widest = std::max<std::uint64_t>(widest, std::uint64_t(f.program.temp_count) + f.program.constants.size());
        // Its cost rows' block columns where they are not kept.
        formula_columns = std::max<std::uint64_t>(
            formula_columns, std::uint64_t(m.formulas->slot_count()) + widest + 6 + m.formulas->costs.size());
      }
    }
    // A workspace's market of this scenario: 6 market inputs, 6 per competitor
    // an MSP uses, 2 per (target, incumbent) pair; its formulas' slots, the
    // temporaries and constants of the widest, and 4 date columns.
    market_columns += 6 + 6 * used.size() + 2 * pairs.size();
    if (const auto& f = s->market_formulas) {
      std::uint64_t widest = 0;
      for (const auto& g : f->formulas)
        widest = std::max<std::uint64_t>(widest, std::uint64_t(g.program.temp_count) + g.program.constants.size());
      market_columns += std::uint64_t(f->slot_count()) + widest + 4;
    }
    scenario_bytes += s->msps.size() * (loaded_msp_bytes + compiled_msp_bytes) + extras * 1024;
  }
  const std::uint64_t columns = workspace_columns + market_columns + formula_columns + copula_columns;
  // Exact mode: a workspace per thread that runs a full block, and one for a
  // shorter last block; sketch mode: one per thread, plus the tail pass's
  // (chunks of at most sketch_block_trials trials).
  const std::uint64_t full_blocks = trials / block;
  const std::uint64_t sized = std::min(threads, full_blocks) * block + trials % block;
  std::uint64_t workspaces = sized * columns * sizeof(double);
  if (sketch) workspaces += threads * std::min<std::uint64_t>(trials, sketch_block_trials) * columns * sizeof(double);
  // Statistics: the portfolio's trial order for its tail (8 B per trial),
  // and per thread the selected ranks and the worst 5% of one series.
  const std::uint64_t statistics = trials * sizeof(std::size_t) + threads * (trials / 10 + 64) * sizeof(double);
  return base_bytes + threads * thread_stack_bytes + shapes.size() * beta_table_bytes() + workspaces + statistics +
         scenario_bytes;
}

std::vector<std::size_t> portfolio_tail_trials(std::span<const double> total) {
  if (total.empty()) return {};
  std::vector<std::size_t> order(total.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  const std::size_t tail = tail_count(total.size());
  // A strict total order (ties by trial index), so selecting the tail and
  // then sorting it gives what a partial sort gives, in O(n + k log k).
  const auto worse = [&](std::size_t a, std::size_t b) {
    return total[a] > total[b] || (total[a] == total[b] && a < b);
  };
  std::nth_element(order.begin(), order.begin() + std::ptrdiff_t(tail - 1), order.end(), worse);
  std::sort(order.begin(), order.begin() + std::ptrdiff_t(tail), worse);
  order.resize(tail);
  order.shrink_to_fit();
  return order;
}

namespace {

using models::Column;

// Above this many incidents in one trial, their total cost is drawn from the
// normal approximation N(k mean, k variance) of the sum (central limit
// theorem) instead of k separate draws, so a trial's cost stays O(1). Its
// error is in models/lost_updates.h; the reported mean does not depend on it.
constexpr double exact_incident_limit = 10'000;

// The trials a block computes: the range first .. first + n - 1 (the run), or
// the listed ones (the tail pass of sketch mode). Each trial's values depend
// only on its index, never on the others in the block.
struct TrialSet {
  std::uint64_t first = 0;
  const std::uint64_t* list = nullptr;  // when set, element i is trial list[i]
  Eigen::Index n = 0;
  const SamplingPlan* plan = nullptr;  // lhs or sobol (sim/random/sampling.h); null for mc
  std::uint64_t operator[](Eigen::Index i) const { return list ? list[i] : first + std::uint64_t(i); }

  // u[0..n) = uniform(stream, trial i, 0) for the trials of this set, in
  // vector passes (fill_uniforms, fill_uniforms_list), then placed in the
  // plan's strata: a pure function of (seed, variable, trial, trials).
  void uniforms(const Stream& stream, std::vector<double>& u) const {
    u.resize(std::size_t(n));
    if (list) {
      fill_uniforms_list(stream, list, std::size_t(n), 0, u.data());
    } else {
      fill_uniforms(stream, first, std::size_t(n), 0, u.data());
    }
    if (plan) plan->apply(stream, first, list, std::size_t(n), u.data());
  }
};

// Stopping inside a block (exact mode): the thread running a block of the
// run sees the run's stop flag here, and the work of a block checks it at
// bounded intervals (every stop_check_values quantiles drawn, incident
// costs included, and every 256 trials of the per-trial loop); when it is
// set, BlockStopped unwinds the block, which is then discarded whole. Null
// outside run_block (the tail pass, which must finish), so it never throws there.
thread_local const std::atomic<bool>* block_stop = nullptr;
constexpr std::size_t stop_check_values = 4096;

struct BlockStopped {};  // not a std::exception: only the engine's workers catch it

inline void check_block_stop() {
  if (block_stop && block_stop->load(std::memory_order_relaxed)) throw BlockStopped{};
}

// Sets block_stop for the current thread while a block runs.
class BlockStopScope {
 public:
  explicit BlockStopScope(const std::atomic<bool>* stop) noexcept { block_stop = stop; }
  ~BlockStopScope() { block_stop = nullptr; }
  BlockStopScope(const BlockStopScope&) = delete;
  BlockStopScope& operator=(const BlockStopScope&) = delete;
};

// A `correlations:` block compiled for drawing (sim/random/copula.h): the
// streams of its inputs (each input's own, in the block's key order) and,
// for the t copula, the stream of W: "market.correlations.chi2" for the top
// level's block, "msps.NAME.correlations.chi2" for an MSP's.
struct CopulaGroup {
  const Correlations* spec = nullptr;
  std::vector<Stream> members;
  Stream chi2;
  std::uint64_t id = 0;  // unique in the process: the key of CopulaCache

  // u[0..n) = the correlated uniforms of `member` for the trials of t.
  void uniforms(const TrialSet& t, std::size_t member, std::vector<double>& u) const;
};

// Whether two groups give the same uniforms: the same streams and copula.
bool same_group(const CopulaGroup& a, const CopulaGroup& b) {
  if (a.members.size() != b.members.size() || a.spec->copula != b.spec->copula || a.spec->dof != b.spec->dof ||
      a.spec->factor.values != b.spec->factor.values || a.chi2.seed != b.chi2.seed || a.chi2.variable != b.chi2.variable)
    return false;
  for (std::size_t i = 0; i < a.members.size(); ++i)
    if (a.members[i].seed != b.members[i].seed || a.members[i].variable != b.members[i].variable) return false;
  return true;
}

// The last group's correlated uniforms computed on this thread, for the
// trials of one TrialSet: its inputs are drawn one after another (an MSP's
// labor, then its licences...), and each takes its column from here instead
// of the whole group being transformed again. Only a cache: a miss gives the
// same values.
struct CopulaCache {
  std::uint64_t id = 0;  // 0: empty
  std::uint64_t first = 0;
  std::vector<std::uint64_t> list;
  bool listed = false;
  std::vector<std::vector<double>> in, out;
  std::vector<double> chi2, z;
};
thread_local CopulaCache copula_cache;
std::atomic<std::uint64_t> next_copula_group_id{1};

void CopulaGroup::uniforms(const TrialSet& t, std::size_t member, std::vector<double>& u) const {
  CopulaCache& cache = copula_cache;
  const std::size_t n = std::size_t(t.n), k = members.size();
  const bool hit = cache.id == id && !cache.out.empty() && cache.out[0].size() == n &&
                   (t.list ? cache.listed && std::equal(cache.list.begin(), cache.list.end(), t.list)
                           : !cache.listed && cache.first == t.first);
  if (!hit) {
    cache.id = 0;
    cache.in.resize(k);
    cache.out.resize(k);
    std::vector<const double*> in(k);
    std::vector<double*> out(k);
    for (std::size_t i = 0; i < k; ++i) {
      check_block_stop();
      t.uniforms(members[i], cache.in[i]);  // each input's own uniforms, as it would draw them alone
      cache.out[i].resize(n);
      in[i] = cache.in[i].data();
      out[i] = cache.out[i].data();
    }
    if (spec->copula == CopulaKind::t) t.uniforms(chi2, cache.chi2);
    cache.z.resize(k * n);
    copula_uniforms(spec->factor, spec->copula, spec->dof, in.data(), cache.chi2.data(), n, out.data(), cache.z.data());
    cache.listed = t.list != nullptr;
    cache.first = t.first;
    if (t.list) cache.list.assign(t.list, t.list + n);
    cache.id = id;
  }
  u.assign(cache.out[member].begin(), cache.out[member].end());
}

std::shared_ptr<const CopulaGroup> make_group(const Correlations& spec, std::uint64_t seed,
                                              const std::vector<std::string>& streams, const std::string& chi2) {
  auto g = std::make_shared<CopulaGroup>();
  g->spec = &spec;
  for (const auto& name : streams) g->members.push_back(Stream{seed, variable_id(name)});
  g->chi2 = Stream{seed, variable_id(chi2)};
  g->id = next_copula_group_id.fetch_add(1);
  return g;
}

// An input compiled for drawing: its distribution and its stream, and the
// correlated group it is drawn in, if any.
struct Draw {
  const Distribution* dist = nullptr;
  Stream stream;
  std::shared_ptr<const CopulaGroup> group;  // null: drawn alone
  std::size_t member = 0;                    // its index in group->members

  // Fills out[0..n) with the values of the trials of t.
  void fill(const TrialSet& t, Column& out, std::vector<double>& u) const {
    const Eigen::Index n = t.n;
    out.resize(n);
    if (dist->is_constant()) {
      out.setConstant(dist->quantile(0.5));
      return;
    }
    if (group)
      group->uniforms(t, member, u);
    else
      t.uniforms(stream, u);
    // In pieces, so that a stop is seen after a bounded number of quantiles
    // (some cost microseconds each); the values are the same.
    for (std::size_t i = 0; i < std::size_t(n); i += stop_check_values) {
      check_block_stop();
      dist->quantiles(u.data() + i, out.data() + i, std::min(stop_check_values, std::size_t(n) - i));
    }
  }
};

Draw compile(const Var& var, std::uint64_t seed) {
  return Draw{&var.dist, Stream{seed, variable_id(var.stream)}, nullptr, 0};
}

// Puts the draws of the group's inputs (those on its members' streams) into it.
void attach(std::vector<Draw>& draws, const std::shared_ptr<const CopulaGroup>& group) {
  if (!group) return;
  for (Draw& d : draws)
    for (std::size_t i = 0; d.dist && i < group->members.size(); ++i)
      if (group->members[i].variable == d.stream.variable && group->members[i].seed == d.stream.seed) {
        d.group = group;
        d.member = i;
      }
}

// The rows of a model's input table at `level`, compiled from the owner's
// params: draw i is row i's (no distribution for a row of the other level,
// or an optional row the owner leaves to the market). The scenario reader
// fills every row it derives from the same table, so a key missing here is
// a defect, reported by name.
template <class Inputs>
std::vector<Draw> compile_inputs(models::InputTable<Inputs> table, models::InputLevel level, const Params& params,
                                 std::uint64_t seed, const std::string& owner) {
  std::vector<Draw> draws(table.size());
  for (std::size_t i = 0; i < table.size(); ++i) {
    const auto& in = table[i];
    if (in.level != level) continue;
    const auto it = params.find(in.key);
    if (it != params.end())
      draws[i] = compile(it->second, seed);
    else if (!in.market_default)
      throw std::logic_error(owner + " has no input '" + std::string(in.key) + "' after loading");
  }
  return draws;
}

// Fills a model's Inputs for an MSP and the trials of t: market rows from
// the block's market columns (the same columns of `market`, none if null),
// then per-MSP rows from their draws (an MSP's own value over the market's
// where both write one column).
template <class Inputs>
void fill_inputs(models::InputTable<Inputs> table, const std::vector<Draw>& draws,
                 const std::type_identity_t<Inputs>* market,
                 const TrialSet& t, Inputs& in, std::vector<double>& u) {
  const auto drawn = [&](std::size_t i) { return table[i].level == models::InputLevel::msp && draws[i].dist; };
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (table[i].level != models::InputLevel::market || !market) continue;
    bool own = false;
    for (std::size_t j = 0; j < table.size(); ++j) own = own || (drawn(j) && table[j].column == table[i].column);
    if (!own) in.*table[i].column = market->*table[i].column;
  }
  for (std::size_t i = 0; i < table.size(); ++i)
    if (drawn(i)) draws[i].fill(t, in.*table[i].column, u);
}

// A model's rows at `level` (the market's, or one competitor's) for the
// trials of t, into their columns of `out`.
template <class Inputs>
void fill_level(models::InputTable<Inputs> table, const std::vector<Draw>& draws, models::InputLevel level,
                const TrialSet& t, Inputs& out, std::vector<double>& u) {
  for (std::size_t i = 0; i < table.size(); ++i)
    if (table[i].level == level) draws[i].fill(t, out.*table[i].column, u);
}

struct CompiledCompetitor {
  std::vector<Draw> prices;  // per row of models::competitor_inputs()
  const Competitor* source = nullptr;
};

struct CompiledMsp {
  const Msp* source = nullptr;
  std::size_t incumbent = 0, target = 0;  // indices into competitors
  std::size_t pair = 0;                    // index into Compiled::pairs
  std::vector<Draw> labor;  // per row of models::labor_inputs() (its per-MSP rows)
  std::vector<Draw> lost;  // per row of models::lost_updates_inputs() (its per-MSP rows)
  std::vector<Draw> pricing;  // per row of models::pricing_inputs() (its per-MSP rows)
  std::vector<Draw> stranded;  // per row of models::stranded_inputs()
  std::array<std::vector<Draw>, line_count> lines;  // per cost line, per row of its table (its per-MSP rows)
  std::vector<std::pair<Draw, models::ExtraPer>> extras;
  Stream incident_count, incident_cost;
  // The MSP's formulas (Msp::formulas): their inline draws, and per outside
  // symbol of the set, its index in formula_accessors().
  std::vector<Draw> formula_draws;
  std::vector<std::size_t> formula_symbols;
};

struct Compiled {
  std::vector<Draw> labor;  // per row of models::labor_inputs() (its market rows)
  std::vector<Draw> pricing;  // per row of models::pricing_inputs() (its market rows)
  std::vector<Draw> lost;  // per row of models::lost_updates_inputs() (its market rows)
  std::array<std::vector<Draw>, line_count> lines;  // per cost line, per row of its table (its market rows)
  const Distribution* incident_cost = nullptr;
  double incident_cost_mean = 0, incident_cost_sd = 0;
  std::vector<CompiledCompetitor> competitors;
  std::vector<CompiledMsp> msps;
  // The distinct (target, incumbent) pairs of the MSPs: their present-value
  // price factors depend only on market-level inputs, so they are computed
  // once per block and pair (draw_market) and shared by the MSPs.
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  double cutoff_day = 0;  // updates_end - migration_start [days]
  double migration_start = 0;
  double sales_end = 0;  // [days since 1970-01-01]
  int horizon_months = 0;
  // The market's formulas (Scenario::market_formulas), or null: their inline
  // draws and, per outside symbol, its index in market_formula_accessors().
  const FormulaSet* market_formulas = nullptr;
  std::vector<Draw> market_formula_draws;
  std::vector<std::size_t> market_formula_symbols;
};

// The index in formula_accessors() of a symbol an MSP's formulas may read,
// or for "market.formulas.NAME" formula_accessors().size() + that market
// formula's slot (defined with the workspace below).
std::size_t formula_accessor(const std::string& name, const FormulaSet* market_formulas);
// The index in market_formula_accessors() of a symbol the market's formulas may read.
std::size_t market_formula_accessor(const std::string& name);

Compiled compile(const Scenario& s, std::uint64_t seed) {
  Compiled c;
  c.labor = compile_inputs(models::labor_inputs(), models::InputLevel::market, s.market, seed, "the market");
  c.pricing = compile_inputs(models::pricing_inputs(), models::InputLevel::market, s.market, seed, "the market");
  c.lost = compile_inputs(models::lost_updates_inputs(), models::InputLevel::market, s.market, seed, "the market");
  models::for_each_cost_line([&]<std::size_t K, class Line>() {
    c.lines[K] = compile_inputs(Line::inputs(), models::InputLevel::market, s.market, seed, "the market");
  });
  c.incident_cost = &s.market.at("threat.incident_cost").dist;
  c.incident_cost_mean = c.incident_cost->mean();
  c.incident_cost_sd = std::sqrt(c.incident_cost->variance());
  c.cutoff_day = double(s.timeline.updates_end - s.timeline.migration_start);
  c.migration_start = double(s.timeline.migration_start);
  c.sales_end = double(s.timeline.sales_end);
  c.horizon_months = s.timeline.horizon_months;

  // Only competitors some MSP uses are drawn.
  std::vector<std::string> used;
  for (const auto& m : s.msps) {
    for (const auto* name : {&m.incumbent, &m.target})
      if (std::find(used.begin(), used.end(), *name) == used.end()) used.push_back(*name);
  }
  std::sort(used.begin(), used.end());
  for (const auto& name : used) {
    const Competitor& comp = s.competitors.at(name);
    c.competitors.push_back(CompiledCompetitor{compile_inputs(models::competitor_inputs(),
                                                              models::InputLevel::competitor, comp.params, seed,
                                                              "competitor '" + name + "'"),
                                               &comp});
  }
  // The top level's correlations: its keys are the inputs' stream names.
  if (s.correlations) {
    const auto group = make_group(*s.correlations, seed, s.correlations->keys, "market.correlations.chi2");
    attach(c.labor, group);
    attach(c.pricing, group);
    attach(c.lost, group);
    for (auto& line : c.lines) attach(line, group);
    for (auto& comp : c.competitors) attach(comp.prices, group);
  }
  auto index_of = [&](const std::string& name) {
    return std::size_t(std::find(used.begin(), used.end(), name) - used.begin());
  };
  if (s.market_formulas) {
    c.market_formulas = s.market_formulas.get();
    for (const auto& d : s.market_formulas->draws)
      c.market_formula_draws.push_back(Draw{&d.dist, Stream{seed, variable_id(d.stream)}, nullptr, 0});
    for (const auto& name : s.market_formulas->symbols) c.market_formula_symbols.push_back(market_formula_accessor(name));
  }

  for (const auto& m : s.msps) {
    CompiledMsp cm;
    cm.source = &m;
    cm.incumbent = index_of(m.incumbent);
    cm.target = index_of(m.target);
    const std::pair<std::size_t, std::size_t> pair{cm.target, cm.incumbent};
    cm.pair = std::size_t(std::find(c.pairs.begin(), c.pairs.end(), pair) - c.pairs.begin());
    if (cm.pair == c.pairs.size()) c.pairs.push_back(pair);
    const std::string owner = "MSP '" + m.name + "'";
    cm.labor = compile_inputs(models::labor_inputs(), models::InputLevel::msp, m.params, seed, owner);
    cm.lost = compile_inputs(models::lost_updates_inputs(), models::InputLevel::msp, m.params, seed, owner);
    cm.pricing = compile_inputs(models::pricing_inputs(), models::InputLevel::msp, m.params, seed, owner);
    cm.stranded = compile_inputs(models::stranded_inputs(), models::InputLevel::msp, m.params, seed, owner);
    models::for_each_cost_line([&]<std::size_t K, class Line>() {
      cm.lines[K] = compile_inputs(Line::inputs(), models::InputLevel::msp, m.params, seed, owner);
    });
    if (m.correlations) {
      std::vector<std::string> streams;
      for (const auto& key : m.correlations->keys) streams.push_back(m.params.at(key).stream);
      const auto group = make_group(*m.correlations, seed, streams, "msps." + m.name + ".correlations.chi2");
      for (auto* draws : {&cm.labor, &cm.lost, &cm.pricing, &cm.stranded}) attach(*draws, group);
      for (auto& line : cm.lines) attach(line, group);
    }
    for (const auto& e : m.extras) cm.extras.emplace_back(compile(e.cost, seed), e.per);
    if (m.formulas) {
      for (const auto& d : m.formulas->draws)
        cm.formula_draws.push_back(
            Draw{&d.dist, Stream{seed, variable_id("msps." + m.name + "." + d.stream)}, nullptr, 0});
      for (const auto& name : m.formulas->symbols)
        cm.formula_symbols.push_back(formula_accessor(name, s.market_formulas.get()));
    }
    const std::string incidents = "msps." + m.name + ".incidents.";
    cm.incident_count = Stream{seed, variable_id(incidents + "count" + m.internal_stream_suffix)};
    cm.incident_cost = Stream{seed, variable_id(incidents + "cost" + m.internal_stream_suffix)};
    c.msps.push_back(std::move(cm));
  }
  return c;
}

// Whether two draws give the same values for every trial: the same stream
// and a distribution with the same quantiles.
bool same(const Draw& a, const Draw& b) {
  if (!a.group != !b.group || (a.group && (a.member != b.member || !same_group(*a.group, *b.group)))) return false;
  return a.stream.seed == b.stream.seed && a.stream.variable == b.stream.variable &&
         a.dist->same_quantiles(*b.dist);
}

// Whether two compilations of one model's rows draw the same values: row by
// row, both unset (an optional row left to the market) or the same draw.
bool same(const std::vector<Draw>& a, const std::vector<Draw>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!a[i].dist != !b[i].dist) return false;
    if (a[i].dist && !same(a[i], b[i])) return false;
  }
  return true;
}

// Several scenarios over the same trials (run_scenarios, for compare): what
// MSP m of scenario k can take over from MSP m of scenario k - 1, because
// every input of that part is drawn the same (the same streams and
// distributions: common random numbers) and run_block computes scenario k's
// MSP m right after scenario k - 1's in the same workspace, which still holds
// the values. An MSP's labor, lost updates and stranded licences depend only
// on its own draws, the market's labor rate and threat inputs, the incumbent's
// price and the update cut-off, which alternatives that differ only in targets
// or in the competitors' prices share; then only the pricing, extra items and
// incidents are computed again.
struct MspReuse {
  bool labor = false;     // the labor inputs and result
  bool lost = false;      // the start delay and the lost-updates result (needs labor)
  bool stranded = false;  // the stranded-licences result (needs labor)
};

std::vector<MspReuse> reuse_from(const Compiled& c, const Compiled& previous) {
  std::vector<MspReuse> reuse(c.msps.size());
  for (std::size_t m = 0; m < std::min(c.msps.size(), previous.msps.size()); ++m) {
    const CompiledMsp& a = c.msps[m];
    const CompiledMsp& b = previous.msps[m];
    MspReuse& r = reuse[m];
    // Every row of the labor table, market rows included (also where the
    // MSP's own rate overrides the market's: reusing less is still exact).
    r.labor = same(a.labor, b.labor) && same(c.labor, previous.labor) &&
              a.source->cost_basis == b.source->cost_basis;
    r.lost = r.labor && c.cutoff_day == previous.cutoff_day && same(a.lost, b.lost) && same(c.lost, previous.lost);
    // The incumbent's whole price terms (only its price is read: reusing less is still exact).
    r.stranded = r.labor && same(c.competitors[a.incumbent].prices, previous.competitors[b.incumbent].prices) &&
                 same(a.stranded, b.stranded);
  }
  return reuse;
}

// Market-level inputs of a block of trials, shared by every MSP.
struct Market {
  // Each model's market rows, in their columns (the others stay empty).
  models::LaborInputs labor;
  models::PricingInputs pricing;
  models::LostUpdatesInputs lost;
  LineInputs lines;
  std::vector<models::CompetitorPrices> competitors;
  std::vector<models::PriceFactors> price_factors;  // per Compiled::pairs
  // The market's formulas: the slots' columns (draws, results), the views of
  // every slot, the dates they read, and the temporaries.
  std::vector<Column> formula_values;
  std::vector<const Column*> formula_slots;
  Column sales_end, updates_end, migration_start, horizon_months;
  models::FormulaWorkspace formula_work;
};

// One thread's scratch space, sized for a block and reused.
struct Workspace {
  std::vector<double> u;
  std::vector<Market> markets;  // per scenario of the run
  Column extras, extra_amount;
  // An MSP's formulas: the slots' columns (draws, results), the views of
  // every slot, the dates and constants they read, and the temporaries.
  std::vector<Column> formula_values;
  std::vector<const Column*> formula_slots;
  Column start_day, completion_day, sales_end, updates_end, migration_start, horizon_months;
  models::FormulaWorkspace formula_work;
  models::LaborInputs labor_in;
  models::LaborResult labor_out;
  models::LostUpdatesInputs lost_in;
  models::LostUpdatesResult lost_out;
  models::PricingInputs pricing_in;
  models::PricingResult pricing_out;
  models::StrandedInputs stranded_in;
  models::StrandedResult stranded_out;
  LineInputs lines_in;                        // per cost line
  std::array<Column, line_count> line_cost;  // per cost line [USD]
  std::array<Column, output_count> block_out;  // one MSP's outputs for the block, where not kept
  std::vector<Column> formula_out;             // its cost formulas' likewise
  // Sketch mode: one MSP's block, sketched before it is merged under the lock.
  std::vector<QuantileSketch> local;
  Column shifted;  // x - RunResult::sketch_origin[o] of one output
  // Sketch mode: this block's moments, [msp * output_count + output].
  std::vector<BlockMoments> moments;
  // run_msp: the block's trials with some incidents expected, by index.
  std::vector<std::uint32_t> incident_trials;
  Eigen::Index trials = 0;  // the block size its columns were last sized for
};

// Workspaces outlive a run: the next run in the process (compare runs one
// per alternative, the benchmarks many) takes them back instead of touching
// fresh memory, as first-touch page faults cost about 15 us per 4 KiB page on
// the CI machine (a workspace is about 1.5 MB). At most spare_limit are kept.
// A workspace is asked for by block size, and one last sized for it is
// preferred: resizing its columns (a run's short last block, then the next
// run's full ones) frees and allocates them again, and glibc returns the
// freed top of the heap to the system, so the new columns fault in afresh
// (measured: 6% of a 100,000-trial single-MSP run).
class WorkspacePool {
 public:
  std::unique_ptr<Workspace> take(Eigen::Index trials) {
    std::unique_ptr<Workspace> w;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!spare_.empty()) {
        auto it = std::find_if(spare_.rbegin(), spare_.rend(), [&](const auto& s) { return s->trials == trials; });
        if (it == spare_.rend()) it = spare_.rbegin();
        w = std::move(*it);
        spare_.erase(std::next(it).base());
      }
    }
    if (!w) return std::make_unique<Workspace>();
    w->local.clear();  // another run's sketches may have another relative error
    w->moments.clear();
    return w;
  }
  void give(std::unique_ptr<Workspace> w) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    try {
      if (spare_.size() < spare_limit) spare_.push_back(std::move(w));
    } catch (const std::bad_alloc&) {  // no memory to keep it: it is freed instead
    }
  }

 private:
  static constexpr std::size_t spare_limit = 8;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Workspace>> spare_;
};

WorkspacePool& workspace_pool() {
  static WorkspacePool pool;
  return pool;
}

// A workspace from the pool, given back when it goes out of scope.
class PooledWorkspace {
 public:
  // One for blocks of `trials` trials (0: any).
  explicit PooledWorkspace(Eigen::Index trials = 0) : w_(workspace_pool().take(trials)) {}
  ~PooledWorkspace() { workspace_pool().give(std::move(w_)); }
  PooledWorkspace(const PooledWorkspace&) = delete;
  PooledWorkspace& operator=(const PooledWorkspace&) = delete;
  Workspace& operator*() const noexcept { return *w_; }

 private:
  std::unique_ptr<Workspace> w_;
};

// Sketch mode: where run_block puts each MSP's block (see run_scenario).
struct SketchSink {
  std::vector<std::mutex>* locks = nullptr;  // MSP m merges under locks[m % size]
  double updates_end = 0;                   // [days since 1970-01-01] 00:00 of it, for done_before_updates_stop
};

// Portfolio durations and completion dates are the last MSP's; the rest add up.
bool takes_max(Output o) { return o == Output::duration_days || o == Output::completion_day; }

// Poisson(mean) incidents from one uniform: exact up to a mean of 1e12;
// beyond, the normal approximation round(mean + sqrt(mean) z), whose
// relative error there is below 1e-6.
double incident_count(double mean, double u) {
  if (mean <= 1e12) return poisson_quantile(mean, u);
  return std::max(0.0, std::round(mean + std::sqrt(mean) * normal_quantile(u)));
}

// Total cost of `count` incidents in one trial: exact draws up to
// exact_incident_limit, the normal approximation of the sum beyond.
double incident_cost_total(const Compiled& c, const Stream& stream, std::uint64_t trial, double count) {
  if (count <= 0) return 0.0;
  if (count > exact_incident_limit) {
    const double z = normal_quantile(uniform(stream, trial, 0));
    return std::max(0.0, count * c.incident_cost_mean + std::sqrt(count) * c.incident_cost_sd * z);
  }
  double total = 0.0;
  const auto k = static_cast<std::uint32_t>(count);
  for (std::uint32_t i = 0; i < k; ++i) {
    if (i % stop_check_values == stop_check_values - 1) check_block_stop();
    total += c.incident_cost->quantile(uniform(stream, trial, i));
  }
  return total;
}

// Draws the market-level inputs of the trials of t.
void evaluate_market_formulas(const Compiled& c, const TrialSet& t, Market& mk, std::vector<double>& u);

void draw_market(const Compiled& c, const TrialSet& t, Market& mk, std::vector<double>& u) {
  constexpr auto market = models::InputLevel::market;
  fill_level(models::labor_inputs(), c.labor, market, t, mk.labor, u);
  fill_level(models::pricing_inputs(), c.pricing, market, t, mk.pricing, u);
  fill_level(models::lost_updates_inputs(), c.lost, market, t, mk.lost, u);
  models::for_each_cost_line([&]<std::size_t K, class Line>() {
    fill_level(Line::inputs(), c.lines[K], market, t, std::get<K>(mk.lines), u);
  });
  mk.competitors.resize(c.competitors.size());
  for (std::size_t k = 0; k < c.competitors.size(); ++k)
    fill_level(models::competitor_inputs(), c.competitors[k].prices, models::InputLevel::competitor, t,
               mk.competitors[k], u);
  mk.price_factors.resize(c.pairs.size());
  for (std::size_t p = 0; p < c.pairs.size(); ++p) {
    const auto& target = mk.competitors[c.pairs[p].first];
    const auto& incumbent = mk.competitors[c.pairs[p].second];
    models::price_factors({mk.pricing.discount_rate_per_year, target.annual_price_escalation,
                           incumbent.annual_price_escalation, target.promo_months, target.promo_discount,
                           c.horizon_months},
                          mk.price_factors[p]);
  }
  if (c.market_formulas) evaluate_market_formulas(c, t, mk, u);
}

// Where run_msp writes an MSP's outputs for a block: out[o][i] is output o of
// the block's trial i.
using BlockOutputs = std::array<double*, output_count>;

// The workspace's own block columns, sized for n trials.
BlockOutputs workspace_outputs(Workspace& w, Eigen::Index n) {
  BlockOutputs out;
  for (int o = 0; o < output_count; ++o) {
    w.block_out[std::size_t(o)].resize(n);
    out[std::size_t(o)] = w.block_out[std::size_t(o)].data();
  }
  return out;
}

// What an MSP's formulas read in a block: its workspace (inputs, model
// results, dates) and the two competitors' prices.
struct FormulaView {
  const Workspace& w;
  const models::CompetitorPrices& incumbent;
  const models::CompetitorPrices& target;
};
using FormulaAccessor = std::function<const Column*(const FormulaView&)>;

// Adds to a symbol table every row of a model's inputs at `level`, named
// prefix + key, whose column inputs_of(view) holds.
template <class View, class Inputs, class InputsOf>
void add_input_rows(std::vector<std::pair<std::string, std::function<const Column*(const View&)>>>& t,
                    models::InputTable<Inputs> rows_of, models::InputLevel level, const std::string& prefix,
                    InputsOf inputs_of) {
  for (const auto& row : rows_of)
    if (row.level == level)
      t.emplace_back(prefix + std::string(row.key),
                     [col = row.column, inputs_of](const View& v) { return &(inputs_of(v).*col); });
}

// Every symbol of msp_formula_symbols() with where its column is.
const std::vector<std::pair<std::string, FormulaAccessor>>& formula_accessors() {
  static const auto table = [] {
    std::vector<std::pair<std::string, FormulaAccessor>> t;
    auto rows = [&](auto rows_of, auto inputs_of) {
      add_input_rows<FormulaView>(t, rows_of, models::InputLevel::msp, "", inputs_of);
    };
    rows(models::labor_inputs(), [](const FormulaView& v) -> const models::LaborInputs& { return v.w.labor_in; });
    rows(models::lost_updates_inputs(),
         [](const FormulaView& v) -> const models::LostUpdatesInputs& { return v.w.lost_in; });
    rows(models::pricing_inputs(), [](const FormulaView& v) -> const models::PricingInputs& { return v.w.pricing_in; });
    rows(models::stranded_inputs(),
         [](const FormulaView& v) -> const models::StrandedInputs& { return v.w.stranded_in; });
    models::for_each_cost_line([&]<std::size_t K, class Line>() {
      rows(Line::inputs(), [](const FormulaView& v) -> const typename Line::Inputs& { return std::get<K>(v.w.lines_in); });
    });
    auto add = [&](const char* name, FormulaAccessor f) { t.emplace_back(name, std::move(f)); };
    add("labor.hours", [](const FormulaView& v) { return &v.w.labor_out.hours; });
    add("labor.cost", [](const FormulaView& v) { return &v.w.labor_out.cost; });
    add("labor.duration_days", [](const FormulaView& v) { return &v.w.labor_out.duration_days; });
    add("lost_updates.expected_incidents", [](const FormulaView& v) { return &v.w.lost_out.expected_incidents; });
    add("pricing.cost", [](const FormulaView& v) { return &v.w.pricing_out.cost; });
    add("stranded.cost", [](const FormulaView& v) { return &v.w.stranded_out.stranded_cost; });
    add("refunds.cost", [](const FormulaView& v) { return &v.w.stranded_out.refund_cost; });
    add("old_price_per_endpoint_month", [](const FormulaView& v) { return &v.incumbent.price_per_endpoint_month; });
    add("new_price_per_endpoint_month", [](const FormulaView& v) { return &v.target.price_per_endpoint_month; });
    add("start_day", [](const FormulaView& v) { return &v.w.start_day; });
    add("completion_day", [](const FormulaView& v) { return &v.w.completion_day; });
    add("timeline.sales_end", [](const FormulaView& v) { return &v.w.sales_end; });
    add("timeline.updates_end", [](const FormulaView& v) { return &v.w.updates_end; });
    add("timeline.migration_start", [](const FormulaView& v) { return &v.w.migration_start; });
    add("timeline.horizon_months", [](const FormulaView& v) { return &v.w.horizon_months; });
    return t;
  }();
  return table;
}

std::size_t formula_accessor(const std::string& name, const FormulaSet* market_formulas) {
  const auto& table = formula_accessors();
  for (std::size_t k = 0; k < table.size(); ++k)
    if (table[k].first == name) return k;
  if (market_formulas && name.starts_with(market_formula_prefix))
    for (const auto& f : market_formulas->formulas)
      if (name.substr(market_formula_prefix.size()) == f.name) return table.size() + std::size_t(f.slot);
  throw std::logic_error("formula symbol '" + name + "' has no column in the engine");
}

using MarketFormulaAccessor = std::function<const Column*(const Market&)>;

// Every symbol of market_formula_symbols() with where its column is.
const std::vector<std::pair<std::string, MarketFormulaAccessor>>& market_formula_accessors() {
  static const auto table = [] {
    std::vector<std::pair<std::string, MarketFormulaAccessor>> t;
    auto rows = [&](auto rows_of, auto inputs_of) {
      add_input_rows<Market>(t, rows_of, models::InputLevel::market, "market.", inputs_of);
    };
    rows(models::labor_inputs(), [](const Market& mk) -> const models::LaborInputs& { return mk.labor; });
    rows(models::lost_updates_inputs(), [](const Market& mk) -> const models::LostUpdatesInputs& { return mk.lost; });
    rows(models::pricing_inputs(), [](const Market& mk) -> const models::PricingInputs& { return mk.pricing; });
    models::for_each_cost_line([&]<std::size_t K, class Line>() {
      rows(Line::inputs(), [](const Market& mk) -> const typename Line::Inputs& { return std::get<K>(mk.lines); });
    });
    t.emplace_back("timeline.sales_end", [](const Market& mk) { return &mk.sales_end; });
    t.emplace_back("timeline.updates_end", [](const Market& mk) { return &mk.updates_end; });
    t.emplace_back("timeline.migration_start", [](const Market& mk) { return &mk.migration_start; });
    t.emplace_back("timeline.horizon_months", [](const Market& mk) { return &mk.horizon_months; });
    return t;
  }();
  return table;
}

std::size_t market_formula_accessor(const std::string& name) {
  const auto& table = market_formula_accessors();
  for (std::size_t k = 0; k < table.size(); ++k)
    if (table[k].first == name) return k;
  throw std::logic_error("market formula symbol '" + name + "' has no column in the engine");
}

// A formula's values over the block, checked finite (else a LimitError
// naming `owner`, the formula and the first trial).
void evaluate_checked(const CompiledFormula& f, const std::vector<const Column*>& slots, const TrialSet& t,
                      models::FormulaWorkspace& work, Column& value, const std::string& owner) {
  models::evaluate_formula(f.program, slots, t.n, work, value);
  if (const Eigen::Index i = models::first_non_finite(value); i >= 0)
    throw LimitError(owner + ": formula '" + f.name + "' (" + to_string(f.where) + ") is not finite at trial " +
                     std::to_string(t[i]) + "; guard the division or function there (if, max, clamp)");
}

// The market's formulas over the block (into mk.formula_values), once per
// trial for every MSP: each evaluated in the set's order, checked finite.
void evaluate_market_formulas(const Compiled& c, const TrialSet& t, Market& mk, std::vector<double>& u) {
  const FormulaSet& set = *c.market_formulas;
  const Eigen::Index n = t.n;
  mk.sales_end.setConstant(n, c.sales_end);
  mk.updates_end.setConstant(n, c.migration_start + c.cutoff_day);
  mk.migration_start.setConstant(n, c.migration_start);
  mk.horizon_months.setConstant(n, double(c.horizon_months));
  const auto& accessors = market_formula_accessors();
  const std::size_t slots = std::size_t(set.slot_count());
  if (mk.formula_values.size() < slots) mk.formula_values.resize(slots);
  mk.formula_slots.assign(slots, nullptr);
  for (std::size_t k = 0; k < c.market_formula_symbols.size(); ++k)
    mk.formula_slots[k] = accessors[c.market_formula_symbols[k]].second(mk);
  for (std::size_t k = 0; k < c.market_formula_draws.size(); ++k) {
    const auto slot = std::size_t(set.draw_slot(k));
    c.market_formula_draws[k].fill(t, mk.formula_values[slot], u);
    mk.formula_slots[slot] = &mk.formula_values[slot];
  }
  for (const auto& f : set.formulas) mk.formula_slots[std::size_t(f.slot)] = &mk.formula_values[std::size_t(f.slot)];
  for (const auto& f : set.formulas)
    evaluate_checked(f, mk.formula_slots, t, mk.formula_work, mk.formula_values[std::size_t(f.slot)], "the market");
}

// MSP m's formulas over the block: each evaluated in the set's order, checked
// finite (else a LimitError naming the formula and the first trial), into
// w.formula_values (FormulaSet::slots).
void evaluate_formulas(const Compiled& c, const CompiledMsp& cm, const TrialSet& t, const Market& mk, Workspace& w) {
  const FormulaSet& set = *cm.source->formulas;
  const Eigen::Index n = t.n;
  w.start_day = c.migration_start + w.lost_in.start_delay_days;
  w.completion_day = w.start_day + w.labor_out.duration_days;
  w.sales_end.setConstant(n, c.sales_end);
  w.updates_end.setConstant(n, c.migration_start + c.cutoff_day);
  w.migration_start.setConstant(n, c.migration_start);
  w.horizon_months.setConstant(n, double(c.horizon_months));
  const FormulaView view{w, mk.competitors[cm.incumbent], mk.competitors[cm.target]};
  const auto& accessors = formula_accessors();
  const std::size_t slots = std::size_t(set.slot_count());
  if (w.formula_values.size() < slots) w.formula_values.resize(slots);
  w.formula_slots.assign(slots, nullptr);
  // A market formula's value: the market's column, shared by every MSP.
  for (std::size_t k = 0; k < cm.formula_symbols.size(); ++k) {
    const std::size_t symbol = cm.formula_symbols[k];
    w.formula_slots[k] = symbol < accessors.size() ? accessors[symbol].second(view)
                                                    : &mk.formula_values[symbol - accessors.size()];
  }
  for (std::size_t k = 0; k < cm.formula_draws.size(); ++k) {
    const auto slot = std::size_t(set.draw_slot(k));
    cm.formula_draws[k].fill(t, w.formula_values[slot], w.u);
    w.formula_slots[slot] = &w.formula_values[slot];
  }
  for (const auto& f : set.formulas) w.formula_slots[std::size_t(f.slot)] = &w.formula_values[std::size_t(f.slot)];
  for (const auto& f : set.formulas)
    evaluate_checked(f, w.formula_slots, t, w.formula_work, w.formula_values[std::size_t(f.slot)],
                     "MSP '" + cm.source->name + "'");
}

// MSP m's labor inputs and result (into w.labor_in, w.labor_out).
void draw_labor(const CompiledMsp& cm, const TrialSet& t, const Market& mk, Workspace& w) {
  auto& li = w.labor_in;
  fill_inputs(models::labor_inputs(), cm.labor, &mk.labor, t, li, w.u);
  li.cost_basis = cm.source->cost_basis;
  models::set_weekly_capacity(li);
  models::migration_labor(li, w.labor_out);
}

// run_msp's six fixed costs: each copied to its output, and both totals
// written, for n trials. Distinct columns (none overlaps another).
struct FixedCosts {
  const double *labor, *pricing, *lost, *stranded, *refunds, *extras;
  const double* expected_incidents;
  double incident_cost_mean;
  double *labor_out, *pricing_out, *stranded_out, *refunds_out, *extras_out, *total_out, *lost_expected_out,
      *total_expected_out;
};
// A function of its own, with AVX-512 and AVX2 clones, and the columns'
// independence stated (GCC's ivdep, clang's assume_safety): in run_msp,
// with restrict-qualified locals, GCC left this loop scalar. Per trial the
// same operations in the same order.
SWITCHCOST_SIMD_CLONES void write_fixed_costs(const FixedCosts& f, std::size_t n) noexcept {
  const double incident_cost_mean = f.incident_cost_mean;
#if defined(__clang__)
#pragma clang loop vectorize(assume_safety)
#else
#pragma GCC ivdep
#endif
  for (std::size_t i = 0; i < n; ++i) {
    const double labor = f.labor[i];
    const double pricing = f.pricing[i];
    const double lost = f.lost[i];
    const double stranded = f.stranded[i];
    const double refunds = f.refunds[i];
    const double extras = f.extras[i];
    f.labor_out[i] = labor;
    f.pricing_out[i] = pricing;
    f.stranded_out[i] = stranded;
    f.refunds_out[i] = refunds;
    f.extras_out[i] = extras;
    // The conditional expectation of the compound cost given the trial's
    // inputs (E[count] x E[cost], the count and the costs independent), and
    // the total with it in place of the draw, summed in the same order.
    const double lost_expected = f.expected_incidents[i] * incident_cost_mean;
    f.total_out[i] = labor + pricing + lost + stranded + refunds + extras;
    f.total_expected_out[i] = labor + pricing + lost_expected + stranded + refunds + extras;
    f.lost_expected_out[i] = lost_expected;
  }
}

// MSP m's outputs for the trials of t into out (exact mode: straight into
// the kept series, no copy), checked finite; its cost formulas' (in
// FormulaSet::costs order) into formula_out when given (empty: not wanted).
// With reuse (see MspReuse), the parts it names are taken as the workspace
// holds them.
void run_msp(const Compiled& c, std::size_t m, const TrialSet& t, const Market& mk, Workspace& w,
             const BlockOutputs& out, const MspReuse& reuse = {}, std::span<double* const> formula_out = {}) {
  const Eigen::Index n = t.n;
  auto& u = w.u;
  const CompiledMsp& cm = c.msps[m];
  auto& li = w.labor_in;
  if (!reuse.labor) draw_labor(cm, t, mk, w);
  if (!reuse.lost) {
    auto& lu = w.lost_in;
    fill_inputs(models::lost_updates_inputs(), cm.lost, &mk.lost, t, lu, u);
    models::set_cutoff_day(lu, c.cutoff_day);
    models::lost_updates(li, w.labor_out, lu, w.lost_out);
  }

  const auto& target = mk.competitors[cm.target];
  const auto& incumbent = mk.competitors[cm.incumbent];
  auto& pi = w.pricing_in;
  // The MSP's rows only: the market's discount rate is read through the block's price factors.
  fill_inputs(models::pricing_inputs(), cm.pricing, nullptr, t, pi, u);
  // Both licences follow the MSP's migration schedule (its labor and start delay).
  models::competitor_pricing(
      models::PricingColumns{li.endpoints, target.price_per_endpoint_month, incumbent.price_per_endpoint_month,
                             target.setup_fee_per_endpoint, target.setup_fee_per_msp, pi.share_passed_to_clients,
                             c.competitors[cm.target].source->volume_tiers},
      mk.price_factors[cm.pair],
      models::PriceFactorInputs{mk.pricing.discount_rate_per_year, target.annual_price_escalation,
                                incumbent.annual_price_escalation, target.promo_months, target.promo_discount,
                                c.horizon_months},
      models::LicenceSchedule{li, w.labor_out, w.lost_in.start_delay_days, pi.overlap_months,
                              target.minimum_term_months},
      w.pricing_out);

  if (!reuse.stranded) {
    auto& si = w.stranded_in;
    fill_inputs(models::stranded_inputs(), cm.stranded, nullptr, t, si, u);
    models::stranded_licences(li.endpoints, incumbent.price_per_endpoint_month, si, w.stranded_out);
  }
  const models::MspBlock block{li.endpoints,
                               li.clients,
                               w.labor_out.hours,
                               w.labor_out.duration_days,
                               incumbent.price_per_endpoint_month,
                               target.price_per_endpoint_month,
                               c.horizon_months};
  models::for_each_cost_line([&]<std::size_t K, class Line>() {
    auto& in = std::get<K>(w.lines_in);
    fill_inputs(Line::inputs(), cm.lines[K], &std::get<K>(mk.lines), t, in, u);
    Line::cost(block, in, w.line_cost[K]);
  });
  w.extras.setZero(n);
  for (const auto& [draw, per] : cm.extras) {
    draw.fill(t, w.extra_amount, u);
    models::add_extra_item(w.extra_amount, per, li.endpoints, li.clients, double(c.horizon_months), w.extras);
  }
  if (cm.source->formulas) evaluate_formulas(c, cm, t, mk, w);

  // The uniforms of the incident counts, drawn as a block like the inputs.
  t.uniforms(cm.incident_count, u);
  auto at = [&](Output o) { return out[std::size_t(o)]; };
  const auto& lo = w.labor_out;
  // The incidents first: a count and, per incident, a draw (calls that may
  // stop the block), so that write_fixed_costs is straight-line arithmetic
  // over columns, which GCC vectorises (each trial's sums in the same order).
  // Where none are expected (about half the trials of the shipped MSPs:
  // those done before the cut-off) the count and the cost are 0, as
  // incident_count and incident_cost_total give them; the other trials are
  // listed first, without a branch per trial (a branch on it was
  // mispredicted often), and only they take the calls.
  double* __restrict incidents = at(Output::incidents);
  double* __restrict lost_cost = at(Output::lost_updates_cost);
  const double* __restrict expected_incidents = w.lost_out.expected_incidents.data();
  auto& some = w.incident_trials;
  some.resize(std::size_t(n));
  std::size_t listed = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    incidents[i] = 0.0;
    lost_cost[i] = 0.0;
    some[listed] = std::uint32_t(i);
    listed += expected_incidents[i] == 0 ? 0 : 1;  // a NaN is listed, as before
  }
  for (std::size_t k = 0; k < listed; ++k) {
    if (k % 256 == 255) check_block_stop();
    const std::size_t i = some[k];
    const double count = incident_count(expected_incidents[i], u[i]);
    incidents[i] = count;
    lost_cost[i] = incident_cost_total(c, cm.incident_cost, t[Eigen::Index(i)], count);
  }
  double* __restrict total_out = at(Output::total_cost);
  double* __restrict total_expected_out = at(Output::total_expected_cost);
  write_fixed_costs(FixedCosts{lo.cost.data(), w.pricing_out.cost.data(), lost_cost, w.stranded_out.stranded_cost.data(),
                               w.stranded_out.refund_cost.data(), w.extras.data(),
                               expected_incidents, c.incident_cost_mean, at(Output::labor_cost),
                               at(Output::pricing_cost), at(Output::stranded_cost), at(Output::refund_cost),
                               at(Output::extras_cost), total_out, at(Output::lost_updates_expected_cost),
                               total_expected_out},
                    std::size_t(n));
  // The cost lines after the six fixed costs, in line order, in both totals.
  for (std::size_t k = 0; k < line_count; ++k) {
    const double* __restrict line = w.line_cost[k].data();
    double* __restrict line_out = at(cost_line(int(k)));
    for (Eigen::Index i = 0; i < n; ++i) {
      line_out[i] = line[i];
      total_out[i] += line[i];
      total_expected_out[i] += line[i];
    }
  }
  std::copy_n(lo.hours.data(), n, at(Output::labor_hours));
  std::copy_n(lo.duration_days.data(), n, at(Output::duration_days));
  {
    const double* __restrict delay = w.lost_in.start_delay_days.data();
    const double* __restrict duration = lo.duration_days.data();
    double* __restrict completion = at(Output::completion_day);
    const double start = c.migration_start;
    for (Eigen::Index i = 0; i < n; ++i) completion[i] = start + delay[i] + duration[i];
  }
  // The cost formulas, after the fixed cost lines in both totals (per trial
  // the same additions in the same order as inside the loop above).
  if (const auto& formulas = cm.source->formulas) {
    Eigen::Map<Column> total(at(Output::total_cost), n), total_expected(at(Output::total_expected_cost), n);
    for (std::size_t k = 0; k < formulas->costs.size(); ++k) {
      const Column& value = w.formula_values[std::size_t(formulas->formulas[formulas->costs[k]].slot)];
      total += value;
      total_expected += value;
      if (!formula_out.empty()) std::copy(value.data(), value.data() + n, formula_out[k]);
    }
  }
  for (int o = 0; o < output_count; ++o) {
    const double* v = out[std::size_t(o)];
    if (all_finite(v, std::size_t(n))) continue;  // the common case, checked in one vector pass
    for (Eigen::Index i = 0; i < n; ++i)
      if (!std::isfinite(v[i]))
        throw LimitError("MSP '" + cm.source->name + "': " + output_label(Output(o)) + " is not finite at trial " +
                         std::to_string(t[i]) + "; some input of this MSP is too extreme for the arithmetic");
  }
}

// Sketch mode: MSP m's block (in out, its cost formulas' in formula_out)
// into its moments (w.moments, folded later in block order; the formulas'
// from formula_moments on) and, under its lock, its sketches.
void sketch_msp(std::size_t m, Eigen::Index n, const BlockOutputs& out, std::span<double* const> formula_out,
                std::size_t formula_moments, Workspace& w, RunResult& r, const SketchSink& sink) {
  MspSketch& msp = *r.msps[m].sketch;
  std::uint64_t done_by = 0;
  // Each block is sketched first: the sketch's min and max then let an
  // all-zero block's moments skip their passes (BlockMoments::of). The
  // outputs were checked finite (run_msp), so were the cost formulas (their
  // sum is in total_cost), and x - origin of a finite x is finite.
  for (std::size_t k = 0; k < formula_out.size(); ++k) {
    QuantileSketch& local = w.local[std::size_t(output_count) + k];
    local.clear();
    local.add_finite(formula_out[k], std::size_t(n));
    w.moments[formula_moments + k] = BlockMoments::of(formula_out[k], std::size_t(n), local.min(), local.max());
  }
  for (int o = 0; o < output_count; ++o) {
    const double* v = out[std::size_t(o)];
    QuantileSketch& local = w.local[std::size_t(o)];
    local.clear();
    const double origin = r.sketch_origin[std::size_t(o)];
    BlockMoments& moments = w.moments[m * std::size_t(output_count) + std::size_t(o)];
    if (origin == 0) {
      local.add_finite(v, std::size_t(n));
      moments = BlockMoments::of(v, std::size_t(n), local.min(), local.max());
    } else {
      w.shifted = Eigen::Map<const Column>(v, n) - origin;
      local.add_finite(w.shifted.data(), std::size_t(n));
      moments = BlockMoments::of(v, std::size_t(n));
    }
  }
  const double* done = out[std::size_t(Output::completion_day)];
  for (Eigen::Index i = 0; i < n; ++i) done_by += done[i] < sink.updates_end ? 1 : 0;
  std::lock_guard<std::mutex> lock((*sink.locks)[m % sink.locks->size()]);
  for (int o = 0; o < output_count; ++o) msp.quantiles[std::size_t(o)].merge(w.local[std::size_t(o)]);
  for (std::size_t k = 0; k < formula_out.size(); ++k)
    msp.formula_quantiles[k].merge(w.local[std::size_t(output_count) + k]);
  msp.done_before_updates_stop += done_by;
}

// The scenarios of a run (one, or compare's alternatives), compiled, with
// what each MSP takes over from the previous scenario's (none for the first).
struct Run {
  std::vector<Compiled> compiled;
  std::vector<std::vector<MspReuse>> reuse;  // [scenario][msp]
  std::optional<SamplingPlan> plan;  // lhs, sobol
  // Sketch mode: where MSP m's cost formulas' block moments start in
  // Workspace::moments (block_moment_layout, one past the MSPs included),
  // their total, and the most cost formulas one MSP has.
  std::vector<std::size_t> formula_moments;
  std::size_t moment_count = 0;
  std::size_t most_formula_costs = 0;
};

// The identities of every stream a compiled scenario draws through
// TrialSet::uniforms (constant inputs included, so that holding an input
// fixed keeps the others' sobol dimensions).
void add_variables(const Compiled& c, std::vector<std::uint64_t>& out) {
  const auto add = [&](const std::vector<Draw>& draws) {
    for (const Draw& d : draws)
      if (d.dist) out.push_back(d.stream.variable);
  };
  add(c.labor);
  add(c.pricing);
  add(c.lost);
  add(c.market_formula_draws);
  for (const auto& l : c.lines) add(l);
  for (const auto& comp : c.competitors) add(comp.prices);
  for (const auto& m : c.msps) {
    for (const auto* v : {&m.labor, &m.lost, &m.pricing, &m.stranded, &m.formula_draws}) add(*v);
    for (const auto& l : m.lines) add(l);
    for (const auto& e : m.extras) out.push_back(e.first.stream.variable);
    out.push_back(m.incident_count.variable);
  }
}

// The trials first .. first + n - 1 of every scenario: every MSP's outputs,
// kept (exact mode) or sketched (sketch mode, one scenario), and the
// portfolio's. MSP by MSP, each scenario's MSP m right after the previous
// scenario's (see MspReuse); a scenario's portfolio sums its MSPs in MSP
// order, so the bytes are those of a run of that scenario alone.
void run_block(const Run& run, std::uint64_t first, Eigen::Index n, Workspace& w, std::vector<RunResult>& results,
               const SketchSink* sketch, const std::atomic<bool>* stop) {
  const BlockStopScope stop_scope(stop);
  w.trials = n;
  const TrialSet t{first, nullptr, n, run.plan ? &*run.plan : nullptr};
  const std::size_t scenarios = run.compiled.size();
  w.markets.resize(scenarios);
  std::size_t msps = 0;
  for (std::size_t k = 0; k < scenarios; ++k) {
    draw_market(run.compiled[k], t, w.markets[k], w.u);
    msps = std::max(msps, run.compiled[k].msps.size());
  }
  if (sketch) {  // one scenario
    w.moments.resize(run.moment_count);
    w.local.resize(std::size_t(output_count) + run.most_formula_costs,
                   QuantileSketch(results[0].sketch_relative_error));
  }
  const BlockOutputs own = workspace_outputs(w, n);
  // The cost formulas' portfolio series start the block at 0: MSPs that do
  // not define one add nothing to it.
  for (RunResult& r : results)
    if (!r.msp_in_portfolio)
      for (auto& v : r.formula_portfolio) std::fill_n(v.data() + first, n, 0.0);
  std::vector<double*> formula_out;
  for (std::size_t m = 0; m < msps; ++m) {
    for (std::size_t k = 0; k < scenarios; ++k) {
      const Compiled& c = run.compiled[k];
      if (m >= c.msps.size()) continue;
      RunResult& r = results[k];
      // Kept outputs are written where they are kept (a lone MSP's straight
      // into the portfolio's series, which are its own); the rest into the workspace.
      BlockOutputs out = own;
      for (int o = 0; o < output_count; ++o) {
        auto& kept = r.msp_in_portfolio ? r.portfolio[std::size_t(o)] : r.msps[m].series[std::size_t(o)];
        if (!kept.empty()) out[std::size_t(o)] = kept.data() + first;
      }
      // The cost formulas' likewise (a lone MSP's into the portfolio's).
      const MspSeries& ms = r.msps[m];
      formula_out.resize(ms.formula_costs.size());
      if (w.formula_out.size() < formula_out.size()) w.formula_out.resize(formula_out.size());
      for (std::size_t f = 0; f < formula_out.size(); ++f) {
        Values* kept = r.msp_in_portfolio          ? &r.formula_portfolio[ms.formula_costs[f]]
                       : ms.formula_series.empty() ? nullptr
                                                   : &r.msps[m].formula_series[f];
        if (kept) {
          formula_out[f] = kept->data() + first;
        } else {
          w.formula_out[f].resize(n);
          formula_out[f] = w.formula_out[f].data();
        }
      }
      run_msp(c, m, t, w.markets[k], w, out, run.reuse[k][m], formula_out);
      if (sketch) sketch_msp(m, n, out, formula_out, run.formula_moments[m], w, r, *sketch);
      if (!r.schedules.empty()) {
        ScheduleSeries& kept = r.schedules[m];
        const models::LaborResult& lo = w.labor_out;
        for (Eigen::Index i = 0; i < n; ++i) {
          const std::size_t at = std::size_t(first) + std::size_t(i);
          kept.start_day[at] = c.migration_start + w.lost_in.start_delay_days[i];
          kept.setup_days[at] = lo.setup_days[i];
          kept.duration_days[at] = lo.duration_days[i];
          kept.learning_exponent[at] = lo.learning_exponent[i];
          kept.endpoints[at] = w.labor_in.endpoints[i];
        }
      }
      if (r.msp_in_portfolio) continue;
      // Add into the portfolio's own series (in MSP order, so the sums are the
      // same bytes every run).
      for (int o = 0; o < output_count; ++o) {
        const Eigen::Map<const Column> v(out[std::size_t(o)], n);
        Eigen::Map<Column> acc(r.portfolio[std::size_t(o)].data() + first, n);
        if (m == 0)
          acc = v;
        else if (takes_max(Output(o)))
          acc = acc.max(v);
        else
          acc += v;
      }
      for (std::size_t f = 0; f < formula_out.size(); ++f)
        Eigen::Map<Column>(r.formula_portfolio[ms.formula_costs[f]].data() + first, n) +=
            Eigen::Map<const Column>(formula_out[f], n);
    }
  }

  for (const RunResult& r : results)
    for (int o = 0; o < output_count; ++o) {
      const double* acc = r.portfolio[std::size_t(o)].data() + first;
      if (all_finite(acc, std::size_t(n))) continue;
      for (Eigen::Index i = 0; i < n; ++i)
        if (!std::isfinite(acc[i]))
          throw LimitError(std::string("portfolio ") + output_label(Output(o)) + " overflows at trial " +
                           std::to_string(first + std::uint64_t(i)));
    }
  for (const RunResult& r : results)
    for (std::size_t f = 0; f < r.formula_portfolio.size(); ++f) {
      const double* acc = r.formula_portfolio[f].data() + first;
      if (all_finite(acc, std::size_t(n))) continue;
      for (Eigen::Index i = 0; i < n; ++i)
        if (!std::isfinite(acc[i]))
          throw LimitError("portfolio formula '" + r.formula_costs[f] + "' overflows at trial " +
                           std::to_string(first + std::uint64_t(i)));
    }
}

// Sketch mode, second pass: each MSP's total cost summed over the
// portfolio's tail trials (in portfolio_tail_trials order, as exact mode sums
// them). The tail is re-run in chunks of trials; within a chunk the MSPs are
// shared out among the threads, and each MSP's sum is taken by one thread
// in trial order, so the sums are the same bytes for any thread count.
void tail_pass(const Compiled& c, const SamplingPlan* plan, RunResult& r, unsigned threads) {
  const auto& total = r.portfolio[std::size_t(Output::total_cost)];
  const std::vector<std::size_t> tail = portfolio_tail_trials(total);
  const std::size_t msps = c.msps.size();
  if (tail.empty() || msps == 0) return;
  // No larger than the tail: its buffer is fresh memory, whose first-touch
  // page faults cost more than the rest of the pass on a short run.
  const std::size_t chunk = std::min(
      tail.size(), std::clamp<std::size_t>(tail_pass_bytes / sizeof(double) / msps, 64, sketch_block_trials));
  std::vector<double> values(chunk * msps);  // [m * chunk + i]: MSP m's total cost in the chunk's trial i
  std::vector<std::uint64_t> trials(chunk);
  const unsigned workers = std::max(1u, std::min<unsigned>(threads, unsigned(std::min<std::size_t>(msps, 1024))));
  std::vector<PooledWorkspace> spaces(workers);  // any block size
  Market market;
  for (std::size_t start = 0; start < tail.size(); start += chunk) {
    const std::size_t n = std::min(chunk, tail.size() - start);
    for (std::size_t i = 0; i < n; ++i) trials[i] = tail[start + i];
    const TrialSet t{0, trials.data(), Eigen::Index(n), plan};
    draw_market(c, t, market, (*spaces[0]).u);
    parallel_for(msps, workers, [&](std::size_t m, unsigned worker) {
      Workspace& w = *spaces[worker];
      run_msp(c, m, t, market, w, workspace_outputs(w, t.n));
      const Column& v = w.block_out[std::size_t(Output::total_cost)];
      std::copy(v.data(), v.data() + n, values.data() + m * chunk);
    });
    // The same trials must give the same portfolio totals as the first pass
    // (summed in MSP order, as run_block does), bit for bit.
    for (std::size_t i = 0; i < n; ++i) {
      double sum = values[i];
      for (std::size_t m = 1; m < msps; ++m) sum += values[m * chunk + i];
      if (sum != total[trials[i]])
        throw std::logic_error("tail pass: trial " + std::to_string(trials[i]) +
                               " gave another portfolio total than in the first pass");
    }
    for (std::size_t m = 0; m < msps; ++m) {
      double& sum = r.msps[m].sketch->tail_total_cost;
      for (std::size_t i = 0; i < n; ++i) sum += values[m * chunk + i];
    }
  }
}

// The run's lhs or sobol layout (none for mc).
std::optional<SamplingPlan> sampling_plan(const std::vector<Compiled>& compiled, const RunOptions& options) {
  if (options.sampling == Sampling::mc) return std::nullopt;
  std::vector<std::uint64_t> variables;  // lhs needs no dimensions
  if (options.sampling == Sampling::sobol)
    for (const Compiled& c : compiled) add_variables(c, variables);
  return SamplingPlan::make(options.sampling, options.trials, std::move(variables));
}

}  // namespace

std::size_t run_block_trials(const RunOptions& options) noexcept {
  return options.msp_stats == MspStats::sketch ? sketch_block_trials : std::max<std::size_t>(1, options.block_trials);
}

std::vector<RunResult> run_scenarios(const std::vector<const Scenario*>& scenarios, const RunOptions& options) {
  const bool sketch = options.msp_stats == MspStats::sketch;
  if (scenarios.empty()) return {};
  if (sketch && scenarios.size() > 1) throw std::invalid_argument("run_scenarios: sketch mode runs one scenario");
  // The PERT and Beta quantile tables of every shape loaded, side by side
  // (else the first block's draws would build them one after another).
  build_beta_tables(options.threads);
  Run run;
  for (const Scenario* s : scenarios) run.compiled.push_back(compile(*s, options.seed));
  run.reuse.emplace_back(run.compiled[0].msps.size());
  for (std::size_t k = 1; k < scenarios.size(); ++k) run.reuse.push_back(reuse_from(run.compiled[k], run.compiled[k - 1]));
  run.plan = sampling_plan(run.compiled, options);
  const std::size_t trials = std::size_t(options.trials);
  // A sketch bucket counts up to 2^32 - 1 values (a constant output puts every trial in one).
  if (sketch && options.trials > std::numeric_limits<std::uint32_t>::max())
    throw LimitError("per-MSP sketches hold at most 4,294,967,295 trials; use fewer trials");
  std::vector<RunResult> results(scenarios.size());
  for (std::size_t s = 0; s < scenarios.size(); ++s) {
    const Scenario& scenario = *scenarios[s];
    RunResult& r = results[s];
    r.trials_requested = options.trials;
    r.msp_stats = options.msp_stats;
    r.sampling = options.sampling;
    r.msps.resize(scenario.msps.size());
    if (sketch) {
      r.sketch_relative_error = options.sketch_relative_error;
      r.sketch_origin[std::size_t(Output::completion_day)] = run.compiled[s].migration_start;
    }
    // Every series of the scenario comes from one arena (sim/base/values.h: one
    // mapping with huge pages, so few first-touch page faults); every element
    // is written before it is read.
    const std::size_t series_count =
        sketch ? std::size_t(output_count) + formula_cost_names(scenario).size()
               : std::size_t(exact_series_count(scenario, options.keep_msp_outputs, options.keep_msp_formula_costs));
    const std::size_t series_bytes = (trials * sizeof(double) + 63) / 64 * 64;
    std::shared_ptr<SeriesArena> arena;
    if (trials > 0 && series_bytes / sizeof(double) >= trials && series_count <= std::size_t(-1) / series_bytes)
      arena = std::make_shared<SeriesArena>(series_count * series_bytes);
    const SeriesAllocator<double> from_arena(arena);
    auto allocate = [&](Values& v) {
      v = Values(from_arena);
      v.resize(trials);
    };
    r.msp_in_portfolio = !sketch && msp_is_portfolio(scenario, options.keep_msp_outputs);
    r.formula_costs = formula_cost_names(scenario);
    std::map<std::string_view, std::size_t> formula_row;
    for (std::size_t f = 0; f < r.formula_costs.size(); ++f) formula_row.emplace(r.formula_costs[f], f);
    for (std::size_t m = 0; m < scenario.msps.size(); ++m) {
      MspSeries& ms = r.msps[m];
      ms.name = scenario.msps[m].name;
      if (const auto& set = scenario.msps[m].formulas)
        for (const std::size_t k : set->costs) ms.formula_costs.push_back(formula_row.at(set->formulas[k].name));
      if (r.msp_in_portfolio) continue;
      if (sketch) {
        auto& k = ms.sketch.emplace();
        for (auto& q : k.quantiles) q = QuantileSketch(options.sketch_relative_error);
        k.formula_moments.resize(ms.formula_costs.size());
        k.formula_quantiles.assign(ms.formula_costs.size(), QuantileSketch(options.sketch_relative_error));
        continue;
      }
      for (int o = 0; o < output_count; ++o)
        if (options.keep_msp_outputs[std::size_t(o)]) allocate(ms.series[std::size_t(o)]);
      if (options.keep_msp_formula_costs) {
        ms.formula_series.resize(ms.formula_costs.size());
        for (auto& v : ms.formula_series) allocate(v);
      }
    }
    for (auto& v : r.portfolio) allocate(v);
    r.formula_portfolio.resize(r.formula_costs.size());
    for (auto& v : r.formula_portfolio) allocate(v);
    if (scenarios.size() == 1 && keeps_schedule(scenario, options)) {
      r.schedules.resize(scenario.msps.size());
      for (auto& k : r.schedules)
        for (Values* v : {&k.start_day, &k.setup_days, &k.duration_days, &k.learning_exponent, &k.endpoints})
          v->resize(trials);
    }
  }
  // Sketch mode's state is that of its one scenario.
  RunResult& r = results[0];
  const Scenario& scenario = *scenarios[0];
  if (sketch) {
    run.formula_moments = block_moment_layout(r);
    run.moment_count = run.formula_moments.back();
    for (const MspSeries& ms : r.msps) run.most_formula_costs = std::max(run.most_formula_costs, ms.formula_costs.size());
  }

  const std::size_t block = run_block_trials(options);
  // The blocks [first_block, blocks) run: all, or a distributed run's share.
  std::size_t first_block = 0, blocks = (trials + block - 1) / block;
  if (options.block_range) {
    blocks = std::min(blocks, options.block_range->second);
    first_block = std::min(blocks, options.block_range->first);
  }
  const unsigned threads =
      std::max(1u, std::min<unsigned>(options.threads, unsigned(std::max<std::size_t>(1, blocks - first_block))));
  std::atomic<std::size_t> next{first_block};
  std::atomic<std::uint64_t> done{0};
  std::mutex error_mutex;
  std::size_t error_block = blocks;
  std::exception_ptr error;
  std::atomic<bool> failed{false};
  // Exact mode: the lowest block stopped part-way (blocks, if none). Every
  // block below it was finished, so the trials done are the blocks below it.
  std::atomic<std::size_t> stopped_block{blocks};
  // Exact mode: blocks a helper thread gave back for want of memory (see
  // the worker), and how many threads gave up so.
  std::vector<std::size_t> given_back;
  given_back.reserve(threads);  // a thread gives back one block at most: push_back never allocates
  unsigned threads_gave_up = 0;

  // Sketch mode: block moments fold in block order. A finished block that is
  // not the next to fold waits in `pending`; a thread starts a block only
  // while it is fewer than `window` blocks ahead of the fold, which bounds
  // the blocks held to about 3 x threads whatever the trials.
  std::vector<std::mutex> sketch_locks(sketch ? std::min<std::size_t>(std::max<std::size_t>(1, r.msps.size()), 1024) : 0);
  const SketchSink sink{&sketch_locks, double(scenario.timeline.updates_end)};
  std::mutex fold_mutex;
  std::condition_variable fold_cv;
  std::size_t folded = first_block;  // blocks [first_block, folded) are in the moments
  std::map<std::size_t, std::vector<BlockMoments>> pending;
  std::vector<std::vector<BlockMoments>> spare;
  const std::size_t window = 2 * std::size_t(threads);
  auto fold = [&](const std::vector<BlockMoments>& moments) {
    if (options.block_moments) options.block_moments(moments);
    for (std::size_t m = 0; m < r.msps.size(); ++m) {
      for (int o = 0; o < output_count; ++o)
        r.msps[m].sketch->moments[std::size_t(o)].add(moments[m * std::size_t(output_count) + std::size_t(o)]);
      auto& formula = r.msps[m].sketch->formula_moments;
      for (std::size_t k = 0; k < formula.size(); ++k) formula[k].add(moments[run.formula_moments[m] + k]);
    }
  };
  auto stopped = [&] { return failed.load() || (options.stop && options.stop->load()); };

  auto worker = [&](unsigned index) {
    const bool reports_progress = index == 0;
    // One workspace for full blocks and, when an exact-mode run ends on a
    // shorter one, another for that (see WorkspacePool). Not in sketch mode,
    // where a workspace also holds every MSP's block moments (24 bytes per
    // MSP and output) and the memory estimate counts a fixed number of them
    // per thread.
    std::optional<PooledWorkspace> full, short_block;
    for (;;) {
      if (stopped()) break;
      std::size_t b = 0;
      if (sketch) {
        std::unique_lock<std::mutex> lock(fold_mutex);
        fold_cv.wait(lock, [&] { return stopped() || next.load() >= blocks || next.load() < folded + window; });
        if (stopped()) break;
        b = next.fetch_add(1);
      } else {
        b = next.fetch_add(1);
      }
      if (b >= blocks) break;
      const std::size_t first = b * block;
      const std::size_t n = std::min(block, trials - first);
      Workspace* held_space = nullptr;
      try {
        auto& held = n == block || sketch ? full : short_block;
        if (!held) held.emplace(Eigen::Index(n));
        held_space = &**held;
        // Sketch mode merges each MSP's block into the sketches as it goes,
        // so its blocks cannot be discarded part-way: they stop between blocks.
        run_block(run, first, Eigen::Index(n), *held_space, results, sketch ? &sink : nullptr,
                  sketch ? nullptr : options.stop);
      } catch (const BlockStopped&) {
        std::size_t lowest = stopped_block.load();
        while (b < lowest && !stopped_block.compare_exchange_weak(lowest, b)) {
        }
        break;
      } catch (...) {
        const auto out_of_memory = [] {
          try {
            throw;
          } catch (const std::bad_alloc&) {
            return true;
          } catch (...) {
            return false;
          }
        };
        // A thread without memory for its workspace (many threads near a
        // memory limit) gives its block back and ends, freeing what it held;
        // the calling thread redoes the block once every thread has ended
        // (in exact mode a block's values are all written again). Sketch
        // mode has merged part of the block, so there it is an error.
        if (!sketch && out_of_memory()) {
          std::lock_guard<std::mutex> lock(error_mutex);
          given_back.push_back(b);
          ++threads_gave_up;
          break;
        }
        {
          std::lock_guard<std::mutex> lock(error_mutex);
          if (b < error_block) {  // report the earliest failing block, whatever the thread count
            error_block = b;
            error = std::current_exception();
          }
          failed = true;  // blocks before b are in flight and finish, so the earliest failure is found
        }
        if (sketch) {
          { std::lock_guard<std::mutex> lock(fold_mutex); }  // no waiter misses the wake-up
          fold_cv.notify_all();
        }
        continue;
      }
      Workspace& w = *held_space;
      if (sketch) {
        {
          std::lock_guard<std::mutex> lock(fold_mutex);
          if (b == folded) {
            fold(w.moments);
            for (++folded; !pending.empty() && pending.begin()->first == folded; ++folded) {
              fold(pending.begin()->second);
              spare.push_back(std::move(pending.begin()->second));
              pending.erase(pending.begin());
            }
          } else {
            pending.emplace(b, std::move(w.moments));
            w.moments.clear();
            if (!spare.empty()) {
              w.moments = std::move(spare.back());
              spare.pop_back();
            }
          }
        }
        fold_cv.notify_all();
      }
      done.fetch_add(n);
      if (reports_progress && options.progress) options.progress(done.load(), options.trials);
    }
  };
  // Fewer if the pool is busy with another run or the system gives no more threads.
  const unsigned started = ThreadPool::process().run(threads, worker);
  if (threads_gave_up > 0) note_fewer_threads(std::max(1u, started - threads_gave_up));
  std::sort(given_back.begin(), given_back.end());
  for (const std::size_t b : given_back) {  // in order, as the workers would have
    if (b > error_block) break;
    const auto stop_at = [&](std::size_t block_index) {
      std::size_t lowest = stopped_block.load();
      while (block_index < lowest && !stopped_block.compare_exchange_weak(lowest, block_index)) {
      }
    };
    if (options.stop && options.stop->load()) {
      stop_at(b);
      break;
    }
    const std::size_t first = b * block;
    const std::size_t n = std::min(block, trials - first);
    try {
      PooledWorkspace space{Eigen::Index(n)};
      run_block(run, first, Eigen::Index(n), *space, results, nullptr, options.stop);
      done.fetch_add(n);
    } catch (const BlockStopped&) {
      stop_at(b);
      break;
    } catch (...) {
      if (b < error_block) {
        error_block = b;
        error = std::current_exception();
      }
      break;
    }
  }
  // An error in a block past one stopped part-way is in trials the partial
  // results do not hold.
  if (error && error_block < stopped_block.load()) std::rethrow_exception(error);

  // Blocks are handed out in order, and every one handed out was finished
  // but those from stopped_block on (stopped part-way, or finished after
  // it: dropped), so the trials done are a prefix, the same in every scenario.
  const std::uint64_t trials_done =
      stopped_block.load() < blocks ? std::uint64_t((stopped_block.load() - first_block) * block) : done.load();
  const std::uint64_t range_trials = std::min(blocks * block, trials) - std::min(first_block * block, trials);
  for (RunResult& result : results) {
    result.trials_done = trials_done;
    result.complete = result.trials_done == range_trials;
    if (result.complete || options.block_range) continue;
    for (auto& msp : result.msps) {
      for (auto& v : msp.series)
        if (!v.empty()) v.resize(std::size_t(result.trials_done));
      for (auto& v : msp.formula_series) v.resize(std::size_t(result.trials_done));
    }
    for (auto& v : result.portfolio) v.resize(std::size_t(result.trials_done));
    for (auto& v : result.formula_portfolio) v.resize(std::size_t(result.trials_done));
  }
  if (sketch) {
    if (!pending.empty() || (folded - first_block) * block < r.trials_done)
      throw std::logic_error("sketch mode: a finished block was not folded");
    for (auto& msp : r.msps) {
      for (auto& q : msp.sketch->quantiles) q.shrink_to_fit();
      for (auto& q : msp.sketch->formula_quantiles) q.shrink_to_fit();
    }
    // Runs even after an interruption: it is short, and the partial results
    // need their tail shares.
    if (!options.block_range) tail_pass(run.compiled[0], run.plan ? &*run.plan : nullptr, r, options.threads);
  }
  return results;
}

std::vector<std::size_t> block_moment_layout(const RunResult& result) {
  std::vector<std::size_t> first{result.msps.size() * std::size_t(output_count)};
  for (const MspSeries& ms : result.msps) first.push_back(first.back() + ms.formula_costs.size());
  return first;
}

RunResult run_scenario(const Scenario& scenario, const RunOptions& options) {
  return std::move(run_scenarios({&scenario}, options).front());
}

void run_tail_pass(const Scenario& scenario, const RunOptions& options, RunResult& result) {
  std::vector<Compiled> compiled;
  compiled.push_back(compile(scenario, options.seed));
  const std::optional<SamplingPlan> plan = sampling_plan(compiled, options);
  tail_pass(compiled[0], plan ? &*plan : nullptr, result, options.threads);
}

std::vector<std::vector<double>> draw_inputs(const Scenario& scenario, std::uint64_t seed, std::ptrdiff_t msp,
                                             const std::vector<std::string>& keys,
                                             const std::vector<std::uint64_t>& trials) {
  const Compiled c = compile(scenario, seed);
  std::vector<const std::vector<Draw>*> tables;
  if (msp < 0) {
    tables = {&c.labor, &c.pricing, &c.lost};
    for (const auto& line : c.lines) tables.push_back(&line);
    for (const auto& comp : c.competitors) tables.push_back(&comp.prices);
  } else {
    const CompiledMsp& m = c.msps.at(std::size_t(msp));
    tables = {&m.labor, &m.lost, &m.pricing, &m.stranded};
    for (const auto& line : m.lines) tables.push_back(&line);
  }
  const TrialSet t{0, trials.data(), Eigen::Index(trials.size())};
  std::vector<std::vector<double>> out;
  std::vector<double> u;
  Column column;
  for (const auto& key : keys) {
    const std::string stream = msp < 0 ? key : scenario.msps.at(std::size_t(msp)).params.at(key).stream;
    const Draw* draw = nullptr;
    for (const auto* table : tables)
      for (const Draw& d : *table)
        if (d.dist && d.stream.variable == variable_id(stream)) draw = &d;
    if (!draw) throw std::invalid_argument("draw_inputs: the engine draws no input '" + key + "'");
    draw->fill(t, column, u);
    out.emplace_back(column.data(), column.data() + column.size());
  }
  return out;
}

}  // namespace switchcost::sim

#include "sim/report/sensitivity_indices.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <string_view>
#include <map>
#include <memory>
#include <stdexcept>

#include "sim/base/error.h"
#include "sim/base/format.h"
#include "sim/base/parallel.h"
#include "sim/random/random.h"
#include "sim/report/compare.h"
#include "sim/scenario/formula.h"
#include "sim/stats/summary.h"

namespace switchcost::sim {

std::vector<IndexGroup> index_groups(const Scenario& s) {
  std::vector<IndexGroup> groups;
  for (const InputGroup& g : uncertain_inputs(s)) {
    // Not drawn from its stream: it is the distribution of each incident's
    // cost, drawn per incident under "incidents" (its mean in the expected cost).
    if (g.key == "market.threat.incident_cost") continue;
    IndexGroup ig{g.key, g.level, g.unit, {}};
    for (const InputRef& ref : g.members) {
      const Var& v = input_var(s, ref);
      ig.members.push_back({IndexMemberKind::input, ref, 0, v.stream, v.dist.describe()});
    }
    groups.push_back(std::move(ig));
  }
  // Inline draws of formulas: one group per draw stream over every MSP that draws it.
  std::map<std::string, std::size_t, std::less<>> index;
  for (std::size_t m = 0; m < s.msps.size(); ++m) {
    const Msp& msp = s.msps[m];
    if (!msp.formulas) continue;
    for (std::size_t k = 0; k < msp.formulas->draws.size(); ++k) {
      const FormulaDraw& d = msp.formulas->draws[k];
      if (d.dist.is_constant()) continue;
      auto [it, fresh] = index.emplace(d.stream, groups.size());
      if (fresh) groups.push_back({d.stream, InputOwner::msp, "", {}});
      groups[it->second].members.push_back({IndexMemberKind::formula_draw, InputRef{InputOwner::msp, msp.name, m, "", false},
                                            k, "msps." + msp.name + "." + d.stream, d.dist.describe()});
    }
  }
  if (!s.msps.empty()) {
    IndexGroup incidents{"incidents", InputOwner::msp, "[drawn]", {}};
    for (std::size_t m = 0; m < s.msps.size(); ++m)
      incidents.members.push_back({IndexMemberKind::incidents, InputRef{InputOwner::msp, s.msps[m].name, m, "", false},
                                   0, "msps." + s.msps[m].name + ".incidents.count, .cost",
                                   "Poisson counts, incident costs"});
    groups.push_back(std::move(incidents));
  }
  return groups;
}

Scenario resample_streams(const Scenario& scenario, std::span<const IndexGroup* const> groups) {
  Scenario copy = scenario;
  // Formula sets are shared between MSPs: each MSP touched gets its own copy once.
  std::vector<std::shared_ptr<FormulaSet>> own(copy.msps.size());
  for (const IndexGroup* g : groups)
    for (const IndexMember& member : g->members) switch (member.kind) {
        case IndexMemberKind::input: input_var(copy, member.ref).stream += resampled_stream_suffix; break;
        case IndexMemberKind::formula_draw: {
          Msp& m = copy.msps.at(member.ref.msp);
          auto& set = own[member.ref.msp];
          if (!set) {
            set = std::make_shared<FormulaSet>(*m.formulas);
            m.formulas = set;
          }
          set->draws.at(member.draw).stream += resampled_stream_suffix;
          break;
        }
        case IndexMemberKind::incidents:
          copy.msps.at(member.ref.msp).internal_stream_suffix = resampled_stream_suffix;
          break;
      }
  return copy;
}

namespace {

// Percentile p of sorted values (type 7: linear between order statistics).
double percentile_sorted(const std::vector<double>& x, double p) {
  if (x.empty()) return 0;
  const double h = p * double(x.size() - 1);
  const std::size_t lo = std::size_t(std::floor(h));
  const std::size_t hi = std::min(lo + 1, x.size() - 1);
  return x[lo] + (h - double(lo)) * (x[hi] - x[lo]);
}

IndexEstimate from_replicates(double value, std::vector<double>& reps) {
  IndexEstimate e;
  e.value = value;
  if (reps.empty()) return e;
  double mean = 0;
  for (double x : reps) mean += x;
  mean /= double(reps.size());
  double ss = 0;
  for (double x : reps) ss += (x - mean) * (x - mean);
  e.se = reps.size() > 1 ? std::sqrt(ss / double(reps.size() - 1)) : 0;
  std::sort(reps.begin(), reps.end());
  e.lo = percentile_sorted(reps, 0.025);
  e.hi = percentile_sorted(reps, 0.975);
  return e;
}

// The estimators with trial j counted w[j] times (all once when w is null),
// over fa and fb centred on their pooled mean (so that the one-pass sums
// below do not cancel) and the per-group differences d = f_ABi - f_A:
//   m = sum w (fa + fb) / 2n,  V = sum w (fa^2 + fb^2) / 2n - m^2,
//   S = (sum w fb d - m sum w d) / (n V),  ST = sum w d^2 / (2 n V).
struct Sums {
  double variance = 0;
  std::vector<double> first, total;
};

Sums estimators(const std::vector<double>& fa, const std::vector<double>& fb,
                const std::vector<std::span<const double>>& fab, const std::vector<double>& fa_raw,
                const std::vector<char>& same, const std::uint32_t* w) {
  const std::size_t n = fa.size();
  auto weight = [&](std::size_t j) { return w ? double(w[j]) : 1.0; };
  Sums s;
  s.first.assign(fab.size(), 0.0);
  s.total.assign(fab.size(), 0.0);
  double sum = 0, sq = 0;
  for (std::size_t j = 0; j < n; ++j) {
    const double wj = weight(j);
    sum += wj * (fa[j] + fb[j]);
    sq += wj * (fa[j] * fa[j] + fb[j] * fb[j]);
  }
  const double mean = sum / double(2 * n);
  s.variance = sq / double(2 * n) - mean * mean;
  if (!(s.variance > 0)) {
    s.variance = 0;
    return s;
  }
  for (std::size_t g = 0; g < fab.size(); ++g) {
    if (same[g]) continue;  // f_ABi = f_A in every trial: both indices are 0
    const std::span<const double> f = fab[g];
    double fbd = 0, sd = 0, dd = 0;
    for (std::size_t j = 0; j < n; ++j) {
      const double wj = weight(j), d = f[j] - fa_raw[j];
      fbd += wj * fb[j] * d;
      sd += wj * d;
      dd += wj * d * d;
    }
    s.first[g] = (fbd - mean * sd) / double(n) / s.variance;
    s.total[g] = dd / double(n) / (2 * s.variance);
  }
  return s;
}

}  // namespace

IndexResult estimate_indices(std::span<const double> fa, std::span<const double> fb,
                             const std::vector<std::span<const double>>& fab, const std::vector<IndexGroup>& groups,
                             std::uint64_t seed, std::size_t replicates, unsigned threads) {
  if (fb.size() != fa.size() || fab.size() != groups.size())
    throw std::invalid_argument("estimate_indices: series of different lengths");
  for (const auto& f : fab)
    if (f.size() != fa.size()) throw std::invalid_argument("estimate_indices: series of different lengths");
  if (fa.size() > std::size_t(UINT32_MAX)) throw LimitError("sensitivity indices: more than 2^32 trials");
  const std::size_t n = fa.size();
  IndexResult r;
  r.trials = n;
  double sum = 0;
  for (std::size_t k = 0; k < n; ++k) sum += fa[k] + fb[k];
  r.mean = n ? sum / double(2 * n) : 0;
  // No variance: every value the same (tested exactly, not through V, which
  // rounding could leave a hair above 0).
  bool flat = true;
  for (std::size_t k = 0; k < n && flat; ++k) flat = fa[k] == fa[0] && fb[k] == fa[0];
  std::vector<std::vector<double>> first_reps(groups.size()), total_reps(groups.size());
  std::vector<double> point_first(groups.size(), 0.0), point_total(groups.size(), 0.0);
  if (n > 0 && !flat) {
    std::vector<double> ca(n), cb(n);
    for (std::size_t k = 0; k < n; ++k) {
      ca[k] = fa[k] - r.mean;
      cb[k] = fb[k] - r.mean;
    }
    const std::vector<double> raw(fa.begin(), fa.end());
    std::vector<char> same(groups.size(), 1);
    for (std::size_t g = 0; g < groups.size(); ++g)
      for (std::size_t k = 0; k < n && same[g]; ++k) same[g] = fab[g][k] == fa[k];
    const Sums point = estimators(ca, cb, fab, raw, same, nullptr);
    r.variance = point.variance;
    point_first = point.first;
    point_total = point.total;
    r.replicates = replicates;
    // Replicate rep: trial k of the resample is index floor(n u(k, rep));
    // w counts how often each trial is taken. Replicates are independent,
    // so any thread order gives the same values.
    std::vector<Sums> reps(replicates);
    const unsigned workers = std::max(1u, threads);
    std::vector<std::vector<double>> u(workers, std::vector<double>(n));
    std::vector<std::vector<std::uint32_t>> w(workers, std::vector<std::uint32_t>(n));
    const Stream stream{seed, variable_id("sensitivity.bootstrap")};
    parallel_for(replicates, workers, [&](std::size_t rep, unsigned worker) {
      std::vector<double>& uw = u[worker];
      std::vector<std::uint32_t>& ww = w[worker];
      fill_uniforms(stream, 0, n, std::uint32_t(rep), uw.data());
      std::fill(ww.begin(), ww.end(), 0u);
      for (std::size_t k = 0; k < n; ++k) ++ww[std::min(n - 1, std::size_t(uw[k] * double(n)))];
      reps[rep] = estimators(ca, cb, fab, raw, same, ww.data());
    });
    for (const Sums& s : reps)
      for (std::size_t g = 0; g < groups.size(); ++g) {
        first_reps[g].push_back(s.first[g]);
        total_reps[g].push_back(s.total[g]);
      }
  }
  for (std::size_t g = 0; g < groups.size(); ++g) {
    IndexRow row{groups[g].key, groups[g].level, groups[g].unit, groups[g].members, {}, {}};
    row.first = from_replicates(point_first[g], first_reps[g]);
    row.total = from_replicates(point_total[g], total_reps[g]);
    r.rows.push_back(std::move(row));
  }
  std::stable_sort(r.rows.begin(), r.rows.end(), [](const IndexRow& a, const IndexRow& b) {
    const bool a_msp = a.level == InputOwner::msp, b_msp = b.level == InputOwner::msp;
    if (a_msp != b_msp) return b_msp;
    return a.total.value > b.total.value;
  });
  return r;
}

namespace {

// The runs keep the portfolio's series and, with per_msp, each MSP's series
// of the output measured.
RunOptions series_kept(const RunOptions& options, const SensitivityOptions& sensitivity) {
  RunOptions o = options;
  o.keep_msp_outputs = {};
  o.keep_msp_formula_costs = false;
  if (sensitivity.per_msp) o.keep_msp_outputs[std::size_t(mean_series_of(sensitivity.output))] = true;
  o.msp_stats = MspStats::exact;
  return o;
}

// One series measured: output `output` of the portfolio (msp = npos) or of
// MSP msp; or (formula != npos) the portfolio's row of that cost formula.
struct Measure {
  std::size_t output = 0;
  std::size_t msp = std::size_t(-1);
  std::size_t formula = std::size_t(-1);
};

const Values& measured_series(const RunResult& r, const Measure& m) {
  if (m.formula != std::size_t(-1)) return r.formula_portfolio.at(m.formula);
  return m.msp == std::size_t(-1) ? r.portfolio[m.output] : r.msp_series(m.msp)[m.output];
}

}  // namespace

std::uint64_t estimate_indices_bytes(const Scenario& scenario, std::uint64_t trials,
                                     const SensitivityOptions& sensitivity) {
  const std::uint64_t outputs = 1 +
                                (sensitivity.components
                                     ? std::uint64_t(Output::total_cost) + formula_cost_names(scenario).size()
                                     : 0) +
                                (sensitivity.per_msp ? scenario.msps.size() : 0);
  return outputs * (2 + index_groups(scenario).size()) * trials * sizeof(double);
}

std::uint64_t estimate_indices_working_bytes(const Scenario& scenario, const RunOptions& options,
                                             const SensitivityOptions& sensitivity) {
  // Two runs' results at a time; the bootstrap's centred copies of f_A and
  // f_B, f_A again, and per thread its uniforms and counts.
  const RunOptions o = series_kept(options, sensitivity);
  return estimate_working_bytes({&scenario, &scenario}, o) +
         2 * estimate_result_bytes(scenario, options.trials, o.keep_msp_outputs, false) +
         3 * options.trials * sizeof(double) +
         std::max(1u, options.threads) * options.trials * (sizeof(double) + sizeof(std::uint32_t));
}

SensitivityResult run_sensitivity_indices(const Scenario& scenario, const RunOptions& options,
                                          const SensitivityOptions& sensitivity) {
  SensitivityResult result;
  result.variance_indices = true;
  result.trials_requested = options.trials;
  const std::size_t formula = set_measured_output(scenario, sensitivity, result);
  const std::size_t out = std::size_t(result.output);
  const std::size_t measured = std::size_t(mean_series_of(result.output));
  const std::vector<IndexGroup> groups = index_groups(scenario);
  const std::vector<std::string> formula_names = formula_cost_names(scenario);
  result.groups = groups.size();

  // A group of a competitor no MSP leaves or moves to changes nothing an
  // MSP draws (same_inputs): its AB run would repeat A trial by trial, so it
  // is not run and its series is A's (both indices exactly 0).
  std::vector<char> read(groups.size(), 1);
  std::size_t runs_planned = 2;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (sensitivity.skip_unread && groups[g].level == InputOwner::competitor) {
      const IndexGroup* one[] = {&groups[g]};
      read[g] = !same_inputs(scenario, resample_streams(scenario, one));
    }
    runs_planned += read[g] ? 1 : 0;
  }

  RunOptions o = series_kept(options, sensitivity);
  std::uint64_t offset = 0;
  const std::uint64_t total = options.trials * runs_planned;
  if (options.progress)
    o.progress = [&](std::uint64_t done, std::uint64_t) { options.progress(offset + done, total); };

  // Copied out of the runs' results: a series moved out would keep its
  // run's whole arena (every output) alive.
  auto keep = [](const Values& v) { return std::vector<double>(v.begin(), v.end()); };
  // The series measured: the output's, then with --components each cost
  // component's (a compound one by its conditional expectation), then with
  // --per-msp each MSP's own output's.
  std::vector<Measure> series{{measured, std::size_t(-1), formula}};
  if (sensitivity.components) {
    for (int c = 0; c < int(Output::total_cost); ++c) series.push_back({std::size_t(mean_series_of(Output(c)))});
    for (std::size_t f = 0; f < formula_names.size(); ++f) series.push_back({out, std::size_t(-1), f});
  }
  if (sensitivity.per_msp)
    for (std::size_t m = 0; m < scenario.msps.size(); ++m) series.push_back({measured, m});
  std::vector<const IndexGroup*> all;
  for (const auto& g : groups) all.push_back(&g);
  std::vector<std::vector<double>> fa(series.size()), fb(series.size());
  {
    const Scenario b = resample_streams(scenario, all);
    std::vector<RunResult> r = run_scenarios({&scenario, &b}, o);
    result.runs += 2;
    offset += 2 * options.trials;
    result.trials_done = r[0].trials_done;
    result.complete = r[0].complete && r[1].complete && r[1].trials_done == r[0].trials_done;
    if (result.trials_done > 0) {
      result.baseline = summarize(measured_series(r[0], {out, std::size_t(-1), formula}));
      if (measured != out) use_conditional_mean(result.baseline, summarize(r[0].portfolio[measured]));
    }
    for (std::size_t k = 0; k < series.size(); ++k) {
      fa[k] = keep(measured_series(r[0], series[k]));
      fb[k] = keep(measured_series(r[1], series[k]));
    }
    if (sensitivity.keep_samples) {
      auto samples = std::make_shared<SampleSeries>();
      samples->labels.push_back("baseline");
      samples->portfolios.push_back(std::move(r[0].portfolio));
      result.samples = std::move(samples);
    }
  }
  if (!result.complete || result.trials_done == 0) return result;

  std::vector<std::vector<std::vector<double>>> fab(series.size(), std::vector<std::vector<double>>(groups.size()));
  std::vector<std::size_t> pending;
  for (std::size_t g = 0; g < groups.size(); ++g)
    if (read[g]) pending.push_back(g);
  for (std::size_t p = 0; p < pending.size(); p += 2) {
    const std::size_t count = std::min<std::size_t>(2, pending.size() - p);
    std::vector<Scenario> copies;
    for (std::size_t i = 0; i < count; ++i) {
      const IndexGroup* one[] = {&groups[pending[p + i]]};
      copies.push_back(resample_streams(scenario, one));
    }
    std::vector<const Scenario*> pointers;
    for (const auto& c : copies) pointers.push_back(&c);
    std::vector<RunResult> r = run_scenarios(pointers, o);
    result.runs += count;
    offset += count * options.trials;
    for (std::size_t i = 0; i < count; ++i) {
      if (!r[i].complete || r[i].trials_done != result.trials_done) {
        result.complete = false;  // interrupted: no indices
        return result;
      }
      for (std::size_t k = 0; k < series.size(); ++k) fab[k][pending[p + i]] = keep(measured_series(r[i], series[k]));
    }
  }
  for (std::size_t k = 0; k < series.size(); ++k) {
    std::vector<std::span<const double>> spans;
    for (std::size_t g = 0; g < groups.size(); ++g) spans.emplace_back(read[g] ? fab[k][g] : fa[k]);
    auto indices = std::make_shared<IndexResult>(
        estimate_indices(fa[k], fb[k], spans, groups, options.seed, index_bootstrap_replicates, options.threads));
    const bool msp = series[k].msp != std::size_t(-1);
    indices->output = k == 0 || msp ? result.output : Output(k - 1);
    if (k == 0)
      indices->formula = result.formula;
    else if (series[k].formula != std::size_t(-1)) {
      indices->output = formula_output_like;
      indices->formula = formula_names[series[k].formula];
    }
    if (msp) indices->msp = scenario.msps[series[k].msp].name;
    for (auto& row : indices->rows)
      for (std::size_t g = 0; g < groups.size(); ++g)
        if (!read[g] && groups[g].key == row.key) row.read = false;
    if (k == 0)
      result.indices = std::move(indices);
    else if (msp)
      result.msp_indices.push_back(std::move(indices));
    else
      result.component_indices.push_back(std::move(indices));
  }
  return result;
}

// ---------------------------------------------------------------------------
// Reports

namespace {

const char* indices_unit(Output o) noexcept {
  if (int(o) < cost_output_count || o == Output::lost_updates_expected_cost || o == Output::total_expected_cost)
    return "USD";
  switch (o) {
    case Output::labor_hours: return "h";
    case Output::duration_days: return "days";
    case Output::completion_day: return "days since 1970-01-01";
    case Output::incidents: return "incidents";
    default: return "";
  }
}

std::string index_text(double x) { return fixed(x, 3); }
// Four significant digits.
std::string input_text(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", x);
  return buf;
}
std::string interval_text(const IndexEstimate& e) { return "[" + fixed(e.lo, 3) + ", " + fixed(e.hi, 3) + "]"; }

// The `count` groups of largest ST among those `keep` accepts, as
// "key ST [lo, hi]; ...", ties in row order; "none" when there is none.
template <class Keep>
std::string largest_total(const IndexResult& x, std::size_t count, Keep keep) {
  std::vector<const IndexRow*> best;
  for (const auto& row : x.rows)
    if (keep(row)) best.push_back(&row);
  std::stable_sort(best.begin(), best.end(),
                   [](const IndexRow* a, const IndexRow* b) { return a->total.value > b->total.value; });
  std::string text;
  for (std::size_t i = 0; i < std::min(count, best.size()); ++i)
    text += (i ? "; " : "") + printable(best[i]->key) + " " + index_text(best[i]->total.value) + " " +
            interval_text(best[i]->total);
  return text.empty() ? "none" : text;
}

std::string group_label(const IndexRow& row) {
  std::string label = printable(row.key);
  if (row.members.size() > 1) label += " (" + std::to_string(row.members.size()) + " MSPs)";
  return label;
}

}  // namespace

void render_indices_table(const SensitivityResult& r, std::ostream& out) {
  const Output o = r.output;
  out << "switchcost " << r.info.version << " variance-based sensitivity of the portfolio's "
      << printable(measured_output_key(o, r.formula))
      << " [" << indices_unit(o) << "]: " << r.groups << " input groups, "
      << grouped(static_cast<long long>(r.trials_done)) << " trials per run, " << r.runs << " runs, seed "
      << r.info.seed << ", " << fixed(r.info.seconds, 2) << " s\n";
  if (!r.indices) {
    out << (r.trials_done == 0 ? "No trial finished before the interruption: there are no results.\n"
                               : "INTERRUPTED before every run was done: there are no indices.\n");
    return;
  }
  const IndexResult& ix = *r.indices;
  if (mean_series_of(o) != o)
    out << "measured on " << output_key(mean_series_of(o))
        << ": the expected cost given each trial's inputs (expected incidents x mean cost per incident)\n";
  const bool money = std::string_view(indices_unit(o)) == "USD";
  auto value = [&](double x) { return money ? format_money(x) : input_text(x); };
  out << "output: mean " << value(ix.mean) << ", sd " << value(std::sqrt(ix.variance))
      << " (of the runs A and B pooled)\n";
  out << "S = first-order index (share of the variance the group explains alone, Saltelli 2010), ST = total\n"
         "index (with its interactions, Jansen); [95% bootstrap interval over trials, "
      << ix.replicates << " replicates].\n"
         "Each group is drawn afresh from renamed streams while the others keep their values, trial by trial.\n";
  if (ix.variance == 0) {
    out << "The output has no variance (every input it reads is constant): every index is 0.\n";
  }
  const std::size_t top = r.top;
  for (const bool msp : {false, true}) {
    std::vector<const IndexRow*> rows;
    std::size_t unread = 0;
    for (const auto& row : ix.rows)
      if ((row.level == InputOwner::msp) == msp) {
        if (row.read)
          rows.push_back(&row);
        else
          ++unread;
      }
    out << "\n" << (msp ? "Per-MSP inputs" : "Market-level inputs (market and competitors)");
    if (rows.empty()) {
      out << ": none uncertain\n";
      continue;
    }
    out << "\n";
    const std::size_t shown = std::min(top, rows.size());
    std::size_t w_label = 7;
    for (std::size_t i = 0; i < shown; ++i) w_label = std::max(w_label, text_width(group_label(*rows[i])) + 2);
    out << "  " << pad_right("input", w_label) << pad_left("S", 8) << pad_left("95% interval", 19)
        << pad_left("ST", 8) << pad_left("95% interval", 19) << "  ST\n";
    for (std::size_t i = 0; i < shown; ++i) {
      const IndexRow& row = *rows[i];
      const std::size_t bar = std::size_t(std::llround(20.0 * std::clamp(row.total.value, 0.0, 1.0)));
      out << "  " << pad_right(group_label(row), w_label) << pad_left(index_text(row.first.value), 8)
          << pad_left(interval_text(row.first), 19) << pad_left(index_text(row.total.value), 8)
          << pad_left(interval_text(row.total), 19) << "  " << std::string(bar, '#') << "\n";
    }
    if (shown < rows.size())
      out << "  " << shown << " of " << rows.size() << " groups shown (--top); all are in --json and --csv\n";
    if (unread)
      out << "  " << unread << " inputs of competitors no MSP leaves or moves to are not shown: their indices are 0.\n";
  }
  if (!r.component_indices.empty()) {
    out << "\nBy cost component (--components): its sd and the three groups of largest ST, as ST [95% interval]\n";
    std::size_t w_key = 20;  // a cost formula's key can be longer than the built-in ones
    for (const auto& c : r.component_indices)
      w_key = std::max(w_key, text_width(printable(measured_output_key(c->output, c->formula))) + 1);
    for (const auto& c : r.component_indices) {
      out << "  " << pad_right(printable(measured_output_key(c->output, c->formula)), w_key) << " sd " << pad_left(format_money(std::sqrt(c->variance)), 10)
          << " ";
      if (c->variance == 0) {
        out << " no variance\n";
        continue;
      }
      out << " " << largest_total(*c, 3, [](const IndexRow&) { return true; }) << "\n";
    }
  }
  if (!r.msp_indices.empty()) {
    out << "\nBy MSP (--per-msp): each MSP's own " << output_key(o)
        << " and its sd; its three market-level and three per-MSP groups of\n"
           "largest ST (an MSP key as that MSP's own input; groups of ST 0 left out), as ST [95% interval]\n";
    for (const auto& m : r.msp_indices) {
      out << "  " << printable(m->msp) << "  mean " << value(m->mean) << ", sd " << value(std::sqrt(m->variance))
          << "\n";
      if (m->variance == 0) {
        out << "    no variance: every index is 0\n";
        continue;
      }
      out << "    market:  " << largest_total(*m, 3, [](const IndexRow& x) { return x.total.value > 0 && x.level != InputOwner::msp; })
          << "\n    per-MSP: " << largest_total(*m, 3, [](const IndexRow& x) { return x.total.value > 0 && x.level == InputOwner::msp; })
          << "\n";
    }
  }
  double sum_first = 0;
  for (const auto& row : ix.rows) sum_first += row.first.value;
  out << "\nSum of S: " << fixed(sum_first, 3)
      << " (1 - sum is the share of the variance due to interactions; estimates can fall below 0 by noise)\n";
}

namespace {

// The "inputs" array: every group's indices (empty without a result).
void json_index_rows(Json& j, const IndexResult* ix) {
  j.open("inputs", '[');
  if (ix)
    for (const auto& row : ix->rows) {
      j.open("", '{').value("key", row.key).value("level", to_string(row.level)).value("unit", row.unit);
      j.value("read", row.read);
      j.open("members", '[');
      for (const auto& m : row.members) {
        j.open("", '{').value("stream", m.stream).value("distribution", m.distribution);
        j.close('}');
      }
      j.close(']');
      for (const auto& [name, e] : {std::pair{"first_order", &row.first}, std::pair{"total", &row.total}}) {
        j.open(name, '{').value("estimate", e->value).value("se", e->se);
        j.open("ci95", '[').value("", e->lo).value("", e->hi);
        j.close(']');
        j.close('}');
      }
      j.close('}');
    }
  j.close(']');
}

}  // namespace

void render_indices_json(const SensitivityResult& r, std::ostream& out) {
  Json j(out);
  j.open("", '{');
  j.value("schema", sensitivity_indices_schema);
  json_manifest(j, "sensitivity", r.info, r.trials_requested, r.trials_done, r.complete, [&](Json& m) {
    const std::string key = measured_output_key(r.output, r.formula);
    m.value("method", "indices").value("output", key);
    m.value("mean_series", r.formula.empty() ? output_key(mean_series_of(r.output)) : key);
    m.value("input_groups", std::uint64_t(r.groups)).value("runs", std::uint64_t(r.runs));
    m.value("bootstrap_replicates", std::uint64_t(r.indices ? r.indices->replicates : 0));
    m.value("resampled_stream_suffix", resampled_stream_suffix);
  });
  j.open("output", '{').value("key", measured_output_key(r.output, r.formula)).value("unit", indices_unit(r.output));
  j.value("scope", "portfolio");
  if (r.indices) {
    j.value("mean", r.indices->mean).value("variance", r.indices->variance);
    j.value("zero_variance", r.indices->variance == 0);
  } else {
    j.null("mean").null("variance").null("zero_variance");
  }
  j.close('}');
  json_index_rows(j, r.indices.get());
  if (!r.component_indices.empty()) {
    j.open("components", '[');
    for (const auto& c : r.component_indices) {
      const std::string key = measured_output_key(c->output, c->formula);
      j.open("", '{').value("key", key).value("unit", indices_unit(c->output));
      j.value("mean_series", c->formula.empty() ? output_key(mean_series_of(c->output)) : key);
      j.value("mean", c->mean).value("variance", c->variance).value("zero_variance", c->variance == 0);
      json_index_rows(j, c.get());
      j.close('}');
    }
    j.close(']');
  }
  if (!r.msp_indices.empty()) {
    j.open("msps", '[');
    for (const auto& m : r.msp_indices) {
      j.open("", '{').value("msp", m->msp).value("key", output_key(m->output)).value("unit", indices_unit(m->output));
      j.value("mean_series", output_key(mean_series_of(m->output)));
      j.value("mean", m->mean).value("variance", m->variance).value("zero_variance", m->variance == 0);
      json_index_rows(j, m.get());
      j.close('}');
    }
    j.close(']');
  }
  j.close('}');
  j.finish();
}

void render_indices_csv(const SensitivityResult& r, std::ostream& out) {
  out << "input,level,unit,members,first_order,first_order_se,first_order_lo,first_order_hi,total,total_se,"
         "total_lo,total_hi,output,output_mean,output_variance,n,replicates,complete,msp\n";
  if (!r.indices) return;
  const IndexResult& ix = *r.indices;
  auto rows = [&](const IndexResult& x, const std::string& tail) {
    for (const auto& row : x.rows)
      out << csv_field(row.key) << ',' << to_string(row.level) << ',' << csv_field(row.unit) << ','
          << row.members.size() << ',' << number(row.first.value) << ',' << number(row.first.se) << ','
          << number(row.first.lo) << ',' << number(row.first.hi) << ',' << number(row.total.value) << ','
          << number(row.total.se) << ',' << number(row.total.lo) << ',' << number(row.total.hi) << ',' << tail
          << "\n";
  };
  auto tail_of = [&](const IndexResult& x) {
    return csv_field(measured_output_key(x.output, x.formula)) + ',' + number(x.mean) + ',' + number(x.variance) + ',' +
           std::to_string(r.trials_done) + ',' + std::to_string(x.replicates) + ',' + (r.complete ? "true" : "false") +
           ',' + (x.msp.empty() ? std::string() : csv_field(x.msp));
  };
  rows(ix, tail_of(ix));
  for (const auto& c : r.component_indices) rows(*c, tail_of(*c));
  for (const auto& m : r.msp_indices) rows(*m, tail_of(*m));
}

}  // namespace switchcost::sim

#include "sim/report/report.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

#include "sim/scenario/builtin.h"
#include "sim/base/error.h"
#include "sim/base/format.h"
#include "sim/base/parallel.h"
#include "sim/base/sha256.h"
#include "sim/scenario/yaml_reader.h"

namespace switchcost::sim {
namespace {

// The cost rows of the tables: every cost output, in order, the total last.
constexpr std::array<Output, cost_output_count> cost_outputs = [] {
  std::array<Output, cost_output_count> o{};
  for (int k = 0; k < cost_output_count; ++k) o[std::size_t(k)] = Output(k);
  return o;
}();

// A day number as an ISO date; days past 9999-12-31 (absurd inputs) read
// "after 9999-12-31" rather than a garbled date.
std::string date_of(double day) {
  constexpr double last = 2932896;  // 9999-12-31 in days since 1970-01-01
  if (!(day <= last)) return "after 9999-12-31";
  if (!(day >= -719162)) return "before 0001-01-01";
  return format_date(std::int64_t(std::floor(day)));
}

// One output's statistics from its series (exact) or its moments and sketch,
// and, with the completion day's, P(done before updates stop): from the series, or
// (sketch mode) an exact count, with the standard error share_below gives.
// Under sobol sampling the SEs are those of the replicate means
// (sim/random/sampling.h): the trials are not independent.
void exact_output(ScopeReport& s, const Series& series, int o, double updates_end, Sampling sampling) {
  const auto& x = series[std::size_t(o)];
  s.stats[std::size_t(o)] = summarize(x);
  if (sampling == Sampling::sobol && !x.empty())
    s.stats[std::size_t(o)].se = replicate_standard_error(x, sobol_replicates);
  if (Output(o) != Output::completion_day) return;
  s.done_before_updates_stop = share_below(x, updates_end);
  if (sampling == Sampling::sobol && !x.empty())
    s.done_before_updates_stop.se = replicate_standard_error_below(x, updates_end, sobol_replicates);
}
void sketch_output(ScopeReport& s, const MspSketch& k, const RunResult& r, int o) {
  s.stats[std::size_t(o)] =
      summarize(k.moments[std::size_t(o)], k.quantiles[std::size_t(o)], r.sketch_origin[std::size_t(o)]);
  if (Output(o) == Output::completion_day && r.trials_done > 0) {
    const double n = double(r.trials_done);
    s.done_before_updates_stop.value = double(k.done_before_updates_stop) / n;
    s.done_before_updates_stop.se = std::sqrt(s.done_before_updates_stop.value * (1 - s.done_before_updates_stop.value) / n);
  }
}

// A cost formula's row from its series (exact) or moments and sketch.
Stats exact_formula(const Values& x, Sampling sampling) {
  Stats st = summarize(x);
  if (sampling == Sampling::sobol && !x.empty()) st.se = replicate_standard_error(x, sobol_replicates);
  return st;
}

const Stats& of(const ScopeReport& s, Output o) { return s.stats[std::size_t(o)]; }

// When updates stop: 00:00 of timeline.updates_end (BIS: updates allowed
// until 12:00 a.m. on that day), the instant "done before updates stop" and
// the lost-updates model's cut-off are measured against.
std::string updates_stop(const Timeline& t) { return format_date(t.updates_end) + " 00:00"; }

// The compound costs and the series of their conditional expectations.
constexpr std::array<std::pair<Output, Output>, 2> compound_outputs = {
    {{Output::lost_updates_cost, Output::lost_updates_expected_cost}, {Output::total_cost, Output::total_expected_cost}}};

// The mean and SE of each compound cost from its conditional expectation
// (E[cost | the trial's inputs] has the same mean as the cost and a smaller
// variance: the mean no longer rests on the few trials with incidents). The
// sampled series' own are kept in s.sampled.
void use_conditional_means(ScopeReport& s) {
  for (const auto& [o, expected] : compound_outputs)
    s.sampled[std::size_t(o)] = use_conditional_mean(s.stats[std::size_t(o)], s.stats[std::size_t(expected)]);
}

// A mean rests on a few trials when the top 0.1% of them carry at least this
// share of it: the table says so under the row.
constexpr double few_trials_share = 0.5;

bool rests_on_few(double top_share) { return top_share >= few_trials_share; }  // false for NaN

void table_for(std::ostream& out, const ScopeReport& s, const ReportData& d, bool portfolio) {
  // The cells first; each value column is then as wide as its widest cell
  // needs, with one space at least before it (the usual widths otherwise).
  struct Row {
    std::string label, centre, p50, p90;
  };
  std::vector<Row> rows;
  // Marks: * a compound cost's mean (footnote), ! a mean that rests on a few trials.
  std::vector<std::string> few;
  const auto cost_row = [&](std::string label, const Stats& st, bool compound) {
    const std::string name = label;
    if (compound) label += " *";
    if (rests_on_few(st.top_share)) {
      label += " !";
      few.push_back(name + " " + format_percent(st.top_share));
    }
    rows.push_back({label, format_money(st.mean) + " +- " + format_error(st.se), format_money(st.at(0.5).value),
                    format_money(st.at(0.9).value)});
  };
  // The fixed cost rows, the cost formulas' (by name, escaped), then the total.
  for (Output o : cost_outputs) {
    if (o == Output::total_cost)
      for (std::size_t k = 0; k < s.formula_names.size(); ++k)
        cost_row(printable(s.formula_names[k]), s.formula_stats[k], false);
    cost_row(output_label(o), of(s, o), s.sampled[std::size_t(o)].has_value());
  }
  const std::size_t total_row = std::size(cost_outputs) - 1 + s.formula_names.size();
  const Stats& dur = of(s, Output::duration_days);
  rows.push_back({portfolio ? "duration, last MSP [days]" : "duration [days]",
                  fixed(dur.mean, 1) + " +- " + fixed(dur.se, 1), fixed(dur.at(0.5).value, 1),
                  fixed(dur.at(0.9).value, 1)});
  const Stats& done = of(s, Output::completion_day);
  rows.push_back({"completion date", "", date_of(done.at(0.5).value), date_of(done.at(0.9).value)});
  const std::size_t w0 = 24;
  std::size_t w1 = 22, w2 = 14;
  for (const auto& r : rows) {
    w1 = std::max(w1, text_width(r.centre) + 1);
    w2 = std::max({w2, text_width(r.p50) + 1, text_width(r.p90) + 1});
  }
  out << "  " << pad_right("cost [USD]", w0) << pad_left("mean +- SE", w1) << pad_left("P50", w2)
      << pad_left("P90", w2) << "\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (i == total_row) out << "  " << std::string(w0 + w1 + 2 * w2, '-') << "\n";
    const Row& r = rows[i];
    // An empty cell is only padding, with no gap of its own.
    out << "  " << pad_right(r.label, w0) << (r.centre.empty() ? std::string(w1, ' ') : pad_left(r.centre, w1))
        << pad_left(r.p50, w2) << pad_left(r.p90, w2) << "\n";
  }
  out << "  " << (portfolio ? "P(every MSP done before updates stop, " : "P(done before updates stop, ")
      << updates_stop(d.timeline) << ") = " << fixed(100 * s.done_before_updates_stop.value, 1) << "% +- "
      << fixed(100 * s.done_before_updates_stop.se, 1) << "%\n";
  if (const auto& lost = s.sampled[std::size_t(Output::lost_updates_cost)]) {
    out << "  * mean +- SE of the expected cost given each trial's inputs (expected incidents\n"
           "    x mean cost per incident); P50 and P90 are of the costs drawn, whose mean is\n    "
        << format_money(lost->mean) << " +- " << format_error(lost->se);
    if (rests_on_few(lost->top_share))
      out << ", " << format_percent(lost->top_share) << " of it from the top 0.1% of trials: too few for a mean";
    out << ".\n";
  }
  if (!few.empty()) {
    out << "  ! the top 0.1% of trials carry half the mean or more (";
    for (std::size_t k = 0; k < few.size(); ++k) out << (k ? ", " : "") << few[k];
    out << "): it rests on a few trials.\n";
  }
}

void json_scope(Json& j, const std::string& key, const ScopeReport& s, bool is_msp) {
  j.open(key, '{');
  // No trial done (interrupted at once): no statistics, null rather than 0.
  const bool none = of(s, Output::total_cost).n == 0;
  j.value("name", s.name);
  if (is_msp) {
    j.value("incumbent", s.incumbent).value("target", s.target);
    j.value("labor_cost_basis", s.labor_cost_basis);
    j.value("endpoints_mean", s.endpoints_mean).value("clients_mean", s.clients_mean);
    if (none)
      j.null("tail_mean").null("tail_share");
    else
      j.value("tail_mean", s.tail_mean).value("tail_share", s.tail_share);
  }
  j.open("done_before_updates_stop", '{');
  if (none)
    j.null("p").null("se");
  else
    j.value("p", s.done_before_updates_stop.value).value("se", s.done_before_updates_stop.se);
  j.close('}');
  const Stats& done = of(s, Output::completion_day);
  j.open("completion_date", '{');  // null: not a date before 10000 (absurd inputs), or no trials
  for (const auto& q : done.percentiles) {
    if (done.n > 0 && q.value >= -719162 && q.value <= 2932896)
      j.value(pct_key(q.p), date_of(q.value));
    else
      j.null(pct_key(q.p));
  }
  j.close('}');
  j.open("outputs", '{');
  for (int o = 0; o < output_count; ++o) {
    const Stats& st = s.stats[std::size_t(o)];
    const auto& sampled = s.sampled[std::size_t(o)];
    json_stats(j, output_key(Output(o)), st, [&](Json& k) { json_mean_fields(k, st, sampled); });
  }
  for (std::size_t k = 0; k < s.formula_names.size(); ++k) {
    const Stats& st = s.formula_stats[k];
    json_stats(j, formula_output_key(s.formula_names[k]), st, [&](Json& f) { json_mean_fields(f, st, std::nullopt); });
  }
  j.close('}');
  j.close('}');
}

// With n = 0 (no trial done) the statistics' fields are empty, not zeros.
void csv_rows(std::ostream& out, const std::string& scope_name, const ScopeReport& s, bool complete) {
  const std::string name = csv_field(s.name);
  const std::size_t formulas = s.formula_names.size();
  for (std::size_t row = 0; row < std::size_t(output_count) + formulas; ++row) {
    // The fixed outputs, then the cost formulas' rows.
    const bool fixed_output = row < std::size_t(output_count);
    const int o = fixed_output ? int(row) : -1;
    const Stats& st = fixed_output ? s.stats[row] : s.formula_stats[row - std::size_t(output_count)];
    out << scope_name << ',' << name << ','
        << (fixed_output ? std::string(output_key(Output(o)))
                         : csv_field(formula_output_key(s.formula_names[row - std::size_t(output_count)])))
        << ',' << st.n;
    const SampledMean* sampled = fixed_output && s.sampled[row] ? &*s.sampled[row] : nullptr;
    if (st.n == 0) {
      out << std::string(9 + percentile_levels().size(), ',');
    } else {
      out << ',' << number(st.mean) << ',' << number(st.se) << ',' << number(st.sd) << ',' << number(st.min);
      for (const auto& q : st.percentiles) out << ',' << number(q.value);
      out << ',' << number(st.max) << ',' << number(st.cvar95) << ',';
      if (scope_name == "msp" && fixed_output && Output(o) == Output::total_cost) out << number(s.tail_share);
      out << ',';
      if (sampled)
        out << number(sampled->mean) << ',' << number(sampled->se);
      else
        out << ',';
    }
    out << ',' << (complete ? "true" : "false") << "\n";
  }
}

}  // namespace


std::vector<std::pair<std::string, std::string>> hash_inputs(const std::vector<std::string>& files) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& f : files) {
    if (std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.first == f; }) != out.end()) continue;
    std::string bytes;
    if (f.rfind("--set ", 0) == 0) {  // a --set's input is its KEY=VALUE text, not a file
      bytes = f.substr(6);
    } else if (f.rfind(builtin_prefix, 0) == 0) {
      for (const auto& b : builtin_files())
        if (f.substr(builtin_prefix.size()) == b.path) bytes = std::string(b.text);
    } else {
      std::ifstream in(f, std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    out.emplace_back(f, sha256_hex(bytes));
  }
  return out;
}

ReportData build_report(const Scenario& scenario, const RunResult& result, const RunInfo& info) {
  ReportData d;
  d.info = info;
  d.files = scenario.files;
  d.timeline = scenario.timeline;
  d.trials_requested = result.trials_requested;
  d.trials_done = result.trials_done;
  d.complete = result.complete;
  d.msp_stats = result.msp_stats;
  d.sketch_relative_error = result.sketch_relative_error;
  const double updates_end = double(scenario.timeline.updates_end);
  d.msps.resize(result.msps.size());
  for (std::size_t m = 0; m < result.msps.size(); ++m) {
    ScopeReport& s = d.msps[m];
    const Msp& msp = scenario.msps[m];
    s.name = result.msps[m].name;
    s.incumbent = msp.incumbent;
    s.target = msp.target;
    s.labor_cost_basis = models::cost_basis_name(msp.cost_basis);
    s.endpoints_mean = msp.params.at("endpoints").dist.mean();
    s.clients_mean = msp.params.at("clients").dist.mean();
  }
  d.portfolio.name = "portfolio";
  // With one MSP whose outputs are all kept, the portfolio's series are that
  // MSP's (the engine stores them once, RunResult::msp_in_portfolio;
  // tests/engine_test.cpp checks the bytes against a run that keeps the MSP's
  // apart), and so are its statistics: taken over instead of computed twice
  // (half of a single-MSP report's time).
  const bool portfolio_is_msp = result.msp_in_portfolio;
  // Tail contributions: the portfolio's worst ceil(5%) trials (ties broken by
  // trial index, so the set is the same every run), each MSP's mean there.
  // Sketch mode: the engine's second pass summed each MSP's total cost over
  // the same trials in the same order.
  const auto& total = result.portfolio[std::size_t(Output::total_cost)];
  std::vector<std::size_t> order;
  // The statistics of every MSP and output, the portfolio's and its tail
  // trials are independent tasks, run on the run's threads (each writes
  // only its own, so the bytes do not depend on the thread count): the
  // report took as long as the simulation of a default run on one thread.
  const std::size_t scopes = result.msps.size() + (portfolio_is_msp ? 0 : 1);
  // The tail trials first: the longest task.
  parallel_for(1 + scopes * std::size_t(output_count), info.threads, [&](std::size_t t) {
    if (t == 0) {
      if (!total.empty()) order = portfolio_tail_trials(total);
      return;
    }
    const std::size_t m = (t - 1) / std::size_t(output_count);
    const int o = int((t - 1) % std::size_t(output_count));
    if (m == result.msps.size()) {
      exact_output(d.portfolio, result.portfolio, o, updates_end, result.sampling);
    } else if (const MspSeries& from = result.msps[m]; from.sketch) {
      sketch_output(d.msps[m], *from.sketch, result, o);
    } else {
      exact_output(d.msps[m], result.msp_series(m), o, updates_end, result.sampling);
    }
  });
  // The cost formulas' rows: one task each, after the fixed outputs'.
  for (std::size_t m = 0; m < result.msps.size(); ++m) {
    for (const std::size_t f : result.msps[m].formula_costs) d.msps[m].formula_names.push_back(result.formula_costs[f]);
    d.msps[m].formula_stats.resize(result.msps[m].formula_costs.size());
  }
  d.portfolio.formula_names = result.formula_costs;
  d.portfolio.formula_stats.resize(result.formula_costs.size());
  std::vector<std::pair<std::size_t, std::size_t>> formula_tasks;  // (scope, row): scope msps.size() is the portfolio's
  for (std::size_t m = 0; m < result.msps.size(); ++m)
    for (std::size_t k = 0; k < result.msps[m].formula_costs.size(); ++k) formula_tasks.emplace_back(m, k);
  if (!portfolio_is_msp)
    for (std::size_t k = 0; k < result.formula_costs.size(); ++k) formula_tasks.emplace_back(result.msps.size(), k);
  parallel_for(formula_tasks.size(), info.threads, [&](std::size_t t) {
    const auto [m, k] = formula_tasks[t];
    if (m == result.msps.size()) {
      d.portfolio.formula_stats[k] = exact_formula(result.formula_portfolio[k], result.sampling);
    } else if (const MspSeries& from = result.msps[m]; from.sketch) {
      d.msps[m].formula_stats[k] = summarize(from.sketch->formula_moments[k], from.sketch->formula_quantiles[k], 0.0);
    } else if (k < result.msp_formula_series(m).size()) {
      d.msps[m].formula_stats[k] = exact_formula(result.msp_formula_series(m)[k], result.sampling);
    }
  });
  for (auto& s : d.msps) use_conditional_means(s);
  if (portfolio_is_msp) {
    d.portfolio.formula_stats = d.msps[0].formula_stats;
    d.portfolio.stats = d.msps[0].stats;
    d.portfolio.sampled = d.msps[0].sampled;
    d.portfolio.done_before_updates_stop = d.msps[0].done_before_updates_stop;
  } else {
    use_conditional_means(d.portfolio);
  }
  if (!total.empty()) {
    const std::size_t tail = order.size();
    double portfolio_tail = 0;
    for (std::size_t k = 0; k < tail; ++k) portfolio_tail += total[order[k]];
    for (std::size_t m = 0; m < result.msps.size(); ++m) {
      double sum = 0;
      if (result.msps[m].sketch) {
        sum = result.msps[m].sketch->tail_total_cost;
      } else {
        const auto& own = result.msp_series(m)[std::size_t(Output::total_cost)];
        if (own.empty()) continue;
        for (std::size_t k = 0; k < tail; ++k) sum += own[order[k]];
      }
      d.msps[m].tail_mean = sum / double(tail);
      d.msps[m].tail_share = portfolio_tail != 0 ? sum / portfolio_tail : 0;
    }
  }
  for (const auto& s : d.msps) {
    d.portfolio.endpoints_mean += s.endpoints_mean;
    d.portfolio.clients_mean += s.clients_mean;
  }
  return d;
}

void render_table(const ReportData& d, std::ostream& out) {
  out << "switchcost " << d.info.version << ": " << grouped(static_cast<long long>(d.trials_done)) << " trials, seed " << d.info.seed
      << ", " << d.info.threads << (d.info.threads == 1 ? " thread, " : " threads, ") << fixed(d.info.seconds, 2)
      << " s\n";
  out << sampling_note(d.info, d.trials_requested);
  if (!d.complete)
    out << "INTERRUPTED: " << grouped(static_cast<long long>(d.trials_done)) << " of " << grouped(static_cast<long long>(d.trials_requested))
        << " trials done; the figures below are partial\n";
  if (const auto& s = d.info.stopping) {
    // Three significant digits: targets run from 0.05 to 1e-5 and below.
    const auto sig3 = [](double x) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.3g", x);
      return std::string(buf);
    };
    const auto reached = [&](double x) { return std::isfinite(x) ? sig3(x) : std::string("undefined (value 0)"); };
    out << "stopping rule: ";
    if (s->target_rse > 0)
      out << "relative SE of the mean total " << reached(s->achieved_rse) << " against the target "
          << sig3(s->target_rse) << (s->target_ci_width > 0 ? "; " : "");
    if (s->target_ci_width > 0)
      out << "95% interval of the total's " << pct_key(s->ci_level) << " " << reached(s->achieved_ci_width)
          << " of its value wide against the target " << sig3(s->target_ci_width);
    out << ": " << s->reason << " after ";
    for (std::size_t i = 0; i < s->stages.size(); ++i)
      out << (i ? ", " : "") << grouped(static_cast<long long>(s->stages[i]));
    out << " trials (" << s->stages.size() << (s->stages.size() == 1 ? " stage" : " stages") << ")\n";
  }
  if (d.trials_done == 0) {
    out << "No trial finished before the interruption: there are no results.\n";
    return;
  }
  // Names and file names come from the input: escaped (printable) so that
  // they cannot steer the terminal.
  out << "scenario: " << printable(d.files.front());
  if (d.files.size() > 1) out << " (+" << d.files.size() - 1 << " more files)";
  out << "\nban: no new sales from " << format_date(d.timeline.sales_end) << ", no updates from "
      << updates_stop(d.timeline) << "; migrations start " << format_date(d.timeline.migration_start)
      << "; prices over " << d.timeline.horizon_months << " months\n";

  const bool compact = d.msps.size() > 8;
  if (!compact) {
    for (const auto& s : d.msps) {
      out << "\nMSP " << printable(s.name) << ": " << format_count(s.endpoints_mean) << " endpoints, "
          << format_count(s.clients_mean) << " clients, " << printable(s.incumbent) << " -> " << printable(s.target)
          << "; labor at " << (s.labor_cost_basis == "forgone_billing" ? "forgone billing" : "loaded cost") << "\n";
      table_for(out, s, d, false);
      if (d.msps.size() > 1)
        out << "  share of the portfolio's tail (CVaR95): " << format_percent(s.tail_share) << " (mean "
            << format_money(s.tail_mean) << " in the portfolio's worst 5% of trials)\n";
    }
  } else {
    std::vector<const ScopeReport*> order;
    for (const auto& s : d.msps) order.push_back(&s);
    std::stable_sort(order.begin(), order.end(), [](const ScopeReport* a, const ScopeReport* b) {
      return of(*a, Output::total_cost).mean > of(*b, Output::total_cost).mean;
    });
    out << "\n" << d.msps.size() << " MSPs, by expected total cost [USD]; tail share = share of the portfolio's "
           "CVaR95 (its worst 5% of trials); P(done) = P(done before updates stop, "
        << updates_stop(d.timeline) << ")";
    if (d.msps.size() > 40) out << "; the 40 largest shown, all in the JSON and CSV";
    out << "\n";
    if (order.size() > 40) order.resize(40);
    // The cells first, then each column as wide as its widest cell needs
    // (one space at least between columns; the usual widths otherwise).
    std::vector<std::array<std::string, 7>> rows;
    for (const auto* s : order) {
      const Stats& t = of(*s, Output::total_cost);
      rows.push_back({printable(s->name), format_count(s->endpoints_mean), format_money(t.mean),
                      format_money(t.at(0.5).value), format_money(t.at(0.9).value), format_percent(s->tail_share),
                      format_percent(s->done_before_updates_stop.value)});
    }
    std::array<std::size_t, 7> width{24, 10, 14, 14, 14, 12, 9};
    for (const auto& row : rows)
      for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], text_width(row[c]) + 1);
    out << "  " << pad_right("MSP", width[0]) << pad_left("endpoints", width[1]) << pad_left("mean", width[2])
        << pad_left("P50", width[3]) << pad_left("P90", width[4]) << pad_left("tail share", width[5])
        << pad_left("P(done)", width[6]) << "\n";
    for (const auto& row : rows) {
      out << "  " << pad_right(row[0], width[0]);
      for (std::size_t c = 1; c < row.size(); ++c) out << pad_left(row[c], width[c]);
      out << "\n";
    }
  }
  if (d.msps.size() > 1) {
    out << "\nPortfolio: " << d.msps.size() << " MSPs, " << format_count(d.portfolio.endpoints_mean)
        << " endpoints\n";
    table_for(out, d.portfolio, d, true);
  }
  const Stats& total = of(d.msps.size() > 1 ? d.portfolio : d.msps.front(), Output::total_cost);
  out << "\nP95 total " << format_money(total.at(0.95).value) << ", CVaR95 (mean of the worst 5%) "
      << format_money(total.cvar95) << ". Costs are to the MSP, in USD; the price change is a present value.\n";
  if (d.msp_stats == MspStats::sketch)
    out << "Per-MSP percentiles and CVaR95 are from quantile sketches (within "
        << format_percent(d.sketch_relative_error) << " relative); means, SEs, P(done) and tail shares are exact.\n";
}

std::string sampling_note(const RunInfo& info, std::uint64_t trials) {
  switch (info.sampling) {
    case Sampling::mc: return "";
    case Sampling::lhs:
      return "sampling: Latin hypercube over " + grouped(static_cast<long long>(trials)) +
             " trials; SEs are those of independent trials, an upper bound for it\n";
    case Sampling::sobol:
      return "sampling: scrambled Sobol' points, " + std::to_string(sobol_replicates) +
             " replicates (trial t in replicate t mod " + std::to_string(sobol_replicates) +
             "); SEs from the replicate means\n";
  }
  return "";
}

void json_manifest(Json& j, const std::string& command, const RunInfo& info, std::uint64_t trials_requested,
                   std::uint64_t trials_done, bool complete, const std::function<void(Json&)>& fields) {
  j.open("manifest", '{');
  j.value("version", info.version);
  if (!info.build.empty()) j.value("build", info.build);
  j.value("command", command).value("seed", info.seed);
  j.value("trials_requested", trials_requested).value("trials", trials_done).value("complete", complete);
  j.value("threads", std::uint64_t(info.threads));
  if (info.sampling != Sampling::mc) {  // absent under mc: its manifests stay as they were
    j.value("sampling", std::string(to_string(info.sampling)));
    if (info.sampling == Sampling::sobol) j.value("sampling_replicates", std::uint64_t(sobol_replicates));
  }
  if (info.stopping) {
    const StoppingRule& s = *info.stopping;
    const auto finite_or_null = [&](const std::string& key, double x) {
      if (std::isfinite(x)) j.value(key, x); else j.null(key);
    };
    j.open("stopping", '{');
    if (s.target_rse > 0) {
      j.value("target_rse", s.target_rse);
      finite_or_null("achieved_rse", s.achieved_rse);
    }
    if (s.target_ci_width > 0) {
      j.value("ci_percentile", pct_key(s.ci_level)).value("target_ci_width", s.target_ci_width);
      finite_or_null("achieved_ci_width", s.achieved_ci_width);
    }
    j.value("max_trials", s.max_trials).value("reason", s.reason);
    j.open("stages", '[');
    for (const std::uint64_t n : s.stages) j.value("", n);
    j.close(']').close('}');
  }
  if (fields) fields(j);
  j.open("arguments", '[');
  for (const auto& f : info.inputs) j.value("", f);
  j.close(']');
  j.open("inputs", '[');
  for (const auto& [path, hash] : info.input_hashes) {
    j.open("", '{').value("path", path).value("sha256", hash);
    j.close('}');
  }
  j.close(']');
  j.close('}');
}

void render_json(const ReportData& d, std::ostream& out) {
  Json j(out);
  j.open("", '{');
  j.value("schema", std::string(run_schema));
  json_manifest(j, d.info.command, d.info, d.trials_requested, d.trials_done, d.complete, [&](Json& m) {
    m.value("msp_stats", to_string(d.msp_stats));
    if (d.msp_stats == MspStats::sketch) m.value("sketch_relative_error", d.sketch_relative_error);
  });
  j.open("timeline", '{');
  j.value("sales_end", format_date(d.timeline.sales_end)).value("updates_end", format_date(d.timeline.updates_end));
  j.value("migration_start", format_date(d.timeline.migration_start));
  j.value("horizon_months", std::uint64_t(d.timeline.horizon_months));
  j.close('}');
  j.open("msps", '[');
  for (const auto& s : d.msps) json_scope(j, "", s, true);
  j.close(']');
  json_scope(j, "portfolio", d.portfolio, false);
  j.close('}');
  j.finish();
}

void render_csv(const ReportData& d, std::ostream& out) {
  out << "scope,name,output,n,mean,se,sd,min";
  for (double p : percentile_levels()) out << ',' << pct_key(p);
  out << ",max,cvar95,tail_share,sampled_mean,sampled_se,complete\n";
  for (const auto& s : d.msps) csv_rows(out, "msp", s, d.complete);
  csv_rows(out, "portfolio", d.portfolio, d.complete);
}

std::string render_table(const ReportData& d) { return render_to_string(render_table, d); }
std::string render_json(const ReportData& d) { return render_to_string(render_json, d); }
std::string render_csv(const ReportData& d) { return render_to_string(render_csv, d); }

std::optional<SampledMean> use_conditional_mean(Stats& st, const Stats& expected) {
  if (expected.n != st.n) return std::nullopt;
  const SampledMean sampled{st.mean, st.se, st.top_share};
  st.mean = expected.mean;
  st.se = expected.se;
  st.top_share = expected.top_share;
  return sampled;
}

void json_mean_fields(Json& j, const Stats& st, const std::optional<SampledMean>& sampled) {
  const auto share = [&](const char* field, double v) {
    if (st.n == 0 || std::isnan(v))
      j.null(field);
    else
      j.value(field, v);
  };
  share("top_share", st.top_share);
  if (!sampled) return;
  j.value("mean_estimator", "conditional_expectation");
  if (st.n == 0)
    j.null("sampled_mean").null("sampled_se");
  else
    j.value("sampled_mean", sampled->mean).value("sampled_se", sampled->se);
  share("sampled_top_share", sampled->top_share);
}

void json_stats(Json& j, const std::string& key, const Stats& st, const std::function<void(Json&)>& more) {
  j.open(key, '{');
  if (st.n == 0) {  // an interrupted run with no trial done: no numbers, not zeros
    j.value("n", st.n);
    for (const char* k : {"mean", "se", "sd", "min", "max", "cvar95"}) j.null(k);
    for (const auto& q : st.percentiles) j.null(pct_key(q.p));
    if (more) more(j);
    j.close('}');
    return;
  }
  j.value("n", st.n).value("mean", st.mean).value("se", st.se).value("sd", st.sd);
  j.value("min", st.min).value("max", st.max).value("cvar95", st.cvar95);
  for (const auto& q : st.percentiles) j.value(pct_key(q.p), q.value);
  j.open("ci95", '{');
  for (const auto& q : st.percentiles) {
    j.open(pct_key(q.p), '[');
    j.value("", q.lo).value("", q.hi);
    j.close(']');
  }
  j.close('}');
  if (more) more(j);
  j.close('}');
}

}  // namespace switchcost::sim

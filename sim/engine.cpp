#include "sim/engine.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <mutex>
#include <thread>

#include "models/labor.h"
#include "models/lost_updates.h"
#include "models/pricing.h"
#include "models/stranded.h"
#include "sim/random.h"

namespace switchcost::sim {

const char* output_key(Output o) noexcept {
  switch (o) {
    case Output::labor_cost: return "labor_cost";
    case Output::pricing_cost: return "pricing_cost";
    case Output::lost_updates_cost: return "lost_updates_cost";
    case Output::stranded_cost: return "stranded_cost";
    case Output::refund_cost: return "refund_cost";
    case Output::extras_cost: return "extras_cost";
    case Output::total_cost: return "total_cost";
    case Output::labor_hours: return "labor_hours";
    case Output::duration_days: return "duration_days";
    case Output::completion_day: return "completion_day";
    case Output::incidents: return "incidents";
    case Output::count: break;
  }
  return "?";
}

const char* output_label(Output o) noexcept {
  switch (o) {
    case Output::labor_cost: return "migration labor";
    case Output::pricing_cost: return "licence price change";
    case Output::lost_updates_cost: return "lost updates";
    case Output::stranded_cost: return "stranded licences";
    case Output::refund_cost: return "client refunds";
    case Output::extras_cost: return "extra items";
    case Output::total_cost: return "total";
    case Output::labor_hours: return "labor hours";
    case Output::duration_days: return "duration";
    case Output::completion_day: return "completion";
    case Output::incidents: return "incidents";
    case Output::count: break;
  }
  return "?";
}

std::uint64_t estimate_result_bytes(const Scenario& scenario, std::uint64_t trials,
                                    const std::array<bool, output_count>& keep) noexcept {
  const auto kept = std::uint64_t(std::count(keep.begin(), keep.end(), true));
  const std::uint64_t series = scenario.msps.size() * kept + std::uint64_t(output_count);
  return series * trials * sizeof(double);
}

namespace {

using models::Column;

// Above this many incidents in one trial, their total cost is drawn from the
// normal approximation N(k mean, k variance) of the sum (central limit
// theorem) instead of k separate draws, so a trial's cost stays O(1).
constexpr double exact_incident_limit = 10'000;

// An input compiled for drawing: its distribution and its stream.
struct Draw {
  const Distribution* dist = nullptr;
  Stream stream;

  // Fills out[0..n) with the values of trials first .. first+n-1.
  void fill(std::uint64_t first, Eigen::Index n, Column& out, std::vector<double>& u) const {
    out.resize(n);
    if (dist->is_constant()) {
      out.setConstant(dist->quantile(0.5));
      return;
    }
    u.resize(std::size_t(n));
    fill_uniforms(stream, first, std::size_t(n), 0, u.data());
    dist->quantiles(u.data(), out.data(), std::size_t(n));
  }
};

Draw compile(const Var& var, std::uint64_t seed) {
  return Draw{&var.dist, Stream{seed, variable_id(var.stream)}};
}

struct CompiledCompetitor {
  Draw price, setup_per_endpoint, setup_per_msp, escalation, promo_months, promo_discount;
  const Competitor* source = nullptr;
};

struct CompiledMsp {
  const Msp* source = nullptr;
  std::size_t incumbent = 0, target = 0;  // indices into competitors
  bool own_rate = false;
  Draw endpoints, clients, start_delay_days;
  Draw first_endpoint_hours, learning_rate, setup_hours, config_hours_per_client, failed_install_share,
      rework_hours_per_failed_install, broken_app_client_share, fix_hours_per_broken_client,
      overhead_hours_per_client, technician_cost_per_hour, billable_share, technicians, capacity_hours_per_technician_week;
  Draw share_passed_to_clients, prepaid_share, prepaid_months_remaining, recovered_share;
  Draw client_prepaid_share, client_prepaid_months_remaining, client_price_per_endpoint_month, refund_share;
  std::vector<std::pair<Draw, models::ExtraPer>> extras;
  Stream incident_count, incident_cost;
};

struct Compiled {
  Draw technician_cost_per_hour, discount_rate_per_year;
  Draw encounters, miss_rate_supported, frozen_miss_multiplier, protection_decay_days;
  const Distribution* incident_cost = nullptr;
  double incident_cost_mean = 0, incident_cost_sd = 0;
  std::vector<CompiledCompetitor> competitors;
  std::vector<CompiledMsp> msps;
  double cutoff_day = 0;  // updates_end - migration_start [days]
  double migration_start = 0;
  int horizon_months = 0;
};

Compiled compile(const Scenario& s, std::uint64_t seed) {
  Compiled c;
  auto market = [&](const char* key) { return compile(s.market.at(key), seed); };
  c.technician_cost_per_hour = market("technician_cost_per_hour");
  c.discount_rate_per_year = market("discount_rate_per_year");
  c.encounters = market("threat.encounters_per_endpoint_day");
  c.miss_rate_supported = market("threat.miss_rate_supported");
  c.frozen_miss_multiplier = market("threat.frozen_miss_multiplier");
  c.protection_decay_days = market("threat.protection_decay_days");
  c.incident_cost = &s.market.at("threat.incident_cost").dist;
  c.incident_cost_mean = c.incident_cost->mean();
  c.incident_cost_sd = std::sqrt(c.incident_cost->variance());
  c.cutoff_day = double(s.timeline.updates_end - s.timeline.migration_start);
  c.migration_start = double(s.timeline.migration_start);
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
    auto p = [&](const char* key) { return compile(comp.params.at(key), seed); };
    c.competitors.push_back(CompiledCompetitor{p("price_per_endpoint_month"), p("setup_fee_per_endpoint"),
                                               p("setup_fee_per_msp"), p("annual_price_escalation"),
                                               p("promo_months"), p("promo_discount"), &comp});
  }
  auto index_of = [&](const std::string& name) {
    return std::size_t(std::find(used.begin(), used.end(), name) - used.begin());
  };

  for (const auto& m : s.msps) {
    CompiledMsp cm;
    cm.source = &m;
    cm.incumbent = index_of(m.incumbent);
    cm.target = index_of(m.target);
    auto p = [&](const char* key) { return compile(m.params.at(key), seed); };
    cm.endpoints = p("endpoints");
    cm.clients = p("clients");
    cm.start_delay_days = p("start_delay_days");
    cm.first_endpoint_hours = p("labor.first_endpoint_hours");
    cm.learning_rate = p("labor.learning_rate");
    cm.setup_hours = p("labor.setup_hours");
    cm.config_hours_per_client = p("labor.config_hours_per_client");
    cm.failed_install_share = p("labor.failed_install_share");
    cm.rework_hours_per_failed_install = p("labor.rework_hours_per_failed_install");
    cm.broken_app_client_share = p("labor.broken_app_client_share");
    cm.fix_hours_per_broken_client = p("labor.fix_hours_per_broken_client");
    cm.overhead_hours_per_client = p("labor.overhead_hours_per_client");
    cm.own_rate = m.params.count("labor.technician_cost_per_hour") != 0;
    if (cm.own_rate) cm.technician_cost_per_hour = p("labor.technician_cost_per_hour");
    cm.billable_share = p("labor.billable_share");
    cm.technicians = p("labor.technicians");
    cm.capacity_hours_per_technician_week = p("labor.capacity_hours_per_technician_week");
    cm.share_passed_to_clients = p("licences.share_passed_to_clients");
    cm.prepaid_share = p("licences.prepaid_share");
    cm.prepaid_months_remaining = p("licences.prepaid_months_remaining");
    cm.recovered_share = p("licences.recovered_share");
    cm.client_prepaid_share = p("refunds.client_prepaid_share");
    cm.client_prepaid_months_remaining = p("refunds.client_prepaid_months_remaining");
    cm.client_price_per_endpoint_month = p("refunds.client_price_per_endpoint_month");
    cm.refund_share = p("refunds.refund_share");
    for (const auto& e : m.extras) cm.extras.emplace_back(compile(e.cost, seed), e.per);
    cm.incident_count = Stream{seed, variable_id("msps." + m.name + ".incidents.count")};
    cm.incident_cost = Stream{seed, variable_id("msps." + m.name + ".incidents.cost")};
    c.msps.push_back(std::move(cm));
  }
  return c;
}

struct CompetitorColumns {
  Column price, setup_per_endpoint, setup_per_msp, escalation, promo_months, promo_discount;
};

// One thread's scratch space, sized for a block and reused.
struct Workspace {
  std::vector<double> u;
  Column technician_cost_per_hour, discount_rate_per_year;
  Column encounters, miss_rate_supported, frozen_miss_multiplier, protection_decay_days;
  std::vector<CompetitorColumns> competitors;
  Column start_delay_days, technicians, extras, extra_amount;
  models::LaborInputs labor_in;
  models::LaborResult labor_out;
  models::LostUpdatesInputs lost_in;
  models::LostUpdatesResult lost_out;
  models::PricingInputs pricing_in;
  models::PricingResult pricing_out;
  models::StrandedInputs stranded_in;
  models::StrandedResult stranded_out;
  std::array<Column, output_count> block_out;  // one MSP's outputs for the block
  std::array<Column, output_count> portfolio;  // running portfolio outputs for the block
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
  for (std::uint32_t i = 0; i < k; ++i) total += c.incident_cost->quantile(uniform(stream, trial, i));
  return total;
}

void run_block(const Compiled& c, std::uint64_t first, Eigen::Index n, Workspace& w, RunResult& r) {
  auto& u = w.u;
  // Market-level inputs: drawn once per trial, shared by every MSP.
  c.technician_cost_per_hour.fill(first, n, w.technician_cost_per_hour, u);
  c.discount_rate_per_year.fill(first, n, w.discount_rate_per_year, u);
  c.encounters.fill(first, n, w.encounters, u);
  c.miss_rate_supported.fill(first, n, w.miss_rate_supported, u);
  c.frozen_miss_multiplier.fill(first, n, w.frozen_miss_multiplier, u);
  c.protection_decay_days.fill(first, n, w.protection_decay_days, u);
  w.competitors.resize(c.competitors.size());
  for (std::size_t k = 0; k < c.competitors.size(); ++k) {
    const auto& cc = c.competitors[k];
    auto& col = w.competitors[k];
    cc.price.fill(first, n, col.price, u);
    cc.setup_per_endpoint.fill(first, n, col.setup_per_endpoint, u);
    cc.setup_per_msp.fill(first, n, col.setup_per_msp, u);
    cc.escalation.fill(first, n, col.escalation, u);
    cc.promo_months.fill(first, n, col.promo_months, u);
    cc.promo_discount.fill(first, n, col.promo_discount, u);
  }

  for (auto& col : w.block_out) col.resize(n);
  for (std::size_t m = 0; m < c.msps.size(); ++m) {
    const CompiledMsp& cm = c.msps[m];
    auto& li = w.labor_in;
    cm.endpoints.fill(first, n, li.endpoints, u);
    cm.clients.fill(first, n, li.clients, u);
    cm.first_endpoint_hours.fill(first, n, li.first_endpoint_hours, u);
    cm.learning_rate.fill(first, n, li.learning_rate, u);
    cm.setup_hours.fill(first, n, li.setup_hours, u);
    cm.config_hours_per_client.fill(first, n, li.config_hours_per_client, u);
    cm.failed_install_share.fill(first, n, li.failed_install_share, u);
    cm.rework_hours_per_failed_install.fill(first, n, li.rework_hours_per_failed_install, u);
    cm.broken_app_client_share.fill(first, n, li.broken_app_client_share, u);
    cm.fix_hours_per_broken_client.fill(first, n, li.fix_hours_per_broken_client, u);
    cm.overhead_hours_per_client.fill(first, n, li.overhead_hours_per_client, u);
    if (cm.own_rate)
      cm.technician_cost_per_hour.fill(first, n, li.technician_cost_per_hour, u);
    else
      li.technician_cost_per_hour = w.technician_cost_per_hour;
    cm.billable_share.fill(first, n, li.billable_share, u);
    // Weekly capacity = technicians x hours each can give the migration per week.
    cm.technicians.fill(first, n, w.technicians, u);
    cm.capacity_hours_per_technician_week.fill(first, n, li.capacity_hours_per_week, u);
    li.capacity_hours_per_week *= w.technicians;
    models::migration_labor(li, w.labor_out);

    cm.start_delay_days.fill(first, n, w.start_delay_days, u);
    auto& lu = w.lost_in;
    lu.cutoff_day = c.cutoff_day - w.start_delay_days;
    lu.encounters_per_endpoint_day = w.encounters;
    lu.miss_rate_supported = w.miss_rate_supported;
    lu.frozen_miss_multiplier = w.frozen_miss_multiplier;
    lu.protection_decay_days = w.protection_decay_days;
    models::lost_updates(li, w.labor_out, lu, w.lost_out);

    const auto& target = w.competitors[cm.target];
    const auto& incumbent = w.competitors[cm.incumbent];
    auto& pi = w.pricing_in;
    pi.endpoints = li.endpoints;
    pi.new_price_per_endpoint_month = target.price;
    pi.old_price_per_endpoint_month = incumbent.price;
    pi.new_annual_escalation = target.escalation;
    pi.old_annual_escalation = incumbent.escalation;
    pi.promo_months = target.promo_months;
    pi.promo_discount = target.promo_discount;
    pi.new_setup_fee_per_endpoint = target.setup_per_endpoint;
    pi.new_setup_fee_per_msp = target.setup_per_msp;
    cm.share_passed_to_clients.fill(first, n, pi.share_passed_to_clients, u);
    pi.discount_rate_per_year = w.discount_rate_per_year;
    pi.volume_tiers = c.competitors[cm.target].source->volume_tiers;
    pi.horizon_months = c.horizon_months;
    models::competitor_pricing(pi, w.pricing_out);

    auto& si = w.stranded_in;
    si.endpoints = li.endpoints;
    si.old_price_per_endpoint_month = incumbent.price;
    cm.prepaid_share.fill(first, n, si.prepaid_share, u);
    cm.prepaid_months_remaining.fill(first, n, si.prepaid_months_remaining, u);
    cm.recovered_share.fill(first, n, si.recovered_share, u);
    cm.client_prepaid_share.fill(first, n, si.client_prepaid_share, u);
    cm.client_prepaid_months_remaining.fill(first, n, si.client_prepaid_months_remaining, u);
    cm.client_price_per_endpoint_month.fill(first, n, si.client_price_per_endpoint_month, u);
    cm.refund_share.fill(first, n, si.refund_share, u);
    models::stranded_licences(si, w.stranded_out);

    w.extras.setZero(n);
    for (const auto& [draw, per] : cm.extras) {
      draw.fill(first, n, w.extra_amount, u);
      models::add_extra_item(w.extra_amount, per, li.endpoints, li.clients, double(c.horizon_months), w.extras);
    }

    auto at = [&](Output o) { return w.block_out[std::size_t(o)].data(); };
    const auto& lo = w.labor_out;
    for (Eigen::Index i = 0; i < n; ++i) {
      const std::uint64_t trial = first + std::uint64_t(i);
      const double count = incident_count(w.lost_out.expected_incidents[i], uniform(cm.incident_count, trial, 0));
      const double lost = incident_cost_total(c, cm.incident_cost, trial, count);
      const double labor = lo.cost[i];
      const double pricing = w.pricing_out.cost[i];
      const double stranded = w.stranded_out.stranded_cost[i];
      const double refunds = w.stranded_out.refund_cost[i];
      const double extras = w.extras[i];
      at(Output::labor_cost)[i] = labor;
      at(Output::pricing_cost)[i] = pricing;
      at(Output::lost_updates_cost)[i] = lost;
      at(Output::stranded_cost)[i] = stranded;
      at(Output::refund_cost)[i] = refunds;
      at(Output::extras_cost)[i] = extras;
      at(Output::total_cost)[i] = labor + pricing + lost + stranded + refunds + extras;
      at(Output::labor_hours)[i] = lo.hours[i];
      at(Output::duration_days)[i] = lo.duration_days[i];
      at(Output::completion_day)[i] = c.migration_start + w.start_delay_days[i] + lo.duration_days[i];
      at(Output::incidents)[i] = count;
    }
    // Check, keep what is kept, and add into the portfolio (in MSP order,
    // so the sums are the same bytes every run).
    for (int o = 0; o < output_count; ++o) {
      const Column& v = w.block_out[std::size_t(o)];
      for (Eigen::Index i = 0; i < n; ++i)
        if (!std::isfinite(v[i]))
          throw LimitError("MSP '" + cm.source->name + "': " + output_label(Output(o)) + " is not finite at trial " +
                           std::to_string(first + std::uint64_t(i)) +
                           "; some input of this MSP is too extreme for the arithmetic");
      auto& kept = r.msps[m].series[std::size_t(o)];
      if (!kept.empty()) std::copy(v.data(), v.data() + n, kept.data() + first);
      Column& acc = w.portfolio[std::size_t(o)];
      if (m == 0)
        acc = v;
      else if (takes_max(Output(o)))
        acc = acc.max(v);
      else
        acc += v;
    }
  }

  for (int o = 0; o < output_count; ++o) {
    const Column& acc = w.portfolio[std::size_t(o)];
    for (Eigen::Index i = 0; i < n; ++i)
      if (!std::isfinite(acc[i]))
        throw LimitError(std::string("portfolio ") + output_label(Output(o)) + " overflows at trial " +
                         std::to_string(first + std::uint64_t(i)));
    std::copy(acc.data(), acc.data() + n, r.portfolio[std::size_t(o)].data() + first);
  }
}

}  // namespace

RunResult run_scenario(const Scenario& scenario, const RunOptions& options) {
  const Compiled compiled = compile(scenario, options.seed);
  RunResult r;
  r.trials_requested = options.trials;
  const std::size_t trials = std::size_t(options.trials);
  r.msps.resize(scenario.msps.size());
  for (std::size_t m = 0; m < scenario.msps.size(); ++m) {
    r.msps[m].name = scenario.msps[m].name;
    for (int o = 0; o < output_count; ++o)
      if (options.keep_msp_outputs[std::size_t(o)]) r.msps[m].series[std::size_t(o)].assign(trials, 0.0);
  }
  for (auto& v : r.portfolio) v.assign(trials, 0.0);

  const std::size_t block = std::max<std::size_t>(1, options.block_trials);
  const std::size_t blocks = (trials + block - 1) / block;
  std::atomic<std::size_t> next{0};
  std::atomic<std::uint64_t> done{0};
  std::mutex error_mutex;
  std::size_t error_block = blocks;
  std::exception_ptr error;
  std::atomic<bool> failed{false};

  auto worker = [&](bool reports_progress) {
    Workspace w;
    for (;;) {
      if (failed.load() || (options.stop && options.stop->load())) break;
      const std::size_t b = next.fetch_add(1);
      if (b >= blocks) break;
      const std::size_t first = b * block;
      const std::size_t n = std::min(block, trials - first);
      try {
        run_block(compiled, first, Eigen::Index(n), w, r);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (b < error_block) {  // report the earliest failing block, whatever the thread count
          error_block = b;
          error = std::current_exception();
        }
        failed = true;  // blocks before b are in flight and finish, so the earliest failure is found
      }
      done.fetch_add(n);
      if (reports_progress && options.progress) options.progress(done.load(), options.trials);
    }
  };
  const unsigned threads = std::max(1u, std::min<unsigned>(options.threads, unsigned(std::max<std::size_t>(1, blocks))));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker, false);
  worker(true);
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);

  // Every block handed out was finished, and blocks are handed out in order,
  // so the trials done are the prefix [0, done).
  r.trials_done = done.load();
  r.complete = r.trials_done == options.trials;
  if (!r.complete) {
    for (auto& msp : r.msps)
      for (auto& v : msp.series)
        if (!v.empty()) v.resize(std::size_t(r.trials_done));
    for (auto& v : r.portfolio) v.resize(std::size_t(r.trials_done));
  }
  return r;
}

}  // namespace switchcost::sim

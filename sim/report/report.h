// Reports of a run: the terminal table a person reads, JSON for programs
// (schema "switchcost.run/2", docs/output-format.md) and CSV for spreadsheets.
// JSON and CSV hold no timing, so the same inputs, seed and version give the
// same bytes; the only field that varies with the machine is
// manifest.threads in the JSON.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "sim/base/format.h"
#include "sim/engine/engine.h"
#include "sim/report/samples.h"
#include "sim/scenario/scenario.h"
#include "sim/stats/summary.h"

namespace switchcost::sim {

inline constexpr const char* run_schema = "switchcost.run/2";

// --target-rse / --target-ci-width (run and estimate): how the trial
// count was chosen. A target not given is 0 and is not reported. (Not
// nested in RunInfo: clang 14 cannot default-construct, inside an
// optional, a nested struct with member initialisers.)
struct StoppingRule {
  double target_rse = 0;   // [-] relative SE of the portfolio's mean total asked for
  double achieved_rse = 0;  // [-] that of the last stage (infinite: a zero mean with a non-zero SE)
  double ci_level = 0;      // [-] the percentile of the total whose 95% interval is targeted, e.g. 0.9
  double target_ci_width = 0;    // [-] its interval's width / |its value| asked for
  double achieved_ci_width = 0;  // [-] that of the last stage (infinite as above)
  std::uint64_t max_trials = 0;
  std::vector<std::uint64_t> stages;  // trials of each stage's run; the last one is reported
  std::string reason;  // "target met", "max trials", "memory limit" or "interrupted"
};

struct RunInfo {
  std::string command = "run";  // the manifest's "command" for a run's report: "run" or "estimate"
  std::string version;
  std::string build;  // the git description of the build ("" when not built from git)
  std::uint64_t seed = 0;
  Sampling sampling = Sampling::mc;  // --sampling; the manifest names it when not mc
  unsigned threads = 1;
  double seconds = 0;  // wall time: terminal only
  std::vector<std::string> inputs;  // as given on the command line
  // Every file read (includes too), with the SHA-256 of its bytes.
  std::vector<std::pair<std::string, std::string>> input_hashes;
  std::optional<StoppingRule> stopping;  // --target-rse / --target-ci-width only
};

// (file, sha256) for every file of a scenario; built-in files hash their
// embedded text.
std::vector<std::pair<std::string, std::string>> hash_inputs(const std::vector<std::string>& files);

// The table's line on the sampling of a run of `trials` ("" for mc).
std::string sampling_note(const RunInfo& info, std::uint64_t trials);

class Json;
// The "manifest" object every JSON report opens with, one writer for every
// command: version, command, seed, trials asked for and done, complete,
// threads, then the command's own fields (`fields`, may be empty), then the
// arguments as given and every file read with its SHA-256.
void json_manifest(Json& j, const std::string& command, const RunInfo& info, std::uint64_t trials_requested,
                   std::uint64_t trials_done, bool complete, const std::function<void(Json&)>& fields = {});

// A compound cost's plain mean of the costs drawn, its SE and top share,
// kept beside the conditional-expectation mean that is reported
// (docs/output-format.md, "Means of compound costs").
struct SampledMean {
  double mean = 0, se = 0, top_share = 0;
};

// Puts the conditional expectation's mean, SE and top share (`expected`, the
// statistics of Output::lost_updates_expected_cost or total_expected_cost)
// into `st` (the sampled series'), and returns the sampled ones it replaced;
// nothing when `expected` is over another number of trials (its series was
// not kept): the plain mean then stays.
std::optional<SampledMean> use_conditional_mean(Stats& st, const Stats& expected);

struct ScopeReport {
  std::string name;       // MSP name, or "portfolio"
  std::string incumbent;  // MSPs only
  std::string labor_cost_basis;  // MSPs only: "loaded" or "forgone_billing" (models/labor.h)
  std::string target;
  double endpoints_mean = 0;
  double clients_mean = 0;
  std::array<Stats, output_count> stats;
  Proportion done_before_updates_stop;  // share of trials complete before 00:00 of timeline.updates_end
  // MSPs only: mean total cost over the portfolio's worst 5% of trials, and
  // that as a share of the portfolio's CVaR95 (the shares add up to 1): where
  // the tail exposure sits, not only the mean.
  double tail_mean = 0;
  double tail_share = 0;
  // Compound costs (lost updates, and the total that holds them): their mean
  // and SE in `stats` (and its top_share) are the conditional expectation's,
  // from the series of Output::lost_updates_expected_cost and
  // total_expected_cost (docs/output-format.md, "Means of compound costs");
  // their other statistics are the sampled series'. Here, for those outputs,
  // the sampled series' own mean, SE and top share.
  std::array<std::optional<SampledMean>, output_count> sampled;
  // Cost formula rows (RunResult::formula_costs), after the fixed outputs:
  // an MSP's own, in the order written; the portfolio's, every row (the sum
  // over the MSPs that define it). Name (the key is formula_output_key(name)).
  std::vector<std::string> formula_names;
  std::vector<Stats> formula_stats;
};

struct ReportData {
  RunInfo info;
  // How the per-MSP statistics were kept: exact from every trial, or (sketch)
  // percentiles, their intervals and CVaR95 from quantile sketches within
  // sketch_relative_error relative; means, SEs, sds, min, max, P(done) and
  // tail shares are exact in both.
  MspStats msp_stats = MspStats::exact;
  double sketch_relative_error = 0;
  std::vector<std::string> files;  // every file read
  Timeline timeline;
  std::uint64_t trials_requested = 0;
  std::uint64_t trials_done = 0;
  bool complete = false;
  std::vector<ScopeReport> msps;
  ScopeReport portfolio;
  std::shared_ptr<const SampleSeries> samples;  // the per-trial series, kept only for --samples and --html
};

ReportData build_report(const Scenario& scenario, const RunResult& result, const RunInfo& info);

// Each report is written straight into `out` (an output file's buffered
// writer, or standard output), never built whole in memory first; the caller
// checks the stream's state. The string forms are for tests.
void render_table(const ReportData& data, std::ostream& out);
void render_json(const ReportData& data, std::ostream& out);
void render_csv(const ReportData& data, std::ostream& out);
std::string render_table(const ReportData& data);
std::string render_json(const ReportData& data);
std::string render_csv(const ReportData& data);

// With n = 0 every statistic is null.
// {"n":..,"mean":..,"se":..,"sd":..,"min":..,"max":..,"cvar95":..,"p5":..,...,"ci95":{"p5":[lo,hi],...}}
// `more`, when given, writes further fields before the object closes.
void json_stats(Json& j, const std::string& key, const Stats& st, const std::function<void(Json&)>& more = {});

// The fields json_stats' `more` adds for a cost: "top_share", and for a
// compound cost (`sampled` given) "mean_estimator": "conditional_expectation",
// "sampled_mean", "sampled_se" and "sampled_top_share".
void json_mean_fields(Json& j, const Stats& st, const std::optional<SampledMean>& sampled);

}  // namespace switchcost::sim

// Per-trial results as a NumPy .npy file (`--samples PATH`), for users who
// want their own charts or statistics: `pandas.DataFrame(numpy.load(PATH))`
// gives one row per trial and one named column per series.
//
// The file is format version 2.0 (docs: numpy.lib.format): a one-dimensional
// structured array, little-endian, one record per trial done, in trial order.
// Its fields:
//   run:     "trial" (<u8, from 0), then "portfolio.<output>" (<f8) for every
//            output (output_key: "portfolio.total_cost", ...) and
//            "portfolio.formula.<name>" for every cost formula, then, in exact
//            mode with more than one MSP, "msp.<name>.<output>" for every MSP
//            and output, its cost formulas' after (a lone MSP's series are
//            the portfolio's; sketch mode keeps no per-MSP series, so it
//            writes the portfolio's only);
//   compare: "trial", then "<label>.<output>" for every alternative and
//            output of its portfolio, its cost formulas' after (same trials:
//            the rows are paired);
//   sensitivity: "trial", then "baseline.<output>": the baseline run.
// Costs are drawn values: the compound costs' conditional expectations are
// their own columns (`lost_updates_expected_cost`, `total_expected_cost`).
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "sim/engine/engine.h"

namespace switchcost::sim {

struct ReportData;
struct CompareResult;
struct SensitivityResult;

// One named column of the samples file: a series of at least the rows'
// length (only the first `rows` values are written).
struct SampleColumn {
  std::string name;
  const Values* values;
};

// Writes the .npy file: "trial" then the columns, `rows` records.
void write_npy(const std::vector<SampleColumn>& columns, std::uint64_t rows, std::ostream& out);

// The per-trial series a run or comparison keeps for --samples (null when
// not asked for: the series are then released before the reports).
// Per alternative, its cost formulas' portfolio series by name
// (RunResult::formula_costs), for compare's --samples.
using FormulaSamples = std::vector<std::vector<std::pair<std::string, Values>>>;

struct SampleSeries {
  std::vector<std::string> labels;  // run: {}; compare: one per alternative; sensitivity: "baseline"
  std::vector<Series> portfolios;   // run: none (in `run`); compare: one per alternative; sensitivity: one
  std::shared_ptr<const RunResult> run;  // run: the per-MSP series (exact mode)
};

void render_samples(const ReportData& data, std::ostream& out);
void render_compare_samples(const CompareResult& result, std::ostream& out);
// sensitivity: the baseline run's portfolio, "baseline.<output>" (the
// copies that hold an input at P10 or P90 are summarised and released).
void render_sensitivity_samples(const SensitivityResult& result, std::ostream& out);

}  // namespace switchcost::sim

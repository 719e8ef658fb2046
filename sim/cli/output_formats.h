// The output formats of the command line, as a table: each entry is an
// option (`--json PATH`), its help text and a renderer over a command's
// result. Every command that produces results offers every format; only the
// formats asked for are rendered. Adding a format is its renderer (a
// function over each result type) and one entry in sim/cli/output_formats.cpp.
#pragma once

#include <ostream>
#include <span>
#include <string_view>
#include <variant>

#include "sim/report/compare.h"
#include "sim/report/plan.h"
#include "sim/report/report.h"
#include "sim/report/sensitivity.h"

namespace switchcost::sim {

// What a command produced, for the renderers (never null).
using CommandResult =
    std::variant<const ReportData*, const CompareResult*, const SensitivityResult*, const PlanResult*>;

struct OutputFormat {
  std::string_view option;  // "json": the option --json PATH
  std::string_view help;    // its line in the command's --help
  void (*render)(const CommandResult& result, std::ostream& out);
};

// The formats, in the order of the options in --help (and of the checks
// of their paths).
std::span<const OutputFormat> output_formats();

// The table a person reads, written to standard output unless an output
// goes there or --quiet.
void render_terminal_table(const CommandResult& result, std::ostream& out);

}  // namespace switchcost::sim

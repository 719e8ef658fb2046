#include "sim/cli/output_formats.h"

#include "sim/report/html.h"
#include "sim/report/samples.h"

namespace switchcost::sim {
namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
// Needed by compilers without C++20 aggregate deduction (clang 14).
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

// One renderer per result type, picked by the result's type: a new result
// type that a format does not render is a compile error, not a missing file.
template <void (*run)(const ReportData&, std::ostream&), void (*compare)(const CompareResult&, std::ostream&),
          void (*sensitivity)(const SensitivityResult&, std::ostream&), void (*plan)(const PlanResult&, std::ostream&)>
void render_each(const CommandResult& result, std::ostream& out) {
  std::visit(Overloaded{[&](const ReportData* data) { run(*data, out); },
                        [&](const CompareResult* comparison) { compare(*comparison, out); },
                        [&](const SensitivityResult* tornado) { sensitivity(*tornado, out); },
                        [&](const PlanResult* decision) { plan(*decision, out); }},
             result);
}

constexpr OutputFormat formats[] = {
    {"json", "write the results as JSON to PATH ('-' = standard output)",
     render_each<render_json, render_compare_json, render_sensitivity_json, render_plan_json>},
    {"csv", "write the results as CSV to PATH ('-' = standard output)",
     render_each<render_csv, render_compare_csv, render_sensitivity_csv, render_plan_csv>},
    {"samples",
     "write every trial's results to PATH as a NumPy .npy file (pandas.DataFrame(numpy.load(PATH))): the "
     "portfolio's outputs, and each MSP's in exact mode (run), each alternative's (compare), each "
     "option's (plan) or the baseline's (sensitivity)",
     render_each<render_samples, render_compare_samples, render_sensitivity_samples, render_plan_samples>},
    {"html",
     "write a self-contained HTML report to PATH (charts and tables; opens offline in any browser, "
     "no network): cost distribution and exceedance curve, breakdown, completion dates, per-MSP table "
     "(run, estimate), the alternatives side by side (compare, and plan's options), the tornado (sensitivity)",
     render_each<render_html, render_compare_html, render_sensitivity_html, render_plan_html>},
};

}  // namespace

std::span<const OutputFormat> output_formats() { return formats; }

void render_terminal_table(const CommandResult& result, std::ostream& out) {
  render_each<render_table, render_compare_table, render_sensitivity_table, render_plan_table>(result, out);
}

}  // namespace switchcost::sim

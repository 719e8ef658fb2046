// libFuzzer harness for the hardened YAML reader (sim/scenario/yaml_reader.h).
//
// Feeds the bytes to read_yaml_text twice (default limits, then tight ones
// so the limit paths run too), then pushes every scalar of the tree through
// the strict conversions (and the first 8 bytes, as a day number, through
// format_date), and every scalar through the formula compiler (as a
// formula of a `formulas:` block) and, when it compiles, the evaluator over
// a few trials. Only ScenarioError may come out: any other
// exception escaping, a crash, a sanitizer report, or a broken invariant
// (checked with __builtin_trap) is a bug.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "models/formula.h"
#include "sim/scenario/formula.h"
#include "sim/scenario/yaml_reader.h"

namespace {

using switchcost::sim::Node;
using switchcost::sim::ReadLimits;
using switchcost::sim::ScenarioError;

constexpr const char* kName = "fuzz.yaml";

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void check_error(const ScenarioError& e) {
  // what() is "fuzz.yaml[:line:col]: message" with a non-empty message.
  const std::string_view what = e.what();
  check(what.substr(0, std::string_view(kName).size()) == kName);
  check(!e.message().empty());
  check(e.where().line >= 0 && e.where().column >= 0);
  check(e.where().line > 0 || e.where().column == 0);
}

template <typename F>
void expect_only_scenario_errors(F&& f) {
  try {
    f();
  } catch (const ScenarioError& e) {
    check_error(e);
  }
}

// The scalar as a formula: compiled against every symbol an MSP's formula
// may read, then evaluated over 3 trials with every outside symbol 1.5 and
// every inline draw 0.25. Any value may come out (inf and NaN too: the
// engine checks them), but no crash and no other exception.
void exercise_formula(const Node& node) {
  if (!node.is_scalar() || node.text.size() > 512) return;
  expect_only_scenario_errors([&] {
    const std::vector<switchcost::sim::FormulaSource> sources = {{"f", node.text, node.where, true},
                                                                 {"g", "f * 2 + endpoints", node.where, false}};
    switchcost::sim::FormulaLimits limits;
    limits.max_nodes = 200;
    limits.max_depth = 16;
    const auto set = switchcost::sim::compile_formulas(sources, switchcost::sim::msp_formula_symbols(), "msps.fuzz.", limits);
    constexpr Eigen::Index trials = 3;
    std::vector<switchcost::models::Column> columns(std::size_t(set.slot_count()),
                                                    switchcost::models::Column::Constant(trials, 1.5));
    for (std::size_t k = 0; k < set.draws.size(); ++k)
      columns[std::size_t(set.draw_slot(k))].setConstant(0.25);
    std::vector<const switchcost::models::Column*> slots;
    for (const auto& c : columns) slots.push_back(&c);
    switchcost::models::FormulaWorkspace work;
    for (const auto& f : set.formulas) {
      check(f.slot >= 0 && f.slot < set.slot_count());
      switchcost::models::evaluate_formula(f.program, slots, trials, work, columns[std::size_t(f.slot)]);
      check(columns[std::size_t(f.slot)].size() == trials);
    }
  });
}

void exercise(const Node& node, int depth) {
  check(depth <= 64);
  check(node.where.file == kName);
  check(node.where.line >= 1 && node.where.column >= 1);
  (void)switchcost::sim::describe_kind(node);
  expect_only_scenario_errors([&] { (void)switchcost::sim::to_number(node); });
  expect_only_scenario_errors([&] { (void)switchcost::sim::to_integer(node, -1000, 1000); });
  expect_only_scenario_errors([&] {
    (void)switchcost::sim::to_integer(node, INT64_MIN, INT64_MAX);
  });
  expect_only_scenario_errors([&] { (void)switchcost::sim::to_bool(node); });
  expect_only_scenario_errors([&] { (void)switchcost::sim::to_text(node); });
  expect_only_scenario_errors([&] {
    const std::int64_t day = switchcost::sim::to_date(node);
    // format_date is the inverse of to_date.
    check(switchcost::sim::format_date(day) == node.text);
  });
  switch (node.kind) {
    case Node::Kind::null:
    case Node::Kind::scalar:
      check(node.items.empty() && node.entries.empty());
      exercise_formula(node);
      if (node.is_null()) check(node.text.empty());
      break;
    case Node::Kind::sequence:
      check(node.entries.empty());
      for (const Node& item : node.items) exercise(item, depth + 1);
      break;
    case Node::Kind::mapping: {
      check(node.items.empty());
      static const std::vector<std::string_view> known = {"timeline", "market", "competitors", "msps",
                                                          "endpoints", "mean", "sd", "p5"};
      for (const auto& [key, value] : node.entries) {
        check(key.is_scalar());  // keys are scalars, never null or collections
        check(node.find(key.text) == &value);  // and unique
        (void)switchcost::sim::suggest(key.text, known);
        exercise(key, depth + 1);
        exercise(value, depth + 1);
      }
      break;
    }
  }
}

void run(std::string_view text, const ReadLimits& limits) {
  try {
    const Node root = switchcost::sim::read_yaml_text(text, kName, limits);
    check(root.is_mapping());  // the root is always a mapping
    exercise(root, 1);
  } catch (const ScenarioError& e) {
    check_error(e);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (size >= sizeof(std::int64_t)) {
    // format_date must take any day number without overflowing.
    std::int64_t day = 0;
    std::memcpy(&day, data, sizeof day);
    check(!switchcost::sim::format_date(day).empty());
  }
  run(text, ReadLimits{});
  ReadLimits tight;
  tight.max_file_bytes = 2048;
  tight.max_scalar_bytes = 16;
  tight.max_depth = 4;
  tight.max_nodes = 40;
  run(text, tight);
  return 0;
}

// The table a model declares its inputs in: one row per scenario key. The
// scenario reader derives its schema (keys, units, ranges, defaults, the
// did-you-mean list) from these rows, the engine compiles, draws and compares
// (for reuse in compare) by iterating them, and a unit test checks that
// docs/scenario-format.md lists every row. Adding an input is one row here
// and one column in the model's Inputs struct.
#pragma once

#include <limits>
#include <span>
#include <string_view>

#include "models/common.h"

namespace switchcost::models {

// Where an input is drawn: once per trial for the whole market (shared by
// every MSP), once per trial for each competitor (shared by the MSPs that
// leave it or move to it), or per MSP.
enum class InputLevel { market, competitor, msp };

inline constexpr double unbounded = std::numeric_limits<double>::infinity();

// One input of a model whose drawn values for a block go to a column of
// `Inputs`. The random stream of an input is named by the owner's prefix and
// the key ("msps.acme." + "labor.setup_hours", "market." + key), so a key is
// never renamed without changing the values drawn.
template <class Inputs>
struct InputSpec {
  std::string_view key;    // scenario key, sections joined by '.': "labor.setup_hours"
  std::string_view unit;   // "[h per client]"
  double min;              // smallest value a draw may take
  double max;              // largest value a draw may take
  bool required;           // else `fallback` (a constant) is used
  double fallback;
  InputLevel level;
  Column Inputs::*column;  // where the block's values go
  // An optional per-MSP input that, when absent, leaves `column` to the
  // market-level row writing the same column (an MSP's own rate over the
  // market's): no fallback constant is used.
  bool market_default = false;
};

// A model's table.
template <class Inputs>
using InputTable = std::span<const InputSpec<Inputs>>;

}  // namespace switchcost::models

// The registered cost lines (models/cost_line.h), in the order the reports
// list them: after the core models' lines, before the total. Adding a cost
// model is its file pair in models/ plus its entry here.
#pragma once

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "models/cost_line.h"
#include "models/downtime.h"

namespace switchcost::models {

using CostLines = std::tuple<Downtime>;

inline constexpr int cost_line_count = int(std::tuple_size_v<CostLines>);

static_assert([]<class... L>(std::tuple<L...>*) { return (CostLine<L> && ...); }(static_cast<CostLines*>(nullptr)),
              "every registered line is a CostLine (models/cost_line.h)");

// Calls f.template operator()<k, Line>() for every registered line, in order.
template <class F>
constexpr void for_each_cost_line(F&& f) {
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (f.template operator()<K, std::tuple_element_t<K, CostLines>>(), ...);
  }(std::make_index_sequence<std::tuple_size_v<CostLines>>{});
}

}  // namespace switchcost::models

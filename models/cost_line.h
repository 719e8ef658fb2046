// A cost line: a model whose result is one more column of each MSP's cost,
// added to its total after the core models' lines (labor, licence price
// change, lost updates, stranded licences, refunds, extra items). Such a model
// is a type with
//   using Inputs = ...;                          // its drawn columns
//   static constexpr std::string_view key;       // output key in JSON and CSV: "downtime_cost"
//   static constexpr std::string_view label;     // row label of the tables: "client downtime"
//   static InputTable<Inputs> inputs() noexcept;  // its input table (models/inputs.h)
//   static void cost(const MspBlock&, const Inputs&, Column& cost);  // pure, [USD]
// and is registered by adding it to models/registry.h. The engine compiles,
// draws and compares (for reuse in compare) its inputs from the table, the
// scenario reader derives its schema from it, and the reports list its line.
#pragma once

#include <concepts>
#include <string_view>

#include "models/common.h"
#include "models/inputs.h"

namespace switchcost::models {

// What a cost line may read of one MSP's block besides its own inputs, as
// computed by the core models: views of their columns (element i is trial i
// of the block), never copies.
struct MspBlock {
  const Column& endpoints;                     // [endpoints]
  const Column& clients;                       // [clients]
  const Column& labor_hours;                   // [h] all migration labor
  const Column& duration_days;                 // [days] from the MSP's start to completion
  const Column& old_price_per_endpoint_month;  // [USD/(endpoint month)] the incumbent's list price
  const Column& new_price_per_endpoint_month;  // [USD/(endpoint month)] the target's list price
  int horizon_months;                          // [months] of the scenario's timeline
};

template <class M>
concept CostLine = requires(const MspBlock& block, const typename M::Inputs& in, Column& cost) {
  { M::key } -> std::convertible_to<std::string_view>;
  { M::label } -> std::convertible_to<std::string_view>;
  { M::inputs() } -> std::same_as<InputTable<typename M::Inputs>>;
  M::cost(block, in, cost);
};

}  // namespace switchcost::models

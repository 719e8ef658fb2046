// Client downtime during the swap: each endpoint is offline while the old
// agent is removed, the machine reboots and the new agent is installed, and
// its user cannot work meanwhile.
//   user_hours_lost = E * minutes_per_endpoint / 60
//   cost = user_hours_lost * user_cost_per_hour * (1 - billable_share)
// The lost user time is the clients'; the MSP bears it as service credits and
// goodwill for a disruption it caused, except the share it can bill to the
// clients (billable_share), which they bear. Swaps done after hours belong in
// a lower minutes_per_endpoint (the user is not there to lose the time).
#pragma once

#include "models/common.h"
#include "models/cost_line.h"
#include "models/inputs.h"

namespace switchcost::models {

struct DowntimeInputs {
  Column minutes_per_endpoint;  // [min per endpoint] user offline during the swap, >= 0
  Column user_cost_per_hour;    // [USD per user-hour] value of an hour of the user's work, >= 0
  Column billable_share;        // [-] share of the downtime cost billed to clients, [0,1]
};

// The downtime model's drawn inputs (the table of models/inputs.h), all per
// MSP and optional (0 when absent: no downtime cost).
InputTable<DowntimeInputs> downtime_inputs() noexcept;

// cost [USD] borne by the MSP (above), resized to endpoints' size; endpoints
// is the labor model's column [endpoints]. Pure.
void client_downtime(const Column& endpoints, const DowntimeInputs& in, Column& cost);

// The model as a registered cost line (models/registry.h).
struct Downtime {
  using Inputs = DowntimeInputs;
  static constexpr std::string_view key = "downtime_cost";
  static constexpr std::string_view label = "client downtime";
  static InputTable<Inputs> inputs() noexcept { return downtime_inputs(); }
  static void cost(const MspBlock& msp, const Inputs& in, Column& cost) { client_downtime(msp.endpoints, in, cost); }
};

}  // namespace switchcost::models

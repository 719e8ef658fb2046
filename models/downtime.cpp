#include "models/downtime.h"

namespace switchcost::models {

namespace {
using In = DowntimeInputs;
constexpr InputLevel msp = InputLevel::msp;

constexpr InputSpec<In> downtime_table[] = {
    // key, unit, min, max, required, fallback, level, column
    {"downtime.minutes_per_endpoint", "[min per endpoint]", 0, 1440, false, 0, msp, &In::minutes_per_endpoint},
    {"downtime.user_cost_per_hour", "[USD per user-hour]", 0, unbounded, false, 0, msp, &In::user_cost_per_hour},
    {"downtime.billable_share", "[-]", 0, 1, false, 0, msp, &In::billable_share},
};
}  // namespace

InputTable<DowntimeInputs> downtime_inputs() noexcept { return downtime_table; }

void client_downtime(const Column& endpoints, const DowntimeInputs& in, Column& cost) {
  constexpr double minutes_per_hour = 60.0;
  cost = endpoints * in.minutes_per_endpoint / minutes_per_hour * in.user_cost_per_hour * (1.0 - in.billable_share);
}

}  // namespace switchcost::models

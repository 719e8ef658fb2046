// Extra line items: any named cost the scenario adds, with a distribution for
// the amount and a multiplier:
//   per endpoint: amount * E;  per client: amount * C;  per msp: amount;
//   per month: amount * horizon_months.
#pragma once

#include "models/common.h"

namespace switchcost::models {

enum class ExtraPer { endpoint, client, msp, month };

// out += amount * multiplier(per), elementwise. Pure. An out whose size
// differs from amount's (e.g. empty) is first set to zeros of amount's size.
void add_extra_item(const Column& amount, ExtraPer per, const Column& endpoints,
                    const Column& clients, double horizon_months, Column& out);

}  // namespace switchcost::models

#include "models/extras.h"

namespace switchcost::models {

void add_extra_item(const Column& amount, ExtraPer per, const Column& endpoints, const Column& clients,
                    double horizon_months, Column& out) {
  // An accumulator of another size holds nothing for this block: start it at 0.
  if (out.size() != amount.size()) out.setZero(amount.size());
  switch (per) {
    case ExtraPer::endpoint: out += amount * endpoints; break;
    case ExtraPer::client: out += amount * clients; break;
    case ExtraPer::msp: out += amount; break;
    case ExtraPer::month: out += amount * horizon_months; break;
  }
}

}  // namespace switchcost::models

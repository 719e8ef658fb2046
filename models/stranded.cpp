#include "models/stranded.h"

namespace switchcost::models {

namespace {
using In = StrandedInputs;
constexpr InputLevel msp = InputLevel::msp;

constexpr InputSpec<In> stranded_table[] = {
    // key, unit, min, max, required, fallback, level, column
    {"licences.prepaid_share", "[-]", 0, 1, true, 0, msp, &In::prepaid_share},
    {"licences.prepaid_months_remaining", "[months]", 0, 120, true, 0, msp, &In::prepaid_months_remaining},
    {"licences.recovered_share", "[-]", 0, 1, true, 0, msp, &In::recovered_share},
    {"refunds.client_prepaid_share", "[-]", 0, 1, true, 0, msp, &In::client_prepaid_share},
    {"refunds.client_prepaid_months_remaining", "[months]", 0, 120, true, 0, msp,
     &In::client_prepaid_months_remaining},
    {"refunds.client_price_per_endpoint_month", "[USD/(endpoint month)]", 0, unbounded, true, 0, msp,
     &In::client_price_per_endpoint_month},
    {"refunds.refund_share", "[-]", 0, 1, true, 0, msp, &In::refund_share},
};
}  // namespace

InputTable<StrandedInputs> stranded_inputs() noexcept { return stranded_table; }

void StrandedInputs::resize(Eigen::Index n) {
  endpoints.resize(n);
  old_price_per_endpoint_month.resize(n);
  for (const auto& spec : stranded_table) (this->*spec.column).resize(n);
}

void StrandedResult::resize(Eigen::Index n) {
  stranded_cost.resize(n);
  refund_cost.resize(n);
}

void stranded_licences(const StrandedInputs& in, StrandedResult& out) {
  stranded_licences(in.endpoints, in.old_price_per_endpoint_month, in, out);
}

void stranded_licences(const Column& endpoints, const Column& old_price_per_endpoint_month, const StrandedInputs& in,
                       StrandedResult& out) {
  out.resize(endpoints.size());
  out.stranded_cost = endpoints * in.prepaid_share * in.prepaid_months_remaining * old_price_per_endpoint_month *
                      (1.0 - in.recovered_share);
  out.refund_cost = endpoints * in.client_prepaid_share * in.client_prepaid_months_remaining *
                    in.client_price_per_endpoint_month * in.refund_share;
}

}  // namespace switchcost::models

#include "models/stranded.h"

namespace switchcost::models {

void StrandedInputs::resize(Eigen::Index n) {
  endpoints.resize(n);
  old_price_per_endpoint_month.resize(n);
  prepaid_share.resize(n);
  prepaid_months_remaining.resize(n);
  recovered_share.resize(n);
  client_prepaid_share.resize(n);
  client_prepaid_months_remaining.resize(n);
  client_price_per_endpoint_month.resize(n);
  refund_share.resize(n);
}

void StrandedResult::resize(Eigen::Index n) {
  stranded_cost.resize(n);
  refund_cost.resize(n);
}

void stranded_licences(const StrandedInputs& in, StrandedResult& out) {
  out.resize(in.endpoints.size());
  out.stranded_cost = in.endpoints * in.prepaid_share * in.prepaid_months_remaining *
                      in.old_price_per_endpoint_month * (1.0 - in.recovered_share);
  out.refund_cost = in.endpoints * in.client_prepaid_share * in.client_prepaid_months_remaining *
                    in.client_price_per_endpoint_month * in.refund_share;
}

}  // namespace switchcost::models

// Stranded prepaid licences and refunds owed to clients.
//   stranded_cost = E * prepaid_share * prepaid_months_remaining
//                   * old_price_per_endpoint_month * (1 - recovered_share)
//     licences the MSP paid ahead for and cannot use once the product is gone.
//   refund_cost   = E * client_prepaid_share * client_prepaid_months_remaining
//                   * client_price_per_endpoint_month * refund_share
//     what clients who prepaid the MSP for antivirus ask back.
#pragma once

#include "models/common.h"
#include "models/inputs.h"

namespace switchcost::models {

struct StrandedInputs {
  Column endpoints;                        // [endpoints]
  Column old_price_per_endpoint_month;     // [USD/(endpoint month)] what the MSP paid
  Column prepaid_share;                    // [-] share of endpoints on prepaid licences, [0,1]
  Column prepaid_months_remaining;         // [months] left on those licences
  Column recovered_share;                  // [-] share of that value refunded by the vendor/distributor, [0,1]
  Column client_prepaid_share;             // [-] share of endpoints whose client prepaid the MSP, [0,1]
  Column client_prepaid_months_remaining;  // [months]
  Column client_price_per_endpoint_month;  // [USD/(endpoint month)] the AV line item billed to clients
  Column refund_share;                     // [-] share of prepaid value refunded to clients, [0,1]

  void resize(Eigen::Index n);
};

struct StrandedResult {
  Column stranded_cost;  // [USD]
  Column refund_cost;    // [USD]

  void resize(Eigen::Index n);
};

// The stranded-licences model's drawn inputs (the table of models/inputs.h),
// all per MSP; endpoints come from the labor model's column and the old
// price from the incumbent competitor's.
InputTable<StrandedInputs> stranded_inputs() noexcept;

void stranded_licences(const StrandedInputs& in, StrandedResult& out);
// The same with the endpoints and the old price given by reference (the
// engine's labor and incumbent columns, not copied per MSP); reads only the
// table's columns of `in`.
void stranded_licences(const Column& endpoints, const Column& old_price_per_endpoint_month, const StrandedInputs& in,
                       StrandedResult& out);

}  // namespace switchcost::models

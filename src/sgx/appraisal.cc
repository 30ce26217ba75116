// Copyright The mra Authors.
//
// Appraise: the relying party's policy over a VerificationResult.

#include <algorithm>
#include <string>

#include "mra/base/clock.h"
#include "mra/base/strings.h"
#include "mra/base/verify_failure.h"
#include "mra/sgx/verify.h"

namespace mra::sgx {

std::string_view TeeTypeName(collateral::TeeType tee) {
  return tee == collateral::TeeType::kTdx ? "TDX" : "SGX";
}

absl::Status Appraise(const VerificationResult& result,
                      const AppraisalPolicy& policy) {
  if (result.simulation && !policy.allow_simulation) {
    return VerifyError(VerifyFailure::kSimulationNotTrusted,
                       "quote chains to a simulation (development) root; the "
                       "policy does not allow simulation");
  }
  if (std::find(policy.accepted_statuses.begin(),
                policy.accepted_statuses.end(),
                result.status) == policy.accepted_statuses.end()) {
    std::string accepted;
    for (TcbStatus s : policy.accepted_statuses) {
      StrAppend(&accepted, accepted.empty() ? "" : ", ", TcbStatusName(s));
    }
    return VerifyError(VerifyFailure::kTcbStatusNotAccepted,
                       StrCat("TCB status ", TcbStatusName(result.status),
                              " is not accepted (policy accepts: ",
                              accepted.empty() ? "nothing" : accepted, ")"));
  }
  if (result.Debug() && !policy.allow_debug) {
    return VerifyError(VerifyFailure::kDebugEnclave,
                       result.tdx.has_value()
                           ? "TD has TDATTRIBUTES.DEBUG set"
                           : "enclave has ATTRIBUTES.DEBUG set");
  }
  if (policy.min_isv_svn.has_value() && result.sgx.has_value() &&
      result.sgx->isv_svn < *policy.min_isv_svn) {
    return VerifyError(VerifyFailure::kIsvSvnTooLow,
                       StrCat("ISVSVN ", result.sgx->isv_svn,
                              " is below the required ", *policy.min_isv_svn));
  }
  if (policy.max_collateral_age.has_value()) {
    absl::Duration age = result.verified_at - result.earliest_issue_date;
    if (age > *policy.max_collateral_age) {
      return VerifyError(
          VerifyFailure::kCollateralTooOld,
          StrCat("collateral issued ",
                 FormatRfc3339Utc(result.earliest_issue_date), " is ",
                 absl::FormatDuration(absl::Trunc(age, absl::Seconds(1))),
                 " old at ", FormatRfc3339Utc(result.verified_at),
                 " (policy maximum ",
                 absl::FormatDuration(*policy.max_collateral_age), ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace mra::sgx

#include "mra/x509/access_policy.h"

#include "mra/base/strings.h"
#include "mra/base/verify_failure.h"

namespace mra::x509 {

absl::Status AccessPolicy::CheckInbound(std::string_view caller) const {
  if (!AllowsInbound(caller)) {
    return VerifyError(VerifyFailure::kPeerNotAllowed,
                       StrCat("service '", caller, "' may not call '", self_,
                              "' (not in its inbound list)"));
  }
  return absl::OkStatus();
}

absl::Status AccessPolicy::CheckOutbound(std::string_view expected,
                                         std::string_view server) const {
  if (server != expected) {
    return VerifyError(VerifyFailure::kUnexpectedPeer,
                       StrCat("'", self_, "' meant to reach '", expected,
                              "' but the server attested as '", server, "'"));
  }
  if (!AllowsOutbound(expected)) {
    return VerifyError(VerifyFailure::kPeerNotAllowed,
                       StrCat("service '", self_, "' may not call '", expected,
                              "' (not in its outbound list)"));
  }
  return absl::OkStatus();
}

}  // namespace mra::x509

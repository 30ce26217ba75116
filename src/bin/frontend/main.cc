// Copyright The mra Authors.
//
// mra-frontend: the only service clients reach (they attest it one-way). It
// calls authentication and storage. See mra/platform/service_main.h for
// flags, start-up order and exit codes.

#include "mra/platform/access_control.h"
#include "mra/platform/service_main.h"
#include "mra/platform/services.h"

namespace {

// This binary's compiled-in access-control list.
constexpr const mra::platform::ServiceAcl& kAcl = mra::platform::kFrontendAcl;
static_assert(kAcl.self == mra::platform::kFrontendService);
static_assert(kAcl.inbound.empty() && kAcl.anonymous_clients);
static_assert(kAcl.AllowsOutbound("authentication") &&
              kAcl.AllowsOutbound("storage") && kAcl.outbound.size() == 2);

}  // namespace

int main(int argc, char** argv) {
  return mra::platform::ServiceMain(
      argc, argv,
      {.acl = &kAcl, .make_service = &mra::platform::MakeFrontendService});
}

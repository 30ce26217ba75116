// Copyright The mra Authors.
//
// mra-storage: the platform's persistent key-value store (SQLite). Only the
// frontend may call it; it calls nobody. See mra/platform/service_main.h for
// flags, start-up order and exit codes.

#include "mra/platform/access_control.h"
#include "mra/platform/service_main.h"
#include "mra/platform/services.h"

namespace {

// This binary's compiled-in access-control list.
constexpr const mra::platform::ServiceAcl& kAcl = mra::platform::kStorageAcl;
static_assert(kAcl.self == mra::platform::kStorageService);
static_assert(kAcl.AllowsInbound("frontend") && kAcl.inbound.size() == 1);
static_assert(kAcl.outbound.empty() && !kAcl.anonymous_clients);

}  // namespace

int main(int argc, char** argv) {
  return mra::platform::ServiceMain(
      argc, argv,
      {.acl = &kAcl, .make_service = &mra::platform::MakeStorageService});
}

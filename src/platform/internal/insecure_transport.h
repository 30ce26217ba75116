// Copyright The mra Authors.
//
// File: src/platform/internal/insecure_transport.h
// -----------------------------------------------------------------------------
// The TransportBuilder behind `--insecure-transport-for-tests`: no
// attestation, no encryption, caller names taken on trust from metadata.
// Only transport_select.cc and tests use it.

#pragma once

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"

#include "mra/platform/transport.h"

namespace mra::platform::internal {

// MakeInsecureTransportBuilderForTests returns a builder whose AttestSelf()
// only logs a loud warning and whose Build() returns
// MakeInsecureTransportForTests(self).
// @return kFailedPrecondition unless the opt-in is set.
absl::StatusOr<std::unique_ptr<TransportBuilder>>
MakeInsecureTransportBuilderForTests(std::string_view self,
                                     InsecureTransportForTestsOptIn opt_in);

}  // namespace mra::platform::internal

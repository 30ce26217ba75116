// Copyright The mra Authors.
//
// File: mra/attest/factory.h
// -----------------------------------------------------------------------------
// MakeAttester picks an attestation backend by name, so services choose it in
// configuration ("sim" | "gramine" | "tsm" | "auto").
//
// "auto" probes the hardware backends only: Gramine's /dev/attestation
// (GramineOptions::base_dir) first, then configfs-tsm
// (TsmOptions::report_dir). It never falls back to simulation: a service
// that should run simulated must say "sim" explicitly.

#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "mra/attest/attester.h"
#include "mra/attest/gramine.h"
#include "mra/attest/sim.h"
#include "mra/attest/tsm.h"

namespace mra::attest {

struct AttesterOptions {
  SimAttesterOptions sim;
  GramineOptions gramine;
  TsmOptions tsm;
};

// AttesterKinds lists the names MakeAttester accepts.
std::vector<std::string_view> AttesterKinds();

// MakeAttester creates the backend named `kind` with its options.
// @return kInvalidArgument for an unknown kind; kUnavailable for "auto" when
//         no hardware backend is present; otherwise the backend's Create
//         errors.
[[nodiscard]] absl::StatusOr<std::unique_ptr<Attester>> MakeAttester(
    std::string_view kind, const AttesterOptions& opts);

}  // namespace mra::attest

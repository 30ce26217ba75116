// Copyright The mra Authors.
//
// File: mra/attest/attester.h
// -----------------------------------------------------------------------------
// Attester produces evidence (a DCAP quote) that binds 64 bytes of
// caller-chosen report data to the identity of the code that runs. Backends:
//   sim     - development mode, no hardware: real SGX quote v3 format signed
//             by a development PCK chain (see mra/attest/sim.h). Loud.
//   gramine - SGX under Gramine (/dev/attestation/...).
//   tsm     - TDX / SEV-SNP guests through Linux configfs-tsm.
// The verifier side never needs to know which backend produced a quote: it
// verifies the quote against the roots it was configured with.

#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace mra::attest {

inline constexpr size_t kReportDataLen = 64;

// Attester is implemented by each backend.
// Thread-safety: Quote may be called from several threads at once.
class Attester {
 public:
  virtual ~Attester() = default;

  // Kind returns the backend name ("sim", "gramine", "tsm").
  virtual std::string_view Kind() const = 0;

  // Quote returns evidence whose REPORTDATA equals `report_data`.
  // @return the raw quote bytes, or kUnavailable / kInternal when the
  //         backend cannot produce one (device missing, I/O error).
  [[nodiscard]] virtual absl::StatusOr<std::vector<uint8_t>> Quote(
      std::span<const uint8_t, kReportDataLen> report_data) = 0;
};

}  // namespace mra::attest

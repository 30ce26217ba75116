// Copyright The mra Authors.
//
// File: src/attest/internal/sim_metadata.h
// -----------------------------------------------------------------------------
// sim.json, the metadata file of a sim dir (see mra/attest/sim_dir.h):
//
//   {
//     "format": "mra-sim-dir/1",
//     "development_only": "<warning text>",
//     "created": "2026-01-02T03:04:05Z",
//     "collateral_days": 30,
//     "crl_number": 1,
//     "platform": {
//       "fmspc": "<12 hex>", "pce_id": "<4 hex>", "ppid": "<32 hex>",
//       "platform_instance_id": "<32 hex>",
//       "sgx_tcb_components": [16 x 0..255], "pce_svn": N,
//       "latest_sgx_tcb_components": [16 x 0..255], "latest_pce_svn": N,
//       "qe_svn": N, "qe_isv_prod_id": N, "qe_mr_enclave": "<64 hex>",
//       "qe_mr_signer": "<64 hex>", "qe_attributes": "<32 hex>",
//       "tcb_evaluation_data_number": N, "tcb_date": "<RFC 3339>"
//     }
//   }
//
// Parsing is strict (every key required, unknown keys refused).

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "mra/attest/sim_dir.h"

namespace mra::attest::internal {

inline constexpr std::string_view kSimDirFormat = "mra-sim-dir/1";
inline constexpr size_t kMaxSimMetadataLen = size_t{64} * 1024;

struct SimMetadata {
  absl::Time created;
  int collateral_days = 0;
  uint64_t crl_number = 0;
  SimPlatform platform;
};

// SimMetadataJson renders `m` (pretty-printed, trailing newline).
std::string SimMetadataJson(const SimMetadata& m);

// ParseSimMetadata parses sim.json; kInvalidArgument naming the field.
absl::StatusOr<SimMetadata> ParseSimMetadata(std::string_view json);

}  // namespace mra::attest::internal

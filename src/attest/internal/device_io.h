// Copyright The mra Authors.
//
// File: src/attest/internal/device_io.h
// -----------------------------------------------------------------------------
// Writes to kernel / LibOS pseudo-files (Gramine's /dev/attestation,
// configfs-tsm attributes): the file must already exist (never created), the
// whole buffer is written in one open/close, and close() is checked because
// configfs commits binary attributes on release.

#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "absl/status/status.h"

namespace mra::attest::internal {

// WriteExistingFile writes `data` to `path` from offset 0 (no O_CREAT, no
// O_TRUNC). kNotFound when `path` is missing, kUnavailable on other errors.
[[nodiscard]] absl::Status WriteExistingFile(const std::string& path,
                                             std::span<const uint8_t> data);

}  // namespace mra::attest::internal

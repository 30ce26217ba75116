// Copyright The mra Authors.
//
// File: mra/base/hex.h
// -----------------------------------------------------------------------------
// Hex encoding for measurements, fingerprints and signatures.

#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace mra {

// HexEncode returns lowercase hex of `bytes`.
std::string HexEncode(std::span<const uint8_t> bytes);

// HexDecode decodes upper- or lowercase hex. Fails with kInvalidArgument on an
// odd length or a non-hex character (the message gives its position).
absl::StatusOr<std::vector<uint8_t>> HexDecode(std::string_view hex);

// HexDecodeInto decodes exactly out.size() bytes; any other length fails.
[[nodiscard]] absl::Status HexDecodeInto(std::string_view hex,
                                         std::span<uint8_t> out);

// IsHex reports whether `s` consists of hex digits only.
bool IsHex(std::string_view s);

}  // namespace mra

// Copyright The mra Authors.
//
// Internal: typed, path-naming accessors over nlohmann::json for collateral.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace mra::collateral::internal {

using Json = nlohmann::json;

// Malformed returns kCollateralMalformed "<path>: <what>".
absl::Status Malformed(std::string_view path, std::string_view what);

// Member returns j[key] or fails naming path.key; `j` must be an object.
absl::StatusOr<const Json*> Member(const Json& j, std::string_view key,
                                   std::string_view path);
absl::StatusOr<std::string> String(const Json& j, std::string_view key,
                                   std::string_view path);
absl::StatusOr<uint64_t> Unsigned(const Json& j, std::string_view key,
                                  std::string_view path, uint64_t max);
absl::StatusOr<absl::Time> Time(const Json& j, std::string_view key,
                                std::string_view path);
// HexBytes decodes a hex string member of exactly out.size() bytes.
[[nodiscard]] absl::Status HexBytes(const Json& j, std::string_view key,
                                    std::string_view path,
                                    std::span<uint8_t> out);

}  // namespace mra::collateral::internal

// Copyright The mra Authors.
//
// File: src/platform/internal/password_hash.h
// -----------------------------------------------------------------------------
// Password hashing with scrypt through OpenSSL's EVP_KDF (never hand-rolled).
// The encoded form records its parameters, so the cost can be raised later
// without invalidating stored hashes:
//
//   $scrypt$ln=15,r=8,p=1$<32 hex salt>$<64 hex hash>

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace mra::platform::internal {

// ScryptParams: N = 2^log2_n. Memory use is 128 * r * N bytes (32 MiB for
// the default 2^15, r = 8).
struct ScryptParams {
  uint32_t log2_n = 15;
  uint32_t r = 8;
  uint32_t p = 1;
};

// Bounds accepted when hashing and when decoding a stored hash, so a
// tampered record cannot make verification arbitrarily expensive.
inline constexpr uint32_t kMinScryptLog2N = 10;
inline constexpr uint32_t kMaxScryptLog2N = 20;

// HashPassword hashes `password` with a fresh random 16-byte salt.
// @return kInvalidArgument for parameters out of range; kInternal when
//         OpenSSL fails (including no randomness).
absl::StatusOr<std::string> HashPassword(std::string_view password,
                                         const ScryptParams& params);

// VerifyPassword recomputes the hash of `password` with the salt and
// parameters in `encoded` and compares in constant time.
// @return whether it matches; kInvalidArgument when `encoded` is malformed;
//         kInternal when OpenSSL fails.
absl::StatusOr<bool> VerifyPassword(std::string_view password,
                                    std::string_view encoded);

}  // namespace mra::platform::internal

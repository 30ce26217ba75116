// Copyright The mra Authors.
//
// File: src/attest/internal/ecdsa_raw.h
// -----------------------------------------------------------------------------
// ECDSA P-256 / SHA-256 signatures in the raw r||s form SGX quotes and
// Intel's signed JSON use, and the raw x||y form of a P-256 public key.

#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "absl/status/statusor.h"

#include "mra/crypto/openssl_ptr.h"

namespace mra::attest::internal {

using RawP256Signature = std::array<uint8_t, 64>;
using RawP256PublicKey = std::array<uint8_t, 64>;

// SignP256Raw signs `data` (ECDSA-SHA256) with a P-256 private key and
// returns r||s (32-byte big-endian halves). Thread-safe for a shared key.
absl::StatusOr<RawP256Signature> SignP256Raw(EVP_PKEY* key,
                                             std::span<const uint8_t> data);

// RawP256Point returns the uncompressed public point of `key` without the
// 0x04 prefix (x||y).
absl::StatusOr<RawP256PublicKey> RawP256Point(EVP_PKEY* key);

}  // namespace mra::attest::internal

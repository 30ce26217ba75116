// Copyright The mra Authors.
//
// File: mra/crypto/signature.h
// -----------------------------------------------------------------------------
// Detached signatures over exact bytes. The digest follows the key type (see
// KeyType): RSA and P-256 use SHA-256, P-384 SHA-384, Ed25519 signs the
// message itself. RSA signatures are exactly what
// `openssl dgst -sha256 -sign KEY -out SIG FILE` writes.

#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "mra/crypto/keys.h"

namespace mra::crypto {

// Maximum size of a detached signature we are willing to look at.
inline constexpr size_t kMaxSignatureLen = 1024;

// SignDetached signs `data` with `key`.
absl::StatusOr<std::vector<uint8_t>> SignDetached(
    const PrivateKey& key, std::span<const uint8_t> data);

// VerifyDetached checks `signature` over `data` under `key`. Returns
// kUnauthenticated when the signature does not verify (including a signature
// of the wrong shape for the key), kInternal on an OpenSSL failure. Leaves the
// OpenSSL error queue empty.
[[nodiscard]] absl::Status VerifyDetached(const PublicKey& key,
                                          std::span<const uint8_t> data,
                                          std::span<const uint8_t> signature);

// VerifyEcdsaRaw checks a raw r||s ECDSA signature (as in SGX quotes and
// Intel's signed JSON) with the digest matching the curve.
[[nodiscard]] absl::Status VerifyEcdsaRaw(EVP_PKEY* key,
                                          std::span<const uint8_t> data,
                                          std::span<const uint8_t> r_s);

}  // namespace mra::crypto

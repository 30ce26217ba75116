// Copyright The mra Authors.
//
// File: mra/crypto/digest.h
// -----------------------------------------------------------------------------
// Hash helpers on OpenSSL's EVP interface.

#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace mra::crypto {

using Sha256Digest = std::array<uint8_t, 32>;
using Sha384Digest = std::array<uint8_t, 48>;

// Sha256 returns SHA-256 of `data`. Aborts only if OpenSSL itself is broken.
Sha256Digest Sha256(std::span<const uint8_t> data);

// Sha384 returns SHA-384 of `data`.
Sha384Digest Sha384(std::span<const uint8_t> data);

// AsBytes views a string's bytes as uint8_t.
inline std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace mra::crypto

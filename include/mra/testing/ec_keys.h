// Copyright The mra Authors.
//
// File: mra/testing/ec_keys.h
// -----------------------------------------------------------------------------
// EC key encodings for tests that check a key's identity does not depend on
// how it is encoded.

#pragma once

#include <cstdint>
#include <vector>

namespace mra::testing {

// CompressedP256Spki re-encodes an uncompressed P-256 SubjectPublicKeyInfo
// (0x04 || X || Y) with the compressed point (0x02/0x03 by Y's parity || X):
// the same key in the other encoding SEC 1 allows. Records a test failure
// (and returns garbage) when `spki` is not an uncompressed P-256 SPKI.
std::vector<uint8_t> CompressedP256Spki(const std::vector<uint8_t>& spki);

}  // namespace mra::testing

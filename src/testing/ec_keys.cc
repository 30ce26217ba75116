// Copyright The mra Authors.

#include "mra/testing/ec_keys.h"

#include "gtest/gtest.h"

namespace mra::testing {

std::vector<uint8_t> CompressedP256Spki(const std::vector<uint8_t>& spki) {
  // 30 59 | 30 13 <id-ecPublicKey, prime256v1> | 03 42 00 | 04 X(32) Y(32)
  EXPECT_EQ(spki.size(), 91u);
  EXPECT_EQ(spki.size() > 26 ? spki[26] : 0, 0x04);
  if (spki.size() != 91u) {
    return {};
  }
  std::vector<uint8_t> out = {0x30, 0x39};
  out.insert(out.end(), spki.begin() + 2, spki.begin() + 23);  // AlgorithmId.
  out.insert(out.end(), {0x03, 0x22, 0x00});
  out.push_back(static_cast<uint8_t>(0x02 | (spki[90] & 1)));
  out.insert(out.end(), spki.begin() + 27, spki.begin() + 59);  // X.
  return out;
}

}  // namespace mra::testing

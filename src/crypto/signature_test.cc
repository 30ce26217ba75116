#include "mra/crypto/signature.h"

#include "gtest/gtest.h"

#include "mra/testing/status_matchers.h"

namespace mra::crypto {
namespace {

using ::mra::testing::IsOk;
using ::mra::testing::StatusIs;

class SignatureTest : public ::testing::TestWithParam<KeyType> {};

TEST_P(SignatureTest, SignsAndRejectsTampering) {
  MRA_ASSERT_OK_AND_ASSIGN(PrivateKey key,
                           PrivateKey::Generate(GetParam(), 2048));
  std::string msg = "[service]\nmr_enclave = \"00\"\n";
  MRA_ASSERT_OK_AND_ASSIGN(auto sig, SignDetached(key, AsBytes(msg)));
  EXPECT_THAT(VerifyDetached(key.public_key(), AsBytes(msg), sig), IsOk());

  std::string changed = msg;
  changed[3] ^= 1;
  EXPECT_THAT(VerifyDetached(key.public_key(), AsBytes(changed), sig),
              StatusIs(absl::StatusCode::kUnauthenticated));
  auto bad_sig = sig;
  bad_sig[bad_sig.size() / 2] ^= 0x40;
  EXPECT_THAT(VerifyDetached(key.public_key(), AsBytes(msg), bad_sig),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(VerifyDetached(key.public_key(), AsBytes(msg), {}),
              StatusIs(absl::StatusCode::kUnauthenticated));
  MRA_ASSERT_OK_AND_ASSIGN(PrivateKey other,
                           PrivateKey::Generate(GetParam(), 2048));
  EXPECT_THAT(VerifyDetached(other.public_key(), AsBytes(msg), sig),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

INSTANTIATE_TEST_SUITE_P(AllTypes, SignatureTest,
                         ::testing::Values(KeyType::kRsa, KeyType::kEcdsaP256,
                                           KeyType::kEcdsaP384,
                                           KeyType::kEd25519));

TEST(SignatureTest, SignatureOfOneKeyTypeFailsUnderAnother) {
  MRA_ASSERT_OK_AND_ASSIGN(PrivateKey rsa,
                           PrivateKey::Generate(KeyType::kRsa, 2048));
  MRA_ASSERT_OK_AND_ASSIGN(PrivateKey ed,
                           PrivateKey::Generate(KeyType::kEd25519));
  std::string msg = "hello";
  MRA_ASSERT_OK_AND_ASSIGN(auto sig, SignDetached(rsa, AsBytes(msg)));
  EXPECT_THAT(VerifyDetached(ed.public_key(), AsBytes(msg), sig),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(SignatureTest, RawEcdsaRoundTrip) {
  MRA_ASSERT_OK_AND_ASSIGN(PrivateKey key,
                           PrivateKey::Generate(KeyType::kEcdsaP256));
  std::string msg = "quote body";
  MRA_ASSERT_OK_AND_ASSIGN(auto der, SignDetached(key, AsBytes(msg)));
  const unsigned char* p = der.data();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  ASSERT_NE(sig, nullptr);
  std::vector<uint8_t> raw(64);
  ASSERT_EQ(BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), raw.data(), 32), 32);
  ASSERT_EQ(BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), raw.data() + 32, 32), 32);
  EXPECT_THAT(VerifyEcdsaRaw(key.public_key().pkey(), AsBytes(msg), raw),
              IsOk());
  raw[5] ^= 1;
  EXPECT_THAT(VerifyEcdsaRaw(key.public_key().pkey(), AsBytes(msg), raw),
              StatusIs(absl::StatusCode::kUnauthenticated));
  raw.pop_back();
  EXPECT_THAT(VerifyEcdsaRaw(key.public_key().pkey(), AsBytes(msg), raw),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

}  // namespace
}  // namespace mra::crypto

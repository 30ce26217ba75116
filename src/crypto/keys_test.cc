#include "mra/crypto/keys.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

#include "mra/base/file.h"
#include "mra/testing/ec_keys.h"
#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"

namespace mra::crypto {
namespace {

using ::mra::testing::CompressedP256Spki;
using ::mra::testing::IsOk;
using ::mra::testing::StatusIs;

class KeyTypeTest : public ::testing::TestWithParam<KeyType> {};

TEST_P(KeyTypeTest, GeneratedKeyRoundTripsThroughPem) {
  MRA_ASSERT_OK_AND_ASSIGN(PrivateKey key,
                           PrivateKey::Generate(GetParam(), 2048));
  EXPECT_EQ(key.type(), GetParam());
  MRA_ASSERT_OK_AND_ASSIGN(SecretBytes pem, key.ToPkcs8Pem());
  MRA_ASSERT_OK_AND_ASSIGN(
      PrivateKey again,
      PrivateKey::ParsePem(pem.UnsafeView(SecretAccess::Get())));
  EXPECT_EQ(again.public_key().Fingerprint(), key.public_key().Fingerprint());
  MRA_ASSERT_OK_AND_ASSIGN(PublicKey pub,
                           PublicKey::ParsePem(key.public_key().ToPem()));
  EXPECT_EQ(pub.Fingerprint(), key.public_key().Fingerprint());
  EXPECT_EQ(pub.type(), GetParam());
}

INSTANTIATE_TEST_SUITE_P(AllTypes, KeyTypeTest,
                         ::testing::Values(KeyType::kRsa, KeyType::kEcdsaP256,
                                           KeyType::kEcdsaP384,
                                           KeyType::kEd25519));

TEST(KeysTest, ReadsReferencePkcs1Keys) {
  for (const char* name : {"albus_dumbledore", "godzilla", "optimus_prime"}) {
    std::string base = std::string("testdata/teaclave-auditors/") + name;
    auto pub_pem =
        ReadFileBounded(testing::SharedPath(base + ".public.pem"), 1 << 16);
    ASSERT_THAT(pub_pem, IsOk());
    MRA_ASSERT_OK_AND_ASSIGN(PublicKey pub, PublicKey::ParsePem(*pub_pem));
    EXPECT_EQ(pub.type(), KeyType::kRsa);
    EXPECT_GE(pub.bits(), 2048);
    auto priv_pem =
        ReadFileBounded(testing::SharedPath(base + ".private.pem"), 1 << 16);
    ASSERT_THAT(priv_pem, IsOk());
    MRA_ASSERT_OK_AND_ASSIGN(PrivateKey priv, PrivateKey::ParsePem(*priv_pem));
    // The same key in PKCS#1 and SPKI form has one fingerprint.
    EXPECT_EQ(priv.public_key().Fingerprint(), pub.Fingerprint());
  }
}

TEST(KeysTest, RejectsMalformedPem) {
  EXPECT_THAT(PublicKey::ParsePem(""),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PublicKey::ParsePem("not a key"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PublicKey::ParsePem(
                  "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      PublicKey::ParsePem(
          "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PublicKey::ParsePem("-----BEGIN PUBLIC KEY-----\nAAAA\n"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  MRA_ASSERT_OK_AND_ASSIGN(PrivateKey key,
                           PrivateKey::Generate(KeyType::kEcdsaP256));
  std::string two = key.public_key().ToPem() + key.public_key().ToPem();
  auto s = PublicKey::ParsePem(two);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_NE(s.status().message().find("more than one"), std::string::npos);
  // A private key is not accepted where a public key is expected.
  MRA_ASSERT_OK_AND_ASSIGN(SecretBytes pem, key.ToPkcs8Pem());
  EXPECT_THAT(PublicKey::ParsePem(pem.UnsafeView(SecretAccess::Get())),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(KeysTest, RejectsWeakRsaAndUnsupportedCurves) {
  EXPECT_THAT(PrivateKey::Generate(KeyType::kRsa, 1024),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EVP_PKEY* small = EVP_RSA_gen(1024);
  ASSERT_NE(small, nullptr);
  auto weak = PublicKey::FromPkey(EvpPkeyPtr(small));
  EXPECT_THAT(weak, StatusIs(absl::StatusCode::kInvalidArgument));
  EVP_PKEY* k1 = EVP_EC_gen("secp256k1");
  ASSERT_NE(k1, nullptr);
  auto curve = PublicKey::FromPkey(EvpPkeyPtr(k1));
  EXPECT_THAT(curve, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_NE(curve.status().message().find("secp256k1"), std::string::npos);
}

// One EC key in compressed and uncompressed point form is one key: same
// SubjectPublicKeyInfo (normalised to the uncompressed point) and same
// fingerprint, so it cannot pass for two auditors.
TEST(KeysTest, EcPointEncodingDoesNotChangeTheKeyIdentity) {
  MRA_ASSERT_OK_AND_ASSIGN(PrivateKey key,
                           PrivateKey::Generate(KeyType::kEcdsaP256));
  const std::vector<uint8_t>& uncompressed = key.public_key().SpkiDer();
  std::vector<uint8_t> compressed = CompressedP256Spki(uncompressed);
  MRA_ASSERT_OK_AND_ASSIGN(PublicKey pub, PublicKey::FromSpkiDer(compressed));
  EXPECT_EQ(pub.type(), KeyType::kEcdsaP256);
  EXPECT_EQ(pub.SpkiDer(), uncompressed);
  EXPECT_EQ(pub.Fingerprint(), key.public_key().Fingerprint());
  // The PEM form of the compressed key too.
  MRA_ASSERT_OK_AND_ASSIGN(PublicKey from_pem,
                           PublicKey::ParsePem(pub.ToPem()));
  EXPECT_EQ(from_pem.Fingerprint(), key.public_key().Fingerprint());
}

}  // namespace
}  // namespace mra::crypto

#include "mra/manifest/trust_anchors.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

#include "mra/testing/ec_keys.h"
#include "mra/testing/status_matchers.h"

namespace mra::manifest {
namespace {

using ::mra::testing::CompressedP256Spki;
using ::mra::testing::IsOk;
using ::mra::testing::StatusIs;

Auditor Make(const std::string& name, const crypto::PrivateKey& key) {
  return Auditor{name, key.public_key()};
}

TEST(TrustAnchorsTest, ThresholdDefaultsToAllAndIsBounded) {
  MRA_ASSERT_OK_AND_ASSIGN(
      auto k1, crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256));
  MRA_ASSERT_OK_AND_ASSIGN(
      auto k2, crypto::PrivateKey::Generate(crypto::KeyType::kEd25519));
  MRA_ASSERT_OK_AND_ASSIGN(
      auto all, TrustAnchors::Create({Make("a", k1), Make("b", k2)}, 0));
  EXPECT_EQ(all.threshold(), 2u);
  EXPECT_THAT(TrustAnchors::Create({Make("a", k1), Make("b", k2)}, 3),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(TrustAnchors::Create({}, 0),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TrustAnchorsTest, SameKeyTwiceIsRejected) {
  MRA_ASSERT_OK_AND_ASSIGN(
      auto k1, crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256));
  auto r = TrustAnchors::Create({Make("a", k1), Make("b", k1)}, 2);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_NE(std::string(r.status().message()).find("repeats key"),
            std::string::npos);
}

// One P-256 key given once with an uncompressed and once with a compressed
// point is one auditor: Create refuses it rather than count it twice.
TEST(TrustAnchorsTest, SameEcKeyInBothPointEncodingsIsRejected) {
  MRA_ASSERT_OK_AND_ASSIGN(
      auto k1, crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256));
  MRA_ASSERT_OK_AND_ASSIGN(crypto::PublicKey compressed,
                           crypto::PublicKey::FromSpkiDer(
                               CompressedP256Spki(k1.public_key().SpkiDer())));
  auto r = TrustAnchors::Create(
      {Make("a", k1), Auditor{"b", std::move(compressed)}}, 2);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_NE(std::string(r.status().message()).find("repeats key"),
            std::string::npos);
}

TEST(TrustAnchorsTest, CompiledAnchorsAreThePocAuditors) {
  MRA_ASSERT_OK_AND_ASSIGN(TrustAnchors anchors, CompiledTrustAnchors());
  ASSERT_EQ(anchors.auditors().size(), 3u);
  EXPECT_EQ(anchors.threshold(), 3u);
  EXPECT_EQ(anchors.auditors()[0].name, "auditor1");
  EXPECT_EQ(anchors.auditors()[0].key.type(), crypto::KeyType::kRsa);
  EXPECT_EQ(anchors.auditors()[1].key.type(), crypto::KeyType::kEcdsaP256);
  EXPECT_EQ(anchors.auditors()[2].key.type(), crypto::KeyType::kEd25519);
}

TEST(TrustAnchorsTest, EmbeddedGarbageNamesTheAuditor) {
  EmbeddedAuditorKey keys[] = {
      {"broken", "-----BEGIN PUBLIC KEY-----\nAA\n-----END PUBLIC KEY-----"}};
  auto r = TrustAnchors::FromEmbedded(keys, 0);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_NE(std::string(r.status().message()).find("broken"),
            std::string::npos);
}

}  // namespace
}  // namespace mra::manifest

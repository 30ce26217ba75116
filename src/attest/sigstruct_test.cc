// The simulated enclave identity sidecar.
#include "mra/attest/sigstruct.h"

#include <openssl/core_names.h>

#include <algorithm>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "src/attest/attest_test_env.h"

#include "mra/base/file.h"
#include "mra/base/hex.h"
#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"

namespace mra::attest {
namespace {

using ::mra::attest::testing::MakeSignedBinary;
using ::mra::attest::testing::SignerKey;
using ::mra::attest::testing::WriteFile;
using ::mra::testing::IsOk;
using ::mra::testing::MakeTempDir;
using ::mra::testing::StatusIs;

std::string ReadText(const std::string& path) {
  absl::StatusOr<std::string> s = ReadFileBounded(path, 1 << 20);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : std::string();
}

TEST(SigstructTest, SignerKeyIsRsa3072WithExponent3) {
  const crypto::PrivateKey& key = SignerKey();
  EXPECT_EQ(key.type(), crypto::KeyType::kRsa);
  EXPECT_EQ(key.public_key().bits(), 3072);
  BIGNUM* e = nullptr;
  ASSERT_EQ(EVP_PKEY_get_bn_param(key.pkey(), OSSL_PKEY_PARAM_RSA_E, &e), 1);
  EXPECT_TRUE(BN_is_word(e, 3));
  BN_free(e);
}

TEST(SigstructTest, MrSignerIsSha256OfTheLittleEndianModulus) {
  const crypto::PublicKey& pub = SignerKey().public_key();
  BIGNUM* n = nullptr;
  ASSERT_EQ(EVP_PKEY_get_bn_param(pub.pkey(), OSSL_PKEY_PARAM_RSA_N, &n), 1);
  std::vector<uint8_t> be(384);
  ASSERT_EQ(BN_bn2binpad(n, be.data(), 384), 384);
  BN_free(n);
  std::reverse(be.begin(), be.end());
  MRA_ASSERT_OK_AND_ASSIGN(crypto::Sha256Digest mr_signer, MrSignerOf(pub));
  EXPECT_EQ(mr_signer, crypto::Sha256(be));
}

TEST(SigstructTest, MrSignerNeedsAnRsaKey) {
  MRA_ASSERT_OK_AND_ASSIGN(
      crypto::PrivateKey ec,
      crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256));
  EXPECT_THAT(MrSignerOf(ec.public_key()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  std::string dir = MakeTempDir();
  WriteFile(dir + "/app", "x");
  EXPECT_THAT(SignSigstruct(dir + "/app", ec, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SigstructTest, SignedSidecarRoundTrips) {
  std::string dir = MakeTempDir();
  EnclaveSignOptions opts;
  opts.isv_prod_id = 7;
  opts.isv_svn = 3;
  opts.debug = true;
  std::string binary = MakeSignedBinary(dir, "app", "hello enclave", opts);
  MRA_ASSERT_OK_AND_ASSIGN(SimSigstruct s, LoadVerifiedSigstruct(binary));
  EXPECT_EQ(s.mr_enclave, crypto::Sha256(crypto::AsBytes("hello enclave")));
  MRA_ASSERT_OK_AND_ASSIGN(crypto::Sha256Digest mr_signer,
                           MrSignerOf(SignerKey().public_key()));
  EXPECT_EQ(s.mr_signer, mr_signer);
  EXPECT_EQ(s.isv_prod_id, 7);
  EXPECT_EQ(s.isv_svn, 3);
  EXPECT_TRUE(s.Debug());
  EXPECT_EQ(s.attributes[0],
            kAttributeInit | kAttributeDebug | kAttributeMode64Bit);
  std::string text = ReadText(SigstructPathFor(binary));
  EXPECT_NE(text.find("DEVELOPMENT ONLY"), std::string::npos);
  EXPECT_NE(text.find(HexEncode(s.mr_enclave)), std::string::npos);

  std::string release = MakeSignedBinary(dir, "rel", "hello enclave");
  MRA_ASSERT_OK_AND_ASSIGN(SimSigstruct r, LoadVerifiedSigstruct(release));
  EXPECT_FALSE(r.Debug());
  EXPECT_EQ(r.mr_enclave, s.mr_enclave);
}

TEST(SigstructTest, MeasureFileStreamsLargeFiles) {
  std::string dir = MakeTempDir();
  std::string big(3 * (1 << 20) + 17, 'z');
  WriteFile(dir + "/big", big);
  MRA_ASSERT_OK_AND_ASSIGN(crypto::Sha256Digest d, MeasureFile(dir + "/big"));
  EXPECT_EQ(d, crypto::Sha256(crypto::AsBytes(big)));
  EXPECT_THAT(MeasureFile(dir + "/none"),
              StatusIs(absl::StatusCode::kNotFound));
}

// Each edit of a signed field (or of the key) makes the sidecar refused.
class SigstructTamperTest
    : public ::testing::TestWithParam<std::pair<const char*, nlohmann::json>> {
};

TEST_P(SigstructTamperTest, EditedSidecarIsRefused) {
  std::string dir = MakeTempDir();
  std::string binary = MakeSignedBinary(dir, "app", "payload");
  nlohmann::json j = nlohmann::json::parse(ReadText(SigstructPathFor(binary)));
  j[GetParam().first] = GetParam().second;
  WriteFile(SigstructPathFor(binary), j.dump(2));
  EXPECT_THAT(LoadVerifiedSigstruct(binary),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

INSTANTIATE_TEST_SUITE_P(
    Fields, SigstructTamperTest,
    ::testing::Values(
        std::make_pair("isv_svn", nlohmann::json(9)),
        std::make_pair("isv_prod_id", nlohmann::json(1)),
        std::make_pair("attributes",
                       nlohmann::json("07000000000000000300000000000000")),
        std::make_pair("misc_select", nlohmann::json(1)),
        std::make_pair("mr_signer", nlohmann::json(std::string(64, 'a'))),
        std::make_pair("signature", nlohmann::json(std::string(768, '0')))));

TEST(SigstructTest, SidecarResignedWithAnotherKeyHasAnotherMrSigner) {
  std::string dir = MakeTempDir();
  std::string binary = MakeSignedBinary(dir, "app", "payload");
  MRA_ASSERT_OK_AND_ASSIGN(
      crypto::PrivateKey other,
      crypto::PrivateKey::Generate(crypto::KeyType::kRsa, 2048));
  // Swapping only the public key: MRSIGNER no longer matches.
  nlohmann::json j = nlohmann::json::parse(ReadText(SigstructPathFor(binary)));
  j["signer_public_key"] = other.public_key().ToPem();
  WriteFile(SigstructPathFor(binary), j.dump());
  EXPECT_THAT(LoadVerifiedSigstruct(binary),
              StatusIs(absl::StatusCode::kUnauthenticated));
  // A complete re-signing verifies but names the other signer.
  MRA_ASSERT_OK_AND_ASSIGN(std::string text, SignSigstruct(binary, other, {}));
  WriteFile(SigstructPathFor(binary), text);
  MRA_ASSERT_OK_AND_ASSIGN(SimSigstruct s, LoadVerifiedSigstruct(binary));
  MRA_ASSERT_OK_AND_ASSIGN(crypto::Sha256Digest theirs,
                           MrSignerOf(other.public_key()));
  EXPECT_EQ(s.mr_signer, theirs);
}

TEST(SigstructTest, ChangedBinaryIsRefused) {
  std::string dir = MakeTempDir();
  std::string binary = MakeSignedBinary(dir, "app", "version 1");
  WriteFile(binary, "version 2");
  absl::StatusOr<SimSigstruct> s = LoadVerifiedSigstruct(binary);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_NE(s.status().message().find("changed after signing"),
            std::string::npos);
}

TEST(SigstructTest, MissingSidecarIsNotFoundAndSaysHowToFix) {
  std::string dir = MakeTempDir();
  WriteFile(dir + "/app", "x");
  absl::StatusOr<SimSigstruct> s = LoadVerifiedSigstruct(dir + "/app");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_NE(s.status().message().find("mra enclave sign"), std::string::npos);
}

TEST(SigstructTest, MalformedSidecarsAreInvalidArgument) {
  std::string dir = MakeTempDir();
  std::string binary = MakeSignedBinary(dir, "app", "payload");
  std::string good = ReadText(SigstructPathFor(binary));
  EXPECT_THAT(ParseSigstruct(good), IsOk());
  EXPECT_THAT(ParseSigstruct("not json"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  nlohmann::json j = nlohmann::json::parse(good);
  nlohmann::json extra = j;
  extra["mr_config"] = "x";
  EXPECT_THAT(ParseSigstruct(extra.dump()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  nlohmann::json missing = j;
  missing.erase("isv_svn");
  EXPECT_THAT(ParseSigstruct(missing.dump()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  nlohmann::json big = j;
  big["isv_svn"] = 70000;
  EXPECT_THAT(ParseSigstruct(big.dump()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  nlohmann::json format = j;
  format["format"] = "mra-sim-sigstruct/2";
  EXPECT_THAT(ParseSigstruct(format.dump()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace mra::attest

// Copyright The mra Authors.
//
// Start-up step 2 (LoadAndVerifyManifest) with the platform's config layout.

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "mra/base/clock.h"
#include "mra/crypto/digest.h"
#include "mra/crypto/keys.h"
#include "mra/crypto/signature.h"
#include "mra/manifest/rollback_state.h"
#include "mra/manifest/trust_anchors.h"
#include "mra/manifest/verifier.h"
#include "mra/platform/access_control.h"
#include "mra/platform/config.h"
#include "mra/platform/service_main.h"
#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"

namespace mra::platform {
namespace {

using ::mra::testing::FailsWith;
using ::mra::testing::IsOk;
using ::mra::testing::StatusIs;
using ::testing::HasSubstr;

std::string Hex64(char c) { return std::string(64, c); }

std::string ManifestText(int version, const std::vector<std::string>& services,
                         const std::string& deployment = "demo") {
  std::string text = "version = " + std::to_string(version) +
                     "\nexpires = 2031-01-01T00:00:00Z\n"
                     "deployment = \"" +
                     deployment + "\"\n";
  char fill = 'a';
  for (const std::string& s : services) {
    text += "\n[" + s + "]\nmr_enclave = \"" + Hex64(fill++) +
            "\"\nmr_signer = \"" + Hex64('f') + "\"\n";
  }
  return text;
}

class StartupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::mra::testing::MakeTempDir();
    std::vector<manifest::Auditor> auditors;
    for (const char* name : {"auditor-a", "auditor-b"}) {
      MRA_ASSERT_OK_AND_ASSIGN(
          crypto::PrivateKey key,
          crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256));
      auditors.push_back({name, key.public_key()});
      keys_.push_back(std::move(key));
    }
    MRA_ASSERT_OK_AND_ASSIGN(
        anchors_, manifest::TrustAnchors::Create(std::move(auditors), 2));
    MRA_ASSERT_OK_AND_ASSIGN(config_, ParseDeploymentConfig("", "t", dir_));
    std::filesystem::create_directories(config_.manifest.signature_dir);
  }

  // Publish writes the manifest and signatures by the first `signers` keys.
  void Publish(const std::string& text, size_t signers) {
    std::ofstream(config_.manifest.path, std::ios::binary) << text;
    for (const auto& entry :
         std::filesystem::directory_iterator(config_.manifest.signature_dir)) {
      std::filesystem::remove(entry.path());
    }
    for (size_t i = 0; i < signers; ++i) {
      MRA_ASSERT_OK_AND_ASSIGN(
          std::vector<uint8_t> sig,
          crypto::SignDetached(keys_[i], crypto::AsBytes(text)));
      std::ofstream(config_.manifest.signature_dir + "/auditor" +
                        std::to_string(i) + ".sig",
                    std::ios::binary)
          .write(reinterpret_cast<const char*>(sig.data()),
                 static_cast<std::streamsize>(sig.size()));
    }
  }

  absl::StatusOr<manifest::VerifiedManifest> Verify(const ServiceAcl& acl) {
    return LoadAndVerifyManifest(config_, acl, *anchors_, clock_);
  }

  std::string dir_;
  std::vector<crypto::PrivateKey> keys_;
  std::optional<manifest::TrustAnchors> anchors_;
  DeploymentConfig config_;
  FixedClock clock_{absl::FromUnixSeconds(1'900'000'000)};  // 2030.
};

TEST_F(StartupTest, VerifiesAndRecordsRollbackState) {
  Publish(ManifestText(3, {"frontend", "authentication", "storage"}), 2);
  MRA_ASSERT_OK_AND_ASSIGN(manifest::VerifiedManifest m, Verify(kStorageAcl));
  EXPECT_EQ(m.manifest.version, 3u);
  EXPECT_EQ(m.signers.size(), 2u);
  EXPECT_TRUE(
      std::filesystem::exists(config_.Service("storage").rollback_state));
  EXPECT_THAT(Verify(kFrontendAcl), IsOk());
}

TEST_F(StartupTest, BelowThresholdRefused) {
  Publish(ManifestText(1, {"frontend", "authentication", "storage"}), 1);
  EXPECT_THAT(Verify(kStorageAcl), FailsWith(VerifyFailure::kThresholdNotMet));
}

TEST_F(StartupTest, NoSignaturesRefused) {
  Publish(ManifestText(1, {"frontend", "authentication", "storage"}), 0);
  EXPECT_THAT(Verify(kStorageAcl), FailsWith(VerifyFailure::kThresholdNotMet));
}

TEST_F(StartupTest, OtherDeploymentRefused) {
  Publish(ManifestText(1, {"frontend", "authentication", "storage"}, "prod"),
          2);
  EXPECT_THAT(Verify(kStorageAcl),
              FailsWith(VerifyFailure::kDeploymentMismatch));
}

TEST_F(StartupTest, RollbackAcrossRestartsRefused) {
  Publish(ManifestText(5, {"frontend", "authentication", "storage"}), 2);
  ASSERT_THAT(Verify(kStorageAcl), IsOk());
  Publish(ManifestText(4, {"frontend", "authentication", "storage"}), 2);
  EXPECT_THAT(Verify(kStorageAcl), FailsWith(VerifyFailure::kManifestRollback));
  // Each service keeps its own floor.
  EXPECT_THAT(Verify(kAuthenticationAcl), IsOk());
}

TEST_F(StartupTest, ManifestMustListSelfAndPeers) {
  Publish(ManifestText(1, {"frontend", "authentication"}), 2);
  absl::StatusOr<manifest::VerifiedManifest> storage = Verify(kStorageAcl);
  EXPECT_THAT(storage, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(storage.status().message()),
              HasSubstr("no entry for this service 'storage'"));
  absl::StatusOr<manifest::VerifiedManifest> frontend = Verify(kFrontendAcl);
  EXPECT_THAT(frontend, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(frontend.status().message()),
              HasSubstr("no entry for 'storage', which frontend must call"));
  EXPECT_THAT(Verify(kAuthenticationAcl), IsOk());
}

// A manifest the service refuses (it lacks a service this one needs) must not
// advance the persisted rollback floor: only an accepted manifest does.
TEST_F(StartupTest, RefusedManifestLeavesTheRollbackFloor) {
  Publish(ManifestText(1, {"frontend", "authentication", "storage"}), 2);
  ASSERT_THAT(Verify(kFrontendAcl), IsOk());
  manifest::RollbackStateFile state(config_.Service("frontend").rollback_state);
  MRA_ASSERT_OK_AND_ASSIGN(std::optional<manifest::RollbackRecord> before,
                           state.Load());
  ASSERT_TRUE(before.has_value());
  ASSERT_EQ(before->highest_version, 1u);

  Publish(ManifestText(2, {"frontend", "authentication"}), 2);
  EXPECT_THAT(Verify(kFrontendAcl),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  MRA_ASSERT_OK_AND_ASSIGN(std::optional<manifest::RollbackRecord> after,
                           state.Load());
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->highest_version, 1u);
  EXPECT_EQ(after->manifest_sha256, before->manifest_sha256);
  // So the manifest the service accepted can still be used.
  Publish(ManifestText(1, {"frontend", "authentication", "storage"}), 2);
  EXPECT_THAT(Verify(kFrontendAcl), IsOk());
}

TEST_F(StartupTest, MissingManifestFileNamed) {
  absl::StatusOr<manifest::VerifiedManifest> m = Verify(kStorageAcl);
  EXPECT_THAT(m, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(std::string(m.status().message()),
              HasSubstr(config_.manifest.path));
}

}  // namespace
}  // namespace mra::platform

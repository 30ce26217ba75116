#include "mra/manifest/verifier.h"

#include <filesystem>
#include <optional>
#include <thread>
#include <utility>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

#include "mra/base/file.h"
#include "mra/crypto/signature.h"
#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"

namespace mra::manifest {
namespace {

using ::mra::testing::FailsWith;
using ::mra::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kA(64, 'a');
const std::string kB(64, 'b');

std::string Text(uint64_t version, const std::string& extra = "") {
  return "version = " + std::to_string(version) +
         "\nexpires = 2030-01-01T00:00:00Z\ndeployment = \"demo\"\n" + extra +
         "[frontend]\nmr_enclave = \"" + kA + "\"\nmr_signer = \"" + kB +
         "\"\n";
}

class VerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const crypto::KeyType types[] = {crypto::KeyType::kRsa,
                                     crypto::KeyType::kEcdsaP256,
                                     crypto::KeyType::kEd25519};
    std::vector<Auditor> auditors;
    for (int i = 0; i < 3; ++i) {
      auto key = crypto::PrivateKey::Generate(types[i], 2048);
      ASSERT_THAT(key, IsOk());
      auditors.push_back(Auditor{"aud" + std::to_string(i), key->public_key()});
      keys_.push_back(*std::move(key));
    }
    auto anchors = TrustAnchors::Create(std::move(auditors), 2);
    ASSERT_THAT(anchors, IsOk());
    anchors_.emplace(*std::move(anchors));
    dir_ = testing::MakeTempDir();
    state_.emplace(dir_ + "/state.json");
    options_.expected_deployment = "demo";
    options_.clock = &clock_;
    options_.state = &*state_;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  DetachedSignature Sign(size_t i, const std::string& text) {
    auto sig = crypto::SignDetached(keys_[i], crypto::AsBytes(text));
    EXPECT_THAT(sig, IsOk());
    return {"sig" + std::to_string(i), *sig};
  }
  std::vector<DetachedSignature> Signed(const std::string& text) {
    return {Sign(0, text), Sign(1, text)};
  }
  absl::StatusOr<VerifiedManifest> Verify(
      const std::string& text, const std::vector<DetachedSignature>& sigs) {
    return VerifyManifest(text, sigs, *anchors_, options_);
  }

  std::vector<crypto::PrivateKey> keys_;
  std::optional<TrustAnchors> anchors_;
  std::string dir_;
  std::optional<RollbackStateFile> state_;
  FixedClock clock_{absl::FromUnixSeconds(1800000000)};  // 2027-01-15.
  VerifyOptions options_;
};

TEST_F(VerifierTest, AcceptsThresholdOfDistinctAuditors) {
  std::string text = Text(1);
  MRA_ASSERT_OK_AND_ASSIGN(VerifiedManifest v,
                           Verify(text, {Sign(0, text), Sign(2, text)}));
  EXPECT_THAT(v.signers, ElementsAre("aud0", "aud2"));
  EXPECT_EQ(v.manifest.version, 1u);
  ASSERT_EQ(v.signatures.size(), 2u);
  EXPECT_TRUE(v.signatures[0].counted);
}

TEST_F(VerifierTest, ZeroSignaturesFail) {
  EXPECT_THAT(Verify(Text(1), {}), FailsWith(VerifyFailure::kThresholdNotMet));
}

TEST_F(VerifierTest, OneSignatureThreeTimesCountsOnce) {
  std::string text = Text(1);
  DetachedSignature s = Sign(1, text);
  auto r = Verify(text, {s, s, s});
  EXPECT_THAT(r, FailsWith(VerifyFailure::kThresholdNotMet));
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("1 distinct auditor"));
  std::vector<SignatureVerdict> verdicts;
  std::vector<DetachedSignature> sigs = {s, s, s};
  auto signers = CountSignatures(text, sigs, *anchors_, &verdicts);
  EXPECT_THAT(signers, ElementsAre("aud1"));
  EXPECT_THAT(verdicts[1].note, HasSubstr("duplicate"));
}

TEST_F(VerifierTest, KMinusOneDistinctSignersFail) {
  std::string text = Text(1);
  EXPECT_THAT(Verify(text, {Sign(0, text)}),
              FailsWith(VerifyFailure::kThresholdNotMet));
}

TEST_F(VerifierTest, NonAuditorSignatureDoesNotCount) {
  std::string text = Text(1);
  MRA_ASSERT_OK_AND_ASSIGN(
      auto stranger, crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256));
  auto sig = crypto::SignDetached(stranger, crypto::AsBytes(text));
  ASSERT_THAT(sig, IsOk());
  EXPECT_THAT(Verify(text, {Sign(0, text), {"stranger", *sig}}),
              FailsWith(VerifyFailure::kThresholdNotMet));
  EXPECT_THAT(Verify(text, {Sign(0, text), {"garbage", {1, 2, 3}}}),
              FailsWith(VerifyFailure::kThresholdNotMet));
}

TEST_F(VerifierTest, FlippedByteInManifestFails) {
  std::string text = Text(1);
  auto sigs = std::vector<DetachedSignature>{Sign(0, text), Sign(1, text)};
  std::string tampered = text;
  tampered[tampered.size() - 3] ^= 0x01;  // Inside mr_signer: still valid TOML.
  EXPECT_THAT(Verify(tampered, sigs),
              FailsWith(VerifyFailure::kThresholdNotMet));
  EXPECT_THAT(Verify(text + " ", sigs),
              FailsWith(VerifyFailure::kThresholdNotMet));
}

TEST_F(VerifierTest, ExpiredManifestFails) {
  std::string text = Text(1);
  FixedClock later(absl::FromUnixSeconds(1900000000));  // 2030-03.
  options_.clock = &later;
  auto r = Verify(text, {Sign(0, text), Sign(1, text)});
  EXPECT_THAT(r, FailsWith(VerifyFailure::kManifestExpired));
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("2030-01-01T00:00:00Z"));
}

TEST_F(VerifierTest, WrongDeploymentFails) {
  std::string text = Text(1);
  options_.expected_deployment = "prod";
  auto r = Verify(text, {Sign(0, text), Sign(1, text)});
  EXPECT_THAT(r, FailsWith(VerifyFailure::kDeploymentMismatch));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("'demo'"));
}

TEST_F(VerifierTest, SignedButMalformedManifestFails) {
  std::string text = "[frontend]\nmr_enclave = \"abc\"\n";
  EXPECT_THAT(Verify(text, {Sign(0, text), Sign(1, text)}),
              FailsWith(VerifyFailure::kManifestMalformed));
}

TEST_F(VerifierTest, RequiredFieldsAreEnforcedWhenAsked) {
  std::string text =
      "[frontend]\nmr_enclave = \"" + kA + "\"\nmr_signer = \"" + kB + "\"\n";
  options_.expected_deployment.clear();
  options_.require_version = true;
  EXPECT_THAT(Verify(text, {Sign(0, text), Sign(1, text)}),
              FailsWith(VerifyFailure::kManifestMalformed));
  options_.require_version = false;
  options_.require_expires = true;
  EXPECT_THAT(Verify(text, {Sign(0, text), Sign(1, text)}),
              FailsWith(VerifyFailure::kManifestMalformed));
}

TEST_F(VerifierTest, RollbackAcrossRestartFails) {
  std::string v2 = Text(2);
  ASSERT_THAT(Verify(v2, {Sign(0, v2), Sign(1, v2)}), IsOk());
  // Same manifest again (a restart) is fine.
  ASSERT_THAT(Verify(v2, {Sign(0, v2), Sign(1, v2)}), IsOk());
  // "Restart": a fresh state object over the same file.
  RollbackStateFile reopened(state_->path());
  options_.state = &reopened;
  std::string v1 = Text(1);
  auto r = Verify(v1, {Sign(0, v1), Sign(1, v1)});
  EXPECT_THAT(r, FailsWith(VerifyFailure::kManifestRollback));
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("lower than version 2"));
  // A forward move is accepted and persisted.
  std::string v3 = Text(3);
  ASSERT_THAT(Verify(v3, {Sign(1, v3), Sign(2, v3)}), IsOk());
  MRA_ASSERT_OK_AND_ASSIGN(auto rec, reopened.Load());
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->highest_version, 3u);
  EXPECT_THAT(Verify(v2, {Sign(0, v2), Sign(1, v2)}),
              FailsWith(VerifyFailure::kManifestRollback));
}

// VerifyManifestUncommitted checks the floor but never writes it; the
// caller's CommitRollbackState does, after checking the floor again.
TEST_F(VerifierTest, UncommittedVerificationLeavesTheStateUntilCommitted) {
  std::string v2 = Text(2);
  ASSERT_THAT(Verify(v2, {Sign(0, v2), Sign(1, v2)}), IsOk());
  std::string v3 = Text(3);
  MRA_ASSERT_OK_AND_ASSIGN(
      VerifiedManifest m3,
      VerifyManifestUncommitted(v3, Signed(v3), *anchors_, options_));
  MRA_ASSERT_OK_AND_ASSIGN(std::optional<RollbackRecord> record,
                           state_->Load());
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->highest_version, 2u);
  // The floor is still checked: an older manifest is refused uncommitted too.
  std::string v1 = Text(1);
  EXPECT_THAT(VerifyManifestUncommitted(v1, Signed(v1), *anchors_, options_),
              FailsWith(VerifyFailure::kManifestRollback));
  ASSERT_THAT(CommitRollbackState(m3, *state_), IsOk());
  MRA_ASSERT_OK_AND_ASSIGN(record, state_->Load());
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->highest_version, 3u);
  // Committing re-checks against the state as it is now.
  std::string v4 = Text(4);
  MRA_ASSERT_OK_AND_ASSIGN(
      VerifiedManifest m4,
      VerifyManifestUncommitted(v4, Signed(v4), *anchors_, options_));
  ASSERT_THAT(Verify(Text(5), {Sign(0, Text(5)), Sign(1, Text(5))}), IsOk());
  EXPECT_THAT(CommitRollbackState(m4, *state_),
              FailsWith(VerifyFailure::kManifestRollback));
}

// Committing holds the state file's lock across its check and store: while
// another holder (another process sharing the file) has it, a commit waits.
TEST_F(VerifierTest, CommitWaitsForTheStateLock) {
  std::string v2 = Text(2);
  MRA_ASSERT_OK_AND_ASSIGN(
      VerifiedManifest m2,
      VerifyManifestUncommitted(v2, Signed(v2), *anchors_, options_));
  RollbackStateFile other(state_->path());
  std::optional<StateLock> held;
  {
    MRA_ASSERT_OK_AND_ASSIGN(StateLock lock,
                             other.LockExclusive(absl::Seconds(1)));
    held.emplace(std::move(lock));
  }
  std::thread release([&] {
    absl::SleepFor(absl::Milliseconds(300));
    held.reset();
  });
  const absl::Time start = absl::Now();
  EXPECT_THAT(CommitRollbackState(m2, *state_), IsOk());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(250));
  release.join();
  MRA_ASSERT_OK_AND_ASSIGN(std::optional<RollbackRecord> record,
                           state_->Load());
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->highest_version, 2u);
}

TEST_F(VerifierTest, SameVersionDifferentContentFails) {
  std::string v2 = Text(2);
  ASSERT_THAT(Verify(v2, {Sign(0, v2), Sign(1, v2)}), IsOk());
  std::string other = Text(2, "# re-signed with other content\n");
  EXPECT_THAT(Verify(other, {Sign(0, other), Sign(1, other)}),
              FailsWith(VerifyFailure::kManifestVersionConflict));
}

TEST_F(VerifierTest, CorruptStateFileFailsClosed) {
  std::string v2 = Text(2);
  for (const std::string& bad :
       {std::string("{not json"), std::string("[]"),
        std::string(
            "{\"format\":1,\"highest_version\":-4,\"manifest_sha256\":\"" +
            std::string(64, '0') + "\",\"deployment\":\"demo\"}"),
        std::string(
            "{\"format\":1,\"highest_version\":1,\"manifest_sha256\":\"xx\","
            "\"deployment\":\"demo\"}"),
        std::string("{\"format\":2}"), std::string("")}) {
    ASSERT_THAT(WriteFileAtomic(state_->path(), bad), IsOk());
    EXPECT_THAT(Verify(v2, {Sign(0, v2), Sign(1, v2)}),
                FailsWith(VerifyFailure::kStateCorrupt))
        << bad;
    // The corrupt file is left for the operator, not overwritten.
    EXPECT_EQ(*ReadFileBounded(state_->path(), 1 << 16), bad);
  }
}

TEST_F(VerifierTest, StateOfAnotherDeploymentIsRefused) {
  ASSERT_THAT(state_->Store({5, std::string(64, '0'), "other"}), IsOk());
  std::string v2 = Text(6);
  EXPECT_THAT(Verify(v2, {Sign(0, v2), Sign(1, v2)}),
              FailsWith(VerifyFailure::kStateCorrupt));
}

TEST_F(VerifierTest, UnwritableStateFailsClosed) {
  RollbackStateFile nowhere(dir_ + "/missing-dir/state.json");
  options_.state = &nowhere;
  std::string v2 = Text(2);
  auto r = Verify(v2, {Sign(0, v2), Sign(1, v2)});
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace mra::manifest

// Attacks on the auditor-signed manifest, through VerifyManifest with the
// trust anchors COMPILED into this binary (the three proof-of-concept
// auditors, threshold 3 of 3), a rollback state file and the deployment a
// service is configured with: exactly what a service runs at start-up and on
// every reload. Each test asserts the refusal and its verdict.

#include <filesystem>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/attacks/attack_world.h"

#include "mra/base/clock.h"
#include "mra/base/file.h"
#include "mra/crypto/keys.h"
#include "mra/manifest/trust_anchors.h"
#include "mra/manifest/verifier.h"
#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"

namespace mra::attacks {
namespace {

using ::mra::testing::FailsWith;
using ::mra::testing::IsOk;
using ::testing::ElementsAre;

class Attack : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<const AttackWorld*> world = AttackWorld::Get();
    ASSERT_THAT(world, IsOk());
    world_ = *world;
    absl::StatusOr<manifest::TrustAnchors> anchors =
        manifest::CompiledTrustAnchors();
    ASSERT_THAT(anchors, IsOk());
    ASSERT_EQ(anchors->threshold(), 3u) << "the PoC build requires 3 of 3";
    anchors_.emplace(*std::move(anchors));
    state_dir_ = ::mra::testing::MakeTempDir();
    state_.emplace(state_dir_ + "/state.json");
    options_.expected_deployment = std::string(kDeployment);
    options_.state = &*state_;
    options_.require_version = true;
    options_.require_expires = true;
    options_.clock = &clock_;
  }
  void TearDown() override { std::filesystem::remove_all(state_dir_); }

  // Manifest renders a manifest valid for 30 days from the test's "now".
  std::string Manifest(uint64_t version, std::string extra = "") const {
    ManifestSpec spec;
    spec.version = version;
    spec.expires = clock_.Now() + absl::Hours(24 * 30);
    spec.extra = std::move(extra);
    return world_->RenderManifest(spec);
  }

  absl::StatusOr<manifest::VerifiedManifest> Verify(
      const std::string& toml,
      const std::vector<manifest::DetachedSignature>& sigs) const {
    return manifest::VerifyManifest(toml, sigs, *anchors_, options_);
  }

  // SignedByAll returns the three auditors' signatures over `toml`.
  std::vector<manifest::DetachedSignature> SignedByAll(
      const std::string& toml) const {
    absl::StatusOr<std::vector<manifest::DetachedSignature>> sigs =
        SignManifest(toml, {1, 2, 3});
    EXPECT_THAT(sigs, IsOk());
    return sigs.ok() ? *sigs : std::vector<manifest::DetachedSignature>{};
  }

  const AttackWorld* world_ = nullptr;
  FixedClock clock_{absl::FromUnixSeconds(1893456000)};  // 2030-01-01.
  std::optional<manifest::TrustAnchors> anchors_;
  std::string state_dir_;
  std::optional<manifest::RollbackStateFile> state_;
  manifest::VerifyOptions options_;
};

// Control: the legitimate manifest, signed by all three auditors, verifies.
TEST_F(Attack, ControlAllThreeAuditorsVerify) {
  const std::string toml = Manifest(1);
  absl::StatusOr<manifest::VerifiedManifest> v =
      Verify(toml, SignedByAll(toml));
  ASSERT_THAT(v, IsOk());
  EXPECT_THAT(v->signers, ElementsAre("auditor1", "auditor2", "auditor3"));
}

// The reference design's hole: a manifest with no signatures at all.
TEST_F(Attack, UnsignedManifestIsRefused) {
  EXPECT_THAT(Verify(Manifest(1), {}),
              FailsWith(VerifyFailure::kThresholdNotMet));
}

// One auditor's signature repeated three times counts once.
TEST_F(Attack, DuplicateAuditorSignatureDoesNotCount) {
  const std::string toml = Manifest(1);
  absl::StatusOr<std::vector<manifest::DetachedSignature>> sigs =
      SignManifest(toml, {1, 1, 1});
  ASSERT_THAT(sigs, IsOk());
  std::vector<manifest::SignatureVerdict> verdicts;
  EXPECT_THAT(manifest::CountSignatures(toml, *sigs, *anchors_, &verdicts),
              ElementsAre("auditor1"));
  EXPECT_THAT(Verify(toml, *sigs), FailsWith(VerifyFailure::kThresholdNotMet));
}

// Two real auditors plus a signature by a key that is not an anchor.
TEST_F(Attack, UnknownAuditorKeySignatureDoesNotCount) {
  const std::string toml = Manifest(1);
  absl::StatusOr<std::vector<manifest::DetachedSignature>> sigs =
      SignManifest(toml, {1, 2});
  ASSERT_THAT(sigs, IsOk());
  absl::StatusOr<crypto::PrivateKey> rogue =
      crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256);
  ASSERT_THAT(rogue, IsOk());
  absl::StatusOr<manifest::DetachedSignature> extra =
      SignWith(*rogue, toml, "rogue.sig");
  ASSERT_THAT(extra, IsOk());
  sigs->push_back(*extra);
  EXPECT_THAT(Verify(toml, *sigs), FailsWith(VerifyFailure::kThresholdNotMet));
}

// Two of three auditors (a partial set) do not meet the compiled threshold.
TEST_F(Attack, PartialAuditorSignaturesAreRefused) {
  const std::string toml = Manifest(1);
  for (auto subset :
       {std::vector<int>{1, 2}, std::vector<int>{2, 3}, std::vector<int>{3}}) {
    std::vector<manifest::DetachedSignature> sigs;
    for (int n : subset) {
      absl::StatusOr<std::vector<manifest::DetachedSignature>> one =
          SignManifest(toml, {n});
      ASSERT_THAT(one, IsOk());
      sigs.push_back((*one)[0]);
    }
    EXPECT_THAT(Verify(toml, sigs), FailsWith(VerifyFailure::kThresholdNotMet))
        << subset.size() << " auditors";
  }
}

// A rogue auditor (or a minority) cannot approve an attacker's manifest even
// with a 2-of-3 policy: its signature, however often repeated, counts once,
// and the other auditors' signatures over the honest manifest are over other
// bytes.
TEST_F(Attack, RogueAuditorMinorityCannotApproveManifest) {
  std::vector<manifest::Auditor> auditors;
  for (const manifest::Auditor& a : anchors_->auditors()) {
    auditors.push_back(a);
  }
  absl::StatusOr<manifest::TrustAnchors> two_of_three =
      manifest::TrustAnchors::Create(auditors, 2);
  ASSERT_THAT(two_of_three, IsOk());
  const std::string honest = Manifest(1);
  const std::string evil =
      Manifest(1, "\n[backdoor]\nmr_enclave = \"" + std::string(64, 'e') +
                      "\"\nmr_signer = \"" + std::string(64, 'e') + "\"\n");
  absl::StatusOr<std::vector<manifest::DetachedSignature>> rogue =
      SignManifest(evil, {3, 3, 3});
  absl::StatusOr<std::vector<manifest::DetachedSignature>> others =
      SignManifest(honest, {1, 2});
  ASSERT_THAT(rogue, IsOk());
  ASSERT_THAT(others, IsOk());
  std::vector<manifest::DetachedSignature> sigs = *rogue;
  sigs.insert(sigs.end(), others->begin(), others->end());
  EXPECT_THAT(manifest::VerifyManifest(evil, sigs, *two_of_three, options_),
              FailsWith(VerifyFailure::kThresholdNotMet));
}

// Signatures over the honest manifest do not carry over to an edited one
// (an identity added after signing).
TEST_F(Attack, SignaturesDoNotCoverAnEditedManifest) {
  const std::string honest = Manifest(1);
  std::vector<manifest::DetachedSignature> sigs = SignedByAll(honest);
  const std::string edited = honest + "\n[backdoor]\nmr_enclave = \"" +
                             std::string(64, 'e') + "\"\nmr_signer = \"" +
                             std::string(64, 'e') + "\"\n";
  EXPECT_THAT(Verify(edited, sigs), FailsWith(VerifyFailure::kThresholdNotMet));
  // Even a whitespace change invalidates them (signatures over exact bytes).
  EXPECT_THAT(Verify(honest + "\n", sigs),
              FailsWith(VerifyFailure::kThresholdNotMet));
}

// An older, properly signed and unexpired manifest (e.g. one that still
// lists a since-revoked identity) is refused once a newer one was accepted,
// also after a restart (a new RollbackStateFile over the same file).
TEST_F(Attack, ManifestRollbackIsRefused) {
  const std::string v5 = Manifest(5);
  const std::string v4 = Manifest(4);
  ASSERT_THAT(Verify(v5, SignedByAll(v5)), IsOk());
  EXPECT_THAT(Verify(v4, SignedByAll(v4)),
              FailsWith(VerifyFailure::kManifestRollback));
  manifest::RollbackStateFile restarted(state_->path());
  options_.state = &restarted;
  EXPECT_THAT(Verify(v4, SignedByAll(v4)),
              FailsWith(VerifyFailure::kManifestRollback));
}

// The same version number with other content (a second, conflicting
// manifest signed under one version) is refused.
TEST_F(Attack, SameVersionWithOtherContentIsRefused) {
  const std::string a = Manifest(5);
  const std::string b = Manifest(5, "# another build of version 5\n");
  ASSERT_THAT(Verify(a, SignedByAll(a)), IsOk());
  EXPECT_THAT(Verify(b, SignedByAll(b)),
              FailsWith(VerifyFailure::kManifestVersionConflict));
}

// A host that tampers with the rollback state file (to lower the floor) makes
// the service refuse, not guess.
TEST_F(Attack, TamperedRollbackStateFailsClosed) {
  const std::string v5 = Manifest(5);
  ASSERT_THAT(Verify(v5, SignedByAll(v5)), IsOk());
  for (std::string_view junk :
       {std::string_view("{\"format\":1,\"highest_version\":-1}"),
        std::string_view("not json"), std::string_view("")}) {
    ASSERT_THAT(WriteFileAtomic(state_->path(), junk, 0600), IsOk());
    EXPECT_THAT(Verify(v5, SignedByAll(v5)),
                FailsWith(VerifyFailure::kStateCorrupt))
        << junk;
  }
}

// Freeze: an attacker who keeps serving an old manifest forever (blocking
// updates) is stopped by its expiry.
TEST_F(Attack, FrozenManifestExpires) {
  const std::string toml = Manifest(1);
  std::vector<manifest::DetachedSignature> sigs = SignedByAll(toml);
  FixedClock later(clock_.Now() + absl::Hours(24 * 30) + absl::Seconds(1));
  options_.clock = &later;
  EXPECT_THAT(Verify(toml, sigs), FailsWith(VerifyFailure::kManifestExpired));
}

// A manifest without an expiry cannot be frozen in either: services require
// the field.
TEST_F(Attack, ManifestWithoutExpiryIsRefused) {
  ManifestSpec spec;
  spec.expires = absl::InfinitePast();
  const std::string toml = world_->RenderManifest(spec);
  EXPECT_THAT(Verify(toml, SignedByAll(toml)),
              FailsWith(VerifyFailure::kManifestMalformed));
}

// A manifest the auditors signed for another platform (another deployment,
// or none) is not accepted here.
TEST_F(Attack, CrossDeploymentManifestReplayIsRefused) {
  for (std::string deployment : {std::string("prod-eu"), std::string("")}) {
    ManifestSpec spec;
    spec.expires = clock_.Now() + absl::Hours(24);
    spec.deployment = deployment;
    const std::string toml = world_->RenderManifest(spec);
    EXPECT_THAT(Verify(toml, SignedByAll(toml)),
                FailsWith(VerifyFailure::kDeploymentMismatch))
        << "deployment '" << deployment << "'";
  }
}

}  // namespace
}  // namespace mra::attacks

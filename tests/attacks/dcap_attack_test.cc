// Attacks on quote verification and appraisal: real Intel quotes and
// collateral from ../shared/testdata/dcap (cases.json names the quote, the
// collateral and the "now" at which Intel's algorithm gives each status), and
// quotes of the simulated platform against re-signed collateral. Each test
// asserts the refusal and its verdict, next to a control that shows the same
// input is accepted when the attacked condition is absent.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/attacks/attack_world.h"

#include "mra/attest/sim_dir.h"
#include "mra/base/file.h"
#include "mra/collateral/collateral.h"
#include "mra/collateral/provider.h"
#include "mra/sgx/quote.h"
#include "mra/sgx/quote_file.h"
#include "mra/sgx/verify.h"
#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"
#include "mra/x509/evidence_format.h"

namespace mra::attacks {
namespace {

using collateral::TcbStatus;
using ::mra::testing::FailsWith;
using ::mra::testing::IsOk;

// An Intel case: quote + collateral + the moment cases.json evaluates it at.
struct IntelCase {
  const char* quote;
  const char* collateral;
  int64_t now;
};

// OutOfDate SGX platform (cases.json
// "oasis-quote_v3_pck_chain.bin@automata-0825-sgx-00606a-2508").
constexpr IntelCase kOutOfDate = {
    "oasis-core/go/common/sgx/pcs/testdata/quote_v3_ecdsa_p256_pck_chain.bin",
    "assembled/automata-0825-sgx-00606a-2508.collateral.json", 1756530546};
// A DEBUG production enclave, OutOfDate (cases.json
// "mobilecoin-hw_quote.dat@rustsgx-sgx-00906ed50000-2506").
constexpr IntelCase kDebugEnclave = {
    "mobilecoin-sgx/dcap/types/data/tests/hw_quote.dat",
    "assembled/rustsgx-sgx-00906ed50000-2506.collateral.json", 1750958385};

class Attack : public ::testing::Test {
 protected:
  static std::vector<uint8_t> ReadQuote(const std::string& rel) {
    absl::StatusOr<std::vector<uint8_t>> q =
        sgx::ReadQuoteFile(::mra::testing::SharedPath("testdata/dcap/" + rel));
    EXPECT_THAT(q, IsOk());
    return q.ok() ? *q : std::vector<uint8_t>{};
  }
  static std::unique_ptr<collateral::Collateral> ReadCollateral(
      const std::string& path) {
    absl::StatusOr<std::string> text =
        ReadFileBounded(path, collateral::kMaxCollateralLen);
    EXPECT_THAT(text, IsOk());
    if (!text.ok()) {
      return nullptr;
    }
    absl::StatusOr<collateral::Collateral> c =
        collateral::ParseCollateralJson(*text);
    EXPECT_THAT(c, IsOk());
    if (!c.ok()) {
      return nullptr;
    }
    return std::make_unique<collateral::Collateral>(*std::move(c));
  }
  static absl::StatusOr<sgx::VerificationResult> VerifyIntel(
      const IntelCase& c, const std::vector<uint8_t>& quote, absl::Time now) {
    std::unique_ptr<collateral::Collateral> bundle =
        ReadCollateral(::mra::testing::SharedPath(
            std::string("testdata/dcap/") + c.collateral));
    if (bundle == nullptr) {
      return absl::InternalError("no collateral");
    }
    absl::StatusOr<sgx::ParsedQuote> parsed = sgx::ParseQuote(quote);
    if (!parsed.ok()) {
      return parsed.status();
    }
    return sgx::VerifyQuote(*parsed, *bundle, {}, now);
  }
  // VerifySim verifies a fresh quote of the world's frontend enclave against
  // `collateral_path` with `roots` trusted (empty: Intel only).
  absl::StatusOr<sgx::VerificationResult> VerifySim(
      const std::string& collateral_path, const std::vector<std::string>& roots,
      const std::string& sim = "") {
    absl::StatusOr<std::unique_ptr<attest::SimAttester>> attester =
        world_->Attester(world_->frontend, sim);
    if (!attester.ok()) {
      return attester.status();
    }
    x509::ReportData report_data{};
    report_data[0] = 0x42;
    absl::StatusOr<std::vector<uint8_t>> quote =
        (*attester)->Quote(report_data);
    if (!quote.ok()) {
      return quote.status();
    }
    std::unique_ptr<collateral::Collateral> bundle =
        ReadCollateral(collateral_path);
    if (bundle == nullptr) {
      return absl::InternalError("no collateral");
    }
    sgx::VerifierOptions options;
    if (!roots.empty()) {
      absl::StatusOr<std::shared_ptr<const sgx::TrustStore>> store =
          sgx::TrustStore::Create(roots);
      if (!store.ok()) {
        return store.status();
      }
      options.trust_store = *store;
    }
    absl::StatusOr<sgx::ParsedQuote> parsed = sgx::ParseQuote(*quote);
    if (!parsed.ok()) {
      return parsed.status();
    }
    return sgx::VerifyQuote(*parsed, *bundle, options, Clock::Real().Now());
  }

  void SetUp() override {
    absl::StatusOr<const AttackWorld*> world = AttackWorld::Get();
    ASSERT_THAT(world, IsOk());
    world_ = *world;
  }

  const AttackWorld* world_ = nullptr;
};

// A genuine Intel platform whose TCB is OutOfDate verifies (Intel's
// algorithm), but the default appraisal policy requires UpToDate.
TEST_F(Attack, OutOfDateTcbIsRefusedWhenPolicyRequiresUpToDate) {
  absl::StatusOr<sgx::VerificationResult> r =
      VerifyIntel(kOutOfDate, ReadQuote(kOutOfDate.quote),
                  absl::FromUnixSeconds(kOutOfDate.now));
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->status, TcbStatus::kOutOfDate);
  EXPECT_FALSE(r->simulation);
  EXPECT_THAT(sgx::Appraise(*r, {}),
              FailsWith(VerifyFailure::kTcbStatusNotAccepted));
  // Control: a relying party that explicitly accepts OutOfDate.
  sgx::AppraisalPolicy lenient;
  lenient.accepted_statuses = {TcbStatus::kUpToDate, TcbStatus::kOutOfDate};
  EXPECT_THAT(sgx::Appraise(*r, lenient), IsOk());
}

// The same platform through the simulated world: a platform whose PCK TCB is
// the OutOfDate level of its TCB info.
TEST_F(Attack, OutOfDateSimPlatformIsRefusedWhenPolicyRequiresUpToDate) {
  absl::StatusOr<std::string> root = ReadFileBounded(
      attest::SimFilePath(world_->outdated_sim_dir, attest::kSimRootCertFile),
      64 * 1024);
  ASSERT_THAT(root, IsOk());
  absl::StatusOr<sgx::VerificationResult> r = VerifySim(
      attest::SimFilePath(world_->outdated_sim_dir, attest::kSimCollateralFile),
      {*root}, world_->outdated_sim_dir);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->status, TcbStatus::kOutOfDate);
  sgx::AppraisalPolicy dev;
  dev.allow_simulation = true;
  EXPECT_THAT(sgx::Appraise(*r, dev),
              FailsWith(VerifyFailure::kTcbStatusNotAccepted));
}

// A real production quote of a DEBUG enclave (its memory is readable by the
// host) is refused even by a policy that accepts its TCB status.
TEST_F(Attack, DebugEnclaveQuoteIsRefused) {
  absl::StatusOr<sgx::VerificationResult> r =
      VerifyIntel(kDebugEnclave, ReadQuote(kDebugEnclave.quote),
                  absl::FromUnixSeconds(kDebugEnclave.now));
  ASSERT_THAT(r, IsOk());
  ASSERT_TRUE(r->Debug());
  sgx::AppraisalPolicy policy;
  policy.accepted_statuses = {r->status};
  EXPECT_THAT(sgx::Appraise(*r, policy),
              FailsWith(VerifyFailure::kDebugEnclave));
}

// Measurement swap in the quote itself: overwrite MRENCLAVE (offset 112 of
// an SGX v3 quote) with another value; the attestation key's signature over
// header || body no longer verifies.
TEST_F(Attack, MrEnclavePatchedIntoGenuineQuoteIsRefused) {
  std::vector<uint8_t> quote = ReadQuote(kOutOfDate.quote);
  ASSERT_GT(quote.size(), 144u);
  for (size_t i = 112; i < 144; ++i) {
    quote[i] = 0xab;
  }
  EXPECT_THAT(
      VerifyIntel(kOutOfDate, quote, absl::FromUnixSeconds(kOutOfDate.now)),
      FailsWith(VerifyFailure::kQuoteSignatureInvalid));
  // DEBUG cleared in a debug enclave's quote: the same.
  std::vector<uint8_t> debug = ReadQuote(kDebugEnclave.quote);
  ASSERT_GT(debug.size(), 97u);
  debug[96] = static_cast<uint8_t>(debug[96] & ~0x02);
  EXPECT_THAT(VerifyIntel(kDebugEnclave, debug,
                          absl::FromUnixSeconds(kDebugEnclave.now)),
              FailsWith(VerifyFailure::kQuoteSignatureInvalid));
}

// Collateral past its nextUpdate (an attacker replaying an old, signed
// bundle to hide a newer revocation or TCB recovery) is refused.
TEST_F(Attack, StaleCollateralIsRefused) {
  std::unique_ptr<collateral::Collateral> bundle =
      ReadCollateral(::mra::testing::SharedPath(std::string("testdata/dcap/") +
                                                kOutOfDate.collateral));
  ASSERT_NE(bundle, nullptr);
  absl::StatusOr<collateral::CollateralValidity> validity =
      collateral::GetCollateralValidity(*bundle);
  ASSERT_THAT(validity, IsOk());
  const absl::Time late = validity->next_update + absl::Hours(1);
  absl::StatusOr<sgx::VerificationResult> r =
      VerifyIntel(kOutOfDate, ReadQuote(kOutOfDate.quote), late);
  ASSERT_FALSE(r.ok());
  // Which piece expires first is a property of the bundle; the verdict is
  // always a staleness verdict (FAILED_PRECONDITION).
  std::optional<VerifyFailure> f = GetVerifyFailure(r.status());
  ASSERT_TRUE(f.has_value()) << r.status();
  EXPECT_THAT(*f, ::testing::AnyOf(VerifyFailure::kCrlExpired,
                                   VerifyFailure::kTcbInfoExpired,
                                   VerifyFailure::kQeIdentityExpired))
      << r.status() << " (earliest piece: " << validity->earliest_piece << ")";
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
}

// A PCK certificate that Intel (here: the platform's PCK CA) has revoked.
TEST_F(Attack, RevokedPckIsRefused) {
  const std::string dir = ::mra::testing::MakeTempDir();
  const std::string revoked = dir + "/revoked-collateral.json";
  ASSERT_THAT(world_->WriteRevokedPckCollateral(revoked), IsOk());
  EXPECT_THAT(VerifySim(revoked, {world_->sim_root_pem}),
              FailsWith(VerifyFailure::kPckRevoked));
  // Control: the platform's own (empty) CRL.
  EXPECT_THAT(VerifySim(attest::SimFilePath(world_->sim_dir,
                                            attest::kSimCollateralFile),
                        {world_->sim_root_pem}),
              IsOk());
  std::filesystem::remove_all(dir);
}

// A quote that chains to a development (simulation) root, presented to a
// production verifier: Intel's root only -> refused at verification; a
// verifier that was given the development root still refuses at appraisal
// unless simulation is explicitly allowed.
TEST_F(Attack, SimulationRootIsRefusedByProductionVerifier) {
  const std::string collateral =
      attest::SimFilePath(world_->sim_dir, attest::kSimCollateralFile);
  EXPECT_THAT(VerifySim(collateral, {}),
              FailsWith(VerifyFailure::kRootCaUntrusted));
  absl::StatusOr<sgx::VerificationResult> r =
      VerifySim(collateral, {world_->sim_root_pem});
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->simulation);
  EXPECT_THAT(sgx::Appraise(*r, {}),
              FailsWith(VerifyFailure::kSimulationNotTrusted));
}

// An attacker's own development PKI (`mra sim init` on their machine) is not
// the development root a verifier was configured with.
TEST_F(Attack, QuoteFromAnotherDevelopmentPkiIsRefused) {
  EXPECT_THAT(VerifySim(attest::SimFilePath(world_->rogue_sim_dir,
                                            attest::kSimCollateralFile),
                        {world_->sim_root_pem}, world_->rogue_sim_dir),
              FailsWith(VerifyFailure::kRootCaUntrusted));
  // Nor does mixing help: the rogue platform's quote with the trusted
  // platform's collateral.
  EXPECT_THAT(VerifySim(attest::SimFilePath(world_->sim_dir,
                                            attest::kSimCollateralFile),
                        {world_->sim_root_pem}, world_->rogue_sim_dir),
              FailsWith(VerifyFailure::kRootCaUntrusted));
}

}  // namespace
}  // namespace mra::attacks

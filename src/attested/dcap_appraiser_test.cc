// Copyright The mra Authors.
//
// DcapEvidenceAppraiser with real simulation quotes (mra/attest/sim.h): a
// good quote, and one refusal per policy or binding rule.

#include "mra/attested/dcap_appraiser.h"

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/attested/testing/sim_env.h"

#include "mra/attest/sim.h"
#include "mra/attest/sim_dir.h"
#include "mra/base/file.h"
#include "mra/sgx/verify.h"
#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"

namespace mra::attested {
namespace {

using ::mra::testing::FailsWith;
using ::mra::testing::IsOk;
using ::mra::testing::StatusIs;

using ReportData = std::array<uint8_t, attest::kReportDataLen>;

ReportData Fill(uint8_t b) {
  ReportData r;
  r.fill(b);
  return r;
}

class DcapAppraiserTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<testing::SimEnv> env =
        testing::MakeSimEnv(::mra::testing::MakeTempDir());
    ASSERT_THAT(env, IsOk());
    env_ = new testing::SimEnv(std::move(*env));
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }

  // QuoteFrom signs a fake binary with `opts` and quotes `report_data`.
  static std::vector<uint8_t> QuoteFrom(const std::string& name,
                                        const attest::EnclaveSignOptions& opts,
                                        const ReportData& report_data) {
    absl::StatusOr<std::string> binary = testing::MakeSignedBinary(
        *env_, name, "enclave image of " + name, opts);
    EXPECT_THAT(binary, IsOk());
    attest::SimAttesterOptions sim;
    sim.sim_dir = env_->sim_dir;
    sim.executable = *binary;
    absl::StatusOr<std::unique_ptr<attest::SimAttester>> attester =
        attest::SimAttester::Create(sim);
    EXPECT_THAT(attester, IsOk());
    if (!attester.ok()) {
      return {};
    }
    absl::StatusOr<std::vector<uint8_t>> quote =
        (*attester)->Quote(report_data);
    EXPECT_THAT(quote, IsOk());
    return quote.ok() ? *quote : std::vector<uint8_t>{};
  }

  static std::string RootPem() {
    absl::StatusOr<std::string> pem = ReadFileBounded(
        attest::SimFilePath(env_->sim_dir, attest::kSimRootCertFile), 65536);
    EXPECT_THAT(pem, IsOk());
    return pem.ok() ? *pem : "";
  }

  // Appraiser trusting the sim root (when `trust_sim_root`) with `policy`.
  static std::unique_ptr<DcapEvidenceAppraiser> Appraiser(
      sgx::AppraisalPolicy policy, bool trust_sim_root = true,
      std::string collateral_path = "") {
    DcapAppraiserOptions options;
    options.policy = std::move(policy);
    if (trust_sim_root) {
      std::vector<std::string> roots = {RootPem()};
      absl::StatusOr<std::shared_ptr<const sgx::TrustStore>> store =
          sgx::TrustStore::Create(roots);
      EXPECT_THAT(store, IsOk());
      options.verifier.trust_store = *store;
    }
    if (collateral_path.empty()) {
      collateral_path =
          attest::SimFilePath(env_->sim_dir, attest::kSimCollateralFile);
    }
    absl::StatusOr<std::unique_ptr<DcapEvidenceAppraiser>> appraiser =
        DcapEvidenceAppraiser::Create(
            MakeBundleFileCollateralSource(collateral_path), options);
    EXPECT_THAT(appraiser, IsOk());
    return appraiser.ok() ? std::move(*appraiser) : nullptr;
  }

  static sgx::AppraisalPolicy SimPolicy() {
    sgx::AppraisalPolicy policy;
    policy.allow_simulation = true;
    return policy;
  }

  static testing::SimEnv* env_;
};

testing::SimEnv* DcapAppraiserTest::env_ = nullptr;

TEST_F(DcapAppraiserTest, GoodSimQuote) {
  attest::EnclaveSignOptions opts;
  opts.isv_prod_id = 7;
  opts.isv_svn = 3;
  const ReportData rd = Fill(0x5a);
  std::vector<uint8_t> quote = QuoteFrom("good", opts, rd);
  auto appraiser = Appraiser(SimPolicy());
  const absl::Time now = absl::Now();
  MRA_ASSERT_OK_AND_ASSIGN(x509::AppraisedEvidence ev,
                           appraiser->Appraise(quote, rd, now));
  MRA_ASSERT_OK_AND_ASSIGN(crypto::Sha256Digest mr_enclave,
                           attest::MeasureFile(env_->dir + "/good"));
  EXPECT_EQ(ev.mr_enclave, mr_enclave);
  EXPECT_EQ(ev.mr_signer, env_->mr_signer);
  EXPECT_EQ(ev.isv_prod_id, 7);
  EXPECT_EQ(ev.isv_svn, 3);
  EXPECT_FALSE(ev.debug);
  EXPECT_TRUE(ev.simulation);
  EXPECT_EQ(ev.tcb_status, "UpToDate");
  EXPECT_EQ(ev.report_data, rd);
  // Valid until the sim collateral's next update (30 days by default).
  EXPECT_GT(ev.valid_until, now + absl::Hours(24 * 20));
  EXPECT_LT(ev.valid_until, now + absl::Hours(24 * 40));

  // A second appraisal reuses the verified collateral.
  ASSERT_THAT(appraiser->Appraise(quote, rd, now), IsOk());
  EXPECT_GE(appraiser->verifier_cache_stats().hits, 1u);
}

TEST_F(DcapAppraiserTest, VerdictIsNotReusableBeyondMaxCollateralAge) {
  const ReportData rd = Fill(0x3c);
  std::vector<uint8_t> quote = QuoteFrom("aged", {}, rd);
  sgx::AppraisalPolicy policy = SimPolicy();
  policy.max_collateral_age = absl::Hours(48);
  auto appraiser = Appraiser(policy);
  const absl::Time now = absl::Now();
  MRA_ASSERT_OK_AND_ASSIGN(x509::AppraisedEvidence ev,
                           appraiser->Appraise(quote, rd, now));
  // The collateral was issued at or before now, so the verdict may be reused
  // for at most 48 hours, although the collateral itself is valid longer.
  EXPECT_GT(ev.valid_until, now);
  EXPECT_LE(ev.valid_until, now + absl::Hours(48));
  // Until valid_until the appraisal still accepts; just after it the policy
  // refuses the collateral's age, so a cache that honours valid_until never
  // serves a verdict Appraise would now refuse.
  EXPECT_THAT(appraiser->Appraise(quote, rd, ev.valid_until - absl::Seconds(1)),
              IsOk());
  EXPECT_THAT(appraiser->Appraise(quote, rd, ev.valid_until + absl::Seconds(1)),
              FailsWith(VerifyFailure::kCollateralTooOld));
  // Without the policy limit, only the collateral's own dates bound it.
  MRA_ASSERT_OK_AND_ASSIGN(x509::AppraisedEvidence unbounded,
                           Appraiser(SimPolicy())->Appraise(quote, rd, now));
  EXPECT_GT(unbounded.valid_until, now + absl::Hours(24 * 20));
}

TEST_F(DcapAppraiserTest, SimulationRefusedUnlessThePolicyAllowsIt) {
  const ReportData rd = Fill(1);
  std::vector<uint8_t> quote = QuoteFrom("sim-policy", {}, rd);
  // The dev root is configured, but the policy does not allow simulation.
  EXPECT_THAT(
      Appraiser(sgx::AppraisalPolicy{})->Appraise(quote, rd, absl::Now()),
      FailsWith(VerifyFailure::kSimulationNotTrusted));
  // Not even configured: the chain ends in an untrusted root.
  EXPECT_THAT(Appraiser(SimPolicy(), /*trust_sim_root=*/false)
                  ->Appraise(quote, rd, absl::Now()),
              FailsWith(VerifyFailure::kRootCaUntrusted));
}

TEST_F(DcapAppraiserTest, DebugEnclaveRefusedUnlessAllowed) {
  attest::EnclaveSignOptions opts;
  opts.debug = true;
  const ReportData rd = Fill(2);
  std::vector<uint8_t> quote = QuoteFrom("debug", opts, rd);
  EXPECT_THAT(Appraiser(SimPolicy())->Appraise(quote, rd, absl::Now()),
              FailsWith(VerifyFailure::kDebugEnclave));
  sgx::AppraisalPolicy allow = SimPolicy();
  allow.allow_debug = true;
  MRA_ASSERT_OK_AND_ASSIGN(x509::AppraisedEvidence ev,
                           Appraiser(allow)->Appraise(quote, rd, absl::Now()));
  EXPECT_TRUE(ev.debug);
}

TEST_F(DcapAppraiserTest, ReportDataMismatchRefused) {
  std::vector<uint8_t> quote = QuoteFrom("binding", {}, Fill(3));
  EXPECT_THAT(Appraiser(SimPolicy())->Appraise(quote, Fill(4), absl::Now()),
              FailsWith(VerifyFailure::kKeyBindingMismatch));
}

TEST_F(DcapAppraiserTest, MinIsvSvnApplies) {
  attest::EnclaveSignOptions opts;
  opts.isv_svn = 1;
  const ReportData rd = Fill(5);
  std::vector<uint8_t> quote = QuoteFrom("svn", opts, rd);
  sgx::AppraisalPolicy policy = SimPolicy();
  policy.min_isv_svn = 2;
  EXPECT_THAT(Appraiser(policy)->Appraise(quote, rd, absl::Now()),
              FailsWith(VerifyFailure::kIsvSvnTooLow));
}

TEST_F(DcapAppraiserTest, MalformedQuoteRefused) {
  std::vector<uint8_t> quote = QuoteFrom("malformed", {}, Fill(6));
  quote.resize(quote.size() / 2);
  EXPECT_THAT(Appraiser(SimPolicy())->Appraise(quote, Fill(6), absl::Now()),
              FailsWith(VerifyFailure::kQuoteMalformed));
  std::vector<uint8_t> padded = QuoteFrom("padded", {}, Fill(6));
  padded.push_back(0x01);  // Non-zero trailing byte: refused by default.
  EXPECT_THAT(Appraiser(SimPolicy())->Appraise(padded, Fill(6), absl::Now()),
              FailsWith(VerifyFailure::kQuoteMalformed));
}

TEST_F(DcapAppraiserTest, TamperedQuoteRefused) {
  const ReportData rd = Fill(7);
  std::vector<uint8_t> quote = QuoteFrom("tampered", {}, rd);
  quote[112] ^= 0x01;  // Inside the report body (MRENCLAVE).
  EXPECT_THAT(Appraiser(SimPolicy())->Appraise(quote, rd, absl::Now()),
              FailsWith(VerifyFailure::kQuoteSignatureInvalid));
}

TEST_F(DcapAppraiserTest, MissingOrExpiredCollateralRefused) {
  const ReportData rd = Fill(8);
  std::vector<uint8_t> quote = QuoteFrom("collateral", {}, rd);
  EXPECT_THAT(Appraiser(SimPolicy(), true, env_->dir + "/no-such.json")
                  ->Appraise(quote, rd, absl::Now()),
              StatusIs(absl::StatusCode::kNotFound));
  // Past the collateral's next update.
  absl::StatusOr<x509::AppraisedEvidence> late =
      Appraiser(SimPolicy())
          ->Appraise(quote, rd, absl::Now() + absl::Hours(24 * 60));
  EXPECT_FALSE(late.ok());
  EXPECT_TRUE(GetVerifyFailure(late.status()).has_value());
}

TEST_F(DcapAppraiserTest, OutdatedPlatformRefusedUnlessAccepted) {
  MRA_ASSERT_OK_AND_ASSIGN(
      testing::SimEnv outdated,
      testing::MakeSimEnv(::mra::testing::MakeTempDir(), true));
  MRA_ASSERT_OK_AND_ASSIGN(
      std::string binary,
      testing::MakeSignedBinary(outdated, "old", "old platform's enclave"));
  attest::SimAttesterOptions sim;
  sim.sim_dir = outdated.sim_dir;
  sim.executable = binary;
  MRA_ASSERT_OK_AND_ASSIGN(std::unique_ptr<attest::SimAttester> attester,
                           attest::SimAttester::Create(sim));
  const ReportData rd = Fill(9);
  MRA_ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> quote, attester->Quote(rd));

  DcapAppraiserOptions options;
  options.policy = SimPolicy();
  std::vector<std::string> roots = {attester->root_pem()};
  MRA_ASSERT_OK_AND_ASSIGN(options.verifier.trust_store,
                           sgx::TrustStore::Create(roots));
  auto source = MakeBundleFileCollateralSource(
      attest::SimFilePath(outdated.sim_dir, attest::kSimCollateralFile));
  MRA_ASSERT_OK_AND_ASSIGN(auto strict,
                           DcapEvidenceAppraiser::Create(source, options));
  EXPECT_THAT(strict->Appraise(quote, rd, absl::Now()),
              FailsWith(VerifyFailure::kTcbStatusNotAccepted));
  options.policy.accepted_statuses.push_back(collateral::TcbStatus::kOutOfDate);
  MRA_ASSERT_OK_AND_ASSIGN(auto lenient,
                           DcapEvidenceAppraiser::Create(source, options));
  MRA_ASSERT_OK_AND_ASSIGN(x509::AppraisedEvidence ev,
                           lenient->Appraise(quote, rd, absl::Now()));
  EXPECT_EQ(ev.tcb_status, "OutOfDate");
}

TEST(DcapAppraiserCreateTest, NeedsACollateralSource) {
  EXPECT_THAT(DcapEvidenceAppraiser::Create(nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace mra::attested

// Unit tests of TCB level selection and Intel's status convergence (steps I
// and J) on synthetic TCB info, for the branches the real cases.json data
// does not reach: TD 1.5 relaunch advice, TDX module identity levels,
// revoked modules, Intel's level order, and the convergence tables.

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/sgx/internal/verify_internal.h"

#include "mra/base/status.h"
#include "mra/testing/status_matchers.h"

namespace mra::sgx::internal {
namespace {

using collateral::EnclaveTcbLevel;
using collateral::TcbLevel;
using ::mra::testing::FailsWith;
using ::mra::testing::IsOk;

TcbLevel Level(uint8_t sgx0, std::array<uint8_t, 3> tdx012, TcbStatus status,
               std::vector<std::string> advisories = {}) {
  TcbLevel l;
  l.sgx_components.fill(1);
  l.sgx_components[0] = sgx0;
  l.pce_svn = 10;
  std::array<uint8_t, 16> tdx{};
  tdx[0] = tdx012[0];
  tdx[1] = tdx012[1];
  tdx[2] = tdx012[2];
  l.tdx_components = tdx;
  l.status = status;
  l.tcb_date = absl::FromUnixSeconds(1700000000);
  l.advisory_ids = std::move(advisories);
  return l;
}

EnclaveTcbLevel ELevel(uint16_t svn, TcbStatus status,
                       std::vector<std::string> advisories = {}) {
  EnclaveTcbLevel l;
  l.isv_svn = svn;
  l.status = status;
  l.tcb_date = absl::FromUnixSeconds(1700000000);
  l.advisory_ids = std::move(advisories);
  return l;
}

// Fixture: a TDX TCB info with module identity TDX_01 (levels ISVSVN 4
// UpToDate, 2 OutOfDate), a QE at ISVSVN 8, and a TD whose PCK matches.
class TcbMatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rep_.tcb_info.tee = collateral::TeeType::kTdx;
    rep_.tcb_info.version = 3;
    rep_.tcb_info.tdx_module = collateral::TdxModuleIdentity{};
    collateral::TdxModuleIdentity m;
    m.id = "TDX_01";
    m.tcb_levels = {ELevel(2, TcbStatus::kOutOfDate, {"SA-MOD"}),
                    ELevel(4, TcbStatus::kUpToDate)};
    rep_.tcb_info.tdx_module_identities = {m};
    rep_.tcb_info.tcb_levels = {Level(2, {0, 0, 3}, TcbStatus::kUpToDate)};
    SetQe(TcbStatus::kUpToDate);
    pck_.tcb_components.fill(1);
    pck_.tcb_components[0] = 2;
    pck_.pce_svn = 10;
    td_.tee_tcb_svn = {4, 1, 3};
    td_.tee_tcb_svn2 = {4, 1, 3};
  }

  void SetQe(TcbStatus status) {
    rep_.qe_identity.tcb_levels = {ELevel(8, status, {"SA-QE"})};
  }

  absl::StatusOr<VerificationResult> Evaluate(bool tdx = true) {
    rep_.tcb_order = IntelTcbOrder(rep_.tcb_info);
    rep_.qe_order = DescendingByIsvSvn(rep_.qe_identity.tcb_levels);
    rep_.module_orders.clear();
    for (const auto& m : rep_.tcb_info.tdx_module_identities) {
      rep_.module_orders.push_back(DescendingByIsvSvn(m.tcb_levels));
    }
    TcbInputs in;
    in.pck = &pck_;
    in.td = tdx ? &td_ : nullptr;
    in.qe_isv_svn = 8;
    if (tdx && td_.tee_tcb_svn[1] > 0) {
      in.module_identity =
          FindTdxModuleIdentity(rep_.tcb_info, td_.tee_tcb_svn[1]);
    }
    VerificationResult r;
    MRA_RETURN_IF_ERROR(EvaluateTcb(rep_, in, &r));
    return r;
  }

  CollateralRep rep_;
  PckExtension pck_;
  TdReportBody td_;
};

TEST_F(TcbMatchTest, UpToDateWithModuleLevel) {
  auto r = Evaluate();
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->status, TcbStatus::kUpToDate);
  ASSERT_TRUE(r->tdx_module_level.has_value());
  EXPECT_EQ(r->tdx_module_level->status, TcbStatus::kUpToDate);
  EXPECT_EQ(r->tdx_module_id, "TDX_01");
}

TEST_F(TcbMatchTest, ModuleOutOfDateConvergesAndRelaunchIsAdvised) {
  td_.tee_tcb_svn[0] = 2;  // Module at ISVSVN 2: OutOfDate.
  auto r = Evaluate();
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->status, TcbStatus::kOutOfDate);  // TD 1.0: no relaunch check.
  EXPECT_EQ(r->advisory_ids, (std::vector<std::string>{"SA-MOD", "SA-QE"}));

  td_.is_td15 = true;  // TEE_TCB_SVN2 = {4, 1, 3}: at the latest level.
  r = Evaluate();
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->status, TcbStatus::kTdRelaunchAdvised);

  rep_.tcb_info.tcb_levels[0].status = TcbStatus::kConfigurationNeeded;
  r = Evaluate();
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->status, TcbStatus::kTdRelaunchAdvisedConfigurationNeeded);
  rep_.tcb_info.tcb_levels[0].status = TcbStatus::kUpToDate;

  td_.tee_tcb_svn2[0] = 3;  // SVN2 below the latest module level.
  r = Evaluate();
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->status, TcbStatus::kOutOfDate);
  td_.tee_tcb_svn2[0] = 4;

  td_.tee_tcb_svn2[2] = 2;  // Below the latest level's TDX component 2.
  r = Evaluate();
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->status, TcbStatus::kOutOfDate);
  td_.tee_tcb_svn2[2] = 3;

  SetQe(TcbStatus::kOutOfDate);  // QE out of date: no relaunch advice.
  r = Evaluate();
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->status, TcbStatus::kOutOfDate);
  SetQe(TcbStatus::kUpToDate);

  td_.tee_tcb_svn2[1] = 3;  // SVN2 names a module identity that is absent.
  EXPECT_THAT(Evaluate(), FailsWith(VerifyFailure::kTdxModuleMismatch));
}

TEST_F(TcbMatchTest, RelaunchWithoutModuleIdentity) {
  // TEE_TCB_SVN2[1] == 0: compared with the latest level's TDX component 0.
  td_.tee_tcb_svn[0] = 2;
  td_.is_td15 = true;
  td_.tee_tcb_svn2 = {0, 0, 3};
  rep_.tcb_info.tcb_levels[0].tdx_components->at(0) = 0;
  auto r = Evaluate();
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->status, TcbStatus::kTdRelaunchAdvised);
}

TEST_F(TcbMatchTest, ModuleRevokedOrUnmatched) {
  rep_.tcb_info.tdx_module_identities[0].tcb_levels.push_back(
      ELevel(0, TcbStatus::kRevoked));
  td_.tee_tcb_svn[0] = 1;
  EXPECT_THAT(Evaluate(), FailsWith(VerifyFailure::kTcbRevoked));
  rep_.tcb_info.tdx_module_identities[0].tcb_levels.pop_back();
  EXPECT_THAT(Evaluate(), FailsWith(VerifyFailure::kTcbNotSupported));
}

TEST_F(TcbMatchTest, ModuleBytesAreSkippedOnlyWithAModuleVersion) {
  // Level's TDX components 0 and 1 are higher than the TD's; with
  // TEE_TCB_SVN[1] > 0 they are judged by the module identity instead.
  rep_.tcb_info.tcb_levels[0].tdx_components->at(0) = 9;
  rep_.tcb_info.tcb_levels[0].tdx_components->at(1) = 9;
  EXPECT_THAT(Evaluate(), IsOk());
  td_.tee_tcb_svn[1] = 0;
  EXPECT_THAT(Evaluate(), FailsWith(VerifyFailure::kTcbNotSupported));
}

TEST_F(TcbMatchTest, TdxLevelMaySitBelowTheSgxLevel) {
  rep_.tcb_info.tcb_levels = {
      Level(2, {0, 0, 5}, TcbStatus::kUpToDate, {"SA-1"}),
      Level(2, {0, 0, 1}, TcbStatus::kOutOfDate, {"SA-2", "SA-QE"})};
  auto r = Evaluate();
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->sgx_level.status, TcbStatus::kUpToDate);
  ASSERT_TRUE(r->tdx_level.has_value());
  EXPECT_EQ(r->tdx_level->status, TcbStatus::kOutOfDate);
  EXPECT_EQ(r->status, TcbStatus::kOutOfDate);
  // The TDX level's advisories, then the QE level's, each once.
  EXPECT_EQ(r->advisory_ids, (std::vector<std::string>{"SA-2", "SA-QE"}));
}

TEST_F(TcbMatchTest, IntelOrderNotServedOrder) {
  // Served ascending: Intel still tries the highest level first.
  rep_.tcb_info.tcb_levels = {Level(1, {0, 0, 1}, TcbStatus::kOutOfDate),
                              Level(2, {0, 0, 1}, TcbStatus::kUpToDate)};
  auto r = Evaluate();
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->status, TcbStatus::kUpToDate);
  EXPECT_EQ(IntelTcbOrder(rep_.tcb_info), (std::vector<size_t>{1, 0}));
}

TEST_F(TcbMatchTest, SgxQuoteConvergesWithTheQe) {
  struct Row {
    TcbStatus platform;
    TcbStatus qe;
    TcbStatus want;
  };
  const Row rows[] = {
      {TcbStatus::kUpToDate, TcbStatus::kOutOfDate, TcbStatus::kOutOfDate},
      {TcbStatus::kSwHardeningNeeded, TcbStatus::kOutOfDate,
       TcbStatus::kOutOfDate},
      {TcbStatus::kConfigurationNeeded, TcbStatus::kOutOfDate,
       TcbStatus::kOutOfDateConfigurationNeeded},
      {TcbStatus::kConfigurationAndSwHardeningNeeded, TcbStatus::kOutOfDate,
       TcbStatus::kOutOfDateConfigurationNeeded},
      {TcbStatus::kOutOfDate, TcbStatus::kOutOfDate, TcbStatus::kOutOfDate},
      {TcbStatus::kOutOfDateConfigurationNeeded, TcbStatus::kOutOfDate,
       TcbStatus::kOutOfDateConfigurationNeeded},
      {TcbStatus::kConfigurationNeeded, TcbStatus::kUpToDate,
       TcbStatus::kConfigurationNeeded},
      {TcbStatus::kSwHardeningNeeded, TcbStatus::kUpToDate,
       TcbStatus::kSwHardeningNeeded},
  };
  rep_.tcb_info.tee = collateral::TeeType::kSgx;
  for (const Row& row : rows) {
    rep_.tcb_info.tcb_levels[0].status = row.platform;
    SetQe(row.qe);
    auto r = Evaluate(/*tdx=*/false);
    ASSERT_THAT(r, IsOk());
    EXPECT_EQ(r->status, row.want)
        << TcbStatusName(row.platform) << " + QE " << TcbStatusName(row.qe);
    EXPECT_FALSE(r->tdx_level.has_value());
  }
  rep_.tcb_info.tcb_levels[0].status = TcbStatus::kUpToDate;
  SetQe(TcbStatus::kRevoked);
  EXPECT_THAT(Evaluate(false), FailsWith(VerifyFailure::kTcbRevoked));
  rep_.qe_identity.tcb_levels = {ELevel(9, TcbStatus::kUpToDate)};
  EXPECT_THAT(Evaluate(false), FailsWith(VerifyFailure::kTcbNotSupported));
}

}  // namespace
}  // namespace mra::sgx::internal

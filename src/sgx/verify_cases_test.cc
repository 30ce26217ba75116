// Runs every case of ../shared/testdata/dcap/cases.json (real SGX/TDX quotes
// and collateral from public repositories, expected results of Intel's
// algorithm) through ParseQuote + QuoteVerifier and requires exact agreement:
// status, advisory IDs, QE status, SGX/TDX level status and date, TCB
// evaluation number, the debug / SEPT_VE_DISABLE flags, or the expected
// failure. Partial cases (a CRL outside its window at "now") must fail
// strict verification with CRL_EXPIRED and match with accept_expired_crls.

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

#include "mra/base/clock.h"
#include "mra/base/file.h"
#include "mra/base/strings.h"
#include "mra/collateral/collateral.h"
#include "mra/sgx/quote.h"
#include "mra/sgx/quote_file.h"
#include "mra/sgx/verify.h"
#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"

namespace mra::sgx {
namespace {

using ::mra::testing::FailsWith;
using ::mra::testing::IsOk;
using Json = nlohmann::json;

constexpr size_t kNumCases = 52;

std::string DataPath(const std::string& rel) {
  return testing::SharedPath("testdata/dcap/" + rel);
}

Json LoadCases() {
  auto text = ReadFileBounded(DataPath("cases.json"), 8 << 20);
  EXPECT_THAT(text, IsOk());
  if (!text.ok()) {
    return Json::object();
  }
  Json j = Json::parse(*text, nullptr, false);
  EXPECT_FALSE(j.is_discarded());
  return j;
}

// ExpectedFailure maps cases.json's failure descriptions to verdicts.
std::optional<VerifyFailure> ExpectedFailure(const Json& e) {
  if (e.value("status", "") == "TcbNotSupported") {
    return VerifyFailure::kTcbNotSupported;
  }
  if (!e.contains("error")) {
    return std::nullopt;
  }
  std::string error = e["error"].get<std::string>();
  if (error.find("root") != std::string::npos) {
    return VerifyFailure::kRootCaUntrusted;
  }
  if (error.find("certification data type") != std::string::npos) {
    return VerifyFailure::kQuoteUnsupported;
  }
  ADD_FAILURE() << "unmapped expected error '" << error << "'";
  return VerifyFailure::kQuoteMalformed;
}

bool HasCrlNote(const Json& e) {
  for (const Json& n : e.value("notes", Json::array())) {
    if (n.get<std::string>().find("CRL") != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::string Describe(const absl::StatusOr<VerificationResult>& r) {
  if (!r.ok()) {
    std::optional<VerifyFailure> f = GetVerifyFailure(r.status());
    return StrCat("FAIL ", f ? VerifyFailureName(*f) : "?", ": ",
                  ToStd(r.status().message()));
  }
  return StrCat(TcbStatusName(r->status), " [",
                fmt::format("{}", fmt::join(r->advisory_ids, ",")),
                "] qe=", TcbStatusName(r->qe_level.status));
}

// Checks a successful verification against `e` (cases.json "expected").
void ExpectMatches(const VerificationResult& r, const Json& e) {
  EXPECT_EQ(TcbStatusName(r.status), e.at("status").get<std::string>());
  EXPECT_EQ(r.advisory_ids,
            e.value("advisory_ids", std::vector<std::string>{}));
  EXPECT_EQ(TcbStatusName(r.qe_level.status),
            e.at("qe_status").get<std::string>());
  EXPECT_EQ(TcbStatusName(r.sgx_level.status),
            e.at("sgx_level_status").get<std::string>());
  EXPECT_EQ(FormatRfc3339Utc(r.sgx_level.tcb_date),
            e.at("sgx_level_date").get<std::string>());
  EXPECT_EQ(r.tcb_eval_num, e.at("tcb_eval_num").get<uint32_t>());
  if (e.contains("tdx_level_status")) {
    ASSERT_TRUE(r.tdx_level.has_value());
    EXPECT_EQ(TcbStatusName(r.tdx_level->status),
              e["tdx_level_status"].get<std::string>());
    EXPECT_EQ(FormatRfc3339Utc(r.tdx_level->tcb_date),
              e.at("tdx_level_date").get<std::string>());
  } else {
    EXPECT_FALSE(r.tdx_level.has_value());
  }
}

void ExpectPolicyFlags(const VerificationResult& r, const Json& policy) {
  if (policy.contains("td_debug")) {
    ASSERT_TRUE(r.tdx.has_value());
    EXPECT_EQ(r.tdx->debug, policy["td_debug"].get<bool>());
    EXPECT_EQ(r.tdx->sept_ve_disable, policy.at("sept_ve_disable").get<bool>());
  } else {
    ASSERT_TRUE(r.sgx.has_value());
    EXPECT_EQ(r.sgx->debug, policy.at("debug").get<bool>());
  }
  EXPECT_EQ(r.Debug(), policy.value("td_debug", policy.value("debug", false)));
}

TEST(VerifyCasesTest, EveryCaseAgreesWithIntel) {
  Json all = LoadCases();
  ASSERT_TRUE(all.contains("cases"));
  const Json& cases = all["cases"];
  ASSERT_EQ(cases.size(), kNumCases);

  VerifierOptions relaxed_options;
  relaxed_options.accept_expired_crls = true;
  QuoteVerifier strict;
  QuoteVerifier relaxed(relaxed_options);
  std::map<std::string, std::unique_ptr<collateral::Collateral>> collaterals;

  size_t checked = 0;
  for (const Json& c : cases) {
    const std::string id = c.at("id").get<std::string>();
    SCOPED_TRACE(id);
    const Json& e = c.at("expected");
    const bool partial = c.at("partial").get<bool>();
    const absl::Time now = absl::FromUnixSeconds(c.at("now").get<int64_t>());

    auto bytes = ReadQuoteFile(DataPath(c.at("quote").get<std::string>()));
    ASSERT_THAT(bytes, IsOk());
    const std::string col_path = c.at("collateral").get<std::string>();
    if (collaterals.count(col_path) == 0) {
      auto json = ReadFileBounded(DataPath(col_path), 8 << 20);
      ASSERT_THAT(json, IsOk());
      auto parsed = collateral::ParseCollateralJson(*json);
      ASSERT_THAT(parsed, IsOk());
      collaterals[col_path] =
          std::make_unique<collateral::Collateral>(*std::move(parsed));
    }
    const collateral::Collateral& col = *collaterals[col_path];

    // Intel compatibility: trailing bytes are not part of the quote.
    ParseOptions intel;
    intel.trailing = TrailingBytes::kAny;
    absl::StatusOr<ParsedQuote> q = ParseQuote(*bytes, intel);
    std::optional<VerifyFailure> want_failure = ExpectedFailure(e);
    if (!q.ok()) {
      ASSERT_TRUE(want_failure.has_value()) << q.status();
      EXPECT_THAT(q, FailsWith(*want_failure));
      std::printf("case %-70s parse: %s\n", id.c_str(),
                  std::string(ToStd(q.status().message())).c_str());
      ++checked;
      continue;
    }

    absl::StatusOr<VerificationResult> r_strict = strict.Verify(*q, col, now);
    absl::StatusOr<VerificationResult> r_relaxed = relaxed.Verify(*q, col, now);
    std::printf("case %-70s strict: %s\n%76s relaxed: %s\n", id.c_str(),
                Describe(r_strict).c_str(), "", Describe(r_relaxed).c_str());

    // The result Intel's algorithm gives (with the CRL dates relaxed for the
    // partial cases, whose notes say which CRL is out of its window).
    const absl::StatusOr<VerificationResult>& r =
        partial ? r_relaxed : r_strict;
    if (want_failure.has_value()) {
      EXPECT_THAT(r, FailsWith(*want_failure));
    } else {
      ASSERT_THAT(r, IsOk());
      ExpectMatches(*r, e);
      ExpectPolicyFlags(*r, e.at("policy"));
    }
    if (partial && HasCrlNote(e)) {
      EXPECT_THAT(r_strict, FailsWith(VerifyFailure::kCrlExpired));
    } else if (!partial) {
      // Relaxing CRL dates changes nothing when they are valid.
      EXPECT_EQ(r_strict.ok(), r_relaxed.ok());
    }
    ++checked;
  }
  EXPECT_EQ(checked, kNumCases);
}

}  // namespace
}  // namespace mra::sgx

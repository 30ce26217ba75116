// Negative and policy tests of DCAP verification: each asserts one specific
// VerifyFailure. Real quotes and collateral (../shared/testdata/dcap) are
// mutated where a mutation is enough; the rest use a forged world signed by
// a generated test PKI (src/sgx/test_forge.h) so that exactly one thing is
// wrong (a revoked PCK, a CRL signed by the wrong CA, an expired TCB info...).

#include "mra/sgx/verify.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/sgx/test_forge.h"

#include "mra/base/file.h"
#include "mra/base/hex.h"
#include "mra/base/strings.h"
#include "mra/collateral/collateral.h"
#include "mra/sgx/quote.h"
#include "mra/sgx/quote_file.h"
#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"

namespace mra::sgx {
namespace {

using ::mra::testing::FailsWith;
using ::mra::testing::IsOk;
using ::testing::HasSubstr;
using Bytes = std::vector<uint8_t>;

// ---- Real data
// ---------------------------------------------------------------

struct RealCase {
  const char* quote;
  const char* collateral;
  int64_t now;
};

// dcapqvl-sgx_quote@dcapqvl-sgx-2506: SGX v3, ConfigurationAndSWHardening.
constexpr RealCase kSgx = {"dcap-qvl/sample/sgx_quote",
                           "dcap-qvl/sample/sgx_quote_collateral.json",
                           1752919277};
// dcapqvl-tdx_quote@dcapqvl-tdx-b0c06f-2506: TDX v4, UpToDate.
constexpr RealCase kTdx = {"dcap-qvl/sample/tdx_quote",
                           "dcap-qvl/sample/tdx_quote_collateral.json",
                           1752919234};
// automata-quote_sgx.bin@dcapqvl-sgx-2506: a debug enclave.
constexpr RealCase kSgxDebug = {
    "automata-dcap-attestation/solana/automata-dcap-framework/tests/data/"
    "quote_sgx.bin",
    "dcap-qvl/sample/sgx_quote_collateral.json", 1751624924};

std::string DataPath(const std::string& rel) {
  return ::mra::testing::SharedPath("testdata/dcap/" + rel);
}

Bytes LoadQuote(const RealCase& c) {
  auto b = ReadQuoteFile(DataPath(c.quote));
  EXPECT_THAT(b, IsOk());
  return b.ok() ? *b : Bytes{};
}

std::string LoadCollateralJson(const RealCase& c) {
  auto s = ReadFileBounded(DataPath(c.collateral), 8 << 20);
  EXPECT_THAT(s, IsOk());
  return s.ok() ? *s : "";
}

absl::StatusOr<collateral::Collateral> LoadCollateral(const RealCase& c) {
  return collateral::ParseCollateralJson(LoadCollateralJson(c));
}

absl::Time Now(const RealCase& c) { return absl::FromUnixSeconds(c.now); }

// Verify parses (Intel-compatible trailing bytes) and verifies.
absl::StatusOr<VerificationResult> Verify(const Bytes& quote,
                                          const collateral::Collateral& col,
                                          absl::Time now,
                                          const VerifierOptions& options = {}) {
  ParseOptions parse;
  parse.trailing = TrailingBytes::kAny;
  absl::StatusOr<ParsedQuote> q = ParseQuote(quote, parse);
  if (!q.ok()) {
    return q.status();
  }
  return VerifyQuote(*q, col, options, now);
}

TEST(VerifyRealTest, SgxAndTdxSamplesVerify) {
  for (const RealCase& c : {kSgx, kTdx}) {
    SCOPED_TRACE(c.quote);
    auto col = LoadCollateral(c);
    ASSERT_THAT(col, IsOk());
    auto r = Verify(LoadQuote(c), *col, Now(c));
    ASSERT_THAT(r, IsOk());
    EXPECT_FALSE(r->simulation);
    EXPECT_EQ(r->root_fingerprint, kIntelSgxRootCaSha256);
    EXPECT_EQ(r->verified_at, Now(c));
    EXPECT_LE(r->earliest_issue_date, Now(c));
    EXPECT_GE(r->collateral_not_after, Now(c));
  }
}

TEST(VerifyRealTest, ResultCarriesTheMeasurements) {
  Bytes bytes = LoadQuote(kSgx);
  auto col = LoadCollateral(kSgx);
  ASSERT_THAT(col, IsOk());
  auto q = ParseQuote(bytes);
  ASSERT_THAT(q, IsOk());
  auto r = VerifyQuote(*q, *col, {}, Now(kSgx));
  ASSERT_THAT(r, IsOk());
  ASSERT_TRUE(r->sgx.has_value());
  EXPECT_FALSE(r->tdx.has_value());
  EXPECT_EQ(r->tee, collateral::TeeType::kSgx);
  EXPECT_EQ(r->quote_version, 3);
  EXPECT_EQ(r->sgx->mr_enclave, q->sgx_body->mr_enclave);
  EXPECT_EQ(r->sgx->mr_signer, q->sgx_body->mr_signer);
  EXPECT_EQ(r->sgx->isv_prod_id, q->sgx_body->isv_prod_id);
  EXPECT_EQ(r->sgx->isv_svn, q->sgx_body->isv_svn);
  EXPECT_EQ(r->sgx->attributes, q->sgx_body->attributes);
  EXPECT_EQ(r->report_data, q->sgx_body->report_data);
  EXPECT_EQ(HexEncode(r->fmspc), "00a067110000");
  EXPECT_EQ(r->pck.fmspc, r->fmspc);
  EXPECT_EQ(r->qe_isv_svn, q->signature.qe_report.isv_svn);
  EXPECT_EQ(r->tcb_eval_num, 17u);

  Bytes tdx_bytes = LoadQuote(kTdx);
  auto tdx_col = LoadCollateral(kTdx);
  ASSERT_THAT(tdx_col, IsOk());
  auto tq = ParseQuote(tdx_bytes, {TrailingBytes::kAny});
  ASSERT_THAT(tq, IsOk());
  auto tr = VerifyQuote(*tq, *tdx_col, {}, Now(kTdx));
  ASSERT_THAT(tr, IsOk());
  ASSERT_TRUE(tr->tdx.has_value());
  EXPECT_EQ(tr->tee, collateral::TeeType::kTdx);
  EXPECT_EQ(tr->tdx->mrtd, tq->td_body->mrtd);
  EXPECT_EQ(tr->tdx->rtmr, tq->td_body->rtmr);
  EXPECT_EQ(tr->tdx->mrconfigid, tq->td_body->mrconfigid);
  EXPECT_EQ(tr->tdx->td_attributes, tq->td_body->td_attributes);
  EXPECT_EQ(tr->report_data, tq->td_body->report_data);
  EXPECT_TRUE(tr->tdx->sept_ve_disable);
  EXPECT_FALSE(tr->tdx->tee_tcb_svn2.has_value());
}

// One bit flipped at an absolute offset of a real quote.
struct FlipCase {
  const char* name;
  const RealCase* data;
  size_t offset;
  VerifyFailure want;
};

// SGX v3 layout: header 0..48, body 48..432, sig_data_len 432, signature data
// 436: quote signature 436..500, attestation key 500..564, QE report
// 564..948, QE report signature 948..1012, auth data size 1012, auth data
// 1014.. . TDX v4: body 48..632 (MRSIGNERSEAM 112, SEAMATTRIBUTES 160, MRTD
// 184, REPORTDATA 568), signature data at 636.
const FlipCase kFlips[] = {
    {"sgx_header_user_data", &kSgx, 28, VerifyFailure::kQuoteSignatureInvalid},
    {"sgx_body_mrenclave", &kSgx, 112, VerifyFailure::kQuoteSignatureInvalid},
    {"sgx_body_attributes_debug", &kSgx, 96,
     VerifyFailure::kQuoteSignatureInvalid},
    {"sgx_body_report_data", &kSgx, 368 + 63,
     VerifyFailure::kQuoteSignatureInvalid},
    {"sgx_quote_signature_r", &kSgx, 436,
     VerifyFailure::kQuoteSignatureInvalid},
    {"sgx_quote_signature_s", &kSgx, 436 + 63,
     VerifyFailure::kQuoteSignatureInvalid},
    {"sgx_attestation_key", &kSgx, 500 + 10,
     VerifyFailure::kQeReportDataMismatch},
    {"sgx_qe_report_mrsigner", &kSgx, 564 + 128,
     VerifyFailure::kQeReportSignatureInvalid},
    {"sgx_qe_report_isvsvn", &kSgx, 564 + 258,
     VerifyFailure::kQeReportSignatureInvalid},
    {"sgx_qe_report_report_data", &kSgx, 564 + 320,
     VerifyFailure::kQeReportSignatureInvalid},
    {"sgx_qe_report_signature", &kSgx, 948 + 5,
     VerifyFailure::kQeReportSignatureInvalid},
    {"sgx_qe_auth_data", &kSgx, 1014 + 3, VerifyFailure::kQeReportDataMismatch},
    {"tdx_mrsignerseam", &kTdx, 112, VerifyFailure::kTdxModuleMismatch},
    {"tdx_seam_attributes", &kTdx, 160, VerifyFailure::kTdxModuleMismatch},
    {"tdx_mrtd", &kTdx, 184 + 7, VerifyFailure::kQuoteSignatureInvalid},
    {"tdx_td_attributes_debug", &kTdx, 168,
     VerifyFailure::kQuoteSignatureInvalid},
    {"tdx_report_data", &kTdx, 568, VerifyFailure::kQuoteSignatureInvalid},
    {"tdx_quote_signature", &kTdx, 636 + 1,
     VerifyFailure::kQuoteSignatureInvalid},
};

class FlipTest : public ::testing::TestWithParam<FlipCase> {};

TEST_P(FlipTest, FailsWithTheSpecificVerdict) {
  const FlipCase& f = GetParam();
  Bytes quote = LoadQuote(*f.data);
  ASSERT_LT(f.offset, quote.size());
  auto col = LoadCollateral(*f.data);
  ASSERT_THAT(col, IsOk());
  ASSERT_THAT(Verify(quote, *col, Now(*f.data)), IsOk());
  quote[f.offset] ^= 0x01;
  EXPECT_THAT(Verify(quote, *col, Now(*f.data)), FailsWith(f.want));
}

INSTANTIATE_TEST_SUITE_P(
    Real, FlipTest, ::testing::ValuesIn(kFlips),
    [](const ::testing::TestParamInfo<FlipCase>& param_info) {
      return std::string(param_info.param.name);
    });

TEST(VerifyRealTest, TruncatedQuoteIsMalformed) {
  Bytes quote = LoadQuote(kSgx);
  auto q = ParseQuote(quote);
  ASSERT_THAT(q, IsOk());
  for (size_t cut : {size_t{1}, size_t{100}, q->quote_len - 600}) {
    Bytes t(quote.begin(),
            quote.begin() + static_cast<std::ptrdiff_t>(q->quote_len - cut));
    EXPECT_THAT(ParseQuote(t), FailsWith(VerifyFailure::kQuoteMalformed));
  }
}

TEST(VerifyRealTest, TrailingNonZeroBytesRefusedByDefault) {
  Bytes quote = LoadQuote(kSgx);
  auto col = LoadCollateral(kSgx);
  ASSERT_THAT(col, IsOk());
  quote.push_back(0);
  quote.push_back(0);
  EXPECT_THAT(ParseQuote(quote), IsOk());  // Zero padding is tolerated.
  quote.push_back(0x41);
  auto strict = ParseQuote(quote);
  EXPECT_THAT(strict, FailsWith(VerifyFailure::kQuoteMalformed));
  EXPECT_THAT(std::string(ToStd(strict.status().message())),
              HasSubstr("non-zero byte after the signature data"));
  // Intel compatibility ignores (and does not verify) them.
  EXPECT_THAT(Verify(quote, *col, Now(kSgx)), IsOk());

  // The real quote that carries junk ("\nextra bytes(only...") after its
  // signature data.
  auto junk = ReadQuoteFile(
      DataPath("go-tdx-guest/testing/testdata/tdx_prod_quote_SPR_E4.dat"));
  ASSERT_THAT(junk, IsOk());
  EXPECT_THAT(ParseQuote(*junk), FailsWith(VerifyFailure::kQuoteMalformed));
  EXPECT_THAT(ParseQuote(*junk, {TrailingBytes::kAny}), IsOk());
}

// Replaces `from` by `to` once in the named string member of the bundle.
std::string EditBundle(const std::string& json, const std::string& from,
                       const std::string& to) {
  std::string out = json;
  size_t pos = out.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) {
    out.replace(pos, from.size(), to);
  }
  return out;
}

TEST(VerifyRealTest, EditedTcbInfoFailsItsSignature) {
  std::string json = LoadCollateralJson(kSgx);
  // The bundle holds tcbInfo as a JSON string, so its quotes are escaped.
  auto col = collateral::ParseCollateralJson(
      EditBundle(json, R"(\"tcbEvaluationDataNumber\":17)",
                 R"(\"tcbEvaluationDataNumber\":18)"));
  ASSERT_THAT(col, IsOk());
  EXPECT_EQ(col->tcb_info.tcb_evaluation_data_number, 18u);
  auto r = Verify(LoadQuote(kSgx), *col, Now(kSgx));
  EXPECT_THAT(r, FailsWith(VerifyFailure::kTcbInfoInvalid));
  EXPECT_THAT(std::string(ToStd(r.status().message())),
              HasSubstr("collateral.tcb_info"));
}

TEST(VerifyRealTest, EditedQeIdentityFailsItsSignature) {
  std::string json = LoadCollateralJson(kSgx);
  auto col = collateral::ParseCollateralJson(
      EditBundle(json, R"(\"isvprodid\":1)", R"(\"isvprodid\":1 )"));
  ASSERT_THAT(col, IsOk());
  EXPECT_THAT(Verify(LoadQuote(kSgx), *col, Now(kSgx)),
              FailsWith(VerifyFailure::kQeIdentityInvalid));
}

TEST(VerifyRealTest, CrlWithBrokenSignatureIsInvalid) {
  auto col = LoadCollateral(kSgx);
  ASSERT_THAT(col, IsOk());
  // Flip the last byte of the PCK CRL's signature and re-parse.
  std::vector<uint8_t> der = col->pck_crl_der;
  der.back() ^= 0x01;
  std::vector<uint8_t> out_der;
  auto crl = collateral::ParseCrl(
      std::string_view(reinterpret_cast<const char*>(der.data()), der.size()),
      "pck_crl", &out_der);
  if (!crl.ok()) {
    GTEST_SKIP() << "flip broke the DER: " << crl.status();
  }
  col->pck_crl = *std::move(crl);
  col->pck_crl_der = out_der;
  EXPECT_THAT(Verify(LoadQuote(kSgx), *col, Now(kSgx)),
              FailsWith(VerifyFailure::kCrlInvalid));
}

TEST(VerifyRealTest, GarbageCrlIsRefusedByTheLoader) {
  std::string json = LoadCollateralJson(kSgx);
  auto start = json.find("\"pck_crl\"");
  ASSERT_NE(start, std::string::npos);
  auto value = json.find("\"30", start + 9);
  ASSERT_NE(value, std::string::npos);
  std::string garbage = json;
  garbage.replace(value + 1, 40, std::string(40, 'f'));
  EXPECT_THAT(collateral::ParseCollateralJson(garbage),
              FailsWith(VerifyFailure::kCollateralMalformed));
}

TEST(VerifyRealTest, CollateralOfAnotherPlatformOrTee) {
  // quotev3.hex (SGX, FMSPC 00606a000000, Platform CA).
  RealCase sgx = {"automata-dcap-attestation/rust-crates/samples/quotev3.hex",
                  "assembled/automata-0825-sgx-00606a-2508.collateral.json",
                  1755500000};
  auto ok_col = LoadCollateral(sgx);
  ASSERT_THAT(ok_col, IsOk());
  ASSERT_THAT(Verify(LoadQuote(sgx), *ok_col, Now(sgx)), IsOk());
  // The same Platform CA's CRL, but TDX TCB info.
  RealCase tdx_col = {sgx.quote,
                      "assembled/automata-0625-tdx-90c06f-2506.collateral.json",
                      1751000000};
  auto col = LoadCollateral(tdx_col);
  ASSERT_THAT(col, IsOk());
  auto r = Verify(LoadQuote(sgx), *col, Now(tdx_col));
  EXPECT_THAT(r, FailsWith(VerifyFailure::kTcbInfoMismatch));
  // A Processor CA quote against Platform CA collateral: the PCK CRL is not
  // the leaf issuer's.
  auto sgx_col = LoadCollateral(kSgx);
  ASSERT_THAT(sgx_col, IsOk());
  EXPECT_THAT(Verify(LoadQuote(sgx), *sgx_col, Now(kSgx)),
              FailsWith(VerifyFailure::kCrlInvalid));
}

TEST(VerifyRealTest, QuoteChainingToAnotherRootIsUntrusted) {
  // fortanix rust-sgx quote.bin chains to a non-production "Intel SGX Root
  // CA"; its PARTIAL collateral needs the CRL dates relaxed.
  RealCase c = {
      "rust-sgx/intel-sgx/pcs/tests/data/quote.bin",
      "assembled/PARTIAL-rustsgx-sgx-00906ea10000-tcbv2-2005.collateral.json",
      1591120162};
  auto col = LoadCollateral(c);
  ASSERT_THAT(col, IsOk());
  VerifierOptions relaxed;
  relaxed.accept_expired_crls = true;
  auto r = Verify(LoadQuote(c), *col, Now(c), relaxed);
  EXPECT_THAT(r, FailsWith(VerifyFailure::kRootCaUntrusted));
  EXPECT_THAT(Verify(LoadQuote(c), *col, Now(c)),
              FailsWith(VerifyFailure::kCrlExpired));
}

// EditPemBody applies `edit` to the base64 body of certificate `index` in a
// PEM chain.
std::string EditPemBody(std::string pem, size_t index,
                        void (*edit)(std::string*)) {
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  size_t begin = 0;
  for (size_t i = 0; i <= index; ++i) {
    begin = pem.find(kBegin, i == 0 ? 0 : begin + 1);
    EXPECT_NE(begin, std::string::npos);
  }
  begin += kBegin.size();
  size_t end = pem.find("-----END CERTIFICATE-----", begin);
  std::string body = pem.substr(begin, end - begin);
  edit(&body);
  return pem.replace(begin, end - begin, body);
}

void Rewrap(std::string* body) {  // 76 columns, CRLF.
  std::string flat;
  for (char c : *body) {
    if (c != '\n' && c != '\r') {
      flat += c;
    }
  }
  *body = "\r\n";
  for (size_t i = 0; i < flat.size(); i += 76) {
    *body += flat.substr(i, 76) + "\r\n";
  }
}

void FlipSignatureChar(std::string* body) {  // In the trailing signature.
  size_t at = body->find_last_not_of("=\r\n") - 20;
  (*body)[at] = (*body)[at] == 'A' ? 'B' : 'A';
}

// The verifier recognises the quote's PCK CA and root by their PEM text, and
// falls back to comparing DER: other line wrapping changes nothing, and any
// other text is verified as a different certificate.
TEST(VerifyRealTest, PckChainIsJudgedByItsDerNotItsText) {
  auto col = LoadCollateral(kSgx);
  ASSERT_THAT(col, IsOk());
  ParseOptions parse;
  parse.trailing = TrailingBytes::kAny;
  MRA_ASSERT_OK_AND_ASSIGN(ParsedQuote q, ParseQuote(LoadQuote(kSgx), parse));
  MRA_ASSERT_OK_AND_ASSIGN(VerificationResult want,
                           VerifyQuote(q, *col, {}, Now(kSgx)));

  ParsedQuote rewrapped = q;
  for (size_t i = 0; i < 3; ++i) {
    rewrapped.signature.pck_chain_pem =
        EditPemBody(rewrapped.signature.pck_chain_pem, i, Rewrap);
  }
  ASSERT_NE(rewrapped.signature.pck_chain_pem, q.signature.pck_chain_pem);
  MRA_ASSERT_OK_AND_ASSIGN(VerificationResult got,
                           VerifyQuote(rewrapped, *col, {}, Now(kSgx)));
  EXPECT_EQ(got.status, want.status);
  EXPECT_EQ(got.advisory_ids, want.advisory_ids);

  ParsedQuote other_ca = q;
  other_ca.signature.pck_chain_pem =
      EditPemBody(q.signature.pck_chain_pem, 1, FlipSignatureChar);
  EXPECT_THAT(VerifyQuote(other_ca, *col, {}, Now(kSgx)),
              FailsWith(VerifyFailure::kCertChainInvalid));
  ParsedQuote other_root = q;
  other_root.signature.pck_chain_pem =
      EditPemBody(q.signature.pck_chain_pem, 2, FlipSignatureChar);
  EXPECT_THAT(VerifyQuote(other_root, *col, {}, Now(kSgx)),
              FailsWith(VerifyFailure::kRootCaUntrusted));
  ParsedQuote bad_base64 = q;
  bad_base64.signature.pck_chain_pem = EditPemBody(
      q.signature.pck_chain_pem, 1, [](std::string* b) { (*b)[30] = '*'; });
  auto bad = VerifyQuote(bad_base64, *col, {}, Now(kSgx));
  EXPECT_THAT(bad, FailsWith(VerifyFailure::kQuoteMalformed));
  EXPECT_THAT(bad.status().message(),
              HasSubstr("quote.pck_chain: certificate 1 is not valid base64"));
}

TEST(VerifyRealTest, CollateralWindowsAtTheirEdges) {
  auto col = LoadCollateral(kSgx);
  ASSERT_THAT(col, IsOk());
  auto verified = VerifyCollateral(*col, {}, Now(kSgx));
  ASSERT_THAT(verified, IsOk());
  absl::Time nb = (*verified)->not_before();
  absl::Time na = (*verified)->not_after();
  EXPECT_EQ(nb, col->tcb_info.issue_date);      // 2025-06-19T10:56:11Z
  EXPECT_EQ(na, col->qe_identity.next_update);  // 2025-07-19T10:01:18Z
  Bytes quote = LoadQuote(kSgx);
  EXPECT_THAT(Verify(quote, *col, nb), IsOk());
  EXPECT_THAT(Verify(quote, *col, na), IsOk());
  EXPECT_THAT(Verify(quote, *col, nb - absl::Seconds(1)),
              FailsWith(VerifyFailure::kTcbInfoExpired));
  EXPECT_THAT(Verify(quote, *col, na + absl::Seconds(1)),
              FailsWith(VerifyFailure::kQeIdentityExpired));
}

// ---- Forged worlds -------------------------------------------------------

using testing::Forge;
using testing::Forged;
using testing::ForgeOptions;

struct World {
  Forged forged;
  collateral::Collateral collateral;
  VerifierOptions options;  // Trusts the forged (simulation) root.
  absl::Time now;
};

World MakeWorld(const ForgeOptions& o) {
  World w;
  auto forged = Forge(o);
  EXPECT_THAT(forged, IsOk());
  w.forged = *std::move(forged);
  auto col = collateral::ParseCollateralJson(w.forged.collateral_json);
  EXPECT_THAT(col, IsOk()) << w.forged.collateral_json;
  if (col.ok()) {
    w.collateral = *std::move(col);
  }
  auto store = TrustStore::Create(std::vector<std::string>{w.forged.root_pem});
  EXPECT_THAT(store, IsOk());
  if (store.ok()) {
    w.options.trust_store = *store;
  }
  w.now = o.now;
  return w;
}

absl::StatusOr<VerificationResult> VerifyWorld(const World& w) {
  return Verify(w.forged.quote, w.collateral, w.now, w.options);
}

TEST(ForgedTest, CleanWorldVerifiesAsSimulation) {
  World w = MakeWorld({});
  auto r = VerifyWorld(w);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->status, TcbStatus::kUpToDate);
  EXPECT_TRUE(r->simulation);
  EXPECT_EQ(r->root_fingerprint,
            w.options.trust_store->roots().back().fingerprint);
  EXPECT_EQ(r->sgx->isv_svn, 3);
  EXPECT_FALSE(r->Debug());
  // With the default trust store (Intel only) the same world is untrusted.
  EXPECT_THAT(Verify(w.forged.quote, w.collateral, w.now),
              FailsWith(VerifyFailure::kRootCaUntrusted));
  // Without Intel's root but with the test root: still verifies.
  auto only = TrustStore::Create(std::vector<std::string>{w.forged.root_pem},
                                 /*include_intel=*/false);
  ASSERT_THAT(only, IsOk());
  VerifierOptions o;
  o.trust_store = *only;
  EXPECT_THAT(Verify(w.forged.quote, w.collateral, w.now, o), IsOk());
}

struct ForgeCase {
  const char* name;
  void (*tweak)(ForgeOptions*);
  VerifyFailure want;
  // When set, accept_expired_crls makes the world verify.
  bool crl_relaxable = false;
};

const ForgeCase kForgeCases[] = {
    {"pck_revoked", [](ForgeOptions* o) { o->revoke_pck = true; },
     VerifyFailure::kPckRevoked},
    {"pck_ca_revoked", [](ForgeOptions* o) { o->revoke_pck_ca = true; },
     VerifyFailure::kPckRevoked},
    {"pck_crl_signed_by_wrong_ca",
     [](ForgeOptions* o) { o->pck_crl_signed_by_root = true; },
     VerifyFailure::kCrlInvalid},
    {"tcb_info_signed_by_wrong_key",
     [](ForgeOptions* o) { o->tcb_info_signed_by_pck_ca = true; },
     VerifyFailure::kTcbInfoInvalid},
    {"tcb_info_expired",
     [](ForgeOptions* o) { o->tcb_info_next_update = absl::Seconds(-1); },
     VerifyFailure::kTcbInfoExpired},
    {"tcb_info_not_yet_valid",
     [](ForgeOptions* o) { o->tcb_info_issued = absl::Seconds(1); },
     VerifyFailure::kTcbInfoExpired},
    {"qe_identity_expired",
     [](ForgeOptions* o) { o->qe_identity_next_update = absl::Seconds(-1); },
     VerifyFailure::kQeIdentityExpired},
    {"qe_identity_not_yet_valid",
     [](ForgeOptions* o) { o->qe_identity_issued = absl::Hours(1); },
     VerifyFailure::kQeIdentityExpired},
    {"pck_crl_expired",
     [](ForgeOptions* o) { o->pck_crl_next_update = absl::Seconds(-1); },
     VerifyFailure::kCrlExpired, true},
    {"pck_crl_not_yet_valid",
     [](ForgeOptions* o) { o->pck_crl_this_update = absl::Hours(2); },
     VerifyFailure::kCrlExpired, true},
    {"root_crl_expired",
     [](ForgeOptions* o) { o->root_crl_next_update = absl::Seconds(-1); },
     VerifyFailure::kCrlExpired, true},
    {"pck_leaf_expired",
     [](ForgeOptions* o) { o->pck_leaf_not_after = absl::Seconds(-1); },
     VerifyFailure::kCertExpired},
    {"pck_leaf_not_yet_valid",
     [](ForgeOptions* o) { o->pck_leaf_not_before = absl::Hours(1); },
     VerifyFailure::kCertExpired},
    {"fmspc_mismatch",
     [](ForgeOptions* o) {
       o->tcb_info_fmspc = std::array<uint8_t, 6>{0, 0x60, 0x6a, 0, 0, 0};
     },
     VerifyFailure::kTcbInfoMismatch},
    {"qe_identity_mismatch",
     [](ForgeOptions* o) { o->qe_identity_wrong_mrsigner = true; },
     VerifyFailure::kQeIdentityMismatch},
    {"no_tcb_level_matches",
     [](ForgeOptions* o) {
       o->levels = {{"UpToDate", 1, {}}};
     },
     VerifyFailure::kTcbNotSupported},
    {"tcb_level_revoked",
     [](ForgeOptions* o) {
       o->levels = {{"UpToDate", 1, {}}, {"Revoked", 0, {}}};
     },
     VerifyFailure::kTcbRevoked},
    {"qe_level_revoked",
     [](ForgeOptions* o) { o->qe_level_status = "Revoked"; },
     VerifyFailure::kTcbRevoked},
};

class ForgeCaseTest : public ::testing::TestWithParam<ForgeCase> {};

TEST_P(ForgeCaseTest, FailsWithTheSpecificVerdict) {
  const ForgeCase& c = GetParam();
  ForgeOptions o;
  c.tweak(&o);
  World w = MakeWorld(o);
  auto r = VerifyWorld(w);
  EXPECT_THAT(r, FailsWith(c.want));
  VerifierOptions relaxed = w.options;
  relaxed.accept_expired_crls = true;
  auto rr = Verify(w.forged.quote, w.collateral, w.now, relaxed);
  if (c.crl_relaxable) {
    EXPECT_THAT(rr, IsOk());
  } else {
    EXPECT_THAT(rr, FailsWith(c.want));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Forged, ForgeCaseTest, ::testing::ValuesIn(kForgeCases),
    [](const ::testing::TestParamInfo<ForgeCase>& param_info) {
      return std::string(param_info.param.name);
    });

TEST(ForgedTest, StatusConvergesAsIntel) {
  // Platform ConfigurationNeeded with a QE that is OutOfDate: Intel QVL says
  // OutOfDateConfigurationNeeded (@phala/dcap-qvl would say OutOfDate).
  ForgeOptions o;
  o.levels = {{"UpToDate", 1, {}},
              {"ConfigurationNeeded", 0, {"INTEL-SA-00001", "INTEL-SA-00002"}}};
  o.qe_level_status = "OutOfDate";
  World w = MakeWorld(o);
  auto r = VerifyWorld(w);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->status, TcbStatus::kOutOfDateConfigurationNeeded);
  EXPECT_EQ(r->sgx_level.status, TcbStatus::kConfigurationNeeded);
  EXPECT_EQ(r->qe_level.status, TcbStatus::kOutOfDate);
  EXPECT_EQ(r->advisory_ids,
            (std::vector<std::string>{"INTEL-SA-00001", "INTEL-SA-00002"}));

  o.levels = {{"SWHardeningNeeded", 0, {"INTEL-SA-00615"}}};
  o.qe_level_status = "UpToDate";
  World w2 = MakeWorld(o);
  auto r2 = VerifyWorld(w2);
  ASSERT_THAT(r2, IsOk());
  EXPECT_EQ(r2->status, TcbStatus::kSwHardeningNeeded);
  EXPECT_EQ(r2->advisory_ids, std::vector<std::string>{"INTEL-SA-00615"});
}

TEST(ForgedTest, QeIdentityMiscselectIsInReportByteOrder) {
  // The QE identity's miscselect / miscselectMask hex strings are the 4 bytes
  // in the order they appear in the report (little-endian), as Intel QVL
  // (swapBytes of the big-endian read) and @phala dcap-qvl (from_le_bytes)
  // read them: "01000000" is MISCSELECT bit 0, "FF000000" masks the low byte.
  ForgeOptions o;
  o.qe_identity_miscselect = "01000000";
  o.qe_identity_miscselect_mask = "FF000000";
  o.qe_miscselect = 0xffffff01;  // Only the low byte is judged.
  World w = MakeWorld(o);
  EXPECT_EQ(w.collateral.qe_identity.miscselect, 0x00000001u);
  EXPECT_EQ(w.collateral.qe_identity.miscselect_mask, 0x000000ffu);
  EXPECT_THAT(VerifyWorld(w), IsOk());

  o.qe_miscselect = 0x01000000;
  World refused = MakeWorld(o);
  auto r = VerifyWorld(refused);
  EXPECT_THAT(r, FailsWith(VerifyFailure::kQeIdentityMismatch));
  EXPECT_THAT(std::string(ToStd(r.status().message())),
              HasSubstr("MISCSELECT 01000000 under mask 000000ff"));
}

TEST(ForgedTest, QeVendorIdMustBeIntels) {
  // Intel QVL refuses a quote whose header QE vendor id is not Intel's
  // (939A7233F79C4CA9940A0DB3957F0607); everything else here is valid and
  // the id is covered by the quote signature.
  ForgeOptions o;
  o.qe_vendor_id[15] ^= 0x01;
  World w = MakeWorld(o);
  auto r = VerifyWorld(w);
  EXPECT_THAT(r, FailsWith(VerifyFailure::kQuoteUnsupported));
  const std::string message(ToStd(r.status().message()));
  EXPECT_THAT(message, HasSubstr("header.qe_vendor_id"));
  EXPECT_THAT(message, HasSubstr("939a7233f79c4ca9940a0db3957f0606"));
  EXPECT_THAT(message, HasSubstr("939a7233f79c4ca9940a0db3957f0607"));
}

TEST(ForgedTest, CollateralIssuerChainsAreExactlySignerAndRoot) {
  // [TCB signer, intermediate, root] with the intermediate revoked by the
  // root CA CRL: only the chain's first certificate was checked against that
  // CRL, so this passed. Intel's collateral chains are always two long.
  ForgeOptions o;
  o.tcb_chain_intermediate = true;
  o.revoke_tcb_intermediate = true;
  World w = MakeWorld(o);
  ASSERT_EQ(w.collateral.tcb_info_issuer_chain.size(), 3u);
  auto r = VerifyWorld(w);
  EXPECT_THAT(r, FailsWith(VerifyFailure::kCertChainInvalid));
  EXPECT_THAT(std::string(ToStd(r.status().message())),
              HasSubstr("collateral.tcb_info_issuer_chain: 3 certificates"));
  // Unrevoked, the three-certificate chain is refused all the same.
  o.revoke_tcb_intermediate = false;
  EXPECT_THAT(VerifyWorld(MakeWorld(o)),
              FailsWith(VerifyFailure::kCertChainInvalid));

  // [signer] alone (root left out) is refused too.
  World one = MakeWorld({});
  one.collateral.pck_crl_issuer_chain.pop_back();
  auto r1 = VerifyWorld(one);
  EXPECT_THAT(r1, FailsWith(VerifyFailure::kCertChainInvalid));
  EXPECT_THAT(std::string(ToStd(r1.status().message())),
              HasSubstr("collateral.pck_crl_issuer_chain: 1 certificate"));

  // [signer, intermediate]: two certificates, but the second is not the
  // root, only issued by it.
  World two = MakeWorld(o);
  two.collateral.tcb_info_issuer_chain.pop_back();
  two.collateral.qe_identity_issuer_chain.pop_back();
  auto r2 = VerifyWorld(two);
  EXPECT_THAT(r2, FailsWith(VerifyFailure::kCertChainInvalid));
  EXPECT_THAT(std::string(ToStd(r2.status().message())),
              HasSubstr("collateral.tcb_info_issuer_chain[1]"));

  // [signer, the root re-issued]: the same subject and key as the trusted
  // root, other bytes; it is the root, so the chain is accepted.
  ForgeOptions reissued;
  reissued.tcb_chain_reissued_root = true;
  EXPECT_THAT(VerifyWorld(MakeWorld(reissued)), IsOk());
}

TEST(ForgedTest, RealQuoteAgainstForgedCollateralIsUntrusted) {
  World w = MakeWorld({});
  // Trust both roots: the Intel-rooted quote must still not be accepted with
  // collateral from another root.
  auto col = VerifyCollateral(w.collateral, w.options, w.now);
  ASSERT_THAT(col, IsOk());
  Bytes real = LoadQuote(kSgx);
  auto q = ParseQuote(real);
  ASSERT_THAT(q, IsOk());
  auto r = VerifyQuote(*q, **col, w.now);
  EXPECT_THAT(r, FailsWith(VerifyFailure::kRootCaUntrusted));
  EXPECT_THAT(std::string(ToStd(r.status().message())),
              HasSubstr("but the collateral in"));
}

TEST(ForgedTest, CollateralFromTwoRootsIsRefused) {
  World a = MakeWorld({});
  World b = MakeWorld({});
  // a's TCB info chain with b's PCK CRL chain.
  b.collateral.tcb_info_issuer_chain =
      std::move(a.collateral.tcb_info_issuer_chain);
  b.collateral.tcb_info_json = a.collateral.tcb_info_json;
  b.collateral.tcb_info_signature = a.collateral.tcb_info_signature;
  b.collateral.tcb_info = a.collateral.tcb_info;
  auto store = TrustStore::Create(
      std::vector<std::string>{a.forged.root_pem, b.forged.root_pem});
  ASSERT_THAT(store, IsOk());
  VerifierOptions o;
  o.trust_store = *store;
  EXPECT_THAT(VerifyCollateral(b.collateral, o, b.now),
              FailsWith(VerifyFailure::kRootCaUntrusted));
}

TEST(TrustStoreTest, IntelRootIsPinned) {
  auto store = TrustStore::IntelOnly();
  ASSERT_EQ(store->roots().size(), 1u);
  EXPECT_EQ(store->roots()[0].fingerprint, kIntelSgxRootCaSha256);
  EXPECT_FALSE(store->roots()[0].simulation);
  EXPECT_EQ(store, TrustStore::IntelOnly());  // Parsed once.
  // Passing Intel's root explicitly does not make it a simulation root.
  auto again = TrustStore::Create(
      std::vector<std::string>{std::string(IntelSgxRootCaPem())});
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ((*again)->roots().size(), 1u);
  EXPECT_FALSE((*again)->roots()[0].simulation);
}

TEST(TrustStoreTest, RefusesNonRoots) {
  auto forged = Forge({});
  ASSERT_THAT(forged, IsOk());
  EXPECT_THAT(TrustStore::Create(std::vector<std::string>{forged->pck_ca_pem}),
              ::mra::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(TrustStore::Create(std::vector<std::string>{"not a certificate"}),
              ::mra::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(TrustStore::Create(std::vector<std::string>{forged->root_pem +
                                                          forged->root_pem}),
              ::mra::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(TrustStore::Create({}, /*include_intel=*/false),
              ::mra::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

// ---- Appraisal --------------------------------------------------------------

TEST(AppraiseTest, DefaultsFailClosed) {
  AppraisalPolicy policy;
  EXPECT_EQ(policy.accepted_statuses,
            std::vector<TcbStatus>{TcbStatus::kUpToDate});
  EXPECT_FALSE(policy.allow_debug);
  EXPECT_FALSE(policy.allow_simulation);

  World w = MakeWorld({});
  auto r = VerifyWorld(w);
  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(Appraise(*r, policy),
              FailsWith(VerifyFailure::kSimulationNotTrusted));
  policy.allow_simulation = true;
  EXPECT_THAT(Appraise(*r, policy), IsOk());
}

TEST(AppraiseTest, StatusNotAccepted) {
  auto col = LoadCollateral(kSgx);
  ASSERT_THAT(col, IsOk());
  auto r = Verify(LoadQuote(kSgx), *col, Now(kSgx));
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->status, TcbStatus::kConfigurationAndSwHardeningNeeded);
  AppraisalPolicy policy;
  auto s = Appraise(*r, policy);
  EXPECT_THAT(s, FailsWith(VerifyFailure::kTcbStatusNotAccepted));
  EXPECT_THAT(std::string(ToStd(s.message())),
              HasSubstr("ConfigurationAndSWHardeningNeeded"));
  policy.accepted_statuses.push_back(
      TcbStatus::kConfigurationAndSwHardeningNeeded);
  EXPECT_THAT(Appraise(*r, policy), IsOk());
  policy.accepted_statuses.clear();
  EXPECT_THAT(Appraise(*r, policy),
              FailsWith(VerifyFailure::kTcbStatusNotAccepted));
}

TEST(AppraiseTest, DebugEnclaveRefusedUnlessAllowed) {
  auto col = LoadCollateral(kSgxDebug);
  ASSERT_THAT(col, IsOk());
  auto r = Verify(LoadQuote(kSgxDebug), *col, Now(kSgxDebug));
  ASSERT_THAT(r, IsOk());
  ASSERT_TRUE(r->Debug());
  AppraisalPolicy policy;
  policy.accepted_statuses = {r->status};
  EXPECT_THAT(Appraise(*r, policy), FailsWith(VerifyFailure::kDebugEnclave));
  policy.allow_debug = true;
  EXPECT_THAT(Appraise(*r, policy), IsOk());

  ForgeOptions o;
  o.debug = true;
  auto fr = VerifyWorld(MakeWorld(o));
  ASSERT_THAT(fr, IsOk());
  AppraisalPolicy sim;
  sim.allow_simulation = true;
  EXPECT_THAT(Appraise(*fr, sim), FailsWith(VerifyFailure::kDebugEnclave));
}

TEST(AppraiseTest, MinimumIsvSvn) {
  auto r = VerifyWorld(MakeWorld({}));  // ISVSVN 3.
  ASSERT_THAT(r, IsOk());
  AppraisalPolicy policy;
  policy.allow_simulation = true;
  policy.min_isv_svn = 4;
  EXPECT_THAT(Appraise(*r, policy), FailsWith(VerifyFailure::kIsvSvnTooLow));
  policy.min_isv_svn = 3;
  EXPECT_THAT(Appraise(*r, policy), IsOk());

  // TDX quotes have no ISV SVN: the rule does not apply.
  auto col = LoadCollateral(kTdx);
  ASSERT_THAT(col, IsOk());
  auto tr = Verify(LoadQuote(kTdx), *col, Now(kTdx));
  ASSERT_THAT(tr, IsOk());
  AppraisalPolicy tdx;
  tdx.min_isv_svn = 100;
  EXPECT_THAT(Appraise(*tr, tdx), IsOk());
}

TEST(AppraiseTest, CollateralTooOld) {
  auto r = VerifyWorld(MakeWorld({}));  // Issued 24h before now.
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->verified_at - r->earliest_issue_date, absl::Hours(24));
  AppraisalPolicy policy;
  policy.allow_simulation = true;
  policy.max_collateral_age = absl::Hours(23);
  EXPECT_THAT(Appraise(*r, policy),
              FailsWith(VerifyFailure::kCollateralTooOld));
  policy.max_collateral_age = absl::Hours(24);
  EXPECT_THAT(Appraise(*r, policy), IsOk());
}

// ---- Cache ------------------------------------------------------------------

TEST(QuoteVerifierTest, SecondVerificationHitsTheCache) {
  auto col = LoadCollateral(kSgx);
  ASSERT_THAT(col, IsOk());
  auto q = ParseQuote(LoadQuote(kSgx));
  ASSERT_THAT(q, IsOk());
  QuoteVerifier v;
  ASSERT_THAT(v.Verify(*q, *col, Now(kSgx)), IsOk());
  EXPECT_EQ(v.cache_stats().misses, 1u);
  EXPECT_EQ(v.cache_stats().hits, 0u);
  ASSERT_THAT(v.Verify(*q, *col, Now(kSgx)), IsOk());
  EXPECT_EQ(v.cache_stats().misses, 1u);
  EXPECT_EQ(v.cache_stats().hits, 1u);
  EXPECT_EQ(v.cache_stats().entries, 1u);

  // The same bytes parsed again are the same collateral.
  auto col2 = LoadCollateral(kSgx);
  ASSERT_THAT(col2, IsOk());
  ASSERT_THAT(v.Verify(*q, *col2, Now(kSgx)), IsOk());
  EXPECT_EQ(v.cache_stats().hits, 2u);
  EXPECT_EQ(CollateralDigest(*col), CollateralDigest(*col2));

  // Other collateral: a miss and a second entry.
  auto tdx_col = LoadCollateral(kTdx);
  ASSERT_THAT(tdx_col, IsOk());
  EXPECT_NE(CollateralDigest(*col), CollateralDigest(*tdx_col));
  auto tq = ParseQuote(LoadQuote(kTdx), {TrailingBytes::kAny});
  ASSERT_THAT(tq, IsOk());
  ASSERT_THAT(v.Verify(*tq, *tdx_col, Now(kTdx)), IsOk());
  EXPECT_EQ(v.cache_stats().misses, 2u);
  EXPECT_EQ(v.cache_stats().entries, 2u);

  v.ClearCache();
  EXPECT_EQ(v.cache_stats().entries, 0u);
  EXPECT_EQ(v.cache_stats().hits, 0u);
}

TEST(QuoteVerifierTest, CacheRespectsTheValidityWindow) {
  auto col = LoadCollateral(kSgx);
  ASSERT_THAT(col, IsOk());
  auto q = ParseQuote(LoadQuote(kSgx));
  ASSERT_THAT(q, IsOk());
  QuoteVerifier v;
  ASSERT_THAT(v.Verify(*q, *col, Now(kSgx)), IsOk());
  auto verified = v.GetVerifiedCollateral(*col, Now(kSgx));
  ASSERT_THAT(verified, IsOk());
  absl::Time after = (*verified)->not_after() + absl::Seconds(1);
  absl::Time before = (*verified)->not_before() - absl::Seconds(1);
  // Cache hits outside the window fail with the specific verdict.
  EXPECT_THAT(v.Verify(*q, *col, after),
              FailsWith(VerifyFailure::kQeIdentityExpired));
  EXPECT_THAT(v.Verify(*q, *col, before),
              FailsWith(VerifyFailure::kTcbInfoExpired));
  EXPECT_EQ(v.cache_stats().misses, 1u);
  EXPECT_EQ(v.cache_stats().hits, 3u);
  // And back inside it.
  EXPECT_THAT(v.Verify(*q, *col, Now(kSgx)), IsOk());

  // Collateral first seen outside its window is verified once, cached, and
  // usable when the window opens.
  QuoteVerifier early;
  EXPECT_THAT(early.Verify(*q, *col, before),
              FailsWith(VerifyFailure::kTcbInfoExpired));
  EXPECT_THAT(early.Verify(*q, *col, Now(kSgx)), IsOk());
  EXPECT_EQ(early.cache_stats().misses, 1u);
  EXPECT_EQ(early.cache_stats().hits, 1u);
}

TEST(QuoteVerifierTest, BadCollateralIsNotCached) {
  std::string json = LoadCollateralJson(kSgx);
  auto col = collateral::ParseCollateralJson(
      EditBundle(json, R"(\"tcbEvaluationDataNumber\":17)",
                 R"(\"tcbEvaluationDataNumber\":16)"));
  ASSERT_THAT(col, IsOk());
  auto q = ParseQuote(LoadQuote(kSgx));
  ASSERT_THAT(q, IsOk());
  QuoteVerifier v;
  EXPECT_THAT(v.Verify(*q, *col, Now(kSgx)),
              FailsWith(VerifyFailure::kTcbInfoInvalid));
  EXPECT_THAT(v.Verify(*q, *col, Now(kSgx)),
              FailsWith(VerifyFailure::kTcbInfoInvalid));
  EXPECT_EQ(v.cache_stats().entries, 0u);
  EXPECT_EQ(v.cache_stats().misses, 2u);
}

TEST(QuoteVerifierTest, OptionsAreAppliedToCachedEntries) {
  ForgeOptions o;
  o.pck_crl_next_update = absl::Seconds(-1);
  World w = MakeWorld(o);
  auto q = ParseQuote(w.forged.quote);
  ASSERT_THAT(q, IsOk());
  QuoteVerifier strict(w.options);
  EXPECT_THAT(strict.Verify(*q, w.collateral, w.now),
              FailsWith(VerifyFailure::kCrlExpired));
  VerifierOptions relaxed = w.options;
  relaxed.accept_expired_crls = true;
  QuoteVerifier lenient(relaxed);
  EXPECT_THAT(lenient.Verify(*q, w.collateral, w.now), IsOk());
}

TEST(QuoteVerifierTest, MemoisedPlatformStillChecksEveryQuote) {
  ForgeOptions o;
  o.pck_leaf_not_after = absl::Hours(1);
  World w = MakeWorld(o);
  QuoteVerifier v(w.options);
  auto q = ParseQuote(w.forged.quote);
  ASSERT_THAT(q, IsOk());
  ASSERT_THAT(v.Verify(*q, w.collateral, w.now), IsOk());
  ASSERT_THAT(v.Verify(*q, w.collateral, w.now), IsOk());  // Memo hit.
  // The memoised leaf's validity is still checked at `now`.
  EXPECT_THAT(v.Verify(*q, w.collateral, w.now + absl::Hours(2)),
              FailsWith(VerifyFailure::kCertExpired));
  // Quotes of the same platform are still checked in full.
  struct Flip {
    size_t offset;
    VerifyFailure want;
  };
  for (Flip f : {Flip{112, VerifyFailure::kQuoteSignatureInvalid},
                 Flip{436 + 5, VerifyFailure::kQuoteSignatureInvalid},
                 Flip{500 + 5, VerifyFailure::kQeReportDataMismatch},
                 Flip{564 + 200, VerifyFailure::kQeReportSignatureInvalid},
                 Flip{948 + 5, VerifyFailure::kQeReportSignatureInvalid}}) {
    Bytes bad = w.forged.quote;
    bad[f.offset] ^= 0x01;
    auto bq = ParseQuote(bad);
    ASSERT_THAT(bq, IsOk());
    EXPECT_THAT(v.Verify(*bq, w.collateral, w.now), FailsWith(f.want))
        << f.offset;
  }
  EXPECT_THAT(v.Verify(*q, w.collateral, w.now), IsOk());
}

TEST(QuoteVerifierTest, ConcurrentVerification) {
  auto col = LoadCollateral(kSgx);
  ASSERT_THAT(col, IsOk());
  auto q = ParseQuote(LoadQuote(kSgx));
  ASSERT_THAT(q, IsOk());
  QuoteVerifier v(VerifierOptions{}, 4);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        if (v.Verify(*q, *col, Now(kSgx)).ok()) {
          ok.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(ok.load(), 20);
  EXPECT_EQ(v.cache_stats().hits + v.cache_stats().misses, 20u);
  EXPECT_EQ(v.cache_stats().entries, 1u);
}

}  // namespace
}  // namespace mra::sgx

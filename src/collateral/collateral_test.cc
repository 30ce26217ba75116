#include "mra/collateral/collateral.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <set>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

#include "mra/base/file.h"
#include "mra/base/hex.h"
#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"

namespace mra::collateral {
namespace {

using ::mra::testing::FailsWith;
using ::mra::testing::IsOk;
using ::testing::HasSubstr;
using Json = nlohmann::json;

std::string Read(const std::string& rel) {
  auto text =
      ReadFileBounded(testing::SharedPath("testdata/dcap/" + rel), 8 << 20);
  EXPECT_THAT(text, IsOk()) << rel;
  return text.ok() ? *text : "";
}

Json Cases() { return Json::parse(Read("cases.json")); }

TEST(CollateralTest, EveryRealBundleParses) {
  Json cases = Cases();
  std::set<std::string> seen;
  size_t num_tdx = 0;
  for (const Json& c : cases["cases"]) {
    std::string rel = c["collateral"].get<std::string>();
    std::string text = Read(rel);
    absl::StatusOr<Collateral> col = ParseCollateralJson(text);
    ASSERT_THAT(col, IsOk()) << rel;
    // The issuer chains end in Intel's root (3 or 2 certs), CRLs decode.
    EXPECT_GE(col->tcb_info_issuer_chain.size(), 2u) << rel;
    EXPECT_GE(col->pck_crl_issuer_chain.size(), 2u) << rel;
    EXPECT_FALSE(col->pck_crl_der.empty());
    EXPECT_FALSE(col->root_ca_crl_der.empty());
    EXPECT_EQ(col->tcb_info_signature.size(), 64u);
    const Json& exp = c["expected"];
    if (exp.contains("tcb_eval_num")) {
      EXPECT_EQ(col->tcb_info.tcb_evaluation_data_number,
                exp["tcb_eval_num"].get<uint32_t>())
          << rel;
    }
    bool tdx = col->tcb_info.tee == TeeType::kTdx;
    EXPECT_EQ(col->qe_identity.id, tdx ? "TD_QE" : "QE") << rel;
    if (tdx) {
      ++num_tdx;
      EXPECT_TRUE(col->tcb_info.tdx_module.has_value());
      EXPECT_TRUE(col->tcb_info.tcb_levels[0].tdx_components.has_value());
    }
    // The signed bytes are kept exactly: they re-parse to the same FMSPC.
    Json raw = Json::parse(col->tcb_info_json);
    const Json& inner = raw.contains("tcbInfo") ? raw["tcbInfo"] : raw;
    std::string fmspc = inner["fmspc"].get<std::string>();
    for (char& ch : fmspc) {
      ch = static_cast<char>(std::tolower(ch));
    }
    EXPECT_EQ(HexEncode(col->tcb_info.fmspc), fmspc);
    seen.insert(rel);
  }
  EXPECT_GE(seen.size(), 10u);
  EXPECT_GE(num_tdx, 5u);
}

// A bundle carries the root in three chains and the TCB signing certificate
// in two: each distinct certificate is parsed once and shared, and the Intel
// root is the process-wide copy.
TEST(CollateralTest, RepeatedCertificatesAreParsedOnce) {
  Json c = Cases()["cases"][0];
  absl::StatusOr<Collateral> col =
      ParseCollateralJson(Read(c["collateral"].get<std::string>()));
  ASSERT_THAT(col, IsOk());
  absl::StatusOr<CertChain> intel = ParsePemChain(IntelSgxRootCaPem(), "root");
  ASSERT_THAT(intel, IsOk());
  X509* root = col->pck_crl_issuer_chain.back().get();
  EXPECT_EQ(root, (*intel)[0].get());
  EXPECT_EQ(col->tcb_info_issuer_chain.back().get(), root);
  EXPECT_EQ(col->qe_identity_issuer_chain.back().get(), root);
  EXPECT_EQ(col->tcb_info_issuer_chain.front().get(),
            col->qe_identity_issuer_chain.front().get());
  EXPECT_NE(col->tcb_info_issuer_chain.front().get(),
            col->pck_crl_issuer_chain.front().get());
}

// PEM whose DER has a byte after the certificate is refused (exact
// consumption), as is a PEM block of another type.
TEST(CollateralTest, PemChainRefusesTrailingDerAndOtherBlocks) {
  std::string pem(IntelSgxRootCaPem());
  size_t b = pem.find('\n') + 1;
  size_t e = pem.find("-----END");
  std::string b64;
  for (char ch : pem.substr(b, e - b)) {
    if (ch != '\n') b64 += ch;
  }
  // Decode, append one byte, re-encode.
  std::vector<uint8_t> der(b64.size());
  int n = EVP_DecodeBlock(der.data(),
                          reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  ASSERT_GT(n, 0);
  size_t pad = static_cast<size_t>(std::count(b64.end() - 2, b64.end(), '='));
  der.resize(static_cast<size_t>(n) - pad);
  der.push_back(0);
  std::string out(4 * ((der.size() + 2) / 3) + 1, '\0');
  int m = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          der.data(), static_cast<int>(der.size()));
  out.resize(static_cast<size_t>(m));
  std::string bad = "-----BEGIN CERTIFICATE-----\n";
  for (size_t i = 0; i < out.size(); i += 64) bad += out.substr(i, 64) + "\n";
  bad += "-----END CERTIFICATE-----\n";
  absl::StatusOr<CertChain> chain = ParsePemChain(bad, "chain");
  EXPECT_THAT(chain, FailsWith(VerifyFailure::kCollateralMalformed));
  EXPECT_THAT(chain.status().message(), HasSubstr("bytes after its DER"));

  std::string header = pem;
  header.insert(b, "Proc-Type: 4,ENCRYPTED\n\n");
  EXPECT_THAT(ParsePemChain(header, "chain"),
              FailsWith(VerifyFailure::kCollateralMalformed));
}

// Found by pcs_response_fuzzer: hex text of odd length was refused with a
// bare INVALID_ARGUMENT instead of a COLLATERAL_MALFORMED verdict.
TEST(CollateralTest, OddLengthHexCrlIsMalformed) {
  std::vector<uint8_t> der;
  absl::StatusOr<crypto::X509CrlPtr> crl = ParseCrl("30820", "pck_crl", &der);
  EXPECT_THAT(crl, FailsWith(VerifyFailure::kCollateralMalformed));
  EXPECT_THAT(crl.status().message(), HasSubstr("pck_crl"));
  EXPECT_THAT(crl.status().message(), HasSubstr("odd hex length"));
}

TEST(CollateralTest, TcbInfoV2IsSgxWithFlatComponents) {
  MRA_ASSERT_OK_AND_ASSIGN(
      Collateral col,
      ParseCollateralJson(Read(
          "assembled/automata-0625-sgx-00606a-tcbv2-2506.collateral.json")));
  EXPECT_EQ(col.tcb_info.version, 2u);
  EXPECT_EQ(col.tcb_info.tee, TeeType::kSgx);
  EXPECT_EQ(col.tcb_info.tcb_levels[0].sgx_components[0], 14);
  EXPECT_EQ(col.tcb_info.tcb_levels[0].pce_svn, 13);
  EXPECT_EQ(col.tcb_info.tcb_levels[0].status, TcbStatus::kSwHardeningNeeded);
}

TEST(CollateralTest, TdxModuleIdentitiesParse) {
  MRA_ASSERT_OK_AND_ASSIGN(
      Collateral col,
      ParseCollateralJson(Read("dcap-qvl/sample/tdx_quote_collateral.json")));
  ASSERT_EQ(col.tcb_info.tdx_module_identities.size(), 2u);
  EXPECT_EQ(col.tcb_info.tdx_module_identities[0].id, "TDX_03");
  EXPECT_EQ(col.tcb_info.tdx_module_identities[1].tcb_levels[1].status,
            TcbStatus::kOutOfDate);
  EXPECT_EQ(col.qe_identity.isv_prod_id, 2);
  EXPECT_EQ(HexEncode(col.qe_identity.mrsigner),
            "dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5");
  EXPECT_EQ(col.qe_identity.attributes_mask[0], 0xfb);
}

// Each mutation of the real bundle must fail with COLLATERAL_MALFORMED and a
// message naming the field.
struct Mutation {
  const char* name;
  std::function<void(Json&)> apply;
  const char* message;
};

void EditTcbInfo(Json& j, const std::function<void(Json&)>& f) {
  Json t = Json::parse(j["tcb_info"].get<std::string>());
  f(t);
  j["tcb_info"] = t.dump();
}

class CollateralMutationTest : public ::testing::TestWithParam<Mutation> {};

TEST_P(CollateralMutationTest, RefusedNamingTheField) {
  Json j = Json::parse(Read("dcap-qvl/sample/tdx_quote_collateral.json"));
  GetParam().apply(j);
  auto r = ParseCollateralJson(j.dump());
  EXPECT_THAT(r, FailsWith(VerifyFailure::kCollateralMalformed));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    All, CollateralMutationTest,
    ::testing::Values(
        Mutation{"UnknownKey", [](Json& j) { j["extra"] = "x"; },
                 "collateral.extra: unknown key"},
        Mutation{"MissingKey", [](Json& j) { j.erase("pck_crl"); },
                 "collateral.pck_crl: missing"},
        Mutation{"ShortSignature",
                 [](Json& j) { j["tcb_info_signature"] = "abcd"; },
                 "collateral.tcb_info_signature: expected 128 hex"},
        Mutation{"GarbageCrl", [](Json& j) { j["pck_crl"] = "3082ffff00"; },
                 "collateral.pck_crl: CRL does not decode"},
        Mutation{"CrlTrailing",
                 [](Json& j) {
                   j["root_ca_crl"] =
                       j["root_ca_crl"].get<std::string>() + "00";
                 },
                 "collateral.root_ca_crl: trailing bytes"},
        Mutation{
            "ChainGarbage",
            [](Json& j) { j["tcb_info_issuer_chain"] = "hello"; },
            "collateral.tcb_info_issuer_chain: expected a PEM certificate"},
        Mutation{"ChainTrailingText",
                 [](Json& j) {
                   j["qe_identity_issuer_chain"] =
                       j["qe_identity_issuer_chain"].get<std::string>() +
                       "junk";
                 },
                 "collateral.qe_identity_issuer_chain"},
        Mutation{"TcbInfoNotJson", [](Json& j) { j["tcb_info"] = "{"; },
                 "tcb_info: not valid JSON"},
        Mutation{"BadStatus",
                 [](Json& j) {
                   EditTcbInfo(j, [](Json& ti) {
                     ti["tcbLevels"][1]["tcbStatus"] = "Fine";
                   });
                 },
                 "tcb_info.tcbLevels[1].tcbStatus: unknown status 'Fine'"},
        Mutation{"SvnRange",
                 [](Json& j) {
                   EditTcbInfo(j, [](Json& ti) {
                     ti["tcbLevels"][0]["tcb"]["sgxtcbcomponents"][3]["svn"] =
                         256;
                   });
                 },
                 "tcb_info.tcbLevels[0].tcb.sgxtcbcomponents[3].svn: expected "
                 "an integer in 0..255"},
        Mutation{"FifteenComponents",
                 [](Json& j) {
                   EditTcbInfo(j, [](Json& ti) {
                     ti["tcbLevels"][0]["tcb"]["tdxtcbcomponents"].erase(0);
                   });
                 },
                 "tdxtcbcomponents: expected 16 components"},
        Mutation{"BadDate",
                 [](Json& j) {
                   EditTcbInfo(j,
                               [](Json& ti) { ti["nextUpdate"] = "tomorrow"; });
                 },
                 "tcb_info.nextUpdate: 'tomorrow' is not an RFC 3339"},
        Mutation{"BadVersion",
                 [](Json& j) {
                   EditTcbInfo(j, [](Json& ti) { ti["version"] = 4; });
                 },
                 "tcb_info.version: 4 is not supported"},
        Mutation{
            "BadId",
            [](Json& j) { EditTcbInfo(j, [](Json& ti) { ti["id"] = "SEV"; }); },
            "tcb_info.id: 'SEV'"},
        Mutation{"FmspcLength",
                 [](Json& j) {
                   EditTcbInfo(j, [](Json& ti) { ti["fmspc"] = "B0C06F"; });
                 },
                 "tcb_info.fmspc: expected 12 hex"},
        Mutation{"TdxModuleMissing",
                 [](Json& j) {
                   EditTcbInfo(j, [](Json& ti) { ti.erase("tdxModule"); });
                 },
                 "tcb_info.tdxModule: missing"},
        Mutation{"QeIdentityId",
                 [](Json& j) {
                   Json q = Json::parse(j["qe_identity"].get<std::string>());
                   q["id"] = "XE";
                   j["qe_identity"] = q.dump();
                 },
                 "qe_identity.id: 'XE'"},
        Mutation{"DeepNesting",
                 [](Json& j) {
                   j["tcb_info"] =
                       std::string(100000, '[') + std::string(100000, ']');
                 },
                 "tcb_info: JSON nested deeper than 32"}),
    [](const ::testing::TestParamInfo<Mutation>& param_info) {
      return param_info.param.name;
    });

TEST(CollateralTest, DeeplyNestedBundleIsRefusedWithoutRecursion) {
  std::string deep = std::string(1 << 20, '[') + std::string(1 << 20, ']');
  EXPECT_THAT(ParseCollateralJson(deep),
              FailsWith(VerifyFailure::kCollateralMalformed));
  EXPECT_THAT(ParseCollateralJson(std::string(kMaxCollateralLen + 1, ' ')),
              FailsWith(VerifyFailure::kCollateralMalformed));
}

}  // namespace
}  // namespace mra::collateral

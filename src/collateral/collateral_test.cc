#include "mra/collateral/collateral.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <random>
#include <set>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include <openssl/x509.h>

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

// Certificates are recognised by their PEM text when it repeats, and by DER
// otherwise: wrapping does not matter, and other text is another certificate.
TEST(CollateralTest, InterningLooksThroughPemWrapping) {
  const std::string pem(IntelSgxRootCaPem());
  size_t b = pem.find('\n') + 1;
  size_t e = pem.find("-----END");
  std::string flat;
  for (char ch : pem.substr(b, e - b)) {
    if (ch != '\n') flat += ch;
  }
  std::string rewrapped = "-----BEGIN CERTIFICATE-----\r\n";
  for (size_t i = 0; i < flat.size(); i += 76) {
    rewrapped += flat.substr(i, 76) + "\r\n";
  }
  rewrapped += "-----END CERTIFICATE-----\r\n";
  absl::StatusOr<CertChain> intel = ParsePemChain(pem, "root");
  ASSERT_THAT(intel, IsOk());
  absl::StatusOr<CertChain> chain =
      ParsePemChain(pem + rewrapped + pem, "chain");
  ASSERT_THAT(chain, IsOk());
  ASSERT_EQ(chain->size(), 3u);
  for (const crypto::X509Ptr& cert : *chain) {
    EXPECT_EQ(cert.get(), (*intel)[0].get());
  }
  // One base64 character of the signature changed: a different certificate
  // (it parses; its signature is for the verifier to refuse).
  std::string other = pem;
  size_t at = other.find("=\n-----END") - 20;
  other[at] = other[at] == 'A' ? 'B' : 'A';
  chain = ParsePemChain(pem + other, "chain");
  ASSERT_THAT(chain, IsOk());
  EXPECT_EQ((*chain)[0].get(), (*intel)[0].get());
  EXPECT_NE((*chain)[1].get(), (*intel)[0].get());
  EXPECT_NE(X509_cmp((*chain)[1].get(), (*intel)[0].get()), 0);
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

// Text-level edits (nlohmann cannot write duplicate keys, "-0" or "3.0"):
// replaces the first `from` in `text`.
std::string ReplaceFirst(std::string text, std::string_view from,
                         std::string_view to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// The real TDX sample: its bundle text and its exact tcb_info/qe_identity.
struct Sample {
  Json bundle = Json::parse(Read("dcap-qvl/sample/tdx_quote_collateral.json"));
  std::string tcb_info = bundle["tcb_info"].get<std::string>();
  std::string qe_identity = bundle["qe_identity"].get<std::string>();
};

void ExpectMalformed(const absl::Status& s, std::string_view message) {
  EXPECT_THAT(s, FailsWith(VerifyFailure::kCollateralMalformed));
  EXPECT_THAT(std::string(s.message()), HasSubstr(message));
}

// nlohmann took the last of repeated keys, simdjson's at_key the first: a
// signed document with a repeated key is ambiguous, so it is refused
// wherever the repeat is, naming the path and the key.
TEST(CollateralTest, DuplicateBundleKeyIsRefused) {
  Sample sample;
  std::string text = sample.bundle.dump();
  ASSERT_THAT(ParseCollateralJson(text), IsOk());
  ExpectMalformed(
      ParseCollateralJson("{\"pck_crl\":\"00\"," + text.substr(1)).status(),
      "collateral.pck_crl: duplicate key");
  // The same key after unescaping.
  ExpectMalformed(
      ParseCollateralJson("{\"\\u0074cb_info\":\"{}\"," + text.substr(1))
          .status(),
      "collateral.tcb_info: duplicate key");
}

TEST(CollateralTest, DuplicateTcbInfoKeyIsRefused) {
  Sample sample;
  ASSERT_THAT(ParseTcbInfo(sample.tcb_info), IsOk());
  struct Case {
    std::string text;
    const char* message;
  };
  std::string extra_keys;  // Enough keys for the hash-set path.
  for (int i = 0; i < 40; ++i) {
    extra_keys += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  }
  const Case cases[] = {
      {ReplaceFirst(sample.tcb_info,
                    "\"fmspc\":", "\"fmspc\":\"B0C06F000000\",\"fmspc\":"),
       "tcb_info.fmspc: duplicate key"},
      {ReplaceFirst(sample.tcb_info, "\"fmspc\":",
                    "\"fm\\u0073pc\":\"00606A000000\",\"fmspc\":"),
       "tcb_info.fmspc: duplicate key"},
      {ReplaceFirst(sample.tcb_info, "\"pcesvn\":", "\"pcesvn\":0,\"pcesvn\":"),
       "tcb_info.tcbLevels[0].tcb.pcesvn: duplicate key"},
      {ReplaceFirst(sample.tcb_info, "\"svn\":", "\"svn\":0,\"svn\":"),
       "tcb_info.tcbLevels[0].tcb.sgxtcbcomponents[0].svn: duplicate key"},
      // Keys we ignore are no exception.
      {"{\"unused\":{\"a\":1,\"b\":[{\"c\":1,\"c\":1}]}," +
           sample.tcb_info.substr(1),
       "tcb_info.unused.b[0].c: duplicate key"},
      {"{\"unused\":{" + extra_keys + "\"k7\":0}," + sample.tcb_info.substr(1),
       "tcb_info.unused.k7: duplicate key"},
      // A PCS response {"tcbInfo": ..., "signature": ...} names the wrapper.
      {"{\"tcbInfo\":" +
           ReplaceFirst(sample.tcb_info,
                        "\"version\":", "\"version\":2,\"version\":") +
           ",\"signature\":\"00\"}",
       "tcb_info.tcbInfo.version: duplicate key"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    ExpectMalformed(ParseTcbInfo(c.text).status(), c.message);
  }
  // Through the bundle: the tcb_info string is parsed on its own.
  sample.bundle["tcb_info"] = cases[0].text;
  ExpectMalformed(ParseCollateralJson(sample.bundle.dump()).status(),
                  "tcb_info.fmspc: duplicate key");
}

TEST(CollateralTest, DuplicateQeIdentityKeyIsRefused) {
  Sample sample;
  ASSERT_THAT(ParseQeIdentity(sample.qe_identity), IsOk());
  std::string dup = ReplaceFirst(
      sample.qe_identity, "\"isvprodid\":", "\"isvprodid\":1,\"isvprodid\":");
  ExpectMalformed(ParseQeIdentity(dup).status(),
                  "qe_identity.isvprodid: duplicate key");
  sample.bundle["qe_identity"] = dup;
  ExpectMalformed(ParseCollateralJson(sample.bundle.dump()).status(),
                  "qe_identity.isvprodid: duplicate key");
}

// Integers: only 0..max written as plain digits, as with nlohmann (which
// typed "-0" as signed and "3.0"/"3e0" as floats).
TEST(CollateralTest, IntegerFieldsAreStrict) {
  Sample sample;
  struct Case {
    const char* version;
    const char* message;
  };
  const Case cases[] = {
      {"-1", "tcb_info.version: expected an integer in 0..1000"},
      {"3.0", "tcb_info.version: expected an integer in 0..1000"},
      {"3e0", "tcb_info.version: expected an integer in 0..1000"},
      {"1001", "tcb_info.version: expected an integer in 0..1000"},
      {"18446744073709551615", "tcb_info.version: expected an integer"},
      {"-9223372036854775808", "tcb_info.version: expected an integer"},
      {"true", "tcb_info.version: expected an integer"},
      {"\"3\"", "tcb_info.version: expected an integer"},
      {"null", "tcb_info.version: expected an integer"},
      {"4", "tcb_info.version: 4 is not supported"},
      // simdjson refuses the whole document here, where nlohmann read a
      // float and the field check refused it.
      {"18446744073709551616", "tcb_info: not valid JSON"},
      {"-9223372036854775809", "tcb_info: not valid JSON"},
      // Refused by both (nlohmann too: out of double range).
      {"1e400", "tcb_info: not valid JSON"},
      {"-0", "tcb_info: the integer -0 is not accepted"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.version);
    std::string text = ReplaceFirst(sample.tcb_info, "\"version\":3",
                                    std::string("\"version\":") + c.version);
    ExpectMalformed(ParseTcbInfo(text).status(), c.message);
  }
  // -0.0 is a float (refused by the field), and "-0" inside a string is text.
  ExpectMalformed(ParseTcbInfo(ReplaceFirst(sample.tcb_info, "\"version\":3",
                                            "\"version\":-0.0"))
                      .status(),
                  "tcb_info.version: expected an integer in 0..1000");
  EXPECT_THAT(ParseTcbInfo("{\"x\":\"-0\"," + sample.tcb_info.substr(1)),
              IsOk());
  EXPECT_THAT(
      ParseTcbInfo("{\"x\":[-0.5,-0e1,-10]," + sample.tcb_info.substr(1)),
      IsOk());
}

TEST(CollateralTest, InvalidJsonOrUtf8IsMalformed) {
  Sample sample;
  for (std::string text :
       {std::string("{\"x\":\"\xff\",") + sample.tcb_info.substr(1),
        std::string("{\"x\":\"\xed\xa0\x80\",") + sample.tcb_info.substr(1),
        std::string("{\"x\":\"\\ud800\",") + sample.tcb_info.substr(1),
        sample.tcb_info + "x", sample.tcb_info + "{}",
        sample.tcb_info.substr(0, sample.tcb_info.size() - 1), std::string(),
        std::string("{\"x\":nul,") + sample.tcb_info.substr(1)}) {
    SCOPED_TRACE(text.substr(0, 16));
    ExpectMalformed(ParseTcbInfo(text).status(), "tcb_info: not valid JSON");
  }
  // nlohmann skipped one leading UTF-8 byte order mark; so do we.
  EXPECT_THAT(ParseTcbInfo("\xEF\xBB\xBF" + sample.tcb_info), IsOk());
  EXPECT_THAT(ParseCollateralJson("\xEF\xBB\xBF" + sample.bundle.dump()),
              IsOk());
  ExpectMalformed(
      ParseTcbInfo("\xEF\xBB\xBF\xEF\xBB\xBF" + sample.tcb_info).status(),
      "tcb_info: not valid JSON");
  ExpectMalformed(ParseTcbInfo("[1]").status(),
                  "tcb_info: expected a JSON object");
  ExpectMalformed(ParseCollateralJson("{\"pck_crl\":\"\xc0\xaf\"}").status(),
                  "collateral: not valid JSON");
  ExpectMalformed(ParseCollateralJson("\"x\"").status(),
                  "collateral: expected a JSON object");
}

// A bundle is read without a DOM of the whole text when it is an object of
// string members (see ReadFlatBundle in bundle.cc); the result must be what a
// full JSON parser reads. Mutants of a real bundle's text, edited around its
// punctuation: nlohmann is the oracle for validity and for the members.
TEST(CollateralTest, BundleIsReadAsAFullJsonParserReadsIt) {
  const std::string text = Read("dcap-qvl/sample/sgx_quote_collateral.json");
  std::vector<size_t> marks;  // Where the bundle's own syntax is.
  for (size_t i = 0; i < text.size(); ++i) {
    if (std::string_view("\"\\:,{}").find(text[i]) != std::string_view::npos) {
      marks.push_back(i);
    }
  }
  ASSERT_FALSE(marks.empty());
  constexpr std::string_view kBytes("\"\\ \t\n\r,:{}[]0-u/n\x01\x7f\xc3\xff",
                                    22);
  std::mt19937 rng(20240611);
  size_t num_ok = 0;
  size_t num_invalid = 0;
  for (int n = 0; n < 4000; ++n) {
    std::string t = text;
    const size_t num_edits = 1 + rng() % 2;
    for (size_t e = 0; e < num_edits; ++e) {
      size_t at = std::min(marks[rng() % marks.size()] + rng() % 3, t.size());
      const char c = kBytes[rng() % kBytes.size()];
      switch (rng() % 3) {
        case 0:
          t.insert(at, 1, c);
          break;
        case 1:
          if (at < t.size()) t[at] = c;
          break;
        default:
          if (at < t.size()) t.erase(at, 1);
          break;
      }
    }
    SCOPED_TRACE(n);
    const Json oracle = Json::parse(t, nullptr, /*allow_exceptions=*/false);
    absl::StatusOr<Collateral> col = ParseCollateralJson(t);
    const std::string message(col.status().message());
    if (oracle.is_discarded()) {
      ++num_invalid;
      EXPECT_THAT(col, FailsWith(VerifyFailure::kCollateralMalformed));
      EXPECT_THAT(message, HasSubstr("collateral: not valid JSON")) << t;
      continue;
    }
    EXPECT_THAT(message,
                ::testing::Not(HasSubstr("collateral: not valid JSON")))
        << t;
    if (col.ok()) {
      ++num_ok;
      EXPECT_EQ(col->tcb_info_json, oracle["tcb_info"].get<std::string>());
      EXPECT_EQ(col->qe_identity_json,
                oracle["qe_identity"].get<std::string>());
    }
  }
  EXPECT_GT(num_ok, 100u);
  EXPECT_GT(num_invalid, 1000u);
}

TEST(CollateralTest, BundleSyntaxEdgeCases) {
  Sample sample;
  const std::string text = sample.bundle.dump();
  const std::string body = text.substr(1, text.size() - 2);  // No braces.
  // Accepted: JSON whitespace anywhere between tokens, escaped keys.
  for (const std::string& ok :
       {" \t\r\n{" + body + "}\n",
        ReplaceFirst(text, "\"pck_crl\":", "\"\\u0070ck_crl\":"),
        ReplaceFirst(text, "\":\"", "\" \t:\r\n\""),
        ReplaceFirst(text, "\",\"", "\" ,\n\"")}) {
    SCOPED_TRACE(ok.substr(0, 40));
    EXPECT_THAT(ParseCollateralJson(ok), IsOk());
  }
  struct Case {
    std::string text;
    const char* message;
  };
  const Case cases[] = {
      {"{" + body + ",}", "collateral: not valid JSON"},
      {"{" + body + "}}", "collateral: not valid JSON"},
      {"{" + body + "} x", "collateral: not valid JSON"},
      {"{" + body, "collateral: not valid JSON"},
      {"{" + ReplaceFirst(body, "\",\"", "\" \"") + "}",
       "collateral: not valid JSON"},
      {"{" + ReplaceFirst(body, "\":\"", "\"\"") + "}",
       "collateral: not valid JSON"},
      {"{" + ReplaceFirst(body, "\\n", "\\x") + "}",
       "collateral: not valid JSON"},
      {"{" + ReplaceFirst(body, "\\n", "\n") + "}",
       "collateral: not valid JSON"},
      {"{\"\\ud800\":\"\"," + body + "}", "collateral: not valid JSON"},
      {"\f{" + body + "}", "collateral: not valid JSON"},
      {"{" + body + ",\"pck_crl\":1}", "collateral.pck_crl: duplicate key"},
      {"{" + body + ",\"x\":\"\"}", "collateral.x: unknown key"},
      {"{\"x\":1," + body + "}", "collateral.x: unknown key"},
      {"{" + ReplaceFirst(body, "\"pck_crl\":\"", "\"pck_crl\":[\"") + "]}",
       "collateral: not valid JSON"},
      {"{}", "collateral.tcb_info: missing"},
      {"{\"pck_crl\":\"\"}", "collateral.tcb_info: missing"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text.substr(0, 40));
    ExpectMalformed(ParseCollateralJson(c.text).status(), c.message);
  }
  // A valid bundle whose member is not a string: named when reached.
  Json j = sample.bundle;
  j["root_ca_crl"] = 7;
  ExpectMalformed(ParseCollateralJson(j.dump()).status(),
                  "collateral.root_ca_crl: expected a string");
  j["root_ca_crl"] = Json::array();
  ExpectMalformed(ParseCollateralJson(j.dump()).status(),
                  "collateral.root_ca_crl: expected a string");
}

// CheckJsonDepth skips strings (honouring escapes) and counts the rest.
TEST(CollateralTest, JsonDepthSkipsStrings) {
  const std::string deep(kMaxJsonDepth + 1, '[');
  const std::string ok_depth(kMaxJsonDepth, '[');
  EXPECT_THAT(CheckJsonDepth(ok_depth, "f"), IsOk());
  EXPECT_THAT(CheckJsonDepth(deep, "f"),
              FailsWith(VerifyFailure::kCollateralMalformed));
  // Inside a string, including after escaped quotes and backslashes.
  EXPECT_THAT(CheckJsonDepth("\"" + deep + "\"", "f"), IsOk());
  EXPECT_THAT(CheckJsonDepth("\"\\\"" + deep + "\"", "f"), IsOk());
  EXPECT_THAT(CheckJsonDepth("\"\\\\\\\"" + deep + "\"", "f"), IsOk());
  EXPECT_THAT(CheckJsonDepth("\"x\\\\\\\"" + deep, "f"), IsOk());  // Unclosed.
  // A quote after an even run of backslashes ends the string.
  EXPECT_THAT(CheckJsonDepth("\"\\\\\"" + deep, "f"),
              FailsWith(VerifyFailure::kCollateralMalformed));
  EXPECT_THAT(CheckJsonDepth("[\"a\\\\\\\\\"" + ok_depth, "f"),
              FailsWith(VerifyFailure::kCollateralMalformed));
  // Closers are counted only down to zero; strings end and nesting resumes.
  EXPECT_THAT(CheckJsonDepth("]]]]" + ok_depth, "f"), IsOk());
  EXPECT_THAT(CheckJsonDepth(ok_depth + "\"]\"[", "f"),
              FailsWith(VerifyFailure::kCollateralMalformed));
}

TEST(CollateralTest, DeeplyNestedBundleIsRefusedWithoutRecursion) {
  std::string deep = std::string(1 << 20, '[') + std::string(1 << 20, ']');
  EXPECT_THAT(ParseCollateralJson(deep),
              FailsWith(VerifyFailure::kCollateralMalformed));
  EXPECT_THAT(ParseCollateralJson(std::string(kMaxCollateralLen + 1, ' ')),
              FailsWith(VerifyFailure::kCollateralMalformed));
}

}  // namespace
}  // namespace mra::collateral

#include "mra/manifest/manifest.h"

#include "gtest/gtest.h"

#include "mra/base/clock.h"
#include "mra/base/hex.h"
#include "mra/testing/status_matchers.h"

namespace mra::manifest {
namespace {

using ::mra::testing::FailsWith;
using ::mra::testing::IsOk;
using ::testing::HasSubstr;

const std::string kA(64, 'a');
const std::string kB(64, 'b');
const std::string kC(64, 'c');

std::string Svc(const std::string& name, const std::string& enclave,
                const std::string& signer) {
  return "[" + name + "]\nmr_enclave = \"" + enclave + "\"\nmr_signer = \"" +
         signer + "\"\n";
}

TEST(ParseManifestTest, ReferenceFormat) {
  MRA_ASSERT_OK_AND_ASSIGN(
      Manifest m, ParseManifest(Svc("teaclave_frontend_service", kA, kB) +
                                Svc("teaclave_storage_service", kC, kB)));
  ASSERT_EQ(m.services.size(), 2u);
  EXPECT_EQ(m.services[0].name, "teaclave_frontend_service");
  EXPECT_EQ(HexEncode(m.services[1].mr_enclave), kC);
  EXPECT_FALSE(m.version.has_value());
  EXPECT_FALSE(m.expires.has_value());
  Measurement c{};
  c.fill(0xcc);
  ASSERT_NE(m.FindByMrEnclave(c), nullptr);
  EXPECT_EQ(m.FindByMrEnclave(c)->name, "teaclave_storage_service");
  EXPECT_EQ(m.FindService("nope"), nullptr);
}

TEST(ParseManifestTest, ExtendedFields) {
  std::string text =
      "version = 7\nexpires = 2030-01-02T03:04:05+01:00\n"
      "deployment = \"prod-eu\"\n" +
      Svc("frontend", kA, kB) +
      "isv_prod_id = 3\nmin_isv_svn = 2\n"
      "additional_mr_enclaves = [\"" +
      kC + "\"]\n";
  MRA_ASSERT_OK_AND_ASSIGN(Manifest m, ParseManifest(text));
  EXPECT_EQ(m.version, 7u);
  EXPECT_EQ(m.deployment, "prod-eu");
  ASSERT_TRUE(m.expires.has_value());
  EXPECT_EQ(FormatRfc3339Utc(*m.expires), "2030-01-02T02:04:05Z");
  const ServiceIdentity& s = m.services[0];
  EXPECT_EQ(s.isv_prod_id, 3);
  EXPECT_EQ(s.min_isv_svn, 2);
  Measurement c{};
  c.fill(0xcc);
  EXPECT_TRUE(s.AcceptsMrEnclave(c));
  // RFC 3339 as a string is accepted too.
  MRA_ASSERT_OK_AND_ASSIGN(
      Manifest m2,
      ParseManifest("expires = \"2030-01-02T02:04:05Z\"\n" + Svc("x", kA, kB)));
  EXPECT_EQ(m2.expires, m.expires);
}

struct BadCase {
  const char* name;
  std::string text;
  const char* message;
};

class ParseManifestBadTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ParseManifestBadTest, FailsNamingTheField) {
  auto r = ParseManifest(GetParam().text);
  EXPECT_THAT(r, FailsWith(VerifyFailure::kManifestMalformed));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    All, ParseManifestBadTest,
    ::testing::Values(
        BadCase{"ShortHex", Svc("s", std::string(62, 'a'), kB),
                "s.mr_enclave: expected 64 hex characters, got 62"},
        BadCase{"LongHex", Svc("s", kA, std::string(66, 'b')),
                "s.mr_signer: expected 64 hex characters, got 66"},
        BadCase{"NotHex", Svc("s", std::string(64, 'g'), kB),
                "s.mr_enclave: not hexadecimal"},
        BadCase{"HexNotString",
                "[s]\nmr_enclave = 5\nmr_signer = \"" + kB + "\"\n",
                "s.mr_enclave: expected a string"},
        BadCase{"UnknownServiceKey", Svc("s", kA, kB) + "mr_enclav = \"x\"\n",
                "s.mr_enclav: unknown key"},
        BadCase{"UnknownTopKey", "verison = 1\n" + Svc("s", kA, kB),
                "verison: unknown top-level key"},
        BadCase{"DuplicateTable", Svc("s", kA, kB) + Svc("s", kC, kB),
                "line 4"},
        BadCase{
            "DuplicateKey",
            "[s]\nmr_enclave = \"" + kA + "\"\nmr_enclave = \"" + kA + "\"\n",
            "line 3"},
        BadCase{"MissingSigner", "[s]\nmr_enclave = \"" + kA + "\"\n",
                "s.mr_signer: missing"},
        BadCase{"LocalDate",
                "expires = 2030-01-01T00:00:00\n" + Svc("s", kA, kB),
                "expires: date-time needs a UTC offset"},
        BadCase{"BadDateString",
                "expires = \"next tuesday\"\n" + Svc("s", kA, kB),
                "expires: 'next tuesday' is not an RFC 3339"},
        BadCase{"InfiniteFuture",
                "expires = \"infinite-future\"\n" + Svc("s", kA, kB),
                "expires: 'infinite-future' is not a finite date-time"},
        BadCase{"InfinitePast",
                "expires = \"infinite-past\"\n" + Svc("s", kA, kB),
                "expires: 'infinite-past' is not a finite date-time"},
        BadCase{"YearAfter9999",
                "expires = \"10000-01-01T00:00:00Z\"\n" + Svc("s", kA, kB),
                "expires: '10000-01-01T00:00:00Z' is outside"},
        BadCase{"NegativeYear",
                "expires = \"-0001-01-01T00:00:00Z\"\n" + Svc("s", kA, kB),
                "expires: '-0001-01-01T00:00:00Z' is outside"},
        BadCase{"DateOnly", "expires = 2030-01-01\n" + Svc("s", kA, kB),
                "expires: needs a full date-time"},
        BadCase{"NegativeVersion", "version = -1\n" + Svc("s", kA, kB),
                "version: -1 is outside"},
        BadCase{"StringVersion", "version = \"2\"\n" + Svc("s", kA, kB),
                "version: expected an integer"},
        BadCase{"SvnRange", Svc("s", kA, kB) + "min_isv_svn = 70000\n",
                "s.min_isv_svn: 70000 is outside 0..65535"},
        BadCase{"AdditionalNotArray",
                Svc("s", kA, kB) + "additional_mr_enclaves = \"" + kC + "\"\n",
                "s.additional_mr_enclaves: expected an array"},
        BadCase{"AdditionalBadEntry",
                Svc("s", kA, kB) + "additional_mr_enclaves = [\"" + kC +
                    "\", \"zz\"]\n",
                "s.additional_mr_enclaves[1]: expected 64 hex characters"},
        BadCase{"SameEnclaveTwice", Svc("s", kA, kB) + Svc("t", kA, kC),
                "is listed for both 's' and 't'"},
        BadCase{"BadDeployment", "deployment = \"a b\"\n" + Svc("s", kA, kB),
                "deployment: expected a name"},
        BadCase{"BadServiceName", Svc("\"a b\"", kA, kB), "service name 'a b'"},
        BadCase{"Empty", "", "no service tables"},
        BadCase{"Syntax", "[s\nmr_enclave = 1", "line 1"},
        BadCase{"Nul", std::string("[s]\0", 4), "NUL byte"},
        BadCase{"TooLarge", std::string(kMaxManifestLen + 1, '#'),
                "the limit is"}),
    [](const ::testing::TestParamInfo<BadCase>& param_info) {
      return param_info.param.name;
    });

TEST(ParseManifestTest, DeepNestingIsRefusedNotCrashed) {
  std::string deep = "x = " + std::string(5000, '[') + std::string(5000, ']');
  EXPECT_THAT(ParseManifest(deep),
              FailsWith(VerifyFailure::kManifestMalformed));
}

TEST(ParseManifestTest, JsonRendering) {
  MRA_ASSERT_OK_AND_ASSIGN(Manifest m,
                           ParseManifest("version = 2\n" + Svc("s", kA, kB)));
  std::string json = ManifestToJson(m);
  EXPECT_THAT(json, HasSubstr("\"version\": 2"));
  EXPECT_THAT(json, HasSubstr("\"mr_enclave\": \"" + kA + "\""));
}

}  // namespace
}  // namespace mra::manifest

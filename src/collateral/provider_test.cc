#include "mra/collateral/provider.h"

#include <filesystem>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

#include "mra/base/file.h"
#include "mra/base/verify_failure.h"
#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"

namespace mra::collateral {
namespace {

using ::mra::testing::FailsWith;
using ::mra::testing::IsOk;
using ::mra::testing::StatusIs;
using ::testing::HasSubstr;
using Json = nlohmann::json;

constexpr char kSgxBundle[] = "dcap-qvl/sample/sgx_quote_collateral.json";
constexpr char kTdxBundle[] = "dcap-qvl/sample/tdx_quote_collateral.json";

std::string SharedFile(const std::string& rel) {
  return testing::SharedPath("testdata/dcap/" + rel);
}

std::string Read(const std::string& rel) {
  auto text = ReadFileBounded(SharedFile(rel), kMaxCollateralLen);
  EXPECT_THAT(text, IsOk()) << rel;
  return text.ok() ? *text : "";
}

CollateralRequest Request(std::string_view fmspc, TeeType tee, PckCaType ca) {
  absl::StatusOr<CollateralRequest> r = MakeCollateralRequest(fmspc, tee, ca);
  EXPECT_THAT(r, IsOk());
  return r.ok() ? *r : CollateralRequest{};
}

CollateralRequest SgxRequest() {
  return Request("00A067110000", TeeType::kSgx, PckCaType::kProcessor);
}
CollateralRequest TdxRequest() {
  return Request("b0c06f000000", TeeType::kTdx, PckCaType::kPlatform);
}

absl::Time Utc(int y, int mo, int d, int h, int mi, int s) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s),
                         absl::UTCTimeZone());
}

TEST(CollateralRequestTest, MakeAndDescribe) {
  CollateralRequest r = SgxRequest();
  EXPECT_EQ(r.FmspcHex(), "00a067110000");
  EXPECT_EQ(r.Describe(), "sgx fmspc 00a067110000 (processor CA)");
  EXPECT_THAT(
      MakeCollateralRequest("00a0671100", TeeType::kSgx, PckCaType::kPlatform),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MakeCollateralRequest("00a06711000g", TeeType::kSgx,
                                    PckCaType::kPlatform),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(ParsePckCaType("Platform"), PckCaType::kPlatform);
  EXPECT_EQ(ParsePckCaType("processor"), PckCaType::kProcessor);
  EXPECT_EQ(ParsePckCaType("root"), std::nullopt);
}

TEST(CheckCollateralMatchesTest, RealBundlesMatchTheirOwnRequest) {
  MRA_ASSERT_OK_AND_ASSIGN(Collateral sgx,
                           ParseCollateralJson(Read(kSgxBundle)));
  EXPECT_THAT(CheckCollateralMatches(sgx, SgxRequest()), IsOk());
  MRA_ASSERT_OK_AND_ASSIGN(Collateral tdx,
                           ParseCollateralJson(Read(kTdxBundle)));
  EXPECT_THAT(CheckCollateralMatches(tdx, TdxRequest()), IsOk());
}

TEST(CheckCollateralMatchesTest, EachMismatchHasItsVerdict) {
  MRA_ASSERT_OK_AND_ASSIGN(Collateral sgx,
                           ParseCollateralJson(Read(kSgxBundle)));
  absl::Status s = CheckCollateralMatches(
      sgx, Request("00a067110001", TeeType::kSgx, PckCaType::kProcessor));
  EXPECT_THAT(s, FailsWith(VerifyFailure::kTcbInfoMismatch));
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("tcb_info.fmspc is 00a067110000, requested "
                        "00a067110001"));
  EXPECT_THAT(CheckCollateralMatches(sgx, Request("00a067110000", TeeType::kTdx,
                                                  PckCaType::kProcessor)),
              FailsWith(VerifyFailure::kTcbInfoMismatch));
  s = CheckCollateralMatches(
      sgx, Request("00a067110000", TeeType::kSgx, PckCaType::kPlatform));
  EXPECT_THAT(s, FailsWith(VerifyFailure::kCrlInvalid));
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("issued by 'Intel SGX PCK Processor CA', expected "
                        "'Intel SGX PCK Platform CA'"));

  // An SGX bundle carrying the TD QE's identity.
  Json mixed = Json::parse(Read(kSgxBundle));
  Json tdx = Json::parse(Read(kTdxBundle));
  mixed["qe_identity"] = tdx["qe_identity"];
  mixed["qe_identity_signature"] = tdx["qe_identity_signature"];
  EXPECT_THAT(LoadBundleFor(mixed.dump(), SgxRequest()),
              FailsWith(VerifyFailure::kQeIdentityMismatch));

  // A PCK CRL where the root CA CRL belongs.
  Json swapped = Json::parse(Read(kSgxBundle));
  swapped["root_ca_crl"] = swapped["pck_crl"];
  EXPECT_THAT(LoadBundleFor(swapped.dump(), SgxRequest()),
              FailsWith(VerifyFailure::kCrlInvalid));
}

TEST(CollateralValidityTest, EarliestNextUpdateOfTheRealPieces) {
  MRA_ASSERT_OK_AND_ASSIGN(Collateral sgx,
                           ParseCollateralJson(Read(kSgxBundle)));
  MRA_ASSERT_OK_AND_ASSIGN(CollateralValidity v, GetCollateralValidity(sgx));
  // QE identity 2025-07-19T10:01:18Z < PCK CRL 10:23:18 < TCB info 10:56:11.
  EXPECT_EQ(v.next_update, Utc(2025, 7, 19, 10, 1, 18));
  EXPECT_EQ(v.earliest_piece, "qe_identity");
  EXPECT_FALSE(IsExpired(v, v.next_update));
  EXPECT_TRUE(IsExpired(v, v.next_update + absl::Seconds(1)));

  MRA_ASSERT_OK_AND_ASSIGN(
      Collateral old,
      ParseCollateralJson(
          Read("assembled/automata-0825-sgx-00606a-2508.collateral.json")));
  MRA_ASSERT_OK_AND_ASSIGN(v, GetCollateralValidity(old));
  EXPECT_EQ(v.next_update, Utc(2025, 9, 14, 4, 36, 46));
  EXPECT_EQ(v.earliest_piece, "qe_identity");
}

TEST(BundleFileProviderTest, ServesAMatchingFileAndRefusesOthers) {
  BundleFileProvider provider(SharedFile(kSgxBundle));
  MRA_ASSERT_OK_AND_ASSIGN(std::string bundle, provider.Fetch(SgxRequest()));
  EXPECT_EQ(bundle, Read(kSgxBundle));
  absl::StatusOr<std::string> other = provider.Fetch(TdxRequest());
  EXPECT_THAT(other, FailsWith(VerifyFailure::kTcbInfoMismatch));
  EXPECT_THAT(std::string(other.status().message()), HasSubstr("bundle file"));
  BundleFileProvider missing(testing::MakeTempDir() + "/none.json");
  EXPECT_THAT(missing.Fetch(SgxRequest()),
              StatusIs(absl::StatusCode::kNotFound));
  std::string dir = testing::MakeTempDir();
  ASSERT_THAT(WriteFileAtomic(dir + "/bad.json", "{\"tcb_info\": 1}"), IsOk());
  EXPECT_THAT(BundleFileProvider(dir + "/bad.json").Fetch(SgxRequest()),
              FailsWith(VerifyFailure::kCollateralMalformed));
}

TEST(DirectoryProviderTest, PicksTheFreshestMatchingBundle) {
  DirectoryProvider provider(SharedFile("assembled"));
  // Three bundles for SGX 00606a000000 (platform CA): 2212 (partial), 0625
  // (TCB info v2) and 0825; the 0825 one expires last.
  MRA_ASSERT_OK_AND_ASSIGN(std::string bundle,
                           provider.Fetch(Request("00606A000000", TeeType::kSgx,
                                                  PckCaType::kPlatform)));
  EXPECT_EQ(bundle,
            Read("assembled/automata-0825-sgx-00606a-2508.collateral.json"));
  MRA_ASSERT_OK_AND_ASSIGN(bundle,
                           provider.Fetch(Request("00806f050000", TeeType::kTdx,
                                                  PckCaType::kPlatform)));
  EXPECT_EQ(
      bundle,
      Read("assembled/automata-1025-tdx-00806f050000-2510.collateral.json"));
}

TEST(DirectoryProviderTest, SkipsJunkAndReportsWhatItSaw) {
  std::string dir = testing::MakeTempDir();
  ASSERT_THAT(WriteFileAtomic(dir + "/junk.json", "not json"), IsOk());
  ASSERT_THAT(WriteFileAtomic(dir + "/notes.txt", "ignored"), IsOk());
  ASSERT_THAT(WriteFileAtomic(dir + "/tdx.json", Read(kTdxBundle)), IsOk());
  DirectoryProvider provider(dir);
  absl::StatusOr<std::string> none = provider.Fetch(SgxRequest());
  EXPECT_THAT(none, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(std::string(none.status().message()),
              HasSubstr("2 *.json files examined (1 unreadable or malformed, "
                        "1 for other platforms)"));
  ASSERT_THAT(WriteFileAtomic(dir + "/sgx.json", Read(kSgxBundle)), IsOk());
  MRA_ASSERT_OK_AND_ASSIGN(std::string bundle, provider.Fetch(SgxRequest()));
  EXPECT_EQ(bundle, Read(kSgxBundle));
  EXPECT_THAT(DirectoryProvider(dir + "/missing").Fetch(SgxRequest()),
              StatusIs(absl::StatusCode::kNotFound));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mra::collateral

#include "src/collateral/pcs_response.h"

#include "gtest/gtest.h"

#include "mra/testing/status_matchers.h"

namespace mra::collateral::internal {
namespace {

using ::mra::testing::FailsWith;
using ::mra::testing::IsOk;
using ::mra::testing::StatusIs;
using ::testing::HasSubstr;

constexpr std::string_view kTcbKeys[] = {"tcbInfo", "signature"};

absl::StatusOr<std::string_view> TcbMember(std::string_view json) {
  return RawJsonMember(json, "tcbInfo", {kTcbKeys[0], kTcbKeys[1]}, "t");
}

TEST(RawJsonMemberTest, ReturnsTheExactBytesOfTheValue) {
  std::string json =
      R"({"tcbInfo":{"id":"SGX", "a" :[1, 2.5e3,{"s":"}\"]"}],"n":null},)"
      R"("signature":"ab"})";
  MRA_ASSERT_OK_AND_ASSIGN(std::string_view raw, TcbMember(json));
  EXPECT_EQ(raw, R"({"id":"SGX", "a" :[1, 2.5e3,{"s":"}\"]"}],"n":null})");
}

TEST(RawJsonMemberTest, WhitespaceAroundTheValueIsNotPartOfIt) {
  MRA_ASSERT_OK_AND_ASSIGN(
      std::string_view raw,
      TcbMember(" {\n \"signature\" : \"ab\" ,\"tcbInfo\" :\t{ } \n} \n"));
  EXPECT_EQ(raw, "{ }");
}

TEST(RawJsonMemberTest, RefusesAmbiguousOrUnexpectedShapes) {
  for (std::string_view bad : {
           R"({"tcbInfo":{},"tcbInfo":{},"signature":""})",  // duplicate
           R"({"tcbInfo":{},"signature":"","x":1})",         // unknown
           R"({"tcb\u0049nfo":{},"signature":""})",          // escaped key
           R"({"tcbInfo":{}})",                              // missing
           R"({"tcbInfo":{},"signature":""} x)",             // trailing
           R"({"tcbInfo":{"a":"unterminated},"signature":""})",
           R"([{"tcbInfo":{}}])",
           "",
       }) {
    EXPECT_THAT(TcbMember(bad), FailsWith(VerifyFailure::kCollateralMalformed))
        << bad;
  }
}

TEST(RawJsonMemberTest, StringsEndAtTheFirstUnescapedQuote) {
  // An even run of backslashes leaves the quote unescaped; an odd run
  // escapes it.
  MRA_ASSERT_OK_AND_ASSIGN(
      std::string_view raw,
      TcbMember(R"({"tcbInfo":{"a":"x\\","b":"\\\"}"},"signature":""})"));
  EXPECT_EQ(raw, R"({"a":"x\\","b":"\\\"}"})");
  for (std::string_view bad : {
           std::string_view("{\"tcbInfo\":{\"a\":\"\x01\"},"
                            "\"signature\":\"\"}"),
           std::string_view("{\"tcbInfo\":{\"a\":\"\\\n\"},"
                            "\"signature\":\"\"}"),
           std::string_view("{\"tcbInfo\":{},\"signature\":\"\\\"}"),
       }) {
    EXPECT_THAT(TcbMember(bad), FailsWith(VerifyFailure::kCollateralMalformed))
        << bad;
  }
}

TEST(RawJsonMemberTest, DepthIsBounded) {
  std::string deep = R"({"tcbInfo":)" + std::string(1000, '[') +
                     std::string(1000, ']') + R"(,"signature":""})";
  EXPECT_THAT(TcbMember(deep), FailsWith(VerifyFailure::kCollateralMalformed));
}

TEST(PercentDecodeTest, DecodesEscapesAndKeepsPlus) {
  MRA_ASSERT_OK_AND_ASSIGN(
      std::string s,
      PercentDecode("-----BEGIN%20CERTIFICATE-----%0Aab+c%2Fd%2b", "h"));
  EXPECT_EQ(s, "-----BEGIN CERTIFICATE-----\nab+c/d+");
  EXPECT_THAT(PercentDecode("%4", "h"),
              FailsWith(VerifyFailure::kCollateralMalformed));
  EXPECT_THAT(PercentDecode("%zz", "h"),
              FailsWith(VerifyFailure::kCollateralMalformed));
}

HttpResponse JsonResponse(std::string body) {
  HttpResponse r;
  r.url = "https://pcs.test/tcb";
  r.status = 200;
  r.headers = {{"content-type", "application/json; charset=utf-8"},
               {"TCB-Info-Issuer-Chain", "a%20b"}};
  r.body = std::move(body);
  return r;
}

TEST(ParseSignedJsonResponseTest, KeepsBodyAndNormalisesSignature) {
  std::string sig(128, 'A');
  MRA_ASSERT_OK_AND_ASSIGN(
      SignedPiece p,
      ParseSignedJsonResponse(
          JsonResponse(R"({"tcbInfo":{"x": 1},"signature":")" + sig + "\"}"),
          "tcbInfo", {"TCB-Info-Issuer-Chain", "SGX-TCB-Info-Issuer-Chain"},
          "tcb_info"));
  EXPECT_EQ(p.body, R"({"x": 1})");
  EXPECT_EQ(p.signature_hex, std::string(128, 'a'));
  EXPECT_EQ(p.issuer_chain, "a b");
}

TEST(ParseSignedJsonResponseTest, Refusals) {
  std::string good =
      R"({"tcbInfo":{},"signature":")" + std::string(128, 'a') + "\"}";
  auto parse = [](const HttpResponse& r) {
    return ParseSignedJsonResponse(r, "tcbInfo", {"TCB-Info-Issuer-Chain"},
                                   "tcb_info");
  };
  ASSERT_THAT(parse(JsonResponse(good)), IsOk());

  HttpResponse r = JsonResponse(good);
  r.status = 404;
  EXPECT_THAT(parse(r), StatusIs(absl::StatusCode::kNotFound));
  r.status = 503;
  r.headers.emplace_back("Error-Code", "Busy\x01");
  EXPECT_THAT(parse(r), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(std::string(parse(r).status().message()),
              HasSubstr("Error-Code: Busy?"));

  r = JsonResponse(good);
  r.headers[0].second = "text/html";
  EXPECT_THAT(parse(r), FailsWith(VerifyFailure::kCollateralMalformed));

  r = JsonResponse(good);
  r.headers.pop_back();
  EXPECT_THAT(parse(r), FailsWith(VerifyFailure::kCollateralMalformed));

  r = JsonResponse(good);
  r.headers.emplace_back("tcb-info-issuer-chain", "again");
  EXPECT_THAT(parse(r), FailsWith(VerifyFailure::kCollateralMalformed));

  r = JsonResponse(good);
  r.headers[1].second = "%00binary";
  EXPECT_THAT(parse(r), FailsWith(VerifyFailure::kCollateralMalformed));

  EXPECT_THAT(parse(JsonResponse(R"({"tcbInfo":{},"signature":"abcd"})")),
              FailsWith(VerifyFailure::kCollateralMalformed));
  EXPECT_THAT(parse(JsonResponse(R"({"tcbInfo":[],"signature":")" +
                                 std::string(128, 'a') + "\"}")),
              FailsWith(VerifyFailure::kCollateralMalformed));
  EXPECT_THAT(parse(JsonResponse(good.substr(0, good.size() - 1))),
              FailsWith(VerifyFailure::kCollateralMalformed));
}

}  // namespace
}  // namespace mra::collateral::internal

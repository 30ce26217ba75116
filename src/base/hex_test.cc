#include "mra/base/hex.h"

#include "gtest/gtest.h"

#include "mra/testing/status_matchers.h"

namespace mra {
namespace {

using ::mra::testing::IsOk;
using ::mra::testing::StatusIs;

TEST(HexTest, RoundTrip) {
  std::vector<uint8_t> bytes = {0x00, 0xab, 0xff, 0x10};
  EXPECT_EQ(HexEncode(bytes), "00abff10");
  auto decoded = HexDecode("00ABff10");
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(*decoded, bytes);
}

TEST(HexTest, RejectsOddLengthAndBadCharacters) {
  EXPECT_THAT(HexDecode("abc"), StatusIs(absl::StatusCode::kInvalidArgument));
  auto bad = HexDecode("0g");
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_NE(bad.status().message().find("position 1"), std::string::npos);
}

TEST(HexTest, DecodeIntoRequiresExactLength) {
  std::array<uint8_t, 2> out{};
  EXPECT_THAT(HexDecodeInto("0102", out), IsOk());
  EXPECT_EQ(out[1], 2);
  EXPECT_THAT(HexDecodeInto("010203", out),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(IsHex("09afAF"));
  EXPECT_FALSE(IsHex("09x"));
}

}  // namespace
}  // namespace mra

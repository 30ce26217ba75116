#include "mra/base/clock.h"

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace mra {
namespace {

// Absl is the reference ParseRfc3339 must agree with on every input.
std::optional<absl::Time> Absl(const std::string& text) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
    return std::nullopt;
  }
  return t;
}

TEST(ParseRfc3339Test, ReadsTheUsualForm) {
  std::optional<absl::Time> t = ParseRfc3339("2025-06-19T10:56:11Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(*t, absl::FromUnixSeconds(1750330571));
  EXPECT_EQ(FormatRfc3339Utc(*t), "2025-06-19T10:56:11Z");
}

TEST(ParseRfc3339Test, AgreesWithAbslOnEdgesAndOtherForms) {
  const std::vector<std::string> texts = {
      "2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
      "2000-02-29T23:59:59Z", "2025-04-31T00:00:00Z", "2025-12-31T23:59:59Z",
      "2025-00-10T00:00:00Z", "2025-13-10T00:00:00Z", "2025-01-00T00:00:00Z",
      "2025-01-32T00:00:00Z", "2025-01-01T24:00:00Z", "2025-01-01T23:60:00Z",
      "2025-01-01T23:59:60Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
      "2025-01-01t00:00:00Z", "2025-01-01T00:00:00z", "2025-01-01T00:00:00",
      "2025-01-01T00:00:00.5Z", "2025-01-01T00:00:00+01:00",
      "2025-01-01T00:00:00-00:30", "2025-01-01 00:00:00Z",
      "2025-1-01T00:00:00Z", "+2025-01-01T00:00:00Z", "2025-01-01T00:00:00ZZ",
      " 2025-01-01T00:00:00Z", "", "2025-01-01T0a:00:00Z"};
  for (const std::string& text : texts) {
    EXPECT_EQ(ParseRfc3339(text), Absl(text)) << text;
  }
}

TEST(ParseRfc3339Test, AgreesWithAbslOnRandomDigits) {
  std::mt19937 rng(20261126);
  std::uniform_int_distribution<int> digit(0, 9);
  for (int i = 0; i < 20000; ++i) {
    std::string text = "dddd-dd-ddTdd:dd:ddZ";
    for (char& c : text) {
      if (c == 'd') {
        c = static_cast<char>('0' + digit(rng));
      }
    }
    // Keep half of them plausible so the fast path is taken often.
    if (i % 2 == 0) {
      text[5] = '0';
      text[8] = static_cast<char>('0' + digit(rng) % 3);
      text[11] = static_cast<char>('0' + digit(rng) % 2);
      text[14] = static_cast<char>('0' + digit(rng) % 6);
      text[17] = static_cast<char>('0' + digit(rng) % 6);
    }
    ASSERT_EQ(ParseRfc3339(text), Absl(text)) << text;
  }
}

}  // namespace
}  // namespace mra

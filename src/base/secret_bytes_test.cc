#include "mra/base/secret_bytes.h"

#include "gtest/gtest.h"

namespace mra {
namespace {

TEST(SecretBytesTest, ComparesByValueAndExposesOnlyThroughAccessToken) {
  SecretBytes a(std::string_view("key material"));
  SecretBytes b(std::string_view("key material"));
  SecretBytes c(std::string_view("key materiaL"));
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a == c);
  EXPECT_FALSE(a == SecretBytes(std::string_view("key")));
  EXPECT_EQ(a.UnsafeView(SecretAccess::Get()), "key material");
  EXPECT_EQ(a.size(), 12u);
}

TEST(SecretBytesTest, CleanseZeroesMemory) {
  char buf[8] = {'s', 'e', 'c', 'r', 'e', 't', '!', '!'};
  internal::Cleanse(buf, sizeof(buf));
  for (char ch : buf) {
    EXPECT_EQ(ch, 0);
  }
}

}  // namespace
}  // namespace mra

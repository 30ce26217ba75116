#include "mra/base/byte_reader.h"

#include <vector>

#include "gtest/gtest.h"

namespace mra {
namespace {

TEST(ByteReaderTest, ReadsLittleEndianIntegers) {
  const std::vector<uint8_t> data = {0x01, 0x02, 0x03, 0x04, 0x05,
                                     0x06, 0x07, 0x08, 0x09, 0x0a,
                                     0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
  ByteReader r(data);
  uint8_t u8 = 0;
  uint16_t u16 = 0;
  uint32_t u32 = 0;
  uint64_t u64 = 0;
  ASSERT_TRUE(r.ReadU8(&u8));
  ASSERT_TRUE(r.ReadU16Le(&u16));
  ASSERT_TRUE(r.ReadU32Le(&u32));
  ASSERT_TRUE(r.ReadU64Le(&u64));
  EXPECT_EQ(u8, 0x01);
  EXPECT_EQ(u16, 0x0302);
  EXPECT_EQ(u32, 0x07060504u);
  EXPECT_EQ(u64, 0x0f0e0d0c0b0a0908ull);
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.consumed(), data.size());
}

TEST(ByteReaderTest, FailedReadLeavesReaderUnchanged) {
  const std::vector<uint8_t> data = {1, 2, 3};
  ByteReader r(data);
  uint32_t u32 = 0xdeadbeef;
  EXPECT_FALSE(r.ReadU32Le(&u32));
  EXPECT_EQ(u32, 0xdeadbeefu);
  EXPECT_EQ(r.remaining(), 3u);
  std::span<const uint8_t> bytes;
  EXPECT_FALSE(r.ReadBytes(4, &bytes));
  EXPECT_FALSE(r.Skip(static_cast<size_t>(-1)));
  EXPECT_EQ(r.remaining(), 3u);
  ASSERT_TRUE(r.ReadBytes(3, &bytes));
  EXPECT_EQ(bytes.size(), 3u);
  EXPECT_EQ(bytes[2], 3);
}

TEST(ByteReaderTest, SubReaderIsBounded) {
  const std::vector<uint8_t> data = {1, 2, 3, 4, 5};
  ByteReader r(data);
  ByteReader sub;
  ASSERT_TRUE(r.ReadSubReader(2, &sub));
  uint16_t v = 0;
  ASSERT_TRUE(sub.ReadU16Le(&v));
  EXPECT_EQ(v, 0x0201);
  uint8_t b = 0;
  EXPECT_FALSE(sub.ReadU8(&b));
  EXPECT_EQ(r.remaining(), 3u);
  std::array<uint8_t, 3> arr{};
  ASSERT_TRUE(r.ReadArray(&arr));
  EXPECT_EQ(arr[0], 3);
  EXPECT_EQ(arr[2], 5);
  std::array<uint8_t, 1> more{};
  EXPECT_FALSE(r.ReadArray(&more));
}

}  // namespace
}  // namespace mra

// Copyright The mra Authors.

#include "src/platform/internal/call_guard.h"

#include <string>

#include "gtest/gtest.h"

namespace mra::platform::internal {
namespace {

TEST(PrintableTest, EscapesWhatCouldForgeLogLines) {
  EXPECT_EQ(Printable("alice"), "alice");
  EXPECT_EQ(Printable("a\nlevel=critical"), "a\\x0alevel=critical");
  EXPECT_EQ(Printable("q\"b\\"), "q\\x22b\\x5c");
  EXPECT_EQ(Printable("\xc3\xa9"), "\\xc3\\xa9");
  EXPECT_EQ(Printable(std::string(100, 'x')), std::string(64, 'x') + "...");
}

TEST(ToGrpcStatusTest, KeepsCodeAndMessage) {
  ::grpc::Status s = ToGrpcStatus(absl::NotFoundError("no such key"));
  EXPECT_EQ(s.error_code(), ::grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "no such key");
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

}  // namespace
}  // namespace mra::platform::internal

#include "mra/base/file.h"

#include <sys/stat.h>

#include <filesystem>

#include "gtest/gtest.h"

#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"

namespace mra {
namespace {

using ::mra::testing::IsOk;
using ::mra::testing::StatusIs;

TEST(FileTest, AtomicWriteReplacesContentAndLeavesNoTemporaries) {
  std::string dir = testing::MakeTempDir();
  std::string path = dir + "/state.json";
  ASSERT_THAT(WriteFileAtomic(path, "first", 0600), IsOk());
  ASSERT_THAT(WriteFileAtomic(path, "second", 0600), IsOk());
  auto read = ReadFileBounded(path, 100);
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(*read, "second");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  size_t num_files = 0;
  for ([[maybe_unused]] const auto& e :
       std::filesystem::directory_iterator(dir)) {
    ++num_files;
  }
  EXPECT_EQ(num_files, 1u);
  std::filesystem::remove_all(dir);
}

TEST(FileTest, BoundedReadRefusesLargeFilesAndReportsMissing) {
  std::string dir = testing::MakeTempDir();
  std::string path = dir + "/big";
  ASSERT_THAT(WriteFileAtomic(path, std::string(1000, 'x')), IsOk());
  EXPECT_THAT(ReadFileBounded(path, 999),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ReadFileBounded(path, 1000), IsOk());
  EXPECT_THAT(ReadFileBounded(dir + "/missing", 10),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ReadFileBounded(dir, 10),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(WriteFileAtomic(dir + "/no/such/dir/f", "x"),
              StatusIs(absl::StatusCode::kNotFound));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mra

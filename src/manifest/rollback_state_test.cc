#include "mra/manifest/rollback_state.h"

#include <sys/stat.h>

#include <filesystem>

#include "gtest/gtest.h"

#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"

namespace mra::manifest {
namespace {

using ::mra::testing::IsOk;

TEST(RollbackStateTest, MissingFileIsFirstStartAndStoreRoundTrips) {
  std::string dir = testing::MakeTempDir();
  RollbackStateFile f(dir + "/s.json");
  MRA_ASSERT_OK_AND_ASSIGN(auto none, f.Load());
  EXPECT_FALSE(none.has_value());
  ASSERT_THAT(f.Store({9, std::string(64, 'a'), "demo"}), IsOk());
  MRA_ASSERT_OK_AND_ASSIGN(auto rec, f.Load());
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->highest_version, 9u);
  EXPECT_EQ(rec->deployment, "demo");
  struct stat st {};
  ASSERT_EQ(::stat(f.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::filesystem::remove_all(dir);
}

TEST(RollbackStateTest, LockIsExclusiveAcrossHolders) {
  std::string dir = testing::MakeTempDir();
  RollbackStateFile a(dir + "/s.json");
  RollbackStateFile b(dir + "/s.json");  // Another process, as flock sees it.
  {
    MRA_ASSERT_OK_AND_ASSIGN(StateLock held,
                             a.LockExclusive(absl::Milliseconds(100)));
    absl::StatusOr<StateLock> second = b.LockExclusive(absl::Milliseconds(50));
    EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
    EXPECT_NE(second.status().message().find("locked by another process"),
              absl::string_view::npos)
        << second.status();
  }
  // Released with its holder.
  EXPECT_THAT(b.LockExclusive(absl::Milliseconds(50)), IsOk());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mra::manifest

// Copyright The mra Authors.

#include "src/platform/internal/kv_store.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/platform/internal/sqlite.h"

#include "mra/testing/paths.h"
#include "mra/testing/status_matchers.h"

namespace mra::platform::internal {
namespace {

using ::mra::testing::IsOk;
using ::mra::testing::StatusIs;

class KvStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::mra::testing::MakeTempDir() + "/data/storage.db";
  }

  std::unique_ptr<KvStore> OpenStore(KvLimits limits = {}) {
    absl::StatusOr<std::unique_ptr<KvStore>> store =
        KvStore::Open(path_, limits);
    EXPECT_THAT(store, IsOk());
    return store.ok() ? std::move(*store) : nullptr;
  }

  std::string path_;
};

TEST_F(KvStoreTest, PutThenGet) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Put("alice", "colour", "blue"), IsOk());
  MRA_ASSERT_OK_AND_ASSIGN(std::string v, store->Get("alice", "colour"));
  EXPECT_EQ(v, "blue");
  ASSERT_THAT(store->Put("alice", "colour", "green"), IsOk());
  MRA_ASSERT_OK_AND_ASSIGN(v, store->Get("alice", "colour"));
  EXPECT_EQ(v, "green");
}

TEST_F(KvStoreTest, MissingKeyIsNotFound) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->Get("alice", "nothing"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(KvStoreTest, OwnersAreSeparateNamespaces) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Put("alice", "k", "a"), IsOk());
  ASSERT_THAT(store->Put("bob", "k", "b"), IsOk());
  MRA_ASSERT_OK_AND_ASSIGN(std::string a, store->Get("alice", "k"));
  MRA_ASSERT_OK_AND_ASSIGN(std::string b, store->Get("bob", "k"));
  EXPECT_EQ(a, "a");
  EXPECT_EQ(b, "b");
  EXPECT_THAT(store->Get("carol", "k"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(KvStoreTest, BinaryKeysAndValues) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  std::string key("\0k\xff", 3);
  std::string value("\0\x01\x02\0", 4);
  ASSERT_THAT(store->Put("alice", key, value), IsOk());
  ASSERT_THAT(store->Put("alice", "empty", ""), IsOk());
  MRA_ASSERT_OK_AND_ASSIGN(std::string got, store->Get("alice", key));
  EXPECT_EQ(got, value);
  MRA_ASSERT_OK_AND_ASSIGN(std::string empty, store->Get("alice", "empty"));
  EXPECT_EQ(empty, "");
}

TEST_F(KvStoreTest, BoundsAreEnforced) {
  auto store = OpenStore({.max_key_len = 4, .max_value_len = 8});
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->Put("alice", "", "v"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store->Put("alice", "12345", "v"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store->Put("alice", "k", "123456789"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store->Put("alice", "1234", "12345678"), IsOk());
  EXPECT_THAT(store->Put("", "k", "v"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store->Put("a/b", "k", "v"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store->Put(std::string(kMaxOwnerLen + 1, 'a'), "k", "v"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store->Get("alice", "12345"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(KvStoreTest, AcknowledgedWritesSurviveReopen) {
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 50; ++i) {
      ASSERT_THAT(store->Put("alice", "key" + std::to_string(i),
                             "value" + std::to_string(i)),
                  IsOk());
    }
    ASSERT_THAT(store->Put("bob", "key0", "bob's"), IsOk());
  }  // Closed: the connection is gone, only the files remain.
  auto reopened = OpenStore();
  ASSERT_NE(reopened, nullptr);
  for (int i = 0; i < 50; ++i) {
    MRA_ASSERT_OK_AND_ASSIGN(std::string v,
                             reopened->Get("alice", "key" + std::to_string(i)));
    EXPECT_EQ(v, "value" + std::to_string(i));
  }
  MRA_ASSERT_OK_AND_ASSIGN(std::string bob, reopened->Get("bob", "key0"));
  EXPECT_EQ(bob, "bob's");
}

TEST_F(KvStoreTest, ConcurrentReadersAndWritersAllDurable) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 40;
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&store, t] {
        std::string owner = "user" + std::to_string(t);
        for (int i = 0; i < kPerThread; ++i) {
          std::string key = "k" + std::to_string(i);
          EXPECT_THAT(store->Put(owner, key, owner + key), IsOk());
          absl::StatusOr<std::string> v = store->Get(owner, key);
          EXPECT_THAT(v, IsOk());
          if (v.ok()) {
            EXPECT_EQ(*v, owner + key);
          }
        }
      });
    }
    for (std::thread& thread : threads) {
      thread.join();
    }
  }
  auto reopened = OpenStore();
  ASSERT_NE(reopened, nullptr);
  for (int t = 0; t < kThreads; ++t) {
    std::string owner = "user" + std::to_string(t);
    for (int i = 0; i < kPerThread; ++i) {
      std::string key = "k" + std::to_string(i);
      MRA_ASSERT_OK_AND_ASSIGN(std::string v, reopened->Get(owner, key));
      EXPECT_EQ(v, owner + key);
    }
  }
}

TEST_F(KvStoreTest, DatabaseIsWalAndPrivate) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Put("alice", "k", "v"), IsOk());
  // While open after a write in WAL mode, the -wal file exists.
  EXPECT_TRUE(std::filesystem::exists(path_ + "-wal"));
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(std::filesystem::path(path_).parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(KvStoreTest, NewerSchemaIsRefused) {
  {
    MRA_ASSERT_OK_AND_ASSIGN(auto db, SqliteDb::Open(path_));
    ASSERT_THAT(db->SetUserVersion(99), IsOk());
  }
  EXPECT_THAT(KvStore::Open(path_, {}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(KvStoreTest, NotADatabaseIsRefused) {
  std::filesystem::create_directories(
      std::filesystem::path(path_).parent_path());
  std::ofstream(path_) << std::string(4096, 'x');
  EXPECT_THAT(KvStore::Open(path_, {}),
              StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace mra::platform::internal

// Copyright The mra Authors.
//
// File: src/platform/internal/kv_store.h
// -----------------------------------------------------------------------------
// KvStore is the storage service's durable key-value table on SQLite: one
// namespace per owner (user), bounded key and value sizes, and Put returns
// only after its transaction committed (WAL, synchronous=FULL), so an
// acknowledged write survives a crash or restart.

#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/platform/internal/sqlite.h"

namespace mra::platform::internal {

// KvLimits bounds what KvStore accepts.
struct KvLimits {
  size_t max_key_len = 1024;
  size_t max_value_len = size_t{1024} * 1024;
};

// Owners are user names: 1..64 characters of [A-Za-z0-9_.@-].
inline constexpr size_t kMaxOwnerLen = 64;

// ValidOwner reports whether `owner` is a well-formed namespace name.
bool ValidOwner(std::string_view owner);

// KvStore is thread-safe.
class KvStore {
 public:
  // Open opens or creates the database at `path` (schema version 1).
  // @return kUnavailable when the file cannot be opened or is not a
  //         database; kFailedPrecondition for a schema from a newer version.
  static absl::StatusOr<std::unique_ptr<KvStore>> Open(const std::string& path,
                                                       KvLimits limits);

  // Put stores `value` under (`owner`, `key`), replacing an older value, and
  // returns once the write is committed and durable.
  // @return kInvalidArgument for a bad owner, an empty or too long key, or a
  //         too long value; kUnavailable / kInternal when SQLite fails (then
  //         nothing was written).
  [[nodiscard]] absl::Status Put(std::string_view owner, std::string_view key,
                                 std::string_view value);

  // Get returns the value under (`owner`, `key`).
  // @return kNotFound when there is none; kInvalidArgument as for Put.
  absl::StatusOr<std::string> Get(std::string_view owner, std::string_view key);

  const KvLimits& limits() const { return limits_; }

 private:
  KvStore(std::unique_ptr<SqliteDb> db, KvLimits limits)
      : db_(std::move(db)), limits_(limits) {}
  absl::Status CheckKey(std::string_view owner, std::string_view key) const;

  // Serialises whole statement lifetimes on the one connection. Without it,
  // a reader's unfinished SELECT would keep the connection's transaction
  // open and delay the commit of a concurrent Put past its acknowledgement
  // (in autocommit mode SQLite commits when the last statement finishes).
  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;
  const KvLimits limits_;
};

}  // namespace mra::platform::internal

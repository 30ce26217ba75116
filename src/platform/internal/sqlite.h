// Copyright The mra Authors.
//
// File: src/platform/internal/sqlite.h
// -----------------------------------------------------------------------------
// A small RAII layer over SQLite's C API for the platform's durable state
// (storage's key-value table, authentication's users). Every database is
// opened in WAL mode with synchronous=FULL, so a statement that returned
// SQLITE_DONE in autocommit mode has been committed and fsynced: callers
// acknowledge a write only after that.

#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct sqlite3;
struct sqlite3_stmt;

namespace mra::platform::internal {

// EnsurePrivateDirectory creates `path` (and parents) with mode 0700 when it
// does not exist. An existing directory is left as it is.
// @return kUnavailable with the OS error when it cannot be created, or when
//         `path` exists and is not a directory.
[[nodiscard]] absl::Status EnsurePrivateDirectory(const std::string& path);

class SqliteStatement;

// SqliteDb owns one connection. Thread-safe: opened in serialized mode, but
// callers must not let statements overlap (hold their own lock for each
// statement's whole life): in autocommit mode an unfinished statement keeps
// the transaction open, delaying another statement's commit.
class SqliteDb {
 public:
  // Open opens or creates the database file (mode 0600, parent directory
  // created 0700), sets journal_mode=WAL (verified), synchronous=FULL,
  // foreign_keys=ON and a busy timeout.
  // @return kUnavailable when the file cannot be opened or is not a
  //         database; kInternal for other SQLite failures.
  static absl::StatusOr<std::unique_ptr<SqliteDb>> Open(
      const std::string& path);

  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Exec runs SQL without parameters (schema, pragmas).
  [[nodiscard]] absl::Status Exec(std::string_view sql);

  // UserVersion / SetUserVersion read and write PRAGMA user_version (the
  // schema version).
  absl::StatusOr<int64_t> UserVersion();
  [[nodiscard]] absl::Status SetUserVersion(int64_t version);

  // InAutocommit reports whether no transaction is open on the connection
  // (after a write: it has been committed).
  bool InAutocommit() const;

  // Prepare compiles one statement.
  absl::StatusOr<SqliteStatement> Prepare(std::string_view sql);

  const std::string& path() const { return path_; }

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  absl::Status Error(std::string_view what) const;

  sqlite3* db_;
  std::string path_;
};

// SqliteStatement is one prepared statement; used from one thread at a time.
class SqliteStatement {
 public:
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&&) = delete;
  SqliteStatement(const SqliteStatement&) = delete;
  ~SqliteStatement();

  // Bind* set the 1-based parameter `index`. The bytes are copied.
  [[nodiscard]] absl::Status BindText(int index, std::string_view text);
  [[nodiscard]] absl::Status BindBlob(int index, std::string_view bytes);
  [[nodiscard]] absl::Status BindInt64(int index, int64_t value);

  // Step runs the statement: true when a row is available, false when done.
  // @return kAlreadyExists for a constraint violation, kUnavailable when the
  //         database is busy or the disk is full or failing, kInternal
  //         otherwise.
  absl::StatusOr<bool> Step();

  // Column accessors for the current row (0-based). The view is valid until
  // the next Step() or destruction.
  std::string_view ColumnBytes(int index) const;
  int64_t ColumnInt64(int index) const;

 private:
  friend class SqliteDb;
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  absl::Status Error(int rc, std::string_view what) const;

  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

}  // namespace mra::platform::internal

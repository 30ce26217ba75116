// Copyright The mra Authors.
//
// RAII over SQLite's C API (see internal/sqlite.h).

#include "src/platform/internal/sqlite.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <system_error>

#include <sqlite3.h>

#include "mra/base/status.h"
#include "mra/base/strings.h"

namespace mra::platform::internal {
namespace {

constexpr int kBusyTimeoutMs = 5000;

// SQLite takes lengths as int; our inputs are bounded far below that, but the
// conversion is checked anyway.
absl::StatusOr<int> IntLength(size_t len) {
  if (len > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return absl::InvalidArgumentError("value too large for SQLite");
  }
  return static_cast<int>(len);
}

}  // namespace

absl::Status EnsurePrivateDirectory(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return absl::OkStatus();
  }
  std::filesystem::path p(path);
  if (p.has_parent_path() && !p.parent_path().empty()) {
    MRA_RETURN_IF_ERROR(EnsurePrivateDirectory(p.parent_path().string()));
  }
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::UnavailableError(
        StrCat("cannot create directory ", path, ": ", std::strerror(errno)));
  }
  if (!std::filesystem::is_directory(path, ec)) {
    return absl::UnavailableError(StrCat(path, " is not a directory"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<SqliteDb>> SqliteDb::Open(
    const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    MRA_RETURN_IF_ERROR(EnsurePrivateDirectory(parent.string()));
  }
  // Create the file ourselves so it is 0600 whatever the umask.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(
        StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  ::close(fd);

  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &raw,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
      nullptr);
  std::unique_ptr<SqliteDb> db(new SqliteDb(raw, path));
  if (rc != SQLITE_OK) {
    return absl::UnavailableError(
        StrCat("cannot open database ", path, ": ",
               raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);

  // journal_mode returns the mode in force; insist on WAL.
  MRA_ASSIGN_OR_RETURN(SqliteStatement mode,
                       db->Prepare("PRAGMA journal_mode=WAL"));
  MRA_ASSIGN_OR_RETURN(bool row, mode.Step());
  if (!row || mode.ColumnBytes(0) != "wal") {
    return absl::UnavailableError(
        StrCat("database ", path, " cannot use WAL journaling"));
  }
  MRA_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous=FULL"));
  MRA_RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys=ON"));
  // A file that is not a database fails on the first real access.
  absl::StatusOr<int64_t> version = db->UserVersion();
  if (!version.ok()) {
    return absl::UnavailableError(StrCat("database ", path, " is unreadable: ",
                                         ToStd(version.status().message())));
  }
  return db;
}

SqliteDb::~SqliteDb() {
  if (db_ != nullptr) {
    // Statements are owned by callers and gone by now; close_v2 copes
    // either way.
    sqlite3_close_v2(db_);
  }
}

absl::Status SqliteDb::Error(std::string_view what) const {
  return absl::InternalError(
      StrCat(what, " (", path_, "): ", sqlite3_errmsg(db_)));
}

absl::Status SqliteDb::Exec(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string detail = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    return absl::InternalError(StrCat("SQLite (", path_, "): ", detail));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> SqliteDb::UserVersion() {
  MRA_ASSIGN_OR_RETURN(SqliteStatement stmt, Prepare("PRAGMA user_version"));
  MRA_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return Error("PRAGMA user_version returned nothing");
  }
  return stmt.ColumnInt64(0);
}

absl::Status SqliteDb::SetUserVersion(int64_t version) {
  return Exec(StrCat("PRAGMA user_version=", version));
}

bool SqliteDb::InAutocommit() const { return sqlite3_get_autocommit(db_) != 0; }

absl::StatusOr<SqliteStatement> SqliteDb::Prepare(std::string_view sql) {
  MRA_ASSIGN_OR_RETURN(int len, IntLength(sql.size()));
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), len, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT) {
      return absl::UnavailableError(
          StrCat("database ", path_, ": ", sqlite3_errmsg(db_)));
    }
    return Error(StrCat("cannot prepare '", sql, "'"));
  }
  return SqliteStatement(db_, stmt);
}

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_) {
  other.stmt_ = nullptr;
}

SqliteStatement::~SqliteStatement() {
  if (stmt_ != nullptr) {
    sqlite3_finalize(stmt_);
  }
}

absl::Status SqliteStatement::Error(int rc, std::string_view what) const {
  int primary = rc & 0xff;
  std::string message = StrCat(what, ": ", sqlite3_errmsg(db_));
  if (primary == SQLITE_CONSTRAINT) {
    return absl::AlreadyExistsError(message);
  }
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED ||
      primary == SQLITE_FULL || primary == SQLITE_IOERR ||
      primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN) {
    return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

absl::Status SqliteStatement::BindText(int index, std::string_view text) {
  MRA_ASSIGN_OR_RETURN(int len, IntLength(text.size()));
  int rc = sqlite3_bind_text(stmt_, index, text.data(), len, SQLITE_TRANSIENT);
  return rc == SQLITE_OK ? absl::OkStatus() : Error(rc, "bind");
}

absl::Status SqliteStatement::BindBlob(int index, std::string_view bytes) {
  MRA_ASSIGN_OR_RETURN(int len, IntLength(bytes.size()));
  // A non-null pointer, so an empty value is an empty BLOB, not NULL.
  static constexpr char kEmpty = 0;
  const char* data = bytes.empty() ? &kEmpty : bytes.data();
  int rc = sqlite3_bind_blob(stmt_, index, data, len, SQLITE_TRANSIENT);
  return rc == SQLITE_OK ? absl::OkStatus() : Error(rc, "bind");
}

absl::Status SqliteStatement::BindInt64(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  return rc == SQLITE_OK ? absl::OkStatus() : Error(rc, "bind");
}

absl::StatusOr<bool> SqliteStatement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  return Error(rc, "step");
}

std::string_view SqliteStatement::ColumnBytes(int index) const {
  const void* data = sqlite3_column_blob(stmt_, index);
  int len = sqlite3_column_bytes(stmt_, index);
  if (data == nullptr || len <= 0) {
    return {};
  }
  return {static_cast<const char*>(data), static_cast<size_t>(len)};
}

int64_t SqliteStatement::ColumnInt64(int index) const {
  return sqlite3_column_int64(stmt_, index);
}

}  // namespace mra::platform::internal

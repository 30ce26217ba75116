// Copyright The mra Authors.
//
// The storage service's key-value table (see internal/kv_store.h).

#include "src/platform/internal/kv_store.h"

#include <algorithm>

#include "mra/base/status.h"
#include "mra/base/strings.h"

namespace mra::platform::internal {
namespace {

constexpr int64_t kSchemaVersion = 1;

constexpr std::string_view kSchema =
    "CREATE TABLE IF NOT EXISTS kv ("
    "  owner TEXT NOT NULL,"
    "  key BLOB NOT NULL,"
    "  value BLOB NOT NULL,"
    "  PRIMARY KEY (owner, key)"
    ") WITHOUT ROWID";

}  // namespace

bool ValidOwner(std::string_view owner) {
  if (owner.empty() || owner.size() > kMaxOwnerLen) {
    return false;
  }
  return std::all_of(owner.begin(), owner.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
           c == '@';
  });
}

absl::StatusOr<std::unique_ptr<KvStore>> KvStore::Open(const std::string& path,
                                                       KvLimits limits) {
  MRA_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(path));
  MRA_ASSIGN_OR_RETURN(int64_t version, db->UserVersion());
  if (version > kSchemaVersion) {
    return absl::FailedPreconditionError(
        StrCat("storage database ", path, " has schema version ", version,
               "; this build understands up to ", kSchemaVersion));
  }
  MRA_RETURN_IF_ERROR(db->Exec(kSchema));
  if (version < kSchemaVersion) {
    MRA_RETURN_IF_ERROR(db->SetUserVersion(kSchemaVersion));
  }
  return std::unique_ptr<KvStore>(new KvStore(std::move(db), limits));
}

absl::Status KvStore::CheckKey(std::string_view owner,
                               std::string_view key) const {
  if (!ValidOwner(owner)) {
    return absl::InvalidArgumentError(
        "owner must be 1..64 characters of [A-Za-z0-9_.@-]");
  }
  if (key.empty() || key.size() > limits_.max_key_len) {
    return absl::InvalidArgumentError(StrCat(
        "key must be 1..", limits_.max_key_len, " bytes, got ", key.size()));
  }
  return absl::OkStatus();
}

absl::Status KvStore::Put(std::string_view owner, std::string_view key,
                          std::string_view value) {
  MRA_RETURN_IF_ERROR(CheckKey(owner, key));
  if (value.size() > limits_.max_value_len) {
    return absl::InvalidArgumentError(StrCat("value must be at most ",
                                             limits_.max_value_len,
                                             " bytes, got ", value.size()));
  }
  // One statement in autocommit mode, with no other statement active on the
  // connection (mu_), is one transaction: SQLITE_DONE means committed, and
  // with WAL + synchronous=FULL the WAL is fsynced by then.
  std::lock_guard<std::mutex> lock(mu_);
  MRA_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      db_->Prepare("INSERT INTO kv (owner, key, value) VALUES (?1, ?2, ?3) "
                   "ON CONFLICT (owner, key) DO UPDATE SET "
                   "value = excluded.value"));
  MRA_RETURN_IF_ERROR(stmt.BindText(1, owner));
  MRA_RETURN_IF_ERROR(stmt.BindBlob(2, key));
  MRA_RETURN_IF_ERROR(stmt.BindBlob(3, value));
  MRA_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (row || !db_->InAutocommit()) {
    return absl::InternalError("write did not complete as one transaction");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> KvStore::Get(std::string_view owner,
                                         std::string_view key) {
  MRA_RETURN_IF_ERROR(CheckKey(owner, key));
  std::lock_guard<std::mutex> lock(mu_);
  MRA_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      db_->Prepare("SELECT value FROM kv WHERE owner = ?1 AND key = ?2"));
  MRA_RETURN_IF_ERROR(stmt.BindText(1, owner));
  MRA_RETURN_IF_ERROR(stmt.BindBlob(2, key));
  MRA_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return absl::NotFoundError("no such key");
  }
  return std::string(stmt.ColumnBytes(0));
}

}  // namespace mra::platform::internal

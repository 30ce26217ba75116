// Copyright The mra Authors.
//
// Users and login tokens (see internal/authenticator.h).

#include "src/platform/internal/authenticator.h"

#include <openssl/rand.h>

#include <array>

#include "src/platform/internal/kv_store.h"

#include "mra/base/hex.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/crypto/digest.h"
#include "mra/crypto/openssl_ptr.h"

namespace mra::platform::internal {
namespace {

constexpr int64_t kSchemaVersion = 1;

constexpr std::string_view kSchema =
    "CREATE TABLE IF NOT EXISTS users ("
    "  username TEXT PRIMARY KEY NOT NULL,"
    "  password_hash TEXT NOT NULL,"
    "  created_unix INTEGER NOT NULL"
    ")";

constexpr char kBadCredentials[] = "invalid username or password";
constexpr char kBadToken[] = "invalid or expired token";

std::string TokenKey(std::string_view token) {
  return HexEncode(crypto::Sha256(crypto::AsBytes(token)));
}

// SlotGuard holds one of the bounded hashing slots.
class SlotGuard {
 public:
  explicit SlotGuard(std::counting_semaphore<kMaxConcurrentHashes>& slots)
      : slots_(slots) {
    slots_.acquire();
  }
  ~SlotGuard() { slots_.release(); }
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;

 private:
  std::counting_semaphore<kMaxConcurrentHashes>& slots_;
};

}  // namespace

bool ValidUsername(std::string_view username) {
  // Usernames are storage namespaces: the same rule.
  return ValidOwner(username);
}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Open(
    const std::string& path, AuthenticatorOptions options) {
  MRA_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(path));
  MRA_ASSIGN_OR_RETURN(int64_t version, db->UserVersion());
  if (version > kSchemaVersion) {
    return absl::FailedPreconditionError(
        StrCat("user database ", path, " has schema version ", version,
               "; this build understands up to ", kSchemaVersion));
  }
  MRA_RETURN_IF_ERROR(db->Exec(kSchema));
  if (version < kSchemaVersion) {
    MRA_RETURN_IF_ERROR(db->SetUserVersion(kSchemaVersion));
  }
  MRA_ASSIGN_OR_RETURN(std::string dummy,
                       HashPassword("not-a-real-password", options.scrypt));
  return std::unique_ptr<Authenticator>(
      new Authenticator(std::move(db), options, std::move(dummy)));
}

absl::StatusOr<std::string> Authenticator::HashBounded(
    std::string_view password) {
  SlotGuard slot(hash_slots_);
  return HashPassword(password, options_.scrypt);
}

absl::StatusOr<bool> Authenticator::VerifyBounded(std::string_view password,
                                                  std::string_view encoded) {
  SlotGuard slot(hash_slots_);
  return VerifyPassword(password, encoded);
}

absl::Status Authenticator::CreateUser(std::string_view username,
                                       std::string_view password) {
  if (!ValidUsername(username)) {
    return absl::InvalidArgumentError(
        "username must be 1..64 characters of [A-Za-z0-9_.@-]");
  }
  if (password.size() < kMinPasswordLen || password.size() > kMaxPasswordLen) {
    return absl::InvalidArgumentError(StrCat(
        "password must be ", kMinPasswordLen, "..", kMaxPasswordLen, " bytes"));
  }
  {
    // Cheap early answer; the PRIMARY KEY decides races below.
    std::lock_guard<std::mutex> lock(db_mu_);
    MRA_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        db_->Prepare("SELECT 1 FROM users WHERE username = ?1"));
    MRA_RETURN_IF_ERROR(stmt.BindText(1, username));
    MRA_ASSIGN_OR_RETURN(bool exists, stmt.Step());
    if (exists) {
      return absl::AlreadyExistsError("user already exists");
    }
  }
  MRA_ASSIGN_OR_RETURN(std::string hash, HashBounded(password));
  std::lock_guard<std::mutex> lock(db_mu_);
  MRA_ASSIGN_OR_RETURN(
      SqliteStatement insert,
      db_->Prepare("INSERT INTO users (username, password_hash, created_unix) "
                   "VALUES (?1, ?2, ?3)"));
  MRA_RETURN_IF_ERROR(insert.BindText(1, username));
  MRA_RETURN_IF_ERROR(insert.BindText(2, hash));
  MRA_RETURN_IF_ERROR(
      insert.BindInt64(3, absl::ToUnixSeconds(options_.clock->Now())));
  absl::StatusOr<bool> done = insert.Step();
  if (!done.ok()) {
    if (absl::IsAlreadyExists(done.status())) {
      return absl::AlreadyExistsError("user already exists");
    }
    return done.status();
  }
  if (!db_->InAutocommit()) {
    return absl::InternalError("user was not committed as one transaction");
  }
  return absl::OkStatus();
}

absl::StatusOr<IssuedToken> Authenticator::IssueToken(
    std::string_view username, std::string_view password) {
  if (!ValidUsername(username) || password.size() > kMaxPasswordLen) {
    return absl::UnauthenticatedError(kBadCredentials);
  }
  std::string stored;
  {
    std::lock_guard<std::mutex> lock(db_mu_);
    MRA_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        db_->Prepare("SELECT password_hash FROM users WHERE username = ?1"));
    MRA_RETURN_IF_ERROR(stmt.BindText(1, username));
    MRA_ASSIGN_OR_RETURN(bool found, stmt.Step());
    if (found) {
      stored = std::string(stmt.ColumnBytes(0));
    }
  }
  bool user_exists = !stored.empty();
  MRA_ASSIGN_OR_RETURN(
      bool match, VerifyBounded(password, user_exists ? stored : dummy_hash_));
  if (!user_exists || !match) {
    return absl::UnauthenticatedError(kBadCredentials);
  }

  std::array<uint8_t, kTokenLen> raw{};
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
    return crypto::OpenSslError("RAND_bytes");
  }
  IssuedToken issued{
      .token = HexEncode(raw),
      .expires = options_.clock->Now() + options_.token_lifetime};
  std::lock_guard<std::mutex> lock(mu_);
  if (sessions_.size() >= options_.max_sessions) {
    PurgeExpiredLocked(options_.clock->Now());
    if (sessions_.size() >= options_.max_sessions) {
      return absl::ResourceExhaustedError("too many live sessions");
    }
  }
  sessions_[TokenKey(issued.token)] =
      Session{.username = std::string(username), .expires = issued.expires};
  return issued;
}

absl::StatusOr<Session> Authenticator::ValidateToken(std::string_view token) {
  if (token.size() != 2 * kTokenLen || !IsHex(token)) {
    return absl::UnauthenticatedError(kBadToken);
  }
  std::string key = TokenKey(token);
  absl::Time now = options_.clock->Now();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(key);
  if (it == sessions_.end()) {
    return absl::UnauthenticatedError(kBadToken);
  }
  if (now >= it->second.expires) {
    sessions_.erase(it);
    return absl::UnauthenticatedError(kBadToken);
  }
  return it->second;
}

void Authenticator::PurgeExpiredLocked(absl::Time now) {
  std::erase_if(sessions_, [now](const auto& entry) {
    return now >= entry.second.expires;
  });
}

size_t Authenticator::SessionCountForTest() {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

}  // namespace mra::platform::internal

// Copyright The mra Authors.
//
// File: src/platform/internal/authenticator.h
// -----------------------------------------------------------------------------
// Authenticator is the authentication service's logic: users (name + scrypt
// hash) in SQLite, so they survive restarts, and login tokens in memory, so a
// restart logs everyone out. A token is 32 bytes from RAND_bytes, hex
// encoded; only its SHA-256 is kept, so lookups do not compare secrets and a
// memory dump does not hand out live tokens.

#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <semaphore>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/platform/internal/password_hash.h"
#include "src/platform/internal/sqlite.h"

#include "mra/base/clock.h"

namespace mra::platform::internal {

inline constexpr size_t kMaxUsernameLen = 64;
inline constexpr size_t kMinPasswordLen = 8;
inline constexpr size_t kMaxPasswordLen = 1024;
inline constexpr size_t kTokenLen = 32;  // Bytes; 64 hex characters.

// At most this many scrypt computations run at once (each may use 32 MiB).
inline constexpr ptrdiff_t kMaxConcurrentHashes = 4;

struct AuthenticatorOptions {
  absl::Duration token_lifetime = absl::Hours(1);
  size_t max_sessions = 100000;
  ScryptParams scrypt;
  const Clock* clock = &Clock::Real();  // Must outlive the Authenticator.
};

// Token is a fresh login token.
struct IssuedToken {
  std::string token;  // 64 lowercase hex characters.
  absl::Time expires;
};

// Session is what a valid token stands for.
struct Session {
  std::string username;
  absl::Time expires;
};

// Authenticator is thread-safe.
class Authenticator {
 public:
  // Open opens or creates the user database at `path`.
  // @return as KvStore::Open.
  static absl::StatusOr<std::unique_ptr<Authenticator>> Open(
      const std::string& path, AuthenticatorOptions options);

  // CreateUser registers `username` with `password`.
  // @return kInvalidArgument for a name outside [A-Za-z0-9_.@-]{1,64} or a
  //         password outside 8..1024 bytes; kAlreadyExists.
  [[nodiscard]] absl::Status CreateUser(std::string_view username,
                                        std::string_view password);

  // IssueToken checks the password and starts a session.
  // @return kUnauthenticated for an unknown user or a wrong password (same
  //         message, similar time); kResourceExhausted when max_sessions
  //         live sessions exist.
  absl::StatusOr<IssuedToken> IssueToken(std::string_view username,
                                         std::string_view password);

  // ValidateToken returns the session of a live token.
  // @return kUnauthenticated for unknown, malformed or expired tokens.
  absl::StatusOr<Session> ValidateToken(std::string_view token);

  // SessionCountForTest returns the number of stored sessions.
  size_t SessionCountForTest();

 private:
  Authenticator(std::unique_ptr<SqliteDb> db, AuthenticatorOptions options,
                std::string dummy_hash)
      : db_(std::move(db)),
        options_(options),
        dummy_hash_(std::move(dummy_hash)) {}

  absl::StatusOr<std::string> HashBounded(std::string_view password);
  absl::StatusOr<bool> VerifyBounded(std::string_view password,
                                     std::string_view encoded);
  void PurgeExpiredLocked(absl::Time now);

  // Serialises statement lifetimes on the connection (see KvStore::mu_).
  std::mutex db_mu_;
  std::unique_ptr<SqliteDb> db_;
  const AuthenticatorOptions options_;
  // Verified against when the user does not exist, so unknown users cost
  // the same as wrong passwords.
  const std::string dummy_hash_;
  std::counting_semaphore<kMaxConcurrentHashes> hash_slots_{
      kMaxConcurrentHashes};

  std::mutex mu_;  // Guards sessions_.
  // Hex SHA-256 of the token -> session.
  std::map<std::string, Session, std::less<>> sessions_;
};

// ValidUsername reports whether `username` is acceptable.
bool ValidUsername(std::string_view username);

}  // namespace mra::platform::internal

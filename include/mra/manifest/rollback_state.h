// Copyright The mra Authors.
//
// File: mra/manifest/rollback_state.h
// -----------------------------------------------------------------------------
// The highest manifest version a service has accepted, persisted so that a
// restart cannot be used to roll back to an older (e.g. revoked) manifest.

#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mra::manifest {

// RollbackRecord is the persisted state.
struct RollbackRecord {
  uint64_t highest_version = 0;
  std::string manifest_sha256;  // Hex digest of the manifest at that version.
  std::string deployment;       // Empty when the manifest named none.
};

// RollbackStateFile stores a RollbackRecord as a small JSON file, replaced
// atomically. One file per service instance; not shared between processes.
// StateLock holds an exclusive advisory lock (flock) on a state file's
// PATH.lock while it lives. Move-only.
class StateLock {
 public:
  explicit StateLock(int fd) : fd_(fd) {}
  StateLock(StateLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  StateLock& operator=(StateLock&&) = delete;
  StateLock(const StateLock&) = delete;
  ~StateLock();

 private:
  int fd_;
};

class RollbackStateFile {
 public:
  explicit RollbackStateFile(std::string path) : path_(std::move(path)) {}

  // Load returns nullopt when the file does not exist yet (first start).
  // A file that exists but is unreadable, not the expected JSON, or has
  // fields of the wrong type fails with VerifyFailure::kStateCorrupt: the
  // service must not guess its rollback floor.
  absl::StatusOr<std::optional<RollbackRecord>> Load() const;

  // Store atomically replaces the file (mode 0600).
  [[nodiscard]] absl::Status Store(const RollbackRecord& record) const;

  // LockExclusive takes the lock that makes a check-then-Store atomic
  // across processes sharing this file (two instances of one service), so
  // that one cannot overwrite a higher floor the other just stored. Waits
  // up to `wait`.
  // @return kUnavailable naming the file when another holder keeps it
  //         longer; the open/flock error otherwise.
  absl::StatusOr<StateLock> LockExclusive(absl::Duration wait) const;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace mra::manifest

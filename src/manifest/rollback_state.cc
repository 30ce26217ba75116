#include "mra/manifest/rollback_state.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/time/clock.h"
#include "nlohmann/json.hpp"

#include "mra/base/file.h"
#include "mra/base/hex.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/base/verify_failure.h"

namespace mra::manifest {
namespace {

constexpr int kFormat = 1;
constexpr size_t kMaxStateLen = 64 * 1024;

absl::Status Corrupt(const std::string& path, std::string_view why) {
  return VerifyError(
      VerifyFailure::kStateCorrupt,
      StrCat("rollback state '", path, "': ", why,
             "; refusing to guess the rollback floor (restore the file from a "
             "backup, or remove it only if you know no newer manifest was "
             "ever accepted)"));
}

}  // namespace

StateLock::~StateLock() {
  if (fd_ >= 0) {
    ::close(fd_);  // Releases the flock.
  }
}

absl::StatusOr<StateLock> RollbackStateFile::LockExclusive(
    absl::Duration wait) const {
  const std::string lock_path = path_ + ".lock";
  const int fd = ::open(lock_path.c_str(),
                        O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return absl::UnavailableError(StrCat("rollback state lock '", lock_path,
                                         "': ", std::strerror(errno)));
  }
  StateLock lock(fd);
  const absl::Time deadline = absl::Now() + wait;
  for (;;) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      return lock;
    }
    if (errno != EWOULDBLOCK && errno != EINTR) {
      return absl::UnavailableError(StrCat("rollback state lock '", lock_path,
                                           "': ", std::strerror(errno)));
    }
    if (absl::Now() >= deadline) {
      return absl::UnavailableError(StrCat(
          "rollback state '", path_, "' is locked by another process for ",
          absl::FormatDuration(wait),
          " (two services sharing one rollback_state file?)"));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
}

absl::StatusOr<std::optional<RollbackRecord>> RollbackStateFile::Load() const {
  absl::StatusOr<std::string> text = ReadFileBounded(path_, kMaxStateLen);
  if (absl::IsNotFound(text.status())) {
    return std::nullopt;
  }
  if (!text.ok()) {
    return Corrupt(path_, ToStd(text.status().message()));
  }
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Corrupt(path_, "not JSON");
  }
  for (const auto& [key, value] : j.items()) {
    if (key != "format" && key != "highest_version" &&
        key != "manifest_sha256" && key != "deployment") {
      return Corrupt(path_, StrCat("unknown key '", key, "'"));
    }
  }
  if (!j.contains("format") || !j["format"].is_number_integer() ||
      j["format"].get<int64_t>() != kFormat) {
    return Corrupt(path_, "missing or unsupported 'format'");
  }
  if (!j.contains("highest_version") ||
      !j["highest_version"].is_number_unsigned()) {
    return Corrupt(path_, "'highest_version' is not an unsigned integer");
  }
  if (!j.contains("manifest_sha256") || !j["manifest_sha256"].is_string()) {
    return Corrupt(path_, "'manifest_sha256' is missing");
  }
  if (!j.contains("deployment") || !j["deployment"].is_string()) {
    return Corrupt(path_, "'deployment' is missing");
  }
  RollbackRecord r;
  r.highest_version = j["highest_version"].get<uint64_t>();
  r.manifest_sha256 = j["manifest_sha256"].get<std::string>();
  r.deployment = j["deployment"].get<std::string>();
  if (r.manifest_sha256.size() != 64 || !IsHex(r.manifest_sha256)) {
    return Corrupt(path_, "'manifest_sha256' is not 64 hex characters");
  }
  return r;
}

absl::Status RollbackStateFile::Store(const RollbackRecord& record) const {
  nlohmann::ordered_json j;
  j["format"] = kFormat;
  j["highest_version"] = record.highest_version;
  j["manifest_sha256"] = record.manifest_sha256;
  j["deployment"] = record.deployment;
  return WriteFileAtomic(path_, j.dump(2) + "\n", 0600);
}

}  // namespace mra::manifest

#include "mra/base/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "mra/base/strings.h"

namespace mra {
namespace {

absl::Status ErrnoError(std::string_view what, const std::string& path) {
  int err = errno;
  std::string msg = StrCat(what, " '", path, "': ", std::strerror(err));
  if (err == ENOENT) {
    return absl::NotFoundError(msg);
  }
  if (err == EACCES || err == EPERM) {
    return absl::PermissionDeniedError(msg);
  }
  return absl::UnavailableError(msg);
}

// Closes a descriptor on scope exit.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

absl::Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return ErrnoError("cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ReadFileBounded(const std::string& path,
                                            size_t max_len) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return ErrnoError("cannot open", path);
  }
  FdCloser closer(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return ErrnoError("cannot stat", path);
  }
  if (S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        StrCat("'", path, "' is a directory, not a file"));
  }
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return ErrnoError("cannot read", path);
    }
    if (n == 0) {
      break;
    }
    if (out.size() + static_cast<size_t>(n) > max_len) {
      return absl::InvalidArgumentError(StrCat(
          "'", path, "' is larger than the limit of ", max_len, " bytes"));
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

absl::Status WriteFileAtomic(const std::string& path, std::string_view data,
                             unsigned mode) {
  std::filesystem::path target(path);
  std::filesystem::path dir = target.parent_path();
  if (dir.empty()) {
    dir = ".";
  }
  std::string tmpl =
      (dir / StrCat(".", target.filename().string(), ".tmpXXXXXX")).string();
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) {
    return ErrnoError("cannot create temporary file for", path);
  }
  FdCloser closer(fd);
  absl::Status status = WriteAll(fd, data, tmpl);
  if (status.ok() && ::fchmod(fd, static_cast<mode_t>(mode)) != 0) {
    status = ErrnoError("cannot chmod", tmpl);
  }
  if (status.ok() && ::fsync(fd) != 0) {
    status = ErrnoError("cannot fsync", tmpl);
  }
  if (status.ok() && ::close(closer.Release()) != 0) {
    status = ErrnoError("cannot close", tmpl);
  }
  if (status.ok() && ::rename(tmpl.c_str(), path.c_str()) != 0) {
    status = ErrnoError("cannot rename temporary file onto", path);
  }
  if (!status.ok()) {
    ::unlink(tmpl.c_str());
    return status;
  }
  // Make the rename itself durable.
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    FdCloser dir_closer(dfd);
    if (::fsync(dfd) != 0) {
      return ErrnoError("cannot fsync directory of", path);
    }
  }
  return absl::OkStatus();
}

}  // namespace mra

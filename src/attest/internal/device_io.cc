#include "src/attest/internal/device_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "mra/base/strings.h"

namespace mra::attest::internal {
namespace {

absl::Status Errno(std::string_view what, const std::string& path, int err) {
  std::string msg = StrCat(what, " '", path, "': ", std::strerror(err));
  return err == ENOENT ? absl::NotFoundError(msg) : absl::UnavailableError(msg);
}

}  // namespace

absl::Status WriteExistingFile(const std::string& path,
                               std::span<const uint8_t> data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return Errno("cannot open", path, errno);
  }
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      int err = errno;
      ::close(fd);
      return Errno("cannot write", path, err);
    }
    data = data.subspan(static_cast<size_t>(n));
  }
  if (::close(fd) != 0) {
    return Errno("cannot close (commit)", path, errno);
  }
  return absl::OkStatus();
}

}  // namespace mra::attest::internal

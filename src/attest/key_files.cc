#include "mra/attest/key_files.h"

#include <openssl/crypto.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "mra/base/file.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"

namespace mra::attest {

absl::StatusOr<crypto::PrivateKey> LoadPrivateKeyFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    std::string msg =
        StrCat("cannot stat key file '", path, "': ", std::strerror(err));
    return err == ENOENT ? absl::NotFoundError(msg)
                         : absl::UnavailableError(msg);
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        StrCat("key file '", path, "' has mode 0",
               fmt::format("{:o}", st.st_mode & 0777),
               " and is accessible by group or others; run chmod 600"));
  }
  MRA_ASSIGN_OR_RETURN(std::string pem, ReadFileBounded(path, kMaxKeyFileLen));
  absl::StatusOr<crypto::PrivateKey> key = crypto::PrivateKey::ParsePem(pem);
  OPENSSL_cleanse(pem.data(), pem.size());
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        StrCat("key file '", path, "': ", ToStd(key.status().message())));
  }
  return key;
}

absl::Status WritePrivateKeyFile(const std::string& path,
                                 const crypto::PrivateKey& key,
                                 bool overwrite) {
  struct stat st {};
  if (!overwrite && ::lstat(path.c_str(), &st) == 0) {
    return absl::AlreadyExistsError(
        StrCat("'", path, "' exists; refusing to overwrite a key"));
  }
  MRA_ASSIGN_OR_RETURN(SecretBytes pem, key.ToPkcs8Pem());
  return WriteFileAtomic(path, pem.UnsafeView(SecretAccess::Get()), 0600);
}

}  // namespace mra::attest

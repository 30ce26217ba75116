#include "mra/crypto/openssl_ptr.h"

#include <openssl/err.h>

#include <string>

#include "mra/base/strings.h"

namespace mra::crypto {

absl::Status OpenSslError(std::string_view what) {
  std::string detail;
  unsigned long err = 0;  // NOLINT(google-runtime-int): OpenSSL's type.
  while ((err = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof(buf));
    StrAppend(&detail, detail.empty() ? "" : "; ", buf);
  }
  return absl::InternalError(detail.empty() ? std::string(what)
                                            : StrCat(what, ": ", detail));
}

void ClearOpenSslErrors() { ERR_clear_error(); }

}  // namespace mra::crypto

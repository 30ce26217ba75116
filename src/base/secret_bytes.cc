#include "mra/base/secret_bytes.h"

#include <openssl/crypto.h>

namespace mra::internal {

void Cleanse(void* ptr, size_t len) { OPENSSL_cleanse(ptr, len); }

bool ConstantTimeEqual(const void* a, const void* b, size_t len) {
  return CRYPTO_memcmp(a, b, len) == 0;
}

}  // namespace mra::internal

#include "mra/crypto/digest.h"

#include <openssl/evp.h>

#include "mra/base/status.h"

namespace mra::crypto {
namespace {

template <size_t N>
std::array<uint8_t, N> Digest(const EVP_MD* md, std::span<const uint8_t> data) {
  std::array<uint8_t, N> out{};
  unsigned int len = 0;
  MRA_CHECK(
      EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) == 1);
  MRA_CHECK(len == N);
  return out;
}

}  // namespace

Sha256Digest Sha256(std::span<const uint8_t> data) {
  return Digest<32>(EVP_sha256(), data);
}

Sha384Digest Sha384(std::span<const uint8_t> data) {
  return Digest<48>(EVP_sha384(), data);
}

}  // namespace mra::crypto

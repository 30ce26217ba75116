#include "src/attest/internal/ecdsa_raw.h"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>

#include <algorithm>
#include <vector>

namespace mra::attest::internal {

absl::StatusOr<RawP256Signature> SignP256Raw(EVP_PKEY* key,
                                             std::span<const uint8_t> data) {
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
      EVP_PKEY_get_bits(key) != 256) {
    return absl::InvalidArgumentError("raw ECDSA signing needs a P-256 key");
  }
  crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr ||
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1) {
    return crypto::OpenSslError("EVP_DigestSignInit");
  }
  size_t der_len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &der_len, data.data(), data.size()) !=
      1) {
    return crypto::OpenSslError("EVP_DigestSign (size)");
  }
  std::vector<uint8_t> der(der_len);
  if (EVP_DigestSign(ctx.get(), der.data(), &der_len, data.data(),
                     data.size()) != 1) {
    return crypto::OpenSslError("EVP_DigestSign");
  }
  const unsigned char* p = der.data();
  crypto::EcdsaSigPtr sig(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)));  // NOLINT
  if (sig == nullptr) {
    return crypto::OpenSslError("d2i_ECDSA_SIG");
  }
  RawP256Signature out{};
  const BIGNUM* r = ECDSA_SIG_get0_r(sig.get());
  const BIGNUM* s = ECDSA_SIG_get0_s(sig.get());
  std::span<uint8_t> out_r(out.data(), 32);
  std::span<uint8_t> out_s = std::span<uint8_t>(out).subspan(32);
  if (BN_bn2binpad(r, out_r.data(), 32) != 32 ||
      BN_bn2binpad(s, out_s.data(), 32) != 32) {
    return crypto::OpenSslError("BN_bn2binpad");
  }
  return out;
}

absl::StatusOr<RawP256PublicKey> RawP256Point(EVP_PKEY* key) {
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
      EVP_PKEY_get_bits(key) != 256) {
    return absl::InvalidArgumentError("expected a P-256 key");
  }
  std::array<uint8_t, 65> point{};
  size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                      point.data(), point.size(), &len) != 1 ||
      len != point.size() || point[0] != 0x04) {
    return crypto::OpenSslError("uncompressed P-256 public key");
  }
  RawP256PublicKey out{};
  std::copy(point.begin() + 1, point.end(), out.begin());
  return out;
}

}  // namespace mra::attest::internal

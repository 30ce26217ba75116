// Copyright The mra Authors.
//
// scrypt password hashes via OpenSSL 3 EVP_KDF (see password_hash.h).

#include "src/platform/internal/password_hash.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <memory>
#include <vector>

#include "mra/base/hex.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/crypto/openssl_ptr.h"

namespace mra::platform::internal {
namespace {

constexpr size_t kSaltLen = 16;
constexpr size_t kHashLen = 32;
constexpr uint32_t kMaxR = 32;
constexpr uint32_t kMaxP = 16;

using EvpKdfPtr =
    std::unique_ptr<EVP_KDF, crypto::OpenSslDeleter<EVP_KDF, EVP_KDF_free>>;
using EvpKdfCtxPtr =
    std::unique_ptr<EVP_KDF_CTX,
                    crypto::OpenSslDeleter<EVP_KDF_CTX, EVP_KDF_CTX_free>>;

absl::Status CheckParams(const ScryptParams& params) {
  if (params.log2_n < kMinScryptLog2N || params.log2_n > kMaxScryptLog2N ||
      params.r < 1 || params.r > kMaxR || params.p < 1 || params.p > kMaxP) {
    return absl::InvalidArgumentError(
        StrCat("scrypt parameters out of range: ln=", params.log2_n,
               " r=", params.r, " p=", params.p));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::array<uint8_t, kHashLen>> Scrypt(
    std::string_view password, std::span<const uint8_t> salt,
    const ScryptParams& params) {
  EvpKdfPtr kdf(EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_SCRYPT, nullptr));
  if (kdf == nullptr) {
    return crypto::OpenSslError("EVP_KDF_fetch(SCRYPT)");
  }
  EvpKdfCtxPtr ctx(EVP_KDF_CTX_new(kdf.get()));
  if (ctx == nullptr) {
    return crypto::OpenSslError("EVP_KDF_CTX_new");
  }
  uint64_t n = uint64_t{1} << params.log2_n;
  uint32_t r = params.r;
  uint32_t p = params.p;
  // 128 * r * N for V plus 256 * r for B, with slack.
  uint64_t maxmem = 128 * uint64_t{r} * (n + 2 * uint64_t{p} + 4) + (1 << 20);
  // OSSL_PARAM wants non-const pointers; OpenSSL only reads them.
  std::string password_copy(password);
  std::vector<uint8_t> salt_copy(salt.begin(), salt.end());
  std::array<OSSL_PARAM, 7> ossl_params = {
      OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_PASSWORD, password_copy.data(), password_copy.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt_copy.data(),
                                        salt_copy.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      OSSL_PARAM_construct_end()};
  std::array<uint8_t, kHashLen> out{};
  int ok =
      EVP_KDF_derive(ctx.get(), out.data(), out.size(), ossl_params.data());
  OPENSSL_cleanse(password_copy.data(), password_copy.size());
  if (ok != 1) {
    return crypto::OpenSslError("EVP_KDF_derive(SCRYPT)");
  }
  return out;
}

// ParseUint parses "<name>=<decimal>".
bool ParseField(std::string_view field, std::string_view name, uint32_t* out) {
  if (!field.starts_with(name) || field.size() <= name.size() + 1 ||
      field[name.size()] != '=') {
    return false;
  }
  std::string_view digits = field.substr(name.size() + 1);
  if (digits.size() > 1 && digits.front() == '0') {
    return false;
  }
  auto [end, ec] =
      std::from_chars(digits.data(), digits.data() + digits.size(), *out);
  return ec == std::errc() && end == digits.data() + digits.size();
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

}  // namespace

absl::StatusOr<std::string> HashPassword(std::string_view password,
                                         const ScryptParams& params) {
  MRA_RETURN_IF_ERROR(CheckParams(params));
  std::array<uint8_t, kSaltLen> salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
    return crypto::OpenSslError("RAND_bytes");
  }
  MRA_ASSIGN_OR_RETURN(auto hash, Scrypt(password, salt, params));
  return StrCat("$scrypt$ln=", params.log2_n, ",r=", params.r, ",p=", params.p,
                "$", HexEncode(salt), "$", HexEncode(hash));
}

absl::StatusOr<bool> VerifyPassword(std::string_view password,
                                    std::string_view encoded) {
  // "", "scrypt", "ln=..,r=..,p=..", salt, hash
  std::vector<std::string_view> parts = Split(encoded, '$');
  if (parts.size() != 5 || !parts[0].empty() || parts[1] != "scrypt") {
    return absl::InvalidArgumentError("not a $scrypt$ password hash");
  }
  std::vector<std::string_view> fields = Split(parts[2], ',');
  ScryptParams params;
  if (fields.size() != 3 || !ParseField(fields[0], "ln", &params.log2_n) ||
      !ParseField(fields[1], "r", &params.r) ||
      !ParseField(fields[2], "p", &params.p)) {
    return absl::InvalidArgumentError("malformed scrypt parameters");
  }
  MRA_RETURN_IF_ERROR(CheckParams(params));
  std::array<uint8_t, kSaltLen> salt{};
  std::array<uint8_t, kHashLen> expected{};
  if (!HexDecodeInto(parts[3], salt).ok() ||
      !HexDecodeInto(parts[4], expected).ok()) {
    return absl::InvalidArgumentError("malformed scrypt salt or hash");
  }
  MRA_ASSIGN_OR_RETURN(auto actual, Scrypt(password, salt, params));
  return CRYPTO_memcmp(actual.data(), expected.data(), kHashLen) == 0;
}

}  // namespace mra::platform::internal

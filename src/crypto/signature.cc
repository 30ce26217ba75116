#include "mra/crypto/signature.h"

#include <openssl/ecdsa.h>
#include <openssl/rsa.h>

#include <memory>
#include <vector>

#include "mra/base/status.h"
#include "mra/base/strings.h"

namespace mra::crypto {
namespace {

const EVP_MD* DigestFor(KeyType type) {
  switch (type) {
    case KeyType::kRsa:
    case KeyType::kEcdsaP256:
      return EVP_sha256();
    case KeyType::kEcdsaP384:
      return EVP_sha384();
    case KeyType::kEd25519:
      return nullptr;  // Ed25519 hashes internally.
  }
  return nullptr;
}

absl::Status InitRsaPadding(EVP_PKEY_CTX* pctx, KeyType type) {
  if (type == KeyType::kRsa &&
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
    return OpenSslError("EVP_PKEY_CTX_set_rsa_padding");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> SignDetached(
    const PrivateKey& key, std::span<const uint8_t> data) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) {
    return OpenSslError("EVP_MD_CTX_new");
  }
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestSignInit(ctx.get(), &pctx, DigestFor(key.type()), nullptr,
                         key.pkey()) != 1) {
    return OpenSslError("EVP_DigestSignInit");
  }
  MRA_RETURN_IF_ERROR(InitRsaPadding(pctx, key.type()));
  size_t sig_len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &sig_len, data.data(), data.size()) !=
      1) {
    return OpenSslError("EVP_DigestSign (size)");
  }
  std::vector<uint8_t> sig(sig_len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &sig_len, data.data(),
                     data.size()) != 1) {
    return OpenSslError("EVP_DigestSign");
  }
  sig.resize(sig_len);
  return sig;
}

absl::Status VerifyDetached(const PublicKey& key, std::span<const uint8_t> data,
                            std::span<const uint8_t> signature) {
  if (signature.empty() || signature.size() > kMaxSignatureLen) {
    return absl::UnauthenticatedError(
        StrCat("signature length ", signature.size(), " is not valid"));
  }
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) {
    return OpenSslError("EVP_MD_CTX_new");
  }
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestVerifyInit(ctx.get(), &pctx, DigestFor(key.type()), nullptr,
                           key.pkey()) != 1) {
    return OpenSslError("EVP_DigestVerifyInit");
  }
  MRA_RETURN_IF_ERROR(InitRsaPadding(pctx, key.type()));
  int rc = EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                            data.data(), data.size());
  ClearOpenSslErrors();
  if (rc != 1) {
    return absl::UnauthenticatedError("signature does not verify");
  }
  return absl::OkStatus();
}

absl::Status VerifyEcdsaRaw(EVP_PKEY* key, std::span<const uint8_t> data,
                            std::span<const uint8_t> r_s) {
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) {
    return absl::InvalidArgumentError("raw ECDSA verify needs an EC key");
  }
  int bits = EVP_PKEY_get_bits(key);
  size_t half = static_cast<size_t>((bits + 7) / 8);
  if (r_s.size() != 2 * half) {
    return absl::UnauthenticatedError(StrCat(
        "raw ECDSA signature is ", r_s.size(), " bytes, expected ", 2 * half));
  }
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(r_s.data(), static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(r_s.data() + half, static_cast<int>(half), nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr ||
      ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return OpenSslError("ECDSA_SIG_set0");
  }
  unsigned char* der = nullptr;  // One encoding pass, allocated by OpenSSL.
  const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  std::unique_ptr<unsigned char, void (*)(unsigned char*)> der_owner(
      der, [](unsigned char* d) { OPENSSL_free(d); });
  if (der_len <= 0 || der == nullptr) {
    return OpenSslError("i2d_ECDSA_SIG");
  }
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) {
    return OpenSslError("EVP_MD_CTX_new");
  }
  const EVP_MD* md = bits > 256 ? EVP_sha384() : EVP_sha256();
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key) != 1) {
    return OpenSslError("EVP_DigestVerifyInit");
  }
  int rc = EVP_DigestVerify(ctx.get(), der, static_cast<size_t>(der_len),
                            data.data(), data.size());
  ClearOpenSslErrors();
  if (rc != 1) {
    return absl::UnauthenticatedError("ECDSA signature invalid");
  }
  return absl::OkStatus();
}

}  // namespace mra::crypto

#include "src/x509/internal/cert_builder.h"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <span>

#include <openssl/asn1.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/crypto/openssl_ptr.h"

namespace mra::x509::internal {
namespace {

using crypto::OpenSslDeleter;
using crypto::OpenSslError;
using Asn1ObjectPtr =
    std::unique_ptr<ASN1_OBJECT, OpenSslDeleter<ASN1_OBJECT, ASN1_OBJECT_free>>;
using Asn1OctetStringPtr =
    std::unique_ptr<ASN1_OCTET_STRING,
                    OpenSslDeleter<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>>;
using X509ExtensionPtr =
    std::unique_ptr<X509_EXTENSION,
                    OpenSslDeleter<X509_EXTENSION, X509_EXTENSION_free>>;

const EVP_MD* DigestFor(crypto::KeyType type) {
  switch (type) {
    case crypto::KeyType::kEcdsaP384:
      return EVP_sha384();
    case crypto::KeyType::kEd25519:
      return nullptr;  // Ed25519 signs the message itself.
    case crypto::KeyType::kRsa:
    case crypto::KeyType::kEcdsaP256:
      return EVP_sha256();
  }
  return EVP_sha256();
}

absl::Status AddConfExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value));
  if (ext == nullptr || X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpenSslError(StrCat("extension ", OBJ_nid2sn(nid)));
  }
  return absl::OkStatus();
}

absl::Status AddRawExtension(X509* cert, const ExtensionSpec& spec) {
  Asn1ObjectPtr obj(OBJ_txt2obj(spec.oid.c_str(), /*no_name=*/1));
  if (obj == nullptr) {
    return OpenSslError(StrCat("OID ", spec.oid));
  }
  Asn1OctetStringPtr value(ASN1_OCTET_STRING_new());
  if (value == nullptr ||
      ASN1_OCTET_STRING_set(value.get(), spec.value.data(),
                            static_cast<int>(spec.value.size())) != 1) {
    return OpenSslError("ASN1_OCTET_STRING_set");
  }
  X509ExtensionPtr ext(X509_EXTENSION_create_by_OBJ(
      nullptr, obj.get(), spec.critical ? 1 : 0, value.get()));
  if (ext == nullptr || X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpenSslError(StrCat("extension ", spec.oid));
  }
  return absl::OkStatus();
}

absl::Status SetRandomSerial(X509* cert) {
  std::array<uint8_t, 16> serial{};
  if (RAND_bytes(serial.data(), static_cast<int>(serial.size())) != 1) {
    return OpenSslError("RAND_bytes");
  }
  serial[0] &= 0x7f;  // Positive.
  serial[0] |= 0x40;  // Exactly 16 bytes, never a leading zero.
  crypto::BignumPtr bn(
      BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  if (bn == nullptr ||
      BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
    return OpenSslError("serial number");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> BuildCertificate(
    const crypto::PublicKey& subject_key, const crypto::PrivateKey& signing_key,
    const CertSpec& spec) {
  crypto::X509Ptr cert(X509_new());
  if (cert == nullptr) {
    return OpenSslError("X509_new");
  }
  X509* x = cert.get();
  if (X509_set_version(x, X509_VERSION_3) != 1) {
    return OpenSslError("X509_set_version");
  }
  MRA_RETURN_IF_ERROR(SetRandomSerial(x));
  X509_NAME* name = X509_get_subject_name(x);
  if (X509_NAME_add_entry_by_txt(
          name, "CN", MBSTRING_UTF8,
          reinterpret_cast<const unsigned char*>(spec.common_name.c_str()),
          static_cast<int>(spec.common_name.size()), -1, 0) != 1 ||
      X509_set_issuer_name(x, name) != 1) {
    return OpenSslError("subject name");
  }
  if (ASN1_TIME_set(X509_getm_notBefore(x), absl::ToTimeT(spec.not_before)) ==
          nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(x), absl::ToTimeT(spec.not_after)) ==
          nullptr) {
    return OpenSslError("validity");
  }
  if (X509_set_pubkey(x, subject_key.pkey()) != 1) {
    return OpenSslError("X509_set_pubkey");
  }
  if (spec.standard_extensions) {
    MRA_RETURN_IF_ERROR(
        AddConfExtension(x, NID_basic_constraints, "critical,CA:FALSE"));
    MRA_RETURN_IF_ERROR(
        AddConfExtension(x, NID_key_usage, "critical,digitalSignature"));
    MRA_RETURN_IF_ERROR(
        AddConfExtension(x, NID_ext_key_usage, "serverAuth,clientAuth"));
  }
  for (const ExtensionSpec& ext : spec.extensions) {
    MRA_RETURN_IF_ERROR(AddRawExtension(x, ext));
  }
  if (X509_sign(x, signing_key.pkey(), DigestFor(signing_key.type())) <= 0) {
    return OpenSslError("X509_sign");
  }
  int len = i2d_X509(x, nullptr);
  if (len <= 0) {
    return OpenSslError("i2d_X509");
  }
  std::vector<uint8_t> der(static_cast<size_t>(len));
  unsigned char* p = der.data();
  if (i2d_X509(x, &p) != len) {
    return OpenSslError("i2d_X509");
  }
  return der;
}

std::string DerToPem(std::span<const uint8_t> der) {
  std::string pem = "-----BEGIN CERTIFICATE-----\n";
  // 48 input bytes -> one 64-character base64 line.
  constexpr size_t kChunk = 48;
  std::array<unsigned char, 4 * kChunk / 3 + 1> line{};
  for (size_t off = 0; off < der.size(); off += kChunk) {
    size_t n = std::min(kChunk, der.size() - off);
    int out = EVP_EncodeBlock(line.data(), der.subspan(off, n).data(),
                              static_cast<int>(n));
    pem.append(reinterpret_cast<const char*>(line.data()),
               static_cast<size_t>(out));
    pem.push_back('\n');
  }
  pem += "-----END CERTIFICATE-----\n";
  return pem;
}

}  // namespace mra::x509::internal

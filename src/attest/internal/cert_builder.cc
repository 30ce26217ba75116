#include "src/attest/internal/cert_builder.h"

#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <array>

#include "src/attest/internal/pck_extension.h"
#include <openssl/asn1.h>
#include <openssl/x509v3.h>

#include "mra/base/status.h"
#include "mra/base/strings.h"

namespace mra::attest::internal {
namespace {

using X509ExtensionPtr = std::unique_ptr<
    X509_EXTENSION,
    crypto::OpenSslDeleter<X509_EXTENSION, X509_EXTENSION_free>>;
using Asn1IntegerPtr =
    std::unique_ptr<ASN1_INTEGER,
                    crypto::OpenSslDeleter<ASN1_INTEGER, ASN1_INTEGER_free>>;
using Asn1TimePtr =
    std::unique_ptr<ASN1_TIME,
                    crypto::OpenSslDeleter<ASN1_TIME, ASN1_TIME_free>>;
using Asn1ObjectPtr =
    std::unique_ptr<ASN1_OBJECT,
                    crypto::OpenSslDeleter<ASN1_OBJECT, ASN1_OBJECT_free>>;
using Asn1OctetStringPtr = std::unique_ptr<
    ASN1_OCTET_STRING,
    crypto::OpenSslDeleter<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>>;
using X509NamePtr =
    std::unique_ptr<X509_NAME,
                    crypto::OpenSslDeleter<X509_NAME, X509_NAME_free>>;

absl::StatusOr<X509NamePtr> MakeName(const CertSpec& spec) {
  X509NamePtr name(X509_NAME_new());
  if (name == nullptr) {
    return crypto::OpenSslError("X509_NAME_new");
  }
  auto add = [&name](const char* field, const std::string& value) {
    return X509_NAME_add_entry_by_txt(
               name.get(), field, MBSTRING_UTF8,
               reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
               0) == 1;
  };
  if (!add("CN", spec.common_name) ||
      (!spec.organization.empty() && !add("O", spec.organization))) {
    return crypto::OpenSslError("X509_NAME_add_entry_by_txt");
  }
  return name;
}

// RandomSerial returns a positive 160-bit serial, as Intel's certificates
// carry.
absl::StatusOr<Asn1IntegerPtr> RandomSerial() {
  std::array<uint8_t, 20> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return crypto::OpenSslError("RAND_bytes");
  }
  bytes[0] = static_cast<uint8_t>((bytes[0] & 0x7f) | 0x01);
  crypto::BignumPtr bn(
      BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  if (bn == nullptr) {
    return crypto::OpenSslError("BN_bin2bn");
  }
  Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (serial == nullptr) {
    return crypto::OpenSslError("BN_to_ASN1_INTEGER");
  }
  return serial;
}

absl::StatusOr<X509ExtensionPtr> ConfExtension(X509V3_CTX* ctx, int nid,
                                               const std::string& value) {
  X509ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value.c_str()));
  if (ext == nullptr) {
    return crypto::OpenSslError(
        StrCat("X509V3_EXT_nconf_nid(", OBJ_nid2sn(nid), ", ", value, ")"));
  }
  return ext;
}

absl::Status AddExt(X509* cert, X509_EXTENSION* ext, int loc) {
  if (X509_add_ext(cert, ext, loc) != 1) {
    return crypto::OpenSslError("X509_add_ext");
  }
  return absl::OkStatus();
}

absl::Status SetTime(ASN1_TIME* field, absl::Time t) {
  if (ASN1_TIME_set(field, absl::ToTimeT(t)) == nullptr) {
    return crypto::OpenSslError("ASN1_TIME_set");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<crypto::X509Ptr> IssueCert(const CertSpec& spec,
                                          EVP_PKEY* subject_key, X509* issuer,
                                          EVP_PKEY* issuer_key) {
  crypto::X509Ptr cert(X509_new());
  if (cert == nullptr) {
    return crypto::OpenSslError("X509_new");
  }
  MRA_ASSIGN_OR_RETURN(Asn1IntegerPtr serial, RandomSerial());
  MRA_ASSIGN_OR_RETURN(X509NamePtr subject, MakeName(spec));
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_set_serialNumber(cert.get(), serial.get()) != 1 ||
      X509_set_subject_name(cert.get(), subject.get()) != 1 ||
      X509_set_issuer_name(
          cert.get(), issuer == nullptr ? subject.get()
                                        : X509_get_subject_name(issuer)) != 1 ||
      X509_set_pubkey(cert.get(), subject_key) != 1) {
    return crypto::OpenSslError("X509_set_*");
  }
  MRA_RETURN_IF_ERROR(
      SetTime(X509_getm_notBefore(cert.get()), spec.not_before));
  MRA_RETURN_IF_ERROR(SetTime(X509_getm_notAfter(cert.get()), spec.not_after));

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer == nullptr ? cert.get() : issuer, cert.get(),
                 nullptr, nullptr, 0);
  // Intel's order: AKI, CRL DP, SKI, key usage, basic constraints, SGX. The
  // SKI goes in first so a self-signed root's AKI can refer to it, then AKI
  // is inserted in front.
  MRA_ASSIGN_OR_RETURN(X509ExtensionPtr ski,
                       ConfExtension(&ctx, NID_subject_key_identifier, "hash"));
  MRA_RETURN_IF_ERROR(AddExt(cert.get(), ski.get(), -1));
  MRA_ASSIGN_OR_RETURN(
      X509ExtensionPtr aki,
      ConfExtension(&ctx, NID_authority_key_identifier, "keyid:always"));
  MRA_RETURN_IF_ERROR(AddExt(cert.get(), aki.get(), 0));
  if (!spec.crl_distribution_point.empty()) {
    MRA_ASSIGN_OR_RETURN(
        X509ExtensionPtr dp,
        ConfExtension(&ctx, NID_crl_distribution_points,
                      StrCat("URI:", spec.crl_distribution_point)));
    MRA_RETURN_IF_ERROR(AddExt(cert.get(), dp.get(), 1));
  }
  std::string usage;
  std::string constraints;
  switch (spec.role) {
    case CertRole::kRootCa:
      usage = "critical,keyCertSign,cRLSign";
      constraints = "critical,CA:TRUE,pathlen:1";
      break;
    case CertRole::kIntermediateCa:
      usage = "critical,keyCertSign,cRLSign";
      constraints = "critical,CA:TRUE,pathlen:0";
      break;
    case CertRole::kSigner:
      usage = "critical,digitalSignature,nonRepudiation";
      constraints = "critical,CA:FALSE";
      break;
  }
  MRA_ASSIGN_OR_RETURN(X509ExtensionPtr ku,
                       ConfExtension(&ctx, NID_key_usage, usage));
  MRA_RETURN_IF_ERROR(AddExt(cert.get(), ku.get(), -1));
  MRA_ASSIGN_OR_RETURN(X509ExtensionPtr bc,
                       ConfExtension(&ctx, NID_basic_constraints, constraints));
  MRA_RETURN_IF_ERROR(AddExt(cert.get(), bc.get(), -1));
  if (spec.sgx_extension.has_value()) {
    Asn1ObjectPtr oid(OBJ_txt2obj(kSgxExtensionOid, /*no_name=*/1));
    Asn1OctetStringPtr value(ASN1_OCTET_STRING_new());
    if (oid == nullptr || value == nullptr ||
        ASN1_OCTET_STRING_set(value.get(), spec.sgx_extension->data(),
                              static_cast<int>(spec.sgx_extension->size())) !=
            1) {
      return crypto::OpenSslError("SGX extension value");
    }
    X509ExtensionPtr sgx(X509_EXTENSION_create_by_OBJ(nullptr, oid.get(),
                                                      /*crit=*/0, value.get()));
    if (sgx == nullptr) {
      return crypto::OpenSslError("X509_EXTENSION_create_by_OBJ");
    }
    MRA_RETURN_IF_ERROR(AddExt(cert.get(), sgx.get(), -1));
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) <= 0) {
    return crypto::OpenSslError("X509_sign");
  }
  return cert;
}

absl::StatusOr<crypto::X509CrlPtr> IssueCrl(const CrlSpec& spec, X509* issuer,
                                            EVP_PKEY* issuer_key) {
  crypto::X509CrlPtr crl(X509_CRL_new());
  if (crl == nullptr) {
    return crypto::OpenSslError("X509_CRL_new");
  }
  Asn1TimePtr this_update(
      ASN1_TIME_set(nullptr, absl::ToTimeT(spec.this_update)));
  Asn1TimePtr next_update(
      ASN1_TIME_set(nullptr, absl::ToTimeT(spec.next_update)));
  if (this_update == nullptr || next_update == nullptr ||
      X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer)) != 1 ||
      X509_CRL_set1_lastUpdate(crl.get(), this_update.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next_update.get()) != 1) {
    return crypto::OpenSslError("X509_CRL_set_*");
  }
  Asn1IntegerPtr number(ASN1_INTEGER_new());
  if (number == nullptr ||
      ASN1_INTEGER_set_uint64(number.get(), spec.crl_number) != 1 ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, 0) !=
          1) {
    return crypto::OpenSslError("CRL number");
  }
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, nullptr, nullptr, crl.get(), 0);
  MRA_ASSIGN_OR_RETURN(
      X509ExtensionPtr aki,
      ConfExtension(&ctx, NID_authority_key_identifier, "keyid:always"));
  if (X509_CRL_add_ext(crl.get(), aki.get(), -1) != 1) {
    return crypto::OpenSslError("X509_CRL_add_ext");
  }
  if (X509_CRL_sign(crl.get(), issuer_key, EVP_sha256()) <= 0) {
    return crypto::OpenSslError("X509_CRL_sign");
  }
  return crl;
}

absl::StatusOr<std::string> CertPem(X509* cert) {
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return crypto::OpenSslError("PEM_write_bio_X509");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT(google-runtime-int)
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<std::vector<uint8_t>> CrlDer(X509_CRL* crl) {
  int len = i2d_X509_CRL(crl, nullptr);
  if (len <= 0) {
    return crypto::OpenSslError("i2d_X509_CRL");
  }
  std::vector<uint8_t> der(static_cast<size_t>(len));
  unsigned char* p = der.data();
  if (i2d_X509_CRL(crl, &p) != len) {
    return crypto::OpenSslError("i2d_X509_CRL");
  }
  return der;
}

absl::StatusOr<crypto::X509Ptr> ParseOneCertPem(std::string_view pem,
                                                std::string_view what) {
  std::string_view trimmed = TrimAsciiWhitespace(pem);
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  if (!trimmed.starts_with(kBegin) || !trimmed.ends_with(kEnd) ||
      trimmed.find(kBegin, 1) != std::string_view::npos) {
    return absl::InvalidArgumentError(
        StrCat(what, ": expected exactly one PEM certificate"));
  }
  crypto::BioPtr bio(
      BIO_new_mem_buf(trimmed.data(), static_cast<int>(trimmed.size())));
  if (bio == nullptr) {
    return crypto::OpenSslError("BIO_new_mem_buf");
  }
  crypto::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    crypto::ClearOpenSslErrors();
    return absl::InvalidArgumentError(
        StrCat(what, ": PEM certificate does not decode"));
  }
  return cert;
}

}  // namespace mra::attest::internal

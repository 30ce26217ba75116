// Copyright The mra Authors.
//
// Small OpenSSL 3 X.509 helpers for the DCAP verifier (internal).

#include <openssl/objects.h>

#include <memory>
#include <string>

#include "absl/time/civil_time.h"
#include "src/sgx/internal/verify_internal.h"
#include <openssl/asn1.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "mra/base/clock.h"
#include "mra/base/strings.h"
#include "mra/crypto/certificate.h"

namespace mra::sgx::internal {

absl::Status Failure(VerifyFailure failure, std::string_view message) {
  return VerifyError(failure, message);
}

std::optional<absl::Time> AsnTime(const ASN1_TIME* t) {
  if (t == nullptr) {
    return std::nullopt;
  }
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) {
    crypto::ClearOpenSslErrors();
    return std::nullopt;
  }
  absl::CivilSecond cs(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                       tm.tm_min, tm.tm_sec);
  return absl::FromCivil(cs, absl::UTCTimeZone());
}

std::string CommonName(const X509_NAME* name) {
  if (name == nullptr) {
    return "";
  }
  int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (idx < 0) {
    return "";
  }
  const X509_NAME_ENTRY* e = X509_NAME_get_entry(name, idx);
  const ASN1_STRING* s = X509_NAME_ENTRY_get_data(e);
  if (s == nullptr) {
    return "";
  }
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

std::string OneLine(const X509_NAME* name) {
  if (name == nullptr) {
    return "(none)";
  }
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr ||
      X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_ONELINE) < 0) {
    crypto::ClearOpenSslErrors();
    return "CN=" + CommonName(name);
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT(google-runtime-int)
  if (len <= 0 || data == nullptr) {
    return "CN=" + CommonName(name);
  }
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<Window> CertWindow(const X509* cert, std::string_view what) {
  std::optional<absl::Time> nb = AsnTime(X509_get0_notBefore(cert));
  std::optional<absl::Time> na = AsnTime(X509_get0_notAfter(cert));
  if (!nb.has_value() || !na.has_value()) {
    return Failure(VerifyFailure::kCertChainInvalid,
                   StrCat(what, ": validity dates do not decode"));
  }
  Window w;
  w.not_before = *nb;
  w.not_after = *na;
  w.failure = VerifyFailure::kCertExpired;
  w.what = StrCat(what, " (CN=", CommonName(X509_get_subject_name(cert)), ")");
  return w;
}

absl::StatusOr<Window> CrlWindow(const X509_CRL* crl, std::string_view what) {
  std::optional<absl::Time> tu = AsnTime(X509_CRL_get0_lastUpdate(crl));
  std::optional<absl::Time> nu = AsnTime(X509_CRL_get0_nextUpdate(crl));
  if (!tu.has_value() || !nu.has_value()) {
    return Failure(VerifyFailure::kCrlInvalid,
                   StrCat(what, ": thisUpdate/nextUpdate missing or invalid"));
  }
  Window w;
  w.not_before = *tu;
  w.not_after = *nu;
  w.failure = VerifyFailure::kCrlExpired;
  w.what =
      StrCat(what, " (issuer CN=", CommonName(X509_CRL_get_issuer(crl)), ")");
  w.is_crl = true;
  return w;
}

absl::StatusOr<crypto::EvpPkeyPtr> PublicKeyOf(const X509* cert,
                                               std::string_view what) {
  absl::StatusOr<crypto::EvpPkeyPtr> key = crypto::CertificatePublicKey(cert);
  if (!key.ok()) {
    return Failure(VerifyFailure::kCertChainInvalid,
                   StrCat(what, ": public key does not decode (",
                          ToStd(key.status().message()), ")"));
  }
  return key;
}

absl::Status CheckIssuedBy(const X509* cert, const X509* issuer,
                           EVP_PKEY* issuer_key, std::string_view what) {
  if (X509_NAME_cmp(X509_get_issuer_name(cert),
                    X509_get_subject_name(issuer)) != 0) {
    return Failure(
        VerifyFailure::kCertChainInvalid,
        StrCat(what, ": issuer '", OneLine(X509_get_issuer_name(cert)),
               "' is not the next certificate's subject '",
               OneLine(X509_get_subject_name(issuer)), "'"));
  }
  // X509_verify takes a non-const X509 in OpenSSL 3.0 but does not modify it.
  int rc = X509_verify(const_cast<X509*>(cert), issuer_key);  // NOLINT
  crypto::ClearOpenSslErrors();
  if (rc != 1) {
    return Failure(VerifyFailure::kCertChainInvalid,
                   StrCat(what, ": signature does not verify with the key of '",
                          OneLine(X509_get_subject_name(issuer)), "'"));
  }
  return absl::OkStatus();
}

absl::Status CheckIsCa(const X509* cert, std::string_view what) {
  // What X509_check_ca accepts minus its leniency for v1 and Netscape CAs.
  // X509_check_ca would first decode every extension and hash the whole
  // certificate with SHA-1 (OpenSSL's extension cache), a tenth of a cold
  // verification's non-ECDSA time; these two decodes are all it needs.
  auto refuse = [&](std::string_view why) {
    crypto::ClearOpenSslErrors();
    return Failure(VerifyFailure::kCertChainInvalid,
                   StrCat(what, ": not a CA certificate (", why, ")"));
  };
  int crit = 0;
  std::unique_ptr<BASIC_CONSTRAINTS, decltype(&BASIC_CONSTRAINTS_free)> bc(
      static_cast<BASIC_CONSTRAINTS*>(
          X509_get_ext_d2i(cert, NID_basic_constraints, &crit, nullptr)),
      BASIC_CONSTRAINTS_free);
  if (bc == nullptr) {
    return refuse(crit == -1   ? "no basicConstraints"
                  : crit == -2 ? "basicConstraints repeated"
                               : "basicConstraints does not decode");
  }
  if (bc->ca == 0) {
    return refuse("basicConstraints cA is FALSE");
  }
  std::unique_ptr<ASN1_BIT_STRING, decltype(&ASN1_BIT_STRING_free)> ku(
      static_cast<ASN1_BIT_STRING*>(
          X509_get_ext_d2i(cert, NID_key_usage, &crit, nullptr)),
      ASN1_BIT_STRING_free);
  if (ku == nullptr && crit != -1) {
    return refuse(crit == -2 ? "keyUsage repeated" : "keyUsage does not decode");
  }
  constexpr int kKeyCertSignBit = 5;  // RFC 5280 4.2.1.3.
  if (ku != nullptr && ASN1_BIT_STRING_get_bit(ku.get(), kKeyCertSignBit) != 1) {
    return refuse("keyUsage lacks keyCertSign");
  }
  return absl::OkStatus();
}

absl::Status CheckCrlIssuedBy(const X509_CRL* crl, const X509* issuer,
                              EVP_PKEY* issuer_key, std::string_view what) {
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) !=
      0) {
    return Failure(
        VerifyFailure::kCrlInvalid,
        StrCat(what, ": issued by '", OneLine(X509_CRL_get_issuer(crl)),
               "', expected '", OneLine(X509_get_subject_name(issuer)), "'"));
  }
  int rc = X509_CRL_verify(const_cast<X509_CRL*>(crl), issuer_key);  // NOLINT
  crypto::ClearOpenSslErrors();
  if (rc != 1) {
    return Failure(VerifyFailure::kCrlInvalid,
                   StrCat(what, ": signature does not verify with the key of '",
                          OneLine(X509_get_subject_name(issuer)), "'"));
  }
  return absl::OkStatus();
}

bool IsRevoked(const X509_CRL* crl, const X509* cert) {
  X509_REVOKED* entry = nullptr;
  // Looks up by serial only: the caller has checked that the CRL's issuer is
  // the certificate's issuer. Thread-safe (OpenSSL sorts under a lock).
  int rc = X509_CRL_get0_by_serial(
      const_cast<X509_CRL*>(crl), &entry,                        // NOLINT
      const_cast<ASN1_INTEGER*>(X509_get0_serialNumber(cert)));  // NOLINT
  crypto::ClearOpenSslErrors();
  return rc == 1;
}

absl::StatusOr<crypto::Sha256Digest> DerFingerprint(const X509* cert) {
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  if (len <= 0 || der == nullptr) {
    return crypto::OpenSslError("i2d_X509");
  }
  crypto::Sha256Digest fp = crypto::Sha256({der, static_cast<size_t>(len)});
  OPENSSL_free(der);
  return fp;
}

absl::StatusOr<std::vector<std::string_view>> SplitPemChain(
    std::string_view pem, std::string_view field) {
  absl::StatusOr<std::vector<std::string_view>> bodies =
      crypto::SplitPemCertificates(pem, collateral::kMaxChainCerts);
  if (!bodies.ok()) {
    return Failure(VerifyFailure::kQuoteMalformed,
                   StrCat(field, ": ", ToStd(bodies.status().message())));
  }
  return bodies;
}

absl::StatusOr<std::vector<uint8_t>> DecodePemBody(std::string_view body,
                                                   size_t index,
                                                   std::string_view field) {
  absl::StatusOr<std::vector<uint8_t>> der = crypto::DecodePemBody(body, index);
  if (!der.ok()) {
    return Failure(VerifyFailure::kQuoteMalformed,
                   StrCat(field, ": ", ToStd(der.status().message())));
  }
  return der;
}

absl::StatusOr<crypto::X509Ptr> ParseDer(std::span<const uint8_t> der,
                                         std::string_view field) {
  absl::StatusOr<crypto::X509Ptr> cert = crypto::ParseCertificateDer(der);
  if (!cert.ok()) {
    return Failure(VerifyFailure::kQuoteMalformed,
                   StrCat(field, ": certificate ",
                          ToStd(cert.status().message())));
  }
  return cert;
}

std::vector<uint8_t> DerOf(const X509* cert) {
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  if (len <= 0 || der == nullptr) {
    crypto::ClearOpenSslErrors();
    return {};
  }
  std::vector<uint8_t> out(der, der + len);
  OPENSSL_free(der);
  return out;
}

std::shared_ptr<const VerifiedLeaf> QuoteMemo::FindLeaf(
    const crypto::Sha256Digest& der_sha256) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = leaves_.find(der_sha256);
  return it == leaves_.end() ? nullptr : it->second;
}

void QuoteMemo::AddLeaf(const crypto::Sha256Digest& der_sha256,
                        std::shared_ptr<const VerifiedLeaf> leaf) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (leaves_.size() >= kMaxEntries) {
    leaves_.clear();
  }
  leaves_.emplace(der_sha256, std::move(leaf));
}

std::shared_ptr<EVP_PKEY> QuoteMemo::FindKey(
    const std::array<uint8_t, 64>& raw) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = keys_.find(raw);
  return it == keys_.end() ? nullptr : it->second;
}

void QuoteMemo::AddKey(const std::array<uint8_t, 64>& raw,
                       std::shared_ptr<EVP_PKEY> key) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (keys_.size() >= kMaxEntries) {
    keys_.clear();
  }
  keys_.emplace(raw, std::move(key));
}

crypto::X509Ptr UpRef(X509* cert) {
  X509_up_ref(cert);
  return crypto::X509Ptr(cert);
}

crypto::X509CrlPtr UpRef(X509_CRL* crl) {
  X509_CRL_up_ref(crl);
  return crypto::X509CrlPtr(crl);
}

}  // namespace mra::sgx::internal

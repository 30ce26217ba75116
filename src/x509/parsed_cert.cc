#include "mra/x509/parsed_cert.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include <array>
#include <ctime>
#include <set>
#include <utility>

#include "src/x509/internal/evidence_codec.h"
#include "src/x509/internal/oids.h"
#include <openssl/asn1.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "mra/base/clock.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/base/verify_failure.h"
#include "mra/crypto/certificate.h"
#include "mra/crypto/openssl_ptr.h"

namespace mra::x509 {
namespace {

using crypto::ClearOpenSslErrors;

// Longest CommonName we copy out (RFC 5280 allows 64 characters; UTF-8 may
// take up to 4 bytes each).
constexpr size_t kMaxCommonNameBytes = 256;

absl::Status Malformed(std::string_view what) {
  return VerifyError(VerifyFailure::kCertificateMalformed,
                     StrCat("certificate: ", what));
}

std::string_view AsText(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// OpenSslFree releases memory OpenSSL allocated for us.
struct OpenSslFree {
  void operator()(void* p) const { OPENSSL_free(p); }
};
template <typename T>
using OpenSslBuf = std::unique_ptr<T, OpenSslFree>;

absl::StatusOr<std::vector<uint8_t>> PemToDer(std::string_view text) {
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  if (!text.starts_with(kBegin)) {
    return Malformed("PEM block is not a 'CERTIFICATE'");
  }
  if (!text.ends_with(kEnd)) {
    return Malformed(
        "PEM: expected the text to end with '-----END CERTIFICATE-----'");
  }
  if (text.find("-----BEGIN", 1) != std::string_view::npos) {
    return Malformed("PEM: more than one PEM block; give only the leaf");
  }
  crypto::BioPtr bio(
      BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (bio == nullptr) {
    return crypto::OpenSslError("BIO_new_mem_buf");
  }
  char* raw_name = nullptr;
  char* raw_header = nullptr;
  unsigned char* raw_data = nullptr;
  long len = 0;  // NOLINT(google-runtime-int): OpenSSL's type.
  int ok = PEM_read_bio(bio.get(), &raw_name, &raw_header, &raw_data, &len);
  OpenSslBuf<char> name(raw_name);
  OpenSslBuf<char> header(raw_header);
  OpenSslBuf<unsigned char> data(raw_data);
  if (ok != 1 || name == nullptr || data == nullptr || len <= 0) {
    ClearOpenSslErrors();
    return Malformed("PEM: the base64 body does not decode");
  }
  if (std::string_view(name.get()) != "CERTIFICATE") {
    return Malformed("PEM block is not a 'CERTIFICATE'");
  }
  if (header != nullptr && header.get()[0] != '\0') {
    return Malformed("PEM: unexpected headers (encrypted PEM?)");
  }
  auto der_len = static_cast<size_t>(len);
  if (der_len > kMaxCertificateDerLen) {
    return Malformed(
        StrCat("DER is ", der_len, " bytes, limit ", kMaxCertificateDerLen));
  }
  std::span<const uint8_t> der(data.get(), der_len);
  return std::vector<uint8_t>(der.begin(), der.end());
}

absl::StatusOr<absl::Time> ToTime(const ASN1_TIME* t, std::string_view field) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    ClearOpenSslErrors();
    return Malformed(StrCat(field, " is not a valid time"));
  }
  absl::CivilSecond civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                          tm.tm_hour, tm.tm_min, tm.tm_sec);
  return absl::FromCivil(civil, absl::UTCTimeZone());
}

std::string OidText(const ASN1_OBJECT* obj) {
  std::array<char, 128> buf{};
  int n = OBJ_obj2txt(buf.data(), static_cast<int>(buf.size()), obj,
                      /*no_name=*/1);
  if (n <= 0) {
    ClearOpenSslErrors();
    return "(unprintable OID)";
  }
  return std::string(buf.data(),
                     std::min(static_cast<size_t>(n), buf.size() - 1));
}

std::span<const uint8_t> OidBytes(const ASN1_OBJECT* obj) {
  const unsigned char* data = OBJ_get0_data(obj);
  size_t len = OBJ_length(obj);
  if (data == nullptr) {
    return {};
  }
  return {data, len};
}

// Standard extensions whose criticality we may accept: they either do not
// change how we treat the leaf, or OpenSSL parses them (EXFLAG_INVALID).
bool IsKnownExtension(int nid) {
  switch (nid) {
    case NID_basic_constraints:
    case NID_key_usage:
    case NID_ext_key_usage:
    case NID_subject_alt_name:
    case NID_subject_key_identifier:
    case NID_authority_key_identifier:
      return true;
    default:
      return false;
  }
}

struct EvidenceExtension {
  EvidenceFormat format;
  std::span<const uint8_t> value;  // Views the X509's extension data.
};

absl::StatusOr<EvidenceExtension> FindEvidence(const X509* x) {
  std::set<std::string, std::less<>> seen;
  std::vector<EvidenceExtension> evidence;
  const int num_ext = X509_get_ext_count(x);
  for (int i = 0; i < num_ext; ++i) {
    X509_EXTENSION* ext = X509_get_ext(x, i);
    const ASN1_OBJECT* obj =
        ext == nullptr ? nullptr : X509_EXTENSION_get_object(ext);
    std::span<const uint8_t> oid =
        obj == nullptr ? std::span<const uint8_t>() : OidBytes(obj);
    if (oid.empty()) {
      return Malformed(StrCat("extension ", i, " has no OID"));
    }
    std::optional<EvidenceFormat> format = internal::EvidenceFormatOfOid(oid);
    if (!seen.emplace(AsText(oid)).second && !format.has_value()) {
      return Malformed(
          StrCat("extension ", OidText(obj), " appears more than once"));
    }
    if (format.has_value()) {
      const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(ext);
      std::span<const uint8_t> value;
      if (data != nullptr && ASN1_STRING_length(data) > 0) {
        value = {ASN1_STRING_get0_data(data),
                 static_cast<size_t>(ASN1_STRING_length(data))};
      }
      evidence.push_back({*format, value});
      continue;
    }
    if (X509_EXTENSION_get_critical(ext) != 0 &&
        !IsKnownExtension(OBJ_obj2nid(obj))) {
      return VerifyError(VerifyFailure::kUnknownCriticalExtension,
                         StrCat("certificate: critical extension ",
                                OidText(obj), " is not understood"));
    }
  }
  if (evidence.empty()) {
    return VerifyError(VerifyFailure::kEvidenceMissing,
                       "certificate: no evidence extension (2.23.133.5.4.9 "
                       "or Gramine's legacy quote OID)");
  }
  if (evidence.size() > 1) {
    return VerifyError(VerifyFailure::kEvidenceDuplicate,
                       StrCat("certificate: ", evidence.size(),
                              " evidence extensions; exactly one is allowed"));
  }
  // Computes and caches OpenSSL's view of the standard extensions.
  if ((X509_get_extension_flags(const_cast<X509*>(x)) & EXFLAG_INVALID) != 0) {
    ClearOpenSslErrors();
    return Malformed("a standard extension is malformed or repeated");
  }
  return evidence.front();
}

std::vector<uint8_t> HashSpki(uint64_t alg, std::span<const uint8_t> spki) {
  const EVP_MD* md = alg == kHashAlgSha384   ? EVP_sha384()
                     : alg == kHashAlgSha512 ? EVP_sha512()
                                             : EVP_sha256();
  std::vector<uint8_t> out(static_cast<size_t>(EVP_MD_get_size(md)));
  unsigned int len = 0;
  MRA_CHECK(
      EVP_Digest(spki.data(), spki.size(), out.data(), &len, md, nullptr) == 1);
  MRA_CHECK(len == out.size());
  return out;
}

absl::Status DecodeEvidence(const EvidenceExtension& ext,
                            ParsedAttestedCert* out) {
  out->format = ext.format;
  if (ext.format == EvidenceFormat::kGramineLegacy) {
    if (ext.value.empty() || ext.value.size() > kMaxQuoteLen) {
      return Malformed(StrCat("legacy evidence quote is ", ext.value.size(),
                              " bytes; expected 1..", kMaxQuoteLen));
    }
    out->quote.assign(ext.value.begin(), ext.value.end());
    out->expected_report_data = ReportDataForSpki(out->spki_der);
    return absl::OkStatus();
  }
  MRA_ASSIGN_OR_RETURN(internal::TaggedEvidence evidence,
                       internal::DecodeTaggedEvidence(ext.value));
  MRA_ASSIGN_OR_RETURN(internal::PubkeyHash pubkey_hash,
                       internal::DecodePubkeyHashClaim(evidence.claims));
  std::vector<uint8_t> want = HashSpki(pubkey_hash.hash_alg, out->spki_der);
  if (want != pubkey_hash.hash) {
    return VerifyError(VerifyFailure::kKeyBindingMismatch,
                       "certificate: the evidence's pubkey-hash claim is not "
                       "the hash of this certificate's public key");
  }
  out->quote.assign(evidence.quote.begin(), evidence.quote.end());
  out->claims.assign(evidence.claims.begin(), evidence.claims.end());
  out->expected_report_data = ReportDataForClaims(out->claims);
  return absl::OkStatus();
}

absl::StatusOr<std::string> CommonName(const X509* x) {
  const X509_NAME* subject = X509_get_subject_name(x);
  int idx = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (idx < 0) {
    return std::string();
  }
  const X509_NAME_ENTRY* entry = X509_NAME_get_entry(subject, idx);
  const ASN1_STRING* value =
      entry == nullptr
          ? nullptr
          : X509_NAME_ENTRY_get_data(const_cast<X509_NAME_ENTRY*>(entry));
  unsigned char* raw = nullptr;
  int len = value == nullptr ? -1 : ASN1_STRING_to_UTF8(&raw, value);
  OpenSslBuf<unsigned char> utf8(raw);
  if (len < 0 || static_cast<size_t>(len) > kMaxCommonNameBytes) {
    ClearOpenSslErrors();
    return Malformed(
        "subject CommonName is not valid text of at most 256 "
        "bytes");
  }
  return std::string(AsText({utf8.get(), static_cast<size_t>(len)}));
}

absl::StatusOr<ParsedAttestedCert> ParseDer(std::vector<uint8_t> der,
                                            absl::Time now) {
  // Same parser as the DCAP verifier: the public key is not run through
  // OpenSSL's generic decoders, CertificatePublicKey builds it below.
  absl::StatusOr<crypto::X509Ptr> cert = crypto::ParseCertificateDer(der);
  if (!cert.ok()) {
    return Malformed(ToStd(cert.status().message()));
  }
  X509* x = cert->get();
  ParsedAttestedCert out;
  out.cert_sha256 = crypto::Sha256(der);

  // 1. Structure.
  if (X509_get_version(x) != X509_VERSION_3) {
    return Malformed("not an X.509 v3 certificate");
  }
  if (X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(x)) != 0) {
    return Malformed(
        "issuer differs from subject; attested certificates are self-signed");
  }
  MRA_ASSIGN_OR_RETURN(out.subject_common_name, CommonName(x));
  absl::StatusOr<crypto::EvpPkeyPtr> pkey = crypto::CertificatePublicKey(x);
  if (!pkey.ok()) {
    return Malformed(
        StrCat("subject public key: ", ToStd(pkey.status().message())));
  }
  absl::StatusOr<crypto::PublicKey> key =
      crypto::PublicKey::FromPkey(*std::move(pkey));
  if (!key.ok()) {
    ClearOpenSslErrors();
    return Malformed(
        StrCat("subject public key: ", ToStd(key.status().message())));
  }
  out.key_type = key->type();
  int spki_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), nullptr);
  if (spki_len <= 0) {
    return crypto::OpenSslError("i2d_X509_PUBKEY");
  }
  out.spki_der.resize(static_cast<size_t>(spki_len));
  unsigned char* spki_out = out.spki_der.data();
  if (i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki_out) != spki_len) {
    return crypto::OpenSslError("i2d_X509_PUBKEY");
  }
  out.spki_sha256 = crypto::Sha256(out.spki_der);

  // 2-4. Extensions, evidence, key binding.
  MRA_ASSIGN_OR_RETURN(EvidenceExtension ext, FindEvidence(x));
  MRA_RETURN_IF_ERROR(DecodeEvidence(ext, &out));

  // 5. Validity.
  MRA_ASSIGN_OR_RETURN(out.not_before,
                       ToTime(X509_get0_notBefore(x), "notBefore"));
  MRA_ASSIGN_OR_RETURN(out.not_after,
                       ToTime(X509_get0_notAfter(x), "notAfter"));
  if (out.not_after < out.not_before) {
    return Malformed("notAfter is before notBefore");
  }
  if (now < out.not_before) {
    return VerifyError(VerifyFailure::kCertExpired,
                       StrCat("certificate: not valid before ",
                              FormatRfc3339Utc(out.not_before), " (now ",
                              FormatRfc3339Utc(now), ")"));
  }
  if (now > out.not_after) {
    return VerifyError(
        VerifyFailure::kCertExpired,
        StrCat("certificate: expired at ", FormatRfc3339Utc(out.not_after),
               " (now ", FormatRfc3339Utc(now), ")"));
  }

  // 6. Self-signature.
  if (X509_verify(x, key->pkey()) != 1) {
    ClearOpenSslErrors();
    return VerifyError(VerifyFailure::kCertChainInvalid,
                       "certificate: the self-signature does not verify under "
                       "the certificate's own public key");
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> CertificateToDer(
    std::span<const uint8_t> pem_or_der) {
  std::string_view text = TrimAsciiWhitespace(AsText(pem_or_der));
  if (text.starts_with("-----BEGIN ")) {
    if (pem_or_der.size() > kMaxCertificatePemLen) {
      return Malformed(StrCat("PEM is ", pem_or_der.size(), " bytes, limit ",
                              kMaxCertificatePemLen));
    }
    return PemToDer(text);
  }
  if (pem_or_der.empty()) {
    return Malformed("empty input");
  }
  if (pem_or_der.front() != 0x30) {
    return Malformed(
        "neither a PEM certificate ('-----BEGIN CERTIFICATE-----') nor DER");
  }
  if (pem_or_der.size() > kMaxCertificateDerLen) {
    return Malformed(StrCat("DER is ", pem_or_der.size(), " bytes, limit ",
                            kMaxCertificateDerLen));
  }
  return std::vector<uint8_t>(pem_or_der.begin(), pem_or_der.end());
}

absl::StatusOr<ParsedAttestedCert> ParseAttestedCertificate(
    std::span<const uint8_t> pem_or_der, absl::Time now) {
  MRA_ASSIGN_OR_RETURN(std::vector<uint8_t> der, CertificateToDer(pem_or_der));
  return ParseDer(std::move(der), now);
}

absl::StatusOr<ParsedAttestedCert> ParseAttestedCertificate(
    std::string_view pem_or_der, absl::Time now) {
  return ParseAttestedCertificate(crypto::AsBytes(pem_or_der), now);
}

}  // namespace mra::x509

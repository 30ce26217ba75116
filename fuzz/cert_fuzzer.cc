// Fuzzes attested-certificate parsing (PEM and DER, X.509 extensions, the
// CBOR evidence and claims): it must never crash, hang or throw; every
// refusal is one of the certificate verdicts; every accepted certificate
// satisfies the invariants ParseAttestedCertificate promises.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "mra/base/verify_failure.h"
#include "mra/crypto/digest.h"
#include "mra/x509/evidence_format.h"
#include "mra/x509/parsed_cert.h"

namespace {

bool IsCertificateVerdict(mra::VerifyFailure f) {
  using F = mra::VerifyFailure;
  switch (f) {
    case F::kCertificateMalformed:
    case F::kEvidenceMissing:
    case F::kEvidenceDuplicate:
    case F::kUnknownCriticalExtension:
    case F::kKeyBindingMismatch:
    case F::kCertExpired:
    case F::kCertChainInvalid:
      return true;
    default:
      return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> input(data, size);
  // Seeds are generated valid over 2025..2035.
  const absl::Time now = absl::FromUnixSeconds(1893456000);  // 2030-01-01.
  absl::StatusOr<mra::x509::ParsedAttestedCert> cert =
      mra::x509::ParseAttestedCertificate(input, now);
  if (!cert.ok()) {
    std::optional<mra::VerifyFailure> f = mra::GetVerifyFailure(cert.status());
    if (!f.has_value() || !IsCertificateVerdict(*f)) {
      __builtin_trap();
    }
    return 0;
  }
  if (cert->quote.empty() || cert->quote.size() > mra::x509::kMaxQuoteLen) {
    __builtin_trap();
  }
  if (cert->spki_sha256 != mra::crypto::Sha256(cert->spki_der)) {
    __builtin_trap();
  }
  if (cert->not_before > now || now > cert->not_after) {
    __builtin_trap();
  }
  mra::x509::ReportData want =
      cert->format == mra::x509::EvidenceFormat::kGramineLegacy
          ? mra::x509::ReportDataForSpki(cert->spki_der)
          : mra::x509::ReportDataForClaims(cert->claims);
  if (want != cert->expected_report_data) {
    __builtin_trap();
  }
  // The DER is what was hashed: re-deriving it must agree.
  absl::StatusOr<std::vector<uint8_t>> der = mra::x509::CertificateToDer(input);
  if (!der.ok() || mra::crypto::Sha256(*der) != cert->cert_sha256) {
    __builtin_trap();
  }
  return 0;
}

#include "mra/x509/attested_cert.h"

#include "src/x509/internal/cert_builder.h"
#include "src/x509/internal/evidence_codec.h"

#include "mra/base/status.h"
#include "mra/base/strings.h"

namespace mra::x509 {
namespace {

// X.509 upper bound for a CommonName (RFC 5280 ub-common-name).
constexpr size_t kMaxCommonNameLen = 64;

absl::Status CheckOptions(const AttestedCertOptions& options) {
  if (options.key_type != crypto::KeyType::kEcdsaP256 &&
      options.key_type != crypto::KeyType::kEcdsaP384) {
    return absl::InvalidArgumentError(
        "attested certificate key type must be ECDSA P-256 or P-384");
  }
  if (options.validity <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("certificate validity must be positive");
  }
  if (options.not_before_skew < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("not_before skew must not be negative");
  }
  if (options.common_name.empty() ||
      options.common_name.size() > kMaxCommonNameLen) {
    return absl::InvalidArgumentError(
        StrCat("common name must be 1..", kMaxCommonNameLen, " bytes"));
  }
  if (options.clock == nullptr) {
    return absl::InvalidArgumentError("clock must not be null");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CleansedString> AttestedCredentials::PrivateKeyPem() const {
  MRA_ASSIGN_OR_RETURN(SecretBytes pem, key.ToPkcs8Pem());
  return CleansedString(pem);
}

absl::StatusOr<AttestedCredentials> CreateAttestedCertificate(
    attest::Attester& attester, const AttestedCertOptions& options) {
  MRA_RETURN_IF_ERROR(CheckOptions(options));
  MRA_ASSIGN_OR_RETURN(crypto::PrivateKey key,
                       crypto::PrivateKey::Generate(options.key_type));
  const std::vector<uint8_t>& spki = key.public_key().SpkiDer();

  std::vector<uint8_t> claims;
  ReportData report_data{};
  if (options.format == EvidenceFormat::kTcgDiceTaggedEvidence) {
    claims = internal::EncodeClaims(crypto::Sha256(spki));
    report_data = ReportDataForClaims(claims);
  } else {
    report_data = ReportDataForSpki(spki);
  }
  MRA_ASSIGN_OR_RETURN(std::vector<uint8_t> quote, attester.Quote(report_data));
  if (quote.empty() || quote.size() > kMaxQuoteLen) {
    return absl::InternalError(
        StrCat("attester '", attester.Kind(), "' returned a ", quote.size(),
               "-byte quote; expected 1..", kMaxQuoteLen));
  }

  internal::ExtensionSpec evidence;
  evidence.critical = options.critical_evidence;
  if (options.format == EvidenceFormat::kTcgDiceTaggedEvidence) {
    evidence.oid = std::string(kTcgDiceTaggedEvidenceOid);
    evidence.value = internal::EncodeTaggedEvidence(quote, claims);
  } else {
    // Gramine's wire spelling, so Gramine verifiers find it.
    evidence.oid = std::string(kGramineLegacyQuoteWireOid);
    evidence.value = std::move(quote);
  }

  const absl::Time now = options.clock->Now();
  internal::CertSpec spec;
  spec.common_name = options.common_name;
  // Whole seconds: X.509 times carry no fractions.
  spec.not_before =
      absl::FromUnixSeconds(absl::ToUnixSeconds(now - options.not_before_skew));
  spec.not_after =
      absl::FromUnixSeconds(absl::ToUnixSeconds(now + options.validity));
  spec.extensions.push_back(std::move(evidence));
  MRA_ASSIGN_OR_RETURN(std::vector<uint8_t> der,
                       internal::BuildCertificate(key.public_key(), key, spec));

  std::string pem = internal::DerToPem(der);
  crypto::Sha256Digest sha256 = crypto::Sha256(der);
  return AttestedCredentials{.key = std::move(key),
                             .cert_der = std::move(der),
                             .cert_pem = std::move(pem),
                             .cert_sha256 = sha256,
                             .not_before = spec.not_before,
                             .not_after = spec.not_after};
}

}  // namespace mra::x509

// Copyright The mra Authors.
//
// File: mra/x509/parsed_cert.h
// -----------------------------------------------------------------------------
// ParseAttestedCertificate turns an untrusted peer certificate (PEM or DER)
// into the evidence it carries, after the checks that need nothing but the
// certificate itself. Appraising the quote (is it genuine? whose enclave?) is
// the EvidenceAppraiser's job (mra/x509/evidence_appraiser.h), and matching
// the result against the manifest the AttestedPeerVerifier's.

#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "mra/crypto/digest.h"
#include "mra/crypto/keys.h"
#include "mra/x509/evidence_format.h"

namespace mra::x509 {

// ParsedAttestedCert is what a certificate that passed
// ParseAttestedCertificate says about itself.
struct ParsedAttestedCert {
  EvidenceFormat format = EvidenceFormat::kTcgDiceTaggedEvidence;
  std::vector<uint8_t> quote;   // The evidence (an SGX/TDX DCAP quote).
  std::vector<uint8_t> claims;  // CBOR claims; empty for kGramineLegacy.
  // The REPORTDATA the quote must carry for the evidence to be bound to this
  // certificate's key (see evidence_format.h).
  ReportData expected_report_data{};
  std::vector<uint8_t> spki_der;  // SubjectPublicKeyInfo, as in the cert.
  crypto::Sha256Digest spki_sha256{};
  crypto::Sha256Digest cert_sha256{};  // SHA-256 of the certificate DER.
  crypto::KeyType key_type = crypto::KeyType::kEcdsaP256;
  std::string subject_common_name;  // Informational; empty when absent.
  absl::Time not_before;
  absl::Time not_after;
};

// CertificateToDer returns the DER certificate in `pem_or_der`. Input that
// starts (after ASCII whitespace) with "-----BEGIN " must be exactly one
// "CERTIFICATE" PEM block without headers, surrounded by nothing but
// whitespace; anything else must be one DER certificate consumed exactly.
// @return kCertificateMalformed naming the problem; sizes are bounded by
//         kMaxCertificatePemLen / kMaxCertificateDerLen.
absl::StatusOr<std::vector<uint8_t>> CertificateToDer(
    std::span<const uint8_t> pem_or_der);

// ParseAttestedCertificate applies, in order (each failure is a verdict):
//   1. decoding as in CertificateToDer; X.509 v3; issuer == subject; a
//      supported subject key (RSA >= 2048, ECDSA P-256/P-384, Ed25519)
//      -> kCertificateMalformed
//   2. extensions: an unknown critical extension -> kUnknownCriticalExtension;
//      the same non-evidence extension twice, or a standard extension that
//      does not parse -> kCertificateMalformed; no evidence extension ->
//      kEvidenceMissing; more than one (same or different format) ->
//      kEvidenceDuplicate
//   3. evidence decoding (bounded CBOR, see evidence_format.h)
//      -> kCertificateMalformed naming the field
//   4. key binding: the claims' pubkey-hash equals H(SPKI)
//      -> kKeyBindingMismatch
//   5. validity: notBefore <= now <= notAfter -> kCertExpired
//   6. the self-signature verifies under the certificate's own key
//      -> kCertChainInvalid
// Step 4 covers only the claims; that the quote's REPORTDATA equals
// expected_report_data is checked after appraisal by AttestedPeerVerifier.
// Never crashes or throws on any input. Thread-safe.
absl::StatusOr<ParsedAttestedCert> ParseAttestedCertificate(
    std::span<const uint8_t> pem_or_der, absl::Time now);
absl::StatusOr<ParsedAttestedCert> ParseAttestedCertificate(
    std::string_view pem_or_der, absl::Time now);

}  // namespace mra::x509

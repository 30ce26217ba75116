// Copyright The mra Authors.
//
// File: mra/x509/attested_cert.h
// -----------------------------------------------------------------------------
// CreateAttestedCertificate makes the identity a service presents in attested
// TLS: a fresh key pair and a short-lived self-signed X.509 v3 certificate
// whose evidence extension carries a quote binding that key (see
// mra/x509/evidence_format.h for the exact layout and binding):
//
//   spki        = DER SubjectPublicKeyInfo of the fresh key
//   claims      = CBOR {"pubkey-hash": bstr(CBOR [1, SHA-256(spki)])}
//   report data = SHA-256(claims) || 32 zero bytes      -> Attester::Quote
//   extension   = 2.23.133.5.4.9: CBOR 60000([bstr quote, bstr claims])
//
// With EvidenceFormat::kGramineLegacy the report data is
// SHA-256(spki) || 32 zero bytes and the raw quote is the extension value.

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "mra/attest/attester.h"
#include "mra/base/clock.h"
#include "mra/crypto/keys.h"
#include "mra/x509/cleansed_string.h"
#include "mra/x509/evidence_format.h"

namespace mra::x509 {

// Default AttestedCertOptions::not_before_skew.
inline constexpr absl::Duration kDefaultNotBeforeSkew = absl::Minutes(5);

// AttestedCertOptions configures CreateAttestedCertificate.
struct AttestedCertOptions {
  // kEcdsaP256 or kEcdsaP384; other key types are refused.
  crypto::KeyType key_type = crypto::KeyType::kEcdsaP256;
  // The certificate is valid from now - not_before_skew (tolerates peers
  // whose clocks run slightly behind) to now + validity. Keep it short: the
  // certificate is re-created (and re-quoted) when it nears expiry.
  absl::Duration validity = absl::Hours(1);
  absl::Duration not_before_skew = kDefaultNotBeforeSkew;
  // Subject and issuer CN, usually the service name. Informational only:
  // peers identify the service through the manifest, never through the CN.
  std::string common_name = "mra";
  EvidenceFormat format = EvidenceFormat::kTcgDiceTaggedEvidence;
  // Mark the evidence extension critical. The TCG DICE draft recommends it,
  // but a generic TLS stack that runs path validation then rejects the
  // certificate (unhandled critical extension); our verifier requires the
  // extension either way.
  bool critical_evidence = false;
  // Source of "now". Must outlive the call.
  const Clock* clock = &Clock::Real();
};

// AttestedCredentials is a key pair and its attested certificate. The
// private key never leaves the EVP_PKEY except through PrivateKeyPem().
struct AttestedCredentials {
  crypto::PrivateKey key;
  std::vector<uint8_t> cert_der;
  std::string cert_pem;
  crypto::Sha256Digest cert_sha256{};  // SHA-256 of cert_der.
  absl::Time not_before;
  absl::Time not_after;

  // PrivateKeyPem returns the unencrypted PKCS#8 PEM for APIs that need the
  // key as text (gRPC identity pairs), wiped when the result is destroyed.
  // @return kInternal when OpenSSL cannot serialise the key.
  absl::StatusOr<CleansedString> PrivateKeyPem() const;
};

// CreateAttestedCertificate generates a key of options.key_type, asks
// `attester` for a quote over the report data described in the file comment,
// and returns the self-signed certificate that carries it.
// Thread-safety: safe to call concurrently if `attester` is.
// @return kInvalidArgument for bad options (key type, non-positive validity,
//         negative skew, empty or over-long common name), the attester's
//         status when it cannot quote (kUnavailable, kInternal), kInternal
//         when the attester returns no quote or one over kMaxQuoteLen bytes
//         or OpenSSL fails.
absl::StatusOr<AttestedCredentials> CreateAttestedCertificate(
    attest::Attester& attester, const AttestedCertOptions& options = {});

}  // namespace mra::x509

// Copyright The mra Authors.
//
// File: src/x509/internal/cert_builder.h
// -----------------------------------------------------------------------------
// BuildCertificate assembles and signs an X.509 v3 certificate with arbitrary
// extra extensions. CreateAttestedCertificate uses it; tests, the fuzz corpus
// generator and attack tests use it to build deliberately wrong certificates
// (two evidence extensions, unknown critical extensions, foreign signatures).

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "mra/crypto/keys.h"

namespace mra::x509::internal {

// ExtensionSpec is one extension: dotted OID, criticality, and the bytes
// inside its extnValue OCTET STRING.
struct ExtensionSpec {
  std::string oid;
  bool critical = false;
  std::vector<uint8_t> value;
};

struct CertSpec {
  std::string common_name;
  absl::Time not_before;
  absl::Time not_after;
  // basicConstraints (critical, CA:FALSE), keyUsage (critical,
  // digitalSignature) and extKeyUsage (serverAuth, clientAuth).
  bool standard_extensions = true;
  std::vector<ExtensionSpec> extensions;  // Appended in order.
};

// BuildCertificate returns the DER of a certificate for `subject_key`, with
// issuer = subject = CN=spec.common_name, a random 128-bit serial, signed by
// `signing_key` (the subject's own key for a self-signed certificate) with the
// digest matching its type (SHA-256 for P-256/RSA, SHA-384 for P-384).
absl::StatusOr<std::vector<uint8_t>> BuildCertificate(
    const crypto::PublicKey& subject_key, const crypto::PrivateKey& signing_key,
    const CertSpec& spec);

// DerToPem wraps certificate DER as a "CERTIFICATE" PEM block.
std::string DerToPem(std::span<const uint8_t> der);

}  // namespace mra::x509::internal

// Copyright The mra Authors.
//
// File: src/attest/internal/cert_builder.h
// -----------------------------------------------------------------------------
// Issues the development PKI (X.509 certificates and CRLs) with OpenSSL 3,
// shaped like Intel's SGX PKI: P-256 keys, ECDSA-SHA256 signatures, 20-byte
// random serials, AKI / CRL distribution point / SKI / key usage / basic
// constraints extensions, CRL v2 with CRL number and AKI.

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/attest/internal/der_writer.h"

#include "mra/crypto/openssl_ptr.h"

namespace mra::attest::internal {

enum class CertRole {
  kRootCa,          // Self-signed, CA:TRUE pathlen:1, keyCertSign+cRLSign.
  kIntermediateCa,  // CA:TRUE pathlen:0, keyCertSign+cRLSign.
  kSigner,          // CA:FALSE, digitalSignature+nonRepudiation.
};

struct CertSpec {
  CertRole role = CertRole::kSigner;
  std::string common_name;
  std::string organization;
  absl::Time not_before;
  absl::Time not_after;
  std::string crl_distribution_point;  // Empty: no CRL DP extension.
  std::optional<Der> sgx_extension;    // Value of OID 1.2.840.113741.1.13.1.
};

// IssueCert creates a certificate for `subject_key` (only its public half is
// used), signed by `issuer_key`. `issuer` is nullptr for a self-signed root
// (then `issuer_key` must be the subject's key).
absl::StatusOr<crypto::X509Ptr> IssueCert(const CertSpec& spec,
                                          EVP_PKEY* subject_key, X509* issuer,
                                          EVP_PKEY* issuer_key);

struct CrlSpec {
  absl::Time this_update;
  absl::Time next_update;
  uint64_t crl_number = 1;
};

// IssueCrl creates an empty (no revoked certificates) v2 CRL by `issuer`.
absl::StatusOr<crypto::X509CrlPtr> IssueCrl(const CrlSpec& spec, X509* issuer,
                                            EVP_PKEY* issuer_key);

// CertPem returns the PEM encoding of `cert`.
absl::StatusOr<std::string> CertPem(X509* cert);

// CrlDer returns the DER encoding of `crl`.
absl::StatusOr<std::vector<uint8_t>> CrlDer(X509_CRL* crl);

// ParseOneCertPem parses exactly one PEM certificate (kInvalidArgument
// naming `what` otherwise).
absl::StatusOr<crypto::X509Ptr> ParseOneCertPem(std::string_view pem,
                                                std::string_view what);

}  // namespace mra::attest::internal

// Copyright The mra Authors.
//
// File: mra/crypto/certificate.h
// -----------------------------------------------------------------------------
// X.509 parsing for verification hot paths. OpenSSL 3.0's d2i_X509 decodes
// the subject public key eagerly through its provider decoder framework,
// which costs ~90 µs per certificate (decoder enumeration and locking), most
// of the time a cold DCAP verification spends outside ECDSA. Certificates
// parsed here skip that step: X509_get0_pubkey() returns null for them, and
// CertificatePublicKey() builds the key from the raw SubjectPublicKeyInfo
// (EVP_PKEY_fromdata for EC named curves, ~17 µs). Everything else
// (X509_verify, names, extensions, times, X509_check_ca) works as usual.

#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "mra/crypto/openssl_ptr.h"

namespace mra::crypto {

// SplitPemCertificates returns the base64 bodies (views into `pem`) of
// 1..max_certs concatenated "CERTIFICATE" PEM blocks, without decoding them,
// so that callers can recognise a known certificate by its text. Only
// whitespace and NULs may surround the blocks (quotes carry a NUL-terminated
// chain). kInvalidArgument with a message that names the problem otherwise.
absl::StatusOr<std::vector<std::string_view>> SplitPemCertificates(
    std::string_view pem, size_t max_certs);

// DecodePemBody decodes one body from SplitPemCertificates strictly (PEM
// headers and anything but base64 and whitespace are refused); `index`
// names it in the error ("certificate N is not valid base64").
absl::StatusOr<std::vector<uint8_t>> DecodePemBody(std::string_view body,
                                                   size_t index);

// PemBodyIs reports whether `body` equals `base64` (one line, as
// Base64Encode writes it) once line breaks, spaces and tabs are skipped: then
// it decodes to the same bytes, and a known certificate need not be decoded.
// False when `base64` is empty.
bool PemBodyIs(std::string_view body, std::string_view base64);

// Base64Encode is `bytes` in one line of standard, padded base64.
std::string Base64Encode(std::span<const uint8_t> bytes);

// ParseCertificateDer parses one DER certificate that must consume `der`
// exactly, without decoding its public key. kInvalidArgument otherwise, with
// a message to follow "certificate ": "does not decode as DER" or "has N
// bytes after its DER".
absl::StatusOr<X509Ptr> ParseCertificateDer(std::span<const uint8_t> der);

// CertificatePublicKey returns the certificate's public key: the decoded one
// when OpenSSL has it, else one built from the SubjectPublicKeyInfo (fast for
// EC P-256 / P-384 named curves; any other algorithm goes through OpenSSL's
// generic decoder). kInvalidArgument when the key does not decode or an EC
// point is not on its curve.
absl::StatusOr<EvpPkeyPtr> CertificatePublicKey(const X509* cert);

// EcPublicKeyFromPoint builds an EC public key on the named `group` (OpenSSL
// name, e.g. "prime256v1") from an encoded point (0x04 || x || y). Fails when
// the point is not on the curve.
absl::StatusOr<EvpPkeyPtr> EcPublicKeyFromPoint(const char* group,
                                                std::span<const uint8_t> point);

}  // namespace mra::crypto

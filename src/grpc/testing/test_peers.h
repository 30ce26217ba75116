// Copyright The mra Authors.
//
// File: src/grpc/testing/test_peers.h
// -----------------------------------------------------------------------------
// Test doubles for mra/grpc (tests and benchmarks only, never services):
// OpenSSL-made certificates whose subject CN carries a test marker, and a
// PeerVerifier that maps the marker to a PeerIdentity or a refusal. They
// stand in for attested certificates and AttestedPeerVerifier.
//
// Markers (the CN):  "svc:<name>"  -> accepted as service <name>
//                    "deny:<name>" -> refused, PEER_NOT_ALLOWED
//                    anything else -> refused, EVIDENCE_MISSING

#pragma once

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "mra/grpc/identity.h"
#include "mra/x509/peer_identity.h"

namespace mra::grpc::testing {

// TestCertOptions shapes a test certificate.
struct TestCertOptions {
  std::string common_name = "svc:test";
  // Valid from now - not_before_skew to now + lifetime (whole seconds).
  absl::Duration lifetime = absl::Hours(1);
  absl::Duration not_before_skew = absl::Seconds(60);
  // When set, the certificate is issued by this CA (else self-signed) and
  // carries subjectAltName DNS:localhost, IP:127.0.0.1 (plain mTLS).
  const IdentityPair* issuer = nullptr;
  bool is_ca = false;
};

// MakeTestIdentity returns a fresh ECDSA P-256 key and certificate.
absl::StatusOr<IdentityPair> MakeTestIdentity(const TestCertOptions& options);

// MarkerPeerVerifier implements the marker rules above, refuses expired or
// not-yet-valid certificates (CERT_EXPIRED), an empty PEM
// (NO_PEER_CERTIFICATE) and, when an allow-list is set, services outside it
// (PEER_NOT_ALLOWED). Thread-safe.
class MarkerPeerVerifier final : public x509::PeerVerifier {
 public:
  MarkerPeerVerifier() = default;

  absl::StatusOr<x509::PeerIdentity> Verify(
      std::string_view leaf_pem) const override;
  // Recheck applies the current allow-list (SetAllowed) to a remembered
  // identity, as AttestedPeerVerifier applies the current manifest.
  absl::Status Recheck(const x509::PeerIdentity& identity) const override;
  uint64_t rechecks() const { return rechecks_.load(); }

  // SetAllowed restricts accepted services (empty set: no restriction).
  void SetAllowed(std::set<std::string> allowed);
  // SetDelay makes Verify sleep first (to exercise offloaded verification).
  void SetDelay(absl::Duration delay);

  uint64_t calls() const { return calls_.load(); }

 private:
  mutable std::mutex mu_;
  std::set<std::string> allowed_;
  absl::Duration delay_;
  mutable std::atomic<uint64_t> calls_{0};
  mutable std::atomic<uint64_t> rechecks_{0};
};

// CertSha256Hex returns hex SHA-256 of the DER of the first certificate in
// `pem`, or "" when it does not parse.
std::string CertSha256Hex(std::string_view pem);

}  // namespace mra::grpc::testing

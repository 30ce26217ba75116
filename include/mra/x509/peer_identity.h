// Copyright The mra Authors.
//
// File: mra/x509/peer_identity.h
// -----------------------------------------------------------------------------
// PeerIdentity is what a service learns about the peer at the other end of an
// attested TLS connection, after the peer's certificate, quote, appraisal
// policy, manifest lookup and access-control list all passed. PeerVerifier is
// the seam between the TLS layer (mra/grpc) and that verification pipeline.

#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mra::x509 {

struct PeerIdentity {
  std::string service;  // The manifest table name the peer matched.
  std::array<uint8_t, 32> mr_enclave{};
  std::array<uint8_t, 32> mr_signer{};
  uint16_t isv_prod_id = 0;
  uint16_t isv_svn = 0;
  std::string tcb_status;  // Intel's spelling, e.g. "UpToDate".
  // simulation is true when the quote chained to a configured development
  // root instead of Intel's. Logged loudly by every consumer.
  bool simulation = false;
  uint64_t manifest_version = 0;
  std::array<uint8_t, 32> cert_sha256{};  // SHA-256 of the leaf DER.
  // When the evidence was bound: the certificate's notBefore (unset for
  // verifiers without attested certificates).
  absl::Time evidence_time = absl::InfinitePast();
};

// PeerVerifier decides whether a TLS peer's leaf certificate is acceptable.
// Thread-safety: Verify is called concurrently from TLS handshakes.
class PeerVerifier {
 public:
  virtual ~PeerVerifier() = default;

  // Verify checks `leaf_pem` (the peer's leaf certificate, PEM). An empty
  // string means the peer sent no certificate (kNoPeerCertificate).
  // @return the peer's identity, or a Status carrying a VerifyFailure.
  [[nodiscard]] virtual absl::StatusOr<PeerIdentity> Verify(
      std::string_view leaf_pem) const = 0;

  // Recheck re-applies to `identity`, which this verifier returned at
  // handshake time, the decisions that can change while a connection stays
  // open (for AttestedPeerVerifier: the manifest in force still lists the
  // peer's measurement under the same service, has not expired, and the
  // access policy still allows it). mra/grpc calls it on every call, before
  // a client sends anything and before a handler learns its caller. It does
  // not re-judge the certificate's own validity: that was fixed at the
  // handshake (TLS semantics; servers bound connection age).
  // @return OK, or a Status carrying a VerifyFailure. Default: OK.
  [[nodiscard]] virtual absl::Status Recheck(
      const PeerIdentity& identity) const {
    (void)identity;
    return absl::OkStatus();
  }
};

}  // namespace mra::x509

// Copyright The mra Authors.
//
// File: mra/x509/peer_verifier.h
// -----------------------------------------------------------------------------
// AttestedPeerVerifier is the PeerVerifier behind attested TLS. For a peer
// leaf certificate it applies, in order:
//   1. an empty certificate -> kNoPeerCertificate; the current manifest's
//      `expires` (when it has one) is not after now -> kManifestExpired
//      (a manifest is checked when loaded, but a service may keep it for
//      longer; this is checked on every call, cached or not)
//   2. ParseAttestedCertificate (structure, exactly one evidence extension,
//      no unknown critical extension, claims bound to the key, validity,
//      self-signature; see mra/x509/parsed_cert.h); then the evidence's age:
//      the certificate's notBefore (when the quote was bound to its key) at
//      most options.max_evidence_age before now -> kCertExpired, whatever
//      notAfter the peer chose
//   3. EvidenceAppraiser::Appraise (is the quote genuine; its verdicts pass
//      through unchanged)
//   4. the quote's REPORTDATA equals the report data the certificate requires
//      -> kKeyBindingMismatch (checked here even if the appraiser did)
//   5. identity in the current manifest: exactly one service entry accepts
//      the MRENCLAVE (its mr_enclave or one of its additional_mr_enclaves)
//      -> kMeasurementNotInManifest; that entry's mr_signer equals MRSIGNER
//      -> kSignerMismatch; isv_prod_id, when the entry sets it
//      -> kProductIdMismatch; ISVSVN >= min_isv_svn -> kIsvSvnTooLow;
//      DEBUG enclaves unless allowed -> kDebugEnclave
//   6. access control, by direction (never cached):
//      server side (ForServer): the client's service is in the inbound list
//      -> kPeerNotAllowed;
//      client side (ForClient): the server is the service the client meant to
//      reach -> kUnexpectedPeer, and that service is in the outbound list
//      -> kPeerNotAllowed.
// Steps 2-5 are cached (VerificationCache) when a cache is configured.

#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "mra/base/clock.h"
#include "mra/x509/access_policy.h"
#include "mra/x509/evidence_appraiser.h"
#include "mra/x509/manifest_holder.h"
#include "mra/x509/peer_identity.h"
#include "mra/x509/verification_cache.h"

namespace mra::x509 {

struct PeerVerifierOptions {
  static constexpr absl::Duration kDefaultMaxEvidenceAge = absl::Hours(24 * 31);

  // Source of "now". Must outlive the verifier.
  const Clock* clock = &Clock::Real();
  // WARNING: a DEBUG enclave's memory can be read and changed by its host;
  // allow only in development.
  bool allow_debug_enclaves = false;
  // The oldest evidence accepted, measured from the certificate's notBefore.
  // A peer picks its certificate's dates, so without this bound a years-old
  // quote in a long-lived certificate (e.g. Gramine's legacy format) would
  // be accepted. Must be positive. The default admits our own certificates
  // (AttestedCertOptions: notBefore = issue - 5 min) at the end of the
  // longest lifetime the platform config allows (720h); a verifier should
  // set it to its peers' certificate lifetime + not_before_skew + margin.
  absl::Duration max_evidence_age = kDefaultMaxEvidenceAge;
  // Shared cache of steps 2-5; nullptr disables caching. One cache may serve
  // a service's server and client verifiers: entries hold no access decision,
  // and are keyed by the verifier's appraiser (EvidenceAppraiser::
  // instance_id), allow_debug_enclaves and max_evidence_age, so a verifier
  // never reuses a verdict reached under another policy.
  std::shared_ptr<VerificationCache> cache;
};

// AttestedPeerVerifier is immutable after construction; Verify is
// thread-safe (the manifest holder, appraiser and cache are).
class AttestedPeerVerifier final : public PeerVerifier {
 public:
  // Direction says which side of the connection this verifier runs on.
  enum class Direction {
    kServer,  // Verifies clients against the inbound list.
    kClient,  // Verifies the server against the expected service.
  };

  // ForServer makes the verifier a server runs on its clients' certificates.
  // @return kInvalidArgument when the policy is not IsValid(), a pointer
  //         (manifests, appraiser, options.clock) is null or
  //         options.max_evidence_age is not positive.
  static absl::StatusOr<std::unique_ptr<AttestedPeerVerifier>> ForServer(
      const AccessPolicy& policy,
      std::shared_ptr<const ManifestHolder> manifests,
      std::shared_ptr<const EvidenceAppraiser> appraiser,
      PeerVerifierOptions options = {});

  // ForClient makes the verifier a client runs on the certificate of the
  // server it dials to reach `expected_service`.
  // @return as ForServer, and kPeerNotAllowed when `expected_service` is not
  //         in the policy's outbound list.
  static absl::StatusOr<std::unique_ptr<AttestedPeerVerifier>> ForClient(
      std::string_view expected_service, const AccessPolicy& policy,
      std::shared_ptr<const ManifestHolder> manifests,
      std::shared_ptr<const EvidenceAppraiser> appraiser,
      PeerVerifierOptions options = {});

  // Verify applies the pipeline in the file comment to `leaf_pem` (PEM; DER
  // is accepted too). Never crashes on hostile input.
  [[nodiscard]] absl::StatusOr<PeerIdentity> Verify(
      std::string_view leaf_pem) const override;

  // Recheck judges an identity this verifier returned earlier against the
  // manifest in force now (not expired; the measurement still listed, for
  // the same service, with a matching MRSIGNER, ISVPRODID and ISVSVN), the
  // evidence's age (max_evidence_age from its notBefore) and the access
  // policy. Cheap: no certificate parsing, no appraisal.
  [[nodiscard]] absl::Status Recheck(
      const PeerIdentity& identity) const override;

  Direction direction() const { return direction_; }
  // expected_service is empty on the server side.
  const std::string& expected_service() const { return expected_service_; }

 private:
  AttestedPeerVerifier(Direction direction, std::string expected_service,
                       const AccessPolicy& policy,
                       std::shared_ptr<const ManifestHolder> manifests,
                       std::shared_ptr<const EvidenceAppraiser> appraiser,
                       PeerVerifierOptions options);

  // Identify runs steps 2-5; `out_expires` receives how long the result may
  // be cached: the earliest of the certificate's notAfter, its notBefore +
  // max_evidence_age, the appraisal's valid_until and the manifest's
  // expires.
  // CheckEvidenceAge refuses evidence bound (at `not_before`) longer than
  // options_.max_evidence_age before `now`.
  absl::Status CheckEvidenceAge(absl::Time not_before, absl::Time now) const;

  absl::StatusOr<PeerIdentity> Identify(
      std::span<const uint8_t> der, const manifest::VerifiedManifest& manifest,
      absl::Time now, absl::Time* out_expires) const;
  absl::Status CheckAccess(std::string_view peer_service) const;

  Direction direction_;
  std::string expected_service_;
  AccessPolicy policy_;
  std::shared_ptr<const ManifestHolder> manifests_;
  std::shared_ptr<const EvidenceAppraiser> appraiser_;
  PeerVerifierOptions options_;
  // VerificationCache::Key::policy_digest of this verifier's entries.
  crypto::Sha256Digest cache_policy_digest_{};
};

}  // namespace mra::x509

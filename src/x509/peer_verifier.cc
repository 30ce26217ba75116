#include "mra/x509/peer_verifier.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <utility>

#include "mra/base/clock.h"
#include "mra/base/hex.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/base/verify_failure.h"
#include "mra/crypto/digest.h"
#include "mra/manifest/verifier.h"
#include "mra/x509/parsed_cert.h"

namespace mra::x509 {
namespace {

absl::Status CheckCommon(
    const AccessPolicy& policy,
    const std::shared_ptr<const ManifestHolder>& manifests,
    const std::shared_ptr<const EvidenceAppraiser>& appraiser,
    const PeerVerifierOptions& options) {
  if (!policy.IsValid()) {
    return absl::InvalidArgumentError(
        "access policy: empty or repeated service names");
  }
  if (manifests == nullptr || appraiser == nullptr ||
      options.clock == nullptr) {
    return absl::InvalidArgumentError(
        "peer verifier needs a manifest holder, an appraiser and a clock");
  }
  if (options.max_evidence_age <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "peer verifier: max_evidence_age must be positive");
  }
  return absl::OkStatus();
}

// A manifest is loaded only before its `expires` (VerifyManifest), but a
// service keeps it for as long as it runs: judge it again at `now`, with the
// same rule (manifest::CheckNotExpired).
absl::Status CheckManifestNotExpired(const manifest::Manifest& manifest,
                                     absl::Time now) {
  absl::Status expired = manifest::CheckNotExpired(manifest, now);
  if (!expired.ok()) {
    return VerifyError(
        VerifyFailure::kManifestExpired,
        StrCat("manifest in force (version ", manifest.version.value_or(0),
               "): ", ToStd(expired.message()),
               "; peers are refused until a newer manifest is loaded"));
  }
  return absl::OkStatus();
}

// MatchService is the manifest's service for a measurement, checked against
// the rest of the enclave's identity (steps 4a-4d of the file comment).
absl::StatusOr<const manifest::ServiceIdentity*> MatchService(
    const manifest::Manifest& manifest,
    const std::array<uint8_t, 32>& mr_enclave,
    const std::array<uint8_t, 32>& mr_signer, uint16_t isv_prod_id,
    uint16_t isv_svn) {
  const manifest::ServiceIdentity* service =
      manifest.FindByMrEnclave(mr_enclave);
  if (service == nullptr) {
    return VerifyError(VerifyFailure::kMeasurementNotInManifest,
                       StrCat("MRENCLAVE ", HexEncode(mr_enclave),
                              " is not listed for any service"));
  }
  if (service->mr_signer != mr_signer) {
    return VerifyError(
        VerifyFailure::kSignerMismatch,
        StrCat("MRSIGNER ", HexEncode(mr_signer), " differs from service '",
               service->name, "' (", HexEncode(service->mr_signer), ")"));
  }
  if (service->isv_prod_id.has_value() &&
      *service->isv_prod_id != isv_prod_id) {
    return VerifyError(
        VerifyFailure::kProductIdMismatch,
        StrCat("ISVPRODID ", isv_prod_id, " differs from service '",
               service->name, "' (", *service->isv_prod_id, ")"));
  }
  if (service->min_isv_svn.has_value() && isv_svn < *service->min_isv_svn) {
    return VerifyError(
        VerifyFailure::kIsvSvnTooLow,
        StrCat("ISVSVN ", isv_svn, " of service '", service->name,
               "' is below min_isv_svn ", *service->min_isv_svn));
  }
  return service;
}

// What, besides the certificate and the manifest, decides the outcome of
// steps 2-5: the appraiser (its policy) and this verifier's own options.
crypto::Sha256Digest CachePolicyDigest(const EvidenceAppraiser& appraiser,
                                       const PeerVerifierOptions& options) {
  std::string text = StrCat(
      "mra.x509.AttestedPeerVerifier.v1 appraiser=", appraiser.instance_id(),
      " allow_debug_enclaves=", options.allow_debug_enclaves ? 1 : 0,
      " max_evidence_age=", absl::FormatDuration(options.max_evidence_age));
  return crypto::Sha256(crypto::AsBytes(text));
}

}  // namespace

AttestedPeerVerifier::AttestedPeerVerifier(
    Direction direction, std::string expected_service,
    const AccessPolicy& policy, std::shared_ptr<const ManifestHolder> manifests,
    std::shared_ptr<const EvidenceAppraiser> appraiser,
    PeerVerifierOptions options)
    : direction_(direction),
      expected_service_(std::move(expected_service)),
      policy_(policy),
      manifests_(std::move(manifests)),
      appraiser_(std::move(appraiser)),
      options_(std::move(options)),
      cache_policy_digest_(CachePolicyDigest(*appraiser_, options_)) {}

absl::StatusOr<std::unique_ptr<AttestedPeerVerifier>>
AttestedPeerVerifier::ForServer(
    const AccessPolicy& policy, std::shared_ptr<const ManifestHolder> manifests,
    std::shared_ptr<const EvidenceAppraiser> appraiser,
    PeerVerifierOptions options) {
  MRA_RETURN_IF_ERROR(CheckCommon(policy, manifests, appraiser, options));
  return std::unique_ptr<AttestedPeerVerifier>(new AttestedPeerVerifier(
      Direction::kServer, "", policy, std::move(manifests),
      std::move(appraiser), std::move(options)));
}

absl::StatusOr<std::unique_ptr<AttestedPeerVerifier>>
AttestedPeerVerifier::ForClient(
    std::string_view expected_service, const AccessPolicy& policy,
    std::shared_ptr<const ManifestHolder> manifests,
    std::shared_ptr<const EvidenceAppraiser> appraiser,
    PeerVerifierOptions options) {
  MRA_RETURN_IF_ERROR(CheckCommon(policy, manifests, appraiser, options));
  if (!policy.AllowsOutbound(expected_service)) {
    return VerifyError(
        VerifyFailure::kPeerNotAllowed,
        StrCat("service '", policy.self(), "' may not call '", expected_service,
               "' (not in its outbound list)"));
  }
  return std::unique_ptr<AttestedPeerVerifier>(new AttestedPeerVerifier(
      Direction::kClient, std::string(expected_service), policy,
      std::move(manifests), std::move(appraiser), std::move(options)));
}

absl::StatusOr<PeerIdentity> AttestedPeerVerifier::Identify(
    std::span<const uint8_t> der, const manifest::VerifiedManifest& manifest,
    absl::Time now, absl::Time* out_expires) const {
  MRA_ASSIGN_OR_RETURN(ParsedAttestedCert cert,
                       ParseAttestedCertificate(der, now));
  // The peer chose notBefore..notAfter; bound the evidence's age ourselves.
  const absl::Time too_old_at = cert.not_before + options_.max_evidence_age;
  MRA_RETURN_IF_ERROR(CheckEvidenceAge(cert.not_before, now));
  MRA_ASSIGN_OR_RETURN(
      AppraisedEvidence evidence,
      appraiser_->Appraise(cert.quote, cert.expected_report_data, now));
  if (evidence.report_data != cert.expected_report_data) {
    return VerifyError(
        VerifyFailure::kKeyBindingMismatch,
        StrCat("the quote's report data does not bind this certificate's ",
               cert.format == EvidenceFormat::kGramineLegacy ? "public key"
                                                             : "claims",
               " (evidence taken from another certificate?)"));
  }

  MRA_ASSIGN_OR_RETURN(
      const manifest::ServiceIdentity* service,
      MatchService(manifest.manifest, evidence.mr_enclave, evidence.mr_signer,
                   evidence.isv_prod_id, evidence.isv_svn));
  if (evidence.debug && !options_.allow_debug_enclaves) {
    return VerifyError(
        VerifyFailure::kDebugEnclave,
        StrCat("service '", service->name, "' runs as a DEBUG enclave"));
  }

  PeerIdentity id;
  id.service = service->name;
  id.mr_enclave = evidence.mr_enclave;
  id.mr_signer = evidence.mr_signer;
  id.isv_prod_id = evidence.isv_prod_id;
  id.isv_svn = evidence.isv_svn;
  id.tcb_status = evidence.tcb_status;
  id.simulation = evidence.simulation;
  id.manifest_version = manifest.manifest.version.value_or(0);
  id.cert_sha256 = cert.cert_sha256;
  id.evidence_time = cert.not_before;
  *out_expires =
      std::min({cert.not_after, too_old_at, evidence.valid_until,
                manifest.manifest.expires.value_or(absl::InfiniteFuture())});
  return id;
}

absl::Status AttestedPeerVerifier::CheckEvidenceAge(absl::Time not_before,
                                                    absl::Time now) const {
  if (now > not_before + options_.max_evidence_age) {
    return VerifyError(
        VerifyFailure::kCertExpired,
        StrCat("certificate: evidence bound at notBefore ",
               FormatRfc3339Utc(not_before), " is ",
               absl::FormatDuration(now - not_before), " old at ",
               FormatRfc3339Utc(now), " (max_evidence_age ",
               absl::FormatDuration(options_.max_evidence_age), ")"));
  }
  return absl::OkStatus();
}

absl::Status AttestedPeerVerifier::Recheck(const PeerIdentity& identity) const {
  const absl::Time now = options_.clock->Now();
  ManifestHolder::Snapshot manifest = manifests_->Get();
  MRA_RETURN_IF_ERROR(CheckManifestNotExpired(manifest->manifest, now));
  MRA_RETURN_IF_ERROR(CheckEvidenceAge(identity.evidence_time, now));
  MRA_ASSIGN_OR_RETURN(
      const manifest::ServiceIdentity* service,
      MatchService(manifest->manifest, identity.mr_enclave, identity.mr_signer,
                   identity.isv_prod_id, identity.isv_svn));
  if (service->name != identity.service) {
    return VerifyError(VerifyFailure::kMeasurementNotInManifest,
                       StrCat("MRENCLAVE ", HexEncode(identity.mr_enclave),
                              " is now listed for service '", service->name,
                              "', not '", identity.service, "'"));
  }
  return CheckAccess(identity.service);
}

absl::Status AttestedPeerVerifier::CheckAccess(
    std::string_view peer_service) const {
  if (direction_ == Direction::kServer) {
    return policy_.CheckInbound(peer_service);
  }
  return policy_.CheckOutbound(expected_service_, peer_service);
}

absl::StatusOr<PeerIdentity> AttestedPeerVerifier::Verify(
    std::string_view leaf_pem) const {
  if (TrimAsciiWhitespace(leaf_pem).empty()) {
    return VerifyError(VerifyFailure::kNoPeerCertificate,
                       "the peer presented no certificate");
  }
  const absl::Time now = options_.clock->Now();
  ManifestHolder::Snapshot manifest = manifests_->Get();
  // Before the cache: a cached identity must not outlive its manifest.
  MRA_RETURN_IF_ERROR(CheckManifestNotExpired(manifest->manifest, now));
  MRA_ASSIGN_OR_RETURN(std::vector<uint8_t> der,
                       CertificateToDer(crypto::AsBytes(leaf_pem)));

  VerificationCache::Key key;
  key.cert_sha256 = crypto::Sha256(der);
  key.manifest_digest = manifest->digest;
  key.manifest_version = manifest->manifest.version.value_or(0);
  key.policy_digest = cache_policy_digest_;

  std::optional<PeerIdentity> identity;
  if (options_.cache != nullptr) {
    identity = options_.cache->Lookup(key, now);
  }
  if (!identity.has_value()) {
    absl::Time expires;
    MRA_ASSIGN_OR_RETURN(identity, Identify(der, *manifest, now, &expires));
    if (options_.cache != nullptr) {
      options_.cache->Insert(key, *identity, expires, now);
    }
  }
  MRA_RETURN_IF_ERROR(CheckAccess(identity->service));
  return *std::move(identity);
}

}  // namespace mra::x509

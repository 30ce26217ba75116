// Copyright The mra Authors.
//
// File: mra/manifest/verifier.h
// -----------------------------------------------------------------------------
// VerifyManifest decides whether a manifest may be trusted. The rules, in
// order (each failure is a distinct VerifyFailure):
//   1. Signatures (kThresholdNotMet): each detached signature is checked over
//      the exact manifest bytes against every auditor key; a signature counts
//      for the auditor whose key verifies it. At least `threshold` DISTINCT
//      auditors must be counted. Zero signatures, repeats of one auditor,
//      signatures by unknown keys or over other bytes add nothing.
//   2. Parse (kManifestMalformed): strict, see ParseManifest.
//   3. Required fields per options (kManifestMalformed).
//   4. Expiry (kManifestExpired): `expires` must be after now.
//   5. Deployment (kDeploymentMismatch): when the verifier is configured with
//      a deployment, the manifest must name exactly that one.
//   6. Rollback (kManifestRollback / kManifestVersionConflict /
//      kStateCorrupt): `version` (absent = 0) must not be below the highest
//      version accepted before; a declared version equal to it must come with
//      identical bytes. On success the state is advanced atomically before the
//      manifest is returned; if it cannot be persisted, verification fails.
//
// A caller with checks of its own (a service: the manifest must list it and
// its peers) uses VerifyManifestUncommitted, runs them, and only then
// CommitRollbackState: a manifest it refuses must not raise the floor.

#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "mra/base/clock.h"
#include "mra/crypto/digest.h"
#include "mra/manifest/manifest.h"
#include "mra/manifest/rollback_state.h"
#include "mra/manifest/trust_anchors.h"

namespace mra::manifest {

// Upper bound on signatures considered, so a flood cannot cost unbounded time.
inline constexpr size_t kMaxSignatures = 64;

// DetachedSignature is one signature file's content; `label` (usually the
// path) names it in messages.
struct DetachedSignature {
  std::string label;
  std::vector<uint8_t> bytes;
};

struct VerifyOptions {
  // Deployment this service belongs to; empty = do not check.
  std::string expected_deployment;
  // Source of "now". Must outlive the call.
  const Clock* clock = &Clock::Real();
  // Rollback protection; nullptr disables it (tools only, never services).
  const RollbackStateFile* state = nullptr;
  bool require_version = false;
  bool require_expires = false;
};

// SignatureVerdict says what happened to one signature.
struct SignatureVerdict {
  std::string label;
  bool counted = false;
  std::string auditor;  // Set when the signature verified under a key.
  std::string note;     // Why it did not count, when it did not.
};

// VerifiedManifest is a manifest that passed every rule.
struct VerifiedManifest {
  Manifest manifest;
  std::vector<std::string> signers;  // Distinct auditors, in anchor order.
  std::vector<SignatureVerdict> signatures;
  crypto::Sha256Digest digest{};  // SHA-256 of the exact manifest bytes.
};

// CountSignatures applies rule 1 only and reports each signature's fate;
// returns the distinct auditors that signed, in anchor order.
std::vector<std::string> CountSignatures(
    std::string_view manifest_bytes,
    std::span<const DetachedSignature> signatures, const TrustAnchors& anchors,
    std::vector<SignatureVerdict>* out_verdicts);

// VerifyManifest applies all rules (see file comment) and advances the
// rollback state: VerifyManifestUncommitted, then CommitRollbackState.
// Thread-compatible; the state file must not be shared between concurrent
// callers.
absl::StatusOr<VerifiedManifest> VerifyManifest(
    std::string_view manifest_bytes,
    std::span<const DetachedSignature> signatures, const TrustAnchors& anchors,
    const VerifyOptions& options);

// VerifyManifestUncommitted applies all rules like VerifyManifest, rule 6
// included (the state is read and the manifest checked against it), but
// never writes the state. A manifest it returns is not yet accepted: the
// caller runs its own checks, then CommitRollbackState.
absl::StatusOr<VerifiedManifest> VerifyManifestUncommitted(
    std::string_view manifest_bytes,
    std::span<const DetachedSignature> signatures, const TrustAnchors& anchors,
    const VerifyOptions& options);

// CheckNotExpired is rule 4 at `now`: a manifest with `expires` at or
// before `now` has expired (kManifestExpired). Services apply it again to
// the manifest in force for as long as they run.
absl::Status CheckNotExpired(const Manifest& m, absl::Time now);

// CheckRollbackFloor is rule 6 against one floor: a manifest accepted
// before, of version `floor_version` and SHA-256 `floor_sha256_hex`.
// `floor_name` says which, for the messages (e.g. "accepted before (state
// 'PATH', sha256 ...)"). Services check two floors: the rollback state file,
// and the manifest in force (the file is host-writable).
// @return kManifestRollback when `m`'s version is lower;
//         kManifestVersionConflict when `m` declares the floor's version
//         with other bytes (`sha256_hex`).
absl::Status CheckRollbackFloor(const Manifest& m, std::string_view sha256_hex,
                                uint64_t floor_version,
                                std::string_view floor_sha256_hex,
                                std::string_view floor_name);

// CommitRollbackState records `verified` (from VerifyManifestUncommitted with
// this `state`) as accepted: rule 6 is checked again against the state as it
// is now, then the state is advanced atomically when the manifest is newer
// than what it records (or it records nothing).
// @return kManifestRollback / kManifestVersionConflict / kStateCorrupt as
//         rule 6; the write error when the state cannot be persisted (the
//         caller must then refuse the manifest).
[[nodiscard]] absl::Status CommitRollbackState(const VerifiedManifest& verified,
                                               const RollbackStateFile& state);

}  // namespace mra::manifest

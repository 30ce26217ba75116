// Copyright The mra Authors.
//
// File: mra/base/verify_failure.h
// -----------------------------------------------------------------------------
// The closed set of verification verdicts. Every refusal made by a verifier in
// this library (manifest, quote, collateral, certificate, peer policy) carries
// exactly one VerifyFailure as a payload of its absl::Status, so tests, the
// CLI and metrics branch on the enum and never on message text.

#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace mra {

// VerifyFailure enumerates why evidence or a signed document was refused.
// The absl::StatusCode of each member is fixed (see VerifyFailureCode):
// malformed input -> kInvalidArgument, bad signature -> kUnauthenticated,
// identity/policy mismatch -> kPermissionDenied, stale/out-of-date ->
// kFailedPrecondition.
enum class VerifyFailure {
  // --- Signed manifests (auditor trust) ---
  kManifestMalformed,        // TOML syntax or schema error.
  kSignatureMalformed,       // A detached signature cannot be decoded.
  kThresholdNotMet,          // Fewer distinct auditors signed than required.
  kManifestExpired,          // `expires` is in the past.
  kDeploymentMismatch,       // `deployment` differs from the configured one.
  kManifestRollback,         // `version` lower than one accepted before.
  kManifestVersionConflict,  // Same `version`, different bytes.
  kStateCorrupt,             // The rollback-state file cannot be trusted.

  // --- DCAP quote and collateral ---
  kQuoteMalformed,            // Quote bytes do not parse.
  kQuoteUnsupported,          // Well-formed but unsupported (version, key).
  kCollateralMalformed,       // Collateral JSON/PEM/DER does not parse.
  kRootCaUntrusted,           // Chain ends in a root we were not given.
  kCertChainInvalid,          // A certificate signature/issuer link fails.
  kCertExpired,               // A certificate is outside its validity.
  kCrlInvalid,                // CRL signature/issuer wrong.
  kCrlExpired,                // CRL outside thisUpdate..nextUpdate.
  kPckRevoked,                // PCK (or intermediate) serial in a CRL.
  kTcbInfoInvalid,            // TCB info signature wrong.
  kTcbInfoExpired,            // TCB info outside issueDate..nextUpdate.
  kTcbInfoMismatch,           // FMSPC / PCE-ID / TEE type disagree.
  kQeIdentityInvalid,         // QE identity signature wrong.
  kQeIdentityExpired,         // QE identity outside its dates.
  kQeIdentityMismatch,        // QE report does not match the QE identity.
  kQeReportSignatureInvalid,  // QE report not signed by the PCK key.
  kQeReportDataMismatch,      // QE report data does not bind the attest key.
  kQuoteSignatureInvalid,     // ISV quote signature wrong.
  kTdxModuleMismatch,         // TDX module identity not found / mismatch.
  kTcbNotSupported,           // No TCB level matches the platform.
  kTcbRevoked,                // Platform or QE TCB level is Revoked.

  // --- Appraisal policy ---
  kTcbStatusNotAccepted,  // Status valid but not allowed by policy.
  kDebugEnclave,          // DEBUG attribute set and not allowed.
  kIsvSvnTooLow,          // ISV SVN below the required minimum.
  kCollateralTooOld,      // Collateral older than policy allows.
  kSimulationNotTrusted,  // Simulation root presented, not configured.

  // --- Attested TLS peers ---
  kCertificateMalformed,      // Peer certificate does not parse.
  kEvidenceMissing,           // No evidence extension.
  kEvidenceDuplicate,         // More than one evidence extension.
  kUnknownCriticalExtension,  // Unknown critical X.509 extension.
  kKeyBindingMismatch,        // Report data does not bind the cert key.
  kMeasurementNotInManifest,  // MRENCLAVE not listed for any service.
  kSignerMismatch,            // MRSIGNER differs from the manifest entry.
  kProductIdMismatch,         // ISV product id differs.
  kPeerNotAllowed,            // Peer service outside the access list.
  kUnexpectedPeer,            // Server is not the service we meant.
  kNoPeerCertificate,         // Peer presented no certificate.
};

// VerifyFailureName returns the stable identifier of `failure` (e.g.
// "THRESHOLD_NOT_MET"), used in JSON output and logs.
std::string_view VerifyFailureName(VerifyFailure failure);

// VerifyFailureCode returns the absl::StatusCode that `failure` maps to.
absl::StatusCode VerifyFailureCode(VerifyFailure failure);

// VerifyError builds the Status for `failure` with a message that names the
// check and field, e.g. VerifyError(kManifestExpired, "expires: 2024-...").
[[nodiscard]] absl::Status VerifyError(VerifyFailure failure,
                                       std::string_view message);

// GetVerifyFailure extracts the verdict from a Status built by VerifyError.
// Returns nullopt for OK statuses and for errors that are not verdicts (I/O,
// internal errors).
std::optional<VerifyFailure> GetVerifyFailure(const absl::Status& status);

}  // namespace mra

#include "mra/base/verify_failure.h"

#include "absl/strings/cord.h"

#include "mra/base/strings.h"

namespace mra {
namespace {

constexpr absl::string_view kPayloadUrl = "type.mra.dev/mra.VerifyFailure";

struct Entry {
  VerifyFailure failure;
  std::string_view name;
  absl::StatusCode code;
};

using C = absl::StatusCode;
using F = VerifyFailure;

// One row per enumerator; VerifyFailureName's switch keeps the enum closed.
constexpr Entry kEntries[] = {
    {F::kManifestMalformed, "MANIFEST_MALFORMED", C::kInvalidArgument},
    {F::kSignatureMalformed, "SIGNATURE_MALFORMED", C::kInvalidArgument},
    {F::kThresholdNotMet, "THRESHOLD_NOT_MET", C::kUnauthenticated},
    {F::kManifestExpired, "MANIFEST_EXPIRED", C::kFailedPrecondition},
    {F::kDeploymentMismatch, "DEPLOYMENT_MISMATCH", C::kPermissionDenied},
    {F::kManifestRollback, "MANIFEST_ROLLBACK", C::kFailedPrecondition},
    {F::kManifestVersionConflict, "MANIFEST_VERSION_CONFLICT",
     C::kFailedPrecondition},
    {F::kStateCorrupt, "STATE_CORRUPT", C::kFailedPrecondition},
    {F::kQuoteMalformed, "QUOTE_MALFORMED", C::kInvalidArgument},
    {F::kQuoteUnsupported, "QUOTE_UNSUPPORTED", C::kInvalidArgument},
    {F::kCollateralMalformed, "COLLATERAL_MALFORMED", C::kInvalidArgument},
    {F::kRootCaUntrusted, "ROOT_CA_UNTRUSTED", C::kUnauthenticated},
    {F::kCertChainInvalid, "CERT_CHAIN_INVALID", C::kUnauthenticated},
    {F::kCertExpired, "CERT_EXPIRED", C::kFailedPrecondition},
    {F::kCrlInvalid, "CRL_INVALID", C::kUnauthenticated},
    {F::kCrlExpired, "CRL_EXPIRED", C::kFailedPrecondition},
    {F::kPckRevoked, "PCK_REVOKED", C::kPermissionDenied},
    {F::kTcbInfoInvalid, "TCB_INFO_INVALID", C::kUnauthenticated},
    {F::kTcbInfoExpired, "TCB_INFO_EXPIRED", C::kFailedPrecondition},
    {F::kTcbInfoMismatch, "TCB_INFO_MISMATCH", C::kPermissionDenied},
    {F::kQeIdentityInvalid, "QE_IDENTITY_INVALID", C::kUnauthenticated},
    {F::kQeIdentityExpired, "QE_IDENTITY_EXPIRED", C::kFailedPrecondition},
    {F::kQeIdentityMismatch, "QE_IDENTITY_MISMATCH", C::kPermissionDenied},
    {F::kQeReportSignatureInvalid, "QE_REPORT_SIGNATURE_INVALID",
     C::kUnauthenticated},
    {F::kQeReportDataMismatch, "QE_REPORT_DATA_MISMATCH", C::kUnauthenticated},
    {F::kQuoteSignatureInvalid, "QUOTE_SIGNATURE_INVALID", C::kUnauthenticated},
    {F::kTdxModuleMismatch, "TDX_MODULE_MISMATCH", C::kPermissionDenied},
    {F::kTcbNotSupported, "TCB_NOT_SUPPORTED", C::kFailedPrecondition},
    {F::kTcbRevoked, "TCB_REVOKED", C::kPermissionDenied},
    {F::kTcbStatusNotAccepted, "TCB_STATUS_NOT_ACCEPTED",
     C::kFailedPrecondition},
    {F::kDebugEnclave, "DEBUG_ENCLAVE", C::kPermissionDenied},
    {F::kIsvSvnTooLow, "ISV_SVN_TOO_LOW", C::kPermissionDenied},
    {F::kCollateralTooOld, "COLLATERAL_TOO_OLD", C::kFailedPrecondition},
    {F::kSimulationNotTrusted, "SIMULATION_NOT_TRUSTED", C::kUnauthenticated},
    {F::kCertificateMalformed, "CERTIFICATE_MALFORMED", C::kInvalidArgument},
    {F::kEvidenceMissing, "EVIDENCE_MISSING", C::kUnauthenticated},
    {F::kEvidenceDuplicate, "EVIDENCE_DUPLICATE", C::kInvalidArgument},
    {F::kUnknownCriticalExtension, "UNKNOWN_CRITICAL_EXTENSION",
     C::kInvalidArgument},
    {F::kKeyBindingMismatch, "KEY_BINDING_MISMATCH", C::kUnauthenticated},
    {F::kMeasurementNotInManifest, "MEASUREMENT_NOT_IN_MANIFEST",
     C::kPermissionDenied},
    {F::kSignerMismatch, "SIGNER_MISMATCH", C::kPermissionDenied},
    {F::kProductIdMismatch, "PRODUCT_ID_MISMATCH", C::kPermissionDenied},
    {F::kPeerNotAllowed, "PEER_NOT_ALLOWED", C::kPermissionDenied},
    {F::kUnexpectedPeer, "UNEXPECTED_PEER", C::kPermissionDenied},
    {F::kNoPeerCertificate, "NO_PEER_CERTIFICATE", C::kUnauthenticated},
};

const Entry* Find(VerifyFailure failure) {
  for (const Entry& e : kEntries) {
    if (e.failure == failure) {
      return &e;
    }
  }
  return nullptr;
}

}  // namespace

std::string_view VerifyFailureName(VerifyFailure failure) {
  const Entry* e = Find(failure);
  return e != nullptr ? e->name : "UNKNOWN_VERIFY_FAILURE";
}

absl::StatusCode VerifyFailureCode(VerifyFailure failure) {
  const Entry* e = Find(failure);
  return e != nullptr ? e->code : absl::StatusCode::kInternal;
}

absl::Status VerifyError(VerifyFailure failure, std::string_view message) {
  absl::Status status(VerifyFailureCode(failure),
                      StrCat(VerifyFailureName(failure), ": ", message));
  status.SetPayload(kPayloadUrl,
                    absl::Cord(std::string(VerifyFailureName(failure))));
  return status;
}

std::optional<VerifyFailure> GetVerifyFailure(const absl::Status& status) {
  if (status.ok()) {
    return std::nullopt;
  }
  auto payload = status.GetPayload(kPayloadUrl);
  if (!payload.has_value()) {
    return std::nullopt;
  }
  for (const Entry& e : kEntries) {
    if (*payload == absl::string_view(e.name.data(), e.name.size())) {
      return e.failure;
    }
  }
  return std::nullopt;
}

}  // namespace mra

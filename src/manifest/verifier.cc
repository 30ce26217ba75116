#include "mra/manifest/verifier.h"

#include <optional>
#include <utility>

#include "mra/base/clock.h"
#include "mra/base/hex.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/base/verify_failure.h"
#include "mra/crypto/signature.h"

namespace mra::manifest {
namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) {
    StrAppend(&out, out.empty() ? "" : ", ", s);
  }
  return out.empty() ? "none" : out;
}

// CheckRollback applies rule 6 against the state as it is now; with `commit`
// it also advances the state to this manifest when it is newer (or the first).
absl::Status CheckRollback(const Manifest& m, const std::string& digest_hex,
                           const RollbackStateFile& state, bool commit) {
  // Committing checks and stores under the file's lock: another process
  // sharing the file must not store a higher floor in between.
  std::optional<StateLock> lock;
  if (commit) {
    MRA_ASSIGN_OR_RETURN(StateLock held, state.LockExclusive(absl::Seconds(5)));
    lock.emplace(std::move(held));
  }
  MRA_ASSIGN_OR_RETURN(std::optional<RollbackRecord> rec, state.Load());
  uint64_t version = m.version.value_or(0);
  std::string deployment = m.deployment.value_or("");
  if (rec.has_value()) {
    if (rec->deployment != deployment) {
      return VerifyError(
          VerifyFailure::kStateCorrupt,
          StrCat("rollback state '", state.path(), "' belongs to deployment '",
                 rec->deployment, "', the manifest names '", deployment, "'"));
    }
    MRA_RETURN_IF_ERROR(CheckRollbackFloor(
        m, digest_hex, rec->highest_version, rec->manifest_sha256,
        StrCat("accepted before (state '", state.path(), "', sha256 ",
               rec->manifest_sha256, ")")));
    if (version == rec->highest_version && rec->manifest_sha256 == digest_hex) {
      return absl::OkStatus();  // Already the floor: nothing to store.
    }
  }
  if (!commit) {
    return absl::OkStatus();
  }
  return state.Store(RollbackRecord{version, digest_hex, deployment});
}

}  // namespace

absl::Status CheckNotExpired(const Manifest& m, absl::Time now) {
  if (m.expires.has_value() && *m.expires <= now) {
    return VerifyError(
        VerifyFailure::kManifestExpired,
        StrCat("expires: ", FormatRfc3339Utc(*m.expires), " is not after now (",
               FormatRfc3339Utc(now), ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckRollbackFloor(const Manifest& m, std::string_view sha256_hex,
                                uint64_t floor_version,
                                std::string_view floor_sha256_hex,
                                std::string_view floor_name) {
  const uint64_t version = m.version.value_or(0);
  if (version < floor_version) {
    return VerifyError(VerifyFailure::kManifestRollback,
                       StrCat("version: ", version, " is lower than version ",
                              floor_version, " ", floor_name));
  }
  if (version == floor_version && m.version.has_value() &&
      sha256_hex != floor_sha256_hex) {
    return VerifyError(
        VerifyFailure::kManifestVersionConflict,
        StrCat("version: ", version, " is the version ", floor_name,
               ", with different content (now sha256 ", sha256_hex,
               "); a new manifest needs a higher version"));
  }
  return absl::OkStatus();
}

std::vector<std::string> CountSignatures(
    std::string_view manifest_bytes,
    std::span<const DetachedSignature> signatures, const TrustAnchors& anchors,
    std::vector<SignatureVerdict>* out_verdicts) {
  const auto& auditors = anchors.auditors();
  std::vector<bool> signed_by(auditors.size(), false);
  std::vector<SignatureVerdict> verdicts;
  for (size_t i = 0; i < signatures.size(); ++i) {
    const DetachedSignature& sig = signatures[i];
    SignatureVerdict v;
    v.label = sig.label;
    if (i >= kMaxSignatures) {
      v.note = StrCat("ignored: more than ", kMaxSignatures, " signatures");
      verdicts.push_back(std::move(v));
      continue;
    }
    for (size_t a = 0; a < auditors.size(); ++a) {
      if (crypto::VerifyDetached(auditors[a].key,
                                 crypto::AsBytes(manifest_bytes), sig.bytes)
              .ok()) {
        v.auditor = auditors[a].name;
        if (signed_by[a]) {
          v.note = StrCat("duplicate: auditor '", auditors[a].name,
                          "' already counted");
        } else {
          signed_by[a] = true;
          v.counted = true;
        }
        break;
      }
    }
    if (v.auditor.empty()) {
      v.note =
          "no auditor key verifies it (unknown signer, or signed other bytes)";
    }
    verdicts.push_back(std::move(v));
  }
  std::vector<std::string> signers;
  for (size_t a = 0; a < auditors.size(); ++a) {
    if (signed_by[a]) {
      signers.push_back(auditors[a].name);
    }
  }
  if (out_verdicts != nullptr) {
    *out_verdicts = std::move(verdicts);
  }
  return signers;
}

absl::StatusOr<VerifiedManifest> VerifyManifestUncommitted(
    std::string_view manifest_bytes,
    std::span<const DetachedSignature> signatures, const TrustAnchors& anchors,
    const VerifyOptions& options) {
  if (manifest_bytes.size() > kMaxManifestLen) {
    return VerifyError(VerifyFailure::kManifestMalformed,
                       StrCat("manifest is ", manifest_bytes.size(),
                              " bytes; the limit is ", kMaxManifestLen));
  }
  VerifiedManifest out;
  out.signers =
      CountSignatures(manifest_bytes, signatures, anchors, &out.signatures);
  if (out.signers.size() < anchors.threshold()) {
    size_t num_ignored = 0;
    for (const SignatureVerdict& v : out.signatures) {
      if (!v.counted) {
        ++num_ignored;
      }
    }
    return VerifyError(
        VerifyFailure::kThresholdNotMet,
        StrCat(out.signers.size(), " distinct auditor signature(s) verified (",
               Join(out.signers), "), ", anchors.threshold(), " of ",
               anchors.auditors().size(), " required; ", signatures.size(),
               " signature(s) given, ", num_ignored, " did not count"));
  }

  MRA_ASSIGN_OR_RETURN(out.manifest, ParseManifest(manifest_bytes));
  const Manifest& m = out.manifest;
  if (options.require_version && !m.version.has_value()) {
    return VerifyError(VerifyFailure::kManifestMalformed,
                       "version: required by this verifier but missing");
  }
  if (options.require_expires && !m.expires.has_value()) {
    return VerifyError(VerifyFailure::kManifestMalformed,
                       "expires: required by this verifier but missing");
  }
  MRA_RETURN_IF_ERROR(CheckNotExpired(m, options.clock->Now()));
  if (!options.expected_deployment.empty() &&
      m.deployment.value_or("") != options.expected_deployment) {
    return VerifyError(
        VerifyFailure::kDeploymentMismatch,
        StrCat("deployment: manifest names '", m.deployment.value_or("(none)"),
               "', this service belongs to '", options.expected_deployment,
               "'"));
  }
  out.digest = crypto::Sha256(crypto::AsBytes(manifest_bytes));
  if (options.state != nullptr) {
    MRA_RETURN_IF_ERROR(CheckRollback(m, HexEncode(out.digest), *options.state,
                                      /*commit=*/false));
  }
  return out;
}

absl::Status CommitRollbackState(const VerifiedManifest& verified,
                                 const RollbackStateFile& state) {
  return CheckRollback(verified.manifest, HexEncode(verified.digest), state,
                       /*commit=*/true);
}

absl::StatusOr<VerifiedManifest> VerifyManifest(
    std::string_view manifest_bytes,
    std::span<const DetachedSignature> signatures, const TrustAnchors& anchors,
    const VerifyOptions& options) {
  MRA_ASSIGN_OR_RETURN(
      VerifiedManifest out,
      VerifyManifestUncommitted(manifest_bytes, signatures, anchors, options));
  if (options.state != nullptr) {
    MRA_RETURN_IF_ERROR(CommitRollbackState(out, *options.state));
  }
  return out;
}

}  // namespace mra::manifest

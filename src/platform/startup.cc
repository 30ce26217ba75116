// Copyright The mra Authors.
//
// Start-up step 2: the manifest (see mra/platform/service_main.h).

#include <filesystem>
#include <string>
#include <vector>

#include "spdlog/spdlog.h"
#include "src/platform/internal/sqlite.h"

#include "mra/base/file.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/manifest/manifest.h"
#include "mra/manifest/rollback_state.h"
#include "mra/manifest/trust_anchors.h"
#include "mra/manifest/verifier.h"
#include "mra/platform/service_main.h"

namespace mra::platform {
namespace {

// Detached signatures are a few hundred bytes (RSA-4096: 512).
constexpr size_t kMaxSignatureLen = size_t{16} * 1024;

absl::StatusOr<std::string> ReadNamed(const std::string& what,
                                      const std::string& path, size_t max_len) {
  absl::StatusOr<std::string> bytes = ReadFileBounded(path, max_len);
  if (!bytes.ok()) {
    return absl::Status(
        bytes.status().code(),
        StrCat(what, " ", path, ": ", ToStd(bytes.status().message())));
  }
  return bytes;
}

}  // namespace

absl::StatusOr<manifest::VerifiedManifest> LoadAndVerifyManifest(
    const DeploymentConfig& config, const ServiceAcl& acl,
    const manifest::TrustAnchors& anchors, const Clock& clock) {
  const ServiceConfig& self = config.Service(acl.self);
  MRA_ASSIGN_OR_RETURN(
      std::string bytes,
      ReadNamed("manifest", config.manifest.path, manifest::kMaxManifestLen));
  MRA_ASSIGN_OR_RETURN(std::vector<std::string> files,
                       ResolveSignatureFiles(config.manifest));
  if (files.empty()) {
    spdlog::warn(
        "manifest: no signature files (manifest.signatures is empty and "
        "there is no *.sig in {}); verification will refuse",
        config.manifest.signature_dir);
  }
  if (files.size() > manifest::kMaxSignatures) {
    return absl::InvalidArgumentError(
        StrCat(files.size(), " signature files; at most ",
               manifest::kMaxSignatures, " are considered"));
  }
  std::vector<manifest::DetachedSignature> signatures;
  for (const std::string& file : files) {
    MRA_ASSIGN_OR_RETURN(std::string sig,
                         ReadNamed("signature", file, kMaxSignatureLen));
    signatures.push_back(manifest::DetachedSignature{
        .label = file, .bytes = std::vector<uint8_t>(sig.begin(), sig.end())});
  }

  std::filesystem::path state_dir =
      std::filesystem::path(self.rollback_state).parent_path();
  if (!state_dir.empty()) {
    MRA_RETURN_IF_ERROR(internal::EnsurePrivateDirectory(state_dir.string()));
  }
  manifest::RollbackStateFile state(self.rollback_state);
  manifest::VerifyOptions options{
      .expected_deployment = config.deployment,
      .clock = &clock,
      .state = &state,
      .require_version = config.manifest.require_version,
      .require_expires = config.manifest.require_expires,
  };
  // The rollback floor is advanced only once this service accepts the
  // manifest (below), never for one it refuses.
  MRA_ASSIGN_OR_RETURN(
      manifest::VerifiedManifest verified,
      manifest::VerifyManifestUncommitted(bytes, signatures, anchors, options));
  for (const manifest::SignatureVerdict& v : verified.signatures) {
    if (!v.counted) {
      spdlog::info("manifest signature not counted file={} note=\"{}\"",
                   v.label, v.note);
    }
  }

  if (verified.manifest.FindService(acl.self) == nullptr) {
    return absl::FailedPreconditionError(
        StrCat("the verified manifest has no entry for this service '",
               acl.self, "'"));
  }
  for (std::string_view peer : acl.outbound) {
    if (verified.manifest.FindService(peer) == nullptr) {
      return absl::FailedPreconditionError(
          StrCat("the verified manifest has no entry for '", peer, "', which ",
                 acl.self, " must call"));
    }
  }
  MRA_RETURN_IF_ERROR(manifest::CommitRollbackState(verified, state));
  return verified;
}

}  // namespace mra::platform

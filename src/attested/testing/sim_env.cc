// Copyright The mra Authors.
//
// Test-only simulation helpers (see sim_env.h).

#include "src/attested/testing/sim_env.h"

#include <utility>

#include "mra/attest/sim_dir.h"
#include "mra/base/file.h"
#include "mra/base/status.h"

namespace mra::attested::testing {

absl::StatusOr<SimEnv> MakeSimEnv(const std::string& dir,
                                  bool outdated_platform) {
  attest::SimInitOptions init;
  init.outdated_platform = outdated_platform;
  std::string sim_dir = dir + "/sim";
  MRA_RETURN_IF_ERROR(attest::InitSimDir(sim_dir, init).status());
  MRA_ASSIGN_OR_RETURN(crypto::PrivateKey signer,
                       attest::GenerateEnclaveSignerKey());
  MRA_ASSIGN_OR_RETURN(crypto::Sha256Digest mr_signer,
                       attest::MrSignerOf(signer.public_key()));
  return SimEnv{.dir = dir,
                .sim_dir = std::move(sim_dir),
                .signer = std::move(signer),
                .mr_signer = mr_signer};
}

absl::StatusOr<std::string> MakeSignedBinary(
    const SimEnv& env, std::string_view name, std::string_view content,
    const attest::EnclaveSignOptions& opts) {
  std::string binary = env.dir + "/" + std::string(name);
  MRA_RETURN_IF_ERROR(WriteFileAtomic(binary, content, 0755));
  MRA_ASSIGN_OR_RETURN(std::string sidecar,
                       attest::SignSigstruct(binary, env.signer, opts));
  MRA_RETURN_IF_ERROR(
      WriteFileAtomic(attest::SigstructPathFor(binary), sidecar, 0644));
  return binary;
}

}  // namespace mra::attested::testing

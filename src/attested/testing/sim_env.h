// Copyright The mra Authors.
//
// File: src/attested/testing/sim_env.h
// -----------------------------------------------------------------------------
// Test-only helpers for running attested code in simulation mode: a sim dir
// (mra/attest/sim_dir.h), an enclave signer key, and fake "executables" with
// signed sigstruct sidecars, so one test process can attest as several
// distinct enclaves (each fake binary has its own MRENCLAVE).

#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

#include "mra/attest/sigstruct.h"
#include "mra/crypto/digest.h"
#include "mra/crypto/keys.h"

namespace mra::attested::testing {

// SimEnv is a sim dir plus a signer key, under one directory.
struct SimEnv {
  std::string dir;      // Scratch directory holding everything below.
  std::string sim_dir;  // `dir`/sim, made by attest::InitSimDir.
  crypto::PrivateKey signer;
  crypto::Sha256Digest mr_signer{};  // MRSIGNER of `signer`.
};

// MakeSimEnv initialises a sim dir under `dir` and generates a signer key.
// @param outdated_platform see attest::SimInitOptions.
[[nodiscard]] absl::StatusOr<SimEnv> MakeSimEnv(const std::string& dir,
                                                bool outdated_platform = false);

// MakeSignedBinary writes a fake executable `env.dir`/`name` holding
// `content` and its sidecar signed by env.signer; returns the binary's path.
[[nodiscard]] absl::StatusOr<std::string> MakeSignedBinary(
    const SimEnv& env, std::string_view name, std::string_view content,
    const attest::EnclaveSignOptions& opts = {});

}  // namespace mra::attested::testing

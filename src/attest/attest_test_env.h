// Copyright The mra Authors.
//
// File: src/attest/attest_test_env.h
// -----------------------------------------------------------------------------
// Shared fixtures of the attest tests (test-only): one RSA-3072/e=3 enclave
// signer key and one sim dir per test process (both slow-ish to make), plus
// helpers that write a fake "executable" and its signed sidecar.

#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

#include "mra/attest/sigstruct.h"
#include "mra/crypto/keys.h"

namespace mra::attest::testing {

// SignerKey is generated once per process.
const crypto::PrivateKey& SignerKey();

// SharedSimDir is a sim dir created once per process with the real clock.
// Tests must not modify it (make their own with InitSimDir to do so).
const std::string& SharedSimDir();

// WriteFile writes `content` to `path` (0755, like an executable).
void WriteFile(const std::string& path, std::string_view content);

// MakeSignedBinary writes a fake executable `dir/name` with `content` and its
// sidecar signed by SignerKey(); returns the binary's path.
std::string MakeSignedBinary(const std::string& dir, std::string_view name,
                             std::string_view content,
                             const EnclaveSignOptions& opts = {});

}  // namespace mra::attest::testing

// Copyright The mra Authors.
//
// File: mra/attest/key_files.h
// -----------------------------------------------------------------------------
// Private key files of the simulation mode (sim dir keys, enclave signer
// keys): PKCS#8 PEM, mode 0600, never readable by group or others. The PEM
// text is cleansed from memory once parsed; the key lives in EVP_PKEY.

#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "mra/crypto/keys.h"

namespace mra::attest {

// Largest private key file accepted.
inline constexpr size_t kMaxKeyFileLen = size_t{32} * 1024;

// LoadPrivateKeyFile reads a private key PEM.
// @return kNotFound when missing; kFailedPrecondition when the file is
//         accessible by group or others (fix with chmod 600);
//         kInvalidArgument when it is not a supported private key.
[[nodiscard]] absl::StatusOr<crypto::PrivateKey> LoadPrivateKeyFile(
    const std::string& path);

// WritePrivateKeyFile writes `key` as PKCS#8 PEM with mode 0600, atomically.
// Overwrites an existing file only when `overwrite` (else kAlreadyExists).
[[nodiscard]] absl::Status WritePrivateKeyFile(const std::string& path,
                                               const crypto::PrivateKey& key,
                                               bool overwrite);

}  // namespace mra::attest

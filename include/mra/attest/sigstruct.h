// Copyright The mra Authors.
//
// File: mra/attest/sigstruct.h
// -----------------------------------------------------------------------------
// The simulated enclave identity of a plain executable, for the simulation
// mode: what SGX's SIGSTRUCT + EINIT would give an enclave.
//
//   MRENCLAVE = SHA-256 of the executable file's bytes. (Real SGX hashes the
//               enclave's pages as loaded; a simulated identity can only
//               name the file.)
//   MRSIGNER  = SHA-256 of the signer's RSA modulus, little-endian, padded to
//               the key's size in bytes - exactly how SGX derives MRSIGNER
//               from a SIGSTRUCT. Real SGX requires RSA-3072 with public
//               exponent 3 (GenerateEnclaveSignerKey makes one); any RSA key
//               of at least 2048 bits is accepted here.
//
// The identity lives in a signed sidecar file `BINARY.sigstruct` (JSON):
//
//   {
//     "format": "mra-sim-sigstruct/1",
//     "development_only": "<warning text>",
//     "mr_enclave": "<64 hex>",          // SHA-256 of the binary
//     "mr_signer": "<64 hex>",           // recomputed from signer_public_key
//     "isv_prod_id": 0..65535,
//     "isv_svn": 0..65535,
//     "attributes": "<32 hex>",          // SGX ATTRIBUTES: flags u64 LE ||
//                                        // xfrm u64 LE; DEBUG = flags bit 1
//     "misc_select": 0..4294967295,
//     "signer_public_key": "<SPKI PEM of the RSA signer key>",
//     "signature": "<hex RSA PKCS#1 v1.5 SHA-256 signature>"
//   }
//
// The signature covers a fixed binary encoding of the fields (not the JSON
// text), like SIGSTRUCT's signed layout:
//   "MRA-SIM-SIGSTRUCT-V1\n" (21 ASCII bytes) || mr_enclave[32] ||
//   attributes[16] || misc_select u32 LE || isv_prod_id u16 LE ||
//   isv_svn u16 LE
// MRSIGNER is not signed: it is derived from the key that verifies.
// Parsing is strict: every key required, unknown keys refused.

#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "mra/crypto/digest.h"
#include "mra/crypto/keys.h"

namespace mra::attest {

inline constexpr std::string_view kSigstructFormat = "mra-sim-sigstruct/1";
inline constexpr std::string_view kSigstructSuffix = ".sigstruct";
inline constexpr size_t kMaxSigstructLen = size_t{64} * 1024;

// SGX ATTRIBUTES flag bits.
inline constexpr uint64_t kAttributeInit = 0x01;
inline constexpr uint64_t kAttributeDebug = 0x02;
inline constexpr uint64_t kAttributeMode64Bit = 0x04;

// SimSigstruct is a verified sidecar's content.
struct SimSigstruct {
  crypto::Sha256Digest mr_enclave{};
  crypto::Sha256Digest mr_signer{};
  uint16_t isv_prod_id = 0;
  uint16_t isv_svn = 0;
  std::array<uint8_t, 16> attributes{};
  uint32_t misc_select = 0;

  // Debug reports ATTRIBUTES.DEBUG.
  bool Debug() const { return (attributes[0] & kAttributeDebug) != 0; }
};

// EnclaveSignOptions are the SIGSTRUCT fields a developer chooses.
struct EnclaveSignOptions {
  uint16_t isv_prod_id = 0;
  uint16_t isv_svn = 0;
  bool debug = false;  // Sets ATTRIBUTES.DEBUG.
};

// SigstructPathFor returns `binary` + ".sigstruct".
std::string SigstructPathFor(const std::string& binary);

// MeasureFile returns the simulated MRENCLAVE of `path` (streamed SHA-256;
// any size). kNotFound / kUnavailable on I/O errors.
[[nodiscard]] absl::StatusOr<crypto::Sha256Digest> MeasureFile(
    const std::string& path);

// MrSignerOf returns the SGX MRSIGNER of an RSA public key.
// kInvalidArgument for non-RSA keys.
[[nodiscard]] absl::StatusOr<crypto::Sha256Digest> MrSignerOf(
    const crypto::PublicKey& key);

// GenerateEnclaveSignerKey returns a fresh RSA-3072 key with public
// exponent 3, as SGX enclave signing keys are.
[[nodiscard]] absl::StatusOr<crypto::PrivateKey> GenerateEnclaveSignerKey();

// SignSigstruct measures `binary`, signs the identity with `signer` (RSA)
// and returns the sidecar text (write it to SigstructPathFor(binary)).
[[nodiscard]] absl::StatusOr<std::string> SignSigstruct(
    const std::string& binary, const crypto::PrivateKey& signer,
    const EnclaveSignOptions& opts);

// ParseSigstruct parses a sidecar strictly and verifies its signature and
// MRSIGNER. It does not look at the binary.
// @return kInvalidArgument (malformed, naming the field) or
//         kUnauthenticated (signature does not verify, MRSIGNER does not
//         match the signer key).
[[nodiscard]] absl::StatusOr<SimSigstruct> ParseSigstruct(
    std::string_view text);

// LoadVerifiedSigstruct reads and verifies `sidecar` (default:
// SigstructPathFor(binary)) and checks that its MRENCLAVE equals the
// measurement of `binary`.
// @return ParseSigstruct's errors, kNotFound for a missing file, or
//         kPermissionDenied when the binary does not match (changed after
//         signing).
[[nodiscard]] absl::StatusOr<SimSigstruct> LoadVerifiedSigstruct(
    const std::string& binary, const std::string& sidecar = "");

}  // namespace mra::attest

// Copyright The mra Authors.
//
// File: mra/manifest/manifest.h
// -----------------------------------------------------------------------------
// The enclave identity manifest (`enclave_info.toml`): which enclave
// identities the auditors vouch for. Compatible with the reference design (one
// table per service with `mr_enclave` and `mr_signer`), extended with optional
// fields; see docs/manifest.md for the format and ParseManifest for the rules.

#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mra::manifest {

using Measurement = std::array<uint8_t, 32>;

// Limits that bound memory and time on hostile input.
inline constexpr size_t kMaxManifestLen = 1 << 20;
inline constexpr size_t kMaxServices = 1024;
inline constexpr size_t kMaxAdditionalMrEnclaves = 64;
inline constexpr size_t kMaxNameLen = 128;

// ServiceIdentity is one service's audited enclave identity.
struct ServiceIdentity {
  std::string name;
  Measurement mr_enclave{};
  Measurement mr_signer{};
  // Further accepted MRENCLAVE values (rolling upgrades).
  std::vector<Measurement> additional_mr_enclaves;
  std::optional<uint16_t> isv_prod_id;
  std::optional<uint16_t> min_isv_svn;

  // AcceptsMrEnclave reports whether `m` is mr_enclave or an additional one.
  bool AcceptsMrEnclave(const Measurement& m) const;
};

// Manifest is the parsed (not yet trusted, unless it came from
// VerifyManifest) content of an enclave_info.toml.
struct Manifest {
  std::optional<uint64_t> version;
  std::optional<absl::Time> expires;
  std::optional<std::string> deployment;
  std::vector<ServiceIdentity> services;  // In file order.

  // FindService returns the entry named `name`, or nullptr.
  const ServiceIdentity* FindService(std::string_view name) const;
  // FindByMrEnclave returns the entry accepting `mr_enclave`, or nullptr.
  // ParseManifest guarantees at most one entry accepts a given value.
  const ServiceIdentity* FindByMrEnclave(const Measurement& mr_enclave) const;
};

// ParseManifest parses manifest TOML strictly. Fails with
// VerifyFailure::kManifestMalformed and a message naming the line and field
// for: TOML syntax errors (including duplicate tables and keys), unknown keys,
// wrong types, hex measurements that are not exactly 64 hex characters,
// dates without a UTC offset, out-of-range integers, service names outside
// [A-Za-z0-9_.-], the same MRENCLAVE listed for two services, no services,
// and inputs over kMaxManifestLen. Never throws.
absl::StatusOr<Manifest> ParseManifest(std::string_view toml);

// ManifestToJson renders `m` as a JSON object (for `mra manifest show`).
std::string ManifestToJson(const Manifest& m, int indent = 2);

}  // namespace mra::manifest

// Copyright The mra Authors.
//
// File: mra/manifest/trust_anchors.h
// -----------------------------------------------------------------------------
// The auditors a service trusts, and how many of them must sign a manifest.
// In services these are compiled in (cmake/MraTrustAnchors.cmake generates
// CompiledTrustAnchors()), so they are part of the binary's measurement.

#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "mra/crypto/keys.h"

namespace mra::manifest {

// EmbeddedAuditorKey is one compiled-in auditor: a display name and its public
// key PEM (PKCS#1 or SPKI).
struct EmbeddedAuditorKey {
  std::string_view name;
  std::string_view pem;
};

// Auditor is a trusted auditor key.
struct Auditor {
  std::string name;
  crypto::PublicKey key;
};

// TrustAnchors is an immutable set of distinct auditor keys plus the k of the
// k-of-n signature rule. Thread-safe after construction.
class TrustAnchors {
 public:
  // Create validates the set: at least one auditor, no key listed twice (by
  // SPKI fingerprint, whatever its PEM flavour), no duplicate names, and
  // 1 <= threshold <= n. A threshold of 0 means "all auditors".
  static absl::StatusOr<TrustAnchors> Create(std::vector<Auditor> auditors,
                                             size_t threshold);
  // FromEmbedded parses compiled-in PEMs, then Create.
  static absl::StatusOr<TrustAnchors> FromEmbedded(
      std::span<const EmbeddedAuditorKey> keys, size_t threshold);

  const std::vector<Auditor>& auditors() const { return auditors_; }
  size_t threshold() const { return threshold_; }

 private:
  TrustAnchors(std::vector<Auditor> auditors, size_t threshold)
      : auditors_(std::move(auditors)), threshold_(threshold) {}
  std::vector<Auditor> auditors_;
  size_t threshold_;
};

// CompiledTrustAnchors returns the anchors embedded at build time
// (MRA_AUDITOR_KEYS / MRA_AUDITOR_THRESHOLD). Defined by the generated
// anchors library linked into each executable.
absl::StatusOr<TrustAnchors> CompiledTrustAnchors();

}  // namespace mra::manifest

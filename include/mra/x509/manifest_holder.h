// Copyright The mra Authors.
//
// File: mra/x509/manifest_holder.h
// -----------------------------------------------------------------------------
// ManifestHolder holds the service's current VerifiedManifest and lets a
// runtime reload swap it while TLS handshakes keep reading it. Readers get a
// shared_ptr snapshot, so a handshake that started against one manifest
// finishes against that same manifest even if it is replaced meanwhile.

#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

#include "absl/status/status.h"

#include "mra/manifest/verifier.h"

namespace mra::x509 {

// ManifestHolder is thread-safe: Get and Replace may race freely.
class ManifestHolder {
 public:
  using Snapshot = std::shared_ptr<const manifest::VerifiedManifest>;

  // `initial` must not be null (MRA_CHECK): a service never serves before
  // its manifest verified.
  explicit ManifestHolder(Snapshot initial);

  // Get returns the current manifest (never null).
  Snapshot Get() const;

  // Replace installs `next` for all later Get calls. The caller is expected
  // to have verified it (VerifyManifest, with rollback state).
  // @return kInvalidArgument when `next` is null (the old one stays).
  [[nodiscard]] absl::Status Replace(Snapshot next);

  // generation counts successful Replace calls (0 for the initial one).
  uint64_t generation() const;

 private:
  mutable std::mutex mu_;
  Snapshot current_;
  uint64_t generation_ = 0;
};

}  // namespace mra::x509

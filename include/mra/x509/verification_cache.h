// Copyright The mra Authors.
//
// File: mra/x509/verification_cache.h
// -----------------------------------------------------------------------------
// VerificationCache remembers peers whose certificate already passed parsing,
// appraisal and the manifest lookup, so repeated handshakes with the same
// peer certificate skip quote verification (the expensive part). Entries are
// keyed by the SHA-256 of the leaf DER together with the manifest's digest
// and version, so replacing the manifest makes every older entry
// unreachable, and with a digest of the verifier's policy (appraiser, debug
// enclaves, evidence age), so verifiers of different policies may share one
// cache without one's acceptance reaching the other. An entry is used only
// before its expiry: the earliest of the certificate's notAfter, the
// evidence's age limit, the appraisal's valid_until and the manifest's
// expires. Access control is not cached; callers re-check it on every
// handshake.

#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "absl/time/time.h"

#include "mra/crypto/digest.h"
#include "mra/x509/peer_identity.h"

namespace mra::x509 {

// VerificationCache is a bounded LRU map. Thread-safe.
class VerificationCache {
 public:
  static constexpr size_t kDefaultMaxEntries = 1024;

  struct Key {
    crypto::Sha256Digest cert_sha256{};
    crypto::Sha256Digest manifest_digest{};
    uint64_t manifest_version = 0;
    // Everything else that decides the cached verdict, e.g. SHA-256 of the
    // verifier options it was reached under (AttestedPeerVerifier).
    crypto::Sha256Digest policy_digest{};
  };

  struct Stats {
    uint64_t hits = 0;
    uint64_t misses = 0;       // Includes lookups that found an expired entry.
    uint64_t evictions = 0;    // Least recently used entries dropped.
    uint64_t expirations = 0;  // Entries dropped because they expired.
    size_t size = 0;
  };

  // `max_entries` must be positive (MRA_CHECK).
  explicit VerificationCache(size_t max_entries = kDefaultMaxEntries);

  // Lookup returns the cached identity for `key` when present and `now` is
  // before its expiry; an expired entry is removed.
  std::optional<PeerIdentity> Lookup(const Key& key, absl::Time now);

  // Insert caches `identity` until `expires` (not inserted when already
  // past), evicting the least recently used entry when full.
  void Insert(const Key& key, const PeerIdentity& identity, absl::Time expires,
              absl::Time now);

  // Clear drops every entry (counters are kept).
  void Clear();

  Stats stats() const;

 private:
  struct Entry {
    std::string key;
    PeerIdentity identity;
    absl::Time expires;
  };
  static std::string KeyBytes(const Key& key);

  const size_t max_entries_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // Most recently used first.
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  Stats stats_;
};

}  // namespace mra::x509

// Copyright The mra Authors.
//
// File: mra/collateral/cache.h
// -----------------------------------------------------------------------------
// CachingProvider keeps the last good bundle per (TEE type, FMSPC, PCK CA) in
// a directory, so services keep working through PCS/PCCS outages, and fails
// closed once the cached collateral has expired.
//
// Policy, for a request at time `now` (from the injected Clock):
//  1. A cached bundle that is valid and fresh — now is before
//     (earliest nextUpdate - refresh_margin) and it was fetched less than
//     max_age ago — is returned without contacting the upstream.
//  2. Otherwise the upstream is asked. Its bundle is accepted only if it
//     parses, matches the request, has not expired at `now`, and does not
//     roll back the TCB evaluation data number of the cached bundle (TCB info
//     or QE identity); it then replaces the cache entry atomically
//     (WriteFileAtomic) and is returned.
//  3. If the upstream fails or its bundle is refused, the cache entry is left
//     untouched and a cached bundle that has not expired is returned (a
//     "stale" hit; the refresh error is reported in FetchResult).
//  4. Otherwise the fetch fails: with kCollateralTooOld naming the cached
//     bundle's expiry and the upstream error when the cache had an expired
//     bundle, else with the upstream error (mentioning an unusable cache file
//     if there was one).
//
// Cache files are untrusted input: each is re-read and re-parsed on every
// load (size-bounded), and must name the same request and hold a bundle that
// parses and matches it; a corrupt entry is treated as absent and replaced by
// the next good upstream bundle. Entry format (one JSON object per file,
// `{tee}-{fmspc}-{ca}.json`):
//   {"format":"mra-collateral-cache-v1","tee":"sgx","fmspc":"00a067110000",
//    "ca":"processor","fetched_at":"2025-06-20T00:00:00Z","bundle":"<bundle>"}
// where "bundle" is the raw bundle JSON text.
//
// Nothing here checks signatures: the quote verifier does, with the bundle.

#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "mra/base/clock.h"
#include "mra/collateral/provider.h"

namespace mra::collateral {

// CachingOptions configures CachingProvider.
struct CachingOptions {
  // Directory of cache entries; created (mode 0700) if missing.
  std::string dir;
  // Refresh this long before the earliest nextUpdate of the cached pieces.
  absl::Duration refresh_margin = absl::Hours(24);
  // Refresh entries fetched longer ago than this even if their nextUpdate is
  // far away (CRLs and TCB recoveries are published before nextUpdate).
  // absl::InfiniteDuration() disables it.
  absl::Duration max_age = absl::Hours(24);
};

// Where a FetchResult's bundle came from.
enum class CollateralSource {
  kUpstream,    // Fetched now (and written to the cache).
  kCache,       // Fresh cache hit; the upstream was not contacted.
  kStaleCache,  // Refresh failed; a cached, unexpired bundle was used.
};

// CollateralSourceName returns "upstream", "cache" or "stale-cache".
std::string_view CollateralSourceName(CollateralSource source);

// FetchResult is the bundle and how it was obtained.
struct FetchResult {
  std::string bundle;  // Raw bundle JSON (ParseCollateralJson loads it).
  CollateralSource source = CollateralSource::kUpstream;
  CollateralValidity validity;  // Of `bundle`.
  absl::Time fetched_at;        // When `bundle` came from the upstream.
  // kStaleCache: why the refresh failed. kUpstream: OK. kCache: OK.
  absl::Status refresh_error;
  // Non-OK if the cache entry could not be written (the bundle is still
  // returned: it is good collateral, only not persisted).
  absl::Status cache_write_error;
};

// CachingProvider implements the policy in the file comment in front of an
// upstream provider.
//
// Thread-safety: Fetch may be called concurrently; calls are serialised.
// Several processes may share a directory: entries are replaced atomically,
// so readers never see partial files (the last writer wins).
class CachingProvider final : public CollateralProvider {
 public:
  // Create makes the cache directory if needed. `clock` must outlive the
  // provider. Failures: kInvalidArgument for an empty dir or a negative
  // margin/max_age; kUnavailable if the directory cannot be created.
  static absl::StatusOr<std::unique_ptr<CachingProvider>> Create(
      std::unique_ptr<CollateralProvider> upstream, CachingOptions options,
      const Clock& clock);

  // FetchDetailed applies the policy. Failures: see the file comment.
  absl::StatusOr<FetchResult> FetchDetailed(const CollateralRequest& request);

  // Fetch is FetchDetailed(request)->bundle.
  absl::StatusOr<std::string> Fetch(const CollateralRequest& request) override;
  std::string Name() const override;

  // EntryPath returns the cache file used for `request`.
  std::string EntryPath(const CollateralRequest& request) const;

 private:
  CachingProvider(std::unique_ptr<CollateralProvider> upstream,
                  CachingOptions options, const Clock& clock);

  const std::unique_ptr<CollateralProvider> upstream_;
  const CachingOptions options_;
  const Clock& clock_;
  std::mutex mu_;
};

}  // namespace mra::collateral

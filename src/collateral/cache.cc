// CachingProvider: on-disk collateral cache (policy in cache.h).
#include "mra/collateral/cache.h"

#include <filesystem>
#include <optional>
#include <system_error>

#include "nlohmann/json.hpp"
#include "src/collateral/json_util.h"
#include "src/collateral/provider_util.h"

#include "mra/base/clock.h"
#include "mra/base/file.h"
#include "mra/base/status.h"
#include "mra/base/strings.h"
#include "mra/base/verify_failure.h"

namespace mra::collateral {
namespace {

using internal::Annotate;
using internal::Json;

constexpr std::string_view kFormat = "mra-collateral-cache-v1";
constexpr const char* kEntryKeys[] = {"format", "tee",        "fmspc",
                                      "ca",     "fetched_at", "bundle"};
// The bundle is stored as a JSON string, so escaping may double its size.
constexpr size_t kMaxEntryLen = 2 * kMaxCollateralLen + 4096;

struct CacheEntry {
  std::string bundle;
  absl::Time fetched_at;
  CollateralValidity validity;
  uint32_t tcb_evaluation_data_number = 0;
  uint32_t qe_evaluation_data_number = 0;
};

absl::Status BadEntry(const std::string& path, std::string_view what) {
  return VerifyError(VerifyFailure::kCollateralMalformed,
                     StrCat("cache entry '", path, "': ", what));
}

absl::StatusOr<CacheEntry> MakeEntry(std::string bundle,
                                     const CollateralRequest& request,
                                     absl::Time fetched_at) {
  MRA_ASSIGN_OR_RETURN(Collateral c, LoadBundleFor(bundle, request));
  MRA_ASSIGN_OR_RETURN(CollateralValidity validity, GetCollateralValidity(c));
  CacheEntry e;
  e.bundle = std::move(bundle);
  e.fetched_at = fetched_at;
  e.validity = std::move(validity);
  e.tcb_evaluation_data_number = c.tcb_info.tcb_evaluation_data_number;
  e.qe_evaluation_data_number = c.qe_identity.tcb_evaluation_data_number;
  return e;
}

// LoadEntry reads and fully re-validates a cache file (untrusted input).
// kNotFound when there is none.
absl::StatusOr<CacheEntry> LoadEntry(const std::string& path,
                                     const CollateralRequest& request) {
  MRA_ASSIGN_OR_RETURN(std::string text, ReadFileBounded(path, kMaxEntryLen));
  absl::Status depth = CheckJsonDepth(text, "cache entry");
  if (!depth.ok()) {
    return BadEntry(path, ToStd(depth.message()));
  }
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return BadEntry(path, "not a JSON object");
  }
  if (j.size() != std::size(kEntryKeys)) {
    return BadEntry(path, "unexpected members");
  }
  std::string fields[std::size(kEntryKeys)];
  for (size_t i = 0; i < std::size(kEntryKeys); ++i) {
    auto it = j.find(kEntryKeys[i]);
    if (it == j.end() || !it->is_string()) {
      return BadEntry(path, StrCat(kEntryKeys[i], ": missing or not a string"));
    }
    fields[i] = it->get<std::string>();
  }
  if (fields[0] != kFormat) {
    return BadEntry(path, StrCat("format is not '", kFormat, "'"));
  }
  if (fields[1] != TeeTypeLabel(request.tee) ||
      fields[2] != request.FmspcHex() ||
      fields[3] != PckCaTypeName(request.ca)) {
    return BadEntry(path, "the entry is for another request");
  }
  std::optional<absl::Time> fetched_at = ParseRfc3339(fields[4]);
  if (!fetched_at.has_value()) {
    return BadEntry(path, "fetched_at is not an RFC 3339 date-time");
  }
  absl::StatusOr<CacheEntry> entry =
      MakeEntry(std::move(fields[5]), request, *fetched_at);
  if (!entry.ok()) {
    return BadEntry(path, ToStd(entry.status().message()));
  }
  return entry;
}

std::string RenderEntry(const CollateralRequest& request,
                        const CacheEntry& entry) {
  // The bundle came through nlohmann's UTF-8-validating parser (in
  // MakeEntry), so dump() cannot throw.
  nlohmann::ordered_json j;
  j["format"] = kFormat;
  j["tee"] = TeeTypeLabel(request.tee);
  j["fmspc"] = request.FmspcHex();
  j["ca"] = PckCaTypeName(request.ca);
  j["fetched_at"] = FormatRfc3339Utc(entry.fetched_at);
  j["bundle"] = entry.bundle;
  return j.dump();
}

// AcceptUpstream validates a bundle from the upstream before it may replace
// the cache entry.
absl::StatusOr<CacheEntry> AcceptUpstream(std::string bundle,
                                          const CollateralRequest& request,
                                          absl::Time now,
                                          const CacheEntry* cached) {
  MRA_ASSIGN_OR_RETURN(CacheEntry fresh,
                       MakeEntry(std::move(bundle), request, now));
  if (IsExpired(fresh.validity, now)) {
    return VerifyError(VerifyFailure::kCollateralTooOld,
                       StrCat("the upstream served collateral that expired at ",
                              FormatRfc3339Utc(fresh.validity.next_update),
                              " (", fresh.validity.earliest_piece,
                              " nextUpdate); now is ", FormatRfc3339Utc(now)));
  }
  if (cached != nullptr) {
    if (fresh.tcb_evaluation_data_number < cached->tcb_evaluation_data_number ||
        fresh.qe_evaluation_data_number < cached->qe_evaluation_data_number) {
      return VerifyError(
          VerifyFailure::kCollateralTooOld,
          StrCat("the upstream served older collateral than the cache holds "
                 "(tcbEvaluationDataNumber tcb_info ",
                 fresh.tcb_evaluation_data_number, " vs cached ",
                 cached->tcb_evaluation_data_number, ", qe_identity ",
                 fresh.qe_evaluation_data_number, " vs cached ",
                 cached->qe_evaluation_data_number, ")"));
    }
  }
  return fresh;
}

FetchResult ResultFrom(const CacheEntry& entry, CollateralSource source) {
  FetchResult r;
  r.bundle = entry.bundle;
  r.source = source;
  r.validity = entry.validity;
  r.fetched_at = entry.fetched_at;
  return r;
}

}  // namespace

std::string_view CollateralSourceName(CollateralSource source) {
  switch (source) {
    case CollateralSource::kUpstream:
      return "upstream";
    case CollateralSource::kCache:
      return "cache";
    case CollateralSource::kStaleCache:
      return "stale-cache";
  }
  return "unknown";
}

absl::StatusOr<std::unique_ptr<CachingProvider>> CachingProvider::Create(
    std::unique_ptr<CollateralProvider> upstream, CachingOptions options,
    const Clock& clock) {
  if (upstream == nullptr) {
    return absl::InvalidArgumentError("caching provider needs an upstream");
  }
  if (options.dir.empty()) {
    return absl::InvalidArgumentError("cache directory is empty");
  }
  if (options.refresh_margin < absl::ZeroDuration() ||
      options.max_age < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "cache refresh_margin and max_age must not be negative");
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(options.dir, ec)) {
    fs::create_directories(options.dir, ec);
    if (!ec) {
      fs::permissions(options.dir, fs::perms::owner_all, ec);
    }
    if (ec) {
      return absl::UnavailableError(StrCat("cannot create cache directory '",
                                           options.dir, "': ", ec.message()));
    }
  }
  return std::unique_ptr<CachingProvider>(
      new CachingProvider(std::move(upstream), std::move(options), clock));
}

CachingProvider::CachingProvider(std::unique_ptr<CollateralProvider> upstream,
                                 CachingOptions options, const Clock& clock)
    : upstream_(std::move(upstream)),
      options_(std::move(options)),
      clock_(clock) {}

std::string CachingProvider::Name() const {
  return StrCat("cache ", options_.dir, " of ", upstream_->Name());
}

std::string CachingProvider::EntryPath(const CollateralRequest& request) const {
  return StrCat(options_.dir, "/", TeeTypeLabel(request.tee), "-",
                request.FmspcHex(), "-", PckCaTypeName(request.ca), ".json");
}

absl::StatusOr<FetchResult> CachingProvider::FetchDetailed(
    const CollateralRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  const absl::Time now = clock_.Now();
  const std::string path = EntryPath(request);

  absl::StatusOr<CacheEntry> cached = LoadEntry(path, request);
  if (cached.ok() && !IsExpired(cached->validity, now)) {
    bool before_margin =
        now < cached->validity.next_update - options_.refresh_margin;
    bool young = cached->fetched_at <= now &&
                 now - cached->fetched_at < options_.max_age;
    if (before_margin && young) {
      return ResultFrom(*cached, CollateralSource::kCache);
    }
  }

  absl::Status refresh_error;
  absl::StatusOr<std::string> upstream = upstream_->Fetch(request);
  if (upstream.ok()) {
    absl::StatusOr<CacheEntry> fresh = AcceptUpstream(
        *std::move(upstream), request, now, cached.ok() ? &*cached : nullptr);
    if (fresh.ok()) {
      FetchResult r = ResultFrom(*fresh, CollateralSource::kUpstream);
      r.cache_write_error =
          WriteFileAtomic(path, RenderEntry(request, *fresh), 0644);
      return r;
    }
    refresh_error = Annotate(
        fresh.status(), StrCat("refused collateral from ", upstream_->Name()));
  } else {
    refresh_error = Annotate(upstream.status(), "refresh failed");
  }

  if (cached.ok()) {
    if (!IsExpired(cached->validity, now)) {
      FetchResult r = ResultFrom(*cached, CollateralSource::kStaleCache);
      r.refresh_error = refresh_error;
      return r;
    }
    return VerifyError(
        VerifyFailure::kCollateralTooOld,
        StrCat("cached collateral for ", request.Describe(), " ('", path,
               "') expired at ", FormatRfc3339Utc(cached->validity.next_update),
               " (", cached->validity.earliest_piece, " nextUpdate; now ",
               FormatRfc3339Utc(now), "); ", ToStd(refresh_error.message())));
  }
  if (!absl::IsNotFound(cached.status())) {
    return Annotate(refresh_error,
                    StrCat("no usable collateral for ", request.Describe(),
                           " (", ToStd(cached.status().message()), ")"));
  }
  return refresh_error;
}

absl::StatusOr<std::string> CachingProvider::Fetch(
    const CollateralRequest& request) {
  MRA_ASSIGN_OR_RETURN(FetchResult r, FetchDetailed(request));
  return std::move(r.bundle);
}

}  // namespace mra::collateral

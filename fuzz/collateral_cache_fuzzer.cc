// Fuzzes the on-disk collateral cache (mra/collateral/cache.h): cache entry
// files are untrusted (another process, or the host, may write them) and are
// re-parsed on every load; bundles from the upstream are validated before
// they replace an entry. Input: the cache file's content, optionally followed
// by kUpstreamSeparator and a bundle the upstream serves (without it, the
// upstream is down). Content that is not a cache entry is wrapped in one, so
// real collateral bundles are meaningful seeds; the request and "now" are
// derived from the bundle when it parses.
// Invariants: no crash, hang or throw; a returned bundle loads for the
// request and has not expired; refusals are the documented verdicts or the
// upstream's UNAVAILABLE; a bundle accepted from the upstream is served from
// the cache afterwards.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "nlohmann/json.hpp"
#include <openssl/x509.h>

#include "mra/base/clock.h"
#include "mra/base/file.h"
#include "mra/base/verify_failure.h"
#include "mra/collateral/cache.h"
#include "mra/collateral/collateral.h"
#include "mra/collateral/provider.h"

namespace {

constexpr std::string_view kUpstreamSeparator = "\n--mra-fuzz-upstream--\n";

const std::string& Dir() {
  static const std::string dir = [] {
    const char* env = std::getenv("TMPDIR");
    std::string tmpl =
        std::string(env != nullptr ? env : "/tmp") + "/mra-fuzz-cache-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      __builtin_trap();
    }
    return tmpl;
  }();
  // Registered after `dir` is constructed, so it runs before its destructor.
  static const bool cleanup_registered = [] {
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(Dir(), ec);
    });
    return true;
  }();
  (void)cleanup_registered;
  return dir;
}

class FakeUpstream final : public mra::collateral::CollateralProvider {
 public:
  std::optional<std::string> bundle;
  absl::StatusOr<std::string> Fetch(
      const mra::collateral::CollateralRequest& /*request*/) override {
    if (!bundle.has_value()) {
      return absl::UnavailableError("fuzz upstream is down");
    }
    return *bundle;
  }
  std::string Name() const override { return "fuzz upstream"; }
};

bool Allowed(const absl::Status& s) {
  using F = mra::VerifyFailure;
  auto f = mra::GetVerifyFailure(s);
  if (!f.has_value()) {
    return s.code() == absl::StatusCode::kUnavailable;
  }
  return *f == F::kCollateralTooOld || *f == F::kCollateralMalformed ||
         *f == F::kTcbInfoMismatch || *f == F::kQeIdentityMismatch ||
         *f == F::kCrlInvalid;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace col = mra::collateral;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto upstream = std::make_unique<FakeUpstream>();
  FakeUpstream* up = upstream.get();
  size_t sep = in.find(kUpstreamSeparator);
  std::string_view cache_part = in.substr(0, sep);
  if (sep != std::string_view::npos) {
    up->bundle = std::string(in.substr(sep + kUpstreamSeparator.size()));
  }

  // Request and time: from a bundle when one parses, else fixed.
  auto request = *col::MakeCollateralRequest("00906ed50000", col::TeeType::kSgx,
                                             col::PckCaType::kProcessor);
  absl::Time now = absl::FromUnixSeconds(1750000000);
  std::string_view probe = up->bundle.has_value() && cache_part.empty()
                               ? std::string_view(*up->bundle)
                               : cache_part;
  auto parsed = col::ParseCollateralJson(probe);
  if (parsed.ok()) {
    request.fmspc = parsed->tcb_info.fmspc;
    request.tee = parsed->tcb_info.tee;
    if (parsed->pck_crl != nullptr) {
      char cn[256] = {};
      X509_NAME_get_text_by_NID(X509_CRL_get_issuer(parsed->pck_crl.get()),
                                NID_commonName, cn, sizeof(cn));
      request.ca =
          std::string_view(cn).find("Processor") != std::string_view::npos
              ? col::PckCaType::kProcessor
              : col::PckCaType::kPlatform;
    }
    auto validity = col::GetCollateralValidity(*parsed);
    if (validity.ok()) {
      now = validity->next_update - absl::Hours(48);
    }
  }

  col::CachingOptions options;
  options.dir = Dir();
  mra::FixedClock clock(now);
  auto provider =
      col::CachingProvider::Create(std::move(upstream), options, clock);
  if (!provider.ok()) {
    __builtin_trap();
  }
  const std::string path = (*provider)->EntryPath(request);
  std::string entry(cache_part);
  if (cache_part.substr(0, 10) != "{\"format\":") {
    nlohmann::ordered_json j;
    j["format"] = "mra-collateral-cache-v1";
    j["tee"] = std::string(col::TeeTypeLabel(request.tee));
    j["fmspc"] = request.FmspcHex();
    j["ca"] = std::string(col::PckCaTypeName(request.ca));
    j["fetched_at"] = mra::FormatRfc3339Utc(now - absl::Hours(1));
    j["bundle"] = std::string(cache_part);
    entry = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  if (cache_part.empty()) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  } else if (!mra::WriteFileAtomic(path, entry).ok()) {
    __builtin_trap();
  }

  auto r = (*provider)->FetchDetailed(request);
  if (!r.ok()) {
    if (!Allowed(r.status())) {
      __builtin_trap();
    }
    return 0;
  }
  if (!col::LoadBundleFor(r->bundle, request).ok() ||
      col::IsExpired(r->validity, now)) {
    __builtin_trap();
  }
  if (r->source == col::CollateralSource::kUpstream &&
      r->cache_write_error.ok()) {
    up->bundle.reset();
    auto again = (*provider)->FetchDetailed(request);
    if (!again.ok() || again->bundle != r->bundle ||
        again->source == col::CollateralSource::kUpstream) {
      __builtin_trap();
    }
  }
  return 0;
}

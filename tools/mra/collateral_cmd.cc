// `mra collateral fetch`: provision DCAP collateral from Intel PCS / a PCCS
// (or offline bundles), optionally through the on-disk cache.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <memory>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tools/mra/command.h"

#include "mra/base/clock.h"
#include "mra/base/file.h"
#include "mra/base/strings.h"
#include "mra/collateral/cache.h"
#include "mra/collateral/collateral.h"
#include "mra/collateral/pcs_client.h"
#include "mra/collateral/provider.h"

namespace mra::cli {
namespace {

using collateral::CachingOptions;
using collateral::CachingProvider;
using collateral::CollateralProvider;
using collateral::CollateralRequest;
using collateral::FetchResult;

struct FetchArgs {
  std::string fmspc;
  bool tdx = false;
  std::string ca = "platform";
  std::string out;
  std::string pccs_url = std::string(collateral::kIntelPcsBaseUrl);
  int api_version = 4;
  std::string root_ca_crl_url;
  std::string tls_ca_file;
  bool allow_http = false;
  std::string update;
  double timeout_seconds = 30;
  std::string offline;
  std::string cache;
  double refresh_margin_hours = 24;
  double max_age_hours = 24;
  std::string now;
};

absl::Time ParseNow(const std::string& now) {
  if (now.empty()) {
    return absl::Now();
  }
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, now, &t, &err)) {
    return t;
  }
  try {
    size_t used = 0;
    long long secs = std::stoll(now, &used);  // NOLINT(google-runtime-int)
    if (used == now.size()) {
      return absl::FromUnixSeconds(secs);
    }
  } catch (const std::exception&) {
  }
  throw CliError{kExitUsage, StrCat("--now '", now,
                                    "' is neither RFC 3339 nor unix seconds")};
}

// Warn prints one warning line to stderr.
void Warn(const std::string& message) {
  static_cast<void>(std::fprintf(stderr, "warning: %s\n", message.c_str()));
}

absl::Duration Hours(double hours, const char* flag) {
  if (!(hours >= 0)) {
    throw CliError{kExitUsage, StrCat(flag, " must not be negative")};
  }
  return absl::Seconds(hours * 3600);
}

std::unique_ptr<CollateralProvider> MakeUpstream(const FetchArgs& args) {
  if (!args.offline.empty()) {
    std::error_code ec;
    if (std::filesystem::is_directory(args.offline, ec)) {
      return std::make_unique<collateral::DirectoryProvider>(args.offline);
    }
    return std::make_unique<collateral::BundleFileProvider>(args.offline);
  }
  collateral::PcsHttpOptions options;
  options.base_url = args.pccs_url;
  options.api_version = args.api_version;
  options.root_ca_crl_url = args.root_ca_crl_url;
  options.ca_file = args.tls_ca_file;
  options.allow_plain_http = args.allow_http;
  options.update = args.update;
  if (!(args.timeout_seconds > 0)) {
    throw CliError{kExitUsage, "--timeout must be positive"};
  }
  options.request_timeout = absl::Seconds(args.timeout_seconds);
  options.connect_timeout =
      std::min(options.request_timeout, absl::Seconds(10));
  absl::StatusOr<std::unique_ptr<collateral::PcsHttpProvider>> pcs =
      collateral::PcsHttpProvider::Create(std::move(options));
  if (!pcs.ok()) {
    Fail(pcs.status(), "--pccs-url");
  }
  return *std::move(pcs);
}

int RunFetch(const FetchArgs& args) {
  std::optional<collateral::PckCaType> ca = collateral::ParsePckCaType(args.ca);
  if (!ca.has_value()) {
    throw CliError{kExitUsage,
                   StrCat("--ca '", args.ca, "' is not platform or processor")};
  }
  absl::StatusOr<CollateralRequest> request = collateral::MakeCollateralRequest(
      args.fmspc,
      args.tdx ? collateral::TeeType::kTdx : collateral::TeeType::kSgx, *ca);
  if (!request.ok()) {
    Fail(request.status(), "--fmspc");
  }
  if (!args.offline.empty() && args.pccs_url != collateral::kIntelPcsBaseUrl) {
    throw CliError{kExitUsage, "--offline and --pccs-url are exclusive"};
  }
  const FixedClock clock(ParseNow(args.now));
  std::unique_ptr<CollateralProvider> upstream = MakeUpstream(args);
  const std::string source_name = upstream->Name();

  FetchResult result;
  if (!args.cache.empty()) {
    CachingOptions options;
    options.dir = args.cache;
    options.refresh_margin =
        Hours(args.refresh_margin_hours, "--refresh-margin-hours");
    options.max_age = Hours(args.max_age_hours, "--max-age-hours");
    absl::StatusOr<std::unique_ptr<CachingProvider>> cache =
        CachingProvider::Create(std::move(upstream), std::move(options), clock);
    if (!cache.ok()) {
      Fail(cache.status(), "--cache");
    }
    absl::StatusOr<FetchResult> r = (*cache)->FetchDetailed(*request);
    if (!r.ok()) {
      Fail(r.status(), StrCat("collateral for ", request->Describe()));
    }
    result = *std::move(r);
  } else {
    absl::StatusOr<std::string> bundle = upstream->Fetch(*request);
    if (!bundle.ok()) {
      Fail(bundle.status(), StrCat("collateral for ", request->Describe()));
    }
    // Providers return only bundles that parse; this cannot fail in
    // practice, but the dates come from the parsed form.
    absl::StatusOr<collateral::Collateral> parsed =
        collateral::ParseCollateralJson(*bundle);
    if (!parsed.ok()) {
      Fail(parsed.status(), "fetched bundle");
    }
    absl::StatusOr<collateral::CollateralValidity> validity =
        collateral::GetCollateralValidity(*parsed);
    if (!validity.ok()) {
      Fail(validity.status(), "fetched bundle");
    }
    result.bundle = *std::move(bundle);
    result.validity = *std::move(validity);
    result.fetched_at = clock.Now();
  }

  absl::Status s = WriteFileAtomic(args.out, result.bundle, 0644);
  if (!s.ok()) {
    Fail(s, "writing --out");
  }
  if (!result.refresh_error.ok()) {
    Warn(StrCat("refresh failed, using the cached collateral: ",
                ToStd(result.refresh_error.message())));
  }
  if (!result.cache_write_error.ok()) {
    Warn(StrCat("the cache entry was not written: ",
                ToStd(result.cache_write_error.message())));
  }
  if (collateral::IsExpired(result.validity, clock.Now())) {
    Warn(StrCat("this collateral expired at ",
                FormatRfc3339Utc(result.validity.next_update), " (",
                result.validity.earliest_piece,
                " nextUpdate); quote verification with it will fail"));
  }
  static_cast<void>(std::printf(
      "OK: collateral for %s written to %s\n  source: %s (%s)\n"
      "  fetched: %s\n  valid until: %s (%s nextUpdate)\n",
      request->Describe().c_str(), args.out.c_str(),
      std::string(collateral::CollateralSourceName(result.source)).c_str(),
      source_name.c_str(), FormatRfc3339Utc(result.fetched_at).c_str(),
      FormatRfc3339Utc(result.validity.next_update).c_str(),
      result.validity.earliest_piece.c_str()));
  return kExitOk;
}

// Registration object, as in the other *_cmd.cc files.
// NOLINTNEXTLINE(cert-err58-cpp,readability-identifier-naming)
const CommandGroup kCollateral([](CLI::App& root, int* exit_code) {
  CLI::App* cmd = root.add_subcommand(
      "collateral", "DCAP collateral provisioning (Intel PCS / PCCS)");
  cmd->require_subcommand(1);

  auto fetch = std::make_shared<FetchArgs>();
  CLI::App* f = cmd->add_subcommand(
      "fetch",
      "Fetch TCB info, QE identity, PCK and root CA CRLs with their issuer "
      "chains into one bundle file (signatures are checked later, by the "
      "quote verifier)");
  f->add_option("--fmspc", fetch->fmspc, "Platform FMSPC (12 hex characters)")
      ->required();
  f->add_flag("--tdx", fetch->tdx, "TDX collateral (default: SGX)");
  f->add_option("--ca", fetch->ca, "PCK CA type: platform | processor")
      ->capture_default_str();
  f->add_option("--out", fetch->out, "Bundle file to write")->required();
  f->add_option("--pccs-url", fetch->pccs_url,
                "PCS or PCCS base URL (https://)")
      ->capture_default_str();
  f->add_option("--api-version", fetch->api_version,
                "PCS API version: 4, or 3 (SGX only)")
      ->capture_default_str();
  f->add_option("--root-ca-crl-url", fetch->root_ca_crl_url,
                "Root CA CRL URL (default: Intel's for the Intel PCS, "
                "{url}/sgx/certification/vN/rootcacrl for a PCCS)");
  f->add_option("--tls-ca-file", fetch->tls_ca_file,
                "PEM CA certificates trusted for the PCCS's TLS certificate");
  f->add_flag("--allow-http", fetch->allow_http,
              "Allow plain http:// URLs (tests, a PCCS on loopback)");
  f->add_option("--update", fetch->update,
                "PCS update policy: early | standard (default: not sent)");
  f->add_option("--timeout", fetch->timeout_seconds,
                "Per-request timeout in seconds")
      ->capture_default_str();
  f->add_option("--offline", fetch->offline,
                "Use a bundle file or a directory of bundles instead of a "
                "PCS");
  f->add_option("--cache", fetch->cache,
                "Cache directory: serve fresh cached collateral, refresh it "
                "before it expires, fall back to it while the PCS is down");
  f->add_option("--refresh-margin-hours", fetch->refresh_margin_hours,
                "With --cache: refresh this long before the earliest "
                "nextUpdate")
      ->capture_default_str();
  f->add_option("--max-age-hours", fetch->max_age_hours,
                "With --cache: refresh entries older than this")
      ->capture_default_str();
  f->add_option("--now", fetch->now,
                "Time for the cache's decisions (RFC 3339 or unix seconds; "
                "default: now)");
  f->callback([fetch, exit_code] { *exit_code = RunFetch(*fetch); });
});

}  // namespace
}  // namespace mra::cli

// Copyright The mra Authors.
//
// THE transport seam: which TransportBuilder / ChannelFactory a process gets.
// Without the explicit insecure opt-in, every service and mra-client gets the
// attested transport (src/platform/internal/attested_transport.h): mutually
// attested gRPC judged against the auditor-signed manifest and the
// compiled-in access-control lists. The insecure test transport exists only
// behind `--insecure-transport-for-tests`, the plain-mTLS load-test baseline
// only behind `--plain-mtls-for-benchmarks DIR`, and never both.

#include "absl/status/status.h"
#include "src/platform/internal/attested_transport.h"
#include "src/platform/internal/insecure_transport.h"
#include "src/platform/internal/mtls_transport.h"

#include "mra/platform/config.h"
#include "mra/platform/transport.h"

namespace mra::platform {
namespace {

absl::Status CheckOneOptIn(const TransportOptions& options) {
  if (options.insecure_for_tests &&
      !options.plain_mtls_for_benchmarks_dir.empty()) {
    return absl::InvalidArgumentError(
        "--insecure-transport-for-tests and --plain-mtls-for-benchmarks "
        "exclude each other");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<TransportBuilder>> SelectTransportBuilder(
    const DeploymentConfig& config, const ServiceAcl& acl,
    const TransportOptions& options) {
  if (absl::Status s = CheckOneOptIn(options); !s.ok()) {
    return s;
  }
  if (!options.plain_mtls_for_benchmarks_dir.empty()) {
    return internal::MakePlainMtlsTransportBuilderForBenchmarks(
        config, acl, options.plain_mtls_for_benchmarks_dir);
  }
  if (options.insecure_for_tests) {
    return internal::MakeInsecureTransportBuilderForTests(
        acl.self, {.i_understand_this_is_unauthenticated = true});
  }
  return internal::MakeAttestedTransportBuilder(config, acl,
                                                {.reload_on_sighup = true});
}

absl::StatusOr<std::unique_ptr<ChannelFactory>> SelectClientChannelFactory(
    const DeploymentConfig& config, const TransportOptions& options) {
  if (absl::Status s = CheckOneOptIn(options); !s.ok()) {
    return s;
  }
  if (!options.plain_mtls_for_benchmarks_dir.empty()) {
    return internal::MakePlainMtlsClientChannelFactoryForBenchmarks(
        options.plain_mtls_for_benchmarks_dir);
  }
  if (options.insecure_for_tests) {
    absl::StatusOr<std::unique_ptr<Transport>> transport =
        MakeInsecureTransportForTests(
            "", {.i_understand_this_is_unauthenticated = true});
    if (!transport.ok()) {
      return transport.status();
    }
    return std::unique_ptr<ChannelFactory>(std::move(*transport));
  }
  return internal::MakeAttestedClientChannelFactory(config);
}

}  // namespace mra::platform

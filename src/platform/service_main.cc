// Copyright The mra Authors.
//
// ServiceMain: the process edge of every platform service (flags, config,
// logging, the start-up steps, signals). Exceptions from CLI11 stop here.

#include "mra/platform/service_main.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

#include "mra/base/hex.h"
#include "mra/base/strings.h"
#include "mra/base/verify_failure.h"
#include "mra/manifest/trust_anchors.h"
#include "mra/manifest/verifier.h"
#include "mra/platform/transport.h"

namespace mra::platform {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;
constexpr int kExitError = 3;

int ExitCodeFor(const absl::Status& status) {
  if (GetVerifyFailure(status).has_value() ||
      absl::IsFailedPrecondition(status) || absl::IsPermissionDenied(status) ||
      absl::IsUnauthenticated(status)) {
    return kExitRefused;
  }
  if (absl::IsInvalidArgument(status)) {
    return kExitUsage;
  }
  return kExitError;
}

// Refuse reports why the service will not start and returns the exit code.
int Refuse(std::string_view service, std::string_view step,
           const absl::Status& status, int exit_code) {
  std::optional<VerifyFailure> verdict = GetVerifyFailure(status);
  std::string reason = verdict.has_value()
                           ? StrCat("REFUSED: ", VerifyFailureName(*verdict),
                                    ": ", ToStd(status.message()))
                           : StrCat(ToStd(status.message()));
  spdlog::critical("refusing to start service={} step=\"{}\" reason=\"{}\"",
                   service, step, reason);
  std::cerr << service << ": refusing to start: " << step << ": " << reason
            << "\n";
  return exit_code;
}

void SetUpLogging(std::string_view service, const std::string& level) {
  auto logger = spdlog::stderr_color_mt(StrCat("mra.", service));
  spdlog::set_default_logger(logger);
  spdlog::set_pattern(
      StrCat("%Y-%m-%dT%H:%M:%S.%eZ %^%-5l%$ [", service, "] %v"),
      spdlog::pattern_time_type::utc);
  spdlog::set_level(spdlog::level::from_str(level));
}

// The shutdown signals are blocked in every thread (set before gRPC starts
// any) and collected with sigwait.
sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

int ServiceMain(int argc, char** argv, const ServiceDefinition& definition) {
  const ServiceAcl& acl = *definition.acl;
  const std::string service(acl.self);

  CLI::App app{StrCat("mra platform service '", service, "'")};
  std::string config_path;
  bool insecure = false;
  bool print_config = false;
  std::string log_level;
  app.add_option("--config", config_path,
                 "deployment config (TOML); built-in defaults without it");
  app.add_flag("--insecure-transport-for-tests", insecure,
               "serve WITHOUT attestation or encryption (tests and local "
               "development only)");
  std::string plain_mtls_dir;
  app.add_option("--plain-mtls-for-benchmarks", plain_mtls_dir,
                 "serve over plain mutual TLS with the test-CA certificates "
                 "in DIR and NO attestation (the load-test baseline only)")
      ->excludes("--insecure-transport-for-tests");
  app.add_option("--log-level", log_level, "overrides the config's log_level")
      ->check(CLI::IsMember(
          {"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.add_flag("--print-config", print_config,
               "print the effective configuration and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }

  sigset_t signals = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<DeploymentConfig> config =
      config_path.empty()
          ? absl::StatusOr<DeploymentConfig>(DefaultDeploymentConfig())
          : LoadDeploymentConfig(config_path);
  if (!config.ok()) {
    std::cerr << service << ": " << config.status().message() << "\n";
    return kExitUsage;
  }
  if (!log_level.empty()) {
    config->log_level = log_level;
  }
  if (print_config) {
    std::cout << FormatDeploymentConfig(*config);
    return kExitOk;
  }
  SetUpLogging(service, config->log_level);
  const ServiceConfig& self = config->Service(service);
  spdlog::info("starting service={} deployment={} config={} pid={}", service,
               config->deployment,
               config_path.empty() ? "(built-in defaults)" : config_path,
               ::getpid());

  absl::StatusOr<std::unique_ptr<TransportBuilder>> builder =
      SelectTransportBuilder(*config, acl,
                             {.insecure_for_tests = insecure,
                              .plain_mtls_for_benchmarks_dir = plain_mtls_dir});
  if (!builder.ok()) {
    return Refuse(service, "select transport", builder.status(), kExitError);
  }

  spdlog::info("step 1/4 attest self transport=\"{}\"", (*builder)->Describe());
  if (absl::Status s = (*builder)->AttestSelf(); !s.ok()) {
    return Refuse(service, "attest self", s, ExitCodeFor(s));
  }

  absl::StatusOr<manifest::TrustAnchors> anchors =
      manifest::CompiledTrustAnchors();
  if (!anchors.ok()) {
    return Refuse(service, "compiled-in auditors", anchors.status(),
                  kExitError);
  }
  spdlog::info(
      "step 2/4 verify manifest path={} auditors={} threshold={} "
      "rollback_state={}",
      config->manifest.path, anchors->auditors().size(), anchors->threshold(),
      self.rollback_state);
  absl::StatusOr<manifest::VerifiedManifest> verified =
      LoadAndVerifyManifest(*config, acl, *anchors, Clock::Real());
  if (!verified.ok()) {
    return Refuse(service, "verify manifest", verified.status(),
                  ExitCodeFor(verified.status()));
  }
  spdlog::info(
      "manifest verified version={} deployment={} services={} signers={} "
      "sha256={}",
      verified->manifest.version.value_or(0), config->deployment,
      verified->manifest.services.size(), fmt::join(verified->signers, ","),
      HexEncode(verified->digest));

  spdlog::info("step 3/4 build transport");
  absl::StatusOr<std::unique_ptr<Transport>> transport = (*builder)->Build(
      std::make_shared<const manifest::VerifiedManifest>(std::move(*verified)));
  if (!transport.ok()) {
    return Refuse(service, "build transport", transport.status(),
                  ExitCodeFor(transport.status()));
  }

  spdlog::info("step 4/4 start service listen={}", self.listen);
  ServiceContext context{.config = *config,
                         .acl = acl,
                         .transport = **transport,
                         .clock = Clock::Real()};
  absl::StatusOr<std::unique_ptr<RunningService>> running =
      StartService(definition, context, self.listen);
  if (!running.ok()) {
    return Refuse(service, "start service", running.status(),
                  ExitCodeFor(running.status()));
  }
  spdlog::info("serving service={} listen={} port={} transport=\"{}\"", service,
               self.listen, (*running)->port(), (*transport)->Describe());

  int signal = 0;
  sigwait(&signals, &signal);
  spdlog::info("shutting down service={} signal={}", service,
               signal == SIGTERM ? "SIGTERM" : "SIGINT");
  (*running)->Shutdown(absl::Seconds(5));
  running->reset();
  spdlog::info("stopped service={}", service);
  return kExitOk;
}

}  // namespace mra::platform
